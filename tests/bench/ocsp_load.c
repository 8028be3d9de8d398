/* ocsp_load.c — the load generator of scripts/bench-responder.sh: N
 * connections, each sending the same OCSP request (RFC 6960 A.1: POST of the
 * DER, or GET of its url-encoded base64, RFC 5019 5) back to back for a fixed
 * time, then one line of figures. Not part of the test runner.
 *
 * Build: cc -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pthread \
 *            tests/bench/ocsp_load.c tests/bench/latency.c -o build/bench/ocsp_load */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "latency.h"

/* An OCSP request naming one certificate is ~100 bytes; 16 KiB is the
 * responder's own limit (RESPONDER_MAX_REQUEST_BYTES). */
#define LOAD_MAX_REQUEST_BYTES 16384
#define LOAD_MAX_WIRE_BYTES (3 * LOAD_MAX_REQUEST_BYTES)
#define LOAD_MAX_HEAD_BYTES 8192
/* A response with a few certificates fits; anything larger is an error. */
#define LOAD_MAX_RESPONSE_BYTES 65536
#define LOAD_MAX_CONNS 256
#define LOAD_NS_PER_SEC 1000000000LL

enum load_outcome {
    LOAD_OK,
    LOAD_RETRY,      /* a kept-alive connection was closed before the answer began */
    LOAD_TIMEOUT,    /* no complete answer within the per-request timeout */
    LOAD_BAD_STATUS, /* an answer, but not HTTP 200 */
    LOAD_BAD_BODY,   /* 200, but the body is not a successful OCSPResponse */
    LOAD_IO,         /* refused, reset or a malformed HTTP answer */
};

struct load_config {
    struct sockaddr_in addr;
    char wire[LOAD_MAX_WIRE_BYTES]; /* the whole HTTP request, sent as is each time */
    size_t wire_len;
    int conns;
    int64_t start_ns, measure_from_ns, measure_until_ns, timeout_ns;
    bool is_ocsp_check; /* check the body is a successful OCSPResponse */
};

struct load_thread {
    pthread_t id;
    const struct load_config *config;
    int fd;
    bool is_reused;                 /* fd has carried at least one answer already */
    struct latency_samples latency; /* of the answers in the measured window */
    uint64_t ok, connects, timeouts, bad_status, bad_body, io_errors;
    uint64_t body_bytes;
    char buf[LOAD_MAX_RESPONSE_BYTES];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * LOAD_NS_PER_SEC + ts.tv_nsec;
}

/* Waits until fd is ready for `events` or the deadline passes: 0 ready,
 * -1 timed out or failed. */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
    for (;;) {
        int64_t left_ns = deadline_ns - now_ns();
        if (left_ns <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = events};
        int ms = (int)((left_ns + 999999) / 1000000);
        int n = poll(&p, 1, ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static void close_connection(struct load_thread *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->is_reused = false;
}

static enum load_outcome open_connection(struct load_thread *t, int64_t deadline_ns)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return LOAD_IO;
    /* Requests and answers are small single writes: do not let Nagle hold them. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int64_t now = now_ns();
    if (now >= t->config->measure_from_ns && now < t->config->measure_until_ns)
        t->connects++; /* like requests/s: the measured window only */
    if (connect(fd, (const struct sockaddr *)&t->config->addr, sizeof t->config->addr) != 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return LOAD_IO;
        }
        if (wait_fd(fd, POLLOUT, deadline_ns) != 0) {
            close(fd);
            return LOAD_TIMEOUT;
        }
        int so_error = 0;
        socklen_t len = sizeof so_error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
            close(fd);
            return LOAD_IO;
        }
    }
    t->fd = fd;
    t->is_reused = false;
    return LOAD_OK;
}

/* Case-insensitive search for a header line start ("\r\nName:") in the head. */
static const char *find_header(const char *head, size_t head_len, const char *name)
{
    size_t name_len = strlen(name);
    for (size_t i = 0; i + 2 + name_len < head_len; i++) {
        if (head[i] == '\r' && head[i + 1] == '\n' &&
            strncasecmp(head + i + 2, name, name_len) == 0) {
            const char *v = head + i + 2 + name_len;
            while (*v == ' ' || *v == '\t')
                v++;
            return v;
        }
    }
    return NULL;
}

