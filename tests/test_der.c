/* test_der.c — the DER reader and writer against hand-made vectors (one row per
 * reject reason), a real certificate cut at every byte, and writer round trips.
 * Vectors are spaced hex so a reader can check them against X.690 by eye. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "der.h"

/* ---- Helpers ------------------------------------------------------------------ */

/* A heap copy of exactly the vector's bytes, so AddressSanitizer catches any read
 * past the end: spaced hex ("30 03 02 01 05") followed by `fill` filler bytes. */
struct test_bytes {
    uint8_t *data;
    size_t len;
};

static uint8_t test_filler(size_t i)
{
    return (uint8_t)(i * 7 + 1);
}

static struct test_bytes test_hex(const char *hex, size_t fill)
{
    size_t digits = 0;
    for (const char *c = hex; *c != '\0'; c++)
        digits += *c != ' ';
    ck_assert_msg(digits % 2 == 0, "odd hex vector: %s", hex);
    struct test_bytes bytes = {malloc(digits / 2 + fill + 1), digits / 2 + fill};
    ck_assert_ptr_nonnull(bytes.data);
    size_t at = 0;
    for (const char *c = hex; *c != '\0'; c++) {
        if (*c == ' ')
            continue;
        unsigned value;
        ck_assert_msg(sscanf(c, "%2x", &value) == 1, "bad hex: %s", hex);
        bytes.data[at++] = (uint8_t)value;
        c++;
    }
    for (size_t i = 0; i < fill; i++)
        bytes.data[at + i] = test_filler(i);
    return bytes;
}

static void test_bytes_free(struct test_bytes *bytes)
{
    free(bytes->data);
    bytes->data = NULL;
}

static struct test_bytes test_copy(const uint8_t *data, size_t len)
{
    struct test_bytes bytes = {malloc(len + 1), len};
    ck_assert_ptr_nonnull(bytes.data);
    if (len != 0)
        memcpy(bytes.data, data, len);
    return bytes;
}

static void assert_buf_hex(const struct der_buf *buf, const char *hex, const char *name)
{
    struct test_bytes want = test_hex(hex, 0);
    ck_assert_int_eq(der_buf_error(buf), DER_OK);
    ck_assert_msg(buf->len == want.len && memcmp(buf->data, want.data, want.len) == 0,
                  "%s: writer produced %zu bytes, expected %s", name, buf->len, hex);
    test_bytes_free(&want);
}

/* A failed read must leave the cursor where it was (so optional reads can retry). */
static void assert_unmoved(const struct der_cursor *in, const struct test_bytes *bytes,
                           const char *name)
{
    ck_assert_msg(in->p == bytes->data && in->left == bytes->len, "%s: cursor moved on failure",
                  name);
}

/* ---- Headers and lengths -------------------------------------------------------- */

struct header_vector {
    const char *name;
    const char *hex;
    size_t fill;
    int rc;
    uint8_t tag;
    size_t header_len;
    size_t body_len;
};

static const struct header_vector header_vectors[] = {
    {"short form", "04 02 aa bb", 0, DER_OK, 0x04, 2, 2},
    {"short form, next element follows", "04 01 aa 05 00", 0, DER_OK, 0x04, 2, 1},
    {"empty contents", "05 00", 0, DER_OK, 0x05, 2, 0},
    {"context constructed [0]", "a0 03 02 01 01", 0, DER_OK, 0xa0, 2, 3},
    {"context primitive [2]", "82 01 ff", 0, DER_OK, 0x82, 2, 1},
    {"longest short form (127)", "04 7f", 127, DER_OK, 0x04, 2, 127},
    {"long form 128", "04 81 80", 128, DER_OK, 0x04, 3, 128},
    {"long form 255", "04 81 ff", 255, DER_OK, 0x04, 3, 255},
    {"two length octets 256", "04 82 01 00", 256, DER_OK, 0x04, 4, 256},
    {"two length octets 65535", "04 82 ff ff", 65535, DER_OK, 0x04, 4, 65535},
    {"three length octets 65536", "04 83 01 00 00", 65536, DER_OK, 0x04, 5, 65536},
    {"four length octets 2^24", "30 84 01 00 00 00", 1u << 24, DER_OK, 0x30, 6, 1u << 24},

    {"empty input", "", 0, DER_ERR_TRUNCATED, 0, 0, 0},
    {"identifier only", "04", 0, DER_ERR_TRUNCATED, 0, 0, 0},
    {"indefinite length", "30 80 02 01 01 00 00", 0, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"long form for 5", "04 81 05", 5, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"long form for 0", "04 81 00", 0, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"long form for 127", "04 81 7f", 127, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"leading zero length octet (255 in two)", "04 82 00 ff", 255, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"leading zero length octet (256 in three)", "04 83 00 01 00", 256, DER_ERR_BAD_LENGTH, 0, 0,
     0},
    {"leading zero length octet (5 in two)", "04 82 00 05", 5, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"five length octets", "04 85 01 00 00 00 00", 0, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"five length octets, data present", "04 85 00 00 00 01 00", 256, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"eight length octets", "04 88 ff ff ff ff ff ff ff ff", 0, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"reserved length octet ff", "04 ff", 0, DER_ERR_BAD_LENGTH, 0, 0, 0},
    {"length octets cut short", "04 82 01", 0, DER_ERR_TRUNCATED, 0, 0, 0},
    {"short length past end", "04 03 aa bb", 0, DER_ERR_TRUNCATED, 0, 0, 0},
    {"long length past end", "04 82 01 00", 255, DER_ERR_TRUNCATED, 0, 0, 0},
    {"largest 4-octet length past end", "04 84 ff ff ff ff 00", 0, DER_ERR_TRUNCATED, 0, 0, 0},
    {"high tag number (universal)", "1f 81 00 00", 0, DER_ERR_UNEXPECTED_TAG, 0, 0, 0},
    {"high tag number (context)", "9f 20 00", 0, DER_ERR_UNEXPECTED_TAG, 0, 0, 0},
    {"high tag number (constructed)", "bf 1f 00", 0, DER_ERR_UNEXPECTED_TAG, 0, 0, 0},
    {"end-of-contents tag 0", "00 00", 0, DER_ERR_UNEXPECTED_TAG, 0, 0, 0},
};

START_TEST(test_header_vectors)
{
    const struct header_vector *v = &header_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, v->fill);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    uint8_t tag = 0;
    struct der_cursor body = {0};
    struct der_cursor raw = {0};
    int rc = der_read_any(&in, &tag, &body, &raw);
    ck_assert_msg(rc == v->rc, "%s: der_read_any gave %d, expected %d", v->name, rc, v->rc);
    if (v->rc == DER_OK) {
        size_t whole = v->header_len + v->body_len;
        ck_assert_msg(tag == v->tag, "%s: tag", v->name);
        ck_assert_msg(body.p == bytes.data + v->header_len && body.left == v->body_len, "%s: body",
                      v->name);
        ck_assert_msg(raw.p == bytes.data && raw.left == whole, "%s: raw", v->name);
        ck_assert_msg(in.p == bytes.data + whole && in.left == bytes.len - whole,
                      "%s: cursor not moved past the element", v->name);
        struct der_cursor again = der_cursor_init(bytes.data, bytes.len);
        ck_assert_msg(der_peek_tag(&again, v->tag), "%s: peek", v->name);
    } else {
        assert_unmoved(&in, &bytes, v->name);
        /* Every entry point shares the header parser: check the others reject too. */
        if (bytes.len > 0) {
            ck_assert_msg(!der_peek_tag(&in, bytes.data[0]), "%s: peek accepted", v->name);
            ck_assert_int_eq(der_read_tagged(&in, bytes.data[0], &body), v->rc);
            ck_assert_int_eq(der_read_raw(&in, bytes.data[0], &raw), v->rc);
            assert_unmoved(&in, &bytes, v->name);
        }
    }
    test_bytes_free(&bytes);
}
END_TEST

START_TEST(test_expect_end)
{
    struct test_bytes bytes = test_hex("30 03 02 01 05 00", 0);
    struct der_cursor in = der_cursor_init(bytes.data, 0);
    ck_assert(der_is_empty(&in));
    ck_assert_int_eq(der_expect_end(&in), DER_OK);

    in = der_cursor_init(bytes.data, bytes.len);
    ck_assert(!der_is_empty(&in));
    ck_assert_int_eq(der_expect_end(&in), DER_ERR_TRAILING);
    struct der_cursor body;
    ck_assert_int_eq(der_read_sequence(&in, &body), DER_OK);
    /* One stray 00 after the SEQUENCE. */
    ck_assert_int_eq(der_expect_end(&in), DER_ERR_TRAILING);
    ck_assert_int_eq(der_read_small_int(&body, &(int64_t){0}), DER_OK);
    ck_assert_int_eq(der_expect_end(&body), DER_OK);
    test_bytes_free(&bytes);
}
END_TEST

