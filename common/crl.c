/* crl.c — writing and strictly reading X.509 v2 CRLs (RFC 5280 5.1-5.3):
 *
 *   CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }
 *   TBSCertList ::= SEQUENCE { version v2, signature, issuer, thisUpdate,
 *       nextUpdate, revokedCertificates SEQUENCE OF { userCertificate,
 *       revocationDate, crlEntryExtensions } OPTIONAL, crlExtensions [0] } */
#include "crl.h"

#include <string.h>

#include "x509.h"

/* RFC 5280 5.3: entry extensions a reader understands. invalidityDate is
 * informational; certificateIssuer (indirect CRLs) is not supported, so when
 * critical it makes the CRL unusable, as 5.3 demands. */
#define OID_INVALIDITY_DATE "2.5.29.24"

uint64_t crl_number(int64_t revision, int64_t changed_at, int64_t this_update)
{
    int64_t since = this_update - changed_at;
    if (since < 0)
        since = 0; /* the clock moved back: the revision alone still orders it */
    if (since > (int64_t)UINT32_MAX)
        since = (int64_t)UINT32_MAX;
    if (revision < 0)
        revision = 0;
    return (uint64_t)revision << 32 | (uint64_t)since;
}

/* Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue }; the
 * value is opened here and closed by end_extension. */
static void begin_extension(struct der_buf *out, const char *oid)
{
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_oid(out, oid);
    der_begin(out, DER_TAG_OCTET_STRING);
}

static void end_extension(struct der_buf *out)
{
    der_end(out);
    der_end(out);
}

static void write_entry(struct der_buf *out, const struct crl_entry *e)
{
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_unsigned_integer(out, e->serial, e->serial_len);
    der_write_x509_time(out, e->revoked_at);
    /* RFC 5280 5.3.1: reasonCode unspecified (0) SHOULD be absent. */
    if (e->reason > 0) {
        der_begin(out, DER_TAG_SEQUENCE);
        begin_extension(out, OID_CRL_REASON);
        der_write_enumerated(out, e->reason);
        end_extension(out);
        der_end(out);
    }
    der_end(out);
}

static void write_tbs(struct der_buf *tbs, const struct crl_content *c, struct lab_key *key,
                      const uint8_t key_id[KEY_ID_LEN])
{
    uint8_t number[8];
    for (size_t i = 0; i < sizeof number; i++)
        number[i] = (uint8_t)(c->number >> (56 - 8 * i));

    der_begin(tbs, DER_TAG_SEQUENCE);
    der_write_small_int(tbs, 1); /* v2: needed because the CRL has extensions (5.1.2.1) */
    key_write_signature_algorithm(key, tbs);
    der_write_raw(tbs, c->issuer_name, c->issuer_name_len);
    der_write_x509_time(tbs, c->this_update);
    der_write_x509_time(tbs, c->next_update);
    /* 5.1.2.6: with no revoked certificates the list MUST be absent, not empty. */
    if (c->entry_count > 0) {
        der_begin(tbs, DER_TAG_SEQUENCE);
        for (size_t i = 0; i < c->entry_count; i++)
            write_entry(tbs, &c->entries[i]);
        der_end(tbs);
    }
    der_begin(tbs, DER_TAG_CONTEXT(0));
    der_begin(tbs, DER_TAG_SEQUENCE);
    /* 5.2.1: authorityKeyIdentifier MUST be included, keyIdentifier form. */
    begin_extension(tbs, OID_AUTHORITY_KEY_ID);
    der_begin(tbs, DER_TAG_SEQUENCE);
    der_write_tlv(tbs, DER_TAG_CONTEXT_PRIMITIVE(0), key_id, KEY_ID_LEN);
    der_end(tbs);
    end_extension(tbs);
    /* 5.2.3: cRLNumber MUST be included, non-critical. */
    begin_extension(tbs, OID_CRL_NUMBER);
    der_write_unsigned_integer(tbs, number, sizeof number);
    end_extension(tbs);
    der_end(tbs);
    der_end(tbs);
    der_end(tbs);
}

