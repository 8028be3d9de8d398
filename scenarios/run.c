/* run.c — executing scenario steps against the lab's real programs.
 * Time is the lab's simulated clock (LAB/clock, DESIGN section 4); counters
 * come from the programs' /stats (section 6) and the trace (section 5); every
 * step the runner takes is itself a trace event with actor "scenario". */
#define _XOPEN_SOURCE 700 /* nftw() */
#include "run.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "capture.h"
#include "clock.h"
#include "expect.h"
#include "fileio.h"
#include "forge.h"
#include "http_get.h"
#include "procs.h"
#include "trace.h"
#include "tracelog.h"

/* A command (ca, browser) may take this long; a visit adds a little per user. */
#define SCN_COMMAND_TIMEOUT_MS 60000
#define SCN_VISIT_MS_PER_USER 200
/* A visit's JSON report: about 1.5 KB per user. */
#define SCN_MAX_REPORT_BYTES (8 * 1024 * 1024)
/* After the clock moves: how long a web server may take to act on it. */
#define SCN_SETTLE_DUE_MS 5000
#define SCN_SETTLE_MAYBE_MS 500
#define SCN_SETTLE_POLL_MS 20

struct world_proc {
    char name[SCN_MAX_NAME];
    enum scn_program program;
    char site[SCN_MAX_SITE];
    const struct scn_step *start; /* the step that started it last: its flags */
    struct scn_child child;
    bool is_running;
    int starts;             /* how often it was started (log file names) */
    int port;               /* kept across a stop, so URLs in certificates stay right */
    json_t *stats;          /* the last /stats read (kept after it stops) */
    int64_t own_fetches;    /* the runner's own /stats connections */
    struct scn_cache cache; /* a cache's files and ports (cache.h) */
};

struct world {
    struct scn_runner *r;
    const struct scn_script *script;
    char lab[LAB_PATH_MAX];
    char logs[LAB_PATH_MAX];
    char files[LAB_PATH_MAX];
    size_t proc_count;
    struct world_proc procs[SCN_MAX_PROCS];
    bool has_visit;
    struct scn_visit visit;
    bool has_window;
    int64_t window_seconds;
    bool has_verdict;
    char verdict[32];
    int64_t clock_start; /* the clock offset when the scenario began */
    int command_seq;
    bool is_paced;        /* --class applies to this scenario */
    char narration[2048]; /* paced: the say lines since the last step */
    int passed, failed;
    bool is_aborted; /* the rest of the scenario is skipped */
    bool is_skipped; /* …because a tool it needs is missing (not a failure) */
    struct scn_table_row *row;
};

static int run_script(struct scn_runner *r, const struct scn_script *script);

