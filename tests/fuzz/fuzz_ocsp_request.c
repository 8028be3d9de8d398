/* fuzz_ocsp_request.c — libFuzzer target for ocsp_request_parse, the parser the
 * responder runs on every request from the network. Any input must fail
 * cleanly or parse into spans that lie inside it; each parsed CertID must
 * re-parse alone to the same fields; and a response echoing the request's
 * CertIDs and nonce (what the responder does) must build and parse back to the
 * very same bytes. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "ocsp.h"

#include "fuzz_check.h"

static bool fuzz_inside(const struct der_cursor *span, const uint8_t *data, size_t size)
{
    uintptr_t start = (uintptr_t)data;
    uintptr_t p = (uintptr_t)span->p;
    return span->left == 0 || (p >= start && span->left <= size && p - start <= size - span->left);
}

static bool fuzz_same_span(const struct der_cursor *a, const struct der_cursor *b)
{
    return a->p == b->p && a->left == b->left;
}

static bool fuzz_same_bytes(const struct der_cursor *a, const struct der_cursor *b)
{
    return a->left == b->left && (a->left == 0 || memcmp(a->p, b->p, a->left) == 0);
}

/* One signing key for the whole run: generating it per input would dominate. */
static struct lab_key fuzz_key;
static WC_RNG fuzz_rng;

static void fuzz_init_once(void)
{
    static bool is_ready;
    if (is_ready)
        return;
    FUZZ_CHECK(wc_InitRng(&fuzz_rng) == 0);
    FUZZ_CHECK(key_generate(&fuzz_key, KEY_EC_P256, &fuzz_rng, NULL) == 0);
    is_ready = true;
}

/* The responder's echo: every CertID answered good, the nonce returned. */
static void fuzz_echo(const struct ocsp_request *req)
{
    struct ocsp_single_response singles[OCSP_MAX_REQUEST_CERTS];
    struct der_buf out = {0};
    struct ocsp_response resp;

    memset(singles, 0, sizeof singles);
    for (size_t i = 0; i < req->count; i++) {
        singles[i].cert_id_raw = req->ids[i].raw;
        singles[i].status = OCSP_CERT_STATUS_GOOD;
        singles[i].revocation_reason = -1;
        singles[i].this_update = 1700000000;
        singles[i].has_next_update = true;
        singles[i].next_update = 1700086400;
    }
    struct ocsp_signer signer = {.key = &fuzz_key};
    FUZZ_CHECK(ocsp_response_build(&signer, &fuzz_rng, 1700000000, singles, req->count,
                                   req->has_nonce ? &req->nonce_ext_value : NULL, &out, NULL) == 0);
    FUZZ_CHECK(ocsp_response_parse(out.data, out.len, &resp, NULL) == 0);
    FUZZ_CHECK(resp.has_basic && resp.single_count == req->count);
    for (size_t i = 0; i < req->count; i++) {
        FUZZ_CHECK(fuzz_same_bytes(&resp.singles[i].cert_id_raw, &req->ids[i].raw));
        FUZZ_CHECK(resp.singles[i].status == OCSP_CERT_STATUS_GOOD);
    }
    FUZZ_CHECK(resp.has_nonce == req->has_nonce);
    if (req->has_nonce)
        FUZZ_CHECK(fuzz_same_bytes(&resp.nonce_ext_value, &req->nonce_ext_value));
    der_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ocsp_request req;
    fuzz_init_once();

    int rc = ocsp_request_parse(data, size, &req, NULL);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc != 0)
        return 0;

    FUZZ_CHECK(req.count >= 1 && req.count <= OCSP_MAX_REQUEST_CERTS);
    for (size_t i = 0; i < req.count; i++) {
        const struct ocsp_cert_id *id = &req.ids[i];
        struct ocsp_cert_id again;
        FUZZ_CHECK(fuzz_inside(&id->raw, data, size));
        FUZZ_CHECK(id->issuer_name_hash.left == ocsp_hash_len(id->hash));
        FUZZ_CHECK(id->issuer_key_hash.left == ocsp_hash_len(id->hash));
        FUZZ_CHECK(id->serial.left >= 1);
        FUZZ_CHECK(ocsp_cert_id_parse(id->raw.p, id->raw.left, &again, NULL) == 0);
        FUZZ_CHECK(again.hash == id->hash && fuzz_same_span(&again.raw, &id->raw) &&
                   fuzz_same_span(&again.issuer_name_hash, &id->issuer_name_hash) &&
                   fuzz_same_span(&again.issuer_key_hash, &id->issuer_key_hash) &&
                   fuzz_same_span(&again.serial, &id->serial));
    }
    if (req.has_nonce) {
        FUZZ_CHECK(fuzz_inside(&req.nonce_ext_value, data, size));
        FUZZ_CHECK(req.nonce_ext_value.left >= 1 && req.nonce_ext_value.left <= OCSP_MAX_NONCE_LEN);
    }
    fuzz_echo(&req);
    return 0;
}
