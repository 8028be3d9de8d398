/* clock.c — the lab's simulated clock (DESIGN section 4): real time plus the
 * whole seconds written in LAB/clock, re-checked cheaply on every call and
 * installed into wolfSSL so certificate and OCSP dates follow it.
 *
 * What wolfSSL does with the callback (read in the 5.9.2 source the lab
 * builds, and first in Debian 12's 5.5.4 binary). wc_SetTimeCb() stores the
 * function that wc_Time() (wolfcrypt/src/asn.c) calls instead of XTIME
 * (= time()). In the lab's static libwolfssl.a only asn.o refers to libc
 * time() (`nm -A libwolfssl.a | grep ' U time$'`), inside wc_Time itself;
 * everything else that wants "now" in seconds calls wc_Time, so all of it
 * follows this clock:
 *   - asn.c wc_ValidateDate (XVALIDATE_DATE),
 *     called for certificate notBefore/notAfter while parsing a certificate
 *     (ASN_BEFORE_DATE_E / ASN_AFTER_DATE_E from the cert manager and the TLS
 *     handshake), for OCSP thisUpdate/nextUpdate (asn.c DecodeSingleResponse,
 *     ocsp.c's cached-status check) and CRL nextUpdate (crl.c), and by
 *     wolfSSL_X509_verify_cert;
 *   - asn.c SetValidity: the notBefore/notAfter that wc_MakeCert writes;
 *   - wc_GetTime, wolfSSL_X509_cmp_time / X509_time_adj, ASN1_TIME_adj/diff,
 *     and internal.c LowResTimer (session cache and ticket lifetimes).
 * (The lab's build leaves wolfSSL's own OCSP date check out,
 * WOLFSSL_NO_OCSP_DATE_CHECK: the lab's verifier checks those dates on this
 * clock itself.) Not covered: interval timers (DTLS retransmits, the TLS 1.3
 * ticket age), which may stay real.
 * tests/test_clock.c proves the certificate case end to end. */
#include "clock.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fileio.h"

/* The clock file holds one short integer; anything longer is not ours. */
#define CLOCK_FILE_MAX_BYTES 64

/* What identifies one version of the clock file. An atomic rename always
 * brings a new inode; ctime also catches an editor that rewrites in place
 * and restores the mtime. */
struct clock_stamp {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;
};

/* The process clock: which file, what it said when last read. One mutex
 * guards all of it, because wolfSSL calls clock_now from any thread. */
static struct {
    pthread_mutex_t lock;
    bool has_path;
    char path[PATH_MAX];
    bool has_stamp;
    struct clock_stamp stamp;
    int64_t offset_seconds;
} clock_state = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies up to 24 bytes of bad input into a message, non-printables as '?'. */
static void describe_text(const uint8_t *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && i < 24 && n + 1 < cap; i++)
        out[n++] = (text[i] >= 0x20 && text[i] < 0x7f) ? (char)text[i] : '?';
    out[n] = 0;
    if (len > 24 && n + 4 < cap)
        strcat(out, "...");
}

/* One optional sign and decimal digits, with spaces and line ends around. */
static int parse_offset_text(const char *path, const uint8_t *text, size_t len,
                             int64_t *offset_seconds, struct errbuf *err)
{
    size_t begin = 0, end = len;
    bool is_negative = false;
    int64_t value = 0;
    char shown[32];

    while (begin < end && is_space(text[begin]))
        begin++;
    while (end > begin && is_space(text[end - 1]))
        end--;
    if (begin == end) {
        errbuf_set(err,
                   "%s is empty: it must hold one whole number of seconds "
                   "(e.g. 3600 or -86400), or not exist at all",
                   path);
        return -1;
    }
    size_t digits = begin;
    if (text[digits] == '-' || text[digits] == '+') {
        is_negative = text[digits] == '-';
        digits++;
    }
    if (digits == end)
        goto not_a_number;
    for (size_t i = digits; i < end; i++) {
        if (text[i] < '0' || text[i] > '9')
            goto not_a_number;
        value = value * 10 + (text[i] - '0');
        /* Checked per digit, so value never exceeds 10 * the limit. */
        if (value > CLOCK_OFFSET_MAX_SECONDS) {
            describe_text(text + begin, end - begin, shown, sizeof shown);
            errbuf_set(err,
                       "%s: offset %s is out of range (at most %" PRId64
                       " seconds, 1000 years, either way)",
                       path, shown, (int64_t)CLOCK_OFFSET_MAX_SECONDS);
            return -1;
        }
    }
    *offset_seconds = is_negative ? -value : value;
    return 0;

not_a_number:
    describe_text(text + begin, end - begin, shown, sizeof shown);
    errbuf_set(err,
               "%s: \"%s\" is not a whole number of seconds "
               "(write e.g. 3600 or -86400, or remove the file)",
               path, shown);
    return -1;
}

