/* ocsp_verify.h — the strict OCSP response check of DESIGN section 9, shared
 * by the browser (stapled and fetched answers) and the web server (before it
 * staples anything). It names the first rule that fails, with a sentence a
 * student can read. Signatures are checked by wolfCrypt over the exact signed
 * bytes; wolfSSL_OCSP_basic_verify is not used (it accepted a forgery on
 * Debian 12's 5.5.4). Since wolfSSL 5.9.2 it also judges TLS 1.3 staples, in
 * the handshake (browser/tls_client.h). */
#ifndef OCSPLAB_OCSP_VERIFY_H
#define OCSPLAB_OCSP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x509.h"

/* DESIGN section 2's reasons, in the order the rules are checked. */
enum ocsp_verdict_reason {
    OCSP_VERDICT_GOOD = 0,           /* accepted */
    OCSP_VERDICT_MALFORMED,          /* not strict DER, not an OCSPResponse, or "successful"
                                        without a basic response (RFC 6960 4.2.1) */
    OCSP_VERDICT_UNSUCCESSFUL,       /* responseStatus an error: tryLater, internalError, ... */
    OCSP_VERDICT_UNTRUSTED_SIGNER,   /* neither the CA nor a delegate it authorised */
    OCSP_VERDICT_BAD_SIGNATURE,      /* the signature does not verify */
    OCSP_VERDICT_WRONG_CERT,         /* no SingleResponse for this certificate */
    OCSP_VERDICT_NONCE_MISMATCH,     /* a direct query's nonce came back different */
    OCSP_VERDICT_CRITICAL_EXTENSION, /* an extension it must understand but does not */
    OCSP_VERDICT_NOT_YET_VALID,      /* thisUpdate in the future beyond the skew */
    OCSP_VERDICT_STALE,              /* nextUpdate passed (or no nextUpdate and too old) */
    OCSP_VERDICT_REVOKED,
    OCSP_VERDICT_UNKNOWN,
};
/* "good", "malformed", "bad-signature", … as printed by verify-staple. */
const char *ocsp_verdict_reason_name(enum ocsp_verdict_reason reason);

/* Clocks disagree a little: RFC 5019 and browsers allow a few minutes. */
#define OCSP_VERIFY_SKEW_SECONDS (5 * 60)
/* Without nextUpdate a response is fresh for at most this long. */
#define OCSP_VERIFY_MAX_AGE_WITHOUT_NEXT (7 * 86400)

struct ocsp_verify_input {
    const struct x509_cert *cert;   /* the certificate the answer must be about */
    const struct x509_cert *issuer; /* the CA that issued it: the trust anchor */
    int64_t now;                    /* clock_now(), or verify-staple --at */
    const uint8_t *nonce;           /* the nonce sent in a direct query, or NULL */
    size_t nonce_len;
};

struct ocsp_verdict {
    enum ocsp_verdict_reason reason;
    char explanation[512]; /* one plain-English sentence, with the values */
    /* What the response said, when it got that far (for traces and pages). */
    int response_status; /* -1 if not parsed */
    char signer[128];    /* CN of who signed */
    bool is_signed_by_delegate;
    int64_t produced_at;
    int64_t this_update;
    bool has_next_update;
    int64_t next_update;
    int64_t revocation_time; /* revoked only */
    int revocation_reason;   /* CRLReason or -1 */
};

/* Checks `der` against every rule; returns 0 when accepted (reason GOOD),
 * 1 when rejected (reason and explanation say why). Never fails otherwise. */
int ocsp_verify_response(const uint8_t *der, size_t len, const struct ocsp_verify_input *in,
                         struct ocsp_verdict *verdict);

#endif
