/* ocsp.c — OCSP requests and responses (RFC 6960 section 4 and appendix B,
 * the RFC 5019 profile, the RFC 8954 nonce) read and written through the shared
 * DER reader and writer. Parsing is structural and strict; signatures, times
 * and statuses are judged by the verifier, not here. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>

#include "ocsp.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- Names and hash algorithms ------------------------------------------------ */

const char *ocsp_response_status_name(int status)
{
    switch (status) {
    case OCSP_RESPONSE_SUCCESSFUL:
        return "successful";
    case OCSP_RESPONSE_MALFORMED_REQUEST:
        return "malformedRequest";
    case OCSP_RESPONSE_INTERNAL_ERROR:
        return "internalError";
    case OCSP_RESPONSE_TRY_LATER:
        return "tryLater";
    case OCSP_RESPONSE_SIG_REQUIRED:
        return "sigRequired";
    case OCSP_RESPONSE_UNAUTHORIZED:
        return "unauthorized";
    }
    return "unknown status";
}

const char *ocsp_cert_status_name(enum ocsp_cert_status status)
{
    switch (status) {
    case OCSP_CERT_STATUS_GOOD:
        return "good";
    case OCSP_CERT_STATUS_REVOKED:
        return "revoked";
    case OCSP_CERT_STATUS_UNKNOWN:
        return "unknown";
    }
    return "invalid status";
}

static const char *const ocsp_crl_reason_names[] = {
    [0] = "unspecified",
    [1] = "keyCompromise",
    [2] = "cACompromise",
    [3] = "affiliationChanged",
    [4] = "superseded",
    [5] = "cessationOfOperation",
    [6] = "certificateHold",
    /* 7 was never assigned */
    [8] = "removeFromCRL",
    [9] = "privilegeWithdrawn",
    [10] = "aACompromise",
};

bool ocsp_is_crl_reason(int reason)
{
    size_t count = sizeof ocsp_crl_reason_names / sizeof ocsp_crl_reason_names[0];
    return reason >= 0 && (size_t)reason < count && ocsp_crl_reason_names[reason] != NULL;
}

const char *ocsp_crl_reason_name(int reason)
{
    return ocsp_is_crl_reason(reason) ? ocsp_crl_reason_names[reason] : "unspecified";
}

struct ocsp_hash_info {
    enum ocsp_hash hash;
    const char *name;
    const char *oid; /* RFC 3279 2.2 (SHA-1) and RFC 5754 2 (SHA-2) */
    size_t len;
};

static const struct ocsp_hash_info ocsp_hashes[] = {
    {OCSP_HASH_SHA1, "SHA-1", "1.3.14.3.2.26", 20},
    {OCSP_HASH_SHA256, "SHA-256", "2.16.840.1.101.3.4.2.1", 32},
    {OCSP_HASH_SHA384, "SHA-384", "2.16.840.1.101.3.4.2.2", 48},
    {OCSP_HASH_SHA512, "SHA-512", "2.16.840.1.101.3.4.2.3", 64},
};
#define OCSP_HASH_COUNT (sizeof ocsp_hashes / sizeof ocsp_hashes[0])

static const struct ocsp_hash_info *ocsp_hash_info(enum ocsp_hash hash)
{
    for (size_t i = 0; i < OCSP_HASH_COUNT; i++)
        if (ocsp_hashes[i].hash == hash)
            return &ocsp_hashes[i];
    return NULL;
}

const char *ocsp_hash_name(enum ocsp_hash hash)
{
    const struct ocsp_hash_info *info = ocsp_hash_info(hash);
    return info != NULL ? info->name : "unknown hash";
}

size_t ocsp_hash_len(enum ocsp_hash hash)
{
    const struct ocsp_hash_info *info = ocsp_hash_info(hash);
    return info != NULL ? info->len : 0;
}

static int ocsp_digest(enum ocsp_hash hash, const struct der_cursor *data,
                       uint8_t out[OCSP_HASH_MAX_LEN])
{
    /* wolfCrypt takes 32-bit lengths; nothing the lab hashes comes close. */
    if ((uint64_t)data->left > UINT32_MAX)
        return -1;
    word32 len = (word32)data->left;
    switch (hash) {
    case OCSP_HASH_SHA1:
        return wc_ShaHash(data->p, len, out);
    case OCSP_HASH_SHA256:
        return wc_Sha256Hash(data->p, len, out);
    case OCSP_HASH_SHA384:
        return wc_Sha384Hash(data->p, len, out);
    case OCSP_HASH_SHA512:
        return wc_Sha512Hash(data->p, len, out);
    }
    return -1;
}

/* ---- Errors --------------------------------------------------------------------
 * Every parse failure reads "malformed OCSP request: bad PART (REASON)", so a
 * student sees which field broke and how; `what` is "request" or "response". */

static int ocsp_fail(struct errbuf *err, const char *what, const char *part, int der_rc)
{
    errbuf_set(err, "malformed OCSP %s: bad %s (%s)", what, part, der_strerror(der_rc));
    return -1;
}

/* For a rule DER itself does not know (a limit, a value the RFC forbids). */
static int ocsp_fail_rule(struct errbuf *err, const char *what, const char *rule)
{
    errbuf_set(err, "malformed OCSP %s: %s", what, rule);
    return -1;
}

/* ---- Shared pieces of both messages ---------------------------------------------- */

/* A GeneralizedTime and nothing else: RFC 6960 uses it for every time, and
 * der_read_time alone would also take a UTCTime. */
static int ocsp_read_generalized_time(struct der_cursor *in, int64_t *unix_seconds)
{
    struct der_cursor probe = *in;
    uint8_t tag;
    int rc = der_read_any(&probe, &tag, NULL, NULL);
    if (rc != DER_OK)
        return rc;
    if (tag != DER_TAG_GENERALIZED_TIME)
        return DER_ERR_UNEXPECTED_TAG;
    return der_read_time(in, unix_seconds);
}

/* AlgorithmIdentifier of a CertID hash. RFC 5754 2: readers MUST accept SHA-2
 * parameters both absent and NULL; openssl writes NULL for SHA-1 as well, so
 * both forms are read for every hash. */
