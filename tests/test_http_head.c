/* test_http_head.c — common/http_head, the one reader of HTTP/1.x heads
 * that the web server (requests), the browser and the scenario runner
 * (responses) share: start lines, the blank line that ends a head, every
 * truncation, the request line's bounds, bad versions, and the field edge
 * cases (case-insensitive names, Content-Length, Connection lists). */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_head.h"

#define ROWS(table) ((int)(sizeof(table) / sizeof((table)[0])))
#define OK HTTP_HEAD_OK
#define MORE HTTP_HEAD_INCOMPLETE
#define BAD HTTP_HEAD_BAD_START_LINE

/* An exact-size copy, so AddressSanitizer (make asan) sees any read past
 * the end; the reader must never need a NUL after the bytes. */
static char *exact_copy(const char *text, size_t len)
{
    char *copy = malloc(len > 0 ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, text, len);
    return copy;
}

typedef enum http_head_result (*head_reader)(const char *data, size_t len, struct http_head *out);

/* The Content-Length a head announced (-1: none, or none usable), and where
 * the head ends: at its blank line, as http_head_find_end says. */
static void check_length_and_end(const char *label, const char *text, size_t len,
                                 const struct http_head *head, long content_length)
{
    ck_assert_msg(head->has_content_length == (content_length >= 0), "%s", label);
    if (content_length >= 0)
        ck_assert_uint_eq(head->content_length, (size_t)content_length);
    size_t end = 0;
    ck_assert(http_head_find_end(text, len, &end));
    ck_assert_uint_eq(end, head->head_len);
    ck_assert_int_eq(memcmp(text + end - 4, "\r\n\r\n", 4), 0);
}

/* Every prefix shorter than `head_end` is incomplete (or bad, when the
 * whole is bad too); a cut body is no business of the head. */
static void check_prefixes(const char *label, const char *text, size_t head_end,
                           head_reader read_head, bool may_be_bad)
{
    struct http_head head;
    for (size_t cut = 0; cut < head_end; cut++) {
        char *shorter = exact_copy(text, cut);
        enum http_head_result part = read_head(shorter, cut, &head);
        ck_assert_msg(part == MORE || (part == BAD && may_be_bad), "%s cut at %zu: %d", label, cut,
                      part);
        free(shorter);
    }
}

/* ---- Requests --------------------------------------------------------------------- */

static const struct request_row {
    const char *label;
    const char *text;
    enum http_head_result want;
    const char *method, *target;
    int minor;
    bool is_close;
    long content_length; /* -1: none */
} request_rows[] = {
    {"a GET", "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n", OK, "GET", "/", 1, false, -1},
    {"GET /stats", "GET /stats HTTP/1.1\r\n\r\n", OK, "GET", "/stats", 1, false, -1},
    {"HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", OK, "GET", "/", 0, false, -1},
    {"Connection: close", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", OK, "GET", "/", 1, true,
     -1},
    {"connection: close, lower case", "GET / HTTP/1.1\r\nconnection: close\r\n\r\n", OK, "GET", "/",
     1, true, -1},
    {"CONNECTION: CLOSE", "GET / HTTP/1.1\r\nCONNECTION: CLOSE\r\n\r\n", OK, "GET", "/", 1, true,
     -1},
    {"close in a list", "GET / HTTP/1.1\r\nConnection: keep-alive ,close\r\n\r\n", OK, "GET", "/",
     1, true, -1},
    {"no space after the colon", "GET / HTTP/1.1\r\nConnection:close\r\n\r\n", OK, "GET", "/", 1,
     true, -1},
    {"closed is not close", "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", OK, "GET", "/", 1,
     false, -1},
    {"close in another field", "GET / HTTP/1.1\r\nX-Note: Connection: close\r\n\r\n", OK, "GET",
     "/", 1, false, -1},
    {"keep-alive", "GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", OK, "GET", "/", 1, false,
     -1},
    {"a POST with a body", "POST /x HTTP/1.1\r\nContent-Length: 12\r\n\r\nhello, world", OK, "POST",
     "/x", 1, false, 12},
    {"one empty line first", "\r\nGET / HTTP/1.1\r\n\r\n", OK, "GET", "/", 1, false, -1},
    {"tabs and runs of spaces", "GET \t /  HTTP/1.1  \r\n\r\n", OK, "GET", "/", 1, false, -1},
    {"a field line without a colon", "GET / HTTP/1.1\r\nnonsense\r\n\r\n", OK, "GET", "/", 1, false,
     -1},
    {"method of 15", "ABCDEFGHIJKLMNO / HTTP/1.1\r\n\r\n", OK, "ABCDEFGHIJKLMNO", "/", 1, false,
     -1},
    {"method of 16", "ABCDEFGHIJKLMNOP / HTTP/1.1\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"two words", "GET /\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"four words", "GET / HTTP/1.1 x\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"an empty request line", "\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"HTTP/2.0 is read; the server refuses it", "GET / HTTP/2.0\r\n\r\n", OK, "GET", "/", 0, false,
     -1},
    {"HTTP/1.10", "GET / HTTP/1.10\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"HTTP/1", "GET / HTTP/1\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"http/1.1 in lower case", "GET / http/1.1\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"HTTP/x.1", "GET / HTTP/x.1\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"not HTTP at all", "\x16\x03\x01\x02hello\r\n\r\n", BAD, NULL, NULL, 0, false, -1},
    {"no blank line yet", "GET / HTTP/1.1\r\nHost: shop.test\r\n", MORE, NULL, NULL, 0, false, -1},
    {"half a CRLF", "GET / HTTP/1.1\r", MORE, NULL, NULL, 0, false, -1},
    {"nothing", "", MORE, NULL, NULL, 0, false, -1},
    {"bare LF lines", "GET / HTTP/1.1\n\n", MORE, NULL, NULL, 0, false, -1},
};

