/* tracefile.h — reading a trace (DESIGN section 5) one line at a time in
 * constant memory: a line longer than the bound is skipped whole and
 * reported, never copied, and a last line without its newline is handed back
 * marked as such (a writer may have died mid-line). */
#ifndef OCSPLAB_SCENARIOS_TRACEFILE_H
#define OCSPLAB_SCENARIOS_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>

enum scn_tracefile_result {
    SCN_TRACEFILE_LINE,         /* a complete line (without its '\n') */
    SCN_TRACEFILE_TOO_LONG,     /* a line over the bound, skipped */
    SCN_TRACEFILE_UNTERMINATED, /* the last bytes of a finished file, no '\n' */
    SCN_TRACEFILE_END,          /* no more complete lines for now */
    SCN_TRACEFILE_ERROR,        /* read() failed (errno says why) */
};

struct scn_tracefile {
    int fd;
    size_t max_line_bytes;
    char *buf; /* max_line_bytes + one read's worth */
    size_t cap, start, end;
    long line_no;     /* of the line last returned */
    bool is_skipping; /* inside an overlong line, discarding up to its '\n' */
};

/* Reads from `fd` (not closed here) with lines of at most max_line_bytes.
 * Returns 0, or -1 when out of memory. Free with scn_tracefile_free. */
int scn_tracefile_open(struct scn_tracefile *tf, int fd, size_t max_line_bytes);
void scn_tracefile_free(struct scn_tracefile *tf);

/* The next line: *line points into the reader's buffer until the next call.
 * With is_final false, bytes after the last '\n' wait for more (--follow: the
 * writer may be between write() calls); with is_final true they come back as
 * SCN_TRACEFILE_UNTERMINATED (or TOO_LONG) and then END. */
enum scn_tracefile_result scn_tracefile_next(struct scn_tracefile *tf, bool is_final,
                                             const char **line, size_t *len);

#endif