int crl_make(const struct crl_content *content, struct lab_key *key, WC_RNG *rng,
             struct der_buf *out, struct errbuf *err)
{
    struct der_buf tbs = {0};
    uint8_t key_id[KEY_ID_LEN];
    int rc = -1;
    if (key_identifier(key, key_id, err) == 0) {
        write_tbs(&tbs, content, key, key_id);
        rc = key_write_signed(key, rng, &tbs, out, "CRL", err);
    }
    der_buf_free(&tbs);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

static int fail(struct errbuf *err, const char *part, int der_rc)
{
    errbuf_set(err, "malformed CRL: bad %s (%s)", part, der_strerror(der_rc));
    return -1;
}

/* One Extension; *value spans extnValue's contents. */
static int read_extension(struct der_cursor *exts, struct der_cursor *id, bool *is_critical,
                          struct der_cursor *value)
{
    struct der_cursor ext;
    const uint8_t *v;
    size_t v_len;
    int rc;
    *is_critical = false;
    if ((rc = der_read_sequence(exts, &ext)) != DER_OK || (rc = der_read_oid(&ext, id)) != DER_OK)
        return rc;
    if (der_peek_tag(&ext, DER_TAG_BOOLEAN)) {
        if ((rc = der_read_boolean(&ext, is_critical)) != DER_OK)
            return rc;
        /* DER: a DEFAULT value (FALSE) is never encoded. */
        if (!*is_critical)
            return DER_ERR_BAD_VALUE;
    }
    if ((rc = der_read_octet_string(&ext, &v, &v_len)) != DER_OK ||
        (rc = der_expect_end(&ext)) != DER_OK)
        return rc;
    *value = der_cursor_init(v, v_len);
    return DER_OK;
}

/* Reads one revokedCertificates entry; with `entry` NULL it only checks it. */
static int read_entry(struct der_cursor *list, struct crl_entry *entry, struct der_cursor *serial,
                      bool *has_critical)
{
    struct der_cursor body, exts, id, value;
    int64_t when;
    int reason = 0;
    bool present, is_critical;
    int rc;
    if ((rc = der_read_sequence(list, &body)) != DER_OK ||
        (rc = der_read_tagged(&body, DER_TAG_INTEGER, serial)) != DER_OK ||
        (rc = der_read_time(&body, &when)) != DER_OK ||
        (rc = der_read_optional(&body, DER_TAG_SEQUENCE, &exts, &present)) != DER_OK ||
        (rc = der_expect_end(&body)) != DER_OK)
        return rc;
    if (serial->left == 0 || serial->left > CRL_SERIAL_MAX + 1)
        return DER_ERR_BAD_VALUE;
    while (present && !der_is_empty(&exts)) {
        if ((rc = read_extension(&exts, &id, &is_critical, &value)) != DER_OK)
            return rc;
        if (der_oid_equals(&id, OID_CRL_REASON)) {
            if ((rc = der_read_enumerated(&value, &reason)) != DER_OK ||
                (rc = der_expect_end(&value)) != DER_OK)
                return rc;
        } else if (is_critical && !der_oid_equals(&id, OID_INVALIDITY_DATE)) {
            *has_critical = true;
        }
    }
    if (entry != NULL) {
        struct der_cursor s = *serial;
        if (s.left > 1 && s.p[0] == 0) /* the sign octet of a positive serial */
            der_take(&s, 1, NULL);
        if (s.left > CRL_SERIAL_MAX)
            return DER_ERR_BAD_VALUE;
        memset(entry, 0, sizeof *entry);
        memcpy(entry->serial, s.p, s.left);
        entry->serial_len = s.left;
        entry->revoked_at = when;
        entry->reason = reason;
    }
    return DER_OK;
}

static int read_crl_extensions(struct der_cursor *wrapper, struct crl *crl)
{
    struct der_cursor exts, id, value;
    bool is_critical;
    int rc;
    if ((rc = der_read_sequence(wrapper, &exts)) != DER_OK ||
        (rc = der_expect_end(wrapper)) != DER_OK)
        return rc;
    while (!der_is_empty(&exts)) {
        if ((rc = read_extension(&exts, &id, &is_critical, &value)) != DER_OK)
            return rc;
        if (der_oid_equals(&id, OID_CRL_NUMBER)) {
            const uint8_t *n;
            size_t n_len;
            if ((rc = der_read_integer_bytes(&value, &n, &n_len)) != DER_OK ||
                (rc = der_expect_end(&value)) != DER_OK)
                return rc;
            /* 5.2.3: a non-negative integer of at most 20 octets. */
            if ((n[0] & 0x80) != 0 || n_len > CRL_SERIAL_MAX + 1)
                return DER_ERR_BAD_VALUE;
            crl->has_number = true;
            crl->number = 0;
            for (size_t i = 0; i < n_len; i++)
                crl->number = crl->number << 8 | n[i]; /* the low 64 bits, for messages */
        } else if (der_oid_equals(&id, OID_AUTHORITY_KEY_ID)) {
            struct der_cursor aki, key_id;
            bool present;
            if ((rc = der_read_sequence(&value, &aki)) != DER_OK ||
                (rc = der_expect_end(&value)) != DER_OK ||
                (rc = der_read_optional(&aki, DER_TAG_CONTEXT_PRIMITIVE(0), &key_id, &present)) !=
                    DER_OK)
                return rc;
            crl->has_authority_key_id = present;
            crl->authority_key_id = key_id;
        } else if (is_critical) {
            /* deltaCRLIndicator, issuingDistributionPoint, ...: 5.2 says a
             * reader that meets an unknown critical extension must not use
             * the CRL. Recorded here, refused by the verifier. */
            crl->has_critical_extension = true;
        }
    }
    return DER_OK;
}

int crl_parse(struct crl *crl, const uint8_t *der, size_t len, struct errbuf *err)
{
    struct der_cursor in = der_cursor_init(der, len);
    struct der_cursor body, tbs, alg, wrapper;
    const uint8_t *bits;
    size_t bits_len;
    unsigned unused;
    bool present;
    int rc;

    memset(crl, 0, sizeof *crl);
    if ((rc = der_read_sequence(&in, &body)) != DER_OK)
        return fail(err, "outer SEQUENCE", rc);
    if ((rc = der_expect_end(&in)) != DER_OK)
        return fail(err, "end (bytes after the CRL)", rc);
    if ((rc = der_read_raw(&body, DER_TAG_SEQUENCE, &crl->tbs)) != DER_OK)
        return fail(err, "TBSCertList", rc);
    if ((rc = der_read_sequence(&body, &alg)) != DER_OK ||
        (rc = der_read_oid(&alg, &crl->signature_algorithm)) != DER_OK)
        return fail(err, "signatureAlgorithm", rc);
    if ((rc = der_read_bit_string(&body, &bits, &bits_len, &unused)) != DER_OK ||
        (rc = der_expect_end(&body)) != DER_OK)
        return fail(err, "signatureValue", rc);
    if (unused != 0)
        return fail(err, "signatureValue", DER_ERR_BAD_VALUE);
    crl->signature = der_cursor_init(bits, bits_len);

    tbs = crl->tbs;
    if ((rc = der_read_sequence(&tbs, &body)) != DER_OK)
        return fail(err, "TBSCertList", rc);
    crl->version = 1;
    if (der_peek_tag(&body, DER_TAG_INTEGER)) {
        int64_t version;
        if ((rc = der_read_small_int(&body, &version)) != DER_OK)
            return fail(err, "version", rc);
        if (version != 1) /* present means v2 (5.1.2.1) */
            return fail(err, "version", DER_ERR_BAD_VALUE);
        crl->version = 2;
    }
    if ((rc = der_read_sequence(&body, &alg)) != DER_OK ||
        (rc = der_read_oid(&alg, &crl->tbs_signature_algorithm)) != DER_OK)
        return fail(err, "signature algorithm", rc);
    if ((rc = der_read_raw(&body, DER_TAG_SEQUENCE, &crl->issuer)) != DER_OK)
        return fail(err, "issuer", rc);
    if ((rc = der_read_time(&body, &crl->this_update)) != DER_OK)
        return fail(err, "thisUpdate", rc);
    if (der_peek_tag(&body, DER_TAG_UTC_TIME) || der_peek_tag(&body, DER_TAG_GENERALIZED_TIME)) {
        if ((rc = der_read_time(&body, &crl->next_update)) != DER_OK)
            return fail(err, "nextUpdate", rc);
        crl->has_next_update = true;
    }
    if ((rc = der_read_optional(&body, DER_TAG_SEQUENCE, &crl->revoked, &present)) != DER_OK)
        return fail(err, "revokedCertificates", rc);
    if (present) {
        /* Every entry is checked now, so a lookup later cannot meet bad bytes. */
        struct der_cursor list = crl->revoked, serial;
        if (der_is_empty(&list)) /* 5.1.2.6: absent, never empty */
            return fail(err, "revokedCertificates (empty list)", DER_ERR_BAD_VALUE);
        while (!der_is_empty(&list)) {
            if ((rc = read_entry(&list, NULL, &serial, &crl->has_critical_extension)) != DER_OK)
                return fail(err, "revoked certificate entry", rc);
            crl->entry_count++;
        }
    }
    if ((rc = der_read_optional(&body, DER_TAG_CONTEXT(0), &wrapper, &present)) != DER_OK)
        return fail(err, "crlExtensions", rc);
    if (present && (rc = read_crl_extensions(&wrapper, crl)) != DER_OK)
        return fail(err, "crlExtensions", rc);
    if (present && crl->version != 2)
        return fail(err, "version (extensions need v2)", DER_ERR_BAD_VALUE);
    if ((rc = der_expect_end(&body)) != DER_OK)
        return fail(err, "end of TBSCertList", rc);
    return 0;
}

int crl_find_serial(const struct crl *crl, const uint8_t *serial, size_t serial_len,
                    struct crl_entry *entry)
{
    struct der_cursor list = crl->revoked, listed;
    bool ignored = false;
    while (!der_is_empty(&list)) {
        struct crl_entry e;
        if (read_entry(&list, &e, &listed, &ignored) != DER_OK)
            return 1; /* crl_parse has checked every entry; not reached */
        if (listed.left == serial_len && memcmp(listed.p, serial, serial_len) == 0) {
            *entry = e;
            return 0;
        }
    }
    return 1;
}