static int ocsp_read_hash_algorithm(struct der_cursor *in, enum ocsp_hash *hash, struct errbuf *err,
                                    const char *what)
{
    struct der_cursor alg, oid;
    int rc;
    if ((rc = der_read_sequence(in, &alg)) != DER_OK || (rc = der_read_oid(&alg, &oid)) != DER_OK)
        return ocsp_fail(err, what, "CertID hashAlgorithm", rc);
    if (!der_is_empty(&alg) &&
        ((rc = der_read_null(&alg)) != DER_OK || (rc = der_expect_end(&alg)) != DER_OK))
        return ocsp_fail(err, what, "CertID hashAlgorithm parameters", rc);
    for (size_t i = 0; i < OCSP_HASH_COUNT; i++) {
        if (der_oid_equals(&oid, ocsp_hashes[i].oid)) {
            *hash = ocsp_hashes[i].hash;
            return 0;
        }
    }
    char dotted[128];
    if (der_oid_to_string(&oid, dotted, sizeof dotted) != DER_OK)
        snprintf(dotted, sizeof dotted, "(an OID too long to print)");
    errbuf_set(err, "malformed OCSP %s: CertID hash algorithm %s is not SHA-1 or SHA-2", what,
               dotted);
    return -1;
}

/* CertID (RFC 6960 4.1.1). Each hash must be exactly as long as the digest it
 * claims to be: a shorter one could never match and a longer one is no digest. */
static int ocsp_read_cert_id(struct der_cursor *in, struct ocsp_cert_id *id, struct errbuf *err,
                             const char *what)
{
    struct der_cursor body;
    const uint8_t *value;
    size_t len;
    int rc;

    memset(id, 0, sizeof *id);
    if ((rc = der_read_raw(in, DER_TAG_SEQUENCE, &id->raw)) != DER_OK)
        return ocsp_fail(err, what, "CertID", rc);
    body = id->raw;
    if ((rc = der_read_sequence(&body, &body)) != DER_OK)
        return ocsp_fail(err, what, "CertID", rc);
    if (ocsp_read_hash_algorithm(&body, &id->hash, err, what) != 0)
        return -1;
    size_t want = ocsp_hash_len(id->hash);

    if ((rc = der_read_octet_string(&body, &value, &len)) != DER_OK)
        return ocsp_fail(err, what, "CertID issuerNameHash", rc);
    id->issuer_name_hash = der_cursor_init(value, len);
    if ((rc = der_read_octet_string(&body, &value, &len)) != DER_OK)
        return ocsp_fail(err, what, "CertID issuerKeyHash", rc);
    id->issuer_key_hash = der_cursor_init(value, len);
    if (id->issuer_name_hash.left != want || id->issuer_key_hash.left != want) {
        errbuf_set(err, "malformed OCSP %s: CertID hashes are %zu and %zu octets, %s needs %zu",
                   what, id->issuer_name_hash.left, id->issuer_key_hash.left,
                   ocsp_hash_name(id->hash), want);
        return -1;
    }
    if ((rc = der_read_integer_bytes(&body, &value, &len)) != DER_OK)
        return ocsp_fail(err, what, "CertID serialNumber", rc);
    id->serial = der_cursor_init(value, len);
    if ((rc = der_expect_end(&body)) != DER_OK)
        return ocsp_fail(err, what, "end of CertID", rc);
    return 0;
}

/* What a list of Extensions (RFC 5280 4.1: SEQUENCE SIZE (1..MAX) OF Extension)
 * told us. Only the nonce is understood, and only where it may stand. */
struct ocsp_extensions {
    bool has_nonce;
    struct der_cursor nonce_ext_value;
    bool has_unknown_critical; /* critical and not understood here */
};

/* Reads the contents of an [n] EXPLICIT Extensions wrapper. With is_nonce_known
 * false (singleRequest and single response extensions) the nonce is just another
 * extension. */
static int ocsp_read_extensions(struct der_cursor wrapper, bool is_nonce_known,
                                struct ocsp_extensions *out, struct errbuf *err, const char *what)
{
    struct der_cursor list;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = der_read_sequence(&wrapper, &list)) != DER_OK ||
        (rc = der_expect_end(&wrapper)) != DER_OK)
        return ocsp_fail(err, what, "Extensions", rc);
    if (der_is_empty(&list))
        return ocsp_fail_rule(err, what, "an empty Extensions list (RFC 5280 asks for 1..MAX)");

    while (!der_is_empty(&list)) {
        struct der_cursor ext, oid;
        const uint8_t *value;
        size_t value_len;
        bool is_critical = false;
        if ((rc = der_read_sequence(&list, &ext)) != DER_OK ||
            (rc = der_read_oid(&ext, &oid)) != DER_OK)
            return ocsp_fail(err, what, "Extension", rc);
        if (der_peek_tag(&ext, DER_TAG_BOOLEAN)) {
            if ((rc = der_read_boolean(&ext, &is_critical)) != DER_OK)
                return ocsp_fail(err, what, "Extension critical flag", rc);
            /* X.690 11.5: a value equal to its DEFAULT (FALSE) is never encoded. */
            if (!is_critical)
                return ocsp_fail(err, what, "Extension critical flag (FALSE is the default)",
                                 DER_ERR_BAD_VALUE);
        }
        if ((rc = der_read_octet_string(&ext, &value, &value_len)) != DER_OK ||
            (rc = der_expect_end(&ext)) != DER_OK)
            return ocsp_fail(err, what, "Extension extnValue", rc);

        if (is_nonce_known && der_oid_equals(&oid, OCSP_OID_NONCE)) {
            /* RFC 5280 4.2: one instance per extension; two nonces are ambiguous. */
            if (out->has_nonce)
                return ocsp_fail_rule(err, what, "two nonce extensions");
            /* RFC 8954 2.1 rejects an empty nonce; the upper limit is ours, and
             * applies to the whole extnValue the responder echoes. */
            if (value_len == 0 || value_len > OCSP_MAX_NONCE_LEN) {
                errbuf_set(err, "malformed OCSP %s: nonce of %zu octets (allowed: 1 to %d)", what,
                           value_len, OCSP_MAX_NONCE_LEN);
                return -1;
            }
            out->has_nonce = true;
            out->nonce_ext_value = der_cursor_init(value, value_len);
        } else if (is_critical) {
            out->has_unknown_critical = true;
        }
    }
    return 0;
}

