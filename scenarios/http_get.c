/* http_get.c — GET /stats and POST /control/fault for the scenario runner.
 * Plain HTTP (the responder) goes through libcurl. HTTPS (the web server)
 * goes through a small wolfSSL client instead: libcurl's GnuTLS always asks
 * for a staple (status_request), and every runner request would then count
 * as a staple sent in the very counters a lesson checks. */
#include "http_get.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http_head.h"
#include "lab.h"

int scn_http_global_init(struct errbuf *err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        errbuf_set(err, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
        return -1;
    }
    if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
        curl_global_cleanup();
        errbuf_set(err, "cannot initialise wolfSSL");
        return -1;
    }
    return 0;
}

void scn_http_global_cleanup(void)
{
    wolfSSL_Cleanup();
    curl_global_cleanup();
}

struct body {
    char *data;
    size_t len;
    bool is_too_large;
};

static size_t collect(char *data, size_t size, size_t count, void *ctx)
{
    struct body *b = ctx;
    size_t len = size * count;
    if (len > SCN_HTTP_MAX_BODY - b->len) {
        b->is_too_large = true;
        return 0;
    }
    char *grown = realloc(b->data, b->len + len + 1);
    if (grown == NULL)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return len;
}

/* One plain HTTP request (the responder); the body (NUL-terminated) in *b, which the
 * caller frees. */
/* `headers` (may be NULL) are extra request headers for a POST. */
static int request(const char *url, const char *post_body, struct curl_slist *headers,
                   struct body *b, struct errbuf *err)
{
    CURL *curl = curl_easy_init();
    char curl_error[CURL_ERROR_SIZE] = "";
    long http_status = 0;
    int rc = -1;
    if (curl == NULL) {
        errbuf_set(err, "cannot start libcurl");
        return -1;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ocsp-lab-scenario");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)SCN_HTTP_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)SCN_HTTP_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    if (post_body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(post_body));
        if (headers != NULL)
            curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    }
    CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
    if (code != CURLE_OK) {
        if (b->is_too_large)
            errbuf_set(err, "%s sent more than %d bytes", url, SCN_HTTP_MAX_BODY);
        else
            errbuf_set(err, "cannot reach %s: %s", url,
                       curl_error[0] != 0 ? curl_error : curl_easy_strerror(code));
        goto out;
    }
    if (http_status != 200) {
        errbuf_set(err, "%s answered HTTP %ld%s%s", url, http_status, b->data != NULL ? ": " : "",
                   b->data != NULL ? b->data : "");
        goto out;
    }
    rc = 0;
out:
    curl_easy_cleanup(curl);
    return rc;
}

/* Appends bytes to b, bounded by SCN_HTTP_MAX_BODY. */
static int append(struct body *b, const char *data, size_t len)
{
    return collect((char *)data, 1, len, b) == len ? 0 : -1;
}

/* GET https://HOST:PORT/PATH from LAB_RUNNER_ADDR to 127.0.0.1:PORT with wolfSSL, without
 * asking for a staple and without checking the certificate (http_get.h).
 * The socket has a time limit for every read and write. */
