/* http.h — OCSP over HTTP (RFC 6960 appendix A, RFC 5019 section 5) with
 * libmicrohttpd: POST / with application/ocsp-request, GET /<url-encoded
 * base64 request>, GET /stats, and a control endpoint for the scenarios. */
#ifndef OCSPLAB_RESPONDER_HTTP_H
#define OCSPLAB_RESPONDER_HTTP_H

#include <stdint.h>

#include "errbuf.h"
#include "service.h"

/* A slow client holds one connection, never the server: each connection has
 * its own thread, these bound how many and for how long. */
#define HTTP_MAX_CONNECTIONS 512
#define HTTP_MAX_CONNECTIONS_PER_IP 128
#define HTTP_IDLE_TIMEOUT_SECONDS 10
/* A request must arrive whole within this time, however it trickles. */
#define HTTP_REQUEST_DEADLINE_MS 15000

struct http_server {
    struct MHD_Daemon *daemon;
    int listen_fd;
    char bound[96]; /* "127.0.0.1:PORT" as actually bound */
    struct responder *responder;
    int in_flight; /* requests between their first byte and their answer (atomic) */
};

/* Binds `listen_spec` ("127.0.0.1:8080"; port 0 picks a free one) and starts
 * serving. Errors say what to do ("address already in use …"). */
int http_start(struct http_server *server, struct responder *responder, const char *listen_spec,
               struct errbuf *err);
/* Stops accepting, lets in-flight requests finish (bounded), and stops. */
void http_stop(struct http_server *server);

/* RFC 5019 GET: the path after the first '/' is the url-encoded base64 of
 * the request. Leading extra slashes are tolerated (a client that joins a URL
 * ending in '/' with a request starting with '/'). Returns decoded length or -1. */
int http_decode_get_path(const char *path, uint8_t *out, size_t cap);

#endif
