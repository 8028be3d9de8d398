/* test_scenario_ladder.c — `scenario trace`: a hand-written trace drawn as
 * ladder rows and arrows, identical rows collapsed with ×N, each filter,
 * --json passing lines through unchanged, bad lines (not JSON, truncated,
 * overlong) reported with their line numbers and skipped, the 100-column
 * limit, no escape sequence from the trace reaching the terminal, --follow
 * stopping, and a 200,000-line trace streamed to a few rows;
 * the rows themselves (ladder_rows.h, shared with the HTML report) through
 * their emit callback, and handshakes with 127.0.0.1 (the runner's /stats,
 * openssl) drawn as notes, not as visits. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../viewer/ladder.h"
#include "../viewer/ladder_rows.h"
#include "trace_file.h"
#include "trace_read.h"
#include "trace.h"

#define EV(ts, rest) "{\"ts\":\"2026-11-25T" ts "Z\"," rest "}\n"

/* One stapled visit, one direct check, a revocation and narration. */
/* clang-format off */
static const char small_trace[] =
    EV("10:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.say\","
                       "\"msg\":\"Twenty students visit the shop.\"")
    EV("10:00:00.100", "\"actor\":\"ca\",\"pid\":2,\"event\":\"ca.cert.issued\",\"msg\":\"m\","
                       "\"serial\":\"489909E80CF3516D59E7423D092D74AA\",\"name\":\"shop.test\"")
    EV("10:00:00.200", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"ocsp.request.sent\","
                       "\"msg\":\"m\",\"serial\":\"489909E80CF3516D59E7423D092D74AA\"")
    EV("10:00:00.300", "\"actor\":\"responder\",\"pid\":4,\"event\":\"ocsp.response.sent\","
                       "\"msg\":\"m\",\"serial\":\"489909E80CF3516D59E7423D092D74AA\","
                       "\"requester\":\"webserver\",\"status\":\"good\",\"cached\":false,"
                       "\"next_update\":\"2026-11-26T10:00:00.000Z\"")
    EV("10:00:00.400", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"staple.fetch.ok\","
                       "\"msg\":\"m\",\"status\":\"good\","
                       "\"next_update\":\"2026-11-26T10:00:00.000Z\"")
    EV("10:00:01.000", "\"actor\":\"browser\",\"pid\":5,\"event\":\"tls.client_hello\","
                       "\"msg\":\"m\",\"user\":1,\"addr\":\"127.0.1.1\",\"status_request\":true")
    EV("10:00:01.010", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"tls.handshake.done\","
                       "\"msg\":\"m\",\"peer\":\"127.0.1.1\",\"version\":\"TLS 1.2\","
                       "\"status_request\":true,\"stapled\":true")
    EV("10:00:01.020", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.verdict\","
                       "\"msg\":\"m\",\"user\":1,\"verdict\":\"accept\",\"reason\":\"good\","
                       "\"staple\":true")
    EV("10:00:02.000", "\"actor\":\"ca\",\"pid\":6,\"event\":\"ca.cert.revoked\",\"msg\":\"m\","
                       "\"serial\":\"489909E80CF3516D59E7423D092D74AA\",\"name\":\"shop.test\","
                       "\"reason\":\"keyCompromise\"")
    EV("10:00:03.000", "\"actor\":\"browser\",\"pid\":7,\"event\":\"tls.client_hello\","
                       "\"msg\":\"m\",\"user\":2,\"addr\":\"127.0.1.2\",\"status_request\":false")
    EV("10:00:03.010", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"tls.handshake.done\","
                       "\"msg\":\"m\",\"peer\":\"127.0.1.2\",\"version\":\"TLS 1.2\","
                       "\"status_request\":false,\"stapled\":false")
    EV("10:00:03.020", "\"actor\":\"browser\",\"pid\":7,\"event\":\"ocsp.request.sent\","
                       "\"msg\":\"m\",\"user\":2,\"serial\":\"489909E80CF3516D59E7423D092D74AA\"")
    EV("10:00:03.030", "\"actor\":\"responder\",\"pid\":4,\"event\":\"ocsp.response.sent\","
                       "\"msg\":\"m\",\"serial\":\"489909E80CF3516D59E7423D092D74AA\","
                       "\"requester\":\"browser\",\"client\":\"127.0.1.2\",\"status\":\"revoked\","
                       "\"cached\":false,"
                       "\"next_update\":\"2026-11-26T10:00:00.000Z\"")
    EV("10:00:03.040", "\"actor\":\"browser\",\"pid\":7,\"event\":\"browser.verdict\","
                       "\"msg\":\"m\",\"user\":2,\"verdict\":\"refuse\",\"reason\":\"revoked\","
                       "\"staple\":false");
/* clang-format on */

/* A file holding `text`, opened for reading; the file is already unlinked. */
static int trace_fd(const char *text, size_t len)
{
    char path[] = "/tmp/test-ladder-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

struct drawn {
    char *out, *errs;
    size_t out_len, errs_len;
    struct scn_ladder_stats stats;
    int rc;
};

static void draw(const char *text, size_t len, const struct scn_ladder_options *opt,
                 struct drawn *d)
{
    int fd = trace_fd(text, len);
    memset(d, 0, sizeof *d);
    FILE *out = open_memstream(&d->out, &d->out_len);
    FILE *errs = open_memstream(&d->errs, &d->errs_len);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(errs);
    d->rc = scn_ladder_draw(fd, "trace.jsonl", out, errs, opt, &d->stats);
    fclose(out);
    fclose(errs);
    close(fd);
}

static void drawn_free(struct drawn *d)
{
    free(d->out);
    free(d->errs);
}

/* The line of `text` containing `needle`, or NULL (static storage). */
static const char *line_with(const char *text, const char *needle)
{
    static char line[1024];
    const char *hit = strstr(text, needle);
    if (hit == NULL)
        return NULL;
    const char *start = hit;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = strchr(hit, '\n');
    size_t len = end != NULL ? (size_t)(end - start) : strlen(start);
    snprintf(line, sizeof line, "%.*s", (int)len, start);
    return line;
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *s = strstr(text, needle); s != NULL; s = strstr(s + 1, needle))
        n++;
    return n;
}

