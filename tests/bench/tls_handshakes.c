/* tls_handshakes.c — the load generator of scripts/bench-webserver.sh: N
 * threads, each doing full TLS handshakes back to back (a new TCP connection
 * per request, no session resumption: no session is ever offered), asking for
 * a staple (RFC 6066 8 status_request), sending GET / and reading the whole
 * answer. Then one line of figures. Not part of the test runner.
 *
 * The client is OpenSSL's libssl, not wolfSSL: it is independent of the
 * servers measured (ours is wolfSSL, nginx is OpenSSL, both get the same
 * client) and its P-256 code is fast, which matters on a small machine where
 * the client shares the cores with the server. It offers only the P-256 group,
 * so every server does the same ECDHE as the crypto ceiling, and it does not
 * verify the chain or the staple (the browser's job, measured elsewhere): a
 * staple is counted when one arrives.
 *
 * Build: cc -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pthread \
 *            tests/bench/tls_handshakes.c tests/bench/latency.c \
 *            -o build/bench/tls_handshakes -lssl -lcrypto */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "latency.h"

#define HS_MAX_CONNS 256
#define HS_MAX_CPU_PIDS 64
/* Our page and nginx's default index are a few hundred bytes. */
#define HS_MAX_ANSWER_BYTES 65536
#define HS_MAX_HEAD_BYTES 8192
#define HS_NS_PER_SEC 1000000000LL

enum hs_outcome {
    HS_OK,
    HS_CONNECT,    /* refused or timed out before TCP was up */
    HS_HANDSHAKE,  /* the TLS handshake failed */
    HS_IO,         /* reset, timeout or a malformed answer after the handshake */
    HS_BAD_STATUS, /* an answer, but not HTTP 200 */
};

struct hs_config {
    struct sockaddr_in addr;
    SSL_CTX *ctx;
    const char *sni;
    char request[512];
    size_t request_len;
    int conns;
    bool ask_status;
    int64_t timeout_ms;
    /* Timed mode: measure between these instants. Count mode: stop after
     * `count` handshakes in all (claimed through `claimed`). */
    int64_t measure_from_ns, measure_until_ns;
    uint64_t count;
    uint64_t claimed;
    int cpu_pids[HS_MAX_CPU_PIDS];
    int cpu_pid_count;
};

struct hs_thread {
    pthread_t id;
    struct hs_config *config;
    struct latency_samples latency; /* of the visits measured */
    uint64_t ok, stapled, tls13, answer_bytes;
    uint64_t connect_errors, handshake_errors, io_errors, bad_status;
    unsigned long first_ssl_error; /* for the message on stderr */
    char buf[HS_MAX_ANSWER_BYTES + 1];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * HS_NS_PER_SEC + ts.tv_nsec;
}

static void sleep_until(int64_t when_ns)
{
    for (int64_t left = when_ns - now_ns(); left > 0; left = when_ns - now_ns()) {
        struct timespec pause = {(time_t)(left / HS_NS_PER_SEC), (long)(left % HS_NS_PER_SEC)};
        nanosleep(&pause, NULL);
    }
}

struct hs_cpu {
    double user_seconds, system_seconds;
};

/* CPU time used so far by process `pid`, all its threads, from
 * /proc/PID/stat fields 14 (user) and 15 (system); -1 if it cannot be read. */
static int process_cpu(int pid, struct hs_cpu *out)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    /* The command name (field 2) may hold spaces and parentheses: skip to
     * the last ')'. */
    char *p = strrchr(line, ')');
    if (p == NULL)
        return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    long ticks = sysconf(_SC_CLK_TCK);
    if (ticks <= 0)
        return -1;
    out->user_seconds = (double)utime / (double)ticks;
    out->system_seconds = (double)stime / (double)ticks;
    return 0;
}

/* The sum over --cpu-pids: 0, or -1 when one cannot be read (or none given). */
static int servers_cpu(const struct hs_config *c, struct hs_cpu *sum)
{
    memset(sum, 0, sizeof *sum);
    for (int i = 0; i < c->cpu_pid_count; i++) {
        struct hs_cpu one;
        if (process_cpu(c->cpu_pids[i], &one) != 0)
            return -1;
        sum->user_seconds += one.user_seconds;
        sum->system_seconds += one.system_seconds;
    }
    return c->cpu_pid_count > 0 ? 0 : -1;
}

