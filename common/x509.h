/* x509.h — reading the parts of an X.509 certificate (RFC 5280 4.1) that the
 * lab needs, on the shared DER reader: the signed bytes, serial, names, key,
 * validity and extensions. It parses structure strictly; it does not judge
 * trust (that is the verifier's job). Every span points into the caller's DER,
 * which must outlive the struct. */
#ifndef OCSPLAB_X509_H
#define OCSPLAB_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"
#include "errbuf.h"

struct x509_cert {
    struct der_cursor der;     /* the whole Certificate */
    struct der_cursor tbs;     /* TBSCertificate, tag and length included (signed bytes) */
    struct der_cursor serial;  /* INTEGER contents */
    struct der_cursor issuer;  /* Name, whole encoding (hashed for OCSP CertID) */
    struct der_cursor subject; /* Name, whole encoding */
    struct der_cursor spki;    /* SubjectPublicKeyInfo, whole encoding */
    struct der_cursor
        public_key; /* subjectPublicKey BIT STRING contents (after unused-bits octet) */
    struct der_cursor key_algorithm;       /* OID contents of the SPKI algorithm */
    struct der_cursor signature_algorithm; /* OID contents of the outer signatureAlgorithm */
    struct der_cursor signature;           /* signatureValue bits */
    struct der_cursor extensions;          /* contents of the Extensions SEQUENCE (empty if none) */
    int64_t not_before;
    int64_t not_after;
    int version; /* 1, 2 or 3 */
};

/* Parses a DER certificate; no trailing bytes allowed. */
int x509_parse(struct x509_cert *cert, const uint8_t *der, size_t len, struct errbuf *err);

/* Finds an extension by dotted OID: 0 and its extnValue contents (and
 * *is_critical) when present, 1 when absent, -1 if the extensions are malformed. */
int x509_find_extension(const struct x509_cert *cert, const char *oid, struct der_cursor *value,
                        bool *is_critical);

/* The first OCSP responder URL of the Authority Information Access extension
 * (RFC 5280 4.2.2.1, accessMethod id-ad-ocsp). 0 found, 1 absent, -1 malformed
 * or longer than cap - 1. */
int x509_ocsp_url(const struct x509_cert *cert, char *url, size_t cap);

/* The first URI of the CRL Distribution Points extension (RFC 5280
 * 4.2.1.13, a fullName's uniformResourceIdentifier). 0 found, 1 absent, -1
 * malformed or longer than cap - 1. */
int x509_crl_url(const struct x509_cert *cert, char *url, size_t cap);
/* True when the TLS Feature extension (RFC 7633) lists status_request (5). */
bool x509_is_must_staple(const struct x509_cert *cert);

/* True when the extended key usage lists the dotted OID. */
bool x509_has_eku(const struct x509_cert *cert, const char *oid);

/* The CN of the subject, for messages ("Lab Root CA"); "" when absent. */
int x509_subject_cn(const struct x509_cert *cert, char *out, size_t cap);

/* Well-known OIDs (dotted) the lab reads and writes. */
#define OID_COMMON_NAME "2.5.4.3"
#define OID_ORGANIZATION "2.5.4.10"
#define OID_SUBJECT_KEY_ID "2.5.29.14"
#define OID_KEY_USAGE "2.5.29.15"
#define OID_SUBJECT_ALT_NAME "2.5.29.17"
#define OID_BASIC_CONSTRAINTS "2.5.29.19"
#define OID_AUTHORITY_KEY_ID "2.5.29.35"
#define OID_EXT_KEY_USAGE "2.5.29.37"
#define OID_CRL_DISTRIBUTION_POINTS "2.5.29.31"
#define OID_AUTHORITY_INFO_ACCESS "1.3.6.1.5.5.7.1.1"
#define OID_TLS_FEATURE "1.3.6.1.5.5.7.1.24"
#define OID_AD_OCSP "1.3.6.1.5.5.7.48.1"
#define OID_OCSP_NOCHECK "1.3.6.1.5.5.7.48.1.5"
#define OID_KP_SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define OID_KP_OCSP_SIGNING "1.3.6.1.5.5.7.3.9"

/* TLS Feature value for the status_request extension (RFC 6066 8, RFC 7633). */
#define TLS_FEATURE_STATUS_REQUEST 5

#endif
