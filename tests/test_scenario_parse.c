/* test_scenario_parse.c — the scenario language (scenarios/parse.c, load.c):
 * every step with its fields, every error with its line, durations,
 * expectation subjects and operators, quoting and comments, the limits on
 * lines and files, titles for --list, and includes resolved from disk. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../scenarios/load.h"
#include "../scenarios/parse.h"
#include "fileio.h"
#include "testutil.h"

/* Four lines that start a CA, a responder and a web server for shop.test. */
#define PRELUDE "ca init\nstart responder\nca issue shop.test\nstart webserver shop.test\n"

static void parse_ok(const char *text, struct scn_script *script)
{
    struct scn_error err;
    int rc = scn_parse(text, strlen(text), script, &err);
    ck_assert_msg(rc == 0, "line %d: %s\n--- in ---\n%s", err.line, err.msg, text);
}

static const struct scn_step *step_at(const struct scn_script *s, size_t i)
{
    ck_assert_msg(i < s->count, "only %zu steps", s->count);
    return s->steps[i];
}

/* The flags handed to the program, joined with spaces. */
static void args_text(const struct scn_step *step, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < step->arg_count && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i == 0 ? "" : " ", scn_step_arg(step, i));
}

static void assert_args(const struct scn_step *step, const char *want)
{
    char got[1024];
    args_text(step, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "line %d: args '%s', want '%s'", step->line, got, want);
}

/* ---- Every step ----------------------------------------------------------------------------- */

static const char every_step[] =
    "# a comment line\n"
    "title \"Every step\"\n"
    "say Hello, class.\n"
    "say \"Quoted # not a comment\"\n"
    "pause\n"
    "ca init --delegate --key rsa --name \"Lab Root CA\"\n"
    "start responder --validity 12h --signer delegate\n"
    "ca issue shop.test --days 30 --must-staple --ocsp-url responder\n"
    "ca issue blog.test --ocsp-url http://127.0.0.1:9/\n"
    "start webserver shop.test --stapling on --tls both\n"
    "start responder as backup --fault slow --delay 2s\n"
    "fault responder trylater\n"
    "fault backup slow 3s\n"
    "advance 1d12h\n"
    "visit shop.test --users 5 --staple off --fallback none --policy hard --tls 1.2 "
    "--concurrency 2\n"
    "watch shop.test --users 2 every 30m for 1d until users refused >= 1\n"
    "save staple shop.test as monday.der\n"
    "forge forged.der about shop.test signed by stranger status revoked\n"
    "check forged.der about shop.test\n"
    "start webserver shop.test as impostor --staple-file monday.der\n"
    "revoke shop.test --reason keyCompromise\n"
    "ca revoke blog.test\n"
    "stop backup\n"
    "restart responder\n"
    "expect window >= 1h\n"
    "expect verdict != good   # a trailing comment\n"
    "\n"
    "   compare   \n"
    "include other.lab\n";

