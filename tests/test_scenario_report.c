/* test_scenario_report.c — `scenario report` from hand-written traces in a
 * scratch directory: the page's structure (doctype, the sections in order,
 * one drawing per chart), the comparison's numbers (huge ones saturate,
 * never wrap), trace text escaped everywhere, bad lines counted and
 * reported, the revocation window when a revocation precedes the refusals
 * (and none without a staple), every bound held on a big trace, nothing
 * external on the page; and the pieces: the HTML escaping and size cap, the
 * counted map, the RFC 3339 reader. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../viewer/countmap.h"
#include "../viewer/htmlbuf.h"
#include "../viewer/report.h"
#include "../viewer/report_data.h"
#include "../viewer/report_privacy.h"
#include "../viewer/ui.h"
#include "report_page.h"
#include "testutil.h"
#include "trace.h"

/* Trace lines are written one event per line, as they read: the blocks of
 * them are kept out of clang-format (which would run adjacent EV()s together). */
#define EV(ts, rest) "{\"ts\":\"2026-11-25T" ts "Z\"," rest "}\n"
#define SERIAL "\"serial\":\"489909E80CF3516D59E7423D092D74AA\""

/* A stapled shop: the web server fetches a staple, two users accept it, the
 * CA revokes the certificate, a user without a staple accepts anyway (soft
 * fail: not told "good" by a staple), one is still told "good" six hours later,
 * the web server learns at its refresh twelve hours after the revocation,
 * and a user who checks directly is refused. */
/* clang-format off */
static const char stapled_trace[] =
    EV("10:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.start\","
                       "\"msg\":\"m\",\"title\":\"With stapling\"")
    EV("10:00:00.010", "\"actor\":\"ca\",\"pid\":2,\"event\":\"ca.cert.issued\",\"msg\":\"m\","
                       SERIAL ",\"name\":\"shop.test\"")
    EV("10:00:00.020", "\"actor\":\"responder\",\"pid\":4,\"event\":\"responder.start\","
                       "\"msg\":\"m\",\"fault\":\"none\"")
    EV("10:00:00.030", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"ocsp.request.sent\","
                       "\"msg\":\"m\"," SERIAL)
    EV("10:00:00.040", "\"actor\":\"responder\",\"pid\":4,\"event\":\"ocsp.response.sent\","
                       "\"msg\":\"m\"," SERIAL ",\"name\":\"shop.test\",\"requester\":\"webserver\","
                       "\"client\":\"127.0.0.1\",\"status\":\"good\",\"bytes\":700,"
                       "\"next_update\":\"2026-11-26T10:00:00.000Z\"")
    EV("10:00:00.050", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"staple.fetch.ok\","
                       "\"msg\":\"m\"," SERIAL ",\"status\":\"good\","
                       "\"this_update\":\"2026-11-25T09:59:00.000Z\","
                       "\"next_update\":\"2026-11-26T10:00:00.000Z\","
                       "\"next_refresh\":\"2026-11-25T22:00:00.000Z\"")
    EV("10:00:00.055", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"tls.handshake.done\","
                       "\"msg\":\"m\",\"peer\":\"127.0.0.1\",\"stapled\":false")
    EV("10:00:01.000", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.start\","
                       "\"msg\":\"m\",\"staple\":\"on\"")
    EV("10:00:01.010", "\"actor\":\"browser\",\"pid\":5,\"event\":\"tls.client_hello\","
                       "\"msg\":\"m\",\"user\":1,\"status_request\":true")
    EV("10:00:01.020", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"tls.handshake.done\","
                       "\"msg\":\"m\",\"peer\":\"127.0.1.1\",\"stapled\":true")
    EV("10:00:01.030", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.verdict\","
                       "\"msg\":\"m\",\"user\":1,\"site\":\"shop.test\",\"verdict\":\"accept\","
                       "\"reason\":\"good\",\"staple\":true,\"ms\":20,\"alone\":true")
    EV("10:00:01.040", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.verdict\","
                       "\"msg\":\"m\",\"user\":2,\"site\":\"shop.test\",\"verdict\":\"accept\","
                       "\"reason\":\"good\",\"staple\":true,\"ms\":40")
    EV("10:00:02.000", "\"actor\":\"ca\",\"pid\":6,\"event\":\"ca.cert.revoked\",\"msg\":\"m\","
                       SERIAL ",\"name\":\"shop.test\",\"reason\":\"keyCompromise\"")
    EV("14:00:00.000", "\"actor\":\"browser\",\"pid\":9,\"event\":\"browser.verdict\","
                       "\"msg\":\"m\",\"user\":4,\"site\":\"shop.test\",\"verdict\":\"accept\","
                       "\"reason\":\"soft-fail\",\"staple\":false,\"ms\":60")
    EV("16:00:00.000", "\"actor\":\"browser\",\"pid\":8,\"event\":\"browser.verdict\","
                       "\"msg\":\"m\",\"user\":1,\"site\":\"shop.test\",\"verdict\":\"accept\","
                       "\"reason\":\"good\",\"staple\":true,\"ms\":10")
    EV("22:00:02.000", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"staple.revoked\","
                       "\"msg\":\"m\"," SERIAL ",\"status\":\"revoked\"")
    EV("22:00:02.100", "\"actor\":\"browser\",\"pid\":7,\"event\":\"browser.start\","
                       "\"msg\":\"m\",\"staple\":\"off\"")
    EV("22:00:02.200", "\"actor\":\"browser\",\"pid\":7,\"event\":\"ocsp.request.sent\","
                       "\"msg\":\"m\",\"user\":3," SERIAL)
    EV("22:00:02.300", "\"actor\":\"responder\",\"pid\":4,\"event\":\"ocsp.response.sent\","
                       "\"msg\":\"m\"," SERIAL ",\"name\":\"shop.test\",\"requester\":\"browser\","
                       "\"client\":\"127.0.1.3\",\"status\":\"revoked\",\"bytes\":800")
    EV("22:00:02.400", "\"actor\":\"browser\",\"pid\":7,\"event\":\"browser.verdict\","
                       "\"msg\":\"m\",\"user\":3,\"site\":\"shop.test\",\"verdict\":\"refuse\","
                       "\"reason\":\"revoked\",\"staple\":false,\"ms\":30")
    EV("22:00:03.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.end\","
                       "\"msg\":\"m\"");
/* clang-format on */

