/* test_webserver_tls.c — the real bin/webserver on loopback with real peers:
 * openssl s_client -status and curl --cert-status see a good staple from the
 * very first handshake; bin/responder and bin/ca change the world underneath
 * it (faults, revocation, a renewed certificate, the simulated clock); hostile,
 * stalled and idle clients; memory over thousands of TLS 1.3 stapled
 * handshakes (under `make asan` LAB_BIN_DIR is the AddressSanitizer build, so
 * LeakSanitizer judges the server's exit); how the program starts, refuses to
 * start and stops. Thousands of handshakes come from a small wolfSSL client in
 * this file; what a function call can check is in tests/test_webserver.c. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "control_token.h"
#include "fileio.h"
#include "lab.h"
#include "proc.h"
#include "curl_run.h"
#include "testutil.h"

#define SITE "shop.test"
#define RUN_TIMEOUT_MS 20000
#define START_TIMEOUT_MS 20000
#define MAX_PROCS 8
/* Simulated seconds: past half of the responder's default 24 h window, and
 * past all of it. */
#define PAST_HALF_LIFE (13 * 3600)
#define PAST_NEXT_UPDATE (25 * 3600)
/* The server's limits (webserver/server.h), as a client sees them. */
#define HANDSHAKE_TIMEOUT_MS 10000
#define KEEPALIVE_TIMEOUT_MS 5000
#define MAX_HEAD_BYTES 8192
#define IDLE_CONNECTIONS 1000

/* ---- scratch space and processes ---------------------------------------------- */

/* Every lab and capture file of a test case lives under one scratch directory
 * that the runner removes after the case (a failing test exits before its
 * own cleanup). */
static void scratch_setup(void)
{
    test_scratch_enter("webserver_tls");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* Programs a test started: the teardown stops them when the test passes; when
 * it fails they die with it (proc.h: PR_SET_PDEATHSIG). */
static struct proc procs[MAX_PROCS];
static size_t proc_count;

static void case_setup(void)
{
    for (size_t i = 0; i < MAX_PROCS; i++)
        procs[i] = (struct proc)PROC_INIT;
    proc_count = 0;
    ck_assert_int_eq(wolfSSL_Init(), WOLFSSL_SUCCESS);
    signal(SIGPIPE, SIG_IGN);
}

static void case_teardown(void)
{
    for (size_t i = 0; i < proc_count; i++)
        proc_free(&procs[i]);
    proc_count = 0;
    wolfSSL_Cleanup();
}

static struct proc *start_proc(const char *const argv[])
{
    ck_assert_uint_lt(proc_count, MAX_PROCS);
    struct proc *p = &procs[proc_count++];
    ck_assert_msg(proc_start(p, argv) == 0, "cannot start %s", argv[0]);
    return p;
}

/* `make asan` runs this suite against build/asan/bin: slower, and RSS there
 * measures the sanitizer's quarantine, not the server. */
static bool is_asan_build(void)
{
    return strstr(LAB_BIN_DIR, "asan") != NULL;
}

static void lab_path(char *out, const char *lab, const char *rel)
{
    ck_assert_msg(file_path_join(out, LAB_PATH_MAX, lab, rel) == 0, "path too long: %s", rel);
}

static void run_argv(struct test_run *run, const char *const argv[])
{
    ck_assert_int_eq(test_run(run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run->timed_out, "%s %s timed out", argv[0], argv[1] != NULL ? argv[1] : "");
}

/* bin/ca ARGS... --lab LAB (NULL-terminated); exit 0 or the test fails;
 * returns its stdout (caller frees). */
#define ca_run(lab, ...) test_ca_ok(RUN_TIMEOUT_MS, lab, __VA_ARGS__)

/* `ca issue shop.test --ocsp-url URL`; the new serial (hex) into `serial`. */
static void issue_site(const char *lab, const char *ocsp_url, char serial[64])
{
    char *out = ca_run(lab, "issue", SITE, "--ocsp-url", ocsp_url, NULL);
    const char *at = strstr(out, "serial ");
    ck_assert_msg(at != NULL, "no serial in: %s", out);
    ck_assert_int_eq(sscanf(at, "serial %63[0-9A-F]", serial), 1);
    free(out);
}

/* The port of a program's first line, "listening on 127.0.0.1:PORT". */
static unsigned wait_listening(struct proc *p, const char *what)
{
    char line[256];
    if (proc_wait_line(p, START_TIMEOUT_MS, line, sizeof line) != 0) {
        char *err = proc_stderr(p);
        ck_abort_msg("%s did not start: %s", what, err);
    }
    unsigned port = 0;
    ck_assert_msg(sscanf(line, "listening on 127.0.0.1:%u", &port) == 1 && port > 0 && port < 65536,
                  "%s: unexpected first line '%s'", what, line);
    return port;
}

/* ---- the world: a lab, its responder, its web server ---------------------------- */

struct world {
    char *lab;
    struct proc *responder;
    unsigned responder_port;
    struct proc *web;
    unsigned web_port;
    char serial[64];
};

static void start_responder(struct world *w)
{
    char token[CONTROL_TOKEN_HEX + 1];
    test_control_token(w->lab, token);
    char program[LAB_PATH_MAX];
    snprintf(program, sizeof program, "%s", test_bin("responder"));
    const char *argv[] = {program, "--lab", w->lab, "--listen", "127.0.0.1:0", NULL};
    w->responder = start_proc(argv);
    w->responder_port = wait_listening(w->responder, "responder");
}

/* Gone for good. (Its exit status is the responder suite's business.) */
static void stop_responder(struct world *w)
{
    proc_stop(w->responder, 5000);
    ck_assert(!proc_is_running(w->responder));
}

/* bin/webserver shop.test --lab LAB --listen 127.0.0.1:0 EXTRA... */
static void start_web(struct world *w, const char *const extra[])
{
    const char *argv[24];
    char program[LAB_PATH_MAX];
    size_t argc = 0;
    snprintf(program, sizeof program, "%s", test_bin("webserver"));
    argv[argc++] = program;
    argv[argc++] = SITE;
    argv[argc++] = "--lab";
    argv[argc++] = w->lab;
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        ck_assert_uint_lt(argc, 22);
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    w->web = start_proc(argv);
    w->web_port = wait_listening(w->web, "webserver");
}

/* A fresh lab with a CA, a responder and shop.test whose AIA names it. */
static void world_lab(struct world *w)
{
    char url[128];
    memset(w, 0, sizeof *w);
    w->lab = test_tmpdir();
    free(ca_run(w->lab, "init", NULL));
    start_responder(w);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", w->responder_port);
    issue_site(w->lab, url, w->serial);
}

/* ... and the web server for it. */
static void world_up(struct world *w, const char *const web_extra[])
{
    world_lab(w);
    start_web(w, web_extra);
}

static void world_free(struct world *w)
{
    free(w->lab);
    w->lab = NULL;
}

/* Moves the lab's simulated clock (written atomically, as DESIGN section 4 asks). */
static void set_clock(const struct world *w, int64_t offset_seconds)
{
    struct errbuf err = {{0}};
    ck_assert_msg(clock_offset_write(w->lab, offset_seconds, &err) == 0, "%s", err.msg);
}

/* ---- the trace -------------------------------------------------------------------- */

/* Where the trace ends now: later calls look only after this point. */
static size_t trace_mark(const struct world *w)
{
    char path[LAB_PATH_MAX];
    struct stat st;
    lab_path(path, w->lab, LAB_TRACE_FILE);
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* Webserver events named `event` after byte `from`: how many, and the first
 * (caller decrefs; NULL when there is none). Only whole lines count. */
static json_t *trace_scan(const struct world *w, size_t from, const char *event, size_t *count)
{
    char path[LAB_PATH_MAX];
    char *line = NULL;
    size_t cap = 0, n = 0;
    json_t *first = NULL;
    lab_path(path, w->lab, LAB_TRACE_FILE);
    FILE *f = fopen(path, "r");
    if (f != NULL && fseek(f, (long)from, SEEK_SET) == 0) {
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
            if (line[len - 1] != '\n')
                break; /* a line being written */
            json_t *obj = json_loadb(line, (size_t)len, 0, NULL);
            const char *name = json_string_value(json_object_get(obj, "event"));
            const char *actor = json_string_value(json_object_get(obj, "actor"));
            if (name != NULL && actor != NULL && strcmp(name, event) == 0 &&
                strcmp(actor, "webserver") == 0) {
                n++;
                if (first == NULL) {
                    first = obj;
                    continue;
                }
            }
            json_decref(obj);
        }
    }
    if (f != NULL)
        fclose(f);
    free(line);
    if (count != NULL)
        *count = n;
    return first;
}

static json_t *trace_find(const struct world *w, size_t from, const char *event)
{
    return trace_scan(w, from, event, NULL);
}

static size_t trace_count(const struct world *w, size_t from, const char *event)
{
    size_t n = 0;
    json_decref(trace_scan(w, from, event, &n));
    return n;
}

/* Waits for a webserver event after `from`; fails the test after timeout_ms. */
static json_t *wait_trace(const struct world *w, size_t from, const char *event, int timeout_ms)
{
    int64_t deadline = clock_monotonic_ms() + timeout_ms;
    for (;;) {
        json_t *obj = trace_find(w, from, event);
        if (obj != NULL)
            return obj;
        if (clock_monotonic_ms() > deadline)
            ck_abort_msg("no '%s' in %s/trace.jsonl within %d ms", event, w->lab, timeout_ms);
        test_sleep_ms(20);
    }
}

/* ---- openssl s_client and curl ---------------------------------------------------- */

/* openssl s_client -connect 127.0.0.1:PORT -servername shop.test -status
 * -CAfile LAB/ca/root.pem VERSION EXTRA...; stdout and stderr together. */
static char *s_client(const struct world *w, const char *version, const char *const extra[],
                      int *exit_code)
{
    const char *argv[32];
    char connect_to[64], ca_file[LAB_PATH_MAX];
    size_t argc = 0;
    struct test_run run;
    snprintf(connect_to, sizeof connect_to, "127.0.0.1:%u", w->web_port);
    lab_path(ca_file, w->lab, LAB_ROOT_CERT);
    argv[argc++] = "openssl";
    argv[argc++] = "s_client";
    argv[argc++] = "-connect";
    argv[argc++] = connect_to;
    argv[argc++] = "-servername";
    argv[argc++] = SITE;
    argv[argc++] = "-status";
    argv[argc++] = "-CAfile";
    argv[argc++] = ca_file;
    if (version != NULL)
        argv[argc++] = version;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        ck_assert_uint_lt(argc, 30);
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    /* stdin at EOF: s_client finishes the handshake, prints, and leaves. */
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, "", argv), 0);
    ck_assert_msg(!run.timed_out, "openssl s_client timed out");
    size_t out_len = strlen(run.out), err_len = strlen(run.err);
    char *text = malloc(out_len + err_len + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, run.out, out_len);
    memcpy(text + out_len, run.err, err_len + 1);
    if (exit_code != NULL)
        *exit_code = run.exit_code;
    test_run_free(&run);
    return text;
}

