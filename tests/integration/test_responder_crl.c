/* test_responder_crl.c — the real responder's GET /crl over loopback: the
 * CRL OpenSSL verifies, its type and caching headers up to nextUpdate, a
 * new CRL the moment `ca revoke` commits, /stats counting CRL downloads and
 * bytes apart from OCSP, a trace line per download with the client's
 * address, and the faults that make a distribution point slow or broken. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crl.h"
#include "curl_run.h"
#include "proc.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 20000

static char *lab;
static struct proc responder = PROC_INIT;
static char base_url[64];

static void start_responder(const char *const extra[])
{
    const char *argv[16] = {test_bin("responder"), "--lab", lab, "--listen", "127.0.0.1:0"};
    size_t argc = 5;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    char line[128];
    ck_assert_int_eq(proc_start(&responder, argv), 0);
    ck_assert_msg(proc_wait_line(&responder, RUN_TIMEOUT_MS, line, sizeof line) == 0,
                  "the responder did not start");
    const char *addr = strstr(line, "127.0.0.1:");
    ck_assert_ptr_nonnull(addr);
    snprintf(base_url, sizeof base_url, "http://%s", addr);
}

static void setup(void)
{
    test_scratch_enter("responder_crl");
    lab = test_tmpdir();
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "init", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", "shop.test", NULL));
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "issue", "mail.test", NULL));
}

static void teardown(void)
{
    proc_free(&responder);
    test_rmtree(lab);
    free(lab);
    lab = NULL;
    test_scratch_leave();
}

static void get_crl(struct curl_reply *reply, const char *source_addr)
{
    char url[128];
    snprintf(url, sizeof url, "%s/crl", base_url);
    const char *options[] = {"--interface", source_addr, NULL};
    curl_run(reply, url, source_addr != NULL ? options : NULL);
    ck_assert_int_eq(reply->curl_exit, 0);
}

/* Writes the body to LAB/NAME and returns `openssl crl -text` of it, checked. */
static char *openssl_crl_text(const struct curl_reply *reply, const char *name)
{
    char path[4096], root[4096];
    snprintf(path, sizeof path, "%s/%s", lab, name);
    snprintf(root, sizeof root, "%s/ca/root.pem", lab);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(reply->body, 1, reply->body_len, f), reply->body_len);
    fclose(f);
    const char *argv[] = {"openssl", "crl", "-inform", "DER",   "-in", path,
                          "-CAfile", root,  "-noout",  "-text", NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, RUN_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0 && test_contains(run.err, "verify OK"), "openssl crl: %s%s",
                  run.out, run.err);
    char *text = run.out;
    run.out = NULL;
    test_run_free(&run);
    return text;
}

static json_t *get_stats(void)
{
    char url[128];
    struct curl_reply reply;
    snprintf(url, sizeof url, "%s/stats", base_url);
    curl_run(&reply, url, NULL);
    ck_assert_int_eq(reply.status, 200);
    json_t *stats = json_loadb((const char *)reply.body, reply.body_len, 0, NULL);
    ck_assert_ptr_nonnull(stats);
    curl_reply_free(&reply);
    return stats;
}

