/* ladder_rows.h — trace events (DESIGN section 5, the vocabulary in README.md
 * "The protocol trace") as the rows of a ladder (sequence) diagram, shared by
 * the terminal ladder (`scenario trace`) and the HTML report's SVG one: an
 * arrow between two parties (ClientHello, Certificate with or without the
 * staple, OCSP request and response), a note on one party (a verdict, a
 * staple's life, the CA's acts) or a narration line (the scenario). Rows that
 * repeat a recently held one (the users of one visit, running concurrently)
 * join it with a count, "×N"; the collapse window is fixed, so memory is too. */
#ifndef OCSPLAB_SCENARIOS_LADDER_ROWS_H
#define OCSPLAB_SCENARIOS_LADDER_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ui.h"

/* The parties, left to right; the browser's users share one lane. */
enum scn_lane {
    SCN_LANE_USERS,
    SCN_LANE_WEBSERVER,
    SCN_LANE_RESPONDER,
    SCN_LANE_CA,
    SCN_LANE_COUNT,
    SCN_LANE_NONE,
};
extern const char *const scn_lane_names[SCN_LANE_COUNT];

enum scn_row_kind { SCN_ROW_ARROW, SCN_ROW_NOTE, SCN_ROW_NARRATION };

#define SCN_ROW_LABEL_BYTES 512

struct scn_ladder_row {
    enum scn_row_kind kind;
    enum scn_lane from, to; /* a note uses `from` only */
    enum scn_ui_tone tone;
    char label[SCN_ROW_LABEL_BYTES];
    char ts[32]; /* the first event's, when collapsed */
    long count;
};

/* One event as a row; ev must carry string ts, actor and event. */
void scn_ladder_row_from_event(json_t *ev, struct scn_ladder_row *row);

/* Distinct rows held back for collapsing. The users of one visit run
 * concurrently, so their ClientHellos, certificates and verdicts interleave;
 * within one scenario step, a row that repeats any held row joins it. Eight
 * covers one visit's kinds of rows (hello, certificate, staple check, OCSP
 * both ways, verdict, HTTP) and keeps memory fixed. */
#define SCN_LADDER_WINDOW 8

/* Called for each finished row, in order; `row` is valid during the call. */
typedef void (*scn_ladder_emit_fn)(const struct scn_ladder_row *row, void *ctx);

struct scn_ladder_rows {
    scn_ladder_emit_fn emit;
    void *ctx;
    /* Rows held back to see whether later ones repeat them, in the order
     * first seen; emitted when a narration line comes (a new step), when the
     * window is full, and on flush. */
    struct scn_ladder_row held[SCN_LADDER_WINDOW];
    size_t held_count;
};

void scn_ladder_rows_init(struct scn_ladder_rows *rows, scn_ladder_emit_fn emit, void *ctx);
/* Adds a row: it joins a held one it repeats, or is held itself. */
void scn_ladder_rows_add(struct scn_ladder_rows *rows, const struct scn_ladder_row *row);
/* Emits every held row (at the end, or while --follow waits). */
void scn_ladder_rows_flush(struct scn_ladder_rows *rows);

#endif