START_TEST(test_tagged_reads)
{
    struct test_bytes bytes = test_hex("30 06 31 04 02 02 00 80", 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    struct der_cursor body, raw;

    ck_assert_int_eq(der_read_set(&in, &body), DER_ERR_UNEXPECTED_TAG);
    ck_assert_int_eq(der_read_tagged(&in, DER_TAG_CONTEXT(0), &body), DER_ERR_UNEXPECTED_TAG);
    ck_assert_int_eq(der_read_raw(&in, DER_TAG_INTEGER, &raw), DER_ERR_UNEXPECTED_TAG);
    assert_unmoved(&in, &bytes, "wrong tags");
    ck_assert(!der_peek_tag(&in, DER_TAG_SET));
    ck_assert(der_peek_tag(&in, DER_TAG_SEQUENCE));

    struct der_cursor copy = in;
    ck_assert_int_eq(der_read_raw(&copy, DER_TAG_SEQUENCE, &raw), DER_OK);
    ck_assert(raw.p == bytes.data && raw.left == bytes.len && der_is_empty(&copy));
    ck_assert_int_eq(der_read_tagged(&in, DER_TAG_SEQUENCE, NULL), DER_OK);
    ck_assert(der_is_empty(&in));

    /* Descending in place: der_read_sequence(&c, &c) leaves c on the contents. */
    in = der_cursor_init(bytes.data, bytes.len);
    ck_assert_int_eq(der_read_sequence(&in, &in), DER_OK);
    ck_assert(in.p == bytes.data + 2 && in.left == 6);
    ck_assert_int_eq(der_read_set(&in, &in), DER_OK);
    int64_t value;
    ck_assert_int_eq(der_read_small_int(&in, &value), DER_OK);
    ck_assert_int_eq(value, 128);
    ck_assert(der_is_empty(&in));

    struct der_cursor empty = der_cursor_init(NULL, 0);
    ck_assert_int_eq(der_read_tagged(&empty, DER_TAG_SEQUENCE, &body), DER_ERR_TRUNCATED);
    ck_assert(!der_peek_tag(&empty, DER_TAG_SEQUENCE));
    test_bytes_free(&bytes);
}
END_TEST

struct optional_vector {
    const char *name;
    const char *hex;
    uint8_t tag;
    int rc;
    bool is_present;
    size_t body_len;
    size_t consumed;
};

static const struct optional_vector optional_vectors[] = {
    {"present", "a0 03 02 01 02 02 01 05", 0xa0, DER_OK, true, 3, 5},
    {"absent: other tag", "02 01 05", 0xa0, DER_OK, false, 0, 0},
    {"absent: end of input", "", 0xa0, DER_OK, false, 0, 0},
    {"absent: next tag is [1]", "a1 00", 0xa0, DER_OK, false, 0, 0},
    {"present, truncated", "a0 05 02 01 02", 0xa0, DER_ERR_TRUNCATED, false, 0, 0},
    {"present, indefinite", "a0 80 02 01 02 00 00", 0xa0, DER_ERR_BAD_LENGTH, false, 0, 0},
    {"present, non-minimal length", "a0 81 03 02 01 02", 0xa0, DER_ERR_BAD_LENGTH, false, 0, 0},
    {"present, identifier only", "a0", 0xa0, DER_ERR_TRUNCATED, false, 0, 0},
};

START_TEST(test_optional_vectors)
{
    const struct optional_vector *v = &optional_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    struct der_cursor body = {0};
    bool is_present = !v->is_present;
    int rc = der_read_optional(&in, v->tag, &body, &is_present);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    ck_assert_msg(is_present == v->is_present, "%s: present", v->name);
    ck_assert_msg(in.p == bytes.data + v->consumed, "%s: cursor", v->name);
    if (v->is_present)
        ck_assert_msg(body.left == v->body_len, "%s: body", v->name);
    test_bytes_free(&bytes);
}
END_TEST

/* ---- Primitive readers ------------------------------------------------------------ */

struct integer_vector {
    const char *name;
    const char *hex;
    int rc;
    const char *value_hex; /* contents handed back by der_read_integer_bytes */
};

static const struct integer_vector integer_vectors[] = {
    {"zero", "02 01 00", DER_OK, "00"},
    {"127", "02 01 7f", DER_OK, "7f"},
    {"128 keeps its 00", "02 02 00 80", DER_OK, "00 80"},
    {"-1", "02 01 ff", DER_OK, "ff"},
    {"-128", "02 01 80", DER_OK, "80"},
    {"-129", "02 02 ff 7f", DER_OK, "ff 7f"},
    {"20-octet serial", "02 14 56 59 28 90 fb 4c b6 ae f2 3e 0a 30 81 c7 8b eb bd 4f 34 db", DER_OK,
     "56 59 28 90 fb 4c b6 ae f2 3e 0a 30 81 c7 8b eb bd 4f 34 db"},
    {"empty", "02 00", DER_ERR_BAD_VALUE, NULL},
    {"leading 00 before 7f", "02 02 00 7f", DER_ERR_BAD_VALUE, NULL},
    {"leading 00 00", "02 02 00 00", DER_ERR_BAD_VALUE, NULL},
    {"leading ff before 80", "02 02 ff 80", DER_ERR_BAD_VALUE, NULL},
    {"leading ff ff", "02 02 ff ff", DER_ERR_BAD_VALUE, NULL},
    {"ENUMERATED is not INTEGER", "0a 01 00", DER_ERR_UNEXPECTED_TAG, NULL},
    {"truncated", "02 02 01", DER_ERR_TRUNCATED, NULL},
};

START_TEST(test_integer_vectors)
{
    const struct integer_vector *v = &integer_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    const uint8_t *value = NULL;
    size_t len = 0;
    int rc = der_read_integer_bytes(&in, &value, &len);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc == DER_OK) {
        struct test_bytes want = test_hex(v->value_hex, 0);
        ck_assert_msg(len == want.len && memcmp(value, want.data, len) == 0, "%s", v->name);
        ck_assert(der_is_empty(&in));
        test_bytes_free(&want);
    } else {
        assert_unmoved(&in, &bytes, v->name);
    }
    test_bytes_free(&bytes);
}
END_TEST

struct small_int_vector {
    const char *name;
    const char *hex;
    int rc;
    int64_t value;
};

static const struct small_int_vector small_int_vectors[] = {
    {"0", "02 01 00", DER_OK, 0},
    {"1", "02 01 01", DER_OK, 1},
    {"127", "02 01 7f", DER_OK, 127},
    {"128", "02 02 00 80", DER_OK, 128},
    {"256", "02 02 01 00", DER_OK, 256},
    {"-1", "02 01 ff", DER_OK, -1},
    {"-128", "02 01 80", DER_OK, -128},
    {"-129", "02 02 ff 7f", DER_OK, -129},
    {"INT64_MAX", "02 08 7f ff ff ff ff ff ff ff", DER_OK, INT64_MAX},
    {"INT64_MIN", "02 08 80 00 00 00 00 00 00 00", DER_OK, INT64_MIN},
    {"2^63 does not fit", "02 09 00 80 00 00 00 00 00 00 00", DER_ERR_LIMIT, 0},
    {"-2^63-1 does not fit", "02 09 ff 7f ff ff ff ff ff ff ff", DER_ERR_LIMIT, 0},
    {"non-minimal", "02 02 00 01", DER_ERR_BAD_VALUE, 0},
    {"non-minimal negative", "02 02 ff ff", DER_ERR_BAD_VALUE, 0},
    {"empty", "02 00", DER_ERR_BAD_VALUE, 0},
    {"wrong tag", "04 01 00", DER_ERR_UNEXPECTED_TAG, 0},
};

START_TEST(test_small_int_vectors)
{
    const struct small_int_vector *v = &small_int_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    int64_t value = 12345;
    int rc = der_read_small_int(&in, &value);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc == DER_OK) {
        ck_assert_msg(value == v->value, "%s: got %lld", v->name, (long long)value);
        ck_assert(der_is_empty(&in));
    } else {
        ck_assert_msg(value == 12345, "%s: value written on failure", v->name);
        assert_unmoved(&in, &bytes, v->name);
    }
    test_bytes_free(&bytes);
}
END_TEST

struct enumerated_vector {
    const char *name;
    const char *hex;
    int rc;
    int value;
};

static const struct enumerated_vector enumerated_vectors[] = {
    {"0 (successful)", "0a 01 00", DER_OK, 0},
    {"6 (unauthorized)", "0a 01 06", DER_OK, 6},
    {"128", "0a 02 00 80", DER_OK, 128},
    {"INT_MAX", "0a 04 7f ff ff ff", DER_OK, INT_MAX},
    {"-1", "0a 01 ff", DER_ERR_BAD_VALUE, 0},
    {"INT_MAX + 1", "0a 05 00 80 00 00 00", DER_ERR_LIMIT, 0},
    {"empty", "0a 00", DER_ERR_BAD_VALUE, 0},
    {"non-minimal", "0a 02 00 05", DER_ERR_BAD_VALUE, 0},
    {"INTEGER is not ENUMERATED", "02 01 00", DER_ERR_UNEXPECTED_TAG, 0},
};

START_TEST(test_enumerated_vectors)
{
    const struct enumerated_vector *v = &enumerated_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    int value = -7;
    int rc = der_read_enumerated(&in, &value);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc == DER_OK)
        ck_assert_msg(value == v->value && der_is_empty(&in), "%s", v->name);
    else
        assert_unmoved(&in, &bytes, v->name);
    test_bytes_free(&bytes);
}
END_TEST

struct boolean_vector {
    const char *name;
    const char *hex;
    int rc;
    bool value;
};

static const struct boolean_vector boolean_vectors[] = {
    {"TRUE", "01 01 ff", DER_OK, true},
    {"FALSE", "01 01 00", DER_OK, false},
    {"BER true 01", "01 01 01", DER_ERR_BAD_VALUE, false},
    {"BER true fe", "01 01 fe", DER_ERR_BAD_VALUE, false},
    {"empty", "01 00", DER_ERR_BAD_VALUE, false},
    {"two octets", "01 02 ff ff", DER_ERR_BAD_VALUE, false},
    {"INTEGER tag", "02 01 ff", DER_ERR_UNEXPECTED_TAG, false},
    {"truncated", "01 01", DER_ERR_TRUNCATED, false},
};

START_TEST(test_boolean_vectors)
{
    const struct boolean_vector *v = &boolean_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    bool value = !v->value;
    int rc = der_read_boolean(&in, &value);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc == DER_OK)
        ck_assert_msg(value == v->value && der_is_empty(&in), "%s", v->name);
    else
        assert_unmoved(&in, &bytes, v->name);
    test_bytes_free(&bytes);
}
END_TEST

struct simple_vector {
    const char *name;
    const char *hex;
    int rc;
};

static const struct simple_vector null_vectors[] = {
    {"NULL", "05 00", DER_OK},
    {"NULL with contents", "05 01 00", DER_ERR_BAD_VALUE},
    {"OCTET STRING tag", "04 00", DER_ERR_UNEXPECTED_TAG},
    {"truncated", "05", DER_ERR_TRUNCATED},
};

START_TEST(test_null_vectors)
{
    const struct simple_vector *v = &null_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    int rc = der_read_null(&in);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc == DER_OK)
        ck_assert(der_is_empty(&in));
    else
        assert_unmoved(&in, &bytes, v->name);
    test_bytes_free(&bytes);
}
END_TEST

struct octet_string_vector {
    const char *name;
    const char *hex;
    int rc;
    size_t len;
};

static const struct octet_string_vector octet_string_vectors[] = {
    {"empty", "04 00", DER_OK, 0},
    {"two octets", "04 02 01 02", DER_OK, 2},
    {"constructed (BER only)", "24 04 04 02 01 02", DER_ERR_UNEXPECTED_TAG, 0},
    {"truncated", "04 03 01", DER_ERR_TRUNCATED, 0},
};

START_TEST(test_octet_string_vectors)
{
    const struct octet_string_vector *v = &octet_string_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    const uint8_t *value = NULL;
    size_t len = 99;
    int rc = der_read_octet_string(&in, &value, &len);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc == DER_OK)
        ck_assert_msg(len == v->len && value == bytes.data + 2 && der_is_empty(&in), "%s", v->name);
    else
        assert_unmoved(&in, &bytes, v->name);
    test_bytes_free(&bytes);
}
END_TEST

struct bit_string_vector {
    const char *name;
    const char *hex;
    int rc;
    unsigned unused_bits;
    size_t len;
};

static const struct bit_string_vector bit_string_vectors[] = {
    {"empty", "03 01 00", DER_OK, 0, 0},
    {"one full octet", "03 02 00 ff", DER_OK, 0, 1},
    {"7 unused, zero", "03 02 07 80", DER_OK, 7, 1},
    {"4 unused, zero", "03 03 04 ff f0", DER_OK, 4, 2},
    {"no unused-bits octet", "03 00", DER_ERR_BAD_VALUE, 0, 0},
    {"unused bits on empty string", "03 01 01", DER_ERR_BAD_VALUE, 0, 0},
    {"8 unused bits", "03 02 08 00", DER_ERR_BAD_VALUE, 0, 0},
    {"unused bit set", "03 02 01 01", DER_ERR_BAD_VALUE, 0, 0},
    {"unused bits set (4)", "03 03 04 ff f8", DER_ERR_BAD_VALUE, 0, 0},
    {"constructed (BER only)", "23 03 03 01 00", DER_ERR_UNEXPECTED_TAG, 0, 0},
    {"OCTET STRING tag", "04 01 00", DER_ERR_UNEXPECTED_TAG, 0, 0},
};