/* The line of s_client's output that starts (after spaces) with `label`. */
static void s_client_line(const char *text, const char *label, char *out, size_t cap)
{
    const char *at = strstr(text, label);
    ck_assert_msg(at != NULL, "no '%s' in:\n%s", label, text);
    snprintf(out, cap, "%.*s", (int)strcspn(at, "\n"), at);
}

/* s_client's output is long (certificates); a failure message shows the part
 * about the staple, within Check's message limit. */
#define EXCERPT "%.2000s"
static const char *excerpt(const char *text)
{
    const char *at = strstr(text, "OCSP response");
    return at != NULL ? at : text;
}

/* A good staple for `serial`, verified by openssl, on the protocol asked for. */
static void assert_stapled_good(const char *text, const char *serial, const char *protocol)
{
    char want[128];
    ck_assert_msg(test_contains(text, "OCSP Response Status: successful"), EXCERPT, excerpt(text));
    ck_assert_msg(test_contains(text, "Cert Status: good"), EXCERPT, excerpt(text));
    ck_assert_msg(test_contains(text, "Verify return code: 0 (ok)"), EXCERPT, excerpt(text));
    snprintf(want, sizeof want, "Serial Number: %s\n", serial);
    ck_assert_msg(test_contains(text, want), "wanted '%s' in:\n" EXCERPT, want, excerpt(text));
    if (protocol != NULL) {
        /* "New, TLSv1.3, Cipher is ...": the protocol of this handshake. */
        snprintf(want, sizeof want, "New, %s, Cipher is", protocol);
        ck_assert_msg(test_contains(text, want), "wanted '%s' in:\n" EXCERPT, want, excerpt(text));
    }
}

/* A completed, verified handshake that carried no staple at all. */
static void assert_no_staple(const char *text)
{
    ck_assert_msg(test_contains(text, "OCSP response: no response sent"), EXCERPT, excerpt(text));
    ck_assert_msg(!test_contains(text, "OCSP Response Status"), EXCERPT, excerpt(text));
    ck_assert_msg(test_contains(text, "Verify return code: 0 (ok)"), EXCERPT, excerpt(text));
}

/* A reply's body as text ("" when curl got none). */
static const char *body_text(const struct curl_reply *reply)
{
    return reply->body != NULL ? (const char *)reply->body : "";
}

/* curl https://shop.test:PORT/PATH with the lab's root, optionally --cert-status. */
static void curl_site(struct curl_reply *reply, const struct world *w, const char *path,
                      bool cert_status)
{
    char ca_file[LAB_PATH_MAX], resolve[96], url[128];
    lab_path(ca_file, w->lab, LAB_ROOT_CERT);
    snprintf(resolve, sizeof resolve, "%s:%u:127.0.0.1", SITE, w->web_port);
    snprintf(url, sizeof url, "https://%s:%u%s", SITE, w->web_port, path);
    const char *with[] = {"--cacert", ca_file, "--resolve", resolve, "--cert-status", NULL};
    const char *without[] = {"--cacert", ca_file, "--resolve", resolve, NULL};
    curl_run(reply, url, cert_status ? with : without);
}

/* Switches the responder's fault as the teacher does: the lab's control
 * token and the lab's content type. */
static void responder_fault(const struct world *w, const char *fault)
{
    char url[128], token[CONTROL_TOKEN_HEX + 1], token_header[CONTROL_TOKEN_HEX + 64];
    struct curl_reply reply;
    test_control_token(w->lab, token);
    snprintf(token_header, sizeof token_header, "%s: %s", CONTROL_TOKEN_HEADER, token);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/control/fault", w->responder_port);
    const char *options[] = {
        "-H",  token_header, "-H", "Content-Type: " CONTROL_CONTENT_TYPE, "--data-binary",
        fault, NULL};
    curl_run(&reply, url, options);
    ck_assert_msg(reply.status == 200, "fault '%s': HTTP %d %s", fault, reply.status,
                  body_text(&reply));
    curl_reply_free(&reply);
}

static json_t *responder_stats(const struct world *w)
{
    char url[128];
    struct curl_reply reply;
    json_error_t error;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/stats", w->responder_port);
    curl_run(&reply, url, NULL);
    ck_assert_msg(reply.status == 200, "responder /stats: HTTP %d", reply.status);
    json_t *stats = json_loads(body_text(&reply), 0, &error);
    ck_assert_msg(stats != NULL, "responder /stats is not JSON: %s", error.text);
    curl_reply_free(&reply);
    return stats;
}

static json_int_t json_int_at(json_t *obj, const char *group, const char *key)
{
    json_t *where = group != NULL ? json_object_get(obj, group) : obj;
    json_t *value = json_object_get(where, key);
    ck_assert_msg(json_is_integer(value), "no integer %s.%s", group != NULL ? group : "", key);
    return json_integer_value(value);
}

static const char *json_str_at(json_t *obj, const char *group, const char *key)
{
    json_t *where = group != NULL ? json_object_get(obj, group) : obj;
    const char *value = json_string_value(json_object_get(where, key));
    ck_assert_msg(value != NULL, "no string %s.%s", group != NULL ? group : "", key);
    return value;
}

/* ---- a small wolfSSL client --------------------------------------------------------- */

/* Thousands of handshakes in seconds need a client without a fork each. With
 * must-staple on, wolfSSL fails a handshake unless a staple arrived and
 * verified against the lab's root (signature, CertID, dates, good): that is
 * how this client knows a handshake was stapled, in TLS 1.2 and 1.3 alike. */
static WOLFSSL_CTX *client_ctx(const struct world *w, int version, bool must_staple)
{
    char ca_file[LAB_PATH_MAX];
    lab_path(ca_file, w->lab, LAB_ROOT_CERT);
    WOLFSSL_METHOD *method = version == 12   ? wolfTLSv1_2_client_method()
                             : version == 13 ? wolfTLSv1_3_client_method()
                                             : wolfSSLv23_client_method();
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(method);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(wolfSSL_CTX_load_verify_locations(ctx, ca_file, NULL), WOLFSSL_SUCCESS);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    /* Without this a client never sends status_request, whatever the WOLFSSL asks. */
    ck_assert_int_eq(wolfSSL_CTX_EnableOCSPStapling(ctx), WOLFSSL_SUCCESS);
    if (must_staple)
        ck_assert_int_eq(wolfSSL_CTX_EnableOCSPMustStaple(ctx), WOLFSSL_SUCCESS);
    return ctx;
}

struct tls_conn {
    int fd;
    WOLFSSL *ssl;
    size_t dribble; /* >0: the handshake is written this many bytes at a time */
    int error;      /* wolfSSL's error after a failed call */
};

/* A connected socket (5 s send and receive limits), or -1. */
static int try_tcp_connect(unsigned port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct timeval limit = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int tcp_connect(unsigned port)
{
    int fd = try_tcp_connect(port);
    ck_assert_msg(fd >= 0, "connect to port %u: %s", port, strerror(errno));
    return fd;
}

/* wolfSSL's send hook when dribbling: a few bytes, a pause, the next few. */
static int dribble_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    struct tls_conn *c = ctx;
    size_t n = c->dribble > 0 && (size_t)sz > c->dribble ? c->dribble : (size_t)sz;
    ssize_t sent = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (c->dribble > 0)
        test_sleep_ms(3);
    if (sent < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? WOLFSSL_CBIO_ERR_WANT_WRITE
                                                       : WOLFSSL_CBIO_ERR_CONN_RST;
    return (int)sent;
}

/* Connects and handshakes; 0 on success, else wolfSSL's error code. */
static int tls_open(struct tls_conn *c, WOLFSSL_CTX *ctx, unsigned port, bool ask_status,
                    size_t dribble)
{
    memset(c, 0, sizeof *c);
    c->fd = tcp_connect(port);
    c->ssl = wolfSSL_new(ctx);
    ck_assert_ptr_nonnull(c->ssl);
    ck_assert_int_eq(wolfSSL_set_fd(c->ssl, c->fd), WOLFSSL_SUCCESS);
    ck_assert_int_eq(wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, SITE, sizeof SITE - 1),
                     WOLFSSL_SUCCESS);
    ck_assert_int_eq(wolfSSL_check_domain_name(c->ssl, SITE), WOLFSSL_SUCCESS);
    if (ask_status)
        ck_assert_int_eq(wolfSSL_UseOCSPStapling(c->ssl, WOLFSSL_CSR_OCSP, 0), WOLFSSL_SUCCESS);
    c->dribble = dribble;
    if (dribble > 0) {
        wolfSSL_SSLSetIOSend(c->ssl, dribble_send);
        wolfSSL_SetIOWriteCtx(c->ssl, c);
    }
    int rc = wolfSSL_connect(c->ssl);
    c->dribble = 0;
    if (rc != WOLFSSL_SUCCESS) {
        c->error = wolfSSL_get_error(c->ssl, rc);
        return c->error != 0 ? c->error : -1;
    }
    return 0;
}

