/* crypto_ceiling.c — the ceiling of scripts/bench-webserver.sh: the
 * server-side public-key cryptography of one full ECDHE-ECDSA handshake on
 * P-256 (TLS 1.2 RFC 8422, TLS 1.3 RFC 8446 4.2.8 and 4.4.3), done by the
 * same wolfCrypt the web server links, in a loop, with no TLS around it:
 *   an ephemeral key pair (the server's key share),
 *   the shared secret with the client's share (imported from its x9.63 bytes;
 *   a different share each time, as every client brings a fresh one),
 *   an ECDSA signature with the certificate's key (ServerKeyExchange or
 *   CertificateVerify).
 * A web server can only come close to this rate; how close is what it adds.
 * Not part of the test runner.
 *
 * Build (scripts/bench-webserver.sh does): cc -O2 -std=c11 -D_DEFAULT_SOURCE
 *   -pthread -Ibuild/deps/wolfssl-5.9.2/include tests/bench/crypto_ceiling.c
 *   build/deps/wolfssl-5.9.2/lib/libwolfssl.a -lm -o build/bench/crypto_ceiling */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CEILING_MAX_THREADS 256
#define CEILING_NS_PER_SEC 1000000000LL
#define CEILING_P256_BYTES 32
#define CEILING_P256_X963_BYTES (2 * CEILING_P256_BYTES + 1)
/* Distinct client shares cycled through: far more than the entries of
 * wolfCrypt's per-thread fixed-point cache (FP_ENTRIES, 15 by default), so a
 * share is never fast because it was seen before. */
#define CEILING_PEER_SHARES 256

/* What one loop iteration does: one operation alone, or a whole handshake's. */
enum ceiling_work {
    CEILING_SIGN,
    CEILING_KEYGEN,
    CEILING_ECDH,
    CEILING_HANDSHAKE,
};

struct ceiling_thread {
    pthread_t id;
    enum ceiling_work work;
    int64_t warmup_until_ns, measure_until_ns;
    uint64_t ops; /* iterations completed inside the measured window */
    int64_t measured_ns;
    int error; /* the first wolfCrypt error, 0 if none */
    double cpu_seconds;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * CEILING_NS_PER_SEC + ts.tv_nsec;
}

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One iteration of `work`. The server key is made once per thread (a server
 * has one certificate key); the client's share is the next of a pool. */
static int one_iteration(enum ceiling_work work, WC_RNG *rng, ecc_key *server_key,
                         const uint8_t *peer_x963, word32 peer_len)
{
    uint8_t digest[CEILING_P256_BYTES], signature[ECC_MAX_SIG_SIZE], secret[CEILING_P256_BYTES];
    word32 signature_len = sizeof signature, secret_len = sizeof secret;
    ecc_key ephemeral, peer;
    bool has_ephemeral = false, has_peer = false;
    int rc = 0;

    if (work == CEILING_SIGN || work == CEILING_HANDSHAKE) {
        /* The handshake transcript hash is as good as random to the signer. */
        if ((rc = wc_RNG_GenerateBlock(rng, digest, sizeof digest)) != 0 ||
            (rc = wc_ecc_sign_hash(digest, sizeof digest, signature, &signature_len, rng,
                                   server_key)) != 0)
            goto out;
    }
    if (work == CEILING_KEYGEN || work == CEILING_ECDH || work == CEILING_HANDSHAKE) {
        if ((rc = wc_ecc_init(&ephemeral)) != 0)
            goto out;
        has_ephemeral = true;
        if ((rc = wc_ecc_make_key_ex(rng, CEILING_P256_BYTES, &ephemeral, ECC_SECP256R1)) != 0)
            goto out;
    }
    if (work == CEILING_ECDH || work == CEILING_HANDSHAKE) {
        if ((rc = wc_ecc_init(&peer)) != 0)
            goto out;
        has_peer = true;
        /* ECC_TIMING_RESISTANT builds need an RNG on the private key (blinding). */
        if ((rc = wc_ecc_import_x963_ex(peer_x963, peer_len, &peer, ECC_SECP256R1)) != 0 ||
            (rc = wc_ecc_set_rng(&ephemeral, rng)) != 0 ||
            (rc = wc_ecc_shared_secret(&ephemeral, &peer, secret, &secret_len)) != 0)
            goto out;
    }
out:
    if (has_peer)
        wc_ecc_free(&peer);
    if (has_ephemeral)
        wc_ecc_free(&ephemeral);
    return rc;
}

