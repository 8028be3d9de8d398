/* certstore.h — the CA's records of what it issued and revoked, in ca.db.
 * The CA writes them; the responder reads them to answer OCSP (RFC 6960 2.2:
 * good, revoked with time and reason, or unknown for a serial never issued). */
#ifndef OCSPLAB_CERTSTORE_H
#define OCSPLAB_CERTSTORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

/* CRLReason (RFC 5280 5.3.1), the subset a lab user can choose; every
 * reason is spelled by ocsp_crl_reason_name (ocsp.h). */
enum revocation_reason {
    REASON_UNSPECIFIED = 0,
    REASON_KEY_COMPROMISE = 1,
    REASON_CA_COMPROMISE = 2,
    REASON_AFFILIATION_CHANGED = 3,
    REASON_SUPERSEDED = 4,
    REASON_CESSATION_OF_OPERATION = 5,
};
/* Parses the names of the subset above (case-insensitive); -1 if unknown. */
int revocation_reason_parse(const char *name, enum revocation_reason *reason);
/* The accepted names, comma-separated, for help and error messages. */
#define REVOCATION_REASON_NAMES                                                                    \
    "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "                   \
    "cessationOfOperation"

/* Serials are stored as upper-case hex of the positive value (RFC 5280: at most 20 octets). */
#define CERTSTORE_SERIAL_HEX_MAX 41
/* A DNS name is at most 253 characters. */
#define CERTSTORE_NAME_MAX 254

struct cert_record {
    char serial_hex[CERTSTORE_SERIAL_HEX_MAX];
    char name[CERTSTORE_NAME_MAX];
    char kind[16]; /* "server" or "ocsp-signer" */
    int64_t not_before;
    int64_t not_after;
    int64_t issued_at;
    bool is_must_staple;
    bool is_revoked;
    int64_t revoked_at; /* simulated time of the revocation, when is_revoked */
    int revocation_reason;
};

/* The CA's own row (one per database). */
struct ca_record {
    char name[256];
    char key_type[8]; /* "ec" or "rsa" */
    char ocsp_url[512];
    bool has_delegate;
    int64_t created_at;
};

/* Replaces the CA row (ca init, also with --force) and, when `forget_certificates`,
 * deletes every certificate row: a new root cannot vouch for the old ones. */
int certstore_set_ca(sqlite3 *db, const struct ca_record *ca, const uint8_t *root_der,
                     size_t root_der_len, bool forget_certificates, struct errbuf *err);
/* 0 and the row; 1 when the database has no CA yet; -1 on error. */
int certstore_get_ca(sqlite3 *db, struct ca_record *ca, struct errbuf *err);

int certstore_insert(sqlite3 *db, const struct cert_record *rec, const uint8_t *der, size_t der_len,
                     struct errbuf *err);

/* Lookups return 0 and fill *rec when found, 1 when not found, -1 on error. */
int certstore_find_serial(sqlite3 *db, const char *serial_hex, struct cert_record *rec,
                          struct errbuf *err);
/* The newest server certificate issued for `name` (the one in certs/NAME.pem). */
int certstore_find_name(sqlite3 *db, const char *name, struct cert_record *rec, struct errbuf *err);

enum certstore_revoke_result {
    CERTSTORE_REVOKED = 0,
    CERTSTORE_ALREADY_REVOKED = 1, /* *rec holds the earlier revocation */
    CERTSTORE_NOT_FOUND = 2,
};
/* Marks the certificate revoked at `revoked_at` for `reason`, in one
 * transaction that re-reads its state first; the result says what happened
 * (negative on a database error). *rec receives the row after the step. */
int certstore_revoke(sqlite3 *db, const char *serial_hex, int64_t revoked_at,
                     enum revocation_reason reason, struct cert_record *rec, struct errbuf *err);

/* Calls `each` for every certificate, oldest first; stops early when it
 * returns non-zero (and returns that value). */
typedef int (*certstore_each_fn)(const struct cert_record *rec, void *ctx);
int certstore_list(sqlite3 *db, certstore_each_fn each, void *ctx, struct errbuf *err);

/* The distinct names of server certificates, comma-separated, for hints
 * ("known: mail.test, shop.test"); cut with "…" when longer than cap. */
int certstore_server_names(sqlite3 *db, char *out, size_t cap, struct errbuf *err);

/* The CA's CRL revision counter (table crl_state): it only grows. */
struct crl_revision {
    int64_t revision;   /* 1 in a new database, +1 at each change */
    int64_t changed_at; /* simulated time of the last raise (0: never) */
};
int certstore_crl_revision(sqlite3 *db, struct crl_revision *rev, struct errbuf *err);
/* Raises the counter by one at `now`, inside the caller's transaction (ca
 * revoke's, or its own when none is open); *rev receives the new value. */
int certstore_crl_raise(sqlite3 *db, int64_t now, struct crl_revision *rev, struct errbuf *err);

#endif
