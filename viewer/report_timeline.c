/* report_timeline.c — a lab's staple timeline on the simulated clock, from
 * scenario.start to scenario.end: each web server's staples (fetched, valid
 * until nextUpdate, refreshed at half-life; DESIGN section 8), the CA's
 * revocations, the responder up or faulty, the users' verdicts, and the
 * revocation window shaded: how long stapled visitors were still told "good". */
#include "report_svg.h"
#include "clock.h"

#include <stdio.h>
#include <string.h>

#define TL_TOP 50 /* room for the windows' labels */
#define TL_LABEL_X 8
#define TL_LABEL_CHARS 21 /* a lane's name, at most */
#define TL_X0 210         /* the clock's left end */
#define TL_X1 (SCN_SVG_WIDTH - 24)
#define TL_STAPLE_LANE 52 /* two sub-rows: consecutive staples overlap */
#define TL_LANE 40
#define TL_USERS_LANE 52 /* accepted and refused dots, one above the other */
#define TL_AXIS 62
#define TL_MAX_TICKS 7   /* "12-08 06:00" at 16 px is about 100 px wide */
#define TL_VERDICT_PX 40 /* verdicts closer than this on the axis share a dot */
/* A staple valid past the scenario's end stretches the axis to its
 * nextUpdate (a day is shown as a day), but not beyond this. */
#define TL_MAX_STRETCH_MS (7LL * 24 * 3600 * 1000)

#define TL_STAPLE "#00897b"
#define TL_REFRESH "#004d40"
#define TL_FAILED "#ef6c00"
#define TL_EXPIRED "#6d4c41"
#define TL_REVOKED "#b71c1c"
#define TL_WINDOW "#ffcdd2"
#define TL_UP "#90a4ae"
#define TL_FAULT "#ffb300"
#define TL_ACCEPT "#388e3c"
#define TL_REFUSE "#d32f2f"
#define TL_ISSUED "#546e7a"

struct timeline {
    struct scn_html *h;
    const struct scn_report_lab *lab;
    int64_t from_ms, to_ms;
    double ca_y, responder_y, users_y, bottom_y; /* lane tops, and where the axis goes */
    int64_t end_ms; /* the scenario's end: before to_ms when a staple outlives it */
};

bool scn_report_has_timeline(const struct scn_report_lab *lab)
{
    return lab->has_staple_events || lab->revocation_count > 0;
}

static double x_of(const struct timeline *t, int64_t ms)
{
    if (ms <= t->from_ms)
        return TL_X0;
    if (ms >= t->to_ms)
        return TL_X1;
    return TL_X0 + (double)(ms - t->from_ms) / (double)(t->to_ms - t->from_ms) * (TL_X1 - TL_X0);
}

static double staple_lane_y(size_t lane)
{
    return TL_TOP + (double)lane * TL_STAPLE_LANE;
}

/* ---- The clock's axis ----------------------------------------------------------------------- */

static int64_t tick_step_ms(int64_t span_ms)
{
    static const int64_t steps[] = {1,
                                    2,
                                    5,
                                    10,
                                    20,
                                    50,
                                    100,
                                    200,
                                    500,
                                    1000,
                                    2000,
                                    5000,
                                    10000,
                                    15000,
                                    30000,
                                    60000,
                                    120000,
                                    300000,
                                    600000,
                                    900000,
                                    1800000,
                                    3600000,
                                    7200000,
                                    10800000,
                                    21600000,
                                    43200000,
                                    86400000,
                                    172800000,
                                    604800000,
                                    1209600000,
                                    2592000000LL,
                                    7776000000LL,
                                    31536000000LL};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span_ms / steps[i] <= TL_MAX_TICKS)
            return steps[i];
    return span_ms / TL_MAX_TICKS + 1;
}