static double self_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Reads one HTTP/1.1 answer: the head, then Content-Length bytes of body (or
 * up to the close when there is none). Returns HS_OK, HS_BAD_STATUS or HS_IO. */
static enum hs_outcome read_answer(struct hs_thread *t, SSL *ssl, size_t *answer_len)
{
    size_t have = 0, head_len = 0;
    long content_length = -1;
    int status = 0;
    for (;;) {
        if (head_len > 0 && content_length >= 0 && have >= head_len + (size_t)content_length)
            break;
        if (have == HS_MAX_ANSWER_BYTES)
            return HS_IO;
        int n = SSL_read(ssl, t->buf + have, (int)(HS_MAX_ANSWER_BYTES - have));
        if (n <= 0) {
            /* A close after a head without Content-Length ends the body. */
            if (head_len > 0 && content_length < 0)
                break;
            return HS_IO;
        }
        have += (size_t)n;
        t->buf[have] = 0;
        if (head_len == 0) {
            char *blank = strstr(t->buf, "\r\n\r\n");
            if (blank == NULL) {
                if (have >= HS_MAX_HEAD_BYTES)
                    return HS_IO;
                continue;
            }
            head_len = (size_t)(blank - t->buf) + 4;
            if (sscanf(t->buf, "HTTP/1.%*d %d", &status) != 1)
                return HS_IO;
            for (char *line = strstr(t->buf, "\r\n"); line != NULL && line < blank;
                 line = strstr(line + 2, "\r\n")) {
                if (strncasecmp(line + 2, "Content-Length:", 15) == 0) {
                    char *end = NULL;
                    content_length = strtol(line + 17, &end, 10);
                    if (end == line + 17 || content_length < 0 ||
                        content_length > HS_MAX_ANSWER_BYTES)
                        return HS_IO;
                }
            }
        }
    }
    *answer_len = have;
    return status == 200 ? HS_OK : HS_BAD_STATUS;
}

/* One visit: connect, full handshake, GET /, the whole answer, close. */
static enum hs_outcome one_visit(struct hs_thread *t, size_t *answer_len, bool *is_stapled,
                                 bool *is_tls13)
{
    const struct hs_config *c = t->config;
    enum hs_outcome rc = HS_CONNECT;
    SSL *ssl = NULL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return HS_CONNECT;
    /* Blocking I/O with a timeout on every send and receive (connect too). */
    struct timeval tv = {(time_t)(c->timeout_ms / 1000), (long)(c->timeout_ms % 1000) * 1000};
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        connect(fd, (const struct sockaddr *)&c->addr, sizeof c->addr) != 0)
        goto out;
    rc = HS_HANDSHAKE;
    if ((ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
        SSL_set_tlsext_host_name(ssl, c->sni) != 1)
        goto out;
    if (c->ask_status && SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp) != 1)
        goto out;
    if (SSL_connect(ssl) != 1) {
        if (t->first_ssl_error == 0)
            t->first_ssl_error = ERR_peek_last_error();
        goto out;
    }
    const unsigned char *staple = NULL;
    *is_stapled = SSL_get_tlsext_status_ocsp_resp(ssl, &staple) > 0 && staple != NULL;
    *is_tls13 = SSL_version(ssl) == TLS1_3_VERSION;
    rc = HS_IO;
    if (SSL_write(ssl, c->request, (int)c->request_len) != (int)c->request_len)
        goto out;
    rc = read_answer(t, ssl, answer_len);
out:
    SSL_free(ssl);
    ERR_clear_error();
    close(fd);
    return rc;
}

