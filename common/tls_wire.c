/* tls_wire.c — TLS framing on width-named cursor reads (see tls_wire.h).
 * RFC 8446 5.1 (records), 4 (handshake messages), 4.1.2 (ClientHello),
 * 4.4.2 (Certificate); RFC 6066 8 (status_request, CertificateStatus). */
#include "tls_wire.h"

#include <string.h>

/* A big-endian unsigned integer of `octets` bytes (1 to 3 here). */
static bool get_uint(struct der_cursor *in, size_t octets, uint32_t *out)
{
    struct der_cursor field;
    if (!der_take(in, octets, &field))
        return false;
    uint32_t value = 0;
    for (size_t i = 0; i < octets; i++)
        value = (value << 8) | field.p[i];
    *out = value;
    return true;
}

bool tls_get_u8(struct der_cursor *in, uint8_t *out)
{
    uint32_t value;
    if (!get_uint(in, 1, &value))
        return false;
    *out = (uint8_t)value;
    return true;
}

bool tls_get_u16(struct der_cursor *in, uint16_t *out)
{
    uint32_t value;
    if (!get_uint(in, 2, &value))
        return false;
    *out = (uint16_t)value;
    return true;
}

bool tls_get_u24(struct der_cursor *in, uint32_t *out)
{
    return get_uint(in, 3, out);
}

bool tls_skip(struct der_cursor *in, size_t n)
{
    return der_take(in, n, NULL);
}

/* The length prefix and the body are one read: on failure the cursor stays
 * before the prefix. */
static bool get_length_prefixed(struct der_cursor *in, size_t length_octets,
                                struct der_cursor *body)
{
    struct der_cursor saved = *in;
    uint32_t len;
    if (get_uint(in, length_octets, &len) && der_take(in, len, body))
        return true;
    *in = saved;
    return false;
}

bool tls_get_u8_length_prefixed(struct der_cursor *in, struct der_cursor *body)
{
    return get_length_prefixed(in, 1, body);
}

bool tls_get_u16_length_prefixed(struct der_cursor *in, struct der_cursor *body)
{
    return get_length_prefixed(in, 2, body);
}

bool tls_get_u24_length_prefixed(struct der_cursor *in, struct der_cursor *body)
{
    return get_length_prefixed(in, 3, body);
}

bool tls_get_record_header(struct der_cursor *in, struct tls_record *out)
{
    struct der_cursor saved = *in, header;
    if (!der_take(in, TLS_RECORD_HEADER_BYTES, &header))
        return false;
    struct der_cursor fields = header;
    if (!tls_get_u8(&fields, &out->type) || !tls_get_u16(&fields, &out->version) ||
        !tls_get_u16(&fields, &out->length)) {
        *in = saved;
        return false;
    }
    out->header = header;
    out->body = der_cursor_init(NULL, 0);
    return true;
}

bool tls_get_record(struct der_cursor *in, struct tls_record *out)
{
    struct der_cursor saved = *in;
    if (tls_get_record_header(in, out) && der_take(in, out->length, &out->body))
        return true;
    *in = saved;
    return false;
}

bool tls_get_handshake(struct der_cursor *in, uint8_t *msg_type, struct der_cursor *body)
{
    struct der_cursor saved = *in;
    if (tls_get_u8(in, msg_type) && tls_get_u24_length_prefixed(in, body))
        return true;
    *in = saved;
    return false;
}

bool tls_get_extension(struct der_cursor *in, uint16_t *type, struct der_cursor *data)
{
    struct der_cursor saved = *in;
    if (tls_get_u16(in, type) && tls_get_u16_length_prefixed(in, data))
        return true;
    *in = saved;
    return false;
}

/* ---- The ClientHello peek ----------------------------------------------- */

/* RFC 8446 4.1.2: legacy_version, random, legacy_session_id<0..32>,
 * cipher_suites<2..2^16-2>, legacy_compression_methods<1..2^8-1>, then
 * extensions<8..2^16-1>, which an old client may leave out altogether. */
static enum tls_hello_peek hello_asks_status(struct der_cursor hello)
{
    struct der_cursor ignored, extensions;
    if (!tls_skip(&hello, 2 + 32) || !tls_get_u8_length_prefixed(&hello, &ignored) ||
        !tls_get_u16_length_prefixed(&hello, &ignored) ||
        !tls_get_u8_length_prefixed(&hello, &ignored))
        return TLS_HELLO_NOT_CLIENT_HELLO;
    if (der_is_empty(&hello))
        return TLS_HELLO_NO_STATUS; /* no extensions at all */
    if (!tls_get_u16_length_prefixed(&hello, &extensions))
        return TLS_HELLO_NOT_CLIENT_HELLO;
    while (!der_is_empty(&extensions)) {
        uint16_t type;
        if (!tls_get_extension(&extensions, &type, &ignored))
            return TLS_HELLO_NOT_CLIENT_HELLO;
        if (type == TLS_EXTENSION_STATUS_REQUEST)
            return TLS_HELLO_ASKS_STATUS;
    }
    return TLS_HELLO_NO_STATUS;
}

enum tls_hello_peek tls_peek_client_hello(const uint8_t *data, size_t len)
{
    struct der_cursor in = der_cursor_init(data, len), hello;
    uint8_t message[TLS_CLIENT_HELLO_MAX_BYTES];
    size_t message_len = 0;
    uint32_t hello_len = 0;
    bool has_header = false;

