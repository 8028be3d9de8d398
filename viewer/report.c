/* report.c — the report's page: the labs read, then the sections in order
 * (overview, comparison, chart, timelines, privacy, ladders, footer), then
 * the file written atomically. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "fileio.h"
#include "report_data.h"
#include "report_privacy.h"
#include "report_svg.h"
#include "table.h"

/* Inline only: the page is projected offline. Colours chosen to survive a
 * projector (dark text, saturated fills); no text under 16 px at 1280 px
 * wide (the drawings are never scaled down there: report_svg.h). */
static const char page_style[] =
    "body{font-family:\"DejaVu Sans\",sans-serif;color:#212121;background:#ffffff;"
    "width:1200px;margin:0 auto;padding:12px 20px;font-size:18px;line-height:1.45}\n"
    "h1{font-size:32px;margin:8px 0 4px}\n"
    "h2{font-size:26px;margin:32px 0 8px;border-bottom:2px solid #cfd8dc;padding-bottom:4px}\n"
    "h3{font-size:21px;margin:20px 0 6px}\n"
    "p,li{text-wrap:pretty}\n"
    "table{border-collapse:collapse;margin:8px 0}\n"
    "th,td{border:1px solid #cfd8dc;padding:4px 10px;text-align:left}\n"
    "thead th{background:#eceff1;font-size:16px;vertical-align:bottom}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tbody th{white-space:nowrap}\n"
    "code{font-family:\"DejaVu Sans Mono\",monospace;font-size:16px;background:#f5f5f5;"
    "padding:1px 4px}\n"
    ".dim{color:#616161}\n"
    ".warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:6px 10px}\n"
    ".window{color:#b71c1c;font-weight:bold}\n"
    ".note,.more{color:#616161;font-style:italic}\n"
    ".legend{white-space:nowrap}\n"
    ".sw{display:inline-block;width:16px;height:16px;margin:0 4px 0 14px;"
    "vertical-align:middle}\n"
    "svg{display:block;margin:6px 0;max-width:100%;height:auto}\n"
    /* Present mode, a checkbox and its label (no script): one section per
     * screen, larger words, Page Down moves on a screen at a time. */
    "#present{position:fixed;top:12px;right:14px;width:20px;height:20px;margin:0}\n"
    ".present-switch{position:fixed;top:8px;right:40px;font-size:16px;background:#eceff1;"
    "padding:4px 10px;border-radius:4px;cursor:pointer}\n"
    "html:has(#present:checked){scroll-snap-type:y proximity}\n"
    "#present:checked~main{font-size:22px}\n"
    "#present:checked~main>section,#present:checked~main .timeline,"
    "#present:checked~main #ladder>section{min-height:100vh;box-sizing:border-box;"
    "scroll-snap-align:start;padding-top:12px}\n"
    "@media print{body{width:auto;padding:0}h2,h3{break-after:avoid}"
    "#requests-chart svg,#staple-timeline svg{break-inside:avoid}"
    "#present,.present-switch{display:none}"
    "#present:checked~main>section{break-before:page}}\n";

/* PREFIX-NAME as an element id (or a link to one): of the lab's name,
 * letters, digits, '.', '_' and '-' are kept, anything else becomes '-'. */
static void lab_id(struct scn_html *h, const char *prefix, const char *name)
{
    char id[256];
    size_t n = 0;
    for (const char *s = name; *s != 0 && n + 1 < sizeof id; s++) {
        char c = *s;
        bool is_kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
        id[n++] = is_kept ? c : '-';
    }
    id[n] = 0;
    scn_html_raw(h, prefix);
    scn_html_text(h, id);
}

/* "2026-11-25 14:38" (UTC), or "?" for no time. */
static void time_text(int64_t ms, char *out, size_t cap)
{
    if (ms == SCN_REPORT_NO_TIME)
        snprintf(out, cap, "?");
    else /* whole seconds rounded down, also before 1970 */
        clock_format_utc(ms / 1000 - (ms % 1000 < 0), "%Y-%m-%d %H:%M", out, cap);
}

