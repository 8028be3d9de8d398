/* test_scenario_trace_cli.c — `bin/scenario trace` on the traces of a real
 * run (lessons 1 and 2 with the real programs), as a student types it: the
 * ladder tells the story within 100 columns and without colour in a pipe,
 * the filters pass exactly the events they name (--json is checked against
 * the trace files themselves), and bad input (a lab that is not there, a bad
 * flag, a damaged trace line) gets a clear message, never a crash. */
#include <check.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fileio.h"
#include "lab.h"
#include "proc.h"
#include "testutil.h"

#define LESSONS_DIR LAB_SOURCE_DIR "/scenarios/lessons"
#define RUN_TIMEOUT_MS 150000
#define TRACE_TIMEOUT_MS 30000
/* `scenario trace ARGS..., NULL`, bounded in time. */
#define RUN_TRACE(...) test_run_bin(TRACE_TIMEOUT_MS, "scenario", "trace", __VA_ARGS__)

/* One run of lessons 1 and 2 for the whole suite (a few seconds). */
static char *run_dir;

static void run_lessons(void)
{
    struct test_run run;
    run_dir = test_tmpdir();
    const char *argv[] = {test_bin("scenario"),
                          "run",
                          "--quiet",
                          "--lab",
                          run_dir,
                          LESSONS_DIR "/01-without-stapling.lab",
                          LESSONS_DIR "/02-with-stapling.lab",
                          NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "the lessons failed (%d):\n%s", run.exit_code, run.err);
    test_run_free(&run);
}

static void remove_run(void)
{
    if (run_dir != NULL)
        test_rmtree(run_dir);
    free(run_dir);
    run_dir = NULL;
}

static void lab_of(const char *stem, char *out, size_t cap)
{
    ck_assert_int_eq(file_path_join(out, cap, run_dir, stem), 0);
}

/* Display columns of one UTF-8 line: continuation bytes take none. */
static int columns(const char *line, size_t len)
{
    int cols = 0;
    for (size_t i = 0; i < len; i++)
        cols += ((unsigned char)line[i] & 0xc0) != 0x80;
    return cols;
}

/* How many lines of the lab's trace.jsonl have an event starting with prefix
 * (and, when user > 0, that user). */
static int count_in_trace(const char *lab, const char *prefix, long user)
{
    char path[LAB_PATH_MAX];
    uint8_t *text = NULL;
    size_t len = 0;
    int count = 0;
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, LAB_TRACE_FILE), 0);
    ck_assert_int_eq(file_read_all(path, 64 * 1024 * 1024, &text, &len, NULL), 0);
    for (char *line = (char *)text; line != NULL && *line != 0;) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = 0;
        json_t *ev = json_loads(line, 0, NULL);
        const char *name = json_string_value(json_object_get(ev, "event"));
        json_t *u = json_object_get(ev, "user");
        if (name != NULL && strncmp(name, prefix, strlen(prefix)) == 0 &&
            (user == 0 || (json_is_integer(u) && json_integer_value(u) == user)))
            count++;
        json_decref(ev);
        line = next;
    }
    free(text);
    return count;
}

/* Every line of --json output is a trace event passing `check`; returns how many. */
static int json_lines(const char *out, const char *prefix, long user)
{
    int count = 0;
    for (const char *line = out; *line != 0;) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        json_error_t jerr;
        json_t *ev = json_loadb(line, len, 0, &jerr);
        ck_assert_msg(json_is_object(ev), "--json printed a line that is not an event: %.*s",
                      (int)len, line);
        const char *name = json_string_value(json_object_get(ev, "event"));
        ck_assert_msg(name != NULL && strncmp(name, prefix, strlen(prefix)) == 0,
                      "--json passed an event it should have filtered: %.*s", (int)len, line);
        if (user > 0)
            ck_assert_int_eq(json_integer_value(json_object_get(ev, "user")), user);
        json_decref(ev);
        count++;
        line = end != NULL ? end + 1 : line + len;
    }
    return count;
}

