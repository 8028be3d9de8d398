/* test_report_render.c — the HTML report as a reader sees it: a real
 * scenario run (lessons 1, 2 and 4 with the real programs) writes
 * report.html, headless Chromium parses it (--dump-dom) and draws it
 * (--screenshot), and the PNG must show a page: the expected size, not blank,
 * and the bar chart's three colours in plausible amounts. A known page first
 * proves the Chromium + PNG path itself, to the pixel. With OCSPLAB_DOCS_DIR
 * set (`make docs`) the report's PNG is kept there as report.png. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chromium.h"
#include "clock.h"
#include "fileio.h"
#include "lab.h"
#include "png_read.h"
#include "testutil.h"

#define LESSONS_DIR LAB_SOURCE_DIR "/scenarios/lessons"
#define RUN_TIMEOUT_MS 150000
/* The report's width for a laptop screen, tall enough to hold the comparison
 * table and the requests chart at the top of the page. */
#define REPORT_WIDTH 1280
#define REPORT_HEIGHT 2400

/* ---- Scratch space --------------------------------------------------------------- */

static void scratch_setup(void)
{
    test_scratch_enter("report_render");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

static void scratch_path(const char *name, char *path, size_t cap)
{
    ck_assert_msg(test_scratch_dir()[0] != 0, "no scratch directory");
    ck_assert_int_eq(file_path_join(path, cap, test_scratch_dir(), name), 0);
}

static void write_text(const char *path, const char *text)
{
    struct errbuf err = {{0}};
    ck_assert_msg(file_write_atomic(path, text, strlen(text), 0644, &err) == 0, "%s", err.msg);
}

/* Nothing Chromium (or the scenario runner) started may outlive the test. */
static void assert_nothing_left(void)
{
    char first[1024];
    int count = test_processes_mentioning(test_scratch_dir(), NULL, 0, first, sizeof first);
    ck_assert_msg(count == 0, "%d processes left behind; %s", count, first);
}

/* ---- Looking at pixels ----------------------------------------------------------- */

/* The fills the report's bar chart uses (viewer/report_svg.h). */
static const struct bar_colour {
    const char *meaning;
    uint8_t rgb[3];
} bar_colours[] = {
    {"with stapling (green #2e7d32)", {0x2e, 0x7d, 0x32}},
    {"without stapling (red #c62828)", {0xc6, 0x28, 0x28}},
    {"the web server's requests (blue #1565c0)", {0x15, 0x65, 0xc0}},
};
#define BAR_COLOUR_COUNT (sizeof bar_colours / sizeof bar_colours[0])

struct pixel_census {
    size_t pixels;
    size_t not_white;              /* any channel below 240 */
    size_t distinct;               /* distinct RGB values seen on at least 20 pixels */
    size_t bars[BAR_COLOUR_COUNT]; /* within 2 per channel of each bar colour */
};

static bool is_near(const uint8_t *pixel, const uint8_t rgb[3], int slack)
{
    for (int c = 0; c < 3; c++)
        if (abs((int)pixel[c] - (int)rgb[c]) > slack)
            return false;
    return true;
}

/* Counts over the rectangle [x0, x1) x [y0, y1). */
static struct pixel_census census(const struct png_image *image, uint32_t x0, uint32_t y0,
                                  uint32_t x1, uint32_t y1)
{
    struct pixel_census seen = {0};
    /* One counter per RGB value would be 64 MiB; 8 bits each (saturating)
     * is enough to tell "a few stray pixels" from "a colour on the page". */
    uint8_t *per_colour = calloc((size_t)1 << 24, 1);
    ck_assert_ptr_nonnull(per_colour);
    for (uint32_t y = y0; y < y1; y++) {
        for (uint32_t x = x0; x < x1; x++) {
            const uint8_t *p = png_pixel(image, x, y);
            size_t key = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
            seen.pixels++;
            seen.not_white += p[0] < 240 || p[1] < 240 || p[2] < 240;
            if (per_colour[key] < 255 && ++per_colour[key] == 20)
                seen.distinct++;
            for (size_t i = 0; i < BAR_COLOUR_COUNT; i++)
                seen.bars[i] += is_near(p, bar_colours[i].rgb, 2);
        }
    }
    free(per_colour);
    return seen;
}

static void read_png(const char *path, struct png_image *image, unsigned width, unsigned height)
{
    struct errbuf err = {{0}};
    ck_assert_msg(png_read_file(path, image, &err) == 0, "Chromium's PNG: %s", err.msg);
    ck_assert_msg(image->width == width && image->height == height,
                  "%s is %ux%u, the window was %ux%u", path, image->width, image->height, width,
                  height);
}

/* ---- Chromium itself ------------------------------------------------------------- */

/* Three bars on whole pixels (no antialiased edges, so every pixel of each is
 * exactly its fill) and a line of text, which needs a font to be drawn. */
static const char known_page[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>known</title>\n"
    "<style>body { margin: 0; background: #fff; font: 32px sans-serif; }\n"
    "p { position: absolute; left: 20px; top: 300px; margin: 0; }</style></head>\n"
    "<body><svg width=\"640\" height=\"240\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    "<rect x=\"20\" y=\"20\" width=\"100\" height=\"150\" fill=\"#2e7d32\"/>\n"
    "<rect x=\"140\" y=\"70\" width=\"100\" height=\"100\" fill=\"#c62828\"/>\n"
    "<rect x=\"260\" y=\"120\" width=\"100\" height=\"50\" fill=\"#1565c0\"/>\n"
    "</svg><p id=\"words\">Stapled: one request a day</p></body></html>\n";

START_TEST(test_known_page)
{
    char html[4096], png[4096];
    char *dom = NULL;
    struct errbuf err = {{0}};
    struct png_image image = {0};
    scratch_path("known.html", html, sizeof html);
    scratch_path("known.png", png, sizeof png);
    write_text(html, known_page);

    ck_assert_msg(
        chromium_dump_dom(test_scratch_dir(), html, CHROMIUM_TIMEOUT_MS, &dom, NULL, &err) == 0,
        "%s", err.msg);
    ck_assert_msg(strstr(dom, "<svg") != NULL && strstr(dom, "id=\"words\"") != NULL,
                  "the DOM misses the page:\n%.2000s", dom);
    free(dom);

    ck_assert_msg(chromium_screenshot(test_scratch_dir(), html, 640, 480, png, CHROMIUM_TIMEOUT_MS,
                                      NULL, &err) == 0,
                  "%s", err.msg);
    read_png(png, &image, 640, 480);
    static const size_t areas[BAR_COLOUR_COUNT] = {100 * 150, 100 * 100, 100 * 50};
    struct pixel_census all = census(&image, 0, 0, 640, 480);
    for (size_t i = 0; i < BAR_COLOUR_COUNT; i++)
        ck_assert_msg(all.bars[i] == areas[i], "%s: %zu pixels, the bar has %zu",
                      bar_colours[i].meaning, all.bars[i], areas[i]);
    /* each bar where it was drawn: its top-left and bottom-right pixels */
    ck_assert(is_near(png_pixel(&image, 20, 20), bar_colours[0].rgb, 2));
    ck_assert(is_near(png_pixel(&image, 119, 169), bar_colours[0].rgb, 2));
    ck_assert(is_near(png_pixel(&image, 260, 120), bar_colours[2].rgb, 2));
    ck_assert(is_near(png_pixel(&image, 359, 169), bar_colours[2].rgb, 2));
    ck_assert(!is_near(png_pixel(&image, 19, 20), bar_colours[0].rgb, 2));
    ck_assert_msg(png_pixel(&image, 600, 450)[0] == 255, "the background is not white");
    /* the text: dark pixels in its line, in several shades (antialiasing) */
    struct pixel_census words = census(&image, 0, 290, 640, 350);
    ck_assert_msg(words.not_white > 500 && words.distinct >= 3,
                  "no text drawn (%zu dark pixels, %zu shades): is a font installed? (%s)",
                  words.not_white, words.distinct, "install with scripts/install-deps.sh");
    png_image_free(&image);
    assert_nothing_left();
}
END_TEST

/* The failures a person meets say what to do. */
START_TEST(test_chromium_missing)
{
    char html[4096], png[4096], empty[4096];
    struct errbuf err = {{0}};
    scratch_path("known.html", html, sizeof html);
    scratch_path("missing.png", png, sizeof png);
    scratch_path("empty-path", empty, sizeof empty);
    write_text(html, known_page);
    ck_assert_int_eq(file_ensure_dir(empty, 0755, &err), 0);
    char *saved = strdup(getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
    ck_assert_ptr_nonnull(saved);
    setenv("PATH", empty, 1);
    int rc = chromium_screenshot(test_scratch_dir(), html, 640, 480, png, CHROMIUM_TIMEOUT_MS, NULL,
                                 &err);
    setenv("PATH", saved, 1);
    free(saved);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.msg, "chromium is not installed") != NULL &&
                      strstr(err.msg, "install with scripts/install-deps.sh") != NULL,
                  "%s", err.msg);
}
END_TEST

/* A page that never finishes loading: Chromium is killed at the limit, with
 * every process it forked. */
START_TEST(test_chromium_timeout)
{
    char html[4096], png[4096];
    struct errbuf err = {{0}};
    scratch_path("endless.html", html, sizeof html);
    scratch_path("endless.png", png, sizeof png);
    write_text(html,
               "<!doctype html><html><body>waiting<script>for (;;) {}</script></body></html>\n");
    int64_t started = clock_monotonic_ms();
    int rc = chromium_screenshot(test_scratch_dir(), html, 640, 480, png, 3000, NULL, &err);
    int64_t took_ms = clock_monotonic_ms() - started;
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.msg, "chromium timed out") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "still ran") == NULL, "killed, but not all of it: %s", err.msg);
    ck_assert_msg(took_ms < 3000 + 10000, "the timeout took %lld ms", (long long)took_ms);
    ck_assert_msg(access(png, F_OK) != 0, "a screenshot of a page that never loaded");
    assert_nothing_left();
}
END_TEST

