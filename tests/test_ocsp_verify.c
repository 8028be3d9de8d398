/* test_ocsp_verify.c — common/ocsp_verify, the rules of DESIGN 9, on
 * responses built with the lab's codec and keys about certificates made by
 * the real CA: one row per rule (every reject reason has its own), each
 * cross-checked with `openssl ocsp` where OpenSSL has a verdict (and noting
 * where the lab is stricter); the nonce of a direct query; freshness judged
 * at the moment given; and the words a student reads. The browser's
 * `verify-staple` command around it is tested in test_browser.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "der.h"
#include "fileio.h"
#include "ocsp.h"
#include "ocsp_verify.h"
#include "staple_lab.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 20000

/* Every lab of a case lives under one scratch directory that the runner
 * removes after the case: a failing test exits before its own cleanup. */
static void scratch_setup(void)
{
    test_scratch_enter("ocsp_verify");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

static int verify(const struct staple_lab *lab, const struct der_buf *response, int64_t now,
                  const char *nonce, struct ocsp_verdict *verdict)
{
    struct ocsp_verify_input in = {
        .cert = &lab->shop.x509,
        .issuer = &lab->root.x509,
        .now = now,
        .nonce = (const uint8_t *)nonce,
        .nonce_len = nonce != NULL ? strlen(nonce) : 0,
    };
    return ocsp_verify_response(response->data, response->len, &in, verdict);
}

/* ---- One row per rule ------------------------------------------------------------------ */

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
    struct staple_spec spec;
    enum ocsp_verdict_reason want;
    enum openssl_view openssl;
    bool is_stricter; /* the lab refuses what OpenSSL accepts (or only warns about) */
    const char *says; /* words the explanation must hold, or NULL */
} staple_rows[] = {
    {"good, signed by the CA",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
      CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_GOOD,
     OPENSSL_OK_GOOD,
     false,
     NULL},
    {"good, signed by the CA's delegate",
     {SIGNED_BY_DELEGATE, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_GOOD,
     OPENSSL_OK_GOOD,
     false,
     NULL},
    {"good without nextUpdate, 1 day old",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -86400, false, 0, SPECIAL_NONE, MANGLE_NONE,
      CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_GOOD,
     OPENSSL_OK_GOOD,
     false,
     NULL},
    {"revoked",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_REVOKED, -600, true, 86400, SPECIAL_NONE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_REVOKED,
     OPENSSL_OK_REVOKED,
     false,
     NULL},
    {"unknown",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_UNKNOWN, -600, true, 86400, SPECIAL_NONE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_UNKNOWN,
     OPENSSL_OK_UNKNOWN,
     false,
     NULL},
    /* OpenSSL only warns about times (and exits 0): the lab refuses. */
    {"stale (nextUpdate an hour ago)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -2 * 86400, true, -3600, SPECIAL_NONE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_STALE,
     OPENSSL_WARNS_TIMES,
     true,
     NULL},
    {"stale (no nextUpdate, 8 days old)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -8 * 86400, false, 0, SPECIAL_NONE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_STALE,
     OPENSSL_OK_GOOD,
     true,
     NULL},
    {"not yet valid (thisUpdate in an hour)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, 3600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
      CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_NOT_YET_VALID,
     OPENSSL_WARNS_TIMES,
     true,
     NULL},
    {"within the 5 minutes of skew",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, 120, true, 86400, SPECIAL_NONE, MANGLE_NONE,
      CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_GOOD,
     OPENSSL_OK_GOOD,
     false,
     NULL},
    /* RFC 5019 allows SHA-256 CertIDs. `openssl ocsp -cert` looks the status up
     * by a SHA-1 CertID (without -sha256), so it verifies the response but
     * finds no status in it. */
    {"good, CertID with SHA-256",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
      CERTID_SHA256, NULL},
     OCSP_VERDICT_GOOD,
     OPENSSL_NO_STATUS,
     false,
     NULL},
    /* The wrong-cert sentence names the CertID fields that differ. */
    {"wrong certificate (other.test)",
     {SIGNED_BY_ROOT, "other", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
      CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_WRONG_CERT,
     OPENSSL_NO_STATUS,
     false,
     "(SHA-1) the serial number does not match (it names "},
    {"wrong certificate (issuer name hash)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
      CERTID_NAME_HASH, NULL},
     OCSP_VERDICT_WRONG_CERT,
     OPENSSL_NO_STATUS,
     false,
     "(SHA-1) the issuer name hash does not match, though the serial"},
    {"wrong certificate (same serial, another CA's key)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
      CERTID_OTHER_CA, NULL},
     OCSP_VERDICT_WRONG_CERT,
     OPENSSL_NO_STATUS,
     false,
     "(SHA-1) the issuer key hash does not match, though the serial"},
    {"wrong certificate (both issuer hashes)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_NONE,
      CERTID_ISSUER_HASHES, NULL},
     OCSP_VERDICT_WRONG_CERT,
     OPENSSL_NO_STATUS,
     false,
     "the issuer name and key hashes do not match, though the serial"},
    {"bad signature (another lab's key)",
     {SIGNED_BY_OTHER_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_BAD_SIGNATURE,
     OPENSSL_VERIFY_FAILS,
     false,
     NULL},
    {"bad signature (altered after signing)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,
      MANGLE_FLIP_SIGNATURE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_BAD_SIGNATURE,
     OPENSSL_VERIFY_FAILS,
     false,
     NULL},
    {"untrusted signer (the CA's server cert, no OCSPSigning EKU)",
     {SIGNED_BY_SERVER_CERT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_UNTRUSTED_SIGNER,
     OPENSSL_VERIFY_FAILS,
     false,
     NULL},
    {"untrusted signer (another lab's delegate)",
     {SIGNED_BY_OTHER_DELEGATE, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_UNTRUSTED_SIGNER,
     OPENSSL_VERIFY_FAILS,
     false,
     NULL},
    /* OpenSSL does not look at responseExtensions' criticality. */
    {"unknown critical extension",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_CRITICAL_EXTENSION,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_CRITICAL_EXTENSION,
     OPENSSL_OK_GOOD,
     true,
     NULL},
    /* OpenSSL's d2i reads one element and ignores what follows. */
    {"malformed (a trailing byte)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,
      MANGLE_TRAILING_BYTE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_MALFORMED,
     OPENSSL_OK_GOOD,
     true,
     NULL},
    {"malformed (truncated)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE,
      MANGLE_TRUNCATE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_MALFORMED,
     OPENSSL_CANNOT_READ,
     false,
     NULL},
    {"malformed (empty file)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_NONE, MANGLE_EMPTY,
      CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_MALFORMED,
     OPENSSL_CANNOT_READ,
     false,
     NULL},
    /* RFC 6960 4.2.1: "successful" promises a basic response; without one the
     * message is broken (malformed), not a responder's refusal (unsuccessful). */
    {"malformed (successful, no responseBytes)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_SUCCESSFUL_EMPTY,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_MALFORMED,
     OPENSSL_NO_BASIC,
     false,
     "no responseBytes"},
    {"malformed (successful, responseType not basic)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_OTHER_TYPE,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_MALFORMED,
     OPENSSL_NO_BASIC,
     false,
     "of type " OTHER_RESPONSE_TYPE ", not id-pkix-ocsp-basic"},
    {"unsuccessful (tryLater)",
     {SIGNED_BY_ROOT, "shop", OCSP_CERT_STATUS_GOOD, -600, true, 86400, SPECIAL_TRY_LATER,
      MANGLE_NONE, CERTID_AS_COMPUTED, NULL},
     OCSP_VERDICT_UNSUCCESSFUL,
     OPENSSL_RESPONDER_ERR,
     false,
     "'tryLater'"},
};

static void assert_openssl_view(const struct staple_row *row, const struct staple_lab *lab,
                                const char *response_path)
{
    const char *argv[] = {"openssl", "ocsp",        "-respin",   response_path,
                          "-issuer", lab->root.pem, "-cert",     lab->shop.pem,
                          "-CAfile", lab->root.pem, "-no_nonce", NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "timed out: openssl");
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
                  run.exit_code, test_tail_of(out), test_tail_of(err));
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
                                 "response: bad end.",
                                 word, sizeof word));
    ck_assert_str_eq(word, "response");
    ck_assert(
        find_repeated_word("The response is malformed: a malformed body.", word, sizeof word));
    ck_assert_str_eq(word, "malformed");
    ck_assert(find_repeated_word("It is not in the the list.", word, sizeof word));
    ck_assert_str_eq(word, "the");
    ck_assert(!find_repeated_word("Signed by 'Lab Root CA' about the CA's 'Lab Root CA' key.", word,
                                  sizeof word));
    ck_assert(!find_repeated_word("The response's thisUpdate 2026-01-01T00:00:00.000Z is after "
                                  "2025-01-01T00:00:00.000Z.",
                                  word, sizeof word));
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

