/* keylog.c — one NSS key log line per write(), on a file opened O_APPEND
 * with mode 0600 (the secrets decrypt every recorded connection). */
#include "keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"

#define KEYLOG_MAX_RANDOM 32
#define KEYLOG_MAX_SECRET 64

struct keylog {
    int fd;
};

int keylog_open(const char *path, struct keylog **out, struct errbuf *err)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        errbuf_set(err, "cannot open the key log %s: %s", path, strerror(errno));
        return -1;
    }
    struct keylog *log = calloc(1, sizeof *log);
    if (log == NULL) {
        close(fd);
        errbuf_set(err, "out of memory");
        return -1;
    }
    log->fd = fd;
    *out = log;
    return 0;
}

void keylog_write(struct keylog *log, const char *label, const uint8_t *client_random,
                  size_t client_random_len, const uint8_t *secret, size_t secret_len)
{
    char random_hex[2 * KEYLOG_MAX_RANDOM + 1], secret_hex[2 * KEYLOG_MAX_SECRET + 1];
    char line[64 + sizeof random_hex + sizeof secret_hex];
    if (log == NULL || client_random_len == 0 || client_random_len > KEYLOG_MAX_RANDOM ||
        secret_len == 0 || secret_len > KEYLOG_MAX_SECRET)
        return;
    hex_encode(client_random, client_random_len, random_hex);
    hex_encode(secret, secret_len, secret_hex);
    int n = snprintf(line, sizeof line, "%s %s %s\n", label, random_hex, secret_hex);
    if (n > 0 && (size_t)n < sizeof line) {
        /* A short or failed write loses one line of a debugging aid; the
         * visit itself does not depend on it. */
        ssize_t written = write(log->fd, line, (size_t)n);
        (void)written;
    }
    explicit_bzero(secret_hex, sizeof secret_hex);
    explicit_bzero(line, sizeof line);
}

void keylog_close(struct keylog *log)
{
    if (log == NULL)
        return;
    close(log->fd);
    free(log);
}
