/* race_harness.c — the race of revokers and listers (race_harness.h). Each
 * child sends one fixed-size report through its own pipe; the parent reads
 * them all with poll() and one deadline, so a child that hangs fails the test
 * within the limit instead of hanging the runner. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "race_harness.h"
#include "testutil.h"

#define RACE_CHILDREN (RACE_LISTERS + RACE_REVOKERS)
/* How many leftover programs are killed after the limit; a race starts at
 * most one program per child at a time. */
#define RACE_MAX_LEFTOVERS 32

struct lister_report {
    int iterations;
    int failures;
    char first_failure[640];
};

struct revoker_report {
    int outcome[RACE_CERTS]; /* RACE_NOT_TRIED, or what spec->revoke returned */
};

/* Both fit in one pipe write (PIPE_BUF is at least 512 bytes by POSIX and 4096
 * on Linux), so a report arrives whole or not at all. */
_Static_assert(sizeof(struct lister_report) <= 4096, "lister report fits in PIPE_BUF");
_Static_assert(sizeof(struct revoker_report) <= 4096, "revoker report fits in PIPE_BUF");

struct race_child {
    pid_t pid;
    int fd;      /* read end of its pipe; -1 once it reached end of file */
    size_t want; /* the size of its report */
    size_t got;
    bool is_too_long;
    bool was_killed; /* still running at the limit */
    int status;      /* from waitpid */
    union {
        struct lister_report lister;
        struct revoker_report revoker;
    } report;
};

static const char *role_name(int index)
{
    return index < RACE_LISTERS ? "lister" : "revoker";
}

static int role_number(int index)
{
    return index < RACE_LISTERS ? index : index - RACE_LISTERS;
}

/* ---- in the children ------------------------------------------------------- */

static void write_report_and_exit(int fd, const void *report, size_t len)
{
    ssize_t written = write(fd, report, len);
    _exit(written == (ssize_t)len ? 0 : 3);
}

/* Lists until every certificate is revoked (and at least three times), or
 * until spec->lister_ms pass; the number revoked must never go down. */
static void lister_child(const struct race_spec *spec, int fd)
{
    struct lister_report report = {0};
    int last_revoked = 0;
    int64_t deadline = clock_monotonic_ms() + spec->lister_ms;
    while (clock_monotonic_ms() < deadline) {
        char why[sizeof report.first_failure] = "";
        int revoked = spec->list_once(spec->ctx, why, sizeof why);
        report.iterations++;
        if (revoked >= 0 && revoked < last_revoked)
            snprintf(why, sizeof why, "%d revoked after %d", revoked, last_revoked);
        if (revoked < 0 || revoked < last_revoked) {
            if (report.failures++ == 0)
                snprintf(report.first_failure, sizeof report.first_failure, "%s", why);
            continue;
        }
        last_revoked = revoked;
        if (revoked == RACE_CERTS && report.iterations >= 3)
            break;
    }
    write_report_and_exit(fd, &report, sizeof report);
}

/* Revoker k tries the shared certificates starting at 2k, so the revokers
 * collide on each of them at different moments, then its own share of the
 * rest. */
static void revoker_child(const struct race_spec *spec, int k, int fd)
{
    struct revoker_report report;
    for (int cert = 0; cert < RACE_CERTS; cert++)
        report.outcome[cert] = RACE_NOT_TRIED;
    for (int step = 0; step < RACE_CERTS; step++) {
        if (step >= RACE_SHARED && step % RACE_REVOKERS != k)
            continue;
        int cert = step < RACE_SHARED ? (step + 2 * k) % RACE_SHARED : step;
        report.outcome[cert] = spec->revoke(spec->ctx, k, cert);
    }
    write_report_and_exit(fd, &report, sizeof report);
}

/* ---- in the parent ----------------------------------------------------------- */

static void set_cloexec(int fd)
{
    ck_assert_msg(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, "fcntl: %s", strerror(errno));
}

