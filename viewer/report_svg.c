/* report_svg.c — what the report's drawings share: the <svg> element, text
 * and tooltips, short times. */
#include "report_svg.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"

void scn_svg_open(struct scn_html *h, int width, int height, const char *name)
{
    scn_html_rawf(h,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                  "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
                  width, height, width, height);
    scn_html_text(h, name);
    scn_html_raw(h, "\">\n");
}

void scn_svg_close(struct scn_html *h)
{
    scn_html_raw(h, "</svg>\n");
}

void scn_svg_text(struct scn_html *h, double x, double y, const char *attrs, const char *text)
{
    scn_html_rawf(h, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, attrs[0] != 0 ? " " : "", attrs);
    scn_html_text(h, text);
    scn_html_raw(h, "</text>\n");
}

void scn_svg_title(struct scn_html *h, const char *text)
{
    scn_html_raw(h, "<title>");
    scn_html_text(h, text);
    scn_html_raw(h, "</title>");
}

void scn_svg_short_time(int64_t unix_ms, char *out, size_t cap)
{
    clock_format_utc(unix_ms / 1000, "%m-%d %H:%M", out, cap);
}
