/* report_data.c — one pass over a lab's trace, keeping what the report
 * draws: counters, bounded lists of marks, pairs and rows. */
#include "report_data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "trace_read.h"
#include "ca_tally.h"

/* Verdicts (and failed requests) closer than this in simulated time are one
 * dot: the users of one visit come within milliseconds of each other, and a
 * dot per user would cost marks without showing more. When the marks run
 * out, the dots are merged over twice the time, and again, so that a long
 * trace is drawn whole, only coarser. */
#define REPORT_MERGE_MS 1000
#define REPORT_MERGE_MAX_MS (366LL * 86400 * 1000)
#define REPORT_MAX_SERIALS 32  /* certificates whose name a staple event needs */
#define REPORT_MAX_BROWSERS 16 /* browser runs remembered: did they ask for a staple? */

/* What one pass needs besides what it keeps. */
struct gather {
    struct scn_report_lab *lab;
    struct scn_ca_tally *tally;
    struct scn_ladder_rows rows;
    struct {
        char serial[48], name[64];
        int64_t staple_until_ms; /* the last good staple's nextUpdate, or NO_TIME */
    } certs[REPORT_MAX_SERIALS];
    size_t cert_count;
    struct {
        long pid;
        bool asked_staple;
    } browsers[REPORT_MAX_BROWSERS];
    size_t browser_next;             /* a ring: the latest runs matter */
    long last_verdicts, last_failed; /* mark indexes to merge into, or -1 */
    int64_t merge_ms;                /* dots closer than this are one */
    int64_t first_ms, last_ms;
    bool has_start;
    bool is_out_of_memory;
};

static const char *field_str(json_t *event, const char *key)
{
    const char *s = json_string_value(json_object_get(event, key));
    return s != NULL ? s : "";
}

static bool field_true(json_t *event, const char *key)
{
    return json_is_true(json_object_get(event, key));
}

static long field_long(json_t *event, const char *key)
{
    json_t *v = json_object_get(event, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

/* Adds a count the trace states: negative ones are ignored and the sum
 * saturates rather than overflow (the trace is outside input). */
static void add_count(int64_t *sum, long n)
{
    if (n > 0)
        *sum = (int64_t)n > INT64_MAX - *sum ? INT64_MAX : *sum + (int64_t)n;
}

/* ---- Time ----------------------------------------------------------------------------------- */

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int64_t scn_report_parse_time(const char *ts)
{
    /* YYYY-MM-DDTHH:MM:SS[.fff]Z, as common/clock formats it. */
    if (strlen(ts) < 20 || ts[4] != '-' || ts[7] != '-' || (ts[10] != 'T' && ts[10] != 't') ||
        ts[13] != ':' || ts[16] != ':')
        return SCN_REPORT_NO_TIME;
    struct tm tm = {0};
    tm.tm_year = digits(ts, 4) - 1900;
    tm.tm_mon = digits(ts + 5, 2) - 1;
    tm.tm_mday = digits(ts + 8, 2);
    tm.tm_hour = digits(ts + 11, 2);
    tm.tm_min = digits(ts + 14, 2);
    tm.tm_sec = digits(ts + 17, 2);
    if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
        tm.tm_sec > 60)
        return SCN_REPORT_NO_TIME;
    const char *p = ts + 19;
    int64_t ms = 0, scale = 100;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return SCN_REPORT_NO_TIME;
        for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
            ms += (*p - '0') * scale;
    }
    if ((*p != 'Z' && *p != 'z') || p[1] != 0)
        return SCN_REPORT_NO_TIME;
    time_t seconds = timegm(&tm);
    if (seconds == (time_t)-1 && tm.tm_year != 69)
        return SCN_REPORT_NO_TIME;
    return (int64_t)seconds * 1000 + ms;
}

/* ---- Bounded lists -------------------------------------------------------------------------- */

static bool is_dot(const struct scn_report_mark *m)
{
    return m->kind == SCN_MARK_VERDICTS || m->kind == SCN_MARK_RESPONDER_FAILED;
}

/* Merges each dot into the previous dot of its kind when closer than
 * g->merge_ms, keeping every other mark and the order. */
