/* report_svg.h — the report's drawings as inline SVG: the requests chart, a
 * lab's staple timeline and a lab's ladder. Plain shapes and text only: no
 * script, no url() reference (markers, gradients and patterns need one), so
 * a page with them is complete offline. Trace text is escaped (htmlbuf.h).
 * The chart alone uses the three fills the render test counts:
 * SCN_SVG_STAPLED, SCN_SVG_UNSTAPLED, SCN_SVG_WEBSERVER. */
#ifndef OCSPLAB_SCENARIOS_REPORT_SVG_H
#define OCSPLAB_SCENARIOS_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "htmlbuf.h"
#include "report_data.h"

#define SCN_SVG_STAPLED "#2e7d32"   /* visits that got a staple */
#define SCN_SVG_UNSTAPLED "#c62828" /* OCSP requests from browsers asking the CA themselves */
#define SCN_SVG_WEBSERVER "#1565c0" /* OCSP requests from the web server, for its staple */

/* The drawings are this wide; the page around them a little wider, so at
 * 1280 px nothing is scaled down and a size here is a size on the screen. */
#define SCN_SVG_WIDTH 1160

/* Text sizes: at least 16 px everywhere, so the back of a classroom can
 * read a projected page; SCN_SVG_CHAR_PX is an average character of
 * DejaVu Sans at 16 px, for fitting labels into the room they have. */
#define SCN_SVG_TEXT "font-size=\"16\""
#define SCN_SVG_HEADING "font-size=\"18\" font-weight=\"bold\""
#define SCN_SVG_CHAR_PX 9.0

/* Two panels per lab (labs without program events left out): the visits,
 * stacked by whether they got a staple, and the requests at the CA, stacked
 * by who asked. */
void scn_report_chart(struct scn_html *h, const struct scn_report_lab *const *labs, size_t count);

/* A lab's staple timeline, when it has one: web server staple events or a
 * revocation. */
bool scn_report_has_timeline(const struct scn_report_lab *lab);
void scn_report_timeline(struct scn_html *h, const struct scn_report_lab *lab);

/* Labs with an HTTP cache in front of the responder (lesson 10): the CA's
 * requests with and without it. Draws nothing when no lab had one. */
bool scn_report_has_cache(const struct scn_report_lab *lab);
void scn_report_cache(struct scn_html *h, const struct scn_report_lab *const *labs, size_t count);

/* Labs of a sweep (scenario run --sweep users=…): requests and bytes at
 * the CA against users, log scales, one line per lesson. Draws nothing when
 * no lab was swept. */
bool scn_report_has_sweep(const struct scn_report_lab *lab);
void scn_report_sweep(struct scn_html *h, const struct scn_report_lab *const *labs, size_t count);

/* A lab's ladder; `trace_command` is shown for the rows past the bound. */
void scn_report_ladder(struct scn_html *h, const struct scn_report_lab *lab,
                       const char *trace_command);

/* ---- Shared by the drawings ---- */

/* <svg …> sized width × height, with an accessible name. */
void scn_svg_open(struct scn_html *h, int width, int height, const char *name);
void scn_svg_close(struct scn_html *h);
/* <text x y ATTRS>escaped text</text>; attrs is markup (may be ""). */
void scn_svg_text(struct scn_html *h, double x, double y, const char *attrs, const char *text);
/* <title>escaped text</title>: the tooltip of the enclosing shape. */
void scn_svg_title(struct scn_html *h, const char *text);
/* "11-26 14:39" for a Unix time in ms. */
void scn_svg_short_time(int64_t unix_ms, char *out, size_t cap);

#endif
