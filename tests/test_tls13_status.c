/* test_tls13_status.c — reading a TLS 1.3 staple back out of the server's
 * encrypted records (browser/tls13_status.c), on flights built here: a
 * ServerHello, a ChangeCipherSpec, then EncryptedExtensions and a
 * Certificate whose leaf carries status_request, sealed with AES-128-GCM,
 * AES-256-GCM or ChaCha20-Poly1305 under a handshake secret. Then every kind
 * of damage: a flipped bit, a cut at every length, no staple, another
 * cipher suite, no secret, noise. The same code against OpenSSL's real
 * records runs in tests/integration/test_browser_visit.c (tryLater over
 * TLS 1.3, put on the wire by openssl s_server). */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/kdf.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../browser/tls13_status.h"
#include "der.h"
#include "tls_wire.h"

static const uint8_t try_later[] = {0x30, 0x03, 0x0a, 0x01, 0x03};

static void put(struct der_buf *b, const void *bytes, size_t len)
{
    ck_assert_int_eq(der_write_raw(b, bytes, len), DER_OK);
}

static void put_uint(struct der_buf *b, size_t value, size_t octets)
{
    uint8_t out[4];
    for (size_t i = 0; i < octets; i++)
        out[i] = (uint8_t)(value >> (8 * (octets - 1 - i)));
    put(b, out, octets);
}

/* Handshake message: type, uint24 length, body. */
static void put_message(struct der_buf *b, uint8_t type, const struct der_buf *body)
{
    put_uint(b, type, 1);
    put_uint(b, body->len, 3);
    put(b, body->data, body->len);
}

/* A Certificate message (RFC 8446 4.4.2): one entry, with the staple in a
 * status_request extension when `staple` is not NULL. */
static void build_certificate(struct der_buf *out, const uint8_t *staple, size_t staple_len)
{
    static const uint8_t fake_cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    struct der_buf body = {0}, extensions = {0};
    if (staple != NULL) {
        put_uint(&extensions, 5, 2); /* status_request */
        put_uint(&extensions, 1 + 3 + staple_len, 2);
        put_uint(&extensions, 1, 1); /* CertificateStatusType ocsp */
        put_uint(&extensions, staple_len, 3);
        put(&extensions, staple, staple_len);
    }
    put_uint(&body, 0, 1); /* certificate_request_context */
    put_uint(&body, 3 + sizeof fake_cert + 2 + extensions.len, 3);
    put_uint(&body, sizeof fake_cert, 3);
    put(&body, fake_cert, sizeof fake_cert);
    put_uint(&body, extensions.len, 2);
    if (extensions.len > 0)
        put(&body, extensions.data, extensions.len);
    put_message(out, 11, &body);
    der_buf_free(&body);
    der_buf_free(&extensions);
}

struct sealer {
    int suite;
    uint8_t key[32], iv[12];
    size_t key_len;
    uint64_t sequence;
};

static void sealer_init(struct sealer *s, int suite, const uint8_t *secret, size_t secret_len)
{
    static const uint8_t protocol[] = "tls13 ";
    int digest = suite == TLS13_AES_256_GCM_SHA384 ? WC_SHA384 : WC_SHA256;
    memset(s, 0, sizeof *s);
    s->suite = suite;
    s->key_len = suite == TLS13_AES_128_GCM_SHA256 ? 16 : 32;
    ck_assert_int_eq(wc_Tls13_HKDF_Expand_Label(s->key, (word32)s->key_len, secret,
                                                (word32)secret_len, protocol, 6,
                                                (const byte *)"key", 3, NULL, 0, digest),
                     0);
    ck_assert_int_eq(wc_Tls13_HKDF_Expand_Label(s->iv, 12, secret, (word32)secret_len, protocol, 6,
                                                (const byte *)"iv", 2, NULL, 0, digest),
                     0);
}

