/* staple_lab.h — what the verifier's and the browser's tests share: scratch
 * labs made by the real CA (`ca init --delegate`, then shop.test and
 * other.test) and OCSP responses about them written with the lab's codec,
 * each departing from a good answer in one named way (signer, status,
 * times, CertID, nonce, framing). */
#ifndef OCSPLAB_TESTS_STAPLE_LAB_H
#define OCSPLAB_TESTS_STAPLE_LAB_H

#include <stdbool.h>
#include <stdint.h>

#include "der.h"
#include "lab.h"
#include "ocsp.h"
#include "x509.h"

struct lab_cert {
    char pem[LAB_PATH_MAX];
    struct der_buf der;
    struct x509_cert x509;
};

struct staple_lab {
    char *dir;               /* scratch directory (responses live here too) */
    char path[LAB_PATH_MAX]; /* the lab inside it */
    char root_key[LAB_PATH_MAX], delegate_key[LAB_PATH_MAX], shop_key[LAB_PATH_MAX];
    struct lab_cert root, delegate, shop, other;
};

/* `ca init --delegate`, then shop.test and other.test, in a new directory
 * under $TMPDIR; staple_lab_destroy frees it and removes the directory. */
void staple_lab_create(struct staple_lab *lab);
void staple_lab_destroy(struct staple_lab *lab);

enum signer_kind {
    SIGNED_BY_ROOT,
    SIGNED_BY_DELEGATE,
    SIGNED_BY_OTHER_ROOT,     /* another lab's root key, naming ours (same DN) */
    SIGNED_BY_SERVER_CERT,    /* shop.test's own key and certificate: issued by the CA, no EKU */
    SIGNED_BY_OTHER_DELEGATE, /* another lab's real delegate, included */
};

enum mangle {
    MANGLE_NONE,
    MANGLE_TRAILING_BYTE,
    MANGLE_TRUNCATE,
    MANGLE_FLIP_SIGNATURE, /* last byte: the signature no longer verifies */
    MANGLE_EMPTY,
};

enum special {
    SPECIAL_NONE,
    SPECIAL_TRY_LATER,          /* an unsuccessful response: just the status */
    SPECIAL_CRITICAL_EXTENSION, /* hand-built: an unknown critical responseExtension */
    SPECIAL_SUCCESSFUL_EMPTY,   /* "successful" and no responseBytes at all */
    SPECIAL_OTHER_TYPE,         /* the row's basic response under another responseType */
};

/* How the row's CertID departs from the one computed for shop.test (or
 * other.test) under the lab's root with SHA-1. */
enum certid_edit {
    CERTID_AS_COMPUTED,
    CERTID_SHA256,        /* computed with SHA-256 instead: still this certificate */
    CERTID_NAME_HASH,     /* issuerNameHash altered: the serial alone would match */
    CERTID_OTHER_CA,      /* computed under another lab's root: same DN, other key */
    CERTID_ISSUER_HASHES, /* both issuer hashes altered */
};

/* responseType of SPECIAL_OTHER_TYPE: nobody's arc, not id-pkix-ocsp-basic. */
#define OTHER_RESPONSE_TYPE "1.3.6.1.4.1.55555.1.2"

/* One response: each field says how it departs from a good answer about
 * shop.test signed by the lab's root. */
struct staple_spec {
    enum signer_kind signer;
    const char *about; /* "shop" or "other": whose CertID */
    enum ocsp_cert_status status;
    int64_t this_offset; /* thisUpdate = now + this_offset */
    bool has_next_update;
    int64_t next_offset;
    enum special special;
    enum mangle mangle;
    enum certid_edit edit;
    const char *nonce; /* echoed as the RFC 8954 nonce extension, or NULL for none */
};

/* Good, signed by the root: thisUpdate 10 minutes ago, nextUpdate in a day. */
#define STAPLE_GOOD                                                                                \
    {                                                                                              \
        SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,            \
            MANGLE_NONE, CERTID_AS_COMPUTED, NULL                                                  \
    }

/* Appends the spec's response at `now` to out (the caller frees it).
 * other_lab is read for SIGNED_BY_OTHER_* and CERTID_OTHER_CA only. */
void staple_build(const struct staple_lab *lab, const struct staple_lab *other_lab,
                  const struct staple_spec *spec, int64_t now, struct der_buf *out);

#endif
