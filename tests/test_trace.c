/* test_trace.c — the protocol trace (DESIGN section 5): every line is one
 * valid JSON object with ts/actor/pid/event/msg first, fields cannot forge
 * them, long events are cut to one line, and lines from several processes and
 * threads never interleave. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "testutil.h"
#include "trace.h"

struct trace_lines {
    char *text;   /* the whole file, lines split in place */
    char **lines; /* without their newlines */
    size_t count;
};

/* Reads LAB/trace.jsonl; every line must end with '\n'. */
static void read_lines(const char *lab, struct trace_lines *out)
{
    char path[4096];
    uint8_t *text = NULL;
    size_t len = 0;
    struct errbuf err = {{0}};

    memset(out, 0, sizeof *out);
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, "trace.jsonl"), 0);
    ck_assert_msg(file_read_all(path, 256u << 20, &text, &len, &err) == 0, "%s", err.msg);
    ck_assert_msg(len == 0 || text[len - 1] == '\n', "the trace does not end with a newline");
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += text[i] == '\n';
    out->text = (char *)text;
    out->lines = calloc(count + 1, sizeof *out->lines);
    ck_assert_ptr_nonnull(out->lines);
    char *line = out->text;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            text[i] = 0;
            out->lines[out->count++] = line;
            line = (char *)text + i + 1;
        }
    }
}

static void free_lines(struct trace_lines *lines)
{
    free(lines->text);
    free(lines->lines);
}

/* Parses one line strictly (one object, nothing after it). */
static json_t *parse_line(const char *line)
{
    json_error_t error;
    json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, &error);
    ck_assert_msg(obj != NULL, "not JSON (%s): %.200s", error.text, line);
    ck_assert_msg(json_is_object(obj), "not an object: %.200s", line);
    return obj;
}

/* "2026-11-25T12:00:00.000Z" back to Unix milliseconds. */
static int64_t parse_ts(const char *ts)
{
    struct tm tm;
    int ms = -1, used = 0;
    memset(&tm, 0, sizeof tm);
    ck_assert_msg(strlen(ts) == 24, "ts \"%s\" is not YYYY-MM-DDTHH:MM:SS.mmmZ", ts);
    ck_assert_msg(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                         &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) == 7 &&
                      used == 24,
                  "ts \"%s\" is not RFC 3339 with milliseconds", ts);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void check_required(json_t *obj, const char *actor, long pid, const char *event)
{
    static const char *const order[] = {"ts", "actor", "pid", "event", "msg"};
    void *iter = json_object_iter(obj);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_msg(iter != NULL, "line has fewer than 5 fields");
        ck_assert_str_eq(json_object_iter_key(iter), order[i]);
        iter = json_object_iter_next(obj, iter);
    }
    ck_assert(json_is_string(json_object_get(obj, "ts")));
    ck_assert(json_is_string(json_object_get(obj, "msg")));
    ck_assert(json_is_integer(json_object_get(obj, "pid")));
    ck_assert_str_eq(json_string_value(json_object_get(obj, "actor")), actor);
    ck_assert_int_eq(json_integer_value(json_object_get(obj, "pid")), pid);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "event")), event);
}

