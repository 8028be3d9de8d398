/* tracelog.c — the lab's trace.jsonl read back, line by bounded line. */
#include "tracelog.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

struct totals_ctx {
    struct scn_ca_totals totals;
    char **addresses;
    size_t address_count;
    bool is_out_of_memory;
};

static void note_address(struct totals_ctx *t, const char *addr)
{
    for (size_t i = 0; i < t->address_count; i++)
        if (strcmp(t->addresses[i], addr) == 0)
            return;
    t->totals.addresses++;
    if (t->address_count == SCN_MAX_DISTINCT)
        return; /* counted; not remembered (a later repeat would count again) */
    char *copy = strdup(addr);
    if (copy == NULL) {
        t->is_out_of_memory = true;
        return;
    }
    t->addresses[t->address_count++] = copy;
}

static void totals_line(json_t *line, void *ctx)
{
    struct totals_ctx *t = ctx;
    const char *actor = json_string_value(json_object_get(line, "actor"));
    const char *event = json_string_value(json_object_get(line, "event"));
    if (actor == NULL || event == NULL || strcmp(actor, "responder") != 0)
        return;
    bool is_answer = strcmp(event, "ocsp.response.sent") == 0;
    if (!is_answer && strcmp(event, "ocsp.request.rejected") != 0)
        return;
    t->totals.requests++;
    json_t *bytes = json_object_get(line, "bytes");
    if (is_answer && json_is_integer(bytes) && json_integer_value(bytes) > 0)
        t->totals.bytes += json_integer_value(bytes);
    const char *client = json_string_value(json_object_get(line, "client"));
    if (client != NULL && client[0] != 0)
        note_address(t, client);
}

int scn_tracelog_ca_totals(const char *lab, struct scn_ca_totals *out, struct errbuf *err)
{
    struct totals_ctx t;
    memset(&t, 0, sizeof t);
    t.addresses = calloc(SCN_MAX_DISTINCT, sizeof *t.addresses);
    if (t.addresses == NULL) {
        errbuf_set(err, "out of memory");
        return -1;
    }
    int rc = each_line(lab, totals_line, &t, err);
    for (size_t i = 0; i < t.address_count; i++)
        free(t.addresses[i]);
    free(t.addresses);
    if (rc == 0 && t.is_out_of_memory) {
        errbuf_set(err, "out of memory");
        rc = -1;
    }
    if (rc == 0)
        *out = t.totals;
    return rc;
}
