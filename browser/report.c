/* report.c — verdict lines, the summary and the JSON of `browser visit`. */
#include "report.h"

#include <string.h>

#define GREEN "\033[32m"
#define RED "\033[31m"
#define RESET "\033[0m"

void report_summarize(const struct visit_outcome *outcomes, int count, int64_t wall_ms,
                      struct report_summary *s)
{
    memset(s, 0, sizeof *s);
    s->users = count;
    s->wall_ms = wall_ms;
    for (int i = 0; i < count; i++) {
        const struct visit_outcome *o = &outcomes[i];
        if (o->is_accepted)
            s->accepted++;
        else
            s->refused++;
        if (o->did_query)
            s->ocsp_queries++;
        if (o->did_crl && !o->is_crl_from_cache)
            s->crl_downloads++;
        if (o->did_reconnect)
            s->reconnects++;
        if (o->has_staple && o->staple_checker == VISIT_CHECKED_BY_LAB)
            s->staples_by_lab++;
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
            o->tls_version, staple, query, use_color ? (o->is_accepted ? GREEN : RED) : "",
            verdict, use_color ? RESET : "", o->reason, o->did_reconnect ? "*" : " ",
            (long long)o->ms);
}

void report_print_summary(FILE *out, const struct visit_outcome *outcomes, int count,
                          const struct report_summary *s, bool use_color)
{
    fprintf(out,
            "\n%d user%s: %d accepted, %d refused. OCSP queries made by browsers: %d. Staples "
            "checked by the lab's verifier: %d. %lld ms in all.\n",
            s->users, s->users == 1 ? "" : "s", s->accepted, s->refused, s->ocsp_queries,
            s->staples_by_lab, (long long)s->wall_ms);
    if (s->crl_downloads > 0)
        fprintf(out, "CRL downloads made by browsers: %d.\n", s->crl_downloads);
    if (s->reconnects > 0)
        fprintf(out, "* %d user%s reconnected without asking for a staple after wolfSSL ended "
                     "the first handshake over a staple it could not decode.\n",
                s->reconnects, s->reconnects == 1 ? "" : "s");
    /* Distinct verdicts are few (a dozen reasons at most): a small table. */
    struct group {
        int first; /* index of the first outcome with this verdict and reason */
        int count;
    } groups[32];
    size_t group_count = 0;
    for (int i = 0; i < count; i++) {
        const struct visit_outcome *o = &outcomes[i];
        size_t g = 0;
        while (g < group_count && !(outcomes[groups[g].first].is_accepted == o->is_accepted &&
                                    strcmp(outcomes[groups[g].first].reason, o->reason) == 0))
            g++;
        if (g == group_count) {
            if (group_count == sizeof groups / sizeof groups[0])
                continue;
            groups[group_count++] = (struct group){i, 0};
        }
        groups[g].count++;
    }
    fprintf(out, "\nWhy:\n");
    for (size_t g = 0; g < group_count; g++) {
        const struct visit_outcome *o = &outcomes[groups[g].first];
        fprintf(out, "  %s%s%s %s (%d user%s; user %d): %s\n",
                use_color ? (o->is_accepted ? GREEN : RED) : "",
                o->is_accepted ? "accept" : "refuse", use_color ? RESET : "", o->reason,
                groups[g].count, groups[g].count == 1 ? "" : "s", o->user, o->explanation);
    }
}

json_t *report_outcome_json(const struct visit_outcome *o)
{
    json_t *user = json_pack("{s:i, s:s, s:s, s:{s:b, s:b, s:s, s:s}, s:{s:b, s:s}, s:b, s:s, s:s, s:s, "
                     "s:i, s:I}",
                     "user", o->user, "addr", o->addr, "tls", o->tls_version, "staple", "asked",
                     o->asked_staple, "present", o->has_staple, "status", o->staple_status,
                     "checked_by", visit_checker_name(o->staple_checker), "direct_ocsp",
                     "queried", o->did_query, "status", o->query_status, "reconnected",
                     o->did_reconnect, "verdict", o->is_accepted ? "accept" : "refuse", "reason",
                     o->reason, "explanation", o->explanation, "http_status", o->http_status, "ms",
                     (json_int_t)o->ms);
    if (user != NULL)
        json_object_set_new(user, "crl",
                            json_pack("{s:b, s:s, s:b}", "checked", o->did_crl, "status",
                                      o->crl_status, "from_cache", o->is_crl_from_cache));
    if (user != NULL)
        json_object_set_new(user, "revlist", json_boolean(o->did_revlist));
    return user;
}

json_t *report_json(const struct report_settings *settings, const struct visit_outcome *outcomes,
                    int count, const struct report_summary *s)
{
    json_t *users = json_array();
    for (int i = 0; i < count && users != NULL; i++)
        json_array_append_new(users, report_outcome_json(&outcomes[i]));
    return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:i}, s:o, s:{s:i, s:i, s:i, s:i, s:i, s:i, "
                     "s:i, s:I}}",
                     "url", settings->url, "settings", "staple", settings->staple, "fallback",
                     settings->fallback, "policy", settings->policy, "tls", settings->tls,
                     "concurrency", settings->concurrency, "users", users, "summary", "users",
                     s->users, "accepted", s->accepted, "refused", s->refused, "ocsp_queries",
                     s->ocsp_queries, "crl_downloads", s->crl_downloads,
                     "staples_checked_by_lab", s->staples_by_lab, "reconnects",
                     s->reconnects, "wall_ms", (json_int_t)s->wall_ms);
}
