/* main.c — `scenario`: runs the classroom's lesson files (DESIGN section 3),
 * lists them, and moves a lab's simulated clock by hand. Parses flags, finds
 * the programs next to itself and the lessons (datadir.h: a checkout or an
 * installation), loads every file before anything starts, and
 * picks the exit status: 0 every expectation held, 1 one failed (or a program
 * died), 2 usage, syntax or environment error, 130 interrupted. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "clock.h"
#include "datadir.h"
#include "expect.h"
#include "fileio.h"
#include "lab.h"
#include "../viewer/labdirs.h"
#include "../viewer/ladder.h"
#include "load.h"
#include "ocsplab_paths.h" /* made by the Makefile from PREFIX, BINDIR, DATADIR */
#include "procs.h"
#include "../viewer/report.h"
#include "run.h"

static const char usage_text[] =
    "usage: scenario run [--lab DIR] [--keep] [--quiet] [--no-pause] [--class]\n"
    "                    [--capture FILE.pcap] [--sweep users=N,N,...]\n"
    "                    [--report [-o FILE]] FILE|NUMBER|demo...\n"
    "       scenario --list [FILE|DIR...]\n"
    "       scenario clock [--lab DIR] [advance DURATION | reset]\n"
    "       scenario trace [--lab DIR] [--actor A] [--event GLOB] [--user N]\n"
    "                      [--since T] [--until T] [--json] [--follow] [--all]\n"
    "       scenario report [--lab DIR] [-o FILE] [--present]\n"
    "\n"
    "run: plays each scenario file (scenarios/README.md) against the lab's real programs\n"
    "(ca, responder, webserver, browser, found next to this program), each in a fresh lab\n"
    "RUN/NAME, where RUN is --lab DIR or a new temporary directory. A NUMBER names a\n"
    "lesson: 'scenario run 4' plays lessons/04-*.lab, and 'demo' demo.lab, from\n"
    "scenarios/ in a checkout or DATADIR/ocsplab/ when installed. Every file is read\n"
    "and checked before anything starts.\n"
    "  --lab DIR     keep the labs (and their traces) in DIR; a lab the runner made\n"
    "                there before is replaced\n"
    "  --keep        keep the temporary labs even when every expectation held\n"
    "                (they are always kept when something failed)\n"
    "  --quiet       print only failures (for tests)\n"
    "  --no-pause    never wait at 'pause' (it waits only on a terminal anyway)\n"
    "  --class       paced for a classroom: before each step, the lesson's words for\n"
    "                it, set apart in bold, and a wait for Enter (only on a terminal;\n"
    "                `scenario trace --follow` in a second terminal draws beside it);\n"
    "                --class-first paces only the first lesson (make demo does)\n"
    "  --report      at the end, pass or fail, write RUN/report.html (see report) and\n"
    "                keep the labs\n"
    "  --capture FILE.pcap  record the run's loopback traffic with tcpdump for\n"
    "                Wireshark, and print which port is which program\n"
    "  --sweep users=N,N,...  play each scenario once per size (at most 8, each up to\n"
    "                100000), every crowd's --users set to it, in labs NAME@N;\n"
    "                expectations and pauses are skipped (they hold at the lesson's\n"
    "                own size); the table and the report (users against requests and\n"
    "                bytes at the CA, log scales) compare the sizes\n"
    "--list: the scenarios with their titles (default: the lessons and the demo).\n"
    "clock: shows the simulated time of a lab (--lab, default ./lab), or moves it.\n"
    "trace: draws LAB/trace.jsonl (or each LAB/*/trace.jsonl of a run) as a ladder of\n"
    "who sent what to whom, at most 100 columns; each user's visit told in order,\n"
    "alike visits drawn once, xN.\n"
    "  --actor A     only events of ca, responder, webserver, browser or scenario\n"
    "  --event GLOB  only events whose name matches, e.g. 'ocsp.*'\n"
    "  --user N      only events of simulated user N\n"
    "  --since T, --until T  simulated time bounds, RFC 3339 or a prefix (2026-11-26T14)\n"
    "  --json        the matching lines unchanged, for jq\n"
    "  --all         draw the runner's own /stats handshakes too (from 127.0.0.2)\n"
    "  --follow      keep drawing as the trace grows, waiting for the lab and starting\n"
    "                over when a new run replaces it (Ctrl-C ends)\n"
    "report: one self-contained HTML page (no script, nothing fetched: it projects\n"
    "offline) of LAB/trace.jsonl or each LAB/*/trace.jsonl of a run: the comparison\n"
    "table, the requests at the CA as a chart, each staple's life and the revocation\n"
    "window, what the CA learned about the visitors, and the ladders.\n"
    "  -o FILE, --output FILE  where to write it (default LAB/report.html)\n"
    "  --present     open it in present mode: a section a screen, larger words, for a\n"
    "                projector (the page's own switch, top right, turns it on and off)\n"
    "\n"
    "Colour on a terminal only, never with NO_COLOR. Exit status: 0 every expectation\n"
    "held, 1 one failed or a program died, 2 usage, syntax or environment error,\n"
    "130 interrupted.\n";

