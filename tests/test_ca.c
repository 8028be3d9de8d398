/* test_ca.c — the mini CA as a library (ca/ca.h, DESIGN sections 1, 2 and 5):
 * every certificate it makes passes OpenSSL's strict chain check and wolfSSL's
 * own, carries the extensions the lab relies on (AIA OCSP, TLS Feature,
 * OCSP signing), key files stay private, revocations land in ca.db at the
 * simulated time, concurrent revokers and listers leave one consistent
 * database, and each step leaves one readable trace line. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../ca/ca.h"
#include "clock.h"
#include "control_token.h"
#include "db.h"
#include "fileio.h"
#include "lab.h"
#include "race_harness.h"
#include "testutil.h"
#include "trace.h"

#define OPENSSL_TIMEOUT_MS 20000
#define DEFAULT_URL CA_DEFAULT_OCSP_URL

/* ---- scratch space ------------------------------------------------------------ */

/* Every lab of a test case lives under one scratch directory that the runner
 * itself removes after the case: a failing test exits before its own
 * test_rmtree, and must not leave labs behind in /tmp. */
static void scratch_setup(void)
{
    test_scratch_enter("ca");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* ---- small helpers ------------------------------------------------------ */

static void lab_join(char *out, const char *lab, const char *rel)
{
    ck_assert_msg(file_path_join(out, LAB_PATH_MAX, lab, rel) == 0, "path too long: %s", rel);
}

static void cert_path(char *out, const char *lab, const char *name, const char *ext)
{
    char rel[LAB_PATH_MAX];
    int n = snprintf(rel, sizeof rel, "%s/%s.%s", LAB_CERTS_DIR, name, ext);
    ck_assert(n > 0 && (size_t)n < sizeof rel);
    lab_join(out, lab, rel);
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void init_ca_with(const char *lab, enum key_type key_type, bool with_delegate,
                         const char *ocsp_url, struct ca_init_result *result)
{
    struct ca_init_options opts = {
        .key_type = key_type,
        .name = CA_DEFAULT_NAME,
        .ocsp_url = ocsp_url != NULL ? ocsp_url : DEFAULT_URL,
        .with_delegate = with_delegate,
    };
    struct ca_init_result ignored;
    struct errbuf err = {{0}};
    int rc = ca_init(lab, &opts, result != NULL ? result : &ignored, &err);
    ck_assert_msg(rc == CA_OK, "ca_init returned %d: %s", rc, err.msg);
}

static void issue_with(const char *lab, const char *name, enum key_type key_type,
                       bool is_must_staple, const char *ocsp_url, struct cert_record *rec)
{
    struct ca_issue_options opts = {
        .name = name,
        .days = CA_DEFAULT_DAYS,
        .is_must_staple = is_must_staple,
        .ocsp_url = ocsp_url,
        .key_type = key_type,
    };
    struct cert_record ignored;
    struct errbuf err = {{0}};
    int rc = ca_issue(lab, &opts, rec != NULL ? rec : &ignored, &err);
    ck_assert_msg(rc == CA_OK, "ca_issue %s returned %d: %s", name, rc, err.msg);
}

static void issue_simple(const char *lab, const char *name, struct cert_record *rec)
{
    issue_with(lab, name, KEY_EC_P256, false, NULL, rec);
}

/* Runs openssl with the arguments given; returns its stdout (caller frees)
 * and checks the exit code. */
static char *openssl_ok(const char *const argv[])
{
    struct test_run run;
    ck_assert_int_eq(test_run(&run, OPENSSL_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0 && !run.timed_out, "openssl %s %s failed (%d): %s%s", argv[1],
                  argv[2], run.exit_code, run.out, run.err);
    char *out = run.out;
    run.out = NULL;
    test_run_free(&run);
    return out;
}

static char *openssl_text(const char *pem)
{
    const char *argv[] = {"openssl", "x509", "-noout", "-text", "-in", pem, NULL};
    return openssl_ok(argv);
}

/* openssl verify -x509_strict against the root alone (the lab has no
 * intermediates); `purpose` may name an extra -purpose check. */
static void assert_openssl_verifies(const char *root, const char *cert, const char *purpose)
{
    const char *argv[10] = {"openssl", "verify", "-x509_strict", "-CAfile", root};
    size_t n = 5;
    if (purpose != NULL) {
        argv[n++] = "-purpose";
        argv[n++] = purpose;
    }
    argv[n++] = cert;
    argv[n] = NULL;
    char *out = openssl_ok(argv);
    char want[LAB_PATH_MAX + 8];
    snprintf(want, sizeof want, "%s: OK", cert);
    ck_assert_msg(test_contains(out, want), "openssl verify said: %s", out);
    free(out);
}

/* wolfSSL's own chain check: the library the lab's TLS peers use. */
static void assert_wolfssl_verifies(const char *root, const char *cert)
{
    ck_assert_int_eq(wolfSSL_Init(), WOLFSSL_SUCCESS);
    WOLFSSL_CERT_MANAGER *cm = wolfSSL_CertManagerNew();
    ck_assert_ptr_nonnull(cm);
    int load = wolfSSL_CertManagerLoadCA(cm, root, NULL);
    int verify =
        load == WOLFSSL_SUCCESS ? wolfSSL_CertManagerVerify(cm, cert, WOLFSSL_FILETYPE_PEM) : load;
    wolfSSL_CertManagerFree(cm);
    wolfSSL_Cleanup();
    ck_assert_msg(load == WOLFSSL_SUCCESS, "wolfSSL cannot load %s as a CA: %d (%s)", root, load,
                  wc_GetErrorString(load));
    ck_assert_msg(verify == WOLFSSL_SUCCESS, "wolfSSL rejects %s: %d (%s)", cert, verify,
                  wc_GetErrorString(verify));
}

static void assert_both_verify(const char *root, const char *cert, const char *purpose)
{
    assert_openssl_verifies(root, cert, purpose);
    assert_wolfssl_verifies(root, cert);
}

/* The trimmed line after `header` in `openssl x509 -text` output ("" when the
 * header is absent); "keyid:" (OpenSSL 1.1 style) is dropped. */
static const char *line_after(const char *text, const char *header, char *out, size_t cap)
{
    out[0] = 0;
    const char *at = strstr(text, header);
    if (at == NULL)
        return out;
    const char *line = strchr(at + strlen(header), '\n');
    if (line == NULL)
        return out;
    line++;
    while (*line == ' ')
        line++;
    if (strncmp(line, "keyid:", 6) == 0)
        line += 6;
    size_t n = strcspn(line, "\n");
    while (n > 0 && line[n - 1] == ' ')
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, line, n);
    out[n] = 0;
    return out;
}

static void assert_line_after(const char *text, const char *header, const char *want)
{
    char got[512];
    line_after(text, header, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "after '%s': want '%s', got '%s'\n%s", header, want, got,
                  text);
}

static void subject_key_id(const char *text, char *out, size_t cap)
{
    line_after(text, "X509v3 Subject Key Identifier:", out, cap);
    ck_assert_msg(strlen(out) == 59, "no 20-byte Subject Key Identifier:\n%s", text);
}

static void authority_key_id(const char *text, char *out, size_t cap)
{
    line_after(text, "X509v3 Authority Key Identifier:", out, cap);
    ck_assert_msg(strlen(out) == 59, "no 20-byte Authority Key Identifier:\n%s", text);
}

/* Serial as openssl prints it: must be 16 bytes, positive, and equal to the record. */
static void assert_serial(const char *pem, const char *want_hex)
{
    const char *argv[] = {"openssl", "x509", "-noout", "-serial", "-in", pem, NULL};
    char *out = openssl_ok(argv);
    ck_assert_msg(strncmp(out, "serial=", 7) == 0, "%s", out);
    const char *hex = out + 7;
    size_t len = strcspn(hex, "\n");
    ck_assert_msg(len == 2 * 16, "serial %s is not 16 bytes", hex);
    /* Positive with a non-zero first byte: high bit clear, not 0x00. */
    ck_assert_msg(hex[0] >= '1' && hex[0] <= '7', "serial %s is not a positive 16-byte value", hex);
    if (want_hex != NULL)
        ck_assert_msg(strncasecmp(hex, want_hex, len) == 0 && strlen(want_hex) == len,
                      "serial %s, record says %s", hex, want_hex);
    free(out);
}

/* notBefore as openssl prints it equals `want` (Unix seconds). */
static void assert_not_before(const char *pem, int64_t want)
{
    const char *argv[] = {"openssl", "x509", "-noout", "-startdate", "-in", pem, NULL};
    char *out = openssl_ok(argv);
    time_t t = (time_t)want;
    struct tm tm;
    char text[64], line[96];
    gmtime_r(&t, &tm);
    strftime(text, sizeof text, "%b %e %H:%M:%S %Y GMT", &tm);
    snprintf(line, sizeof line, "notBefore=%s\n", text);
    ck_assert_msg(strcmp(out, line) == 0, "want %s got %s", line, out);
    free(out);
}

static mode_t file_mode(const char *path)
{
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "stat %s failed", path);
    return st.st_mode & 07777;
}

static sqlite3 *open_db(const char *lab)
{
    char path[LAB_PATH_MAX];
    sqlite3 *db = NULL;
    lab_join(path, lab, LAB_DB_FILE);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    return db;
}

/* One integer from `sql` with an optional text parameter; `fallback` when no row. */
static int64_t db_int(const char *lab, const char *sql, const char *param, int64_t fallback)
{
    sqlite3 *db = open_db(lab);
    sqlite3_stmt *stmt = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    if (param != NULL)
        sqlite3_bind_text(stmt, 1, param, -1, SQLITE_TRANSIENT);
    int64_t value = fallback;
    int step = sqlite3_step(stmt);
    ck_assert_msg(step == SQLITE_ROW || step == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
    if (step == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
        value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

static void assert_integrity_ok(const char *lab)
{
    sqlite3 *db = open_db(lab);
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 0), "ok");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

struct record_list {
    struct cert_record rec[32];
    size_t count;
};

static int collect_record(const struct cert_record *rec, void *ctx)
{
    struct record_list *list = ctx;
    if (list->count == sizeof list->rec / sizeof list->rec[0])
        return -1;
    list->rec[list->count++] = *rec;
    return 0;
}

static void list_records(const char *lab, struct record_list *list)
{
    struct errbuf err = {{0}};
    memset(list, 0, sizeof *list);
    ck_assert_msg(ca_list(lab, collect_record, list, &err) == 0, "ca_list: %s", err.msg);
}

/* ---- 1, 2: certificates that verify and say what the lab needs --------- */

static const struct leaf_case {
    const char *label;
    enum key_type root_key;
    enum key_type leaf_key;
    bool is_must_staple;
    const char *ca_ocsp_url;    /* init's URL; NULL: the default */
    const char *issue_ocsp_url; /* issue's --ocsp-url; NULL: the CA's */
    const char *want_url;
} leaf_cases[] = {
    {"EC leaf under an EC root, defaults", KEY_EC_P256, KEY_EC_P256, false, NULL, NULL,
     DEFAULT_URL},
    {"RSA leaf (--key rsa) under an EC root", KEY_EC_P256, KEY_RSA_2048, false, NULL, NULL,
     DEFAULT_URL},
    {"must-staple with a custom --ocsp-url", KEY_EC_P256, KEY_EC_P256, true, NULL,
     "http://ocsp.test:8888/ocsp", "http://ocsp.test:8888/ocsp"},
    {"EC leaf under an RSA root", KEY_RSA_2048, KEY_EC_P256, false, NULL, NULL, DEFAULT_URL},
    {"RSA must-staple leaf under an RSA root", KEY_RSA_2048, KEY_RSA_2048, true, NULL, NULL,
     DEFAULT_URL},
    {"the CA's --ocsp-url is the leaf's default", KEY_EC_P256, KEY_EC_P256, false,
     "http://ca-url.test:9090/", NULL, "http://ca-url.test:9090/"},
};

START_TEST(test_leaf_certificate)
{
    const struct leaf_case *c = &leaf_cases[_i];
    char *lab = test_tmpdir();
    char root[LAB_PATH_MAX], leaf[LAB_PATH_MAX], want[512], root_ski[128], leaf_aki[128];
    struct cert_record rec;

    init_ca_with(lab, c->root_key, false, c->ca_ocsp_url, NULL);
    time_t before = time(NULL);
    issue_with(lab, "Shop.Test", c->leaf_key, c->is_must_staple, c->issue_ocsp_url, &rec);
    time_t after = time(NULL);
    lab_join(root, lab, LAB_ROOT_CERT);
    cert_path(leaf, lab, "shop.test", "pem");

    assert_both_verify(root, leaf, "sslserver");

    char *root_text = openssl_text(root);
    char *text = openssl_text(leaf);
    snprintf(want, sizeof want, "OCSP - URI:%s", c->want_url);
    assert_line_after(text, "Authority Information Access:", want);
    if (c->is_must_staple)
        assert_line_after(text, "TLS Feature:", "status_request");
    else
        ck_assert_msg(!test_contains(text, "TLS Feature"), "unasked must-staple:\n%s", text);
    assert_line_after(text, "X509v3 Extended Key Usage:", "TLS Web Server Authentication");
    assert_line_after(text, "X509v3 Subject Alternative Name:", "DNS:shop.test");
    assert_line_after(text, "X509v3 Basic Constraints: critical", "CA:FALSE");
    assert_line_after(text, "X509v3 Key Usage: critical", "Digital Signature");
    ck_assert_msg(test_contains(text, "Subject: CN = shop.test"), "%s", text);
    ck_assert_msg(test_contains(text, c->leaf_key == KEY_RSA_2048
                                          ? "Public Key Algorithm: rsaEncryption"
                                          : "Public Key Algorithm: id-ecPublicKey"),
                  "%s: wrong key type\n%s", c->label, text);
    ck_assert_msg(test_contains(text, c->root_key == KEY_RSA_2048
                                          ? "Signature Algorithm: sha256WithRSAEncryption"
                                          : "Signature Algorithm: ecdsa-with-SHA256"),
                  "%s: wrong signature algorithm\n%s", c->label, text);

    /* The leaf names its issuer's key: AKI == the root's SKI. */
    subject_key_id(root_text, root_ski, sizeof root_ski);
    authority_key_id(text, leaf_aki, sizeof leaf_aki);
    ck_assert_str_eq(leaf_aki, root_ski);
    char leaf_ski[128];
    subject_key_id(text, leaf_ski, sizeof leaf_ski);
    ck_assert_str_ne(leaf_ski, root_ski);

    assert_serial(leaf, rec.serial_hex);
    /* Backdated by CA_BACKDATE_SECONDS (5 minutes) from the moment of issue. */
    ck_assert_int_ge(rec.not_before, (int64_t)before - CA_BACKDATE_SECONDS);
    ck_assert_int_le(rec.not_before, (int64_t)after - CA_BACKDATE_SECONDS);
    assert_not_before(leaf, rec.not_before);
    ck_assert_int_eq(rec.not_after - (rec.not_before + CA_BACKDATE_SECONDS),
                     (int64_t)CA_DEFAULT_DAYS * 86400);
    ck_assert_str_eq(rec.name, "shop.test");
    ck_assert(rec.is_must_staple == c->is_must_staple);

    free(root_text);
    free(text);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* The root (EC and RSA) and its delegated OCSP signer. */
START_TEST(test_root_and_delegate)
{
    enum key_type key_type = _i == 0 ? KEY_EC_P256 : KEY_RSA_2048;
    char *lab = test_tmpdir();
    char root[LAB_PATH_MAX], delegate[LAB_PATH_MAX];
    char root_ski[128], root_aki[128], delegate_aki[128];
    struct ca_init_result result;

    time_t before = time(NULL);
    init_ca_with(lab, key_type, true, NULL, &result);
    lab_join(root, lab, LAB_ROOT_CERT);
    lab_join(delegate, lab, LAB_DELEGATE_CERT);

    assert_both_verify(root, root, NULL);
    assert_both_verify(root, delegate, "ocsphelper");

    char *text = openssl_text(root);
    assert_line_after(text, "X509v3 Basic Constraints: critical", "CA:TRUE");
    assert_line_after(text, "X509v3 Key Usage: critical", "Certificate Sign, CRL Sign");
    ck_assert_msg(test_contains(text, "Subject: O = OCSP Stapling Lab, CN = Lab Root CA"), "%s",
                  text);
    ck_assert_msg(test_contains(text, key_type == KEY_RSA_2048
                                          ? "Public Key Algorithm: rsaEncryption"
                                          : "Public Key Algorithm: id-ecPublicKey"),
                  "wrong root key type:\n%s", text);
    ck_assert_msg(!test_contains(text, "Authority Information Access"), "%s", text);
    subject_key_id(text, root_ski, sizeof root_ski);
    authority_key_id(text, root_aki, sizeof root_aki);
    ck_assert_str_eq(root_aki, root_ski); /* self-signed */
    assert_serial(root, result.root_serial_hex);
    ck_assert_int_ge(result.root_not_after - (int64_t)before, (int64_t)CA_ROOT_DAYS * 86400);
    ck_assert_int_le(result.root_not_after - (int64_t)before, (int64_t)CA_ROOT_DAYS * 86400 + 5);
    free(text);

    text = openssl_text(delegate);
    assert_line_after(text, "X509v3 Extended Key Usage:", "OCSP Signing");
    ck_assert_msg(test_contains(text, "OCSP No Check"), "no id-pkix-ocsp-nocheck:\n%s", text);
    assert_line_after(text, "X509v3 Basic Constraints: critical", "CA:FALSE");
    ck_assert_msg(!test_contains(text, "TLS Feature"), "%s", text);
    authority_key_id(text, delegate_aki, sizeof delegate_aki);
    ck_assert_str_eq(delegate_aki, root_ski);
    assert_serial(delegate, result.delegate_serial_hex);
    ck_assert_str_ne(result.delegate_serial_hex, result.root_serial_hex);
    free(text);

    /* The delegate is recorded (so the responder can answer for it). */
    struct record_list list;
    list_records(lab, &list);
    ck_assert_uint_eq(list.count, 1);
    ck_assert_str_eq(list.rec[0].kind, "ocsp-signer");
    ck_assert_str_eq(list.rec[0].serial_hex, result.delegate_serial_hex);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- 3: file modes, refusing to overwrite -------------------------------- */

/* Modes are exact whatever the umask: keys 0600, certificates 0644. */
START_TEST(test_file_modes)
{
    mode_t masks[] = {0, 077};
    char *lab = test_tmpdir();
    char path[LAB_PATH_MAX];
    mode_t old_mask = umask(masks[_i]);
    init_ca_with(lab, KEY_EC_P256, true, NULL, NULL);
    issue_simple(lab, "shop.test", NULL);
    umask(old_mask);

    const struct {
        const char *rel;
        mode_t mode;
    } want[] = {
        {LAB_ROOT_KEY, 0600},  {LAB_DELEGATE_KEY, 0600},  {"certs/shop.test.key", 0600},
        {LAB_ROOT_CERT, 0644}, {LAB_DELEGATE_CERT, 0644}, {"certs/shop.test.pem", 0644},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        lab_join(path, lab, want[k].rel);
        ck_assert_msg(file_mode(path) == want[k].mode, "%s has mode %04o, want %04o (umask %03o)",
                      want[k].rel, (unsigned)file_mode(path), (unsigned)want[k].mode,
                      (unsigned)masks[_i]);
    }
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_init_refuses_existing_ca)
{
    char *lab = test_tmpdir();
    char root[LAB_PATH_MAX], delegate[LAB_PATH_MAX], db[LAB_PATH_MAX];
    struct ca_init_result first, again;
    struct errbuf err = {{0}};
    init_ca_with(lab, KEY_EC_P256, true, NULL, &first);
    ck_assert(!first.replaced_existing);
    issue_simple(lab, "shop.test", NULL);
    lab_join(root, lab, LAB_ROOT_CERT);
    lab_join(delegate, lab, LAB_DELEGATE_CERT);
    lab_join(db, lab, LAB_DB_FILE);
    char *root_before = test_read_text(root);

    struct ca_init_options opts = {
        .key_type = KEY_EC_P256, .name = CA_DEFAULT_NAME, .ocsp_url = DEFAULT_URL};
    ck_assert_int_eq(ca_init(lab, &opts, &again, &err), CA_EXISTS);
    ck_assert_msg(test_contains(err.msg, "--force"), "%s", err.msg);
    char *root_after = test_read_text(root);
    ck_assert_str_eq(root_after, root_before);
    free(root_after);
    struct record_list list;
    list_records(lab, &list);
    ck_assert_uint_eq(list.count, 2);

    /* A root file without a database row is still a CA whose key would be lost. */
    ck_assert_int_eq(unlink(db), 0);
    ck_assert_int_eq(ca_init(lab, &opts, &again, &err), CA_EXISTS);
    root_after = test_read_text(root);
    ck_assert_str_eq(root_after, root_before);
    free(root_after);

    /* --force: a new root; the old certificates and the old delegate are gone. */
    opts.force = true;
    ck_assert_msg(ca_init(lab, &opts, &again, &err) == CA_OK, "%s", err.msg);
    ck_assert(again.replaced_existing);
    ck_assert_str_ne(again.root_serial_hex, first.root_serial_hex);
    root_after = test_read_text(root);
    ck_assert_str_ne(root_after, root_before);
    free(root_after);
    ck_assert_msg(!file_exists(delegate), "the old delegate outlived the re-init");
    char old_leaf[LAB_PATH_MAX];
    lab_join(old_leaf, lab, "certs/shop.test.pem");
    ck_assert_msg(!file_exists(old_leaf), "the old root's certificate outlived the re-init");
    ck_assert_int_ge(again.forgotten_files, 2); /* shop.test.pem and .key */
    list_records(lab, &list);
    ck_assert_uint_eq(list.count, 0);
    struct cert_record rec;
    ck_assert_int_eq(ca_revoke(lab, "shop.test", NULL, REASON_UNSPECIFIED, &rec, &err),
                     CA_NOT_FOUND);
    free(root_before);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- 4: revocation ---------------------------------------------------------- */

START_TEST(test_revoke_records_simulated_time_and_reason)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    struct cert_record issued, rec;
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    issue_simple(lab, "shop.test", &issued);

    /* Tomorrow, in the lab. */
    ck_assert_msg(clock_offset_write(lab, 86400, &err) == 0, "%s", err.msg);
    ck_assert_msg(clock_init(lab, &err) == 0, "%s", err.msg);
    int64_t before = (int64_t)time(NULL) + 86400;
    ck_assert_msg(ca_revoke(lab, "SHOP.test", NULL, REASON_KEY_COMPROMISE, &rec, &err) == CA_OK,
                  "%s", err.msg);
    int64_t after = (int64_t)time(NULL) + 86400;
    ck_assert_str_eq(rec.serial_hex, issued.serial_hex);
    ck_assert(rec.is_revoked);
    ck_assert_int_eq(rec.revocation_reason, REASON_KEY_COMPROMISE);

    /* What the responder will read: straight from ca.db. */
    const char *serial = issued.serial_hex;
    int64_t revoked_at =
        db_int(lab, "SELECT revoked_at FROM certificates WHERE serial = ?", serial, -1);
    ck_assert_int_ge(revoked_at, before);
    ck_assert_int_le(revoked_at, after);
    ck_assert_int_eq(rec.revoked_at, revoked_at);
    ck_assert_int_eq(
        db_int(lab, "SELECT revocation_reason FROM certificates WHERE serial = ?", serial, -1),
        REASON_KEY_COMPROMISE);

    /* Twice: nothing changes, and the answer says when it happened. */
    ck_assert_msg(clock_offset_write(lab, 2 * 86400, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(ca_revoke(lab, "shop.test", NULL, REASON_SUPERSEDED, &rec, &err),
                     CA_ALREADY_REVOKED);
    ck_assert_msg(test_contains(err.msg, "already revoked"), "%s", err.msg);
    ck_assert_msg(test_contains(err.msg, "keyCompromise"), "%s", err.msg);
    ck_assert_int_eq(
        db_int(lab, "SELECT revoked_at FROM certificates WHERE serial = ?", serial, -1),
        revoked_at);
    ck_assert_int_eq(
        db_int(lab, "SELECT revocation_reason FROM certificates WHERE serial = ?", serial, -1),
        REASON_KEY_COMPROMISE);
    ck_assert_int_eq(ca_revoke(lab, NULL, serial, REASON_SUPERSEDED, &rec, &err),
                     CA_ALREADY_REVOKED);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_revoke_unknown_name_lists_known_names)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    struct cert_record rec;
    init_ca_with(lab, KEY_EC_P256, true, NULL, NULL);

    ck_assert_int_eq(ca_revoke(lab, "shop.test", NULL, REASON_UNSPECIFIED, &rec, &err),
                     CA_NOT_FOUND);
    ck_assert_msg(test_contains(err.msg, "none yet"), "%s", err.msg);

    issue_simple(lab, "shop.test", NULL);
    issue_simple(lab, "mail.test", NULL);
    ck_assert_int_eq(ca_revoke(lab, "nosuch.test", NULL, REASON_UNSPECIFIED, &rec, &err),
                     CA_NOT_FOUND);
    ck_assert_msg(test_contains(err.msg, "no certificate named 'nosuch.test'"), "%s", err.msg);
    ck_assert_msg(test_contains(err.msg, "known: mail.test, shop.test"), "%s", err.msg);
    /* The delegate is not a server name to revoke by name. */
    ck_assert_msg(!test_contains(err.msg, "ocsp-signer"), "%s", err.msg);
    ck_assert_int_eq(
        db_int(lab, "SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL", NULL, -1), 0);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* Serials as people paste them: lower case, colons, 0x, leading zeros. */
START_TEST(test_revoke_by_serial_forms)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    struct cert_record issued[3], rec;
    char form[3][128];
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    for (int k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "s%d.test", k);
        issue_simple(lab, name, &issued[k]);
    }
    /* lower case */
    snprintf(form[0], sizeof form[0], "%s", issued[0].serial_hex);
    for (char *p = form[0]; *p != 0; p++)
        *p = (char)tolower((unsigned char)*p);
    /* colon-separated lower case, as openssl prints it */
    size_t n = 0;
    for (const char *p = issued[1].serial_hex; *p != 0; p += 2) {
        n += (size_t)snprintf(form[1] + n, sizeof form[1] - n, "%s%c%c", n > 0 ? ":" : "",
                              tolower((unsigned char)p[0]), tolower((unsigned char)p[1]));
    }
    /* 0x prefix with a leading zero byte */
    snprintf(form[2], sizeof form[2], "0x00%s", issued[2].serial_hex);

    for (int k = 0; k < 3; k++) {
        ck_assert_msg(ca_revoke(lab, NULL, form[k], REASON_SUPERSEDED, &rec, &err) == CA_OK,
                      "revoke --serial %s: %s", form[k], err.msg);
        ck_assert_str_eq(rec.serial_hex, issued[k].serial_hex);
        ck_assert_str_eq(rec.name, issued[k].name);
    }
    ck_assert_int_eq(ca_revoke(lab, NULL, form[1], REASON_SUPERSEDED, &rec, &err),
                     CA_ALREADY_REVOKED);
    ck_assert_int_eq(ca_revoke(lab, NULL, "0102030405", REASON_SUPERSEDED, &rec, &err),
                     CA_NOT_FOUND);
    ck_assert_msg(test_contains(err.msg, "no certificate with serial 0102030405"), "%s", err.msg);
    ck_assert_int_lt(ca_revoke(lab, NULL, "xyz", REASON_SUPERSEDED, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "invalid serial 'xyz'"), "%s", err.msg);
    /* Exactly one of NAME and serial. */
    ck_assert_int_lt(ca_revoke(lab, "s0.test", form[0], REASON_SUPERSEDED, &rec, &err), 0);
    ck_assert_int_lt(ca_revoke(lab, NULL, NULL, REASON_SUPERSEDED, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "NAME or --serial"), "%s", err.msg);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- input checks, table-driven ----------------------------------------------- */

static const struct name_case {
    const char *input;
    const char *want; /* normalized; NULL: rejected */
    const char *want_error;
} name_cases[] = {
    {"shop.test", "shop.test", NULL},
    {"Shop.TEST", "shop.test", NULL},
    {"a", "a", NULL},
    {"a-b.c-d.test", "a-b.c-d.test", NULL},
    {"xn--bcher-kva.test", "xn--bcher-kva.test", NULL},
    {"bad_name", NULL, "'_' is not allowed"},
    {"-x.test", NULL, "inner hyphens"},
    {"x-.test", NULL, "inner hyphens"},
    {"a..b", NULL, "1 to 63"},
    {".test", NULL, "1 to 63"},
    {"test.", NULL, "1 to 63"},
    {"sh op", NULL, "' ' is not allowed"},
    {"shop.test/x", NULL, "'/' is not allowed"},
    {"", NULL, "use 1 to 200 characters"},
    {"@LABEL64", NULL, "1 to 63"},
    {"@LABEL63", "@LABEL63", NULL},
    /* DNS allows 253, but NAME is also a file name (CA_MAX_NAME_LEN). */
    {"@NAME200", "@NAME200", NULL},
    {"@NAME201", NULL, "use 1 to 200 characters"},
    {"@NAME253", NULL, "use 1 to 200 characters"},
    {"@NAME254", NULL, "use 1 to 200 characters"},
};

/* "@…" rows stand for names too long to write inline: "@NAME200" is a
 * valid-looking name of 200 characters (labels of 63 joined by dots). */
static void expand_name(const char *row, char *out, size_t cap)
{
    size_t len = 0;
    if (strncmp(row, "@NAME", 5) == 0) {
        size_t total = (size_t)strtoul(row + 5, NULL, 10);
        ck_assert_uint_lt(total, cap);
        for (size_t i = 0; i < total; i++)
            out[len++] = (i % 64 == 63) ? '.' : 'a';
    } else if (strcmp(row, "@LABEL64") == 0 || strcmp(row, "@LABEL63") == 0) {
        size_t label = strcmp(row, "@LABEL64") == 0 ? 64 : 63;
        for (size_t i = 0; i < label; i++)
            out[len++] = 'l';
        memcpy(out + len, ".test", 5);
        len += 5;
    } else {
        len = strlen(row);
        memcpy(out, row, len);
    }
    ck_assert_uint_lt(len, cap);
    out[len] = 0;
}

START_TEST(test_normalize_dns_name)
{
    const struct name_case *c = &name_cases[_i];
    char input[512], want[512], out[CERTSTORE_NAME_MAX];
    struct errbuf err = {{0}};
    expand_name(c->input, input, sizeof input);
    int rc = ca_normalize_dns_name(input, out, sizeof out, &err);
    if (c->want == NULL) {
        ck_assert_msg(rc != 0, "'%s' (row %d) was accepted as '%s'", input, _i, out);
        ck_assert_msg(test_contains(err.msg, c->want_error), "'%s': %s", input, err.msg);
        ck_assert_msg(test_contains(err.msg, "invalid name"), "%s", err.msg);
    } else {
        expand_name(c->want, want, sizeof want);
        ck_assert_msg(rc == 0, "'%s' rejected: %s", input, err.msg);
        ck_assert_str_eq(out, want);
    }
}
END_TEST

static const struct serial_case {
    const char *input;
    const char *want; /* NULL: rejected */
} serial_cases[] = {
    {"5A3F", "5A3F"},
    {"5a3f", "5A3F"},
    {"5a:3f", "5A3F"},
    {"0x5A3F", "5A3F"},
    {"0X5a3f", "5A3F"},
    {"00:5A:3F", "5A3F"},
    {"A3F", "0A3F"},
    {"5a 3f", "5A3F"},
    {"xyz", NULL},
    {"5A-3F", NULL},
    {"", NULL},
    {"0x", NULL},
    {"00", NULL},
    /* 21 bytes */
    {"414243444546474849414243444546474849505152", NULL},
};

START_TEST(test_normalize_serial)
{
    const struct serial_case *c = &serial_cases[_i];
    char out[CERTSTORE_SERIAL_HEX_MAX];
    struct errbuf err = {{0}};
    int rc = ca_normalize_serial(c->input, out, sizeof out, &err);
    if (c->want == NULL) {
        ck_assert_msg(rc != 0, "'%s' accepted as '%s'", c->input, out);
        ck_assert_msg(test_contains(err.msg, "invalid serial"), "%s", err.msg);
    } else {
        ck_assert_msg(rc == 0, "'%s' rejected: %s", c->input, err.msg);
        ck_assert_str_eq(out, c->want);
    }
}
END_TEST

/* RFC 5280 4.1.2.2 allows serials of up to 20 octets, i.e. 40 hex digits
 * (found rejected by an off-by-one, ca.c:88, fixed in e8866bb). */
START_TEST(test_normalize_serial_accepts_20_bytes)
{
    const char *twenty = "4142434445464748494A4B4C4D4E4F5051525354";
    char out[CERTSTORE_SERIAL_HEX_MAX];
    struct errbuf err = {{0}};
    ck_assert_uint_eq(strlen(twenty), 40);
    ck_assert_msg(ca_normalize_serial(twenty, out, sizeof out, &err) == 0,
                  "a 20-byte serial is rejected: %s", err.msg);
    ck_assert_str_eq(out, twenty);
    /* 39 digits: an odd count gets its leading zero back and still fits. */
    ck_assert_msg(ca_normalize_serial(twenty + 1, out, sizeof out, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(out, "0142434445464748494A4B4C4D4E4F5051525354");
}
END_TEST

static const struct url_case {
    const char *url;
    bool is_ok;
} url_cases[] = {
    {"http://127.0.0.1:8080/", true},
    {"http://ocsp.test/path?x=1", true},
    {"http://a", true},
    {"ftp://127.0.0.1/", false},
    {"https://127.0.0.1/", false},
    {"HTTP://127.0.0.1/", false},
    {"http://", false},
    {"http://a b/", false},
    {"http://a\tb/", false},
    {"http://a/\n", false},
    {"127.0.0.1:8080", false},
    {"", false},
};

START_TEST(test_check_ocsp_url)
{
    const struct url_case *c = &url_cases[_i];
    struct errbuf err = {{0}};
    int rc = ca_check_ocsp_url(c->url, &err);
    ck_assert_msg((rc == 0) == c->is_ok, "'%s': rc %d %s", c->url, rc, err.msg);
    if (!c->is_ok)
        ck_assert_msg(test_contains(err.msg, "invalid OCSP URL"), "%s", err.msg);
}
END_TEST

/* 255 characters fit; 256 is one too many. */
START_TEST(test_ocsp_url_length)
{
    char url[300] = "http://";
    struct errbuf err = {{0}};
    while (strlen(url) < 256)
        strcat(url, "a");
    ck_assert_int_ne(ca_check_ocsp_url(url, &err), 0);
    ck_assert_msg(test_contains(err.msg, "invalid OCSP URL"), "%s", err.msg);
    url[255] = 0;
    ck_assert_msg(ca_check_ocsp_url(url, &err) == 0, "%s", err.msg);
}
END_TEST

/* Rejected input changes nothing: no row, no file. */
static const struct bad_issue_case {
    const char *name;
    int days;
    const char *ocsp_url;
    const char *want_error;
} bad_issue_cases[] = {
    {"bad_name", 90, NULL, "invalid name 'bad_name'"},
    {"-x.test", 90, NULL, "invalid name '-x.test'"},
    {"a..b", 90, NULL, "invalid name 'a..b'"},
    {"sh op", 90, NULL, "invalid name 'sh op'"},
    {"@NAME201", 90, NULL, "use 1 to 200 characters"},
    {"x.test", 0, NULL, "invalid --days 0"},
    {"x.test", -1, NULL, "invalid --days -1"},
    {"x.test", CA_MAX_DAYS + 1, NULL, "invalid --days 3651"},
    {"x.test", 90, "ftp://127.0.0.1/", "invalid OCSP URL"},
    {"x.test", 90, "http://127.0.0.1 :8080/", "spaces"},
};

START_TEST(test_issue_rejects_bad_input)
{
    const struct bad_issue_case *c = &bad_issue_cases[_i];
    char *lab = test_tmpdir();
    char name[512], certs[LAB_PATH_MAX], files[1024];
    struct cert_record rec;
    struct errbuf err = {{0}};
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    expand_name(c->name, name, sizeof name);
    struct ca_issue_options opts = {.name = name, .days = c->days, .ocsp_url = c->ocsp_url};
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, c->want_error), "want '%s' in: %s", c->want_error,
                  err.msg);
    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), 0);
    lab_join(certs, lab, LAB_CERTS_DIR);
    test_list_dir(certs, files, sizeof files);
    ck_assert_str_eq(files, "");
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* CA_MAX_DAYS equals the root's lifetime, so after a day a leaf that long
 * would outlive its root: refused with a hint, not issued. */
START_TEST(test_issue_cannot_outlive_root)
{
    char *lab = test_tmpdir();
    struct cert_record rec;
    struct errbuf err = {{0}};
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    ck_assert_int_eq(clock_offset_write(lab, 86400, &err), 0);
    ck_assert_int_eq(clock_init(lab, &err), 0);
    struct ca_issue_options opts = {.name = "long.test", .days = CA_MAX_DAYS};
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "would outlive the root CA"), "%s", err.msg);
    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), 0);
    opts.days = CA_MAX_DAYS - 2;
    ck_assert_msg(ca_issue(lab, &opts, &rec, &err) == CA_OK, "%s", err.msg);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* The longest name the CA takes is issued, verifies, and fits its file
 * names (a 253-character name once got as far as "File name too long"
 * after generating its key; fixed in e8866bb by CA_MAX_NAME_LEN). */
START_TEST(test_issue_longest_name)
{
    char *lab = test_tmpdir();
    char token[32], name[512], root[LAB_PATH_MAX], leaf[LAB_PATH_MAX], certs[LAB_PATH_MAX];
    char files[1024];
    struct cert_record rec;
    struct errbuf err = {{0}};
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    snprintf(token, sizeof token, "@NAME%d", CA_MAX_NAME_LEN);
    expand_name(token, name, sizeof name);
    struct ca_issue_options opts = {.name = name, .days = 30};
    ck_assert_msg(ca_issue(lab, &opts, &rec, &err) == CA_OK, "%s", err.msg);
    lab_join(root, lab, LAB_ROOT_CERT);
    cert_path(leaf, lab, name, "pem");
    assert_both_verify(root, leaf, NULL);

    /* One more character is refused before any key is made or file written. */
    strcat(name, "a");
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "it also names the files"), "%s", err.msg);
    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), 1);
    lab_join(certs, lab, LAB_CERTS_DIR);
    test_list_dir(certs, files, sizeof files);
    ck_assert_uint_eq(strlen(files), 2 * (CA_MAX_NAME_LEN + 4) + 1); /* NAME.key,NAME.pem */
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- missing CA, foreign or broken files ------------------------------------ */