START_TEST(test_crl_served_and_remade_on_revoke)
{
    start_responder(NULL);
    struct curl_reply reply;
    get_crl(&reply, "127.0.1.7");
    ck_assert_int_eq(reply.status, 200);
    ck_assert_msg(test_contains(reply.headers, "Content-Type: application/pkix-crl"), "%s",
                  reply.headers);
    ck_assert_msg(test_contains(reply.headers, "ETag: \"") &&
                      test_contains(reply.headers, "Last-Modified: ") &&
                      test_contains(reply.headers, "Expires: "),
                  "%s", reply.headers);
    /* Up to nextUpdate, a week by default: between 6 and 7 days of max-age. */
    const char *age = strstr(reply.headers, "max-age=");
    ck_assert_ptr_nonnull(age);
    long max_age = strtol(age + 8, NULL, 10);
    ck_assert_msg(max_age > 6 * 86400 && max_age <= 7 * 86400, "max-age %ld", max_age);
    char *text = openssl_crl_text(&reply, "first.der");
    ck_assert_msg(!test_contains(text, "Serial Number:"), "a revoked entry too soon: %s", text);
    free(text);
    size_t first_len = reply.body_len;
    curl_reply_free(&reply);

    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "revoke", "shop.test", "--reason", "keyCompromise", NULL));
    get_crl(&reply, "127.0.1.8");
    text = openssl_crl_text(&reply, "second.der");
    ck_assert_msg(test_count_of(text, "Serial Number:") == 1 &&
                      test_contains(text, "Key Compromise"),
                  "the revocation is not in the next CRL: %s", text);
    free(text);
    size_t second_len = reply.body_len;
    ck_assert_uint_gt(second_len, first_len);
    curl_reply_free(&reply);

    /* The same CRL again, unchanged (served from memory, same bytes). */
    struct curl_reply again;
    get_crl(&reply, "127.0.1.8");
    get_crl(&again, "127.0.1.9");
    ck_assert(reply.body_len == again.body_len &&
              memcmp(reply.body, again.body, reply.body_len) == 0);
    curl_reply_free(&reply);
    curl_reply_free(&again);

    json_t *stats = get_stats();
    json_t *crl = json_object_get(stats, "crl");
    ck_assert_int_eq(json_integer_value(json_object_get(crl, "downloads")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(crl, "bytes")),
                     (json_int_t)(first_len + 3 * second_len));
    json_t *by_client = json_object_get(crl, "by_client");
    ck_assert_int_eq(json_integer_value(json_object_get(by_client, "127.0.1.8")), 2);
    /* Apart from OCSP: no OCSP request was counted. */
    ck_assert_int_eq(json_integer_value(json_object_get(stats, "requests")), 0);
    json_decref(stats);

    char trace_path[4096];
    snprintf(trace_path, sizeof trace_path, "%s/trace.jsonl", lab);
    char *trace = test_read_text(trace_path);
    ck_assert_uint_eq(test_count_of(trace, "\"event\":\"crl.served\""), 4);
    ck_assert_uint_eq(test_count_of(trace, "\"event\":\"crl.signed\""), 2);
    ck_assert_msg(test_contains(trace, "\"client\":\"127.0.1.7\""), "%s", trace);
    free(trace);
}
END_TEST

START_TEST(test_crl_faults)
{
    const char *stale[] = {"--fault", "stale", NULL};
    start_responder(stale);
    struct curl_reply reply;
    get_crl(&reply, NULL);
    char *text = openssl_crl_text(&reply, "stale.der");
    free(text);
    /* Signed, but its nextUpdate already past (no clock file: real time). */
    struct crl crl;
    struct errbuf err = {{0}};
    ck_assert_msg(crl_parse(&crl, reply.body, reply.body_len, &err) == 0, "%s", err.msg);
    ck_assert(crl.has_next_update && crl.next_update < (int64_t)time(NULL));
    curl_reply_free(&reply);
    proc_stop(&responder, 2000);
    proc_free(&responder);

    const char *garbage[] = {"--fault", "garbage", NULL};
    start_responder(garbage);
    get_crl(&reply, NULL);
    ck_assert_int_eq(reply.status, 200);
    ck_assert_msg(test_contains((const char *)reply.body, "not a") ||
                      test_contains((const char *)reply.body, "502"),
                  "%s", reply.body);
    curl_reply_free(&reply);

    char url[128];
    snprintf(url, sizeof url, "%s/crl", base_url);
    const char *post[] = {"-X", "POST", NULL};
    curl_run(&reply, url, post);
    ck_assert_int_eq(reply.status, 405);
    curl_reply_free(&reply);
}
END_TEST

/* A change the stale fault's CRL noticed first must still reach the next
 * normal CRL: the database changed once, and the cached CRL is out of date. */
START_TEST(test_change_seen_during_stale_fault)
{
    start_responder(NULL);
    unsigned port = (unsigned)strtoul(strrchr(base_url, ':') + 1, NULL, 10);
    struct curl_reply reply;
    get_crl(&reply, NULL);
    curl_reply_free(&reply);
    curl_control_fault(lab, port, "stale", &reply);
    ck_assert_int_eq(reply.status, 200);
    curl_reply_free(&reply);
    free(test_ca_ok(RUN_TIMEOUT_MS, lab, "revoke", "mail.test", NULL));
    get_crl(&reply, NULL); /* the stale one, made after the change */
    curl_reply_free(&reply);
    curl_control_fault(lab, port, "none", &reply);
    curl_reply_free(&reply);
    get_crl(&reply, NULL);
    char *text = openssl_crl_text(&reply, "after.der");
    ck_assert_msg(test_count_of(text, "Serial Number:") == 1, "the revocation is missing: %s",
                  text);
    free(text);
    curl_reply_free(&reply);
}
END_TEST

Suite *responder_crl_suite(void);
Suite *responder_crl_suite(void)
{
    Suite *s = suite_create("responder_crl");
    TCase *tc = tcase_create("responder_crl");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_crl_served_and_remade_on_revoke);
    tcase_add_test(tc, test_crl_faults);
    tcase_add_test(tc, test_change_seen_during_stale_fault);
    suite_add_tcase(s, tc);
    return s;
}
