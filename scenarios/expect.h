/* expect.h — what a visit showed and whether an expectation holds: the
 * browser's JSON report summed up (verdicts grouped by reason), and every
 * subject of the language (parse.h) read from the facts the runner
 * gathered: a program's /stats (DESIGN section 6), the last visit, the lab's
 * trace, the last watch and the last check. */
#ifndef OCSPLAB_SCENARIOS_EXPECT_H
#define OCSPLAB_SCENARIOS_EXPECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "errbuf.h"
#include "../viewer/table.h"
#include "parse.h"

#define SCN_MAX_GROUPS 16
#define SCN_MAX_EXPLANATION 1024

/* Users who got the same verdict for the same reason. */
struct scn_visit_group {
    bool is_accepted;
    char reason[32];
    int count;
    int first_user;
    char explanation[SCN_MAX_EXPLANATION]; /* the first such user's */
};

struct scn_visit {
    int users, accepted, refused;
    int stapled; /* the server sent a staple */
    int asked;   /* asked the CA's responder directly */
    int64_t ms_total, ms_worst;
    int alone; /* users who visited one at a time (the browser's "alone") */
    int64_t alone_ms_total;
    size_t group_count;
    struct scn_visit_group groups[SCN_MAX_GROUPS];
    int ungrouped; /* users whose reason did not fit in the groups (counted above) */
};

/* Sums up `browser visit --json` (its "users" array). Returns 0, or -1 when
 * the report is not one. */
int scn_visit_from_json(const json_t *report, struct scn_visit *out, struct errbuf *err);

/* Adds a visit's users to a row of the closing table (NULL: nothing). */
void scn_visit_note_in_row(const struct scn_visit *visit, struct scn_table_row *row);

/* Users of a visit by verdict and reason (reason NULL or "" for any). */
int64_t scn_visit_count(const struct scn_visit *v, enum scn_users_filter filter,
                        const char *reason);

/* Everything an expectation may look at. Program subjects read `stats`, the
 * /stats of the program the condition names (NULL when unavailable). */
struct scn_facts {
    const char *lab; /* for trace subjects */
    const json_t *stats;
    int64_t own_handshakes;        /* the runner's own /stats connections to a web server */
    const struct scn_visit *visit; /* NULL before any visit */
    bool has_window;
    int64_t window_seconds;
    const char *verdict; /* the last check's, or NULL */
};

/* What was seen. */
struct scn_seen {
    bool is_known; /* false: nothing to see (no watch reached its goal) */
    bool is_text;
    int64_t number;
    char text[64];
};

/* Reads the subject of `c` from the facts. Returns 0, or -1 with err set
 * (the counters could not be read). */
int scn_expect_observe(const struct scn_condition *c, const struct scn_facts *facts,
                       struct scn_seen *seen, struct errbuf *err);

/* True when what was seen satisfies the condition. */
bool scn_expect_holds(const struct scn_condition *c, const struct scn_seen *seen);

/* "responder requests from browser", "users refused because revoked", … */
void scn_expect_subject_text(const struct scn_condition *c, char *out, size_t cap);
/* The expected side as written: "== 20", ">= 1", "seen", "<= 12h". */
void scn_expect_wanted_text(const struct scn_condition *c, char *out, size_t cap);
/* What was seen, in the condition's units: "20", "revoked", "12h (720 min)". */
void scn_expect_seen_text(const struct scn_condition *c, const struct scn_seen *seen, char *out,
                          size_t cap);

#endif