START_TEST(test_every_step)
{
    struct scn_script s;
    parse_ok(every_step, &s);
    ck_assert_str_eq(s.title, "Every step");
    ck_assert_uint_eq(s.count, 27);
    const struct scn_step *t;

    t = step_at(&s, 0);
    ck_assert_int_eq(t->kind, SCN_TITLE);
    ck_assert_int_eq(t->line, 2);
    t = step_at(&s, 1);
    ck_assert_int_eq(t->kind, SCN_SAY);
    ck_assert_str_eq(t->text, "Hello, class.");
    t = step_at(&s, 2);
    ck_assert_str_eq(t->text, "Quoted # not a comment");
    ck_assert_int_eq(step_at(&s, 3)->kind, SCN_PAUSE);
    t = step_at(&s, 4);
    ck_assert_int_eq(t->kind, SCN_CA_INIT);
    assert_args(t, "--delegate --key rsa --name Lab Root CA");
    ck_assert_uint_eq(t->arg_count, 5);
    ck_assert_str_eq(scn_step_arg(t, 4), "Lab Root CA");
    t = step_at(&s, 5);
    ck_assert_int_eq(t->kind, SCN_START);
    ck_assert_int_eq(t->program, SCN_RESPONDER);
    ck_assert_str_eq(t->name, "responder");
    assert_args(t, "--validity 12h --signer delegate");
    t = step_at(&s, 6);
    ck_assert_int_eq(t->kind, SCN_CA_ISSUE);
    ck_assert_str_eq(t->site, "shop.test");
    assert_args(t, "--days 30 --must-staple --ocsp-url responder");
    assert_args(step_at(&s, 7), "--ocsp-url http://127.0.0.1:9/");
    t = step_at(&s, 8);
    ck_assert_int_eq(t->program, SCN_WEBSERVER);
    ck_assert_str_eq(t->name, "shop.test");
    ck_assert_str_eq(t->site, "shop.test");
    assert_args(t, "--stapling on --tls both");
    t = step_at(&s, 9);
    ck_assert_str_eq(t->name, "backup");
    assert_args(t, "--fault slow --delay 2s");
    t = step_at(&s, 10);
    ck_assert_int_eq(t->kind, SCN_FAULT);
    ck_assert_str_eq(t->name, "responder");
    ck_assert_str_eq(t->mode, "trylater");
    ck_assert_str_eq(t->delay, "");
    t = step_at(&s, 11);
    ck_assert_str_eq(t->mode, "slow");
    ck_assert_str_eq(t->delay, "3s");
    t = step_at(&s, 12);
    ck_assert_int_eq(t->kind, SCN_ADVANCE);
    ck_assert_int_eq(t->seconds, 36 * 3600);
    t = step_at(&s, 13);
    ck_assert_int_eq(t->kind, SCN_VISIT);
    ck_assert_str_eq(t->site, "shop.test");
    assert_args(t, "--users 5 --staple off --fallback none --policy hard --tls 1.2 "
                   "--concurrency 2");
    t = step_at(&s, 14);
    ck_assert_int_eq(t->kind, SCN_WATCH);
    ck_assert_int_eq(t->every_seconds, 1800);
    ck_assert_int_eq(t->seconds, 86400);
    ck_assert(t->has_until);
    ck_assert_int_eq(t->cond.subject, SCN_SUBJ_USERS);
    ck_assert_int_eq(t->cond.users, SCN_USERS_REFUSED);
    ck_assert_int_eq(t->cond.op, SCN_OP_GE);
    ck_assert_int_eq(t->cond.number, 1);
    assert_args(t, "--users 2");
    t = step_at(&s, 15);
    ck_assert_int_eq(t->kind, SCN_SAVE_STAPLE);
    ck_assert_str_eq(t->site, "shop.test");
    ck_assert_str_eq(t->file, "monday.der");
    t = step_at(&s, 16);
    ck_assert_int_eq(t->kind, SCN_FORGE);
    ck_assert_str_eq(t->file, "forged.der");
    ck_assert_str_eq(t->signer, "stranger");
    ck_assert_str_eq(t->status, "revoked");
    t = step_at(&s, 17);
    ck_assert_int_eq(t->kind, SCN_CHECK);
    ck_assert_str_eq(t->file, "forged.der");
    t = step_at(&s, 18);
    ck_assert_str_eq(t->name, "impostor");
    assert_args(t, "--staple-file monday.der");
    t = step_at(&s, 19);
    ck_assert_int_eq(t->kind, SCN_CA_REVOKE);
    assert_args(t, "--reason keyCompromise");
    ck_assert_int_eq(step_at(&s, 20)->kind, SCN_CA_REVOKE);
    ck_assert_str_eq(step_at(&s, 20)->site, "blog.test");
    ck_assert_int_eq(step_at(&s, 21)->kind, SCN_STOP);
    ck_assert_int_eq(step_at(&s, 22)->kind, SCN_RESTART);
    t = step_at(&s, 23);
    ck_assert_int_eq(t->cond.subject, SCN_SUBJ_WINDOW);
    ck_assert_int_eq(t->cond.number, 3600);
    ck_assert(t->cond.is_duration);
    t = step_at(&s, 24);
    ck_assert_int_eq(t->cond.subject, SCN_SUBJ_VERDICT);
    ck_assert(t->cond.is_text);
    ck_assert_int_eq(t->cond.op, SCN_OP_NE);
    ck_assert_str_eq(t->cond.text, "good");
    t = step_at(&s, 25);
    ck_assert_int_eq(t->kind, SCN_COMPARE);
    ck_assert_int_eq(t->line, 28);
    ck_assert_str_eq(t->source, "compare");
    t = step_at(&s, 26);
    ck_assert_int_eq(t->kind, SCN_INCLUDE);
    ck_assert_str_eq(t->text, "other.lab");
    ck_assert_ptr_null(t->included);
    ck_assert_int_eq(t->line, 29);
    scn_script_free(&s);
}
END_TEST

/* ---- Every error, with its line ------------------------------------------------------------- */

