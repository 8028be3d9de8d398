/* report_cache.c — the report's "behind a cache" drawing: for each lab with
 * an HTTP cache in front of its responder (lesson 10), two bars on one
 * scale: the OCSP requests the CA would have answered without the cache
 * (every request the cache took) and those it answered with it (the
 * cache's misses). Hits are the difference, said in words beside them. */
#include "report_svg.h"

#include <stdio.h>
#include <string.h>

#define CACHE_LABEL_X 8
#define CACHE_BAR_X 330
#define CACHE_BAR_W (SCN_SVG_WIDTH - CACHE_BAR_X - 220)
#define CACHE_ROW 34
#define CACHE_LAB_GAP 18
#define CACHE_WITHOUT "#c62828" /* the CA answers every browser */
#define CACHE_WITH "#1565c0"    /* the CA answers the cache's misses */

bool scn_report_has_cache(const struct scn_report_lab *lab)
{
    return lab->has_cache;
}

static void bar(struct scn_html *h, double y, double width, const char *fill, const char *kind,
                const char *label, int64_t value, const char *title)
{
    char text[64];
    scn_svg_text(h, CACHE_LABEL_X, y + 22, SCN_SVG_TEXT, label);
    scn_html_rawf(h,
                  "<rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"26\" "
                  "fill=\"%s\">",
                  kind, CACHE_BAR_X, y + 2, width > 2 ? width : 2, fill);
    scn_svg_title(h, title);
    scn_html_raw(h, "</rect>\n");
    snprintf(text, sizeof text, "%lld", (long long)value);
    scn_svg_text(h, CACHE_BAR_X + (width > 2 ? width : 2) + 8, y + 22, SCN_SVG_HEADING, text);
}

void scn_report_cache(struct scn_html *h, const struct scn_report_lab *const *labs, size_t count)
{
    size_t shown = 0;
    int64_t top = 1;
    for (size_t i = 0; i < count; i++) {
        if (!scn_report_has_cache(labs[i]))
            continue;
        shown++;
        top = labs[i]->cache_requests > top ? labs[i]->cache_requests : top;
    }
    if (shown == 0)
        return;
    int height = (int)(shown * (3 * CACHE_ROW + CACHE_LAB_GAP)) + 8;
    scn_svg_open(h, SCN_SVG_WIDTH, height, "OCSP requests at the CA with and without a cache");
    double y = 4;
    for (size_t i = 0; i < count; i++) {
        const struct scn_report_lab *lab = labs[i];
        if (!scn_report_has_cache(lab))
            continue;
        int64_t misses = lab->cache_requests - lab->cache_hits;
        char title[160], name[96];
        scn_ui_fit(lab->name, 60, name, sizeof name);
        scn_svg_text(h, CACHE_LABEL_X, y + 22, SCN_SVG_HEADING, name);
        y += CACHE_ROW;
        snprintf(title, sizeof title, "without a cache the CA would answer all %lld requests",
                 (long long)lab->cache_requests);
        bar(h, y, (double)lab->cache_requests / (double)top * CACHE_BAR_W, CACHE_WITHOUT,
            "without-cache", "without the cache", lab->cache_requests, title);
        y += CACHE_ROW;
        snprintf(title, sizeof title, "with it the CA answered %lld; the cache answered %lld",
                 (long long)misses, (long long)lab->cache_hits);
        bar(h, y, (double)misses / (double)top * CACHE_BAR_W, CACHE_WITH, "with-cache",
            "with it (the cache's misses)", misses, title);
        y += CACHE_ROW + CACHE_LAB_GAP;
    }
    scn_svg_close(h);
}
