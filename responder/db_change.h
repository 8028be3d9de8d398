/* db_change.h — has the CA committed anything since a worker last looked?
 * PRAGMA data_version answers exactly but costs file locks (fcntl on the
 * database and on its WAL index) on every request: about a fifth of the
 * responder's own time at 32 connections (perf). SQLite's WAL index header
 * (LAB/ca.db-shm, https://sqlite.org/walformat.html 2.1) changes with every
 * committed transaction (its iChange counter, mxFrame, salts and
 * checksums), and reading it is a memory load. So a worker reads the
 * header, and only when it differs from what it saw at its last exact check
 * does it ask data_version again. Without a WAL index (not WAL mode, or it
 * cannot be mapped) every request asks, as before. */
#ifndef OCSPLAB_RESPONDER_DB_CHANGE_H
#define OCSPLAB_RESPONDER_DB_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The two copies of the 48-byte WalIndexHdr at the start of the file. */
#define DB_CHANGE_HEADER_BYTES 96

/* The WAL index, mapped read-only once per process. Its descriptor stays
 * open until db_change_unmap: closing any descriptor of a file drops every
 * POSIX lock the process holds on it (fcntl(2)), SQLite's own locks on the
 * WAL index included, and without them another process may reset the file
 * under SQLite's feet (it did: SIGBUS in sqlite3WalFindFrame). */
struct db_change_map {
    const uint8_t *header; /* NULL: not mapped, every check says "maybe" */
    int fd;
    bool has_fd;
};

/* Maps DB_PATH-shm. Call it once one of the process's own SQLite
 * connections has read the database in WAL mode: while such a connection is
 * open SQLite neither deletes nor shrinks the file. Failing to map is not
 * an error (header stays NULL). */
void db_change_map(struct db_change_map *m, const char *db_path);
/* Only after every SQLite connection of this process to the database is
 * closed (see above). Accepts a zeroed map. */
void db_change_unmap(struct db_change_map *m);

/* One worker's view: the header as it was at its last exact check. */
struct db_change {
    uint8_t seen[DB_CHANGE_HEADER_BYTES];
    bool has_seen;
};

/* False only when no transaction has committed since db_change_mark. */
bool db_change_maybe(const struct db_change_map *m, const struct db_change *c);
/* Remembers the header as it is now. Call it just before the exact check,
 * so a commit that lands during the check is seen next time; call
 * db_change_forget when that check failed. */
void db_change_mark(const struct db_change_map *m, struct db_change *c);
void db_change_forget(struct db_change *c);

#endif