/* Columns of one line: UTF-8 characters, ANSI escapes skipped. */
static int line_columns(const char *s, size_t len)
{
    int cols = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\033') {
            while (i < len && s[i] != 'm')
                i++;
            continue;
        }
        cols += ((unsigned char)s[i] & 0xc0) != 0x80;
    }
    return cols;
}

static int widest_line(const char *text)
{
    int widest = 0;
    while (*text != 0) {
        const char *end = strchr(text, '\n');
        size_t len = end != NULL ? (size_t)(end - text) : strlen(text);
        int cols = line_columns(text, len);
        if (cols > widest)
            widest = cols;
        text += len + (end != NULL);
    }
    return widest;
}

START_TEST(test_rows_and_arrows)
{
    struct scn_ladder_options opt = {0};
    struct drawn d;
    draw(small_trace, strlen(small_trace), &opt, &d);
    ck_assert_int_eq(d.rc, 0);
    ck_assert_str_eq(d.errs, "");
    ck_assert_int_eq(d.stats.lines, 14);
    ck_assert_int_eq(d.stats.events, 14);
    /* The header names the four parties' columns. */
    const char *header = line_with(d.out, "time");
    ck_assert_ptr_nonnull(header);
    ck_assert_ptr_nonnull(strstr(header, "users"));
    ck_assert_ptr_nonnull(strstr(header, "webserver"));
    ck_assert_ptr_nonnull(strstr(header, "responder"));
    ck_assert_ptr_nonnull(strstr(header, " ca"));
    ck_assert_ptr_nonnull(strstr(d.out, "---- 2026-11-25 "));
    /* Narration is a line of its own. */
    ck_assert_str_eq(line_with(d.out, "Twenty students"),
                     "10:00:00.000  » Twenty students visit the shop.");
    /* Messages are arrows between the columns, in the right direction. */
    ck_assert_str_eq(line_with(d.out, "ClientHello (status_request)"),
                     "10:00:01.000    |---------->|           |           |  "
                     "ClientHello (status_request)");
    /* Inside a visit only its first row has a time. */
    ck_assert_str_eq(line_with(d.out, "Certificate + staple"),
                     "                |<----------|           |           |  "
                     "Certificate + staple (TLS 1.2)");
    ck_assert_str_eq(line_with(d.out, "Certificate, no staple"),
                     "                |<----------|           |           |  "
                     "Certificate, no staple (TLS 1.2)");
    ck_assert_str_eq(line_with(d.out, "10:00:00.200"),
                     "10:00:00.200    |           |---------->|           |  "
                     "OCSP request 489909…");
    ck_assert_str_eq(line_with(d.out, "OCSP good"),
                     "10:00:00.300    |           |<----------|           |  "
                     "OCSP good 489909… until 11-26 10:00");
    /* The browser's own query crosses the web server's column. */
    ck_assert_str_eq(line_with(d.out, "|---------------------->|"),
                     "                |---------------------->|           |  "
                     "OCSP request 489909…");
    ck_assert_str_eq(line_with(d.out, "OCSP revoked"),
                     "                |<----------------------|           |  "
                     "OCSP revoked 489909… until 11-26 10:00");
    /* Conclusions are notes on one column. */
    ck_assert_str_eq(line_with(d.out, "ACCEPT"),
                     "                *           |           |           |  "
                     "ACCEPT (good) from the staple");
    ck_assert_str_eq(line_with(d.out, "REFUSE"),
                     "                *           |           |           |  REFUSE (revoked)");
    /* Each visit in its order: hello, certificate, question, answer, verdict;
     * the second visit after the revocation that happened before it. */
    const char *hello2 = strstr(d.out, "ClientHello (no status_request)");
    const char *cert2 = strstr(d.out, "Certificate, no staple");
    const char *ask2 = strstr(d.out, "|---------------------->|");
    const char *answer2 = strstr(d.out, "OCSP revoked"), *refuse = strstr(d.out, "REFUSE");
    const char *revoked = strstr(d.out, "REVOKED");
    ck_assert(revoked < hello2 && hello2 < cert2 && cert2 < ask2 && ask2 < answer2 &&
              answer2 < refuse);
    ck_assert_str_eq(line_with(d.out, "issued"),
                     "10:00:00.100    |           |           |           *  "
                     "issued 489909… shop.test");
    ck_assert_ptr_nonnull(strstr(line_with(d.out, "REVOKED"), "(keyCompromise)"));
    /* Event names are words a student reads, never dotted names. */
    ck_assert_str_eq(line_with(d.out, "staple fetched"),
                     "10:00:00.400    |           *           |           |  "
                     "staple fetched: good until 11-26 10:00");
    ck_assert_ptr_null(strstr(d.out, "staple.fetch.ok"));
    /* No colour was asked for. */
    ck_assert_ptr_null(strchr(d.out, '\033'));
    drawn_free(&d);
}
END_TEST

