/* certbuild.c — TBSCertificate and extensions, written with the DER writer. */
#include "certbuild.h"

#include <string.h>

#include "x509.h"

int certbuild_random_serial(WC_RNG *rng, uint8_t serial[CERT_SERIAL_LEN], struct errbuf *err)
{
    int ret = wc_RNG_GenerateBlock(rng, serial, CERT_SERIAL_LEN);
    if (ret != 0) {
        errbuf_set(err, "cannot draw a random serial (wolfCrypt %d)", ret);
        return -1;
    }
    /* Clear the sign bit and set the next one: positive, and always exactly
     * 16 bytes long, so every serial prints the same width. */
    serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
    return 0;
}

/* X.520 ub-common-name: a CN holds at most 64 characters. A longer DNS name
 * lives only in the SAN, with an empty subject (RFC 5280 4.2.1.6). */
#define CN_MAX_LEN 64

static bool fits_common_name(const char *name)
{
    return strlen(name) <= CN_MAX_LEN;
}

static void write_name(struct der_buf *out, const char *common_name, const char *organization)
{
    der_begin(out, DER_TAG_SEQUENCE);
    if (!fits_common_name(common_name) && organization == NULL) {
        der_end(out); /* empty subject: the SAN, marked critical, names the server */
        return;
    }
    if (organization != NULL) {
        der_begin(out, DER_TAG_SET);
        der_begin(out, DER_TAG_SEQUENCE);
        der_write_oid(out, OID_ORGANIZATION);
        der_write_tlv(out, DER_TAG_UTF8_STRING, (const uint8_t *)organization,
                      strlen(organization));
        der_end(out);
        der_end(out);
    }
    der_begin(out, DER_TAG_SET);
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_oid(out, OID_COMMON_NAME);
    der_write_tlv(out, DER_TAG_UTF8_STRING, (const uint8_t *)common_name, strlen(common_name));
    der_end(out);
    der_end(out);
    der_end(out);
}

/* Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }.
 * DER forbids encoding a DEFAULT value, so FALSE is left out. The value is
 * opened here and closed by end_extension. */
static void begin_extension(struct der_buf *out, const char *oid, bool is_critical)
{
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_oid(out, oid);
    if (is_critical)
        der_write_boolean(out, true);
    der_begin(out, DER_TAG_OCTET_STRING);
}

static void end_extension(struct der_buf *out)
{
    der_end(out); /* extnValue */
    der_end(out); /* Extension */
}

/* KeyUsage bits (RFC 5280 4.2.1.3), numbered from the most significant bit. */
#define KU_DIGITAL_SIGNATURE 0
#define KU_KEY_CERT_SIGN 5
#define KU_CRL_SIGN 6

static void write_key_usage(struct der_buf *out, const int *bits, size_t count)
{
    uint8_t value = 0;
    int last = 0;
    for (size_t i = 0; i < count; i++) {
        value |= (uint8_t)(0x80u >> bits[i]);
        if (bits[i] > last)
            last = bits[i];
    }
    begin_extension(out, OID_KEY_USAGE, true);
    /* A named bit list drops trailing zero bits in DER (X.690 11.2.2). */
    der_write_bit_string(out, &value, 1, (unsigned)(7 - last));
    end_extension(out);
}

static void write_key_ids(struct der_buf *out, const uint8_t subject_id[KEY_ID_LEN],
                          const uint8_t issuer_id[KEY_ID_LEN])
{
    begin_extension(out, OID_SUBJECT_KEY_ID, false);
    der_write_octet_string(out, subject_id, KEY_ID_LEN);
    end_extension(out);
    /* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } */
    begin_extension(out, OID_AUTHORITY_KEY_ID, false);
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_tlv(out, DER_TAG_CONTEXT_PRIMITIVE(0), issuer_id, KEY_ID_LEN);
    der_end(out);
    end_extension(out);
}

static void write_eku(struct der_buf *out, const char *purpose)
{
    begin_extension(out, OID_EXT_KEY_USAGE, false);
    der_begin(out, DER_TAG_SEQUENCE);
    der_write_oid(out, purpose);
    der_end(out);
    end_extension(out);
}

