/* der.c — the bounded DER reader and the growable DER writer of the lab.
 * Implements the DER restrictions of ITU-T X.690 (sections 8 and 10) for the
 * types RFC 5280 and RFC 6960 use, and the two time forms of RFC 5280 4.1.2.5.
 * Every read checks what is left before touching a byte and moves the cursor
 * only on success; every write goes through one buffer with a sticky error. */
#include "der.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Four length octets describe elements up to 4 GiB, far beyond anything the lab
 * exchanges; refusing more also keeps every length inside a 32-bit size_t. */
#define DER_MAX_LENGTH_OCTETS 4
#define DER_MAX_ELEMENT_LEN UINT32_MAX

/* A base-128 subidentifier of up to 64 bits needs at most ceil(64 / 7) octets. */
#define DER_MAX_SUBID_OCTETS 10

/* The range GeneralizedTime's four-digit year can state: 0000-01-01T00:00:00Z
 * through 9999-12-31T23:59:59Z. */
#define DER_TIME_MIN (-62167219200LL)
#define DER_TIME_MAX 253402300799LL
/* RFC 5280 4.1.2.5: UTCTime covers 1950-01-01T00:00:00Z up to 2050-01-01T00:00:00Z. */
#define DER_UTC_TIME_FIRST (-631152000LL)
#define DER_UTC_TIME_END 2524608000LL
#define DER_SECONDS_PER_DAY 86400

/* First allocation of a writer: enough for a typical OCSP request in one go. */
#define DER_BUF_INITIAL_CAP 256

const char *der_strerror(int err)
{
    switch (err) {
    case DER_OK:
        return "no error";
    case DER_ERR_TRUNCATED:
        return "length longer than the data";
    case DER_ERR_BAD_LENGTH:
        return "length not in DER form (indefinite, non-minimal or over 4 octets)";
    case DER_ERR_UNEXPECTED_TAG:
        return "unexpected or unsupported tag";
    case DER_ERR_TRAILING:
        return "trailing bytes after the last element";
    case DER_ERR_BAD_VALUE:
        return "value not in DER form";
    case DER_ERR_NOMEM:
        return "out of memory";
    case DER_ERR_LIMIT:
        return "nesting too deep, unbalanced, or value too large";
    }
    return "unknown DER error";
}

/* ---- Reader ---------------------------------------------------------------- */

struct der_cursor der_cursor_init(const uint8_t *data, size_t len)
{
    struct der_cursor cursor = {data, len};
    return cursor;
}

bool der_is_empty(const struct der_cursor *in)
{
    return in->left == 0;
}

int der_expect_end(const struct der_cursor *in)
{
    return in->left == 0 ? DER_OK : DER_ERR_TRAILING;
}

static void der_cursor_skip(struct der_cursor *in, size_t count)
{
    in->p += count;
    in->left -= count;
}

/* Low bits 11111 announce a multi-octet (high) tag number, which no structure of
 * RFC 5280 or RFC 6960 uses; universal tag 0 is BER's end-of-contents marker and
 * never stands in DER. Reader and writer share this test so they agree. */
static bool der_tag_is_valid(uint8_t tag)
{
    return (tag & 0x1fu) != 0x1fu && (tag & 0xdfu) != 0x00u;
}

/* Parses the identifier and length octets at the front of `in` without moving
 * it. On success the whole element (header_len + body_len) fits in what is left,
 * so callers may skip it without further checks. */
static int der_parse_header(const struct der_cursor *in, uint8_t *tag, size_t *header_len,
                            size_t *body_len)
{
    if (in->left == 0)
        return DER_ERR_TRUNCATED;
    if (!der_tag_is_valid(in->p[0]))
        return DER_ERR_UNEXPECTED_TAG;
    if (in->left < 2)
        return DER_ERR_TRUNCATED;

    uint8_t first = in->p[1];
    size_t header = 2;
    uint64_t length = first;
    if (first >= 0x80) {
        size_t octets = first & 0x7fu;
        /* 0x80 is BER's indefinite length: DER always states the length. */
        if (octets == 0 || octets > DER_MAX_LENGTH_OCTETS)
            return DER_ERR_BAD_LENGTH;
        if (in->left - header < octets)
            return DER_ERR_TRUNCATED;
        /* X.690 10.1: the fewest octets, so no leading zero octet and no long
         * form for a length the short form can hold. */
        if (in->p[header] == 0x00)
            return DER_ERR_BAD_LENGTH;
        length = 0;
        for (size_t i = 0; i < octets; i++)
            length = (length << 8) | in->p[header + i];
        if (length < 0x80)
            return DER_ERR_BAD_LENGTH;
        header += octets;
    }
    /* Compared as uint64_t: the claimed length may exceed a 32-bit size_t. */
    if (length > (uint64_t)(in->left - header))
        return DER_ERR_TRUNCATED;

    *tag = in->p[0];
    *header_len = header;
    *body_len = (size_t)length;
    return DER_OK;
}

