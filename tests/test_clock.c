/* test_clock.c — the simulated clock (DESIGN section 4): the offset file,
 * its atomic replacement seen by a running process, durations, RFC 3339
 * formatting, and wolfSSL judging certificate dates by the simulated time. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "testutil.h"

#define DAY (INT64_C(86400))

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[4096];
    ck_assert_int_eq(file_path_join(path, sizeof path, dir, name), 0);
    struct errbuf err = {{0}};
    ck_assert_msg(file_write_atomic(path, text, strlen(text), 0644, &err) == 0, "%s", err.msg);
}

/* Real time as clock.c reads it. Not time(NULL): glibc's time() reads the
 * coarse clock, which can lag CLOCK_REALTIME by a tick across a second. */
static int64_t real_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* clock_now() minus real time, measured so that a second boundary passing
 * during the call cannot make it wrong by one. */
static int64_t observed_offset(void)
{
    for (;;) {
        int64_t before = real_seconds();
        int64_t now = clock_now();
        int64_t after = real_seconds();
        if (before == after)
            return now - before;
    }
}

START_TEST(test_missing_file_is_zero)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    int64_t offset = 12345;
    ck_assert_int_eq(clock_offset_read(lab, &offset, &err), 0);
    ck_assert_int_eq(offset, 0);
    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(observed_offset(), 0);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_write_read_round_trip)
{
    static const int64_t offsets[] = {0,
                                      1,
                                      -1,
                                      90 * 60,
                                      -2 * DAY,
                                      400 * DAY,
                                      CLOCK_OFFSET_MAX_SECONDS,
                                      -CLOCK_OFFSET_MAX_SECONDS};
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        int64_t back = 777;
        ck_assert_msg(clock_offset_write(lab, offsets[i], &err) == 0, "%s", err.msg);
        ck_assert_msg(clock_offset_read(lab, &back, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(back, offsets[i]);
    }
    /* The exact file format ("N\n") and mode: other tools read it. */
    char path[4096];
    uint8_t *text = NULL;
    size_t len = 0;
    struct stat st;
    ck_assert_msg(clock_offset_write(lab, -172800, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, "clock"), 0);
    ck_assert_int_eq(file_read_all(path, 100, &text, &len, &err), 0);
    ck_assert_str_eq((char *)text, "-172800\n");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0644);
    free(text);
    /* Out of range is refused and leaves the file alone. */
    ck_assert_int_ne(clock_offset_write(lab, CLOCK_OFFSET_MAX_SECONDS + 1, &err), 0);
    ck_assert_msg(test_contains(err.msg, "1000 years"), "%s", err.msg);
    ck_assert_int_ne(clock_offset_write(lab, INT64_MIN, &err), 0);
    int64_t back = 0;
    ck_assert_int_eq(clock_offset_read(lab, &back, &err), 0);
    ck_assert_int_eq(back, -172800);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_running_process_follows_replacements)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(observed_offset(), 0);

    /* Each write is a rename onto LAB/clock; no clock_init in between. */
    ck_assert_int_eq(clock_offset_write(lab, 3600, &err), 0);
    ck_assert_int_eq(observed_offset(), 3600);
    ck_assert_int_eq(clock_offset_write(lab, 7200, &err), 0);
    ck_assert_int_eq(observed_offset(), 7200);
    ck_assert_int_eq(clock_offset_write(lab, -3 * DAY, &err), 0);
    ck_assert_int_eq(observed_offset(), -3 * DAY);
    /* Same size as before ("-259200\n" vs "-172800\n"): the inode tells. */
    ck_assert_int_eq(clock_offset_write(lab, -2 * DAY, &err), 0);
    ck_assert_int_eq(observed_offset(), -2 * DAY);
    ck_assert_int_eq(clock_advance(lab, DAY, &err), 0);
    ck_assert_int_eq(observed_offset(), -DAY);

    /* Milliseconds agree with seconds. */
    int64_t ms = clock_now_ms();
    int64_t s = clock_now();
    ck_assert_msg(s - ms / 1000 >= 0 && s - ms / 1000 <= 1, "s=%lld ms=%lld", (long long)s,
                  (long long)ms);

    /* Removing the file goes back to real time. */
    char path[4096];
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, "clock"), 0);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(observed_offset(), 0);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_file_syntax)
{
    static const struct {
        const char *text;
        int64_t offset; /* when accepted */
        int is_ok;
    } rows[] = {
        {"42", 42, 1},
        {"42\n", 42, 1},
        {"  -7 \r\n", -7, 1},
        {"\t+5\n", 5, 1},
        {"0\n", 0, 1},
        {"31557600000\n", INT64_C(31557600000), 1},
        {"", 0, 0},
        {"\n", 0, 0},
        {"abc\n", 0, 0},
        {"12abc\n", 0, 0},
        {"1 2\n", 0, 0},
        {"1.5\n", 0, 0},
        {"0x10\n", 0, 0},
        {"--5\n", 0, 0},
        {"-\n", 0, 0},
        {"31557600001\n", 0, 0},
        {"99999999999999999999999\n", 0, 0},
        {"1h\n", 0, 0},
    };
    char *lab = test_tmpdir();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct errbuf err = {{0}};
        int64_t offset = 999;
        write_text(lab, "clock", rows[i].text);
        int rc = clock_offset_read(lab, &offset, &err);
        if (rows[i].is_ok) {
            ck_assert_msg(rc == 0, "row %zu \"%s\": %s", i, rows[i].text, err.msg);
            ck_assert_int_eq(offset, rows[i].offset);
        } else {
            ck_assert_msg(rc != 0, "row %zu \"%s\" accepted as %lld", i, rows[i].text,
                          (long long)offset);
            /* The message names the file, so a person knows what to fix. */
            ck_assert_msg(test_contains(err.msg, "/clock"), "row %zu: %s", i, err.msg);
        }
    }
    /* A file that is too big is refused too, not read in part. */
    char big[200];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = 0;
    write_text(lab, "clock", big);
    int64_t offset = 0;
    ck_assert_int_ne(clock_offset_read(lab, &offset, NULL), 0);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_garbage_file)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    int64_t offset = 0;

    write_text(lab, "clock", "tomorrow\n");
    ck_assert_int_ne(clock_offset_read(lab, &offset, &err), 0);
    ck_assert_msg(test_contains(err.msg, "\"tomorrow\" is not a whole number of seconds"), "%s",
                  err.msg);
    /* clock_init refuses it at start-up... */
    ck_assert_int_ne(clock_init(lab, &err), 0);
    ck_assert_msg(test_contains(err.msg, "tomorrow"), "%s", err.msg);
    /* ...and advance does not build on it. */
    ck_assert_int_ne(clock_advance(lab, 60, &err), 0);

    /* A running process keeps its last good offset while the file is bad. */
    ck_assert_int_eq(clock_offset_write(lab, 500, &err), 0);
    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(observed_offset(), 500);
    write_text(lab, "clock", "garbage\n");
    ck_assert_int_eq(observed_offset(), 500);
    ck_assert_int_eq(observed_offset(), 500);
    /* Repaired, it is followed again. */
    ck_assert_int_eq(clock_offset_write(lab, 600, &err), 0);
    ck_assert_int_eq(observed_offset(), 600);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_advance)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    int64_t offset = 0;

    ck_assert_msg(clock_advance(lab, 90, &err) == 0, "%s", err.msg); /* from missing */
    ck_assert_int_eq(clock_offset_read(lab, &offset, &err), 0);
    ck_assert_int_eq(offset, 90);
    ck_assert_int_eq(clock_advance(lab, 25 * 3600, &err), 0);
    ck_assert_int_eq(clock_offset_read(lab, &offset, &err), 0);
    ck_assert_int_eq(offset, 90 + 25 * 3600);
    ck_assert_int_eq(clock_advance(lab, -2 * DAY, &err), 0);
    ck_assert_int_eq(clock_offset_read(lab, &offset, &err), 0);
    ck_assert_int_eq(offset, 90 + 25 * 3600 - 2 * DAY);

    /* Overflow and range: refused, file unchanged. */
    ck_assert_int_ne(clock_advance(lab, INT64_MAX, &err), 0);
    ck_assert_int_ne(clock_advance(lab, INT64_MIN, &err), 0);
    ck_assert_int_ne(clock_advance(lab, CLOCK_OFFSET_MAX_SECONDS - offset + 1, &err), 0);
    ck_assert_msg(test_contains(err.msg, "1000 years"), "%s", err.msg);
    ck_assert_int_eq(clock_offset_read(lab, &offset, &err), 0);
    ck_assert_int_eq(offset, 90 + 25 * 3600 - 2 * DAY);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_parse_duration)
{
    static const struct {
        const char *text;
        int64_t seconds; /* -1: rejected */
    } rows[] = {
        {"90s", 90},
        {"15m", 900},
        {"24h", 86400},
        {"7d", 604800},
        {"1h30m", 5400},
        {"1d12h", 129600},
        {"1d2h3m4s", 93784},
        {"0", 0},
        {"0s", 0},
        {"3600", 3600},
        {"007m", 420},
        {"9223372036854775807", INT64_MAX},
        {"9223372036854775807s", INT64_MAX},
        {"", -1},
        {"-5m", -1},
        {"+5m", -1},
        {"5x", -1},
        {"h", -1},
        {"m30", -1},
        {"5", 5},
        {"5 m", -1},
        {" 5m", -1},
        {"5m ", -1},
        {"5M", -1},
        {"1h30", -1},  /* a bare number only on its own */
        {"30m1h", -1}, /* largest unit first */
        {"1h1h", -1},  /* each unit once */
        {"1.5h", -1},
        {"9223372036854775808", -1},
        {"99999999999999999999s", -1},
        {"106751991167301d", -1}, /* days * 86400 overflows */
        {"106751991167300d55807s", INT64_MAX},
        {"106751991167300d55808s", -1}, /* the sum overflows */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t seconds = -42;
        int rc = clock_parse_duration(rows[i].text, &seconds);
        if (rows[i].seconds >= 0) {
            ck_assert_msg(rc == 0, "row %zu \"%s\" rejected", i, rows[i].text);
            ck_assert_msg(seconds == rows[i].seconds, "row %zu \"%s\": %lld", i, rows[i].text,
                          (long long)seconds);
        } else {
            ck_assert_msg(rc != 0, "row %zu \"%s\" accepted as %lld", i, rows[i].text,
                          (long long)seconds);
            ck_assert_msg(seconds == -42, "row %zu: output touched on failure", i);
        }
    }
    int64_t seconds = 0;
    ck_assert_int_ne(clock_parse_duration(NULL, &seconds), 0);
}
END_TEST