START_TEST(test_bit_string_vectors)
{
    const struct bit_string_vector *v = &bit_string_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    const uint8_t *bits = NULL;
    size_t len = 99;
    unsigned unused = 99;
    int rc = der_read_bit_string(&in, &bits, &len, &unused);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc == DER_OK) {
        ck_assert_msg(unused == v->unused_bits && len == v->len && bits == bytes.data + 3, "%s",
                      v->name);
        ck_assert(der_is_empty(&in));
    } else {
        assert_unmoved(&in, &bytes, v->name);
    }
    test_bytes_free(&bytes);
}
END_TEST

/* ---- Times -------------------------------------------------------------------------- */

struct time_vector {
    const char *name;
    uint8_t tag;
    const char *text;
    int rc;
    int64_t unix_seconds;
};

#define UTC DER_TAG_UTC_TIME
#define GEN DER_TAG_GENERALIZED_TIME

static const struct time_vector time_vectors[] = {
    {"UTC epoch", UTC, "700101000000Z", DER_OK, 0},
    {"UTC a certificate's notBefore", UTC, "261125122234Z", DER_OK, 1795609354},
    {"UTC last second (2049)", UTC, "491231235959Z", DER_OK, 2524607999},
    {"UTC first second (1950)", UTC, "500101000000Z", DER_OK, -631152000},
    {"UTC one second before the epoch", UTC, "691231235959Z", DER_OK, -1},
    {"UTC leap day 2000", UTC, "000229000000Z", DER_OK, 951782400},
    {"UTC leap day 1996 noon", UTC, "960229120000Z", DER_OK, 825595200},
    {"GEN epoch", GEN, "19700101000000Z", DER_OK, 0},
    {"GEN 2050", GEN, "20500101000000Z", DER_OK, 2524608000},
    {"GEN 1949", GEN, "19491231235959Z", DER_OK, -631152001},
    {"GEN leap day 2000", GEN, "20000229000000Z", DER_OK, 951782400},
    {"GEN leap day 2400", GEN, "24000229000000Z", DER_OK, 13574563200},
    {"GEN leap day 1600", GEN, "16000229000000Z", DER_OK, -11670998400},
    {"GEN 2100-03-01", GEN, "21000301000000Z", DER_OK, 4107542400},
    {"GEN year 0000", GEN, "00000101000000Z", DER_OK, -62167219200},
    {"GEN year 9999", GEN, "99991231235959Z", DER_OK, 253402300799},
    {"GEN fraction .5 dropped", GEN, "20261125122234.5Z", DER_OK, 1795609354},
    {"GEN fraction .123456789", GEN, "20261125122234.123456789Z", DER_OK, 1795609354},

    {"UTC without seconds", UTC, "7001010000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC without Z", UTC, "700101000000", DER_ERR_BAD_VALUE, 0},
    {"UTC one digit too many", UTC, "7001010000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC lowercase z", UTC, "700101000000z", DER_ERR_BAD_VALUE, 0},
    {"UTC offset instead of Z", UTC, "700101000000+0000", DER_ERR_BAD_VALUE, 0},
    {"UTC letter in year", UTC, "7a0101000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC space in year", UTC, " 70101000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC sign in month", UTC, "70-101000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC month 0", UTC, "700001000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC month 13", UTC, "701301000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC day 0", UTC, "700100000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC day 32", UTC, "700132000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC 31 April", UTC, "700431000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC 29 Feb 2001", UTC, "010229000000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC hour 24", UTC, "700101240000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC minute 60", UTC, "700101006000Z", DER_ERR_BAD_VALUE, 0},
    {"UTC second 60", UTC, "700101000060Z", DER_ERR_BAD_VALUE, 0},
    {"UTC with fraction", UTC, "700101000000.5Z", DER_ERR_BAD_VALUE, 0},
    {"UTC empty", UTC, "", DER_ERR_BAD_VALUE, 0},
    {"GEN 29 Feb 1900", GEN, "19000229000000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN 29 Feb 2100", GEN, "21000229000000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN 29 Feb 2023", GEN, "20230229000000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN 30 Feb 2024", GEN, "20240230000000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN 31 June", GEN, "20240631000000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN month 13", GEN, "20241301000000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN hour 24", GEN, "20240101240000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN second 60", GEN, "20241231235960Z", DER_ERR_BAD_VALUE, 0},
    {"GEN without Z", GEN, "20240101000000", DER_ERR_BAD_VALUE, 0},
    {"GEN without seconds", GEN, "202401010000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN two-digit year", GEN, "240101000000Z", DER_ERR_BAD_VALUE, 0},
    {"GEN empty fraction", GEN, "20240101000000.Z", DER_ERR_BAD_VALUE, 0},
    {"GEN fraction ends in 0", GEN, "20240101000000.50Z", DER_ERR_BAD_VALUE, 0},
    {"GEN fraction .0", GEN, "20240101000000.0Z", DER_ERR_BAD_VALUE, 0},
    {"GEN comma fraction", GEN, "20240101000000,5Z", DER_ERR_BAD_VALUE, 0},
    {"GEN fraction without Z", GEN, "20240101000000.5", DER_ERR_BAD_VALUE, 0},
    {"GEN letter in fraction", GEN, "20240101000000.5aZ", DER_ERR_BAD_VALUE, 0},
    {"GEN offset", GEN, "20240101000000+0100", DER_ERR_BAD_VALUE, 0},
    {"GEN letter in seconds", GEN, "2024010100000aZ", DER_ERR_BAD_VALUE, 0},
    {"GEN Z then more", GEN, "20240101000000Z0", DER_ERR_BAD_VALUE, 0},
    {"OCTET STRING tag", DER_TAG_OCTET_STRING, "700101000000Z", DER_ERR_UNEXPECTED_TAG, 0},
};

START_TEST(test_time_vectors)
{
    const struct time_vector *v = &time_vectors[_i];
    size_t text_len = strlen(v->text);
    struct test_bytes bytes = test_hex("", 2 + text_len);
    bytes.data[0] = v->tag;
    bytes.data[1] = (uint8_t)text_len;
    memcpy(bytes.data + 2, v->text, text_len);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    int64_t seconds = 42;
    int rc = der_read_time(&in, &seconds);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc != DER_OK) {
        assert_unmoved(&in, &bytes, v->name);
        ck_assert_msg(seconds == 42, "%s: value written on failure", v->name);
        test_bytes_free(&bytes);
        return;
    }
    ck_assert_msg(seconds == v->unix_seconds, "%s: got %lld", v->name, (long long)seconds);
    ck_assert(der_is_empty(&in));

    /* Without a fraction, our writer produces exactly these bytes again. */
    if (strchr(v->text, '.') == NULL) {
        struct der_buf buf = {0};
        if (v->tag == UTC)
            ck_assert_int_eq(der_write_utc_time(&buf, seconds), DER_OK);
        else
            ck_assert_int_eq(der_write_generalized_time(&buf, seconds), DER_OK);
        ck_assert_msg(buf.len == bytes.len && memcmp(buf.data, bytes.data, bytes.len) == 0,
                      "%s: writer disagrees", v->name);
        der_buf_free(&buf);
    }
    test_bytes_free(&bytes);
}
END_TEST

#undef UTC
#undef GEN

/* ---- Object identifiers ------------------------------------------------------------ */

struct oid_read_vector {
    const char *name;
    const char *hex;
    int rc;
    const char *dotted; /* what der_oid_to_string gives, NULL when it must fail */
};

static const struct oid_read_vector oid_read_vectors[] = {
    {"commonName", "06 03 55 04 03", DER_OK, "2.5.4.3"},
    {"id-pkix-ocsp-basic", "06 09 2b 06 01 05 05 07 30 01 01", DER_OK, "1.3.6.1.5.5.7.48.1.1"},
    {"ecdsa-with-SHA256", "06 08 2a 86 48 ce 3d 04 03 02", DER_OK, "1.2.840.10045.4.3.2"},
    {"0.0", "06 01 00", DER_OK, "0.0"},
    {"0.39", "06 01 27", DER_OK, "0.39"},
    {"1.0", "06 01 28", DER_OK, "1.0"},
    {"1.39", "06 01 4f", DER_OK, "1.39"},
    {"2.0", "06 01 50", DER_OK, "2.0"},
    {"2.999", "06 02 88 37", DER_OK, "2.999"},
    {"largest 64-bit first subidentifier", "06 0a 81 ff ff ff ff ff ff ff ff 7f", DER_OK,
     "2.18446744073709551535"},
    {"arc above 64 bits (valid DER, no text)", "06 0b 2a 82 80 80 80 80 80 80 80 80 00", DER_OK,
     NULL},
    {"empty", "06 00", DER_ERR_BAD_VALUE, NULL},
    {"last octet continues", "06 02 2b 86", DER_ERR_BAD_VALUE, NULL},
    {"arc padded with 80", "06 03 2b 80 01", DER_ERR_BAD_VALUE, NULL},
    {"first arc padded with 80", "06 02 80 01", DER_ERR_BAD_VALUE, NULL},
    {"only 80", "06 01 80", DER_ERR_BAD_VALUE, NULL},
    {"OCTET STRING tag", "04 01 00", DER_ERR_UNEXPECTED_TAG, NULL},
};

START_TEST(test_oid_read_vectors)
{
    const struct oid_read_vector *v = &oid_read_vectors[_i];
    struct test_bytes bytes = test_hex(v->hex, 0);
    struct der_cursor in = der_cursor_init(bytes.data, bytes.len);
    struct der_cursor oid = {0};
    int rc = der_read_oid(&in, &oid);
    ck_assert_msg(rc == v->rc, "%s: rc %d", v->name, rc);
    if (rc != DER_OK) {
        assert_unmoved(&in, &bytes, v->name);
        /* Malformed contents handed straight to the helpers are refused too. */
        if (v->rc == DER_ERR_BAD_VALUE) {
            struct der_cursor contents = der_cursor_init(bytes.data + 2, bytes.len - 2);
            char text[64] = "x";
            ck_assert(!der_oid_equals(&contents, "1.3"));
            ck_assert_int_eq(der_oid_to_string(&contents, text, sizeof text), DER_ERR_BAD_VALUE);
            ck_assert_str_eq(text, "");
        }
        test_bytes_free(&bytes);
        return;
    }
    ck_assert(oid.p == bytes.data + 2 && oid.left == bytes.len - 2 && der_is_empty(&in));
    char text[64];
    rc = der_oid_to_string(&oid, text, sizeof text);
    if (v->dotted == NULL) {
        ck_assert_msg(rc == DER_ERR_LIMIT, "%s: rc %d", v->name, rc);
        ck_assert_str_eq(text, "");
    } else {
        ck_assert_msg(rc == DER_OK, "%s: rc %d", v->name, rc);
        ck_assert_str_eq(text, v->dotted);
        ck_assert_msg(der_oid_equals(&oid, v->dotted), "%s: equals", v->name);
    }
    test_bytes_free(&bytes);
}
END_TEST

