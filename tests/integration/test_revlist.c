/* test_revlist.c — `ca revlist` and `browser visit --revlist FILE`, the
 * lab's stand-in for pushed revocation lists (CRLite, CRLSets): a listed
 * serial is refused and an unlisted one accepted with no request to the CA
 * at all; a revocation after the list was made stays unseen until the next
 * list (the window is the push interval); a tampered, foreign or week-old
 * list is set aside with its reason word. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "proc.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 30000
#define SITE "shop.test"

static struct proc_set procs;

static void case_setup(void)
{
    test_scratch_enter("revlist");
    proc_set_init(&procs);
}

static void case_teardown(void)
{
    proc_set_free(&procs);
    test_scratch_leave();
}

static unsigned start_listening(const char *const argv[])
{
    char line[128];
    unsigned port = 0;
    struct proc *p = proc_set_start(&procs, argv);
    ck_assert_int_eq(proc_wait_line(p, RUN_TIMEOUT_MS, line, sizeof line), 0);
    ck_assert_int_eq(sscanf(line, "listening on 127.0.0.1:%u", &port), 1);
    return port;
}

struct visit_result {
    char reason[32];
    char err[1024];
};

/* One user, no staple, no fallback, hard policy: only the list can decide. */
static void visit(const char *lab, unsigned port, const char *list, struct visit_result *out)
{
    char url[64];
    snprintf(url, sizeof url, "https://%s:%u/", SITE, port);
    const char *argv[] = {test_bin("browser"), "visit", url,          "--lab", lab,        "--json",
                          "--staple",          "off",   "--fallback", "none",  "--policy", "hard",
                          "--revlist",         list,    NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    json_t *report = json_loads(run.out, 0, NULL);
    ck_assert_msg(report != NULL, "%s", test_tail_of(run.err));
    json_t *user = json_array_get(json_object_get(report, "users"), 0);
    snprintf(out->reason, sizeof out->reason, "%s",
             json_string_value(json_object_get(user, "reason")));
    snprintf(out->err, sizeof out->err, "%s", run.err);
    json_decref(report);
    test_run_free(&run);
}

static json_int_t requests_at(unsigned responder_port, const char *group, const char *key)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/stats", responder_port);
    const char *argv[] = {"curl", "-s", "--max-time", "10", url, NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    json_t *stats = json_loads(run.out, 0, NULL);
    ck_assert_ptr_nonnull(stats);
    json_t *at = group != NULL ? json_object_get(stats, group) : stats;
    json_int_t n = json_integer_value(json_object_get(at, key));
    json_decref(stats);
    test_run_free(&run);
    return n;
}

START_TEST(test_pushed_list_decides_without_requests)
{
    char *lab = test_tmpdir(), old_list[4096], new_list[4096], ocsp[64];
    snprintf(old_list, sizeof old_list, "%s/old.der", lab);
    snprintf(new_list, sizeof new_list, "%s/new.der", lab);
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    const char *responder_argv[] = {test_bin("responder"), "--lab", lab, "--listen",
                                    "127.0.0.1:0",         NULL};
    unsigned responder = start_listening(responder_argv);
    snprintf(ocsp, sizeof ocsp, "http://127.0.0.1:%u/", responder);
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", SITE, "--ocsp-url", ocsp, NULL));
    const char *web_argv[] = {test_bin("webserver"), SITE,         "--lab", lab, "--listen",
                              "127.0.0.1:0",         "--stapling", "off",   NULL};
    unsigned web = start_listening(web_argv);

    char *out = test_ca_ok(RUN_TIMEOUT_MS, lab, "revlist", "-o", old_list, NULL);
    ck_assert_msg(test_contains(out, "0 revoked serials"), "%s", out);
    free(out);
    struct visit_result r;
    visit(lab, web, old_list, &r);
    ck_assert_str_eq(r.reason, "good");

    /* Revoked after the list was made: the old list still says nothing. */
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "revoke", SITE, NULL));
    visit(lab, web, old_list, &r);
    ck_assert_str_eq(r.reason, "good");
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "revlist", "-o", new_list, NULL));
    visit(lab, web, new_list, &r);
    ck_assert_str_eq(r.reason, "revoked");

    /* The CA heard nothing of these visits: no OCSP request, no CRL download. */
    ck_assert_int_eq(requests_at(responder, NULL, "requests"), 0);
    ck_assert_int_eq(requests_at(responder, "crl", "downloads"), 0);

    /* Tampered: set aside (bad-signature), so hard-fail decides. */
    uint8_t *data = NULL;
    size_t len = 0;
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_read_all(new_list, 1 << 20, &data, &len, &err), 0);
    data[len - 3] ^= 0x01;
    ck_assert_int_eq(file_write_atomic(new_list, data, len, 0644, &err), 0);
    free(data);
    visit(lab, web, new_list, &r);
    ck_assert_str_eq(r.reason, "hard-fail");
    ck_assert_msg(test_contains(r.err, "(bad-signature)"), "%s", r.err);

    /* Eight days later the old list is too old to trust. */
    char clock_path[4200];
    snprintf(clock_path, sizeof clock_path, "%s/clock", lab);
    ck_assert_int_eq(file_write_atomic(clock_path, "691200\n", 7, 0644, &err), 0);
    visit(lab, web, old_list, &r);
    ck_assert_msg(test_contains(r.err, "(stale)"), "%s", r.err);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_other_ca_list_set_aside)
{
    char *lab = test_tmpdir(), *other = test_tmpdir(), list[4096];
    snprintf(list, sizeof list, "%s/other.der", other);
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", SITE, NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, other, "init", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, other, "revlist", "-o", list, NULL));
    const char *web_argv[] = {test_bin("webserver"), SITE,         "--lab", lab, "--listen",
                              "127.0.0.1:0",         "--stapling", "off",   NULL};
    unsigned web = start_listening(web_argv);
    struct visit_result r;
    visit(lab, web, list, &r);
    ck_assert_str_eq(r.reason, "hard-fail");
    ck_assert_msg(test_contains(r.err, "(wrong-issuer)"), "%s", r.err);
    test_rmtree(lab);
    test_rmtree(other);
    free(lab);
    free(other);
}
END_TEST

Suite *revlist_suite(void);
Suite *revlist_suite(void)
{
    Suite *s = suite_create("revlist");
    TCase *tc = tcase_create("revlist");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, case_setup, case_teardown);
    tcase_add_test(tc, test_pushed_list_decides_without_requests);
    tcase_add_test(tc, test_other_ca_list_set_aside);
    suite_add_tcase(s, tc);
    return s;
}
