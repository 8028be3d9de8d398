/* certstatus.h — reading the TLS 1.2 CertificateStatus handshake message
 * (RFC 6066 section 8) that carries a stapled OCSP response in the clear:
 *
 *   HandshakeType msg_type = certificate_status (22);  uint24 length;
 *   struct { CertificateStatusType status_type = ocsp (1);
 *            opaque OCSPResponse<1..2^24-1>; } CertificateStatus;
 *
 * The browser's TLS code hands over the whole message as wolfSSL's message
 * callback saw it; this module only frames it, with the bounded cursor of
 * common/der.h, and leaves the OCSPResponse itself to the verifier. */
#ifndef OCSPLAB_BROWSER_CERTSTATUS_H
#define OCSPLAB_BROWSER_CERTSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include "der.h"

#define CERTSTATUS_HANDSHAKE_TYPE 22 /* certificate_status (RFC 6066 8) */
#define CERTSTATUS_TYPE_OCSP 1       /* CertificateStatusType ocsp */

enum certstatus_error {
    CERTSTATUS_OK = 0,
    CERTSTATUS_TRUNCATED = -1,      /* a length claims more bytes than are there */
    CERTSTATUS_WRONG_MESSAGE = -2,  /* not a certificate_status handshake message */
    CERTSTATUS_NOT_OCSP = -3,       /* a status_type other than ocsp (e.g. ocsp_multi) */
    CERTSTATUS_EMPTY_RESPONSE = -4, /* OCSPResponse<1..2^24-1> with length 0 */
    CERTSTATUS_TRAILING = -5,       /* bytes after the response inside the message */
};

/* A phrase for the error ("the message is shorter than its lengths say"). */
const char *certstatus_strerror(int err);

/* Frames one handshake message (msg_type and uint24 length included). On
 * CERTSTATUS_OK, *ocsp_response spans the DER OCSPResponse inside msg. */
int certstatus_parse(const uint8_t *msg, size_t len, struct der_cursor *ocsp_response);

#endif