/* ---- CertIDs --------------------------------------------------------------------- */

int ocsp_issuer_hashes(const struct x509_cert *issuer, enum ocsp_hash hash,
                       uint8_t name_hash[OCSP_HASH_MAX_LEN], uint8_t key_hash[OCSP_HASH_MAX_LEN],
                       size_t *hash_len, struct errbuf *err)
{
    size_t len = ocsp_hash_len(hash);
    if (len == 0) {
        errbuf_set(err, "cannot compute a CertID: unknown hash algorithm %d", (int)hash);
        return -1;
    }
    /* RFC 6960 4.1.1: the name hash covers the DER of the issuer's subject
     * Name (tag and length included), the key hash only the subjectPublicKey
     * bits, without the BIT STRING's tag, length and unused-bits octet. */
    if (ocsp_digest(hash, &issuer->subject, name_hash) != 0 ||
        ocsp_digest(hash, &issuer->public_key, key_hash) != 0) {
        errbuf_set(err, "cannot compute a CertID: %s failed", ocsp_hash_name(hash));
        return -1;
    }
    *hash_len = len;
    return 0;
}

int ocsp_cert_id_compute(const struct x509_cert *cert, const struct x509_cert *issuer,
                         enum ocsp_hash hash, struct ocsp_cert_id_value *out, struct errbuf *err)
{
    memset(out, 0, sizeof *out);
    /* RFC 5280 4.1.2.2: conforming serials fit 20 octets; x509_parse already
     * checked the INTEGER is minimal. */
    if (cert->serial.left == 0 || cert->serial.left > sizeof out->serial) {
        errbuf_set(err, "cannot compute a CertID: serial number of %zu octets (at most %zu)",
                   cert->serial.left, sizeof out->serial);
        return -1;
    }
    if (ocsp_issuer_hashes(issuer, hash, out->issuer_name_hash, out->issuer_key_hash,
                           &out->hash_len, err) != 0)
        return -1;
    out->hash = hash;
    out->serial_len = cert->serial.left;
    memcpy(out->serial, cert->serial.p, cert->serial.left);
    return 0;
}

bool ocsp_cert_id_matches(const struct ocsp_cert_id *id, const struct ocsp_cert_id_value *value)
{
    return id->hash == value->hash && id->issuer_name_hash.left == value->hash_len &&
           id->issuer_key_hash.left == value->hash_len &&
           memcmp(id->issuer_name_hash.p, value->issuer_name_hash, value->hash_len) == 0 &&
           memcmp(id->issuer_key_hash.p, value->issuer_key_hash, value->hash_len) == 0 &&
           id->serial.left == value->serial_len &&
           memcmp(id->serial.p, value->serial, value->serial_len) == 0;
}

int ocsp_cert_id_parse(const uint8_t *der, size_t len, struct ocsp_cert_id *id, struct errbuf *err)
{
    struct der_cursor in = der_cursor_init(der, len);
    int rc;
    if (ocsp_read_cert_id(&in, id, err, "CertID") != 0)
        return -1;
    if ((rc = der_expect_end(&in)) != DER_OK)
        return ocsp_fail(err, "CertID", "end (bytes after the CertID)", rc);
    return 0;
}

int ocsp_cert_id_write(const struct ocsp_cert_id_value *value, struct der_buf *out)
{
    const struct ocsp_hash_info *info = ocsp_hash_info(value->hash);
    if (info == NULL || value->hash_len != info->len || value->serial_len == 0 ||
        value->serial_len > sizeof value->serial)
        return DER_ERR_BAD_VALUE;
    der_begin(out, DER_TAG_SEQUENCE);
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_oid(out, info->oid);
    /* NULL parameters, as openssl writes them. RFC 5754 2 prefers them absent
     * for SHA-2, but every reader must take NULL, and a CertID byte-identical
     * to openssl's also matches responders that compare encodings. */
    der_write_null(out);
    der_end(out);
    der_write_octet_string(out, value->issuer_name_hash, value->hash_len);
    der_write_octet_string(out, value->issuer_key_hash, value->hash_len);
    /* The serial is kept as INTEGER contents, so it is copied, not re-encoded. */
    der_write_tlv(out, DER_TAG_INTEGER, value->serial, value->serial_len);
    return der_end(out);
}

/* ---- Requests ------------------------------------------------------------------- */

/* Signature (RFC 6960 4.1.1), read for structure only: the lab neither asks for
 * signed requests nor checks them (RFC 5019 2.1.2 lets responders ignore the
 * signature). */
static int ocsp_read_request_signature(struct der_cursor wrapper, struct errbuf *err)
{
    struct der_cursor signature, alg, oid, certs_wrapper, certs;
    const uint8_t *bits;
    size_t bits_len;
    unsigned unused;
    bool present;
    int rc;

    if ((rc = der_read_sequence(&wrapper, &signature)) != DER_OK ||
        (rc = der_expect_end(&wrapper)) != DER_OK)
        return ocsp_fail(err, "request", "optionalSignature", rc);
    if ((rc = der_read_sequence(&signature, &alg)) != DER_OK ||
        (rc = der_read_oid(&alg, &oid)) != DER_OK)
        return ocsp_fail(err, "request", "optionalSignature signatureAlgorithm", rc);
    if ((rc = der_read_bit_string(&signature, &bits, &bits_len, &unused)) != DER_OK)
        return ocsp_fail(err, "request", "optionalSignature signature", rc);
    if ((rc = der_read_optional(&signature, DER_TAG_CONTEXT(0), &certs_wrapper, &present)) !=
        DER_OK)
        return ocsp_fail(err, "request", "optionalSignature certs", rc);
    if (present) {
        if ((rc = der_read_sequence(&certs_wrapper, &certs)) != DER_OK ||
            (rc = der_expect_end(&certs_wrapper)) != DER_OK)
            return ocsp_fail(err, "request", "optionalSignature certs", rc);
        while (!der_is_empty(&certs))
            if ((rc = der_read_sequence(&certs, NULL)) != DER_OK)
                return ocsp_fail(err, "request", "optionalSignature certificate", rc);
    }
    if ((rc = der_expect_end(&signature)) != DER_OK)
        return ocsp_fail(err, "request", "end of optionalSignature", rc);
    return 0;
}

