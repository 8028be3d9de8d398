/* report_sweep.c — the report's sweep drawing (scenario run --sweep
 * users=…): for each lesson played at several crowd sizes, the OCSP
 * requests and the bytes at the CA against the number of users, both axes
 * logarithmic, one line per lesson. Without stapling the line rises with the
 * crowd; with it, it stays flat: the whole argument of stapling in one
 * picture. */
#include "report_svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SWEEP_MAX_LINES 8
#define SWEEP_MAX_POINTS 8
#define SWEEP_TOP 64
#define SWEEP_PLOT_H 300
#define SWEEP_LEFT 90 /* a panel's axis labels */
#define SWEEP_GAP 70
#define SWEEP_BOTTOM 70

/* One lesson's points, by crowd size. */
struct sweep_line {
    char stem[64];
    const char *colour;
    size_t count;
    int64_t users[SWEEP_MAX_POINTS], requests[SWEEP_MAX_POINTS], bytes[SWEEP_MAX_POINTS];
};

static const char *const other_colours[] = {"#6a1b9a", "#ef6c00", "#00838f", "#5d4037"};

bool scn_report_has_sweep(const struct scn_report_lab *lab)
{
    return lab->sweep_users > 0 && lab->has_program_events;
}

/* The lesson's name: the lab's name without "@N". */
static void stem_of(const char *name, char *out, size_t cap)
{
    const char *at = strrchr(name, '@');
    snprintf(out, cap, "%.*s", (int)(at != NULL ? (size_t)(at - name) : strlen(name)), name);
}

static size_t gather(const struct scn_report_lab *const *labs, size_t count,
                     struct sweep_line lines[SWEEP_MAX_LINES])
{
    size_t n = 0, others = 0;
    for (size_t i = 0; i < count; i++) {
        const struct scn_report_lab *lab = labs[i];
        if (!scn_report_has_sweep(lab))
            continue;
        char stem[64];
        stem_of(lab->name, stem, sizeof stem);
        size_t k = 0;
        while (k < n && strcmp(lines[k].stem, stem) != 0)
            k++;
        if (k == n) {
            if (n == SWEEP_MAX_LINES)
                continue;
            memset(&lines[n], 0, sizeof lines[n]);
            snprintf(lines[n].stem, sizeof lines[n].stem, "%s", stem);
            n++;
        }
        struct sweep_line *line = &lines[k];
        if (line->count == SWEEP_MAX_POINTS)
            continue;
        /* The colours of the requests chart: red where browsers asked the
         * CA themselves, green where every visit was stapled. */
        if (line->colour == NULL)
            line->colour =
                lab->table.users > 0 && lab->table.stapled == lab->table.users ? SCN_SVG_STAPLED
                : lab->table.stapled == 0 && lab->table.asked > 0              ? SCN_SVG_UNSTAPLED
                                                                  : other_colours[others++ % 4];
        line->users[line->count] = lab->sweep_users;
        line->requests[line->count] = lab->table.ca.requests;
        line->bytes[line->count] = lab->table.ca.bytes;
        line->count++;
    }
    return n;
}

/* Powers of ten covering 1..top. */
static int decades(int64_t top)
{
    int d = 1;
    for (int64_t v = 10; v < top && d < 12; v *= 10)
        d++;
    return d;
}

static double y_of(int64_t value, int decade_count)
{
    double v = value < 1 ? 0 : log10((double)value);
    return SWEEP_TOP + SWEEP_PLOT_H - v / decade_count * SWEEP_PLOT_H;
}

static void axis_words(int64_t value, char *out, size_t cap)
{
    if (value >= 1000000)
        snprintf(out, cap, "%lldM", (long long)(value / 1000000));
    else if (value >= 1000)
        snprintf(out, cap, "%lldk", (long long)(value / 1000));
    else
        snprintf(out, cap, "%lld", (long long)value);
}

