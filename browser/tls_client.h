/* tls_client.h — one browser connection with wolfSSL: from the user's own
 * loopback address (DESIGN 7), TLS 1.2 or 1.3, chain and host name checked
 * against the lab root, SNI, optionally status_request (RFC 6066 8), then
 * `GET / HTTP/1.1`. Every phase has a deadline and every read a size limit.
 *
 * What it learns about a staple, and why that differs between the versions,
 * read in Debian 12's wolfSSL 5.5.4 source (line numbers of that tree):
 *  - TLS 1.2: CertificateStatus travels in the clear. DoHandShakeMsgType
 *    hands every received handshake message to AddPacketInfo *before*
 *    processing it (src/internal.c:15515), and AddPacketInfo calls the
 *    message callback while keys.encryptionOn != 1 (src/internal.c:25364).
 *    The whole message is copied into the result, so the lab's verifier can
 *    judge the staple even when wolfSSL's own check (ProcessCSR,
 *    src/internal.c:12020, from DoCertificateStatus :14667) ends the
 *    handshake over it.
 *  - TLS 1.3: the staple is an extension of the encrypted Certificate
 *    message. Received TLS 1.3 messages never reach AddPacketInfo
 *    (src/tls13.c only calls AddLateName, e.g. :4321), and encryption is on
 *    anyway; TLSX_CSR_Parse keeps only a pointer into the record buffer
 *    (src/tls.c:3124); ProcessCSR (from ProcessPeerCerts,
 *    src/internal.c:13829) decodes it with hidden, non-interposable functions
 *    (OcspResponseDecode, CompareOcspReqResp) and keeps no copy;
 *    ssl->ocspResp is only a server's; and this build has no TLS 1.3
 *    secret/keylog callback (no HAVE_SECRET_CALLBACK) to decrypt the record.
 *    So in TLS 1.3 wolfSSL's check decides: signature against the CAs of the
 *    context, CertID, thisUpdate/nextUpdate against the clock with no skew
 *    (wolfcrypt/src/asn.c:33861, :33893), status good; OCSP_CERT_REVOKED for
 *    revoked, BAD_CERTIFICATE_STATUS_ERROR for any other failure.
 *    What the application can still learn: ProcessCSR copies producedAt into
 *    the connection only for a staple it accepted (src/internal.c:12096) and
 *    wolfSSL_get_ocsp_producedDate() (src/ssl.c:34094) fails on a connection
 *    that has none. A refused staple ends the handshake, so a completed TLS
 *    1.3 handshake with status_request either carried a staple wolfSSL
 *    accepted (producedDate set) or carried none: one handshake tells.
 *    wolfSSL 5.8.4's wolfSSL_CTX_set_ocsp_status_verify_cb would close the
 *    gap by handing over the bytes.
 *
 * This file is the only one of the browser that includes wolfssl/ssl.h (its
 * error enumerators OCSP_CERT_REVOKED/... must stay away from OCSP logic). */
#ifndef OCSPLAB_BROWSER_TLS_CLIENT_H
#define OCSPLAB_BROWSER_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"

enum tls_choice {
    TLS_CHOICE_ANY, /* TLS 1.2 or 1.3, the server picks (1.3 when it can) */
    TLS_CHOICE_12,
    TLS_CHOICE_13,
};

/* A page is a few KB; a response head and body beyond this are cut off. */
#define TLS_CLIENT_MAX_RESPONSE_BYTES (64 * 1024)
/* The largest CertificateStatus message kept: an OCSP response is a few KB
 * (common/ocsp_fetch.h allows 64 KB) plus 8 bytes of framing. */
#define TLS_CLIENT_MAX_STATUS_BYTES (64 * 1024 + 8)

