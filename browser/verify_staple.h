/* verify_staple.h — `browser verify-staple`: one DER OCSP response checked
 * offline against a certificate and its issuer, by exactly the rules the
 * browser applies to a staple (DESIGN 9, common/ocsp_verify.h). A student
 * can check any file, including one made by `openssl ocsp`. */
#ifndef OCSPLAB_BROWSER_VERIFY_STAPLE_H
#define OCSPLAB_BROWSER_VERIFY_STAPLE_H

#include <stdint.h>

#include "errbuf.h"
#include "ocsp_verify.h"

/* Reads the certificate and issuer (PEM or DER) and the response (DER, at
 * most OCSP_FETCH_MAX_RESPONSE bytes) and judges the response at `now`.
 * Returns 0 with *verdict filled (accepted or not), or -1 with err set when a
 * file cannot be read or a certificate cannot be parsed. */
int verify_staple_files(const char *cert_path, const char *issuer_path, const char *staple_path,
                        int64_t now, struct ocsp_verdict *verdict, struct errbuf *err);

/* Parses --at: whole seconds since the Unix epoch, 0 up to the end of year
 * 9999. Returns 0, or -1 when the text is not such a number. */
int verify_staple_parse_time(const char *text, int64_t *unix_seconds);

#endif
