/* stats.h — what the web server says about itself: GET /stats as JSON
 * (handshakes, staples sent, OCSP fetches, the staple's state) and the
 * sentence GET / shows about the current staple. Both are server.h's
 * callbacks; ctx is the web server's struct stapler. */
#ifndef OCSPLAB_WEBSERVER_STATS_H
#define OCSPLAB_WEBSERVER_STATS_H

#include <stddef.h>

#include <jansson.h>

#include "server.h"

void webserver_describe(void *ctx, char *line, size_t cap);
json_t *webserver_stats_json(void *ctx, const struct server_stats *stats);

#endif
