/* answer_memo.h — the last few pre-signed answers the HTTP server sent,
 * kept encoded as whole libmicrohttpd responses (body and RFC 5019 caching
 * headers). A crowd asking about one certificate gets the same bytes with
 * the same headers for a whole second, so a repeat costs a comparison
 * instead of a SHA-256 for the ETag, two date conversions, a copy of the
 * body and half a dozen allocations. Only answers that are the same for
 * every client (no nonce) are kept. */
#ifndef OCSPLAB_RESPONDER_ANSWER_MEMO_H
#define OCSPLAB_RESPONDER_ANSWER_MEMO_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A lab answers for a handful of certificates at a time. */
#define ANSWER_MEMO_SLOTS 4

struct answer_memo {
    pthread_mutex_t lock; /* guards the slots */
    bool has_lock;
    unsigned next_victim;
    struct answer_memo_slot {
        struct MHD_Response *resp; /* one reference, the memo's own */
        uint8_t *body;             /* a copy, to compare (malloc'd, the memo's) */
        size_t body_len;
        int64_t max_age; /* Cache-Control max-age it was built with */
    } slots[ANSWER_MEMO_SLOTS];
};

int answer_memo_init(struct answer_memo *m);
/* Drops the memo's references; accepts a zeroed memo. */
void answer_memo_free(struct answer_memo *m);

/* Queues the kept response for exactly these bytes and max-age on conn and
 * returns true (with *rc the result of MHD_queue_response), or returns
 * false when there is none. */
bool answer_memo_queue(struct answer_memo *m, struct MHD_Connection *conn, unsigned status,
                       const uint8_t *body, size_t body_len, int64_t max_age, enum MHD_Result *rc);

/* Keeps `resp` (built for these bytes and max-age) for the next requests,
 * taking over the caller's reference to it, which it releases later. */
void answer_memo_keep(struct answer_memo *m, struct MHD_Response *resp, const uint8_t *body,
                      size_t body_len, int64_t max_age);

#endif