START_TEST(test_steps_before_init)
{
    char *lab = test_tmpdir();
    char db[LAB_PATH_MAX];
    struct cert_record rec;
    struct record_list list;
    struct errbuf err = {{0}};
    struct ca_issue_options opts = {.name = "shop.test", .days = 30};
    lab_join(db, lab, LAB_DB_FILE);

    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "run 'ca init"), "%s", err.msg);
    ck_assert_int_lt(ca_revoke(lab, "shop.test", NULL, REASON_UNSPECIFIED, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "run 'ca init"), "%s", err.msg);
    memset(&list, 0, sizeof list);
    ck_assert_int_lt(ca_list(lab, collect_record, &list, &err), 0);
    ck_assert_msg(test_contains(err.msg, "run 'ca init"), "%s", err.msg);
    ck_assert_msg(!file_exists(db), "a failed step created %s", db);

    /* An empty database file (no CA row) says the same. */
    FILE *f = fopen(db, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "run 'ca init"), "%s", err.msg);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* A SQLite file of another application is refused and left byte for byte. */
START_TEST(test_foreign_database_untouched)
{
    char *lab = test_tmpdir();
    char db_path[LAB_PATH_MAX], root[LAB_PATH_MAX];
    struct cert_record rec;
    struct record_list list;
    struct ca_init_result result;
    struct errbuf err = {{0}};
    sqlite3 *db = NULL;
    lab_join(db_path, lab, LAB_DB_FILE);
    lab_join(root, lab, LAB_ROOT_CERT);
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  _i == 0 ? "CREATE TABLE recipes (name TEXT); "
                                            "INSERT INTO recipes VALUES ('bread');"
                                          : "PRAGMA application_id = 1234; "
                                            "CREATE TABLE t (x);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
    char *before = test_read_text(db_path);
    struct stat st_before, st_after;
    ck_assert_int_eq(stat(db_path, &st_before), 0);

    struct ca_issue_options opts = {.name = "shop.test", .days = 30};
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "not an OCSP Lab database"), "%s", err.msg);
    ck_assert_int_lt(ca_revoke(lab, "shop.test", NULL, REASON_UNSPECIFIED, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "not an OCSP Lab database"), "%s", err.msg);
    memset(&list, 0, sizeof list);
    ck_assert_int_lt(ca_list(lab, collect_record, &list, &err), 0);
    ck_assert_msg(test_contains(err.msg, "not an OCSP Lab database"), "%s", err.msg);
    struct ca_init_options init = {
        .key_type = KEY_EC_P256, .name = CA_DEFAULT_NAME, .ocsp_url = DEFAULT_URL, .force = true};
    ck_assert_int_lt(ca_init(lab, &init, &result, &err), 0);
    ck_assert_msg(test_contains(err.msg, "not an OCSP Lab database"), "%s", err.msg);
    ck_assert_msg(!file_exists(root), "a root was written next to a foreign database");

    ck_assert_int_eq(stat(db_path, &st_after), 0);
    ck_assert_int_eq(st_after.st_size, st_before.st_size);
    char *after = test_read_text(db_path);
    ck_assert_int_eq(memcmp(before, after, (size_t)st_before.st_size), 0);
    free(before);
    free(after);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* A missing, garbled or foreign root key stops issuing with the file named. */
