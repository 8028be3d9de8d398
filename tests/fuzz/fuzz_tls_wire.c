/* fuzz_tls_wire.c — libFuzzer target for common/tls_wire, the TLS framing
 * the web server and the browser read off the network. The first byte picks
 * the reader (modulo 4), the rest is its input:
 *   0  tls_peek_client_hello: one of four answers; a whole ClientHello is
 *      judged the same with bytes behind it; under 5 bytes is incomplete.
 *   1  tls_read_certificate_status: an accepted message is framed exactly
 *      (8 bytes of header, then the response, to the last byte).
 *   2  tls_find_leaf_status: what it finds lies inside the input.
 *   3  records, then handshake messages, then extensions, read until one
 *      fails: each read takes exactly what its lengths say, a failed read
 *      moves nothing. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_wire.h"

#include "fuzz_check.h"

static bool is_inside(const struct der_cursor *part, const uint8_t *data, size_t size)
{
    return part->left == 0 ||
           (part->p >= data && part->left <= size && (size_t)(part->p - data) <= size - part->left);
}

static void fuzz_peek(const uint8_t *data, size_t size)
{
    enum tls_hello_peek peek = tls_peek_client_hello(data, size);
    FUZZ_CHECK(peek == TLS_HELLO_ASKS_STATUS || peek == TLS_HELLO_NO_STATUS ||
               peek == TLS_HELLO_INCOMPLETE || peek == TLS_HELLO_NOT_CLIENT_HELLO);
    if (size < TLS_RECORD_HEADER_BYTES)
        FUZZ_CHECK(peek == TLS_HELLO_INCOMPLETE);
    if (peek == TLS_HELLO_ASKS_STATUS || peek == TLS_HELLO_NO_STATUS) {
        uint8_t *longer = malloc(size + 16);
        FUZZ_CHECK(longer != NULL);
        if (size > 0)
            memcpy(longer, data, size);
        memset(longer + size, 0x17, 16);
        FUZZ_CHECK(tls_peek_client_hello(longer, size + 16) == peek);
        free(longer);
    }
}

static void fuzz_certificate_status(const uint8_t *data, size_t size)
{
    struct der_cursor response = {NULL, 0};
    enum tls_certstatus_error rc = tls_read_certificate_status(data, size, &response);
    FUZZ_CHECK(strcmp(tls_certstatus_strerror(rc), "unknown error") != 0);
    if (rc == TLS_CERTSTATUS_OK) {
        FUZZ_CHECK(size > 8 && data[0] == TLS_HANDSHAKE_CERTIFICATE_STATUS &&
                   data[4] == TLS_STATUS_OCSP);
        FUZZ_CHECK(response.p == data + 8 && response.left == size - 8);
    }
}

static void fuzz_leaf_status(const uint8_t *data, size_t size)
{
    struct der_cursor status = {NULL, 0};
    if (tls_find_leaf_status(der_cursor_init(data, size), &status))
        FUZZ_CHECK(is_inside(&status, data, size));
}

static void fuzz_walk(const uint8_t *data, size_t size)
{
    struct der_cursor in = der_cursor_init(data, size), before;
    struct tls_record record;
    uint8_t msg_type;
    uint16_t ext_type;
    struct der_cursor body;
    for (before = in; tls_get_record(&in, &record); before = in) {
        FUZZ_CHECK(record.header.p == before.p && record.header.left == TLS_RECORD_HEADER_BYTES);
        FUZZ_CHECK(record.body.left == record.length &&
                   in.left == before.left - TLS_RECORD_HEADER_BYTES - record.length);
    }
    FUZZ_CHECK(in.p == before.p && in.left == before.left);
    for (before = in; tls_get_handshake(&in, &msg_type, &body); before = in)
        FUZZ_CHECK(is_inside(&body, data, size) && in.left == before.left - 4 - body.left);
    FUZZ_CHECK(in.p == before.p && in.left == before.left);
    for (before = in; tls_get_extension(&in, &ext_type, &body); before = in)
        FUZZ_CHECK(is_inside(&body, data, size) && in.left == before.left - 4 - body.left);
    FUZZ_CHECK(in.p == before.p && in.left == before.left);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1;
    uint8_t *rest = fuzz_exact_copy(data + 1, len);
    switch (data[0] % 4) {
    case 0:
        fuzz_peek(rest, len);
        break;
    case 1:
        fuzz_certificate_status(rest, len);
        break;
    case 2:
        fuzz_leaf_status(rest, len);
        break;
    default:
        fuzz_walk(rest, len);
        break;
    }
    free(rest);
    return 0;
}
