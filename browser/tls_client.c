/* tls_client.c — one browser connection over wolfSSL on a non-blocking
 * socket, every wait bounded by a deadline (see tls_client.h for how it gets
 * the staple in TLS 1.2 and 1.3). RFC 6066 8 (status_request), RFC 6125
 * (host name check, done by wolfSSL), RFC 9112 (the GET). */
#include "clock.h"
#include "tls_client.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_head.h"
#include "tls13_status.h"
#include "tls_wire.h"

/* The longest TLS secret (SHA-384) and client random (RFC 8446 4.1.2). */
#define TLS_MAX_SECRET_BYTES 48
#define TLS_RANDOM_BYTES 32

/* What the callbacks of one connection gather. */
struct capture {
    const struct tls_client_config *config;
    struct tls_client_result *result;
    int fd;
    bool saw_server_message;
    bool is_too_large;
    /* The server's first flight as received, while the handshake runs, and
     * the secret that decrypts its TLS 1.3 part: only for reading back a
     * staple wolfSSL could not decode (tls13_status.h). Wiped after use. */
    bool is_flight_kept;
    struct der_buf flight;
    uint8_t server_handshake_secret[TLS_MAX_SECRET_BYTES];
    size_t server_handshake_secret_len;
};

/* Waits until fd is ready for `events` or the deadline passes: 0 ready,
 * -1 timed out, -2 poll failed (errno set). */
static int wait_ready(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - clock_monotonic_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -2;
    }
}

/* wolfSSL's message callback (OPENSSL_EXTRA): called for every handshake
 * message sent or received while the connection is not yet encrypted, before
 * wolfSSL processes a received one. Only received messages matter here. */
static void on_handshake_message(int write_p, int version, int content_type, const void *buf,
                                 size_t len, WOLFSSL *ssl, void *arg)
{
    struct capture *cap = arg;
    const uint8_t *bytes = buf;
    (void)version;
    (void)ssl;
    if (cap == NULL || write_p != 0 || content_type != TLS_CONTENT_HANDSHAKE || len == 0)
        return;
    cap->saw_server_message = true;
    if (bytes[0] != TLS_HANDSHAKE_CERTIFICATE_STATUS || cap->result->has_certificate_status)
        return; /* a second one is wolfSSL's DUPLICATE_MSG_E to report */
    if (len > TLS_CLIENT_MAX_STATUS_BYTES) {
        cap->is_too_large = true;
        return;
    }
    if (der_write_raw(&cap->result->certificate_status, bytes, len) == DER_OK)
        cap->result->has_certificate_status = true;
}

/* wolfSSL's status verify callback (see tls_client.h): the leaf's stapled
 * OCSPResponse, which wolfSSL could decode, and wolfSSL's own opinion of it
 * in `wolfssl_verdict` (0 or an error code). The judge decides instead:
 * returning 0 lets the handshake go on, a negative code ends it. */
static int on_staple(WOLFSSL *ssl, int wolfssl_verdict, unsigned char *response,
                     unsigned int response_len, unsigned int index, void *arg)
{
    struct capture *cap = arg;
    struct tls_client_result *result = cap->result;
    if (index != 0)
        return 0; /* a status for an intermediate: the lab's chains have none */
    WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(ssl);
    const uint8_t *leaf = chain != NULL ? wolfSSL_get_chain_cert(chain, 0) : NULL;
    int leaf_len = chain != NULL ? wolfSSL_get_chain_length(chain, 0) : 0;
    der_buf_free(&result->staple);
    if (response_len > TLS_CLIENT_MAX_STATUS_BYTES ||
        der_write_raw(&result->staple, response, response_len) != DER_OK) {
        cap->is_too_large = true;
        return BAD_CERTIFICATE_STATUS_ERROR;
    }
    result->was_staple_judged = true;
    result->wolfssl_staple_verdict = wolfssl_verdict;
    result->judgement = leaf == NULL || leaf_len <= 0 || cap->config->judge_staple == NULL
                            ? TLS_STAPLE_FATAL
                            : cap->config->judge_staple(cap->config->judge_arg, response,
                                                        response_len, leaf, (size_t)leaf_len);
    if (result->judgement != TLS_STAPLE_FATAL)
        return 0;
    return wolfssl_verdict < 0 ? wolfssl_verdict : BAD_CERTIFICATE_STATUS_ERROR;
}

