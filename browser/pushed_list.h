/* pushed_list.h — loading `browser visit --revlist FILE`: the lab's stand-in
 * for a revocation list a browser vendor pushes ahead of time (CRLite,
 * CRLSets; see common/revlist.h). Loaded and checked once, before any visit:
 * from then on, looking a serial up costs no request at all. */
#ifndef OCSPLAB_BROWSER_PUSHED_LIST_H
#define OCSPLAB_BROWSER_PUSHED_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "revlist.h"
#include "x509.h"

/* A lab list of thousands of serials is tens of KB; CRLite's is a few MB. */
#define PUSHED_LIST_MAX_BYTES (4 * 1024 * 1024)

struct pushed_list {
    uint8_t *der; /* the file's bytes (owned; pushed_list_free) */
    size_t len;
    struct revlist list; /* spans into der */
};

/* Reads and checks the list. Returns 0 when usable; 1 when the file was read
 * but the list is unusable (*reason a word such as "stale", err a sentence;
 * a browser then goes on without it); -1 when the file cannot be read. */
int pushed_list_load(const char *path, const struct x509_cert *root, int64_t now,
                     struct pushed_list *out, const char **reason, struct errbuf *err);
void pushed_list_free(struct pushed_list *pushed);

#endif
