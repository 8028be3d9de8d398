/* certstore.c — prepared-statement access to the CA's certificate records. */
#include "certstore.h"
#include "hex.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "ocsp.h"

int revocation_reason_parse(const char *name, enum revocation_reason *reason)
{
    for (int i = REASON_UNSPECIFIED; i <= REASON_CESSATION_OF_OPERATION; i++) {
        /* Case-insensitive: "keycompromise" typed in class should still work. */
        if (strcasecmp(name, ocsp_crl_reason_name(i)) == 0) {
            *reason = (enum revocation_reason)i;
            return 0;
        }
    }
    return -1;
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    if (src == NULL)
        src = (const unsigned char *)"";
    size_t n = strlen((const char *)src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

int certstore_set_ca(sqlite3 *db, const struct ca_record *ca, const uint8_t *root_der,
                     size_t root_der_len, bool forget_certificates, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (db_prepare(db,
                   "INSERT OR REPLACE INTO ca (id, name, key_type, ocsp_url, root_der,"
                   " has_delegate, created_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
                   &stmt, err) != 0)
        return -1;
    sqlite3_bind_text(stmt, 1, ca->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, ca->key_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, ca->ocsp_url, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 4, root_der, (int)root_der_len, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 5, ca->has_delegate ? 1 : 0);
    sqlite3_bind_int64(stmt, 6, ca->created_at);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_DONE) {
        db_set_error(db, step, err, "cannot record the CA");
        goto out;
    }
    if (forget_certificates) {
        int del = sqlite3_exec(db, "DELETE FROM certificates", NULL, NULL, NULL);
        if (del != SQLITE_OK) {
            db_set_error(db, del, err, "cannot forget the old certificates");
            goto out;
        }
    }
    /* A new CA starts a new revision: its first CRL's number counts from
     * now, and stays above any number the old CA's lists carried. */
    struct crl_revision rev;
    if (certstore_crl_raise(db, ca->created_at, &rev, err) != 0)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(stmt);
    return rc;
}

int certstore_get_ca(sqlite3 *db, struct ca_record *ca, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (db_prepare(db,
                   "SELECT name, key_type, ocsp_url, has_delegate, created_at FROM ca"
                   " WHERE id = 1",
                   &stmt, err) != 0)
        return -1;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_DONE) {
        rc = 1;
        goto out;
    }
    if (step != SQLITE_ROW) {
        db_set_error(db, step, err, "cannot read the CA record");
        goto out;
    }
    memset(ca, 0, sizeof *ca);
    copy_text(ca->name, sizeof ca->name, sqlite3_column_text(stmt, 0));
    copy_text(ca->key_type, sizeof ca->key_type, sqlite3_column_text(stmt, 1));
    copy_text(ca->ocsp_url, sizeof ca->ocsp_url, sqlite3_column_text(stmt, 2));
    ca->has_delegate = sqlite3_column_int(stmt, 3) != 0;
    ca->created_at = sqlite3_column_int64(stmt, 4);
    rc = 0;
out:
    sqlite3_finalize(stmt);
    return rc;
}

