/* test_scenario_sweep.c — `scenario run --sweep users=…`: lessons 1 and 2
 * played at two crowd sizes, each in its own lab NAME@N, the lessons'
 * expectations skipped (they hold at their own size), one table row per
 * lab with the CA's load rising without stapling and flat with it, and the
 * report's log-scale plot; and --sweep values refused with their reason. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "lab.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 120000

static void scratch_setup(void)
{
    test_scratch_enter("scenario_sweep");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* The table line of `lab`, its numbers squeezed of commas into `cells`. */
static void table_line(const char *out, const char *lab, char *line, size_t cap)
{
    char start[128];
    snprintf(start, sizeof start, "\n  %s ", lab);
    const char *at = strstr(out, start);
    ck_assert_msg(at != NULL, "no table line for %s:\n%s", lab, test_tail_of(out));
    at += 3;
    size_t n = 0;
    while (*at != 0 && *at != '\n' && n + 1 < cap) {
        if (*at != ',')
            line[n++] = *at;
        at++;
    }
    line[n] = 0;
}

/* users, OCSP requests at the CA (the 1st and 4th numbers of a line). */
static void users_and_requests(const char *line, long *users, long *requests)
{
    char name[128];
    long stapled, asked;
    ck_assert_msg(
        sscanf(line, "%127s %ld %ld %ld | %ld", name, users, &stapled, &asked, requests) == 5,
        "unreadable table line: %s", line);
}

START_TEST(test_sweep_two_sizes)
{
    char lab[LAB_PATH_MAX], report[LAB_PATH_MAX], line[256];
    struct test_run run;
    ck_assert_int_eq(file_path_join(lab, sizeof lab, test_scratch_dir(), "run"), 0);
    const char *argv[] = {
        test_bin("scenario"), "run", "--no-pause", "--report", "--lab", lab, "--sweep",
        "users=3,30",         "1",   "2",          NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "exit %d\n%s%s", run.exit_code, test_tail_of(run.out),
                  test_tail_of(run.err));
    /* Expectations were skipped: none counted, none failed. */
    ck_assert_msg(test_contains(run.out, "All 0 expectations held in 4 scenarios") &&
                      test_contains(run.out, "sweep: every crowd has 30 users"),
                  "%s", test_tail_of(run.out));
    long users, requests;
    table_line(run.out, "01-without-stapling@3", line, sizeof line);
    users_and_requests(line, &users, &requests);
    ck_assert_int_eq(users, 3);
    ck_assert_int_eq(requests, 3);
    table_line(run.out, "01-without-stapling@30", line, sizeof line);
    users_and_requests(line, &users, &requests);
    ck_assert_int_eq(users, 30);
    ck_assert_int_eq(requests, 30); /* without stapling: one per visitor */
    table_line(run.out, "02-with-stapling@30", line, sizeof line);
    users_and_requests(line, &users, &requests);
    ck_assert_int_eq(users, 31);   /* and lesson 2's lone TLS 1.2 visitor */
    ck_assert_int_eq(requests, 1); /* with it: the web server's one */
    test_run_free(&run);

    ck_assert_int_eq(file_path_join(report, sizeof report, lab, "report.html"), 0);
    char *page = test_read_text(report);
    ck_assert_ptr_nonnull(page);
    ck_assert_ptr_nonnull(strstr(page, "<section id=\"sweep-chart\">"));
    /* Two panels (requests, bytes), a line per lesson in each. */
    ck_assert_int_eq(test_count_of(page, "class=\"sweep\""), 4);
    ck_assert_ptr_nonnull(strstr(page, "01-without-stapling, 30 users: 30 requests at the CA"));
    ck_assert_ptr_nonnull(strstr(page, "02-with-stapling, 30 users: 1 request at the CA"));
    free(page);
    char first[1024];
    ck_assert_int_eq(test_processes_mentioning(lab, NULL, 0, first, sizeof first), 0);
}
END_TEST

START_TEST(test_sweep_refused)
{
    static const struct {
        const char *value, *says;
    } rows[] = {
        {"people=3", "invalid --sweep 'people=3'"},     {"users=0", "each from 1 to 100000"},
        {"users=100001", "each from 1 to 100000"},      {"users=1,,2", "invalid --sweep"},
        {"users=1,2,3,4,5,6,7,8,9", "at most 8 sizes"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct test_run run;
        const char *argv[] = {test_bin("scenario"), "run", "--sweep", rows[i].value, "1", NULL};
        ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
        ck_assert_msg(run.exit_code == 2 && test_contains(run.err, rows[i].says),
                      "--sweep %s: exit %d\n%s", rows[i].value, run.exit_code, run.err);
        test_run_free(&run);
    }
}
END_TEST

Suite *scenario_sweep_suite(void)
{
    Suite *s = suite_create("scenario_sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 180);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_test(tc, test_sweep_two_sizes);
    tcase_add_test(tc, test_sweep_refused);
    suite_add_tcase(s, tc);
    return s;
}
