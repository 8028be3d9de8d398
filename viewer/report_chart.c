/* report_chart.c — the report's bar chart, two panels over the same labs:
 * the visits (green where the user got a staple, grey where not) and the
 * OCSP requests at the CA (red from the browsers asking themselves, blue from
 * the web server fetching its staple). Side by side they show what stapling
 * changes: as many visits, a fraction of the requests, and none of them from
 * a visitor's address. Each colour means one thing in every lab. */
#include "report_svg.h"

#include <stdio.h>
#include <string.h>

#define CHART_PLOT_HEIGHT 250
#define CHART_LEFT 60             /* a panel's axis labels */
#define CHART_GAP 60              /* between the two panels */
#define CHART_TOP 100             /* the legend and the panel titles */
#define CHART_BOTTOM 44           /* the labs' names */
#define CHART_BOTTOM_TILTED 180   /* the same, tilted under narrow bars */
#define CHART_TILTED_LEFT 60      /* more room on the left for tilted names */
#define CHART_NAME_CHARS 24       /* a lab's name under its bar, at most */
#define CHART_OTHER "#9e9e9e"     /* requests from anyone else (openssl, curl) */
#define CHART_NO_STAPLE "#bdbdbd" /* visits that got no staple */
#define CHART_CRL "#6a1b9a"       /* downloads of the CA's CRL */
#define CHART_MAX_TICKS 6

/* The step between ticks: 1, 2 or 5 times a power of ten, so that at most
 * CHART_MAX_TICKS steps reach `top`. */
static int64_t tick_step(int64_t top)
{
    int64_t power = 1;
    for (;;) {
        static const int64_t factors[] = {1, 2, 5};
        for (size_t i = 0; i < 3; i++) {
            int64_t step = factors[i] * power;
            if (top <= step * (CHART_MAX_TICKS - 1))
                return step;
        }
        power *= 10;
    }
}

/* A swatch and its words at x; returns where the next item goes. */
static double legend_item(struct scn_html *h, double x, const char *fill, const char *words)
{
    scn_html_rawf(h, "<rect x=\"%.1f\" y=\"14\" width=\"18\" height=\"18\" fill=\"%s\"/>\n", x,
                  fill);
    scn_svg_text(h, x + 24, 29, SCN_SVG_TEXT, words);
    return x + 24 + SCN_SVG_CHAR_PX * (double)strlen(words) + 28;
}

/* One part of a stacked bar, with its value inside when it fits. */
static void segment(struct scn_html *h, double x, double width, double y, double height,
                    const char *fill, int64_t value, const char *kind, const char *words)
{
    char text[96];
    if (value <= 0)
        return;
    scn_html_rawf(h,
                  "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                  "fill=\"%s\">",
                  kind, x, y, width, height, fill);
    snprintf(text, sizeof text, "%lld %s", (long long)value, words);
    scn_svg_title(h, text);
    scn_html_raw(h, "</rect>\n");
    if (height >= 22) {
        snprintf(text, sizeof text, "%lld", (long long)value);
        scn_svg_text(h, x + width / 2, y + height / 2 + 6,
                     "text-anchor=\"middle\" " SCN_SVG_TEXT " fill=\"#ffffff\"", text);
    }
}

/* One panel's stacked parts for a lab. */
struct chart_part {
    int64_t value;
    const char *fill, *kind, *words;
};

enum { CHART_VISITS, CHART_REQUESTS, CHART_PANELS };
#define CHART_MAX_PARTS 4

static size_t lab_parts(const struct scn_report_lab *lab, int panel,
                        struct chart_part parts[CHART_MAX_PARTS])
{
    if (panel == CHART_VISITS) {
        parts[0] = (struct chart_part){lab->table.stapled, SCN_SVG_STAPLED, "stapled",
                                       "visits with a staple"};
        parts[1] = (struct chart_part){lab->table.users - lab->table.stapled, CHART_NO_STAPLE,
                                       "no-staple", "visits without a staple"};
        return 2;
    }
    parts[0] = (struct chart_part){lab->ca_by_browser, SCN_SVG_UNSTAPLED, "browsers",
                                   "from browsers asking the CA themselves"};
    parts[1] = (struct chart_part){lab->ca_by_webserver, SCN_SVG_WEBSERVER, "web-server",
                                   "from the web server"};
    parts[2] = (struct chart_part){lab->ca_by_other, CHART_OTHER, "other", "from other clients"};
    parts[3] =
        (struct chart_part){lab->ca_crl_downloads, CHART_CRL, "crl", "downloads of the CA's CRL"};
    return 4;
}

static int64_t lab_total(const struct scn_report_lab *lab, int panel)
{
    return panel == CHART_VISITS ? lab->table.users : lab->table.ca.requests;
}

/* A panel: its title, axis, grid and one stacked bar per lab; the names
 * under the bars are tilted when the bars are narrow (both panels alike). */