static void panel(struct scn_html *h, double left, double width, const char *title,
                  const struct sweep_line *lines, size_t n, bool is_bytes, int64_t max_users)
{
    double plot_x = left + SWEEP_LEFT, plot_w = width - SWEEP_LEFT - 24; /* room for "1k" */
    int64_t top = 10;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < lines[k].count; i++) {
            int64_t v = is_bytes ? lines[k].bytes[i] : lines[k].requests[i];
            top = v > top ? v : top;
        }
    int y_decades = decades(top), x_decades = decades(max_users);
    char text[64];
    scn_svg_text(h, plot_x + plot_w / 2, SWEEP_TOP - 20, "text-anchor=\"middle\" " SCN_SVG_HEADING,
                 title);
    /* Gridlines at each power of ten, on both axes. */
    int64_t power = 1;
    for (int d = 0; d <= y_decades; d++, power *= 10) {
        double y = y_of(power, y_decades);
        scn_html_rawf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                      plot_x, y, plot_x + plot_w, y, d == 0 ? "#424242" : "#e0e0e0");
        axis_words(power, text, sizeof text);
        scn_svg_text(h, plot_x - 10, y + 6, "text-anchor=\"end\" " SCN_SVG_TEXT, text);
    }
    power = 1;
    for (int d = 0; d <= x_decades; d++, power *= 10) {
        double x = plot_x + (double)d / x_decades * plot_w;
        scn_html_rawf(h, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n", x,
                      SWEEP_TOP, x, SWEEP_TOP + SWEEP_PLOT_H, d == 0 ? "#424242" : "#e0e0e0");
        axis_words(power, text, sizeof text);
        scn_svg_text(h, x, SWEEP_TOP + SWEEP_PLOT_H + 24, "text-anchor=\"middle\" " SCN_SVG_TEXT,
                     text);
    }
    scn_svg_text(h, plot_x + plot_w / 2, SWEEP_TOP + SWEEP_PLOT_H + 50,
                 "text-anchor=\"middle\" " SCN_SVG_TEXT, "users (log scale)");
    for (size_t k = 0; k < n; k++) {
        const struct sweep_line *line = &lines[k];
        scn_html_rawf(h,
                      "<polyline class=\"sweep\" fill=\"none\" stroke=\"%s\" "
                      "stroke-width=\"3\" points=\"",
                      line->colour);
        for (size_t i = 0; i < line->count; i++) {
            int64_t v = is_bytes ? line->bytes[i] : line->requests[i];
            double x = plot_x + (line->users[i] < 1 ? 0 : log10((double)line->users[i])) /
                                    x_decades * plot_w;
            scn_html_rawf(h, "%s%.1f,%.1f", i == 0 ? "" : " ", x, y_of(v, y_decades));
        }
        scn_html_raw(h, "\"/>\n");
        for (size_t i = 0; i < line->count; i++) {
            int64_t v = is_bytes ? line->bytes[i] : line->requests[i];
            double x = plot_x + (line->users[i] < 1 ? 0 : log10((double)line->users[i])) /
                                    x_decades * plot_w;
            char tip[160];
            snprintf(tip, sizeof tip, "%s, %lld users: %lld %s at the CA", line->stem,
                     (long long)line->users[i], (long long)v,
                     is_bytes ? (v == 1 ? "byte" : "bytes") : (v == 1 ? "request" : "requests"));
            scn_html_rawf(h, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\">", x,
                          y_of(v, y_decades), line->colour);
            scn_svg_title(h, tip);
            scn_html_raw(h, "</circle>\n");
        }
    }
}

void scn_report_sweep(struct scn_html *h, const struct scn_report_lab *const *labs, size_t count)
{
    struct sweep_line lines[SWEEP_MAX_LINES];
    size_t n = gather(labs, count, lines);
    if (n == 0)
        return;
    int64_t max_users = 10;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < lines[k].count; i++)
            max_users = lines[k].users[i] > max_users ? lines[k].users[i] : max_users;
    double panel_w = (SCN_SVG_WIDTH - SWEEP_GAP) / 2.0;
    int legend_rows = (int)(n + 1) / 2;
    int height = SWEEP_TOP + SWEEP_PLOT_H + SWEEP_BOTTOM + legend_rows * 26;
    scn_svg_open(h, SCN_SVG_WIDTH, height, "OCSP requests and bytes at the CA against users");
    panel(h, 0, panel_w, "OCSP requests at the CA", lines, n, false, max_users);
    panel(h, panel_w + SWEEP_GAP, panel_w, "bytes from the CA", lines, n, true, max_users);
    for (size_t k = 0; k < n; k++) {
        double x = SWEEP_LEFT + (double)(k % 2) * (SCN_SVG_WIDTH / 2.0);
        double y = SWEEP_TOP + SWEEP_PLOT_H + SWEEP_BOTTOM + (double)(k / 2) * 26;
        scn_html_rawf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"18\" fill=\"%s\"/>\n",
                      x, y - 14, lines[k].colour);
        scn_svg_text(h, x + 26, y, SCN_SVG_TEXT, lines[k].stem);
    }
    scn_svg_close(h);
}
