/* stats.c — what the web server says about itself (DESIGN section 6): the
 * /stats JSON and the sentence on its page, both from its stapler's view. */
#include "stats.h"

#include <stdio.h>

#include "clock.h"
#include "stapler.h"

static void fmt_or_empty(int64_t t, char *out)
{
    if (t == 0)
        out[0] = 0;
    else
        clock_format_rfc3339_seconds(t, out, CLOCK_RFC3339_LEN);
}

void webserver_describe(void *ctx, char *line, size_t cap)
{
    struct stapler *stapler = ctx;
    struct staple_view view;
    char until[CLOCK_RFC3339_LEN];
    stapler_view(stapler, &view);
    fmt_or_empty(view.next_update, until);
    if (view.status == STAPLE_GOOD)
        snprintf(line, cap, "The server's current staple says: good, valid until %s.", until);
    else if (view.status == STAPLE_REVOKED)
        snprintf(line, cap,
                 "The CA says this certificate is REVOKED; the server staples "
                 "nothing.");
    else
        snprintf(line, cap, "The server has no staple right now%s%s.",
                 view.last_problem[0] != 0 ? ": " : "", view.last_problem);
}

json_t *webserver_stats_json(void *ctx, const struct server_stats *stats)
{
    struct stapler *stapler = ctx;
    struct staple_view view;
    char a[CLOCK_RFC3339_LEN], b[CLOCK_RFC3339_LEN], c[CLOCK_RFC3339_LEN];
    stapler_view(stapler, &view);
    fmt_or_empty(view.this_update, a);
    fmt_or_empty(view.next_update, b);
    fmt_or_empty(view.next_refresh, c);
    return json_pack("{s:I, s:I, s:I, s:{s:s, s:s, s:s, s:s, s:s}, s:I, s:I, s:I}", "handshakes",
                     (json_int_t)stats->handshakes, "staples_sent", (json_int_t)stats->staples_sent,
                     "ocsp_fetches", (json_int_t)view.fetches, "staple", "status",
                     staple_status_name(view.status), "this_update", a, "next_update", b,
                     "next_refresh", c, "problem", view.last_problem, "status_requests",
                     (json_int_t)stats->status_requests, "requests", (json_int_t)stats->requests,
                     "dropped", (json_int_t)stats->dropped);
}
