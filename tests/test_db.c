/* test_db.c — the database helpers (common/db.c) and the certificate records
 * (common/certstore.c) on real SQLite files: creation and schema version,
 * refusal of foreign or newer files, a locked database, the consistency
 * constraints, and change detection for the responder. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certstore.h"
#include "db.h"
#include "testutil.h"

static char *dir;
static char path[4096];

static void setup(void)
{
    dir = test_tmpdir();
    snprintf(path, sizeof path, "%s/ca.db", dir);
}

static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

static int64_t pragma(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

static void raw_exec(const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static struct cert_record sample(const char *serial, const char *name, int64_t issued_at)
{
    struct cert_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.serial_hex, sizeof rec.serial_hex, "%s", serial);
    snprintf(rec.name, sizeof rec.name, "%s", name);
    snprintf(rec.kind, sizeof rec.kind, "server");
    rec.not_before = 1000;
    rec.not_after = 2000;
    rec.issued_at = issued_at;
    return rec;
}

static const uint8_t fake_der[] = {0x30, 0x00};

START_TEST(create_sets_schema_wal_and_id)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    ck_assert_int_eq(db_open(path, DB_CREATE, &db, &err), 0);
    ck_assert_int_eq(pragma(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    ck_assert_int_eq(pragma(db, "PRAGMA application_id"), 0x4f43534c);
    ck_assert_int_eq(pragma(db, "PRAGMA foreign_keys"), 1);
    sqlite3_stmt *stmt;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 0), "wal");
    sqlite3_finalize(stmt);
    db_close(db);
    /* Reopening an up-to-date file migrates nothing and reads fine. */
    ck_assert_int_eq(db_open(path, DB_READ, &db, &err), 0);
    ck_assert_int_eq(pragma(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    db_close(db);
}
END_TEST

START_TEST(missing_file_is_a_clear_error)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    ck_assert_int_ne(db_open(path, DB_WRITE, &db, &err), 0);
    ck_assert_ptr_null(db);
    ck_assert_msg(test_contains(err.msg, "no such file") && test_contains(err.msg, "ca init"), "%s",
                  err.msg);
    ck_assert_int_ne(db_open(path, DB_READ, &db, &err), 0);
    ck_assert_int_ne(access(path, F_OK), 0); /* not created as a side effect */
}
END_TEST

START_TEST(foreign_database_is_refused_untouched)
{
    raw_exec("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');");
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    ck_assert_int_ne(db_open(path, DB_WRITE, &db, &err), 0);
    ck_assert_msg(test_contains(err.msg, "not an OCSP Lab database"), "%s", err.msg);
    ck_assert_int_ne(db_open(path, DB_CREATE, &db, &err), 0);
    /* Still the other program's file, unmigrated. */
    sqlite3 *raw;
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    ck_assert_int_eq(pragma(raw, "PRAGMA user_version"), 0);
    ck_assert_int_eq(pragma(raw, "SELECT count(*) FROM sqlite_master WHERE name = 'ca'"), 0);
    sqlite3_close(raw);

    /* Another application's id is refused too, even with no tables. */
    unlink(path);
    raw_exec("PRAGMA application_id = 1234;");
    ck_assert_int_ne(db_open(path, DB_CREATE, &db, &err), 0);
    ck_assert_msg(test_contains(err.msg, "application id 1234"), "%s", err.msg);
}
END_TEST

START_TEST(newer_schema_is_refused)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    ck_assert_int_eq(db_open(path, DB_CREATE, &db, &err), 0);
    db_close(db);
    raw_exec("PRAGMA user_version = 99;");
    ck_assert_int_ne(db_open(path, DB_WRITE, &db, &err), 0);
    ck_assert_msg(test_contains(err.msg, "newer"), "%s", err.msg);
    ck_assert_int_ne(db_open(path, DB_READ, &db, &err), 0);
}
END_TEST

START_TEST(not_a_database_file)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is not sqlite, just text that is long enough to be a header.....\n", f);
    fclose(f);
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    ck_assert_int_ne(db_open(path, DB_WRITE, &db, &err), 0);
    ck_assert_msg(test_contains(err.msg, "not a valid SQLite database"), "%s", err.msg);
}
END_TEST

