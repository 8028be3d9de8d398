/* http.c — the responder's HTTP face, on libmicrohttpd: a few event-loop
 * threads (epoll, one per core, like nginx's workers) serve every
 * connection, so a slow or stuck client costs a connection slot, never a
 * thread; the slow fault holds its answer without a thread (hold.h); every
 * request has an absolute deadline, and room is kept for clients that send
 * their request at once while others trickle. */
#include "http.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "hex.h"
#include "net.h"
#include "trace.h"
#include "waitlock.h"

struct request_state {
    size_t body_len;
    bool is_too_large;
    bool has_waited;  /* the slow fault's delay is over (or was never due) */
    struct hold hold; /* while the slow fault holds the answer back */
    uint8_t body[RESPONDER_MAX_REQUEST_BYTES]; /* last: never zeroed, only filled */
};

/* Why the connection bookkeeping below exists, from libmicrohttpd 0.9.75's
 * source (src/microhttpd/daemon.c, connection.c):
 * - MHD_OPTION_CONNECTION_TIMEOUT is an idle timer: every byte received
 *   resets it (connection.c, last_activity), so a client that sends one
 *   header line every few seconds keeps its connection for as long as it
 *   likes. The access handler is first called only once the whole head has
 *   arrived, so it cannot stop a trickled head either; and with 512 such
 *   clients MHD_OPTION_CONNECTION_LIMIT refuses everyone else.
 * - There is no call to close a connection from outside its thread.
 *   MHD_suspend_connection/resume act on connections whose handler already
 *   ran, which a trickled head never reaches.
 * - MHD_OPTION_NOTIFY_CONNECTION reports STARTED once the connection is in
 *   the daemon's list (internal_add_connection, on the pool thread that
 *   accepted it), and CLOSED from MHD_cleanup_connections on that same
 *   thread, before the socket is closed; this holds for the thread pool as
 *   it did for a thread per connection. So between the two the descriptor
 *   is the connection's and cannot be reused by another one.
 * So: STARTED records the descriptor and the accept time in an http_conn
 * (kept in the connection's socket context); a sweeper thread calls
 * shutdown() on a connection whose request is not whole by its deadline,
 * which makes epoll report end-of-file to its thread and libmicrohttpd close
 * it the normal way; and a new connection at HTTP_EVICT_AT shuts the oldest
 * one still sending its request. Both happen under conns_lock, which CLOSED
 * also takes before the http_conn is freed, so shutdown() never reaches a
 * descriptor that was closed and reused. A connection the slow fault holds
 * has its request whole, so the sweeper leaves it alone, and
 * libmicrohttpd neither times out nor closes a suspended connection. */
struct http_conn {
    struct http_conn *prev, *next;
    int fd;
    int64_t reading_since_ms; /* accept, or the previous answer on keep-alive */
    bool is_reading;          /* its request is not whole yet */
    bool is_dropped;          /* shutdown() already called */
};

/* RFC 4648 4: the 6-bit value of a base64 character; -1 for any other,
 * the padding '=' included. */
