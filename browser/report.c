/* report.c — verdict lines, the summary and the JSON of `browser visit`. */
#include "report.h"

#include <string.h>

#define GREEN "\033[32m"
#define RED "\033[31m"
#define RESET "\033[0m"

void report_acc_init(struct report_acc *acc, bool wants_json)
{
    memset(acc, 0, sizeof *acc);
    acc->listed = wants_json ? json_array() : NULL;
}

void report_acc_free(struct report_acc *acc)
{
    json_decref(acc->listed);
    acc->listed = NULL;
}

static void note_group(struct report_acc *acc, const struct visit_outcome *o)
{
    for (size_t g = 0; g < acc->group_count; g++) {
        struct report_group *group = &acc->groups[g];
        if (group->is_accepted == o->is_accepted && strcmp(group->reason, o->reason) == 0) {
            group->count++;
            return;
        }
    }
    if (acc->group_count == REPORT_MAX_GROUPS) {
        acc->ungrouped++;
        return;
    }
    struct report_group *group = &acc->groups[acc->group_count++];
    group->is_accepted = o->is_accepted;
    snprintf(group->reason, sizeof group->reason, "%s", o->reason);
    group->count = 1;
    group->first_user = o->user;
    snprintf(group->explanation, sizeof group->explanation, "%s", o->explanation);
}

void report_acc_add(struct report_acc *acc, const struct visit_outcome *o)
{
    report_summary_add(&acc->summary, o);
    note_group(acc, o);
    if (acc->listed != NULL && json_array_size(acc->listed) < REPORT_MAX_LISTED)
        json_array_append_new(acc->listed, report_outcome_json(o));
}

void report_summary_add(struct report_summary *s, const struct visit_outcome *o)
{
    s->users++;
    if (o->is_accepted)
        s->accepted++;
    else
        s->refused++;
    if (o->has_staple)
        s->stapled++;
    if (o->did_query)
        s->ocsp_queries++;
    if (o->did_crl && !o->is_crl_from_cache)
        s->crl_downloads++;
    if (o->did_reconnect)
        s->reconnects++;
    if (o->has_staple && o->staple_checker == VISIT_CHECKED_BY_LAB)
        s->staples_by_lab++;
    s->ms_total += o->ms;
    if (o->ms > s->ms_worst)
        s->ms_worst = o->ms;
    if (o->was_alone) {
        s->alone_users++;
        s->alone_ms += o->ms;
    } else {
        s->crowd_users++;
        s->crowd_ms += o->ms;
    }
}

/* "yes: good (lab)", "no", "not asked". */
static void staple_column(const struct visit_outcome *o, char *out, size_t cap)
{
    if (!o->asked_staple)
        snprintf(out, cap, "not asked");
    else if (!o->has_staple)
        snprintf(out, cap, "no");
    else
        snprintf(out, cap, "yes: %s (%s)", o->staple_status, visit_checker_name(o->staple_checker));
}

/* "yes: good" for a direct query; "crl: good" or "crl cache: revoked"
 * for a CRL check; "no". */
static void query_column(const struct visit_outcome *o, char *out, size_t cap)
{
    if (o->did_revlist)
        snprintf(out, cap, "revlist: %s", o->is_accepted ? "not listed" : "listed");
    else if (o->did_crl || o->crl_status[0] != 0)
        snprintf(out, cap, "crl%s: %s", o->is_crl_from_cache ? " cache" : "", o->crl_status);
    else if (!o->did_query)
        snprintf(out, cap, "no");
    else
        snprintf(out, cap, "yes: %s", o->query_status);
}

void report_print_header(FILE *out)
{
    fprintf(out, "%5s  %-15s  %-3s  %-24s  %-19s  %-7s  %-16s  %6s\n", "USER", "ADDRESS", "TLS",
            "STAPLE (CHECKED BY)", "DIRECT OCSP QUERY", "VERDICT", "REASON", "MS");
}

void report_print_line(FILE *out, const struct visit_outcome *o, bool use_color)
{
    char staple[64], query[48];
    staple_column(o, staple, sizeof staple);
    query_column(o, query, sizeof query);
    const char *verdict = o->is_accepted ? "accept" : "refuse";
    fprintf(out, "%5d  %-15s  %-3s  %-24s  %-19s  %s%-7s%s  %-16s%s  %6lld\n", o->user, o->addr,
            o->tls_version, staple, query, use_color ? (o->is_accepted ? GREEN : RED) : "", verdict,
            use_color ? RESET : "", o->reason, o->did_reconnect ? "*" : " ", (long long)o->ms);
}

