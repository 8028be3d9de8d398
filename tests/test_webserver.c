/* test_webserver.c — the web server's parts called directly (the ClientHello
 * peek it relies on is common/tls_wire, tested in test_tls_wire.c): the
 * staple's life (stapler_open, then stapler_tick at chosen simulated
 * times) against a real bin/responder; and a site's TLS context handing its
 * staple to a real wolfSSL client, with no memory lost per handshake. The real
 * program with real peers is tests/integration/test_webserver_tls.c. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../webserver/server.h"
#include "../webserver/site.h"
#include "../webserver/stapler.h"
#include "clock.h"
#include "control_token.h"
#include "fileio.h"
#include "integration/proc.h"
#include "lab.h"
#include "ocsp_fetch.h"
#include "ocsp_verify.h"
#include "testutil.h"
#include "trace.h"
#include "x509.h"

#define SITE "shop.test"
#define RUN_TIMEOUT_MS 20000
#define VALIDITY_SECONDS 86400

/* A run of bytes the test owns (free p). */
struct bytes {
    uint8_t *p;
    size_t len;
};

/* ---- the stapler against a real responder ------------------------------------------ */

/* Every lab of a test case lives under one scratch directory, removed after
 * the case even when a test fails (it exits before its own teardown). */
static void scratch_setup(void)
{
    test_scratch_enter("webserver");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* One lab per test: a CA, a responder, shop.test naming it; this process
 * traces as the web server and reads the lab's clock. */
static char *lab;
static struct proc responder = PROC_INIT, second_responder = PROC_INIT;
static unsigned responder_port;
static struct stapler stapler;
static bool is_stapler_open;
static struct site_slot slot;

static void run_ok(const char *const argv[], char **out)
{
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "%s timed out", argv[0]);
    ck_assert_msg(run.exit_code == 0, "%s %s: exit %d: %s", argv[0], argv[1], run.exit_code,
                  run.err);
    if (out != NULL) {
        *out = run.out;
        run.out = NULL;
    }
    test_run_free(&run);
}

/* bin/ca ARGS... --lab LAB (NULL-terminated); exit 0 or the test fails. */
static void ca(const char *first, ...)
{
    const char *argv[16];
    char program[LAB_PATH_MAX];
    size_t argc = 0;
    va_list ap;
    snprintf(program, sizeof program, "%s", test_bin("ca"));
    argv[argc++] = program;
    argv[argc++] = first;
    va_start(ap, first);
    for (const char *arg = va_arg(ap, const char *); arg != NULL; arg = va_arg(ap, const char *)) {
        ck_assert_uint_lt(argc, 12);
        argv[argc++] = arg;
    }
    va_end(ap);
    argv[argc++] = "--lab";
    argv[argc++] = lab;
    argv[argc] = NULL;
    run_ok(argv, NULL);
}

static unsigned start_responder(struct proc *p, const char *listen_spec)
{
    char program[LAB_PATH_MAX], line[256];
    snprintf(program, sizeof program, "%s", test_bin("responder"));
    const char *argv[] = {program, "--lab", lab, "--listen", listen_spec, NULL};
    ck_assert_int_eq(proc_start(p, argv), 0);
    if (proc_wait_line(p, 20000, line, sizeof line) != 0) {
        char *err = proc_stderr(p);
        ck_abort_msg("responder did not start: %s", err);
    }
    unsigned port = 0;
    ck_assert_msg(sscanf(line, "listening on 127.0.0.1:%u", &port) == 1, "%s", line);
    return port;
}

/* Gone for good. (Its exit status is the responder suite's business.) */
static void stop_responder(void)
{
    proc_stop(&responder, 5000);
    ck_assert(!proc_is_running(&responder));
}

static void issue_with_url(unsigned port)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
    ca("issue", SITE, "--ocsp-url", url, NULL);
}

static void stapler_setup(void)
{
    struct errbuf err = {{0}};
    is_stapler_open = false;
    responder = (struct proc)PROC_INIT;
    second_responder = (struct proc)PROC_INIT;
    ck_assert_int_eq(wolfSSL_Init(), WOLFSSL_SUCCESS);
    ck_assert_msg(ocsp_fetch_global_init(&err) == 0, "%s", err.msg);
    lab = test_tmpdir();
    ca("init", NULL);
    char token[CONTROL_TOKEN_HEX + 1];
    test_control_token(lab, token);
    responder_port = start_responder(&responder, "127.0.0.1:0");
    issue_with_url(responder_port);
    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    ck_assert_msg(trace_open(lab, "webserver", &err) == 0, "%s", err.msg);
    site_slot_init(&slot);
}

