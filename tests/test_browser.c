/* test_browser.c — the browser's library parts, without a network: the
 * `verify-staple` command (its first line, explanation and exit code for
 * each kind of verdict, and its usage errors; the rules themselves are
 * test_ocsp_verify.c's), the TLS 1.2 CertificateStatus framing on crafted
 * bytes, the URL and the users' address scheme, and the report's JSON.
 * Visits over real TLS live in tests/integration/test_browser_visit.c. */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../browser/crowd.h"
#include "../browser/report.h"
#include "../browser/target.h"
#include "../browser/verify_staple.h"
#include "der.h"
#include "fileio.h"
#include "lab.h"
#include "ocsp.h"
#include "ocsp_verify.h"
#include "staple_lab.h"
#include "testutil.h"
#include "tls_wire.h"
#include "x509.h"

#define RUN_TIMEOUT_MS 20000

/* ---- Helpers ------------------------------------------------------------------------ */

static void join(char *out, const char *dir, const char *name)
{
    ck_assert_int_eq(file_path_join(out, LAB_PATH_MAX, dir, name), 0);
}

static void write_bytes(const char *path, const uint8_t *data, size_t len)
{
    struct errbuf err = {{0}};
    ck_assert_msg(file_write_atomic(path, data, len, 0644, &err) == 0, "%s", err.msg);
}

/* Runs argv (NULL-terminated) and returns the run for the caller to free. */
static struct test_run run_argv(const char *const argv[])
{
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "timed out: %s", argv[0]);
    return run;
}

/* Check ends a test with exit status 2 when a failure message is too long;
 * quote at most the last 1500 characters of a program's output. */
static const char *tail(const char *text)
{
    size_t len = text != NULL ? strlen(text) : 0;
    return len > 1500 ? text + len - 1500 : text;
}

/* Every lab of a case lives under one scratch directory that the runner
 * removes after the case: a failing test exits before its own cleanup. */
