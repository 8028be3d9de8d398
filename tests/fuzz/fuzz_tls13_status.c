/* fuzz_tls13_status.c — libFuzzer target for what the browser reads out of a
 * TLS 1.3 server's first flight when wolfSSL would not hand a staple over
 * (browser/tls13_status.c). The first byte picks the path: even, the input
 * is the decrypted handshake stream (tls13_status_from_handshake, where the
 * server's messages are parsed); odd, it is the server's raw records,
 * decrypted with a fixed secret (tls13_status_recover: the record walk and
 * the AEAD on hostile framing). Either must fail cleanly or hand back a
 * certificate_status message that tls_read_certificate_status frames exactly. */
#include <stdint.h>
#include <string.h>

#include "../../browser/tls13_status.h"
#include "tls_wire.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t secret[32] = {7};
    static const int suites[] = {TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384,
                                 TLS13_CHACHA20_POLY1305_SHA256};
    struct der_buf message = {0};
    char why[128];
    int rc;
    if (size < 1)
        return 0;
    if ((data[0] & 1) == 0) {
        rc = tls13_status_from_handshake(data + 1, size - 1, &message, why, sizeof why);
    } else {
        struct tls13_status_input in = {
            .server_bytes = data + 1,
            .server_len = size - 1,
            .cipher_suite = suites[(data[0] >> 1) % 3],
            .server_handshake_secret = secret,
            .secret_len = (data[0] >> 1) % 3 == 1 ? 48 : 32,
        };
        static const uint8_t secret48[48] = {7};
        if (in.secret_len == 48)
            in.server_handshake_secret = secret48;
        rc = tls13_status_recover(&in, &message, why, sizeof why);
    }
    if (rc == 0) {
        struct der_cursor response;
        int framing = tls_read_certificate_status(message.data, message.len, &response);
        /* The message is framed by construction; only its contents may be bad. */
        FUZZ_CHECK(framing == TLS_CERTSTATUS_OK || framing == TLS_CERTSTATUS_NOT_OCSP ||
                   framing == TLS_CERTSTATUS_EMPTY_RESPONSE ||
                   framing == TLS_CERTSTATUS_TRUNCATED || framing == TLS_CERTSTATUS_TRAILING);
    } else {
        FUZZ_CHECK(message.data == NULL && message.len == 0);
        FUZZ_CHECK(strlen(why) > 0);
    }
    der_buf_free(&message);
    return 0;
}
