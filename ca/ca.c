/* ca.c — the CA's steps: each validates its input, does its crypto in memory,
 * stages its files, commits one database transaction, then puts the files in
 * place, so a failure at any point leaves the lab as it was. */
#include "ca.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certbuild.h"
#include "clock.h"
#include "control_token.h"
#include "crl_issue.h"
#include "revlist.h"
#include "db.h"
#include "fileio.h"
#include "hex.h"
#include "lab.h"
#include "ocsp.h"
#include "pem.h"
#include "trace.h"
#include "utf8.h"
#include "x509.h"

#define CA_ORGANIZATION "OCSP Stapling Lab"
#define CA_DELEGATE_NAME "Lab OCSP Signer"
#define CA_DELEGATE_RECORD_NAME "ocsp-signer"

static int lab_file(char *out, const char *lab_dir, const char *rel, struct errbuf *err)
{
    if (file_path_join(out, LAB_PATH_MAX, lab_dir, rel) != 0) {
        errbuf_set(err, "path too long: %s/%s", lab_dir, rel);
        return -1;
    }
    return 0;
}

/* Room for user input repeated in a message, escaped (at most 4 bytes a byte). */
#define CA_SHOWN_MAX 256

/* User input as a message may repeat it: a name typed as $'bad\x1b[31m'
 * must not recolour the terminal of whoever reads the error. */
static const char *shown(const char *text, char *buf)
{
    utf8_escape_for_terminal(text, buf, CA_SHOWN_MAX);
    return buf;
}

/* After DB_DAMAGED ("LAB/ca.db is damaged (...)"): the two ways out a person has. */
static void add_damage_hint(const char *lab_dir, struct errbuf *err)
{
    char why[ERRBUF_MAX];
    bool is_default = strcmp(lab_dir, LAB_DEFAULT_DIR) == 0;
    snprintf(why, sizeof why, "%s", err->msg);
    errbuf_set(err, "%s: restore it from a copy, or start over with rm -rf %s and ca init%s%s", why,
               lab_dir, is_default ? "" : " --lab ", is_default ? "" : lab_dir);
}

/* Opens LAB/ca.db (db_open checks it before a write), hint added to damage. */
static int open_db(const char *lab_dir, const char *db_path, enum db_access access, sqlite3 **db,
                   struct errbuf *err)
{
    int rc = db_open(db_path, access, db, err);
    if (rc == DB_DAMAGED)
        add_damage_hint(lab_dir, err);
    return rc == 0 ? 0 : -1;
}

int ca_normalize_dns_name(const char *name, char *out, size_t cap, struct errbuf *err)
{
    size_t len = strlen(name);
    size_t label_len = 0;
    char text[CA_SHOWN_MAX];
    /* DNS allows 253 characters, but the name also becomes the file names
     * certs/NAME.pem and .key (and their temporary names while written), and
     * a file name holds at most 255 bytes. */
    if (len == 0 || len > CA_MAX_NAME_LEN || len >= cap) {
        char start[41];
        snprintf(start, sizeof start, "%s", name);
        errbuf_set(err,
                   "invalid name '%s%s': use 1 to %d characters (it also names the "
                   "files certs/NAME.pem and .key)",
                   shown(start, text), len > 40 ? "…" : "", CA_MAX_NAME_LEN);
        return -1;
    }
    for (size_t i = 0; i <= len; i++) {
        char c = name[i];
        if (c == '.' || c == 0) {
            /* Labels are 1..63 characters and do not start or end with '-'. */
            if (label_len == 0 || label_len > 63 || name[i - 1] == '-' ||
                name[i - label_len] == '-') {
                errbuf_set(err,
                           "invalid name '%s': each dot-separated label needs 1 to 63 "
                           "letters, digits or inner hyphens (e.g. shop.test)",
                           shown(name, text));
                return -1;
            }
            label_len = 0;
            out[i] = c;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '-') {
            /* The whole character, not one byte of it: 'ö', or '\x1b'. */
            char bad[5] = {0}, bad_text[24];
            size_t bad_len = utf8_sequence_len((const unsigned char *)name + i, len - i);
            memcpy(bad, name + i, bad_len == 0 ? 1 : bad_len);
            utf8_escape_for_terminal(bad, bad_text, sizeof bad_text);
            errbuf_set(err,
                       "invalid name '%s': '%s' is not allowed in a DNS name "
                       "(letters, digits, '-' and '.')",
                       shown(name, text), bad_text);
            return -1;
        }
        out[i] = (char)tolower((unsigned char)c);
        label_len++;
    }
    /* A top-level label is never all digits: "127.0.0.1" is an address, and a
     * DNS SAN holding it would match no TLS client's check. */
    const char *last = strrchr(out, '.');
    last = last != NULL ? last + 1 : out;
    if (strspn(last, "0123456789") == strlen(last)) {
        errbuf_set(err,
                   "invalid name '%s': it looks like an IP address; use a name such as "
                   "shop.test (names ending in .test resolve to 127.0.0.1 in the lab)",
                   shown(name, text));
        return -1;
    }
    return 0;
}

