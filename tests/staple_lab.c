/* staple_lab.c — scratch labs by the real CA and responses built on them
 * (staple_lab.h). */
#include "staple_lab.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "keys.h"
#include "pem.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 20000

static void join(char *out, const char *dir, const char *name)
{
    ck_assert_int_eq(file_path_join(out, LAB_PATH_MAX, dir, name), 0);
}

/* ---- Scratch labs made by the real CA ---------------------------------------------- */

static void lab_cert_load(struct lab_cert *cert, const char *lab_path, const char *rel)
{
    struct errbuf err = {{0}};
    join(cert->pem, lab_path, rel);
    ck_assert_msg(pem_read_certificate(cert->pem, &cert->der, &err) == 0, "%s", err.msg);
    ck_assert_msg(x509_parse(&cert->x509, cert->der.data, cert->der.len, &err) == 0, "%s", err.msg);
}

static void run_ca(const char *const argv[])
{
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "timed out: %s", argv[0]);
    ck_assert_msg(run.exit_code == 0, "ca %s: exit %d\n%s", argv[1], run.exit_code, run.err);
    test_run_free(&run);
}

/* `ca init --delegate`, then shop.test and other.test. */
void staple_lab_create(struct staple_lab *lab)
{
    memset(lab, 0, sizeof *lab);
    lab->dir = test_tmpdir();
    join(lab->path, lab->dir, "lab");
    const char *ca = test_bin("ca");
    char ca_path[LAB_PATH_MAX];
    snprintf(ca_path, sizeof ca_path, "%s", ca);
    run_ca((const char *const[]){ca_path, "init", "--lab", lab->path, "--delegate", NULL});
    run_ca((const char *const[]){ca_path, "issue", "shop.test", "--lab", lab->path, NULL});
    run_ca((const char *const[]){ca_path, "issue", "other.test", "--lab", lab->path, NULL});
    join(lab->root_key, lab->path, LAB_ROOT_KEY);
    join(lab->delegate_key, lab->path, LAB_DELEGATE_KEY);
    join(lab->shop_key, lab->path, LAB_CERTS_DIR "/shop.test.key");
    lab_cert_load(&lab->root, lab->path, LAB_ROOT_CERT);
    lab_cert_load(&lab->delegate, lab->path, LAB_DELEGATE_CERT);
    lab_cert_load(&lab->shop, lab->path, LAB_CERTS_DIR "/shop.test.pem");
    lab_cert_load(&lab->other, lab->path, LAB_CERTS_DIR "/other.test.pem");
}

void staple_lab_destroy(struct staple_lab *lab)
{
    der_buf_free(&lab->root.der);
    der_buf_free(&lab->delegate.der);
    der_buf_free(&lab->shop.der);
    der_buf_free(&lab->other.der);
    test_rmtree(lab->dir);
    free(lab->dir);
    lab->dir = NULL;
}

/* ---- Building responses with the lab's codec ------------------------------------- */

static void load_key(struct lab_key *key, const char *path)
{
    struct errbuf err = {{0}};
    ck_assert_msg(key_load_pem(key, path, &err) == 0, "%s: %s", path, err.msg);
}

static void check_der(int rc)
{
    ck_assert_int_eq(rc, DER_OK);
}

/* A good response with an unknown critical responseExtension, signed by the
 * root: ocsp_response_build writes only the nonce, so this one is written
 * here field by field (RFC 6960 4.2.1). */
static void build_with_critical_extension(const struct staple_lab *lab,
                                          const struct staple_spec *row, int64_t now,
                                          struct der_buf *out)
{
    static const uint8_t none[1] = {0};
    static const uint8_t ext_value[] = {0x05, 0x00};
    struct der_buf tbs = {0}, sig = {0}, basic = {0};
    struct ocsp_cert_id_value id;
    struct lab_key key;
    struct errbuf err = {{0}};
    WC_RNG rng;

