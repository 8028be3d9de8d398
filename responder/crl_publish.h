/* crl_publish.h — the responder's GET /crl (RFC 5280 5; served over HTTP
 * as RFC 5280 4.2.1.13 distribution points expect, type
 * application/pkix-crl per RFC 2585 4.2). The CRL is made from the CA's
 * database like the pre-signed OCSP answers: signed once, served from
 * memory, re-made when the database changes (PRAGMA data_version) or at half
 * its validity. Signed by the root itself (a CRL has no delegate here). */
#ifndef OCSPLAB_RESPONDER_CRL_PUBLISH_H
#define OCSPLAB_RESPONDER_CRL_PUBLISH_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crl_issue.h"
#include "der.h"
#include "errbuf.h"
#include "keys.h"
#include "x509.h"

struct crl_publisher {
    pthread_mutex_t lock; /* guards everything below: one CRL signed at a time */
    char db_path[4096];
    char root_key_path[4096];
    int64_t validity_seconds;     /* nextUpdate - thisUpdate */
    const struct x509_cert *root; /* the responder's copy of the CA certificate */
    sqlite3 *db;                  /* opened at the first download */
    sqlite3_stmt *data_version_stmt;
    int64_t data_version;
    struct lab_key key;     /* the root's key, loaded at the first download */
    struct der_buf current; /* the CRL being served ("" before the first) */
    struct crl_issued issued;
    int64_t refresh_at;
};

/* Remembers where things are; opens nothing yet, so a responder whose lab
 * has no readable root key still answers OCSP. */
int crl_publisher_init(struct crl_publisher *p, const char *lab_dir, const struct x509_cert *root,
                       int64_t validity_seconds, struct errbuf *err);
void crl_publisher_free(struct crl_publisher *p);

struct crl_copy {
    struct der_buf der; /* caller frees with der_buf_free */
    struct crl_issued issued;
    bool is_new; /* signed for this request (first, or the database changed) */
};

/* The current CRL at `now`, re-made when needed. With `is_stale` (the
 * responder's 'stale' fault) a CRL whose nextUpdate has passed is signed for
 * this request only. Returns 0, or -1 with err. */
int crl_publisher_get(struct crl_publisher *p, int64_t now, bool is_stale, struct crl_copy *out,
                      struct errbuf *err);

#endif
