/* ladder_rows.c — which party sent what to whom, for each event of the
 * trace's vocabulary, and the grouping of a step's rows into visits told in
 * order, identical visits collapsed into one with "×N" (ladder_rows.h). */
#include "ladder_rows.h"

#include "lab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const scn_lane_names[SCN_LANE_COUNT] = {"users", "webserver", "responder", "ca"};

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

static enum scn_lane actor_lane(const char *actor)
{
    if (strcmp(actor, "browser") == 0)
        return SCN_LANE_USERS;
    if (strcmp(actor, "webserver") == 0)
        return SCN_LANE_WEBSERVER;
    if (strcmp(actor, "responder") == 0)
        return SCN_LANE_RESPONDER;
    if (strcmp(actor, "ca") == 0)
        return SCN_LANE_CA;
    return SCN_LANE_NONE;
}

static enum scn_ui_tone reason_tone(const char *reason)
{
    return strcmp(reason, "good") == 0 ? SCN_TONE_GOOD : SCN_TONE_BAD;
}

static void set_arrow(struct scn_ladder_row *row, enum scn_lane from, enum scn_lane to)
{
    row->kind = SCN_ROW_ARROW;
    row->from = from;
    row->to = to;
}

/* Lab users connect from 127.0.A.B with A >= 1 (DESIGN section 7); a peer in
 * 127.0.0.0/24 is the runner reading /stats, or a tool such as openssl. Their
 * handshakes are not visits and must not look like them. */
bool scn_ladder_is_runner_own(json_t *ev)
{
    return strcmp(field_str(ev, "actor"), "webserver") == 0 &&
           strncmp(field_str(ev, "event"), "tls.", 4) == 0 &&
           strcmp(field_str(ev, "peer"), LAB_RUNNER_ADDR) == 0;
}

static bool is_lab_user_peer(const char *peer)
{
    return strncmp(peer, "127.0.0.", 8) != 0;
}

/* A visit's story, in the order it happens on the wire and in the browser
 * (visit.h): where each kind of row goes. */
enum visit_rank {
    RANK_HELLO,
    RANK_CERTIFICATE,
    RANK_STAPLE,
    RANK_HANDSHAKE,
    RANK_OCSP_REQUEST,
    RANK_OCSP_ANSWER,
    RANK_OCSP_CHECKED,
    RANK_PAGE,
    RANK_VERDICT,
    RANK_OTHER,
};

/* Whose visit a row is part of, and where in it. */
static void place_in_visit(json_t *ev, const char *actor, const char *name,
                           struct scn_ladder_row *row)
{
    static const struct {
        const char *actor, *name;
        enum visit_rank rank;
    } ranks[] = {
        {"browser", "tls.client_hello", RANK_HELLO},
        {"browser", "tls.reconnect", RANK_HELLO},
        {"webserver", "tls.handshake.done", RANK_CERTIFICATE},
        {"browser", "staple.verify", RANK_STAPLE},
        {"browser", "staple.none", RANK_STAPLE},
        {"browser", "tls.handshake.done", RANK_HANDSHAKE},
        {"browser", "tls.handshake.failed", RANK_HANDSHAKE},
        {"browser", "ocsp.request.sent", RANK_OCSP_REQUEST},
        {"responder", "ocsp.response.sent", RANK_OCSP_ANSWER},
        {"browser", "ocsp.request.failed", RANK_OCSP_ANSWER},
        {"browser", "ocsp.response.received", RANK_OCSP_CHECKED},
        {"browser", "http.response", RANK_PAGE},
        {"browser", "http.failed", RANK_PAGE},
        {"browser", "browser.verdict", RANK_VERDICT},
    };
    row->rank = RANK_OTHER;
    for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
        if (strcmp(ranks[i].actor, actor) == 0 && strcmp(ranks[i].name, name) == 0)
            row->rank = ranks[i].rank;
    json_t *user = json_object_get(ev, "user");
    if (strcmp(actor, "browser") == 0 && json_is_integer(user) && json_integer_value(user) > 0 &&
        json_integer_value(user) < 1000000000) {
        row->user = (int)json_integer_value(user);
        snprintf(row->addr, sizeof row->addr, "%s", field_str(ev, "addr"));
    } else if (row->rank == RANK_CERTIFICATE && is_lab_user_peer(field_str(ev, "peer"))) {
        snprintf(row->addr, sizeof row->addr, "%s", field_str(ev, "peer"));
    } else if (row->rank == RANK_OCSP_ANSWER &&
               strcmp(field_str(ev, "requester"), "browser") == 0) {
        snprintf(row->addr, sizeof row->addr, "%s", field_str(ev, "client"));
    }
}

