/* ocsp_verify.c — DESIGN section 9, rule by rule, naming the first that fails.
 * RFC 6960 3.2 (what a client must check) and 4.2.2.2 (who may sign). */
#include "ocsp_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "hex.h"
#include "ocsp.h"
#include "sigverify.h"

static const char *const reason_names[] = {
    [OCSP_VERDICT_GOOD] = "good",
    [OCSP_VERDICT_MALFORMED] = "malformed",
    [OCSP_VERDICT_UNSUCCESSFUL] = "unsuccessful",
    [OCSP_VERDICT_UNTRUSTED_SIGNER] = "untrusted-signer",
    [OCSP_VERDICT_BAD_SIGNATURE] = "bad-signature",
    [OCSP_VERDICT_WRONG_CERT] = "wrong-cert",
    [OCSP_VERDICT_NONCE_MISMATCH] = "nonce-mismatch",
    [OCSP_VERDICT_CRITICAL_EXTENSION] = "critical-extension",
    [OCSP_VERDICT_NOT_YET_VALID] = "not-yet-valid",
    [OCSP_VERDICT_STALE] = "stale",
    [OCSP_VERDICT_REVOKED] = "revoked",
    [OCSP_VERDICT_UNKNOWN] = "unknown",
};

const char *ocsp_verdict_reason_name(enum ocsp_verdict_reason reason)
{
    if ((size_t)reason >= sizeof reason_names / sizeof reason_names[0])
        return "malformed";
    return reason_names[reason];
}

static int decide(struct ocsp_verdict *v, enum ocsp_verdict_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int decide(struct ocsp_verdict *v, enum ocsp_verdict_reason reason, const char *fmt, ...)
{
    va_list ap;
    v->reason = reason;
    va_start(ap, fmt);
    vsnprintf(v->explanation, sizeof v->explanation, fmt, ap);
    va_end(ap);
    return reason == OCSP_VERDICT_GOOD ? 0 : 1;
}

static void serial_text(const uint8_t *serial, size_t len, char *out, size_t cap)
{
    size_t n = len;
    if (2 * n + 1 > cap)
        n = (cap - 1) / 2;
    hex_encode(serial, n, out);
}

/* The parsers' messages begin with "malformed OCSP response: " or "malformed
 * certificate: " (and ocsp_cert_id_compute's with "cannot compute a CertID: ");
 * the verifier's sentence already says so in its own words, and a student
 * should not read "malformed" twice. */
static const char *parse_detail(const char *msg)
{
    static const char *const prefixes[] = {
        "malformed OCSP response: ", "malformed certificate: ", "cannot compute a CertID: "};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(msg, prefixes[i], n) == 0)
            return msg + n;
    }
    return msg;
}

static bool same_bytes(const struct der_cursor *a, const struct der_cursor *b)
{
    return a->left == b->left && memcmp(a->p, b->p, a->left) == 0;
}

/* Does the ResponderID name this certificate? byKey is the SHA-1 of its key. */
static bool responder_id_names(const struct ocsp_response *resp, const struct x509_cert *cert)
{
    if (!resp->responder_by_key)
        return same_bytes(&resp->responder_id, &cert->subject);
    return sig_key_id_matches(cert, &resp->responder_id);
}

/* Finds who signed: the CA itself, or an included delegate that passes RFC
 * 6960 4.2.2.2. Returns 0 with *signer set, or 1 with the verdict decided. */
