/* fuzz_scratch.h — one scratch file per fuzz target, for readers that take a
 * path only (the clock file, PEM): a private directory (on tmpfs when there
 * is one) made once per run and removed at exit, and the input written to
 * one file in it as given. Header-only: each target is one translation unit. */
#ifndef OCSPLAB_FUZZ_SCRATCH_H
#define OCSPLAB_FUZZ_SCRATCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_check.h"

struct fuzz_scratch {
    char dir[256];
    char path[300];
};

static struct fuzz_scratch fuzz_scratch_state;

static void fuzz_scratch_remove(void)
{
    unlink(fuzz_scratch_state.path);
    rmdir(fuzz_scratch_state.dir);
}

/* The scratch directory, made at the first call; `file` is the name of the
 * one file in it. */
static const struct fuzz_scratch *fuzz_scratch_open(const char *target, const char *file)
{
    struct fuzz_scratch *s = &fuzz_scratch_state;
    if (s->dir[0] != 0)
        return s;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(s->dir, sizeof s->dir, "%s/%s.XXXXXX", base, target);
    FUZZ_CHECK(mkdtemp(s->dir) != NULL);
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, file);
    FUZZ_CHECK(atexit(fuzz_scratch_remove) == 0);
    return s;
}

/* Writes the input as given (not atomically: a reader must cope with it). */
static void fuzz_scratch_write(const struct fuzz_scratch *s, const uint8_t *data, size_t size)
{
    int fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0);
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_CHECK(n > 0 || (n < 0 && errno == EINTR));
        if (n > 0)
            done += (size_t)n;
    }
    FUZZ_CHECK(close(fd) == 0);
}

#endif
