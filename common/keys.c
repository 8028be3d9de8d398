/* keys.c — key generation, PEM storage and SHA-256 signing with wolfCrypt. */
#include "keys.h"

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha.h>
#include <wolfssl/wolfcrypt/signature.h>

#include <string.h>

#include "fileio.h"
#include "pem.h"

/* wc_SignatureGenerate verifies every signature it makes (a defence against
 * fault attacks on the signer's hardware). It costs a third of the signing
 * rate with Debian's generic-math wolfSSL, and the lab's signers run on the
 * machine in front of the class; every signature is checked by its
 * receivers anyway. */
#define KEY_VERIFY_AFTER_SIGN 0

/* A DER private key of RSA 2048 is about 1.2 KB; EC P-256 about 120 bytes. */
#define KEY_MAX_DER 4096
#define KEY_MAX_PEM 8192

int key_type_parse(const char *text, enum key_type *type)
{
    if (strcmp(text, "ec") == 0)
        *type = KEY_EC_P256;
    else if (strcmp(text, "rsa") == 0)
        *type = KEY_RSA_2048;
    else
        return -1;
    return 0;
}

const char *key_type_name(enum key_type type)
{
    return type == KEY_RSA_2048 ? "rsa" : "ec";
}

const char *key_type_description(enum key_type type)
{
    return type == KEY_RSA_2048 ? "RSA 2048" : "EC P-256";
}

static void crypto_error(struct errbuf *err, const char *what, int code)
{
    errbuf_set(err, "%s: %s (wolfCrypt %d)", what, wc_GetErrorString(code), code);
}

int key_generate(struct lab_key *key, enum key_type type, WC_RNG *rng, struct errbuf *err)
{
    int ret;
    memset(key, 0, sizeof *key);
    key->type = type;
    if (type == KEY_EC_P256) {
        ret = wc_ecc_init(&key->k.ecc);
        if (ret == 0) {
            key->is_loaded = true;
            ret = wc_ecc_make_key_ex(rng, 32, &key->k.ecc, ECC_SECP256R1);
        }
    } else {
        ret = wc_InitRsaKey(&key->k.rsa, NULL);
        if (ret == 0) {
            key->is_loaded = true;
            ret = wc_MakeRsaKey(&key->k.rsa, 2048, WC_RSA_EXPONENT, rng);
        }
    }
    if (ret != 0) {
        crypto_error(err, "cannot generate a key", ret);
        key_free(key);
        return -1;
    }
    return 0;
}

void key_free(struct lab_key *key)
{
    if (key == NULL || !key->is_loaded)
        return;
    if (key->type == KEY_EC_P256)
        wc_ecc_free(&key->k.ecc);
    else
        wc_FreeRsaKey(&key->k.rsa);
    explicit_bzero(key, sizeof *key);
}

int key_load_pem(struct lab_key *key, const char *path, struct errbuf *err)
{
    uint8_t *pem = NULL;
    size_t pem_len = 0;
    uint8_t der[KEY_MAX_DER];
    int rc = -1;
    word32 idx = 0;

    memset(key, 0, sizeof *key);
    if (file_read_all(path, KEY_MAX_PEM, &pem, &pem_len, err) != 0)
        return -1;
    int der_len = wc_KeyPemToDer(pem, (int)pem_len, der, sizeof der, NULL);
    if (der_len <= 0) {
        errbuf_set(err, "cannot read key %s: not a PEM private key", path);
        goto out;
    }
    /* Try EC first (the lab's default), then RSA. */
    if (wc_ecc_init(&key->k.ecc) == 0) {
        key->type = KEY_EC_P256;
        key->is_loaded = true;
        if (wc_EccPrivateKeyDecode(der, &idx, &key->k.ecc, (word32)der_len) == 0) {
            if (wc_ecc_get_curve_id(key->k.ecc.idx) != ECC_SECP256R1) {
                errbuf_set(err, "cannot use key %s: only EC P-256 is supported", path);
                goto out;
            }
            rc = 0;
            goto out;
        }
        key_free(key);
    }
    idx = 0;
    if (wc_InitRsaKey(&key->k.rsa, NULL) == 0) {
        key->type = KEY_RSA_2048;
        key->is_loaded = true;
        if (wc_RsaPrivateKeyDecode(der, &idx, &key->k.rsa, (word32)der_len) == 0) {
            rc = 0;
            goto out;
        }
    }
    errbuf_set(err, "cannot read key %s: neither an EC nor an RSA private key", path);
out:
    if (rc != 0)
        key_free(key);
    explicit_bzero(der, sizeof der);
    if (pem != NULL)
        explicit_bzero(pem, pem_len);
    free(pem);
    return rc;
}

int key_to_pem(const struct lab_key *key, struct der_buf *pem, struct errbuf *err)
{
    uint8_t der[KEY_MAX_DER];
    uint8_t text[KEY_MAX_PEM];
    int rc = -1;
    int der_len, text_len;

    /* wolfCrypt's encoders take a non-const key; they do not modify it. */
    if (key->type == KEY_EC_P256)
        der_len = wc_EccKeyToDer((ecc_key *)&key->k.ecc, der, sizeof der);
    else
        der_len = wc_RsaKeyToDer((RsaKey *)&key->k.rsa, der, sizeof der);
    if (der_len <= 0) {
        crypto_error(err, "cannot encode the private key", der_len);
        goto out;
    }
    text_len = wc_DerToPem(der, (word32)der_len, text, sizeof text,
                           key->type == KEY_EC_P256 ? ECC_PRIVATEKEY_TYPE : PRIVATEKEY_TYPE);
    if (text_len <= 0) {
        crypto_error(err, "cannot encode the private key as PEM", text_len);
        goto out;
    }
    if (der_write_raw(pem, text, (size_t)text_len) != DER_OK) {
        errbuf_set(err, "cannot encode the private key: out of memory");
        goto out;
    }
    rc = 0;
out:
    explicit_bzero(der, sizeof der);
    explicit_bzero(text, sizeof text);
    return rc;
}

