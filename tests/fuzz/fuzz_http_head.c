/* fuzz_http_head.c — libFuzzer target for common/http_head, the one reader
 * of HTTP/1.x heads (the web server's requests, the browser's and the
 * scenario runner's responses). The first byte picks request (even) or
 * response (odd); the rest is the bytes as they came off the network.
 * Invariants: a head ends where http_head_find_end says, with CRLF CRLF;
 * the head alone reads the same as the head with a body behind it; the
 * request line's words fit their bounds; a status is 100..599; the status
 * line alone says the same status. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_head.h"

#include "fuzz_check.h"

static bool same_fields(const struct http_head *a, const struct http_head *b)
{
    return strcmp(a->method, b->method) == 0 && strcmp(a->target, b->target) == 0 &&
           a->status == b->status && a->version_major == b->version_major &&
           a->version_minor == b->version_minor && a->head_len == b->head_len &&
           a->has_content_length == b->has_content_length &&
           a->content_length == b->content_length &&
           a->is_connection_close == b->is_connection_close;
}

static void check_head(const char *text, size_t len, const struct http_head *head, bool is_request)
{
    size_t end = 0;
    FUZZ_CHECK(head->head_len >= 4 && head->head_len <= len);
    FUZZ_CHECK(memcmp(text + head->head_len - 4, "\r\n\r\n", 4) == 0);
    FUZZ_CHECK(http_head_find_end(text, len, &end) && end == head->head_len);
    FUZZ_CHECK(head->version_major >= 0 && head->version_major <= 9 && head->version_minor >= 0 &&
               head->version_minor <= 9);
    struct http_head again;
    char *alone = (char *)fuzz_exact_copy((const uint8_t *)text, head->head_len);
    if (is_request) {
        FUZZ_CHECK(strlen(head->method) > 0 && strlen(head->method) <= HTTP_HEAD_MAX_METHOD);
        FUZZ_CHECK(strlen(head->target) > 0 && strlen(head->target) <= HTTP_HEAD_MAX_TARGET);
        FUZZ_CHECK(http_head_read_request(alone, head->head_len, &again) == HTTP_HEAD_OK);
    } else {
        FUZZ_CHECK(head->status >= 100 && head->status <= 599);
        FUZZ_CHECK(http_head_read_response(alone, head->head_len, &again) == HTTP_HEAD_OK);
        struct http_head line;
        FUZZ_CHECK(http_head_read_status_line(text, len, &line) == HTTP_HEAD_OK &&
                   line.status == head->status);
    }
    FUZZ_CHECK(same_fields(head, &again));
    free(alone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1;
    /* With no NUL after it: the reader must not need one. */
    char *text = (char *)fuzz_exact_copy(data + 1, len);
    bool is_request = (data[0] & 1) == 0;
    struct http_head head;
    enum http_head_result rc = is_request ? http_head_read_request(text, len, &head)
                                          : http_head_read_response(text, len, &head);
    FUZZ_CHECK(rc == HTTP_HEAD_OK || rc == HTTP_HEAD_INCOMPLETE || rc == HTTP_HEAD_BAD_START_LINE);
    if (rc == HTTP_HEAD_OK)
        check_head(text, len, &head, is_request);
    size_t end = 0;
    if (rc == HTTP_HEAD_INCOMPLETE && http_head_find_end(text, len, &end))
        FUZZ_CHECK(0); /* a head that ends cannot be waiting for more */
    free(text);
    return 0;
}