int der_read_any(struct der_cursor *in, uint8_t *tag, struct der_cursor *body,
                 struct der_cursor *raw)
{
    uint8_t element_tag;
    size_t header_len;
    size_t body_len;
    int rc = der_parse_header(in, &element_tag, &header_len, &body_len);
    if (rc != DER_OK)
        return rc;

    struct der_cursor element_body = der_cursor_init(in->p + header_len, body_len);
    struct der_cursor element_raw = der_cursor_init(in->p, header_len + body_len);
    /* The cursor moves before the outputs are written, so a caller may descend in
     * place with der_read_sequence(&c, &c). */
    der_cursor_skip(in, header_len + body_len);
    if (tag != NULL)
        *tag = element_tag;
    if (body != NULL)
        *body = element_body;
    if (raw != NULL)
        *raw = element_raw;
    return DER_OK;
}

int der_read_tagged(struct der_cursor *in, uint8_t tag, struct der_cursor *body)
{
    if (in->left == 0)
        return DER_ERR_TRUNCATED;
    if (in->p[0] != tag)
        return DER_ERR_UNEXPECTED_TAG;
    return der_read_any(in, NULL, body, NULL);
}

int der_read_raw(struct der_cursor *in, uint8_t tag, struct der_cursor *raw)
{
    if (in->left == 0)
        return DER_ERR_TRUNCATED;
    if (in->p[0] != tag)
        return DER_ERR_UNEXPECTED_TAG;
    return der_read_any(in, NULL, NULL, raw);
}

int der_read_sequence(struct der_cursor *in, struct der_cursor *body)
{
    return der_read_tagged(in, DER_TAG_SEQUENCE, body);
}

int der_read_set(struct der_cursor *in, struct der_cursor *body)
{
    return der_read_tagged(in, DER_TAG_SET, body);
}

bool der_peek_tag(const struct der_cursor *in, uint8_t tag)
{
    uint8_t element_tag;
    size_t header_len;
    size_t body_len;
    return der_parse_header(in, &element_tag, &header_len, &body_len) == DER_OK &&
           element_tag == tag;
}

int der_read_optional(struct der_cursor *in, uint8_t tag, struct der_cursor *body, bool *present)
{
    *present = false;
    /* Only the identifier octet decides presence: an element that carries the
     * tag but is malformed is an error, not an absent field. */
    if (in->left == 0 || in->p[0] != tag)
        return DER_OK;
    int rc = der_read_tagged(in, tag, body);
    if (rc != DER_OK)
        return rc;
    *present = true;
    return DER_OK;
}

/* X.690 8.3: an INTEGER has at least one contents octet, and its first nine bits
 * are never all zeros or all ones (that octet would only repeat the sign). */
static int der_check_integer(const struct der_cursor *body)
{
    if (body->left == 0)
        return DER_ERR_BAD_VALUE;
    if (body->left > 1) {
        uint8_t lead = body->p[0];
        bool next_high = (body->p[1] & 0x80u) != 0;
        if ((lead == 0x00 && !next_high) || (lead == 0xff && next_high))
            return DER_ERR_BAD_VALUE;
    }
    return DER_OK;
}

/* Reads an INTEGER or ENUMERATED (same contents rules) into an int64_t. */
static int der_read_int64(struct der_cursor *in, uint8_t tag, int64_t *value)
{
    struct der_cursor rest = *in;
    struct der_cursor body;
    int rc = der_read_tagged(&rest, tag, &body);
    if (rc != DER_OK)
        return rc;
    rc = der_check_integer(&body);
    if (rc != DER_OK)
        return rc;
    /* A minimal encoding of more than 8 octets is outside int64_t by definition. */
    if (body.left > 8)
        return DER_ERR_LIMIT;

    uint64_t bits = (body.p[0] & 0x80u) != 0 ? UINT64_MAX : 0; /* sign extension */
    for (size_t i = 0; i < body.left; i++)
        bits = (bits << 8) | body.p[i];
    /* Back from two's complement without an implementation-defined conversion. */
    if (bits <= (uint64_t)INT64_MAX)
        *value = (int64_t)bits;
    else
        *value = -(int64_t)~bits - 1;
    *in = rest;
    return DER_OK;
}

int der_read_integer_bytes(struct der_cursor *in, const uint8_t **value, size_t *len)
{
    struct der_cursor rest = *in;
    struct der_cursor body;
    int rc = der_read_tagged(&rest, DER_TAG_INTEGER, &body);
    if (rc != DER_OK)
        return rc;
    rc = der_check_integer(&body);
    if (rc != DER_OK)
        return rc;
    *value = body.p;
    *len = body.left;
    *in = rest;
    return DER_OK;
}

int der_read_small_int(struct der_cursor *in, int64_t *value)
{
    return der_read_int64(in, DER_TAG_INTEGER, value);
}

