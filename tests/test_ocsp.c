/* test_ocsp.c — the OCSP codec (common/ocsp, RFC 6960 section 4) against the
 * real thing: requests made by `openssl ocsp` parse and name the CertIDs we
 * compute; our requests and responses pass openssl's checks (signature,
 * delegate EKU, nonce, status, times); responses made by openssl's own
 * responder parse; and every reject reason of both parsers has its own row. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "der.h"
#include "fileio.h"
#include "keys.h"
#include "lab.h"
#include "ocsp.h"
#include "pem.h"
#include "testutil.h"
#include "x509.h"

#define OPENSSL_TIMEOUT_MS 20000
#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_RSA_SHA256 "1.2.840.113549.1.1.11"
#define OID_SHA1 "1.3.14.3.2.26"
#define OID_MD5 "1.2.840.113549.2.5"
#define REASON_KEY_COMPROMISE 1

/* ---- Helpers ------------------------------------------------------------------ */

static void join(char *out, const char *dir, const char *name)
{
    ck_assert_msg(file_path_join(out, LAB_PATH_MAX, dir, name) == 0, "path too long: %s", name);
}

static void write_bytes(const char *path, const uint8_t *data, size_t len)
{
    struct errbuf err = {{0}};
    ck_assert_msg(file_write_atomic(path, data, len, 0644, &err) == 0, "%s", err.msg);
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, (const uint8_t *)text, strlen(text));
}

/* A heap copy of exactly the file's bytes, so ASan sees any read past the end. */
static uint8_t *read_bytes(const char *path, size_t *len)
{
    struct errbuf err = {{0}};
    uint8_t *data = NULL;
    ck_assert_msg(file_read_all(path, 1 << 20, &data, len, &err) == 0, "%s", err.msg);
    uint8_t *exact = malloc(*len != 0 ? *len : 1);
    ck_assert_ptr_nonnull(exact);
    memcpy(exact, data, *len);
    free(data);
    return exact;
}

static uint8_t *copy_exact(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len != 0 ? len : 1);
    ck_assert_ptr_nonnull(copy);
    if (len != 0)
        memcpy(copy, data, len);
    return copy;
}

/* Runs a command line (no quoting: our paths have no spaces); returns the run
 * for the caller to inspect and free. */
__attribute__((format(printf, 1, 2))) static struct test_run run_cmd(const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ck_assert(n > 0 && (size_t)n < sizeof line);
    struct test_run run;
    ck_assert_int_eq(test_run_cmd(&run, OPENSSL_TIMEOUT_MS, "%s", line), 0);
    ck_assert_msg(!run.timed_out, "timed out: %s", line);
    return run;
}

__attribute__((format(printf, 1, 2))) static void run_ok(const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ck_assert(n > 0 && (size_t)n < sizeof line);
    struct test_run run = run_cmd("%s", line);
    ck_assert_msg(run.exit_code == 0, "%s\nexit %d\n%.1500s%.1500s", line, run.exit_code, run.out,
                  run.err);
    test_run_free(&run);
}

/* Check ends a test with exit status 2 when a failure message passes its size
 * limit, so messages quote at most the last 1500 characters of openssl output
 * (where the status summary is) through this, or clip with "%.1500s". */
static const char *tail(const char *text)
{
    size_t len = text != NULL ? strlen(text) : 0;
    return len > 1500 ? text + len - 1500 : text;
}

/* openssl prints times as "Nov  5 12:00:00 2026 GMT" (day padded with a space). */
static void openssl_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
    ck_assert_uint_ne(strftime(out, cap, "%b %e %H:%M:%S %Y GMT", &tm), 0);
}

static void hex_upper(const uint8_t *bytes, size_t len, char *out, size_t cap)
{
    ck_assert_uint_ge(cap, 2 * len + 1);
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02X", bytes[i]);
    out[2 * len] = 0;
}

/* The serial as openssl prints it and keys its index.txt: hex of the magnitude. */
static void serial_hex(const struct x509_cert *cert, char *out, size_t cap)
{
    struct der_cursor serial = cert->serial;
    if (serial.left > 1 && serial.p[0] == 0x00)
        serial = der_cursor_init(serial.p + 1, serial.left - 1);
    hex_upper(serial.p, serial.left, out, cap);
}

static bool same_bytes(const struct der_cursor *a, const uint8_t *b, size_t b_len)
{
    return a->left == b_len && (b_len == 0 || memcmp(a->p, b, b_len) == 0);
}

/* ---- A scratch lab made by the real CA program --------------------------------- */

struct lab_cert {
    char pem[LAB_PATH_MAX];
    struct der_buf der;
    struct x509_cert x509;
};

struct lab {
    char *dir;               /* scratch files (requests, responses, index.txt) */
    char path[LAB_PATH_MAX]; /* the lab directory inside it */
    char root_key[LAB_PATH_MAX];
    char delegate_key[LAB_PATH_MAX];
    struct lab_cert root, delegate, shop;
};

static void lab_cert_load(struct lab_cert *cert, const char *lab_path, const char *rel)
{
    struct errbuf err = {{0}};
    join(cert->pem, lab_path, rel);
    ck_assert_msg(pem_read_certificate(cert->pem, &cert->der, &err) == 0, "%s", err.msg);
    ck_assert_msg(x509_parse(&cert->x509, cert->der.data, cert->der.len, &err) == 0, "%s", err.msg);
}

/* `ca init --key KEY [--delegate]` then `ca issue NAME` for each extra name
 * (shop.test always). */
static void lab_create(struct lab *lab, const char *key_type, bool with_delegate)
{
    memset(lab, 0, sizeof *lab);
    lab->dir = test_tmpdir();
    join(lab->path, lab->dir, "lab");
    run_ok("%s init --lab %s --key %s%s", test_bin("ca"), lab->path, key_type,
           with_delegate ? " --delegate" : "");
    run_ok("%s issue shop.test --lab %s", test_bin("ca"), lab->path);
    join(lab->root_key, lab->path, LAB_ROOT_KEY);
    join(lab->delegate_key, lab->path, LAB_DELEGATE_KEY);
    lab_cert_load(&lab->root, lab->path, LAB_ROOT_CERT);
    lab_cert_load(&lab->shop, lab->path, LAB_CERTS_DIR "/shop.test.pem");
    if (with_delegate)
        lab_cert_load(&lab->delegate, lab->path, LAB_DELEGATE_CERT);
}

static void lab_issue(struct lab *lab, const char *name, struct lab_cert *cert)
{
    char rel[256];
    run_ok("%s issue %s --lab %s", test_bin("ca"), name, lab->path);
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, name);
    lab_cert_load(cert, lab->path, rel);
}

static void lab_destroy(struct lab *lab)
{
    der_buf_free(&lab->root.der);
    der_buf_free(&lab->delegate.der);
    der_buf_free(&lab->shop.der);
    test_rmtree(lab->dir);
    free(lab->dir);
    lab->dir = NULL;
}

static void scratch(char *out, const struct lab *lab, const char *name)
{
    join(out, lab->dir, name);
}

static void load_key(struct lab_key *key, const char *path)
{
    struct errbuf err = {{0}};
    ck_assert_msg(key_load_pem(key, path, &err) == 0, "%s", err.msg);
}

static void compute_id(const struct x509_cert *cert, const struct x509_cert *issuer,
                       enum ocsp_hash hash, struct ocsp_cert_id_value *id)
{
    struct errbuf err = {{0}};
    ck_assert_msg(ocsp_cert_id_compute(cert, issuer, hash, id, &err) == 0, "%s", err.msg);
}

static void parse_request_file(const char *path, uint8_t **der, size_t *len,
                               struct ocsp_request *req)
{
    struct errbuf err = {{0}};
    *der = read_bytes(path, len);
    ck_assert_msg(ocsp_request_parse(*der, *len, req, &err) == 0, "%s: %s", path, err.msg);
}

static void parse_response_file(const char *path, uint8_t **der, size_t *len,
                                struct ocsp_response *resp)
{
    struct errbuf err = {{0}};
    *der = read_bytes(path, len);
    ck_assert_msg(ocsp_response_parse(*der, *len, resp, &err) == 0, "%s: %s", path, err.msg);
}

/* ---- Names ------------------------------------------------------------------------ */

START_TEST(test_names)
{
    ck_assert_str_eq(ocsp_response_status_name(OCSP_RESPONSE_SUCCESSFUL), "successful");
    ck_assert_str_eq(ocsp_response_status_name(OCSP_RESPONSE_MALFORMED_REQUEST),
                     "malformedRequest");
    ck_assert_str_eq(ocsp_response_status_name(OCSP_RESPONSE_INTERNAL_ERROR), "internalError");
    ck_assert_str_eq(ocsp_response_status_name(OCSP_RESPONSE_TRY_LATER), "tryLater");
    ck_assert_str_eq(ocsp_response_status_name(OCSP_RESPONSE_SIG_REQUIRED), "sigRequired");
    ck_assert_str_eq(ocsp_response_status_name(OCSP_RESPONSE_UNAUTHORIZED), "unauthorized");
    ck_assert_str_eq(ocsp_response_status_name(4), "unknown status");
    ck_assert_str_eq(ocsp_cert_status_name(OCSP_CERT_STATUS_GOOD), "good");
    ck_assert_str_eq(ocsp_cert_status_name(OCSP_CERT_STATUS_REVOKED), "revoked");
    ck_assert_str_eq(ocsp_cert_status_name(OCSP_CERT_STATUS_UNKNOWN), "unknown");
    ck_assert_str_eq(ocsp_hash_name(OCSP_HASH_SHA1), "SHA-1");
    ck_assert_str_eq(ocsp_hash_name(OCSP_HASH_SHA256), "SHA-256");
    ck_assert_str_eq(ocsp_hash_name(OCSP_HASH_SHA384), "SHA-384");
    ck_assert_str_eq(ocsp_hash_name(OCSP_HASH_SHA512), "SHA-512");
    ck_assert_uint_eq(ocsp_hash_len(OCSP_HASH_SHA1), 20);
    ck_assert_uint_eq(ocsp_hash_len(OCSP_HASH_SHA256), 32);
    ck_assert_uint_eq(ocsp_hash_len(OCSP_HASH_SHA384), 48);
    ck_assert_uint_eq(ocsp_hash_len(OCSP_HASH_SHA512), 64);
}
END_TEST