struct tls_client_config {
    const char *server_name;  /* SNI, Host header, and the name the certificate must carry */
    const char *server_addr;  /* IPv4 address to connect to */
    uint16_t port;
    const char *path;         /* "/" */
    const char *source_addr;  /* bind() here before connect(): the user's address */
    const uint8_t *root_pem;  /* the trust anchor (LAB/ca/root.pem) */
    size_t root_pem_len;
    enum tls_choice versions;
    bool wants_staple;        /* send status_request */
    int timeout_ms;           /* each of: connect, handshake, HTTP exchange */
    const char *user_agent;
};

/* Where a visit stopped. */
enum tls_client_stage {
    TLS_STAGE_SETUP,     /* could not even build the context (out of memory, bad root) */
    TLS_STAGE_CONNECT,   /* TCP: bind, connect */
    TLS_STAGE_HANDSHAKE,
    TLS_STAGE_HTTP,
    TLS_STAGE_DONE,      /* the page came back */
};

/* How wolfSSL's own staple check ended a handshake, if it did. */
enum tls_staple_refusal {
    TLS_STAPLE_REFUSAL_NONE,
    TLS_STAPLE_REFUSAL_REVOKED, /* OCSP_CERT_REVOKED: the staple says revoked */
    TLS_STAPLE_REFUSAL_BAD,     /* BAD_CERTIFICATE_STATUS_ERROR: any other failed rule */
    TLS_STAPLE_REFUSAL_MISSING, /* TLS 1.2: status_request acknowledged, no
                                   CertificateStatus came (OCSP_LOOKUP_FAIL) */
};

struct tls_client_result {
    enum tls_client_stage stage;  /* TLS_STAGE_DONE on success, else where it failed */
    char error[256];              /* what went wrong, when stage != DONE */
    int wolfssl_error;            /* wolfSSL's error code of a failed handshake, or 0 */
    char wolfssl_error_name[64];  /* e.g. "BAD_CERTIFICATE_STATUS_ERROR" */
    enum tls_staple_refusal staple_refusal;
    bool is_tls13;                /* the version the server chose (known after ServerHello) */
    bool has_version;
    /* TLS 1.2: the CertificateStatus handshake message as received (caller
     * frees with der_buf_free); frame it with certstatus_parse. */
    bool has_certificate_status;
    struct der_buf certificate_status;
    /* wolfSSL's ProcessCSR accepted a staple on this connection (its
     * producedAt was recorded; see the header comment). */
    bool wolfssl_accepted_staple;
    /* The server's certificate (DER; caller frees), when the handshake got
     * far enough to receive it. */
    bool has_peer_cert;
    struct der_buf peer_cert;
    int http_status;              /* 200, or 0 without an HTTP answer */
    size_t response_bytes;
    int64_t connect_ms, handshake_ms, http_ms;
};

/* An open, verified TLS connection (wolfSSL objects and the socket). */
struct tls_client_session;

/* Connects and runs the handshake. Returns 0 with *session open, or -1 with
 * *session NULL; result->stage and error say where and why either way. The
 * result owns its buffers: free it with tls_client_result_free. `config` and
 * `result` must outlive the session. */
int tls_client_open(const struct tls_client_config *config, struct tls_client_result *result,
                    struct tls_client_session **session);

/* Sends `GET path HTTP/1.1` and reads the answer (status into
 * result->http_status). A browser does this only after it accepted the
 * certificate. Returns 0, or -1 with result->stage TLS_STAGE_HTTP. */
int tls_client_get(struct tls_client_session *session);

/* Closes the connection (close_notify after a complete exchange) and frees
 * the session. Accepts NULL. */
void tls_client_close(struct tls_client_session *session);

void tls_client_result_free(struct tls_client_result *result);

/* "TLS 1.2" / "TLS 1.3" / "TLS" (unknown). */
const char *tls_client_version_name(const struct tls_client_result *result);

/* wolfSSL_Init / wolfSSL_Cleanup for the process: call once before any
 * thread starts, and once at the very end. tls_client_global_init returns 0,
 * or -1 when wolfSSL cannot start. */
int tls_client_global_init(void);
void tls_client_global_cleanup(void);

#endif