/* Without stapling: every user asks the CA. */
/* clang-format off */
static const char direct_trace[] =
    EV("09:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.start\","
                       "\"msg\":\"m\",\"title\":\"Without stapling\"")
    EV("09:00:01.000", "\"actor\":\"browser\",\"pid\":5,\"event\":\"ocsp.request.sent\","
                       "\"msg\":\"m\",\"user\":1")
    EV("09:00:01.010", "\"actor\":\"responder\",\"pid\":4,\"event\":\"ocsp.response.sent\","
                       "\"msg\":\"m\",\"name\":\"shop.test\",\"requester\":\"browser\","
                       "\"client\":\"127.0.1.1\",\"status\":\"good\",\"bytes\":800")
    EV("09:00:01.020", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.verdict\","
                       "\"msg\":\"m\",\"user\":1,\"site\":\"shop.test\",\"verdict\":\"accept\","
                       "\"reason\":\"good\",\"staple\":false,\"ms\":50,\"alone\":true")
    EV("09:00:02.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.end\","
                       "\"msg\":\"m\"");
/* clang-format on */

/* A playlist's own lab: narration only. */
/* clang-format off */
static const char narration_trace[] =
    EV("08:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.start\","
                       "\"msg\":\"m\",\"title\":\"Demo\"")
    EV("08:00:00.001", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.say\","
                       "\"msg\":\"Three lessons.\"");
/* clang-format on */

static void scratch_setup(void)
{
    test_scratch_enter("scenario_report");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* SCRATCH/NAME/trace.jsonl holding len bytes of text; returns the lab's path
 * (static storage, four in turn). */
static const char *write_lab(const char *name, const char *text, size_t len)
{
    static char dir[4][1024];
    static int next;
    char *out = dir[next++ % 4], path[1100];
    snprintf(out, sizeof dir[0], "%s/%s", test_scratch_dir(), name);
    /* The scratch directory is the test case's: a lab may be written again. */
    ck_assert(mkdir(out, 0755) == 0 || errno == EEXIST);
    snprintf(path, sizeof path, "%s/trace.jsonl", out);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return out;
}

/* Bytes of text before the line holding needle. */
static size_t line_start(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    ck_assert_ptr_nonnull(at);
    while (at > text && at[-1] != '\n')
        at--;
    return (size_t)(at - text);
}

struct built {
    char *page; /* NUL-terminated copy */
    char *errs;
    size_t errs_len;
    struct scn_report_result result;
    int rc;
    char err[512];
};

static void build(const char *const *dirs, const char *const *names, size_t count, struct built *b)
{
    struct scn_report_input in = {dirs, names, count, "lab/run", 1764000000000LL, false};
    struct scn_html page;
    struct errbuf err = {{0}};
    memset(b, 0, sizeof *b);
    FILE *errs = open_memstream(&b->errs, &b->errs_len);
    ck_assert_ptr_nonnull(errs);
    b->rc = scn_report_build(&in, errs, &page, &b->result, &err);
    fclose(errs);
    snprintf(b->err, sizeof b->err, "%s", err.msg);
    b->page = strdup(page.data != NULL ? page.data : "");
    ck_assert_ptr_nonnull(b->page);
    scn_html_free(&page);
}

static void built_free(struct built *b)
{
    free(b->page);
    free(b->errs);
}

/* The top-level section `id` of the page (a static copy), or fail. */
static const char *section(const char *page, const char *id)
{
    static const char *const order[] = {"overview",       "privacy",         "comparison",
                                        "requests-chart", "staple-timeline", "ladder",
                                        "footer"};
    static char *copy;
    char open[64];
    snprintf(open, sizeof open, "<section id=\"%s\">", id);
    const char *start = strstr(page, open);
    ck_assert_msg(start != NULL, "no section %s", id);
    const char *end = page + strlen(page);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        char other[64];
        snprintf(other, sizeof other, "<section id=\"%s\">", order[i]);
        const char *at = strstr(start + 1, other);
        if (at != NULL && at < end)
            end = at;
    }
    free(copy);
    copy = strndup(start, (size_t)(end - start));
    return copy;
}

/* Nothing on the page may fetch or run anything. */
static void assert_self_contained(const char *page)
{
    static const char *const forbidden[] = {"<script", "src=",        "url(",
                                            "<link",   "@import",     "<iframe",
                                            "<img",    "javascript:", "http-equiv"};
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        ck_assert_msg(strstr(page, forbidden[i]) == NULL, "the page holds %s", forbidden[i]);
    /* The only URL is the SVG namespace, which is a name, not a fetch. */
    ck_assert_int_eq(test_count_of(page, "http"),
                     test_count_of(page, "http://www.w3.org/2000/svg"));
}

static void three_labs(struct built *b)
{
    const char *dirs[3] = {write_lab("01-direct", direct_trace, strlen(direct_trace)),
                           write_lab("02-stapled", stapled_trace, strlen(stapled_trace)),
                           write_lab("demo", narration_trace, strlen(narration_trace))};
    const char *names[3] = {"01-direct", "02-stapled", "demo"};
    build(dirs, names, 3, b);
    ck_assert_msg(b->rc == 0, "%s", b->err);
}

START_TEST(test_structure)
{
    struct built b;
    three_labs(&b);
    ck_assert_str_eq(b.errs, "");
    ck_assert_int_eq(strncmp(b.page, "<!DOCTYPE html>\n<html lang=\"en\">", 32), 0);
    ck_assert_ptr_nonnull(strstr(b.page, "<meta charset=\"utf-8\">"));
    ck_assert_ptr_nonnull(strstr(b.page, "<title>OCSP Stapling Lab — report</title>"));
    ck_assert_ptr_nonnull(strstr(b.page, "</body>\n</html>\n"));
    /* The sections, once each and in this order. */
    static const char *const ids[] = {"overview", "comparison", "requests-chart", "staple-timeline",
                                      "privacy",  "ladder",     "footer"};
    const char *previous = b.page;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char open[64];
        snprintf(open, sizeof open, "<section id=\"%s\">", ids[i]);
        ck_assert_int_eq(test_count_of(b.page, open), 1);
        ck_assert_msg(strstr(b.page, open) > previous, "%s out of order", ids[i]);
        previous = strstr(b.page, open);
    }
    /* One drawing per chart: the requests, one timeline (the stapled lab),
     * a ladder per lab (the narration-only one too). */
    ck_assert_int_eq(test_count_of(section(b.page, "requests-chart"), "<svg"), 1);
    ck_assert_int_eq(test_count_of(section(b.page, "staple-timeline"), "<svg"), 1);
    ck_assert_ptr_nonnull(strstr(section(b.page, "staple-timeline"), "id=\"timeline-02-stapled\""));
    /* The staple's bar names its thisUpdate and nextUpdate, in words. */
    ck_assert_ptr_nonnull(strstr(section(b.page, "staple-timeline"),
                                 "the web server got a staple at 11-25 10:00, a good one "
                                 "(thisUpdate 11-25 09:59), valid until 11-26 10:00 (nextUpdate)"));
    ck_assert_ptr_null(strstr(section(b.page, "staple-timeline"), "staple.fetch.ok"));
    ck_assert_int_eq(test_count_of(section(b.page, "ladder"), "<svg"), 3);
    ck_assert_int_eq(test_count_of(b.page, "<svg"), 5);
    ck_assert_int_eq(test_count_of(b.page, "<svg"), test_count_of(b.page, "</svg>"));
    ck_assert_ptr_nonnull(strstr(b.page, "<section id=\"ladder-02-stapled\">"));
    /* The header names every lab with its title; the narration-only one is
     * listed but kept out of the table, the chart and the privacy section. */
    const char *overview = section(b.page, "overview");
    ck_assert_ptr_nonnull(strstr(overview, "With stapling"));
    ck_assert_ptr_nonnull(strstr(overview, "Without stapling"));
    ck_assert_ptr_nonnull(strstr(overview, "<strong>demo</strong>"));
    ck_assert_ptr_nonnull(strstr(overview, "2026-11-25 08:00 → 2026-11-25 22:00 UTC"));
    ck_assert_ptr_null(strstr(section(b.page, "comparison"), "data-lab=\"demo\""));
    ck_assert_int_eq(test_count_of(section(b.page, "comparison"), "<tr data-lab="), 2);
    ck_assert_ptr_null(strstr(section(b.page, "requests-chart"), "data-lab=\"demo\""));
    ck_assert_ptr_null(strstr(section(b.page, "privacy"), "<h3>demo</h3>"));
    /* The footer says how to see the same in a terminal. */
    ck_assert_ptr_nonnull(strstr(section(b.page, "footer"), "scenario trace --lab lab/run"));
    ck_assert_int_eq(b.result.labs, 3);
    ck_assert_int_eq(b.result.events, 5 + 21 + 2);
    ck_assert_uint_eq(b.result.bytes, strlen(b.page));
    assert_self_contained(b.page);
    built_free(&b);
}
END_TEST

