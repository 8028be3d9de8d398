/* forge.c — building the lesson's OCSP responses (RFC 6960 4.2.1). The
 * browser must refuse every one of them except those signed by the CA or by
 * the delegate the CA authorised (RFC 6960 4.2.2.2). */
#include "forge.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "der.h"
#include "fileio.h"
#include "keys.h"
#include "lab.h"
#include "ocsp.h"
#include "pem.h"
#include "x509.h"

struct loaded_cert {
    struct der_buf der;
    struct x509_cert cert;
};

static int load_cert(const char *lab, const char *rel, struct loaded_cert *out, struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    if (file_path_join(path, sizeof path, lab, rel) != 0) {
        errbuf_set(err, "lab path too long");
        return -1;
    }
    if (pem_read_certificate(path, &out->der, err) != 0 ||
        x509_parse(&out->cert, out->der.data, out->der.len, err) != 0)
        return -1;
    return 0;
}

static int load_key(const char *lab, const char *rel, struct lab_key *key, struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    if (file_path_join(path, sizeof path, lab, rel) != 0) {
        errbuf_set(err, "lab path too long");
        return -1;
    }
    return key_load_pem(key, path, err);
}

int scn_forge(const char *lab, const char *site, const char *signer_name, const char *status,
              int64_t now, const char *out_path, struct errbuf *err)
{
    struct loaded_cert root = {0}, about = {0}, signer_cert = {0};
    struct der_buf id_der = {0}, out = {0};
    struct ocsp_cert_id_value id;
    struct lab_key key;
    char rel[LAB_PATH_MAX];
    WC_RNG rng;
    bool has_rng = false;
    int rc = -1;

    memset(&key, 0, sizeof key);
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, site);
    if (load_cert(lab, LAB_ROOT_CERT, &root, err) != 0 || load_cert(lab, rel, &about, err) != 0)
        goto out;
    if (wc_InitRng(&rng) != 0) {
        errbuf_set(err, "cannot start wolfCrypt's random generator");
        goto out;
    }
    has_rng = true;
    if (ocsp_cert_id_compute(&about.cert, &root.cert, OCSP_HASH_SHA1, &id, err) != 0)
        goto out;
    if (ocsp_cert_id_write(&id, &id_der) != DER_OK) {
        errbuf_set(err, "out of memory");
        goto out;
    }
    struct ocsp_single_response single = {
        .cert_id_raw = der_cursor_init(id_der.data, id_der.len),
        .status = strcmp(status, "revoked") == 0   ? OCSP_CERT_STATUS_REVOKED
                  : strcmp(status, "unknown") == 0 ? OCSP_CERT_STATUS_UNKNOWN
                                                   : OCSP_CERT_STATUS_GOOD,
        .revocation_time = now - 3600,
        .revocation_reason = strcmp(status, "revoked") == 0 ? 1 /* keyCompromise */ : -1,
        .this_update = now - 60,
        .has_next_update = true,
        .next_update = now - 60 + 86400,
    };
    struct ocsp_signer signer = {.key = &key, .cert = &root.cert};
    if (strcmp(signer_name, "ca") == 0) {
        if (load_key(lab, LAB_ROOT_KEY, &key, err) != 0)
            goto out;
    } else if (strcmp(signer_name, "delegate") == 0) {
        if (load_key(lab, LAB_DELEGATE_KEY, &key, err) != 0 ||
            load_cert(lab, LAB_DELEGATE_CERT, &signer_cert, err) != 0)
            goto out;
        signer.cert = &signer_cert.cert;
        signer.include_cert = true;
    } else if (strcmp(signer_name, "stranger") == 0) {
        /* A key nobody vouches for, naming the CA as the signer: only the
         * signature can give it away. */
        if (key_generate(&key, KEY_EC_P256, &rng, err) != 0)
            goto out;
        signer.responder_id_by_name = true;
    } else {
        /* Another certificate of the same CA and its key (a stolen server
         * key): issued by the CA, but not for signing OCSP answers. */
        snprintf(rel, sizeof rel, "%s/%s.key", LAB_CERTS_DIR, signer_name);
        if (load_key(lab, rel, &key, err) != 0)
            goto out;
        snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, signer_name);
        if (load_cert(lab, rel, &signer_cert, err) != 0)
            goto out;
        signer.cert = &signer_cert.cert;
        signer.include_cert = true;
    }
    if (ocsp_response_build(&signer, &rng, now, &single, 1, NULL, &out, err) != 0 ||
        file_write_atomic(out_path, out.data, out.len, 0644, err) != 0)
        goto out;
    rc = 0;
out:
    if (has_rng)
        wc_FreeRng(&rng);
    key_free(&key);
    der_buf_free(&out);
    der_buf_free(&id_der);
    der_buf_free(&signer_cert.der);
    der_buf_free(&about.der);
    der_buf_free(&root.der);
    return rc;
}