START_TEST(locked_database_gives_up_with_words)
{
    sqlite3 *db = NULL, *holder = NULL;
    struct errbuf err = {{0}};
    ck_assert_int_eq(db_open(path, DB_CREATE, &db, &err), 0);
    ck_assert_int_eq(sqlite3_open(path, &holder), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    /* Shorten the wait for the test; the message is what matters. */
    sqlite3_busy_timeout(db, 200);
    struct cert_record rec = sample("0A", "a.test", 1);
    ck_assert_int_ne(db_begin(db, &err), 0);
    ck_assert_msg(test_contains(err.msg, "locked"), "%s", err.msg);
    int found = certstore_find_serial(db, "0A", &rec, &err);
    (void)found; /* a WAL reader may or may not be blocked by EXCLUSIVE; either is fine */
    ck_assert_int_eq(sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(holder);
    ck_assert_int_eq(db_begin(db, &err), 0);
    ck_assert_int_eq(certstore_insert(db, &rec, fake_der, sizeof fake_der, &err), 0);
    ck_assert_int_eq(db_commit(db, &err), 0);
    db_close(db);
}
END_TEST

START_TEST(records_insert_find_revoke)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    struct cert_record rec = sample("4A01", "shop.test", 10), got;
    ck_assert_int_eq(db_open(path, DB_CREATE, &db, &err), 0);
    ck_assert_int_eq(certstore_insert(db, &rec, fake_der, sizeof fake_der, &err), 0);
    /* A serial is unique: the second insert fails and says so. */
    ck_assert_int_ne(certstore_insert(db, &rec, fake_der, sizeof fake_der, &err), 0);
    rec = sample("4A02", "shop.test", 20); /* a renewal */
    ck_assert_int_eq(certstore_insert(db, &rec, fake_der, sizeof fake_der, &err), 0);
    rec = sample("4A03", "blog.test", 30);
    ck_assert_int_eq(certstore_insert(db, &rec, fake_der, sizeof fake_der, &err), 0);

    ck_assert_int_eq(certstore_find_serial(db, "4A01", &got, &err), 0);
    ck_assert_str_eq(got.name, "shop.test");
    ck_assert(!got.is_revoked);
    ck_assert_int_eq(certstore_find_serial(db, "FFFF", &got, &err), 1);
    ck_assert_int_eq(certstore_find_name(db, "shop.test", &got, &err), 0);
    ck_assert_str_eq(got.serial_hex, "4A02"); /* the newest */
    ck_assert_int_eq(certstore_find_name(db, "none.test", &got, &err), 1);

    ck_assert_int_eq(certstore_revoke(db, "4A02", 12345, REASON_KEY_COMPROMISE, &got, &err),
                     CERTSTORE_REVOKED);
    ck_assert(got.is_revoked);
    ck_assert_int_eq(certstore_revoke(db, "4A02", 99999, REASON_SUPERSEDED, &got, &err),
                     CERTSTORE_ALREADY_REVOKED);
    /* The first revocation stands. */
    ck_assert_int_eq(got.revoked_at, 12345);
    ck_assert_int_eq(got.revocation_reason, REASON_KEY_COMPROMISE);
    ck_assert_int_eq(certstore_revoke(db, "0BAD", 1, REASON_UNSPECIFIED, &got, &err),
                     CERTSTORE_NOT_FOUND);
    ck_assert_int_eq(certstore_find_serial(db, "4A02", &got, &err), 0);
    ck_assert(got.is_revoked);
    ck_assert_int_eq(got.revoked_at, 12345);

    char names[64];
    ck_assert_int_eq(certstore_server_names(db, names, sizeof names, &err), 0);
    ck_assert_str_eq(names, "blog.test, shop.test");
    /* Too small for both: the list is cut at a whole name. */
    ck_assert_int_eq(certstore_server_names(db, names, 16, &err), 0);
    ck_assert_str_eq(names, "blog.test, …");
    db_close(db);
}
END_TEST

static int count_rows(const struct cert_record *rec, void *ctx)
{
    (void)rec;
    (*(int *)ctx)++;
    return 0;
}

static int stop_at_second(const struct cert_record *rec, void *ctx)
{
    (void)rec;
    return ++(*(int *)ctx) == 2 ? 7 : 0;
}

START_TEST(list_visits_every_row_and_can_stop)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    ck_assert_int_eq(db_open(path, DB_CREATE, &db, &err), 0);
    for (int i = 0; i < 5; i++) {
        char serial[8];
        snprintf(serial, sizeof serial, "4B%02d", i);
        struct cert_record rec = sample(serial, "x.test", i);
        ck_assert_int_eq(certstore_insert(db, &rec, fake_der, sizeof fake_der, &err), 0);
    }
    int n = 0;
    ck_assert_int_eq(certstore_list(db, count_rows, &n, &err), 0);
    ck_assert_int_eq(n, 5);
    n = 0;
    ck_assert_int_eq(certstore_list(db, stop_at_second, &n, &err), 7);
    ck_assert_int_eq(n, 2);
    db_close(db);
}
END_TEST

