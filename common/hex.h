/* hex.h — bytes as hexadecimal text, the one encoder of the lab (serials,
 * key log lines, the responder's ETag). */
#ifndef OCSPLAB_COMMON_HEX_H
#define OCSPLAB_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Upper-case hex of `len` bytes; `out` needs 2 * len + 1 bytes (NUL-ended). */
void hex_encode(const uint8_t *bytes, size_t len, char *out);
/* The same in lower case: the responder's ETag has always been written so,
 * and HTTP caches compare it byte for byte. */
void hex_encode_lower(const uint8_t *bytes, size_t len, char *out);

/* The value of one hex digit (either case), or -1 for any other character. */
int hex_digit_value(char c);

/* Decodes hex text (either case, even length) into `out`; 0 and *len, or -1
 * when a character is not a hex digit, the length is odd, or cap is short. */
int hex_decode(const char *text, uint8_t *out, size_t cap, size_t *len);

#endif