/* Negative values are BAD_VALUE (no RFC 6960 enumeration has one); values above
 * INT_MAX are DER_ERR_LIMIT. */
int der_read_enumerated(struct der_cursor *in, int *value)
{
    struct der_cursor rest = *in;
    int64_t wide;
    int rc = der_read_int64(&rest, DER_TAG_ENUMERATED, &wide);
    if (rc != DER_OK)
        return rc;
    if (wide < 0)
        return DER_ERR_BAD_VALUE;
    if (wide > INT_MAX)
        return DER_ERR_LIMIT;
    *value = (int)wide;
    *in = rest;
    return DER_OK;
}

int der_read_boolean(struct der_cursor *in, bool *value)
{
    struct der_cursor rest = *in;
    struct der_cursor body;
    int rc = der_read_tagged(&rest, DER_TAG_BOOLEAN, &body);
    if (rc != DER_OK)
        return rc;
    /* X.690 11.1: DER writes TRUE as FF, never as any other non-zero octet. */
    if (body.left != 1 || (body.p[0] != 0x00 && body.p[0] != 0xff))
        return DER_ERR_BAD_VALUE;
    *value = body.p[0] == 0xff;
    *in = rest;
    return DER_OK;
}

int der_read_null(struct der_cursor *in)
{
    struct der_cursor rest = *in;
    struct der_cursor body;
    int rc = der_read_tagged(&rest, DER_TAG_NULL, &body);
    if (rc != DER_OK)
        return rc;
    if (body.left != 0)
        return DER_ERR_BAD_VALUE;
    *in = rest;
    return DER_OK;
}

/* X.690 8.19.2: each subidentifier is base-128 in the fewest octets (so it
 * never starts with 0x80) and ends with an octet whose high bit is clear. */
static int der_check_oid(const struct der_cursor *oid)
{
    if (oid->left == 0)
        return DER_ERR_BAD_VALUE;
    bool at_subid_start = true;
    for (size_t i = 0; i < oid->left; i++) {
        if (at_subid_start && oid->p[i] == 0x80)
            return DER_ERR_BAD_VALUE;
        at_subid_start = (oid->p[i] & 0x80u) == 0;
    }
    return at_subid_start ? DER_OK : DER_ERR_BAD_VALUE;
}

int der_read_oid(struct der_cursor *in, struct der_cursor *oid)
{
    struct der_cursor rest = *in;
    struct der_cursor body;
    int rc = der_read_tagged(&rest, DER_TAG_OID, &body);
    if (rc != DER_OK)
        return rc;
    rc = der_check_oid(&body);
    if (rc != DER_OK)
        return rc;
    *oid = body;
    *in = rest;
    return DER_OK;
}

int der_read_bit_string(struct der_cursor *in, const uint8_t **bits, size_t *len,
                        unsigned *unused_bits)
{
    struct der_cursor rest = *in;
    struct der_cursor body;
    int rc = der_read_tagged(&rest, DER_TAG_BIT_STRING, &body);
    if (rc != DER_OK)
        return rc;
    /* X.690 8.6.2: an initial octet 0..7 counts the unused bits of the last
     * octet; an empty string has none. 11.2.1: DER sets those bits to zero. */
    if (body.left == 0)
        return DER_ERR_BAD_VALUE;
    unsigned unused = body.p[0];
    if (unused > 7 || (body.left == 1 && unused != 0))
        return DER_ERR_BAD_VALUE;
    if (unused != 0 && (body.p[body.left - 1] & ((1u << unused) - 1u)) != 0)
        return DER_ERR_BAD_VALUE;
    *bits = body.p + 1;
    *len = body.left - 1;
    *unused_bits = unused;
    *in = rest;
    return DER_OK;
}

int der_read_octet_string(struct der_cursor *in, const uint8_t **value, size_t *len)
{
    struct der_cursor rest = *in;
    struct der_cursor body;
    int rc = der_read_tagged(&rest, DER_TAG_OCTET_STRING, &body);
    if (rc != DER_OK)
        return rc;
    *value = body.p;
    *len = body.left;
    *in = rest;
    return DER_OK;
}

/* ---- Calendar arithmetic (proleptic Gregorian, UTC, no leap seconds) -------- */

static bool der_is_leap_year(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int der_days_in_month(int64_t year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && der_is_leap_year(year))
        return 29;
    return days[month - 1];
}

/* Days from 1970-01-01 to a valid date: Howard Hinnant's days_from_civil, which
 * counts in 400-year eras starting on 1 March so leap days fall at a year's end.
 * Our own arithmetic because timegm() is not standard and mktime() follows the
 * local time zone. */
static int64_t der_days_from_civil(int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/* The inverse of der_days_from_civil. */
static void der_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    int64_t month_of_year = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    *day = (int)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    *month = (int)month_of_year;
    *year = year_of_era + era * 400 + (month_of_year <= 2);
}

/* ---- Times ------------------------------------------------------------------ */

