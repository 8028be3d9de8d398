/* x509.c — strict structural parsing of X.509 v3 certificates (RFC 5280 4.1). */
#include "x509.h"

#include <string.h>

static int fail(struct errbuf *err, const char *part, int der_rc)
{
    errbuf_set(err, "malformed certificate: bad %s (%s)", part, der_strerror(der_rc));
    return -1;
}

int x509_parse(struct x509_cert *cert, const uint8_t *der, size_t len, struct errbuf *err)
{
    struct der_cursor in = der_cursor_init(der, len);
    struct der_cursor body, tbs, alg, validity, spki_body, spki_alg, ver;
    const uint8_t *bits;
    size_t bits_len;
    unsigned unused;
    bool present;
    int64_t version = 0;
    int rc;

    memset(cert, 0, sizeof *cert);
    cert->der = in;
    if ((rc = der_read_sequence(&in, &body)) != DER_OK)
        return fail(err, "outer SEQUENCE", rc);
    if ((rc = der_expect_end(&in)) != DER_OK)
        return fail(err, "end (bytes after the certificate)", rc);
    if ((rc = der_read_raw(&body, DER_TAG_SEQUENCE, &cert->tbs)) != DER_OK)
        return fail(err, "TBSCertificate", rc);
    if ((rc = der_read_sequence(&body, &alg)) != DER_OK ||
        (rc = der_read_oid(&alg, &cert->signature_algorithm)) != DER_OK)
        return fail(err, "signatureAlgorithm", rc);
    if ((rc = der_read_bit_string(&body, &bits, &bits_len, &unused)) != DER_OK)
        return fail(err, "signatureValue", rc);
    cert->signature = der_cursor_init(bits, bits_len);
    if ((rc = der_expect_end(&body)) != DER_OK)
        return fail(err, "end of Certificate", rc);

    tbs = cert->tbs;
    if ((rc = der_read_sequence(&tbs, &body)) != DER_OK)
        return fail(err, "TBSCertificate", rc);
    if ((rc = der_read_optional(&body, DER_TAG_CONTEXT(0), &ver, &present)) != DER_OK)
        return fail(err, "version", rc);
    if (present && ((rc = der_read_small_int(&ver, &version)) != DER_OK ||
                    (rc = der_expect_end(&ver)) != DER_OK))
        return fail(err, "version", rc);
    if (version < 0 || version > 2)
        return fail(err, "version", DER_ERR_BAD_VALUE);
    cert->version = (int)version + 1;
    if ((rc = der_read_tagged(&body, DER_TAG_INTEGER, &cert->serial)) != DER_OK)
        return fail(err, "serialNumber", rc);
    if ((rc = der_read_sequence(&body, NULL)) != DER_OK)
        return fail(err, "signature algorithm", rc);
    if ((rc = der_read_raw(&body, DER_TAG_SEQUENCE, &cert->issuer)) != DER_OK)
        return fail(err, "issuer", rc);
    if ((rc = der_read_sequence(&body, &validity)) != DER_OK ||
        (rc = der_read_time(&validity, &cert->not_before)) != DER_OK ||
        (rc = der_read_time(&validity, &cert->not_after)) != DER_OK ||
        (rc = der_expect_end(&validity)) != DER_OK)
        return fail(err, "validity", rc);
    if ((rc = der_read_raw(&body, DER_TAG_SEQUENCE, &cert->subject)) != DER_OK)
        return fail(err, "subject", rc);
    if ((rc = der_read_raw(&body, DER_TAG_SEQUENCE, &cert->spki)) != DER_OK)
        return fail(err, "subjectPublicKeyInfo", rc);
    spki_body = cert->spki;
    if ((rc = der_read_sequence(&spki_body, &spki_body)) != DER_OK ||
        (rc = der_read_sequence(&spki_body, &spki_alg)) != DER_OK ||
        (rc = der_read_oid(&spki_alg, &cert->key_algorithm)) != DER_OK ||
        (rc = der_read_bit_string(&spki_body, &bits, &bits_len, &unused)) != DER_OK ||
        (rc = der_expect_end(&spki_body)) != DER_OK)
        return fail(err, "subjectPublicKeyInfo", rc);
    cert->public_key = der_cursor_init(bits, bits_len);
    /* issuerUniqueID [1] and subjectUniqueID [2] are legal in v2/v3; skip them. */
    for (uint8_t tag = 1; tag <= 2; tag++)
        if ((rc = der_read_optional(&body, DER_TAG_CONTEXT_PRIMITIVE(tag), NULL, &present)) !=
            DER_OK)
            return fail(err, "unique identifier", rc);
    struct der_cursor ext_wrapper;
    if ((rc = der_read_optional(&body, DER_TAG_CONTEXT(3), &ext_wrapper, &present)) != DER_OK)
        return fail(err, "extensions", rc);
    if (present && ((rc = der_read_sequence(&ext_wrapper, &cert->extensions)) != DER_OK ||
                    (rc = der_expect_end(&ext_wrapper)) != DER_OK))
        return fail(err, "extensions", rc);
    if ((rc = der_expect_end(&body)) != DER_OK)
        return fail(err, "end of TBSCertificate", rc);
    return 0;
}

