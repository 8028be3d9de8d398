/* sigverify.h — checking one X.509-style signature (an AlgorithmIdentifier
 * OID, the signed bytes, the signature bits) with the public key of a
 * certificate, by wolfCrypt. Shared by the OCSP verifier (RFC 6960 3.2) and
 * the CRL verifier (RFC 5280 6.3.3), so both name algorithms the same way. */
#ifndef OCSPLAB_SIGVERIFY_H
#define OCSPLAB_SIGVERIFY_H

#include <stdbool.h>

#include "der.h"
#include "x509.h"

/* True when `signature` verifies over `signed_bytes` with the key of
 * `signer`, using exactly the algorithm named; a key of the other kind is a
 * failure. *algorithm_name receives words for messages ("ECDSA with
 * SHA-256", or "an unsupported algorithm"). */
bool sig_verify(const struct der_cursor *algorithm_oid, const struct der_cursor *signed_bytes,
                const struct der_cursor *signature, const struct x509_cert *signer,
                const char **algorithm_name);

/* True when `key_id` is the SHA-1 of the certificate's subjectPublicKey
 * bits: RFC 5280 4.2.1.2 method 1, which the lab's key identifiers and an
 * OCSP ResponderID byKey (RFC 6960 4.2.1) both use. */
bool sig_key_id_matches(const struct x509_cert *cert, const struct der_cursor *key_id);

#endif
