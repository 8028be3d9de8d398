/* test_scenario_report_cli.c — `scenario run --report` and `scenario report`
 * on a real run: the demo (lessons 1, 2 and 4 with the real programs, ending
 * with the runner's comparison table) writes RUN/report.html, whose table
 * holds exactly the numbers the runner printed; `scenario report` makes the
 * same page from the folder, a single lab, or ./lab/demo by default; and
 * every error (no trace, nowhere to write, a bad flag) exits 2 with a
 * message, while a damaged trace line is reported and skipped. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "lab.h"
#include "report_page.h"
#include "testutil.h"

#define DEMO LAB_SOURCE_DIR "/scenarios/demo.lab"
#define RUN_TIMEOUT_MS 150000
#define REPORT_TIMEOUT_MS 30000
/* `scenario report ARGS..., NULL`, bounded in time. */
#define RUN_REPORT(...) test_run_bin(REPORT_TIMEOUT_MS, "scenario", "report", __VA_ARGS__)
#define MAX_PAGE (32 * 1024 * 1024)

/* One run of the demo for the whole suite (a few seconds), its stdout kept. */
static char *run_dir;
static char *run_out;

static void run_demo(void)
{
    struct test_run run;
    run_dir = test_tmpdir();
    const char *argv[] = {
        test_bin("scenario"), "run", "--no-pause", "--report", "--lab", run_dir, DEMO, NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "the demo failed (%d):\n%s", run.exit_code, run.err);
    run_out = strdup(run.out);
    test_run_free(&run);
}

static void remove_run(void)
{
    if (run_dir != NULL)
        test_rmtree(run_dir);
    free(run_dir);
    free(run_out);
    run_dir = run_out = NULL;
}

