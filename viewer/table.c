/* table.c — the comparison table, aligned for a projector. */
#include "table.h"

#include <string.h>

#include "clock.h"
#include "ui.h"

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

/* Mean visit ms of the users who came one at a time, and of the others;
 * false when the row has none of them. */
static bool alone_mean(const struct scn_table_row *row, double *ms)
{
    if (row->alone <= 0)
        return false;
    *ms = (double)row->alone_ms_total / (double)row->alone;
    return true;
}

static bool crowd_mean(const struct scn_table_row *row, double *ms)
{
    int64_t crowd = row->users - row->alone;
    if (crowd <= 0)
        return false;
    *ms = (double)(row->ms_total - row->alone_ms_total) / (double)crowd;
    return true;
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
    double ms;
    if (alone_mean(row, &ms))
        snprintf(out->text[6], sizeof out->text[6], "%.1f", ms);
    else
        snprintf(out->text[6], sizeof out->text[6], "-");
    if (crowd_mean(row, &ms))
        snprintf(out->text[7], sizeof out->text[7], "%.1f", ms);
    else
        snprintf(out->text[7], sizeof out->text[7], "-");
}

void scn_table_window_cells(const struct scn_table_row *row, char *window, size_t window_cap,
                            char *ca_down, size_t ca_down_cap)
{
    if (row->has_window)
        clock_format_duration(row->window_seconds, window, window_cap);
    else
        snprintf(window, window_cap, "-");
    if (row->ca_down_users > 0)
        snprintf(ca_down, ca_down_cap, "%lld of %lld", (long long)row->ca_down_accepted,
                 (long long)row->ca_down_users);
    else
        snprintf(ca_down, ca_down_cap, "-");
}

bool scn_table_has_window_cells(const struct scn_table *t)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->rows[i].has_window || t->rows[i].ca_down_users > 0)
            return true;
    return false;
}

/* The first row whose users all got a staple (with) or none did and some
 * asked the CA (without), measured one at a time. */
static const struct scn_table_row *first_row(const struct scn_table *t, bool is_stapled)
{
    for (size_t i = 0; i < t->count; i++) {
        const struct scn_table_row *row = &t->rows[i];
        if (row->users <= 0 || row->alone <= 0)
            continue;
        if (is_stapled ? row->stapled == row->users : row->stapled == 0 && row->asked > 0)
            return row;
    }
    return NULL;
}

void scn_table_latency_words(const struct scn_table *t, char *out, size_t cap)
{
    static const char meaning[] =
        "Visit times: 'alone' is the mean of each visit's first users, who came one at a "
        "time; 'in crowd' is the others, several at once.";
    const struct scn_table_row *without = first_row(t, false), *with = first_row(t, true);
    double a_without, a_with, c_without, c_with;
    if (without == NULL || with == NULL || !alone_mean(without, &a_without) ||
        !alone_mean(with, &a_with)) {
        snprintf(out, cap,
                 "%s The difference between the two is time spent waiting behind "
                 "other users, not OCSP.",
                 meaning);
        return;
    }
    char saved[160], crowd[256] = "";
    if (a_without - a_with >= 0.05)
        snprintf(saved, sizeof saved,
                 "stapling spared each visitor its own trip to the CA: "
                 "%.1f ms",
                 a_without - a_with);
    else
        snprintf(saved, sizeof saved, "stapling made no measurable difference to one visitor");
    if (crowd_mean(without, &c_without) && crowd_mean(with, &c_with))
        snprintf(crowd, sizeof crowd,
                 " In the crowd the same visits took %.1f and %.1f ms: "
                 "most of that is waiting in line behind other users, "
                 "not OCSP.",
                 c_without, c_with);
    snprintf(out, cap,
             "%s One at a time, a visit took %.1f ms without stapling (%s) and %.1f ms "
             "with it (%s): %s.%s",
             meaning, a_without, without->label, a_with, with->label, saved, crowd);
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
            "stapled", "asked", "requests", "bytes", "addresses", "alone", "in crowd", r);
    fprintf(out, "%s  %-*s  %6s  %7s  %7s  | %9s  %9s  %9s  | %8s  %8s%s\n", b, w, "scenario", "",
            "", "the CA", "at the CA", "from CA", "CA saw", "visit ms", "visit ms", r);
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
    /* How long a revoked certificate was still accepted, and what the users
     * got while the CA was down: beside each row, where a lab measured it. */
    if (scn_table_has_window_cells(t)) {
        fprintf(out, "\n%s  %-*s  %11s  %16s%s\n", b, w, "", "revocation", "with the CA down", r);
        fprintf(out, "%s  %-*s  %11s  %16s%s\n", b, w, "scenario", "window", "users accepted", r);
        for (size_t i = 0; i < t->count; i++) {
            const struct scn_table_row *row = &t->rows[i];
            if (!row->has_window && row->ca_down_users == 0)
                continue;
            char window[32], ca_down[48];
            scn_table_window_cells(row, window, sizeof window, ca_down, sizeof ca_down);
            fprintf(out, "  %-*s  %11s  %16s\n", w, row->label, window, ca_down);
        }
    }
    /* The words under the table, wrapped for a terminal. */
    char words[1024];
    scn_table_latency_words(t, words, sizeof words);
    fputc('\n', out);
    for (const char *s = words; *s != 0;) {
        size_t take = scn_ui_line_bytes(s, 100);
        fprintf(out, "  %.*s\n", (int)take, s);
        s += take;
        while (*s == ' ' || *s == '\n')
            s++;
    }
}
