/* server.c — epoll workers serving HTTPS with wolfSSL on non-blocking sockets. */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "server.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http_head.h"
#include "net.h"
#include "tls_wire.h"
#include "trace.h"

enum conn_state {
    CONN_HELLO,     /* waiting for the whole first TLS record (peeked, not read) */
    CONN_HANDSHAKE, /* wolfSSL_accept in progress */
    CONN_READ_HEAD, /* reading an HTTP request head */
    CONN_WRITE,     /* sending a response */
};

struct conn {
    struct conn *prev, *next;
    int fd;
    enum conn_state state;
    WOLFSSL *ssl;
    struct site *site;
    int64_t deadline_ms;
    bool asked_status;
    bool got_staple;
    bool is_keepalive;
    bool is_tls13;
    uint64_t requests;
    char peer[INET6_ADDRSTRLEN];
    size_t head_len;
    char head[SERVER_MAX_HEAD_BYTES]; /* bytes of request heads, not a C string */
    char *out;
    size_t out_len, out_sent;
};

struct worker {
    struct server *server;
    int epfd;
    struct conn *conns;
};

static void count(int64_t *counter)
{
    __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

void server_read_stats(struct server *server, struct server_stats *out)
{
    out->handshakes = __atomic_load_n(&server->stats.handshakes, __ATOMIC_RELAXED);
    out->staples_sent = __atomic_load_n(&server->stats.staples_sent, __ATOMIC_RELAXED);
    out->status_requests = __atomic_load_n(&server->stats.status_requests, __ATOMIC_RELAXED);
    out->requests = __atomic_load_n(&server->stats.requests, __ATOMIC_RELAXED);
    out->dropped = __atomic_load_n(&server->stats.dropped, __ATOMIC_RELAXED);
}

/* ---- Listening ------------------------------------------------------------ */

int server_listen(struct server *server, const char *listen_spec, struct errbuf *err)
{
    return net_listen(listen_spec, true,
                      " (another server there? --listen 127.0.0.1:0 picks a free port)",
                      &server->listen_fd, server->bound, sizeof server->bound, err);
}

/* ---- Connections --------------------------------------------------------- */

static void conn_close(struct worker *w, struct conn *c, bool is_drop)
{
    struct server *server = w->server;
    if (is_drop)
        count(&server->stats.dropped);
    if (c->ssl != NULL) {
        /* RFC 8446 6.1: say close_notify before closing (one try; the socket
         * is non-blocking and the peer may already be gone). */
        if (c->state == CONN_READ_HEAD || c->state == CONN_WRITE)
            wolfSSL_shutdown(c->ssl);
        wolfSSL_free(c->ssl);
    }
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    site_release(c->site);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    free(c->out);
    free(c);
    __atomic_sub_fetch(&server->open_connections, 1, __ATOMIC_SEQ_CST);
}

static void set_interest(struct worker *w, struct conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void accept_all(struct worker *w)
{
    struct server *server = w->server;
    for (;;) {
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept4(server->listen_fd, (struct sockaddr *)&peer, &peer_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN: another worker took it, or none left */
        if (__atomic_add_fetch(&server->open_connections, 1, __ATOMIC_SEQ_CST) >
            SERVER_MAX_CONNECTIONS) {
            __atomic_sub_fetch(&server->open_connections, 1, __ATOMIC_SEQ_CST);
            count(&server->stats.dropped);
            close(fd);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            __atomic_sub_fetch(&server->open_connections, 1, __ATOMIC_SEQ_CST);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        c->state = CONN_HELLO;
        c->deadline_ms = clock_monotonic_ms() + SERVER_HANDSHAKE_TIMEOUT_MS;
        inet_ntop(AF_INET, &peer.sin_addr, c->peer, sizeof c->peer);
        c->next = w->conns;
        if (w->conns != NULL)
            w->conns->prev = c;
        w->conns = c;
        /* Edge-triggered while only peeking at the ClientHello: the bytes stay
         * in the socket, so level-triggered would wake us again and again
         * until the rest of the record arrives. */
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
            conn_close(w, c, true);
    }
}

static const char *tls_version_name(const struct conn *c)
{
    return c->is_tls13 ? "TLS 1.3" : "TLS 1.2";
}

static void queue_response(struct conn *c, int status, const char *reason, const char *type,
                           const char *body, bool keep_alive)
{
    size_t body_len = strlen(body);
    size_t cap = body_len + 256;
    free(c->out);
    c->out = malloc(cap);
    c->out_sent = 0;
    c->out_len = 0;
    if (c->out == NULL)
        return;
    int n = snprintf(c->out, cap,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\nCache-Control: no-store\r\n\r\n",
                     status, reason, type, body_len, keep_alive ? "keep-alive" : "close");
    if (n < 0 || (size_t)n + body_len > cap)
        return;
    memcpy(c->out + n, body, body_len);
    c->out_len = (size_t)n + body_len;
    c->is_keepalive = keep_alive;
}

/* Answers the request whose head is the first head_len bytes of the buffer. */
static void answer_request(struct worker *w, struct conn *c, size_t head_len)
{
    struct server *server = w->server;
    struct http_head head;
    count(&server->stats.requests);
    c->requests++;
    if (http_head_read_request(c->head, head_len, &head) != HTTP_HEAD_OK ||
        head.version_major != 1) {
        queue_response(c, 400, "Bad Request", "text/plain", "bad request line\n", false);
        return;
    }
    /* RFC 9112 9.3: HTTP/1.1 stays open unless either side says close. */
    bool keep_alive = head.version_minor == 1 && !head.is_connection_close;
    const char *path = head.target;
    if (strcmp(head.method, "GET") != 0) {
        queue_response(c, 405, "Method Not Allowed", "text/plain", "use GET\n", keep_alive);
        return;
    }
    if (strcmp(path, "/stats") == 0) {
        struct server_stats stats;
        server_read_stats(server, &stats);
        json_t *json = server->stats_json(server->owner, &stats);
        char *text = json != NULL ? json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(json);
        queue_response(c, 200, "OK", "application/json", text != NULL ? text : "{}", keep_alive);
        free(text);
        return;
    }
    if (strcmp(path, "/") != 0) {
        queue_response(c, 404, "Not Found", "text/plain", "not found: try / or /stats\n",
                       keep_alive);
        return;
    }
    char staple_line[512], page[2048];
    server->describe(server->owner, staple_line, sizeof staple_line);
    snprintf(page, sizeof page,
             "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
             "<body>\n<h1>%s</h1>\n<p>You reached %s over %s, served by the OCSP Stapling "
             "Lab web server.</p>\n<p>%s</p>\n<p>%s</p>\n</body></html>\n",
             server->site_name, server->site_name, server->site_name, tls_version_name(c),
             !c->asked_status ? "Your browser did not ask for a stapled OCSP response."
             : c->got_staple  ? "This handshake carried a stapled OCSP response, signed by the "
                                "CA: your browser did not need to ask the CA itself."
                              : "Your browser asked for a staple, but this handshake carried "
                                "none.",
             staple_line);
    queue_response(c, 200, "OK", "text/html; charset=utf-8", page, keep_alive);
}

static bool ssl_would_block(struct worker *w, struct conn *c, int rc)
{
    int error = wolfSSL_get_error(c->ssl, rc);
    if (error == WOLFSSL_ERROR_WANT_READ) {
        set_interest(w, c, EPOLLIN | EPOLLRDHUP);
        return true;
    }
    if (error == WOLFSSL_ERROR_WANT_WRITE) {
        set_interest(w, c, EPOLLOUT | EPOLLRDHUP);
        return true;
    }
    return false;
}

/* Peeks at the ClientHello and starts the TLS handshake. Returns true when
 * the handshake may run now; false when it must wait for more bytes or when
 * the connection was closed (and freed). */
static bool start_handshake(struct worker *w, struct conn *c)
{
    uint8_t peek[TLS_MAX_PLAINTEXT_BYTES + TLS_RECORD_HEADER_BYTES];
    ssize_t n = recv(c->fd, peek, sizeof peek, MSG_PEEK);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            conn_close(w, c, true);
        return false;
    }
    enum tls_hello_peek hello = tls_peek_client_hello(peek, (size_t)n);
    if (hello == TLS_HELLO_INCOMPLETE)
        return false; /* wait for the rest of the record (within the deadline) */
    if (hello == TLS_HELLO_NOT_CLIENT_HELLO) {
        trace_event("tls.garbage", json_pack("{s:s, s:i}", "peer", c->peer, "bytes", (int)n),
                    "The web server dropped a connection from %s that sent %zd bytes that are "
                    "not a TLS ClientHello.",
                    c->peer, n);
        conn_close(w, c, true);
        return false;
    }
    c->asked_status = hello == TLS_HELLO_ASKS_STATUS;
    if (c->asked_status)
        count(&w->server->stats.status_requests);
    c->site = site_slot_get(w->server->sites);
    if (c->site == NULL || (c->ssl = wolfSSL_new(c->site->ctx)) == NULL) {
        conn_close(w, c, true);
        return false;
    }
    if (wolfSSL_set_app_data(c->ssl, c->site) != WOLFSSL_SUCCESS) {
        conn_close(w, c, true);
        return false;
    }
    wolfSSL_set_fd(c->ssl, c->fd);
    wolfSSL_set_using_nonblock(c->ssl, 1);
    c->state = CONN_HANDSHAKE;
    set_interest(w, c, EPOLLIN | EPOLLRDHUP);
    return true;
}

static void do_handshake(struct worker *w, struct conn *c)
{
    int rc = wolfSSL_accept(c->ssl);
    if (rc != WOLFSSL_SUCCESS) {
        if (!ssl_would_block(w, c, rc))
            conn_close(w, c, true);
        return;
    }
    struct server *server = w->server;
    c->is_tls13 = wolfSSL_version(c->ssl) == TLS1_3_VERSION;
    c->got_staple = c->asked_status && c->site->staple != NULL;
    count(&server->stats.handshakes);
    if (c->got_staple)
        count(&server->stats.staples_sent);
    trace_event("tls.handshake.done",
                json_pack("{s:s, s:s, s:b, s:b}", "peer", c->peer, "version", tls_version_name(c),
                          "status_request", c->asked_status, "stapled", c->got_staple),
                "The web server completed a %s handshake with %s: %s.", tls_version_name(c),
                c->peer,
                !c->asked_status ? "the client did not ask for a staple"
                : c->got_staple  ? "it stapled the CA-signed OCSP response to its certificate"
                                 : "the client asked for a staple, but the server had none");
    c->state = CONN_READ_HEAD;
    c->deadline_ms = clock_monotonic_ms() + SERVER_HEAD_TIMEOUT_MS;
    set_interest(w, c, EPOLLIN | EPOLLRDHUP);
}

static void do_read_head(struct worker *w, struct conn *c);
static bool answer_if_complete(struct worker *w, struct conn *c);

static void do_write(struct worker *w, struct conn *c)
{
    while (c->out_sent < c->out_len) {
        int n = wolfSSL_write(c->ssl, c->out + c->out_sent, (int)(c->out_len - c->out_sent));
        if (n <= 0) {
            if (!ssl_would_block(w, c, n))
                conn_close(w, c, true);
            return;
        }
        c->out_sent += (size_t)n;
    }
    if (!c->is_keepalive) {
        conn_close(w, c, false);
        return;
    }
    c->state = CONN_READ_HEAD;
    c->deadline_ms = clock_monotonic_ms() + SERVER_KEEPALIVE_TIMEOUT_MS;
    set_interest(w, c, EPOLLIN | EPOLLRDHUP);
    /* A pipelined request already in the buffer, or already decrypted inside
     * wolfSSL, would not wake epoll: serve it now. */
    if (answer_if_complete(w, c))
        return;
    if (wolfSSL_pending(c->ssl) > 0)
        do_read_head(w, c);
}

static void do_read_head(struct worker *w, struct conn *c)
{
    for (;;) {
        if (c->head_len == SERVER_MAX_HEAD_BYTES) {
            queue_response(c, 431, "Request Header Fields Too Large", "text/plain",
                           "request head too large\n", false);
            c->state = CONN_WRITE;
            do_write(w, c);
            return;
        }
        int n =
            wolfSSL_read(c->ssl, c->head + c->head_len, (int)(SERVER_MAX_HEAD_BYTES - c->head_len));
        if (n <= 0) {
            if (!ssl_would_block(w, c, n))
                conn_close(w, c, false);
            return;
        }
        c->head_len += (size_t)n;
        if (answer_if_complete(w, c))
            return;
    }
}

/* When the buffer holds a whole request head, answers it and keeps any bytes
 * after it (a pipelined next request). Returns true when it answered. */
static bool answer_if_complete(struct worker *w, struct conn *c)
{
    size_t consumed;
    if (!http_head_find_end(c->head, c->head_len, &consumed))
        return false;
    answer_request(w, c, consumed);
    c->head_len -= consumed;
    memmove(c->head, c->head + consumed, c->head_len);
    c->state = CONN_WRITE;
    c->deadline_ms = clock_monotonic_ms() + SERVER_HEAD_TIMEOUT_MS;
    do_write(w, c);
    return true;
}

static void handle_event(struct worker *w, struct conn *c)
{
    switch (c->state) {
    case CONN_HELLO:
        /* c may be freed inside: look at it again only when it says go on. */
        if (!start_handshake(w, c))
            return;
        /* the ClientHello is there: start at once */
        __attribute__((fallthrough));
    case CONN_HANDSHAKE:
        do_handshake(w, c);
        return;
    case CONN_READ_HEAD:
        do_read_head(w, c);
        return;
    case CONN_WRITE:
        do_write(w, c);
        return;
    }
}

/* Closes connections past their deadline: stalled handshakes, slow heads, idle keep-alives. */
static void sweep(struct worker *w, int64_t now_ms)
{
    struct conn *c = w->conns;
    while (c != NULL) {
        struct conn *next = c->next;
        if (now_ms >= c->deadline_ms)
            conn_close(w, c, c->state != CONN_READ_HEAD || c->head_len > 0);
        c = next;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct server *server = w->server;
    struct epoll_event events[64];
    int64_t last_sweep = clock_monotonic_ms();
    for (;;) {
        int n = epoll_wait(w->epfd, events, 64, 100);
        for (int i = 0; i < n; i++) {
            void *ptr = events[i].data.ptr;
            if (ptr == &server->stop_pipe)
                goto stop;
            if (ptr == server) {
                accept_all(w);
                continue;
            }
            handle_event(w, ptr);
        }
        int64_t now_ms = clock_monotonic_ms();
        if (now_ms - last_sweep >= 100) {
            sweep(w, now_ms);
            last_sweep = now_ms;
        }
    }
stop:
    while (w->conns != NULL)
        conn_close(w, w->conns, false);
    close(w->epfd);
    free(w);
    return NULL;
}

int server_start(struct server *server, size_t workers, struct errbuf *err)
{
    if (workers == 0)
        workers = 1;
    if (workers > SERVER_MAX_WORKERS)
        workers = SERVER_MAX_WORKERS;
    if (pipe2(server->stop_pipe, O_CLOEXEC) != 0) {
        errbuf_set(err, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    server->worker_count = 0;
    for (size_t i = 0; i < workers; i++) {
        struct worker *w = calloc(1, sizeof *w);
        if (w == NULL)
            break;
        w->server = server;
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        /* EPOLLEXCLUSIVE: one worker wakes per new connection, not all. */
        struct epoll_event listen_ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = server};
        struct epoll_event stop_ev = {.events = EPOLLIN, .data.ptr = &server->stop_pipe};
        if (w->epfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, server->listen_fd, &listen_ev) != 0 ||
            epoll_ctl(w->epfd, EPOLL_CTL_ADD, server->stop_pipe[0], &stop_ev) != 0 ||
            pthread_create(&server->workers[i], NULL, worker_main, w) != 0) {
            errbuf_set(err, "cannot start worker %zu: %s", i, strerror(errno));
            if (w->epfd >= 0)
                close(w->epfd);
            free(w);
            break;
        }
        server->worker_count++;
    }
    return server->worker_count == workers ? 0 : -1;
}

void server_stop(struct server *server)
{
    /* One byte in the pipe wakes every worker (level-triggered, never read). */
    ssize_t ignored = write(server->stop_pipe[1], "x", 1);
    (void)ignored;
    for (size_t i = 0; i < server->worker_count; i++)
        pthread_join(server->workers[i], NULL);
    server->worker_count = 0;
    close(server->stop_pipe[0]);
    close(server->stop_pipe[1]);
    if (server->listen_fd >= 0)
        close(server->listen_fd);
    server->listen_fd = -1;
}
