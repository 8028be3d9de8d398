/* forge.h — OCSP responses an attacker (or an honest signer) could make, for
 * the attack lessons: built with the lab's own codec (common/ocsp.c) about a
 * site's certificate, signed by the CA, its delegate, the key of another
 * certificate the CA issued (a stolen server key), or a stranger's key that
 * claims the CA's name. */
#ifndef OCSPLAB_SCENARIOS_FORGE_H
#define OCSPLAB_SCENARIOS_FORGE_H

#include <stdint.h>

#include "errbuf.h"

/* Writes the DER response to out_path. signer: "ca", "delegate", "stranger"
 * or a site name (certs/SITE.pem and .key); status: "good", "revoked" or
 * "unknown". thisUpdate is a minute before `now`, nextUpdate a day after. */
int scn_forge(const char *lab, const char *site, const char *signer, const char *status,
              int64_t now, const char *out_path, struct errbuf *err);

#endif
