/* certstatus.c — framing the TLS 1.2 CertificateStatus message (RFC 6066 8). */
#include "certstatus.h"

const char *certstatus_strerror(int err)
{
    switch (err) {
    case CERTSTATUS_OK:
        return "no error";
    case CERTSTATUS_TRUNCATED:
        return "the message is shorter than its lengths say";
    case CERTSTATUS_WRONG_MESSAGE:
        return "it is not a certificate_status handshake message";
    case CERTSTATUS_NOT_OCSP:
        return "its status_type is not ocsp (1)";
    case CERTSTATUS_EMPTY_RESPONSE:
        return "it carries an empty OCSP response";
    case CERTSTATUS_TRAILING:
        return "bytes follow the OCSP response inside the message";
    }
    return "unknown error";
}

int certstatus_parse(const uint8_t *msg, size_t len, struct der_cursor *ocsp_response)
{
    struct der_cursor in = der_cursor_init(msg, len), body, response;
    size_t msg_type, body_len, status_type, response_len;

    if (!der_take_uint(&in, 1, &msg_type))
        return CERTSTATUS_TRUNCATED;
    if (msg_type != CERTSTATUS_HANDSHAKE_TYPE)
        return CERTSTATUS_WRONG_MESSAGE;
    if (!der_take_uint(&in, 3, &body_len) || !der_take(&in, body_len, &body))
        return CERTSTATUS_TRUNCATED;
    if (!der_is_empty(&in))
        return CERTSTATUS_TRAILING; /* one message is framed at a time */
    if (!der_take_uint(&body, 1, &status_type))
        return CERTSTATUS_TRUNCATED;
    if (status_type != CERTSTATUS_TYPE_OCSP)
        return CERTSTATUS_NOT_OCSP;
    if (!der_take_uint(&body, 3, &response_len) || !der_take(&body, response_len, &response))
        return CERTSTATUS_TRUNCATED;
    if (response_len == 0)
        return CERTSTATUS_EMPTY_RESPONSE;
    if (!der_is_empty(&body))
        return CERTSTATUS_TRAILING;
    *ocsp_response = response;
    return CERTSTATUS_OK;
}