/* Unknown extensions, critical or not, do not fail the parse. RFC 6960 4.4
 * asks that OCSP extensions not be marked critical at all, and that unknown
 * ones be ignored unless critical; but no responseStatus names "unsupported
 * critical extension", and answering the status of a well-formed CertID tells
 * the client nothing a request without the extension would not (openssl's
 * responder ignores them too). So the parser accepts such a request and sets
 * has_unknown_critical_extension, leaving the refusal to the responder. */
int ocsp_request_parse(const uint8_t *der, size_t len, struct ocsp_request *req, struct errbuf *err)
{
    struct der_cursor in = der_cursor_init(der, len);
    struct der_cursor outer, tbs, field, list;
    struct ocsp_extensions exts;
    bool present;
    int rc;

    memset(req, 0, sizeof *req);
    if ((rc = der_read_sequence(&in, &outer)) != DER_OK)
        return ocsp_fail(err, "request", "OCSPRequest", rc);
    if ((rc = der_expect_end(&in)) != DER_OK)
        return ocsp_fail(err, "request", "end (bytes after the request)", rc);
    if ((rc = der_read_sequence(&outer, &tbs)) != DER_OK)
        return ocsp_fail(err, "request", "tbsRequest", rc);

    /* version [0] EXPLICIT DEFAULT v1. DER omits it, but an explicit v1 is
     * accepted here (unlike in responses): it changes nothing we answer, and a
     * responder should not turn away a client for it. */
    if ((rc = der_read_optional(&tbs, DER_TAG_CONTEXT(0), &field, &present)) != DER_OK)
        return ocsp_fail(err, "request", "version", rc);
    if (present) {
        int64_t version;
        if ((rc = der_read_small_int(&field, &version)) != DER_OK ||
            (rc = der_expect_end(&field)) != DER_OK)
            return ocsp_fail(err, "request", "version", rc);
        if (version != 0)
            return ocsp_fail_rule(err, "request", "version is not v1 (the only one defined)");
    }
    /* requestorName [1] EXPLICIT GeneralName: one element, not interpreted. */
    if ((rc = der_read_optional(&tbs, DER_TAG_CONTEXT(1), &field, &present)) != DER_OK)
        return ocsp_fail(err, "request", "requestorName", rc);
    if (present && ((rc = der_read_any(&field, NULL, NULL, NULL)) != DER_OK ||
                    (rc = der_expect_end(&field)) != DER_OK))
        return ocsp_fail(err, "request", "requestorName", rc);

    if ((rc = der_read_sequence(&tbs, &list)) != DER_OK)
        return ocsp_fail(err, "request", "requestList", rc);
    while (!der_is_empty(&list)) {
        struct der_cursor request;
        /* Checked before reading on, so a huge list costs no more than 17 reads. */
        if (req->count == OCSP_MAX_REQUEST_CERTS) {
            errbuf_set(err, "malformed OCSP request: more than %d CertIDs in one request",
                       OCSP_MAX_REQUEST_CERTS);
            return -1;
        }
        if ((rc = der_read_sequence(&list, &request)) != DER_OK)
            return ocsp_fail(err, "request", "Request", rc);
        if (ocsp_read_cert_id(&request, &req->ids[req->count], err, "request") != 0)
            return -1;
        if ((rc = der_read_optional(&request, DER_TAG_CONTEXT(0), &field, &present)) != DER_OK)
            return ocsp_fail(err, "request", "singleRequestExtensions", rc);
        if (present) {
            if (ocsp_read_extensions(field, false, &exts, err, "request") != 0)
                return -1;
            req->has_unknown_critical_extension |= exts.has_unknown_critical;
        }
        if ((rc = der_expect_end(&request)) != DER_OK)
            return ocsp_fail(err, "request", "end of Request", rc);
        req->count++;
    }
    if (req->count == 0)
        return ocsp_fail_rule(err, "request", "the requestList names no certificate");

    if ((rc = der_read_optional(&tbs, DER_TAG_CONTEXT(2), &field, &present)) != DER_OK)
        return ocsp_fail(err, "request", "requestExtensions", rc);
    if (present) {
        if (ocsp_read_extensions(field, true, &exts, err, "request") != 0)
            return -1;
        req->has_nonce = exts.has_nonce;
        req->nonce_ext_value = exts.nonce_ext_value;
        req->has_unknown_critical_extension |= exts.has_unknown_critical;
    }
    if ((rc = der_expect_end(&tbs)) != DER_OK)
        return ocsp_fail(err, "request", "end of tbsRequest", rc);

    if ((rc = der_read_optional(&outer, DER_TAG_CONTEXT(0), &field, &present)) != DER_OK)
        return ocsp_fail(err, "request", "optionalSignature", rc);
    if (present) {
        if (ocsp_read_request_signature(field, err) != 0)
            return -1;
        req->is_signed = true;
    }
    if ((rc = der_expect_end(&outer)) != DER_OK)
        return ocsp_fail(err, "request", "end of OCSPRequest", rc);
    return 0;
}

/* Extension { extnID id-pkix-ocsp-nonce, extnValue } inside an Extensions list. */
static void ocsp_write_nonce_extension(struct der_buf *out, const uint8_t *ext_value,
                                       size_t ext_value_len)
{
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_oid(out, OCSP_OID_NONCE);
    der_write_octet_string(out, ext_value, ext_value_len);
    der_end(out);
}

/* Moves a finished message to the caller's buffer, so a failure leaves the
 * caller's buffer as it was. */
static int ocsp_append(struct der_buf *out, const struct der_buf *message, struct errbuf *err,
                       const char *what)
{
    int rc = der_buf_error(message);
    if (rc == DER_OK)
        rc = der_write_raw(out, message->data, message->len);
    if (rc != DER_OK) {
        errbuf_set(err, "cannot build the OCSP %s: %s", what, der_strerror(rc));
        return -1;
    }
    return 0;
}

