/* test_webserver.c — the web server's parts called directly: the ClientHello
 * peek (server_client_hello_asks_status) on real ClientHellos from openssl
 * s_client and wolfSSL, on every truncation, mutation and piece of garbage;
 * the staple's life (stapler_open, then stapler_tick at chosen simulated
 * times) against a real bin/responder; and a site's TLS context handing its
 * staple to a real wolfSSL client, with no memory lost per handshake. The real
 * program with real peers is tests/integration/test_webserver_tls.c. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../webserver/server.h"
#include "../webserver/site.h"
#include "../webserver/stapler.h"
#include "clock.h"
#include "control_token.h"
#include "fileio.h"
#include "integration/proc.h"
#include "lab.h"
#include "ocsp_fetch.h"
#include "ocsp_verify.h"
#include "testutil.h"
#include "trace.h"
#include "x509.h"

#define SITE "shop.test"
#define RUN_TIMEOUT_MS 20000
#define VALIDITY_SECONDS 86400

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
static int asks_exact(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    ck_assert_ptr_nonnull(copy);
    if (len > 0)
        memcpy(copy, data, len);
    int rc = server_client_hello_asks_status(len > 0 ? copy : NULL, len);
    free(copy);
    return rc;
}

static const struct captured_row {
    const char *name;
    const char *hex;
    int expected;
} captured_rows[] = {
    {"openssl -tls1_3 -status", hello_openssl_status_13, 1},
    {"openssl -tls1_3", hello_openssl_plain_13, 0},
    {"openssl -tls1_2 -status", hello_openssl_status_12, 1},
    {"openssl -tls1_2", hello_openssl_plain_12, 0},
};
#define CAPTURED_ROWS (int)(sizeof captured_rows / sizeof captured_rows[0])

/* A real ClientHello is judged right; with more bytes behind it (the client
 * already sent something else) the answer is the same. */
START_TEST(test_hello_captured)
{
    const struct captured_row *row = &captured_rows[_i];
    struct bytes hello = from_hex(row->hex);
    ck_assert_msg(asks_exact(hello.p, hello.len) == row->expected, "%s", row->name);
    uint8_t *longer = malloc(hello.len + 64);
    ck_assert_ptr_nonnull(longer);
    memcpy(longer, hello.p, hello.len);
    memset(longer + hello.len, 0x17, 64);
    ck_assert_msg(asks_exact(longer, hello.len + 64) == row->expected, "%s + more", row->name);
    free(longer);
    free(hello.p);
}
END_TEST

/* Every prefix of a real ClientHello is "incomplete, wait" (-2), never
 * garbage: a slow client must not be dropped. */
START_TEST(test_hello_every_prefix)
{
    const struct captured_row *row = &captured_rows[_i];
    struct bytes hello = from_hex(row->hex);
    for (size_t len = 0; len < hello.len; len++)
        ck_assert_msg(asks_exact(hello.p, len) == -2, "%s cut at %zu: %d", row->name, len,
                      asks_exact(hello.p, len));
    free(hello.p);
}
END_TEST

/* The record header rewritten to end at every byte (a complete record with a
 * cut ClientHello inside): an answer in -2..1, never a crash or an overread. */
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
        int rc = server_client_hello_asks_status(cut, 5 + body);
        ck_assert_msg(rc >= -2 && rc <= 1, "%s, record of %zu: %d", row->name, body, rc);
        free(cut);
    }
    free(hello.p);
}
END_TEST

/* Every byte of a real ClientHello changed in turn (three ways): an answer
 * in -2..1, never a crash or an overread. */
START_TEST(test_hello_mutations)
{
    const struct captured_row *row = &captured_rows[_i];
    struct bytes hello = from_hex(row->hex);
    static const uint8_t masks[] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < hello.len; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            hello.p[i] ^= masks[m];
            int rc = asks_exact(hello.p, hello.len);
            ck_assert_msg(rc >= -2 && rc <= 1, "%s, byte %zu ^ %02x: %d", row->name, i,
                          masks[m], rc);
            hello.p[i] ^= masks[m];
        }
    }
    free(hello.p);
}
END_TEST

/* RFC 8446 5.1: a handshake message may span several records. A real
 * ClientHello split in two records, cut at several places, is still a
 * ClientHello that asks for a staple: never "garbage" (-1). */
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
        int rc = server_client_hello_asks_status(split, total);
        ck_assert_msg(rc == row->expected,
                      "%s in two records (%zu + %zu bytes): %d, wanted %d", row->name, first,
                      second, rc, row->expected);
        /* Only the first record so far: wait for the rest, do not drop. */
        rc = server_client_hello_asks_status(split, 5 + first);
        ck_assert_msg(rc != -1, "%s, first of two records (%zu bytes) called garbage",
                      row->name, first);
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
    bool has_extensions;       /* false: the hello ends after compression_methods */
    uint16_t ext[4];
    size_t ext_count;
    int block_extra;           /* added to the extensions block's length */
    int last_ext_extra;        /* added to the last extension's length */
    int expected;
} synth_rows[] = {
    {"status_request alone", 22, 3, 1, 0x1301, true, {5}, 1, 0, 0, 1},
    {"status_request first", 22, 3, 1, 0x1301, true, {5, 0, 10}, 3, 0, 0, 1},
    {"status_request last", 22, 3, 1, 0x1301, true, {0, 10, 13, 5}, 4, 0, 0, 1},
    {"no extensions block (TLS 1.0 style)", 22, 3, 1, 0x002f, false, {0}, 0, 0, 0, 0},
    {"empty extensions block", 22, 3, 1, 0x1301, true, {0}, 0, 0, 0, 0},
    {"status_request_v2 (17) only", 22, 3, 1, 0x1301, true, {0, 17}, 2, 0, 0, 0},
    {"extension 0x0500 is not 5", 22, 3, 1, 0x1301, true, {0x0500}, 1, 0, 0, 0},
    {"cipher suite 0x0005 is not an extension", 22, 3, 1, 0x0005, true, {0, 10}, 2, 0, 0, 0},
    {"application data record", 23, 3, 1, 0x1301, true, {5}, 1, 0, 0, -1},
    {"alert record", 21, 3, 1, 0x1301, true, {5}, 1, 0, 0, -1},
    {"record version 2.x", 22, 2, 1, 0x1301, true, {5}, 1, 0, 0, -1},
    {"ServerHello, not ClientHello", 22, 3, 2, 0x1301, true, {5}, 1, 0, 0, -1},
    {"Certificate message", 22, 3, 11, 0x1301, true, {5}, 1, 0, 0, -1},
    {"last extension runs past the block", 22, 3, 1, 0x1301, true, {0, 5}, 2, 0, 4, -1},
    {"extensions block runs past the hello", 22, 3, 1, 0x1301, true, {0, 5}, 2, 10, 0, -1},
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
    put(&w, 1, 0);      /* session id */
    put(&w, 2, 2);
    put(&w, 2, row->cipher);
    put(&w, 1, 1);      /* compression methods: null */
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
    int rc = asks_exact(w.b, w.n);
    ck_assert_msg(rc == row->expected, "%s: %d, wanted %d", row->name, rc, row->expected);
}
END_TEST

