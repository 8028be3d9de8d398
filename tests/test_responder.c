/* test_responder.c — the OCSP responder's core without HTTP (responder/
 * service.c, cache.c, stats.c and the pure parts of http.c): what it answers
 * for good, revoked and unknown certificates, how it signs (root or delegate,
 * ResponderID by key or by name), its pre-signed cache and when that cache
 * must not be used, the faults, hostile requests, the counters and the trace.
 * The real program over real HTTP is tests/integration/test_responder_http.c. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../ca/ca.h"
#include "../responder/cache.h"
#include "../responder/control.h"
#include "../responder/db_change.h"
#include "../responder/http.h"
#include "../responder/service.h"
#include "../responder/stats.h"
#include "clock.h"
#include "control_token.h"
#include "der.h"
#include "fileio.h"
#include "lab.h"
#include "net.h"
#include "ocsp.h"
#include "pem.h"
#include "testutil.h"
#include "trace.h"
#include "x509.h"

#define VALIDITY_SECONDS 86400

/* ---- scratch space ------------------------------------------------------------ */

/* Every lab of a test case lives under one scratch directory that the runner
 * removes after the case: a failing test exits before its own cleanup. */
static void scratch_setup(void)
{
    test_scratch_enter("responder");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* ---- the lab of one test ------------------------------------------------------ */

/* A CA with shop.test (good) and old.test (revoked for keyCompromise), the
 * process clock and trace pointed at it. */
struct lab {
    char *dir;
    struct der_buf root_der;
    struct x509_cert root;
    struct der_buf shop_der;
    struct x509_cert shop;
    struct cert_record shop_rec;
    struct der_buf old_der;
    struct x509_cert old;
    struct cert_record old_rec; /* as revoked */
};

static struct lab lab;

static void load_cert(const char *dir, const char *rel, struct der_buf *der, struct x509_cert *cert)
{
    char path[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    ck_assert(file_path_join(path, sizeof path, dir, rel) == 0);
    der_buf_free(der);
    ck_assert_msg(pem_read_certificate(path, der, &err) == 0, "%s: %s", path, err.msg);
    ck_assert_msg(x509_parse(cert, der->data, der->len, &err) == 0, "%s: %s", path, err.msg);
}

static void init_ca(const char *dir, enum key_type key_type, bool with_delegate)
{
    struct ca_init_options opts = {
        .key_type = key_type,
        .name = CA_DEFAULT_NAME,
        .ocsp_url = CA_DEFAULT_OCSP_URL,
        .with_delegate = with_delegate,
    };
    struct ca_init_result result;
    struct errbuf err = {{0}};
    int rc = ca_init(dir, &opts, &result, &err);
    ck_assert_msg(rc == CA_OK, "ca_init: %d: %s", rc, err.msg);
}

static void issue(const char *dir, const char *name, struct cert_record *rec)
{
    struct ca_issue_options opts = {.name = name, .days = CA_DEFAULT_DAYS, .key_type = KEY_EC_P256};
    struct cert_record ignored;
    struct errbuf err = {{0}};
    int rc = ca_issue(dir, &opts, rec != NULL ? rec : &ignored, &err);
    ck_assert_msg(rc == CA_OK, "ca_issue %s: %d: %s", name, rc, err.msg);
}

static void revoke_cert(const char *dir, const char *name, enum revocation_reason reason,
                        struct cert_record *rec)
{
    struct cert_record ignored;
    struct errbuf err = {{0}};
    int rc = ca_revoke(dir, name, NULL, reason, rec != NULL ? rec : &ignored, &err);
    ck_assert_msg(rc == CA_OK, "ca_revoke %s: %d: %s", name, rc, err.msg);
}

static void make_lab(bool with_delegate)
{
    struct errbuf err = {{0}};
    memset(&lab, 0, sizeof lab);
    lab.dir = test_tmpdir();
    ck_assert_msg(clock_init(lab.dir, &err) == 0, "%s", err.msg);
    init_ca(lab.dir, KEY_EC_P256, with_delegate);
    issue(lab.dir, "shop.test", &lab.shop_rec);
    issue(lab.dir, "old.test", NULL);
    revoke_cert(lab.dir, "old.test", REASON_KEY_COMPROMISE, &lab.old_rec);
    load_cert(lab.dir, LAB_ROOT_CERT, &lab.root_der, &lab.root);
    load_cert(lab.dir, "certs/shop.test.pem", &lab.shop_der, &lab.shop);
    load_cert(lab.dir, "certs/old.test.pem", &lab.old_der, &lab.old);
    /* Opened after the CA's steps, so the trace holds the responder's lines
     * (and the CA's, under this process's actor name). */
    ck_assert_msg(trace_open(lab.dir, "responder", &err) == 0, "%s", err.msg);
}

static void lab_setup(void)
{
    make_lab(false);
}

static void delegate_lab_setup(void)
{
    make_lab(true);
}

static void lab_teardown(void)
{
    trace_close();
    der_buf_free(&lab.root_der);
    der_buf_free(&lab.shop_der);
    der_buf_free(&lab.old_der);
    if (lab.dir != NULL)
        test_rmtree(lab.dir);
    free(lab.dir);
    memset(&lab, 0, sizeof lab);
}

/* ---- the responder ------------------------------------------------------------ */

static struct responder *open_responder_with(const struct responder_config *config)
{
    struct responder *r = calloc(1, sizeof *r);
    struct errbuf err = {{0}};
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(responder_open(r, config, &err) == 0, "responder_open: %s", err.msg);
    return r;
}

static struct responder *open_responder(enum responder_fault fault, int delay_ms)
{
    struct responder_config config = {
        .lab_dir = lab.dir,
        .validity_seconds = VALIDITY_SECONDS,
        .fault = fault,
        .fault_delay_ms = delay_ms,
    };
    return open_responder_with(&config);
}

static void close_responder(struct responder *r)
{
    responder_close(r);
    free(r);
}

/* An OCSPRequest for cert (issued by the lab's root) with an optional nonce. */
static void request_for(const struct x509_cert *cert, const struct x509_cert *issuer,
                        enum ocsp_hash hash, const char *nonce, struct der_buf *out)
{
    struct ocsp_cert_id_value id;
    struct errbuf err = {{0}};
    ck_assert_msg(ocsp_cert_id_compute(cert, issuer, hash, &id, &err) == 0, "%s", err.msg);
    ck_assert_msg(ocsp_request_build(&id, (const uint8_t *)nonce, nonce != NULL ? strlen(nonce) : 0,
                                     out, &err) == 0,
                  "%s", err.msg);
}

static void ask_as(struct responder *r, const struct der_buf *request, const char *user_agent,
                   const char *client, struct responder_answer *answer)
{
    struct request_origin origin = {
        .user_agent = user_agent,
        .client_addr = client,
        .method = "POST",
    };
    responder_answer(r, request->data, request->len, &origin, answer);
    ck_assert_ptr_nonnull(answer->body.data);
    ck_assert_uint_gt(answer->body.len, 0);
}

static void ask(struct responder *r, const struct der_buf *request, struct responder_answer *answer)
{
    ask_as(r, request, "unit-test/1", "127.0.0.1", answer);
}

static void ask_bytes(struct responder *r, const uint8_t *bytes, size_t len,
                      struct responder_answer *answer)
{
    struct request_origin origin = {
        .user_agent = NULL, .client_addr = "127.0.0.1", .method = "POST"};
    responder_answer(r, bytes, len, &origin, answer);
}

/* Parses a successful BasicOCSPResponse; spans point into answer->body. */
static void parse_ok(const struct responder_answer *answer, struct ocsp_response *resp)
{
    struct errbuf err = {{0}};
    ck_assert_msg(ocsp_response_parse(answer->body.data, answer->body.len, resp, &err) == 0,
                  "response does not parse: %s", err.msg);
    ck_assert_int_eq(resp->response_status, OCSP_RESPONSE_SUCCESSFUL);
    ck_assert(resp->has_basic);
    ck_assert_int_eq(answer->response_status, OCSP_RESPONSE_SUCCESSFUL);
}

/* ECDSA P-256 with SHA-256 over tbsResponseData, checked with wolfCrypt
 * directly against the public key of `signer` (not with our verifier). */
static bool is_signed_by(const struct ocsp_response *resp, const struct x509_cert *signer)
{
    ecc_key key;
    word32 idx = 0;
    uint8_t digest[WC_SHA256_DIGEST_SIZE];
    int verified = 0;
    ck_assert_int_eq(wc_ecc_init(&key), 0);
    ck_assert_int_eq(wc_EccPublicKeyDecode(signer->spki.p, &idx, &key, (word32)signer->spki.left),
                     0);
    ck_assert_int_eq(
        wc_Sha256Hash(resp->tbs_response_data.p, (word32)resp->tbs_response_data.left, digest), 0);
    int rc = wc_ecc_verify_hash(resp->signature.p, (word32)resp->signature.left, digest,
                                sizeof digest, &verified, &key);
    wc_ecc_free(&key);
    return rc == 0 && verified == 1;
}

static bool cursor_equals(const struct der_cursor *c, const uint8_t *bytes, size_t len)
{
    return c->left == len && memcmp(c->p, bytes, len) == 0;
}

static bool answers_equal(const struct responder_answer *a, const struct responder_answer *b)
{
    return a->body.len == b->body.len && memcmp(a->body.data, b->body.data, a->body.len) == 0;
}

/* The CertID of the only Request in a request we built. */
static struct der_cursor request_cert_id(const struct der_buf *request)
{
    struct ocsp_request req;
    struct errbuf err = {{0}};
    ck_assert_msg(ocsp_request_parse(request->data, request->len, &req, &err) == 0, "%s", err.msg);
    return req.ids[0].raw;
}

/* ---- good, revoked, unknown ------------------------------------------------------ */

enum which_cert { CERT_SHOP, CERT_OLD, CERT_NEVER_ISSUED };

static const struct status_row {
    enum which_cert cert;
    enum ocsp_hash hash;
    enum ocsp_cert_status want;
    enum answer_kind kind;
} status_rows[] = {
    {CERT_SHOP, OCSP_HASH_SHA1, OCSP_CERT_STATUS_GOOD, ANSWER_GOOD},
    {CERT_SHOP, OCSP_HASH_SHA256, OCSP_CERT_STATUS_GOOD, ANSWER_GOOD},
    {CERT_SHOP, OCSP_HASH_SHA384, OCSP_CERT_STATUS_GOOD, ANSWER_GOOD},
    {CERT_SHOP, OCSP_HASH_SHA512, OCSP_CERT_STATUS_GOOD, ANSWER_GOOD},
    {CERT_OLD, OCSP_HASH_SHA1, OCSP_CERT_STATUS_REVOKED, ANSWER_REVOKED},
    {CERT_OLD, OCSP_HASH_SHA256, OCSP_CERT_STATUS_REVOKED, ANSWER_REVOKED},
    {CERT_NEVER_ISSUED, OCSP_HASH_SHA1, OCSP_CERT_STATUS_UNKNOWN, ANSWER_UNKNOWN},
    {CERT_NEVER_ISSUED, OCSP_HASH_SHA256, OCSP_CERT_STATUS_UNKNOWN, ANSWER_UNKNOWN},
};

/* A CertID for serial 0x1234 under the lab's root: a certificate it never issued. */
static void request_never_issued(enum ocsp_hash hash, const char *nonce, struct der_buf *out)
{
    struct ocsp_cert_id_value id;
    struct errbuf err = {{0}};
    ck_assert(ocsp_cert_id_compute(&lab.shop, &lab.root, hash, &id, &err) == 0);
    id.serial_len = 2;
    id.serial[0] = 0x12;
    id.serial[1] = 0x34;
    ck_assert(ocsp_request_build(&id, (const uint8_t *)nonce, nonce != NULL ? strlen(nonce) : 0,
                                 out, &err) == 0);
}

START_TEST(test_answer_status)
{
    const struct status_row *row = &status_rows[_i];
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf request = {0};
    struct responder_answer answer;
    struct ocsp_response resp;
    const char *nonce = "0123456789abcdef";

    if (row->cert == CERT_NEVER_ISSUED)
        request_never_issued(row->hash, nonce, &request);
    else
        request_for(row->cert == CERT_SHOP ? &lab.shop : &lab.old, &lab.root, row->hash, nonce,
                    &request);
    int64_t before = clock_now();
    ask(r, &request, &answer);
    int64_t after = clock_now();
    parse_ok(&answer, &resp);

    ck_assert_int_eq(answer.kind, row->kind);
    ck_assert_uint_eq(resp.single_count, 1);
    const struct ocsp_single_response *single = &resp.singles[0];
    ck_assert_int_eq(single->status, row->want);
    /* The CertID is echoed exactly as asked (hash algorithm included). */
    struct der_cursor asked = request_cert_id(&request);
    ck_assert(cursor_equals(&single->cert_id_raw, asked.p, asked.left));
    ck_assert_int_eq(single->cert_id.hash, row->hash);
    /* Times: produced now, thisUpdate backdated, nextUpdate one validity later. */
    ck_assert(resp.produced_at >= before && resp.produced_at <= after);
    if (row->want == OCSP_CERT_STATUS_REVOKED) {
        /* old.test was revoked moments ago, inside the backdate: RFC 6960
         * 2.4 forbids a revoked answer that describes a moment before the
         * revocation, so thisUpdate is the revocation time (or now). */
        ck_assert_int_ge(lab.old_rec.revoked_at, before - RESPONDER_THIS_UPDATE_BACKDATE);
        ck_assert_int_ge(single->this_update, lab.old_rec.revoked_at);
        ck_assert_int_le(single->this_update, after);
    } else {
        ck_assert(single->this_update >= before - RESPONDER_THIS_UPDATE_BACKDATE &&
                  single->this_update <= after - RESPONDER_THIS_UPDATE_BACKDATE);
    }
    ck_assert(single->has_next_update);
    ck_assert_int_eq(single->next_update - single->this_update, VALIDITY_SECONDS);
    ck_assert_int_eq(answer.this_update, single->this_update);
    ck_assert_int_eq(answer.next_update, single->next_update);
    if (row->want == OCSP_CERT_STATUS_REVOKED) {
        ck_assert_int_eq(single->revocation_time, lab.old_rec.revoked_at);
        ck_assert_int_eq(single->revocation_reason, REASON_KEY_COMPROMISE);
    }
    /* The nonce comes back as sent (RFC 8954). */
    ck_assert(resp.has_nonce);
    struct ocsp_request req;
    struct errbuf err = {{0}};
    ck_assert(ocsp_request_parse(request.data, request.len, &req, &err) == 0);
    ck_assert(
        cursor_equals(&resp.nonce_ext_value, req.nonce_ext_value.p, req.nonce_ext_value.left));
    /* Signed by the root itself, identified by its key hash; the root's
     * certificate travels along (GnuTLS finds a byKey signer only there). */
    ck_assert(is_signed_by(&resp, &lab.root));
    ck_assert(resp.responder_by_key);
    uint8_t key_hash[WC_SHA_DIGEST_SIZE];
    ck_assert_int_eq(wc_ShaHash(lab.root.public_key.p, (word32)lab.root.public_key.left, key_hash),
                     0);
    ck_assert(cursor_equals(&resp.responder_id, key_hash, sizeof key_hash));
    ck_assert_uint_eq(resp.cert_count, 1);
    ck_assert(cursor_equals(&resp.certs[0], lab.root_der.data, lab.root_der.len));
    ck_assert(!answer.from_cache);
    ck_assert(!answer.is_cacheable); /* a nonce makes it this request's alone */

    responder_answer_free(&answer);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

/* thisUpdate of a revoked answer: max(now - backdate, revokedAt), capped at now. */
static const struct revoked_time_row {
    int64_t backdated, revoked_at, now, want;
} revoked_time_rows[] = {
    {1000, 500, 1060, 1000},  /* revoked long ago: the usual backdate */
    {1000, 1030, 1060, 1030}, /* revoked inside the backdate: from the revocation on */
    {1000, 1000, 1060, 1000}, /* exactly at the backdate */
    {1000, 1060, 1060, 1060}, /* revoked this very second */
    {1000, 2000, 1060, 1060}, /* dated in the future (clock moved back): never past now */
};

START_TEST(test_revoked_this_update)
{
    const struct revoked_time_row *row = &revoked_time_rows[_i];
    ck_assert_int_eq(responder_revoked_this_update(row->backdated, row->revoked_at, row->now),
                     row->want);
}
END_TEST

/* Several CertIDs in one request get one SingleResponse each, in order. */
START_TEST(test_answer_several_certs)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf one = {0}, two = {0}, three = {0}, request = {0};
    struct responder_answer answer, again;
    struct ocsp_response resp;
    request_for(&lab.old, &lab.root, OCSP_HASH_SHA1, NULL, &one);
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA256, NULL, &two);
    request_never_issued(OCSP_HASH_SHA1, NULL, &three);
    struct der_cursor ids[3] = {request_cert_id(&one), request_cert_id(&two),
                                request_cert_id(&three)};
    der_begin(&request, DER_TAG_SEQUENCE);
    der_begin(&request, DER_TAG_SEQUENCE);
    der_begin(&request, DER_TAG_SEQUENCE);
    for (size_t i = 0; i < 3; i++) {
        der_begin(&request, DER_TAG_SEQUENCE);
        der_write_raw(&request, ids[i].p, ids[i].left);
        der_end(&request);
    }
    der_end(&request);
    der_end(&request);
    der_end(&request);
    ck_assert_int_eq(der_buf_error(&request), DER_OK);

    ask(r, &request, &answer);
    parse_ok(&answer, &resp);
    ck_assert(is_signed_by(&resp, &lab.root));
    ck_assert_uint_eq(resp.single_count, 3);
    ck_assert_int_eq(resp.singles[0].status, OCSP_CERT_STATUS_REVOKED);
    ck_assert_int_eq(resp.singles[1].status, OCSP_CERT_STATUS_GOOD);
    ck_assert_int_eq(resp.singles[2].status, OCSP_CERT_STATUS_UNKNOWN);
    for (size_t i = 0; i < 3; i++)
        ck_assert(cursor_equals(&resp.singles[i].cert_id_raw, ids[i].p, ids[i].left));
    ck_assert_int_eq(answer.kind, ANSWER_REVOKED); /* the first one tells the counters */
    ck_assert(!resp.has_nonce);
    /* Only single-certificate answers are pre-signed. */
    ask(r, &request, &again);
    ck_assert(!again.from_cache);
    ck_assert(!again.is_cacheable);

    responder_answer_free(&answer);
    responder_answer_free(&again);
    der_buf_free(&one);
    der_buf_free(&two);
    der_buf_free(&three);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

/* RFC 5280 serials are at most 20 octets; a longer one is nobody's we issued,
 * answered unknown without asking the database. */
START_TEST(test_answer_overlong_serial_is_unknown)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct ocsp_cert_id_value id;
    struct der_buf request = {0};
    struct responder_answer answer;
    struct ocsp_response resp;
    struct errbuf err = {{0}};
    uint8_t serial[21];
    ck_assert(ocsp_cert_id_compute(&lab.shop, &lab.root, OCSP_HASH_SHA1, &id, &err) == 0);
    /* The shop's serial with one more octet at the end. */
    memcpy(serial, lab.shop.serial.p, lab.shop.serial.left);
    memset(serial + lab.shop.serial.left, 0x5a, sizeof serial - lab.shop.serial.left);
    der_begin(&request, DER_TAG_SEQUENCE);
    der_begin(&request, DER_TAG_SEQUENCE);
    der_begin(&request, DER_TAG_SEQUENCE);
    der_begin(&request, DER_TAG_SEQUENCE); /* Request */
    der_begin(&request, DER_TAG_SEQUENCE); /* CertID */
    der_begin(&request, DER_TAG_SEQUENCE);
    der_write_oid(&request, "1.3.14.3.2.26");
    der_write_null(&request);
    der_end(&request);
    der_write_octet_string(&request, id.issuer_name_hash, id.hash_len);
    der_write_octet_string(&request, id.issuer_key_hash, id.hash_len);
    der_write_unsigned_integer(&request, serial, sizeof serial);
    der_end(&request);
    der_end(&request);
    der_end(&request);
    der_end(&request);
    der_end(&request);
    ck_assert_int_eq(der_buf_error(&request), DER_OK);
    ask(r, &request, &answer);
    parse_ok(&answer, &resp);
    ck_assert_int_eq(resp.singles[0].status, OCSP_CERT_STATUS_UNKNOWN);
    ck_assert_int_eq(answer.kind, ANSWER_UNKNOWN);
    responder_answer_free(&answer);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

/* ---- who may switch faults (responder/control.c) ------------------------------------ */

#define LAB_TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER_TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee"

static const struct control_row {
    bool has_lab_token;
    struct control_request req;
    enum control_verdict want;
    unsigned want_status;
} control_rows[] = {
    /* The teacher: loopback, token, the lab's type or JSON, no Origin. */
    {true, {"127.0.0.1", NULL, LAB_TOKEN, CONTROL_CONTENT_TYPE, true}, CONTROL_ALLOWED, 200},
    {true, {"::1", NULL, LAB_TOKEN, "application/json; charset=utf-8", true}, CONTROL_ALLOWED, 200},
    {true,
     {"127.0.0.1", NULL, LAB_TOKEN, "Application/X-OcspLab-Control", true},
     CONTROL_ALLOWED,
     200},
    {true, {"127.0.0.1", NULL, LAB_TOKEN, NULL, false}, CONTROL_ALLOWED, 200}, /* GET */
    /* The token compares case-insensitively as hex. */
    {true,
     {"127.0.0.1", NULL, "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
      CONTROL_CONTENT_TYPE, true},
     CONTROL_ALLOWED,
     200},
    /* Each refusal on its own. */
    {false, {"127.0.0.1", NULL, LAB_TOKEN, CONTROL_CONTENT_TYPE, true}, CONTROL_NO_LAB_TOKEN, 403},
    {true, {"10.0.0.7", NULL, LAB_TOKEN, CONTROL_CONTENT_TYPE, true}, CONTROL_NOT_LOOPBACK, 403},
    {true, {"128.0.0.1", NULL, LAB_TOKEN, CONTROL_CONTENT_TYPE, true}, CONTROL_NOT_LOOPBACK, 403},
    {true,
     {"127.0.0.1", "http://evil.test", LAB_TOKEN, CONTROL_CONTENT_TYPE, true},
     CONTROL_HAS_ORIGIN,
     403},
    {true, {"127.0.0.1", "", LAB_TOKEN, CONTROL_CONTENT_TYPE, true}, CONTROL_HAS_ORIGIN, 403},
    {true, {"127.0.0.1", NULL, NULL, CONTROL_CONTENT_TYPE, true}, CONTROL_NO_TOKEN, 403},
    {true, {"127.0.1.5", NULL, "", CONTROL_CONTENT_TYPE, true}, CONTROL_NO_TOKEN, 403},
    {true, {"127.0.0.1", NULL, OTHER_TOKEN, CONTROL_CONTENT_TYPE, true}, CONTROL_WRONG_TOKEN, 403},
    {true,
     {"127.0.0.1", NULL, LAB_TOKEN "0", CONTROL_CONTENT_TYPE, true},
     CONTROL_WRONG_TOKEN,
     403},
    {true, {"127.0.0.1", NULL, OTHER_TOKEN, NULL, false}, CONTROL_WRONG_TOKEN, 403},
    {true, {"127.0.0.1", NULL, LAB_TOKEN, "text/plain", true}, CONTROL_WRONG_TYPE, 415},
    {true,
     {"127.0.0.1", NULL, LAB_TOKEN, "application/x-www-form-urlencoded", true},
     CONTROL_WRONG_TYPE,
     415},
    {true, {"127.0.0.1", NULL, LAB_TOKEN, NULL, true}, CONTROL_WRONG_TYPE, 415},
    {true, {"127.0.0.1", NULL, LAB_TOKEN, "application/jsonx", true}, CONTROL_WRONG_TYPE, 415},
};

START_TEST(test_control_check)
{
    const struct control_row *row = &control_rows[_i];
    enum control_verdict got = control_check(row->has_lab_token ? LAB_TOKEN : NULL, &row->req);
    ck_assert_msg(got == row->want, "row %d: verdict %d, wanted %d", _i, got, row->want);
    ck_assert_uint_eq(control_verdict_status(got), row->want_status);
    ck_assert_ptr_nonnull(control_verdict_reason(got));
}
END_TEST

static const struct switch_row {
    const char *content_type;
    const char *body;
    int want_rc;
    enum responder_fault want_fault;
    int want_delay_ms;
} switch_rows[] = {
    {CONTROL_CONTENT_TYPE, "slow 2s", 0, FAULT_SLOW, 2000},
    {CONTROL_CONTENT_TYPE, "trylater", 0, FAULT_TRYLATER, 0},
    {CONTROL_CONTENT_TYPE, "none\n", 0, FAULT_NONE, 0},
    {"application/json", "{\"fault\": \"slow\", \"delay\": \"2s\"}", 0, FAULT_SLOW, 2000},
    {"application/json", "{\"fault\": \"garbage\"}", 0, FAULT_GARBAGE, 0},
    {CONTROL_CONTENT_TYPE, "bogus", -1, FAULT_NONE, 0},
    {CONTROL_CONTENT_TYPE, "", -1, FAULT_NONE, 0},
    {CONTROL_CONTENT_TYPE, "slow 0s", -1, FAULT_NONE, 0},
    {CONTROL_CONTENT_TYPE, "slow 121s", -1, FAULT_NONE, 0},
    {CONTROL_CONTENT_TYPE, "slow 2s extra", -1, FAULT_NONE, 0},
    {"application/json", "slow 2s", -1, FAULT_NONE, 0},
    {"application/json", "[\"slow\"]", -1, FAULT_NONE, 0},
    {"application/json", "{\"fault\": 3}", -1, FAULT_NONE, 0},
    {"application/json", "{\"fault\": \"slow\", \"delay\": 2}", -1, FAULT_NONE, 0},
    {"application/json", "{\"fault\": \"slow\", \"delay\": \"0s\"}", -1, FAULT_NONE, 0},
    {"application/json", "{\"fault\": \"slow\", \"fault\": \"none\"}", -1, FAULT_NONE, 0},
    {"application/json", "{\"fault\": \"slow\", \"colour\": \"red\"}", -1, FAULT_NONE, 0},
    {"application/json", "{\"delay\": \"2s\"}", -1, FAULT_NONE, 0},
};

START_TEST(test_control_parse_switch)
{
    const struct switch_row *row = &switch_rows[_i];
    enum responder_fault fault = FAULT_STALE;
    int delay_ms = -1;
    const char *why = NULL;
    int rc = control_parse_switch(row->content_type, (const uint8_t *)row->body, strlen(row->body),
                                  &fault, &delay_ms, &why);
    ck_assert_msg(rc == row->want_rc, "row %d ('%s'): rc %d", _i, row->body, rc);
    if (rc == 0) {
        ck_assert_int_eq(fault, row->want_fault);
        ck_assert_int_eq(delay_ms, row->want_delay_ms);
    } else {
        ck_assert_ptr_nonnull(why);
    }
}
END_TEST

/* A body as long as the whole request buffer is refused, not cut short. */
START_TEST(test_control_parse_long_body)
{
    static uint8_t body[RESPONDER_MAX_REQUEST_BYTES];
    enum responder_fault fault;
    int delay_ms;
    const char *why = NULL;
    memset(body, ' ', sizeof body);
    memcpy(body, "none", 4);
    ck_assert_int_eq(
        control_parse_switch(CONTROL_CONTENT_TYPE, body, sizeof body, &fault, &delay_ms, &why), -1);
    ck_assert_ptr_nonnull(why);
}
END_TEST

/* ---- who signs ------------------------------------------------------------------ */

/* --signer delegate: signed by ca/ocsp.key, the delegate's certificate included
 * so a client can check that the CA issued it for OCSP signing. */
START_TEST(test_delegate_signs_and_is_included)
{
    struct responder_config config = {
        .lab_dir = lab.dir,
        .validity_seconds = VALIDITY_SECONDS,
        .use_delegate = true,
    };
    struct responder *r = open_responder_with(&config);
    struct der_buf delegate_der = {0}, request = {0};
    struct x509_cert delegate;
    struct responder_answer answer;
    struct ocsp_response resp;
    load_cert(lab.dir, LAB_DELEGATE_CERT, &delegate_der, &delegate);
    ck_assert(x509_has_eku(&delegate, OID_KP_OCSP_SIGNING));

    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &request);
    ask(r, &request, &answer);
    parse_ok(&answer, &resp);
    ck_assert_int_eq(resp.singles[0].status, OCSP_CERT_STATUS_GOOD);
    ck_assert(is_signed_by(&resp, &delegate));
    ck_assert(!is_signed_by(&resp, &lab.root));
    ck_assert_uint_eq(resp.cert_count, 1);
    ck_assert(cursor_equals(&resp.certs[0], delegate_der.data, delegate_der.len));
    uint8_t key_hash[WC_SHA_DIGEST_SIZE];
    ck_assert_int_eq(wc_ShaHash(delegate.public_key.p, (word32)delegate.public_key.left, key_hash),
                     0);
    ck_assert(resp.responder_by_key);
    ck_assert(cursor_equals(&resp.responder_id, key_hash, sizeof key_hash));
    ck_assert_str_eq(r->signer_name, "Lab OCSP Signer");

    responder_answer_free(&answer);
    der_buf_free(&request);
    der_buf_free(&delegate_der);
    close_responder(r);
}
END_TEST

/* --responder-id name: ResponderID byName holds the signer's subject Name. */
START_TEST(test_responder_id_by_name)
{
    struct responder_config config = {
        .lab_dir = lab.dir,
        .validity_seconds = VALIDITY_SECONDS,
        .responder_id_by_name = true,
    };
    struct responder *r = open_responder_with(&config);
    struct der_buf request = {0};
    struct responder_answer answer;
    struct ocsp_response resp;
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &request);
    ask(r, &request, &answer);
    parse_ok(&answer, &resp);
    ck_assert(!resp.responder_by_key);
    ck_assert(cursor_equals(&resp.responder_id, lab.root.subject.p, lab.root.subject.left));
    ck_assert(is_signed_by(&resp, &lab.root));
    responder_answer_free(&answer);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

/* ---- opening: every broken lab is named with its fix ------------------------------ */

enum open_breakage {
    BREAK_EMPTY_DIR,
    BREAK_NO_DELEGATE,
    BREAK_CORRUPT_KEY,
    BREAK_MISSING_DB,
    BREAK_FOREIGN_DB,
    BREAK_CORRUPT_ROOT,
};

static const struct open_row {
    enum open_breakage breakage;
    const char *want; /* in the error message */
} open_rows[] = {
    {BREAK_EMPTY_DIR, "ca init"},    {BREAK_NO_DELEGATE, "ca init --delegate"},
    {BREAK_CORRUPT_KEY, "root.key"}, {BREAK_MISSING_DB, "ca.db"},
    {BREAK_FOREIGN_DB, "ca.db"},     {BREAK_CORRUPT_ROOT, "root.pem"},
};

static void write_text(const char *dir, const char *rel, const char *text)
{
    char path[LAB_PATH_MAX];
    ck_assert(file_path_join(path, sizeof path, dir, rel) == 0);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_open_refuses_broken_lab)
{
    const struct open_row *row = &open_rows[_i];
    char *dir = test_tmpdir();
    char path[LAB_PATH_MAX];
    struct responder_config config = {.lab_dir = dir, .validity_seconds = VALIDITY_SECONDS};
    struct errbuf err = {{0}};
    if (row->breakage != BREAK_EMPTY_DIR)
        init_ca(dir, KEY_EC_P256, false);
    switch (row->breakage) {
    case BREAK_EMPTY_DIR:
        break;
    case BREAK_NO_DELEGATE:
        config.use_delegate = true;
        break;
    case BREAK_CORRUPT_KEY:
        /* chmod 000 does not stop root; a key that is not a key does. */
        write_text(dir, LAB_ROOT_KEY,
                   "-----BEGIN EC PRIVATE KEY-----\nbm90IGEga2V5\n-----END EC PRIVATE KEY-----\n");
        break;
    case BREAK_MISSING_DB:
        ck_assert(file_path_join(path, sizeof path, dir, LAB_DB_FILE) == 0);
        ck_assert_int_eq(unlink(path), 0);
        break;
    case BREAK_FOREIGN_DB: {
        sqlite3 *db = NULL;
        ck_assert(file_path_join(path, sizeof path, dir, LAB_DB_FILE) == 0);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE recipes (name TEXT);", NULL, NULL, NULL),
                         SQLITE_OK);
        ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
        break;
    }
    case BREAK_CORRUPT_ROOT:
        write_text(dir, LAB_ROOT_CERT,
                   "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
        break;
    }
    struct responder *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_ne(responder_open(r, &config, &err), 0);
    ck_assert_msg(test_contains(err.msg, row->want), "row %d: '%s' lacks '%s'", _i, err.msg,
                  row->want);
    responder_close(r); /* what main() does after a failed open */
    free(r);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- the pre-signed cache ----------------------------------------------------------- */

/* Without a nonce the second answer is the first one, byte for byte; with a
 * nonce every answer is signed for its request (ECDSA: a new signature). */
START_TEST(test_presigned_without_nonce_fresh_with_nonce)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf plain = {0}, nonce_a = {0}, nonce_b = {0};
    struct responder_answer first, second, with_a, with_b;
    struct ocsp_response ra, rb;
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &plain);
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, "nonce-a-12345678", &nonce_a);
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, "nonce-a-12345678", &nonce_b);

    ask(r, &plain, &first);
    ask(r, &plain, &second);
    ck_assert(!first.from_cache);
    ck_assert(first.is_cacheable);
    ck_assert(second.from_cache);
    ck_assert(second.is_cacheable);
    ck_assert(answers_equal(&first, &second));
    ck_assert_int_eq(second.this_update, first.this_update);
    ck_assert_int_eq(second.next_update, first.next_update);
    ck_assert_int_eq(second.kind, ANSWER_GOOD);

    /* The same nonce twice still gets two signatures (nothing is replayed). */
    ask(r, &nonce_a, &with_a);
    ask(r, &nonce_b, &with_b);
    ck_assert(!with_a.from_cache && !with_b.from_cache);
    ck_assert(!answers_equal(&with_a, &with_b));
    parse_ok(&with_a, &ra);
    parse_ok(&with_b, &rb);
    ck_assert(ra.has_nonce && rb.has_nonce);
    ck_assert(!cursor_equals(&ra.signature, rb.signature.p, rb.signature.left));
    ck_assert(is_signed_by(&ra, &lab.root) && is_signed_by(&rb, &lab.root));

    responder_answer_free(&first);
    responder_answer_free(&second);
    responder_answer_free(&with_a);
    responder_answer_free(&with_b);
    der_buf_free(&plain);
    der_buf_free(&nonce_a);
    der_buf_free(&nonce_b);
    close_responder(r);
}
END_TEST