static int find_signer(const struct ocsp_response *resp, const struct ocsp_verify_input *in,
                       struct x509_cert *delegate, const struct x509_cert **signer,
                       struct ocsp_verdict *v)
{
    char ca_name[128], name[128];
    x509_subject_cn(in->issuer, ca_name, sizeof ca_name);
    if (responder_id_names(resp, in->issuer)) {
        *signer = in->issuer;
        snprintf(v->signer, sizeof v->signer, "%s", ca_name);
        return 0;
    }
    for (size_t i = 0; i < resp->cert_count; i++) {
        struct errbuf err;
        const char *alg_name;
        if (x509_parse(delegate, resp->certs[i].p, resp->certs[i].left, &err) != 0)
            return decide(v, OCSP_VERDICT_MALFORMED,
                          "A certificate included in the response cannot be read: %s.",
                          parse_detail(err.msg));
        if (!responder_id_names(resp, delegate))
            continue;
        x509_subject_cn(delegate, name, sizeof name);
        snprintf(v->signer, sizeof v->signer, "%s", name);
        v->is_signed_by_delegate = true;
        if (!same_bytes(&delegate->issuer, &in->issuer->subject))
            return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                          "The response was signed by '%s', whose certificate does not come "
                          "from the issuing CA '%s' (RFC 6960 4.2.2.2: a delegate must be "
                          "issued directly by the CA).",
                          name, ca_name);
        if (!sig_verify(&delegate->signature_algorithm, &delegate->tbs, &delegate->signature,
                        in->issuer, &alg_name))
            return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                          "The response was signed by '%s', whose certificate claims to come "
                          "from '%s' but carries no valid signature of that CA.",
                          name, ca_name);
        if (!x509_has_eku(delegate, OID_KP_OCSP_SIGNING))
            return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                          "The response was signed by '%s', which the issuing CA did not "
                          "authorise for OCSP (its certificate lacks the OCSPSigning extended "
                          "key usage).",
                          name);
        if (in->now < delegate->not_before || in->now > delegate->not_after) {
            char from[CLOCK_RFC3339_LEN], until[CLOCK_RFC3339_LEN];
            clock_format_rfc3339_seconds(delegate->not_before, from, sizeof from);
            clock_format_rfc3339_seconds(delegate->not_after, until, sizeof until);
            return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                          "The response was signed by '%s', whose certificate is valid only "
                          "from %s to %s, not now.",
                          name, from, until);
        }
        *signer = delegate;
        return 0;
    }
    return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                  "The response names a signer that is neither the issuing CA '%s' nor a "
                  "delegate whose certificate came with it.",
                  ca_name);
}

/* The CertID fields (RFC 6960 4.1.1) in which a response's CertID differs
 * from the one computed for our certificate with the same hash algorithm
 * (the algorithm itself never differs: ours is computed with the one the
 * response names). Only for the explanation: whether a CertID matches is
 * ocsp_cert_id_matches' decision, field for field the same comparison. */
enum cert_id_difference {
    CERT_ID_SAME = 0,
    CERT_ID_NOT_COMPUTABLE = 1 << 0, /* our CertID cannot be made (err says why) */
    CERT_ID_SERIAL = 1 << 1,
    CERT_ID_ISSUER_NAME_HASH = 1 << 2,
    CERT_ID_ISSUER_KEY_HASH = 1 << 3,
};

static unsigned cert_id_differences(const struct ocsp_cert_id *id,
                                    const struct ocsp_cert_id_value *want)
{
    unsigned diff = CERT_ID_SAME;
    if (id->serial.left != want->serial_len ||
        memcmp(id->serial.p, want->serial, want->serial_len) != 0)
        diff |= CERT_ID_SERIAL;
    if (id->issuer_name_hash.left != want->hash_len ||
        memcmp(id->issuer_name_hash.p, want->issuer_name_hash, want->hash_len) != 0)
        diff |= CERT_ID_ISSUER_NAME_HASH;
    if (id->issuer_key_hash.left != want->hash_len ||
        memcmp(id->issuer_key_hash.p, want->issuer_key_hash, want->hash_len) != 0)
        diff |= CERT_ID_ISSUER_KEY_HASH;
    return diff;
}

