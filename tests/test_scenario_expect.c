/* test_scenario_expect.c — what the scenario runner reads and compares:
 * the browser's JSON report summed up, every expectation subject read from
 * /stats-shaped JSON (DESIGN section 6), the trace counted with filters and
 * totalled for the CA, the words of a failed expectation, and the table. */
#include <check.h>
#include <stdint.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../scenarios/expect.h"
#include "clock.h"
#include "../scenarios/parse.h"
#include "../viewer/table.h"
#include "../scenarios/tracelog.h"
#include "fileio.h"
#include "lab.h"
#include "testutil.h"
#include "trace.h"

static json_t *load_json(const char *text)
{
    json_error_t err;
    json_t *json = json_loads(text, 0, &err);
    ck_assert_msg(json != NULL, "%s", err.text);
    return json;
}

/* Three users as `browser visit --json` reports them. */
static const char report_text[] =
    "{\"url\": \"https://shop.test:1/\", \"users\": ["
    " {\"user\": 1, \"verdict\": \"accept\", \"reason\": \"good\", \"ms\": 10, \"alone\": true,"
    "  \"staple\": {\"asked\": true, \"present\": true}, \"direct_ocsp\": {\"queried\": false},"
    "  \"explanation\": \"stapled good\"},"
    " {\"user\": 2, \"verdict\": \"accept\", \"reason\": \"good\", \"ms\": 30,"
    "  \"staple\": {\"asked\": true, \"present\": true}, \"direct_ocsp\": {\"queried\": false},"
    "  \"explanation\": \"stapled good too\"},"
    " {\"user\": 3, \"verdict\": \"refuse\", \"reason\": \"revoked\", \"ms\": 20,"
    "  \"staple\": {\"asked\": false, \"present\": false}, \"direct_ocsp\": {\"queried\": true},"
    "  \"explanation\": \"the CA said revoked\"}]}";

