/* test_wolfssl_build.c — the lab runs on its own wolfSSL 5.9.2
 * (scripts/build-wolfssl.sh), linked statically: every program says so in
 * --version, none loads a shared libwolfssl (Debian's 5.5.4 among them),
 * and the library's build settings the lab relies on are in its options.h. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/version.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

static const char *const programs[] = {"ca", "responder", "webserver", "browser", "scenario"};

START_TEST(test_every_program_names_its_wolfssl)
{
    const char *program = programs[_i];
    struct test_run run = test_run_bin(5000, program, "--version", NULL);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_msg(test_contains(run.out, "wolfSSL 5.9.2\n"), "%s --version: %s", program, run.out);
    test_run_free(&run);

    char path[1024];
    snprintf(path, sizeof path, "%s/%s", LAB_BIN_DIR, program);
    const char *argv[] = {"ldd", path, NULL};
    ck_assert_int_eq(test_run(&run, 5000, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "ldd %s: %s", path, run.err);
    ck_assert_msg(!test_contains(run.out, "libwolfssl"), "%s loads a shared wolfSSL:\n%s", path,
                  run.out);
    test_run_free(&run);
}
END_TEST

/* The build script trusts a tarball by its SHA-256 only: a file the user
 * brings (WOLFSSL_TARBALL) with another checksum is refused, exit 2, with
 * both checksums named, and nothing is unpacked or built. Run on a copy of
 * the script in a scratch tree, so the real build/deps is not touched. */
START_TEST(test_wrong_tarball_refused)
{
    char *dir = test_tmpdir();
    char scripts[1024], script[1100], bogus[1100], deps[1100], env[1200];
    struct test_run run;
    struct stat st;
    snprintf(scripts, sizeof scripts, "%s/scripts", dir);
    snprintf(script, sizeof script, "%s/build-wolfssl.sh", scripts);
    snprintf(bogus, sizeof bogus, "%s/wolfssl_5.9.2.orig.tar.gz", dir);
    snprintf(deps, sizeof deps, "%s/build/deps", dir);
    ck_assert_int_eq(mkdir(scripts, 0755), 0);
    const char *copy[] = {"cp", LAB_SOURCE_DIR "/scripts/build-wolfssl.sh", script, NULL};
    ck_assert_int_eq(test_run(&run, 5000, NULL, copy), 0);
    ck_assert_int_eq(run.exit_code, 0);
    test_run_free(&run);
    FILE *f = fopen(bogus, "w");
    ck_assert_ptr_nonnull(f);
    fputs("not wolfSSL\n", f);
    fclose(f);
    snprintf(env, sizeof env, "WOLFSSL_TARBALL=%s", bogus);
    const char *argv[] = {"env", env, "XDG_CACHE_HOME=/nonexistent", "bash", script, NULL};
    ck_assert_int_eq(test_run(&run, 20000, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 2, "exit %d: %s", run.exit_code, run.err);
    ck_assert_msg(test_contains(run.err, "refused") &&
                      test_contains(run.err, "2f4ef3d4fd387a9b3191d36a6316d69116c46ff69bb9583b6c82"
                                             "b36d7b8ca114"),
                  "%s", run.err);
    test_run_free(&run);
    char src[1200];
    snprintf(src, sizeof src, "%s/src", deps);
    ck_assert_msg(stat(src, &st) != 0, "%s was unpacked from a refused tarball", src);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* What the programs are compiled against is what they link. */
START_TEST(test_headers_match_the_library)
{
    ck_assert_str_eq(LIBWOLFSSL_VERSION_STRING, "5.9.2");
    ck_assert_str_eq(wolfSSL_lib_version(), LIBWOLFSSL_VERSION_STRING);
#if !defined(HAVE_EX_DATA) || !defined(HAVE_SECRET_CALLBACK) || !defined(SESSION_CERTS) ||         \
    !defined(WOLFSSL_NO_OCSP_DATE_CHECK) || !defined(HAVE_CERTIFICATE_STATUS_REQUEST)
    ck_abort_msg("wolfSSL was built without a setting the lab relies on "
                 "(scripts/build-wolfssl.sh)");
#endif
}
END_TEST

Suite *wolfssl_build_suite(void);
Suite *wolfssl_build_suite(void)
{
    Suite *s = suite_create("wolfssl_build");
    TCase *tc = tcase_create("wolfssl_build");
    tcase_add_loop_test(tc, test_every_program_names_its_wolfssl, 0,
                        (int)(sizeof programs / sizeof programs[0]));
    tcase_add_test(tc, test_headers_match_the_library);
    tcase_add_test(tc, test_wrong_tarball_refused);
    suite_add_tcase(s, tc);
    return s;
}
