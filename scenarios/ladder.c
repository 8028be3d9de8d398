/* ladder.c — `scenario trace`: turns trace events (DESIGN section 5, the
 * vocabulary in README.md "The protocol trace") into ladder rows. Each event
 * becomes one row: an arrow between two parties' columns (ClientHello,
 * Certificate with or without the staple, OCSP request and response), a note
 * on one party's column (a verdict, a staple's life, the CA's acts) or a
 * narration line (the scenario). The previous row is held back so that a run
 * of identical rows prints once with "×N"; nothing else is kept. */
#include "ladder.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"
#include "tracefile.h"
#include "ui.h"

/* The columns: time, then one lane per party, then the row's words. The
 * lanes are 12 apart so that the words keep 45 of the 100 columns. */
#define LADDER_TIME_COLS 12
#define LADDER_LABEL_COL 55
#define LADDER_LABEL_COLS (SCN_LADDER_WIDTH - LADDER_LABEL_COL)
#define LADDER_LABEL_BYTES 512
/* Past this many, bad lines are only counted (a garbage file must not flood
 * the terminal); the total is reported at the end. */
#define LADDER_MAX_REPORTED 20
/* Distinct rows held back for collapsing. The users of one visit run
 * concurrently, so their ClientHellos, certificates and verdicts interleave;
 * within one scenario step, a row that repeats any held row joins it. Eight
 * covers one visit's kinds of rows (hello, certificate, staple check, OCSP
 * both ways, verdict, HTTP) and keeps memory fixed. */
#define LADDER_WINDOW 8

enum ladder_lane { LANE_USERS, LANE_WEBSERVER, LANE_RESPONDER, LANE_CA, LANE_COUNT, LANE_NONE };
static const int lane_col[LANE_COUNT] = {16, 28, 40, 52};
static const char *const lane_name[LANE_COUNT] = {"users", "webserver", "responder", "ca"};

enum ladder_kind { ROW_ARROW, ROW_NOTE, ROW_NARRATION };

struct ladder_row {
    enum ladder_kind kind;
    enum ladder_lane from, to; /* a note uses `from` only */
    enum scn_ui_tone tone;
    char label[LADDER_LABEL_BYTES];
    char ts[32]; /* the first event's, when collapsed */
    long count;
};

struct ladder {
    FILE *out;
    struct scn_ui ui; /* narration goes through scn_ui_print's wrapping */
    /* Rows held back to see whether later ones repeat them, in the order
     * first seen; drawn when a narration line comes (a new step), when the
     * window is full, at the end, and when --follow waits. */
    struct ladder_row held[LADDER_WINDOW];
    size_t held_count;
    char date[16]; /* the simulated day last shown */
    bool has_header;
    long rows;
};

