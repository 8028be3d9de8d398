/* crl_check.c — download (or take from the shared cache), judge, look up. */
#include "crl_check.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "hex.h"
#include "ocsp_fetch.h"

/* Users of one browser process share the cache one at a time, so twenty
 * users with a cache cost one download, not twenty racing ones. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void set_reason(struct crl_check_result *r, const char *word)
{
    snprintf(r->reason, sizeof r->reason, "%s", word);
}

/* DIR/crl-<first 16 bytes of SHA-256(url) in hex>.der: one file per URL. */
static int cache_path(const char *dir, const char *url, char *out, size_t cap)
{
    uint8_t digest[WC_SHA256_DIGEST_SIZE];
    char name[2 * 16 + 16];
    if (wc_Sha256Hash((const uint8_t *)url, (word32)strlen(url), digest) != 0)
        return -1;
    memcpy(name, "crl-", 4);
    hex_encode(digest, 16, name + 4);
    memcpy(name + 4 + 32, ".der", 5);
    return file_path_join(out, cap, dir, name);
}

/* A verdict that says the CRL itself is sound and current, whatever it says
 * about this certificate: such a copy may be cached and reused. */
static bool is_usable(enum crl_verdict_reason reason)
{
    return reason == CRL_VERDICT_GOOD || reason == CRL_VERDICT_REVOKED;
}

static void judge(const struct crl_check_config *config, const struct x509_cert *cert,
                  const uint8_t *der, size_t len, struct crl_check_result *r)
{
    struct crl_verify_input in = {.cert = cert, .issuer = config->issuer, .now = clock_now()};
    crl_verify(der, len, &in, &r->verdict);
    r->bytes = len;
    set_reason(r, crl_verdict_reason_name(r->verdict.reason));
    r->is_good = r->verdict.reason == CRL_VERDICT_GOOD;
    r->is_revoked = r->verdict.reason == CRL_VERDICT_REVOKED;
    snprintf(r->explanation, sizeof r->explanation, "%s", r->verdict.explanation);
}

/* Judges the cached copy; true when it was usable (and *r is its verdict). */
static bool try_cache(const struct crl_check_config *config, const struct x509_cert *cert,
                      const char *path, size_t max_bytes, struct crl_check_result *r)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct errbuf ignored = {{0}};
    if (access(path, F_OK) != 0 || file_read_all(path, max_bytes, &data, &len, &ignored) != 0)
        return false;
    struct crl_check_result cached = *r;
    judge(config, cert, data, len, &cached);
    free(data);
    if (!is_usable(cached.verdict.reason))
        return false; /* stale or broken: download a new one */
    *r = cached;
    r->is_from_cache = true;
    return true;
}

static const char *failure_word(enum ocsp_fetch_failure failure)
{
    switch (failure) {
    case OCSP_FETCH_TIMEOUT:
        return "timeout";
    case OCSP_FETCH_TOO_LARGE:
        return "too-large";
    case OCSP_FETCH_HTTP_STATUS:
        return "http-status";
    default:
        return "unreachable";
    }
}

static void download(const struct crl_check_config *config, const struct x509_cert *cert,
                     const char *source_addr, const char *cache_file, size_t max_bytes,
                     struct crl_check_result *r)
{
    struct ocsp_fetch_result fetched = {0};
    struct errbuf err = {{0}};
    long timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : CRL_CHECK_TIMEOUT_MS;
    struct ocsp_fetch_options opts = {
        .url = r->url,
        .method = OCSP_FETCH_DOWNLOAD,
        .user_agent = config->user_agent,
        .source_addr = source_addr,
        .timeout_ms = timeout_ms,
        .connect_timeout_ms = timeout_ms,
        .max_bytes = max_bytes,
    };
    r->did_download = true;
    if (ocsp_fetch(&opts, NULL, 0, &fetched, &err) != 0) {
        r->seconds = fetched.seconds;
        set_reason(r, failure_word(fetched.failure));
        if (fetched.failure == OCSP_FETCH_TOO_LARGE)
            snprintf(r->explanation, sizeof r->explanation,
                     "The CRL at %s is larger than the %zu bytes this browser downloads: a "
                     "CRL grows with every revocation, which is why browsers gave up "
                     "downloading them.",
                     r->url, max_bytes);
        else if (fetched.failure == OCSP_FETCH_TIMEOUT)
            snprintf(r->explanation, sizeof r->explanation,
                     "The CRL distribution point %s did not deliver the list within %ld ms.",
                     r->url, timeout_ms);
        else
            snprintf(r->explanation, sizeof r->explanation, "The CRL could not be downloaded: %s.",
                     err.msg);
        der_buf_free(&fetched.body);
        return;
    }
    r->seconds = fetched.seconds;
    judge(config, cert, fetched.body.data, fetched.body.len, r);
    /* Only a sound, current list is worth sharing; a failed write only
     * costs the next user a download. */
    if (cache_file != NULL && is_usable(r->verdict.reason))
        (void)file_write_atomic(cache_file, fetched.body.data, fetched.body.len, 0644, &err);
    der_buf_free(&fetched.body);
}

void crl_check_run(const struct crl_check_config *config, const struct x509_cert *cert,
                   const char *source_addr, struct crl_check_result *r)
{
    char cache_file[4096];
    size_t max_bytes = config->max_bytes > 0 ? config->max_bytes : CRL_CHECK_MAX_BYTES;

    memset(r, 0, sizeof *r);
    int found = x509_crl_url(cert, r->url, sizeof r->url);
    if (found != 0) {
        set_reason(r, "no-crl-url");
        snprintf(r->explanation, sizeof r->explanation,
                 found > 0 ? "The certificate names no CRL distribution point to download."
                           : "The certificate's CRL Distribution Points extension is "
                             "malformed.");
        return;
    }
    if (config->cache_dir == NULL) {
        download(config, cert, source_addr, NULL, max_bytes, r);
        return;
    }
    bool has_path = cache_path(config->cache_dir, r->url, cache_file, sizeof cache_file) == 0;
    pthread_mutex_lock(&cache_lock);
    if (!has_path || !try_cache(config, cert, cache_file, max_bytes, r))
        download(config, cert, source_addr, has_path ? cache_file : NULL, max_bytes, r);
    pthread_mutex_unlock(&cache_lock);
}