START_TEST(test_format_rfc3339)
{
    static const struct {
        int64_t unix_ms;
        const char *text; /* NULL: refused */
    } rows[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {1, "1970-01-01T00:00:00.001Z"},
        {999, "1970-01-01T00:00:00.999Z"},
        {1999, "1970-01-01T00:00:01.999Z"}, /* milliseconds are cut, not rounded */
        {-1, "1969-12-31T23:59:59.999Z"},
        {-1000, "1969-12-31T23:59:59.000Z"},
        {-1001, "1969-12-31T23:59:58.999Z"},
        {-86400000, "1969-12-31T00:00:00.000Z"},
        {951782400000, "2000-02-29T00:00:00.000Z"}, /* leap day of a 400-year */
        {951868799999, "2000-02-29T23:59:59.999Z"},
        {1709164800000, "2024-02-29T00:00:00.000Z"},
        {1709251200000, "2024-03-01T00:00:00.000Z"},
        {4107542400000, "2100-03-01T00:00:00.000Z"}, /* 2100 is no leap year */
        {1795608000000, "2026-11-25T12:00:00.000Z"},
        {1795608000123, "2026-11-25T12:00:00.123Z"},
        {2147483648000, "2038-01-19T03:14:08.000Z"},
        {-62135596800000, "0001-01-01T00:00:00.000Z"},
        {-62167219200000, "0000-01-01T00:00:00.000Z"},
        {253402300799999, "9999-12-31T23:59:59.999Z"},
        {253402300800000, NULL}, /* year 10000 */
        {-62167219200001, NULL}, /* year -1 */
        {INT64_MAX, NULL},
        {INT64_MIN, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[CLOCK_RFC3339_LEN];
        memset(out, 'x', sizeof out);
        int rc = clock_format_rfc3339(rows[i].unix_ms, out, sizeof out);
        if (rows[i].text != NULL) {
            ck_assert_msg(rc == 0, "row %zu refused", i);
            ck_assert_msg(strcmp(out, rows[i].text) == 0, "row %zu: %s, want %s", i, out,
                          rows[i].text);
        } else {
            ck_assert_msg(rc != 0, "row %zu accepted: %s", i, out);
        }
    }
    /* Every millisecond of a day round-trips against gmtime_r. */
    for (int64_t ms = 1764072000000; ms < 1764072000000 + DAY * 1000; ms += 999983) {
        char out[CLOCK_RFC3339_LEN], want[96]; /* room for any int, says gcc */
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        ck_assert_int_eq(clock_format_rfc3339(ms, out, sizeof out), 0);
        ck_assert_str_eq(out, want);
    }
    char small[CLOCK_RFC3339_LEN - 1];
    ck_assert_int_ne(clock_format_rfc3339(0, small, sizeof small), 0);
    ck_assert_int_ne(clock_format_rfc3339(0, NULL, 64), 0);
}
END_TEST

/* The whole-seconds form and the short strftime forms of reports, ladders and
 * the runner's headings ("?" when a time has no text). */
START_TEST(test_format_seconds_and_utc)
{
    char out[CLOCK_RFC3339_LEN];
    ck_assert_int_eq(clock_format_rfc3339_seconds(1795608000, out, sizeof out), 0);
    ck_assert_str_eq(out, "2026-11-25T12:00:00.000Z");
    ck_assert_int_eq(clock_format_rfc3339_seconds(-1, out, sizeof out), 0);
    ck_assert_str_eq(out, "1969-12-31T23:59:59.000Z");
    ck_assert_int_ne(clock_format_rfc3339_seconds(253402300800, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_ne(clock_format_rfc3339_seconds(INT64_MAX, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_ne(clock_format_rfc3339_seconds(INT64_MIN, out, sizeof out), 0);

    static const struct {
        int64_t unix_seconds;
        const char *format, *text;
        size_t cap;
        int rc;
    } rows[] = {
        {1795617348, "%m-%d %H:%M", "11-25 14:35", 32, 0},
        {1795617348, "%Y-%m-%d %H:%M", "2026-11-25 14:35", 32, 0},
        {1795617348, "%Y-%m-%d %H:%M UTC", "2026-11-25 14:35 UTC", 32, 0},
        {1795617348, "%H:%M:%S", "14:35:48", 32, 0},
        {-1, "%Y-%m-%d %H:%M:%S", "1969-12-31 23:59:59", 32, 0},
        {1795617348, "%Y-%m-%d %H:%M", "?", 16, -1}, /* 16 bytes hold 15 characters */
        {1795617348, "%Y-%m-%d %H:%M", "2026-11-25 14:35", 17, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char text[32];
        ck_assert_int_eq(clock_format_utc(rows[i].unix_seconds, rows[i].format, text, rows[i].cap),
                         rows[i].rc);
        ck_assert_msg(strcmp(text, rows[i].text) == 0, "row %zu: %s", i, text);
    }
}
END_TEST

/* The lesson of the lab depends on this: wolfSSL itself must judge a
 * certificate's validity period by the simulated clock. */
START_TEST(test_wolfssl_sees_simulated_time)
{
    char *lab = test_tmpdir();
    char key[4096], cert[4096];
    struct errbuf err = {{0}};
    struct test_run run;

    ck_assert_int_eq(file_path_join(key, sizeof key, lab, "t.key"), 0);
    ck_assert_int_eq(file_path_join(cert, sizeof cert, lab, "t.pem"), 0);
    ck_assert_int_eq(test_run_cmd(&run, 30000,
                                  "openssl req -x509 -newkey ec -pkeyopt "
                                  "ec_paramgen_curve:P-256 -nodes -keyout %s -out %s "
                                  "-subj /CN=t -days 1",
                                  key, cert),
                     0);
    ck_assert_msg(run.exit_code == 0, "openssl: %s", run.err);
    test_run_free(&run);

    ck_assert_int_eq(wolfSSL_Init(), WOLFSSL_SUCCESS);
    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    WOLFSSL_CERT_MANAGER *cm = wolfSSL_CertManagerNew();
    ck_assert_ptr_nonnull(cm);
    /* Loading a CA checks its dates too, so load it while it is valid. */
    ck_assert_int_eq(wolfSSL_CertManagerLoadCA(cm, cert, NULL), WOLFSSL_SUCCESS);
    ck_assert_int_eq(wolfSSL_CertManagerVerify(cm, cert, WOLFSSL_FILETYPE_PEM), WOLFSSL_SUCCESS);

    ck_assert_int_eq(clock_offset_write(lab, -2 * DAY, &err), 0);
    ck_assert_int_eq(wolfSSL_CertManagerVerify(cm, cert, WOLFSSL_FILETYPE_PEM), ASN_BEFORE_DATE_E);

    ck_assert_int_eq(clock_offset_write(lab, 3 * DAY, &err), 0);
    ck_assert_int_eq(wolfSSL_CertManagerVerify(cm, cert, WOLFSSL_FILETYPE_PEM), ASN_AFTER_DATE_E);

    ck_assert_int_eq(clock_offset_write(lab, 0, &err), 0);
    ck_assert_int_eq(wolfSSL_CertManagerVerify(cm, cert, WOLFSSL_FILETYPE_PEM), WOLFSSL_SUCCESS);

    /* wc_Time, which other wolfSSL code calls for "now", follows too. */
    ck_assert_int_eq(clock_offset_write(lab, 10 * DAY, &err), 0);
    time_t filled = 0;
    int64_t before = real_seconds();
    time_t wolf_now = wc_Time(&filled);
    int64_t after = real_seconds();
    ck_assert_int_eq(wolf_now, filled);
    ck_assert_msg(wolf_now >= before + 10 * DAY && wolf_now <= after + 10 * DAY,
                  "wc_Time is %lld s from real time", (long long)(wolf_now - before));

    wolfSSL_CertManagerFree(cm);
    wolfSSL_Cleanup();
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* Readers on many threads while the file is replaced: each sees an offset
 * that was really written (run under -fsanitize=thread to see the races
 * this guards against). */
struct reader_args {
    int64_t bad_offsets;
};

static void *reader_thread(void *arg)
{
    struct reader_args *args = arg;
    for (int i = 0; i < 20000; i++) {
        int64_t offset = observed_offset();
        if (offset != 0 && offset != 1000 && offset != 2000)
            args->bad_offsets++;
    }
    return NULL;
}

START_TEST(test_threads_share_the_clock)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    pthread_t threads[4];
    struct reader_args args[4] = {{0}};

    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, reader_thread, &args[i]), 0);
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq(clock_offset_write(lab, i % 2 == 0 ? 1000 : 2000, &err), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
        ck_assert_int_eq(args[i].bad_offsets, 0);
    }
    ck_assert_int_eq(observed_offset(), 2000);
    test_rmtree(lab);
    free(lab);
}
END_TEST

Suite *clock_suite(void);
Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("clock");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_missing_file_is_zero);
    tcase_add_test(tc, test_write_read_round_trip);
    tcase_add_test(tc, test_running_process_follows_replacements);
    tcase_add_test(tc, test_file_syntax);
    tcase_add_test(tc, test_garbage_file);
    tcase_add_test(tc, test_advance);
    tcase_add_test(tc, test_parse_duration);
    tcase_add_test(tc, test_format_rfc3339);
    tcase_add_test(tc, test_format_seconds_and_utc);
    tcase_add_test(tc, test_wolfssl_sees_simulated_time);
    tcase_add_test(tc, test_threads_share_the_clock);
    suite_add_tcase(s, tc);
    return s;
}
