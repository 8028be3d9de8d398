/* ca_tally.c — what the CA's responders did in a lab, added up from the
 * trace one event at a time (ca_tally.h). */
#include "ca_tally.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "countmap.h"
#include "trace_read.h"

/* Distinct client addresses kept for the table; more are counted as "more". */
#define SCN_MAX_DISTINCT 4096

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
            t->totals.requests =
                n > INT64_MAX - t->totals.requests ? INT64_MAX : t->totals.requests + n;
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

int scn_ca_totals_read(const char *lab, struct scn_ca_totals *out, struct errbuf *err)
{
    struct scn_ca_tally *t = scn_ca_tally_new();
    if (t == NULL) {
        errbuf_set(err, "out of memory");
        return -1;
    }
    int rc = trace_each_event(lab, TRACE_MAX_FILE_BYTES, totals_line, t, err);
    if (rc == 0)
        rc = scn_ca_tally_totals(t, out, err);
    scn_ca_tally_free(t);
    return rc;
}
