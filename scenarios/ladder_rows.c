/* ladder_rows.c — which party sent what to whom, for each event of the
 * trace's vocabulary, and the "×N" collapse of repeated rows. */
#include "ladder_rows.h"

#include <stdio.h>
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
static bool is_lab_user_peer(const char *peer)
{
    return strncmp(peer, "127.0.0.", 8) != 0;
}

/* The messages between parties: who sent what to whom. Returns false when
 * the event is not one of them. */
static bool message_row(json_t *ev, const char *actor, const char *name,
                        struct scn_ladder_row *row)
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
    } else if (strcmp(actor, "webserver") == 0 && strcmp(name, "tls.handshake.done") == 0) {
        /* message_row left these to a note: not a lab user (is_lab_user_peer).
         * Short, so that "×N" still fits the terminal's 45 columns of words. */
        snprintf(row->label, sizeof row->label, "TLS with %s (not a lab user)",
                 field_str(ev, "peer"));
    } else if (strcmp(name, "ocsp.responses.summarized") == 0) {
        json_t *n = json_object_get(ev, "requests");
        snprintf(row->label, sizeof row->label, "%lld more answers, counted not traced",
                 json_is_integer(n) ? (long long)json_integer_value(n) : 0LL);
    } else if (strcmp(name, "http.response") == 0) {
        json_t *code = json_object_get(ev, "status");
        snprintf(row->label, sizeof row->label, "HTTP %lld",
                 json_is_integer(code) ? (long long)json_integer_value(code) : 0LL);
    } else {
        snprintf(row->label, sizeof row->label, "%s", name);
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

void scn_ladder_rows_flush(struct scn_ladder_rows *rows)
{
    for (size_t i = 0; i < rows->held_count; i++)
        rows->emit(&rows->held[i], rows->ctx);
    rows->held_count = 0;
}

static bool is_arrow(const struct scn_ladder_row *row, enum scn_lane from, enum scn_lane to)
{
    return row->kind == SCN_ROW_ARROW && row->from == from && row->to == to;
}

/* Where a new held row goes. The web server logs its side of a handshake
 * when its side ends, which in TLS 1.3 is after the client has already
 * concluded ("chain ok", the staple check, its OCSP request), so in the
 * trace the server's Certificate arrow comes after rows it caused. It is
 * drawn where it happened on the wire: right after the ClientHello it
 * answered (the last one held), with everything the client did after. */
static size_t held_position(const struct scn_ladder_rows *rows, const struct scn_ladder_row *row)
{
    if (!is_arrow(row, SCN_LANE_WEBSERVER, SCN_LANE_USERS))
        return rows->held_count;
    for (size_t i = rows->held_count; i > 0; i--)
        if (is_arrow(&rows->held[i - 1], SCN_LANE_USERS, SCN_LANE_WEBSERVER))
            return i;
    return rows->held_count;
}

void scn_ladder_rows_add(struct scn_ladder_rows *rows, const struct scn_ladder_row *row)
{
    if (row->kind == SCN_ROW_NARRATION) {
        /* A step or a sentence of the story: what came before stays before. */
        bool is_repeat = rows->held_count == 1 && rows_repeat(&rows->held[0], row);
        if (is_repeat) {
            rows->held[0].count++;
            return;
        }
        scn_ladder_rows_flush(rows);
    } else {
        for (size_t i = 0; i < rows->held_count; i++) {
            if (rows->held[i].kind != SCN_ROW_NARRATION && rows_repeat(&rows->held[i], row)) {
                rows->held[i].count++;
                return;
            }
        }
        if (rows->held_count == SCN_LADDER_WINDOW ||
            (rows->held_count > 0 && rows->held[0].kind == SCN_ROW_NARRATION))
            scn_ladder_rows_flush(rows);
    }
    size_t at = held_position(rows, row);
    memmove(&rows->held[at + 1], &rows->held[at], (rows->held_count - at) * sizeof rows->held[0]);
    rows->held[at] = *row;
    rows->held_count++;
}