void report_print_summary(FILE *out, const struct report_acc *acc, bool use_color)
{
    const struct report_summary *s = &acc->summary;
    fprintf(out,
            "\n%d user%s: %d accepted, %d refused. OCSP queries made by browsers: %d. Staples "
            "checked by the lab's verifier: %d. %lld ms in all.\n",
            s->users, s->users == 1 ? "" : "s", s->accepted, s->refused, s->ocsp_queries,
            s->staples_by_lab, (long long)s->wall_ms);
    if (s->crl_downloads > 0)
        fprintf(out, "CRL downloads made by browsers: %d.\n", s->crl_downloads);
    if (s->reconnects > 0)
        fprintf(out,
                "* %d user%s reconnected without asking for a staple after wolfSSL ended "
                "the first handshake over a staple it could not decode.\n",
                s->reconnects, s->reconnects == 1 ? "" : "s");
    if (s->alone_users > 0 && s->crowd_users > 0)
        fprintf(out,
                "A visit took %.1f ms on average one at a time (the first %d user%s) and "
                "%.1f ms in the crowd (the other %d): the difference is waiting behind "
                "other users.\n",
                (double)s->alone_ms / s->alone_users, s->alone_users,
                s->alone_users == 1 ? "" : "s", (double)s->crowd_ms / s->crowd_users,
                s->crowd_users);
    fprintf(out, "\nWhy:\n");
    for (size_t g = 0; g < acc->group_count; g++) {
        const struct report_group *group = &acc->groups[g];
        fprintf(out, "  %s%s%s %s (%d user%s; user %d): %s\n",
                use_color ? (group->is_accepted ? GREEN : RED) : "",
                group->is_accepted ? "accept" : "refuse", use_color ? RESET : "", group->reason,
                group->count, group->count == 1 ? "" : "s", group->first_user, group->explanation);
    }
    if (acc->ungrouped > 0)
        fprintf(out, "  (%d more users with other reasons)\n", acc->ungrouped);
}

json_t *report_outcome_json(const struct visit_outcome *o)
{
    json_t *user = json_pack(
        "{s:i, s:s, s:s, s:{s:b, s:b, s:s, s:s}, s:{s:b, s:s}, s:b, s:s, s:s, "
        "s:s, s:i, s:I, s:b}",
        "user", o->user, "addr", o->addr, "tls", o->tls_version, "staple", "asked", o->asked_staple,
        "present", o->has_staple, "status", o->staple_status, "checked_by",
        visit_checker_name(o->staple_checker), "direct_ocsp", "queried", o->did_query, "status",
        o->query_status, "reconnected", o->did_reconnect, "verdict",
        o->is_accepted ? "accept" : "refuse", "reason", o->reason, "explanation", o->explanation,
        "http_status", o->http_status, "ms", (json_int_t)o->ms, "alone", o->was_alone);
    if (user != NULL)
        json_object_set_new(user, "crl",
                            json_pack("{s:b, s:s, s:b}", "checked", o->did_crl, "status",
                                      o->crl_status, "from_cache", o->is_crl_from_cache));
    if (user != NULL)
        json_object_set_new(user, "revlist", json_boolean(o->did_revlist));
    return user;
}

json_t *report_json(const struct report_settings *settings, struct report_acc *acc)
{
    const struct report_summary *s = &acc->summary;
    json_t *groups = json_array();
    for (size_t g = 0; g < acc->group_count && groups != NULL; g++) {
        const struct report_group *group = &acc->groups[g];
        json_array_append_new(groups,
                              json_pack("{s:s, s:s, s:i, s:i, s:s}", "verdict",
                                        group->is_accepted ? "accept" : "refuse", "reason",
                                        group->reason, "count", group->count, "first_user",
                                        group->first_user, "explanation", group->explanation));
    }
    json_t *users = acc->listed != NULL ? acc->listed : json_array();
    acc->listed = NULL; /* the report owns them now */
    return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:i}, s:o, s:I, s:o, s:i, s:{s:i, s:i, s:i, "
                     "s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:i, s:I, s:i, s:I}}",
                     "url", settings->url, "settings", "staple", settings->staple, "fallback",
                     settings->fallback, "policy", settings->policy, "tls", settings->tls,
                     "concurrency", settings->concurrency, "users", users, "users_listed",
                     (json_int_t)json_array_size(users), "groups", groups, "ungrouped",
                     acc->ungrouped, "summary", "users", s->users, "accepted", s->accepted,
                     "refused", s->refused, "stapled", s->stapled, "ocsp_queries", s->ocsp_queries,
                     "crl_downloads", s->crl_downloads, "staples_checked_by_lab", s->staples_by_lab,
                     "reconnects", s->reconnects, "wall_ms", (json_int_t)s->wall_ms, "ms_total",
                     (json_int_t)s->ms_total, "ms_worst", (json_int_t)s->ms_worst, "alone_users",
                     s->alone_users, "alone_ms", (json_int_t)s->alone_ms, "crowd_users",
                     s->crowd_users, "crowd_ms", (json_int_t)s->crowd_ms);
}