/* Twenty users' visits, interleaved as concurrent users are: one row each. */
START_TEST(test_collapse)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    /* clang-format off */
    fputs(EV("09:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.step\","
                             "\"msg\":\"visit shop.test --users 20\""),
          f);
    /* clang-format on */
    for (int user = 1; user <= 20; user++) {
        fprintf(f,
                "{\"ts\":\"2026-11-25T10:00:%02d.000Z\",\"actor\":\"browser\",\"pid\":5,"
                "\"event\":\"tls.client_hello\",\"msg\":\"User %d\",\"user\":%d,"
                "\"addr\":\"127.0.1.%d\",\"status_request\":true}\n",
                user, user, user, user);
        fprintf(f,
                "{\"ts\":\"2026-11-25T10:00:%02d.100Z\",\"actor\":\"browser\",\"pid\":5,"
                "\"event\":\"browser.verdict\",\"msg\":\"User %d\",\"user\":%d,"
                "\"verdict\":\"accept\",\"reason\":\"good\",\"staple\":true}\n",
                user, user, user);
    }
    /* A different status is a different row, and narration ends the group. */
    /* clang-format off */
    fputs(EV("10:01:00.000", "\"actor\":\"browser\",\"pid\":5,\"event\":\"browser.verdict\","
                             "\"msg\":\"m\",\"user\":21,\"verdict\":\"refuse\","
                             "\"reason\":\"revoked\",\"staple\":true")
          EV("10:02:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.say\","
                             "\"msg\":\"Next.\"")
          EV("10:03:00.000", "\"actor\":\"browser\",\"pid\":5,\"event\":\"tls.client_hello\","
                             "\"msg\":\"m\",\"user\":1,\"status_request\":true"),
          f);
    /* clang-format on */
    fclose(f);
    struct scn_ladder_options opt = {0};
    struct drawn d;
    draw(text, len, &opt, &d);
    ck_assert_int_eq(d.stats.events, 44);
    ck_assert_str_eq(line_with(d.out, "10:00:01.000"),
                     "10:00:01.000    |---------->|           |           |  "
                     "ClientHello (status_request) ×20");
    ck_assert_ptr_nonnull(strstr(d.out, "ACCEPT (good) from the staple ×20\n"));
    ck_assert_ptr_nonnull(strstr(d.out, "REFUSE (revoked) from the staple\n"));
    /* The hello after the narration is drawn again, on its own. */
    ck_assert_int_eq(count_lines_with(d.out, "ClientHello"), 2);
    ck_assert_str_eq(line_with(d.out, "10:03:00.000"),
                     "10:03:00.000    |---------->|           |           |  "
                     "ClientHello (status_request)");
    /* Order: the step, the group in the order first seen, the refusal, the story. */
    const char *step = strstr(d.out, "visit shop.test"), *hello = strstr(d.out, "×20");
    const char *refuse = strstr(d.out, "REFUSE"), *next = strstr(d.out, "Next.");
    ck_assert(step < hello && hello < refuse && refuse < next);
    drawn_free(&d);
    free(text);
}
END_TEST

/* TLS 1.3: the client concludes before the server logs its side, so the
 * trace holds "chain ok" before the server's Certificate; the ladder draws
 * the Certificate where it was on the wire, right after the ClientHello. */
START_TEST(test_certificate_follows_hello)
{
    /* clang-format off */
    static const char trace[] =
        EV("10:00:00.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.step\","
                           "\"msg\":\"visit shop.test --users 3 --staple off\"")
        EV("10:00:00.010", "\"actor\":\"browser\",\"pid\":5,\"event\":\"tls.client_hello\","
                           "\"msg\":\"m\",\"user\":1,\"addr\":\"127.0.1.1\","
                           "\"status_request\":false")
        EV("10:00:00.020", "\"actor\":\"browser\",\"pid\":5,\"event\":\"tls.handshake.done\","
                           "\"msg\":\"m\",\"user\":1,\"version\":\"TLS 1.3\"")
        EV("10:00:00.021", "\"actor\":\"browser\",\"pid\":5,\"event\":\"ocsp.request.sent\","
                           "\"msg\":\"m\",\"user\":1,\"serial\":\"AB\"")
        EV("10:00:00.022", "\"actor\":\"webserver\",\"pid\":3,\"event\":\"tls.handshake.done\","
                           "\"msg\":\"m\",\"peer\":\"127.0.1.1\",\"version\":\"TLS 1.3\","
                           "\"status_request\":false,\"stapled\":false");
    /* clang-format on */
    struct scn_ladder_options opt = {0};
    struct drawn d;
    draw(trace, sizeof trace - 1, &opt, &d);
    const char *hello = strstr(d.out, "ClientHello"), *cert = strstr(d.out, "Certificate, no");
    const char *done = strstr(d.out, "chain ok"), *ask = strstr(d.out, "OCSP request");
    ck_assert_msg(hello != NULL && cert != NULL && done != NULL && ask != NULL, "%s", d.out);
    ck_assert_msg(hello < cert && cert < done && done < ask, "order:\n%s", d.out);
    drawn_free(&d);
}
END_TEST

/* Concurrent users interleave and the server logs its side last (TLS 1.3):
 * the ladder tells each visit in order (hello, certificate, question,
 * answer, verdict), draws the alike visits once ×N, the different one on its
 * own, visits in the order they started, and no time on the ladder is ever
 * earlier than a time above it. */
