/* fuzz_check.h — what every libFuzzer target shares: its entry point and the
 * check that turns a broken invariant into a crash libFuzzer reports. */
#ifndef OCSPLAB_FUZZ_CHECK_H
#define OCSPLAB_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Not assert(): the check must survive -DNDEBUG. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
