/* report_ladder.c — a lab's ladder (sequence) diagram as SVG: the same rows
 * as `scenario trace` draws in the terminal (ladder_rows.h), with lifelines,
 * arrows with heads, notes as small boxes on a party's lane, the narration as
 * full-width lines and the simulated day shown when it changes. */
#include "report_svg.h"

#include <stdio.h>
#include <string.h>

#define LD_TIME_X 8
#define LD_NARRATION_X 112
#define LD_LABEL_X 600
#define LD_HEADER 36
#define LD_ROW 20
#define LD_LINE 17 /* each wrapped line of narration */
#define LD_DATE 26
#define LD_BOTTOM 12
/* Characters that fit at 12 px (about 7 px each) right of the lanes, and
 * across the drawing for narration. */
#define LD_LABEL_CHARS 78
#define LD_NARRATION_CHARS 145

static const double lane_x[SCN_LANE_COUNT] = {180, 310, 440, 570};

static const char *const tone_fill[] = {
    [SCN_TONE_PLAIN] = "#212121", [SCN_TONE_TITLE] = "#0d47a1", [SCN_TONE_SAY] = "#00695c",
    [SCN_TONE_STEP] = "#212121",  [SCN_TONE_GOOD] = "#1b5e20",  [SCN_TONE_BAD] = "#b71c1c",
    [SCN_TONE_DIM] = "#757575",
};

struct ladder_svg {
    struct scn_html *h; /* NULL: only measure */
    double y;           /* the top of the next row */
    char date[16];
};

static int narration_lines(const char *text)
{
    int lines = 0;
    while (*text != 0) {
        size_t take = scn_ui_line_bytes(text, LD_NARRATION_CHARS);
        text += take;
        while (*text == ' ' || *text == '\n')
            text++;
        lines++;
    }
    return lines > 0 ? lines : 1;
}

static void date_row(struct ladder_svg *d, const char *ts)
{
    if (strlen(ts) < 10 || strncmp(ts, d->date, 10) == 0)
        return;
    snprintf(d->date, sizeof d->date, "%.10s", ts);
    if (d->h != NULL) {
        char words[64];
        snprintf(words, sizeof words, "%s (simulated time, UTC)", d->date);
        scn_html_rawf(d->h,
                      "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#bdbdbd\" "
                      "stroke-dasharray=\"4 3\"/>\n",
                      LD_TIME_X, d->y + 13, SCN_SVG_WIDTH - 8, d->y + 13);
        scn_svg_text(d->h, SCN_SVG_WIDTH / 2.0, d->y + 17,
                     "text-anchor=\"middle\" font-size=\"12\" fill=\"#616161\" "
                     "stroke=\"#ffffff\" stroke-width=\"6\" paint-order=\"stroke\"",
                     words);
    }
    d->y += LD_DATE;
}

static void narration(struct ladder_svg *d, const struct scn_ladder_row *row, const char *text)
{
    int lines = narration_lines(text);
    if (d->h != NULL) {
        const char *weight = row->tone == SCN_TONE_TITLE || row->tone == SCN_TONE_STEP
                                 ? " font-weight=\"bold\""
                                 : "";
        const char *style = row->tone == SCN_TONE_SAY ? " font-style=\"italic\"" : "";
        char attrs[256], line[SCN_ROW_LABEL_BYTES + 32];
        /* A white halo keeps the words legible where they cross the lifelines. */
        snprintf(attrs, sizeof attrs,
                 "font-size=\"12.5\" fill=\"%s\"%s%s stroke=\"#ffffff\" stroke-width=\"4\" "
                 "paint-order=\"stroke\"",
                 tone_fill[row->tone], weight, style);
        const char *s = text;
        for (int i = 0; i < lines && *s != 0; i++) {
            size_t take = scn_ui_line_bytes(s, LD_NARRATION_CHARS);
            snprintf(line, sizeof line, "%s%.*s", i == 0 ? "» " : "  ", (int)take, s);
            scn_svg_text(d->h, LD_NARRATION_X, d->y + 14 + i * LD_LINE, attrs, line);
            s += take;
            while (*s == ' ' || *s == '\n')
                s++;
        }
    }
    d->y += (lines - 1) * LD_LINE + LD_ROW;
}

static void arrow(struct scn_html *h, double y, enum scn_lane from, enum scn_lane to,
                  const char *colour)
{
    double a = lane_x[from], b = lane_x[to];
    double dir = b > a ? 1 : -1;
    scn_html_rawf(h,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"1.6\"/>\n"
                  "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>\n",
                  a, y, b - dir * 8, y, colour, b, y, b - dir * 10, y - 5, b - dir * 10, y + 5,
                  colour);
}