struct flags {
    const char *lab;
    const char *capture; /* run --capture FILE.pcap */
    bool keep, quiet, no_pause, list, is_class, is_class_first;
    const char *actor, *event, *user, *since, *until; /* trace */
    bool json, follow, all;
    bool report;                      /* run --report */
    bool present;                     /* report --present */
    const char *sweep;                /* run --sweep users=N,N,… */
    const char *output, *output_long; /* report -o FILE, --output FILE */
};

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A path as the user would type it: relative to the current folder when inside it. */
static const char *shown_path(const char *path)
{
    static char cwd[PATH_MAX];
    while (strncmp(path, "./", 2) == 0 && path[2] != 0)
        path += 2; /* "./lab/demo" reads as "lab/demo" */
    if (getcwd(cwd, sizeof cwd) == NULL)
        return path;
    size_t len = strlen(cwd);
    if (strncmp(path, cwd, len) == 0 && path[len] == '/')
        return path + len + 1;
    return path;
}

static bool is_number(const char *text)
{
    if (text[0] == 0 || strlen(text) > 3)
        return false;
    for (const char *s = text; *s != 0; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* "4" -> scenarios/lessons/04-….lab */
static int find_lesson(const char *dir, const char *number, char *out, size_t cap)
{
    char lessons[LAB_PATH_MAX], prefix[16];
    snprintf(prefix, sizeof prefix, "%02d-", atoi(number));
    if (file_path_join(lessons, sizeof lessons, dir, "lessons") != 0)
        return -1;
    DIR *d = opendir(lessons);
    if (d == NULL)
        return -1;
    struct dirent *e;
    int rc = -1;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && len > 4 &&
            strcmp(e->d_name + len - 4, ".lab") == 0) {
            rc = file_path_join(out, cap, lessons, e->d_name);
            break;
        }
    }
    closedir(d);
    return rc;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The title column starts after the longest path shown, at least 42 wide
 * (an installation's paths are longer than a checkout's). */
#define SCN_LIST_MIN_WIDTH 42

static void list_one(const char *path, int width)
{
    char title[SCN_MAX_LINE + 1];
    scn_load_title(path, title, sizeof title);
    printf("  %-*s  %s\n", width, shown_path(path), title[0] != 0 ? title : "(no title)");
}

/* The .lab files in `dir`, sorted, as paths (caller frees each); at most cap. */
static size_t lab_paths(const char *dir, char **paths, size_t cap)
{
    size_t count = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    char path[LAB_PATH_MAX];
    while ((e = readdir(d)) != NULL && count < cap) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".lab") == 0 && e->d_name[0] != '.' &&
            file_path_join(path, sizeof path, dir, e->d_name) == 0 &&
            (paths[count] = strdup(path)) != NULL)
            count++;
    }
    closedir(d);
    qsort(paths, count, sizeof paths[0], compare_names);
    return count;
}

/* Lists the .lab files of each folder in turn, titles aligned across all. */
static void list_dirs(const char *const *dirs, size_t dir_count)
{
    char *paths[512];
    size_t count = 0;
    int width = SCN_LIST_MIN_WIDTH;
    for (size_t i = 0; i < dir_count; i++)
        count += lab_paths(dirs[i], paths + count, sizeof paths / sizeof paths[0] - count);
    for (size_t i = 0; i < count; i++)
        if ((int)strlen(shown_path(paths[i])) > width)
            width = (int)strlen(shown_path(paths[i]));
    for (size_t i = 0; i < count; i++) {
        list_one(paths[i], width);
        free(paths[i]);
    }
}