static void close_stapler(void)
{
    if (is_stapler_open) {
        stapler_close(&stapler);
        site_slot_set(&slot, NULL);
    }
    is_stapler_open = false;
}

static void stapler_teardown(void)
{
    close_stapler();
    site_slot_free(&slot);
    proc_free(&responder);
    proc_free(&second_responder);
    trace_close();
    test_rmtree(lab);
    free(lab);
    lab = NULL;
    wolfSSL_Cleanup();
}

/* stapler_open for shop.test; the background thread is never started, so
 * only the test moves the stapler, with stapler_tick at the times it picks. */
static void open_stapler_with(bool is_stapling_on, const char *staple_file)
{
    struct errbuf err = {{0}};
    struct stapler_config config = {
        .lab_dir = lab,
        .name = SITE,
        .is_stapling_on = is_stapling_on,
        .staple_file = staple_file,
        .versions = TLS_BOTH,
    };
    close_stapler();
    ck_assert_msg(stapler_open(&stapler, &config, &slot, &err) == 0, "%s", err.msg);
    is_stapler_open = true;
}

static void open_stapler(void)
{
    open_stapler_with(true, NULL);
}

static struct staple_view view_now(void)
{
    struct staple_view view;
    stapler_view(&stapler, &view);
    return view;
}

/* The staple the current site hands out, copied (NULL when none). */
static struct bytes served_staple(void)
{
    struct bytes b = {NULL, 0};
    struct site *site = site_slot_get(&slot);
    ck_assert_ptr_nonnull(site);
    if (site->staple != NULL) {
        b.p = malloc(site->staple_len);
        ck_assert_ptr_nonnull(b.p);
        memcpy(b.p, site->staple, site->staple_len);
        b.len = site->staple_len;
    }
    site_release(site);
    return b;
}

static bool bytes_equal(struct bytes a, struct bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void staple_path(char *out)
{
    char rel[LAB_PATH_MAX];
    snprintf(rel, sizeof rel, "%s/%s.der", LAB_STAPLES_DIR, SITE);
    ck_assert_int_eq(file_path_join(out, LAB_PATH_MAX, lab, rel), 0);
}

static struct bytes saved_staple(void)
{
    char path[LAB_PATH_MAX];
    struct bytes b = {NULL, 0};
    struct errbuf err = {{0}};
    staple_path(path);
    ck_assert_msg(file_read_all(path, 1 << 20, &b.p, &b.len, &err) == 0, "%s", err.msg);
    return b;
}

static bool has_saved_staple(void)
{
    char path[LAB_PATH_MAX];
    staple_path(path);
    return access(path, F_OK) == 0;
}

/* What the browser's verifier says about `staple` for certs/shop.test.pem now. */
static enum ocsp_verdict_reason verdict_for_current_cert(struct bytes staple, int64_t now)
{
    char rel[LAB_PATH_MAX], cert_file[LAB_PATH_MAX], root_file[LAB_PATH_MAX];
    uint8_t *cert_pem = NULL, *root_pem = NULL;
    size_t cert_len = 0, root_len = 0;
    struct errbuf err = {{0}};
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, SITE);
    ck_assert_int_eq(file_path_join(cert_file, sizeof cert_file, lab, rel), 0);
    ck_assert_int_eq(file_path_join(root_file, sizeof root_file, lab, LAB_ROOT_CERT), 0);
    ck_assert_int_eq(file_read_all(cert_file, 1 << 16, &cert_pem, &cert_len, &err), 0);
    ck_assert_int_eq(file_read_all(root_file, 1 << 16, &root_pem, &root_len, &err), 0);
    uint8_t cert_der[4096], root_der[4096];
    int cert_der_len =
        wolfSSL_CertPemToDer(cert_pem, (int)cert_len, cert_der, (int)sizeof cert_der, CERT_TYPE);
    int root_der_len =
        wolfSSL_CertPemToDer(root_pem, (int)root_len, root_der, (int)sizeof root_der, CERT_TYPE);
    ck_assert_int_gt(cert_der_len, 0);
    ck_assert_int_gt(root_der_len, 0);
    struct x509_cert cert, root;
    ck_assert_int_eq(x509_parse(&cert, cert_der, (size_t)cert_der_len, &err), 0);
    ck_assert_int_eq(x509_parse(&root, root_der, (size_t)root_der_len, &err), 0);
    struct ocsp_verify_input in = {.cert = &cert, .issuer = &root, .now = now};
    struct ocsp_verdict verdict;
    ocsp_verify_response(staple.p, staple.len, &in, &verdict);
    free(cert_pem);
    free(root_pem);
    return verdict.reason;
}

