/* visit.c — one user's visit: the rules of visit.h in order, each step a
 * trace event (DESIGN 5) a student can follow. RFC 6960 (OCSP), RFC 6066 8
 * (status_request), RFC 7633 (must-staple), RFC 8954 (nonce). */
#include "visit.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "certstatus.h"
#include "certstore.h"
#include "cli.h"
#include "clock.h"
#include "ocsp.h"
#include "ocsp_fetch.h"
#include "ocsp_verify.h"
#include "trace.h"

#define USER_AGENT "ocsp-lab-browser/" OCSPLAB_VERSION

/* How a staple (or its absence) leaves the visit. */
enum staple_class {
    STAPLE_ABSENT,   /* none asked for, none sent, or nothing known */
    STAPLE_GOOD,     /* accepted: no need to ask the CA */
    STAPLE_SOFT_BAD, /* stale, not yet valid or unsuccessful: like none at all */
    STAPLE_HARD_BAD, /* revoked, or forged/broken: the visit is refused */
};

struct visit {
    const struct visit_config *config;
    struct visit_outcome *out;
    const char *site;
    int64_t started_ms;
    struct tls_client_config tls;
    struct tls_client_result result;    /* of the current connection */
    struct tls_client_session *session; /* open after a completed handshake */
    bool has_leaf;
    struct der_buf leaf_der;            /* the server's certificate, kept across reconnects */
    struct x509_cert leaf;
    char serial[2 * 20 + 1];
    char no_staple_why[128];            /* why there is no acceptable staple, short */
    char staple_reason[VISIT_REASON_MAX]; /* a stale/not-yet-valid/unsuccessful staple's reason */
    char staple_detail[640];            /* ... and the verifier's words about it */
    char staple_good_why[1024];         /* what a good staple said, for the verdict */
};

const char *visit_checker_name(enum visit_checker checker)
{
    return checker == VISIT_CHECKED_BY_LAB       ? "lab"
           : checker == VISIT_CHECKED_BY_WOLFSSL ? "wolfSSL"
                                                 : "";
}

/* The fields every browser event carries, plus `extra` (may be NULL, stolen). */
static json_t *fields(const struct visit *v, json_t *extra)
{
    json_t *f = json_pack("{s:i, s:s, s:s}", "user", v->out->user, "addr", v->out->addr, "site",
                          v->site);
    if (f != NULL && extra != NULL)
        json_object_update(f, extra);
    json_decref(extra);
    return f;
}

static void set_text(char *out, size_t cap, const char *text)
{
    snprintf(out, cap, "%s", text);
}

