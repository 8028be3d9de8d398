/* verify_rate.c — how many staples per second the browser's verifier checks
 * in-process: ocsp_verify_response (common/ocsp_verify.c, DESIGN section 9:
 * strict parse, signer, signature by wolfCrypt, CertID, dates) in a loop on
 * one real response, on one thread and on N. Each check must accept the staple
 * as good, so a broken setup is not measured as a fast one.
 *
 * Debian's wolfCrypt kept a per-thread cache of precomputed multiples of the
 * points it multiplied often (FP_ECC): after a few checks the CA's key was in
 * it and a check several times cheaper, so "cold" (the cache emptied before
 * every check, as a one-shot `browser verify-staple`) and "warm" differed.
 * The lab's wolfSSL 5.9.2 uses SP math without FP_ECC: both are measured
 * still, and should now agree. Used by scripts/bench-browser.sh; not part of
 * the test runner.
 *
 * Build (scripts/bench-browser.sh does): cc -O2 -std=c11 -D_DEFAULT_SOURCE
 *   -Icommon -Ibuild/deps/wolfssl-5.9.2/include tests/bench/verify_rate.c
 *   build/libocsplab.a build/deps/wolfssl-5.9.2/lib/libwolfssl.a ... */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/wc_port.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "der.h"
#include "errbuf.h"
#include "fileio.h"
#include "ocsp_fetch.h"
#include "ocsp_verify.h"
#include "pem.h"
#include "x509.h"

#define VERIFY_MAX_THREADS 256
#define VERIFY_NS_PER_SEC 1000000000LL

/* What every thread checks: read-only after main() has loaded it. */
struct verify_job {
    const uint8_t *staple;
    size_t staple_len;
    struct ocsp_verify_input input;
    double seconds, warmup;
    bool is_cold; /* empty wolfCrypt's fixed-point cache before every check */
};

struct verify_thread {
    pthread_t id;
    const struct verify_job *job;
    uint64_t checks;
    int64_t measured_ns;
    double cpu_seconds;
    bool was_rejected;
    struct ocsp_verdict rejected; /* the first rejection, for the message */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * VERIFY_NS_PER_SEC + ts.tv_nsec;
}

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run_thread(void *arg)
{
    struct verify_thread *t = arg;
    const struct verify_job *job = t->job;
    struct ocsp_verdict verdict;
    int64_t start = now_ns();
    int64_t measure_from = start + (int64_t)(job->warmup * (double)VERIFY_NS_PER_SEC);
    int64_t measure_until = measure_from + (int64_t)(job->seconds * (double)VERIFY_NS_PER_SEC);
    int64_t now = start;
    double cpu_from = 0;
    bool is_measuring = false;

    while (now < measure_until) {
        if (!is_measuring && now >= measure_from) {
            is_measuring = true;
            measure_from = now;
            cpu_from = thread_cpu_seconds();
        }
#ifdef FP_ECC
        if (job->is_cold)
            wc_ecc_fp_free();
#endif
        if (ocsp_verify_response(job->staple, job->staple_len, &job->input, &verdict) != 0) {
            t->was_rejected = true;
            t->rejected = verdict;
            break;
        }
        if (is_measuring)
            t->checks++;
        now = now_ns();
    }
    if (is_measuring) {
        t->measured_ns = now - measure_from;
        t->cpu_seconds = thread_cpu_seconds() - cpu_from;
    }
#ifdef FP_ECC
    wc_ecc_fp_free(); /* wolfCrypt's per-thread fixed-point cache */
#endif
    return NULL;
}

/* Runs `threads` checkers at once: 0 and the summed rate, or -1. */
static int run(const struct verify_job *job, int threads, double *per_second, double *cpu_us)
{
    static struct verify_thread pool[VERIFY_MAX_THREADS];
    int started = 0, rc = 0;
    uint64_t checks = 0;
    double cpu = 0;
    memset(pool, 0, sizeof pool);
    for (; started < threads; started++) {
        pool[started].job = job;
        if (pthread_create(&pool[started].id, NULL, run_thread, &pool[started]) != 0) {
            fprintf(stderr, "verify_rate: cannot start thread %d\n", started + 1);
            rc = -1;
            break;
        }
    }
    *per_second = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(pool[i].id, NULL);
        if (pool[i].was_rejected) {
            fprintf(stderr, "verify_rate: the verifier rejected the staple (%s): %s\n",
                    ocsp_verdict_reason_name(pool[i].rejected.reason),
                    pool[i].rejected.explanation);
            rc = -1;
        }
        if (pool[i].measured_ns > 0)
            *per_second += (double)pool[i].checks * 1e9 / (double)pool[i].measured_ns;
        checks += pool[i].checks;
        cpu += pool[i].cpu_seconds;
    }
    *cpu_us = checks > 0 ? cpu * 1e6 / (double)checks : 0;
    return rc;
}

