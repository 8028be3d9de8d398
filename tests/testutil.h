/* testutil.h — what the tests share: scratch lab directories and running a
 * real program (ours or openssl) with a time limit, capturing its output. */
#ifndef OCSPLAB_TESTUTIL_H
#define OCSPLAB_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A new empty directory under $TMPDIR (or /tmp); caller frees the string and
 * removes the tree with test_rmtree. Aborts the test on failure. */
char *test_tmpdir(void);
void test_rmtree(const char *path);

/* A scratch directory per test case, used as Check fixture: every lab and
 * file a case makes under $TMPDIR lands inside it (TMPDIR points there
 * while the case runs), and leave removes it even when the case failed
 * before its own cleanup. `suite` names the directory. */
void test_scratch_enter(const char *suite);
void test_scratch_leave(void);
/* The current scratch directory ("" outside a case). */
const char *test_scratch_dir(void);

/* Path of one of our programs in bin/ (static storage, overwritten per call). */
const char *test_bin(const char *program);

struct test_run {
    int exit_code;  /* exit status, or 128+signal when killed */
    bool timed_out; /* the program was killed after the time limit */
    char *out;      /* stdout, NUL-terminated (at most 1 MiB kept) */
    char *err;      /* stderr, likewise */
};

/* Runs argv (NULL-terminated, argv[0] a path or a name found in PATH) in its
 * own process group, feeding `input` (may be NULL) on stdin, and waits at most
 * timeout_ms before killing the whole group. Returns 0 when it ran. */
int test_run(struct test_run *run, int timeout_ms, const char *input, const char *const argv[]);
void test_run_free(struct test_run *run);

/* Convenience: formats a command line into argv by splitting on spaces
 * (no quoting; for fixed test commands only) and runs it with test_run. */
int test_run_cmd(struct test_run *run, int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs bin/PROGRAM ARGS... (NULL-terminated) within timeout_ms; the test
 * fails when it cannot run or times out. Free with test_run_free. */
struct test_run test_run_bin(int timeout_ms, const char *program, ...);

/* Runs bin/ca ARGS... --lab LAB (ARGS NULL-terminated) within timeout_ms;
 * the test fails unless it exits 0. Returns its stdout (caller frees). */
char *test_ca_ok(int timeout_ms, const char *lab, ...);

/* The lab's control token (LAB/control.token, written by `ca init`), for
 * tests that switch a responder's faults as the teacher does; the test
 * fails when the lab has none. `token` holds 64 hex digits and a NUL. */
void test_control_token(const char *lab, char token[65]);

/* True when `haystack` contains `needle` (NULL-safe). */
bool test_contains(const char *haystack, const char *needle);

/* How many times `needle` occurs in `text`, overlapping ones included. */
size_t test_count_of(const char *text, const char *needle);

/* Sleeps ms milliseconds, through signals. */
void test_sleep_ms(int ms);

/* The last 3000 bytes of a program's output (all of it when shorter; "" for
 * NULL), for failure messages. */
const char *test_tail_of(const char *text);

/* The whole file as a NUL-terminated string (at most 4 MiB), or NULL when it
 * cannot be read. Caller frees. */
char *test_read_text(const char *path);

/* The names in `dir` (not those starting with '.'; at most 32), sorted and
 * comma-joined into out: "" for an empty or missing folder. For "nothing
 * half-written was left" checks. */
void test_list_dir(const char *dir, char *out, size_t cap);

/* Processes other than this one whose command line contains `needle` (a
 * scratch directory names everything a test started, even a daemon that left
 * the test's process group). Returns how many, or -1 when /proc cannot be
 * read; stores up to `cap` of their pids in `pids` (may be NULL) and the
 * first as "pid N: command line" in `first` (may be NULL). */
int test_processes_mentioning(const char *needle, pid_t *pids, size_t cap, char *first,
                              size_t first_cap);

#endif
