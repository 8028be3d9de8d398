/* expect.c — turning counters, verdicts and the trace into the numbers an
 * expectation compares, and saying both sides in words a class reads. */
#include "expect.h"

#include "clock.h"

#include <stdio.h>
#include <string.h>

#include "tracelog.h"

/* ---- A visit's report ----------------------------------------------------------------------- */

static const char *string_at(const json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    return value != NULL ? value : "";
}

static bool bool_at(const json_t *object, const char *outer, const char *key)
{
    const json_t *inner = outer != NULL ? json_object_get(object, outer) : object;
    return json_is_true(json_object_get(inner, key));
}

/* Adds `count` users with this verdict and reason. */
static void note_group(struct scn_visit *v, bool is_accepted, const char *reason, int user,
                       const char *explanation, int count)
{
    for (size_t g = 0; g < v->group_count; g++) {
        struct scn_visit_group *group = &v->groups[g];
        if (group->is_accepted == is_accepted && strcmp(group->reason, reason) == 0) {
            group->count += count;
            return;
        }
    }
    if (v->group_count == SCN_MAX_GROUPS) {
        v->ungrouped += count;
        return;
    }
    struct scn_visit_group *group = &v->groups[v->group_count++];
    group->is_accepted = is_accepted;
    snprintf(group->reason, sizeof group->reason, "%s", reason);
    group->count = count;
    group->first_user = user;
    snprintf(group->explanation, sizeof group->explanation, "%s", explanation);
}

static int count_at(const json_t *object, const char *key)
{
    json_int_t n = json_integer_value(json_object_get(object, key));
    return n < 0 ? 0 : n > INT32_MAX ? INT32_MAX : (int)n;
}

static int visit_from_summary(const json_t *summary, const json_t *groups, const json_t *report,
                              struct scn_visit *out, struct errbuf *err)
{
    out->users = count_at(summary, "users");
    out->accepted = count_at(summary, "accepted");
    out->refused = count_at(summary, "refused");
    out->stapled = count_at(summary, "stapled");
    out->asked = count_at(summary, "ocsp_queries");
    out->ms_total = json_integer_value(json_object_get(summary, "ms_total"));
    out->ms_worst = json_integer_value(json_object_get(summary, "ms_worst"));
    out->alone = count_at(summary, "alone_users");
    out->alone_ms_total = json_integer_value(json_object_get(summary, "alone_ms"));
    out->ungrouped = count_at(report, "ungrouped");
    for (size_t i = 0; i < json_array_size(groups); i++) {
        const json_t *g = json_array_get(groups, i);
        if (!json_is_object(g)) {
            errbuf_set(err, "the browser's report has a group that is not an object");
            return -1;
        }
        note_group(out, strcmp(string_at(g, "verdict"), "accept") == 0, string_at(g, "reason"),
                   count_at(g, "first_user"), string_at(g, "explanation"), count_at(g, "count"));
    }
    return 0;
}

int scn_visit_from_json(const json_t *report, struct scn_visit *out, struct errbuf *err)
{
    memset(out, 0, sizeof *out);
    /* A browser that sums its verdicts (summary and groups) is read from
     * them: a 100,000-user visit lists only its first users. */
    const json_t *summary = json_object_get(report, "summary");
    const json_t *groups = json_object_get(report, "groups");
    if (json_is_object(summary) && json_is_array(groups))
        return visit_from_summary(summary, groups, report, out, err);
    const json_t *users = json_object_get(report, "users");
    if (!json_is_array(users)) {
        errbuf_set(err, "the browser's report has no list of users");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(users); i++) {
        const json_t *u = json_array_get(users, i);
        if (!json_is_object(u)) {
            errbuf_set(err, "the browser's report has a user that is not an object");
            return -1;
        }
        bool is_accepted = strcmp(string_at(u, "verdict"), "accept") == 0;
        json_int_t ms = json_integer_value(json_object_get(u, "ms"));
        out->users++;
        if (is_accepted)
            out->accepted++;
        else
            out->refused++;
        if (bool_at(u, "staple", "present"))
            out->stapled++;
        if (bool_at(u, "direct_ocsp", "queried"))
            out->asked++;
        if (ms > 0) {
            out->ms_total += ms;
            if (ms > out->ms_worst)
                out->ms_worst = ms;
        }
        if (bool_at(u, NULL, "alone")) {
            out->alone++;
            out->alone_ms_total += ms > 0 ? ms : 0;
        }
        note_group(out, is_accepted, string_at(u, "reason"),
                   (int)json_integer_value(json_object_get(u, "user")), string_at(u, "explanation"),
                   1);
    }
    return 0;
}

void scn_visit_note_in_row(const struct scn_visit *visit, struct scn_table_row *row)
{
    if (row == NULL)
        return;
    row->users += visit->users;
    row->stapled += visit->stapled;
    row->asked += visit->asked;
    row->ms_total += visit->ms_total;
    if (visit->ms_worst > row->ms_worst)
        row->ms_worst = visit->ms_worst;
    row->alone += visit->alone;
    row->alone_ms_total += visit->alone_ms_total;
}

