/* service.c — answering OCSP requests from the CA's database (RFC 6960 2.2,
 * 4.2; RFC 5019 for pre-signed responses). */
#include "service.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certstore.h"
#include "clock.h"
#include "db.h"
#include "fileio.h"
#include "hex.h"
#include "keys.h"
#include "lab.h"
#include "pem.h"
#include "trace.h"

struct responder_worker {
    struct responder_worker *next_idle;
    struct responder_worker *next_all;
    sqlite3 *db;
    sqlite3_stmt *data_version_stmt; /* prepared once */
    int64_t data_version;
    struct db_change change; /* asks data_version only after a commit */
    WC_RNG rng;
    bool has_rng;
    struct lab_key key;
};

static const char *const fault_names[] = {
    [FAULT_NONE] = "none",
    [FAULT_SLOW] = "slow",
    [FAULT_TRYLATER] = "trylater",
    [FAULT_GARBAGE] = "garbage",
    [FAULT_UNAUTHORIZED] = "unauthorized",
    [FAULT_STALE] = "stale",
};

int fault_parse(const char *name, enum responder_fault *fault)
{
    for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++) {
        if (strcmp(name, fault_names[i]) == 0) {
            *fault = (enum responder_fault)i;
            return 0;
        }
    }
    return -1;
}

const char *fault_name(enum responder_fault fault)
{
    return (size_t)fault < sizeof fault_names / sizeof fault_names[0] ? fault_names[fault] : "none";
}

static void free_worker(struct responder_worker *w)
{
    if (w == NULL)
        return;
    sqlite3_finalize(w->data_version_stmt);
    db_close(w->db);
    if (w->has_rng)
        wc_FreeRng(&w->rng);
    key_free(&w->key);
    free(w);
}

/* PRAGMA data_version through the worker's prepared statement. */
static int read_data_version(struct responder_worker *w, int64_t *version, struct errbuf *err)
{
    int step = sqlite3_step(w->data_version_stmt);
    int rc = 0;
    if (step == SQLITE_ROW) {
        *version = sqlite3_column_int64(w->data_version_stmt, 0);
    } else {
        db_set_error(w->db, step, err, "cannot read the database version");
        rc = -1;
    }
    sqlite3_reset(w->data_version_stmt);
    return rc;
}

static struct responder_worker *new_worker(struct responder *r, struct errbuf *err)
{
    struct responder_worker *w = calloc(1, sizeof *w);
    if (w == NULL) {
        errbuf_set(err, "out of memory");
        return NULL;
    }
    if (db_open(r->db_path, DB_READ, &w->db, err) != 0 ||
        db_prepare(w->db, "PRAGMA data_version", &w->data_version_stmt, err) != 0 ||
        read_data_version(w, &w->data_version, err) != 0)
        goto fail;
    if (wc_InitRng(&w->rng) != 0) {
        errbuf_set(err, "cannot start the random generator");
        goto fail;
    }
    w->has_rng = true;
    if (key_load_pem(&w->key, r->signer_key_path, err) != 0)
        goto fail;
    return w;
fail:
    free_worker(w);
    return NULL;
}

/* Takes an idle worker or makes one. A new database handle has no baseline
 * for what the cache saw, so making one forgets the cache. */
static struct responder_worker *acquire_worker(struct responder *r, struct errbuf *err)
{
    pthread_mutex_lock(&r->lock);
    struct responder_worker *w = r->idle_workers;
    if (w != NULL)
        r->idle_workers = w->next_idle;
    pthread_mutex_unlock(&r->lock);
    if (w != NULL)
        return w;
    w = new_worker(r, err);
    if (w == NULL)
        return NULL;
    cache_invalidate(&r->cache);
    pthread_mutex_lock(&r->lock);
    w->next_all = r->all_workers;
    r->all_workers = w;
    pthread_mutex_unlock(&r->lock);
    return w;
}

static void release_worker(struct responder *r, struct responder_worker *w)
{
    pthread_mutex_lock(&r->lock);
    w->next_idle = r->idle_workers;
    r->idle_workers = w;
    pthread_mutex_unlock(&r->lock);
}