static void *run_thread(void *arg)
{
    struct hs_thread *t = arg;
    struct hs_config *c = t->config;
    int64_t backoff_ns = 1000000; /* after a failed connect: 1 ms, doubling to 64 ms */
    for (;;) {
        int64_t started = now_ns();
        if (c->count > 0) {
            if (__atomic_fetch_add(&c->claimed, 1, __ATOMIC_RELAXED) >= c->count)
                break;
        } else if (started >= c->measure_until_ns) {
            break;
        }
        size_t answer_len = 0;
        bool is_stapled = false, is_tls13 = false;
        enum hs_outcome rc = one_visit(t, &answer_len, &is_stapled, &is_tls13);
        int64_t done = now_ns();
        bool is_measured =
            c->count > 0 || (done >= c->measure_from_ns && done < c->measure_until_ns);
        /* Errors count from the first visit (warm-up included). */
        switch (rc) {
        case HS_OK:
            backoff_ns = 1000000;
            if (is_measured) {
                t->ok++;
                t->stapled += is_stapled;
                t->tls13 += is_tls13;
                t->answer_bytes += answer_len;
                latency_record(&t->latency, done - started);
            }
            continue;
        case HS_CONNECT:
            t->connect_errors++;
            break;
        case HS_HANDSHAKE:
            t->handshake_errors++;
            break;
        case HS_BAD_STATUS:
            t->bad_status++;
            break;
        default:
            t->io_errors++;
            break;
        }
        if (rc == HS_CONNECT) {
            /* Do not spin against a server that is down. */
            struct timespec pause = {0, (long)backoff_ns};
            nanosleep(&pause, NULL);
            if (backoff_ns < 64000000)
                backoff_ns *= 2;
        }
    }
    return NULL;
}

static int parse_pids(const char *text, struct hs_config *c)
{
    char *end = NULL;
    const char *p = text;
    while (*p != 0) {
        long pid = strtol(p, &end, 10);
        if (end == p || pid < 1 || pid > 4194304 || c->cpu_pid_count == HS_MAX_CPU_PIDS)
            return -1;
        c->cpu_pids[c->cpu_pid_count++] = (int)pid;
        p = end;
        if (*p == ',')
            p++;
        else if (*p != 0)
            return -1;
    }
    return c->cpu_pid_count > 0 ? 0 : -1;
}

static const char usage_text[] =
    "usage: tls_handshakes --port N [--host 127.0.0.1] [--sni shop.test] [--conns 1]\n"
    "                      [--seconds 3] [--warmup 0.5] [--count N] [--tls 1.2|1.3|any]\n"
    "                      [--status on|off] [--timeout-ms 2000] [--cpu-pids PID,...]\n"
    "\n"
    "--conns threads, each visiting https://SNI/ back to back: a new TCP connection,\n"
    "a full TLS handshake (P-256 ECDHE only, no session offered, so never resumed),\n"
    "status_request asked for (unless --status off), GET / with Connection: close,\n"
    "the whole answer read (HTTP 200 required), then close. The chain is not\n"
    "verified. Handshakes/s and latencies (connect to last byte) cover --seconds\n"
    "after --warmup; errors count from the start. --count N does exactly N visits\n"
    "instead, all measured. --cpu-pids: the server processes whose CPU time\n"
    "(from /proc) is read at the start and end of the measured time.\n"
    "\n"
    "Prints one line: hps= p50_us= p99_us= errors= handshakes= stapled= tls13= ...\n"
    "server_cpu_us_per_hs= (user + system) server_sys_us_per_hs= client_cpu_us_per_hs=\n"
    "exit status: 0 measured (errors are reported, not failed), 2 usage or setup\n";