/* A revocation committed by the CA (another connection) is seen by the very
 * next request, although a pre-signed "good" was waiting in the cache; and
 * with a nonce (_i == 1), although the status read for the last signed
 * answer was remembered. */
START_TEST(test_revocation_bypasses_cache)
{
    bool has_nonce = _i == 1;
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf request = {0};
    struct responder_answer good, cached, revoked, revoked_again;
    struct ocsp_response resp;
    struct cert_record rec;
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, has_nonce ? "nonce-0123456789" : NULL,
                &request);
    ask(r, &request, &good);
    ask(r, &request, &cached);
    ck_assert(cached.from_cache == !has_nonce);
    ck_assert_int_eq(cached.kind, ANSWER_GOOD);

    revoke_cert(lab.dir, "shop.test", REASON_SUPERSEDED, &rec);
    ask(r, &request, &revoked);
    ck_assert_int_eq(revoked.kind, ANSWER_REVOKED);
    ck_assert(!revoked.from_cache);
    parse_ok(&revoked, &resp);
    ck_assert_int_eq(resp.singles[0].status, OCSP_CERT_STATUS_REVOKED);
    ck_assert_int_eq(resp.singles[0].revocation_time, rec.revoked_at);
    ck_assert_int_eq(resp.singles[0].revocation_reason, REASON_SUPERSEDED);
    /* The revoked answer is pre-signed in its turn (with a nonce, signed
     * again, still revoked). */
    ask(r, &request, &revoked_again);
    ck_assert(revoked_again.from_cache == !has_nonce);
    ck_assert_int_eq(revoked_again.kind, ANSWER_REVOKED);
    if (!has_nonce)
        ck_assert(answers_equal(&revoked, &revoked_again));

    responder_answer_free(&good);
    responder_answer_free(&cached);
    responder_answer_free(&revoked);
    responder_answer_free(&revoked_again);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