static void merge_dots(struct gather *g)
{
    struct scn_report_lab *lab = g->lab;
    size_t kept = 0;
    g->last_verdicts = g->last_failed = -1;
    for (size_t i = 0; i < lab->mark_count; i++) {
        struct scn_report_mark m = lab->marks[i];
        long *last = m.kind == SCN_MARK_VERDICTS ? &g->last_verdicts : &g->last_failed;
        if (is_dot(&m) && *last >= 0 && m.at_ms - lab->marks[*last].at_ms <= g->merge_ms) {
            lab->marks[*last].accepted += m.accepted;
            lab->marks[*last].refused += m.refused;
            continue;
        }
        lab->marks[kept] = m;
        if (is_dot(&m))
            *last = (long)kept;
        kept++;
    }
    lab->mark_count = kept;
}

/* A new mark, or NULL when memory ran out or the lab holds
 * SCN_REPORT_MAX_MARKS that coarser dots cannot make room among (it is
 * counted as dropped). */
static struct scn_report_mark *new_mark(struct gather *g, enum scn_mark_kind kind, int64_t at_ms)
{
    struct scn_report_lab *lab = g->lab;
    while (lab->mark_count == SCN_REPORT_MAX_MARKS && g->merge_ms < REPORT_MERGE_MAX_MS) {
        g->merge_ms *= 2;
        merge_dots(g);
    }
    if (lab->mark_count == SCN_REPORT_MAX_MARKS) {
        lab->marks_dropped++;
        return NULL;
    }
    if (lab->marks == NULL) {
        /* Lessons draw tens of marks; the full bound only for big traces. */
        lab->marks = calloc(SCN_REPORT_MAX_MARKS, sizeof *lab->marks);
        if (lab->marks == NULL) {
            g->is_out_of_memory = true;
            return NULL;
        }
    }
    struct scn_report_mark *m = &lab->marks[lab->mark_count++];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->at_ms = at_ms;
    m->until_ms = SCN_REPORT_NO_TIME;
    m->refresh_ms = SCN_REPORT_NO_TIME;
    m->dropped_ms = SCN_REPORT_NO_TIME;
    m->this_update_ms = SCN_REPORT_NO_TIME;
    return m;
}

/* The emit callback of the ladder rows: the first SCN_REPORT_MAX_ROWS kept. */
static void keep_row(const struct scn_ladder_row *row, void *ctx)
{
    struct gather *g = ctx;
    struct scn_report_lab *lab = g->lab;
    if (lab->row_count == SCN_REPORT_MAX_ROWS) {
        lab->rows_more++;
        return;
    }
    if (lab->rows == NULL) {
        lab->rows = calloc(SCN_REPORT_MAX_ROWS, sizeof *lab->rows);
        if (lab->rows == NULL) {
            g->is_out_of_memory = true;
            return;
        }
    }
    struct scn_report_row *kept = &lab->rows[lab->row_count];
    kept->label = strdup(row->label);
    if (kept->label == NULL) {
        g->is_out_of_memory = true;
        return;
    }
    kept->kind = row->kind;
    kept->from = row->from;
    kept->to = row->to;
    kept->tone = row->tone;
    kept->count = row->count;
    snprintf(kept->ts, sizeof kept->ts, "%s", row->ts);
    lab->row_count++;
}

/* ---- Certificates and staples --------------------------------------------------------------- */

static long cert_index(struct gather *g, const char *serial, bool may_add)
{
    for (size_t i = 0; i < g->cert_count; i++)
        if (strcmp(g->certs[i].serial, serial) == 0)
            return (long)i;
    if (!may_add || g->cert_count == REPORT_MAX_SERIALS || serial[0] == 0)
        return -1;
    size_t i = g->cert_count++;
    snprintf(g->certs[i].serial, sizeof g->certs[i].serial, "%s", serial);
    g->certs[i].name[0] = 0;
    g->certs[i].staple_until_ms = SCN_REPORT_NO_TIME;
    return (long)i;
}

/* The staple lane of a certificate: one per site name (the serial when the
 * trace did not say which site); past the bound, all share the last. */
