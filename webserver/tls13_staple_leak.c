/* tls13_staple_leak.c — see the header for the wolfSSL 5.5.4 bug this mends. */
#include "tls13_staple_leak.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn.h> /* DecodedCert, ParseCert, FreeDecodedCert */
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/memory.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Blocks noted and still alive, across threads: a block may be freed by a
 * thread other than the one that allocated it, and must then be forgotten. */
#define NOTED_SLOTS 16384

static struct {
    pthread_mutex_t lock;
    size_t count; /* read without the lock as a fast "anything noted?" test */
    void *slots[NOTED_SLOTS];
} noted = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t reclaimed_total;
static uint64_t mended_total;
static uint64_t skipped_total;

/* DecodedCerts parsed and not yet passed to FreeDecodedCert (heap or stack
 * addresses; a stack one is forgotten when its owner frees it properly). */
static struct {
    pthread_mutex_t lock;
    size_t count;
    void *slots[NOTED_SLOTS];
} parsed = {.lock = PTHREAD_MUTEX_INITIALIZER};

typedef int (*parse_cert_fn)(DecodedCert *cert, int type, int verify, void *cm);
typedef void (*free_decoded_cert_fn)(DecodedCert *cert);
static parse_cert_fn real_parse_cert;
static free_decoded_cert_fn real_free_decoded_cert;
static _Thread_local struct leak_tracker *current;

static size_t slot_of(const void *ptr)
{
    uintptr_t v = (uintptr_t)ptr;
    return (size_t)((v >> 4) * 0x9e3779b97f4a7c15ULL >> 50) % NOTED_SLOTS;
}

/* Inserts into the open-addressing set; false when full (then not tracked). */
static bool noted_insert(void *ptr)
{
    size_t i = slot_of(ptr);
    for (size_t probe = 0; probe < NOTED_SLOTS; probe++, i = (i + 1) % NOTED_SLOTS) {
        if (noted.slots[i] == NULL) {
            noted.slots[i] = ptr;
            __atomic_add_fetch(&noted.count, 1, __ATOMIC_RELAXED);
            return true;
        }
    }
    return false;
}

/* Removes with backward-shift deletion so later probes still find their keys. */
static bool noted_remove(void *ptr)
{
    size_t i = slot_of(ptr);
    size_t probe = 0;
    for (; probe < NOTED_SLOTS; probe++, i = (i + 1) % NOTED_SLOTS) {
        if (noted.slots[i] == NULL)
            return false;
        if (noted.slots[i] == ptr)
            break;
    }
    if (probe == NOTED_SLOTS)
        return false;
    noted.slots[i] = NULL;
    size_t j = i;
    for (;;) {
        j = (j + 1) % NOTED_SLOTS;
        if (noted.slots[j] == NULL)
            break;
        size_t home = slot_of(noted.slots[j]);
        /* Move the entry back if its home is not between the hole and it. */
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            noted.slots[i] = noted.slots[j];
            noted.slots[j] = NULL;
            i = j;
        }
    }
    __atomic_sub_fetch(&noted.count, 1, __ATOMIC_RELAXED);
    return true;
}

/* The same open-addressing set, for the parsed DecodedCerts. */
static bool set_insert(void **slots, size_t *count, void *ptr)
{
    size_t i = slot_of(ptr);
    for (size_t probe = 0; probe < NOTED_SLOTS; probe++, i = (i + 1) % NOTED_SLOTS) {
        if (slots[i] == ptr)
            return true;
        if (slots[i] == NULL) {
            slots[i] = ptr;
            __atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
            return true;
        }
    }
    return false;
}

static bool set_remove(void **slots, size_t *count, void *ptr)
{
    size_t i = slot_of(ptr);
    size_t probe = 0;
    for (; probe < NOTED_SLOTS; probe++, i = (i + 1) % NOTED_SLOTS) {
        if (slots[i] == NULL)
            return false;
        if (slots[i] == ptr)
            break;
    }
    if (probe == NOTED_SLOTS)
        return false;
    slots[i] = NULL;
    size_t j = i;
    for (;;) {
        j = (j + 1) % NOTED_SLOTS;
        if (slots[j] == NULL)
            break;
        size_t home = slot_of(slots[j]);
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            slots[i] = slots[j];
            slots[j] = NULL;
            i = j;
        }
    }
    __atomic_sub_fetch(count, 1, __ATOMIC_RELAXED);
    return true;
}

static void resolve_real_functions(void)
{
    if (real_parse_cert == NULL)
        real_parse_cert = (parse_cert_fn)dlsym(RTLD_NEXT, "ParseCert");
    if (real_free_decoded_cert == NULL)
        real_free_decoded_cert = (free_decoded_cert_fn)dlsym(RTLD_NEXT, "FreeDecodedCert");
}

/* Interposes wolfSSL's ParseCert: remembers the DecodedCert. */
int ParseCert(DecodedCert *cert, int type, int verify, void *cm)
{
    resolve_real_functions();
    if (real_parse_cert == NULL)
        return -1;
    pthread_mutex_lock(&parsed.lock);
    set_insert(parsed.slots, &parsed.count, cert);
    pthread_mutex_unlock(&parsed.lock);
    struct leak_tracker *t = current;
    if (t != NULL && t->own_cert != NULL && type == CERT_TYPE && verify == VERIFY &&
        cert != NULL && cert->source != NULL && cert->maxIdx == t->own_cert_len &&
        memcmp(cert->source, t->own_cert, t->own_cert_len) == 0) {
        verify = VERIFY_NAME; /* our own certificate: see the header */
        __atomic_add_fetch(&skipped_total, 1, __ATOMIC_RELAXED);
    }
    return real_parse_cert(cert, type, verify, cm);
}