static void decide(struct visit *v, bool is_accepted, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the verdict; the first decision stands. */
static void decide(struct visit *v, bool is_accepted, const char *reason, const char *fmt, ...)
{
    if (v->out->reason[0] != 0)
        return;
    va_list ap;
    v->out->is_accepted = is_accepted;
    set_text(v->out->reason, sizeof v->out->reason, reason);
    va_start(ap, fmt);
    vsnprintf(v->out->explanation, sizeof v->out->explanation, fmt, ap);
    va_end(ap);
}

static void fmt_time(int64_t t, char out[CLOCK_RFC3339_LEN])
{
    clock_format_rfc3339(t * 1000, out, CLOCK_RFC3339_LEN);
}

/* ---- The TLS connection --------------------------------------------------------- */

/* Opens a connection (asking for a staple or not) and traces how it went. */
static void connect_once(struct visit *v, bool asks_staple)
{
    const struct visit_config *c = v->config;
    v->tls = (struct tls_client_config){
        .server_name = c->target->name,
        .server_addr = c->target->addr,
        .port = c->target->port,
        .path = c->target->path,
        .source_addr = v->out->addr,
        .root_pem = c->root_pem,
        .root_pem_len = c->root_pem_len,
        .versions = c->versions,
        .wants_staple = asks_staple,
        .timeout_ms = c->timeout_ms,
        .user_agent = USER_AGENT,
    };
    const char *versions = c->versions == TLS_CHOICE_12   ? "TLS 1.2"
                           : c->versions == TLS_CHOICE_13 ? "TLS 1.3"
                                                          : "TLS 1.2 or 1.3";
    trace_event("tls.client_hello",
                fields(v, json_pack("{s:b, s:s, s:i}", "status_request", asks_staple, "versions",
                                    versions, "port", (int)c->target->port)),
                asks_staple ? "User %d asked %s for a stapled OCSP response (%s, from %s)."
                            : "User %d connected to %s without asking for a staple (%s, from %s).",
                v->out->user, v->site, versions, v->out->addr);
    tls_client_result_free(&v->result);
    bool is_open = tls_client_open(&v->tls, &v->result, &v->session) == 0;
    struct tls_client_result *r = &v->result;
    if (r->has_version)
        set_text(v->out->tls_version, sizeof v->out->tls_version, r->is_tls13 ? "1.3" : "1.2");
    if (r->stage == TLS_STAGE_SETUP || r->stage == TLS_STAGE_CONNECT) {
        trace_event("tls.connect.failed", fields(v, json_pack("{s:s}", "error", r->error)),
                    "User %d could not connect to %s: %s.", v->out->user, v->site, r->error);
        return;
    }
    if (!is_open) {
        trace_event("tls.handshake.failed",
                    fields(v, json_pack("{s:s, s:s, s:i, s:s}", "version",
                                        tls_client_version_name(r), "error", r->error,
                                        "wolfssl_error", r->wolfssl_error, "wolfssl_error_name",
                                        r->wolfssl_error_name)),
                    "User %d's %s handshake with %s failed: %s.", v->out->user,
                    tls_client_version_name(r), v->site, r->error);
        return;
    }
    trace_event("tls.handshake.done",
                fields(v, json_pack("{s:s, s:I, s:b, s:I}", "version", tls_client_version_name(r),
                                    "ms", (json_int_t)r->handshake_ms, "certificate_status",
                                    r->has_certificate_status, "certificate_status_bytes",
                                    (json_int_t)r->certificate_status.len)),
                "User %d completed a %s handshake with %s in %lld ms: the certificate chain "
                "leads to the lab's root and names %s.", v->out->user, tls_client_version_name(r),
                v->site, (long long)r->handshake_ms, v->site);
}

/* Keeps the server's certificate of the current connection. Returns false
 * when a reconnect brought a different certificate than the first time. */
static bool take_leaf(struct visit *v)
{
    struct errbuf err = {{0}};
    const struct tls_client_result *r = &v->result;
    if (!r->has_peer_cert)
        return true;
    if (v->has_leaf) {
        return v->leaf_der.len == r->peer_cert.len &&
               memcmp(v->leaf_der.data, r->peer_cert.data, r->peer_cert.len) == 0;
    }
    if (der_write_raw(&v->leaf_der, r->peer_cert.data, r->peer_cert.len) != DER_OK ||
        x509_parse(&v->leaf, v->leaf_der.data, v->leaf_der.len, &err) != 0) {
        der_buf_free(&v->leaf_der);
        return true; /* wolfSSL accepted it; our reader does not: no must-staple/AIA view */
    }
    size_t n = v->leaf.serial.left > 20 ? 20 : v->leaf.serial.left;
    certstore_hex(v->leaf.serial.p, n, v->serial);
    v->has_leaf = true;
    return true;
}

/* ---- The staple ----------------------------------------------------------------- */

static enum staple_class class_of(enum ocsp_verdict_reason reason)
{
    switch (reason) {
    case OCSP_VERDICT_GOOD:
        return STAPLE_GOOD;
    /* Firefox fetches a live answer after an expired staple; a staple that is
     * merely out of date or a responder's "try later" proves nothing bad. */
    case OCSP_VERDICT_STALE:
    case OCSP_VERDICT_NOT_YET_VALID:
    case OCSP_VERDICT_UNSUCCESSFUL:
        return STAPLE_SOFT_BAD;
    default:
        return STAPLE_HARD_BAD;
    }
}

/* TLS 1.2: the lab's verifier judges the bytes wolfSSL's callback copied. */
static enum staple_class judge_staple_bytes(struct visit *v)
{
    const struct tls_client_result *r = &v->result;
    struct ocsp_verdict verdict;
    struct der_cursor response;
    v->out->has_staple = true;
    v->out->staple_checker = VISIT_CHECKED_BY_LAB;
    int framing = certstatus_parse(r->certificate_status.data, r->certificate_status.len,
                                   &response);
    if (framing != CERTSTATUS_OK) {
        memset(&verdict, 0, sizeof verdict);
        verdict.reason = OCSP_VERDICT_MALFORMED;
        snprintf(verdict.explanation, sizeof verdict.explanation,
                 "The server's CertificateStatus message is not well-formed: %s.",
                 certstatus_strerror(framing));
    } else if (!v->has_leaf) {
        memset(&verdict, 0, sizeof verdict);
        verdict.reason = OCSP_VERDICT_MALFORMED;
        snprintf(verdict.explanation, sizeof verdict.explanation,
                 "The staple cannot be checked: the server's certificate could not be read.");
    } else {
        struct ocsp_verify_input in = {
            .cert = &v->leaf, .issuer = v->config->root, .now = clock_now()};
        ocsp_verify_response(response.p, response.left, &in, &verdict);
    }
    const char *name = ocsp_verdict_reason_name(verdict.reason);
    set_text(v->out->staple_status, sizeof v->out->staple_status, name);
    /* wolfSSL ran its own check too; say where the two disagree. */
    bool wolfssl_refused = r->staple_refusal == TLS_STAPLE_REFUSAL_REVOKED ||
                           r->staple_refusal == TLS_STAPLE_REFUSAL_BAD;
    char a[CLOCK_RFC3339_LEN] = "", b[CLOCK_RFC3339_LEN] = "";
    if (verdict.this_update != 0)
        fmt_time(verdict.this_update, a);
    if (verdict.has_next_update)
        fmt_time(verdict.next_update, b);
    trace_event("staple.verify",
                fields(v, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "checked_by", "lab",
                                    "reason", name, "explanation", verdict.explanation, "bytes",
                                    (json_int_t)response.left, "this_update", a, "next_update", b,
                                    "signer", verdict.signer, "wolfssl",
                                    wolfssl_refused ? r->wolfssl_error_name : "accepted")),
                "User %d checked the stapled OCSP response with the lab's verifier (TLS 1.2 "
                "sends it in the clear): %s. %s%s", v->out->user, name, verdict.explanation,
                verdict.reason == OCSP_VERDICT_GOOD && wolfssl_refused
                    ? " (wolfSSL's own, stricter check refused it and ended the handshake.)"
                : verdict.reason != OCSP_VERDICT_GOOD && !wolfssl_refused
                    ? " (wolfSSL's own check had let it pass.)"
                    : "");
    enum staple_class cls = class_of(verdict.reason);
    if (cls == STAPLE_HARD_BAD)
        decide(v, false, name, "The stapled OCSP response was refused: %s",
               verdict.explanation);
    else if (cls == STAPLE_GOOD)
        snprintf(v->staple_good_why, sizeof v->staple_good_why,
                 "The server stapled the CA's OCSP response and the lab's verifier checked every "
                 "rule: %s The browser did not need to ask the CA.%s", verdict.explanation,
                 wolfssl_refused ? " (wolfSSL's own check refused it, for example it allows no "
                                   "clock skew, and ended the first handshake; the browser "
                                   "connected again without asking for a staple.)"
                                 : "");
    else {
        snprintf(v->no_staple_why, sizeof v->no_staple_why,
                 "the stapled response was not acceptable (%s)", name);
        set_text(v->staple_reason, sizeof v->staple_reason, name);
        set_text(v->staple_detail, sizeof v->staple_detail, verdict.explanation);
    }
    return cls;
}

