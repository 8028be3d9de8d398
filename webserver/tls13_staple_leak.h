/* tls13_staple_leak.h — reclaiming the copy of the staple that wolfSSL 5.5.4
 * leaks in every TLS 1.3 handshake on the server.
 *
 * The cause, read in Debian's 5.5.4 source: in TLS 1.3 the server answers
 * status_request inside its Certificate message. src/tls.c (TLSX_CSR_Parse,
 * server side) calls CreateOcspResponse(ssl, &request, &csr->response), which
 * goes through CheckOcspRequest -> GetOcspStatus and XMALLOCs a copy of the
 * cached staple into csr->response.buffer. TLS 1.2 frees its copy after
 * SendCertificateStatus, but TLSX_CSR_Free frees only the request, never
 * csr->response.buffer: one staple-sized block is lost per TLS 1.3 handshake.
 *
 * The fix, without patching the library: wolfSSL's allocator hooks
 * (wolfSSL_SetAllocators) note every allocation of exactly the staple's size
 * made while a connection's handshake runs on this thread. When the
 * connection is freed, a noted block that is still alive and holds exactly the
 * staple's bytes is that lost copy, and is freed. Handshakes in which
 * wolfSSL called our status callback are left alone: there the context's own
 * OCSP cache also takes a same-sized copy (CheckOcspResponse, rawOcspResponse)
 * that must live on. */
#ifndef OCSPLAB_WEBSERVER_TLS13_STAPLE_LEAK_H
#define OCSPLAB_WEBSERVER_TLS13_STAPLE_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEAK_TRACK_MAX 8

/* Per connection: what was noted during its handshake. */
struct leak_tracker {
    uint64_t token;
    size_t staple_len;
    bool status_callback_ran;
    size_t count;
    void *blocks[LEAK_TRACK_MAX];
};

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

/* Totals, for tests and /stats: blocks reclaimed since start. */
uint64_t tls13_staple_leak_reclaimed(void);

#endif