START_TEST(test_broken_root_files)
{
    char *lab = test_tmpdir();
    char key[LAB_PATH_MAX], pem[LAB_PATH_MAX], certs[LAB_PATH_MAX], files[1024];
    struct cert_record rec;
    struct errbuf err = {{0}};
    struct ca_issue_options opts = {.name = "x.test", .days = 30};
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    lab_join(key, lab, LAB_ROOT_KEY);
    lab_join(pem, lab, LAB_ROOT_CERT);
    lab_join(certs, lab, LAB_CERTS_DIR);
    char *good_key = test_read_text(key);
    char *good_pem = test_read_text(pem);

    ck_assert_int_eq(unlink(key), 0);
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "root.key") &&
                      test_contains(err.msg, "cannot load the CA"),
                  "%s", err.msg);

    ck_assert_int_eq(file_write_atomic(key, "garbage\n", 8, 0600, NULL), 0);
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "root.key"), "%s", err.msg);

    ck_assert_int_eq(file_write_atomic(key, good_key, strlen(good_key), 0600, NULL), 0);
    ck_assert_int_eq(file_write_atomic(pem, "-----BEGIN CERTIFICATE-----\nAAAA\n", 33, 0644, NULL),
                     0);
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "root.pem"), "%s", err.msg);

    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), 0);
    test_list_dir(certs, files, sizeof files);
    ck_assert_str_eq(files, "");
    ck_assert_int_eq(file_write_atomic(pem, good_pem, strlen(good_pem), 0644, NULL), 0);
    issue_simple(lab, "x.test", NULL);
    free(good_key);
    free(good_pem);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* Another CA's key in ca/root.key would sign certificates no client can
 * verify: refused, naming both files (found accepted, fixed in e8866bb). */