static void trace_command(const struct scn_report_lab *lab, char *out, size_t cap)
{
    snprintf(out, cap, "scenario trace --lab %s", lab->dir);
}

/* ---- Sections ------------------------------------------------------------------------------- */

static void overview(struct scn_html *h, const struct scn_report_input *in,
                     struct scn_report_lab *const *labs, size_t count,
                     const struct scn_report_result *res)
{
    int64_t from = SCN_REPORT_NO_TIME, to = SCN_REPORT_NO_TIME;
    char a[32], b[32], made[32];
    for (size_t i = 0; i < count; i++) {
        const struct scn_report_lab *lab = labs[i];
        if (lab->start_ms != SCN_REPORT_NO_TIME &&
            (from == SCN_REPORT_NO_TIME || lab->start_ms < from))
            from = lab->start_ms;
        if (lab->end_ms != SCN_REPORT_NO_TIME && (to == SCN_REPORT_NO_TIME || lab->end_ms > to))
            to = lab->end_ms;
    }
    time_text(from, a, sizeof a);
    time_text(to, b, sizeof b);
    time_text(in->generated_ms, made, sizeof made);
    scn_html_raw(h, "<section id=\"overview\">\n<h1>OCSP Stapling Lab — report</h1>\n"
                    "<p class=\"dim\">");
    scn_html_textf(h, "%zu lab%s from ", count, count == 1 ? "" : "s");
    scn_html_raw(h, "<code>");
    scn_html_text(h, in->source);
    scn_html_raw(h, "</code>");
    scn_html_textf(h, " · simulated time %s → %s UTC · made %s UTC (real time)", a, b, made);
    scn_html_raw(h, "</p>\n<ul class=\"labs\">\n");
    for (size_t i = 0; i < count; i++) {
        const struct scn_report_lab *lab = labs[i];
        time_text(lab->start_ms, a, sizeof a);
        time_text(lab->end_ms, b, sizeof b);
        scn_html_raw(h, "<li><a href=\"");
        lab_id(h, "#ladder-", lab->name);
        scn_html_raw(h, "\"><strong>");
        scn_html_text(h, lab->name);
        scn_html_raw(h, "</strong></a> — ");
        scn_html_text(h, lab->title[0] != 0 ? lab->title : "(no title)");
        scn_html_raw(h, " <span class=\"dim\">");
        scn_html_textf(h, "(simulated %s → %s, %ld event%s%s)", a, b, lab->events,
                       lab->events == 1 ? "" : "s",
                       lab->has_program_events ? "" : "; narration only, not in the table");
        scn_html_raw(h, "</span></li>\n");
    }
    scn_html_raw(h, "</ul>\n<p class=\"toc\">On this page: <a href=\"#comparison\">the "
                    "comparison</a> · <a href=\"#requests-chart\">visits and requests at the "
                    "CA</a> · <a href=\"#staple-timeline\">the staple's life</a> · <a "
                    "href=\"#privacy\">what the CA learned</a> · <a href=\"#ladder\">who sent "
                    "what to whom</a></p>\n");
    if (res->skipped > 0) {
        scn_html_rawf(h,
                      "<p class=\"warn\">%ld malformed, truncated or overlong trace line%s "
                      "skipped (",
                      res->skipped, res->skipped == 1 ? " was" : "s were");
        bool is_first = true;
        for (size_t i = 0; i < count; i++) {
            if (labs[i]->skipped == 0)
                continue;
            scn_html_raw(h, is_first ? "" : ", ");
            scn_html_text(h, labs[i]->name);
            scn_html_rawf(h, ": %ld", labs[i]->skipped);
            is_first = false;
        }
        scn_html_raw(h, "); the first ones were listed with their line numbers when the "
                        "report was made, and <code>scenario trace</code> lists them too.</p>\n");
    }
    if (in->count > count)
        scn_html_rawf(h,
                      "<p class=\"warn\">Only the first %zu labs are in this report; %zu more "
                      "were left out.</p>\n",
                      count, in->count - count);
    scn_html_raw(h, "</section>\n");
}