static int load_offset(const char *path, int64_t *offset_seconds, struct errbuf *err)
{
    uint8_t *text = NULL;
    size_t len = 0;
    if (file_read_all(path, CLOCK_FILE_MAX_BYTES, &text, &len, err) != 0)
        return -1;
    int rc = parse_offset_text(path, text, len, offset_seconds, err);
    free(text);
    return rc;
}

static int clock_path(const char *lab_dir, char *out, size_t cap, struct errbuf *err)
{
    if (lab_dir == NULL || file_path_join(out, cap, lab_dir, "clock") != 0) {
        errbuf_set(err, "clock: lab directory path is missing or too long");
        return -1;
    }
    return 0;
}

static bool offset_in_range(int64_t offset_seconds)
{
    return offset_seconds >= -CLOCK_OFFSET_MAX_SECONDS &&
           offset_seconds <= CLOCK_OFFSET_MAX_SECONDS;
}

/* stat() result as a stamp: 0 with the stamp, 1 when the file does not exist,
 * -1 (errno set) when it cannot be examined. */
static int stamp_file(const char *path, struct clock_stamp *stamp)
{
    struct stat st;
    memset(stamp, 0, sizeof *stamp);
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 1 : -1;
    stamp->exists = true;
    stamp->dev = st.st_dev;
    stamp->ino = st.st_ino;
    stamp->size = st.st_size;
    stamp->mtime = st.st_mtim;
    stamp->ctime = st.st_ctim;
    return 0;
}