START_TEST(test_issue_refuses_mismatched_root_key)
{
    char *lab = test_tmpdir();
    char *other = test_tmpdir();
    char key[LAB_PATH_MAX], other_key[LAB_PATH_MAX], pem[LAB_PATH_MAX];
    struct cert_record rec;
    struct errbuf err = {{0}};
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    init_ca_with(other, KEY_EC_P256, false, NULL, NULL);
    lab_join(key, lab, LAB_ROOT_KEY);
    lab_join(other_key, other, LAB_ROOT_KEY);
    lab_join(pem, lab, "certs/x.test.pem");
    char *foreign = test_read_text(other_key);
    ck_assert_int_eq(file_write_atomic(key, foreign, strlen(foreign), 0600, NULL), 0);
    free(foreign);

    struct ca_issue_options opts = {.name = "x.test", .days = 30};
    int rc = ca_issue(lab, &opts, &rec, &err);
    ck_assert_msg(rc != CA_OK, "issued %s with a root.key that does not match root.pem",
                  rec.serial_hex);
    ck_assert_msg(test_contains(err.msg, "root.key does not belong to") &&
                      test_contains(err.msg, "root.pem"),
                  "%s", err.msg);
    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), 0);
    ck_assert(!file_exists(pem));
    test_rmtree(other);
    free(other);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* The files appear only after the database has committed: when the commit
 * itself fails (a deferred constraint here; a full disk in real life), there
 * is no row and no certs/NAME.pem or .key, and no temporary is left over. */