/* Why the lab's verifier did not see the staple wolfSSL judged. */
static const char *hidden_why(const struct tls_client_result *r)
{
    return r->is_tls13 ? "TLS 1.3: the staple is encrypted and wolfSSL 5.5.4 does not hand it "
                         "to the application"
                       : "the CertificateStatus message was larger than the browser keeps";
}

/* Judges the staple of the first connection; decides the visit when the
 * staple refuses it (revoked, or a hard error). A good staple's words wait in
 * staple_good_why until the connection is known to be usable. */
static enum staple_class judge_staple(struct visit *v)
{
    const struct tls_client_result *r = &v->result;
    if (!v->config->wants_staple) {
        set_text(v->no_staple_why, sizeof v->no_staple_why,
                 "the browser did not ask for a staple (--staple off)");
        return STAPLE_ABSENT;
    }
    if (r->has_certificate_status)
        return judge_staple_bytes(v);
    if (r->staple_refusal == TLS_STAPLE_REFUSAL_REVOKED ||
        r->staple_refusal == TLS_STAPLE_REFUSAL_BAD) {
        bool is_revoked = r->staple_refusal == TLS_STAPLE_REFUSAL_REVOKED;
        v->out->has_staple = true;
        v->out->staple_checker = VISIT_CHECKED_BY_WOLFSSL;
        set_text(v->out->staple_status, sizeof v->out->staple_status,
                 is_revoked ? "revoked" : "bad-staple");
        trace_event("staple.verify",
                    fields(v, json_pack("{s:s, s:s, s:s}", "checked_by", "wolfSSL", "reason",
                                        v->out->staple_status, "wolfssl_error",
                                        r->wolfssl_error_name)),
                    "wolfSSL refused the stapled OCSP response of user %d (%s) and ended the "
                    "handshake; the lab's verifier could not name the rule (%s).",
                    v->out->user, r->wolfssl_error_name, hidden_why(r));
        if (is_revoked)
            decide(v, false, "revoked",
                   "The stapled OCSP response says the certificate is REVOKED; checked by "
                   "wolfSSL (%s).", hidden_why(r));
        else
            decide(v, false, "bad-staple",
                   "wolfSSL refused the stapled OCSP response (%s): it did not parse, was not "
                   "signed by the CA, was about another certificate, was out of date or did not "
                   "say good. Checked by wolfSSL (%s), so which rule failed is not known.",
                   r->wolfssl_error_name, hidden_why(r));
        return STAPLE_HARD_BAD;
    }
    if (r->wolfssl_accepted_staple) {
        v->out->has_staple = true;
        v->out->staple_checker = VISIT_CHECKED_BY_WOLFSSL;
        set_text(v->out->staple_status, sizeof v->out->staple_status, "good");
        trace_event("staple.verify",
                    fields(v, json_pack("{s:s, s:s}", "checked_by", "wolfSSL", "reason", "good")),
                    "wolfSSL checked the stapled OCSP response of user %d and accepted it "
                    "(good); wolfSSL's check decided, not the lab's verifier (%s).",
                    v->out->user, hidden_why(r));
        snprintf(v->staple_good_why, sizeof v->staple_good_why,
                 "The server stapled an OCSP response that says good; checked by wolfSSL (%s). "
                 "The browser did not need to ask the CA.", hidden_why(r));
        return STAPLE_GOOD;
    }
    if (r->staple_refusal == TLS_STAPLE_REFUSAL_MISSING)
        set_text(v->no_staple_why, sizeof v->no_staple_why,
                 "the server acknowledged status_request but sent no staple");
    else if (v->session != NULL)
        set_text(v->no_staple_why, sizeof v->no_staple_why, "the server sent no staple");
    else
        return STAPLE_ABSENT; /* the handshake failed before any staple could come */
    trace_event("staple.none", fields(v, json_pack("{s:s}", "why", v->no_staple_why)),
                "User %d got no stapled OCSP response from %s: %s.", v->out->user, v->site,
                v->no_staple_why);
    return STAPLE_ABSENT;
}

