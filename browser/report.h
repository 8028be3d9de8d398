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
    int stapled;        /* users whose server sent a staple */
    int ocsp_queries;   /* direct queries the browsers sent to the CA's responder */
    int crl_downloads;  /* CRLs fetched from a distribution point (cache hits not counted) */
    int staples_by_lab; /* staples judged by the lab's verifier (TLS 1.2 and 1.3) */
    int reconnects;
    int64_t wall_ms;
    int64_t ms_total, ms_worst;
    /* Visit times: users who visited one at a time, and the crowd after them. */
    int alone_users, crowd_users;
    int64_t alone_ms, crowd_ms; /* sums */
};

/* Each distinct verdict and reason once, with the first user who got it. */
#define REPORT_MAX_GROUPS 32
struct report_group {
    bool is_accepted;
    char reason[VISIT_REASON_MAX];
    int count;
    int first_user;
    char explanation[sizeof((struct visit_outcome *)0)->explanation];
};

/* The JSON lists the first users one by one; beyond them, the groups and
 * the summary carry the counts (a 100,000-user run stays a small report). */
#define REPORT_MAX_LISTED 1000

/* A run's verdicts as they come, in user order, in bounded memory: the
 * summary, the groups, and (for --json) the first users' objects. */
struct report_acc {
    struct report_summary summary;
    size_t group_count;
    int ungrouped; /* users whose verdict did not fit in the groups */
    struct report_group groups[REPORT_MAX_GROUPS];
    json_t *listed; /* the first REPORT_MAX_LISTED users, or NULL without --json */
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

/* Adds one verdict to a summary's counts. */
void report_summary_add(struct report_summary *summary, const struct visit_outcome *outcome);

/* `wants_json`: keep the first users' objects for report_json. */
void report_acc_init(struct report_acc *acc, bool wants_json);
void report_acc_add(struct report_acc *acc, const struct visit_outcome *outcome);
void report_acc_free(struct report_acc *acc);

/* Text for people. */
void report_print_header(FILE *out);
void report_print_line(FILE *out, const struct visit_outcome *outcome, bool use_color);
/* The totals, then each distinct verdict and reason once with its
 * explanation (from the first user who got it) and how many users got it. */
void report_print_summary(FILE *out, const struct report_acc *acc, bool use_color);

/* One user's verdict as a JSON object (new reference). */
json_t *report_outcome_json(const struct visit_outcome *outcome);
/* The whole run: {"url", "settings", "users": [the first ones], "users_listed",
 * "groups": [...], "summary"} (new reference; takes the listed users from acc). */
json_t *report_json(const struct report_settings *settings, struct report_acc *acc);

#endif
