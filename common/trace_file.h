/* trace_file.h — reading a trace (DESIGN section 5) one line at a time in
 * constant memory: a line longer than the bound is skipped whole and
 * reported, never copied, and a last line without its newline is handed back
 * marked as such (a writer may have died mid-line). */
#ifndef OCSPLAB_TRACE_FILE_H
#define OCSPLAB_TRACE_FILE_H

#include <stdbool.h>
#include <stddef.h>

enum trace_file_result {
    TRACE_FILE_LINE,         /* a complete line (without its '\n') */
    TRACE_FILE_TOO_LONG,     /* a line over the bound, skipped */
    TRACE_FILE_UNTERMINATED, /* the last bytes of a finished file, no '\n' */
    TRACE_FILE_END,          /* no more complete lines for now */
    TRACE_FILE_ERROR,        /* read() failed (errno says why) */
};

struct trace_file {
    int fd;
    size_t max_line_bytes;
    char *buf; /* max_line_bytes + one read's worth */
    size_t cap, start, end;
    long line_no;     /* of the line last returned */
    bool is_skipping; /* inside an overlong line, discarding up to its '\n' */
};

/* Reads from `fd` (not closed here) with lines of at most max_line_bytes.
 * Returns 0, or -1 when out of memory. Free with trace_file_free. */
int trace_file_open(struct trace_file *tf, int fd, size_t max_line_bytes);
void trace_file_free(struct trace_file *tf);

/* The next line: *line points into the reader's buffer until the next call.
 * With is_final false, bytes after the last '\n' wait for more (--follow: the
 * writer may be between write() calls); with is_final true they come back as
 * TRACE_FILE_UNTERMINATED (or TOO_LONG) and then END. */
enum trace_file_result trace_file_next(struct trace_file *tf, bool is_final, const char **line,
                                       size_t *len);

#endif
