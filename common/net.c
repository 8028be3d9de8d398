/* net.c — strict HOST:PORT parsing and the listening socket. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_parse_listen(const char *spec, char *host, size_t host_cap, uint16_t *port,
                     struct errbuf *err)
{
    const char *colon = strrchr(spec, ':');
    struct in_addr addr;
    if (colon == NULL || colon == spec || (size_t)(colon - spec) >= host_cap) {
        errbuf_set(err, "invalid --listen '%s': use HOST:PORT, e.g. 127.0.0.1:8080", spec);
        return -1;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, host_cap, "127.0.0.1");
    const char *digits = colon + 1;
    /* Digits only: strtol alone would take " 80", "+80" and "-0". */
    size_t n = strlen(digits);
    long value = strtol(digits, NULL, 10);
    if (n == 0 || n > 5 || strspn(digits, "0123456789") != n || value > 65535 ||
        inet_pton(AF_INET, host, &addr) != 1) {
        errbuf_set(err,
                   "invalid --listen '%s': use an IPv4 address and a port 0-65535 "
                   "(0 picks a free port)",
                   spec);
        return -1;
    }
    *port = (uint16_t)value;
    return 0;
}

int net_listen(const char *spec, bool is_nonblocking, const char *in_use_hint, int *fd_out,
               char *bound, size_t bound_cap, struct errbuf *err)
{
    char host[64];
    uint16_t port;
    struct sockaddr_in addr;
    socklen_t addr_len = sizeof addr;
    int one = 1;

    *fd_out = -1;
    if (net_parse_listen(spec, host, sizeof host, &port, err) != 0)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (is_nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        errbuf_set(err, "cannot create a socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int error = errno;
        errbuf_set(err, "cannot listen on %s: %s%s", spec, strerror(error),
                   error == EADDRINUSE && in_use_hint != NULL ? in_use_hint : "");
        close(fd);
        return -1;
    }
    if (listen(fd, 1024) != 0 || getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0) {
        errbuf_set(err, "cannot listen on %s: %s", spec, strerror(errno));
        close(fd);
        return -1;
    }
    snprintf(bound, bound_cap, "%s:%u", host, ntohs(addr.sin_port));
    *fd_out = fd;
    return 0;
}