static int load_certificate(const char *lab_dir, const char *rel, struct der_buf *der,
                            struct x509_cert *cert, const char *hint, struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    if (file_path_join(path, sizeof path, lab_dir, rel) != 0) {
        errbuf_set(err, "path too long: %s/%s", lab_dir, rel);
        return -1;
    }
    if (pem_read_certificate(path, der, err) != 0) {
        errbuf_prefix(err, "%s", hint);
        return -1;
    }
    if (x509_parse(cert, der->data, der->len, err) != 0) {
        errbuf_prefix(err, "%s", path);
        return -1;
    }
    return 0;
}

/* Fills r->issuer_hashes: every CertID hash algorithm a client may use. */
static void hash_issuer(struct responder *r)
{
    for (size_t h = 0; h < sizeof r->issuer_hashes / sizeof r->issuer_hashes[0]; h++) {
        struct responder_issuer_hashes *ours = &r->issuer_hashes[h];
        struct errbuf ignored;
        if (ocsp_issuer_hashes(&r->issuer, (enum ocsp_hash)h, ours->name, ours->key, &ours->len,
                               &ignored) != 0)
            ours->len = 0;
    }
}

int responder_open(struct responder *r, const struct responder_config *config, struct errbuf *err)
{
    memset(r, 0, sizeof *r);
    r->config = *config;
    r->fault = config->fault;
    r->fault_delay_ms =
        config->fault_delay_ms > 0 ? config->fault_delay_ms : FAULT_DEFAULT_DELAY_MS;
    if (pthread_mutex_init(&r->lock, NULL) != 0 || cache_init(&r->cache) != 0 ||
        stats_init(&r->stats) != 0 ||
        trace_budget_init(&r->trace_budget, config->trace_answers_per_second) != 0) {
        errbuf_set(err, "cannot initialise the responder");
        return -1;
    }
    if (file_path_join(r->db_path, sizeof r->db_path, config->lab_dir, LAB_DB_FILE) != 0 ||
        file_path_join(r->signer_key_path, sizeof r->signer_key_path, config->lab_dir,
                       config->use_delegate ? LAB_DELEGATE_KEY : LAB_ROOT_KEY) != 0) {
        errbuf_set(err, "lab path too long: %s", config->lab_dir);
        return -1;
    }
    if (load_certificate(config->lab_dir, LAB_ROOT_CERT, &r->issuer_der, &r->issuer,
                         "cannot load the CA certificate (run 'ca init' first)", err) != 0)
        return -1;
    hash_issuer(r);
    if (config->use_delegate) {
        if (load_certificate(config->lab_dir, LAB_DELEGATE_CERT, &r->signer_der, &r->signer,
                             "cannot load the delegated OCSP signer (run 'ca init --delegate')",
                             err) != 0)
            return -1;
    } else {
        if (der_write_raw(&r->signer_der, r->issuer_der.data, r->issuer_der.len) != DER_OK ||
            x509_parse(&r->signer, r->signer_der.data, r->signer_der.len, err) != 0) {
            errbuf_set(err, "cannot copy the CA certificate");
            return -1;
        }
    }
    x509_subject_cn(&r->signer, r->signer_name, sizeof r->signer_name);
    if (crl_publisher_init(&r->crl, config->lab_dir, &r->issuer,
                           config->crl_validity_seconds > 0 ? config->crl_validity_seconds
                                                            : CRL_DEFAULT_NEXT_UPDATE_SECONDS,
                           err) != 0)
        return -1;
    /* Open one worker now: it proves the database and the key are usable, so
     * a bad lab is reported at start, not at the first request. */
    struct responder_worker *w = acquire_worker(r, err);
    if (w == NULL)
        return -1;
    /* That worker's connection has read the database, so it has the WAL
     * index open, and keeps it open while the responder runs. */
    db_change_map(&r->wal_index, r->db_path);
    /* A key that is not the signer's certificate's would sign answers that
     * every client rejects (bad-signature) while the responder looks healthy;
     * better to refuse to start and say which file is wrong. */
    if (!key_matches_spki(&w->key, &r->signer.spki)) {
        char cert_path[LAB_PATH_MAX];
        if (file_path_join(cert_path, sizeof cert_path, config->lab_dir,
                           config->use_delegate ? LAB_DELEGATE_CERT : LAB_ROOT_CERT) != 0)
            snprintf(cert_path, sizeof cert_path, "its certificate");
        errbuf_set(err,
                   "the signing key %s does not match %s (restore the key, or run 'ca init "
                   "--force%s')",
                   r->signer_key_path, cert_path, config->use_delegate ? " --delegate" : "");
        release_worker(r, w);
        return -1;
    }
    /* The responder trusts every row it reads: a damaged file (one bad page
     * can turn a revoked row into a missing one) is refused at start, with
     * what to do, instead of answering from it. */
    if (db_check(w->db, r->db_path, err) != 0) {
        char why[ERRBUF_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        errbuf_set(err, "%.400s: restore it from a copy, or start over with rm -rf %s and ca init",
                   why, config->lab_dir);
        release_worker(r, w);
        return -1;
    }
    struct ca_record ca_row;
    int has_ca = certstore_get_ca(w->db, &ca_row, err);
    release_worker(r, w);
    if (has_ca != 0) {
        if (has_ca == 1)
            errbuf_set(err, "%s has no CA yet (run 'ca init --lab %s')", r->db_path,
                       config->lab_dir);
        return -1;
    }
    return 0;
}

void responder_close(struct responder *r)
{
    if (r == NULL)
        return;
    struct responder_worker *w = r->all_workers;
    while (w != NULL) {
        struct responder_worker *next = w->next_all;
        free_worker(w);
        w = next;
    }
    r->all_workers = r->idle_workers = NULL;
    crl_publisher_free(&r->crl);
    /* After every worker's connection is closed (db_change.h says why). */
    db_change_unmap(&r->wal_index);
    der_buf_free(&r->issuer_der);
    der_buf_free(&r->signer_der);
    cache_free(&r->cache);
    stats_free(&r->stats);
    trace_budget_flush(&r->trace_budget);
    trace_budget_destroy(&r->trace_budget);
    pthread_mutex_destroy(&r->lock);
}

void responder_set_fault(struct responder *r, enum responder_fault fault, int delay_ms)
{
    pthread_mutex_lock(&r->lock);
    r->fault = fault;
    if (delay_ms > 0)
        r->fault_delay_ms = delay_ms > FAULT_MAX_DELAY_MS ? FAULT_MAX_DELAY_MS : delay_ms;
    pthread_mutex_unlock(&r->lock);
}

void responder_get_fault(struct responder *r, enum responder_fault *fault, int *delay_ms)
{
    pthread_mutex_lock(&r->lock);
    *fault = r->fault;
    *delay_ms = r->fault_delay_ms;
    pthread_mutex_unlock(&r->lock);
}

void responder_answer_free(struct responder_answer *answer)
{
    der_buf_free(&answer->body);
}

void responder_stop(struct responder *r)
{
    __atomic_store_n(&r->is_stopping, 1, __ATOMIC_SEQ_CST);
}

/* The "slow" fault's wait, in short steps so a shutdown is not held up. */
static void sleep_ms(struct responder *r, int ms)
{
    for (int waited = 0; waited < ms && !__atomic_load_n(&r->is_stopping, __ATOMIC_SEQ_CST);
         waited += 20) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

/* Does this CertID name our CA? RFC 6960 2.3: a responder that cannot answer
 * for the issuer says unauthorized. */
static bool is_our_issuer(struct responder *r, const struct ocsp_cert_id *id)
{
    if ((size_t)id->hash >= sizeof r->issuer_hashes / sizeof r->issuer_hashes[0])
        return false;
    const struct responder_issuer_hashes *ours = &r->issuer_hashes[id->hash];
    size_t len = ours->len;
    return len > 0 && id->issuer_name_hash.left == len && id->issuer_key_hash.left == len &&
           memcmp(id->issuer_name_hash.p, ours->name, len) == 0 &&
           memcmp(id->issuer_key_hash.p, ours->key, len) == 0;
}

/* What the trace and counters say about one answer. */
struct answer_story {
    char serial_hex[CERTSTORE_SERIAL_HEX_MAX];
    char name[CERTSTORE_NAME_MAX];
    size_t cert_count;
    enum ocsp_cert_status status;
    int64_t revocation_time;
    int revocation_reason;
    bool has_nonce;
    const char *why; /* for errors: a short phrase */
};

static void serial_of(const struct ocsp_cert_id *id, char *out)
{
    size_t n = id->serial.left;
    if (n > 20)
        n = 20; /* longer serials are not ours; the hex is for reading only */
    hex_encode(id->serial.p, n, out);
}

/* "the browser", "the web server", "a client": who asked, for the sentence. */
const char *responder_requester_phrase(enum requester who)
{
    return who == REQUESTER_BROWSER     ? "the browser"
           : who == REQUESTER_WEBSERVER ? "the web server"
                                        : "a client";
}

static void trace_answer(const struct request_origin *origin, enum requester who,
                         const struct responder_answer *answer, const struct answer_story *story)
{
    char this_text[CLOCK_RFC3339_LEN] = "", next_text[CLOCK_RFC3339_LEN] = "";
    char revoked_text[CLOCK_RFC3339_LEN] = "";
    const char *status =
        answer->kind == ANSWER_ERROR
            ? (answer->response_status >= 0 ? ocsp_response_status_name(answer->response_status)
                                            : "garbage")
            : ocsp_cert_status_name(story->status);
    json_t *fields = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:I}", "serial", story->serial_hex, "name",
        story->name, "requester", requester_name(who), "user_agent",
        origin->user_agent != NULL ? origin->user_agent : "", "client",
        origin->client_addr != NULL ? origin->client_addr : "", "status", status, "cached",
        answer->from_cache, "nonce", story->has_nonce, "bytes", (json_int_t)answer->body.len);
    if (fields != NULL) {
        json_object_set_new(fields, "method", json_string(origin->method));
        if (answer->kind != ANSWER_ERROR) {
            clock_format_rfc3339_seconds(answer->this_update, this_text, sizeof this_text);
            clock_format_rfc3339_seconds(answer->next_update, next_text, sizeof next_text);
            json_object_set_new(fields, "this_update", json_string(this_text));
            json_object_set_new(fields, "next_update", json_string(next_text));
        }
        if (story->status == OCSP_CERT_STATUS_REVOKED && answer->kind == ANSWER_REVOKED) {
            clock_format_rfc3339_seconds(story->revocation_time, revoked_text, sizeof revoked_text);
            json_object_set_new(fields, "revoked_at", json_string(revoked_text));
            json_object_set_new(fields, "reason",
                                json_string(ocsp_crl_reason_name(story->revocation_reason)));
        }
        if (story->cert_count > 1)
            json_object_set_new(fields, "certs", json_integer((json_int_t)story->cert_count));
    }
    const char *client = origin->client_addr != NULL ? origin->client_addr : "?";
    const char *label = story->name[0] != 0 ? story->name : "a certificate it never issued";
    switch (answer->kind) {
    case ANSWER_GOOD:
        trace_event("ocsp.response.sent", fields,
                    "The responder told %s at %s that certificate %s (%s) is good, "
                    "valid until %s%s.",
                    responder_requester_phrase(who), client, story->serial_hex, label, next_text,
                    answer->from_cache ? " (pre-signed)" : " (signed now)");
        break;
    case ANSWER_REVOKED:
        trace_event("ocsp.response.sent", fields,
                    "The responder told %s at %s that certificate %s (%s) is REVOKED "
                    "since %s (%s).",
                    responder_requester_phrase(who), client, story->serial_hex, label, revoked_text,
                    ocsp_crl_reason_name(story->revocation_reason));
        break;
    case ANSWER_UNKNOWN:
        trace_event("ocsp.response.sent", fields,
                    "The responder told %s at %s that it never issued certificate %s: "
                    "unknown.",
                    responder_requester_phrase(who), client, story->serial_hex);
        break;
    default:
        trace_event("ocsp.response.sent", fields, "The responder answered %s at %s with %s: %s.",
                    responder_requester_phrase(who), client, status,
                    story->why != NULL ? story->why : "no status given");
        break;
    }
}