static void write_extensions(struct der_buf *out, const struct cert_request *req,
                             const uint8_t subject_id[KEY_ID_LEN],
                             const uint8_t issuer_id[KEY_ID_LEN])
{
    der_begin(out, DER_TAG_CONTEXT(3));
    der_begin(out, DER_TAG_SEQUENCE);

    /* basicConstraints, critical in every profile: RFC 5280 4.2.1.9 requires it
     * critical for a CA, and marking leaves critical too stops a client that
     * cannot read it from mistaking a leaf for a CA. */
    begin_extension(out, OID_BASIC_CONSTRAINTS, true);
    der_begin(out, DER_TAG_SEQUENCE);
    if (req->profile == PROFILE_ROOT)
        der_write_boolean(out, true); /* cA TRUE; no pathLen: the lab has one level */
    der_end(out);
    end_extension(out);

    if (req->profile == PROFILE_ROOT) {
        const int bits[] = {KU_KEY_CERT_SIGN, KU_CRL_SIGN};
        write_key_usage(out, bits, 2);
    } else {
        const int bits[] = {KU_DIGITAL_SIGNATURE};
        write_key_usage(out, bits, 1);
    }
    write_key_ids(out, subject_id, issuer_id);

    if (req->profile == PROFILE_OCSP_SIGNER) {
        /* RFC 6960 4.2.2.2: a delegate is recognised by this EKU in a
         * certificate the CA issued directly. */
        write_eku(out, OID_KP_OCSP_SIGNING);
        /* RFC 6960 4.2.2.2.1: clients need not check the delegate's own
         * revocation status; the value is NULL. */
        begin_extension(out, OID_OCSP_NOCHECK, false);
        der_write_null(out);
        end_extension(out);
    }

    if (req->profile == PROFILE_SERVER) {
        write_eku(out, OID_KP_SERVER_AUTH);
        /* subjectAltName: dNSName [2] IMPLICIT IA5String (RFC 5280 4.2.1.6). */
        begin_extension(out, OID_SUBJECT_ALT_NAME, !fits_common_name(req->common_name));
        der_begin(out, DER_TAG_SEQUENCE);
        der_write_tlv(out, DER_TAG_CONTEXT_PRIMITIVE(2), (const uint8_t *)req->common_name,
                      strlen(req->common_name));
        der_end(out);
        end_extension(out);
        /* Authority Information Access with the OCSP responder (RFC 5280
         * 4.2.2.1): uniformResourceIdentifier [6] IMPLICIT IA5String. */
        begin_extension(out, OID_AUTHORITY_INFO_ACCESS, false);
        der_begin(out, DER_TAG_SEQUENCE);
        der_begin(out, DER_TAG_SEQUENCE);
        der_write_oid(out, OID_AD_OCSP);
        der_write_tlv(out, DER_TAG_CONTEXT_PRIMITIVE(6), (const uint8_t *)req->ocsp_url,
                      strlen(req->ocsp_url));
        der_end(out);
        der_end(out);
        end_extension(out);
        /* CRL Distribution Points (RFC 5280 4.2.1.13): one DistributionPoint
         * whose distributionPoint [0] is a fullName [0] GeneralNames holding
         * a uniformResourceIdentifier [6]. */
        begin_extension(out, OID_CRL_DISTRIBUTION_POINTS, false);
        der_begin(out, DER_TAG_SEQUENCE);
        der_begin(out, DER_TAG_SEQUENCE);
        der_begin(out, DER_TAG_CONTEXT(0));
        der_begin(out, DER_TAG_CONTEXT(0));
        der_write_tlv(out, DER_TAG_CONTEXT_PRIMITIVE(6), (const uint8_t *)req->crl_url,
                      strlen(req->crl_url));
        der_end(out);
        der_end(out);
        der_end(out);
        der_end(out);
        end_extension(out);
        if (req->is_must_staple) {
            /* TLS Feature (RFC 7633): Features ::= SEQUENCE OF INTEGER;
             * status_request (5) makes a missing staple fatal. */
            begin_extension(out, OID_TLS_FEATURE, false);
            der_begin(out, DER_TAG_SEQUENCE);
            der_write_small_int(out, TLS_FEATURE_STATUS_REQUEST);
            der_end(out);
            end_extension(out);
        }
    }

    der_end(out); /* SEQUENCE OF Extension */
    der_end(out); /* [3] */
}

int certbuild_make(const struct cert_request *req, WC_RNG *rng, struct der_buf *out,
                   struct errbuf *err)
{
    struct der_buf tbs = {0};
    struct der_buf subject = {0};
    uint8_t subject_id[KEY_ID_LEN], issuer_id[KEY_ID_LEN];
    int rc = -1;

    if (key_identifier(req->subject_key, subject_id, err) != 0 ||
        key_identifier(req->issuer_key, issuer_id, err) != 0)
        goto out;
    write_name(&subject, req->common_name, req->organization);

    der_begin(&tbs, DER_TAG_SEQUENCE);
    der_begin(&tbs, DER_TAG_CONTEXT(0)); /* version [0] EXPLICIT: v3 is 2 */
    der_write_small_int(&tbs, 2);
    der_end(&tbs);
    der_write_unsigned_integer(&tbs, req->serial, CERT_SERIAL_LEN);
    key_write_signature_algorithm(req->issuer_key, &tbs);
    if (req->issuer_name != NULL)
        der_write_raw(&tbs, req->issuer_name, req->issuer_name_len);
    else
        der_write_raw(&tbs, subject.data, subject.len); /* self-signed */
    der_begin(&tbs, DER_TAG_SEQUENCE);
    der_write_x509_time(&tbs, req->not_before);
    der_write_x509_time(&tbs, req->not_after);
    der_end(&tbs);
    der_write_raw(&tbs, subject.data, subject.len);
    if (key_write_spki(req->subject_key, &tbs, err) != 0)
        goto out;
    write_extensions(&tbs, req, subject_id, issuer_id);
    der_end(&tbs);
    if (der_buf_error(&subject) != DER_OK || der_buf_error(&tbs) != DER_OK) {
        errbuf_set(err, "cannot encode the certificate: %s",
                   der_strerror(der_buf_error(&tbs) != DER_OK ? der_buf_error(&tbs)
                                                              : der_buf_error(&subject)));
        goto out;
    }

    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } */
    if (key_write_signed(req->issuer_key, rng, &tbs, out, "certificate", err) != 0)
        goto out;
    rc = 0;
out:
    der_buf_free(&tbs);
    der_buf_free(&subject);
    return rc;
}
