/* traceread.h — a trace's events (DESIGN section 5) one at a time, for every
 * reader that shows a trace to people (`scenario trace`, `scenario report`):
 * each bounded line parsed, checked for the fields every event carries (ts,
 * actor, event), and a bad one (not JSON, truncated, overlong, not an event)
 * reported as "NAME:LINE: what is wrong, skipped" and passed over. Past
 * SCN_TRACEREAD_MAX_REPORTED bad lines they are only counted, so a garbage
 * file cannot flood the terminal; scn_traceread_finish prints the total. */
#ifndef OCSPLAB_SCENARIOS_TRACEREAD_H
#define OCSPLAB_SCENARIOS_TRACEREAD_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "tracefile.h"

#define SCN_TRACEREAD_MAX_REPORTED 20

struct scn_traceread {
    struct scn_tracefile file;
    const char *name; /* shown before ":LINE:" (not owned) */
    FILE *errs;       /* where bad lines are reported */
    long lines;       /* lines read, good and bad */
    long skipped;     /* bad lines */
};

/* Reads from fd (not closed here). Returns 0, or -1 when out of memory.
 * Free with scn_traceread_free. */
int scn_traceread_open(struct scn_traceread *r, int fd, const char *name, FILE *errs);
void scn_traceread_free(struct scn_traceread *r);

/* The next good event. SCN_TRACEFILE_LINE: *event is the parsed line (the
 * caller json_decrefs it) and *text and *len the line as written (valid until
 * the next call). Otherwise SCN_TRACEFILE_END (no more complete lines; with
 * is_final false the writer may add more) or SCN_TRACEFILE_ERROR (errno). */
enum scn_tracefile_result scn_traceread_next(struct scn_traceread *r, bool is_final,
                                             json_t **event, const char **text, size_t *len);

/* After the last event: the total, when more bad lines came than were shown. */
void scn_traceread_finish(const struct scn_traceread *r);

/* Trace text made safe to print on a terminal, in place: every control
 * character (C0, DEL, and U+0080..U+009F, which a terminal may take for the
 * start of an escape sequence) becomes '?', so a line of the trace cannot
 * clear the screen or retitle the window. The text never grows. */
void scn_traceread_printable(char *text);

#endif