static const char *const tone_on[] = {
    [SCN_TONE_PLAIN] = "",       [SCN_TONE_TITLE] = "\033[1;34m", [SCN_TONE_SAY] = "\033[1;36m",
    [SCN_TONE_STEP] = "\033[1m", [SCN_TONE_GOOD] = "\033[32m",    [SCN_TONE_BAD] = "\033[1;31m",
    [SCN_TONE_DIM] = "\033[2m",
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

/* "489909E80CF3516D…": enough of a serial to tell certificates apart. */
static void short_serial(const char *serial, char *out, size_t cap)
{
    if (strlen(serial) > 8)
        snprintf(out, cap, "%.6s…", serial);
    else
        snprintf(out, cap, "%s", serial);
}

/* "2026-11-26T14:09:57.000Z" -> "11-26 14:09" */
static void short_time(const char *ts, char *out, size_t cap)
{
    if (strlen(ts) >= 16 && ts[10] == 'T')
        snprintf(out, cap, "%.5s %.5s", ts + 5, ts + 11);
    else
        snprintf(out, cap, "%s", ts);
}

static enum ladder_lane actor_lane(const char *actor)
{
    if (strcmp(actor, "browser") == 0)
        return LANE_USERS;
    if (strcmp(actor, "webserver") == 0)
        return LANE_WEBSERVER;
    if (strcmp(actor, "responder") == 0)
        return LANE_RESPONDER;
    if (strcmp(actor, "ca") == 0)
        return LANE_CA;
    return LANE_NONE;
}

static enum scn_ui_tone reason_tone(const char *reason)
{
    return strcmp(reason, "good") == 0 ? SCN_TONE_GOOD : SCN_TONE_BAD;
}

static void set_arrow(struct ladder_row *row, enum ladder_lane from, enum ladder_lane to)
{
    row->kind = ROW_ARROW;
    row->from = from;
    row->to = to;
}

/* The messages between parties: who sent what to whom. Returns false when
 * the event is not one of them. */
static bool message_row(json_t *ev, const char *actor, const char *name, struct ladder_row *row)
{
    char serial[32], until[32];
    short_serial(field_str(ev, "serial"), serial, sizeof serial);
    if (strcmp(actor, "browser") == 0 && strcmp(name, "tls.client_hello") == 0) {
        set_arrow(row, LANE_USERS, LANE_WEBSERVER);
        snprintf(row->label, sizeof row->label, "ClientHello (%s)",
                 field_true(ev, "status_request") ? "status_request" : "no status_request");
    } else if (strcmp(actor, "webserver") == 0 && strcmp(name, "tls.handshake.done") == 0) {
        set_arrow(row, LANE_WEBSERVER, LANE_USERS);
        const char *version = field_str(ev, "version");
        snprintf(row->label, sizeof row->label, "%s%s%s%s",
                 field_true(ev, "stapled") ? "Certificate + staple" : "Certificate, no staple",
                 version[0] != 0 ? " (" : "", version, version[0] != 0 ? ")" : "");
    } else if (strcmp(name, "ocsp.request.sent") == 0 &&
               (strcmp(actor, "browser") == 0 || strcmp(actor, "webserver") == 0)) {
        set_arrow(row, actor_lane(actor), LANE_RESPONDER);
        snprintf(row->label, sizeof row->label, "OCSP request %s", serial);
    } else if (strcmp(actor, "responder") == 0 && strcmp(name, "ocsp.response.sent") == 0) {
        const char *requester = field_str(ev, "requester");
        set_arrow(row, LANE_RESPONDER,
                  strcmp(requester, "webserver") == 0 ? LANE_WEBSERVER : LANE_USERS);
        short_time(field_str(ev, "next_update"), until, sizeof until);
        const char *status = field_str(ev, "status");
        snprintf(row->label, sizeof row->label, "OCSP %s %s until %s%s", status, serial, until,
                 field_true(ev, "cached") ? " (cached)" : "");
        row->tone = strcmp(status, "good") == 0 ? SCN_TONE_PLAIN : SCN_TONE_BAD;
    } else {
        return false;
    }
    return true;
}

/* Notes on one party's column: conclusions and what a party did alone. */
static void note_row(json_t *ev, const char *actor, const char *name, struct ladder_row *row)
{
    char serial[32], until[32];
    const char *reason = field_str(ev, "reason");
    const char *status = field_str(ev, "status");
    short_serial(field_str(ev, "serial"), serial, sizeof serial);
    short_time(field_str(ev, "next_update"), until, sizeof until);
    row->kind = ROW_NOTE;
    row->from = actor_lane(actor);
    row->tone = SCN_TONE_DIM;
    if (strcmp(name, "browser.verdict") == 0) {
        bool is_accepted = strcmp(field_str(ev, "verdict"), "accept") == 0;
        snprintf(row->label, sizeof row->label, "%s (%s)%s", is_accepted ? "ACCEPT" : "REFUSE",
                 reason, field_true(ev, "staple") ? " from the staple" : "");
        row->tone = is_accepted ? SCN_TONE_GOOD : SCN_TONE_BAD;
    } else if (strcmp(name, "staple.verify") == 0) {
        snprintf(row->label, sizeof row->label, "staple checked by %s: %s",
                 field_str(ev, "checked_by"), reason);
        row->tone = reason_tone(reason);
    } else if (strcmp(name, "ocsp.response.received") == 0) {
        snprintf(row->label, sizeof row->label, "OCSP answer checked: %s", reason);
        row->tone = reason_tone(reason);
    } else if (strcmp(name, "ca.init") == 0) {
        snprintf(row->label, sizeof row->label, "root '%s' created", field_str(ev, "subject"));
    } else if (strcmp(name, "ca.cert.issued") == 0 || strcmp(name, "ca.delegate.issued") == 0) {
        snprintf(row->label, sizeof row->label, "issued %s %s", serial, field_str(ev, "name"));
        row->tone = SCN_TONE_PLAIN;
    } else if (strcmp(name, "ca.cert.revoked") == 0) {
        snprintf(row->label, sizeof row->label, "REVOKED %s %s (%s)", serial,
                 field_str(ev, "name"), reason);
        row->tone = SCN_TONE_BAD;
    } else if (strncmp(name, "staple.", 7) == 0) {
        /* The staple's life in the web server (DESIGN section 8). */
        snprintf(row->label, sizeof row->label, "%s%s%s%s%s", name, status[0] != 0 ? ": " : "",
                 status, until[0] != 0 ? " until " : "", until);
        bool is_bad = strcmp(name, "staple.revoked") == 0 ||
                      strcmp(name, "staple.expired") == 0 ||
                      strcmp(name, "staple.fetch.failed") == 0 ||
                      strcmp(name, "staple.discarded") == 0;
        row->tone = is_bad ? SCN_TONE_BAD : SCN_TONE_PLAIN;
    } else if (strcmp(name, "tls.handshake.failed") == 0 ||
               strcmp(name, "ocsp.request.failed") == 0 ||
               strcmp(name, "ocsp.request.rejected") == 0 || strcmp(name, "responder.fault") == 0) {
        snprintf(row->label, sizeof row->label, "%s%s%s", name, reason[0] != 0 ? ": " : "",
                 reason);
        row->tone = SCN_TONE_BAD;
    } else if (strcmp(actor, "browser") == 0 && strcmp(name, "tls.handshake.done") == 0) {
        snprintf(row->label, sizeof row->label, "chain ok, handshake done");
    } else if (strcmp(name, "http.response") == 0) {
        json_t *code = json_object_get(ev, "status");
        snprintf(row->label, sizeof row->label, "HTTP %lld",
                 json_is_integer(code) ? (long long)json_integer_value(code) : 0LL);
    } else {
        snprintf(row->label, sizeof row->label, "%s", name);
    }
}

/* One event as a row; the caller has checked ts, actor and event. */
static void event_row(json_t *ev, struct ladder_row *row)
{
    const char *actor = field_str(ev, "actor");
    const char *name = field_str(ev, "event");
    memset(row, 0, sizeof *row);
    row->count = 1;
    snprintf(row->ts, sizeof row->ts, "%s", field_str(ev, "ts"));
    row->tone = SCN_TONE_PLAIN;
    if (actor_lane(actor) == LANE_NONE) {
        /* The scenario's narration and steps, and any actor without a column. */
        row->kind = ROW_NARRATION;
        row->tone = strcmp(name, "scenario.say") == 0     ? SCN_TONE_SAY
                    : strcmp(name, "scenario.start") == 0 ? SCN_TONE_TITLE
                    : strcmp(name, "scenario.expect") != 0 ? SCN_TONE_DIM
                    : field_true(ev, "passed")             ? SCN_TONE_GOOD
                                                           : SCN_TONE_BAD;
        if (strcmp(actor, "scenario") == 0)
            snprintf(row->label, sizeof row->label, "%s", field_str(ev, "msg"));
        else
            snprintf(row->label, sizeof row->label, "%s: %s", actor, field_str(ev, "msg"));
        return;
    }
    if (!message_row(ev, actor, name, row))
        note_row(ev, actor, name, row);
}

static bool rows_repeat(const struct ladder_row *a, const struct ladder_row *b)
{
    return a->kind == b->kind && a->from == b->from && a->to == b->to && a->tone == b->tone &&
           strcmp(a->label, b->label) == 0;
}

/* Copies at most `cols` columns of UTF-8 `text` into out (cap bytes), ending
 * with "…" when it had to cut. */
static void fit_columns(const char *text, int cols, char *out, size_t cap)
{
    size_t i = 0;
    int used = 0;
    while (text[i] != 0) {
        size_t n = 1;
        while ((((unsigned char)text[i + n]) & 0xc0) == 0x80)
            n++;
        bool is_last_fit = used + 1 == cols && text[i + n] != 0;
        if (used == cols || is_last_fit || i + n + 4 > cap)
            break;
        used++;
        i += n;
    }
    memcpy(out, text, i);
    out[i] = 0;
    if (text[i] != 0 && i + 4 <= cap)
        memcpy(out + i, "…", 4); /* 3 bytes and the NUL */
}

/* scn_ui_print wraps at spaces but keeps a longer word whole; a word longer
 * than a narration line's room is cut so that no line passes 100 columns. */
static void narration_words(const char *text, char *out, size_t cap)
{
    const int room = SCN_LADDER_WIDTH - LADDER_TIME_COLS - 4;
    size_t used = 0;
    while (*text != 0 && used + 1 < cap) {
        size_t word = strcspn(text, " ");
        char fitted[LADDER_LABEL_BYTES + 8], piece[LADDER_LABEL_BYTES + 8];
        snprintf(piece, sizeof piece, "%.*s", (int)word, text);
        fit_columns(piece, room, fitted, sizeof fitted);
        int n = snprintf(out + used, cap - used, "%s%s", fitted, text[word] == ' ' ? " " : "");
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
        text += word + (text[word] == ' ');
    }
    out[used] = 0;
}

static void print_header(struct ladder *l)
{
    char line[SCN_LADDER_WIDTH + 1];
    memset(line, ' ', SCN_LADDER_WIDTH);
    memcpy(line, "time", 4);
    for (int i = 0; i < LANE_COUNT; i++) {
        size_t len = strlen(lane_name[i]);
        memcpy(line + lane_col[i] - (int)len / 2, lane_name[i], len);
    }
    int end = lane_col[LANE_COUNT - 1] + 2;
    while (end > 0 && line[end - 1] == ' ')
        end--;
    line[end] = 0;
    fprintf(l->out, "%s%s%s\n", l->ui.has_color ? "\033[1m" : "", line,
            l->ui.has_color ? "\033[0m" : "");
    l->has_header = true;
}

static void print_row(struct ladder *l, const struct ladder_row *row)
{
    char time_text[16], label[LADDER_LABEL_BYTES + 32], fitted[LADDER_LABEL_BYTES + 8];
    const char *dim = l->ui.has_color ? tone_on[SCN_TONE_DIM] : "";
    const char *off = l->ui.has_color ? "\033[0m" : "";
    if (!l->has_header)
        print_header(l);
    if (strlen(row->ts) >= 10 && strncmp(row->ts, l->date, 10) != 0) {
        snprintf(l->date, sizeof l->date, "%.10s", row->ts);
        fprintf(l->out, "%s---- %s (simulated time, UTC) ----%s\n", dim, l->date, off);
    }
    snprintf(time_text, sizeof time_text, "%-*.*s", LADDER_TIME_COLS, LADDER_TIME_COLS,
             strlen(row->ts) > 11 ? row->ts + 11 : row->ts);
    if (row->count > 1)
        snprintf(label, sizeof label, "%s ×%ld", row->label, row->count);
    else
        snprintf(label, sizeof label, "%s", row->label);
    l->rows++;
    if (row->kind == ROW_NARRATION) {
        char lead[32];
        char text[LADDER_LABEL_BYTES + 64];
        snprintf(lead, sizeof lead, "%s  » ", time_text);
        narration_words(label, text, sizeof text);
        scn_ui_print(&l->ui, row->tone, lead, text);
        return;
    }
    char lanes[LADDER_LABEL_COL + 1];
    memset(lanes, ' ', LADDER_LABEL_COL);
    lanes[LADDER_LABEL_COL] = 0;
    for (int i = 0; i < LANE_COUNT; i++)
        lanes[lane_col[i]] = '|';
    if (row->kind == ROW_ARROW) {
        int a = lane_col[row->from], b = lane_col[row->to];
        int lo = a < b ? a : b, hi = a < b ? b : a;
        for (int c = lo + 1; c < hi; c++)
            lanes[c] = '-';
        if (a < b)
            lanes[hi - 1] = '>';
        else
            lanes[lo + 1] = '<';
    } else {
        lanes[lane_col[row->from]] = '*';
    }
    fit_columns(label, LADDER_LABEL_COLS, fitted, sizeof fitted);
    const char *on = l->ui.has_color ? tone_on[row->tone] : "";
    fprintf(l->out, "%s%.*s%s%s%s%s%s\n", dim, LADDER_TIME_COLS, time_text, off,
            lanes + LADDER_TIME_COLS, on, fitted, on[0] != 0 ? off : "");
}

static void flush_held(struct ladder *l)
{
    for (size_t i = 0; i < l->held_count; i++)
        print_row(l, &l->held[i]);
    l->held_count = 0;
}

static void add_row(struct ladder *l, const struct ladder_row *row)
{
    if (row->kind == ROW_NARRATION) {
        /* A step or a sentence of the story: what came before stays before. */
        bool is_repeat = l->held_count == 1 && rows_repeat(&l->held[0], row);
        if (is_repeat) {
            l->held[0].count++;
            return;
        }
        flush_held(l);
    } else {
        for (size_t i = 0; i < l->held_count; i++) {
            if (l->held[i].kind != ROW_NARRATION && rows_repeat(&l->held[i], row)) {
                l->held[i].count++;
                return;
            }
        }
        if (l->held_count == LADDER_WINDOW ||
            (l->held_count > 0 && l->held[0].kind == ROW_NARRATION))
            flush_held(l);
    }
    l->held[l->held_count++] = *row;
}

/* RFC 3339 times of one format compare as text; a shorter bound ("2026-11-26")
 * compares on its own length, so --until 2026-11-26 includes that whole day. */
static int compare_ts_prefix(const char *ts, const char *bound)
{
    return strncmp(ts, bound, strlen(bound));
}

bool scn_ladder_filter_match(const struct scn_ladder_filter *filter, json_t *event)
{
    const char *ts = field_str(event, "ts");
    if (filter->actor != NULL && strcmp(field_str(event, "actor"), filter->actor) != 0)
        return false;
    if (filter->event_glob != NULL &&
        fnmatch(filter->event_glob, field_str(event, "event"), 0) != 0)
        return false;
    if (filter->user > 0) {
        json_t *user = json_object_get(event, "user");
        if (!json_is_integer(user) || json_integer_value(user) != filter->user)
            return false;
    }
    if (filter->since != NULL && compare_ts_prefix(ts, filter->since) < 0)
        return false;
    if (filter->until != NULL && compare_ts_prefix(ts, filter->until) > 0)
        return false;
    return true;
}

static void report_bad(FILE *errs, const char *name, long line_no, struct scn_ladder_stats *stats,
                       const char *what)
{
    stats->skipped++;
    if (stats->skipped <= LADDER_MAX_REPORTED)
        fprintf(errs, "%s:%ld: %s, skipped\n", name, line_no, what);
}

/* One line of the trace: parsed, checked, filtered, drawn or passed on. */
static void take_line(struct ladder *l, const struct scn_ladder_options *opt, const char *name,
                      const char *text, size_t len, long line_no, bool is_unterminated,
                      FILE *errs, struct scn_ladder_stats *stats)
{
    json_error_t jerr;
    char what[256];
    json_t *ev = json_loadb(text, len, 0, &jerr);
    if (ev == NULL) {
        if (is_unterminated)
            snprintf(what, sizeof what, "truncated (no newline at the end, %s)", jerr.text);
        else
            snprintf(what, sizeof what, "not JSON (%s)", jerr.text);
        report_bad(errs, name, line_no, stats, what);
        return;
    }
    if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "ts")) ||
        !json_is_string(json_object_get(ev, "actor")) ||
        !json_is_string(json_object_get(ev, "event"))) {
        report_bad(errs, name, line_no, stats, "not a trace event (it needs ts, actor and event)");
        json_decref(ev);
        return;
    }
    if (scn_ladder_filter_match(&opt->filter, ev)) {
        stats->events++;
        if (opt->is_json) {
            fwrite(text, 1, len, l->out);
            fputc('\n', l->out);
            stats->rows++;
        } else {
            struct ladder_row row;
            event_row(ev, &row);
            add_row(l, &row);
        }
    }
    json_decref(ev);
}

