/* crowd.c — running users on a bounded pool of threads. The only shared
 * state is struct crowd, guarded by its one mutex; each visit writes only
 * its own outcome slot. */
#include "clock.h"
#include "crowd.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls_client.h"

int crowd_user_address(int user, char *out, size_t cap)
{
    if (user < 1 || user > CROWD_MAX_ADDRESSES)
        return -1;
    int index = user - 1;
    int n = snprintf(out, cap, "127.0.%d.%d", 1 + index / 254, 1 + index % 254);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

struct crowd {
    const struct visit_config *config;
    int users;
    struct visit_outcome *outcomes;
    crowd_report_fn report;
    void *report_ctx;
    pthread_mutex_t lock; /* guards everything below */
    int next_user;        /* the next user to start (1-based) */
    int next_report;      /* the next user to hand to report() */
    bool *is_done;        /* per user, index user-1 */
};

/* Runs one user; `is_alone` when no other user of the crowd is under way. */
static void crowd_visit(struct crowd *c, int user, bool is_alone)
{
    char addr[16];
    crowd_user_address(user, addr, sizeof addr);
    visit_run(c->config, user, addr, is_alone, &c->outcomes[user - 1]);
    pthread_mutex_lock(&c->lock);
    c->is_done[user - 1] = true;
    /* Hand back every verdict that is now next in order. */
    while (c->next_report <= c->users && c->is_done[c->next_report - 1]) {
        if (c->report != NULL)
            c->report(c->report_ctx, &c->outcomes[c->next_report - 1]);
        c->next_report++;
    }
    pthread_mutex_unlock(&c->lock);
}

static void *crowd_worker(void *arg)
{
    struct crowd *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int user = c->next_user <= c->users ? c->next_user++ : 0;
        pthread_mutex_unlock(&c->lock);
        if (user == 0)
            break;
        crowd_visit(c, user, false);
    }
    return NULL;
}

int crowd_run(const struct visit_config *config, int users, int concurrency,
              struct visit_outcome *outcomes, crowd_report_fn report, void *report_ctx,
              int64_t *wall_ms, struct errbuf *err)
{
    struct crowd c = {
        .config = config,
        .users = users,
        .outcomes = outcomes,
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
    c.is_done = calloc((size_t)users, sizeof *c.is_done);
    if (c.is_done == NULL) {
        errbuf_set(err, "out of memory for %d users", users);
        return -1;
    }
    pthread_mutex_init(&c.lock, NULL);
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
    pthread_mutex_destroy(&c.lock);
    free(c.is_done);
    return rc;
}
