/* fuzz_ocsp_response.c — libFuzzer target for ocsp_response_parse, which reads
 * every staple and every fetched response before the verifier judges it. Any
 * input must fail cleanly or parse into spans that lie inside it; each
 * SingleResponse's CertID must re-parse alone; an unsuccessful status must be
 * exactly what ocsp_response_build_status writes (DER has one encoding); and
 * the certificates handed to the verifier must be safe to parse. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp.h"
#include "x509.h"

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

static void fuzz_check_single(const struct ocsp_single_response *single, const uint8_t *data,
                              size_t size)
{
    struct ocsp_cert_id again;
    FUZZ_CHECK(fuzz_inside(&single->cert_id_raw, data, size));
    FUZZ_CHECK(fuzz_same_span(&single->cert_id_raw, &single->cert_id.raw));
    FUZZ_CHECK(ocsp_cert_id_parse(single->cert_id_raw.p, single->cert_id_raw.left, &again, NULL) ==
               0);
    FUZZ_CHECK(again.hash == single->cert_id.hash &&
               fuzz_same_span(&again.serial, &single->cert_id.serial) &&
               fuzz_same_span(&again.issuer_key_hash, &single->cert_id.issuer_key_hash));
    FUZZ_CHECK(single->status == OCSP_CERT_STATUS_GOOD ||
               single->status == OCSP_CERT_STATUS_REVOKED ||
               single->status == OCSP_CERT_STATUS_UNKNOWN);
    if (single->status != OCSP_CERT_STATUS_REVOKED)
        FUZZ_CHECK(single->revocation_reason == -1);
    else
        FUZZ_CHECK(single->revocation_reason >= -1 && single->revocation_reason <= 10);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ocsp_response resp;
    int rc = ocsp_response_parse(data, size, &resp, NULL);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc != 0)
        return 0;

    FUZZ_CHECK(strcmp(ocsp_response_status_name(resp.response_status), "unknown status") != 0);
    if (resp.response_status != OCSP_RESPONSE_SUCCESSFUL) {
        struct der_buf again = {0};
        FUZZ_CHECK(!resp.has_basic);
        FUZZ_CHECK(ocsp_response_build_status((enum ocsp_response_status)resp.response_status,
                                              &again) == DER_OK);
        FUZZ_CHECK(again.len == size && memcmp(again.data, data, size) == 0);
        der_buf_free(&again);
        return 0;
    }
    if (!resp.has_basic)
        return 0;

    FUZZ_CHECK(resp.version == 1);
    FUZZ_CHECK(fuzz_inside(&resp.tbs_response_data, data, size));
    FUZZ_CHECK(fuzz_inside(&resp.responder_id, data, size));
    FUZZ_CHECK(fuzz_inside(&resp.signature_algorithm, data, size));
    FUZZ_CHECK(fuzz_inside(&resp.signature, data, size));
    FUZZ_CHECK(resp.single_count <= OCSP_MAX_RESPONSE_SINGLES);
    for (size_t i = 0; i < resp.single_count; i++)
        fuzz_check_single(&resp.singles[i], data, size);
    if (resp.has_nonce) {
        FUZZ_CHECK(fuzz_inside(&resp.nonce_ext_value, data, size));
        FUZZ_CHECK(resp.nonce_ext_value.left >= 1 &&
                   resp.nonce_ext_value.left <= OCSP_MAX_NONCE_LEN);
    }
    FUZZ_CHECK(resp.cert_count <= OCSP_MAX_RESPONSE_CERTS);
    for (size_t i = 0; i < resp.cert_count; i++) {
        struct x509_cert cert;
        FUZZ_CHECK(fuzz_inside(&resp.certs[i], data, size));
        (void)x509_parse(&cert, resp.certs[i].p, resp.certs[i].left, NULL);
    }
    return 0;
}
