/* db.c — SQLite open with WAL, busy timeout, foreign keys, and migrations. */
#include "db.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"

/* quick_check reports at most this many problems; only the first is shown. */
#define DB_CHECK_MAX_ERRORS 8
/* How much of SQLite's first complaint a message repeats. */
#define DB_CHECK_MAX_DETAIL 160

/* "OCSL" — marks a database file as the lab's, so a foreign file is refused. */
#define DB_APPLICATION_ID 0x4f43534c

/* migrations[i] moves the schema from version i to i + 1. Never edit an entry
 * that has shipped; append a new one and raise DB_SCHEMA_VERSION. */
static const char *const migrations[DB_SCHEMA_VERSION] = {
    /* 0 -> 1: the CA itself and every certificate it issued. */
    "CREATE TABLE ca ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  name TEXT NOT NULL,"
    "  key_type TEXT NOT NULL CHECK (key_type IN ('ec', 'rsa')),"
    "  ocsp_url TEXT NOT NULL,"
    "  root_der BLOB NOT NULL,"
    "  has_delegate INTEGER NOT NULL DEFAULT 0 CHECK (has_delegate IN (0, 1)),"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE certificates ("
    "  serial TEXT PRIMARY KEY CHECK (length(serial) BETWEEN 2 AND 40),"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('server', 'ocsp-signer')),"
    "  not_before INTEGER NOT NULL,"
    "  not_after INTEGER NOT NULL CHECK (not_after > not_before),"
    "  must_staple INTEGER NOT NULL DEFAULT 0 CHECK (must_staple IN (0, 1)),"
    "  der BLOB NOT NULL,"
    "  issued_at INTEGER NOT NULL,"
    "  revoked_at INTEGER,"
    "  revocation_reason INTEGER CHECK (revocation_reason BETWEEN 0 AND 10),"
    /* A revocation is a time and a reason together, or neither. */
    "  CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))"
    ");"
    "CREATE INDEX certificates_by_name ON certificates (name, issued_at);",
    /* 1 -> 2: the CA's revision counter for CRL numbers (RFC 5280 5.2.3:
     * they only grow). Every revocation and every 'ca crl' raises it; see
     * crl_number in common/crl.h for how a CRL number is made from it. */
    "CREATE TABLE crl_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  revision INTEGER NOT NULL CHECK (revision BETWEEN 1 AND 2147483647),"
    "  changed_at INTEGER NOT NULL"
    ");"
    "INSERT INTO crl_state (id, revision, changed_at) VALUES (1, 1, 0);",
};

void db_set_error(sqlite3 *db, int sqlite_rc, struct errbuf *err, const char *what)
{
    int primary = sqlite_rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        errbuf_set(err,
                   "%s: the database is locked by another process (waited %d ms; is "
                   "another 'ca' command or a stuck sqlite3 shell running? try again)",
                   what, DB_BUSY_TIMEOUT_MS);
    else if (primary == SQLITE_READONLY)
        errbuf_set(err, "%s: the database is read-only here", what);
    else if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
        errbuf_set(err, "%s: the file is not a valid SQLite database", what);
    else if (primary == SQLITE_FULL)
        errbuf_set(err, "%s: the disk is full", what);
    else
        errbuf_set(err, "%s: %s", what,
                   db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(sqlite_rc));
}

int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt, struct errbuf *err)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        db_set_error(db, rc, err, "cannot prepare a database query");
        *stmt = NULL;
        return -1;
    }
    return 0;
}

static int exec_sql(sqlite3 *db, const char *sql, struct errbuf *err, const char *what)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        db_set_error(db, rc, err, what);
        return -1;
    }
    return 0;
}

static int read_pragma_int(sqlite3 *db, const char *sql, int64_t *value, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (db_prepare(db, sql, &stmt, err) != 0)
        return -1;
    int step = sqlite3_step(stmt);
    if (step != SQLITE_ROW) {
        db_set_error(db, step, err, "cannot read the database header");
        goto out;
    }
    *value = sqlite3_column_int64(stmt, 0);
    rc = 0;
out:
    sqlite3_finalize(stmt);
    return rc;
}