static bool same_stamp(const struct clock_stamp *a, const struct clock_stamp *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* The current offset, re-reading the file only when its stamp changed. A
 * missing file means 0 (DESIGN section 4). A file that cannot be read or
 * parsed keeps the last good offset: a running responder should not jump
 * back to real time because someone typed a bad value; `clock_offset_read`
 * and clock_init report the error to people instead. The stamp is taken
 * before the read, so a replacement landing in between is seen next call. */
static int64_t current_offset(void)
{
    int64_t offset_seconds;
    pthread_mutex_lock(&clock_state.lock);
    if (clock_state.has_path) {
        struct clock_stamp stamp;
        int found = stamp_file(clock_state.path, &stamp);
        if (found >= 0 && !(clock_state.has_stamp && same_stamp(&stamp, &clock_state.stamp))) {
            int64_t fresh = 0;
            if (found == 1 || load_offset(clock_state.path, &fresh, NULL) == 0)
                clock_state.offset_seconds = fresh;
            /* Remember even a bad version, so it is not re-read on every call. */
            clock_state.stamp = stamp;
            clock_state.has_stamp = true;
        }
    }
    offset_seconds = clock_state.offset_seconds;
    pthread_mutex_unlock(&clock_state.lock);
    return offset_seconds;
}

static struct timespec real_time(void)
{
    struct timespec ts;
    /* CLOCK_REALTIME cannot fail with a valid clock id and pointer. */
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
}

int64_t clock_now(void)
{
    struct timespec ts = real_time();
    return (int64_t)ts.tv_sec + current_offset();
}

int64_t clock_now_ms(void)
{
    struct timespec ts = real_time();
    return ((int64_t)ts.tv_sec + current_offset()) * 1000 + ts.tv_nsec / 1000000;
}

/* wolfSSL's time callback (see the top of this file). */
static time_t wolfssl_time_cb(time_t *t)
{
    time_t now = (time_t)clock_now();
    if (t != NULL)
        *t = now;
    return now;
}

int clock_init(const char *lab_dir, struct errbuf *err)
{
    char path[PATH_MAX];
    struct clock_stamp stamp;
    int64_t offset_seconds = 0;

    if (clock_path(lab_dir, path, sizeof path, err) != 0)
        return -1;
    /* Say at start-up that the file is bad, rather than silently running on
     * real time; the previous configuration stays in force on error. */
    int found = stamp_file(path, &stamp);
    if (found < 0) {
        errbuf_set(err, "cannot examine %s: %s", path, strerror(errno));
        return -1;
    }
    if (found == 0 && load_offset(path, &offset_seconds, err) != 0)
        return -1;
    if (wc_SetTimeCb(wolfssl_time_cb) != 0) {
        errbuf_set(err, "cannot install the lab clock into wolfSSL");
        return -1;
    }
    pthread_mutex_lock(&clock_state.lock);
    memcpy(clock_state.path, path, sizeof path);
    clock_state.has_path = true;
    clock_state.stamp = stamp;
    clock_state.has_stamp = true;
    clock_state.offset_seconds = offset_seconds;
    pthread_mutex_unlock(&clock_state.lock);
    return 0;
}

int clock_offset_read(const char *lab_dir, int64_t *offset_seconds, struct errbuf *err)
{
    char path[PATH_MAX];
    struct clock_stamp stamp;

    if (clock_path(lab_dir, path, sizeof path, err) != 0)
        return -1;
    int found = stamp_file(path, &stamp);
    if (found < 0) {
        errbuf_set(err, "cannot examine %s: %s", path, strerror(errno));
        return -1;
    }
    if (found == 1) {
        *offset_seconds = 0;
        return 0;
    }
    return load_offset(path, offset_seconds, err);
}

int clock_offset_write(const char *lab_dir, int64_t offset_seconds, struct errbuf *err)
{
    char path[PATH_MAX];
    char text[32];

    if (clock_path(lab_dir, path, sizeof path, err) != 0)
        return -1;
    if (!offset_in_range(offset_seconds)) {
        errbuf_set(err,
                   "cannot set the clock offset to %" PRId64 " seconds: at most %" PRId64
                   " (1000 years) either way",
                   offset_seconds, (int64_t)CLOCK_OFFSET_MAX_SECONDS);
        return -1;
    }
    int len = snprintf(text, sizeof text, "%" PRId64 "\n", offset_seconds);
    /* The clock is world-readable: every program of the lab reads it. */
    return file_write_atomic(path, text, (size_t)len, 0644, err);
}

/* Read, add, write: not atomic against a second concurrent advancer, which
 * the lab does not have (the scenario runner or one person at a terminal). */
int clock_advance(const char *lab_dir, int64_t seconds, struct errbuf *err)
{
    int64_t offset_seconds = 0;

    if (clock_offset_read(lab_dir, &offset_seconds, err) != 0)
        return -1;
    /* |offset| <= the limit, so only a huge `seconds` can overflow the sum. */
    if ((seconds > 0 && offset_seconds > INT64_MAX - seconds) ||
        (seconds < 0 && offset_seconds < INT64_MIN - seconds) ||
        !offset_in_range(offset_seconds + seconds)) {
        errbuf_set(err,
                   "cannot move the clock by %" PRId64 " seconds from offset %" PRId64
                   ": the offset must stay within %" PRId64 " seconds (1000 years)",
                   seconds, offset_seconds, (int64_t)CLOCK_OFFSET_MAX_SECONDS);
        return -1;
    }
    return clock_offset_write(lab_dir, offset_seconds + seconds, err);
}

/* The units of a duration in the order they must appear, largest first. */
static int64_t duration_unit_seconds(char unit, int *rank)
{
    switch (unit) {
    case 'd':
        *rank = 4;
        return 86400;
    case 'h':
        *rank = 3;
        return 3600;
    case 'm':
        *rank = 2;
        return 60;
    case 's':
        *rank = 1;
        return 1;
    default:
        return 0;
    }
}

/* Units must come largest first and each at most once ("1d12h", not
 * "30m1h" or "1h1h"), so a typo is an error rather than a surprise; a bare
 * number is allowed only on its own ("1h30" is rejected as ambiguous). */
int clock_parse_duration(const char *text, int64_t *seconds)
{
    int64_t total = 0;
    int last_rank = 5;
    const char *p = text;

    if (text == NULL || seconds == NULL || *text == 0)
        return -1;
    while (*p != 0) {
        int64_t count = 0;
        int rank = 0;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            int digit = *p - '0';
            if (count > (INT64_MAX - digit) / 10)
                return -1;
            count = count * 10 + digit;
        }
        if (*p == 0) {
            if (last_rank != 5)
                return -1;
            total = count;
            break;
        }
        int64_t unit = duration_unit_seconds(*p, &rank);
        if (unit == 0 || rank >= last_rank)
            return -1;
        if (count > INT64_MAX / unit || total > INT64_MAX - count * unit)
            return -1;
        total += count * unit;
        last_rank = rank;
        p++;
    }
    *seconds = total;
    return 0;
}

