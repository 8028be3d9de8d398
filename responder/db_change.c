/* db_change.c — a commit detector on SQLite's WAL index (db_change.h). */
#include "db_change.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"

void db_change_open(struct db_change *c, const char *db_path)
{
    char shm_path[LAB_PATH_MAX + 8];
    struct stat st;
    memset(c, 0, sizeof *c);
    if (snprintf(shm_path, sizeof shm_path, "%s-shm", db_path) >= (int)sizeof shm_path)
        return;
    int fd = open(shm_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    /* A WAL index in use is at least one 32 KiB region; anything shorter is
     * not one, and reading past its end would be a SIGBUS. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 32768) {
        void *map = mmap(NULL, DB_CHANGE_HEADER_BYTES, PROT_READ, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED) {
            c->header = map;
            c->map_len = DB_CHANGE_HEADER_BYTES;
        }
    }
    close(fd); /* the mapping keeps the file */
}

void db_change_close(struct db_change *c)
{
    if (c->header != NULL)
        munmap((void *)c->header, c->map_len);
    memset(c, 0, sizeof *c);
}

static void read_header(const struct db_change *c, uint8_t out[DB_CHANGE_HEADER_BYTES])
{
    /* Another process writes the header; the fence keeps this read after
     * whatever the caller did before (a request that began after a commit
     * must see that commit's header). A torn read differs from the last
     * one, which only costs an exact check. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    memcpy(out, c->header, DB_CHANGE_HEADER_BYTES);
}

bool db_change_maybe(const struct db_change *c)
{
    uint8_t now[DB_CHANGE_HEADER_BYTES];
    if (c->header == NULL || !c->has_seen)
        return true;
    read_header(c, now);
    return memcmp(now, c->seen, sizeof now) != 0;
}

void db_change_mark(struct db_change *c)
{
    if (c->header == NULL)
        return;
    read_header(c, c->seen);
    c->has_seen = true;
}

void db_change_forget(struct db_change *c)
{
    c->has_seen = false;
}
