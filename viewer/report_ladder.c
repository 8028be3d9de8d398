/* report_ladder.c — a lab's ladder (sequence) diagram as SVG: the same rows
 * as `scenario trace` draws in the terminal (ladder_rows.h), with lifelines,
 * arrows with heads, notes as small boxes on a party's lane, the narration as
 * full-width lines and the simulated day shown when it changes. */
#include "report_svg.h"

#include <stdio.h>
#include <string.h>

#define LD_TIME_X 8
#define LD_NARRATION_X 136
#define LD_LABEL_X 604
#define LD_HEADER 40
#define LD_ROW 27
#define LD_LINE 22 /* each wrapped line of narration */
#define LD_DATE 32
#define LD_BOTTOM 14
#define LD_SAID_BYTES 2048 /* consecutive `say` lines drawn as one paragraph */
/* Characters that fit at 16 px right of the lanes, and across the drawing
 * for narration. */
#define LD_LABEL_CHARS ((int)((SCN_SVG_WIDTH - LD_LABEL_X - 8) / SCN_SVG_CHAR_PX))
#define LD_NARRATION_CHARS ((int)((SCN_SVG_WIDTH - LD_NARRATION_X - 8) / SCN_SVG_CHAR_PX) - 2)

/* Lanes 125 px apart: "webserver" in bold at 18 px is about 100 px wide. */
static const double lane_x[SCN_LANE_COUNT] = {200, 325, 450, 570};

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
    return scn_ui_wrap_count(text, LD_NARRATION_CHARS);
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
                      LD_TIME_X, d->y + 16, SCN_SVG_WIDTH - 8, d->y + 16);
        scn_svg_text(d->h, SCN_SVG_WIDTH / 2.0, d->y + 21,
                     "text-anchor=\"middle\" " SCN_SVG_TEXT " fill=\"#616161\" "
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
        char attrs[256], line[LD_SAID_BYTES + 32];
        /* A white halo keeps the words legible where they cross the lifelines. */
        snprintf(attrs, sizeof attrs,
                 SCN_SVG_TEXT " fill=\"%s\"%s%s stroke=\"#ffffff\" stroke-width=\"4\" "
                              "paint-order=\"stroke\"",
                 tone_fill[row->tone], weight, style);
        /* Lines of even length: no word left alone on the last one. */
        int room = scn_ui_balanced_room(text, LD_NARRATION_CHARS);
        const char *s = text;
        for (int i = 0; i < lines && *s != 0; i++) {
            size_t take = scn_ui_line_bytes(s, room);
            snprintf(line, sizeof line, "%s%.*s", i == 0 ? "» " : "  ", (int)take, s);
            scn_svg_text(d->h, LD_NARRATION_X, d->y + 18 + i * LD_LINE, attrs, line);
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

/* The day's separator when the day changes, then the row's time of day
 * ("14:09:57.123"; the day is on the separators). */
static void row_time(struct ladder_svg *d, const char *ts)
{
    date_row(d, ts);
    if (d->h != NULL) {
        char time_of_day[16];
        snprintf(time_of_day, sizeof time_of_day, "%.12s", strlen(ts) > 11 ? ts + 11 : ts);
        scn_svg_text(d->h, LD_TIME_X, d->y + 18,
                     SCN_SVG_TEXT " fill=\"#616161\" font-family=\"DejaVu Sans Mono, "
                                  "monospace\"",
                     time_of_day);
    }
}

static void row_svg(struct ladder_svg *d, const struct scn_ladder_row *row)
{
    char text[SCN_ROW_LABEL_BYTES + 32], fitted[SCN_ROW_LABEL_BYTES + 32];
    row_time(d, row->ts);
    if (row->count > 1)
        snprintf(text, sizeof text, "%s ×%ld", row->label, row->count);
    else
        snprintf(text, sizeof text, "%s", row->label);
    if (row->kind == SCN_ROW_NARRATION) {
        narration(d, row, text);
        return;
    }
    if (d->h != NULL) {
        const char *colour = tone_fill[row->tone];
        double mid = d->y + 13;
        if (row->kind == SCN_ROW_ARROW)
            arrow(d->h, mid, row->from, row->to, row->tone == SCN_TONE_PLAIN ? "#37474f" : colour);
        else
            scn_html_rawf(d->h,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" rx=\"3\" "
                          "fill=\"%s\"/>\n",
                          lane_x[row->from] - 7, mid - 7, colour);
        scn_ui_fit(text, LD_LABEL_CHARS, fitted, sizeof fitted);
        char attrs[96];
        snprintf(attrs, sizeof attrs, "class=\"label\" " SCN_SVG_TEXT " fill=\"%s\"%s", colour,
                 row->tone == SCN_TONE_BAD ? " font-weight=\"bold\"" : "");
        scn_html_rawf(d->h, "<text x=\"%d\" y=\"%.1f\" %s>", LD_LABEL_X, mid + 5, attrs);
        scn_html_text(d->h, fitted);
        if (strcmp(fitted, text) != 0)
            scn_svg_title(d->h, text); /* the whole label, on hovering */
        scn_html_raw(d->h, "</text>\n");
    }
    d->y += LD_ROW;
}

/* A lesson's consecutive `say` lines, one paragraph at the first one's
 * time: wrapped evenly across the drawing, not at the lesson file's line
 * ends, so no line holds a lone word. Returns the index after them. */
static size_t said_rows(struct ladder_svg *d, const struct scn_report_lab *lab, size_t first)
{
    char said[LD_SAID_BYTES];
    size_t len = 0, i = first;
    said[0] = 0;
    for (; i < lab->row_count; i++) {
        const struct scn_report_row *r = &lab->rows[i];
        size_t add = strlen(r->label);
        if (r->kind != SCN_ROW_NARRATION || r->tone != SCN_TONE_SAY ||
            (i > first && len + 1 + add >= sizeof said))
            break;
        len +=
            (size_t)snprintf(said + len, sizeof said - len, "%s%s", len > 0 ? " " : "", r->label);
        if (len >= sizeof said)
            len = sizeof said - 1;
    }
    struct scn_ladder_row row = {.kind = SCN_ROW_NARRATION, .tone = SCN_TONE_SAY};
    row_time(d, lab->rows[first].ts);
    narration(d, &row, said);
    return i;
}

/* The rows from the top: measuring (h NULL) or drawing; returns the height. */
static double lay_out(struct scn_html *h, const struct scn_report_lab *lab,
                      const char *trace_command)
{
    struct ladder_svg d = {.h = h, .y = LD_HEADER};
    for (size_t i = 0; i < lab->row_count; i++) {
        const struct scn_report_row *kept = &lab->rows[i];
        if (kept->kind == SCN_ROW_NARRATION && kept->tone == SCN_TONE_SAY) {
            i = said_rows(&d, lab, i) - 1;
            continue;
        }
        struct scn_ladder_row row = {.kind = kept->kind,
                                     .from = kept->from,
                                     .to = kept->to,
                                     .tone = kept->tone,
                                     .count = kept->count};
        snprintf(row.label, sizeof row.label, "%s", kept->label);
        snprintf(row.ts, sizeof row.ts, "%s", kept->ts);
        row_svg(&d, &row);
    }
    if (lab->rows_more > 0) {
        if (h != NULL) {
            char words[LAB_PATH_MAX + 128];
            snprintf(words, sizeof words, "… %ld more row%s: %s", lab->rows_more,
                     lab->rows_more == 1 ? "" : "s", trace_command);
            scn_svg_text(h, LD_NARRATION_X, d.y + 18,
                         "class=\"more\" " SCN_SVG_TEXT " font-weight=\"bold\" fill=\"#424242\"",
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
    scn_svg_text(h, LD_TIME_X, 24, SCN_SVG_HEADING, "time");
    for (int i = 0; i < SCN_LANE_COUNT; i++) {
        scn_svg_text(h, lane_x[i], 24, "text-anchor=\"middle\" " SCN_SVG_HEADING,
                     scn_lane_names[i]);
        scn_html_rawf(h,
                      "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b0bec5\" "
                      "stroke-width=\"2\"/>\n",
                      lane_x[i], LD_HEADER - 6, lane_x[i], height - LD_BOTTOM);
    }
    lay_out(h, lab, trace_command);
    scn_svg_close(h);
}
