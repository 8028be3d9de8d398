/* test_tls_wire.c — common/tls_wire: the width-named reads and their
 * cursor rule (a failed read moves nothing), records, handshake messages and
 * extensions; the web server's ClientHello peek on real ClientHellos from
 * openssl s_client and wolfSSL, on every truncation, mutation and piece of
 * garbage; the CertificateStatus message (RFC 6066 8) and the status_request
 * of a TLS 1.3 CertificateEntry (RFC 8446 4.4.2.1), row by row. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"
#include "tls_wire.h"

#define SITE "shop.test"
#define ROWS(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* The four answers of the peek, short, for the tables. */
#define ASKS TLS_HELLO_ASKS_STATUS
#define NO TLS_HELLO_NO_STATUS
#define WAIT TLS_HELLO_INCOMPLETE
#define NOT TLS_HELLO_NOT_CLIENT_HELLO

static bool is_peek(enum tls_hello_peek peek)
{
    return peek == ASKS || peek == NO || peek == WAIT || peek == NOT;
}

/* An exact-size copy of `len` bytes, so AddressSanitizer (make asan) sees
 * any read past the end; NULL for no bytes. Caller frees. */
static uint8_t *exact_copy(const uint8_t *bytes, size_t len)
{
    if (len == 0)
        return NULL;
    uint8_t *copy = malloc(len);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, bytes, len);
    return copy;
}

/* ---- Width-named reads ----------------------------------------------------------- */

enum read_kind { READ_U8, READ_U16, READ_U24, READ_SKIP3, READ_V8, READ_V16, READ_V24 };

static const struct read_row {
    const char *label;
    enum read_kind kind;
    uint8_t bytes[8];
    size_t len;
    bool is_ok;
    uint32_t value; /* the number read, or the vector's length */
    size_t left;    /* bytes left after a good read */
} read_rows[] = {
    {"u8", READ_U8, {0xfe, 0x01}, 2, true, 0xfe, 1},
    {"u8 of nothing", READ_U8, {0}, 0, false, 0, 0},
    {"u16", READ_U16, {0xab, 0xcd}, 2, true, 0xabcd, 0},
    {"u16 of one byte", READ_U16, {0xab}, 1, false, 0, 0},
    {"u24", READ_U24, {0x01, 0x02, 0x03, 0x04}, 4, true, 0x010203, 1},
    {"u24 largest", READ_U24, {0xff, 0xff, 0xff}, 3, true, 0xffffff, 0},
    {"u24 of two bytes", READ_U24, {0x01, 0x02}, 2, false, 0, 0},
    {"skip 3", READ_SKIP3, {1, 2, 3}, 3, true, 0, 0},
    {"skip 3 of 2", READ_SKIP3, {1, 2}, 2, false, 0, 0},
    {"u8 vector", READ_V8, {2, 0xaa, 0xbb, 0xcc}, 4, true, 2, 1},
    {"empty u8 vector", READ_V8, {0}, 1, true, 0, 0},
    {"u8 vector, no prefix", READ_V8, {0}, 0, false, 0, 0},
    {"u8 vector, overlong", READ_V8, {3, 0xaa, 0xbb}, 3, false, 0, 0},
    {"u16 vector", READ_V16, {0, 2, 0xaa, 0xbb}, 4, true, 2, 0},
    {"u16 vector, half a prefix", READ_V16, {0}, 1, false, 0, 0},
    {"u16 vector, overlong", READ_V16, {0x01, 0x00, 0xaa}, 3, false, 0, 0},
    {"u16 vector, 0xffff", READ_V16, {0xff, 0xff, 0xaa}, 3, false, 0, 0},
    {"u24 vector", READ_V24, {0, 0, 1, 0xaa, 0xbb}, 5, true, 1, 1},
    {"u24 vector, two of three prefix bytes", READ_V24, {0, 0}, 2, false, 0, 0},
    {"u24 vector, overlong", READ_V24, {0, 0, 3, 0xaa, 0xbb}, 5, false, 0, 0},
    {"u24 vector, 0xffffff", READ_V24, {0xff, 0xff, 0xff, 0}, 4, false, 0, 0},
};

static bool do_read(struct der_cursor *in, enum read_kind kind, uint32_t *value)
{
    struct der_cursor body = {NULL, 0};
    bool is_ok = false;
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    switch (kind) {
    case READ_U8:
        is_ok = tls_get_u8(in, &u8);
        *value = u8;
        return is_ok;
    case READ_U16:
        is_ok = tls_get_u16(in, &u16);
        *value = u16;
        return is_ok;
    case READ_U24:
        return tls_get_u24(in, value);
    case READ_SKIP3:
        *value = 0;
        return tls_skip(in, 3);
    case READ_V8:
        is_ok = tls_get_u8_length_prefixed(in, &body);
        break;
    case READ_V16:
        is_ok = tls_get_u16_length_prefixed(in, &body);
        break;
    case READ_V24:
        is_ok = tls_get_u24_length_prefixed(in, &body);
        break;
    }
    *value = (uint32_t)body.left;
    return is_ok;
}

