/* fileio.h — bounded reads and atomic writes of whole files.
 * Files other processes read (keys, certificates, staples, the clock) are
 * written to a temporary name in the same directory, fsync'd and renamed, so a
 * reader sees the old file or the new one, never half of one. */
#ifndef OCSPLAB_FILEIO_H
#define OCSPLAB_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "errbuf.h"

/* Writes `len` bytes to `path` atomically with permission `mode` (e.g. 0600 for
 * keys). The temporary file gets the mode before any byte is written. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      struct errbuf *err);

/* Reads a whole file of at most `max_bytes` into a new buffer (NUL-terminated
 * for convenience; *len excludes the NUL). Caller frees *data with free().
 * A larger file is an error, not a silent truncation. */
int file_read_all(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                  struct errbuf *err);

/* Several files that must appear together with a database change (a key,
 * its certificate, the row that records them): each is written in full to a
 * temporary name first, then the caller commits its transaction, then all are
 * renamed into place. Abort removes the temporaries and leaves the old files. */
#define FILE_STAGE_MAX 4
struct file_stage {
    size_t count;
    char final_path[FILE_STAGE_MAX][4096];
    char temp_path[FILE_STAGE_MAX][4096];
};
int file_stage_add(struct file_stage *stage, const char *path, const void *data, size_t len,
                   mode_t mode, struct errbuf *err);
int file_stage_commit(struct file_stage *stage, struct errbuf *err);
/* Removes whatever temporaries are left; safe after commit and on a zeroed stage. */
void file_stage_abort(struct file_stage *stage);

/* mkdir -p for one level below an existing parent is all the lab needs:
 * creates `path` with `mode` unless it is already a directory. */
int file_ensure_dir(const char *path, mode_t mode, struct errbuf *err);

/* snprintf into out; -1 if the path would not fit (never a truncated path). */
int file_path_join(char *out, size_t cap, const char *dir, const char *name);

#endif