int ocsp_request_build(const struct ocsp_cert_id_value *id, const uint8_t *nonce, size_t nonce_len,
                       struct der_buf *out, struct errbuf *err)
{
    struct der_buf request = {0};
    struct der_buf ext_value = {0};
    int rc = -1;

    if (nonce != NULL) {
        /* RFC 8954 2.1: extnValue holds the DER of Nonce ::= OCTET STRING, so
         * the nonce is wrapped twice; openssl writes it the same way. */
        der_write_octet_string(&ext_value, nonce, nonce_len);
        if (nonce_len == 0 || der_buf_error(&ext_value) != DER_OK ||
            ext_value.len > OCSP_MAX_NONCE_LEN) {
            errbuf_set(err,
                       "cannot build the OCSP request: a nonce of %zu octets (1 to %d "
                       "once encoded)",
                       nonce_len, OCSP_MAX_NONCE_LEN);
            goto out;
        }
    }

    der_begin(&request, DER_TAG_SEQUENCE); /* OCSPRequest */
    der_begin(&request, DER_TAG_SEQUENCE); /* tbsRequest; version left at DEFAULT v1 */
    der_begin(&request, DER_TAG_SEQUENCE); /* requestList */
    der_begin(&request, DER_TAG_SEQUENCE); /* Request */
    if (ocsp_cert_id_write(id, &request) != DER_OK) {
        errbuf_set(err, "cannot build the OCSP request: invalid CertID");
        goto out;
    }
    der_end(&request);
    der_end(&request);
    if (nonce != NULL) {
        der_begin(&request, DER_TAG_CONTEXT(2));
        der_begin(&request, DER_TAG_SEQUENCE);
        ocsp_write_nonce_extension(&request, ext_value.data, ext_value.len);
        der_end(&request);
        der_end(&request);
    }
    der_end(&request);
    der_end(&request);
    if (ocsp_append(out, &request, err, "request") != 0)
        goto out;
    rc = 0;
out:
    der_buf_free(&request);
    der_buf_free(&ext_value);
    return rc;
}

/* ---- Responses ------------------------------------------------------------------ */

static bool ocsp_is_response_status(int status)
{
    switch (status) {
    case OCSP_RESPONSE_SUCCESSFUL:
    case OCSP_RESPONSE_MALFORMED_REQUEST:
    case OCSP_RESPONSE_INTERNAL_ERROR:
    case OCSP_RESPONSE_TRY_LATER:
    case OCSP_RESPONSE_SIG_REQUIRED:
    case OCSP_RESPONSE_UNAUTHORIZED:
        return true;
    }
    return false;
}

int ocsp_response_build_status(enum ocsp_response_status status, struct der_buf *out)
{
    struct der_buf response = {0};
    /* A successful response without responseBytes is the "successful but
     * empty" answer clients must reject; never produce one by accident. */
    if (status == OCSP_RESPONSE_SUCCESSFUL || !ocsp_is_response_status((int)status))
        return DER_ERR_BAD_VALUE;
    der_begin(&response, DER_TAG_SEQUENCE);
    der_write_enumerated(&response, (int)status);
    der_end(&response);
    int rc = der_buf_error(&response);
    if (rc == DER_OK)
        rc = der_write_raw(out, response.data, response.len);
    der_buf_free(&response);
    return rc;
}

/* One SingleResponse (RFC 6960 4.2.1). The CertID is written as given, after
 * checking it is one: the responder echoes the requester's encoding. */
static int ocsp_write_single(struct der_buf *out, const struct ocsp_single_response *single,
                             struct errbuf *err)
{
    struct ocsp_cert_id id;
    if (ocsp_cert_id_parse(single->cert_id_raw.p, single->cert_id_raw.left, &id, err) != 0) {
        errbuf_prefix(err, "cannot build the OCSP response");
        return -1;
    }
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_raw(out, single->cert_id_raw.p, single->cert_id_raw.left);
    switch (single->status) {
    case OCSP_CERT_STATUS_GOOD:
        der_write_tlv(out, DER_TAG_CONTEXT_PRIMITIVE(0), NULL, 0); /* good [0] IMPLICIT NULL */
        break;
    case OCSP_CERT_STATUS_REVOKED:
        der_begin(out, DER_TAG_CONTEXT(1)); /* revoked [1] IMPLICIT RevokedInfo */
        der_write_generalized_time(out, single->revocation_time);
        if (single->revocation_reason >= 0) {
            if (!ocsp_is_crl_reason(single->revocation_reason)) {
                errbuf_set(err, "cannot build the OCSP response: %d is no CRLReason",
                           single->revocation_reason);
                return -1;
            }
            der_begin(out, DER_TAG_CONTEXT(0));
            der_write_enumerated(out, single->revocation_reason);
            der_end(out);
        }
        der_end(out);
        break;
    case OCSP_CERT_STATUS_UNKNOWN:
        der_write_tlv(out, DER_TAG_CONTEXT_PRIMITIVE(2), NULL, 0); /* unknown [2] IMPLICIT NULL */
        break;
    default:
        errbuf_set(err, "cannot build the OCSP response: certificate status %d",
                   (int)single->status);
        return -1;
    }
    der_write_generalized_time(out, single->this_update);
    if (single->has_next_update) {
        der_begin(out, DER_TAG_CONTEXT(0));
        der_write_generalized_time(out, single->next_update);
        der_end(out);
    }
    der_end(out);
    return 0;
}

