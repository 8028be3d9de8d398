/* chromium.c — bounded headless Chromium runs for tests: find it, run it in
 * its own process group with a private profile and HOME, kill the group on
 * timeout, and make sure nothing it started outlives the run. */
#include "chromium.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "proc.h"
#include "testutil.h"

#define CHROMIUM_PATH_MAX 4096
/* Chromium's helpers end within a few hundred milliseconds of the browser. */
#define CHROMIUM_LEFTOVER_WAIT_MS 5000
#define CHROMIUM_MAX_LEFTOVERS 64

static const char chromium_install_hint[] = "install with scripts/install-deps.sh";

int chromium_find(char *path, size_t cap, struct errbuf *err)
{
    const char *search = getenv("PATH");
    char dirs[CHROMIUM_PATH_MAX];
    snprintf(dirs, sizeof dirs, "%s", search != NULL ? search : "/usr/bin:/bin");
    for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir != NULL;
         dir = strtok_r(NULL, ":", &save)) {
        struct stat st;
        if (dir[0] != '/' || file_path_join(path, cap, dir, "chromium") != 0)
            continue; /* a relative PATH entry would depend on the test's directory */
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
            return 0;
    }
    path[0] = 0;
    errbuf_set(err, "chromium is not installed: no 'chromium' in PATH (%s)", chromium_install_hint);
    return -1;
}

/* file:// and the path with every byte outside RFC 3986's unreserved set
 * (and '/') percent-encoded, so a space or '#' in a scratch path cannot cut
 * the URL short. */
static int chromium_file_url(const char *path, char *url, size_t cap, struct errbuf *err)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t at = 0;
    if (path[0] != '/') {
        errbuf_set(err, "%s: Chromium needs an absolute path for a file:// URL", path);
        return -1;
    }
    if (cap < 8)
        goto too_long;
    memcpy(url, "file://", 7);
    at = 7;
    for (const unsigned char *c = (const unsigned char *)path; *c != 0; c++) {
        bool is_plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                        (*c >= '0' && *c <= '9') || strchr("-._~/", *c) != NULL;
        if (cap - at < 4)
            goto too_long;
        if (is_plain) {
            url[at++] = (char)*c;
        } else {
            url[at++] = '%';
            url[at++] = hex[*c >> 4];
            url[at++] = hex[*c & 15];
        }
    }
    url[at] = 0;
    return 0;
too_long:
    errbuf_set(err, "%s: path too long for a URL", path);
    return -1;
}

/* The last lines of Chromium's stderr that say something: without a system
 * bus it logs a dozen D-Bus complaints on every start, which never matter. */
static void chromium_stderr_tail(const char *text, char *out, size_t cap)
{
    char lines[3][160];
    size_t kept = 0;
    for (const char *line = text; line != NULL && *line != 0;) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char one[sizeof lines[0]];
        snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one - 1 ? len : sizeof one - 1), line);
        if (len > 0 && strstr(one, "dbus") == NULL)
            memcpy(lines[kept++ % 3], one, sizeof one);
        line = end != NULL ? end + 1 : NULL;
    }
    out[0] = 0;
    for (size_t i = kept > 3 ? kept - 3 : 0; i < kept; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", used > 0 ? " | " : "", lines[i % 3]);
    }
    if (kept == 0)
        snprintf(out, cap, "(nothing on stderr but D-Bus noise)");
}

/* Waits for every process that names the run's directory to end (Chromium's
 * crash handler leaves the process group but names its database there); any
 * still running after the wait is killed, by pid, and reported. */