    ck_assert_msg(
        ocsp_cert_id_compute(&lab->shop.x509, &lab->root.x509, OCSP_HASH_SHA1, &id, &err) == 0,
        "%s", err.msg);
    der_begin(&tbs, DER_TAG_SEQUENCE);   /* ResponseData */
    der_begin(&tbs, DER_TAG_CONTEXT(1)); /* responderID byName */
    der_write_raw(&tbs, lab->root.x509.subject.p, lab->root.x509.subject.left);
    der_end(&tbs);
    der_write_generalized_time(&tbs, now);
    der_begin(&tbs, DER_TAG_SEQUENCE); /* responses */
    der_begin(&tbs, DER_TAG_SEQUENCE); /* SingleResponse */
    check_der(ocsp_cert_id_write(&id, &tbs));
    der_write_tlv(&tbs, DER_TAG_CONTEXT_PRIMITIVE(0), none, 0); /* good */
    der_write_generalized_time(&tbs, now + row->this_offset);
    der_begin(&tbs, DER_TAG_CONTEXT(0));
    der_write_generalized_time(&tbs, now + row->next_offset);
    der_end(&tbs);
    der_end(&tbs);
    der_end(&tbs);
    der_begin(&tbs, DER_TAG_CONTEXT(1)); /* responseExtensions */
    der_begin(&tbs, DER_TAG_SEQUENCE);
    der_begin(&tbs, DER_TAG_SEQUENCE);
    der_write_oid(&tbs, "1.3.6.1.4.1.55555.1.1"); /* nobody's extension */
    der_write_boolean(&tbs, true);
    der_write_octet_string(&tbs, ext_value, sizeof ext_value);
    der_end(&tbs);
    der_end(&tbs);
    der_end(&tbs);
    der_end(&tbs);
    check_der(der_buf_error(&tbs));

    load_key(&key, lab->root_key);
    ck_assert_int_eq(wc_InitRng(&rng), 0);
    ck_assert_msg(key_sign_sha256(&key, &rng, tbs.data, tbs.len, &sig, &err) == 0, "%s", err.msg);
    der_begin(&basic, DER_TAG_SEQUENCE); /* BasicOCSPResponse */
    der_write_raw(&basic, tbs.data, tbs.len);
    check_der(key_write_signature_algorithm(&key, &basic));
    der_write_bit_string(&basic, sig.data, sig.len, 0);
    der_end(&basic);
    check_der(der_buf_error(&basic));

    der_begin(out, DER_TAG_SEQUENCE); /* OCSPResponse */
    der_write_enumerated(out, OCSP_RESPONSE_SUCCESSFUL);
    der_begin(out, DER_TAG_CONTEXT(0));
    der_begin(out, DER_TAG_SEQUENCE); /* ResponseBytes */
    der_write_oid(out, OCSP_OID_BASIC);
    der_write_octet_string(out, basic.data, basic.len);
    der_end(out);
    der_end(out);
    der_end(out);
    check_der(der_buf_error(out));
    wc_FreeRng(&rng);
    key_free(&key);
    der_buf_free(&tbs);
    der_buf_free(&sig);
    der_buf_free(&basic);
}

/* Moves the BasicOCSPResponse of a built response under responseType
 * OTHER_RESPONSE_TYPE, keeping everything else (the reader is common/der's). */
static void retype_response(struct der_buf *out)
{
    struct der_cursor in = der_cursor_init(out->data, out->len), outer, wrapper, bytes, type;
    const uint8_t *body;
    size_t body_len;
    bool present;
    int status;
    struct der_buf retyped = {0};
    check_der(der_read_sequence(&in, &outer));
    check_der(der_read_enumerated(&outer, &status));
    check_der(der_read_optional(&outer, DER_TAG_CONTEXT(0), &wrapper, &present));
    ck_assert(present);
    check_der(der_read_sequence(&wrapper, &bytes));
    check_der(der_read_oid(&bytes, &type));
    ck_assert(der_oid_equals(&type, OCSP_OID_BASIC));
    check_der(der_read_octet_string(&bytes, &body, &body_len));
    der_begin(&retyped, DER_TAG_SEQUENCE); /* OCSPResponse */
    der_write_enumerated(&retyped, status);
    der_begin(&retyped, DER_TAG_CONTEXT(0));
    der_begin(&retyped, DER_TAG_SEQUENCE); /* ResponseBytes */
    der_write_oid(&retyped, OTHER_RESPONSE_TYPE);
    der_write_octet_string(&retyped, body, body_len);
    der_end(&retyped);
    der_end(&retyped);
    der_end(&retyped);
    check_der(der_buf_error(&retyped));
    out->len = 0;
    check_der(der_write_raw(out, retyped.data, retyped.len));
    der_buf_free(&retyped);
}