struct oid_text_vector {
    const char *dotted;
    int rc;
    const char *hex; /* encoded contents */
};

static const struct oid_text_vector oid_text_vectors[] = {
    {"2.5.4.3", DER_OK, "55 04 03"},
    {"1.3.6.1.5.5.7.48.1", DER_OK, "2b 06 01 05 05 07 30 01"},
    {"1.2.840.113549.1.1.11", DER_OK, "2a 86 48 86 f7 0d 01 01 0b"},
    {"0.0", DER_OK, "00"},
    {"0.39", DER_OK, "27"},
    {"1.39", DER_OK, "4f"},
    {"2.40", DER_OK, "78"},
    {"2.999", DER_OK, "88 37"},
    {"1.2.18446744073709551615", DER_OK, "2a 81 ff ff ff ff ff ff ff ff 7f"},
    {"2.18446744073709551535", DER_OK, "81 ff ff ff ff ff ff ff ff 7f"},
    {"", DER_ERR_BAD_VALUE, NULL},
    {"1", DER_ERR_BAD_VALUE, NULL},
    {"3.1", DER_ERR_BAD_VALUE, NULL},
    {"0.40", DER_ERR_BAD_VALUE, NULL},
    {"1.40", DER_ERR_BAD_VALUE, NULL},
    {"1..2", DER_ERR_BAD_VALUE, NULL},
    {"1.2.", DER_ERR_BAD_VALUE, NULL},
    {".1.2", DER_ERR_BAD_VALUE, NULL},
    {"1.2a", DER_ERR_BAD_VALUE, NULL},
    {"01.2", DER_ERR_BAD_VALUE, NULL},
    {"1.02", DER_ERR_BAD_VALUE, NULL},
    {"1.2.-3", DER_ERR_BAD_VALUE, NULL},
    {"+1.2", DER_ERR_BAD_VALUE, NULL},
    {" 1.2", DER_ERR_BAD_VALUE, NULL},
    {"1.2 ", DER_ERR_BAD_VALUE, NULL},
    {"1.2.18446744073709551616", DER_ERR_BAD_VALUE, NULL},
    {"2.18446744073709551536", DER_ERR_BAD_VALUE, NULL},
};

START_TEST(test_oid_text_vectors)
{
    const struct oid_text_vector *v = &oid_text_vectors[_i];
    uint8_t encoded[64];
    size_t len = 0;
    int rc = der_oid_encode(v->dotted, encoded, sizeof encoded, &len);
    ck_assert_msg(rc == v->rc, "'%s': rc %d", v->dotted, rc);

    struct der_buf buf = {0};
    rc = der_write_oid(&buf, v->dotted);
    ck_assert_msg(rc == v->rc, "'%s': der_write_oid rc %d", v->dotted, rc);
    if (v->rc != DER_OK) {
        ck_assert_int_eq(buf.len, 0);
        der_buf_free(&buf);
        return;
    }

    struct test_bytes want = test_hex(v->hex, 0);
    ck_assert_msg(len == want.len && memcmp(encoded, want.data, len) == 0, "'%s'", v->dotted);
    size_t measured = 0;
    ck_assert_int_eq(der_oid_encode(v->dotted, NULL, 0, &measured), DER_OK);
    ck_assert_uint_eq(measured, len);
    ck_assert_int_eq(der_oid_encode(v->dotted, encoded, len - 1, &measured), DER_ERR_LIMIT);

    /* writer -> reader -> text gives the same OID back. */
    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    struct der_cursor oid;
    ck_assert_int_eq(der_read_oid(&in, &oid), DER_OK);
    ck_assert(der_is_empty(&in));
    ck_assert(oid.left == want.len && memcmp(oid.p, want.data, want.len) == 0);
    ck_assert(der_oid_equals(&oid, v->dotted));
    char text[64];
    ck_assert_int_eq(der_oid_to_string(&oid, text, sizeof text), DER_OK);
    ck_assert_str_eq(text, v->dotted);
    test_bytes_free(&want);
    der_buf_free(&buf);
}
END_TEST

START_TEST(test_oid_equals_and_text_limits)
{
    static const uint8_t common_name[] = {0x55, 0x04, 0x03};
    struct der_cursor oid = der_cursor_init(common_name, sizeof common_name);
    ck_assert(der_oid_equals(&oid, "2.5.4.3"));
    ck_assert(!der_oid_equals(&oid, "2.5.4"));
    ck_assert(!der_oid_equals(&oid, "2.5.4.3.1"));
    ck_assert(!der_oid_equals(&oid, "2.5.4.4"));
    ck_assert(!der_oid_equals(&oid, "2.5.4.03"));
    ck_assert(!der_oid_equals(&oid, "2.5.4.3."));
    ck_assert(!der_oid_equals(&oid, ""));
    ck_assert(!der_oid_equals(&oid, NULL));

    /* "2.5.4.3" needs 8 bytes with its NUL: one short is a refusal, not a cut. */
    char text[8];
    ck_assert_int_eq(der_oid_to_string(&oid, text, 8), DER_OK);
    ck_assert_str_eq(text, "2.5.4.3");
    ck_assert_int_eq(der_oid_to_string(&oid, text, 7), DER_ERR_LIMIT);
    ck_assert_str_eq(text, "");
    ck_assert_int_eq(der_oid_to_string(&oid, text, 2), DER_ERR_LIMIT);
    ck_assert_int_eq(der_oid_to_string(&oid, text, 0), DER_ERR_LIMIT);
}
END_TEST

/* ---- A real certificate, whole and cut at every byte -------------------------------- */

/* openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=t
 *   -days 1 -outform DER   (OpenSSL 3.0: v3 with SKI, AKI and critical basicConstraints) */
static const uint8_t test_certificate[] = {
    0x30, 0x82, 0x01, 0x6e, 0x30, 0x82, 0x01, 0x13, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x56,
    0x59, 0x28, 0x90, 0xfb, 0x4c, 0xb6, 0xae, 0xf2, 0x3e, 0x0a, 0x30, 0x81, 0xc7, 0x8b, 0xeb, 0xbd,
    0x4f, 0x34, 0xdb, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 0x74, 0x30, 0x1e, 0x17,
    0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x35, 0x31, 0x32, 0x32, 0x32, 0x33, 0x34, 0x5a, 0x17, 0x0d,
    0x32, 0x36, 0x31, 0x31, 0x32, 0x36, 0x31, 0x32, 0x32, 0x32, 0x33, 0x34, 0x5a, 0x30, 0x0c, 0x31,
    0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 0x74, 0x30, 0x59, 0x30, 0x13, 0x06,
    0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
    0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x15, 0x21, 0xd5, 0xd3, 0xe3, 0x11, 0xdd, 0x9d, 0x88, 0xc1,
    0x76, 0x2a, 0x3f, 0x01, 0x8d, 0x84, 0x8a, 0xff, 0x70, 0x84, 0xea, 0x5e, 0x07, 0xd0, 0xe4, 0x91,
    0x94, 0x82, 0x31, 0xf9, 0xcd, 0xac, 0x16, 0x63, 0xd2, 0xb8, 0xd7, 0x9b, 0x17, 0x83, 0x62, 0xf1,
    0xd7, 0x7f, 0x46, 0xba, 0xdd, 0x75, 0x79, 0x9e, 0x21, 0x1f, 0xed, 0xa4, 0x2e, 0xfd, 0xad, 0x25,
    0xbd, 0x91, 0xab, 0x1e, 0x6d, 0x34, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d,
    0x0e, 0x04, 0x16, 0x04, 0x14, 0x64, 0x0c, 0xe9, 0x0f, 0xba, 0xcf, 0x54, 0xea, 0xd6, 0xd4, 0x08,
    0x34, 0x35, 0xde, 0x71, 0x4a, 0x0f, 0x29, 0xa4, 0x0d, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23,
    0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x64, 0x0c, 0xe9, 0x0f, 0xba, 0xcf, 0x54, 0xea, 0xd6, 0xd4,
    0x08, 0x34, 0x35, 0xde, 0x71, 0x4a, 0x0f, 0x29, 0xa4, 0x0d, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d,
    0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00, 0xa4,
    0x15, 0x32, 0x6d, 0x92, 0x9b, 0x98, 0xfb, 0x4d, 0x15, 0xf2, 0xc3, 0x2f, 0x1b, 0xea, 0xdc, 0xdf,
    0xd1, 0xc3, 0x40, 0xea, 0x40, 0x79, 0xf0, 0x06, 0xd2, 0x8d, 0x88, 0xcc, 0xe6, 0xc5, 0xe5, 0x02,
    0x21, 0x00, 0xbe, 0x67, 0xe3, 0x49, 0x45, 0x74, 0xea, 0x11, 0x27, 0xbc, 0x7b, 0x4b, 0xec, 0xd4,
    0xd1, 0xf4, 0x8e, 0x13, 0xfd, 0xff, 0x57, 0xc3, 0x9f, 0xa1, 0xfc, 0xad, 0x85, 0x39, 0xcf, 0x35,
    0xb7, 0xed};

#define TEST_TEXT_MAX 64
#define TRY(call)                                                                                  \
    do {                                                                                           \
        int try_rc = (call);                                                                       \
        if (try_rc != DER_OK)                                                                      \
            return try_rc;                                                                         \
    } while (0)

struct test_cert_facts {
    int64_t version;
    size_t serial_len;
    char tbs_signature_oid[TEST_TEXT_MAX];
    char issuer_cn[TEST_TEXT_MAX];
    int64_t not_before;
    int64_t not_after;
    char subject_cn[TEST_TEXT_MAX];
    char key_oid[TEST_TEXT_MAX];
    char curve_oid[TEST_TEXT_MAX];
    size_t key_len;
    size_t extension_count;
    bool is_ca;
    bool is_basic_constraints_critical;
    char signature_oid[TEST_TEXT_MAX];
    size_t signature_len;
    struct der_cursor tbs_raw;
};

/* AlgorithmIdentifier: OID and optional NULL or OID parameters. */
static int walk_algorithm(struct der_cursor *in, char *oid_text, char *parameter_text)
{
    struct der_cursor algorithm, oid;
    TRY(der_read_sequence(in, &algorithm));
    TRY(der_read_oid(&algorithm, &oid));
    TRY(der_oid_to_string(&oid, oid_text, TEST_TEXT_MAX));
    parameter_text[0] = '\0';
    if (der_peek_tag(&algorithm, DER_TAG_NULL)) {
        TRY(der_read_null(&algorithm));
    } else if (!der_is_empty(&algorithm)) {
        TRY(der_read_oid(&algorithm, &oid));
        TRY(der_oid_to_string(&oid, parameter_text, TEST_TEXT_MAX));
    }
    return der_expect_end(&algorithm);
}

