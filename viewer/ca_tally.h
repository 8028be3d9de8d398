/* ca_tally.h — what the CA's responders did in a lab, from its trace
 * (DESIGN section 5): the requests they answered (and refused) and the CRL
 * downloads, the bytes they sent, the distinct client addresses. The
 * runner's closing table and the HTML report add up the same events the
 * same way. */
#ifndef OCSPLAB_VIEWER_CA_TALLY_H
#define OCSPLAB_VIEWER_CA_TALLY_H

#include <stdint.h>

#include <jansson.h>

#include "errbuf.h"

/* What the CA's responders did in this lab: answers (and refused requests)
 * and CRL downloads, bytes of OCSP responses and CRLs sent, and distinct
 * client addresses. */
struct scn_ca_totals {
    int64_t requests;
    int64_t bytes;
    int64_t addresses;
};
int scn_ca_totals_read(const char *lab, struct scn_ca_totals *out, struct errbuf *err);

/* The same totals counted one event at a time, for a reader that walks the
 * trace anyway (the HTML report): the runner's table and the report add up
 * the same events the same way. new (NULL when out of memory), add every
 * event, then totals (-1 with err set when memory ran out), then free. */
struct scn_ca_tally;
struct scn_ca_tally *scn_ca_tally_new(void);
void scn_ca_tally_add(struct scn_ca_tally *tally, json_t *event);
int scn_ca_tally_totals(const struct scn_ca_tally *tally, struct scn_ca_totals *out,
                        struct errbuf *err);
void scn_ca_tally_free(struct scn_ca_tally *tally);

#endif
