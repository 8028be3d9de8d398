/* fuzz_der.c — libFuzzer target for common/der: walks any input as nested DER,
 * runs every typed reader on every element, and checks that the writer turns
 * what the reader accepted back into the very same bytes (DER has one encoding
 * per value, so any difference is a bug in one of the two). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"

#include "fuzz_check.h"

/* Deep enough for certificates inside OCSP responses inside OCTET STRINGs, and
 * below DER_MAX_DEPTH so the writer never refuses what we mirror. */
#define FUZZ_MAX_DEPTH 16

static bool fuzz_same_bytes(const struct der_buf *buf, size_t from, const struct der_cursor *want)
{
    return buf->error == DER_OK && buf->len - from == want->left &&
           (want->left == 0 || memcmp(buf->data + from, want->p, want->left) == 0);
}

static bool fuzz_unmoved(const struct der_cursor *in, const uint8_t *p, size_t left)
{
    return in->p == p && in->left == left;
}

/* One reader on one element re-tagged as that reader's type. On success the
 * element must be consumed whole and re-encode to the same bytes; on failure the
 * cursor must not have moved. */
static void fuzz_typed_reader(const uint8_t *element, size_t len)
{
    struct der_cursor in = der_cursor_init(element, len);
    struct der_buf out = {0};
    int rc = DER_ERR_BAD_VALUE;
    bool is_canonical = true;

    switch (element[0]) {
    case DER_TAG_INTEGER: {
        const uint8_t *value;
        size_t value_len;
        rc = der_read_integer_bytes(&in, &value, &value_len);
        if (rc != DER_OK)
            break;
        der_write_tlv(&out, DER_TAG_INTEGER, value, value_len);
        if (value[0] < 0x80) {
            struct der_buf positive = {0};
            der_write_unsigned_integer(&positive, value, value_len);
            FUZZ_CHECK(positive.len == out.len && memcmp(positive.data, out.data, out.len) == 0);
            der_buf_free(&positive);
        }
        struct der_cursor again = der_cursor_init(element, len);
        int64_t small;
        int small_rc = der_read_small_int(&again, &small);
        FUZZ_CHECK(small_rc == DER_OK ? value_len <= 8 : small_rc == DER_ERR_LIMIT);
        if (small_rc == DER_OK) {
            struct der_buf as_int = {0};
            der_write_small_int(&as_int, small);
            FUZZ_CHECK(as_int.len == out.len && memcmp(as_int.data, out.data, out.len) == 0);
            der_buf_free(&as_int);
        }
        break;
    }
    case DER_TAG_ENUMERATED: {
        int value;
        rc = der_read_enumerated(&in, &value);
        if (rc == DER_OK)
            der_write_enumerated(&out, value);
        break;
    }
    case DER_TAG_BOOLEAN: {
        bool value;
        rc = der_read_boolean(&in, &value);
        if (rc == DER_OK)
            der_write_boolean(&out, value);
        break;
    }
    case DER_TAG_NULL:
        rc = der_read_null(&in);
        if (rc == DER_OK)
            der_write_null(&out);
        break;
    case DER_TAG_OID: {
        struct der_cursor oid;
        rc = der_read_oid(&in, &oid);
        if (rc != DER_OK)
            break;
        char text[1024];
        if (der_oid_to_string(&oid, text, sizeof text) == DER_OK) {
            FUZZ_CHECK(der_oid_equals(&oid, text));
            der_write_oid(&out, text);
        } else {
            /* Arcs above 64 bits have no text form here: compare raw contents. */
            der_write_tlv(&out, DER_TAG_OID, oid.p, oid.left);
        }
        break;
    }
    case DER_TAG_BIT_STRING: {
        const uint8_t *bits;
        size_t bits_len;
        unsigned unused_bits;
        rc = der_read_bit_string(&in, &bits, &bits_len, &unused_bits);
        if (rc == DER_OK)
            der_write_bit_string(&out, bits, bits_len, unused_bits);
        break;
    }
    case DER_TAG_OCTET_STRING: {
        const uint8_t *value;
        size_t value_len;
        rc = der_read_octet_string(&in, &value, &value_len);
        if (rc == DER_OK)
            der_write_octet_string(&out, value, value_len);
        break;
    }
    case DER_TAG_UTC_TIME:
    case DER_TAG_GENERALIZED_TIME: {
        int64_t seconds;
        rc = der_read_time(&in, &seconds);
        if (rc != DER_OK)
            break;
        if (element[0] == DER_TAG_UTC_TIME)
            der_write_utc_time(&out, seconds);
        else
            der_write_generalized_time(&out, seconds);
        /* A fraction is dropped, so then only the second can survive the trip. */
        is_canonical = memchr(element, '.', len) == NULL;
        struct der_cursor written = der_cursor_init(out.data, out.len);
        int64_t same;
        FUZZ_CHECK(der_read_time(&written, &same) == DER_OK && same == seconds);
        struct der_buf x509 = {0};
        FUZZ_CHECK(der_write_x509_time(&x509, seconds) == DER_OK);
        struct der_cursor back = der_cursor_init(x509.data, x509.len);
        int64_t again;
        FUZZ_CHECK(der_read_time(&back, &again) == DER_OK && again == seconds);
        der_buf_free(&x509);
        break;
    }
    default:
        abort(); /* only the tags listed by fuzz_try_typed_readers reach here */
    }

    if (rc == DER_OK) {
        struct der_cursor whole = der_cursor_init(element, len);
        FUZZ_CHECK(der_is_empty(&in));
        FUZZ_CHECK(!is_canonical || fuzz_same_bytes(&out, 0, &whole));
    } else {
        FUZZ_CHECK(fuzz_unmoved(&in, element, len));
        FUZZ_CHECK(rc < 0);
    }
    der_buf_free(&out);
}