/* Each read takes exactly its width, or nothing at all. */
START_TEST(test_reads)
{
    const struct read_row *row = &read_rows[_i];
    uint8_t *copy = exact_copy(row->bytes, row->len);
    struct der_cursor in = der_cursor_init(copy, row->len), before = in;
    uint32_t value = 0;
    bool is_ok = do_read(&in, row->kind, &value);
    ck_assert_msg(is_ok == row->is_ok, "%s: %s", row->label, is_ok ? "read" : "refused");
    if (is_ok) {
        ck_assert_msg(value == row->value, "%s: %u", row->label, (unsigned)value);
        ck_assert_msg(in.left == row->left, "%s: %zu left", row->label, in.left);
    } else {
        ck_assert_msg(in.p == before.p && in.left == before.left, "%s: the cursor moved",
                      row->label);
    }
    free(copy);
}
END_TEST

/* A vector's body is the bytes after its prefix, and only those. */
START_TEST(test_vector_body)
{
    static const uint8_t bytes[] = {0, 2, 0xaa, 0xbb, 0xcc};
    struct der_cursor in = der_cursor_init(bytes, sizeof bytes), body;
    ck_assert(tls_get_u16_length_prefixed(&in, &body));
    ck_assert_ptr_eq(body.p, bytes + 2);
    ck_assert_uint_eq(body.left, 2);
    ck_assert_ptr_eq(in.p, bytes + 4);
}
END_TEST

/* ---- Records, handshake messages, extensions --------------------------------------- */

static const struct record_row {
    const char *label;
    uint8_t bytes[12];
    size_t len;
    bool has_header; /* tls_get_record_header succeeds */
    bool is_whole;   /* tls_get_record succeeds */
    uint8_t type;
    uint16_t version, length;
} record_rows[] = {
    {"handshake record", {22, 3, 3, 0, 2, 0xaa, 0xbb}, 7, true, true, 22, 0x0303, 2},
    {"record with more behind it", {23, 3, 3, 0, 1, 0xaa, 0x17}, 7, true, true, 23, 0x0303, 1},
    {"empty record", {21, 3, 1, 0, 0}, 5, true, true, 21, 0x0301, 0},
    {"nothing", {0}, 0, false, false, 0, 0, 0},
    {"four header bytes", {22, 3, 3, 0}, 4, false, false, 0, 0, 0},
    {"fragment cut short", {22, 3, 3, 0, 3, 0xaa, 0xbb}, 7, true, false, 22, 0x0303, 3},
    {"length 0xffff", {22, 3, 3, 0xff, 0xff, 0}, 6, true, false, 22, 0x0303, 0xffff},
};

START_TEST(test_records)
{
    const struct record_row *row = &record_rows[_i];
    uint8_t *copy = exact_copy(row->bytes, row->len);
    struct der_cursor in = der_cursor_init(copy, row->len), probe = in;
    struct tls_record record;
    ck_assert_msg(tls_get_record_header(&probe, &record) == row->has_header, "%s", row->label);
    if (row->has_header) {
        ck_assert_msg(record.type == row->type && record.version == row->version &&
                          record.length == row->length,
                      "%s: %u %04x %u", row->label, record.type, record.version, record.length);
        ck_assert_uint_eq(record.header.left, TLS_RECORD_HEADER_BYTES);
        ck_assert_uint_eq(probe.left, row->len - TLS_RECORD_HEADER_BYTES);
    }
    probe = in;
    ck_assert_msg(tls_get_record(&probe, &record) == row->is_whole, "%s", row->label);
    if (row->is_whole) {
        ck_assert_uint_eq(record.body.left, row->length);
        ck_assert_ptr_eq(record.body.p, copy + TLS_RECORD_HEADER_BYTES);
        ck_assert_ptr_eq(record.header.p, copy);
    } else {
        ck_assert_msg(probe.p == in.p && probe.left == in.left, "%s: the cursor moved", row->label);
    }
    free(copy);
}
END_TEST

/* A handshake message (type, uint24-prefixed body) or an extension (type,
 * uint16-prefixed data): a type and a vector, read together or not at all. */
static const struct typed_row {
    const char *label;
    bool is_extension;
    uint8_t bytes[10];
    size_t len;
    bool is_ok;
    uint16_t type;
    size_t body_len;
} typed_rows[] = {
    {"Certificate", false, {11, 0, 0, 2, 0xaa, 0xbb}, 6, true, TLS_HANDSHAKE_CERTIFICATE, 2},
    {"message with an empty body", false, {14, 0, 0, 0}, 4, true, 14, 0},
    {"message type only", false, {11}, 1, false, 0, 0},
    {"message, half a length", false, {11, 0, 0}, 3, false, 0, 0},
    {"message body cut short", false, {11, 0, 0, 3, 0xaa}, 5, false, 0, 0},
    {"message length 2^24 - 1", false, {11, 0xff, 0xff, 0xff, 0}, 5, false, 0, 0},
    {"status_request", true, {0, 5, 0, 1, 1}, 5, true, TLS_EXTENSION_STATUS_REQUEST, 1},
    {"status_request_v2, empty", true, {0, 17, 0, 0}, 4, true, TLS_EXTENSION_STATUS_REQUEST_V2, 0},
    {"extension type only", true, {0, 5}, 2, false, 0, 0},
    {"extension, three bytes", true, {0, 5, 0}, 3, false, 0, 0},
    {"extension data cut short", true, {0, 5, 0, 4, 1, 0}, 6, false, 0, 0},
};

