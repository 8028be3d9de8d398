/* cache.h — pre-signed OCSP responses (RFC 5019 section 6 style): the answer
 * for a certificate is signed once and served until its refresh point, so a
 * crowd of clients costs lookups, not signatures. Keyed by the CertID bytes
 * exactly as the client sent them (the response echoes them). A generation
 * number guards against storing an answer read before a revocation. The
 * same entries remember the certificate's status as the database said it,
 * so an answer that must be signed anew (a nonce) costs a signature but no
 * database read; any change to the database starts a new generation. */
#ifndef OCSPLAB_RESPONDER_CACHE_H
#define OCSPLAB_RESPONDER_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ocsp.h"

#define CACHE_SLOTS 1024
#define CACHE_MAX_KEY 160 /* a SHA-512 CertID is about 170 bytes; larger ones are not cached */

struct cached_answer {
    uint8_t *der; /* the signed OCSPResponse */
    size_t der_len;
    int64_t this_update;
    int64_t next_update;
    int64_t refresh_at; /* served while now < refresh_at */
    enum ocsp_cert_status status;
    int64_t revocation_time;
    int revocation_reason;
    char name[254]; /* the certificate's name, for the trace ("" if unknown) */
};

/* What the database said about one CertID, in this generation. */
struct cached_status {
    bool is_known; /* the CA issued it (else the answer is "unknown") */
    enum ocsp_cert_status status;
    int64_t revocation_time;
    int revocation_reason;
    char name[254];
};

struct response_cache {
    pthread_mutex_t lock;
    uint64_t generation;
    size_t used;
    struct cache_slot {
        bool in_use;
        bool has_answer; /* `answer` holds a pre-signed response */
        bool has_status; /* `status` holds what the database said */
        size_t key_len;
        uint8_t key[CACHE_MAX_KEY];
        struct cached_status status;
        struct cached_answer answer;
    } slots[CACHE_SLOTS];
};

int cache_init(struct response_cache *cache);
void cache_free(struct response_cache *cache);

/* The current generation; read it before consulting the database. */
uint64_t cache_generation(struct response_cache *cache);
/* Forgets everything and starts a new generation (the database changed). */
void cache_invalidate(struct response_cache *cache);

/* Copies a fresh entry (now < refresh_at) into *out; out->der is malloc'd and
 * the caller frees it. Returns true on a hit. */
bool cache_lookup(struct response_cache *cache, const uint8_t *key, size_t key_len, int64_t now,
                  struct cached_answer *out);
/* Stores a copy, unless the generation moved since `generation` was read
 * (then the answer may predate a revocation and is dropped). */
void cache_store(struct response_cache *cache, uint64_t generation, const uint8_t *key,
                 size_t key_len, const struct cached_answer *answer);

/* The status remembered for `key` in the current generation. True on a hit. */
bool cache_lookup_status(struct response_cache *cache, const uint8_t *key, size_t key_len,
                         struct cached_status *out);
/* Remembers what the database said, under the same generation rule. */
void cache_store_status(struct response_cache *cache, uint64_t generation, const uint8_t *key,
                        size_t key_len, const struct cached_status *status);

#endif