/* The WAL-index watcher says "maybe" until it has seen the header, "no"
 * while nothing commits (reads do not count), and "maybe" after the CA's
 * commit, which is what lets the responder skip PRAGMA data_version. */
START_TEST(test_db_change_sees_commits)
{
    char path[LAB_PATH_MAX];
    sqlite3 *db = NULL;
    struct db_change_map map;
    struct db_change change = {.has_seen = false};
    ck_assert_int_eq(file_path_join(path, sizeof path, lab.dir, LAB_DB_FILE), 0);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA data_version", NULL, NULL, NULL), SQLITE_OK);
    db_change_map(&map, path);
    ck_assert_msg(map.header != NULL, "the lab's database has no mappable WAL index");
    ck_assert(db_change_maybe(&map, &change));
    db_change_mark(&map, &change);
    ck_assert(!db_change_maybe(&map, &change));
    ck_assert_int_eq(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert(!db_change_maybe(&map, &change));

    revoke_cert(lab.dir, "shop.test", REASON_SUPERSEDED, NULL);
    ck_assert(db_change_maybe(&map, &change));
    db_change_mark(&map, &change);
    ck_assert(!db_change_maybe(&map, &change));
    db_change_forget(&change);
    ck_assert(db_change_maybe(&map, &change));
    sqlite3_close(db); /* before the unmap, which closes a descriptor of the file */
    db_change_unmap(&map);
    ck_assert(db_change_maybe(&map, &change)); /* unmapped: always ask */
}
END_TEST

/* The lab clock moves: before the half-life the pre-signed answer stays;
 * past it (or before its thisUpdate) the responder signs again. */
START_TEST(test_clock_advance_resigns)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf request = {0};
    struct responder_answer first, early, late, back;
    struct errbuf err = {{0}};
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA256, NULL, &request);
    ask(r, &request, &first);
    ck_assert(!first.from_cache);

    ck_assert_msg(clock_offset_write(lab.dir, 40000, &err) == 0, "%s", err.msg);
    ask(r, &request, &early);
    ck_assert(early.from_cache);
    ck_assert(answers_equal(&first, &early));

    /* 24h validity, half-life 12h = 43200 s after thisUpdate. */
    ck_assert_msg(clock_offset_write(lab.dir, 50000, &err) == 0, "%s", err.msg);
    ask(r, &request, &late);
    ck_assert(!late.from_cache);
    ck_assert(late.this_update >= first.this_update + 50000 - 5);
    ck_assert_int_eq(late.next_update - late.this_update, VALIDITY_SECONDS);

    /* A clock set back before that thisUpdate must not serve it either. */
    ck_assert_msg(clock_offset_write(lab.dir, 0, &err) == 0, "%s", err.msg);
    ask(r, &request, &back);
    ck_assert(!back.from_cache);
    ck_assert(back.this_update < late.this_update);

    responder_answer_free(&first);
    responder_answer_free(&early);
    responder_answer_free(&late);
    responder_answer_free(&back);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

