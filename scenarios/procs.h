/* procs.h — the programs a scenario runs (ca, responder, webserver, browser):
 * each in a process group of its own, output captured to files in the lab,
 * every wait bounded and interruptible by Ctrl-C. The runner signals only a
 * group it created, and only while that group's leader is its unreaped child
 * (so the group's number cannot have been reused); every child is reaped and
 * nothing is left behind on success, failure, Ctrl-C or a killed child. If
 * the runner itself is killed, the kernel sends each child SIGTERM
 * (PR_SET_PDEATHSIG). */
#ifndef OCSPLAB_SCENARIOS_PROCS_H
#define OCSPLAB_SCENARIOS_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "errbuf.h"
#include "lab.h"

/* A server prints its first line within this (ASan builds start slowly). */
#define SCN_START_TIMEOUT_MS 15000
/* After SIGTERM a program has this long to finish before SIGKILL. */
#define SCN_STOP_GRACE_MS 3000
/* The most children alive at once (servers plus one command). */
#define SCN_MAX_CHILDREN 24

struct scn_child {
    pid_t pid;                   /* the child and its process group; -1 when none */
    bool is_live;                /* started and not yet reaped */
    bool has_exited;             /* reaped: status holds how it ended */
    int status;                  /* the wait status */
    char out_path[LAB_PATH_MAX]; /* captured stdout */
    char err_path[LAB_PATH_MAX]; /* captured stderr */
};

/* SIGINT, SIGTERM and SIGHUP set a flag that every wait checks (no restart
 * of interrupted calls); SIGPIPE is ignored. Call once, first thing. */
void scn_procs_install_signals(void);
/* The signal that asked the run to stop, or 0. */
int scn_procs_interrupted(void);

/* Starts argv (argv[0] a path) with stdin from /dev/null and stdout and
 * stderr written to out_path and err_path (created or truncated). Fills
 * c->pid. Returns 0, or -1 with err set. */
int scn_child_start(struct scn_child *c, const char *const argv[], const char *out_path,
                    const char *err_path, struct errbuf *err);

/* Waits at most timeout_ms for the child's first complete stdout line.
 * Returns 0, or -1 with err set (timed out, exited, or interrupted). */
int scn_child_wait_line(struct scn_child *c, int timeout_ms, char *line, size_t cap,
                        struct errbuf *err);

/* True while the child runs. When it has ended, its group is cleared, it is
 * reaped, and has_exited/status say how it ended. */
bool scn_child_is_running(struct scn_child *c);

/* Waits at most timeout_ms for the child to end (then reaped). Returns 0,
 * or -1 on timeout or interruption (the child still runs). */
int scn_child_wait(struct scn_child *c, int timeout_ms);

/* Stops the child: SIGTERM to its group, grace_ms to end, then SIGKILL to
 * the group; always reaped. Safe on a child that already ended or never ran. */
void scn_child_stop(struct scn_child *c, int grace_ms);

/* "exited with status 2", "was killed by signal 9 (Killed)". */
void scn_child_describe_exit(const struct scn_child *c, char *out, size_t cap);

/* The last lines of what the child wrote to stderr (at most cap - 1 bytes). */
void scn_child_stderr_tail(const struct scn_child *c, char *out, size_t cap);

/* Stops every child still alive (the clean-up of every exit path). Returns
 * how many there were. */
int scn_procs_stop_all(void);

/* Sleeps ms milliseconds unless interrupted. */
void scn_sleep_ms(int ms);

#endif