static void start_child(const struct race_spec *spec, int index, struct race_child *child)
{
    int pipe_fds[2];
    ck_assert_msg(pipe(pipe_fds) == 0, "pipe: %s", strerror(errno));
    /* Programs a child runs must not hold a report pipe open. */
    set_cloexec(pipe_fds[0]);
    set_cloexec(pipe_fds[1]);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* Die with the test: a failed assertion exits without waiting. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(4);
        close(pipe_fds[0]);
        if (index < RACE_LISTERS)
            lister_child(spec, pipe_fds[1]);
        else
            revoker_child(spec, role_number(index), pipe_fds[1]);
    }
    close(pipe_fds[1]);
    child->pid = pid;
    child->fd = pipe_fds[0];
    child->want = index < RACE_LISTERS ? sizeof child->report.lister : sizeof child->report.revoker;
}

static void read_report(struct race_child *child)
{
    ssize_t n;
    if (child->got < child->want) {
        n = read(child->fd, (unsigned char *)&child->report + child->got, child->want - child->got);
        if (n > 0)
            child->got += (size_t)n;
    } else {
        unsigned char extra;
        n = read(child->fd, &extra, 1);
        if (n > 0)
            child->is_too_long = true;
    }
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        close(child->fd);
        child->fd = -1;
    }
}

/* Reads until every pipe reached end of file or the deadline passed. */
static void collect_reports(struct race_child children[RACE_CHILDREN], int64_t deadline)
{
    for (;;) {
        struct pollfd fds[RACE_CHILDREN];
        int owner[RACE_CHILDREN];
        nfds_t nfds = 0;
        for (int c = 0; c < RACE_CHILDREN; c++) {
            if (children[c].fd < 0)
                continue;
            fds[nfds].fd = children[c].fd;
            fds[nfds].events = POLLIN;
            fds[nfds].revents = 0;
            owner[nfds++] = c;
        }
        int64_t left_ms = deadline - clock_monotonic_ms();
        if (nfds == 0 || left_ms <= 0)
            return;
        int ready = poll(fds, nfds, (int)left_ms);
        if (ready < 0 && errno != EINTR)
            ck_abort_msg("poll: %s", strerror(errno));
        for (nfds_t k = 0; ready > 0 && k < nfds; k++)
            if (fds[k].revents != 0)
                read_report(&children[owner[k]]);
    }
}

/* Waits for each child until the deadline, then kills it. A child that closed
 * its pipe is exiting, and gets two more seconds to do so. */
static bool reap_children(struct race_child children[RACE_CHILDREN], int64_t deadline)
{
    bool has_killed = false;
    for (int c = 0; c < RACE_CHILDREN; c++) {
        struct race_child *child = &children[c];
        int64_t wait_until = deadline;
        if (child->fd >= 0) {
            close(child->fd);
            child->fd = -1;
        } else {
            wait_until = deadline + 2000;
        }
        pid_t done;
        while ((done = waitpid(child->pid, &child->status, WNOHANG)) == 0 &&
               clock_monotonic_ms() < wait_until)
            usleep(10 * 1000);
        if (done == 0) {
            kill(child->pid, SIGKILL);
            done = waitpid(child->pid, &child->status, 0);
            child->was_killed = true;
            has_killed = true;
        }
        ck_assert_msg(done == child->pid, "waitpid %d: %s", (int)child->pid, strerror(errno));
    }
    return has_killed;
}

/* Programs started by a killed child (bin/ca under test_run) are in their own
 * process groups and outlive it; they name the lab on their command line. */
static void kill_leftovers(const char *needle)
{
    pid_t pids[RACE_MAX_LEFTOVERS];
    int found = test_processes_mentioning(needle, pids, RACE_MAX_LEFTOVERS, NULL, 0);
    for (int i = 0; i < found && i < RACE_MAX_LEFTOVERS; i++)
        kill(pids[i], SIGKILL);
}

/* Appends what went wrong with one child to `why`; returns whether it
 * reported in full and exited 0. */