static void scratch_setup(void)
{
    test_scratch_enter("scenario_report_cli");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

static char *read_page(const char *path)
{
    uint8_t *text = NULL;
    size_t len = 0;
    struct errbuf err = {{0}};
    ck_assert_msg(file_read_all(path, MAX_PAGE, &text, &len, &err) == 0, "%s", err.msg);
    return (char *)text;
}

/* The runner's table line of `lab`: "  LAB  users stapled asked | req bytes
 * addresses | alone crowd", its eight numbers (commas dropped) into cells. */
static int runner_cells(const char *out, const char *lab, char cells[8][32])
{
    char start[128];
    snprintf(start, sizeof start, "\n  %s ", lab);
    const char *line = strstr(out, start);
    if (line == NULL)
        return -1;
    line += strlen(start);
    const char *end = strchr(line, '\n');
    int n = 0;
    while (line < end && n < 8) {
        while (line < end && (*line == ' ' || *line == '|'))
            line++;
        size_t k = 0;
        while (line < end && *line != ' ' && k + 1 < sizeof cells[0]) {
            if (*line != ',')
                cells[n][k++] = *line;
            line++;
        }
        cells[n][k] = 0;
        if (k > 0)
            n++;
    }
    return n == 8 ? 0 : -1;
}

static void assert_same_numbers(const char *page, const char *out)
{
    static const char *const labs[] = {"01-without-stapling", "02-with-stapling", "04-revocation"};
    static const char *const cols[8] = {"users", "stapled",   "asked",    "requests",
                                        "bytes", "addresses", "alone-ms", "crowd-ms"};
    for (size_t i = 0; i < sizeof labs / sizeof labs[0]; i++) {
        char cells[8][32];
        ck_assert_msg(runner_cells(out, labs[i], cells) == 0,
                      "the runner printed no table line for %s:\n%s", labs[i], out);
        for (int c = 0; c < 8; c++)
            ck_assert_msg(strcmp(report_page_cell(page, labs[i], cols[c]), cells[c]) == 0,
                          "%s %s: the report says %s, the runner said %s", labs[i], cols[c],
                          report_page_cell(page, labs[i], cols[c]), cells[c]);
    }
}

START_TEST(test_run_report)
{
    char path[LAB_PATH_MAX], wrote[LAB_PATH_MAX + 16];
    ck_assert_int_eq(file_path_join(path, sizeof path, run_dir, "report.html"), 0);
    snprintf(wrote, sizeof wrote, "wrote %s (", path);
    ck_assert_msg(test_contains(run_out, wrote), "%s", run_out);
    ck_assert_msg(test_contains(run_out, "KB): 4 labs, "), "%s", run_out);
    ck_assert_msg(test_contains(run_out, "The labs and their traces stay in "), "%s", run_out);
    ck_assert_int_eq(access(run_dir, F_OK), 0);
    char *page = read_page(path);
    ck_assert_int_eq(strncmp(page, "<!DOCTYPE html>", 15), 0);
    /* Lessons 1, 2 and 4 as the runner's closing table printed them. */
    assert_same_numbers(page, run_out);
    ck_assert_str_eq(report_page_cell(page, "01-without-stapling", "stapled"), "0");
    ck_assert_str_eq(report_page_cell(page, "02-with-stapling", "requests"), "1");
    /* The demo's own lab is narration only: named, but not in the table. */
    ck_assert_ptr_nonnull(strstr(page, "<strong>demo</strong>"));
    ck_assert_ptr_null(strstr(page, "<tr data-lab=\"demo\">"));
    /* Lesson 4's revocation window: twelve hours, as the lesson measures it. */
    ck_assert_ptr_nonnull(strstr(page, "revocation window: 12h —"));
    ck_assert_ptr_nonnull(strstr(page, "the web server learned it and stopped stapling"));
    /* Lesson 1 taught the CA twenty addresses; lesson 2 only the server's. */
    ck_assert_ptr_nonnull(strstr(page, "The CA learned that 20 addresses visit shop.test"));
    ck_assert_ptr_nonnull(strstr(page, "The CA only saw the web server (127.0.0.1)"));
    /* The runner's own /stats handshakes (from 127.0.0.2) are left off the
     * ladder: they are not part of the lesson's story. */
    ck_assert_ptr_null(strstr(page, "TLS with 127.0.0.2"));
    ck_assert_ptr_null(strstr(page, "not a lab user"));
    /* Self-contained: nothing to fetch, nothing to run. */
    static const char *const forbidden[] = {"<script", "src=", "url(", "<link", "@import"};
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        ck_assert_msg(strstr(page, forbidden[i]) == NULL, "the report holds %s", forbidden[i]);
    free(page);
}
END_TEST

START_TEST(test_report_command)
{
    char out_path[LAB_PATH_MAX], first[LAB_PATH_MAX], lab[LAB_PATH_MAX];
    snprintf(out_path, sizeof out_path, "%s/again.html", test_scratch_dir());
    struct test_run run = RUN_REPORT("--lab", run_dir, "-o", out_path, NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_str_eq(run.err, "");
    ck_assert_msg(test_contains(run.out, "KB): 4 labs, "), "%s", run.out);
    /* The same labs, events and numbers as the run's own report. */
    const char *events = strstr(run.out, "4 labs, ");
    ck_assert_ptr_nonnull(events);
    ck_assert_msg(test_contains(run_out, events), "%s vs %s", run.out, run_out);
    char *page = read_page(out_path);
    assert_same_numbers(page, run_out);
    free(page);
    test_run_free(&run);

    /* --output is -o's long name; both at once is a mistake. */
    snprintf(out_path, sizeof out_path, "%s/long.html", test_scratch_dir());
    run = RUN_REPORT("--lab", run_dir, "--output", out_path, NULL);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_int_eq(access(out_path, F_OK), 0);
    test_run_free(&run);
    run = RUN_REPORT("--lab", run_dir, "--output", out_path, "-o", out_path, NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "not both"), "%s", run.err);
    test_run_free(&run);

    /* One lab: its own report.html by default, named after its folder. */
    ck_assert_int_eq(file_path_join(lab, sizeof lab, run_dir, "04-revocation"), 0);
    run = RUN_REPORT("--lab", lab, NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_msg(test_contains(run.out, "KB): 1 lab, "), "%s", run.out);
    ck_assert_int_eq(file_path_join(first, sizeof first, lab, "report.html"), 0);
    page = read_page(first);
    ck_assert_ptr_nonnull(strstr(page, "<tr data-lab=\"04-revocation\">"));
    char cells[8][32];
    ck_assert_int_eq(runner_cells(run_out, "04-revocation", cells), 0);
    ck_assert_str_eq(report_page_cell(page, "04-revocation", "users"), cells[0]);
    ck_assert_str_eq(report_page_cell(page, "04-revocation", "requests"), cells[3]);
    free(page);
    test_run_free(&run);
}
END_TEST

/* A run that fails still gets its report, and keeps its labs. */
START_TEST(test_failed_run_report)
{
    char script[LAB_PATH_MAX], lab[LAB_PATH_MAX], page_path[LAB_PATH_MAX];
    snprintf(script, sizeof script, "%s/fails.lab", test_scratch_dir());
    FILE *f = fopen(script, "w");
    ck_assert_ptr_nonnull(f);
    fputs("title \"Fails on purpose\"\nca init\nexpect trace ca.init == 5\n", f);
    ck_assert_int_eq(fclose(f), 0);
    snprintf(lab, sizeof lab, "%s/failed-run", test_scratch_dir());
    const char *argv[] = {
        test_bin("scenario"), "run", "--quiet", "--report", "--lab", lab, script, NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 1, "exit %d: %s", run.exit_code, run.err);
    ck_assert_msg(run.out[0] == 0, "--quiet printed: %s", run.out); /* only failures, on stderr */
    ck_assert_int_eq(file_path_join(page_path, sizeof page_path, lab, "report.html"), 0);
    char *page = read_page(page_path);
    ck_assert_ptr_nonnull(strstr(page, "Fails on purpose"));
    ck_assert_ptr_nonnull(strstr(page, "it FAILED"));
    free(page);
    test_run_free(&run);
}
END_TEST

/* Without --lab: ./lab, or ./lab/demo when ./lab holds no trace (make demo). */
START_TEST(test_default_lab)
{
    char cwd[1024], demo[LAB_PATH_MAX];
    snprintf(cwd, sizeof cwd, "%s/classroom", test_scratch_dir());
    ck_assert_int_eq(mkdir(cwd, 0755), 0);
    snprintf(demo, sizeof demo, "%s/lab", cwd);
    ck_assert_int_eq(mkdir(demo, 0755), 0);
    snprintf(demo, sizeof demo, "%s/lab/demo", cwd);
    ck_assert_int_eq(symlink(run_dir, demo), 0);
    ck_assert_int_eq(chdir(cwd), 0);
    char out_path[LAB_PATH_MAX];
    snprintf(out_path, sizeof out_path, "%s/default.html", test_scratch_dir());
    struct test_run run = RUN_REPORT("-o", out_path, NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_msg(test_contains(run.out, "KB): 4 labs, "), "%s", run.out);
    char *page = read_page(out_path);
    ck_assert_ptr_nonnull(strstr(page, "<code>lab/demo</code>"));
    free(page);
    test_run_free(&run);
}
END_TEST

START_TEST(test_errors)
{
    char path[LAB_PATH_MAX], lab[LAB_PATH_MAX];
    /* No such lab. */
    snprintf(path, sizeof path, "%s/no-such-lab", test_scratch_dir());
    struct test_run run = RUN_REPORT("--lab", path, NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "scenario: cannot read ") &&
                      test_contains(run.err, "no-such-lab/trace.jsonl"),
                  "%s", run.err);
    ck_assert_str_eq(run.out, "");
    test_run_free(&run);
    /* A folder with neither a trace nor labs. */
    snprintf(path, sizeof path, "%s/empty", test_scratch_dir());
    ck_assert_int_eq(mkdir(path, 0755), 0);
    run = RUN_REPORT("--lab", path, NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "no trace in "), "%s", run.err);
    test_run_free(&run);
    /* Nowhere to write. */
    snprintf(path, sizeof path, "%s/no/such/dir/r.html", test_scratch_dir());
    run = RUN_REPORT("--lab", run_dir, "-o", path, NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "no report written to "), "%s", run.err);
    ck_assert_int_ne(access(path, F_OK), 0);
    test_run_free(&run);
    /* Flags. */
    run = RUN_REPORT("--lab", run_dir, "--bogus", NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "unknown option '--bogus'"), "%s", run.err);
    test_run_free(&run);
    run = RUN_REPORT("--lab", run_dir, "extra", NULL);
    ck_assert_int_eq(run.exit_code, 2);
    test_run_free(&run);
    run = RUN_REPORT("--lab", run_dir, "-o", NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "needs a value"), "%s", run.err);
    test_run_free(&run);
    /* run --report with two outputs: refused before any lab is made. */
    snprintf(lab, sizeof lab, "%s/two-outputs", test_scratch_dir());
    run = test_run_bin(REPORT_TIMEOUT_MS, "scenario", "run", "--quiet", "--report", "--lab", lab,
                       "-o", "a.html", "--output", "b.html",
                       LAB_SOURCE_DIR "/scenarios/lessons/02-with-stapling.lab", NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "give -o or --output, not both"), "%s", run.err);
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, "02-with-stapling"), 0);
    ck_assert_msg(access(path, F_OK) != 0, "the lesson's lab was made: %s", path);
    test_run_free(&run);

    /* A damaged line: reported with its number, skipped, counted on the page. */
    char trace[LAB_PATH_MAX], copy[LAB_PATH_MAX];
    snprintf(lab, sizeof lab, "%s/damaged", test_scratch_dir());
    ck_assert_int_eq(mkdir(lab, 0755), 0);
    snprintf(trace, sizeof trace, "%s/02-with-stapling/trace.jsonl", run_dir);
    ck_assert_int_eq(file_path_join(copy, sizeof copy, lab, "trace.jsonl"), 0);
    uint8_t *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(file_read_all(trace, MAX_PAGE, &text, &len, NULL), 0);
    FILE *f = fopen(copy, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"ts\": not json\n", f);
    fwrite(text, 1, len, f);
    ck_assert_int_eq(fclose(f), 0);
    free(text);
    run = RUN_REPORT("--lab", lab, NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_msg(test_contains(run.err, "damaged/trace.jsonl:1: not JSON"), "%s", run.err);
    ck_assert_msg(test_contains(run.err, "1 bad trace line skipped"), "%s", run.err);
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, "report.html"), 0);
    char *page = read_page(path);
    ck_assert_ptr_nonnull(strstr(page, "1 malformed, truncated or overlong trace line was "
                                       "skipped (damaged: 1)"));
    free(page);
    test_run_free(&run);
}
END_TEST

Suite *scenario_report_cli_suite(void)
{
    Suite *s = suite_create("scenario_report_cli");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 240);
    /* The scratch directory first: the demo's run folder is made inside it. */
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_unchecked_fixture(tc, run_demo, remove_run);
    tcase_add_test(tc, test_run_report);
    tcase_add_test(tc, test_report_command);
    tcase_add_test(tc, test_default_lab);
    tcase_add_test(tc, test_failed_run_report);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
