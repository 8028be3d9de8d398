/* tls_client.h — one browser connection with wolfSSL: from the user's own
 * loopback address (DESIGN 7), TLS 1.2 or 1.3, chain and host name checked
 * against the lab root, SNI, optionally status_request (RFC 6066 8), then
 * `GET / HTTP/1.1`. Every phase has a deadline and every read a size limit.
 *
 * How the browser gets the staple, read in wolfSSL 5.9.2's source:
 *  - wolfSSL_CTX_set_ocsp_status_verify_cb hands the application the raw
 *    OCSPResponse of every stapled response wolfSSL can decode, in TLS 1.2
 *    (DoCertificateStatus -> ProcessCSR) and TLS 1.3 (ProcessPeerCerts ->
 *    ProcessPeerCertsChainOCSPStatusCheck -> ProcessCSR_ex), together with
 *    wolfSSL's own opinion; what the callback returns replaces that opinion
 *    (src/internal.c CsrDoStatusVerifyCb). So the lab's verifier (DESIGN 9,
 *    through config->judge_staple) decides in both versions, during the
 *    handshake, as a real browser does: a fatal verdict ends the handshake
 *    with an alert, anything else lets it go on. The leaf certificate comes
 *    from the session's chain (SESSION_CERTS), filled before the status.
 *  - A response wolfSSL cannot decode at all (garbage, or a responder's bare
 *    "tryLater", which has no responseBytes) ends the handshake with
 *    BAD_CERTIFICATE_STATUS_ERROR before the callback (ProcessCSR_ex's first
 *    OcspResponseDecode). Its bytes are still recovered for the verifier: in
 *    TLS 1.2 from the cleartext CertificateStatus message (wolfSSL's message
 *    callback sees it before processing it), in TLS 1.3 by decrypting the
 *    browser's own copy of the server's records with the server handshake
 *    traffic secret (tls13_status.h).
 *  - A server that acknowledges status_request and then sends no
 *    CertificateStatus is not an error in 5.9.2 unless OCSP lookups or
 *    must-staple are enabled in wolfSSL (src/internal.c, the
 *    ServerHelloDone check), and the browser enables neither: it applies
 *    must-staple itself.
 *
 * With a key log (config->keylog) every secret wolfSSL derives is written in
 * the NSS format, so Wireshark can decrypt the connection.
 *
 * This file is the only one of the browser that includes wolfssl/ssl.h (its
 * error enumerators OCSP_CERT_REVOKED/... must stay away from OCSP logic). */
#ifndef OCSPLAB_BROWSER_TLS_CLIENT_H
#define OCSPLAB_BROWSER_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "der.h"
#include "keylog.h"

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
/* How much of the server's first flight is kept to read a TLS 1.3 staple
 * back (tls13_status.h): its certificates, the staple and record overhead. */
#define TLS_CLIENT_MAX_FLIGHT_BYTES (160 * 1024)

/* What the browser concludes about a stapled response inside the handshake. */
enum tls_staple_judgement {
    TLS_STAPLE_USE,    /* acceptable: no need to ask the CA */
    TLS_STAPLE_IGNORE, /* unusable but not alarming (stale, tryLater): as if none came */
    TLS_STAPLE_FATAL,  /* revoked, forged, about another certificate: end the handshake */
};

/* The browser's judge for the leaf's stapled OCSPResponse (DER), called
 * during the handshake with the leaf certificate (DER) it is about. */
typedef enum tls_staple_judgement (*tls_staple_judge_fn)(void *arg, const uint8_t *response,
                                                         size_t response_len,
                                                         const uint8_t *leaf_der, size_t leaf_len);

struct tls_client_config {
    const char *server_name; /* SNI, Host header, and the name the certificate must carry */
    const char *server_addr; /* IPv4 address to connect to */
    uint16_t port;
    const char *path;        /* "/" */
    const char *source_addr; /* bind() here before connect(): the user's address */
    const uint8_t *root_pem; /* the trust anchor (LAB/ca/root.pem) */
    size_t root_pem_len;
    enum tls_choice versions;
    bool wants_staple;                /* send status_request */
    tls_staple_judge_fn judge_staple; /* with wants_staple: decides on the staple */
    void *judge_arg;
    struct keylog *keylog; /* NULL: no secrets are written anywhere */
    int timeout_ms;        /* each of: connect, handshake, HTTP exchange */
    const char *user_agent;
};

/* Where a visit stopped. */
enum tls_client_stage {
    TLS_STAGE_SETUP,   /* could not even build the context (out of memory, bad root) */
    TLS_STAGE_CONNECT, /* TCP: bind, connect */
    TLS_STAGE_HANDSHAKE,
    TLS_STAGE_HTTP,
    TLS_STAGE_DONE, /* the page came back */
};

struct tls_client_result {
    enum tls_client_stage stage; /* TLS_STAGE_DONE on success, else where it failed */
    char error[256];             /* what went wrong, when stage != DONE */
    int wolfssl_error;           /* wolfSSL's error code of a failed handshake, or 0 */
    char wolfssl_error_name[64]; /* e.g. "BAD_CERTIFICATE_STATUS_ERROR" */
    bool is_tls13;               /* the version the server chose (known after ServerHello) */
    bool has_version;
    /* The judge saw the leaf's staple during the handshake, and said this;
     * `staple` is that OCSPResponse (caller frees with der_buf_free) and
     * wolfssl_staple_verdict wolfSSL's own opinion (0, or its error code),
     * for the trace. */
    bool was_staple_judged;
    enum tls_staple_judgement judgement;
    struct der_buf staple;
    int wolfssl_staple_verdict;
    /* wolfSSL ended the handshake over a stapled response it could not
     * decode, before the judge could see it (see the header comment). */
    bool is_staple_undecodable;
    /* Then its CertificateStatus message, recovered (TLS 1.2: as received;
     * TLS 1.3: read back out of the Certificate message and framed the same
     * way); frame it with tls_read_certificate_status. Caller frees with der_buf_free. */
    bool has_certificate_status;
    struct der_buf certificate_status;
    char certificate_status_why[128]; /* why it could not be recovered */
    /* The server's certificate (DER; caller frees), when the handshake got
     * far enough to receive it. */
    bool has_peer_cert;
    struct der_buf peer_cert;
    int http_status; /* 200, or 0 without an HTTP answer */
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