START_TEST(test_visits_in_order)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    /* clang-format off */
    fputs(EV("09:59:59.000", "\"actor\":\"scenario\",\"pid\":1,\"event\":\"scenario.step\","
                             "\"msg\":\"visit shop.test --users 3 --staple off\""),
          f);
    /* clang-format on */
    /* Three users start together; each step of theirs is logged in turn. */
    static const char *const steps[] = {
        "\"event\":\"tls.client_hello\",\"status_request\":false",
        "\"event\":\"tls.handshake.done\",\"version\":\"TLS 1.3\"",
        "\"event\":\"ocsp.request.sent\",\"serial\":\"AB\"",
        "\"event\":\"ocsp.response.received\",\"reason\":\"good\"",
        "\"event\":\"browser.verdict\",\"verdict\":\"accept\",\"reason\":\"good\",\"staple\":false",
    };
    for (int step = 0; step < 5; step++) {
        for (int user = 1; user <= 3; user++) {
            const char *third = user == 3 && step == 4 ? "\"event\":\"browser.verdict\","
                                                         "\"verdict\":\"refuse\","
                                                         "\"reason\":\"revoked\",\"staple\":false"
                                                       : steps[step];
            fprintf(f,
                    "{\"ts\":\"2026-11-25T10:00:00.%03dZ\",\"actor\":\"browser\",\"pid\":5,"
                    "\"msg\":\"m\",\"user\":%d,\"addr\":\"127.0.1.%d\",%s}\n",
                    step * 10 + user, user, user, third);
            if (step == 2) /* the responder answers each question */
                fprintf(f,
                        "{\"ts\":\"2026-11-25T10:00:00.%03dZ\",\"actor\":\"responder\","
                        "\"pid\":4,\"event\":\"ocsp.response.sent\",\"msg\":\"m\","
                        "\"serial\":\"AB\",\"requester\":\"browser\",\"client\":\"127.0.1.%d\","
                        "\"status\":\"good\",\"cached\":false}\n",
                        step * 10 + user + 5, user);
        }
    }
    /* The web server logs its three handshakes last. */
    for (int user = 1; user <= 3; user++)
        fprintf(f,
                "{\"ts\":\"2026-11-25T10:00:00.%03dZ\",\"actor\":\"webserver\",\"pid\":3,"
                "\"event\":\"tls.handshake.done\",\"msg\":\"m\",\"peer\":\"127.0.1.%d\","
                "\"version\":\"TLS 1.3\",\"status_request\":false,\"stapled\":false}\n",
                60 + user, user);
    fclose(f);
    struct scn_ladder_options opt = {0};
    struct drawn d;
    draw(text, len, &opt, &d);
    /* Users 1 and 2 are one visit ×2, in order; user 3 is its own. */
    const char *order[] = {"ClientHello (no status_request) ×2",
                           "Certificate, no staple (TLS 1.3) ×2",
                           "chain ok, handshake done ×2",
                           "OCSP request AB ×2",
                           "OCSP good AB",
                           "OCSP answer checked: good ×2",
                           "ACCEPT (good) ×2",
                           "ClientHello (no status_request)\n",
                           "Certificate, no staple (TLS 1.3)\n",
                           "REFUSE (revoked)"};
    const char *at = d.out;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *hit = strstr(at, order[i]);
        ck_assert_msg(hit != NULL, "'%s' missing or out of order in:\n%s", order[i], d.out);
        at = hit + 1;
    }
    /* Times never go back, row after row. */
    char last[16] = "";
    for (const char *line = d.out; *line != 0;) {
        size_t line_len = strcspn(line, "\n");
        if (line_len >= 12 && line[2] == ':' && line[5] == ':') {
            char now[16];
            snprintf(now, sizeof now, "%.12s", line);
            ck_assert_msg(strcmp(now, last) >= 0, "%s after %s in:\n%s", now, last, d.out);
            snprintf(last, sizeof last, "%s", now);
        }
        line += line_len + (line[line_len] == '\n');
    }
    drawn_free(&d);
    free(text);
}
END_TEST

/* Tools such as openssl come from 127.0.0.1, the runner's /stats looks from
 * 127.0.0.2 (left off unless --all); lab users from 127.0.A.B with A >= 1. */
START_TEST(test_not_a_user)
{
    /* clang-format off */
    static const char text[] =
        EV("09:59:59.000", "\"actor\":\"webserver\",\"event\":\"tls.handshake.done\","
                           "\"peer\":\"127.0.0.2\",\"version\":\"TLS 1.3\",\"stapled\":false")
        EV("10:00:00.000", "\"actor\":\"webserver\",\"event\":\"tls.handshake.done\","
                           "\"peer\":\"127.0.0.1\",\"version\":\"TLS 1.3\",\"stapled\":false")
        EV("10:00:01.000", "\"actor\":\"webserver\",\"event\":\"tls.handshake.done\","
                           "\"peer\":\"127.0.0.1\",\"version\":\"TLS 1.3\",\"stapled\":false")
        EV("10:00:02.000", "\"actor\":\"webserver\",\"event\":\"tls.handshake.done\","
                           "\"peer\":\"127.0.1.1\",\"version\":\"TLS 1.3\",\"stapled\":false");
    /* clang-format on */
    struct scn_ladder_options opt = {0};
    struct drawn d;
    draw(text, strlen(text), &opt, &d);
    ck_assert_str_eq(line_with(d.out, "not a lab user"),
                     "10:00:00.000    |           *           |           |  "
                     "TLS with 127.0.0.1 (not a lab user) ×2");
    ck_assert_int_eq(count_lines_with(d.out, "Certificate, no staple"), 1);
    ck_assert_str_eq(line_with(d.out, "Certificate, no staple"),
                     "10:00:02.000    |<----------|           |           |  "
                     "Certificate, no staple (TLS 1.3)");
    ck_assert_int_eq(count_lines_with(d.out, "the runner"), 0);
    drawn_free(&d);
    opt.filter.show_all = true;
    draw(text, strlen(text), &opt, &d);
    ck_assert_str_eq(line_with(d.out, "the runner"),
                     "09:59:59.000    |           *           |           |  "
                     "TLS with 127.0.0.2 (the runner, for /stats)");
    drawn_free(&d);
}
END_TEST

struct collected {
    char text[2048];
    int rows;
};

