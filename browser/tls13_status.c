/* tls13_status.c — decrypts the server's first TLS 1.3 flight with the
 * server handshake traffic secret and takes the leaf's CertificateStatus
 * (see tls13_status.h for why). RFC 8446 5.1 (records), 5.2 (inner
 * plaintext), 5.3 (per-record nonce), 7.1 (HKDF-Expand-Label), 7.3 (traffic
 * keys), 4.4.2 (Certificate), 4.4.2.1 (status_request in a CertificateEntry). */
#include "tls13_status.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/kdf.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_wire.h"

#define AEAD_TAG_BYTES 16
#define AEAD_NONCE_BYTES 12
#define MAX_KEY_BYTES 32
/* RFC 8446 5.2: a protected record is at most 2^14 + 256 bytes. */
#define MAX_CIPHERTEXT_BYTES (16384 + 256)

struct traffic_keys {
    int cipher_suite;
    uint8_t key[MAX_KEY_BYTES];
    size_t key_len;
    uint8_t iv[AEAD_NONCE_BYTES];
};

static void say(char *why, size_t cap, const char *text)
{
    snprintf(why, cap, "%s", text);
}

/* RFC 8446 7.3: key = HKDF-Expand-Label(secret, "key", "", key_length),
 * iv = HKDF-Expand-Label(secret, "iv", "", 12). */
static int derive_keys(const struct tls13_status_input *in, struct traffic_keys *keys)
{
    static const uint8_t protocol[] = "tls13 ";
    int digest;
    keys->cipher_suite = in->cipher_suite;
    switch (in->cipher_suite) {
    case TLS13_AES_128_GCM_SHA256:
        digest = WC_SHA256;
        keys->key_len = 16;
        break;
    case TLS13_AES_256_GCM_SHA384:
        digest = WC_SHA384;
        keys->key_len = 32;
        break;
    case TLS13_CHACHA20_POLY1305_SHA256:
        digest = WC_SHA256;
        keys->key_len = CHACHA20_POLY1305_AEAD_KEYSIZE;
        break;
    default:
        return -1;
    }
    if (wc_Tls13_HKDF_Expand_Label(keys->key, (word32)keys->key_len, in->server_handshake_secret,
                                   (word32)in->secret_len, protocol, sizeof protocol - 1,
                                   (const byte *)"key", 3, NULL, 0, digest) != 0 ||
        wc_Tls13_HKDF_Expand_Label(keys->iv, AEAD_NONCE_BYTES, in->server_handshake_secret,
                                   (word32)in->secret_len, protocol, sizeof protocol - 1,
                                   (const byte *)"iv", 2, NULL, 0, digest) != 0)
        return -1;
    return 0;
}

/* One protected record: its 5-byte header is the AEAD's additional data, its
 * body the ciphertext and tag. Writes the inner plaintext into `out` (at
 * least body.left bytes) and its length. */
static int open_record(const struct traffic_keys *keys, uint64_t sequence,
                       const struct tls_record *record, uint8_t *out, size_t *out_len)
{
    const uint8_t *header = record->header.p;
    const struct der_cursor *body = &record->body;
    if (body->left <= AEAD_TAG_BYTES)
        return -1;
    size_t text_len = body->left - AEAD_TAG_BYTES;
    const uint8_t *tag = body->p + text_len;
    /* RFC 8446 5.3: the sequence number, left-padded to the IV's length,
     * XORed with the IV. */
    uint8_t nonce[AEAD_NONCE_BYTES];
    memcpy(nonce, keys->iv, sizeof nonce);
    for (int i = 0; i < 8; i++)
        nonce[AEAD_NONCE_BYTES - 1 - i] ^= (uint8_t)(sequence >> (8 * i));
    int rc = -1;
    if (keys->cipher_suite == TLS13_CHACHA20_POLY1305_SHA256) {
        rc = wc_ChaCha20Poly1305_Decrypt(keys->key, nonce, header, TLS_RECORD_HEADER_BYTES, body->p,
                                         (word32)text_len, tag, out);
    } else {
        Aes aes;
        if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0)
            return -1;
        rc = wc_AesGcmSetKey(&aes, keys->key, (word32)keys->key_len);
        if (rc == 0)
            rc = wc_AesGcmDecrypt(&aes, out, body->p, (word32)text_len, nonce, sizeof nonce, tag,
                                  AEAD_TAG_BYTES, header, TLS_RECORD_HEADER_BYTES);
        wc_AesFree(&aes);
    }
    *out_len = text_len;
    return rc == 0 ? 0 : -1;
}

