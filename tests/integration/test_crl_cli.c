/* test_crl_cli.c — `ca crl` and the CRL Distribution Point of issued
 * certificates, checked by OpenSSL itself (RFC 5280 5 and 4.2.1.13):
 * `openssl crl -CAfile` verifies the CRL's signature, `openssl verify
 * -crl_check` refuses a revoked certificate and accepts a good one, and the
 * CRL number read back by OpenSSL only grows. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define RUN_TIMEOUT_MS 20000

static void scratch_setup(void)
{
    test_scratch_enter("crl_cli");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

static void path_in(char *out, size_t cap, const char *lab, const char *rel)
{
    snprintf(out, cap, "%s/%s", lab, rel);
}

/* Runs openssl with argv (NULL-terminated); the caller frees *run. */
static void run_openssl(struct test_run *run, const char *const argv[])
{
    ck_assert_int_eq(test_run(run, RUN_TIMEOUT_MS, NULL, argv), 0);
}

/* A lab with shop.test (revoked, keyCompromise) and good.test (good). */
static char *make_lab(void)
{
    char *lab = test_tmpdir();
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", "shop.test", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", "good.test", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "revoke", "shop.test", "--reason", "keyCompromise", NULL));
    return lab;
}

/* The CRL's text as `openssl crl -text` prints it (verified against the root). */
static char *crl_text(const char *lab, const char *crl_der)
{
    char root[4096];
    path_in(root, sizeof root, lab, "ca/root.pem");
    const char *argv[] = {"openssl", "crl", "-inform", "DER",   "-in", crl_der,
                          "-CAfile", root,  "-noout",  "-text", NULL};
    struct test_run run;
    run_openssl(&run, argv);
    ck_assert_msg(run.exit_code == 0, "openssl crl: %s", run.err);
    /* OpenSSL prints its verdict on stderr. */
    ck_assert_msg(test_contains(run.err, "verify OK") || test_contains(run.out, "verify OK"),
                  "openssl crl did not verify the signature: %s%s", run.out, run.err);
    char *out = run.out;
    run.out = NULL;
    test_run_free(&run);
    return out;
}

static uint64_t crl_number_of(const char *text)
{
    const char *at = strstr(text, "X509v3 CRL Number:");
    ck_assert_msg(at != NULL, "no CRL number in: %s", text);
    at += strlen("X509v3 CRL Number:");
    while (*at == ' ' || *at == '\n')
        at++;
    return strtoull(at, NULL, 10);
}