/* One protected record holding `content` of inner type `type`, padded. */
static void seal_record(struct sealer *s, struct der_buf *out, const uint8_t *content, size_t len,
                        uint8_t type)
{
    size_t inner_len = len + 1 + 3; /* type, then three zeros of padding */
    uint8_t *inner = calloc(1, inner_len), *sealed = malloc(inner_len);
    uint8_t header[5] = {23, 3, 3, (uint8_t)((inner_len + 16) >> 8), (uint8_t)(inner_len + 16)};
    uint8_t nonce[12], tag[16];
    ck_assert(inner != NULL && sealed != NULL);
    memcpy(inner, content, len);
    inner[len] = type;
    memcpy(nonce, s->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(s->sequence >> (8 * i));
    s->sequence++;
    if (s->suite == TLS13_CHACHA20_POLY1305_SHA256) {
        ck_assert_int_eq(wc_ChaCha20Poly1305_Encrypt(s->key, nonce, header, 5, inner,
                                                     (word32)inner_len, sealed, tag),
                         0);
    } else {
        Aes aes;
        ck_assert_int_eq(wc_AesInit(&aes, NULL, INVALID_DEVID), 0);
        ck_assert_int_eq(wc_AesGcmSetKey(&aes, s->key, (word32)s->key_len), 0);
        ck_assert_int_eq(
            wc_AesGcmEncrypt(&aes, sealed, inner, (word32)inner_len, nonce, 12, tag, 16, header, 5),
            0);
        wc_AesFree(&aes);
    }
    put(out, header, 5);
    put(out, sealed, inner_len);
    put(out, tag, 16);
    free(inner);
    free(sealed);
}

/* The server's first flight: a plaintext ServerHello (its body is not read),
 * a ChangeCipherSpec, EncryptedExtensions in one record and the
 * Certificate split over two, as a server may send it. */
static void build_flight(struct der_buf *flight, int suite, const uint8_t *secret,
                         size_t secret_len, const uint8_t *staple, size_t staple_len)
{
    static const uint8_t server_hello[] = {22, 3, 3, 0, 4, 2, 0, 0, 0};
    static const uint8_t change_cipher_spec[] = {20, 3, 3, 0, 1, 1};
    static const uint8_t encrypted_extensions[] = {8, 0, 0, 2, 0, 0};
    struct der_buf certificate = {0};
    struct sealer s;
    build_certificate(&certificate, staple, staple_len);
    sealer_init(&s, suite, secret, secret_len);
    put(flight, server_hello, sizeof server_hello);
    put(flight, change_cipher_spec, sizeof change_cipher_spec);
    seal_record(&s, flight, encrypted_extensions, sizeof encrypted_extensions, 22);
    size_t half = certificate.len / 2;
    seal_record(&s, flight, certificate.data, half, 22);
    seal_record(&s, flight, certificate.data + half, certificate.len - half, 22);
    der_buf_free(&certificate);
}

static const uint8_t secret48[48] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
    25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48};

static size_t secret_len_of(int suite)
{
    return suite == TLS13_AES_256_GCM_SHA384 ? 48 : 32;
}

static int recover(const struct der_buf *flight, int suite, struct der_buf *message, char *why)
{
    struct tls13_status_input in = {
        .server_bytes = flight->data,
        .server_len = flight->len,
        .cipher_suite = suite,
        .server_handshake_secret = secret48,
        .secret_len = secret_len_of(suite),
    };
    return tls13_status_recover(&in, message, why, 128);
}

static const int suites[] = {TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384,
                             TLS13_CHACHA20_POLY1305_SHA256};

/* The staple comes back framed as a certificate_status message that
 * tls_read_certificate_status reads, byte for byte, with every cipher suite. */
START_TEST(test_recovers_the_staple)
{
    int suite = suites[_i];
    struct der_buf flight = {0}, message = {0};
    struct der_cursor response;
    char why[128] = "";
    build_flight(&flight, suite, secret48, secret_len_of(suite), try_later, sizeof try_later);
    ck_assert_msg(recover(&flight, suite, &message, why) == 0, "%s", why);
    ck_assert_int_eq(tls_read_certificate_status(message.data, message.len, &response),
                     TLS_CERTSTATUS_OK);
    ck_assert_uint_eq(response.left, sizeof try_later);
    ck_assert_mem_eq(response.p, try_later, sizeof try_later);
    der_buf_free(&message);
    der_buf_free(&flight);
}
END_TEST