static size_t client_random(WOLFSSL *ssl, uint8_t out[TLS_RANDOM_BYTES])
{
    return wolfSSL_get_client_random(ssl, out, TLS_RANDOM_BYTES);
}

/* TLS 1.3 secrets as wolfSSL derives them: into the key log when there is
 * one, and the server handshake secret kept for tls13_status. */
static int on_tls13_secret(WOLFSSL *ssl, int id, const unsigned char *secret, int secret_len,
                           void *arg)
{
    static const struct {
        int id;
        const char *label;
    } labels[] = {
        {CLIENT_EARLY_TRAFFIC_SECRET, "CLIENT_EARLY_TRAFFIC_SECRET"},
        {CLIENT_HANDSHAKE_TRAFFIC_SECRET, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"},
        {SERVER_HANDSHAKE_TRAFFIC_SECRET, "SERVER_HANDSHAKE_TRAFFIC_SECRET"},
        {CLIENT_TRAFFIC_SECRET, "CLIENT_TRAFFIC_SECRET_0"},
        {SERVER_TRAFFIC_SECRET, "SERVER_TRAFFIC_SECRET_0"},
        {EARLY_EXPORTER_SECRET, "EARLY_EXPORTER_SECRET"},
        {EXPORTER_SECRET, "EXPORTER_SECRET"},
    };
    struct capture *cap = arg;
    if (secret_len <= 0 || secret_len > TLS_MAX_SECRET_BYTES)
        return 0;
    if (id == SERVER_HANDSHAKE_TRAFFIC_SECRET && cap->is_flight_kept) {
        memcpy(cap->server_handshake_secret, secret, (size_t)secret_len);
        cap->server_handshake_secret_len = (size_t)secret_len;
    }
    if (cap->config->keylog == NULL)
        return 0;
    uint8_t random[TLS_RANDOM_BYTES];
    size_t random_len = client_random(ssl, random);
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (labels[i].id == id)
            keylog_write(cap->config->keylog, labels[i].label, random, random_len, secret,
                         (size_t)secret_len);
    return 0;
}

/* TLS 1.2: the master secret, as CLIENT_RANDOM. */
static int on_tls12_secret(WOLFSSL *ssl, void *secret, int secret_len, void *arg)
{
    struct capture *cap = arg;
    uint8_t random[TLS_RANDOM_BYTES];
    if (cap->config->keylog != NULL && secret_len > 0) {
        size_t random_len = client_random(ssl, random);
        keylog_write(cap->config->keylog, "CLIENT_RANDOM", random, random_len, secret,
                     (size_t)secret_len);
    }
    return 0;
}

/* wolfSSL's own socket receive, keeping a bounded copy of what the server
 * sent while the handshake runs (tls13_status reads a staple back from it). */
static int receive_and_keep(WOLFSSL *ssl, char *buf, int size, void *arg)
{
    struct capture *cap = arg;
    int received = EmbedReceive(ssl, buf, size, &cap->fd);
    if (received > 0 && cap->is_flight_kept) {
        if (cap->flight.len + (size_t)received > TLS_CLIENT_MAX_FLIGHT_BYTES ||
            der_write_raw(&cap->flight, (const uint8_t *)buf, (size_t)received) != DER_OK)
            cap->is_flight_kept = false; /* beyond any first flight the lab sends */
    }
    return received;
}

static void forget_flight(struct capture *cap)
{
    if (cap->flight.data != NULL)
        explicit_bzero(cap->flight.data, cap->flight.len);
    der_buf_free(&cap->flight);
    explicit_bzero(cap->server_handshake_secret, sizeof cap->server_handshake_secret);
    cap->server_handshake_secret_len = 0;
    cap->is_flight_kept = false;
}

/* wolfSSL error codes that the browser explains, in words, in one place. */
static const struct {
    int code;
    const char *name;
    const char *meaning;
} known_errors[] = {
    {OCSP_CERT_REVOKED, "OCSP_CERT_REVOKED", "the stapled OCSP response says revoked"},
    {BAD_CERTIFICATE_STATUS_ERROR, "BAD_CERTIFICATE_STATUS_ERROR",
     "the stapled OCSP response was refused"},
    {OCSP_CERT_UNKNOWN, "OCSP_CERT_UNKNOWN", "no OCSP status for the certificate"},
    {DOMAIN_NAME_MISMATCH, "DOMAIN_NAME_MISMATCH", "the certificate is not for this host name"},
    {ASN_NO_SIGNER_E, "ASN_NO_SIGNER_E", "the certificate was not issued by the lab's CA"},
    {ASN_SIG_CONFIRM_E, "ASN_SIG_CONFIRM_E", "the certificate's signature does not verify"},
    {ASN_AFTER_DATE_E, "ASN_AFTER_DATE_E", "the certificate has expired"},
    {ASN_BEFORE_DATE_E, "ASN_BEFORE_DATE_E", "the certificate is not valid yet"},
    {FATAL_ERROR, "FATAL_ERROR", "the server sent a fatal alert"},
    {SOCKET_PEER_CLOSED_E, "SOCKET_PEER_CLOSED_E", "the server closed the connection"},
    {SOCKET_ERROR_E, "SOCKET_ERROR_E", "the connection failed"},
    {VERSION_ERROR, "VERSION_ERROR", "no TLS version both sides accept"},
};

/* `ssl` (may be NULL) adds the alert the server sent, for FATAL_ERROR. */
static void describe_error(struct tls_client_result *result, WOLFSSL *ssl, int code)
{
    result->wolfssl_error = code;
    for (size_t i = 0; i < sizeof known_errors / sizeof known_errors[0]; i++) {
        if (known_errors[i].code == code) {
            WOLFSSL_ALERT_HISTORY alerts;
            const char *alert = NULL;
            if (code == FATAL_ERROR && ssl != NULL &&
                wolfSSL_get_alert_history(ssl, &alerts) == WOLFSSL_SUCCESS &&
                alerts.last_rx.code >= 0)
                alert = wolfSSL_alert_desc_string_long(alerts.last_rx.code);
            snprintf(result->wolfssl_error_name, sizeof result->wolfssl_error_name, "%s",
                     known_errors[i].name);
            snprintf(result->error, sizeof result->error, "%s%s%s (wolfSSL %s, %d)",
                     known_errors[i].meaning, alert != NULL ? ": " : "", alert != NULL ? alert : "",
                     known_errors[i].name, code);
            return;
        }
    }
    const char *text = wolfSSL_ERR_reason_error_string((unsigned long)code);
    snprintf(result->wolfssl_error_name, sizeof result->wolfssl_error_name, "error %d", code);
    snprintf(result->error, sizeof result->error, "%s (wolfSSL error %d)",
             text != NULL ? text : "unknown wolfSSL error", code);
}

const char *tls_client_version_name(const struct tls_client_result *result)
{
    if (!result->has_version)
        return "TLS";
    return result->is_tls13 ? "TLS 1.3" : "TLS 1.2";
}

void tls_client_result_free(struct tls_client_result *result)
{
    if (result == NULL)
        return;
    der_buf_free(&result->certificate_status);
    der_buf_free(&result->staple);
    der_buf_free(&result->peer_cert);
}

int tls_client_global_init(void)
{
    return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -1;
}

void tls_client_global_cleanup(void)
{
    /* Nothing useful to do if it fails: the process is about to exit. */
    (void)wolfSSL_Cleanup();
}

/* TCP from source_addr to server_addr:port within the deadline. */
static int open_connection(const struct tls_client_config *config, int64_t deadline_ms,
                           struct tls_client_result *result, int *fd_out)
{
    struct sockaddr_in local = {.sin_family = AF_INET}, remote = {.sin_family = AF_INET};
    int fd = -1, one = 1, so_error = 0;
    socklen_t so_len = sizeof so_error;

    *fd_out = -1;
    remote.sin_port = htons(config->port);
    if (inet_pton(AF_INET, config->server_addr, &remote.sin_addr) != 1 ||
        (config->source_addr != NULL &&
         inet_pton(AF_INET, config->source_addr, &local.sin_addr) != 1)) {
        snprintf(result->error, sizeof result->error, "not an IPv4 address: %s or %s",
                 config->server_addr, config->source_addr != NULL ? config->source_addr : "-");
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(result->error, sizeof result->error, "cannot create a socket: %s",
                 strerror(errno));
        return -1;
    }
    /* DESIGN 7: each user speaks from its own loopback address, so the
     * server and the responder see who is who. Port 0: any free port. */
    if (config->source_addr != NULL && bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        snprintf(result->error, sizeof result->error, "cannot use the address %s: %s",
                 config->source_addr, strerror(errno));
        goto fail;
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        snprintf(result->error, sizeof result->error, "cannot set TCP_NODELAY: %s",
                 strerror(errno));
        goto fail;
    }
    if (connect(fd, (struct sockaddr *)&remote, sizeof remote) != 0) {
        if (errno != EINPROGRESS) {
            snprintf(result->error, sizeof result->error, "cannot connect to %s:%u: %s",
                     config->server_addr, (unsigned)config->port, strerror(errno));
            goto fail;
        }
        int waited = wait_ready(fd, POLLOUT, deadline_ms);
        if (waited != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) != 0 ||
            so_error != 0) {
            snprintf(result->error, sizeof result->error, "cannot connect to %s:%u: %s",
                     config->server_addr, (unsigned)config->port,
                     waited == -1 ? "no answer in time"
                                  : strerror(so_error != 0 ? so_error : errno));
            goto fail;
        }
    }
    *fd_out = fd;
    return 0;
fail:
    close(fd);
    return -1;
}