int ca_normalize_serial(const char *text, char *out, size_t cap, struct errbuf *err)
{
    size_t n = 0;
    const char *p = text;
    char quoted[CA_SHOWN_MAX];
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    for (; *p != 0; p++) {
        if (*p == ':' || *p == ' ')
            continue;
        if (!isxdigit((unsigned char)*p)) {
            errbuf_set(err, "invalid serial '%s': use hexadecimal digits, e.g. 5A3F…",
                       shown(text, quoted));
            return -1;
        }
        if (n == 0 && *p == '0')
            continue; /* leading zeros do not change the number */
        /* RFC 5280 4.1.2.2: at most 20 octets, i.e. 40 hex digits. */
        if (n >= 40 || n + 1 >= cap) {
            errbuf_set(err, "invalid serial '%s': longer than 20 bytes", shown(text, quoted));
            return -1;
        }
        out[n++] = (char)toupper((unsigned char)*p);
    }
    if (n == 0) {
        errbuf_set(err, "invalid serial '%s': no digits", shown(text, quoted));
        return -1;
    }
    out[n] = 0;
    /* Stored serials are whole bytes: an odd count gets its leading zero back. */
    if (n % 2 == 1) {
        memmove(out + 1, out, n + 1);
        out[0] = '0';
    }
    return 0;
}

/* URLs that go into certificates are fetched by plain HTTP clients: OCSP
 * runs over HTTP (RFC 6960 A.1), and a CRL fetched over HTTPS would need a
 * revocation check of its own (RFC 5280 8). */
static int check_http_url(const char *url, const char *what, const char *hint, struct errbuf *err)
{
    size_t len = strlen(url);
    char text[CA_SHOWN_MAX];
    if (strncmp(url, "http://", 7) != 0 || len <= 7 || len > 255) {
        errbuf_set(err, "invalid %s URL '%s': %s", what, shown(url, text), hint);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!isgraph((unsigned char)url[i])) {
            errbuf_set(err,
                       "invalid %s URL '%s': spaces and control characters are not "
                       "allowed",
                       what, shown(url, text));
            return -1;
        }
    }
    return 0;
}

int ca_check_ocsp_url(const char *url, struct errbuf *err)
{
    return check_http_url(url, "OCSP",
                          "use http://HOST:PORT/ (OCSP runs over plain HTTP, RFC 6960 A.1)", err);
}

int ca_check_crl_url(const char *url, struct errbuf *err)
{
    return check_http_url(url, "CRL",
                          "use http://HOST:PORT/crl (CRLs are fetched over plain HTTP, RFC 5280 "
                          "8)",
                          err);
}

