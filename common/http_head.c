/* http_head.c — reading an HTTP/1.x head on the shared bounded cursor (see
 * http_head.h). RFC 9112 2.2 (leading empty line), 3 (request line), 4
 * (status line), 5 (field lines); RFC 9110 5.1 (field names are
 * case-insensitive), 7.6.1 (Connection), 8.6 (Content-Length). */
#include "http_head.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "der.h"

static struct der_cursor text(const char *data, size_t len)
{
    return der_cursor_init((const uint8_t *)data, len);
}

static const char *chars(const struct der_cursor *c)
{
    return (const char *)c->p;
}

/* RFC 9112 3 lets a server split the request line on any white space. */
static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Optional white space around a field value (RFC 9110 5.6.3). */
static bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* Takes one line, without its CRLF; false (cursor unmoved) when no CRLF is
 * within the bytes left. */
static bool take_line(struct der_cursor *in, struct der_cursor *line)
{
    for (size_t i = 0; i + 1 < in->left; i++) {
        if (in->p[i] == '\r' && in->p[i + 1] == '\n') {
            der_take(in, i, line);
            der_take(in, 2, NULL);
            return true;
        }
    }
    return false;
}

/* RFC 9112 2.2: one empty line before the start line is ignored (a client
 * may send a CRLF after a request body). */
static void skip_leading_empty_line(struct der_cursor *in)
{
    if (in->left >= 2 && in->p[0] == '\r' && in->p[1] == '\n')
        der_take(in, 2, NULL);
}

/* The next run of non-space bytes; false when only space is left. */
static bool take_word(struct der_cursor *line, struct der_cursor *word)
{
    while (!der_is_empty(line) && is_space(line->p[0]))
        der_take(line, 1, NULL);
    size_t n = 0;
    while (n < line->left && !is_space(line->p[n]))
        n++;
    return n > 0 && der_take(line, n, word);
}

static bool has_only_space(struct der_cursor rest)
{
    for (size_t i = 0; i < rest.left; i++)
        if (!is_space(rest.p[i]))
            return false;
    return true;
}

static void trim_ows(struct der_cursor *value)
{
    while (!der_is_empty(value) && is_ows(value->p[0]))
        der_take(value, 1, NULL);
    while (!der_is_empty(value) && is_ows(value->p[value->left - 1]))
        value->left--;
}

