/* ocsp_fetch.c — one OCSP request over HTTP with libcurl (GnuTLS flavour:
 * never the OpenSSL one, whose symbols clash with wolfSSL's compat layer). */
#include "ocsp_fetch.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ocsp_fetch_global_init(struct errbuf *err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        errbuf_set(err, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

struct sink {
    struct der_buf *body;
    size_t max_bytes;
    bool is_too_large;
};

static size_t collect(char *data, size_t size, size_t count, void *ctx)
{
    struct sink *sink = ctx;
    size_t len = size * count;
    if (len > sink->max_bytes || sink->body->len > sink->max_bytes - len) {
        sink->is_too_large = true;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    if (der_write_raw(sink->body, (const uint8_t *)data, len) != DER_OK)
        return 0;
    return len;
}

/* RFC 5019 5: GET {url}/{url-encoding of base-64 encoding of the DER request}. */
static int build_get_url(const char *base, const uint8_t *request, size_t request_len, char **out,
                         struct errbuf *err)
{
    word32 b64_len = (word32)(request_len * 2 + 8);
    char *b64 = malloc(b64_len);
    size_t base_len = strlen(base);
    char *url = NULL;
    int rc = -1;
    if (b64 == NULL)
        goto nomem;
    if (Base64_Encode_NoNl(request, (word32)request_len, (byte *)b64, &b64_len) != 0) {
        errbuf_set(err, "cannot base64-encode the request");
        goto out;
    }
    url = malloc(base_len + 1 + (size_t)b64_len * 3 + 1);
    if (url == NULL)
        goto nomem;
    size_t n = 0;
    memcpy(url, base, base_len);
    n = base_len;
    if (n == 0 || url[n - 1] != '/')
        url[n++] = '/';
    for (word32 i = 0; i < b64_len; i++) {
        char c = b64[i];
        if (c == '+' || c == '/' || c == '=') {
            n += (size_t)sprintf(url + n, "%%%02X", (unsigned char)c);
        } else {
            url[n++] = c;
        }
    }
    url[n] = 0;
    *out = url;
    url = NULL;
    rc = 0;
    goto out;
nomem:
    errbuf_set(err, "out of memory");
out:
    free(b64);
    free(url);
    return rc;
}

int ocsp_fetch(const struct ocsp_fetch_options *opts, const uint8_t *request, size_t request_len,
               struct ocsp_fetch_result *result, struct errbuf *err)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    char *get_url = NULL;
    char curl_error[CURL_ERROR_SIZE] = "";
    size_t max_bytes = opts->max_bytes > 0 ? opts->max_bytes : OCSP_FETCH_MAX_RESPONSE;
    struct sink sink = {&result->body, max_bytes, false};
    int rc = -1;

    result->http_status = 0;
    result->seconds = 0;
    result->failure = OCSP_FETCH_UNREACHABLE;
    if (curl == NULL) {
        errbuf_set(err, "cannot start libcurl");
        return -1;
    }
    if (opts->method == OCSP_FETCH_GET) {
        if (build_get_url(opts->url, request, request_len, &get_url, err) != 0)
            goto out;
        curl_easy_setopt(curl, CURLOPT_URL, get_url);
    } else if (opts->method == OCSP_FETCH_DOWNLOAD) {
        curl_easy_setopt(curl, CURLOPT_URL, opts->url);
    } else {
        curl_easy_setopt(curl, CURLOPT_URL, opts->url);
        headers = curl_slist_append(headers, "Content-Type: application/ocsp-request");
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)request);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)request_len);
    }
    /* OCSP is plain HTTP by design (RFC 6960 A.1): a TLS fetch would need a
     * revocation check of its own. Refuse anything else. */
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, opts->user_agent);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, opts->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, opts->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (opts->source_addr != NULL)
        curl_easy_setopt(curl, CURLOPT_INTERFACE, opts->source_addr);

    CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result->http_status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &result->seconds);
    if (code != CURLE_OK) {
        if (sink.is_too_large) {
            result->failure = OCSP_FETCH_TOO_LARGE;
            errbuf_set(err, "the answer from %s is larger than %zu bytes", opts->url, max_bytes);
        } else if (code == CURLE_OPERATION_TIMEDOUT) {
            result->failure = OCSP_FETCH_TIMEOUT;
            errbuf_set(err, "%s did not answer within %ld ms", opts->url, opts->timeout_ms);
        } else {
            errbuf_set(err, "cannot reach %s: %s", opts->url,
                       curl_error[0] != 0 ? curl_error : curl_easy_strerror(code));
        }
        goto out;
    }
    result->failure = OCSP_FETCH_HTTP_STATUS;
    if (result->http_status != 200) {
        errbuf_set(err, "%s answered HTTP %ld", opts->url, result->http_status);
        goto out;
    }
    if (result->body.len == 0) {
        errbuf_set(err, "%s answered with an empty body", opts->url);
        goto out;
    }
    result->failure = OCSP_FETCH_OK;
    rc = 0;
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(get_url);
    return rc;
}
