/* test_short_lived.c — `ca issue --validity DURATION` and the browser's rule
 * for short-lived certificates (at most 7 days, as the CA/Browser Forum's
 * Baseline Requirements exempt them from revocation checking): accepted
 * without any check while valid, even under --fallback none --policy hard,
 * refused once expired; a 90-day certificate in the same setting is refused
 * (hard-fail). The revocation window is the remaining validity. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "pem.h"
#include "proc.h"
#include "testutil.h"
#include "x509.h"

#define RUN_TIMEOUT_MS 30000

static struct proc_set procs;

static void case_setup(void)
{
    test_scratch_enter("short_lived");
    proc_set_init(&procs);
}

static void case_teardown(void)
{
    proc_set_free(&procs);
    test_scratch_leave();
}

static unsigned start_web(const char *lab, const char *site)
{
    const char *argv[] = {test_bin("webserver"), site,         "--lab", lab, "--listen",
                          "127.0.0.1:0",         "--stapling", "off",   NULL};
    char line[128];
    unsigned port = 0;
    struct proc *p = proc_set_start(&procs, argv);
    ck_assert_int_eq(proc_wait_line(p, RUN_TIMEOUT_MS, line, sizeof line), 0);
    ck_assert_int_eq(sscanf(line, "listening on 127.0.0.1:%u", &port), 1);
    return port;
}

/* The first user's verdict and reason for a hard-fail visit with no fallback. */
static void visit(const char *lab, const char *site, unsigned port, char *reason, size_t cap)
{
    char url[64];
    snprintf(url, sizeof url, "https://%s:%u/", site, port);
    const char *argv[] = {test_bin("browser"), "visit", url,        "--lab", lab, "--json",
                          "--fallback",        "none",  "--policy", "hard",  NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    json_t *report = json_loads(run.out, 0, NULL);
    ck_assert_msg(report != NULL, "%s", test_tail_of(run.err));
    json_t *user = json_array_get(json_object_get(report, "users"), 0);
    snprintf(reason, cap, "%s", json_string_value(json_object_get(user, "reason")));
    json_decref(report);
    test_run_free(&run);
}

static int64_t lifetime_of(const char *lab, const char *site)
{
    char path[4096];
    struct der_buf der = {0};
    struct x509_cert cert;
    struct errbuf err = {{0}};
    snprintf(path, sizeof path, "%s/certs/%s.pem", lab, site);
    ck_assert_int_eq(pem_read_certificate(path, &der, &err), 0);
    ck_assert_int_eq(x509_parse(&cert, der.data, der.len, &err), 0);
    int64_t seconds = cert.not_after - cert.not_before;
    der_buf_free(&der);
    return seconds;
}

START_TEST(test_short_lived_needs_no_check)
{
    char *lab = test_tmpdir(), reason[64], clock_path[4096];
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", "short.test", "--validity", "6d", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", "long.test", NULL));
    /* Six days after a notBefore five minutes back (the CA's backdate). */
    ck_assert_int_eq(lifetime_of(lab, "short.test"), 6 * 86400 + 300);
    unsigned short_port = start_web(lab, "short.test");
    unsigned long_port = start_web(lab, "long.test");

    visit(lab, "short.test", short_port, reason, sizeof reason);
    ck_assert_str_eq(reason, "short-lived");
    visit(lab, "long.test", long_port, reason, sizeof reason);
    ck_assert_str_eq(reason, "hard-fail");

    /* Five days on: still valid, still accepted; seven days on: expired. */
    snprintf(clock_path, sizeof clock_path, "%s/clock", lab);
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_write_atomic(clock_path, "432000\n", 7, 0644, &err), 0);
    visit(lab, "short.test", short_port, reason, sizeof reason);
    ck_assert_str_eq(reason, "short-lived");
    ck_assert_int_eq(file_write_atomic(clock_path, "604800\n", 7, 0644, &err), 0);
    visit(lab, "short.test", short_port, reason, sizeof reason);
    ck_assert_str_eq(reason, "tls-error");
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_validity_usage)
{
    char *lab = test_tmpdir();
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    struct test_run run = test_run_bin(RUN_TIMEOUT_MS, "ca", "issue", "a.test", "--validity", "30s",
                                       "--lab", lab, NULL);
    ck_assert_msg(run.exit_code == 2 && test_contains(run.err, "invalid --validity '30s'"), "%s",
                  run.err);
    test_run_free(&run);
    run = test_run_bin(RUN_TIMEOUT_MS, "ca", "issue", "a.test", "--validity", "2h", "--days", "3",
                       "--lab", lab, NULL);
    ck_assert_msg(run.exit_code == 2 && test_contains(run.err, "not both"), "%s", run.err);
    test_run_free(&run);
    run = test_run_bin(RUN_TIMEOUT_MS, "ca", "crl", "--validity", "2h", "--lab", lab, NULL);
    ck_assert_msg(run.exit_code == 2 && test_contains(run.err, "crl takes"), "%s", run.err);
    test_run_free(&run);
    test_rmtree(lab);
    free(lab);
}
END_TEST

Suite *short_lived_suite(void);
Suite *short_lived_suite(void)
{
    Suite *s = suite_create("short_lived");
    TCase *tc = tcase_create("short_lived");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, case_setup, case_teardown);
    tcase_add_test(tc, test_short_lived_needs_no_check);
    tcase_add_test(tc, test_validity_usage);
    suite_add_tcase(s, tc);
    return s;
}