/* ---- Asking the CA directly ---------------------------------------------------------- */

/* The policy decides when revocation could not be checked. Under hard-fail
 * the refusal carries the reason of a staple that was merely unusable
 * (stale, ...), since that is what a student wants to see; otherwise
 * "hard-fail". */
static void unchecked(struct visit *v, const char *why)
{
    const char *detail_intro = v->staple_detail[0] != 0 ? " About the staple: " : "";
    if (v->config->is_hard_fail)
        decide(v, false, v->staple_reason[0] != 0 ? v->staple_reason : "hard-fail",
               "Revocation could not be checked: %s. The hard-fail policy refuses a "
               "certificate it could not check.%s%s", why, detail_intro, v->staple_detail);
    else
        decide(v, true, "soft-fail",
               "soft-fail: accepted without checking revocation: %s. An attacker who can block "
               "the CA's responder would get a revoked certificate accepted this way.%s%s",
               why, detail_intro, v->staple_detail);
}

/* --fallback none: without an acceptable staple the policy decides at once. */
static void no_query(struct visit *v)
{
    char why[sizeof v->no_staple_why + 64];
    snprintf(why, sizeof why, "%s, and direct OCSP queries are off (--fallback none)",
             v->no_staple_why);
    unchecked(v, why);
}

static void query_responder(struct visit *v)
{
    char url[512], why[768];
    uint8_t nonce[VISIT_NONCE_LEN];
    struct ocsp_cert_id_value id;
    struct der_buf request = {0};
    struct ocsp_fetch_result fetched = {0};
    struct ocsp_verdict verdict;
    struct errbuf err = {{0}};
    WC_RNG rng;

    if (!v->has_leaf || x509_ocsp_url(&v->leaf, url, sizeof url) != 0) {
        snprintf(why, sizeof why, "%s, and the certificate names no OCSP responder to ask",
                 v->no_staple_why);
        unchecked(v, why);
        return;
    }
    if (wc_InitRng(&rng) != 0) {
        snprintf(why, sizeof why, "%s, and no random numbers for a nonce", v->no_staple_why);
        unchecked(v, why);
        return;
    }
    int random_rc = wc_RNG_GenerateBlock(&rng, nonce, sizeof nonce);
    wc_FreeRng(&rng);
    if (random_rc != 0 ||
        ocsp_cert_id_compute(&v->leaf, v->config->root, OCSP_HASH_SHA1, &id, &err) != 0 ||
        ocsp_request_build(&id, nonce, sizeof nonce, &request, &err) != 0) {
        snprintf(why, sizeof why, "%s, and the OCSP request could not be built: %s",
                 v->no_staple_why, random_rc != 0 ? "no random nonce" : err.msg);
        unchecked(v, why);
        goto out;
    }
    struct ocsp_fetch_options opts = {
        .url = url,
        .method = OCSP_FETCH_POST, /* RFC 5019 GETs are cacheable; a nonce must not be */
        .user_agent = USER_AGENT,
        .source_addr = v->out->addr,
        .timeout_ms = VISIT_OCSP_TIMEOUT_MS,
        .connect_timeout_ms = VISIT_OCSP_TIMEOUT_MS,
    };
    v->out->did_query = true;
    trace_event("ocsp.request.sent",
                fields(v, json_pack("{s:s, s:s, s:s, s:i, s:s}", "url", url, "serial", v->serial,
                                    "method", "POST", "nonce_bytes", (int)sizeof nonce, "why",
                                    v->no_staple_why)),
                "User %d asked the CA's responder about %s's certificate, because %s. The CA "
                "now learns that %s visits %s.", v->out->user, v->site, v->no_staple_why,
                v->out->addr, v->site);
    if (ocsp_fetch(&opts, request.data, request.len, &fetched, &err) != 0) {
        set_text(v->out->query_status, sizeof v->out->query_status, "failed");
        trace_event("ocsp.request.failed",
                    fields(v, json_pack("{s:s, s:s, s:i}", "url", url, "error", err.msg,
                                        "http_status", (int)fetched.http_status)),
                    "User %d got no answer from the CA's responder: %s.", v->out->user, err.msg);
        snprintf(why, sizeof why, "%s, and the CA's responder could not be asked: %s",
                 v->no_staple_why, err.msg);
        unchecked(v, why);
        goto out;
    }
    struct ocsp_verify_input in = {
        .cert = &v->leaf,
        .issuer = v->config->root,
        .now = clock_now(),
        .nonce = nonce,
        .nonce_len = sizeof nonce,
    };
    ocsp_verify_response(fetched.body.data, fetched.body.len, &in, &verdict);
    const char *name = ocsp_verdict_reason_name(verdict.reason);
    set_text(v->out->query_status, sizeof v->out->query_status, name);
    trace_event("ocsp.response.received",
                fields(v, json_pack("{s:s, s:s, s:s, s:I, s:f}", "url", url, "reason", name,
                                    "explanation", verdict.explanation, "bytes",
                                    (json_int_t)fetched.body.len, "seconds", fetched.seconds)),
                "User %d checked the CA's answer with the lab's verifier: %s. %s", v->out->user,
                name, verdict.explanation);
    if (verdict.reason == OCSP_VERDICT_GOOD)
        decide(v, true, "good",
               "The CA's responder answered the browser's own query (from %s, with a fresh "
               "nonce): %s", v->out->addr, verdict.explanation);
    else if (verdict.reason == OCSP_VERDICT_REVOKED || verdict.reason == OCSP_VERDICT_UNKNOWN)
        decide(v, false, name, "The CA's responder answered the browser's own query: %s",
               verdict.explanation);
    else {
        snprintf(why, sizeof why, "%s, and the CA's answer was not acceptable (%s: %s)",
                 v->no_staple_why, name, verdict.explanation);
        unchecked(v, why);
    }
out:
    explicit_bzero(nonce, sizeof nonce);
    der_buf_free(&request);
    der_buf_free(&fetched.body);
}