static int parse_args(int argc, char **argv, struct hs_config *c, double *seconds, double *warmup,
                      const char **tls)
{
    const char *host = "127.0.0.1", *status = "on";
    long port = -1, timeout_ms = 2000, count = 0;
    c->sni = "shop.test";
    c->conns = 1;
    *seconds = 3;
    *warmup = 0.5;
    *tls = "any";
    /* Every option but --help takes a value. */
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (v == NULL) {
            fprintf(stderr, "tls_handshakes: %s needs a value (see --help)\n", a);
            return -1;
        }
        if (strcmp(a, "--host") == 0)
            host = v;
        else if (strcmp(a, "--port") == 0)
            port = strtol(v, NULL, 10);
        else if (strcmp(a, "--sni") == 0)
            c->sni = v;
        else if (strcmp(a, "--conns") == 0)
            c->conns = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--seconds") == 0)
            *seconds = strtod(v, NULL);
        else if (strcmp(a, "--warmup") == 0)
            *warmup = strtod(v, NULL);
        else if (strcmp(a, "--count") == 0)
            count = strtol(v, NULL, 10);
        else if (strcmp(a, "--tls") == 0)
            *tls = v;
        else if (strcmp(a, "--status") == 0)
            status = v;
        else if (strcmp(a, "--timeout-ms") == 0)
            timeout_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--cpu-pids") == 0) {
            if (parse_pids(v, c) != 0) {
                fprintf(stderr, "tls_handshakes: --cpu-pids wants PID[,PID...] (at most %d)\n",
                        HS_MAX_CPU_PIDS);
                return -1;
            }
        } else {
            fprintf(stderr, "tls_handshakes: unknown option '%s' (see --help)\n", a);
            return -1;
        }
    }
    bool is_tls_ok =
        strcmp(*tls, "1.2") == 0 || strcmp(*tls, "1.3") == 0 || strcmp(*tls, "any") == 0;
    bool is_status_ok = strcmp(status, "on") == 0 || strcmp(status, "off") == 0;
    if (port < 1 || port > 65535 || c->conns < 1 || c->conns > HS_MAX_CONNS ||
        !(*seconds > 0 && *seconds <= 600) || !(*warmup >= 0 && *warmup <= 60) || count < 0 ||
        count > 100000000 || timeout_ms < 1 || timeout_ms > 60000 || !is_tls_ok || !is_status_ok ||
        strlen(c->sni) == 0 || strlen(c->sni) > 253) {
        fprintf(stderr,
                "tls_handshakes: need --port 1-65535, --conns 1-%d, --seconds (0,600], "
                "--warmup [0,60], --count 0-100000000, --timeout-ms 1-60000, "
                "--tls 1.2|1.3|any, --status on|off, a --sni name (see --help)\n",
                HS_MAX_CONNS);
        return -1;
    }
    memset(&c->addr, 0, sizeof c->addr);
    c->addr.sin_family = AF_INET;
    c->addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &c->addr.sin_addr) != 1) {
        fprintf(stderr, "tls_handshakes: --host must be an IPv4 address, not '%s'\n", host);
        return -1;
    }
    c->ask_status = strcmp(status, "on") == 0;
    c->timeout_ms = timeout_ms;
    c->count = (uint64_t)count;
    int n = snprintf(c->request, sizeof c->request,
                     "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: tls-handshakes/1\r\n"
                     "Connection: close\r\n\r\n",
                     c->sni);
    if (n < 0 || (size_t)n >= sizeof c->request)
        return -1;
    c->request_len = (size_t)n;
    return 0;
}