START_TEST(test_ladder_tells_both_lessons)
{
    struct test_run run = RUN_TRACE("--lab", run_dir, NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    /* both labs, in name order, each under its own heading */
    const char *first = strstr(run.out, "01-without-stapling ==");
    const char *second = strstr(run.out, "02-with-stapling ==");
    ck_assert_msg(first != NULL && second != NULL && first < second, "%s", run.out);
    /* lesson 1: browsers without staples ask the CA themselves, 20 of them in one row */
    ck_assert_msg(strstr(first, "ClientHello (no status_request)") < second, "%s", run.out);
    const char *ask = strstr(first, "OCSP request");
    ck_assert_msg(ask != NULL && ask < second, "no OCSP request arrow in lesson 1");
    ck_assert_msg(strstr(first, "×") != NULL && strstr(first, "×") < second,
                  "lesson 1's twenty identical visits did not collapse");
    /* lesson 2: the staple travels with the certificate */
    ck_assert_msg(test_contains(second, "ClientHello (status_request)"), "%s", second);
    ck_assert_msg(test_contains(second, "Certificate + staple"), "%s", second);
    ck_assert_msg(test_contains(second, "staple.fetch.ok"), "%s", second);
    /* lanes, arrows, no colour in a pipe, 100 columns at most */
    ck_assert_msg(test_contains(run.out, "users") && test_contains(run.out, "webserver") &&
                      test_contains(run.out, "responder"),
                  "no lane header");
    ck_assert_msg(test_contains(run.out, "->") || test_contains(run.out, "-->"), "no arrow");
    ck_assert_msg(strchr(run.out, '\033') == NULL, "colour codes in a pipe");
    int lines = 0;
    for (const char *line = run.out; *line != 0; lines++) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        ck_assert_msg(columns(line, len) <= 100, "line over 100 columns: %.*s", (int)len, line);
        line = end != NULL ? end + 1 : line + len;
    }
    ck_assert_int_gt(lines, 20);
    test_run_free(&run);
}
END_TEST

/* On a terminal (script(1) gives it one) the ladder has colour; NO_COLOR
 * turns it off there too. */
START_TEST(test_colour_only_on_a_terminal)
{
    char command[2 * LAB_PATH_MAX + 64], lab[LAB_PATH_MAX];
    lab_of("02-with-stapling", lab, sizeof lab);
    for (int no_color = 0; no_color <= 1; no_color++) {
        snprintf(command, sizeof command, "%s%s trace --lab %s",
                 no_color ? "NO_COLOR=1 " : "env -u NO_COLOR ", test_bin("scenario"), lab);
        const char *argv[] = {"script", "-q", "-e", "-c", command, "/dev/null", NULL};
        struct test_run run;
        ck_assert_int_eq(test_run(&run, TRACE_TIMEOUT_MS, NULL, argv), 0);
        ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
        ck_assert_msg(test_contains(run.out, "Certificate + staple"), "%s", run.out);
        if (no_color)
            ck_assert_msg(strchr(run.out, '\033') == NULL, "colour despite NO_COLOR");
        else
            ck_assert_msg(test_contains(run.out, "\033[32m"), "no colour on a terminal");
        test_run_free(&run);
    }
}
END_TEST