START_TEST(test_requests)
{
    const struct request_row *row = &request_rows[_i];
    size_t len = strlen(row->text);
    char *copy = exact_copy(row->text, len);
    struct http_head head;
    enum http_head_result rc = http_head_read_request(copy, len, &head);
    ck_assert_msg(rc == row->want, "%s: %d, wanted %d", row->label, rc, row->want);
    if (rc == OK) {
        ck_assert_str_eq(head.method, row->method);
        ck_assert_str_eq(head.target, row->target);
        ck_assert_msg(head.version_minor == row->minor, "%s: minor %d", row->label,
                      head.version_minor);
        ck_assert_msg(head.is_connection_close == row->is_close, "%s: close", row->label);
        check_length_and_end(row->label, copy, len, &head, row->content_length);
    }
    if (rc != MORE)
        check_prefixes(row->label, copy, rc == OK ? head.head_len : len, http_head_read_request,
                       rc == BAD);
    free(copy);
}
END_TEST

/* A NUL in the request line is a bad request, not the end of the text. */
START_TEST(test_request_nul)
{
    static const char text[] = "GET /\0x HTTP/1.1\r\n\r\n";
    struct http_head head;
    ck_assert_int_eq(http_head_read_request(text, sizeof text - 1, &head), BAD);
}
END_TEST

/* The longest path the server takes, and one byte more. */
START_TEST(test_request_target_bound)
{
    char text[HTTP_HEAD_MAX_TARGET + 64];
    struct http_head head;
    for (size_t target_len = HTTP_HEAD_MAX_TARGET; target_len <= HTTP_HEAD_MAX_TARGET + 1;
         target_len++) {
        size_t n = 0;
        memcpy(text, "GET /", 5);
        n = 5;
        memset(text + n, 'a', target_len - 1);
        n += target_len - 1;
        memcpy(text + n, " HTTP/1.1\r\n\r\n", 13);
        n += 13;
        enum http_head_result rc = http_head_read_request(text, n, &head);
        if (target_len == HTTP_HEAD_MAX_TARGET) {
            ck_assert_int_eq(rc, OK);
            ck_assert_uint_eq(strlen(head.target), HTTP_HEAD_MAX_TARGET);
        } else {
            ck_assert_int_eq(rc, BAD);
        }
    }
}
END_TEST

/* ---- Responses -------------------------------------------------------------------- */