static void scratch_setup(void)
{
    test_scratch_enter("browser");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* ---- verify-staple: the command around the verifier ------------------------------------ */

/* One response of each kind of verdict through the function and the command:
 * the same verdict as the verifier's, then "accept: good" or "reject: REASON",
 * the explanation, and exit 0 or 1 (DESIGN 2). */
START_TEST(test_verify_staple_command)
{
    static const struct {
        const char *label;
        struct staple_spec spec;
        enum ocsp_verdict_reason want;
    } rows[] = {
        {"good", STAPLE_GOOD, OCSP_VERDICT_GOOD},
        {"revoked",
         {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_REVOKED, -600, true, 86400, SPECIAL_NONE,
          MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
         OCSP_VERDICT_REVOKED},
        {"stale",
         {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -2 * 86400, true, -3600, SPECIAL_NONE,
          MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
         OCSP_VERDICT_STALE},
        {"malformed (empty file)",
         {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,
          MANGLE_EMPTY, CERTID_AS_COMPUTED, NULL},
         OCSP_VERDICT_MALFORMED},
        {"unsuccessful (tryLater)",
         {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_TRY_LATER,
          MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
         OCSP_VERDICT_UNSUCCESSFUL},
    };
    struct staple_lab lab;
    char path[LAB_PATH_MAX], at[32], browser[LAB_PATH_MAX];
    int64_t now = (int64_t)time(NULL);
    staple_lab_create(&lab);
    join(path, lab.dir, "staple.der");
    snprintf(at, sizeof at, "%lld", (long long)now);
    snprintf(browser, sizeof browser, "%s", test_bin("browser"));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct der_buf response = {0};
        struct ocsp_verdict verdict, direct;
        struct errbuf err = {{0}};
        staple_build(&lab, NULL, &rows[i].spec, now, &response);
        write_bytes(path, response.data, response.len);

        /* 1. The library call reads the files and asks the verifier. */
        ck_assert_msg(verify_staple_files(lab.shop.pem, lab.root.pem, path, now, &verdict, &err) ==
                          0,
                      "%s: %s", rows[i].label, err.msg);
        struct ocsp_verify_input in = {
            .cert = &lab.shop.x509, .issuer = &lab.root.x509, .now = now};
        ocsp_verify_response(response.data, response.len, &in, &direct);
        ck_assert_msg(verdict.reason == rows[i].want && direct.reason == rows[i].want &&
                          strcmp(verdict.explanation, direct.explanation) == 0,
                      "%s: got %s (%s)", rows[i].label, ocsp_verdict_reason_name(verdict.reason),
                      verdict.explanation);

        /* 2. The command: first line, explanation, exit code. */
        const char *argv[] = {browser,      "verify-staple", "--cert", lab.shop.pem, "--issuer",
                              lab.root.pem, "--staple",      path,     "--at",       at,
                              NULL};
        struct test_run run = run_argv(argv);
        char first[64];
        bool is_good = rows[i].want == OCSP_VERDICT_GOOD;
        snprintf(first, sizeof first, "%s: %s\n", is_good ? "accept" : "reject",
                 ocsp_verdict_reason_name(rows[i].want));
        ck_assert_msg(strncmp(run.out, first, strlen(first)) == 0 &&
                          test_contains(run.out, verdict.explanation),
                      "%s: output\n%s", rows[i].label, tail(run.out));
        ck_assert_msg(run.exit_code == (is_good ? 0 : 1), "%s: exit %d\n%s", rows[i].label,
                      run.exit_code, tail(run.err));
        test_run_free(&run);
        der_buf_free(&response);
    }
    staple_lab_destroy(&lab);
}
END_TEST

/* Usage and environment errors exit 2 with a message naming the problem. */
START_TEST(test_verify_staple_usage)
{
    struct staple_lab lab;
    char path[LAB_PATH_MAX], missing[LAB_PATH_MAX], browser[LAB_PATH_MAX];
    staple_lab_create(&lab);
    join(path, lab.dir, "staple.der");
    join(missing, lab.dir, "missing.der");
    write_bytes(path, (const uint8_t *)"x", 1);
    snprintf(browser, sizeof browser, "%s", test_bin("browser"));
    struct {
        const char *label;
        const char *argv[12];
        const char *says;
    } cases[] = {
        {"no --staple",
         {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer", lab.root.pem, NULL},
         "needs --cert"},
        {"missing staple file",
         {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer", lab.root.pem, "--staple",
          missing, NULL},
         "missing.der"},
        {"missing certificate",
         {browser, "verify-staple", "--cert", missing, "--issuer", lab.root.pem, "--staple", path,
          NULL},
         "missing.der"},
        {"a staple as the certificate",
         {browser, "verify-staple", "--cert", path, "--issuer", lab.root.pem, "--staple", path,
          NULL},
         "staple.der"},
        {"bad --at",
         {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer", lab.root.pem, "--staple",
          path, "--at", "yesterday", NULL},
         "invalid --at"},
        {"visit flags",
         {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer", lab.root.pem, "--staple",
          path, "--users", "3", NULL},
         "verify-staple takes"},
        {"unknown command", {browser, "surf", NULL}, "unknown command"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_run run = run_argv(cases[i].argv);
        ck_assert_msg(run.exit_code == 2 && test_contains(run.err, "browser: ") &&
                          test_contains(run.err, cases[i].says),
                      "%s: exit %d\n%s", cases[i].label, run.exit_code, tail(run.err));
        test_run_free(&run);
    }
    staple_lab_destroy(&lab);
}
END_TEST

/* ---- The TLS 1.2 CertificateStatus message (RFC 6066 8) ---------------------------------- */

/* A real response, framed as a server frames it, comes back byte for byte
 * and still verifies; every shorter prefix is refused. */
START_TEST(test_certstatus_real_response)
{
    struct staple_lab lab;
    struct der_buf response = {0}, message = {0};
    struct der_cursor inner;
    struct ocsp_verdict verdict;
    int64_t now = (int64_t)time(NULL);
    staple_lab_create(&lab);
    const struct staple_spec good = STAPLE_GOOD;
    staple_build(&lab, NULL, &good, now, &response);
    uint8_t header[8] = {22, 0, 0, 0, 1, 0, 0, 0};
    size_t body = response.len + 4;
    header[1] = (uint8_t)(body >> 16);
    header[2] = (uint8_t)(body >> 8);
    header[3] = (uint8_t)body;
    header[5] = (uint8_t)(response.len >> 16);
    header[6] = (uint8_t)(response.len >> 8);
    header[7] = (uint8_t)response.len;
    ck_assert_int_eq(der_write_raw(&message, header, sizeof header), DER_OK);
    ck_assert_int_eq(der_write_raw(&message, response.data, response.len), DER_OK);
    ck_assert_int_eq(tls_read_certificate_status(message.data, message.len, &inner),
                     TLS_CERTSTATUS_OK);
    ck_assert_uint_eq(inner.left, response.len);
    ck_assert_int_eq(memcmp(inner.p, response.data, response.len), 0);
    struct ocsp_verify_input in = {.cert = &lab.shop.x509, .issuer = &lab.root.x509, .now = now};
    ck_assert_int_eq(ocsp_verify_response(inner.p, inner.left, &in, &verdict), 0);
    for (size_t len = 0; len < message.len; len++)
        ck_assert_int_eq(tls_read_certificate_status(message.data, len, &inner),
                         TLS_CERTSTATUS_TRUNCATED);
    der_buf_free(&message);
    der_buf_free(&response);
    staple_lab_destroy(&lab);
}
END_TEST

/* ---- The URL and the users' addresses ----------------------------------------------------- */

static const struct url_row {
    const char *url;
    bool is_ok;
    const char *name;
    unsigned port;
    const char *path;
} url_rows[] = {
    {"https://shop.test:8443/", true, "shop.test", 8443, "/"},
    {"https://shop.test:8443", true, "shop.test", 8443, "/"},
    {"https://SHOP.Test:1/stats", true, "shop.test", 1, "/stats"},
    {"HTTPS://a-b.shop.test/", true, "a-b.shop.test", 443, "/"},
    {"http://shop.test:8443/", false, NULL, 0, NULL},
    {"shop.test:8443", false, NULL, 0, NULL},
    {"https://shop.example:8443/", false, NULL, 0, NULL},
    {"https://test/", false, NULL, 0, NULL},
    {"https://.test/", false, NULL, 0, NULL},
    {"https://-shop.test/", false, NULL, 0, NULL},
    {"https://shop-.test/", false, NULL, 0, NULL},
    {"https://sh_op.test/", false, NULL, 0, NULL},
    {"https://127.0.0.1:8443/", false, NULL, 0, NULL},
    {"https://shop.test:0/", false, NULL, 0, NULL},
    {"https://shop.test:65536/", false, NULL, 0, NULL},
    {"https://shop.test:/", false, NULL, 0, NULL},
    {"https://shop.test:84x3/", false, NULL, 0, NULL},
    {"https://shop.test:8443/a b", false, NULL, 0, NULL},
    {"https://shop.test?x", false, NULL, 0, NULL},
    {"https://", false, NULL, 0, NULL},
};

START_TEST(test_target_rows)
{
    const struct url_row *row = &url_rows[_i];
    struct target target;
    struct errbuf err = {{0}};
    int rc = target_parse_url(row->url, &target, &err);
    ck_assert_msg((rc == 0) == row->is_ok, "%s: rc %d (%s)", row->url, rc, err.msg);
    if (!row->is_ok) {
        ck_assert_msg(test_contains(err.msg, "invalid URL"), "%s: %s", row->url, err.msg);
        return;
    }
    ck_assert_str_eq(target.name, row->name);
    ck_assert_uint_eq(target.port, row->port);
    ck_assert_str_eq(target.path, row->path);
    ck_assert_str_eq(target.addr, "127.0.0.1");
}
END_TEST

START_TEST(test_user_addresses)
{
    static const struct {
        int user;
        const char *addr;
    } rows[] = {
        {1, "127.0.1.1"},
        {2, "127.0.1.2"},
        {254, "127.0.1.254"},
        {255, "127.0.2.1"},
        {508, "127.0.2.254"},
        {509, "127.0.3.1"},
        {1000, "127.0.4.238"},
        {64770, "127.0.255.254"},
        {64771, "127.1.1.1"},
        {100000, "127.1.139.178"},
        {CROWD_MAX_ADDRESSES, "127.255.255.254"},
    };
    char addr[16];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_int_eq(crowd_user_address(rows[i].user, addr, sizeof addr), 0);
        ck_assert_str_eq(addr, rows[i].addr);
    }
    ck_assert_int_eq(crowd_user_address(0, addr, sizeof addr), -1);
    ck_assert_int_eq(crowd_user_address(CROWD_MAX_ADDRESSES + 1, addr, sizeof addr), -1);
    ck_assert_int_eq(crowd_user_address(-1, addr, sizeof addr), -1);
    /* Every address of the scheme is distinct and none ends in .0 or .255. */
    for (int user = 1; user <= CROWD_MAX_ADDRESSES; user += 9973) {
        unsigned a, b, c, d;
        ck_assert_int_eq(crowd_user_address(user, addr, sizeof addr), 0);
        ck_assert_int_eq(sscanf(addr, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
        ck_assert(a == 127 && b <= 255 && c >= 1 && c <= 255 && d >= 1 && d <= 254);
        ck_assert_int_eq((int)((b * 255 + (c - 1)) * 254 + d), user);
    }
}
END_TEST

/* ---- The report ---------------------------------------------------------------------------- */

START_TEST(test_report_json_and_summary)
{
    struct visit_outcome o[3];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 3; i++) {
        o[i].user = i + 1;
        crowd_user_address(i + 1, o[i].addr, sizeof o[i].addr);
        snprintf(o[i].tls_version, sizeof o[i].tls_version, "1.2");
        o[i].asked_staple = true;
    }
    o[0].has_staple = true;
    o[0].staple_checker = VISIT_CHECKED_BY_LAB;
    snprintf(o[0].staple_status, sizeof o[0].staple_status, "good");
    o[0].is_accepted = true;
    snprintf(o[0].reason, sizeof o[0].reason, "good");
    o[1].did_query = true;
    snprintf(o[1].query_status, sizeof o[1].query_status, "revoked");
    snprintf(o[1].reason, sizeof o[1].reason, "revoked");
    snprintf(o[1].explanation, sizeof o[1].explanation, "The CA says REVOKED.");
    o[2].has_staple = true;
    o[2].staple_checker = VISIT_CHECKED_BY_LAB;
    o[2].did_query = true;
    o[2].did_reconnect = true;
    snprintf(o[2].reason, sizeof o[2].reason, "revoked");

    struct report_acc acc;
    report_acc_init(&acc, true);
    for (int i = 0; i < 3; i++)
        report_acc_add(&acc, &o[i]);
    const struct report_summary s = acc.summary;
    ck_assert_int_eq(s.users, 3);
    ck_assert_int_eq(s.stapled, 2);
    ck_assert_uint_eq(acc.group_count, 2);
    ck_assert_int_eq(acc.groups[1].count, 2);
    ck_assert_int_eq(acc.groups[1].first_user, 2);
    ck_assert_int_eq(s.accepted, 1);
    ck_assert_int_eq(s.refused, 2);
    ck_assert_int_eq(s.ocsp_queries, 2);
    ck_assert_int_eq(s.staples_by_lab, 2);
    ck_assert_int_eq(s.reconnects, 1);

    struct report_settings settings = {"https://shop.test:1/", "on", "ocsp", "soft", "any", 8};
    json_t *json = report_json(&settings, &acc);
    ck_assert_ptr_nonnull(json);
    json_t *users = json_object_get(json, "users");
    ck_assert_uint_eq(json_array_size(users), 3);
    json_t *second = json_array_get(users, 1);
    ck_assert_str_eq(json_string_value(json_object_get(second, "addr")), "127.0.1.2");
    ck_assert_str_eq(json_string_value(json_object_get(second, "verdict")), "refuse");
    ck_assert_str_eq(json_string_value(json_object_get(second, "reason")), "revoked");
    ck_assert(json_is_true(json_object_get(json_object_get(second, "direct_ocsp"), "queried")));
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(users, 0), "staple"), "checked_by")),
                     "lab");
    json_t *summary = json_object_get(json, "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "ocsp_queries")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "refused")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "users_listed")), 3);
    json_t *groups = json_object_get(json, "groups");
    ck_assert_uint_eq(json_array_size(groups), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(groups, 1), "count")), 2);
    json_decref(json);

    /* The text summary explains each distinct verdict once. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    ck_assert_ptr_nonnull(out);
    report_print_line(out, &o[1], false);
    report_print_summary(out, &acc, false);
    report_acc_free(&acc);
    /* A long run lists its first users only; the summary counts them all. */
    report_acc_init(&acc, true);
    for (int i = 0; i < REPORT_MAX_LISTED + 5; i++) {
        o[0].user = i + 1;
        report_acc_add(&acc, &o[0]);
    }
    json_t *long_run = report_json(&settings, &acc);
    ck_assert_int_eq(json_integer_value(json_object_get(long_run, "users_listed")),
                     REPORT_MAX_LISTED);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(long_run, "summary"), "users")),
        REPORT_MAX_LISTED + 5);
    json_decref(long_run);
    report_acc_free(&acc);
    fclose(out);
    ck_assert_msg(
        test_contains(text, "127.0.1.2") && test_contains(text, "refuse") &&
            test_contains(text, "refuse revoked (2 users; user 2): The CA says REVOKED.") &&
            test_contains(text, "OCSP queries made by browsers: 2") &&
            !test_contains(text, "\033["),
        "%s", text);
    free(text);
}
END_TEST

Suite *browser_suite(void)
{
    Suite *s = suite_create("browser");
    TCase *staple = tcase_create("verify_staple");
    tcase_set_timeout(staple, 60);
    tcase_add_unchecked_fixture(staple, scratch_setup, scratch_teardown);
    tcase_add_test(staple, test_verify_staple_command);
    tcase_add_test(staple, test_verify_staple_usage);
    suite_add_tcase(s, staple);

    TCase *framing = tcase_create("certstatus");
    tcase_add_test(framing, test_certstatus_real_response);
    tcase_set_timeout(framing, 60);
    tcase_add_unchecked_fixture(framing, scratch_setup, scratch_teardown);
    suite_add_tcase(s, framing);

    TCase *names = tcase_create("names");
    tcase_add_loop_test(names, test_target_rows, 0, (int)(sizeof url_rows / sizeof url_rows[0]));
    tcase_add_test(names, test_user_addresses);
    tcase_add_test(names, test_report_json_and_summary);
    suite_add_tcase(s, names);
    return s;
}
