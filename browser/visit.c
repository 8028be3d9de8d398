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

#include "cli.h"
#include "clock.h"
#include "hex.h"
#include "ocsp.h"
#include "crl_check.h"
#include "ocsp_fetch.h"
#include "ocsp_verify.h"
#include "tls_wire.h"
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
    struct der_buf leaf_der; /* the server's certificate, kept across reconnects */
    struct x509_cert leaf;
    char serial[2 * 20 + 1];
    char no_staple_why[128];              /* why there is no acceptable staple, short */
    char staple_reason[VISIT_REASON_MAX]; /* a stale/not-yet-valid/unsuccessful staple's reason */
    char staple_detail[640];              /* ... and the verifier's words about it */
    char staple_good_why[1024];           /* what a good staple said, for the verdict */
    /* The verifier's verdict on the staple, reached during the handshake
     * (judge_in_handshake) or after it (an undecodable staple). */
    bool has_staple_verdict;
    struct ocsp_verdict staple_verdict;
    size_t staple_bytes;
};

const char *visit_checker_name(enum visit_checker checker)
{
    return checker == VISIT_CHECKED_BY_LAB ? "lab" : "";
}

/* The fields every browser event carries, plus `extra` (may be NULL, stolen). */
static json_t *fields(const struct visit *v, json_t *extra)
{
    json_t *f =
        json_pack("{s:i, s:s, s:s}", "user", v->out->user, "addr", v->out->addr, "site", v->site);
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

static enum tls_staple_judgement judge_in_handshake(void *arg, const uint8_t *response,
                                                    size_t response_len, const uint8_t *leaf_der,
                                                    size_t leaf_len);

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
        .judge_staple = judge_in_handshake,
        .judge_arg = v,
        .keylog = c->keylog,
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
        trace_event(
            "tls.handshake.failed",
            fields(v, json_pack("{s:s, s:s, s:i, s:s}", "version", tls_client_version_name(r),
                                "error", r->error, "wolfssl_error", r->wolfssl_error,
                                "wolfssl_error_name", r->wolfssl_error_name)),
            "User %d's %s handshake with %s failed: %s.", v->out->user, tls_client_version_name(r),
            v->site, r->error);
        return;
    }
    trace_event(
        "tls.handshake.done",
        fields(v, json_pack("{s:s, s:I, s:b, s:I}", "version", tls_client_version_name(r), "ms",
                            (json_int_t)r->handshake_ms, "stapled", r->was_staple_judged,
                            "staple_bytes", (json_int_t)r->staple.len)),
        "User %d completed a %s handshake with %s in %lld ms: the certificate chain "
        "leads to the lab's root and names %s.",
        v->out->user, tls_client_version_name(r), v->site, (long long)r->handshake_ms, v->site);
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
    hex_encode(v->leaf.serial.p, n, v->serial);
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