static void tls_close(struct tls_conn *c)
{
    if (c->ssl != NULL)
        wolfSSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    c->ssl = NULL;
    c->fd = -1;
}

static void tls_send(struct tls_conn *c, const char *data, size_t len)
{
    ck_assert_int_eq(wolfSSL_write(c->ssl, data, (int)len), (int)len);
}

/* Reads one HTTP response (head and Content-Length body) into buf; its length,
 * or -1 when the connection closed or stayed silent (5 s) before it was whole.
 * Bytes of a following response stay in the reader for the next call. */
struct reader {
    char buf[65536];
    size_t len;
};

static int tls_read_response(struct tls_conn *c, struct reader *r, char *out, size_t cap)
{
    for (;;) {
        r->buf[r->len] = 0;
        char *end = strstr(r->buf, "\r\n\r\n");
        if (end != NULL) {
            size_t head_len = (size_t)(end - r->buf) + 4;
            const char *cl = strstr(r->buf, "Content-Length: ");
            size_t body_len = cl != NULL && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
            if (r->len >= head_len + body_len) {
                size_t total = head_len + body_len;
                ck_assert_uint_lt(total, cap);
                memcpy(out, r->buf, total);
                out[total] = 0;
                memmove(r->buf, r->buf + total, r->len - total);
                r->len -= total;
                return (int)total;
            }
        }
        if (r->len + 1 >= sizeof r->buf)
            return -1;
        int n = wolfSSL_read(c->ssl, r->buf + r->len, (int)(sizeof r->buf - 1 - r->len));
        if (n <= 0) {
            c->error = wolfSSL_get_error(c->ssl, n);
            return -1;
        }
        r->len += (size_t)n;
    }
}

/* One GET over a fresh connection (closed after); the response into out. */
static int https_get(WOLFSSL_CTX *ctx, unsigned port, const char *path, bool ask_status, char *out,
                     size_t cap)
{
    struct tls_conn c;
    struct reader *r = calloc(1, sizeof *r);
    char request[512];
    ck_assert_ptr_nonnull(r);
    int rc = tls_open(&c, ctx, port, ask_status, 0);
    if (rc == 0) {
        snprintf(request, sizeof request,
                 "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, SITE);
        tls_send(&c, request, strlen(request));
        rc = tls_read_response(&c, r, out, cap) > 0 ? 0 : -1;
    }
    tls_close(&c);
    free(r);
    return rc;
}

/* The web server's /stats, fetched without asking for a staple. */
static json_t *web_stats(const struct world *w)
{
    static char reply[65536];
    json_error_t error;
    WOLFSSL_CTX *ctx = client_ctx(w, 0, false);
    ck_assert_int_eq(https_get(ctx, w->web_port, "/stats", false, reply, sizeof reply), 0);
    wolfSSL_CTX_free(ctx);
    ck_assert_msg(strncmp(reply, "HTTP/1.1 200 ", 13) == 0, "%s", reply);
    ck_assert_msg(test_contains(reply, "Content-Type: application/json"), "%s", reply);
    const char *body = strstr(reply, "\r\n\r\n") + 4;
    json_t *stats = json_loads(body, 0, &error);
    ck_assert_msg(stats != NULL, "webserver /stats is not JSON: %s\n%s", error.text, body);
    return stats;
}

/* GET / asking for a staple (not insisting on one): the page contains `text`. */
static void assert_page_says(const struct world *w, const char *text)
{
    static char reply[65536];
    WOLFSSL_CTX *ctx = client_ctx(w, 0, false);
    ck_assert_int_eq(https_get(ctx, w->web_port, "/", true, reply, sizeof reply), 0);
    wolfSSL_CTX_free(ctx);
    ck_assert_msg(strncmp(reply, "HTTP/1.1 200 ", 13) == 0, "%s", reply);
    ck_assert_msg(test_contains(reply, text), "wanted '%s' in:\n%s", text, reply);
}

/* `count` handshakes asking for a staple that must arrive and verify. */
static void stapled_handshakes(const struct world *w, int version, int count)
{
    WOLFSSL_CTX *ctx = client_ctx(w, version, true);
    for (int i = 0; i < count; i++) {
        struct tls_conn c;
        int rc = tls_open(&c, ctx, w->web_port, true, 0);
        tls_close(&c);
        ck_assert_msg(rc == 0, "TLS %d handshake %d of %d: wolfSSL error %d", version, i + 1, count,
                      rc);
    }
    wolfSSL_CTX_free(ctx);
}

static long vm_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    ck_assert_int_gt(kb, 0);
    return kb;
}

/* How long until the peer closes fd (EOF or reset), in ms; -1 if it stays open
 * for timeout_ms. Bytes the server sends first are read and dropped. */
static int64_t wait_closed(int fd, int timeout_ms)
{
    int64_t start = clock_monotonic_ms();
    for (;;) {
        int64_t left = start + timeout_ms - clock_monotonic_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return clock_monotonic_ms() - start;
    }
}