int scn_ladder_draw(int fd, const char *name, FILE *out, FILE *errs,
                    const struct scn_ladder_options *opt, struct scn_ladder_stats *stats)
{
    int rc = -1;
    struct scn_tracefile tf;
    struct ladder *l = calloc(1, sizeof *l);
    char what[64];
    memset(stats, 0, sizeof *stats);
    if (l == NULL || scn_tracefile_open(&tf, fd, TRACE_MAX_LINE) != 0) {
        fprintf(errs, "%s: out of memory\n", name);
        free(l);
        return -1;
    }
    l->out = out;
    l->ui = (struct scn_ui){.out = out, .has_color = opt->has_color, .width = SCN_LADDER_WIDTH};
    int poll_ms = opt->poll_ms > 0 ? opt->poll_ms : 200;
    for (;;) {
        const char *text = NULL;
        size_t len = 0;
        enum scn_tracefile_result r = scn_tracefile_next(&tf, !opt->is_follow, &text, &len);
        if (r == SCN_TRACEFILE_LINE || r == SCN_TRACEFILE_UNTERMINATED) {
            stats->lines++;
            take_line(l, opt, name, text, len, tf.line_no, r == SCN_TRACEFILE_UNTERMINATED, errs,
                      stats);
        } else if (r == SCN_TRACEFILE_TOO_LONG) {
            stats->lines++;
            snprintf(what, sizeof what, "longer than %d bytes", TRACE_MAX_LINE);
            report_bad(errs, name, tf.line_no, stats, what);
        } else if (r == SCN_TRACEFILE_ERROR) {
            fprintf(errs, "%s: cannot read: %s\n", name, strerror(errno));
            goto out;
        } else if (!opt->is_follow) {
            break;
        } else {
            /* --follow: show what is held (the next row may repeat it, and
             * would then print again with its own count), then wait. */
            flush_held(l);
            if (fflush(out) != 0 || (opt->should_stop != NULL && opt->should_stop()))
                break;
            struct timespec pause = {poll_ms / 1000, (long)(poll_ms % 1000) * 1000000L};
            nanosleep(&pause, NULL);
            if (opt->should_stop != NULL && opt->should_stop())
                break;
        }
        if (ferror(out))
            break;
    }
    flush_held(l);
    if (stats->skipped > LADDER_MAX_REPORTED)
        fprintf(errs, "%s: %ld bad lines skipped in all (the first %d shown)\n", name,
                stats->skipped, LADDER_MAX_REPORTED);
    if (fflush(out) != 0 || ferror(out)) {
        if (errno != EPIPE) /* `| head` closing early is not a failure */
            fprintf(errs, "%s: cannot write the output: %s\n", name, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    stats->rows += l->rows;
    scn_tracefile_free(&tf);
    free(l);
    return rc;
}
