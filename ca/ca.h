/* ca.h — the mini Certificate Authority's operations (DESIGN section 2):
 * init a root (and optionally a delegated OCSP signer), issue server
 * certificates, revoke them with a reason, list them. Records live in
 * LAB/ca.db; keys and certificates in LAB/ca/ and LAB/certs/. Each step
 * writes a trace event a student can read. main.c only parses flags. */
#ifndef OCSPLAB_CA_CA_H
#define OCSPLAB_CA_CA_H

#include <stdbool.h>
#include <stdint.h>

#include "certstore.h"
#include "errbuf.h"
#include "keys.h"

#define CA_DEFAULT_NAME "Lab Root CA"
#define CA_DEFAULT_OCSP_URL "http://127.0.0.1:8080/"
#define CA_DEFAULT_DAYS 90
#define CA_MAX_DAYS 3650
/* --validity below a minute would expire before a lesson could use it. */
#define CA_MIN_VALIDITY_SECONDS 60
#define CA_ROOT_DAYS 3650
#define CA_DELEGATE_DAYS 365
/* Longest certificate name: it becomes a file name (255-byte limit) plus suffixes. */
#define CA_MAX_NAME_LEN 200
/* Issued certificates start a little in the past, so a client whose clock
 * runs a few minutes slow still accepts a brand-new certificate. */
#define CA_BACKDATE_SECONDS (5 * 60)

/* Outcomes besides success; negative means an error described in errbuf. */
enum ca_status {
    CA_OK = 0,
    CA_ALREADY_REVOKED = 1, /* revoke: nothing changed */
    CA_NOT_FOUND = 2,       /* revoke: no such name or serial (errbuf has a hint) */
    CA_EXISTS = 3,          /* init: a CA is there and --force was not given */
};

struct ca_init_options {
    enum key_type key_type;
    const char *name;     /* CN of the root */
    const char *ocsp_url; /* default AIA URL for issued certificates */
    bool with_delegate;   /* also issue ca/ocsp.pem for delegated OCSP signing */
    bool force;           /* replace an existing CA, forgetting its certificates */
};

struct ca_init_result {
    char root_serial_hex[CERTSTORE_SERIAL_HEX_MAX];
    int64_t root_not_after;
    char delegate_serial_hex[CERTSTORE_SERIAL_HEX_MAX]; /* "" without a delegate */
    bool replaced_existing;
    int forgotten_files; /* with --force: old certs/ and staples/ files removed */
};

int ca_init(const char *lab_dir, const struct ca_init_options *opts, struct ca_init_result *result,
            struct errbuf *err);

struct ca_issue_options {
    const char *name;         /* DNS name: subject CN and SAN; file certs/NAME.pem */
    int days;                 /* validity, 1..CA_MAX_DAYS (when validity_seconds is 0) */
    int64_t validity_seconds; /* --validity: any duration from a minute up, or 0 */
    bool is_must_staple;      /* TLS Feature status_request */
    const char *ocsp_url;     /* NULL: the CA's default */
    const char *crl_url;      /* NULL: the responder's /crl, next to the OCSP URL */
    enum key_type key_type;
};

/* Issues a certificate; *issued receives its record. */
int ca_issue(const char *lab_dir, const struct ca_issue_options *opts, struct cert_record *issued,
             struct errbuf *err);

/* Revokes the newest certificate of `name`, or the one with `serial_hex`
 * (exactly one of them non-NULL). Returns CA_OK, CA_ALREADY_REVOKED,
 * CA_NOT_FOUND, or -1. *rec receives the record as it now stands. */
int ca_revoke(const char *lab_dir, const char *name, const char *serial_hex,
              enum revocation_reason reason, struct cert_record *rec, struct errbuf *err);

struct ca_crl_options {
    int64_t next_update_seconds; /* nextUpdate - thisUpdate, > 0 */
    const char *out_path;        /* NULL: LAB/ca/crl.der */
};

struct ca_crl_result {
    char path[4096];
    uint64_t number;
    size_t entry_count;
    size_t der_len;
    int64_t this_update;
    int64_t next_update;
};

/* Writes a new CRL (RFC 5280 v2, DER) signed by the root: every revoked
 * certificate in ca.db. Raises the CRL counter first, so each call's
 * number is higher than any before it. */
int ca_crl(const char *lab_dir, const struct ca_crl_options *opts, struct ca_crl_result *result,
           struct errbuf *err);

struct ca_revlist_result {
    char path[4096];
    uint64_t version;
    size_t count;
    size_t der_len;
    int64_t produced_at;
};

/* Writes the pushed-list stand-in (common/revlist.h) of every revoked serial,
 * signed by the root, to out_path (NULL: LAB/ca/revlist.der). */
int ca_revlist(const char *lab_dir, const char *out_path, struct ca_revlist_result *result,
               struct errbuf *err);

/* Calls `each` for every certificate the CA issued, oldest first. */
int ca_list(const char *lab_dir, certstore_each_fn each, void *ctx, struct errbuf *err);

/* Checks a DNS name for a certificate (RFC 1035 letters-digits-hyphen labels,
 * at most CA_MAX_NAME_LEN characters); lower-cases it into `out`. */
int ca_normalize_dns_name(const char *name, char *out, size_t cap, struct errbuf *err);
/* Accepts "5A3F…", "5a:3f:…" or "0x5A3F…"; writes canonical upper-case hex. */
int ca_normalize_serial(const char *text, char *out, size_t cap, struct errbuf *err);
/* The OCSP URL goes into certificates: http:// only, printable, no spaces. */
int ca_check_ocsp_url(const char *url, struct errbuf *err);
/* The CRL URL goes into certificates' CRL Distribution Points: http:// only. */
int ca_check_crl_url(const char *url, struct errbuf *err);
/* The responder's CRL URL next to an OCSP URL: http://HOST:PORT/crl. */
int ca_default_crl_url(const char *ocsp_url, char *out, size_t cap);

#endif
