/* test_cli.c — the command line every program shares (DESIGN section 2):
 * options before or after the arguments, "--name value" and "--name=value",
 * "--" ending the options; each mistake named; and cli_start's answers to
 * --help, --version and a bad flag, with what it prints and the exit status. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "errbuf.h"

struct parsed {
    const char *lab, *users;
    bool force;
    struct cli_args args;
};

static int parse(struct parsed *p, struct errbuf *err, int argc, char **argv)
{
    const struct cli_option options[] = {
        {"--lab", true, &p->lab, NULL},
        {"--users", true, &p->users, NULL},
        {"--force", false, NULL, &p->force},
    };
    memset(p, 0, sizeof *p);
    return cli_parse(argc, argv, options, 3, &p->args, err);
}

START_TEST(test_parse_forms)
{
    char *argv[] = {"prog", "issue", "--lab=x", "shop.test", "--force", "--users", "3",
                    "--",   "--not-an-option", NULL};
    struct parsed p;
    struct errbuf err = {{0}};
    ck_assert_int_eq(parse(&p, &err, 9, argv), 0);
    ck_assert_str_eq(p.lab, "x");
    ck_assert_str_eq(p.users, "3");
    ck_assert(p.force);
    ck_assert_uint_eq(p.args.positional_count, 3);
    ck_assert_str_eq(p.args.positional[0], "issue");
    ck_assert_str_eq(p.args.positional[1], "shop.test");
    ck_assert_str_eq(p.args.positional[2], "--not-an-option");
}
END_TEST

/* Each mistake is refused with a message naming it. */
START_TEST(test_parse_mistakes)
{
    static const struct {
        int argc;
        char *argv[4];
        const char *named;
    } rows[] = {
        {2, {"prog", "--frobnicate"}, "--frobnicate"},
        {2, {"prog", "--lab"}, "--lab"},
        {3, {"prog", "--force", "--force"}, "--force"},
        {3, {"prog", "--lab=a", "--lab=b"}, "--lab"},
        {2, {"prog", "--force=yes"}, "--force"},
    };
    struct parsed p;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct errbuf err = {{0}};
        ck_assert_msg(parse(&p, &err, rows[i].argc, (char **)rows[i].argv) != 0, "row %zu", i);
        ck_assert_msg(strstr(err.msg, rows[i].named) != NULL, "row %zu: '%s'", i, err.msg);
    }
    char *many[CLI_MAX_POSITIONAL + 3] = {"prog"};
    for (int i = 1; i < CLI_MAX_POSITIONAL + 2; i++)
        many[i] = "arg";
    struct errbuf err = {{0}};
    ck_assert_int_ne(parse(&p, &err, CLI_MAX_POSITIONAL + 2, many), 0);
    ck_assert_str_ne(err.msg, "");
}
END_TEST

/* Runs cli_start with stdout and stderr caught in files; returns its result. */
static int start_caught(int argc, char **argv, bool *force, char *out, size_t out_cap, char *errs,
                        size_t errs_cap)
{
    const struct cli_option options[] = {{"--force", false, NULL, force}};
    struct cli_args args;
    FILE *out_file = tmpfile(), *err_file = tmpfile();
    ck_assert_ptr_nonnull(out_file);
    ck_assert_ptr_nonnull(err_file);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(fileno(out_file), STDOUT_FILENO);
    dup2(fileno(err_file), STDERR_FILENO);
    int rc = cli_start("prog", "usage: prog [--force]\n", argc, argv, options, 1, &args);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    rewind(out_file);
    rewind(err_file);
    size_t n = fread(out, 1, out_cap - 1, out_file);
    out[n] = 0;
    n = fread(errs, 1, errs_cap - 1, err_file);
    errs[n] = 0;
    fclose(out_file);
    fclose(err_file);
    return rc;
}

START_TEST(test_start_answers)
{
    char out[256], errs[256];
    bool force = false;
    char *help[] = {"prog", "--help", NULL};
    ck_assert_int_eq(start_caught(2, help, &force, out, sizeof out, errs, sizeof errs), 0);
    ck_assert_str_eq(out, "usage: prog [--force]\n");
    ck_assert_str_eq(errs, "");

    char *version[] = {"prog", "--version", NULL};
    ck_assert_int_eq(start_caught(2, version, &force, out, sizeof out, errs, sizeof errs), 0);
    ck_assert_str_eq(out, "prog (OCSP Stapling Lab) " OCSPLAB_VERSION "\nwolfSSL 5.9.2\n");

    char *bad[] = {"prog", "--frobnicate", NULL};
    ck_assert_int_eq(start_caught(2, bad, &force, out, sizeof out, errs, sizeof errs), 2);
    ck_assert_str_eq(out, "");
    ck_assert_msg(strncmp(errs, "prog: ", 6) == 0 && strstr(errs, "--frobnicate") != NULL &&
                      strstr(errs, "(see --help)") != NULL,
                  "%s", errs);

    char *fine[] = {"prog", "run", "--force", NULL};
    ck_assert_int_eq(start_caught(3, fine, &force, out, sizeof out, errs, sizeof errs),
                     CLI_GO_ON);
    ck_assert(force);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(errs, "");
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_add_test(tc, test_parse_forms);
    tcase_add_test(tc, test_parse_mistakes);
    tcase_add_test(tc, test_start_answers);
    suite_add_tcase(s, tc);
    return s;
}