START_TEST(test_json_event_filter_matches_trace)
{
    char lab[LAB_PATH_MAX];
    lab_of("01-without-stapling", lab, sizeof lab);
    struct test_run run = RUN_TRACE("--lab", lab, "--json", "--event", "ocsp.*", NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    int expected = count_in_trace(lab, "ocsp.", 0);
    ck_assert_int_gt(expected, 20); /* twenty browsers asked, the responder answered */
    ck_assert_int_eq(json_lines(run.out, "ocsp.", 0), expected);
    test_run_free(&run);
}
END_TEST

START_TEST(test_json_user_filter_matches_trace)
{
    char lab[LAB_PATH_MAX];
    lab_of("02-with-stapling", lab, sizeof lab);
    struct test_run run = RUN_TRACE("--lab", lab, "--json", "--user", "3", NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    int expected = count_in_trace(lab, "", 3);
    ck_assert_int_gt(expected, 2); /* hello, handshake, staple check, verdict… */
    ck_assert_int_eq(json_lines(run.out, "", 3), expected);
    test_run_free(&run);
}
END_TEST

START_TEST(test_actor_filter_draws_one_party)
{
    char lab[LAB_PATH_MAX];
    lab_of("02-with-stapling", lab, sizeof lab);
    struct test_run run = RUN_TRACE("--lab", lab, "--actor", "responder", NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_msg(test_contains(run.out, "OCSP good"), "%s", run.out);
    ck_assert_msg(!test_contains(run.out, "ClientHello"), "a browser row passed --actor responder");
    test_run_free(&run);
}
END_TEST

START_TEST(test_since_after_the_end_draws_nothing)
{
    char lab[LAB_PATH_MAX];
    lab_of("02-with-stapling", lab, sizeof lab);
    struct test_run run = RUN_TRACE("--lab", lab, "--json", "--since", "2999", NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_str_eq(run.out, "");
    test_run_free(&run);
}
END_TEST

START_TEST(test_bad_input_is_explained)
{
    char missing[LAB_PATH_MAX];
    ck_assert_int_eq(file_path_join(missing, sizeof missing, run_dir, "no-such-lab"), 0);
    struct test_run run = RUN_TRACE("--lab", missing, NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "no-such-lab"), "%s", run.err);
    test_run_free(&run);

    run = RUN_TRACE("--lab", run_dir, "--user", "three", NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "--user"), "%s", run.err);
    test_run_free(&run);

    run = RUN_TRACE("--lab", run_dir, "--colour", NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(test_contains(run.err, "--colour"), "%s", run.err);
    test_run_free(&run);
}
END_TEST

/* A trace damaged mid-run (a garbage line, a line cut short by a crash) is
 * still drawn; the bad lines are named by number. */
START_TEST(test_damaged_trace_is_drawn_and_reported)
{
    char lab[LAB_PATH_MAX], copy[LAB_PATH_MAX], path[LAB_PATH_MAX];
    uint8_t *text = NULL;
    size_t len = 0;
    struct errbuf err = {{0}};
    lab_of("02-with-stapling", lab, sizeof lab);
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, LAB_TRACE_FILE), 0);
    ck_assert_int_eq(file_read_all(path, 64 * 1024 * 1024, &text, &len, NULL), 0);
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    const char garbage[] = "this is not json\n{\"ts\":\"2026-11-25T10:00:00Z\",\"actor\":\"brow";
    char *damaged = malloc(len + sizeof garbage);
    ck_assert_ptr_nonnull(damaged);
    memcpy(damaged, text, len);
    memcpy(damaged + len, garbage, sizeof garbage);
    ck_assert_int_eq(file_path_join(copy, sizeof copy, run_dir, "damaged"), 0);
    ck_assert_int_eq(file_ensure_dir(copy, 0755, &err), 0);
    ck_assert_int_eq(file_path_join(path, sizeof path, copy, LAB_TRACE_FILE), 0);
    ck_assert_int_eq(file_write_atomic(path, damaged, len + sizeof garbage - 1, 0644, &err), 0);
    free(damaged);
    free(text);

    struct test_run run = RUN_TRACE("--lab", copy, NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    char where[64];
    snprintf(where, sizeof where, "trace.jsonl:%d:", lines + 1);
    ck_assert_msg(test_contains(run.err, where), "garbage line not reported as %s: %s", where,
                  run.err);
    snprintf(where, sizeof where, "trace.jsonl:%d:", lines + 2);
    ck_assert_msg(test_contains(run.err, where), "cut line not reported as %s: %s", where, run.err);
    ck_assert_msg(test_contains(run.out, "Certificate + staple"), "the good lines were lost");
    test_run_free(&run);
}
END_TEST

static int occurrences(const char *text, const char *needle)
{
    int n = 0;
    for (const char *at = text; (at = strstr(at, needle)) != NULL; at += strlen(needle))
        n++;
    return n;
}

/* Waits at most timeout_ms until the follower's stdout (or stderr) holds
 * `needle` `count` times; returns what it holds then (caller frees). */
static char *await_output(struct proc *follower, bool is_stderr, const char *needle, int count,
                          int timeout_ms)
{
    char *text = NULL;
    for (int waited = 0;; waited += 50) {
        free(text);
        text = is_stderr ? proc_stderr(follower) : proc_stdout(follower);
        if (occurrences(text, needle) >= count || waited >= timeout_ms)
            return text;
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

static void run_lesson_2(const char *dir)
{
    struct test_run run;
    const char *argv[] = {test_bin("scenario"),
                          "run",
                          "--quiet",
                          "--lab",
                          dir,
                          LESSONS_DIR "/02-with-stapling.lab",
                          NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "lesson 2 failed (%d):\n%s", run.exit_code, run.err);
    test_run_free(&run);
}

/* The teacher's second screen: `--follow` started before the lab exists waits
 * for it, draws the run as it happens, and when the next run replaces the lab
 * draws that one from its start; Ctrl-C ends it with status 0. */
START_TEST(test_follow_waits_and_survives_a_new_run)
{
    char dir[LAB_PATH_MAX], lab[LAB_PATH_MAX];
    ck_assert_int_eq(file_path_join(dir, sizeof dir, run_dir, "follow"), 0);
    ck_assert_int_eq(file_path_join(lab, sizeof lab, dir, "02-with-stapling"), 0);
    struct proc follower = PROC_INIT;
    const char *argv[] = {test_bin("scenario"), "trace", "--follow", "--lab", lab, NULL};
    ck_assert_int_eq(proc_start(&follower, argv), 0);
    char *text = await_output(&follower, true, "waiting for", 1, 10000);
    ck_assert_msg(test_contains(text, "waiting for"), "no 'waiting for' on stderr: %s", text);
    free(text);

    run_lesson_2(dir);
    text = await_output(&follower, false, "ended: 21 expectations held", 1, 20000);
    ck_assert_msg(test_contains(text, "Certificate + staple") &&
                      test_contains(text, "ended: 21 expectations held"),
                  "the first run was not drawn:\n%s", text);
    free(text);

    run_lesson_2(dir); /* removes the lab and makes it again */
    text = await_output(&follower, false, "ended: 21 expectations held", 2, 20000);
    ck_assert_msg(test_contains(text, "was replaced (a new run)"), "%s", text);
    ck_assert_int_eq(occurrences(text, "ended: 21 expectations held"), 2);
    free(text);

    ck_assert_int_eq(proc_signal(&follower, SIGINT), 0);
    ck_assert_int_eq(proc_wait(&follower, 5000), 0);
    ck_assert_int_eq(follower.exit_code, 0);
    proc_free(&follower);
}
END_TEST

Suite *scenario_trace_cli_suite(void)
{
    Suite *s = suite_create("scenario_trace_cli");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, run_lessons, remove_run);
    tcase_add_test(tc, test_ladder_tells_both_lessons);
    tcase_add_test(tc, test_colour_only_on_a_terminal);
    tcase_add_test(tc, test_json_event_filter_matches_trace);
    tcase_add_test(tc, test_json_user_filter_matches_trace);
    tcase_add_test(tc, test_actor_filter_draws_one_party);
    tcase_add_test(tc, test_since_after_the_end_draws_nothing);
    tcase_add_test(tc, test_bad_input_is_explained);
    tcase_add_test(tc, test_damaged_trace_is_drawn_and_reported);
    tcase_add_test(tc, test_follow_waits_and_survives_a_new_run);
    suite_add_tcase(s, tc);
    return s;
}