/* ---- The whole visit -------------------------------------------------------------------- */

static bool is_must_staple(const struct visit *v)
{
    return v->has_leaf && x509_is_must_staple(&v->leaf);
}

static void refuse_must_staple(struct visit *v)
{
    decide(v, false, "must-staple",
           "The certificate demands a stapled OCSP response (TLS Feature status_request, RFC "
           "7633) and %s: refused whatever the policy.%s%s", v->no_staple_why,
           v->staple_detail[0] != 0 ? " About the staple: " : "", v->staple_detail);
}

/* After wolfSSL ended the first handshake over its staple check, the rules
 * may still allow the visit: reconnect once without status_request. */
static bool reconnect(struct visit *v, const char *why)
{
    v->out->did_reconnect = true;
    trace_event("tls.reconnect",
                fields(v, json_pack("{s:s, s:s}", "why", why, "wolfssl_error",
                                    v->result.wolfssl_error_name)),
                "User %d connects again without asking for a staple: wolfSSL ended the first "
                "handshake (%s), but %s.", v->out->user, v->result.wolfssl_error_name, why);
    connect_once(v, false);
    if (v->session == NULL) {
        decide(v, false, v->result.stage <= TLS_STAGE_CONNECT ? "connect-error" : "tls-error",
               "The second connection to %s failed: %s.", v->site, v->result.error);
        return false;
    }
    if (!take_leaf(v)) {
        decide(v, false, "tls-error",
               "On the second connection %s presented a different certificate than on the "
               "first, so the first connection's staple does not cover it.", v->site);
        return false;
    }
    return true;
}