START_TEST(test_typed_vectors)
{
    const struct typed_row *row = &typed_rows[_i];
    uint8_t *copy = exact_copy(row->bytes, row->len);
    struct der_cursor in = der_cursor_init(copy, row->len), body = {NULL, 0};
    uint16_t type = 0;
    uint8_t msg_type = 0;
    bool is_ok = row->is_extension ? tls_get_extension(&in, &type, &body)
                                   : tls_get_handshake(&in, &msg_type, &body);
    if (!row->is_extension)
        type = msg_type;
    ck_assert_msg(is_ok == row->is_ok, "%s", row->label);
    if (row->is_ok) {
        ck_assert_uint_eq(type, row->type);
        ck_assert_uint_eq(body.left, row->body_len);
    } else {
        ck_assert_msg(in.left == row->len, "%s: the cursor moved", row->label);
    }
    free(copy);
}
END_TEST

/* ---- ClientHellos --------------------------------------------------------------- */

/* Captured from openssl s_client 3.0 (Debian 12): -servername shop.test with
 * and without -status, -tls1_3 and -tls1_2. Each is one whole TLS record. */
static const char hello_openssl_status_13[] =
    "16030100f7010000f303038a15646d4d7c3943e83f8f1937af99044c81f221fb"
    "2fe6c3b042dcf5c124f14d2009843a44adda567eeace3bd98f53ace5b2c0b5c9"
    "cfab44dbf56e7e5587dc1e68000813021303130100ff010000a20000000e000c"
    "00000973686f702e74657374000b000403000102000a00160014001d0017001e"
    "0019001801000101010201030104002300000005000501000000000016000000"
    "170000000d001e001c040305030603080708080809080a080b08040805080604"
    "0105010601002b0003020304002d00020101003300260024001d0020f9742f60"
    "c23479b02d06b29a867b693c08cc6411c8586b5a29e6c7c2e942134c";
static const char hello_openssl_plain_13[] =
    "16030100ee010000ea0303245e302d3f969dcae549436c2bd8224680af2bfc8a"
    "0df4d0b1dee43404131ca92044f50f9b995f99e9232b25980e009c62d4629014"
    "321b28340551bdfdd41b32ce000813021303130100ff010000990000000e000c"
    "00000973686f702e74657374000b000403000102000a00160014001d0017001e"
    "0019001801000101010201030104002300000016000000170000000d001e001c"
    "040305030603080708080809080a080b080408050806040105010601002b0003"
    "020304002d00020101003300260024001d00201e20f697842947b0f07a81f437"
    "673a9b22224e3a07619219dea31dcd20d06023";
static const char hello_openssl_status_12[] =
    "16030100d2010000ce0303e1f4ebd1b4532b78f088267633c1d82306e65a47b9"
    "d68df11f52f69977928b3d000038c02cc030009fcca9cca8ccaac02bc02f009e"
    "c024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c"
    "0035002f00ff0100006d0000000e000c00000973686f702e74657374000b0004"
    "03000102000a000c000a001d0017001e00190018002300000005000501000000"
    "000016000000170000000d002a0028040305030603080708080809080a080b08"
    "0408050806040105010601030303010302040205020602";
static const char hello_openssl_plain_12[] =
    "16030100c9010000c5030374105ce750e572b802f66a5ef939fcb81ceb547129"
    "a381b55d8a12347b34d278000038c02cc030009fcca9cca8ccaac02bc02f009e"
    "c024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c"
    "0035002f00ff010000640000000e000c00000973686f702e74657374000b0004"
    "03000102000a000c000a001d0017001e00190018002300000016000000170000"
    "000d002a0028040305030603080708080809080a080b08040805080604010501"
    "0601030303010302040205020602";

struct bytes {
    uint8_t *p;
    size_t len;
};

static struct bytes from_hex(const char *hex)
{
    size_t n = strlen(hex) / 2;
    struct bytes b = {malloc(n > 0 ? n : 1), n};
    ck_assert_ptr_nonnull(b.p);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        b.p[i] = (uint8_t)v;
    }
    return b;
}

/* Judges exactly `len` bytes held in a buffer of exactly that size, so that
 * AddressSanitizer (make asan) sees any read past the end. */
static enum tls_hello_peek peek_exact(const uint8_t *data, size_t len)
{
    uint8_t *copy = exact_copy(data, len);
    enum tls_hello_peek peek = tls_peek_client_hello(copy, len);
    free(copy);
    return peek;
}

static const struct captured_row {
    const char *name;
    const char *hex;
    enum tls_hello_peek expected;
} captured_rows[] = {
    {"openssl -tls1_3 -status", hello_openssl_status_13, ASKS},
    {"openssl -tls1_3", hello_openssl_plain_13, NO},
    {"openssl -tls1_2 -status", hello_openssl_status_12, ASKS},
    {"openssl -tls1_2", hello_openssl_plain_12, NO},
};
#define CAPTURED_ROWS (int)(sizeof captured_rows / sizeof captured_rows[0])

