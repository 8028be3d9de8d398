/* hex.c — bytes as hexadecimal text and back. */
#include "hex.h"

static void hex_encode_with(const char digits[16], const uint8_t *bytes, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    out[2 * len] = 0;
}

void hex_encode(const uint8_t *bytes, size_t len, char *out)
{
    hex_encode_with("0123456789ABCDEF", bytes, len, out);
}

void hex_encode_lower(const uint8_t *bytes, size_t len, char *out)
{
    hex_encode_with("0123456789abcdef", bytes, len, out);
}

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *text, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    while (text[2 * n] != 0) {
        if (text[2 * n + 1] == 0 || n >= cap)
            return -1;
        int high = hex_digit_value(text[2 * n]), low = hex_digit_value(text[2 * n + 1]);
        if (high < 0 || low < 0)
            return -1;
        out[n++] = (uint8_t)(high << 4 | low);
    }
    *len = n;
    return 0;
}