static void collect_row(const struct scn_ladder_row *row, void *ctx)
{
    struct collected *c = ctx;
    size_t used = strlen(c->text);
    snprintf(c->text + used, sizeof c->text - used, "%d %d>%d %s x%ld @%s\n", (int)row->kind,
             (int)row->from, (int)row->to, row->label, row->count, row->ts);
    c->rows++;
}

static json_t *event_of(const char *line);

/* The rows as the report sees them: each emitted once, in order, collapsed
 * within a step, the held ones only on flush. */
START_TEST(test_rows_api)
{
    static const char *const lines[] = {
        "{\"ts\":\"T1\",\"actor\":\"scenario\",\"event\":\"scenario.step\",\"msg\":\"visit\"}",
        "{\"ts\":\"T2\",\"actor\":\"browser\",\"event\":\"tls.client_hello\",\"user\":1}",
        "{\"ts\":\"T3\",\"actor\":\"browser\",\"event\":\"browser.verdict\",\"user\":1,"
        "\"verdict\":\"accept\",\"reason\":\"good\"}",
        "{\"ts\":\"T4\",\"actor\":\"browser\",\"event\":\"tls.client_hello\",\"user\":2}",
        "{\"ts\":\"T5\",\"actor\":\"browser\",\"event\":\"browser.verdict\",\"user\":2,"
        "\"verdict\":\"accept\",\"reason\":\"good\"}",
        "{\"ts\":\"T6\",\"actor\":\"scenario\",\"event\":\"scenario.say\",\"msg\":\"done\"}",
    };
    struct collected c = {"", 0};
    struct scn_ladder_rows rows;
    scn_ladder_rows_init(&rows, collect_row, &c);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        json_t *ev = event_of(lines[i]);
        struct scn_ladder_row row;
        scn_ladder_row_from_event(ev, &row);
        scn_ladder_rows_add(&rows, &row);
        json_decref(ev);
    }
    /* The last narration is held until the flush. */
    ck_assert_int_eq(c.rows, 3);
    scn_ladder_rows_flush(&rows);
    ck_assert_int_eq(c.rows, 4);
    /* Two alike visits are one, ×2; only its first row has a time. */
    ck_assert_str_eq(c.text, "2 5>5 visit x1 @T1\n"
                             "0 0>1 ClientHello (no status_request) x2 @T2\n"
                             "1 0>0 ACCEPT (good) x2 @\n"
                             "2 5>5 done x1 @T6\n");
    scn_ladder_rows_free(&rows);
}
END_TEST

static json_t *event_of(const char *line)
{
    json_error_t err;
    json_t *ev = json_loads(line, 0, &err);
    ck_assert_msg(ev != NULL, "%s", err.text);
    return ev;
}

START_TEST(test_filters)
{
    static const struct {
        struct scn_ladder_filter filter;
        bool want_hello, want_ca;
    } rows[] = {
        {{NULL, NULL, 0, NULL, NULL, false}, true, true},
        {{"browser", NULL, 0, NULL, NULL, false}, true, false},
        {{"ca", NULL, 0, NULL, NULL, false}, false, true},
        {{"brow", NULL, 0, NULL, NULL, false}, false, false}, /* exact, not a prefix */
        {{NULL, "tls.*", 0, NULL, NULL, false}, true, false},
        {{NULL, "ca.cert.*", 0, NULL, NULL, false}, false, true},
        {{NULL, "*.issued", 0, NULL, NULL, false}, false, true},
        {{NULL, "tls", 0, NULL, NULL, false}, false, false},
        {{NULL, NULL, 3, NULL, NULL, false}, true, false}, /* the CA's event has no user */
        {{NULL, NULL, 4, NULL, NULL, false}, false, false},
        {{NULL, NULL, 0, "2026-11-25T10:00:01", NULL, false}, true, false},
        {{NULL, NULL, 0, "2026-11-25T10:00:00.500Z", NULL, false}, true, false},
        {{NULL, NULL, 0, "2026-11-25", NULL, false}, true, true},
        {{NULL, NULL, 0, "2026-11-26", NULL, false}, false, false},
        {{NULL, NULL, 0, NULL, "2026-11-25T10:00:00", false}, false, true},
        {{NULL, NULL, 0, NULL, "2026-11-25T10:00", false}, true, true}, /* the whole minute */
        {{NULL, NULL, 0, NULL, "2026-11-24", false}, false, false},
        {{NULL, NULL, 0, "2026-11-25T10:00:00.100Z", "2026-11-25T10:00:00.100Z", false},
         false,
         true},
        {{"browser", "tls.*", 3, "2026-11-25", "2026-11-25", false}, true, false},
    };
    json_t *hello = event_of("{\"ts\":\"2026-11-25T10:00:01.000Z\",\"actor\":\"browser\","
                             "\"event\":\"tls.client_hello\",\"user\":3}");
    json_t *issued = event_of("{\"ts\":\"2026-11-25T10:00:00.100Z\",\"actor\":\"ca\","
                              "\"event\":\"ca.cert.issued\"}");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_msg(scn_ladder_filter_match(&rows[i].filter, hello) == rows[i].want_hello,
                      "row %zu, the hello", i);
        ck_assert_msg(scn_ladder_filter_match(&rows[i].filter, issued) == rows[i].want_ca,
                      "row %zu, the CA", i);
    }
    json_decref(hello);
    json_decref(issued);

    /* Through the drawing: only the matching rows appear. */
    struct scn_ladder_options opt = {.filter = {.actor = "responder"}};
    struct drawn d;
    draw(small_trace, strlen(small_trace), &opt, &d);
    ck_assert_int_eq(d.stats.lines, 14);
    ck_assert_int_eq(d.stats.events, 2);
    ck_assert_ptr_nonnull(strstr(d.out, "OCSP good"));
    ck_assert_ptr_nonnull(strstr(d.out, "OCSP revoked"));
    ck_assert_ptr_null(strstr(d.out, "ClientHello"));
    drawn_free(&d);
}
END_TEST

