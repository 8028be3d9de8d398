/* test_scenarios.c — bin/scenario with the real programs: every lesson in
 * scenarios/lessons/ (found on disk, so a new lesson is tested without
 * touching this file) and the demo run in quiet mode and must pass; a failed
 * expectation exits 1 naming file, line, expected and seen, and the run goes
 * on; a syntax error exits 2 before anything starts; a killed program is
 * reported and everything is cleaned up; Ctrl-C and a killed runner leave
 * nothing behind. "Nothing behind" is checked the hard way: no process on the
 * machine has the test's lab directory on its command line. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../scenarios/cache.h"
#include "clock.h"
#include "fileio.h"
#include "lab.h"
#include "proc.h"
#include "testutil.h"

#define LESSONS_DIR LAB_SOURCE_DIR "/scenarios/lessons"
#define RUN_TIMEOUT_MS 150000
#define MAX_LESSONS 32

static char lesson_paths[MAX_LESSONS][LAB_PATH_MAX];
static size_t lesson_count;

static int compare_paths(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void find_lessons(void)
{
    DIR *d = opendir(LESSONS_DIR);
    struct dirent *e;
    lesson_count = 0;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL && lesson_count < MAX_LESSONS) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".lab") == 0)
            snprintf(lesson_paths[lesson_count++], LAB_PATH_MAX, "%s/%s", LESSONS_DIR, e->d_name);
    }
    closedir(d);
    qsort(lesson_paths, lesson_count, sizeof lesson_paths[0], compare_paths);
}

/* Nothing started for this lab may outlive the run (a program being reaped
 * right now gets a moment). */
static void assert_nothing_left(const char *lab)
{
    char first[1024];
    int64_t deadline = clock_monotonic_ms() + 3000;
    while (test_processes_mentioning(lab, NULL, 0, first, sizeof first) > 0 &&
           clock_monotonic_ms() < deadline)
        test_sleep_ms(50);
    ck_assert_msg(test_processes_mentioning(lab, NULL, 0, first, sizeof first) == 0,
                  "left behind: %s", first);
}

static void write_text(const char *dir, const char *name, const char *text, char *path, size_t cap)
{
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_path_join(path, cap, dir, name), 0);
    ck_assert_msg(file_write_atomic(path, text, strlen(text), 0644, &err) == 0, "%s", err.msg);
}

/* The runner stopped every program itself, before it ended the scenario (and
 * not merely the kernel, when the runner exited): in the trace each start of a
 * responder or web server has its stop, and every stop comes before
 * scenario.end. Returns how many programs the lab started (a playlist, such
 * as lesson 9, starts none in its own lab: its included lessons do). */
static int assert_stopped_in_order(const char *lab)
{
    char path[LAB_PATH_MAX];
    uint8_t *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, LAB_TRACE_FILE), 0);
    ck_assert_msg(file_read_all(path, 256 * 1024 * 1024, &text, &len, NULL) == 0, "no %s", path);
    int starts = 0, stops = 0, stops_after_end = 0;
    bool has_ended = false;
    for (char *line = (char *)text; line != NULL && *line != 0;) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = 0;
        if (strstr(line, "\"event\":\"responder.start\"") != NULL ||
            strstr(line, "\"event\":\"webserver.start\"") != NULL)
            starts++;
        if (strstr(line, "\"event\":\"responder.stop\"") != NULL ||
            strstr(line, "\"event\":\"webserver.stop\"") != NULL) {
            stops++;
            stops_after_end += has_ended;
        }
        if (strstr(line, "\"event\":\"scenario.end\"") != NULL)
            has_ended = true;
        line = next;
    }
    free(text);
    ck_assert_msg(has_ended, "%s: no scenario.end", path);
    ck_assert_msg(starts == stops, "%s: %d programs started, %d stopped", path, starts, stops);
    ck_assert_msg(stops_after_end == 0, "%s: %d programs stopped only after the scenario ended",
                  path, stops_after_end);
    return starts;
}

/* Every lab of a run (the lesson's and those of the lessons it includes)
 * stopped its programs in order; together they started at least one. */
