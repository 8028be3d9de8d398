/* db.h — opening the CA's SQLite database safely (DESIGN section 1: LAB/ca.db).
 * WAL mode so the responder reads while the CA writes, a busy timeout so a
 * second writer waits instead of failing at once, foreign keys on, and a
 * schema version with forward migrations. A database that is not the lab's
 * (another application_id) or from a newer lab is refused, never modified. */
#ifndef OCSPLAB_DB_H
#define OCSPLAB_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "errbuf.h"

/* The schema this build writes and reads; db_open migrates older files to it. */
#define DB_SCHEMA_VERSION 2
/* How long a writer waits for another writer's lock before giving up. */
#define DB_BUSY_TIMEOUT_MS 5000

enum db_access {
    DB_CREATE,    /* create the file if missing (ca init) */
    DB_WRITE,     /* the file must exist; migrate it forward if old */
    DB_READ,      /* read-only; the file must exist at the current schema */
    DB_READ_ONCE, /* DB_READ for one short look (ca list), which also works in a
                   * lab directory this process may not write: see db_open */
};

/* db_open's and db_check's answer besides 0: SQLite found the file damaged. */
#define DB_DAMAGED (-2)

/* Opens the lab's database. Returns 0; DB_DAMAGED when the file is not sound
 * (err: "PATH is damaged (quick_check: SQLite's first complaint)"); or -1.
 * DB_CREATE and DB_WRITE run db_check before their first write (the WAL
 * switch, a migration), so a damaged file is refused, never written.
 * DB_READ and DB_READ_ONCE never write the file and skip the check (a caller
 * that is about to trust every row calls db_check itself). SQLite's
 * read-only connection to a WAL database still creates ca.db-wal and
 * ca.db-shm when they are missing (they coordinate readers and writers);
 * where it cannot (a directory without write permission) and no -wal file
 * says a writer has the database open, DB_READ_ONCE reads the file as
 * immutable, without locks: only a process allowed to write that directory
 * (root) could change it meanwhile. */
int db_open(const char *path, enum db_access access, sqlite3 **db, struct errbuf *err);

/* PRAGMA quick_check: every page, record and index of the file, in one pass
 * (O(file size): a lab's database is some hundred KB, a few milliseconds).
 * Returns 0 when sound, DB_DAMAGED with the first complaint in err, or -1
 * when the check itself could not run (a lock held too long). */
int db_check(sqlite3 *db, const char *path, struct errbuf *err);
/* Closes the handle (finalizing nothing: callers finalize their statements). Accepts NULL. */
void db_close(sqlite3 *db);

/* BEGIN IMMEDIATE: takes the write lock now, so a read-then-write step cannot
 * be overtaken by another process between its read and its write. */
int db_begin(sqlite3 *db, struct errbuf *err);
int db_commit(sqlite3 *db, struct errbuf *err);
/* Undoes an open transaction; harmless when none is open. */
void db_rollback(sqlite3 *db);

/* Prepares one statement, with an error message naming the database's reason. */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt, struct errbuf *err);
/* Words for a failed step: "the database is locked by another process …". */
void db_set_error(sqlite3 *db, int sqlite_rc, struct errbuf *err, const char *what);

/* PRAGMA data_version: changes whenever another connection commits, so a
 * long-running reader (the responder) can notice a revocation at once. */
int db_data_version(sqlite3 *db, int64_t *version, struct errbuf *err);

#endif