/* Decrypts every complete protected record and appends the handshake bytes
 * they carry to `stream`. Plaintext records (ServerHello, a
 * HelloRetryRequest) and ChangeCipherSpec are skipped; a truncated last
 * record ends the walk (the copy stops where the handshake failed). */
static int collect_handshake_stream(const struct tls13_status_input *in,
                                    const struct traffic_keys *keys, struct der_buf *stream,
                                    char *why, size_t why_cap)
{
    struct der_cursor records = der_cursor_init(in->server_bytes, in->server_len);
    uint8_t *plain = malloc(MAX_CIPHERTEXT_BYTES);
    uint64_t sequence = 0;
    int rc = -1;
    if (plain == NULL) {
        say(why, why_cap, "out of memory");
        return -1;
    }
    while (records.left >= TLS_RECORD_HEADER_BYTES) {
        struct tls_record record;
        if (!tls_get_record(&records, &record))
            break; /* the copy ends inside this record */
        if (record.type == TLS_CONTENT_HANDSHAKE || record.type == TLS_CONTENT_CHANGE_CIPHER_SPEC)
            continue;
        if (record.type != TLS_CONTENT_APPLICATION_DATA ||
            record.body.left > MAX_CIPHERTEXT_BYTES) {
            say(why, why_cap, "the server's records are not TLS 1.3 records");
            goto out;
        }
        size_t plain_len = 0;
        if (open_record(keys, sequence++, &record, plain, &plain_len) != 0) {
            say(why, why_cap, "a record of the server's handshake did not decrypt");
            goto out;
        }
        /* RFC 8446 5.2: content, then the real content type, then zeros. */
        while (plain_len > 0 && plain[plain_len - 1] == 0)
            plain_len--;
        if (plain_len == 0)
            continue;
        if (plain[plain_len - 1] != TLS_CONTENT_HANDSHAKE)
            break; /* an alert or data: the handshake flight is over */
        if (der_write_raw(stream, plain, plain_len - 1) != DER_OK) {
            say(why, why_cap, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    explicit_bzero(plain, MAX_CIPHERTEXT_BYTES);
    free(plain);
    return rc;
}

int tls13_status_from_handshake(const uint8_t *stream, size_t len, struct der_buf *message,
                                char *why, size_t why_cap)
{
    struct der_cursor messages = der_cursor_init(stream, len);
    memset(message, 0, sizeof *message);
    while (messages.left > 0) {
        uint8_t msg_type = 0;
        struct der_cursor body, status;
        if (!tls_get_handshake(&messages, &msg_type, &body))
            break;
        if (msg_type != TLS_HANDSHAKE_CERTIFICATE)
            continue;
        if (!tls_find_leaf_status(body, &status)) {
            say(why, why_cap, "the server's certificate carries no stapled response");
            return -1;
        }
        uint8_t head[TLS_HANDSHAKE_HEADER_BYTES] = {
            TLS_HANDSHAKE_CERTIFICATE_STATUS, (uint8_t)(status.left >> 16),
            (uint8_t)(status.left >> 8), (uint8_t)status.left};
        if (der_write_raw(message, head, sizeof head) != DER_OK ||
            der_write_raw(message, status.p, status.left) != DER_OK) {
            der_buf_free(message);
            say(why, why_cap, "out of memory");
            return -1;
        }
        return 0;
    }
    say(why, why_cap, "no complete Certificate message in the server's handshake");
    return -1;
}

int tls13_status_recover(const struct tls13_status_input *in, struct der_buf *message, char *why,
                         size_t why_cap)
{
    struct traffic_keys keys;
    struct der_buf stream = {0};
    int rc = -1;
    memset(message, 0, sizeof *message);
    if (in->server_handshake_secret == NULL || in->secret_len == 0) {
        say(why, why_cap, "the server handshake secret is not known");
        return -1;
    }
    if (derive_keys(in, &keys) != 0) {
        say(why, why_cap, "the cipher suite is not one the browser can read back");
        return -1;
    }
    if (collect_handshake_stream(in, &keys, &stream, why, why_cap) == 0)
        rc = tls13_status_from_handshake(stream.data, stream.len, message, why, why_cap);
    explicit_bzero(&keys, sizeof keys);
    if (stream.data != NULL)
        explicit_bzero(stream.data, stream.len);
    der_buf_free(&stream);
    return rc;
}
