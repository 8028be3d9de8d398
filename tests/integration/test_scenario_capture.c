/* test_scenario_capture.c — `scenario run --capture`: lesson 2 recorded with
 * the real tcpdump and read back with tshark, using the ports the runner
 * wrote down: the status_request in the ClientHello, the staple in clear in
 * TLS 1.2's CertificateStatus, the web server's OCSP request and the
 * responder's answer over HTTP; lesson 1's browsers asking the CA
 * themselves. Then what must not happen: a run without the tool, or without
 * capture rights, starts nothing and exits 2 with what to do; a tool that
 * never starts capturing is given up on in bounded time; and no capture
 * process outlives the run, whether it passed, failed or was interrupted. */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "lab.h"
#include "proc.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 120000
#define TSHARK_TIMEOUT_MS 60000

static void scratch_setup(void)
{
    test_scratch_enter("scenario_capture");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* tshark reads the captures; without it nothing here can be checked, and a
 * silent skip would hide that. */
static void require_tshark(void)
{
    const char *path = getenv("PATH");
    char dirs[8192], candidate[LAB_PATH_MAX];
    snprintf(dirs, sizeof dirs, "%s", path != NULL ? path : "");
    for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir != NULL;
         dir = strtok_r(NULL, ":", &save))
        if (file_path_join(candidate, sizeof candidate, dir, "tshark") == 0 &&
            access(candidate, X_OK) == 0)
            return;
    ck_abort_msg("tshark is not installed: run scripts/install-deps.sh (CI installs it)");
}

/* Capture processes (tcpdump, dumpcap, or a test's stand-in for them) whose
 * command line names `pcap`: none may outlive a run. The runner names it
 * too, so the program's name (comm) tells them apart. */
static int capture_processes(const char *pcap, char *first, size_t cap)
{
    pid_t pids[64];
    int found = test_processes_mentioning(pcap, pids, 64, NULL, 0), count = 0;
    ck_assert_int_ge(found, 0);
    first[0] = 0;
    for (int i = 0; i < found && i < 64; i++) {
        char path[64], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%d/comm", (int)pids[i]);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* it ended while we looked */
        if (fgets(comm, sizeof comm, f) == NULL)
            comm[0] = 0;
        fclose(f);
        comm[strcspn(comm, "\n")] = 0;
        if (strcmp(comm, "tcpdump") != 0 && strcmp(comm, "dumpcap") != 0)
            continue;
        if (count++ == 0)
            snprintf(first, cap, "pid %d: %s", (int)pids[i], comm);
    }
    return count;
}

static void assert_no_capture_left(const char *pcap)
{
    char first[512];
    int64_t deadline = clock_monotonic_ms() + 3000;
    while (capture_processes(pcap, first, sizeof first) > 0 && clock_monotonic_ms() < deadline)
        test_sleep_ms(50);
    ck_assert_msg(capture_processes(pcap, first, sizeof first) == 0, "left behind: %s", first);
}

/* The ports the runner wrote down for a lab ("http PORT …", "tls PORT …"),
 * as tshark's decode-as options. */
struct decode {
    int http_port, tls_port;
    char http_opt[64], tls_opt[64];
};

static void read_ports(const char *lab, struct decode *d)
{
    char path[LAB_PATH_MAX];
    uint8_t *text = NULL;
    size_t len = 0;
    memset(d, 0, sizeof *d);
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, "capture-ports.txt"), 0);
    ck_assert_msg(file_read_all(path, 64 * 1024, &text, &len, NULL) == 0, "no %s", path);
    for (char *line = (char *)text; line != NULL && *line != 0;) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = 0;
        int port = 0;
        if (sscanf(line, "http %d responder", &port) == 1 && d->http_port == 0)
            d->http_port = port;
        if (sscanf(line, "tls %d webserver", &port) == 1 && d->tls_port == 0)
            d->tls_port = port;
        line = next;
    }
    free(text);
    ck_assert_msg(d->http_port > 0 && d->tls_port > 0, "%s lists no responder and web server",
                  path);
    snprintf(d->http_opt, sizeof d->http_opt, "tcp.port==%d,http", d->http_port);
    snprintf(d->tls_opt, sizeof d->tls_opt, "tcp.port==%d,tls", d->tls_port);
}

