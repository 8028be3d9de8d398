/* keylog.h — TLS secrets in the NSS key log format, so Wireshark and tshark
 * can decrypt the browser's own connections and show a TLS 1.3 staple
 * inside the encrypted Certificate message. Written only when asked
 * (`browser visit --keylog FILE`, or the SSLKEYLOGFILE environment variable
 * that browsers honour); the file is created with mode 0600.
 *
 * Format (https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/):
 *   CLIENT_RANDOM <client random> <master secret>                 TLS 1.2
 *   CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>      TLS 1.3, and
 *   SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0,
 *   SERVER_TRAFFIC_SECRET_0, EXPORTER_SECRET likewise. */
#ifndef OCSPLAB_BROWSER_KEYLOG_H
#define OCSPLAB_BROWSER_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

struct keylog;

/* Opens (creates, appends to) the key log. Returns 0, or -1 with err set. */
int keylog_open(const char *path, struct keylog **out, struct errbuf *err);

/* Appends one line with a single write(), so concurrent users' lines never
 * mix. Lines whose parts do not fit (a secret over 64 bytes) are dropped. */
void keylog_write(struct keylog *log, const char *label, const uint8_t *client_random,
                  size_t client_random_len, const uint8_t *secret, size_t secret_len);

/* Closes it. Accepts NULL. */
void keylog_close(struct keylog *log);

#endif