/* True while the peer has not closed fd (nothing unread may be pending). */
static bool is_open(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
        return true;
    char peeked;
    ssize_t n = recv(fd, &peeked, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

static void send_all(int fd, const void *data, size_t len)
{
    ck_assert_int_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* ---- interop ------------------------------------------------------------------------ */

/* openssl s_client -status, the very first connection the server ever gets,
 * on TLS 1.2 (cleartext CertificateStatus) and on TLS 1.3 (the staple in the
 * Certificate message): a CA-signed good staple for this certificate, and the
 * chain verifies. The trace shows the fetch came before the server listened. */
START_TEST(test_openssl_first_handshake)
{
    const char *version = _i == 0 ? "-tls1_2" : "-tls1_3";
    struct world w;
    world_up(&w, NULL);
    int exit_code = -1;
    char *text = s_client(&w, version, NULL, &exit_code);
    ck_assert_msg(exit_code == 0, "s_client exit %d:\n" EXCERPT, exit_code, excerpt(text));
    assert_stapled_good(text, w.serial, _i == 0 ? "TLSv1.2" : "TLSv1.3");
    free(text);

    json_t *fetched = wait_trace(&w, 0, "staple.fetch.ok", 1000);
    json_t *started = wait_trace(&w, 0, "webserver.start", 1000);
    ck_assert_str_eq(json_str_at(started, NULL, "staple"), "good");
    ck_assert_msg(strcmp(json_str_at(fetched, NULL, "ts"), json_str_at(started, NULL, "ts")) <= 0,
                  "the staple came after the server started listening");
    json_decref(fetched);
    json_decref(started);

    json_t *stats = web_stats(&w);
    ck_assert_int_eq(json_int_at(stats, NULL, "staples_sent"), 1);
    ck_assert_int_eq(json_int_at(stats, NULL, "ocsp_fetches"), 1);
    json_decref(stats);
    world_free(&w);
}
END_TEST

/* curl --cert-status (OpenSSL checks the staple against the chain the server
 * sent) succeeds, and the page says this handshake carried a staple; /stats
 * has the shape of DESIGN section 6 and a consistent staple window. */
START_TEST(test_curl_cert_status)
{
    struct world w;
    struct curl_reply reply;
    world_up(&w, NULL);
    curl_site(&reply, &w, "/", true);
    ck_assert_msg(reply.curl_exit == 0, "curl --cert-status exit %d", reply.curl_exit);
    ck_assert_int_eq(reply.status, 200);
    ck_assert_msg(
        test_contains(body_text(&reply), "This handshake carried a stapled OCSP response"), "%s",
        body_text(&reply));
    ck_assert_msg(test_contains(body_text(&reply), SITE), "%s", body_text(&reply));
    ck_assert_msg(test_contains(body_text(&reply), "good, valid until"), "%s", body_text(&reply));
    curl_reply_free(&reply);

    curl_site(&reply, &w, "/stats", true);
    ck_assert_int_eq(reply.curl_exit, 0);
    ck_assert_int_eq(reply.status, 200);
    json_t *stats = json_loads(body_text(&reply), 0, NULL);
    ck_assert_msg(stats != NULL, "%s", body_text(&reply));
    curl_reply_free(&reply);
    ck_assert_int_eq(json_int_at(stats, NULL, "handshakes"), 2);
    ck_assert_int_eq(json_int_at(stats, NULL, "staples_sent"), 2);
    ck_assert_int_eq(json_int_at(stats, NULL, "ocsp_fetches"), 1);
    ck_assert_str_eq(json_str_at(stats, "staple", "status"), "good");
    struct tm tm;
    int64_t this_update, next_update, next_refresh;
    const char *fields[] = {"this_update", "next_update", "next_refresh"};
    int64_t *values[] = {&this_update, &next_update, &next_refresh};
    for (size_t i = 0; i < 3; i++) {
        memset(&tm, 0, sizeof tm);
        const char *text = json_str_at(stats, "staple", fields[i]);
        ck_assert_msg(sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                             &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6,
                      "%s: %s", fields[i], text);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        *values[i] = (int64_t)timegm(&tm);
    }
    ck_assert_int_eq(next_update - this_update, 86400);
    ck_assert_int_eq(next_refresh, this_update + 43200);
    json_decref(stats);
    world_free(&w);
}
END_TEST

/* 100 stapled handshakes (TLS 1.2 and 1.3, each staple verified by the
 * client) cost the CA exactly one request: the server's. */
START_TEST(test_hundred_handshakes_one_fetch)
{
    struct world w;
    world_up(&w, NULL);
    stapled_handshakes(&w, 12, 50);
    stapled_handshakes(&w, 13, 50);
    json_t *stats = responder_stats(&w);
    ck_assert_int_eq(json_int_at(stats, "by_requester", "webserver"), 1);
    ck_assert_int_eq(json_int_at(stats, NULL, "requests"), 1);
    json_decref(stats);
    stats = web_stats(&w);
    ck_assert_int_ge(json_int_at(stats, NULL, "staples_sent"), 100);
    ck_assert_int_ge(json_int_at(stats, NULL, "status_requests"), 100);
    ck_assert_int_eq(json_int_at(stats, NULL, "ocsp_fetches"), 1);
    json_decref(stats);
    world_free(&w);
}
END_TEST

/* --stapling off: s_client asks and hears nothing; the CA is never asked. */
START_TEST(test_stapling_off)
{
    struct world w;
    const char *off[] = {"--stapling", "off", NULL};
    world_up(&w, off);
    for (int i = 0; i < 2; i++) {
        char *text = s_client(&w, i == 0 ? "-tls1_2" : "-tls1_3", NULL, NULL);
        assert_no_staple(text);
        free(text);
    }
    assert_page_says(&w, "asked for a staple, but this handshake carried none");
    json_t *stats = responder_stats(&w);
    ck_assert_int_eq(json_int_at(stats, NULL, "requests"), 0);
    json_decref(stats);
    stats = web_stats(&w);
    ck_assert_int_eq(json_int_at(stats, NULL, "staples_sent"), 0);
    ck_assert_int_eq(json_int_at(stats, NULL, "ocsp_fetches"), 0);
    json_decref(stats);
    json_t *off_event = wait_trace(&w, 0, "staple.off", 1000);
    json_decref(off_event);
    world_free(&w);
}
END_TEST

/* --tls 1.2 refuses TLS 1.3 and staples on 1.2; --tls 1.3 the other way. */
START_TEST(test_tls_version_flag)
{
    const char *only = _i == 0 ? "1.2" : "1.3";
    struct world w;
    const char *extra[] = {"--tls", only, NULL};
    world_up(&w, extra);
    int exit_code = -1;
    char *text = s_client(&w, _i == 0 ? "-tls1_2" : "-tls1_3", NULL, &exit_code);
    ck_assert_int_eq(exit_code, 0);
    assert_stapled_good(text, w.serial, _i == 0 ? "TLSv1.2" : "TLSv1.3");
    free(text);
    text = s_client(&w, _i == 0 ? "-tls1_3" : "-tls1_2", NULL, &exit_code);
    ck_assert_msg(exit_code != 0, "the other version was accepted:\n" EXCERPT, excerpt(text));
    ck_assert_msg(!test_contains(text, "Cert Status: good"), EXCERPT, excerpt(text));
    free(text);
    world_free(&w);
}
END_TEST

/* A ClientHello written a few bytes at a time (the server peeks at it before
 * wolfSSL starts) still gets its handshake and staple. */
START_TEST(test_dribbled_client_hello)
{
    struct world w;
    world_up(&w, NULL);
    WOLFSSL_CTX *ctx = client_ctx(&w, _i == 0 ? 12 : 13, true);
    struct tls_conn c;
    int rc = tls_open(&c, ctx, w.web_port, true, 7);
    ck_assert_msg(rc == 0, "dribbled handshake: wolfSSL error %d", rc);
    tls_close(&c);
    wolfSSL_CTX_free(ctx);
    ck_assert_uint_eq(trace_count(&w, 0, "tls.garbage"), 0);
    world_free(&w);
}
END_TEST

/* RFC 8446 5.1 lets a ClientHello span several records: openssl with
 * -max_send_frag 512 and a long ALPN list sends one so. It is a ClientHello,
 * not garbage: the handshake completes with a staple. */
START_TEST(test_fragmented_client_hello)
{
    struct world w;
    world_up(&w, NULL);
    char alpn[1024];
    size_t n = 0;
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(alpn + n, sizeof alpn - n, "%sproto-%02d-%s", i == 0 ? "" : ",", i,
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    const char *extra[] = {"-max_send_frag", "512", "-alpn", alpn, NULL};
    int exit_code = -1;
    char *text = s_client(&w, "-tls1_3", extra, &exit_code);
    ck_assert_msg(trace_count(&w, 0, "tls.garbage") == 0,
                  "a ClientHello in two records was dropped as garbage:\n" EXCERPT, excerpt(text));
    ck_assert_msg(exit_code == 0, "s_client exit %d:\n" EXCERPT, exit_code, excerpt(text));
    assert_stapled_good(text, w.serial, "TLSv1.3");
    free(text);
    world_free(&w);
}
END_TEST

/* Keep-alive: two requests on one connection; then two requests pipelined in
 * one write (RFC 9112 9.3.2) get two responses, in order. */
START_TEST(test_keepalive_and_pipelining)
{
    struct world w;
    world_up(&w, NULL);
    WOLFSSL_CTX *ctx = client_ctx(&w, 0, true);
    struct tls_conn c;
    struct reader *r = calloc(1, sizeof *r);
    static char reply[65536];
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(tls_open(&c, ctx, w.web_port, true, 0), 0);
    static const char get_page[] = "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n";
    static const char get_stats[] = "GET /stats HTTP/1.1\r\nHost: shop.test\r\n\r\n";
    tls_send(&c, get_page, sizeof get_page - 1);
    ck_assert_int_gt(tls_read_response(&c, r, reply, sizeof reply), 0);
    ck_assert_msg(strncmp(reply, "HTTP/1.1 200 ", 13) == 0, "%s", reply);
    ck_assert_msg(test_contains(reply, "Connection: keep-alive"), "%s", reply);
    ck_assert_msg(test_contains(reply, "carried a stapled OCSP response"), "%s", reply);
    tls_send(&c, get_stats, sizeof get_stats - 1);
    ck_assert_int_gt(tls_read_response(&c, r, reply, sizeof reply), 0);
    ck_assert_msg(test_contains(reply, "application/json"), "%s", reply);

    char both[256];
    snprintf(both, sizeof both, "%s%s", get_page, get_stats);
    tls_send(&c, both, strlen(both));
    ck_assert_int_gt(tls_read_response(&c, r, reply, sizeof reply), 0);
    ck_assert_msg(test_contains(reply, "text/html"), "%s", reply);
    int64_t start = clock_monotonic_ms();
    int n = tls_read_response(&c, r, reply, sizeof reply);
    ck_assert_msg(n > 0, "the second of two pipelined requests got no answer (%lld ms)",
                  (long long)(clock_monotonic_ms() - start));
    ck_assert_msg(test_contains(reply, "application/json"), "%s", reply);
    tls_close(&c);
    free(r);
    wolfSSL_CTX_free(ctx);
    world_free(&w);
}
END_TEST

/* --staple-file FILE staples FILE's bytes as they are (the attack lessons):
 * a good response saved earlier reaches s_client, and so does a bare
 * tryLater (wolfSSL 5.9.2 sends what the status callback hands it), and the
 * site still serves. */
START_TEST(test_staple_file)
{
    struct world w;
    char saved[LAB_PATH_MAX], chosen[LAB_PATH_MAX], rel[LAB_PATH_MAX];
    world_up(&w, NULL);
    ck_assert_int_eq(proc_stop(w.web, 5000), 0);
    snprintf(rel, sizeof rel, "%s/%s.der", LAB_STAPLES_DIR, SITE);
    lab_path(saved, w.lab, rel);
    lab_path(chosen, w.lab, "chosen.der");
    if (_i == 0) {
        ck_assert_int_eq(rename(saved, chosen), 0);
    } else {
        static const uint8_t try_later[] = {0x30, 0x03, 0x0a, 0x01, 0x03};
        struct errbuf err = {{0}};
        ck_assert_msg(file_write_atomic(chosen, try_later, sizeof try_later, 0644, &err) == 0, "%s",
                      err.msg);
    }
    stop_responder(&w);
    const char *extra[] = {"--staple-file", chosen, NULL};
    start_web(&w, extra);
    char *text = s_client(&w, "-tls1_3", NULL, NULL);
    if (_i == 0)
        assert_stapled_good(text, w.serial, NULL);
    else
        ck_assert_msg(test_contains(text, "OCSP Response Status: trylater (0x3)"), EXCERPT,
                      excerpt(text));
    ck_assert_msg(test_contains(text, "Verify return code: 0 (ok)"), EXCERPT, excerpt(text));
    free(text);
    /* wolfSSL's own client ends a handshake over a staple it cannot decode
     * (the browser's business); the page is asked for without one. */
    if (_i == 0)
        assert_page_says(&w, "<h1>shop.test</h1>");
    json_t *stats = web_stats(&w);
    ck_assert_int_eq(json_int_at(stats, NULL, "ocsp_fetches"), 0);
    json_decref(stats);
    json_t *event = wait_trace(&w, 0, "staple.file", 1000);
    json_decref(event);
    world_free(&w);
}
END_TEST

/* ---- the staple's life -------------------------------------------------------------- */

/* Restart with the responder stopped: the saved staples/shop.test.der is served
 * on the first handshake, without asking anyone. */
START_TEST(test_restart_serves_saved_staple)
{
    struct world w;
    char produced[128], again[128], path[LAB_PATH_MAX], rel[LAB_PATH_MAX];
    world_up(&w, NULL);
    char *text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_stapled_good(text, w.serial, NULL);
    s_client_line(text, "Produced At:", produced, sizeof produced);
    free(text);
    snprintf(rel, sizeof rel, "%s/%s.der", LAB_STAPLES_DIR, SITE);
    lab_path(path, w.lab, rel);
    ck_assert_msg(access(path, F_OK) == 0, "no saved staple at %s", path);

    ck_assert_int_eq(proc_stop(w.web, 5000), 0);
    stop_responder(&w);
    size_t mark = trace_mark(&w);
    start_web(&w, NULL);
    text = s_client(&w, "-tls1_2", NULL, NULL);
    assert_stapled_good(text, w.serial, "TLSv1.2");
    s_client_line(text, "Produced At:", again, sizeof again);
    ck_assert_str_eq(again, produced);
    free(text);
    json_t *loaded = wait_trace(&w, mark, "staple.loaded", 1000);
    json_decref(loaded);
    ck_assert_ptr_null(trace_find(&w, mark, "ocsp.request.sent"));
    json_t *stats = web_stats(&w);
    ck_assert_int_eq(json_int_at(stats, NULL, "ocsp_fetches"), 0);
    ck_assert_str_eq(json_str_at(stats, "staple", "status"), "good");
    json_decref(stats);
    world_free(&w);
}
END_TEST

/* No responder from the start and nothing saved: the server still starts and
 * serves its site, says loudly it has no staple, and staples nothing. */
START_TEST(test_responder_down_from_start)
{
    struct world w;
    memset(&w, 0, sizeof w);
    w.lab = test_tmpdir();
    free(ca_run(w.lab, "init", NULL));
    /* Port 1: nothing listens there, so every fetch is refused at once. */
    issue_site(w.lab, "http://127.0.0.1:1/", w.serial);
    start_web(&w, NULL);
    char *err = proc_stderr(w.web);
    ck_assert_msg(test_contains(err, "WITHOUT a staple"), "stderr: %s", err);
    free(err);
    json_t *event = wait_trace(&w, 0, "staple.fetch.failed", 1000);
    json_decref(event);
    event = wait_trace(&w, 0, "staple.none", 1000);
    json_decref(event);

    char *text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_no_staple(text);
    free(text);
    struct curl_reply reply;
    curl_site(&reply, &w, "/", false);
    ck_assert_int_eq(reply.curl_exit, 0);
    ck_assert_int_eq(reply.status, 200);
    ck_assert_msg(test_contains(body_text(&reply), "<h1>shop.test</h1>"), "%s", body_text(&reply));
    curl_reply_free(&reply);
    assert_page_says(&w, "asked for a staple, but this handshake carried none");
    curl_site(&reply, &w, "/", true);
    ck_assert_msg(reply.curl_exit != 0, "curl --cert-status accepted a handshake without a staple");
    curl_reply_free(&reply);
    json_t *stats = web_stats(&w);
    ck_assert_str_eq(json_str_at(stats, "staple", "status"), "none");
    ck_assert_str_ne(json_str_at(stats, "staple", "problem"), "");
    ck_assert_int_eq(json_int_at(stats, NULL, "staples_sent"), 0);
    json_decref(stats);
    ck_assert(proc_is_running(w.web));
    world_free(&w);
}
END_TEST

static const char *const faults[] = {"trylater", "garbage", "stale", "unauthorized"};

/* The responder misbehaves when the refresh is due (the clock past half-life):
 * the fetch fails, and the last good staple stays, byte for byte. */
START_TEST(test_fault_keeps_last_good)
{
    struct world w;
    char produced[128], again[128];
    world_up(&w, NULL);
    char *text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_stapled_good(text, w.serial, NULL);
    s_client_line(text, "Produced At:", produced, sizeof produced);
    free(text);

    responder_fault(&w, faults[_i]);
    size_t mark = trace_mark(&w);
    set_clock(&w, PAST_HALF_LIFE);
    json_t *failed = wait_trace(&w, mark, "staple.fetch.failed", 10000);
    ck_assert_msg(json_object_get(failed, "keeps_until") != NULL,
                  "the failure did not say it keeps the last good staple");
    json_decref(failed);

    text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_stapled_good(text, w.serial, NULL);
    s_client_line(text, "Produced At:", again, sizeof again);
    ck_assert_str_eq(again, produced);
    free(text);
    json_t *stats = web_stats(&w);
    ck_assert_str_eq(json_str_at(stats, "staple", "status"), "good");
    ck_assert_str_ne(json_str_at(stats, "staple", "problem"), "");
    ck_assert_int_ge(json_int_at(stats, NULL, "ocsp_fetches"), 2);
    json_decref(stats);
    ck_assert_ptr_null(trace_find(&w, mark, "staple.fetch.ok"));
    world_free(&w);
}
END_TEST

/* `ca revoke` while the server runs: the next refresh hears revoked, and the
 * server stops stapling (never a revoked answer, never the old good one). */
START_TEST(test_revoke_stops_stapling)
{
    struct world w;
    char path[LAB_PATH_MAX], rel[LAB_PATH_MAX];
    world_up(&w, NULL);
    char *text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_stapled_good(text, w.serial, NULL);
    free(text);
    free(ca_run(w.lab, "revoke", SITE, NULL));
    size_t mark = trace_mark(&w);
    set_clock(&w, PAST_HALF_LIFE);
    json_t *revoked = wait_trace(&w, mark, "staple.revoked", 10000);
    json_decref(revoked);

    for (int i = 0; i < 2; i++) {
        text = s_client(&w, i == 0 ? "-tls1_2" : "-tls1_3", NULL, NULL);
        assert_no_staple(text);
        ck_assert_msg(!test_contains(text, "Cert Status"), EXCERPT, excerpt(text));
        free(text);
    }
    json_t *stats = web_stats(&w);
    ck_assert_str_eq(json_str_at(stats, "staple", "status"), "revoked");
    json_decref(stats);
    assert_page_says(&w, "REVOKED");
    snprintf(rel, sizeof rel, "%s/%s.der", LAB_STAPLES_DIR, SITE);
    lab_path(path, w.lab, rel);
    ck_assert_msg(access(path, F_OK) != 0, "the good staple is still saved after revocation");
    world_free(&w);
}
END_TEST

/* The responder gone: past half-life the server keeps the last good staple;
 * past its nextUpdate it staples nothing rather than an expired answer. */
START_TEST(test_expired_staple_never_sent)
{
    struct world w;
    world_up(&w, NULL);
    stop_responder(&w);
    size_t mark = trace_mark(&w);
    set_clock(&w, PAST_HALF_LIFE);
    json_t *failed = wait_trace(&w, mark, "staple.fetch.failed", 10000);
    json_decref(failed);
    char *text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_stapled_good(text, w.serial, NULL);
    free(text);

    mark = trace_mark(&w);
    set_clock(&w, PAST_NEXT_UPDATE);
    json_t *expired = wait_trace(&w, mark, "staple.expired", 10000);
    json_decref(expired);
    for (int i = 0; i < 2; i++) {
        text = s_client(&w, i == 0 ? "-tls1_2" : "-tls1_3", NULL, NULL);
        assert_no_staple(text);
        free(text);
    }
    json_t *stats = web_stats(&w);
    ck_assert_str_eq(json_str_at(stats, "staple", "status"), "none");
    json_decref(stats);
    world_free(&w);
}
END_TEST

/* `ca issue shop.test` again while the server runs: the old staple is dropped
 * and one for the new certificate fetched; curl --cert-status (the staple must
 * match the certificate served) and s_client see the new serial, good. */
START_TEST(test_renewed_certificate)
{
    struct world w;
    char url[128], new_serial[64];
    world_up(&w, NULL);
    char *text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_stapled_good(text, w.serial, NULL);
    free(text);
    size_t mark = trace_mark(&w);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", w.responder_port);
    issue_site(w.lab, url, new_serial);
    ck_assert_str_ne(new_serial, w.serial);
    json_t *changed = wait_trace(&w, mark, "staple.cert.changed", 10000);
    ck_assert_str_eq(json_str_at(changed, NULL, "old_serial"), w.serial);
    ck_assert_str_eq(json_str_at(changed, NULL, "serial"), new_serial);
    json_decref(changed);
    json_t *fetched = wait_trace(&w, mark, "staple.fetch.ok", 10000);
    json_decref(fetched);

    text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_stapled_good(text, new_serial, NULL);
    char old_line[96];
    snprintf(old_line, sizeof old_line, "Serial Number: %s", w.serial);
    ck_assert_msg(!test_contains(text, old_line), EXCERPT, excerpt(text));
    free(text);
    struct curl_reply reply;
    curl_site(&reply, &w, "/", true);
    ck_assert_msg(reply.curl_exit == 0, "curl --cert-status exit %d", reply.curl_exit);
    curl_reply_free(&reply);
    world_free(&w);
}
END_TEST

/* A responder that answers only after the fetch timeout: the refresh happens
 * in the background, so handshakes and pages meanwhile stay fast and keep the
 * good staple. */
START_TEST(test_slow_responder_never_blocks_handshakes)
{
    struct world w;
    static char reply[65536];
    world_up(&w, NULL);
    responder_fault(&w, "slow 10s");
    size_t mark = trace_mark(&w);
    set_clock(&w, PAST_HALF_LIFE);
    json_t *sent = wait_trace(&w, mark, "ocsp.request.sent", 10000);
    json_decref(sent);
    WOLFSSL_CTX *ctx = client_ctx(&w, 13, true);
    int64_t slowest = 0;
    for (int i = 0; i < 10; i++) {
        int64_t start = clock_monotonic_ms();
        ck_assert_int_eq(
            https_get(ctx, w.web_port, i % 2 == 0 ? "/" : "/stats", true, reply, sizeof reply), 0);
        int64_t took = clock_monotonic_ms() - start;
        slowest = took > slowest ? took : slowest;
        test_sleep_ms(100);
    }
    wolfSSL_CTX_free(ctx);
    ck_assert_msg(slowest < 1000, "a request took %lld ms during a slow fetch", (long long)slowest);
    json_t *failed = wait_trace(&w, mark, "staple.fetch.failed", 10000);
    json_decref(failed);
    char *text = s_client(&w, "-tls1_2", NULL, NULL);
    assert_stapled_good(text, w.serial, NULL);
    free(text);
    world_free(&w);
}
END_TEST

/* ---- memory ------------------------------------------------------------------------ */

/* TLS 1.3 stapled handshakes (wolfSSL 5.5.4 leaked two blocks in each), TLS
 * 1.2 ones and pages, then SIGTERM: exit 0, and under `make asan` no report
 * from LeakSanitizer, AddressSanitizer or UBSan on stderr. */
START_TEST(test_no_leaks_at_exit)
{
    struct world w;
    static char reply[65536];
    world_up(&w, NULL);
    stapled_handshakes(&w, 13, 200);
    stapled_handshakes(&w, 12, 50);
    WOLFSSL_CTX *ctx = client_ctx(&w, 13, false);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(
            https_get(ctx, w.web_port, i % 2 == 0 ? "/" : "/stats", i < 5, reply, sizeof reply), 0);
    wolfSSL_CTX_free(ctx);
    char *text = s_client(&w, "-tls1_3", NULL, NULL);
    assert_stapled_good(text, w.serial, NULL);
    free(text);
    ck_assert_int_eq(proc_signal(w.web, SIGTERM), 0);
    ck_assert_msg(proc_wait(w.web, 20000) == 0, "webserver still running 20 s after SIGTERM");
    char *err = proc_stderr(w.web);
    ck_assert_msg(w.web->exit_code == 0, "exit %d:\n%.3000s", w.web->exit_code, err);
    ck_assert_msg(!test_contains(err, "LeakSanitizer"), "%.3000s", err);
    ck_assert_msg(!test_contains(err, "AddressSanitizer"), "%.3000s", err);
    ck_assert_msg(!test_contains(err, "runtime error"), "%.3000s", err);
    free(err);
    json_t *stop = wait_trace(&w, 0, "webserver.stop", 1000);
    ck_assert_int_ge(json_int_at(stop, NULL, "staples_sent"), 250);
    json_decref(stop);
    world_free(&w);
}
END_TEST

/* RSS after 2,000 and after 6,000 TLS 1.3 stapled handshakes: flat. (Not in
 * the ASan build, whose quarantine grows by design; 20,000 is `make bench`.) */
START_TEST(test_rss_flat)
{
    if (is_asan_build())
        return;
    struct world w;
    world_up(&w, NULL);
    stapled_handshakes(&w, 13, 2000);
    test_sleep_ms(300);
    long after_2000 = vm_rss_kb(w.web->pid);
    stapled_handshakes(&w, 13, 4000);
    test_sleep_ms(300);
    long after_6000 = vm_rss_kb(w.web->pid);
    printf("webserver VmRSS: %ld kB after 2000, %ld kB after 6000 TLS 1.3 stapled handshakes "
           "(%+ld kB)\n",
           after_2000, after_6000, after_6000 - after_2000);
    fflush(stdout);
    ck_assert_msg(after_6000 - after_2000 < 1024,
                  "RSS grew by %ld kB over 4000 handshakes (%ld -> %ld kB)",
                  after_6000 - after_2000, after_2000, after_6000);
    json_t *stats = web_stats(&w);
    ck_assert_int_ge(json_int_at(stats, NULL, "staples_sent"), 6000);
    json_decref(stats);
    world_free(&w);
}
END_TEST

/* ---- hostile and idle clients --------------------------------------------------- */

static void assert_still_serves(const struct world *w)
{
    static char reply[65536];
    WOLFSSL_CTX *ctx = client_ctx(w, 0, true);
    int64_t start = clock_monotonic_ms();
    ck_assert_msg(https_get(ctx, w->web_port, "/", true, reply, sizeof reply) == 0,
                  "a normal stapled request failed");
    int64_t took = clock_monotonic_ms() - start;
    wolfSSL_CTX_free(ctx);
    ck_assert_msg(strncmp(reply, "HTTP/1.1 200 ", 13) == 0, "%s", reply);
    ck_assert_msg(took < 2000, "a normal request took %lld ms", (long long)took);
    ck_assert(proc_is_running(w->web));
}

/* Bytes that are not a ClientHello: plain HTTP, an SSLv2-style hello, an
 * application-data record, random noise. Each is dropped at once, with a
 * tls.garbage event, and the server serves the next visitor. */
START_TEST(test_garbage_dropped)
{
    static const struct {
        const char *bytes;
        size_t len;
    } garbage[] = {
        {"GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n", 35},
        {"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10", 11},
        {"\x17\x03\x03\x00\x10"
         "0123456789abcdef",
         21},
        {"\xde\xad\xbe\xef\x00\x01\x02\x03\xff\xfe\xfd\xfc\x55\xaa\x55\xaa", 16},
    };
    struct world w;
    world_up(&w, NULL);
    size_t mark = trace_mark(&w);
    for (size_t i = 0; i <= sizeof garbage / sizeof garbage[0]; i++) {
        int fd = try_tcp_connect(w.web_port);
        if (fd < 0) {
            /* Gone: let it finish saying why (a sanitizer report, say). */
            proc_wait(w.web, 5000);
            char *err = proc_stderr(w.web);
            ck_abort_msg("the server died from garbage (exit %d):\n%.2500s", w.web->exit_code, err);
        }
        if (i == sizeof garbage / sizeof garbage[0]) {
            close(fd);
            break;
        }
        send_all(fd, garbage[i].bytes, garbage[i].len);
        int64_t took = wait_closed(fd, 3000);
        close(fd);
        ck_assert_msg(took >= 0 && took < 1000, "garbage %zu: closed after %lld ms", i,
                      (long long)took);
    }
    int64_t deadline = clock_monotonic_ms() + 2000;
    while (trace_count(&w, mark, "tls.garbage") < 4 && clock_monotonic_ms() < deadline)
        test_sleep_ms(20);
    ck_assert_uint_eq(trace_count(&w, mark, "tls.garbage"), 4);
    assert_still_serves(&w);
    json_t *stats = web_stats(&w);
    ck_assert_int_ge(json_int_at(stats, NULL, "dropped"), 4);
    json_decref(stats);
    world_free(&w);
}
END_TEST

/* A request head over 8 KB gets 431 and the connection closes; one just
 * under the limit is served. */
START_TEST(test_oversize_head)
{
    struct world w;
    static char request[MAX_HEAD_BYTES * 2], reply[65536];
    world_up(&w, NULL);
    WOLFSSL_CTX *ctx = client_ctx(&w, 0, false);
    const size_t sizes[] = {MAX_HEAD_BYTES - 200, MAX_HEAD_BYTES + 800};
    for (size_t k = 0; k < 2; k++) {
        struct tls_conn c;
        struct reader *r = calloc(1, sizeof *r);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(tls_open(&c, ctx, w.web_port, false, 0), 0);
        size_t n = (size_t)snprintf(request, sizeof request,
                                    "GET / HTTP/1.1\r\nHost: shop.test\r\nX-Fill: ");
        while (n < sizes[k] - 4)
            request[n++] = 'a';
        memcpy(request + n, "\r\n\r\n", 4);
        n += 4;
        tls_send(&c, request, n);
        ck_assert_int_gt(tls_read_response(&c, r, reply, sizeof reply), 0);
        if (k == 0) {
            ck_assert_msg(strncmp(reply, "HTTP/1.1 200 ", 13) == 0, "%.200s", reply);
        } else {
            ck_assert_msg(strncmp(reply, "HTTP/1.1 431 ", 13) == 0, "%.200s", reply);
            ck_assert_msg(test_contains(reply, "Connection: close"), "%s", reply);
            int64_t start = clock_monotonic_ms();
            ck_assert_int_lt(tls_read_response(&c, r, reply, sizeof reply), 0);
            ck_assert_msg(c.error != WOLFSSL_ERROR_WANT_READ && clock_monotonic_ms() - start < 2000,
                          "the connection stayed open after 431");
        }
        tls_close(&c);
        free(r);
    }
    wolfSSL_CTX_free(ctx);
    assert_still_serves(&w);
    world_free(&w);
}
END_TEST

/* 1,000 idle connections, a half ClientHello, a half request head and an idle
 * keep-alive connection, all at once: a normal visitor is still served at
 * once, and each of them is dropped at its own deadline (keep-alive 5 s,
 * handshake and head 10 s). */
START_TEST(test_idle_and_stalled_clients)
{
    struct world w;
    static char reply[65536];
    world_up(&w, NULL);
    struct rlimit files;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &files), 0);
    if (files.rlim_cur < IDLE_CONNECTIONS + 200 && files.rlim_max >= IDLE_CONNECTIONS + 200) {
        files.rlim_cur = IDLE_CONNECTIONS + 200;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &files), 0);
    }
    ck_assert_uint_ge(files.rlim_cur, IDLE_CONNECTIONS + 200);

    /* The keep-alive connection: one answered request, then silence. */
    WOLFSSL_CTX *ctx = client_ctx(&w, 13, true);
    struct tls_conn keepalive, slow_head;
    struct reader *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(tls_open(&keepalive, ctx, w.web_port, true, 0), 0);
    tls_send(&keepalive, "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n", 35);
    ck_assert_int_gt(tls_read_response(&keepalive, r, reply, sizeof reply), 0);
    int64_t keepalive_at = clock_monotonic_ms();
    /* A handshake (TLS 1.2: no tickets left unread), then half a request head. */
    WOLFSSL_CTX *ctx12 = client_ctx(&w, 12, true);
    ck_assert_int_eq(tls_open(&slow_head, ctx12, w.web_port, true, 0), 0);
    tls_send(&slow_head, "GET / HT", 8);
    int64_t slow_head_at = clock_monotonic_ms();
    /* Half a ClientHello: a record header promising 200 bytes, and 60 of them. */
    uint8_t half[65] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03};
    int stalled = tcp_connect(w.web_port);
    send_all(stalled, half, sizeof half);
    int64_t stalled_at = clock_monotonic_ms();
    /* And a crowd that connects and says nothing. */
    int *idle = calloc(IDLE_CONNECTIONS, sizeof *idle);
    ck_assert_ptr_nonnull(idle);
    for (size_t i = 0; i < IDLE_CONNECTIONS; i++)
        idle[i] = tcp_connect(w.web_port);
    int64_t idle_at = clock_monotonic_ms();

    assert_still_serves(&w);
    stapled_handshakes(&w, 12, 10);

    int64_t took = wait_closed(keepalive.fd, KEEPALIVE_TIMEOUT_MS + 3000);
    ck_assert_msg(took >= 0, "the idle keep-alive connection was never closed");
    int64_t age = clock_monotonic_ms() - keepalive_at;
    ck_assert_msg(age >= KEEPALIVE_TIMEOUT_MS - 500 && age <= KEEPALIVE_TIMEOUT_MS + 2000,
                  "keep-alive closed after %lld ms", (long long)age);
    assert_still_serves(&w);
    /* Half way to their deadline the others are all still open. */
    ck_assert_msg(is_open(stalled), "the half ClientHello was dropped after %lld ms",
                  (long long)(clock_monotonic_ms() - stalled_at));
    ck_assert_msg(is_open(slow_head.fd), "the half head was dropped after %lld ms",
                  (long long)(clock_monotonic_ms() - slow_head_at));
    for (size_t i = 0; i < IDLE_CONNECTIONS; i += 50)
        ck_assert_msg(is_open(idle[i]), "idle connection %zu dropped after %lld ms", i,
                      (long long)(clock_monotonic_ms() - idle_at));

    took = wait_closed(stalled, HANDSHAKE_TIMEOUT_MS + 4000);
    age = clock_monotonic_ms() - stalled_at;
    ck_assert_msg(took >= 0, "the stalled handshake was never dropped");
    ck_assert_msg(age >= HANDSHAKE_TIMEOUT_MS - 500 && age <= HANDSHAKE_TIMEOUT_MS + 3000,
                  "stalled handshake dropped after %lld ms", (long long)age);
    took = wait_closed(slow_head.fd, 4000);
    age = clock_monotonic_ms() - slow_head_at;
    ck_assert_msg(took >= 0, "the half request head was never dropped");
    ck_assert_msg(age >= HANDSHAKE_TIMEOUT_MS - 500 && age <= HANDSHAKE_TIMEOUT_MS + 3000,
                  "half head dropped after %lld ms", (long long)age);
    size_t still_open = 0;
    for (size_t i = 0; i < IDLE_CONNECTIONS; i++) {
        int64_t left = idle_at + HANDSHAKE_TIMEOUT_MS + 3000 - clock_monotonic_ms();
        if (wait_closed(idle[i], left > 0 ? (int)left : 0) < 0)
            still_open++;
        close(idle[i]);
    }
    ck_assert_msg(still_open == 0, "%zu of %d idle connections still open after %d ms", still_open,
                  IDLE_CONNECTIONS, HANDSHAKE_TIMEOUT_MS + 3000);
    free(idle);
    close(stalled);
    tls_close(&keepalive);
    tls_close(&slow_head);
    free(r);
    wolfSSL_CTX_free(ctx);
    wolfSSL_CTX_free(ctx12);

    assert_still_serves(&w);
    json_t *stats = web_stats(&w);
    ck_assert_int_ge(json_int_at(stats, NULL, "dropped"), IDLE_CONNECTIONS + 2);
    json_decref(stats);
    world_free(&w);
}
END_TEST