static int run_list(const struct cli_args *args, size_t first, const char *dir)
{
    if (args->positional_count <= first) {
        char lessons[LAB_PATH_MAX];
        const char *dirs[] = {lessons, dir};
        if (file_path_join(lessons, sizeof lessons, dir, "lessons") == 0)
            list_dirs(dirs, 2);
        return 0;
    }
    for (size_t i = first; i < args->positional_count; i++) {
        const char *named = args->positional[i];
        if (is_dir(named))
            list_dirs(&named, 1);
        else
            list_one(named, SCN_LIST_MIN_WIDTH);
    }
    return 0;
}

static int run_clock(const struct flags *f, const struct cli_args *args)
{
    struct errbuf err = {{0}};
    int64_t seconds = 0, offset = 0;
    char now[CLOCK_RFC3339_LEN], offset_text[32];
    const char *lab = f->lab != NULL ? f->lab : LAB_DEFAULT_DIR;
    const char *what = args->positional_count > 1 ? args->positional[1] : "show";
    if (!is_dir(lab)) {
        cli_error("scenario", "no lab at %s (pass --lab DIR)", lab);
        return SCN_EXIT_USAGE;
    }
    if (strcmp(what, "advance") == 0 && args->positional_count == 3) {
        if (clock_parse_duration(args->positional[2], &seconds) != 0) {
            cli_error("scenario", "invalid duration '%s' (e.g. 13h, 2d, 1d12h)",
                      args->positional[2]);
            return SCN_EXIT_USAGE;
        }
        if (clock_advance(lab, seconds, &err) != 0) {
            cli_error("scenario", "%s", err.msg);
            return SCN_EXIT_USAGE;
        }
    } else if (strcmp(what, "reset") == 0 && args->positional_count == 2) {
        if (clock_offset_write(lab, 0, &err) != 0) {
            cli_error("scenario", "%s", err.msg);
            return SCN_EXIT_USAGE;
        }
    } else if (strcmp(what, "show") != 0 || args->positional_count > 2) {
        fputs(usage_text, stderr);
        return SCN_EXIT_USAGE;
    }
    if (clock_init(lab, &err) != 0 || clock_offset_read(lab, &offset, &err) != 0) {
        cli_error("scenario", "%s", err.msg);
        return SCN_EXIT_USAGE;
    }
    clock_format_rfc3339(clock_now_ms(), now, sizeof now);
    clock_format_duration(offset < 0 ? -offset : offset, offset_text, sizeof offset_text);
    if (offset == 0)
        printf("simulated time %s (the real time)\n", now);
    else
        printf("simulated time %s (%s %s real time)\n", now, offset_text,
               offset > 0 ? "ahead of" : "behind");
    return SCN_EXIT_OK;
}

static bool trace_should_stop(void)
{
    return scn_procs_interrupted() != 0;
}

/* --follow: waits until `path` exists (a lab a run has not made yet, or is
 * making again). Returns its descriptor, or -1 when interrupted. */
static int wait_for_trace(const char *path)
{
    bool has_said = false;
    for (;;) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT || trace_should_stop())
            return fd;
        if (!has_said) {
            fprintf(stderr, "scenario: waiting for %s (Ctrl-C ends)\n", shown_path(path));
            has_said = true;
        }
        struct timespec pause = {0, 200 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

static int trace_one(const char *path, const struct scn_ladder_options *opt)
{
    struct scn_ladder_stats stats;
    struct scn_ladder_options follow = *opt;
    /* Like `tail -F`: the second screen follows the lab by name, through a
     * new run that removes and makes it again. */
    follow.follow_path = opt->is_follow ? path : NULL;
    for (;;) {
        int fd = opt->is_follow ? wait_for_trace(path) : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && opt->is_follow && trace_should_stop())
            return SCN_EXIT_OK;
        if (fd < 0) {
            cli_error("scenario", "cannot open %s: %s%s", path, strerror(errno),
                      errno == ENOENT ? " (pass --lab DIR: a lab or a 'scenario run --lab' folder)"
                                      : "");
            return SCN_EXIT_USAGE;
        }
        int rc = scn_ladder_draw(fd, shown_path(path), stdout, stderr, &follow, &stats);
        close(fd);
        if (rc != SCN_LADDER_REPLACED)
            return rc == 0 ? SCN_EXIT_OK : SCN_EXIT_FAILED;
        printf("---- %s was replaced (a new run): drawn again from its start ----\n",
               shown_path(path));
        fflush(stdout);
    }
}