static const struct error_row {
    const char *text;
    int line;
    const char *says;
} error_rows[] = {
    {"vist shop.test", 1, "unknown step 'vist'"},
    {"ca init\nca init", 2, "already set up"},
    {"ca issue shop.test", 1, "needs the CA"},
    {"ca init\nca issue Shop.Test", 2, "not a DNS name"},
    {"ca init\nca grow", 2, "init, issue, revoke or make a revlist"},
    {"ca revlist as x.der", 1, "needs the CA"},
    {"ca init\nca revlist x.der", 2, "usage: ca revlist as FILE"},
    {"ca init\nca issue shop.test --validity 30s", 2, "not a duration from 60s"},
    {"ca init\nca issue shop.test --crl-url ftp://x", 2, "neither an http:// URL"},
    {PRELUDE "visit shop.test --fallback crls", 5, "is not one of"},
    {PRELUDE "visit shop.test --revlist nowhere.der", 5, "no file 'nowhere.der'"},
    {PRELUDE "visit shop.test --crl-cache ../up", 5, "not a plain name"},
    {PRELUDE "expect responder crl pages == 1", 5, "downloads, bytes or size"},
    {"ca init\nstart responder --lab x", 2, "set by the scenario runner"},
    {"ca init\nstart responder --validity 30s", 2, "not a duration from 60s"},
    {"ca init\nstart responder --signer delegate", 2, "ca init --delegate"},
    {"ca init\nstart responder --fault broken", 2, "is not one of"},
    {"ca init\nstart responder\nstart responder", 3, "already running"},
    {"ca init\nstart database", 2, "start responder, webserver or cache"},
    {PRELUDE "start cache", 5, "'for' is missing"},
    {PRELUDE "start cache in front of responder", 5, "write 'start cache for RESPONDER'"},
    {PRELUDE "start cache for shop.test", 5, "is a web server, not a responder"},
    {PRELUDE "start cache for responder now", 5, "unexpected 'now'"},
    {PRELUDE "start cache for responder\nfault cache slow", 6, "is a cache, not a responder"},
    {PRELUDE "start cache for responder\nvisit cache", 6, "is a cache, not a web server"},
    {PRELUDE "start cache for responder\nexpect cache hitz == 1", 6,
     "a cache counts requests, hits and misses, not 'hitz' (did you mean 'hits'?)"},
    {PRELUDE "start cache for responder\nstart cache for responder", 6, "already running"},
    {PRELUDE "visit shop.test --ocsp put", 5, "is not one of: post get"},
    {"ca init\nstart webserver shop.test", 2, "no certificate for shop.test"},
    {"ca init\nca issue shop.example\nstart webserver shop.example", 3, "must end in .test"},
    {"ca init\nstop responder", 2, "was started before this line"},
    {PRELUDE "stop responder\nstop responder", 6, "stopped at this point"},
    {PRELUDE "restart nothing", 5, "was started before this line"},
    {PRELUDE "stop responder now", 5, "unexpected 'now'"},
    {PRELUDE "visit responder", 5, "is a responder, not a web server"},
    {PRELUDE "visit shop.test --users 0", 5, "not a number from 1 to 1000"},
    {PRELUDE "visit shop.test --users", 5, "needs a value"},
    {PRELUDE "visit shop.test --users 2 --users 3", 5, "given twice"},
    {PRELUDE "visit shop.test --bogus 1", 5, "unknown flag --bogus"},
    {PRELUDE "visit shop.test users", 5, "unexpected 'users'"},
    {PRELUDE "visit shop.test --tls 1.1", 5, "is not one of: 1.2 1.3"},
    {PRELUDE "visit", 5, "the web server to visit is missing"},
    {PRELUDE "fault responder broken", 5, "is not a fault"},
    {PRELUDE "fault responder trylater 2s", 5, "only 'slow' takes a delay"},
    {PRELUDE "fault responder slow 5m", 5, "not a delay up to 120s"},
    {PRELUDE "fault shop.test none", 5, "is a web server, not a responder"},
    {"advance", 1, "how far is missing"},
    {"advance 30m1h", 1, "not a duration"},
    {"advance 0s", 1, "not a duration"},
    {"advance 3651d", 1, "not a duration"},
    {"advance 1h 2h", 1, "unexpected '2h'"},
    {PRELUDE "watch shop.test every 1h", 5, "needs 'every STEP for MAX'"},
    {PRELUDE "watch shop.test every 2h for 1h", 5, "shorter than one step"},
    {PRELUDE "watch shop.test every 1s for 2d", 5, "more than 1000 steps"},
    {PRELUDE "watch shop.test every 1h for 2h until nonsense == 1", 5, "not something to expect"},
    {PRELUDE "watch shop.test every 1h for 2h while users == 1", 5, "unexpected 'while'"},
    {"expect users == 1", 1, "there was none before"},
    {"expect window == 1h", 1, "watch"},
    {"expect verdict == good", 1, "'check' step"},
    {"expect", 1, "what to expect is missing"},
    {PRELUDE "visit shop.test\nexpect users == many", 6, "not a whole number"},
    {PRELUDE "visit shop.test\nexpect users ~ 1", 6, "not an operator"},
    {PRELUDE "visit shop.test\nexpect users ==", 6, "value after '==' is missing"},
    {PRELUDE "visit shop.test\nexpect users", 6, "comparison is missing"},
    {PRELUDE "visit shop.test\nexpect users == 1 2", 6, "unexpected '2' after the value"},
    /* A misspelt word names itself and the word it was probably meant to be. */
    {PRELUDE "visit shop.test\nexpect users acepted == 3", 6,
     "unknown word 'acepted' after 'users' (did you mean 'accepted'?)"},
    {PRELUDE "visit shop.test\nexpect users stappled == 3", 6, "(did you mean 'stapled'?)"},
    {PRELUDE "visit shop.test\nexpect users zebra == 3", 6, "unknown word 'zebra' after 'users': "},
    {PRELUDE "expect responder requets == 1", 5, "not 'requets' (did you mean 'requests'?)"},
    {PRELUDE "expect shop.test fetchs == 1", 5, "(did you mean 'fetches'?)"},
    {PRELUDE "visit shop.test\nexpect users refused because tired == 1", 6, "not a reason"},
    {PRELUDE "watch shop.test every 1h for 2h until users >= 1\nexpect window == soon", 6,
     "not a duration"},
    {PRELUDE "expect responder requests from 127.0.1.256 == 1", 5, "an address like"},
    {PRELUDE "expect responder answers maybe == 1", 5, "answers are good, revoked"},
    {PRELUDE "expect responder handshakes == 1", 5, "a responder counts requests"},
    {PRELUDE "expect shop.test staple >= good", 5, "only be compared with == or !="},
    {PRELUDE "expect shop.test staple == fine", 5, "good, revoked or none"},
    {PRELUDE "expect shop.test staples == 1", 5, "write 'staples sent'"},
    {PRELUDE "expect shop.test bytes == 1", 5, "a web server counts"},
    {PRELUDE "expect trace Bad.Event seen", 5, "not an event name"},
    {PRELUDE "expect trace x.y a=1 b=2 c=3 d=4 e=5 seen", 5, "at most 4"},
    {PRELUDE "save staple shop.test monday.der", 5, "usage: save staple"},
    {PRELUDE "save staple shop.test as ../x", 5, "not a file name"},
    {PRELUDE "forge f.der about shop.test signed by delegate", 5, "needs 'ca init --delegate'"},
    {PRELUDE "forge f.der about shop.test signed by nobody.test", 5,
     "no certificate for nobody.test"},
    {PRELUDE "forge f.der about shop.test signed by ca status fine", 5, "usage: forge"},
    {PRELUDE "check nothing.der about shop.test", 5, "no file 'nothing.der'"},
    {PRELUDE "start webserver shop.test as x --staple-file nothing.der", 5,
     "no file 'nothing.der'"},
    {"say \"fine\"\nca init --name \"unterminated", 2, "not closed"},
    {"compare now", 1, "unexpected 'now'"},
    {"title A\ntitle B", 2, "one title"},
    {"title", 1, "title is empty"},
    {PRELUDE "start responder as users", 5, "word of the language"},
    {PRELUDE "start webserver shop.test as responder", 5, "already names a responder"},
    {PRELUDE "stop shop.test\nca issue blog.test\nstart webserver blog.test as shop.test", 7,
     "served shop.test before"},
    {"include", 1, "the file is missing"},
    {"include a.lab b.lab", 1, "unexpected 'b.lab'"},
    {"say one\n\x01", 2, "control character"},
    {"say caf\xc3", 1, "not UTF-8"},
    {"say \xed\xa0\x80", 1, "not UTF-8"},
    {"ca init --ocsp-url ftp://x", 1, "neither an http:// URL nor a responder"},
    {PRELUDE "ca issue blog.test --days 0", 5, "not a number from 1 to 3650"},
    {PRELUDE "ca issue blog.test --must-staple=yes", 5, "takes no value"},
    {PRELUDE "revoke blog.test", 5, "no certificate for blog.test"},
    {PRELUDE "revoke shop.test --reason tired", 5, "is not one of"},
};