/* A real ClientHello is judged right; with more bytes behind it (the client
 * already sent something else) the answer is the same. */
START_TEST(test_hello_captured)
{
    const struct captured_row *row = &captured_rows[_i];
    struct bytes hello = from_hex(row->hex);
    ck_assert_msg(peek_exact(hello.p, hello.len) == row->expected, "%s", row->name);
    uint8_t *longer = malloc(hello.len + 64);
    ck_assert_ptr_nonnull(longer);
    memcpy(longer, hello.p, hello.len);
    memset(longer + hello.len, 0x17, 64);
    ck_assert_msg(peek_exact(longer, hello.len + 64) == row->expected, "%s + more", row->name);
    free(longer);
    free(hello.p);
}
END_TEST

/* Every prefix of a real ClientHello is "incomplete, wait", never
 * garbage: a slow client must not be dropped. */
START_TEST(test_hello_every_prefix)
{
    const struct captured_row *row = &captured_rows[_i];
    struct bytes hello = from_hex(row->hex);
    for (size_t len = 0; len < hello.len; len++)
        ck_assert_msg(peek_exact(hello.p, len) == WAIT, "%s cut at %zu: %s", row->name, len,
                      tls_hello_peek_name(peek_exact(hello.p, len)));
    free(hello.p);
}
END_TEST

/* The record header rewritten to end at every byte (a complete record with a
 * cut ClientHello inside): one of the four answers, never a crash or an
 * overread. */
START_TEST(test_hello_every_short_record)
{
    const struct captured_row *row = &captured_rows[_i];
    struct bytes hello = from_hex(row->hex);
    for (size_t body = 1; body < hello.len - 5; body++) {
        uint8_t *cut = malloc(5 + body);
        ck_assert_ptr_nonnull(cut);
        memcpy(cut, hello.p, 5 + body);
        cut[3] = (uint8_t)(body >> 8);
        cut[4] = (uint8_t)body;
        ck_assert_msg(is_peek(tls_peek_client_hello(cut, 5 + body)), "%s, record of %zu", row->name,
                      body);
        free(cut);
    }
    free(hello.p);
}
END_TEST

/* Every byte of a real ClientHello changed in turn (three ways): one of
 * the four answers, never a crash or an overread. */
START_TEST(test_hello_mutations)
{
    const struct captured_row *row = &captured_rows[_i];
    struct bytes hello = from_hex(row->hex);
    static const uint8_t masks[] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < hello.len; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            hello.p[i] ^= masks[m];
            ck_assert_msg(is_peek(peek_exact(hello.p, hello.len)), "%s, byte %zu ^ %02x", row->name,
                          i, masks[m]);
            hello.p[i] ^= masks[m];
        }
    }
    free(hello.p);
}
END_TEST

/* RFC 8446 5.1: a handshake message may span several records. A real
 * ClientHello split in two records, cut at several places, is still a
 * ClientHello that asks for a staple: never "garbage". */
START_TEST(test_hello_split_across_records)
{
    const struct captured_row *row = &captured_rows[_i];
    struct bytes hello = from_hex(row->hex);
    size_t message_len = hello.len - 5;
    const size_t cuts[] = {4, 40, 100, message_len / 2, message_len - 10};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        size_t first = cuts[k], second = message_len - first;
        size_t total = 5 + first + 5 + second;
        uint8_t *split = malloc(total);
        ck_assert_ptr_nonnull(split);
        memcpy(split, hello.p, 5);
        split[3] = (uint8_t)(first >> 8);
        split[4] = (uint8_t)first;
        memcpy(split + 5, hello.p + 5, first);
        memcpy(split + 5 + first, hello.p, 5);
        split[5 + first + 3] = (uint8_t)(second >> 8);
        split[5 + first + 4] = (uint8_t)second;
        memcpy(split + 10 + first, hello.p + 5 + first, second);
        enum tls_hello_peek peek = tls_peek_client_hello(split, total);
        ck_assert_msg(peek == row->expected, "%s in two records (%zu + %zu bytes): %s", row->name,
                      first, second, tls_hello_peek_name(peek));
        /* Only the first record so far: wait for the rest, do not drop. */
        peek = tls_peek_client_hello(split, 5 + first);
        ck_assert_msg(peek != NOT, "%s, first of two records (%zu bytes) called garbage", row->name,
                      first);
        free(split);
    }
    free(hello.p);
}
END_TEST

/* A tiny writer for made-up ClientHellos. */
struct writer {
    uint8_t b[1024];
    size_t n;
};

static void put(struct writer *w, size_t bytes, size_t value)
{
    ck_assert_uint_le(w->n + bytes, sizeof w->b);
    for (size_t i = 0; i < bytes; i++)
        w->b[w->n++] = (uint8_t)(value >> (8 * (bytes - 1 - i)));
}

static void patch(struct writer *w, size_t at, size_t bytes, size_t value)
{
    for (size_t i = 0; i < bytes; i++)
        w->b[at + i] = (uint8_t)(value >> (8 * (bytes - 1 - i)));
}