/* Name: SEQUENCE OF SET OF SEQUENCE { type, value }; keeps the commonName. */
static int walk_name(struct der_cursor *in, char *common_name)
{
    struct der_cursor name;
    common_name[0] = '\0';
    TRY(der_read_sequence(in, &name));
    while (!der_is_empty(&name)) {
        struct der_cursor rdn;
        TRY(der_read_set(&name, &rdn));
        while (!der_is_empty(&rdn)) {
            struct der_cursor attribute, type, value;
            uint8_t tag;
            TRY(der_read_sequence(&rdn, &attribute));
            TRY(der_read_oid(&attribute, &type));
            TRY(der_read_any(&attribute, &tag, &value, NULL));
            TRY(der_expect_end(&attribute));
            if (der_oid_equals(&type, "2.5.4.3") && value.left < TEST_TEXT_MAX) {
                memcpy(common_name, value.p, value.left);
                common_name[value.left] = '\0';
            }
        }
    }
    return DER_OK;
}

static int walk_extensions(struct der_cursor *in, struct test_cert_facts *facts)
{
    struct der_cursor wrapper, extensions;
    /* Required here, though OPTIONAL in RFC 5280: this certificate has them, and a
     * prefix that stops just before them must not pass as complete. */
    TRY(der_read_tagged(in, DER_TAG_CONTEXT(3), &wrapper));
    TRY(der_read_sequence(&wrapper, &extensions));
    TRY(der_expect_end(&wrapper));
    while (!der_is_empty(&extensions)) {
        struct der_cursor extension, oid;
        bool is_critical = false;
        const uint8_t *value;
        size_t value_len;
        TRY(der_read_sequence(&extensions, &extension));
        TRY(der_read_oid(&extension, &oid));
        if (der_peek_tag(&extension, DER_TAG_BOOLEAN))
            TRY(der_read_boolean(&extension, &is_critical));
        TRY(der_read_octet_string(&extension, &value, &value_len));
        TRY(der_expect_end(&extension));
        facts->extension_count++;
        if (der_oid_equals(&oid, "2.5.29.19")) {
            /* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... } */
            struct der_cursor wrapped = der_cursor_init(value, value_len), constraints;
            TRY(der_read_sequence(&wrapped, &constraints));
            TRY(der_expect_end(&wrapped));
            if (der_peek_tag(&constraints, DER_TAG_BOOLEAN))
                TRY(der_read_boolean(&constraints, &facts->is_ca));
            facts->is_basic_constraints_critical = is_critical;
        }
    }
    return DER_OK;
}

/* TBSCertificate contents (RFC 5280 4.1), all of it, in order. */
static int walk_tbs(struct der_cursor tbs, struct test_cert_facts *facts)
{
    struct der_cursor version, validity, key_info, ignored;
    bool has_version, has_unique_id;
    char no_parameters[TEST_TEXT_MAX];
    const uint8_t *bytes;
    unsigned unused_bits;

    memset(facts, 0, sizeof *facts);
    TRY(der_read_optional(&tbs, DER_TAG_CONTEXT(0), &version, &has_version));
    if (has_version) {
        TRY(der_read_small_int(&version, &facts->version));
        TRY(der_expect_end(&version));
    }
    TRY(der_read_integer_bytes(&tbs, &bytes, &facts->serial_len));
    TRY(walk_algorithm(&tbs, facts->tbs_signature_oid, no_parameters));
    TRY(walk_name(&tbs, facts->issuer_cn));
    TRY(der_read_sequence(&tbs, &validity));
    TRY(der_read_time(&validity, &facts->not_before));
    TRY(der_read_time(&validity, &facts->not_after));
    TRY(der_expect_end(&validity));
    TRY(walk_name(&tbs, facts->subject_cn));
    TRY(der_read_sequence(&tbs, &key_info));
    TRY(walk_algorithm(&key_info, facts->key_oid, facts->curve_oid));
    TRY(der_read_bit_string(&key_info, &bytes, &facts->key_len, &unused_bits));
    TRY(der_expect_end(&key_info));
    /* issuerUniqueID [1] and subjectUniqueID [2] are absent in practice. */
    TRY(der_read_optional(&tbs, DER_TAG_CONTEXT_PRIMITIVE(1), &ignored, &has_unique_id));
    TRY(der_read_optional(&tbs, DER_TAG_CONTEXT_PRIMITIVE(2), &ignored, &has_unique_id));
    TRY(walk_extensions(&tbs, facts));
    return der_expect_end(&tbs);
}

static int walk_certificate(const uint8_t *data, size_t len, struct test_cert_facts *facts)
{
    struct der_cursor in = der_cursor_init(data, len);
    struct der_cursor certificate, tbs_raw, tbs;
    struct test_cert_facts tbs_facts;
    char no_parameters[TEST_TEXT_MAX];
    const uint8_t *signature;
    unsigned unused_bits;

    TRY(der_read_sequence(&in, &certificate));
    TRY(der_expect_end(&in));
    TRY(der_read_raw(&certificate, DER_TAG_SEQUENCE, &tbs_raw));
    struct der_cursor tbs_outer = tbs_raw;
    TRY(der_read_sequence(&tbs_outer, &tbs));
    TRY(walk_tbs(tbs, &tbs_facts));
    *facts = tbs_facts;
    facts->tbs_raw = tbs_raw;
    TRY(walk_algorithm(&certificate, facts->signature_oid, no_parameters));
    TRY(der_read_bit_string(&certificate, &signature, &facts->signature_len, &unused_bits));
    if (unused_bits != 0)
        return DER_ERR_BAD_VALUE;
    return der_expect_end(&certificate);
}

START_TEST(test_certificate_walk)
{
    struct test_bytes cert = test_copy(test_certificate, sizeof test_certificate);
    struct test_cert_facts facts;
    ck_assert_int_eq(walk_certificate(cert.data, cert.len, &facts), DER_OK);
    ck_assert_int_eq(facts.version, 2);
    ck_assert_uint_eq(facts.serial_len, 20);
    ck_assert_str_eq(facts.tbs_signature_oid, "1.2.840.10045.4.3.2");
    ck_assert_str_eq(facts.signature_oid, "1.2.840.10045.4.3.2");
    ck_assert_str_eq(facts.issuer_cn, "t");
    ck_assert_str_eq(facts.subject_cn, "t");
    ck_assert_int_eq(facts.not_before, 1795609354); /* 2026-11-25 12:22:34 UTC */
    ck_assert_int_eq(facts.not_after - facts.not_before, 86400);
    ck_assert_str_eq(facts.key_oid, "1.2.840.10045.2.1");
    ck_assert_str_eq(facts.curve_oid, "1.2.840.10045.3.1.7");
    ck_assert_uint_eq(facts.key_len, 65); /* uncompressed P-256 point */
    ck_assert_uint_eq(facts.extension_count, 3);
    ck_assert(facts.is_ca);
    ck_assert(facts.is_basic_constraints_critical);
    ck_assert_uint_eq(facts.signature_len, 72);
    /* The signed bytes start after the outer header (30 82 01 6e). */
    ck_assert(facts.tbs_raw.p == cert.data + 4 && facts.tbs_raw.left == 4 + 275);
    test_bytes_free(&cert);
}
END_TEST

START_TEST(test_certificate_every_prefix_truncated)
{
    struct test_cert_facts facts;
    for (size_t cut = 0; cut < sizeof test_certificate; cut++) {
        /* An exact-size heap copy: a read past the cut is an ASan report. */
        struct test_bytes prefix = test_copy(test_certificate, cut);
        int rc = walk_certificate(prefix.data, prefix.len, &facts);
        ck_assert_msg(rc == DER_ERR_TRUNCATED, "prefix of %zu bytes: rc %d", cut, rc);
        test_bytes_free(&prefix);
    }
}
END_TEST

/* The outer SEQUENCE's length makes every whole-certificate prefix fail at once;
 * cutting the TBSCertificate contents instead exercises every inner element. */
START_TEST(test_certificate_every_tbs_prefix_truncated)
{
    struct der_cursor in = der_cursor_init(test_certificate, sizeof test_certificate);
    struct der_cursor certificate, tbs;
    struct test_cert_facts facts;
    ck_assert_int_eq(der_read_sequence(&in, &certificate), DER_OK);
    ck_assert_int_eq(der_read_sequence(&certificate, &tbs), DER_OK);
    ck_assert_int_eq(walk_tbs(tbs, &facts), DER_OK);
    for (size_t cut = 0; cut < tbs.left; cut++) {
        struct test_bytes prefix = test_copy(tbs.p, cut);
        int rc = walk_tbs(der_cursor_init(prefix.data, prefix.len), &facts);
        ck_assert_msg(rc == DER_ERR_TRUNCATED, "TBS cut at %zu of %zu: rc %d", cut, tbs.left, rc);
        test_bytes_free(&prefix);
    }
}
END_TEST

START_TEST(test_certificate_trailing_bytes)
{
    static const char *const tails[] = {"00", "05 00", "30 00"};
    struct test_cert_facts facts;
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        struct test_bytes tail = test_hex(tails[i], 0);
        struct test_bytes cert = test_hex("", sizeof test_certificate + tail.len);
        memcpy(cert.data, test_certificate, sizeof test_certificate);
        memcpy(cert.data + sizeof test_certificate, tail.data, tail.len);
        int rc = walk_certificate(cert.data, cert.len, &facts);
        ck_assert_msg(rc == DER_ERR_TRAILING, "tail %s: rc %d", tails[i], rc);
        test_bytes_free(&tail);
        test_bytes_free(&cert);
    }
}
END_TEST

/* ---- Writer ------------------------------------------------------------------------- */

struct unsigned_integer_vector {
    const char *magnitude;
    const char *encoding;
};

static const struct unsigned_integer_vector unsigned_integer_vectors[] = {
    {"", "02 01 00"},
    {"00", "02 01 00"},
    {"00 00 00", "02 01 00"},
    {"01", "02 01 01"},
    {"7f", "02 01 7f"},
    {"80", "02 02 00 80"},
    {"00 80", "02 02 00 80"},
    {"ff ff", "02 03 00 ff ff"},
    {"00 00 01 00", "02 02 01 00"},
    {"56 59 28 90 fb 4c b6 ae f2 3e 0a 30 81 c7 8b eb bd 4f 34 db",
     "02 14 56 59 28 90 fb 4c b6 ae f2 3e 0a 30 81 c7 8b eb bd 4f 34 db"},
    {"d6 59 28 90 fb 4c b6 ae f2 3e 0a 30 81 c7 8b eb bd 4f 34 db",
     "02 15 00 d6 59 28 90 fb 4c b6 ae f2 3e 0a 30 81 c7 8b eb bd 4f 34 db"},
};