static int tls_get(const char *url, int port, struct body *b, struct errbuf *err)
{
    char host[256], request_text[512];
    const char *h = url + strlen("https://");
    size_t host_len = strcspn(h, ":/");
    const char *path = strchr(h, '/');
    int fd = -1, rc = -1;
    WOLFSSL_CTX *ctx = NULL;
    WOLFSSL *ssl = NULL;
    struct body raw = {0};

    if (host_len == 0 || host_len >= sizeof host || path == NULL || strlen(path) > 256) {
        errbuf_set(err, "cannot request %s", url);
        return -1;
    }
    memcpy(host, h, host_len);
    host[host_len] = 0;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval limit = {SCN_HTTP_TIMEOUT_MS / 1000, 0};
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* From the runner's own address, so the ladder can tell these looks
     * from the lab's users and leave them out (ladder_rows.h). */
    struct sockaddr_in own = {.sin_family = AF_INET};
    inet_pton(AF_INET, LAB_RUNNER_ADDR, &own.sin_addr);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) != 0 ||
        bind(fd, (struct sockaddr *)&own, sizeof own) != 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        errbuf_set(err, "cannot reach %s: %s", url, strerror(errno));
        goto out;
    }
    ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
    ssl = ctx != NULL ? wolfSSL_new(ctx) : NULL;
    if (ssl == NULL) {
        errbuf_set(err, "cannot start a wolfSSL client");
        goto out;
    }
    wolfSSL_set_verify(ssl, WOLFSSL_VERIFY_NONE, NULL);
    if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, host, (unsigned short)host_len) !=
            WOLFSSL_SUCCESS ||
        wolfSSL_set_fd(ssl, fd) != WOLFSSL_SUCCESS || wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
        char why[WOLFSSL_MAX_ERROR_SZ];
        wolfSSL_ERR_error_string_n((unsigned long)wolfSSL_get_error(ssl, 0), why, sizeof why);
        errbuf_set(err, "TLS handshake with %s failed: %s", url, why);
        goto out;
    }
    int n = snprintf(request_text, sizeof request_text,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ocsp-lab-scenario\r\n"
                     "Connection: close\r\n\r\n",
                     path, host);
    if (n < 0 || (size_t)n >= sizeof request_text || wolfSSL_write(ssl, request_text, n) != n) {
        errbuf_set(err, "cannot send the request to %s", url);
        goto out;
    }
    /* Read until the server closes or the body announced by Content-Length is in. */
    struct http_head head = {0};
    enum http_head_result parsed = HTTP_HEAD_INCOMPLETE;
    for (;;) {
        char chunk[4096];
        int got = wolfSSL_read(ssl, chunk, sizeof chunk);
        if (got <= 0)
            break;
        if (append(&raw, chunk, (size_t)got) != 0) {
            errbuf_set(err, "%s sent more than %d bytes", url, SCN_HTTP_MAX_BODY);
            goto out;
        }
        parsed = http_head_read_response(raw.data, raw.len, &head);
        if (parsed == HTTP_HEAD_OK && head.has_content_length &&
            raw.len - head.head_len >= head.content_length)
            break;
    }
    if (parsed != HTTP_HEAD_OK || head.version_major != 1) {
        errbuf_set(err, "%s sent no HTTP answer", url);
        goto out;
    }
    if (head.status != 200) {
        errbuf_set(err, "%s answered HTTP %d", url, head.status);
        goto out;
    }
    if (append(b, raw.data + head.head_len, raw.len - head.head_len) != 0) {
        errbuf_set(err, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (ssl != NULL) {
        wolfSSL_shutdown(ssl);
        wolfSSL_free(ssl);
    }
    wolfSSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    free(raw.data);
    return rc;
}

int scn_http_get_json(const char *url, int resolve_port, json_t **out, struct errbuf *err)
{
    struct body b = {0};
    json_error_t json_err;
    *out = NULL;
    int rc = strncmp(url, "https://", 8) == 0 && resolve_port > 0
                 ? tls_get(url, resolve_port, &b, err)
                 : request(url, NULL, NULL, &b, err);
    if (rc == 0) {
        *out = json_loadb(b.data != NULL ? b.data : "", b.len, 0, &json_err);
        if (*out == NULL || !json_is_object(*out)) {
            errbuf_set(err, "%s did not answer with a JSON object: %s", url,
                       *out == NULL ? json_err.text : "another JSON value");
            json_decref(*out);
            *out = NULL;
            rc = -1;
        }
    }
    free(b.data);
    return rc;
}

int scn_http_post_control(const char *url, const char *token, const char *body, char *answer,
                          size_t answer_cap, struct errbuf *err)
{
    struct body b = {0};
    char token_header[sizeof CONTROL_TOKEN_HEADER + CONTROL_TOKEN_HEX + 4];
    snprintf(token_header, sizeof token_header, "%s: %s", CONTROL_TOKEN_HEADER, token);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: " CONTROL_CONTENT_TYPE);
    struct curl_slist *both = headers != NULL ? curl_slist_append(headers, token_header) : NULL;
    explicit_bzero(token_header, sizeof token_header);
    if (both == NULL) {
        curl_slist_free_all(headers);
        errbuf_set(err, "out of memory");
        return -1;
    }
    int rc = request(url, body, both, &b, err);
    curl_slist_free_all(both);
    if (answer != NULL && answer_cap > 0)
        snprintf(answer, answer_cap, "%s", b.data != NULL ? b.data : "");
    free(b.data);
    return rc;
}
