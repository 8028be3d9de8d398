/* report_privacy.h — the report's "what the CA learned" for one lab: from
 * the responder's answers (ocsp.response.sent: client address, site,
 * requester), a sentence per site — did the CA learn who visits it, or only
 * see the web server? — and a bounded table of address × site × requester. */
#ifndef OCSPLAB_SCENARIOS_REPORT_PRIVACY_H
#define OCSPLAB_SCENARIOS_REPORT_PRIVACY_H

#include "htmlbuf.h"
#include "report_data.h"

#define SCN_REPORT_PRIVACY_ROWS 50 /* table rows per lab; the rest are counted */

void scn_report_privacy(struct scn_html *h, const struct scn_report_lab *lab);

#endif