START_TEST(test_write_unsigned_integer)
{
    const struct unsigned_integer_vector *v = &unsigned_integer_vectors[_i];
    struct test_bytes magnitude = test_hex(v->magnitude, 0);
    struct der_buf buf = {0};
    ck_assert_int_eq(der_write_unsigned_integer(&buf, magnitude.data, magnitude.len), DER_OK);
    assert_buf_hex(&buf, v->encoding, v->magnitude);

    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    const uint8_t *value;
    size_t len;
    ck_assert_int_eq(der_read_integer_bytes(&in, &value, &len), DER_OK);
    ck_assert(value[0] < 0x80); /* read back as a positive number */
    der_buf_free(&buf);
    test_bytes_free(&magnitude);
}
END_TEST

struct small_int_encoding {
    int64_t value;
    const char *encoding;
};

static const struct small_int_encoding small_int_encodings[] = {
    {0, "02 01 00"},
    {1, "02 01 01"},
    {127, "02 01 7f"},
    {128, "02 02 00 80"},
    {255, "02 02 00 ff"},
    {256, "02 02 01 00"},
    {-1, "02 01 ff"},
    {-128, "02 01 80"},
    {-129, "02 02 ff 7f"},
    {-256, "02 02 ff 00"},
    {-32768, "02 02 80 00"},
    {-32769, "02 03 ff 7f ff"},
    {INT32_MIN, "02 04 80 00 00 00"},
    {INT64_MAX, "02 08 7f ff ff ff ff ff ff ff"},
    {INT64_MIN, "02 08 80 00 00 00 00 00 00 00"},
};

START_TEST(test_write_small_int)
{
    const struct small_int_encoding *v = &small_int_encodings[_i];
    struct der_buf buf = {0};
    ck_assert_int_eq(der_write_small_int(&buf, v->value), DER_OK);
    assert_buf_hex(&buf, v->encoding, v->encoding);
    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    int64_t value;
    ck_assert_int_eq(der_read_small_int(&in, &value), DER_OK);
    ck_assert_int_eq(value, v->value);
    der_buf_free(&buf);
}
END_TEST

/* Every power of two, its neighbours and their negatives survive writer -> reader. */
START_TEST(test_small_int_round_trip_sweep)
{
    for (unsigned shift = 0; shift < 63; shift++) {
        int64_t power = (int64_t)1 << shift;
        const int64_t values[] = {power, power - 1, power + 1, -power, -power - 1, -power + 1};
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            struct der_buf buf = {0};
            ck_assert_int_eq(der_write_small_int(&buf, values[i]), DER_OK);
            struct der_cursor in = der_cursor_init(buf.data, buf.len);
            int64_t value;
            ck_assert_int_eq(der_read_small_int(&in, &value), DER_OK);
            ck_assert_msg(value == values[i], "%lld came back as %lld", (long long)values[i],
                          (long long)value);
            ck_assert(der_is_empty(&in));
            der_buf_free(&buf);
        }
    }
}
END_TEST

START_TEST(test_write_enumerated_boolean_null)
{
    static const int values[] = {0, 1, 6, 127, 128, 65535, INT_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct der_buf buf = {0};
        ck_assert_int_eq(der_write_enumerated(&buf, values[i]), DER_OK);
        ck_assert_uint_eq(buf.data[0], DER_TAG_ENUMERATED);
        struct der_cursor in = der_cursor_init(buf.data, buf.len);
        int value;
        ck_assert_int_eq(der_read_enumerated(&in, &value), DER_OK);
        ck_assert_int_eq(value, values[i]);
        der_buf_free(&buf);
    }
    struct der_buf buf = {0};
    ck_assert_int_eq(der_write_enumerated(&buf, -1), DER_ERR_BAD_VALUE);
    der_buf_free(&buf);

    ck_assert_int_eq(der_write_boolean(&buf, true), DER_OK);
    ck_assert_int_eq(der_write_boolean(&buf, false), DER_OK);
    ck_assert_int_eq(der_write_null(&buf), DER_OK);
    assert_buf_hex(&buf, "01 01 ff 01 01 00 05 00", "boolean and null");
    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    bool value = false;
    ck_assert_int_eq(der_read_boolean(&in, &value), DER_OK);
    ck_assert(value);
    ck_assert_int_eq(der_read_boolean(&in, &value), DER_OK);
    ck_assert(!value);
    ck_assert_int_eq(der_read_null(&in), DER_OK);
    ck_assert(der_is_empty(&in));
    der_buf_free(&buf);
}
END_TEST

struct bit_string_write_vector {
    const char *bits;
    unsigned unused_bits;
    int rc;
    const char *encoding;
};

static const struct bit_string_write_vector bit_string_write_vectors[] = {
    {"", 0, DER_OK, "03 01 00"},        {"ff", 0, DER_OK, "03 02 00 ff"},
    {"80", 7, DER_OK, "03 02 07 80"},   {"ff f0", 4, DER_OK, "03 03 04 ff f0"},
    {"", 1, DER_ERR_BAD_VALUE, NULL},   {"00", 8, DER_ERR_BAD_VALUE, NULL},
    {"01", 1, DER_ERR_BAD_VALUE, NULL}, {"ff f8", 4, DER_ERR_BAD_VALUE, NULL},
};

START_TEST(test_write_bit_string)
{
    const struct bit_string_write_vector *v = &bit_string_write_vectors[_i];
    struct test_bytes bits = test_hex(v->bits, 0);
    struct der_buf buf = {0};
    int rc = der_write_bit_string(&buf, bits.data, bits.len, v->unused_bits);
    ck_assert_msg(rc == v->rc, "%s/%u: rc %d", v->bits, v->unused_bits, rc);
    if (rc == DER_OK) {
        assert_buf_hex(&buf, v->encoding, v->encoding);
        struct der_cursor in = der_cursor_init(buf.data, buf.len);
        const uint8_t *read_bits;
        size_t len;
        unsigned unused;
        ck_assert_int_eq(der_read_bit_string(&in, &read_bits, &len, &unused), DER_OK);
        ck_assert(len == bits.len && unused == v->unused_bits);
        ck_assert(len == 0 || memcmp(read_bits, bits.data, len) == 0);
    } else {
        ck_assert_uint_eq(buf.len, 0);
    }
    der_buf_free(&buf);
    test_bytes_free(&bits);
}
END_TEST

struct length_form {
    size_t len;
    const char *header; /* tag and length octets of an OCTET STRING this long */
};

static const struct length_form length_forms[] = {
    {0, "04 00"},
    {1, "04 01"},
    {127, "04 7f"},
    {128, "04 81 80"},
    {255, "04 81 ff"},
    {256, "04 82 01 00"},
    {65535, "04 82 ff ff"},
    {65536, "04 83 01 00 00"},
    {70000, "04 83 01 11 70"},
};

START_TEST(test_write_length_forms)
{
    const struct length_form *v = &length_forms[_i];
    struct test_bytes contents = test_hex("", v->len);
    struct test_bytes header = test_hex(v->header, 0);
    struct der_buf buf = {0};
    ck_assert_int_eq(der_write_octet_string(&buf, contents.data, contents.len), DER_OK);
    ck_assert_uint_eq(buf.len, header.len + v->len);
    ck_assert_msg(memcmp(buf.data, header.data, header.len) == 0, "header for %zu", v->len);

    /* The same contents through der_begin/der_end patch the same header. */
    struct der_buf nested = {0};
    ck_assert_int_eq(der_begin(&nested, DER_TAG_OCTET_STRING), DER_OK);
    ck_assert_int_eq(der_write_raw(&nested, contents.data, contents.len), DER_OK);
    ck_assert_int_eq(der_end(&nested), DER_OK);
    ck_assert_int_eq(der_buf_error(&nested), DER_OK);
    ck_assert(nested.len == buf.len && memcmp(nested.data, buf.data, buf.len) == 0);

    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    const uint8_t *value;
    size_t len;
    ck_assert_int_eq(der_read_octet_string(&in, &value, &len), DER_OK);
    ck_assert(len == v->len && (len == 0 || memcmp(value, contents.data, len) == 0));
    der_buf_free(&nested);
    der_buf_free(&buf);
    test_bytes_free(&header);
    test_bytes_free(&contents);
}
END_TEST

/* SEQUENCE { [0] { SEQUENCE { OCTET STRING (70000) } }, SEQUENCE { OCTET STRING
 * (200), INTEGER 5 }, OCTET STRING (0) }: each der_end must widen its length in
 * place after its contents, so inner and outer patches move bytes again. */
