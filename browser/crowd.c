/* crowd.c — running users on a bounded pool of threads. The only shared
 * state is struct crowd, guarded by its one mutex; each visit writes only
 * its own outcome slot, and slots are reused once their verdict is handed
 * back, so memory does not grow with the number of users. */
#include "clock.h"
#include "crowd.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls_client.h"
#include "trace.h"

int crowd_user_address(int user, char *out, size_t cap)
{
    if (user < 1 || user > CROWD_MAX_ADDRESSES)
        return -1;
    /* 254 users per /24 (no .0, no .255), 255 of those per /16 (the third
     * octet from 1: 127.0.0.x stays the servers'), then the second octet. */
    int index = user - 1, block = index / 254;
    int n = snprintf(out, cap, "127.%d.%d.%d", block / 255, 1 + block % 255, 1 + index % 254);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

struct crowd {
    const struct visit_config *config;
    int users;
    crowd_report_fn report;
    void *report_ctx;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t freed; /* a slot was handed back */
    int next_user;        /* the next user to start (1-based) */
    int next_report;      /* the next user to hand to report() */
    size_t ring;          /* slots; user u uses slot (u - 1) % ring */
    struct visit_outcome *outcomes;
    bool *is_done; /* per slot */
};

/* Runs one user; `is_alone` when no other user of the crowd is under way.
 * Users past CROWD_TRACED_USERS visit with this thread's trace muted. */
static void crowd_visit(struct crowd *c, int user, bool is_alone)
{
    char addr[16];
    size_t slot = (size_t)(user - 1) % c->ring;
    crowd_user_address(user, addr, sizeof addr);
    trace_mute_thread(user > CROWD_TRACED_USERS);
    visit_run(c->config, user, addr, is_alone, &c->outcomes[slot]);
    trace_mute_thread(false);
    pthread_mutex_lock(&c->lock);
    c->is_done[slot] = true;
    /* Hand back every verdict that is now next in order, freeing its slot. */
    while (c->next_report <= c->users && c->is_done[(size_t)(c->next_report - 1) % c->ring]) {
        size_t next = (size_t)(c->next_report - 1) % c->ring;
        if (c->report != NULL)
            c->report(c->report_ctx, &c->outcomes[next]);
        c->is_done[next] = false;
        c->next_report++;
        pthread_cond_broadcast(&c->freed);
    }
    pthread_mutex_unlock(&c->lock);
}

static void *crowd_worker(void *arg)
{
    struct crowd *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        /* A user starts only when its slot is free: at most `ring` verdicts
         * wait for a slower user before them. */
        while (c->next_user <= c->users && c->next_user - c->next_report >= (int)c->ring)
            pthread_cond_wait(&c->freed, &c->lock);
        int user = c->next_user <= c->users ? c->next_user++ : 0;
        pthread_mutex_unlock(&c->lock);
        if (user == 0)
            break;
        crowd_visit(c, user, false);
    }
    return NULL;
}

int crowd_run(const struct visit_config *config, int users, int concurrency, crowd_report_fn report,
              void *report_ctx, int64_t *wall_ms, struct errbuf *err)
{
    struct crowd c = {
        .config = config,
        .users = users,
        .report = report,
        .report_ctx = report_ctx,
        .next_user = 1,
        .next_report = 1,
    };
    pthread_t threads[CROWD_MAX_CONCURRENCY];
    int started = 0, rc = -1;
    int64_t start_ms = clock_monotonic_ms();

    *wall_ms = 0;
    if (users < 1 || users > CROWD_MAX_USERS || concurrency < 1 ||
        concurrency > CROWD_MAX_CONCURRENCY) {
        errbuf_set(err, "between 1 and %d users, 1 to %d at a time", CROWD_MAX_USERS,
                   CROWD_MAX_CONCURRENCY);
        return -1;
    }
    c.ring = (size_t)users < CROWD_RING_SLOTS ? (size_t)users : CROWD_RING_SLOTS;
    c.outcomes = calloc(c.ring, sizeof *c.outcomes);
    c.is_done = calloc(c.ring, sizeof *c.is_done);
    if (c.outcomes == NULL || c.is_done == NULL) {
        errbuf_set(err, "out of memory for %zu verdicts", c.ring);
        free(c.outcomes);
        free(c.is_done);
        return -1;
    }
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.freed, NULL);
    /* The first users come one at a time, on this thread: their times are
     * a visit's own, without waiting behind other users (the honest figure
     * for "how much time does stapling save"). One at a time throughout
     * when concurrency is 1. */
    int alone = concurrency == 1 ? users : (users < CROWD_ALONE_USERS ? users : CROWD_ALONE_USERS);
    for (; c.next_user <= alone; c.next_user++)
        crowd_visit(&c, c.next_user, true);
    if (concurrency > users - alone)
        concurrency = users - alone;
    for (int i = 0; i < concurrency; i++) {
        if (pthread_create(&threads[i], NULL, crowd_worker, &c) != 0)
            break; /* fewer threads simply means less at a time */
        started++;
    }
    if (started == 0 && c.next_user <= users) {
        errbuf_set(err, "cannot start a single browser thread");
        goto out;
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    *wall_ms = clock_monotonic_ms() - start_ms;
    rc = 0;
out:
    pthread_cond_destroy(&c.freed);
    pthread_mutex_destroy(&c.lock);
    free(c.outcomes);
    free(c.is_done);
    return rc;
}
