/* ocsp.h — OCSP messages (RFC 6960 section 4, profile of RFC 5019) on the
 * shared DER reader/writer: requests parsed by the responder and built by
 * the web server and browser; responses built by the responder and parsed by
 * everyone who checks them. wolfSSL (5.5.4 and 5.9.2 alike) has no public
 * request parser or response builder, so both live here. The verifier (DESIGN section 9) builds
 * on the parsed response. */
#ifndef OCSPLAB_OCSP_H
#define OCSPLAB_OCSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"
#include "errbuf.h"
#include "keys.h"
#include "x509.h"

/* OCSPResponseStatus (RFC 6960 4.2.1). 4 is not used. */
enum ocsp_response_status {
    OCSP_RESPONSE_SUCCESSFUL = 0,
    OCSP_RESPONSE_MALFORMED_REQUEST = 1,
    OCSP_RESPONSE_INTERNAL_ERROR = 2,
    OCSP_RESPONSE_TRY_LATER = 3,
    OCSP_RESPONSE_SIG_REQUIRED = 5,
    OCSP_RESPONSE_UNAUTHORIZED = 6,
};
const char *ocsp_response_status_name(int status); /* "successful", "tryLater", … */

enum ocsp_cert_status {
    OCSP_CERT_STATUS_GOOD = 0,
    OCSP_CERT_STATUS_REVOKED = 1,
    OCSP_CERT_STATUS_UNKNOWN = 2,
};
const char *ocsp_cert_status_name(enum ocsp_cert_status status); /* "good", … */

/* CRLReason (RFC 5280 5.3.1), the one spelling of every revocation reason in
 * the lab (OCSP answers, CRL entries, ca list, traces): "keyCompromise" for
 * 1, … "aACompromise" for 10. 7 was never assigned; it, a negative and
 * anything above 10 give "unspecified", the reason RFC 5280 assumes when
 * none is given. */
const char *ocsp_crl_reason_name(int reason);
/* True for 0..10 except 7: the values a RevokedInfo may carry. */
bool ocsp_is_crl_reason(int reason);

/* Hash algorithms a CertID may use. */
enum ocsp_hash {
    OCSP_HASH_SHA1,
    OCSP_HASH_SHA256,
    OCSP_HASH_SHA384,
    OCSP_HASH_SHA512,
};
#define OCSP_HASH_MAX_LEN 64
const char *ocsp_hash_name(enum ocsp_hash hash); /* "SHA-1", "SHA-256", … */
/* Digest length in octets (20, 32, 48, 64); 0 for a value outside the enum. */
size_t ocsp_hash_len(enum ocsp_hash hash);

/* Object identifiers of RFC 6960 4.2.1 (id-pkix-ocsp-basic) and 4.4.1 (nonce). */
#define OCSP_OID_BASIC "1.3.6.1.5.5.7.48.1.1"
#define OCSP_OID_NONCE "1.3.6.1.5.5.7.48.1.2"

/* A CertID as read from a message: spans into the caller's DER. */
struct ocsp_cert_id {
    enum ocsp_hash hash;
    struct der_cursor raw;              /* the whole CertID, to echo as received */
    struct der_cursor issuer_name_hash; /* OCTET STRING contents */
    struct der_cursor issuer_key_hash;  /* OCTET STRING contents */
    struct der_cursor serial;           /* INTEGER contents */
};

/* A CertID computed for a certificate (owns its bytes). */
struct ocsp_cert_id_value {
    enum ocsp_hash hash;
    size_t hash_len;
    uint8_t issuer_name_hash[OCSP_HASH_MAX_LEN];
    uint8_t issuer_key_hash[OCSP_HASH_MAX_LEN];
    size_t serial_len;
    uint8_t serial[20]; /* INTEGER contents (RFC 5280: at most 20 octets) */
};

/* CertID of `cert` issued by `issuer` (RFC 6960 4.1.1: hash of the issuer's
 * DN encoding and of its subjectPublicKey bits). */
int ocsp_cert_id_compute(const struct x509_cert *cert, const struct x509_cert *issuer,
                         enum ocsp_hash hash, struct ocsp_cert_id_value *out, struct errbuf *err);
/* Hashes of an issuer alone (what a responder compares every CertID with). */
int ocsp_issuer_hashes(const struct x509_cert *issuer, enum ocsp_hash hash,
                       uint8_t name_hash[OCSP_HASH_MAX_LEN], uint8_t key_hash[OCSP_HASH_MAX_LEN],
                       size_t *hash_len, struct errbuf *err);
/* True when a parsed CertID names the same certificate as a computed one. */
bool ocsp_cert_id_matches(const struct ocsp_cert_id *id, const struct ocsp_cert_id_value *value);
/* Parses one CertID that fills der..len exactly (e.g. a cert_id_raw span);
 * the same rules as inside a request or response. Spans point into der. */
int ocsp_cert_id_parse(const uint8_t *der, size_t len, struct ocsp_cert_id *id, struct errbuf *err);
/* Appends the DER CertID of a computed value to out (hashAlgorithm with NULL
 * parameters, as openssl writes it): what a SingleResponse's cert_id_raw
 * holds when no request is echoed. Returns DER_OK or a der_error. */
int ocsp_cert_id_write(const struct ocsp_cert_id_value *value, struct der_buf *out);

/* ---- Requests -------------------------------------------------------------- */