START_TEST(test_write_nested_long_forms)
{
    struct test_bytes big = test_hex("", 70000);
    struct test_bytes medium = test_hex("", 200);
    struct der_buf buf = {0};
    der_begin(&buf, DER_TAG_SEQUENCE);
    der_begin(&buf, DER_TAG_CONTEXT(0));
    der_begin(&buf, DER_TAG_SEQUENCE);
    der_write_octet_string(&buf, big.data, big.len);
    der_end(&buf);
    der_end(&buf);
    der_begin(&buf, DER_TAG_SEQUENCE);
    der_write_octet_string(&buf, medium.data, medium.len);
    der_write_small_int(&buf, 5);
    der_end(&buf);
    der_write_octet_string(&buf, NULL, 0);
    ck_assert_int_eq(der_end(&buf), DER_OK);
    ck_assert_int_eq(der_buf_error(&buf), DER_OK);

    /* 70000 + 5 = 70005 (01 11 75), + 5 = 70010 (01 11 7a), + 5 = 70015;
     * 203 + 3 = 206 (81 ce), + 3 = 209; outer 70015 + 209 + 2 = 70226 (01 12 52). */
    struct test_bytes head =
        test_hex("30 83 01 12 52 a0 83 01 11 7a 30 83 01 11 75 04 83 01 11 70", 0);
    ck_assert_uint_eq(buf.len, 5 + 70226);
    ck_assert(memcmp(buf.data, head.data, head.len) == 0);

    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    struct der_cursor outer, explicit, inner, second;
    const uint8_t *value;
    size_t len;
    int64_t five;
    ck_assert_int_eq(der_read_sequence(&in, &outer), DER_OK);
    ck_assert_int_eq(der_expect_end(&in), DER_OK);
    ck_assert_int_eq(der_read_tagged(&outer, DER_TAG_CONTEXT(0), &explicit), DER_OK);
    ck_assert_int_eq(der_read_sequence(&explicit, &inner), DER_OK);
    ck_assert_int_eq(der_read_octet_string(&inner, &value, &len), DER_OK);
    ck_assert(len == big.len && memcmp(value, big.data, len) == 0);
    ck_assert(der_is_empty(&inner) && der_is_empty(&explicit));
    ck_assert_int_eq(der_read_sequence(&outer, &second), DER_OK);
    ck_assert_int_eq(der_read_octet_string(&second, &value, &len), DER_OK);
    ck_assert(len == medium.len && memcmp(value, medium.data, len) == 0);
    ck_assert_int_eq(der_read_small_int(&second, &five), DER_OK);
    ck_assert_int_eq(five, 5);
    ck_assert_int_eq(der_read_octet_string(&outer, &value, &len), DER_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert(der_is_empty(&outer) && der_is_empty(&second));
    der_buf_free(&buf);
    test_bytes_free(&head);
    test_bytes_free(&medium);
    test_bytes_free(&big);
}
END_TEST

/* 16 MiB contents need the fourth length octet at two levels. */
START_TEST(test_write_four_octet_length)
{
    size_t big_len = (size_t)1 << 24;
    struct test_bytes big = test_hex("", big_len);
    struct der_buf buf = {0};
    der_begin(&buf, DER_TAG_SEQUENCE);
    der_write_octet_string(&buf, big.data, big.len);
    ck_assert_int_eq(der_end(&buf), DER_OK);
    struct test_bytes head = test_hex("30 84 01 00 00 06 04 84 01 00 00 00", 0);
    ck_assert_uint_eq(buf.len, 12 + big_len);
    ck_assert(memcmp(buf.data, head.data, head.len) == 0);

    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    struct der_cursor body;
    const uint8_t *value;
    size_t len;
    ck_assert_int_eq(der_read_sequence(&in, &body), DER_OK);
    ck_assert_int_eq(der_read_octet_string(&body, &value, &len), DER_OK);
    ck_assert(len == big_len && memcmp(value, big.data, len) == 0);
    der_buf_free(&buf);
    test_bytes_free(&head);
    test_bytes_free(&big);
}
END_TEST

START_TEST(test_write_tlv_and_raw)
{
    static const uint8_t hello[] = {'h', 'i'};
    struct der_buf buf = {0};
    ck_assert_int_eq(der_write_tlv(&buf, DER_TAG_UTF8_STRING, hello, sizeof hello), DER_OK);
    ck_assert_int_eq(der_write_tlv(&buf, DER_TAG_CONTEXT_PRIMITIVE(2), NULL, 0), DER_OK);
    ck_assert_int_eq(der_write_raw(&buf, (const uint8_t *)"\x05\x00", 2), DER_OK);
    ck_assert_int_eq(der_write_raw(&buf, NULL, 0), DER_OK);
    assert_buf_hex(&buf, "0c 02 68 69 82 00 05 00", "tlv and raw");
    der_buf_free(&buf);

    /* A tag our reader would refuse is refused by the writer too. */
    ck_assert_int_eq(der_write_tlv(&buf, 0x1f, hello, 1), DER_ERR_BAD_VALUE);
    der_buf_free(&buf);
    ck_assert_int_eq(der_begin(&buf, 0xbf), DER_ERR_BAD_VALUE);
    der_buf_free(&buf);
    ck_assert_int_eq(der_write_tlv(&buf, 0x00, NULL, 0), DER_ERR_BAD_VALUE);
    der_buf_free(&buf);
}
END_TEST

struct x509_time_vector {
    int64_t unix_seconds;
    const char *encoding;
};

static const struct x509_time_vector x509_time_vectors[] = {
    {0, "17 0d 37 30 30 31 30 31 30 30 30 30 30 30 5a"},                 /* 700101000000Z */
    {-1, "17 0d 36 39 31 32 33 31 32 33 35 39 35 39 5a"},                /* 691231235959Z */
    {2524607999, "17 0d 34 39 31 32 33 31 32 33 35 39 35 39 5a"},        /* 491231235959Z */
    {2524608000, "18 0f 32 30 35 30 30 31 30 31 30 30 30 30 30 30 5a"},  /* 20500101000000Z */
    {-631152000, "17 0d 35 30 30 31 30 31 30 30 30 30 30 30 5a"},        /* 500101000000Z */
    {-631152001, "18 0f 31 39 34 39 31 32 33 31 32 33 35 39 35 39 5a"},  /* 19491231235959Z */
    {951782400, "17 0d 30 30 30 32 32 39 30 30 30 30 30 30 5a"},         /* 000229000000Z */
    {13574563200, "18 0f 32 34 30 30 30 32 32 39 30 30 30 30 30 30 5a"}, /* 24000229000000Z */
    {253402300799, "18 0f 39 39 39 39 31 32 33 31 32 33 35 39 35 39 5a"},
    {-62167219200, "18 0f 30 30 30 30 30 31 30 31 30 30 30 30 30 30 5a"},
};

START_TEST(test_write_x509_time)
{
    const struct x509_time_vector *v = &x509_time_vectors[_i];
    struct der_buf buf = {0};
    ck_assert_int_eq(der_write_x509_time(&buf, v->unix_seconds), DER_OK);
    assert_buf_hex(&buf, v->encoding, v->encoding);
    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    int64_t seconds;
    ck_assert_int_eq(der_read_time(&in, &seconds), DER_OK);
    ck_assert_int_eq(seconds, v->unix_seconds);
    der_buf_free(&buf);
}
END_TEST

START_TEST(test_write_time_range_limits)
{
    struct {
        int (*write)(struct der_buf *, int64_t);
        int64_t unix_seconds;
        int rc;
    } const cases[] = {
        {der_write_utc_time, -631152000, DER_OK},
        {der_write_utc_time, 2524607999, DER_OK},
        {der_write_utc_time, -631152001, DER_ERR_LIMIT},
        {der_write_utc_time, 2524608000, DER_ERR_LIMIT},
        {der_write_generalized_time, -62167219200, DER_OK},
        {der_write_generalized_time, 253402300799, DER_OK},
        {der_write_generalized_time, -62167219201, DER_ERR_LIMIT},
        {der_write_generalized_time, 253402300800, DER_ERR_LIMIT},
        {der_write_generalized_time, INT64_MIN, DER_ERR_LIMIT},
        {der_write_generalized_time, INT64_MAX, DER_ERR_LIMIT},
        {der_write_x509_time, INT64_MAX, DER_ERR_LIMIT},
        {der_write_x509_time, INT64_MIN, DER_ERR_LIMIT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct der_buf buf = {0};
        int rc = cases[i].write(&buf, cases[i].unix_seconds);
        ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d", i, rc);
        ck_assert(rc == DER_OK || buf.len == 0);
        der_buf_free(&buf);
    }
}
END_TEST

/* gmtime_r() is an independent oracle for our calendar arithmetic: across the
 * whole GeneralizedTime range the writer's text matches it and the reader turns
 * that text back into the same second. */
START_TEST(test_time_against_gmtime)
{
    const int64_t first = -62167219200;     /* 0000-01-01 */
    const int64_t last = 253402300799;      /* 9999-12-31 23:59:59 */
    const int64_t step = 86400 * 17 + 3607; /* walks through every time of day */
    for (int64_t t = first; t <= last; t += step) {
        time_t as_time = (time_t)t;
        struct tm tm;
        ck_assert_ptr_nonnull(gmtime_r(&as_time, &tm));
        char want[32];
        snprintf(want, sizeof want, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);

        struct der_buf buf = {0};
        ck_assert_int_eq(der_write_generalized_time(&buf, t), DER_OK);
        ck_assert_msg(buf.len == 17 && memcmp(buf.data + 2, want, 15) == 0,
                      "%lld: wrote %.15s, gmtime says %s", (long long)t, buf.data + 2, want);
        struct der_cursor in = der_cursor_init(buf.data, buf.len);
        int64_t seconds;
        ck_assert_int_eq(der_read_time(&in, &seconds), DER_OK);
        ck_assert_int_eq(seconds, t);
        der_buf_free(&buf);
    }
}
END_TEST

/* Every day of 1600..2400 (four leap-century rules) written and read back. */
START_TEST(test_time_every_day_round_trip)
{
    const int64_t first = -11676096000; /* 1600-01-01 */
    const int64_t last = 13601088000;   /* 2401-01-01 */
    for (int64_t t = first; t < last; t += 86400) {
        struct der_buf buf = {0};
        ck_assert_int_eq(der_write_x509_time(&buf, t + 86399), DER_OK);
        struct der_cursor in = der_cursor_init(buf.data, buf.len);
        int64_t seconds;
        ck_assert_int_eq(der_read_time(&in, &seconds), DER_OK);
        ck_assert_msg(seconds == t + 86399, "day starting %lld", (long long)t);
        der_buf_free(&buf);
    }
}
END_TEST

/* ---- Sticky errors, depth, ownership ------------------------------------------------ */

/* Every writer entry point, called once on a buffer already in error: each must
 * return that error and leave the bytes alone. */
static void assert_all_writes_refused(struct der_buf *buf, int rc)
{
    static const uint8_t byte = 0x01;
    size_t len = buf->len;
    ck_assert_int_eq(der_begin(buf, DER_TAG_SEQUENCE), rc);
    ck_assert_int_eq(der_end(buf), rc);
    ck_assert_int_eq(der_write_raw(buf, &byte, 1), rc);
    ck_assert_int_eq(der_write_tlv(buf, DER_TAG_OCTET_STRING, &byte, 1), rc);
    ck_assert_int_eq(der_write_unsigned_integer(buf, &byte, 1), rc);
    ck_assert_int_eq(der_write_small_int(buf, 1), rc);
    ck_assert_int_eq(der_write_enumerated(buf, 1), rc);
    ck_assert_int_eq(der_write_boolean(buf, true), rc);
    ck_assert_int_eq(der_write_null(buf), rc);
    ck_assert_int_eq(der_write_oid(buf, "2.5.4.3"), rc);
    ck_assert_int_eq(der_write_oid(buf, "bad"), rc);
    ck_assert_int_eq(der_write_bit_string(buf, &byte, 1, 0), rc);
    ck_assert_int_eq(der_write_octet_string(buf, &byte, 1), rc);
    ck_assert_int_eq(der_write_generalized_time(buf, 0), rc);
    ck_assert_int_eq(der_write_utc_time(buf, 0), rc);
    ck_assert_int_eq(der_write_x509_time(buf, 0), rc);
    ck_assert_int_eq(der_buf_error(buf), rc);
    ck_assert_uint_eq(buf->len, len);
}

static int fail_end_without_begin(struct der_buf *buf)
{
    return der_end(buf);
}
static int fail_high_tag(struct der_buf *buf)
{
    return der_write_tlv(buf, 0x1f, NULL, 0);
}
static int fail_bad_oid(struct der_buf *buf)
{
    return der_write_oid(buf, "1");
}
static int fail_negative_enumerated(struct der_buf *buf)
{
    return der_write_enumerated(buf, -1);
}
static int fail_utc_time_2050(struct der_buf *buf)
{
    return der_write_utc_time(buf, 2524608000);
}
static int fail_bad_bit_string(struct der_buf *buf)
{
    return der_write_bit_string(buf, (const uint8_t *)"\x01", 1, 1);
}
/* Refused before the value is touched, so no 4 GiB is needed. */
static int fail_element_over_4gib(struct der_buf *buf)
{
    static const uint8_t byte = 0;
    return der_write_tlv(buf, DER_TAG_OCTET_STRING, &byte, (size_t)UINT32_MAX + 1);
}

struct sticky_vector {
    const char *name;
    int (*break_buffer)(struct der_buf *buf);
    int rc;
};

static const struct sticky_vector sticky_vectors[] = {
    {"der_end with nothing open", fail_end_without_begin, DER_ERR_LIMIT},
    {"high tag number", fail_high_tag, DER_ERR_BAD_VALUE},
    {"one-arc OID", fail_bad_oid, DER_ERR_BAD_VALUE},
    {"negative ENUMERATED", fail_negative_enumerated, DER_ERR_BAD_VALUE},
    {"UTCTime in 2050", fail_utc_time_2050, DER_ERR_LIMIT},
    {"BIT STRING with a set unused bit", fail_bad_bit_string, DER_ERR_BAD_VALUE},
    {"element over 4 GiB", fail_element_over_4gib, DER_ERR_LIMIT},
};

START_TEST(test_sticky_errors)
{
    const struct sticky_vector *v = &sticky_vectors[_i];
    if (v->break_buffer == fail_element_over_4gib && SIZE_MAX <= UINT32_MAX)
        return; /* cannot state the length on a 32-bit host */
    struct der_buf buf = {0};
    ck_assert_int_eq(der_write_null(&buf), DER_OK);
    ck_assert_msg(v->break_buffer(&buf) == v->rc, "%s", v->name);
    ck_assert_int_eq(buf.error, v->rc);
    assert_all_writes_refused(&buf, v->rc);
    /* What was written before the failure is untouched. */
    ck_assert(buf.len == 2 && buf.data[0] == 0x05 && buf.data[1] == 0x00);
    der_buf_free(&buf);
}
END_TEST

START_TEST(test_first_error_wins)
{
    struct der_buf buf = {0};
    ck_assert_int_eq(der_write_oid(&buf, "9.9"), DER_ERR_BAD_VALUE);
    /* A later, different failure does not replace the first. */
    ck_assert_int_eq(der_end(&buf), DER_ERR_BAD_VALUE);
    ck_assert_int_eq(der_write_utc_time(&buf, INT64_MAX), DER_ERR_BAD_VALUE);
    ck_assert_int_eq(der_buf_error(&buf), DER_ERR_BAD_VALUE);
    der_buf_free(&buf);
}
END_TEST

START_TEST(test_depth_limit)
{
    struct der_buf buf = {0};
    for (int i = 0; i < DER_MAX_DEPTH; i++)
        ck_assert_int_eq(der_begin(&buf, DER_TAG_SEQUENCE), DER_OK);
    ck_assert_int_eq(der_begin(&buf, DER_TAG_SEQUENCE), DER_ERR_LIMIT);
    assert_all_writes_refused(&buf, DER_ERR_LIMIT);
    ck_assert_uint_eq(buf.len, 2 * DER_MAX_DEPTH);
    der_buf_free(&buf);

    /* Exactly DER_MAX_DEPTH levels are fine and read back level by level. */
    for (int i = 0; i < DER_MAX_DEPTH; i++)
        der_begin(&buf, i % 2 == 0 ? DER_TAG_SEQUENCE : DER_TAG_CONTEXT(i % 16));
    der_write_null(&buf);
    for (int i = 0; i < DER_MAX_DEPTH; i++)
        der_end(&buf);
    ck_assert_int_eq(der_buf_error(&buf), DER_OK);
    struct der_cursor in = der_cursor_init(buf.data, buf.len);
    for (int i = 0; i < DER_MAX_DEPTH; i++) {
        uint8_t tag = i % 2 == 0 ? DER_TAG_SEQUENCE : DER_TAG_CONTEXT(i % 16);
        ck_assert_int_eq(der_read_tagged(&in, tag, &in), DER_OK);
    }
    ck_assert_int_eq(der_read_null(&in), DER_OK);
    ck_assert(der_is_empty(&in));
    der_buf_free(&buf);
}
END_TEST

START_TEST(test_unbalanced_elements)
{
    struct der_buf buf = {0};
    ck_assert_int_eq(der_begin(&buf, DER_TAG_SEQUENCE), DER_OK);
    ck_assert_int_eq(der_write_null(&buf), DER_OK);
    /* Still open: reported, but not sticky, so the builder can finish. */
    ck_assert_int_eq(der_buf_error(&buf), DER_ERR_LIMIT);
    ck_assert_int_eq(buf.error, DER_OK);
    ck_assert_int_eq(der_end(&buf), DER_OK);
    ck_assert_int_eq(der_buf_error(&buf), DER_OK);
    assert_buf_hex(&buf, "30 02 05 00", "closed");
    /* One end too many is sticky. */
    ck_assert_int_eq(der_end(&buf), DER_ERR_LIMIT);
    ck_assert_int_eq(der_buf_error(&buf), DER_ERR_LIMIT);
    der_buf_free(&buf);
}
END_TEST

START_TEST(test_buf_free)
{
    der_buf_free(NULL);
    struct der_buf buf = {0};
    der_buf_free(&buf);
    const struct der_buf zero = {0};

    /* Grow past the first allocation several times, then free. */
    struct test_bytes contents = test_hex("", 5000);
    ck_assert_int_eq(der_begin(&buf, DER_TAG_SEQUENCE), DER_OK);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(der_write_octet_string(&buf, contents.data, contents.len), DER_OK);
    ck_assert_int_eq(der_end(&buf), DER_OK);
    ck_assert_uint_ge(buf.cap, buf.len);
    der_buf_free(&buf);
    ck_assert(memcmp(&buf, &zero, sizeof buf) == 0);

    /* A freed buffer is an empty one again, errors included. */
    ck_assert_int_eq(der_end(&buf), DER_ERR_LIMIT);
    der_buf_free(&buf);
    ck_assert_int_eq(der_write_null(&buf), DER_OK);
    assert_buf_hex(&buf, "05 00", "after free");
    der_buf_free(&buf);
    test_bytes_free(&contents);
}
END_TEST

START_TEST(test_strerror)
{
    static const int codes[] = {
        DER_OK,           DER_ERR_TRUNCATED, DER_ERR_BAD_LENGTH, DER_ERR_UNEXPECTED_TAG,
        DER_ERR_TRAILING, DER_ERR_BAD_VALUE, DER_ERR_NOMEM,      DER_ERR_LIMIT};
    size_t count = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < count; i++) {
        const char *text = der_strerror(codes[i]);
        ck_assert(text != NULL && text[0] != '\0');
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(text, der_strerror(codes[j]));
    }
    ck_assert_str_eq(der_strerror(-99), "unknown DER error");
    ck_assert_str_eq(der_strerror(DER_ERR_TRUNCATED), "length longer than the data");
}
END_TEST

#define ROW_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* The runner declares every suite itself (build/tests/suites.h); this prototype
 * keeps -Wmissing-prototypes quiet without a header of our own. */
/* der_take: a bounded take of fixed size; a failed take moves nothing. (The
 * width-named TLS reads built on it are tests/test_tls_wire.c.) */
START_TEST(test_takes)
{
    static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04};
    struct der_cursor in = der_cursor_init(bytes, sizeof bytes), part;
    ck_assert(der_take(&in, 1, &part));
    ck_assert_uint_eq(part.left, 1);
    ck_assert_uint_eq(part.p[0], 0x01);
    ck_assert(!der_take(&in, 4, NULL));
    ck_assert_uint_eq(in.left, 3);
    ck_assert(der_take(&in, 0, NULL));
    ck_assert(der_take(&in, 3, NULL));
    ck_assert(der_is_empty(&in));
    ck_assert(!der_take(&in, 1, NULL));
}
END_TEST

