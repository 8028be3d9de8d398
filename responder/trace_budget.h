/* trace_budget.h — how much of a busy responder's work reaches the trace.
 * Every answer is a trace event with its client and status (the privacy
 * lesson) while the responder answers at most `per_second` requests a
 * second; beyond that, the rest of that second is summed into one
 * `ocsp.responses.summarized` event (requests, bytes, by requester), so a
 * flood or a soak makes the trace grow with time, not with load. Lessons
 * stay far below the budget and keep every line. */
#ifndef OCSPLAB_RESPONDER_TRACE_BUDGET_H
#define OCSPLAB_RESPONDER_TRACE_BUDGET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define TRACE_BUDGET_DEFAULT_PER_SECOND 1000

struct trace_budget {
    pthread_mutex_t lock;
    long per_second;
    int64_t second; /* the monotonic second being counted */
    long traced;    /* answers traced one by one in it */
    long summed;    /* answers only counted in it */
    int64_t summed_bytes;
    long summed_by[3]; /* by enum requester */
};

int trace_budget_init(struct trace_budget *b, long per_second);
void trace_budget_destroy(struct trace_budget *b);

/* For one answer at monotonic time now_ms: true when it is traced on its
 * own, false when it was counted into the second's summary. A summary of an
 * earlier second is written first. */
bool trace_budget_take(struct trace_budget *b, enum requester who, size_t bytes, int64_t now_ms);

/* Writes the summary still pending (at stop). */
void trace_budget_flush(struct trace_budget *b);

#endif
