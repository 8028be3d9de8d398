/* control.c — the gate in front of /control/fault and the two spellings of a
 * fault switch (control.h says who may switch and why). */
#include "control.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "control_token.h"

bool control_media_type_is(const char *value, const char *expected)
{
    size_t n = strlen(expected);
    if (value == NULL || strncasecmp(value, expected, n) != 0)
        return false;
    return value[n] == 0 || value[n] == ';' || value[n] == ' ' || value[n] == '\t';
}

static bool is_loopback(const char *client_addr)
{
    return client_addr != NULL &&
           (strncmp(client_addr, "127.", 4) == 0 || strcmp(client_addr, "::1") == 0);
}

enum control_verdict control_check(const char *lab_token, const struct control_request *req)
{
    /* Without a token in the lab nobody can prove to be the teacher, so the
     * door stays shut rather than open. */
    if (lab_token == NULL)
        return CONTROL_NO_LAB_TOKEN;
    /* Loopback alone is not enough (every simulated user is on 127.x), but
     * nothing from another machine should even get to try a token. */
    if (!is_loopback(req->client_addr))
        return CONTROL_NOT_LOOPBACK;
    /* Browsers send Origin with every cross-site POST and with fetch(); the
     * scenario runner, curl and the tests never do. A page the class opens
     * must not be able to switch faults, token or not. */
    if (req->origin != NULL)
        return CONTROL_HAS_ORIGIN;
    if (req->token == NULL || req->token[0] == 0)
        return CONTROL_NO_TOKEN;
    if (!control_token_matches(lab_token, req->token))
        return CONTROL_WRONG_TOKEN;
    /* A plain HTML form can post only text/plain, urlencoded or multipart
     * without a CORS preflight; neither of ours is among them. */
    if (req->is_post && !control_media_type_is(req->content_type, CONTROL_CONTENT_TYPE) &&
        !control_media_type_is(req->content_type, "application/json"))
        return CONTROL_WRONG_TYPE;
    return CONTROL_ALLOWED;
}

unsigned control_verdict_status(enum control_verdict verdict)
{
    return verdict == CONTROL_ALLOWED ? 200 : verdict == CONTROL_WRONG_TYPE ? 415 : 403;
}

const char *control_verdict_reason(enum control_verdict verdict)
{
    switch (verdict) {
    case CONTROL_ALLOWED:
        return "allowed";
    case CONTROL_NO_LAB_TOKEN:
        return "no control token in the lab (run 'ca init')";
    case CONTROL_NOT_LOOPBACK:
        return "faults are switched from loopback only";
    case CONTROL_HAS_ORIGIN:
        return "a request with an Origin header (from a web page) may not switch faults";
    case CONTROL_NO_TOKEN:
        return "missing " CONTROL_TOKEN_HEADER " header";
    case CONTROL_WRONG_TOKEN:
        return "wrong control token";
    case CONTROL_WRONG_TYPE:
        return "use Content-Type: " CONTROL_CONTENT_TYPE " or application/json";
    }
    return "refused";
}

/* "2s" -> 2000; the same bounds as --delay. */
static int parse_delay(const char *text, int *delay_ms, const char **why)
{
    int64_t seconds = 0;
    if (clock_parse_duration(text, &seconds) != 0 || seconds < 1 ||
        seconds > FAULT_MAX_DELAY_MS / 1000) {
        *why = "bad delay: use a duration from 1s to 120s, e.g. 2s";
        return -1;
    }
    *delay_ms = (int)seconds * 1000;
    return 0;
}

static int parse_text(const uint8_t *body, size_t body_len, enum responder_fault *fault,
                      int *delay_ms, const char **why)
{
    char text[128], name[32] = "", delay_text[32] = "", extra[2] = "";
    /* A longer body is not a fault switch; refusing beats truncating it. */
    if (body_len >= sizeof text || memchr(body, 0, body_len) != NULL) {
        *why = "a fault switch is one short line: NAME [DELAY]";
        return -1;
    }
    memcpy(text, body, body_len);
    text[body_len] = 0;
    int fields = sscanf(text, "%31s %31s %1s", name, delay_text, extra);
    if (fields == 3) {
        *why = "a fault switch is one short line: NAME [DELAY]";
        return -1;
    }
    if (fields < 1 || fault_parse(name, fault) != 0) {
        *why = "unknown fault: use one of " FAULT_NAMES;
        return -1;
    }
    if (fields == 2)
        return parse_delay(delay_text, delay_ms, why);
    return 0;
}

static int parse_json(const uint8_t *body, size_t body_len, enum responder_fault *fault,
                      int *delay_ms, const char **why)
{
    json_error_t error;
    int rc = -1;
    json_t *doc = json_loadb((const char *)body, body_len, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object(doc)) {
        *why = "the body is not a JSON object like {\"fault\": \"slow\", \"delay\": \"2s\"}";
        goto out;
    }
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value)
    {
        if (strcmp(key, "fault") != 0 && strcmp(key, "delay") != 0) {
            *why = "unknown field: a fault switch has only \"fault\" and \"delay\"";
            goto out;
        }
    }
    json_t *name = json_object_get(doc, "fault");
    json_t *delay = json_object_get(doc, "delay");
    if (!json_is_string(name) || fault_parse(json_string_value(name), fault) != 0) {
        *why = "unknown fault: use one of " FAULT_NAMES;
        goto out;
    }
    if (delay != NULL) {
        if (!json_is_string(delay)) {
            *why = "bad delay: use a duration from 1s to 120s, e.g. \"2s\"";
            goto out;
        }
        if (parse_delay(json_string_value(delay), delay_ms, why) != 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

int control_parse_switch(const char *content_type, const uint8_t *body, size_t body_len,
                         enum responder_fault *fault, int *delay_ms, const char **why)
{
    *delay_ms = 0;
    *fault = FAULT_NONE;
    if (control_media_type_is(content_type, "application/json"))
        return parse_json(body, body_len, fault, delay_ms, why);
    return parse_text(body, body_len, fault, delay_ms, why);
}