static const struct raw_row {
    const char *name;
    const char *bytes;
    size_t len;
    int expected;
} raw_rows[] = {
    {"nothing yet", "", 0, -2},
    {"one byte of a record header", "\x16", 1, -2},
    {"four bytes of a record header", "\x16\x03\x01\x00", 4, -2},
    {"a header promising more", "\x16\x03\x01\x00\x30\x01\x00", 7, -2},
    {"an empty record", "\x16\x03\x01\x00\x00", 5, -1},
    {"a record over 2^14 bytes", "\x16\x03\x01\x40\x01", 5, -1},
    {"a record of 0xffff bytes", "\x16\x03\x03\xff\xff\x01", 6, -1},
    {"a ClientHello of length 0", "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9, -1},
    {"plain HTTP", "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n", 35, -1},
    {"SSL 2 compatible hello", "\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10", 11, -1},
    {"zeros", "\x00\x00\x00\x00\x00\x00\x00\x00", 8, -1},
};

START_TEST(test_hello_raw)
{
    const struct raw_row *row = &raw_rows[_i];
    int rc = asks_exact((const uint8_t *)row->bytes, row->len);
    ck_assert_msg(rc == row->expected, "%s: %d, wanted %d", row->name, rc, row->expected);
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
 * are -1 at once; random bodies behind a real record header never crash. */
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
            int rc = asks_exact(buf, len);
            ck_assert_msg(rc == (len < 5 ? -2 : -1), "round %d, %zu bytes: %d", round, len, rc);
        } else if (len >= 9) {
            /* A plausible header and handshake header, random contents. */
            size_t body = len - 5;
            buf[0] = 22;
            buf[1] = 3;
            buf[2] = 1;
            buf[3] = (uint8_t)(body >> 8);
            buf[4] = (uint8_t)body;
            buf[5] = 1;
            int rc = asks_exact(buf, len - (size_t)(round % 3));
            ck_assert_msg(rc >= -2 && rc <= 1, "round %d: %d", round, rc);
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
    int expected;
} wolfssl_rows[] = {
    {"wolfSSL TLS 1.3, status_request", true, true, false, 1},
    {"wolfSSL TLS 1.3", true, false, false, 0},
    {"wolfSSL TLS 1.2, status_request", false, true, false, 1},
    {"wolfSSL TLS 1.2, status_request_v2 only", false, false, true, 0},
};

START_TEST(test_hello_from_wolfssl)
{
    const struct wolfssl_row *row = &wolfssl_rows[_i];
    static struct capture hello;
    hello.len = 0;
    ck_assert_int_eq(wolfSSL_Init(), WOLFSSL_SUCCESS);
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(row->is_tls13 ? wolfTLSv1_3_client_method()
                                                     : wolfTLSv1_2_client_method());
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
    ck_assert_msg(asks_exact(hello.bytes, hello.len) == row->expected, "%s", row->name);
    for (size_t len = 0; len < hello.len; len++)
        ck_assert_msg(asks_exact(hello.bytes, len) == -2, "%s cut at %zu", row->name, len);
    wolfSSL_free(ssl);
    wolfSSL_CTX_free(ctx);
    wolfSSL_Cleanup();
}
END_TEST

/* ---- the stapler against a real responder ------------------------------------------ */

/* Every lab of a test case lives under one scratch directory, removed after
 * the case even when a test fails (it exits before its own teardown). */
static void scratch_setup(void)
{
    test_scratch_enter("webserver");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* One lab per test: a CA, a responder, shop.test naming it; this process
 * traces as the web server and reads the lab's clock. */
static char *lab;
static struct proc responder = PROC_INIT, second_responder = PROC_INIT;
static unsigned responder_port;
static struct stapler stapler;
static bool is_stapler_open;
static struct site_slot slot;

static void run_ok(const char *const argv[], char **out)
{
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "%s timed out", argv[0]);
    ck_assert_msg(run.exit_code == 0, "%s %s: exit %d: %s", argv[0], argv[1], run.exit_code,
                  run.err);
    if (out != NULL) {
        *out = run.out;
        run.out = NULL;
    }
    test_run_free(&run);
}

/* bin/ca ARGS... --lab LAB (NULL-terminated); exit 0 or the test fails. */
static void ca(const char *first, ...)
{
    const char *argv[16];
    char program[LAB_PATH_MAX];
    size_t argc = 0;
    va_list ap;
    snprintf(program, sizeof program, "%s", test_bin("ca"));
    argv[argc++] = program;
    argv[argc++] = first;
    va_start(ap, first);
    for (const char *arg = va_arg(ap, const char *); arg != NULL; arg = va_arg(ap, const char *)) {
        ck_assert_uint_lt(argc, 12);
        argv[argc++] = arg;
    }
    va_end(ap);
    argv[argc++] = "--lab";
    argv[argc++] = lab;
    argv[argc] = NULL;
    run_ok(argv, NULL);
}

static unsigned start_responder(struct proc *p, const char *listen_spec)
{
    char program[LAB_PATH_MAX], line[256];
    snprintf(program, sizeof program, "%s", test_bin("responder"));
    const char *argv[] = {program, "--lab", lab, "--listen", listen_spec, NULL};
    ck_assert_int_eq(proc_start(p, argv), 0);
    if (proc_wait_line(p, 20000, line, sizeof line) != 0) {
        char *err = proc_stderr(p);
        ck_abort_msg("responder did not start: %s", err);
    }
    unsigned port = 0;
    ck_assert_msg(sscanf(line, "listening on 127.0.0.1:%u", &port) == 1, "%s", line);
    return port;
}

/* Gone for good. (Its exit status is the responder suite's business.) */
static void stop_responder(void)
{
    proc_stop(&responder, 5000);
    ck_assert(!proc_is_running(&responder));
}

static void issue_with_url(unsigned port)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
    ca("issue", SITE, "--ocsp-url", url, NULL);
}