static void verdict_malformed(struct ocsp_verdict *verdict, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void verdict_malformed(struct ocsp_verdict *verdict, const char *fmt, ...)
{
    va_list ap;
    memset(verdict, 0, sizeof *verdict);
    verdict->reason = OCSP_VERDICT_MALFORMED;
    va_start(ap, fmt);
    vsnprintf(verdict->explanation, sizeof verdict->explanation, fmt, ap);
    va_end(ap);
}

/* The lab's verifier on the leaf's stapled OCSPResponse, inside the
 * handshake (tls_client.h): its verdict is kept for the visit, and a fatal
 * one ends the handshake as a real browser does. */
static enum tls_staple_judgement judge_in_handshake(void *arg, const uint8_t *response,
                                                    size_t response_len, const uint8_t *leaf_der,
                                                    size_t leaf_len)
{
    struct visit *v = arg;
    struct errbuf err = {{0}};
    struct x509_cert leaf;
    v->has_staple_verdict = true;
    v->staple_bytes = response_len;
    if (x509_parse(&leaf, leaf_der, leaf_len, &err) != 0) {
        verdict_malformed(&v->staple_verdict,
                          "The staple cannot be checked: the server's certificate could not be "
                          "read (%.200s).",
                          err.msg);
    } else {
        struct ocsp_verify_input in = {
            .cert = &leaf, .issuer = v->config->root, .now = clock_now()};
        ocsp_verify_response(response, response_len, &in, &v->staple_verdict);
    }
    switch (class_of(v->staple_verdict.reason)) {
    case STAPLE_GOOD:
        return TLS_STAPLE_USE;
    case STAPLE_SOFT_BAD:
        return TLS_STAPLE_IGNORE;
    default:
        return TLS_STAPLE_FATAL;
    }
}

/* A staple wolfSSL could not decode (garbage, a bare tryLater): the browser
 * frames the CertificateStatus it recovered and runs the verifier on it. */
static void judge_undecodable(struct visit *v)
{
    const struct tls_client_result *r = &v->result;
    struct der_cursor response;
    v->has_staple_verdict = true;
    if (!r->has_certificate_status) {
        verdict_malformed(&v->staple_verdict,
                          "The stapled response could not be decoded, and the browser could not "
                          "read it back: %s.",
                          r->certificate_status_why);
        return;
    }
    enum tls_certstatus_error framing = tls_read_certificate_status(
        r->certificate_status.data, r->certificate_status.len, &response);
    if (framing != TLS_CERTSTATUS_OK) {
        verdict_malformed(&v->staple_verdict,
                          "The server's CertificateStatus is not well-formed: %s.",
                          tls_certstatus_strerror(framing));
        v->staple_bytes = r->certificate_status.len;
        return;
    }
    v->staple_bytes = response.left;
    if (!v->has_leaf) {
        verdict_malformed(&v->staple_verdict,
                          "The staple cannot be checked: the server's certificate could not be "
                          "read.");
        return;
    }
    struct ocsp_verify_input in = {.cert = &v->leaf, .issuer = v->config->root, .now = clock_now()};
    ocsp_verify_response(response.p, response.left, &in, &v->staple_verdict);
}

/* Traces the verdict on the staple and turns it into the visit's path. */
static enum staple_class conclude_staple(struct visit *v)
{
    const struct tls_client_result *r = &v->result;
    const struct ocsp_verdict *verdict = &v->staple_verdict;
    const char *name = ocsp_verdict_reason_name(verdict->reason);
    v->out->has_staple = true;
    v->out->staple_checker = VISIT_CHECKED_BY_LAB;
    set_text(v->out->staple_status, sizeof v->out->staple_status, name);
    char a[CLOCK_RFC3339_LEN] = "", b[CLOCK_RFC3339_LEN] = "";
    if (verdict->this_update != 0)
        clock_format_rfc3339_seconds(verdict->this_update, a, sizeof a);
    if (verdict->has_next_update)
        clock_format_rfc3339_seconds(verdict->next_update, b, sizeof b);
    enum staple_class cls = class_of(verdict->reason);
    const char *where = r->is_tls13 ? "inside the encrypted Certificate message (TLS 1.3)"
                                    : "in the CertificateStatus message (TLS 1.2)";
    const char *ending = cls == STAPLE_HARD_BAD ? " The browser ended the handshake."
                         : r->is_staple_undecodable
                             ? " wolfSSL had already ended the handshake: it cannot decode such "
                               "a response."
                             : "";
    trace_event(
        "staple.verify",
        fields(v, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:b}", "checked_by", "lab",
                            "reason", name, "explanation", verdict->explanation, "bytes",
                            (json_int_t)v->staple_bytes, "this_update", a, "next_update", b,
                            "signer", verdict->signer, "tls", r->is_tls13 ? "1.3" : "1.2",
                            "decoded_by_wolfssl", !r->is_staple_undecodable)),
        "User %d checked the stapled OCSP response, received %s, with the lab's "
        "verifier: %s. %s%s",
        v->out->user, where, name, verdict->explanation, ending);
    if (cls == STAPLE_HARD_BAD)
        decide(v, false, name, "The stapled OCSP response was refused: %s", verdict->explanation);
    else if (cls == STAPLE_GOOD)
        snprintf(v->staple_good_why, sizeof v->staple_good_why,
                 "The server stapled the CA's OCSP response and the lab's verifier checked every "
                 "rule: %s The browser did not need to ask the CA.",
                 verdict->explanation);
    else {
        snprintf(v->no_staple_why, sizeof v->no_staple_why,
                 "the stapled response was not acceptable (%s)", name);
        set_text(v->staple_reason, sizeof v->staple_reason, name);
        set_text(v->staple_detail, sizeof v->staple_detail, verdict->explanation);
    }
    return cls;
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
    if (r->is_staple_undecodable)
        judge_undecodable(v);
    if (v->has_staple_verdict)
        return conclude_staple(v);
    if (v->session == NULL)
        return STAPLE_ABSENT; /* the handshake failed before any staple could come */
    set_text(v->no_staple_why, sizeof v->no_staple_why, "the server sent no staple");
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
               "certificate it could not check.%s%s",
               why, detail_intro, v->staple_detail);
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
    /* --ocsp get asks as RFC 5019 and Firefox do: a GET without a nonce,
     * which an HTTP cache may answer for everyone; a POST with a fresh
     * nonce must be signed for this user alone. */
    bool by_get = v->config->queries_by_get;
    if (random_rc != 0 ||
        ocsp_cert_id_compute(&v->leaf, v->config->root, OCSP_HASH_SHA1, &id, &err) != 0 ||
        ocsp_request_build(&id, by_get ? NULL : nonce, by_get ? 0 : sizeof nonce, &request, &err) !=
            0) {
        snprintf(why, sizeof why, "%s, and the OCSP request could not be built: %s",
                 v->no_staple_why, random_rc != 0 ? "no random nonce" : err.msg);
        unchecked(v, why);
        goto out;
    }
    struct ocsp_fetch_options opts = {
        .url = url,
        .method = by_get ? OCSP_FETCH_GET : OCSP_FETCH_POST,
        .user_agent = USER_AGENT,
        .source_addr = v->out->addr,
        .timeout_ms = VISIT_OCSP_TIMEOUT_MS,
        .connect_timeout_ms = VISIT_OCSP_TIMEOUT_MS,
    };
    v->out->did_query = true;
    trace_event("ocsp.request.sent",
                fields(v, json_pack("{s:s, s:s, s:s, s:i, s:s}", "url", url, "serial", v->serial,
                                    "method", by_get ? "GET" : "POST", "nonce_bytes",
                                    by_get ? 0 : (int)sizeof nonce, "why", v->no_staple_why)),
                "User %d asked the CA's responder about %s's certificate, because %s. The CA "
                "now learns that %s visits %s.",
                v->out->user, v->site, v->no_staple_why, v->out->addr, v->site);
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
        .nonce = by_get ? NULL : nonce,
        .nonce_len = by_get ? 0 : sizeof nonce,
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
               "The CA's responder answered the browser's own query (from %s, %s): %s",
               v->out->addr,
               by_get ? "by GET without a nonce, so possibly from a cache" : "with a fresh nonce",
               verdict.explanation);
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

