/* tracelog.c — counting the events an `expect trace` names, through the
 * one trace reader (common/trace_read.h). */
#include "tracelog.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "trace_read.h"

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
    if (trace_each_event(lab, TRACE_MAX_FILE_BYTES, count_line, &c, err) != 0)
        return -1;
    *count = c.count;
    return 0;
}
