/* crl_issue.h — the CA's current CRL, made from ca.db: every revoked
 * certificate with its date and reason, numbered from the CA's revision
 * counter (crl_number). `ca crl` and the responder's GET /crl both call it,
 * so the file a teacher writes and the one a browser downloads agree. */
#ifndef OCSPLAB_CRL_ISSUE_H
#define OCSPLAB_CRL_ISSUE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "crl.h"
#include "der.h"
#include "errbuf.h"
#include "keys.h"
#include "x509.h"

/* CRLs the lab makes are fresh for a week unless asked otherwise: Let's
 * Encrypt's CRLs (2024) and many public CAs' are valid 7 to 10 days. */
#define CRL_DEFAULT_NEXT_UPDATE_SECONDS (7 * 86400)
/* thisUpdate lies a minute in the past, as the responder's OCSP answers do,
 * so a client whose clock is a little slow still finds it current. */
#define CRL_BACKDATE_SECONDS 60

struct crl_issued {
    uint64_t number;
    size_t entry_count;
    int64_t this_update;
    int64_t next_update;
};

/* Every revoked certificate in ca.db, oldest first: *entries (caller frees
 * with free()) and *count. Shared with the pushed revocation list. */
int crl_issue_collect(sqlite3 *db, struct crl_entry **entries, size_t *count, struct errbuf *err);

/* Appends the signed CRL's DER to *out (caller frees with der_buf_free).
 * `signer` is the root's key, `root` its certificate (issuer Name). */
int crl_issue_from_db(sqlite3 *db, struct lab_key *signer, const struct x509_cert *root,
                      int64_t now, int64_t validity_seconds, struct der_buf *out,
                      struct crl_issued *issued, struct errbuf *err);

#endif
