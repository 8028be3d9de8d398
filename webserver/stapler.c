/* stapler.c — fetching, validating, keeping and refreshing the staple. */
#include "stapler.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "fileio.h"
#include "hex.h"
#include "keys.h"
#include "lab.h"
#include "ocsp.h"
#include "ocsp_fetch.h"
#include "ocsp_verify.h"
#include "pem.h"
#include "trace.h"

#define USER_AGENT "ocsp-lab-webserver/" OCSPLAB_VERSION

const char *staple_status_name(enum staple_status status)
{
    return status == STAPLE_GOOD ? "good" : status == STAPLE_REVOKED ? "revoked" : "none";
}

/* A sentence for the operator, through the caller's notice (stapler.h). */
static void notify(const struct stapler *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void notify(const struct stapler *s, const char *fmt, ...)
{
    char sentence[768];
    va_list ap;
    if (s->config.notice == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(sentence, sizeof sentence, fmt, ap);
    va_end(ap);
    s->config.notice(s->config.notice_ctx, sentence);
}

/* Copies the state for readers. Called with s->lock held. */
static void update_view(struct stapler *s)
{
    pthread_mutex_lock(&s->view_lock);
    s->view.status = s->status;
    s->view.this_update = s->this_update;
    s->view.next_update = s->next_update;
    s->view.next_refresh = s->next_refresh;
    s->view.fetches = s->fetches;
    snprintf(s->view.last_problem, sizeof s->view.last_problem, "%s", s->last_problem);
    pthread_mutex_unlock(&s->view_lock);
}

static int64_t refresh_point(int64_t this_update, int64_t next_update)
{
    return this_update + (next_update - this_update) / 2;
}

/* Builds and installs a site for the current certificate, with the given
 * staple or none. Called with the lock held. */
static int publish(struct stapler *s, const uint8_t *staple, size_t staple_len, struct errbuf *err)
{
    struct site_spec spec = {
        .cert_der = s->cert_der.data,
        .cert_der_len = s->cert_der.len,
        .key = s->key_pem.data,
        .key_len = s->key_pem.len,
        .is_key_pem = true,
        .ca_der = s->root_der.data,
        .ca_der_len = s->root_der.len,
        .versions = s->config.versions,
        .staple = staple,
        .staple_len = staple_len,
    };
    struct site *site = NULL;
    if (site_create(&spec, &site, err) != 0)
        return -1;
    site_slot_set(s->slot, site);
    return 0;
}

static int file_stamp(const char *path, ino_t *ino, int64_t *mtime_ns)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    *ino = st.st_ino;
    *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return 0;
}

/* (Re)loads certs/NAME.pem and .key; the CA's root is the issuer. Lock held.
 * Everything is read into locals first and swapped in only when the new
 * files are whole, so a half-written or broken file leaves the current
 * identity (and the staple it has) untouched. */
static int load_identity(struct stapler *s, struct errbuf *err)
{
    struct der_buf cert_der = {0}, key_pem = {0};
    struct x509_cert cert;
    struct lab_key key = {0};
    ino_t ino;
    int64_t mtime_ns;
    char url[sizeof s->ocsp_url];
    int rc = -1;

    if (file_stamp(s->cert_path, &ino, &mtime_ns) != 0) {
        errbuf_set(err, "cannot read %s: %s (run 'ca issue %s' first)", s->cert_path,
                   strerror(errno), s->config.name);
        return -1;
    }
    if (pem_read_certificate(s->cert_path, &cert_der, err) != 0 ||
        x509_parse(&cert, cert_der.data, cert_der.len, err) != 0)
        goto out;
    /* The key is read once, checked against the certificate, and the checked
     * key (re-encoded) is what wolfSSL gets: a key of another lab (a restored
     * backup, a second `ca init`) is named here, before anything is served,
     * rather than as wolfSSL's "key does not match" in a handshake context. */
    if (key_load_pem(&key, s->key_path, err) != 0)
        goto out;
    if (!key_matches_spki(&key, &cert.spki)) {
        errbuf_set(err,
                   "the key %s does not match %s (restore the key, or run 'ca issue %s' "
                   "again)",
                   s->key_path, s->cert_path, s->config.name);
        goto out;
    }
    if (key_to_pem(&key, &key_pem, err) != 0)
        goto out;
    if (x509_ocsp_url(&cert, url, sizeof url) != 0)
        url[0] = 0;
    /* Swap in: the parsed spans point into cert_der's heap block, which moves
     * into s->cert_der unchanged. */
    der_buf_free(&s->cert_der);
    der_buf_free(&s->key_pem);
    s->cert_der = cert_der;
    s->key_pem = key_pem;
    s->cert = cert;
    cert_der = (struct der_buf){0};
    key_pem = (struct der_buf){0};
    s->cert_ino = ino;
    s->cert_mtime_ns = mtime_ns;
    snprintf(s->ocsp_url, sizeof s->ocsp_url, "%s", url);
    size_t n = s->cert.serial.left > 20 ? 20 : s->cert.serial.left;
    hex_encode(s->cert.serial.p, n, s->serial_hex);
    rc = 0;
out:
    key_free(&key);
    der_buf_free(&cert_der);
    der_buf_free(&key_pem);
    return rc;
}

static void persist(struct stapler *s)
{
    char dir[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    if (file_path_join(dir, sizeof dir, s->config.lab_dir, LAB_STAPLES_DIR) != 0 ||
        file_ensure_dir(dir, 0755, &err) != 0 ||
        file_write_atomic(s->staple_path, s->staple.data, s->staple.len, 0644, &err) != 0)
        trace_event("staple.persist.failed", json_pack("{s:s}", "error", err.msg),
                    "The web server could not save its staple to disk: %s.", err.msg);
}

/* Becomes "good" with a validated staple. Lock held. */
static void become_good(struct stapler *s, const uint8_t *der, size_t len,
                        const struct ocsp_verdict *verdict)
{
    struct errbuf err = {{0}};
    der_buf_free(&s->staple);
    der_write_raw(&s->staple, der, len);
    s->status = STAPLE_GOOD;
    s->this_update = verdict->this_update;
    s->next_update = verdict->has_next_update
                         ? verdict->next_update
                         : verdict->this_update + OCSP_VERIFY_MAX_AGE_WITHOUT_NEXT;
    s->next_refresh = refresh_point(s->this_update, s->next_update);
    s->next_attempt = 0;
    s->retry_seconds = STAPLER_RETRY_FIRST_SECONDS;
    s->last_problem[0] = 0;
    if (publish(s, s->staple.data, s->staple.len, &err) != 0)
        trace_event("staple.publish.failed", json_pack("{s:s}", "error", err.msg),
                    "The web server could not install its new staple: %s.", err.msg);
}

/* Stops stapling (none or revoked). Lock held. */
static void become_unstapled(struct stapler *s, enum staple_status status)
{
    struct errbuf err = {{0}};
    der_buf_free(&s->staple);
    s->status = status;
    s->this_update = s->next_update = s->next_refresh = 0;
    if (publish(s, NULL, 0, &err) != 0)
        trace_event("staple.publish.failed", json_pack("{s:s}", "error", err.msg),
                    "The web server could not install its TLS context: %s.", err.msg);
}

static void schedule_retry(struct stapler *s, int64_t now)
{
    uint32_t random = 0;
    if (!s->has_rng)
        s->has_rng = wc_InitRng(&s->rng) == 0;
    if (s->has_rng)
        wc_RNG_GenerateBlock(&s->rng, (uint8_t *)&random, sizeof random);
    /* +-25% jitter around the current step. */
    int64_t step = s->retry_seconds;
    int64_t jitter = step / 2 > 0 ? (int64_t)(random % (uint32_t)(step / 2 + 1)) - step / 4 : 0;
    s->next_attempt = now + step + jitter;
    s->retry_seconds = step * 2 > STAPLER_RETRY_MAX_SECONDS ? STAPLER_RETRY_MAX_SECONDS : step * 2;
}

/* Asks the responder and acts on the answer. Lock held (fetches are rare
 * and bounded; pages and /stats wait at most STAPLER_FETCH_TIMEOUT_MS). */
static void fetch_and_apply(struct stapler *s, int64_t now, const char *why)
{
    struct ocsp_cert_id_value id;
    struct der_buf request = {0};
    struct ocsp_fetch_result result = {0};
    struct errbuf err = {{0}};
    struct ocsp_verdict verdict;
    char a[CLOCK_RFC3339_LEN], b[CLOCK_RFC3339_LEN], c[CLOCK_RFC3339_LEN];

    if (s->ocsp_url[0] == 0) {
        if (s->last_problem[0] == 0) {
            snprintf(s->last_problem, sizeof s->last_problem,
                     "the certificate names no OCSP responder (no AIA OCSP URL)");
            trace_event("staple.unavailable", json_pack("{s:s}", "serial", s->serial_hex),
                        "The web server cannot staple: its certificate %s names no OCSP "
                        "responder.",
                        s->serial_hex);
        }
        s->next_attempt = INT64_MAX;
        return;
    }
    if (ocsp_cert_id_compute(&s->cert, &s->issuer, OCSP_HASH_SHA1, &id, &err) != 0 ||
        ocsp_request_build(&id, NULL, 0, &request, &err) != 0) {
        snprintf(s->last_problem, sizeof s->last_problem, "%s", err.msg);
        schedule_retry(s, now);
        goto out;
    }
    /* RFC 5019 5: GET when the encoded request is short, so HTTP caches help. */
    struct ocsp_fetch_options opts = {
        .url = s->ocsp_url,
        .method = request.len <= 255 ? OCSP_FETCH_GET : OCSP_FETCH_POST,
        .user_agent = USER_AGENT,
        .timeout_ms = STAPLER_FETCH_TIMEOUT_MS,
        .connect_timeout_ms = STAPLER_FETCH_TIMEOUT_MS,
    };
    s->fetches++;
    trace_event("ocsp.request.sent",
                json_pack("{s:s, s:s, s:s, s:s}", "serial", s->serial_hex, "url", s->ocsp_url,
                          "method", opts.method == OCSP_FETCH_GET ? "GET" : "POST", "why", why),
                "The web server asked the CA's responder at %s about its own certificate %s "
                "(%s).",
                s->ocsp_url, s->serial_hex, why);
    if (ocsp_fetch(&opts, request.data, request.len, &result, &err) != 0) {
        snprintf(s->last_problem, sizeof s->last_problem, "%s", err.msg);
        goto failed;
    }
    struct ocsp_verify_input in = {.cert = &s->cert, .issuer = &s->issuer, .now = now};
    ocsp_verify_response(result.body.data, result.body.len, &in, &verdict);
    if (verdict.reason == OCSP_VERDICT_GOOD) {
        become_good(s, result.body.data, result.body.len, &verdict);
        persist(s);
        clock_format_rfc3339_seconds(s->next_update, a, sizeof a);
        clock_format_rfc3339_seconds(s->next_refresh, b, sizeof b);
        clock_format_rfc3339_seconds(s->this_update, c, sizeof c);
        trace_event("staple.fetch.ok",
                    json_pack("{s:s, s:s, s:s, s:s, s:s}", "serial", s->serial_hex, "status",
                              "good", "this_update", c, "next_update", a, "next_refresh", b),
                    "The web server fetched a fresh OCSP response: good, valid until %s; next "
                    "refresh at %s. Every visitor now gets it stapled.",
                    a, b);
        goto out;
    }
    if (verdict.reason == OCSP_VERDICT_REVOKED) {
        become_unstapled(s, STAPLE_REVOKED);
        unlink(s->staple_path);
        snprintf(s->last_problem, sizeof s->last_problem, "%s", verdict.explanation);
        notify(s, "the CA says certificate %s of %s is REVOKED; stapling stopped", s->serial_hex,
               s->config.name);
        trace_event("staple.revoked",
                    json_pack("{s:s, s:s, s:s}", "serial", s->serial_hex, "status", "revoked",
                              "explanation", verdict.explanation),
                    "The CA says this server's certificate %s is REVOKED. The web server stops "
                    "stapling: it never staples a revoked answer as good.",
                    s->serial_hex);
        schedule_retry(s, now);
        goto out;
    }
    snprintf(s->last_problem, sizeof s->last_problem, "%s: %s",
             ocsp_verdict_reason_name(verdict.reason), verdict.explanation);
failed:
    schedule_retry(s, now);
    clock_format_rfc3339_seconds(s->next_attempt, b, sizeof b);
    if (s->status == STAPLE_GOOD) {
        clock_format_rfc3339_seconds(s->next_update, a, sizeof a);
        trace_event("staple.fetch.failed",
                    json_pack("{s:s, s:s, s:s, s:s}", "serial", s->serial_hex, "error",
                              s->last_problem, "keeps_until", a, "next_attempt", b),
                    "The web server could not refresh its staple (%s). It keeps stapling the "
                    "last good response until %s; next try at %s.",
                    s->last_problem, a, b);
    } else {
        trace_event("staple.fetch.failed",
                    json_pack("{s:s, s:s, s:s}", "serial", s->serial_hex, "error", s->last_problem,
                              "next_attempt", b),
                    "The web server could not get a staple (%s), so it staples nothing; next "
                    "try at %s.",
                    s->last_problem, b);
    }
out:
    update_view(s);
    der_buf_free(&request);
    der_buf_free(&result.body);
}

/* At start: a saved staple that still passes every check is used at once. */
static bool reuse_saved(struct stapler *s, int64_t now)
{
    uint8_t *der = NULL;
    size_t len = 0;
    struct errbuf err = {{0}};
    struct ocsp_verdict verdict;
    char a[CLOCK_RFC3339_LEN], b[CLOCK_RFC3339_LEN], c[CLOCK_RFC3339_LEN];
    if (access(s->staple_path, F_OK) != 0)
        return false;
    if (file_read_all(s->staple_path, OCSP_FETCH_MAX_RESPONSE, &der, &len, &err) != 0)
        return false;
    struct ocsp_verify_input in = {.cert = &s->cert, .issuer = &s->issuer, .now = now};
    ocsp_verify_response(der, len, &in, &verdict);
    bool is_usable = verdict.reason == OCSP_VERDICT_GOOD;
    if (is_usable) {
        become_good(s, der, len, &verdict);
        clock_format_rfc3339_seconds(s->next_update, a, sizeof a);
        clock_format_rfc3339_seconds(s->next_refresh, b, sizeof b);
        clock_format_rfc3339_seconds(s->this_update, c, sizeof c);
        trace_event("staple.loaded",
                    json_pack("{s:s, s:s, s:s, s:s, s:s}", "serial", s->serial_hex, "status",
                              "good", "this_update", c, "next_update", a, "next_refresh", b),
                    "The web server reused its saved staple from %s: good, valid until %s; "
                    "next refresh at %s. No need to ask the CA before serving.",
                    s->staple_path, a, b);
    } else {
        trace_event("staple.discarded",
                    json_pack("{s:s, s:s}", "reason", ocsp_verdict_reason_name(verdict.reason),
                              "explanation", verdict.explanation),
                    "The web server threw away its saved staple: %s", verdict.explanation);
    }
    free(der);
    return is_usable;
}

static int use_staple_file(struct stapler *s, struct errbuf *err)
{
    uint8_t *der = NULL;
    size_t len = 0;
    if (file_read_all(s->config.staple_file, OCSP_FETCH_MAX_RESPONSE, &der, &len, err) != 0)
        return -1;
    int rc = publish(s, der, len, err);
    /* Unchecked, so its status is not claimed: /stats says none and why. */
    snprintf(s->last_problem, sizeof s->last_problem,
             "stapling the file %s as it is, unchecked (--staple-file)", s->config.staple_file);
    update_view(s);
    trace_event("staple.file",
                json_pack("{s:s, s:i}", "file", s->config.staple_file, "bytes", (int)len),
                "The web server staples the file %s as it is, unchecked (an attack lesson). "
                "wolfSSL still checks a staple before sending it, so only one that parses, "
                "is signed by the CA and is within its dates reaches the wire.",
                s->config.staple_file);
    free(der);
    return rc;
}

int stapler_open(struct stapler *s, const struct stapler_config *config, struct site_slot *slot,
                 struct errbuf *err)
{
    char rel[LAB_PATH_MAX];
    memset(s, 0, sizeof *s);
    s->config = *config;
    s->slot = slot;
    s->retry_seconds = STAPLER_RETRY_FIRST_SECONDS;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->view_lock, NULL);
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, config->name);
    if (file_path_join(s->cert_path, sizeof s->cert_path, config->lab_dir, rel) != 0)
        goto too_long;
    snprintf(rel, sizeof rel, "%s/%s.key", LAB_CERTS_DIR, config->name);
    if (file_path_join(s->key_path, sizeof s->key_path, config->lab_dir, rel) != 0)
        goto too_long;
    snprintf(rel, sizeof rel, "%s/%s.der", LAB_STAPLES_DIR, config->name);
    if (file_path_join(s->staple_path, sizeof s->staple_path, config->lab_dir, rel) != 0 ||
        file_path_join(s->root_path, sizeof s->root_path, config->lab_dir, LAB_ROOT_CERT) != 0)
        goto too_long;
    if (pem_read_certificate(s->root_path, &s->root_der, err) != 0 ||
        x509_parse(&s->issuer, s->root_der.data, s->root_der.len, err) != 0) {
        errbuf_prefix(err, "cannot load the CA (run 'ca init' first)");
        return -1;
    }
    if (load_identity(s, err) != 0)
        return -1;
    if (config->staple_file != NULL)
        return use_staple_file(s, err);
    if (publish(s, NULL, 0, err) != 0)
        return -1;
    if (!config->is_stapling_on) {
        trace_event("staple.off", json_pack("{s:s}", "name", config->name),
                    "Stapling is off on %s: every browser must ask the CA itself.", config->name);
        return 0;
    }
    int64_t now = clock_now();
    bool reused = reuse_saved(s, now);
    update_view(s);
    if (!reused || now >= s->next_refresh)
        fetch_and_apply(s, now,
                        reused ? "the saved staple is past its refresh point"
                               : "before accepting the first connection");
    if (s->status != STAPLE_GOOD) {
        notify(s, "starting WITHOUT a staple: %s",
               s->last_problem[0] != 0 ? s->last_problem : "no good OCSP response");
        trace_event("staple.none", json_pack("{s:s}", "problem", s->last_problem),
                    "The web server starts without a staple (%s): browsers that want one "
                    "must ask the CA themselves.",
                    s->last_problem);
    }
    return 0;
too_long:
    errbuf_set(err, "lab path too long: %s", config->lab_dir);
    return -1;
}