static int staple_lane(struct gather *g, const char *serial)
{
    struct scn_report_lab *lab = g->lab;
    long c = cert_index(g, serial, false);
    char name[64];
    snprintf(name, sizeof name, "%s",
             c >= 0 && g->certs[c].name[0] != 0 ? g->certs[c].name
             : serial[0] != 0                   ? serial
                                                : "web server");
    for (size_t i = 0; i < lab->staple_lane_count; i++)
        if (strcmp(lab->staple_lanes[i], name) == 0)
            return (int)i;
    if (lab->staple_lane_count == SCN_REPORT_MAX_STAPLE_LANES) {
        snprintf(lab->staple_lanes[SCN_REPORT_MAX_STAPLE_LANES - 1], sizeof lab->staple_lanes[0],
                 "other web servers");
        return SCN_REPORT_MAX_STAPLE_LANES - 1;
    }
    snprintf(lab->staple_lanes[lab->staple_lane_count], sizeof lab->staple_lanes[0], "%s", name);
    return (int)lab->staple_lane_count++;
}

static void close_windows(struct gather *g, const char *serial, const char *name, int64_t at_ms,
                          const char *why)
{
    for (size_t i = 0; i < g->lab->revocation_count; i++) {
        struct scn_report_revocation *r = &g->lab->revocations[i];
        bool is_it = serial != NULL ? strcmp(r->serial, serial) == 0 : strcmp(r->name, name) == 0;
        if (is_it && r->end_ms == SCN_REPORT_NO_TIME && at_ms >= r->at_ms) {
            r->end_ms = at_ms;
            snprintf(r->end_why, sizeof r->end_why, "%s", why);
        }
    }
}

static void on_staple(struct gather *g, json_t *ev, const char *name, int64_t at_ms)
{
    const char *serial = field_str(ev, "serial");
    enum scn_mark_kind kind;
    if (strcmp(name, "staple.off") == 0)
        return; /* stapling off: no staple to follow */
    g->lab->has_staple_events = true;
    if (strcmp(name, "staple.fetch.ok") == 0 || strcmp(name, "staple.loaded") == 0)
        kind = SCN_MARK_STAPLE;
    else if (strcmp(name, "staple.fetch.failed") == 0)
        kind = SCN_MARK_STAPLE_FAILED;
    else if (strcmp(name, "staple.expired") == 0)
        kind = SCN_MARK_STAPLE_EXPIRED;
    else if (strcmp(name, "staple.revoked") == 0)
        kind = SCN_MARK_STAPLE_REVOKED;
    else
        return;
    if (kind == SCN_MARK_STAPLE_REVOKED)
        close_windows(g, serial, NULL, at_ms, "the web server learned it and stopped stapling");
    int64_t until_ms = scn_report_parse_time(field_str(ev, "next_update"));
    if (kind == SCN_MARK_STAPLE) {
        long c = cert_index(g, serial, true);
        if (c >= 0)
            g->certs[c].staple_until_ms = until_ms;
        /* A good answer fetched after the revocation (a cached one) keeps the
         * window open until it expires too. */
        for (size_t i = 0; i < g->lab->revocation_count; i++) {
            struct scn_report_revocation *r = &g->lab->revocations[i];
            if (strcmp(r->serial, serial) == 0 && r->end_ms == SCN_REPORT_NO_TIME &&
                until_ms != SCN_REPORT_NO_TIME && until_ms > r->staple_until_ms) {
                r->had_staple = true;
                r->staple_until_ms = until_ms;
            }
        }
    }
    int lane = staple_lane(g, serial);
    /* A newer staple, an expiry or a revocation ends the use of the staple
     * in hand (a failed fetch does not: the server keeps the one it has). */
    if (kind != SCN_MARK_STAPLE_FAILED) {
        for (size_t i = g->lab->mark_count; i-- > 0;) {
            struct scn_report_mark *old = &g->lab->marks[i];
            if (old->kind == SCN_MARK_STAPLE && old->lane == lane) {
                if (old->dropped_ms == SCN_REPORT_NO_TIME)
                    old->dropped_ms = at_ms;
                break;
            }
        }
    }
    struct scn_report_mark *m = new_mark(g, kind, at_ms);
    if (m == NULL)
        return;
    m->lane = lane;
    if (kind == SCN_MARK_STAPLE) {
        m->until_ms = until_ms;
        m->refresh_ms = scn_report_parse_time(field_str(ev, "next_refresh"));
        m->this_update_ms = scn_report_parse_time(field_str(ev, "this_update"));
    }
    /* Words for the drawing's tooltips, not the event's name. */
    static const char *const words[] = {
        [SCN_MARK_STAPLE] = "the web server got a staple",
        [SCN_MARK_STAPLE_FAILED] = "the web server's staple fetch failed",
        [SCN_MARK_STAPLE_EXPIRED] = "the web server's staple expired",
        [SCN_MARK_STAPLE_REVOKED] = "the web server learned of the revocation",
    };
    snprintf(m->text, sizeof m->text, "%s",
             strcmp(name, "staple.loaded") == 0 ? "the web server loaded its staple file"
                                                : words[kind]);
}