/* `count` ASCII digits as a number; no sign, no spaces, no locale. */
static bool der_parse_digits(const uint8_t *text, size_t count, int *value)
{
    int number = 0;
    for (size_t i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        number = number * 10 + (text[i] - '0');
    }
    *value = number;
    return true;
}

/* The fixed "MMDDHHMMSS" that follows the year in both time forms, checked
 * against the calendar and converted to Unix seconds. */
static int der_parse_date_time(int64_t year, const uint8_t *text, int64_t *unix_seconds)
{
    int month, day, hour, minute, second;
    if (!der_parse_digits(text, 2, &month) || !der_parse_digits(text + 2, 2, &day) ||
        !der_parse_digits(text + 4, 2, &hour) || !der_parse_digits(text + 6, 2, &minute) ||
        !der_parse_digits(text + 8, 2, &second))
        return DER_ERR_BAD_VALUE;
    /* No 24:00 and no leap second 60: RFC 5280 times name an instant in UTC and
     * Unix seconds have no slot for a 61st second. */
    if (month < 1 || month > 12 || day < 1 || day > der_days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 59)
        return DER_ERR_BAD_VALUE;
    *unix_seconds = der_days_from_civil(year, month, day) * DER_SECONDS_PER_DAY + hour * 3600 +
                    minute * 60 + second;
    return DER_OK;
}

/* UTCTime in DER: exactly YYMMDDHHMMSSZ (X.690 11.8); RFC 5280 4.1.2.5.1 reads
 * YY below 50 as 20YY and the rest as 19YY. */
static int der_parse_utc_time(const struct der_cursor *body, int64_t *unix_seconds)
{
    int two_digit_year;
    if (body->left != 13 || body->p[12] != 'Z' || !der_parse_digits(body->p, 2, &two_digit_year))
        return DER_ERR_BAD_VALUE;
    int64_t year = two_digit_year < 50 ? 2000 + two_digit_year : 1900 + two_digit_year;
    return der_parse_date_time(year, body->p + 2, unix_seconds);
}

/* GeneralizedTime in DER: YYYYMMDDHHMMSS, optional ".fraction" without trailing
 * zeros, then Z (X.690 11.7). The fraction is read for validity and dropped:
 * certificates and OCSP responses are compared to the second. */
static int der_parse_generalized_time(const struct der_cursor *body, int64_t *unix_seconds)
{
    const size_t fixed_len = 14; /* YYYYMMDDHHMMSS */
    int year;
    if (body->left < fixed_len + 1 || body->p[body->left - 1] != 'Z' ||
        !der_parse_digits(body->p, 4, &year))
        return DER_ERR_BAD_VALUE;
    if (body->left > fixed_len + 1) {
        size_t fraction_len = body->left - fixed_len - 2; /* minus '.' and 'Z' */
        const uint8_t *fraction = body->p + fixed_len + 1;
        if (body->p[fixed_len] != '.' || fraction_len == 0 || fraction[fraction_len - 1] == '0')
            return DER_ERR_BAD_VALUE;
        for (size_t i = 0; i < fraction_len; i++) {
            if (fraction[i] < '0' || fraction[i] > '9')
                return DER_ERR_BAD_VALUE;
        }
    }
    return der_parse_date_time(year, body->p + 4, unix_seconds);
}

int der_read_time(struct der_cursor *in, int64_t *unix_seconds)
{
    if (in->left == 0)
        return DER_ERR_TRUNCATED;
    uint8_t tag = in->p[0];
    if (tag != DER_TAG_UTC_TIME && tag != DER_TAG_GENERALIZED_TIME)
        return DER_ERR_UNEXPECTED_TAG;

    struct der_cursor rest = *in;
    struct der_cursor body;
    int rc = der_read_tagged(&rest, tag, &body);
    if (rc != DER_OK)
        return rc;
    int64_t seconds;
    if (tag == DER_TAG_UTC_TIME)
        rc = der_parse_utc_time(&body, &seconds);
    else
        rc = der_parse_generalized_time(&body, &seconds);
    if (rc != DER_OK)
        return rc;
    *unix_seconds = seconds;
    *in = rest;
    return DER_OK;
}

/* ---- Object identifiers ------------------------------------------------------ */

/* Decodes the next subidentifier of checked-or-not OID contents. Subidentifiers
 * above 64 bits (legal, but unused by anything the lab reads) are DER_ERR_LIMIT. */
static int der_oid_next_subid(struct der_cursor *oid, uint64_t *subid)
{
    uint64_t value = 0;
    size_t used = 0;
    for (;;) {
        if (used == oid->left)
            return DER_ERR_BAD_VALUE;
        uint8_t octet = oid->p[used];
        if (used == 0 && octet == 0x80)
            return DER_ERR_BAD_VALUE;
        if (value > (UINT64_MAX >> 7))
            return DER_ERR_LIMIT;
        value = (value << 7) | (octet & 0x7fu);
        used++;
        if ((octet & 0x80u) == 0)
            break;
    }
    der_cursor_skip(oid, used);
    *subid = value;
    return DER_OK;
}

