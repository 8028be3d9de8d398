/* http.h — OCSP over HTTP (RFC 6960 appendix A, RFC 5019 section 5) with
 * libmicrohttpd: POST / with application/ocsp-request, GET /<url-encoded
 * base64 request>, GET /stats, and a control endpoint for the scenarios. */
#ifndef OCSPLAB_RESPONDER_HTTP_H
#define OCSPLAB_RESPONDER_HTTP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "answer_memo.h"
#include "control_token.h"
#include "errbuf.h"
#include "hold.h"
#include "service.h"

/* The event-loop threads that serve every connection (one per core). A
 * floor of two keeps one answering while the other signs a nonce'd answer. */
#define HTTP_MIN_THREADS 2
#define HTTP_MAX_THREADS 8

/* A slow client holds one connection, never the server or a thread; these
 * bound how many and for how long. */
#define HTTP_MAX_CONNECTIONS 512
#define HTTP_MAX_CONNECTIONS_PER_IP 128
#define HTTP_IDLE_TIMEOUT_SECONDS 10
/* A request (head and body) must arrive whole within this time of the
 * connection's accept (or of the previous answer on a keep-alive
 * connection), however it trickles. An OCSP request is a few hundred bytes
 * that any client sends at once; 10 s is generous for a slow network. */
#define HTTP_REQUEST_DEADLINE_MS 10000
/* When a new connection makes this many, the oldest one still sending its
 * request is closed, so libmicrohttpd's hard limit (HTTP_MAX_CONNECTIONS,
 * where it refuses new connections outright) is not reached by clients that
 * only trickle; the gap leaves room for connections being closed. */
#define HTTP_EVICT_AT (HTTP_MAX_CONNECTIONS - 64)
/* libmicrohttpd's memory per connection, which holds the request head:
 * room for a GET of the largest request (RESPONDER_MAX_REQUEST_BYTES as
 * base64, about 22 KB). No more: libmicrohttpd zeroes all of it after
 * every answer on a keep-alive connection (memorypool.c, MHD_pool_reset),
 * and at 64 KB that memset showed in the profile. */
#define HTTP_CONNECTION_MEMORY_BYTES (32 * 1024)
/* How often deadlines are checked: a connection lives at most this much
 * past its deadline. */
#define HTTP_SWEEP_INTERVAL_MS 200

/* One open connection as the responder tracks it (http.c). */
struct http_conn;

struct http_server {
    struct MHD_Daemon *daemon;
    int listen_fd;
    char bound[96]; /* "127.0.0.1:PORT" as actually bound */
    struct responder *responder;
    int in_flight; /* requests between their first byte and their answer (atomic) */

    /* The lab's control token, read at start; without one /control/ is shut. */
    char control_token[CONTROL_TOKEN_HEX + 1];
    bool has_control_token;

    struct hold_queue holds; /* connections the slow fault holds back */
    struct answer_memo memo; /* pre-signed answers kept encoded */

    /* Open connections, oldest first, and the thread that enforces
     * HTTP_REQUEST_DEADLINE_MS on them. */
    pthread_mutex_t conns_lock; /* guards the fields below and every http_conn */
    pthread_cond_t sweeper_wake;
    struct http_conn *conns_head, *conns_tail;
    size_t conn_count;
    long long dropped_late;    /* closed at their deadline */
    long long dropped_evicted; /* closed to make room at HTTP_EVICT_AT */
    bool is_sweeper_stopping;
    bool has_sweeper;
    bool has_conns_lock;
    pthread_t sweeper;
};

/* Binds `listen_spec` ("127.0.0.1:8080"; port 0 picks a free one), reads the
 * lab's control token (a lab without one serves OCSP but refuses every
 * /control/ request) and starts serving. Errors say what to do ("address
 * already in use …"). */
int http_start(struct http_server *server, struct responder *responder, const char *listen_spec,
               struct errbuf *err);
/* Stops accepting, lets in-flight requests finish (bounded), and stops. */
void http_stop(struct http_server *server);

/* RFC 5019 GET: the path after the first '/' is the url-encoded base64 of
 * the request. Leading extra slashes are tolerated (a client that joins a URL
 * ending in '/' with a request starting with '/'). Returns decoded length or -1. */
int http_decode_get_path(const char *path, uint8_t *out, size_t cap);

#endif