/* When every worker is busy a new one (a new database handle) is made; it
 * has no baseline for what the cache saw, so a revocation committed before
 * it opened must still win over the cached "good". Busy workers are
 * simulated by emptying the idle list (the field service.h documents). */
START_TEST(test_new_worker_sees_revocation)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf request = {0};
    struct responder_answer good, revoked;
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &request);
    ask(r, &request, &good);
    ck_assert_int_eq(good.kind, ANSWER_GOOD);
    revoke_cert(lab.dir, "shop.test", REASON_KEY_COMPROMISE, NULL);

    pthread_mutex_lock(&r->lock);
    r->idle_workers = NULL; /* still on all_workers: closed with the responder */
    pthread_mutex_unlock(&r->lock);
    ask(r, &request, &revoked);
    ck_assert_int_eq(revoked.kind, ANSWER_REVOKED);
    ck_assert(!revoked.from_cache);

    responder_answer_free(&good);
    responder_answer_free(&revoked);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

struct race {
    struct responder *r;
    const struct der_buf *request;
    int revoked_done;      /* atomic: ca_revoke has returned */
    int bad_answers;       /* atomic */
    int good_after_revoke; /* atomic: requests started after the revocation that said good */
    int answered;          /* atomic */
};

static void *race_worker(void *arg)
{
    struct race *race = arg;
    for (int i = 0; i < 60; i++) {
        int was_revoked = __atomic_load_n(&race->revoked_done, __ATOMIC_SEQ_CST);
        struct responder_answer answer;
        struct ocsp_response resp;
        struct errbuf err = {{0}};
        struct request_origin origin = {
            .user_agent = NULL, .client_addr = "127.0.0.1", .method = "POST"};
        responder_answer(race->r, race->request->data, race->request->len, &origin, &answer);
        if (ocsp_response_parse(answer.body.data, answer.body.len, &resp, &err) != 0 ||
            resp.response_status != OCSP_RESPONSE_SUCCESSFUL || resp.single_count != 1 ||
            (resp.singles[0].status != OCSP_CERT_STATUS_GOOD &&
             resp.singles[0].status != OCSP_CERT_STATUS_REVOKED))
            __atomic_add_fetch(&race->bad_answers, 1, __ATOMIC_SEQ_CST);
        else if (was_revoked && resp.singles[0].status == OCSP_CERT_STATUS_GOOD)
            __atomic_add_fetch(&race->good_after_revoke, 1, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&race->answered, 1, __ATOMIC_SEQ_CST);
        responder_answer_free(&answer);
    }
    return NULL;
}

/* Four threads ask while the CA revokes: every answer is well formed, and no
 * request that began after the revocation was committed hears "good",
 * whether answers are pre-signed (_i == 0) or signed per nonce (_i == 1). */