/* Builds a fresh context: nothing shared with other users, no session cache. */
static WOLFSSL_CTX *make_context(const struct tls_client_config *config,
                                 struct tls_client_result *result)
{
    WOLFSSL_METHOD *method = config->versions == TLS_CHOICE_12   ? wolfTLSv1_2_client_method()
                             : config->versions == TLS_CHOICE_13 ? wolfTLSv1_3_client_method()
                                                                 : wolfSSLv23_client_method();
    WOLFSSL_CTX *ctx = method != NULL ? wolfSSL_CTX_new(method) : NULL;
    if (ctx == NULL) {
        snprintf(result->error, sizeof result->error, "cannot create a TLS context");
        return NULL;
    }
    if (config->versions == TLS_CHOICE_ANY &&
        wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
        snprintf(result->error, sizeof result->error, "cannot require TLS 1.2 or newer");
        goto fail;
    }
    if (wolfSSL_CTX_load_verify_buffer(ctx, config->root_pem, (long)config->root_pem_len,
                                       WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
        snprintf(result->error, sizeof result->error, "wolfSSL refused the lab's root certificate");
        goto fail;
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    /* Without this the ClientHello leaves status_request out even after
     * wolfSSL_UseOCSPStapling (src/tls.c TLSX_PopulateSemaphore checks
     * cm->ocspStaplingEnabled). It does not turn on wolfSSL's own OCSP
     * lookups: those need wolfSSL_CTX_EnableOCSP, which the browser never
     * calls, so every query to a responder is the lab's own. */
    if (config->wants_staple && wolfSSL_CTX_EnableOCSPStapling(ctx) != WOLFSSL_SUCCESS) {
        snprintf(result->error, sizeof result->error, "cannot enable OCSP stapling");
        goto fail;
    }
    /* The context is this connection's alone, so its callback argument can
     * be the connection's capture (set by the caller). */
    /* A fresh browser: no session is stored, so none can be resumed. */
    if (wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF) != WOLFSSL_SUCCESS) {
        snprintf(result->error, sizeof result->error, "cannot turn the session cache off");
        goto fail;
    }
    return ctx;
fail:
    wolfSSL_CTX_free(ctx);
    return NULL;
}

/* Runs one non-blocking wolfSSL step to completion or the deadline. `step`
 * returns > 0 on progress. Returns its value, or <= 0 with *error set. */
static int drive(WOLFSSL *ssl, int fd, int64_t deadline_ms, int (*step)(WOLFSSL *, void *),
                 void *arg, int *error)
{
    for (;;) {
        int rc = step(ssl, arg);
        if (rc > 0)
            return rc;
        int code = wolfSSL_get_error(ssl, rc);
        short events = code == WOLFSSL_ERROR_WANT_READ    ? POLLIN
                       : code == WOLFSSL_ERROR_WANT_WRITE ? POLLOUT
                                                          : 0;
        if (events == 0) {
            *error = code;
            return rc;
        }
        int waited = wait_ready(fd, events, deadline_ms);
        if (waited != 0) {
            *error = waited == -1 ? 0 : SOCKET_ERROR_E; /* 0: timed out */
            return -1;
        }
    }
}

static int step_connect(WOLFSSL *ssl, void *arg)
{
    (void)arg;
    return wolfSSL_connect(ssl) == WOLFSSL_SUCCESS ? 1 : -1;
}

struct io_span {
    char *data;
    int len;
};

static int step_write(WOLFSSL *ssl, void *arg)
{
    struct io_span *span = arg;
    return wolfSSL_write(ssl, span->data, span->len);
}

static int step_read(WOLFSSL *ssl, void *arg)
{
    struct io_span *span = arg;
    return wolfSSL_read(ssl, span->data, span->len);
}

/* GET path, then read the answer until the server closes, the announced body
 * is complete, or TLS_CLIENT_MAX_RESPONSE_BYTES arrived. */
static int http_exchange(const struct tls_client_config *config, WOLFSSL *ssl, int fd,
                         int64_t deadline_ms, struct tls_client_result *result)
{
    char request[1024];
    char *response = NULL;
    size_t used = 0;
    int error = 0, rc = -1;
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
                     "Connection: close\r\n\r\n",
                     config->path, config->server_name, config->user_agent);
    if (n < 0 || (size_t)n >= sizeof request) {
        snprintf(result->error, sizeof result->error, "the request line is too long");
        return -1;
    }
    struct io_span out = {request, n};
    while (out.len > 0) {
        int sent = drive(ssl, fd, deadline_ms, step_write, &out, &error);
        if (sent <= 0)
            goto io_failed;
        out.data += sent;
        out.len -= sent;
    }
    response = malloc(TLS_CLIENT_MAX_RESPONSE_BYTES);
    if (response == NULL) {
        snprintf(result->error, sizeof result->error, "out of memory");
        return -1;
    }
    struct http_head head = {0};
    bool has_head = false;
    while (used < TLS_CLIENT_MAX_RESPONSE_BYTES) {
        struct io_span in = {response + used, (int)(TLS_CLIENT_MAX_RESPONSE_BYTES - used)};
        int got = drive(ssl, fd, deadline_ms, step_read, &in, &error);
        if (got <= 0) {
            /* The server's close (with or without close_notify) ends the answer. */
            if (error == WOLFSSL_ERROR_ZERO_RETURN || error == SOCKET_PEER_CLOSED_E)
                break;
            goto io_failed;
        }
        used += (size_t)got;
        if (!has_head)
            has_head = http_head_read_response(response, used, &head) == HTTP_HEAD_OK;
        if (has_head && head.has_content_length && used >= head.head_len &&
            used - head.head_len >= head.content_length)
            break;
    }
    result->response_bytes = used;
    /* The status line decides, even when the server closed inside its head. */
    struct http_head status_line;
    if (http_head_read_status_line(response, used, &status_line) != HTTP_HEAD_OK) {
        snprintf(result->error, sizeof result->error, "the server's answer is not HTTP");
        goto out;
    }
    result->http_status = status_line.status;
    rc = 0;
    goto out;
io_failed:
    if (error == 0)
        snprintf(result->error, sizeof result->error, "no HTTP answer within %d ms",
                 config->timeout_ms);
    else
        describe_error(result, ssl, error);
out:
    free(response);
    return rc;
}