static unsigned count_bits(unsigned x)
{
    unsigned n = 0;
    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

/* Why a SingleResponse is not about our certificate, for the sentence. */
struct cert_id_miss {
    const struct ocsp_single_response *closest; /* differs in the fewest fields */
    unsigned diff;                              /* enum cert_id_difference bits */
    struct errbuf err;                          /* CERT_ID_NOT_COMPUTABLE: why */
};

/* The SingleResponse about our certificate, whichever hash its CertID uses;
 * NULL with *miss filled when there is none. */
static const struct ocsp_single_response *find_single(const struct ocsp_response *resp,
                                                      const struct ocsp_verify_input *in,
                                                      struct cert_id_miss *miss)
{
    memset(miss, 0, sizeof *miss);
    for (size_t i = 0; i < resp->single_count; i++) {
        const struct ocsp_cert_id *id = &resp->singles[i].cert_id;
        struct ocsp_cert_id_value want;
        struct errbuf err = {{0}};
        unsigned diff;
        if (ocsp_cert_id_compute(in->cert, in->issuer, id->hash, &want, &err) != 0) {
            diff = CERT_ID_NOT_COMPUTABLE;
        } else {
            if (ocsp_cert_id_matches(id, &want))
                return &resp->singles[i];
            diff = cert_id_differences(id, &want);
        }
        if (miss->closest == NULL || count_bits(diff) < count_bits(miss->diff)) {
            miss->closest = &resp->singles[i];
            miss->diff = diff;
            miss->err = err;
        }
    }
    return NULL;
}

/* "The response is about another certificate: ...", naming what differs. The
 * words are chosen so that none repeats, whichever fields differ. */
static int decide_wrong_cert(struct ocsp_verdict *v, const struct ocsp_response *resp,
                             const struct ocsp_verify_input *in, const struct cert_id_miss *miss)
{
    const struct ocsp_single_response *closest = miss->closest;
    unsigned diff = miss->diff;
    char want[48] = "", got[48] = "", others[64] = "";
    serial_text(in->cert->serial.p, in->cert->serial.left, want, sizeof want);
    if (closest == NULL)
        return decide(v, OCSP_VERDICT_WRONG_CERT,
                      "The response holds no SingleResponse at all, so it says nothing about "
                      "this certificate (serial %s).",
                      want);
    const struct ocsp_cert_id *id = &closest->cert_id;
    const char *hash = ocsp_hash_name(id->hash);
    if (resp->single_count > 1)
        snprintf(others, sizeof others, "; none of its %zu SingleResponses fits",
                 resp->single_count);
    if (diff & CERT_ID_NOT_COMPUTABLE)
        return decide(v, OCSP_VERDICT_WRONG_CERT,
                      "This certificate has no %s CertID to compare with the response's: %s%s.",
                      hash, parse_detail(miss->err.msg), others);
    const char *fields;
    switch (diff & (CERT_ID_SERIAL | CERT_ID_ISSUER_NAME_HASH | CERT_ID_ISSUER_KEY_HASH)) {
    case CERT_ID_SERIAL:
        fields = "serial number does";
        break;
    case CERT_ID_ISSUER_NAME_HASH:
        fields = "issuer name hash does";
        break;
    case CERT_ID_ISSUER_KEY_HASH:
        fields = "issuer key hash does";
        break;
    case CERT_ID_ISSUER_NAME_HASH | CERT_ID_ISSUER_KEY_HASH:
        fields = "issuer name and key hashes do";
        break;
    case CERT_ID_SERIAL | CERT_ID_ISSUER_NAME_HASH:
        fields = "serial number and issuer name hash do";
        break;
    case CERT_ID_SERIAL | CERT_ID_ISSUER_KEY_HASH:
        fields = "serial number and issuer key hash do";
        break;
    default:
        fields = "serial number and issuer name and key hashes do";
        break;
    }
    if (diff & CERT_ID_SERIAL) {
        serial_text(id->serial.p, id->serial.left, got, sizeof got);
        return decide(v, OCSP_VERDICT_WRONG_CERT,
                      "The response is about another certificate: in its CertID (%s) the %s "
                      "not match (it names %s, this one is %s%s).",
                      hash, fields, got, want, others);
    }
    /* Same serial, other issuer: a reader comparing serials alone would
     * think this answer fits. */
    return decide(v, OCSP_VERDICT_WRONG_CERT,
                  "The response is about another certificate: in its CertID (%s) the %s not "
                  "match, though the serial %s is equal (an answer from a different CA%s).",
                  hash, fields, want, others);
}

/* RFC 8954: the nonce extension's value is an OCTET STRING holding the nonce.
 * Some responders echo the bare bytes; accept either encoding of the same bytes. */
static bool nonce_matches(const struct der_cursor *ext_value, const uint8_t *nonce, size_t len)
{
    struct der_cursor in = *ext_value;
    const uint8_t *value;
    size_t value_len;
    if (der_read_octet_string(&in, &value, &value_len) == DER_OK && der_is_empty(&in) &&
        value_len == len && memcmp(value, nonce, len) == 0)
        return true;
    return ext_value->left == len && memcmp(ext_value->p, nonce, len) == 0;
}

int ocsp_verify_response(const uint8_t *der, size_t len, const struct ocsp_verify_input *in,
                         struct ocsp_verdict *v)
{
    struct ocsp_response resp;
    struct x509_cert delegate;
    const struct x509_cert *signer = NULL;
    struct errbuf err = {{0}};
    char a[CLOCK_RFC3339_LEN], b[CLOCK_RFC3339_LEN];
    const char *alg_name;

    memset(v, 0, sizeof *v);
    v->response_status = -1;
    v->revocation_reason = -1;
    if (len == 0)
        return decide(v, OCSP_VERDICT_MALFORMED, "The response is empty (0 bytes).");
    if (ocsp_response_parse(der, len, &resp, &err) != 0)
        return decide(v, OCSP_VERDICT_MALFORMED, "This is not a well-formed OCSP response: %s.",
                      parse_detail(err.msg));
    v->response_status = resp.response_status;
    /* Only a real error status (tryLater, internalError, ...) is
     * "unsuccessful": the responder said it could not answer. */
    if (resp.response_status != OCSP_RESPONSE_SUCCESSFUL)
        return decide(v, OCSP_VERDICT_UNSUCCESSFUL,
                      "The responder answered '%s' instead of a certificate status.",
                      ocsp_response_status_name(resp.response_status));
    /* RFC 6960 4.2.1: "successful" means responseBytes follow, and a client
     * must understand id-pkix-ocsp-basic. Claiming success without one is a
     * broken message, not a refusal to answer. */
    if (!resp.has_response_bytes)
        return decide(v, OCSP_VERDICT_MALFORMED,
                      "The responder said 'successful' but sent no answer (no responseBytes), "
                      "which RFC 6960 4.2.1 does not allow.");
    if (!resp.has_basic) {
        char type[128];
        if (der_oid_to_string(&resp.response_type, type, sizeof type) != DER_OK)
            snprintf(type, sizeof type, "(an OID too long to print)");
        return decide(v, OCSP_VERDICT_MALFORMED,
                      "The responder said 'successful' but its answer is of type %s, not "
                      "id-pkix-ocsp-basic (RFC 6960 4.2.1).",
                      type);
    }
    v->produced_at = resp.produced_at;
    if (find_signer(&resp, in, &delegate, &signer, v) != 0)
        return 1;
    if (!sig_verify(&resp.signature_algorithm, &resp.tbs_response_data, &resp.signature, signer,
                    &alg_name))
        return decide(v, OCSP_VERDICT_BAD_SIGNATURE,
                      "The signature (%s) does not verify with the public key of '%s': the "
                      "response was altered or forged.",
                      alg_name, v->signer);

    struct cert_id_miss miss;
    const struct ocsp_single_response *single = find_single(&resp, in, &miss);
    if (single == NULL)
        return decide_wrong_cert(v, &resp, in, &miss);
    v->this_update = single->this_update;
    v->has_next_update = single->has_next_update;
    v->next_update = single->next_update;
    v->revocation_time = single->revocation_time;
    v->revocation_reason = single->revocation_reason;

    if (in->nonce != NULL && resp.has_nonce &&
        !nonce_matches(&resp.nonce_ext_value, in->nonce, in->nonce_len))
        return decide(v, OCSP_VERDICT_NONCE_MISMATCH,
                      "The response echoes a different nonce than the one sent: it was not "
                      "made for this request (a replay?).");

    if (single->status == OCSP_CERT_STATUS_REVOKED) {
        clock_format_rfc3339_seconds(single->revocation_time, a, sizeof a);
        return decide(v, OCSP_VERDICT_REVOKED,
                      "The CA says this certificate was REVOKED at %s (reason: %s).", a,
                      single->revocation_reason >= 0
                          ? ocsp_crl_reason_name(single->revocation_reason)
                          : "not given");
    }
    if (single->status == OCSP_CERT_STATUS_UNKNOWN)
        return decide(v, OCSP_VERDICT_UNKNOWN,
                      "The responder does not know this certificate (status 'unknown').");

    clock_format_rfc3339_seconds(single->this_update, a, sizeof a);
    if (single->this_update > in->now + OCSP_VERIFY_SKEW_SECONDS) {
        clock_format_rfc3339_seconds(in->now, b, sizeof b);
        return decide(v, OCSP_VERDICT_NOT_YET_VALID,
                      "The response's thisUpdate %s is in the future (now is %s, allowing 5 "
                      "minutes of clock skew).",
                      a, b);
    }
    if (single->has_next_update) {
        clock_format_rfc3339_seconds(single->next_update, b, sizeof b);
        if (single->next_update < in->now - OCSP_VERIFY_SKEW_SECONDS)
            return decide(v, OCSP_VERDICT_STALE,
                          "The response is stale: it was valid only until %s (thisUpdate %s).", b,
                          a);
    } else if (single->this_update < in->now - OCSP_VERIFY_MAX_AGE_WITHOUT_NEXT) {
        return decide(v, OCSP_VERDICT_STALE,
                      "The response has no nextUpdate and its thisUpdate %s is more than 7 "
                      "days old.",
                      a);
    }
    if (resp.has_critical_extension || single->has_critical_extension)
        return decide(v, OCSP_VERDICT_CRITICAL_EXTENSION,
                      "The response carries a critical extension this client does not "
                      "understand, so it must be rejected (RFC 5280 4.2).");

    if (single->has_next_update)
        clock_format_rfc3339_seconds(single->next_update, b, sizeof b);
    return decide(v, OCSP_VERDICT_GOOD,
                  "Signed by '%s'%s, about this very certificate, status good, fresh (thisUpdate "
                  "%s%s%s).",
                  v->signer, v->is_signed_by_delegate ? " (a delegate of the CA)" : "", a,
                  single->has_next_update ? ", nextUpdate " : "", single->has_next_update ? b : "");
}
