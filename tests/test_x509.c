/* test_x509.c — common/x509 on certificates made by the lab's own CA code
 * (ca_init, ca_issue) and on certificates written here field by field around
 * the CA's names and key, so each extension can be present, absent or
 * malformed on purpose: x509_parse's strictness (every truncation, trailing
 * bytes), x509_find_extension, x509_ocsp_url, x509_is_must_staple,
 * x509_has_eku and x509_subject_cn. Signatures are not x509's business (the
 * verifier checks them), so a hand-written certificate carries a dummy one. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ca/ca.h"
#include "der.h"
#include "fileio.h"
#include "hex.h"
#include "lab.h"
#include "pem.h"
#include "testutil.h"
#include "x509.h"

/* ---- The lab's certificates, made once per test case ------------------------------------ */

#define SHOP_URL "http://ocsp.shop.test:8888/ocsp"

struct lab_der {
    struct der_buf root, delegate, shop, plain;
    struct cert_record shop_rec;
};
static struct lab_der lab;

static void load(struct der_buf *der, const char *lab_dir, const char *rel)
{
    char path[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_path_join(path, sizeof path, lab_dir, rel), 0);
    ck_assert_msg(pem_read_certificate(path, der, &err) == 0, "%s", err.msg);
}

/* A CA with a delegate; shop.test must-staple with its own OCSP URL, and
 * plain.test with the defaults. Runs in the parent (unchecked fixture), so
 * every forked case reads the same bytes. */
static void lab_setup(void)
{
    test_scratch_enter("x509");
    char *dir = test_tmpdir();
    struct errbuf err = {{0}};
    struct ca_init_result init;
    struct ca_init_options init_opts = {.key_type = KEY_EC_P256,
                                        .name = CA_DEFAULT_NAME,
                                        .ocsp_url = "http://127.0.0.1:8080/",
                                        .with_delegate = true};
    ck_assert_msg(ca_init(dir, &init_opts, &init, &err) == CA_OK, "%s", err.msg);
    struct ca_issue_options shop = {.name = "shop.test",
                                    .days = 30,
                                    .is_must_staple = true,
                                    .ocsp_url = SHOP_URL,
                                    .key_type = KEY_EC_P256};
    ck_assert_msg(ca_issue(dir, &shop, &lab.shop_rec, &err) == CA_OK, "%s", err.msg);
    struct ca_issue_options plain = {.name = "plain.test", .days = 30, .key_type = KEY_RSA_2048};
    struct cert_record plain_rec;
    ck_assert_msg(ca_issue(dir, &plain, &plain_rec, &err) == CA_OK, "%s", err.msg);
    load(&lab.root, dir, LAB_ROOT_CERT);
    load(&lab.delegate, dir, LAB_DELEGATE_CERT);
    load(&lab.shop, dir, LAB_CERTS_DIR "/shop.test.pem");
    load(&lab.plain, dir, LAB_CERTS_DIR "/plain.test.pem");
    free(dir);
}

static void lab_teardown(void)
{
    der_buf_free(&lab.root);
    der_buf_free(&lab.delegate);
    der_buf_free(&lab.shop);
    der_buf_free(&lab.plain);
    test_scratch_leave();
}

static void parse_ok(struct x509_cert *cert, const struct der_buf *der)
{
    struct errbuf err = {{0}};
    ck_assert_msg(x509_parse(cert, der->data, der->len, &err) == 0, "%s", err.msg);
}

/* ---- What the CA wrote reads back ------------------------------------------------------- */

