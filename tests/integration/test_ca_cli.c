/* test_ca_cli.c — the real bin/ca program (DESIGN section 2): exit codes and
 * messages for every bad input, options before or after the subcommand, the
 * lab's clock and trace as the program sees them, a locked or foreign
 * database, and two kinds of processes (revokers, listers) racing on one
 * ca.db. What a function call can check lives in tests/test_ca.c. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "db.h"
#include "fileio.h"
#include "lab.h"
#include "race_harness.h"
#include "testutil.h"

#define CA_RUN_TIMEOUT_MS 20000

/* The lab of the checked fixture: initialized, with shop.test issued. */
static char *fixture_lab;

/* ---- scratch space ------------------------------------------------------------ */

/* Every lab of a test case lives under one scratch directory that the runner
 * itself removes after the case: a failing test exits before its own
 * test_rmtree, and must not leave labs behind in /tmp. */
static void scratch_setup(void)
{
    test_scratch_enter("ca_cli");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* ---- running bin/ca ---------------------------------------------------------- */

/* Runs bin/ca with the arguments (NULL-terminated) and, when `lab` is not
 * NULL, "--lab LAB" appended; `line` receives the arguments for messages. */
static void run_ca_va(struct test_run *run, const char *lab, va_list ap, char *line, size_t cap)
{
    const char *argv[32];
    char program[LAB_PATH_MAX];
    size_t argc = 0, used = 0;
    snprintf(program, sizeof program, "%s", test_bin("ca"));
    argv[argc++] = program;
    line[0] = 0;
    for (const char *arg = va_arg(ap, const char *); arg != NULL; arg = va_arg(ap, const char *)) {
        ck_assert_uint_lt(argc, 28);
        argv[argc++] = arg;
        int n = snprintf(line + used, cap - used, "%s%s", used > 0 ? " " : "", arg);
        if (n > 0 && (size_t)n < cap - used)
            used += (size_t)n;
    }
    if (lab != NULL) {
        argv[argc++] = "--lab";
        argv[argc++] = lab;
    }
    argv[argc] = NULL;
    ck_assert_int_eq(test_run(run, CA_RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run->timed_out, "ca %s timed out", line);
}

static void run_ca(struct test_run *run, const char *lab, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, lab);
    run_ca_va(run, lab, ap, line, sizeof line);
    va_end(ap);
}

/* Runs bin/ca and insists on exit 0. */
static void ca_ok(const char *lab, ...)
{
    struct test_run run;
    char line[1024];
    va_list ap;
    va_start(ap, lab);
    run_ca_va(&run, lab, ap, line, sizeof line);
    va_end(ap);
    ck_assert_msg(run.exit_code == 0, "ca %s: exit %d: %s", line, run.exit_code, run.err);
    test_run_free(&run);
}

static void assert_failed(const struct test_run *run, int exit_code, const char *want_stderr)
{
    ck_assert_msg(run->exit_code == exit_code, "exit %d, want %d; stderr: %s", run->exit_code,
                  exit_code, run->err);
    ck_assert_msg(strncmp(run->err, "ca: ", 4) == 0, "stderr should start 'ca: ': %s", run->err);
    ck_assert_msg(test_contains(run->err, want_stderr), "want '%s' in stderr: %s", want_stderr,
                  run->err);
}

/* ---- the lab on disk ------------------------------------------------------------ */

static void lab_join(char *out, const char *lab, const char *rel)
{
    ck_assert_msg(file_path_join(out, LAB_PATH_MAX, lab, rel) == 0, "path too long: %s", rel);
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void assert_certs_dir(const char *lab, const char *want)
{
    char dir[LAB_PATH_MAX], files[2048];
    lab_join(dir, lab, LAB_CERTS_DIR);
    test_list_dir(dir, files, sizeof files);
    ck_assert_msg(strcmp(files, want) == 0, "certs/ holds '%s', want '%s'", files, want);
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

static void db_text(const char *lab, const char *sql, const char *param, char *out, size_t cap)
{
    sqlite3 *db = open_db(lab);
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    if (param != NULL)
        sqlite3_bind_text(stmt, 1, param, -1, SQLITE_TRANSIENT);
    out[0] = 0;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL)
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

static void assert_integrity_ok(const char *lab)
{
    char result[256];
    db_text(lab, "PRAGMA integrity_check", NULL, result, sizeof result);
    ck_assert_str_eq(result, "ok");
}

/* The serial of the newest server certificate for `name`, from ca.db. */
static void serial_of(const char *lab, const char *name, char *out, size_t cap)
{
    db_text(lab,
            "SELECT serial FROM certificates WHERE name = ? ORDER BY issued_at DESC, rowid DESC",
            name, out, cap);
    ck_assert_msg(strlen(out) == 32, "no serial for %s", name);
}

static json_t *read_trace(const char *lab)
{
    char path[LAB_PATH_MAX];
    lab_join(path, lab, LAB_TRACE_FILE);
    char *text = test_read_text(path);
    json_t *lines = json_array();
    if (text == NULL)
        return lines;
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

static const char *json_str(json_t *obj, const char *key)
{
    const char *value = json_string_value(json_object_get(obj, key));
    ck_assert_msg(value != NULL, "no string field '%s'", key);
    return value;
}

/* "2026-11-25T12:00:00.000Z" -> Unix seconds. */
static int64_t parse_rfc3339(const char *text)
{
    struct tm tm;
    int ms = 0;
    memset(&tm, 0, sizeof tm);
    ck_assert_msg(sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                         &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) == 7,
                  "not RFC 3339: %s", text);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

/* ---- certificates, checked by OpenSSL and wolfSSL ------------------------- */

static char *openssl_text(const char *pem)
{
    const char *argv[] = {"openssl", "x509", "-noout", "-text", "-in", pem, NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, CA_RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "openssl x509 %s: %s", pem, run.err);
    char *out = run.out;
    run.out = NULL;
    test_run_free(&run);
    return out;
}

static void assert_verifies(const char *root, const char *cert)
{
    const char *argv[] = {"openssl", "verify", "-x509_strict", "-CAfile", root, cert, NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, CA_RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0 && test_contains(run.out, ": OK"), "openssl verify %s: %s%s",
                  cert, run.out, run.err);
    test_run_free(&run);

    ck_assert_int_eq(wolfSSL_Init(), WOLFSSL_SUCCESS);
    WOLFSSL_CERT_MANAGER *cm = wolfSSL_CertManagerNew();
    ck_assert_ptr_nonnull(cm);
    int load = wolfSSL_CertManagerLoadCA(cm, root, NULL);
    int verify =
        load == WOLFSSL_SUCCESS ? wolfSSL_CertManagerVerify(cm, cert, WOLFSSL_FILETYPE_PEM) : load;
    wolfSSL_CertManagerFree(cm);
    wolfSSL_Cleanup();
    ck_assert_msg(verify == WOLFSSL_SUCCESS, "wolfSSL rejects %s: %d (%s)", cert, verify,
                  wc_GetErrorString(verify));
}

/* ---- the fixture: a lab with a CA and shop.test -------------------------------- */

static void setup_lab(void)
{
    fixture_lab = test_tmpdir();
    /* A command that lost its --lab would make ./lab here, inside the scratch dir. */
    ck_assert_int_eq(chdir(fixture_lab), 0);
    ca_ok(fixture_lab, "init", NULL);
    ca_ok(fixture_lab, "issue", "shop.test", NULL);
}

static void teardown_lab(void)
{
    ck_assert_int_eq(chdir("/"), 0);
    test_rmtree(fixture_lab);
    free(fixture_lab);
    fixture_lab = NULL;
}

/* ---- 6: every bad input, its message and exit code --------------------------------- */

static const struct usage_case {
    const char *args[10]; /* "@LAB" is the lab; "@LONG254", "@LONG65" long texts */
    int exit_code;
    const char *want_stderr;
} usage_cases[] = {
    {{"frobnicate", "--lab", "@LAB"}, 2, "unknown command 'frobnicate'"},
    {{"list", "--frob", "--lab", "@LAB"}, 2, "unknown option '--frob'"},
    {{"issue", "x.test", "--lab", "@LAB", "--days"}, 2, "option --days needs a value"},
    {{"issue", "x.test", "--lab", "@LAB", "--days="}, 2, "option --days needs a value"},
    {{"list", "--lab"}, 2, "option --lab needs a value"},
    {{"list", "--json", "--json", "--lab", "@LAB"}, 2, "option --json given twice"},
    {{"list", "--lab", "@LAB", "--lab", "@LAB"}, 2, "option --lab given twice"},
    {{"list", "--json=yes", "--lab", "@LAB"}, 2, "option --json takes no value"},
    {{"issue", "--lab", "@LAB"}, 2, "issue: wrong number of arguments"},
    {{"issue", "a.test", "b.test", "--lab", "@LAB"}, 2, "issue: wrong number of arguments"},
    {{"list", "extra", "--lab", "@LAB"}, 2, "list: wrong number of arguments"},
    {{"revoke", "a.test", "b.test", "--lab", "@LAB"}, 2, "revoke: wrong number of arguments"},
    {{"issue", "bad_name", "--lab", "@LAB"}, 2, "invalid name 'bad_name'"},
    {{"issue", "-x.test", "--lab", "@LAB"}, 2, "unknown option '-x.test'"},
    {{"issue", "--lab", "@LAB", "--", "-x.test"}, 2, "invalid name '-x.test'"},
    {{"issue", "a..b", "--lab", "@LAB"}, 2, "invalid name 'a..b'"},
    {{"issue", "@LONG254", "--lab", "@LAB"}, 2, "use 1 to 200 characters"},
    {{"issue", "sh op", "--lab", "@LAB"}, 2, "' ' is not allowed"},
    {{"issue", "x.test", "--days", "0", "--lab", "@LAB"}, 2, "invalid --days '0'"},
    {{"issue", "x.test", "--days", "99999", "--lab", "@LAB"}, 2, "invalid --days '99999'"},
    {{"issue", "x.test", "--days", "abc", "--lab", "@LAB"}, 2, "invalid --days 'abc'"},
    {{"issue", "x.test", "--days", "12x", "--lab", "@LAB"}, 2, "invalid --days '12x'"},
    {{"issue", "x.test", "--days", "-3", "--lab", "@LAB"}, 2, "invalid --days '-3'"},
    {{"issue", "x.test", "--key", "dsa", "--lab", "@LAB"}, 2, "invalid --key 'dsa'"},
    {{"init", "--force", "--key", "dsa", "--lab", "@LAB"}, 2, "invalid --key 'dsa'"},
    {{"revoke", "shop.test", "--reason", "bogus", "--lab", "@LAB"}, 2, "invalid --reason 'bogus'"},
    {{"revoke", "shop.test", "--serial", "AB", "--lab", "@LAB"}, 2, "not both"},
    {{"revoke", "--lab", "@LAB"}, 2, "revoke needs a NAME or --serial"},
    {{"revoke", "--serial", "ZZ", "--lab", "@LAB"}, 2, "invalid serial 'ZZ'"},
    {{"revoke", "--serial", "0102030405", "--lab", "@LAB"},
     2,
     "no certificate with serial 0102030405"},
    {{"revoke", "nosuch.test", "--lab", "@LAB"},
     2,
     "no certificate named 'nosuch.test' (known: shop.test)"},
    {{"issue", "x.test", "--ocsp-url", "ftp://127.0.0.1/", "--lab", "@LAB"},
     2,
     "invalid OCSP URL 'ftp://127.0.0.1/'"},
    {{"issue", "x.test", "--ocsp-url", "http://127.0.0.1 :8080/", "--lab", "@LAB"},
     2,
     "spaces and control characters"},
    {{"init", "--force", "--ocsp-url", "ftp://127.0.0.1/", "--lab", "@LAB"}, 2, "invalid OCSP URL"},
    {{"init", "--force", "--name", "@LONG65", "--lab", "@LAB"}, 2, "invalid CA name"},
    {{"init", "--lab", "@LAB"}, 2, "use --force to replace it"},
    {{"init", "--json", "--lab", "@LAB"}, 2, "init takes"},
    {{"issue", "x.test", "--reason", "superseded", "--lab", "@LAB"}, 2, "issue takes"},
    {{"revoke", "shop.test", "--json", "--lab", "@LAB"}, 2, "revoke takes"},
    {{"list", "--days", "3", "--lab", "@LAB"}, 2, "list takes only --json"},
    /* User input with control characters comes back escaped, never raw. */
    {{"issue", "bad\x1b[31mname", "--lab", "@LAB"},
     2,
     "invalid name 'bad\\x1b[31mname': '\\x1b' is not allowed"},
    {{"issue",
      "bad\xc2\x9b"
      "1mname",
      "--lab", "@LAB"},
     2,
     "'\\xc2\\x9b' is not allowed"},
    {{"issue", "sh\xc3\xb6p.test", "--lab", "@LAB"}, 2, "'\xc3\xb6' is not allowed"},
    {{"fr\x1b"
      "ob",
      "--lab", "@LAB"},
     2,
     "unknown command 'fr\\x1bob'"},
    {{"list",
      "--fr\x07"
      "b",
      "--lab", "@LAB"},
     2,
     "unknown option '--fr\\x07b' (see --help)"},
    {{"issue", "x.test", "--days", "1\n2", "--lab", "@LAB"}, 2, "invalid --days '1\\x0a2'"},
    {{"revoke", "--serial", "AB\x1b]0;owned\x07", "--lab", "@LAB"},
     2,
     "invalid serial 'AB\\x1b]0;owned\\x07'"},
    {{"issue", "x.test", "--ocsp-url", "http://a\x1b[2J/", "--lab", "@LAB"},
     2,
     "invalid OCSP URL 'http://a\\x1b[2J/'"},
    {{"init", "--force", "--name", "Evil\x1b[5mCA", "--lab", "@LAB"},
     2,
     "invalid CA name 'Evil\\x1b[5mCA'"},
    {{"revoke", "shop.test", "--reason",
      "\xe2\x80\xae"
      "esac",
      "--lab", "@LAB"},
     2,
     "invalid --reason '\\xe2\\x80\\xaeesac'"},
};

/* A message is one line with no byte a terminal would act on. */
static void assert_one_clean_line(const char *text)
{
    size_t len = strlen(text);
    ck_assert_msg(len > 0 && text[len - 1] == '\n', "no final newline: %s", text);
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned char c = (unsigned char)text[i];
        ck_assert_msg(c >= 0x20 && c != 0x7f && !(c == 0xc2 && (unsigned char)text[i + 1] < 0xa0),
                      "raw control byte 0x%02x at %zu in: %s", c, i, text);
    }
}

static const char *expand_arg(const char *arg, char *buf, size_t cap)
{
    if (strcmp(arg, "@LAB") == 0)
        return fixture_lab;
    if (strcmp(arg, "@LONG254") == 0 || strcmp(arg, "@LONG65") == 0) {
        size_t len = strcmp(arg, "@LONG254") == 0 ? 254 : 65;
        ck_assert_uint_lt(len, cap);
        for (size_t i = 0; i < len; i++)
            buf[i] = (i % 64 == 63) ? '.' : 'n';
        buf[len] = 0;
        return buf;
    }
    return arg;
}

/* Each row fails with its exit code and message, prints nothing on stdout,
 * and leaves the lab exactly as it was. */
START_TEST(test_bad_usage)
{
    const struct usage_case *c = &usage_cases[_i];
    const char *argv[16];
    char program[LAB_PATH_MAX], long_arg[300], root[LAB_PATH_MAX];
    size_t argc = 0;
    struct test_run run;
    lab_join(root, fixture_lab, LAB_ROOT_CERT);
    char *root_before = test_read_text(root);

    snprintf(program, sizeof program, "%s", test_bin("ca"));
    argv[argc++] = program;
    for (size_t k = 0; k < 10 && c->args[k] != NULL; k++)
        argv[argc++] = expand_arg(c->args[k], long_arg, sizeof long_arg);
    argv[argc] = NULL;
    ck_assert_int_eq(test_run(&run, CA_RUN_TIMEOUT_MS, NULL, argv), 0);
    assert_failed(&run, c->exit_code, c->want_stderr);
    ck_assert_msg(run.out[0] == 0, "stdout should be empty: %s", run.out);
    assert_one_clean_line(run.err);
    ck_assert_msg(test_count_of(run.err, "see --help") <= 1, "the hint twice: %s", run.err);
    test_run_free(&run);

    ck_assert_int_eq(db_int(fixture_lab, "SELECT count(*) FROM certificates", NULL, -1), 1);
    ck_assert_int_eq(
        db_int(fixture_lab, "SELECT count(*) FROM certificates WHERE revoked_at IS NULL", NULL, -1),
        1);
    assert_certs_dir(fixture_lab, "shop.test.key,shop.test.pem");
    char *root_after = test_read_text(root);
    ck_assert_str_eq(root_after, root_before);
    json_t *trace = read_trace(fixture_lab);
    ck_assert_uint_eq(json_array_size(trace), 2); /* init and issue, nothing since */
    json_decref(trace);
    ck_assert_msg(!file_exists("lab"), "a command ignored --lab and made ./lab");
    free(root_before);
    free(root_after);
}
END_TEST

START_TEST(test_help_and_version)
{
    struct test_run run;
    run_ca(&run, NULL, "--help", NULL);
    ck_assert_int_eq(run.exit_code, 0);
    const char *words[] = {"init",
                           "issue",
                           "revoke",
                           "list",
                           "--lab",
                           "--key",
                           "--name",
                           "--ocsp-url",
                           "--delegate",
                           "--force",
                           "--days",
                           "--must-staple",
                           "--serial",
                           "--reason",
                           "--json",
                           "--help",
                           "--version",
                           "keyCompromise",
                           "cessationOfOperation"};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        ck_assert_msg(test_contains(run.out, words[k]), "--help does not mention %s", words[k]);
    test_run_free(&run);

    /* Help wins wherever it stands, even after a subcommand. */
    run_ca(&run, NULL, "issue", "--help", NULL);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert(test_contains(run.out, "usage: ca"));
    test_run_free(&run);

    run_ca(&run, NULL, "--version", NULL);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_msg(test_contains(run.out, OCSPLAB_VERSION), "%s", run.out);
    test_run_free(&run);

    /* No command: the usage, on stderr, exit 2. */
    run_ca(&run, NULL, NULL);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert(test_contains(run.err, "usage: ca"));
    ck_assert_str_eq(run.out, "");
    test_run_free(&run);
}
END_TEST

/* issue, revoke and list need `ca init` first, and say so. */
START_TEST(test_before_init)
{
    char *dir = test_tmpdir();
    char nolab[LAB_PATH_MAX], db[LAB_PATH_MAX];
    struct test_run run;
    lab_join(nolab, dir, "nolab");

    run_ca(&run, nolab, "issue", "shop.test", NULL);
    assert_failed(&run, 2, "run 'ca init");
    test_run_free(&run);
    run_ca(&run, nolab, "revoke", "shop.test", NULL);
    assert_failed(&run, 2, "run 'ca init");
    test_run_free(&run);
    run_ca(&run, nolab, "list", NULL);
    assert_failed(&run, 2, "run 'ca init");
    test_run_free(&run);
    run_ca(&run, nolab, "list", "--json", NULL);
    assert_failed(&run, 2, "run 'ca init");
    ck_assert_str_eq(run.out, "");
    test_run_free(&run);
    ck_assert_msg(!file_exists(nolab), "a failed command created the lab directory");

    /* The directory exists but holds no CA yet. */
    lab_join(db, dir, LAB_DB_FILE);
    run_ca(&run, dir, "issue", "shop.test", NULL);
    assert_failed(&run, 2, "run 'ca init");
    test_run_free(&run);
    run_ca(&run, dir, "revoke", "--serial", "0A", NULL);
    assert_failed(&run, 2, "run 'ca init");
    test_run_free(&run);
    run_ca(&run, dir, "list", NULL);
    assert_failed(&run, 2, "run 'ca init");
    test_run_free(&run);
    ck_assert_msg(!file_exists(db), "a failed command created ca.db");
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* Someone else's SQLite file at LAB/ca.db: refused by every command, unchanged. */
START_TEST(test_foreign_database)
{
    char *lab = test_tmpdir();
    char db_path[LAB_PATH_MAX];
    sqlite3 *db = NULL;
    struct test_run run;
    lab_join(db_path, lab, LAB_DB_FILE);
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "CREATE TABLE recipes (name TEXT, minutes INTEGER);"
                                  "INSERT INTO recipes VALUES ('bread', 240);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
    struct stat st;
    ck_assert_int_eq(stat(db_path, &st), 0);
    char *before = test_read_text(db_path);
    size_t size = (size_t)st.st_size;

    const char *commands[][4] = {
        {"issue", "shop.test", NULL}, {"revoke", "shop.test", NULL},
        {"list", "--json", NULL},     {"init", NULL},
        {"init", "--force", NULL},
    };
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        run_ca(&run, lab, commands[k][0], commands[k][1], commands[k][2], NULL);
        assert_failed(&run, 2, "not an OCSP Lab database");
        test_run_free(&run);
    }
    ck_assert_int_eq(stat(db_path, &st), 0);
    ck_assert_uint_eq((size_t)st.st_size, size);
    char *after = test_read_text(db_path);
    ck_assert_int_eq(memcmp(before, after, size), 0);
    char root[LAB_PATH_MAX];
    lab_join(root, lab, LAB_ROOT_CERT);
    ck_assert_msg(!file_exists(root), "init wrote a root next to a foreign database");
    free(before);
    free(after);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* A missing or damaged root file stops issuing, with the file named. */
START_TEST(test_broken_root_files)
{
    char key[LAB_PATH_MAX], pem[LAB_PATH_MAX];
    struct test_run run;
    lab_join(key, fixture_lab, LAB_ROOT_KEY);
    lab_join(pem, fixture_lab, LAB_ROOT_CERT);
    char *good_key = test_read_text(key);
    char *good_pem = test_read_text(pem);

    ck_assert_int_eq(unlink(key), 0);
    run_ca(&run, fixture_lab, "issue", "x.test", NULL);
    assert_failed(&run, 2, "root.key");
    ck_assert(test_contains(run.err, "cannot load the CA"));
    test_run_free(&run);

    ck_assert_int_eq(file_write_atomic(key, "not a key\n", 10, 0600, NULL), 0);
    run_ca(&run, fixture_lab, "issue", "x.test", NULL);
    assert_failed(&run, 2, "root.key");
    test_run_free(&run);

    /* Another CA's key: it would sign certificates nobody can verify. */
    char *other = test_tmpdir();
    char other_key[LAB_PATH_MAX];
    ca_ok(other, "init", NULL);
    lab_join(other_key, other, LAB_ROOT_KEY);
    char *foreign = test_read_text(other_key);
    ck_assert_int_eq(file_write_atomic(key, foreign, strlen(foreign), 0600, NULL), 0);
    free(foreign);
    test_rmtree(other);
    free(other);
    run_ca(&run, fixture_lab, "issue", "x.test", NULL);
    assert_failed(&run, 2, "root.key does not belong to");
    test_run_free(&run);

    ck_assert_int_eq(file_write_atomic(key, good_key, strlen(good_key), 0600, NULL), 0);
    ck_assert_int_eq(file_write_atomic(pem, "-----BEGIN CERTIFICATE-----\n!!\n", 31, 0644, NULL),
                     0);
    run_ca(&run, fixture_lab, "issue", "x.test", NULL);
    assert_failed(&run, 2, "root.pem");
    test_run_free(&run);

    ck_assert_int_eq(db_int(fixture_lab, "SELECT count(*) FROM certificates", NULL, -1), 1);
    assert_certs_dir(fixture_lab, "shop.test.key,shop.test.pem");
    /* Repaired, it works again. */
    ck_assert_int_eq(file_write_atomic(pem, good_pem, strlen(good_pem), 0644, NULL), 0);
    ca_ok(fixture_lab, "issue", "x.test", NULL);
    free(good_key);
    free(good_pem);
}
END_TEST

/* ---- a locked database ----------------------------------------------------- */

struct spawned {
    pid_t pid;
    struct timespec started;
    char out_path[LAB_PATH_MAX];
    char err_path[LAB_PATH_MAX];
};

/* Starts bin/ca in the background, its output into files in `dir`. */
static void spawn_ca(struct spawned *sp, const char *dir, const char *tag, const char *const args[])
{
    const char *argv[16];
    char program[LAB_PATH_MAX];
    size_t argc = 0;
    snprintf(program, sizeof program, "%s", test_bin("ca"));
    argv[argc++] = program;
    for (size_t k = 0; args[k] != NULL && argc < 15; k++)
        argv[argc++] = args[k];
    argv[argc] = NULL;
    snprintf(sp->out_path, sizeof sp->out_path, "%s/%s.out", dir, tag);
    snprintf(sp->err_path, sizeof sp->err_path, "%s/%s.err", dir, tag);
    clock_gettime(CLOCK_MONOTONIC, &sp->started);
    sp->pid = fork();
    ck_assert_int_ge(sp->pid, 0);
    if (sp->pid == 0) {
        setpgid(0, 0);
        int out = open(sp->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(sp->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        execv(program, (char *const *)argv);
        _exit(127);
    }
    setpgid(sp->pid, sp->pid);
}

/* Waits for a spawned program (killing it after `timeout_s`); its exit code,
 * the seconds it ran, and its stderr (caller frees). */
static int wait_spawned(struct spawned *sp, double timeout_s, double *seconds, char **err_text)
{
    int status = 0;
    struct timespec now;
    for (;;) {
        pid_t done = waitpid(sp->pid, &status, WNOHANG);
        clock_gettime(CLOCK_MONOTONIC, &now);
        *seconds = (double)(now.tv_sec - sp->started.tv_sec) +
                   (double)(now.tv_nsec - sp->started.tv_nsec) / 1e9;
        if (done == sp->pid)
            break;
        if (*seconds > timeout_s) {
            kill(-sp->pid, SIGKILL);
            waitpid(sp->pid, &status, 0);
            *err_text = test_read_text(sp->err_path);
            return -1;
        }
        usleep(10000);
    }
    *err_text = test_read_text(sp->err_path);
    if (*err_text == NULL)
        *err_text = strdup("");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* While another process holds the write lock, revoke and issue wait the busy
 * timeout, then fail with exit 2 and "locked"; list still reads (WAL). After
 * the lock is gone nothing of theirs is there: no row, no file, no temporary. */
START_TEST(test_locked_database)
{
    const char *lab = fixture_lab;
    char serial[64];
    struct test_run run;
    serial_of(lab, "shop.test", serial, sizeof serial);

    sqlite3 *holder = open_db(lab);
    ck_assert_int_eq(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    struct spawned revoke, issue;
    const char *revoke_args[] = {"revoke", "shop.test", "--lab", lab, NULL};
    const char *issue_args[] = {"--lab", lab, "issue", "new.test", NULL};
    spawn_ca(&revoke, lab, "revoke", revoke_args);
    spawn_ca(&issue, lab, "issue", issue_args);

    /* Reap both programs before any assertion can end the test. */
    char program[LAB_PATH_MAX];
    snprintf(program, sizeof program, "%s", test_bin("ca"));
    const char *const list_argv[] = {program, "list", "--json", "--lab", lab, NULL};
    int list_ran = test_run(&run, CA_RUN_TIMEOUT_MS, NULL, list_argv);
    double revoke_s, issue_s;
    char *revoke_err = NULL, *issue_err = NULL;
    int revoke_rc = wait_spawned(&revoke, 15, &revoke_s, &revoke_err);
    int issue_rc = wait_spawned(&issue, 15, &issue_s, &issue_err);
    int rollback = sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
    ck_assert_int_eq(sqlite3_close(holder), SQLITE_OK);
    ck_assert_int_eq(rollback, SQLITE_OK);

    ck_assert_int_eq(list_ran, 0);
    ck_assert_msg(run.exit_code == 0 && run.out[0] != 0, "list under a writer's lock: %s", run.err);
    ck_assert(test_contains(run.out, serial));
    test_run_free(&run);

    ck_assert_msg(revoke_rc == 2 && test_contains(revoke_err, "locked"),
                  "revoke: exit %d after %.1f s: %s", revoke_rc, revoke_s, revoke_err);
    ck_assert_msg(issue_rc == 2 && test_contains(issue_err, "locked"),
                  "issue: exit %d after %.1f s: %s", issue_rc, issue_s, issue_err);
    /* It waited (a second writer is normal) but not for ever; the margin is
     * for starting up and generating a key on a busy machine. */
    double timeout_s = DB_BUSY_TIMEOUT_MS / 1000.0;
    ck_assert_msg(revoke_s > timeout_s - 0.5 && revoke_s < timeout_s + 5, "revoke: %.2f s",
                  revoke_s);
    ck_assert_msg(issue_s > timeout_s - 0.5 && issue_s < timeout_s + 5, "issue: %.2f s", issue_s);
    free(revoke_err);
    free(issue_err);

    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), 1);
    ck_assert_int_eq(
        db_int(lab, "SELECT count(*) FROM certificates WHERE revoked_at IS NULL", NULL, -1), 1);
    assert_certs_dir(lab, "shop.test.key,shop.test.pem");
    assert_integrity_ok(lab);
    /* The lock is gone: the same steps now succeed. */
    ca_ok(lab, "revoke", "shop.test", NULL);
    ca_ok(lab, "issue", "new.test", NULL);
}
END_TEST

/* ---- 3: init refuses to overwrite; --force starts over ------------------------ */

START_TEST(test_init_force)
{
    char *lab = test_tmpdir();
    char root[LAB_PATH_MAX], root_key[LAB_PATH_MAX], delegate[LAB_PATH_MAX];
    struct test_run run;
    lab_join(root, lab, LAB_ROOT_CERT);
    lab_join(root_key, lab, LAB_ROOT_KEY);
    lab_join(delegate, lab, LAB_DELEGATE_CERT);
    ca_ok(lab, "init", "--delegate", NULL);
    ca_ok(lab, "issue", "shop.test", NULL);
    char *root_before = test_read_text(root);
    char *key_before = test_read_text(root_key);

    run_ca(&run, lab, "init", NULL);
    assert_failed(&run, 2, "a CA already exists");
    ck_assert(test_contains(run.err, "--force"));
    test_run_free(&run);
    run_ca(&run, lab, "init", "--delegate", "--key", "rsa", NULL);
    assert_failed(&run, 2, "--force");
    test_run_free(&run);
    char *root_now = test_read_text(root);
    char *key_now = test_read_text(root_key);
    ck_assert_str_eq(root_now, root_before);
    ck_assert_str_eq(key_now, key_before);
    free(root_now);
    free(key_now);
    ck_assert(file_exists(delegate));

    run_ca(&run, lab, "init", "--force", NULL);
    ck_assert_msg(run.exit_code == 0, "%s", run.err);
    ck_assert_msg(test_contains(run.out, "Replaced the root CA"), "%s", run.out);
    test_run_free(&run);
    root_now = test_read_text(root);
    ck_assert_str_ne(root_now, root_before);
    free(root_now);
    ck_assert_msg(!file_exists(delegate), "the old delegate survived init --force");

    /* The old certificates are forgotten. */
    run_ca(&run, lab, "list", "--json", NULL);
    ck_assert_int_eq(run.exit_code, 0);
    json_t *list = json_loads(run.out, 0, NULL);
    ck_assert(json_is_array(list));
    ck_assert_uint_eq(json_array_size(list), 0);
    json_decref(list);
    test_run_free(&run);
    run_ca(&run, lab, "revoke", "shop.test", NULL);
    assert_failed(&run, 2, "no certificate named 'shop.test'");
    test_run_free(&run);
    free(root_before);
    free(key_before);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- the flags reach the certificates -------------------------------------- */

START_TEST(test_flags_reach_certificates)
{
    char *lab = test_tmpdir();
    char root[LAB_PATH_MAX], delegate[LAB_PATH_MAX], a[LAB_PATH_MAX], b[LAB_PATH_MAX];
    char key[LAB_PATH_MAX];
    struct test_run run;
    lab_join(root, lab, LAB_ROOT_CERT);
    lab_join(delegate, lab, LAB_DELEGATE_CERT);
    lab_join(a, lab, "certs/a.test.pem");
    lab_join(b, lab, "certs/b.test.pem");

    run_ca(&run, lab, "init", "--key", "rsa", "--name", "Class Root CA", "--ocsp-url",
           "http://ocsp.test:9999/", "--delegate", NULL);
    ck_assert_msg(run.exit_code == 0, "%s", run.err);
    ck_assert_msg(test_contains(run.out, "Class Root CA") && test_contains(run.out, "RSA 2048"),
                  "%s", run.out);
    test_run_free(&run);
    ca_ok(lab, "issue", "A.Test", NULL);
    ca_ok(lab, "issue", "b.test", "--must-staple", "--key", "rsa", "--ocsp-url",
          "http://other.test:7/ocsp", "--days", "10", NULL);

    const char *all[] = {root, delegate, a, b};
    for (size_t k = 0; k < 4; k++)
        assert_verifies(root, all[k]);

    char *text = openssl_text(root);
    ck_assert_msg(test_contains(text, "CN = Class Root CA"), "%s", text);
    ck_assert_msg(test_contains(text, "Public Key Algorithm: rsaEncryption"), "%s", text);
    ck_assert_msg(test_contains(text, "CA:TRUE"), "%s", text);
    free(text);
    text = openssl_text(delegate);
    ck_assert_msg(test_contains(text, "OCSP Signing") && test_contains(text, "OCSP No Check"), "%s",
                  text);
    free(text);

    /* a.test: the CA's URL, EC key, no must-staple, name lower-cased. */
    text = openssl_text(a);
    ck_assert_msg(test_contains(text, "OCSP - URI:http://ocsp.test:9999/\n"), "%s", text);
    ck_assert_msg(test_contains(text, "DNS:a.test"), "%s", text);
    ck_assert_msg(test_contains(text, "Public Key Algorithm: id-ecPublicKey"), "%s", text);
    ck_assert_msg(!test_contains(text, "TLS Feature"), "%s", text);
    free(text);
    /* b.test: its own URL, RSA, must-staple, 10 days (plus the 5-minute backdate). */
    text = openssl_text(b);
    ck_assert_msg(test_contains(text, "OCSP - URI:http://other.test:7/ocsp\n"), "%s", text);
    ck_assert_msg(test_contains(text, "TLS Feature: \n                status_request") ||
                      test_contains(text, "TLS Feature:\n                status_request"),
                  "%s", text);
    ck_assert_msg(test_contains(text, "Public Key Algorithm: rsaEncryption"), "%s", text);
    free(text);
    ck_assert_int_eq(
        db_int(lab, "SELECT not_after - not_before FROM certificates WHERE name = ?", "b.test", -1),
        10 * 86400 + 5 * 60);
    ck_assert_int_eq(
        db_int(lab, "SELECT must_staple FROM certificates WHERE name = ?", "b.test", -1), 1);

    /* Keys 0600, certificates 0644. */
    const struct {
        const char *rel;
        mode_t mode;
    } modes[] = {{LAB_ROOT_KEY, 0600},
                 {LAB_DELEGATE_KEY, 0600},
                 {"certs/b.test.key", 0600},
                 {LAB_ROOT_CERT, 0644},
                 {"certs/b.test.pem", 0644}};
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        struct stat st;
        lab_join(key, lab, modes[k].rel);
        ck_assert_int_eq(stat(key, &st), 0);
        ck_assert_msg((st.st_mode & 07777) == modes[k].mode, "%s: mode %04o", modes[k].rel,
                      (unsigned)(st.st_mode & 07777));
    }
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* `ca --lab L issue x` is `ca issue x --lab L`, and so on for every option. */
START_TEST(test_options_anywhere)
{
    char *lab = test_tmpdir();
    char program[LAB_PATH_MAX], lab_eq[LAB_PATH_MAX + 8];
    struct test_run run;
    snprintf(program, sizeof program, "%s", test_bin("ca"));
    snprintf(lab_eq, sizeof lab_eq, "--lab=%s", lab);
    const char *const lines[][8] = {
        {program, "--lab", lab, "init", NULL},
        {program, "--lab", lab, "issue", "a.test", "--must-staple", NULL},
        {program, "issue", "b.test", "--lab", lab, "--must-staple", NULL},
        {program, "--must-staple", lab_eq, "issue", "c.test", NULL},
        {program, "--reason", "superseded", "revoke", "a.test", "--lab", lab, NULL},
        {program, "revoke", lab_eq, "--reason=keyCompromise", "b.test", NULL},
    };
    for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++) {
        ck_assert_int_eq(test_run(&run, CA_RUN_TIMEOUT_MS, NULL, lines[k]), 0);
        ck_assert_msg(run.exit_code == 0, "line %zu: %s", k, run.err);
        test_run_free(&run);
    }
    const char *const list_before[] = {program, "--json", "--lab", lab, "list", NULL};
    const char *const list_after[] = {program, "list", "--json", "--lab", lab, NULL};
    struct test_run other;
    ck_assert_int_eq(test_run(&run, CA_RUN_TIMEOUT_MS, NULL, list_before), 0);
    ck_assert_int_eq(test_run(&other, CA_RUN_TIMEOUT_MS, NULL, list_after), 0);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_str_eq(run.out, other.out);
    test_run_free(&other);

    json_t *list = json_loads(run.out, 0, NULL);
    ck_assert_uint_eq(json_array_size(list), 3);
    const char *want_status[] = {"revoked", "revoked", "good"};
    const char *want_reason[] = {"superseded", "keyCompromise", NULL};
    for (size_t k = 0; k < 3; k++) {
        json_t *row = json_array_get(list, k);
        ck_assert(json_is_true(json_object_get(row, "must_staple")));
        ck_assert_str_eq(json_str(row, "status"), want_status[k]);
        if (want_reason[k] != NULL)
            ck_assert_str_eq(json_str(row, "reason"), want_reason[k]);
    }
    json_decref(list);
    test_run_free(&run);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- 4: revoking, at the lab's time ------------------------------------------ */

static int64_t real_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec;
}

START_TEST(test_revoke_flow)
{
    const char *lab = fixture_lab;
    char shop[64], mail[64], blog[64], colon[128], lower[64], hex0x[80];
    struct errbuf err = {{0}};
    struct test_run run;
    serial_of(lab, "shop.test", shop, sizeof shop);
    ca_ok(lab, "issue", "mail.test", NULL);
    ca_ok(lab, "issue", "blog.test", NULL);
    serial_of(lab, "mail.test", mail, sizeof mail);
    serial_of(lab, "blog.test", blog, sizeof blog);

    /* The program reads the lab's clock itself: tomorrow. */
    ck_assert_msg(clock_offset_write(lab, 86400, &err) == 0, "%s", err.msg);
    /* CLOCK_REALTIME, as the program reads it: time() is the coarse clock,
     * which may still say the previous second. */
    int64_t before = real_seconds() + 86400;
    run_ca(&run, lab, "revoke", "shop.test", "--reason", "keyCompromise", NULL);
    int64_t after = real_seconds() + 86400;
    ck_assert_msg(run.exit_code == 0, "%s", run.err);
    ck_assert_msg(test_contains(run.out, "Revoked shop.test") && test_contains(run.out, shop) &&
                      test_contains(run.out, "keyCompromise"),
                  "%s", run.out);
    test_run_free(&run);
    int64_t revoked_at =
        db_int(lab, "SELECT revoked_at FROM certificates WHERE serial = ?", shop, -1);
    ck_assert_int_ge(revoked_at, before);
    ck_assert_int_le(revoked_at, after);
    ck_assert_int_eq(
        db_int(lab, "SELECT revocation_reason FROM certificates WHERE serial = ?", shop, -1), 1);

    /* Again, a day later: exit 1, nothing changes. */
    ck_assert_int_eq(clock_offset_write(lab, 2 * 86400, &err), 0);
    run_ca(&run, lab, "revoke", "shop.test", "--reason", "superseded", NULL);
    assert_failed(&run, 1, "already revoked");
    test_run_free(&run);
    run_ca(&run, lab, "revoke", "--serial", shop, NULL);
    assert_failed(&run, 1, "already revoked");
    test_run_free(&run);
    ck_assert_int_eq(db_int(lab, "SELECT revoked_at FROM certificates WHERE serial = ?", shop, -1),
                     revoked_at);
    ck_assert_int_eq(
        db_int(lab, "SELECT revocation_reason FROM certificates WHERE serial = ?", shop, -1), 1);

    /* --serial as people paste it. */
    size_t n = 0;
    for (const char *p = mail; *p != 0; p += 2)
        n += (size_t)snprintf(colon + n, sizeof colon - n, "%s%c%c", n > 0 ? ":" : "",
                              tolower((unsigned char)p[0]), tolower((unsigned char)p[1]));
    run_ca(&run, lab, "revoke", "--serial", colon, "--reason", "cessationOfOperation", NULL);
    ck_assert_msg(run.exit_code == 0, "--serial %s: %s", colon, run.err);
    ck_assert(test_contains(run.out, "Revoked mail.test"));
    test_run_free(&run);
    for (size_t k = 0; k <= strlen(blog); k++)
        lower[k] = (char)tolower((unsigned char)blog[k]);
    snprintf(hex0x, sizeof hex0x, "0x%s", lower);
    run_ca(&run, lab, "revoke", "--serial", hex0x, NULL);
    ck_assert_msg(run.exit_code == 0, "--serial %s: %s", hex0x, run.err);
    test_run_free(&run);
    ck_assert_int_eq(
        db_int(lab, "SELECT revocation_reason FROM certificates WHERE serial = ?", mail, -1), 5);
    ck_assert_int_eq(
        db_int(lab, "SELECT revocation_reason FROM certificates WHERE serial = ?", blog, -1), 0);

    run_ca(&run, lab, "revoke", "--serial", "7F:00:11", NULL);
    assert_failed(&run, 2, "no certificate with serial 7F0011");
    test_run_free(&run);
    run_ca(&run, lab, "revoke", "www.test", NULL);
    assert_failed(&run, 2, "known: blog.test, mail.test, shop.test");
    test_run_free(&run);
}
END_TEST

/* ---- 8: ca list, for people and for programs ------------------------------------ */

START_TEST(test_list_text_and_json)
{
    const char *lab = fixture_lab;
    char shop[64], mail[64];
    struct test_run run;
    ca_ok(lab, "issue", "mail.test", "--must-staple", NULL);
    ca_ok(lab, "revoke", "shop.test", "--reason", "superseded", NULL);
    serial_of(lab, "shop.test", shop, sizeof shop);
    serial_of(lab, "mail.test", mail, sizeof mail);
    int64_t revoked_at =
        db_int(lab, "SELECT revoked_at FROM certificates WHERE serial = ?", shop, -1);
    char when[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(revoked_at * 1000, when, sizeof when);

    run_ca(&run, lab, "list", NULL);
    ck_assert_int_eq(run.exit_code, 0);
    char *lines[8];
    size_t count = 0;
    for (char *save = NULL, *line = strtok_r(run.out, "\n", &save); line != NULL && count < 8;
         line = strtok_r(NULL, "\n", &save))
        lines[count++] = line;
    ck_assert_uint_eq(count, 3); /* header + one line per certificate */
    ck_assert_msg(test_contains(lines[0], "SERIAL") && test_contains(lines[0], "STATUS"), "%s",
                  lines[0]);
    ck_assert_msg(strncmp(lines[1], shop, strlen(shop)) == 0 &&
                      test_contains(lines[1], "shop.test") && test_contains(lines[1], "revoked") &&
                      test_contains(lines[1], when) && test_contains(lines[1], "superseded"),
                  "%s", lines[1]);
    ck_assert_msg(strncmp(lines[2], mail, strlen(mail)) == 0 &&
                      test_contains(lines[2], "mail.test") && test_contains(lines[2], "good") &&
                      !test_contains(lines[2], "revoked"),
                  "%s", lines[2]);
    test_run_free(&run);

    run_ca(&run, lab, "list", "--json", NULL);
    ck_assert_int_eq(run.exit_code, 0);
    json_error_t error;
    json_t *list = json_loads(run.out, 0, &error);
    ck_assert_msg(json_is_array(list), "not a JSON array: %s\n%s", error.text, run.out);
    ck_assert_uint_eq(json_array_size(list), 2);
    json_t *first = json_array_get(list, 0), *second = json_array_get(list, 1);
    ck_assert_str_eq(json_str(first, "serial"), shop);
    ck_assert_str_eq(json_str(first, "name"), "shop.test");
    ck_assert_str_eq(json_str(first, "kind"), "server");
    ck_assert_str_eq(json_str(first, "status"), "revoked");
    ck_assert_str_eq(json_str(first, "reason"), "superseded");
    ck_assert_str_eq(json_str(first, "revoked_at"), when);
    ck_assert(json_is_false(json_object_get(first, "must_staple")));
    ck_assert_str_eq(json_str(second, "serial"), mail);
    ck_assert_str_eq(json_str(second, "status"), "good");
    ck_assert(json_is_true(json_object_get(second, "must_staple")));
    ck_assert_ptr_null(json_object_get(second, "revoked_at"));
    for (size_t k = 0; k < 2; k++) {
        json_t *row = json_array_get(list, k);
        int64_t from = parse_rfc3339(json_str(row, "not_before"));
        int64_t until = parse_rfc3339(json_str(row, "not_after"));
        ck_assert_int_eq(until - from, 90 * 86400 + 5 * 60);
    }
    json_decref(list);
    test_run_free(&run);
}
END_TEST

/* ---- 7: the trace, as the program writes it ------------------------------------ */

START_TEST(test_trace)
{
    char *lab = test_tmpdir();
    char shop[64], root_serial[64], delegate_serial[64];
    struct errbuf err = {{0}};
    struct test_run run;
    ca_ok(lab, "init", "--delegate", NULL);
    ca_ok(lab, "issue", "shop.test", NULL);
    ck_assert_int_eq(clock_offset_write(lab, 3600, &err), 0);
    ca_ok(lab, "revoke", "shop.test", "--reason", "keyCompromise", NULL);
    int64_t revoke_time = (int64_t)time(NULL) + 3600;
    run_ca(&run, lab, "revoke", "shop.test", NULL); /* fails: no event */
    ck_assert_int_eq(run.exit_code, 1);
    test_run_free(&run);
    ca_ok(lab, "list", NULL); /* reads: no event */
    serial_of(lab, "shop.test", shop, sizeof shop);
    db_text(lab, "SELECT serial FROM certificates WHERE kind = 'ocsp-signer'", NULL,
            delegate_serial, sizeof delegate_serial);

    json_t *lines = read_trace(lab);
    ck_assert_uint_eq(json_array_size(lines), 4);
    const char *events[] = {"ca.init", "ca.delegate.issued", "ca.cert.issued", "ca.cert.revoked"};
    for (size_t k = 0; k < 4; k++) {
        json_t *line = json_array_get(lines, k);
        ck_assert_str_eq(json_str(line, "event"), events[k]);
        ck_assert_str_eq(json_str(line, "actor"), "ca");
        ck_assert(json_integer_value(json_object_get(line, "pid")) > 0);
        parse_rfc3339(json_str(line, "ts"));
        const char *serial = json_str(line, "serial");
        ck_assert_msg(test_contains(json_str(line, "msg"), serial), "msg without serial: %s",
                      json_str(line, "msg"));
    }
    json_t *init = json_array_get(lines, 0), *delegate = json_array_get(lines, 1);
    json_t *issued = json_array_get(lines, 2), *revoked = json_array_get(lines, 3);
    /* init and its delegate come from one process; each later step from its own. */
    ck_assert_int_eq(json_integer_value(json_object_get(init, "pid")),
                     json_integer_value(json_object_get(delegate, "pid")));
    ck_assert_int_ne(json_integer_value(json_object_get(issued, "pid")),
                     json_integer_value(json_object_get(revoked, "pid")));
    snprintf(root_serial, sizeof root_serial, "%s", json_str(init, "serial"));
    ck_assert_uint_eq(strlen(root_serial), 32);
    ck_assert(test_contains(json_str(init, "msg"), "Lab Root CA"));
    ck_assert_str_eq(json_str(delegate, "serial"), delegate_serial);
    ck_assert_str_eq(json_str(issued, "serial"), shop);
    ck_assert(test_contains(json_str(issued, "msg"), "shop.test"));
    ck_assert_str_eq(json_str(revoked, "serial"), shop);
    ck_assert(test_contains(json_str(revoked, "msg"), "shop.test"));
    ck_assert_str_eq(json_str(revoked, "reason"), "keyCompromise");
    /* The revocation happened, and was traced, at the lab's time. */
    int64_t ts = parse_rfc3339(json_str(revoked, "ts"));
    ck_assert_msg(ts > revoke_time - 30 && ts <= revoke_time, "ts %s", json_str(revoked, "ts"));
    ck_assert_int_eq(parse_rfc3339(json_str(revoked, "revoked_at")),
                     db_int(lab, "SELECT revoked_at FROM certificates WHERE serial = ?", shop, -1));
    json_decref(lines);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- 5: revokers and listers racing on one database --------------------------- */

/* The race (race_harness.h) through bin/ca: `ca list --json` and `ca revoke`. */
struct cli_race {
    const char *lab;
    char program[LAB_PATH_MAX];
    char serials[RACE_CERTS][64];
    /* What this lister saw last (each lister child has its own copy). */
    bool was_revoked[RACE_CERTS];
};

static const char *const race_reasons[RACE_REVOKERS] = {"keyCompromise", "cACompromise",
                                                        "affiliationChanged", "superseded"};

/* Checks one `ca list --json` output: 20 rows, each with its fields, and no
 * certificate going back from revoked to good. Returns the number revoked, or
 * -1 with a reason. */
static int check_list_json(const char *text, bool was_revoked[RACE_CERTS], char serials[][64],
                           char *why, size_t cap)
{
    json_error_t error;
    json_t *list = json_loads(text, 0, &error);
    int revoked = 0;
    if (!json_is_array(list) || json_array_size(list) != RACE_CERTS) {
        snprintf(why, cap, "not an array of %d: %s", RACE_CERTS, error.text);
        json_decref(list);
        return -1;
    }
    for (size_t k = 0; k < RACE_CERTS; k++) {
        json_t *row = json_array_get(list, k);
        const char *serial = json_string_value(json_object_get(row, "serial"));
        const char *status = json_string_value(json_object_get(row, "status"));
        const char *name = json_string_value(json_object_get(row, "name"));
        if (serial == NULL || status == NULL || name == NULL ||
            json_string_value(json_object_get(row, "not_after")) == NULL ||
            strcmp(serial, serials[k]) != 0) {
            snprintf(why, cap, "row %zu is incomplete or out of order", k);
            json_decref(list);
            return -1;
        }
        bool is_revoked = strcmp(status, "revoked") == 0;
        if ((!is_revoked && strcmp(status, "good") != 0) ||
            (is_revoked && (json_string_value(json_object_get(row, "reason")) == NULL ||
                            json_string_value(json_object_get(row, "revoked_at")) == NULL)) ||
            (was_revoked[k] && !is_revoked)) {
            snprintf(why, cap, "row %zu: status %s (was %s)", k, status,
                     was_revoked[k] ? "revoked" : "good");
            json_decref(list);
            return -1;
        }
        was_revoked[k] = is_revoked;
        revoked += is_revoked ? 1 : 0;
    }
    json_decref(list);
    return revoked;
}

static int cli_race_list(void *ctx, char *why, size_t why_cap)
{
    struct cli_race *race = ctx;
    const char *const argv[] = {race->program, "list", "--json", "--lab", race->lab, NULL};
    struct test_run run;
    int revoked = -1;
    if (test_run(&run, CA_RUN_TIMEOUT_MS, NULL, argv) != 0) {
        snprintf(why, why_cap, "cannot run ca list");
        return -1;
    }
    if (run.exit_code != 0)
        snprintf(why, why_cap, "exit %d: %.200s", run.exit_code, run.err);
    else
        revoked = check_list_json(run.out, race->was_revoked, race->serials, why, why_cap);
    test_run_free(&run);
    return revoked;
}

/* Revoker k names the certificate its own way (k = 0 by NAME, 1 by lower-case
 * serial, 2 colon-separated, 3 as stored) with reason race_reasons[k]; the
 * outcome is the exit code (-1: could not run; 10: exit 1 without "already
 * revoked" in the message). */
static int cli_race_revoke(void *ctx, int k, int cert)
{
    const struct cli_race *race = ctx;
    char name[32], form[128];
    const char *argv[10];
    size_t argc = 0;
    argv[argc++] = race->program;
    argv[argc++] = "revoke";
    if (k == 0) {
        snprintf(name, sizeof name, "race%02d.test", cert);
        argv[argc++] = name;
    } else {
        size_t n = 0;
        for (const char *p = race->serials[cert]; *p != 0; p += 2) {
            char hi = k == 3 ? p[0] : (char)tolower((unsigned char)p[0]);
            char lo = k == 3 ? p[1] : (char)tolower((unsigned char)p[1]);
            n += (size_t)snprintf(form + n, sizeof form - n, "%s%c%c", k == 2 && n > 0 ? ":" : "",
                                  hi, lo);
        }
        argv[argc++] = "--serial";
        argv[argc++] = form;
    }
    argv[argc++] = "--reason";
    argv[argc++] = race_reasons[k];
    argv[argc++] = "--lab";
    argv[argc++] = race->lab;
    argv[argc] = NULL;
    struct test_run run;
    if (test_run(&run, CA_RUN_TIMEOUT_MS, NULL, argv) != 0)
        return -1;
    int outcome = run.exit_code;
    if (run.exit_code == 1 && !test_contains(run.err, "already revoked"))
        outcome = 10;
    test_run_free(&run);
    return outcome;
}

START_TEST(test_concurrent_revoke_and_list)
{
    const char *lab = fixture_lab;
    struct cli_race race = {.lab = lab};
    snprintf(race.program, sizeof race.program, "%s", test_bin("ca"));
    /* The fixture's shop.test is not part of the race: start over. */
    ca_ok(lab, "init", "--force", NULL);
    for (int i = 0; i < RACE_CERTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "race%02d.test", i);
        ca_ok(lab, "issue", name, NULL);
        serial_of(lab, name, race.serials[i], sizeof race.serials[i]);
    }

    const struct race_spec spec = {
        .ctx = &race,
        .list_once = cli_race_list,
        .revoke = cli_race_revoke,
        .ok_code = 0,
        .already_code = 1,
        .lister_ms = 15 * 1000,
        .limit_ms = 40 * 1000, /* under the test case's 60 s */
        .leftover_needle = lab,
    };
    int winners[RACE_CERTS];
    race_run(&spec, winners);
    for (int i = 0; i < RACE_CERTS; i++) {
        /* The winner's reason is the one on record (reason codes 1..4). */
        ck_assert_int_eq(db_int(lab, "SELECT revocation_reason FROM certificates WHERE serial = ?",
                                race.serials[i], -1),
                         winners[i] + 1);
    }
    ck_assert_int_eq(
        db_int(lab, "SELECT count(*) FROM certificates WHERE revoked_at IS NULL", NULL, -1), 0);
    ck_assert_int_eq(db_int(lab, "SELECT count(*) FROM certificates", NULL, -1), RACE_CERTS);
    assert_integrity_ok(lab);

    /* One revocation event per certificate, every line whole. */
    json_t *lines = read_trace(lab);
    int revoked_events[RACE_CERTS] = {0};
    for (size_t k = 0; k < json_array_size(lines); k++) {
        json_t *line = json_array_get(lines, k);
        if (strcmp(json_str(line, "event"), "ca.cert.revoked") != 0)
            continue;
        for (int i = 0; i < RACE_CERTS; i++)
            if (strcmp(json_str(line, "serial"), race.serials[i]) == 0)
                revoked_events[i]++;
    }
    for (int i = 0; i < RACE_CERTS; i++)
        ck_assert_msg(revoked_events[i] == 1, "cert %d: %d revocation events", i,
                      revoked_events[i]);
    json_decref(lines);
}
END_TEST

/* ---- issue 13: the control token, a damaged database, a list that only reads ---- */

/* LAB/control.token holds 64 hex digits and a newline, mode 0600; the text
 * is returned (caller frees). */
static char *read_control_token(const char *lab)
{
    char path[LAB_PATH_MAX];
    struct stat st;
    lab_join(path, lab, LAB_CONTROL_TOKEN);
    ck_assert_msg(stat(path, &st) == 0, "no %s after ca init", path);
    ck_assert_msg((st.st_mode & 07777) == 0600, "control.token mode %04o, want 0600",
                  (unsigned)(st.st_mode & 07777));
    ck_assert_int_eq(st.st_size, 65);
    char *text = test_read_text(path);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strspn(text, "0123456789abcdefABCDEF") == 64 && strcmp(text + 64, "\n") == 0,
                  "not 64 hex digits and a newline: '%s'", text);
    return text;
}

START_TEST(test_init_writes_control_token)
{
    char *lab = test_tmpdir();
    struct test_run run;
    run_ca(&run, lab, "init", NULL);
    ck_assert_msg(run.exit_code == 0, "%s", run.err);
    ck_assert_msg(test_contains(run.out, LAB_CONTROL_TOKEN), "init does not show it: %s", run.out);
    test_run_free(&run);
    char *first = read_control_token(lab);

    /* A refused init leaves the token alone; --force makes a new one. */
    run_ca(&run, lab, "init", NULL);
    assert_failed(&run, 2, "--force");
    test_run_free(&run);
    char *same = read_control_token(lab);
    ck_assert_str_eq(same, first);
    ca_ok(lab, "init", "--force", NULL);
    char *second = read_control_token(lab);
    ck_assert_str_ne(second, first);
    free(first);
    free(same);
    free(second);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* Writing the token is part of init: when it cannot be written (here a
 * directory sits at its name; root cannot rename a file over it either),
 * init fails with exit 2 and no CA is made. */
START_TEST(test_init_fails_without_control_token)
{
    char *lab = test_tmpdir();
    char token[LAB_PATH_MAX], inside[LAB_PATH_MAX], root[LAB_PATH_MAX];
    struct test_run run;
    lab_join(token, lab, LAB_CONTROL_TOKEN);
    lab_join(inside, lab, LAB_CONTROL_TOKEN "/keep");
    lab_join(root, lab, LAB_ROOT_CERT);
    ck_assert_int_eq(mkdir(token, 0755), 0);
    ck_assert_int_eq(file_write_atomic(inside, "x", 1, 0644, NULL), 0);
    run_ca(&run, lab, "init", NULL);
    assert_failed(&run, 2, "control token");
    test_run_free(&run);
    ck_assert_msg(!file_exists(root), "init made a root without a control token");
    run_ca(&run, lab, "list", NULL);
    assert_failed(&run, 2, "ca init");
    test_run_free(&run);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* The whole file, with its size; the test fails when it cannot be read. */
static char *read_all(const char *path, size_t *size)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    *size = (size_t)st.st_size;
    char *bytes = test_read_text(path);
    ck_assert_ptr_nonnull(bytes);
    return bytes;
}

static void assert_same_file(const char *path, const char *before, size_t size, const char *what)
{
    size_t now_size = 0;
    char *now = read_all(path, &now_size);
    ck_assert_msg(now_size == size && memcmp(now, before, size) == 0, "%s changed %s", what, path);
    free(now);
}

/* One 4 KiB page of junk in the middle of ca.db: every command refuses the
 * file with its name and the way out, exit 2, and leaves it byte for byte
 * as it was; ca list prints nothing on stdout. */
START_TEST(test_damaged_database)
{
    char *lab = test_tmpdir();
    char db_path[LAB_PATH_MAX], wal[LAB_PATH_MAX], trace[LAB_PATH_MAX], token[LAB_PATH_MAX];
    char want[LAB_PATH_MAX + 64];
    struct test_run run;
    lab_join(db_path, lab, LAB_DB_FILE);
    lab_join(wal, lab, LAB_DB_FILE "-wal");
    lab_join(trace, lab, LAB_TRACE_FILE);
    lab_join(token, lab, LAB_CONTROL_TOKEN);
    ca_ok(lab, "init", NULL);
    const char *names[] = {"a.test", "b.test", "c.test", "d.test", "e.test", "f.test"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        ca_ok(lab, "issue", names[k], NULL);
    /* Each ca command closes the last connection, which checkpoints the
     * WAL into ca.db and removes it: the pages are all in the main file. */
    ck_assert_msg(!file_exists(wal), "ca.db-wal outlived the last ca command");
    size_t size = 0;
    char *sound = read_all(db_path, &size);
    free(sound);
    ck_assert_uint_eq(size % 4096, 0);
    size_t pages = size / 4096;
    ck_assert_uint_ge(pages, 4);

    char junk[4096];
    memset(junk, 0xa5, sizeof junk);
    FILE *f = fopen(db_path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, (long)(pages / 2) * 4096, SEEK_SET), 0);
    ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    ck_assert_int_eq(fclose(f), 0);
    char *damaged = read_all(db_path, &size);
    size_t trace_size = 0, token_size = 0;
    char *trace_before = read_all(trace, &trace_size);
    char *token_before = read_all(token, &token_size);
    snprintf(want, sizeof want, "%s is damaged (quick_check: ", db_path);

    const char *commands[][4] = {
        {"issue", "x.test", NULL},
        {"revoke", "a.test", NULL},
        {"revoke", "--serial", "0A", NULL},
        {"init", "--force", NULL},
        {"list", NULL},
        {"list", "--json", NULL},
    };
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        run_ca(&run, lab, commands[k][0], commands[k][1], commands[k][2], NULL);
        assert_failed(&run, 2, want);
        ck_assert_msg(test_contains(run.err, "): restore it from a copy, or start over with "
                                             "rm -rf "),
                      "%s: no way out in: %s", commands[k][0], run.err);
        ck_assert_msg(run.out[0] == 0, "%s %s wrote to stdout: %s", commands[k][0],
                      commands[k][1] != NULL ? commands[k][1] : "", run.out);
        test_run_free(&run);
        assert_same_file(db_path, damaged, size, commands[k][0]);
    }
    assert_certs_dir(lab, "a.test.key,a.test.pem,b.test.key,b.test.pem,c.test.key,c.test.pem,"
                          "d.test.key,d.test.pem,e.test.key,e.test.pem,f.test.key,f.test.pem");
    assert_same_file(trace, trace_before, trace_size, "a refused command");
    assert_same_file(token, token_before, token_size, "a refused init --force");
    free(damaged);
    free(trace_before);
    free(token_before);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* Runs bin/ca list [--json] --lab LAB as an unprivileged user when this test
 * runs as root (for whom permissions do not bite), as itself otherwise. */
static void run_list_unprivileged(struct test_run *run, const char *lab, bool json)
{
    const char *argv[12];
    char program[LAB_PATH_MAX];
    size_t argc = 0;
    snprintf(program, sizeof program, "%s", test_bin("ca"));
    if (geteuid() == 0) {
        ck_assert_msg(access("/usr/bin/setpriv", X_OK) == 0,
                      "running as root, and no setpriv to drop to nobody");
        argv[argc++] = "/usr/bin/setpriv";
        argv[argc++] = "--reuid=65534";
        argv[argc++] = "--regid=65534";
        argv[argc++] = "--clear-groups";
    }
    argv[argc++] = program;
    argv[argc++] = "list";
    if (json)
        argv[argc++] = "--json";
    argv[argc++] = "--lab";
    argv[argc++] = lab;
    argv[argc] = NULL;
    ck_assert_int_eq(test_run(run, CA_RUN_TIMEOUT_MS, NULL, argv), 0);
}

/* chmod on every file and folder of a small lab tree (two levels deep). */
static void chmod_lab(const char *lab, mode_t dir_mode, mode_t file_mode)
{
    const char *entries[] = {"", LAB_CA_DIR, LAB_CERTS_DIR};
    for (size_t k = 0; k < 3; k++) {
        char dir_path[LAB_PATH_MAX], file_path[LAB_PATH_MAX];
        if (k == 0)
            snprintf(dir_path, sizeof dir_path, "%s", lab);
        else
            lab_join(dir_path, lab, entries[k]);
        DIR *d = opendir(dir_path);
        ck_assert_ptr_nonnull(d);
        for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
            struct stat st;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            lab_join(file_path, dir_path, e->d_name);
            ck_assert_int_eq(stat(file_path, &st), 0);
            if (!S_ISDIR(st.st_mode))
                ck_assert_int_eq(chmod(file_path, file_mode), 0);
        }
        closedir(d);
        ck_assert_int_eq(chmod(dir_path, dir_mode), 0);
    }
}

/* ca list only reads. In a lab it may write, it leaves ca.db byte for byte
 * as it was and makes no trace (SQLite's read-only connection may still
 * create the empty ca.db-wal and ca.db-shm it coordinates through, as the
 * responder's does). In a lab it may not write (chmod -R a-w, and a user
 * other than root), it still lists. */
START_TEST(test_list_only_reads)
{
    char *lab = test_tmpdir();
    char db_path[LAB_PATH_MAX], trace[LAB_PATH_MAX], wal[LAB_PATH_MAX];
    struct test_run run;
    struct stat st;
    lab_join(db_path, lab, LAB_DB_FILE);
    lab_join(trace, lab, LAB_TRACE_FILE);
    lab_join(wal, lab, LAB_DB_FILE "-wal");
    ca_ok(lab, "init", NULL);
    ca_ok(lab, "issue", "shop.test", NULL);
    ca_ok(lab, "revoke", "shop.test", NULL);
    ck_assert_int_eq(unlink(trace), 0);
    size_t size = 0;
    char *before = read_all(db_path, &size);
    for (int json = 0; json <= 1; json++) {
        run_ca(&run, lab, "list", json ? "--json" : NULL, NULL);
        ck_assert_msg(run.exit_code == 0, "%s", run.err);
        ck_assert(test_contains(run.out, "shop.test"));
        test_run_free(&run);
        ck_assert_msg(!file_exists(trace), "ca list opened the trace for writing");
        assert_same_file(db_path, before, size, "ca list");
        ck_assert_msg(stat(wal, &st) != 0 || st.st_size == 0, "ca list wrote into the WAL");
    }
    free(before);

    /* A read-only lab, left as a finished lab is: no -wal, no -shm. The
     * folders above it let the unprivileged user through. */
    ca_ok(lab, "issue", "mail.test", NULL);
    lab_join(wal, lab, LAB_DB_FILE "-shm");
    unlink(wal);
    lab_join(wal, lab, LAB_DB_FILE "-wal");
    unlink(wal);
    ck_assert_int_eq(chmod(test_scratch_dir(), 0755), 0);
    chmod_lab(lab, 0555, 0444);
    before = read_all(db_path, &size);
    for (int json = 0; json <= 1; json++) {
        run_list_unprivileged(&run, lab, json == 1);
        ck_assert_msg(run.exit_code == 0, "ca list in a read-only lab: exit %d: %s", run.exit_code,
                      run.err);
        ck_assert_msg(test_contains(run.out, "shop.test") && test_contains(run.out, "mail.test") &&
                          test_contains(run.out, "revoked"),
                      "%s", run.out);
        test_run_free(&run);
    }
    ck_assert_msg(!file_exists(wal), "ca list made a WAL in a read-only lab");
    assert_same_file(db_path, before, size, "ca list");
    free(before);
    chmod_lab(lab, 0755, 0644);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* Every program answers a bad flag with the hint once (it came twice, from
 * the parser and from cli_start). */
START_TEST(test_bad_flag_hint_once_everywhere)
{
    const char *programs[] = {"ca", "responder", "webserver", "browser", "scenario"};
    for (size_t k = 0; k < sizeof programs / sizeof programs[0]; k++) {
        struct test_run run = test_run_bin(CA_RUN_TIMEOUT_MS, programs[k], "--frob", NULL);
        ck_assert_msg(run.exit_code == 2, "%s --frob: exit %d", programs[k], run.exit_code);
        ck_assert_msg(test_contains(run.err, "unknown option '--frob'") &&
                          test_count_of(run.err, "(see --help)") == 1,
                      "%s --frob: %s", programs[k], run.err);
        test_run_free(&run);
    }
}
END_TEST

Suite *ca_cli_suite(void);
Suite *ca_cli_suite(void)
{
    Suite *s = suite_create("ca_cli");

    TCase *usage = tcase_create("usage");
    tcase_set_timeout(usage, 60);
    tcase_add_unchecked_fixture(usage, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(usage, setup_lab, teardown_lab);
    tcase_add_loop_test(usage, test_bad_usage, 0,
                        (int)(sizeof usage_cases / sizeof usage_cases[0]));
    tcase_add_test(usage, test_broken_root_files);
    tcase_add_test(usage, test_revoke_flow);
    tcase_add_test(usage, test_list_text_and_json);
    tcase_add_test(usage, test_locked_database);
    tcase_add_test(usage, test_concurrent_revoke_and_list);
    suite_add_tcase(s, usage);

    TCase *labs = tcase_create("labs");
    tcase_set_timeout(labs, 60);
    tcase_add_unchecked_fixture(labs, scratch_setup, scratch_teardown);
    tcase_add_test(labs, test_help_and_version);
    tcase_add_test(labs, test_before_init);
    tcase_add_test(labs, test_foreign_database);
    tcase_add_test(labs, test_init_force);
    tcase_add_test(labs, test_flags_reach_certificates);
    tcase_add_test(labs, test_options_anywhere);
    tcase_add_test(labs, test_trace);
    tcase_add_test(labs, test_init_writes_control_token);
    tcase_add_test(labs, test_init_fails_without_control_token);
    tcase_add_test(labs, test_damaged_database);
    tcase_add_test(labs, test_list_only_reads);
    tcase_add_test(labs, test_bad_flag_hint_once_everywhere);
    suite_add_tcase(s, labs);
    return s;
}
