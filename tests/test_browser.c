/* test_browser.c — the browser's library parts, without a network:
 * `verify-staple` on responses built with the lab's codec and keys, one row
 * per rule of DESIGN 9, each cross-checked with `openssl ocsp` where OpenSSL
 * has a verdict (and noting where the lab is stricter); the command's exit
 * codes and output; the TLS 1.2 CertificateStatus framing on crafted bytes;
 * the URL and the users' address scheme; and the report's JSON. Visits over
 * real TLS live in tests/integration/test_browser_visit.c. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../browser/crowd.h"
#include "../browser/report.h"
#include "../browser/target.h"
#include "../browser/verify_staple.h"
#include "der.h"
#include "fileio.h"
#include "keys.h"
#include "lab.h"
#include "ocsp.h"
#include "ocsp_verify.h"
#include "pem.h"
#include "testutil.h"
#include "tls_wire.h"
#include "x509.h"

#define RUN_TIMEOUT_MS 20000

/* ---- Helpers ------------------------------------------------------------------------ */

static void join(char *out, const char *dir, const char *name)
{
    ck_assert_int_eq(file_path_join(out, LAB_PATH_MAX, dir, name), 0);
}

static void write_bytes(const char *path, const uint8_t *data, size_t len)
{
    struct errbuf err = {{0}};
    ck_assert_msg(file_write_atomic(path, data, len, 0644, &err) == 0, "%s", err.msg);
}

/* Runs argv (NULL-terminated) and returns the run for the caller to free. */
static struct test_run run_argv(const char *const argv[])
{
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "timed out: %s", argv[0]);
    return run;
}

/* Check ends a test with exit status 2 when a failure message is too long;
 * quote at most the last 1500 characters of a program's output. */
static const char *tail(const char *text)
{
    size_t len = text != NULL ? strlen(text) : 0;
    return len > 1500 ? text + len - 1500 : text;
}

/* Every lab of a case lives under one scratch directory that the runner
 * removes after the case: a failing test exits before its own cleanup. */