/* The runner's second table: each lab's revocation window (its last watch)
 * and what its users got while the CA was down (lesson 9's five ways). */
static void window_table(struct scn_html *h, struct scn_report_lab *const *labs, size_t count,
                         const struct scn_table *rows)
{
    if (!scn_table_has_window_cells(rows))
        return;
    scn_html_raw(h, "<table class=\"numbers\" id=\"windows\"><thead><tr><th>lab</th>"
                    "<th>revocation window</th><th>users accepted with the CA down</th></tr>"
                    "</thead>\n<tbody>\n");
    for (size_t i = 0; i < count; i++) {
        const struct scn_table_row *row = &labs[i]->table;
        if (!labs[i]->has_program_events || (!row->has_window && row->ca_down_users == 0))
            continue;
        char window[32], ca_down[48];
        scn_table_window_cells(row, window, sizeof window, ca_down, sizeof ca_down);
        scn_html_raw(h, "<tr data-lab=\"");
        scn_html_text(h, labs[i]->name);
        scn_html_raw(h, "\"><th scope=\"row\">");
        scn_html_text(h, labs[i]->name);
        scn_html_raw(h, "</th><td class=\"num\" data-col=\"window\">");
        scn_html_text(h, window);
        scn_html_raw(h, "</td><td class=\"num\" data-col=\"ca-down\">");
        scn_html_text(h, ca_down);
        scn_html_raw(h, "</td></tr>\n");
    }
    scn_html_raw(h, "</tbody></table>\n");
}

static void comparison(struct scn_html *h, struct scn_report_lab *const *labs, size_t count)
{
    static const char *const columns[SCN_TABLE_COLUMNS] = {"users",
                                                           "stapled",
                                                           "asked the CA",
                                                           "requests at the CA (OCSP, CRL)",
                                                           "bytes from the CA",
                                                           "addresses the CA saw",
                                                           "visit ms, alone",
                                                           "visit ms, in crowd"};
    static const char *const keys[SCN_TABLE_COLUMNS] = {
        "users", "stapled", "asked", "requests", "bytes", "addresses", "alone-ms", "crowd-ms"};
    scn_html_raw(h, "<section id=\"comparison\">\n<h2>The comparison</h2>\n"
                    "<p>One row per lab, as the runner's closing table shows it, counted from "
                    "the trace alone: users are the browsers' verdicts, <em>stapled</em> the "
                    "users who got a staple, <em>asked the CA</em> the users who queried the "
                    "responder themselves; the CA's side is every answer (and refusal) its "
                    "responder logged.</p>\n<table class=\"numbers\"><thead><tr><th>lab</th>");
    for (int c = 0; c < SCN_TABLE_COLUMNS; c++)
        scn_html_rawf(h, "<th>%s</th>", columns[c]);
    scn_html_raw(h, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < count; i++) {
        const struct scn_report_lab *lab = labs[i];
        struct scn_table_cells cells;
        if (!lab->has_program_events)
            continue;
        scn_table_cells(&lab->table, &cells);
        scn_html_raw(h, "<tr data-lab=\"");
        scn_html_text(h, lab->name);
        scn_html_raw(h, "\"><th scope=\"row\">");
        scn_html_text(h, lab->name);
        scn_html_raw(h, "</th>");
        for (int c = 0; c < SCN_TABLE_COLUMNS; c++) {
            scn_html_rawf(h, "<td class=\"num\" data-col=\"%s\">", keys[c]);
            scn_html_text(h, cells.text[c]);
            scn_html_raw(h, "</td>");
        }
        scn_html_raw(h, "</tr>\n");
    }
    scn_html_raw(h, "</tbody></table>\n<p id=\"latency\">");
    char words[1024];
    struct scn_table rows = {0};
    for (size_t i = 0; i < count && rows.count < SCN_MAX_ROWS; i++)
        if (labs[i]->has_program_events)
            rows.rows[rows.count++] = labs[i]->table;
    scn_table_latency_words(&rows, words, sizeof words);
    scn_html_text(h, words);
    scn_html_raw(h, "</p>\n");
    window_table(h, labs, count, &rows);
    scn_html_raw(h, "</section>\n");
}