/* Webserver trace events named `event` since the lab began. */
static size_t trace_count(const char *event)
{
    char path[LAB_PATH_MAX];
    char *line = NULL;
    size_t cap = 0, n = 0;
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, LAB_TRACE_FILE), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (getline(&line, &cap, f) > 0) {
        json_t *obj = json_loads(line, 0, NULL);
        const char *name = json_string_value(json_object_get(obj, "event"));
        const char *actor = json_string_value(json_object_get(obj, "actor"));
        if (name != NULL && actor != NULL && strcmp(name, event) == 0 &&
            strcmp(actor, "webserver") == 0)
            n++;
        json_decref(obj);
    }
    fclose(f);
    free(line);
    return n;
}

/* The last such event's string field (static storage), "" when none. */
static const char *trace_last_field(const char *event, const char *field)
{
    static char value[1024];
    char path[LAB_PATH_MAX];
    char *line = NULL;
    size_t cap = 0;
    value[0] = 0;
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, LAB_TRACE_FILE), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (getline(&line, &cap, f) > 0) {
        json_t *obj = json_loads(line, 0, NULL);
        const char *name = json_string_value(json_object_get(obj, "event"));
        const char *text = json_string_value(json_object_get(obj, field));
        if (name != NULL && strcmp(name, event) == 0 && text != NULL)
            snprintf(value, sizeof value, "%s", text);
        json_decref(obj);
    }
    fclose(f);
    free(line);
    return value;
}

/* Switches the responder's fault as the teacher does: token and content type. */
static void responder_fault(const char *fault)
{
    char url[64], program[16] = "curl";
    char token[CONTROL_TOKEN_HEX + 1], token_header[CONTROL_TOKEN_HEX + 64];
    test_control_token(lab, token);
    snprintf(token_header, sizeof token_header, "%s: %s", CONTROL_TOKEN_HEADER, token);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/control/fault", responder_port);
    const char *argv[] = {program,
                          "-s",
                          "--max-time",
                          "10",
                          "-f",
                          "-H",
                          token_header,
                          "-H",
                          "Content-Type: " CONTROL_CONTENT_TYPE,
                          "--data-binary",
                          fault,
                          url,
                          NULL};
    run_ok(argv, NULL);
}

static json_int_t responder_requests_from_webserver(void)
{
    char url[64], program[16] = "curl";
    char *out = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/stats", responder_port);
    const char *argv[] = {program, "-s", "--max-time", "10", "-f", url, NULL};
    run_ok(argv, &out);
    json_t *stats = json_loads(out, 0, NULL);
    ck_assert_msg(stats != NULL, "%s", out);
    json_t *value = json_object_get(json_object_get(stats, "by_requester"), "webserver");
    ck_assert(json_is_integer(value));
    json_int_t n = json_integer_value(value);
    json_decref(stats);
    free(out);
    return n;
}

/* Before stapler_open returns, the staple is fetched, checked, published in
 * the site and saved: the first visitor gets it. */
START_TEST(test_stapler_fetches_before_open_returns)
{
    int64_t before = clock_now();
    open_stapler();
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 1);
    ck_assert_int_le(view.this_update, before);
    ck_assert_int_eq(view.next_update - view.this_update, VALIDITY_SECONDS);
    ck_assert_int_eq(view.next_refresh, view.this_update + VALIDITY_SECONDS / 2);
    ck_assert_str_eq(view.last_problem, "");
    struct bytes served = served_staple(), saved = saved_staple();
    ck_assert_ptr_nonnull(served.p);
    ck_assert(bytes_equal(served, saved));
    ck_assert_int_eq(verdict_for_current_cert(served, clock_now()), OCSP_VERDICT_GOOD);
    ck_assert_int_eq(responder_requests_from_webserver(), 1);
    ck_assert_uint_eq(trace_count("ocsp.request.sent"), 1);
    ck_assert_uint_eq(trace_count("staple.fetch.ok"), 1);
    ck_assert_uint_eq(trace_count("staple.none"), 0);
    free(served.p);
    free(saved.p);
}
END_TEST