START_TEST(test_line_shape_and_simulated_ts)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    const int64_t offset = 3 * 86400 + 7;

    ck_assert_int_eq(clock_offset_write(lab, offset, &err), 0);
    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    umask(022);
    ck_assert_msg(trace_open(lab, "browser", &err) == 0, "%s", err.msg);

    int64_t before = real_ms();
    ck_assert_int_eq(trace_event("staple.verify",
                                 json_pack("{s:s, s:i, s:b, s:n}", "status", "good", "user", 3,
                                           "is_stapled", 1, "reason"),
                                 "User %d accepted the stapled response (%s)", 3, "good"),
                     0);
    ck_assert_int_eq(trace_event("tls.handshake.done", NULL, "Handshake done"), 0);
    int64_t after = real_ms();
    trace_close();

    struct trace_lines lines;
    read_lines(lab, &lines);
    ck_assert_int_eq(lines.count, 2);
    json_t *first = parse_line(lines.lines[0]);
    check_required(first, "browser", (long)getpid(), "staple.verify");
    ck_assert_str_eq(json_string_value(json_object_get(first, "msg")),
                     "User 3 accepted the stapled response (good)");
    ck_assert_str_eq(json_string_value(json_object_get(first, "status")), "good");
    ck_assert_int_eq(json_integer_value(json_object_get(first, "user")), 3);
    ck_assert(json_is_true(json_object_get(first, "is_stapled")));
    ck_assert(json_is_null(json_object_get(first, "reason")));
    ck_assert_int_eq(json_object_size(first), 9);

    /* ts is the simulated time, to the millisecond. */
    int64_t ts = parse_ts(json_string_value(json_object_get(first, "ts")));
    ck_assert_msg(ts >= before + offset * 1000 && ts <= after + offset * 1000,
                  "ts %lld not within [%lld, %lld] + offset", (long long)ts, (long long)before,
                  (long long)after);

    json_t *second = parse_line(lines.lines[1]);
    check_required(second, "browser", (long)getpid(), "tls.handshake.done");
    ck_assert_int_eq(json_object_size(second), 5);
    json_decref(first);
    json_decref(second);
    free_lines(&lines);

    char path[4096];
    struct stat st;
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, "trace.jsonl"), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0644);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_required_keys_cannot_be_overridden)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    ck_assert_msg(trace_open(lab, "responder", &err) == 0, "%s", err.msg);
    json_t *forged =
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "ts", "1999-01-01T00:00:00.000Z", "actor", "ca",
                  "pid", 1, "event", "forged", "msg", "forged", "serial", "01ab");
    ck_assert_int_eq(trace_event("ocsp.response.sent", forged, "Sent %s", "good"), 0);
    trace_close();

    struct trace_lines lines;
    read_lines(lab, &lines);
    ck_assert_int_eq(lines.count, 1);
    json_t *obj = parse_line(lines.lines[0]);
    check_required(obj, "responder", (long)getpid(), "ocsp.response.sent");
    ck_assert_str_eq(json_string_value(json_object_get(obj, "msg")), "Sent good");
    ck_assert_str_ne(json_string_value(json_object_get(obj, "ts")), "1999-01-01T00:00:00.000Z");
    ck_assert_str_eq(json_string_value(json_object_get(obj, "serial")), "01ab");
    ck_assert_int_eq(json_object_size(obj), 6);
    json_decref(obj);
    free_lines(&lines);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* An event of exactly TRACE_MAX_LINE bytes (newline included) is written
 * whole; one byte more and only the required fields remain. */