START_TEST(test_concurrent_answers_and_revocation)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf request = {0};
    pthread_t threads[4];
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, _i == 1 ? "nonce-0123456789" : NULL,
                &request);
    struct race race = {.r = r, .request = &request};
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race_worker, &race), 0);
    while (__atomic_load_n(&race.answered, __ATOMIC_SEQ_CST) < 40)
        usleep(1000);
    revoke_cert(lab.dir, "shop.test", REASON_KEY_COMPROMISE, NULL);
    __atomic_store_n(&race.revoked_done, 1, __ATOMIC_SEQ_CST);
    for (size_t i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    ck_assert_int_eq(race.bad_answers, 0);
    ck_assert_int_eq(race.good_after_revoke, 0);
    ck_assert_int_eq(race.answered, 240);

    json_t *stats = stats_snapshot(&r->stats);
    ck_assert_int_eq(json_integer_value(json_object_get(stats, "requests")), 240);
    json_decref(stats);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

/* The cache on its own: hits only inside [thisUpdate, refresh_at), copies
 * out, refuses a store from before an invalidation, bounds keys and size. */
START_TEST(test_cache_rules)
{
    struct response_cache *cache = calloc(1, sizeof *cache);
    ck_assert_ptr_nonnull(cache);
    ck_assert_int_eq(cache_init(cache), 0);
    uint8_t der[] = {0x30, 0x03, 0x0a, 0x01, 0x00};
    uint8_t key[] = {1, 2, 3, 4};
    struct cached_answer entry = {
        .der = der,
        .der_len = sizeof der,
        .this_update = 1000,
        .next_update = 3000,
        .refresh_at = 2000,
        .status = OCSP_CERT_STATUS_REVOKED,
        .revocation_time = 900,
        .revocation_reason = 4,
    };
    snprintf(entry.name, sizeof entry.name, "shop.test");
    struct cached_answer out;

    uint64_t generation = cache_generation(cache);
    cache_store(cache, generation, key, sizeof key, &entry);
    der[0] = 0; /* the cache keeps its own copy */
    ck_assert(cache_lookup(cache, key, sizeof key, 1500, &out));
    ck_assert_uint_eq(out.der_len, sizeof der);
    ck_assert_int_eq(out.der[0], 0x30);
    ck_assert_int_eq(out.status, OCSP_CERT_STATUS_REVOKED);
    ck_assert_int_eq(out.revocation_time, 900);
    ck_assert_int_eq(out.revocation_reason, 4);
    ck_assert_str_eq(out.name, "shop.test");
    out.der[1] = 0x77; /* and hands out copies */
    free(out.der);
    ck_assert(cache_lookup(cache, key, sizeof key, 1000, &out));
    ck_assert_int_eq(out.der[1], 0x03);
    free(out.der);
    ck_assert(!cache_lookup(cache, key, sizeof key, 999, &out));  /* before thisUpdate */
    ck_assert(!cache_lookup(cache, key, sizeof key, 2000, &out)); /* at refresh_at */
    uint8_t other_key[] = {1, 2, 3, 5};
    ck_assert(!cache_lookup(cache, other_key, sizeof other_key, 1500, &out));
    ck_assert(!cache_lookup(cache, key, 3, 1500, &out)); /* a prefix is another key */

    /* An answer read before an invalidation is dropped, not stored. */
    uint64_t stale_generation = cache_generation(cache);
    cache_invalidate(cache);
    ck_assert(!cache_lookup(cache, key, sizeof key, 1500, &out));
    cache_store(cache, stale_generation, key, sizeof key, &entry);
    ck_assert(!cache_lookup(cache, key, sizeof key, 1500, &out));
    cache_store(cache, cache_generation(cache), key, sizeof key, &entry);
    ck_assert(cache_lookup(cache, key, sizeof key, 1500, &out));
    free(out.der);

    /* Keys longer than CACHE_MAX_KEY are simply not cached. */
    uint8_t long_key[CACHE_MAX_KEY + 1];
    memset(long_key, 7, sizeof long_key);
    cache_store(cache, cache_generation(cache), long_key, sizeof long_key, &entry);
    ck_assert(!cache_lookup(cache, long_key, sizeof long_key, 1500, &out));
    ck_assert(cache_lookup(cache, long_key, CACHE_MAX_KEY, 1500, &out) == false);

    /* Filling it past three quarters starts over, and it keeps working. */
    for (uint32_t i = 0; i < CACHE_SLOTS; i++) {
        uint8_t k[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        cache_store(cache, cache_generation(cache), k, sizeof k, &entry);
        ck_assert(cache_lookup(cache, k, sizeof k, 1500, &out));
        free(out.der);
        ck_assert_uint_le(cache->used, CACHE_SLOTS * 3 / 4);
    }
    cache_free(cache);
    free(cache);
}
END_TEST

/* ---- faults ------------------------------------------------------------------------ */

static const uint8_t status_only_trylater[] = {0x30, 0x03, 0x0a, 0x01, 0x03};
static const uint8_t status_only_unauthorized[] = {0x30, 0x03, 0x0a, 0x01, 0x06};
static const uint8_t status_only_malformed[] = {0x30, 0x03, 0x0a, 0x01, 0x01};

static bool body_is(const struct responder_answer *answer, const uint8_t *bytes, size_t len)
{
    return answer->body.len == len && memcmp(answer->body.data, bytes, len) == 0;
}

START_TEST(test_fault_answers)
{
    enum responder_fault fault = (enum responder_fault)_i;
    struct responder *r = open_responder(fault, 300);
    struct der_buf request = {0};
    struct responder_answer answer, again;
    struct ocsp_response resp;
    struct errbuf err = {{0}};
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &request);
    int64_t started = clock_monotonic_ms();
    ask(r, &request, &answer);
    int64_t took = clock_monotonic_ms() - started;
    if (fault != FAULT_SLOW)
        ck_assert_int_lt(took, 250);

    switch (fault) {
    case FAULT_NONE:
    case FAULT_SLOW:
        parse_ok(&answer, &resp);
        ck_assert_int_eq(resp.singles[0].status, OCSP_CERT_STATUS_GOOD);
        ck_assert(is_signed_by(&resp, &lab.root));
        if (fault == FAULT_SLOW)
            ck_assert_int_ge(took, 280);
        break;
    case FAULT_TRYLATER:
        ck_assert(body_is(&answer, status_only_trylater, sizeof status_only_trylater));
        ck_assert_int_eq(answer.response_status, OCSP_RESPONSE_TRY_LATER);
        break;
    case FAULT_UNAUTHORIZED:
        ck_assert(body_is(&answer, status_only_unauthorized, sizeof status_only_unauthorized));
        ck_assert_int_eq(answer.response_status, OCSP_RESPONSE_UNAUTHORIZED);
        break;
    case FAULT_GARBAGE:
        ck_assert_int_ne(ocsp_response_parse(answer.body.data, answer.body.len, &resp, &err), 0);
        ck_assert_int_eq(answer.response_status, -1);
        ck_assert_int_ne(answer.body.data[0], 0x30); /* not even a SEQUENCE */
        break;
    case FAULT_STALE:
        parse_ok(&answer, &resp);
        ck_assert(is_signed_by(&resp, &lab.root));
        ck_assert_int_eq(resp.singles[0].status, OCSP_CERT_STATUS_GOOD);
        ck_assert(resp.singles[0].has_next_update);
        ck_assert_int_lt(resp.singles[0].next_update, clock_now() - 300);
        ck_assert_int_eq(resp.singles[0].next_update - resp.singles[0].this_update,
                         VALIDITY_SECONDS);
        break;
    }
    bool is_error =
        fault == FAULT_TRYLATER || fault == FAULT_UNAUTHORIZED || fault == FAULT_GARBAGE;
    ck_assert_int_eq(answer.kind, is_error ? ANSWER_ERROR : ANSWER_GOOD);
    /* Errors and stale answers are never pre-signed or cached by HTTP caches. */
    if (is_error || fault == FAULT_STALE) {
        ck_assert(!answer.is_cacheable);
        ask(r, &request, &again);
        ck_assert(!again.from_cache);
        responder_answer_free(&again);
    }
    json_t *stats = stats_snapshot(&r->stats);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(stats, "responses"), "error")),
        is_error ? 2 : 0);
    json_decref(stats);

    responder_answer_free(&answer);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

/* Switching the fault on a running responder keeps the counters, and a
 * pre-signed answer made before the fault is not served while it is on. */
START_TEST(test_fault_switch_at_runtime)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf request = {0};
    struct responder_answer a1, a2, a3, a4;
    enum responder_fault fault;
    int delay_ms;
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &request);
    ask(r, &request, &a1);
    ck_assert_int_eq(a1.kind, ANSWER_GOOD);

    responder_set_fault(r, FAULT_TRYLATER, 0);
    responder_get_fault(r, &fault, &delay_ms);
    ck_assert_int_eq(fault, FAULT_TRYLATER);
    ask(r, &request, &a2);
    ck_assert(body_is(&a2, status_only_trylater, sizeof status_only_trylater));

    responder_set_fault(r, FAULT_STALE, 0);
    ask(r, &request, &a3);
    ck_assert(!a3.from_cache);
    ck_assert_int_lt(a3.next_update, clock_now());

    responder_set_fault(r, FAULT_NONE, 0);
    ask(r, &request, &a4);
    ck_assert_int_eq(a4.kind, ANSWER_GOOD);
    ck_assert(a4.from_cache);
    ck_assert(answers_equal(&a1, &a4));

    json_t *stats = stats_snapshot(&r->stats);
    json_t *responses = json_object_get(stats, "responses");
    ck_assert_int_eq(json_integer_value(json_object_get(stats, "requests")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(responses, "good")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(responses, "error")), 1);
    json_decref(stats);

    /* The delay: kept when not given, capped at FAULT_MAX_DELAY_MS. */
    responder_set_fault(r, FAULT_SLOW, 1500);
    responder_set_fault(r, FAULT_SLOW, 0);
    responder_get_fault(r, &fault, &delay_ms);
    ck_assert_int_eq(fault, FAULT_SLOW);
    ck_assert_int_eq(delay_ms, 1500);
    responder_set_fault(r, FAULT_SLOW, FAULT_MAX_DELAY_MS * 10);
    responder_get_fault(r, &fault, &delay_ms);
    ck_assert_int_eq(delay_ms, FAULT_MAX_DELAY_MS);

    responder_answer_free(&a1);
    responder_answer_free(&a2);
    responder_answer_free(&a3);
    responder_answer_free(&a4);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

static void *stop_soon(void *arg)
{
    usleep(200 * 1000);
    responder_stop(arg);
    return NULL;
}

/* Shutting down cuts a "slow" wait short: the answer still goes out. */
START_TEST(test_stop_cuts_slow_fault_short)
{
    struct responder *r = open_responder(FAULT_SLOW, 20000);
    struct der_buf request = {0};
    struct responder_answer answer;
    struct ocsp_response resp;
    pthread_t stopper;
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &request);
    ck_assert_int_eq(pthread_create(&stopper, NULL, stop_soon, r), 0);
    int64_t started = clock_monotonic_ms();
    ask(r, &request, &answer);
    int64_t took = clock_monotonic_ms() - started;
    pthread_join(stopper, NULL);
    ck_assert_int_ge(took, 150);
    ck_assert_int_lt(took, 2000);
    parse_ok(&answer, &resp);
    ck_assert_int_eq(resp.singles[0].status, OCSP_CERT_STATUS_GOOD);
    responder_answer_free(&answer);
    der_buf_free(&request);
    close_responder(r);
}
END_TEST

static const struct fault_name_row {
    const char *name;
    int want; /* enum responder_fault, or -1 for refused */
} fault_name_rows[] = {
    {"none", FAULT_NONE},
    {"slow", FAULT_SLOW},
    {"trylater", FAULT_TRYLATER},
    {"garbage", FAULT_GARBAGE},
    {"unauthorized", FAULT_UNAUTHORIZED},
    {"stale", FAULT_STALE},
    {"bogus", -1},
    {"", -1},
    {"TRYLATER", -1},
    {"trylater ", -1},
    {"slo", -1},
};

START_TEST(test_fault_names)
{
    const struct fault_name_row *row = &fault_name_rows[_i];
    enum responder_fault fault = FAULT_NONE;
    int rc = fault_parse(row->name, &fault);
    if (row->want < 0) {
        ck_assert_int_ne(rc, 0);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_int_eq(fault, row->want);
        ck_assert_str_eq(fault_name(fault), row->name);
        ck_assert(test_contains(FAULT_NAMES, row->name));
    }
}
END_TEST

/* ---- hostile requests ---------------------------------------------------------------- */

/* A request with `count` copies of one CertID, built with the DER writer. */
static void request_with_copies(const struct der_cursor *cert_id, size_t count, struct der_buf *out)
{
    der_begin(out, DER_TAG_SEQUENCE);
    der_begin(out, DER_TAG_SEQUENCE);
    der_begin(out, DER_TAG_SEQUENCE);
    for (size_t i = 0; i < count; i++) {
        der_begin(out, DER_TAG_SEQUENCE);
        der_write_raw(out, cert_id->p, cert_id->left);
        der_end(out);
    }
    der_end(out);
    der_end(out);
    der_end(out);
    ck_assert_int_eq(der_buf_error(out), DER_OK);
}

enum bad_input {
    BAD_EMPTY,
    BAD_RANDOM,
    BAD_TRUNCATED,
    BAD_TRAILING_BYTE,
    BAD_17_CERT_IDS,
    BAD_1000_CERT_IDS,
    BAD_NOT_A_REQUEST, /* a valid DER response, not a request */
    BAD_OTHER_CA,
    BAD_OTHER_CA_SECOND,
};

static const struct bad_row {
    enum bad_input input;
    const uint8_t *want;
} bad_rows[] = {
    {BAD_EMPTY, status_only_malformed},
    {BAD_RANDOM, status_only_malformed},
    {BAD_TRUNCATED, status_only_malformed},
    {BAD_TRAILING_BYTE, status_only_malformed},
    {BAD_17_CERT_IDS, status_only_malformed},
    {BAD_1000_CERT_IDS, status_only_malformed},
    {BAD_NOT_A_REQUEST, status_only_malformed},
    {BAD_OTHER_CA, status_only_unauthorized},
    {BAD_OTHER_CA_SECOND, status_only_unauthorized},
};