static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int http_decode_get_path(const char *path, uint8_t *out, size_t cap)
{
    char b64[RESPONDER_MAX_REQUEST_BYTES * 2];
    size_t n = 0;
    while (*path == '/')
        path++;
    /* Percent-decoding is idempotent for base64 (it has no '%'), so a path
     * that libmicrohttpd already decoded passes through unchanged. */
    for (const char *p = path; *p != 0; p++) {
        if (n + 1 >= sizeof b64)
            return -1;
        if (*p == '%') {
            int hi = hex_digit_value(p[1]), lo = hi >= 0 ? hex_digit_value(p[2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            b64[n++] = (char)(hi * 16 + lo);
            p += 2;
        } else {
            b64[n++] = *p;
        }
    }
    /* A request whose length is not a multiple of 4 is damaged, not short. */
    if (n == 0 || n % 4 != 0)
        return -1;
    /* Decoded here rather than by wolfSSL's Base64_Decode, which showed in
     * the profile (it checks every character for line breaks); padding is
     * allowed only as the last one or two characters. */
    size_t out_len = 0;
    for (size_t i = 0; i < n; i += 4) {
        const char *q = b64 + i;
        bool is_last = i + 4 == n;
        size_t pads = is_last && q[3] == '=' ? (q[2] == '=' ? 2 : 1) : 0;
        int v[4] = {base64_value(q[0]), base64_value(q[1]), pads < 2 ? base64_value(q[2]) : 0,
                    pads < 1 ? base64_value(q[3]) : 0};
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || out_len + 3 - pads > cap)
            return -1;
        uint32_t bits =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[out_len++] = (uint8_t)(bits >> 16);
        if (pads < 2)
            out[out_len++] = (uint8_t)(bits >> 8);
        if (pads < 1)
            out[out_len++] = (uint8_t)bits;
    }
    return (int)out_len;
}

/* RFC 9110 5.6.7 IMF-fixdate; the C locale gives English names. */
static void http_date(int64_t unix_seconds, char *out, size_t cap)
{
    clock_format_utc(unix_seconds, "%a, %d %b %Y %H:%M:%S GMT", out, cap);
}

/* RFC 5019 6.2: HTTP caches may keep a pre-signed response until its
 * nextUpdate, and no longer. */
static int64_t answer_max_age(const struct responder_answer *answer)
{
    int64_t max_age = answer->next_update - answer->answered_at;
    return max_age > 0 ? max_age : 0;
}

/* A response holding a copy of the bytes, with the caching headers an OCSP
 * answer calls for (none for other bodies: answer NULL). NULL when out of
 * memory. */
static struct MHD_Response *build_response(const char *content_type, const void *data, size_t len,
                                           const struct responder_answer *answer)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (answer != NULL && answer->is_cacheable) {
        char value[128], date[64];
        snprintf(value, sizeof value, "max-age=%lld, public, no-transform, must-revalidate",
                 (long long)answer_max_age(answer));
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, value);
        http_date(answer->this_update, date, sizeof date);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
        http_date(answer->next_update, date, sizeof date);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_EXPIRES, date);
        uint8_t digest[WC_SHA256_DIGEST_SIZE];
        if (wc_Sha256Hash(data, (word32)len, digest) == 0) {
            char etag[2 * WC_SHA256_DIGEST_SIZE + 3];
            etag[0] = '"';
            hex_encode_lower(digest, WC_SHA256_DIGEST_SIZE, etag + 1);
            etag[2 * WC_SHA256_DIGEST_SIZE + 1] = '"';
            etag[2 * WC_SHA256_DIGEST_SIZE + 2] = 0;
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
        }
    } else if (answer != NULL) {
        /* A nonce'd or error answer is for this request only. */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    }
    return resp;
}

static enum MHD_Result send_bytes(struct MHD_Connection *conn, unsigned status,
                                  const char *content_type, const void *data, size_t len,
                                  const struct responder_answer *answer)
{
    struct MHD_Response *resp = build_response(content_type, data, len, answer);
    if (resp == NULL)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* An OCSP answer. One that is the same for every client (pre-signed, no
 * nonce) is sent from, or kept in, the server's memo of encoded answers. */
static enum MHD_Result send_answer(struct http_server *server, struct MHD_Connection *conn,
                                   const struct responder_answer *answer)
{
    static const char type[] = "application/ocsp-response";
    const uint8_t *data = answer->body.data;
    size_t len = answer->body.len;
    enum MHD_Result rc;
    if (!answer->is_cacheable)
        return send_bytes(conn, MHD_HTTP_OK, type, data, len, answer);
    int64_t max_age = answer_max_age(answer);
    if (answer_memo_queue(&server->memo, conn, MHD_HTTP_OK, data, len, max_age, &rc))
        return rc;
    struct MHD_Response *resp = build_response(type, data, len, answer);
    if (resp == NULL)
        return MHD_NO;
    rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    answer_memo_keep(&server->memo, resp, data, len, max_age);
    return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *text,
                                 const char *allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, json_t *value)
{
    char *text = value != NULL ? json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(value);
    if (text == NULL)
        return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    size_t len = strlen(text);
    text[len] = 0;
    enum MHD_Result rc = send_bytes(conn, MHD_HTTP_OK, "application/json", text, len, NULL);
    free(text);
    return rc;
}

static bool is_ocsp_request_type(const char *type)
{
    return control_media_type_is(type, "application/ocsp-request");
}

static void client_address(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "unknown");
    if (info == NULL || info->client_addr == NULL)
        return;
    if (info->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)info->client_addr;
        inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)cap);
    } else if (info->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 =
            (const struct sockaddr_in6 *)(const void *)info->client_addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)cap);
    }
}