/* Frames of `pcap` that match a Wireshark display filter; with `keylog` (may
 * be NULL) tshark decrypts TLS with the secrets in it. */
static int count_frames_with(const char *pcap, const struct decode *d, const char *keylog,
                             const char *filter)
{
    struct test_run run;
    char keylog_opt[LAB_PATH_MAX + 32];
    /* Only this lab's servers: the capture holds all of loopback, and other
     * programs on the machine (another test, a teacher's nginx) use it too. */
    char own[1024];
    snprintf(own, sizeof own, "(tcp.port == %d || tcp.port == %d) && (%s)", d->http_port,
             d->tls_port, filter);
    snprintf(keylog_opt, sizeof keylog_opt, "tls.keylog_file:%s", keylog != NULL ? keylog : "");
    const char *argv[] = {"tshark",   "-r", pcap, "-d", d->http_opt, "-d", d->tls_opt,     "-o",
                          keylog_opt, "-Y", own,  "-T", "fields",    "-e", "frame.number", NULL};
    ck_assert_int_eq(test_run(&run, TSHARK_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out && run.exit_code == 0, "tshark -Y '%s': exit %d\n%s", filter,
                  run.exit_code, test_tail_of(run.err));
    int frames = 0;
    for (const char *s = run.out; *s != 0; s++)
        frames += *s == '\n';
    test_run_free(&run);
    return frames;
}

static int count_frames(const char *pcap, const struct decode *d, const char *filter)
{
    return count_frames_with(pcap, d, NULL, filter);
}

/* DIR/NAME, or the test fails (never a cut path). */
static void join(char *out, const char *dir, const char *name)
{
    ck_assert_int_eq(file_path_join(out, LAB_PATH_MAX, dir, name), 0);
}

static void make_script(const char *dir, const char *name, const char *text)
{
    char path[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_path_join(path, sizeof path, dir, name), 0);
    ck_assert_msg(file_write_atomic(path, text, strlen(text), 0755, &err) == 0, "%s", err.msg);
}

/* ---- Lesson 2 on the wire ------------------------------------------------------------------- */

/* The display filters the README gives, each with the least it must match
 * in lesson 2 (20 users on TLS 1.3, then one on TLS 1.2). */
static const struct filter_row {
    const char *what;
    const char *filter;
    int at_least;
} lesson2_rows[] = {
    {"a ClientHello asking for a staple (status_request)",
     "tls.handshake.type == 1 && tls.handshake.extension.type == 5", 1},
    {"the staple in clear: TLS 1.2's CertificateStatus", "tls.handshake.type == 22", 1},
    {"an OCSP response inside the CertificateStatus",
     "tls.handshake.type == 22 && ocsp.responseStatus == 0", 1},
    {"the web server's OCSP request (RFC 5019 GET)",
     "http.request && http.user_agent contains \"ocsp-lab-webserver\"", 1},
    {"the responder's OCSP response over HTTP",
     "http.content_type == \"application/ocsp-response\" && ocsp.responseStatus == 0", 1},
};

START_TEST(test_lesson2_on_the_wire)
{
    require_tshark();
    char *dir = test_tmpdir();
    char pcap[LAB_PATH_MAX], lab[LAB_PATH_MAX];
    struct test_run run;
    struct decode d;
    join(pcap, dir, "lesson2.pcap");
    const char *argv[] = {test_bin("scenario"), "run", "--quiet", "--lab", dir,
                          "--capture",          pcap,  "2",       NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "the run timed out");
    ck_assert_msg(run.exit_code == 0, "exit %d\n%s", run.exit_code, test_tail_of(run.err));
    ck_assert_msg(run.out[0] == 0, "--quiet printed:\n%s", test_tail_of(run.out));
    test_run_free(&run);
    assert_no_capture_left(pcap);

    join(lab, dir, "02-with-stapling");
    read_ports(lab, &d);
    for (size_t i = 0; i < sizeof lesson2_rows / sizeof lesson2_rows[0]; i++) {
        int frames = count_frames(pcap, &d, lesson2_rows[i].filter);
        ck_assert_msg(frames >= lesson2_rows[i].at_least, "%s: %d frames match '%s' in %s",
                      lesson2_rows[i].what, frames, lesson2_rows[i].filter, pcap);
    }

    /* TLS 1.3: the staple travels inside the encrypted Certificate message.
     * Without the browsers' key log tshark sees none of the twenty; with the
     * key log the runner wrote beside the capture (lesson2.keys), all of
     * them, each a good OCSP response. */
    static const char tls13_staple[] = "tls.handshake.type == 11 && "
                                       "tls.handshake.extension.type == 5 && ocsp.certStatus == 0";
    char keylog[LAB_PATH_MAX];
    struct stat st;
    join(keylog, dir, "lesson2.keys");
    ck_assert_msg(stat(keylog, &st) == 0 && st.st_size > 0, "no key log at %s", keylog);
    ck_assert_msg((st.st_mode & 0777) == 0600, "the key log is mode %o, not 0600",
                  (unsigned)(st.st_mode & 0777));
    ck_assert_int_eq(count_frames(pcap, &d, tls13_staple), 0);
    int decrypted = count_frames_with(pcap, &d, keylog, tls13_staple);
    ck_assert_msg(decrypted == 20,
                  "%d TLS 1.3 Certificate messages with a good staple in %s "
                  "decrypted with %s, not 20",
                  decrypted, pcap, keylog);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* Lesson 1 without --quiet: the summary names the ports, and the capture
 * shows twenty browsers asking the CA themselves (POST, nonce and all), and
 * not one asking the web server for a staple. */
START_TEST(test_lesson1_summary_and_direct_queries)
{
    require_tshark();
    char *dir = test_tmpdir();
    char pcap[LAB_PATH_MAX], lab[LAB_PATH_MAX], want[LAB_PATH_MAX + 256];
    struct test_run run;
    struct decode d;
    join(pcap, dir, "lesson1.pcap");
    const char *argv[] = {test_bin("scenario"), "run", "--lab", dir, "--capture", pcap, "1", NULL};
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "exit %d\n%s", run.exit_code, test_tail_of(run.err));
    join(lab, dir, "01-without-stapling");
    read_ports(lab, &d);
    snprintf(want, sizeof want, "packets in %s\n", pcap);
    ck_assert_msg(strstr(run.out, "capture: ") != NULL && strstr(run.out, want) != NULL,
                  "no 'capture: N %s' in\n%s", want, test_tail_of(run.out));
    snprintf(want, sizeof want,
             "lab 01-without-stapling: Wireshark: Decode As… TCP port %d as HTTP (responder) "
             "and %d as TLS (web server shop.test)",
             d.http_port, d.tls_port);
    ck_assert_msg(strstr(run.out, want) != NULL, "no '%s' in\n%s", want, test_tail_of(run.out));
    snprintf(want, sizeof want, "tshark -r %s -d %s -d %s", pcap, d.http_opt, d.tls_opt);
    ck_assert_msg(strstr(run.out, want) != NULL, "no '%s' in\n%s", want, test_tail_of(run.out));
    assert_no_capture_left(pcap);

    /* Every one of the twenty questions is on the wire; if one is missing,
     * say what tcpdump reported (a kernel drop shows in the run's output).
     * Rarely (about 1 run in 20, without any drop tcpdump reports) the file
     * has 18 of the 20 requests while the responder counted all 20: not
     * explained yet. One more capture of the lesson must then hold all 20,
     * so a capture that loses questions every time still fails. */
    static const char question_filter[] = "http.content_type == \"application/ocsp-request\" "
                                          "&& ocsp.tbsRequest_element";
    int asked = count_frames(pcap, &d, question_filter);
    if (asked != 20) {
        fprintf(stderr, "scenario_capture: %d of 20 questions in %s; capturing lesson 1 again\n",
                asked, pcap);
        test_run_free(&run);
        ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
        ck_assert_msg(run.exit_code == 0, "exit %d\n%s", run.exit_code, test_tail_of(run.err));
        read_ports(lab, &d);
        assert_no_capture_left(pcap);
        asked = count_frames(pcap, &d, question_filter);
    }
    ck_assert_msg(asked == 20,
                  "%d OCSP requests in %s, expected 20 (%d OCSP frames, %d HTTP POSTs); the run "
                  "said:\n%s\n%s",
                  asked, pcap, count_frames(pcap, &d, "ocsp"),
                  count_frames(pcap, &d, "http.request.method == \"POST\""), test_tail_of(run.out),
                  run.err);
    test_run_free(&run);
    ck_assert_int_ge(count_frames(pcap, &d, "ip.src == 127.0.1.7 && ocsp.tbsRequest_element"), 1);
    ck_assert_int_eq(count_frames(pcap, &d, "tls.handshake.extension.type == 5"), 0);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- When it cannot capture: exit 2, nothing started ---------------------------------------- */

static const char no_permission_tool[] =
    "#!/bin/sh\n"
    "echo 'tcpdump: lo: You do not have permission to perform this capture on that device' >&2\n"
    "echo '(socket: Operation not permitted)' >&2\n"
    "exit 1\n";

/* Never says "listening on": the runner must give up and end it. */
static const char silent_tool[] = "#!/bin/sh\n"
                                  "while :; do /bin/sleep 1; done\n";

/* Wireshark's dumpcap, as far as the runner sees it: the fallback. */
static const char dumpcap_tool[] = "#!/bin/sh\n"
                                   "trap 'echo \"Packets captured: 7\" >&2; exit 0' INT\n"
                                   "echo \"Capturing on 'Loopback: lo'\" >&2\n"
                                   "while :; do /bin/sleep 0.05; done\n";

static const struct tool_row {
    const char *label;
    const char *name; /* the stand-in's name in the test's PATH; NULL: none there */
    const char *script;
    int exit_code;
    const char *says; /* on stderr (exit 2) or stdout (exit 0) */
} tool_rows[] = {
    {"no tool", NULL, NULL, 2, "install it (sudo apt-get install tcpdump"},
    {"no capture rights", "tcpdump", no_permission_tool, 2,
     "sudo setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump)"},
    {"never captures", "tcpdump", silent_tool, 2, "did not start capturing within 5 s"},
    {"dumpcap instead", "dumpcap", dumpcap_tool, 0, "capture: 7 packets in"},
};

START_TEST(test_capture_tool)
{
    const struct tool_row *row = &tool_rows[_i];
    char *dir = test_tmpdir();
    char tools[LAB_PATH_MAX], runs[LAB_PATH_MAX], pcap[LAB_PATH_MAX], lab[LAB_PATH_MAX],
        trace[LAB_PATH_MAX];
    struct test_run run;
    join(tools, dir, "tools");
    join(runs, dir, "runs");
    join(pcap, dir, "x.pcap");
    ck_assert_int_eq(mkdir(tools, 0755), 0);
    if (row->name != NULL)
        make_script(tools, row->name, row->script);
    /* Only the stand-in (or nothing) in PATH: the lab's programs are found
     * next to bin/scenario, never through PATH. */
    char *saved_path = strdup(getenv("PATH") != NULL ? getenv("PATH") : "");
    setenv("PATH", tools, 1);
    const char *argv[] = {test_bin("scenario"), "run", "--lab", runs, "--capture", pcap, "2", NULL};
    int64_t started = clock_monotonic_ms();
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    int64_t took_ms = clock_monotonic_ms() - started;
    ck_assert_msg(run.exit_code == row->exit_code, "%s: exit %d\n%s", row->label, run.exit_code,
                  test_tail_of(run.err));
    ck_assert_msg(strstr(row->exit_code == 0 ? run.out : run.err, row->says) != NULL,
                  "%s: no '%s' in\nstdout:\n%s\nstderr:\n%s", row->label, row->says,
                  test_tail_of(run.out), test_tail_of(run.err));
    join(lab, runs, "02-with-stapling");
    join(trace, lab, LAB_TRACE_FILE);
    if (row->exit_code == 2) {
        ck_assert_msg(access(trace, F_OK) != 0, "%s: a program started: %s", row->label, trace);
        ck_assert_msg(run.out[0] == 0, "%s: printed\n%s", row->label, test_tail_of(run.out));
        ck_assert_msg(took_ms < 15000, "%s: took %lld ms", row->label, (long long)took_ms);
    }
    test_run_free(&run);
    assert_no_capture_left(pcap);

    if (row->name == NULL) {
        /* The same PATH without --capture: the lesson runs. */
        const char *plain[] = {test_bin("scenario"), "run", "--quiet", "--lab", runs, "2", NULL};
        ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, plain), 0);
        ck_assert_msg(run.exit_code == 0, "without --capture: exit %d\n%s", run.exit_code,
                      test_tail_of(run.err));
        test_run_free(&run);
    }
    setenv("PATH", saved_path, 1);
    free(saved_path);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- No capture outlives the run ------------------------------------------------------------ */

static const char failing_text[] = "title Failing on purpose\n"
                                   "ca init\n"
                                   "start responder\n"
                                   "ca issue shop.test\n"
                                   "start webserver shop.test\n"
                                   "expect responder requests == 99\n";

static const char long_text[] = "title A long watch\n"
                                "ca init\n"
                                "start responder\n"
                                "ca issue shop.test\n"
                                "start webserver shop.test\n"
                                "watch shop.test --users 1 every 1h for 40d\n";

static const struct end_row {
    const char *label;
    const char *text;
    int sig; /* sent to the runner once its web server runs; 0: none */
    int exit_code;
} end_rows[] = {
    {"a failed expectation", failing_text, 0, 1},
    {"Ctrl-C", long_text, SIGINT, 130},
};

static bool trace_has(const char *path, const char *event)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char needle[128];
    snprintf(needle, sizeof needle, "\"event\":\"%s\"", event);
    if (file_read_all(path, 64 * 1024 * 1024, &text, &len, NULL) != 0)
        return false;
    bool has = strstr((const char *)text, needle) != NULL;
    free(text);
    return has;
}