static void trace_verdict(const struct visit *v)
{
    const struct visit_outcome *o = v->out;
    trace_event("browser.verdict",
                fields(v, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:b, s:s, s:b, s:I, s:i}",
                                    "verdict", o->is_accepted ? "accept" : "refuse", "reason",
                                    o->reason, "tls", o->tls_version, "staple", o->has_staple,
                                    "staple_status", o->staple_status, "checked_by",
                                    visit_checker_name(o->staple_checker), "direct_ocsp",
                                    o->did_query, "query_status", o->query_status,
                                    "reconnected", o->did_reconnect, "ms", (json_int_t)o->ms,
                                    "http_status", o->http_status)),
                "User %d %s %s (%s): %s", o->user, o->is_accepted ? "ACCEPTED" : "REFUSED",
                v->site, o->reason, o->explanation);
}

/* Only an accepted site gets its GET; a page that does not come back turns
 * the verdict into a refusal ("http-error"). */
static void fetch_page(struct visit *v)
{
    const struct tls_client_result *r = &v->result;
    struct visit_outcome *out = v->out;
    if (tls_client_get(v->session) != 0) {
        trace_event("http.failed", fields(v, json_pack("{s:s}", "error", r->error)),
                    "User %d accepted %s but the page did not load: %s.", out->user, v->site,
                    r->error);
        out->is_accepted = false;
        set_text(out->reason, sizeof out->reason, "http-error");
        snprintf(out->explanation, sizeof out->explanation,
                 "The certificate passed, but the page did not load: %s.", r->error);
        return;
    }
    out->http_status = r->http_status;
    trace_event("http.response",
                fields(v, json_pack("{s:s, s:i, s:I, s:I}", "path", v->config->target->path,
                                    "status", r->http_status, "bytes",
                                    (json_int_t)r->response_bytes, "ms", (json_int_t)r->http_ms)),
                "User %d fetched %s from %s: HTTP %d, %zu bytes.", out->user,
                v->config->target->path, v->site, r->http_status, r->response_bytes);
}