static const struct synth_row {
    const char *name;
    uint8_t record_type, record_major, handshake_type;
    uint16_t cipher;
    bool has_extensions; /* false: the hello ends after compression_methods */
    uint16_t ext[4];
    size_t ext_count;
    int block_extra;    /* added to the extensions block's length */
    int last_ext_extra; /* added to the last extension's length */
    enum tls_hello_peek expected;
} synth_rows[] = {
    {"status_request alone", 22, 3, 1, 0x1301, true, {5}, 1, 0, 0, ASKS},
    {"status_request first", 22, 3, 1, 0x1301, true, {5, 0, 10}, 3, 0, 0, ASKS},
    {"status_request last", 22, 3, 1, 0x1301, true, {0, 10, 13, 5}, 4, 0, 0, ASKS},
    {"no extensions block (TLS 1.0 style)", 22, 3, 1, 0x002f, false, {0}, 0, 0, 0, NO},
    {"empty extensions block", 22, 3, 1, 0x1301, true, {0}, 0, 0, 0, NO},
    {"status_request_v2 (17) only", 22, 3, 1, 0x1301, true, {0, 17}, 2, 0, 0, NO},
    {"extension 0x0500 is not 5", 22, 3, 1, 0x1301, true, {0x0500}, 1, 0, 0, NO},
    {"cipher suite 0x0005 is not an extension", 22, 3, 1, 0x0005, true, {0, 10}, 2, 0, 0, NO},
    {"application data record", 23, 3, 1, 0x1301, true, {5}, 1, 0, 0, NOT},
    {"alert record", 21, 3, 1, 0x1301, true, {5}, 1, 0, 0, NOT},
    {"record version 2.x", 22, 2, 1, 0x1301, true, {5}, 1, 0, 0, NOT},
    {"ServerHello, not ClientHello", 22, 3, 2, 0x1301, true, {5}, 1, 0, 0, NOT},
    {"Certificate message", 22, 3, 11, 0x1301, true, {5}, 1, 0, 0, NOT},
    {"last extension runs past the block", 22, 3, 1, 0x1301, true, {0, 5}, 2, 0, 4, NOT},
    {"extensions block runs past the hello", 22, 3, 1, 0x1301, true, {0, 5}, 2, 10, 0, NOT},
};

/* Made-up ClientHellos, one rule each: where status_request may stand, what
 * only looks like it, and which records are not a ClientHello at all. */
START_TEST(test_hello_synthetic)
{
    const struct synth_row *row = &synth_rows[_i];
    struct writer w = {.n = 0};
    put(&w, 1, row->record_type);
    put(&w, 1, row->record_major);
    put(&w, 1, 1);
    size_t record_len_at = w.n;
    put(&w, 2, 0);
    put(&w, 1, row->handshake_type);
    size_t hs_len_at = w.n;
    put(&w, 3, 0);
    put(&w, 2, 0x0303); /* legacy_version */
    for (int i = 0; i < 32; i++)
        put(&w, 1, (size_t)(0x40 + i)); /* random */
    put(&w, 1, 0);                      /* session id */
    put(&w, 2, 2);
    put(&w, 2, row->cipher);
    put(&w, 1, 1); /* compression methods: null */
    put(&w, 1, 0);
    if (row->has_extensions) {
        size_t block_at = w.n;
        put(&w, 2, 0);
        for (size_t i = 0; i < row->ext_count; i++) {
            bool is_last = i + 1 == row->ext_count;
            put(&w, 2, row->ext[i]);
            /* status_request body: ocsp(1), empty responder ids and extensions */
            size_t body = row->ext[i] == 5 ? 5 : 2;
            put(&w, 2, body + (is_last ? (size_t)row->last_ext_extra : 0));
            for (size_t k = 0; k < body; k++)
                put(&w, 1, k == 0 && row->ext[i] == 5 ? 1 : 0);
        }
        patch(&w, block_at, 2, w.n - block_at - 2 + (size_t)row->block_extra);
    }
    patch(&w, record_len_at, 2, w.n - 5);
    patch(&w, hs_len_at, 3, w.n - 9);
    enum tls_hello_peek peek = peek_exact(w.b, w.n);
    ck_assert_msg(peek == row->expected, "%s: %s, wanted %s", row->name, tls_hello_peek_name(peek),
                  tls_hello_peek_name(row->expected));
}
END_TEST

