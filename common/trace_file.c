/* trace_file.c — the bounded line reader behind `scenario trace`: read() into
 * one fixed buffer, hand out lines in place, skip overlong ones. */
#include "trace_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One read's worth on top of the longest line: a read always has room once
 * the unfinished line has been moved to the front. */
#define TRACE_FILE_CHUNK 65536

int trace_file_open(struct trace_file *tf, int fd, size_t max_line_bytes)
{
    memset(tf, 0, sizeof *tf);
    tf->fd = fd;
    tf->max_line_bytes = max_line_bytes;
    tf->cap = max_line_bytes + TRACE_FILE_CHUNK;
    tf->buf = malloc(tf->cap);
    return tf->buf != NULL ? 0 : -1;
}

void trace_file_free(struct trace_file *tf)
{
    if (tf == NULL)
        return;
    free(tf->buf);
    tf->buf = NULL;
}

enum trace_file_result trace_file_next(struct trace_file *tf, bool is_final, const char **line,
                                       size_t *len)
{
    for (;;) {
        char *nl =
            tf->end > tf->start ? memchr(tf->buf + tf->start, '\n', tf->end - tf->start) : NULL;
        if (nl != NULL) {
            size_t at = tf->start;
            tf->start = (size_t)(nl - tf->buf) + 1;
            tf->line_no++;
            if (tf->is_skipping) {
                tf->is_skipping = false;
                return TRACE_FILE_TOO_LONG;
            }
            if ((size_t)(nl - tf->buf) - at > tf->max_line_bytes)
                return TRACE_FILE_TOO_LONG;
            *line = tf->buf + at;
            *len = (size_t)(nl - tf->buf) - at;
            return TRACE_FILE_LINE;
        }
        /* No '\n' in what is buffered: an overlong line is dropped as it
         * comes, so memory stays at cap whatever the file holds. */
        if (tf->is_skipping || tf->end - tf->start > tf->max_line_bytes) {
            tf->is_skipping = true;
            tf->start = tf->end = 0;
        } else if (tf->start > 0) {
            memmove(tf->buf, tf->buf + tf->start, tf->end - tf->start);
            tf->end -= tf->start;
            tf->start = 0;
        }
        ssize_t n = read(tf->fd, tf->buf + tf->end, tf->cap - tf->end);
        if (n > 0) {
            tf->end += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EINTR)
            return TRACE_FILE_ERROR;
        /* End of the file for now (or a signal: the caller checks its flag). */
        if (!is_final || n < 0)
            return TRACE_FILE_END;
        if (tf->is_skipping) {
            tf->is_skipping = false;
            tf->line_no++;
            return TRACE_FILE_TOO_LONG;
        }
        if (tf->end > tf->start) {
            *line = tf->buf + tf->start;
            *len = tf->end - tf->start;
            tf->start = tf->end = 0;
            tf->line_no++;
            return TRACE_FILE_UNTERMINATED;
        }
        return TRACE_FILE_END;
    }
}
