/* report.h — `scenario report` (issue 8): one self-contained HTML page from
 * the traces of one lab or of a run's labs, for a teacher to project
 * offline: the comparison table, the requests at the CA as a chart, each
 * lab's staple timeline with its revocation window, what the CA learned about
 * the visitors, and each lab's ladder diagram. Inline CSS and SVG only: no
 * script and no external resource. Each trace is read once, streaming, and
 * only bounded summaries are kept (report_data.h); the page has a size cap. */
#ifndef OCSPLAB_SCENARIOS_REPORT_H
#define OCSPLAB_SCENARIOS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errbuf.h"
#include "htmlbuf.h"

#define SCN_REPORT_MAX_LABS 64
#define SCN_REPORT_MAX_BYTES (32u * 1024 * 1024)

struct scn_report_input {
    const char *const *dirs;  /* each lab's directory (holding trace.jsonl) */
    const char *const *names; /* each lab's name, e.g. "04-revocation" */
    size_t count;             /* at most SCN_REPORT_MAX_LABS are read */
    const char *source;       /* the lab or run folder asked for, shown on the page */
    int64_t generated_ms;     /* when the report is made (real time) */
    bool is_present;          /* open in present mode (the page's toggle, checked) */
};

struct scn_report_result {
    size_t bytes; /* of the page */
    size_t labs;  /* labs read */
    long events;  /* good events, all labs */
    long skipped; /* bad lines skipped, all labs */
};

/* Builds the page into *page (initialised here; the caller frees it with
 * scn_html_free, also after a failure). Bad trace lines are reported on errs
 * as `scenario trace` reports them. Returns 0, or -1 with err set: a trace
 * cannot be read, memory ran out, or the page would pass
 * SCN_REPORT_MAX_BYTES. */
int scn_report_build(const struct scn_report_input *in, FILE *errs, struct scn_html *page,
                     struct scn_report_result *result, struct errbuf *err);

/* Builds the page and writes it to `path` atomically (a reader sees the old
 * file or the new one). Returns 0, or -1 with err set. */
int scn_report_write(const struct scn_report_input *in, const char *path, FILE *errs,
                     struct scn_report_result *result, struct errbuf *err);

#endif
