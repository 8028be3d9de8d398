/* der.h — the one bounded DER reader and writer of the lab (ITU-T X.690, DER rules).
 * X.509 certificates (RFC 5280) and OCSP messages (RFC 6960) are read and built only
 * through this module: everywhere else sees a cursor, never raw pointer arithmetic.
 * Modelled on the idea of BoringSSL's CBS/CBB; written fresh. */
#ifndef OCSPLAB_DER_H
#define OCSPLAB_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Universal tags (single-byte identifiers; high tag numbers are rejected). */
enum der_tag {
    DER_TAG_BOOLEAN = 0x01,
    DER_TAG_INTEGER = 0x02,
    DER_TAG_BIT_STRING = 0x03,
    DER_TAG_OCTET_STRING = 0x04,
    DER_TAG_NULL = 0x05,
    DER_TAG_OID = 0x06,
    DER_TAG_ENUMERATED = 0x0a,
    DER_TAG_UTF8_STRING = 0x0c,
    DER_TAG_PRINTABLE_STRING = 0x13,
    DER_TAG_IA5_STRING = 0x16,
    DER_TAG_UTC_TIME = 0x17,
    DER_TAG_GENERALIZED_TIME = 0x18,
    DER_TAG_SEQUENCE = 0x30,
    DER_TAG_SET = 0x31,
};
/* Context-specific tags: [n] EXPLICIT or constructed, and [n] IMPLICIT primitive. */
#define DER_TAG_CONTEXT(n) ((uint8_t)(0xa0u | (unsigned)(n)))
#define DER_TAG_CONTEXT_PRIMITIVE(n) ((uint8_t)(0x80u | (unsigned)(n)))

enum der_error {
    DER_OK = 0,
    DER_ERR_TRUNCATED = -1,      /* fewer bytes than the header or length claims */
    DER_ERR_BAD_LENGTH = -2,     /* indefinite, non-minimal, or 5+ byte length */
    DER_ERR_UNEXPECTED_TAG = -3, /* a different element stands here */
    DER_ERR_TRAILING = -4,       /* bytes left where the caller demanded the end */
    DER_ERR_BAD_VALUE = -5,      /* e.g. non-minimal INTEGER, BOOLEAN not 00/FF, bad time */
    DER_ERR_NOMEM = -6,          /* the writer could not grow its buffer */
    DER_ERR_LIMIT = -7,          /* nesting deeper than DER_MAX_DEPTH, or a value too large */
};

/* A short English phrase for a der_error ("length longer than the data"). */
const char *der_strerror(int err);

/* ---- Reader ---------------------------------------------------------------
 * A cursor is a view of bytes not yet read. Every read checks `left` first and
 * moves the cursor only on success, so a failed optional read can be retried. */
struct der_cursor {
    const uint8_t *p;
    size_t left;
};

struct der_cursor der_cursor_init(const uint8_t *data, size_t len);
bool der_is_empty(const struct der_cursor *in);
/* DER_OK when nothing is left, DER_ERR_TRAILING otherwise. */
int der_expect_end(const struct der_cursor *in);

/* Reads one element of any tag. `body` receives its contents, `raw` (may be
 * NULL) its whole encoding: tag, length and contents, e.g. the signed bytes of
 * a TBSCertificate or a Name to hash. */
int der_read_any(struct der_cursor *in, uint8_t *tag, struct der_cursor *body,
                 struct der_cursor *raw);
/* Reads one element that must carry `tag`; contents into `body` (may be NULL). */
int der_read_tagged(struct der_cursor *in, uint8_t tag, struct der_cursor *body);
/* Same, but hands back the whole encoding of the element in `raw`. */
int der_read_raw(struct der_cursor *in, uint8_t tag, struct der_cursor *raw);
int der_read_sequence(struct der_cursor *in, struct der_cursor *body);
int der_read_set(struct der_cursor *in, struct der_cursor *body);

/* True when the next element has this tag (false at the end or on bad input). */
bool der_peek_tag(const struct der_cursor *in, uint8_t tag);
/* An OPTIONAL element: if the next tag is `tag`, reads it into `body` and sets
 * *present; otherwise leaves the cursor alone and clears *present. */
int der_read_optional(struct der_cursor *in, uint8_t tag, struct der_cursor *body, bool *present);

