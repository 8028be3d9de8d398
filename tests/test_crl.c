/* test_crl.c — common/crl: a v2 CRL written and read back (RFC 5280 5),
 * the CRL number's order, serial lookup, and the reader's refusals, one
 * row per kind of broken input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../ca/certbuild.h"
#include "crl.h"
#include "crl_verify.h"
#include "x509.h"

struct fixture {
    WC_RNG rng;
    struct lab_key key;
    struct der_buf root_der;
    struct x509_cert root;
};

static void make_root(struct fixture *f)
{
    struct errbuf err = {{0}};
    struct cert_request req;
    ck_assert_int_eq(wc_InitRng(&f->rng), 0);
    memset(&f->key, 0, sizeof f->key);
    memset(&f->root_der, 0, sizeof f->root_der);
    ck_assert_int_eq(key_generate(&f->key, KEY_EC_P256, &f->rng, &err), 0);
    memset(&req, 0, sizeof req);
    req.profile = PROFILE_ROOT;
    req.common_name = "Test CRL Root";
    req.not_before = 1700000000;
    req.not_after = 1900000000;
    req.subject_key = &f->key;
    req.issuer_key = &f->key;
    ck_assert_int_eq(certbuild_random_serial(&f->rng, req.serial, &err), 0);
    ck_assert_msg(certbuild_make(&req, &f->rng, &f->root_der, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(x509_parse(&f->root, f->root_der.data, f->root_der.len, &err), 0);
}

static void free_root(struct fixture *f)
{
    key_free(&f->key);
    der_buf_free(&f->root_der);
    wc_FreeRng(&f->rng);
}

static const struct crl_entry entries[] = {
    {{0x41, 0x02, 0x03}, 3, 1800000000, 1},
    {{0x7f, 0xff}, 2, 1800000100, 0},
    {{0x80, 0x01}, 2, 1800000200, 5}, /* high bit set: written with a 00 sign octet */
};

static void make_crl(struct fixture *f, size_t count, struct der_buf *out)
{
    struct errbuf err = {{0}};
    struct crl_content c = {
        .issuer_name = f->root.subject.p,
        .issuer_name_len = f->root.subject.left,
        .this_update = 1800000300,
        .next_update = 1800000300 + 86400,
        .number = crl_number(7, 1800000000, 1800000300),
        .entries = entries,
        .entry_count = count,
    };
    ck_assert_msg(crl_make(&c, &f->key, &f->rng, out, &err) == 0, "%s", err.msg);
}

/* A fresh root, a CRL of its first `count` entries, parsed. */
static void make_parsed(struct fixture *f, size_t count, struct der_buf *der, struct crl *crl)
{
    struct errbuf err = {{0}};
    make_root(f);
    make_crl(f, count, der);
    ck_assert_msg(crl_parse(crl, der->data, der->len, &err) == 0, "%s", err.msg);
}

START_TEST(test_round_trip)
{
    struct fixture f;
    struct der_buf der = {0};
    struct crl crl;
    make_parsed(&f, 3, &der, &crl);
    ck_assert_int_eq(crl.version, 2);
    ck_assert_uint_eq(crl.entry_count, 3);
    ck_assert(crl.has_next_update);
    ck_assert_int_eq(crl.this_update, 1800000300);
    ck_assert_int_eq(crl.next_update, 1800000300 + 86400);
    ck_assert(crl.has_number);
    ck_assert_uint_eq(crl.number, (7ull << 32) + 300);
    ck_assert(crl.has_authority_key_id);
    ck_assert_uint_eq(crl.authority_key_id.left, KEY_ID_LEN);
    ck_assert(!crl.has_critical_extension);
    ck_assert(crl.issuer.left == f.root.subject.left &&
              memcmp(crl.issuer.p, f.root.subject.p, crl.issuer.left) == 0);

    struct crl_entry e;
    const uint8_t first[] = {0x41, 0x02, 0x03};
    ck_assert_int_eq(crl_find_serial(&crl, first, sizeof first, &e), 0);
    ck_assert_int_eq(e.revoked_at, 1800000000);
    ck_assert_int_eq(e.reason, 1);
    const uint8_t signed_serial[] = {0x00, 0x80, 0x01}; /* INTEGER contents, as in a cert */
    ck_assert_int_eq(crl_find_serial(&crl, signed_serial, sizeof signed_serial, &e), 0);
    ck_assert_int_eq(e.reason, 5);
    const uint8_t unspecified[] = {0x7f, 0xff};
    ck_assert_int_eq(crl_find_serial(&crl, unspecified, sizeof unspecified, &e), 0);
    ck_assert_int_eq(e.reason, 0);
    const uint8_t absent[] = {0x41, 0x02};
    ck_assert_int_eq(crl_find_serial(&crl, absent, sizeof absent, &e), 1);
    der_buf_free(&der);
    free_root(&f);
}
END_TEST

