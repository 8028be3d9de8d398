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

static char fuzz_dir[256];
static char fuzz_path[300];

static void fuzz_remove_dir(void)
{
    unlink(fuzz_path);
    rmdir(fuzz_dir);
}

static void fuzz_init_once(void)
{
    if (fuzz_dir[0] != 0)
        return;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/fuzz_pem.XXXXXX", base);
    FUZZ_CHECK(mkdtemp(fuzz_dir) != NULL);
    snprintf(fuzz_path, sizeof fuzz_path, "%s/input.pem", fuzz_dir);
    FUZZ_CHECK(atexit(fuzz_remove_dir) == 0);
}

static void fuzz_write_file(const uint8_t *data, size_t size)
{
    int fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0);
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_CHECK(n > 0 || (n < 0 && errno == EINTR));
        if (n > 0)
            done += (size_t)n;
    }
    FUZZ_CHECK(close(fd) == 0);
}

static bool fuzz_has_message(const struct errbuf *err)
{
    return memchr(err->msg, 0, sizeof err->msg) != NULL && err->msg[0] != 0;
}

static void fuzz_certificate(const uint8_t *data, size_t size)
{
    struct der_buf der = {0}, pem = {0}, again = {0};
    struct errbuf err = {{0}};
    if (pem_read_certificate(fuzz_path, &der, &err) != 0) {
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
    fuzz_write_file(pem.data, pem.len);
    FUZZ_CHECK(pem_read_certificate(fuzz_path, &again, &err) == 0);
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
    if (key_load_pem(&key, fuzz_path, &err) != 0) {
        FUZZ_CHECK(fuzz_has_message(&err));
        return;
    }
    FUZZ_CHECK(key.type == KEY_EC_P256 || key.type == KEY_RSA_2048);
    if (key_to_pem(&key, &pem, &err) == 0) {
        fuzz_write_file(pem.data, pem.len);
        FUZZ_CHECK(key_load_pem(&again, fuzz_path, &err) == 0);
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
    fuzz_init_once();
    /* Larger files are refused before reading; no need to write them. */
    if (size > PEM_MAX_FILE_BYTES)
        return 0;
    fuzz_write_file(data, size);
    fuzz_key();
    fuzz_write_file(data, size);
    fuzz_certificate(data, size);
    return 0;
}