static void on_ca(struct gather *g, json_t *ev, const char *name, int64_t at_ms)
{
    const char *serial = field_str(ev, "serial");
    if (strcmp(name, "ca.cert.issued") == 0) {
        long c = cert_index(g, serial, true);
        if (c >= 0)
            snprintf(g->certs[c].name, sizeof g->certs[c].name, "%s", field_str(ev, "name"));
        struct scn_report_mark *m = new_mark(g, SCN_MARK_ISSUED, at_ms);
        if (m != NULL)
            snprintf(m->text, sizeof m->text, "%s", field_str(ev, "name"));
        return;
    }
    if (strcmp(name, "ca.cert.revoked") != 0)
        return;
    struct scn_report_lab *lab = g->lab;
    if (lab->revocation_count == SCN_REPORT_MAX_REVOCATIONS) {
        lab->revocations_dropped++;
        return;
    }
    struct scn_report_revocation *r = &lab->revocations[lab->revocation_count++];
    memset(r, 0, sizeof *r);
    snprintf(r->serial, sizeof r->serial, "%s", serial);
    snprintf(r->name, sizeof r->name, "%s", field_str(ev, "name"));
    snprintf(r->reason, sizeof r->reason, "%s", field_str(ev, "reason"));
    r->at_ms = at_ms;
    r->end_ms = SCN_REPORT_NO_TIME;
    r->staple_until_ms = SCN_REPORT_NO_TIME;
    long c = cert_index(g, serial, false);
    if (c >= 0 && g->certs[c].staple_until_ms != SCN_REPORT_NO_TIME &&
        g->certs[c].staple_until_ms > at_ms) {
        r->had_staple = true;
        r->staple_until_ms = g->certs[c].staple_until_ms;
    }
}

/* ---- The responder -------------------------------------------------------------------------- */

/* Ends the running interval of responder `pid` at at_ms. */
static void responder_down(struct gather *g, long pid, int64_t at_ms)
{
    for (size_t i = g->lab->mark_count; i-- > 0;) {
        struct scn_report_mark *m = &g->lab->marks[i];
        if (m->kind == SCN_MARK_RESPONDER_UP && m->pid == pid &&
            m->until_ms == SCN_REPORT_NO_TIME) {
            m->until_ms = at_ms;
            return;
        }
    }
}

static void responder_up(struct gather *g, long pid, int64_t at_ms, const char *fault)
{
    struct scn_report_mark *m = new_mark(g, SCN_MARK_RESPONDER_UP, at_ms);
    if (m == NULL)
        return;
    m->pid = pid;
    snprintf(m->text, sizeof m->text, "%s", fault[0] != 0 ? fault : "none");
}

static void failed_request(struct gather *g, int64_t at_ms)
{
    struct scn_report_lab *lab = g->lab;
    if (g->last_failed >= 0 && at_ms - lab->marks[g->last_failed].at_ms <= g->merge_ms) {
        lab->marks[g->last_failed].refused++;
        return;
    }
    struct scn_report_mark *m = new_mark(g, SCN_MARK_RESPONDER_FAILED, at_ms);
    if (m == NULL)
        return;
    m->refused = 1;
    g->last_failed = (long)(m - lab->marks);
}

