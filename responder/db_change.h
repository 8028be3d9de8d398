/* db_change.h — has the CA committed anything since the responder last
 * looked? PRAGMA data_version answers exactly but costs file locks (fcntl
 * on the database and its WAL index) on every request: about a fifth of the
 * responder's own time at 32 connections (perf). SQLite's WAL index header
 * (LAB/ca.db-shm, https://sqlite.org/walformat.html 2.1) changes with every
 * committed transaction (its iChange counter, mxFrame, salts and
 * checksums), and reading it is a memory load. So a worker reads the header,
 * and only when it differs from what it saw at its last exact check does it
 * ask data_version again. Without a WAL index (not WAL mode, or it cannot be
 * mapped) every request asks, as before. */
#ifndef OCSPLAB_RESPONDER_DB_CHANGE_H
#define OCSPLAB_RESPONDER_DB_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The two copies of the 48-byte WalIndexHdr at the start of the file. */
#define DB_CHANGE_HEADER_BYTES 96

struct db_change {
    const uint8_t *header; /* read-only shared mapping; NULL: always ask */
    size_t map_len;
    uint8_t seen[DB_CHANGE_HEADER_BYTES];
    bool has_seen;
};

/* Maps DB_PATH-shm read-only. Call it once the caller's own SQLite
 * connection has read the database in WAL mode: while that connection is
 * open SQLite neither deletes nor shrinks the file, so the mapping stays
 * valid. Failing to map is not an error: the watcher then always says
 * "maybe". */
void db_change_open(struct db_change *c, const char *db_path);
void db_change_close(struct db_change *c);

/* False only when no transaction has committed since db_change_mark. */
bool db_change_maybe(const struct db_change *c);
/* Remembers the header as it is now. Call it just before the exact check,
 * so a commit that lands during the check is seen next time; call
 * db_change_forget when that check failed. */
void db_change_mark(struct db_change *c);
void db_change_forget(struct db_change *c);

#endif
