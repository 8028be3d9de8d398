/* waitlock.h — a mutex and a condition variable whose timed waits run on
 * the monotonic clock, for the responder's timer threads (the sweeper in
 * http.c, the slow fault's timer in hold.c): the simulated clock and a wall
 * clock that jumps must never stretch or cut a deadline. */
#ifndef OCSPLAB_RESPONDER_WAITLOCK_H
#define OCSPLAB_RESPONDER_WAITLOCK_H

#include <pthread.h>
#include <stdint.h>

/* 0, or -1 with nothing left to destroy. */
int waitlock_init(pthread_mutex_t *lock, pthread_cond_t *wake);

/* pthread_cond_timedwait until clock_monotonic_ms() reaches until_ms:
 * 0 when woken or timed out (or interrupted), -1 on a real error. */
int waitlock_wait_until(pthread_cond_t *wake, pthread_mutex_t *lock, int64_t until_ms);

#endif