static void on_responder(struct gather *g, json_t *ev, const char *name, int64_t at_ms)
{
    struct scn_report_lab *lab = g->lab;
    long pid = field_long(ev, "pid");
    if (strcmp(name, "ocsp.responses.summarized") == 0) {
        /* A busy second counted, not traced one by one (the responder's trace
         * budget): who asked, without their addresses. */
        json_t *by = json_object_get(ev, "by_requester");
        add_count(&lab->ca_by_browser, field_long(by, "browser"));
        add_count(&lab->ca_by_webserver, field_long(by, "webserver"));
        add_count(&lab->ca_by_other, field_long(by, "other"));
        return;
    }
    if (strcmp(name, "crl.served") == 0) {
        lab->ca_crl_downloads++; /* the CA's totals count it too (tracelog.c) */
        return;
    }
    bool is_answer = strcmp(name, "ocsp.response.sent") == 0;
    if (is_answer || strcmp(name, "ocsp.request.rejected") == 0) {
        /* The same events the CA's totals count (tracelog.c), split by who asked. */
        const char *requester = field_str(ev, "requester");
        if (strcmp(requester, "browser") == 0)
            lab->ca_by_browser++;
        else if (strcmp(requester, "webserver") == 0)
            lab->ca_by_webserver++;
        else
            lab->ca_by_other++;
    }
    if (is_answer) {
        char key[256];
        const char *site = field_str(ev, "name");
        if (site[0] == 0)
            site = field_str(ev, "serial");
        snprintf(key, sizeof key, "%s%c%s%c%s", field_str(ev, "client"), SCN_REPORT_PAIR_SEP, site,
                 SCN_REPORT_PAIR_SEP, field_str(ev, "requester"));
        lab->answers++;
        enum scn_countmap_result seen = scn_countmap_add(&lab->pairs, key);
        if (seen == SCN_COUNTMAP_FULL)
            lab->answers_unpaired++;
        else if (seen == SCN_COUNTMAP_NOMEM)
            g->is_out_of_memory = true;
    } else if (strcmp(name, "ocsp.request.rejected") == 0) {
        failed_request(g, at_ms);
    } else if (strcmp(name, "responder.start") == 0) {
        responder_up(g, pid, at_ms, field_str(ev, "fault"));
    } else if (strcmp(name, "responder.fault") == 0) {
        responder_down(g, pid, at_ms);
        responder_up(g, pid, at_ms, field_str(ev, "fault"));
    } else if (strcmp(name, "responder.stop") == 0) {
        responder_down(g, pid, at_ms);
    }
}

/* ---- The users ------------------------------------------------------------------------------ */

static bool browser_asked_staple(const struct gather *g, long pid)
{
    for (size_t i = 0; i < REPORT_MAX_BROWSERS; i++)
        if (g->browsers[i].pid == pid && pid != 0)
            return g->browsers[i].asked_staple;
    return true; /* the browser's default is --staple on */
}

static void on_verdict(struct gather *g, json_t *ev, int64_t at_ms)
{
    struct scn_report_lab *lab = g->lab;
    struct scn_table_row *row = &lab->table;
    bool is_accepted = strcmp(field_str(ev, "verdict"), "accept") == 0;
    bool is_stapled = field_true(ev, "staple");
    long ms = field_long(ev, "ms");
    /* As scn_visit_from_json sums the browser's report (expect.c). */
    row->users++;
    if (is_stapled)
        row->stapled++;
    if (ms > 0) {
        /* ms is the trace's word: the sum saturates rather than overflow. */
        row->ms_total = ms > INT64_MAX - row->ms_total ? INT64_MAX : row->ms_total + ms;
        if (ms > row->ms_worst)
            row->ms_worst = ms;
    }
    if (field_true(ev, "alone")) {
        row->alone++;
        row->alone_ms_total += ms > 0 && ms <= INT64_MAX - row->alone_ms_total ? ms : 0;
    }
    const char *site = field_str(ev, "site");
    for (size_t i = 0; i < lab->revocation_count; i++) {
        struct scn_report_revocation *r = &lab->revocations[i];
        bool is_open = r->end_ms == SCN_REPORT_NO_TIME && at_ms >= r->at_ms &&
                       (r->staple_until_ms == SCN_REPORT_NO_TIME || at_ms < r->staple_until_ms);
        if (is_open && strcmp(r->name, site) == 0 && is_accepted && is_stapled)
            r->told_good++;
    }
    if (!is_accepted && strcmp(field_str(ev, "reason"), "revoked") == 0 &&
        (is_stapled || browser_asked_staple(g, field_long(ev, "pid"))))
        close_windows(g, NULL, site, at_ms, "a visitor who asked for a staple was refused");
    if (g->last_verdicts >= 0 && at_ms - lab->marks[g->last_verdicts].at_ms <= g->merge_ms) {
        struct scn_report_mark *m = &lab->marks[g->last_verdicts];
        *(is_accepted ? &m->accepted : &m->refused) += 1;
        return;
    }
    struct scn_report_mark *m = new_mark(g, SCN_MARK_VERDICTS, at_ms);
    if (m == NULL)
        return;
    *(is_accepted ? &m->accepted : &m->refused) = 1;
    g->last_verdicts = (long)(m - lab->marks);
}