/* Who sent this request: its User-Agent and address (written into client). */
static struct request_origin origin_of(struct MHD_Connection *conn, const char *method,
                                       char client[INET6_ADDRSTRLEN + 1])
{
    client_address(conn, client, INET6_ADDRSTRLEN + 1);
    struct request_origin origin = {
        .user_agent =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT),
        .client_addr = client,
        .method = method,
    };
    return origin;
}

/* With the slow fault on, the first call holds the connection back (hold.h)
 * and returns true; libmicrohttpd calls the handler again when it is
 * resumed, and the answer goes out then. No pool thread ever sleeps. */
static bool is_held_back(struct http_server *server, struct MHD_Connection *conn,
                         struct request_state *state)
{
    if (state->has_waited)
        return false;
    state->has_waited = true;
    int delay_ms = responder_slow_delay_ms(server->responder);
    return delay_ms > 0 && hold_connection(&server->holds, &state->hold, conn, delay_ms) == 0;
}

static enum MHD_Result answer_ocsp(struct http_server *server, struct MHD_Connection *conn,
                                   const char *method, struct request_state *state,
                                   const uint8_t *request, size_t len)
{
    char client[INET6_ADDRSTRLEN + 1];
    struct responder_answer answer;
    if (is_held_back(server, conn, state))
        return MHD_YES;
    struct request_origin origin = origin_of(conn, method, client);
    responder_answer_now(server->responder, request, len, &origin, &answer);
    enum MHD_Result rc = send_answer(server, conn, &answer);
    responder_answer_free(&answer);
    return rc;
}

/* GET /crl: the CA's CRL as a distribution point serves it (RFC 2585 4.2:
 * application/pkix-crl), with the same caching headers as a pre-signed OCSP
 * answer, up to the CRL's nextUpdate. */
static enum MHD_Result answer_crl(struct http_server *server, struct MHD_Connection *conn,
                                  struct request_state *state)
{
    char client[INET6_ADDRSTRLEN + 1];
    struct responder_crl_answer crl;
    if (is_held_back(server, conn, state))
        return MHD_YES;
    struct request_origin origin = origin_of(conn, "GET", client);
    responder_serve_crl(server->responder, &origin, &crl);
    /* send_bytes reads the caching fields of an answer; a CRL has the same. */
    struct responder_answer headers = {
        .is_cacheable = crl.is_crl,
        .this_update = crl.this_update,
        .next_update = crl.next_update,
        .answered_at = clock_now(), /* max-age: the time left until nextUpdate */
    };
    enum MHD_Result rc =
        send_bytes(conn, (unsigned)crl.http_status,
                   crl.is_crl ? "application/pkix-crl" : "text/plain; charset=utf-8", crl.body.data,
                   crl.body.len, &headers);
    der_buf_free(&crl.body);
    return rc;
}

/* Refuses a control request: the client hears why, the trace says who. */
static enum MHD_Result refuse_control(struct MHD_Connection *conn, const char *client,
                                      const char *method, unsigned status, const char *why)
{
    char text[256];
    trace_event("responder.control.refused",
                json_pack("{s:s, s:s, s:i, s:s}", "client", client, "method", method, "http_status",
                          (int)status, "why", why),
                "The responder refused to let %s switch or show its faults: %s.", client, why);
    snprintf(text, sizeof text, "%s\n", why);
    return send_text(conn, status, text, NULL);
}