static void panel(struct scn_html *h, int which, double left, double width,
                  const struct scn_report_lab *const *labs, size_t count, size_t shown,
                  bool is_tilted)
{
    static const char *const titles[CHART_PANELS] = {"Visits", "Requests at the CA"};
    static const char *const classes[CHART_PANELS] = {"visits", "requests"};
    int64_t top = 1;
    for (size_t i = 0; i < count; i++)
        if (labs[i]->has_program_events && lab_total(labs[i], which) > top)
            top = lab_total(labs[i], which);
    int64_t step = tick_step(top);
    int64_t axis_top = (top + step - 1) / step * step;
    /* Tilted names reach left of their bars: the first one needs room. */
    double margin = CHART_LEFT + (is_tilted ? CHART_TILTED_LEFT : 0);
    double plot_x = left + margin, plot_w = width - margin;
    double plot_h = CHART_PLOT_HEIGHT, base = CHART_TOP + plot_h;
    double slot = shown > 0 ? plot_w / (double)shown : plot_w;
    double bar_w = slot * 0.6 < 90 ? slot * 0.6 : 90;
    char text[300], name[128];

    scn_svg_text(h, plot_x + plot_w / 2, CHART_TOP - 22, "text-anchor=\"middle\" " SCN_SVG_HEADING,
                 titles[which]);
    for (int64_t v = 0; v <= axis_top; v += step) {
        double y = base - (double)v / (double)axis_top * plot_h;
        scn_html_rawf(h,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                      "stroke-width=\"1\"/>\n",
                      plot_x - 6, y, plot_x + plot_w, y, v == 0 ? "#424242" : "#e0e0e0");
        snprintf(text, sizeof text, "%lld", (long long)v);
        scn_svg_text(h, plot_x - 10, y + 5, "text-anchor=\"end\" " SCN_SVG_TEXT, text);
    }
    scn_html_rawf(h,
                  "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#424242\" "
                  "stroke-width=\"1\"/>\n",
                  plot_x, CHART_TOP, plot_x, base);
    size_t slot_index = 0;
    for (size_t i = 0; i < count; i++) {
        const struct scn_report_lab *lab = labs[i];
        struct chart_part parts[CHART_MAX_PARTS];
        if (!lab->has_program_events)
            continue;
        double x = plot_x + slot * (double)slot_index + (slot - bar_w) / 2, cx = x + bar_w / 2;
        slot_index++;
        scn_html_rawf(h, "<g class=\"bar %s\" data-lab=\"", classes[which]);
        scn_html_text(h, lab->name);
        scn_html_raw(h, "\">\n");
        double y = base;
        size_t n = lab_parts(lab, which, parts);
        for (size_t p = 0; p < n; p++) {
            double height = (double)parts[p].value / (double)axis_top * plot_h;
            y -= height;
            segment(h, x, bar_w, y, height, parts[p].fill, parts[p].value, parts[p].kind,
                    parts[p].words);
        }
        snprintf(text, sizeof text, "%lld", (long long)lab_total(lab, which));
        scn_svg_text(h, cx, y - 6, "text-anchor=\"middle\" " SCN_SVG_HEADING, text);
        scn_ui_fit(lab->name, CHART_NAME_CHARS, name, sizeof name);
        if (is_tilted) {
            snprintf(text, sizeof text,
                     "text-anchor=\"end\" " SCN_SVG_TEXT " transform=\"rotate(-45 %.1f %.1f)\"", cx,
                     base + 20);
            scn_svg_text(h, cx, base + 20, text, name);
        } else {
            scn_svg_text(h, cx, base + 24, "text-anchor=\"middle\" " SCN_SVG_TEXT, name);
        }
        scn_html_raw(h, "</g>\n");
    }
}

void scn_report_chart(struct scn_html *h, const struct scn_report_lab *const *labs, size_t count)
{
    size_t shown = 0, longest = 0;
    bool has_other = false, has_crl = false;
    for (size_t i = 0; i < count; i++) {
        if (!labs[i]->has_program_events)
            continue;
        shown++;
        has_other = has_other || labs[i]->ca_by_other > 0;
        has_crl = has_crl || labs[i]->ca_crl_downloads > 0;
        size_t len = strlen(labs[i]->name);
        longest = len > longest ? len : longest;
    }
    longest = longest < CHART_NAME_CHARS ? longest : CHART_NAME_CHARS;
    double panel_w = (SCN_SVG_WIDTH - CHART_GAP) / 2.0;
    /* Names wider than their bar's slot are tilted, in both panels alike. */
    bool is_tilted = shown > 0 && (panel_w - CHART_LEFT) / (double)shown <
                                      SCN_SVG_CHAR_PX * (double)longest + 12;
    scn_svg_open(h, SCN_SVG_WIDTH,
                 CHART_TOP + CHART_PLOT_HEIGHT + (is_tilted ? CHART_BOTTOM_TILTED : CHART_BOTTOM),
                 "Visits and OCSP requests at the CA, per lab");
    double x = legend_item(h, CHART_LEFT, SCN_SVG_STAPLED, "stapled visit");
    x = legend_item(h, x, CHART_NO_STAPLE, "visit without");
    x = legend_item(h, x, SCN_SVG_UNSTAPLED, "a browser asked the CA");
    x = legend_item(h, x, SCN_SVG_WEBSERVER, "the web server asked");
    if (has_crl)
        x = legend_item(h, x, CHART_CRL, "a CRL download");
    if (has_other)
        legend_item(h, x, CHART_OTHER, "others asked");
    panel(h, CHART_VISITS, 0, panel_w, labs, count, shown, is_tilted);
    panel(h, CHART_REQUESTS, panel_w + CHART_GAP, panel_w, labs, count, shown, is_tilted);
    scn_svg_close(h);
}