static bool check_child(const struct race_child *child, int index, int limit_ms, char *why,
                        size_t why_cap)
{
    size_t used = strlen(why);
    const char *role = role_name(index);
    int number = role_number(index);
    if (child->was_killed)
        snprintf(why + used, why_cap - used, "; %s %d still running after %d ms (killed)", role,
                 number, limit_ms);
    else if (!WIFEXITED(child->status) || WEXITSTATUS(child->status) != 0)
        snprintf(why + used, why_cap - used, "; %s %d ended with status 0x%x", role, number,
                 (unsigned)child->status);
    else if (child->got != child->want || child->is_too_long)
        snprintf(why + used, why_cap - used, "; %s %d sent %zu%s bytes, want %zu", role, number,
                 child->got, child->is_too_long ? "+" : "", child->want);
    else
        return true;
    return false;
}

/* Exactly one revoker won certificate `cert`, every other one that tried it was
 * told it was already revoked; returns the winner. */
static int check_one_winner(const struct race_spec *spec,
                            const struct race_child revokers[RACE_REVOKERS], int cert)
{
    int wins = 0, already = 0, winner = -1;
    char outcomes[128] = "";
    size_t used = 0;
    for (int k = 0; k < RACE_REVOKERS; k++) {
        int outcome = revokers[k].report.revoker.outcome[cert];
        used += (size_t)snprintf(outcomes + used, sizeof outcomes - used, " %d", outcome);
        if (used >= sizeof outcomes)
            used = sizeof outcomes - 1;
        if (outcome == spec->ok_code) {
            wins++;
            winner = k;
        } else if (outcome == spec->already_code) {
            already++;
        }
    }
    for (int k = 0; k < RACE_REVOKERS; k++) {
        int outcome = revokers[k].report.revoker.outcome[cert];
        ck_assert_msg(outcome == spec->ok_code || outcome == spec->already_code ||
                          outcome == RACE_NOT_TRIED,
                      "revoker %d on cert %d: outcome %d (all:%s)", k, cert, outcome, outcomes);
    }
    ck_assert_msg(wins == 1, "cert %d revoked successfully %d times (outcomes:%s)", cert, wins,
                  outcomes);
    int tried = cert < RACE_SHARED ? RACE_REVOKERS : 1;
    ck_assert_msg(already == tried - 1,
                  "cert %d: %d revokers told it was already revoked, want %d (outcomes:%s)", cert,
                  already, tried - 1, outcomes);
    return winner;
}

void race_run(const struct race_spec *spec, int winners[RACE_CERTS])
{
    struct race_child children[RACE_CHILDREN];
    memset(children, 0, sizeof children);
    for (int c = 0; c < RACE_CHILDREN; c++)
        children[c].fd = -1;
    int64_t deadline = clock_monotonic_ms() + spec->limit_ms;
    /* Listers first, so they watch the whole race. */
    for (int c = 0; c < RACE_CHILDREN; c++)
        start_child(spec, c, &children[c]);
    collect_reports(children, deadline);
    if (reap_children(children, deadline) && spec->leftover_needle != NULL)
        kill_leftovers(spec->leftover_needle);

    char why[1024] = "";
    bool is_complete = true;
    for (int c = 0; c < RACE_CHILDREN; c++)
        if (!check_child(&children[c], c, spec->limit_ms, why, sizeof why))
            is_complete = false;
    ck_assert_msg(is_complete, "a child failed to report%s", why);

    for (int l = 0; l < RACE_LISTERS; l++) {
        const struct lister_report *report = &children[l].report.lister;
        ck_assert_msg(report->failures == 0, "lister %d: %d bad lists of %d; first: %s", l,
                      report->failures, report->iterations, report->first_failure);
        ck_assert_msg(report->iterations >= 2, "lister %d listed only %d times", l,
                      report->iterations);
    }
    for (int cert = 0; cert < RACE_CERTS; cert++)
        winners[cert] = check_one_winner(spec, &children[RACE_LISTERS], cert);
}