START_TEST(test_empty_crl_has_no_list)
{
    struct fixture f;
    struct der_buf der = {0};
    struct crl crl;
    make_parsed(&f, 0, &der, &crl);
    ck_assert_uint_eq(crl.entry_count, 0);
    ck_assert_uint_eq(crl.revoked.left, 0);
    der_buf_free(&der);
    free_root(&f);
}
END_TEST

START_TEST(test_number_only_grows)
{
    /* Later in one revision, then a new revision even a moment later. */
    ck_assert_uint_lt(crl_number(3, 1000, 1000), crl_number(3, 1000, 5000));
    ck_assert_uint_lt(crl_number(3, 1000, 5000000), crl_number(4, 5000001, 5000001));
    /* A clock moved back keeps the revision's floor, never below it. */
    ck_assert_uint_eq(crl_number(4, 5000, 10), 4ull << 32);
    ck_assert_uint_lt(crl_number(4, 0, INT64_C(1) << 40), crl_number(5, 0, 0));
}
END_TEST

/* Breaks a good CRL in one way; the reader must refuse each. */
enum breakage { TRUNCATE, TRAILING, EMPTY, BAD_TAG, NEG_LENGTH_BYTE, HUGE_LENGTH };

static const struct bad_row {
    enum breakage how;
    const char *want;
} bad_rows[] = {
    {TRUNCATE, "malformed CRL"}, {TRAILING, "bytes after the CRL"},  {EMPTY, "malformed CRL"},
    {BAD_TAG, "outer SEQUENCE"}, {NEG_LENGTH_BYTE, "malformed CRL"}, {HUGE_LENGTH, "malformed CRL"},
};

START_TEST(test_reader_refuses)
{
    const struct bad_row *row = &bad_rows[_i];
    struct fixture f;
    struct der_buf der = {0};
    struct crl crl;
    struct errbuf err = {{0}};
    make_root(&f);
    make_crl(&f, 3, &der);
    uint8_t *bytes = malloc(der.len + 1);
    ck_assert_ptr_nonnull(bytes);
    memcpy(bytes, der.data, der.len);
    size_t len = der.len;
    switch (row->how) {
    case TRUNCATE:
        len -= 10;
        break;
    case TRAILING:
        bytes[len++] = 0;
        break;
    case EMPTY:
        len = 0;
        break;
    case BAD_TAG:
        bytes[0] = 0x31;
        break;
    case NEG_LENGTH_BYTE:
        bytes[1] = 0x80;
        break; /* indefinite length */
    case HUGE_LENGTH:
        bytes[1] = 0x84;
        break;
    }
    ck_assert_int_eq(crl_parse(&crl, bytes, len, &err), -1);
    ck_assert_msg(strstr(err.msg, row->want) != NULL, "row %d: %s", _i, err.msg);
    free(bytes);
    der_buf_free(&der);
    free_root(&f);
}
END_TEST

