/* http.c — the responder's HTTP face, on libmicrohttpd (one thread per
 * connection, so a slow or stuck client occupies only its own thread). */
#include "http.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "net.h"
#include "trace.h"

struct request_state {
    uint8_t body[RESPONDER_MAX_REQUEST_BYTES];
    size_t body_len;
    bool is_too_large;
    int64_t started_ms;
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
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
            int hi = hex_value(p[1]), lo = hi >= 0 ? hex_value(p[2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            b64[n++] = (char)(hi * 16 + lo);
            p += 2;
        } else {
            b64[n++] = *p;
        }
    }
    /* Base64_Decode silently drops a trailing partial group; a request whose
     * length is not a multiple of 4 is damaged, not short. */
    if (n == 0 || n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)b64[i]) && b64[i] != '+' && b64[i] != '/' && b64[i] != '=')
            return -1;
    word32 out_len = (word32)cap;
    if (Base64_Decode((const byte *)b64, (word32)n, out, &out_len) != 0)
        return -1;
    return (int)out_len;
}

static void http_date(int64_t unix_seconds, char *out, size_t cap)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    /* RFC 9110 5.6.7 IMF-fixdate; the C locale gives English names. */
    strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static enum MHD_Result send_bytes(struct MHD_Connection *conn, unsigned status,
                                  const char *content_type, const void *data, size_t len,
                                  const struct responder_answer *answer)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (answer != NULL && answer->is_cacheable) {
        /* RFC 5019 6.2: let HTTP caches keep a pre-signed response until its
         * nextUpdate, and no longer. */
        char value[128], date[64];
        int64_t max_age = answer->next_update - clock_now();
        if (max_age < 0)
            max_age = 0;
        snprintf(value, sizeof value, "max-age=%lld, public, no-transform, must-revalidate",
                 (long long)max_age);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, value);
        http_date(answer->this_update, date, sizeof date);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
        http_date(answer->next_update, date, sizeof date);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_EXPIRES, date);
        uint8_t digest[WC_SHA256_DIGEST_SIZE];
        if (wc_Sha256Hash(data, (word32)len, digest) == 0) {
            static const char hex[] = "0123456789abcdef";
            char etag[2 * WC_SHA256_DIGEST_SIZE + 3];
            etag[0] = '"';
            for (size_t i = 0; i < WC_SHA256_DIGEST_SIZE; i++) {
                etag[1 + 2 * i] = hex[digest[i] >> 4];
                etag[2 + 2 * i] = hex[digest[i] & 15];
            }
            etag[2 * WC_SHA256_DIGEST_SIZE + 1] = '"';
            etag[2 * WC_SHA256_DIGEST_SIZE + 2] = 0;
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
        }
    } else if (answer != NULL) {
        /* A nonce'd or error answer is for this request only. */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    }
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
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

/* Media types are case-insensitive (RFC 9110 8.3.1); parameters may follow. */
static bool is_ocsp_request_type(const char *type)
{
    static const char expected[] = "application/ocsp-request";
    size_t n = sizeof expected - 1;
    if (type == NULL || strncasecmp(type, expected, n) != 0)
        return false;
    return type[n] == 0 || type[n] == ';' || type[n] == ' ' || type[n] == '\t';
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

static enum MHD_Result answer_ocsp(struct http_server *server, struct MHD_Connection *conn,
                                   const char *method, const uint8_t *request, size_t len)
{
    char client[INET6_ADDRSTRLEN + 1];
    struct responder_answer answer;
    client_address(conn, client, sizeof client);
    struct request_origin origin = {
        .user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_USER_AGENT),
        .client_addr = client,
        .method = method,
    };
    responder_answer(server->responder, request, len, &origin, &answer);
    enum MHD_Result rc = send_bytes(conn, MHD_HTTP_OK, "application/ocsp-response",
                                    answer.body.data, answer.body.len, &answer);
    responder_answer_free(&answer);
    return rc;
}

/* POST /control/fault with "NAME [DELAY]" switches the fault while the
 * counters keep running; GET shows it. For the scenario runner on loopback. */
