/* ocsp_verify.c — DESIGN section 9, rule by rule, naming the first that fails.
 * RFC 6960 3.2 (what a client must check) and 4.2.2.2 (who may sign). */
#include "ocsp_verify.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha.h>
#include <wolfssl/wolfcrypt/signature.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "certstore.h"
#include "clock.h"
#include "ocsp.h"

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

static void fmt_time(int64_t t, char out[CLOCK_RFC3339_LEN])
{
    clock_format_rfc3339(t * 1000, out, CLOCK_RFC3339_LEN);
}

static void serial_text(const struct der_cursor *serial, char *out, size_t cap)
{
    size_t n = serial->left;
    if (2 * n + 1 > cap)
        n = (cap - 1) / 2;
    certstore_hex(serial->p, n, out);
}

/* The signature algorithms a response may name, and the key each needs. */
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

/* Verifies `signature` over `signed_bytes` with the key of `signer`, using
 * exactly the algorithm named; a key of the other kind is a failure. */
static bool signature_verifies(const struct der_cursor *algorithm_oid,
                               const struct der_cursor *signed_bytes,
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

static bool same_bytes(const struct der_cursor *a, const struct der_cursor *b)
{
    return a->left == b->left && memcmp(a->p, b->p, a->left) == 0;
}

/* Does the ResponderID name this certificate? byKey is the SHA-1 of its key. */
static bool responder_id_names(const struct ocsp_response *resp, const struct x509_cert *cert)
{
    if (!resp->responder_by_key)
        return same_bytes(&resp->responder_id, &cert->subject);
    uint8_t hash[WC_SHA_DIGEST_SIZE];
    if (resp->responder_id.left != sizeof hash ||
        wc_ShaHash(cert->public_key.p, (word32)cert->public_key.left, hash) != 0)
        return false;
    return memcmp(hash, resp->responder_id.p, sizeof hash) == 0;
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
                          "A certificate included in the response cannot be parsed (%s).",
                          err.msg);
        if (!responder_id_names(resp, delegate))
            continue;
        x509_subject_cn(delegate, name, sizeof name);
        snprintf(v->signer, sizeof v->signer, "%s", name);
        v->is_signed_by_delegate = true;
        if (!same_bytes(&delegate->issuer, &in->issuer->subject))
            return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                          "The response was signed by '%s', whose certificate was not issued by "
                          "the issuing CA '%s' (RFC 6960 4.2.2.2: a delegate must be issued "
                          "directly by the CA).", name, ca_name);
        if (!signature_verifies(&delegate->signature_algorithm, &delegate->tbs,
                                &delegate->signature, in->issuer, &alg_name))
            return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                          "The response was signed by '%s', whose certificate claims to come "
                          "from '%s' but carries no valid signature of that CA.", name, ca_name);
        if (!x509_has_eku(delegate, OID_KP_OCSP_SIGNING))
            return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                          "The response was signed by '%s' which the issuing CA did not "
                          "authorise to sign OCSP responses (no OCSPSigning extended key usage).",
                          name);
        if (in->now < delegate->not_before || in->now > delegate->not_after) {
            char from[CLOCK_RFC3339_LEN], until[CLOCK_RFC3339_LEN];
            fmt_time(delegate->not_before, from);
            fmt_time(delegate->not_after, until);
            return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                          "The response was signed by '%s', whose certificate is valid only "
                          "from %s to %s, not now.", name, from, until);
        }
        *signer = delegate;
        return 0;
    }
    return decide(v, OCSP_VERDICT_UNTRUSTED_SIGNER,
                  "The response names a signer that is neither the issuing CA '%s' nor a "
                  "delegate certificate included in the response.", ca_name);
}

