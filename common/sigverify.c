/* sigverify.c — one signature over exact signed bytes, by wolfCrypt. */
#include "sigverify.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha.h>
#include <wolfssl/wolfcrypt/signature.h>

#include <string.h>

/* The signature algorithms a response or CRL may name, and the key each needs. */
struct sig_algorithm {
    const char *oid;
    enum wc_HashType hash;
    bool is_ecdsa;
    const char *name;
};
static const struct sig_algorithm sig_algorithms[] = {
    {"1.2.840.10045.4.3.2", WC_HASH_TYPE_SHA256, true, "ECDSA with SHA-256"},
    {"1.2.840.10045.4.3.3", WC_HASH_TYPE_SHA384, true, "ECDSA with SHA-384"},
    {"1.2.840.10045.4.3.4", WC_HASH_TYPE_SHA512, true, "ECDSA with SHA-512"},
    {"1.2.840.113549.1.1.11", WC_HASH_TYPE_SHA256, false, "RSA with SHA-256"},
    {"1.2.840.113549.1.1.12", WC_HASH_TYPE_SHA384, false, "RSA with SHA-384"},
    {"1.2.840.113549.1.1.13", WC_HASH_TYPE_SHA512, false, "RSA with SHA-512"},
};
#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"
#define OID_RSA_ENCRYPTION "1.2.840.113549.1.1.1"

bool sig_verify(const struct der_cursor *algorithm_oid, const struct der_cursor *signed_bytes,
                const struct der_cursor *signature, const struct x509_cert *signer,
                const char **algorithm_name)
{
    const struct sig_algorithm *alg = NULL;
    bool ok = false;
    *algorithm_name = "an unsupported algorithm";
    for (size_t i = 0; i < sizeof sig_algorithms / sizeof sig_algorithms[0]; i++)
        if (der_oid_equals(algorithm_oid, sig_algorithms[i].oid))
            alg = &sig_algorithms[i];
    if (alg == NULL)
        return false;
    *algorithm_name = alg->name;
    word32 idx = 0;
    if (alg->is_ecdsa) {
        ecc_key key;
        if (!der_oid_equals(&signer->key_algorithm, OID_EC_PUBLIC_KEY) || wc_ecc_init(&key) != 0)
            return false;
        if (wc_EccPublicKeyDecode(signer->spki.p, &idx, &key, (word32)signer->spki.left) == 0)
            ok = wc_SignatureVerify(alg->hash, WC_SIGNATURE_TYPE_ECC, signed_bytes->p,
                                    (word32)signed_bytes->left, signature->p,
                                    (word32)signature->left, &key, sizeof key) == 0;
        wc_ecc_free(&key);
    } else {
        RsaKey key;
        if (!der_oid_equals(&signer->key_algorithm, OID_RSA_ENCRYPTION) ||
            wc_InitRsaKey(&key, NULL) != 0)
            return false;
        if (wc_RsaPublicKeyDecode(signer->spki.p, &idx, &key, (word32)signer->spki.left) == 0)
            ok = wc_SignatureVerify(alg->hash, WC_SIGNATURE_TYPE_RSA_W_ENC, signed_bytes->p,
                                    (word32)signed_bytes->left, signature->p,
                                    (word32)signature->left, &key, sizeof key) == 0;
        wc_FreeRsaKey(&key);
    }
    return ok;
}

bool sig_key_id_matches(const struct x509_cert *cert, const struct der_cursor *key_id)
{
    uint8_t hash[WC_SHA_DIGEST_SIZE];
    if (key_id->left != sizeof hash ||
        wc_ShaHash(cert->public_key.p, (word32)cert->public_key.left, hash) != 0)
        return false;
    return memcmp(hash, key_id->p, sizeof hash) == 0;
}