/* INTEGER contents as big-endian two's complement bytes (minimal encoding enforced). */
int der_read_integer_bytes(struct der_cursor *in, const uint8_t **value, size_t *len);
/* INTEGER that must fit in int64_t. */
int der_read_small_int(struct der_cursor *in, int64_t *value);
/* ENUMERATED that must be 0..INT_MAX. */
int der_read_enumerated(struct der_cursor *in, int *value);
int der_read_boolean(struct der_cursor *in, bool *value);
int der_read_null(struct der_cursor *in);
/* OID contents (the encoded arcs) into `oid`; compare with der_oid_equals. */
int der_read_oid(struct der_cursor *in, struct der_cursor *oid);
/* BIT STRING: the bytes after the unused-bits octet, and that count (0..7). */
int der_read_bit_string(struct der_cursor *in, const uint8_t **bits, size_t *len,
                        unsigned *unused_bits);
int der_read_octet_string(struct der_cursor *in, const uint8_t **value, size_t *len);
/* UTCTime or GeneralizedTime in DER form ("...Z"), as seconds since the Unix epoch.
 * Rejects impossible dates (month 13, 31 April, 29 Feb of a common year, 24:00). */
int der_read_time(struct der_cursor *in, int64_t *unix_seconds);

/* A plain bounded take of n bytes into `out` (may be NULL), for fixed-size
 * fields; it moves the cursor only on success. The TLS framing around DER
 * (width-named reads, length-prefixed vectors) is common/tls_wire.h. */
bool der_take(struct der_cursor *in, size_t n, struct der_cursor *out);

/* ---- Object identifiers, written as dotted text for readability ----------- */
/* Encodes "1.3.6.1.5.5.7.48.1" into DER contents; DER_ERR_BAD_VALUE if malformed. */
/* DER_ERR_LIMIT if `cap` is short; with out == NULL it only measures into *len. */
int der_oid_encode(const char *dotted, uint8_t *out, size_t cap, size_t *len);
/* True when encoded OID contents equal the dotted text. */
bool der_oid_equals(const struct der_cursor *oid, const char *dotted);
/* Dotted text of encoded OID contents, for messages; DER_ERR_LIMIT if `cap` is short. */
int der_oid_to_string(const struct der_cursor *oid, char *out, size_t cap);

/* ---- Writer ----------------------------------------------------------------
 * A growable buffer. der_begin() opens a constructed element and der_end()
 * closes it, patching its length. Errors are sticky: after the first failure
 * every call returns that error and writes nothing, so a builder may check each
 * call or only der_buf_error() at the end. */
#define DER_MAX_DEPTH 24

struct der_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int error;
    size_t depth;
    size_t open_at[DER_MAX_DEPTH]; /* offset of each open element's length byte */
};

/* Frees the buffer and zeroes it (wiping the bytes: buffers may hold keys). Accepts NULL. */
void der_buf_free(struct der_buf *buf);
/* DER_OK, or the first error; also an error if an element is still open. */
/* (An element still open is reported as DER_ERR_LIMIT.) */
int der_buf_error(const struct der_buf *buf);

int der_begin(struct der_buf *buf, uint8_t tag);
/* der_end with no element open is DER_ERR_LIMIT (sticky, like any error). */
int der_end(struct der_buf *buf);
/* Appends bytes that are already a DER element (a copied Name, a signed TBS). */
int der_write_raw(struct der_buf *buf, const uint8_t *bytes, size_t len);
int der_write_tlv(struct der_buf *buf, uint8_t tag, const uint8_t *value, size_t len);
/* INTEGER from an unsigned big-endian magnitude: leading zeros stripped, a 00
 * prepended when the high bit is set, so the value stays positive. */
int der_write_unsigned_integer(struct der_buf *buf, const uint8_t *magnitude, size_t len);
int der_write_small_int(struct der_buf *buf, int64_t value);
int der_write_enumerated(struct der_buf *buf, int value);
int der_write_boolean(struct der_buf *buf, bool value);
int der_write_null(struct der_buf *buf);
int der_write_oid(struct der_buf *buf, const char *dotted);
int der_write_bit_string(struct der_buf *buf, const uint8_t *bits, size_t len,
                         unsigned unused_bits);
int der_write_octet_string(struct der_buf *buf, const uint8_t *value, size_t len);
int der_write_generalized_time(struct der_buf *buf, int64_t unix_seconds);
int der_write_utc_time(struct der_buf *buf, int64_t unix_seconds); /* 1950..2049 only */
/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
int der_write_x509_time(struct der_buf *buf, int64_t unix_seconds);

#endif
