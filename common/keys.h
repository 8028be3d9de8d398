/* keys.h — the private keys of the lab (CA root, OCSP delegate, servers):
 * generation, PEM files, SubjectPublicKeyInfo, and SHA-256 signatures with
 * wolfCrypt. ECDSA P-256 by default, RSA 2048 where asked. */
#ifndef OCSPLAB_KEYS_H
#define OCSPLAB_KEYS_H

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"
#include "errbuf.h"

enum key_type {
    KEY_EC_P256,
    KEY_RSA_2048,
};

struct lab_key {
    enum key_type type;
    bool is_loaded;
    union {
        ecc_key ecc;
        RsaKey rsa;
    } k;
};

/* "ec" / "rsa" <-> enum; -1 if unknown. */
int key_type_parse(const char *text, enum key_type *type);
const char *key_type_name(enum key_type type);        /* "ec" or "rsa" */
const char *key_type_description(enum key_type type); /* "EC P-256" */

int key_generate(struct lab_key *key, enum key_type type, WC_RNG *rng, struct errbuf *err);
/* Loads an EC or RSA private key from a PEM file (SEC1, PKCS#1 or PKCS#8). */
int key_load_pem(struct lab_key *key, const char *path, struct errbuf *err);
/* Appends the private key as PEM text to *pem (caller wipes it with der_buf_free). */
int key_to_pem(const struct lab_key *key, struct der_buf *pem, struct errbuf *err);
/* Writes the private key as PEM, atomically, mode 0600. */
int key_save_pem(const struct lab_key *key, const char *path, struct errbuf *err);
/* Wipes and frees the key material. Accepts NULL and never-loaded keys. */
void key_free(struct lab_key *key);

/* Appends the SubjectPublicKeyInfo (RFC 5280 4.1.2.7) of the key to `out`. */
int key_write_spki(const struct lab_key *key, struct der_buf *out, struct errbuf *err);
/* Appends the AlgorithmIdentifier of the key's SHA-256 signature
 * (ecdsa-with-SHA256, or sha256WithRSAEncryption with NULL parameters). */
int key_write_signature_algorithm(const struct lab_key *key, struct der_buf *out);
/* Signs SHA-256(msg); the signature bytes (DER ECDSA-Sig-Value, or the RSA
 * block) go into *sig, which the caller frees with der_buf_free. */
int key_sign_sha256(struct lab_key *key, WC_RNG *rng, const uint8_t *msg, size_t msg_len,
                    struct der_buf *sig, struct errbuf *err);

/* The X.509 signed envelope (a Certificate, a CertificateList): appends
 * SEQUENCE { tbs, signatureAlgorithm, signatureValue BIT STRING } to `out`,
 * signing the already encoded `tbs` SHA-256 with `key`. `what` names the
 * object in an error ("cannot encode the CRL: ..."). */
int key_write_signed(struct lab_key *key, WC_RNG *rng, const struct der_buf *tbs,
                     struct der_buf *out, const char *what, struct errbuf *err);
/* True when `spki` (a whole SubjectPublicKeyInfo encoding) is this key's. */
bool key_matches_spki(const struct lab_key *key, const struct der_cursor *spki);

/* The keyIdentifier of RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey
 * bits (what both SKI and AKI carry). */
#define KEY_ID_LEN 20
int key_identifier(const struct lab_key *key, uint8_t id[KEY_ID_LEN], struct errbuf *err);

#endif