static void set_error(struct responder_answer *answer, enum ocsp_response_status status,
                      struct answer_story *story, const char *why)
{
    der_buf_free(&answer->body);
    ocsp_response_build_status(status, &answer->body);
    answer->kind = ANSWER_ERROR;
    answer->response_status = (int)status;
    answer->is_cacheable = false;
    story->why = why;
}

static enum answer_kind kind_of(enum ocsp_cert_status status)
{
    return status == OCSP_CERT_STATUS_GOOD      ? ANSWER_GOOD
           : status == OCSP_CERT_STATUS_REVOKED ? ANSWER_REVOKED
                                                : ANSWER_UNKNOWN;
}

/* What the database says of one CertID now: from the cache when this
 * generation already read it (the database has not changed since), else
 * from SQLite, remembered for the next request (a nonce makes every answer
 * a new signature, but not a new query). */
static int read_status(struct responder *r, struct responder_worker *w,
                       const struct ocsp_cert_id *id, uint64_t generation,
                       struct cached_status *known, struct errbuf *err)
{
    if (cache_lookup_status(&r->cache, id->raw.p, id->raw.left, known))
        return 0;
    struct cert_record rec;
    char serial[CERTSTORE_SERIAL_HEX_MAX];
    serial_of(id, serial);
    int found = id->serial.left <= 20 ? certstore_find_serial(w->db, serial, &rec, err) : 1;
    if (found < 0)
        return -1;
    memset(known, 0, sizeof *known);
    known->is_known = found == 0;
    known->revocation_reason = -1;
    if (found == 1) {
        known->status = OCSP_CERT_STATUS_UNKNOWN;
    } else if (rec.is_revoked) {
        known->status = OCSP_CERT_STATUS_REVOKED;
        known->revocation_time = rec.revoked_at;
        known->revocation_reason = rec.revocation_reason;
    } else {
        known->status = OCSP_CERT_STATUS_GOOD;
    }
    snprintf(known->name, sizeof known->name, "%s", found == 0 ? rec.name : "");
    cache_store_status(&r->cache, generation, id->raw.p, id->raw.left, known);
    return 0;
}