/* Damage anywhere is a clear "no", never a crash or a wrong staple: a flipped
 * bit in any protected byte, the flight cut at every length, a wrong secret,
 * an unknown suite, no secret at all. */
START_TEST(test_damage_is_refused)
{
    struct der_buf flight = {0}, message = {0};
    char why[128];
    const int suite = TLS13_AES_128_GCM_SHA256;
    build_flight(&flight, suite, secret48, 32, try_later, sizeof try_later);
    /* The first 15 bytes are the plaintext records, whose content is not read. */
    for (size_t i = 15; i < flight.len; i++) {
        flight.data[i] ^= 0x01;
        int rc = recover(&flight, suite, &message, why);
        if (rc == 0) {
            /* A length byte changed so that a record is cut short: what is
             * found must still be exactly the staple. */
            struct der_cursor response;
            ck_assert_int_eq(tls_read_certificate_status(message.data, message.len, &response),
                             TLS_CERTSTATUS_OK);
            ck_assert_mem_eq(response.p, try_later, sizeof try_later);
        }
        der_buf_free(&message);
        flight.data[i] ^= 0x01;
    }
    for (size_t cut = 0; cut < flight.len; cut++) {
        struct der_buf part = {0};
        if (cut > 0)
            put(&part, flight.data, cut);
        ck_assert_int_ne(recover(&part, suite, &message, why), 0);
        ck_assert_uint_gt(strlen(why), 10);
        ck_assert_ptr_null(message.data);
        der_buf_free(&part);
    }
    struct tls13_status_input in = {.server_bytes = flight.data,
                                    .server_len = flight.len,
                                    .cipher_suite = 0x1304, /* AES-128-CCM: not read back */
                                    .server_handshake_secret = secret48,
                                    .secret_len = 32};
    ck_assert_int_ne(tls13_status_recover(&in, &message, why, sizeof why), 0);
    ck_assert(strstr(why, "cipher suite") != NULL);
    in.cipher_suite = suite;
    in.secret_len = 0;
    ck_assert_int_ne(tls13_status_recover(&in, &message, why, sizeof why), 0);
    ck_assert(strstr(why, "secret") != NULL);
    uint8_t wrong[32] = {0};
    in.server_handshake_secret = wrong;
    in.secret_len = sizeof wrong;
    ck_assert_int_ne(tls13_status_recover(&in, &message, why, sizeof why), 0);
    ck_assert(strstr(why, "decrypt") != NULL);
    der_buf_free(&flight);
}
END_TEST

/* A Certificate without status_request: nothing to recover, said so. */
START_TEST(test_no_staple_in_certificate)
{
    struct der_buf flight = {0}, message = {0};
    char why[128];
    build_flight(&flight, TLS13_AES_128_GCM_SHA256, secret48, 32, NULL, 0);
    ck_assert_int_ne(recover(&flight, TLS13_AES_128_GCM_SHA256, &message, why), 0);
    ck_assert(strstr(why, "no stapled response") != NULL);
    der_buf_free(&flight);
}
END_TEST

/* Noise where records should be. */
START_TEST(test_noise)
{
    struct der_buf noise = {0}, message = {0};
    char why[128];
    uint8_t bytes[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof bytes; i++) {
        x = x * 1103515245u + 12345u;
        bytes[i] = (uint8_t)(x >> 16);
    }
    put(&noise, bytes, sizeof bytes);
    ck_assert_int_ne(recover(&noise, TLS13_AES_128_GCM_SHA256, &message, why), 0);
    ck_assert_ptr_null(message.data);
    der_buf_free(&noise);
}
END_TEST

Suite *tls13_status_suite(void);
Suite *tls13_status_suite(void)
{
    Suite *s = suite_create("tls13_status");
    TCase *tc = tcase_create("tls13_status");
    tcase_add_loop_test(tc, test_recovers_the_staple, 0, (int)(sizeof suites / sizeof suites[0]));
    tcase_add_test(tc, test_damage_is_refused);
    tcase_add_test(tc, test_no_staple_in_certificate);
    tcase_add_test(tc, test_noise);
    suite_add_tcase(s, tc);
    return s;
}