static void assert_all_stopped_in_order(const char *run)
{
    int starts = 0;
    DIR *d = opendir(run);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        char one_lab[LAB_PATH_MAX], trace[LAB_PATH_MAX + 32];
        if (e->d_name[0] == '.' || file_path_join(one_lab, sizeof one_lab, run, e->d_name) != 0)
            continue;
        snprintf(trace, sizeof trace, "%s/%s", one_lab, LAB_TRACE_FILE);
        if (access(trace, F_OK) == 0)
            starts += assert_stopped_in_order(one_lab);
    }
    closedir(d);
    ck_assert_msg(starts > 0, "%s: no lab of the run started a program", run);
}

/* A lesson may skip itself only when a tool it needs is truly missing
 * (lesson 10 and nginx): `make deps` installs them all, so on a machine it
 * set up, a skip is a failure. */
static void assert_not_skipped(const char *lab)
{
    char trace[LAB_PATH_MAX];
    ck_assert_int_eq(file_path_join(trace, sizeof trace, lab, "trace.jsonl"), 0);
    char *text = test_read_text(trace);
    ck_assert_ptr_nonnull(text);
    bool is_skipped = strstr(text, "\"event\":\"scenario.skipped\"") != NULL;
    free(text);
    if (!is_skipped)
        return;
    struct scn_cache_tools tools;
    struct errbuf err = {{0}};
    ck_assert_msg(scn_cache_find_tools(&tools, &err) != 0,
                  "%s skipped itself although nginx and libfaketime are installed", lab);
    fprintf(stderr, "note: %s was skipped: %s\n", lab, err.msg);
}

static void run_quiet(const char *file, const char *lab)
{
    struct test_run run;
    const char *argv[] = {test_bin("scenario"), "run", "--quiet", "--lab", lab, file, NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "%s timed out", file);
    ck_assert_msg(run.exit_code == 0, "%s exited %d\n%s", file, run.exit_code,
                  test_tail_of(run.err));
    ck_assert_msg(run.out[0] == 0, "--quiet printed:\n%s", test_tail_of(run.out));
    test_run_free(&run);
}

/* ---- Every lesson, and the demo ------------------------------------------------------------- */