int64_t scn_visit_count(const struct scn_visit *v, enum scn_users_filter filter, const char *reason)
{
    if (reason == NULL || reason[0] == 0)
        return filter == SCN_USERS_ACCEPTED  ? v->accepted
               : filter == SCN_USERS_REFUSED ? v->refused
                                             : v->users;
    int64_t n = 0;
    for (size_t g = 0; g < v->group_count; g++) {
        const struct scn_visit_group *group = &v->groups[g];
        if (strcmp(group->reason, reason) != 0)
            continue;
        if ((filter == SCN_USERS_ACCEPTED && !group->is_accepted) ||
            (filter == SCN_USERS_REFUSED && group->is_accepted))
            continue;
        n += group->count;
    }
    return n;
}

/* ---- Observing a subject -------------------------------------------------------------------- */

static int64_t integer_at(const json_t *stats, const char *outer, const char *key)
{
    const json_t *inner = outer != NULL ? json_object_get(stats, outer) : stats;
    json_t *value = json_object_get(inner, key);
    return json_is_integer(value) ? (int64_t)json_integer_value(value) : 0;
}

/* by_client keys are addresses, plus "other" once the responder stops
 * remembering new ones; only addresses count as distinct clients. */
static int64_t distinct_clients(const json_t *stats)
{
    const json_t *by_client = json_object_get(stats, "by_client");
    const char *key;
    json_t *value;
    int64_t n = 0;
    json_object_foreach((json_t *)by_client, key, value)
    {
        (void)value;
        if (key[0] >= '0' && key[0] <= '9')
            n++;
    }
    return n;
}

static bool is_requester(const char *text)
{
    return strcmp(text, "browser") == 0 || strcmp(text, "webserver") == 0 ||
           strcmp(text, "other") == 0;
}

static int observe_program(const struct scn_condition *c, const struct scn_facts *f,
                           struct scn_seen *seen, struct errbuf *err)
{
    const json_t *s = f->stats;
    if (s == NULL) {
        errbuf_set(err, "the counters of %s are not available", c->target);
        return -1;
    }
    switch (c->subject) {
    case SCN_SUBJ_REQUESTS:
        if (c->detail[0] == 0)
            seen->number = integer_at(s, NULL, "requests");
        else if (is_requester(c->detail))
            seen->number = integer_at(s, "by_requester", c->detail);
        else
            seen->number = integer_at(s, "by_client", c->detail);
        return 0;
    case SCN_SUBJ_CLIENTS:
        seen->number = distinct_clients(s);
        return 0;
    case SCN_SUBJ_CRL:
        seen->number =
            integer_at(s, "crl", strcmp(c->detail, "size") == 0 ? "last_bytes" : c->detail);
        return 0;
    case SCN_SUBJ_ANSWERS:
        seen->number = integer_at(s, "responses", c->detail);
        return 0;
    case SCN_SUBJ_HANDSHAKES:
        seen->number = integer_at(s, NULL, "handshakes") - f->own_handshakes;
        if (seen->number < 0)
            seen->number = 0;
        return 0;
    case SCN_SUBJ_STAPLES_SENT:
        seen->number = integer_at(s, NULL, "staples_sent");
        return 0;
    case SCN_SUBJ_FETCHES:
        seen->number = integer_at(s, NULL, "ocsp_fetches");
        return 0;
    case SCN_SUBJ_STAPLE: {
        const char *status =
            json_string_value(json_object_get(json_object_get(s, "staple"), "status"));
        seen->is_text = true;
        snprintf(seen->text, sizeof seen->text, "%s", status != NULL ? status : "none");
        return 0;
    }
    case SCN_SUBJ_CACHE: {
        /* "hits" or "hits GET": the counts of every request or one method's
         * (scn_cache_counts_json). */
        char kind[16] = "", method[16] = "";
        sscanf(c->detail, "%15s %15s", kind, method);
        seen->number = integer_at(s, method[0] != 0 ? method : NULL, kind);
        return 0;
    }
    default:
        errbuf_set(err, "not a program's counter");
        return -1;
    }
}

int scn_expect_observe(const struct scn_condition *c, const struct scn_facts *f,
                       struct scn_seen *seen, struct errbuf *err)
{
    memset(seen, 0, sizeof *seen);
    seen->is_known = true;
    switch (c->subject) {
    case SCN_SUBJ_USERS:
    case SCN_SUBJ_USERS_STAPLED:
    case SCN_SUBJ_USERS_ASKED:
        if (f->visit == NULL) {
            errbuf_set(err, "no visit has run yet");
            return -1;
        }
        seen->number = c->subject == SCN_SUBJ_USERS_STAPLED ? f->visit->stapled
                       : c->subject == SCN_SUBJ_USERS_ASKED
                           ? f->visit->asked
                           : scn_visit_count(f->visit, c->users, c->detail);
        return 0;
    case SCN_SUBJ_TRACE:
        return scn_tracelog_count(f->lab, c->detail, c->filters, c->filter_count, &seen->number,
                                  err);
    case SCN_SUBJ_WINDOW:
        seen->is_known = f->has_window;
        seen->number = f->window_seconds;
        return 0;
    case SCN_SUBJ_VERDICT:
        seen->is_text = true;
        seen->is_known = f->verdict != NULL;
        snprintf(seen->text, sizeof seen->text, "%s", f->verdict != NULL ? f->verdict : "");
        return 0;
    default:
        return observe_program(c, f, seen, err);
    }
}

