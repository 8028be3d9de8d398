/* hold.c — the "slow" fault's wait as a suspended connection and a timer
 * (hold.h says why). What libmicrohttpd 0.9.75 promises here (daemon.c):
 * MHD_suspend_connection must be called from the thread that runs the
 * connection, which the access handler is; MHD_resume_connection may be
 * called from any thread at any time and wakes that thread through its
 * inter-thread channel (MHD_USE_ITC); and MHD_stop_daemon aborts the
 * process (MHD_PANIC) if a connection is still suspended, hence
 * hold_release_all before it. */
#include "hold.h"

#include <microhttpd.h>

#include "clock.h"
#include "waitlock.h"

/* Resumes a list taken out of the queue. Each `next` is read before its
 * connection is resumed: from then on its thread may finish the request and
 * free the hold with the request's state. */
static void resume_list(struct hold *list)
{
    while (list != NULL) {
        struct hold *next = list->next;
        MHD_resume_connection(list->conn);
        list = next;
    }
}

static void *timer_main(void *arg)
{
    struct hold_queue *q = arg;
    pthread_mutex_lock(&q->lock);
    while (!q->is_stopping) {
        int64_t now = clock_monotonic_ms(), next_ms = now + 1000;
        struct hold *due = NULL, **link = &q->head;
        while (*link != NULL) {
            struct hold *h = *link;
            if (h->until_ms <= now) {
                *link = h->next;
                h->next = due;
                due = h;
            } else {
                if (h->until_ms < next_ms)
                    next_ms = h->until_ms;
                link = &h->next;
            }
        }
        if (due != NULL) {
            pthread_mutex_unlock(&q->lock);
            resume_list(due);
            pthread_mutex_lock(&q->lock);
            continue;
        }
        if (waitlock_wait_until(&q->wake, &q->lock, next_ms) != 0)
            break;
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int hold_start(struct hold_queue *q)
{
    if (waitlock_init(&q->lock, &q->wake) != 0)
        return -1;
    q->has_lock = true;
    if (pthread_create(&q->thread, NULL, timer_main, q) != 0)
        return -1;
    q->has_thread = true;
    return 0;
}

int hold_connection(struct hold_queue *q, struct hold *h, struct MHD_Connection *conn, int delay_ms)
{
    pthread_mutex_lock(&q->lock);
    if (q->is_stopping || !q->has_thread) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    /* Suspended before it is queued, so the timer can never resume a
     * connection that is not suspended yet. */
    MHD_suspend_connection(conn);
    h->conn = conn;
    h->until_ms = clock_monotonic_ms() + delay_ms;
    h->next = q->head;
    q->head = h;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

void hold_release_all(struct hold_queue *q)
{
    if (!q->has_lock)
        return;
    pthread_mutex_lock(&q->lock);
    q->is_stopping = true;
    struct hold *all = q->head;
    q->head = NULL;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    resume_list(all);
}

void hold_stop(struct hold_queue *q)
{
    if (!q->has_lock)
        return;
    hold_release_all(q);
    if (q->has_thread)
        pthread_join(q->thread, NULL);
    q->has_thread = false;
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    q->has_lock = false;
}