/* ---- The real report ------------------------------------------------------------- */

static void run_scenario_with_report(const char *lab)
{
    struct test_run run;
    const char *argv[] = {test_bin("scenario"),
                          "run",
                          "--quiet",
                          "--lab",
                          lab,
                          "--report",
                          LESSONS_DIR "/01-without-stapling.lab",
                          LESSONS_DIR "/02-with-stapling.lab",
                          LESSONS_DIR "/04-revocation.lab",
                          NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "scenario run --report timed out after %d s",
                  RUN_TIMEOUT_MS / 1000);
    ck_assert_msg(run.exit_code == 0, "scenario run --report exited %d\n%s", run.exit_code,
                  test_tail_of(run.err));
    test_run_free(&run);
}

static void assert_dom(const char *html)
{
    char *dom = NULL;
    struct errbuf err = {{0}};
    ck_assert_msg(
        chromium_dump_dom(test_scratch_dir(), html, CHROMIUM_TIMEOUT_MS, &dom, NULL, &err) == 0,
        "%s", err.msg);
    static const char *const sections[] = {"id=\"comparison\"", "id=\"requests-chart\"",
                                           "id=\"staple-timeline\"", "id=\"privacy\"",
                                           "id=\"ladder\""};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        ck_assert_msg(strstr(dom, sections[i]) != NULL, "Chromium's DOM of %s has no %s", html,
                      sections[i]);
    size_t svgs = 0;
    for (const char *at = dom; (at = strstr(at, "<svg")) != NULL; at++)
        svgs++;
    ck_assert_msg(svgs >= 3, "Chromium's DOM of %s has %zu <svg> elements, expected charts", html,
                  svgs);
    free(dom);
}