/* A tick's words: as precise as the step, with the day when the span has several. */
static void tick_text(int64_t ms, int64_t step, bool has_days, char *out, size_t cap)
{
    char text[40];
    if (clock_format_utc(ms / 1000,
                         step >= 86400000 ? "%m-%d"
                         : step >= 60000  ? (has_days ? "%m-%d %H:%M" : "%H:%M")
                                          : "%H:%M:%S",
                         text, sizeof text) != 0)
        snprintf(out, cap, "?");
    else if (step < 1000)
        snprintf(out, cap, "%s.%03d", text, (int)(ms % 1000));
    else
        snprintf(out, cap, "%s", text);
}

static void draw_axis(struct timeline *t)
{
    struct scn_html *h = t->h;
    int64_t span = t->to_ms - t->from_ms;
    int64_t step = tick_step_ms(span);
    bool has_days = t->from_ms / 86400000 != t->to_ms / 86400000;
    char text[96], from[32], to[32];
    scn_html_rawf(h, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#424242\"/>\n",
                  TL_X0, t->bottom_y, TL_X1, t->bottom_y);
    for (int64_t tick = (t->from_ms / step + (t->from_ms % step != 0)) * step; tick <= t->to_ms;
         tick += step) {
        double x = x_of(t, tick);
        scn_html_rawf(
            h,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#424242\"/>\n",
            x, TL_TOP, x, t->bottom_y, x, t->bottom_y, x, t->bottom_y + 5);
        tick_text(tick, step, has_days, text, sizeof text);
        /* Near the right end a tick's words end at it, not past the drawing. */
        bool is_last = x + SCN_SVG_CHAR_PX * (double)strlen(text) / 2 > SCN_SVG_WIDTH - 4;
        scn_svg_text(h, is_last ? x + 4 : x, t->bottom_y + 22,
                     is_last ? "text-anchor=\"end\" " SCN_SVG_TEXT
                             : "text-anchor=\"middle\" " SCN_SVG_TEXT,
                     text);
    }
    scn_svg_short_time(t->from_ms, from, sizeof from);
    scn_svg_short_time(t->to_ms, to, sizeof to);
    snprintf(text, sizeof text, "simulated time, UTC: %s → %s", from, to);
    scn_svg_text(h, TL_X0, t->bottom_y + 48, SCN_SVG_TEXT " fill=\"#616161\"", text);
}

/* ---- Lanes ---------------------------------------------------------------------------------- */

static void lane_frame(struct timeline *t, double y, double height, const char *name, int index)
{
    char fitted[96];
    scn_html_rawf(t->h, "<rect x=\"0\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>\n", y,
                  SCN_SVG_WIDTH, height, index % 2 == 0 ? "#fafafa" : "#f1f3f4");
    scn_ui_fit(name, TL_LABEL_CHARS, fitted, sizeof fitted);
    scn_svg_text(t->h, TL_LABEL_X, y + height / 2 + 6, SCN_SVG_TEXT " font-weight=\"bold\"",
                 fitted);
}

/* A small × (a failed fetch or request) centred at x, y. */
static void cross(struct scn_html *h, double x, double y, const char *colour, const char *title)
{
    scn_html_rawf(h,
                  "<g stroke=\"%s\" stroke-width=\"2.5\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                  "y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                  colour, x - 5, y - 5, x + 5, y + 5, x - 5, y + 5, x + 5, y - 5);
    scn_svg_title(h, title);
    scn_html_raw(h, "</g>\n");
}