Suite *der_suite(void);

Suite *der_suite(void)
{
    Suite *suite = suite_create("der");

    TCase *reader = tcase_create("reader");
    tcase_set_timeout(reader, 30);
    tcase_add_loop_test(reader, test_header_vectors, 0, ROW_COUNT(header_vectors));
    tcase_add_test(reader, test_expect_end);
    tcase_add_test(reader, test_takes);
    tcase_add_test(reader, test_tagged_reads);
    tcase_add_loop_test(reader, test_optional_vectors, 0, ROW_COUNT(optional_vectors));
    tcase_add_loop_test(reader, test_integer_vectors, 0, ROW_COUNT(integer_vectors));
    tcase_add_loop_test(reader, test_small_int_vectors, 0, ROW_COUNT(small_int_vectors));
    tcase_add_loop_test(reader, test_enumerated_vectors, 0, ROW_COUNT(enumerated_vectors));
    tcase_add_loop_test(reader, test_boolean_vectors, 0, ROW_COUNT(boolean_vectors));
    tcase_add_loop_test(reader, test_null_vectors, 0, ROW_COUNT(null_vectors));
    tcase_add_loop_test(reader, test_octet_string_vectors, 0, ROW_COUNT(octet_string_vectors));
    tcase_add_loop_test(reader, test_bit_string_vectors, 0, ROW_COUNT(bit_string_vectors));
    tcase_add_loop_test(reader, test_time_vectors, 0, ROW_COUNT(time_vectors));
    suite_add_tcase(suite, reader);

    TCase *oid = tcase_create("oid");
    tcase_add_loop_test(oid, test_oid_read_vectors, 0, ROW_COUNT(oid_read_vectors));
    tcase_add_loop_test(oid, test_oid_text_vectors, 0, ROW_COUNT(oid_text_vectors));
    tcase_add_test(oid, test_oid_equals_and_text_limits);
    suite_add_tcase(suite, oid);

    TCase *certificate = tcase_create("certificate");
    tcase_set_timeout(certificate, 30);
    tcase_add_test(certificate, test_certificate_walk);
    tcase_add_test(certificate, test_certificate_every_prefix_truncated);
    tcase_add_test(certificate, test_certificate_every_tbs_prefix_truncated);
    tcase_add_test(certificate, test_certificate_trailing_bytes);
    suite_add_tcase(suite, certificate);

    TCase *writer = tcase_create("writer");
    tcase_set_timeout(writer, 60);
    tcase_add_loop_test(writer, test_write_unsigned_integer, 0,
                        ROW_COUNT(unsigned_integer_vectors));
    tcase_add_loop_test(writer, test_write_small_int, 0, ROW_COUNT(small_int_encodings));
    tcase_add_test(writer, test_small_int_round_trip_sweep);
    tcase_add_test(writer, test_write_enumerated_boolean_null);
    tcase_add_loop_test(writer, test_write_bit_string, 0, ROW_COUNT(bit_string_write_vectors));
    tcase_add_loop_test(writer, test_write_length_forms, 0, ROW_COUNT(length_forms));
    tcase_add_test(writer, test_write_nested_long_forms);
    tcase_add_test(writer, test_write_four_octet_length);
    tcase_add_test(writer, test_write_tlv_and_raw);
    tcase_add_loop_test(writer, test_write_x509_time, 0, ROW_COUNT(x509_time_vectors));
    tcase_add_test(writer, test_write_time_range_limits);
    tcase_add_test(writer, test_time_against_gmtime);
    tcase_add_test(writer, test_time_every_day_round_trip);
    suite_add_tcase(suite, writer);

    TCase *state = tcase_create("writer-state");
    tcase_add_loop_test(state, test_sticky_errors, 0, ROW_COUNT(sticky_vectors));
    tcase_add_test(state, test_first_error_wins);
    tcase_add_test(state, test_depth_limit);
    tcase_add_test(state, test_unbalanced_elements);
    tcase_add_test(state, test_buf_free);
    tcase_add_test(state, test_strerror);
    suite_add_tcase(suite, state);

    return suite;
}