START_TEST(test_lab_certificates)
{
    struct x509_cert root, delegate, shop, plain;
    char text[256];
    parse_ok(&root, &lab.root);
    parse_ok(&delegate, &lab.delegate);
    parse_ok(&shop, &lab.shop);
    parse_ok(&plain, &lab.plain);

    ck_assert_int_eq(shop.version, 3);
    /* The spans point into the caller's DER: the signed bytes follow the
     * outer header (30 82 LL LL). */
    ck_assert_ptr_eq(shop.der.p, lab.shop.data);
    ck_assert_uint_eq(shop.der.left, lab.shop.len);
    ck_assert_ptr_eq(shop.tbs.p, lab.shop.data + 4);
    ck_assert_uint_le(shop.serial.left * 2 + 1, sizeof text);
    hex_encode(shop.serial.p, shop.serial.left, text);
    ck_assert_str_eq(text, lab.shop_rec.serial_hex);
    ck_assert_int_eq(shop.not_before, lab.shop_rec.not_before);
    ck_assert_int_eq(shop.not_after, lab.shop_rec.not_after);
    ck_assert(der_oid_equals(&shop.key_algorithm, "1.2.840.10045.2.1"));     /* EC */
    ck_assert(der_oid_equals(&plain.key_algorithm, "1.2.840.113549.1.1.1")); /* RSA */
    ck_assert(
        der_oid_equals(&shop.signature_algorithm, "1.2.840.10045.4.3.2")); /* by the EC root */

    /* The leaf names the root as issuer, byte for byte (what a CertID hashes). */
    ck_assert_uint_eq(shop.issuer.left, root.subject.left);
    ck_assert_int_eq(memcmp(shop.issuer.p, root.subject.p, root.subject.left), 0);
    ck_assert_uint_eq(root.issuer.left, root.subject.left);

    ck_assert_int_eq(x509_subject_cn(&root, text, sizeof text), 0);
    ck_assert_str_eq(text, CA_DEFAULT_NAME);
    ck_assert_int_eq(x509_subject_cn(&shop, text, sizeof text), 0);
    ck_assert_str_eq(text, "shop.test");

    ck_assert_int_eq(x509_ocsp_url(&shop, text, sizeof text), 0);
    ck_assert_str_eq(text, SHOP_URL);
    ck_assert_int_eq(x509_ocsp_url(&plain, text, sizeof text), 0);
    ck_assert_str_eq(text, "http://127.0.0.1:8080/");
    ck_assert_int_eq(x509_ocsp_url(&root, text, sizeof text), 1); /* a root has no AIA */

    ck_assert(x509_is_must_staple(&shop));
    ck_assert(!x509_is_must_staple(&plain));
    ck_assert(!x509_is_must_staple(&root));

    ck_assert(x509_has_eku(&shop, OID_KP_SERVER_AUTH));
    ck_assert(!x509_has_eku(&shop, OID_KP_OCSP_SIGNING));
    ck_assert(x509_has_eku(&delegate, OID_KP_OCSP_SIGNING));
    ck_assert(!x509_has_eku(&delegate, OID_KP_SERVER_AUTH));
    ck_assert(!x509_has_eku(&root, OID_KP_OCSP_SIGNING));

    /* basicConstraints is critical on all three; SAN is not. */
    struct der_cursor value;
    bool is_critical = false;
    ck_assert_int_eq(x509_find_extension(&shop, OID_BASIC_CONSTRAINTS, &value, &is_critical), 0);
    ck_assert(is_critical);
    ck_assert_int_eq(x509_find_extension(&shop, OID_SUBJECT_ALT_NAME, &value, &is_critical), 0);
    ck_assert(!is_critical);
    ck_assert_int_eq(x509_find_extension(&delegate, OID_OCSP_NOCHECK, NULL, NULL), 0);
    ck_assert_int_eq(x509_find_extension(&shop, OID_OCSP_NOCHECK, NULL, NULL), 1);
}
END_TEST

/* ---- Strictness: every prefix and any trailing byte is refused --------------------------- */

START_TEST(test_parse_truncations)
{
    struct x509_cert cert;
    struct errbuf err = {{0}};
    for (size_t cut = 0; cut < lab.shop.len; cut++) {
        /* An exact-size heap copy: a read past the cut is an ASan report. */
        uint8_t *prefix = malloc(cut != 0 ? cut : 1);
        ck_assert_ptr_nonnull(prefix);
        memcpy(prefix, lab.shop.data, cut);
        int rc = x509_parse(&cert, prefix, cut, &err);
        ck_assert_msg(rc == -1 && test_contains(err.msg, "malformed certificate"),
                      "prefix of %zu bytes: rc %d, %s", cut, rc, err.msg);
        free(prefix);
    }
}
END_TEST

