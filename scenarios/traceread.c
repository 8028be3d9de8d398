/* traceread.c — trace lines to events: parse, check, report the bad ones. */
#include "traceread.h"

#include <string.h>

#include "trace.h"

int scn_traceread_open(struct scn_traceread *r, int fd, const char *name, FILE *errs)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->errs = errs;
    return scn_tracefile_open(&r->file, fd, TRACE_MAX_LINE);
}

void scn_traceread_free(struct scn_traceread *r)
{
    if (r != NULL)
        scn_tracefile_free(&r->file);
}

static void report_bad(struct scn_traceread *r, const char *what)
{
    r->skipped++;
    if (r->skipped <= SCN_TRACEREAD_MAX_REPORTED)
        fprintf(r->errs, "%s:%ld: %s, skipped\n", r->name, r->file.line_no, what);
}

/* One line as an event, or NULL after reporting why it is not one. */
static json_t *parse_line(struct scn_traceread *r, const char *text, size_t len,
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
        scn_traceread_printable(what); /* jansson quotes the bytes it stopped at */
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

enum scn_tracefile_result scn_traceread_next(struct scn_traceread *r, bool is_final,
                                             json_t **event, const char **text, size_t *len)
{
    char what[64];
    *event = NULL;
    for (;;) {
        enum scn_tracefile_result got = scn_tracefile_next(&r->file, is_final, text, len);
        if (got == SCN_TRACEFILE_END || got == SCN_TRACEFILE_ERROR)
            return got;
        r->lines++;
        if (got == SCN_TRACEFILE_TOO_LONG) {
            snprintf(what, sizeof what, "longer than %d bytes", TRACE_MAX_LINE);
            report_bad(r, what);
            continue;
        }
        *event = parse_line(r, *text, *len, got == SCN_TRACEFILE_UNTERMINATED);
        if (*event != NULL)
            return SCN_TRACEFILE_LINE;
    }
}

void scn_traceread_finish(const struct scn_traceread *r)
{
    if (r->skipped > SCN_TRACEREAD_MAX_REPORTED)
        fprintf(r->errs, "%s: %ld bad lines skipped in all (the first %d shown)\n", r->name,
                r->skipped, SCN_TRACEREAD_MAX_REPORTED);
}

void scn_traceread_printable(char *text)
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
