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
    char prefix[ERRBUF_MAX];
    char old[ERRBUF_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}
