/* visit.h — one simulated user's visit to a lab site, judged the way a
 * careful browser judges it (DESIGN 9, RFC 6960, RFC 6066 8, RFC 7633):
 *
 *  1. Connect from the user's own address and ask for a staple (unless
 *     --staple off). The lab's verifier judges the staple during the
 *     handshake, in TLS 1.2 and 1.3 alike (see tls_client.h).
 *  2. A good staple: accept. A revoked one: refuse. A staple that fails for
 *     a reason that marks it forged or broken (bad signature, untrusted
 *     signer, wrong certificate, malformed, unknown critical extension,
 *     status unknown) is a hard error, as in Firefox: refuse.
 *  3. No acceptable staple (none sent, or one that is merely stale, not yet
 *     valid, or unsuccessful): a must-staple certificate is refused whatever
 *     the policy. Otherwise --fallback ocsp asks the responder named in the
 *     certificate directly (POST, a fresh 32-byte nonce, from the user's
 *     address); good accepts, revoked and unknown refuse. --fallback crl
 *     downloads the CRL of the certificate's distribution point instead
 *     (crl_check.h); listed refuses, not listed accepts. When that is not
 *     possible or fails, --policy soft accepts and says nothing was checked,
 *     --policy hard refuses (with the CRL's reason word).
 *     With a pushed revocation list (--revlist), a listed serial is refused
 *     whatever the staple, and an unlisted one without an acceptable staple
 *     is accepted from the list, with no request to anyone.
 *     A short-lived certificate (VISIT_SHORT_LIVED_MAX_SECONDS) without an
 *     acceptable staple is accepted as "short-lived" before any fallback:
 *     nothing to check, the window is its remaining validity.
 *  4. wolfSSL ends the handshake itself over a staple it cannot decode at
 *     all, before the verifier sees it (tls_client.h); the browser still
 *     reads those bytes and names the rule. When the rules above still allow
 *     the visit (a responder's tryLater stapled: step 3), the browser
 *     reconnects once without status_request to finish it, as Firefox
 *     fetches live after an unusable staple; this is traced as
 *     tls.reconnect.
 *  5. Only an accepted site gets its `GET /`.
 * Every step is a trace event with actor "browser" and the user's number and
 * address. */
#ifndef OCSPLAB_BROWSER_VISIT_H
#define OCSPLAB_BROWSER_VISIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "revlist.h"
#include "target.h"
#include "tls_client.h"
#include "x509.h"

/* A certificate valid this long or less needs no revocation check: the CA/
 * Browser Forum's Baseline Requirements exempt such short-lived certificates
 * from CRLs and OCSP (ballot SC-063, 2023; 7 days from March 2026), and Let's
 * Encrypt issues 6-day ones. Its revocation window is what remains of it. */
#define VISIT_SHORT_LIVED_MAX_SECONDS (7 * 86400)
/* How long one direct OCSP query may take (connect and whole transfer). */
#define VISIT_OCSP_TIMEOUT_MS 5000
/* RFC 8954 2.1 allows 1..32 octets; a full 32 makes replays hopeless. */
#define VISIT_NONCE_LEN 32

struct visit_config {
    const struct target *target;
    const uint8_t *root_pem; /* LAB/ca/root.pem, for wolfSSL */
    size_t root_pem_len;
    const struct x509_cert *root; /* the same, parsed: the issuer for the verifier */
    enum tls_choice versions;
    bool wants_staple;             /* --staple on */
    bool may_query_ocsp;           /* --fallback ocsp */
    bool queries_by_get;           /* --ocsp get: RFC 5019 GET, no nonce (cacheable) */
    bool may_fetch_crl;            /* --fallback crl (crl_check.h) */
    const char *crl_cache_dir;     /* --crl-cache DIR, or NULL: each user downloads */
    const struct revlist *revlist; /* --revlist FILE, verified at start, or NULL */
    bool is_hard_fail;             /* --policy hard */
    int timeout_ms;                /* per TLS phase (connect, handshake, HTTP) */
    struct keylog *keylog;         /* --keylog FILE or SSLKEYLOGFILE; NULL: no secrets written */
};

/* Who judged the staple: since wolfSSL 5.9.2 always the lab's verifier
 * (common/ocsp_verify), in both TLS versions. */
enum visit_checker {
    VISIT_CHECKED_BY_NOBODY,
    VISIT_CHECKED_BY_LAB,
};
const char *visit_checker_name(enum visit_checker checker); /* "lab", "" */

#define VISIT_REASON_MAX 24

/* The verdict on one user, for the report and the trace. Reasons: accepted
 * "good" (checked) or "soft-fail" (not checked); refused with a reason of
 * ocsp_verdict_reason_name (from the staple or the direct answer),
 * "must-staple", "hard-fail", "tls-error", "connect-error" or "http-error". */
struct visit_outcome {
    int user;
    char addr[16];
    char tls_version[8]; /* "1.2", "1.3" or "-" */
    bool asked_staple;
    bool has_staple; /* the server sent one */
    enum visit_checker staple_checker;
    char staple_status[VISIT_REASON_MAX]; /* "good", "stale", "untrusted-signer", … ("" without) */
    bool did_query;                       /* asked the responder directly */
    char query_status[VISIT_REASON_MAX];  /* "good", "revoked", "failed", … */
    bool did_revlist;                     /* decided by the pushed revocation list */
    bool did_crl;                         /* judged a CRL (downloaded or cached) */
    bool is_crl_from_cache;
    char crl_status[VISIT_REASON_MAX]; /* "good", "revoked", "stale", "timeout", … */
    bool did_reconnect;
    bool is_accepted;
    char reason[VISIT_REASON_MAX];
    char explanation[1024]; /* one or two plain-English sentences */
    int http_status;        /* 0 when no page was fetched */
    int64_t ms;             /* the whole visit, wall clock */
    bool was_alone;         /* no other user of the crowd was visiting meanwhile */
};

/* Runs the visit of user `user` from `addr`; `is_alone` says no other user
 * visits meanwhile (recorded, so its time can be read as a visit's own).
 * Never fails: every problem becomes a refused outcome with its reason.
 * Thread-safe. */
void visit_run(const struct visit_config *config, int user, const char *addr, bool is_alone,
               struct visit_outcome *outcome);

#endif
