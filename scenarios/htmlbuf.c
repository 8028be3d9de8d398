/* htmlbuf.c — the report's page buffer and its escaping. */
#include "htmlbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTML_TEXTF_BYTES 4096

void scn_html_init(struct scn_html *h, size_t max_bytes)
{
    memset(h, 0, sizeof *h);
    h->max_bytes = max_bytes;
}

void scn_html_free(struct scn_html *h)
{
    if (h == NULL)
        return;
    free(h->data);
    memset(h, 0, sizeof *h);
}

bool scn_html_ok(const struct scn_html *h)
{
    return !h->is_too_large && !h->is_out_of_memory;
}

/* Room for `more` bytes and the NUL; false (and the page marked) when the
 * cap or memory says no. */
static bool reserve(struct scn_html *h, size_t more)
{
    if (!scn_html_ok(h))
        return false;
    if (more > h->max_bytes || h->len > h->max_bytes - more) {
        h->is_too_large = true;
        return false;
    }
    if (h->len + more + 1 <= h->cap)
        return true;
    size_t cap = h->cap > 0 ? h->cap : 65536;
    while (cap < h->len + more + 1)
        cap *= 2;
    if (cap > h->max_bytes + 1)
        cap = h->max_bytes + 1;
    char *grown = realloc(h->data, cap);
    if (grown == NULL) {
        h->is_out_of_memory = true;
        return false;
    }
    h->data = grown;
    h->cap = cap;
    return true;
}

static void append(struct scn_html *h, const char *bytes, size_t n)
{
    if (!reserve(h, n))
        return;
    memcpy(h->data + h->len, bytes, n);
    h->len += n;
    h->data[h->len] = 0;
}

void scn_html_raw(struct scn_html *h, const char *markup)
{
    append(h, markup, strlen(markup));
}

void scn_html_rawf(struct scn_html *h, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        append(h, small, (size_t)n);
        return;
    }
    if (!reserve(h, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(h->data + h->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    h->len += (size_t)n;
}

/* Length of the well-formed UTF-8 character at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_length(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (p[0] >= 0xe0 && p[0] <= 0xef) {
        unsigned char lo = p[0] == 0xe0 ? 0xa0 : 0x80, hi = p[0] == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        unsigned char lo = p[0] == 0xf0 ? 0x90 : 0x80, hi = p[0] == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4
                                                                                          : 0;
    }
    return 0;
}

void scn_html_text(struct scn_html *h, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p != 0) {
        /* The longest run that needs no escaping goes in one copy. */
        size_t run = 0;
        for (;;) {
            unsigned char c = p[run];
            if (c == 0 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || c == '=' ||
                (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                break;
            size_t n = utf8_length(p + run);
            if (n == 0)
                break;
            run += n;
        }
        append(h, (const char *)p, run);
        p += run;
        if (*p == 0)
            break;
        switch (*p) {
        case '&': scn_html_raw(h, "&amp;"); break;
        case '<': scn_html_raw(h, "&lt;"); break;
        case '>': scn_html_raw(h, "&gt;"); break;
        case '"': scn_html_raw(h, "&quot;"); break;
        case '\'': scn_html_raw(h, "&#39;"); break;
        case '=': scn_html_raw(h, "&#61;"); break;
        default: scn_html_raw(h, "\xef\xbf\xbd"); break; /* U+FFFD REPLACEMENT CHARACTER */
        }
        p++;
    }
}

void scn_html_textf(struct scn_html *h, const char *fmt, ...)
{
    char text[HTML_TEXTF_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n >= 0)
        scn_html_text(h, text);
}