static void stapler_setup(void)
{
    struct errbuf err = {{0}};
    is_stapler_open = false;
    responder = (struct proc)PROC_INIT;
    second_responder = (struct proc)PROC_INIT;
    ck_assert_int_eq(wolfSSL_Init(), WOLFSSL_SUCCESS);
    ck_assert_msg(ocsp_fetch_global_init(&err) == 0, "%s", err.msg);
    lab = test_tmpdir();
    ca("init", NULL);
    char token[CONTROL_TOKEN_HEX + 1];
    test_control_token(lab, token);
    responder_port = start_responder(&responder, "127.0.0.1:0");
    issue_with_url(responder_port);
    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    ck_assert_msg(trace_open(lab, "webserver", &err) == 0, "%s", err.msg);
    site_slot_init(&slot);
}

static void close_stapler(void)
{
    if (is_stapler_open) {
        stapler_close(&stapler);
        site_slot_set(&slot, NULL);
    }
    is_stapler_open = false;
}

static void stapler_teardown(void)
{
    close_stapler();
    site_slot_free(&slot);
    proc_free(&responder);
    proc_free(&second_responder);
    trace_close();
    test_rmtree(lab);
    free(lab);
    lab = NULL;
    wolfSSL_Cleanup();
}

/* stapler_open for shop.test; the background thread is never started, so
 * only the test moves the stapler, with stapler_tick at the times it picks. */
static void open_stapler_with(bool is_stapling_on, const char *staple_file)
{
    struct errbuf err = {{0}};
    struct stapler_config config = {
        .lab_dir = lab,
        .name = SITE,
        .is_stapling_on = is_stapling_on,
        .staple_file = staple_file,
        .versions = TLS_BOTH,
    };
    close_stapler();
    ck_assert_msg(stapler_open(&stapler, &config, &slot, &err) == 0, "%s", err.msg);
    is_stapler_open = true;
}

static void open_stapler(void)
{
    open_stapler_with(true, NULL);
}

static struct staple_view view_now(void)
{
    struct staple_view view;
    stapler_view(&stapler, &view);
    return view;
}

/* The staple the current site hands out, copied (NULL when none). */
static struct bytes served_staple(void)
{
    struct bytes b = {NULL, 0};
    struct site *site = site_slot_get(&slot);
    ck_assert_ptr_nonnull(site);
    if (site->staple != NULL) {
        b.p = malloc(site->staple_len);
        ck_assert_ptr_nonnull(b.p);
        memcpy(b.p, site->staple, site->staple_len);
        b.len = site->staple_len;
    }
    site_release(site);
    return b;
}

static bool bytes_equal(struct bytes a, struct bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void staple_path(char *out)
{
    char rel[LAB_PATH_MAX];
    snprintf(rel, sizeof rel, "%s/%s.der", LAB_STAPLES_DIR, SITE);
    ck_assert_int_eq(file_path_join(out, LAB_PATH_MAX, lab, rel), 0);
}

static struct bytes saved_staple(void)
{
    char path[LAB_PATH_MAX];
    struct bytes b = {NULL, 0};
    struct errbuf err = {{0}};
    staple_path(path);
    ck_assert_msg(file_read_all(path, 1 << 20, &b.p, &b.len, &err) == 0, "%s", err.msg);
    return b;
}

static bool has_saved_staple(void)
{
    char path[LAB_PATH_MAX];
    staple_path(path);
    return access(path, F_OK) == 0;
}

/* What the browser's verifier says about `staple` for certs/shop.test.pem now. */
static enum ocsp_verdict_reason verdict_for_current_cert(struct bytes staple, int64_t now)
{
    char rel[LAB_PATH_MAX], cert_file[LAB_PATH_MAX], root_file[LAB_PATH_MAX];
    uint8_t *cert_pem = NULL, *root_pem = NULL;
    size_t cert_len = 0, root_len = 0;
    struct errbuf err = {{0}};
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, SITE);
    ck_assert_int_eq(file_path_join(cert_file, sizeof cert_file, lab, rel), 0);
    ck_assert_int_eq(file_path_join(root_file, sizeof root_file, lab, LAB_ROOT_CERT), 0);
    ck_assert_int_eq(file_read_all(cert_file, 1 << 16, &cert_pem, &cert_len, &err), 0);
    ck_assert_int_eq(file_read_all(root_file, 1 << 16, &root_pem, &root_len, &err), 0);
    uint8_t cert_der[4096], root_der[4096];
    int cert_der_len = wolfSSL_CertPemToDer(cert_pem, (int)cert_len, cert_der,
                                            (int)sizeof cert_der, CERT_TYPE);
    int root_der_len = wolfSSL_CertPemToDer(root_pem, (int)root_len, root_der,
                                            (int)sizeof root_der, CERT_TYPE);
    ck_assert_int_gt(cert_der_len, 0);
    ck_assert_int_gt(root_der_len, 0);
    struct x509_cert cert, root;
    ck_assert_int_eq(x509_parse(&cert, cert_der, (size_t)cert_der_len, &err), 0);
    ck_assert_int_eq(x509_parse(&root, root_der, (size_t)root_der_len, &err), 0);
    struct ocsp_verify_input in = {.cert = &cert, .issuer = &root, .now = now};
    struct ocsp_verdict verdict;
    ocsp_verify_response(staple.p, staple.len, &in, &verdict);
    free(cert_pem);
    free(root_pem);
    return verdict.reason;
}