START_TEST(test_failed_commit_leaves_no_files)
{
    char *lab = test_tmpdir();
    char certs[LAB_PATH_MAX], files[1024];
    struct cert_record rec;
    struct errbuf err = {{0}};
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    issue_simple(lab, "shop.test", NULL);
    lab_join(certs, lab, LAB_CERTS_DIR);
    sqlite3 *db = open_db(lab);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "CREATE TABLE test_parent (id INTEGER PRIMARY KEY);"
                                  "CREATE TABLE test_child (parent INTEGER REFERENCES"
                                  " test_parent (id) DEFERRABLE INITIALLY DEFERRED);"
                                  "CREATE TRIGGER test_refuse AFTER INSERT ON certificates"
                                  " BEGIN INSERT INTO test_child VALUES (42); END;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    struct ca_issue_options opts = {.name = "new.test", .days = 30};
    ck_assert_int_lt(ca_issue(lab, &opts, &rec, &err), 0);
    ck_assert_msg(test_contains(err.msg, "commit"), "%s", err.msg);
    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), 1);
    test_list_dir(certs, files, sizeof files);
    ck_assert_str_eq(files, "shop.test.key,shop.test.pem");
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- 6 (library side): a locked database --------------------------------- */

struct locked_step {
    int rc;
    double seconds;
    struct errbuf err;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one step in a child process (its own database connection, as another
 * program would have) and returns the child's pid; the outcome comes back
 * through *fd. Processes, not threads: wolfSSL's per-thread ECC cache
 * (FP_ECC) is only freed for the thread that calls wolfCrypt_Cleanup. */
static pid_t start_locked_step(const char *lab, bool is_issue, int *fd)
{
    int pipe_fds[2];
    ck_assert_int_eq(pipe(pipe_fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct locked_step step = {0};
        struct cert_record rec;
        close(pipe_fds[0]);
        double start = now_seconds();
        if (is_issue) {
            struct ca_issue_options opts = {.name = "new.test", .days = 30};
            step.rc = ca_issue(lab, &opts, &rec, &step.err);
        } else {
            step.rc = ca_revoke(lab, "shop.test", NULL, REASON_KEY_COMPROMISE, &rec, &step.err);
        }
        step.seconds = now_seconds() - start;
        ssize_t written = write(pipe_fds[1], &step, sizeof step);
        _exit(written == (ssize_t)sizeof step ? 0 : 3);
    }
    close(pipe_fds[1]);
    *fd = pipe_fds[0];
    return pid;
}

static void finish_locked_step(pid_t pid, int fd, struct locked_step *step)
{
    int status = 0;
    ssize_t got = read(fd, step, sizeof *step);
    close(fd);
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof *step) {
        step->rc = 99;
        snprintf(step->err.msg, sizeof step->err.msg, "the child did not report (status %d)",
                 status);
    }
}

/* Another writer holds the database: issue and revoke wait the busy timeout,
 * give up saying "locked", and leave nothing behind. Both run at once so the
 * test waits one timeout, not two. */
START_TEST(test_locked_database)
{
    char *lab = test_tmpdir();
    char certs[LAB_PATH_MAX], files[1024];
    struct locked_step steps[2];
    pid_t pids[2];
    int fds[2];
    struct record_list list;
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    issue_simple(lab, "shop.test", NULL);
    lab_join(certs, lab, LAB_CERTS_DIR);

    sqlite3 *holder = open_db(lab);
    ck_assert_int_eq(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    for (int k = 0; k < 2; k++)
        pids[k] = start_locked_step(lab, k == 0, &fds[k]);
    /* Readers are not blocked by a writer (WAL). */
    struct errbuf err = {{0}};
    memset(&list, 0, sizeof list);
    int list_rc = ca_list(lab, collect_record, &list, &err);
    for (int k = 0; k < 2; k++)
        finish_locked_step(pids[k], fds[k], &steps[k]);
    int rollback = sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(holder);
    ck_assert_int_eq(rollback, SQLITE_OK);
    ck_assert_msg(list_rc == 0 && list.count == 1, "list under a lock: %s", err.msg);

    for (int k = 0; k < 2; k++) {
        const char *what = k == 0 ? "issue" : "revoke";
        ck_assert_msg(steps[k].rc < 0, "%s under a lock: %d %s", what, steps[k].rc,
                      steps[k].err.msg);
        ck_assert_msg(test_contains(steps[k].err.msg, "locked"), "%s", steps[k].err.msg);
        /* It waited (a second writer is normal), then gave up; the 5-second
         * margin is for key generation on a busy machine, not for waiting. */
        ck_assert_msg(steps[k].seconds > DB_BUSY_TIMEOUT_MS / 1000.0 - 0.5 &&
                          steps[k].seconds < DB_BUSY_TIMEOUT_MS / 1000.0 + 5,
                      "%s gave up after %.2f s", what, steps[k].seconds);
    }
    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), 1);
    ck_assert_int_eq(
        db_int(lab, "SELECT count(*) FROM certificates WHERE revoked_at IS NULL", NULL, -1), 1);
    test_list_dir(certs, files, sizeof files);
    ck_assert_str_eq(files, "shop.test.key,shop.test.pem");
    assert_integrity_ok(lab);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- 5: concurrent revokers and listers ------------------------------------ */

/* The race (race_harness.h) through the library: ca_list and ca_revoke. */
struct lib_race {
    const char *lab;
    char serials[RACE_CERTS][CERTSTORE_SERIAL_HEX_MAX];
};

static int count_revoked(const struct cert_record *rec, void *ctx)
{
    int *counts = ctx; /* [0] rows, [1] revoked */
    counts[0]++;
    if (rec->is_revoked)
        counts[1]++;
    return 0;
}

/* Every list has all the rows, whatever the revokers are doing. */
static int lib_race_list(void *ctx, char *why, size_t why_cap)
{
    const struct lib_race *race = ctx;
    int counts[2] = {0, 0};
    struct errbuf err = {{0}};
    int rc = ca_list(race->lab, count_revoked, counts, &err);
    if (rc != 0 || counts[0] != RACE_CERTS) {
        snprintf(why, why_cap, "rc %d rows %d revoked %d: %s", rc, counts[0], counts[1], err.msg);
        return -1;
    }
    return counts[1];
}

/* Revoker k gives reason k + 1 (keyCompromise .. superseded). */
static int lib_race_revoke(void *ctx, int k, int cert)
{
    const struct lib_race *race = ctx;
    struct cert_record rec;
    return ca_revoke(race->lab, NULL, race->serials[cert], (enum revocation_reason)(k + 1), &rec,
                     NULL);
}

START_TEST(test_concurrent_revoke_and_list)
{
    char *lab = test_tmpdir();
    struct lib_race race = {.lab = lab};
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    for (int i = 0; i < RACE_CERTS; i++) {
        char name[32];
        struct cert_record rec;
        snprintf(name, sizeof name, "race%02d.test", i);
        issue_simple(lab, name, &rec);
        snprintf(race.serials[i], sizeof race.serials[i], "%s", rec.serial_hex);
    }

    const struct race_spec spec = {
        .ctx = &race,
        .list_once = lib_race_list,
        .revoke = lib_race_revoke,
        .ok_code = CA_OK,
        .already_code = CA_ALREADY_REVOKED,
        .lister_ms = 10 * 1000,
        .limit_ms = 40 * 1000, /* under the test case's 60 s */
        .leftover_needle = NULL,
    };
    int winners[RACE_CERTS];
    race_run(&spec, winners);
    for (int i = 0; i < RACE_CERTS; i++) {
        /* The winner's reason is the one recorded. */
        ck_assert_int_eq(db_int(lab, "SELECT revocation_reason FROM certificates WHERE serial = ?",
                                race.serials[i], -1),
                         winners[i] + 1);
    }
    ck_assert_int_eq(
        db_int(lab, "SELECT count(*) FROM certificates WHERE revoked_at IS NULL", NULL, -1), 0);
    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), RACE_CERTS);
    assert_integrity_ok(lab);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- 7, 8: the trace and the list ------------------------------------------ */