/* The server's leaf certificate, if wolfSSL got that far. */
static void keep_peer_cert(WOLFSSL *ssl, struct tls_client_result *result)
{
    WOLFSSL_X509 *peer = wolfSSL_get_peer_certificate(ssl);
    if (peer == NULL)
        return;
    int der_len = 0;
    const unsigned char *der = wolfSSL_X509_get_der(peer, &der_len);
    if (der != NULL && der_len > 0 &&
        der_write_raw(&result->peer_cert, der, (size_t)der_len) == DER_OK)
        result->has_peer_cert = true;
    wolfSSL_X509_free(peer);
}

struct tls_client_session {
    const struct tls_client_config *config;
    struct tls_client_result *result;
    WOLFSSL_CTX *ctx;
    WOLFSSL *ssl;
    int fd;
    struct capture cap; /* the message callback's argument: lives as long as ssl */
};

void tls_client_close(struct tls_client_session *session)
{
    if (session == NULL)
        return;
    if (session->ssl != NULL) {
        /* Best effort close_notify: the visit's outcome is already known, and
         * the server closes its side after Connection: close anyway. */
        if (session->result->stage == TLS_STAGE_DONE)
            (void)wolfSSL_shutdown(session->ssl);
        wolfSSL_free(session->ssl);
    }
    if (session->ctx != NULL)
        wolfSSL_CTX_free(session->ctx);
    if (session->fd >= 0)
        close(session->fd);
    forget_flight(&session->cap);
    free(session);
}