START_TEST(test_errors)
{
    const struct error_row *row = &error_rows[_i];
    struct scn_script s;
    struct scn_error err;
    int rc = scn_parse(row->text, strlen(row->text), &s, &err);
    ck_assert_msg(rc == -1, "accepted:\n%s", row->text);
    ck_assert_msg(err.line == row->line && strstr(err.msg, row->says) != NULL,
                  "line %d '%s', want line %d with '%s'\n--- in ---\n%s", err.line, err.msg,
                  row->line, row->says, row->text);
    ck_assert_uint_eq(s.count, 0); /* nothing half-parsed is handed back */
    ck_assert_ptr_null(s.steps);
}
END_TEST

/* ---- The cache ------------------------------------------------------------------------------ */

START_TEST(test_cache_steps)
{
    static const char text[] = PRELUDE "start cache for responder\n"
                                       "ca issue blog.test --ocsp-url cache\n"
                                       "visit shop.test --users 3 --staple off --ocsp get\n"
                                       "expect cache hits GET >= 2\n"
                                       "expect cache requests == 3\n"
                                       "stop cache\n"
                                       "start cache for responder as edge\n";
    struct scn_script s;
    parse_ok(text, &s);
    const struct scn_step *t = step_at(&s, 4);
    ck_assert_int_eq(t->kind, SCN_START);
    ck_assert_int_eq(t->program, SCN_CACHE);
    ck_assert_str_eq(t->name, "cache");
    ck_assert_str_eq(t->upstream, "responder");
    assert_args(step_at(&s, 5), "--ocsp-url cache");
    assert_args(step_at(&s, 6), "--users 3 --staple off --ocsp get");
    t = step_at(&s, 7);
    ck_assert_int_eq(t->cond.subject, SCN_SUBJ_CACHE);
    ck_assert_str_eq(t->cond.target, "cache");
    ck_assert_str_eq(t->cond.detail, "hits GET");
    ck_assert_int_eq(t->cond.number, 2);
    ck_assert_str_eq(step_at(&s, 8)->cond.detail, "requests");
    ck_assert_int_eq(step_at(&s, 9)->program, SCN_CACHE);
    t = step_at(&s, 10);
    ck_assert_str_eq(t->name, "edge");
    ck_assert_str_eq(scn_program_noun(t->program), "cache");
    scn_script_free(&s);
}
END_TEST