/* Ticks before half-life ask nobody; the tick at half-life fetches once. */
START_TEST(test_stapler_refreshes_at_half_life)
{
    open_stapler();
    struct staple_view view = view_now();
    int64_t refresh = view.next_refresh;
    const int64_t early[] = {clock_now(), clock_now() + 3600, refresh - 60, refresh - 1};
    for (size_t i = 0; i < sizeof early / sizeof early[0]; i++) {
        stapler_tick(&stapler, early[i]);
        ck_assert_msg(view_now().fetches == 1, "fetched at refresh %+lld s",
                      (long long)(early[i] - refresh));
    }
    stapler_tick(&stapler, refresh);
    view = view_now();
    ck_assert_int_eq(view.fetches, 2);
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(responder_requests_from_webserver(), 2);
    ck_assert_uint_eq(trace_count("staple.fetch.ok"), 2);
}
END_TEST

static const char *const failures[] = {"trylater", "garbage", "stale", "unauthorized", "stopped"};

/* A failed refresh (each responder fault, or no responder) keeps the last
 * good staple, byte for byte, says why, and schedules a retry in about 10 s. */
START_TEST(test_stapler_failure_keeps_last_good)
{
    open_stapler();
    struct bytes before = served_staple();
    int64_t refresh = view_now().next_refresh;
    if (strcmp(failures[_i], "stopped") == 0)
        stop_responder();
    else
        responder_fault(failures[_i]);
    stapler_tick(&stapler, refresh);
    struct staple_view view = view_now();
    ck_assert_int_eq(view.fetches, 2);
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_msg(view.last_problem[0] != 0, "no problem reported for %s", failures[_i]);
    struct bytes after = served_staple();
    ck_assert(bytes_equal(before, after));
    ck_assert_uint_eq(trace_count("staple.fetch.failed"), 1);
    int64_t wait = stapler.next_attempt - refresh;
    ck_assert_msg(wait >= STAPLER_RETRY_FIRST_SECONDS * 3 / 4 - 1 &&
                      wait <= STAPLER_RETRY_FIRST_SECONDS * 5 / 4 + 1,
                  "retry in %lld s", (long long)wait);
    free(before.p);
    free(after.p);
}
END_TEST

/* Failures in a row: retries back off, doubling up to the cap with +-25%
 * jitter, never early; the first success resets the backoff. */
START_TEST(test_stapler_backoff)
{
    open_stapler();
    int64_t t = view_now().next_refresh;
    responder_fault("trylater");
    int64_t step = STAPLER_RETRY_FIRST_SECONDS, fetches = 1;
    bool has_jitter = false;
    for (int k = 0; k < 10; k++) {
        stapler_tick(&stapler, t);
        ck_assert_int_eq(view_now().fetches, ++fetches);
        int64_t wait = stapler.next_attempt - t;
        ck_assert_msg(wait >= step - step / 4 - 1 && wait <= step + step / 4 + 1,
                      "failure %d: retry in %lld s, step %lld s", k + 1, (long long)wait,
                      (long long)step);
        has_jitter = has_jitter || wait != step;
        stapler_tick(&stapler, stapler.next_attempt - 1);
        ck_assert_msg(view_now().fetches == fetches, "retried early after failure %d", k + 1);
        t = stapler.next_attempt;
        step = step * 2 > STAPLER_RETRY_MAX_SECONDS ? STAPLER_RETRY_MAX_SECONDS : step * 2;
    }
    ck_assert_msg(has_jitter, "ten retries, no jitter");
    ck_assert_str_eq(staple_status_name(view_now().status), "good");
    responder_fault("none");
    stapler_tick(&stapler, t);
    ck_assert_int_eq(view_now().fetches, ++fetches);
    ck_assert_str_eq(view_now().last_problem, "");
    ck_assert_int_eq(stapler.next_attempt, 0);
    ck_assert_int_eq(stapler.retry_seconds, STAPLER_RETRY_FIRST_SECONDS);
}
END_TEST

/* No responder: the staple lives until its nextUpdate and not a second
 * longer; then the site staples nothing (never an expired answer). */
START_TEST(test_stapler_expires_at_next_update)
{
    open_stapler();
    int64_t next_update = view_now().next_update;
    stop_responder();
    stapler_tick(&stapler, next_update - 1);
    ck_assert_str_eq(staple_status_name(view_now().status), "good");
    struct bytes served = served_staple();
    ck_assert_ptr_nonnull(served.p);
    free(served.p);
    ck_assert_uint_eq(trace_count("staple.expired"), 0);
    stapler_tick(&stapler, next_update);
    ck_assert_str_eq(staple_status_name(view_now().status), "none");
    served = served_staple();
    ck_assert_ptr_null(served.p);
    ck_assert_uint_eq(trace_count("staple.expired"), 1);
    stapler_tick(&stapler, next_update + 3600);
    ck_assert_str_eq(staple_status_name(view_now().status), "none");
    served = served_staple();
    ck_assert_ptr_null(served.p);
}
END_TEST

