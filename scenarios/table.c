/* table.c — the comparison table, aligned for a projector. */
#include "table.h"

#include <string.h>

#define BOLD "\033[1m"
#define RESET "\033[0m"

struct scn_table_row *scn_table_add(struct scn_table *t, const char *label)
{
    if (t->count == SCN_MAX_ROWS)
        return NULL;
    struct scn_table_row *row = &t->rows[t->count++];
    memset(row, 0, sizeof *row);
    snprintf(row->label, sizeof row->label, "%s", label);
    return row;
}

void scn_table_note_visit(struct scn_table_row *row, const struct scn_visit *visit)
{
    if (row == NULL)
        return;
    row->users += visit->users;
    row->stapled += visit->stapled;
    row->asked += visit->asked;
    row->ms_total += visit->ms_total;
    if (visit->ms_worst > row->ms_worst)
        row->ms_worst = visit->ms_worst;
}

/* 15940 -> "15,940": numbers a class reads from the back of the room. */
static void grouped(int64_t value, char *out, size_t cap)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)(value < 0 ? -value : value));
    size_t n = 0;
    if (value < 0 && n + 1 < cap)
        out[n++] = '-';
    for (int i = 0; i < len && n + 1 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0 && n + 1 < cap)
            out[n++] = ',';
        if (n + 1 < cap)
            out[n++] = digits[i];
    }
    out[n] = 0;
}

void scn_table_print(FILE *out, const struct scn_table *t, bool use_color)
{
    const char *b = use_color ? BOLD : "", *r = use_color ? RESET : "";
    size_t label_width = 8;
    for (size_t i = 0; i < t->count; i++) {
        size_t len = strlen(t->rows[i].label);
        if (len > label_width)
            label_width = len;
    }
    int w = (int)label_width;
    fprintf(out, "%s  %-*s  %6s  %7s  %7s  | %9s  %9s  %9s  | %8s  %8s%s\n", b, w, "", "users",
            "stapled", "asked", "OCSP req.", "bytes", "addresses", "mean", "worst", r);
    fprintf(out, "%s  %-*s  %6s  %7s  %7s  | %9s  %9s  %9s  | %8s  %8s%s\n", b, w, "scenario",
            "", "", "the CA", "at the CA", "from CA", "CA saw", "visit ms", "visit ms", r);
    for (size_t i = 0; i < t->count; i++) {
        const struct scn_table_row *row = &t->rows[i];
        if (row->users == 0 && row->ca.requests == 0)
            continue; /* a playlist's own row, or a lesson without visits */
        char users[24], stapled[24], asked[24], req[24], bytes[24], addrs[24], mean[24],
            worst[24];
        grouped(row->users, users, sizeof users);
        grouped(row->stapled, stapled, sizeof stapled);
        grouped(row->asked, asked, sizeof asked);
        grouped(row->ca.requests, req, sizeof req);
        grouped(row->ca.bytes, bytes, sizeof bytes);
        grouped(row->ca.addresses, addrs, sizeof addrs);
        if (row->users > 0) {
            snprintf(mean, sizeof mean, "%.1f", (double)row->ms_total / (double)row->users);
            grouped(row->ms_worst, worst, sizeof worst);
        } else {
            snprintf(mean, sizeof mean, "-");
            snprintf(worst, sizeof worst, "-");
        }
        fprintf(out, "  %-*s  %6s  %7s  %7s  | %9s  %9s  %9s  | %8s  %8s\n", w, row->label, users,
                stapled, asked, req, bytes, addrs, mean, worst);
    }
}
