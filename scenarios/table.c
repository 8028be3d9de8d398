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
    /* Printed as is (no negation, which INT64_MIN would overflow), then a
     * comma before each group of three digits. */
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)value);
    int first = digits[0] == '-';
    size_t n = 0;
    for (int i = 0; i < len && n + 1 < cap; i++) {
        if (i > first && (len - i) % 3 == 0 && n + 1 < cap)
            out[n++] = ',';
        if (n + 1 < cap)
            out[n++] = digits[i];
    }
    out[n] = 0;
}

void scn_table_cells(const struct scn_table_row *row, struct scn_table_cells *out)
{
    grouped(row->users, out->text[0], sizeof out->text[0]);
    grouped(row->stapled, out->text[1], sizeof out->text[1]);
    grouped(row->asked, out->text[2], sizeof out->text[2]);
    grouped(row->ca.requests, out->text[3], sizeof out->text[3]);
    grouped(row->ca.bytes, out->text[4], sizeof out->text[4]);
    grouped(row->ca.addresses, out->text[5], sizeof out->text[5]);
    if (row->users > 0) {
        snprintf(out->text[6], sizeof out->text[6], "%.1f",
                 (double)row->ms_total / (double)row->users);
        grouped(row->ms_worst, out->text[7], sizeof out->text[7]);
    } else {
        snprintf(out->text[6], sizeof out->text[6], "-");
        snprintf(out->text[7], sizeof out->text[7], "-");
    }
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
        struct scn_table_cells c;
        scn_table_cells(row, &c);
        fprintf(out, "  %-*s  %6s  %7s  %7s  | %9s  %9s  %9s  | %8s  %8s\n", w, row->label,
                c.text[0], c.text[1], c.text[2], c.text[3], c.text[4], c.text[5], c.text[6],
                c.text[7]);
    }
}