START_TEST(test_capture_ends_with_run)
{
    const struct end_row *row = &end_rows[_i];
    char *dir = test_tmpdir();
    char file[LAB_PATH_MAX], runs[LAB_PATH_MAX], pcap[LAB_PATH_MAX], lab[LAB_PATH_MAX],
        trace[LAB_PATH_MAX], first[512];
    struct proc runner = PROC_INIT;
    join(file, dir, "end.lab");
    join(runs, dir, "runs");
    join(pcap, dir, "end.pcap");
    join(lab, runs, "end");
    join(trace, lab, LAB_TRACE_FILE);
    make_script(dir, "end.lab", row->text);
    const char *argv[] = {test_bin("scenario"), "run", "--quiet", "--lab", runs,
                          "--capture",          pcap,  file,      NULL};
    ck_assert_int_eq(proc_start(&runner, argv), 0);
    if (row->sig != 0) {
        int64_t deadline = clock_monotonic_ms() + 30000;
        while (!trace_has(trace, "webserver.start") && clock_monotonic_ms() < deadline) {
            ck_assert_msg(proc_is_running(&runner), "%s: the runner ended early", row->label);
            test_sleep_ms(20);
        }
        ck_assert_msg(capture_processes(pcap, first, sizeof first) == 1,
                      "%s: no tcpdump while the scenario runs", row->label);
        /* like Ctrl-C on a terminal: the runner's group; tcpdump has its own */
        ck_assert_int_eq(proc_signal(&runner, row->sig), 0);
    }
    ck_assert_msg(proc_wait(&runner, 60000) == 0, "%s: the runner did not end", row->label);
    char *err = proc_stderr(&runner);
    ck_assert_msg(runner.exit_code == row->exit_code, "%s: exit %d\n%s", row->label,
                  runner.exit_code, test_tail_of(err));
    free(err);
    assert_no_capture_left(pcap);
    /* What was recorded up to the end is a whole capture file, ports listed. */
    struct stat st;
    ck_assert_msg(stat(pcap, &st) == 0 && st.st_size > 24, "%s: %s is empty", row->label, pcap);
    struct decode d;
    read_ports(lab, &d);
    proc_free(&runner);
    test_rmtree(dir);
    free(dir);
}
END_TEST

Suite *scenario_capture_suite(void)
{
    Suite *s = suite_create("scenario_capture");
    TCase *wire = tcase_create("wire");
    tcase_set_timeout(wire, 180);
    tcase_add_unchecked_fixture(wire, scratch_setup, scratch_teardown);
    tcase_add_test(wire, test_lesson2_on_the_wire);
    tcase_add_test(wire, test_lesson1_summary_and_direct_queries);
    suite_add_tcase(s, wire);
    TCase *tools = tcase_create("tools");
    tcase_set_timeout(tools, 120);
    tcase_add_unchecked_fixture(tools, scratch_setup, scratch_teardown);
    tcase_add_loop_test(tools, test_capture_tool, 0, sizeof tool_rows / sizeof tool_rows[0]);
    tcase_add_loop_test(tools, test_capture_ends_with_run, 0, sizeof end_rows / sizeof end_rows[0]);
    suite_add_tcase(s, tools);
    return s;
}
