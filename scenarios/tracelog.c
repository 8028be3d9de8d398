/* tracelog.c — the lab's trace.jsonl read back, line by bounded line. */
#include "tracelog.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "countmap.h"
#include "fileio.h"
#include "lab.h"
#include "trace.h"

/* Distinct client addresses kept for the table; more are counted as "more". */
#define SCN_MAX_DISTINCT 4096

typedef void (*line_fn)(json_t *line, void *ctx);

/* Calls fn for every line of LAB/trace.jsonl that is a JSON object. */
static int each_line(const char *lab, line_fn fn, void *ctx, struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    struct stat st;
    if (file_path_join(path, sizeof path, lab, LAB_TRACE_FILE) != 0) {
        errbuf_set(err, "lab path too long: %s", lab);
        return -1;
    }
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) == 0 && st.st_size > SCN_TRACE_MAX_BYTES) {
        fclose(f);
        errbuf_set(err, "%s is larger than %lld MB", path, SCN_TRACE_MAX_BYTES >> 20);
        return -1;
    }
    char *line = malloc(TRACE_MAX_LINE + 2);
    if (line == NULL) {
        fclose(f);
        errbuf_set(err, "out of memory");
        return -1;
    }
    bool is_skipping = false; /* inside a line longer than the contract allows */
    while (fgets(line, TRACE_MAX_LINE + 2, f) != NULL) {
        size_t len = strlen(line);
        bool is_whole = len > 0 && line[len - 1] == '\n';
        if (is_skipping || !is_whole) {
            is_skipping = !is_whole;
            continue;
        }
        json_t *event = json_loadb(line, len, 0, NULL);
        if (json_is_object(event))
            fn(event, ctx);
        json_decref(event);
    }
    free(line);
    fclose(f);
    return 0;
}

/* A field's value as the scenario writes it. */
static bool field_matches(json_t *value, const char *want)
{
    char text[64];
    if (json_is_string(value))
        return strcmp(json_string_value(value), want) == 0;
    if (json_is_integer(value)) {
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(value));
        return strcmp(text, want) == 0;
    }
    if (json_is_boolean(value))
        return strcmp(json_is_true(value) ? "true" : "false", want) == 0;
    return false;
}

struct count_ctx {
    const char *event;
    const struct scn_filter *filters;
    size_t filter_count;
    int64_t count;
};

static void count_line(json_t *line, void *ctx)
{
    struct count_ctx *c = ctx;
    json_t *name = json_object_get(line, "event");
    if (!json_is_string(name) || strcmp(json_string_value(name), c->event) != 0)
        return;
    for (size_t i = 0; i < c->filter_count; i++) {
        json_t *value = json_object_get(line, c->filters[i].field);
        if (value == NULL || !field_matches(value, c->filters[i].value))
            return;
    }
    c->count++;
}

int scn_tracelog_count(const char *lab, const char *event, const struct scn_filter *filters,
                       size_t filter_count, int64_t *count, struct errbuf *err)
{
    struct count_ctx c = {event, filters, filter_count, 0};
    if (each_line(lab, count_line, &c, err) != 0)
        return -1;
    *count = c.count;
    return 0;
}

struct scn_ca_tally {
    struct scn_ca_totals totals;
    struct scn_countmap addresses;
    bool is_out_of_memory;
};

struct scn_ca_tally *scn_ca_tally_new(void)
{
    struct scn_ca_tally *t = calloc(1, sizeof *t);
    if (t != NULL && scn_countmap_init(&t->addresses, SCN_MAX_DISTINCT) != 0) {
        free(t);
        t = NULL;
    }
    return t;
}

void scn_ca_tally_free(struct scn_ca_tally *tally)
{
    if (tally == NULL)
        return;
    scn_countmap_free(&tally->addresses);
    free(tally);
}

void scn_ca_tally_add(struct scn_ca_tally *t, json_t *line)
{
    const char *actor = json_string_value(json_object_get(line, "actor"));
    const char *event = json_string_value(json_object_get(line, "event"));
    if (actor == NULL || event == NULL || strcmp(actor, "responder") != 0)
        return;
    if (strcmp(event, "ocsp.responses.summarized") == 0) {
        /* A busy second's answers, counted but not traced one by one
         * (responder/trace_budget.h): requests and bytes, no addresses. */
        json_t *requests = json_object_get(line, "requests");
        json_t *bytes = json_object_get(line, "bytes");
        int64_t n = json_is_integer(requests) ? (int64_t)json_integer_value(requests) : 0;
        int64_t b = json_is_integer(bytes) ? (int64_t)json_integer_value(bytes) : 0;
        if (n > 0)
            t->totals.requests = n > INT64_MAX - t->totals.requests ? INT64_MAX
                                                                    : t->totals.requests + n;
        if (b > 0)
            t->totals.bytes = b > INT64_MAX - t->totals.bytes ? INT64_MAX : t->totals.bytes + b;
        return;
    }
    /* A CRL download (GET /crl, lesson 9) is a request at the CA too: the
     * whole list in bytes, and the address that asked. */
    bool is_answer = strcmp(event, "ocsp.response.sent") == 0 || strcmp(event, "crl.served") == 0;
    if (!is_answer && strcmp(event, "ocsp.request.rejected") != 0)
        return;
    t->totals.requests++;
    json_t *bytes = json_object_get(line, "bytes");
    if (is_answer && json_is_integer(bytes) && json_integer_value(bytes) > 0) {
        /* The trace's word: the sum saturates rather than overflow. */
        int64_t b = (int64_t)json_integer_value(bytes);
        t->totals.bytes = b > INT64_MAX - t->totals.bytes ? INT64_MAX : t->totals.bytes + b;
    }
    const char *client = json_string_value(json_object_get(line, "client"));
    if (client == NULL || client[0] == 0)
        return;
    /* Past SCN_MAX_DISTINCT an address is counted but not remembered, so a
     * later repeat of it counts again. */
    enum scn_countmap_result seen = scn_countmap_add(&t->addresses, client);
    if (seen == SCN_COUNTMAP_NOMEM)
        t->is_out_of_memory = true;
    else if (seen != SCN_COUNTMAP_OLD)
        t->totals.addresses++;
}

int scn_ca_tally_totals(const struct scn_ca_tally *tally, struct scn_ca_totals *out,
                        struct errbuf *err)
{
    if (tally->is_out_of_memory) {
        errbuf_set(err, "out of memory");
        return -1;
    }
    *out = tally->totals;
    return 0;
}

static void totals_line(json_t *line, void *ctx)
{
    scn_ca_tally_add(ctx, line);
}

int scn_tracelog_ca_totals(const char *lab, struct scn_ca_totals *out, struct errbuf *err)
{
    struct scn_ca_tally *t = scn_ca_tally_new();
    if (t == NULL) {
        errbuf_set(err, "out of memory");
        return -1;
    }
    int rc = each_line(lab, totals_line, t, err);
    if (rc == 0)
        rc = scn_ca_tally_totals(t, out, err);
    scn_ca_tally_free(t);
    return rc;
}
