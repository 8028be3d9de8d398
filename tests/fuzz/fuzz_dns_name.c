/* fuzz_dns_name.c — libFuzzer target for ca_normalize_dns_name, the check of
 * the NAME in `ca issue NAME` (DESIGN 2): the name becomes a certificate's SAN
 * and the file names certs/NAME.pem and .key, so a name it lets through must
 * be a plain DNS name that cannot climb out of certs/. The verdict is compared
 * with a model of the documented rule (RFC 1035 letters-digits-hyphen labels
 * of 1 to 63, at most CA_MAX_NAME_LEN characters, a top-level label that is
 * not all digits); an accepted name is its input lower-cased, normalises to
 * itself, and fits a buffer of exactly its size (ASan sees an exact-size
 * buffer); a refused one says why in a message with no control characters
 * (it is printed on a terminal). The browser must be able to visit every
 * .test name the CA accepts, and the CA must accept every name of at most
 * CA_MAX_NAME_LEN characters the browser visits. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../browser/target.h"
#include "../../ca/ca.h"

#include "fuzz_check.h"

static bool fuzz_is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* The documented rule, written independently of ca.c. */
static bool fuzz_model_accepts(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > CA_MAX_NAME_LEN)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (name[i] != '.' && name[i] != 0) {
            if (!fuzz_is_ldh(name[i]))
                return false;
            continue;
        }
        size_t label_len = i - start;
        if (label_len == 0 || label_len > 63 || name[start] == '-' || name[i - 1] == '-')
            return false;
        if (name[i] == 0) {
            bool is_all_digits = true;
            for (size_t k = start; k < i; k++)
                is_all_digits &= name[k] >= '0' && name[k] <= '9';
            if (is_all_digits)
                return false;
        }
        start = i + 1;
    }
    return true;
}

static bool fuzz_message_is_printable(const struct errbuf *err)
{
    const char *end = memchr(err->msg, 0, sizeof err->msg);
    if (end == NULL || end == err->msg)
        return false;
    for (const char *p = err->msg; p < end; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static bool fuzz_ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* argv hands the CA a C string: the name ends at the first NUL. */
    char *name = malloc(size + 1);
    FUZZ_CHECK(name != NULL);
    memcpy(name, data, size);
    name[size] = 0;
    size_t len = strlen(name);

    struct errbuf err = {{0}};
    char *out = malloc(len + 1); /* exactly enough */
    FUZZ_CHECK(out != NULL);
    int rc = ca_normalize_dns_name(name, out, len + 1, &err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK((rc == 0) == fuzz_model_accepts(name));
    if (rc != 0) {
        FUZZ_CHECK(fuzz_message_is_printable(&err));
    } else {
        FUZZ_CHECK(strlen(out) == len);
        for (size_t i = 0; i < len; i++) {
            char want = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] - 'A' + 'a') : name[i];
            FUZZ_CHECK(out[i] == want);
        }
        /* A file name of it can hold no path. */
        FUZZ_CHECK(strchr(out, '/') == NULL && strcmp(out, "..") != 0);
        char *again = malloc(len + 1);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(ca_normalize_dns_name(out, again, len + 1, &err) == 0);
        FUZZ_CHECK(strcmp(again, out) == 0);
        free(again);
        /* One byte short of room is refused, not overrun. */
        char *short_out = malloc(len);
        FUZZ_CHECK(short_out != NULL);
        FUZZ_CHECK(ca_normalize_dns_name(name, short_out, len, &err) == -1);
        free(short_out);
    }

    /* The CA and the browser agree on .test names the URL can carry. */
    if (len <= TARGET_MAX_NAME && strchr(name, ':') == NULL && strchr(name, '/') == NULL &&
        strchr(name, '?') == NULL && strchr(name, '#') == NULL && strchr(name, '@') == NULL) {
        char url[TARGET_MAX_NAME + 32];
        struct target target;
        struct errbuf url_err = {{0}};
        snprintf(url, sizeof url, "https://%s:8443/", name);
        int url_rc = target_parse_url(url, &target, &url_err);
        if (rc == 0 && fuzz_ends_with(out, ".test"))
            FUZZ_CHECK(url_rc == 0 && strcmp(target.name, out) == 0);
        /* The browser takes names up to DNS's 253 characters; the CA stops at
         * CA_MAX_NAME_LEN for its file names, so only shorter ones must agree. */
        if (url_rc == 0 && len <= CA_MAX_NAME_LEN)
            FUZZ_CHECK(rc == 0 && strcmp(target.name, out) == 0);
    }
    free(out);
    free(name);
    return 0;
}
