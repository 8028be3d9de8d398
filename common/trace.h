/* trace.h — the protocol trace (DESIGN section 5): LAB/trace.jsonl, one JSON
 * object per line, each appended with a single write() on an O_APPEND file so
 * lines from several processes and threads never interleave.
 * Every line carries ts (simulated, RFC 3339 ms), actor, pid, event and msg. */
#ifndef OCSPLAB_TRACE_H
#define OCSPLAB_TRACE_H

#include <jansson.h>
#include <stdbool.h>

#include "errbuf.h"

/* Opens LAB/trace.jsonl for appending (creating it, mode 0644) for this
 * process; `actor` is one of ca, responder, webserver, browser, scenario. */
int trace_open(const char *lab_dir, const char *actor, struct errbuf *err);
void trace_close(void);

/* Appends one event. `fields` (may be NULL) holds the event-specific fields and
 * is always consumed (its reference is stolen), whatever the result. The
 * message is printf-formatted. Returns 0, or -1 when the line could not be
 * written (the trace is a record, never a reason to fail the real work; callers
 * usually go on). Without trace_open it does nothing and returns 0. */
int trace_event(const char *event, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Mutes this thread's events (they are dropped, their fields consumed) or
 * lets them through again: a crowd of 100,000 simulated users traces its
 * first users one by one and sums the rest (browser/crowd.h), so the trace
 * stays readable and its size bounded. */
void trace_mute_thread(bool is_muted);

/* The longest line written; a longer event is cut to its required fields and a
 * "truncated": true marker, so one line is always one write(). */
#define TRACE_MAX_LINE 16384

/* Longer messages and event names are cut (at a character boundary, marked
 * "..."), so the required fields alone always fit in TRACE_MAX_LINE even when
 * every byte needs escaping. Invalid UTF-8 in either becomes '?'. */
#define TRACE_MAX_MSG 2048
#define TRACE_MAX_EVENT 128

#endif