static void *run_thread(void *arg)
{
    struct ceiling_thread *t = arg;
    WC_RNG rng;
    ecc_key server_key;
    static _Thread_local uint8_t peer_x963[CEILING_PEER_SHARES][CEILING_P256_X963_BYTES];
    word32 peer_len = CEILING_P256_X963_BYTES;
    size_t next_peer = 0;
    bool has_rng = false, has_server = false;

    if ((t->error = wc_InitRng(&rng)) != 0)
        goto out;
    has_rng = true;
    if ((t->error = wc_ecc_init(&server_key)) != 0)
        goto out;
    has_server = true;
    if ((t->error = wc_ecc_make_key_ex(&rng, CEILING_P256_BYTES, &server_key, ECC_SECP256R1)) != 0)
        goto out;
    for (size_t i = 0; i < CEILING_PEER_SHARES; i++) {
        ecc_key client_key;
        word32 len = CEILING_P256_X963_BYTES;
        if ((t->error = wc_ecc_init(&client_key)) != 0)
            goto out;
        t->error = wc_ecc_make_key_ex(&rng, CEILING_P256_BYTES, &client_key, ECC_SECP256R1);
        if (t->error == 0)
            t->error = wc_ecc_export_x963(&client_key, peer_x963[i], &len);
        wc_ecc_free(&client_key);
        if (t->error != 0)
            goto out;
    }

    /* The warm-up brings caches and CPU frequency to where a long-running
     * server worker has them. */
    while (now_ns() < t->warmup_until_ns) {
        next_peer = (next_peer + 1) % CEILING_PEER_SHARES;
        if ((t->error =
                 one_iteration(t->work, &rng, &server_key, peer_x963[next_peer], peer_len)) != 0)
            goto out;
    }
    int64_t started = now_ns();
    double cpu_started = thread_cpu_seconds();
    int64_t now = started;
    while (now < t->measure_until_ns) {
        next_peer = (next_peer + 1) % CEILING_PEER_SHARES;
        if ((t->error =
                 one_iteration(t->work, &rng, &server_key, peer_x963[next_peer], peer_len)) != 0)
            goto out;
        t->ops++;
        now = now_ns();
    }
    t->measured_ns = now - started;
    t->cpu_seconds = thread_cpu_seconds() - cpu_started;
out:
    if (has_server)
        wc_ecc_free(&server_key);
    if (has_rng)
        wc_FreeRng(&rng);
    return NULL;
}

/* Runs `work` on `threads` threads at once; *per_second is the sum of their
 * rates, *cpu_us_per_op the CPU time one iteration took on average. */
static int run(enum ceiling_work work, int threads, double seconds, double warmup,
               double *per_second, double *cpu_us_per_op)
{
    static struct ceiling_thread pool[CEILING_MAX_THREADS];
    int started = 0, rc = 0;
    int64_t start = now_ns();
    memset(pool, 0, sizeof pool);
    for (; started < threads; started++) {
        pool[started].work = work;
        pool[started].warmup_until_ns = start + (int64_t)(warmup * (double)CEILING_NS_PER_SEC);
        pool[started].measure_until_ns =
            pool[started].warmup_until_ns + (int64_t)(seconds * (double)CEILING_NS_PER_SEC);
        if (pthread_create(&pool[started].id, NULL, run_thread, &pool[started]) != 0) {
            fprintf(stderr, "crypto_ceiling: cannot start thread %d\n", started + 1);
            rc = -1;
            break;
        }
    }
    *per_second = 0;
    uint64_t ops = 0;
    double cpu = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(pool[i].id, NULL);
        if (pool[i].error != 0) {
            fprintf(stderr, "crypto_ceiling: wolfCrypt error %d (%s) in thread %d\n", pool[i].error,
                    wc_GetErrorString(pool[i].error), i + 1);
            rc = -1;
        }
        if (pool[i].measured_ns > 0)
            *per_second += (double)pool[i].ops * 1e9 / (double)pool[i].measured_ns;
        ops += pool[i].ops;
        cpu += pool[i].cpu_seconds;
    }
    *cpu_us_per_op = ops > 0 ? cpu * 1e6 / (double)ops : 0;
    return rc;
}

