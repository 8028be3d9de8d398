/* test_browser_crl.c — `browser visit --fallback crl` against real
 * programs: each fresh user downloads the CRL from its own address (the
 * responder counts them), a shared --crl-cache costs one download, a
 * revoked certificate is refused, and every broken distribution point or
 * list gets its reason word: down, slow, garbage, truncated, oversized,
 * wrongly signed, another CA's, expired, not yet valid. */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "proc.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 30000
#define SITE "shop.test"

static struct proc_set procs;

static void case_setup(void)
{
    test_scratch_enter("browser_crl");
    proc_set_init(&procs);
}

static void case_teardown(void)
{
    proc_set_free(&procs);
    test_scratch_leave();
}

/* Starts argv and returns the port of its first line, which holds
 * "127.0.0.1:PORT" (ours) or "port PORT" (python's http.server). */
static unsigned start_listening(const char *const argv[])
{
    char line[256];
    struct proc *p = proc_set_start(&procs, argv);
    if (proc_wait_line(p, RUN_TIMEOUT_MS, line, sizeof line) != 0) {
        char *err = proc_stderr(p);
        ck_abort_msg("%s did not start: %s", argv[0], test_tail_of(err));
    }
    const char *at = strstr(line, "127.0.0.1:");
    unsigned port = 0;
    if (at != NULL)
        sscanf(at, "127.0.0.1:%u", &port);
    else if ((at = strstr(line, " port ")) != NULL)
        sscanf(at, " port %u", &port);
    ck_assert_msg(port > 0 && port < 65536, "no port in '%s'", line);
    return port;
}

static unsigned start_responder(const char *lab, const char *fault, const char *delay)
{
    const char *argv[12] = {test_bin("responder"), "--lab", lab, "--listen", "127.0.0.1:0"};
    size_t argc = 5;
    if (fault != NULL) {
        argv[argc++] = "--fault";
        argv[argc++] = fault;
    }
    if (delay != NULL) {
        argv[argc++] = "--delay";
        argv[argc++] = delay;
    }
    argv[argc] = NULL;
    return start_listening(argv);
}

/* A plain HTTP server for files in `dir` (a distribution point we break). */
static unsigned start_file_server(const char *dir)
{
    const char *argv[] = {"python3", "-u",        "-m",          "http.server", "0",
                          "--bind",  "127.0.0.1", "--directory", dir,           NULL};
    return start_listening(argv);
}

static unsigned start_web(const char *lab)
{
    const char *argv[] = {test_bin("webserver"), SITE,         "--lab", lab, "--listen",
                          "127.0.0.1:0",         "--stapling", "off",   NULL};
    return start_listening(argv);
}

/* ca issue shop.test with the CRL URL `crl_url` (NULL: the responder's). */
static void issue(const char *lab, unsigned responder_port, const char *crl_url)
{
    char ocsp[64];
    snprintf(ocsp, sizeof ocsp, "http://127.0.0.1:%u/", responder_port);
    if (crl_url != NULL)
        free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", SITE, "--ocsp-url", ocsp, "--crl-url",
                        crl_url, NULL));
    else
        free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", SITE, "--ocsp-url", ocsp, NULL));
}

/* bin/browser visit ... --json --fallback crl EXTRA... (NULL-ended); the report. */
static json_t *browse(const char *lab, unsigned port, ...)
{
    const char *argv[24];
    char url[64];
    size_t argc = 0;
    va_list ap;
    snprintf(url, sizeof url, "https://%s:%u/", SITE, port);
    argv[argc++] = test_bin("browser");
    argv[argc++] = "visit";
    argv[argc++] = url;
    argv[argc++] = "--lab";
    argv[argc++] = lab;
    argv[argc++] = "--json";
    argv[argc++] = "--fallback";
    argv[argc++] = "crl";
    va_start(ap, port);
    for (const char *arg = va_arg(ap, const char *); arg != NULL; arg = va_arg(ap, const char *))
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "the browser did not finish");
    json_t *report = json_loads(run.out, 0, NULL);
    ck_assert_msg(report != NULL, "no JSON from the browser: %s %s", test_tail_of(run.out),
                  test_tail_of(run.err));
    test_run_free(&run);
    return report;
}

