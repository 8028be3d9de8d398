/* procs.c — starting, watching and stopping the lab's programs for the
 * scenario runner. Why the care: a class watches this run, a test suite runs
 * it hundreds of times, and a server left behind holds a port and a lab. */
#include "procs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* Every child that is started and not yet reaped, so that one call can stop
 * them all on any way out. Signals and children belong to the process, so
 * this registry does too. Entries point at the caller's scn_child, which
 * stays in place while the child lives. */
static struct scn_child *live_children[SCN_MAX_CHILDREN];
static volatile sig_atomic_t interrupt_signal;

static void on_stop_signal(int sig)
{
    interrupt_signal = sig;
}

void scn_procs_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a wait in progress returns EINTR and sees the flag */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int scn_procs_interrupted(void)
{
    return (int)interrupt_signal;
}

void scn_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    if (interrupt_signal == 0)
        nanosleep(&ts, NULL); /* EINTR ends it early: the caller checks the flag */
}

static void registry_add(struct scn_child *c)
{
    for (size_t i = 0; i < SCN_MAX_CHILDREN; i++) {
        if (live_children[i] == NULL) {
            live_children[i] = c;
            return;
        }
    }
}

static void registry_remove(struct scn_child *c)
{
    for (size_t i = 0; i < SCN_MAX_CHILDREN; i++)
        if (live_children[i] == c)
            live_children[i] = NULL;
}

static size_t registry_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < SCN_MAX_CHILDREN; i++)
        n += live_children[i] != NULL;
    return n;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const char *const argv[], int out_fd, int err_fd, pid_t parent)
{
    setpgid(0, 0);
    /* If the runner dies without cleaning up (SIGKILL), the kernel stops us. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(err_fd, STDERR_FILENO) < 0)
        _exit(127);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

int scn_child_start(struct scn_child *c, const char *const argv[], const char *out_path,
                    const char *err_path, struct errbuf *err)
{
    c->pid = -1;
    c->is_live = false;
    c->has_exited = false;
    c->status = 0;
    if (registry_count() == SCN_MAX_CHILDREN) {
        errbuf_set(err, "cannot start %s: already %d programs running", argv[0], SCN_MAX_CHILDREN);
        return -1;
    }
    if (access(argv[0], X_OK) != 0) {
        errbuf_set(err, "cannot run %s: %s (run 'make' first)", argv[0], strerror(errno));
        return -1;
    }
    snprintf(c->out_path, sizeof c->out_path, "%s", out_path);
    snprintf(c->err_path, sizeof c->err_path, "%s", err_path);
    int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err_fd = out_fd >= 0 ? open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    if (out_fd < 0 || err_fd < 0) {
        errbuf_set(err, "cannot create %s: %s", out_fd < 0 ? out_path : err_path, strerror(errno));
        if (out_fd >= 0)
            close(out_fd);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, out_fd, err_fd, parent);
    int fork_errno = errno;
    close(out_fd);
    close(err_fd);
    if (pid < 0) {
        errbuf_set(err, "cannot start %s: %s", argv[0], strerror(fork_errno));
        return -1;
    }
    /* Both sides set the group, so it exists before either goes on. */
    setpgid(pid, pid);
    c->pid = pid;
    c->is_live = true;
    registry_add(c);
    return 0;
}

/* Reaps the child. Its group is killed first, while the unreaped leader
 * still holds the group's number: nothing of it can outlive it. When the
 * child is no longer ours to wait for (ECHILD: someone else reaped it), its
 * group number may belong to a stranger by now, so it is not signalled. */
static void reap(struct scn_child *c, bool is_ours)
{
    int status = 0;
    if (is_ours) {
        kill(-c->pid, SIGKILL);
        while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    c->status = status;
    c->has_exited = true;
    c->is_live = false;
    registry_remove(c);
}

bool scn_child_is_running(struct scn_child *c)
{
    if (!c->is_live)
        return false;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    /* WNOWAIT: look without reaping, so the group stays ours until reap(). */
    int rc;
    while ((rc = waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT)) < 0 &&
           errno == EINTR)
        ;
    if (rc == 0 && info.si_pid == 0)
        return true;
    reap(c, rc == 0);
    return false;
}