/* --fallback crl: the CRL of the certificate's distribution point decides. */
static void check_crl(struct visit *v)
{
    struct crl_check_config config = {
        .issuer = v->config->root,
        .cache_dir = v->config->crl_cache_dir,
        .user_agent = USER_AGENT,
    };
    struct crl_check_result r;
    char why[1400];
    if (!v->has_leaf) {
        unchecked(v, "the server sent no certificate to look up");
        return;
    }
    crl_check_run(&config, &v->leaf, v->out->addr, &r);
    v->out->did_crl = r.did_download || r.is_from_cache;
    v->out->is_crl_from_cache = r.is_from_cache;
    set_text(v->out->crl_status, sizeof v->out->crl_status, r.reason);
    if (r.did_download)
        trace_event("crl.download",
                    fields(v, json_pack("{s:s, s:s, s:I, s:f, s:s}", "url", r.url, "reason",
                                        r.reason, "bytes", (json_int_t)r.bytes, "seconds",
                                        r.seconds, "why", v->no_staple_why)),
                    "User %d downloaded the CA's whole CRL from %s (%zu bytes), because %s. The "
                    "CA learns that %s checks revocation, not which site.",
                    v->out->user, r.url, r.bytes, v->no_staple_why, v->out->addr);
    else if (r.is_from_cache)
        trace_event("crl.cache.hit",
                    fields(v, json_pack("{s:s, s:I}", "url", r.url, "bytes", (json_int_t)r.bytes)),
                    "User %d used the CRL already in the shared cache (%zu bytes): no request "
                    "to the CA.",
                    v->out->user, r.bytes);
    trace_event("crl.verify",
                fields(v, json_pack("{s:s, s:s, s:I}", "reason", r.reason, "explanation",
                                    r.explanation, "crl_number", (json_int_t)r.verdict.number)),
                "User %d checked the CRL: %s. %s", v->out->user, r.reason, r.explanation);
    if (r.is_good) {
        decide(v, true, "good", "%s", r.explanation);
        return;
    }
    if (r.is_revoked) {
        decide(v, false, "revoked", "%s", r.explanation);
        return;
    }
    snprintf(why, sizeof why, "%s, and the CRL gave no answer (%s: %s)", v->no_staple_why, r.reason,
             r.explanation);
    if (v->config->is_hard_fail)
        decide(v, false, r.reason,
               "Revocation could not be checked: %s. The hard-fail policy refuses a "
               "certificate it could not check.",
               why);
    else
        unchecked(v, why);
}

