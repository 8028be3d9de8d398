/* answer_memo.c — encoded answers kept for repeats (answer_memo.h). One
 * response object may be queued on many connections at once: libmicrohttpd
 * counts its references (MHD_queue_response adds one, the connection drops
 * it when done, MHD_destroy_response drops the caller's), so replacing a
 * slot never frees a response still being sent. Queueing happens under the
 * lock, so a slot cannot be replaced between finding it and queueing it. */
#include "answer_memo.h"

#include <stdlib.h>
#include <string.h>

static void clear_slot(struct answer_memo_slot *slot)
{
    if (slot->resp != NULL)
        MHD_destroy_response(slot->resp);
    free(slot->body);
    memset(slot, 0, sizeof *slot);
}

int answer_memo_init(struct answer_memo *m)
{
    memset(m, 0, sizeof *m);
    if (pthread_mutex_init(&m->lock, NULL) != 0)
        return -1;
    m->has_lock = true;
    return 0;
}

void answer_memo_free(struct answer_memo *m)
{
    if (m == NULL || !m->has_lock)
        return;
    for (size_t i = 0; i < ANSWER_MEMO_SLOTS; i++)
        clear_slot(&m->slots[i]);
    pthread_mutex_destroy(&m->lock);
    m->has_lock = false;
}

static struct answer_memo_slot *find_locked(struct answer_memo *m, const uint8_t *body,
                                            size_t body_len, int64_t max_age)
{
    for (size_t i = 0; i < ANSWER_MEMO_SLOTS; i++) {
        struct answer_memo_slot *slot = &m->slots[i];
        if (slot->resp != NULL && slot->max_age == max_age && slot->body_len == body_len &&
            memcmp(slot->body, body, body_len) == 0)
            return slot;
    }
    return NULL;
}

bool answer_memo_queue(struct answer_memo *m, struct MHD_Connection *conn, unsigned status,
                       const uint8_t *body, size_t body_len, int64_t max_age, enum MHD_Result *rc)
{
    pthread_mutex_lock(&m->lock);
    struct answer_memo_slot *slot = find_locked(m, body, body_len, max_age);
    if (slot != NULL)
        *rc = MHD_queue_response(conn, status, slot->resp);
    pthread_mutex_unlock(&m->lock);
    return slot != NULL;
}

void answer_memo_keep(struct answer_memo *m, struct MHD_Response *resp, const uint8_t *body,
                      size_t body_len, int64_t max_age)
{
    uint8_t *copy = malloc(body_len > 0 ? body_len : 1);
    if (copy == NULL) {
        MHD_destroy_response(resp); /* not kept: the next request builds its own */
        return;
    }
    memcpy(copy, body, body_len);
    pthread_mutex_lock(&m->lock);
    struct answer_memo_slot *slot = find_locked(m, body, body_len, max_age);
    if (slot == NULL) {
        /* Round robin: the answers of a lab change slowly (each second's
         * max-age, a refresh at half-life), so the oldest is the stalest. */
        slot = &m->slots[m->next_victim];
        m->next_victim = (m->next_victim + 1) % ANSWER_MEMO_SLOTS;
    }
    struct answer_memo_slot old = *slot;
    slot->resp = resp;
    slot->body = copy;
    slot->body_len = body_len;
    slot->max_age = max_age;
    pthread_mutex_unlock(&m->lock);
    clear_slot(&old);
}
