/* ui.h — what the class sees: narration, each step, a short verdict per visit,
 * expectations passing or failing; colour only on a terminal and never with
 * NO_COLOR; nothing but failures with --quiet. Long lines wrap at the
 * terminal's width (at most 100 columns) with a hanging indent. */
#ifndef OCSPLAB_SCENARIOS_UI_H
#define OCSPLAB_SCENARIOS_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct scn_ui {
    FILE *out;
    bool is_quiet;
    bool has_color;
    int width;
};

enum scn_ui_tone {
    SCN_TONE_PLAIN,
    SCN_TONE_TITLE, /* a scenario's heading */
    SCN_TONE_SAY,   /* narration */
    SCN_TONE_STEP,  /* the line being run */
    SCN_TONE_GOOD,  /* accepted, expectation held */
    SCN_TONE_BAD,   /* refused, expectation failed */
    SCN_TONE_DIM,   /* details */
};

/* Colour when stdout is a terminal and NO_COLOR is unset or empty. */
void scn_ui_init(struct scn_ui *ui, bool is_quiet);

/* Prints `text` in `tone`, wrapped: the first line after `lead`, the others
 * indented to the same column. Nothing in quiet mode. */
void scn_ui_print(const struct scn_ui *ui, enum scn_ui_tone tone, const char *lead,
                  const char *text);
void scn_ui_printf(const struct scn_ui *ui, enum scn_ui_tone tone, const char *lead,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "scenario: MESSAGE" on stderr, also in quiet mode: warnings and problems
 * that must reach whoever runs the tests. */
void scn_ui_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A blank line (not in quiet mode). */
void scn_ui_blank(const struct scn_ui *ui);

/* Text shaping, shared by the terminal and the HTML report's drawings (one
 * column per UTF-8 character; the lab writes no wide ones). */
/* At most `cols` columns of `text` into out (cap bytes), ending with "…"
 * when it had to cut. */
void scn_ui_fit(const char *text, int cols, char *out, size_t cap);
/* How many bytes of `text` its next line of at most `room` columns takes:
 * up to the last space that fits (a longer word stays whole), or to '\n'. */
size_t scn_ui_line_bytes(const char *text, int room);
/* How many lines `text` takes in `room` columns (at least 1). */
int scn_ui_wrap_count(const char *text, int room);
/* The narrowest room (at most `room`) that takes no more lines than `room`
 * does: wrapped there, lines are of even length and the last one is not a
 * lone word. */
int scn_ui_balanced_room(const char *text, int room);

#endif