static enum MHD_Result handle_control(struct http_server *server, struct MHD_Connection *conn,
                                      const char *method, struct request_state *state)
{
    enum responder_fault fault;
    int delay_ms;
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
        char text[128], name[32] = "", delay_text[32] = "";
        size_t n = state->body_len < sizeof text - 1 ? state->body_len : sizeof text - 1;
        memcpy(text, state->body, n);
        text[n] = 0;
        int fields = sscanf(text, "%31s %31s", name, delay_text);
        int64_t delay_seconds = 0;
        delay_ms = 0;
        if (fields >= 2) {
            if (clock_parse_duration(delay_text, &delay_seconds) != 0 || delay_seconds < 1 ||
                delay_seconds > 120)
                return send_text(conn, MHD_HTTP_BAD_REQUEST,
                                 "bad delay: use a duration from 1s to 120s, e.g. 2s\n", NULL);
            delay_ms = (int)delay_seconds * 1000;
        }
        if (fields < 1 || fault_parse(name, &fault) != 0)
            return send_text(conn, MHD_HTTP_BAD_REQUEST,
                             "unknown fault: use one of " FAULT_NAMES "\n", NULL);
        responder_set_fault(server->responder, fault, delay_ms);
        responder_get_fault(server->responder, &fault, &delay_ms);
        trace_event("responder.fault",
                    json_pack("{s:s, s:i}", "fault", fault_name(fault), "delay_ms", delay_ms),
                    fault == FAULT_NONE ? "The responder is healthy again (no fault)."
                                        : "The responder now misbehaves on purpose: fault '%s'.",
                    fault_name(fault));
    } else if (strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
        return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET or POST\n", "GET, POST");
    }
    responder_get_fault(server->responder, &fault, &delay_ms);
    return send_json(conn, json_pack("{s:s, s:i}", "fault", fault_name(fault), "delay_ms",
                                     delay_ms));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct http_server *server = cls;
    struct request_state *state = *req_cls;
    (void)version;

    if (state == NULL) {
        state = calloc(1, sizeof *state);
        if (state == NULL)
            return MHD_NO;
        state->started_ms = clock_monotonic_ms();
        __atomic_add_fetch(&server->in_flight, 1, __ATOMIC_SEQ_CST);
        *req_cls = state;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* A body that trickles in for too long is dropped: the thread is freed. */
        if (clock_monotonic_ms() - state->started_ms > HTTP_REQUEST_DEADLINE_MS)
            return MHD_NO;
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

    bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (strcmp(url, "/stats") == 0) {
        if (!is_get)
            return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n", "GET");
        return send_json(conn, stats_snapshot(&server->responder->stats));
    }
    if (strcmp(url, "/control/fault") == 0) {
        /* The scenario runner is on this machine; nobody else may switch faults. */
        char client[INET6_ADDRSTRLEN + 1];
        client_address(conn, client, sizeof client);
        if (strncmp(client, "127.", 4) != 0 && strcmp(client, "::1") != 0)
            return send_text(conn, MHD_HTTP_FORBIDDEN, "faults are switched from loopback only\n",
                             NULL);
        return handle_control(server, conn, method, state);
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
            client_address(conn, client, sizeof client);
            struct request_origin origin = {
                .user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_USER_AGENT),
                .client_addr = client,
                .method = "POST",
            };
            unsigned status = state->is_too_large ? MHD_HTTP_CONTENT_TOO_LARGE
                                                  : MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
            const char *why = state->is_too_large ? "the body is too large for an OCSP request"
                                                  : "the Content-Type is not "
                                                    "application/ocsp-request";
            responder_note_rejected(server->responder, &origin, (int)status, why);
            return send_text(conn, status, state->is_too_large
                                               ? "request body too large for an OCSP request\n"
                                               : "use Content-Type: application/ocsp-request\n",
                             NULL);
        }
        return answer_ocsp(server, conn, "POST", state->body, state->body_len);
    }
    int len = http_decode_get_path(url, state->body, sizeof state->body);
    if (len < 0)
        return send_text(conn, MHD_HTTP_NOT_FOUND,
                         "not found: GET /<url-encoded base64 OCSP request> (RFC 5019) or "
                         "GET /stats\n",
                         NULL);
    return answer_ocsp(server, conn, "GET", state->body, (size_t)len);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct http_server *server = cls;
    (void)conn;
    (void)code;
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

int http_start(struct http_server *server, struct responder *responder, const char *listen_spec,
               struct errbuf *err)
{
    int fd = -1;
    memset(server, 0, sizeof *server);
    server->listen_fd = -1;
    server->responder = responder;
    if (net_listen(listen_spec, false,
                   " (is another responder running? --listen 127.0.0.1:0 picks a free port)",
                   &fd, server->bound, sizeof server->bound, err) != 0)
        return -1;
    server->listen_fd = fd;
    server->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
            MHD_USE_ERROR_LOG,
        0, NULL, NULL, handle, server, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_SECONDS,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, request_done, server, MHD_OPTION_EXTERNAL_LOGGER,
        log_nothing, NULL, MHD_OPTION_END);
    if (server->daemon == NULL) {
        errbuf_set(err, "cannot start the HTTP server on %s", server->bound);
        close(fd);
        server->listen_fd = -1;
        return -1;
    }
    return 0;
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
    int64_t started_ms = clock_monotonic_ms();
    while (clock_monotonic_ms() - started_ms < 5000) {
        if (__atomic_load_n(&server->in_flight, __ATOMIC_SEQ_CST) == 0)
            break;
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    MHD_stop_daemon(server->daemon);
    server->daemon = NULL;
    server->listen_fd = -1;
}