static SSL_CTX *make_ctx(const char *tls)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    int min = strcmp(tls, "1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;
    int max = strcmp(tls, "1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
    /* The servers close without close_notify after "Connection: close"
     * answers; the body is delimited by Content-Length anyway. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (SSL_CTX_set_min_proto_version(ctx, min) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, max) != 1 ||
        SSL_CTX_set1_groups_list(ctx, "P-256") != 1 ||
        SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512") != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int main(int argc, char **argv)
{
    static struct hs_config config;
    static struct hs_thread threads[HS_MAX_CONNS];
    double seconds, warmup;
    const char *tls;
    int rc = 2, started = 0;
    struct latency_samples all_latency = {0};

    signal(SIGPIPE, SIG_IGN);
    if (parse_args(argc, argv, &config, &seconds, &warmup, &tls) != 0)
        return 2;
    if ((config.ctx = make_ctx(tls)) == NULL) {
        fprintf(stderr,
                "tls_handshakes: cannot set up an OpenSSL client context (P-256, "
                "TLS %s)\n",
                tls);
        return 2;
    }
    /* CPU time of the servers and of this client over the measured window:
     * from the start in count mode, after the warm-up in timed mode. */
    struct hs_cpu server_start, server_end;
    int server_rc = 0;
    double client_cpu_start = 0;
    int64_t start = now_ns(), window_start = start, window_end;
    config.measure_from_ns =
        config.count > 0 ? start : start + (int64_t)(warmup * (double)HS_NS_PER_SEC);
    config.measure_until_ns = config.measure_from_ns + (int64_t)(seconds * (double)HS_NS_PER_SEC);
    if (config.count > 0) {
        server_rc = servers_cpu(&config, &server_start);
        client_cpu_start = self_cpu_seconds();
    }
    for (; started < config.conns; started++) {
        threads[started].config = &config;
        if (pthread_create(&threads[started].id, NULL, run_thread, &threads[started]) != 0) {
            fprintf(stderr, "tls_handshakes: cannot start thread %d\n", started + 1);
            break;
        }
    }
    if (config.count == 0) {
        sleep_until(config.measure_from_ns);
        window_start = now_ns();
        server_rc = servers_cpu(&config, &server_start);
        client_cpu_start = self_cpu_seconds();
        sleep_until(config.measure_until_ns);
    } else {
        for (int i = 0; i < started; i++)
            pthread_join(threads[i].id, NULL);
    }
    window_end = now_ns();
    if (server_rc == 0)
        server_rc = servers_cpu(&config, &server_end);
    double client_cpu = self_cpu_seconds() - client_cpu_start;
    if (config.count == 0)
        for (int i = 0; i < started; i++)
            pthread_join(threads[i].id, NULL);
    if (started < config.conns)
        goto out;

    uint64_t ok = 0, stapled = 0, tls13 = 0, bytes = 0, connect_errors = 0, handshake_errors = 0,
             io = 0, bad_status = 0;
    unsigned long ssl_error = 0;
    for (int i = 0; i < config.conns; i++) {
        const struct hs_thread *t = &threads[i];
        ok += t->ok;
        stapled += t->stapled;
        tls13 += t->tls13;
        bytes += t->answer_bytes;
        connect_errors += t->connect_errors;
        handshake_errors += t->handshake_errors;
        io += t->io_errors;
        bad_status += t->bad_status;
        if (ssl_error == 0)
            ssl_error = t->first_ssl_error;
    }
    if (ssl_error != 0) {
        char text[256];
        ERR_error_string_n(ssl_error, text, sizeof text);
        fprintf(stderr, "tls_handshakes: first handshake failure: %s\n", text);
    }
    for (int i = 0; i < config.conns; i++) {
        if (latency_append(&all_latency, &threads[i].latency) != 0) {
            fprintf(stderr,
                    "tls_handshakes: out of memory merging the latency samples of %d "
                    "threads\n",
                    config.conns);
            goto out;
        }
    }
    struct latency_summary latency;
    latency_summarize(&all_latency, &latency);
    double window = config.count > 0 ? (double)(window_end - window_start) / 1e9 : seconds;
    /* Server CPU per handshake: the server's work per visit, whatever share
     * of the cores the client and other processes took meanwhile (-1 when
     * there is no --cpu-pids or /proc could not be read). */
    double server_user = -1, server_system = -1, server_us = -1, server_system_us = -1;
    if (server_rc == 0) {
        server_user = server_end.user_seconds - server_start.user_seconds;
        server_system = server_end.system_seconds - server_start.system_seconds;
        if (ok > 0) {
            server_us = (server_user + server_system) * 1e6 / (double)ok;
            server_system_us = server_system * 1e6 / (double)ok;
        }
    }
    printf("hps=%.0f p50_us=%u p99_us=%u errors=%llu handshakes=%llu stapled=%llu tls13=%llu "
           "bytes=%llu seconds=%.2f server_cpu_s=%.2f server_cpu_us_per_hs=%.1f "
           "server_sys_us_per_hs=%.1f client_cpu_s=%.2f client_cpu_us_per_hs=%.1f "
           "connect_errors=%llu handshake_errors=%llu io=%llu bad_status=%llu\n",
           (double)ok / window, latency.p50_us, latency.p99_us,
           (unsigned long long)(connect_errors + handshake_errors + io + bad_status),
           (unsigned long long)ok, (unsigned long long)stapled, (unsigned long long)tls13,
           (unsigned long long)(ok > 0 ? bytes / ok : 0), window,
           server_rc == 0 ? server_user + server_system : -1, server_us, server_system_us,
           client_cpu, ok > 0 ? client_cpu * 1e6 / (double)ok : -1,
           (unsigned long long)connect_errors, (unsigned long long)handshake_errors,
           (unsigned long long)io, (unsigned long long)bad_status);
    rc = 0;
out:
    latency_samples_free(&all_latency);
    for (int i = 0; i < config.conns; i++)
        latency_samples_free(&threads[i].latency);
    SSL_CTX_free(config.ctx);
    return rc;
}