static void staple_bar(struct timeline *t, const struct scn_report_mark *m, int sub_row)
{
    struct scn_html *h = t->h;
    char at[32], until[32], refresh[32], issued[48] = "", title[320];
    int64_t until_ms = m->until_ms != SCN_REPORT_NO_TIME ? m->until_ms : t->to_ms;
    double y = staple_lane_y((size_t)m->lane) + 7 + sub_row * 21;
    double x = x_of(t, m->at_ms), x_end = x_of(t, until_ms);
    scn_svg_short_time(m->at_ms, at, sizeof at);
    scn_svg_short_time(until_ms, until, sizeof until);
    if (m->refresh_ms != SCN_REPORT_NO_TIME)
        scn_svg_short_time(m->refresh_ms, refresh, sizeof refresh);
    if (m->this_update_ms != SCN_REPORT_NO_TIME) {
        char this_update[32];
        scn_svg_short_time(m->this_update_ms, this_update, sizeof this_update);
        snprintf(issued, sizeof issued, " (thisUpdate %s)", this_update);
    }
    snprintf(title, sizeof title, "%s at %s, a good one%s, valid until %s (nextUpdate)%s%s",
             m->text, at, issued, until,
             m->refresh_ms != SCN_REPORT_NO_TIME ? "; refresh due at " : "",
             m->refresh_ms != SCN_REPORT_NO_TIME ? refresh : "");
    /* In use until dropped (a newer staple, expiry, revocation); what was
     * left of its validity then is drawn faint. */
    double x_used = m->dropped_ms != SCN_REPORT_NO_TIME && m->dropped_ms < until_ms
                        ? x_of(t, m->dropped_ms)
                        : x_end;
    scn_html_rawf(h,
                  "<rect class=\"staple\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"17\" "
                  "fill=\"%s\" fill-opacity=\"0.8\">",
                  x, y, x_used - x > 2 ? x_used - x : 2, TL_STAPLE);
    scn_svg_title(h, title);
    scn_html_raw(h, "</rect>\n");
    if (x_end - x_used > 1) {
        scn_html_rawf(h,
                      "<rect class=\"staple-unused\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"17\" fill=\"%s\" fill-opacity=\"0.2\">",
                      x_used, y, x_end - x_used, TL_STAPLE);
        snprintf(title, sizeof title, "still valid until %s, but no longer stapled", until);
        scn_svg_title(h, title);
        scn_html_raw(h, "</rect>\n");
    }
    /* The fetch itself: a darker edge where the bar starts. */
    scn_html_rawf(h,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"2\"/>\n",
                  x, y - 2, x, y + 17, TL_REFRESH);
    if (until_ms > t->to_ms && x_used >= x_end) /* in use past the end of the drawing */
        scn_html_rawf(h, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>\n", x_end,
                      y - 1, x_end + 8, y + 8.5, x_end, y + 18, TL_STAPLE);
    if (m->refresh_ms != SCN_REPORT_NO_TIME && m->refresh_ms >= t->from_ms &&
        m->refresh_ms <= t->to_ms) {
        double xr = x_of(t, m->refresh_ms);
        scn_html_rawf(h,
                      "<line class=\"refresh\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                      "stroke=\"%s\" stroke-width=\"3\">",
                      xr, y - 3, xr, y + 18, TL_REFRESH);
        snprintf(title, sizeof title, "refresh due at %s (half of the validity)", refresh);
        scn_svg_title(h, title);
        scn_html_raw(h, "</line>\n");
    }
}

static void staple_event(struct timeline *t, const struct scn_report_mark *m)
{
    struct scn_html *h = t->h;
    char at[32], title[128];
    double x = x_of(t, m->at_ms), y = staple_lane_y((size_t)m->lane) + TL_STAPLE_LANE / 2.0;
    scn_svg_short_time(m->at_ms, at, sizeof at);
    snprintf(title, sizeof title, "%s at %s", m->text, at);
    if (m->kind == SCN_MARK_STAPLE_FAILED) {
        cross(h, x, y, TL_FAILED, title);
        return;
    }
    const char *colour = m->kind == SCN_MARK_STAPLE_EXPIRED ? TL_EXPIRED : TL_REVOKED;
    /* A diamond for an expiry, a square for the web server learning of a revocation. */
    if (m->kind == SCN_MARK_STAPLE_EXPIRED)
        scn_html_rawf(h, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\">",
                      x, y - 8, x + 8, y, x, y + 8, x - 8, y, colour);
    else
        scn_html_rawf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"%s\">",
                      x - 7, y - 7, colour);
    scn_svg_title(h, title);
    scn_html_raw(h, m->kind == SCN_MARK_STAPLE_EXPIRED ? "</polygon>\n" : "</rect>\n");
}

