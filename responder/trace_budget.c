/* trace_budget.c — per-second budget of answers traced one by one, the rest
 * summed (see trace_budget.h). */
#include "trace_budget.h"

#include <jansson.h>
#include <string.h>

#include "trace.h"

int trace_budget_init(struct trace_budget *b, long per_second)
{
    memset(b, 0, sizeof *b);
    b->per_second = per_second > 0 ? per_second : TRACE_BUDGET_DEFAULT_PER_SECOND;
    b->second = -1;
    return pthread_mutex_init(&b->lock, NULL) == 0 ? 0 : -1;
}

void trace_budget_destroy(struct trace_budget *b)
{
    pthread_mutex_destroy(&b->lock);
}

/* With the lock held: the pending summary as one event, then a new second. */
static void write_summary(struct trace_budget *b)
{
    if (b->summed > 0)
        trace_event(
            "ocsp.responses.summarized",
            json_pack("{s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:I}", "requests", (json_int_t)b->summed,
                      "bytes", (json_int_t)b->summed_bytes, "by_requester", "browser",
                      (json_int_t)b->summed_by[REQUESTER_BROWSER], "webserver",
                      (json_int_t)b->summed_by[REQUESTER_WEBSERVER], "other",
                      (json_int_t)b->summed_by[REQUESTER_OTHER], "traced", (json_int_t)b->traced,
                      "per_second", (json_int_t)b->per_second),
            "The responder answered %ld more request%s in one second (%lld bytes) than "
            "it traces one by one (%ld a second): they are counted here, without "
            "their clients.",
            b->summed, b->summed == 1 ? "" : "s", (long long)b->summed_bytes, b->per_second);
    b->traced = 0;
    b->summed = 0;
    b->summed_bytes = 0;
    memset(b->summed_by, 0, sizeof b->summed_by);
}

bool trace_budget_take(struct trace_budget *b, enum requester who, size_t bytes, int64_t now_ms)
{
    bool is_traced;
    int64_t second = now_ms / 1000;
    pthread_mutex_lock(&b->lock);
    if (second != b->second) {
        write_summary(b);
        b->second = second;
    }
    is_traced = b->traced < b->per_second;
    if (is_traced) {
        b->traced++;
    } else {
        b->summed++;
        b->summed_bytes += (int64_t)bytes;
        if ((unsigned)who < 3)
            b->summed_by[who]++;
    }
    pthread_mutex_unlock(&b->lock);
    return is_traced;
}

void trace_budget_flush(struct trace_budget *b)
{
    pthread_mutex_lock(&b->lock);
    write_summary(b);
    pthread_mutex_unlock(&b->lock);
}