/* Division rounding toward minus infinity, so times before 1970 format as
 * the calendar says (-1 ms is 23:59:59.999 on 1969-12-31). */
static int64_t floor_div(int64_t a, int64_t b, int64_t *remainder)
{
    int64_t q = a / b, r = a % b;
    if (r < 0) {
        q -= 1;
        r += b;
    }
    *remainder = r;
    return q;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * civil_from_days); no locale, no time zone, no time_t range limits. */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era_rem;
    int64_t era = floor_div(z, 146097, &era_rem);
    int64_t doe = era_rem;                                               /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

int clock_format_rfc3339(int64_t unix_ms, char *out, size_t cap)
{
    int64_t ms, second_of_day, year;
    int month, day;

    if (out == NULL || cap < CLOCK_RFC3339_LEN)
        return -1;
    out[0] = 0;
    int64_t unix_seconds = floor_div(unix_ms, 1000, &ms);
    int64_t days = floor_div(unix_seconds, 86400, &second_of_day);
    civil_from_days(days, &year, &month, &day);
    /* RFC 3339 has four-digit years only. */
    if (year < 0 || year > 9999)
        return -1;
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)year, month, day,
             (int)(second_of_day / 3600), (int)(second_of_day / 60 % 60), (int)(second_of_day % 60),
             (int)ms);
    return 0;
}

int clock_format_rfc3339_seconds(int64_t unix_seconds, char *out, size_t cap)
{
    /* Far beyond year 9999 either way: refuse before the product overflows. */
    if (unix_seconds > INT64_MAX / 1000 || unix_seconds < INT64_MIN / 1000) {
        if (out != NULL && cap > 0)
            out[0] = 0;
        return -1;
    }
    return clock_format_rfc3339(unix_seconds * 1000, out, cap);
}

/* The format comes from the caller (a literal at every call, or a test's
 * table), so the warning about a non-literal strftime format is off here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int clock_format_utc(int64_t unix_seconds, const char *strftime_format, char *out, size_t cap)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (cap == 0)
        return -1;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, strftime_format, &tm) == 0) {
        snprintf(out, cap, "?");
        return -1;
    }
    return 0;
}
#pragma GCC diagnostic pop

int64_t clock_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_format_duration(int64_t seconds, char *out, size_t cap)
{
    static const struct {
        int64_t size;
        char unit;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    size_t n = 0;
    if (cap == 0)
        return;
    out[0] = 0;
    if (seconds == 0) {
        snprintf(out, cap, "0s");
        return;
    }
    /* INT64_MIN has no positive twin: say so rather than overflow. */
    uint64_t left = seconds < 0 ? (uint64_t)(-(seconds + 1)) + 1 : (uint64_t)seconds;
    if (seconds < 0)
        n = (size_t)snprintf(out, cap, "-");
    for (size_t i = 0; i < sizeof units / sizeof units[0] && n < cap; i++) {
        uint64_t count = left / (uint64_t)units[i].size;
        left %= (uint64_t)units[i].size;
        if (count == 0)
            continue;
        int w = snprintf(out + n, cap - n, "%llu%c", (unsigned long long)count, units[i].unit);
        if (w < 0)
            return;
        n += (size_t)w;
    }
}
