/* tracelog.h — reading a lab's trace back (DESIGN section 5): counting the
 * events an `expect trace` names, and totalling what the CA's responders
 * answered for the comparison table. Lines are bounded (TRACE_MAX_LINE); a
 * line that is not a JSON object is skipped, never trusted. */
#ifndef OCSPLAB_SCENARIOS_TRACELOG_H
#define OCSPLAB_SCENARIOS_TRACELOG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "errbuf.h"
#include "parse.h"

/* A trace larger than this is not a classroom lab's. */
#define SCN_TRACE_MAX_BYTES (512LL * 1024 * 1024)

/* Counts events named `event` whose fields match every filter (strings
 * compare as text, numbers and booleans as written: user=3, staple=true).
 * A missing trace counts 0. */
int scn_tracelog_count(const char *lab, const char *event, const struct scn_filter *filters,
                       size_t filter_count, int64_t *count, struct errbuf *err);

/* What the CA's responders did in this lab: answers (and refused requests)
 * and CRL downloads, bytes of OCSP responses and CRLs sent, and distinct
 * client addresses. */
struct scn_ca_totals {
    int64_t requests;
    int64_t bytes;
    int64_t addresses;
};
int scn_tracelog_ca_totals(const char *lab, struct scn_ca_totals *out, struct errbuf *err);

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