static const struct raw_row {
    const char *name;
    const char *bytes;
    size_t len;
    enum tls_hello_peek expected;
} raw_rows[] = {
    {"nothing yet", "", 0, WAIT},
    {"one byte of a record header", "\x16", 1, WAIT},
    {"four bytes of a record header", "\x16\x03\x01\x00", 4, WAIT},
    {"a header promising more", "\x16\x03\x01\x00\x30\x01\x00", 7, WAIT},
    {"an empty record", "\x16\x03\x01\x00\x00", 5, NOT},
    {"a record over 2^14 bytes", "\x16\x03\x01\x40\x01", 5, NOT},
    {"a record of 0xffff bytes", "\x16\x03\x03\xff\xff\x01", 6, NOT},
    {"a ClientHello of length 0", "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9, NOT},
    {"plain HTTP", "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n", 35, NOT},
    {"SSL 2 compatible hello", "\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10", 11, NOT},
    {"zeros", "\x00\x00\x00\x00\x00\x00\x00\x00", 8, NOT},
};

START_TEST(test_hello_raw)
{
    const struct raw_row *row = &raw_rows[_i];
    enum tls_hello_peek peek = peek_exact((const uint8_t *)row->bytes, row->len);
    ck_assert_msg(peek == row->expected, "%s: %s, wanted %s", row->name, tls_hello_peek_name(peek),
                  tls_hello_peek_name(row->expected));
}
END_TEST

static uint64_t xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* Random garbage: five bytes or more that do not start a handshake record
 * are garbage at once; random bodies behind a real record header never crash. */
START_TEST(test_hello_random_garbage)
{
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    uint8_t buf[800];
    for (int round = 0; round < 4000; round++) {
        size_t len = (size_t)(xorshift(&state) % sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)xorshift(&state);
        if (round % 2 == 0) {
            if (len > 0 && buf[0] == 22)
                buf[0] = 23;
            enum tls_hello_peek peek = peek_exact(buf, len);
            ck_assert_msg(peek == (len < 5 ? WAIT : NOT), "round %d, %zu bytes: %s", round, len,
                          tls_hello_peek_name(peek));
        } else if (len >= 9) {
            /* A plausible header and handshake header, random contents. */
            size_t body = len - 5;
            buf[0] = 22;
            buf[1] = 3;
            buf[2] = 1;
            buf[3] = (uint8_t)(body >> 8);
            buf[4] = (uint8_t)body;
            buf[5] = 1;
            ck_assert_msg(is_peek(peek_exact(buf, len - (size_t)(round % 3))), "round %d", round);
        }
    }
}
END_TEST

/* wolfSSL as the client: its ClientHello, captured through its I/O hooks. */
struct capture {
    uint8_t bytes[4096];
    size_t len;
};

static int capture_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    struct capture *c = ctx;
    size_t n = (size_t)sz;
    ck_assert_uint_le(c->len + n, sizeof c->bytes);
    memcpy(c->bytes + c->len, buf, n);
    c->len += n;
    return sz;
}

static int nothing_to_receive(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    (void)buf;
    (void)sz;
    (void)ctx;
    return WOLFSSL_CBIO_ERR_WANT_READ;
}

static const struct wolfssl_row {
    const char *name;
    bool is_tls13;
    bool uses_status_request;
    bool uses_status_request_v2;
    enum tls_hello_peek expected;
} wolfssl_rows[] = {
    {"wolfSSL TLS 1.3, status_request", true, true, false, ASKS},
    {"wolfSSL TLS 1.3", true, false, false, NO},
    {"wolfSSL TLS 1.2, status_request", false, true, false, ASKS},
    {"wolfSSL TLS 1.2, status_request_v2 only", false, false, true, NO},
};

START_TEST(test_hello_from_wolfssl)
{
    const struct wolfssl_row *row = &wolfssl_rows[_i];
    static struct capture hello;
    hello.len = 0;
    ck_assert_int_eq(wolfSSL_Init(), WOLFSSL_SUCCESS);
    WOLFSSL_CTX *ctx =
        wolfSSL_CTX_new(row->is_tls13 ? wolfTLSv1_3_client_method() : wolfTLSv1_2_client_method());
    ck_assert_ptr_nonnull(ctx);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
    ck_assert_int_eq(wolfSSL_CTX_EnableOCSPStapling(ctx), WOLFSSL_SUCCESS);
    WOLFSSL *ssl = wolfSSL_new(ctx);
    ck_assert_ptr_nonnull(ssl);
    wolfSSL_SSLSetIOSend(ssl, capture_send);
    wolfSSL_SSLSetIORecv(ssl, nothing_to_receive);
    wolfSSL_SetIOWriteCtx(ssl, &hello);
    ck_assert_int_eq(wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, SITE, sizeof SITE - 1),
                     WOLFSSL_SUCCESS);
    if (row->uses_status_request)
        ck_assert_int_eq(wolfSSL_UseOCSPStapling(ssl, WOLFSSL_CSR_OCSP, 0), WOLFSSL_SUCCESS);
    if (row->uses_status_request_v2)
        ck_assert_int_eq(wolfSSL_UseOCSPStaplingV2(ssl, WOLFSSL_CSR2_OCSP_MULTI, 0),
                         WOLFSSL_SUCCESS);
    int rc = wolfSSL_connect(ssl);
    ck_assert_int_ne(rc, WOLFSSL_SUCCESS);
    ck_assert_int_eq(wolfSSL_get_error(ssl, rc), WOLFSSL_ERROR_WANT_READ);
    ck_assert_uint_gt(hello.len, 50);
    ck_assert_msg(peek_exact(hello.bytes, hello.len) == row->expected, "%s", row->name);
    for (size_t len = 0; len < hello.len; len++)
        ck_assert_msg(peek_exact(hello.bytes, len) == WAIT, "%s cut at %zu", row->name, len);
    wolfSSL_free(ssl);
    wolfSSL_CTX_free(ctx);
    wolfSSL_Cleanup();
}
END_TEST