START_TEST(test_json_passthrough)
{
    struct scn_ladder_options opt = {.is_json = true, .filter = {.event_glob = "browser.verdict"}};
    struct drawn d;
    draw(small_trace, strlen(small_trace), &opt, &d);
    ck_assert_int_eq(d.rc, 0);
    ck_assert_int_eq(d.stats.events, 2);
    /* The lines exactly as written, one per line, nothing else. */
    char want[2048] = "";
    const char *s = small_trace;
    while (*s != 0) {
        const char *end = strchr(s, '\n');
        if (strstr(s, "browser.verdict") != NULL && strstr(s, "browser.verdict") < end)
            strncat(want, s, (size_t)(end - s) + 1);
        s = end + 1;
    }
    ck_assert_int_eq(count_lines_with(want, "\n"), 2);
    ck_assert_str_eq(d.out, want);
    drawn_free(&d);

    opt.filter.event_glob = "*";
    draw(small_trace, strlen(small_trace), &opt, &d);
    ck_assert_str_eq(d.out, small_trace);
    drawn_free(&d);
}
END_TEST

START_TEST(test_bad_lines)
{
    /* 1 good, 2 not JSON, 3 overlong, 4 an array, 5 good, 6 missing event,
     * 7 truncated (the writer died mid-line: no newline at the end). */
    size_t long_len = TRACE_MAX_LINE + 100;
    char *text = malloc(long_len + 4096);
    ck_assert_ptr_nonnull(text);
    char *p = text;
    /* clang-format off */
    p += sprintf(p, "%s", EV("10:00:00.000", "\"actor\":\"ca\",\"event\":\"ca.init\","
                                             "\"subject\":\"Lab Root CA\""));
    /* clang-format on */
    p += sprintf(p, "{\"ts\": this is not json\n");
    p += sprintf(p, "{\"ts\":\"2026-11-25T10:00:00.000Z\",\"msg\":\"");
    memset(p, 'x', long_len);
    p += long_len;
    p += sprintf(p, "\"}\n[1,2,3]\n");
    /* clang-format off */
    p += sprintf(p, "%s", EV("10:00:01.000", "\"actor\":\"ca\",\"event\":\"ca.cert.issued\","
                                             "\"serial\":\"01\",\"name\":\"shop.test\""));
    /* clang-format on */
    p += sprintf(p, "{\"ts\":\"2026-11-25T10:00:02.000Z\",\"actor\":\"ca\"}\n");
    p += sprintf(p, "{\"ts\":\"2026-11-25T10:00:03.000Z\",\"actor\":\"ca\",\"ev");
    struct scn_ladder_options opt = {0};
    struct drawn d;
    draw(text, (size_t)(p - text), &opt, &d);
    ck_assert_int_eq(d.rc, 0);
    ck_assert_int_eq(d.stats.lines, 7);
    ck_assert_int_eq(d.stats.skipped, 5);
    ck_assert_int_eq(d.stats.events, 2);
    ck_assert_ptr_nonnull(strstr(d.errs, "trace.jsonl:2: not JSON ("));
    ck_assert_ptr_nonnull(strstr(d.errs, "trace.jsonl:3: longer than 16384 bytes, skipped\n"));
    ck_assert_ptr_nonnull(strstr(d.errs, "trace.jsonl:4: not a trace event"));
    ck_assert_ptr_nonnull(strstr(d.errs, "trace.jsonl:6: not a trace event"));
    ck_assert_ptr_nonnull(strstr(d.errs, "trace.jsonl:7: truncated (no newline at the end"));
    ck_assert_int_eq(count_lines_with(d.errs, "\n"), 5);
    /* The good lines around them are drawn. */
    ck_assert_ptr_nonnull(strstr(d.out, "root 'Lab Root CA' created"));
    ck_assert_ptr_nonnull(strstr(d.out, "issued 01 shop.test"));
    drawn_free(&d);

    /* An overlong last line without a newline, and a last good line without one. */
    p = text;
    memset(p, 'y', long_len);
    p += long_len;
    draw(text, (size_t)(p - text), &opt, &d);
    ck_assert_int_eq(d.stats.lines, 1);
    ck_assert_str_eq(d.errs, "trace.jsonl:1: longer than 16384 bytes, skipped\n");
    drawn_free(&d);
    static const char unterminated[] =
        "{\"ts\":\"2026-11-25T10:00:00.000Z\",\"actor\":\"ca\",\"event\":\"ca.init\"}";
    draw(unterminated, strlen(unterminated), &opt, &d);
    ck_assert_str_eq(d.errs, "");
    ck_assert_int_eq(d.stats.events, 1);
    drawn_free(&d);

    /* A file of nothing but garbage: a bounded report, then the total. */
    p = text;
    for (int i = 0; i < 100; i++)
        p += sprintf(p, "garbage %d\n", i);
    draw(text, (size_t)(p - text), &opt, &d);
    ck_assert_int_eq(d.stats.skipped, 100);
    ck_assert_ptr_nonnull(strstr(d.errs, "trace.jsonl:20: not JSON"));
    ck_assert_ptr_null(strstr(d.errs, "trace.jsonl:21:"));
    ck_assert_ptr_nonnull(strstr(d.errs, "100 bad lines skipped in all"));
    drawn_free(&d);
    free(text);
}
END_TEST