int ca_default_crl_url(const char *ocsp_url, char *out, size_t cap)
{
    const char *host = strncmp(ocsp_url, "http://", 7) == 0 ? ocsp_url + 7 : ocsp_url;
    size_t host_len = strcspn(host, "/");
    int n = snprintf(out, cap, "%.*s/crl", (int)(host - ocsp_url + (ptrdiff_t)host_len), ocsp_url);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int init_rng(WC_RNG *rng, struct errbuf *err)
{
    int ret = wc_InitRng(rng);
    if (ret != 0) {
        errbuf_set(err, "cannot start the random generator (wolfCrypt %d)", ret);
        return -1;
    }
    return 0;
}

/* PEM-encodes a certificate and stages it (mode 0644) at `path`. */
static int stage_certificate(struct file_stage *stage, const char *path, const struct der_buf *der,
                             struct errbuf *err)
{
    struct der_buf pem = {0};
    int rc = pem_encode_certificate(der->data, der->len, &pem, err);
    if (rc == 0)
        rc = file_stage_add(stage, path, pem.data, pem.len, 0644, err);
    der_buf_free(&pem);
    return rc;
}

/* Keys are staged as PEM with mode 0600, set before the first byte is written. */
static int stage_key(struct file_stage *stage, const char *path, const struct lab_key *key,
                     struct errbuf *err)
{
    struct der_buf pem = {0};
    int rc = key_to_pem(key, &pem, err);
    if (rc == 0)
        rc = file_stage_add(stage, path, pem.data, pem.len, 0600, err);
    der_buf_free(&pem);
    return rc;
}

static void fill_record(struct cert_record *rec, const struct x509_cert *cert, const char *name,
                        const char *kind, bool is_must_staple, int64_t now)
{
    memset(rec, 0, sizeof *rec);
    hex_encode(cert->serial.p, cert->serial.left, rec->serial_hex);
    snprintf(rec->name, sizeof rec->name, "%s", name);
    snprintf(rec->kind, sizeof rec->kind, "%s", kind);
    rec->not_before = cert->not_before;
    rec->not_after = cert->not_after;
    rec->issued_at = now;
    rec->is_must_staple = is_must_staple;
}

static int ensure_lab_dirs(const char *lab_dir, struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    if (file_ensure_dir(lab_dir, 0755, err) != 0)
        return -1;
    if (lab_file(path, lab_dir, LAB_CA_DIR, err) != 0 || file_ensure_dir(path, 0755, err) != 0)
        return -1;
    if (lab_file(path, lab_dir, LAB_CERTS_DIR, err) != 0 || file_ensure_dir(path, 0755, err) != 0)
        return -1;
    return 0;
}

/* Removes the files in LAB/dir whose names end in suffix; returns how many. */
static int remove_files(const char *lab_dir, const char *dir, const char *suffix)
{
    char path[LAB_PATH_MAX], file[LAB_PATH_MAX];
    int removed = 0;
    if (file_path_join(path, sizeof path, lab_dir, dir) != 0)
        return 0;
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    size_t suffix_len = strlen(suffix);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        if (len <= suffix_len || strcmp(e->d_name + len - suffix_len, suffix) != 0)
            continue;
        if (file_path_join(file, sizeof file, path, e->d_name) == 0 && unlink(file) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int ca_init(const char *lab_dir, const struct ca_init_options *opts, struct ca_init_result *result,
            struct errbuf *err)
{
    char db_path[LAB_PATH_MAX], root_pem[LAB_PATH_MAX], root_key_path[LAB_PATH_MAX];
    char ocsp_pem[LAB_PATH_MAX], ocsp_key_path[LAB_PATH_MAX];
    sqlite3 *db = NULL;
    WC_RNG rng;
    bool has_rng = false;
    struct lab_key root_key = {0}, delegate_key = {0};
    struct der_buf root_der = {0}, delegate_der = {0};
    struct file_stage stage = {0};
    struct x509_cert root_cert, delegate_cert;
    struct ca_record ca_row;
    struct cert_request req;
    int rc = -1;

    memset(result, 0, sizeof *result);
    if (opts->name == NULL || opts->name[0] == 0 || strlen(opts->name) > 64) {
        errbuf_set(err, "invalid CA name: use 1 to 64 characters (X.520 limit for a CN)");
        return -1;
    }
    /* The name is printed (init, every certificate viewer): escaping that
     * changes it means it holds control characters or bytes that are not
     * UTF-8, which a CN (UTF8String) cannot carry either. */
    char name_text[CA_SHOWN_MAX];
    utf8_escape_for_terminal(opts->name, name_text, sizeof name_text);
    if (strcmp(name_text, opts->name) != 0) {
        errbuf_set(err,
                   "invalid CA name '%s': control characters and bytes that are not "
                   "UTF-8 are not allowed",
                   name_text);
        return -1;
    }
    if (ca_check_ocsp_url(opts->ocsp_url, err) != 0)
        return -1;
    if (ensure_lab_dirs(lab_dir, err) != 0)
        return -1;
    if (lab_file(db_path, lab_dir, LAB_DB_FILE, err) != 0 ||
        lab_file(root_pem, lab_dir, LAB_ROOT_CERT, err) != 0 ||
        lab_file(root_key_path, lab_dir, LAB_ROOT_KEY, err) != 0 ||
        lab_file(ocsp_pem, lab_dir, LAB_DELEGATE_CERT, err) != 0 ||
        lab_file(ocsp_key_path, lab_dir, LAB_DELEGATE_KEY, err) != 0)
        return -1;
    if (open_db(lab_dir, db_path, DB_CREATE, &db, err) != 0)
        return -1;

    /* Refuse to replace a CA by accident: its key would be lost for good. */
    int has_ca = certstore_get_ca(db, &ca_row, err);
    if (has_ca < 0)
        goto out;
    bool has_root_file = access(root_pem, F_OK) == 0 || access(root_key_path, F_OK) == 0;
    if ((has_ca == 0 || has_root_file) && !opts->force) {
        errbuf_set(err,
                   "a CA already exists in %s (use --force to replace it; its "
                   "certificates are then forgotten)",
                   lab_dir);
        rc = CA_EXISTS;
        goto out;
    }
    result->replaced_existing = has_ca == 0 || has_root_file;

    if (init_rng(&rng, err) != 0)
        goto out;
    has_rng = true;
    int64_t now = clock_now();
    if (key_generate(&root_key, opts->key_type, &rng, err) != 0)
        goto out;
    memset(&req, 0, sizeof req);
    req.profile = PROFILE_ROOT;
    req.common_name = opts->name;
    req.organization = CA_ORGANIZATION;
    /* The root is backdated an hour so scenarios may move the clock back a bit. */
    req.not_before = now - 3600;
    req.not_after = now + (int64_t)CA_ROOT_DAYS * 86400;
    req.subject_key = &root_key;
    req.issuer_key = &root_key;
    if (certbuild_random_serial(&rng, req.serial, err) != 0 ||
        certbuild_make(&req, &rng, &root_der, err) != 0 ||
        x509_parse(&root_cert, root_der.data, root_der.len, err) != 0)
        goto out;
    hex_encode(root_cert.serial.p, root_cert.serial.left, result->root_serial_hex);
    result->root_not_after = root_cert.not_after;

    if (opts->with_delegate) {
        if (key_generate(&delegate_key, opts->key_type, &rng, err) != 0)
            goto out;
        req.profile = PROFILE_OCSP_SIGNER;
        req.common_name = CA_DELEGATE_NAME;
        req.not_before = now - CA_BACKDATE_SECONDS;
        req.not_after = now + (int64_t)CA_DELEGATE_DAYS * 86400;
        req.subject_key = &delegate_key;
        req.issuer_key = &root_key;
        req.issuer_name = root_cert.subject.p;
        req.issuer_name_len = root_cert.subject.left;
        if (certbuild_random_serial(&rng, req.serial, err) != 0 ||
            certbuild_make(&req, &rng, &delegate_der, err) != 0 ||
            x509_parse(&delegate_cert, delegate_der.data, delegate_der.len, err) != 0)
            goto out;
        hex_encode(delegate_cert.serial.p, delegate_cert.serial.left, result->delegate_serial_hex);
    }

    if (stage_key(&stage, root_key_path, &root_key, err) != 0 ||
        stage_certificate(&stage, root_pem, &root_der, err) != 0)
        goto out;
    if (opts->with_delegate && (stage_key(&stage, ocsp_key_path, &delegate_key, err) != 0 ||
                                stage_certificate(&stage, ocsp_pem, &delegate_der, err) != 0))
        goto out;

    memset(&ca_row, 0, sizeof ca_row);
    snprintf(ca_row.name, sizeof ca_row.name, "%s", opts->name);
    snprintf(ca_row.key_type, sizeof ca_row.key_type, "%s", key_type_name(opts->key_type));
    snprintf(ca_row.ocsp_url, sizeof ca_row.ocsp_url, "%s", opts->ocsp_url);
    ca_row.has_delegate = opts->with_delegate;
    ca_row.created_at = now;
    /* A new CA, a new teacher's secret for the responder's /control/ URLs.
     * Made before the commit: when it fails, the old CA stays whole. */
    if (control_token_create(lab_dir, err) != 0) {
        errbuf_prefix(err, "cannot write the control token");
        goto out;
    }
    if (db_begin(db, err) != 0)
        goto out;
    if (certstore_set_ca(db, &ca_row, root_der.data, root_der.len, true, err) != 0)
        goto out;
    if (opts->with_delegate) {
        struct cert_record rec;
        fill_record(&rec, &delegate_cert, CA_DELEGATE_RECORD_NAME, "ocsp-signer", false, now);
        if (certstore_insert(db, &rec, delegate_der.data, delegate_der.len, err) != 0)
            goto out;
    }
    if (db_commit(db, err) != 0 || file_stage_commit(&stage, err) != 0)
        goto out;
    /* An old delegate must not outlive a re-init without one. */
    if (!opts->with_delegate) {
        unlink(ocsp_pem);
        unlink(ocsp_key_path);
    }
    /* Certificates and staples of the old root are forgotten with it: left
     * on disk they would look usable and chain to nothing. */
    if (result->replaced_existing) {
        result->forgotten_files = remove_files(lab_dir, LAB_CERTS_DIR, ".pem") +
                                  remove_files(lab_dir, LAB_CERTS_DIR, ".key") +
                                  remove_files(lab_dir, LAB_STAPLES_DIR, ".der");
    }

    char until[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(root_cert.not_after, until, sizeof until);
    trace_event("ca.init",
                json_pack("{s:s, s:s, s:s, s:s, s:b}", "serial", result->root_serial_hex, "subject",
                          opts->name, "key", key_type_description(opts->key_type), "not_after",
                          until, "replaced", result->replaced_existing),
                "The CA created its self-signed root certificate '%s' (%s, serial %s), "
                "valid until %s.",
                opts->name, key_type_description(opts->key_type), result->root_serial_hex, until);
    if (opts->with_delegate) {
        clock_format_rfc3339_seconds(delegate_cert.not_after, until, sizeof until);
        trace_event("ca.delegate.issued",
                    json_pack("{s:s, s:s, s:s}", "serial", result->delegate_serial_hex, "subject",
                              CA_DELEGATE_NAME, "not_after", until),
                    "The CA issued the OCSP signing certificate '%s' (serial %s, EKU "
                    "OCSPSigning, ocsp-nocheck): it may sign OCSP answers for this CA until %s.",
                    CA_DELEGATE_NAME, result->delegate_serial_hex, until);
    }
    rc = CA_OK;
out:
    if (rc != CA_OK)
        file_stage_abort(&stage);
    db_rollback(db);
    db_close(db);
    key_free(&root_key);
    key_free(&delegate_key);
    der_buf_free(&root_der);
    der_buf_free(&delegate_der);
    if (has_rng)
        wc_FreeRng(&rng);
    return rc;
}

/* Opens the database, checks it (db_open does for writing; here for
 * reading, since a damaged page can hide rows without an error, and a list
 * that silently misses a revoked certificate would teach the wrong thing),
 * and reads the CA row; a missing CA is an error. */
static int open_ca(const char *lab_dir, enum db_access access, sqlite3 **db,
                   struct ca_record *ca_row, struct errbuf *err)
{
    char db_path[LAB_PATH_MAX];
    if (lab_file(db_path, lab_dir, LAB_DB_FILE, err) != 0)
        return -1;
    if (open_db(lab_dir, db_path, access, db, err) != 0)
        return -1;
    if (access == DB_READ || access == DB_READ_ONCE) {
        int check = db_check(*db, db_path, err);
        if (check != 0) {
            if (check == DB_DAMAGED)
                add_damage_hint(lab_dir, err);
            db_close(*db);
            *db = NULL;
            return -1;
        }
    }
    int found = certstore_get_ca(*db, ca_row, err);
    if (found != 0) {
        if (found == 1)
            errbuf_set(err, "no CA in %s (run 'ca init --lab %s' first)", lab_dir, lab_dir);
        db_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

/* Loads the root key and certificate and checks they belong together. */
static int load_root(const char *root_pem, const char *root_key_path, struct lab_key *root_key,
                     struct der_buf *root_der, struct x509_cert *root_cert, struct errbuf *err)
{
    if (key_load_pem(root_key, root_key_path, err) != 0 ||
        pem_read_certificate(root_pem, root_der, err) != 0 ||
        x509_parse(root_cert, root_der->data, root_der->len, err) != 0) {
        errbuf_prefix(err, "cannot load the CA");
        return -1;
    }
    /* A key that is not the root's would sign what nobody can verify. */
    if (!key_matches_spki(root_key, &root_cert->spki)) {
        errbuf_set(err,
                   "cannot load the CA: %s does not belong to %s (restore the matching "
                   "key, or 'ca init --force' for a new CA)",
                   root_key_path, root_pem);
        return -1;
    }
    return 0;
}

int ca_issue(const char *lab_dir, const struct ca_issue_options *opts, struct cert_record *issued,
             struct errbuf *err)
{
    char name[CERTSTORE_NAME_MAX];
    char root_pem[LAB_PATH_MAX], root_key_path[LAB_PATH_MAX];
    char cert_path[LAB_PATH_MAX], key_path[LAB_PATH_MAX], rel[LAB_PATH_MAX];
    sqlite3 *db = NULL;
    WC_RNG rng;
    bool has_rng = false;
    struct lab_key root_key = {0}, server_key = {0};
    struct der_buf root_der = {0}, cert_der = {0};
    struct file_stage stage = {0};
    struct x509_cert root_cert, cert;
    struct ca_record ca_row;
    struct cert_request req;
    int rc = -1;

    if (ca_normalize_dns_name(opts->name, name, sizeof name, err) != 0)
        return -1;
    if (opts->validity_seconds == 0 && (opts->days < 1 || opts->days > CA_MAX_DAYS)) {
        errbuf_set(err, "invalid --days %d: use 1 to %d", opts->days, CA_MAX_DAYS);
        return -1;
    }
    if (opts->validity_seconds != 0 && (opts->validity_seconds < CA_MIN_VALIDITY_SECONDS ||
                                        opts->validity_seconds > (int64_t)CA_MAX_DAYS * 86400)) {
        errbuf_set(err, "invalid --validity: use a duration from 1m to %dd", CA_MAX_DAYS);
        return -1;
    }
    int64_t validity_seconds =
        opts->validity_seconds != 0 ? opts->validity_seconds : (int64_t)opts->days * 86400;
    if (opts->ocsp_url != NULL && ca_check_ocsp_url(opts->ocsp_url, err) != 0)
        return -1;
    if (opts->crl_url != NULL && ca_check_crl_url(opts->crl_url, err) != 0)
        return -1;
    if (open_ca(lab_dir, DB_WRITE, &db, &ca_row, err) != 0)
        return -1;
    const char *ocsp_url = opts->ocsp_url != NULL ? opts->ocsp_url : ca_row.ocsp_url;
    char default_crl_url[sizeof ca_row.ocsp_url + 8];
    const char *crl_url = opts->crl_url;
    if (crl_url == NULL) {
        if (ca_default_crl_url(ocsp_url, default_crl_url, sizeof default_crl_url) != 0) {
            errbuf_set(err, "cannot make a CRL URL from the OCSP URL; give --crl-url");
            goto out;
        }
        crl_url = default_crl_url;
    }
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, name);
    if (lab_file(cert_path, lab_dir, rel, err) != 0)
        goto out;
    snprintf(rel, sizeof rel, "%s/%s.key", LAB_CERTS_DIR, name);
    if (lab_file(key_path, lab_dir, rel, err) != 0 || ensure_lab_dirs(lab_dir, err) != 0 ||
        lab_file(root_pem, lab_dir, LAB_ROOT_CERT, err) != 0 ||
        lab_file(root_key_path, lab_dir, LAB_ROOT_KEY, err) != 0)
        goto out;
    if (load_root(root_pem, root_key_path, &root_key, &root_der, &root_cert, err) != 0)
        goto out;

    int64_t now = clock_now();
    memset(&req, 0, sizeof req);
    req.profile = PROFILE_SERVER;
    req.common_name = name;
    req.not_before = now - CA_BACKDATE_SECONDS;
    req.not_after = now + validity_seconds;
    req.ocsp_url = ocsp_url;
    req.crl_url = crl_url;
    req.is_must_staple = opts->is_must_staple;
    req.subject_key = &server_key;
    req.issuer_key = &root_key;
    req.issuer_name = root_cert.subject.p;
    req.issuer_name_len = root_cert.subject.left;
    if (req.not_after > root_cert.not_after) {
        char text[32];
        clock_format_duration(validity_seconds, text, sizeof text);
        errbuf_set(err, "a certificate valid for %s would outlive the root CA; use fewer --days",
                   text);
        goto out;
    }
    if (init_rng(&rng, err) != 0)
        goto out;
    has_rng = true;
    if (key_generate(&server_key, opts->key_type, &rng, err) != 0 ||
        certbuild_random_serial(&rng, req.serial, err) != 0 ||
        certbuild_make(&req, &rng, &cert_der, err) != 0 ||
        x509_parse(&cert, cert_der.data, cert_der.len, err) != 0)
        goto out;
    if (stage_key(&stage, key_path, &server_key, err) != 0 ||
        stage_certificate(&stage, cert_path, &cert_der, err) != 0)
        goto out;
    fill_record(issued, &cert, name, "server", opts->is_must_staple, now);
    if (db_begin(db, err) != 0 ||
        certstore_insert(db, issued, cert_der.data, cert_der.len, err) != 0 ||
        db_commit(db, err) != 0 || file_stage_commit(&stage, err) != 0)
        goto out;

    char until[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(cert.not_after, until, sizeof until);
    trace_event("ca.cert.issued",
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "serial", issued->serial_hex,
                          "name", name, "not_after", until, "ocsp_url", ocsp_url, "crl_url",
                          crl_url, "must_staple", opts->is_must_staple, "key",
                          key_type_description(opts->key_type)),
                "The CA issued certificate %s for %s, valid until %s, OCSP at %s, CRL at %s%s.",
                issued->serial_hex, name, until, ocsp_url, crl_url,
                opts->is_must_staple ? ", marked must-staple" : "");
    rc = CA_OK;
out:
    if (rc != CA_OK)
        file_stage_abort(&stage);
    db_rollback(db);
    db_close(db);
    key_free(&root_key);
    key_free(&server_key);
    der_buf_free(&root_der);
    der_buf_free(&cert_der);
    if (has_rng)
        wc_FreeRng(&rng);
    return rc;
}

int ca_revoke(const char *lab_dir, const char *name, const char *serial_hex,
              enum revocation_reason reason, struct cert_record *rec, struct errbuf *err)
{
    sqlite3 *db = NULL;
    struct ca_record ca_row;
    char serial[CERTSTORE_SERIAL_HEX_MAX];
    char dns_name[CERTSTORE_NAME_MAX];
    int rc = -1;

    if ((name == NULL) == (serial_hex == NULL)) {
        errbuf_set(err, "revoke needs a NAME or --serial HEX (one of them)");
        return -1;
    }
    if (serial_hex != NULL && ca_normalize_serial(serial_hex, serial, sizeof serial, err) != 0)
        return -1;
    if (name != NULL && ca_normalize_dns_name(name, dns_name, sizeof dns_name, err) != 0)
        return -1;
    if (open_ca(lab_dir, DB_WRITE, &db, &ca_row, err) != 0)
        return -1;
    if (name != NULL) {
        int found = certstore_find_name(db, dns_name, rec, err);
        if (found < 0)
            goto out;
        if (found == 1) {
            char names[1024] = "";
            if (certstore_server_names(db, names, sizeof names, err) != 0)
                goto out;
            errbuf_set(err, "no certificate named '%s' (known: %s)", dns_name,
                       names[0] != 0 ? names : "none yet; run 'ca issue NAME'");
            rc = CA_NOT_FOUND;
            goto out;
        }
        snprintf(serial, sizeof serial, "%s", rec->serial_hex);
    }
    int outcome = certstore_revoke(db, serial, clock_now(), reason, rec, err);
    if (outcome < 0)
        goto out;
    if (outcome == CERTSTORE_NOT_FOUND) {
        errbuf_set(err, "no certificate with serial %s (see 'ca list')", serial);
        rc = CA_NOT_FOUND;
        goto out;
    }
    char when[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(rec->revoked_at, when, sizeof when);
    if (outcome == CERTSTORE_ALREADY_REVOKED) {
        errbuf_set(err, "certificate %s (%s) was already revoked at %s (%s)", rec->serial_hex,
                   rec->name, when, ocsp_crl_reason_name(rec->revocation_reason));
        rc = CA_ALREADY_REVOKED;
        goto out;
    }
    trace_event("ca.cert.revoked",
                json_pack("{s:s, s:s, s:s, s:s}", "serial", rec->serial_hex, "name", rec->name,
                          "revoked_at", when, "reason",
                          ocsp_crl_reason_name(rec->revocation_reason)),
                "The CA revoked certificate %s for %s at %s, reason %s; its OCSP status is "
                "now 'revoked'.",
                rec->serial_hex, rec->name, when, ocsp_crl_reason_name(rec->revocation_reason));
    rc = CA_OK;
out:
    db_close(db);
    return rc;
}

int ca_crl(const char *lab_dir, const struct ca_crl_options *opts, struct ca_crl_result *result,
           struct errbuf *err)
{
    char root_pem[LAB_PATH_MAX], root_key_path[LAB_PATH_MAX];
    sqlite3 *db = NULL;
    struct lab_key root_key = {0};
    struct der_buf root_der = {0}, crl_der = {0};
    struct x509_cert root_cert;
    struct ca_record ca_row;
    struct crl_revision rev;
    struct crl_issued issued;
    int rc = -1;

    memset(result, 0, sizeof *result);
    if (opts->next_update_seconds <= 0) {
        errbuf_set(err, "invalid --next-update: the CRL must stay current for some time (e.g. 7d)");
        return -1;
    }
    if (opts->out_path != NULL)
        snprintf(result->path, sizeof result->path, "%s", opts->out_path);
    else if (lab_file(result->path, lab_dir, LAB_CRL_FILE, err) != 0)
        return -1;
    if (lab_file(root_pem, lab_dir, LAB_ROOT_CERT, err) != 0 ||
        lab_file(root_key_path, lab_dir, LAB_ROOT_KEY, err) != 0)
        return -1;
    if (open_ca(lab_dir, DB_WRITE, &db, &ca_row, err) != 0)
        return -1;
    if (load_root(root_pem, root_key_path, &root_key, &root_der, &root_cert, err) != 0)
        goto out;
    int64_t now = clock_now();
    /* The raise and the read of the revoked list are one transaction: a
     * revocation committed meanwhile lands in this CRL or in a later number. */
    if (db_begin(db, err) != 0 || certstore_crl_raise(db, now, &rev, err) != 0 ||
        crl_issue_from_db(db, &root_key, &root_cert, now, opts->next_update_seconds, &crl_der,
                          &issued, err) != 0 ||
        db_commit(db, err) != 0)
        goto out;
    if (file_write_atomic(result->path, crl_der.data, crl_der.len, 0644, err) != 0)
        goto out;
    result->number = issued.number;
    result->entry_count = issued.entry_count;
    result->der_len = crl_der.len;
    result->this_update = issued.this_update;
    result->next_update = issued.next_update;

    char from[CLOCK_RFC3339_LEN], until[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(issued.this_update, from, sizeof from);
    clock_format_rfc3339_seconds(issued.next_update, until, sizeof until);
    trace_event("ca.crl.issued",
                json_pack("{s:s, s:I, s:I, s:I, s:s, s:s}", "path", result->path, "crl_number",
                          (json_int_t)issued.number, "revoked", (json_int_t)issued.entry_count,
                          "bytes", (json_int_t)crl_der.len, "this_update", from, "next_update",
                          until),
                "The CA signed CRL number %llu listing %zu revoked certificate%s (%zu bytes), "
                "current from %s until %s.",
                (unsigned long long)issued.number, issued.entry_count,
                issued.entry_count == 1 ? "" : "s", crl_der.len, from, until);
    rc = CA_OK;
out:
    db_rollback(db);
    db_close(db);
    key_free(&root_key);
    der_buf_free(&root_der);
    der_buf_free(&crl_der);
    return rc;
}

int ca_revlist(const char *lab_dir, const char *out_path, struct ca_revlist_result *result,
               struct errbuf *err)
{
    char root_pem[LAB_PATH_MAX], root_key_path[LAB_PATH_MAX];
    sqlite3 *db = NULL;
    struct lab_key root_key = {0};
    struct der_buf root_der = {0}, list_der = {0};
    struct x509_cert root_cert;
    struct ca_record ca_row;
    struct crl_revision rev;
    struct crl_entry *revoked = NULL;
    size_t count = 0;
    WC_RNG rng;
    bool has_rng = false;
    int rc = -1;

    memset(result, 0, sizeof *result);
    if (out_path != NULL)
        snprintf(result->path, sizeof result->path, "%s", out_path);
    else if (lab_file(result->path, lab_dir, LAB_REVLIST_FILE, err) != 0)
        return -1;
    if (lab_file(root_pem, lab_dir, LAB_ROOT_CERT, err) != 0 ||
        lab_file(root_key_path, lab_dir, LAB_ROOT_KEY, err) != 0)
        return -1;
    if (open_ca(lab_dir, DB_READ, &db, &ca_row, err) != 0)
        return -1;
    if (load_root(root_pem, root_key_path, &root_key, &root_der, &root_cert, err) != 0 ||
        certstore_crl_revision(db, &rev, err) != 0 ||
        crl_issue_collect(db, &revoked, &count, err) != 0 || init_rng(&rng, err) != 0)
        goto out;
    has_rng = true;
    int64_t now = clock_now();
    /* The same numbering as the CRL: a list made after a revocation has a
     * higher version than any made before it. */
    uint64_t version = crl_number(rev.revision, rev.changed_at, now);
    if (revlist_make(revoked, count, version, now, &root_key, &rng, &list_der, err) != 0 ||
        file_write_atomic(result->path, list_der.data, list_der.len, 0644, err) != 0)
        goto out;
    result->version = version;
    result->count = count;
    result->der_len = list_der.len;
    result->produced_at = now;

    char when[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(now, when, sizeof when);
    trace_event("ca.revlist.issued",
                json_pack("{s:s, s:I, s:I, s:I, s:s}", "path", result->path, "version",
                          (json_int_t)version, "revoked", (json_int_t)count, "bytes",
                          (json_int_t)list_der.len, "produced_at", when),
                "The CA signed a revocation list to push to browsers ahead of time (version "
                "%llu, %zu revoked serial%s, %zu bytes): browsers will look serials up in it "
                "without asking the CA.",
                (unsigned long long)version, count, count == 1 ? "" : "s", list_der.len);
    rc = CA_OK;
out:
    if (has_rng)
        wc_FreeRng(&rng);
    free(revoked);
    db_close(db);
    key_free(&root_key);
    der_buf_free(&root_der);
    der_buf_free(&list_der);
    return rc;
}

int ca_list(const char *lab_dir, certstore_each_fn each, void *ctx, struct errbuf *err)
{
    sqlite3 *db = NULL;
    struct ca_record ca_row;
    /* Read-only: a list must work in a lab the user may only read, and
     * change nothing there (no migration, no record). */
    if (open_ca(lab_dir, DB_READ_ONCE, &db, &ca_row, err) != 0)
        return -1;
    int rc = certstore_list(db, each, ctx, err);
    db_close(db);
    return rc;
}
