/* crl.h — Certificate Revocation Lists (RFC 5280 section 5): writing a v2
 * CRL with the shared DER writer, and reading one strictly with the shared
 * reader. Writing is the CA's and the responder's job; reading is the
 * browser's (judged by crl_verify.h). Neither trusts anything: no signature
 * is checked here. */
#ifndef OCSPLAB_CRL_H
#define OCSPLAB_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"
#include "errbuf.h"
#include "keys.h"

#define OID_CRL_NUMBER "2.5.29.20"
#define OID_CRL_REASON "2.5.29.21"
/* RFC 5280 4.1.2.2 and 5.2.3: serials and CRL numbers are at most 20 octets. */
#define CRL_SERIAL_MAX 20

/* One revoked certificate (RFC 5280 5.1.2.6 and 5.3.1). */
struct crl_entry {
    uint8_t serial[CRL_SERIAL_MAX]; /* positive, big-endian, no leading zeros needed */
    size_t serial_len;
    int64_t revoked_at;
    int reason; /* CRLReason; 0 (unspecified) is left out, as 5.3.1 asks */
};

/* What a CRL says, apart from who signed it. */
struct crl_content {
    const uint8_t *issuer_name; /* the CA's subject Name, whole DER */
    size_t issuer_name_len;
    int64_t this_update;
    int64_t next_update;
    uint64_t number; /* cRLNumber */
    const struct crl_entry *entries;
    size_t entry_count;
};

/* Builds the CertificateList, signed SHA-256 by `key` (whose key identifier
 * goes into authorityKeyIdentifier), and appends its DER to *out. */
int crl_make(const struct crl_content *content, struct lab_key *key, WC_RNG *rng,
             struct der_buf *out, struct errbuf *err);

/* The cRLNumber of a CRL made at `this_update` from the CA's revision
 * counter (certstore_crl_revision): revision in the high 32 bits, seconds
 * since that revision in the low 32. A new revision (a revocation, 'ca crl')
 * beats every number of the old one, and a CRL re-signed later for the same
 * revision (the responder refreshing /crl) beats the earlier one, so the
 * number only grows although only the CA writes the counter. */
uint64_t crl_number(int64_t revision, int64_t changed_at, int64_t this_update);

/* A parsed CRL: spans point into the caller's DER, which must outlive it. */
struct crl {
    struct der_cursor tbs;                     /* TBSCertList, whole encoding: the signed bytes */
    struct der_cursor tbs_signature_algorithm; /* OID contents inside the TBS */
    struct der_cursor signature_algorithm;     /* OID contents of the outer algorithm */
    struct der_cursor signature;               /* signatureValue bits */
    struct der_cursor issuer;                  /* Name, whole encoding */
    int version;                               /* 1 (absent) or 2 */
    int64_t this_update;
    bool has_next_update;
    int64_t next_update;
    struct der_cursor revoked; /* contents of revokedCertificates (empty if none) */
    size_t entry_count;
    bool has_number;
    uint64_t number; /* when it fits 64 bits */
    bool has_authority_key_id;
    struct der_cursor authority_key_id; /* keyIdentifier contents */
    bool has_critical_extension;        /* one this reader does not know, CRL or entry */
};

/* Parses DER strictly (no trailing bytes, every entry well formed). */
int crl_parse(struct crl *crl, const uint8_t *der, size_t len, struct errbuf *err);

/* Looks for a serial (INTEGER contents as in a certificate): 0 and *entry
 * filled when listed, 1 when not. The CRL must have parsed. */
int crl_find_serial(const struct crl *crl, const uint8_t *serial, size_t serial_len,
                    struct crl_entry *entry);

#endif