/* Each answer has its own words (the trace and test messages use them). */
START_TEST(test_hello_names)
{
    const enum tls_hello_peek all[] = {ASKS, NO, WAIT, NOT};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ck_assert_str_ne(tls_hello_peek_name(all[i]), "unknown");
        for (size_t k = 0; k < i; k++)
            ck_assert_str_ne(tls_hello_peek_name(all[i]), tls_hello_peek_name(all[k]));
    }
}
END_TEST

/* ---- The TLS 1.2 CertificateStatus message (RFC 6066 8) ---------------------------- */

static const struct certstatus_row {
    const char *label;
    uint8_t bytes[16];
    size_t len;
    enum tls_certstatus_error want;
    size_t response_offset, response_len; /* TLS_CERTSTATUS_OK only */
} certstatus_rows[] = {
    {"good", {22, 0, 0, 7, 1, 0, 0, 3, 0x30, 0x01, 0x00}, 11, TLS_CERTSTATUS_OK, 8, 3},
    {"empty input", {0}, 0, TLS_CERTSTATUS_TRUNCATED, 0, 0},
    {"type only", {22}, 1, TLS_CERTSTATUS_TRUNCATED, 0, 0},
    {"half a length", {22, 0, 0}, 3, TLS_CERTSTATUS_TRUNCATED, 0, 0},
    {"body shorter than its length",
     {22, 0, 0, 9, 1, 0, 0, 3, 0x30, 0x01, 0x00},
     11,
     TLS_CERTSTATUS_TRUNCATED,
     0,
     0},
    {"response longer than the body",
     {22, 0, 0, 7, 1, 0, 0, 5, 0x30, 0x01, 0x00},
     11,
     TLS_CERTSTATUS_TRUNCATED,
     0,
     0},
    {"length 2^24 - 1", {22, 0xff, 0xff, 0xff, 1}, 5, TLS_CERTSTATUS_TRUNCATED, 0, 0},
    {"no status_type", {22, 0, 0, 0}, 4, TLS_CERTSTATUS_TRUNCATED, 0, 0},
    {"no response length", {22, 0, 0, 1, 1}, 5, TLS_CERTSTATUS_TRUNCATED, 0, 0},
    {"a Certificate message instead",
     {11, 0, 0, 7, 1, 0, 0, 3, 0x30, 0x01, 0x00},
     11,
     TLS_CERTSTATUS_WRONG_MESSAGE,
     0,
     0},
    {"ServerHelloDone", {14, 0, 0, 0}, 4, TLS_CERTSTATUS_WRONG_MESSAGE, 0, 0},
    {"a ClientHello, cut short", {1, 0}, 2, TLS_CERTSTATUS_WRONG_MESSAGE, 0, 0},
    {"status_type ocsp_multi",
     {22, 0, 0, 7, 2, 0, 0, 3, 0x30, 0x01, 0x00},
     11,
     TLS_CERTSTATUS_NOT_OCSP,
     0,
     0},
    {"status_type 0",
     {22, 0, 0, 7, 0, 0, 0, 3, 0x30, 0x01, 0x00},
     11,
     TLS_CERTSTATUS_NOT_OCSP,
     0,
     0},
    {"empty OCSPResponse", {22, 0, 0, 4, 1, 0, 0, 0}, 8, TLS_CERTSTATUS_EMPTY_RESPONSE, 0, 0},
    {"a byte after the response",
     {22, 0, 0, 8, 1, 0, 0, 3, 0x30, 0x01, 0x00, 0xff},
     12,
     TLS_CERTSTATUS_TRAILING,
     0,
     0},
    {"a byte after the message",
     {22, 0, 0, 7, 1, 0, 0, 3, 0x30, 0x01, 0x00, 0xff},
     12,
     TLS_CERTSTATUS_TRAILING,
     0,
     0},
};

START_TEST(test_certstatus_rows)
{
    const struct certstatus_row *row = &certstatus_rows[_i];
    struct der_cursor response = {NULL, 0};
    uint8_t *copy = exact_copy(row->bytes, row->len);
    enum tls_certstatus_error rc = tls_read_certificate_status(copy, row->len, &response);
    ck_assert_msg(rc == row->want, "%s: got %d (%s), want %d", row->label, rc,
                  tls_certstatus_strerror(rc), row->want);
    if (rc == TLS_CERTSTATUS_OK) {
        ck_assert_ptr_eq(response.p, copy + row->response_offset);
        ck_assert_uint_eq(response.left, row->response_len);
    }
    ck_assert_str_ne(tls_certstatus_strerror(rc), "unknown error");
    free(copy);
}
END_TEST

/* Every prefix of a good message is "truncated", never read past its end. */
START_TEST(test_certstatus_every_prefix)
{
    const struct certstatus_row *good = &certstatus_rows[0];
    struct der_cursor response;
    for (size_t len = 0; len < good->len; len++) {
        uint8_t *copy = exact_copy(good->bytes, len);
        ck_assert_msg(tls_read_certificate_status(copy, len, &response) == TLS_CERTSTATUS_TRUNCATED,
                      "cut at %zu", len);
        free(copy);
    }
    ck_assert_str_eq(tls_certstatus_strerror(42), "unknown error");
}
END_TEST