/* Webserver trace events named `event` since the lab began. */
static size_t trace_count(const char *event)
{
    char path[LAB_PATH_MAX];
    char *line = NULL;
    size_t cap = 0, n = 0;
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, LAB_TRACE_FILE), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (getline(&line, &cap, f) > 0) {
        json_t *obj = json_loads(line, 0, NULL);
        const char *name = json_string_value(json_object_get(obj, "event"));
        const char *actor = json_string_value(json_object_get(obj, "actor"));
        if (name != NULL && actor != NULL && strcmp(name, event) == 0 &&
            strcmp(actor, "webserver") == 0)
            n++;
        json_decref(obj);
    }
    fclose(f);
    free(line);
    return n;
}

/* The last such event's string field (static storage), "" when none. */
static const char *trace_last_field(const char *event, const char *field)
{
    static char value[1024];
    char path[LAB_PATH_MAX];
    char *line = NULL;
    size_t cap = 0;
    value[0] = 0;
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, LAB_TRACE_FILE), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (getline(&line, &cap, f) > 0) {
        json_t *obj = json_loads(line, 0, NULL);
        const char *name = json_string_value(json_object_get(obj, "event"));
        const char *text = json_string_value(json_object_get(obj, field));
        if (name != NULL && strcmp(name, event) == 0 && text != NULL)
            snprintf(value, sizeof value, "%s", text);
        json_decref(obj);
    }
    fclose(f);
    free(line);
    return value;
}

/* Switches the responder's fault as the teacher does: token and content type. */
static void responder_fault(const char *fault)
{
    char url[64], program[16] = "curl";
    char token[CONTROL_TOKEN_HEX + 1], token_header[CONTROL_TOKEN_HEX + 64];
    test_control_token(lab, token);
    snprintf(token_header, sizeof token_header, "%s: %s", CONTROL_TOKEN_HEADER, token);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/control/fault", responder_port);
    const char *argv[] = {program, "-s", "--max-time", "10", "-f", "-H", token_header,
                          "-H", "Content-Type: " CONTROL_CONTENT_TYPE, "--data-binary", fault,
                          url, NULL};
    run_ok(argv, NULL);
}

static json_int_t responder_requests_from_webserver(void)
{
    char url[64], program[16] = "curl";
    char *out = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/stats", responder_port);
    const char *argv[] = {program, "-s", "--max-time", "10", "-f", url, NULL};
    run_ok(argv, &out);
    json_t *stats = json_loads(out, 0, NULL);
    ck_assert_msg(stats != NULL, "%s", out);
    json_t *value = json_object_get(json_object_get(stats, "by_requester"), "webserver");
    ck_assert(json_is_integer(value));
    json_int_t n = json_integer_value(value);
    json_decref(stats);
    free(out);
    return n;
}

/* Before stapler_open returns, the staple is fetched, checked, published in
 * the site and saved: the first visitor gets it. */
START_TEST(test_stapler_fetches_before_open_returns)
{
    int64_t before = clock_now();
    open_stapler();
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 1);
    ck_assert_int_le(view.this_update, before);
    ck_assert_int_eq(view.next_update - view.this_update, VALIDITY_SECONDS);
    ck_assert_int_eq(view.next_refresh, view.this_update + VALIDITY_SECONDS / 2);
    ck_assert_str_eq(view.last_problem, "");
    struct bytes served = served_staple(), saved = saved_staple();
    ck_assert_ptr_nonnull(served.p);
    ck_assert(bytes_equal(served, saved));
    ck_assert_int_eq(verdict_for_current_cert(served, clock_now()), OCSP_VERDICT_GOOD);
    ck_assert_int_eq(responder_requests_from_webserver(), 1);
    ck_assert_uint_eq(trace_count("ocsp.request.sent"), 1);
    ck_assert_uint_eq(trace_count("staple.fetch.ok"), 1);
    ck_assert_uint_eq(trace_count("staple.none"), 0);
    free(served.p);
    free(saved.p);
}
END_TEST

/* Ticks before half-life ask nobody; the tick at half-life fetches once. */
START_TEST(test_stapler_refreshes_at_half_life)
{
    open_stapler();
    struct staple_view view = view_now();
    int64_t refresh = view.next_refresh;
    const int64_t early[] = {clock_now(), clock_now() + 3600, refresh - 60, refresh - 1};
    for (size_t i = 0; i < sizeof early / sizeof early[0]; i++) {
        stapler_tick(&stapler, early[i]);
        ck_assert_msg(view_now().fetches == 1, "fetched at refresh %+lld s",
                      (long long)(early[i] - refresh));
    }
    stapler_tick(&stapler, refresh);
    view = view_now();
    ck_assert_int_eq(view.fetches, 2);
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(responder_requests_from_webserver(), 2);
    ck_assert_uint_eq(trace_count("staple.fetch.ok"), 2);
}
END_TEST