/* wolfSSL ended the handshake over a staple before the judge saw it: what
 * did the server send? TLS 1.2: the CertificateStatus message the message
 * callback kept. TLS 1.3: read back out of the server's encrypted flight. */
static void recover_undecodable_staple(struct tls_client_session *s)
{
    struct tls_client_result *result = s->result;
    struct capture *cap = &s->cap;
    result->is_staple_undecodable = true;
    if (!result->is_tls13) {
        if (!result->has_certificate_status)
            snprintf(result->certificate_status_why, sizeof result->certificate_status_why, "%s",
                     cap->is_too_large ? "the CertificateStatus message was too large"
                                       : "no CertificateStatus message was kept");
        return;
    }
    struct tls13_status_input in = {
        .server_bytes = cap->flight.data,
        .server_len = cap->flight.len,
        .cipher_suite = wolfSSL_get_current_cipher_suite(s->ssl),
        .server_handshake_secret = cap->server_handshake_secret,
        .secret_len = cap->server_handshake_secret_len,
    };
    if (tls13_status_recover(&in, &result->certificate_status, result->certificate_status_why,
                             sizeof result->certificate_status_why) == 0)
        result->has_certificate_status = true;
    else
        result->is_staple_undecodable = false; /* no staple found: an ordinary failure */
}