/* ---- The leaf's status_request in a TLS 1.3 Certificate (RFC 8446 4.4.2.1) -------- */

static const struct leaf_row {
    const char *label;
    uint8_t bytes[40];
    size_t len;
    bool is_found;
    size_t status_offset, status_len;
} leaf_rows[] = {
    /* context<0>, list<3>{ cert_data<3>{0x30 0x00}, extensions<2>{ 5: 1 0 0 1 0x30 } } */
    {"status_request on the leaf",
     {0, 0, 0, 16, 0, 0, 2, 0x30, 0x00, 0, 9, 0, 5, 0, 5, 1, 0, 0, 1, 0x30},
     20,
     true,
     15,
     5},
    {"status_request after another extension",
     {0, 0, 0, 20, 0, 0, 2, 0x30, 0x00, 0, 13, 0, 0, 0, 0, 0, 5, 0, 5, 1, 0, 0, 1, 0x30},
     24,
     true,
     19,
     5},
    {"with a request context",
     {2, 0xaa, 0xbb, 0, 0, 16, 0, 0, 2, 0x30, 0x00, 0, 9, 0, 5, 0, 5, 1, 0, 0, 1, 0x30},
     22,
     true,
     17,
     5},
    {"no extensions on the leaf", {0, 0, 0, 7, 0, 0, 2, 0x30, 0x00, 0, 0}, 11, false, 0, 0},
    {"only status_request_v2",
     {0, 0, 0, 11, 0, 0, 2, 0x30, 0x00, 0, 4, 0, 17, 0, 0},
     15,
     false,
     0,
     0},
    {"the status on the second entry only",
     {0, 0, 0, 19, 0, 0, 2, 0x30, 0x00, 0, 0, 0, 0, 2, 0x30, 0x00, 0, 5, 0, 5, 0, 1, 0x30},
     23,
     false,
     0,
     0},
    {"an empty list", {0, 0, 0, 0}, 4, false, 0, 0},
    {"nothing", {0}, 0, false, 0, 0},
    {"the list longer than the message", {0, 0, 0, 40, 0, 0, 2, 0x30, 0x00}, 9, false, 0, 0},
    {"extension data runs past the block",
     {0, 0, 0, 16, 0, 0, 2, 0x30, 0x00, 0, 9, 0, 5, 0, 9, 1, 0, 0, 1, 0x30},
     20,
     false,
     0,
     0},
};

START_TEST(test_leaf_status)
{
    const struct leaf_row *row = &leaf_rows[_i];
    uint8_t *copy = exact_copy(row->bytes, row->len);
    struct der_cursor status = {NULL, 0};
    bool is_found = tls_find_leaf_status(der_cursor_init(copy, row->len), &status);
    ck_assert_msg(is_found == row->is_found, "%s", row->label);
    if (is_found) {
        ck_assert_msg(status.p == copy + row->status_offset && status.left == row->status_len,
                      "%s: at %td, %zu bytes", row->label, status.p - copy, status.left);
        /* What it hands over reads as a CertificateStatus struct. */
        uint8_t type = 0;
        ck_assert(tls_get_u8(&status, &type) && type == TLS_STATUS_OCSP);
    }
    /* Every prefix is refused cleanly, never read past its end. */
    for (size_t len = 0; len < row->len; len++) {
        uint8_t *cut = exact_copy(row->bytes, len);
        tls_find_leaf_status(der_cursor_init(cut, len), &status);
        free(cut);
    }
    free(copy);
}
END_TEST

Suite *tls_wire_suite(void);
Suite *tls_wire_suite(void)
{
    Suite *s = suite_create("tls_wire");

    TCase *reads = tcase_create("reads");
    tcase_add_loop_test(reads, test_reads, 0, ROWS(read_rows));
    tcase_add_test(reads, test_vector_body);
    tcase_add_loop_test(reads, test_records, 0, ROWS(record_rows));
    tcase_add_loop_test(reads, test_typed_vectors, 0, ROWS(typed_rows));
    suite_add_tcase(s, reads);

    TCase *hello = tcase_create("client_hello");
    tcase_add_loop_test(hello, test_hello_captured, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_every_prefix, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_every_short_record, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_mutations, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_split_across_records, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_synthetic, 0, ROWS(synth_rows));
    tcase_add_loop_test(hello, test_hello_raw, 0, ROWS(raw_rows));
    tcase_add_test(hello, test_hello_random_garbage);
    tcase_add_loop_test(hello, test_hello_from_wolfssl, 0, ROWS(wolfssl_rows));
    tcase_add_test(hello, test_hello_names);
    suite_add_tcase(s, hello);

    TCase *status = tcase_create("certificate_status");
    tcase_add_loop_test(status, test_certstatus_rows, 0, ROWS(certstatus_rows));
    tcase_add_test(status, test_certstatus_every_prefix);
    tcase_add_loop_test(status, test_leaf_status, 0, ROWS(leaf_rows));
    suite_add_tcase(s, status);
    return s;
}