START_TEST(test_verify_rows)
{
    const struct staple_row *row = &staple_rows[_i];
    struct staple_lab lab, other;
    struct der_buf response = {0};
    struct ocsp_verdict verdict;
    struct errbuf err = {{0}};
    char path[LAB_PATH_MAX];
    int64_t now = (int64_t)time(NULL);

    staple_lab_create(&lab);
    staple_lab_create(&other);
    staple_build(&lab, &other, &row->spec, now, &response);

    int rc = verify(&lab, &response, now, NULL, &verdict);
    ck_assert_msg(verdict.reason == row->want, "%s: got %s (%s), want %s", row->label,
                  ocsp_verdict_reason_name(verdict.reason), verdict.explanation,
                  ocsp_verdict_reason_name(row->want));
    ck_assert_int_eq(rc, row->want == OCSP_VERDICT_GOOD ? 0 : 1);
    ck_assert_msg(strlen(verdict.explanation) > 20, "%s: no explanation", row->label);
    ck_assert_msg(row->says == NULL || test_contains(verdict.explanation, row->says),
                  "%s: explanation lacks '%s':\n%s", row->label, row->says, verdict.explanation);
    char repeated[48];
    ck_assert_msg(!find_repeated_word(verdict.explanation, repeated, sizeof repeated),
                  "%s: '%s' twice in: %s", row->label, repeated, verdict.explanation);

    /* OpenSSL's view of the same bytes. */
    ck_assert_int_eq(file_path_join(path, sizeof path, lab.dir, "staple.der"), 0);
    ck_assert_msg(file_write_atomic(path, response.data, response.len, 0644, &err) == 0, "%s",
                  err.msg);
    assert_openssl_view(row, &lab, path);

    der_buf_free(&response);
    staple_lab_destroy(&lab);
    staple_lab_destroy(&other);
}
END_TEST