START_TEST(test_width)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char very_long[600];
    memset(very_long, 'w', sizeof very_long - 1);
    very_long[sizeof very_long - 1] = 0;
    fputs(small_trace, f);
    /* Long words, long sentences with UTF-8, unknown actors and events. */
    /* clang-format off */
    fprintf(f, EV("11:00:00.000", "\"actor\":\"scenario\",\"event\":\"scenario.say\","
                                  "\"msg\":\"%s\""),
            very_long);
    for (int i = 0; i < 3; i++)
        fprintf(f, EV("11:00:01.000", "\"actor\":\"scenario\",\"event\":\"scenario.say\","
                                      "\"msg\":\"%s\""),
                "Les étudiants visitent la boutique… encore et encore, et le serveur agrafe "
                "la réponse signée par l'autorité à chaque poignée de main, toute la journée.");
    fprintf(f, EV("11:00:02.000", "\"actor\":\"webserver\",\"event\":\"staple.%s\","
                                  "\"status\":\"%s\",\"next_update\":\"%s\""),
            very_long, very_long, very_long);
    fprintf(f, EV("11:00:03.000", "\"actor\":\"ca\",\"event\":\"ca.cert.issued\","
                                  "\"serial\":\"%s\",\"name\":\"é%s\""),
            very_long, very_long);
    fprintf(f, EV("11:00:04.000", "\"actor\":\"stranger\",\"event\":\"x\",\"msg\":\"%s\""),
            very_long);
    /* clang-format on */
    fprintf(f, "{\"ts\":\"%s\",\"actor\":\"browser\",\"event\":\"%s\"}\n", very_long, very_long);
    fclose(f);
    for (int color = 0; color < 2; color++) {
        struct scn_ladder_options opt = {.has_color = color == 1};
        struct drawn d;
        draw(text, len, &opt, &d);
        ck_assert_int_eq(d.stats.skipped, 0);
        ck_assert_int_le(widest_line(d.out), SCN_LADDER_WIDTH);
        ck_assert_int_ge(widest_line(d.out), 90); /* the long ones were cut, not dropped */
        ck_assert(color == 1 ? strchr(d.out, '\033') != NULL : strchr(d.out, '\033') == NULL);
        drawn_free(&d);
    }
    free(text);
}
END_TEST

/* Bytes a terminal would take for a command: C0 controls but newline, DEL,
 * and C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F). */