START_TEST(half_a_revocation_is_impossible)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    struct cert_record rec = sample("4C01", "a.test", 1);
    ck_assert_int_eq(db_open(path, DB_CREATE, &db, &err), 0);
    ck_assert_int_eq(certstore_insert(db, &rec, fake_der, sizeof fake_der, &err), 0);
    /* The schema itself refuses a time without a reason, or a bad reason. */
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE certificates SET revoked_at = 5", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db,
                                  "UPDATE certificates SET revoked_at = 5, revocation_reason = 42",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE certificates SET kind = 'root'", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(certstore_find_serial(db, "4C01", &rec, &err), 0);
    ck_assert(!rec.is_revoked);
    db_close(db);
}
END_TEST

START_TEST(reader_sees_data_version_change)
{
    sqlite3 *writer = NULL, *reader = NULL;
    struct errbuf err = {{0}};
    struct cert_record rec = sample("4D01", "a.test", 1), got;
    int64_t before, after, again;
    ck_assert_int_eq(db_open(path, DB_CREATE, &writer, &err), 0);
    ck_assert_int_eq(certstore_insert(writer, &rec, fake_der, sizeof fake_der, &err), 0);
    ck_assert_int_eq(db_open(path, DB_READ, &reader, &err), 0);
    ck_assert_int_eq(db_data_version(reader, &before, &err), 0);
    ck_assert_int_eq(db_data_version(reader, &again, &err), 0);
    ck_assert_int_eq(before, again);
    ck_assert_int_eq(certstore_revoke(writer, "4D01", 77, REASON_SUPERSEDED, &got, &err), 0);
    ck_assert_int_eq(db_data_version(reader, &after, &err), 0);
    ck_assert_int_ne(before, after);
    ck_assert_int_eq(certstore_find_serial(reader, "4D01", &got, &err), 0);
    ck_assert(got.is_revoked);
    /* The read-only handle cannot write. */
    ck_assert_int_ne(certstore_insert(reader, &rec, fake_der, sizeof fake_der, &err), 0);
    ck_assert_msg(test_contains(err.msg, "read-only"), "%s", err.msg);
    db_close(reader);
    db_close(writer);
}
END_TEST

START_TEST(ca_row_round_trip)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    struct ca_record ca = {.name = "Lab Root CA",
                           .key_type = "ec",
                           .ocsp_url = "http://127.0.0.1:8080/",
                           .has_delegate = true,
                           .created_at = 42};
    struct ca_record got;
    struct cert_record rec = sample("4E01", "a.test", 1);
    ck_assert_int_eq(db_open(path, DB_CREATE, &db, &err), 0);
    ck_assert_int_eq(certstore_get_ca(db, &got, &err), 1);
    ck_assert_int_eq(certstore_set_ca(db, &ca, fake_der, sizeof fake_der, false, &err), 0);
    ck_assert_int_eq(certstore_insert(db, &rec, fake_der, sizeof fake_der, &err), 0);
    ck_assert_int_eq(certstore_get_ca(db, &got, &err), 0);
    ck_assert_str_eq(got.name, "Lab Root CA");
    ck_assert_str_eq(got.ocsp_url, "http://127.0.0.1:8080/");
    ck_assert(got.has_delegate);
    ck_assert_int_eq(got.created_at, 42);
    /* Replacing the CA and forgetting its certificates. */
    ca.has_delegate = false;
    ck_assert_int_eq(certstore_set_ca(db, &ca, fake_der, sizeof fake_der, true, &err), 0);
    ck_assert_int_eq(certstore_find_serial(db, "4E01", &rec, &err), 1);
    ck_assert_int_eq(certstore_get_ca(db, &got, &err), 0);
    ck_assert(!got.has_delegate);
    db_close(db);
}
END_TEST

START_TEST(reason_names_parse)
{
    static const char *const names[] = {"unspecified",  "keyCompromise",
                                        "cACompromise", "affiliationChanged",
                                        "superseded",   "cessationOfOperation"};
    for (int i = 0; i < 6; i++) {
        enum revocation_reason r;
        ck_assert_int_eq(revocation_reason_parse(names[i], &r), 0);
        ck_assert_int_eq((int)r, i);
    }
    enum revocation_reason r;
    ck_assert_int_eq(revocation_reason_parse("KEYCOMPROMISE", &r), 0);
    ck_assert_int_eq(r, REASON_KEY_COMPROMISE);
    ck_assert_int_eq(revocation_reason_parse("stolen", &r), -1);
    ck_assert_int_eq(revocation_reason_parse("", &r), -1);
    /* The CA offers the first six reasons only (RFC 5280 5.3.1's others are
     * a CA's own business: holds, privilege, attribute authorities). */
    ck_assert_int_eq(revocation_reason_parse("certificateHold", &r), -1);
    ck_assert_int_eq(revocation_reason_parse("aACompromise", &r), -1);
}
END_TEST

