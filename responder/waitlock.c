/* waitlock.c — monotonic timed waits (waitlock.h). */
#include "waitlock.h"

#include <errno.h>
#include <time.h>

int waitlock_init(pthread_mutex_t *lock, pthread_cond_t *wake)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
                     pthread_cond_init(wake, &attr) == 0
                 ? 0
                 : -1;
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -1;
    if (pthread_mutex_init(lock, NULL) != 0) {
        pthread_cond_destroy(wake);
        return -1;
    }
    return 0;
}

int waitlock_wait_until(pthread_cond_t *wake, pthread_mutex_t *lock, int64_t until_ms)
{
    /* clock_monotonic_ms() reads CLOCK_MONOTONIC, the clock of `wake`. */
    struct timespec until = {.tv_sec = (time_t)(until_ms / 1000),
                             .tv_nsec = (long)(until_ms % 1000) * 1000000L};
    int rc = pthread_cond_timedwait(wake, lock, &until);
    return rc == 0 || rc == ETIMEDOUT || rc == EINTR ? 0 : -1;
}
