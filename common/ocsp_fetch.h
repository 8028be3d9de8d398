/* ocsp_fetch.h — asking an OCSP responder over HTTP (RFC 6960 A.1, RFC 5019
 * 5) with libcurl: POST with application/ocsp-request, or GET with the
 * url-encoded base64 request; a User-Agent that says who asks, a source
 * address (each simulated user has its own, DESIGN section 7), and bounded
 * time and size. Used by the web server (staples) and the browser (direct
 * checks); the browser also downloads CRLs with it (a plain GET of a CRL
 * distribution point, RFC 5280 4.2.1.13), with the same bounds. */
#ifndef OCSPLAB_OCSP_FETCH_H
#define OCSPLAB_OCSP_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"
#include "errbuf.h"

/* An OCSP response is a few KB; anything much larger is not one. */
#define OCSP_FETCH_MAX_RESPONSE (64 * 1024)

enum ocsp_fetch_method {
    OCSP_FETCH_POST,
    OCSP_FETCH_GET,
    OCSP_FETCH_DOWNLOAD, /* GET the URL itself, no request (a CRL) */
};

/* Why a fetch failed, for a reason word. */
enum ocsp_fetch_failure {
    OCSP_FETCH_OK,
    OCSP_FETCH_UNREACHABLE, /* no connection (refused, no route, ...) */
    OCSP_FETCH_TIMEOUT,     /* connected or not, no whole answer in time */
    OCSP_FETCH_TOO_LARGE,   /* more than max_bytes */
    OCSP_FETCH_HTTP_STATUS, /* an HTTP answer other than 200, or an empty body */
};

struct ocsp_fetch_options {
    const char *url; /* the responder, from the certificate's AIA */
    enum ocsp_fetch_method method;
    const char *user_agent;  /* "ocsp-lab-webserver/0.1.0" */
    const char *source_addr; /* bind to this local address, or NULL */
    long timeout_ms;         /* whole transfer */
    long connect_timeout_ms;
    size_t max_bytes; /* 0: OCSP_FETCH_MAX_RESPONSE */
};

struct ocsp_fetch_result {
    long http_status;    /* 0 when no HTTP answer arrived */
    struct der_buf body; /* the response bytes (caller frees with der_buf_free) */
    double seconds;      /* how long it took */
    enum ocsp_fetch_failure failure;
};

/* Call once per process before threads start (curl_global_init). */
int ocsp_fetch_global_init(struct errbuf *err);

/* Sends the DER request (none with OCSP_FETCH_DOWNLOAD) and collects the answer. Returns 0 when an HTTP 200
 * with a body arrived; otherwise -1 with the reason ("connection refused",
 * "timed out after 2000 ms", "HTTP 503"). The body is kept either way. */
int ocsp_fetch(const struct ocsp_fetch_options *opts, const uint8_t *request, size_t request_len,
               struct ocsp_fetch_result *result, struct errbuf *err);

#endif
