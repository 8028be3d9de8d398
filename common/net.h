/* net.h — the listening socket every server of the lab opens: "HOST:PORT"
 * parsed strictly (IPv4 or localhost, port 0 picks a free one), bound,
 * listening, and the address actually bound written back for the
 * "listening on HOST:PORT" line (DESIGN section 2). */
#ifndef OCSPLAB_NET_H
#define OCSPLAB_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

/* Parses "HOST:PORT" (a dotted IPv4 address or "localhost"; the port in
 * digits, 0 to 65535). */
int net_parse_listen(const char *spec, char *host, size_t host_cap, uint16_t *port,
                     struct errbuf *err);

/* Opens a listening TCP socket on `spec` (close-on-exec; non-blocking when
 * asked). *fd receives it and `bound` the real "HOST:PORT". `in_use_hint`
 * is added to the message when the port is taken. */
int net_listen(const char *spec, bool is_nonblocking, const char *in_use_hint, int *fd, char *bound,
               size_t bound_cap, struct errbuf *err);

#endif
