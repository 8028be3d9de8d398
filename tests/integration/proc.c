/* proc.c — background programs for integration tests: own process group,
 * captured output, a bounded wait for the first line, a bounded stop. */
#include "proc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "testutil.h"

/* A temporary file the program writes (append-only, its own description) and
 * we read with pread (our own description): no shared offset, no pipe that
 * can fill up. Both descriptions outlive the unlinked name. */
static int proc_capture_file(int *write_fd, int *read_fd)
{
    const char *base = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/ocsplab-proc-XXXXXX",
             base != NULL && base[0] != 0 ? base : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    int wfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    unlink(path);
    if (wfd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        close(fd);
        if (wfd >= 0)
            close(wfd);
        return -1;
    }
    *write_fd = wfd;
    *read_fd = fd;
    return 0;
}

int proc_start(struct proc *p, const char *const argv[])
{
    int out_w = -1, err_w = -1;
    *p = (struct proc)PROC_INIT;
    if (proc_capture_file(&out_w, &p->out_fd) != 0)
        return -1;
    if (proc_capture_file(&err_w, &p->err_fd) != 0) {
        close(out_w);
        proc_free(p);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(out_w);
        close(err_w);
        proc_free(p);
        return -1;
    }
    if (pid == 0) {
        /* Die with the test (a failed assertion exits without teardown). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
            _exit(127);
        execvp(argv[0], (char *const *)argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also here, so a signal right after start reaches the group */
    close(out_w);
    close(err_w);
    p->pid = pid;
    return 0;
}

static char *proc_read_capture(int fd)
{
    char *text = calloc(1, PROC_MAX_OUTPUT + 1);
    if (text == NULL || fd < 0)
        return text;
    size_t len = 0;
    while (len < PROC_MAX_OUTPUT) {
        ssize_t n = pread(fd, text + len, PROC_MAX_OUTPUT - len, (off_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    text[len] = 0;
    return text;
}

char *proc_stdout(const struct proc *p)
{
    return proc_read_capture(p->out_fd);
}

char *proc_stderr(const struct proc *p)
{
    return proc_read_capture(p->err_fd);
}

static void proc_record_status(struct proc *p, int status)
{
    p->has_exited = true;
    p->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool proc_is_running(struct proc *p)
{
    if (p->pid <= 0 || p->has_exited)
        return false;
    int status = 0;
    pid_t done = waitpid(p->pid, &status, WNOHANG);
    if (done == p->pid) {
        proc_record_status(p, status);
        return false;
    }
    if (done < 0 && errno == ECHILD) {
        p->has_exited = true; /* reaped elsewhere; nothing more to learn */
        return false;
    }
    return true;
}

int proc_wait_line(struct proc *p, int timeout_ms, char *line, size_t cap)
{
    int64_t deadline = clock_monotonic_ms() + timeout_ms;
    char head[4096];
    for (;;) {
        /* Read before checking for exit: a line written just before exiting counts. */
        bool was_running = proc_is_running(p);
        ssize_t n = p->out_fd >= 0 ? pread(p->out_fd, head, sizeof head - 1, 0) : -1;
        if (n > 0) {
            head[n] = 0;
            char *newline = strchr(head, '\n');
            if (newline != NULL) {
                *newline = 0;
                snprintf(line, cap, "%s", head);
                return 0;
            }
        }
        if (!was_running || clock_monotonic_ms() >= deadline)
            return -1;
        test_sleep_ms(5);
    }
}

int proc_signal(struct proc *p, int sig)
{
    if (p->pid <= 0 || !proc_is_running(p))
        return -1;
    return kill(-p->pid, sig) == 0 ? 0 : -1;
}

int proc_wait(struct proc *p, int timeout_ms)
{
    int64_t deadline = clock_monotonic_ms() + timeout_ms;
    while (proc_is_running(p)) {
        if (clock_monotonic_ms() >= deadline)
            return -1;
        test_sleep_ms(5);
    }
    return p->pid > 0 ? 0 : -1;
}

int proc_stop(struct proc *p, int grace_ms)
{
    if (p->pid <= 0)
        return -1;
    if (p->is_stopped)
        return p->exit_code;
    if (proc_is_running(p)) {
        kill(-p->pid, SIGTERM);
        if (proc_wait(p, grace_ms) != 0) {
            kill(-p->pid, SIGKILL);
            int status = 0;
            pid_t done;
            while ((done = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
                ;
            if (done == p->pid)
                proc_record_status(p, status);
            else
                p->has_exited = true;
        }
    }
    /* Whatever the program left behind in its group; once only, so a pid
     * reused much later is never hit. */
    kill(-p->pid, SIGKILL);
    p->is_stopped = true;
    return p->exit_code;
}

void proc_free(struct proc *p)
{
    if (p->pid > 0)
        proc_stop(p, 2000);
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    *p = (struct proc)PROC_INIT;
}

void proc_set_init(struct proc_set *set)
{
    for (size_t i = 0; i < PROC_SET_MAX; i++)
        set->procs[i] = (struct proc)PROC_INIT;
    set->count = 0;
    signal(SIGPIPE, SIG_IGN);
}

struct proc *proc_set_start(struct proc_set *set, const char *const argv[])
{
    ck_assert_uint_lt(set->count, PROC_SET_MAX);
    struct proc *p = &set->procs[set->count++];
    ck_assert_msg(proc_start(p, argv) == 0, "cannot start %s", argv[0]);
    return p;
}

void proc_set_free(struct proc_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        proc_free(&set->procs[i]);
    set->count = 0;
}
