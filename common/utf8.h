/* utf8.h — UTF-8 checked byte by byte (RFC 3629), and text made safe to show
 * on a terminal: what a user typed may hold escape sequences that recolour,
 * move the cursor or retitle the window when an error message repeats it. */
#ifndef OCSPLAB_UTF8_H
#define OCSPLAB_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (at most `left` bytes, left > 0), or
 * 0 for a byte that starts none: a stray continuation byte, an overlong form,
 * a UTF-16 surrogate or a code point past U+10FFFF. */
size_t utf8_sequence_len(const unsigned char *s, size_t left);

/* Copies `in` into `out` (capacity `cap` >= 8) with every byte a terminal could
 * act on written as \xHH: C0 controls (newline and tab too: a message is one
 * line), DEL, the C1 controls U+0080..U+009F (each of their two bytes), the
 * bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069, which
 * reorder what follows them on screen) and bytes that are not UTF-8. Other
 * text, letters with accents included, stays as it is. A backslash is left
 * alone, so "\x1b" typed literally looks like an escaped ESC; what matters is
 * that no raw control byte reaches the terminal. Text that does not fit is
 * cut at a character boundary and ends in "..."; returns the bytes written. */
size_t utf8_escape_for_terminal(const char *in, char *out, size_t cap);

#endif