/* ---- Limits --------------------------------------------------------------------------------- */

START_TEST(test_limits)
{
    struct scn_script s;
    struct scn_error err;
    size_t big = SCN_MAX_FILE_BYTES + 1;
    char *text = malloc(big + 1);
    ck_assert_ptr_nonnull(text);

    /* a line one byte too long, on line 3 */
    memset(text, 0, big + 1);
    strcpy(text, "say a\nsay b\nsay ");
    memset(text + strlen(text), 'x', SCN_MAX_LINE - 3);
    ck_assert_int_eq(scn_parse(text, strlen(text), &s, &err), -1);
    ck_assert_int_eq(err.line, 3);
    ck_assert_msg(strstr(err.msg, "longer than") != NULL, "%s", err.msg);
    /* exactly the limit is fine */
    text[strlen(text) - 1] = 0;
    ck_assert_int_eq(scn_parse(text, strlen(text), &s, &err), 0);
    scn_script_free(&s);

    /* a file over the limit: refused before any line is read */
    memset(text, '\n', big);
    ck_assert_int_eq(scn_parse(text, big, &s, &err), -1);
    ck_assert_int_eq(err.line, 0);
    ck_assert_msg(strstr(err.msg, "larger than") != NULL, "%s", err.msg);

    /* too many steps */
    size_t n = 0;
    for (int i = 0; i <= SCN_MAX_STEPS; i++)
        n += (size_t)sprintf(text + n, "say %d\n", i);
    ck_assert_int_eq(scn_parse(text, n, &s, &err), -1);
    ck_assert_int_eq(err.line, SCN_MAX_STEPS + 1);

    /* a NUL byte inside a line */
    memcpy(text, "say a\0b\n", 8);
    ck_assert_int_eq(scn_parse(text, 8, &s, &err), -1);
    ck_assert_int_eq(err.line, 1);

    /* too many words */
    n = (size_t)sprintf(text, "compare");
    for (int i = 0; i < SCN_MAX_TOKENS; i++)
        n += (size_t)sprintf(text + n, " w");
    ck_assert_int_eq(scn_parse(text, n, &s, &err), -1);
    ck_assert_msg(strstr(err.msg, "too many words") != NULL, "%s", err.msg);

    /* too many flags for one program */
    n = (size_t)sprintf(text, "ca init\nstart responder");
    for (int i = 0; i < SCN_MAX_ARGS; i++)
        n += (size_t)sprintf(text + n, " --validity 1h");
    ck_assert_int_eq(scn_parse(text, n, &s, &err), -1);
    ck_assert_int_eq(err.line, 2);
    free(text);
}
END_TEST

START_TEST(test_text_forms)
{
    struct scn_script s;
    /* CRLF, tabs, blank lines, UTF-8, a quote inside a word, escapes, '#' inside a word */
    parse_ok("\r\n\tsay  Ça marche — 24 h\t\r\n"
             "say \"  spaced  \"\n"
             "ca init --name \"Lab \\\"Root\\\" CA\"\n"
             "start responder\n"
             "ca issue shop.test --ocsp-url http://127.0.0.1:9/#frag\n"
             "start webserver shop.test\n"
             "visit shop.test\n"
             "expect trace staple.verify signer=\"Lab OCSP Signer\" reason=good seen\n"
             "expect trace staple.expired not seen\n",
             &s);
    ck_assert_str_eq(step_at(&s, 0)->text, "Ça marche — 24 h");
    ck_assert_int_eq(step_at(&s, 0)->line, 2);
    ck_assert_str_eq(step_at(&s, 1)->text, "  spaced  ");
    ck_assert_str_eq(scn_step_arg(step_at(&s, 2), 1), "Lab \"Root\" CA");
    ck_assert_str_eq(scn_step_arg(step_at(&s, 4), 1), "http://127.0.0.1:9/#frag");
    const struct scn_condition *c = &step_at(&s, 7)->cond;
    ck_assert_int_eq(c->subject, SCN_SUBJ_TRACE);
    ck_assert_str_eq(c->detail, "staple.verify");
    ck_assert_uint_eq(c->filter_count, 2);
    ck_assert_str_eq(c->filters[0].field, "signer");
    ck_assert_str_eq(c->filters[0].value, "Lab OCSP Signer");
    ck_assert_int_eq(c->op, SCN_OP_GE);
    ck_assert_int_eq(c->number, 1);
    c = &step_at(&s, 8)->cond;
    ck_assert_int_eq(c->op, SCN_OP_EQ);
    ck_assert_int_eq(c->number, 0);
    scn_script_free(&s);

    /* an empty file and a file of comments are empty scenarios */
    parse_ok("", &s);
    ck_assert_uint_eq(s.count, 0);
    parse_ok("# only\n   # comments\n", &s);
    ck_assert_uint_eq(s.count, 0);
    scn_script_free(&s);
}
END_TEST

