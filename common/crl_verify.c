/* crl_verify.c — RFC 5280 6.3.3 for one certificate and a complete CRL:
 * the issuer, the signature, critical extensions, the validity window, and
 * then the serial. */
#include "crl_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "crl.h"
#include "ocsp.h"
#include "ocsp_verify.h"
#include "sigverify.h"

static const char *const reason_names[] = {
    [CRL_VERDICT_GOOD] = "good",
    [CRL_VERDICT_MALFORMED] = "malformed",
    [CRL_VERDICT_WRONG_ISSUER] = "wrong-issuer",
    [CRL_VERDICT_BAD_SIGNATURE] = "bad-signature",
    [CRL_VERDICT_CRITICAL_EXTENSION] = "critical-extension",
    [CRL_VERDICT_NOT_YET_VALID] = "not-yet-valid",
    [CRL_VERDICT_STALE] = "stale",
    [CRL_VERDICT_REVOKED] = "revoked",
};

const char *crl_verdict_reason_name(enum crl_verdict_reason reason)
{
    if ((size_t)reason >= sizeof reason_names / sizeof reason_names[0])
        return "malformed";
    return reason_names[reason];
}

static int decide(struct crl_verdict *v, enum crl_verdict_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int decide(struct crl_verdict *v, enum crl_verdict_reason reason, const char *fmt, ...)
{
    va_list ap;
    v->reason = reason;
    va_start(ap, fmt);
    vsnprintf(v->explanation, sizeof v->explanation, fmt, ap);
    va_end(ap);
    return reason == CRL_VERDICT_GOOD ? 0 : 1;
}

static bool same_bytes(const struct der_cursor *a, const struct der_cursor *b)
{
    return a->left == b->left && memcmp(a->p, b->p, a->left) == 0;
}

int crl_verify(const uint8_t *der, size_t len, const struct crl_verify_input *in,
               struct crl_verdict *v)
{
    struct crl crl;
    struct errbuf err = {{0}};
    char a[CLOCK_RFC3339_LEN], b[CLOCK_RFC3339_LEN], cn[128];
    const char *alg_name;

    memset(v, 0, sizeof *v);
    if (len == 0)
        return decide(v, CRL_VERDICT_MALFORMED, "The CRL is empty (0 bytes).");
    if (crl_parse(&crl, der, len, &err) != 0) {
        const char *detail = strncmp(err.msg, "malformed CRL: ", 15) == 0 ? err.msg + 15 : err.msg;
        return decide(v, CRL_VERDICT_MALFORMED, "This is not a well-formed CRL: %s.", detail);
    }
    v->has_parsed = true;
    v->this_update = crl.this_update;
    v->next_update = crl.next_update;
    v->number = crl.number;
    v->entry_count = crl.entry_count;
    /* RFC 5280 5.1.1.2: the two algorithm fields must agree, or a signature
     * could be checked with another algorithm than the one signed. */
    if (!same_bytes(&crl.signature_algorithm, &crl.tbs_signature_algorithm))
        return decide(v, CRL_VERDICT_MALFORMED,
                      "The CRL names two different signature algorithms (RFC 5280 5.1.1.2).");
    /* 5.1.2.5: conforming CAs always say when the next CRL is due; without
     * it nobody can tell a current list from an old one. */
    if (!crl.has_next_update)
        return decide(v, CRL_VERDICT_MALFORMED,
                      "The CRL has no nextUpdate, so nobody can tell whether it is current "
                      "(RFC 5280 5.1.2.5 requires one).");
    x509_subject_cn(in->issuer, cn, sizeof cn);
    /* 6.3.3 (b): a complete CRL for this certificate comes from its issuer. */
    if (!same_bytes(&crl.issuer, &in->issuer->subject) ||
        !same_bytes(&in->cert->issuer, &in->issuer->subject))
        return decide(v, CRL_VERDICT_WRONG_ISSUER,
                      "The CRL was issued by another CA, not by '%s' which issued this "
                      "certificate: it says nothing about it.",
                      cn);
    if (crl.has_authority_key_id && !sig_key_id_matches(in->issuer, &crl.authority_key_id))
        return decide(v, CRL_VERDICT_WRONG_ISSUER,
                      "The CRL names '%s' but its authority key identifier belongs to another "
                      "key: another CA of the same name signed it.",
                      cn);
    if (!sig_verify(&crl.signature_algorithm, &crl.tbs, &crl.signature, in->issuer, &alg_name))
        return decide(v, CRL_VERDICT_BAD_SIGNATURE,
                      "The CRL's signature (%s) does not verify with the public key of '%s': "
                      "the list was altered or forged.",
                      alg_name, cn);
    if (crl.has_critical_extension)
        return decide(v, CRL_VERDICT_CRITICAL_EXTENSION,
                      "The CRL carries a critical extension this client does not understand, "
                      "so it must not be used (RFC 5280 5.2).");
    clock_format_rfc3339_seconds(crl.this_update, a, sizeof a);
    clock_format_rfc3339_seconds(crl.next_update, b, sizeof b);
    if (crl.this_update > in->now + OCSP_VERIFY_SKEW_SECONDS)
        return decide(v, CRL_VERDICT_NOT_YET_VALID,
                      "The CRL's thisUpdate %s is in the future (allowing 5 minutes of clock "
                      "skew): it cannot be the current list.",
                      a);
    if (crl.next_update < in->now - OCSP_VERIFY_SKEW_SECONDS)
        return decide(v, CRL_VERDICT_STALE,
                      "The CRL is stale: the CA promised a newer one by %s (thisUpdate %s), so "
                      "revocations since then may be missing.",
                      b, a);

    struct crl_entry entry;
    if (crl_find_serial(&crl, in->cert->serial.p, in->cert->serial.left, &entry) == 0) {
        v->revoked_at = entry.revoked_at;
        v->revocation_reason = entry.reason;
        clock_format_rfc3339_seconds(entry.revoked_at, a, sizeof a);
        return decide(v, CRL_VERDICT_REVOKED,
                      "The CA's CRL (number %llu, %zu entr%s) lists this certificate as "
                      "REVOKED at %s (reason: %s).",
                      (unsigned long long)crl.number, crl.entry_count,
                      crl.entry_count == 1 ? "y" : "ies", a, ocsp_crl_reason_name(entry.reason));
    }
    return decide(v, CRL_VERDICT_GOOD,
                  "Signed by '%s', current until %s, and this certificate is not among its %zu "
                  "revoked entr%s (CRL number %llu).",
                  cn, b, crl.entry_count, crl.entry_count == 1 ? "y" : "ies",
                  (unsigned long long)crl.number);
}