START_TEST(test_long_event_is_cut_to_one_line)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    ck_assert_msg(trace_open(lab, "webserver", &err) == 0, "%s", err.msg);

    /* Measure the line with an empty pad, then fill it to the limit. */
    ck_assert_int_eq(trace_event("staple.refresh.ok", json_pack("{s:s}", "pad", ""), "Big"), 0);
    struct trace_lines lines;
    read_lines(lab, &lines);
    ck_assert_int_eq(lines.count, 1);
    size_t base = strlen(lines.lines[0]) + 1;
    free_lines(&lines);
    size_t pad_len = TRACE_MAX_LINE - base;
    char *pad = malloc(pad_len + 2);
    ck_assert_ptr_nonnull(pad);
    memset(pad, 'p', pad_len + 1);
    pad[pad_len] = 0;
    ck_assert_int_eq(trace_event("staple.refresh.ok", json_pack("{s:s}", "pad", pad), "Big"), 0);
    pad[pad_len] = 'p';
    pad[pad_len + 1] = 0;
    ck_assert_int_eq(trace_event("staple.refresh.ok", json_pack("{s:s}", "pad", pad), "Big"), 0);
    free(pad);
    /* Far too long, in a message and an event name: cut, still one line. */
    char *huge = malloc(100000);
    ck_assert_ptr_nonnull(huge);
    memset(huge, '\x01', 99999); /* control characters: 6 bytes each in JSON */
    huge[99999] = 0;
    ck_assert_int_eq(trace_event(huge, json_pack("{s:s}", "again", huge), "%s", huge), 0);
    free(huge);
    trace_close();

    read_lines(lab, &lines);
    ck_assert_int_eq(lines.count, 4);
    ck_assert_int_eq(strlen(lines.lines[1]) + 1, TRACE_MAX_LINE);
    json_t *exact = parse_line(lines.lines[1]);
    ck_assert_int_eq(strlen(json_string_value(json_object_get(exact, "pad"))), pad_len);
    ck_assert_ptr_null(json_object_get(exact, "truncated"));
    json_decref(exact);

    json_t *cut = parse_line(lines.lines[2]);
    check_required(cut, "webserver", (long)getpid(), "staple.refresh.ok");
    ck_assert(json_is_true(json_object_get(cut, "truncated")));
    ck_assert_ptr_null(json_object_get(cut, "pad"));
    ck_assert_int_eq(json_object_size(cut), 6);
    json_decref(cut);

    ck_assert_uint_le(strlen(lines.lines[3]) + 1, TRACE_MAX_LINE);
    json_t *huge_line = parse_line(lines.lines[3]);
    ck_assert(json_is_true(json_object_get(huge_line, "truncated")));
    const char *msg = json_string_value(json_object_get(huge_line, "msg"));
    const char *event = json_string_value(json_object_get(huge_line, "event"));
    ck_assert_uint_le(strlen(msg), TRACE_MAX_MSG);
    ck_assert_uint_le(strlen(event), TRACE_MAX_EVENT);
    ck_assert_str_eq(msg + strlen(msg) - 3, "...");
    json_decref(huge_line);
    free_lines(&lines);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_text_is_made_valid_utf8)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    ck_assert_msg(trace_open(lab, "browser", &err) == 0, "%s", err.msg);
    /* A bad byte, a truncated sequence, an overlong '/', a surrogate. */
    ck_assert_int_eq(
        trace_event("peer.name", NULL, "caf\xc3\xa9 \xff x\xe2\x82 \xc0\xaf \xed\xa0\x80!"), 0);
    /* A long message cut in the middle of a 3-byte character. */
    char long_msg[TRACE_MAX_MSG + 100];
    size_t euros = (sizeof long_msg - 2) / 3;
    long_msg[0] = 'a';
    for (size_t i = 0; i < euros; i++)
        memcpy(long_msg + 1 + 3 * i, "\xe2\x82\xac", 3); /* the euro sign */
    long_msg[1 + 3 * euros] = 0;
    ck_assert_int_eq(trace_event("peer.name", NULL, "%s", long_msg), 0);
    trace_close();

    struct trace_lines lines;
    read_lines(lab, &lines);
    ck_assert_int_eq(lines.count, 2);
    json_t *obj = parse_line(lines.lines[0]);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "msg")),
                     "caf\xc3\xa9 ? x\?\? \?\? \?\?\?!");
    json_decref(obj);
    obj = parse_line(lines.lines[1]);
    const char *msg = json_string_value(json_object_get(obj, "msg"));
    size_t len = strlen(msg);
    ck_assert_uint_le(len, TRACE_MAX_MSG);
    ck_assert_uint_ge(len, TRACE_MAX_MSG - 6);
    ck_assert_str_eq(msg + len - 3, "...");
    ck_assert_ptr_null(strchr(msg, '?'));
    json_decref(obj);
    free_lines(&lines);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_without_open_nothing_happens)
{
    char *lab = test_tmpdir();
    char path[4096];
    struct errbuf err = {{0}};

    trace_close();
    json_t *fields = json_pack("{s:i}", "n", 1);
    json_incref(fields);
    ck_assert_int_eq(trace_event("x.y", fields, "nothing"), 0);
    ck_assert_int_eq(fields->refcount, 1); /* consumed all the same */
    json_decref(fields);
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, "trace.jsonl"), 0);
    ck_assert_int_ne(access(path, F_OK), 0);

    /* After open and close, the same. */
    ck_assert_msg(trace_open(lab, "ca", &err) == 0, "%s", err.msg);
    fields = json_pack("{s:i}", "n", 1);
    json_incref(fields);
    ck_assert_int_eq(trace_event("x.y", fields, "one"), 0);
    ck_assert_int_eq(fields->refcount, 1);
    json_decref(fields);
    trace_close();
    ck_assert_int_eq(trace_event("x.y", json_pack("{s:i}", "n", 2), "two"), 0);
    /* A field set that is not an object is dropped, not written. */
    ck_assert_msg(trace_open(lab, "ca", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(trace_event("x.y", json_pack("[i]", 3), "three"), 0);
    trace_close();

    struct trace_lines lines;
    read_lines(lab, &lines);
    ck_assert_int_eq(lines.count, 2);
    json_t *obj = parse_line(lines.lines[1]);
    ck_assert_int_eq(json_object_size(obj), 5);
    json_decref(obj);
    free_lines(&lines);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_open_errors)
{
    struct errbuf err = {{0}};
    ck_assert_int_ne(trace_open("/nonexistent/lab", "ca", &err), 0);
    ck_assert_msg(test_contains(err.msg, "/nonexistent/lab/trace.jsonl"), "%s", err.msg);
    ck_assert_msg(test_contains(err.msg, "does the lab directory exist"), "%s", err.msg);

    char *lab = test_tmpdir();
    ck_assert_int_ne(trace_open(lab, "", &err), 0);
    ck_assert_int_ne(trace_open(lab, "Browser", &err), 0);
    ck_assert_int_ne(trace_open(lab, "a\"b", &err), 0);
    ck_assert_int_ne(trace_open(lab, NULL, &err), 0);
    ck_assert_msg(test_contains(err.msg, "actor"), "%s", err.msg);
    ck_assert_int_ne(trace_open(NULL, "ca", &err), 0);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* The concurrency test: WRITER_PROCS processes, each with its own trace_open
 * (separate programs in the lab), and WRITER_THREADS threads sharing this
 * process's descriptor, all append at once. Every event carries 1-3 KB of
 * writer-specific filler, so a mixed line would break its JSON or its
 * filler. */
#define WRITER_PROCS 3
#define WRITER_THREADS 2
#define EVENTS_PER_WRITER 2000

static void fill_pad(char *pad, int writer, int seq)
{
    size_t len = 1000 + (size_t)((seq * 7919 + writer * 131) % 2048);
    memset(pad, 'a' + writer, len);
    pad[len] = 0;
}

static int write_events(int writer)
{
    char pad[4096];
    int failures = 0;
    for (int seq = 0; seq < EVENTS_PER_WRITER; seq++) {
        fill_pad(pad, writer, seq);
        if (trace_event("test.concurrent",
                        json_pack("{s:i, s:i, s:s}", "writer", writer, "seq", seq, "pad", pad),
                        "Writer %d event %d", writer, seq) != 0)
            failures++;
    }
    return failures;
}

struct writer_thread {
    int writer;
    int failures;
};

static void *writer_thread_main(void *arg)
{
    struct writer_thread *w = arg;
    w->failures = write_events(w->writer);
    return NULL;
}

START_TEST(test_concurrent_writers_never_interleave)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    pid_t children[WRITER_PROCS];
    const int writers = WRITER_PROCS + WRITER_THREADS;

    /* Fork before any thread exists, as the lab's programs do. */
    for (int p = 0; p < WRITER_PROCS; p++) {
        children[p] = fork();
        ck_assert_int_ge(children[p], 0);
        if (children[p] == 0) {
            if (trace_open(lab, "ca", NULL) != 0)
                _exit(2);
            int failures = write_events(p);
            trace_close();
            _exit(failures == 0 ? 0 : 1);
        }
    }
    ck_assert_msg(trace_open(lab, "scenario", &err) == 0, "%s", err.msg);
    pthread_t threads[WRITER_THREADS];
    struct writer_thread args[WRITER_THREADS];
    for (int t = 0; t < WRITER_THREADS; t++) {
        args[t].writer = WRITER_PROCS + t;
        args[t].failures = 0;
        ck_assert_int_eq(pthread_create(&threads[t], NULL, writer_thread_main, &args[t]), 0);
    }
    for (int t = 0; t < WRITER_THREADS; t++) {
        ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
        ck_assert_int_eq(args[t].failures, 0);
    }
    for (int p = 0; p < WRITER_PROCS; p++) {
        int status = 0;
        ck_assert_int_eq(waitpid(children[p], &status, 0), children[p]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", p);
    }
    trace_close();

    struct trace_lines lines;
    read_lines(lab, &lines);
    ck_assert_int_eq(lines.count, (size_t)(writers * EVENTS_PER_WRITER));
    /* Each (writer, seq) exactly once, with its own filler intact. */
    unsigned char *seen = calloc((size_t)(writers * EVENTS_PER_WRITER), 1);
    ck_assert_ptr_nonnull(seen);
    char want[4096];
    for (size_t i = 0; i < lines.count; i++) {
        json_t *obj = parse_line(lines.lines[i]);
        int writer = (int)json_integer_value(json_object_get(obj, "writer"));
        int seq = (int)json_integer_value(json_object_get(obj, "seq"));
        ck_assert_msg(writer >= 0 && writer < writers && seq >= 0 && seq < EVENTS_PER_WRITER,
                      "line %zu: writer %d seq %d", i, writer, seq);
        ck_assert_msg(!seen[writer * EVENTS_PER_WRITER + seq], "line %zu repeated", i);
        seen[writer * EVENTS_PER_WRITER + seq] = 1;
        fill_pad(want, writer, seq);
        ck_assert_str_eq(json_string_value(json_object_get(obj, "pad")), want);
        ck_assert_str_eq(json_string_value(json_object_get(obj, "actor")),
                         writer < WRITER_PROCS ? "ca" : "scenario");
        json_decref(obj);
    }
    free(seen);
    free_lines(&lines);
    test_rmtree(lab);
    free(lab);
}
END_TEST

Suite *trace_suite(void);
Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_line_shape_and_simulated_ts);
    tcase_add_test(tc, test_required_keys_cannot_be_overridden);
    tcase_add_test(tc, test_long_event_is_cut_to_one_line);
    tcase_add_test(tc, test_text_is_made_valid_utf8);
    tcase_add_test(tc, test_without_open_nothing_happens);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_concurrent_writers_never_interleave);
    suite_add_tcase(s, tc);
    return s;
}