/* ---- Durations ------------------------------------------------------------------------------ */

static const struct duration_row {
    const char *text;
    int64_t seconds; /* -1: refused */
} duration_rows[] = {
    {"1", 1},          {"90s", 90},
    {"15m", 900},      {"13h", 13 * 3600},
    {"2d", 2 * 86400}, {"1d12h", 36 * 3600},
    {"1h30m", 5400},   {"3650d", 3650LL * 86400},
    {"0", -1},         {"0s", -1},
    {"30m1h", -1},     {"1h1h", -1},
    {"-1h", -1},       {"1w", -1},
    {"h", -1},         {"3651d", -1},
    {"1.5h", -1},      {"99999999999999999999s", -1},
};

START_TEST(test_durations)
{
    const struct duration_row *row = &duration_rows[_i];
    char text[128];
    struct scn_script s;
    struct scn_error err;
    snprintf(text, sizeof text, "advance %s\n", row->text);
    int rc = scn_parse(text, strlen(text), &s, &err);
    if (row->seconds < 0) {
        ck_assert_msg(rc == -1, "accepted %s", row->text);
        ck_assert_int_eq(err.line, 1);
        return;
    }
    ck_assert_msg(rc == 0, "%s: %s", row->text, err.msg);
    ck_assert_int_eq(step_at(&s, 0)->seconds, row->seconds);
    scn_script_free(&s);
}
END_TEST

/* ---- Expectations: subjects and operators --------------------------------------------------- */