/* Fills a database with enough rows for several pages, closes it (so the
 * WAL is checkpointed into ca.db and removed), and returns its page count. */
static long fill_and_close(void)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    uint8_t der[900];
    memset(der, 0x30, sizeof der);
    ck_assert_int_eq(db_open(path, DB_CREATE, &db, &err), 0);
    for (int i = 0; i < 24; i++) {
        char serial[8], name[32];
        snprintf(serial, sizeof serial, "%02X", i + 1);
        snprintf(name, sizeof name, "site%d.test", i);
        struct cert_record rec = sample(serial, name, 100 + i);
        ck_assert_int_eq(certstore_insert(db, &rec, der, sizeof der, &err), 0);
    }
    db_close(db);
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    ck_assert_msg(access(wal, F_OK) != 0, "the WAL outlived the last connection");
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    fclose(f);
    ck_assert_int_eq(size % 4096, 0);
    return size / 4096;
}

/* Overwrites page `page` (1-based) of ca.db with a byte pattern. */
static void damage_page(long page)
{
    uint8_t junk[4096];
    memset(junk, 0xa5, sizeof junk);
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, (page - 1) * 4096, SEEK_SET), 0);
    ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    ck_assert_int_eq(fclose(f), 0);
}

/* A sound file passes db_check; one page of junk in the middle fails it,
 * and db_open for writing refuses the file before it writes anything. */
START_TEST(damaged_page_is_found_before_a_write)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    long pages = fill_and_close();
    ck_assert_int_ge(pages, 5);
    ck_assert_int_eq(db_open(path, DB_READ, &db, &err), 0);
    ck_assert_msg(db_check(db, path, &err) == 0, "%s", err.msg);
    db_close(db);

    damage_page(pages / 2 + 1);
    char *before = test_read_text(path);
    ck_assert_ptr_nonnull(before);
    for (int access_mode = DB_CREATE; access_mode <= DB_WRITE; access_mode++) {
        memset(&err, 0, sizeof err);
        ck_assert_int_eq(db_open(path, (enum db_access)access_mode, &db, &err), DB_DAMAGED);
        ck_assert_ptr_null(db);
        ck_assert_msg(test_contains(err.msg, "ca.db is damaged (quick_check: "), "%s", err.msg);
        ck_assert_msg(strchr(err.msg, '\n') == NULL, "one line: %s", err.msg);
    }
    /* Readers open it (they write nothing) and ask db_check themselves. */
    ck_assert_int_eq(db_open(path, DB_READ_ONCE, &db, &err), 0);
    ck_assert_int_eq(db_check(db, path, &err), DB_DAMAGED);
    ck_assert_msg(test_contains(err.msg, "is damaged (quick_check: "), "%s", err.msg);
    db_close(db);
    char *after = test_read_text(path);
    ck_assert_ptr_nonnull(after);
    ck_assert_int_eq(memcmp(before, after, (size_t)pages * 4096), 0);
    free(before);
    free(after);
}
END_TEST

/* A reader never migrates: an empty file is "no CA yet", not upgraded. */
START_TEST(reader_leaves_an_empty_file_alone)
{
    sqlite3 *db = NULL;
    struct errbuf err = {{0}};
    raw_exec("PRAGMA user_version = 0;");
    ck_assert_int_ne(db_open(path, DB_READ_ONCE, &db, &err), 0);
    ck_assert_msg(test_contains(err.msg, "holds no CA yet"), "%s", err.msg);
    sqlite3 *raw = NULL;
    ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
    ck_assert_int_eq(pragma(raw, "SELECT count(*) FROM sqlite_master"), 0);
    ck_assert_int_eq(pragma(raw, "PRAGMA user_version"), 0);
    sqlite3_close(raw);
}
END_TEST

Suite *db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("sqlite");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, create_sets_schema_wal_and_id);
    tcase_add_test(tc, missing_file_is_a_clear_error);
    tcase_add_test(tc, foreign_database_is_refused_untouched);
    tcase_add_test(tc, newer_schema_is_refused);
    tcase_add_test(tc, not_a_database_file);
    tcase_add_test(tc, locked_database_gives_up_with_words);
    tcase_add_test(tc, records_insert_find_revoke);
    tcase_add_test(tc, list_visits_every_row_and_can_stop);
    tcase_add_test(tc, half_a_revocation_is_impossible);
    tcase_add_test(tc, reader_sees_data_version_change);
    tcase_add_test(tc, ca_row_round_trip);
    tcase_add_test(tc, reason_names_parse);
    tcase_add_test(tc, damaged_page_is_found_before_a_write);
    tcase_add_test(tc, reader_leaves_an_empty_file_alone);
    suite_add_tcase(s, tc);
    return s;
}
