/* fuzz_responder_get.c — libFuzzer target for http_decode_get_path, which
 * turns the path of every RFC 5019 GET from the network into request bytes
 * (percent-decoding, then base64). The input is the path. Any path must fail
 * with -1 or decode into at most `cap` bytes, and never into a smaller buffer
 * than the output needs (ASan sees an exact-size buffer); what decodes must
 * decode again, to the same bytes, after the client's own encoding (base64,
 * then '+', '/', '=' percent-encoded, as openssl and the browser send it). */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../responder/http.h"
#include "../../responder/service.h"

#include "fuzz_check.h"

/* The responder decodes into a buffer of this size (http.c's request body). */
#define FUZZ_CAP RESPONDER_MAX_REQUEST_BYTES

/* The client's side of RFC 5019 2.1.1: "/" + url-encoded base64. Returns a
 * malloc'd NUL-terminated path. */
static char *fuzz_encode_path(const uint8_t *der, size_t len)
{
    word32 b64_len = (word32)(4 * ((len + 2) / 3) + 1);
    uint8_t *b64 = malloc(b64_len);
    FUZZ_CHECK(b64 != NULL);
    FUZZ_CHECK(Base64_Encode_NoNl(der, (word32)len, b64, &b64_len) == 0);
    char *path = malloc(3 * (size_t)b64_len + 2);
    FUZZ_CHECK(path != NULL);
    size_t n = 0;
    path[n++] = '/';
    for (word32 i = 0; i < b64_len; i++) {
        if (b64[i] == '+' || b64[i] == '/' || b64[i] == '=') {
            static const char hex[] = "0123456789ABCDEF";
            path[n++] = '%';
            path[n++] = hex[b64[i] >> 4];
            path[n++] = hex[b64[i] & 15];
        } else {
            path[n++] = (char)b64[i];
        }
    }
    path[n] = 0;
    free(b64);
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libmicrohttpd hands over a C string: the path ends at the first NUL. */
    char *path = malloc(size + 1);
    FUZZ_CHECK(path != NULL);
    memcpy(path, data, size);
    path[size] = 0;

    uint8_t *out = malloc(FUZZ_CAP);
    FUZZ_CHECK(out != NULL);
    int len = http_decode_get_path(path, out, FUZZ_CAP);
    FUZZ_CHECK(len >= -1 && len <= FUZZ_CAP);
    if (len > 0) {
        /* Bounded: a buffer one byte short is refused, not overrun. */
        uint8_t *short_out = malloc((size_t)len - 1 + 1);
        FUZZ_CHECK(short_out != NULL);
        FUZZ_CHECK(http_decode_get_path(path, short_out, (size_t)len - 1) == -1);
        free(short_out);

        /* Exactly enough room is enough (into an exact-size copy for ASan). */
        uint8_t *exact = malloc((size_t)len);
        FUZZ_CHECK(exact != NULL);
        FUZZ_CHECK(http_decode_get_path(path, exact, (size_t)len) == len);
        FUZZ_CHECK(memcmp(exact, out, (size_t)len) == 0);
        free(exact);

        /* Round trip through the client's encoding. */
        char *again_path = fuzz_encode_path(out, (size_t)len);
        uint8_t *again = malloc(FUZZ_CAP);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(http_decode_get_path(again_path, again, FUZZ_CAP) == len);
        FUZZ_CHECK(memcmp(again, out, (size_t)len) == 0);
        free(again);
        free(again_path);
    }
    free(out);
    free(path);
    return 0;
}