    /* RFC 8446 5.1: a handshake message may be split over several records;
     * gather the fragments of consecutive handshake records until the
     * ClientHello is whole. The header is judged before its fragment has
     * arrived, so garbage is dropped at once rather than waited for. */
    for (;;) {
        struct tls_record record;
        struct der_cursor fragment;
        if (!tls_get_record_header(&in, &record))
            return TLS_HELLO_INCOMPLETE;
        if (record.type != TLS_CONTENT_HANDSHAKE || record.version >> 8 != 3 ||
            record.length == 0 || record.length > TLS_MAX_PLAINTEXT_BYTES)
            return TLS_HELLO_NOT_CLIENT_HELLO;
        if (!der_take(&in, record.length, &fragment))
            return TLS_HELLO_INCOMPLETE;
        if (message_len + fragment.left > sizeof message)
            return TLS_HELLO_NOT_CLIENT_HELLO;
        memcpy(message + message_len, fragment.p, fragment.left);
        message_len += fragment.left;
        if (!has_header && message_len >= TLS_HANDSHAKE_HEADER_BYTES) {
            struct der_cursor header = der_cursor_init(message, message_len);
            uint8_t msg_type = 0;
            if (!tls_get_u8(&header, &msg_type) || !tls_get_u24(&header, &hello_len) ||
                msg_type != TLS_HANDSHAKE_CLIENT_HELLO ||
                hello_len + TLS_HANDSHAKE_HEADER_BYTES > sizeof message)
                return TLS_HELLO_NOT_CLIENT_HELLO;
            has_header = true;
        }
        if (has_header && message_len >= hello_len + TLS_HANDSHAKE_HEADER_BYTES)
            break;
    }
    struct der_cursor whole = der_cursor_init(message, message_len);
    uint8_t msg_type;
    if (!tls_get_handshake(&whole, &msg_type, &hello))
        return TLS_HELLO_NOT_CLIENT_HELLO;
    return hello_asks_status(hello);
}

const char *tls_hello_peek_name(enum tls_hello_peek peek)
{
    switch (peek) {
    case TLS_HELLO_ASKS_STATUS:
        return "asks for a staple";
    case TLS_HELLO_NO_STATUS:
        return "does not ask for a staple";
    case TLS_HELLO_INCOMPLETE:
        return "incomplete";
    case TLS_HELLO_NOT_CLIENT_HELLO:
        return "not a ClientHello";
    }
    return "unknown";
}

/* ---- CertificateStatus -------------------------------------------------- */

const char *tls_certstatus_strerror(int err)
{
    switch (err) {
    case TLS_CERTSTATUS_OK:
        return "no error";
    case TLS_CERTSTATUS_TRUNCATED:
        return "the message is shorter than its lengths say";
    case TLS_CERTSTATUS_WRONG_MESSAGE:
        return "it is not a certificate_status handshake message";
    case TLS_CERTSTATUS_NOT_OCSP:
        return "its status_type is not ocsp (1)";
    case TLS_CERTSTATUS_EMPTY_RESPONSE:
        return "it carries an empty OCSP response";
    case TLS_CERTSTATUS_TRAILING:
        return "bytes follow the OCSP response inside the message";
    }
    return "unknown error";
}

enum tls_certstatus_error tls_read_certificate_status(const uint8_t *msg, size_t len,
                                                      struct der_cursor *ocsp_response)
{
    struct der_cursor in = der_cursor_init(msg, len), body, response;
    uint8_t msg_type, status_type;

    /* The type is judged before the length, so a different message is
     * named as such even when it is cut short. */
    if (!tls_get_u8(&in, &msg_type))
        return TLS_CERTSTATUS_TRUNCATED;
    if (msg_type != TLS_HANDSHAKE_CERTIFICATE_STATUS)
        return TLS_CERTSTATUS_WRONG_MESSAGE;
    if (!tls_get_u24_length_prefixed(&in, &body))
        return TLS_CERTSTATUS_TRUNCATED;
    if (!der_is_empty(&in))
        return TLS_CERTSTATUS_TRAILING; /* one message is framed at a time */
    if (!tls_get_u8(&body, &status_type))
        return TLS_CERTSTATUS_TRUNCATED;
    if (status_type != TLS_STATUS_OCSP)
        return TLS_CERTSTATUS_NOT_OCSP;
    if (!tls_get_u24_length_prefixed(&body, &response))
        return TLS_CERTSTATUS_TRUNCATED;
    if (der_is_empty(&response))
        return TLS_CERTSTATUS_EMPTY_RESPONSE;
    if (!der_is_empty(&body))
        return TLS_CERTSTATUS_TRAILING;
    *ocsp_response = response;
    return TLS_CERTSTATUS_OK;
}

/* RFC 8446 4.4.2: certificate_request_context<0..2^8-1>, then
 * CertificateEntry certificate_list<0..2^24-1>, each entry cert_data
 * <1..2^24-1> and extensions<0..2^16-1>; the leaf comes first. */
bool tls_find_leaf_status(struct der_cursor certificate, struct der_cursor *status)
{
    struct der_cursor context, list, cert_data, extensions;
    if (!tls_get_u8_length_prefixed(&certificate, &context) ||
        !tls_get_u24_length_prefixed(&certificate, &list) ||
        !tls_get_u24_length_prefixed(&list, &cert_data) ||
        !tls_get_u16_length_prefixed(&list, &extensions))
        return false;
    while (!der_is_empty(&extensions)) {
        uint16_t type;
        struct der_cursor data;
        if (!tls_get_extension(&extensions, &type, &data))
            return false;
        if (type == TLS_EXTENSION_STATUS_REQUEST) {
            *status = data;
            return true;
        }
    }
    return false;
}