/* A leaf of the fixture's root with the given serial, for the verifier. */
static void make_leaf(struct fixture *f, const uint8_t serial[CERT_SERIAL_LEN], struct der_buf *der,
                      struct x509_cert *leaf)
{
    struct errbuf err = {{0}};
    struct cert_request req;
    memset(&req, 0, sizeof req);
    req.profile = PROFILE_SERVER;
    memcpy(req.serial, serial, CERT_SERIAL_LEN);
    req.common_name = "shop.test";
    req.not_before = 1700000000;
    req.not_after = 1850000000;
    req.ocsp_url = "http://127.0.0.1:8080/";
    req.crl_url = "http://127.0.0.1:8080/crl";
    req.subject_key = &f->key; /* any key will do: only the serial matters here */
    req.issuer_key = &f->key;
    req.issuer_name = f->root.subject.p;
    req.issuer_name_len = f->root.subject.left;
    ck_assert_msg(certbuild_make(&req, &f->rng, der, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(x509_parse(leaf, der->data, der->len, &err), 0);
}

enum verify_case { V_GOOD, V_REVOKED, V_STALE, V_NOT_YET, V_OTHER_CA, V_BAD_SIG, V_TRUNCATED };

static const struct verify_row {
    enum verify_case how;
    enum crl_verdict_reason want;
    const char *words; /* in the explanation */
} verify_rows[] = {
    {V_GOOD, CRL_VERDICT_GOOD, "not among its 3 revoked entries"},
    {V_REVOKED, CRL_VERDICT_REVOKED, "REVOKED at 2027-01-15T08:00:00.000Z (reason: keyCompromise)"},
    {V_STALE, CRL_VERDICT_STALE, "stale"},
    {V_NOT_YET, CRL_VERDICT_NOT_YET_VALID, "in the future"},
    {V_OTHER_CA, CRL_VERDICT_WRONG_ISSUER, "another CA"},
    {V_BAD_SIG, CRL_VERDICT_BAD_SIGNATURE, "altered or forged"},
    {V_TRUNCATED, CRL_VERDICT_MALFORMED, "not a well-formed CRL"},
};

START_TEST(test_verify_rules)
{
    const struct verify_row *row = &verify_rows[_i];
    struct fixture f, other;
    struct der_buf crl_der = {0}, leaf_der = {0};
    struct x509_cert leaf;
    struct crl_verdict verdict;
    const uint8_t serial[CERT_SERIAL_LEN] = {0x41, 0x02, 0x04}; /* not listed */
    make_root(&f);
    make_crl(&f, 3, &crl_der);
    make_leaf(&f, serial, &leaf_der, &leaf);
    /* Leaf serials are 16 bytes and the listed ones shorter: the revoked
     * row looks the first entry's serial up through the same leaf. */
    struct crl_verify_input in = {.cert = &leaf, .issuer = &f.root, .now = 1800000400};
    struct x509_cert listed = leaf;
    if (row->how == V_REVOKED) {
        listed.serial = der_cursor_init(entries[0].serial, entries[0].serial_len);
        in.cert = &listed;
    }
    if (row->how == V_STALE)
        in.now = 1800000300 + 86400 + 301;
    if (row->how == V_NOT_YET)
        in.now = 1800000300 - 301;
    if (row->how == V_OTHER_CA) {
        make_root(&other);
        in.issuer = &other.root;
    }
    size_t len = crl_der.len;
    if (row->how == V_BAD_SIG)
        crl_der.data[len - 3] ^= 0x01;
    if (row->how == V_TRUNCATED)
        len -= 1;
    int rc = crl_verify(crl_der.data, len, &in, &verdict);
    ck_assert_msg(verdict.reason == row->want && rc == (row->want == CRL_VERDICT_GOOD ? 0 : 1),
                  "row %d: %s: %s", _i, crl_verdict_reason_name(verdict.reason),
                  verdict.explanation);
    ck_assert_msg(strstr(verdict.explanation, row->words) != NULL, "row %d: %s", _i,
                  verdict.explanation);
    if (row->how == V_OTHER_CA)
        free_root(&other);
    der_buf_free(&crl_der);
    der_buf_free(&leaf_der);
    free_root(&f);
}
END_TEST

Suite *crl_suite(void);
Suite *crl_suite(void)
{
    Suite *s = suite_create("crl");
    TCase *tc = tcase_create("crl");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_empty_crl_has_no_list);
    tcase_add_test(tc, test_number_only_grows);
    tcase_add_loop_test(tc, test_reader_refuses, 0, (int)(sizeof bad_rows / sizeof bad_rows[0]));
    tcase_add_loop_test(tc, test_verify_rules, 0,
                        (int)(sizeof verify_rows / sizeof verify_rows[0]));
    suite_add_tcase(s, tc);
    return s;
}