/* The SingleResponse about our certificate, whichever hash its CertID uses. */
static const struct ocsp_single_response *find_single(const struct ocsp_response *resp,
                                                      const struct ocsp_verify_input *in)
{
    for (size_t i = 0; i < resp->single_count; i++) {
        struct ocsp_cert_id_value want;
        struct errbuf err;
        if (ocsp_cert_id_compute(in->cert, in->issuer, resp->singles[i].cert_id.hash, &want,
                                 &err) == 0 &&
            ocsp_cert_id_matches(&resp->singles[i].cert_id, &want))
            return &resp->singles[i];
    }
    return NULL;
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
        return decide(v, OCSP_VERDICT_MALFORMED,
                      "The response is not a well-formed OCSP response: %s.", err.msg);
    v->response_status = resp.response_status;
    if (resp.response_status != OCSP_RESPONSE_SUCCESSFUL)
        return decide(v, OCSP_VERDICT_UNSUCCESSFUL,
                      "The responder answered '%s' instead of a certificate status.",
                      ocsp_response_status_name(resp.response_status));
    if (!resp.has_basic)
        return decide(v, OCSP_VERDICT_UNSUCCESSFUL,
                      "The response says 'successful' but carries no basic OCSP response "
                      "body.");
    v->produced_at = resp.produced_at;
    if (find_signer(&resp, in, &delegate, &signer, v) != 0)
        return 1;
    if (!signature_verifies(&resp.signature_algorithm, &resp.tbs_response_data, &resp.signature,
                            signer, &alg_name))
        return decide(v, OCSP_VERDICT_BAD_SIGNATURE,
                      "The signature (%s) does not verify with the public key of '%s': the "
                      "response was altered or forged.", alg_name, v->signer);

    const struct ocsp_single_response *single = find_single(&resp, in);
    if (single == NULL) {
        char want[48] = "", got[48] = "";
        serial_text(&in->cert->serial, want, sizeof want);
        if (resp.single_count > 0)
            serial_text(&resp.singles[0].cert_id.serial, got, sizeof got);
        return decide(v, OCSP_VERDICT_WRONG_CERT,
                      "The response is about certificate %s%s, not this certificate (serial "
                      "%s from this issuer).", got[0] != 0 ? got : "(none)",
                      resp.single_count > 1 ? " and others" : "", want);
    }
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
        fmt_time(single->revocation_time, a);
        return decide(v, OCSP_VERDICT_REVOKED,
                      "The CA says this certificate was REVOKED at %s (reason: %s).", a,
                      single->revocation_reason >= 0
                          ? revocation_reason_name(single->revocation_reason)
                          : "not given");
    }
    if (single->status == OCSP_CERT_STATUS_UNKNOWN)
        return decide(v, OCSP_VERDICT_UNKNOWN,
                      "The responder does not know this certificate (status 'unknown').");

    fmt_time(single->this_update, a);
    if (single->this_update > in->now + OCSP_VERIFY_SKEW_SECONDS) {
        fmt_time(in->now, b);
        return decide(v, OCSP_VERDICT_NOT_YET_VALID,
                      "The response's thisUpdate %s is in the future (now is %s, allowing 5 "
                      "minutes of clock skew).", a, b);
    }
    if (single->has_next_update) {
        fmt_time(single->next_update, b);
        if (single->next_update < in->now - OCSP_VERIFY_SKEW_SECONDS)
            return decide(v, OCSP_VERDICT_STALE,
                          "The response is stale: it was valid only until %s (thisUpdate %s).",
                          b, a);
    } else if (single->this_update < in->now - OCSP_VERIFY_MAX_AGE_WITHOUT_NEXT) {
        return decide(v, OCSP_VERDICT_STALE,
                      "The response has no nextUpdate and its thisUpdate %s is more than 7 "
                      "days old.", a);
    }
    if (resp.has_critical_extension || single->has_critical_extension)
        return decide(v, OCSP_VERDICT_CRITICAL_EXTENSION,
                      "The response carries a critical extension this client does not "
                      "understand, so it must be rejected (RFC 5280 4.2).");

    if (single->has_next_update)
        fmt_time(single->next_update, b);
    return decide(v, OCSP_VERDICT_GOOD,
                  "Signed by '%s'%s, about this very certificate, status good, fresh (thisUpdate "
                  "%s%s%s).", v->signer, v->is_signed_by_delegate ? " (a delegate of the CA)" : "",
                  a, single->has_next_update ? ", nextUpdate " : "",
                  single->has_next_update ? b : "");
}
