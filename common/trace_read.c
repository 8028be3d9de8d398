/* trace_read.c — trace lines to events: parse, check, report the bad ones. */
#include "trace_read.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "lab.h"
#include "trace.h"

int trace_reader_open(struct trace_reader *r, int fd, const char *name, FILE *errs)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->errs = errs;
    return trace_file_open(&r->file, fd, TRACE_MAX_LINE);
}

void trace_reader_free(struct trace_reader *r)
{
    if (r != NULL)
        trace_file_free(&r->file);
}

static void report_bad(struct trace_reader *r, const char *what)
{
    r->skipped++;
    if (r->errs != NULL && r->skipped <= TRACE_READER_MAX_REPORTED)
        fprintf(r->errs, "%s:%ld: %s, skipped\n", r->name, r->file.line_no, what);
}

/* One line as an event, or NULL after reporting why it is not one. */
static json_t *parse_line(struct trace_reader *r, const char *text, size_t len,
                          bool is_unterminated)
{
    json_error_t jerr;
    char what[256];
    json_t *ev = json_loadb(text, len, 0, &jerr);
    if (ev == NULL) {
        /* A writer that died mid-line leaves a last line without its '\n'. */
        if (is_unterminated)
            snprintf(what, sizeof what, "truncated (no newline at the end, %s)", jerr.text);
        else
            snprintf(what, sizeof what, "not JSON (%s)", jerr.text);
        trace_printable(what); /* jansson quotes the bytes it stopped at */
        report_bad(r, what);
        return NULL;
    }
    if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "ts")) ||
        !json_is_string(json_object_get(ev, "actor")) ||
        !json_is_string(json_object_get(ev, "event"))) {
        report_bad(r, "not a trace event (it needs ts, actor and event)");
        json_decref(ev);
        return NULL;
    }
    return ev;
}

enum trace_file_result trace_reader_next(struct trace_reader *r, bool is_final, json_t **event,
                                         const char **text, size_t *len)
{
    char what[64];
    *event = NULL;
    for (;;) {
        enum trace_file_result got = trace_file_next(&r->file, is_final, text, len);
        if (got == TRACE_FILE_END || got == TRACE_FILE_ERROR)
            return got;
        r->lines++;
        if (got == TRACE_FILE_TOO_LONG) {
            snprintf(what, sizeof what, "longer than %d bytes", TRACE_MAX_LINE);
            report_bad(r, what);
            continue;
        }
        *event = parse_line(r, *text, *len, got == TRACE_FILE_UNTERMINATED);
        if (*event != NULL)
            return TRACE_FILE_LINE;
    }
}

void trace_reader_finish(const struct trace_reader *r)
{
    if (r->errs != NULL && r->skipped > TRACE_READER_MAX_REPORTED)
        fprintf(r->errs, "%s: %ld bad lines skipped in all (the first %d shown)\n", r->name,
                r->skipped, TRACE_READER_MAX_REPORTED);
}

void trace_printable(char *text)
{
    unsigned char *in = (unsigned char *)text, *out = in;
    while (*in != 0) {
        if (*in < 0x20 || *in == 0x7f) {
            *out++ = '?';
            in++;
        } else if (in[0] == 0xc2 && in[1] >= 0x80 && in[1] <= 0x9f) {
            *out++ = '?';
            in += 2;
        } else {
            *out++ = *in++;
        }
    }
    *out = 0;
}

int trace_each_event(const char *lab, long long max_bytes, trace_event_fn fn, void *ctx,
                     struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    struct stat st;
    struct trace_file file;
    if (file_path_join(path, sizeof path, lab, LAB_TRACE_FILE) != 0) {
        errbuf_set(err, "lab path too long: %s", lab);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* no trace yet: no events */
        errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && st.st_size > max_bytes) {
        close(fd);
        errbuf_set(err, "%s is larger than %lld MB", path, max_bytes >> 20);
        return -1;
    }
    if (trace_file_open(&file, fd, TRACE_MAX_LINE) != 0) {
        close(fd);
        errbuf_set(err, "out of memory");
        return -1;
    }
    int rc = 0;
    const char *text;
    size_t len;
    /* Not final: a last line without its newline is a writer still at work
     * (or one that died mid-line), never counted. Any JSON object counts:
     * the runner's questions name the fields they need. */
    enum trace_file_result got;
    while ((got = trace_file_next(&file, false, &text, &len)) != TRACE_FILE_END &&
           got != TRACE_FILE_ERROR) {
        if (got != TRACE_FILE_LINE)
            continue; /* overlong: skipped whole */
        json_t *event = json_loadb(text, len, 0, NULL);
        if (json_is_object(event))
            fn(event, ctx);
        json_decref(event);
    }
    if (got == TRACE_FILE_ERROR) {
        errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
        rc = -1;
    }
    trace_file_free(&file);
    close(fd);
    return rc;
}