static const char *user_str(json_t *report, size_t i, const char *group, const char *key)
{
    json_t *user = json_array_get(json_object_get(report, "users"), i);
    json_t *v = group != NULL ? json_object_get(json_object_get(user, group), key)
                              : json_object_get(user, key);
    ck_assert_msg(json_is_string(v), "users[%zu].%s missing", i, key);
    return json_string_value(v);
}

static json_int_t crl_downloads_at(unsigned responder_port)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/stats", responder_port);
    const char *argv[] = {"curl", "-s", "--max-time", "10", url, NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    json_t *stats = json_loads(run.out, 0, NULL);
    ck_assert_ptr_nonnull(stats);
    json_int_t n = json_integer_value(json_object_get(json_object_get(stats, "crl"), "downloads"));
    json_decref(stats);
    test_run_free(&run);
    return n;
}

START_TEST(test_each_user_downloads_and_cache_shares)
{
    char *lab = test_tmpdir(), cache[4096];
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    unsigned responder = start_responder(lab, NULL, NULL);
    issue(lab, responder, NULL);
    unsigned web = start_web(lab);

    json_t *report = browse(lab, web, "--users", "3", NULL);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(user_str(report, i, NULL, "reason"), "good");
        ck_assert_str_eq(user_str(report, i, "crl", "status"), "good");
    }
    json_decref(report);
    ck_assert_int_eq(crl_downloads_at(responder), 3); /* a fresh browser has no cache */

    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "revoke", SITE, "--reason", "keyCompromise", NULL));
    snprintf(cache, sizeof cache, "%s/crl-cache", lab);
    report = browse(lab, web, "--users", "4", "--crl-cache", cache, NULL);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(user_str(report, i, NULL, "verdict"), "refuse");
        ck_assert_str_eq(user_str(report, i, NULL, "reason"), "revoked");
    }
    json_decref(report);
    ck_assert_int_eq(crl_downloads_at(responder), 4); /* one more, shared by four users */
    report = browse(lab, web, "--users", "2", "--crl-cache", cache, NULL);
    ck_assert_str_eq(user_str(report, 1, NULL, "reason"), "revoked");
    json_decref(report);
    ck_assert_int_eq(crl_downloads_at(responder), 4); /* still current: no download at all */
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* How a row breaks the distribution point or the list it serves. */
enum breakage {
    DP_DOWN,    /* nothing listens at the URL */
    DP_SLOW,    /* the responder waits longer than the browser */
    DP_GARBAGE, /* the responder sends bytes that are not a CRL */
    DP_EXPIRED, /* the responder's CRL has a nextUpdate in the past */
    FILE_TRUNCATED,
    FILE_OVERSIZED,
    FILE_BAD_SIGNATURE,
    FILE_OTHER_CA,
    FILE_NOT_YET_VALID,
};