START_TEST(test_visit_summary)
{
    json_t *report = load_json(report_text);
    struct scn_visit v;
    struct errbuf err = {{0}};
    ck_assert_msg(scn_visit_from_json(report, &v, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(v.users, 3);
    ck_assert_int_eq(v.accepted, 2);
    ck_assert_int_eq(v.refused, 1);
    ck_assert_int_eq(v.stapled, 2);
    ck_assert_int_eq(v.asked, 1);
    ck_assert_int_eq(v.ms_total, 60);
    ck_assert_int_eq(v.ms_worst, 30);
    ck_assert_int_eq(v.alone, 1);
    ck_assert_int_eq(v.alone_ms_total, 10);
    ck_assert_uint_eq(v.group_count, 2);
    ck_assert_str_eq(v.groups[0].reason, "good");
    ck_assert_int_eq(v.groups[0].count, 2);
    ck_assert_int_eq(v.groups[0].first_user, 1);
    ck_assert_str_eq(v.groups[0].explanation, "stapled good");
    ck_assert(!v.groups[1].is_accepted);
    ck_assert_int_eq(scn_visit_count(&v, SCN_USERS_ALL, NULL), 3);
    ck_assert_int_eq(scn_visit_count(&v, SCN_USERS_ACCEPTED, ""), 2);
    ck_assert_int_eq(scn_visit_count(&v, SCN_USERS_REFUSED, NULL), 1);
    ck_assert_int_eq(scn_visit_count(&v, SCN_USERS_REFUSED, "revoked"), 1);
    ck_assert_int_eq(scn_visit_count(&v, SCN_USERS_ACCEPTED, "revoked"), 0);
    ck_assert_int_eq(scn_visit_count(&v, SCN_USERS_ALL, "good"), 2);
    ck_assert_int_eq(scn_visit_count(&v, SCN_USERS_REFUSED, "good"), 0);
    json_decref(report);

    report = load_json("{\"users\": 3}");
    ck_assert_int_eq(scn_visit_from_json(report, &v, &err), -1);
    json_decref(report);
    report = load_json("{\"users\": [1]}");
    ck_assert_int_eq(scn_visit_from_json(report, &v, &err), -1);
    json_decref(report);
}
END_TEST

/* More distinct reasons than groups: counted, never lost. */
START_TEST(test_visit_many_reasons)
{
    json_t *report = json_pack("{s:[]}", "users");
    json_t *users = json_object_get(report, "users");
    for (int i = 0; i < SCN_MAX_GROUPS + 3; i++) {
        char reason[32];
        snprintf(reason, sizeof reason, "reason-%d", i);
        json_array_append_new(users, json_pack("{s:i, s:s, s:s, s:i}", "user", i + 1, "verdict",
                                               "refuse", "reason", reason, "ms", 1));
    }
    struct scn_visit v;
    struct errbuf err = {{0}};
    ck_assert_int_eq(scn_visit_from_json(report, &v, &err), 0);
    ck_assert_int_eq(v.refused, SCN_MAX_GROUPS + 3);
    ck_assert_uint_eq(v.group_count, SCN_MAX_GROUPS);
    ck_assert_int_eq(v.ungrouped, 3);
    json_decref(report);
}
END_TEST

static struct scn_condition condition(enum scn_subject subject, const char *target,
                                      const char *detail, enum scn_op op, int64_t number)
{
    struct scn_condition c;
    memset(&c, 0, sizeof c);
    c.subject = subject;
    snprintf(c.target, sizeof c.target, "%s", target);
    snprintf(c.detail, sizeof c.detail, "%s", detail);
    c.op = op;
    c.number = number;
    return c;
}

static int64_t observe(const struct scn_condition *c, const struct scn_facts *f)
{
    struct scn_seen seen;
    struct errbuf err = {{0}};
    ck_assert_msg(scn_expect_observe(c, f, &seen, &err) == 0, "%s", err.msg);
    return seen.number;
}

START_TEST(test_observe_responder)
{
    json_t *stats = load_json(
        "{\"requests\": 23, \"by_requester\": {\"browser\": 20, \"webserver\": 2, \"other\": 1},"
        " \"by_client\": {\"127.0.0.1\": 2, \"127.0.1.1\": 20, \"127.0.1.2\": 1, \"other\": 4},"
        " \"responses\": {\"good\": 21, \"revoked\": 1, \"unknown\": 0, \"error\": 1}}");
    struct scn_facts f = {.stats = stats};
    struct scn_condition c = condition(SCN_SUBJ_REQUESTS, "responder", "", SCN_OP_EQ, 23);
    ck_assert_int_eq(observe(&c, &f), 23);
    c = condition(SCN_SUBJ_REQUESTS, "responder", "browser", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 20);
    c = condition(SCN_SUBJ_REQUESTS, "responder", "webserver", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 2);
    c = condition(SCN_SUBJ_REQUESTS, "responder", "127.0.1.1", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 20);
    c = condition(SCN_SUBJ_REQUESTS, "responder", "127.0.9.9", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 0);
    c = condition(SCN_SUBJ_CLIENTS, "responder", "", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 3); /* "other" is not an address */
    c = condition(SCN_SUBJ_ANSWERS, "responder", "revoked", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 1);
    c = condition(SCN_SUBJ_ANSWERS, "responder", "error", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 1);
    json_decref(stats);

    /* no counters: an error, not a zero */
    struct scn_seen seen;
    struct errbuf err = {{0}};
    f.stats = NULL;
    ck_assert_int_eq(scn_expect_observe(&c, &f, &seen, &err), -1);
}
END_TEST

START_TEST(test_observe_webserver)
{
    json_t *stats = load_json("{\"handshakes\": 25, \"staples_sent\": 20, \"ocsp_fetches\": 3,"
                              " \"staple\": {\"status\": \"revoked\"}}");
    struct scn_facts f = {.stats = stats, .own_handshakes = 5};
    struct scn_condition c = condition(SCN_SUBJ_HANDSHAKES, "shop.test", "", SCN_OP_EQ, 20);
    ck_assert_int_eq(observe(&c, &f), 20); /* the runner's own 5 are not the class's */
    c = condition(SCN_SUBJ_STAPLES_SENT, "shop.test", "", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 20);
    c = condition(SCN_SUBJ_FETCHES, "shop.test", "", SCN_OP_EQ, 0);
    ck_assert_int_eq(observe(&c, &f), 3);
    c = condition(SCN_SUBJ_STAPLE, "shop.test", "", SCN_OP_EQ, 0);
    c.is_text = true;
    snprintf(c.text, sizeof c.text, "revoked");
    struct scn_seen seen;
    struct errbuf err = {{0}};
    ck_assert_int_eq(scn_expect_observe(&c, &f, &seen, &err), 0);
    ck_assert(seen.is_text);
    ck_assert_str_eq(seen.text, "revoked");
    ck_assert(scn_expect_holds(&c, &seen));
    c.op = SCN_OP_NE;
    ck_assert(!scn_expect_holds(&c, &seen));
    json_decref(stats);
}
END_TEST

START_TEST(test_window_and_verdict)
{
    struct scn_facts f = {.has_window = false};
    struct scn_condition c = condition(SCN_SUBJ_WINDOW, "", "", SCN_OP_LE, 12 * 3600);
    struct scn_seen seen;
    struct errbuf err = {{0}};
    char text[256];
    ck_assert_int_eq(scn_expect_observe(&c, &f, &seen, &err), 0);
    ck_assert(!scn_expect_holds(&c, &seen)); /* never reached: fails whatever the operator */
    scn_expect_seen_text(&c, &seen, text, sizeof text);
    ck_assert_msg(strstr(text, "never") != NULL, "%s", text);
    f.has_window = true;
    f.window_seconds = 12 * 3600;
    ck_assert_int_eq(scn_expect_observe(&c, &f, &seen, &err), 0);
    ck_assert(scn_expect_holds(&c, &seen));
    scn_expect_seen_text(&c, &seen, text, sizeof text);
    ck_assert_str_eq(text, "12h (720 simulated minutes)");
    scn_expect_wanted_text(&c, text, sizeof text);
    ck_assert_str_eq(text, "<= 12h");

    c = condition(SCN_SUBJ_VERDICT, "", "", SCN_OP_EQ, 0);
    c.is_text = true;
    snprintf(c.text, sizeof c.text, "stale");
    ck_assert_int_eq(scn_expect_observe(&c, &f, &seen, &err), 0);
    ck_assert(!scn_expect_holds(&c, &seen));
    f.verdict = "stale";
    ck_assert_int_eq(scn_expect_observe(&c, &f, &seen, &err), 0);
    ck_assert(scn_expect_holds(&c, &seen));

    /* users need a visit */
    c = condition(SCN_SUBJ_USERS, "", "", SCN_OP_EQ, 1);
    ck_assert_int_eq(scn_expect_observe(&c, &f, &seen, &err), -1);
}
END_TEST

START_TEST(test_words)
{
    char text[256];
    struct scn_condition c = condition(SCN_SUBJ_REQUESTS, "responder", "browser", SCN_OP_GE, 20);
    scn_expect_subject_text(&c, text, sizeof text);
    ck_assert_str_eq(text, "responder requests from browser");
    scn_expect_wanted_text(&c, text, sizeof text);
    ck_assert_str_eq(text, ">= 20");
    c = condition(SCN_SUBJ_USERS, "", "revoked", SCN_OP_EQ, 3);
    c.users = SCN_USERS_REFUSED;
    scn_expect_subject_text(&c, text, sizeof text);
    ck_assert_str_eq(text, "users refused because revoked");
    c = condition(SCN_SUBJ_TRACE, "", "staple.verify", SCN_OP_GE, 1);
    c.filter_count = 1;
    snprintf(c.filters[0].field, sizeof c.filters[0].field, "reason");
    snprintf(c.filters[0].value, sizeof c.filters[0].value, "good");
    scn_expect_subject_text(&c, text, sizeof text);
    ck_assert_str_eq(text, "trace staple.verify reason=good");
    scn_expect_wanted_text(&c, text, sizeof text);
    ck_assert_str_eq(text, "seen");
    c.op = SCN_OP_EQ;
    c.number = 0;
    scn_expect_wanted_text(&c, text, sizeof text);
    ck_assert_str_eq(text, "not seen");
    c = condition(SCN_SUBJ_STAPLES_SENT, "shop.test", "", SCN_OP_EQ, 1);
    scn_expect_subject_text(&c, text, sizeof text);
    ck_assert_str_eq(text, "shop.test staples sent");

    static const struct {
        int64_t seconds;
        const char *text;
    } durations[] = {{0, "0s"},
                     {59, "59s"},
                     {60, "1m"},
                     {3600, "1h"},
                     {5400, "1h30m"},
                     {86400, "1d"},
                     {129600, "1d12h"},
                     {90061, "1d1h1m1s"},
                     /* Before a point in time (a clock set back): signed, not "-0s". */
                     {-7200, "-2h"},
                     {-90, "-1m30s"},
                     {INT64_MIN, "-106751991167300d15h30m8s"}};
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        clock_format_duration(durations[i].seconds, text, sizeof text);
        ck_assert_str_eq(text, durations[i].text);
    }
}
END_TEST

/* ---- The trace ------------------------------------------------------------------------------ */

static void write_trace(const char *lab, const char *text)
{
    char path[LAB_PATH_MAX];
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_path_join(path, sizeof path, lab, LAB_TRACE_FILE), 0);
    ck_assert_msg(file_write_atomic(path, text, strlen(text), 0644, &err) == 0, "%s", err.msg);
}

