/* crl_verify.h — judging a downloaded CRL about one certificate (RFC 5280
 * 6.3.3), with the same clock, skew and plain-English style as the OCSP
 * verifier (ocsp_verify.h): it names the first rule that fails. Shared by
 * the browser (--fallback crl) and the tests; the fuzz target feeds it
 * anything. */
#ifndef OCSPLAB_CRL_VERIFY_H
#define OCSPLAB_CRL_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x509.h"

/* In the order the rules are checked. */
enum crl_verdict_reason {
    CRL_VERDICT_GOOD = 0,           /* signed, current, and the serial is not listed */
    CRL_VERDICT_MALFORMED,          /* not strict DER, not a CertificateList, no nextUpdate */
    CRL_VERDICT_WRONG_ISSUER,       /* another CA's CRL (issuer name or key identifier) */
    CRL_VERDICT_BAD_SIGNATURE,      /* the signature does not verify with the CA's key */
    CRL_VERDICT_CRITICAL_EXTENSION, /* a critical extension this reader does not know */
    CRL_VERDICT_NOT_YET_VALID,      /* thisUpdate in the future beyond the skew */
    CRL_VERDICT_STALE,              /* nextUpdate passed: the CA promised a newer one */
    CRL_VERDICT_REVOKED,            /* the serial is listed */
};
/* "good", "malformed", "wrong-issuer", … */
const char *crl_verdict_reason_name(enum crl_verdict_reason reason);

struct crl_verify_input {
    const struct x509_cert *cert;   /* whose serial to look up */
    const struct x509_cert *issuer; /* the CA that issued it and must have signed the CRL */
    int64_t now;                    /* clock_now() */
};

struct crl_verdict {
    enum crl_verdict_reason reason;
    char explanation[512]; /* one plain-English sentence, with the values */
    bool has_parsed;       /* the fields below are known */
    int64_t this_update;
    int64_t next_update;
    uint64_t number;
    size_t entry_count;
    int64_t revoked_at;    /* revoked only */
    int revocation_reason; /* revoked only: CRLReason (0 when not given) */
};

/* Returns 0 when the CRL is acceptable and the certificate not on it (GOOD),
 * 1 otherwise (reason and explanation say why). Never fails otherwise. */
int crl_verify(const uint8_t *der, size_t len, const struct crl_verify_input *in,
               struct crl_verdict *verdict);

#endif