static void requests_chart(struct scn_html *h, struct scn_report_lab *const *labs, size_t count)
{
    scn_html_raw(h, "<section id=\"requests-chart\">\n<h2>Visits and requests at the CA</h2>\n"
                    "<p>Left, the visits of each lab and how many got a staple; right, every "
                    "OCSP request the CA's responder answered, by who asked. Without stapling "
                    "each visitor asks the CA; with it, the web server asks about twice a day "
                    "for everyone, however many visit.</p>\n");
    scn_report_chart(h, (const struct scn_report_lab *const *)labs, count);
    scn_html_raw(h, "</section>\n");
}

/* A section only some runs have: drawn when some lab has what it shows. */
static void optional_section(struct scn_html *h, struct scn_report_lab *const *labs, size_t count,
                             bool (*has)(const struct scn_report_lab *), const char *opening,
                             void (*draw)(struct scn_html *, const struct scn_report_lab *const *,
                                          size_t))
{
    bool is_shown = false;
    for (size_t i = 0; i < count; i++)
        is_shown = is_shown || has(labs[i]);
    if (!is_shown)
        return;
    scn_html_raw(h, opening);
    draw(h, (const struct scn_report_lab *const *)labs, count);
    scn_html_raw(h, "</section>\n");
}

static void against_users(struct scn_html *h, struct scn_report_lab *const *labs, size_t count)
{
    optional_section(
        h, labs, count, scn_report_has_sweep,
        "<section id=\"sweep-chart\">\n<h2>Against the number of users</h2>\n"
        "<p>The same lessons played at several crowd sizes (<code>scenario run --sweep "
        "users=…</code>), both axes in powers of ten. Without stapling every visitor asks the "
        "CA, so its load rises with the crowd; with stapling the web server asks for everyone, "
        "and the line stays flat.</p>\n",
        scn_report_sweep);
}

static void behind_a_cache(struct scn_html *h, struct scn_report_lab *const *labs, size_t count)
{
    optional_section(
        h, labs, count, scn_report_has_cache,
        "<section id=\"cache-chart\">\n<h2>Behind a cache</h2>\n"
        "<p>An HTTP cache in front of the CA's responder (RFC 5019: a GET's URL is the question, "
        "so one signed answer serves everyone who asks it) took the browsers' requests. Red: "
        "what the CA would have answered without it; blue: what reached it. The cache also "
        "keeps a revoked certificate's old answer until its max-age runs out: see the lesson's "
        "window.</p>\n",
        scn_report_cache);
}

static void legend_swatch(struct scn_html *h, const char *colour, const char *words)
{
    /* A swatch never parts from its words at a line's end. */
    scn_html_rawf(h,
                  "<span class=\"legend\"><span class=\"sw\" style=\"background:%s\"></span>%s"
                  "</span> ",
                  colour, words);
}