/* Trickling, not stalling: a ClientHello sent one byte a second, and after a
 * handshake a request head sent one byte a second. Each byte is progress, yet
 * each is dropped at its absolute deadline (handshake 10 s from accept, head
 * 10 s from the handshake), and a good client is served meanwhile. */
START_TEST(test_trickling_clients_dropped)
{
    struct world w;
    world_up(&w, NULL);
    WOLFSSL_CTX *ctx12 = client_ctx(&w, 12, true);
    struct tls_conn head;
    ck_assert_int_eq(tls_open(&head, ctx12, w.web_port, true, 0), 0);
    int64_t head_at = clock_monotonic_ms();
    int hello = tcp_connect(w.web_port);
    int64_t hello_at = clock_monotonic_ms();
    /* A record header promising a 200-byte ClientHello, then its body. */
    static const uint8_t hello_bytes[] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00,
                                          0x00, 0xc4, 0x03, 0x03, 0x11, 0x22, 0x33,
                                          0x44, 0x55, 0x66, 0x77, 0x88, 0x99};
    static const char request[] = "GET / HTTP/1.1\r\nHost: shop.test\r\nX-Slow: 0123456789";
    int64_t head_closed = -1, hello_closed = -1;
    for (size_t i = 0; i < 15 && (head_closed < 0 || hello_closed < 0); i++) {
        if (hello_closed < 0 && i < sizeof hello_bytes)
            send(hello, hello_bytes + i, 1, MSG_NOSIGNAL);
        if (head_closed < 0 && i < sizeof request - 1)
            wolfSSL_write(head.ssl, request + i, 1);
        if (i == 3) {
            int64_t asked = clock_monotonic_ms();
            assert_still_serves(&w);
            ck_assert_int_lt(clock_monotonic_ms() - asked, 2000);
        }
        /* One second per byte, watching both for the server's close. */
        int64_t tick_end = clock_monotonic_ms() + 1000;
        while (clock_monotonic_ms() < tick_end && (head_closed < 0 || hello_closed < 0)) {
            if (hello_closed < 0 && !is_open(hello))
                hello_closed = clock_monotonic_ms() - hello_at;
            /* The server may say close_notify before it closes: read it away. */
            if (head_closed < 0 && wait_closed(head.fd, 1) >= 0)
                head_closed = clock_monotonic_ms() - head_at;
            test_sleep_ms(50);
        }
    }
    ck_assert_msg(hello_closed >= HANDSHAKE_TIMEOUT_MS - 500 &&
                      hello_closed <= HANDSHAKE_TIMEOUT_MS + 3000,
                  "the trickled ClientHello was dropped after %lld ms", (long long)hello_closed);
    ck_assert_msg(head_closed >= HANDSHAKE_TIMEOUT_MS - 500 &&
                      head_closed <= HANDSHAKE_TIMEOUT_MS + 3000,
                  "the trickled request head was dropped after %lld ms", (long long)head_closed);
    close(hello);
    tls_close(&head);
    wolfSSL_CTX_free(ctx12);
    assert_still_serves(&w);
    world_free(&w);
}
END_TEST

