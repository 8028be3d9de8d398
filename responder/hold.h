/* hold.h — answers the "slow" fault holds back, without holding a thread.
 * The HTTP server runs a small pool of event-loop threads (http.c), so a
 * handler that slept would stall every connection of its thread. Instead
 * the connection is suspended (MHD_suspend_connection) and one timer thread
 * resumes it when its delay is over, or at once when the server stops;
 * libmicrohttpd then calls the handler again, which answers. */
#ifndef OCSPLAB_RESPONDER_HOLD_H
#define OCSPLAB_RESPONDER_HOLD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct MHD_Connection;

/* One held connection. It lives in the request's own state, which
 * libmicrohttpd keeps until the request completes: a suspended connection
 * is never closed or timed out by libmicrohttpd, so it outlives its hold. */
struct hold {
    struct hold *next;
    struct MHD_Connection *conn;
    int64_t until_ms; /* monotonic */
};

struct hold_queue {
    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t wake;
    struct hold *head; /* unordered: a lesson holds a handful at a time */
    bool is_stopping;  /* release everything, hold nothing new */
    bool has_lock;
    bool has_thread;
    pthread_t thread;
};

/* Starts the timer thread. 0, or -1 when out of resources. */
int hold_start(struct hold_queue *q);

/* Called from the access handler of `conn`: suspends it and resumes it
 * delay_ms from now. Returns 0 when held (the handler returns MHD_YES and
 * is called again later), -1 when the caller must answer at once (the
 * server is stopping). */
int hold_connection(struct hold_queue *q, struct hold *h, struct MHD_Connection *conn,
                    int delay_ms);

/* Resumes every held connection now and refuses to hold new ones: called
 * before libmicrohttpd is stopped, which must find nothing suspended. */
void hold_release_all(struct hold_queue *q);

/* Releases everything, stops the timer thread; accepts a zeroed queue. */
void hold_stop(struct hold_queue *q);

#endif