static void staple_timelines(struct scn_html *h, struct scn_report_lab *const *labs, size_t count)
{
    size_t drawn = 0;
    scn_html_raw(h, "<section id=\"staple-timeline\">\n<h2>The staple's life</h2>\n"
                    "<p>On the simulated clock, from the scenario's start to its end, or on to "
                    "the nextUpdate of a staple still in use when it ended (a day drawn as a "
                    "day): each staple the web server fetched, valid until its nextUpdate (the "
                    "thick tick is the refresh at half-life), the responder up or down, the users' "
                    "verdicts, and the CA's revocations with the <strong>revocation "
                    "window</strong> shaded: how long stapled visitors could still be told "
                    "'good'.</p>\n<p class=\"dim\">");
    legend_swatch(h, "#00897b", "a good staple (faint: still valid, no longer stapled)");
    legend_swatch(h, "#ef6c00", "a fetch or request that failed (×)");
    legend_swatch(h, "#6d4c41", "staple expired (◆)");
    legend_swatch(h, "#b71c1c", "revoked / learned of it (■)");
    legend_swatch(h, "#ffcdd2", "revocation window");
    legend_swatch(h, "#90a4ae", "responder up");
    legend_swatch(h, "#ffb300", "responder faulty");
    legend_swatch(h, "#388e3c", "accepted");
    legend_swatch(h, "#d32f2f", "refused");
    scn_html_raw(h, "</p>\n");
    for (size_t i = 0; i < count; i++) {
        const struct scn_report_lab *lab = labs[i];
        if (!scn_report_has_timeline(lab))
            continue;
        scn_html_raw(h, "<div class=\"timeline\" id=\"");
        lab_id(h, "timeline-", lab->name);
        scn_html_raw(h, "\">\n<h3>");
        scn_html_text(h, lab->name);
        scn_html_raw(h, "</h3>\n");
        scn_report_timeline(h, lab);
        scn_html_raw(h, "</div>\n");
        drawn++;
    }
    if (drawn == 0)
        scn_html_raw(h, "<p>No lab had a web server stapling, or a revocation.</p>\n");
    scn_html_raw(h, "</section>\n");
}

static void privacy(struct scn_html *h, struct scn_report_lab *const *labs, size_t count)
{
    scn_html_raw(h, "<section id=\"privacy\">\n<h2>What the CA learned</h2>\n"
                    "<p>Every OCSP request tells the CA which certificate someone is checking, "
                    "and from which address: the site a browser visits. The responder's log, "
                    "lab by lab.</p>\n");
    for (size_t i = 0; i < count; i++) {
        if (!labs[i]->has_program_events)
            continue;
        scn_html_raw(h, "<h3>");
        scn_html_text(h, labs[i]->name);
        scn_html_raw(h, "</h3>\n");
        scn_report_privacy(h, labs[i]);
    }
    scn_html_raw(h, "</section>\n");
}

static void ladders(struct scn_html *h, struct scn_report_lab *const *labs, size_t count)
{
    char command[LAB_PATH_MAX + 32];
    scn_html_rawf(h,
                  "<section id=\"ladder\">\n<h2>Who sent what to whom</h2>\n<p>Each lab's "
                  "trace as a ladder diagram, as <code>scenario trace</code> draws it: one "
                  "lane per party, arrows for messages, boxes for conclusions, the story "
                  "between the rows. Each user's visit is told in order, and alike visits "
                  "are drawn once (×N); at most %d rows per lab.</p>\n",
                  SCN_REPORT_MAX_ROWS);
    for (size_t i = 0; i < count; i++) {
        const struct scn_report_lab *lab = labs[i];
        trace_command(lab, command, sizeof command);
        scn_html_raw(h, "<section id=\"");
        lab_id(h, "ladder-", lab->name);
        scn_html_raw(h, "\">\n<h3>");
        scn_html_text(h, lab->name);
        if (lab->title[0] != 0) {
            scn_html_raw(h, ": ");
            scn_html_text(h, lab->title);
        }
        scn_html_raw(h, "</h3>\n");
        scn_report_ladder(h, lab, command);
        scn_html_raw(h, "</section>\n");
    }
    scn_html_raw(h, "</section>\n");
}

