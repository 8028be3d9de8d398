/* crl_publish.c — one cached, signed CRL, re-made from ca.db when it changes. */
#include "crl_publish.h"

#include <string.h>

#include "db.h"
#include "fileio.h"
#include "lab.h"

int crl_publisher_init(struct crl_publisher *p, const char *lab_dir, const struct x509_cert *root,
                       int64_t validity_seconds, struct errbuf *err)
{
    memset(p, 0, sizeof *p);
    p->validity_seconds = validity_seconds;
    if (file_path_join(p->db_path, sizeof p->db_path, lab_dir, LAB_DB_FILE) != 0 ||
        file_path_join(p->root_key_path, sizeof p->root_key_path, lab_dir, LAB_ROOT_KEY) != 0) {
        errbuf_set(err, "lab path too long: %s", lab_dir);
        return -1;
    }
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        errbuf_set(err, "cannot initialise the CRL lock");
        return -1;
    }
    p->root = root; /* last: crl_publisher_free takes a set root for a live lock */
    return 0;
}

void crl_publisher_free(struct crl_publisher *p)
{
    if (p == NULL || p->root == NULL)
        return;
    sqlite3_finalize(p->data_version_stmt);
    db_close(p->db);
    key_free(&p->key);
    der_buf_free(&p->current);
    pthread_mutex_destroy(&p->lock);
    memset(p, 0, sizeof *p);
}

/* The database handle and the root key, at the first download (lock held). */
static int open_once(struct crl_publisher *p, struct errbuf *err)
{
    if (p->db == NULL) {
        if (db_open(p->db_path, DB_READ, &p->db, err) != 0 ||
            db_prepare(p->db, "PRAGMA data_version", &p->data_version_stmt, err) != 0) {
            sqlite3_finalize(p->data_version_stmt);
            p->data_version_stmt = NULL;
            db_close(p->db);
            p->db = NULL;
            return -1;
        }
    }
    if (!p->key.is_loaded) {
        if (key_load_pem(&p->key, p->root_key_path, err) != 0) {
            errbuf_prefix(err, "the CRL is signed by the root, whose key cannot be read");
            return -1;
        }
        if (!key_matches_spki(&p->key, &p->root->spki)) {
            key_free(&p->key);
            errbuf_set(err, "%s does not belong to the CA certificate", p->root_key_path);
            return -1;
        }
    }
    return 0;
}

/* True when the database changed since the CRL being served was made. */
static int database_changed(struct crl_publisher *p, bool *changed, struct errbuf *err)
{
    int step = sqlite3_step(p->data_version_stmt);
    int rc = 0;
    if (step == SQLITE_ROW) {
        int64_t version = sqlite3_column_int64(p->data_version_stmt, 0);
        *changed = version != p->data_version;
        p->data_version = version;
    } else {
        db_set_error(p->db, step, err, "cannot read the database version");
        rc = -1;
    }
    sqlite3_reset(p->data_version_stmt);
    return rc;
}

int crl_publisher_get(struct crl_publisher *p, int64_t now, bool is_stale, struct crl_copy *out,
                      struct errbuf *err)
{
    struct der_buf fresh = {0};
    bool changed = false;
    int rc = -1;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&p->lock);
    if (open_once(p, err) != 0 || database_changed(p, &changed, err) != 0)
        goto out;
    /* The change is noticed once: the CRL being served is now out of date,
     * whatever this request gets. */
    if (changed)
        der_buf_free(&p->current);
    if (is_stale) {
        /* Made as if signed long ago: its nextUpdate an hour past. */
        int64_t made = now - p->validity_seconds - 3600;
        if (crl_issue_from_db(p->db, &p->key, p->root, made, p->validity_seconds, &out->der,
                              &out->issued, err) != 0)
            goto out;
        out->is_new = true;
        rc = 0;
        goto out;
    }
    if (p->current.len == 0 || now >= p->refresh_at) {
        struct crl_issued issued;
        if (crl_issue_from_db(p->db, &p->key, p->root, now, p->validity_seconds, &fresh, &issued,
                              err) != 0)
            goto out;
        der_buf_free(&p->current);
        p->current = fresh;
        memset(&fresh, 0, sizeof fresh);
        p->issued = issued;
        /* Re-signed at half-life, as the OCSP answers and a careful stapling
         * server are (DESIGN 8), so a client never holds one near its end. */
        p->refresh_at = issued.this_update + p->validity_seconds / 2;
        out->is_new = true;
    }
    if (der_write_raw(&out->der, p->current.data, p->current.len) != DER_OK) {
        errbuf_set(err, "out of memory");
        goto out;
    }
    out->issued = p->issued;
    rc = 0;
out:
    pthread_mutex_unlock(&p->lock);
    der_buf_free(&fresh);
    if (rc != 0)
        der_buf_free(&out->der);
    return rc;
}
