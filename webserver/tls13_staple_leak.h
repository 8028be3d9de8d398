/* tls13_staple_leak.h — mending the two leaks of wolfSSL 5.5.4 (Debian 12)
 * in every server-side TLS 1.3 handshake that staples (about 8 KB each under
 * AddressSanitizer), without patching the library.
 *
 * The causes, read in Debian's 5.5.4 source, src/tls.c, TLSX_CSR_Parse on the
 * server when ssl->options.tls1_3 (the staple travels in the Certificate
 * message):
 * 1. It XMALLOCs a DecodedCert, runs InitDecodedCert + ParseCert on the
 *    server's own certificate, and XFREEs the struct without FreeDecodedCert:
 *    everything ParseCert allocated inside it (public key, alt names, the
 *    subject and issuer X509_NAMEs, the signature context) is lost.
 * 2. It calls CreateOcspResponse(ssl, &request, &csr->response), which goes
 *    through CheckOcspRequest -> GetOcspStatus and XMALLOCs a copy of the
 *    cached staple into csr->response.buffer; TLS 1.2 frees its copy after
 *    SendCertificateStatus, but TLSX_CSR_Free never frees csr->response.
 *
 * Fix for 1: the library calls ParseCert, FreeDecodedCert and wolfSSL_Free
 * through its PLT, so this program interposes ParseCert and FreeDecodedCert
 * to remember which DecodedCerts are parsed and not yet freed; when
 * wolfSSL_Free (our allocator hook) is about to free one of them, it runs
 * the real FreeDecodedCert first. A correctly freed DecodedCert is forgotten
 * by FreeDecodedCert, so nothing is freed twice.
 *
 * Fix for 2: wolfSSL's allocator hooks
 * (wolfSSL_SetAllocators) note every allocation of exactly the staple's size
 * made while a connection's handshake runs on this thread. When the
 * connection is freed, a noted block that is still alive and holds exactly the
 * staple's bytes is that lost copy, and is freed. In a handshake where
 * wolfSSL called our status callback, the context's own OCSP cache also took
 * a same-sized copy after the lost one (CheckOcspResponse: the response
 * buffer first, then rawOcspResponse), which must live on: the last live
 * copy is kept. TLS 1.2 handshakes lose nothing and are left alone. */
#ifndef OCSPLAB_WEBSERVER_TLS13_STAPLE_LEAK_H
#define OCSPLAB_WEBSERVER_TLS13_STAPLE_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEAK_TRACK_MAX 8

/* Per connection: what was noted during its handshake. */
struct leak_tracker {
    uint64_t token;
    const uint8_t *own_cert; /* the server's certificate (DER) in this connection */
    size_t own_cert_len;
    size_t staple_len;
    bool status_callback_ran;
    size_t count;
    void *blocks[LEAK_TRACK_MAX];
};

/* The same TLS 1.3 path also re-verifies the server's own certificate's
 * signature on every stapled handshake (ParseCert(cert, CERT_TYPE, VERIFY)),
 * about 13% of a handshake's CPU for a check of a certificate this server
 * loaded itself. Inside a tracked connection, the interposed ParseCert turns
 * that one call, for exactly the connection's own certificate, into
 * VERIFY_NAME: the issuer is still found (the OCSP request needs its key
 * hash), only the signature check is skipped. */

/* Installs the allocator hooks; call once before any other wolfSSL call. */
int tls13_staple_leak_install(void);

/* Brackets every wolfSSL call made for one connection on this thread, so
 * allocations inside it are attributed to that connection. */
void tls13_staple_leak_enter(struct leak_tracker *tracker);
void tls13_staple_leak_leave(void);

/* Called by the status callback: this handshake filled wolfSSL's cache. */
void tls13_staple_leak_note_status_callback(void);

/* After wolfSSL_free() of the connection: frees the lost staple copies (only
 * for TLS 1.3 handshakes) and forgets the rest. Returns how many were freed. */
size_t tls13_staple_leak_reclaim(struct leak_tracker *tracker, const uint8_t *staple,
                                 bool was_tls13);

/* Totals, for tests and /stats: staple copies reclaimed since start, and
 * DecodedCerts whose contents were freed on wolfSSL's behalf. */
uint64_t tls13_staple_leak_reclaimed(void);
uint64_t tls13_decoded_certs_mended(void);
/* Re-verifications of the server's own certificate turned into VERIFY_NAME. */
uint64_t tls13_own_cert_checks_skipped(void);

/* wolfCrypt keeps a per-thread fixed-point ECC cache (FP_ECC with thread-local
 * storage) that only wc_ecc_fp_free() releases; every thread that did ECC
 * calls this before it ends. */
void tls13_staple_leak_thread_done(void);

#endif
