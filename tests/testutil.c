/* testutil.c — scratch directories and bounded runs of real programs for tests. */
#define _XOPEN_SOURCE 700 /* nftw() */
#include "clock.h"
#include "fileio.h"
#include "testutil.h"

#include "control_token.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_MAX_OUTPUT (1024 * 1024)

char *test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char template[4096];
    snprintf(template, sizeof template, "%s/ocsplab-test-XXXXXX",
             base != NULL && base[0] != 0 ? base : "/tmp");
    char *dir = mkdtemp(template);
    ck_assert_msg(dir != NULL, "mkdtemp failed: %s", strerror(errno));
    char *copy = strdup(dir);
    ck_assert_ptr_nonnull(copy);
    return copy;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_rmtree(const char *path)
{
    if (path != NULL)
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char scratch_dir[4096];
static char *saved_tmpdir;

void test_scratch_enter(const char *suite)
{
    const char *base = getenv("TMPDIR");
    saved_tmpdir = base != NULL ? strdup(base) : NULL;
    snprintf(scratch_dir, sizeof scratch_dir, "%s/ocsplab-%s-XXXXXX",
             base != NULL && base[0] != 0 ? base : "/tmp", suite);
    if (mkdtemp(scratch_dir) == NULL) {
        scratch_dir[0] = 0;
        return;
    }
    setenv("TMPDIR", scratch_dir, 1);
}

void test_scratch_leave(void)
{
    if (saved_tmpdir != NULL)
        setenv("TMPDIR", saved_tmpdir, 1);
    else
        unsetenv("TMPDIR");
    free(saved_tmpdir);
    saved_tmpdir = NULL;
    /* After a failed test, a child of a killed program may still be finishing
     * a file for a few milliseconds: try again until the tree is gone. */
    for (int attempt = 0; scratch_dir[0] != 0 && attempt < 20; attempt++) {
        test_rmtree(scratch_dir);
        if (access(scratch_dir, F_OK) != 0)
            break;
        usleep(100 * 1000);
    }
    scratch_dir[0] = 0;
}

const char *test_scratch_dir(void)
{
    return scratch_dir;
}

const char *test_bin(const char *program)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", LAB_BIN_DIR, program);
    return path;
}

struct capture {
    int fd;
    char *buf;
    size_t len;
};

static void capture_read(struct capture *c)
{
    char chunk[8192];
    ssize_t n = read(c->fd, chunk, sizeof chunk);
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(c->fd);
            c->fd = -1;
        }
        return;
    }
    size_t keep = (size_t)n;
    if (c->len + keep > TEST_MAX_OUTPUT)
        keep = TEST_MAX_OUTPUT - c->len;
    memcpy(c->buf + c->len, chunk, keep);
    c->len += keep;
    c->buf[c->len] = 0;
}

int test_run(struct test_run *run, int timeout_ms, const char *input, const char *const argv[])
{
    int out_pipe[2], err_pipe[2], in_pipe[2];
    memset(run, 0, sizeof *run);
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0 || pipe(in_pipe) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid(0, 0);
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(err_pipe[0]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (input != NULL) {
        /* Inputs in tests are small; a pipe buffer holds them. */
        ssize_t ignored = write(in_pipe[1], input, strlen(input));
        (void)ignored;
    }
    close(in_pipe[1]);

    struct capture cap[2] = {{out_pipe[0], calloc(1, TEST_MAX_OUTPUT + 1), 0},
                             {err_pipe[0], calloc(1, TEST_MAX_OUTPUT + 1), 0}};
    int64_t deadline = clock_monotonic_ms() + timeout_ms;
    while (cap[0].fd >= 0 || cap[1].fd >= 0) {
        int64_t left = deadline - clock_monotonic_ms();
        if (left <= 0) {
            run->timed_out = true;
            kill(-pid, SIGKILL);
            break;
        }
        struct pollfd fds[2];
        nfds_t n = 0;
        for (int i = 0; i < 2; i++) {
            if (cap[i].fd >= 0) {
                fds[n].fd = cap[i].fd;
                fds[n].events = POLLIN;
                n++;
            }
        }
        int ready = poll(fds, n, (int)left);
        if (ready < 0 && errno != EINTR)
            break;
        for (nfds_t k = 0; k < n; k++) {
            if (fds[k].revents == 0)
                continue;
            for (int i = 0; i < 2; i++)
                if (cap[i].fd == fds[k].fd)
                    capture_read(&cap[i]);
        }
    }
    for (int i = 0; i < 2; i++)
        if (cap[i].fd >= 0)
            close(cap[i].fd);
    int status = 0;
    /* The pipes closed; the process exits promptly, but bound the wait anyway. */
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (clock_monotonic_ms() > deadline + 2000) {
            run->timed_out = true;
            kill(-pid, SIGKILL);
        }
        usleep(1000);
    }
    kill(-pid, SIGKILL); /* anything the program left behind in its group */
    run->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run->out = cap[0].buf;
    run->err = cap[1].buf;
    return 0;
}