/* `scenario trace`: LAB/trace.jsonl, or for a run folder (scenario run --lab
 * DIR, make demo) every DIR/NAME/trace.jsonl in name order. */
static int run_trace(const struct flags *f, const struct cli_args *args)
{
    struct scn_ladder_options opt = {0};
    struct scn_ui ui;
    struct scn_labdirs dirs;
    struct errbuf err = {{0}};
    char path[LAB_PATH_MAX];
    int rc = SCN_EXIT_OK;
    if (args->positional_count > 1) {
        fputs(usage_text, stderr);
        return SCN_EXIT_USAGE;
    }
    opt.filter = (struct scn_ladder_filter){f->actor, f->event, 0, f->since, f->until, f->all};
    if (f->user != NULL) {
        char *end = NULL;
        opt.filter.user = strtol(f->user, &end, 10);
        if (end == f->user || *end != 0 || opt.filter.user <= 0) {
            cli_error("scenario", "invalid --user '%s' (a user number, 1 or more)", f->user);
            return SCN_EXIT_USAGE;
        }
    }
    scn_ui_init(&ui, false);
    opt.has_color = ui.has_color;
    opt.is_json = f->json;
    opt.is_follow = f->follow;
    opt.should_stop = trace_should_stop;
    if (scn_labdirs_find(f->lab, &dirs, &err) != 0) {
        cli_error("scenario", "%s", err.msg);
        return SCN_EXIT_USAGE;
    }
    if (!dirs.is_run) {
        rc = scn_labdirs_trace(&dirs, 0, path, sizeof path) == 0 ? trace_one(path, &opt)
                                                                 : SCN_EXIT_USAGE;
        scn_labdirs_free(&dirs);
        return rc;
    }
    if (dirs.count > 1 && f->follow) {
        cli_error("scenario", "--follow draws one lab: pass --lab %s/NAME", dirs.base);
        rc = SCN_EXIT_USAGE; /* the names are still freed below */
    }
    for (size_t i = 0; i < dirs.count && rc == SCN_EXIT_OK; i++) {
        char sub[LAB_PATH_MAX];
        if (scn_labdirs_dir(&dirs, i, sub, sizeof sub) != 0 ||
            scn_labdirs_trace(&dirs, i, path, sizeof path) != 0)
            continue;
        if (!f->json) {
            printf("%s%s== %s ==%s\n", i > 0 ? "\n" : "", ui.has_color ? "\033[1;34m" : "",
                   shown_path(sub), ui.has_color ? "\033[0m" : "");
            fflush(stdout);
        }
        rc = trace_one(path, &opt);
    }
    scn_labdirs_free(&dirs);
    return rc;
}

/* The real time, for "made at" on the page: the report is made now, whatever
 * the labs' simulated clocks say. */
