/* db_change.c — a commit detector on SQLite's WAL index (db_change.h). */
#include "db_change.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"

void db_change_map(struct db_change_map *m, const char *db_path)
{
    char shm_path[LAB_PATH_MAX + 8];
    struct stat st;
    m->header = NULL;
    m->has_fd = false;
    if (snprintf(shm_path, sizeof shm_path, "%s-shm", db_path) >= (int)sizeof shm_path)
        return;
    m->fd = open(shm_path, O_RDONLY | O_CLOEXEC);
    if (m->fd < 0)
        return;
    /* Kept open even when nothing is mapped: closing it now would drop the
     * locks of the caller's SQLite connection (db_change.h). */
    m->has_fd = true;
    /* A WAL index in use is at least one 32 KiB region; anything shorter is
     * not one, and reading past its end would be a SIGBUS. */
    if (fstat(m->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 32768) {
        void *map = mmap(NULL, DB_CHANGE_HEADER_BYTES, PROT_READ, MAP_SHARED, m->fd, 0);
        if (map != MAP_FAILED)
            m->header = map;
    }
}

void db_change_unmap(struct db_change_map *m)
{
    if (m->header != NULL)
        munmap((void *)m->header, DB_CHANGE_HEADER_BYTES);
    if (m->has_fd)
        close(m->fd);
    m->header = NULL;
    m->has_fd = false;
}

static void read_header(const struct db_change_map *m, uint8_t out[DB_CHANGE_HEADER_BYTES])
{
    /* Another process writes the header; the fence keeps this read after
     * whatever the caller did before (a request that began after a commit
     * must see that commit's header). A torn read differs from the last
     * one, which only costs an exact check. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    memcpy(out, m->header, DB_CHANGE_HEADER_BYTES);
}

bool db_change_maybe(const struct db_change_map *m, const struct db_change *c)
{
    uint8_t now[DB_CHANGE_HEADER_BYTES];
    if (m->header == NULL || !c->has_seen)
        return true;
    read_header(m, now);
    return memcmp(now, c->seen, sizeof now) != 0;
}

void db_change_mark(const struct db_change_map *m, struct db_change *c)
{
    if (m->header == NULL)
        return;
    read_header(m, c->seen);
    c->has_seen = true;
}

void db_change_forget(struct db_change *c)
{
    c->has_seen = false;
}