static const char usage_text[] =
    "usage: verify_rate --cert FILE --issuer FILE --staple FILE [--at UNIXTIME]\n"
    "                   [--threads N] [--seconds 1.5] [--warmup 0.3]\n"
    "\n"
    "Checks the DER OCSP response in --staple against --cert and its --issuer with\n"
    "ocsp_verify_response in a loop (as the browser checks a staple), on one thread\n"
    "and then on N (default: the online cores). Every check must say 'good'.\n"
    "--at is the time of the checks (default: now, with the lab clock's offset\n"
    "ignored). Then the same on one thread with wolfCrypt's fixed-point cache\n"
    "emptied before every check (a one-shot check's cost).\n"
    "\n"
    "Prints lines: cache=warm threads=1 per_s=... cpu_us=..., ..., cache=cold ...\n"
    "exit status: 0 measured, 2 usage, unreadable files or a rejected staple\n";

int main(int argc, char **argv)
{
    const char *cert_path = NULL, *issuer_path = NULL, *staple_path = NULL, *at_text = NULL;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cores > 0 && cores <= VERIFY_MAX_THREADS ? (int)cores : 1;
    struct verify_job job = {.seconds = 1.5, .warmup = 0.3};
    struct der_buf cert_der = {0}, issuer_der = {0};
    struct x509_cert cert, issuer;
    uint8_t *staple = NULL;
    struct errbuf err = {{0}};
    int rc = 2;

    /* Every option but --help takes a value. */
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (v == NULL) {
            fprintf(stderr, "verify_rate: %s needs a value (see --help)\n", a);
            return 2;
        }
        if (strcmp(a, "--cert") == 0)
            cert_path = v;
        else if (strcmp(a, "--issuer") == 0)
            issuer_path = v;
        else if (strcmp(a, "--staple") == 0)
            staple_path = v;
        else if (strcmp(a, "--at") == 0)
            at_text = v;
        else if (strcmp(a, "--threads") == 0)
            threads = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--seconds") == 0)
            job.seconds = strtod(v, NULL);
        else if (strcmp(a, "--warmup") == 0)
            job.warmup = strtod(v, NULL);
        else {
            fprintf(stderr, "verify_rate: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (cert_path == NULL || issuer_path == NULL || staple_path == NULL || threads < 1 ||
        threads > VERIFY_MAX_THREADS || !(job.seconds > 0 && job.seconds <= 60) ||
        !(job.warmup >= 0 && job.warmup <= 10)) {
        fprintf(stderr,
                "verify_rate: need --cert, --issuer, --staple, --threads 1-%d, "
                "--seconds (0,60], --warmup [0,10] (see --help)\n",
                VERIFY_MAX_THREADS);
        return 2;
    }
    if (wolfCrypt_Init() != 0) {
        fprintf(stderr, "verify_rate: wolfCrypt_Init failed\n");
        return 2;
    }
    if (pem_read_certificate(cert_path, &cert_der, &err) != 0 ||
        x509_parse(&cert, cert_der.data, cert_der.len, &err) != 0 ||
        pem_read_certificate(issuer_path, &issuer_der, &err) != 0 ||
        x509_parse(&issuer, issuer_der.data, issuer_der.len, &err) != 0 ||
        file_read_all(staple_path, OCSP_FETCH_MAX_RESPONSE, &staple, &job.staple_len, &err) != 0) {
        fprintf(stderr, "verify_rate: %s\n", err.msg);
        goto out;
    }
    job.staple = staple;
    job.input.cert = &cert;
    job.input.issuer = &issuer;
    job.input.now = at_text != NULL ? strtoll(at_text, NULL, 10) : clock_now();

    double per_second, cpu_us;
    if (run(&job, 1, &per_second, &cpu_us) != 0)
        goto out;
    printf("cache=warm threads=1 per_s=%.0f cpu_us=%.1f\n", per_second, cpu_us);
    if (threads > 1) {
        if (run(&job, threads, &per_second, &cpu_us) != 0)
            goto out;
        printf("cache=warm threads=%d per_s=%.0f cpu_us=%.1f\n", threads, per_second, cpu_us);
    }
    job.is_cold = true;
    if (run(&job, 1, &per_second, &cpu_us) != 0)
        goto out;
    printf("cache=cold threads=1 per_s=%.0f cpu_us=%.1f\n", per_second, cpu_us);
    rc = 0;
out:
    free(staple);
    der_buf_free(&cert_der);
    der_buf_free(&issuer_der);
    wolfCrypt_Cleanup();
    return rc;
}