static void responder_mark(struct timeline *t, const struct scn_report_mark *m)
{
    struct scn_html *h = t->h;
    char at[32], until[32], title[160];
    double mid = t->responder_y + TL_LANE / 2.0;
    scn_svg_short_time(m->at_ms, at, sizeof at);
    if (m->kind == SCN_MARK_RESPONDER_FAILED) {
        snprintf(title, sizeof title, "%lld request%s got no answer at %s", (long long)m->refused,
                 m->refused == 1 ? "" : "s", at);
        cross(h, x_of(t, m->at_ms), mid, TL_FAILED, title);
        return;
    }
    bool is_faulty = strcmp(m->text, "none") != 0;
    double x = x_of(t, m->at_ms), x_end = x_of(t, m->until_ms);
    scn_svg_short_time(m->until_ms, until, sizeof until);
    snprintf(title, sizeof title, "the responder answered from %s to %s%s%s", at, until,
             is_faulty ? ", with fault " : "", is_faulty ? m->text : "");
    scn_html_rawf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"%s\">", x,
                  mid - 6, x_end - x > 2 ? x_end - x : 2, is_faulty ? TL_FAULT : TL_UP);
    scn_svg_title(h, title);
    scn_html_raw(h, "</rect>\n");
    if (is_faulty && x_end - x > SCN_SVG_CHAR_PX * (double)strlen(m->text) + 8)
        scn_svg_text(h, x + 4, mid - 9, SCN_SVG_TEXT, m->text);
}

/* Verdicts close together on the axis, drawn as one pair of dots. */
struct verdict_group {
    int64_t from_ms, to_ms;
    long long accepted, refused;
};

static void verdict_dot(struct timeline *t, double x, double y, const char *kind,
                        const char *colour, long long users, const char *title)
{
    char count[32];
    scn_html_rawf(t->h, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\">", kind,
                  x, y, colour);
    scn_svg_title(t->h, title);
    scn_html_raw(t->h, "</circle>\n");
    /* How many users the dot stands for: 21 visits are not one dot. */
    snprintf(count, sizeof count, "%lld", users);
    scn_svg_text(t->h, x + 9, y + 6, SCN_SVG_TEXT " fill=\"#212121\"", count);
}

static void verdict_group_draw(struct timeline *t, const struct verdict_group *g)
{
    char from[32], to[32], title[160];
    double x = x_of(t, g->from_ms), mid = t->users_y + TL_USERS_LANE / 2.0;
    scn_svg_short_time(g->from_ms, from, sizeof from);
    scn_svg_short_time(g->to_ms, to, sizeof to);
    if (strcmp(from, to) == 0)
        snprintf(title, sizeof title, "%s: %lld accepted, %lld refused", from, g->accepted,
                 g->refused);
    else
        snprintf(title, sizeof title, "%s to %s: %lld accepted, %lld refused", from, to,
                 g->accepted, g->refused);
    if (g->accepted > 0)
        verdict_dot(t, x, mid - 11, "accept", TL_ACCEPT, g->accepted, title);
    if (g->refused > 0)
        verdict_dot(t, x, mid + 11, "refuse", TL_REFUSE, g->refused, title);
}

/* The users' verdicts: marks closer than TL_VERDICT_PX on the axis share a
 * pair of dots, each labelled with how many users it stands for. */
