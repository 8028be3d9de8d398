/* crl_issue.c — from the certificate records to a signed CRL (RFC 5280 5). */
#include "crl_issue.h"

#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include "certstore.h"
#include "crl.h"
#include "hex.h"

/* The revoked records, collected by certstore_list's callback. */
struct entry_list {
    struct crl_entry *items;
    size_t count, cap;
    bool is_broken;
};

static int collect_revoked(const struct cert_record *rec, void *ctx)
{
    struct entry_list *list = ctx;
    if (!rec->is_revoked)
        return 0;
    if (list->count == list->cap) {
        size_t cap = list->cap == 0 ? 64 : 2 * list->cap;
        struct crl_entry *grown = realloc(list->items, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        list->items = grown;
        list->cap = cap;
    }
    struct crl_entry *e = &list->items[list->count];
    memset(e, 0, sizeof *e);
    if (hex_decode(rec->serial_hex, e->serial, sizeof e->serial, &e->serial_len) != 0) {
        list->is_broken = true;
        return -1;
    }
    e->revoked_at = rec->revoked_at;
    e->reason = rec->revocation_reason;
    list->count++;
    return 0;
}

int crl_issue_collect(sqlite3 *db, struct crl_entry **entries, size_t *count, struct errbuf *err)
{
    struct entry_list list = {0};
    int listed = certstore_list(db, collect_revoked, &list, err);
    if (listed != 0) {
        if (listed > 0)
            errbuf_set(err, "cannot list the revoked certificates: %s",
                       list.is_broken ? "a stored serial is not hex" : "out of memory");
        free(list.items);
        return -1;
    }
    *entries = list.items;
    *count = list.count;
    return 0;
}

int crl_issue_from_db(sqlite3 *db, struct lab_key *signer, const struct x509_cert *root,
                      int64_t now, int64_t validity_seconds, struct der_buf *out,
                      struct crl_issued *issued, struct errbuf *err)
{
    struct entry_list list = {0};
    struct crl_revision rev;
    WC_RNG rng;
    bool has_rng = false;
    int rc = -1;

    if (certstore_crl_revision(db, &rev, err) != 0 ||
        crl_issue_collect(db, &list.items, &list.count, err) != 0)
        goto out;
    struct crl_content content = {
        .issuer_name = root->subject.p,
        .issuer_name_len = root->subject.left,
        .this_update = now - CRL_BACKDATE_SECONDS,
        .next_update = now - CRL_BACKDATE_SECONDS + validity_seconds,
        .entries = list.items,
        .entry_count = list.count,
    };
    content.number = crl_number(rev.revision, rev.changed_at, content.this_update);
    int ret = wc_InitRng(&rng);
    if (ret != 0) {
        errbuf_set(err, "cannot start the random generator (wolfCrypt %d)", ret);
        goto out;
    }
    has_rng = true;
    if (crl_make(&content, signer, &rng, out, err) != 0)
        goto out;
    issued->number = content.number;
    issued->entry_count = content.entry_count;
    issued->this_update = content.this_update;
    issued->next_update = content.next_update;
    rc = 0;
out:
    if (has_rng)
        wc_FreeRng(&rng);
    free(list.items);
    return rc;
}