void visit_run(const struct visit_config *config, int user, const char *addr,
               struct visit_outcome *out)
{
    struct visit v = {.config = config, .out = out, .site = config->target->name};

    memset(out, 0, sizeof *out);
    out->user = user;
    set_text(out->addr, sizeof out->addr, addr);
    set_text(out->tls_version, sizeof out->tls_version, "-");
    out->asked_staple = config->wants_staple;
    v.started_ms = clock_monotonic_ms();

    connect_once(&v, config->wants_staple);
    const struct tls_client_result *r = &v.result;
    if (r->stage == TLS_STAGE_SETUP || r->stage == TLS_STAGE_CONNECT) {
        decide(&v, false, "connect-error", "The browser could not connect to %s: %s.", v.site,
               r->error);
        goto out;
    }
    if (v.session == NULL && r->staple_refusal == TLS_STAPLE_REFUSAL_NONE) {
        decide(&v, false, "tls-error", "The TLS handshake with %s failed: %s.", v.site,
               r->error);
        goto out;
    }
    take_leaf(&v);
    enum staple_class staple = judge_staple(&v);
    if (staple == STAPLE_HARD_BAD)
        goto out; /* judge_staple decided */
    if (staple != STAPLE_GOOD && is_must_staple(&v)) {
        refuse_must_staple(&v);
        goto out;
    }
    if (v.session == NULL && staple != STAPLE_GOOD && !config->may_query_ocsp &&
        config->is_hard_fail) {
        no_query(&v); /* refuses: nothing a second connection could change */
        goto out;
    }
    if (v.session == NULL) {
        const char *why = staple == STAPLE_GOOD
                              ? "the lab's verifier accepted the staple it refused"
                          : config->may_query_ocsp ? "the CA can still be asked directly"
                                                   : "the policy decides without a staple";
        if (!reconnect(&v, why))
            goto out;
        if (staple != STAPLE_GOOD && is_must_staple(&v)) {
            refuse_must_staple(&v);
            goto out;
        }
    }
    if (staple == STAPLE_GOOD) {
        decide(&v, true, "good", "%s", v.staple_good_why);
    } else {
        if (config->may_query_ocsp)
            query_responder(&v);
        else
            no_query(&v);
    }
    if (out->is_accepted)
        fetch_page(&v);
out:
    tls_client_close(v.session);
    v.session = NULL;
    out->ms = clock_monotonic_ms() - v.started_ms;
    trace_verdict(&v);
    tls_client_result_free(&v.result);
    der_buf_free(&v.leaf_der);
}
