/* crl_check.h — the browser's CRL fallback (--fallback crl): without an
 * acceptable staple, download the CRL named in the certificate's CRL
 * Distribution Point (RFC 5280 4.2.1.13) from the user's own address,
 * bounded in size and time, judge it with common/crl_verify (issuer,
 * signature, freshness on the lab clock) and look the serial up. A fresh
 * browser has no cache, so every user downloads the whole list; with a
 * cache directory (--crl-cache DIR) users share one verified copy until its
 * nextUpdate, as real browsers and operating systems did. */
#ifndef OCSPLAB_BROWSER_CRL_CHECK_H
#define OCSPLAB_BROWSER_CRL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "crl_verify.h"
#include "x509.h"

/* A lab CRL of 500 revoked certificates is about 25 KB; a megabyte is far
 * beyond any lab list and still bounds what a broken server can send. */
#define CRL_CHECK_MAX_BYTES (1024 * 1024)
#define CRL_CHECK_TIMEOUT_MS 5000
#define CRL_CHECK_REASON_MAX 24

struct crl_check_config {
    const struct x509_cert *issuer; /* the lab's root */
    const char *cache_dir;          /* NULL: no cache, every check downloads */
    size_t max_bytes;               /* 0: CRL_CHECK_MAX_BYTES */
    long timeout_ms;                /* 0: CRL_CHECK_TIMEOUT_MS */
    const char *user_agent;
};

struct crl_check_result {
    /* "good", "revoked", a crl_verdict word, or a download word: "no-crl-url",
     * "unreachable", "timeout", "too-large", "http-status". */
    char reason[CRL_CHECK_REASON_MAX];
    bool is_good;
    bool is_revoked;
    char explanation[768];
    char url[512];
    bool did_download;          /* asked the distribution point */
    bool is_from_cache;         /* judged a cached copy, no download */
    size_t bytes;               /* of the CRL judged */
    double seconds;             /* of the download */
    struct crl_verdict verdict; /* when a CRL was judged */
};

/* Checks `cert` as user `source_addr`. Never fails: every problem becomes a
 * reason word and a sentence. Thread-safe (the cache is shared under a lock). */
void crl_check_run(const struct crl_check_config *config, const struct x509_cert *cert,
                   const char *source_addr, struct crl_check_result *result);

#endif
