/* proc.h — a long-running program in the background, for integration tests
 * (the responder, the web server, a crowd of browsers): started in its own
 * process group with stdout and stderr captured, its first line awaited with
 * a time limit, and always stopped and reaped.
 *
 * A test that fails exits before its teardown runs (Check's fork mode), so a
 * started program is also tied to the thread that started it: when that
 * thread dies, the kernel kills the program (PR_SET_PDEATHSIG). Start
 * programs from the test's own thread, never from a helper thread that ends
 * early. */
#ifndef OCSPLAB_TESTS_PROC_H
#define OCSPLAB_TESTS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct proc {
    pid_t pid;  /* the program (and its process group); -1 when none */
    int out_fd; /* read-only descriptions of the captured stdout and stderr */
    int err_fd;
    bool has_exited;
    int exit_code;   /* once has_exited: the exit status, or 128 + signal */
    bool is_stopped; /* proc_stop has run: its group was killed once, never again */
};

#define PROC_INIT                                                                                  \
    {                                                                                              \
        .pid = -1, .out_fd = -1, .err_fd = -1, .has_exited = false, .exit_code = -1,               \
        .is_stopped = false                                                                        \
    }

/* The most output kept per stream (older bytes are not dropped; later ones are
 * not read). */
#define PROC_MAX_OUTPUT (1024 * 1024)

/* Starts argv (NULL-terminated; argv[0] a path or a name found in PATH) with
 * stdin from /dev/null, default signal handling and an empty signal mask.
 * Output goes to unlinked temporary files under $TMPDIR (or /tmp), so a
 * chatty program never blocks on a full pipe. Returns 0, or -1 when it could
 * not be started (a program that cannot be executed exits 127). */
int proc_start(struct proc *p, const char *const argv[]);

/* Waits at most timeout_ms for the first complete line on stdout and copies it
 * without its newline. Returns 0, or -1 on timeout or when the program exited
 * without printing a line. */
int proc_wait_line(struct proc *p, int timeout_ms, char *line, size_t cap);

/* Everything captured so far, NUL-terminated; the caller frees it. */
char *proc_stdout(const struct proc *p);
char *proc_stderr(const struct proc *p);

/* True while the program runs (reaps it when it has exited). */
bool proc_is_running(struct proc *p);

/* Sends `sig` to the program's process group. Returns 0, or -1 when it is gone. */
int proc_signal(struct proc *p, int sig);

/* Waits at most timeout_ms for the program to exit and reaps it. Returns 0
 * (exit_code is then set) or -1 when it still runs. */
int proc_wait(struct proc *p, int timeout_ms);

/* Stops the program: SIGTERM to its group, at most grace_ms to exit, then
 * SIGKILL; always reaped, and anything left in its group is killed. Returns
 * the exit code (128 + 9 when it had to be killed). Safe to call again and on
 * a proc that never started. */
int proc_stop(struct proc *p, int grace_ms);

/* Stops the program if it still runs (grace 2 s) and closes the captures;
 * leaves *p as PROC_INIT. For fixture teardowns. */
void proc_free(struct proc *p);

/* The programs one test case started, for a checked fixture: the teardown
 * stops them when the case passes; when it fails they die with it. */
#define PROC_SET_MAX 8
struct proc_set {
    struct proc procs[PROC_SET_MAX];
    size_t count;
};
/* Empties the set (and ignores SIGPIPE: a program may close on us). */
void proc_set_init(struct proc_set *set);
/* Starts argv in the next slot; the test fails when it cannot. */
struct proc *proc_set_start(struct proc_set *set, const char *const argv[]);
/* proc_free for every program started. */
void proc_set_free(struct proc_set *set);

#endif