START_TEST(test_table_numbers)
{
    struct built b;
    three_labs(&b);
    const char *table = section(b.page, "comparison");
    /* Stapled: five verdicts (three with a staple), one user asked, two
     * answers (700 + 800 bytes) to two addresses; visits 20 (alone), 40, 60,
     * 10, 30 ms. Direct: one user, alone, who asked, one answer. */
    static const struct {
        const char *lab, *col, *want;
    } cells[] = {
        {"02-stapled", "users", "5"},       {"02-stapled", "stapled", "3"},
        {"02-stapled", "asked", "1"},       {"02-stapled", "requests", "2"},
        {"02-stapled", "bytes", "1500"},    {"02-stapled", "addresses", "2"},
        {"02-stapled", "alone-ms", "20.0"}, {"02-stapled", "crowd-ms", "35.0"},
        {"01-direct", "users", "1"},        {"01-direct", "stapled", "0"},
        {"01-direct", "asked", "1"},        {"01-direct", "requests", "1"},
        {"01-direct", "alone-ms", "50.0"},  {"01-direct", "crowd-ms", "-"},
    };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++)
        ck_assert_msg(strcmp(report_page_cell(table, cells[i].lab, cells[i].col), cells[i].want) ==
                          0,
                      "%s %s: %s, not %s", cells[i].lab, cells[i].col,
                      report_page_cell(table, cells[i].lab, cells[i].col), cells[i].want);
    /* Grouped as the runner prints it. */
    ck_assert_ptr_nonnull(strstr(table, "data-col=\"bytes\">1,500</td>"));
    /* The chart: the visits stacked green (stapled) over grey, the requests
     * at the CA stacked red (browsers asking themselves) and blue (the web
     * server), the same numbers as the table. */
    const char *chart = section(b.page, "requests-chart");
    const char *visits = strstr(chart, "<g class=\"bar visits\" data-lab=\"02-stapled\">");
    const char *direct = strstr(chart, "<g class=\"bar requests\" data-lab=\"01-direct\">");
    const char *stapled = strstr(chart, "<g class=\"bar requests\" data-lab=\"02-stapled\">");
    ck_assert_ptr_nonnull(visits);
    ck_assert_ptr_nonnull(direct);
    ck_assert_ptr_nonnull(stapled);
    ck_assert(visits < direct && direct < stapled);
    ck_assert_ptr_nonnull(strstr(visits, "<title>3 visits with a staple</title>"));
    ck_assert(strstr(visits, "fill=\"#2e7d32\"") < direct);
    ck_assert_ptr_nonnull(strstr(visits, "<title>2 visits without a staple</title>"));
    ck_assert_ptr_nonnull(strstr(direct, "fill=\"#c62828\""));
    ck_assert(strstr(direct, "fill=\"#c62828\"") < stapled);
    ck_assert_ptr_nonnull(
        strstr(stapled, "<title>1 from browsers asking the CA themselves</title>"));
    ck_assert_ptr_nonnull(strstr(stapled, "fill=\"#1565c0\""));
    ck_assert_ptr_nonnull(strstr(stapled, "<title>1 from the web server</title>"));
    /* What the CA learned. */
    const char *privacy = section(b.page, "privacy");
    ck_assert_ptr_nonnull(strstr(privacy, "The CA learned that 1 address visits shop.test"));
    ck_assert_ptr_nonnull(strstr(privacy, "It also answered the web server (127.0.0.1)."));
    ck_assert_ptr_nonnull(strstr(privacy, "<td>127.0.1.3</td><td>shop.test</td><td>browser</td>"));
    built_free(&b);

    /* Only the web server asked: the CA saw nothing of the visitors. */
    const char *lab = write_lab("only-server", stapled_trace, line_start(stapled_trace, "T16:00"));
    const char *name = "only-server";
    build(&lab, &name, 1, &b);
    ck_assert_int_eq(b.rc, 0);
    ck_assert_ptr_nonnull(strstr(b.page, "The CA only saw the web server (127.0.0.1)"));
    ck_assert_ptr_nonnull(strstr(b.page, "it learned nothing about who visits shop.test"));
    built_free(&b);
}
END_TEST