static int64_t real_now_ms(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        return 0;
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int write_report(const char *const *dirs, const char *const *names, size_t count,
                        const char *source, const char *output, bool is_quiet, bool is_present)
{
    struct scn_report_input in = {dirs, names, count, source, real_now_ms(), is_present};
    struct scn_report_result res;
    struct errbuf err = {{0}};
    if (scn_report_write(&in, output, stderr, &res, &err) != 0) {
        cli_error("scenario", "no report written to %s: %s", output, err.msg);
        return SCN_EXIT_USAGE;
    }
    if (!is_quiet)
        printf("wrote %s (%zu KB): %zu lab%s, %ld event%s\n", shown_path(output),
               (res.bytes + 1023) / 1024, res.labs, res.labs == 1 ? "" : "s", res.events,
               res.events == 1 ? "" : "s");
    if (res.skipped > 0)
        fprintf(stderr, "scenario: %ld bad trace line%s skipped; the report says so\n", res.skipped,
                res.skipped == 1 ? "" : "s");
    fflush(stdout);
    return SCN_EXIT_OK;
}

/* -o FILE or --output FILE (one of them), else DIR/report.html. */
static int report_path(const struct flags *f, const char *dir, char *out, size_t cap)
{
    if (f->output != NULL && f->output_long != NULL) {
        cli_error("scenario", "give -o or --output, not both");
        return -1;
    }
    const char *given = f->output != NULL ? f->output : f->output_long;
    if (given != NULL ? snprintf(out, cap, "%s", given) >= (int)cap
                      : file_path_join(out, cap, dir, "report.html") != 0) {
        cli_error("scenario", "the report's path is too long");
        return -1;
    }
    return 0;
}

/* `scenario report`: LAB/trace.jsonl, or every lab of a run folder. */
static int run_report(const struct flags *f, const struct cli_args *args)
{
    struct scn_labdirs labs;
    struct errbuf err = {{0}};
    char output[LAB_PATH_MAX], trace[LAB_PATH_MAX], *dirs[SCN_LABDIRS_MAX] = {NULL};
    const char *names[SCN_LABDIRS_MAX];
    int rc = SCN_EXIT_USAGE;
    if (args->positional_count > 1) {
        fputs(usage_text, stderr);
        return SCN_EXIT_USAGE;
    }
    if (scn_labdirs_find(f->lab, &labs, &err) != 0) {
        cli_error("scenario", "%s", err.msg);
        return SCN_EXIT_USAGE;
    }
    /* Said here, before anything is read, in the words `scenario trace` uses. */
    if (!labs.is_run && scn_labdirs_trace(&labs, 0, trace, sizeof trace) == 0 &&
        access(trace, R_OK) != 0) {
        cli_error("scenario",
                  "cannot read %s: %s (pass --lab DIR: a lab or a 'scenario run "
                  "--lab' folder)",
                  trace, strerror(errno));
        goto out;
    }
    if (report_path(f, labs.base, output, sizeof output) != 0)
        goto out;
    for (size_t i = 0; i < labs.count; i++) {
        char dir[LAB_PATH_MAX];
        if (scn_labdirs_dir(&labs, i, dir, sizeof dir) != 0) {
            cli_error("scenario", "a lab's path in %s is too long", labs.base);
            goto out;
        }
        if ((dirs[i] = strdup(dir)) == NULL) {
            cli_error("scenario", "out of memory");
            goto out;
        }
        /* A single lab is named after its folder: "lab/demo/04-revocation/" -> "04-revocation". */
        if (labs.is_run) {
            names[i] = labs.names[i];
        } else {
            char *end = dirs[i] + strlen(dirs[i]);
            while (end > dirs[i] + 1 && end[-1] == '/')
                *--end = 0;
            const char *slash = strrchr(dirs[i], '/');
            names[i] = slash != NULL && slash[1] != 0 ? slash + 1 : dirs[i];
        }
    }
    rc = write_report((const char *const *)dirs, names, labs.count, shown_path(labs.base), output,
                      false, f->present);
out:
    for (size_t i = 0; i < labs.count; i++)
        free(dirs[i]);
    scn_labdirs_free(&labs);
    return rc;
}

/* run --report: the labs this run made, in name order, into `output`
 * (RUN/report.html unless -o said otherwise; checked before the run). */
static int report_run(const struct flags *f, const struct scn_runner *r, const char *output)
{
    char trace[LAB_PATH_MAX];
    const char *dirs[SCN_MAX_SCRIPTS], *names[SCN_MAX_SCRIPTS];
    size_t count = 0;
    for (size_t i = 0; i < r->lab_count && count < SCN_MAX_SCRIPTS; i++) {
        /* A lab that never started (the run was interrupted) has no trace. */
        if (file_path_join(trace, sizeof trace, r->labs[i], LAB_TRACE_FILE) != 0 ||
            access(trace, F_OK) != 0)
            continue;
        const char *slash = strrchr(r->labs[i], '/');
        dirs[count] = r->labs[i];
        names[count++] = slash != NULL ? slash + 1 : r->labs[i];
    }
    /* In name order, as `scenario report --lab RUN` reads the same folder. */
    for (size_t i = 1; i < count; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *name = names[j], *dir = dirs[j];
            names[j] = names[j - 1];
            dirs[j] = dirs[j - 1];
            names[j - 1] = name;
            dirs[j - 1] = dir;
        }
    if (count == 0) {
        cli_error("scenario", "no report: no lab of this run has a trace");
        return SCN_EXIT_USAGE;
    }
    return write_report(dirs, names, count, r->opt.run_dir, output, f->quiet, false);
}

static int make_run_dir(const struct flags *f, char *out, size_t cap, struct errbuf *err)
{
    if (f->lab != NULL) {
        /* mkdir -p: the teacher may name a new folder anywhere. */
        char path[LAB_PATH_MAX];
        if (strlen(f->lab) == 0 || strlen(f->lab) >= sizeof path - 1) {
            errbuf_set(err, "invalid --lab '%s'", f->lab);
            return -1;
        }
        snprintf(path, sizeof path, "%s", f->lab);
        for (char *s = path + 1; *s != 0; s++) {
            if (*s != '/')
                continue;
            *s = 0;
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                errbuf_set(err, "cannot create %s: %s", path, strerror(errno));
                return -1;
            }
            *s = '/';
        }
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            errbuf_set(err, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        snprintf(out, cap, "%s", path);
        return 0;
    }
    const char *base = getenv("TMPDIR");
    snprintf(out, cap, "%s/ocsplab-scenario-XXXXXX", base != NULL && base[0] != 0 ? base : "/tmp");
    if (mkdtemp(out) == NULL) {
        errbuf_set(err, "cannot create a temporary directory: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* --sweep users=10,100,1000: the sizes, at most SCN_MAX_SWEEP, each a
 * visit's possible --users. Returns how many, or -1 (said). */
#define SCN_MAX_SWEEP 8
static int parse_sweep(const char *text, int64_t sizes[SCN_MAX_SWEEP])
{
    static const char usage[] = "use --sweep users=N,N,… (for example users=10,100,1000), "
                                "each from 1 to";
    if (strncmp(text, "users=", 6) != 0) {
        cli_error("scenario", "invalid --sweep '%s': %s %d", text, usage, SCN_MAX_USERS);
        return -1;
    }
    int count = 0;
    for (const char *s = text + 6;;) {
        char *end = NULL;
        long long n = strtoll(s, &end, 10);
        if (end == s || n < 1 || n > SCN_MAX_USERS || (*end != ',' && *end != 0) ||
            count == SCN_MAX_SWEEP) {
            cli_error("scenario", "invalid --sweep '%s': %s %d, at most %d sizes", text, usage,
                      SCN_MAX_USERS, SCN_MAX_SWEEP);
            return -1;
        }
        sizes[count++] = n;
        if (*end == 0)
            return count;
        s = end + 1;
    }
}

static int run_files(const struct flags *f, const struct cli_args *args,
                     const struct scn_self *self, const char *dir)
{
    struct scn_script *scripts[SCN_MAX_SCRIPTS] = {NULL};
    int64_t sizes[SCN_MAX_SWEEP];
    int size_count = 0;
    size_t count = 0;
    int rc = SCN_EXIT_USAGE;
    struct errbuf err = {{0}};
    char report_out[LAB_PATH_MAX] = "";
    struct scn_runner *r = calloc(1, sizeof *r);
    if (r == NULL) {
        cli_error("scenario", "out of memory");
        return SCN_EXIT_USAGE;
    }
    if (args->positional_count < 2) {
        cli_error("scenario", "run needs at least one scenario file (try 'scenario --list')");
        goto out;
    }
    if (f->sweep != NULL && (size_count = parse_sweep(f->sweep, sizes)) < 0)
        goto out;
    if ((args->positional_count - 1) * (size_t)(size_count > 0 ? size_count : 1) >
        SCN_MAX_SCRIPTS) {
        cli_error("scenario", "a run holds at most %d scenarios (files times sweep sizes)",
                  SCN_MAX_SCRIPTS);
        goto out;
    }
    /* Every file is loaded and checked before anything starts. */
    for (size_t i = 1; i < args->positional_count; i++) {
        char path[LAB_PATH_MAX];
        struct scn_load_error load_err;
        snprintf(path, sizeof path, "%s", args->positional[i]);
        if (is_number(path) && access(path, F_OK) != 0 &&
            find_lesson(dir, args->positional[i], path, sizeof path) != 0) {
            cli_error("scenario", "there is no lesson %s in %s/lessons (see 'scenario --list')",
                      args->positional[i], shown_path(dir));
            goto out;
        }
        /* "demo" is make demo's playlist, wherever the lessons are installed. */
        if (strcmp(path, "demo") == 0 && access(path, F_OK) != 0 &&
            file_path_join(path, sizeof path, dir, "demo.lab") != 0) {
            cli_error("scenario", "the demo's path is too long");
            goto out;
        }
        /* Swept: the file once per size, each in its own lab, STEM@N. */
        for (int k = 0; k < (size_count > 0 ? size_count : 1); k++) {
            scripts[count] = calloc(1, sizeof *scripts[count]);
            if (scripts[count] == NULL) {
                cli_error("scenario", "out of memory");
                goto out;
            }
            count++;
            if (scn_load_file(path, scripts[count - 1], &load_err) != 0) {
                /* The problem quotes the lesson file: escaped by scn_ui_error. */
                if (load_err.line > 0)
                    scn_ui_error("%s:%d: %s", load_err.path, load_err.line, load_err.msg);
                else
                    scn_ui_error("%s: %s", load_err.path, load_err.msg);
                goto out;
            }
            if (size_count > 0) {
                struct scn_script *swept = scripts[count - 1];
                char stem[SCN_MAX_NAME];
                swept->sweep_users = sizes[k];
                if (snprintf(stem, sizeof stem, "%s@%lld", swept->stem, (long long)sizes[k]) >=
                    (int)sizeof stem) {
                    cli_error("scenario", "the name %s is too long for a sweep", swept->stem);
                    goto out;
                }
                snprintf(swept->stem, sizeof swept->stem, "%s", stem);
            }
        }
    }
    /* The capture runs before the first program and after the last; when it
     * cannot, nothing starts (exit 2), and the message says what to do. */
    if (f->capture != NULL) {
        r->capture = calloc(1, sizeof *r->capture);
        if (r->capture == NULL || scn_capture_start(r->capture, f->capture, &err) != 0) {
            cli_error("scenario", "cannot capture: %s",
                      r->capture == NULL ? "out of memory" : err.msg);
            rc = scn_procs_interrupted() != 0 ? SCN_EXIT_INTERRUPTED : SCN_EXIT_USAGE;
            goto out;
        }
    }
    snprintf(r->opt.bin_dir, sizeof r->opt.bin_dir, "%s", self->bin_dir);
    snprintf(r->opt.prefix, sizeof r->opt.prefix, "%s", self->prefix);
    r->opt.is_quiet = f->quiet;
    bool is_terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    r->opt.is_pausing = !f->no_pause && !f->quiet && is_terminal;
    /* Pacing needs someone at a keyboard: never when piped, never quiet. */
    r->opt.class_mode = !is_terminal || f->quiet || f->no_pause ? SCN_CLASS_OFF
                        : f->is_class                           ? SCN_CLASS_ALL
                        : f->is_class_first                     ? SCN_CLASS_FIRST
                                                                : SCN_CLASS_OFF;
    scn_ui_init(&r->ui, f->quiet);
    if (make_run_dir(f, r->opt.run_dir, sizeof r->opt.run_dir, &err) != 0) {
        cli_error("scenario", "%s", err.msg);
        goto out;
    }
    /* Where --report writes is settled before anything runs, like every flag. */
    if (f->report && report_path(f, r->opt.run_dir, report_out, sizeof report_out) != 0)
        goto out;
    if (scn_prepare_labs(r, scripts, count, &err) != 0) {
        cli_error("scenario", "%s", err.msg);
        goto out;
    }
    rc = scn_run(r, scripts, count);
    if (size_count > 0 && !f->quiet && scn_procs_interrupted() == 0) {
        /* A sweep ends on its comparison: one row per scenario and size. */
        printf("\n");
        scn_table_print(stdout, &r->table, r->ui.has_color);
        fflush(stdout);
    }
    if (r->capture != NULL && scn_capture_write_ports(r->capture, &err) != 0)
        fprintf(stderr, "scenario: capture: %s\n", err.msg);
    if (r->failure_count > 0) {
        fprintf(stderr, "\nscenario: %d problem%s:\n", r->failure_count,
                r->failure_count == 1 ? "" : "s");
        for (int i = 0; i < r->failure_count && i < SCN_MAX_REPORTED; i++)
            fprintf(stderr, "  %s\n", r->failures[i]);
        if (r->failure_count > SCN_MAX_REPORTED)
            fprintf(stderr, "  … and %d more\n", r->failure_count - SCN_MAX_REPORTED);
    }
    if (f->report) {
        /* Pass or fail: the page shows what happened either way. */
        int report_rc = report_run(f, r, report_out);
        if (rc == SCN_EXIT_OK)
            rc = report_rc;
    }
    bool is_temporary = f->lab == NULL;
    if (rc == SCN_EXIT_OK && is_temporary && !f->keep && !f->report) {
        if (scn_remove_run_dir(r->opt.run_dir) != 0)
            fprintf(stderr, "scenario: could not remove all of %s\n", r->opt.run_dir);
    } else if (rc == SCN_EXIT_OK) {
        if (!f->quiet)
            printf("The labs and their traces stay in %s/*/ (trace.jsonl in each).\n",
                   r->opt.run_dir);
    } else {
        fprintf(stderr, "scenario: the labs and their traces stay in %s for inspection\n",
                r->opt.run_dir);
    }
out:
    if (r->capture != NULL) {
        scn_capture_stop(r->capture); /* when the run never began; else done already */
        if (r->capture->warning[0] != 0)
            fprintf(stderr, "scenario: capture: %s\n", r->capture->warning);
        if (!f->quiet)
            scn_capture_print_summary(r->capture, stdout);
        free(r->capture);
    }
    for (size_t i = 0; i < count; i++) {
        scn_script_free(scripts[i]);
        free(scripts[i]);
    }
    free(r);
    return rc;
}

int main(int argc, char **argv)
{
    struct flags f = {0};
    const struct cli_option options[] = {
        {"--lab", true, &f.lab, NULL},
        {"--keep", false, NULL, &f.keep},
        {"--quiet", false, NULL, &f.quiet},
        {"--no-pause", false, NULL, &f.no_pause},
        {"--class", false, NULL, &f.is_class},
        {"--class-first", false, NULL, &f.is_class_first},
        {"--list", false, NULL, &f.list},
        {"--actor", true, &f.actor, NULL},
        {"--event", true, &f.event, NULL},
        {"--user", true, &f.user, NULL},
        {"--since", true, &f.since, NULL},
        {"--until", true, &f.until, NULL},
        {"--json", false, NULL, &f.json},
        {"--follow", false, NULL, &f.follow},
        {"--all", false, NULL, &f.all},
        {"--capture", true, &f.capture, NULL},
        {"--report", false, NULL, &f.report},
        {"-o", true, &f.output, NULL},
        {"--output", true, &f.output_long, NULL},
        {"--present", false, NULL, &f.present},
        {"--sweep", true, &f.sweep, NULL},
    };
    struct cli_args args;
    struct scn_self self;
    char dir[LAB_PATH_MAX];
    const struct scn_datadir_hints hints = {OCSPLAB_DATADIR_FROM_BIN, OCSPLAB_DATADIR};

    scn_procs_install_signals();
    int start = cli_start("scenario", usage_text, argc, argv, options,
                          sizeof options / sizeof options[0], &args);
    if (start != CLI_GO_ON)
        return start;
    if (scn_self_find(&self) != 0) {
        cli_error("scenario", "cannot find the folder this program is in (/proc/self/exe)");
        return SCN_EXIT_USAGE;
    }
    scn_datadir_find(self.bin_dir, &hints, dir, sizeof dir);
    const char *command = args.positional_count > 0 ? args.positional[0] : "";
    if (f.list || strcmp(command, "list") == 0)
        return run_list(&args, f.list && strcmp(command, "list") != 0 ? 0 : 1, dir);
    if (strcmp(command, "clock") == 0)
        return run_clock(&f, &args);
    if (strcmp(command, "trace") == 0)
        return run_trace(&f, &args);
    if (strcmp(command, "report") == 0)
        return run_report(&f, &args);
    if (strcmp(command, "run") == 0)
        return run_files(&f, &args, &self, dir);
    if (command[0] == 0)
        fputs(usage_text, stderr);
    else
        cli_error("scenario", "unknown command '%s' (use run, trace, --list or clock; see --help)",
                  command);
    return SCN_EXIT_USAGE;
}
