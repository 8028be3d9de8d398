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
#include "utf8.h"
#include "testutil.h"

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
    char *argv[] = {"prog",    "issue", "--lab=x", "shop.test",       "--force",
                    "--users", "3",     "--",      "--not-an-option", NULL};
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
    ck_assert_int_eq(start_caught(3, fine, &force, out, sizeof out, errs, sizeof errs), CLI_GO_ON);
    ck_assert(force);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(errs, "");
}
END_TEST

/* Every parse mistake comes back with the hint once: the parser's words
 * carry none, cli_start adds it. */
START_TEST(test_start_hint_once)
{
    char out[256], errs[512];
    bool force = false;
    char *rows[][4] = {
        {"prog", "--frobnicate", NULL},
        {"prog", "--force", "--force", NULL},
        {"prog", "--force=yes", NULL},
        {"prog", "--fr\x1b[31mob", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int argc = rows[i][2] != NULL ? 3 : 2;
        ck_assert_int_eq(start_caught(argc, rows[i], &force, out, sizeof out, errs, sizeof errs),
                         2);
        ck_assert_msg(test_count_of(errs, "(see --help)") == 1, "row %zu: %s", i, errs);
        ck_assert_msg(strchr(errs, 0x1b) == NULL, "row %zu: raw ESC in: %s", i, errs);
    }
    ck_assert_str_eq(errs, "prog: unknown option '--fr\\x1b[31mob' (see --help)\n");
}
END_TEST

/* stderr while fn runs, into errs. */
static void stderr_of(char *errs, size_t cap, void (*fn)(void *), void *ctx)
{
    FILE *err_file = tmpfile();
    ck_assert_ptr_nonnull(err_file);
    fflush(stderr);
    int saved_err = dup(STDERR_FILENO);
    dup2(fileno(err_file), STDERR_FILENO);
    fn(ctx);
    fflush(stderr);
    dup2(saved_err, STDERR_FILENO);
    close(saved_err);
    rewind(err_file);
    size_t n = fread(errs, 1, cap - 1, err_file);
    errs[n] = 0;
    fclose(err_file);
}

static void say_error(void *message)
{
    cli_error("prog", "%s", (const char *)message);
}

/* What cli_error writes to stderr for one message. */
static void error_caught(char *errs, size_t cap, const char *message)
{
    stderr_of(errs, cap, say_error, (void *)message);
}

/* Each row: text as typed, and how a terminal receives it. */
static const struct {
    const char *typed;
    const char *shown;
} escape_rows[] = {
    {"shop.test", "shop.test"},
    {"bad\x1b[31mname", "bad\\x1b[31mname"},
    {"two\nlines\r\tand\x7f", "two\\x0alines\\x0d\\x09and\\x7f"},
    {"c1 \xc2\x9b"
     "31m",
     "c1 \\xc2\\x9b31m"},
    {"bidi \xe2\x80\xae"
     "evil \xe2\x81\xa6",
     "bidi \\xe2\\x80\\xaeevil \\xe2\\x81\\xa6"},
    {"bad utf8 \xff\xc3(", "bad utf8 \\xff\\xc3("},
    {"Z\xc3\xbcrich \xe2\x80\x94 \xf0\x9f\x94\x92", "Z\xc3\xbcrich \xe2\x80\x94 \xf0\x9f\x94\x92"},
    {"back\\slash", "back\\slash"},
};

START_TEST(test_error_escapes_controls)
{
    char errs[512], want[512], shown[256], message[256];
    ck_assert_uint_gt(utf8_escape_for_terminal(escape_rows[_i].typed, shown, sizeof shown), 0);
    ck_assert_str_eq(shown, escape_rows[_i].shown);
    snprintf(message, sizeof message, "invalid name '%s'", escape_rows[_i].typed);
    error_caught(errs, sizeof errs, message);
    snprintf(want, sizeof want, "prog: invalid name '%s'\n", escape_rows[_i].shown);
    ck_assert_str_eq(errs, want);
}
END_TEST

/* A cut keeps whole characters and escapes, and says it cut. */
START_TEST(test_escape_cuts_whole_characters)
{
    char out[12];
    /* Fits exactly: no mark. */
    ck_assert_uint_eq(utf8_escape_for_terminal("abcdefghijk", out, sizeof out), 11);
    ck_assert_str_eq(out, "abcdefghijk");
    ck_assert_uint_eq(utf8_escape_for_terminal("abcdefghijkl", out, sizeof out), 11);
    ck_assert_str_eq(out, "abcdefgh...");
    /* An escape is never cut in half, nor a UTF-8 character. */
    utf8_escape_for_terminal("abcde\x1b"
                             "fgh",
                             out, sizeof out);
    ck_assert_str_eq(out, "abcde...");
    utf8_escape_for_terminal("abcdefg\xe2\x80\x94xyz", out, sizeof out);
    ck_assert_str_eq(out, "abcdefg...");
    /* A message longer than cli_error's room still ends in one line. */
    char long_text[3000], errs[8192];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = 0;
    error_caught(errs, sizeof errs, long_text);
    size_t len = strlen(errs);
    ck_assert_uint_lt(len, 2100);
    ck_assert_msg(len > 4 && strcmp(errs + len - 4, "...\n") == 0, "%s", errs + len - 10);
}
END_TEST

static const struct {
    const char *value, *choices;
    int index;
    const char *says;
} choice_rows[] = {
    {"on", "on off", 0, ""},
    {"off", "on off", 1, ""},
    {"none", "ocsp crl none", 2, ""},
    {"maybe", "on off", -1, "prog: invalid --flag 'maybe': use on or off\n"},
    {"o", "on off", -1, "prog: invalid --flag 'o': use on or off\n"},
    {"", "ocsp crl none", -1, "prog: invalid --flag '': use ocsp, crl or none\n"},
    {"x", "1.2 1.3 both", -1, "prog: invalid --flag 'x': use 1.2, 1.3 or both\n"},
};

static int choice_got;
static void run_choice(void *ctx)
{
    size_t i = *(size_t *)ctx;
    choice_got = cli_choice("prog", "--flag", choice_rows[i].value, choice_rows[i].choices);
}

/* A flag's value among its choices, or the message every program gives. */
START_TEST(test_choice)
{
    char errs[256];
    size_t i = (size_t)_i;
    stderr_of(errs, sizeof errs, run_choice, &i);
    ck_assert_int_eq(choice_got, choice_rows[i].index);
    ck_assert_str_eq(errs, choice_rows[i].says);
}
END_TEST

static const struct {
    const char *value;
    long min, max, want;
    int rc;
} count_rows[] = {
    {"1", 1, 10, 1, 0},   {"10", 1, 10, 10, 0},
    {"0", 1, 10, 0, -1},  {"11", 1, 10, 0, -1},
    {"3x", 1, 10, 0, -1}, {"", 1, 10, 0, -1},
    {"-5", -9, 9, -5, 0}, {"99999999999999999999", 1, 10, 0, -1},
};

static int count_rc;
static long count_out;
static void run_count(void *ctx)
{
    size_t i = *(size_t *)ctx;
    count_out = 0;
    count_rc = cli_count("prog", "--users", count_rows[i].value, count_rows[i].min,
                         count_rows[i].max, &count_out);
}

START_TEST(test_count)
{
    char errs[256], want[256];
    size_t i = (size_t)_i;
    stderr_of(errs, sizeof errs, run_count, &i);
    ck_assert_int_eq(count_rc, count_rows[i].rc);
    if (count_rc == 0) {
        ck_assert_int_eq(count_out, count_rows[i].want);
        ck_assert_str_eq(errs, "");
    } else {
        snprintf(want, sizeof want, "prog: invalid --users '%s': use %ld to %ld\n",
                 count_rows[i].value, count_rows[i].min, count_rows[i].max);
        ck_assert_str_eq(errs, want);
    }
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_add_test(tc, test_parse_forms);
    tcase_add_test(tc, test_parse_mistakes);
    tcase_add_test(tc, test_start_answers);
    tcase_add_test(tc, test_start_hint_once);
    tcase_add_loop_test(tc, test_error_escapes_controls, 0,
                        (int)(sizeof escape_rows / sizeof escape_rows[0]));
    tcase_add_test(tc, test_escape_cuts_whole_characters);
    tcase_add_loop_test(tc, test_choice, 0, (int)(sizeof choice_rows / sizeof choice_rows[0]));
    tcase_add_loop_test(tc, test_count, 0, (int)(sizeof count_rows / sizeof count_rows[0]));
    suite_add_tcase(s, tc);
    return s;
}