/* `ca revoke`: the refresh hears revoked; stapling stops, the saved staple
 * goes, and it stays so on later checks. */
START_TEST(test_stapler_revoked_stops)
{
    open_stapler();
    int64_t refresh = view_now().next_refresh;
    ck_assert(has_saved_staple());
    ca("revoke", SITE, NULL);
    stapler_tick(&stapler, refresh);
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "revoked");
    ck_assert_str_ne(view.last_problem, "");
    struct bytes served = served_staple();
    ck_assert_ptr_null(served.p);
    ck_assert(!has_saved_staple());
    ck_assert_uint_eq(trace_count("staple.revoked"), 1);
    stapler_tick(&stapler, refresh + 7200);
    ck_assert_str_eq(staple_status_name(view_now().status), "revoked");
    served = served_staple();
    ck_assert_ptr_null(served.p);
}
END_TEST

/* A renewed certificate: the next tick drops the old staple and fetches one
 * for the new serial; the site presents the new pair. */
START_TEST(test_stapler_certificate_changed)
{
    open_stapler();
    char old_serial[64];
    snprintf(old_serial, sizeof old_serial, "%s", stapler.serial_hex);
    struct bytes old_staple = served_staple();
    issue_with_url(responder_port);
    stapler_tick(&stapler, clock_now());
    ck_assert_str_ne(stapler.serial_hex, old_serial);
    ck_assert_uint_eq(trace_count("staple.cert.changed"), 1);
    ck_assert_str_eq(trace_last_field("staple.cert.changed", "old_serial"), old_serial);
    ck_assert_str_eq(trace_last_field("staple.cert.changed", "serial"), stapler.serial_hex);
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 2);
    struct bytes served = served_staple(), saved = saved_staple();
    ck_assert_int_eq(verdict_for_current_cert(served, clock_now()), OCSP_VERDICT_GOOD);
    ck_assert_int_eq(verdict_for_current_cert(old_staple, clock_now()), OCSP_VERDICT_WRONG_CERT);
    ck_assert(bytes_equal(served, saved));
    free(served.p);
    free(saved.p);
    free(old_staple.p);
}
END_TEST

static const char *const unreadable_certs[] = {
    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    "", /* an empty file, as a copy just begun leaves it */
};

/* certs/shop.test.pem replaced by something unreadable (a botched copy, a
 * file half written by hand): the server keeps its certificate and staple,
 * and the next refresh still staples a fresh answer for the certificate it
 * serves. A readable certificate later is picked up as usual. */
START_TEST(test_stapler_unreadable_new_certificate)
{
    char rel[LAB_PATH_MAX], cert_file[LAB_PATH_MAX], temp[LAB_PATH_MAX + 8];
    open_stapler();
    struct bytes first = served_staple();
    int64_t refresh = view_now().next_refresh;
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, SITE);
    ck_assert_int_eq(file_path_join(cert_file, sizeof cert_file, lab, rel), 0);
    snprintf(temp, sizeof temp, "%s.tmp", cert_file);
    FILE *f = fopen(temp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(unreadable_certs[_i], f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(temp, cert_file), 0);

    stapler_tick(&stapler, clock_now());
    ck_assert_str_eq(staple_status_name(view_now().status), "good");
    struct bytes served = served_staple();
    ck_assert(bytes_equal(first, served));
    free(served.p);

    stapler_tick(&stapler, refresh);
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 2);
    ck_assert_msg(view.last_problem[0] == 0, "the refresh failed: %s", view.last_problem);
    ck_assert_uint_eq(trace_count("staple.fetch.ok"), 2);
    ck_assert_uint_eq(trace_count("staple.publish.failed"), 0);
    served = served_staple();
    struct bytes saved = saved_staple();
    ck_assert_msg(bytes_equal(served, saved), "the site serves another staple than the one "
                                              "the stapler fetched and saved");
    free(served.p);
    free(saved.p);

    issue_with_url(responder_port);
    stapler_tick(&stapler, refresh + 1);
    ck_assert_uint_eq(trace_count("staple.cert.changed"), 1);
    served = served_staple();
    ck_assert_int_eq(verdict_for_current_cert(served, clock_now()), OCSP_VERDICT_GOOD);
    free(served.p);
    free(first.p);
}
END_TEST

