/* curl_run.h — the real curl(1) as the integration tests' HTTP client: one
 * bounded run (15 s), the HTTP status, the response headers and body. */
#ifndef OCSPLAB_TESTS_CURL_RUN_H
#define OCSPLAB_TESTS_CURL_RUN_H

#include <stddef.h>
#include <stdint.h>

struct curl_reply {
    int curl_exit; /* curl's exit status (0: a response arrived) */
    int status;    /* the HTTP status (-w %{http_code}), 0 without one */
    char *headers; /* as received, NUL-terminated; NULL without a response */
    uint8_t *body; /* NUL-terminated past body_len; NULL without a response */
    size_t body_len;
};

/* curl -s --max-time 15 -o BODY -D HEADERS -w %{http_code} OPTIONS... URL,
 * with its files in the test's scratch directory. `options` ends with NULL
 * (may itself be NULL). Free with curl_reply_free. */
void curl_run(struct curl_reply *reply, const char *url, const char *const options[]);
void curl_reply_free(struct curl_reply *reply);

/* POST /control/fault to the responder at 127.0.0.1:PORT as the teacher:
 * LAB's control token and the lab's content type; `body` is "NAME [DELAY]". */
void curl_control_fault(const char *lab, unsigned port, const char *body, struct curl_reply *reply);

#endif