/* ResponseData (RFC 6960 4.2.1): the bytes the signature covers. */
static int ocsp_write_response_data(struct der_buf *tbs, const struct ocsp_signer *signer,
                                    int64_t produced_at, const struct ocsp_single_response *singles,
                                    size_t count, const struct der_cursor *nonce_ext_value,
                                    struct errbuf *err)
{
    der_begin(tbs, DER_TAG_SEQUENCE); /* version omitted: DEFAULT v1 */
    if (signer->responder_id_by_name) {
        der_begin(tbs, DER_TAG_CONTEXT(1));
        der_write_raw(tbs, signer->cert->subject.p, signer->cert->subject.left);
        der_end(tbs);
    } else {
        /* KeyHash: SHA-1 of the signer's subjectPublicKey bits, which is the
         * RFC 5280 key identifier of the key that signs. */
        uint8_t key_id[KEY_ID_LEN];
        if (key_identifier(signer->key, key_id, err) != 0)
            return -1;
        der_begin(tbs, DER_TAG_CONTEXT(2));
        der_write_octet_string(tbs, key_id, sizeof key_id);
        der_end(tbs);
    }
    der_write_generalized_time(tbs, produced_at);
    der_begin(tbs, DER_TAG_SEQUENCE);
    for (size_t i = 0; i < count; i++)
        if (ocsp_write_single(tbs, &singles[i], err) != 0)
            return -1;
    der_end(tbs);
    if (nonce_ext_value != NULL) {
        der_begin(tbs, DER_TAG_CONTEXT(1));
        der_begin(tbs, DER_TAG_SEQUENCE);
        ocsp_write_nonce_extension(tbs, nonce_ext_value->p, nonce_ext_value->left);
        der_end(tbs);
        der_end(tbs);
    }
    der_end(tbs);
    int rc = der_buf_error(tbs);
    if (rc != DER_OK) {
        errbuf_set(err, "cannot build the OCSP response: %s", der_strerror(rc));
        return -1;
    }
    return 0;
}

int ocsp_response_build(const struct ocsp_signer *signer, WC_RNG *rng, int64_t produced_at,
                        const struct ocsp_single_response *singles, size_t count,
                        const struct der_cursor *nonce_ext_value, struct der_buf *out,
                        struct errbuf *err)
{
    struct der_buf tbs = {0};
    struct der_buf signature = {0};
    struct der_buf basic = {0};
    struct der_buf response = {0};
    int rc = -1;

    if (signer == NULL || signer->key == NULL ||
        ((signer->responder_id_by_name || signer->include_cert) && signer->cert == NULL)) {
        errbuf_set(err, "cannot build the OCSP response: no signing key or certificate");
        goto out;
    }
    /* Our own parser must read what we write, so the same limits apply. */
    if (count == 0 || count > OCSP_MAX_RESPONSE_SINGLES) {
        errbuf_set(err, "cannot build the OCSP response: %zu SingleResponses (1 to %d)", count,
                   OCSP_MAX_RESPONSE_SINGLES);
        goto out;
    }
    if (nonce_ext_value != NULL &&
        (nonce_ext_value->left == 0 || nonce_ext_value->left > OCSP_MAX_NONCE_LEN)) {
        errbuf_set(err, "cannot build the OCSP response: a nonce of %zu octets (1 to %d)",
                   nonce_ext_value->left, OCSP_MAX_NONCE_LEN);
        goto out;
    }

    if (ocsp_write_response_data(&tbs, signer, produced_at, singles, count, nonce_ext_value, err) !=
        0)
        goto out;
    if (key_sign_sha256(signer->key, rng, tbs.data, tbs.len, &signature, err) != 0) {
        errbuf_prefix(err, "cannot sign the OCSP response");
        goto out;
    }

    der_begin(&basic, DER_TAG_SEQUENCE); /* BasicOCSPResponse */
    der_write_raw(&basic, tbs.data, tbs.len);
    key_write_signature_algorithm(signer->key, &basic);
    der_write_bit_string(&basic, signature.data, signature.len, 0);
    if (signer->include_cert) {
        /* RFC 6960 4.2.2.2: a delegate's certificate travels with the response
         * so the client can check that the CA issued it for OCSP signing. */
        der_begin(&basic, DER_TAG_CONTEXT(0));
        der_begin(&basic, DER_TAG_SEQUENCE);
        der_write_raw(&basic, signer->cert->der.p, signer->cert->der.left);
        der_end(&basic);
        der_end(&basic);
    }
    der_end(&basic);
    if (der_buf_error(&basic) != DER_OK) {
        errbuf_set(err, "cannot build the OCSP response: %s", der_strerror(der_buf_error(&basic)));
        goto out;
    }

    der_begin(&response, DER_TAG_SEQUENCE); /* OCSPResponse */
    der_write_enumerated(&response, OCSP_RESPONSE_SUCCESSFUL);
    der_begin(&response, DER_TAG_CONTEXT(0));
    der_begin(&response, DER_TAG_SEQUENCE); /* ResponseBytes */
    der_write_oid(&response, OCSP_OID_BASIC);
    der_write_octet_string(&response, basic.data, basic.len);
    der_end(&response);
    der_end(&response);
    der_end(&response);
    if (ocsp_append(out, &response, err, "response") != 0)
        goto out;
    rc = 0;
out:
    der_buf_free(&tbs);
    der_buf_free(&signature);
    der_buf_free(&basic);
    der_buf_free(&response);
    return rc;
}

/* SingleResponse (RFC 6960 4.2.1). */
static int ocsp_read_single(struct der_cursor *in, struct ocsp_single_response *single,
                            struct errbuf *err)
{
    struct der_cursor body, status, field;
    struct ocsp_extensions exts;
    uint8_t tag;
    bool present;
    int rc;

    memset(single, 0, sizeof *single);
    single->revocation_reason = -1;
    if ((rc = der_read_sequence(in, &body)) != DER_OK)
        return ocsp_fail(err, "response", "SingleResponse", rc);
    if (ocsp_read_cert_id(&body, &single->cert_id, err, "response") != 0)
        return -1;
    single->cert_id_raw = single->cert_id.raw;