static void on_browser(struct gather *g, json_t *ev, const char *name, int64_t at_ms)
{
    if (strcmp(name, "browser.verdict") == 0) {
        on_verdict(g, ev, at_ms);
    } else if (strcmp(name, "browser.verdicts.summarized") == 0) {
        /* Users past the browser's traced ones, counted as the runner
         * counts them (expect.c reads the same numbers from --json). */
        struct scn_table_row *row = &g->lab->table;
        add_count(&row->users, field_long(ev, "users"));
        add_count(&row->stapled, field_long(ev, "stapled"));
        add_count(&row->asked, field_long(ev, "asked"));
        add_count(&row->ms_total, field_long(ev, "ms_total"));
        add_count(&row->alone, field_long(ev, "alone"));
        add_count(&row->alone_ms_total, field_long(ev, "alone_ms"));
    } else if (strcmp(name, "ocsp.request.sent") == 0) {
        g->lab->table.asked++;
    } else if (strcmp(name, "ocsp.request.failed") == 0) {
        failed_request(g, at_ms);
    } else if (strcmp(name, "browser.start") == 0) {
        size_t i = g->browser_next++ % REPORT_MAX_BROWSERS;
        g->browsers[i].pid = field_long(ev, "pid");
        g->browsers[i].asked_staple = strcmp(field_str(ev, "staple"), "off") != 0;
    }
}

/* ---- One event, and the whole trace --------------------------------------------------------- */

static void take_event(struct gather *g, json_t *ev)
{
    struct scn_report_lab *lab = g->lab;
    const char *actor = field_str(ev, "actor");
    const char *name = field_str(ev, "event");
    int64_t at_ms = scn_report_parse_time(field_str(ev, "ts"));
    lab->events++;
    /* The ladder tells the lab's story: the runner's own /stats looks are
     * left off it (scenario trace --all draws them). */
    if (!scn_ladder_is_runner_own(ev)) {
        struct scn_ladder_row row;
        scn_ladder_row_from_event(ev, &row);
        scn_ladder_rows_add(&g->rows, &row);
    }
    scn_ca_tally_add(g->tally, ev);
    if (at_ms == SCN_REPORT_NO_TIME)
        return; /* on the ladder and in the counts, but nowhere on a clock */
    if (g->first_ms == SCN_REPORT_NO_TIME || at_ms < g->first_ms)
        g->first_ms = at_ms;
    if (g->last_ms == SCN_REPORT_NO_TIME || at_ms > g->last_ms)
        g->last_ms = at_ms;
    if (strcmp(actor, "scenario") == 0) {
        if (strcmp(name, "scenario.start") == 0 && !g->has_start) {
            g->has_start = true;
            lab->start_ms = at_ms;
            snprintf(lab->title, sizeof lab->title, "%s", field_str(ev, "title"));
            long swept = field_long(ev, "sweep_users");
            lab->sweep_users = swept > 0 ? swept : 0;
        } else if (strcmp(name, "scenario.end") == 0) {
            lab->end_ms = at_ms;
        } else if (strcmp(name, "scenario.watch") == 0) {
            /* The runner's table keeps the last window a lab measured. */
            lab->table.has_window = true;
            lab->table.window_seconds = field_long(ev, "window_seconds");
        } else if (strcmp(name, "scenario.visit") == 0 && field_true(ev, "ca_down")) {
            add_count(&lab->table.ca_down_users, field_long(ev, "users"));
            add_count(&lab->table.ca_down_accepted, field_long(ev, "accepted"));
        } else if (strcmp(name, "cache.summary") == 0) {
            lab->has_cache = true;
            add_count(&lab->cache_requests, field_long(ev, "requests"));
            add_count(&lab->cache_hits, field_long(ev, "hits"));
        }
        return;
    }
    if (strcmp(actor, "browser") == 0)
        on_browser(g, ev, name, at_ms);
    else if (strcmp(actor, "responder") == 0)
        on_responder(g, ev, name, at_ms);
    else if (strcmp(actor, "ca") == 0)
        on_ca(g, ev, name, at_ms);
    else if (strcmp(actor, "webserver") == 0 && strncmp(name, "staple.", 7) == 0)
        on_staple(g, ev, name, at_ms);
    else if (strcmp(actor, "webserver") != 0)
        return;
    lab->has_program_events = true;
}