/* ---- The nonce of a direct query (RFC 8954, DESIGN 9) ----------------------------------- */

/* A response that echoes a different nonce is refused; one that carries none
 * is accepted (RFC 5019 responders answer from pre-signed responses), and a
 * staple, checked without a nonce, is not judged by one. The nonce is
 * checked before the status, so a replayed "revoked" is a mismatch too. */
START_TEST(test_nonce_rows)
{
    static const struct {
        const char *label;
        const char *sent;   /* the query's nonce, or NULL (a staple) */
        const char *echoed; /* the response's nonce, or NULL */
        enum ocsp_cert_status status;
        enum ocsp_verdict_reason want;
    } rows[] = {
        {"sent and echoed", "nonce-of-16bytes", "nonce-of-16bytes", OCSP_CERT_STATUS_GOOD,
         OCSP_VERDICT_GOOD},
        {"sent, none echoed (pre-signed)", "nonce-of-16bytes", NULL, OCSP_CERT_STATUS_GOOD,
         OCSP_VERDICT_GOOD},
        {"sent, another echoed", "nonce-of-16bytes", "other-nonce-16by", OCSP_CERT_STATUS_GOOD,
         OCSP_VERDICT_NONCE_MISMATCH},
        {"sent, a longer one echoed", "nonce-of-16bytes", "nonce-of-16bytes!",
         OCSP_CERT_STATUS_GOOD, OCSP_VERDICT_NONCE_MISMATCH},
        {"sent, another echoed, revoked", "nonce-of-16bytes", "other-nonce-16by",
         OCSP_CERT_STATUS_REVOKED, OCSP_VERDICT_NONCE_MISMATCH},
        {"sent and echoed, revoked", "nonce-of-16bytes", "nonce-of-16bytes",
         OCSP_CERT_STATUS_REVOKED, OCSP_VERDICT_REVOKED},
        {"a staple: none sent, one echoed", NULL, "other-nonce-16by", OCSP_CERT_STATUS_GOOD,
         OCSP_VERDICT_GOOD},
    };
    struct staple_lab lab;
    int64_t now = (int64_t)time(NULL);
    staple_lab_create(&lab);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct staple_spec spec = STAPLE_GOOD;
        struct der_buf response = {0};
        struct ocsp_verdict verdict;
        spec.status = rows[i].status;
        spec.nonce = rows[i].echoed;
        staple_build(&lab, NULL, &spec, now, &response);
        verify(&lab, &response, now, rows[i].sent, &verdict);
        ck_assert_msg(verdict.reason == rows[i].want, "%s: got %s (%s)", rows[i].label,
                      ocsp_verdict_reason_name(verdict.reason), verdict.explanation);
        if (rows[i].want == OCSP_VERDICT_NONCE_MISMATCH)
            ck_assert_msg(test_contains(verdict.explanation, "different nonce"), "%s: %s",
                          rows[i].label, verdict.explanation);
        der_buf_free(&response);
    }
    staple_lab_destroy(&lab);
}
END_TEST