    if ((rc = der_read_any(&body, &tag, &status, NULL)) != DER_OK)
        return ocsp_fail(err, "response", "certStatus", rc);
    if (tag == DER_TAG_CONTEXT_PRIMITIVE(0) || tag == DER_TAG_CONTEXT_PRIMITIVE(2)) {
        /* good [0] IMPLICIT NULL and unknown [2] IMPLICIT NULL: no contents. */
        if (!der_is_empty(&status))
            return ocsp_fail(err, "response", "certStatus (a NULL with contents)",
                             DER_ERR_BAD_VALUE);
        single->status =
            tag == DER_TAG_CONTEXT_PRIMITIVE(0) ? OCSP_CERT_STATUS_GOOD : OCSP_CERT_STATUS_UNKNOWN;
    } else if (tag == DER_TAG_CONTEXT(1)) {
        single->status = OCSP_CERT_STATUS_REVOKED;
        if ((rc = ocsp_read_generalized_time(&status, &single->revocation_time)) != DER_OK)
            return ocsp_fail(err, "response", "revocationTime", rc);
        if ((rc = der_read_optional(&status, DER_TAG_CONTEXT(0), &field, &present)) != DER_OK)
            return ocsp_fail(err, "response", "revocationReason", rc);
        if (present) {
            if ((rc = der_read_enumerated(&field, &single->revocation_reason)) != DER_OK ||
                (rc = der_expect_end(&field)) != DER_OK)
                return ocsp_fail(err, "response", "revocationReason", rc);
            if (!ocsp_is_crl_reason(single->revocation_reason))
                return ocsp_fail(err, "response", "revocationReason (no such CRLReason)",
                                 DER_ERR_BAD_VALUE);
        }
        if ((rc = der_expect_end(&status)) != DER_OK)
            return ocsp_fail(err, "response", "end of RevokedInfo", rc);
    } else {
        return ocsp_fail(err, "response", "certStatus", DER_ERR_UNEXPECTED_TAG);
    }

    if ((rc = ocsp_read_generalized_time(&body, &single->this_update)) != DER_OK)
        return ocsp_fail(err, "response", "thisUpdate", rc);
    if ((rc = der_read_optional(&body, DER_TAG_CONTEXT(0), &field, &present)) != DER_OK)
        return ocsp_fail(err, "response", "nextUpdate", rc);
    if (present) {
        if ((rc = ocsp_read_generalized_time(&field, &single->next_update)) != DER_OK ||
            (rc = der_expect_end(&field)) != DER_OK)
            return ocsp_fail(err, "response", "nextUpdate", rc);
        single->has_next_update = true;
    }
    if ((rc = der_read_optional(&body, DER_TAG_CONTEXT(1), &field, &present)) != DER_OK)
        return ocsp_fail(err, "response", "singleExtensions", rc);
    if (present) {
        /* No single extension is understood here, so any critical one counts
         * (RFC 5280 4.2: a critical extension not recognised fails the check). */
        if (ocsp_read_extensions(field, false, &exts, err, "response") != 0)
            return -1;
        single->has_critical_extension = exts.has_unknown_critical;
    }
    if ((rc = der_expect_end(&body)) != DER_OK)
        return ocsp_fail(err, "response", "end of SingleResponse", rc);
    return 0;
}

/* ResponseData, from resp->tbs_response_data. */
static int ocsp_read_response_data(struct ocsp_response *resp, struct errbuf *err)
{
    struct der_cursor tbs = resp->tbs_response_data;
    struct der_cursor data, field, list;
    struct ocsp_extensions exts;
    const uint8_t *value;
    size_t len;
    bool present;
    int rc;

    if ((rc = der_read_sequence(&tbs, &data)) != DER_OK)
        return ocsp_fail(err, "response", "tbsResponseData", rc);
    /* version [0] EXPLICIT DEFAULT v1: v1 is the only version, and DER omits a
     * default (X.690 11.5), so any version field here is malformed. */
    if ((rc = der_read_optional(&data, DER_TAG_CONTEXT(0), &field, &present)) != DER_OK)
        return ocsp_fail(err, "response", "version", rc);
    if (present)
        return ocsp_fail_rule(err, "response",
                              "ResponseData carries a version (only v1 exists; DER omits it)");
    resp->version = 1;

    if ((rc = der_read_optional(&data, DER_TAG_CONTEXT(1), &field, &present)) != DER_OK)
        return ocsp_fail(err, "response", "responderID byName", rc);
    if (present) {
        if ((rc = der_read_raw(&field, DER_TAG_SEQUENCE, &resp->responder_id)) != DER_OK ||
            (rc = der_expect_end(&field)) != DER_OK)
            return ocsp_fail(err, "response", "responderID byName", rc);
    } else {
        if ((rc = der_read_tagged(&data, DER_TAG_CONTEXT(2), &field)) != DER_OK)
            return ocsp_fail(err, "response", "responderID", rc);
        if ((rc = der_read_octet_string(&field, &value, &len)) != DER_OK ||
            (rc = der_expect_end(&field)) != DER_OK)
            return ocsp_fail(err, "response", "responderID byKey", rc);
        resp->responder_by_key = true;
        resp->responder_id = der_cursor_init(value, len);
    }
    if ((rc = ocsp_read_generalized_time(&data, &resp->produced_at)) != DER_OK)
        return ocsp_fail(err, "response", "producedAt", rc);

    if ((rc = der_read_sequence(&data, &list)) != DER_OK)
        return ocsp_fail(err, "response", "responses", rc);
    while (!der_is_empty(&list)) {
        if (resp->single_count == OCSP_MAX_RESPONSE_SINGLES) {
            errbuf_set(err, "malformed OCSP response: more than %d SingleResponses",
                       OCSP_MAX_RESPONSE_SINGLES);
            return -1;
        }
        if (ocsp_read_single(&list, &resp->singles[resp->single_count], err) != 0)
            return -1;
        resp->single_count++;
    }

    if ((rc = der_read_optional(&data, DER_TAG_CONTEXT(1), &field, &present)) != DER_OK)
        return ocsp_fail(err, "response", "responseExtensions", rc);
    if (present) {
        if (ocsp_read_extensions(field, true, &exts, err, "response") != 0)
            return -1;
        resp->has_nonce = exts.has_nonce;
        resp->nonce_ext_value = exts.nonce_ext_value;
        resp->has_critical_extension = exts.has_unknown_critical;
    }
    if ((rc = der_expect_end(&data)) != DER_OK)
        return ocsp_fail(err, "response", "end of ResponseData", rc);
    return 0;
}

