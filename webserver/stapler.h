/* stapler.h — the staple's whole life in the web server (DESIGN section 8):
 * fetch before the first connection, validate with the browser's verifier,
 * staple only "good", persist atomically and reuse after a restart, refresh
 * in the background at half-life, back off with jitter on failure while the
 * last good staple lives, stop at its nextUpdate, stop at once on "revoked",
 * and drop the staple when the certificate changes. Every transition is a
 * trace event. Time is the lab's simulated clock. */
#ifndef OCSPLAB_WEBSERVER_STAPLER_H
#define OCSPLAB_WEBSERVER_STAPLER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include "der.h"
#include "errbuf.h"
#include "site.h"
#include "x509.h"

/* Retry after a failed fetch: first wait, doubling up to the cap (simulated
 * seconds), each with +-25% jitter so a fleet does not retry in step. */
#define STAPLER_RETRY_FIRST_SECONDS 10
#define STAPLER_RETRY_MAX_SECONDS 900
/* How long one fetch may take (real time). */
#define STAPLER_FETCH_TIMEOUT_MS 3000
/* How often the background thread looks at the clock and the files. */
#define STAPLER_TICK_MS 100

enum staple_status {
    STAPLE_NONE,    /* nothing to staple */
    STAPLE_GOOD,    /* a validated good response is being stapled */
    STAPLE_REVOKED, /* the CA said revoked: never stapled */
};
const char *staple_status_name(enum staple_status status);

/* A snapshot for pages and /stats. */
struct staple_view {
    enum staple_status status;
    int64_t this_update, next_update, next_refresh;
    int64_t fetches;
    char last_problem[640];
};
struct stapler_config {
    const char *lab_dir;
    const char *name; /* site name: certs/NAME.pem, staples/NAME.der */
    bool is_stapling_on;
    const char *staple_file; /* --staple-file: staple these bytes as they are */
    enum tls_versions versions;
    /* What the operator should hear at once (the CA revoked the server's
     * certificate), told through this, never printed by the stapler
     * itself; NULL: only the trace says it. Called on the stapler's thread. */
    void (*notice)(void *ctx, const char *sentence);
    void *notice_ctx;
};

struct stapler {
    struct stapler_config config;
    struct site_slot *slot;
    char cert_path[4096], key_path[4096], root_path[4096], staple_path[4096];

    pthread_mutex_t lock; /* guards everything below */
    struct der_buf cert_der, key_pem, root_der;
    struct x509_cert cert, issuer;
    char ocsp_url[512];
    char serial_hex[41];
    ino_t cert_ino;
    int64_t cert_mtime_ns;
    ino_t bad_cert_ino;        /* a changed certificate file that could not be used */
    int64_t bad_cert_mtime_ns; /* (reported once, retried when it changes again) */
    enum staple_status status;
    struct der_buf staple; /* the good staple being served */
    int64_t this_update, next_update, next_refresh;
    int64_t next_attempt;  /* after a failure: when to try again */
    int64_t retry_seconds; /* the current backoff step */
    WC_RNG rng;            /* for the retry jitter (started on first use) */
    bool has_rng;
    int64_t fetches; /* OCSP requests sent to the responder */
    char last_problem[640];

    /* What pages and /stats read, copied after each step under its own lock,
     * so a page never waits for a fetch in progress. */
    pthread_mutex_t view_lock;
    struct staple_view view;

    pthread_t thread;
    bool has_thread;
    int is_stopping; /* atomic */
};

/* Loads the certificate, key and CA, publishes a first site, and (stapling
 * on) reuses the saved staple or fetches one, all before returning: the
 * server accepts its first connection only after this. */
int stapler_open(struct stapler *s, const struct stapler_config *config, struct site_slot *slot,
                 struct errbuf *err);
int stapler_start(struct stapler *s, struct errbuf *err);
void stapler_stop(struct stapler *s);
void stapler_close(struct stapler *s);

/* One pass of the background loop at simulated time `now` (tests call it). */
void stapler_tick(struct stapler *s, int64_t now);

/* The latest snapshot, for pages and /stats. */
void stapler_view(struct stapler *s, struct staple_view *view);

#endif