/* RFC 5280 5.3.1, every value: the one spelling of a reason in the lab (ca
 * list, OCSP answers, CRL entries). 7 was never assigned and is no CRLReason;
 * it and out-of-range codes read as unspecified. */
START_TEST(test_crl_reason_names)
{
    static const struct {
        int reason;
        bool is_crl_reason;
        const char *name;
    } rows[] = {
        {0, true, "unspecified"},     {1, true, "keyCompromise"},
        {2, true, "cACompromise"},    {3, true, "affiliationChanged"},
        {4, true, "superseded"},      {5, true, "cessationOfOperation"},
        {6, true, "certificateHold"}, {7, false, "unspecified"},
        {8, true, "removeFromCRL"},   {9, true, "privilegeWithdrawn"},
        {10, true, "aACompromise"},   {11, false, "unspecified"},
        {-1, false, "unspecified"},   {99, false, "unspecified"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_msg(ocsp_is_crl_reason(rows[i].reason) == rows[i].is_crl_reason, "%d",
                      rows[i].reason);
        ck_assert_str_eq(ocsp_crl_reason_name(rows[i].reason), rows[i].name);
    }
}
END_TEST

/* ---- 1. Requests against openssl ------------------------------------------------ */

static const struct request_case {
    const char *label;
    bool has_nonce;
    enum ocsp_hash hash;
} request_cases[] = {
    {"SHA-1 with a nonce (openssl's default)", true, OCSP_HASH_SHA1},
    {"SHA-1, -no_nonce", false, OCSP_HASH_SHA1},
    {"SHA-256 with a nonce", true, OCSP_HASH_SHA256},
    {"SHA-256, -no_nonce", false, OCSP_HASH_SHA256},
};

/* A request written by `openssl ocsp` parses, and its CertID is the one we
 * compute, byte for byte (same NULL parameters). */
START_TEST(test_request_from_openssl)
{
    const struct request_case *c = &request_cases[_i];
    struct lab lab;
    char req_path[LAB_PATH_MAX];
    struct ocsp_request req;
    struct ocsp_cert_id_value id, other;
    struct der_buf written = {0};
    uint8_t *der;
    size_t len;

    lab_create(&lab, "ec", false);
    scratch(req_path, &lab, "req.der");
    /* openssl wants the digest before -cert. */
    run_ok("openssl ocsp -issuer %s%s -cert %s -reqout %s%s", lab.root.pem,
           c->hash == OCSP_HASH_SHA256 ? " -sha256" : "", lab.shop.pem, req_path,
           c->has_nonce ? "" : " -no_nonce");
    parse_request_file(req_path, &der, &len, &req);

    ck_assert_uint_eq(req.count, 1);
    ck_assert_msg(req.has_nonce == c->has_nonce, "%s: nonce presence", c->label);
    ck_assert(!req.is_signed);
    ck_assert(!req.has_unknown_critical_extension);
    if (c->has_nonce) {
        /* openssl: extnValue = OCTET STRING of 16 random octets (RFC 8954). */
        ck_assert_uint_eq(req.nonce_ext_value.left, 18);
        ck_assert_uint_eq(req.nonce_ext_value.p[0], DER_TAG_OCTET_STRING);
        ck_assert_uint_eq(req.nonce_ext_value.p[1], 16);
    }
    ck_assert_int_eq(req.ids[0].hash, c->hash);
    compute_id(&lab.shop.x509, &lab.root.x509, c->hash, &id);
    ck_assert_msg(ocsp_cert_id_matches(&req.ids[0], &id), "%s: CertID differs", c->label);
    compute_id(&lab.shop.x509, &lab.root.x509,
               c->hash == OCSP_HASH_SHA1 ? OCSP_HASH_SHA256 : OCSP_HASH_SHA1, &other);
    ck_assert(!ocsp_cert_id_matches(&req.ids[0], &other));
    /* Same serial, other issuer: no match. */
    compute_id(&lab.shop.x509, &lab.shop.x509, c->hash, &other);
    ck_assert(!ocsp_cert_id_matches(&req.ids[0], &other));

    ck_assert_int_eq(ocsp_cert_id_write(&id, &written), DER_OK);
    ck_assert_msg(same_bytes(&req.ids[0].raw, written.data, written.len),
                  "%s: our CertID encoding differs from openssl's", c->label);

    der_buf_free(&written);
    free(der);
    lab_destroy(&lab);
}
END_TEST

/* A request we build is read by openssl as the same certificate and nonce. */
START_TEST(test_request_to_openssl)
{
    const struct request_case *c = &request_cases[_i];
    static const uint8_t nonce[32] = {0x01, 0x02, 0x03, 0xfe, 0xff, 0x42};
    struct lab lab;
    char req_path[LAB_PATH_MAX], serial[64], want[256];
    struct ocsp_cert_id_value id;
    struct ocsp_request req;
    struct der_buf out = {0};
    struct errbuf err = {{0}};

    lab_create(&lab, "ec", false);
    compute_id(&lab.shop.x509, &lab.root.x509, c->hash, &id);
    ck_assert_msg(ocsp_request_build(&id, c->has_nonce ? nonce : NULL, sizeof nonce, &out, &err) ==
                      0,
                  "%s", err.msg);
    scratch(req_path, &lab, "req.der");
    write_bytes(req_path, out.data, out.len);

    struct test_run run = run_cmd("openssl ocsp -reqin %s -req_text", req_path);
    ck_assert_msg(run.exit_code == 0, "%.1500s%.1500s", run.out, run.err);
    serial_hex(&lab.shop.x509, serial, sizeof serial);
    snprintf(want, sizeof want, "Serial Number: %s", serial);
    ck_assert_msg(test_contains(run.out, want), "%s: no %s in\n%s", c->label, want, run.out);
    ck_assert_msg(test_contains(run.out, c->hash == OCSP_HASH_SHA1 ? "Hash Algorithm: sha1"
                                                                   : "Hash Algorithm: sha256"),
                  "%.1500s", run.out);
    if (c->has_nonce) {
        char nonce_hex[2 * (sizeof nonce + 2) + 1] = "0420";
        hex_upper(nonce, sizeof nonce, nonce_hex + 4, sizeof nonce_hex - 4);
        ck_assert_msg(test_contains(run.out, "OCSP Nonce") && test_contains(run.out, nonce_hex),
                      "%s: nonce %s missing in\n%.1500s", c->label, nonce_hex, run.out);
    } else {
        ck_assert_msg(!test_contains(run.out, "Nonce"), "%.1500s", run.out);
    }
    /* version omitted (DEFAULT v1), which openssl shows as "Version: 1 (0x0)". */
    ck_assert_msg(test_contains(run.out, "Version: 1 (0x0)"), "%.1500s", run.out);
    test_run_free(&run);

    /* And our parser reads it back. */
    ck_assert_msg(ocsp_request_parse(out.data, out.len, &req, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(req.count, 1);
    ck_assert(ocsp_cert_id_matches(&req.ids[0], &id));
    ck_assert(req.has_nonce == c->has_nonce);
    if (c->has_nonce) {
        ck_assert_uint_eq(req.nonce_ext_value.left, sizeof nonce + 2);
        ck_assert_mem_eq(req.nonce_ext_value.p + 2, nonce, sizeof nonce);
    }
    der_buf_free(&out);
    lab_destroy(&lab);
}
END_TEST

START_TEST(test_request_build_refuses)
{
    struct ocsp_cert_id_value id = {
        .hash = OCSP_HASH_SHA1, .hash_len = 20, .serial_len = 1, .serial = {0x05}};
    uint8_t nonce[OCSP_MAX_NONCE_LEN] = {0};
    struct der_buf out = {0};
    struct errbuf err = {{0}};

    /* The largest nonce whose extnValue (04 7e + 126 octets) fits the limit. */
    ck_assert_msg(ocsp_request_build(&id, nonce, OCSP_MAX_NONCE_LEN - 2, &out, &err) == 0, "%s",
                  err.msg);
    der_buf_free(&out);
    ck_assert_int_eq(ocsp_request_build(&id, nonce, OCSP_MAX_NONCE_LEN - 1, &out, &err), -1);
    ck_assert_int_eq(ocsp_request_build(&id, nonce, 0, &out, &err), -1);
    id.hash_len = 19;
    ck_assert_int_eq(ocsp_request_build(&id, NULL, 0, &out, &err), -1);
    id.hash_len = 20;
    id.serial_len = 0;
    ck_assert_int_eq(ocsp_request_build(&id, NULL, 0, &out, &err), -1);
    /* Failures leave the caller's buffer untouched. */
    ck_assert_uint_eq(out.len, 0);
    der_buf_free(&out);
}
END_TEST

/* ---- 2 and 3. Our responses, checked by openssl and read back -------------------- */

static const struct response_case {
    const char *label;
    const char *key_type; /* the root's key: "ec" or "rsa" */
    bool by_delegate;     /* signed by ca/ocsp.key, certificate included */
    bool by_name;
    enum ocsp_hash hash;
    enum ocsp_cert_status status;
    int reason; /* -1: none */
    bool has_next_update;
    bool has_nonce; /* answer an openssl request with a nonce, echoing it */
} response_cases[] = {
    {"good, EC root, byKey, SHA-1", "ec", false, false, OCSP_HASH_SHA1, OCSP_CERT_STATUS_GOOD, -1,
     true, false},
    {"revoked (keyCompromise), EC root, byName", "ec", false, true, OCSP_HASH_SHA1,
     OCSP_CERT_STATUS_REVOKED, REASON_KEY_COMPROMISE, true, false},
    {"unknown, EC root, byKey, SHA-256", "ec", false, false, OCSP_HASH_SHA256,
     OCSP_CERT_STATUS_UNKNOWN, -1, true, false},
    {"good, EC delegate, byKey, nonce", "ec", true, false, OCSP_HASH_SHA1, OCSP_CERT_STATUS_GOOD,
     -1, true, true},
    {"revoked without reason, EC delegate, byName", "ec", true, true, OCSP_HASH_SHA1,
     OCSP_CERT_STATUS_REVOKED, -1, true, false},
    {"good, RSA root, byKey, nonce", "rsa", false, false, OCSP_HASH_SHA1, OCSP_CERT_STATUS_GOOD, -1,
     true, true},
    {"revoked (keyCompromise), RSA delegate, byName, SHA-256", "rsa", true, true, OCSP_HASH_SHA256,
     OCSP_CERT_STATUS_REVOKED, REASON_KEY_COMPROMISE, true, false},
    {"good without nextUpdate, EC root, byName", "ec", false, true, OCSP_HASH_SHA1,
     OCSP_CERT_STATUS_GOOD, -1, false, false},
};

struct built_response {
    int64_t now;
    struct ocsp_single_response single;
    struct ocsp_cert_id_value id;
    struct der_buf der;
    uint8_t key_id[KEY_ID_LEN];
};

/* Signs one SingleResponse for shop.test with `key_path` (certificate `signer`). */
static void build_response(const struct lab *lab, const char *key_path,
                           const struct lab_cert *signer, const struct response_case *c,
                           const struct der_cursor *cert_id_raw,
                           const struct der_cursor *nonce_ext_value, struct built_response *b)
{
    struct lab_key key;
    WC_RNG rng;
    struct errbuf err = {{0}};
    struct der_buf id_der = {0};

    memset(b, 0, sizeof *b);
    b->now = (int64_t)time(NULL);
    compute_id(&lab->shop.x509, &lab->root.x509, c->hash, &b->id);
    if (cert_id_raw == NULL) {
        ck_assert_int_eq(ocsp_cert_id_write(&b->id, &id_der), DER_OK);
        b->single.cert_id_raw = der_cursor_init(id_der.data, id_der.len);
    } else {
        b->single.cert_id_raw = *cert_id_raw;
    }
    b->single.status = c->status;
    b->single.revocation_time = b->now - 7200;
    b->single.revocation_reason = c->reason;
    b->single.this_update = b->now - 600;
    b->single.has_next_update = c->has_next_update;
    b->single.next_update = b->now + 86400;

    load_key(&key, key_path);
    ck_assert_msg(key_identifier(&key, b->key_id, &err) == 0, "%s", err.msg);
    struct ocsp_signer s = {
        .key = &key,
        .cert = &signer->x509,
        .include_cert = c->by_delegate,
        .responder_id_by_name = c->by_name,
    };
    ck_assert_int_eq(wc_InitRng(&rng), 0);
    ck_assert_msg(
        ocsp_response_build(&s, &rng, b->now, &b->single, 1, nonce_ext_value, &b->der, &err) == 0,
        "%s: %s", c->label, err.msg);
    wc_FreeRng(&rng);
    key_free(&key);
    /* The single now points into id_der, which dies here; callers use b->id. */
    der_buf_free(&id_der);
    b->single.cert_id_raw = der_cursor_init(NULL, 0);
}

/* What openssl prints for the response of shop.test: status, times, reason. */
static void assert_openssl_summary(const char *out, const struct response_case *c,
                                   const struct built_response *b)
{
    char line[256], when[64];
    snprintf(line, sizeof line, "shop.test.pem: %s", ocsp_cert_status_name(c->status));
    ck_assert_msg(test_contains(out, line), "%s: no '%s' in\n%.1500s", c->label, line, tail(out));
    openssl_time(b->single.this_update, when, sizeof when);
    snprintf(line, sizeof line, "This Update: %s", when);
    ck_assert_msg(test_contains(out, line), "%s: no '%s' in\n%.1500s", c->label, line, tail(out));
    openssl_time(b->single.next_update, when, sizeof when);
    snprintf(line, sizeof line, "Next Update: %s", when);
    ck_assert_msg(test_contains(out, line) == c->has_next_update, "%s: '%s' in\n%.1500s", c->label,
                  line, tail(out));
    if (c->status == OCSP_CERT_STATUS_REVOKED) {
        openssl_time(b->single.revocation_time, when, sizeof when);
        snprintf(line, sizeof line, "Revocation Time: %s", when);
        ck_assert_msg(test_contains(out, line), "%s: no '%s' in\n%.1500s", c->label, line,
                      tail(out));
    }
    ck_assert_msg(test_contains(out, "Reason: keyCompromise") ==
                      (c->reason == REASON_KEY_COMPROMISE),
                  "%s: reason\n%.1500s", c->label, tail(out));
}

START_TEST(test_response_verified_by_openssl)
{
    const struct response_case *c = &response_cases[_i];
    struct lab lab;
    char req_path[LAB_PATH_MAX], resp_path[LAB_PATH_MAX], responder[128];
    const char *sha = c->hash == OCSP_HASH_SHA256 ? " -sha256" : "";
    struct ocsp_request req;
    uint8_t *req_der = NULL;
    size_t req_len = 0;
    struct built_response b;

    lab_create(&lab, c->key_type, c->by_delegate);
    const struct lab_cert *signer = c->by_delegate ? &lab.delegate : &lab.root;
    const char *key_path = c->by_delegate ? lab.delegate_key : lab.root_key;
    scratch(req_path, &lab, "req.der");
    scratch(resp_path, &lab, "resp.der");

    if (c->has_nonce) {
        /* Answer openssl's own request: echo its CertID encoding and nonce. */
        run_ok("openssl ocsp -issuer %s%s -cert %s -reqout %s", lab.root.pem, sha, lab.shop.pem,
               req_path);
        parse_request_file(req_path, &req_der, &req_len, &req);
        ck_assert(req.has_nonce);
        build_response(&lab, key_path, signer, c, &req.ids[0].raw, &req.nonce_ext_value, &b);
    } else {
        build_response(&lab, key_path, signer, c, NULL, NULL, &b);
    }
    write_bytes(resp_path, b.der.data, b.der.len);

    /* Signature, signer (the CA, or its delegate with EKU OCSPSigning found in
     * certs: no -VAfile) and the status of shop.test. */
    struct test_run run = run_cmd("openssl ocsp -respin %s -issuer %s%s -cert %s -CAfile %s "
                                  "-no_nonce -resp_text",
                                  resp_path, lab.root.pem, sha, lab.shop.pem, lab.root.pem);
    ck_assert_msg(run.exit_code == 0 && test_contains(run.err, "Response verify OK"),
                  "%s: openssl exit %d\n%s%.1500s", c->label, run.exit_code, tail(run.out),
                  run.err);
    assert_openssl_summary(run.out, c, &b);
    if (c->by_name) {
        const char *want = c->by_delegate
                               ? "Responder Id: O = OCSP Stapling Lab, CN = Lab OCSP Signer"
                               : "Responder Id: O = OCSP Stapling Lab, CN = Lab Root CA";
        ck_assert_msg(test_contains(run.out, want), "%s: no '%s' in\n%.1500s", c->label, want,
                      run.out);
    } else {
        hex_upper(b.key_id, sizeof b.key_id, responder, sizeof responder);
        char want[160];
        snprintf(want, sizeof want, "Responder Id: %s", responder);
        ck_assert_msg(test_contains(run.out, want), "%s: no '%s' in\n%.1500s", c->label, want,
                      run.out);
    }
    test_run_free(&run);

    if (c->has_nonce) {
        /* With -reqin and no -cert, openssl compares the nonces; -issuer only
         * offers the root as a signer candidate. */
        run = run_cmd("openssl ocsp -respin %s -reqin %s -issuer %s -CAfile %s", resp_path,
                      req_path, lab.root.pem, lab.root.pem);
        ck_assert_msg(run.exit_code == 0 && test_contains(run.err, "Response verify OK") &&
                          !test_contains(run.err, "Nonce") && !test_contains(run.err, "WARNING"),
                      "%s: nonce check\n%.1500s%.1500s", c->label, run.out, run.err);
        test_run_free(&run);
    }

    /* 3. Everything we wrote reads back. */
    struct ocsp_response resp;
    struct errbuf err = {{0}};
    uint8_t *der = copy_exact(b.der.data, b.der.len);
    ck_assert_msg(ocsp_response_parse(der, b.der.len, &resp, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(resp.response_status, OCSP_RESPONSE_SUCCESSFUL);
    ck_assert(resp.has_basic);
    ck_assert_int_eq(resp.version, 1);
    ck_assert_int_eq(resp.produced_at, b.now);
    ck_assert_uint_eq(resp.single_count, 1);
    const struct ocsp_single_response *s = &resp.singles[0];
    ck_assert(ocsp_cert_id_matches(&s->cert_id, &b.id));
    ck_assert_ptr_eq(s->cert_id_raw.p, s->cert_id.raw.p);
    ck_assert_int_eq(s->status, c->status);
    ck_assert_int_eq(s->this_update, b.single.this_update);
    ck_assert(s->has_next_update == c->has_next_update);
    if (c->has_next_update)
        ck_assert_int_eq(s->next_update, b.single.next_update);
    if (c->status == OCSP_CERT_STATUS_REVOKED) {
        ck_assert_int_eq(s->revocation_time, b.single.revocation_time);
        ck_assert_int_eq(s->revocation_reason, c->reason);
    } else {
        ck_assert_int_eq(s->revocation_reason, -1);
    }
    ck_assert(!s->has_critical_extension);
    ck_assert(!resp.has_critical_extension);
    ck_assert(resp.has_nonce == c->has_nonce);
    if (c->has_nonce) {
        ck_assert(
            same_bytes(&resp.nonce_ext_value, req.nonce_ext_value.p, req.nonce_ext_value.left));
        ck_assert(same_bytes(&s->cert_id_raw, req.ids[0].raw.p, req.ids[0].raw.left));
    }
    ck_assert(resp.responder_by_key == !c->by_name);
    if (c->by_name)
        ck_assert(
            same_bytes(&resp.responder_id, signer->x509.subject.p, signer->x509.subject.left));
    else
        ck_assert(same_bytes(&resp.responder_id, b.key_id, sizeof b.key_id));
    ck_assert(der_oid_equals(&resp.signature_algorithm,
                             strcmp(c->key_type, "rsa") == 0 ? OID_RSA_SHA256 : OID_ECDSA_SHA256));
    ck_assert_uint_gt(resp.signature.left, 0);
    ck_assert_uint_eq(resp.cert_count, c->by_delegate ? 1 : 0);
    if (c->by_delegate)
        ck_assert(same_bytes(&resp.certs[0], signer->der.data, signer->der.len));
    /* The signed span is the ResponseData, right at the start of the basic body. */
    ck_assert_uint_eq(resp.tbs_response_data.p[0], DER_TAG_SEQUENCE);

    free(der);
    free(req_der);
    der_buf_free(&b.der);
    lab_destroy(&lab);
}
END_TEST

/* Sanity of the test above: openssl does refuse a response signed by a key
 * the CA never certified, plain or with another CA's real delegate embedded
 * (the forgery wolfSSL 5.5.4's OCSP_basic_verify accepts), and a nonce that is
 * not the request's. */
START_TEST(test_response_rejected_by_openssl)
{
    struct lab lab, other;
    char req_path[LAB_PATH_MAX], resp_path[LAB_PATH_MAX];
    struct built_response b;
    struct test_run run;

    lab_create(&lab, "ec", true);
    lab_create(&other, "ec", true);
    scratch(resp_path, &lab, "resp.der");
    scratch(req_path, &lab, "req.der");

    const struct response_case plain = {"unrelated root key",  "ec", false, false, OCSP_HASH_SHA1,
                                        OCSP_CERT_STATUS_GOOD, -1,   true,  false};
    build_response(&lab, other.root_key, &other.root, &plain, NULL, NULL, &b);
    write_bytes(resp_path, b.der.data, b.der.len);
    run = run_cmd("openssl ocsp -respin %s -issuer %s -cert %s -CAfile %s -no_nonce", resp_path,
                  lab.root.pem, lab.shop.pem, lab.root.pem);
    ck_assert_msg(run.exit_code != 0 && test_contains(run.err, "Response Verify Failure"),
                  "openssl accepted a foreign signature\n%.1500s%.1500s", run.out, run.err);
    test_run_free(&run);
    der_buf_free(&b.der);

    const struct response_case forged = {"another CA's delegate", "ec", true, false, OCSP_HASH_SHA1,
                                         OCSP_CERT_STATUS_GOOD,   -1,   true, false};
    build_response(&lab, other.delegate_key, &other.delegate, &forged, NULL, NULL, &b);
    write_bytes(resp_path, b.der.data, b.der.len);
    run = run_cmd("openssl ocsp -respin %s -issuer %s -cert %s -CAfile %s -no_nonce", resp_path,
                  lab.root.pem, lab.shop.pem, lab.root.pem);
    ck_assert_msg(run.exit_code != 0 && test_contains(run.err, "Response Verify Failure"),
                  "openssl accepted a foreign delegate\n%.1500s%.1500s", run.out, run.err);
    test_run_free(&run);
    der_buf_free(&b.der);

    /* A well-signed response echoing a nonce of a different request. */
    struct ocsp_request req;
    uint8_t *req_der;
    size_t req_len;
    static const uint8_t wrong[] = {0x04, 0x10, 1,  2,  3,  4,  5,  6,  7,
                                    8,    9,    10, 11, 12, 13, 14, 15, 16};
    struct der_cursor wrong_nonce = der_cursor_init(wrong, sizeof wrong);
    run_ok("openssl ocsp -issuer %s -cert %s -reqout %s", lab.root.pem, lab.shop.pem, req_path);
    parse_request_file(req_path, &req_der, &req_len, &req);
    build_response(&lab, lab.root_key, &lab.root, &plain, &req.ids[0].raw, &wrong_nonce, &b);
    write_bytes(resp_path, b.der.data, b.der.len);
    run = run_cmd("openssl ocsp -respin %s -reqin %s -issuer %s -CAfile %s", resp_path, req_path,
                  lab.root.pem, lab.root.pem);
    ck_assert_msg(run.exit_code != 0 && test_contains(run.err, "Nonce Verify error"),
                  "openssl accepted a wrong nonce\n%.1500s%.1500s", run.out, run.err);
    test_run_free(&run);
    der_buf_free(&b.der);
    free(req_der);

    lab_destroy(&other);
    lab_destroy(&lab);
}
END_TEST

START_TEST(test_response_build_refuses)
{
    struct lab lab;
    struct lab_key key;
    WC_RNG rng;
    struct errbuf err = {{0}};
    struct der_buf out = {0}, id_der = {0};
    struct ocsp_cert_id_value id;
    struct ocsp_single_response singles[OCSP_MAX_RESPONSE_SINGLES + 1];
    static const uint8_t big[OCSP_MAX_NONCE_LEN + 1] = {0};
    static const uint8_t not_a_cert_id[] = {0x30, 0x03, 0x02, 0x01, 0x05};

    lab_create(&lab, "ec", false);
    load_key(&key, lab.root_key);
    ck_assert_int_eq(wc_InitRng(&rng), 0);
    compute_id(&lab.shop.x509, &lab.root.x509, OCSP_HASH_SHA1, &id);
    ck_assert_int_eq(ocsp_cert_id_write(&id, &id_der), DER_OK);
    memset(singles, 0, sizeof singles);
    for (size_t i = 0; i < OCSP_MAX_RESPONSE_SINGLES + 1; i++) {
        singles[i].cert_id_raw = der_cursor_init(id_der.data, id_der.len);
        singles[i].revocation_reason = -1;
    }
    struct ocsp_signer signer = {.key = &key, .cert = &lab.root.x509};

    ck_assert_msg(ocsp_response_build(&signer, &rng, 0, singles, OCSP_MAX_RESPONSE_SINGLES, NULL,
                                      &out, &err) == 0,
                  "%s", err.msg);
    size_t good_len = out.len;
    ck_assert_int_eq(ocsp_response_build(&signer, &rng, 0, singles, OCSP_MAX_RESPONSE_SINGLES + 1,
                                         NULL, &out, &err),
                     -1);
    ck_assert_int_eq(ocsp_response_build(&signer, &rng, 0, singles, 0, NULL, &out, &err), -1);
    struct der_cursor nonce = der_cursor_init(big, sizeof big);
    ck_assert_int_eq(ocsp_response_build(&signer, &rng, 0, singles, 1, &nonce, &out, &err), -1);
    singles[0].status = OCSP_CERT_STATUS_REVOKED;
    singles[0].revocation_reason = 7; /* never assigned in RFC 5280 5.3.1 */
    ck_assert_int_eq(ocsp_response_build(&signer, &rng, 0, singles, 1, NULL, &out, &err), -1);
    singles[0].revocation_reason = -1;
    singles[0].status = (enum ocsp_cert_status)3;
    ck_assert_int_eq(ocsp_response_build(&signer, &rng, 0, singles, 1, NULL, &out, &err), -1);
    singles[0].status = OCSP_CERT_STATUS_GOOD;
    singles[0].cert_id_raw = der_cursor_init(not_a_cert_id, sizeof not_a_cert_id);
    ck_assert_int_eq(ocsp_response_build(&signer, &rng, 0, singles, 1, NULL, &out, &err), -1);
    singles[0].cert_id_raw = der_cursor_init(id_der.data, id_der.len);
    signer.cert = NULL;
    signer.responder_id_by_name = true;
    ck_assert_int_eq(ocsp_response_build(&signer, &rng, 0, singles, 1, NULL, &out, &err), -1);
    /* The failures appended nothing to what the first call wrote. */
    ck_assert_uint_eq(out.len, good_len);

    der_buf_free(&out);
    der_buf_free(&id_der);
    wc_FreeRng(&rng);
    key_free(&key);
    lab_destroy(&lab);
}
END_TEST

/* ---- 3. Responses made by openssl's own responder ------------------------------ */

static const struct openssl_responder_case {
    const char *label;
    const char *key_type;
    bool by_delegate;
    bool by_key;   /* -resp_key_id */
    bool no_certs; /* -resp_no_certs */
    enum ocsp_hash hash;
} openssl_responder_cases[] = {
    {"EC root, byName, SHA-1", "ec", false, false, false, OCSP_HASH_SHA1},
    {"EC delegate, byKey, SHA-256", "ec", true, true, false, OCSP_HASH_SHA256},
    {"RSA root, byKey, no certs", "rsa", false, true, true, OCSP_HASH_SHA1},
};

START_TEST(test_response_from_openssl_responder)
{
    const struct openssl_responder_case *c = &openssl_responder_cases[_i];
    struct lab lab;
    struct lab_cert old_cert = {0}, new_cert = {0};
    char index[LAB_PATH_MAX], req_path[LAB_PATH_MAX], resp_path[LAB_PATH_MAX];
    char text[1024], shop_serial[64], old_serial[64], revoked_at[32];
    const char *sha = c->hash == OCSP_HASH_SHA256 ? " -sha256" : "";
    struct ocsp_request req;
    struct ocsp_response resp;
    uint8_t *req_der, *resp_der;
    size_t req_len, resp_len;

    lab_create(&lab, c->key_type, c->by_delegate);
    lab_issue(&lab, "old.test", &old_cert);
    lab_issue(&lab, "new.test", &new_cert);
    const struct lab_cert *signer = c->by_delegate ? &lab.delegate : &lab.root;
    scratch(index, &lab, "index.txt");
    scratch(req_path, &lab, "req.der");
    scratch(resp_path, &lab, "resp.der");

    /* shop.test valid, old.test revoked two hours ago (keyCompromise), and
     * new.test absent from the index, so unknown. */
    int64_t revoked = (int64_t)time(NULL) - 7200;
    time_t revoked_tt = (time_t)revoked;
    struct tm tm;
    gmtime_r(&revoked_tt, &tm);
    /* index.txt keeps two-digit years (YYMMDDHHMMSSZ, like UTCTime). */
    char revoked_full[32];
    ck_assert_uint_ne(strftime(revoked_full, sizeof revoked_full, "%Y%m%d%H%M%SZ", &tm), 0);
    snprintf(revoked_at, sizeof revoked_at, "%s", revoked_full + 2);
    serial_hex(&lab.shop.x509, shop_serial, sizeof shop_serial);
    serial_hex(&old_cert.x509, old_serial, sizeof old_serial);
    snprintf(text, sizeof text,
             "V\t491231000000Z\t\t%s\tunknown\t/CN=shop.test\n"
             "R\t491231000000Z\t%s,keyCompromise\t%s\tunknown\t/CN=old.test\n",
             shop_serial, revoked_at, old_serial);
    write_text(index, text);

    run_ok("openssl ocsp -issuer %s%s -cert %s -cert %s -cert %s -reqout %s", lab.root.pem, sha,
           lab.shop.pem, old_cert.pem, new_cert.pem, req_path);
    parse_request_file(req_path, &req_der, &req_len, &req);
    ck_assert_uint_eq(req.count, 3);
    run_ok("openssl ocsp -index %s -CA %s -rsigner %s -rkey %s -reqin %s -respout %s -ndays 1%s%s",
           index, lab.root.pem, signer->pem, c->by_delegate ? lab.delegate_key : lab.root_key,
           req_path, resp_path, c->by_key ? " -resp_key_id" : "",
           c->no_certs ? " -resp_no_certs" : "");
    parse_response_file(resp_path, &resp_der, &resp_len, &resp);

    ck_assert_int_eq(resp.response_status, OCSP_RESPONSE_SUCCESSFUL);
    ck_assert(resp.has_basic);
    ck_assert_uint_eq(resp.single_count, 3);
    const struct lab_cert *certs[3] = {&lab.shop, &old_cert, &new_cert};
    const enum ocsp_cert_status want[3] = {OCSP_CERT_STATUS_GOOD, OCSP_CERT_STATUS_REVOKED,
                                           OCSP_CERT_STATUS_UNKNOWN};
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < 3; i++) {
        const struct ocsp_single_response *s = &resp.singles[i];
        struct ocsp_cert_id_value id;
        compute_id(&certs[i]->x509, &lab.root.x509, c->hash, &id);
        ck_assert_msg(ocsp_cert_id_matches(&s->cert_id, &id), "%s: single %zu", c->label, i);
        ck_assert_int_eq(s->status, want[i]);
        ck_assert(s->has_next_update);
        ck_assert_int_le(s->this_update, now);
        ck_assert_int_ge(s->this_update, now - 60);
        ck_assert_int_eq(s->next_update - s->this_update, 86400);
        ck_assert(!s->has_critical_extension);
    }
    ck_assert_int_eq(resp.singles[1].revocation_time, revoked);
    ck_assert_int_eq(resp.singles[1].revocation_reason, REASON_KEY_COMPROMISE);
    ck_assert_int_eq(resp.singles[0].revocation_reason, -1);

    ck_assert(resp.has_nonce);
    ck_assert(same_bytes(&resp.nonce_ext_value, req.nonce_ext_value.p, req.nonce_ext_value.left));
    ck_assert(!resp.has_critical_extension);
    ck_assert(resp.responder_by_key == c->by_key);
    if (c->by_key) {
        uint8_t key_id[20];
        ck_assert_int_eq(
            wc_ShaHash(signer->x509.public_key.p, (word32)signer->x509.public_key.left, key_id), 0);
        ck_assert(same_bytes(&resp.responder_id, key_id, sizeof key_id));
    } else {
        ck_assert(
            same_bytes(&resp.responder_id, signer->x509.subject.p, signer->x509.subject.left));
    }
    ck_assert_uint_eq(resp.cert_count, c->no_certs ? 0 : 1);
    if (!c->no_certs)
        ck_assert(same_bytes(&resp.certs[0], signer->der.data, signer->der.len));
    ck_assert(der_oid_equals(&resp.signature_algorithm,
                             strcmp(c->key_type, "rsa") == 0 ? OID_RSA_SHA256 : OID_ECDSA_SHA256));

    free(req_der);
    free(resp_der);
    der_buf_free(&old_cert.der);
    der_buf_free(&new_cert.der);
    lab_destroy(&lab);
}
END_TEST

/* ---- 4. Rejections: truncation and trailing bytes of real messages --------------- */

typedef int (*parse_fn)(const uint8_t *der, size_t len, void *out, struct errbuf *err);

static int parse_request_any(const uint8_t *der, size_t len, void *out, struct errbuf *err)
{
    return ocsp_request_parse(der, len, out, err);
}

static int parse_response_any(const uint8_t *der, size_t len, void *out, struct errbuf *err)
{
    return ocsp_response_parse(der, len, out, err);
}

/* Every proper prefix fails, the whole parses, and one more byte fails. */
static void assert_every_prefix_fails(const uint8_t *der, size_t len, parse_fn parse, void *out,
                                      const char *name)
{
    struct errbuf err = {{0}};
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *prefix = copy_exact(der, cut);
        ck_assert_msg(parse(prefix, cut, out, &err) == -1, "%s: prefix of %zu/%zu parsed", name,
                      cut, len);
        ck_assert_msg(strstr(err.msg, "malformed OCSP") != NULL, "%s: message '%s'", name, err.msg);
        free(prefix);
    }
    uint8_t *whole = copy_exact(der, len);
    ck_assert_msg(parse(whole, len, out, &err) == 0, "%s: %s", name, err.msg);
    free(whole);
    uint8_t *longer = malloc(len + 1);
    ck_assert_ptr_nonnull(longer);
    memcpy(longer, der, len);
    longer[len] = 0x00;
    ck_assert_msg(parse(longer, len + 1, out, &err) == -1, "%s: trailing byte accepted", name);
    ck_assert_msg(strstr(err.msg, "bytes after") != NULL, "%s: message '%s'", name, err.msg);
    free(longer);
}

START_TEST(test_truncated_real_messages)
{
    struct lab lab;
    char index[LAB_PATH_MAX], req_path[LAB_PATH_MAX], resp_path[LAB_PATH_MAX], text[512];
    char serial[64];
    struct ocsp_request req;
    struct ocsp_response resp;
    uint8_t *req_der, *resp_der;
    size_t req_len, resp_len;

    lab_create(&lab, "ec", true);
    scratch(index, &lab, "index.txt");
    scratch(req_path, &lab, "req.der");
    scratch(resp_path, &lab, "resp.der");
    serial_hex(&lab.shop.x509, serial, sizeof serial);
    snprintf(text, sizeof text, "V\t491231000000Z\t\t%s\tunknown\t/CN=shop.test\n", serial);
    write_text(index, text);
    run_ok("openssl ocsp -issuer %s -cert %s -reqout %s", lab.root.pem, lab.shop.pem, req_path);
    run_ok("openssl ocsp -index %s -CA %s -rsigner %s -rkey %s -reqin %s -respout %s -ndays 1",
           index, lab.root.pem, lab.delegate.pem, lab.delegate_key, req_path, resp_path);
    parse_request_file(req_path, &req_der, &req_len, &req);
    parse_response_file(resp_path, &resp_der, &resp_len, &resp);
    ck_assert_uint_eq(resp.cert_count, 1);

    struct ocsp_request req_scratch;
    struct ocsp_response resp_scratch;
    assert_every_prefix_fails(req_der, req_len, parse_request_any, &req_scratch, "openssl request");
    assert_every_prefix_fails(resp_der, resp_len, parse_response_any, &resp_scratch,
                              "openssl response");

    /* And one of ours, with a nonce. */
    struct built_response b;
    const struct response_case c = {
        "ours", "ec", true, false, OCSP_HASH_SHA1, OCSP_CERT_STATUS_REVOKED, 1, true, true};
    build_response(&lab, lab.delegate_key, &lab.delegate, &c, &req.ids[0].raw, &req.nonce_ext_value,
                   &b);
    assert_every_prefix_fails(b.der.data, b.der.len, parse_response_any, &resp_scratch,
                              "our response");

    der_buf_free(&b.der);
    free(req_der);
    free(resp_der);
    lab_destroy(&lab);
}
END_TEST

/* ---- 4. Rejections: requests, one row per rule ----------------------------------- */

/* Zero is the ordinary request: one SHA-1 CertID with NULL parameters. */
struct request_spec {
    bool has_version;
    int version;
    bool has_requestor_name;
    size_t id_count; /* 0: one */
    bool empty_list;
    const char *hash_oid; /* NULL: SHA-1 */
    bool params_absent;
    bool params_integer;
    int name_hash_delta; /* octets added to the 20 of SHA-1 */
    bool serial_non_minimal;
    size_t nonce_len; /* extnValue octets; 0: no nonce */
    bool two_nonces;
    bool nonce_critical;
    bool unknown_ext;
    bool unknown_critical;
    bool explicit_false;
    bool empty_extensions;
    bool single_ext_critical;
    bool is_signed;
    bool trailing_in_tbs;
    bool trailing_in_request;
    uint8_t outer_tag;             /* 0: SEQUENCE */
    uint8_t status_tag_in_request; /* 0: none; else a stray element after the CertID */
};

static void write_ext(struct der_buf *b, const char *oid, bool has_critical, bool critical,
                      size_t value_len)
{
    uint8_t value[512];
    ck_assert_uint_le(value_len, sizeof value);
    for (size_t i = 0; i < value_len; i++)
        value[i] = (uint8_t)(0xa5 ^ i);
    der_begin(b, DER_TAG_SEQUENCE);
    der_write_oid(b, oid);
    if (has_critical)
        der_write_boolean(b, critical);
    der_write_octet_string(b, value, value_len);
    der_end(b);
}

static void write_spec_cert_id(struct der_buf *b, const struct request_spec *s, uint8_t index)
{
    uint8_t hash[64];
    memset(hash, 0x11, sizeof hash);
    der_begin(b, DER_TAG_SEQUENCE);
    der_begin(b, DER_TAG_SEQUENCE);
    der_write_oid(b, s->hash_oid != NULL ? s->hash_oid : OID_SHA1);
    if (s->params_integer)
        der_write_small_int(b, 0);
    else if (!s->params_absent)
        der_write_null(b);
    der_end(b);
    der_write_octet_string(b, hash, (size_t)(20 + s->name_hash_delta));
    der_write_octet_string(b, hash, 20);
    if (s->serial_non_minimal) {
        static const uint8_t padded[] = {0x00, 0x05};
        der_write_tlv(b, DER_TAG_INTEGER, padded, sizeof padded);
    } else {
        uint8_t serial[2] = {0x10, index};
        der_write_tlv(b, DER_TAG_INTEGER, serial, sizeof serial);
    }
    der_end(b);
}

static void build_spec_request(const struct request_spec *s, struct der_buf *b)
{
    der_begin(b, s->outer_tag != 0 ? s->outer_tag : DER_TAG_SEQUENCE);
    der_begin(b, DER_TAG_SEQUENCE);
    if (s->has_version) {
        der_begin(b, DER_TAG_CONTEXT(0));
        der_write_small_int(b, s->version);
        der_end(b);
    }
    if (s->has_requestor_name) {
        static const char name[] = "client.test"; /* dNSName [2] IA5String */
        der_begin(b, DER_TAG_CONTEXT(1));
        der_write_tlv(b, DER_TAG_CONTEXT_PRIMITIVE(2), (const uint8_t *)name, strlen(name));
        der_end(b);
    }
    der_begin(b, DER_TAG_SEQUENCE);
    size_t count = s->empty_list ? 0 : s->id_count != 0 ? s->id_count : 1;
    for (size_t i = 0; i < count; i++) {
        der_begin(b, DER_TAG_SEQUENCE);
        write_spec_cert_id(b, s, (uint8_t)i);
        if (s->status_tag_in_request != 0)
            der_write_tlv(b, s->status_tag_in_request, NULL, 0);
        if (s->single_ext_critical) {
            der_begin(b, DER_TAG_CONTEXT(0));
            der_begin(b, DER_TAG_SEQUENCE);
            write_ext(b, "1.2.3.4", true, true, 2);
            der_end(b);
            der_end(b);
        }
        der_end(b);
    }
    der_end(b);
    if (s->nonce_len != 0 || s->unknown_ext || s->empty_extensions) {
        der_begin(b, DER_TAG_CONTEXT(2));
        der_begin(b, DER_TAG_SEQUENCE);
        if (s->unknown_ext)
            write_ext(b, "1.3.6.1.5.5.7.48.1.4", s->unknown_critical || s->explicit_false,
                      s->unknown_critical, 3); /* acceptable responses, here any bytes */
        if (s->nonce_len != 0)
            write_ext(b, OCSP_OID_NONCE, s->nonce_critical, true, s->nonce_len);
        if (s->two_nonces)
            write_ext(b, OCSP_OID_NONCE, false, false, s->nonce_len);
        der_end(b);
        der_end(b);
    }
    if (s->trailing_in_tbs)
        der_write_null(b);
    der_end(b);
    if (s->is_signed) {
        static const uint8_t sig[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
        der_begin(b, DER_TAG_CONTEXT(0));
        der_begin(b, DER_TAG_SEQUENCE);
        der_begin(b, DER_TAG_SEQUENCE);
        der_write_oid(b, OID_ECDSA_SHA256);
        der_end(b);
        der_write_bit_string(b, sig, sizeof sig, 0);
        der_begin(b, DER_TAG_CONTEXT(0));
        der_begin(b, DER_TAG_SEQUENCE);
        der_begin(b, DER_TAG_SEQUENCE); /* a "certificate": only its structure is read */
        der_write_null(b);
        der_end(b);
        der_end(b);
        der_end(b);
        der_end(b);
        der_end(b);
    }
    if (s->trailing_in_request)
        der_write_null(b);
    der_end(b);
    ck_assert_int_eq(der_buf_error(b), DER_OK);
}

static const struct request_row {
    const char *label;
    struct request_spec spec;
    bool want_ok;
    const char *want_error; /* a phrase of the message when rejected */
    size_t want_count;
    bool want_nonce;
    bool want_critical;
    bool want_signed;
} request_rows[] = {
    /* Accepted. */
    {.label = "plain", .want_ok = true, .want_count = 1},
    {.label = "hashAlgorithm parameters absent",
     .spec = {.params_absent = true},
     .want_ok = true,
     .want_count = 1},
    {.label = "explicit version v1 (lenient)",
     .spec = {.has_version = true, .version = 0},
     .want_ok = true,
     .want_count = 1},
    {.label = "requestorName",
     .spec = {.has_requestor_name = true},
     .want_ok = true,
     .want_count = 1},
    {.label = "16 CertIDs", .spec = {.id_count = 16}, .want_ok = true, .want_count = 16},
    {.label = "nonce at the limit",
     .spec = {.nonce_len = OCSP_MAX_NONCE_LEN},
     .want_ok = true,
     .want_count = 1,
     .want_nonce = true},
    {.label = "critical nonce",
     .spec = {.nonce_len = 18, .nonce_critical = true},
     .want_ok = true,
     .want_count = 1,
     .want_nonce = true},
    {.label = "unknown non-critical extension",
     .spec = {.unknown_ext = true, .nonce_len = 18},
     .want_ok = true,
     .want_count = 1,
     .want_nonce = true},
    {.label = "unknown critical extension: flagged",
     .spec = {.unknown_ext = true, .unknown_critical = true},
     .want_ok = true,
     .want_count = 1,
     .want_critical = true},
    {.label = "critical singleRequestExtension: flagged",
     .spec = {.single_ext_critical = true},
     .want_ok = true,
     .want_count = 1,
     .want_critical = true},
    {.label = "signed request",
     .spec = {.is_signed = true},
     .want_ok = true,
     .want_count = 1,
     .want_signed = true},
    /* Rejected, each with the words of its message. */
    {.label = "SHA-256 CertID with a 20-octet key hash",
     .spec = {.hash_oid = "2.16.840.1.101.3.4.2.1", .name_hash_delta = 12},
     .want_error = "octets"},
    {.label = "version v2", .spec = {.has_version = true, .version = 1}, .want_error = "version"},
    {.label = "empty requestList", .spec = {.empty_list = true}, .want_error = "no certificate"},
    {.label = "17 CertIDs", .spec = {.id_count = 17}, .want_error = "more than 16"},
    {.label = "nonce over the limit",
     .spec = {.nonce_len = OCSP_MAX_NONCE_LEN + 1},
     .want_error = "nonce"},
    {.label = "two nonces",
     .spec = {.nonce_len = 18, .two_nonces = true},
     .want_error = "two nonce"},
    {.label = "empty Extensions",
     .spec = {.empty_extensions = true},
     .want_error = "empty Extensions"},
    {.label = "critical FALSE written out",
     .spec = {.unknown_ext = true, .explicit_false = true},
     .want_error = "critical"},
    {.label = "issuerNameHash one octet short",
     .spec = {.name_hash_delta = -1},
     .want_error = "octets"},
    {.label = "issuerNameHash one octet long",
     .spec = {.name_hash_delta = 1},
     .want_error = "octets"},
    {.label = "MD5 CertID", .spec = {.hash_oid = OID_MD5}, .want_error = "not SHA-1 or SHA-2"},
    {.label = "parameters not NULL", .spec = {.params_integer = true}, .want_error = "parameters"},
    {.label = "serial not minimal",
     .spec = {.serial_non_minimal = true},
     .want_error = "serialNumber"},
    {.label = "stray element in Request",
     .spec = {.status_tag_in_request = DER_TAG_CONTEXT_PRIMITIVE(1)},
     .want_error = "end of Request"},
    {.label = "trailing element in tbsRequest",
     .spec = {.trailing_in_tbs = true},
     .want_error = "end of tbsRequest"},
    {.label = "trailing element in OCSPRequest",
     .spec = {.trailing_in_request = true},
     .want_error = "end of OCSPRequest"},
    {.label = "SET instead of SEQUENCE",
     .spec = {.outer_tag = DER_TAG_SET},
     .want_error = "OCSPRequest"},
};

START_TEST(test_request_rows)
{
    const struct request_row *row = &request_rows[_i];
    struct der_buf b = {0};
    struct ocsp_request req;
    struct errbuf err = {{0}};

    build_spec_request(&row->spec, &b);
    uint8_t *der = copy_exact(b.data, b.len);
    int rc = ocsp_request_parse(der, b.len, &req, &err);
    if (row->want_ok) {
        ck_assert_msg(rc == 0, "%s: %s", row->label, err.msg);
        ck_assert_uint_eq(req.count, row->want_count);
        ck_assert_msg(req.has_nonce == row->want_nonce, "%s: nonce", row->label);
        ck_assert_msg(req.has_unknown_critical_extension == row->want_critical, "%s: critical flag",
                      row->label);
        ck_assert_msg(req.is_signed == row->want_signed, "%s: is_signed", row->label);
        if (row->want_nonce)
            ck_assert_uint_eq(req.nonce_ext_value.left, row->spec.nonce_len);
        for (size_t i = 0; i < req.count; i++) {
            struct ocsp_cert_id again;
            ck_assert_int_eq(
                ocsp_cert_id_parse(req.ids[i].raw.p, req.ids[i].raw.left, &again, &err), 0);
            ck_assert_uint_eq(req.ids[i].serial.left, 2);
            ck_assert_uint_eq(req.ids[i].serial.p[1], i);
        }
    } else {
        ck_assert_msg(rc == -1, "%s: accepted", row->label);
        ck_assert_msg(strstr(err.msg, "malformed OCSP request") != NULL &&
                          strstr(err.msg, row->want_error) != NULL,
                      "%s: message '%s' lacks '%s'", row->label, err.msg, row->want_error);
    }
    free(der);
    der_buf_free(&b);
}
END_TEST

/* ---- 4. Rejections: responses, one row per rule ---------------------------------- */

/* Zero is an ordinary successful response: one good single, byKey, no certs. */
struct response_spec {
    int status;
    bool no_body;
    bool body_is_empty_sequence;
    const char *type_oid; /* NULL: id-pkix-ocsp-basic */
    bool has_version;
    bool by_name;
    bool key_hash_wrong_tag;
    bool produced_at_utc;
    size_t single_count; /* 0: one */
    size_t cert_count;
    uint8_t status_tag; /* 0: good 80 00 */
    bool good_with_contents;
    int reason; /* revoked only; 0: absent, else reason - 1 written */
    bool next_update_utc;
    bool response_ext_unknown;
    bool response_ext_critical;
    bool nonce_critical;
    bool has_nonce;
    bool single_ext;
    bool single_ext_critical;
    unsigned sig_unused_bits;
    bool trailing_in_basic;
    bool trailing_in_octets;
    bool trailing_in_data;
};

static void write_spec_single(struct der_buf *b, const struct response_spec *s, uint8_t index)
{
    static const struct request_spec plain_id = {0};
    der_begin(b, DER_TAG_SEQUENCE);
    write_spec_cert_id(b, &plain_id, index);
    uint8_t tag = s->status_tag != 0 ? s->status_tag : DER_TAG_CONTEXT_PRIMITIVE(0);
    if (tag == DER_TAG_CONTEXT(1)) {
        der_begin(b, tag);
        der_write_generalized_time(b, 1700000000);
        if (s->reason != 0) {
            der_begin(b, DER_TAG_CONTEXT(0));
            der_write_enumerated(b, s->reason - 1);
            der_end(b);
        }
        der_end(b);
    } else if (s->good_with_contents) {
        der_write_tlv(b, tag, (const uint8_t *)"\x00", 1);
    } else {
        der_write_tlv(b, tag, NULL, 0);
    }
    der_write_generalized_time(b, 1700000100);
    der_begin(b, DER_TAG_CONTEXT(0));
    if (s->next_update_utc)
        der_write_utc_time(b, 1700086500);
    else
        der_write_generalized_time(b, 1700086500);
    der_end(b);
    if (s->single_ext) {
        der_begin(b, DER_TAG_CONTEXT(1));
        der_begin(b, DER_TAG_SEQUENCE);
        write_ext(b, "1.2.3.4.5", s->single_ext_critical, true, 2);
        der_end(b);
        der_end(b);
    }
    der_end(b);
}

static void build_spec_basic(const struct response_spec *s, struct der_buf *b)
{
    static const uint8_t sig[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00};
    uint8_t key_hash[20];
    memset(key_hash, 0x22, sizeof key_hash);

    der_begin(b, DER_TAG_SEQUENCE); /* BasicOCSPResponse */
    der_begin(b, DER_TAG_SEQUENCE); /* ResponseData */
    if (s->has_version) {
        der_begin(b, DER_TAG_CONTEXT(0));
        der_write_small_int(b, 0);
        der_end(b);
    }
    if (s->by_name) {
        der_begin(b, DER_TAG_CONTEXT(1));
        der_begin(b, DER_TAG_SEQUENCE); /* an empty Name is still a Name */
        der_end(b);
        der_end(b);
    } else {
        der_begin(b, DER_TAG_CONTEXT(2));
        if (s->key_hash_wrong_tag)
            der_write_tlv(b, DER_TAG_BIT_STRING, key_hash, sizeof key_hash);
        else
            der_write_octet_string(b, key_hash, sizeof key_hash);
        der_end(b);
    }
    if (s->produced_at_utc)
        der_write_utc_time(b, 1700000200);
    else
        der_write_generalized_time(b, 1700000200);
    der_begin(b, DER_TAG_SEQUENCE);
    size_t singles = s->single_count != 0 ? s->single_count : 1;
    for (size_t i = 0; i < singles; i++)
        write_spec_single(b, s, (uint8_t)i);
    der_end(b);
    if (s->response_ext_unknown || s->has_nonce) {
        der_begin(b, DER_TAG_CONTEXT(1));
        der_begin(b, DER_TAG_SEQUENCE);
        if (s->has_nonce)
            write_ext(b, OCSP_OID_NONCE, s->nonce_critical, true, 18);
        if (s->response_ext_unknown)
            write_ext(b, "1.3.6.1.5.5.7.48.1.3", s->response_ext_critical, true, 4); /* CRL ref */
        der_end(b);
        der_end(b);
    }
    if (s->trailing_in_data)
        der_write_null(b);
    der_end(b);
    der_begin(b, DER_TAG_SEQUENCE);
    der_write_oid(b, OID_ECDSA_SHA256);
    der_end(b);
    der_write_bit_string(b, sig, sizeof sig, s->sig_unused_bits);
    if (s->cert_count != 0) {
        der_begin(b, DER_TAG_CONTEXT(0));
        der_begin(b, DER_TAG_SEQUENCE);
        for (size_t i = 0; i < s->cert_count; i++) {
            der_begin(b, DER_TAG_SEQUENCE); /* structure only: the verifier parses certs */
            der_write_small_int(b, (int64_t)i);
            der_end(b);
        }
        der_end(b);
        der_end(b);
    }
    if (s->trailing_in_basic)
        der_write_null(b);
    der_end(b);
}

static void build_spec_response(const struct response_spec *s, struct der_buf *b)
{
    struct der_buf basic = {0};
    build_spec_basic(s, &basic);
    ck_assert_int_eq(der_buf_error(&basic), DER_OK);
    if (s->trailing_in_octets)
        der_write_null(&basic);

    der_begin(b, DER_TAG_SEQUENCE);
    der_write_enumerated(b, s->status);
    if (!s->no_body) {
        der_begin(b, DER_TAG_CONTEXT(0));
        der_begin(b, DER_TAG_SEQUENCE);
        if (!s->body_is_empty_sequence) {
            der_write_oid(b, s->type_oid != NULL ? s->type_oid : OCSP_OID_BASIC);
            der_write_octet_string(b, basic.data, basic.len);
        }
        der_end(b);
        der_end(b);
    }
    der_end(b);
    ck_assert_int_eq(der_buf_error(b), DER_OK);
    der_buf_free(&basic);
}

static const struct response_row {
    const char *label;
    struct response_spec spec;
    bool want_ok;
    const char *want_error;
    bool want_basic;
    bool want_critical;        /* resp.has_critical_extension */
    bool want_single_critical; /* singles[0].has_critical_extension */
} response_rows[] = {
    /* Accepted. */
    {.label = "plain", .want_ok = true, .want_basic = true},
    {.label = "byName", .spec = {.by_name = true}, .want_ok = true, .want_basic = true},
    {.label = "revoked with reason",
     .spec = {.status_tag = DER_TAG_CONTEXT(1), .reason = REASON_KEY_COMPROMISE + 1},
     .want_ok = true,
     .want_basic = true},
    {.label = "revoked without reason",
     .spec = {.status_tag = DER_TAG_CONTEXT(1)},
     .want_ok = true,
     .want_basic = true},
    {.label = "unknown",
     .spec = {.status_tag = DER_TAG_CONTEXT_PRIMITIVE(2)},
     .want_ok = true,
     .want_basic = true},
    {.label = "4 certificates", .spec = {.cert_count = 4}, .want_ok = true, .want_basic = true},
    {.label = "16 singles", .spec = {.single_count = 16}, .want_ok = true, .want_basic = true},
    {.label = "nonce, critical (known)",
     .spec = {.has_nonce = true, .nonce_critical = true},
     .want_ok = true,
     .want_basic = true},
    {.label = "unknown non-critical responseExtension",
     .spec = {.response_ext_unknown = true},
     .want_ok = true,
     .want_basic = true},
    {.label = "unknown critical responseExtension: flagged",
     .spec = {.response_ext_unknown = true, .response_ext_critical = true},
     .want_ok = true,
     .want_basic = true,
     .want_critical = true},
    {.label = "non-critical singleExtension",
     .spec = {.single_ext = true},
     .want_ok = true,
     .want_basic = true},
    {.label = "critical singleExtension: flagged",
     .spec = {.single_ext = true, .single_ext_critical = true},
     .want_ok = true,
     .want_basic = true,
     .want_single_critical = true},
    {.label = "successful without responseBytes: parses, no basic",
     .spec = {.no_body = true},
     .want_ok = true},
    {.label = "unknown responseType: parses, no basic",
     .spec = {.type_oid = "1.3.6.1.5.5.7.48.1.99"},
     .want_ok = true},
    /* Rejected, each with the words of its message. */
    {.label = "tryLater with responseBytes",
     .spec = {.status = OCSP_RESPONSE_TRY_LATER},
     .want_error = "with responseBytes"},
    {.label = "status 4 (unassigned)",
     .spec = {.status = 4, .no_body = true},
     .want_error = "not defined"},
    {.label = "empty ResponseBytes",
     .spec = {.body_is_empty_sequence = true},
     .want_error = "responseType"},
    {.label = "5 certificates",
     .spec = {.cert_count = 5},
     .want_error = "more than 4 certificates"},
    {.label = "17 singles", .spec = {.single_count = 17}, .want_error = "more than 16"},
    {.label = "explicit version v1", .spec = {.has_version = true}, .want_error = "version"},
    {.label = "byKey not an OCTET STRING",
     .spec = {.key_hash_wrong_tag = true},
     .want_error = "byKey"},
    {.label = "producedAt as UTCTime",
     .spec = {.produced_at_utc = true},
     .want_error = "producedAt"},
    {.label = "nextUpdate as UTCTime",
     .spec = {.next_update_utc = true},
     .want_error = "nextUpdate"},
    {.label = "good with contents",
     .spec = {.good_with_contents = true},
     .want_error = "certStatus"},
    {.label = "certStatus with a wrong tag",
     .spec = {.status_tag = DER_TAG_CONTEXT_PRIMITIVE(3)},
     .want_error = "certStatus"},
    {.label = "revocationReason 7 (unassigned)",
     .spec = {.status_tag = DER_TAG_CONTEXT(1), .reason = 7 + 1},
     .want_error = "revocationReason"},
    {.label = "signature with unused bits",
     .spec = {.sig_unused_bits = 1},
     .want_error = "signature"},
    {.label = "trailing element in ResponseData",
     .spec = {.trailing_in_data = true},
     .want_error = "end of ResponseData"},
    {.label = "trailing element in BasicOCSPResponse",
     .spec = {.trailing_in_basic = true},
     .want_error = "end of BasicOCSPResponse"},
    {.label = "trailing bytes in responseBytes.response",
     .spec = {.trailing_in_octets = true},
     .want_error = "end of responseBytes.response"},
};

START_TEST(test_response_rows)
{
    const struct response_row *row = &response_rows[_i];
    struct der_buf b = {0};
    struct ocsp_response resp;
    struct errbuf err = {{0}};

    build_spec_response(&row->spec, &b);
    uint8_t *der = copy_exact(b.data, b.len);
    int rc = ocsp_response_parse(der, b.len, &resp, &err);
    if (row->want_ok) {
        ck_assert_msg(rc == 0, "%s: %s", row->label, err.msg);
        ck_assert_msg(resp.has_basic == row->want_basic, "%s: has_basic", row->label);
        /* The verifier tells "no responseBytes" from "another responseType" by these. */
        ck_assert_msg(resp.has_response_bytes == !row->spec.no_body, "%s: has_response_bytes",
                      row->label);
        if (resp.has_response_bytes)
            ck_assert_msg(der_oid_equals(&resp.response_type, row->spec.type_oid != NULL
                                                                  ? row->spec.type_oid
                                                                  : OCSP_OID_BASIC),
                          "%s: response_type", row->label);
        ck_assert_int_eq(resp.response_status, row->spec.status);
        if (row->want_basic) {
            size_t singles = row->spec.single_count != 0 ? row->spec.single_count : 1;
            ck_assert_uint_eq(resp.single_count, singles);
            ck_assert_uint_eq(resp.cert_count, row->spec.cert_count);
            ck_assert(resp.responder_by_key == !row->spec.by_name);
            ck_assert_int_eq(resp.produced_at, 1700000200);
            ck_assert_msg(resp.has_critical_extension == row->want_critical, "%s: critical",
                          row->label);
            ck_assert_msg(resp.singles[0].has_critical_extension == row->want_single_critical,
                          "%s: single critical", row->label);
            ck_assert(resp.has_nonce == row->spec.has_nonce);
            const struct ocsp_single_response *s = &resp.singles[0];
            ck_assert_int_eq(s->this_update, 1700000100);
            ck_assert(s->has_next_update);
            ck_assert_int_eq(s->next_update, 1700086500);
            if (row->spec.status_tag == DER_TAG_CONTEXT(1)) {
                ck_assert_int_eq(s->status, OCSP_CERT_STATUS_REVOKED);
                ck_assert_int_eq(s->revocation_time, 1700000000);
                ck_assert_int_eq(s->revocation_reason, row->spec.reason - 1);
            } else {
                ck_assert_int_eq(s->status, row->spec.status_tag == 0 ? OCSP_CERT_STATUS_GOOD
                                                                      : OCSP_CERT_STATUS_UNKNOWN);
                ck_assert_int_eq(s->revocation_reason, -1);
            }
        }
    } else {
        ck_assert_msg(rc == -1, "%s: accepted", row->label);
        ck_assert_msg(strstr(err.msg, "malformed OCSP response") != NULL &&
                          strstr(err.msg, row->want_error) != NULL,
                      "%s: message '%s' lacks '%s'", row->label, err.msg, row->want_error);
    }
    free(der);
    der_buf_free(&b);
}
END_TEST

/* ---- 5. Unsuccessful responses ----------------------------------------------------- */

static const struct status_row {
    enum ocsp_response_status status;
    const char *openssl_text;
} status_rows[] = {
    {OCSP_RESPONSE_MALFORMED_REQUEST, "Responder Error: malformedrequest (1)"},
    {OCSP_RESPONSE_INTERNAL_ERROR, "Responder Error: internalerror (2)"},
    {OCSP_RESPONSE_TRY_LATER, "Responder Error: trylater (3)"},
    {OCSP_RESPONSE_SIG_REQUIRED, "Responder Error: sigrequired (5)"},
    {OCSP_RESPONSE_UNAUTHORIZED, "Responder Error: unauthorized (6)"},
};

START_TEST(test_status_response)
{
    const struct status_row *row = &status_rows[_i];
    struct der_buf out = {0};
    struct ocsp_response resp;
    struct errbuf err = {{0}};
    const uint8_t want[] = {0x30, 0x03, 0x0a, 0x01, (uint8_t)row->status};

    ck_assert_int_eq(ocsp_response_build_status(row->status, &out), DER_OK);
    ck_assert_uint_eq(out.len, sizeof want);
    ck_assert_mem_eq(out.data, want, sizeof want);
    ck_assert_msg(ocsp_response_parse(out.data, out.len, &resp, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(resp.response_status, row->status);
    ck_assert(!resp.has_basic);

    char *dir = test_tmpdir();
    char path[LAB_PATH_MAX];
    join(path, dir, "status.der");
    write_bytes(path, out.data, out.len);
    struct test_run run = run_cmd("openssl ocsp -respin %s -resp_text", path);
    ck_assert_msg(test_contains(run.out, row->openssl_text) ||
                      test_contains(run.err, row->openssl_text),
                  "no '%s' in\n%.1500s%.1500s", row->openssl_text, run.out, run.err);
    test_run_free(&run);
    test_rmtree(dir);
    free(dir);
    der_buf_free(&out);
}
END_TEST

START_TEST(test_status_response_refuses)
{
    struct der_buf out = {0};
    ck_assert_int_ne(ocsp_response_build_status(OCSP_RESPONSE_SUCCESSFUL, &out), DER_OK);
    ck_assert_int_ne(ocsp_response_build_status((enum ocsp_response_status)4, &out), DER_OK);
    ck_assert_int_ne(ocsp_response_build_status((enum ocsp_response_status)7, &out), DER_OK);
    ck_assert_uint_eq(out.len, 0);
    der_buf_free(&out);
}
END_TEST

/* ---- CertID details ---------------------------------------------------------------- */

/* Every hash: compute, write, parse back, match; the hashes are those of the
 * issuer's subject Name encoding and public key bits. */
START_TEST(test_cert_id_round_trip)
{
    static const enum ocsp_hash hashes[] = {OCSP_HASH_SHA1, OCSP_HASH_SHA256, OCSP_HASH_SHA384,
                                            OCSP_HASH_SHA512};
    struct lab lab;
    struct errbuf err = {{0}};
    lab_create(&lab, "ec", false);
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
        struct ocsp_cert_id_value id;
        struct ocsp_cert_id parsed;
        struct der_buf der = {0};
        uint8_t name_hash[OCSP_HASH_MAX_LEN], key_hash[OCSP_HASH_MAX_LEN];
        size_t hash_len;

        compute_id(&lab.shop.x509, &lab.root.x509, hashes[i], &id);
        ck_assert_uint_eq(id.hash_len, ocsp_hash_len(hashes[i]));
        ck_assert_int_eq(
            ocsp_issuer_hashes(&lab.root.x509, hashes[i], name_hash, key_hash, &hash_len, &err), 0);
        ck_assert_uint_eq(hash_len, id.hash_len);
        ck_assert_mem_eq(name_hash, id.issuer_name_hash, hash_len);
        ck_assert_mem_eq(key_hash, id.issuer_key_hash, hash_len);
        ck_assert(same_bytes(&lab.shop.x509.serial, id.serial, id.serial_len));

        ck_assert_int_eq(ocsp_cert_id_write(&id, &der), DER_OK);
        ck_assert_msg(ocsp_cert_id_parse(der.data, der.len, &parsed, &err) == 0, "%s", err.msg);
        ck_assert(ocsp_cert_id_matches(&parsed, &id));
        /* One differing serial octet is another certificate. */
        id.serial[id.serial_len - 1] ^= 1;
        ck_assert(!ocsp_cert_id_matches(&parsed, &id));
        der_buf_free(&der);
    }
    /* The SHA-1 key hash is the root's key identifier (SKI). */
    struct lab_key key;
    uint8_t key_id[KEY_ID_LEN];
    struct ocsp_cert_id_value id;
    load_key(&key, lab.root_key);
    ck_assert_int_eq(key_identifier(&key, key_id, &err), 0);
    compute_id(&lab.shop.x509, &lab.root.x509, OCSP_HASH_SHA1, &id);
    ck_assert_mem_eq(key_id, id.issuer_key_hash, KEY_ID_LEN);
    key_free(&key);
    lab_destroy(&lab);
}
END_TEST

Suite *ocsp_suite(void);
Suite *ocsp_suite(void)
{
    Suite *s = suite_create("ocsp");

    TCase *units = tcase_create("codec");
    tcase_set_timeout(units, 30);
    tcase_add_test(units, test_names);
    tcase_add_test(units, test_crl_reason_names);
    tcase_add_test(units, test_request_build_refuses);
    tcase_add_test(units, test_status_response_refuses);
    tcase_add_loop_test(units, test_request_rows, 0,
                        (int)(sizeof request_rows / sizeof request_rows[0]));
    tcase_add_loop_test(units, test_response_rows, 0,
                        (int)(sizeof response_rows / sizeof response_rows[0]));
    suite_add_tcase(s, units);

    TCase *interop = tcase_create("openssl");
    tcase_set_timeout(interop, 60);
    tcase_add_test(interop, test_cert_id_round_trip);
    tcase_add_loop_test(interop, test_request_from_openssl, 0,
                        (int)(sizeof request_cases / sizeof request_cases[0]));
    tcase_add_loop_test(interop, test_request_to_openssl, 0,
                        (int)(sizeof request_cases / sizeof request_cases[0]));
    tcase_add_loop_test(interop, test_response_verified_by_openssl, 0,
                        (int)(sizeof response_cases / sizeof response_cases[0]));
    tcase_add_test(interop, test_response_rejected_by_openssl);
    tcase_add_test(interop, test_response_build_refuses);
    tcase_add_loop_test(interop, test_response_from_openssl_responder, 0,
                        (int)(sizeof openssl_responder_cases / sizeof openssl_responder_cases[0]));
    tcase_add_test(interop, test_truncated_real_messages);
    tcase_add_loop_test(interop, test_status_response, 0,
                        (int)(sizeof status_rows / sizeof status_rows[0]));
    suite_add_tcase(s, interop);
    return s;
}
