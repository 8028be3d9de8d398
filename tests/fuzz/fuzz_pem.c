/* fuzz_pem.c — libFuzzer target for the PEM readers: pem_read_certificate
 * (verify-staple --cert/--issuer, every program's CA and server certificate)
 * and key_load_pem (the lab's keys). Any input must fail with a message or
 * give DER no longer than the input; a certificate read from PEM must encode
 * back to PEM and read again to the same DER, and a key must write out and
 * load again to the same PEM.
 *
 * Both readers take a path only (common/pem.h, common/keys.h have no
 * bytes-level entry), so each input is written to one file in a private
 * directory, on tmpfs when there is one; that costs a write and an open per
 * input, not a directory per input. */
#include <wolfssl/options.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "der.h"
#include "keys.h"
#include "pem.h"

#include "fuzz_check.h"
#include "fuzz_scratch.h"

/* The one file every input goes through. */
static const struct fuzz_scratch *pem_scratch(void)
{
    return fuzz_scratch_open("fuzz_pem", "input.pem");
}

static bool fuzz_has_message(const struct errbuf *err)
{
    return memchr(err->msg, 0, sizeof err->msg) != NULL && err->msg[0] != 0;
}

static void fuzz_certificate(const uint8_t *data, size_t size)
{
    struct der_buf der = {0}, pem = {0}, again = {0};
    struct errbuf err = {{0}};
    if (pem_read_certificate(pem_scratch()->path, &der, &err) != 0) {
        FUZZ_CHECK(fuzz_has_message(&err));
        goto out;
    }
    FUZZ_CHECK(der.len <= size);
    if (size > 0 && data[0] == DER_TAG_SEQUENCE) {
        /* Taken as DER, byte for byte (the certificate parser judges it). */
        FUZZ_CHECK(der.len == size && memcmp(der.data, data, size) == 0);
        goto out;
    }
    FUZZ_CHECK(der.len > 0);
    FUZZ_CHECK(pem_encode_certificate(der.data, der.len, &pem, &err) == 0);
    fuzz_scratch_write(pem_scratch(), pem.data, pem.len);
    FUZZ_CHECK(pem_read_certificate(pem_scratch()->path, &again, &err) == 0);
    FUZZ_CHECK(again.len == der.len && memcmp(again.data, der.data, der.len) == 0);
out:
    der_buf_free(&der);
    der_buf_free(&pem);
    der_buf_free(&again);
}

static void fuzz_key(void)
{
    struct lab_key key, again;
    struct der_buf pem = {0}, pem_again = {0};
    struct errbuf err = {{0}};
    if (key_load_pem(&key, pem_scratch()->path, &err) != 0) {
        FUZZ_CHECK(fuzz_has_message(&err));
        return;
    }
    FUZZ_CHECK(key.type == KEY_EC_P256 || key.type == KEY_RSA_2048);
    if (key_to_pem(&key, &pem, &err) == 0) {
        fuzz_scratch_write(pem_scratch(), pem.data, pem.len);
        FUZZ_CHECK(key_load_pem(&again, pem_scratch()->path, &err) == 0);
        FUZZ_CHECK(again.type == key.type);
        FUZZ_CHECK(key_to_pem(&again, &pem_again, &err) == 0);
        FUZZ_CHECK(pem_again.len == pem.len && memcmp(pem_again.data, pem.data, pem.len) == 0);
        key_free(&again);
    }
    key_free(&key);
    der_buf_free(&pem);
    der_buf_free(&pem_again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Larger files are refused before reading; no need to write them. */
    if (size > PEM_MAX_FILE_BYTES)
        return 0;
    fuzz_scratch_write(pem_scratch(), data, size);
    fuzz_key();
    fuzz_scratch_write(pem_scratch(), data, size);
    fuzz_certificate(data, size);
    return 0;
}