static void fuzz_try_typed_readers(const struct der_cursor *raw)
{
    static const uint8_t tags[] = {
        DER_TAG_BOOLEAN,      DER_TAG_INTEGER,  DER_TAG_BIT_STRING,
        DER_TAG_OCTET_STRING, DER_TAG_NULL,     DER_TAG_OID,
        DER_TAG_ENUMERATED,   DER_TAG_UTC_TIME, DER_TAG_GENERALIZED_TIME,
    };
    /* An exact-size copy, so a read past the element is an ASan report. */
    uint8_t *copy = malloc(raw->left);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, raw->p, raw->left);
    for (size_t i = 0; i < sizeof tags; i++) {
        copy[0] = tags[i];
        fuzz_typed_reader(copy, raw->left);
    }
    free(copy);
}

/* Reads every element of `in`, mirroring each into `out` with the writer.
 * Returns true when the whole span parsed; then every element written must
 * equal its input bytes, nested lengths included. */
static bool fuzz_walk(struct der_cursor in, struct der_buf *out, int depth)
{
    while (!der_is_empty(&in)) {
        const uint8_t *start_p = in.p;
        size_t start_left = in.left;
        uint8_t tag;
        struct der_cursor body, raw;
        int rc = der_read_any(&in, &tag, &body, &raw);
        if (rc != DER_OK) {
            FUZZ_CHECK(rc < 0 && fuzz_unmoved(&in, start_p, start_left));
            FUZZ_CHECK(!der_peek_tag(&in, start_p[0]));
            return false;
        }
        FUZZ_CHECK(raw.p == start_p && raw.left <= start_left);
        FUZZ_CHECK(body.p + body.left == raw.p + raw.left && body.p > raw.p);
        FUZZ_CHECK(in.p == raw.p + raw.left && in.left == start_left - raw.left);

        /* The other entry points agree with der_read_any. */
        struct der_cursor at = der_cursor_init(start_p, start_left);
        struct der_cursor other;
        bool is_present;
        FUZZ_CHECK(der_peek_tag(&at, tag) && !der_peek_tag(&at, (uint8_t)(tag ^ 0x01u)));
        FUZZ_CHECK(der_read_optional(&at, (uint8_t)(tag ^ 0x01u), &other, &is_present) == DER_OK &&
                   !is_present && fuzz_unmoved(&at, start_p, start_left));
        FUZZ_CHECK(der_read_optional(&at, tag, &other, &is_present) == DER_OK && is_present);
        FUZZ_CHECK(other.p == body.p && other.left == body.left && at.p == in.p);
        at = der_cursor_init(start_p, start_left);
        FUZZ_CHECK(der_read_raw(&at, tag, &other) == DER_OK);
        FUZZ_CHECK(other.p == raw.p && other.left == raw.left && at.p == in.p);

        /* Re-encoding a TLV gives the same bytes (minimal length, same tag). */
        struct der_buf single = {0};
        der_write_tlv(&single, tag, body.p, body.left);
        FUZZ_CHECK(fuzz_same_bytes(&single, 0, &raw));
        der_buf_free(&single);

        fuzz_try_typed_readers(&raw);

        size_t start = out->len;
        bool is_whole = true;
        if ((tag & 0x20u) != 0 && depth < FUZZ_MAX_DEPTH) {
            der_begin(out, tag);
            is_whole = fuzz_walk(body, out, depth + 1);
            der_end(out);
        } else {
            der_write_tlv(out, tag, body.p, body.left);
            /* Extensions and OCSP responseBytes wrap DER in OCTET STRINGs. */
            if (tag == DER_TAG_OCTET_STRING && depth < FUZZ_MAX_DEPTH) {
                struct der_buf inner = {0};
                if (fuzz_walk(body, &inner, depth + 1))
                    FUZZ_CHECK(fuzz_same_bytes(&inner, 0, &body));
                der_buf_free(&inner);
            }
        }
        FUZZ_CHECK(out->error == DER_OK);
        if (is_whole)
            FUZZ_CHECK(fuzz_same_bytes(out, start, &raw));
        else
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct der_cursor in = der_cursor_init(data, size);
    struct der_buf out = {0};
    if (fuzz_walk(in, &out, 0)) {
        FUZZ_CHECK(der_buf_error(&out) == DER_OK);
        FUZZ_CHECK(fuzz_same_bytes(&out, 0, &in));
    }
    der_buf_free(&out);
    return 0;
}