static void verdicts(struct timeline *t)
{
    const struct scn_report_lab *lab = t->lab;
    size_t i = 0;
    while (i < lab->mark_count) {
        const struct scn_report_mark *first = &lab->marks[i];
        if (first->kind != SCN_MARK_VERDICTS) {
            i++;
            continue;
        }
        struct verdict_group g = {.from_ms = first->at_ms, .to_ms = first->at_ms};
        double x0 = x_of(t, first->at_ms);
        size_t j = i;
        for (; j < lab->mark_count; j++) {
            const struct scn_report_mark *m = &lab->marks[j];
            if (m->kind != SCN_MARK_VERDICTS)
                continue;
            if (x_of(t, m->at_ms) - x0 > TL_VERDICT_PX)
                break;
            g.accepted += m->accepted;
            g.refused += m->refused;
            g.to_ms = m->at_ms > g.to_ms ? m->at_ms : g.to_ms;
        }
        verdict_group_draw(t, &g);
        i = j;
    }
}

/* Past the scenario's end, when a staple outlives it: shaded, and said. */
static void after_the_end(struct timeline *t)
{
    if (t->end_ms >= t->to_ms)
        return;
    double x = x_of(t, t->end_ms);
    scn_html_rawf(t->h,
                  "<rect class=\"after-end\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" "
                  "fill=\"#eceff1\" fill-opacity=\"0.7\"/>\n"
                  "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#546e7a\" "
                  "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n",
                  x, TL_TOP, TL_X1 - x, t->bottom_y - TL_TOP, x, TL_TOP, x, t->bottom_y);
    const char *words = "the lesson ended here: after it, the staple's remaining life";
    bool is_right = x + SCN_SVG_CHAR_PX * (double)strlen(words) > TL_X1;
    scn_svg_text(t->h, is_right ? x - 6 : x + 6, t->responder_y + TL_LANE / 2.0 + 6,
                 is_right ? "text-anchor=\"end\" " SCN_SVG_TEXT " fill=\"#37474f\" "
                            "stroke=\"#ffffff\" stroke-width=\"5\" paint-order=\"stroke\""
                          : SCN_SVG_TEXT " fill=\"#37474f\"",
                 words);
}

static void issued_mark(struct timeline *t, const struct scn_report_mark *m)
{
    char title[96];
    double x = x_of(t, m->at_ms), y = t->ca_y + TL_LANE / 2.0;
    snprintf(title, sizeof title, "the CA issued a certificate for %s", m->text);
    scn_html_rawf(t->h, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\">", x, y - 6,
                  x + 6, y + 5, x - 6, y + 5, TL_ISSUED);
    scn_svg_title(t->h, title);
    scn_html_raw(t->h, "</polygon>\n");
}

/* ---- Revocations ---------------------------------------------------------------------------- */

/* "12h", "1d2h30m", or "850 ms" below a second. A window of an hour or
 * more is said to the minute, as the runner's watch says it: the second the
 * refresh itself took ("12h1s") is noise to a class. */
static void window_length(int64_t ms, char *out, size_t cap)
{
    if (ms < 1000)
        snprintf(out, cap, "%lld ms", (long long)(ms < 0 ? 0 : ms));
    else if (ms >= 3600 * 1000)
        clock_format_duration((ms + 30 * 1000) / 60000 * 60, out, cap);
    else
        clock_format_duration(ms / 1000, out, cap);
}

/* The words for a window: its length and what stapled visitors were told. */
static void window_words(const struct scn_report_lab *lab, const struct scn_report_revocation *r,
                         char *out, size_t cap)
{
    char length[48];
    bool is_open = r->end_ms == SCN_REPORT_NO_TIME;
    window_length((is_open ? lab->end_ms : r->end_ms) - r->at_ms, length, sizeof length);
    if (r->told_good > 0)
        snprintf(out, cap, "revocation window: %s%s — %lld stapled visit%s still told 'good'",
                 is_open ? "at least " : "", length, (long long)r->told_good,
                 r->told_good == 1 ? " was" : "s were");
    else
        snprintf(out, cap, "revocation window: %s%s — the web server still held a 'good' staple",
                 is_open ? "at least " : "", length);
}

