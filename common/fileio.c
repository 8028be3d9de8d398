/* fileio.c — whole-file reads with a size limit, atomic replace-by-rename writes. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes data to a fresh temporary file beside `path`, with `mode`, fsync'd. */
static int write_temp(const char *path, const void *data, size_t len, mode_t mode, char *tmp_path,
                      size_t tmp_cap, struct errbuf *err)
{
    static unsigned long sequence;
    int fd = -1;
    /* pid and a per-process counter keep concurrent writers of the same file
     * (and several staged files) from sharing a temporary name. */
    unsigned long n = __atomic_add_fetch(&sequence, 1, __ATOMIC_RELAXED);
    if (snprintf(tmp_path, tmp_cap, "%s.tmp.%ld.%lu", path, (long)getpid(), n) >= (int)tmp_cap) {
        errbuf_set(err, "cannot write %s: path too long", path);
        return -1;
    }
    fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        errbuf_set(err, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    /* open() applies the umask; set the exact mode before any secret is written. */
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        errbuf_set(err, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp_path);
        return -1;
    }
    if (close(fd) != 0) {
        errbuf_set(err, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp_path);
        return -1;
    }
    return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      struct errbuf *err)
{
    char tmp_path[4096];
    if (write_temp(path, data, len, mode, tmp_path, sizeof tmp_path, err) != 0)
        return -1;
    if (rename(tmp_path, path) != 0) {
        errbuf_set(err, "cannot replace %s: %s", path, strerror(errno));
        unlink(tmp_path);
        return -1;
    }
    return 0;
}

int file_stage_add(struct file_stage *stage, const char *path, const void *data, size_t len,
                   mode_t mode, struct errbuf *err)
{
    if (stage->count == FILE_STAGE_MAX || strlen(path) >= sizeof stage->final_path[0]) {
        errbuf_set(err, "cannot stage %s: too many files or path too long", path);
        return -1;
    }
    size_t i = stage->count;
    if (write_temp(path, data, len, mode, stage->temp_path[i], sizeof stage->temp_path[i], err) !=
        0)
        return -1;
    strcpy(stage->final_path[i], path);
    stage->count++;
    return 0;
}

int file_stage_commit(struct file_stage *stage, struct errbuf *err)
{
    for (size_t i = 0; i < stage->count; i++) {
        if (stage->temp_path[i][0] == 0)
            continue;
        if (rename(stage->temp_path[i], stage->final_path[i]) != 0) {
            errbuf_set(err, "cannot replace %s: %s", stage->final_path[i], strerror(errno));
            file_stage_abort(stage);
            return -1;
        }
        stage->temp_path[i][0] = 0;
    }
    return 0;
}

void file_stage_abort(struct file_stage *stage)
{
    for (size_t i = 0; i < stage->count; i++) {
        if (stage->temp_path[i][0] != 0)
            unlink(stage->temp_path[i]);
        stage->temp_path[i][0] = 0;
    }
}

int file_read_all(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                  struct errbuf *err)
{
    int rc = -1;
    uint8_t *buf = NULL;
    size_t used = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *data = NULL;
    *len = 0;
    if (fd < 0) {
        errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    buf = malloc(max_bytes + 1);
    if (buf == NULL) {
        errbuf_set(err, "cannot read %s: out of memory", path);
        goto out;
    }
    /* Read one byte past the limit to tell "exactly max" from "too big". */
    for (;;) {
        if (used == max_bytes) {
            char probe;
            ssize_t extra = read(fd, &probe, 1);
            if (extra > 0) {
                errbuf_set(err, "cannot read %s: larger than %zu bytes", path, max_bytes);
                goto out;
            }
            if (extra < 0 && errno == EINTR)
                continue;
            if (extra < 0) {
                errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
                goto out;
            }
            break;
        }
        ssize_t n = read(fd, buf + used, max_bytes - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = 0;
    *data = buf;
    *len = used;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}

int file_ensure_dir(const char *path, mode_t mode, struct errbuf *err)
{
    struct stat st;
    if (mkdir(path, mode) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    errbuf_set(err, "cannot create directory %s: %s", path,
               errno == EEXIST ? "a file of that name exists" : strerror(errno));
    return -1;
}

int file_path_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return 0;
}