/* snprintf for words shown to people, where cutting a long value is fine. */
static void text_printf(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void text_printf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

/* ---- Reporting ------------------------------------------------------------------------------ */

static void record_failure(struct world *w, int line, const char *msg)
{
    struct scn_runner *r = w->r;
    w->failed++;
    if (r->failure_count < SCN_MAX_REPORTED)
        text_printf(r->failures[r->failure_count], sizeof r->failures[0], "%s:%d: %s",
                    w->script->path, line, msg);
    r->failure_count++;
    scn_ui_printf(&r->ui, SCN_TONE_BAD, "  FAIL ", "line %d: %s", line, msg);
}

static void step_failed(struct world *w, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A step that could not run: the rest of this scenario would only mislead. */
static void step_failed(struct world *w, int line, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    record_failure(w, line, msg);
    trace_event("scenario.step.failed",
                json_pack("{s:s, s:i, s:s}", "file", w->script->path, "line", line, "error", msg),
                "The scenario could not run line %d: %s", line, msg);
    if (!w->is_aborted)
        scn_ui_print(&w->r->ui, SCN_TONE_BAD, "       ", "The rest of this scenario is skipped.");
    w->is_aborted = true;
}

static void detail(struct world *w, enum scn_ui_tone tone, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void detail(struct world *w, enum scn_ui_tone tone, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    scn_ui_print(&w->r->ui, tone, "      ", text);
}

/* ---- Paths ---------------------------------------------------------------------------------- */

static int join(char *out, size_t cap, const char *dir, const char *name)
{
    return file_path_join(out, cap, dir, name);
}

static void bin_path(const struct world *w, const char *program, char *out, size_t cap)
{
    char name[64];
    text_printf(name, sizeof name, "%s%s", w->r->opt.prefix, program);
    if (join(out, cap, w->r->opt.bin_dir, name) != 0)
        out[0] = 0;
}

static int log_path(struct world *w, const char *tag, const char *ext, char *out, size_t cap)
{
    char name[SCN_MAX_NAME + 32];
    snprintf(name, sizeof name, "%03d-%s.%s", ++w->command_seq, tag, ext);
    return join(out, cap, w->logs, name);
}

/* ---- Programs ------------------------------------------------------------------------------- */

static struct world_proc *find_proc(struct world *w, const char *name)
{
    for (size_t i = 0; i < w->proc_count; i++)
        if (strcmp(w->procs[i].name, name) == 0)
            return &w->procs[i];
    return NULL;
}

static bool is_stapling(const struct world_proc *p)
{
    if (p->program != SCN_WEBSERVER || !p->is_running)
        return false;
    for (size_t i = 0; i < p->start->arg_count; i++) {
        const char *arg = scn_step_arg(p->start, i);
        if (strcmp(arg, "--staple-file") == 0)
            return false;
        if (strcmp(arg, "--stapling") == 0 && strcmp(scn_step_arg(p->start, i + 1), "off") == 0)
            return false;
    }
    return true;
}

static void proc_url(const struct world_proc *p, const char *path, char *out, size_t cap)
{
    if (p->program == SCN_RESPONDER || p->program == SCN_CACHE)
        snprintf(out, cap, "http://127.0.0.1:%d%s", p->port, path);
    else
        snprintf(out, cap, "https://%s:%d%s", p->site, p->port, path);
}

/* Reads /stats of a running program into p->stats (a stopped one keeps its
 * last). */
static int fetch_stats(struct world_proc *p, struct errbuf *err)
{
    char url[SCN_MAX_SITE + 64];
    json_t *stats = NULL;
    if (!p->is_running) {
        if (p->stats != NULL)
            return 0;
        errbuf_set(err, "%s has no counters: it stopped before they could be read", p->name);
        return -1;
    }
    if (p->program == SCN_CACHE) {
        /* nginx has no /stats: its access log says what it did. */
        struct scn_cache_counts counts;
        if (scn_cache_count(p->cache.dir, &counts, err) != 0)
            return -1;
        json_decref(p->stats);
        p->stats = scn_cache_counts_json(&counts);
        return 0;
    }
    proc_url(p, "/stats", url, sizeof url);
    if (scn_http_get_json(url, p->program == SCN_WEBSERVER ? p->port : 0, &stats, err) != 0)
        return -1;
    if (p->program == SCN_WEBSERVER)
        p->own_fetches++;
    json_decref(p->stats);
    p->stats = stats;
    return 0;
}

static int64_t stat_int(const json_t *stats, const char *key)
{
    json_t *value = json_object_get(stats, key);
    return json_is_integer(value) ? (int64_t)json_integer_value(value) : 0;
}

/* A program that ended on its own is reported with how it ended and the
 * last words it wrote; the scenario stops there. */
static bool all_alive(struct world *w, int line)
{
    for (size_t i = 0; i < w->proc_count; i++) {
        struct world_proc *p = &w->procs[i];
        if (!p->is_running || scn_child_is_running(&p->child))
            continue;
        char how[160], tail[400];
        p->is_running = false;
        scn_child_describe_exit(&p->child, how, sizeof how);
        scn_child_stderr_tail(&p->child, tail, sizeof tail);
        trace_event(
            "scenario.program.died",
            json_pack("{s:s, s:i, s:s}", "name", p->name, "pid", (int)p->child.pid, "how", how),
            "The %s '%s' (pid %d) %s while the scenario still needed it.",
            scn_program_noun(p->program), p->name, (int)p->child.pid, how);
        step_failed(w, line, "the %s '%s' (pid %d) %s before this step%s%s",
                    scn_program_noun(p->program), p->name, (int)p->child.pid, how,
                    tail[0] != 0 ? "; it said: " : "", tail);
        return false;
    }
    return true;
}

/* The responder whose URL goes into certificates by default: the first one
 * started that is running, else the first that ever listened. */
static struct world_proc *default_responder(struct world *w)
{
    for (size_t i = 0; i < w->proc_count; i++)
        if (w->procs[i].program == SCN_RESPONDER && w->procs[i].is_running)
            return &w->procs[i];
    for (size_t i = 0; i < w->proc_count; i++)
        if (w->procs[i].program == SCN_RESPONDER && w->procs[i].port > 0)
            return &w->procs[i];
    return NULL;
}

/* What a cache did, into the trace, where the report finds it: the
 * requests it took and how many it answered from its store. */
static void trace_cache_summary(const struct world_proc *p)
{
    int64_t requests = stat_int(p->stats, "requests"), hits = stat_int(p->stats, "hits");
    const json_t *get = json_object_get(p->stats, "GET");
    trace_event("cache.summary",
                json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "name", p->name, "requests",
                          (json_int_t)requests, "hits", (json_int_t)hits, "misses",
                          (json_int_t)stat_int(p->stats, "misses"), "get_requests",
                          (json_int_t)stat_int(get, "requests"), "get_hits",
                          (json_int_t)stat_int(get, "hits")),
                "The cache '%s' took %lld OCSP request%s and answered %lld from its store; %lld "
                "went on to the CA's responder.",
                p->name, (long long)requests, requests == 1 ? "" : "s", (long long)hits,
                (long long)(requests - hits));
}

/* Stops a program and says so when it did not end cleanly: every program
 * exits 0 on SIGTERM (DESIGN section 2), so anything else (a sanitizer's
 * report, a crash on the way out, a hang) fails the scenario: every lesson is
 * also a test of the programs, and `make asan` runs them all. */
static void stop_proc(struct world *w, struct world_proc *p, int line)
{
    struct errbuf err = {{0}};
    if (!p->is_running)
        return;
    if (scn_child_is_running(&p->child) && fetch_stats(p, &err) != 0)
        detail(w, SCN_TONE_DIM, "(its last counters could not be read: %s)", err.msg);
    scn_child_stop(&p->child, SCN_STOP_GRACE_MS);
    p->is_running = false;
    if (p->program == SCN_CACHE)
        trace_cache_summary(p);
    bool is_clean = WIFEXITED(p->child.status) && WEXITSTATUS(p->child.status) == 0;
    if (is_clean)
        return;
    char how[160];
    scn_child_describe_exit(&p->child, how, sizeof how);
    char msg[LAB_PATH_MAX + 320];
    snprintf(msg, sizeof msg, "the %s '%s' %s when stopped (see %s)", scn_program_noun(p->program),
             p->name, how, p->child.err_path);
    record_failure(w, line, msg);
}

/* ---- Running a command to its end ----------------------------------------------------------- */

struct command {
    int exit_code; /* -1 when it did not end normally */
    char out_path[LAB_PATH_MAX];
    char how[160]; /* how it ended, for messages */
    char err_tail[400];
};

static int run_command(struct world *w, const char *const argv[], const char *tag, int timeout_ms,
                       struct command *cmd, struct errbuf *err)
{
    struct scn_child child;
    char err_path[LAB_PATH_MAX];
    memset(cmd, 0, sizeof *cmd);
    cmd->exit_code = -1;
    if (log_path(w, tag, "out", cmd->out_path, sizeof cmd->out_path) != 0 ||
        join(err_path, sizeof err_path, w->logs, "") != 0) {
        errbuf_set(err, "lab path too long");
        return -1;
    }
    snprintf(err_path, sizeof err_path, "%.*s.err", (int)(strlen(cmd->out_path) - 4),
             cmd->out_path);
    if (scn_child_start(&child, argv, cmd->out_path, err_path, err) != 0)
        return -1;
    if (scn_child_wait(&child, timeout_ms) != 0) {
        bool was_interrupted = scn_procs_interrupted() != 0;
        scn_child_stop(&child, SCN_STOP_GRACE_MS);
        errbuf_set(err, "%s %s", argv[0],
                   was_interrupted ? "was interrupted" : "did not finish in time and was stopped");
        return -1;
    }
    scn_child_describe_exit(&child, cmd->how, sizeof cmd->how);
    scn_child_stderr_tail(&child, cmd->err_tail, sizeof cmd->err_tail);
    if (WIFEXITED(child.status))
        cmd->exit_code = WEXITSTATUS(child.status);
    return 0;
}

/* The first line of a command's output, without its newline. */
static void first_line(const char *path, char *out, size_t cap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    out[0] = 0;
    if (file_read_all(path, 64 * 1024, &data, &len, NULL) != 0)
        return;
    size_t n = strcspn((const char *)data, "\n");
    snprintf(out, cap, "%.*s", (int)n, (const char *)data);
    free(data);
}

/* ---- Settling: letting the web servers act on a change -------------------------------------- */

struct settle_point {
    struct world_proc *p;
    int64_t fetches;
    char status[16];
    char next_refresh[CLOCK_RFC3339_LEN];
    char next_update[CLOCK_RFC3339_LEN];
};

static size_t settle_before(struct world *w, struct settle_point *points, const char *site)
{
    size_t n = 0;
    struct errbuf err = {{0}};
    for (size_t i = 0; i < w->proc_count; i++) {
        struct world_proc *p = &w->procs[i];
        if (!is_stapling(p) || (site != NULL && strcmp(p->site, site) != 0))
            continue;
        if (fetch_stats(p, &err) != 0)
            continue;
        struct settle_point *sp = &points[n++];
        const json_t *staple = json_object_get(p->stats, "staple");
        sp->p = p;
        sp->fetches = stat_int(p->stats, "ocsp_fetches");
        snprintf(sp->status, sizeof sp->status, "%s",
                 json_string_value(json_object_get(staple, "status")) != NULL
                     ? json_string_value(json_object_get(staple, "status"))
                     : "none");
        snprintf(sp->next_refresh, sizeof sp->next_refresh, "%s",
                 json_string_value(json_object_get(staple, "next_refresh")) != NULL
                     ? json_string_value(json_object_get(staple, "next_refresh"))
                     : "");
        snprintf(sp->next_update, sizeof sp->next_update, "%s",
                 json_string_value(json_object_get(staple, "next_update")) != NULL
                     ? json_string_value(json_object_get(staple, "next_update"))
                     : "");
    }
    return n;
}

/* Waits until each web server that had something to do has done it: its
 * fetch counter moved. A server with a good staple before its refresh point
 * has nothing to do. One without a good staple retries on a backoff the
 * runner cannot see, so it gets a short look only. RFC 3339 times in one
 * format compare as text. */
static void settle_after(struct settle_point *points, size_t n, bool is_cert_changed)
{
    char now[CLOCK_RFC3339_LEN];
    struct errbuf err = {{0}};
    clock_format_rfc3339(clock_now_ms(), now, sizeof now);
    for (size_t i = 0; i < n; i++) {
        struct settle_point *sp = &points[i];
        bool is_good = strcmp(sp->status, "good") == 0;
        bool is_due = is_cert_changed || !is_good || strcmp(now, sp->next_refresh) >= 0 ||
                      strcmp(now, sp->next_update) >= 0;
        if (!is_due)
            continue;
        long long deadline = clock_monotonic_ms() +
                             (is_good || is_cert_changed ? SCN_SETTLE_DUE_MS : SCN_SETTLE_MAYBE_MS);
        while (scn_procs_interrupted() == 0 && clock_monotonic_ms() < deadline) {
            scn_sleep_ms(SCN_SETTLE_POLL_MS);
            if (!scn_child_is_running(&sp->p->child) || fetch_stats(sp->p, &err) != 0)
                break;
            if (stat_int(sp->p->stats, "ocsp_fetches") > sp->fetches)
                break;
        }
    }
}

/* ---- Steps ---------------------------------------------------------------------------------- */

static void do_say(struct world *w, const struct scn_step *s)
{
    scn_ui_print(&w->r->ui, SCN_TONE_SAY, "  ", s->text);
    trace_event("scenario.say", json_pack("{s:s, s:i}", "file", w->script->path, "line", s->line),
                "%s", s->text[0] != 0 ? s->text : " ");
}

/* ---- The paced classroom mode (--class) ---------------------------------------------------- */

/* Paced: narration waits for the step it introduces. Lessons wrap a
 * sentence over several `say` lines, so consecutive lines join into one
 * paragraph; an empty `say` starts a new one. */
static void hold_narration(struct world *w, const char *text)
{
    size_t used = strlen(w->narration);
    bool is_new_paragraph = used == 0 || w->narration[used - 1] == '\n';
    if (text[0] == 0) {
        if (!is_new_paragraph)
            snprintf(w->narration + used, sizeof w->narration - used, "\n");
        return;
    }
    snprintf(w->narration + used, sizeof w->narration - used, "%s%s", is_new_paragraph ? "" : " ",
             text);
}

/* Prints narration that introduces no step (before an expectation, a
 * pause, or the end) the ordinary way. */
static void release_narration(struct world *w)
{
    char *line = w->narration;
    while (*line != 0) {
        size_t len = strcspn(line, "\n");
        char one[SCN_MAX_LINE + 1];
        snprintf(one, sizeof one, "%.*s", (int)len, line);
        scn_ui_print(&w->r->ui, SCN_TONE_SAY, "  ", one);
        line += len;
        if (*line == '\n')
            line++;
    }
    w->narration[0] = 0;
}

/* What a step does, in a sentence, for a step the lesson does not
 * introduce with words of its own. */
static void step_sentence(const struct scn_step *s, char *out, size_t cap)
{
    char duration[32] = "";
    clock_format_duration(s->kind == SCN_WATCH ? s->every_seconds : s->seconds, duration,
                          sizeof duration);
    switch (s->kind) {
    case SCN_CA_INIT:
        snprintf(out, cap, "The Certificate Authority creates its root certificate and key.");
        break;
    case SCN_CA_ISSUE:
        snprintf(out, cap, "The CA issues a certificate for %s.", s->site);
        break;
    case SCN_CA_REVOKE:
        snprintf(out, cap, "The CA revokes the certificate of %s.", s->site);
        break;
    case SCN_CA_REVLIST:
        snprintf(out, cap, "The CA signs a list of revoked serials to push to browsers, %s.",
                 s->file);
        break;
    case SCN_START:
        if (s->program == SCN_RESPONDER)
            snprintf(out, cap, "The CA's OCSP responder starts answering.");
        else if (s->program == SCN_CACHE)
            snprintf(out, cap, "An HTTP cache starts in front of the responder '%s'.", s->upstream);
        else
            snprintf(out, cap, "The web server for %s starts.", s->site);
        break;
    case SCN_STOP:
        snprintf(out, cap, "'%s' stops.", s->name);
        break;
    case SCN_RESTART:
        snprintf(out, cap, "'%s' starts again.", s->name);
        break;
    case SCN_FAULT:
        if (strcmp(s->mode, "none") == 0)
            snprintf(out, cap, "The responder '%s' is healthy again.", s->name);
        else
            snprintf(out, cap, "The responder '%s' misbehaves on purpose: %s.", s->name, s->mode);
        break;
    case SCN_ADVANCE:
        snprintf(out, cap, "The simulated clock jumps %s ahead.", duration);
        break;
    case SCN_VISIT:
        snprintf(out, cap, "Simulated users visit %s.", s->name);
        break;
    case SCN_WATCH:
        snprintf(out, cap, "Users visit %s every %s of simulated time, and we watch.", s->name,
                 duration);
        break;
    case SCN_SAVE_STAPLE:
        snprintf(out, cap, "Keep a copy of the staple %s sends, as %s.", s->site, s->file);
        break;
    case SCN_FORGE:
        snprintf(out, cap, "Forge an OCSP answer about %s, signed by %s.", s->site, s->signer);
        break;
    case SCN_CHECK:
        snprintf(out, cap, "Check %s exactly as a browser would.", s->file);
        break;
    default:
        snprintf(out, cap, "Next step.");
        break;
    }
}

/* Before a step in class mode: the lesson's words for it, large enough to
 * read from the back of a room (set apart, bold, one sentence a line), the
 * step itself, and a wait for Enter. */
static void present_step(struct world *w, const struct scn_step *s)
{
    const struct scn_ui *ui = &w->r->ui;
    char rule[3 * 100 + 1] = "";
    int width = ui->width > 4 ? ui->width - 4 : 60;
    for (int i = 0; i < width && i < 100; i++)
        strcat(rule, "\u2501");
    scn_ui_blank(ui);
    scn_ui_print(ui, SCN_TONE_DIM, "  ", rule);
    if (w->narration[0] == 0) {
        char sentence[SCN_MAX_LINE + 1];
        step_sentence(s, sentence, sizeof sentence);
        hold_narration(w, sentence);
    }
    char *line = w->narration;
    while (*line != 0) {
        size_t len = strcspn(line, "\n");
        char one[SCN_MAX_LINE + 1];
        snprintf(one, sizeof one, "%.*s", (int)len, line);
        scn_ui_blank(ui);
        scn_ui_print(ui, SCN_TONE_TITLE, "    ", one);
        line += len;
        if (*line == '\n')
            line++;
    }
    w->narration[0] = 0;
    scn_ui_blank(ui);
    scn_ui_print(ui, SCN_TONE_DIM, "  ", rule);
    scn_ui_printf(ui, SCN_TONE_DIM, "  ", "next: %s   [press Enter to run it]", s->source);
    fflush(ui->out);
    char answer[256];
    /* fgets returns on Enter, end of input or a signal (no SA_RESTART). */
    if (fgets(answer, sizeof answer, stdin) == NULL)
        clearerr(stdin);
}

static void do_pause(struct world *w, const struct scn_step *s)
{
    if (!w->r->opt.is_pausing) {
        if (s->text[0] != 0)
            scn_ui_print(&w->r->ui, SCN_TONE_SAY, "  ", s->text);
        return;
    }
    scn_ui_printf(&w->r->ui, SCN_TONE_DIM, "  ", "%s%s[press Enter to go on]", s->text,
                  s->text[0] != 0 ? "  " : "");
    char line[256];
    /* fgets returns on Enter, end of input or a signal (no SA_RESTART). */
    if (fgets(line, sizeof line, stdin) == NULL)
        clearerr(stdin);
}

static int ca_command(struct world *w, const struct scn_step *s)
{
    char ca[LAB_PATH_MAX], url[SCN_MAX_SITE + 64];
    const char *argv[SCN_MAX_ARGS + 12];
    size_t n = 0;
    bool has_url = false;
    bin_path(w, "ca", ca, sizeof ca);
    argv[n++] = ca;
    argv[n++] = s->kind == SCN_CA_INIT      ? "init"
                : s->kind == SCN_CA_ISSUE   ? "issue"
                : s->kind == SCN_CA_REVLIST ? "revlist"
                                            : "revoke";
    if (s->kind == SCN_CA_ISSUE || s->kind == SCN_CA_REVOKE)
        argv[n++] = s->site;
    char list_path[LAB_PATH_MAX];
    if (s->kind == SCN_CA_REVLIST) {
        /* ca revlist as FILE: into LAB/files, where visits find it (--revlist). */
        if (join(list_path, sizeof list_path, w->files, s->file) != 0) {
            step_failed(w, s->line, "lab path too long");
            return -1;
        }
        argv[n++] = "-o";
        argv[n++] = list_path;
    }
    for (size_t i = 0; i < s->arg_count; i++) {
        const char *arg = scn_step_arg(s, i);
        if (strcmp(arg, "--ocsp-url") == 0 && i + 1 < s->arg_count) {
            /* --ocsp-url RESPONDER: that responder's address */
            const char *value = scn_step_arg(s, ++i);
            struct world_proc *p = find_proc(w, value);
            if (p != NULL) {
                if (p->port <= 0) {
                    step_failed(w, s->line,
                                "the responder '%s' has not listened yet, so it "
                                "has no URL",
                                value);
                    return -1;
                }
                proc_url(p, "/", url, sizeof url);
                value = url;
            }
            argv[n++] = "--ocsp-url";
            argv[n++] = value;
            has_url = true;
            continue;
        }
        argv[n++] = arg;
    }
    struct world_proc *responder = default_responder(w);
    if (s->kind == SCN_CA_ISSUE && !has_url && responder != NULL) {
        proc_url(responder, "/", url, sizeof url);
        argv[n++] = "--ocsp-url";
        argv[n++] = url;
    }
    argv[n++] = "--lab";
    argv[n++] = w->lab;
    argv[n] = NULL;

    /* A renewal: a running web server for the site reloads and fetches. */
    struct settle_point points[SCN_MAX_PROCS];
    size_t point_count = s->kind == SCN_CA_ISSUE ? settle_before(w, points, s->site) : 0;
    struct command cmd;
    struct errbuf err = {{0}};
    if (run_command(w, argv,
                    s->kind == SCN_CA_INIT      ? "ca-init"
                    : s->kind == SCN_CA_ISSUE   ? "ca-issue"
                    : s->kind == SCN_CA_REVLIST ? "ca-revlist"
                                                : "ca-revoke",
                    SCN_COMMAND_TIMEOUT_MS, &cmd, &err) != 0) {
        step_failed(w, s->line, "%s", err.msg);
        return -1;
    }
    if (cmd.exit_code != 0) {
        step_failed(w, s->line, "ca %s%s%s", cmd.how, cmd.err_tail[0] != 0 ? ": " : "",
                    cmd.err_tail);
        return -1;
    }
    char said[512];
    first_line(cmd.out_path, said, sizeof said);
    if (said[0] != 0)
        detail(w, SCN_TONE_DIM, "%s", said);
    if (s->kind == SCN_CA_ISSUE && !has_url && responder != NULL)
        detail(w, SCN_TONE_DIM, "OCSP responder in the certificate: %s", url);
    settle_after(points, point_count, true);
    return 0;
}

/* The clock nginx sees follows the lab's (cache.h). */
static void sync_cache_clocks(struct world *w)
{
    int64_t offset = 0;
    struct errbuf err = {{0}};
    clock_offset_read(w->lab, &offset, NULL);
    for (size_t i = 0; i < w->proc_count; i++) {
        struct world_proc *p = &w->procs[i];
        if (p->program == SCN_CACHE && p->is_running &&
            scn_cache_set_clock(&p->cache, offset, &err) != 0)
            detail(w, SCN_TONE_BAD, "the cache '%s' cannot follow the clock: %s", p->name, err.msg);
    }
}

/* A lesson that needs a tool the machine lacks says how to install it and
 * ends there: skipped, not failed. */
static void skip_scenario(struct world *w, int line, const char *why)
{
    trace_event("scenario.skipped",
                json_pack("{s:s, s:i, s:s}", "file", w->script->path, "line", line, "why", why),
                "The scenario was skipped at line %d: %s", line, why);
    if (w->r->ui.is_quiet)
        scn_ui_error("%s:%d: skipped: %s", w->script->path, line, why);
    else
        scn_ui_printf(&w->r->ui, SCN_TONE_BAD, "  SKIP ", "line %d: %s", line, why);
    w->is_skipped = true;
    w->is_aborted = true;
}

static int start_cache(struct world *w, const struct scn_step *s, struct world_proc *p)
{
    struct scn_cache_tools tools;
    struct errbuf err = {{0}};
    struct world_proc *upstream = find_proc(w, s->upstream);
    if (scn_cache_find_tools(&tools, &err) != 0) {
        skip_scenario(w, s->line, err.msg);
        return -1;
    }
    if (upstream == NULL || !upstream->is_running || upstream->port <= 0) {
        step_failed(w, s->line, "the responder '%s' is not running", s->upstream);
        return -1;
    }
    int64_t offset = 0;
    clock_offset_read(w->lab, &offset, NULL);
    p->cache.upstream_port = upstream->port;
    if (scn_cache_start(&p->cache, &p->child, &tools, w->lab, p->name, offset, &err) != 0) {
        step_failed(w, s->line, "the cache '%s' did not start: %s", p->name, err.msg);
        return -1;
    }
    p->is_running = true;
    p->port = p->cache.port;
    json_decref(p->stats);
    p->stats = NULL;
    fetch_stats(p, &err);
    detail(w, SCN_TONE_DIM,
           "cache '%s' (nginx, pid %d) answers at http://127.0.0.1:%d/ for responder '%s'; its "
           "files: %s",
           p->name, (int)p->child.pid, p->port, upstream->name, p->cache.dir);
    return 0;
}

static int start_proc(struct world *w, const struct scn_step *s)
{
    char program[LAB_PATH_MAX], listen[64], file_path[LAB_PATH_MAX];
    char out_path[LAB_PATH_MAX], err_path[LAB_PATH_MAX], name[SCN_MAX_NAME + 16];
    const char *argv[SCN_MAX_ARGS + 12];
    size_t n = 0;
    struct errbuf err = {{0}};
    struct world_proc *p = find_proc(w, s->name);
    if (p == NULL) {
        p = &w->procs[w->proc_count++]; /* the parser allows at most SCN_MAX_PROCS names */
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%s", s->name);
        snprintf(p->site, sizeof p->site, "%s", s->site);
        p->program = s->program;
        p->child.pid = -1;
    }
    p->start = s;
    p->starts++;
    if (s->program == SCN_CACHE)
        return start_cache(w, s, p);
    bin_path(w, s->program == SCN_RESPONDER ? "responder" : "webserver", program, sizeof program);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", p->port);
    argv[n++] = program;
    if (s->program == SCN_WEBSERVER)
        argv[n++] = s->site;
    for (size_t i = 0; i < s->arg_count; i++) {
        const char *arg = scn_step_arg(s, i);
        argv[n++] = arg;
        if (strcmp(arg, "--staple-file") == 0 && i + 1 < s->arg_count) {
            if (join(file_path, sizeof file_path, w->files, scn_step_arg(s, ++i)) != 0) {
                step_failed(w, s->line, "lab path too long");
                return -1;
            }
            argv[n++] = file_path;
        }
    }
    argv[n++] = "--listen";
    argv[n++] = listen;
    argv[n++] = "--lab";
    argv[n++] = w->lab;
    argv[n] = NULL;
    if (p->starts == 1)
        text_printf(name, sizeof name, "%s.out", p->name);
    else
        text_printf(name, sizeof name, "%s-%d.out", p->name, p->starts);
    if (join(out_path, sizeof out_path, w->logs, name) != 0) {
        step_failed(w, s->line, "lab path too long");
        return -1;
    }
    memcpy(name + strlen(name) - 3, "err", 3);
    if (join(err_path, sizeof err_path, w->logs, name) != 0 ||
        scn_child_start(&p->child, argv, out_path, err_path, &err) != 0) {
        step_failed(w, s->line, "%s", err.msg);
        return -1;
    }
    p->is_running = true;
    char line[256];
    int port = 0;
    if (scn_child_wait_line(&p->child, SCN_START_TIMEOUT_MS, line, sizeof line, &err) != 0 ||
        sscanf(line, "listening on 127.0.0.1:%d", &port) != 1 || port <= 0 || port > 65535) {
        char tail[400];
        scn_child_stderr_tail(&p->child, tail, sizeof tail);
        if (err.msg[0] == 0)
            errbuf_set(&err, "its first line was '%s', not 'listening on 127.0.0.1:PORT'", line);
        scn_child_stop(&p->child, SCN_STOP_GRACE_MS);
        p->is_running = false;
        step_failed(w, s->line, "%s '%s' did not start: %s%s%s",
                    s->program == SCN_RESPONDER ? "the responder" : "the web server", p->name,
                    err.msg, tail[0] != 0 ? "; it said: " : "", tail);
        return -1;
    }
    p->port = port;
    if (fetch_stats(p, &err) != 0) {
        step_failed(w, s->line, "'%s' listens but its /stats does not answer: %s", p->name,
                    err.msg);
        return -1;
    }
    if (s->program == SCN_RESPONDER) {
        detail(w, SCN_TONE_DIM, "responder '%s' answers OCSP at http://127.0.0.1:%d/ (pid %d)",
               p->name, port, (int)p->child.pid);
    } else {
        const char *status =
            json_string_value(json_object_get(json_object_get(p->stats, "staple"), "status"));
        const char *file = NULL;
        for (size_t i = 0; i + 1 < s->arg_count; i++)
            if (strcmp(scn_step_arg(s, i), "--staple-file") == 0)
                file = scn_step_arg(s, i + 1);
        char staple[SCN_MAX_NAME + 48];
        if (file != NULL)
            text_printf(staple, sizeof staple, "files/%s, as it is", file);
        else
            text_printf(staple, sizeof staple, "%s",
                        !is_stapling(p)  ? "off"
                        : status != NULL ? status
                                         : "none");
        detail(w, SCN_TONE_DIM, "web server '%s' serves https://%s:%d/ (pid %d); staple: %s",
               p->name, p->site, port, (int)p->child.pid, staple);
    }
    return 0;
}

static void do_stop(struct world *w, const struct scn_step *s)
{
    struct world_proc *p = find_proc(w, s->name);
    if (p == NULL || !p->is_running)
        return;
    stop_proc(w, p, s->line);
    if (p->program == SCN_CACHE) {
        detail(w, SCN_TONE_DIM, "'%s' stopped after %lld requests, %lld answered from its store",
               p->name, (long long)stat_int(p->stats, "requests"),
               (long long)stat_int(p->stats, "hits"));
        return;
    }
    int64_t count = p->program == SCN_RESPONDER ? stat_int(p->stats, "requests")
                                                : stat_int(p->stats, "handshakes") - p->own_fetches;
    detail(w, SCN_TONE_DIM, "'%s' stopped after %s %lld %s%s", p->name,
           p->program == SCN_RESPONDER ? "answering" : "completing", (long long)count,
           p->program == SCN_RESPONDER ? "request" : "handshake", count == 1 ? "" : "s");
}

static void do_restart(struct world *w, const struct scn_step *s)
{
    struct world_proc *p = find_proc(w, s->name);
    if (p == NULL)
        return;
    const struct scn_step *start = p->start;
    stop_proc(w, p, s->line);
    start_proc(w, start);
}

static void do_fault(struct world *w, const struct scn_step *s)
{
    struct world_proc *p = find_proc(w, s->name);
    char url[SCN_MAX_SITE + 64], body[64], answer[256];
    struct errbuf err = {{0}};
    if (p == NULL || !p->is_running) {
        step_failed(w, s->line, "'%s' is not running", s->name);
        return;
    }
    char token[CONTROL_TOKEN_HEX + 1];
    if (control_token_read(w->lab, token, &err) != 0) {
        step_failed(w, s->line, "cannot switch the fault: %s", err.msg);
        return;
    }
    proc_url(p, "/control/fault", url, sizeof url);
    snprintf(body, sizeof body, "%s%s%s", s->mode, s->delay[0] != 0 ? " " : "", s->delay);
    int posted = scn_http_post_control(url, token, body, answer, sizeof answer, &err);
    explicit_bzero(token, sizeof token);
    if (posted != 0) {
        step_failed(w, s->line, "cannot switch the fault: %s", err.msg);
        return;
    }
    detail(w, SCN_TONE_DIM,
           strcmp(s->mode, "none") == 0 ? "'%s' is healthy again"
                                        : "'%s' now misbehaves on purpose: %s",
           p->name, body);
}

static void now_text(char *out, size_t cap)
{
    clock_format_utc(clock_now(), "%Y-%m-%d %H:%M UTC", out, cap); /* "2026-11-26 02:14 UTC" */
}

static int advance_clock(struct world *w, int64_t seconds, int line)
{
    struct errbuf err = {{0}};
    struct settle_point points[SCN_MAX_PROCS];
    size_t n = settle_before(w, points, NULL);
    if (clock_advance(w->lab, seconds, &err) != 0) {
        step_failed(w, line, "cannot move the clock: %s", err.msg);
        return -1;
    }
    sync_cache_clocks(w);
    int64_t offset = 0;
    clock_offset_read(w->lab, &offset, NULL);
    char step[32], total[32], now[48];
    clock_format_duration(seconds, step, sizeof step);
    clock_format_duration(offset - w->clock_start, total, sizeof total);
    now_text(now, sizeof now);
    trace_event("scenario.advance",
                json_pack("{s:I, s:I, s:i}", "seconds", (json_int_t)seconds, "offset",
                          (json_int_t)offset, "line", line),
                "The scenario moved the simulated clock %s forward; it is now %s (%s after the "
                "scenario began).",
                step, now, total);
    settle_after(points, n, false);
    return 0;
}

static void do_advance(struct world *w, const struct scn_step *s)
{
    if (advance_clock(w, s->seconds, s->line) != 0)
        return;
    int64_t offset = 0;
    char total[32], now[48];
    clock_offset_read(w->lab, &offset, NULL);
    clock_format_duration(offset - w->clock_start, total, sizeof total);
    now_text(now, sizeof now);
    detail(w, SCN_TONE_DIM, "simulated time is now %s (%s after the start)", now, total);
}

/* Runs one `browser visit` and sums it up into *v. */
static int run_visit(struct world *w, const struct scn_step *s, struct scn_visit *v)
{
    char browser[LAB_PATH_MAX], url[SCN_MAX_SITE + 64];
    const char *argv[SCN_MAX_ARGS + 12];
    size_t n = 0;
    int64_t users = 1;
    struct errbuf err = {{0}};
    struct world_proc *p = find_proc(w, s->name);
    if (p == NULL || !p->is_running) {
        step_failed(w, s->line, "the web server '%s' is not running", s->name);
        return -1;
    }
    bin_path(w, "browser", browser, sizeof browser);
    proc_url(p, "/", url, sizeof url);
    argv[n++] = browser;
    argv[n++] = "visit";
    argv[n++] = url;
    char swept[24], paths[2][LAB_PATH_MAX];
    size_t path_count = 0;
    snprintf(swept, sizeof swept, "%lld", (long long)w->script->sweep_users);
    for (size_t i = 0; i < s->arg_count; i++) {
        const char *arg = scn_step_arg(s, i);
        argv[n++] = arg;
        if (strcmp(arg, "--users") == 0 && i + 1 < s->arg_count) {
            /* A sweep sets every crowd's size; a lone visitor stays one. */
            bool is_swept = w->script->sweep_users > 0;
            argv[n++] = is_swept ? swept : scn_step_arg(s, i + 1);
            users = strtoll(argv[n - 1], NULL, 10);
            i++;
            continue;
        }
        /* --revlist FILE and --crl-cache NAME live in LAB/files. */
        if ((strcmp(arg, "--revlist") == 0 || strcmp(arg, "--crl-cache") == 0) &&
            i + 1 < s->arg_count && path_count < 2) {
            if (join(paths[path_count], LAB_PATH_MAX, w->files, scn_step_arg(s, ++i)) != 0) {
                step_failed(w, s->line, "lab path too long");
                return -1;
            }
            argv[n++] = paths[path_count++];
        }
    }
    /* With --capture, the browsers write their TLS secrets beside it. */
    if (w->r->capture != NULL && w->r->capture->keylog[0] != 0) {
        argv[n++] = "--keylog";
        argv[n++] = w->r->capture->keylog;
    }
    argv[n++] = "--json";
    argv[n++] = "--lab";
    argv[n++] = w->lab;
    argv[n] = NULL;
    if (users >= 10000)
        detail(w, SCN_TONE_DIM,
               "%lld users, each with its own TLS connection: this takes a "
               "while (about a minute per 100,000 here)",
               (long long)users);
    struct command cmd;
    if (run_command(w, argv, "visit", SCN_COMMAND_TIMEOUT_MS + (int)users * SCN_VISIT_MS_PER_USER,
                    &cmd, &err) != 0) {
        step_failed(w, s->line, "%s", err.msg);
        return -1;
    }
    if (cmd.exit_code != 0 && cmd.exit_code != 1) {
        step_failed(w, s->line, "the browser %s%s%s", cmd.how, cmd.err_tail[0] != 0 ? ": " : "",
                    cmd.err_tail);
        return -1;
    }
    uint8_t *text = NULL;
    size_t len = 0;
    json_t *report = NULL;
    int rc = -1;
    if (file_read_all(cmd.out_path, SCN_MAX_REPORT_BYTES, &text, &len, &err) != 0) {
        step_failed(w, s->line, "cannot read the browser's report: %s", err.msg);
        return -1;
    }
    report = json_loadb((const char *)text, len, 0, NULL);
    if (report == NULL || scn_visit_from_json(report, v, &err) != 0) {
        step_failed(w, s->line, "the browser's report is not what the runner reads: %s",
                    report == NULL ? "not JSON" : err.msg);
        goto out;
    }
    w->visit = *v;
    w->has_visit = true;
    scn_visit_note_in_row(v, w->row);
    rc = 0;
out:
    json_decref(report);
    free(text);
    return rc;
}

static void print_groups(struct world *w, const struct scn_visit *v)
{
    for (size_t g = 0; g < v->group_count; g++) {
        const struct scn_visit_group *group = &v->groups[g];
        scn_ui_printf(&w->r->ui, group->is_accepted ? SCN_TONE_GOOD : SCN_TONE_BAD, "      ",
                      "%s %s (%d user%s): %s", group->is_accepted ? "accept" : "refuse",
                      group->reason, group->count, group->count == 1 ? "" : "s",
                      group->explanation);
    }
}

/* A visit's own time (users one at a time) apart from the crowd's. */
static void visit_times(struct world *w, const struct scn_visit *v)
{
    int crowd = v->users - v->alone;
    double alone_ms = v->alone > 0 ? (double)v->alone_ms_total / v->alone : 0;
    double crowd_ms = crowd > 0 ? (double)(v->ms_total - v->alone_ms_total) / crowd : 0;
    if (v->alone > 0 && crowd > 0)
        detail(w, SCN_TONE_DIM,
               "a visit took %.1f ms one at a time (the first %d), %.1f ms in the crowd "
               "(waiting in line included)",
               alone_ms, v->alone, crowd_ms);
    else if (v->alone > 0)
        detail(w, SCN_TONE_DIM, "a visit took %.1f ms (one at a time)", alone_ms);
    else if (v->users > 0)
        detail(w, SCN_TONE_DIM, "a visit took %.1f ms on average", (double)v->ms_total / v->users);
}

/* The CA is down when a responder of this lab ran and none runs now. */
static bool is_ca_down(const struct world *w)
{
    bool has_responder = false;
    for (size_t i = 0; i < w->proc_count; i++) {
        if (w->procs[i].program != SCN_RESPONDER)
            continue;
        if (w->procs[i].is_running)
            return false;
        has_responder = true;
    }
    return has_responder;
}

static void do_visit(struct world *w, const struct scn_step *s)
{
    struct scn_visit v;
    if (run_visit(w, s, &v) != 0)
        return;
    bool is_down = is_ca_down(w);
    if (is_down && w->row != NULL) {
        w->row->ca_down_users += v.users;
        w->row->ca_down_accepted += v.accepted;
    }
    detail(w, v.refused == 0 ? SCN_TONE_GOOD : SCN_TONE_PLAIN,
           "%d user%s: %d accepted, %d refused; %d got a staple, %d asked the CA themselves",
           v.users, v.users == 1 ? "" : "s", v.accepted, v.refused, v.stapled, v.asked);
    visit_times(w, &v);
    print_groups(w, &v);
    trace_event("scenario.visit",
                json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:i, s:b}", "line", s->line, "site",
                          s->site, "users", v.users, "accepted", v.accepted, "refused", v.refused,
                          "stapled", v.stapled, "asked", v.asked, "ca_down", is_down),
                "%d users visited %s: %d accepted, %d refused; %d got a staple and %d asked the "
                "CA themselves.",
                v.users, s->site, v.accepted, v.refused, v.stapled, v.asked);
}

