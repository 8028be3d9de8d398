/* htmlbuf.c — the report's page buffer and its escaping. */
#include "htmlbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

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

void scn_html_text(struct scn_html *h, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t left = strlen(text); /* bytes from p to the end */
    while (*p != 0) {
        /* The longest run that needs no escaping goes in one copy. */
        size_t run = 0;
        for (;;) {
            unsigned char c = p[run];
            if (c == 0 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || c == '=' ||
                (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                break;
            /* The one UTF-8 check (common/utf8.h): no overlong forms, no
             * surrogates, nothing past U+10FFFF. */
            size_t n = utf8_sequence_len(p + run, left - run);
            if (n == 0)
                break;
            run += n;
        }
        append(h, (const char *)p, run);
        p += run;
        left -= run;
        if (*p == 0)
            break;
        switch (*p) {
        case '&':
            scn_html_raw(h, "&amp;");
            break;
        case '<':
            scn_html_raw(h, "&lt;");
            break;
        case '>':
            scn_html_raw(h, "&gt;");
            break;
        case '"':
            scn_html_raw(h, "&quot;");
            break;
        case '\'':
            scn_html_raw(h, "&#39;");
            break;
        case '=':
            scn_html_raw(h, "&#61;");
            break;
        default:
            scn_html_raw(h, "\xef\xbf\xbd");
            break; /* U+FFFD REPLACEMENT CHARACTER */
        }
        p++;
        left--;
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