START_TEST(test_revocation_window)
{
    struct built b;
    three_labs(&b);
    const char *timeline = section(b.page, "staple-timeline");
    /* Revoked at 10:00:02, learned at 22:00:02; one stapled visit (16:00)
     * told "good" inside it; not the two before, nor the soft-fail one. */
    ck_assert_ptr_nonnull(strstr(timeline, "class=\"revocation-window\""));
    ck_assert_ptr_nonnull(
        strstr(timeline, "revocation window: 12h — 1 stapled visit was still told &#39;good&#39;"));
    ck_assert_ptr_nonnull(strstr(timeline, "the web server learned it and stopped stapling"));
    ck_assert_ptr_nonnull(strstr(timeline, "REVOKED shop.test (keyCompromise)"));
    ck_assert_ptr_nonnull(strstr(timeline, "class=\"staple\""));
    ck_assert_ptr_nonnull(strstr(timeline, "class=\"refresh\""));
    ck_assert_ptr_nonnull(strstr(timeline, "class=\"refuse\""));
    built_free(&b);

    /* Without staple.revoked, the refusal of a user whose browser asked for
     * staples (browser.start staple on) closes it. */
    char *text = strdup(stapled_trace);
    ck_assert_ptr_nonnull(text);
    char *learned = strstr(text, "staple.revoked");
    memcpy(learned, "staple.xxxxxxx", 14);
    char *off = strstr(text, "\"staple\":\"off\"");
    memcpy(off, "\"staple\":\"on\" ", 14);
    const char *lab = write_lab("refused", text, strlen(text));
    const char *name = "refused";
    build(&lab, &name, 1, &b);
    ck_assert_ptr_nonnull(strstr(b.page, "revocation window: 12h — 1 stapled visit"));
    ck_assert_ptr_nonnull(strstr(b.page, "a visitor who asked for a staple was refused"));
    built_free(&b);

    /* A revocation with no staple in use: the line, but no window. */
    memcpy(strstr(text, "staple.fetch.ok"), "staple.fetch.no", 15);
    lab = write_lab("no-staple", text, strlen(text));
    name = "no-staple";
    build(&lab, &name, 1, &b);
    ck_assert_ptr_nonnull(strstr(b.page, "REVOKED shop.test"));
    ck_assert_ptr_null(strstr(b.page, "class=\"revocation-window\""));
    ck_assert_ptr_nonnull(strstr(b.page, "there was no window for stapled visitors"));
    built_free(&b);
    free(text);
}
END_TEST