/* Gathers the facts a condition needs (a program's fresh /stats). */
static int gather_facts(struct world *w, const struct scn_condition *c, struct scn_facts *f,
                        struct errbuf *err)
{
    memset(f, 0, sizeof *f);
    f->lab = w->lab;
    f->visit = w->has_visit ? &w->visit : NULL;
    f->has_window = w->has_window;
    f->window_seconds = w->window_seconds;
    f->verdict = w->has_verdict ? w->verdict : NULL;
    if (c->target[0] == 0)
        return 0;
    struct world_proc *p = find_proc(w, c->target);
    if (p == NULL) {
        errbuf_set(err, "'%s' was never started", c->target);
        return -1;
    }
    if (fetch_stats(p, err) != 0)
        return -1;
    f->stats = p->stats;
    f->own_handshakes = p->own_fetches;
    return 0;
}

/* A tick of a watch on one line: what the users got, the staple, the CA. */
static void print_tick(struct world *w, const struct scn_step *s, int64_t elapsed,
                       const struct scn_visit *v)
{
    char line[1024], when[32];
    size_t n = 0;
    struct errbuf err = {{0}};
    clock_format_duration(elapsed, when, sizeof when);
    n += (size_t)snprintf(line + n, sizeof line - n, "+%-8s", when);
    for (size_t g = 0; g < v->group_count && n < sizeof line; g++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%d %s (%s)", g == 0 ? "" : ", ",
                              v->groups[g].count, v->groups[g].is_accepted ? "accepted" : "refused",
                              v->groups[g].reason);
    /* Who learned what: from a staple, or by asking the CA themselves. */
    if (n < sizeof line && (v->stapled > 0 || v->asked > 0))
        n += (size_t)snprintf(
            line + n, sizeof line - n, ", %s%s%s", v->stapled > 0 ? "stapled" : "",
            v->stapled > 0 && v->asked > 0 ? " + " : "", v->asked > 0 ? "asked the CA" : "");
    struct world_proc *site = find_proc(w, s->name);
    if (site != NULL && fetch_stats(site, &err) == 0 && n < sizeof line) {
        const char *status =
            json_string_value(json_object_get(json_object_get(site->stats, "staple"), "status"));
        /* The web server's side in words: a "revoked" answer is never
         * stapled; the server stops stapling and says so. */
        const char *server = !is_stapling(site)                              ? "stapling off"
                             : status != NULL && strcmp(status, "good") == 0 ? "server: staple good"
                             : status != NULL && strcmp(status, "revoked") == 0
                                 ? "server stopped stapling (CA: revoked)"
                                 : "server: no staple";
        n += (size_t)snprintf(line + n, sizeof line - n, "  | %s, %lld fetch%s", server,
                              (long long)stat_int(site->stats, "ocsp_fetches"),
                              stat_int(site->stats, "ocsp_fetches") == 1 ? "" : "es");
    }
    for (size_t i = 0; i < w->proc_count && n < sizeof line; i++) {
        struct world_proc *p = &w->procs[i];
        if (p->program == SCN_CACHE && p->is_running && fetch_stats(p, &err) == 0) {
            n += (size_t)snprintf(line + n, sizeof line - n, "  | %s: %lld hit%s", p->name,
                                  (long long)stat_int(p->stats, "hits"),
                                  stat_int(p->stats, "hits") == 1 ? "" : "s");
            continue;
        }
        if (p->program != SCN_RESPONDER)
            continue;
        if (!p->is_running) {
            n += (size_t)snprintf(line + n, sizeof line - n, "  | %s: down", p->name);
            continue;
        }
        if (fetch_stats(p, &err) != 0)
            continue;
        long long requests = (long long)stat_int(p->stats, "requests");
        n += (size_t)snprintf(line + n, sizeof line - n, "  | %s: %lld request%s", p->name,
                              requests, requests == 1 ? "" : "s");
    }
    scn_ui_print(&w->r->ui, v->refused == 0 ? SCN_TONE_PLAIN : SCN_TONE_BAD, "      ", line);
}