START_TEST(test_bad_requests)
{
    const struct bad_row *row = &bad_rows[_i];
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf good = {0}, bytes = {0};
    struct responder_answer answer;
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &good);
    struct der_cursor id = request_cert_id(&good);
    char *other_lab = NULL;

    switch (row->input) {
    case BAD_EMPTY:
        break;
    case BAD_RANDOM: {
        uint8_t noise[200];
        srand(1234);
        for (size_t i = 0; i < sizeof noise; i++)
            noise[i] = (uint8_t)rand();
        der_write_raw(&bytes, noise, sizeof noise);
        break;
    }
    case BAD_TRUNCATED:
        der_write_raw(&bytes, good.data, good.len - 1);
        break;
    case BAD_TRAILING_BYTE:
        der_write_raw(&bytes, good.data, good.len);
        der_write_raw(&bytes, (const uint8_t *)"\0", 1);
        break;
    case BAD_17_CERT_IDS:
        request_with_copies(&id, OCSP_MAX_REQUEST_CERTS + 1, &bytes);
        break;
    case BAD_1000_CERT_IDS:
        request_with_copies(&id, 1000, &bytes);
        break;
    case BAD_NOT_A_REQUEST:
        der_write_raw(&bytes, status_only_trylater, sizeof status_only_trylater);
        break;
    case BAD_OTHER_CA:
    case BAD_OTHER_CA_SECOND: {
        /* Another lab's root and its shop.test: we cannot speak for that CA. */
        struct der_buf other_root_der = {0}, other_cert_der = {0}, other_request = {0};
        struct x509_cert other_root, other_cert;
        other_lab = test_tmpdir();
        init_ca(other_lab, KEY_EC_P256, false);
        issue(other_lab, "shop.test", NULL);
        load_cert(other_lab, LAB_ROOT_CERT, &other_root_der, &other_root);
        load_cert(other_lab, "certs/shop.test.pem", &other_cert_der, &other_cert);
        request_for(&other_cert, &other_root, OCSP_HASH_SHA1, NULL, &other_request);
        struct der_cursor other_id = request_cert_id(&other_request);
        der_begin(&bytes, DER_TAG_SEQUENCE);
        der_begin(&bytes, DER_TAG_SEQUENCE);
        der_begin(&bytes, DER_TAG_SEQUENCE);
        if (row->input == BAD_OTHER_CA_SECOND) {
            der_begin(&bytes, DER_TAG_SEQUENCE);
            der_write_raw(&bytes, id.p, id.left);
            der_end(&bytes);
        }
        der_begin(&bytes, DER_TAG_SEQUENCE);
        der_write_raw(&bytes, other_id.p, other_id.left);
        der_end(&bytes);
        der_end(&bytes);
        der_end(&bytes);
        der_end(&bytes);
        ck_assert_int_eq(der_buf_error(&bytes), DER_OK);
        der_buf_free(&other_root_der);
        der_buf_free(&other_cert_der);
        der_buf_free(&other_request);
        break;
    }
    }
    ask_bytes(r, bytes.data != NULL ? bytes.data : (const uint8_t *)"", bytes.len, &answer);
    ck_assert_msg(body_is(&answer, row->want, 5), "row %d: %zu bytes, status %d", _i,
                  answer.body.len, answer.response_status);
    ck_assert_int_eq(answer.kind, ANSWER_ERROR);
    ck_assert_int_eq(answer.response_status, row->want[4]);
    ck_assert(!answer.is_cacheable);

    /* And it still answers a good request afterwards. */
    struct responder_answer after;
    struct ocsp_response resp;
    ask(r, &good, &after);
    parse_ok(&after, &resp);
    ck_assert_int_eq(resp.singles[0].status, OCSP_CERT_STATUS_GOOD);

    responder_answer_free(&after);
    responder_answer_free(&answer);
    der_buf_free(&bytes);
    der_buf_free(&good);
    if (other_lab != NULL) {
        test_rmtree(other_lab);
        free(other_lab);
    }
    close_responder(r);
}
END_TEST

/* The most CertIDs a request may carry are all answered. */
START_TEST(test_most_cert_ids_answered)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf good = {0}, bytes = {0};
    struct responder_answer answer;
    struct ocsp_response resp;
    request_for(&lab.old, &lab.root, OCSP_HASH_SHA1, NULL, &good);
    struct der_cursor id = request_cert_id(&good);
    request_with_copies(&id, OCSP_MAX_REQUEST_CERTS, &bytes);
    ask(r, &bytes, &answer);
    parse_ok(&answer, &resp);
    ck_assert_uint_eq(resp.single_count, OCSP_MAX_REQUEST_CERTS);
    for (size_t i = 0; i < resp.single_count; i++)
        ck_assert_int_eq(resp.singles[i].status, OCSP_CERT_STATUS_REVOKED);
    ck_assert(is_signed_by(&resp, &lab.root));
    responder_answer_free(&answer);
    der_buf_free(&bytes);
    der_buf_free(&good);
    close_responder(r);
}
END_TEST

/* ---- counters ------------------------------------------------------------------------ */

static const struct ua_row {
    const char *user_agent;
    enum requester want;
} ua_rows[] = {
    {"ocsp-lab-browser/0.1", REQUESTER_BROWSER},
    {"ocsp-lab-browser/12.3 (user 4)", REQUESTER_BROWSER},
    {"ocsp-lab-webserver/0.1", REQUESTER_WEBSERVER},
    {NULL, REQUESTER_OTHER},
    {"", REQUESTER_OTHER},
    {"curl/7.88.1", REQUESTER_OTHER},
    {"ocsp-lab-browser", REQUESTER_OTHER}, /* no version: not our browser */
    {"Mozilla/5.0 ocsp-lab-browser/0.1", REQUESTER_OTHER},
    {"ocsp-lab-webserverX/0.1", REQUESTER_OTHER},
};

START_TEST(test_requester_from_user_agent)
{
    const struct ua_row *row = &ua_rows[_i];
    ck_assert_int_eq(requester_from_user_agent(row->user_agent), row->want);
    ck_assert_str_eq(requester_name(row->want), row->want == REQUESTER_BROWSER     ? "browser"
                                                : row->want == REQUESTER_WEBSERVER ? "webserver"
                                                                                   : "other");
}
END_TEST

/* Exactly the keys of DESIGN section 6, no more, no fewer, plus the CRL's
 * own counters ("crl": downloads, bytes, last_bytes, by_client), kept apart
 * from OCSP. */
static void assert_stats_shape(json_t *stats)
{
    ck_assert(json_is_object(stats));
    ck_assert_uint_eq(json_object_size(stats), 5);
    json_t *crl = json_object_get(stats, "crl");
    ck_assert(json_is_object(crl) && json_object_size(crl) == 4);
    ck_assert(json_is_integer(json_object_get(crl, "last_bytes")));
    ck_assert(json_is_integer(json_object_get(crl, "downloads")) &&
              json_is_integer(json_object_get(crl, "bytes")) &&
              json_is_object(json_object_get(crl, "by_client")));
    ck_assert(json_is_integer(json_object_get(stats, "requests")));
    json_t *by_requester = json_object_get(stats, "by_requester");
    ck_assert(json_is_object(by_requester));
    ck_assert_uint_eq(json_object_size(by_requester), 3);
    const char *requesters[] = {"browser", "webserver", "other"};
    for (size_t i = 0; i < 3; i++)
        ck_assert(json_is_integer(json_object_get(by_requester, requesters[i])));
    json_t *by_client = json_object_get(stats, "by_client");
    ck_assert(json_is_object(by_client));
    const char *key;
    json_t *value;
    json_object_foreach(by_client, key, value) ck_assert(json_is_integer(value));
    json_t *responses = json_object_get(stats, "responses");
    ck_assert(json_is_object(responses));
    ck_assert_uint_eq(json_object_size(responses), 4);
    const char *kinds[] = {"good", "revoked", "unknown", "error"};
    for (size_t i = 0; i < 4; i++)
        ck_assert(json_is_integer(json_object_get(responses, kinds[i])));
}

static json_int_t stat_at(json_t *stats, const char *group, const char *key)
{
    json_t *where = group != NULL ? json_object_get(stats, group) : stats;
    json_t *value = json_object_get(where, key);
    ck_assert_msg(json_is_integer(value), "no %s.%s", group != NULL ? group : "", key);
    return json_integer_value(value);
}

START_TEST(test_counters_from_answers)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf shop = {0}, old = {0}, never = {0};
    struct responder_answer answers[6];
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &shop);
    request_for(&lab.old, &lab.root, OCSP_HASH_SHA1, NULL, &old);
    request_never_issued(OCSP_HASH_SHA1, NULL, &never);

    json_t *empty = stats_snapshot(&r->stats);
    assert_stats_shape(empty);
    ck_assert_int_eq(stat_at(empty, NULL, "requests"), 0);
    ck_assert_uint_eq(json_object_size(json_object_get(empty, "by_client")), 0);
    json_decref(empty);

    ask_as(r, &shop, "ocsp-lab-browser/0.1", "127.0.1.3", &answers[0]);
    ask_as(r, &shop, "ocsp-lab-browser/0.1", "127.0.1.4", &answers[1]);
    ask_as(r, &old, "ocsp-lab-webserver/0.1", "127.0.1.3", &answers[2]);
    ask_as(r, &never, "curl/7.88.1", "127.0.0.1", &answers[3]);
    ask_as(r, &never, NULL, "127.0.1.3", &answers[4]);
    struct request_origin origin = {
        .user_agent = "ocsp-lab-browser/0.1", .client_addr = "127.0.1.4", .method = "GET"};
    responder_answer(r, (const uint8_t *)"junk", 4, &origin, &answers[5]);

    json_t *stats = stats_snapshot(&r->stats);
    assert_stats_shape(stats);
    ck_assert_int_eq(stat_at(stats, NULL, "requests"), 6);
    ck_assert_int_eq(stat_at(stats, "by_requester", "browser"), 3);
    ck_assert_int_eq(stat_at(stats, "by_requester", "webserver"), 1);
    ck_assert_int_eq(stat_at(stats, "by_requester", "other"), 2);
    ck_assert_uint_eq(json_object_size(json_object_get(stats, "by_client")), 3);
    ck_assert_int_eq(stat_at(stats, "by_client", "127.0.1.3"), 3);
    ck_assert_int_eq(stat_at(stats, "by_client", "127.0.1.4"), 2);
    ck_assert_int_eq(stat_at(stats, "by_client", "127.0.0.1"), 1);
    ck_assert_int_eq(stat_at(stats, "responses", "good"), 2);
    ck_assert_int_eq(stat_at(stats, "responses", "revoked"), 1);
    ck_assert_int_eq(stat_at(stats, "responses", "unknown"), 2);
    ck_assert_int_eq(stat_at(stats, "responses", "error"), 1);

    /* A snapshot is a copy: later requests do not change it. */
    struct responder_answer later;
    ask_as(r, &shop, NULL, "127.0.1.3", &later);
    ck_assert_int_eq(stat_at(stats, "by_client", "127.0.1.3"), 3);
    ck_assert_int_eq(stat_at(stats, NULL, "requests"), 6);
    json_decref(stats);
    responder_answer_free(&later);

    for (size_t i = 0; i < 6; i++)
        responder_answer_free(&answers[i]);
    der_buf_free(&shop);
    der_buf_free(&old);
    der_buf_free(&never);
    close_responder(r);
}
END_TEST

/* A request refused before the OCSP layer (HTTP 413/415) counts as an error
 * of its requester and address, and is traced as ocsp.request.rejected. */