static bool has_terminal_controls(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p != 0; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f ||
            (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            return true;
    return false;
}

/* A trace can hold any character JSON can escape: none of its escape
 * sequences (clear the screen, retitle the window, C1 CSI) may reach the
 * terminal, in the rows, the narration, the time column or the messages
 * about bad lines; each control character is shown as '?'. */
START_TEST(test_control_characters)
{
    static const char trace[] =
        "{\"ts\":\"2026-11-25T10:00:00.000Z\",\"actor\":\"scenario\",\"event\":\"scenario.say\","
        "\"msg\":\"say \\u001b[2Jcleared \\u001b]0;title\\u0007 \\u009b31m \\u007f end\"}\n"
        "{\"ts\":\"2026-11-25T10:00:01.000Z\",\"actor\":\"ca\",\"event\":\"ca.init\","
        "\"subject\":\"Root\\u001b[31m\\r\\n\\tCA\"}\n"
        "{\"ts\":\"2026-11-25T\\u001b[2J10:00:02.000Z\",\"actor\":\"browser\","
        "\"event\":\"browser.\\u001b[Kverdict\"}\n"
        "{\"ts\":\"\\u001b[2J\\u001b[2J\\u001b[2J\",\"actor\":\"ca\",\"event\":\"ca.init\"}\n"
        "not json \x1b[2J at all\n"
        "{\"a\":\"\xc2\x9b"
        "2J\x01\"}\n";
    for (int color = 0; color < 2; color++) {
        struct scn_ladder_options opt = {.has_color = color == 1};
        struct drawn d;
        draw(trace, strlen(trace), &opt, &d);
        ck_assert_int_eq(d.rc, 0);
        ck_assert_int_eq(d.stats.events, 4);
        ck_assert_int_eq(d.stats.skipped, 2);
        if (color == 0)
            ck_assert_msg(!has_terminal_controls(d.out), "%s", d.out);
        else
            ck_assert_int_eq(count_lines_with(d.out, "\033[2J"), 0);
        ck_assert_msg(!has_terminal_controls(d.errs), "%s", d.errs);
        ck_assert_ptr_nonnull(strstr(d.out, "say ?[2Jcleared ?]0;title? ?31m ? end"));
        ck_assert_ptr_nonnull(strstr(d.out, "root 'Root?[31m???CA' created"));
        ck_assert_ptr_nonnull(strstr(d.errs, "trace.jsonl:5: not JSON ("));
        drawn_free(&d);
    }
    char text[] = "a\033b\x7f"
                  "c\xc2\x9b"
                  "d\xc2\xa0"
                  "e\xe2\x80\xa6";
    trace_printable(text);
    ck_assert_str_eq(text, "a?b?c?d\xc2\xa0"
                           "e\xe2\x80\xa6");
}
END_TEST

static int stop_calls;
static bool stop_after_two(void)
{
    return ++stop_calls >= 2;
}

/* --follow draws what is there, shows a held row while it waits, does not
 * report a half-written last line, and ends when asked. */
START_TEST(test_follow_stops)
{
    /* clang-format off */
    static const char text[] =
        EV("10:00:00.000", "\"actor\":\"ca\",\"event\":\"ca.init\",\"subject\":\"R\"")
        "{\"ts\":\"2026-11-25T10:00:01.000Z\",\"actor\":\"ca\",\"ev";
    /* clang-format on */
    struct scn_ladder_options opt = {
        .is_follow = true, .poll_ms = 10, .should_stop = stop_after_two};
    struct drawn d;
    stop_calls = 0;
    draw(text, strlen(text), &opt, &d);
    ck_assert_int_eq(d.rc, 0);
    ck_assert_int_ge(stop_calls, 2);
    ck_assert_ptr_nonnull(strstr(d.out, "root 'R' created"));
    ck_assert_str_eq(d.errs, "");
    ck_assert_int_eq(d.stats.lines, 1);
    drawn_free(&d);
}
END_TEST

/* The reader alone: lines in place, line numbers, the overlong skipped. */
START_TEST(test_tracefile)
{
    char text[200];
    memset(text, 'z', sizeof text);
    memcpy(text, "ab\n\n", 4);
    text[150] = '\n';
    memcpy(text + 151, "cd", 2);
    int fd = trace_fd(text, 153);
    struct trace_file tf;
    const char *line = NULL;
    size_t len = 0;
    ck_assert_int_eq(trace_file_open(&tf, fd, 100), 0);
    ck_assert_int_eq(trace_file_next(&tf, true, &line, &len), TRACE_FILE_LINE);
    ck_assert_uint_eq(len, 2);
    ck_assert(memcmp(line, "ab", 2) == 0);
    ck_assert_int_eq(trace_file_next(&tf, true, &line, &len), TRACE_FILE_LINE);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(trace_file_next(&tf, true, &line, &len), TRACE_FILE_TOO_LONG);
    ck_assert_int_eq(tf.line_no, 3);
    ck_assert_int_eq(trace_file_next(&tf, true, &line, &len), TRACE_FILE_UNTERMINATED);
    ck_assert_int_eq(tf.line_no, 4);
    ck_assert(len == 2 && memcmp(line, "cd", 2) == 0);
    ck_assert_int_eq(trace_file_next(&tf, true, &line, &len), TRACE_FILE_END);
    trace_file_free(&tf);
    close(fd);
}
END_TEST

/* 200,000 events of 10,000 stapled visits stream through to a few rows. */
START_TEST(test_large_trace)
{
    char path[] = "/tmp/test-ladder-big-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    FILE *f = fdopen(dup(fd), "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 50000; i++) {
        int user = i % 1000 + 1, s = i % 60;
        fprintf(f,
                "{\"ts\":\"2026-11-25T10:00:%02d.000Z\",\"actor\":\"browser\",\"pid\":5,"
                "\"event\":\"tls.client_hello\",\"msg\":\"User %d asked for a staple.\","
                "\"user\":%d,\"addr\":\"127.0.1.%d\",\"status_request\":true}\n",
                s, user, user, user % 250);
        fprintf(f,
                "{\"ts\":\"2026-11-25T10:00:%02d.001Z\",\"actor\":\"webserver\",\"pid\":3,"
                "\"event\":\"tls.handshake.done\",\"msg\":\"m\",\"peer\":\"127.0.1.%d\","
                "\"version\":\"TLS 1.3\",\"status_request\":true,\"stapled\":true}\n",
                s, user % 250);
        fprintf(f,
                "{\"ts\":\"2026-11-25T10:00:%02d.002Z\",\"actor\":\"browser\",\"pid\":5,"
                "\"event\":\"staple.verify\",\"msg\":\"m\",\"user\":%d,"
                "\"checked_by\":\"lab\",\"reason\":\"good\"}\n",
                s, user);
        fprintf(f,
                "{\"ts\":\"2026-11-25T10:00:%02d.003Z\",\"actor\":\"browser\",\"pid\":5,"
                "\"event\":\"browser.verdict\",\"msg\":\"User %d ACCEPTED shop.test (good).\","
                "\"user\":%d,\"verdict\":\"accept\",\"reason\":\"good\",\"staple\":true}\n",
                s, user, user);
    }
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    struct scn_ladder_options opt = {0};
    struct scn_ladder_stats stats;
    char *out = NULL;
    size_t out_len = 0;
    FILE *mem = open_memstream(&out, &out_len);
    ck_assert_int_eq(scn_ladder_draw(fd, "trace.jsonl", mem, stderr, &opt, &stats), 0);
    fclose(mem);
    close(fd);
    ck_assert_int_eq(stats.lines, 200000);
    ck_assert_int_eq(stats.skipped, 0);
    ck_assert_int_eq(stats.events, 200000);
    ck_assert_int_le(stats.rows, 10);
    ck_assert_ptr_nonnull(strstr(out, "ClientHello (status_request) ×50000"));
    ck_assert_ptr_nonnull(strstr(out, "ACCEPT (good) from the staple ×50000"));
    free(out);
}
END_TEST

Suite *scenario_ladder_suite(void)
{
    Suite *s = suite_create("scenario_ladder");
    TCase *tc = tcase_create("ladder");
    tcase_add_test(tc, test_rows_and_arrows);
    tcase_add_test(tc, test_collapse);
    tcase_add_test(tc, test_certificate_follows_hello);
    tcase_add_test(tc, test_visits_in_order);
    tcase_add_test(tc, test_filters);
    tcase_add_test(tc, test_json_passthrough);
    tcase_add_test(tc, test_bad_lines);
    tcase_add_test(tc, test_width);
    tcase_add_test(tc, test_control_characters);
    tcase_add_test(tc, test_follow_stops);
    tcase_add_test(tc, test_tracefile);
    tcase_add_test(tc, test_not_a_user);
    tcase_add_test(tc, test_rows_api);
    suite_add_tcase(s, tc);
    TCase *big = tcase_create("large");
    tcase_set_timeout(big, 60);
    tcase_add_test(big, test_large_trace);
    suite_add_tcase(s, big);
    return s;
}