int key_save_pem(const struct lab_key *key, const char *path, struct errbuf *err)
{
    struct der_buf pem = {0};
    int rc = key_to_pem(key, &pem, err);
    if (rc == 0)
        rc = file_write_atomic(path, pem.data, pem.len, 0600, err);
    der_buf_free(&pem);
    return rc;
}

int key_write_spki(const struct lab_key *key, struct der_buf *out, struct errbuf *err)
{
    uint8_t spki[1024];
    int len;
    if (key->type == KEY_EC_P256)
        len = wc_EccPublicKeyToDer((ecc_key *)&key->k.ecc, spki, sizeof spki, 1);
    else
        len = wc_RsaKeyToPublicDer((RsaKey *)&key->k.rsa, spki, sizeof spki);
    if (len <= 0) {
        crypto_error(err, "cannot encode the public key", len);
        return -1;
    }
    if (der_write_raw(out, spki, (size_t)len) != DER_OK) {
        errbuf_set(err, "cannot encode the public key: %s", der_strerror(der_buf_error(out)));
        return -1;
    }
    return 0;
}

int key_write_signature_algorithm(const struct lab_key *key, struct der_buf *out)
{
    der_begin(out, DER_TAG_SEQUENCE);
    if (key->type == KEY_EC_P256) {
        /* RFC 5758 3.2: ecdsa-with-SHA256, parameters absent. */
        der_write_oid(out, "1.2.840.10045.4.3.2");
    } else {
        /* RFC 4055 5: sha256WithRSAEncryption, parameters NULL. */
        der_write_oid(out, "1.2.840.113549.1.1.11");
        der_write_null(out);
    }
    return der_end(out);
}

int key_sign_sha256(struct lab_key *key, WC_RNG *rng, const uint8_t *msg, size_t msg_len,
                    struct der_buf *sig, struct errbuf *err)
{
    uint8_t out[512];
    word32 out_len = sizeof out;
    int ret;
    if (key->type == KEY_EC_P256)
        ret = wc_SignatureGenerate_ex(WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_ECC, msg,
                                      (word32)msg_len, out, &out_len, &key->k.ecc,
                                      sizeof key->k.ecc, rng, KEY_VERIFY_AFTER_SIGN);
    else
        /* RSA_W_ENC wraps the digest in a DigestInfo (PKCS #1 v1.5, RFC 8017 9.2). */
        ret = wc_SignatureGenerate_ex(WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_RSA_W_ENC, msg,
                                      (word32)msg_len, out, &out_len, &key->k.rsa,
                                      sizeof key->k.rsa, rng, KEY_VERIFY_AFTER_SIGN);
    if (ret != 0) {
        crypto_error(err, "cannot sign", ret);
        return -1;
    }
    if (der_write_raw(sig, out, out_len) != DER_OK) {
        errbuf_set(err, "cannot sign: out of memory");
        return -1;
    }
    return 0;
}

int key_identifier(const struct lab_key *key, uint8_t id[KEY_ID_LEN], struct errbuf *err)
{
    struct der_buf spki = {0};
    struct der_cursor in, body, alg;
    const uint8_t *bits = NULL;
    size_t bits_len = 0;
    unsigned unused = 0;
    int rc = -1;

    if (key_write_spki(key, &spki, err) != 0)
        goto out;
    in = der_cursor_init(spki.data, spki.len);
    if (der_read_sequence(&in, &body) != DER_OK || der_read_sequence(&body, &alg) != DER_OK ||
        der_read_bit_string(&body, &bits, &bits_len, &unused) != DER_OK) {
        errbuf_set(err, "cannot compute the key identifier: malformed public key");
        goto out;
    }
    if (wc_ShaHash(bits, (word32)bits_len, id) != 0) {
        errbuf_set(err, "cannot compute the key identifier: SHA-1 failed");
        goto out;
    }
    rc = 0;
out:
    der_buf_free(&spki);
    return rc;
}

bool key_matches_spki(const struct lab_key *key, const struct der_cursor *spki)
{
    struct der_buf mine = {0};
    struct errbuf ignored;
    bool same = key_write_spki(key, &mine, &ignored) == 0 && mine.len == spki->left &&
                memcmp(mine.data, spki->p, mine.len) == 0;
    der_buf_free(&mine);
    return same;
}

int key_write_signed(struct lab_key *key, WC_RNG *rng, const struct der_buf *tbs,
                     struct der_buf *out, const char *what, struct errbuf *err)
{
    struct der_buf signature = {0};
    int rc = -1;
    if (der_buf_error(tbs) != DER_OK) {
        errbuf_set(err, "cannot encode the %s: %s", what, der_strerror(der_buf_error(tbs)));
        goto out;
    }
    if (key_sign_sha256(key, rng, tbs->data, tbs->len, &signature, err) != 0)
        goto out;
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_raw(out, tbs->data, tbs->len);
    key_write_signature_algorithm(key, out);
    der_write_bit_string(out, signature.data, signature.len, 0);
    der_end(out);
    if (der_buf_error(out) != DER_OK) {
        errbuf_set(err, "cannot encode the %s: %s", what, der_strerror(der_buf_error(out)));
        goto out;
    }
    rc = 0;
out:
    der_buf_free(&signature);
    return rc;
}