/* BasicOCSPResponse (RFC 6960 4.2.1), the contents of responseBytes.response. */
static int ocsp_read_basic(struct der_cursor in, struct ocsp_response *resp, struct errbuf *err)
{
    struct der_cursor basic, alg, field, certs;
    const uint8_t *bits;
    size_t bits_len;
    unsigned unused;
    bool present;
    int rc;

    if ((rc = der_read_sequence(&in, &basic)) != DER_OK)
        return ocsp_fail(err, "response", "BasicOCSPResponse", rc);
    if ((rc = der_expect_end(&in)) != DER_OK)
        return ocsp_fail(err, "response", "end of responseBytes.response", rc);
    if ((rc = der_read_raw(&basic, DER_TAG_SEQUENCE, &resp->tbs_response_data)) != DER_OK)
        return ocsp_fail(err, "response", "tbsResponseData", rc);
    /* AlgorithmIdentifier: the OID and at most one parameters element of any
     * type (NULL for RSA, absent for ECDSA, a SEQUENCE for RSA-PSS). */
    if ((rc = der_read_sequence(&basic, &alg)) != DER_OK ||
        (rc = der_read_oid(&alg, &resp->signature_algorithm)) != DER_OK)
        return ocsp_fail(err, "response", "signatureAlgorithm", rc);
    if (!der_is_empty(&alg) && ((rc = der_read_any(&alg, NULL, NULL, NULL)) != DER_OK ||
                                (rc = der_expect_end(&alg)) != DER_OK))
        return ocsp_fail(err, "response", "signatureAlgorithm parameters", rc);
    if ((rc = der_read_bit_string(&basic, &bits, &bits_len, &unused)) != DER_OK)
        return ocsp_fail(err, "response", "signature", rc);
    /* ECDSA and RSA signatures are whole octets. */
    if (unused != 0)
        return ocsp_fail(err, "response", "signature (not whole octets)", DER_ERR_BAD_VALUE);
    resp->signature = der_cursor_init(bits, bits_len);

    if ((rc = der_read_optional(&basic, DER_TAG_CONTEXT(0), &field, &present)) != DER_OK)
        return ocsp_fail(err, "response", "certs", rc);
    if (present) {
        if ((rc = der_read_sequence(&field, &certs)) != DER_OK ||
            (rc = der_expect_end(&field)) != DER_OK)
            return ocsp_fail(err, "response", "certs", rc);
        while (!der_is_empty(&certs)) {
            /* A response needs its delegate's certificate, perhaps a chain; more
             * than a handful is not a response the lab would ever see. */
            if (resp->cert_count == OCSP_MAX_RESPONSE_CERTS) {
                errbuf_set(err, "malformed OCSP response: more than %d certificates",
                           OCSP_MAX_RESPONSE_CERTS);
                return -1;
            }
            if ((rc = der_read_raw(&certs, DER_TAG_SEQUENCE, &resp->certs[resp->cert_count])) !=
                DER_OK)
                return ocsp_fail(err, "response", "certificate in certs", rc);
            resp->cert_count++;
        }
    }
    if ((rc = der_expect_end(&basic)) != DER_OK)
        return ocsp_fail(err, "response", "end of BasicOCSPResponse", rc);
    return ocsp_read_response_data(resp, err);
}

/* Two choices the RFC leaves open, made strict:
 * - an unsuccessful status with responseBytes is malformed (RFC 6960 4.2.1:
 *   responseBytes carry the answer of a successful request; for an error the
 *   status is all there is, and a body there can only confuse);
 * - a successful status without responseBytes parses, with has_basic false, so
 *   the verifier can name it; the same for a responseType other than basic. */
int ocsp_response_parse(const uint8_t *der, size_t len, struct ocsp_response *resp,
                        struct errbuf *err)
{
    struct der_cursor in = der_cursor_init(der, len);
    struct der_cursor outer, wrapper, bytes, type;
    const uint8_t *body;
    size_t body_len;
    bool present;
    int rc;

    memset(resp, 0, sizeof *resp);
    if ((rc = der_read_sequence(&in, &outer)) != DER_OK)
        return ocsp_fail(err, "response", "OCSPResponse", rc);
    /* Said without "response" twice: the verifier quotes this after "not a
     * well-formed OCSP response:". */
    if (der_expect_end(&in) != DER_OK) {
        errbuf_set(err, "malformed OCSP response: extra bytes after its end (%zu)", in.left);
        return -1;
    }
    if ((rc = der_read_enumerated(&outer, &resp->response_status)) != DER_OK)
        return ocsp_fail(err, "response", "responseStatus", rc);
    if (!ocsp_is_response_status(resp->response_status)) {
        errbuf_set(err, "malformed OCSP response: responseStatus %d is not defined",
                   resp->response_status);
        return -1;
    }
    if ((rc = der_read_optional(&outer, DER_TAG_CONTEXT(0), &wrapper, &present)) != DER_OK)
        return ocsp_fail(err, "response", "responseBytes", rc);
    if ((rc = der_expect_end(&outer)) != DER_OK)
        return ocsp_fail(err, "response", "end of OCSPResponse", rc);
    if (resp->response_status != OCSP_RESPONSE_SUCCESSFUL) {
        if (present) {
            errbuf_set(err, "malformed OCSP response: status %s with responseBytes",
                       ocsp_response_status_name(resp->response_status));
            return -1;
        }
        return 0;
    }
    if (!present)
        return 0;

    if ((rc = der_read_sequence(&wrapper, &bytes)) != DER_OK ||
        (rc = der_expect_end(&wrapper)) != DER_OK)
        return ocsp_fail(err, "response", "responseBytes", rc);
    if ((rc = der_read_oid(&bytes, &type)) != DER_OK)
        return ocsp_fail(err, "response", "responseType", rc);
    resp->has_response_bytes = true;
    resp->response_type = type;
    if ((rc = der_read_octet_string(&bytes, &body, &body_len)) != DER_OK ||
        (rc = der_expect_end(&bytes)) != DER_OK)
        return ocsp_fail(err, "response", "responseBytes.response", rc);
    if (!der_oid_equals(&type, OCSP_OID_BASIC))
        return 0;
    if (ocsp_read_basic(der_cursor_init(body, body_len), resp, err) != 0)
        return -1;
    resp->has_basic = true;
    return 0;
}