/* ---- starting and stopping ------------------------------------------------------- */

static const struct start_row {
    const char *args[8];
    const char *want; /* in stderr */
} start_rows[] = {
    {{"nope.test", NULL}, "ca issue nope.test"},
    {{SITE, "--bogus", NULL}, "--bogus"},
    {{NULL}, "NAME"},
    {{SITE, "other.test", NULL}, "NAME"},
    {{"../x", NULL}, "invalid NAME"},
    {{SITE, "--stapling", "maybe", NULL}, "--stapling"},
    {{SITE, "--tls", "1.1", NULL}, "--tls"},
    {{SITE, "--listen", "nonsense", NULL}, "--listen"},
    {{SITE, "--listen", "127.0.0.1:70000", NULL}, "--listen"},
    {{SITE, "--workers", "0", NULL}, "--workers"},
    {{SITE, "--listen", NULL}, "--listen"},
};

/* Every bad start exits 2 with "webserver: ..." and never listens. */
START_TEST(test_start_errors)
{
    const struct start_row *row = &start_rows[_i];
    struct world w;
    memset(&w, 0, sizeof w);
    w.lab = test_tmpdir();
    free(ca_run(w.lab, "init", NULL));
    issue_site(w.lab, "http://127.0.0.1:1/", w.serial);
    const char *argv[16];
    char program[LAB_PATH_MAX];
    size_t argc = 0;
    snprintf(program, sizeof program, "%s", test_bin("webserver"));
    argv[argc++] = program;
    argv[argc++] = "--lab";
    argv[argc++] = w.lab;
    bool has_listen = false;
    for (size_t i = 0; row->args[i] != NULL; i++) {
        has_listen = has_listen || strcmp(row->args[i], "--listen") == 0;
        argv[argc++] = row->args[i];
    }
    if (!has_listen) {
        /* Put the listen option first so a trailing bad option stays last. */
        memmove(argv + 5, argv + 3, (argc - 3) * sizeof argv[0]);
        argv[3] = "--listen";
        argv[4] = "127.0.0.1:0";
        argc += 2;
    }
    argv[argc] = NULL;
    struct test_run run;
    run_argv(&run, argv);
    ck_assert_msg(run.exit_code == 2, "row %d: exit %d, stderr: %s", _i, run.exit_code, run.err);
    ck_assert_msg(strncmp(run.err, "webserver: ", 11) == 0, "row %d: stderr: %s", _i, run.err);
    ck_assert_msg(test_contains(run.err, row->want), "row %d: '%s' not in: %s", _i, row->want,
                  run.err);
    ck_assert_msg(!test_contains(run.out, "listening on"), "%s", run.out);
    test_run_free(&run);
    world_free(&w);
}
END_TEST

