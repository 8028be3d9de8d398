/* http_head.h — the one bounded reader of an HTTP/1.x message head (RFC 9112
 * 2.1 message format, 3 request line, 4 status line, 5 field lines): the web
 * server reads request heads with it, the browser and the scenario runner
 * response heads. Only what the lab needs is kept: the start line, and the
 * Content-Length and Connection fields (names case-insensitive, RFC 9110 5.1).
 * Callers bound how much they buffer; the reader never looks past `len`
 * and checks every size before it copies. */
#ifndef OCSPLAB_HTTP_HEAD_H
#define OCSPLAB_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

/* The web server's limits on the request line: a method, a path and a
 * version longer than this are a bad request line. */
#define HTTP_HEAD_MAX_METHOD 15
#define HTTP_HEAD_MAX_TARGET 255

enum http_head_result {
    HTTP_HEAD_OK = 0,
    HTTP_HEAD_INCOMPLETE = -1,     /* no blank line ends the head yet */
    HTTP_HEAD_BAD_START_LINE = -2, /* the request or status line is unreadable */
};

struct http_head {
    /* The request line (http_head_read_request). */
    char method[HTTP_HEAD_MAX_METHOD + 1];
    char target[HTTP_HEAD_MAX_TARGET + 1];
    /* The status line (http_head_read_response, http_head_read_status_line). */
    int status; /* 100..599 */
    /* Both: HTTP/major.minor. */
    int version_major, version_minor;
    size_t head_len; /* bytes through the blank line that ends the head */
    /* The first well-formed Content-Length (RFC 9110 8.6: 1*DIGIT); one
     * that is not a number is left out, as if the field were absent. */
    bool has_content_length;
    size_t content_length;
    /* A Connection field names the "close" option (RFC 9110 7.6.1). */
    bool is_connection_close;
};

/* Where the head at the start of data ends: *head_len is the length through
 * its blank line (CRLF CRLF). Empty lines before the start line are part of
 * it (RFC 9112 2.2 asks a server to ignore them). False when no blank line
 * is within len bytes yet. */
bool http_head_find_end(const char *data, size_t len, size_t *head_len);

/* A request head: "METHOD SP TARGET SP HTTP/d.d", then fields. Words may be
 * separated by any run of white space (RFC 9112 3 allows a server that). */
enum http_head_result http_head_read_request(const char *data, size_t len, struct http_head *out);

/* A response head: "HTTP/d.d SP 3DIGIT [SP reason]", then fields. */
enum http_head_result http_head_read_response(const char *data, size_t len, struct http_head *out);

/* Only the status line: the first line of data, or all of it when no CRLF
 * has come (a server that closed in the middle of its head). */
enum http_head_result http_head_read_status_line(const char *data, size_t len,
                                                 struct http_head *out);

#endif