int x509_find_extension(const struct x509_cert *cert, const char *oid, struct der_cursor *value,
                        bool *is_critical)
{
    struct der_cursor exts = cert->extensions;
    while (!der_is_empty(&exts)) {
        struct der_cursor ext, id;
        bool critical = false;
        const uint8_t *v;
        size_t v_len;
        if (der_read_sequence(&exts, &ext) != DER_OK || der_read_oid(&ext, &id) != DER_OK)
            return -1;
        if (der_peek_tag(&ext, DER_TAG_BOOLEAN) && der_read_boolean(&ext, &critical) != DER_OK)
            return -1;
        if (der_read_octet_string(&ext, &v, &v_len) != DER_OK || der_expect_end(&ext) != DER_OK)
            return -1;
        if (der_oid_equals(&id, oid)) {
            if (value != NULL)
                *value = der_cursor_init(v, v_len);
            if (is_critical != NULL)
                *is_critical = critical;
            return 0;
        }
    }
    return 1;
}

int x509_crl_url(const struct x509_cert *cert, char *url, size_t cap)
{
    struct der_cursor value, points;
    int found = x509_find_extension(cert, OID_CRL_DISTRIBUTION_POINTS, &value, NULL);
    if (found != 0)
        return found;
    if (der_read_sequence(&value, &points) != DER_OK || der_expect_end(&value) != DER_OK)
        return -1;
    while (!der_is_empty(&points)) {
        struct der_cursor point, name, full, location;
        bool present;
        if (der_read_sequence(&points, &point) != DER_OK ||
            der_read_optional(&point, DER_TAG_CONTEXT(0), &name, &present) != DER_OK)
            return -1;
        /* distributionPoint [0] { fullName [0] GeneralNames }; a name
         * relative to the issuer ([1]) or reasons/cRLIssuer are skipped. */
        if (!present || !der_peek_tag(&name, DER_TAG_CONTEXT(0)))
            continue;
        if (der_read_tagged(&name, DER_TAG_CONTEXT(0), &full) != DER_OK)
            return -1;
        while (!der_is_empty(&full)) {
            uint8_t tag;
            if (der_read_any(&full, &tag, &location, NULL) != DER_OK)
                return -1;
            if (tag != DER_TAG_CONTEXT_PRIMITIVE(6))
                continue;
            if (location.left >= cap)
                return -1;
            memcpy(url, location.p, location.left);
            url[location.left] = 0;
            return 0;
        }
    }
    return 1;
}

int x509_ocsp_url(const struct x509_cert *cert, char *url, size_t cap)
{
    struct der_cursor value, list;
    int found = x509_find_extension(cert, OID_AUTHORITY_INFO_ACCESS, &value, NULL);
    if (found != 0)
        return found;
    if (der_read_sequence(&value, &list) != DER_OK || der_expect_end(&value) != DER_OK)
        return -1;
    while (!der_is_empty(&list)) {
        struct der_cursor desc, method, location;
        if (der_read_sequence(&list, &desc) != DER_OK || der_read_oid(&desc, &method) != DER_OK)
            return -1;
        /* GeneralName uniformResourceIdentifier is [6] IMPLICIT IA5String. */
        if (der_oid_equals(&method, OID_AD_OCSP) &&
            der_peek_tag(&desc, DER_TAG_CONTEXT_PRIMITIVE(6))) {
            if (der_read_tagged(&desc, DER_TAG_CONTEXT_PRIMITIVE(6), &location) != DER_OK ||
                location.left >= cap)
                return -1;
            memcpy(url, location.p, location.left);
            url[location.left] = 0;
            return 0;
        }
    }
    return 1;
}

bool x509_is_must_staple(const struct x509_cert *cert)
{
    struct der_cursor value, features;
    if (x509_find_extension(cert, OID_TLS_FEATURE, &value, NULL) != 0 ||
        der_read_sequence(&value, &features) != DER_OK)
        return false;
    while (!der_is_empty(&features)) {
        int64_t feature;
        if (der_read_small_int(&features, &feature) != DER_OK)
            return false;
        if (feature == TLS_FEATURE_STATUS_REQUEST)
            return true;
    }
    return false;
}

bool x509_has_eku(const struct x509_cert *cert, const char *oid)
{
    struct der_cursor value, purposes;
    if (x509_find_extension(cert, OID_EXT_KEY_USAGE, &value, NULL) != 0 ||
        der_read_sequence(&value, &purposes) != DER_OK)
        return false;
    while (!der_is_empty(&purposes)) {
        struct der_cursor purpose;
        if (der_read_oid(&purposes, &purpose) != DER_OK)
            return false;
        if (der_oid_equals(&purpose, oid))
            return true;
    }
    return false;
}

int x509_subject_cn(const struct x509_cert *cert, char *out, size_t cap)
{
    struct der_cursor name = cert->subject, rdns;
    out[0] = 0;
    if (der_read_sequence(&name, &rdns) != DER_OK)
        return -1;
    while (!der_is_empty(&rdns)) {
        struct der_cursor set, atv, type, value;
        uint8_t tag;
        if (der_read_set(&rdns, &set) != DER_OK)
            return -1;
        while (!der_is_empty(&set)) {
            if (der_read_sequence(&set, &atv) != DER_OK || der_read_oid(&atv, &type) != DER_OK ||
                der_read_any(&atv, &tag, &value, NULL) != DER_OK)
                return -1;
            if (der_oid_equals(&type, OID_COMMON_NAME)) {
                size_t n = value.left < cap - 1 ? value.left : cap - 1;
                memcpy(out, value.p, n);
                out[n] = 0;
                return 0;
            }
        }
    }
    return 0;
}