static void revocation_shade(struct timeline *t, const struct scn_report_revocation *r, int index)
{
    struct scn_html *h = t->h;
    char words[256];
    int64_t end_ms = r->end_ms != SCN_REPORT_NO_TIME ? r->end_ms : t->end_ms;
    double x = x_of(t, r->at_ms), x_end = x_of(t, end_ms);
    window_words(t->lab, r, words, sizeof words);
    scn_html_rawf(h,
                  "<rect class=\"revocation-window\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
                  "height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.6\">",
                  x, TL_TOP, x_end - x > 3 ? x_end - x : 3, t->bottom_y - TL_TOP, TL_WINDOW);
    scn_svg_title(h, words);
    scn_html_raw(h, "</rect>\n");
    /* Anchored at the right end when the words would run off the drawing. */
    double y = 18 + (index % 2) * 20;
    bool is_right = x + SCN_SVG_CHAR_PX * (double)strlen(words) > TL_X1;
    scn_svg_text(h, is_right ? TL_X1 : x + 4, y,
                 is_right ? "text-anchor=\"end\" " SCN_SVG_TEXT " font-weight=\"bold\" "
                            "fill=\"#b71c1c\""
                          : SCN_SVG_TEXT " font-weight=\"bold\" fill=\"#b71c1c\"",
                 words);
}

static void revocation_line(struct timeline *t, const struct scn_report_revocation *r)
{
    struct scn_html *h = t->h;
    char words[160];
    double x = x_of(t, r->at_ms);
    snprintf(words, sizeof words, "REVOKED %s (%s)", r->name, r->reason);
    scn_html_rawf(h,
                  "<line class=\"revoked\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
                  "stroke=\"%s\" stroke-width=\"2.5\">",
                  x, TL_TOP - 4, x, t->bottom_y, TL_REVOKED);
    scn_svg_title(h, words);
    scn_html_raw(h, "</line>\n");
    bool is_right = x + SCN_SVG_CHAR_PX * (double)strlen(words) > TL_X1;
    scn_svg_text(h, is_right ? x - 4 : x + 4, t->ca_y + TL_LANE / 2.0 + 6,
                 is_right ? "text-anchor=\"end\" " SCN_SVG_TEXT " fill=\"#b71c1c\""
                          : SCN_SVG_TEXT " fill=\"#b71c1c\"",
                 words);
}

/* The same windows in words, below the drawing: what a class reads aloud. */
static void window_paragraphs(struct scn_html *h, const struct scn_report_lab *lab)
{
    for (size_t i = 0; i < lab->revocation_count; i++) {
        const struct scn_report_revocation *r = &lab->revocations[i];
        char at[32], end[32], words[256];
        scn_svg_short_time(r->at_ms, at, sizeof at);
        scn_html_raw(h, "<p class=\"window\">");
        if (!r->had_staple) {
            scn_html_textf(h,
                           "%s was revoked at %s (%s); no web server held a staple of it, so "
                           "there was no window for stapled visitors.",
                           r->name, at, r->reason);
            scn_html_raw(h, "</p>\n");
            continue;
        }
        window_words(lab, r, words, sizeof words);
        if (r->end_ms != SCN_REPORT_NO_TIME) {
            scn_svg_short_time(r->end_ms, end, sizeof end);
            scn_html_textf(h, "%s: %s was revoked at %s (%s); the window closed at %s: %s.", words,
                           r->name, at, r->reason, end, r->end_why);
        } else {
            scn_html_textf(h,
                           "%s: %s was revoked at %s (%s) and the window was still open "
                           "when the scenario ended.",
                           words, r->name, at, r->reason);
        }
        scn_html_raw(h, "</p>\n");
    }
    if (lab->revocations_dropped > 0)
        scn_html_rawf(h, "<p class=\"note\">%lld more revocations are not drawn.</p>\n",
                      (long long)lab->revocations_dropped);
    if (lab->marks_dropped > 0)
        scn_html_rawf(h,
                      "<p class=\"note\">The drawing keeps the first %d marks; %lld later ones "
                      "are not drawn.</p>\n",
                      SCN_REPORT_MAX_MARKS, (long long)lab->marks_dropped);
}

