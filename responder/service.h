/* service.h — the OCSP responder's core, independent of HTTP: it takes the
 * DER of an OCSPRequest and who sent it, looks the certificates up in the
 * CA's database, and returns a signed OCSPResponse (RFC 6960 4.2), from the
 * pre-signed cache when it can. It also counts and traces every answer and
 * applies the fault a scenario switched on. The HTTP layer (http.c) and the
 * tests both call it. */
#ifndef OCSPLAB_RESPONDER_SERVICE_H
#define OCSPLAB_RESPONDER_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "crl_publish.h"
#include "db_change.h"
#include "der.h"
#include "errbuf.h"
#include "ocsp.h"
#include "stats.h"
#include "trace_budget.h"
#include "x509.h"

/* thisUpdate is set this far in the past, so a client whose clock is a
 * little slow does not see a response from the future (RFC 5019 4). */
#define RESPONDER_THIS_UPDATE_BACKDATE 60
/* thisUpdate of a revoked certificate's answer: the backdated time, but
 * never before the revocation (RFC 6960 2.4) and never after now. */
int64_t responder_revoked_this_update(int64_t backdated, int64_t revoked_at, int64_t now);
/* The largest POST body (and decoded GET request) accepted. A request with a
 * nonce and one CertID is about 100 bytes; 16 CertIDs fit in 4 KB. */
#define RESPONDER_MAX_REQUEST_BYTES 16384

/* Faults for the scenarios (DESIGN section 2), switchable while running. */
enum responder_fault {
    FAULT_NONE,
    FAULT_SLOW,         /* answer correctly after a delay */
    FAULT_TRYLATER,     /* OCSP status tryLater */
    FAULT_GARBAGE,      /* HTTP 200 with bytes that are not DER */
    FAULT_UNAUTHORIZED, /* OCSP status unauthorized */
    FAULT_STALE,        /* signed, but nextUpdate already past */
};
int fault_parse(const char *name, enum responder_fault *fault);
const char *fault_name(enum responder_fault fault);
#define FAULT_NAMES "none, slow, trylater, garbage, unauthorized, stale"
/* The delay of the slow fault unless set; bounded so a test never hangs. */
#define FAULT_DEFAULT_DELAY_MS 3000
#define FAULT_MAX_DELAY_MS 120000

struct responder_config {
    const char *lab_dir;
    int64_t validity_seconds;  /* nextUpdate - thisUpdate */
    bool use_delegate;         /* sign with ca/ocsp.key instead of the root */
    bool responder_id_by_name; /* ResponderID byName instead of byKey */
    enum responder_fault fault;
    int fault_delay_ms;
    long trace_answers_per_second; /* 0: TRACE_BUDGET_DEFAULT_PER_SECOND */
    int64_t crl_validity_seconds;  /* GET /crl: nextUpdate - thisUpdate; 0: 7 days */
};

/* One worker's private resources: a read-only database handle (with its own
 * data_version baseline), a random generator and a copy of the signing key,
 * none of which may be shared between threads. */
struct responder_worker;

struct responder {
    struct responder_config config;
    struct der_buf issuer_der; /* the root CA certificate */
    struct x509_cert issuer;
    /* The issuer's name and key hashes of a CertID (RFC 6960 4.1.1), made
     * once per hash algorithm: hashing them for every request showed in
     * the profile. len 0: that algorithm could not be computed. */
    struct responder_issuer_hashes {
        uint8_t name[OCSP_HASH_MAX_LEN], key[OCSP_HASH_MAX_LEN];
        size_t len;
    } issuer_hashes[OCSP_HASH_SHA512 + 1];
    struct der_buf signer_der; /* root, or the delegate */
    struct x509_cert signer;
    char signer_name[128];
    char db_path[4096];
    char signer_key_path[4096];
    struct response_cache cache;
    struct db_change_map wal_index; /* when to ask data_version (db_change.h) */
    struct responder_stats stats;
    struct trace_budget trace_budget; /* how many answers are traced one by one */
    struct crl_publisher crl;         /* GET /crl */

    pthread_mutex_t lock; /* guards the fields below */
    enum responder_fault fault;
    int fault_delay_ms;
    struct responder_worker *idle_workers;
    struct responder_worker *all_workers;
    int is_stopping; /* atomic: shutting down, cut fault delays short */
};

/* Loads the CA certificate, the signer and its key, and opens the database
 * once to prove it is the lab's. Errors name the file and the fix. */
int responder_open(struct responder *r, const struct responder_config *config, struct errbuf *err);
void responder_close(struct responder *r);

/* Who asked (for the trace and the counters). */
struct request_origin {
    const char *user_agent;  /* may be NULL */
    const char *client_addr; /* "127.0.1.3" */
    const char *method;      /* "GET" or "POST" */
};

struct responder_answer {
    struct der_buf body; /* the bytes to send (caller frees with der_buf_free) */
    enum answer_kind kind;
    int response_status; /* OCSP responseStatus, or -1 for garbage */
    bool is_cacheable;   /* pre-signed: HTTP caching headers apply */
    int64_t this_update; /* of the (first) SingleResponse */
    int64_t next_update;
    int64_t answered_at; /* the lab clock it was answered by (is_cacheable) */
    bool from_cache;
};

/* Answers one request; never fails to produce bytes to send (internal
 * problems become an internalError response). With the slow fault on it
 * first sleeps its delay (cut short by responder_stop). */
void responder_answer(struct responder *r, const uint8_t *request, size_t request_len,
                      const struct request_origin *origin, struct responder_answer *answer);
/* The slow fault's delay now, in milliseconds; 0 when it is not on. */
int responder_slow_delay_ms(struct responder *r);
/* responder_answer without the slow fault's sleep, for a caller that waits
 * the delay out itself without holding a thread (http.c, hold.h). */
void responder_answer_now(struct responder *r, const uint8_t *request, size_t request_len,
                          const struct request_origin *origin, struct responder_answer *answer);
void responder_answer_free(struct responder_answer *answer);

/* An OCSP request refused at the HTTP level (413 too large, 415 wrong type):
 * counted as an error answer and traced like any other request. */
void responder_note_rejected(struct responder *r, const struct request_origin *origin,
                             int http_status, const char *why);

/* "the browser", "the web server", "a client": who asked, for a sentence. */
const char *responder_requester_phrase(enum requester who);
/* A CRL download (GET /crl), from crl_serve.c. */
struct responder_crl_answer {
    struct der_buf body; /* caller frees with der_buf_free */
    bool is_crl;         /* a CRL; false: garbage (fault) or an error text */
    int http_status;
    int64_t this_update;
    int64_t next_update;
};
/* Serves the current CRL, counts it apart from OCSP and traces it with the
 * client's address. Never fails to produce something to send. */
void responder_serve_crl(struct responder *r, const struct request_origin *origin,
                         struct responder_crl_answer *answer);

/* Shutting down: a "slow" answer in progress stops waiting. */
void responder_stop(struct responder *r);

/* Switches the fault on a running responder; counters are kept. */
void responder_set_fault(struct responder *r, enum responder_fault fault, int delay_ms);
void responder_get_fault(struct responder *r, enum responder_fault *fault, int *delay_ms);

#endif
