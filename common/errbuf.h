/* errbuf.h — how library code reports a failure to the main() that prints it.
 * Libraries never print: they fill an errbuf with "what failed: why" and return
 * a negative code; main.c prefixes the program name and picks the exit status. */
#ifndef OCSPLAB_ERRBUF_H
#define OCSPLAB_ERRBUF_H

#include <stddef.h>

#define ERRBUF_MAX 512

struct errbuf {
    char msg[ERRBUF_MAX];
};

/* Replaces the message. Accepts a NULL errbuf (the caller does not want words). */
void errbuf_set(struct errbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Puts "context: " in front of the current message, so a low-level reason
 * ("no such file") gains the high-level step that failed ("cannot read key"). */
void errbuf_prefix(struct errbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
