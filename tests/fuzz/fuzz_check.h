/* fuzz_check.h — what every libFuzzer target shares: its entry point and the
 * check that turns a broken invariant into a crash libFuzzer reports. */
#ifndef OCSPLAB_FUZZ_CHECK_H
#define OCSPLAB_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Not assert(): the check must survive -DNDEBUG. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An exact-size copy of `len` bytes (never NULL; caller frees), so that
 * AddressSanitizer sees a read past their end even where libFuzzer's own
 * buffer goes on (a selector byte taken off the front, say). */
static inline uint8_t *fuzz_exact_copy(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    FUZZ_CHECK(copy != NULL);
    if (len > 0)
        memcpy(copy, data, len);
    return copy;
}

#endif
