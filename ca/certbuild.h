/* certbuild.h — building X.509 v3 certificates (RFC 5280) with the shared DER
 * writer and signing them with wolfCrypt. wolfSSL's wc_MakeCert cannot emit a
 * critical basicConstraints, AIA, TLS Feature or ocsp-nocheck, so the whole
 * TBSCertificate is written here, field by field, where a student can read it. */
#ifndef OCSPLAB_CA_CERTBUILD_H
#define OCSPLAB_CA_CERTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"
#include "errbuf.h"
#include "keys.h"

enum cert_profile {
    PROFILE_ROOT,        /* self-signed CA: critical CA:TRUE, keyCertSign + cRLSign */
    PROFILE_OCSP_SIGNER, /* delegated responder: EKU OCSPSigning + id-pkix-ocsp-nocheck */
    PROFILE_SERVER,      /* TLS server: SAN, EKU serverAuth, AIA OCSP, optional must-staple */
};

#define CERT_SERIAL_LEN 16

struct cert_request {
    enum cert_profile profile;
    uint8_t serial[CERT_SERIAL_LEN]; /* positive: high bit clear */
    const char *common_name;         /* subject CN; for servers also the SAN dNSName */
    const char *organization;        /* subject O, or NULL */
    int64_t not_before;
    int64_t not_after;
    const char *ocsp_url;        /* servers: the AIA OCSP URL */
    const char *crl_url;         /* servers: the CRL Distribution Point URL */
    bool is_must_staple;         /* servers: TLS Feature status_request */
    struct lab_key *subject_key; /* whose public key goes in */
    struct lab_key *issuer_key;  /* who signs (== subject_key for the root) */
    const uint8_t *issuer_name;  /* issuer Name DER; NULL for the root (its own subject) */
    size_t issuer_name_len;
};

/* Fills a random positive serial of CERT_SERIAL_LEN bytes (RFC 5280 4.1.2.2:
 * positive, at most 20 octets; CA/B Forum: at least 64 random bits). */
int certbuild_random_serial(WC_RNG *rng, uint8_t serial[CERT_SERIAL_LEN], struct errbuf *err);

/* Builds and signs the certificate; its DER is appended to *out. */
int certbuild_make(const struct cert_request *req, WC_RNG *rng, struct der_buf *out,
                   struct errbuf *err);

#endif