START_TEST(test_parse_trailing_bytes)
{
    static const struct {
        const char *label;
        uint8_t bytes[4];
        size_t len;
    } tails[] = {
        {"a zero byte", {0x00}, 1},
        {"a NULL", {0x05, 0x00}, 2},
        {"an empty SEQUENCE", {0x30, 0x00}, 2},
        {"a second certificate's first bytes", {0x30, 0x82, 0x01, 0x00}, 4},
    };
    struct x509_cert cert;
    struct errbuf err = {{0}};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        struct der_buf longer = {0};
        ck_assert_int_eq(der_write_raw(&longer, lab.shop.data, lab.shop.len), DER_OK);
        ck_assert_int_eq(der_write_raw(&longer, tails[i].bytes, tails[i].len), DER_OK);
        int rc = x509_parse(&cert, longer.data, longer.len, &err);
        ck_assert_msg(rc == -1 && test_contains(err.msg, "bytes after the certificate"),
                      "%s: rc %d, %s", tails[i].label, rc, err.msg);
        der_buf_free(&longer);
    }
}
END_TEST

/* ---- Certificates written field by field ------------------------------------------------- */

/* One extension: its OID, criticality and extnValue contents (hex digits,
 * spaces allowed). */
struct ext_spec {
    const char *oid;
    bool is_critical;
    const char *value_hex;
};

/* Hex text with spaces into the writer. */
static void write_hex(struct der_buf *out, const char *text)
{
    char digits[512];
    uint8_t bytes[256];
    size_t n = 0, len = 0;
    for (const char *c = text; *c != 0; c++)
        if (*c != ' ') {
            ck_assert_uint_lt(n, sizeof digits - 1);
            digits[n++] = *c;
        }
    digits[n] = 0;
    ck_assert_msg(hex_decode(digits, bytes, sizeof bytes, &len) == 0, "bad hex: %s", text);
    ck_assert_int_eq(der_write_raw(out, bytes, len), DER_OK);
}

#define X509_MAX_EXTS 3

/* What the row's certificate holds besides the shop.test certificate's
 * names, key and validity. */
struct cert_spec {
    bool has_extensions; /* the [3] wrapper at all */
    struct ext_spec exts[X509_MAX_EXTS];
    const char *raw_exts_hex; /* instead of exts: the Extensions SEQUENCE's contents */
    const char *subject_hex;  /* instead of shop.test's subject Name */
};

static void build_cert(const struct cert_spec *spec, struct der_buf *out)
{
    static const uint8_t serial[] = {0x01, 0x23, 0x45};
    static const uint8_t signature[8] = {0};
    struct x509_cert shop;
    struct der_buf tbs = {0};
    parse_ok(&shop, &lab.shop);

    der_begin(&tbs, DER_TAG_SEQUENCE); /* TBSCertificate */
    der_begin(&tbs, DER_TAG_CONTEXT(0));
    der_write_small_int(&tbs, 2); /* v3 */
    der_end(&tbs);
    der_write_unsigned_integer(&tbs, serial, sizeof serial);
    der_begin(&tbs, DER_TAG_SEQUENCE);
    der_write_oid(&tbs, "1.2.840.10045.4.3.2");
    der_end(&tbs);
    der_write_raw(&tbs, shop.issuer.p, shop.issuer.left);
    der_begin(&tbs, DER_TAG_SEQUENCE);
    der_write_x509_time(&tbs, shop.not_before);
    der_write_x509_time(&tbs, shop.not_after);
    der_end(&tbs);
    if (spec->subject_hex != NULL)
        write_hex(&tbs, spec->subject_hex);
    else
        der_write_raw(&tbs, shop.subject.p, shop.subject.left);
    der_write_raw(&tbs, shop.spki.p, shop.spki.left);
    if (spec->has_extensions) {
        der_begin(&tbs, DER_TAG_CONTEXT(3));
        der_begin(&tbs, DER_TAG_SEQUENCE);
        if (spec->raw_exts_hex != NULL)
            write_hex(&tbs, spec->raw_exts_hex);
        for (size_t i = 0; i < X509_MAX_EXTS && spec->exts[i].oid != NULL; i++) {
            der_begin(&tbs, DER_TAG_SEQUENCE);
            der_write_oid(&tbs, spec->exts[i].oid);
            if (spec->exts[i].is_critical)
                der_write_boolean(&tbs, true);
            struct der_buf value = {0};
            write_hex(&value, spec->exts[i].value_hex);
            der_write_octet_string(&tbs, value.data, value.len);
            der_buf_free(&value);
            der_end(&tbs);
        }
        der_end(&tbs);
        der_end(&tbs);
    }
    der_end(&tbs);
    ck_assert_int_eq(der_buf_error(&tbs), DER_OK);

    der_begin(out, DER_TAG_SEQUENCE); /* Certificate */
    der_write_raw(out, tbs.data, tbs.len);
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_oid(out, "1.2.840.10045.4.3.2");
    der_end(out);
    der_write_bit_string(out, signature, sizeof signature, 0);
    der_end(out);
    ck_assert_int_eq(der_buf_error(out), DER_OK);
    der_buf_free(&tbs);
}

