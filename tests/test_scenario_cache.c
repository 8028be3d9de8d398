/* test_scenario_cache.c — the HTTP cache of lesson 10 (scenarios/cache.h):
 * its access log counted (hits, misses, per method, lines that are not
 * its format), the clock file libfaketime reads, and a lesson that needs a
 * missing nginx skipped with the words that install it, not failed. The
 * cache itself (nginx under libfaketime, proxy_cache, max-age on the lab's
 * clock) is proved by lesson 10, which `make check` plays. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../scenarios/cache.h"
#include "fileio.h"
#include "testutil.h"

static void scratch_setup(void)
{
    test_scratch_enter("scenario_cache");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_path_join(path, sizeof path, dir, name), 0);
    ck_assert_msg(file_write_atomic(path, text, strlen(text), 0644, &err) == 0, "%s", err.msg);
}

START_TEST(test_counts)
{
    char line[700];
    memset(line, 'x', sizeof line - 2);
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = 0;
    char text[4096];
    snprintf(text, sizeof text,
             "GET MISS 200 127.0.1.1\n"
             "GET HIT 200 127.0.1.2\n"
             "GET HIT 200 127.0.1.3\n"
             "GET EXPIRED 200 127.0.1.4\n"
             "GET STALE 200 127.0.1.5\n"
             "POST - 200 127.0.1.6\n"
             "POST - 200 127.0.1.7\n"
             "HEAD HIT 200 127.0.1.8\n"
             "not a line of the lab's format\n"
             "%s"
             "GET REVALIDATED 200 127.0.1.9\n",
             line);
    write_file(test_scratch_dir(), "access.log", text);
    struct scn_cache_counts counts;
    struct errbuf err = {{0}};
    ck_assert_msg(scn_cache_count(test_scratch_dir(), &counts, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(counts.all.requests, 9);
    ck_assert_int_eq(counts.all.hits, 5); /* HIT ×3 (one a HEAD), STALE, REVALIDATED */
    ck_assert_int_eq(counts.all.misses, 4);
    ck_assert_int_eq(counts.get.requests, 6);
    ck_assert_int_eq(counts.get.hits, 4);
    ck_assert_int_eq(counts.get.misses, 2);
    ck_assert_int_eq(counts.post.requests, 2);
    ck_assert_int_eq(counts.post.hits, 0);
    ck_assert_int_eq(counts.bad_lines, 2); /* the words, and the overlong line */

    json_t *json = scn_cache_counts_json(&counts);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "hits")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json, "GET"), "misses")),
                     2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json, "POST"), "requests")),
                     2);
    json_decref(json);

    /* No log yet: nothing was asked. */
    char empty[LAB_PATH_MAX];
    ck_assert_int_eq(file_path_join(empty, sizeof empty, test_scratch_dir(), "none"), 0);
    ck_assert_int_eq(mkdir(empty, 0755), 0);
    ck_assert_int_eq(scn_cache_count(empty, &counts, &err), 0);
    ck_assert_int_eq(counts.all.requests, 0);
}
END_TEST

/* libfaketime's relative form, in the cache's folder. */
START_TEST(test_clock_file)
{
    struct scn_cache cache = {0};
    struct errbuf err = {{0}};
    snprintf(cache.dir, sizeof cache.dir, "%s", test_scratch_dir());
    ck_assert_int_eq(scn_cache_set_clock(&cache, 86400, &err), 0);
    char path[LAB_PATH_MAX];
    uint8_t *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(file_path_join(path, sizeof path, cache.dir, "faketime"), 0);
    ck_assert_int_eq(file_read_all(path, 64, &text, &len, &err), 0);
    ck_assert_int_eq(len, 7);
    ck_assert(memcmp(text, "+86400\n", 7) == 0);
    free(text);
    ck_assert_int_eq(scn_cache_set_clock(&cache, -60, &err), 0);
    ck_assert_int_eq(file_read_all(path, 64, &text, &len, &err), 0);
    ck_assert(len == 4 && memcmp(text, "-60\n", 4) == 0);
    free(text);
}
END_TEST

/* Without nginx the lesson says how to install it and is skipped: exit 0,
 * the reason on the screen and in the trace, nothing left running. */
START_TEST(test_missing_nginx_skips)
{
    struct test_run run;
    char lab[LAB_PATH_MAX], trace[LAB_PATH_MAX];
    ck_assert_int_eq(file_path_join(lab, sizeof lab, test_scratch_dir(), "run"), 0);
    setenv("OCSPLAB_NGINX", "/nonexistent/nginx", 1);
    const char *argv[] = {test_bin("scenario"),
                          "run",
                          "--no-pause",
                          "--lab",
                          lab,
                          LAB_SOURCE_DIR "/scenarios/lessons/10-behind-a-cache.lab",
                          NULL};
    ck_assert_int_eq(test_run(&run, 60000, NULL, argv), 0);
    unsetenv("OCSPLAB_NGINX");
    ck_assert_msg(run.exit_code == 0, "exit %d\n%s%s", run.exit_code, test_tail_of(run.out),
                  test_tail_of(run.err));
    ck_assert_msg(test_contains(run.out, "SKIP line") &&
                      test_contains(run.out, "nginx is not installed: sudo apt-get install "
                                             "nginx faketime") &&
                      test_contains(run.out, "10-behind-a-cache: skipped"),
                  "%s", test_tail_of(run.out));
    test_run_free(&run);
    ck_assert_int_eq(file_path_join(trace, sizeof trace, lab, "10-behind-a-cache/trace.jsonl"), 0);
    char *text = test_read_text(trace);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(test_count_of(text, "\"event\":\"scenario.skipped\""), 1);
    free(text);
    char first[1024];
    ck_assert_int_eq(test_processes_mentioning(lab, NULL, 0, first, sizeof first), 0);
}
END_TEST

Suite *scenario_cache_suite(void)
{
    Suite *s = suite_create("scenario_cache");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_test(tc, test_counts);
    tcase_add_test(tc, test_clock_file);
    tcase_add_test(tc, test_missing_nginx_skips);
    suite_add_tcase(s, tc);
    return s;
}