static const char *const failures[] = {"trylater", "garbage", "stale", "unauthorized",
                                       "stopped"};

/* A failed refresh (each responder fault, or no responder) keeps the last
 * good staple, byte for byte, says why, and schedules a retry in about 10 s. */
START_TEST(test_stapler_failure_keeps_last_good)
{
    open_stapler();
    struct bytes before = served_staple();
    int64_t refresh = view_now().next_refresh;
    if (strcmp(failures[_i], "stopped") == 0)
        stop_responder();
    else
        responder_fault(failures[_i]);
    stapler_tick(&stapler, refresh);
    struct staple_view view = view_now();
    ck_assert_int_eq(view.fetches, 2);
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_msg(view.last_problem[0] != 0, "no problem reported for %s", failures[_i]);
    struct bytes after = served_staple();
    ck_assert(bytes_equal(before, after));
    ck_assert_uint_eq(trace_count("staple.fetch.failed"), 1);
    int64_t wait = stapler.next_attempt - refresh;
    ck_assert_msg(wait >= STAPLER_RETRY_FIRST_SECONDS * 3 / 4 - 1 &&
                      wait <= STAPLER_RETRY_FIRST_SECONDS * 5 / 4 + 1,
                  "retry in %lld s", (long long)wait);
    free(before.p);
    free(after.p);
}
END_TEST

/* Failures in a row: retries back off, doubling up to the cap with +-25%
 * jitter, never early; the first success resets the backoff. */
START_TEST(test_stapler_backoff)
{
    open_stapler();
    int64_t t = view_now().next_refresh;
    responder_fault("trylater");
    int64_t step = STAPLER_RETRY_FIRST_SECONDS, fetches = 1;
    bool has_jitter = false;
    for (int k = 0; k < 10; k++) {
        stapler_tick(&stapler, t);
        ck_assert_int_eq(view_now().fetches, ++fetches);
        int64_t wait = stapler.next_attempt - t;
        ck_assert_msg(wait >= step - step / 4 - 1 && wait <= step + step / 4 + 1,
                      "failure %d: retry in %lld s, step %lld s", k + 1, (long long)wait,
                      (long long)step);
        has_jitter = has_jitter || wait != step;
        stapler_tick(&stapler, stapler.next_attempt - 1);
        ck_assert_msg(view_now().fetches == fetches, "retried early after failure %d", k + 1);
        t = stapler.next_attempt;
        step = step * 2 > STAPLER_RETRY_MAX_SECONDS ? STAPLER_RETRY_MAX_SECONDS : step * 2;
    }
    ck_assert_msg(has_jitter, "ten retries, no jitter");
    ck_assert_str_eq(staple_status_name(view_now().status), "good");
    responder_fault("none");
    stapler_tick(&stapler, t);
    ck_assert_int_eq(view_now().fetches, ++fetches);
    ck_assert_str_eq(view_now().last_problem, "");
    ck_assert_int_eq(stapler.next_attempt, 0);
    ck_assert_int_eq(stapler.retry_seconds, STAPLER_RETRY_FIRST_SECONDS);
}
END_TEST

/* No responder: the staple lives until its nextUpdate and not a second
 * longer; then the site staples nothing (never an expired answer). */
START_TEST(test_stapler_expires_at_next_update)
{
    open_stapler();
    int64_t next_update = view_now().next_update;
    stop_responder();
    stapler_tick(&stapler, next_update - 1);
    ck_assert_str_eq(staple_status_name(view_now().status), "good");
    struct bytes served = served_staple();
    ck_assert_ptr_nonnull(served.p);
    free(served.p);
    ck_assert_uint_eq(trace_count("staple.expired"), 0);
    stapler_tick(&stapler, next_update);
    ck_assert_str_eq(staple_status_name(view_now().status), "none");
    served = served_staple();
    ck_assert_ptr_null(served.p);
    ck_assert_uint_eq(trace_count("staple.expired"), 1);
    stapler_tick(&stapler, next_update + 3600);
    ck_assert_str_eq(staple_status_name(view_now().status), "none");
    served = served_staple();
    ck_assert_ptr_null(served.p);
}
END_TEST

/* `ca revoke`: the refresh hears revoked; stapling stops, the saved staple
 * goes, and it stays so on later checks. */
START_TEST(test_stapler_revoked_stops)
{
    open_stapler();
    int64_t refresh = view_now().next_refresh;
    ck_assert(has_saved_staple());
    ca("revoke", SITE, NULL);
    stapler_tick(&stapler, refresh);
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "revoked");
    ck_assert_str_ne(view.last_problem, "");
    struct bytes served = served_staple();
    ck_assert_ptr_null(served.p);
    ck_assert(!has_saved_staple());
    ck_assert_uint_eq(trace_count("staple.revoked"), 1);
    stapler_tick(&stapler, refresh + 7200);
    ck_assert_str_eq(staple_status_name(view_now().status), "revoked");
    served = served_staple();
    ck_assert_ptr_null(served.p);
}
END_TEST

/* A renewed certificate: the next tick drops the old staple and fetches one
 * for the new serial; the site presents the new pair. */