START_TEST(test_lesson)
{
    ck_assert_msg(lesson_count >= 8, "only %zu lessons in %s", lesson_count, LESSONS_DIR);
    char *lab = test_tmpdir();
    char stem[LAB_PATH_MAX], one_lab[LAB_PATH_MAX], trace[LAB_PATH_MAX + 32];
    run_quiet(lesson_paths[_i], lab);
    snprintf(stem, sizeof stem, "%s", strrchr(lesson_paths[_i], '/') + 1);
    stem[strlen(stem) - 4] = 0; /* ".lab" */
    ck_assert_int_eq(file_path_join(one_lab, sizeof one_lab, lab, stem), 0);
    assert_not_skipped(one_lab);
    snprintf(trace, sizeof trace, "%s/%s", one_lab, LAB_TRACE_FILE);
    ck_assert_msg(access(trace, F_OK) == 0, "no %s", trace);
    assert_all_stopped_in_order(lab);
    assert_nothing_left(lab);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* `scenario run 9` (issue 14): five ways, each in its own lab, and the
 * closing table with one row per way, what the CA saw counted from traces. */
START_TEST(test_lesson_nine_table)
{
    char *lab = test_tmpdir();
    struct test_run run;
    const char *argv[] = {test_bin("scenario"), "run", "--no-pause", "--lab", lab, "9", NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "lesson 9 exited %d\n%s", run.exit_code,
                  test_tail_of(run.err));
    static const char *const rows[] = {"\n  crl ", "\n  ocsp ", "\n  stapling ", "\n  short-lived ",
                                       "\n  pushed-list "};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        ck_assert_msg(test_contains(run.out, rows[i]), "no table row '%s' in:\n%s", rows[i] + 3,
                      test_tail_of(run.out));
    /* The second table: each way's window and what users got with the CA
     * down (stapling rides through on its staple; short-lived needs no CA). */
    ck_assert_msg(test_contains(run.out, "revocation  with the CA down") &&
                      test_contains(run.out, "\n  stapling              12h            3 of 3\n") &&
                      test_contains(run.out, "\n  short-lived            6d            3 of 3\n") &&
                      test_contains(run.out, "\n  ocsp                   1m            3 of 6\n"),
                  "%s", test_tail_of(run.out));
    /* The ways that never ask the CA during a visit show no request at all. */
    const char *row = strstr(run.out, "\n  short-lived ");
    ck_assert_msg(row != NULL && strstr(row, "|         0          0          0  |") != NULL, "%s",
                  test_tail_of(run.out));
    test_run_free(&run);
    assert_nothing_left(lab);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_demo)
{
    char *lab = test_tmpdir();
    char trace[LAB_PATH_MAX];
    run_quiet(LAB_SOURCE_DIR "/scenarios/demo.lab", lab);
    /* each included lesson ran in its own lab, with its own trace */
    static const char *const parts[] = {"demo", "01-without-stapling", "02-with-stapling",
                                        "04-revocation"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        snprintf(trace, sizeof trace, "%s/%s/%s", lab, parts[i], LAB_TRACE_FILE);
        ck_assert_msg(access(trace, F_OK) == 0, "no %s", trace);
    }
    assert_nothing_left(lab);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* The teacher's view: narration, steps and the table, no colour into a pipe. */
START_TEST(test_demo_output)
{
    char *lab = test_tmpdir();
    struct test_run run;
    const char *argv[] = {
        test_bin("scenario"), "run", "--lab", lab, LAB_SOURCE_DIR "/scenarios/demo.lab", NULL};
    unsetenv("NO_COLOR");
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "exit %d\n%s", run.exit_code, test_tail_of(run.err));
    static const char *const wanted[] = {
        "== 01-without-stapling",
        "$ visit shop.test --users 20 --staple off",
        "ok   expect responder requests == 20",
        "requests",
        "02-with-stapling",
        "All 37 expectations held in 4 scenarios.",
        "20 users: 20 accepted",
        /* Lesson 4's watch says who learned what, in order: stapled visitors
         * first, then the server stops stapling and the browsers ask. */
        "3 accepted (good), stapled  | server: staple good",
        "3 refused (revoked), asked the CA  | server stopped stapling (CA: revoked)",
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        ck_assert_msg(strstr(run.out, wanted[i]) != NULL, "no '%s' in\n%s", wanted[i],
                      test_tail_of(run.out));
    ck_assert_msg(strchr(run.out, '\033') == NULL, "colour escapes into a pipe");
    test_run_free(&run);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_list)
{
    struct test_run run;
    const char *argv[] = {test_bin("scenario"), "--list", LESSONS_DIR, NULL};
    ck_assert_int_eq(test_run(&run, 10000, NULL, argv), 0);
    ck_assert_int_eq(run.exit_code, 0);
    for (size_t i = 0; i < lesson_count; i++) {
        const char *name = strrchr(lesson_paths[i], '/') + 1;
        ck_assert_msg(strstr(run.out, name) != NULL, "%s not listed:\n%s", name, run.out);
    }
    ck_assert_msg(strstr(run.out, "Without stapling: every visitor asks the CA") != NULL, "%s",
                  run.out);
    ck_assert_msg(strstr(run.out, "(no title)") == NULL, "a lesson without a title:\n%s", run.out);
    test_run_free(&run);
}
END_TEST

/* ---- Failures ------------------------------------------------------------------------------- */

static const char failing_text[] = "title Failing on purpose\n"
                                   "ca init\n"
                                   "start responder\n"
                                   "ca issue shop.test\n"
                                   "start webserver shop.test\n"
                                   "expect responder requests == 99\n"
                                   "expect responder requests == 1\n"
                                   "say the run went on\n";

START_TEST(test_failed_expectation)
{
    char *dir = test_tmpdir();
    char file[LAB_PATH_MAX], lab[LAB_PATH_MAX], want[LAB_PATH_MAX + 128];
    struct test_run run;
    write_text(dir, "failing.lab", failing_text, file, sizeof file);
    snprintf(lab, sizeof lab, "%s/labs", dir);
    const char *argv[] = {test_bin("scenario"), "run", "--lab", lab, file, NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 1, "exit %d\n%s", run.exit_code, test_tail_of(run.err));
    snprintf(want, sizeof want, "%s:6: expected responder requests == 99, seen 1", file);
    ck_assert_msg(strstr(run.err, want) != NULL, "no '%s' in\n%s", want, run.err);
    ck_assert_msg(strstr(run.out, "ok   expect responder requests == 1") != NULL,
                  "the run did not go on:\n%s", test_tail_of(run.out));
    ck_assert_msg(strstr(run.out, "the run went on") != NULL, "%s", test_tail_of(run.out));
    test_run_free(&run);
    assert_nothing_left(lab);

    /* Without --lab a failed run keeps its temporary labs and says where. */
    setenv("TMPDIR", dir, 1);
    const char *argv2[] = {test_bin("scenario"), "run", "--quiet", file, NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv2), 0);
    ck_assert_int_eq(run.exit_code, 1);
    ck_assert_msg(strstr(run.err, "stay in") != NULL && strstr(run.err, dir) != NULL, "%s",
                  run.err);
    test_run_free(&run);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* A passing run without --lab removes its temporary labs. */
START_TEST(test_temporary_labs_removed)
{
    char *dir = test_tmpdir();
    struct test_run run;
    setenv("TMPDIR", dir, 1);
    const char *argv[] = {test_bin("scenario"), "run", "--quiet",
                          LAB_SOURCE_DIR "/scenarios/lessons/02-with-stapling.lab", NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "exit %d\n%s", run.exit_code, test_tail_of(run.err));
    test_run_free(&run);
    DIR *d = opendir(dir);
    struct dirent *e;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        ck_assert_msg(strncmp(e->d_name, "ocsplab-scenario-", 17) != 0, "%s left in %s", e->d_name,
                      dir);
    closedir(d);
    test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_syntax_error)
{
    char *dir = test_tmpdir();
    char good[LAB_PATH_MAX], bad[LAB_PATH_MAX], lab[LAB_PATH_MAX], want[LAB_PATH_MAX + 64];
    struct test_run run;
    write_text(dir, "good.lab", failing_text, good, sizeof good);
    write_text(dir, "bad.lab", "ca init\nstart responder\nvisit nowhere.test\n", bad, sizeof bad);
    snprintf(lab, sizeof lab, "%s/labs", dir);
    /* the good file comes first: nothing of it may start either */
    const char *argv[] = {test_bin("scenario"), "run", "--lab", lab, good, bad, NULL};
    ck_assert_int_eq(test_run(&run, 30000, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 2, "exit %d\n%s", run.exit_code, run.err);
    snprintf(want, sizeof want, "%s:3: ", bad);
    ck_assert_msg(strstr(run.err, want) != NULL, "no '%s' in\n%s", want, run.err);
    ck_assert_msg(run.out[0] == 0, "printed before failing:\n%s", run.out);
    ck_assert_msg(access(lab, F_OK) != 0, "%s was created", lab);
    test_run_free(&run);

    /* a usage error is 2 as well */
    const char *argv2[] = {test_bin("scenario"), "run", "--bogus", good, NULL};
    ck_assert_int_eq(test_run(&run, 10000, NULL, argv2), 0);
    ck_assert_int_eq(run.exit_code, 2);
    test_run_free(&run);

    /* A file name with an escape sequence in it is repeated escaped: the
     * message cannot recolour the terminal. */
    char hostile[LAB_PATH_MAX];
    snprintf(hostile, sizeof hostile, "%s/red\033[31m.lab", dir);
    const char *argv3[] = {test_bin("scenario"), "run", hostile, NULL};
    ck_assert_int_eq(test_run(&run, 10000, NULL, argv3), 0);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(strchr(run.err, '\033') == NULL && strstr(run.err, "red\\x1b[31m.lab") != NULL,
                  "%s", run.err);
    test_run_free(&run);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- Programs that die, Ctrl-C, a killed runner --------------------------------------------- */

static const char long_text[] = "title A long watch\n"
                                "ca init\n"
                                "start responder\n"
                                "ca issue shop.test\n"
                                "start webserver shop.test\n"
                                "watch shop.test --users 1 every 1h for 40d\n"
                                "expect shop.test fetches >= 1\n";

/* The pid of the first event `event` in the lab's trace, waiting for it. */
static int wait_for_pid(const char *lab, const char *event, struct proc *runner)
{
    char path[LAB_PATH_MAX], needle[128];
    snprintf(path, sizeof path, "%s/long/%s", lab, LAB_TRACE_FILE);
    snprintf(needle, sizeof needle, "\"event\":\"%s\"", event);
    int64_t deadline = clock_monotonic_ms() + 30000;
    while (clock_monotonic_ms() < deadline) {
        uint8_t *text = NULL;
        size_t len = 0;
        if (file_read_all(path, 64 * 1024 * 1024, &text, &len, NULL) == 0) {
            char *line = strstr((char *)text, needle);
            char *start = line;
            while (start != NULL && start > (char *)text && start[-1] != '\n')
                start--;
            char *pid_field = start != NULL ? strstr(start, "\"pid\":") : NULL;
            int pid = pid_field != NULL && pid_field < line ? atoi(pid_field + 6) : 0;
            free(text);
            if (pid > 0)
                return pid;
        }
        ck_assert_msg(proc_is_running(runner), "the runner ended early:\n%s",
                      test_tail_of(proc_stderr(runner)));
        test_sleep_ms(20);
    }
    ck_abort_msg("no %s in %s", event, path);
    return -1;
}

static void start_long(char *dir, char *lab, size_t cap, struct proc *runner)
{
    char file[LAB_PATH_MAX];
    write_text(dir, "long.lab", long_text, file, sizeof file);
    snprintf(lab, cap, "%s/labs", dir);
    const char *argv[] = {test_bin("scenario"), "run", "--lab", lab, file, NULL};
    ck_assert_int_eq(proc_start(runner, argv), 0);
}

/* Stopped from outside in the middle of a long watch: a program of the lab
 * killed (reported with its line, the rest cleaned up), Ctrl-C and SIGTERM
 * to the runner (exit 130), and SIGKILL to the runner itself, after which
 * the kernel stops the programs (PR_SET_PDEATHSIG). Nothing may be left. */
static const struct outside_row {
    const char *label;
    bool kills_responder; /* else the signal goes to the runner */
    int sig;
    int exit_code;
    const char *says; /* on the runner's stderr, or NULL */
} outside_rows[] = {
    {"the responder killed", true, SIGKILL, 1, "killed by signal 9"},
    {"Ctrl-C", false, SIGINT, 130, "interrupted"},
    {"SIGTERM", false, SIGTERM, 130, "interrupted"},
    {"the runner killed", false, SIGKILL, 128 + SIGKILL, NULL},
};

START_TEST(test_stopped_from_outside)
{
    const struct outside_row *row = &outside_rows[_i];
    char *dir = test_tmpdir();
    char lab[LAB_PATH_MAX];
    struct proc runner = PROC_INIT;
    start_long(dir, lab, sizeof lab, &runner);
    int responder = wait_for_pid(lab, "responder.start", &runner);
    wait_for_pid(lab, "webserver.start", &runner);
    if (row->kills_responder)
        ck_assert_int_eq(kill(responder, row->sig), 0);
    else /* like Ctrl-C: to the runner's group; its programs have groups of their own */
        ck_assert_int_eq(proc_signal(&runner, row->sig), 0);
    ck_assert_msg(proc_wait(&runner, 60000) == 0, "%s: the runner did not end", row->label);
    char *err = proc_stderr(&runner);
    ck_assert_msg(runner.exit_code == row->exit_code, "%s: exit %d\n%s", row->label,
                  runner.exit_code, test_tail_of(err));
    if (row->says != NULL)
        ck_assert_msg(strstr(err, row->says) != NULL, "%s: %s", row->label, test_tail_of(err));
    if (row->kills_responder)
        ck_assert_msg(strstr(err, "long.lab:6:") != NULL, "%s", test_tail_of(err));
    free(err);
    assert_nothing_left(lab);
    proc_free(&runner);
    test_rmtree(dir);
    free(dir);
}
END_TEST

Suite *scenarios_suite(void)
{
    Suite *s = suite_create("scenarios");
    find_lessons();
    TCase *lessons = tcase_create("lessons");
    tcase_set_timeout(lessons, 180);
    tcase_add_loop_test(lessons, test_lesson, 0, (int)(lesson_count > 0 ? lesson_count : 1));
    tcase_add_test(lessons, test_demo);
    tcase_add_test(lessons, test_lesson_nine_table);
    tcase_add_test(lessons, test_demo_output);
    tcase_add_test(lessons, test_list);
    suite_add_tcase(s, lessons);
    TCase *failures = tcase_create("failures");
    tcase_set_timeout(failures, 120);
    tcase_add_test(failures, test_failed_expectation);
    tcase_add_test(failures, test_temporary_labs_removed);
    tcase_add_test(failures, test_syntax_error);
    tcase_add_loop_test(failures, test_stopped_from_outside, 0,
                        sizeof outside_rows / sizeof outside_rows[0]);
    suite_add_tcase(s, failures);
    return s;
}
