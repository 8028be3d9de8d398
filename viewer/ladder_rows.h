/* ladder_rows.h — trace events (DESIGN section 5, the vocabulary in README.md
 * "The protocol trace") as the rows of a ladder (sequence) diagram, shared by
 * the terminal ladder (`scenario trace`) and the HTML report's SVG one: an
 * arrow between two parties (ClientHello, Certificate with or without the
 * staple, OCSP request and response), a note on one party (a verdict, a
 * staple's life, the CA's acts) or a narration line (the scenario).
 *
 * A visit tells a story in order: ClientHello, the server's Certificate (with
 * or without the staple), the browser's check, its own OCSP request and the
 * answer, its verdict. Concurrent users interleave in the trace, and the web
 * server logs its side last, so rows are grouped per user into visits, each
 * visit's rows put in that causal order, identical visits drawn once with
 * "×N", and visits (and rows of no visit) drawn in the order they started.
 * Only a visit's first row shows a time, so no time on the ladder is ever
 * earlier than one above it. Memory is bounded: a step holds at most
 * SCN_LADDER_MAX_VISITS visits and SCN_LADDER_MAX_LOOSE other rows. */
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
    char ts[32]; /* the first event's, when collapsed; "" inside a visit */
    long count;
    /* Whose visit the row belongs to: the user (browser events) or the
     * address the server or responder saw; 0 and "" when nobody's. */
    int user;
    char addr[16];
    int rank;          /* its place in a visit's story (ClientHello first) */
    unsigned long seq; /* arrival order, set by scn_ladder_rows_add: ties of time keep it */
};

/* Is ev the web server's side of one of the runner's own /stats looks
 * (from LAB_RUNNER_ADDR, lab.h)? The ladder leaves them out unless
 * asked for (--all). */
bool scn_ladder_is_runner_own(json_t *ev);

/* One event as a row; ev must carry string ts, actor and event. */
void scn_ladder_row_from_event(json_t *ev, struct scn_ladder_row *row);

/* Bounds of the grouping: visits under way at once (a crowd's concurrency),
 * distinct finished visits in one step (beyond it the step is drawn so far
 * and goes on), rows of one visit, and rows of no visit held in a step. */
#define SCN_LADDER_MAX_OPEN 256
#define SCN_LADDER_MAX_GROUPS 32
#define SCN_LADDER_MAX_VISIT_ROWS 16
#define SCN_LADDER_MAX_LOOSE 64

/* Called for each finished row, in order; `row` is valid during the call. */
typedef void (*scn_ladder_emit_fn)(const struct scn_ladder_row *row, void *ctx);

/* One user's visit, or a group of alike finished visits (count of them). */
struct scn_ladder_visit {
    int user;
    char addr[16];
    char start[32]; /* its earliest row's time (the group's earliest visit) */
    long count;
    bool is_done;      /* its verdict came: late rows of the server may still join */
    unsigned long seq; /* its first row's arrival (the group's earliest) */
    size_t row_count;
    struct scn_ladder_row rows[SCN_LADDER_MAX_VISIT_ROWS];
};

struct scn_ladder_rows {
    scn_ladder_emit_fn emit;
    void *ctx;
    /* The current step's narration line, held to join a repeat of it. */
    bool has_narration;
    struct scn_ladder_row narration;
    /* Visits under way, finished visits grouped, and the rows of no visit. */
    size_t open_count, group_count, loose_count;
    struct scn_ladder_visit *open;   /* SCN_LADDER_MAX_OPEN, allocated at first use */
    struct scn_ladder_visit *groups; /* SCN_LADDER_MAX_GROUPS, likewise */
    struct scn_ladder_row loose[SCN_LADDER_MAX_LOOSE];
    unsigned long next_seq;
};

void scn_ladder_rows_init(struct scn_ladder_rows *rows, scn_ladder_emit_fn emit, void *ctx);
/* Adds a row: to its visit, to the step's other rows, or (narration) it
 * ends the step: what was held is drawn first. */
void scn_ladder_rows_add(struct scn_ladder_rows *rows, const struct scn_ladder_row *row);
/* Emits every held row (at the end, or while --follow waits). */
void scn_ladder_rows_flush(struct scn_ladder_rows *rows);
/* Frees what the grouping allocated; rows still held are dropped (flush
 * first to draw them). */
void scn_ladder_rows_free(struct scn_ladder_rows *rows);

#endif
