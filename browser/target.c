/* target.c — parsing the URL a browser visits (RFC 3986 authority, limited
 * to what the lab needs: a .test DNS name, a port, a path). */
#include "target.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Letters, digits and hyphens in labels of 1..63 characters, hyphens not at
 * either end (RFC 1035 2.3.1, RFC 1123 2.1). */
static bool is_dns_name(const char *name, size_t len)
{
    size_t label = 0;
    if (len == 0 || len > TARGET_MAX_NAME)
        return false;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? name[i] : '.';
        if (c == '.') {
            if (label == 0 || label > 63 || name[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '-')
            return false;
        if (label == 0 && c == '-')
            return false;
        label++;
    }
    return true;
}

int target_parse_url(const char *url, struct target *out, struct errbuf *err)
{
    static const char scheme[] = "https://";
    memset(out, 0, sizeof *out);
    if (strncasecmp(url, scheme, sizeof scheme - 1) != 0) {
        errbuf_set(err, "invalid URL '%s': use https://NAME.test:PORT/", url);
        return -1;
    }
    const char *host = url + sizeof scheme - 1;
    size_t host_len = strcspn(host, ":/?#");
    if (!is_dns_name(host, host_len)) {
        errbuf_set(err, "invalid URL '%s': '%.*s' is not a DNS name", url,
                   (int)(host_len > TARGET_MAX_NAME ? TARGET_MAX_NAME : host_len), host);
        return -1;
    }
    for (size_t i = 0; i < host_len; i++)
        out->name[i] = (char)tolower((unsigned char)host[i]);
    out->name[host_len] = 0;
    size_t name_len = host_len;
    if (name_len <= 5 || strcmp(out->name + name_len - 5, ".test") != 0) {
        errbuf_set(err,
                   "invalid URL '%s': only names ending in .test exist in the lab "
                   "(they resolve to %s)",
                   url, TARGET_ADDR);
        return -1;
    }
    const char *rest = host + host_len;
    out->port = TARGET_DEFAULT_PORT;
    if (*rest == ':') {
        char *end = NULL;
        rest++;
        long port = isdigit((unsigned char)*rest) ? strtol(rest, &end, 10) : -1;
        if (port < 1 || port > 65535 || (end != NULL && *end != 0 && *end != '/')) {
            errbuf_set(err, "invalid URL '%s': the port must be a number from 1 to 65535", url);
            return -1;
        }
        out->port = (uint16_t)port;
        rest = end;
    }
    if (*rest == 0) {
        snprintf(out->path, sizeof out->path, "/");
    } else {
        size_t path_len = strlen(rest);
        if (*rest != '/' || path_len > TARGET_MAX_PATH) {
            errbuf_set(err,
                       "invalid URL '%s': the path must start with / and be at most %d "
                       "characters",
                       url, TARGET_MAX_PATH);
            return -1;
        }
        for (size_t i = 0; i < path_len; i++) {
            if (!isgraph((unsigned char)rest[i])) {
                errbuf_set(err, "invalid URL '%s': the path holds a space or control character",
                           url);
                return -1;
            }
        }
        memcpy(out->path, rest, path_len + 1);
    }
    snprintf(out->addr, sizeof out->addr, "%s", TARGET_ADDR);
    snprintf(out->url, sizeof out->url, "https://%s:%u%s", out->name, (unsigned)out->port,
             out->path);
    return 0;
}