/* The messages between parties: who sent what to whom. Returns false when
 * the event is not one of them. */
static bool message_row(json_t *ev, const char *actor, const char *name, struct scn_ladder_row *row)
{
    char serial[32], until[32];
    short_serial(field_str(ev, "serial"), serial, sizeof serial);
    if (strcmp(actor, "browser") == 0 && strcmp(name, "tls.client_hello") == 0) {
        set_arrow(row, SCN_LANE_USERS, SCN_LANE_WEBSERVER);
        snprintf(row->label, sizeof row->label, "ClientHello (%s)",
                 field_true(ev, "status_request") ? "status_request" : "no status_request");
    } else if (strcmp(actor, "webserver") == 0 && strcmp(name, "tls.handshake.done") == 0 &&
               is_lab_user_peer(field_str(ev, "peer"))) {
        set_arrow(row, SCN_LANE_WEBSERVER, SCN_LANE_USERS);
        const char *version = field_str(ev, "version");
        snprintf(row->label, sizeof row->label, "%s%s%s%s",
                 field_true(ev, "stapled") ? "Certificate + staple" : "Certificate, no staple",
                 version[0] != 0 ? " (" : "", version, version[0] != 0 ? ")" : "");
    } else if (strcmp(name, "ocsp.request.sent") == 0 &&
               (strcmp(actor, "browser") == 0 || strcmp(actor, "webserver") == 0)) {
        set_arrow(row, actor_lane(actor), SCN_LANE_RESPONDER);
        snprintf(row->label, sizeof row->label, "OCSP request %s", serial);
    } else if (strcmp(actor, "responder") == 0 && strcmp(name, "ocsp.response.sent") == 0) {
        const char *requester = field_str(ev, "requester");
        set_arrow(row, SCN_LANE_RESPONDER,
                  strcmp(requester, "webserver") == 0 ? SCN_LANE_WEBSERVER : SCN_LANE_USERS);
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

/* An event's name as words a student reads ("staple.fetch.ok" is "staple
 * fetched"); a name the table does not know keeps its words, without dots. */
static void event_words(const char *name, char *out, size_t cap)
{
    static const struct {
        const char *name, *words;
    } phrases[] = {
        {"staple.fetch.ok", "staple fetched"},
        {"staple.refresh.ok", "staple refreshed"},
        {"staple.fetch.failed", "staple fetch FAILED"},
        {"staple.loaded", "saved staple loaded"},
        {"staple.revoked", "CA said REVOKED: stapling stopped"},
        {"staple.expired", "staple EXPIRED: stapling stopped"},
        {"staple.discarded", "staple discarded"},
        {"staple.none", "no staple"},
        {"staple.off", "stapling off"},
        {"staple.file", "staple from a file"},
        {"staple.unavailable", "no staple to send"},
        {"staple.cert.changed", "certificate changed: new staple needed"},
        {"staple.cert.unreadable", "certificate unreadable"},
        {"staple.persist.failed", "staple not saved"},
        {"staple.publish.failed", "staple not published"},
        {"responder.start", "responder started"},
        {"responder.stop", "responder stopped"},
        {"responder.fault", "fault switched"},
        {"responder.control.refused", "fault switch REFUSED"},
        {"responder.connections.dropped", "slow connections dropped"},
        {"webserver.start", "web server started"},
        {"webserver.stop", "web server stopped"},
        {"browser.start", "browsers start"},
        {"browser.summary", "browsers done"},
        {"tls.handshake.failed", "handshake FAILED"},
        {"tls.reconnect", "connects again"},
        {"tls.garbage", "garbage dropped"},
        {"ocsp.request.failed", "OCSP request FAILED"},
        {"ocsp.request.rejected", "OCSP request rejected"},
        {"http.failed", "page did not load"},
    };
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++) {
        if (strcmp(phrases[i].name, name) == 0) {
            snprintf(out, cap, "%s", phrases[i].words);
            return;
        }
    }
    snprintf(out, cap, "%s", name);
    for (char *c = out; *c != 0; c++)
        if (*c == '.' || *c == '_')
            *c = ' ';
}

/* Notes on one party's lane: conclusions and what a party did alone. */
static void note_row(json_t *ev, const char *actor, const char *name, struct scn_ladder_row *row)
{
    char serial[32], until[32];
    const char *reason = field_str(ev, "reason");
    const char *status = field_str(ev, "status");
    short_serial(field_str(ev, "serial"), serial, sizeof serial);
    short_time(field_str(ev, "next_update"), until, sizeof until);
    row->kind = SCN_ROW_NOTE;
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
        snprintf(row->label, sizeof row->label, "REVOKED %s %s (%s)", serial, field_str(ev, "name"),
                 reason);
        row->tone = SCN_TONE_BAD;
    } else if (strncmp(name, "staple.", 7) == 0) {
        /* The staple's life in the web server (DESIGN section 8). */
        char words[64];
        event_words(name, words, sizeof words);
        snprintf(row->label, sizeof row->label, "%s%s%s%s%s", words, status[0] != 0 ? ": " : "",
                 status, until[0] != 0 ? " until " : "", until);
        bool is_bad = strcmp(name, "staple.revoked") == 0 || strcmp(name, "staple.expired") == 0 ||
                      strcmp(name, "staple.fetch.failed") == 0 ||
                      strcmp(name, "staple.discarded") == 0;
        row->tone = is_bad ? SCN_TONE_BAD : SCN_TONE_PLAIN;
    } else if (strcmp(name, "tls.handshake.failed") == 0 ||
               strcmp(name, "ocsp.request.failed") == 0 ||
               strcmp(name, "ocsp.request.rejected") == 0 || strcmp(name, "responder.fault") == 0) {
        char words[64];
        event_words(name, words, sizeof words);
        snprintf(row->label, sizeof row->label, "%s%s%s", words, reason[0] != 0 ? ": " : "",
                 reason);
        row->tone = SCN_TONE_BAD;
    } else if (strcmp(actor, "browser") == 0 && strcmp(name, "tls.handshake.done") == 0) {
        snprintf(row->label, sizeof row->label, "chain ok, handshake done");
    } else if (strcmp(actor, "webserver") == 0 && strcmp(name, "tls.handshake.done") == 0) {
        /* message_row left these to a note: not a lab user (is_lab_user_peer).
         * Short, so that "×N" still fits the terminal's 45 columns of words. */
        if (scn_ladder_is_runner_own(ev))
            snprintf(row->label, sizeof row->label, "TLS with %s (the runner, for /stats)",
                     LAB_RUNNER_ADDR);
        else
            snprintf(row->label, sizeof row->label, "TLS with %s (not a lab user)",
                     field_str(ev, "peer"));
    } else if (strcmp(name, "browser.verdicts.summarized") == 0) {
        json_t *n = json_object_get(ev, "users");
        snprintf(row->label, sizeof row->label, "%lld more verdicts, counted not traced",
                 json_is_integer(n) ? (long long)json_integer_value(n) : 0LL);
    } else if (strcmp(name, "ocsp.responses.summarized") == 0) {
        json_t *n = json_object_get(ev, "requests");
        snprintf(row->label, sizeof row->label, "%lld more answers, counted not traced",
                 json_is_integer(n) ? (long long)json_integer_value(n) : 0LL);
    } else if (strcmp(name, "http.response") == 0) {
        json_t *code = json_object_get(ev, "status");
        snprintf(row->label, sizeof row->label, "HTTP %lld",
                 json_is_integer(code) ? (long long)json_integer_value(code) : 0LL);
    } else {
        event_words(name, row->label, sizeof row->label);
    }
}

