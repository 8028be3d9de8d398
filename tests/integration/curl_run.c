/* curl_run.c — see curl_run.h. */
#include "curl_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_token.h"
#include "errbuf.h"
#include "fileio.h"
#include "lab.h"
#include "testutil.h"

#define CURL_MAX_OPTIONS 32
#define CURL_MAX_BYTES (1 << 20)

/* A file curl wrote, NUL-terminated (file_read_all leaves room for it); NULL
 * when curl wrote none. */
static uint8_t *read_output(const char *path, size_t *len)
{
    uint8_t *data = NULL;
    struct errbuf err = {{0}};
    *len = 0;
    if (access(path, F_OK) != 0)
        return NULL;
    ck_assert_msg(file_read_all(path, CURL_MAX_BYTES, &data, len, &err) == 0, "%s", err.msg);
    data[*len] = 0;
    return data;
}

void curl_run(struct curl_reply *reply, const char *url, const char *const options[])
{
    const char *argv[CURL_MAX_OPTIONS + 16];
    char body_path[LAB_PATH_MAX], headers_path[LAB_PATH_MAX];
    size_t argc = 0, headers_len = 0;
    struct test_run run;
    ck_assert_int_eq(file_path_join(body_path, sizeof body_path, test_scratch_dir(), "curl-body"),
                     0);
    ck_assert_int_eq(
        file_path_join(headers_path, sizeof headers_path, test_scratch_dir(), "curl-headers"), 0);
    unlink(body_path);
    unlink(headers_path);
    static const char *const fixed[] = {"curl", "-s", "--max-time", "15", "-w", "%{http_code}"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[argc++] = fixed[i];
    argv[argc++] = "-o";
    argv[argc++] = body_path;
    argv[argc++] = "-D";
    argv[argc++] = headers_path;
    for (size_t i = 0; options != NULL && options[i] != NULL; i++) {
        ck_assert_uint_lt(i, CURL_MAX_OPTIONS);
        argv[argc++] = options[i];
    }
    argv[argc++] = url;
    argv[argc] = NULL;
    ck_assert_int_eq(test_run(&run, 30000, NULL, argv), 0);
    ck_assert_msg(!run.timed_out, "curl %s timed out", url);
    memset(reply, 0, sizeof *reply);
    reply->curl_exit = run.exit_code;
    reply->status = atoi(run.out);
    test_run_free(&run);
    reply->body = read_output(body_path, &reply->body_len);
    reply->headers = (char *)read_output(headers_path, &headers_len);
}

void curl_reply_free(struct curl_reply *reply)
{
    free(reply->headers);
    free(reply->body);
    memset(reply, 0, sizeof *reply);
}

void curl_control_fault(const char *lab, unsigned port, const char *body, struct curl_reply *reply)
{
    char url[128], token[CONTROL_TOKEN_HEX + 1], token_header[CONTROL_TOKEN_HEX + 64];
    test_control_token(lab, token);
    snprintf(token_header, sizeof token_header, "%s: %s", CONTROL_TOKEN_HEADER, token);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/control/fault", port);
    const char *options[] = {
        "-H", token_header, "-H", "Content-Type: " CONTROL_CONTENT_TYPE, "--data-binary",
        body, NULL};
    curl_run(reply, url, options);
}
