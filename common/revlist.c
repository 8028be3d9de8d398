/* revlist.c — the lab's pushed revocation list, written and read with the
 * shared DER writer and reader. */
#include "revlist.h"

#include <string.h>

#include "ocsp_verify.h"
#include "sigverify.h"

int revlist_make(const struct crl_entry *revoked, size_t count, uint64_t version,
                 int64_t produced_at, struct lab_key *key, WC_RNG *rng, struct der_buf *out,
                 struct errbuf *err)
{
    struct der_buf tbs = {0};
    uint8_t key_id[KEY_ID_LEN], version_bytes[8];
    int rc = -1;
    if (key_identifier(key, key_id, err) != 0)
        goto out;
    for (size_t i = 0; i < sizeof version_bytes; i++)
        version_bytes[i] = (uint8_t)(version >> (56 - 8 * i));
    der_begin(&tbs, DER_TAG_SEQUENCE);
    der_write_small_int(&tbs, REVLIST_FORMAT);
    der_write_octet_string(&tbs, key_id, sizeof key_id);
    der_write_unsigned_integer(&tbs, version_bytes, sizeof version_bytes);
    der_write_generalized_time(&tbs, produced_at);
    der_begin(&tbs, DER_TAG_SEQUENCE);
    for (size_t i = 0; i < count; i++)
        der_write_unsigned_integer(&tbs, revoked[i].serial, revoked[i].serial_len);
    der_end(&tbs);
    der_end(&tbs);
    rc = key_write_signed(key, rng, &tbs, out, "revocation list", err);
out:
    der_buf_free(&tbs);
    return rc;
}

static int fail(struct errbuf *err, const char *part, int der_rc)
{
    errbuf_set(err, "malformed revocation list: bad %s (%s)", part, der_strerror(der_rc));
    return -1;
}

int revlist_parse(struct revlist *list, const uint8_t *der, size_t len, struct errbuf *err)
{
    struct der_cursor in = der_cursor_init(der, len), body, tbs, alg;
    const uint8_t *bits, *value;
    size_t bits_len, value_len;
    unsigned unused;
    int64_t format;
    int rc;

    memset(list, 0, sizeof *list);
    if ((rc = der_read_sequence(&in, &body)) != DER_OK || (rc = der_expect_end(&in)) != DER_OK)
        return fail(err, "outer SEQUENCE", rc);
    if ((rc = der_read_raw(&body, DER_TAG_SEQUENCE, &list->tbs)) != DER_OK)
        return fail(err, "signed part", rc);
    if ((rc = der_read_sequence(&body, &alg)) != DER_OK ||
        (rc = der_read_oid(&alg, &list->signature_algorithm)) != DER_OK)
        return fail(err, "signatureAlgorithm", rc);
    if ((rc = der_read_bit_string(&body, &bits, &bits_len, &unused)) != DER_OK ||
        (rc = der_expect_end(&body)) != DER_OK)
        return fail(err, "signature", rc);
    list->signature = der_cursor_init(bits, bits_len);

    tbs = list->tbs;
    if ((rc = der_read_sequence(&tbs, &body)) != DER_OK ||
        (rc = der_read_small_int(&body, &format)) != DER_OK)
        return fail(err, "format", rc);
    if (format != REVLIST_FORMAT)
        return fail(err, "format (not 1)", DER_ERR_BAD_VALUE);
    if ((rc = der_read_octet_string(&body, &value, &value_len)) != DER_OK)
        return fail(err, "issuerKeyId", rc);
    list->issuer_key_id = der_cursor_init(value, value_len);
    if ((rc = der_read_integer_bytes(&body, &value, &value_len)) != DER_OK)
        return fail(err, "version", rc);
    if ((value[0] & 0x80) != 0 || value_len > 9 || (value_len == 9 && value[0] != 0))
        return fail(err, "version", DER_ERR_BAD_VALUE);
    for (size_t i = 0; i < value_len; i++)
        list->version = list->version << 8 | value[i];
    if ((rc = der_read_time(&body, &list->produced_at)) != DER_OK)
        return fail(err, "producedAt", rc);
    if ((rc = der_read_sequence(&body, &list->serials)) != DER_OK ||
        (rc = der_expect_end(&body)) != DER_OK)
        return fail(err, "serials", rc);
    struct der_cursor walk = list->serials;
    while (!der_is_empty(&walk)) {
        if ((rc = der_read_integer_bytes(&walk, &value, &value_len)) != DER_OK)
            return fail(err, "serial", rc);
        list->count++;
    }
    return 0;
}

int revlist_verify(const struct revlist *list, const struct x509_cert *issuer, int64_t now,
                   const char **reason, struct errbuf *err)
{
    const char *alg_name;
    if (!sig_key_id_matches(issuer, &list->issuer_key_id)) {
        *reason = "wrong-issuer";
        errbuf_set(err, "The revocation list was made for another CA's certificates.");
        return -1;
    }
    if (!sig_verify(&list->signature_algorithm, &list->tbs, &list->signature, issuer, &alg_name)) {
        *reason = "bad-signature";
        errbuf_set(err,
                   "The revocation list's signature (%s) does not verify with the CA's "
                   "key: it was altered or forged.",
                   alg_name);
        return -1;
    }
    if (list->produced_at > now + OCSP_VERIFY_SKEW_SECONDS) {
        *reason = "not-yet-valid";
        errbuf_set(err, "The revocation list claims to be made in the future.");
        return -1;
    }
    if (list->produced_at < now - REVLIST_MAX_AGE_SECONDS) {
        *reason = "stale";
        errbuf_set(err, "The revocation list is more than 7 days old: the pushes stopped, and "
                        "revocations since then are unseen.");
        return -1;
    }
    return 0;
}

bool revlist_contains(const struct revlist *list, const uint8_t *serial, size_t serial_len)
{
    struct der_cursor walk = list->serials;
    const uint8_t *value;
    size_t value_len;
    while (der_read_integer_bytes(&walk, &value, &value_len) == DER_OK)
        if (value_len == serial_len && memcmp(value, serial, serial_len) == 0)
            return true;
    return false;
}