/* ---- The whole visit -------------------------------------------------------------------- */

static bool is_must_staple(const struct visit *v)
{
    return v->has_leaf && x509_is_must_staple(&v->leaf);
}

/* The pushed list's words for a sentence: "version N, made T, D ago". */
static void revlist_words(const struct visit *v, char *out, size_t cap)
{
    char made[CLOCK_RFC3339_LEN], age[32];
    const struct revlist *list = v->config->revlist;
    clock_format_rfc3339_seconds(list->produced_at, made, sizeof made);
    clock_format_duration(clock_now() - list->produced_at, age, sizeof age);
    snprintf(out, cap, "version %llu, %zu revoked serial%s, made %s, %s ago",
             (unsigned long long)list->version, list->count, list->count == 1 ? "" : "s", made,
             age);
}

/* A listed serial is refused from the list alone: no request to anyone. */
static bool refused_by_revlist(struct visit *v)
{
    char words[160];
    const struct revlist *list = v->config->revlist;
    if (list == NULL || !v->has_leaf ||
        !revlist_contains(list, v->leaf.serial.p, v->leaf.serial.left))
        return false;
    v->out->did_revlist = true;
    revlist_words(v, words, sizeof words);
    decide(v, false, "revoked",
           "The revocation list pushed to this browser ahead of time (%s) lists this "
           "certificate's serial: refused without asking the CA anything.",
           words);
    return true;
}

static void accept_by_revlist(struct visit *v)
{
    char words[160];
    v->out->did_revlist = true;
    revlist_words(v, words, sizeof words);
    decide(v, true, "good",
           "The serial is not in the revocation list pushed to this browser (%s): accepted "
           "with no request to the CA, which learns nothing. A revocation after the list was "
           "made stays unseen until the next push.",
           words);
}

static bool is_short_lived(const struct visit *v)
{
    return v->has_leaf && v->leaf.not_after - v->leaf.not_before <= VISIT_SHORT_LIVED_MAX_SECONDS;
}

/* A short-lived certificate stands in for revocation: accepted while valid
 * (the TLS handshake already checked that on the lab clock). */
static void accept_short_lived(struct visit *v)
{
    char until[CLOCK_RFC3339_LEN], lifetime[32], left[32];
    clock_format_rfc3339_seconds(v->leaf.not_after, until, sizeof until);
    clock_format_duration(v->leaf.not_after - v->leaf.not_before, lifetime, sizeof lifetime);
    clock_format_duration(v->leaf.not_after - clock_now(), left, sizeof left);
    decide(v, true, "short-lived",
           "The certificate is short-lived (valid %s in all, until %s), so no revocation check "
           "is needed: were its key stolen, it could be misused only until it expires, %s from "
           "now (the revocation window is what remains of its life).",
           lifetime, until, left);
}

static void refuse_must_staple(struct visit *v)
{
    decide(v, false, "must-staple",
           "The certificate demands a stapled OCSP response (TLS Feature status_request, RFC "
           "7633) and %s: refused whatever the policy.%s%s",
           v->no_staple_why, v->staple_detail[0] != 0 ? " About the staple: " : "",
           v->staple_detail);
}

/* After wolfSSL ended the first handshake over a staple it could not decode
 * (a bare tryLater), the rules may still allow the visit: reconnect once
 * without status_request. */
