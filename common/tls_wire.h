/* tls_wire.h — the TLS framing the lab reads, in one place: records (RFC 8446
 * 5.1), handshake messages (RFC 8446 4), the ClientHello's status_request
 * (RFC 6066 8), the CertificateStatus message (RFC 6066 8) and the
 * status_request of a TLS 1.3 CertificateEntry (RFC 8446 4.4.2.1).
 *
 * Reads go on the shared cursor of common/der.h with width-named gets in the
 * manner of BoringSSL's CBS: each checks what is left first and moves the
 * cursor only on success, so a failed read can be retried with more bytes.
 * Results are named (enums), and so are the numbers of the protocol. */
#ifndef OCSPLAB_TLS_WIRE_H
#define OCSPLAB_TLS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"

/* ContentType of a record (RFC 8446 5.1). */
enum tls_content_type {
    TLS_CONTENT_CHANGE_CIPHER_SPEC = 20,
    TLS_CONTENT_ALERT = 21,
    TLS_CONTENT_HANDSHAKE = 22,
    TLS_CONTENT_APPLICATION_DATA = 23,
};

/* HandshakeType (RFC 8446 4, RFC 6066 8). */
enum tls_handshake_type {
    TLS_HANDSHAKE_CLIENT_HELLO = 1,
    TLS_HANDSHAKE_SERVER_HELLO = 2,
    TLS_HANDSHAKE_CERTIFICATE = 11,
    TLS_HANDSHAKE_CERTIFICATE_STATUS = 22,
};

/* ExtensionType (RFC 6066 8; RFC 6961 2.2 for the v2 the lab only names). */
enum tls_extension_type {
    TLS_EXTENSION_STATUS_REQUEST = 5,
    TLS_EXTENSION_STATUS_REQUEST_V2 = 17,
};

/* CertificateStatusType (RFC 6066 8; ocsp_multi is RFC 6961's). */
enum tls_status_type {
    TLS_STATUS_OCSP = 1,
    TLS_STATUS_OCSP_MULTI = 2,
};

#define TLS_RECORD_HEADER_BYTES 5
#define TLS_HANDSHAKE_HEADER_BYTES 4
/* RFC 8446 5.1: a plaintext record carries at most 2^14 bytes. */
#define TLS_MAX_PLAINTEXT_BYTES 16384
/* The largest ClientHello the peek reassembles from several records: far
 * more than any real one (a few hundred bytes; large with post-quantum
 * key shares). */
#define TLS_CLIENT_HELLO_MAX_BYTES 16384

/* ---- Width-named reads ------------------------------------------------ */
bool tls_get_u8(struct der_cursor *in, uint8_t *out);
bool tls_get_u16(struct der_cursor *in, uint16_t *out);
bool tls_get_u24(struct der_cursor *in, uint32_t *out);
/* Skips n bytes (a fixed-size field such as the 32-byte random). */
bool tls_skip(struct der_cursor *in, size_t n);
/* A vector<0..2^8-1>, <0..2^16-1>, <0..2^24-1>: its body into `body`. */
bool tls_get_u8_length_prefixed(struct der_cursor *in, struct der_cursor *body);
bool tls_get_u16_length_prefixed(struct der_cursor *in, struct der_cursor *body);
bool tls_get_u24_length_prefixed(struct der_cursor *in, struct der_cursor *body);

/* ---- Records and messages --------------------------------------------- */
struct tls_record {
    uint8_t type;             /* an enum tls_content_type, or garbage */
    uint16_t version;         /* legacy_record_version, e.g. 0x0303 */
    uint16_t length;          /* the fragment's length, as the header says */
    struct der_cursor header; /* its 5 bytes (a TLS 1.3 AEAD's additional data) */
    struct der_cursor body;   /* the fragment */
};

/* The 5-byte header alone (body left empty), so a caller can judge the type
 * and length before the fragment has arrived. */
bool tls_get_record_header(struct der_cursor *in, struct tls_record *out);
/* Header and fragment together; false (cursor unmoved) when either is short. */
bool tls_get_record(struct der_cursor *in, struct tls_record *out);
/* One handshake message: msg_type and its uint24-length-prefixed body. */
bool tls_get_handshake(struct der_cursor *in, uint8_t *msg_type, struct der_cursor *body);
/* One extension of an extension block: type and its uint16-prefixed data. */
bool tls_get_extension(struct der_cursor *in, uint16_t *type, struct der_cursor *data);

/* ---- The ClientHello peek (the web server's first look) ---------------- */
enum tls_hello_peek {
    TLS_HELLO_ASKS_STATUS,      /* a ClientHello carrying status_request */
    TLS_HELLO_NO_STATUS,        /* a ClientHello without it */
    TLS_HELLO_INCOMPLETE,       /* cut short: wait for more bytes */
    TLS_HELLO_NOT_CLIENT_HELLO, /* garbage: not a TLS ClientHello at all */
};

/* Reads the records at the start of `data` (several, when the ClientHello
 * spans records, RFC 8446 5.1) and says whether the ClientHello asks for a
 * staple. Only the extensions up to status_request are walked: once it is
 * seen, the answer is known and wolfSSL judges the rest. */
enum tls_hello_peek tls_peek_client_hello(const uint8_t *data, size_t len);
/* "asks for a staple", "does not ask", "incomplete", "not a ClientHello". */
const char *tls_hello_peek_name(enum tls_hello_peek peek);

/* ---- CertificateStatus (RFC 6066 8) -------------------------------------
 *   HandshakeType msg_type = certificate_status (22);  uint24 length;
 *   struct { CertificateStatusType status_type = ocsp (1);
 *            opaque OCSPResponse<1..2^24-1>; } CertificateStatus;          */
enum tls_certstatus_error {
    TLS_CERTSTATUS_OK = 0,
    TLS_CERTSTATUS_TRUNCATED = -1,      /* a length claims more bytes than are there */
    TLS_CERTSTATUS_WRONG_MESSAGE = -2,  /* not a certificate_status handshake message */
    TLS_CERTSTATUS_NOT_OCSP = -3,       /* a status_type other than ocsp (e.g. ocsp_multi) */
    TLS_CERTSTATUS_EMPTY_RESPONSE = -4, /* OCSPResponse<1..2^24-1> with length 0 */
    TLS_CERTSTATUS_TRAILING = -5,       /* bytes after the response inside the message */
};

/* A phrase for the error ("the message is shorter than its lengths say"). */
const char *tls_certstatus_strerror(int err);

/* Frames one whole handshake message (msg_type and uint24 length included).
 * On TLS_CERTSTATUS_OK, *ocsp_response spans the DER OCSPResponse inside
 * msg; the verifier judges its contents. */
enum tls_certstatus_error tls_read_certificate_status(const uint8_t *msg, size_t len,
                                                      struct der_cursor *ocsp_response);

/* RFC 8446 4.4.2 and 4.4.2.1: the data of the status_request extension of
 * the first CertificateEntry of a TLS 1.3 Certificate message body (a
 * CertificateStatus struct, as in TLS 1.2). False when the body is
 * malformed or the leaf's entry carries none. */
bool tls_find_leaf_status(struct der_cursor certificate, struct der_cursor *status);

#endif