/* A restart with the responder gone: the saved staple is used at once, no fetch. */
START_TEST(test_stapler_reuses_saved_staple)
{
    open_stapler();
    struct bytes first = served_staple();
    close_stapler();
    stop_responder();
    open_stapler();
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 0);
    struct bytes again = served_staple();
    ck_assert(bytes_equal(first, again));
    ck_assert_uint_eq(trace_count("staple.loaded"), 1);
    free(first.p);
    free(again.p);
}
END_TEST

/* A saved staple past its refresh point is used and refreshed at start;
 * when the refresh fails it is still served. */
START_TEST(test_stapler_saved_staple_past_refresh)
{
    struct errbuf err = {{0}};
    open_stapler();
    struct bytes first = served_staple();
    close_stapler();
    ck_assert_msg(clock_offset_write(lab, 13 * 3600, &err) == 0, "%s", err.msg);
    stop_responder();
    open_stapler();
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 1);
    ck_assert_uint_eq(trace_count("staple.loaded"), 1);
    ck_assert_uint_eq(trace_count("staple.fetch.failed"), 1);
    struct bytes again = served_staple();
    ck_assert(bytes_equal(first, again));
    free(first.p);
    free(again.p);
}
END_TEST

static const struct discard_row {
    const char *name;
    bool is_expired;    /* the clock moves past its nextUpdate */
    bool is_other_cert; /* the certificate was renewed meanwhile */
    const char *reason;
} discard_rows[] = {
    {"expired", true, false, "stale"},
    {"for another certificate", false, true, "wrong-cert"},
};

/* A saved staple that no longer passes the browser's checks is thrown away
 * at start, and with no responder the server starts without one. */
START_TEST(test_stapler_discards_bad_saved_staple)
{
    const struct discard_row *row = &discard_rows[_i];
    struct errbuf err = {{0}};
    open_stapler();
    close_stapler();
    if (row->is_other_cert)
        issue_with_url(responder_port);
    if (row->is_expired)
        ck_assert_msg(clock_offset_write(lab, 25 * 3600, &err) == 0, "%s", err.msg);
    stop_responder();
    open_stapler();
    ck_assert_str_eq(staple_status_name(view_now().status), "none");
    struct bytes served = served_staple();
    ck_assert_ptr_null(served.p);
    ck_assert_uint_eq(trace_count("staple.discarded"), 1);
    ck_assert_str_eq(trace_last_field("staple.discarded", "reason"), row->reason);
    ck_assert_uint_eq(trace_count("staple.none"), 1);
}
END_TEST

/* No responder at start, nothing saved: no staple, a retry scheduled; when
 * the responder appears, the retry at its time (not before) staples. */
