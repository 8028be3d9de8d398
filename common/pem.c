/* pem.c — certificate PEM files, using wolfCrypt's base64 PEM codec. */
#include "pem.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include <stdlib.h>
#include <string.h>

#include "fileio.h"

int pem_read_certificate(const char *path, struct der_buf *der, struct errbuf *err)
{
    uint8_t *text = NULL;
    size_t text_len = 0;
    uint8_t *decoded = NULL;
    int rc = -1;

    if (file_read_all(path, PEM_MAX_FILE_BYTES, &text, &text_len, err) != 0)
        return -1;
    if (text_len > 0 && text[0] == DER_TAG_SEQUENCE) {
        /* Already DER: take it as it is; the caller's parser checks it. */
        if (der_write_raw(der, text, text_len) != DER_OK)
            goto nomem;
        rc = 0;
        goto out;
    }
    decoded = malloc(text_len + 1);
    if (decoded == NULL)
        goto nomem;
    int len = wc_CertPemToDer(text, (int)text_len, decoded, (int)text_len + 1, CERT_TYPE);
    if (len <= 0) {
        errbuf_set(err, "cannot read %s: no PEM CERTIFICATE in it", path);
        goto out;
    }
    if (der_write_raw(der, decoded, (size_t)len) != DER_OK)
        goto nomem;
    rc = 0;
    goto out;
nomem:
    errbuf_set(err, "cannot read %s: out of memory", path);
out:
    free(decoded);
    free(text);
    return rc;
}

int pem_encode_certificate(const uint8_t *der, size_t der_len, struct der_buf *pem,
                           struct errbuf *err)
{
    /* Base64 grows by 4/3, plus a newline per 64 characters and the armour. */
    size_t cap = der_len * 2 + 128;
    uint8_t *text = malloc(cap);
    int rc = -1;
    if (text == NULL) {
        errbuf_set(err, "cannot encode a certificate: out of memory");
        return -1;
    }
    int len = wc_DerToPem(der, (word32)der_len, text, (word32)cap, CERT_TYPE);
    if (len <= 0) {
        errbuf_set(err, "cannot encode a certificate as PEM (wolfCrypt %d)", len);
        goto out;
    }
    if (der_write_raw(pem, text, (size_t)len) != DER_OK) {
        errbuf_set(err, "cannot encode a certificate: out of memory");
        goto out;
    }
    rc = 0;
out:
    free(text);
    return rc;
}