START_TEST(test_openssl_verifies_crl_and_refuses_revoked)
{
    char *lab = make_lab();
    char crl_der[4096], crl_pem[4096], root[4096], shop[4096], good[4096];
    path_in(crl_der, sizeof crl_der, lab, "ca/crl.der");
    path_in(crl_pem, sizeof crl_pem, lab, "crl.pem");
    path_in(root, sizeof root, lab, "ca/root.pem");
    path_in(shop, sizeof shop, lab, "certs/shop.test.pem");
    path_in(good, sizeof good, lab, "certs/good.test.pem");

    char *out = test_ca_ok(RUN_TIMEOUT_MS, lab, "crl", NULL);
    ck_assert_msg(test_contains(out, "1 revoked certificate"), "%s", out);
    free(out);
    char *text = crl_text(lab, crl_der);
    ck_assert_msg(test_contains(text, "Version 2"), "%s", text);
    ck_assert_msg(test_contains(text, "Key Compromise"), "%s", text);
    ck_assert_msg(test_contains(text, "Authority Key Identifier"), "%s", text);
    ck_assert_msg(test_contains(text, "Next Update"), "%s", text);
    free(text);

    /* openssl verify reads PEM CRLs: convert, then check both certificates. */
    const char *convert[] = {"openssl", "crl",  "-inform", "DER", "-in",
                             crl_der,   "-out", crl_pem,   NULL};
    struct test_run run;
    run_openssl(&run, convert);
    ck_assert_int_eq(run.exit_code, 0);
    test_run_free(&run);
    const char *revoked[] = {"openssl",  "verify", "-crl_check", "-CAfile", root,
                             "-CRLfile", crl_pem,  shop,         NULL};
    run_openssl(&run, revoked);
    ck_assert_msg(run.exit_code != 0 && (test_contains(run.err, "certificate revoked") ||
                                         test_contains(run.out, "certificate revoked")),
                  "a revoked certificate passed: %s%s", run.out, run.err);
    test_run_free(&run);
    const char *accepted[] = {"openssl",  "verify", "-crl_check", "-CAfile", root,
                              "-CRLfile", crl_pem,  good,         NULL};
    run_openssl(&run, accepted);
    ck_assert_msg(run.exit_code == 0 && test_contains(run.out, ": OK"),
                  "a good certificate was refused: %s%s", run.out, run.err);
    test_run_free(&run);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_crl_number_only_grows)
{
    char *lab = make_lab();
    char first[4096], second[4096], third[4096];
    path_in(first, sizeof first, lab, "first.der");
    path_in(second, sizeof second, lab, "second.der");
    path_in(third, sizeof third, lab, "third.der");
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "crl", "-o", first, NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "crl", "-o", second, "--next-update", "36h", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "revoke", "good.test", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "crl", "-o", third, NULL));
    char *a = crl_text(lab, first), *b = crl_text(lab, second), *c = crl_text(lab, third);
    uint64_t na = crl_number_of(a), nb = crl_number_of(b), nc = crl_number_of(c);
    ck_assert_msg(na < nb && nb < nc, "CRL numbers %llu, %llu, %llu do not grow",
                  (unsigned long long)na, (unsigned long long)nb, (unsigned long long)nc);
    /* The third lists both revocations; good.test's unspecified reason is left out. */
    ck_assert_uint_eq(test_count_of(c, "Serial Number:"), 2);
    ck_assert_uint_eq(test_count_of(c, "CRL Reason Code"), 1);
    free(a);
    free(b);
    free(c);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_distribution_point_in_certificates)
{
    char *lab = test_tmpdir();
    char pem[4096];
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", "--ocsp-url", "http://127.0.0.1:9999/", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", "a.test", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", "b.test", "--crl-url",
                    "http://127.0.0.2:81/lab.crl", NULL));
    struct test_run run;
    path_in(pem, sizeof pem, lab, "certs/a.test.pem");
    const char *a[] = {"openssl", "x509", "-noout", "-text", "-in", pem, NULL};
    run_openssl(&run, a);
    ck_assert_msg(test_contains(run.out, "CRL Distribution Points") &&
                      test_contains(run.out, "URI:http://127.0.0.1:9999/crl"),
                  "default distribution point missing: %s", run.out);
    test_run_free(&run);
    path_in(pem, sizeof pem, lab, "certs/b.test.pem");
    const char *b[] = {"openssl", "x509", "-noout", "-text", "-in", pem, NULL};
    run_openssl(&run, b);
    ck_assert_msg(test_contains(run.out, "URI:http://127.0.0.2:81/lab.crl"), "%s", run.out);
    test_run_free(&run);
    test_rmtree(lab);
    free(lab);
}
END_TEST

static const struct bad_case {
    const char *args[6];
    const char *want;
} bad_cases[] = {
    {{"crl", "--next-update", "0s", NULL}, "invalid --next-update '0s'"},
    {{"crl", "--next-update", "soon", NULL}, "invalid --next-update 'soon'"},
    {{"crl", "--days", "3", NULL}, "crl takes --next-update and -o"},
    {{"issue", "x.test", "--crl-url", "ftp://x/crl", NULL}, "invalid CRL URL 'ftp://x/crl'"},
    {{"revoke", "x.test", "-o", "f", NULL}, "revoke takes"},
};

START_TEST(test_bad_crl_usage)
{
    const struct bad_case *c = &bad_cases[_i];
    char *lab = test_tmpdir();
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    const char *argv[12] = {test_bin("ca")};
    size_t argc = 1;
    for (size_t i = 0; c->args[i] != NULL; i++)
        argv[argc++] = c->args[i];
    argv[argc++] = "--lab";
    argv[argc++] = lab;
    argv[argc] = NULL;
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 2 && test_contains(run.err, c->want),
                  "ca %s: exit %d, stderr %s (wanted '%s')", c->args[0], run.exit_code, run.err,
                  c->want);
    test_run_free(&run);
    test_rmtree(lab);
    free(lab);
}
END_TEST

Suite *crl_cli_suite(void);
Suite *crl_cli_suite(void)
{
    Suite *s = suite_create("crl_cli");
    TCase *tc = tcase_create("crl_cli");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_test(tc, test_openssl_verifies_crl_and_refuses_revoked);
    tcase_add_test(tc, test_crl_number_only_grows);
    tcase_add_test(tc, test_distribution_point_in_certificates);
    tcase_add_loop_test(tc, test_bad_crl_usage, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}