void stapler_tick(struct stapler *s, int64_t now)
{
    pthread_mutex_lock(&s->lock);
    if (!s->config.is_stapling_on || s->config.staple_file != NULL) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    /* A renewed certificate: the old staple names another serial. A file
     * that cannot be read (half-written, broken) is reported once and the
     * current certificate and staple stay in service. */
    ino_t ino;
    int64_t mtime_ns;
    if (file_stamp(s->cert_path, &ino, &mtime_ns) == 0 &&
        (ino != s->cert_ino || mtime_ns != s->cert_mtime_ns) &&
        (ino != s->bad_cert_ino || mtime_ns != s->bad_cert_mtime_ns)) {
        struct errbuf err = {{0}};
        char old_serial[41];
        snprintf(old_serial, sizeof old_serial, "%s", s->serial_hex);
        if (load_identity(s, &err) == 0) {
            become_unstapled(s, STAPLE_NONE);
            unlink(s->staple_path);
            trace_event("staple.cert.changed",
                        json_pack("{s:s, s:s}", "old_serial", old_serial, "serial", s->serial_hex),
                        "The certificate changed (%s -> %s): the web server dropped the old "
                        "staple and asks for one for the new certificate.",
                        old_serial, s->serial_hex);
            s->next_attempt = 0;
            s->retry_seconds = STAPLER_RETRY_FIRST_SECONDS;
            fetch_and_apply(s, now, "the certificate changed");
            update_view(s);
            pthread_mutex_unlock(&s->lock);
            return;
        }
        s->bad_cert_ino = ino;
        s->bad_cert_mtime_ns = mtime_ns;
        trace_event("staple.cert.unreadable", json_pack("{s:s}", "error", err.msg),
                    "The certificate file changed but cannot be used (%s); the web server keeps "
                    "serving the current certificate and staple.",
                    err.msg);
    }
    if (s->status == STAPLE_GOOD && now >= s->next_update) {
        char a[CLOCK_RFC3339_LEN];
        clock_format_rfc3339_seconds(s->next_update, a, sizeof a);
        become_unstapled(s, STAPLE_NONE);
        notify(s, "the staple EXPIRED at %s and no fresh one came; stapling stopped", a);
        trace_event("staple.expired", json_pack("{s:s, s:s}", "serial", s->serial_hex, "at", a),
                    "The staple expired at %s and no fresh one could be fetched: the web "
                    "server now staples NOTHING rather than an expired answer.",
                    a);
    }
    bool is_due = s->next_attempt != 0 ? now >= s->next_attempt
                                       : (s->status != STAPLE_GOOD || now >= s->next_refresh);
    if (is_due && s->next_attempt != INT64_MAX)
        fetch_and_apply(s, now,
                        s->status == STAPLE_GOOD      ? "half of the staple's validity has passed"
                        : s->status == STAPLE_REVOKED ? "checking the revoked certificate again"
                                                      : "it has no staple yet");
    update_view(s);
    pthread_mutex_unlock(&s->lock);
}