/* /control/fault: POST "NAME [DELAY]" (CONTROL_CONTENT_TYPE) or
 * {"fault": NAME, "delay": DELAY} (application/json) switches the fault while
 * the counters keep running; GET shows it. Only for the teacher: control.h
 * says who that is. */
static enum MHD_Result handle_control(struct http_server *server, struct MHD_Connection *conn,
                                      const char *url, const char *method,
                                      struct request_state *state)
{
    char client[INET6_ADDRSTRLEN + 1];
    enum responder_fault fault;
    int delay_ms;
    bool is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    client_address(conn, client, sizeof client);
    const char *content_type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    struct control_request req = {
        .client_addr = client,
        .origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
        .token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, CONTROL_TOKEN_HEADER),
        .content_type = content_type,
        .is_post = is_post,
    };
    /* The gate comes first, so a stranger learns nothing, not even which
     * URLs or methods exist. */
    enum control_verdict verdict =
        control_check(server->has_control_token ? server->control_token : NULL, &req);
    if (verdict != CONTROL_ALLOWED)
        return refuse_control(conn, client, method, control_verdict_status(verdict),
                              control_verdict_reason(verdict));
    if (strcmp(url, "/control/fault") != 0)
        return send_text(conn, MHD_HTTP_NOT_FOUND, "not found: use /control/fault\n", NULL);
    if (is_post) {
        const char *why = NULL;
        if (state->is_too_large)
            return send_text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
                             "a fault switch is one short line: NAME [DELAY]\n", NULL);
        if (control_parse_switch(content_type, state->body, state->body_len, &fault, &delay_ms,
                                 &why) != 0) {
            char text[256];
            snprintf(text, sizeof text, "%s\n", why);
            return send_text(conn, MHD_HTTP_BAD_REQUEST, text, NULL);
        }
        responder_set_fault(server->responder, fault, delay_ms);
        responder_get_fault(server->responder, &fault, &delay_ms);
        trace_event("responder.fault",
                    json_pack("{s:s, s:i, s:s}", "fault", fault_name(fault), "delay_ms", delay_ms,
                              "client", client),
                    fault == FAULT_NONE
                        ? "The teacher at %s made the responder healthy again (no fault)."
                        : "The teacher at %s switched the responder to misbehave on purpose: "
                          "fault '%s'.",
                    client, fault_name(fault));
    } else if (strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
        return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET or POST\n", "GET, POST");
    }
    responder_get_fault(server->responder, &fault, &delay_ms);
    return send_json(conn,
                     json_pack("{s:s, s:i}", "fault", fault_name(fault), "delay_ms", delay_ms));
}

/* ---- connections and their deadlines ---------------------------------------------- */

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != NULL ? info->socket_context : NULL;
}

/* Its request is whole: from now on the answer takes as long as it takes
 * (the slow fault may wait up to two minutes on purpose). */
static void conn_request_whole(struct http_server *server, struct MHD_Connection *conn)
{
    struct http_conn *c = conn_of(conn);
    if (c == NULL)
        return;
    pthread_mutex_lock(&server->conns_lock);
    c->is_reading = false;
    pthread_mutex_unlock(&server->conns_lock);
}

/* Answered: a keep-alive connection has a fresh deadline for its next request. */
static void conn_answered(struct http_server *server, struct MHD_Connection *conn)
{
    struct http_conn *c = conn_of(conn);
    if (c == NULL)
        return;
    pthread_mutex_lock(&server->conns_lock);
    c->is_reading = true;
    c->reading_since_ms = clock_monotonic_ms();
    pthread_mutex_unlock(&server->conns_lock);
}

/* Called with conns_lock held. shutdown(), not close(): the descriptor stays
 * libmicrohttpd's, its thread sees end-of-file and closes it as usual. */