/* extnValue contents, RFC 5280 4.2.1.12, 4.2.2.1 and RFC 7633. */
#define AIA_OCSP_X                                                                                 \
    "30 1c 30 1a 06 08 2b 06 01 05 05 07 30 01 86 0e" /* id-ad-ocsp, [6] 14 bytes */               \
    " 68 74 74 70 3a 2f 2f 78 2e 74 65 73 74 2f"      /* "http://x.test/" */
#define AIA_CA_ISSUERS_ONLY                                                                        \
    "30 1c 30 1a 06 08 2b 06 01 05 05 07 30 02 86 0e" /* id-ad-caIssuers */                        \
    " 68 74 74 70 3a 2f 2f 78 2e 74 65 73 74 2f"
#define AIA_OCSP_AS_DNS_NAME                                                                       \
    "30 1c 30 1a 06 08 2b 06 01 05 05 07 30 01 82 0e" /* [2] dNSName, not a URI */                 \
    " 68 74 74 70 3a 2f 2f 78 2e 74 65 73 74 2f"
#define EKU_SERVER "30 0a 06 08 2b 06 01 05 05 07 03 01"
#define EKU_SERVER_AND_OCSP "30 14 06 08 2b 06 01 05 05 07 03 01 06 08 2b 06 01 05 05 07 03 09"
#define TLS_FEATURE_5 "30 03 02 01 05"

enum { ABSENT = 1, FOUND = 0, MALFORMED = -1 };