void scn_ladder_row_from_event(json_t *ev, struct scn_ladder_row *row)
{
    const char *actor = field_str(ev, "actor");
    const char *name = field_str(ev, "event");
    memset(row, 0, sizeof *row);
    row->count = 1;
    snprintf(row->ts, sizeof row->ts, "%s", field_str(ev, "ts"));
    row->tone = SCN_TONE_PLAIN;
    if (actor_lane(actor) == SCN_LANE_NONE) {
        /* The scenario's narration and steps, and any actor without a lane. */
        row->kind = SCN_ROW_NARRATION;
        row->from = row->to = SCN_LANE_NONE;
        row->tone = strcmp(name, "scenario.say") == 0      ? SCN_TONE_SAY
                    : strcmp(name, "scenario.start") == 0  ? SCN_TONE_TITLE
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
    place_in_visit(ev, actor, name, row);
}

static bool rows_repeat(const struct scn_ladder_row *a, const struct scn_ladder_row *b)
{
    return a->kind == b->kind && a->from == b->from && a->to == b->to && a->tone == b->tone &&
           strcmp(a->label, b->label) == 0;
}

void scn_ladder_rows_init(struct scn_ladder_rows *rows, scn_ladder_emit_fn emit, void *ctx)
{
    memset(rows, 0, sizeof *rows);
    rows->emit = emit;
    rows->ctx = ctx;
}

/* ---- Grouping a step's rows into visits ---------------------------------------------------- */

static bool visits_alike(const struct scn_ladder_visit *a, const struct scn_ladder_visit *b)
{
    if (a->row_count != b->row_count)
        return false;
    for (size_t i = 0; i < a->row_count; i++)
        if (!rows_repeat(&a->rows[i], &b->rows[i]))
            return false;
    return true;
}

/* What is drawn in one piece: a visit (or a group of alike ones) or a row
 * of no visit, at the time it started. */
struct piece {
    const char *ts;
    const struct scn_ladder_visit *visit; /* NULL for a loose row */
    const struct scn_ladder_row *row;
    unsigned long seq; /* ties of time keep the trace's order */
};

static int compare_pieces(const void *a, const void *b)
{
    const struct piece *x = a, *y = b;
    int by_time = strcmp(x->ts, y->ts);
    if (by_time != 0)
        return by_time;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void emit_visit(struct scn_ladder_rows *rows, const struct scn_ladder_visit *v)
{
    for (size_t r = 0; r < v->row_count; r++) {
        struct scn_ladder_row row = v->rows[r];
        row.count = v->count;
        /* Only the visit's start has a time: the server logs its side after
         * the browser, so later rows' own times could go back. */
        snprintf(row.ts, sizeof row.ts, "%s", r == 0 ? v->start : "");
        rows->emit(&row, rows->ctx);
    }
}

static void group_done_visits(struct scn_ladder_rows *rows);

/* Draws the step so far: narration, then finished visits, visits still
 * under way and rows of no visit, in the order they started. */
static void emit_step(struct scn_ladder_rows *rows)
{
    group_done_visits(rows);
    enum { MAX_PIECES = SCN_LADDER_MAX_GROUPS + SCN_LADDER_MAX_OPEN + SCN_LADDER_MAX_LOOSE };
    struct piece pieces[MAX_PIECES];
    size_t n = 0;
    if (rows->has_narration)
        rows->emit(&rows->narration, rows->ctx);
    rows->has_narration = false;
    for (size_t i = 0; i < rows->group_count; i++, n++)
        pieces[n] =
            (struct piece){rows->groups[i].start, &rows->groups[i], NULL, rows->groups[i].seq};
    for (size_t i = 0; i < rows->open_count; i++, n++)
        pieces[n] = (struct piece){rows->open[i].start, &rows->open[i], NULL, rows->open[i].seq};
    for (size_t i = 0; i < rows->loose_count; i++, n++)
        pieces[n] = (struct piece){rows->loose[i].ts, NULL, &rows->loose[i], rows->loose[i].seq};
    qsort(pieces, n, sizeof pieces[0], compare_pieces);
    for (size_t p = 0; p < n; p++) {
        if (pieces[p].visit != NULL)
            emit_visit(rows, pieces[p].visit);
        else
            rows->emit(pieces[p].row, rows->ctx);
    }
    rows->group_count = rows->open_count = rows->loose_count = 0;
}

void scn_ladder_rows_flush(struct scn_ladder_rows *rows)
{
    emit_step(rows);
}

void scn_ladder_rows_free(struct scn_ladder_rows *rows)
{
    free(rows->open);
    free(rows->groups);
    rows->open = rows->groups = NULL;
    rows->open_count = rows->group_count = rows->loose_count = 0;
    rows->has_narration = false;
}

/* Where a row goes in its visit. The browser logs its own steps in order;
 * the others' rows arrive late (the web server logs its side of a TLS 1.3
 * handshake when it ends, after the browser has concluded), so they go
 * where they happened: the server's Certificate right after the ClientHello
 * it answered, the responder's answer right after the question. */
static size_t place_in_story(const struct scn_ladder_visit *v, const struct scn_ladder_row *row)
{
    int after = row->user != 0                  ? -1
                : row->rank == RANK_CERTIFICATE ? RANK_HELLO
                : row->rank == RANK_OCSP_ANSWER ? RANK_OCSP_REQUEST
                                                : -1;
    if (after < 0)
        return v->row_count;
    for (size_t i = v->row_count; i > 0; i--)
        if (v->rows[i - 1].rank == after)
            return i;
    return v->row_count;
}

/* A row of no visit: it joins an identical one of this step, else waits. */
static void add_loose(struct scn_ladder_rows *rows, const struct scn_ladder_row *row)
{
    for (size_t i = 0; i < rows->loose_count; i++) {
        if (rows_repeat(&rows->loose[i], row)) {
            rows->loose[i].count++;
            return;
        }
    }
    if (rows->loose_count == SCN_LADDER_MAX_LOOSE)
        emit_step(rows);
    rows->loose[rows->loose_count++] = *row;
}

/* The visit a row belongs to: for a browser row its user's visit still
 * under way; for the server's or the responder's, the newest visit whose
 * browser spoke from that address (finished ones too: the server logs its
 * side of a handshake late). */
static struct scn_ladder_visit *open_visit_of(struct scn_ladder_rows *rows,
                                              const struct scn_ladder_row *row)
{
    for (size_t i = rows->open_count; i > 0; i--) {
        struct scn_ladder_visit *v = &rows->open[i - 1];
        if (row->user != 0 ? v->user == row->user && !v->is_done
                           : v->addr[0] != 0 && strcmp(v->addr, row->addr) == 0)
            return v;
    }
    return NULL;
}

/* Moves every finished visit into the group of alike ones (or a new group),
 * freeing its slot; when there is no room for a new group, the step so far
 * is drawn first. */
static void group_done_visits(struct scn_ladder_rows *rows)
{
    size_t kept = 0;
    for (size_t i = 0; i < rows->open_count; i++) {
        struct scn_ladder_visit *v = &rows->open[i];
        if (!v->is_done) {
            if (kept != i)
                rows->open[kept] = *v;
            kept++;
            continue;
        }
        bool is_grouped = false;
        for (size_t k = 0; k < rows->group_count && !is_grouped; k++) {
            struct scn_ladder_visit *g = &rows->groups[k];
            if (visits_alike(g, v)) {
                g->count++;
                if (strcmp(v->start, g->start) < 0)
                    snprintf(g->start, sizeof g->start, "%s", v->start);
                if (v->seq < g->seq)
                    g->seq = v->seq;
                is_grouped = true;
            }
        }
        if (is_grouped)
            continue;
        if (rows->group_count == SCN_LADDER_MAX_GROUPS) {
            /* No room for one more kind of visit: keep it open for now; the
             * caller draws the step when the open slots run out too. */
            if (kept != i)
                rows->open[kept] = *v;
            kept++;
            continue;
        }
        rows->groups[rows->group_count] = *v;
        rows->groups[rows->group_count++].count = 1;
    }
    rows->open_count = kept;
}

void scn_ladder_rows_add(struct scn_ladder_rows *rows, const struct scn_ladder_row *given)
{
    struct scn_ladder_row numbered = *given;
    const struct scn_ladder_row *row = &numbered;
    numbered.seq = rows->next_seq++;
    if (row->kind == SCN_ROW_NARRATION) {
        /* A step or a sentence of the story: what came before stays before. */
        bool is_step_empty =
            rows->open_count == 0 && rows->group_count == 0 && rows->loose_count == 0;
        if (rows->has_narration && is_step_empty && rows_repeat(&rows->narration, row)) {
            rows->narration.count++;
            return;
        }
        emit_step(rows);
        rows->narration = *row;
        rows->has_narration = true;
        return;
    }
    if (rows->open == NULL)
        rows->open = calloc(SCN_LADDER_MAX_OPEN, sizeof *rows->open);
    if (rows->groups == NULL)
        rows->groups = calloc(SCN_LADDER_MAX_GROUPS, sizeof *rows->groups);
    if (rows->open == NULL || rows->groups == NULL || (row->user == 0 && row->addr[0] == 0)) {
        add_loose(rows, row); /* nobody's visit (or no memory to group: drawn as it comes) */
        return;
    }
    struct scn_ladder_visit *v = open_visit_of(rows, row);
    if (v == NULL && row->user == 0) {
        add_loose(rows, row); /* a server's row whose browser was not seen */
        return;
    }
    if (v == NULL) {
        if (rows->open_count == SCN_LADDER_MAX_OPEN)
            group_done_visits(rows);
        if (rows->open_count == SCN_LADDER_MAX_OPEN)
            emit_step(rows);
        v = &rows->open[rows->open_count++];
        memset(v, 0, sizeof *v);
        v->user = row->user;
        v->count = 1;
        v->seq = row->seq;
        snprintf(v->start, sizeof v->start, "%.*s", (int)sizeof v->start - 1, row->ts);
    }
    if (v->addr[0] == 0 && row->user != 0 && row->addr[0] != 0)
        snprintf(v->addr, sizeof v->addr, "%.*s", (int)sizeof v->addr - 1, row->addr);
    if (strcmp(row->ts, v->start) < 0)
        snprintf(v->start, sizeof v->start, "%.*s", (int)sizeof v->start - 1, row->ts);
    if (v->row_count == SCN_LADDER_MAX_VISIT_ROWS) {
        add_loose(rows, row); /* a visit of unusual length: the rest on its own */
        return;
    }
    size_t at = place_in_story(v, row);
    memmove(&v->rows[at + 1], &v->rows[at], (v->row_count - at) * sizeof v->rows[0]);
    v->rows[at] = *row;
    v->row_count++;
    if (row->rank == RANK_VERDICT && row->user != 0)
        v->is_done = true;
}