START_TEST(test_operators)
{
    static const struct {
        const char *text;
        enum scn_op op;
        bool holds_1_1, holds_2_1, holds_1_2;
    } rows[] = {
        {"==", SCN_OP_EQ, true, false, false}, {"=", SCN_OP_EQ, true, false, false},
        {"!=", SCN_OP_NE, false, true, true},  {">=", SCN_OP_GE, true, true, false},
        {"<=", SCN_OP_LE, true, false, true},  {">", SCN_OP_GT, false, true, false},
        {"<", SCN_OP_LT, false, false, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        enum scn_op op;
        ck_assert_int_eq(scn_op_parse(rows[i].text, &op), 0);
        ck_assert_int_eq(op, rows[i].op);
        ck_assert(scn_op_holds(op, 1, 1) == rows[i].holds_1_1);
        ck_assert(scn_op_holds(op, 2, 1) == rows[i].holds_2_1);
        ck_assert(scn_op_holds(op, 1, 2) == rows[i].holds_1_2);
        if (strcmp(rows[i].text, "=") != 0)
            ck_assert_str_eq(scn_op_text(op), rows[i].text);
    }
    static const char *const bad[] = {"===", "=<", "=>", "<>", "~", "", "is"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum scn_op op;
        ck_assert_msg(scn_op_parse(bad[i], &op) == -1, "accepted '%s'", bad[i]);
    }
}
END_TEST

static const struct subject_row {
    const char *line;
    enum scn_subject subject;
    const char *target, *detail;
    enum scn_users_filter users;
    enum scn_op op;
    int64_t number;
    const char *text; /* NULL for numbers */
} subject_rows[] = {
    {"expect responder requests == 20", SCN_SUBJ_REQUESTS, "responder", "", 0, SCN_OP_EQ, 20, NULL},
    {"expect responder requests from browser >= 1", SCN_SUBJ_REQUESTS, "responder", "browser", 0,
     SCN_OP_GE, 1, NULL},
    {"expect responder requests from webserver <= 2", SCN_SUBJ_REQUESTS, "responder", "webserver",
     0, SCN_OP_LE, 2, NULL},
    {"expect responder requests from 127.0.1.3 = 1", SCN_SUBJ_REQUESTS, "responder", "127.0.1.3", 0,
     SCN_OP_EQ, 1, NULL},
    {"expect responder clients != 0", SCN_SUBJ_CLIENTS, "responder", "", 0, SCN_OP_NE, 0, NULL},
    {"expect responder answers revoked < 2", SCN_SUBJ_ANSWERS, "responder", "revoked", 0, SCN_OP_LT,
     2, NULL},
    {"expect responder crl downloads == 20", SCN_SUBJ_CRL, "responder", "downloads", 0, SCN_OP_EQ,
     20, NULL},
    {"expect responder crl size >= 650", SCN_SUBJ_CRL, "responder", "size", 0, SCN_OP_GE, 650,
     NULL},
    {"expect users accepted because short-lived == 20", SCN_SUBJ_USERS, "", "short-lived",
     SCN_USERS_ACCEPTED, SCN_OP_EQ, 20, NULL},
    {"expect users refused because unreachable == 3", SCN_SUBJ_USERS, "", "unreachable",
     SCN_USERS_REFUSED, SCN_OP_EQ, 3, NULL},
    {"expect shop.test handshakes > 0", SCN_SUBJ_HANDSHAKES, "shop.test", "", 0, SCN_OP_GT, 0,
     NULL},
    {"expect shop.test staples sent <= 5", SCN_SUBJ_STAPLES_SENT, "shop.test", "", 0, SCN_OP_LE, 5,
     NULL},
    {"expect shop.test fetches == 1", SCN_SUBJ_FETCHES, "shop.test", "", 0, SCN_OP_EQ, 1, NULL},
    {"expect shop.test staple == good", SCN_SUBJ_STAPLE, "shop.test", "", 0, SCN_OP_EQ, 0, "good"},
    {"expect shop.test staple != none", SCN_SUBJ_STAPLE, "shop.test", "", 0, SCN_OP_NE, 0, "none"},
    {"expect users == 3", SCN_SUBJ_USERS, "", "", SCN_USERS_ALL, SCN_OP_EQ, 3, NULL},
    {"expect users accepted == 3", SCN_SUBJ_USERS, "", "", SCN_USERS_ACCEPTED, SCN_OP_EQ, 3, NULL},
    {"expect users refused because revoked == 3", SCN_SUBJ_USERS, "", "revoked", SCN_USERS_REFUSED,
     SCN_OP_EQ, 3, NULL},
    {"expect users because soft-fail >= 1", SCN_SUBJ_USERS, "", "soft-fail", SCN_USERS_ALL,
     SCN_OP_GE, 1, NULL},
    {"expect users stapled == 3", SCN_SUBJ_USERS_STAPLED, "", "", 0, SCN_OP_EQ, 3, NULL},
    {"expect users asked == 0", SCN_SUBJ_USERS_ASKED, "", "", 0, SCN_OP_EQ, 0, NULL},
    {"expect trace staple.fetch.ok seen", SCN_SUBJ_TRACE, "", "staple.fetch.ok", 0, SCN_OP_GE, 1,
     NULL},
    {"expect trace browser.verdict verdict=refuse user=3 == 2", SCN_SUBJ_TRACE, "",
     "browser.verdict", 0, SCN_OP_EQ, 2, NULL},
};

START_TEST(test_subjects)
{
    const struct subject_row *row = &subject_rows[_i];
    char text[512];
    struct scn_script s;
    snprintf(text, sizeof text, PRELUDE "visit shop.test\n%s\n", row->line);
    parse_ok(text, &s);
    const struct scn_condition *c = &step_at(&s, 5)->cond;
    ck_assert_int_eq(step_at(&s, 5)->kind, SCN_EXPECT);
    ck_assert_int_eq(c->subject, row->subject);
    ck_assert_str_eq(c->target, row->target);
    ck_assert_str_eq(c->detail, row->detail);
    ck_assert_int_eq(c->users, row->users);
    ck_assert_int_eq(c->op, row->op);
    if (row->text != NULL) {
        ck_assert(c->is_text);
        ck_assert_str_eq(c->text, row->text);
    } else {
        ck_assert(!c->is_text);
        ck_assert_int_eq(c->number, row->number);
    }
    scn_script_free(&s);
}
END_TEST

/* Names of the language: sites, plain names, reasons. */
START_TEST(test_names)
{
    ck_assert(scn_is_site_name("shop.test"));
    ck_assert(scn_is_site_name("a-b.c0.test"));
    ck_assert(!scn_is_site_name("Shop.test"));
    ck_assert(!scn_is_site_name(".test"));
    ck_assert(!scn_is_site_name("shop..test"));
    ck_assert(!scn_is_site_name("shop.test."));
    ck_assert(!scn_is_site_name(""));
    ck_assert(scn_is_plain_name("monday.der"));
    ck_assert(scn_is_plain_name("bank-stripper_2"));
    ck_assert(!scn_is_plain_name("../x"));
    ck_assert(!scn_is_plain_name("a/b"));
    ck_assert(!scn_is_plain_name(".hidden"));
    ck_assert(!scn_is_plain_name("-flag"));
    ck_assert(scn_is_reason("untrusted-signer"));
    ck_assert(scn_is_reason("soft-fail"));
    ck_assert(!scn_is_reason("Good"));
    ck_assert_str_eq(scn_step_kind_name(SCN_SAVE_STAPLE), "save staple");
}
END_TEST

START_TEST(test_peek_title)
{
    char title[128];
    static const char text[] = "# lesson\n\n  title   \"A day passes\"  \nsay x\n";
    scn_peek_title(text, strlen(text), title, sizeof title);
    ck_assert_str_eq(title, "A day passes");
    scn_peek_title("say no title\n", 13, title, sizeof title);
    ck_assert_str_eq(title, "");
    scn_peek_title("titles are not titles\n", 22, title, sizeof title);
    ck_assert_str_eq(title, "");
    /* a title longer than the buffer is cut, never overrun */
    scn_peek_title("title 0123456789\n", 17, title, 5);
    ck_assert_str_eq(title, "0123");
}
END_TEST

/* ---- Loading from disk: includes ------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    struct errbuf err = {{0}};
    ck_assert_int_eq(file_path_join(path, sizeof path, dir, name), 0);
    ck_assert_msg(file_write_atomic(path, text, strlen(text), 0644, &err) == 0, "%s", err.msg);
}

/* Lesson 9's new words: a revlist file made and used, CRL flags, --validity. */
START_TEST(test_revocation_ways)
{
    struct scn_script s;
    parse_ok("ca init\nstart responder --crl-validity 24h\nca issue shop.test --validity 6d "
             "--crl-url http://127.0.0.1:9/crl\nstart webserver shop.test --stapling off\n"
             "ca revlist as monday.der\n"
             "visit shop.test --fallback crl --crl-cache shared\n"
             "visit shop.test --staple off --fallback none --revlist monday.der\n",
             &s);
    ck_assert_int_eq(step_at(&s, 4)->kind, SCN_CA_REVLIST);
    ck_assert_str_eq(step_at(&s, 4)->file, "monday.der");
    ck_assert_str_eq(scn_step_kind_name(SCN_CA_REVLIST), "ca revlist");
    assert_args(step_at(&s, 2), "--validity 6d --crl-url http://127.0.0.1:9/crl");
    assert_args(step_at(&s, 6), "--staple off --fallback none --revlist monday.der");
    scn_script_free(&s);
}
END_TEST

START_TEST(test_load_includes)
{
    char *dir = test_tmpdir();
    char path[4096];
    struct scn_script s;
    struct scn_load_error err;
    ck_assert_int_eq(file_path_join(path, sizeof path, dir, "sub"), 0);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    write_file(dir, "sub/part.lab", "title \"A part\"\nsay inside\n");
    write_file(dir, "play.lab", "title Playlist\ninclude sub/part.lab\ncompare\n");
    ck_assert_int_eq(file_path_join(path, sizeof path, dir, "play.lab"), 0);
    ck_assert_msg(scn_load_file(path, &s, &err) == 0, "%s:%d: %s", err.path, err.line, err.msg);
    ck_assert_str_eq(s.stem, "play");
    ck_assert_str_eq(s.path, path);
    const struct scn_step *inc = step_at(&s, 1);
    ck_assert_ptr_nonnull(inc->included);
    ck_assert_str_eq(inc->included->title, "A part");
    ck_assert_str_eq(inc->included->stem, "part");
    ck_assert_uint_eq(inc->included->count, 2);
    scn_script_free(&s);

    /* a mistake inside an included file names that file and its line */
    write_file(dir, "sub/part.lab", "say fine\nvisit\n");
    ck_assert_int_eq(scn_load_file(path, &s, &err), -1);
    ck_assert_int_eq(err.line, 2);
    ck_assert_msg(strstr(err.path, "sub/part.lab") != NULL, "%s", err.path);

    /* a missing include names the include line */
    write_file(dir, "play.lab", "say one\ninclude nowhere.lab\n");
    ck_assert_int_eq(scn_load_file(path, &s, &err), -1);
    ck_assert_int_eq(err.line, 2);
    ck_assert_msg(strstr(err.path, "play.lab") != NULL, "%s", err.path);
    ck_assert_msg(strstr(err.msg, "cannot include nowhere.lab") != NULL, "%s", err.msg);

    /* a file that includes itself stops at the depth limit */
    write_file(dir, "play.lab", "include play.lab\n");
    ck_assert_int_eq(scn_load_file(path, &s, &err), -1);
    ck_assert_msg(strstr(err.msg, "nest more than") != NULL, "%s", err.msg);

    /* a missing file */
    ck_assert_int_eq(file_path_join(path, sizeof path, dir, "absent.lab"), 0);
    ck_assert_int_eq(scn_load_file(path, &s, &err), -1);
    ck_assert_int_eq(err.line, 0);

    char stem[64];
    scn_load_stem("scenarios/lessons/01-without-stapling.lab", stem, sizeof stem);
    ck_assert_str_eq(stem, "01-without-stapling");
    scn_load_stem("odd name$.txt", stem, sizeof stem);
    ck_assert_str_eq(stem, "odd_name_.txt");
    scn_load_stem(".lab", stem, sizeof stem);
    ck_assert_str_eq(stem, "_lab");
    test_rmtree(dir);
    free(dir);
}
END_TEST

Suite *scenario_parse_suite(void)
{
    Suite *s = suite_create("scenario_parse");
    TCase *tc = tcase_create("language");
    tcase_add_test(tc, test_every_step);
    tcase_add_test(tc, test_cache_steps);
    tcase_add_loop_test(tc, test_errors, 0, sizeof error_rows / sizeof error_rows[0]);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_text_forms);
    tcase_add_loop_test(tc, test_durations, 0, sizeof duration_rows / sizeof duration_rows[0]);
    tcase_add_test(tc, test_operators);
    tcase_add_loop_test(tc, test_subjects, 0, sizeof subject_rows / sizeof subject_rows[0]);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_peek_title);
    tcase_add_test(tc, test_load_includes);
    tcase_add_test(tc, test_revocation_ways);
    suite_add_tcase(s, tc);
    return s;
}
