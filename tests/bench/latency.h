/* latency.h — the latency samples of the bench load generators (ocsp_load.c,
 * tls_handshakes.c): each thread records into its own set without locking,
 * main merges the sets after joining the threads and reads nearest-rank
 * percentiles from the merged one. */
#ifndef OCSPLAB_BENCH_LATENCY_H
#define OCSPLAB_BENCH_LATENCY_H

#include <stddef.h>
#include <stdint.h>

/* Microsecond latencies in the order recorded (sorted after
 * latency_summarize). Starts zeroed; owns `us`: free with
 * latency_samples_free. One set is used by one thread at a time. */
struct latency_samples {
    uint32_t *us;
    size_t count, cap;
};

struct latency_summary {
    size_t count;
    uint32_t p50_us, p99_us, max_us; /* 0 when there are no samples */
};

/* Adds one latency, in microseconds clamped to [0, UINT32_MAX]. Never fails
 * the caller: past LATENCY_MAX_RECORDED samples in a set, or when memory runs
 * out, the sample is dropped (the request still counts where the caller
 * counts it; only its latency is not kept). */
void latency_record(struct latency_samples *s, int64_t latency_ns);

/* Appends a copy of every sample of `from` to `into`. 0, or -1 when memory
 * runs out (then `into` is unchanged). */
int latency_append(struct latency_samples *into, const struct latency_samples *from);

/* Sorts `s` in place and reads its count, p50, p99 and maximum. */
void latency_summarize(struct latency_samples *s, struct latency_summary *out);

/* Frees the samples and zeroes `s`; accepts NULL and a zeroed set. */
void latency_samples_free(struct latency_samples *s);

#endif