START_TEST(test_escaping)
{
    /* clang-format off */
    static const char hostile[] =
        EV("10:00:00.000", "\"actor\":\"scenario\",\"event\":\"scenario.start\","
                           "\"msg\":\"<script>alert(1)</script>\","
                           "\"title\":\"Tom & Jerry's \\\"<b>bold</b>\\\"\"")
        EV("10:00:00.001", "\"actor\":\"scenario\",\"event\":\"scenario.say\","
                           "\"msg\":\"<script>alert('say')</script> \\u0007 bell\"")
        EV("10:00:00.010", "\"actor\":\"ca\",\"event\":\"ca.cert.issued\",\"msg\":\"m\","
                           "\"serial\":\"01\",\"name\":\"<script>x</script>\"")
        EV("10:00:00.020", "\"actor\":\"responder\",\"event\":\"ocsp.response.sent\","
                           "\"msg\":\"m\",\"name\":\"<script>site</script>\","
                           "\"requester\":\"browser\",\"client\":\"<img src=x>\"")
        EV("10:00:00.030", "\"actor\":\"ca\",\"event\":\"ca.cert.revoked\",\"msg\":\"m\","
                           "\"serial\":\"01\",\"name\":\"<script>x</script>\","
                           "\"reason\":\"\\\"><script>\"");
    /* clang-format on */
    const char *lab = write_lab("x\"><script>y", hostile, strlen(hostile));
    const char *name = "x\"><script>y";
    struct built b;
    build(&lab, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    assert_self_contained(b.page);
    ck_assert_ptr_nonnull(strstr(b.page, "&lt;script&gt;x&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(b.page, "&lt;script&gt;site&lt;/script&gt;"));
    ck_assert_ptr_nonnull(
        strstr(b.page, "Tom &amp; Jerry&#39;s &quot;&lt;b&gt;bold&lt;/b&gt;&quot;"));
    /* '=' too, so that no trace text reads like an attribute (src=x). */
    ck_assert_ptr_nonnull(strstr(b.page, "&lt;img src&#61;x&gt;"));
    ck_assert_ptr_nonnull(strstr(b.page, "data-lab=\"x&quot;&gt;&lt;script&gt;y\""));
    /* The id keeps only safe characters. */
    ck_assert_ptr_nonnull(strstr(b.page, "<section id=\"ladder-x---script-y\">"));
    /* A control character becomes U+FFFD, never raw. */
    ck_assert_ptr_null(strchr(b.page, '\a'));
    ck_assert_ptr_nonnull(strstr(b.page, "\xef\xbf\xbd bell"));
    built_free(&b);
}
END_TEST

START_TEST(test_bad_lines)
{
    /* Line 2 not JSON, 4 overlong, 5 not an event, 7 truncated. */
    size_t long_len = TRACE_MAX_LINE + 10;
    char *text = malloc(long_len + 4096);
    ck_assert_ptr_nonnull(text);
    char *p = text;
    /* clang-format off */
    p += sprintf(p, "%s", EV("10:00:00.000", "\"actor\":\"scenario\",\"event\":\"scenario.start\","
                                             "\"title\":\"Damaged\""));
    /* clang-format on */
    p += sprintf(p, "{\"ts\": nope\n");
    /* clang-format off */
    p += sprintf(p, "%s", EV("10:00:01.000", "\"actor\":\"browser\",\"event\":\"browser.verdict\","
                                             "\"verdict\":\"accept\",\"staple\":true,\"ms\":5"));
    /* clang-format on */
    memset(p, 'x', long_len);
    p += long_len;
    *p++ = '\n';
    p += sprintf(p, "[1,2]\n");
    /* clang-format off */
    p += sprintf(p, "%s", EV("10:00:02.000", "\"actor\":\"browser\",\"event\":\"browser.verdict\","
                                             "\"verdict\":\"refuse\",\"staple\":false,\"ms\":7"));
    /* clang-format on */
    p += sprintf(p, "{\"ts\":\"2026-11-25T10:00:03.000Z\",\"actor\":\"brow");
    const char *lab = write_lab("damaged", text, (size_t)(p - text));
    const char *name = "damaged";
    struct built b;
    build(&lab, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    ck_assert_int_eq(b.result.skipped, 4);
    ck_assert_int_eq(b.result.events, 3);
    ck_assert_ptr_nonnull(strstr(b.errs, "/damaged/trace.jsonl:2: not JSON ("));
    ck_assert_ptr_nonnull(strstr(b.errs, "/damaged/trace.jsonl:4: longer than 16384 bytes"));
    ck_assert_ptr_nonnull(strstr(b.errs, "/damaged/trace.jsonl:5: not a trace event"));
    ck_assert_ptr_nonnull(strstr(b.errs, "/damaged/trace.jsonl:7: truncated (no newline"));
    ck_assert_ptr_nonnull(strstr(b.page, "4 malformed, truncated or overlong trace lines were "
                                         "skipped (damaged: 4)"));
    /* The good lines still count. */
    ck_assert_str_eq(report_page_cell(b.page, "damaged", "users"), "2");
    ck_assert_str_eq(report_page_cell(b.page, "damaged", "stapled"), "1");
    built_free(&b);
    free(text);

    /* A missing trace is an error, not an empty report. */
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/nothing-here", test_scratch_dir());
    const char *dir = missing;
    build(&dir, &name, 1, &b);
    ck_assert_int_eq(b.rc, -1);
    ck_assert_ptr_nonnull(strstr(b.err, "cannot open"));
    built_free(&b);
}
END_TEST

/* Numbers are the trace's word: visit times whose sum passes int64 make
 * the mean saturate, never wrap to a negative time. */
START_TEST(test_huge_numbers)
{
    /* clang-format off */
    static const char trace[] =
        EV("10:00:00.000", "\"actor\":\"browser\",\"event\":\"browser.verdict\","
                           "\"verdict\":\"accept\",\"ms\":9223372036854775807")
        EV("10:00:01.000", "\"actor\":\"browser\",\"event\":\"browser.verdict\","
                           "\"verdict\":\"accept\",\"ms\":9223372036854775807")
        EV("10:00:02.000", "\"actor\":\"responder\",\"event\":\"ocsp.response.sent\","
                           "\"requester\":\"browser\",\"bytes\":9223372036854775807")
        EV("10:00:03.000", "\"actor\":\"responder\",\"event\":\"ocsp.response.sent\","
                           "\"requester\":\"browser\",\"bytes\":9223372036854775807");
    /* clang-format on */
    const char *lab = write_lab("huge", trace, strlen(trace));
    const char *name = "huge";
    struct built b;
    build(&lab, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    ck_assert_str_eq(report_page_cell(b.page, "huge", "users"), "2");
    ck_assert_str_eq(report_page_cell(b.page, "huge", "crowd-ms"), "4611686018427387904.0");
    ck_assert_str_eq(report_page_cell(b.page, "huge", "alone-ms"), "-");
    /* Whole, with every separator: the CA's bytes saturate too. */
    ck_assert_str_eq(report_page_cell(b.page, "huge", "bytes"), "9223372036854775807");
    ck_assert_ptr_nonnull(strstr(b.page, "data-col=\"bytes\">9,223,372,036,854,775,807</td>"));
    built_free(&b);
}
END_TEST

/* A big lab: 3,000 users asking the CA directly from their own addresses,
 * each step told differently (no collapsing), over 50 simulated hours. */
static char *big_trace(size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    ck_assert_ptr_nonnull(f);
    /* clang-format off */
    fputs(EV("00:00:00.000", "\"actor\":\"scenario\",\"event\":\"scenario.start\","
                             "\"title\":\"Big\""),
          f);
    /* clang-format on */
    for (int u = 1; u <= 3000; u++) {
        int minute = u, hour = minute / 60;
        fprintf(f,
                "{\"ts\":\"2026-11-%02dT%02d:%02d:00.000Z\",\"actor\":\"scenario\","
                "\"event\":\"scenario.say\",\"msg\":\"Step %d.\"}\n",
                25 + hour / 24, hour % 24, minute % 60, u);
        fprintf(f,
                "{\"ts\":\"2026-11-%02dT%02d:%02d:00.100Z\",\"actor\":\"responder\","
                "\"event\":\"ocsp.response.sent\",\"name\":\"shop.test\","
                "\"requester\":\"browser\",\"client\":\"127.0.%d.%d\",\"bytes\":800}\n",
                25 + hour / 24, hour % 24, minute % 60, 1 + u / 250, u % 250);
        fprintf(f,
                "{\"ts\":\"2026-11-%02dT%02d:%02d:00.200Z\",\"actor\":\"browser\","
                "\"event\":\"browser.verdict\",\"verdict\":\"%s\",\"staple\":false,"
                "\"ms\":%d}\n",
                25 + hour / 24, hour % 24, minute % 60, u % 7 == 0 ? "refuse" : "accept", u % 50);
    }
    ck_assert_int_eq(fclose(f), 0);
    return text;
}

START_TEST(test_bounds)
{
    size_t len = 0;
    char *text = big_trace(&len);
    const char *lab = write_lab("big", text, len);
    const char *name = "big";
    free(text);

    struct scn_report_lab data;
    struct errbuf err = {{0}};
    ck_assert_int_eq(scn_report_lab_read(&data, lab, name, stderr, &err), 0);
    ck_assert_int_eq(data.table.users, 3000);
    ck_assert_int_eq(data.table.ca.requests, 3000);
    ck_assert_int_eq(data.table.ca.addresses, 3000);
    ck_assert_int_le(data.mark_count, SCN_REPORT_MAX_MARKS);
    /* The dots were merged, not dropped: every verdict is still in a dot. */
    int64_t verdicts = 0;
    for (size_t i = 0; i < data.mark_count; i++)
        if (data.marks[i].kind == SCN_MARK_VERDICTS)
            verdicts += data.marks[i].accepted + data.marks[i].refused;
    ck_assert_int_eq(verdicts, 3000);
    ck_assert_int_eq(data.row_count, SCN_REPORT_MAX_ROWS);
    ck_assert_int_eq(data.rows_more, 3 * 3000 + 1 - SCN_REPORT_MAX_ROWS);
    ck_assert_uint_eq(data.pairs.key_count, SCN_REPORT_MAX_PAIRS);
    ck_assert_int_eq(data.answers_unpaired, 3000 - SCN_REPORT_MAX_PAIRS);
    scn_report_lab_free(&data);

    struct built b;
    build(&lab, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    const char *privacy = section(b.page, "privacy");
    ck_assert_int_eq(test_count_of(privacy, "<tr><td>"), SCN_REPORT_PRIVACY_ROWS);
    ck_assert_ptr_nonnull(strstr(privacy, "… and 950 more addresses."));
    ck_assert_ptr_nonnull(strstr(privacy, "2000 answers beyond the first 1000"));
    ck_assert_ptr_nonnull(strstr(privacy, "The CA learned that at least 1000 addresses visit "
                                          "shop.test"));
    const char *ladder = section(b.page, "ladder");
    ck_assert_int_eq(test_count_of(ladder, "font-family=\"DejaVu Sans Mono"), SCN_REPORT_MAX_ROWS);
    ck_assert_ptr_nonnull(strstr(ladder, "… 8601 more rows: scenario trace --lab "));
    ck_assert_int_le(b.result.bytes, 2 * 1024 * 1024);
    assert_self_contained(b.page);
    built_free(&b);
}
END_TEST

START_TEST(test_write_atomic)
{
    const char *lab = write_lab("one", direct_trace, strlen(direct_trace));
    const char *name = "one";
    struct scn_report_input in = {&lab, &name, 1, lab, 0, false};
    struct scn_report_result res;
    struct errbuf err = {{0}};
    char path[1100];
    snprintf(path, sizeof path, "%s/report.html", lab);
    ck_assert_int_eq(scn_report_write(&in, path, stderr, &res, &err), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq((size_t)st.st_size, res.bytes);
    ck_assert_int_eq(res.labs, 1);
    /* Nowhere to write: an error, and nothing left behind. */
    snprintf(path, sizeof path, "%s/no/such/dir/report.html", lab);
    ck_assert_int_eq(scn_report_write(&in, path, stderr, &res, &err), -1);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_html_buffer)
{
    struct scn_html h;
    scn_html_init(&h, 64);
    scn_html_text(&h, "a&b<c>d\"e'f");
    ck_assert_str_eq(h.data, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
    scn_html_free(&h);
    /* Not UTF-8 (a lone continuation byte, a cut sequence, an overlong '/',
     * a surrogate) and control characters become U+FFFD; tab and newline stay. */
    scn_html_init(&h, 1024);
    scn_html_text(&h, "\x80x\xe2\x82y\xc0\xafz\xed\xa0\x80\x01\t\n\x7fé€😀");
    ck_assert_str_eq(h.data, "\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz"
                             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\t\n"
                             "\xef\xbf\xbdé€😀");
    scn_html_free(&h);
    /* The cap: past it nothing more is added and the page is marked. */
    scn_html_init(&h, 10);
    scn_html_raw(&h, "12345");
    scn_html_rawf(&h, "%d", 678);
    ck_assert(scn_html_ok(&h));
    scn_html_raw(&h, "9ab");
    ck_assert(!scn_html_ok(&h));
    ck_assert(h.is_too_large);
    ck_assert_str_eq(h.data, "12345678");
    scn_html_raw(&h, "c");
    ck_assert_str_eq(h.data, "12345678");
    scn_html_free(&h);
    /* A long formatted piece goes in whole. */
    scn_html_init(&h, 1 << 20);
    char long_text[3000];
    memset(long_text, 'q', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = 0;
    scn_html_rawf(&h, "<%s>", long_text);
    ck_assert_uint_eq(h.len, sizeof long_text + 1);
    scn_html_free(&h);
}
END_TEST

START_TEST(test_countmap)
{
    struct scn_countmap map;
    ck_assert_int_eq(scn_countmap_init(&map, 3), 0);
    ck_assert_int_eq(scn_countmap_add(&map, "a"), SCN_COUNTMAP_NEW);
    ck_assert_int_eq(scn_countmap_add(&map, "b"), SCN_COUNTMAP_NEW);
    ck_assert_int_eq(scn_countmap_add(&map, "a"), SCN_COUNTMAP_OLD);
    ck_assert_int_eq(scn_countmap_add(&map, "c"), SCN_COUNTMAP_NEW);
    ck_assert_int_eq(scn_countmap_add(&map, "d"), SCN_COUNTMAP_FULL);
    ck_assert_int_eq(scn_countmap_add(&map, "c"), SCN_COUNTMAP_OLD);
    ck_assert_uint_eq(map.key_count, 3);
    int64_t a = 0;
    for (size_t i = 0; i < map.slot_count; i++)
        if (map.slots[i].key != NULL && strcmp(map.slots[i].key, "a") == 0)
            a = map.slots[i].count;
    ck_assert_int_eq(a, 2);
    scn_countmap_free(&map);
    scn_countmap_free(&map); /* twice, and zeroed, is fine */
}
END_TEST

START_TEST(test_parse_time)
{
    ck_assert_int_eq(scn_report_parse_time("1970-01-01T00:00:00.000Z"), 0);
    ck_assert_int_eq(scn_report_parse_time("2026-11-25T14:38:28.704Z"), 1795617508704LL);
    ck_assert_int_eq(scn_report_parse_time("2026-11-25T14:38:28Z"), 1795617508000LL);
    ck_assert_int_eq(scn_report_parse_time("2026-11-25T14:38:28.7Z"), 1795617508700LL);
    static const char *const bad[] = {"",
                                      "2026-11-25",
                                      "2026-11-25T14:38:28.704",
                                      "2026-11-25T14:38:28.Z",
                                      "2026-13-25T14:38:28Z",
                                      "2026-11-25T24:38:28Z",
                                      "2026-11-25T14:38:28.704Zx",
                                      "20x6-11-25T14:38:28Z",
                                      "2026-11-25 14:38:28Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(scn_report_parse_time(bad[i]) == SCN_REPORT_NO_TIME, "%s", bad[i]);
}
END_TEST

/* 200,000 events stream through in bounded memory and a bounded page. */
START_TEST(test_large_trace)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/large", test_scratch_dir());
    ck_assert_int_eq(mkdir(path, 0755), 0);
    char trace[1200];
    snprintf(trace, sizeof trace, "%s/trace.jsonl", path);
    FILE *f = fopen(trace, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 50000; i++) {
        int user = i % 1000 + 1, minute = i / 20;
        fprintf(f,
                "{\"ts\":\"2026-11-%02dT%02d:%02d:00.000Z\",\"actor\":\"browser\","
                "\"event\":\"tls.client_hello\",\"msg\":\"User %d asked for a staple.\","
                "\"user\":%d,\"status_request\":true}\n",
                25 + minute / 1440, minute / 60 % 24, minute % 60, user, user);
        fprintf(f,
                "{\"ts\":\"2026-11-%02dT%02d:%02d:00.001Z\",\"actor\":\"webserver\","
                "\"event\":\"tls.handshake.done\",\"msg\":\"m\",\"peer\":\"127.0.1.%d\","
                "\"stapled\":true}\n",
                25 + minute / 1440, minute / 60 % 24, minute % 60, user % 250);
        fprintf(f,
                "{\"ts\":\"2026-11-%02dT%02d:%02d:00.002Z\",\"actor\":\"responder\","
                "\"event\":\"ocsp.response.sent\",\"msg\":\"m\",\"name\":\"shop.test\","
                "\"requester\":\"browser\",\"client\":\"127.0.%d.%d\",\"bytes\":10}\n",
                25 + minute / 1440, minute / 60 % 24, minute % 60, user / 250 + 1, user % 250);
        fprintf(f,
                "{\"ts\":\"2026-11-%02dT%02d:%02d:00.003Z\",\"actor\":\"browser\","
                "\"event\":\"browser.verdict\",\"msg\":\"m\",\"user\":%d,\"verdict\":\"accept\","
                "\"staple\":true,\"ms\":3}\n",
                25 + minute / 1440, minute / 60 % 24, minute % 60, user);
    }
    ck_assert_int_eq(fclose(f), 0);
    const char *dir = path, *name = "large";
    struct built b;
    build(&dir, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    ck_assert_int_eq(b.result.events, 200000);
    ck_assert_str_eq(report_page_cell(b.page, "large", "users"), "50000");
    ck_assert_str_eq(report_page_cell(b.page, "large", "requests"), "50000");
    ck_assert_str_eq(report_page_cell(b.page, "large", "bytes"), "500000");
    ck_assert_str_eq(report_page_cell(b.page, "large", "addresses"), "1000");
    ck_assert_int_le(b.result.bytes, 2 * 1024 * 1024);
    built_free(&b);
}
END_TEST

/* ---- A page for a projector ---------------------------------------------------------------- */

/* Every text size on the page, in the style sheet and in the drawings, is
 * at least 16 px, and no drawing is wider than the page holds at 1280 px
 * (so none is scaled down there). */
START_TEST(test_text_sizes)
{
    struct built b;
    three_labs(&b);
    int sizes = 0;
    for (const char *at = strstr(b.page, "font-size"); at != NULL;
         at = strstr(at + 1, "font-size")) {
        const char *value = at + strlen("font-size");
        ck_assert_msg(*value == ':' || *value == '=', "%.40s", at);
        value += *value == '=' ? 2 : 1; /* font-size="16" or font-size:16px */
        double px = strtod(value, NULL);
        ck_assert_msg(px >= 16, "text of %.1f px: %.60s", px, at);
        sizes++;
    }
    ck_assert_int_gt(sizes, 50);
    for (const char *at = strstr(b.page, "<svg "); at != NULL; at = strstr(at + 1, "<svg ")) {
        const char *width = strstr(at, " width=\"");
        ck_assert_ptr_nonnull(width);
        ck_assert_int_le(atoi(width + 8), 1160);
    }
    ck_assert_ptr_nonnull(strstr(b.page, "width:1200px"));
    built_free(&b);
}
END_TEST

/* Present mode is the page's own switch (a checkbox, no script): off by
 * default, on when asked; when on, each section fills a screen. */
START_TEST(test_present_mode)
{
    const char *dir = write_lab("02-stapled", stapled_trace, strlen(stapled_trace));
    const char *name = "02-stapled";
    struct built b;
    build(&dir, &name, 1, &b);
    ck_assert_ptr_nonnull(strstr(b.page, "<input type=\"checkbox\" id=\"present\">"));
    ck_assert_ptr_nonnull(strstr(b.page, "<label class=\"present-switch\" for=\"present\">"));
    ck_assert_ptr_nonnull(strstr(b.page, "#present:checked~main>section"));
    ck_assert_ptr_nonnull(strstr(b.page, "min-height:100vh"));
    ck_assert_ptr_nonnull(strstr(b.page, "<main>"));
    built_free(&b);

    struct scn_report_input in = {&dir, &name, 1, "lab/run", 1764000000000LL, true};
    struct scn_html page;
    struct scn_report_result res;
    struct errbuf err = {{0}};
    ck_assert_msg(scn_report_build(&in, stderr, &page, &res, &err) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(page.data, "<input type=\"checkbox\" id=\"present\" checked>"));
    assert_self_contained(page.data);
    scn_html_free(&page);
}
END_TEST

/* A lesson that lasts a second with a staple valid for a day: the staple's
 * life is drawn over the day (the refresh at half-life on it, the time after
 * the lesson shaded), a refreshed staple's unused validity is faint, 21
 * verdicts in a moment are one dot that says 21, and a lesson's consecutive
 * `say` lines are one paragraph. */
START_TEST(test_staple_day)
{
    char text[16384];
    size_t n = 0;
    /* clang-format off */
    n += (size_t)snprintf(text + n, sizeof text - n, "%s",
        EV("10:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.start\","
                           "\"msg\":\"m\",\"title\":\"A day\"")
        EV("10:00:00.001", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.say\","
                           "\"msg\":\"The staple is valid for a day, and the server refreshes "
                           "it at half-life so\"")
        EV("10:00:00.002", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.say\","
                           "\"msg\":\"visitors never see an old one.\"")
        EV("10:00:00.050", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"staple.fetch.ok\","
                           "\"msg\":\"m\"," SERIAL ",\"status\":\"good\","
                           "\"next_update\":\"2026-11-26T10:00:00.000Z\","
                           "\"next_refresh\":\"2026-11-25T22:00:00.000Z\""));
    /* clang-format on */
    for (int user = 1; user <= 21; user++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "{\"ts\":\"2026-11-25T10:00:00.%03dZ\",\"actor\":\"browser\","
                              "\"event\":\"browser.verdict\",\"msg\":\"m\",\"user\":%d,"
                              "\"site\":\"shop.test\",\"verdict\":\"accept\",\"staple\":true,"
                              "\"ms\":2}\n",
                              100 + user, user);
    /* clang-format off */
    n += (size_t)snprintf(text + n, sizeof text - n, "%s",
        EV("22:00:00.000", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"staple.fetch.ok\","
                           "\"msg\":\"m\"," SERIAL ",\"status\":\"good\","
                           "\"next_update\":\"2026-11-26T22:00:00.000Z\","
                           "\"next_refresh\":\"2026-11-26T10:00:00.000Z\"")
        EV("23:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.end\","
                           "\"msg\":\"m\""));
    /* clang-format on */
    ck_assert_uint_lt(n, sizeof text - 1);
    const char *dir = write_lab("a-day", text, n), *name = "a-day";
    struct built b;
    build(&dir, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    const char *timeline = section(b.page, "staple-timeline");
    /* The axis reaches the refreshed staple's nextUpdate, a day and a half. */
    ck_assert_msg(strstr(timeline, "simulated time, UTC: 11-25 10:00 → 11-26 22:00") != NULL, "%s",
                  timeline);
    ck_assert_ptr_nonnull(strstr(timeline, "class=\"after-end\""));
    ck_assert_ptr_nonnull(strstr(timeline, "class=\"refresh\""));
    ck_assert_ptr_nonnull(strstr(timeline, "class=\"staple-unused\""));
    ck_assert_int_eq(test_count_of(timeline, "class=\"accept\""), 1);
    ck_assert_ptr_nonnull(strstr(timeline, ">21</text>"));
    const char *ladder = section(b.page, "ladder");
    ck_assert_msg(strstr(ladder, "half-life so visitors never see an old one.") != NULL, "%s",
                  ladder);
    built_free(&b);
}
END_TEST

/* A lab with a cache in front of its responder gets the "behind a cache"
 * bars (requests without it, and the misses that reached the CA with it);
 * a page without one has no such section. */
START_TEST(test_cache_chart)
{
    /* clang-format off */
    static const char text[] =
        EV("10:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.start\","
                           "\"msg\":\"m\",\"title\":\"Cached\"")
        EV("10:00:01.000", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.verdict\","
                           "\"msg\":\"m\",\"user\":1,\"verdict\":\"accept\",\"ms\":2")
        EV("10:00:02.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"cache.summary\","
                           "\"msg\":\"m\",\"name\":\"cache\",\"requests\":1000,\"hits\":999,"
                           "\"misses\":1")
        EV("10:00:03.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.end\","
                           "\"msg\":\"m\"");
    /* clang-format on */
    const char *dir = write_lab("cached", text, strlen(text)), *name = "cached";
    struct built b;
    build(&dir, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    const char *chart = strstr(b.page, "<section id=\"cache-chart\">");
    ck_assert_ptr_nonnull(chart);
    ck_assert_ptr_nonnull(strstr(chart, "class=\"without-cache\""));
    ck_assert_ptr_nonnull(strstr(chart, "class=\"with-cache\""));
    ck_assert_ptr_nonnull(strstr(chart, ">1000</text>"));
    ck_assert_ptr_nonnull(strstr(chart, ">1</text>"));
    ck_assert_ptr_nonnull(strstr(chart, "the cache answered 999"));
    built_free(&b);
    three_labs(&b);
    ck_assert_ptr_null(strstr(b.page, "cache-chart"));
    built_free(&b);
}
END_TEST

/* The window a lab's watch measured and its visits with the CA down make
 * the second table, as the runner prints it. */
START_TEST(test_window_table)
{
    /* clang-format off */
    static const char text[] =
        EV("10:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.start\","
                           "\"msg\":\"m\",\"title\":\"Way\"")
        EV("10:00:01.000", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.verdict\","
                           "\"msg\":\"m\",\"user\":1,\"verdict\":\"accept\",\"ms\":2")
        EV("10:00:01.500", "\"actor\":\"responder\",\"pid\":4,\"event\":\"crl.served\","
                           "\"msg\":\"m\",\"client\":\"127.0.1.1\",\"bytes\":300")
        EV("22:00:01.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.watch\","
                           "\"msg\":\"m\",\"window_seconds\":43200")
        EV("22:00:02.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.visit\","
                           "\"msg\":\"m\",\"users\":3,\"accepted\":2,\"ca_down\":true")
        EV("22:00:03.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.visit\","
                           "\"msg\":\"m\",\"users\":5,\"accepted\":5,\"ca_down\":false")
        EV("22:00:04.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.end\","
                           "\"msg\":\"m\"");
    /* clang-format on */
    const char *dir = write_lab("way", text, strlen(text)), *name = "way";
    struct built b;
    build(&dir, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    /* A CRL download is a request at the CA, drawn in its own colour. */
    ck_assert_ptr_nonnull(strstr(section(b.page, "requests-chart"), "class=\"crl\""));
    ck_assert_str_eq(report_page_cell(b.page, "way", "requests"), "1");
    const char *windows = strstr(b.page, "<table class=\"numbers\" id=\"windows\">");
    ck_assert_ptr_nonnull(windows);
    ck_assert_str_eq(report_page_cell(windows, "way", "window"), "12h");
    ck_assert_str_eq(report_page_cell(windows, "way", "ca-down"), "2 of 3");
    built_free(&b);
    three_labs(&b);
    ck_assert_ptr_null(strstr(b.page, "id=\"windows\""));
    built_free(&b);
}
END_TEST

/* A browser that sums its users past the traced ones: the table counts
 * them from its summarized event, as the runner counts them from --json. */
START_TEST(test_summarized_verdicts)
{
    /* clang-format off */
    static const char text[] =
        EV("10:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.start\","
                           "\"msg\":\"m\",\"title\":\"Many\"")
        EV("10:00:01.000", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.verdict\","
                           "\"msg\":\"m\",\"user\":1,\"verdict\":\"accept\",\"staple\":true,"
                           "\"ms\":4,\"alone\":true")
        EV("10:00:02.000", "\"actor\":\"browser\",\"pid\":5,"
                           "\"event\":\"browser.verdicts.summarized\",\"msg\":\"m\",\"users\":99,"
                           "\"accepted\":99,\"refused\":0,\"stapled\":99,\"asked\":0,"
                           "\"ms_total\":990,\"alone\":0,\"alone_ms\":0")
        EV("10:00:03.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.end\","
                           "\"msg\":\"m\"");
    /* clang-format on */
    const char *dir = write_lab("many", text, strlen(text)), *name = "many";
    struct built b;
    build(&dir, &name, 1, &b);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    ck_assert_str_eq(report_page_cell(b.page, "many", "users"), "100");
    ck_assert_str_eq(report_page_cell(b.page, "many", "stapled"), "100");
    ck_assert_str_eq(report_page_cell(b.page, "many", "alone-ms"), "4.0");
    ck_assert_str_eq(report_page_cell(b.page, "many", "crowd-ms"), "10.0");
    ck_assert_ptr_nonnull(strstr(b.page, "99 more verdicts, counted not traced"));
    built_free(&b);
}
END_TEST

/* Wrapping evenly: the narrowest room with as many lines, so the last line
 * is not a lone word. */
START_TEST(test_balanced_wrap)
{
    const char *text = "aaaa bbbb cccc dd";
    ck_assert_int_eq(scn_ui_wrap_count(text, 14), 2); /* "aaaa bbbb cccc" / "dd" */
    int room = scn_ui_balanced_room(text, 14);
    ck_assert_int_eq(room, 9); /* "aaaa bbbb" / "cccc dd" */
    ck_assert_uint_eq(scn_ui_line_bytes(text, room), 9);
    ck_assert_int_eq(scn_ui_balanced_room("one line", 40), 40);
    ck_assert_int_eq(scn_ui_wrap_count("", 40), 1);
}
END_TEST

Suite *scenario_report_suite(void)
{
    Suite *s = suite_create("scenario_report");
    TCase *page = tcase_create("page");
    tcase_add_unchecked_fixture(page, scratch_setup, scratch_teardown);
    tcase_add_test(page, test_structure);
    tcase_add_test(page, test_table_numbers);
    tcase_add_test(page, test_revocation_window);
    tcase_add_test(page, test_escaping);
    tcase_add_test(page, test_bad_lines);
    tcase_add_test(page, test_huge_numbers);
    tcase_add_test(page, test_write_atomic);
    tcase_add_test(page, test_text_sizes);
    tcase_add_test(page, test_present_mode);
    tcase_add_test(page, test_staple_day);
    tcase_add_test(page, test_cache_chart);
    tcase_add_test(page, test_summarized_verdicts);
    tcase_add_test(page, test_window_table);
    suite_add_tcase(s, page);
    TCase *pieces = tcase_create("pieces");
    tcase_add_test(pieces, test_html_buffer);
    tcase_add_test(pieces, test_countmap);
    tcase_add_test(pieces, test_parse_time);
    tcase_add_test(pieces, test_balanced_wrap);
    suite_add_tcase(s, pieces);
    TCase *big = tcase_create("big");
    tcase_set_timeout(big, 60);
    tcase_add_unchecked_fixture(big, scratch_setup, scratch_teardown);
    tcase_add_test(big, test_bounds);
    tcase_add_test(big, test_large_trace);
    suite_add_tcase(s, big);
    return s;
}