static json_t *trace_line(json_t *lines, size_t index, const char *event)
{
    json_t *line = json_array_get(lines, index);
    ck_assert_msg(line != NULL, "no trace line %zu (%s)", index, event);
    ck_assert_str_eq(json_string_value(json_object_get(line, "event")), event);
    ck_assert_str_eq(json_string_value(json_object_get(line, "actor")), "ca");
    ck_assert_int_eq(json_integer_value(json_object_get(line, "pid")), getpid());
    ck_assert_ptr_nonnull(json_string_value(json_object_get(line, "ts")));
    return line;
}

/* The message names the thing and its serial; the serial field agrees. */
static void assert_trace_mentions(json_t *line, const char *name, const char *serial)
{
    const char *msg = json_string_value(json_object_get(line, "msg"));
    ck_assert_msg(test_contains(msg, name) && test_contains(msg, serial),
                  "msg should name '%s' and %s: %s", name, serial, msg);
    ck_assert_str_eq(json_string_value(json_object_get(line, "serial")), serial);
}

static json_t *read_trace(const char *lab)
{
    char path[LAB_PATH_MAX];
    lab_join(path, lab, LAB_TRACE_FILE);
    char *text = test_read_text(path);
    ck_assert_ptr_nonnull(text);
    json_t *lines = json_array();
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        json_error_t error;
        json_t *obj = json_loads(line, 0, &error);
        ck_assert_msg(json_is_object(obj), "trace line is not a JSON object: %s (%s)", line,
                      error.text);
        json_array_append_new(lines, obj);
    }
    free(text);
    return lines;
}

