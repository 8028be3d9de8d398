/* trace_read.h — a trace's events (DESIGN section 5) one at a time, for every
 * reader that shows a trace to people (`scenario trace`, `scenario report`):
 * each bounded line parsed, checked for the fields every event carries (ts,
 * actor, event), and a bad one (not JSON, truncated, overlong, not an event)
 * reported as "NAME:LINE: what is wrong, skipped" and passed over. Past
 * TRACE_READER_MAX_REPORTED bad lines they are only counted, so a garbage
 * file cannot flood the terminal; trace_reader_finish prints the total. */
#ifndef OCSPLAB_TRACE_READ_H
#define OCSPLAB_TRACE_READ_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "errbuf.h"
#include "trace_file.h"

#define TRACE_READER_MAX_REPORTED 20
/* A trace larger than this is not a classroom lab's. */
#define TRACE_MAX_FILE_BYTES (512LL * 1024 * 1024)

struct trace_reader {
    struct trace_file file;
    const char *name; /* shown before ":LINE:" (not owned) */
    FILE *errs;       /* where bad lines are reported */
    long lines;       /* lines read, good and bad */
    long skipped;     /* bad lines */
};

/* Reads from fd (not closed here); bad lines are reported to errs (NULL:
 * only counted). Returns 0, or -1 when out of memory.
 * Free with trace_reader_free. */
int trace_reader_open(struct trace_reader *r, int fd, const char *name, FILE *errs);
void trace_reader_free(struct trace_reader *r);

/* The next good event. TRACE_FILE_LINE: *event is the parsed line (the
 * caller json_decrefs it) and *text and *len the line as written (valid until
 * the next call). Otherwise TRACE_FILE_END (no more complete lines; with
 * is_final false the writer may add more) or TRACE_FILE_ERROR (errno). */
enum trace_file_result trace_reader_next(struct trace_reader *r, bool is_final, json_t **event,
                                         const char **text, size_t *len);

/* After the last event: the total, when more bad lines came than were shown. */
void trace_reader_finish(const struct trace_reader *r);

/* Calls fn for every line of LAB/trace.jsonl that is a JSON object, in
 * order (fn must not keep it), on the same bounded line reader as the
 * viewers (trace_file.h); other lines, an overlong one and an unfinished
 * last one are passed over silently. A missing trace has no events; one
 * larger than max_bytes is refused. Returns 0, or -1 with err set. */
typedef void (*trace_event_fn)(json_t *event, void *ctx);
int trace_each_event(const char *lab, long long max_bytes, trace_event_fn fn, void *ctx,
                     struct errbuf *err);

/* Trace text made safe to print on a terminal, in place: every control
 * character (C0, DEL, and U+0080..U+009F, which a terminal may take for the
 * start of an escape sequence) becomes '?', so a line of the trace cannot
 * clear the screen or retitle the window. The text never grows. */
void trace_printable(char *text);

#endif
