/* stats.h — the responder's counters (DESIGN section 6): requests in total,
 * per requester (from User-Agent) and per client address — the privacy lesson:
 * without stapling the CA learns which address asked about which site. */
#ifndef OCSPLAB_RESPONDER_STATS_H
#define OCSPLAB_RESPONDER_STATS_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

enum requester {
    REQUESTER_BROWSER,
    REQUESTER_WEBSERVER,
    REQUESTER_OTHER,
};
/* Classifies a User-Agent: "ocsp-lab-browser/…", "ocsp-lab-webserver/…", else other. */
enum requester requester_from_user_agent(const char *user_agent);
const char *requester_name(enum requester who);

/* What one request was answered with, for the "responses" counters. */
enum answer_kind {
    ANSWER_GOOD,
    ANSWER_REVOKED,
    ANSWER_UNKNOWN,
    ANSWER_ERROR, /* any unsuccessful OCSP status, garbage, or an HTTP error */
};

/* Distinct client addresses kept by name; beyond this they count as "other". */
#define STATS_MAX_CLIENTS 4096

struct responder_stats {
    pthread_mutex_t lock;
    int64_t requests;
    int64_t by_requester[3];
    int64_t responses[4];
    json_t *by_client; /* address -> count */
    /* GET /crl, apart from OCSP: a CRL is one download of the whole list. */
    int64_t crl_downloads;
    int64_t crl_bytes;
    int64_t crl_last_bytes; /* the size of the last CRL sent */
    json_t *crl_by_client;  /* address -> downloads */
};

int stats_init(struct responder_stats *stats);
void stats_free(struct responder_stats *stats);
void stats_count(struct responder_stats *stats, enum requester who, const char *client_addr,
                 enum answer_kind answer);
/* One CRL download of `bytes` bytes by `client_addr`. */
void stats_count_crl(struct responder_stats *stats, const char *client_addr, size_t bytes);
/* A new JSON snapshot in the shape of DESIGN section 6 plus "crl":
 * {"downloads", "bytes", "last_bytes", "by_client"}; caller json_decref's it. */
json_t *stats_snapshot(struct responder_stats *stats);

#endif