static void scratch_setup(void)
{
    test_scratch_enter("browser");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* ---- Scratch labs made by the real CA ---------------------------------------------- */

struct lab_cert {
    char pem[LAB_PATH_MAX];
    struct der_buf der;
    struct x509_cert x509;
};

struct lab {
    char *dir;               /* scratch directory (responses live here too) */
    char path[LAB_PATH_MAX]; /* the lab inside it */
    char root_key[LAB_PATH_MAX], delegate_key[LAB_PATH_MAX], shop_key[LAB_PATH_MAX];
    struct lab_cert root, delegate, shop, other;
};

static void lab_cert_load(struct lab_cert *cert, const char *lab_path, const char *rel)
{
    struct errbuf err = {{0}};
    join(cert->pem, lab_path, rel);
    ck_assert_msg(pem_read_certificate(cert->pem, &cert->der, &err) == 0, "%s", err.msg);
    ck_assert_msg(x509_parse(&cert->x509, cert->der.data, cert->der.len, &err) == 0, "%s",
                  err.msg);
}

static void run_ca(const char *const argv[])
{
    struct test_run run = run_argv(argv);
    ck_assert_msg(run.exit_code == 0, "ca %s: exit %d\n%s", argv[1], run.exit_code, run.err);
    test_run_free(&run);
}

/* `ca init --delegate`, then shop.test and other.test. */
static void lab_create(struct lab *lab)
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

static void lab_destroy(struct lab *lab)
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

enum signer_kind {
    SIGNED_BY_ROOT,
    SIGNED_BY_DELEGATE,
    SIGNED_BY_OTHER_ROOT,     /* another lab's root key, naming ours (same DN) */
    SIGNED_BY_SERVER_CERT,    /* shop.test's own key and certificate: issued by the CA, no EKU */
    SIGNED_BY_OTHER_DELEGATE, /* another lab's real delegate, included */
};

enum mangle {
    MANGLE_NONE,
    MANGLE_TRAILING_BYTE,
    MANGLE_TRUNCATE,
    MANGLE_FLIP_SIGNATURE, /* last byte: the signature no longer verifies */
    MANGLE_EMPTY,
};

enum special {
    SPECIAL_NONE,
    SPECIAL_TRY_LATER,          /* an unsuccessful response: just the status */
    SPECIAL_CRITICAL_EXTENSION, /* hand-built: an unknown critical responseExtension */
    SPECIAL_SUCCESSFUL_EMPTY,   /* "successful" and no responseBytes at all */
    SPECIAL_OTHER_TYPE,         /* the row's basic response under another responseType */
};

/* How the row's CertID departs from the one computed for shop.test (or
 * other.test) under the lab's root with SHA-1. */
enum certid_edit {
    CERTID_AS_COMPUTED,
    CERTID_SHA256,          /* computed with SHA-256 instead: still this certificate */
    CERTID_NAME_HASH,       /* issuerNameHash altered: the serial alone would match */
    CERTID_OTHER_CA,        /* computed under another lab's root: same DN, other key */
    CERTID_ISSUER_HASHES,   /* both issuer hashes altered */
};

/* responseType of SPECIAL_OTHER_TYPE: nobody's arc, not id-pkix-ocsp-basic. */
#define OTHER_RESPONSE_TYPE "1.3.6.1.4.1.55555.1.2"

/* What `openssl ocsp -respin R -issuer root -cert shop -CAfile root` says. */
enum openssl_view {
    OPENSSL_OK_GOOD,       /* "Response verify OK", "shop.test.pem: good" */
    OPENSSL_OK_REVOKED,    /* verify OK, status revoked */
    OPENSSL_OK_UNKNOWN,    /* verify OK, status unknown */
    OPENSSL_WARNS_TIMES,   /* verify OK, "WARNING: Status times invalid." */
    OPENSSL_NO_STATUS,     /* verify OK, "ERROR: No Status found." */
    OPENSSL_VERIFY_FAILS,  /* "Response Verify Failure" */
    OPENSSL_CANNOT_READ,   /* "Error reading OCSP response" */
    OPENSSL_RESPONDER_ERR, /* "Responder Error: trylater (3)" */
    OPENSSL_NO_BASIC,      /* "Error parsing response": no basic response to read */
};

static const struct staple_row {
    const char *label;
    enum signer_kind signer;
    const char *about; /* "shop" or "other": whose CertID */
    enum ocsp_cert_status status;
    int64_t this_offset; /* thisUpdate = now + this_offset */
    bool has_next_update;
    int64_t next_offset;
    enum special special;
    enum mangle mangle;
    enum ocsp_verdict_reason want;
    enum openssl_view openssl;
    bool is_stricter; /* the lab refuses what OpenSSL accepts (or only warns about) */
    enum certid_edit edit;
    const char *says; /* words the explanation must hold, or NULL */
} staple_rows[] = {
    {"good, signed by the CA", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400,
     SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_GOOD, OPENSSL_OK_GOOD, false, CERTID_AS_COMPUTED, NULL},
    {"good, signed by the CA's delegate", SIGNED_BY_DELEGATE, "shop", OCSP_CERT_STATUS_GOOD, -600,
     true, 86400, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_GOOD, OPENSSL_OK_GOOD, false, CERTID_AS_COMPUTED, NULL},
    {"good without nextUpdate, 1 day old", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -86400,
     false, 0, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_GOOD, OPENSSL_OK_GOOD, false, CERTID_AS_COMPUTED, NULL},
    {"revoked", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_REVOKED, -600, true, 86400, SPECIAL_NONE,
     MANGLE_NONE, OCSP_VERDICT_REVOKED, OPENSSL_OK_REVOKED, false, CERTID_AS_COMPUTED, NULL},
    {"unknown", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_UNKNOWN, -600, true, 86400,
     SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_UNKNOWN, OPENSSL_OK_UNKNOWN, false, CERTID_AS_COMPUTED, NULL},
    /* OpenSSL only warns about times (and exits 0): the lab refuses. */
    {"stale (nextUpdate an hour ago)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -2 * 86400,
     true, -3600, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_STALE, OPENSSL_WARNS_TIMES, true, CERTID_AS_COMPUTED, NULL},
    {"stale (no nextUpdate, 8 days old)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD,
     -8 * 86400, false, 0, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_STALE, OPENSSL_OK_GOOD, true, CERTID_AS_COMPUTED, NULL},
    {"not yet valid (thisUpdate in an hour)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, 3600,
     true, 86400, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_NOT_YET_VALID, OPENSSL_WARNS_TIMES,
     true, CERTID_AS_COMPUTED, NULL},
    {"within the 5 minutes of skew", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, 120, true,
     86400, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_GOOD, OPENSSL_OK_GOOD, false, CERTID_AS_COMPUTED, NULL},
    /* RFC 5019 allows SHA-256 CertIDs. `openssl ocsp -cert` looks the status up
     * by a SHA-1 CertID (without -sha256), so it verifies the response but
     * finds no status in it. */
    {"good, CertID with SHA-256", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400,
     SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_GOOD, OPENSSL_NO_STATUS, false, CERTID_SHA256, NULL},
    /* The wrong-cert sentence names the CertID fields that differ. */
    {"wrong certificate (other.test)", SIGNED_BY_ROOT, "other", OCSP_CERT_STATUS_GOOD, -600, true,
     86400, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_WRONG_CERT, OPENSSL_NO_STATUS, false,
     CERTID_AS_COMPUTED, "(SHA-1) the serial number does not match (it names "},
    {"wrong certificate (issuer name hash)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600,
     true, 86400, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_WRONG_CERT, OPENSSL_NO_STATUS, false,
     CERTID_NAME_HASH, "(SHA-1) the issuer name hash does not match, though the serial"},
    {"wrong certificate (same serial, another CA's key)", SIGNED_BY_ROOT, "shop",
     OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_WRONG_CERT,
     OPENSSL_NO_STATUS, false, CERTID_OTHER_CA,
     "(SHA-1) the issuer key hash does not match, though the serial"},
    {"wrong certificate (both issuer hashes)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600,
     true, 86400, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_WRONG_CERT, OPENSSL_NO_STATUS, false,
     CERTID_ISSUER_HASHES, "the issuer name and key hashes do not match, though the serial"},
    {"bad signature (another lab's key)", SIGNED_BY_OTHER_ROOT, "shop", OCSP_CERT_STATUS_GOOD,
     -600, true, 86400, SPECIAL_NONE, MANGLE_NONE, OCSP_VERDICT_BAD_SIGNATURE,
     OPENSSL_VERIFY_FAILS, false, CERTID_AS_COMPUTED, NULL},
    {"bad signature (altered after signing)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600,
     true, 86400, SPECIAL_NONE, MANGLE_FLIP_SIGNATURE, OCSP_VERDICT_BAD_SIGNATURE,
     OPENSSL_VERIFY_FAILS, false, CERTID_AS_COMPUTED, NULL},
    {"untrusted signer (the CA's server cert, no OCSPSigning EKU)", SIGNED_BY_SERVER_CERT, "shop",
     OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
     OCSP_VERDICT_UNTRUSTED_SIGNER, OPENSSL_VERIFY_FAILS, false, CERTID_AS_COMPUTED, NULL},
    {"untrusted signer (another lab's delegate)", SIGNED_BY_OTHER_DELEGATE, "shop",
     OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
     OCSP_VERDICT_UNTRUSTED_SIGNER, OPENSSL_VERIFY_FAILS, false, CERTID_AS_COMPUTED, NULL},
    /* OpenSSL does not look at responseExtensions' criticality. */
    {"unknown critical extension", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true,
     86400, SPECIAL_CRITICAL_EXTENSION, MANGLE_NONE, OCSP_VERDICT_CRITICAL_EXTENSION,
     OPENSSL_OK_GOOD, true, CERTID_AS_COMPUTED, NULL},
    /* OpenSSL's d2i reads one element and ignores what follows. */
    {"malformed (a trailing byte)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true,
     86400, SPECIAL_NONE, MANGLE_TRAILING_BYTE, OCSP_VERDICT_MALFORMED, OPENSSL_OK_GOOD, true, CERTID_AS_COMPUTED, NULL},
    {"malformed (truncated)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400,
     SPECIAL_NONE, MANGLE_TRUNCATE, OCSP_VERDICT_MALFORMED, OPENSSL_CANNOT_READ, false, CERTID_AS_COMPUTED, NULL},
    {"malformed (empty file)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400,
     SPECIAL_NONE, MANGLE_EMPTY, OCSP_VERDICT_MALFORMED, OPENSSL_CANNOT_READ, false, CERTID_AS_COMPUTED, NULL},
    /* RFC 6960 4.2.1: "successful" promises a basic response; without one the
     * message is broken (malformed), not a responder's refusal (unsuccessful). */
    {"malformed (successful, no responseBytes)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD,
     -600, true, 86400, SPECIAL_SUCCESSFUL_EMPTY, MANGLE_NONE, OCSP_VERDICT_MALFORMED,
     OPENSSL_NO_BASIC, false, CERTID_AS_COMPUTED, "no responseBytes"},
    {"malformed (successful, responseType not basic)", SIGNED_BY_ROOT, "shop",
     OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_OTHER_TYPE, MANGLE_NONE,
     OCSP_VERDICT_MALFORMED, OPENSSL_NO_BASIC, false, CERTID_AS_COMPUTED,
     "of type " OTHER_RESPONSE_TYPE ", not id-pkix-ocsp-basic"},
    {"unsuccessful (tryLater)", SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400,
     SPECIAL_TRY_LATER, MANGLE_NONE, OCSP_VERDICT_UNSUCCESSFUL, OPENSSL_RESPONDER_ERR, false,
     CERTID_AS_COMPUTED, "'tryLater'"},
};

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
static void build_with_critical_extension(const struct lab *lab, const struct staple_row *row,
                                          int64_t now, struct der_buf *out)
{
    static const uint8_t none[1] = {0};
    static const uint8_t ext_value[] = {0x05, 0x00};
    struct der_buf tbs = {0}, sig = {0}, basic = {0};
    struct ocsp_cert_id_value id;
    struct lab_key key;
    struct errbuf err = {{0}};
    WC_RNG rng;

    ck_assert_msg(ocsp_cert_id_compute(&lab->shop.x509, &lab->root.x509, OCSP_HASH_SHA1, &id,
                                       &err) == 0, "%s", err.msg);
    der_begin(&tbs, DER_TAG_SEQUENCE); /* ResponseData */
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

/* Builds the row's response for shop.test (or other.test) at `now`. */
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

static void build_row(const struct lab *lab, const struct lab *other_lab,
                      const struct staple_row *row, int64_t now, struct der_buf *out)
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
    const struct x509_cert *about = strcmp(row->about, "other") == 0 ? &lab->other.x509
                                                                     : &lab->shop.x509;
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
    ck_assert_msg(ocsp_response_build(&signer, &rng, now, &single, 1, NULL, out, &err) == 0,
                  "%s: %s", row->label, err.msg);
    wc_FreeRng(&rng);
    key_free(&key);
    der_buf_free(&id_der);
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

static void assert_openssl_view(const struct staple_row *row, const struct lab *lab,
                                const char *response_path)
{
    const char *argv[] = {"openssl", "ocsp",   "-respin",  response_path, "-issuer",
                          lab->root.pem, "-cert", lab->shop.pem, "-CAfile", lab->root.pem,
                          "-no_nonce", NULL};
    struct test_run run = run_argv(argv);
    const char *out = run.out, *err = run.err;
    bool ok = false;
    switch (row->openssl) {
    case OPENSSL_OK_GOOD:
        ok = test_contains(err, "Response verify OK") && test_contains(out, ".pem: good") &&
             !test_contains(out, "WARNING");
        break;
    case OPENSSL_OK_REVOKED:
        ok = test_contains(err, "Response verify OK") && test_contains(out, ".pem: revoked");
        break;
    case OPENSSL_OK_UNKNOWN:
        ok = test_contains(err, "Response verify OK") && test_contains(out, ".pem: unknown");
        break;
    case OPENSSL_WARNS_TIMES:
        ok = run.exit_code == 0 && test_contains(err, "Response verify OK") &&
             test_contains(out, "WARNING: Status times invalid");
        break;
    case OPENSSL_NO_STATUS:
        ok = test_contains(err, "Response verify OK") && test_contains(out, "No Status found");
        break;
    case OPENSSL_VERIFY_FAILS:
        ok = run.exit_code != 0 && test_contains(err, "Response Verify Failure");
        break;
    case OPENSSL_CANNOT_READ:
        ok = run.exit_code != 0 && test_contains(err, "Error reading OCSP response");
        break;
    case OPENSSL_RESPONDER_ERR:
        ok = run.exit_code != 0 && test_contains(out, "Responder Error: trylater");
        break;
    case OPENSSL_NO_BASIC:
        ok = run.exit_code != 0 && test_contains(err, "Error parsing response") &&
             !test_contains(out, "Responder Error");
        break;
    }
    ck_assert_msg(ok, "%s: openssl (exit %d) disagrees with the table:\n%s%s", row->label,
                  run.exit_code, tail(out), tail(err));
    test_run_free(&run);
}

/* ---- Explanations a student reads ------------------------------------------------------ */

static bool is_alnum_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Finds a word said twice in one explanation ("malformed ... malformed", "the
 * the"): any word twice in a row, or a word of 5 or more letters anywhere
 * twice. Quoted names ('Lab Root CA') and words with digits (times, serials,
 * RFC numbers) are values, not wording, and are skipped. Returns true and the
 * word in `word` when one repeats. */
static bool find_repeated_word(const char *text, char *word, size_t cap)
{
    enum { MAX_WORDS = 128, MAX_LEN = 48 };
    static char words[MAX_WORDS][MAX_LEN];
    size_t count = 0;
    char previous[MAX_LEN] = "";
    bool is_quoted = false;
    for (size_t i = 0; text[i] != 0;) {
        if (text[i] == '\'') {
            /* An opening quote follows a non-letter; a closing one precedes one
             * (so the apostrophe of "response's" is neither). */
            if (!is_quoted && (i == 0 || !is_alnum_char(text[i - 1])))
                is_quoted = true;
            else if (is_quoted && !is_alnum_char(text[i + 1]))
                is_quoted = false;
            i++;
            continue;
        }
        if (!is_alnum_char(text[i])) {
            i++;
            continue;
        }
        char token[MAX_LEN];
        size_t len = 0;
        bool has_digit = false;
        for (; is_alnum_char(text[i]); i++) {
            has_digit |= text[i] >= '0' && text[i] <= '9';
            if (len + 1 < sizeof token)
                token[len++] = (char)(text[i] | 0x20); /* ASCII lower case */
        }
        token[len] = 0;
        if (is_quoted || has_digit)
            continue;
        bool is_repeat = strcmp(token, previous) == 0;
        for (size_t w = 0; w < count && !is_repeat && len >= 5; w++)
            is_repeat = strcmp(words[w], token) == 0;
        if (is_repeat) {
            snprintf(word, cap, "%s", token);
            return true;
        }
        snprintf(previous, sizeof previous, "%s", token);
        if (len >= 5 && count < MAX_WORDS)
            snprintf(words[count++], MAX_LEN, "%s", token);
    }
    return false;
}

/* The detector itself: it must see what the explanation check relies on. */
START_TEST(test_repeated_word_detector)
{
    char word[48];
    ck_assert(find_repeated_word("This is not a well-formed OCSP response: malformed OCSP "
                                 "response: bad end.", word, sizeof word));
    ck_assert_str_eq(word, "response");
    ck_assert(find_repeated_word("The response is malformed: a malformed body.", word,
                                 sizeof word));
    ck_assert_str_eq(word, "malformed");
    ck_assert(find_repeated_word("It is not in the the list.", word, sizeof word));
    ck_assert_str_eq(word, "the");
    ck_assert(!find_repeated_word("Signed by 'Lab Root CA' about the CA's 'Lab Root CA' key.",
                                  word, sizeof word));
    ck_assert(!find_repeated_word("The response's thisUpdate 2026-01-01T00:00:00.000Z is after "
                                  "2025-01-01T00:00:00.000Z.", word, sizeof word));
}
END_TEST

/* DESIGN 2 and 9: `browser verify-staple` prints these words, and scripts
 * and scenario expectations match them; none may change spelling. */
START_TEST(test_reason_words)
{
    static const struct {
        enum ocsp_verdict_reason reason;
        const char *word;
    } rows[] = {
        {OCSP_VERDICT_GOOD, "good"},
        {OCSP_VERDICT_MALFORMED, "malformed"},
        {OCSP_VERDICT_UNSUCCESSFUL, "unsuccessful"},
        {OCSP_VERDICT_UNTRUSTED_SIGNER, "untrusted-signer"},
        {OCSP_VERDICT_BAD_SIGNATURE, "bad-signature"},
        {OCSP_VERDICT_WRONG_CERT, "wrong-cert"},
        {OCSP_VERDICT_NONCE_MISMATCH, "nonce-mismatch"},
        {OCSP_VERDICT_CRITICAL_EXTENSION, "critical-extension"},
        {OCSP_VERDICT_NOT_YET_VALID, "not-yet-valid"},
        {OCSP_VERDICT_STALE, "stale"},
        {OCSP_VERDICT_REVOKED, "revoked"},
        {OCSP_VERDICT_UNKNOWN, "unknown"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        ck_assert_str_eq(ocsp_verdict_reason_name(rows[i].reason), rows[i].word);
    ck_assert_int_eq(OCSP_VERDICT_UNKNOWN + 1, (int)(sizeof rows / sizeof rows[0]));
}
END_TEST

/* ---- verify-staple: every rule, by function, by command and by openssl ----------------- */

START_TEST(test_verify_staple_rows)
{
    const struct staple_row *row = &staple_rows[_i];
    struct lab lab, other;
    struct der_buf response = {0};
    struct ocsp_verdict verdict;
    struct errbuf err = {{0}};
    char path[LAB_PATH_MAX], at[32];
    int64_t now = (int64_t)time(NULL);

    lab_create(&lab);
    lab_create(&other);
    build_row(&lab, &other, row, now, &response);
    join(path, lab.dir, "staple.der");
    write_bytes(path, response.data, response.len);

    /* 1. The library call. */
    ck_assert_msg(verify_staple_files(lab.shop.pem, lab.root.pem, path, now, &verdict, &err) == 0,
                  "%s: %s", row->label, err.msg);
    ck_assert_msg(verdict.reason == row->want, "%s: got %s (%s), want %s", row->label,
                  ocsp_verdict_reason_name(verdict.reason), verdict.explanation,
                  ocsp_verdict_reason_name(row->want));
    ck_assert_msg(strlen(verdict.explanation) > 20, "%s: no explanation", row->label);
    ck_assert_msg(row->says == NULL || test_contains(verdict.explanation, row->says),
                  "%s: explanation lacks '%s':\n%s", row->label, row->says, verdict.explanation);
    char repeated[48];
    ck_assert_msg(!find_repeated_word(verdict.explanation, repeated, sizeof repeated),
                  "%s: '%s' twice in: %s", row->label, repeated, verdict.explanation);

    /* 2. The command: first line, explanation, exit code (DESIGN 2). */
    snprintf(at, sizeof at, "%lld", (long long)now);
    char browser[LAB_PATH_MAX];
    snprintf(browser, sizeof browser, "%s", test_bin("browser"));
    const char *argv[] = {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer",
                          lab.root.pem, "--staple", path, "--at", at, NULL};
    struct test_run run = run_argv(argv);
    char first[64];
    bool is_good = row->want == OCSP_VERDICT_GOOD;
    snprintf(first, sizeof first, "%s: %s\n", is_good ? "accept" : "reject",
             ocsp_verdict_reason_name(row->want));
    ck_assert_msg(strncmp(run.out, first, strlen(first)) == 0 &&
                      test_contains(run.out, verdict.explanation),
                  "%s: output\n%s", row->label, tail(run.out));
    ck_assert_msg(run.exit_code == (is_good ? 0 : 1), "%s: exit %d\n%s", row->label,
                  run.exit_code, tail(run.err));
    test_run_free(&run);

    /* 3. OpenSSL's view of the same file. */
    assert_openssl_view(row, &lab, path);

    der_buf_free(&response);
    lab_destroy(&lab);
    lab_destroy(&other);
}
END_TEST

/* The same response judged at different moments (--at): the simulated
 * clock, not the real one, decides freshness. */
START_TEST(test_verify_staple_at)
{
    struct lab lab;
    struct der_buf response = {0};
    struct ocsp_verdict verdict;
    struct errbuf err = {{0}};
    char path[LAB_PATH_MAX];
    int64_t now = (int64_t)time(NULL);
    lab_create(&lab);
    build_row(&lab, NULL, &staple_rows[0], now, &response); /* thisUpdate -10 min, next +1 day */
    join(path, lab.dir, "staple.der");
    write_bytes(path, response.data, response.len);
    static const struct {
        int64_t offset;
        enum ocsp_verdict_reason want;
    } moments[] = {
        {0, OCSP_VERDICT_GOOD},
        {86400 + 4 * 60, OCSP_VERDICT_GOOD},    /* past nextUpdate, inside the skew */
        {86400 + 6 * 60, OCSP_VERDICT_STALE},   /* beyond it */
        {-600 - 4 * 60, OCSP_VERDICT_GOOD},     /* before thisUpdate, inside the skew */
        {-600 - 6 * 60, OCSP_VERDICT_NOT_YET_VALID},
    };
    for (size_t i = 0; i < sizeof moments / sizeof moments[0]; i++) {
        ck_assert_int_eq(verify_staple_files(lab.shop.pem, lab.root.pem, path,
                                             now + moments[i].offset, &verdict, &err),
                         0);
        ck_assert_msg(verdict.reason == moments[i].want, "offset %lld: %s",
                      (long long)moments[i].offset, ocsp_verdict_reason_name(verdict.reason));
    }
    der_buf_free(&response);
    lab_destroy(&lab);
}
END_TEST

/* Usage and environment errors exit 2 with a message naming the problem. */
START_TEST(test_verify_staple_usage)
{
    struct lab lab;
    char path[LAB_PATH_MAX], missing[LAB_PATH_MAX], browser[LAB_PATH_MAX];
    lab_create(&lab);
    join(path, lab.dir, "staple.der");
    join(missing, lab.dir, "missing.der");
    write_bytes(path, (const uint8_t *)"x", 1);
    snprintf(browser, sizeof browser, "%s", test_bin("browser"));
    struct {
        const char *label;
        const char *argv[12];
        const char *says;
    } cases[] = {
        {"no --staple", {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer",
                         lab.root.pem, NULL}, "needs --cert"},
        {"missing staple file", {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer",
                                 lab.root.pem, "--staple", missing, NULL}, "missing.der"},
        {"missing certificate", {browser, "verify-staple", "--cert", missing, "--issuer",
                                 lab.root.pem, "--staple", path, NULL}, "missing.der"},
        {"a staple as the certificate", {browser, "verify-staple", "--cert", path, "--issuer",
                                         lab.root.pem, "--staple", path, NULL}, "staple.der"},
        {"bad --at", {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer", lab.root.pem,
                      "--staple", path, "--at", "yesterday", NULL}, "invalid --at"},
        {"visit flags", {browser, "verify-staple", "--cert", lab.shop.pem, "--issuer",
                         lab.root.pem, "--staple", path, "--users", "3", NULL}, "verify-staple takes"},
        {"unknown command", {browser, "surf", NULL}, "unknown command"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_run run = run_argv(cases[i].argv);
        ck_assert_msg(run.exit_code == 2 && test_contains(run.err, "browser: ") &&
                          test_contains(run.err, cases[i].says),
                      "%s: exit %d\n%s", cases[i].label, run.exit_code, tail(run.err));
        test_run_free(&run);
    }
    lab_destroy(&lab);
}
END_TEST

/* ---- The TLS 1.2 CertificateStatus message (RFC 6066 8) ---------------------------------- */

/* A real response, framed as a server frames it, comes back byte for byte
 * and still verifies; every shorter prefix is refused. */
START_TEST(test_certstatus_real_response)
{
    struct lab lab;
    struct der_buf response = {0}, message = {0};
    struct der_cursor inner;
    struct ocsp_verdict verdict;
    int64_t now = (int64_t)time(NULL);
    lab_create(&lab);
    build_row(&lab, NULL, &staple_rows[0], now, &response);
    uint8_t header[8] = {22, 0, 0, 0, 1, 0, 0, 0};
    size_t body = response.len + 4;
    header[1] = (uint8_t)(body >> 16);
    header[2] = (uint8_t)(body >> 8);
    header[3] = (uint8_t)body;
    header[5] = (uint8_t)(response.len >> 16);
    header[6] = (uint8_t)(response.len >> 8);
    header[7] = (uint8_t)response.len;
    check_der(der_write_raw(&message, header, sizeof header));
    check_der(der_write_raw(&message, response.data, response.len));
    ck_assert_int_eq(tls_read_certificate_status(message.data, message.len, &inner), TLS_CERTSTATUS_OK);
    ck_assert_uint_eq(inner.left, response.len);
    ck_assert_int_eq(memcmp(inner.p, response.data, response.len), 0);
    struct ocsp_verify_input in = {.cert = &lab.shop.x509, .issuer = &lab.root.x509, .now = now};
    ck_assert_int_eq(ocsp_verify_response(inner.p, inner.left, &in, &verdict), 0);
    for (size_t len = 0; len < message.len; len++)
        ck_assert_int_eq(tls_read_certificate_status(message.data, len, &inner), TLS_CERTSTATUS_TRUNCATED);
    der_buf_free(&message);
    der_buf_free(&response);
    lab_destroy(&lab);
}
END_TEST

/* ---- The URL and the users' addresses ----------------------------------------------------- */

static const struct url_row {
    const char *url;
    bool is_ok;
    const char *name;
    unsigned port;
    const char *path;
} url_rows[] = {
    {"https://shop.test:8443/", true, "shop.test", 8443, "/"},
    {"https://shop.test:8443", true, "shop.test", 8443, "/"},
    {"https://SHOP.Test:1/stats", true, "shop.test", 1, "/stats"},
    {"HTTPS://a-b.shop.test/", true, "a-b.shop.test", 443, "/"},
    {"http://shop.test:8443/", false, NULL, 0, NULL},
    {"shop.test:8443", false, NULL, 0, NULL},
    {"https://shop.example:8443/", false, NULL, 0, NULL},
    {"https://test/", false, NULL, 0, NULL},
    {"https://.test/", false, NULL, 0, NULL},
    {"https://-shop.test/", false, NULL, 0, NULL},
    {"https://shop-.test/", false, NULL, 0, NULL},
    {"https://sh_op.test/", false, NULL, 0, NULL},
    {"https://127.0.0.1:8443/", false, NULL, 0, NULL},
    {"https://shop.test:0/", false, NULL, 0, NULL},
    {"https://shop.test:65536/", false, NULL, 0, NULL},
    {"https://shop.test:/", false, NULL, 0, NULL},
    {"https://shop.test:84x3/", false, NULL, 0, NULL},
    {"https://shop.test:8443/a b", false, NULL, 0, NULL},
    {"https://shop.test?x", false, NULL, 0, NULL},
    {"https://", false, NULL, 0, NULL},
};

START_TEST(test_target_rows)
{
    const struct url_row *row = &url_rows[_i];
    struct target target;
    struct errbuf err = {{0}};
    int rc = target_parse_url(row->url, &target, &err);
    ck_assert_msg((rc == 0) == row->is_ok, "%s: rc %d (%s)", row->url, rc, err.msg);
    if (!row->is_ok) {
        ck_assert_msg(test_contains(err.msg, "invalid URL"), "%s: %s", row->url, err.msg);
        return;
    }
    ck_assert_str_eq(target.name, row->name);
    ck_assert_uint_eq(target.port, row->port);
    ck_assert_str_eq(target.path, row->path);
    ck_assert_str_eq(target.addr, "127.0.0.1");
}
END_TEST

START_TEST(test_user_addresses)
{
    static const struct {
        int user;
        const char *addr;
    } rows[] = {
        {1, "127.0.1.1"},     {2, "127.0.1.2"},       {254, "127.0.1.254"},
        {255, "127.0.2.1"},   {508, "127.0.2.254"},   {509, "127.0.3.1"},
        {1000, "127.0.4.238"}, {64770, "127.0.255.254"}, {64771, "127.1.1.1"},
        {100000, "127.1.139.178"}, {CROWD_MAX_ADDRESSES, "127.255.255.254"},
    };
    char addr[16];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_int_eq(crowd_user_address(rows[i].user, addr, sizeof addr), 0);
        ck_assert_str_eq(addr, rows[i].addr);
    }
    ck_assert_int_eq(crowd_user_address(0, addr, sizeof addr), -1);
    ck_assert_int_eq(crowd_user_address(CROWD_MAX_ADDRESSES + 1, addr, sizeof addr), -1);
    ck_assert_int_eq(crowd_user_address(-1, addr, sizeof addr), -1);
    /* Every address of the scheme is distinct and none ends in .0 or .255. */
    for (int user = 1; user <= CROWD_MAX_ADDRESSES; user += 9973) {
        unsigned a, b, c, d;
        ck_assert_int_eq(crowd_user_address(user, addr, sizeof addr), 0);
        ck_assert_int_eq(sscanf(addr, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
        ck_assert(a == 127 && b <= 255 && c >= 1 && c <= 255 && d >= 1 && d <= 254);
        ck_assert_int_eq((int)((b * 255 + (c - 1)) * 254 + d), user);
    }
}
END_TEST

/* ---- The report ---------------------------------------------------------------------------- */

START_TEST(test_report_json_and_summary)
{
    struct visit_outcome o[3];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 3; i++) {
        o[i].user = i + 1;
        crowd_user_address(i + 1, o[i].addr, sizeof o[i].addr);
        snprintf(o[i].tls_version, sizeof o[i].tls_version, "1.2");
        o[i].asked_staple = true;
    }
    o[0].has_staple = true;
    o[0].staple_checker = VISIT_CHECKED_BY_LAB;
    snprintf(o[0].staple_status, sizeof o[0].staple_status, "good");
    o[0].is_accepted = true;
    snprintf(o[0].reason, sizeof o[0].reason, "good");
    o[1].did_query = true;
    snprintf(o[1].query_status, sizeof o[1].query_status, "revoked");
    snprintf(o[1].reason, sizeof o[1].reason, "revoked");
    snprintf(o[1].explanation, sizeof o[1].explanation, "The CA says REVOKED.");
    o[2].has_staple = true;
    o[2].staple_checker = VISIT_CHECKED_BY_LAB;
    o[2].did_query = true;
    o[2].did_reconnect = true;
    snprintf(o[2].reason, sizeof o[2].reason, "revoked");

    struct report_acc acc;
    report_acc_init(&acc, true);
    for (int i = 0; i < 3; i++)
        report_acc_add(&acc, &o[i]);
    const struct report_summary s = acc.summary;
    ck_assert_int_eq(s.users, 3);
    ck_assert_int_eq(s.stapled, 2);
    ck_assert_uint_eq(acc.group_count, 2);
    ck_assert_int_eq(acc.groups[1].count, 2);
    ck_assert_int_eq(acc.groups[1].first_user, 2);
    ck_assert_int_eq(s.accepted, 1);
    ck_assert_int_eq(s.refused, 2);
    ck_assert_int_eq(s.ocsp_queries, 2);
    ck_assert_int_eq(s.staples_by_lab, 2);
    ck_assert_int_eq(s.reconnects, 1);

    struct report_settings settings = {"https://shop.test:1/", "on", "ocsp", "soft", "any", 8};
    json_t *json = report_json(&settings, &acc);
    ck_assert_ptr_nonnull(json);
    json_t *users = json_object_get(json, "users");
    ck_assert_uint_eq(json_array_size(users), 3);
    json_t *second = json_array_get(users, 1);
    ck_assert_str_eq(json_string_value(json_object_get(second, "addr")), "127.0.1.2");
    ck_assert_str_eq(json_string_value(json_object_get(second, "verdict")), "refuse");
    ck_assert_str_eq(json_string_value(json_object_get(second, "reason")), "revoked");
    ck_assert(json_is_true(json_object_get(json_object_get(second, "direct_ocsp"), "queried")));
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(json_array_get(users, 0), "staple"),
                                          "checked_by")),
        "lab");
    json_t *summary = json_object_get(json, "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "ocsp_queries")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "refused")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "users_listed")), 3);
    json_t *groups = json_object_get(json, "groups");
    ck_assert_uint_eq(json_array_size(groups), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(groups, 1), "count")), 2);
    json_decref(json);

    /* The text summary explains each distinct verdict once. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    ck_assert_ptr_nonnull(out);
    report_print_line(out, &o[1], false);
    report_print_summary(out, &acc, false);
    report_acc_free(&acc);
    /* A long run lists its first users only; the summary counts them all. */
    report_acc_init(&acc, true);
    for (int i = 0; i < REPORT_MAX_LISTED + 5; i++) {
        o[0].user = i + 1;
        report_acc_add(&acc, &o[0]);
    }
    json_t *long_run = report_json(&settings, &acc);
    ck_assert_int_eq(json_integer_value(json_object_get(long_run, "users_listed")),
                     REPORT_MAX_LISTED);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(long_run, "summary"),
                                                        "users")),
                     REPORT_MAX_LISTED + 5);
    json_decref(long_run);
    report_acc_free(&acc);
    fclose(out);
    ck_assert_msg(test_contains(text, "127.0.1.2") && test_contains(text, "refuse") &&
                      test_contains(text, "refuse revoked (2 users; user 2): The CA says REVOKED.") &&
                      test_contains(text, "OCSP queries made by browsers: 2") &&
                      !test_contains(text, "\033["),
                  "%s", text);
    free(text);
}
END_TEST

