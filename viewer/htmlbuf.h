/* htmlbuf.h — an HTML page built in memory, for the report: a growing buffer
 * with a hard cap (past it the page is marked too large and stops growing,
 * so a huge trace costs an error, never all memory), markup appended as is,
 * and text from the trace appended escaped (& < > " ' as entities, so it is
 * safe in element text and in quoted attributes alike, and '=' so that no
 * trace text reads like an attribute such as src=, even to a plain search of
 * the file; bytes that are not UTF-8 and control characters become U+FFFD). */
#ifndef OCSPLAB_SCENARIOS_HTMLBUF_H
#define OCSPLAB_SCENARIOS_HTMLBUF_H

#include <stdbool.h>
#include <stddef.h>

struct scn_html {
    char *data; /* NUL-terminated; owned, free with scn_html_free */
    size_t len, cap;
    size_t max_bytes;
    bool is_too_large; /* an append would have passed max_bytes */
    bool is_out_of_memory;
};

void scn_html_init(struct scn_html *h, size_t max_bytes);
void scn_html_free(struct scn_html *h);
/* False once something could not be appended. */
bool scn_html_ok(const struct scn_html *h);

/* Markup written by the report itself: appended unchanged. */
void scn_html_raw(struct scn_html *h, const char *markup);
void scn_html_rawf(struct scn_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text (from the trace or not): escaped. */
void scn_html_text(struct scn_html *h, const char *text);
/* Formats, then escapes the whole result (at most 4 KB of it). */
void scn_html_textf(struct scn_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
