/* server.h — the HTTPS front of the web server: worker threads, one per
 * core, each with its own epoll loop over non-blocking connections (a TLS
 * handshake, then HTTP/1.1 requests with keep-alive). Every wait has a
 * deadline, every read a size limit, so a stalled, garbage-sending or idle
 * client costs one small connection record and nothing else. */
#ifndef OCSPLAB_WEBSERVER_SERVER_H
#define OCSPLAB_WEBSERVER_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "errbuf.h"
#include "site.h"

#define SERVER_MAX_CONNECTIONS 4096
#define SERVER_HANDSHAKE_TIMEOUT_MS 10000
#define SERVER_HEAD_TIMEOUT_MS 10000
#define SERVER_KEEPALIVE_TIMEOUT_MS 5000
#define SERVER_MAX_HEAD_BYTES 8192
#define SERVER_MAX_WORKERS 64

struct server_stats {
    int64_t handshakes;      /* completed TLS handshakes */
    int64_t staples_sent;    /* ... whose ClientHello asked and that got a staple */
    int64_t status_requests; /* ClientHellos with status_request */
    int64_t requests;        /* HTTP requests answered */
    int64_t dropped;         /* connections closed for garbage, timeouts, limits */
};

/* What the page and /stats show about the staple; filled by the owner. */
typedef void (*server_describe_fn)(void *ctx, char *staple_line, size_t cap);
typedef struct json_t *(*server_stats_fn)(void *ctx, const struct server_stats *stats);

struct server {
    const char *site_name;
    struct site_slot *sites;
    server_describe_fn describe;
    server_stats_fn stats_json;
    void *owner;
    int listen_fd;
    char bound[96];
    size_t worker_count;
    pthread_t workers[SERVER_MAX_WORKERS];
    int epoll_fds[SERVER_MAX_WORKERS];
    int stop_pipe[2];
    int open_connections;      /* atomic */
    struct server_stats stats; /* atomics */
};

int server_listen(struct server *server, const char *listen_spec, struct errbuf *err);
int server_start(struct server *server, size_t workers, struct errbuf *err);
/* Stops the workers and closes every connection; returns when all are gone. */
void server_stop(struct server *server);
/* A consistent-enough copy of the counters. */
void server_read_stats(struct server *server, struct server_stats *out);

#endif