START_TEST(test_stapler_certificate_changed)
{
    open_stapler();
    char old_serial[64];
    snprintf(old_serial, sizeof old_serial, "%s", stapler.serial_hex);
    struct bytes old_staple = served_staple();
    issue_with_url(responder_port);
    stapler_tick(&stapler, clock_now());
    ck_assert_str_ne(stapler.serial_hex, old_serial);
    ck_assert_uint_eq(trace_count("staple.cert.changed"), 1);
    ck_assert_str_eq(trace_last_field("staple.cert.changed", "old_serial"), old_serial);
    ck_assert_str_eq(trace_last_field("staple.cert.changed", "serial"), stapler.serial_hex);
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 2);
    struct bytes served = served_staple(), saved = saved_staple();
    ck_assert_int_eq(verdict_for_current_cert(served, clock_now()), OCSP_VERDICT_GOOD);
    ck_assert_int_eq(verdict_for_current_cert(old_staple, clock_now()), OCSP_VERDICT_WRONG_CERT);
    ck_assert(bytes_equal(served, saved));
    free(served.p);
    free(saved.p);
    free(old_staple.p);
}
END_TEST

static const char *const unreadable_certs[] = {
    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    "", /* an empty file, as a copy just begun leaves it */
};

/* certs/shop.test.pem replaced by something unreadable (a botched copy, a
 * file half written by hand): the server keeps its certificate and staple,
 * and the next refresh still staples a fresh answer for the certificate it
 * serves. A readable certificate later is picked up as usual. */
START_TEST(test_stapler_unreadable_new_certificate)
{
    char rel[LAB_PATH_MAX], cert_file[LAB_PATH_MAX], temp[LAB_PATH_MAX + 8];
    open_stapler();
    struct bytes first = served_staple();
    int64_t refresh = view_now().next_refresh;
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, SITE);
    ck_assert_int_eq(file_path_join(cert_file, sizeof cert_file, lab, rel), 0);
    snprintf(temp, sizeof temp, "%s.tmp", cert_file);
    FILE *f = fopen(temp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(unreadable_certs[_i], f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(temp, cert_file), 0);

    stapler_tick(&stapler, clock_now());
    ck_assert_str_eq(staple_status_name(view_now().status), "good");
    struct bytes served = served_staple();
    ck_assert(bytes_equal(first, served));
    free(served.p);

    stapler_tick(&stapler, refresh);
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 2);
    ck_assert_msg(view.last_problem[0] == 0, "the refresh failed: %s", view.last_problem);
    ck_assert_uint_eq(trace_count("staple.fetch.ok"), 2);
    ck_assert_uint_eq(trace_count("staple.publish.failed"), 0);
    served = served_staple();
    struct bytes saved = saved_staple();
    ck_assert_msg(bytes_equal(served, saved), "the site serves another staple than the one "
                                              "the stapler fetched and saved");
    free(served.p);
    free(saved.p);

    issue_with_url(responder_port);
    stapler_tick(&stapler, refresh + 1);
    ck_assert_uint_eq(trace_count("staple.cert.changed"), 1);
    served = served_staple();
    ck_assert_int_eq(verdict_for_current_cert(served, clock_now()), OCSP_VERDICT_GOOD);
    free(served.p);
    free(first.p);
}
END_TEST

/* A restart with the responder gone: the saved staple is used at once, no fetch. */
START_TEST(test_stapler_reuses_saved_staple)
{
    open_stapler();
    struct bytes first = served_staple();
    close_stapler();
    stop_responder();
    open_stapler();
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 0);
    struct bytes again = served_staple();
    ck_assert(bytes_equal(first, again));
    ck_assert_uint_eq(trace_count("staple.loaded"), 1);
    free(first.p);
    free(again.p);
}
END_TEST

/* A saved staple past its refresh point is used and refreshed at start;
 * when the refresh fails it is still served. */
START_TEST(test_stapler_saved_staple_past_refresh)
{
    struct errbuf err = {{0}};
    open_stapler();
    struct bytes first = served_staple();
    close_stapler();
    ck_assert_msg(clock_offset_write(lab, 13 * 3600, &err) == 0, "%s", err.msg);
    stop_responder();
    open_stapler();
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "good");
    ck_assert_int_eq(view.fetches, 1);
    ck_assert_uint_eq(trace_count("staple.loaded"), 1);
    ck_assert_uint_eq(trace_count("staple.fetch.failed"), 1);
    struct bytes again = served_staple();
    ck_assert(bytes_equal(first, again));
    free(first.p);
    free(again.p);
}
END_TEST

static const struct discard_row {
    const char *name;
    bool is_expired;       /* the clock moves past its nextUpdate */
    bool is_other_cert;    /* the certificate was renewed meanwhile */
    const char *reason;
} discard_rows[] = {
    {"expired", true, false, "stale"},
    {"for another certificate", false, true, "wrong-cert"},
};

/* A saved staple that no longer passes the browser's checks is thrown away
 * at start, and with no responder the server starts without one. */
START_TEST(test_stapler_discards_bad_saved_staple)
{
    const struct discard_row *row = &discard_rows[_i];
    struct errbuf err = {{0}};
    open_stapler();
    close_stapler();
    if (row->is_other_cert)
        issue_with_url(responder_port);
    if (row->is_expired)
        ck_assert_msg(clock_offset_write(lab, 25 * 3600, &err) == 0, "%s", err.msg);
    stop_responder();
    open_stapler();
    ck_assert_str_eq(staple_status_name(view_now().status), "none");
    struct bytes served = served_staple();
    ck_assert_ptr_null(served.p);
    ck_assert_uint_eq(trace_count("staple.discarded"), 1);
    ck_assert_str_eq(trace_last_field("staple.discarded", "reason"), row->reason);
    ck_assert_uint_eq(trace_count("staple.none"), 1);
}
END_TEST

/* No responder at start, nothing saved: no staple, a retry scheduled; when
 * the responder appears, the retry at its time (not before) staples. */