struct load_head {
    size_t head_len; /* through the blank line */
    int status;
    long content_length; /* -1: none, the body ends when the server closes */
    bool is_keep_alive;
};

/* Parses the status line and the two headers that frame the answer. The head
 * is NUL-terminated by the caller within buf. 0 ok, -1 malformed. */
static int parse_head(const char *buf, size_t head_len, struct load_head *h)
{
    int minor = 0, status = 0;
    if (sscanf(buf, "HTTP/1.%d %3d", &minor, &status) != 2 || status < 100 || status > 599)
        return -1;
    h->head_len = head_len;
    h->status = status;
    /* RFC 9112 9.3: 1.1 keeps the connection unless told to close; 1.0 only
     * when told to keep it. */
    h->is_keep_alive = minor >= 1;
    const char *conn = find_header(buf, head_len, "Connection:");
    if (conn != NULL) {
        if (strncasecmp(conn, "close", 5) == 0)
            h->is_keep_alive = false;
        else if (strncasecmp(conn, "keep-alive", 10) == 0)
            h->is_keep_alive = true;
    }
    h->content_length = -1;
    const char *cl = find_header(buf, head_len, "Content-Length:");
    if (cl != NULL) {
        char *end = NULL;
        long n = strtol(cl, &end, 10);
        if (end == cl || n < 0 || n > LOAD_MAX_RESPONSE_BYTES)
            return -1;
        h->content_length = n;
    }
    return 0;
}

/* RFC 6960 4.2.1: OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, ... }
 * and successful(0) is the only status a healthy responder sends here. The
 * outer length must cover the body exactly. */
static bool is_successful_ocsp_response(const uint8_t *b, size_t len)
{
    size_t off, inner;
    if (len < 5 || b[0] != 0x30)
        return false;
    if (b[1] < 0x80) {
        inner = b[1];
        off = 2;
    } else if (b[1] == 0x81) {
        inner = b[2];
        off = 3;
    } else if (b[1] == 0x82) {
        inner = (size_t)b[2] << 8 | b[3];
        off = 4;
    } else {
        return false;
    }
    if (off + inner != len || inner < 3)
        return false;
    return b[off] == 0x0a && b[off + 1] == 0x01 && b[off + 2] == 0x00;
}

/* One request and its answer on t's connection (opened if needed). */
static enum load_outcome one_request(struct load_thread *t, int64_t deadline_ns, size_t *body_len)
{
    const struct load_config *c = t->config;
    if (t->fd < 0) {
        enum load_outcome rc = open_connection(t, deadline_ns);
        if (rc != LOAD_OK)
            return rc;
    }
    for (size_t sent = 0; sent < c->wire_len;) {
        ssize_t n = send(t->fd, c->wire + sent, c->wire_len - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(t->fd, POLLOUT, deadline_ns) != 0)
                return LOAD_TIMEOUT;
        } else {
            return t->is_reused && sent == 0 ? LOAD_RETRY : LOAD_IO;
        }
    }

    size_t have = 0;
    struct load_head head = {0};
    bool has_head = false;
    for (;;) {
        if (has_head && head.content_length >= 0 &&
            have >= head.head_len + (size_t)head.content_length)
            break;
        if (have == sizeof t->buf - 1)
            return LOAD_IO; /* larger than any answer we accept */
        ssize_t n = recv(t->fd, t->buf + have, sizeof t->buf - 1 - have, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                if (wait_fd(t->fd, POLLIN, deadline_ns) != 0)
                    return LOAD_TIMEOUT;
                continue;
            }
            /* A reset before any byte of the answer on a kept-alive
             * connection: the server had already closed it. */
            return t->is_reused && have == 0 ? LOAD_RETRY : LOAD_IO;
        }
        if (n == 0) {
            if (t->is_reused && have == 0)
                return LOAD_RETRY;
            if (has_head && head.content_length < 0)
                break; /* body delimited by the close (HTTP/1.0 style) */
            return LOAD_IO;
        }
        have += (size_t)n;
        t->buf[have] = 0;
        if (!has_head) {
            size_t scan = have < LOAD_MAX_HEAD_BYTES ? have : LOAD_MAX_HEAD_BYTES;
            const char *blank = NULL;
            for (size_t i = 0; i + 3 < scan; i++) {
                if (memcmp(t->buf + i, "\r\n\r\n", 4) == 0) {
                    blank = t->buf + i;
                    break;
                }
            }
            if (blank == NULL) {
                if (have >= LOAD_MAX_HEAD_BYTES)
                    return LOAD_IO;
                continue;
            }
            if (parse_head(t->buf, (size_t)(blank - t->buf) + 4, &head) != 0)
                return LOAD_IO;
            has_head = true;
            if (head.content_length < 0)
                head.is_keep_alive = false; /* only the close can end the body */
        }
    }
    size_t len = have - head.head_len;
    /* We never pipeline, so bytes beyond the body are a framing error. */
    if (head.content_length >= 0 && len != (size_t)head.content_length)
        return LOAD_IO;
    t->is_reused = true;
    if (!head.is_keep_alive)
        close_connection(t);
    *body_len = len;
    if (head.status != 200)
        return LOAD_BAD_STATUS;
    if (len == 0 || (c->is_ocsp_check &&
                     !is_successful_ocsp_response((const uint8_t *)t->buf + head.head_len, len)))
        return LOAD_BAD_BODY;
    return LOAD_OK;
}