void staple_build(const struct staple_lab *lab, const struct staple_lab *other_lab,
                  const struct staple_spec *row, int64_t now, struct der_buf *out)
{
    if (row->special == SPECIAL_TRY_LATER) {
        check_der(ocsp_response_build_status(OCSP_RESPONSE_TRY_LATER, out));
        return;
    }
    if (row->special == SPECIAL_SUCCESSFUL_EMPTY) {
        /* ocsp_response_build_status refuses to write this on purpose. */
        der_begin(out, DER_TAG_SEQUENCE);
        der_write_enumerated(out, OCSP_RESPONSE_SUCCESSFUL);
        der_end(out);
        check_der(der_buf_error(out));
        return;
    }
    if (row->special == SPECIAL_CRITICAL_EXTENSION) {
        build_with_critical_extension(lab, row, now, out);
        return;
    }
    struct ocsp_cert_id_value id;
    struct der_buf id_der = {0};
    struct lab_key key;
    struct errbuf err = {{0}};
    WC_RNG rng;
    const struct x509_cert *about =
        strcmp(row->about, "other") == 0 ? &lab->other.x509 : &lab->shop.x509;
    const struct x509_cert *issuer =
        row->edit == CERTID_OTHER_CA ? &other_lab->root.x509 : &lab->root.x509;
    enum ocsp_hash hash = row->edit == CERTID_SHA256 ? OCSP_HASH_SHA256 : OCSP_HASH_SHA1;
    ck_assert_msg(ocsp_cert_id_compute(about, issuer, hash, &id, &err) == 0, "%s", err.msg);
    if (row->edit == CERTID_NAME_HASH || row->edit == CERTID_ISSUER_HASHES)
        id.issuer_name_hash[0] ^= 0x01;
    if (row->edit == CERTID_ISSUER_HASHES)
        id.issuer_key_hash[0] ^= 0x01;
    check_der(ocsp_cert_id_write(&id, &id_der));
    struct ocsp_single_response single = {
        .cert_id_raw = der_cursor_init(id_der.data, id_der.len),
        .status = row->status,
        .revocation_time = now - 7200,
        .revocation_reason = row->status == OCSP_CERT_STATUS_REVOKED ? 1 : -1,
        .this_update = now + row->this_offset,
        .has_next_update = row->has_next_update,
        .next_update = now + row->next_offset,
    };
    struct ocsp_signer signer = {.key = &key};
    switch (row->signer) {
    case SIGNED_BY_ROOT:
        load_key(&key, lab->root_key);
        signer.cert = &lab->root.x509;
        break;
    case SIGNED_BY_DELEGATE:
        load_key(&key, lab->delegate_key);
        signer.cert = &lab->delegate.x509;
        signer.include_cert = true;
        break;
    case SIGNED_BY_OTHER_ROOT:
        /* byName: the other root has the same DN, so the response claims to
         * come from our CA; only the signature tells them apart. */
        load_key(&key, other_lab->root_key);
        signer.cert = &lab->root.x509;
        signer.responder_id_by_name = true;
        break;
    case SIGNED_BY_SERVER_CERT:
        load_key(&key, lab->shop_key);
        signer.cert = &lab->shop.x509;
        signer.include_cert = true;
        break;
    case SIGNED_BY_OTHER_DELEGATE:
        load_key(&key, other_lab->delegate_key);
        signer.cert = &other_lab->delegate.x509;
        signer.include_cert = true;
        break;
    }
    ck_assert_int_eq(wc_InitRng(&rng), 0);
    /* RFC 8954: the extension's value is an OCTET STRING holding the nonce. */
    struct der_buf nonce_value = {0};
    struct der_cursor nonce_ext;
    if (row->nonce != NULL) {
        check_der(
            der_write_octet_string(&nonce_value, (const uint8_t *)row->nonce, strlen(row->nonce)));
        nonce_ext = der_cursor_init(nonce_value.data, nonce_value.len);
    }
    ck_assert_msg(ocsp_response_build(&signer, &rng, now, &single, 1,
                                      row->nonce != NULL ? &nonce_ext : NULL, out, &err) == 0,
                  "building the response: %s", err.msg);
    wc_FreeRng(&rng);
    key_free(&key);
    der_buf_free(&id_der);
    der_buf_free(&nonce_value);
    if (row->special == SPECIAL_OTHER_TYPE)
        retype_response(out);
    switch (row->mangle) {
    case MANGLE_NONE:
        break;
    case MANGLE_TRAILING_BYTE:
        check_der(der_write_raw(out, (const uint8_t *)"", 1));
        break;
    case MANGLE_TRUNCATE:
        out->len -= 10;
        break;
    case MANGLE_FLIP_SIGNATURE:
        out->data[out->len - 1] ^= 0x01;
        break;
    case MANGLE_EMPTY:
        out->len = 0;
        break;
    }
}