/* `make docs`: the screenshot becomes docs/report.png, and the run says so. */
static void keep_for_docs(const char *png, int64_t render_ms)
{
    const char *docs = getenv("OCSPLAB_DOCS_DIR");
    char target[4096];
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct errbuf err = {{0}};
    if (docs == NULL || docs[0] == 0)
        return;
    ck_assert_int_eq(file_path_join(target, sizeof target, docs, "report.png"), 0);
    ck_assert_msg(file_read_all(png, PNG_MAX_FILE_BYTES, &bytes, &len, &err) == 0, "%s", err.msg);
    ck_assert_msg(file_write_atomic(target, bytes, len, 0644, &err) == 0, "OCSPLAB_DOCS_DIR: %s",
                  err.msg);
    free(bytes);
    printf("report_render: wrote %s (%zu KB; Chromium drew the report in %lld ms)\n", target,
           len / 1024, (long long)render_ms);
}

START_TEST(test_report)
{
    char lab[4096], html[4096], png[4096];
    struct errbuf err = {{0}};
    struct png_image image = {0};
    int64_t render_ms = 0;
    scratch_path("run", lab, sizeof lab);
    scratch_path("report.png", png, sizeof png);
    run_scenario_with_report(lab);
    ck_assert_int_eq(file_path_join(html, sizeof html, lab, "report.html"), 0);
    ck_assert_msg(access(html, R_OK) == 0, "scenario run --report wrote no %s", html);

    assert_dom(html);

    ck_assert_msg(chromium_screenshot(test_scratch_dir(), html, REPORT_WIDTH, REPORT_HEIGHT, png,
                                      CHROMIUM_TIMEOUT_MS, &render_ms, &err) == 0,
                  "%s", err.msg);
    read_png(png, &image, REPORT_WIDTH, REPORT_HEIGHT);
    struct pixel_census page = census(&image, 0, 0, image.width, image.height);
    ck_assert_msg(page.not_white * 100 > page.pixels * 3,
                  "the report rendered blank: %zu of %zu pixels are not white", page.not_white,
                  page.pixels);
    ck_assert_msg(page.distinct >= 8, "the report has only %zu colours", page.distinct);
    /* Each kind of bar drawn, as bars: more than the legend's swatch (16x16)
     * and stray antialiased edges, less than a page flooded with one fill. In
     * the lab's report each has several thousand pixels. */
    for (size_t i = 0; i < BAR_COLOUR_COUNT; i++)
        ck_assert_msg(page.bars[i] >= 1000 && page.bars[i] < page.pixels / 4,
                      "bars %s: %zu pixels of %zu; the chart did not render as bars "
                      "(or it lies below the first %u pixels of the page)",
                      bar_colours[i].meaning, page.bars[i], page.pixels, REPORT_HEIGHT);
    png_image_free(&image);
    keep_for_docs(png, render_ms);

    /* Present mode: a section a screen. The overview alone fills the first
     * screen, so none of the chart's bars (drawn above on the same window)
     * is on it. */
    char present[4096], present_png[4096];
    scratch_path("present.html", present, sizeof present);
    scratch_path("present.png", present_png, sizeof present_png);
    const char *argv[] = {test_bin("scenario"), "report", "--lab", lab,
                          "--present",          "-o",     present, NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "scenario report --present exited %d\n%s", run.exit_code,
                  test_tail_of(run.err));
    test_run_free(&run);
    ck_assert_msg(chromium_screenshot(test_scratch_dir(), present, REPORT_WIDTH, REPORT_HEIGHT,
                                      present_png, CHROMIUM_TIMEOUT_MS, NULL, &err) == 0,
                  "%s", err.msg);
    read_png(present_png, &image, REPORT_WIDTH, REPORT_HEIGHT);
    struct pixel_census first_screen = census(&image, 0, 0, image.width, image.height);
    ck_assert_msg(first_screen.not_white * 200 > first_screen.pixels,
                  "the present mode's first screen is blank");
    for (size_t i = 0; i < BAR_COLOUR_COUNT; i++)
        ck_assert_msg(first_screen.bars[i] < 300,
                      "present mode: %zu pixels of %s bars on the first screen, which should "
                      "hold the overview alone",
                      first_screen.bars[i], bar_colours[i].meaning);
    png_image_free(&image);
    assert_nothing_left();
}
END_TEST

Suite *report_render_suite(void)
{
    Suite *s = suite_create("report_render");
    TCase *browser = tcase_create("chromium");
    tcase_set_timeout(browser, 120);
    tcase_add_unchecked_fixture(browser, scratch_setup, scratch_teardown);
    tcase_add_test(browser, test_known_page);
    tcase_add_test(browser, test_chromium_missing);
    tcase_add_test(browser, test_chromium_timeout);
    suite_add_tcase(s, browser);
    TCase *report = tcase_create("report");
    tcase_set_timeout(report, 300);
    tcase_add_unchecked_fixture(report, scratch_setup, scratch_teardown);
    tcase_add_test(report, test_report);
    suite_add_tcase(s, report);
    return s;
}
