/* fuzz_clock.c — libFuzzer target for the simulated clock's two parsers of
 * outside text (DESIGN 4): the LAB/clock file, which teachers and scripts may
 * write by hand, and durations ("1h30m") from scenario files and flags.
 *
 * common/clock.h has no bytes-level parser for the clock file (it is static in
 * clock.c), so the input goes through clock_offset_read on a real file in a
 * private directory, on tmpfs when there is one. Its verdict is compared with
 * a model of the documented format: spaces and line ends around one optional
 * sign and decimal digits, at most CLOCK_OFFSET_MAX_SECONDS either way, in a
 * file of at most 64 bytes; a value read must write and read back the same. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#include "fuzz_check.h"
#include "fuzz_scratch.h"

/* clock.c's CLOCK_FILE_MAX_BYTES: a longer file is refused unread. */
#define FUZZ_CLOCK_FILE_MAX 64

static bool fuzz_is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The documented format, written independently of clock.c. */
static bool fuzz_model_offset(const uint8_t *data, size_t size, int64_t *offset)
{
    if (size > FUZZ_CLOCK_FILE_MAX)
        return false;
    size_t begin = 0, end = size;
    while (begin < end && fuzz_is_space(data[begin]))
        begin++;
    while (end > begin && fuzz_is_space(data[end - 1]))
        end--;
    bool is_negative = false;
    if (begin < end && (data[begin] == '+' || data[begin] == '-'))
        is_negative = data[begin++] == '-';
    if (begin == end)
        return false;
    int64_t value = 0;
    for (size_t i = begin; i < end; i++) {
        if (data[i] < '0' || data[i] > '9')
            return false;
        value = value * 10 + (data[i] - '0');
        if (value > CLOCK_OFFSET_MAX_SECONDS)
            return false;
    }
    *offset = is_negative ? -value : value;
    return true;
}

static void fuzz_duration(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = 0;
    int64_t seconds = -1;
    if (clock_parse_duration(text, &seconds) == 0) {
        /* Negative durations are refused; what is accepted came from digits
         * and a few units, none of which makes a negative sum. */
        FUZZ_CHECK(seconds >= 0);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct errbuf err = {{0}};
    int64_t offset = INT64_MIN, model = 0, again = INT64_MIN;
    const struct fuzz_scratch *scratch = fuzz_scratch_open("fuzz_clock", "clock");

    fuzz_duration(data, size);

    fuzz_scratch_write(scratch, data, size);
    int rc = clock_offset_read(scratch->dir, &offset, &err);
    bool model_ok = fuzz_model_offset(data, size, &model);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK((rc == 0) == model_ok);
    if (rc != 0) {
        /* A refusal says what is wrong, in a terminated message. */
        FUZZ_CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL && err.msg[0] != 0);
        return 0;
    }
    FUZZ_CHECK(offset == model);
    FUZZ_CHECK(offset >= -CLOCK_OFFSET_MAX_SECONDS && offset <= CLOCK_OFFSET_MAX_SECONDS);
    FUZZ_CHECK(clock_offset_write(scratch->dir, offset, &err) == 0);
    FUZZ_CHECK(clock_offset_read(scratch->dir, &again, &err) == 0 && again == offset);
    return 0;
}