static void *run_connection(void *arg)
{
    struct load_thread *t = arg;
    const struct load_config *c = t->config;
    int64_t backoff_ns = 1000000; /* after a failed connect: 1 ms, doubling to 64 ms */
    t->fd = -1;
    for (;;) {
        int64_t started = now_ns();
        if (started >= c->measure_until_ns)
            break;
        size_t body_len = 0;
        enum load_outcome rc = one_request(t, started + c->timeout_ns, &body_len);
        if (rc == LOAD_RETRY) {
            /* Not an error: the server closed an idle kept-alive connection
             * (its keep-alive limit); ask again once on a fresh one, and let
             * the latency include the reconnect, as a real client's would. */
            close_connection(t);
            rc = one_request(t, started + c->timeout_ns, &body_len);
            if (rc == LOAD_RETRY)
                rc = LOAD_IO;
        }
        int64_t done = now_ns();
        /* Errors count from the first request (warm-up included), so a server
         * that stumbles while warming up does not look clean. */
        switch (rc) {
        case LOAD_OK:
            backoff_ns = 1000000;
            if (done >= c->measure_from_ns && done < c->measure_until_ns) {
                t->ok++;
                t->body_bytes += body_len;
                latency_record(&t->latency, done - started);
            }
            continue;
        case LOAD_TIMEOUT:
            t->timeouts++;
            break;
        case LOAD_BAD_STATUS:
            t->bad_status++;
            break;
        case LOAD_BAD_BODY:
            t->bad_body++;
            break;
        default:
            t->io_errors++;
            break;
        }
        close_connection(t);
        if (rc == LOAD_IO || rc == LOAD_TIMEOUT) {
            /* Refused or reset: do not spin against a server that is down. */
            struct timespec pause = {0, (long)backoff_ns};
            nanosleep(&pause, NULL);
            if (backoff_ns < 64000000)
                backoff_ns *= 2;
        }
    }
    close_connection(t);
    return NULL;
}

/* RFC 5019 5: the GET path is the base64 of the DER, url-encoded; '+', '/'
 * and '=' are escaped so no server can mistake them for path syntax. */
static int url_base64(const uint8_t *in, size_t len, char *out, size_t cap)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        char quad[4] = {alphabet[v >> 18 & 63], alphabet[v >> 12 & 63],
                        i + 1 < len ? alphabet[v >> 6 & 63] : '=',
                        i + 2 < len ? alphabet[v & 63] : '='};
        for (size_t k = 0; k < 4; k++) {
            const char *esc = quad[k] == '+'   ? "%2B"
                              : quad[k] == '/' ? "%2F"
                              : quad[k] == '=' ? "%3D"
                                               : NULL;
            size_t need = esc != NULL ? 3 : 1;
            if (n + need >= cap)
                return -1;
            if (esc != NULL)
                memcpy(out + n, esc, 3);
            else
                out[n] = quad[k];
            n += need;
        }
    }
    out[n] = 0;
    return 0;
}