START_TEST(test_rejected_request_counted_and_traced)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct request_origin origin = {
        .user_agent = "ocsp-lab-webserver/0.1", .client_addr = "127.0.1.9", .method = "POST"};
    responder_note_rejected(r, &origin, 415, "the Content-Type is not application/ocsp-request");
    json_t *stats = stats_snapshot(&r->stats);
    assert_stats_shape(stats);
    ck_assert_int_eq(stat_at(stats, NULL, "requests"), 1);
    ck_assert_int_eq(stat_at(stats, "responses", "error"), 1);
    ck_assert_int_eq(stat_at(stats, "by_requester", "webserver"), 1);
    ck_assert_int_eq(stat_at(stats, "by_client", "127.0.1.9"), 1);
    json_decref(stats);

    char path[LAB_PATH_MAX];
    size_t len = 0;
    uint8_t *text = NULL;
    struct errbuf err = {{0}};
    ck_assert(file_path_join(path, sizeof path, lab.dir, LAB_TRACE_FILE) == 0);
    ck_assert_msg(file_read_all(path, 1 << 20, &text, &len, &err) == 0, "%s", err.msg);
    const char *line = strstr((const char *)text, "\"event\":\"ocsp.request.rejected\"");
    ck_assert_msg(line != NULL, "no ocsp.request.rejected line in:\n%s", text);
    ck_assert(strstr(line + 30, "ocsp.request.rejected") == NULL); /* exactly one */
    ck_assert(test_contains(line, "\"http_status\":415"));
    ck_assert(test_contains(line, "\"client\":\"127.0.1.9\""));
    ck_assert(!test_contains((const char *)text, "ocsp.response.sent"));
    free(text);
    close_responder(r);
}
END_TEST

/* Distinct addresses are bounded: past STATS_MAX_CLIENTS new ones count as
 * "other", known ones keep counting; no address means "unknown". */
START_TEST(test_counters_bound_clients)
{
    struct responder_stats stats;
    char address[32];
    ck_assert_int_eq(stats_init(&stats), 0);
    for (int i = 0; i < STATS_MAX_CLIENTS; i++) {
        snprintf(address, sizeof address, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        stats_count(&stats, REQUESTER_OTHER, address, ANSWER_GOOD);
    }
    stats_count(&stats, REQUESTER_BROWSER, "192.0.2.1", ANSWER_REVOKED);
    stats_count(&stats, REQUESTER_BROWSER, "192.0.2.2", ANSWER_REVOKED);
    stats_count(&stats, REQUESTER_WEBSERVER, "10.0.0.7", ANSWER_ERROR);
    json_t *snap = stats_snapshot(&stats);
    assert_stats_shape(snap);
    json_t *by_client = json_object_get(snap, "by_client");
    ck_assert_uint_eq(json_object_size(by_client), STATS_MAX_CLIENTS + 1);
    ck_assert_ptr_null(json_object_get(by_client, "192.0.2.1"));
    ck_assert_int_eq(stat_at(snap, "by_client", "other"), 2);
    ck_assert_int_eq(stat_at(snap, "by_client", "10.0.0.7"), 2);
    ck_assert_int_eq(stat_at(snap, NULL, "requests"), STATS_MAX_CLIENTS + 3);
    ck_assert_int_eq(stat_at(snap, "responses", "revoked"), 2);
    ck_assert_int_eq(stat_at(snap, "responses", "error"), 1);
    json_decref(snap);
    stats_free(&stats);

    ck_assert_int_eq(stats_init(&stats), 0);
    stats_count(&stats, REQUESTER_OTHER, NULL, ANSWER_UNKNOWN);
    snap = stats_snapshot(&stats);
    ck_assert_int_eq(stat_at(snap, "by_client", "unknown"), 1);
    json_decref(snap);
    stats_free(&stats);
    stats_free(&stats); /* twice is harmless */
}
END_TEST

/* ---- the trace -------------------------------------------------------------------- */

/* The ocsp.response.sent lines of the lab's trace, in order. */
/* The trace's events named `name`, in order (caller json_decref()s). */
static json_t *trace_events_named(const char *name)
{
    char path[LAB_PATH_MAX];
    char line[TRACE_MAX_LINE + 2];
    json_t *lines = json_array();
    ck_assert(file_path_join(path, sizeof path, lab.dir, LAB_TRACE_FILE) == 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL) {
        json_error_t error;
        json_t *event = json_loads(line, 0, &error);
        ck_assert_msg(event != NULL, "trace line is not JSON: %s", error.text);
        if (strcmp(json_string_value(json_object_get(event, "event")), name) == 0)
            json_array_append(lines, event);
        json_decref(event);
    }
    fclose(f);
    return lines;
}

static json_t *response_lines(void)
{
    return trace_events_named("ocsp.response.sent");
}

static const char *field(json_t *event, const char *name)
{
    json_t *value = json_object_get(event, name);
    ck_assert_msg(json_is_string(value), "field %s missing", name);
    return json_string_value(value);
}

/* A flood does not flood the trace: beyond the budget (10 answers a second
 * here, 1,000 by default) the rest of each second is one summary event with
 * the counts, and traced + summed is every answer, by requester too. */
START_TEST(test_trace_budget_sums_a_flood)
{
    struct responder_config config = {
        .lab_dir = lab.dir,
        .validity_seconds = VALIDITY_SECONDS,
        .trace_answers_per_second = 10,
    };
    struct responder *r = open_responder_with(&config);
    struct der_buf shop = {0};
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &shop);
    enum { ANSWERS = 100 };
    size_t bytes = 0;
    int64_t started = clock_monotonic_ms();
    for (int i = 0; i < ANSWERS; i++) {
        struct responder_answer answer;
        ask_as(r, &shop, i % 2 == 0 ? "ocsp-lab-browser/0.1" : NULL, "127.0.1.3", &answer);
        bytes += answer.body.len;
        responder_answer_free(&answer);
    }
    int64_t seconds = (clock_monotonic_ms() - started) / 1000 + 1;
    close_responder(r); /* writes the last summary */
    json_t *traced = response_lines(), *summaries = trace_events_named("ocsp.responses.summarized");
    json_int_t summed = 0, summed_bytes = 0, by_browser = 0, by_other = 0;
    for (size_t i = 0; i < json_array_size(summaries); i++) {
        json_t *e = json_array_get(summaries, i);
        summed += json_integer_value(json_object_get(e, "requests"));
        summed_bytes += json_integer_value(json_object_get(e, "bytes"));
        by_browser +=
            json_integer_value(json_object_get(json_object_get(e, "by_requester"), "browser"));
        by_other +=
            json_integer_value(json_object_get(json_object_get(e, "by_requester"), "other"));
        ck_assert_int_eq(json_integer_value(json_object_get(e, "per_second")), 10);
    }
    ck_assert_int_le((json_int_t)json_array_size(traced), 10 * (seconds + 1));
    ck_assert_int_eq((json_int_t)json_array_size(traced) + summed, ANSWERS);
    ck_assert_int_ge(json_array_size(summaries), 1);
    ck_assert_int_eq(summed, by_browser + by_other);
    ck_assert_int_gt(summed_bytes, 0);
    ck_assert_int_le(summed_bytes, (json_int_t)bytes);
    json_decref(traced);
    json_decref(summaries);
    der_buf_free(&shop);
}
END_TEST

/* One line per answer, with who asked (requester, client), about what
 * (serial, name) and what they were told (status, cached, reason). */