/* RFC 5019 2.1.1 asks clients for one CertID per request; a few more are
 * answered, beyond this the request is refused as malformed (a 1,000-CertID
 * request must not make the responder sign for 1,000 certificates). */
#define OCSP_MAX_REQUEST_CERTS 16
/* RFC 8954 2.1: a nonce is 1 to 32 octets; the responder echoes what came. */
#define OCSP_MAX_NONCE_LEN 128

struct ocsp_request {
    size_t count;
    struct ocsp_cert_id ids[OCSP_MAX_REQUEST_CERTS];
    bool has_nonce;
    struct der_cursor
        nonce_ext_value; /* the nonce extension's extnValue contents, echoed verbatim */
    bool is_signed;      /* optionalSignature present (parsed, not checked) */
    /* A request or singleRequest extension marked critical other than the
     * nonce. The parser accepts such requests (see ocsp.c); the responder may
     * refuse them. */
    bool has_unknown_critical_extension;
};

/* Parses an OCSPRequest strictly (no trailing bytes). Spans point into der.
 * Returns 0, or -1 with err set: every failure (bad DER, no CertID, more than
 * OCSP_MAX_REQUEST_CERTS, a hash of the wrong length or an unknown hash, a
 * nonce extnValue outside 1..OCSP_MAX_NONCE_LEN) deserves malformedRequest.
 * An explicit version v1 is tolerated; unknown extensions are ignored, critical
 * ones flagged in has_unknown_critical_extension. */
int ocsp_request_parse(const uint8_t *der, size_t len, struct ocsp_request *req,
                       struct errbuf *err);

/* Builds an OCSPRequest for one CertID, with a nonce extension when
 * nonce != NULL (extnValue = OCTET STRING of the nonce bytes, RFC 8954). */
int ocsp_request_build(const struct ocsp_cert_id_value *id, const uint8_t *nonce, size_t nonce_len,
                       struct der_buf *out, struct errbuf *err);

/* ---- Responses --------------------------------------------------------------- */

struct ocsp_single_response {
    struct der_cursor cert_id_raw; /* echoed CertID encoding (parse: the CertID as read) */
    struct ocsp_cert_id cert_id;   /* parse only */
    enum ocsp_cert_status status;
    int64_t revocation_time; /* revoked only */
    int revocation_reason;   /* CRLReason, or -1 when absent */
    int64_t this_update;
    bool has_next_update;
    int64_t next_update;
    bool has_critical_extension; /* parse only: a singleExtension marked critical */
};

struct ocsp_signer {
    struct lab_key *key;          /* signs */
    const struct x509_cert *cert; /* the signer's certificate (CA or delegate) */
    bool include_cert;            /* put cert in BasicOCSPResponse.certs (delegates) */
    bool responder_id_by_name;    /* ResponderID byName instead of byKey */
};

/* Builds a successful OCSPResponse with a BasicOCSPResponse (RFC 6960 4.2.1)
 * signed with SHA-256 by signer->key. nonce_ext_value (may be NULL) is echoed
 * as the nonce extension of the ResponseData. */
int ocsp_response_build(const struct ocsp_signer *signer, WC_RNG *rng, int64_t produced_at,
                        const struct ocsp_single_response *singles, size_t count,
                        const struct der_cursor *nonce_ext_value, struct der_buf *out,
                        struct errbuf *err);
/* An unsuccessful OCSPResponse: just the status, no responseBytes. */
int ocsp_response_build_status(enum ocsp_response_status status, struct der_buf *out);

/* A parsed OCSPResponse; spans point into the caller's DER. */
#define OCSP_MAX_RESPONSE_SINGLES 16
#define OCSP_MAX_RESPONSE_CERTS 4
struct ocsp_response {
    int response_status;                 /* enum ocsp_response_status */
    bool has_basic;                      /* responseBytes present with id-pkix-ocsp-basic */
    bool has_response_bytes;             /* responseBytes present, whatever its type */
    struct der_cursor response_type;     /* responseType OID contents, when present */
    struct der_cursor tbs_response_data; /* the signed bytes, whole encoding */
    int version;                         /* 1 (v1, the only version) when has_basic */
    bool responder_by_key;
    struct der_cursor responder_id; /* byName: Name encoding; byKey: key hash contents */
    int64_t produced_at;
    size_t single_count;
    struct ocsp_single_response singles[OCSP_MAX_RESPONSE_SINGLES];
    bool has_nonce;
    struct der_cursor nonce_ext_value;
    bool has_critical_extension; /* a responseExtension marked critical that we do not know */
    struct der_cursor signature_algorithm; /* OID contents */
    struct der_cursor signature;           /* BIT STRING bytes */
    size_t cert_count;
    struct der_cursor certs[OCSP_MAX_RESPONSE_CERTS]; /* each a whole Certificate encoding */
};

/* Parses an OCSPResponse strictly: DER rules, no trailing bytes, known
 * structure. It does not judge signatures, times or status (the verifier does).
 * Returns 0, or -1 with err set. A successful status without responseBytes, or
 * with a responseType other than id-pkix-ocsp-basic, parses with has_basic
 * false and has_response_bytes telling the two apart (the verifier calls
 * both malformed, RFC 6960 4.2.1); an unsuccessful status that carries
 * responseBytes is malformed (-1). A version field in ResponseData is
 * malformed too (v1 is the DEFAULT, which DER omits). */
int ocsp_response_parse(const uint8_t *der, size_t len, struct ocsp_response *resp,
                        struct errbuf *err);

#endif
