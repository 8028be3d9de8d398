/* control_token.c — LAB/control.token: made, read and compared. */
#include "control_token.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "hex.h"
#include "lab.h"

int control_token_create(const char *lab, struct errbuf *err)
{
    char path[LAB_PATH_MAX], text[CONTROL_TOKEN_HEX + 2];
    uint8_t secret[CONTROL_TOKEN_HEX / 2];
    WC_RNG rng;
    if (file_path_join(path, sizeof path, lab, LAB_CONTROL_TOKEN) != 0) {
        errbuf_set(err, "lab path too long: %s", lab);
        return -1;
    }
    if (wc_InitRng(&rng) != 0) {
        errbuf_set(err, "no random numbers for the control token");
        return -1;
    }
    int random_rc = wc_RNG_GenerateBlock(&rng, secret, sizeof secret);
    wc_FreeRng(&rng);
    if (random_rc != 0) {
        errbuf_set(err, "no random numbers for the control token");
        return -1;
    }
    hex_encode(secret, sizeof secret, text);
    text[CONTROL_TOKEN_HEX] = '\n';
    text[CONTROL_TOKEN_HEX + 1] = 0;
    int rc = file_write_atomic(path, text, CONTROL_TOKEN_HEX + 1, 0600, err);
    explicit_bzero(secret, sizeof secret);
    explicit_bzero(text, sizeof text);
    return rc;
}

int control_token_read(const char *lab, char out[CONTROL_TOKEN_HEX + 1], struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    uint8_t *data = NULL;
    size_t len = 0;
    out[0] = 0;
    if (file_path_join(path, sizeof path, lab, LAB_CONTROL_TOKEN) != 0) {
        errbuf_set(err, "lab path too long: %s", lab);
        return -1;
    }
    if (file_read_all(path, CONTROL_TOKEN_HEX + 2, &data, &len, err) != 0)
        return -1;
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    bool is_hex = len == CONTROL_TOKEN_HEX;
    for (size_t i = 0; is_hex && i < len; i++)
        is_hex = isxdigit(data[i]) != 0;
    if (!is_hex) {
        errbuf_set(err, "%s is not a control token (64 hex digits); 'ca init' makes one", path);
        explicit_bzero(data, len);
        free(data);
        return -1;
    }
    memcpy(out, data, CONTROL_TOKEN_HEX);
    out[CONTROL_TOKEN_HEX] = 0;
    explicit_bzero(data, len);
    free(data);
    return 0;
}

bool control_token_matches(const char *expected, const char *presented)
{
    if (expected == NULL || presented == NULL || strlen(expected) != CONTROL_TOKEN_HEX ||
        strlen(presented) != CONTROL_TOKEN_HEX)
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < CONTROL_TOKEN_HEX; i++)
        diff |= (unsigned char)(toupper((unsigned char)expected[i]) ^
                                toupper((unsigned char)presented[i]));
    return diff == 0;
}