static const char trace_text[] =
    "{\"actor\":\"responder\",\"event\":\"ocsp.response.sent\",\"client\":\"127.0.0.1\","
    "\"bytes\":745,\"requester\":\"webserver\"}\n"
    "{\"actor\":\"responder\",\"event\":\"ocsp.response.sent\",\"client\":\"127.0.1.1\","
    "\"bytes\":800,\"requester\":\"browser\"}\n"
    "{\"actor\":\"responder\",\"event\":\"ocsp.response.sent\",\"client\":\"127.0.1.1\","
    "\"bytes\":800,\"requester\":\"browser\"}\n"
    "{\"actor\":\"responder\",\"event\":\"ocsp.request.rejected\",\"client\":\"127.0.1.2\"}\n"
    /* a busy second the responder counted instead of tracing each answer */
    "{\"actor\":\"responder\",\"event\":\"ocsp.responses.summarized\",\"requests\":40,"
    "\"bytes\":32000,\"by_requester\":{\"browser\":40,\"webserver\":0,\"other\":0}}\n"
    "{\"actor\":\"responder\",\"event\":\"ocsp.responses.summarized\",\"requests\":-5,"
    "\"bytes\":-1}\n"
    "not json at all\n"
    "[\"an\", \"array\"]\n"
    "{\"actor\":\"browser\",\"event\":\"browser.verdict\",\"user\":3,\"verdict\":\"refuse\","
    "\"staple\":true}\n"
    "{\"actor\":\"browser\",\"event\":\"browser.verdict\",\"user\":4,\"verdict\":\"accept\","
    "\"staple\":false}\n"
    "{\"actor\":\"browser\",\"event\":\"ocsp.response.received\",\"bytes\":800}\n"
    "{\"actor\":\"responder\",\"event\":\"ocsp.response.sent\",\"client\":\"127.0.1.9\","
    "\"bytes\":9}"; /* a last line still being written: no newline, not counted */