static int read_request_file(const char *path, uint8_t *out, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t n = fread(out, 1, cap, f);
    int rc = (ferror(f) || n == 0 || n == cap) ? -1 : 0; /* n == cap: too large */
    fclose(f);
    *len = n;
    return rc;
}

static const char usage_text[] =
    "usage: ocsp_load --port N --request FILE [--host 127.0.0.1] [--method GET|POST]\n"
    "                 [--path /PATH] [--conns 1] [--seconds 3] [--warmup 0.5]\n"
    "                 [--timeout-ms 2000] [--no-ocsp-check]\n"
    "\n"
    "Sends the OCSP request in FILE (DER) over --conns keep-alive connections, one\n"
    "thread each, back to back: POST / with the DER, or GET /<url-encoded base64>\n"
    "(--path replaces the GET path, e.g. a static file). A connection the server\n"
    "closes is reopened (counted in connects, not errors). Every answer must be\n"
    "HTTP 200 with a complete body that is a successful OCSPResponse; anything\n"
    "else, or no answer within --timeout-ms, is an error (counted from the start,\n"
    "warm-up included). Requests/s, latencies and connects cover --seconds after\n"
    "--warmup.\n"
    "\n"
    "Prints one line: rps= p50_us= p99_us= errors= requests= connects= bytes= ...\n"
    "exit status: 0 measured (errors are reported, not failed), 2 usage or setup\n";

static int parse_args(int argc, char **argv, struct load_config *c)
{
    const char *host = "127.0.0.1", *method = "POST", *path = NULL, *request_path = NULL;
    long port = -1;
    double seconds = 3, warmup = 0.5;
    long timeout_ms = 2000;
    c->conns = 1;
    c->is_ocsp_check = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes_value = true;
        if (strcmp(a, "--no-ocsp-check") == 0) {
            c->is_ocsp_check = false;
            takes_value = false;
        } else if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        } else if (v == NULL) {
            fprintf(stderr, "ocsp_load: %s needs a value (see --help)\n", a);
            return -1;
        } else if (strcmp(a, "--host") == 0) {
            host = v;
        } else if (strcmp(a, "--port") == 0) {
            port = strtol(v, NULL, 10);
        } else if (strcmp(a, "--method") == 0) {
            method = v;
        } else if (strcmp(a, "--path") == 0) {
            path = v;
        } else if (strcmp(a, "--request") == 0) {
            request_path = v;
        } else if (strcmp(a, "--conns") == 0) {
            c->conns = (int)strtol(v, NULL, 10);
        } else if (strcmp(a, "--seconds") == 0) {
            seconds = strtod(v, NULL);
        } else if (strcmp(a, "--warmup") == 0) {
            warmup = strtod(v, NULL);
        } else if (strcmp(a, "--timeout-ms") == 0) {
            timeout_ms = strtol(v, NULL, 10);
        } else {
            fprintf(stderr, "ocsp_load: unknown option '%s' (see --help)\n", a);
            return -1;
        }
        if (takes_value)
            i++;
    }
    bool is_get = strcmp(method, "GET") == 0;
    if (port < 1 || port > 65535 || request_path == NULL ||
        (!is_get && strcmp(method, "POST") != 0) || c->conns < 1 || c->conns > LOAD_MAX_CONNS ||
        !(seconds > 0 && seconds <= 600) || !(warmup >= 0 && warmup <= 60) || timeout_ms < 1 ||
        timeout_ms > 60000) {
        fprintf(stderr,
                "ocsp_load: need --port 1-65535, --request FILE, --method GET|POST, "
                "--conns 1-%d, --seconds (0,600], --warmup [0,60], "
                "--timeout-ms 1-60000 (see --help)\n",
                LOAD_MAX_CONNS);
        return -1;
    }
    memset(&c->addr, 0, sizeof c->addr);
    c->addr.sin_family = AF_INET;
    c->addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &c->addr.sin_addr) != 1) {
        fprintf(stderr, "ocsp_load: --host must be an IPv4 address, not '%s'\n", host);
        return -1;
    }

    static uint8_t der[LOAD_MAX_REQUEST_BYTES];
    static char encoded[LOAD_MAX_WIRE_BYTES];
    size_t der_len = 0;
    if (read_request_file(request_path, der, sizeof der, &der_len) != 0) {
        fprintf(stderr,
                "ocsp_load: cannot read an OCSP request (1 to %d bytes of DER) "
                "from %s\n",
                LOAD_MAX_REQUEST_BYTES - 1, request_path);
        return -1;
    }
    int n;
    if (is_get) {
        if (path == NULL) {
            encoded[0] = '/';
            if (url_base64(der, der_len, encoded + 1, sizeof encoded - 1) != 0) {
                fprintf(stderr, "ocsp_load: request too large for a GET path\n");
                return -1;
            }
            path = encoded;
        }
        n = snprintf(c->wire, sizeof c->wire,
                     "GET %s HTTP/1.1\r\nHost: %s:%ld\r\nUser-Agent: ocsp-load/1\r\n"
                     "Connection: keep-alive\r\n\r\n",
                     path, host, port);
    } else {
        n = snprintf(c->wire, sizeof c->wire,
                     "POST %s HTTP/1.1\r\nHost: %s:%ld\r\nUser-Agent: ocsp-load/1\r\n"
                     "Connection: keep-alive\r\nContent-Type: application/ocsp-request\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     path != NULL ? path : "/", host, port, der_len);
    }
    if (n < 0 || (size_t)n + (is_get ? 0 : der_len) > sizeof c->wire) {
        fprintf(stderr, "ocsp_load: request too large\n");
        return -1;
    }
    c->wire_len = (size_t)n;
    if (!is_get) {
        memcpy(c->wire + c->wire_len, der, der_len);
        c->wire_len += der_len;
    }
    c->timeout_ns = (int64_t)timeout_ms * 1000000;
    c->start_ns = now_ns();
    c->measure_from_ns = c->start_ns + (int64_t)(warmup * (double)LOAD_NS_PER_SEC);
    c->measure_until_ns = c->measure_from_ns + (int64_t)(seconds * (double)LOAD_NS_PER_SEC);
    return 0;
}

