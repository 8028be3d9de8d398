/* http_get.h — the runner's own small HTTP requests to the servers it
 * started: GET /stats (DESIGN section 6) and POST /control/fault, with libcurl
 * (GnuTLS flavour), bounded in time and size. */
#ifndef OCSPLAB_SCENARIOS_HTTP_GET_H
#define OCSPLAB_SCENARIOS_HTTP_GET_H

#include <jansson.h>

#include "control_token.h"
#include "errbuf.h"

/* /stats is a few hundred bytes; a thousand distinct clients stay far below. */
#define SCN_HTTP_MAX_BODY (1024 * 1024)
#define SCN_HTTP_TIMEOUT_MS 5000

/* Call once before any request (curl_global_init). */
int scn_http_global_init(struct errbuf *err);
void scn_http_global_cleanup(void);

/* GETs url and parses the body as a JSON object. https://NAME:PORT/… goes to
 * 127.0.0.1:resolve_port, sends NAME as SNI, asks for no staple, and does not
 * check the certificate: the runner reads the counters of a server it started
 * on loopback, and the lab's simulated clock may have moved the
 * certificate's dates away from real time. Caller json_decref()s *out. */
int scn_http_get_json(const char *url, int resolve_port, json_t **out, struct errbuf *err);

/* POSTs `body` ("NAME [DELAY]") to a responder's /control/ URL as the
 * teacher: the lab's control token in its header, the lab's own content type
 * (common/control_token.h). Returns 0 on HTTP 200, with the answer in answer
 * (may be NULL) for messages. */
int scn_http_post_control(const char *url, const char *token, const char *body, char *answer,
                          size_t answer_cap, struct errbuf *err);

#endif