/* Records how a failed handshake ended, in words. */
static void handshake_failed(struct tls_client_session *s, int error)
{
    struct tls_client_result *result = s->result;
    if (error == 0)
        snprintf(result->error, sizeof result->error, "no TLS handshake within %d ms",
                 s->config->timeout_ms);
    else
        describe_error(result, s->ssl, error);
    /* The version is known once the server answered; before that
     * wolfSSL_version() only says what the client offered. */
    result->has_version =
        s->cap.saw_server_message || result->has_peer_cert || result->was_staple_judged;
    result->is_tls13 = wolfSSL_version(s->ssl) == TLS1_3_VERSION;
    if (s->config->wants_staple && !result->was_staple_judged &&
        (error == BAD_CERTIFICATE_STATUS_ERROR || error == BUFFER_ERROR) &&
        (result->has_certificate_status || result->is_tls13))
        recover_undecodable_staple(s);
    if (s->cap.is_too_large)
        snprintf(result->error, sizeof result->error,
                 "the server's stapled response is larger than %d bytes",
                 TLS_CLIENT_MAX_STATUS_BYTES);
}

/* Sets up the connection's callbacks: the staple's judge, the secrets (key
 * log, TLS 1.3 read-back), the kept first flight, and the TLS 1.2
 * CertificateStatus message. Returns 0, or -1 with result->error set. */
static int watch_handshake(struct tls_client_session *s)
{
    const struct tls_client_config *config = s->config;
    struct tls_client_result *result = s->result;
    s->cap.is_flight_kept = config->wants_staple;
    if (config->wants_staple)
        wolfSSL_CTX_set_ocsp_status_verify_cb(s->ctx, on_staple, &s->cap);
    if (wolfSSL_set_msg_callback(s->ssl, on_handshake_message) != WOLFSSL_SUCCESS ||
        wolfSSL_set_msg_callback_arg(s->ssl, &s->cap) != WOLFSSL_SUCCESS) {
        snprintf(result->error, sizeof result->error, "cannot watch the handshake");
        return -1;
    }
    if ((config->wants_staple || config->keylog != NULL) &&
        (wolfSSL_set_tls13_secret_cb(s->ssl, on_tls13_secret, &s->cap) != WOLFSSL_SUCCESS ||
         wolfSSL_set_secret_cb(s->ssl, on_tls12_secret, &s->cap) != WOLFSSL_SUCCESS)) {
        snprintf(result->error, sizeof result->error, "cannot follow the TLS secrets");
        return -1;
    }
    return 0;
}