int main(int argc, char **argv)
{
    static struct load_config config;
    static struct load_thread threads[LOAD_MAX_CONNS];
    int rc = 2, started = 0;
    struct latency_samples all_latency = {0};

    signal(SIGPIPE, SIG_IGN);
    if (parse_args(argc, argv, &config) != 0)
        return 2;
    for (; started < config.conns; started++) {
        threads[started].config = &config;
        if (pthread_create(&threads[started].id, NULL, run_connection, &threads[started]) != 0) {
            fprintf(stderr, "ocsp_load: cannot start thread %d\n", started + 1);
            break;
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i].id, NULL);
    if (started < config.conns)
        goto out;

    uint64_t ok = 0, connects = 0, timeouts = 0, bad_status = 0, bad_body = 0, io = 0;
    uint64_t body_bytes = 0;
    for (int i = 0; i < config.conns; i++) {
        ok += threads[i].ok;
        connects += threads[i].connects;
        timeouts += threads[i].timeouts;
        bad_status += threads[i].bad_status;
        bad_body += threads[i].bad_body;
        io += threads[i].io_errors;
        body_bytes += threads[i].body_bytes;
        if (latency_append(&all_latency, &threads[i].latency) != 0) {
            fprintf(stderr,
                    "ocsp_load: out of memory merging the latency samples of %d "
                    "connections\n",
                    config.conns);
            goto out;
        }
    }
    struct latency_summary latency;
    latency_summarize(&all_latency, &latency);
    double seconds = (double)(config.measure_until_ns - config.measure_from_ns) / 1e9;
    printf("rps=%.0f p50_us=%u p99_us=%u errors=%llu requests=%llu connects=%llu bytes=%llu "
           "max_us=%u timeouts=%llu bad_status=%llu bad_body=%llu io=%llu\n",
           (double)ok / seconds, latency.p50_us, latency.p99_us,
           (unsigned long long)(timeouts + bad_status + bad_body + io), (unsigned long long)ok,
           (unsigned long long)connects, (unsigned long long)(ok > 0 ? body_bytes / ok : 0),
           latency.max_us, (unsigned long long)timeouts, (unsigned long long)bad_status,
           (unsigned long long)bad_body, (unsigned long long)io);
    rc = 0;
out:
    latency_samples_free(&all_latency);
    for (int i = 0; i < config.conns; i++)
        latency_samples_free(&threads[i].latency);
    return rc;
}