int db_check(sqlite3 *db, const char *path, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    char detail[DB_CHECK_MAX_DETAIL + 1] = "";
    char sql[48];
    int rc = -1;
    snprintf(sql, sizeof sql, "PRAGMA quick_check(%d)", DB_CHECK_MAX_ERRORS);
    if (db_prepare(db, sql, &stmt, err) != 0) {
        /* A damaged schema page already fails here. */
        if ((sqlite3_errcode(db) & 0xff) == SQLITE_CORRUPT) {
            snprintf(detail, sizeof detail, "%s", sqlite3_errmsg(db));
            rc = DB_DAMAGED;
        }
        goto out;
    }
    /* One row "ok", or up to DB_CHECK_MAX_ERRORS rows of problems; the
     * first names the page or table, which is what a person can act on. */
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(stmt, 0);
        if (text != NULL && strcmp((const char *)text, "ok") == 0) {
            rc = 0;
            goto out;
        }
        /* SQLite puts every problem in this one text, one a line, after a
         * header naming the schema; the first problem is what to show. */
        const char *first = text != NULL ? (const char *)text : "?";
        if (strncmp(first, "*** in database ", 16) == 0 && strchr(first, '\n') != NULL)
            first = strchr(first, '\n') + 1;
        snprintf(detail, sizeof detail, "%.*s", (int)strcspn(first, "\n"), first);
        rc = DB_DAMAGED;
    } else if ((step & 0xff) == SQLITE_CORRUPT || (step & 0xff) == SQLITE_NOTADB) {
        snprintf(detail, sizeof detail, "%s", sqlite3_errmsg(db));
        rc = DB_DAMAGED;
    } else {
        db_set_error(db, step, err, "cannot check the database");
        errbuf_prefix(err, "%s", path);
    }
out:
    if (rc == DB_DAMAGED)
        errbuf_set(err, "%s is damaged (quick_check: %s)", path, detail);
    sqlite3_finalize(stmt);
    return rc;
}

int db_begin(sqlite3 *db, struct errbuf *err)
{
    return exec_sql(db, "BEGIN IMMEDIATE", err, "cannot start a transaction");
}