/* After the last event: the time axis, open intervals and windows closed. */
static void finish(struct gather *g)
{
    struct scn_report_lab *lab = g->lab;
    if (lab->start_ms == SCN_REPORT_NO_TIME)
        lab->start_ms = g->first_ms;
    if (lab->end_ms == SCN_REPORT_NO_TIME || lab->end_ms < lab->start_ms)
        lab->end_ms = g->last_ms;
    for (size_t i = 0; i < lab->mark_count; i++)
        if (lab->marks[i].kind == SCN_MARK_RESPONDER_UP &&
            lab->marks[i].until_ms == SCN_REPORT_NO_TIME)
            lab->marks[i].until_ms = lab->end_ms;
    for (size_t i = 0; i < lab->revocation_count; i++) {
        struct scn_report_revocation *r = &lab->revocations[i];
        /* No stapled visitor is told "good" once the last good staple expired. */
        bool has_expired = r->had_staple && r->staple_until_ms != SCN_REPORT_NO_TIME &&
                           (r->end_ms == SCN_REPORT_NO_TIME || r->staple_until_ms < r->end_ms);
        if (has_expired && r->staple_until_ms <= lab->end_ms) {
            r->end_ms = r->staple_until_ms;
            snprintf(r->end_why, sizeof r->end_why, "the last good staple expired");
        }
    }
}

int scn_report_lab_read(struct scn_report_lab *lab, const char *dir, const char *name, FILE *errs,
                        struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    struct trace_reader reader = {0};
    struct gather *g = calloc(1, sizeof *g);
    int rc = -1, fd = -1;
    memset(lab, 0, sizeof *lab);
    snprintf(lab->name, sizeof lab->name, "%s", name);
    snprintf(lab->dir, sizeof lab->dir, "%s", dir);
    lab->start_ms = lab->end_ms = SCN_REPORT_NO_TIME;
    if (g == NULL || scn_countmap_init(&lab->pairs, SCN_REPORT_MAX_PAIRS) != 0 ||
        (g->tally = scn_ca_tally_new()) == NULL) {
        errbuf_set(err, "out of memory");
        goto out;
    }
    g->lab = lab;
    g->last_verdicts = g->last_failed = -1;
    g->merge_ms = REPORT_MERGE_MS;
    g->first_ms = g->last_ms = SCN_REPORT_NO_TIME;
    scn_ladder_rows_init(&g->rows, keep_row, g);
    if (file_path_join(path, sizeof path, dir, LAB_TRACE_FILE) != 0) {
        errbuf_set(err, "lab path too long: %s", dir);
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errbuf_set(err, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (trace_reader_open(&reader, fd, path, errs) != 0) {
        errbuf_set(err, "out of memory");
        goto out;
    }
    for (;;) {
        json_t *ev = NULL;
        const char *text = NULL;
        size_t len = 0;
        enum trace_file_result r = trace_reader_next(&reader, true, &ev, &text, &len);
        if (r == TRACE_FILE_ERROR) {
            errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (r != TRACE_FILE_LINE)
            break;
        take_event(g, ev);
        json_decref(ev);
    }
    scn_ladder_rows_flush(&g->rows);
    trace_reader_finish(&reader);
    lab->lines = reader.lines;
    lab->skipped = reader.skipped;
    finish(g);
    if (g->is_out_of_memory || scn_ca_tally_totals(g->tally, &lab->table.ca, err) != 0) {
        errbuf_set(err, "out of memory while reading %s", path);
        goto out;
    }
    snprintf(lab->table.label, sizeof lab->table.label, "%s", name);
    rc = 0;
out:
    trace_reader_free(&reader);
    if (fd >= 0)
        close(fd);
    if (g != NULL) {
        scn_ca_tally_free(g->tally);
        scn_ladder_rows_free(&g->rows);
    }
    free(g);
    return rc;
}

void scn_report_lab_free(struct scn_report_lab *lab)
{
    if (lab == NULL)
        return;
    for (size_t i = 0; i < lab->row_count; i++)
        free(lab->rows[i].label);
    free(lab->rows);
    free(lab->marks);
    scn_countmap_free(&lab->pairs);
    memset(lab, 0, sizeof *lab);
}