/* certs/shop.test.key replaced by the key of the same name in another lab: a
 * well-formed key, just not the certificate's. The server refuses to start
 * (exit 2) and names both files, before it serves anything. */
START_TEST(test_key_of_another_lab)
{
    struct world w;
    memset(&w, 0, sizeof w);
    w.lab = test_tmpdir();
    char *other = test_tmpdir();
    char other_serial[64], rel[LAB_PATH_MAX], from[LAB_PATH_MAX], to[LAB_PATH_MAX];
    char program[LAB_PATH_MAX], want[2 * LAB_PATH_MAX + 64];
    free(ca_run(w.lab, "init", NULL));
    issue_site(w.lab, "http://127.0.0.1:1/", w.serial);
    free(ca_run(other, "init", NULL));
    issue_site(other, "http://127.0.0.1:1/", other_serial);
    snprintf(rel, sizeof rel, "%s/%s.key", LAB_CERTS_DIR, SITE);
    lab_path(from, other, rel);
    lab_path(to, w.lab, rel);
    uint8_t *key = NULL;
    size_t key_len = 0;
    struct errbuf err = {{0}};
    ck_assert_msg(file_read_all(from, 1 << 16, &key, &key_len, &err) == 0, "%s", err.msg);
    FILE *f = fopen(to, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(key, 1, key_len, f), key_len);
    ck_assert_int_eq(fclose(f), 0);
    free(key);

    snprintf(program, sizeof program, "%s", test_bin("webserver"));
    const char *argv[] = {program,       SITE,         "--lab", w.lab, "--listen",
                          "127.0.0.1:0", "--stapling", "off",   NULL};
    struct test_run run;
    run_argv(&run, argv);
    ck_assert_msg(run.exit_code == 2, "exit %d, stderr: %s", run.exit_code, run.err);
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, SITE);
    lab_path(from, w.lab, rel);
    snprintf(want, sizeof want, "webserver: the key %s does not match %s", to, from);
    ck_assert_msg(strncmp(run.err, want, strlen(want)) == 0, "wanted '%s' in: %s", want, run.err);
    ck_assert_msg(test_contains(run.err, "ca issue " SITE), "no hint: %s", run.err);
    ck_assert_msg(!test_contains(run.out, "listening on"), "%s", run.out);
    test_run_free(&run);
    test_rmtree(other);
    free(other);
    world_free(&w);
}
END_TEST

