/* target.h — the site a browser visits: https://NAME[:PORT][/PATH] where
 * NAME ends in .test (RFC 6761: reserved for testing) and, inside the lab,
 * resolves to 127.0.0.1 (DESIGN 2). The name is what SNI carries and what
 * the certificate must name. */
#ifndef OCSPLAB_BROWSER_TARGET_H
#define OCSPLAB_BROWSER_TARGET_H

#include <stdint.h>

#include "errbuf.h"

#define TARGET_ADDR "127.0.0.1"
#define TARGET_DEFAULT_PORT 443
#define TARGET_MAX_NAME 253
#define TARGET_MAX_PATH 255

struct target {
    char name[TARGET_MAX_NAME + 1]; /* lower-case DNS name, "shop.test" */
    char addr[16];                  /* where .test names resolve */
    uint16_t port;
    char path[TARGET_MAX_PATH + 1];                   /* "/" unless the URL says otherwise */
    char url[TARGET_MAX_NAME + TARGET_MAX_PATH + 32]; /* normalised, for messages */
};

/* Parses and checks the URL. Returns 0, or -1 with err saying what is wrong
 * ("not an https:// URL", "shop.example is not a .test name", ...). */
int target_parse_url(const char *url, struct target *out, struct errbuf *err);

#endif