int scn_child_wait(struct scn_child *c, int timeout_ms)
{
    long long deadline = clock_monotonic_ms() + timeout_ms;
    int pause_ms = 1;
    while (scn_child_is_running(c)) {
        if (scn_procs_interrupted() != 0 || clock_monotonic_ms() >= deadline)
            return -1;
        scn_sleep_ms(pause_ms);
        if (pause_ms < 20)
            pause_ms *= 2;
    }
    return 0;
}

int scn_child_wait_line(struct scn_child *c, int timeout_ms, char *line, size_t cap,
                        struct errbuf *err)
{
    long long deadline = clock_monotonic_ms() + timeout_ms;
    int pause_ms = 1;
    for (;;) {
        /* Read what is there so far; a line is complete at its newline. */
        int fd = open(c->out_path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, line, cap - 1);
            close(fd);
            if (n > 0) {
                line[n] = 0;
                char *nl = strchr(line, '\n');
                if (nl != NULL) {
                    *nl = 0;
                    return 0;
                }
                if ((size_t)n == cap - 1) {
                    errbuf_set(err, "its first line is longer than %zu bytes", cap - 1);
                    return -1;
                }
            }
        }
        if (!scn_child_is_running(c)) {
            char how[128];
            scn_child_describe_exit(c, how, sizeof how);
            errbuf_set(err, "it %s before saying where it listens", how);
            return -1;
        }
        if (scn_procs_interrupted() != 0) {
            errbuf_set(err, "interrupted");
            return -1;
        }
        if (clock_monotonic_ms() >= deadline) {
            errbuf_set(err, "it printed no line within %d s", timeout_ms / 1000);
            return -1;
        }
        scn_sleep_ms(pause_ms);
        if (pause_ms < 20)
            pause_ms *= 2;
    }
}

void scn_child_stop(struct scn_child *c, int grace_ms)
{
    if (!c->is_live)
        return;
    if (scn_child_is_running(c)) {
        kill(-c->pid, SIGTERM);
        long long deadline = clock_monotonic_ms() + grace_ms;
        /* Not scn_child_wait: a Ctrl-C must not cut the grace of a stop. */
        while (scn_child_is_running(c) && clock_monotonic_ms() < deadline) {
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (c->is_live)
        reap(c, true); /* still running, so still ours: SIGKILL to the group, then wait */
}

void scn_child_describe_exit(const struct scn_child *c, char *out, size_t cap)
{
    if (!c->has_exited)
        snprintf(out, cap, "is still running");
    else if (WIFEXITED(c->status))
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(c->status));
    else if (WIFSIGNALED(c->status))
        snprintf(out, cap, "was killed by signal %d (%s)", WTERMSIG(c->status),
                 strsignal(WTERMSIG(c->status)));
    else
        snprintf(out, cap, "ended (status %d)", c->status);
}

void scn_child_stderr_tail(const struct scn_child *c, char *out, size_t cap)
{
    out[0] = 0;
    if (cap < 2)
        return;
    int fd = open(c->err_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    off_t start = 0;
    if (fstat(fd, &st) == 0 && st.st_size > (off_t)(cap - 1))
        start = st.st_size - (off_t)(cap - 1);
    ssize_t n = pread(fd, out, cap - 1, start);
    close(fd);
    if (n <= 0) {
        out[0] = 0;
        return;
    }
    out[n] = 0;
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = 0;
}

int scn_procs_stop_all(void)
{
    int stopped = 0;
    /* SIGTERM to all first, so they finish in parallel, then stop each. */
    for (size_t i = 0; i < SCN_MAX_CHILDREN; i++)
        if (live_children[i] != NULL && scn_child_is_running(live_children[i]))
            kill(-live_children[i]->pid, SIGTERM);
    for (size_t i = 0; i < SCN_MAX_CHILDREN; i++) {
        if (live_children[i] != NULL) {
            scn_child_stop(live_children[i], SCN_STOP_GRACE_MS);
            stopped++;
        }
    }
    return stopped;
}
