/* control_token.h — the teacher's secret that switches a running lab's
 * faults (the responder's /control/ URLs): 32 random bytes as 64 hex digits and a
 * newline in LAB/control.token, mode 0600, made by `ca init`. Whoever can
 * read the lab's files may switch faults; a simulated user, another local
 * process or a web page on the same machine may not. */
#ifndef OCSPLAB_COMMON_CONTROL_TOKEN_H
#define OCSPLAB_COMMON_CONTROL_TOKEN_H

#include <stdbool.h>

#include "errbuf.h"

#define CONTROL_TOKEN_HEX 64
/* The HTTP request header that carries the token. */
#define CONTROL_TOKEN_HEADER "X-Lab-Control-Token"
/* The lab's own content type for a control request ("NAME [DELAY]"); a
 * plain form post from a web page cannot set it. */
#define CONTROL_CONTENT_TYPE "application/x-ocsplab-control"

/* Writes a fresh token into LAB/control.token (atomically, mode 0600). */
int control_token_create(const char *lab, struct errbuf *err);

/* Reads LAB/control.token into `out` (NUL-terminated). Returns 0, or -1 with
 * err set when it is missing, unreadable or not 64 hex digits. */
int control_token_read(const char *lab, char out[CONTROL_TOKEN_HEX + 1], struct errbuf *err);

/* Compares a presented token with the lab's, in time that does not depend
 * on where they differ. NULL never matches. */
bool control_token_matches(const char *expected, const char *presented);

#endif
