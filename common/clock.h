/* clock.h — the lab's simulated clock (DESIGN section 4).
 * now = real time + the integer of seconds in LAB/clock (missing file = 0). The
 * file is re-checked on every read, so a running program follows `advance`
 * at once; the same clock is installed into wolfSSL with wc_SetTimeCb so
 * certificate validity and OCSP times follow it too. Thread-safe. */
#ifndef OCSPLAB_CLOCK_H
#define OCSPLAB_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

/* Points the process clock at LAB/clock and installs it into wolfSSL.
 * Call once at start-up, before threads; calling again switches the lab. */
int clock_init(const char *lab_dir, struct errbuf *err);

/* Simulated time, in seconds and in milliseconds since the Unix epoch. Before
 * clock_init the offset is 0, and 0 while the file is missing; a file that
 * cannot be read or parsed keeps the last good offset (clock_init and
 * clock_offset_read report it). The file is stat()ed on every call and
 * re-read only when it changed. */
int64_t clock_now(void);
int64_t clock_now_ms(void);

/* Real elapsed time in milliseconds from an arbitrary start (CLOCK_MONOTONIC),
 * for deadlines and durations: a timeout must not jump when a scenario
 * advances the lab's clock by a day. Never a date. */
int64_t clock_monotonic_ms(void);

/* The offset file itself: read (0 when missing), replace atomically, add to.
 * Offsets beyond CLOCK_OFFSET_MAX_SECONDS either way are rejected, so that
 * now + offset always formats as a four-digit year and never overflows. */
#define CLOCK_OFFSET_MAX_SECONDS INT64_C(31557600000) /* 1000 Julian years */
int clock_offset_read(const char *lab_dir, int64_t *offset_seconds, struct errbuf *err);
int clock_offset_write(const char *lab_dir, int64_t offset_seconds, struct errbuf *err);
int clock_advance(const char *lab_dir, int64_t seconds, struct errbuf *err);

/* Parses a duration: one or more <number><unit> with unit s, m, h or d
 * ("90s", "15m", "24h", "7d", "1h30m"); a bare number means seconds.
 * Rejects empty, negative, unknown units and values that overflow; units
 * must come largest first, each at most once ("1d12h", not "30m1h"). */
int clock_parse_duration(const char *text, int64_t *seconds);

/* Formats "2026-11-25T12:00:00.000Z" (RFC 3339, UTC, milliseconds).
 * Needs cap >= CLOCK_RFC3339_LEN. */
#define CLOCK_RFC3339_LEN 32
int clock_format_rfc3339(int64_t unix_ms, char *out, size_t cap);

/* clock_format_rfc3339 for whole seconds, the unit of certificates, OCSP
 * and CRL times: "2026-11-25T12:00:00.000Z". Needs cap >= CLOCK_RFC3339_LEN;
 * out is "" when the year has no four digits. */
int clock_format_rfc3339_seconds(int64_t unix_seconds, char *out, size_t cap);

/* A time in UTC through a strftime(3) format, for the short forms people
 * read: "%m-%d %H:%M" on a chart's axis, "%Y-%m-%d %H:%M UTC" in a heading.
 * 0, or -1 with "?" in out when the time has no calendar date or the text
 * does not fit in cap. */
int clock_format_utc(int64_t unix_seconds, const char *strftime_format, char *out, size_t cap);

/* A duration the way the lab writes it everywhere, largest units first:
 * "1d1h", "12h", "90s", "0s", "-2h" (the one duration formatter). */
void clock_format_duration(int64_t seconds, char *out, size_t cap);

#endif