START_TEST(test_trace_counts)
{
    char *lab = test_tmpdir();
    struct errbuf err = {{0}};
    int64_t n = -1;
    struct scn_filter f[2];
    memset(f, 0, sizeof f);
    ck_assert_int_eq(scn_tracelog_count(lab, "browser.verdict", NULL, 0, &n, &err), 0);
    ck_assert_int_eq(n, 0); /* no trace yet */
    write_trace(lab, trace_text);
    ck_assert_int_eq(scn_tracelog_count(lab, "browser.verdict", NULL, 0, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    snprintf(f[0].field, sizeof f[0].field, "verdict");
    snprintf(f[0].value, sizeof f[0].value, "refuse");
    ck_assert_int_eq(scn_tracelog_count(lab, "browser.verdict", f, 1, &n, &err), 0);
    ck_assert_int_eq(n, 1);
    snprintf(f[1].field, sizeof f[1].field, "user");
    snprintf(f[1].value, sizeof f[1].value, "3");
    ck_assert_int_eq(scn_tracelog_count(lab, "browser.verdict", f, 2, &n, &err), 0);
    ck_assert_int_eq(n, 1);
    snprintf(f[1].value, sizeof f[1].value, "4");
    ck_assert_int_eq(scn_tracelog_count(lab, "browser.verdict", f, 2, &n, &err), 0);
    ck_assert_int_eq(n, 0);
    snprintf(f[0].field, sizeof f[0].field, "staple");
    snprintf(f[0].value, sizeof f[0].value, "false");
    ck_assert_int_eq(scn_tracelog_count(lab, "browser.verdict", f, 1, &n, &err), 0);
    ck_assert_int_eq(n, 1);
    snprintf(f[0].field, sizeof f[0].field, "missing");
    ck_assert_int_eq(scn_tracelog_count(lab, "browser.verdict", f, 1, &n, &err), 0);
    ck_assert_int_eq(n, 0);

    struct scn_ca_totals totals;
    ck_assert_int_eq(scn_ca_totals_read(lab, &totals, &err), 0);
    /* Summed seconds count their requests and bytes, not addresses; a
     * negative count (a damaged line) adds nothing. */
    ck_assert_int_eq(totals.requests, 4 + 40);
    ck_assert_int_eq(totals.bytes, 745 + 800 + 800 + 32000);
    ck_assert_int_eq(totals.addresses, 3);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* A line longer than the trace contract allows is skipped whole. */
START_TEST(test_trace_long_line)
{
    char *lab = test_tmpdir();
    size_t big = TRACE_MAX_LINE * 2;
    char *text = malloc(big + 256);
    ck_assert_ptr_nonnull(text);
    size_t n = (size_t)sprintf(text, "{\"event\":\"x.y\",\"pad\":\"");
    memset(text + n, 'a', big);
    n += big;
    n += (size_t)sprintf(text + n, "\"}\n{\"event\":\"x.y\"}\n");
    text[n] = 0;
    write_trace(lab, text);
    int64_t count = -1;
    struct errbuf err = {{0}};
    ck_assert_int_eq(scn_tracelog_count(lab, "x.y", NULL, 0, &count, &err), 0);
    ck_assert_int_eq(count, 1);
    free(text);
    test_rmtree(lab);
    free(lab);
}
END_TEST

/* ---- The table ------------------------------------------------------------------------------ */

START_TEST(test_table)
{
    struct scn_table *t = calloc(1, sizeof *t);
    char *out = NULL;
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_nonnull(f);
    struct scn_table_row *empty = scn_table_add(t, "playlist");
    struct scn_table_row *row = scn_table_add(t, "01-without-stapling");
    ck_assert_ptr_nonnull(empty);
    /* Three users alone (36 ms in all), seventeen in the crowd (584 ms). */
    struct scn_visit v = {.users = 20,
                          .stapled = 0,
                          .asked = 20,
                          .ms_total = 620,
                          .ms_worst = 44,
                          .alone = 3,
                          .alone_ms_total = 36};
    scn_visit_note_in_row(&v, row);
    scn_visit_note_in_row(&v, NULL); /* a full table: nothing happens */
    row->ca.requests = 20;
    row->ca.bytes = 15940;
    row->ca.addresses = 20;
    /* With stapling: 3 alone (15 ms), 17 in the crowd (255 ms). */
    struct scn_visit stapled = {
        .users = 20, .stapled = 20, .ms_total = 270, .alone = 3, .alone_ms_total = 15};
    scn_visit_note_in_row(&stapled, scn_table_add(t, "02-with-stapling"));
    scn_table_print(f, t, false);
    fclose(f);
    ck_assert_msg(strstr(out, "01-without-stapling") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "15,940") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "12.0") != NULL, "%s", out); /* 36 ms / 3 alone */
    ck_assert_msg(strstr(out, "34.4") != NULL, "%s", out); /* 584 ms / 17 in the crowd */
    /* The words under the table: what stapling saved one visitor, and that
     * the crowd's extra time is queueing (words wrap: compare unwrapped). */
    char words[1024];
    scn_table_latency_words(t, words, sizeof words);
    ck_assert_msg(strstr(words, "took 12.0 ms without stapling (01-without-stapling) and 5.0 ms "
                                "with it (02-with-stapling)") != NULL,
                  "%s", words);
    ck_assert_msg(strstr(words, "its own trip to the CA: 7.0 ms") != NULL, "%s", words);
    ck_assert_msg(strstr(words, "In the crowd the same visits took 34.4 and 15.0 ms") != NULL, "%s",
                  words);
    ck_assert_msg(strstr(out, "Visit times:") != NULL, "%s", out); /* printed under it */
    /* No lab measured a window or visited with the CA down: no second table. */
    ck_assert_msg(strstr(out, "revocation") == NULL, "%s", out);
    free(out);
    out = NULL;
    /* One that did gets the second table, beside its name. */
    row->has_window = true;
    row->window_seconds = 90000;
    row->ca_down_users = 6;
    row->ca_down_accepted = 3;
    f = open_memstream(&out, &out_len);
    ck_assert_ptr_nonnull(f);
    scn_table_print(f, t, false);
    fclose(f);
    ck_assert_msg(strstr(out, "with the CA down") != NULL &&
                      strstr(out, "  01-without-stapling         1d1h            3 of 6\n") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "playlist") == NULL, "%s", out);
    ck_assert_msg(strchr(out, '\033') == NULL, "colour without a terminal:\n%s", out);
    free(out);
    for (size_t i = t->count; i < SCN_MAX_ROWS; i++)
        ck_assert_ptr_nonnull(scn_table_add(t, "more"));
    ck_assert_ptr_null(scn_table_add(t, "one too many"));
    free(t);
}
END_TEST

Suite *scenario_expect_suite(void)
{
    Suite *s = suite_create("scenario_expect");
    TCase *tc = tcase_create("expect");
    tcase_add_test(tc, test_visit_summary);
    tcase_add_test(tc, test_visit_many_reasons);
    tcase_add_test(tc, test_observe_responder);
    tcase_add_test(tc, test_observe_webserver);
    tcase_add_test(tc, test_window_and_verdict);
    tcase_add_test(tc, test_words);
    tcase_add_test(tc, test_trace_counts);
    tcase_add_test(tc, test_trace_long_line);
    tcase_add_test(tc, test_table);
    suite_add_tcase(s, tc);
    return s;
}