static bool equals_nocase(const struct der_cursor *word, const char *expected)
{
    size_t n = strlen(expected);
    return word->left == n && strncasecmp(chars(word), expected, n) == 0;
}

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3). */
static bool read_version(const struct der_cursor *word, struct http_head *out)
{
    const uint8_t *v = word->p;
    if (word->left != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return false;
    out->version_major = v[5] - '0';
    out->version_minor = v[7] - '0';
    return true;
}

/* 1*DIGIT that fits in a size_t; false for anything else. */
static bool read_decimal(const struct der_cursor *value, size_t *number)
{
    size_t n = 0;
    if (der_is_empty(value))
        return false;
    for (size_t i = 0; i < value->left; i++) {
        uint8_t c = value->p[i];
        if (c < '0' || c > '9' || n > (SIZE_MAX - (size_t)(c - '0')) / 10)
            return false;
        n = n * 10 + (size_t)(c - '0');
    }
    *number = n;
    return true;
}

/* Connection = #connection-option: is "close" among the comma-separated
 * options? */
static bool names_close(struct der_cursor value)
{
    while (!der_is_empty(&value)) {
        size_t n = 0;
        while (n < value.left && value.p[n] != ',')
            n++;
        struct der_cursor option;
        der_take(&value, n, &option);
        der_take(&value, value.left > 0 ? 1 : 0, NULL); /* the comma */
        trim_ows(&option);
        if (equals_nocase(&option, "close"))
            return true;
    }
    return false;
}

/* One field line; lines without a colon and fields the lab does not use
 * are passed over, as before the reader was shared. */
static void read_field(struct der_cursor line, struct http_head *out)
{
    const uint8_t *colon = memchr(line.p, ':', line.left);
    if (colon == NULL)
        return;
    struct der_cursor name, value;
    der_take(&line, (size_t)(colon - line.p), &name);
    der_take(&line, 1, NULL);
    value = line;
    trim_ows(&value);
    if (equals_nocase(&name, "Content-Length") && !out->has_content_length)
        out->has_content_length = read_decimal(&value, &out->content_length);
    else if (equals_nocase(&name, "Connection") && names_close(value))
        out->is_connection_close = true;
}

/* The field lines after the start line, through the blank line. */
static enum http_head_result read_fields(struct der_cursor *in, size_t len, struct http_head *out)
{
    struct der_cursor line;
    for (;;) {
        if (!take_line(in, &line))
            return HTTP_HEAD_INCOMPLETE;
        if (der_is_empty(&line)) {
            out->head_len = len - in->left;
            return HTTP_HEAD_OK;
        }
        read_field(line, out);
    }
}

/* Clears *out and takes the start line (after one ignored empty line);
 * false when its CRLF has not come yet, with *in left at the line. */
static bool take_start_line(const char *data, size_t len, struct http_head *out,
                            struct der_cursor *in, struct der_cursor *line)
{
    memset(out, 0, sizeof *out);
    *in = text(data, len);
    skip_leading_empty_line(in);
    return take_line(in, line);
}

bool http_head_find_end(const char *data, size_t len, size_t *head_len)
{
    struct der_cursor in = text(data, len), line;
    skip_leading_empty_line(&in);
    while (take_line(&in, &line)) {
        if (der_is_empty(&line)) {
            *head_len = len - in.left;
            return true;
        }
    }
    return false;
}

enum http_head_result http_head_read_request(const char *data, size_t len, struct http_head *out)
{
    struct der_cursor in, line, method, target, version;
    if (!take_start_line(data, len, out, &in, &line))
        return HTTP_HEAD_INCOMPLETE;
    if (memchr(line.p, 0, line.left) != NULL || !take_word(&line, &method) ||
        !take_word(&line, &target) || !take_word(&line, &version) || !has_only_space(line))
        return HTTP_HEAD_BAD_START_LINE;
    if (method.left > HTTP_HEAD_MAX_METHOD || target.left > HTTP_HEAD_MAX_TARGET ||
        !read_version(&version, out))
        return HTTP_HEAD_BAD_START_LINE;
    memcpy(out->method, method.p, method.left);
    memcpy(out->target, target.p, target.left);
    return read_fields(&in, len, out);
}

/* "HTTP/d.d" SP 3DIGIT, then the reason phrase, which nobody reads. */
static bool read_status(struct der_cursor line, struct http_head *out)
{
    struct der_cursor version, code;
    if (!take_word(&line, &version) || !read_version(&version, out) || !take_word(&line, &code) ||
        code.left != 3)
        return false;
    int status = 0;
    for (size_t i = 0; i < 3; i++) {
        if (code.p[i] < '0' || code.p[i] > '9')
            return false;
        status = status * 10 + (code.p[i] - '0');
    }
    /* RFC 9110 15: a status code is a number from 100 to 599. */
    if (status < 100 || status > 599)
        return false;
    out->status = status;
    return true;
}

enum http_head_result http_head_read_status_line(const char *data, size_t len,
                                                 struct http_head *out)
{
    struct der_cursor in, line;
    if (!take_start_line(data, len, out, &in, &line))
        line = in; /* no CRLF yet: the status line is all there is */
    return read_status(line, out) ? HTTP_HEAD_OK : HTTP_HEAD_BAD_START_LINE;
}

enum http_head_result http_head_read_response(const char *data, size_t len, struct http_head *out)
{
    struct der_cursor in, line;
    if (!take_start_line(data, len, out, &in, &line))
        return HTTP_HEAD_INCOMPLETE;
    if (!read_status(line, out))
        return HTTP_HEAD_BAD_START_LINE;
    return read_fields(&in, len, out);
}
