/* site.h — one immutable snapshot of what the web server presents: its TLS
 * context (certificate, key, protocol versions) and the staple it hands out,
 * if any. A new staple (or a new certificate) is a new site: the stapler
 * builds it and swaps it in; connections keep a reference to the site they
 * started with, and the last one frees it, so a handshake never sees half of
 * a change. (wolfSSL 5.5.4 also cached a staple inside its context until the
 * staple's nextUpdate; 5.9.2 asks the status callback in every handshake.) */
#ifndef OCSPLAB_WEBSERVER_SITE_H
#define OCSPLAB_WEBSERVER_SITE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

/* wolfSSL's context, declared here so this header does not pull in
 * wolfssl/ssl.h (whose error enumerators clash with the OCSP codec's names). */
struct WOLFSSL_CTX;

enum tls_versions {
    TLS_BOTH,
    TLS_ONLY_12,
    TLS_ONLY_13,
};

/* What goes into a site; the byte buffers are copied. */
struct site_spec {
    const uint8_t *cert_der; /* the server certificate */
    size_t cert_der_len;
    const uint8_t *key; /* its private key */
    size_t key_len;
    bool is_key_pem;       /* PEM text rather than DER */
    const uint8_t *ca_der; /* the issuing CA: wolfSSL checks a staple against it */
    size_t ca_der_len;
    enum tls_versions versions;
    const uint8_t *staple; /* the OCSP response to staple, or NULL for none */
    size_t staple_len;
};

struct site {
    int refs; /* atomic */
    struct WOLFSSL_CTX *ctx;
    uint8_t *cert_der; /* owned copy of the server certificate */
    size_t cert_der_len;
    uint8_t *staple; /* owned copy, or NULL */
    size_t staple_len;
};

/* Builds a site; *out holds one reference. */
int site_create(const struct site_spec *spec, struct site **out, struct errbuf *err);
void site_retain(struct site *site);
/* Drops a reference; the last one frees the context. Accepts NULL. */
void site_release(struct site *site);

/* The one current site, swapped atomically under a mutex. */
struct site_slot {
    pthread_mutex_t lock;
    struct site *current;
};
void site_slot_init(struct site_slot *slot);
/* A new reference to the current site (never NULL once set). */
struct site *site_slot_get(struct site_slot *slot);
/* Installs `site` (taking over the caller's reference) and drops the old one. */
void site_slot_set(struct site_slot *slot, struct site *site);
void site_slot_free(struct site_slot *slot);

#endif