int64_t responder_revoked_this_update(int64_t backdated, int64_t revoked_at, int64_t now)
{
    /* RFC 6960 2.4: thisUpdate is "the most recent time at which the status
     * being indicated is known by the responder to have been correct"; a
     * revoked status was not correct before the revocation, so the backdate
     * stops there. It never passes now: a revocation dated in the future
     * (the simulated clock moved back) must not make a response from the
     * future. */
    int64_t this_update = backdated > revoked_at ? backdated : revoked_at;
    return this_update < now ? this_update : now;
}

/* Signs a response for every CertID of the request, reading each status now. */
static int sign_answer(struct responder *r, struct responder_worker *w,
                       const struct ocsp_request *req, int64_t now, bool is_stale,
                       uint64_t generation, struct responder_answer *answer,
                       struct answer_story *story, struct errbuf *err)
{
    struct ocsp_single_response singles[OCSP_MAX_REQUEST_CERTS];
    int64_t this_update = now - RESPONDER_THIS_UPDATE_BACKDATE;
    if (is_stale)
        /* The "stale" fault: genuinely signed, but its window already ended.
         * Its whole point is a wrong time, so it is the one answer whose
         * thisUpdate may precede a revocation. */
        this_update = now - r->config.validity_seconds - 3600;
    memset(singles, 0, sizeof singles);
    for (size_t i = 0; i < req->count; i++) {
        struct cached_status known;
        if (read_status(r, w, &req->ids[i], generation, &known, err) != 0)
            return -1;
        singles[i].cert_id_raw = req->ids[i].raw;
        singles[i].this_update = this_update;
        if (known.status == OCSP_CERT_STATUS_REVOKED && !is_stale)
            singles[i].this_update =
                responder_revoked_this_update(this_update, known.revocation_time, now);
        singles[i].has_next_update = true;
        singles[i].next_update = singles[i].this_update + r->config.validity_seconds;
        singles[i].status = known.status;
        singles[i].revocation_time = known.revocation_time;
        singles[i].revocation_reason = known.revocation_reason;
        if (i == 0) {
            snprintf(story->name, sizeof story->name, "%s", known.name);
            story->status = singles[0].status;
            story->revocation_time = singles[0].revocation_time;
            story->revocation_reason = singles[0].revocation_reason;
        }
    }
    struct ocsp_signer signer = {
        .key = &w->key,
        .cert = &r->signer,
        /* The signer's certificate travels with every answer: the delegate's
         * because a client cannot verify it otherwise, and the CA's own because
         * GnuTLS 3.7 (gnutls-cli, ocsptool) looks a byKey responder up only
         * among the certificates in the response (lib/x509/ocsp.c,
         * gnutls_ocsp_resp_verify searches its trust list by name only).
         * openssl ocsp includes it by default too. */
        .include_cert = true,
        .responder_id_by_name = r->config.responder_id_by_name,
    };
    if (ocsp_response_build(&signer, &w->rng, now, singles, req->count,
                            req->has_nonce ? &req->nonce_ext_value : NULL, &answer->body, err) != 0)
        return -1;
    answer->kind = kind_of(singles[0].status);
    answer->response_status = OCSP_RESPONSE_SUCCESSFUL;
    answer->this_update = singles[0].this_update;
    answer->next_update = singles[0].next_update;
    return 0;
}

