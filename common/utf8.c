/* utf8.c — UTF-8 validation (RFC 3629 section 3) and escaping for terminals
 * (ECMA-48 C0/C1 controls, Unicode bidi controls). */
#include "utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define UTF8_CUT_MARK "..."

size_t utf8_sequence_len(const unsigned char *s, size_t left)
{
    size_t len;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1fu;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0fu;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > left)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    /* Overlong forms, UTF-16 surrogates and code points past Unicode. */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* True for a valid sequence a terminal acts on rather than shows. */
static bool is_control_sequence(const unsigned char *s, size_t len)
{
    if (len == 1)
        return s[0] < 0x20 || s[0] == 0x7f;
    /* C1 controls: U+0080..U+009F, i.e. C2 80..C2 9F (0x9B is CSI). */
    if (len == 2)
        return s[0] == 0xc2 && s[1] < 0xa0;
    /* U+202A..U+202E are E2 80 AA..AE; U+2066..U+2069 are E2 81 A6..A9. */
    if (len == 3 && s[0] == 0xe2)
        return (s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae) ||
               (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9);
    return false;
}

size_t utf8_escape_for_terminal(const char *in, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t left = strlen(in);
    size_t mark_len = sizeof UTF8_CUT_MARK - 1;
    size_t used = 0;
    /* The last piece boundary that still leaves room for the mark: where a
     * cut goes when the whole text does not fit. */
    size_t cut_at = 0;
    while (left > 0) {
        size_t len = utf8_sequence_len(s, left);
        bool is_escaped = len == 0 || is_control_sequence(s, len);
        size_t take = len == 0 ? 1 : len;
        size_t emit = is_escaped ? 4 * take : take;
        if (used + mark_len <= cap - 1)
            cut_at = used;
        if (used + emit > cap - 1) {
            memcpy(out + cut_at, UTF8_CUT_MARK, mark_len);
            used = cut_at + mark_len;
            break;
        }
        if (is_escaped) {
            for (size_t i = 0; i < take; i++)
                snprintf(out + used + 4 * i, 5, "\\x%02x", s[i]);
        } else {
            memcpy(out + used, s, take);
        }
        used += emit;
        s += take;
        left -= take;
    }
    out[used] = 0;
    return used;
}
