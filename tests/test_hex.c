/* test_hex.c — common/hex, the lab's one hex encoder: serials in ca.db, ca
 * list and traces (upper case), the responder's ETag (lower case), and the
 * decoder that reads serials typed by a person. */
#include <check.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "hex.h"

static const struct hex_row {
    const char *label;
    uint8_t bytes[8];
    size_t len;
    const char *upper, *lower;
} hex_rows[] = {
    {"nothing", {0}, 0, "", ""},
    {"one zero byte", {0x00}, 1, "00", "00"},
    {"every nibble value",
     {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef},
     8,
     "0123456789ABCDEF",
     "0123456789abcdef"},
    {"a leading zero kept", {0x00, 0xab, 0x5f, 0xff}, 4, "00AB5FFF", "00ab5fff"},
};

START_TEST(test_encode_rows)
{
    const struct hex_row *row = &hex_rows[_i];
    char out[2 * sizeof row->bytes + 2];
    memset(out, 'x', sizeof out);
    hex_encode(row->bytes, row->len, out);
    ck_assert_msg(strcmp(out, row->upper) == 0, "%s: %s", row->label, out);
    ck_assert_int_eq(out[2 * row->len + 1], 'x'); /* exactly 2 * len + 1 bytes written */
    hex_encode_lower(row->bytes, row->len, out);
    ck_assert_msg(strcmp(out, row->lower) == 0, "%s: %s", row->label, out);

    /* Both cases decode back to the bytes. */
    uint8_t back[sizeof row->bytes];
    size_t len = 99;
    ck_assert_int_eq(hex_decode(row->upper, back, sizeof back, &len), 0);
    ck_assert_uint_eq(len, row->len);
    ck_assert_int_eq(memcmp(back, row->bytes, len), 0);
    ck_assert_int_eq(hex_decode(row->lower, back, sizeof back, &len), 0);
    ck_assert_uint_eq(len, row->len);
    ck_assert_int_eq(memcmp(back, row->bytes, len), 0);
}
END_TEST

START_TEST(test_decode_refuses)
{
    static const struct {
        const char *text;
        size_t cap;
    } rows[] = {
        {"0", 4},                                          /* odd length */
        {"ABC", 4},                                        /* odd length after whole bytes */
        {"0G", 4},                                         /* not a hex digit */
        {"g0", 4},  {" 0", 4}, {"0x01", 4}, {"010203", 2}, /* one byte more than the room */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t out[4];
        size_t len = 0;
        ck_assert_msg(hex_decode(rows[i].text, out, rows[i].cap, &len) == -1, "'%s'", rows[i].text);
    }
    uint8_t out[2];
    size_t len = 0;
    ck_assert_int_eq(hex_decode("0102", out, sizeof out, &len), 0); /* exactly the room */
    ck_assert_uint_eq(len, 2);
}
END_TEST

/* One digit, as the decoder and the responder's percent decoding read it. */
START_TEST(test_digit_value)
{
    static const char digits[] = "0123456789abcdef";
    for (int v = 0; v < 16; v++) {
        ck_assert_int_eq(hex_digit_value(digits[v]), v);
        ck_assert_int_eq(hex_digit_value((char)toupper((unsigned char)digits[v])), v);
    }
    static const char others[] = {'g', 'G', '/', ':', '@', '`', ' ', '%', 0, (char)0xc3};
    for (size_t i = 0; i < sizeof others; i++)
        ck_assert_int_eq(hex_digit_value(others[i]), -1);
}
END_TEST

Suite *hex_suite(void)
{
    Suite *s = suite_create("hex");
    TCase *tc = tcase_create("hex");
    tcase_add_loop_test(tc, test_encode_rows, 0, (int)(sizeof hex_rows / sizeof hex_rows[0]));
    tcase_add_test(tc, test_decode_refuses);
    tcase_add_test(tc, test_digit_value);
    suite_add_tcase(s, tc);
    return s;
}
