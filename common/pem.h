/* pem.h — certificates in PEM files (RFC 7468), through wolfCrypt's codec. */
#ifndef OCSPLAB_PEM_H
#define OCSPLAB_PEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "der.h"
#include "errbuf.h"

/* The largest PEM or DER file the lab reads: a certificate chain is a few KB. */
#define PEM_MAX_FILE_BYTES (256 * 1024)

/* Reads the first CERTIFICATE of a PEM file (or a DER file) into *der. */
int pem_read_certificate(const char *path, struct der_buf *der, struct errbuf *err);
/* Appends one DER certificate as PEM text ("-----BEGIN CERTIFICATE-----" …) to *pem. */
int pem_encode_certificate(const uint8_t *der, size_t der_len, struct der_buf *pem,
                           struct errbuf *err);

#endif