int db_commit(sqlite3 *db, struct errbuf *err)
{
    if (exec_sql(db, "COMMIT", err, "cannot commit") != 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

void db_rollback(sqlite3 *db)
{
    if (db != NULL && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int db_data_version(sqlite3 *db, int64_t *version, struct errbuf *err)
{
    return read_pragma_int(db, "PRAGMA data_version", version, err);
}

/* Brings the schema from `from` to DB_SCHEMA_VERSION, each step in its own
 * transaction with the version bump, so a crash leaves a whole version. */
static int migrate(sqlite3 *db, int64_t from, struct errbuf *err)
{
    for (int64_t v = from; v < DB_SCHEMA_VERSION; v++) {
        char bump[96];
        snprintf(bump, sizeof bump, "PRAGMA application_id = %d; PRAGMA user_version = %lld;",
                 DB_APPLICATION_ID, (long long)(v + 1));
        if (db_begin(db, err) != 0)
            return -1;
        if (exec_sql(db, migrations[v], err, "cannot upgrade the database schema") != 0 ||
            exec_sql(db, bump, err, "cannot record the schema version") != 0) {
            db_rollback(db);
            return -1;
        }
        if (db_commit(db, err) != 0)
            return -1;
    }
    return 0;
}

/* True when SQLite could not make path-wal and path-shm for a read-only
 * connection: the directory is not writable here and no -wal file exists.
 * No -wal file also means no connection has the database open in WAL mode
 * (each keeps it while open; the last one to close removes it). */
static bool needs_immutable(const char *path)
{
    char dir[LAB_PATH_MAX], wal[LAB_PATH_MAX];
    struct stat st;
    if (snprintf(wal, sizeof wal, "%s-wal", path) >= (int)sizeof wal ||
        snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return false;
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    return access(dir, W_OK) != 0 && stat(wal, &st) != 0;
}

/* "file:PATH?immutable=1" (RFC 3986 percent-encoding for the bytes a URI
 * gives a meaning), for sqlite3_open_v2 with SQLITE_OPEN_URI. */
static int immutable_uri(const char *path, char *out, size_t cap)
{
    size_t used = (size_t)snprintf(out, cap, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p != 0; p++) {
        /* "//" after "file:" would start an authority (a host name). */
        bool is_special = *p == '%' || *p == '?' || *p == '#' || *p <= 0x20 || *p >= 0x7f ||
                          (*p == '/' && p == (const unsigned char *)path + 1 && path[0] == '/');
        if (used + 4 >= cap)
            return -1;
        if (is_special)
            used += (size_t)snprintf(out + used, cap - used, "%%%02X", *p);
        else
            out[used++] = (char)*p;
    }
    if (used + sizeof "?immutable=1" > cap)
        return -1;
    memcpy(out + used, "?immutable=1", sizeof "?immutable=1");
    return 0;
}

int db_open(const char *path, enum db_access access, sqlite3 **out, struct errbuf *err)
{
    sqlite3 *db = NULL;
    int rc = -1;
    int64_t app_id = 0, version = 0;
    struct stat st;
    char uri[3 * LAB_PATH_MAX + 32];
    bool is_read_only = access == DB_READ || access == DB_READ_ONCE;

    *out = NULL;
    if (access != DB_CREATE && stat(path, &st) != 0) {
        errbuf_set(err, "cannot open %s: no such file (run 'ca init' first)", path);
        return -1;
    }
    int flags = is_read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    const char *name = path;
    if (access == DB_READ_ONCE && needs_immutable(path)) {
        if (immutable_uri(path, uri, sizeof uri) != 0) {
            errbuf_set(err, "%s: path too long", path);
            return -1;
        }
        name = uri;
        flags |= SQLITE_OPEN_URI;
    }
    /* FULLMUTEX: a handle may be shared by the responder's threads. */
    int open_rc = sqlite3_open_v2(name, &db, flags | SQLITE_OPEN_FULLMUTEX, NULL);
    if (open_rc != SQLITE_OK) {
        db_set_error(db, open_rc, err, "cannot open the database");
        errbuf_prefix(err, "%s", path);
        goto out;
    }
    sqlite3_extended_result_codes(db, 1);
    if (sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS) != SQLITE_OK ||
        exec_sql(db, "PRAGMA foreign_keys = ON", err, "cannot configure the database") != 0)
        goto fail_named;
    if (read_pragma_int(db, "PRAGMA application_id", &app_id, err) != 0 ||
        read_pragma_int(db, "PRAGMA user_version", &version, err) != 0)
        goto fail_named;
    if (app_id != DB_APPLICATION_ID && !(app_id == 0 && version == 0)) {
        errbuf_set(err, "%s is not an OCSP Lab database (application id %lld)", path,
                   (long long)app_id);
        goto out;
    }
    if (version > DB_SCHEMA_VERSION) {
        errbuf_set(err,
                   "%s has schema version %lld, newer than this program's %d "
                   "(use a newer ocsplab build)",
                   path, (long long)version, DB_SCHEMA_VERSION);
        goto out;
    }
    /* Before the first write: a damaged file is refused untouched, and a
     * migration or a new record never lands on top of the damage. */
    if (!is_read_only) {
        rc = db_check(db, path, err);
        if (rc != 0)
            goto out;
        rc = -1;
    }
    /* A database with tables but no id is someone else's file. */
    if (version == 0) {
        int64_t tables = 0;
        if (read_pragma_int(db, "SELECT count(*) FROM sqlite_master", &tables, err) != 0)
            goto fail_named;
        if (tables != 0) {
            errbuf_set(err, "%s is not an OCSP Lab database (it holds other tables)", path);
            goto out;
        }
    }
    if (is_read_only) {
        /* Readers never migrate: only a command that writes may. */
        if (version == 0) {
            errbuf_set(err, "%s holds no CA yet (run 'ca init' first)", path);
            goto out;
        }
        if (version != DB_SCHEMA_VERSION) {
            errbuf_set(err,
                       "%s has schema version %lld, expected %d "
                       "(one 'ca issue' or 'ca revoke' upgrades it)",
                       path, (long long)version, DB_SCHEMA_VERSION);
            goto out;
        }
    } else {
        /* WAL lets the responder read while the CA writes; it is persistent. */
        if (exec_sql(db, "PRAGMA journal_mode = WAL", err, "cannot enable WAL") != 0 ||
            migrate(db, version, err) != 0)
            goto fail_named;
    }
    *out = db;
    db = NULL;
    rc = 0;
    goto out;
fail_named:
    errbuf_prefix(err, "%s", path);
out:
    db_close(db);
    return rc;
}

void db_close(sqlite3 *db)
{
    if (db != NULL)
        sqlite3_close_v2(db);
}
