/* hex.h — bytes as hexadecimal text, the one encoder of the lab (serials,
 * key log lines). */
#ifndef OCSPLAB_COMMON_HEX_H
#define OCSPLAB_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Upper-case hex of `len` bytes; `out` needs 2 * len + 1 bytes (NUL-ended). */
void hex_encode(const uint8_t *bytes, size_t len, char *out);

#endif