START_TEST(test_trace_lines)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    struct ca_init_result init;
    struct cert_record issued, rec;
    ck_assert_msg(trace_open(lab, "ca", &err) == 0, "%s", err.msg);
    init_ca_with(lab, KEY_EC_P256, true, NULL, &init);
    issue_with(lab, "shop.test", KEY_EC_P256, true, NULL, &issued);
    ck_assert_int_eq(ca_revoke(lab, "shop.test", NULL, REASON_CESSATION_OF_OPERATION, &rec, &err),
                     CA_OK);
    /* Failed steps leave no event. */
    ck_assert_int_eq(ca_revoke(lab, "shop.test", NULL, REASON_UNSPECIFIED, &rec, &err),
                     CA_ALREADY_REVOKED);
    ck_assert_int_eq(ca_revoke(lab, "mail.test", NULL, REASON_UNSPECIFIED, &rec, &err),
                     CA_NOT_FOUND);
    trace_close();

    json_t *lines = read_trace(lab);
    ck_assert_uint_eq(json_array_size(lines), 4);
    json_t *line = trace_line(lines, 0, "ca.init");
    assert_trace_mentions(line, CA_DEFAULT_NAME, init.root_serial_hex);
    line = trace_line(lines, 1, "ca.delegate.issued");
    assert_trace_mentions(line, "OCSP", init.delegate_serial_hex);
    line = trace_line(lines, 2, "ca.cert.issued");
    assert_trace_mentions(line, "shop.test", issued.serial_hex);
    ck_assert_str_eq(json_string_value(json_object_get(line, "name")), "shop.test");
    ck_assert(json_is_true(json_object_get(line, "must_staple")));
    ck_assert_msg(test_contains(json_string_value(json_object_get(line, "msg")), "must-staple"),
                  "issue msg should say must-staple");
    line = trace_line(lines, 3, "ca.cert.revoked");
    assert_trace_mentions(line, "shop.test", issued.serial_hex);
    ck_assert_str_eq(json_string_value(json_object_get(line, "reason")), "cessationOfOperation");
    char when[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(rec.revoked_at * 1000, when, sizeof when);
    ck_assert_str_eq(json_string_value(json_object_get(line, "revoked_at")), when);
    json_decref(lines);
    test_rmtree(lab);
    free(lab);
}
END_TEST