static void do_watch(struct world *w, const struct scn_step *s)
{
    int64_t ticks = s->seconds / s->every_seconds;
    char subject[256], wanted[96], every[32], most[32];
    clock_format_duration(s->every_seconds, every, sizeof every);
    clock_format_duration(s->seconds, most, sizeof most);
    if (s->has_until) {
        scn_expect_subject_text(&s->cond, subject, sizeof subject);
        scn_expect_wanted_text(&s->cond, wanted, sizeof wanted);
    }
    w->has_window = false;
    for (int64_t tick = 1; tick <= ticks; tick++) {
        struct scn_visit v;
        if (scn_procs_interrupted() != 0 || !all_alive(w, s->line) ||
            advance_clock(w, s->every_seconds, s->line) != 0 || run_visit(w, s, &v) != 0)
            return;
        print_tick(w, s, tick * s->every_seconds, &v);
        if (!s->has_until)
            continue;
        struct scn_facts facts;
        struct scn_seen seen;
        struct errbuf err = {{0}};
        if (gather_facts(w, &s->cond, &facts, &err) != 0 ||
            scn_expect_observe(&s->cond, &facts, &seen, &err) != 0) {
            step_failed(w, s->line, "cannot read %s: %s", subject, err.msg);
            return;
        }
        if (scn_expect_holds(&s->cond, &seen)) {
            char took[32];
            w->has_window = true;
            w->window_seconds = tick * s->every_seconds;
            if (w->row != NULL) {
                w->row->has_window = true;
                w->row->window_seconds = w->window_seconds;
            }
            clock_format_duration(w->window_seconds, took, sizeof took);
            detail(w, SCN_TONE_STEP, "after %s of simulated time (%lld minutes): %s %s", took,
                   (long long)(w->window_seconds / 60), subject, wanted);
            trace_event("scenario.watch",
                        json_pack("{s:i, s:I, s:s}", "line", s->line, "window_seconds",
                                  (json_int_t)w->window_seconds, "condition", subject),
                        "The scenario watched %s every %s: '%s %s' held after %s of simulated "
                        "time.",
                        s->site, every, subject, wanted, took);
            return;
        }
    }
    if (s->has_until) {
        char msg[512];
        snprintf(msg, sizeof msg, "watch: '%s %s' did not hold within %s", subject, wanted, most);
        record_failure(w, s->line, msg);
    }
}