static void *stapler_main(void *arg)
{
    struct stapler *s = arg;
    while (!__atomic_load_n(&s->is_stopping, __ATOMIC_SEQ_CST)) {
        stapler_tick(s, clock_now());
        struct timespec pause = {0, STAPLER_TICK_MS * 1000000L};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int stapler_start(struct stapler *s, struct errbuf *err)
{
    if (pthread_create(&s->thread, NULL, stapler_main, s) != 0) {
        errbuf_set(err, "cannot start the stapling thread");
        return -1;
    }
    s->has_thread = true;
    return 0;
}

void stapler_stop(struct stapler *s)
{
    __atomic_store_n(&s->is_stopping, 1, __ATOMIC_SEQ_CST);
    if (s->has_thread)
        pthread_join(s->thread, NULL);
    s->has_thread = false;
}

void stapler_close(struct stapler *s)
{
    der_buf_free(&s->cert_der);
    der_buf_free(&s->key_pem);
    der_buf_free(&s->root_der);
    der_buf_free(&s->staple);
    if (s->has_rng)
        wc_FreeRng(&s->rng);
    s->has_rng = false;
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->view_lock);
}

void stapler_view(struct stapler *s, struct staple_view *view)
{
    pthread_mutex_lock(&s->view_lock);
    *view = s->view;
    pthread_mutex_unlock(&s->view_lock);
}