/* A port in use: exit 2 with a hint; the server already there goes on. */
START_TEST(test_port_in_use)
{
    struct world w;
    world_up(&w, NULL);
    char listen_spec[64], program[LAB_PATH_MAX];
    snprintf(listen_spec, sizeof listen_spec, "127.0.0.1:%u", w.web_port);
    snprintf(program, sizeof program, "%s", test_bin("webserver"));
    const char *argv[] = {program, SITE, "--lab", w.lab, "--listen", listen_spec, NULL};
    struct test_run run;
    run_argv(&run, argv);
    ck_assert_msg(run.exit_code == 2, "exit %d: %s", run.exit_code, run.err);
    ck_assert_msg(test_contains(run.err, "in use"), "%s", run.err);
    ck_assert_msg(test_contains(run.err, "127.0.0.1:0"), "no hint: %s", run.err);
    test_run_free(&run);
    assert_still_serves(&w);
    world_free(&w);
}
END_TEST

START_TEST(test_help_and_version)
{
    struct test_run run;
    char program[LAB_PATH_MAX];
    snprintf(program, sizeof program, "%s", test_bin("webserver"));
    const char *help[] = {program, "--help", NULL};
    run_argv(&run, help);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_msg(strncmp(run.out, "usage: webserver NAME", 21) == 0, "%s", run.out);
    ck_assert_msg(test_contains(run.out, "--stapling on|off"), "%s", run.out);
    ck_assert_msg(test_contains(run.out, "openssl s_client"), "%s", run.out);
    test_run_free(&run);
    const char *version[] = {program, "--version", NULL};
    run_argv(&run, version);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_msg(test_contains(run.out, "webserver"), "%s", run.out);
    test_run_free(&run);
}
END_TEST

/* SIGTERM or SIGINT with connections open (idle TCP, keep-alive TLS): exit 0
 * within a second or two, the connections closed, a webserver.stop event. */
START_TEST(test_stops_on_signal)
{
    int sig = _i == 0 ? SIGTERM : SIGINT;
    struct world w;
    static char reply[65536];
    world_up(&w, NULL);
    int idle = tcp_connect(w.web_port);
    WOLFSSL_CTX *ctx = client_ctx(&w, 13, true);
    struct tls_conn c;
    struct reader *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(tls_open(&c, ctx, w.web_port, true, 0), 0);
    tls_send(&c, "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n", 35);
    ck_assert_int_gt(tls_read_response(&c, r, reply, sizeof reply), 0);

    int64_t start = clock_monotonic_ms();
    ck_assert_int_eq(proc_signal(w.web, sig), 0);
    ck_assert_msg(proc_wait(w.web, 10000) == 0, "still running 10 s after signal %d", sig);
    int64_t took = clock_monotonic_ms() - start;
    char *err = proc_stderr(w.web);
    ck_assert_msg(w.web->exit_code == 0, "exit %d: %s", w.web->exit_code, err);
    free(err);
    ck_assert_msg(took < (is_asan_build() ? 5000 : 2000), "took %lld ms to stop", (long long)took);
    ck_assert_int_ge(wait_closed(idle, 1000), 0);
    ck_assert_int_ge(wait_closed(c.fd, 1000), 0);
    close(idle);
    tls_close(&c);
    free(r);
    wolfSSL_CTX_free(ctx);
    json_t *stop = wait_trace(&w, 0, "webserver.stop", 1000);
    ck_assert_int_ge(json_int_at(stop, NULL, "handshakes"), 1);
    json_decref(stop);
    world_free(&w);
}
END_TEST

Suite *webserver_tls_suite(void);
Suite *webserver_tls_suite(void)
{
    Suite *s = suite_create("webserver_tls");

    TCase *interop = tcase_create("interop");
    tcase_set_timeout(interop, 60);
    tcase_add_unchecked_fixture(interop, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(interop, case_setup, case_teardown);
    tcase_add_loop_test(interop, test_openssl_first_handshake, 0, 2);
    tcase_add_test(interop, test_curl_cert_status);
    tcase_add_test(interop, test_hundred_handshakes_one_fetch);
    tcase_add_test(interop, test_stapling_off);
    tcase_add_loop_test(interop, test_tls_version_flag, 0, 2);
    tcase_add_loop_test(interop, test_dribbled_client_hello, 0, 2);
    tcase_add_test(interop, test_fragmented_client_hello);
    tcase_add_test(interop, test_keepalive_and_pipelining);
    tcase_add_loop_test(interop, test_staple_file, 0, 2);
    suite_add_tcase(s, interop);

    TCase *life = tcase_create("staple_life");
    tcase_set_timeout(life, 60);
    tcase_add_unchecked_fixture(life, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(life, case_setup, case_teardown);
    tcase_add_test(life, test_restart_serves_saved_staple);
    tcase_add_test(life, test_responder_down_from_start);
    tcase_add_loop_test(life, test_fault_keeps_last_good, 0,
                        (int)(sizeof faults / sizeof faults[0]));
    tcase_add_test(life, test_revoke_stops_stapling);
    tcase_add_test(life, test_expired_staple_never_sent);
    tcase_add_test(life, test_renewed_certificate);
    tcase_add_test(life, test_slow_responder_never_blocks_handshakes);
    suite_add_tcase(s, life);

    TCase *memory = tcase_create("memory");
    tcase_set_timeout(memory, 60);
    tcase_add_unchecked_fixture(memory, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(memory, case_setup, case_teardown);
    tcase_add_test(memory, test_no_leaks_at_exit);
    tcase_add_test(memory, test_rss_flat);
    suite_add_tcase(s, memory);

    TCase *hostile = tcase_create("hostile");
    tcase_set_timeout(hostile, 60);
    tcase_add_unchecked_fixture(hostile, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(hostile, case_setup, case_teardown);
    tcase_add_test(hostile, test_garbage_dropped);
    tcase_add_test(hostile, test_oversize_head);
    tcase_add_test(hostile, test_idle_and_stalled_clients);
    tcase_add_test(hostile, test_trickling_clients_dropped);
    suite_add_tcase(s, hostile);

    TCase *lifecycle = tcase_create("lifecycle");
    tcase_set_timeout(lifecycle, 60);
    tcase_add_unchecked_fixture(lifecycle, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(lifecycle, case_setup, case_teardown);
    tcase_add_loop_test(lifecycle, test_start_errors, 0,
                        (int)(sizeof start_rows / sizeof start_rows[0]));
    tcase_add_test(lifecycle, test_key_of_another_lab);
    tcase_add_test(lifecycle, test_port_in_use);
    tcase_add_test(lifecycle, test_help_and_version);
    tcase_add_loop_test(lifecycle, test_stops_on_signal, 0, 2);
    suite_add_tcase(s, lifecycle);
    return s;
}