static void do_save_staple(struct world *w, const struct scn_step *s)
{
    char from[LAB_PATH_MAX], to[LAB_PATH_MAX], rel[SCN_MAX_SITE + 16];
    uint8_t *data = NULL;
    size_t len = 0;
    struct errbuf err = {{0}};
    snprintf(rel, sizeof rel, "%s/%s.der", LAB_STAPLES_DIR, s->site);
    if (join(from, sizeof from, w->lab, rel) != 0 || join(to, sizeof to, w->files, s->file) != 0) {
        step_failed(w, s->line, "lab path too long");
        return;
    }
    if (file_read_all(from, 64 * 1024, &data, &len, &err) != 0 ||
        file_write_atomic(to, data, len, 0644, &err) != 0) {
        step_failed(w, s->line,
                    "cannot save the staple of %s: %s (does a web server for it "
                    "hold a good staple?)",
                    s->site, err.msg);
        free(data);
        return;
    }
    free(data);
    detail(w, SCN_TONE_DIM, "copied %s (%zu bytes) to files/%s", rel, len, s->file);
}

static void do_forge(struct world *w, const struct scn_step *s)
{
    char path[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    if (join(path, sizeof path, w->files, s->file) != 0 ||
        scn_forge(w->lab, s->site, s->signer, s->status, clock_now(), path, &err) != 0) {
        step_failed(w, s->line, "cannot make the response: %s", err.msg);
        return;
    }
    detail(w, SCN_TONE_DIM, "wrote files/%s: an OCSP response saying %s is %s, signed by %s",
           s->file, s->site, s->status,
           strcmp(s->signer, "ca") == 0         ? "the CA"
           : strcmp(s->signer, "delegate") == 0 ? "the CA's OCSP delegate"
           : strcmp(s->signer, "stranger") == 0 ? "a stranger's key (in the CA's name)"
                                                : s->signer);
    trace_event("scenario.forge",
                json_pack("{s:s, s:s, s:s, s:s}", "file", s->file, "about", s->site, "signer",
                          s->signer, "status", s->status),
                "The scenario made an OCSP response saying %s is %s, signed by %s (files/%s).",
                s->site, s->status, s->signer, s->file);
}

static void do_check(struct world *w, const struct scn_step *s)
{
    char browser[LAB_PATH_MAX], cert[LAB_PATH_MAX], issuer[LAB_PATH_MAX], staple[LAB_PATH_MAX],
        rel[SCN_MAX_SITE + 16];
    struct errbuf err = {{0}};
    bin_path(w, "browser", browser, sizeof browser);
    snprintf(rel, sizeof rel, "%s/%s.pem", LAB_CERTS_DIR, s->site);
    if (join(cert, sizeof cert, w->lab, rel) != 0 ||
        join(issuer, sizeof issuer, w->lab, LAB_ROOT_CERT) != 0 ||
        join(staple, sizeof staple, w->files, s->file) != 0) {
        step_failed(w, s->line, "lab path too long");
        return;
    }
    const char *argv[] = {browser,    "verify-staple", "--cert", cert,   "--issuer", issuer,
                          "--staple", staple,          "--lab",  w->lab, NULL};
    struct command cmd;
    if (run_command(w, argv, "check", SCN_COMMAND_TIMEOUT_MS, &cmd, &err) != 0) {
        step_failed(w, s->line, "%s", err.msg);
        return;
    }
    if (cmd.exit_code != 0 && cmd.exit_code != 1) {
        step_failed(w, s->line, "verify-staple %s%s%s", cmd.how, cmd.err_tail[0] != 0 ? ": " : "",
                    cmd.err_tail);
        return;
    }
    uint8_t *text = NULL;
    size_t len = 0;
    char verdict_line[128], explanation[1024] = "";
    if (file_read_all(cmd.out_path, 64 * 1024, &text, &len, &err) != 0) {
        step_failed(w, s->line, "cannot read verify-staple's answer: %s", err.msg);
        return;
    }
    size_t first = strcspn((const char *)text, "\n");
    snprintf(verdict_line, sizeof verdict_line, "%.*s", (int)first, (const char *)text);
    if (first < len)
        snprintf(explanation, sizeof explanation, "%.*s",
                 (int)strcspn((const char *)text + first + 1, "\n"),
                 (const char *)text + first + 1);
    free(text);
    const char *reason = strchr(verdict_line, ':');
    reason = reason != NULL ? reason + 1 : "";
    while (*reason == ' ')
        reason++;
    snprintf(w->verdict, sizeof w->verdict, "%s", reason);
    w->has_verdict = true;
    scn_ui_printf(&w->r->ui, cmd.exit_code == 0 ? SCN_TONE_GOOD : SCN_TONE_BAD, "      ", "%s. %s",
                  verdict_line, explanation);
    trace_event("scenario.check",
                json_pack("{s:s, s:s, s:s, s:s}", "file", s->file, "about", s->site, "verdict",
                          w->verdict, "explanation", explanation),
                "The browser's verifier checked files/%s for %s: %s. %s", s->file, s->site,
                verdict_line, explanation);
}

static void do_expect(struct world *w, const struct scn_step *s)
{
    const struct scn_condition *c = &s->cond;
    struct scn_facts facts;
    struct scn_seen seen;
    struct errbuf err = {{0}};
    char subject[256], wanted[96], seen_text[160], msg[640];
    scn_expect_subject_text(c, subject, sizeof subject);
    scn_expect_wanted_text(c, wanted, sizeof wanted);
    if (gather_facts(w, c, &facts, &err) != 0 || scn_expect_observe(c, &facts, &seen, &err) != 0) {
        text_printf(msg, sizeof msg, "expected %s %s, but it could not be read: %s", subject,
                    wanted, err.msg);
        record_failure(w, s->line, msg);
        return;
    }
    scn_expect_seen_text(c, &seen, seen_text, sizeof seen_text);
    bool holds = scn_expect_holds(c, &seen);
    trace_event("scenario.expect",
                json_pack("{s:s, s:i, s:s, s:s, s:b}", "file", w->script->path, "line", s->line,
                          "expected", wanted, "seen", seen_text, "passed", holds),
                "Expectation on line %d: %s %s; seen %s: %s.", s->line, subject, wanted, seen_text,
                holds ? "it holds" : "it FAILED");
    if (holds) {
        w->passed++;
        scn_ui_printf(&w->r->ui, SCN_TONE_GOOD, "  ok   ", "expect %s %s  (seen %s)", subject,
                      wanted, seen_text);
        return;
    }
    snprintf(msg, sizeof msg, "expected %s %s, seen %s", subject, wanted, seen_text);
    record_failure(w, s->line, msg);
}

static void refresh_row(struct world *w)
{
    struct errbuf err = {{0}};
    if (w->row != NULL && scn_ca_totals_read(w->lab, &w->row->ca, &err) != 0)
        detail(w, SCN_TONE_DIM, "(the CA's totals could not be read from the trace: %s)", err.msg);
}

static void do_compare(struct world *w)
{
    refresh_row(w);
    if (w->r->ui.is_quiet)
        return;
    scn_ui_blank(&w->r->ui);
    scn_table_print(w->r->ui.out, &w->r->table, w->r->ui.has_color);
    scn_ui_blank(&w->r->ui);
    fflush(w->r->ui.out);
}

/* Points this process's clock and trace at the world's lab. */
static int enter_lab(struct world *w, struct errbuf *err)
{
    if (clock_init(w->lab, err) != 0 || trace_open(w->lab, "scenario", err) != 0)
        return -1;
    return 0;
}

static void do_step(struct world *w, const struct scn_step *s)
{
    struct errbuf err = {{0}};
    bool is_action = s->kind != SCN_SAY && s->kind != SCN_TITLE && s->kind != SCN_PAUSE &&
                     s->kind != SCN_EXPECT && s->kind != SCN_INCLUDE;
    if (w->is_paced) {
        if (s->kind == SCN_SAY) {
            hold_narration(w, s->text);
            trace_event("scenario.say",
                        json_pack("{s:s, s:i}", "file", w->script->path, "line", s->line), "%s",
                        s->text[0] != 0 ? s->text : " ");
            return;
        }
        if (is_action && s->kind != SCN_COMPARE)
            present_step(w, s);
        else
            release_narration(w);
    }
    if (is_action) {
        scn_ui_print(&w->r->ui, SCN_TONE_STEP, "  $ ", s->source);
        trace_event("scenario.step",
                    json_pack("{s:s, s:i, s:s}", "file", w->script->path, "line", s->line, "step",
                              s->source),
                    "The scenario runs line %d: %s", s->line, s->source);
    }
    /* A sweep measures; the lesson's numbers hold at its own size only. */
    if (w->script->sweep_users > 0 && (s->kind == SCN_EXPECT || s->kind == SCN_PAUSE))
        return;
    switch (s->kind) {
    case SCN_TITLE:
        break;
    case SCN_SAY:
        do_say(w, s);
        break;
    case SCN_PAUSE:
        do_pause(w, s);
        break;
    case SCN_CA_INIT:
    case SCN_CA_ISSUE:
    case SCN_CA_REVOKE:
    case SCN_CA_REVLIST:
        ca_command(w, s);
        break;
    case SCN_START:
        start_proc(w, s);
        break;
    case SCN_STOP:
        do_stop(w, s);
        break;
    case SCN_RESTART:
        do_restart(w, s);
        break;
    case SCN_FAULT:
        do_fault(w, s);
        break;
    case SCN_ADVANCE:
        do_advance(w, s);
        break;
    case SCN_VISIT:
        do_visit(w, s);
        break;
    case SCN_WATCH:
        do_watch(w, s);
        break;
    case SCN_SAVE_STAPLE:
        do_save_staple(w, s);
        break;
    case SCN_FORGE:
        do_forge(w, s);
        break;
    case SCN_CHECK:
        do_check(w, s);
        break;
    case SCN_EXPECT:
        do_expect(w, s);
        break;
    case SCN_COMPARE:
        do_compare(w);
        break;
    case SCN_INCLUDE:
        run_script(w->r, s->included);
        if (enter_lab(w, &err) != 0)
            step_failed(w, s->line, "cannot return to the lab: %s", err.msg);
        else
            scn_ui_printf(&w->r->ui, SCN_TONE_TITLE, "", "== back in %s", w->script->stem);
        break;
    }
}

/* ---- A whole scenario ----------------------------------------------------------------------- */

const char *scn_lab_of(const struct scn_runner *r, const struct scn_script *script)
{
    for (size_t i = 0; i < r->lab_count; i++)
        if (r->lab_owner[i] == script)
            return r->labs[i];
    return "";
}

static int make_world(struct scn_runner *r, const struct scn_script *script, struct world *w,
                      struct errbuf *err)
{
    memset(w, 0, sizeof *w);
    w->r = r;
    w->script = script;
    snprintf(w->lab, sizeof w->lab, "%s", scn_lab_of(r, script));
    if (w->lab[0] == 0 || join(w->logs, sizeof w->logs, w->lab, "logs") != 0 ||
        join(w->files, sizeof w->files, w->lab, "files") != 0) {
        errbuf_set(err, "no lab prepared for %s", script->path);
        return -1;
    }
    if (file_ensure_dir(w->logs, 0755, err) != 0 || file_ensure_dir(w->files, 0755, err) != 0)
        return -1;
    w->row = scn_table_add(&r->table, script->stem);
    return 0;
}

static int run_script(struct scn_runner *r, const struct scn_script *script)
{
    struct world *w = calloc(1, sizeof *w);
    struct errbuf err = {{0}};
    if (w == NULL) {
        scn_ui_error("out of memory");
        return -1;
    }
    if (make_world(r, script, w, &err) != 0 || enter_lab(w, &err) != 0) {
        w->script = script;
        step_failed(w, 0, "cannot use the lab: %s", err.msg);
        free(w);
        return -1;
    }
    clock_offset_read(w->lab, &w->clock_start, NULL);
    w->is_paced = r->opt.class_mode == SCN_CLASS_ALL ||
                  (r->opt.class_mode == SCN_CLASS_FIRST && r->scenario_count == 0);
    scn_ui_blank(&r->ui);
    scn_ui_printf(&r->ui, SCN_TONE_TITLE, "", "== %s%s%s", script->stem,
                  script->title[0] != 0 ? ": " : "", script->title);
    scn_ui_printf(&r->ui, SCN_TONE_DIM, "   ", "file: %s", script->path);
    scn_ui_printf(&r->ui, SCN_TONE_DIM, "   ", "lab:  %s", w->lab);
    trace_event("scenario.start",
                json_pack("{s:s, s:s, s:s, s:I}", "file", script->path, "title", script->title,
                          "lab", w->lab, "sweep_users", (json_int_t)script->sweep_users),
                "The scenario '%s' begins%s%s.", script->stem, script->title[0] != 0 ? ": " : "",
                script->title);
    if (script->sweep_users > 0)
        scn_ui_printf(&r->ui, SCN_TONE_DIM, "   ",
                      "sweep: every crowd has %lld users; expectations and pauses are skipped "
                      "(they hold at the lesson's own size)",
                      (long long)script->sweep_users);

    for (size_t i = 0; i < script->count && !w->is_aborted; i++) {
        const struct scn_step *s = script->steps[i];
        if (scn_procs_interrupted() != 0)
            break;
        if (!all_alive(w, s->line))
            break;
        do_step(w, s);
        if (!w->is_aborted && (s->kind == SCN_VISIT || s->kind == SCN_WATCH))
            all_alive(w, s->line);
    }
    release_narration(w);
    int last_line = script->count > 0 ? script->steps[script->count - 1]->line : 0;
    for (size_t i = 0; i < w->proc_count; i++)
        stop_proc(w, &w->procs[i], last_line);
    /* The capture lists which random port is which program, for Wireshark. */
    for (size_t i = 0; r->capture != NULL && i < w->proc_count; i++)
        scn_capture_note_server(r->capture, w->lab, script->stem, w->procs[i].name,
                                w->procs[i].site, w->procs[i].program == SCN_WEBSERVER,
                                w->procs[i].port);
    refresh_row(w);
    trace_event("scenario.end",
                json_pack("{s:s, s:i, s:i, s:b}", "file", script->path, "passed", w->passed,
                          "failed", w->failed, "interrupted", scn_procs_interrupted() != 0),
                "The scenario '%s' ended: %d expectation%s held, %d failed%s.", script->stem,
                w->passed, w->passed == 1 ? "" : "s", w->failed,
                scn_procs_interrupted() != 0 ? " (interrupted)" : "");
    if (w->is_skipped)
        r->skipped_count++;
    if (scn_procs_interrupted() == 0) {
        if (w->is_skipped)
            scn_ui_printf(&r->ui, SCN_TONE_BAD, "   ", "%s: skipped (see SKIP above).",
                          script->stem);
        else if (w->passed + w->failed == 0)
            scn_ui_printf(&r->ui, SCN_TONE_DIM, "   ", "%s: done (no expectations of its own).",
                          script->stem);
        else
            scn_ui_printf(&r->ui, w->failed == 0 ? SCN_TONE_GOOD : SCN_TONE_BAD, "   ",
                          "%s: %d expectation%s held, %d failed.", script->stem, w->passed,
                          w->passed == 1 ? "" : "s", w->failed);
        scn_ui_printf(&r->ui, SCN_TONE_DIM, "   ", "trace: %s/%s", w->lab, LAB_TRACE_FILE);
    }
    trace_close();
    for (size_t i = 0; i < w->proc_count; i++)
        json_decref(w->procs[i].stats);
    int failed = w->failed;
    r->passed_count += w->passed;
    r->scenario_count++;
    free(w);
    return failed == 0 ? 0 : -1;
}

int scn_run(struct scn_runner *r, struct scn_script *const *scripts, size_t count)
{
    struct errbuf err = {{0}};
    if (scn_http_global_init(&err) != 0) {
        scn_ui_error("%s", err.msg);
        return SCN_EXIT_USAGE;
    }
    for (size_t i = 0; i < count && scn_procs_interrupted() == 0; i++)
        run_script(r, scripts[i]);
    /* Each scenario stopped its programs: the capture now holds their last
     * packets. It goes first so that stop_all does not end it with SIGTERM
     * (and does not count it as a program). */
    if (r->capture != NULL)
        scn_capture_stop(r->capture);
    int stopped = scn_procs_stop_all();
    scn_http_global_cleanup();
    if (scn_procs_interrupted() == 0) {
        scn_ui_blank(&r->ui);
        if (r->failure_count == 0)
            scn_ui_printf(&r->ui, SCN_TONE_GOOD, "", "All %d expectations held in %d scenario%s%s.",
                          r->passed_count, r->scenario_count, r->scenario_count == 1 ? "" : "s",
                          r->skipped_count > 0 ? " (some skipped: a tool was missing)" : "");
        else
            scn_ui_printf(&r->ui, SCN_TONE_BAD, "",
                          "%d problem%s in %d scenario%s (%d "
                          "expectations held); see the list below.",
                          r->failure_count, r->failure_count == 1 ? "" : "s", r->scenario_count,
                          r->scenario_count == 1 ? "" : "s", r->passed_count);
    }
    if (scn_procs_interrupted() != 0) {
        scn_ui_error("interrupted; %d program%s stopped", stopped, stopped == 1 ? "" : "s");
        return SCN_EXIT_INTERRUPTED;
    }
    return r->failure_count == 0 ? SCN_EXIT_OK : SCN_EXIT_FAILED;
}

/* ---- Labs ----------------------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static bool has_marker(const char *dir)
{
    char path[LAB_PATH_MAX];
    return join(path, sizeof path, dir, SCN_LAB_MARKER) == 0 && access(path, F_OK) == 0;
}

static int make_lab(const char *lab, struct errbuf *err)
{
    struct stat st;
    char marker[LAB_PATH_MAX];
    if (lstat(lab, &st) == 0) {
        if (!S_ISDIR(st.st_mode) || !has_marker(lab)) {
            errbuf_set(err,
                       "%s exists and was not made by the scenario runner; remove it or "
                       "choose another --lab",
                       lab);
            return -1;
        }
        if (nftw(lab, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
            errbuf_set(err, "cannot clear the old lab %s: %s", lab, strerror(errno));
            return -1;
        }
    }
    if (mkdir(lab, 0755) != 0) {
        errbuf_set(err, "cannot create %s: %s", lab, strerror(errno));
        return -1;
    }
    if (join(marker, sizeof marker, lab, SCN_LAB_MARKER) != 0 ||
        file_write_atomic(marker, "made by bin/scenario\n", 21, 0644, err) != 0)
        return -1;
    return 0;
}

static int assign_lab(struct scn_runner *r, const struct scn_script *script, struct errbuf *err)
{
    char lab[LAB_PATH_MAX], name[SCN_MAX_NAME + 8];
    if (r->lab_count == SCN_MAX_SCRIPTS) {
        errbuf_set(err, "more than %d scenarios in one run", SCN_MAX_SCRIPTS);
        return -1;
    }
    for (int k = 1;; k++) {
        if (k == 1)
            snprintf(name, sizeof name, "%s", script->stem);
        else
            text_printf(name, sizeof name, "%s-%d", script->stem, k);
        if (join(lab, sizeof lab, r->opt.run_dir, name) != 0) {
            errbuf_set(err, "the lab path is too long: %s/%s", r->opt.run_dir, name);
            return -1;
        }
        bool is_taken = false;
        for (size_t i = 0; i < r->lab_count; i++)
            is_taken = is_taken || strcmp(r->labs[i], lab) == 0;
        if (!is_taken)
            break;
    }
    if (make_lab(lab, err) != 0)
        return -1;
    snprintf(r->labs[r->lab_count], sizeof r->labs[0], "%s", lab);
    r->lab_owner[r->lab_count++] = script;
    for (size_t i = 0; i < script->count; i++)
        if (script->steps[i]->included != NULL &&
            assign_lab(r, script->steps[i]->included, err) != 0)
            return -1;
    return 0;
}

int scn_prepare_labs(struct scn_runner *r, struct scn_script *const *scripts, size_t count,
                     struct errbuf *err)
{
    for (size_t i = 0; i < count; i++)
        if (assign_lab(r, scripts[i], err) != 0)
            return -1;
    return 0;
}

int scn_remove_run_dir(const char *run_dir)
{
    /* Only labs the runner made (each carries the marker), then the run
     * directory itself, which rmdir() refuses unless it is empty by then. */
    DIR *dir = opendir(run_dir);
    struct dirent *entry;
    int rc = 0;
    if (dir == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL) {
        char path[LAB_PATH_MAX];
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (join(path, sizeof path, run_dir, entry->d_name) != 0 || !has_marker(path) ||
            nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
            rc = -1;
    }
    closedir(dir);
    if (rmdir(run_dir) != 0)
        rc = -1;
    return rc;
}