static const struct bad_row {
    enum breakage how;
    const char *policy;
    const char *want_reason; /* the verdict's reason word */
    const char *want_crl;    /* users[].crl.status */
} bad_rows[] = {
    {DP_DOWN, "hard", "unreachable", "unreachable"},
    {DP_DOWN, "soft", "soft-fail", "unreachable"},
    {DP_SLOW, "hard", "timeout", "timeout"},
    {DP_GARBAGE, "hard", "malformed", "malformed"},
    {DP_EXPIRED, "hard", "stale", "stale"},
    {FILE_TRUNCATED, "hard", "malformed", "malformed"},
    {FILE_OVERSIZED, "hard", "too-large", "too-large"},
    {FILE_BAD_SIGNATURE, "hard", "bad-signature", "bad-signature"},
    {FILE_OTHER_CA, "hard", "wrong-issuer", "wrong-issuer"},
    {FILE_NOT_YET_VALID, "hard", "not-yet-valid", "not-yet-valid"},
};

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes DIR/crl.der broken the row's way, from a good CRL of `lab`. */
static void make_served_file(const struct bad_row *row, const char *lab, const char *dir)
{
    char good[4200], served[4200], clock_path[4200];
    snprintf(good, sizeof good, "%s/good.der", dir);
    snprintf(served, sizeof served, "%s/crl.der", dir);
    if (row->how == FILE_OTHER_CA) {
        char *other = test_tmpdir();
        free(test_ca_ok(RUN_TIMEOUT_MS, other, "init", NULL));
        free(test_ca_ok(RUN_TIMEOUT_MS, other, "crl", "-o", served, NULL));
        test_rmtree(other);
        free(other);
        return;
    }
    if (row->how == FILE_NOT_YET_VALID) {
        /* Signed on a clock two hours ahead, then the clock comes back. */
        snprintf(clock_path, sizeof clock_path, "%s/clock", lab);
        write_file(clock_path, (const uint8_t *)"7200\n", 5);
        free(test_ca_ok(RUN_TIMEOUT_MS, lab, "crl", "-o", served, NULL));
        ck_assert_int_eq(unlink(clock_path), 0);
        return;
    }
    if (row->how == FILE_OVERSIZED) {
        size_t len = 2 * 1024 * 1024;
        uint8_t *zeros = calloc(1, len);
        ck_assert_ptr_nonnull(zeros);
        write_file(served, zeros, len);
        free(zeros);
        return;
    }
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "crl", "-o", good, NULL));
    uint8_t *data = NULL;
    size_t len = 0;
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_read_all(good, 1 << 20, &data, &len, &err), 0);
    if (row->how == FILE_TRUNCATED)
        len /= 2;
    else
        data[len - 3] ^= 0x01; /* inside the signature's last INTEGER */
    write_file(served, data, len);
    free(data);
}

START_TEST(test_bad_distribution_points)
{
    const struct bad_row *row = &bad_rows[_i];
    char *lab = test_tmpdir(), dir[4096], crl_url[128];
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    const char *fault = row->how == DP_SLOW      ? "slow"
                        : row->how == DP_GARBAGE ? "garbage"
                        : row->how == DP_EXPIRED ? "stale"
                                                 : NULL;
    unsigned responder = start_responder(lab, fault, row->how == DP_SLOW ? "8s" : NULL);
    const char *url = NULL;
    if (row->how == DP_DOWN) {
        url = "http://127.0.0.1:9/crl"; /* discard: nobody listens on loopback */
    } else if (row->how >= FILE_TRUNCATED) {
        snprintf(dir, sizeof dir, "%s/dp", lab);
        struct errbuf err = {{0}};
        ck_assert_int_eq(file_ensure_dir(dir, 0755, &err), 0);
        make_served_file(row, lab, dir);
        unsigned files = start_file_server(dir);
        snprintf(crl_url, sizeof crl_url, "http://127.0.0.1:%u/crl.der", files);
        url = crl_url;
    }
    issue(lab, responder, url);
    unsigned web = start_web(lab);
    json_t *report = browse(lab, web, "--policy", row->policy, NULL);
    const char *reason = user_str(report, 0, NULL, "reason");
    const char *crl = user_str(report, 0, "crl", "status");
    const char *explanation = user_str(report, 0, NULL, "explanation");
    ck_assert_msg(strcmp(reason, row->want_reason) == 0 && strcmp(crl, row->want_crl) == 0,
                  "row %d: reason %s, crl %s (%s)", _i, reason, crl, explanation);
    ck_assert_msg(strlen(explanation) > 40, "row %d: no sentence: %s", _i, explanation);
    json_decref(report);
    test_rmtree(lab);
    free(lab);
}
END_TEST

Suite *browser_crl_suite(void);
Suite *browser_crl_suite(void)
{
    Suite *s = suite_create("browser_crl");
    TCase *tc = tcase_create("browser_crl");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, case_setup, case_teardown);
    tcase_add_test(tc, test_each_user_downloads_and_cache_shares);
    tcase_add_loop_test(tc, test_bad_distribution_points, 0,
                        (int)(sizeof bad_rows / sizeof bad_rows[0]));
    suite_add_tcase(s, tc);
    return s;
}