static const char usage_text[] =
    "usage: crypto_ceiling [--threads N] [--seconds 1.5] [--warmup 0.3]\n"
    "\n"
    "The server-side public-key work of one ECDHE-ECDSA P-256 handshake (an\n"
    "ephemeral key, a shared secret, a signature) done by wolfCrypt in a loop:\n"
    "first each operation alone on one thread, then the three together on one\n"
    "thread (per core) and on N threads (default: the online cores).\n"
    "\n"
    "Prints lines of key=value: 'op=sign per_s=…', …, 'op=handshake threads=1\n"
    "per_s=… cpu_us=…', 'op=handshake threads=N per_s=… cpu_us=…'.\n"
    "exit status: 0 measured, 2 usage or a wolfCrypt failure\n";

int main(int argc, char **argv)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cores > 0 && cores <= CEILING_MAX_THREADS ? (int)cores : 1;
    double seconds = 1.5, warmup = 0.3;
    /* Every option but --help takes a value. */
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (v != NULL && strcmp(argv[i], "--threads") == 0) {
            threads = (int)strtol(v, NULL, 10);
        } else if (v != NULL && strcmp(argv[i], "--seconds") == 0) {
            seconds = strtod(v, NULL);
        } else if (v != NULL && strcmp(argv[i], "--warmup") == 0) {
            warmup = strtod(v, NULL);
        } else {
            fprintf(stderr, "crypto_ceiling: unknown option or missing value '%s' (see --help)\n",
                    argv[i]);
            return 2;
        }
    }
    if (threads < 1 || threads > CEILING_MAX_THREADS || !(seconds > 0 && seconds <= 60) ||
        !(warmup >= 0 && warmup <= 10)) {
        fprintf(stderr, "crypto_ceiling: need --threads 1-%d, --seconds (0,60], --warmup [0,10]\n",
                CEILING_MAX_THREADS);
        return 2;
    }
    if (wolfCrypt_Init() != 0) {
        fprintf(stderr, "crypto_ceiling: wolfCrypt_Init failed\n");
        return 2;
    }

    static const struct {
        enum ceiling_work work;
        const char *name;
    } alone[] = {{CEILING_SIGN, "sign"}, {CEILING_KEYGEN, "keygen"}, {CEILING_ECDH, "keygen+ecdh"}};
    int rc = 0;
    double per_second, cpu_us;
    /* Each operation alone gets a third of the time: they explain the total. */
    for (size_t i = 0; i < sizeof alone / sizeof alone[0] && rc == 0; i++) {
        if (run(alone[i].work, 1, seconds / 3, warmup / 3, &per_second, &cpu_us) != 0)
            rc = 2;
        else
            printf("op=%s threads=1 per_s=%.0f cpu_us=%.1f\n", alone[i].name, per_second, cpu_us);
    }
    if (rc == 0 && run(CEILING_HANDSHAKE, 1, seconds, warmup, &per_second, &cpu_us) != 0)
        rc = 2;
    if (rc == 0)
        printf("op=handshake threads=1 per_s=%.0f cpu_us=%.1f\n", per_second, cpu_us);
    if (rc == 0 && threads > 1) {
        if (run(CEILING_HANDSHAKE, threads, seconds, warmup, &per_second, &cpu_us) != 0)
            rc = 2;
        else
            printf("op=handshake threads=%d per_s=%.0f cpu_us=%.1f\n", threads, per_second, cpu_us);
    }
    wolfCrypt_Cleanup();
    return rc;
}