void test_run_free(struct test_run *run)
{
    free(run->out);
    free(run->err);
    memset(run, 0, sizeof *run);
}

int test_run_cmd(struct test_run *run, int timeout_ms, const char *fmt, ...)
{
    char line[8192];
    const char *argv[128];
    size_t argc = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok != NULL && argc < 127;
         tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    argv[argc] = NULL;
    return test_run(run, timeout_ms, NULL, argv);
}

/* argv = bin/PROGRAM, then the NULL-terminated arguments of `ap`. */
static void bin_argv(const char *program, va_list ap, char *path, size_t path_cap,
                     const char *argv[], size_t cap, size_t *argc)
{
    snprintf(path, path_cap, "%s", test_bin(program));
    *argc = 0;
    argv[(*argc)++] = path;
    for (const char *arg = va_arg(ap, const char *); arg != NULL; arg = va_arg(ap, const char *)) {
        ck_assert_uint_lt(*argc, cap - 4); /* room for --lab LAB and the NULL */
        argv[(*argc)++] = arg;
    }
    argv[*argc] = NULL;
}

struct test_run test_run_bin(int timeout_ms, const char *program, ...)
{
    const char *argv[32];
    char path[4096];
    size_t argc = 0;
    va_list ap;
    struct test_run run;
    va_start(ap, program);
    bin_argv(program, ap, path, sizeof path, argv, 32, &argc);
    va_end(ap);
    ck_assert_int_eq(test_run(&run, timeout_ms, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "%s %s timed out", program, argc > 1 ? argv[1] : "");
    return run;
}

char *test_ca_ok(int timeout_ms, const char *lab, ...)
{
    const char *argv[32];
    char program[4096];
    size_t argc = 0;
    va_list ap;
    struct test_run run;
    va_start(ap, lab);
    bin_argv("ca", ap, program, sizeof program, argv, 32, &argc);
    va_end(ap);
    argv[argc++] = "--lab";
    argv[argc++] = lab;
    argv[argc] = NULL;
    ck_assert_int_eq(test_run(&run, timeout_ms, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "ca %s timed out", argv[1] != NULL ? argv[1] : "");
    ck_assert_msg(run.exit_code == 0, "ca %s: exit %d: %s", argv[1], run.exit_code, run.err);
    char *out = run.out;
    run.out = NULL;
    test_run_free(&run);
    return out;
}

bool test_contains(const char *haystack, const char *needle)
{
    return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

size_t test_count_of(const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
        count++;
    return count;
}

int test_processes_mentioning(const char *needle, pid_t *pids, size_t cap, char *first,
                              size_t first_cap)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int count = 0;
    if (first != NULL && first_cap > 0)
        first[0] = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char path[300], cmdline[8192];
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* it ended while we looked */
        size_t n = fread(cmdline, 1, sizeof cmdline - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (cmdline[i] == 0)
                cmdline[i] = ' ';
        cmdline[n] = 0;
        if (strstr(cmdline, needle) == NULL)
            continue;
        if (pids != NULL && (size_t)count < cap)
            pids[count] = (pid_t)atoi(e->d_name);
        if (count == 0 && first != NULL && first_cap > 0)
            snprintf(first, first_cap, "pid %.16s: %.400s", e->d_name, cmdline);
        count++;
    }
    closedir(d);
    return count;
}

void test_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

const char *test_tail_of(const char *text)
{
    size_t len = text != NULL ? strlen(text) : 0;
    return len > 3000 ? text + len - 3000 : text != NULL ? text : "";
}

char *test_read_text(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (file_read_all(path, 4 * 1024 * 1024, &data, &len, NULL) != 0)
        return NULL;
    return (char *)data;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

void test_list_dir(const char *dir, char *out, size_t cap)
{
    char names[32][300];
    size_t count = 0;
    out[0] = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (e->d_name[0] == '.' || count == 32)
            continue;
        snprintf(names[count++], sizeof names[0], "%s", e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], compare_names);
    size_t used = 0;
    for (size_t i = 0; i < count && used < cap; i++) {
        int n = snprintf(out + used, cap - used, "%s%s", i > 0 ? "," : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void test_control_token(const char *lab, char token[65])
{
    struct errbuf err = {{0}};
    ck_assert_msg(control_token_read(lab, token, &err) == 0, "%s", err.msg);
}