START_TEST(test_trace_one_line_per_answer)
{
    struct responder *r = open_responder(FAULT_NONE, 0);
    struct der_buf shop = {0}, old = {0}, never = {0};
    struct responder_answer answers[5];
    request_for(&lab.shop, &lab.root, OCSP_HASH_SHA1, NULL, &shop);
    request_for(&lab.old, &lab.root, OCSP_HASH_SHA256, "a-nonce-12345678", &old);
    request_never_issued(OCSP_HASH_SHA1, NULL, &never);
    ask_as(r, &shop, "ocsp-lab-browser/0.1", "127.0.1.3", &answers[0]);
    ask_as(r, &shop, "ocsp-lab-webserver/0.1", "127.0.1.4", &answers[1]);
    ask_as(r, &old, NULL, "127.0.0.1", &answers[2]);
    ask_as(r, &never, NULL, "127.0.0.1", &answers[3]);
    struct request_origin origin = {
        .user_agent = NULL, .client_addr = "127.0.0.9", .method = "GET"};
    responder_answer(r, (const uint8_t *)"", 0, &origin, &answers[4]);

    json_t *lines = response_lines();
    ck_assert_uint_eq(json_array_size(lines), 5);
    json_t *e0 = json_array_get(lines, 0), *e1 = json_array_get(lines, 1);
    json_t *e2 = json_array_get(lines, 2), *e3 = json_array_get(lines, 3);
    json_t *e4 = json_array_get(lines, 4);

    ck_assert_str_eq(field(e0, "actor"), "responder");
    ck_assert_str_eq(field(e0, "serial"), lab.shop_rec.serial_hex);
    ck_assert_str_eq(field(e0, "name"), "shop.test");
    ck_assert_str_eq(field(e0, "requester"), "browser");
    ck_assert_str_eq(field(e0, "client"), "127.0.1.3");
    ck_assert_str_eq(field(e0, "status"), "good");
    ck_assert_str_eq(field(e0, "method"), "POST");
    ck_assert(json_is_false(json_object_get(e0, "cached")));
    ck_assert(json_is_false(json_object_get(e0, "nonce")));
    ck_assert(test_contains(field(e0, "msg"), "127.0.1.3"));
    ck_assert(test_contains(field(e0, "msg"), "good"));
    field(e0, "this_update");
    field(e0, "next_update");

    ck_assert_str_eq(field(e1, "requester"), "webserver");
    ck_assert_str_eq(field(e1, "client"), "127.0.1.4");
    ck_assert(json_is_true(json_object_get(e1, "cached")));
    ck_assert_int_eq(json_integer_value(json_object_get(e1, "bytes")),
                     (json_int_t)answers[1].body.len);

    char revoked_at[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(lab.old_rec.revoked_at * 1000, revoked_at, sizeof revoked_at);
    ck_assert_str_eq(field(e2, "serial"), lab.old_rec.serial_hex);
    ck_assert_str_eq(field(e2, "requester"), "other");
    ck_assert_str_eq(field(e2, "status"), "revoked");
    ck_assert_str_eq(field(e2, "reason"), "keyCompromise");
    ck_assert_str_eq(field(e2, "revoked_at"), revoked_at);
    ck_assert(json_is_true(json_object_get(e2, "nonce")));
    ck_assert(test_contains(field(e2, "msg"), "REVOKED"));

    ck_assert_str_eq(field(e3, "serial"), "1234");
    ck_assert_str_eq(field(e3, "status"), "unknown");
    ck_assert_str_eq(field(e3, "name"), "");

    ck_assert_str_eq(field(e4, "status"), "malformedRequest");
    ck_assert_str_eq(field(e4, "serial"), "-");
    ck_assert_str_eq(field(e4, "client"), "127.0.0.9");
    ck_assert_str_eq(field(e4, "method"), "GET");
    ck_assert_ptr_null(json_object_get(e4, "this_update"));
    json_decref(lines);

    for (size_t i = 0; i < 5; i++)
        responder_answer_free(&answers[i]);
    der_buf_free(&shop);
    der_buf_free(&old);
    der_buf_free(&never);
    close_responder(r);
}
END_TEST

/* ---- the pure parts of the HTTP layer ------------------------------------------------------ */

static const struct listen_row {
    const char *spec;
    bool is_ok;
    const char *host;
    unsigned port;
} listen_rows[] = {
    {"127.0.0.1:8080", true, "127.0.0.1", 8080},
    {"127.0.0.1:0", true, "127.0.0.1", 0},
    {"localhost:8443", true, "127.0.0.1", 8443},
    {"127.0.1.3:65535", true, "127.0.1.3", 65535},
    {"0.0.0.0:1", true, "0.0.0.0", 1},
    {"127.0.0.1:65536", false, NULL, 0},
    {"127.0.0.1:", false, NULL, 0},
    {":8080", false, NULL, 0},
    {"127.0.0.1", false, NULL, 0},
    {"8080", false, NULL, 0},
    {"", false, NULL, 0},
    {"127.0.0.1:80x", false, NULL, 0},
    {"127.0.0.1:-1", false, NULL, 0},
    {"example.test:80", false, NULL, 0},
    {"256.0.0.1:80", false, NULL, 0},
    {"[::1]:8080", false, NULL, 0},
    {"127.0.0.1:99999999999999999999", false, NULL, 0},
    {"127.000000000000000000000000000000000000000000000000000000000000000.0.0.1:80", false, NULL,
     0},
};

START_TEST(test_parse_listen)
{
    const struct listen_row *row = &listen_rows[_i];
    char host[64] = "unchanged";
    uint16_t port = 4242;
    struct errbuf err = {{0}};
    int rc = net_parse_listen(row->spec, host, sizeof host, &port, &err);
    if (row->is_ok) {
        ck_assert_msg(rc == 0, "'%s' refused: %s", row->spec, err.msg);
        ck_assert_str_eq(host, row->host);
        ck_assert_uint_eq(port, row->port);
    } else {
        ck_assert_msg(rc != 0, "'%s' accepted", row->spec);
        ck_assert_msg(test_contains(err.msg, row->spec), "%s", err.msg);
        ck_assert_msg(test_contains(err.msg, "127.0.0.1:8080") ||
                          test_contains(err.msg, "0 picks a free port"),
                      "no hint: %s", err.msg);
    }
}
END_TEST

/* base64 text of the lab request, and its url-encoded form. */
static void request_base64(const struct der_buf *request, char *b64, size_t b64_cap, char *encoded,
                           size_t encoded_cap)
{
    word32 len = (word32)b64_cap;
    ck_assert_int_eq(Base64_Encode_NoNl(request->data, (word32)request->len, (byte *)b64, &len), 0);
    ck_assert_uint_lt(len, b64_cap);
    b64[len] = 0;
    size_t n = 0;
    for (const char *p = b64; *p != 0; p++) {
        ck_assert_uint_lt(n + 4, encoded_cap);
        if (*p == '+' || *p == '/' || *p == '=')
            n += (size_t)snprintf(encoded + n, encoded_cap - n, "%%%02X", (unsigned char)*p);
        else
            encoded[n++] = *p;
    }
    encoded[n] = 0;
}

static void lower_percent_hex(char *text)
{
    for (char *p = text; *p != 0; p++)
        if (*p == '%' && p[1] != 0 && p[2] != 0) {
            p[1] = (char)(p[1] >= 'A' && p[1] <= 'F' ? p[1] - 'A' + 'a' : p[1]);
            p[2] = (char)(p[2] >= 'A' && p[2] <= 'F' ? p[2] - 'A' + 'a' : p[2]);
        }
}

/* RFC 5019 GET paths: raw or url-encoded base64, any case of %XX, extra
 * leading slashes; everything else is not a request. */
START_TEST(test_decode_get_path)
{
    struct der_buf request = {0};
    char b64[512], encoded[1024], path[1200];
    uint8_t out[RESPONDER_MAX_REQUEST_BYTES];
    /* Any CertID will do (the decoder does not look inside); its serial is
     * chosen so that the base64 holds '+', '/' and '='. */
    struct ocsp_cert_id_value id = {.hash = OCSP_HASH_SHA1, .hash_len = 20};
    struct errbuf err = {{0}};
    for (size_t i = 0; i < 20; i++) {
        id.issuer_name_hash[i] = (uint8_t)(i * 13 + 1);
        id.issuer_key_hash[i] = (uint8_t)(i * 29 + 7);
    }
    for (unsigned serial = 1;; serial++) {
        ck_assert_uint_lt(serial, 1u << 20);
        id.serial_len = 3;
        id.serial[0] = (uint8_t)(serial >> 16 | 0x10);
        id.serial[1] = (uint8_t)(serial >> 8);
        id.serial[2] = (uint8_t)serial;
        der_buf_free(&request);
        ck_assert(ocsp_request_build(&id, NULL, 0, &request, &err) == 0);
        request_base64(&request, b64, sizeof b64, encoded, sizeof encoded);
        if (strchr(b64, '+') != NULL && strchr(b64, '/') != NULL && strchr(b64, '=') != NULL)
            break;
    }
    const char *slashes[] = {"/", "//", "///"};
    const char *texts[] = {b64, encoded};
    for (size_t f = 0; f < 3; f++) {
        for (size_t t = 0; t < 2; t++) {
            snprintf(path, sizeof path, "%s%s", slashes[f], texts[t]);
            memset(out, 0, sizeof out);
            int len = http_decode_get_path(path, out, sizeof out);
            ck_assert_msg(len == (int)request.len, "'%s' decoded to %d bytes", path, len);
            ck_assert(memcmp(out, request.data, request.len) == 0);
        }
    }
    snprintf(path, sizeof path, "/%s", encoded);
    lower_percent_hex(path);
    ck_assert(test_contains(path, "%2f") || test_contains(path, "%2b"));
    ck_assert_int_eq(http_decode_get_path(path, out, sizeof out), (int)request.len);
    ck_assert(memcmp(out, request.data, request.len) == 0);

    /* Too little room for the result is a refusal, not an overflow. */
    snprintf(path, sizeof path, "/%s", b64);
    ck_assert_int_eq(http_decode_get_path(path, out, request.len - 1), -1);

    const char *refused[] = {
        "",          "/",          "//",     "/%",           "/%2",
        "/%zz",      "/%2G",       "/MF Ew", "/favicon.ico", "/MFEw%00",
        "/MFEw?x=1", "/MFEw#frag", "/ab-_",  "/MF=w",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        ck_assert_msg(http_decode_get_path(refused[i], out, sizeof out) == -1, "'%s' accepted",
                      refused[i]);

    /* A path far longer than any request: refused without overflowing anything. */
    size_t huge_len = RESPONDER_MAX_REQUEST_BYTES * 3;
    char *huge = malloc(huge_len + 2);
    ck_assert_ptr_nonnull(huge);
    huge[0] = '/';
    memset(huge + 1, 'A', huge_len);
    huge[huge_len + 1] = 0;
    ck_assert_int_eq(http_decode_get_path(huge, out, sizeof out), -1);
    free(huge);
    der_buf_free(&request);
}
END_TEST

Suite *responder_suite(void);
Suite *responder_suite(void)
{
    Suite *s = suite_create("responder");

    TCase *answers = tcase_create("answers");
    tcase_set_timeout(answers, 60);
    tcase_add_unchecked_fixture(answers, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(answers, lab_setup, lab_teardown);
    tcase_add_loop_test(answers, test_answer_status, 0,
                        (int)(sizeof status_rows / sizeof status_rows[0]));
    tcase_add_test(answers, test_answer_several_certs);
    tcase_add_loop_test(answers, test_revoked_this_update, 0,
                        sizeof revoked_time_rows / sizeof revoked_time_rows[0]);
    tcase_add_test(answers, test_answer_overlong_serial_is_unknown);
    tcase_add_test(answers, test_responder_id_by_name);
    tcase_add_loop_test(answers, test_bad_requests, 0, (int)(sizeof bad_rows / sizeof bad_rows[0]));
    tcase_add_test(answers, test_most_cert_ids_answered);
    suite_add_tcase(s, answers);

    TCase *delegate = tcase_create("delegate");
    tcase_set_timeout(delegate, 60);
    tcase_add_unchecked_fixture(delegate, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(delegate, delegate_lab_setup, lab_teardown);
    tcase_add_test(delegate, test_delegate_signs_and_is_included);
    suite_add_tcase(s, delegate);

    TCase *opening = tcase_create("opening");
    tcase_set_timeout(opening, 60);
    tcase_add_unchecked_fixture(opening, scratch_setup, scratch_teardown);
    tcase_add_loop_test(opening, test_open_refuses_broken_lab, 0,
                        (int)(sizeof open_rows / sizeof open_rows[0]));
    suite_add_tcase(s, opening);

    TCase *cache = tcase_create("cache");
    tcase_set_timeout(cache, 60);
    tcase_add_unchecked_fixture(cache, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(cache, lab_setup, lab_teardown);
    tcase_add_test(cache, test_presigned_without_nonce_fresh_with_nonce);
    tcase_add_loop_test(cache, test_revocation_bypasses_cache, 0, 2);
    tcase_add_test(cache, test_clock_advance_resigns);
    tcase_add_test(cache, test_new_worker_sees_revocation);
    tcase_add_test(cache, test_db_change_sees_commits);
    tcase_add_loop_test(cache, test_concurrent_answers_and_revocation, 0, 2);
    suite_add_tcase(s, cache);

    TCase *faults = tcase_create("faults");
    tcase_set_timeout(faults, 60);
    tcase_add_unchecked_fixture(faults, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(faults, lab_setup, lab_teardown);
    tcase_add_loop_test(faults, test_fault_answers, FAULT_NONE, FAULT_STALE + 1);
    tcase_add_test(faults, test_fault_switch_at_runtime);
    tcase_add_test(faults, test_stop_cuts_slow_fault_short);
    suite_add_tcase(s, faults);

    TCase *counters = tcase_create("counters");
    tcase_set_timeout(counters, 60);
    tcase_add_unchecked_fixture(counters, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(counters, lab_setup, lab_teardown);
    tcase_add_test(counters, test_counters_from_answers);
    tcase_add_test(counters, test_trace_one_line_per_answer);
    tcase_add_test(counters, test_trace_budget_sums_a_flood);
    tcase_add_test(counters, test_rejected_request_counted_and_traced);
    suite_add_tcase(s, counters);

    /* Pure functions: no lab needed. */
    TCase *parts = tcase_create("parts");
    tcase_set_timeout(parts, 30);
    tcase_add_loop_test(parts, test_parse_listen, 0,
                        (int)(sizeof listen_rows / sizeof listen_rows[0]));
    tcase_add_test(parts, test_decode_get_path);
    tcase_add_loop_test(parts, test_requester_from_user_agent, 0,
                        (int)(sizeof ua_rows / sizeof ua_rows[0]));
    tcase_add_test(parts, test_counters_bound_clients);
    tcase_add_loop_test(parts, test_fault_names, 0,
                        (int)(sizeof fault_name_rows / sizeof fault_name_rows[0]));
    tcase_add_test(parts, test_cache_rules);
    tcase_add_loop_test(parts, test_control_check, 0, sizeof control_rows / sizeof control_rows[0]);
    tcase_add_loop_test(parts, test_control_parse_switch, 0,
                        sizeof switch_rows / sizeof switch_rows[0]);
    tcase_add_test(parts, test_control_parse_long_body);
    suite_add_tcase(s, parts);
    return s;
}