int certstore_insert(sqlite3 *db, const struct cert_record *rec, const uint8_t *der, size_t der_len,
                     struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (db_prepare(db,
                   "INSERT INTO certificates (serial, name, kind, not_before, not_after,"
                   " must_staple, der, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   &stmt, err) != 0)
        return -1;
    sqlite3_bind_text(stmt, 1, rec->serial_hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, rec->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, rec->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, rec->not_before);
    sqlite3_bind_int64(stmt, 5, rec->not_after);
    sqlite3_bind_int(stmt, 6, rec->is_must_staple ? 1 : 0);
    sqlite3_bind_blob(stmt, 7, der, (int)der_len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 8, rec->issued_at);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_DONE) {
        db_set_error(db, step, err, "cannot record the certificate");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(stmt);
    return rc;
}

#define RECORD_COLUMNS                                                                             \
    "serial, name, kind, not_before, not_after, issued_at, must_staple, revoked_at,"               \
    " revocation_reason"

static void read_record(sqlite3_stmt *stmt, struct cert_record *rec)
{
    memset(rec, 0, sizeof *rec);
    copy_text(rec->serial_hex, sizeof rec->serial_hex, sqlite3_column_text(stmt, 0));
    copy_text(rec->name, sizeof rec->name, sqlite3_column_text(stmt, 1));
    copy_text(rec->kind, sizeof rec->kind, sqlite3_column_text(stmt, 2));
    rec->not_before = sqlite3_column_int64(stmt, 3);
    rec->not_after = sqlite3_column_int64(stmt, 4);
    rec->issued_at = sqlite3_column_int64(stmt, 5);
    rec->is_must_staple = sqlite3_column_int(stmt, 6) != 0;
    rec->is_revoked = sqlite3_column_type(stmt, 7) != SQLITE_NULL;
    rec->revoked_at = sqlite3_column_int64(stmt, 7);
    rec->revocation_reason = sqlite3_column_int(stmt, 8);
}

/* Runs a one-row lookup bound to one text parameter. */
static int find_one(sqlite3 *db, const char *sql, const char *key, struct cert_record *rec,
                    struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (db_prepare(db, sql, &stmt, err) != 0)
        return -1;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        read_record(stmt, rec);
        rc = 0;
    } else if (step == SQLITE_DONE) {
        rc = 1;
    } else {
        db_set_error(db, step, err, "cannot look up the certificate");
    }
    sqlite3_finalize(stmt);
    return rc;
}

int certstore_find_serial(sqlite3 *db, const char *serial_hex, struct cert_record *rec,
                          struct errbuf *err)
{
    return find_one(db, "SELECT " RECORD_COLUMNS " FROM certificates WHERE serial = ?", serial_hex,
                    rec, err);
}

int certstore_find_name(sqlite3 *db, const char *name, struct cert_record *rec, struct errbuf *err)
{
    return find_one(db,
                    "SELECT " RECORD_COLUMNS " FROM certificates"
                    " WHERE name = ? AND kind = 'server'"
                    " ORDER BY issued_at DESC, rowid DESC LIMIT 1",
                    name, rec, err);
}

int certstore_revoke(sqlite3 *db, const char *serial_hex, int64_t revoked_at,
                     enum revocation_reason reason, struct cert_record *rec, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    /* IMMEDIATE: the read of the state and the update are one step for every
     * other process, so two revokers cannot both believe they revoked. */
    if (db_begin(db, err) != 0)
        return -1;
    int found = certstore_find_serial(db, serial_hex, rec, err);
    if (found < 0)
        goto out;
    if (found == 1) {
        rc = CERTSTORE_NOT_FOUND;
        goto out;
    }
    if (rec->is_revoked) {
        rc = CERTSTORE_ALREADY_REVOKED;
        goto out;
    }
    if (db_prepare(db,
                   "UPDATE certificates SET revoked_at = ?, revocation_reason = ?"
                   " WHERE serial = ? AND revoked_at IS NULL",
                   &stmt, err) != 0)
        goto out;
    sqlite3_bind_int64(stmt, 1, revoked_at);
    sqlite3_bind_int(stmt, 2, (int)reason);
    sqlite3_bind_text(stmt, 3, serial_hex, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_DONE) {
        db_set_error(db, step, err, "cannot record the revocation");
        goto out;
    }
    /* A CRL made after this revocation must carry a higher number than any
     * made before it, whoever makes it (ca crl, the responder's /crl). */
    struct crl_revision rev;
    if (certstore_crl_raise(db, revoked_at, &rev, err) != 0 || db_commit(db, err) != 0)
        goto out;
    rec->is_revoked = true;
    rec->revoked_at = revoked_at;
    rec->revocation_reason = (int)reason;
    rc = CERTSTORE_REVOKED;
out:
    sqlite3_finalize(stmt);
    db_rollback(db);
    return rc;
}

int certstore_list(sqlite3 *db, certstore_each_fn each, void *ctx, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (db_prepare(db, "SELECT " RECORD_COLUMNS " FROM certificates ORDER BY issued_at, rowid",
                   &stmt, err) != 0)
        return -1;
    for (;;) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            db_set_error(db, step, err, "cannot list the certificates");
            goto out;
        }
        struct cert_record rec;
        read_record(stmt, &rec);
        int stop = each(&rec, ctx);
        if (stop != 0) {
            rc = stop;
            goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(stmt);
    return rc;
}

int certstore_server_names(sqlite3 *db, char *out, size_t cap, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    size_t used = 0;
    out[0] = 0;
    if (db_prepare(db, "SELECT DISTINCT name FROM certificates WHERE kind = 'server' ORDER BY name",
                   &stmt, err) != 0)
        return -1;
    for (;;) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            db_set_error(db, step, err, "cannot list the certificate names");
            goto out;
        }
        const char *name = (const char *)sqlite3_column_text(stmt, 0);
        int n = snprintf(out + used, cap - used, "%s%s", used > 0 ? ", " : "", name);
        if (n < 0 || (size_t)n >= cap - used) {
            /* Keep the list readable rather than cutting a name in half. */
            out[used] = 0;
            if (used + 6 < cap)
                strcat(out, ", …");
            break;
        }
        used += (size_t)n;
    }
    rc = 0;
out:
    sqlite3_finalize(stmt);
    return rc;
}

int certstore_crl_revision(sqlite3 *db, struct crl_revision *rev, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (db_prepare(db, "SELECT revision, changed_at FROM crl_state WHERE id = 1", &stmt, err) != 0)
        return -1;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        rev->revision = sqlite3_column_int64(stmt, 0);
        rev->changed_at = sqlite3_column_int64(stmt, 1);
        rc = 0;
    } else if (step == SQLITE_DONE) {
        errbuf_set(err, "the database has no CRL counter (crl_state is empty)");
    } else {
        db_set_error(db, step, err, "cannot read the CRL counter");
    }
    sqlite3_finalize(stmt);
    return rc;
}

int certstore_crl_raise(sqlite3 *db, int64_t now, struct crl_revision *rev, struct errbuf *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (db_prepare(db,
                   "UPDATE crl_state SET revision = revision + 1,"
                   " changed_at = max(changed_at, ?) WHERE id = 1",
                   &stmt, err) != 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, now);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_DONE) {
        db_set_error(db, step, err, "cannot raise the CRL counter");
        goto out;
    }
    rc = certstore_crl_revision(db, rev, err);
out:
    sqlite3_finalize(stmt);
    return rc;
}
