/* test_browser_visit.c — bin/browser visiting real servers on loopback: our
 * web server and responder (stapling on and off, a revocation, an outage, a
 * must-staple certificate) and a stapling server we did not write,
 * `openssl s_server -status_file`, fed staples built with the lab's codec:
 * good, revoked, unknown, forged two ways, stale, about another certificate,
 * and an empty file. Each user's verdict is read from `--json`; the
 * responder's /stats and the trace show who asked whom. What a function call
 * can check lives in tests/test_browser.c. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../browser/crowd.h"
#include "clock.h"
#include "der.h"
#include "fileio.h"
#include "keys.h"
#include "lab.h"
#include "ocsp.h"
#include "pem.h"
#include "proc.h"
#include "testutil.h"
#include "x509.h"

#define SITE "shop.test"
#define RUN_TIMEOUT_MS 30000
#define START_TIMEOUT_MS 15000
/* Simulated seconds past half of the responder's default 24 h window: the
 * web server refreshes its staple there. */
#define PAST_HALF_LIFE (13 * 3600)

/* ---- scratch space and processes ------------------------------------------------- */

/* Every lab and capture file of a case lives under one scratch directory the
 * runner removes after the case (a failing test exits before its cleanup). */
static void scratch_setup(void)
{
    test_scratch_enter("browser_visit");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* Programs a test started (proc.h: stopped at teardown, or with a failing test). */
static struct proc_set procs;

static void case_setup(void)
{
    proc_set_init(&procs);
}

static void case_teardown(void)
{
    proc_set_free(&procs);
}

static struct proc *start_proc(const char *const argv[])
{
    return proc_set_start(&procs, argv);
}

static void lab_path(char *out, const char *lab, const char *rel)
{
    ck_assert_msg(file_path_join(out, LAB_PATH_MAX, lab, rel) == 0, "path too long: %s", rel);
}

static void run_argv(struct test_run *run, const char *const argv[])
{
    ck_assert_int_eq(test_run(run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(!run->timed_out, "%s %s timed out", argv[0], argv[1] != NULL ? argv[1] : "");
}

/* Check ends a test with exit status 2 when a failure message is too long. */
static const char *tail(const char *text)
{
    size_t len = text != NULL ? strlen(text) : 0;
    return len > 1500 ? text + len - 1500 : text;
}

/* bin/ca ARGS... --lab LAB (NULL-terminated); exit 0 or the test fails. */
#define ca_run(lab, ...) free(test_ca_ok(RUN_TIMEOUT_MS, lab, __VA_ARGS__))

/* The port of a program's first line, "listening on 127.0.0.1:PORT". */
static unsigned wait_listening(struct proc *p, const char *what)
{
    char line[256];
    if (proc_wait_line(p, START_TIMEOUT_MS, line, sizeof line) != 0) {
        char *err = proc_stderr(p);
        ck_abort_msg("%s did not start: %s", what, tail(err));
    }
    unsigned port = 0;
    ck_assert_msg(sscanf(line, "listening on 127.0.0.1:%u", &port) == 1 && port > 0 && port < 65536,
                  "%s: unexpected first line '%s'", what, line);
    return port;
}

/* ---- the world: a lab, its responder, web servers ------------------------------------ */

struct world {
    char *lab;
    struct proc *responder;
    unsigned responder_port;
};

/* A fresh lab with a CA and a responder; shop.test (and other.test) name it
 * in their AIA. `issue_extra` (may be NULL) is added to `ca issue shop.test`. */
static void world_up(struct world *w, const char *issue_extra)
{
    char program[LAB_PATH_MAX], url[128];
    memset(w, 0, sizeof *w);
    w->lab = test_tmpdir();
    ca_run(w->lab, "init", NULL);
    snprintf(program, sizeof program, "%s", test_bin("responder"));
    const char *argv[] = {program, "--lab", w->lab, "--listen", "127.0.0.1:0", NULL};
    w->responder = start_proc(argv);
    w->responder_port = wait_listening(w->responder, "responder");
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", w->responder_port);
    ca_run(w->lab, "issue", SITE, "--ocsp-url", url, issue_extra, NULL);
    ca_run(w->lab, "issue", "other.test", "--ocsp-url", url, NULL);
}

static void world_free(struct world *w)
{
    free(w->lab);
    w->lab = NULL;
}

/* bin/webserver shop.test --lab LAB --listen 127.0.0.1:0 [--stapling off]; its port. */
static unsigned start_web(const struct world *w, bool is_stapling_on)
{
    char program[LAB_PATH_MAX];
    snprintf(program, sizeof program, "%s", test_bin("webserver"));
    const char *argv[] = {program,    SITE,          "--lab",      w->lab,
                          "--listen", "127.0.0.1:0", "--stapling", is_stapling_on ? "on" : "off",
                          NULL};
    return wait_listening(start_proc(argv), "webserver");
}

/* ---- the browser --------------------------------------------------------------------- */

struct visit_run {
    int exit_code;
    json_t *report; /* the --json output */
};

/* bin/browser visit https://shop.test:PORT/ --lab LAB --json EXTRA... (NULL-terminated). */
static void browse(struct visit_run *v, const struct world *w, unsigned port, ...)
{
    const char *argv[32];
    char program[LAB_PATH_MAX], url[128];
    size_t argc = 0;
    va_list ap;
    struct test_run run;
    json_error_t error;
    snprintf(program, sizeof program, "%s", test_bin("browser"));
    snprintf(url, sizeof url, "https://%s:%u/", SITE, port);
    argv[argc++] = program;
    argv[argc++] = "visit";
    argv[argc++] = url;
    argv[argc++] = "--lab";
    argv[argc++] = w->lab;
    argv[argc++] = "--json";
    va_start(ap, port);
    for (const char *arg = va_arg(ap, const char *); arg != NULL; arg = va_arg(ap, const char *)) {
        ck_assert_uint_lt(argc, 30);
        argv[argc++] = arg;
    }
    va_end(ap);
    argv[argc] = NULL;
    run_argv(&run, argv);
    v->exit_code = run.exit_code;
    v->report = json_loads(run.out, 0, &error);
    ck_assert_msg(v->report != NULL, "browser printed no JSON (exit %d): %s\n%s", run.exit_code,
                  error.text, tail(run.err));
    test_run_free(&run);
}

static json_t *user_at(const struct visit_run *v, size_t index)
{
    json_t *user = json_array_get(json_object_get(v->report, "users"), index);
    ck_assert_msg(user != NULL, "no user %zu in the report", index + 1);
    return user;
}

static const char *str_at(json_t *obj, const char *group, const char *key)
{
    json_t *where = group != NULL ? json_object_get(obj, group) : obj;
    const char *value = json_string_value(json_object_get(where, key));
    ck_assert_msg(value != NULL, "no string %s.%s", group != NULL ? group : "", key);
    return value;
}

static bool bool_at(json_t *obj, const char *group, const char *key)
{
    json_t *where = group != NULL ? json_object_get(obj, group) : obj;
    json_t *value = json_object_get(where, key);
    ck_assert_msg(json_is_boolean(value), "no boolean %s.%s", group != NULL ? group : "", key);
    return json_is_true(value);
}

static json_int_t int_at(json_t *obj, const char *group, const char *key)
{
    json_t *where = group != NULL ? json_object_get(obj, group) : obj;
    json_t *value = json_object_get(where, key);
    ck_assert_msg(json_is_integer(value), "no integer %s.%s", group != NULL ? group : "", key);
    return json_integer_value(value);
}

/* What one user's verdict must say ("" or NULL: not checked). */
struct expect {
    const char *verdict, *reason, *tls;
    bool has_staple;
    const char *staple_status, *checked_by;
    bool did_query;
    const char *query_status;
};

static void assert_user(const struct visit_run *v, size_t index, const struct expect *e,
                        const char *label)
{
    json_t *u = user_at(v, index);
    char *text = json_dumps(u, JSON_COMPACT);
#define USER_CHECK(cond) ck_assert_msg(cond, "%s, user %zu: %s", label, index + 1, tail(text))
    USER_CHECK(strcmp(str_at(u, NULL, "verdict"), e->verdict) == 0);
    USER_CHECK(strcmp(str_at(u, NULL, "reason"), e->reason) == 0);
    if (e->tls != NULL)
        USER_CHECK(strcmp(str_at(u, NULL, "tls"), e->tls) == 0);
    USER_CHECK(bool_at(u, "staple", "present") == e->has_staple);
    if (e->staple_status != NULL)
        USER_CHECK(strcmp(str_at(u, "staple", "status"), e->staple_status) == 0);
    if (e->checked_by != NULL)
        USER_CHECK(strcmp(str_at(u, "staple", "checked_by"), e->checked_by) == 0);
    USER_CHECK(bool_at(u, "direct_ocsp", "queried") == e->did_query);
    if (e->query_status != NULL)
        USER_CHECK(strcmp(str_at(u, "direct_ocsp", "status"), e->query_status) == 0);
    USER_CHECK(strlen(str_at(u, NULL, "explanation")) > 20);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.1.%zu", index + 1);
    USER_CHECK(strcmp(str_at(u, NULL, "addr"), addr) == 0);
#undef USER_CHECK
    free(text);
}

static void assert_all_users(const struct visit_run *v, size_t users, const struct expect *e,
                             const char *label)
{
    ck_assert_uint_eq(json_array_size(json_object_get(v->report, "users")), users);
    for (size_t i = 0; i < users; i++)
        assert_user(v, i, e, label);
    bool all_accept = strcmp(e->verdict, "accept") == 0;
    ck_assert_msg(v->exit_code == (all_accept ? 0 : 1), "%s: exit %d", label, v->exit_code);
    json_t *summary = json_object_get(v->report, "summary");
    ck_assert_int_eq(int_at(summary, NULL, "users"), (json_int_t)users);
    ck_assert_int_eq(int_at(summary, NULL, all_accept ? "accepted" : "refused"), (json_int_t)users);
    ck_assert_int_eq(int_at(summary, NULL, "ocsp_queries"), e->did_query ? (json_int_t)users : 0);
}

static void visit_free(struct visit_run *v)
{
    json_decref(v->report);
    v->report = NULL;
}

/* ---- the responder's counters and the trace ----------------------------------------- */

static json_t *responder_stats(const struct world *w)
{
    char url[128];
    struct test_run run;
    json_error_t error;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/stats", w->responder_port);
    const char *argv[] = {"curl", "-s", "--max-time", "10", url, NULL};
    run_argv(&run, argv);
    json_t *stats = json_loads(run.out, 0, &error);
    ck_assert_msg(run.exit_code == 0 && stats != NULL, "responder /stats: %s", error.text);
    test_run_free(&run);
    return stats;
}

/* Events of `actor` named `event` in the trace, optionally with a string
 * field equal to `value` (field NULL: any). */
static size_t trace_count(const struct world *w, const char *actor, const char *event,
                          const char *field, const char *value)
{
    char path[LAB_PATH_MAX];
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    lab_path(path, w->lab, LAB_TRACE_FILE);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_t *obj = json_loadb(line, (size_t)len, 0, NULL);
        const char *name = json_string_value(json_object_get(obj, "event"));
        const char *who = json_string_value(json_object_get(obj, "actor"));
        const char *got = field != NULL ? json_string_value(json_object_get(obj, field)) : NULL;
        if (name != NULL && who != NULL && strcmp(name, event) == 0 && strcmp(who, actor) == 0 &&
            (field == NULL || (got != NULL && strcmp(got, value) == 0)))
            n++;
        json_decref(obj);
    }
    fclose(f);
    free(line);
    return n;
}

/* Waits (real time) until the trace holds such an event. */
static void await_trace(const struct world *w, const char *actor, const char *event, int timeout_ms)
{
    int64_t deadline = clock_monotonic_ms() + timeout_ms;
    while (trace_count(w, actor, event, NULL, NULL) == 0) {
        ck_assert_msg(clock_monotonic_ms() < deadline, "no %s %s event within %d ms", actor, event,
                      timeout_ms);
        test_sleep_ms(50);
    }
}

/* ---- Our web server ------------------------------------------------------------------ */

/* Stapling on: every user accepts from user 1 on, the staple judged by the
 * lab's verifier in TLS 1.2 and 1.3 alike, and eleven visits cost
 * the CA exactly one request: the web server's. */
START_TEST(test_stapled_site)
{
    struct world w;
    struct visit_run v;
    world_up(&w, NULL);
    unsigned port = start_web(&w, true);

    browse(&v, &w, port, "--users", "5", "--tls", "1.2", NULL);
    const struct expect by_lab = {"accept", "good", "1.2", true, "good", "lab", false, ""};
    assert_all_users(&v, 5, &by_lab, "stapled, TLS 1.2");
    ck_assert_int_eq(int_at(json_object_get(v.report, "summary"), NULL, "staples_checked_by_lab"),
                     5);
    visit_free(&v);

    browse(&v, &w, port, "--users", "5", "--tls", "1.3", NULL);
    const struct expect by_lab13 = {"accept", "good", "1.3", true, "good", "lab", false, ""};
    assert_all_users(&v, 5, &by_lab13, "stapled, TLS 1.3");
    ck_assert_int_eq(int_at(json_object_get(v.report, "summary"), NULL, "staples_checked_by_lab"),
                     5);
    /* The first users come one at a time (their times are a visit's own),
     * the rest as a crowd; the summary keeps the two apart. */
    for (size_t i = 0; i < 5; i++)
        ck_assert_msg(bool_at(user_at(&v, i), NULL, "alone") == (i < CROWD_ALONE_USERS),
                      "user %zu alone: %d", i + 1, bool_at(user_at(&v, i), NULL, "alone"));
    json_t *summary = json_object_get(v.report, "summary");
    ck_assert_int_eq(int_at(summary, NULL, "alone_users"), CROWD_ALONE_USERS);
    ck_assert_int_eq(int_at(summary, NULL, "crowd_users"), 5 - CROWD_ALONE_USERS);
    visit_free(&v);

    /* No --tls: wolfSSL and our server agree on TLS 1.3. */
    browse(&v, &w, port, NULL);
    assert_all_users(&v, 1, &by_lab13, "stapled, either version");
    ck_assert_int_eq(int_at(user_at(&v, 0), NULL, "http_status"), 200);
    visit_free(&v);

    json_t *stats = responder_stats(&w);
    ck_assert_int_eq(int_at(stats, NULL, "requests"), 1);
    ck_assert_int_eq(int_at(stats, "by_requester", "webserver"), 1);
    ck_assert_int_eq(int_at(stats, "by_requester", "browser"), 0);
    json_decref(stats);

    /* The trace tells each user's story with its number and address. */
    ck_assert_uint_eq(trace_count(&w, "browser", "tls.client_hello", "addr", "127.0.1.3"), 2);
    ck_assert_uint_eq(trace_count(&w, "browser", "staple.verify", "checked_by", "lab"), 11);
    ck_assert_uint_eq(trace_count(&w, "browser", "staple.verify", "tls", "1.3"), 6);
    ck_assert_uint_eq(trace_count(&w, "browser", "browser.verdict", "verdict", "accept"), 11);
    ck_assert_uint_eq(trace_count(&w, "browser", "ocsp.request.sent", NULL, NULL), 0);
    /* The web server saw each user's own address. */
    ck_assert_uint_eq(trace_count(&w, "webserver", "tls.handshake.done", "peer", "127.0.1.5"), 2);

    /* A long visit traces its first users one by one and sums the rest;
     * the JSON lists the first ones, the summary counts them all. */
    browse(&v, &w, port, "--users", "2010", "--concurrency", "16", NULL);
    json_t *long_summary = json_object_get(v.report, "summary");
    ck_assert_int_eq(int_at(long_summary, NULL, "users"), 2010);
    ck_assert_int_eq(int_at(long_summary, NULL, "accepted"), 2010);
    ck_assert_int_eq(int_at(v.report, NULL, "users_listed"), 1000);
    ck_assert_int_eq(int_at(json_array_get(json_object_get(v.report, "groups"), 0), NULL, "count"),
                     2010);
    visit_free(&v);
    ck_assert_uint_eq(trace_count(&w, "browser", "browser.verdicts.summarized", NULL, NULL), 1);

    /* One at a time throughout: every user is alone. */
    browse(&v, &w, port, "--users", "5", "--concurrency", "1", NULL);
    for (size_t i = 0; i < 5; i++)
        ck_assert(bool_at(user_at(&v, i), NULL, "alone"));
    ck_assert_int_eq(int_at(json_object_get(v.report, "summary"), NULL, "crowd_users"), 0);
    visit_free(&v);
    world_free(&w);
}
END_TEST

/* The text output: a header, one line per user in user order even when they
 * run concurrently, then the summary. */
START_TEST(test_text_report_in_order)
{
    struct world w;
    struct test_run run;
    char program[LAB_PATH_MAX], url[128];
    world_up(&w, NULL);
    unsigned port = start_web(&w, true);
    snprintf(program, sizeof program, "%s", test_bin("browser"));
    snprintf(url, sizeof url, "https://%s:%u/", SITE, port);
    const char *argv[] = {program, "visit",         url, "--lab", w.lab, "--users",
                          "40",    "--concurrency", "6", NULL};
    run_argv(&run, argv);
    ck_assert_msg(run.exit_code == 0, "exit %d\n%s%s", run.exit_code, tail(run.out), tail(run.err));
    ck_assert(strncmp(run.out, " USER  ADDRESS", 14) == 0);
    const char *at = run.out;
    for (int user = 1; user <= 40; user++) {
        char line[64];
        snprintf(line, sizeof line, "\n%5d  127.0.1.%d ", user, user);
        const char *found = strstr(at, line);
        ck_assert_msg(found != NULL, "user %d missing or out of order:\n%s", user, tail(run.out));
        at = found + 1;
    }
    ck_assert_msg(test_contains(run.out, "40 users: 40 accepted, 0 refused. OCSP queries made by "
                                         "browsers: 0.") &&
                      !test_contains(run.out, "\033["),
                  "%s", tail(run.out));
    ck_assert_msg(test_contains(run.out, "one at a time (the first 3 users) and") &&
                      test_contains(run.out, "in the crowd (the other 37)"),
                  "%s", tail(run.out));
    test_run_free(&run);
    world_free(&w);
}
END_TEST

/* Stapling off: every user asks the CA itself, from its own address, and the
 * responder's per-client counts show each one (the privacy cost). */
START_TEST(test_unstapled_site)
{
    struct world w;
    struct visit_run v;
    world_up(&w, NULL);
    unsigned port = start_web(&w, false);
    browse(&v, &w, port, "--users", "3", NULL);
    const struct expect direct = {"accept", "good", NULL, false, "", "", true, "good"};
    assert_all_users(&v, 3, &direct, "stapling off");
    visit_free(&v);

    json_t *stats = responder_stats(&w);
    ck_assert_int_eq(int_at(stats, NULL, "requests"), 3);
    ck_assert_int_eq(int_at(stats, "by_requester", "browser"), 3);
    ck_assert_int_eq(int_at(stats, "by_requester", "webserver"), 0);
    for (int user = 1; user <= 3; user++) {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.1.%d", user);
        ck_assert_msg(int_at(stats, "by_client", addr) == 1, "no request from %s", addr);
    }
    json_decref(stats);
    ck_assert_uint_eq(trace_count(&w, "browser", "ocsp.request.sent", "addr", "127.0.1.2"), 1);
    ck_assert_uint_eq(trace_count(&w, "browser", "staple.none", NULL, NULL), 3);

    /* --staple off: the browser does not even ask. */
    port = start_web(&w, true);
    browse(&v, &w, port, "--staple", "off", "--tls", "1.2", NULL);
    const struct expect not_asked = {"accept", "good", "1.2", false, "", "", true, "good"};
    assert_all_users(&v, 1, &not_asked, "--staple off");
    ck_assert(!bool_at(user_at(&v, 0), "staple", "asked"));
    visit_free(&v);
    world_free(&w);
}
END_TEST

/* A revocation: the staple the server holds stays good until it refreshes
 * (the stapling lesson); once past half-life the server learns "revoked",
 * stops stapling, and every browser that asks the CA is refused. */
START_TEST(test_revoked_certificate)
{
    struct world w;
    struct visit_run v;
    struct errbuf err = {{0}};
    world_up(&w, NULL);
    unsigned port = start_web(&w, true);
    ca_run(w.lab, "revoke", SITE, "--reason", "keyCompromise", NULL);

    browse(&v, &w, port, "--tls", "1.2", NULL);
    const struct expect still_good = {"accept", "good", "1.2", true, "good", "lab", false, ""};
    assert_all_users(&v, 1, &still_good, "revoked, staple not yet refreshed");
    visit_free(&v);

    ck_assert_msg(clock_offset_write(w.lab, PAST_HALF_LIFE, &err) == 0, "%s", err.msg);
    await_trace(&w, "webserver", "staple.revoked", 15000);
    browse(&v, &w, port, "--users", "2", "--tls", "1.2", NULL);
    const struct expect revoked = {"refuse", "revoked", "1.2", false, "", "", true, "revoked"};
    assert_all_users(&v, 2, &revoked, "revoked");
    ck_assert(test_contains(str_at(user_at(&v, 0), NULL, "explanation"), "REVOKED"));
    visit_free(&v);
    browse(&v, &w, port, "--tls", "1.3", "--policy", "hard", NULL);
    const struct expect revoked13 = {"refuse", "revoked", "1.3", false, "", "", true, "revoked"};
    assert_all_users(&v, 1, &revoked13, "revoked, TLS 1.3");
    visit_free(&v);
    world_free(&w);
}
END_TEST

/* The responder is down and the server does not staple: soft-fail accepts
 * and says it could not check, hard-fail refuses. A stapling server started
 * before the outage still gets everyone in under both policies. */
START_TEST(test_responder_outage)
{
    struct world w;
    struct visit_run v;
    world_up(&w, NULL);
    unsigned bare = start_web(&w, false);
    unsigned stapled = start_web(&w, true);
    ck_assert_int_eq(proc_stop(w.responder, 2000), 0);

    browse(&v, &w, bare, "--users", "2", NULL);
    const struct expect soft = {"accept", "soft-fail", NULL, false, "", "", true, "failed"};
    assert_all_users(&v, 2, &soft, "outage, soft");
    ck_assert(test_contains(str_at(user_at(&v, 0), NULL, "explanation"),
                            "accepted without checking revocation"));
    visit_free(&v);

    browse(&v, &w, bare, "--users", "2", "--policy", "hard", NULL);
    const struct expect hard = {"refuse", "hard-fail", NULL, false, "", "", true, "failed"};
    assert_all_users(&v, 2, &hard, "outage, hard");
    visit_free(&v);

    const char *policies[] = {"soft", "hard"};
    for (size_t i = 0; i < 2; i++) {
        browse(&v, &w, stapled, "--policy", policies[i], "--tls", "1.2", NULL);
        const struct expect ok = {"accept", "good", "1.2", true, "good", "lab", false, ""};
        assert_all_users(&v, 1, &ok, policies[i]);
        visit_free(&v);
    }
    world_free(&w);
}
END_TEST

/* A must-staple certificate from a server that does not staple is refused
 * under both policies, even though the CA would answer good; stapled, it is
 * accepted in both TLS versions. */
START_TEST(test_must_staple)
{
    struct world w;
    struct visit_run v;
    world_up(&w, "--must-staple");
    unsigned bare = start_web(&w, false);
    const char *policies[] = {"soft", "hard"};
    for (size_t i = 0; i < 2; i++) {
        browse(&v, &w, bare, "--policy", policies[i], NULL);
        const struct expect refused = {"refuse", "must-staple", NULL, false, "", "", false, ""};
        assert_all_users(&v, 1, &refused, policies[i]);
        ck_assert(test_contains(str_at(user_at(&v, 0), NULL, "explanation"), "RFC 7633"));
        visit_free(&v);
    }
    unsigned stapled = start_web(&w, true);
    const char *versions[] = {"1.2", "1.3"};
    for (size_t i = 0; i < 2; i++) {
        browse(&v, &w, stapled, "--tls", versions[i], "--policy", "hard", NULL);
        const struct expect ok = {"accept", "good", versions[i], true, "good", NULL, false, ""};
        assert_all_users(&v, 1, &ok, versions[i]);
        visit_free(&v);
    }
    world_free(&w);
}
END_TEST

/* Usage and environment errors: exit 2 with the reason, nothing visited. */
START_TEST(test_usage_errors)
{
    struct world w;
    char program[LAB_PATH_MAX], missing[LAB_PATH_MAX];
    memset(&w, 0, sizeof w);
    w.lab = test_tmpdir();
    ca_run(w.lab, "init", NULL);
    lab_path(missing, w.lab, "no-such-lab");
    snprintf(program, sizeof program, "%s", test_bin("browser"));
    struct {
        const char *argv[12];
        const char *says;
    } cases[] = {
        {{program, "visit", "http://shop.test:1/", "--lab", w.lab, NULL}, "invalid URL"},
        {{program, "visit", "https://shop.example:1/", "--lab", w.lab, NULL}, ".test"},
        {{program, "visit", "https://shop.test:1/", "--lab", missing, NULL}, "no lab"},
        {{program, "visit", "https://shop.test:1/", "--lab", w.lab, "--users", "0", NULL},
         "--users"},
        {{program, "visit", "https://shop.test:1/", "--lab", w.lab, "--tls", "1.1", NULL}, "--tls"},
        {{program, "visit", "https://shop.test:1/", "--lab", w.lab, "--policy", "lax", NULL},
         "--policy"},
        {{program, "visit", "https://shop.test:1/", "--lab", w.lab, "--staple", "maybe", NULL},
         "--staple"},
        {{program, "visit", "https://shop.test:1/", "--lab", w.lab, "--fallback", "crls", NULL},
         "--fallback"},
        {{program, "visit", "https://shop.test:1/", "--lab", w.lab, "--crl-cache", "c", NULL},
         "--crl-cache needs --fallback crl"},
        {{program, "visit", "https://shop.test:1/", "--lab", w.lab, "--concurrency", "x", NULL},
         "--concurrency"},
        {{program, "visit", "--lab", w.lab, NULL}, "one URL"},
        {{program, "visit", "https://shop.test:1/", "--bogus", NULL}, "--bogus"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_run run;
        run_argv(&run, cases[i].argv);
        ck_assert_msg(run.exit_code == 2 && test_contains(run.err, cases[i].says),
                      "case %zu: exit %d: %s", i, run.exit_code, tail(run.err));
        test_run_free(&run);
    }
    /* A server that is not there is a refusal (exit 1), not a usage error. */
    struct test_run run;
    const char *argv[] = {program, "visit", "https://shop.test:1/", "--lab", w.lab, NULL};
    run_argv(&run, argv);
    ck_assert_msg(run.exit_code == 1 && test_contains(run.out, "connect-error"), "exit %d\n%s",
                  run.exit_code, tail(run.out));
    test_run_free(&run);
    world_free(&w);
}
END_TEST

/* --keylog FILE writes the TLS secrets of every visit, TLS 1.2 and 1.3, in
 * the NSS format, mode 0600, one line per secret and no line twice;
 * SSLKEYLOGFILE asks for the same; without either nothing is written. */
static size_t lines_starting(const char *text, const char *label)
{
    size_t count = 0, len = strlen(label);
    for (const char *line = text; line != NULL && *line != 0;) {
        if (strncmp(line, label, len) == 0 && line[len] == ' ')
            count++;
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    return count;
}

static char *read_text(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    ck_assert_msg(file_read_all(path, 1024 * 1024, &data, &len, NULL) == 0, "cannot read %s", path);
    char *text = malloc(len + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, data, len);
    text[len] = 0;
    free(data);
    return text;
}

START_TEST(test_keylog)
{
    struct world w;
    struct visit_run v;
    char keylog[LAB_PATH_MAX], from_env[LAB_PATH_MAX];
    struct stat st;
    world_up(&w, NULL);
    unsigned port = start_web(&w, true);
    lab_path(keylog, w.lab, "secrets.keys");
    lab_path(from_env, w.lab, "from-env.keys");

    unsetenv("SSLKEYLOGFILE");
    browse(&v, &w, port, "--users", "2", "--tls", "1.3", NULL);
    visit_free(&v);
    ck_assert_msg(stat(keylog, &st) != 0 && stat(from_env, &st) != 0, "secrets written unasked");

    browse(&v, &w, port, "--users", "2", "--tls", "1.3", "--keylog", keylog, NULL);
    ck_assert_int_eq(v.exit_code, 0);
    visit_free(&v);
    browse(&v, &w, port, "--users", "1", "--tls", "1.2", "--keylog", keylog, NULL);
    visit_free(&v);
    ck_assert_int_eq(stat(keylog, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    char *text = read_text(keylog);
    ck_assert_uint_eq(lines_starting(text, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"), 2);
    ck_assert_uint_eq(lines_starting(text, "SERVER_HANDSHAKE_TRAFFIC_SECRET"), 2);
    ck_assert_uint_eq(lines_starting(text, "CLIENT_TRAFFIC_SECRET_0"), 2);
    ck_assert_uint_eq(lines_starting(text, "SERVER_TRAFFIC_SECRET_0"), 2);
    ck_assert_uint_eq(lines_starting(text, "CLIENT_RANDOM"), 1);
    /* "LABEL <64 hex digits of client random> <secret>": */
    const char *line = strstr(text, "CLIENT_RANDOM ");
    ck_assert_uint_eq(strspn(line + 14, "0123456789ABCDEF"), 64);
    ck_assert_uint_eq(strspn(line + 14 + 65, "0123456789ABCDEF"), 96); /* 48-byte master */
    free(text);

    setenv("SSLKEYLOGFILE", from_env, 1);
    browse(&v, &w, port, "--users", "1", "--tls", "1.3", NULL);
    visit_free(&v);
    unsetenv("SSLKEYLOGFILE");
    text = read_text(from_env);
    ck_assert_uint_eq(lines_starting(text, "SERVER_HANDSHAKE_TRAFFIC_SECRET"), 1);
    free(text);
    world_free(&w);
}
END_TEST

/* ---- A stapling server we did not write: openssl s_server -status_file ------------- */

enum staple_kind {
    STAPLE_GOOD,
    STAPLE_REVOKED,
    STAPLE_UNKNOWN,
    STAPLE_STALE,           /* nextUpdate an hour ago */
    STAPLE_WRONG_CERT,      /* about other.test */
    STAPLE_FORGED_KEY,      /* signed by an unrelated key, naming our CA */
    STAPLE_FORGED_DELEGATE, /* another CA's real delegate, embedded */
    STAPLE_ROGUE_SIGNER,    /* signed by other.test, which our CA issued without OCSPSigning */
    STAPLE_UNSUCCESSFUL,    /* a bare tryLater: no responseBytes */
    STAPLE_GARBAGE,         /* "successful", but the basic response inside is noise */
    STAPLE_EMPTY,           /* a 0-byte file */
    STAPLE_AHEAD,           /* thisUpdate 2 minutes ahead: inside the lab's 5 minutes of skew */
};

static void load_cert(const char *lab, const char *rel, struct der_buf *der, struct x509_cert *cert)
{
    char path[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    lab_path(path, lab, rel);
    ck_assert_msg(pem_read_certificate(path, der, &err) == 0, "%s", err.msg);
    ck_assert_msg(x509_parse(cert, der->data, der->len, &err) == 0, "%s", err.msg);
}

static void load_key(const char *lab, const char *rel, struct lab_key *key)
{
    char path[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    lab_path(path, lab, rel);
    ck_assert_msg(key_load_pem(key, path, &err) == 0, "%s", err.msg);
}

/* Writes the staple of `kind` for the world's shop.test into `path`, signed
 * with the world's keys or those of `other_lab` (a second CA). */
static void make_staple(const struct world *w, const char *other_lab, enum staple_kind kind,
                        const char *path)
{
    struct der_buf root_der = {0}, about_der = {0}, signer_der = {0}, id_der = {0}, out = {0};
    struct x509_cert root, about, signer_cert;
    struct ocsp_cert_id_value id;
    struct lab_key key;
    struct errbuf err = {{0}};
    WC_RNG rng;
    int64_t now = clock_now(); /* the lab's clock is at 0 offset in these cases */

    if (kind == STAPLE_EMPTY) {
        ck_assert_int_eq(file_write_atomic(path, "", 0, 0644, &err), 0);
        return;
    }
    if (kind == STAPLE_UNSUCCESSFUL) {
        static const uint8_t try_later[] = {0x30, 0x03, 0x0a, 0x01, 0x03};
        ck_assert_int_eq(file_write_atomic(path, try_later, sizeof try_later, 0644, &err), 0);
        return;
    }
    if (kind == STAPLE_GARBAGE) {
        /* OCSPResponse { successful, [0] { id-pkix-ocsp-basic, OCTET STRING
         * "noise" } }: openssl s_server loads it (the basic response is an
         * opaque OCTET STRING to its parser); wolfSSL and the lab cannot. */
        static const uint8_t garbage[] = {
            0x30, 0x1a, 0x0a, 0x01, 0x00, 0xa0, 0x15, 0x30, 0x13, 0x06, 0x09, 0x2b, 0x06, 0x01,
            0x05, 0x05, 0x07, 0x30, 0x01, 0x01, 0x04, 0x06, 0x30, 0x04, 0x6e, 0x6f, 0x69, 0x73};
        ck_assert_int_eq(file_write_atomic(path, garbage, sizeof garbage, 0644, &err), 0);
        return;
    }
    load_cert(w->lab, LAB_ROOT_CERT, &root_der, &root);
    load_cert(w->lab,
              kind == STAPLE_WRONG_CERT ? LAB_CERTS_DIR "/other.test.pem"
                                        : LAB_CERTS_DIR "/" SITE ".pem",
              &about_der, &about);
    ck_assert_msg(ocsp_cert_id_compute(&about, &root, OCSP_HASH_SHA1, &id, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(ocsp_cert_id_write(&id, &id_der), DER_OK);
    struct ocsp_single_response single = {
        .cert_id_raw = der_cursor_init(id_der.data, id_der.len),
        .status = kind == STAPLE_REVOKED   ? OCSP_CERT_STATUS_REVOKED
                  : kind == STAPLE_UNKNOWN ? OCSP_CERT_STATUS_UNKNOWN
                                           : OCSP_CERT_STATUS_GOOD,
        .revocation_time = now - 3600,
        .revocation_reason = kind == STAPLE_REVOKED ? 1 : -1,
        .this_update = kind == STAPLE_STALE   ? now - 2 * 86400
                       : kind == STAPLE_AHEAD ? now + 120
                                              : now - 60,
        .has_next_update = true,
        .next_update = kind == STAPLE_STALE ? now - 3600 : now + 86400,
    };
    struct ocsp_signer signer = {.key = &key, .cert = &root};
    if (kind == STAPLE_FORGED_KEY) {
        /* Same DN as our root (every lab's root is "Lab Root CA"): only the
         * signature can tell. */
        load_key(other_lab, LAB_ROOT_KEY, &key);
        signer.responder_id_by_name = true;
    } else if (kind == STAPLE_FORGED_DELEGATE) {
        load_key(other_lab, LAB_DELEGATE_KEY, &key);
        load_cert(other_lab, LAB_DELEGATE_CERT, &signer_der, &signer_cert);
        signer.cert = &signer_cert;
        signer.include_cert = true;
    } else if (kind == STAPLE_ROGUE_SIGNER) {
        load_key(w->lab, LAB_CERTS_DIR "/other.test.key", &key);
        load_cert(w->lab, LAB_CERTS_DIR "/other.test.pem", &signer_der, &signer_cert);
        signer.cert = &signer_cert;
        signer.include_cert = true;
    } else {
        load_key(w->lab, LAB_ROOT_KEY, &key);
    }
    ck_assert_int_eq(wc_InitRng(&rng), 0);
    ck_assert_msg(ocsp_response_build(&signer, &rng, now, &single, 1, NULL, &out, &err) == 0, "%s",
                  err.msg);
    ck_assert_msg(file_write_atomic(path, out.data, out.len, 0644, &err) == 0, "%s", err.msg);
    wc_FreeRng(&rng);
    key_free(&key);
    der_buf_free(&out);
    der_buf_free(&id_der);
    der_buf_free(&signer_der);
    der_buf_free(&about_der);
    der_buf_free(&root_der);
}

/* A port nobody listens on right now (the kernel's pick for port 0). */
static unsigned free_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

/* openssl s_server with shop.test's certificate, stapling `staple_path`. It
 * cannot listen on port 0 and say where, so pick a free port and retry if
 * another process took it first. */
static unsigned start_s_server(const struct world *w, const char *staple_path)
{
    char cert[LAB_PATH_MAX], key[LAB_PATH_MAX], accept[64];
    lab_path(cert, w->lab, LAB_CERTS_DIR "/" SITE ".pem");
    lab_path(key, w->lab, LAB_CERTS_DIR "/" SITE ".key");
    for (int attempt = 0; attempt < 3; attempt++) {
        unsigned port = free_port();
        snprintf(accept, sizeof accept, "127.0.0.1:%u", port);
        const char *argv[] = {"openssl", "s_server", "-cert",        cert,        "-key", key,
                              "-accept", accept,     "-status_file", staple_path, "-www", NULL};
        struct proc *p = start_proc(argv);
        int64_t deadline = clock_monotonic_ms() + START_TIMEOUT_MS;
        for (;;) {
            char *out = proc_stdout(p);
            bool is_ready = test_contains(out, "ACCEPT");
            free(out);
            if (is_ready)
                return port;
            if (!proc_is_running(p) || clock_monotonic_ms() > deadline)
                break;
            test_sleep_ms(20);
        }
        proc_stop(p, 1000);
    }
    ck_abort_msg("openssl s_server did not start");
    return 0;
}

static const struct s_server_row {
    const char *label;
    enum staple_kind staple;
    const char *tls;
    const char *fallback, *policy;
    struct expect want;
    bool did_reconnect;
} s_server_rows[] = {
#define BOTH_VERSIONS(label, kind, fallback, policy, verdict, reason, status, queried, answer,     \
                      reconnects)                                                                  \
    {label ", TLS 1.2", kind,   "1.2",                                                             \
     fallback,          policy, {verdict, reason, "1.2", true, status, "lab", queried, answer},    \
     reconnects},                                                                                  \
    {                                                                                              \
        label ", TLS 1.3", kind, "1.3", fallback, policy,                                          \
            {verdict, reason, "1.3", true, status, "lab", queried, answer}, reconnects             \
    }
    BOTH_VERSIONS("good", STAPLE_GOOD, "none", "hard", "accept", "good", "good", false, "", false),
    BOTH_VERSIONS("revoked", STAPLE_REVOKED, "ocsp", "soft", "refuse", "revoked", "revoked", false,
                  "", false),
    BOTH_VERSIONS("unknown", STAPLE_UNKNOWN, "ocsp", "soft", "refuse", "unknown", "unknown", false,
                  "", false),
    BOTH_VERSIONS("forged with an unrelated key", STAPLE_FORGED_KEY, "ocsp", "soft", "refuse",
                  "bad-signature", "bad-signature", false, "", false),
    BOTH_VERSIONS("forged with another CA's delegate", STAPLE_FORGED_DELEGATE, "ocsp", "soft",
                  "refuse", "untrusted-signer", "untrusted-signer", false, "", false),
    BOTH_VERSIONS("signed by a certificate without OCSPSigning", STAPLE_ROGUE_SIGNER, "ocsp",
                  "soft", "refuse", "untrusted-signer", "untrusted-signer", false, "", false),
    BOTH_VERSIONS("wrong certificate", STAPLE_WRONG_CERT, "ocsp", "soft", "refuse", "wrong-cert",
                  "wrong-cert", false, "", false),
    BOTH_VERSIONS("garbage", STAPLE_GARBAGE, "ocsp", "soft", "refuse", "malformed", "malformed",
                  false, "", false),
    BOTH_VERSIONS("stale, no fallback, hard-fail", STAPLE_STALE, "none", "hard", "refuse", "stale",
                  "stale", false, "", false),
    /* Unusable but not alarming: the handshake goes on and the CA is asked. */
    BOTH_VERSIONS("stale, falls back to the CA", STAPLE_STALE, "ocsp", "hard", "accept", "good",
                  "stale", true, "good", false),
    /* wolfSSL cannot decode a bare tryLater and ends the handshake before
     * the browser's judge sees it: the browser reads it back, names it, and
     * connects again without asking for a staple. */
    BOTH_VERSIONS("tryLater, falls back to the CA", STAPLE_UNSUCCESSFUL, "ocsp", "hard", "accept",
                  "good", "unsuccessful", true, "good", true),
    BOTH_VERSIONS("tryLater, no fallback, hard-fail", STAPLE_UNSUCCESSFUL, "none", "hard", "refuse",
                  "unsuccessful", "unsuccessful", false, "", false),
    /* Within the lab's 5 minutes of skew; wolfSSL alone allows none. */
    BOTH_VERSIONS("thisUpdate 2 minutes ahead", STAPLE_AHEAD, "none", "hard", "accept", "good",
                  "good", false, "", false),
#undef BOTH_VERSIONS
    {"empty staple file, TLS 1.2",
     STAPLE_EMPTY,
     "1.2",
     "ocsp",
     "soft",
     {"refuse", "tls-error", NULL, false, "", "", false, ""},
     false},
};

/* What `browser verify-staple` says of the same file: its reason word. */
static char *verify_staple_reason(const struct world *w, const char *staple)
{
    char cert[LAB_PATH_MAX], issuer[LAB_PATH_MAX], program[LAB_PATH_MAX];
    struct test_run run;
    lab_path(cert, w->lab, LAB_CERTS_DIR "/" SITE ".pem");
    lab_path(issuer, w->lab, LAB_ROOT_CERT);
    snprintf(program, sizeof program, "%s", test_bin("browser"));
    const char *argv[] = {program,    "verify-staple", "--cert", cert,   "--issuer", issuer,
                          "--staple", staple,          "--lab",  w->lab, NULL};
    run_argv(&run, argv);
    const char *word = strncmp(run.out, "accept: ", 8) == 0   ? run.out + 8
                       : strncmp(run.out, "reject: ", 8) == 0 ? run.out + 8
                                                              : NULL;
    ck_assert_msg(word != NULL, "verify-staple said: %s", tail(run.out));
    char *reason = strndup(word, strcspn(word, "\n"));
    test_run_free(&run);
    return reason;
}

/* verify-staple judges by the simulated clock of the lab it is given, and
 * says which clock and time: the same good staple is stale two simulated
 * days later, good by the real clock, and judged at --at when given. */
START_TEST(test_verify_staple_names_its_clock)
{
    struct world w;
    char staple[LAB_PATH_MAX], clock_file[LAB_PATH_MAX], program[LAB_PATH_MAX];
    char cert[LAB_PATH_MAX], issuer[LAB_PATH_MAX], at[32];
    struct errbuf err = {{0}};
    struct test_run run;
    world_up(&w, NULL);
    lab_path(staple, w.lab, "staple.der");
    lab_path(cert, w.lab, LAB_CERTS_DIR "/" SITE ".pem");
    lab_path(issuer, w.lab, LAB_ROOT_CERT);
    lab_path(clock_file, w.lab, LAB_CLOCK_FILE);
    make_staple(&w, NULL, STAPLE_GOOD, staple);
    snprintf(program, sizeof program, "%s", test_bin("browser"));
    ck_assert_int_eq(file_write_atomic(clock_file, "172800\n", 7, 0644, &err), 0);

    const char *by_lab[] = {program,    "verify-staple", "--cert", cert,  "--issuer", issuer,
                            "--staple", staple,          "--lab",  w.lab, NULL};
    run_argv(&run, by_lab);
    ck_assert_msg(run.exit_code == 1 && strncmp(run.out, "reject: stale\n", 14) == 0 &&
                      test_contains(run.out, "by the simulated clock of") &&
                      test_contains(run.out, "(real time + 2d)"),
                  "%s", run.out);
    test_run_free(&run);

    const char *no_lab[] = {program, "verify-staple", "--cert", cert,    "--issuer",
                            issuer,  "--staple",      staple,   "--lab", "/nonexistent/lab",
                            NULL};
    run_argv(&run, no_lab);
    ck_assert_msg(run.exit_code == 0 && strncmp(run.out, "accept: good\n", 13) == 0 &&
                      test_contains(run.out, "by the real clock"),
                  "%s", run.out);
    test_run_free(&run);

    snprintf(at, sizeof at, "%lld", (long long)clock_now());
    const char *given[] = {program,    "verify-staple", "--cert", cert, "--issuer", issuer,
                           "--staple", staple,          "--at",   at,   NULL};
    run_argv(&run, given);
    ck_assert_msg(run.exit_code == 0 && test_contains(run.out, "by the time given with --at"), "%s",
                  run.out);
    test_run_free(&run);
    world_free(&w);
}
END_TEST

/* Each kind of staple, put on the wire by openssl s_server over TLS 1.2 and
 * over TLS 1.3, gets the same reason word from the browser as from
 * verify-staple on the same file, and the same outcome in both versions. */
START_TEST(test_s_server_staples)
{
    const struct s_server_row *row = &s_server_rows[_i];
    struct world w;
    struct visit_run v;
    char staple[LAB_PATH_MAX];
    world_up(&w, NULL);
    char *other = test_tmpdir();
    ca_run(other, "init", "--delegate", NULL);
    lab_path(staple, w.lab, "staple.der");
    make_staple(&w, other, row->staple, staple);
    unsigned port = start_s_server(&w, staple);

    browse(&v, &w, port, "--tls", row->tls, "--fallback", row->fallback, "--policy", row->policy,
           NULL);
    assert_all_users(&v, 1, &row->want, row->label);
    ck_assert_msg(bool_at(user_at(&v, 0), NULL, "reconnected") == row->did_reconnect,
                  "%s: reconnected", row->label);
    if (row->staple != STAPLE_EMPTY) {
        char *offline = verify_staple_reason(&w, staple);
        const char *online = str_at(user_at(&v, 0), "staple", "status");
        ck_assert_msg(strcmp(offline, online) == 0,
                      "%s: verify-staple says %s, the browser in the handshake %s", row->label,
                      offline, online);
        free(offline);
        ck_assert_uint_eq(trace_count(&w, "browser", "staple.verify", "reason", online), 1);
    } else {
        const char *explanation = str_at(user_at(&v, 0), NULL, "explanation");
        ck_assert_msg(test_contains(explanation, "alert"), "%s: %s", row->label, explanation);
    }
    ck_assert_uint_eq(trace_count(&w, "browser", "tls.reconnect", NULL, NULL),
                      row->did_reconnect ? 1 : 0);
    visit_free(&v);
    free(other);
    world_free(&w);
}
END_TEST

/* ---- nginx: a stapling server that fetches lazily ----------------------------------------- */

/* nginx asks the responder only when the first client wants a staple and
 * staples nothing in that handshake: the first visitor falls back to asking
 * the CA itself (visible in its verdict); later visitors get the staple, in
 * TLS 1.2 and TLS 1.3, checked by the lab's verifier in both. */
static const char *nginx_path(void)
{
    static const char *const candidates[] = {"/usr/sbin/nginx", "/usr/bin/nginx",
                                             "/usr/local/sbin/nginx"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

static bool port_answers(unsigned port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool is_up = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (fd >= 0)
        close(fd);
    return is_up;
}

START_TEST(test_nginx_lazy_stapling)
{
    struct world w;
    struct visit_run v;
    struct errbuf err = {{0}};
    char conf_path[LAB_PATH_MAX], error_log[LAB_PATH_MAX], cert[LAB_PATH_MAX], key[LAB_PATH_MAX];
    char root[LAB_PATH_MAX], conf[8192];
    world_up(&w, NULL);
    lab_path(conf_path, w.lab, "nginx.conf");
    lab_path(error_log, w.lab, "nginx-error.log");
    lab_path(cert, w.lab, LAB_CERTS_DIR "/" SITE ".pem");
    lab_path(key, w.lab, LAB_CERTS_DIR "/" SITE ".key");
    lab_path(root, w.lab, LAB_ROOT_CERT);
    unsigned port = free_port();
    int n =
        snprintf(conf, sizeof conf,
                 "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\n"
                 "error_log %s info;\nevents { worker_connections 64; }\nhttp {\n"
                 "  access_log off;\n  client_body_temp_path %s;\n  proxy_temp_path %s;\n"
                 "  fastcgi_temp_path %s;\n  uwsgi_temp_path %s;\n  scgi_temp_path %s;\n"
                 "  server {\n    listen 127.0.0.1:%u ssl;\n    server_name %s;\n"
                 "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_certificate %s;\n"
                 "    ssl_certificate_key %s;\n    ssl_stapling on;\n"
                 "    ssl_stapling_verify on;\n    ssl_trusted_certificate %s;\n"
                 "    location / { return 200 \"hello from nginx\\n\"; }\n  }\n}\n",
                 w.lab, error_log, w.lab, w.lab, w.lab, w.lab, w.lab, port, SITE, cert, key, root);
    ck_assert(n > 0 && (size_t)n < sizeof conf);
    ck_assert_msg(file_write_atomic(conf_path, conf, (size_t)n, 0644, &err) == 0, "%s", err.msg);
    const char *argv[] = {nginx_path(), "-p", w.lab, "-c", conf_path, "-e", error_log, NULL};
    struct proc *nginx = start_proc(argv);
    int64_t deadline = clock_monotonic_ms() + START_TIMEOUT_MS;
    while (!port_answers(port)) {
        ck_assert_msg(proc_is_running(nginx) && clock_monotonic_ms() < deadline,
                      "nginx did not start: %s", tail(proc_stderr(nginx)));
        test_sleep_ms(20);
    }

    browse(&v, &w, port, "--tls", "1.2", NULL);
    const struct expect first = {"accept", "good", "1.2", false, "", "", true, "good"};
    assert_all_users(&v, 1, &first, "nginx, first visitor");
    visit_free(&v);

    /* nginx's own fetch takes a moment; then every visitor gets the staple. */
    bool is_stapled = false;
    deadline = clock_monotonic_ms() + 10000;
    while (!is_stapled && clock_monotonic_ms() < deadline) {
        browse(&v, &w, port, "--tls", "1.2", "--fallback", "none", "--policy", "hard", NULL);
        is_stapled = bool_at(user_at(&v, 0), "staple", "present");
        if (!is_stapled) {
            visit_free(&v);
            test_sleep_ms(100);
        }
    }
    ck_assert_msg(is_stapled, "nginx never stapled");
    const struct expect stapled12 = {"accept", "good", "1.2", true, "good", "lab", false, ""};
    assert_all_users(&v, 1, &stapled12, "nginx, stapled, TLS 1.2");
    visit_free(&v);
    browse(&v, &w, port, "--tls", "1.3", "--fallback", "none", "--policy", "hard", NULL);
    const struct expect stapled13 = {"accept", "good", "1.3", true, "good", "lab", false, ""};
    assert_all_users(&v, 1, &stapled13, "nginx, stapled, TLS 1.3");
    visit_free(&v);

    json_t *stats = responder_stats(&w);
    ck_assert_int_eq(int_at(stats, "by_requester", "browser"), 1);
    ck_assert_int_ge(int_at(stats, "by_requester", "other"), 1); /* nginx */
    json_decref(stats);
    world_free(&w);
}
END_TEST

Suite *browser_visit_suite(void);
Suite *browser_visit_suite(void)
{
    Suite *s = suite_create("browser_visit");

    TCase *ours = tcase_create("our_servers");
    tcase_set_timeout(ours, 60);
    tcase_add_unchecked_fixture(ours, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(ours, case_setup, case_teardown);
    tcase_add_test(ours, test_stapled_site);
    tcase_add_test(ours, test_text_report_in_order);
    tcase_add_test(ours, test_unstapled_site);
    tcase_add_test(ours, test_revoked_certificate);
    tcase_add_test(ours, test_responder_outage);
    tcase_add_test(ours, test_must_staple);
    tcase_add_test(ours, test_usage_errors);
    tcase_add_test(ours, test_keylog);
    tcase_add_test(ours, test_verify_staple_names_its_clock);
    suite_add_tcase(s, ours);

    TCase *theirs = tcase_create("s_server");
    tcase_set_timeout(theirs, 60);
    tcase_add_unchecked_fixture(theirs, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(theirs, case_setup, case_teardown);
    tcase_add_loop_test(theirs, test_s_server_staples, 0,
                        (int)(sizeof s_server_rows / sizeof s_server_rows[0]));
    /* nginx is not among the lab's required packages: without it the case
     * is left out, and says so. */
    if (nginx_path() != NULL)
        tcase_add_test(theirs, test_nginx_lazy_stapling);
    else
        fprintf(stderr, "browser_visit: nginx not installed, its case is left out\n");
    suite_add_tcase(s, theirs);
    return s;
}
