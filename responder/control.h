/* control.h — who may switch the responder's faults through /control/fault,
 * and what a switch request says. Only the teacher (whoever can read
 * LAB/control.token, common/control_token.h) may: the request carries the
 * token in X-Lab-Control-Token, comes from loopback, has no Origin header (a
 * web page in a browser on this machine always sends one with a cross-site
 * POST) and, for a POST, the lab's own content type or JSON, which a plain
 * HTML form cannot send. Pure functions: http.c applies them, the unit tests
 * call them directly. */
#ifndef OCSPLAB_RESPONDER_CONTROL_H
#define OCSPLAB_RESPONDER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"

/* Why a control request is refused, in the order the checks run. */
enum control_verdict {
    CONTROL_ALLOWED,
    CONTROL_NO_LAB_TOKEN, /* LAB/control.token missing or unreadable at start */
    CONTROL_NOT_LOOPBACK, /* the client is not on this machine */
    CONTROL_HAS_ORIGIN,   /* sent by a web page (or pretends to be) */
    CONTROL_NO_TOKEN,     /* no X-Lab-Control-Token header */
    CONTROL_WRONG_TOKEN,  /* a token that is not the lab's */
    CONTROL_WRONG_TYPE,   /* a POST that is neither the lab's type nor JSON */
};

/* What http.c knows about one request to /control/. */
struct control_request {
    const char *client_addr;  /* "127.0.1.5" or "::1" */
    const char *origin;       /* the Origin header, NULL when absent */
    const char *token;        /* the X-Lab-Control-Token header, NULL when absent */
    const char *content_type; /* NULL when absent */
    bool is_post;
};

/* Judges one request. `lab_token` is the token read at start, NULL when the
 * lab has none. */
enum control_verdict control_check(const char *lab_token, const struct control_request *req);
/* The HTTP status of a refusal (403, or 415 for the content type). */
unsigned control_verdict_status(enum control_verdict verdict);
/* A short phrase for the client and the trace ("wrong control token"). */
const char *control_verdict_reason(enum control_verdict verdict);

/* True when a Content-Type header value names `expected` (case-insensitive,
 * RFC 9110 8.3.1; parameters such as "; charset=utf-8" may follow). */
bool control_media_type_is(const char *value, const char *expected);

/* A fault switch: "NAME [DELAY]" (CONTROL_CONTENT_TYPE) or
 * {"fault": "slow", "delay": "2s"} (application/json), delay optional (0 =
 * keep the current one). Returns 0, or -1 with `why` set to a message for
 * the client (a static string). */
int control_parse_switch(const char *content_type, const uint8_t *body, size_t body_len,
                         enum responder_fault *fault, int *delay_ms, const char **why);

#endif