Suite *browser_suite(void)
{
    Suite *s = suite_create("browser");
    TCase *staple = tcase_create("verify_staple");
    tcase_set_timeout(staple, 60);
    tcase_add_unchecked_fixture(staple, scratch_setup, scratch_teardown);
    tcase_add_loop_test(staple, test_verify_staple_rows, 0,
                        (int)(sizeof staple_rows / sizeof staple_rows[0]));
    tcase_add_test(staple, test_verify_staple_at);
    tcase_add_test(staple, test_verify_staple_usage);
    suite_add_tcase(s, staple);

    TCase *framing = tcase_create("certstatus");
    tcase_add_test(framing, test_certstatus_real_response);
    tcase_set_timeout(framing, 60);
    tcase_add_unchecked_fixture(framing, scratch_setup, scratch_teardown);
    suite_add_tcase(s, framing);

    TCase *names = tcase_create("names");
    tcase_add_loop_test(names, test_target_rows, 0, (int)(sizeof url_rows / sizeof url_rows[0]));
    tcase_add_test(names, test_user_addresses);
    tcase_add_test(names, test_report_json_and_summary);
    tcase_add_test(names, test_repeated_word_detector);
    tcase_add_test(names, test_reason_words);
    suite_add_tcase(s, names);
    return s;
}