static void row_svg(struct ladder_svg *d, const struct scn_ladder_row *row)
{
    char text[SCN_ROW_LABEL_BYTES + 32], fitted[SCN_ROW_LABEL_BYTES + 32];
    date_row(d, row->ts);
    if (row->count > 1)
        snprintf(text, sizeof text, "%s ×%ld", row->label, row->count);
    else
        snprintf(text, sizeof text, "%s", row->label);
    if (d->h != NULL) {
        /* "14:09:57.123": the time of day; the day is on the separators. */
        char time_of_day[16];
        snprintf(time_of_day, sizeof time_of_day, "%.12s",
                 strlen(row->ts) > 11 ? row->ts + 11 : row->ts);
        scn_svg_text(d->h, LD_TIME_X, d->y + 14,
                     "font-size=\"11\" fill=\"#757575\" font-family=\"DejaVu Sans Mono, "
                     "monospace\"",
                     time_of_day);
    }
    if (row->kind == SCN_ROW_NARRATION) {
        narration(d, row, text);
        return;
    }
    if (d->h != NULL) {
        const char *colour = tone_fill[row->tone];
        double mid = d->y + 10;
        if (row->kind == SCN_ROW_ARROW)
            arrow(d->h, mid, row->from, row->to,
                  row->tone == SCN_TONE_PLAIN ? "#37474f" : colour);
        else
            scn_html_rawf(d->h,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" rx=\"3\" "
                          "fill=\"%s\"/>\n",
                          lane_x[row->from] - 6, mid - 6, colour);
        scn_ui_fit(text, LD_LABEL_CHARS, fitted, sizeof fitted);
        char attrs[96];
        snprintf(attrs, sizeof attrs, "class=\"label\" font-size=\"12\" fill=\"%s\"%s", colour,
                 row->tone == SCN_TONE_BAD ? " font-weight=\"bold\"" : "");
        scn_html_rawf(d->h, "<text x=\"%d\" y=\"%.1f\" %s>", LD_LABEL_X, mid + 4, attrs);
        scn_html_text(d->h, fitted);
        if (strcmp(fitted, text) != 0)
            scn_svg_title(d->h, text); /* the whole label, on hovering */
        scn_html_raw(d->h, "</text>\n");
    }
    d->y += LD_ROW;
}

/* The rows from the top: measuring (h NULL) or drawing; returns the height. */
static double lay_out(struct scn_html *h, const struct scn_report_lab *lab,
                      const char *trace_command)
{
    struct ladder_svg d = {.h = h, .y = LD_HEADER};
    for (size_t i = 0; i < lab->row_count; i++) {
        const struct scn_report_row *kept = &lab->rows[i];
        struct scn_ladder_row row = {.kind = kept->kind, .from = kept->from, .to = kept->to,
                                     .tone = kept->tone, .count = kept->count};
        snprintf(row.label, sizeof row.label, "%s", kept->label);
        snprintf(row.ts, sizeof row.ts, "%s", kept->ts);
        row_svg(&d, &row);
    }
    if (lab->rows_more > 0) {
        if (h != NULL) {
            char words[LAB_PATH_MAX + 128];
            snprintf(words, sizeof words, "… %ld more row%s: %s", lab->rows_more,
                     lab->rows_more == 1 ? "" : "s", trace_command);
            scn_svg_text(h, LD_NARRATION_X, d.y + 16,
                         "class=\"more\" font-size=\"13\" font-weight=\"bold\" fill=\"#424242\"",
                         words);
        }
        d.y += LD_ROW + 6;
    }
    return d.y + LD_BOTTOM;
}

void scn_report_ladder(struct scn_html *h, const struct scn_report_lab *lab,
                       const char *trace_command)
{
    char name[320];
    double height = lay_out(NULL, lab, trace_command);
    snprintf(name, sizeof name, "ladder diagram of %s", lab->name);
    scn_svg_open(h, SCN_SVG_WIDTH, (int)height, name);
    scn_svg_text(h, LD_TIME_X, 22, "font-size=\"13\" font-weight=\"bold\"", "time");
    for (int i = 0; i < SCN_LANE_COUNT; i++) {
        scn_svg_text(h, lane_x[i], 22,
                     "text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\"",
                     scn_lane_names[i]);
        scn_html_rawf(h,
                      "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b0bec5\" "
                      "stroke-width=\"2\"/>\n",
                      lane_x[i], LD_HEADER - 6, lane_x[i], height - LD_BOTTOM);
    }
    lay_out(h, lab, trace_command);
    scn_svg_close(h);
}
