/* errbuf.c — filling and prefixing error messages for main() to print. */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void errbuf_set(struct errbuf *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void errbuf_prefix(struct errbuf *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char joined[ERRBUF_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, sizeof joined, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used > sizeof joined - 1)
        used = sizeof joined - 1;
    /* "prefix: old message", cut at the buffer's end rather than overflowing. */
    const char *parts[2] = {": ", err->msg};
    for (size_t i = 0; i < 2; i++) {
        size_t len = strlen(parts[i]);
        if (len > sizeof joined - 1 - used)
            len = sizeof joined - 1 - used;
        memcpy(joined + used, parts[i], len);
        used += len;
    }
    joined[used] = 0;
    memcpy(err->msg, joined, used + 1);
}