/* Walks dotted text ("1.3.6.1") one encoded subidentifier at a time. */
struct der_dotted {
    const char *next;
    bool is_first;
    bool is_done;
};

/* One decimal arc and the '.' after it. Digits only and no leading zero, so an
 * OID has exactly one spelling and "1.03" never equals "1.3". */
static int der_dotted_next_arc(struct der_dotted *dotted, uint64_t *arc)
{
    const char *text = dotted->next;
    if (text[0] < '0' || text[0] > '9' || (text[0] == '0' && text[1] >= '0' && text[1] <= '9'))
        return DER_ERR_BAD_VALUE;
    uint64_t value = 0;
    for (; *text >= '0' && *text <= '9'; text++) {
        unsigned digit = (unsigned)(*text - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return DER_ERR_BAD_VALUE;
        value = value * 10 + digit;
    }
    if (*text == '.')
        text++;
    else if (*text == '\0')
        dotted->is_done = true;
    else
        return DER_ERR_BAD_VALUE;
    dotted->next = text;
    *arc = value;
    return DER_OK;
}

/* X.690 8.19.4: the first two arcs travel as one subidentifier 40 * a + b, which
 * is unambiguous only with a in 0..2 and b below 40 unless a is 2. */
static int der_dotted_next_subid(struct der_dotted *dotted, uint64_t *subid)
{
    if (!dotted->is_first)
        return der_dotted_next_arc(dotted, subid);

    uint64_t first, second;
    int rc = der_dotted_next_arc(dotted, &first);
    if (rc != DER_OK)
        return rc;
    if (dotted->is_done) /* an OID has at least two arcs */
        return DER_ERR_BAD_VALUE;
    rc = der_dotted_next_arc(dotted, &second);
    if (rc != DER_OK)
        return rc;
    if (first > 2 || (first < 2 && second >= 40) || second > UINT64_MAX - 80)
        return DER_ERR_BAD_VALUE;
    dotted->is_first = false;
    *subid = first * 40 + second;
    return DER_OK;
}

static size_t der_subid_encode(uint64_t subid, uint8_t out[DER_MAX_SUBID_OCTETS])
{
    size_t count = 1;
    for (uint64_t rest = subid >> 7; rest != 0; rest >>= 7)
        count++;
    for (size_t i = 0; i < count; i++) {
        unsigned shift = (unsigned)(7 * (count - 1 - i));
        uint8_t more = i + 1 < count ? 0x80 : 0x00;
        out[i] = (uint8_t)(((subid >> shift) & 0x7fu) | more);
    }
    return count;
}

/* With out == NULL only measures. The encoding is never longer than the text,
 * so the measured size cannot overflow. */
int der_oid_encode(const char *dotted, uint8_t *out, size_t cap, size_t *len)
{
    if (dotted == NULL)
        return DER_ERR_BAD_VALUE;
    struct der_dotted walk = {dotted, true, false};
    size_t used = 0;
    while (!walk.is_done) {
        uint64_t subid;
        int rc = der_dotted_next_subid(&walk, &subid);
        if (rc != DER_OK)
            return rc;
        uint8_t octets[DER_MAX_SUBID_OCTETS];
        size_t count = der_subid_encode(subid, octets);
        if (out != NULL) {
            if (count > cap - used)
                return DER_ERR_LIMIT;
            memcpy(out + used, octets, count);
        }
        used += count;
    }
    *len = used;
    return DER_OK;
}

bool der_oid_equals(const struct der_cursor *oid, const char *dotted)
{
    if (dotted == NULL || der_check_oid(oid) != DER_OK)
        return false;
    struct der_cursor rest = *oid;
    struct der_dotted walk = {dotted, true, false};
    while (!walk.is_done) {
        uint64_t want, have;
        if (der_dotted_next_subid(&walk, &want) != DER_OK ||
            der_oid_next_subid(&rest, &have) != DER_OK || have != want)
            return false;
    }
    return der_is_empty(&rest);
}

static int der_append_arc(char *out, size_t cap, size_t *used, const char *separator, uint64_t arc)
{
    int written = snprintf(out + *used, cap - *used, "%s%" PRIu64, separator, arc);
    if (written < 0 || (size_t)written >= cap - *used)
        return DER_ERR_LIMIT;
    *used += (size_t)written;
    return DER_OK;
}

int der_oid_to_string(const struct der_cursor *oid, char *out, size_t cap)
{
    if (cap == 0)
        return DER_ERR_LIMIT;
    out[0] = '\0';
    int rc = der_check_oid(oid);
    if (rc != DER_OK)
        return rc;

    struct der_cursor rest = *oid;
    size_t used = 0;
    uint64_t subid;
    rc = der_oid_next_subid(&rest, &subid);
    if (rc == DER_OK) {
        uint64_t first_arc = subid < 40 ? 0 : subid < 80 ? 1 : 2;
        rc = der_append_arc(out, cap, &used, "", first_arc);
        if (rc == DER_OK)
            rc = der_append_arc(out, cap, &used, ".", subid - first_arc * 40);
    }
    while (rc == DER_OK && !der_is_empty(&rest)) {
        rc = der_oid_next_subid(&rest, &subid);
        if (rc == DER_OK)
            rc = der_append_arc(out, cap, &used, ".", subid);
    }
    if (rc != DER_OK)
        out[0] = '\0'; /* never hand back half a name */
    return rc;
}

/* ---- Writer ------------------------------------------------------------------ */

/* A wipe the compiler may not drop as a dead store before free(). */
static void der_wipe(void *bytes, size_t len)
{
    if (bytes != NULL && len != 0)
        explicit_bzero(bytes, len);
}

static int der_buf_fail(struct der_buf *buf, int err)
{
    if (buf->error == DER_OK)
        buf->error = err;
    return buf->error;
}

/* Makes room for `extra` more bytes, doubling so a long build stays linear. We
 * allocate, copy and wipe rather than realloc(): realloc may move the block and
 * leave a copy of a private key in freed memory. */
static int der_buf_reserve(struct der_buf *buf, size_t extra)
{
    if (extra <= buf->cap - buf->len)
        return DER_OK;
    if (extra > SIZE_MAX - buf->len)
        return der_buf_fail(buf, DER_ERR_LIMIT);
    size_t need = buf->len + extra;
    size_t cap = buf->cap != 0 ? buf->cap : DER_BUF_INITIAL_CAP;
    while (cap < need)
        cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
    uint8_t *grown = malloc(cap);
    if (grown == NULL)
        return der_buf_fail(buf, DER_ERR_NOMEM);
    if (buf->len != 0)
        memcpy(grown, buf->data, buf->len);
    der_wipe(buf->data, buf->cap);
    free(buf->data);
    buf->data = grown;
    buf->cap = cap;
    return DER_OK;
}

/* Length octets for `len` (at most DER_MAX_ELEMENT_LEN): the short form below
 * 128, otherwise 0x80 | n followed by n big-endian octets without leading zeros. */
static size_t der_encode_length(size_t len, uint8_t out[1 + DER_MAX_LENGTH_OCTETS])
{
    if (len < 0x80) {
        out[0] = (uint8_t)len;
        return 1;
    }
    size_t octets = 0;
    for (uint64_t rest = len; rest != 0; rest >>= 8)
        octets++;
    out[0] = (uint8_t)(0x80u | octets);
    for (size_t i = 0; i < octets; i++)
        out[1 + i] = (uint8_t)((uint64_t)len >> (8 * (octets - 1 - i)));
    return 1 + octets;
}

/* Appends tag, length and contents made of `lead` then `value` (the 00 before a
 * positive INTEGER, the unused-bits octet of a BIT STRING). All or nothing. */
static int der_write_element(struct der_buf *buf, uint8_t tag, const uint8_t *lead, size_t lead_len,
                             const uint8_t *value, size_t value_len)
{
    if (buf->error != DER_OK)
        return buf->error;
    if (!der_tag_is_valid(tag))
        return der_buf_fail(buf, DER_ERR_BAD_VALUE);
    if ((uint64_t)value_len > DER_MAX_ELEMENT_LEN ||
        (uint64_t)lead_len > DER_MAX_ELEMENT_LEN - (uint64_t)value_len)
        return der_buf_fail(buf, DER_ERR_LIMIT);
    size_t body_len = lead_len + value_len;

    uint8_t length[1 + DER_MAX_LENGTH_OCTETS];
    size_t length_len = der_encode_length(body_len, length);
    if (body_len > SIZE_MAX - 1 - length_len)
        return der_buf_fail(buf, DER_ERR_LIMIT);
    int rc = der_buf_reserve(buf, 1 + length_len + body_len);
    if (rc != DER_OK)
        return rc;

    uint8_t *at = buf->data + buf->len;
    *at++ = tag;
    memcpy(at, length, length_len);
    at += length_len;
    /* memcpy with a NULL source is undefined even for zero bytes. */
    if (lead_len != 0)
        memcpy(at, lead, lead_len);
    if (value_len != 0)
        memcpy(at + lead_len, value, value_len);
    buf->len += 1 + length_len + body_len;
    return DER_OK;
}

void der_buf_free(struct der_buf *buf)
{
    if (buf == NULL)
        return;
    der_wipe(buf->data, buf->cap);
    free(buf->data);
    memset(buf, 0, sizeof *buf);
}

/* An element still open is reported as DER_ERR_LIMIT: the nesting is unbalanced. */
int der_buf_error(const struct der_buf *buf)
{
    if (buf->error != DER_OK)
        return buf->error;
    return buf->depth != 0 ? DER_ERR_LIMIT : DER_OK;
}

int der_begin(struct der_buf *buf, uint8_t tag)
{
    if (buf->error != DER_OK)
        return buf->error;
    if (!der_tag_is_valid(tag))
        return der_buf_fail(buf, DER_ERR_BAD_VALUE);
    if (buf->depth >= DER_MAX_DEPTH)
        return der_buf_fail(buf, DER_ERR_LIMIT);
    int rc = der_buf_reserve(buf, 2);
    if (rc != DER_OK)
        return rc;
    buf->data[buf->len++] = tag;
    /* One length octet is reserved; der_end widens it if the contents need more. */
    buf->open_at[buf->depth++] = buf->len;
    buf->data[buf->len++] = 0;
    return DER_OK;
}

/* Closing with nothing open is DER_ERR_LIMIT, like an element left open. */
int der_end(struct der_buf *buf)
{
    if (buf->error != DER_OK)
        return buf->error;
    if (buf->depth == 0)
        return der_buf_fail(buf, DER_ERR_LIMIT);

    size_t length_at = buf->open_at[buf->depth - 1];
    size_t body_len = buf->len - length_at - 1;
    if ((uint64_t)body_len > DER_MAX_ELEMENT_LEN)
        return der_buf_fail(buf, DER_ERR_LIMIT);
    uint8_t length[1 + DER_MAX_LENGTH_OCTETS];
    size_t length_len = der_encode_length(body_len, length);
    if (length_len > 1) {
        int rc = der_buf_reserve(buf, length_len - 1);
        if (rc != DER_OK)
            return rc;
        memmove(buf->data + length_at + length_len, buf->data + length_at + 1, body_len);
        buf->len += length_len - 1;
    }
    memcpy(buf->data + length_at, length, length_len);
    buf->depth--;
    return DER_OK;
}

/* The bytes are not checked: callers also append pieces of an element, such as
 * the unused-bits octet before a signature SEQUENCE wrapped in a BIT STRING. */
int der_write_raw(struct der_buf *buf, const uint8_t *bytes, size_t len)
{
    if (buf->error != DER_OK)
        return buf->error;
    int rc = der_buf_reserve(buf, len);
    if (rc != DER_OK)
        return rc;
    if (len != 0)
        memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    return DER_OK;
}

int der_write_tlv(struct der_buf *buf, uint8_t tag, const uint8_t *value, size_t len)
{
    return der_write_element(buf, tag, NULL, 0, value, len);
}

int der_write_unsigned_integer(struct der_buf *buf, const uint8_t *magnitude, size_t len)
{
    static const uint8_t zero = 0x00;
    while (len > 0 && magnitude[0] == 0x00) {
        magnitude++;
        len--;
    }
    if (len == 0)
        return der_write_element(buf, DER_TAG_INTEGER, NULL, 0, &zero, 1);
    /* A set high bit would read as negative: a 00 octet keeps the value positive. */
    size_t lead_len = (magnitude[0] & 0x80u) != 0 ? 1 : 0;
    return der_write_element(buf, DER_TAG_INTEGER, &zero, lead_len, magnitude, len);
}

static int der_write_int64(struct der_buf *buf, uint8_t tag, int64_t value)
{
    uint8_t octets[8];
    uint64_t bits = (uint64_t)value; /* two's complement, well defined for unsigned */
    for (size_t i = 0; i < 8; i++)
        octets[i] = (uint8_t)(bits >> (56 - 8 * i));
    /* X.690 8.3.2: drop leading octets that only repeat the sign bit. */
    size_t start = 0;
    while (start < 7 && ((octets[start] == 0x00 && (octets[start + 1] & 0x80u) == 0) ||
                         (octets[start] == 0xff && (octets[start + 1] & 0x80u) != 0)))
        start++;
    return der_write_element(buf, tag, NULL, 0, octets + start, 8 - start);
}

int der_write_small_int(struct der_buf *buf, int64_t value)
{
    return der_write_int64(buf, DER_TAG_INTEGER, value);
}

/* Negative values are refused, as der_read_enumerated refuses them. */
int der_write_enumerated(struct der_buf *buf, int value)
{
    if (buf->error != DER_OK)
        return buf->error;
    if (value < 0)
        return der_buf_fail(buf, DER_ERR_BAD_VALUE);
    return der_write_int64(buf, DER_TAG_ENUMERATED, value);
}

int der_write_boolean(struct der_buf *buf, bool value)
{
    uint8_t octet = value ? 0xff : 0x00;
    return der_write_element(buf, DER_TAG_BOOLEAN, NULL, 0, &octet, 1);
}

int der_write_null(struct der_buf *buf)
{
    return der_write_element(buf, DER_TAG_NULL, NULL, 0, NULL, 0);
}

int der_write_oid(struct der_buf *buf, const char *dotted)
{
    if (buf->error != DER_OK)
        return buf->error;
    /* Measure, then encode straight into the buffer: no size limit of our own. */
    size_t body_len;
    int rc = der_oid_encode(dotted, NULL, 0, &body_len);
    if (rc != DER_OK)
        return der_buf_fail(buf, rc);
    if ((uint64_t)body_len > DER_MAX_ELEMENT_LEN)
        return der_buf_fail(buf, DER_ERR_LIMIT);
    uint8_t length[1 + DER_MAX_LENGTH_OCTETS];
    size_t length_len = der_encode_length(body_len, length);
    rc = der_buf_reserve(buf, 1 + length_len + body_len);
    if (rc != DER_OK)
        return rc;
    uint8_t *at = buf->data + buf->len;
    at[0] = DER_TAG_OID;
    memcpy(at + 1, length, length_len);
    size_t written;
    rc = der_oid_encode(dotted, at + 1 + length_len, body_len, &written);
    if (rc != DER_OK)
        return der_buf_fail(buf, rc);
    buf->len += 1 + length_len + body_len;
    return DER_OK;
}

/* The same DER rules der_read_bit_string enforces, so what we write reads back. */
int der_write_bit_string(struct der_buf *buf, const uint8_t *bits, size_t len, unsigned unused_bits)
{
    if (buf->error != DER_OK)
        return buf->error;
    if (unused_bits > 7 || (len == 0 && unused_bits != 0) ||
        (unused_bits != 0 && (bits[len - 1] & ((1u << unused_bits) - 1u)) != 0))
        return der_buf_fail(buf, DER_ERR_BAD_VALUE);
    uint8_t lead = (uint8_t)unused_bits;
    return der_write_element(buf, DER_TAG_BIT_STRING, &lead, 1, bits, len);
}

int der_write_octet_string(struct der_buf *buf, const uint8_t *value, size_t len)
{
    return der_write_element(buf, DER_TAG_OCTET_STRING, NULL, 0, value, len);
}

static void der_put_digits(uint8_t *out, int64_t value, size_t count)
{
    for (size_t i = count; i > 0; i--) {
        out[i - 1] = (uint8_t)('0' + value % 10);
        value /= 10;
    }
}

/* Seconds outside the form's range are DER_ERR_LIMIT: the value is too large
 * (or too small) for the text the form allows. */
static int der_write_time_form(struct der_buf *buf, uint8_t tag, int64_t unix_seconds)
{
    if (buf->error != DER_OK)
        return buf->error;
    bool is_utc = tag == DER_TAG_UTC_TIME;
    int64_t first = is_utc ? DER_UTC_TIME_FIRST : DER_TIME_MIN;
    int64_t last = is_utc ? DER_UTC_TIME_END - 1 : DER_TIME_MAX;
    if (unix_seconds < first || unix_seconds > last)
        return der_buf_fail(buf, DER_ERR_LIMIT);

    /* Floor division: the second of day stays in 0..86399 before 1970 too. */
    int64_t days = unix_seconds / DER_SECONDS_PER_DAY;
    int64_t second_of_day = unix_seconds % DER_SECONDS_PER_DAY;
    if (second_of_day < 0) {
        days--;
        second_of_day += DER_SECONDS_PER_DAY;
    }
    int64_t year;
    int month, day;
    der_civil_from_days(days, &year, &month, &day);

    uint8_t text[15]; /* YYYYMMDDHHMMSSZ; UTCTime drops the century */
    size_t year_digits = is_utc ? 2 : 4;
    der_put_digits(text, is_utc ? year % 100 : year, year_digits);
    uint8_t *at = text + year_digits;
    der_put_digits(at, month, 2);
    der_put_digits(at + 2, day, 2);
    der_put_digits(at + 4, second_of_day / 3600, 2);
    der_put_digits(at + 6, second_of_day / 60 % 60, 2);
    der_put_digits(at + 8, second_of_day % 60, 2);
    at[10] = 'Z';
    return der_write_element(buf, tag, NULL, 0, text, year_digits + 11);
}

int der_write_generalized_time(struct der_buf *buf, int64_t unix_seconds)
{
    return der_write_time_form(buf, DER_TAG_GENERALIZED_TIME, unix_seconds);
}

int der_write_utc_time(struct der_buf *buf, int64_t unix_seconds)
{
    return der_write_time_form(buf, DER_TAG_UTC_TIME, unix_seconds);
}

int der_write_x509_time(struct der_buf *buf, int64_t unix_seconds)
{
    if (unix_seconds >= DER_UTC_TIME_FIRST && unix_seconds < DER_UTC_TIME_END)
        return der_write_utc_time(buf, unix_seconds);
    return der_write_generalized_time(buf, unix_seconds);
}

bool der_take(struct der_cursor *in, size_t n, struct der_cursor *out)
{
    if (in->left < n)
        return false;
    if (out != NULL)
        *out = der_cursor_init(in->p, n);
    in->p += n;
    in->left -= n;
    return true;
}