static const struct response_row {
    const char *label;
    const char *text;
    enum http_head_result want;        /* http_head_read_response */
    enum http_head_result status_want; /* http_head_read_status_line */
    int status, major;
    long content_length;
    size_t head_len;
} response_rows[] = {
    {"200 with a body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", OK, OK, 200, 1, 2, 38},
    {"content-length in lower case", "HTTP/1.1 200 OK\r\ncontent-length:  7 \r\n\r\n", OK, OK, 200,
     1, 7, 40},
    {"no reason phrase", "HTTP/1.1 204\r\n\r\n", OK, OK, 204, 1, -1, 16},
    {"HTTP/1.0 404", "HTTP/1.0 404 Not Found\r\n\r\n", OK, OK, 404, 1, -1, 26},
    {"HTTP/2.0 is read; the runner refuses it", "HTTP/2.0 200 OK\r\n\r\n", OK, OK, 200, 2, -1, 19},
    {"the first Content-Length counts",
     "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
     "Content-Length: 9\r\n\r\n",
     OK, OK, 200, 1, 1, 57},
    {"a Content-Length that is no number", "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", OK,
     OK, 200, 1, -1, 42},
    {"a negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", OK, OK, 200, 1,
     -1, 39},
    {"an empty Content-Length", "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", OK, OK, 200, 1, -1,
     36},
    {"a Content-Length past SIZE_MAX",
     "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", OK, OK, 200, 1, -1, 60},
    {"status 099", "HTTP/1.1 099 Low\r\n\r\n", BAD, BAD, 0, 0, -1, 0},
    {"status 600", "HTTP/1.1 600 High\r\n\r\n", BAD, BAD, 0, 0, -1, 0},
    {"status of two digits", "HTTP/1.1 20 OK\r\n\r\n", BAD, BAD, 0, 0, -1, 0},
    {"status of four digits", "HTTP/1.1 2000 OK\r\n\r\n", BAD, BAD, 0, 0, -1, 0},
    {"no status", "HTTP/1.1\r\n\r\n", BAD, BAD, 0, 0, -1, 0},
    {"HTTP/2 without a minor", "HTTP/2 200\r\n\r\n", BAD, BAD, 0, 0, -1, 0},
    {"plain text", "hello\r\n\r\n", BAD, BAD, 0, 0, -1, 0},
    {"closed inside the head", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", MORE, OK, 200, 1,
     -1, 0},
    {"closed inside the status line", "HTTP/1.1 503", MORE, OK, 503, 1, -1, 0},
    {"nothing", "", MORE, BAD, 0, 0, -1, 0},
};

START_TEST(test_responses)
{
    const struct response_row *row = &response_rows[_i];
    size_t len = strlen(row->text);
    char *copy = exact_copy(row->text, len);
    struct http_head head;
    enum http_head_result rc = http_head_read_response(copy, len, &head);
    ck_assert_msg(rc == row->want, "%s: %d, wanted %d", row->label, rc, row->want);
    if (rc == OK) {
        ck_assert_int_eq(head.status, row->status);
        ck_assert_int_eq(head.version_major, row->major);
        ck_assert_uint_eq(head.head_len, row->head_len);
        check_length_and_end(row->label, copy, len, &head, row->content_length);
        check_prefixes(row->label, copy, row->head_len, http_head_read_response, false);
    }
    rc = http_head_read_status_line(copy, len, &head);
    ck_assert_msg(rc == row->status_want, "%s: status line %d", row->label, rc);
    if (rc == OK)
        ck_assert_int_eq(head.status, row->status);
    free(copy);
}
END_TEST

/* ---- The end of a head ------------------------------------------------------------ */

static const struct end_row {
    const char *label;
    const char *text;
    bool is_found;
    size_t head_len;
} end_rows[] = {
    {"a head and a body", "HTTP/1.1 200 OK\r\n\r\nbody", true, 19},
    {"a pipelined second request", "GET / HTTP/1.1\r\n\r\nGET /stats HTTP/1.1\r\n\r\n", true, 18},
    {"one empty line first", "\r\nGET / HTTP/1.1\r\n\r\n", true, 20},
    {"only empty lines", "\r\n\r\n", true, 4},
    {"one empty line", "\r\n", false, 0},
    {"no blank line", "GET / HTTP/1.1\r\nHost: a\r\n", false, 0},
    {"CR LF CR", "GET / HTTP/1.1\r\n\r", false, 0},
    {"LF LF", "GET / HTTP/1.1\n\n", false, 0},
    {"nothing", "", false, 0},
};

START_TEST(test_find_end)
{
    const struct end_row *row = &end_rows[_i];
    size_t len = strlen(row->text), end = 0;
    char *copy = exact_copy(row->text, len);
    ck_assert_msg(http_head_find_end(copy, len, &end) == row->is_found, "%s", row->label);
    if (row->is_found)
        ck_assert_uint_eq(end, row->head_len);
    free(copy);
}
END_TEST

Suite *http_head_suite(void);
Suite *http_head_suite(void)
{
    Suite *s = suite_create("http_head");
    TCase *tc = tcase_create("heads");
    tcase_add_loop_test(tc, test_requests, 0, ROWS(request_rows));
    tcase_add_test(tc, test_request_nul);
    tcase_add_test(tc, test_request_target_bound);
    tcase_add_loop_test(tc, test_responses, 0, ROWS(response_rows));
    tcase_add_loop_test(tc, test_find_end, 0, ROWS(end_rows));
    suite_add_tcase(s, tc);
    return s;
}
