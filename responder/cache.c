/* cache.c — a fixed-size open-addressing table of pre-signed responses. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: CertIDs are hashes and serials already, so a simple mix spreads them. */
static size_t slot_of(const uint8_t *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= key[i];
        h *= 1099511628211ULL;
    }
    return (size_t)(h % CACHE_SLOTS);
}

static void clear_slots(struct response_cache *cache)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (cache->slots[i].in_use)
            free(cache->slots[i].answer.der);
        cache->slots[i].in_use = false;
        cache->slots[i].has_answer = false;
        cache->slots[i].answer.der = NULL;
    }
    cache->used = 0;
}

int cache_init(struct response_cache *cache)
{
    memset(cache, 0, sizeof *cache);
    return pthread_mutex_init(&cache->lock, NULL) == 0 ? 0 : -1;
}

void cache_free(struct response_cache *cache)
{
    if (cache == NULL)
        return;
    clear_slots(cache);
    pthread_mutex_destroy(&cache->lock);
}

uint64_t cache_generation(struct response_cache *cache)
{
    pthread_mutex_lock(&cache->lock);
    uint64_t g = cache->generation;
    pthread_mutex_unlock(&cache->lock);
    return g;
}

void cache_invalidate(struct response_cache *cache)
{
    pthread_mutex_lock(&cache->lock);
    clear_slots(cache);
    cache->generation++;
    pthread_mutex_unlock(&cache->lock);
}

/* The slot holding `key`, or the empty slot where it would go; NULL if full. */
static struct cache_slot *find_slot(struct response_cache *cache, const uint8_t *key,
                                    size_t key_len)
{
    size_t start = slot_of(key, key_len);
    for (size_t probe = 0; probe < CACHE_SLOTS; probe++) {
        struct cache_slot *slot = &cache->slots[(start + probe) % CACHE_SLOTS];
        if (!slot->in_use)
            return slot;
        if (slot->key_len == key_len && memcmp(slot->key, key, key_len) == 0)
            return slot;
    }
    return NULL;
}

bool cache_lookup(struct response_cache *cache, const uint8_t *key, size_t key_len, int64_t now,
                  struct cached_answer *out)
{
    bool hit = false;
    if (key_len > CACHE_MAX_KEY)
        return false;
    pthread_mutex_lock(&cache->lock);
    struct cache_slot *slot = find_slot(cache, key, key_len);
    if (slot != NULL && slot->in_use && slot->has_answer && now < slot->answer.refresh_at &&
        now >= slot->answer.this_update) {
        *out = slot->answer;
        out->der = malloc(slot->answer.der_len);
        if (out->der != NULL) {
            memcpy(out->der, slot->answer.der, slot->answer.der_len);
            hit = true;
        }
    }
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

/* The slot for `key`, claimed if new; with the lock held, in `generation`.
 * NULL when the generation moved (what the caller read may be outdated). */
static struct cache_slot *claim_slot(struct response_cache *cache, uint64_t generation,
                                     const uint8_t *key, size_t key_len)
{
    if (generation != cache->generation)
        return NULL;
    /* Keep the table at most three quarters full so probes stay short; a lab
     * has a handful of certificates, so starting over is cheap and simple. */
    if (cache->used >= CACHE_SLOTS * 3 / 4)
        clear_slots(cache);
    struct cache_slot *slot = find_slot(cache, key, key_len);
    if (!slot->in_use) {
        memset(slot, 0, sizeof *slot);
        slot->in_use = true;
        slot->key_len = key_len;
        memcpy(slot->key, key, key_len);
        cache->used++;
    }
    return slot;
}

void cache_store(struct response_cache *cache, uint64_t generation, const uint8_t *key,
                 size_t key_len, const struct cached_answer *answer)
{
    if (key_len > CACHE_MAX_KEY)
        return;
    uint8_t *copy = malloc(answer->der_len);
    if (copy == NULL)
        return; /* a cache that cannot grow just signs again next time */
    memcpy(copy, answer->der, answer->der_len);
    pthread_mutex_lock(&cache->lock);
    struct cache_slot *slot = claim_slot(cache, generation, key, key_len);
    if (slot != NULL) {
        free(slot->answer.der);
        slot->answer = *answer;
        slot->answer.der = copy;
        slot->has_answer = true;
        copy = NULL;
    }
    pthread_mutex_unlock(&cache->lock);
    free(copy);
}

bool cache_lookup_status(struct response_cache *cache, const uint8_t *key, size_t key_len,
                         struct cached_status *out)
{
    bool hit = false;
    if (key_len > CACHE_MAX_KEY)
        return false;
    pthread_mutex_lock(&cache->lock);
    struct cache_slot *slot = find_slot(cache, key, key_len);
    if (slot != NULL && slot->in_use && slot->has_status) {
        *out = slot->status;
        hit = true;
    }
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

void cache_store_status(struct response_cache *cache, uint64_t generation, const uint8_t *key,
                        size_t key_len, const struct cached_status *status)
{
    if (key_len > CACHE_MAX_KEY)
        return;
    pthread_mutex_lock(&cache->lock);
    struct cache_slot *slot = claim_slot(cache, generation, key, key_len);
    if (slot != NULL) {
        slot->status = *status;
        slot->has_status = true;
    }
    pthread_mutex_unlock(&cache->lock);
}