int tls_client_open(const struct tls_client_config *config, struct tls_client_result *result,
                    struct tls_client_session **session_out)
{
    int error = 0;
    int64_t started = clock_monotonic_ms();

    *session_out = NULL;
    memset(result, 0, sizeof *result);
    result->stage = TLS_STAGE_SETUP;
    struct tls_client_session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(result->error, sizeof result->error, "out of memory");
        return -1;
    }
    s->config = config;
    s->result = result;
    s->fd = -1;
    s->cap.config = config;
    s->cap.result = result;
    s->cap.fd = -1;
    s->ctx = make_context(config, result);
    if (s->ctx == NULL)
        goto fail;
    s->ssl = wolfSSL_new(s->ctx);
    if (s->ssl == NULL) {
        snprintf(result->error, sizeof result->error, "cannot create a TLS connection");
        goto fail;
    }
    if (wolfSSL_UseSNI(s->ssl, WOLFSSL_SNI_HOST_NAME, config->server_name,
                       (unsigned short)strlen(config->server_name)) != WOLFSSL_SUCCESS ||
        wolfSSL_check_domain_name(s->ssl, config->server_name) != WOLFSSL_SUCCESS) {
        snprintf(result->error, sizeof result->error, "cannot set the server name %s",
                 config->server_name);
        goto fail;
    }
    /* No nonce in status_request: servers staple a cached response. */
    if (config->wants_staple &&
        wolfSSL_UseOCSPStapling(s->ssl, WOLFSSL_CSR_OCSP, 0) != WOLFSSL_SUCCESS) {
        snprintf(result->error, sizeof result->error, "cannot ask for OCSP stapling");
        goto fail;
    }
    if (watch_handshake(s) != 0)
        goto fail;

    result->stage = TLS_STAGE_CONNECT;
    if (open_connection(config, started + config->timeout_ms, result, &s->fd) != 0)
        goto fail;
    result->connect_ms = clock_monotonic_ms() - started;
    if (wolfSSL_set_fd(s->ssl, s->fd) != WOLFSSL_SUCCESS) {
        snprintf(result->error, sizeof result->error, "cannot attach the socket");
        goto fail;
    }
    s->cap.fd = s->fd;
    wolfSSL_SSLSetIORecv(s->ssl, receive_and_keep);
    wolfSSL_SetIOReadCtx(s->ssl, &s->cap);
    wolfSSL_set_using_nonblock(s->ssl, 1);

    result->stage = TLS_STAGE_HANDSHAKE;
    int64_t handshake_start = clock_monotonic_ms();
    int done =
        drive(s->ssl, s->fd, handshake_start + config->timeout_ms, step_connect, NULL, &error);
    result->handshake_ms = clock_monotonic_ms() - handshake_start;
    keep_peer_cert(s->ssl, result);
    if (done <= 0) {
        handshake_failed(s, error);
        goto fail;
    }
    forget_flight(&s->cap);
    result->has_version = true;
    result->is_tls13 = wolfSSL_version(s->ssl) == TLS1_3_VERSION;
    result->stage = TLS_STAGE_HTTP;
    *session_out = s;
    return 0;
fail:
    tls_client_close(s);
    return -1;
}

int tls_client_get(struct tls_client_session *s)
{
    struct tls_client_result *result = s->result;
    int64_t http_start = clock_monotonic_ms();
    result->stage = TLS_STAGE_HTTP;
    int exchanged =
        http_exchange(s->config, s->ssl, s->fd, http_start + s->config->timeout_ms, result);
    result->http_ms = clock_monotonic_ms() - http_start;
    if (exchanged != 0)
        return -1;
    result->stage = TLS_STAGE_DONE;
    return 0;
}