static void footer(struct scn_html *h, const struct scn_report_input *in,
                   struct scn_report_lab *const *labs, size_t count)
{
    char command[LAB_PATH_MAX + 32];
    scn_html_raw(h, "<section id=\"footer\">\n<h2>The same in a terminal</h2>\n<p>");
    scn_html_raw(h, "<code>scenario trace --lab ");
    scn_html_text(h, in->source);
    scn_html_raw(h, "</code> draws every lab's ladder; one lab at a time:</p>\n<ul>\n");
    for (size_t i = 0; i < count; i++) {
        trace_command(labs[i], command, sizeof command);
        scn_html_raw(h, "<li><code>");
        scn_html_text(h, command);
        scn_html_raw(h, "</code></li>\n");
    }
    scn_html_raw(h, "</ul>\n<p class=\"dim\">Filters: <code>--actor</code>, <code>--event "
                    "'ocsp.*'</code>, <code>--user N</code>, <code>--since</code>/"
                    "<code>--until</code>; <code>--json</code> for jq.");
    scn_html_rawf(h, " Made by <code>scenario report</code> (OCSP Stapling Lab %s).</p>\n",
                  OCSPLAB_VERSION);
    scn_html_raw(h, "</section>\n");
}

/* ---- The page ------------------------------------------------------------------------------- */

int scn_report_build(const struct scn_report_input *in, FILE *errs, struct scn_html *page,
                     struct scn_report_result *result, struct errbuf *err)
{
    int rc = -1;
    size_t count = in->count < SCN_REPORT_MAX_LABS ? in->count : SCN_REPORT_MAX_LABS;
    struct scn_report_lab **labs = calloc(count > 0 ? count : 1, sizeof *labs);
    memset(result, 0, sizeof *result);
    scn_html_init(page, SCN_REPORT_MAX_BYTES);
    if (labs == NULL) {
        errbuf_set(err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        labs[i] = calloc(1, sizeof *labs[i]);
        if (labs[i] == NULL) {
            errbuf_set(err, "out of memory");
            goto out;
        }
        if (scn_report_lab_read(labs[i], in->dirs[i], in->names[i], errs, err) != 0)
            goto out;
        result->labs++;
        result->events += labs[i]->events;
        result->skipped += labs[i]->skipped;
    }
    scn_html_raw(page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<title>OCSP Stapling Lab — report</title>\n<style>\n");
    scn_html_raw(page, page_style);
    scn_html_raw(page, "</style>\n</head>\n<body>\n");
    scn_html_rawf(page,
                  "<input type=\"checkbox\" id=\"present\"%s>"
                  "<label class=\"present-switch\" for=\"present\">present: a section a "
                  "screen</label>\n<main>\n",
                  in->is_present ? " checked" : "");
    overview(page, in, labs, count, result);
    comparison(page, labs, count);
    requests_chart(page, labs, count);
    against_users(page, labs, count);
    behind_a_cache(page, labs, count);
    staple_timelines(page, labs, count);
    privacy(page, labs, count);
    ladders(page, labs, count);
    footer(page, in, labs, count);
    scn_html_raw(page, "</main>\n</body>\n</html>\n");
    if (page->is_too_large) {
        errbuf_set(err, "the report would be larger than %u MB", SCN_REPORT_MAX_BYTES >> 20);
        goto out;
    }
    if (page->is_out_of_memory) {
        errbuf_set(err, "out of memory while making the report");
        goto out;
    }
    result->bytes = page->len;
    rc = 0;
out:
    for (size_t i = 0; i < count; i++) {
        scn_report_lab_free(labs[i]);
        free(labs[i]);
    }
    free(labs);
    return rc;
}

int scn_report_write(const struct scn_report_input *in, const char *path, FILE *errs,
                     struct scn_report_result *result, struct errbuf *err)
{
    struct scn_html page;
    int rc = scn_report_build(in, errs, &page, result, err);
    if (rc == 0)
        rc = file_write_atomic(path, page.data, page.len, 0644, err);
    scn_html_free(&page);
    return rc;
}