int responder_slow_delay_ms(struct responder *r)
{
    enum responder_fault fault;
    int delay_ms;
    responder_get_fault(r, &fault, &delay_ms);
    return fault == FAULT_SLOW ? delay_ms : 0;
}

void responder_answer(struct responder *r, const uint8_t *request, size_t request_len,
                      const struct request_origin *origin, struct responder_answer *answer)
{
    int delay_ms = responder_slow_delay_ms(r);
    if (delay_ms > 0)
        sleep_ms(r, delay_ms);
    responder_answer_now(r, request, request_len, origin, answer);
}

void responder_answer_now(struct responder *r, const uint8_t *request, size_t request_len,
                          const struct request_origin *origin, struct responder_answer *answer)
{
    struct ocsp_request req;
    struct answer_story story;
    struct errbuf err = {{0}};
    enum responder_fault fault;
    int delay_ms;
    struct responder_worker *w = NULL;
    enum requester who = requester_from_user_agent(origin->user_agent);

    memset(answer, 0, sizeof *answer);
    memset(&story, 0, sizeof story);
    snprintf(story.serial_hex, sizeof story.serial_hex, "-");
    story.cert_count = 0;
    /* The fault as it is now, after any wait: a teacher who heals a slow
     * responder mid-wait gets a healthy answer. */
    responder_get_fault(r, &fault, &delay_ms);

    bool parsed = ocsp_request_parse(request, request_len, &req, &err) == 0;
    if (parsed) {
        serial_of(&req.ids[0], story.serial_hex);
        story.cert_count = req.count;
        story.has_nonce = req.has_nonce;
    }

    if (fault == FAULT_GARBAGE) {
        /* Not DER at all: a client must reject this as malformed. */
        static const char junk[] = "<html>502 Bad Gateway: the OCSP service is broken</html>";
        der_write_raw(&answer->body, (const uint8_t *)junk, sizeof junk - 1);
        answer->kind = ANSWER_ERROR;
        answer->response_status = -1;
        story.why = "the 'garbage' fault is on, so it sent bytes that are not an OCSP response";
        goto done;
    }
    if (fault == FAULT_TRYLATER) {
        set_error(answer, OCSP_RESPONSE_TRY_LATER, &story, "the 'trylater' fault is on");
        goto done;
    }
    if (fault == FAULT_UNAUTHORIZED) {
        set_error(answer, OCSP_RESPONSE_UNAUTHORIZED, &story, "the 'unauthorized' fault is on");
        goto done;
    }
    if (!parsed) {
        set_error(answer, OCSP_RESPONSE_MALFORMED_REQUEST, &story,
                  "the request was not a valid OCSPRequest");
        goto done;
    }
    for (size_t i = 0; i < req.count; i++) {
        if (!is_our_issuer(r, &req.ids[i])) {
            set_error(answer, OCSP_RESPONSE_UNAUTHORIZED, &story,
                      "the request asked about a certificate of another CA");
            goto done;
        }
    }

    w = acquire_worker(r, &err);
    if (w == NULL) {
        set_error(answer, OCSP_RESPONSE_INTERNAL_ERROR, &story, "the database is unavailable");
        goto done;
    }
    /* A commit by the CA (a revocation) changes data_version: forget every
     * pre-signed answer so the very next request reads the new status.
     * db_change.h says why it is asked only after the WAL index moved. */
    if (db_change_maybe(&r->wal_index, &w->change)) {
        int64_t version = 0;
        db_change_mark(&r->wal_index, &w->change);
        if (read_data_version(w, &version, &err) != 0) {
            db_change_forget(&w->change);
            set_error(answer, OCSP_RESPONSE_INTERNAL_ERROR, &story, "the database is unavailable");
            goto done;
        }
        if (version != w->data_version) {
            w->data_version = version;
            cache_invalidate(&r->cache);
        }
    }

    bool is_cacheable = req.count == 1 && !req.has_nonce && fault != FAULT_STALE;
    uint64_t generation = cache_generation(&r->cache);
    struct cached_answer hit;
    /* One reading of the clock serves the whole answer. */
    int64_t now = clock_now();
    answer->answered_at = now;
    if (is_cacheable && cache_lookup(&r->cache, req.ids[0].raw.p, req.ids[0].raw.left, now, &hit)) {
        der_write_raw(&answer->body, hit.der, hit.der_len);
        free(hit.der);
        answer->kind = kind_of(hit.status);
        answer->response_status = OCSP_RESPONSE_SUCCESSFUL;
        answer->this_update = hit.this_update;
        answer->next_update = hit.next_update;
        answer->from_cache = true;
        answer->is_cacheable = true;
        story.status = hit.status;
        story.revocation_time = hit.revocation_time;
        story.revocation_reason = hit.revocation_reason;
        snprintf(story.name, sizeof story.name, "%s", hit.name);
        goto done;
    }
    if (sign_answer(r, w, &req, now, fault == FAULT_STALE, generation, answer, &story, &err) != 0) {
        set_error(answer, OCSP_RESPONSE_INTERNAL_ERROR, &story, "signing failed");
        goto done;
    }
    answer->is_cacheable = is_cacheable;
    if (is_cacheable) {
        struct cached_answer entry = {
            .der = answer->body.data,
            .der_len = answer->body.len,
            .this_update = answer->this_update,
            .next_update = answer->next_update,
            /* Refresh at half-life, like a careful stapling server (DESIGN 8). */
            .refresh_at = answer->this_update + (answer->next_update - answer->this_update) / 2,
            .status = story.status,
            .revocation_time = story.revocation_time,
            .revocation_reason = story.revocation_reason,
        };
        snprintf(entry.name, sizeof entry.name, "%s", story.name);
        cache_store(&r->cache, generation, req.ids[0].raw.p, req.ids[0].raw.left, &entry);
    }
done:
    if (w != NULL)
        release_worker(r, w);
    if (der_buf_error(&answer->body) != DER_OK) {
        /* Out of memory while building: send the smallest honest answer. */
        der_buf_free(&answer->body);
        ocsp_response_build_status(OCSP_RESPONSE_INTERNAL_ERROR, &answer->body);
        answer->kind = ANSWER_ERROR;
        answer->response_status = OCSP_RESPONSE_INTERNAL_ERROR;
    }
    stats_count(&r->stats, who, origin->client_addr, answer->kind);
    /* Every answer is traced with its client, up to the trace budget; a flood
     * beyond it is counted per second instead (trace_budget.h). */
    if (trace_budget_take(&r->trace_budget, who, answer->body.len, clock_monotonic_ms()))
        trace_answer(origin, who, answer, &story);
}

void responder_note_rejected(struct responder *r, const struct request_origin *origin,
                             int http_status, const char *why)
{
    enum requester who = requester_from_user_agent(origin->user_agent);
    stats_count(&r->stats, who, origin->client_addr, ANSWER_ERROR);
    trace_event("ocsp.request.rejected",
                json_pack("{s:s, s:s, s:s, s:i, s:s}", "requester", requester_name(who), "client",
                          origin->client_addr != NULL ? origin->client_addr : "", "method",
                          origin->method, "http_status", http_status, "why", why),
                "The responder refused a request from %s at %s with HTTP %d: %s.",
                responder_requester_phrase(who),
                origin->client_addr != NULL ? origin->client_addr : "?", http_status, why);
}