static int chromium_reap_leftovers(const char *run_dir, struct errbuf *err)
{
    char first[512];
    pid_t pids[CHROMIUM_MAX_LEFTOVERS];
    int64_t deadline = clock_monotonic_ms() + CHROMIUM_LEFTOVER_WAIT_MS;
    int count;
    while ((count = test_processes_mentioning(run_dir, NULL, 0, NULL, 0)) > 0 &&
           clock_monotonic_ms() < deadline) {
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
    count = test_processes_mentioning(run_dir, pids, CHROMIUM_MAX_LEFTOVERS, first, sizeof first);
    if (count == 0)
        return 0;
    if (count < 0) {
        errbuf_set(err, "cannot read /proc to check that Chromium ended");
        return -1;
    }
    for (int i = 0; i < count && i < CHROMIUM_MAX_LEFTOVERS; i++)
        kill(pids[i], SIGKILL);
    errbuf_set(err,
               "%d Chromium processes still ran %d s after the browser ended (killed); first: %s",
               count, CHROMIUM_LEFTOVER_WAIT_MS / 1000, first);
    return -1;
}

/* Runs `chromium HEADLESS-FLAGS MODE-FLAGS URL` in a fresh directory under
 * work_dir and returns its stdout in *out (may be NULL). The directory is the
 * browser's HOME too: Chromium's crash handler and dconf write below HOME
 * even with --user-data-dir. */
static int chromium_run(const char *work_dir, const char *html_path, const char *const mode[],
                        int timeout_ms, char **out, int64_t *elapsed_ms, struct errbuf *err)
{
    int rc = -1;
    struct proc browser = PROC_INIT;
    char program[CHROMIUM_PATH_MAX], url[3 * CHROMIUM_PATH_MAX], run_dir[CHROMIUM_PATH_MAX];
    char home[CHROMIUM_PATH_MAX + 16], config[CHROMIUM_PATH_MAX + 48];
    char cache[CHROMIUM_PATH_MAX + 48], profile[CHROMIUM_PATH_MAX + 32];
    char *stderr_text = NULL;
    bool has_run_dir = false;
    if (out != NULL)
        *out = NULL;
    if (chromium_find(program, sizeof program, err) != 0 ||
        chromium_file_url(html_path, url, sizeof url, err) != 0)
        goto out;
    if (access(html_path, R_OK) != 0) {
        errbuf_set(err, "cannot read %s: %s", html_path, strerror(errno));
        goto out;
    }
    if (file_path_join(run_dir, sizeof run_dir, work_dir, "chromium-XXXXXX") != 0 ||
        mkdtemp(run_dir) == NULL) {
        errbuf_set(err, "cannot create a Chromium directory in %s: %s", work_dir, strerror(errno));
        goto out;
    }
    has_run_dir = true;
    snprintf(home, sizeof home, "HOME=%s", run_dir);
    snprintf(config, sizeof config, "XDG_CONFIG_HOME=%s/.config", run_dir);
    snprintf(cache, sizeof cache, "XDG_CACHE_HOME=%s/.cache", run_dir);
    snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", run_dir);

    /* Since version 132 the chromium binary has only the new headless mode
     * (--headless=old is taken as --headless); it screenshots exactly
     * --window-size. The Debian wrapper adds flags from /etc/chromium.d
     * (GPU rasterization, remote extensions); --disable-gpu and
     * --disable-extensions make them moot. */
    const char *argv[40] = {"env",
                            home,
                            config,
                            cache,
                            program,
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--disable-extensions",
                            "--hide-scrollbars",
                            "--force-device-scale-factor=1",
                            profile};
    size_t argc = 0;
    while (argv[argc] != NULL)
        argc++;
    for (size_t i = 0; mode[i] != NULL && argc < 38; i++)
        argv[argc++] = mode[i];
    argv[argc++] = url;
    argv[argc] = NULL;

    int64_t started = clock_monotonic_ms();
    if (proc_start(&browser, argv) != 0) {
        errbuf_set(err, "cannot start %s: %s", program, strerror(errno));
        goto out;
    }
    if (proc_wait(&browser, timeout_ms) != 0) {
        proc_stop(&browser, 1000);
        errbuf_set(err, "chromium timed out: still running after %d s on %s (killed)",
                   timeout_ms / 1000, html_path);
        goto out;
    }
    if (elapsed_ms != NULL)
        *elapsed_ms = clock_monotonic_ms() - started;
    proc_stop(&browser, 1000); /* the browser is gone: anything left in its group goes too */
    if (browser.exit_code != 0) {
        char tail[400];
        stderr_text = proc_stderr(&browser);
        chromium_stderr_tail(stderr_text, tail, sizeof tail);
        errbuf_set(err, "chromium exited %d on %s: %s", browser.exit_code, html_path, tail);
        goto out;
    }
    if (out != NULL) {
        *out = proc_stdout(&browser);
        if (*out == NULL) {
            errbuf_set(err, "out of memory reading Chromium's output");
            goto out;
        }
        if (strlen(*out) >= PROC_MAX_OUTPUT) {
            errbuf_set(err, "Chromium's output on %s is larger than %d bytes", html_path,
                       PROC_MAX_OUTPUT);
            goto out;
        }
    }
    rc = 0;
out:
    proc_free(&browser);
    free(stderr_text);
    if (has_run_dir) {
        /* A leftover is an error even when the page rendered, and is named
         * after any other error. */
        struct errbuf leftover = {{0}};
        if (chromium_reap_leftovers(run_dir, &leftover) != 0) {
            if (rc == 0)
                errbuf_set(err, "%s", leftover.msg);
            else if (err != NULL) {
                struct errbuf first = *err;
                errbuf_set(err, "%.200s; then %.300s", first.msg, leftover.msg);
            }
            rc = -1;
        }
        test_rmtree(run_dir);
    }
    if (rc != 0 && out != NULL) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int chromium_screenshot(const char *work_dir, const char *html_path, unsigned width,
                        unsigned height, const char *png_path, int timeout_ms, int64_t *elapsed_ms,
                        struct errbuf *err)
{
    char window[64], screenshot[CHROMIUM_PATH_MAX + 16];
    snprintf(window, sizeof window, "--window-size=%u,%u", width, height);
    if (snprintf(screenshot, sizeof screenshot, "--screenshot=%s", png_path) >=
        (int)sizeof screenshot) {
        errbuf_set(err, "%s: path too long", png_path);
        return -1;
    }
    const char *const mode[] = {window, screenshot, NULL};
    if (unlink(png_path) != 0 && errno != ENOENT) {
        errbuf_set(err, "cannot remove the old %s: %s", png_path, strerror(errno));
        return -1;
    }
    if (chromium_run(work_dir, html_path, mode, timeout_ms, NULL, elapsed_ms, err) != 0)
        return -1;
    if (access(png_path, F_OK) != 0) {
        errbuf_set(err, "chromium exited 0 but wrote no screenshot %s", png_path);
        return -1;
    }
    return 0;
}

int chromium_dump_dom(const char *work_dir, const char *html_path, int timeout_ms, char **dom,
                      int64_t *elapsed_ms, struct errbuf *err)
{
    const char *const mode[] = {"--dump-dom", NULL};
    return chromium_run(work_dir, html_path, mode, timeout_ms, dom, elapsed_ms, err);
}