static bool reconnect(struct visit *v, const char *why)
{
    v->out->did_reconnect = true;
    trace_event("tls.reconnect",
                fields(v, json_pack("{s:s, s:s}", "why", why, "wolfssl_error",
                                    v->result.wolfssl_error_name)),
                "User %d connects again without asking for a staple: wolfSSL ended the first "
                "handshake over a staple it could not decode (%s), but %s.",
                v->out->user, v->result.wolfssl_error_name, why);
    connect_once(v, false);
    if (v->session == NULL) {
        decide(v, false, v->result.stage <= TLS_STAGE_CONNECT ? "connect-error" : "tls-error",
               "The second connection to %s failed: %s.", v->site, v->result.error);
        return false;
    }
    if (!take_leaf(v)) {
        decide(v, false, "tls-error",
               "On the second connection %s presented a different certificate than on the "
               "first, so the first connection's staple does not cover it.",
               v->site);
        return false;
    }
    return true;
}

static void trace_verdict(const struct visit *v)
{
    const struct visit_outcome *o = v->out;
    json_t *extra =
        json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:b, s:s, s:b, s:I, s:b, s:i}", "verdict",
                  o->is_accepted ? "accept" : "refuse", "reason", o->reason, "tls", o->tls_version,
                  "staple", o->has_staple, "staple_status", o->staple_status, "checked_by",
                  visit_checker_name(o->staple_checker), "direct_ocsp", o->did_query,
                  "query_status", o->query_status, "reconnected", o->did_reconnect, "ms",
                  (json_int_t)o->ms, "alone", o->was_alone, "http_status", o->http_status);
    if (extra != NULL && o->did_crl) {
        json_object_set_new(extra, "crl_status", json_string(o->crl_status));
        json_object_set_new(extra, "crl_from_cache", json_boolean(o->is_crl_from_cache));
    }
    trace_event("browser.verdict", fields(v, extra), "User %d %s %s (%s): %s", o->user,
                o->is_accepted ? "ACCEPTED" : "REFUSED", v->site, o->reason, o->explanation);
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

void visit_run(const struct visit_config *config, int user, const char *addr, bool is_alone,
               struct visit_outcome *out)
{
    struct visit v = {.config = config, .out = out, .site = config->target->name};

    memset(out, 0, sizeof *out);
    out->user = user;
    out->was_alone = is_alone;
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
    take_leaf(&v);
    enum staple_class staple = judge_staple(&v);
    if (staple == STAPLE_HARD_BAD)
        goto out; /* judge_staple decided */
    if (refused_by_revlist(&v))
        goto out;
    /* Only a staple wolfSSL could not decode leaves a failed handshake that
     * the rules may still allow (by reconnecting); any other failure ends
     * the visit, whatever the staple said. */
    if (v.session == NULL && !r->is_staple_undecodable) {
        decide(&v, false, "tls-error", "The TLS handshake with %s failed: %s.", v.site, r->error);
        goto out;
    }
    if (staple != STAPLE_GOOD && is_must_staple(&v)) {
        refuse_must_staple(&v);
        goto out;
    }
    bool may_ask = config->may_query_ocsp || config->may_fetch_crl || config->revlist != NULL;
    if (v.session == NULL && staple != STAPLE_GOOD && !may_ask && config->is_hard_fail &&
        !is_short_lived(&v)) {
        no_query(&v); /* refuses: nothing a second connection could change */
        goto out;
    }
    if (v.session == NULL) {
        const char *why =
            may_ask ? "the CA can still be asked directly" : "the policy decides without a staple";
        if (!reconnect(&v, why))
            goto out;
        if (staple != STAPLE_GOOD && is_must_staple(&v)) {
            refuse_must_staple(&v);
            goto out;
        }
    }
    if (staple == STAPLE_GOOD) {
        decide(&v, true, "good", "%s", v.staple_good_why);
    } else if (config->revlist != NULL) {
        accept_by_revlist(&v);
    } else if (is_short_lived(&v)) {
        accept_short_lived(&v);
    } else {
        if (config->may_query_ocsp)
            query_responder(&v);
        else if (config->may_fetch_crl)
            check_crl(&v);
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
