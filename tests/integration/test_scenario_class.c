/* test_scenario_class.c — `scenario run --class` on a real terminal (a
 * pseudo-terminal from forkpty): before each step the lesson's words, the
 * step, and a wait that lasts until Enter is pressed; through a pipe it never
 * waits. Lesson 1 is played step by step, like a teacher at the keyboard. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "testutil.h"

#define PROMPT "[press Enter to run it]"
#define PAUSE_PROMPT "[press Enter to go on]" /* a lesson's own `pause` */
#define CLASS_TIMEOUT_MS 60000

/* Everything the program wrote so far. */
struct screen {
    char text[256 * 1024];
    size_t len;
};

/* Reads what is there within `wait_ms`; false once the program has closed
 * the terminal (it ended). */
static bool read_screen(int fd, struct screen *s, int wait_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, wait_ms) <= 0)
        return true;
    ssize_t n = read(fd, s->text + s->len, sizeof s->text - 1 - s->len);
    if (n <= 0)
        return false; /* EIO: the other side of the terminal is gone */
    s->len += (size_t)n;
    s->text[s->len] = 0;
    return true;
}

/* Plays `lesson` (a number or a file) with --class on a pseudo-terminal,
 * pressing Enter at each prompt, checking that no step runs before it; the
 * screen into *s. Fails unless the run ends with status 0. */
static void play_class(const char *lesson, const char *lab, struct screen *s)
{
    int fd = -1;
    pid_t pid = forkpty(&fd, NULL, NULL, NULL);
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("NO_COLOR", "1", 1);
        execl(test_bin("scenario"), "scenario", "run", "--class", "--lab", lab, lesson,
              (char *)NULL);
        _exit(127);
    }
    s->len = 0;
    s->text[0] = 0;
    size_t presented = 0;
    int64_t deadline = clock_monotonic_ms() + CLASS_TIMEOUT_MS;
    bool is_running = true;
    while (is_running && clock_monotonic_ms() < deadline) {
        is_running = read_screen(fd, s, 100);
        size_t prompts = test_count_of(s->text, PROMPT) + test_count_of(s->text, PAUSE_PROMPT);
        if (prompts == presented)
            continue;
        presented = prompts;
        /* It waits: the step shown is not run while nobody presses Enter. */
        size_t steps_before = test_count_of(s->text, "\n  $ ");
        for (int i = 0; i < 5 && is_running; i++)
            is_running = read_screen(fd, s, 60);
        ck_assert_msg(test_count_of(s->text, "\n  $ ") == steps_before,
                      "a step ran before Enter was pressed:\n%s", test_tail_of(s->text));
        ck_assert_int_eq(write(fd, "\r", 1), 1);
    }
    int status = 0;
    /* The terminal closes as the runner ends; give it a moment to exit. */
    pid_t ended = 0;
    while ((ended = waitpid(pid, &status, WNOHANG)) == 0 && clock_monotonic_ms() < deadline)
        test_sleep_ms(20);
    if (ended == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ck_abort_msg("scenario run --class did not finish:\n%s", test_tail_of(s->text));
    }
    close(fd);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d:\n%s", status,
                  test_tail_of(s->text));
}

START_TEST(test_class_waits_on_a_terminal)
{
    char *lab = test_tmpdir();
    static struct screen s;
    play_class("1", lab, &s);
    /* Lesson 1 has these steps; each was presented, in order, before it ran. */
    static const char *const steps[] = {"ca init", "start responder", "ca issue shop.test",
                                        "start webserver shop.test --stapling off",
                                        "visit shop.test --users 20 --staple off"};
    const char *at = s.text;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char shown[160], ran[160];
        snprintf(shown, sizeof shown, "next: %s   " PROMPT, steps[i]);
        snprintf(ran, sizeof ran, "  $ %s", steps[i]);
        const char *shown_at = strstr(at, shown);
        ck_assert_msg(shown_at != NULL, "'%s' was not presented:\n%s", shown, test_tail_of(s.text));
        ck_assert_msg(strstr(shown_at, ran) != NULL, "'%s' did not run after it:\n%s", ran,
                      test_tail_of(s.text));
        at = strstr(shown_at, ran);
    }
    /* The lesson's own words introduce its first step, set apart. */
    ck_assert_msg(strstr(s.text, "    A Certificate Authority vouches for shop.test.") != NULL,
                  "%s", test_tail_of(s.text));
    ck_assert_uint_eq(test_count_of(s.text, PROMPT), test_count_of(s.text, "\n  $ "));
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* Through a pipe (a test, CI, `| tee`) --class never waits and never shows
 * the prompt, and the lesson's words are printed as usual. */
START_TEST(test_class_never_waits_on_a_pipe)
{
    char *lab = test_tmpdir();
    struct test_run run;
    const char *argv[] = {test_bin("scenario"), "run", "--class", "--lab", lab, "1", NULL};
    ck_assert_int_eq(test_run(&run, CLASS_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out && run.exit_code == 0, "exit %d\n%s", run.exit_code,
                  test_tail_of(run.err));
    ck_assert_msg(strstr(run.out, PROMPT) == NULL, "%s", test_tail_of(run.out));
    ck_assert_msg(strstr(run.out, "  A Certificate Authority vouches for shop.test.") != NULL, "%s",
                  test_tail_of(run.out));
    test_run_free(&run);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* A step with no words of its own before it is introduced by a sentence
 * for its kind: a cache's names the responder it stands in front of. */
START_TEST(test_class_introduces_a_cache)
{
    char *lab = test_tmpdir(), file[4096];
    static struct screen s;
    struct errbuf err = {{0}};
    snprintf(file, sizeof file, "%s/cache.lab", lab);
    static const char text[] = "ca init\nstart responder\nstart cache for responder\n";
    ck_assert_msg(file_write_atomic(file, text, strlen(text), 0644, &err) == 0, "%s", err.msg);
    play_class(file, lab, &s);
    ck_assert_msg(strstr(s.text, "An HTTP cache starts in front of the responder 'responder'.") !=
                          NULL ||
                      strstr(s.text, "SKIP") != NULL, /* no nginx here: skipped, said so */
                  "%s", test_tail_of(s.text));
    test_rmtree(lab);
    free(lab);
}
END_TEST

Suite *scenario_class_suite(void);
Suite *scenario_class_suite(void)
{
    Suite *s = suite_create("scenario_class");
    TCase *tc = tcase_create("class");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_class_waits_on_a_terminal);
    tcase_add_test(tc, test_class_never_waits_on_a_pipe);
    tcase_add_test(tc, test_class_introduces_a_cache);
    suite_add_tcase(s, tc);
    return s;
}