bool scn_expect_holds(const struct scn_condition *c, const struct scn_seen *seen)
{
    if (!seen->is_known)
        return false;
    if (c->is_text) {
        bool is_equal = strcmp(seen->text, c->text) == 0;
        return c->op == SCN_OP_EQ ? is_equal : !is_equal;
    }
    return scn_op_holds(c->op, seen->number, c->number);
}

/* ---- Words ---------------------------------------------------------------------------------- */

void scn_expect_subject_text(const struct scn_condition *c, char *out, size_t cap)
{
    static const char *const users_words[] = {"users", "users accepted", "users refused"};
    switch (c->subject) {
    case SCN_SUBJ_REQUESTS:
        snprintf(out, cap, "%s requests%s%s", c->target, c->detail[0] != 0 ? " from " : "",
                 c->detail);
        return;
    case SCN_SUBJ_CLIENTS:
        snprintf(out, cap, "%s clients", c->target);
        return;
    case SCN_SUBJ_CRL:
        snprintf(out, cap, "%s crl %s", c->target, c->detail);
        return;
    case SCN_SUBJ_ANSWERS:
        snprintf(out, cap, "%s answers %s", c->target, c->detail);
        return;
    case SCN_SUBJ_HANDSHAKES:
        snprintf(out, cap, "%s handshakes", c->target);
        return;
    case SCN_SUBJ_STAPLES_SENT:
        snprintf(out, cap, "%s staples sent", c->target);
        return;
    case SCN_SUBJ_FETCHES:
        snprintf(out, cap, "%s fetches", c->target);
        return;
    case SCN_SUBJ_STAPLE:
        snprintf(out, cap, "%s staple", c->target);
        return;
    case SCN_SUBJ_CACHE:
        snprintf(out, cap, "%s %s", c->target, c->detail);
        return;
    case SCN_SUBJ_USERS:
        snprintf(out, cap, "%s%s%s", users_words[c->users], c->detail[0] != 0 ? " because " : "",
                 c->detail);
        return;
    case SCN_SUBJ_USERS_STAPLED:
        snprintf(out, cap, "users stapled");
        return;
    case SCN_SUBJ_USERS_ASKED:
        snprintf(out, cap, "users asked");
        return;
    case SCN_SUBJ_TRACE: {
        size_t n = (size_t)snprintf(out, cap, "trace %s", c->detail);
        for (size_t i = 0; i < c->filter_count && n < cap; i++)
            n += (size_t)snprintf(out + n, cap - n, " %s=%s", c->filters[i].field,
                                  c->filters[i].value);
        return;
    }
    case SCN_SUBJ_WINDOW:
        snprintf(out, cap, "window");
        return;
    case SCN_SUBJ_VERDICT:
        snprintf(out, cap, "verdict");
        return;
    }
    snprintf(out, cap, "?");
}

void scn_expect_wanted_text(const struct scn_condition *c, char *out, size_t cap)
{
    char value[64];
    if (c->subject == SCN_SUBJ_TRACE && c->op == SCN_OP_GE && c->number == 1) {
        snprintf(out, cap, "seen");
        return;
    }
    if (c->subject == SCN_SUBJ_TRACE && c->op == SCN_OP_EQ && c->number == 0) {
        snprintf(out, cap, "not seen");
        return;
    }
    if (c->is_text)
        snprintf(value, sizeof value, "%s", c->text);
    else if (c->subject == SCN_SUBJ_WINDOW)
        clock_format_duration(c->number, value, sizeof value);
    else
        snprintf(value, sizeof value, "%lld", (long long)c->number);
    snprintf(out, cap, "%s %s", scn_op_text(c->op), value);
}

void scn_expect_seen_text(const struct scn_condition *c, const struct scn_seen *seen, char *out,
                          size_t cap)
{
    char duration[64];
    if (!seen->is_known) {
        snprintf(out, cap, "%s",
                 c->subject == SCN_SUBJ_WINDOW ? "never (the watch ended before its condition held)"
                                               : "nothing (no check ran)");
        return;
    }
    if (seen->is_text) {
        snprintf(out, cap, "%s", seen->text[0] != 0 ? seen->text : "(none)");
        return;
    }
    if (c->subject == SCN_SUBJ_WINDOW) {
        clock_format_duration(seen->number, duration, sizeof duration);
        snprintf(out, cap, "%s (%lld simulated minutes)", duration, (long long)(seen->number / 60));
        return;
    }
    snprintf(out, cap, "%lld", (long long)seen->number);
}
