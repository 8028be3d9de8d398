/* fuzz_revlist.c — libFuzzer target for revlist_parse and revlist_contains,
 * which read the pushed revocation list a browser loads from a file
 * (browser visit --revlist). Any input must fail cleanly or parse into spans
 * inside it, and every serial the parser counted must be found again. */
#include <stdbool.h>
#include <stdint.h>

#include "revlist.h"

#include "fuzz_check.h"

static bool fuzz_inside(const struct der_cursor *span, const uint8_t *data, size_t size)
{
    uintptr_t start = (uintptr_t)data;
    uintptr_t p = (uintptr_t)span->p;
    return span->left == 0 || (p >= start && span->left <= size && p - start <= size - span->left);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct revlist list;
    int rc = revlist_parse(&list, data, size, NULL);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc != 0)
        return 0;
    FUZZ_CHECK(fuzz_inside(&list.tbs, data, size));
    FUZZ_CHECK(fuzz_inside(&list.serials, data, size));
    FUZZ_CHECK(fuzz_inside(&list.signature, data, size));
    FUZZ_CHECK(fuzz_inside(&list.issuer_key_id, data, size));
    struct der_cursor walk = list.serials;
    const uint8_t *serial;
    size_t serial_len, walked = 0;
    while (der_read_integer_bytes(&walk, &serial, &serial_len) == DER_OK) {
        FUZZ_CHECK(revlist_contains(&list, serial, serial_len));
        walked++;
    }
    FUZZ_CHECK(walked == list.count);
    return 0;
}
