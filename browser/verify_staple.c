/* verify_staple.c — loading the three files of `browser verify-staple` and
 * running the shared verifier on them. */
#include "verify_staple.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "der.h"
#include "fileio.h"
#include "ocsp_fetch.h"
#include "pem.h"
#include "x509.h"

/* 9999-12-31T23:59:59Z: the last instant a GeneralizedTime can name. */
#define VERIFY_STAPLE_MAX_TIME 253402300799LL

int verify_staple_files(const char *cert_path, const char *issuer_path, const char *staple_path,
                        int64_t now, struct ocsp_verdict *verdict, struct errbuf *err)
{
    struct der_buf cert_der = {0}, issuer_der = {0};
    struct x509_cert cert, issuer;
    uint8_t *staple = NULL;
    size_t staple_len = 0;
    int rc = -1;

    /* The readers' messages already say "cannot read PATH: why". */
    if (pem_read_certificate(cert_path, &cert_der, err) != 0)
        goto out;
    if (x509_parse(&cert, cert_der.data, cert_der.len, err) != 0) {
        errbuf_prefix(err, "%s is not a certificate", cert_path);
        goto out;
    }
    if (pem_read_certificate(issuer_path, &issuer_der, err) != 0)
        goto out;
    if (x509_parse(&issuer, issuer_der.data, issuer_der.len, err) != 0) {
        errbuf_prefix(err, "%s is not a certificate", issuer_path);
        goto out;
    }
    if (file_read_all(staple_path, OCSP_FETCH_MAX_RESPONSE, &staple, &staple_len, err) != 0)
        goto out;
    struct ocsp_verify_input in = {.cert = &cert, .issuer = &issuer, .now = now};
    ocsp_verify_response(staple, staple_len, &in, verdict);
    rc = 0;
out:
    free(staple);
    der_buf_free(&cert_der);
    der_buf_free(&issuer_der);
    return rc;
}

int verify_staple_parse_time(const char *text, int64_t *unix_seconds)
{
    if (text == NULL || !isdigit((unsigned char)text[0]))
        return -1;
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || *end != 0 || value > VERIFY_STAPLE_MAX_TIME)
        return -1;
    *unix_seconds = value;
    return 0;
}
