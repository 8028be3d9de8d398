/* fuzz_crl.c — libFuzzer target for the CRL reader (crl_parse, crl_find_serial)
 * and the verifier the browser runs on every downloaded CRL (crl_verify).
 * Any input must fail cleanly or parse into spans inside it; every entry the
 * parser counted must be found again by its own serial; and the verifier
 * must always name a reason and write a sentence, never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../ca/certbuild.h"
#include "crl.h"
#include "crl_verify.h"

#include "fuzz_check.h"

static bool fuzz_inside(const struct der_cursor *span, const uint8_t *data, size_t size)
{
    uintptr_t start = (uintptr_t)data;
    uintptr_t p = (uintptr_t)span->p;
    return span->left == 0 || (p >= start && span->left <= size && p - start <= size - span->left);
}

/* One root, made once: the verifier needs an issuer to compare with. */
static struct {
    bool is_ready;
    struct der_buf der;
    struct x509_cert cert;
} root;

static void make_root_once(void)
{
    WC_RNG rng;
    struct lab_key key = {0};
    struct cert_request req;
    if (root.is_ready)
        return;
    FUZZ_CHECK(wc_InitRng(&rng) == 0);
    FUZZ_CHECK(key_generate(&key, KEY_EC_P256, &rng, NULL) == 0);
    memset(&req, 0, sizeof req);
    req.profile = PROFILE_ROOT;
    req.common_name = "Fuzz Root";
    req.not_before = 1700000000;
    req.not_after = 2000000000;
    req.subject_key = &key;
    req.issuer_key = &key;
    FUZZ_CHECK(certbuild_make(&req, &rng, &root.der, NULL) == 0);
    FUZZ_CHECK(x509_parse(&root.cert, root.der.data, root.der.len, NULL) == 0);
    key_free(&key);
    wc_FreeRng(&rng);
    root.is_ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct crl crl;
    make_root_once();
    int rc = crl_parse(&crl, data, size, NULL);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_CHECK(fuzz_inside(&crl.tbs, data, size));
        FUZZ_CHECK(fuzz_inside(&crl.issuer, data, size));
        FUZZ_CHECK(fuzz_inside(&crl.signature, data, size));
        FUZZ_CHECK(fuzz_inside(&crl.revoked, data, size));
        FUZZ_CHECK(crl.version == 1 || crl.version == 2);
        /* Walk the entries as the parser did: each is found by its serial. */
        struct der_cursor list = crl.revoked;
        size_t walked = 0;
        while (!der_is_empty(&list)) {
            struct der_cursor entry, serial;
            FUZZ_CHECK(der_read_sequence(&list, &entry) == DER_OK);
            FUZZ_CHECK(der_read_tagged(&entry, DER_TAG_INTEGER, &serial) == DER_OK);
            struct crl_entry found;
            FUZZ_CHECK(crl_find_serial(&crl, serial.p, serial.left, &found) == 0);
            FUZZ_CHECK(found.serial_len <= CRL_SERIAL_MAX);
            walked++;
        }
        FUZZ_CHECK(walked == crl.entry_count);
    }
    /* The verifier, with the root as issuer and a leaf of nobody: it must
     * name a reason and explain it whatever the bytes. */
    struct crl_verify_input in = {.cert = &root.cert, .issuer = &root.cert, .now = 1800000000};
    struct crl_verdict verdict;
    int verdict_rc = crl_verify(data, size, &in, &verdict);
    FUZZ_CHECK(verdict_rc == 0 || verdict_rc == 1);
    FUZZ_CHECK((verdict_rc == 0) == (verdict.reason == CRL_VERDICT_GOOD));
    FUZZ_CHECK(verdict.explanation[0] != 0);
    FUZZ_CHECK(strcmp(crl_verdict_reason_name(verdict.reason), "") != 0);
    return 0;
}
