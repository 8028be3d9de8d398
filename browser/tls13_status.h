/* tls13_status.h — the stapled CertificateStatus of a TLS 1.3 handshake,
 * read back out of the server's own encrypted records, for the one case the
 * TLS library does not hand it over.
 *
 * Why it exists: wolfSSL 5.9.2 hands the client every stapled response it can
 * decode (the status verify callback, see tls_client.h), but ends the
 * handshake with BAD_CERTIFICATE_STATUS_ERROR *before* that callback when its
 * own decoder refuses the response (src/internal.c ProcessCSR_ex: the first
 * OcspResponseDecode fails). A responder's bare "tryLater" has no
 * responseBytes and is refused there, exactly like garbage. In TLS 1.2 the
 * browser still sees those bytes (CertificateStatus travels in the clear); in
 * TLS 1.3 they sit inside the encrypted Certificate message. The browser
 * holds the server handshake traffic secret (wolfSSL's secret callback), so
 * it decrypts its own copy of the server's first flight (RFC 8446 5.2, 5.3,
 * 7.1, 7.3) and takes the status_request extension of the first
 * CertificateEntry (RFC 8446 4.4.2.1): then both versions get the same
 * reason word ("unsuccessful" or "malformed").
 *
 * All framing goes through common/tls_wire. */
#ifndef OCSPLAB_BROWSER_TLS13_STATUS_H
#define OCSPLAB_BROWSER_TLS13_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "der.h"

/* TLS 1.3 cipher suites the reader can decrypt (RFC 8446 B.4). */
#define TLS13_AES_128_GCM_SHA256 0x1301
#define TLS13_AES_256_GCM_SHA384 0x1302
#define TLS13_CHACHA20_POLY1305_SHA256 0x1303

struct tls13_status_input {
    const uint8_t *server_bytes; /* what the server sent, from its first byte */
    size_t server_len;
    int cipher_suite; /* e.g. TLS13_AES_128_GCM_SHA256 */
    const uint8_t *server_handshake_secret;
    size_t secret_len;
};

/* Finds the leaf's status_request extension in the server's Certificate
 * message. Returns 0 with *message holding it framed as a TLS 1.2-style
 * certificate_status handshake message (type 22, uint24 length, then the
 * CertificateStatus struct), so tls_read_certificate_status reads both
 * versions alike;
 * caller frees with der_buf_free. Returns -1 with a phrase in `why` when the
 * records do not decrypt, there is no Certificate message, or it carries no
 * status_request for the leaf. */
int tls13_status_recover(const struct tls13_status_input *in, struct der_buf *message, char *why,
                         size_t why_cap);

/* The second half of tls13_status_recover, on handshake messages already
 * decrypted and joined (type, uint24 length, body; RFC 8446 4): finds the
 * Certificate and frames its leaf's CertificateStatus the same way. */
int tls13_status_from_handshake(const uint8_t *stream, size_t len, struct der_buf *message,
                                char *why, size_t why_cap);

#endif
