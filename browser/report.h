/* report.h — what `browser visit` prints: one aligned verdict line per user,
 * a summary with the reasons explained once, or the same as JSON for
 * programs (DESIGN 2). Colour only when asked (a terminal without NO_COLOR). */
#ifndef OCSPLAB_BROWSER_REPORT_H
#define OCSPLAB_BROWSER_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "visit.h"

struct report_summary {
    int users;
    int accepted;
    int refused;
    int ocsp_queries;       /* direct queries the browsers sent to the CA's responder */
    int crl_downloads;      /* CRLs fetched from a distribution point (cache hits not counted) */
    int staples_by_lab;     /* staples judged by the lab's verifier (TLS 1.2 and 1.3) */
    int reconnects;
    int64_t wall_ms;
};

/* How the run was set up, echoed in the JSON. */
struct report_settings {
    const char *url;
    const char *staple;   /* "on" / "off" */
    const char *fallback; /* "ocsp" / "none" */
    const char *policy;   /* "soft" / "hard" */
    const char *tls;      /* "1.2" / "1.3" / "any" */
    int concurrency;
};

void report_summarize(const struct visit_outcome *outcomes, int count, int64_t wall_ms,
                      struct report_summary *summary);

/* Text for people. */
void report_print_header(FILE *out);
void report_print_line(FILE *out, const struct visit_outcome *outcome, bool use_color);
/* The totals, then each distinct verdict and reason once with its
 * explanation (from the first user who got it) and how many users got it. */
void report_print_summary(FILE *out, const struct visit_outcome *outcomes, int count,
                          const struct report_summary *summary, bool use_color);

/* One user's verdict as a JSON object (new reference). */
json_t *report_outcome_json(const struct visit_outcome *outcome);
/* The whole run: {"url", "settings", "users": [...], "summary"} (new reference). */
json_t *report_json(const struct report_settings *settings, const struct visit_outcome *outcomes,
                    int count, const struct report_summary *summary);

#endif
