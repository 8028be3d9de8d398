/* ladder.h — `scenario trace`: a lab's trace (DESIGN section 5) drawn as a
 * ladder (sequence) diagram in at most 100 columns: one column per party
 * (the browser's users as one, the web server, the responder, the CA), one
 * row per event in the order the trace holds them, arrows for messages and
 * notes for conclusions, narration as full-width lines. Rows that differ only
 * in user, address and time collapse into one row with "×N" (the rows and
 * the collapse are ladder_rows.h's, shared with the HTML report). Streaming:
 * one bounded line at a time, constant memory. */
#ifndef OCSPLAB_SCENARIOS_LADDER_H
#define OCSPLAB_SCENARIOS_LADDER_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#define SCN_LADDER_WIDTH 100

/* Which events to show; NULL or 0 fields do not filter. */
struct scn_ladder_filter {
    const char *actor;      /* exact actor name */
    const char *event_glob; /* fnmatch(3) pattern on the event name */
    long user;              /* the event's "user" field; 0: any (and events without one) */
    const char *since;      /* ts >= since, compared on since's length (RFC 3339 prefix) */
    const char *until;      /* ts <= until, same comparison */
    bool show_all;          /* draw the runner's own /stats handshakes too (--all) */
};

struct scn_ladder_options {
    struct scn_ladder_filter filter;
    bool is_json;   /* print the matching lines unchanged, one per line */
    bool has_color; /* ANSI colour (the caller decides: terminal, NO_COLOR) */
    bool is_follow; /* keep reading as the file grows until should_stop */
    int poll_ms;    /* --follow: wait between reads at the end (200 if 0) */
    /* --follow ends when this returns true (SIGINT); NULL: never. */
    bool (*should_stop)(void);
    /* --follow: the trace's path. When the file there is no longer the one
     * being read (a new run replaced or removed the lab, or the file shrank),
     * drawing ends with SCN_LADDER_REPLACED so the caller can start over. */
    const char *follow_path;
};

/* scn_ladder_draw's result when follow_path was replaced. */
#define SCN_LADDER_REPLACED 1

struct scn_ladder_stats {
    long lines;   /* lines read */
    long skipped; /* malformed, truncated or overlong lines reported */
    long events;  /* events that passed the filters */
    long rows;    /* rows drawn (after collapsing), or lines passed with --json */
};

/* Does this event pass the filter? `event` is one parsed trace line. */
bool scn_ladder_filter_match(const struct scn_ladder_filter *filter, json_t *event);

/* Reads the trace from fd and draws it on `out`; each bad line is reported on
 * `errs` as "trace.jsonl:LINE: what is wrong" (`name` replaces trace.jsonl).
 * Control characters in the trace's text are drawn as '?' (--json passes
 * the lines unchanged, for jq).
 * Returns 0, or -1 when reading or writing failed (message on errs). */
int scn_ladder_draw(int fd, const char *name, FILE *out, FILE *errs,
                    const struct scn_ladder_options *opt, struct scn_ladder_stats *stats);

#endif