void scn_report_timeline(struct scn_html *h, const struct scn_report_lab *lab)
{
    struct timeline t = {.h = h, .lab = lab, .from_ms = lab->start_ms, .to_ms = lab->end_ms};
    char name[320];
    int sub_rows[SCN_REPORT_MAX_STAPLE_LANES] = {0};
    if (t.from_ms == SCN_REPORT_NO_TIME || t.to_ms == SCN_REPORT_NO_TIME)
        return; /* no event had a time */
    t.end_ms = t.to_ms;
    /* The staple's life, not only the lesson's: a staple still valid when
     * the scenario ended stretches the axis to its nextUpdate, so a lesson
     * that lasted a second still shows the day the staple covers and the
     * refresh due at half-life. */
    for (size_t i = 0; i < lab->mark_count; i++) {
        const struct scn_report_mark *m = &lab->marks[i];
        if (m->kind == SCN_MARK_STAPLE && m->dropped_ms == SCN_REPORT_NO_TIME &&
            m->until_ms != SCN_REPORT_NO_TIME && m->until_ms > t.to_ms)
            t.to_ms = m->until_ms < t.end_ms + TL_MAX_STRETCH_MS ? m->until_ms
                                                                 : t.end_ms + TL_MAX_STRETCH_MS;
    }
    if (t.to_ms - t.from_ms < 1000) {
        /* Everything within a second: a second's axis still reads well. */
        t.to_ms = t.from_ms + 1000;
        t.end_ms = t.to_ms;
    }
    size_t staple_lanes = lab->staple_lane_count > 0 ? lab->staple_lane_count : 1;
    t.ca_y = staple_lane_y(staple_lanes);
    t.responder_y = t.ca_y + TL_LANE;
    t.users_y = t.responder_y + TL_LANE;
    t.bottom_y = t.users_y + TL_USERS_LANE + 6;
    snprintf(name, sizeof name, "staple timeline of %s", lab->name);
    scn_svg_open(h, SCN_SVG_WIDTH, (int)(t.bottom_y + TL_AXIS), name);
    for (size_t i = 0; i < staple_lanes; i++) {
        snprintf(name, sizeof name, "%s's staple",
                 lab->staple_lane_count > 0 ? lab->staple_lanes[i] : "web server");
        lane_frame(&t, staple_lane_y(i), TL_STAPLE_LANE, name, (int)i);
    }
    lane_frame(&t, t.ca_y, TL_LANE, "CA", (int)staple_lanes);
    lane_frame(&t, t.responder_y, TL_LANE, "responder", (int)staple_lanes + 1);
    lane_frame(&t, t.users_y, TL_USERS_LANE, "users", (int)staple_lanes + 2);
    after_the_end(&t);
    for (size_t i = 0; i < lab->revocation_count; i++)
        if (lab->revocations[i].had_staple)
            revocation_shade(&t, &lab->revocations[i], (int)i);
    draw_axis(&t);
    for (size_t i = 0; i < lab->mark_count; i++) {
        const struct scn_report_mark *m = &lab->marks[i];
        switch (m->kind) {
        case SCN_MARK_STAPLE:
            staple_bar(&t, m, sub_rows[m->lane]++ % 2);
            break;
        case SCN_MARK_STAPLE_FAILED:
        case SCN_MARK_STAPLE_EXPIRED:
        case SCN_MARK_STAPLE_REVOKED:
            staple_event(&t, m);
            break;
        case SCN_MARK_ISSUED:
            issued_mark(&t, m);
            break;
        case SCN_MARK_RESPONDER_UP:
        case SCN_MARK_RESPONDER_FAILED:
            responder_mark(&t, m);
            break;
        case SCN_MARK_VERDICTS:
            break; /* grouped below */
        }
    }
    verdicts(&t);
    for (size_t i = 0; i < lab->revocation_count; i++)
        revocation_line(&t, &lab->revocations[i]);
    scn_svg_close(h);
    window_paragraphs(h, lab);
}