START_TEST(test_stapler_recovers_when_responder_appears)
{
    /* A port nobody listens on yet: bound and released by us. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t len = sizeof addr;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    unsigned port = ntohs(addr.sin_port);
    close(fd);
    issue_with_url(port);
    open_stapler();
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "none");
    ck_assert_int_eq(view.fetches, 1);
    ck_assert_str_ne(view.last_problem, "");
    ck_assert_uint_eq(trace_count("staple.none"), 1);
    ck_assert_uint_eq(trace_count("staple.fetch.failed"), 1);
    char listen_spec[64];
    snprintf(listen_spec, sizeof listen_spec, "127.0.0.1:%u", port);
    start_responder(&second_responder, listen_spec);
    int64_t next_attempt = stapler.next_attempt;
    stapler_tick(&stapler, next_attempt - 1);
    ck_assert_int_eq(view_now().fetches, 1);
    stapler_tick(&stapler, next_attempt);
    view = view_now();
    ck_assert_int_eq(view.fetches, 2);
    ck_assert_str_eq(staple_status_name(view.status), "good");
    struct bytes served = served_staple();
    ck_assert_ptr_nonnull(served.p);
    free(served.p);
}
END_TEST

/* --stapling off: nothing fetched at start or ever, nothing stapled. */
START_TEST(test_stapler_off)
{
    open_stapler_with(false, NULL);
    const int64_t times[] = {clock_now(), clock_now() + 13 * 3600, clock_now() + 30 * 86400};
    for (size_t i = 0; i < 3; i++)
        stapler_tick(&stapler, times[i]);
    ck_assert_int_eq(view_now().fetches, 0);
    struct bytes served = served_staple();
    ck_assert_ptr_null(served.p);
    ck_assert_int_eq(responder_requests_from_webserver(), 0);
    ck_assert_uint_eq(trace_count("staple.off"), 1);
}
END_TEST

/* --staple-file: exactly those bytes, unchecked and never refreshed. */
START_TEST(test_stapler_staple_file)
{
    char path[LAB_PATH_MAX];
    snprintf(path, sizeof path, "%s/chosen.der", lab);
    static const uint8_t junk[] = {0x30, 0x03, 0x0a, 0x01, 0x03}; /* tryLater */
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    ck_assert_int_eq(fclose(f), 0);
    open_stapler_with(true, path);
    stapler_tick(&stapler, clock_now() + 13 * 3600);
    struct bytes served = served_staple();
    struct bytes want = {(uint8_t *)junk, sizeof junk};
    ck_assert(bytes_equal(served, want));
    ck_assert_int_eq(view_now().fetches, 0);
    ck_assert_int_eq(responder_requests_from_webserver(), 0);
    ck_assert_uint_eq(trace_count("staple.file"), 1);
    free(served.p);
}
END_TEST

/* ---- a site handing its staple to a real client ------------------------------------- */

struct handshake_server {
    struct site *site;
    int fd;
    int rc;
    bool is_tls13;
};

/* The server side of one handshake, as server.c runs it. */
static void *serve_one(void *arg)
{
    struct handshake_server *hs = arg;
    WOLFSSL *ssl = wolfSSL_new(hs->site->ctx);
    hs->rc = -1;
    if (ssl == NULL)
        return NULL;
    ck_assert_int_eq(wolfSSL_set_app_data(ssl, hs->site), WOLFSSL_SUCCESS);
    wolfSSL_set_fd(ssl, hs->fd);
    hs->rc = wolfSSL_accept(ssl);
    hs->is_tls13 = wolfSSL_version(ssl) == TLS1_3_VERSION;
    wolfSSL_free(ssl);
    return NULL;
}

/* One handshake over a socket pair: a wolfSSL client (must-staple when
 * asked) against the site. Returns the client's result (0 = completed). */
static int handshake_with(struct site *site, WOLFSSL_CTX *client, struct handshake_server *hs)
{
    int fds[2];
    pthread_t thread;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    struct timeval limit = {.tv_sec = 5};
    for (int i = 0; i < 2; i++) {
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    }
    hs->site = site;
    hs->fd = fds[1];
    ck_assert_int_eq(pthread_create(&thread, NULL, serve_one, hs), 0);
    WOLFSSL *ssl = wolfSSL_new(client);
    ck_assert_ptr_nonnull(ssl);
    wolfSSL_set_fd(ssl, fds[0]);
    ck_assert_int_eq(wolfSSL_UseOCSPStapling(ssl, WOLFSSL_CSR_OCSP, 0), WOLFSSL_SUCCESS);
    int rc = wolfSSL_connect(ssl);
    int result = rc == WOLFSSL_SUCCESS ? 0 : wolfSSL_get_error(ssl, rc);
    /* The server finishes (TLS 1.3: it also sends its tickets) before we go. */
    if (result != 0)
        shutdown(fds[0], SHUT_RDWR);
    pthread_join(thread, NULL);
    wolfSSL_free(ssl);
    close(fds[0]);
    close(fds[1]);
    return result;
}

static WOLFSSL_CTX *must_staple_client(bool is_tls13)
{
    char root[LAB_PATH_MAX];
    ck_assert_int_eq(file_path_join(root, sizeof root, lab, LAB_ROOT_CERT), 0);
    WOLFSSL_CTX *ctx =
        wolfSSL_CTX_new(is_tls13 ? wolfTLSv1_3_client_method() : wolfTLSv1_2_client_method());
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(wolfSSL_CTX_load_verify_locations(ctx, root, NULL), WOLFSSL_SUCCESS);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    ck_assert_int_eq(wolfSSL_CTX_EnableOCSPStapling(ctx), WOLFSSL_SUCCESS);
    ck_assert_int_eq(wolfSSL_CTX_EnableOCSPMustStaple(ctx), WOLFSSL_SUCCESS);
    return ctx;
}

static void site_setup(void)
{
    /* The server writes session tickets to a client that may have gone. */
    signal(SIGPIPE, SIG_IGN);
    stapler_setup();
}

/* A site with the fetched staple: a must-staple client gets it and it
 * verifies, on TLS 1.2 and 1.3, handshake after handshake, and the heap does
 * not grow with them (wolfSSL 5.5.4 lost about 8 KB in every stapled TLS 1.3
 * handshake, a copy of the staple and a parsed certificate; 5.9.2 frees both,
 * src/tls.c TLSX_CSR_Free and src/tls13.c). Under ASan mallinfo2 says
 * nothing, and LeakSanitizer does the counting instead. A site without a
 * staple sends none (the must-staple client refuses). */
START_TEST(test_site_staples_without_losing_memory)
{
    bool is_tls13 = _i == 1;
    open_stapler();
    struct site *site = site_slot_get(&slot);
    ck_assert_ptr_nonnull(site->staple);
    WOLFSSL_CTX *client = must_staple_client(is_tls13);
    struct handshake_server hs;
    size_t heap_before = 0;
    enum { WARM_UP = 5, HANDSHAKES = 205 };
    for (int i = 0; i < HANDSHAKES; i++) {
        if (i == WARM_UP)
            heap_before = mallinfo2().uordblks;
        int rc = handshake_with(site, client, &hs);
        ck_assert_msg(rc == 0, "handshake %d: client error %d", i + 1, rc);
        ck_assert_int_eq(hs.rc, WOLFSSL_SUCCESS);
        ck_assert(hs.is_tls13 == is_tls13);
    }
    size_t heap_after = mallinfo2().uordblks;
    /* 200 handshakes at 8 KB lost each would be 1.6 MB; allow allocator noise. */
    ck_assert_msg(heap_after < heap_before + 64 * 1024,
                  "the heap grew by %zu bytes over %d stapled handshakes", heap_after - heap_before,
                  HANDSHAKES - WARM_UP);
    site_release(site);

    open_stapler_with(false, NULL);
    site = site_slot_get(&slot);
    ck_assert_ptr_null(site->staple);
    int rc = handshake_with(site, client, &hs);
    ck_assert_msg(rc != 0, "a must-staple client accepted a handshake without a staple");
    site_release(site);
    wolfSSL_CTX_free(client);
}
END_TEST

/* A site stays usable by connections that hold it after a new one replaces
 * it in the slot; the last reference frees it. */
START_TEST(test_site_slot_swap)
{
    open_stapler();
    struct site *old = site_slot_get(&slot);
    ck_assert_ptr_nonnull(old);
    open_stapler_with(false, NULL);
    struct site *current = site_slot_get(&slot);
    ck_assert_ptr_ne(old, current);
    ck_assert_ptr_nonnull(old->staple);
    ck_assert_ptr_null(current->staple);
    WOLFSSL_CTX *client = must_staple_client(true);
    struct handshake_server hs;
    ck_assert_int_eq(handshake_with(old, client, &hs), 0);
    wolfSSL_CTX_free(client);
    site_release(old);
    site_release(current);
}
END_TEST

Suite *webserver_suite(void);
Suite *webserver_suite(void)
{
    Suite *s = suite_create("webserver");

    TCase *stapling = tcase_create("stapler");
    tcase_set_timeout(stapling, 60);
    tcase_add_unchecked_fixture(stapling, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(stapling, stapler_setup, stapler_teardown);
    tcase_add_test(stapling, test_stapler_fetches_before_open_returns);
    tcase_add_test(stapling, test_stapler_refreshes_at_half_life);
    tcase_add_loop_test(stapling, test_stapler_failure_keeps_last_good, 0,
                        (int)(sizeof failures / sizeof failures[0]));
    tcase_add_test(stapling, test_stapler_backoff);
    tcase_add_test(stapling, test_stapler_expires_at_next_update);
    tcase_add_test(stapling, test_stapler_revoked_stops);
    tcase_add_test(stapling, test_stapler_certificate_changed);
    tcase_add_loop_test(stapling, test_stapler_unreadable_new_certificate, 0,
                        (int)(sizeof unreadable_certs / sizeof unreadable_certs[0]));
    tcase_add_test(stapling, test_stapler_reuses_saved_staple);
    tcase_add_test(stapling, test_stapler_saved_staple_past_refresh);
    tcase_add_loop_test(stapling, test_stapler_discards_bad_saved_staple, 0,
                        (int)(sizeof discard_rows / sizeof discard_rows[0]));
    tcase_add_test(stapling, test_stapler_recovers_when_responder_appears);
    tcase_add_test(stapling, test_stapler_off);
    tcase_add_test(stapling, test_stapler_staple_file);
    suite_add_tcase(s, stapling);

    TCase *sites = tcase_create("site");
    tcase_set_timeout(sites, 60);
    tcase_add_unchecked_fixture(sites, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(sites, site_setup, stapler_teardown);
    tcase_add_loop_test(sites, test_site_staples_without_losing_memory, 0, 2);
    tcase_add_test(sites, test_site_slot_swap);
    suite_add_tcase(s, sites);
    return s;
}