/* ---- Freshness at the moment given ------------------------------------------------------ */

/* The same response judged at different moments: the time passed in (the
 * simulated clock, or verify-staple --at), not the real one, decides. */
START_TEST(test_verify_at)
{
    static const struct {
        int64_t offset;
        enum ocsp_verdict_reason want;
    } moments[] = {
        {0, OCSP_VERDICT_GOOD},
        {86400 + 4 * 60, OCSP_VERDICT_GOOD},  /* past nextUpdate, inside the skew */
        {86400 + 6 * 60, OCSP_VERDICT_STALE}, /* beyond it */
        {-600 - 4 * 60, OCSP_VERDICT_GOOD},   /* before thisUpdate, inside the skew */
        {-600 - 6 * 60, OCSP_VERDICT_NOT_YET_VALID},
    };
    struct staple_lab lab;
    struct der_buf response = {0};
    const struct staple_spec good = STAPLE_GOOD; /* thisUpdate -10 min, next +1 day */
    int64_t now = (int64_t)time(NULL);
    staple_lab_create(&lab);
    staple_build(&lab, NULL, &good, now, &response);
    for (size_t i = 0; i < sizeof moments / sizeof moments[0]; i++) {
        struct ocsp_verdict verdict;
        verify(&lab, &response, now + moments[i].offset, NULL, &verdict);
        ck_assert_msg(verdict.reason == moments[i].want, "offset %lld: %s",
                      (long long)moments[i].offset, ocsp_verdict_reason_name(verdict.reason));
    }
    der_buf_free(&response);
    staple_lab_destroy(&lab);
}
END_TEST

Suite *ocsp_verify_suite(void)
{
    Suite *s = suite_create("ocsp_verify");
    TCase *rules = tcase_create("rules");
    tcase_set_timeout(rules, 60);
    tcase_add_unchecked_fixture(rules, scratch_setup, scratch_teardown);
    tcase_add_loop_test(rules, test_verify_rows, 0,
                        (int)(sizeof staple_rows / sizeof staple_rows[0]));
    tcase_add_test(rules, test_nonce_rows);
    tcase_add_test(rules, test_verify_at);
    suite_add_tcase(s, rules);

    TCase *words = tcase_create("words");
    tcase_add_test(words, test_repeated_word_detector);
    tcase_add_test(words, test_reason_words);
    suite_add_tcase(s, words);
    return s;
}
