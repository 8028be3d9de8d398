/* report_data.h — one lab's trace (DESIGN section 5) read once, streaming,
 * for the HTML report (`scenario report`): the comparison table's numbers
 * (counted as the runner counts them), the marks of the staple timeline
 * (the staple's life, the responder's, the CA's revocations, the users'
 * verdicts) and the revocation windows, what the CA learned (client address
 * × site × requester), and the ladder rows (ladder_rows.h). Everything kept is
 * bounded (SCN_REPORT_MAX_*); past a bound things are counted, not kept. */
#ifndef OCSPLAB_SCENARIOS_REPORT_DATA_H
#define OCSPLAB_SCENARIOS_REPORT_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "countmap.h"
#include "errbuf.h"
#include "lab.h"
#include "ladder_rows.h"
#include "table.h"

#define SCN_REPORT_MAX_MARKS 2000     /* timeline marks per lab */
#define SCN_REPORT_MAX_PAIRS 1000     /* distinct address × site × requester per lab */
#define SCN_REPORT_MAX_ROWS 400       /* ladder rows per lab */
#define SCN_REPORT_MAX_STAPLE_LANES 4 /* web servers' staples drawn apart; more share the last */
#define SCN_REPORT_MAX_REVOCATIONS 8
#define SCN_REPORT_NO_TIME INT64_MIN

/* Key of a privacy pair: address, site and requester joined by this byte,
 * which no address, DNS name or requester name holds. */
#define SCN_REPORT_PAIR_SEP '\x1f'

enum scn_mark_kind {
    SCN_MARK_STAPLE,           /* a good staple in use: at .. until (nextUpdate), refresh tick */
    SCN_MARK_STAPLE_FAILED,    /* staple.fetch.failed */
    SCN_MARK_STAPLE_EXPIRED,   /* staple.expired */
    SCN_MARK_STAPLE_REVOKED,   /* staple.revoked: the web server learned */
    SCN_MARK_ISSUED,           /* ca.cert.issued */
    SCN_MARK_RESPONDER_UP,     /* a responder running: at .. until; text is its fault */
    SCN_MARK_RESPONDER_FAILED, /* requests that got no answer (count in `refused`) */
    SCN_MARK_VERDICTS,         /* users' verdicts within a second: accepted, refused */
};

struct scn_report_mark {
    enum scn_mark_kind kind;
    int lane; /* staple lane, for the staple marks */
    long pid; /* the responder's, for its intervals */
    int64_t at_ms;
    int64_t until_ms;       /* SCN_REPORT_NO_TIME: open (a responder still running) */
    int64_t refresh_ms;     /* SCN_REPORT_NO_TIME: none */
    int64_t this_update_ms; /* a staple's thisUpdate; SCN_REPORT_NO_TIME: not in the trace */
    int64_t dropped_ms;     /* when the web server stopped using the staple (replaced by a
                           newer one, expired, revoked); SCN_REPORT_NO_TIME: still in use */
    int64_t accepted, refused;
    char text[48];
};

/* From the CA's revocation to the first moment a stapled visitor could no
 * longer be told "good": the web server learned (staple.revoked), a user who
 * asked for a staple was refused because revoked, or the last good staple's
 * nextUpdate passed, whichever came first. */
struct scn_report_revocation {
    char serial[48], name[64], reason[32];
    int64_t at_ms;
    int64_t end_ms;          /* SCN_REPORT_NO_TIME: not closed within the trace */
    char end_why[64];        /* "the web server learned", … */
    bool had_staple;         /* a good staple of this certificate was in use at the revocation */
    int64_t staple_until_ms; /* that staple's nextUpdate */
    int64_t told_good;       /* stapled visits accepted inside the window */
};

struct scn_report_row {
    enum scn_row_kind kind;
    enum scn_lane from, to;
    enum scn_ui_tone tone;
    long count;
    char ts[32];
    char *label; /* owned */
};

struct scn_report_lab {
    char name[256];           /* the lab's folder name: "04-revocation" */
    char dir[LAB_PATH_MAX];   /* the lab as given */
    char title[256];          /* scenario.start "title" */
    int64_t start_ms, end_ms; /* scenario.start .. scenario.end, else first .. last event */
    long lines, skipped, events;
    bool has_program_events; /* anything from ca, responder, webserver or browser */

    /* The comparison: the runner's table row, counted from the trace. */
    struct scn_table_row table;
    int64_t ca_by_browser, ca_by_webserver, ca_by_other; /* requests at the CA by who asked */
    int64_t ca_crl_downloads; /* GET /crl answers (crl.served), counted among the requests */
    int64_t sweep_users;      /* scenario run --sweep: this lab's crowd size; 0: not swept */
    /* HTTP caches in front of the responder (cache.summary), summed. */
    bool has_cache;
    int64_t cache_requests, cache_hits;

    /* The staple timeline. */
    bool has_staple_events; /* the web server's staple.* (stapling on) */
    struct scn_report_mark *marks;
    size_t mark_count;
    int64_t marks_dropped;
    char staple_lanes[SCN_REPORT_MAX_STAPLE_LANES][64];
    size_t staple_lane_count;
    struct scn_report_revocation revocations[SCN_REPORT_MAX_REVOCATIONS];
    size_t revocation_count;
    int64_t revocations_dropped;

    /* What the CA learned: "address<SEP>site<SEP>requester" -> answers. */
    struct scn_countmap pairs;
    int64_t answers;          /* ocsp.response.sent events */
    int64_t answers_unpaired; /* of them, past SCN_REPORT_MAX_PAIRS distinct pairs */

    /* The ladder. */
    struct scn_report_row *rows;
    size_t row_count;
    long rows_more; /* rows past SCN_REPORT_MAX_ROWS, counted */
};

/* Reads DIR/trace.jsonl into *lab (zeroed first); `name` names the lab.
 * Bad lines are reported on errs like `scenario trace` does and counted.
 * Returns 0, or -1 with err set (the trace cannot be opened or read, or
 * memory ran out). Free with scn_report_lab_free, also after a failure. */
int scn_report_lab_read(struct scn_report_lab *lab, const char *dir, const char *name, FILE *errs,
                        struct errbuf *err);
void scn_report_lab_free(struct scn_report_lab *lab);

/* "2026-11-25T14:38:28.704Z" -> Unix milliseconds; SCN_REPORT_NO_TIME when
 * it is not an RFC 3339 UTC time. */
int64_t scn_report_parse_time(const char *ts);

#endif
