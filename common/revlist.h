/* revlist.h — the lab's pushed revocation list: a stand-in, honestly
 * simplified, for what browsers load ahead of time instead of asking the CA
 * per visit (Firefox's CRLite, a compressed filter cascade of every revoked
 * certificate; Chrome's CRLSets, a curated selection). Neither format is
 * built here: this is a plain signed list of revoked serials with a version
 * and a time, in the lab's own DER (not a standard):
 *
 *   LabRevocationList ::= SEQUENCE {
 *     tbs SEQUENCE {
 *       format        INTEGER (1),
 *       issuerKeyId   OCTET STRING,   -- SHA-1 key identifier of the CA
 *       version       INTEGER,        -- grows with every list (the CRL number)
 *       producedAt    GeneralizedTime,
 *       serials       SEQUENCE OF INTEGER },
 *     signatureAlgorithm AlgorithmIdentifier,
 *     signature          BIT STRING }
 *
 * Only serials: no dates or reasons, which keeps it compact, as pushed lists
 * are. The browser checks the CA's signature, the key identifier and the
 * list's age, then looks serials up with no request at all. */
#ifndef OCSPLAB_REVLIST_H
#define OCSPLAB_REVLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crl.h"
#include "der.h"
#include "errbuf.h"
#include "keys.h"
#include "x509.h"

#define REVLIST_FORMAT 1
/* A list older than this is not trusted: a real one is pushed every few
 * hours (CRLite: every 12 h, Mozilla 2025), so a week-old list means the
 * pushing stopped. */
#define REVLIST_MAX_AGE_SECONDS (7 * 86400)

/* Builds and signs a list of `count` serials; appends its DER to *out. */
int revlist_make(const struct crl_entry *revoked, size_t count, uint64_t version,
                 int64_t produced_at, struct lab_key *key, WC_RNG *rng, struct der_buf *out,
                 struct errbuf *err);

/* A parsed list; spans point into the caller's DER. */
struct revlist {
    struct der_cursor tbs; /* signed bytes, whole encoding */
    struct der_cursor issuer_key_id;
    uint64_t version;
    int64_t produced_at;
    struct der_cursor serials; /* contents of the SEQUENCE OF INTEGER */
    size_t count;
    struct der_cursor signature_algorithm; /* OID contents */
    struct der_cursor signature;
};

int revlist_parse(struct revlist *list, const uint8_t *der, size_t len, struct errbuf *err);

/* Checks the list against the CA at `now`: 0 when signed by `issuer` and
 * fresh; -1 with one plain sentence in err otherwise, and *reason one of
 * "wrong-issuer", "bad-signature", "not-yet-valid", "stale" (a list that
 * does not parse is "malformed", from revlist_parse). */
int revlist_verify(const struct revlist *list, const struct x509_cert *issuer, int64_t now,
                   const char **reason, struct errbuf *err);

/* True when the serial (INTEGER contents, as in a certificate) is listed. */
bool revlist_contains(const struct revlist *list, const uint8_t *serial, size_t serial_len);

#endif
