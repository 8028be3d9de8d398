/* latency.c — per-thread latency samples of the bench load generators, their
 * merge and their nearest-rank percentiles (see latency.h). */
#include "latency.h"

#include <stdlib.h>
#include <string.h>

/* 8M samples per set is far beyond a few seconds of loopback traffic from
 * one thread; the bound keeps a runaway run from eating the machine. */
#define LATENCY_MAX_RECORDED (8u * 1024u * 1024u)
/* A first allocation big enough for most runs at one connection per thread. */
#define LATENCY_FIRST_CAP 16384u

/* Makes room for `need` samples (doubling, so appends stay cheap). 0, or -1
 * when the size overflows or memory runs out; `s` is unchanged on failure. */
static int reserve(struct latency_samples *s, size_t need)
{
    if (need <= s->cap)
        return 0;
    size_t cap = s->cap == 0 ? LATENCY_FIRST_CAP : s->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > SIZE_MAX / sizeof *s->us)
        return -1;
    uint32_t *grown = realloc(s->us, cap * sizeof *grown);
    if (grown == NULL)
        return -1;
    s->us = grown;
    s->cap = cap;
    return 0;
}

void latency_record(struct latency_samples *s, int64_t latency_ns)
{
    if (s->count >= LATENCY_MAX_RECORDED || reserve(s, s->count + 1) != 0)
        return;
    int64_t us = latency_ns / 1000;
    s->us[s->count++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

int latency_append(struct latency_samples *into, const struct latency_samples *from)
{
    if (from->count == 0)
        return 0;
    if (from->count > SIZE_MAX - into->count || reserve(into, into->count + from->count) != 0)
        return -1;
    memcpy(into->us + into->count, from->us, from->count * sizeof *from->us);
    into->count += from->count;
    return 0;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least `fraction` of all samples
 * at or below it. */
static uint32_t percentile(const uint32_t *sorted, size_t n, double fraction)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(fraction * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return sorted[rank > n ? n - 1 : rank - 1];
}

void latency_summarize(struct latency_samples *s, struct latency_summary *out)
{
    /* qsort wants a valid pointer even for no elements. */
    if (s->count > 1)
        qsort(s->us, s->count, sizeof *s->us, compare_u32);
    out->count = s->count;
    out->p50_us = percentile(s->us, s->count, 0.50);
    out->p99_us = percentile(s->us, s->count, 0.99);
    out->max_us = s->count > 0 ? s->us[s->count - 1] : 0;
}

void latency_samples_free(struct latency_samples *s)
{
    if (s == NULL)
        return;
    free(s->us);
    memset(s, 0, sizeof *s);
}