START_TEST(test_stapler_recovers_when_responder_appears)
{
    /* A port nobody listens on yet: bound and released by us. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t len = sizeof addr;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    unsigned port = ntohs(addr.sin_port);
    close(fd);
    issue_with_url(port);
    open_stapler();
    struct staple_view view = view_now();
    ck_assert_str_eq(staple_status_name(view.status), "none");
    ck_assert_int_eq(view.fetches, 1);
    ck_assert_str_ne(view.last_problem, "");
    ck_assert_uint_eq(trace_count("staple.none"), 1);
    ck_assert_uint_eq(trace_count("staple.fetch.failed"), 1);
    char listen_spec[64];
    snprintf(listen_spec, sizeof listen_spec, "127.0.0.1:%u", port);
    start_responder(&second_responder, listen_spec);
    int64_t next_attempt = stapler.next_attempt;
    stapler_tick(&stapler, next_attempt - 1);
    ck_assert_int_eq(view_now().fetches, 1);
    stapler_tick(&stapler, next_attempt);
    view = view_now();
    ck_assert_int_eq(view.fetches, 2);
    ck_assert_str_eq(staple_status_name(view.status), "good");
    struct bytes served = served_staple();
    ck_assert_ptr_nonnull(served.p);
    free(served.p);
}
END_TEST

/* --stapling off: nothing fetched at start or ever, nothing stapled. */
START_TEST(test_stapler_off)
{
    open_stapler_with(false, NULL);
    const int64_t times[] = {clock_now(), clock_now() + 13 * 3600, clock_now() + 30 * 86400};
    for (size_t i = 0; i < 3; i++)
        stapler_tick(&stapler, times[i]);
    ck_assert_int_eq(view_now().fetches, 0);
    struct bytes served = served_staple();
    ck_assert_ptr_null(served.p);
    ck_assert_int_eq(responder_requests_from_webserver(), 0);
    ck_assert_uint_eq(trace_count("staple.off"), 1);
}
END_TEST

/* --staple-file: exactly those bytes, unchecked and never refreshed. */
START_TEST(test_stapler_staple_file)
{
    char path[LAB_PATH_MAX];
    snprintf(path, sizeof path, "%s/chosen.der", lab);
    static const uint8_t junk[] = {0x30, 0x03, 0x0a, 0x01, 0x03}; /* tryLater */
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    ck_assert_int_eq(fclose(f), 0);
    open_stapler_with(true, path);
    stapler_tick(&stapler, clock_now() + 13 * 3600);
    struct bytes served = served_staple();
    struct bytes want = {(uint8_t *)junk, sizeof junk};
    ck_assert(bytes_equal(served, want));
    ck_assert_int_eq(view_now().fetches, 0);
    ck_assert_int_eq(responder_requests_from_webserver(), 0);
    ck_assert_uint_eq(trace_count("staple.file"), 1);
    free(served.p);
}
END_TEST

/* ---- a site handing its staple to a real client ------------------------------------- */

struct handshake_server {
    struct site *site;
    int fd;
    int rc;
    bool is_tls13;
};

/* The server side of one handshake, as server.c runs it. */
static void *serve_one(void *arg)
{
    struct handshake_server *hs = arg;
    WOLFSSL *ssl = wolfSSL_new(hs->site->ctx);
    hs->rc = -1;
    if (ssl == NULL)
        return NULL;
    ck_assert_int_eq(wolfSSL_set_app_data(ssl, hs->site), WOLFSSL_SUCCESS);
    wolfSSL_set_fd(ssl, hs->fd);
    hs->rc = wolfSSL_accept(ssl);
    hs->is_tls13 = wolfSSL_version(ssl) == TLS1_3_VERSION;
    wolfSSL_free(ssl);
    return NULL;
}

/* One handshake over a socket pair: a wolfSSL client (must-staple when
 * asked) against the site. Returns the client's result (0 = completed). */
static int handshake_with(struct site *site, WOLFSSL_CTX *client, struct handshake_server *hs)
{
    int fds[2];
    pthread_t thread;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    struct timeval limit = {.tv_sec = 5};
    for (int i = 0; i < 2; i++) {
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    }
    hs->site = site;
    hs->fd = fds[1];
    ck_assert_int_eq(pthread_create(&thread, NULL, serve_one, hs), 0);
    WOLFSSL *ssl = wolfSSL_new(client);
    ck_assert_ptr_nonnull(ssl);
    wolfSSL_set_fd(ssl, fds[0]);
    ck_assert_int_eq(wolfSSL_UseOCSPStapling(ssl, WOLFSSL_CSR_OCSP, 0), WOLFSSL_SUCCESS);
    int rc = wolfSSL_connect(ssl);
    int result = rc == WOLFSSL_SUCCESS ? 0 : wolfSSL_get_error(ssl, rc);
    /* The server finishes (TLS 1.3: it also sends its tickets) before we go. */
    if (result != 0)
        shutdown(fds[0], SHUT_RDWR);
    pthread_join(thread, NULL);
    wolfSSL_free(ssl);
    close(fds[0]);
    close(fds[1]);
    return result;
}

static WOLFSSL_CTX *must_staple_client(bool is_tls13)
{
    char root[LAB_PATH_MAX];
    ck_assert_int_eq(file_path_join(root, sizeof root, lab, LAB_ROOT_CERT), 0);
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(is_tls13 ? wolfTLSv1_3_client_method()
                                                : wolfTLSv1_2_client_method());
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(wolfSSL_CTX_load_verify_locations(ctx, root, NULL), WOLFSSL_SUCCESS);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    ck_assert_int_eq(wolfSSL_CTX_EnableOCSPStapling(ctx), WOLFSSL_SUCCESS);
    ck_assert_int_eq(wolfSSL_CTX_EnableOCSPMustStaple(ctx), WOLFSSL_SUCCESS);
    return ctx;
}

static void site_setup(void)
{
    /* The server writes session tickets to a client that may have gone. */
    signal(SIGPIPE, SIG_IGN);
    stapler_setup();
}

/* A site with the fetched staple: a must-staple client gets it and it
 * verifies, on TLS 1.2 and 1.3, handshake after handshake, and the heap does
 * not grow with them (wolfSSL 5.5.4 lost about 8 KB in every stapled TLS 1.3
 * handshake, a copy of the staple and a parsed certificate; 5.9.2 frees both,
 * src/tls.c TLSX_CSR_Free and src/tls13.c). Under ASan mallinfo2 says
 * nothing, and LeakSanitizer does the counting instead. A site without a
 * staple sends none (the must-staple client refuses). */
START_TEST(test_site_staples_without_losing_memory)
{
    bool is_tls13 = _i == 1;
    open_stapler();
    struct site *site = site_slot_get(&slot);
    ck_assert_ptr_nonnull(site->staple);
    WOLFSSL_CTX *client = must_staple_client(is_tls13);
    struct handshake_server hs;
    size_t heap_before = 0;
    enum { WARM_UP = 5, HANDSHAKES = 205 };
    for (int i = 0; i < HANDSHAKES; i++) {
        if (i == WARM_UP)
            heap_before = mallinfo2().uordblks;
        int rc = handshake_with(site, client, &hs);
        ck_assert_msg(rc == 0, "handshake %d: client error %d", i + 1, rc);
        ck_assert_int_eq(hs.rc, WOLFSSL_SUCCESS);
        ck_assert(hs.is_tls13 == is_tls13);
    }
    size_t heap_after = mallinfo2().uordblks;
    /* 200 handshakes at 8 KB lost each would be 1.6 MB; allow allocator noise. */
    ck_assert_msg(heap_after < heap_before + 64 * 1024,
                  "the heap grew by %zu bytes over %d stapled handshakes",
                  heap_after - heap_before, HANDSHAKES - WARM_UP);
    site_release(site);

    open_stapler_with(false, NULL);
    site = site_slot_get(&slot);
    ck_assert_ptr_null(site->staple);
    int rc = handshake_with(site, client, &hs);
    ck_assert_msg(rc != 0, "a must-staple client accepted a handshake without a staple");
    site_release(site);
    wolfSSL_CTX_free(client);
}
END_TEST

/* A site stays usable by connections that hold it after a new one replaces
 * it in the slot; the last reference frees it. */
START_TEST(test_site_slot_swap)
{
    open_stapler();
    struct site *old = site_slot_get(&slot);
    ck_assert_ptr_nonnull(old);
    open_stapler_with(false, NULL);
    struct site *current = site_slot_get(&slot);
    ck_assert_ptr_ne(old, current);
    ck_assert_ptr_nonnull(old->staple);
    ck_assert_ptr_null(current->staple);
    WOLFSSL_CTX *client = must_staple_client(true);
    struct handshake_server hs;
    ck_assert_int_eq(handshake_with(old, client, &hs), 0);
    wolfSSL_CTX_free(client);
    site_release(old);
    site_release(current);
}
END_TEST

Suite *webserver_suite(void);
Suite *webserver_suite(void)
{
    Suite *s = suite_create("webserver");

    TCase *hello = tcase_create("client_hello");
    tcase_add_loop_test(hello, test_hello_captured, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_every_prefix, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_every_short_record, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_mutations, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_split_across_records, 0, CAPTURED_ROWS);
    tcase_add_loop_test(hello, test_hello_synthetic, 0,
                        (int)(sizeof synth_rows / sizeof synth_rows[0]));
    tcase_add_loop_test(hello, test_hello_raw, 0, (int)(sizeof raw_rows / sizeof raw_rows[0]));
    tcase_add_test(hello, test_hello_random_garbage);
    tcase_add_loop_test(hello, test_hello_from_wolfssl, 0,
                        (int)(sizeof wolfssl_rows / sizeof wolfssl_rows[0]));
    suite_add_tcase(s, hello);

    TCase *stapling = tcase_create("stapler");
    tcase_set_timeout(stapling, 60);
    tcase_add_unchecked_fixture(stapling, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(stapling, stapler_setup, stapler_teardown);
    tcase_add_test(stapling, test_stapler_fetches_before_open_returns);
    tcase_add_test(stapling, test_stapler_refreshes_at_half_life);
    tcase_add_loop_test(stapling, test_stapler_failure_keeps_last_good, 0,
                        (int)(sizeof failures / sizeof failures[0]));
    tcase_add_test(stapling, test_stapler_backoff);
    tcase_add_test(stapling, test_stapler_expires_at_next_update);
    tcase_add_test(stapling, test_stapler_revoked_stops);
    tcase_add_test(stapling, test_stapler_certificate_changed);
    tcase_add_loop_test(stapling, test_stapler_unreadable_new_certificate, 0,
                        (int)(sizeof unreadable_certs / sizeof unreadable_certs[0]));
    tcase_add_test(stapling, test_stapler_reuses_saved_staple);
    tcase_add_test(stapling, test_stapler_saved_staple_past_refresh);
    tcase_add_loop_test(stapling, test_stapler_discards_bad_saved_staple, 0,
                        (int)(sizeof discard_rows / sizeof discard_rows[0]));
    tcase_add_test(stapling, test_stapler_recovers_when_responder_appears);
    tcase_add_test(stapling, test_stapler_off);
    tcase_add_test(stapling, test_stapler_staple_file);
    suite_add_tcase(s, stapling);

    TCase *sites = tcase_create("site");
    tcase_set_timeout(sites, 60);
    tcase_add_unchecked_fixture(sites, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(sites, site_setup, stapler_teardown);
    tcase_add_loop_test(sites, test_site_staples_without_losing_memory, 0, 2);
    tcase_add_test(sites, test_site_slot_swap);
    suite_add_tcase(s, sites);
    return s;
}
