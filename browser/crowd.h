/* crowd.h — many simulated users visiting at once (DESIGN 7): user k speaks
 * from its own loopback address, a bounded number of users run at a time
 * (one thread each), and verdicts are handed back in user order as soon as
 * they are known. */
#ifndef OCSPLAB_BROWSER_CROWD_H
#define OCSPLAB_BROWSER_CROWD_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "visit.h"

/* Address scheme: user k (1-based) is 127.X.Y.Z with, for i = k - 1 and
 * b = i / 254: Z = 1 + i % 254, Y = 1 + b % 255, X = b / 255. Users
 * 1..254 are 127.0.1.1..127.0.1.254, user 255 is 127.0.2.1, user 64,771
 * is 127.1.1.1; no address ends in .0 or .255, and 127.0.0.x stays free for
 * the servers. All of 127.0.0.0/8 is loopback on Linux, so bind() needs no
 * setup. */
#define CROWD_MAX_ADDRESSES (256 * 255 * 254)
/* Verdicts are handed back in user order and summed as they come, so a run
 * keeps only the verdicts waiting for a slower user before them: at most
 * CROWD_RING_SLOTS (about 2 KB each), whatever the number of users. */
#define CROWD_MAX_USERS 1000000
#define CROWD_RING_SLOTS 4096
#define CROWD_MAX_CONCURRENCY 256
#define CROWD_DEFAULT_CONCURRENCY 8
/* The first users of a crowd visit one at a time (outcome.was_alone), so a
 * visit's own time can be told from time spent waiting behind others. */
#define CROWD_ALONE_USERS 3
/* Users past this one visit with their trace muted (trace.h): the trace
 * tells the first ones' stories and the browser sums the rest in one
 * browser.verdicts.summarized event. */
#define CROWD_TRACED_USERS 2000

/* Writes user k's address into out (cap >= 16). Returns 0, or -1 when k is
 * outside 1..CROWD_MAX_ADDRESSES. */
int crowd_user_address(int user, char *out, size_t cap);

/* Called once per user, in user order, from whichever thread finished the
 * visit that completed the sequence; calls never overlap. The outcome is
 * valid during the call only. */
typedef void (*crowd_report_fn)(void *ctx, const struct visit_outcome *outcome);

/* Runs users 1..users: the first CROWD_ALONE_USERS one at a time (all of
 * them when concurrency is 1), then the rest with at most `concurrency` at
 * a time; report() receives every verdict. Returns 0, or -1 with err set
 * when not a single thread could be started. *wall_ms is the elapsed time
 * of the whole run. */
int crowd_run(const struct visit_config *config, int users, int concurrency, crowd_report_fn report,
              void *report_ctx, int64_t *wall_ms, struct errbuf *err);

#endif