START_TEST(test_list_records)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    struct ca_init_result init;
    struct cert_record a, b, c, rec;
    struct record_list list;
    init_ca_with(lab, KEY_EC_P256, true, NULL, &init);
    issue_simple(lab, "a.test", &a);
    issue_with(lab, "b.test", KEY_EC_P256, true, NULL, &b);
    issue_simple(lab, "c.test", &c);
    ck_assert_int_eq(ca_revoke(lab, "b.test", NULL, REASON_AFFILIATION_CHANGED, &rec, &err), CA_OK);

    list_records(lab, &list);
    ck_assert_uint_eq(list.count, 4);
    /* Oldest first: the delegate, then a, b, c. */
    ck_assert_str_eq(list.rec[0].serial_hex, init.delegate_serial_hex);
    ck_assert_str_eq(list.rec[0].kind, "ocsp-signer");
    const struct cert_record *want[] = {&a, &b, &c};
    for (int k = 0; k < 3; k++) {
        const struct cert_record *got = &list.rec[k + 1];
        ck_assert_str_eq(got->serial_hex, want[k]->serial_hex);
        ck_assert_str_eq(got->name, want[k]->name);
        ck_assert_str_eq(got->kind, "server");
        ck_assert_int_eq(got->not_after, want[k]->not_after);
        ck_assert_int_eq(got->not_before, want[k]->not_before);
        ck_assert(got->is_must_staple == (k == 1));
        ck_assert(got->is_revoked == (k == 1));
    }
    ck_assert_int_eq(list.rec[2].revocation_reason, REASON_AFFILIATION_CHANGED);
    ck_assert_int_eq(list.rec[2].revoked_at, rec.revoked_at);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ca_init makes the control token, and a new one with force. */
START_TEST(test_init_makes_control_token)
{
    char *lab = test_tmpdir();
    char first[CONTROL_TOKEN_HEX + 1], second[CONTROL_TOKEN_HEX + 1];
    struct errbuf err = {{0}};
    struct ca_init_result result;
    init_ca_with(lab, KEY_EC_P256, false, NULL, NULL);
    ck_assert_msg(control_token_read(lab, first, &err) == 0, "%s", err.msg);
    struct ca_init_options opts = {
        .key_type = KEY_EC_P256, .name = CA_DEFAULT_NAME, .ocsp_url = DEFAULT_URL, .force = true};
    ck_assert_msg(ca_init(lab, &opts, &result, &err) == CA_OK, "%s", err.msg);
    ck_assert_msg(control_token_read(lab, second, &err) == 0, "%s", err.msg);
    ck_assert_str_ne(first, second);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* The library's own messages carry user input escaped, so a caller that
 * prints err.msg without cli_error cannot send a raw ESC to a terminal. */
static const struct {
    const char *input;
    const char *want; /* in err.msg */
} escaped_inputs[] = {
    {"bad\x1b[31mname", "'bad\\x1b[31mname': '\\x1b' is not allowed"},
    {"a\x7f"
     "b.test",
     "'a\\x7fb.test': '\\x7f' is not allowed"},
    {"x\xc2\x9b"
     "1m.test",
     "'\\xc2\\x9b' is not allowed"},
    {"x\xff.test", "'x\\xff.test': '\\xff' is not allowed"},
    {"caf\xc3\xa9.test", "'\xc3\xa9' is not allowed"},
};

START_TEST(test_input_escaped_in_messages)
{
    char out[CERTSTORE_NAME_MAX], serial[CERTSTORE_SERIAL_HEX_MAX];
    struct errbuf err = {{0}};
    ck_assert_int_ne(ca_normalize_dns_name(escaped_inputs[_i].input, out, sizeof out, &err), 0);
    ck_assert_msg(test_contains(err.msg, escaped_inputs[_i].want), "want %s in: %s",
                  escaped_inputs[_i].want, err.msg);
    ck_assert_msg(strchr(err.msg, 0x1b) == NULL && strchr(err.msg, 0x7f) == NULL, "%s", err.msg);
    ck_assert_int_ne(ca_normalize_serial("AB\x1b]2;x\x07", serial, sizeof serial, &err), 0);
    ck_assert_msg(test_contains(err.msg, "'AB\\x1b]2;x\\x07'"), "%s", err.msg);
    ck_assert_int_ne(ca_check_ocsp_url("http://a\x1b[2J/", &err), 0);
    ck_assert_msg(test_contains(err.msg, "'http://a\\x1b[2J/'"), "%s", err.msg);
}
END_TEST

Suite *ca_suite(void);
Suite *ca_suite(void)
{
    Suite *s = suite_create("ca");

    TCase *certs = tcase_create("certificates");
    tcase_set_timeout(certs, 60);
    tcase_add_unchecked_fixture(certs, scratch_setup, scratch_teardown);
    tcase_add_loop_test(certs, test_leaf_certificate, 0,
                        (int)(sizeof leaf_cases / sizeof leaf_cases[0]));
    tcase_add_loop_test(certs, test_root_and_delegate, 0, 2);
    tcase_add_loop_test(certs, test_file_modes, 0, 2);
    tcase_add_test(certs, test_init_refuses_existing_ca);
    tcase_add_test(certs, test_init_makes_control_token);
    suite_add_tcase(s, certs);

    TCase *input = tcase_create("input");
    tcase_set_timeout(input, 30);
    tcase_add_unchecked_fixture(input, scratch_setup, scratch_teardown);
    tcase_add_loop_test(input, test_normalize_dns_name, 0,
                        (int)(sizeof name_cases / sizeof name_cases[0]));
    tcase_add_loop_test(input, test_normalize_serial, 0,
                        (int)(sizeof serial_cases / sizeof serial_cases[0]));
    tcase_add_test(input, test_normalize_serial_accepts_20_bytes);
    tcase_add_loop_test(input, test_check_ocsp_url, 0,
                        (int)(sizeof url_cases / sizeof url_cases[0]));
    tcase_add_test(input, test_ocsp_url_length);
    tcase_add_loop_test(input, test_issue_rejects_bad_input, 0,
                        (int)(sizeof bad_issue_cases / sizeof bad_issue_cases[0]));
    tcase_add_test(input, test_issue_cannot_outlive_root);
    tcase_add_test(input, test_issue_longest_name);
    tcase_add_loop_test(input, test_input_escaped_in_messages, 0,
                        (int)(sizeof escaped_inputs / sizeof escaped_inputs[0]));
    suite_add_tcase(s, input);

    TCase *records = tcase_create("records");
    tcase_set_timeout(records, 60);
    tcase_add_unchecked_fixture(records, scratch_setup, scratch_teardown);
    tcase_add_test(records, test_revoke_records_simulated_time_and_reason);
    tcase_add_test(records, test_revoke_unknown_name_lists_known_names);
    tcase_add_test(records, test_revoke_by_serial_forms);
    tcase_add_test(records, test_steps_before_init);
    tcase_add_loop_test(records, test_foreign_database_untouched, 0, 2);
    tcase_add_test(records, test_broken_root_files);
    tcase_add_test(records, test_issue_refuses_mismatched_root_key);
    tcase_add_test(records, test_failed_commit_leaves_no_files);
    tcase_add_test(records, test_locked_database);
    tcase_add_test(records, test_concurrent_revoke_and_list);
    tcase_add_test(records, test_trace_lines);
    tcase_add_test(records, test_list_records);
    suite_add_tcase(s, records);
    return s;
}
