/* tracelog.h — reading a lab's trace back (DESIGN section 5) for the
 * expectations: counting the events an `expect trace` names. Lines are read
 * through common/trace_read.h (bounded, a bad line passed over). The CA's
 * totals for the table are viewer/ca_tally.h's. */
#ifndef OCSPLAB_SCENARIOS_TRACELOG_H
#define OCSPLAB_SCENARIOS_TRACELOG_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "parse.h"

/* Counts events named `event` whose fields match every filter (strings
 * compare as text, numbers and booleans as written: user=3, staple=true).
 * A missing trace counts 0. */
int scn_tracelog_count(const char *lab, const char *event, const struct scn_filter *filters,
                       size_t filter_count, int64_t *count, struct errbuf *err);

#endif