static const struct ext_row {
    const char *label;
    struct cert_spec spec;
    int want_find_aia; /* x509_find_extension(AIA): FOUND, ABSENT or MALFORMED */
    bool want_aia_critical;
    int want_url; /* x509_ocsp_url into 64 bytes */
    const char *url;
    bool want_must_staple;
    bool want_server_auth, want_ocsp_signing;
} ext_rows[] = {
    {"no extensions at all (a v1-style TBS with v3 version)",
     {.has_extensions = false},
     ABSENT,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
    {"an empty Extensions SEQUENCE",
     {.has_extensions = true},
     ABSENT,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
    {"AIA with an OCSP URL",
     {.has_extensions = true, .exts = {{OID_AUTHORITY_INFO_ACCESS, false, AIA_OCSP_X}}},
     FOUND,
     false,
     FOUND,
     "http://x.test/",
     false,
     false,
     false},
    {"AIA marked critical",
     {.has_extensions = true, .exts = {{OID_AUTHORITY_INFO_ACCESS, true, AIA_OCSP_X}}},
     FOUND,
     true,
     FOUND,
     "http://x.test/",
     false,
     false,
     false},
    {"AIA after other extensions",
     {.has_extensions = true,
      .exts = {{OID_EXT_KEY_USAGE, false, EKU_SERVER},
               {OID_TLS_FEATURE, false, TLS_FEATURE_5},
               {OID_AUTHORITY_INFO_ACCESS, false, AIA_OCSP_X}}},
     FOUND,
     false,
     FOUND,
     "http://x.test/",
     true,
     true,
     false},
    {"AIA with caIssuers only: no OCSP URL",
     {.has_extensions = true, .exts = {{OID_AUTHORITY_INFO_ACCESS, false, AIA_CA_ISSUERS_ONLY}}},
     FOUND,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
    {"AIA naming the responder by DNS name, not URI",
     {.has_extensions = true, .exts = {{OID_AUTHORITY_INFO_ACCESS, false, AIA_OCSP_AS_DNS_NAME}}},
     FOUND,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
    {"AIA value not a SEQUENCE",
     {.has_extensions = true, .exts = {{OID_AUTHORITY_INFO_ACCESS, false, "04 00"}}},
     FOUND,
     false,
     MALFORMED,
     NULL,
     false,
     false,
     false},
    {"AIA value with a byte after it",
     {.has_extensions = true, .exts = {{OID_AUTHORITY_INFO_ACCESS, false, AIA_OCSP_X " 00"}}},
     FOUND,
     false,
     MALFORMED,
     NULL,
     false,
     false,
     false},
    {"AIA AccessDescription without an OID",
     {.has_extensions = true, .exts = {{OID_AUTHORITY_INFO_ACCESS, false, "30 02 30 00"}}},
     FOUND,
     false,
     MALFORMED,
     NULL,
     false,
     false,
     false},
    {"an extension that is not a SEQUENCE",
     {.has_extensions = true, .raw_exts_hex = "04 00"},
     MALFORMED,
     false,
     MALFORMED,
     NULL,
     false,
     false,
     false},
    {"an extension without extnValue",
     {.has_extensions = true, .raw_exts_hex = "30 05 06 03 55 1d 25"},
     MALFORMED,
     false,
     MALFORMED,
     NULL,
     false,
     false,
     false},
    {"an extension with a field after extnValue",
     {.has_extensions = true, .raw_exts_hex = "30 09 06 03 55 1d 25 04 00 05 00"},
     MALFORMED,
     false,
     MALFORMED,
     NULL,
     false,
     false,
     false},
    {"critical as an INTEGER, not a BOOLEAN",
     {.has_extensions = true, .raw_exts_hex = "30 0a 06 03 55 1d 25 02 01 01 04 00"},
     MALFORMED,
     false,
     MALFORMED,
     NULL,
     false,
     false,
     false},
    {"must-staple: TLS Feature status_request",
     {.has_extensions = true, .exts = {{OID_TLS_FEATURE, false, TLS_FEATURE_5}}},
     ABSENT,
     false,
     ABSENT,
     NULL,
     true,
     false,
     false},
    {"TLS Feature status_request_v2 (17) and status_request",
     {.has_extensions = true, .exts = {{OID_TLS_FEATURE, false, "30 06 02 01 11 02 01 05"}}},
     ABSENT,
     false,
     ABSENT,
     NULL,
     true,
     false,
     false},
    {"TLS Feature status_request_v2 (17) alone",
     {.has_extensions = true, .exts = {{OID_TLS_FEATURE, false, "30 03 02 01 11"}}},
     ABSENT,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
    {"TLS Feature truncated",
     {.has_extensions = true, .exts = {{OID_TLS_FEATURE, false, "30 03 02 01"}}},
     ABSENT,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
    {"TLS Feature holding a non-INTEGER before 5",
     {.has_extensions = true, .exts = {{OID_TLS_FEATURE, false, "30 05 04 00 02 01 05"}}},
     ABSENT,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
    {"EKU serverAuth and OCSPSigning",
     {.has_extensions = true, .exts = {{OID_EXT_KEY_USAGE, false, EKU_SERVER_AND_OCSP}}},
     ABSENT,
     false,
     ABSENT,
     NULL,
     false,
     true,
     true},
    {"EKU holding a non-OID before OCSPSigning",
     {.has_extensions = true,
      .exts = {{OID_EXT_KEY_USAGE, false, "30 0c 04 00 06 08 2b 06 01 05 05 07 03 09"}}},
     ABSENT,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
    {"EKU not a SEQUENCE",
     {.has_extensions = true, .exts = {{OID_EXT_KEY_USAGE, false, "05 00"}}},
     ABSENT,
     false,
     ABSENT,
     NULL,
     false,
     false,
     false},
};

START_TEST(test_extension_rows)
{
    const struct ext_row *row = &ext_rows[_i];
    struct der_buf der = {0};
    struct x509_cert cert;
    struct der_cursor value = {NULL, 0};
    bool is_critical = !row->want_aia_critical;
    char url[64] = "untouched";
    build_cert(&row->spec, &der);
    parse_ok(&cert, &der);

    int found = x509_find_extension(&cert, OID_AUTHORITY_INFO_ACCESS, &value, &is_critical);
    ck_assert_msg(found == row->want_find_aia, "%s: find %d", row->label, found);
    if (found == FOUND) {
        ck_assert_msg(is_critical == row->want_aia_critical, "%s: critical", row->label);
        ck_assert_ptr_nonnull(value.p); /* points into the certificate */
        ck_assert(value.p > der.data && value.p + value.left <= der.data + der.len);
    }
    int rc = x509_ocsp_url(&cert, url, sizeof url);
    ck_assert_msg(rc == row->want_url, "%s: ocsp_url %d (%s)", row->label, rc, url);
    if (rc == FOUND)
        ck_assert_str_eq(url, row->url);
    ck_assert_msg(x509_is_must_staple(&cert) == row->want_must_staple, "%s: must-staple",
                  row->label);
    ck_assert_msg(x509_has_eku(&cert, OID_KP_SERVER_AUTH) == row->want_server_auth,
                  "%s: serverAuth", row->label);
    ck_assert_msg(x509_has_eku(&cert, OID_KP_OCSP_SIGNING) == row->want_ocsp_signing,
                  "%s: OCSPSigning", row->label);
    der_buf_free(&der);
}
END_TEST

/* A URL that does not fit the caller's buffer is an error, never cut. */
START_TEST(test_ocsp_url_room)
{
    struct cert_spec spec = {.has_extensions = true,
                             .exts = {{OID_AUTHORITY_INFO_ACCESS, false, AIA_OCSP_X}}};
    struct der_buf der = {0};
    struct x509_cert cert;
    char url[32];
    build_cert(&spec, &der);
    parse_ok(&cert, &der);
    ck_assert_int_eq(x509_ocsp_url(&cert, url, 14), MALFORMED);
    ck_assert_int_eq(x509_ocsp_url(&cert, url, 15), FOUND); /* 14 characters and the NUL */
    ck_assert_str_eq(url, "http://x.test/");
    der_buf_free(&der);
}
END_TEST

/* ---- x509_subject_cn --------------------------------------------------------------------- */

static const struct cn_row {
    const char *label;
    const char *subject_hex;
    size_t cap;
    int want_rc;
    const char *want;
} cn_rows[] = {
    {"CN alone", "30 11 31 0f 30 0d 06 03 55 04 03 0c 06 41 6c 69 63 65 21", 64, 0, "Alice!"},
    {"O then CN (the root's order)",
     "30 1a 31 09 30 07 06 03 55 04 0a 0c 00 31 0d 30 0b 06 03 55 04 03 0c 04 52 6f 6f 74", 64, 0,
     "Root"},
    {"CN as PrintableString", "30 0f 31 0d 30 0b 06 03 55 04 03 13 04 52 6f 6f 74", 64, 0, "Root"},
    {"no CN: empty text", "30 0d 31 0b 30 09 06 03 55 04 0a 0c 02 4f 72", 64, 0, ""},
    {"an empty Name", "30 00", 64, 0, ""},
    {"cut to the room given", "30 11 31 0f 30 0d 06 03 55 04 03 0c 06 41 6c 69 63 65 21", 4, 0,
     "Ali"},
    {"an RDN that is not a SET", "30 0f 30 0d 30 0b 06 03 55 04 03 0c 04 52 6f 6f 74", 64, -1, ""},
    {"an attribute without a value", "30 09 31 07 30 05 06 03 55 04 03", 64, -1, ""},
};

START_TEST(test_subject_cn_rows)
{
    const struct cn_row *row = &cn_rows[_i];
    struct cert_spec spec = {.subject_hex = row->subject_hex};
    struct der_buf der = {0};
    struct x509_cert cert;
    char cn[64];
    build_cert(&spec, &der);
    parse_ok(&cert, &der);
    int rc = x509_subject_cn(&cert, cn, row->cap);
    ck_assert_msg(rc == row->want_rc, "%s: rc %d", row->label, rc);
    ck_assert_msg(strcmp(cn, row->want) == 0, "%s: '%s'", row->label, cn);
    der_buf_free(&der);
}
END_TEST

Suite *x509_suite(void)
{
    Suite *s = suite_create("x509");
    TCase *tc = tcase_create("x509");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, lab_setup, lab_teardown);
    tcase_add_test(tc, test_lab_certificates);
    tcase_add_test(tc, test_parse_truncations);
    tcase_add_test(tc, test_parse_trailing_bytes);
    tcase_add_loop_test(tc, test_extension_rows, 0, (int)(sizeof ext_rows / sizeof ext_rows[0]));
    tcase_add_test(tc, test_ocsp_url_room);
    tcase_add_loop_test(tc, test_subject_cn_rows, 0, (int)(sizeof cn_rows / sizeof cn_rows[0]));
    suite_add_tcase(s, tc);
    return s;
}