/* Interposes wolfSSL's FreeDecodedCert: a properly freed cert is forgotten. */
void FreeDecodedCert(DecodedCert *cert)
{
    resolve_real_functions();
    if (cert != NULL && __atomic_load_n(&parsed.count, __ATOMIC_RELAXED) != 0) {
        pthread_mutex_lock(&parsed.lock);
        set_remove(parsed.slots, &parsed.count, cert);
        pthread_mutex_unlock(&parsed.lock);
    }
    if (real_free_decoded_cert != NULL)
        real_free_decoded_cert(cert);
}

/* Called for every block wolfSSL frees: a DecodedCert about to be freed while
 * still parsed gets its contents freed first (leak 1 of the header). */
static void mend_if_parsed(void *ptr)
{
    if (__atomic_load_n(&parsed.count, __ATOMIC_RELAXED) == 0)
        return;
    pthread_mutex_lock(&parsed.lock);
    bool is_parsed = set_remove(parsed.slots, &parsed.count, ptr);
    pthread_mutex_unlock(&parsed.lock);
    if (is_parsed && real_free_decoded_cert != NULL) {
        real_free_decoded_cert((DecodedCert *)ptr);
        __atomic_add_fetch(&mended_total, 1, __ATOMIC_RELAXED);
    }
}

static void forget_if_noted(void *ptr)
{
    if (ptr == NULL || __atomic_load_n(&noted.count, __ATOMIC_RELAXED) == 0)
        return;
    pthread_mutex_lock(&noted.lock);
    noted_remove(ptr);
    pthread_mutex_unlock(&noted.lock);
}

static void *hook_malloc(size_t size)
{
    void *ptr = malloc(size);
    struct leak_tracker *t = current;
    if (ptr != NULL && t != NULL && size == t->staple_len && t->count < LEAK_TRACK_MAX) {
        pthread_mutex_lock(&noted.lock);
        if (noted_insert(ptr))
            t->blocks[t->count++] = ptr;
        pthread_mutex_unlock(&noted.lock);
    }
    return ptr;
}

static void hook_free(void *ptr)
{
    if (ptr == NULL)
        return;
    mend_if_parsed(ptr);
    forget_if_noted(ptr);
    free(ptr);
}

static void *hook_realloc(void *ptr, size_t size)
{
    forget_if_noted(ptr);
    return realloc(ptr, size);
}

int tls13_staple_leak_install(void)
{
    resolve_real_functions();
    if (real_parse_cert == NULL || real_free_decoded_cert == NULL)
        return -1;
    return wolfSSL_SetAllocators(hook_malloc, hook_free, hook_realloc) == 0 ? 0 : -1;
}

void tls13_staple_leak_enter(struct leak_tracker *tracker)
{
    current = tracker;
}

void tls13_staple_leak_leave(void)
{
    current = NULL;
}

void tls13_staple_leak_note_status_callback(void)
{
    if (current != NULL)
        current->status_callback_ran = true;
}

size_t tls13_staple_leak_reclaim(struct leak_tracker *tracker, const uint8_t *staple,
                                 bool was_tls13)
{
    size_t freed = 0;
    void *alive[LEAK_TRACK_MAX];
    size_t alive_count = 0;
    if (tracker->count == 0)
        return 0;
    pthread_mutex_lock(&noted.lock);
    /* Blocks still noted were never freed by wolfSSL; those holding exactly
     * the staple's bytes are copies of it, in allocation order. */
    for (size_t i = 0; i < tracker->count; i++) {
        void *block = tracker->blocks[i];
        if (!noted_remove(block))
            continue;
        if (was_tls13 && staple != NULL && memcmp(block, staple, tracker->staple_len) == 0)
            alive[alive_count++] = block;
    }
    /* Without the status callback every live copy is csr->response. With it,
     * CheckOcspResponse made two: first the response buffer (lost), then the
     * cache's rawOcspResponse (src/ocsp.c), which must live: keep the last. */
    size_t to_free = tracker->status_callback_ran && alive_count > 0 ? alive_count - 1
                                                                     : alive_count;
    for (size_t i = 0; i < to_free; i++) {
        free(alive[i]);
        freed++;
    }
    pthread_mutex_unlock(&noted.lock);
    tracker->count = 0;
    __atomic_add_fetch(&reclaimed_total, freed, __ATOMIC_RELAXED);
    return freed;
}

uint64_t tls13_staple_leak_reclaimed(void)
{
    return __atomic_load_n(&reclaimed_total, __ATOMIC_RELAXED);
}

uint64_t tls13_own_cert_checks_skipped(void)
{
    return __atomic_load_n(&skipped_total, __ATOMIC_RELAXED);
}

uint64_t tls13_decoded_certs_mended(void)
{
    return __atomic_load_n(&mended_total, __ATOMIC_RELAXED);
}

void tls13_staple_leak_thread_done(void)
{
    wc_ecc_fp_free();
}
