/* site.c — TLS contexts with or without a staple, and their safe swap. */
#include "site.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <stdlib.h>
#include <string.h>

/* wolfSSL 5.9.2 asks for the staple through the OpenSSL-style status
 * callback in every handshake whose ClientHello carries status_request (TLS
 * 1.2: src/internal.c BuildCertificateStatusWithStatusCB; TLS 1.3: src/tls.c
 * TLSX_CSR_SetResponseWithStatusCB) and sends the bytes it is handed as they
 * are, freeing them with the connection. The staple was checked with the
 * lab's verifier before it became this site's (DESIGN 8). */
static int give_staple(WOLFSSL *ssl, void *arg)
{
    (void)arg;
    struct site *site = wolfSSL_get_app_data(ssl);
    if (site == NULL || site->staple == NULL)
        return WOLFSSL_OCSP_STATUS_CB_NOACK; /* no staple: none is sent */
    unsigned char *copy = malloc(site->staple_len);
    if (copy == NULL)
        return WOLFSSL_OCSP_STATUS_CB_NOACK;
    memcpy(copy, site->staple, site->staple_len);
    if (wolfSSL_set_tlsext_status_ocsp_resp(ssl, copy, (int)site->staple_len) != WOLFSSL_SUCCESS) {
        free(copy);
        return WOLFSSL_OCSP_STATUS_CB_NOACK;
    }
    return WOLFSSL_OCSP_STATUS_CB_OK;
}

int site_create(const struct site_spec *spec, struct site **out, struct errbuf *err)
{
    struct site *site = calloc(1, sizeof *site);
    *out = NULL;
    if (site == NULL) {
        errbuf_set(err, "out of memory");
        return -1;
    }
    site->refs = 1;
    site->cert_der = malloc(spec->cert_der_len);
    if (site->cert_der == NULL) {
        errbuf_set(err, "out of memory");
        goto fail;
    }
    memcpy(site->cert_der, spec->cert_der, spec->cert_der_len);
    site->cert_der_len = spec->cert_der_len;
    WOLFSSL_METHOD *method = spec->versions == TLS_ONLY_12   ? wolfTLSv1_2_server_method()
                             : spec->versions == TLS_ONLY_13 ? wolfTLSv1_3_server_method()
                                                             : wolfSSLv23_server_method();
    site->ctx = wolfSSL_CTX_new(method);
    if (site->ctx == NULL) {
        errbuf_set(err, "cannot create a TLS context");
        goto fail;
    }
    if (spec->versions == TLS_BOTH &&
        wolfSSL_CTX_SetMinVersion(site->ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
        errbuf_set(err, "cannot require TLS 1.2 or newer");
        goto fail;
    }
    /* The chain sent is the certificate and its issuer. A browser with the
     * lab root needs only the leaf, but clients that check a staple with
     * OpenSSL (curl --cert-status) look for the issuer in the chain the
     * server sent, to compute the CertID (curl lib/vtls/openssl.c). */
    size_t chain_len = spec->cert_der_len + spec->ca_der_len;
    uint8_t *chain = malloc(chain_len);
    if (chain == NULL) {
        errbuf_set(err, "out of memory");
        goto fail;
    }
    memcpy(chain, spec->cert_der, spec->cert_der_len);
    memcpy(chain + spec->cert_der_len, spec->ca_der, spec->ca_der_len);
    int chain_rc = wolfSSL_CTX_use_certificate_chain_buffer_format(
        site->ctx, chain, (long)chain_len, WOLFSSL_FILETYPE_ASN1);
    free(chain);
    if (chain_rc != WOLFSSL_SUCCESS) {
        errbuf_set(err, "wolfSSL refused the server certificate chain");
        goto fail;
    }
    if (wolfSSL_CTX_use_PrivateKey_buffer(
            site->ctx, spec->key, (long)spec->key_len,
            spec->is_key_pem ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_check_private_key(site->ctx) != WOLFSSL_SUCCESS) {
        errbuf_set(err, "the private key does not match the certificate");
        goto fail;
    }
    if (spec->staple != NULL) {
        site->staple = malloc(spec->staple_len);
        if (site->staple == NULL) {
            errbuf_set(err, "out of memory");
            goto fail;
        }
        memcpy(site->staple, spec->staple, spec->staple_len);
        site->staple_len = spec->staple_len;
        if (wolfSSL_CTX_EnableOCSPStapling(site->ctx) != WOLFSSL_SUCCESS ||
            wolfSSL_CTX_set_tlsext_status_cb(site->ctx, give_staple) != WOLFSSL_SUCCESS) {
            errbuf_set(err, "cannot enable OCSP stapling in wolfSSL");
            goto fail;
        }
    }
    /* No staple: stapling stays off in this context, so a client that asks
     * gets no CertificateStatus at all rather than an error. */
    *out = site;
    return 0;
fail:
    site_release(site);
    return -1;
}

void site_retain(struct site *site)
{
    __atomic_add_fetch(&site->refs, 1, __ATOMIC_SEQ_CST);
}

void site_release(struct site *site)
{
    if (site == NULL || __atomic_sub_fetch(&site->refs, 1, __ATOMIC_SEQ_CST) != 0)
        return;
    if (site->ctx != NULL)
        wolfSSL_CTX_free(site->ctx);
    free(site->cert_der);
    free(site->staple);
    free(site);
}

void site_slot_init(struct site_slot *slot)
{
    pthread_mutex_init(&slot->lock, NULL);
    slot->current = NULL;
}

struct site *site_slot_get(struct site_slot *slot)
{
    pthread_mutex_lock(&slot->lock);
    struct site *site = slot->current;
    if (site != NULL)
        site_retain(site);
    pthread_mutex_unlock(&slot->lock);
    return site;
}

void site_slot_set(struct site_slot *slot, struct site *site)
{
    pthread_mutex_lock(&slot->lock);
    struct site *old = slot->current;
    slot->current = site;
    pthread_mutex_unlock(&slot->lock);
    site_release(old);
}

void site_slot_free(struct site_slot *slot)
{
    site_slot_set(slot, NULL);
    pthread_mutex_destroy(&slot->lock);
}