static void drop_locked(struct http_conn *c)
{
    c->is_dropped = true;
    if (shutdown(c->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
        c->is_dropped = false; /* try again at the next sweep */
}

/* The oldest connection still sending its request, other than `except`. */
static struct http_conn *oldest_reading_locked(struct http_server *server,
                                               const struct http_conn *except)
{
    struct http_conn *oldest = NULL;
    for (struct http_conn *c = server->conns_head; c != NULL; c = c->next)
        if (c != except && c->is_reading && !c->is_dropped &&
            (oldest == NULL || c->reading_since_ms < oldest->reading_since_ms))
            oldest = c;
    return oldest;
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    struct http_server *server = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct http_conn *c = calloc(1, sizeof *c);
        *socket_context = c;
        if (c == NULL || info == NULL) {
            /* Untracked, it still has libmicrohttpd's idle timeout. */
            free(c);
            *socket_context = NULL;
            return;
        }
        c->fd = info->connect_fd;
        c->is_reading = true;
        c->reading_since_ms = clock_monotonic_ms();
        pthread_mutex_lock(&server->conns_lock);
        c->prev = server->conns_tail;
        if (server->conns_tail != NULL)
            server->conns_tail->next = c;
        else
            server->conns_head = c;
        server->conns_tail = c;
        server->conn_count++;
        if (server->conn_count > HTTP_EVICT_AT) {
            /* Room for the newcomer: whoever has been sending a request the
             * longest is the likeliest to be trickling on purpose. */
            struct http_conn *oldest = oldest_reading_locked(server, c);
            if (oldest != NULL) {
                drop_locked(oldest);
                if (oldest->is_dropped)
                    server->dropped_evicted++;
            }
        }
        pthread_mutex_unlock(&server->conns_lock);
        return;
    }
    /* MHD_CONNECTION_NOTIFY_CLOSED: the socket is closed right after this. */
    struct http_conn *c = *socket_context;
    if (c == NULL)
        return;
    pthread_mutex_lock(&server->conns_lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        server->conns_head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        server->conns_tail = c->prev;
    server->conn_count--;
    pthread_mutex_unlock(&server->conns_lock);
    free(c);
    *socket_context = NULL;
}

/* Every HTTP_SWEEP_INTERVAL_MS: drops connections past their deadline, and
 * says in the trace (at most every few seconds, not once per connection, so
 * an attack does not flood it) how many were dropped and why. */
static void *sweeper_main(void *arg)
{
    struct http_server *server = arg;
    long long traced_late = 0, traced_evicted = 0;
    int64_t traced_at = clock_monotonic_ms();
    pthread_mutex_lock(&server->conns_lock);
    while (!server->is_sweeper_stopping) {
        if (waitlock_wait_until(&server->sweeper_wake, &server->conns_lock,
                                clock_monotonic_ms() + HTTP_SWEEP_INTERVAL_MS) != 0)
            break;
        int64_t now = clock_monotonic_ms();
        for (struct http_conn *c = server->conns_head; c != NULL; c = c->next) {
            if (c->is_reading && !c->is_dropped &&
                now - c->reading_since_ms > HTTP_REQUEST_DEADLINE_MS) {
                drop_locked(c);
                if (c->is_dropped)
                    server->dropped_late++;
            }
        }
        long long late = server->dropped_late, evicted = server->dropped_evicted;
        size_t open_now = server->conn_count;
        if ((late != traced_late || evicted != traced_evicted) && now - traced_at >= 5000) {
            pthread_mutex_unlock(&server->conns_lock);
            trace_event("responder.connections.dropped",
                        json_pack("{s:I, s:I, s:I, s:I, s:i}", "late",
                                  (json_int_t)(late - traced_late), "evicted",
                                  (json_int_t)(evicted - traced_evicted), "total_late",
                                  (json_int_t)late, "total_evicted", (json_int_t)evicted,
                                  "deadline_ms", HTTP_REQUEST_DEADLINE_MS),
                        "The responder closed %lld connections that had not sent a whole "
                        "request within %d s and %lld that were still sending one when it "
                        "needed room (%zu open): slow clients cannot crowd out the others.",
                        late - traced_late, HTTP_REQUEST_DEADLINE_MS / 1000,
                        evicted - traced_evicted, open_now);
            pthread_mutex_lock(&server->conns_lock);
            traced_late = late;
            traced_evicted = evicted;
            traced_at = now;
        }
    }
    pthread_mutex_unlock(&server->conns_lock);
    return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    struct http_server *server = cls;
    struct request_state *state = *req_cls;
    (void)version;

    if (state == NULL) {
        /* malloc, not calloc: zeroing the 16 KiB body for every request
         * showed up in the profile; only what the body_len covers is read. */
        state = malloc(sizeof *state);
        if (state == NULL)
            return MHD_NO;
        memset(state, 0, offsetof(struct request_state, body));
        __atomic_add_fetch(&server->in_flight, 1, __ATOMIC_SEQ_CST);
        *req_cls = state;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* A body that trickles in for too long is dropped by the sweeper. */
        size_t room = sizeof state->body - state->body_len;
        if (*upload_data_size > room) {
            state->is_too_large = true;
        } else if (!state->is_too_large) {
            memcpy(state->body + state->body_len, upload_data, *upload_data_size);
            state->body_len += *upload_data_size;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    conn_request_whole(server, conn);

    bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (strcmp(url, "/stats") == 0) {
        if (!is_get)
            return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n", "GET");
        return send_json(conn, stats_snapshot(&server->responder->stats));
    }
    if (strcmp(url, "/control") == 0 || strncmp(url, "/control/", 9) == 0)
        return handle_control(server, conn, url, method, state);
    if (strcmp(url, "/crl") == 0) {
        if (!is_get)
            return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n", "GET");
        return answer_crl(server, conn, state);
    }
    if (!is_get && !is_post)
        return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                         "an OCSP responder answers GET and POST only\n", "GET, POST");
    if (is_post) {
        if (strcmp(url, "/") != 0)
            return send_text(conn, MHD_HTTP_NOT_FOUND, "POST OCSP requests to /\n", NULL);
        const char *type =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        bool is_ocsp_type = is_ocsp_request_type(type);
        if (state->is_too_large || !is_ocsp_type) {
            char client[INET6_ADDRSTRLEN + 1];
            struct request_origin origin = origin_of(conn, "POST", client);
            unsigned status =
                state->is_too_large ? MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
            const char *why = state->is_too_large ? "the body is too large for an OCSP request"
                                                  : "the Content-Type is not "
                                                    "application/ocsp-request";
            responder_note_rejected(server->responder, &origin, (int)status, why);
            return send_text(conn, status,
                             state->is_too_large ? "request body too large for an OCSP request\n"
                                                 : "use Content-Type: application/ocsp-request\n",
                             NULL);
        }
        return answer_ocsp(server, conn, "POST", state, state->body, state->body_len);
    }
    int len = http_decode_get_path(url, state->body, sizeof state->body);
    if (len < 0)
        return send_text(conn, MHD_HTTP_NOT_FOUND,
                         "not found: GET /<url-encoded base64 OCSP request> (RFC 5019), "
                         "GET /crl or GET /stats\n",
                         NULL);
    return answer_ocsp(server, conn, "GET", state, state->body, (size_t)len);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct http_server *server = cls;
    (void)code;
    conn_answered(server, conn);
    if (*req_cls != NULL)
        __atomic_sub_fetch(&server->in_flight, 1, __ATOMIC_SEQ_CST);
    free(*req_cls);
    *req_cls = NULL;
}

static void log_nothing(void *cls, const char *fmt, va_list ap)
{
    /* libmicrohttpd's own chatter (client resets, timeouts) is not for the class. */
    (void)cls;
    (void)fmt;
    (void)ap;
}

/* Frees what http_start made before the daemon; the daemon must be stopped. */
static void stop_sweeper(struct http_server *server)
{
    if (server->has_sweeper) {
        pthread_mutex_lock(&server->conns_lock);
        server->is_sweeper_stopping = true;
        pthread_cond_signal(&server->sweeper_wake);
        pthread_mutex_unlock(&server->conns_lock);
        pthread_join(server->sweeper, NULL);
        server->has_sweeper = false;
    }
}

static void free_conns_lock(struct http_server *server)
{
    if (!server->has_conns_lock)
        return;
    pthread_cond_destroy(&server->sweeper_wake);
    pthread_mutex_destroy(&server->conns_lock);
    server->has_conns_lock = false;
}

static int init_conns_lock(struct http_server *server)
{
    if (waitlock_init(&server->conns_lock, &server->sweeper_wake) != 0)
        return -1;
    server->has_conns_lock = true;
    return 0;
}

/* One event-loop thread per core, within HTTP_MIN_THREADS..HTTP_MAX_THREADS. */
static unsigned http_thread_count(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < HTTP_MIN_THREADS)
        return HTTP_MIN_THREADS;
    return cores > HTTP_MAX_THREADS ? HTTP_MAX_THREADS : (unsigned)cores;
}

int http_start(struct http_server *server, struct responder *responder, const char *listen_spec,
               struct errbuf *err)
{
    int fd = -1;
    struct errbuf no_token = {{0}};
    memset(server, 0, sizeof *server);
    server->listen_fd = -1;
    server->responder = responder;
    /* Read once: the teacher's token does not change while a lab runs, and
     * a lab without one (made before `ca init` wrote it) still answers OCSP. */
    server->has_control_token =
        control_token_read(responder->config.lab_dir, server->control_token, &no_token) == 0;
    if (init_conns_lock(server) != 0) {
        errbuf_set(err, "cannot start the HTTP server: out of resources");
        return -1;
    }
    if (net_listen(listen_spec, false,
                   " (is another responder running? --listen 127.0.0.1:0 picks a free port)", &fd,
                   server->bound, sizeof server->bound, err) != 0)
        goto fail;
    server->listen_fd = fd;
    if (pthread_create(&server->sweeper, NULL, sweeper_main, server) != 0) {
        errbuf_set(err, "cannot start the HTTP server: no thread for its deadlines");
        goto fail;
    }
    server->has_sweeper = true;
    if (answer_memo_init(&server->memo) != 0 || hold_start(&server->holds) != 0) {
        errbuf_set(err, "cannot start the HTTP server: no thread for the slow fault");
        goto fail;
    }
    /* A thread per connection spent a third of the time switching between
     * threads at 32 connections (perf); epoll with a small pool serves many
     * ready connections per wake-up, as nginx does. epoll also has no
     * FD_SETSIZE limit (select() could not serve a descriptor >= 1024).
     * MHD_ALLOW_SUSPEND_RESUME is for the slow fault (hold.h). */
    server->daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG,
        0, NULL, NULL, handle, server, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
        http_thread_count(), MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_SECONDS,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY_BYTES,
        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, server, MHD_OPTION_NOTIFY_COMPLETED,
        request_done, server, MHD_OPTION_EXTERNAL_LOGGER, log_nothing, NULL, MHD_OPTION_END);
    if (server->daemon == NULL) {
        errbuf_set(err, "cannot start the HTTP server on %s", server->bound);
        goto fail;
    }
    return 0;
fail:
    hold_stop(&server->holds);
    answer_memo_free(&server->memo);
    stop_sweeper(server);
    free_conns_lock(server);
    if (server->listen_fd >= 0)
        close(server->listen_fd);
    server->listen_fd = -1;
    return -1;
}

void http_stop(struct http_server *server)
{
    if (server->daemon == NULL)
        return;
    /* Stop accepting, then let requests already begun get their answers
     * (bounded); idle keep-alive connections are simply closed. */
    MHD_socket fd = MHD_quiesce_daemon(server->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    responder_stop(server->responder);
    /* Held answers go out now; libmicrohttpd must find none suspended. */
    hold_release_all(&server->holds);
    int64_t started_ms = clock_monotonic_ms();
    while (clock_monotonic_ms() - started_ms < 5000) {
        if (__atomic_load_n(&server->in_flight, __ATOMIC_SEQ_CST) == 0)
            break;
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    stop_sweeper(server);
    hold_stop(&server->holds);
    /* Closes every connection; each CLOSED notification takes conns_lock,
     * which is destroyed only after. */
    MHD_stop_daemon(server->daemon);
    answer_memo_free(&server->memo);
    free_conns_lock(server);
    server->daemon = NULL;
    server->listen_fd = -1;
}
