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

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      struct errbuf *err)
{
    char tmp_path[4096];
    int fd = -1;
    int rc = -1;

    /* The pid keeps two writers of the same file from sharing a temporary name. */
    if (snprintf(tmp_path, sizeof tmp_path, "%s.tmp.%ld", path, (long)getpid()) >=
        (int)sizeof tmp_path) {
        errbuf_set(err, "cannot write %s: path too long", path);
        return -1;
    }
    fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        errbuf_set(err, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    /* open() applies the umask; set the exact mode before any secret is written. */
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        errbuf_set(err, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        errbuf_set(err, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp_path, path) != 0) {
        errbuf_set(err, "cannot replace %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp_path);
    return rc;
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
