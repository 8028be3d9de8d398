/* cache.h — a real HTTP cache in front of a responder, as CDNs stood in
 * front of CAs' OCSP responders: Debian's nginx with proxy_cache, keyed on
 * the GET URL and honouring the responder's Cache-Control (RFC 5019 6.2),
 * started by the scenario runner from the template in cache.c on a free
 * loopback port, with its files in LAB/cache/NAME/ (nginx.conf, access.log,
 * error.log, the cached answers). nginx runs under libfaketime on the lab's
 * simulated clock, so a cached answer's max-age runs out when the lesson's
 * clock says it does, and the CDN's own revocation window can be measured.
 * Hits and misses are read from its access log. */
#ifndef OCSPLAB_SCENARIOS_CACHE_H
#define OCSPLAB_SCENARIOS_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "lab.h"
#include "procs.h"

/* What a lesson needs when the tools are missing, said in one sentence. */
#define SCN_CACHE_INSTALL_HINT "sudo apt-get install nginx faketime (or run make deps)"

/* Where the two tools are: nginx and libfaketime's preload library. */
struct scn_cache_tools {
    char nginx[LAB_PATH_MAX];
    char faketime[LAB_PATH_MAX];
};

/* Finds nginx (OCSPLAB_NGINX when set, else PATH, then /usr/sbin) and
 * libfaketime. Returns 0, or -1 with err naming what is missing and how to
 * install it. */
int scn_cache_find_tools(struct scn_cache_tools *tools, struct errbuf *err);

/* Requests by what the cache did with them. A hit was answered from the
 * cache (HIT, STALE, UPDATING, REVALIDATED); a miss reached the responder
 * (MISS, EXPIRED, BYPASS, or a request the cache never keeps: a POST). */
struct scn_cache_tally {
    int64_t requests, hits, misses;
};
struct scn_cache_counts {
    struct scn_cache_tally all, get, post;
    int64_t bad_lines; /* access log lines that are not the lab's format */
};

/* A cache of the lab. */
struct scn_cache {
    char dir[LAB_PATH_MAX]; /* LAB/cache/NAME */
    int port;               /* where it listens, 127.0.0.1 */
    int upstream_port;      /* the responder it fronts */
};

/* Makes LAB/cache/NAME with its nginx.conf (listening on c->port, passing to
 * c->upstream_port) and the clock file at `offset_seconds`, then starts
 * nginx under libfaketime as `child` (the caller's: it stops it with
 * scn_child_stop) and waits (at most SCN_START_TIMEOUT_MS) until it accepts
 * connections. c->port 0 picks a free port (kept for restarts: the
 * certificates name it). Returns 0, or -1 with err set (nginx stopped). */
int scn_cache_start(struct scn_cache *c, struct scn_child *child,
                    const struct scn_cache_tools *tools, const char *lab, const char *name,
                    int64_t offset_seconds, struct errbuf *err);

/* Sets the clock nginx sees to the lab's: real time + offset_seconds. */
int scn_cache_set_clock(const struct scn_cache *c, int64_t offset_seconds, struct errbuf *err);

/* Counts the access log (bounded: lines of at most 512 bytes). */
int scn_cache_count(const char *dir, struct scn_cache_counts *out, struct errbuf *err);

/* {"requests", "hits", "misses", "GET": {…}, "POST": {…}} (new reference),
 * what `expect CACHE …` reads. */
json_t *scn_cache_counts_json(const struct scn_cache_counts *counts);

#endif
