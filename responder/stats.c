/* stats.c — counters for /stats, shared by the HTTP threads under one mutex. */
#include "stats.h"

#include <string.h>

enum requester requester_from_user_agent(const char *user_agent)
{
    if (user_agent == NULL)
        return REQUESTER_OTHER;
    if (strncmp(user_agent, "ocsp-lab-browser/", 17) == 0)
        return REQUESTER_BROWSER;
    if (strncmp(user_agent, "ocsp-lab-webserver/", 19) == 0)
        return REQUESTER_WEBSERVER;
    return REQUESTER_OTHER;
}

const char *requester_name(enum requester who)
{
    switch (who) {
    case REQUESTER_BROWSER:
        return "browser";
    case REQUESTER_WEBSERVER:
        return "webserver";
    default:
        return "other";
    }
}

int stats_init(struct responder_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    stats->by_client = json_object();
    stats->crl_by_client = json_object();
    if (stats->by_client == NULL || stats->crl_by_client == NULL ||
        pthread_mutex_init(&stats->lock, NULL) != 0) {
        json_decref(stats->by_client);
        json_decref(stats->crl_by_client);
        stats->by_client = NULL;
        stats->crl_by_client = NULL;
        return -1;
    }
    return 0;
}

void stats_free(struct responder_stats *stats)
{
    if (stats == NULL || stats->by_client == NULL)
        return;
    json_decref(stats->by_client);
    json_decref(stats->crl_by_client);
    pthread_mutex_destroy(&stats->lock);
    memset(stats, 0, sizeof *stats);
}

/* One more for this address; past STATS_MAX_CLIENTS addresses, "other". */
static void count_client(json_t *by_client, const char *client_addr)
{
    const char *key = client_addr != NULL ? client_addr : "unknown";
    json_t *count = json_object_get(by_client, key);
    if (count == NULL && json_object_size(by_client) >= STATS_MAX_CLIENTS)
        key = "other";
    count = json_object_get(by_client, key);
    if (count != NULL)
        json_integer_set(count, json_integer_value(count) + 1);
    else
        json_object_set_new(by_client, key, json_integer(1));
}

void stats_count_crl(struct responder_stats *stats, const char *client_addr, size_t bytes)
{
    pthread_mutex_lock(&stats->lock);
    stats->crl_downloads++;
    stats->crl_bytes += (int64_t)bytes;
    stats->crl_last_bytes = (int64_t)bytes;
    count_client(stats->crl_by_client, client_addr);
    pthread_mutex_unlock(&stats->lock);
}

void stats_count(struct responder_stats *stats, enum requester who, const char *client_addr,
                 enum answer_kind answer)
{
    pthread_mutex_lock(&stats->lock);
    stats->requests++;
    stats->by_requester[who]++;
    stats->responses[answer]++;
    count_client(stats->by_client, client_addr);
    pthread_mutex_unlock(&stats->lock);
}

json_t *stats_snapshot(struct responder_stats *stats)
{
    pthread_mutex_lock(&stats->lock);
    json_t *snapshot =
        json_pack("{s:I, s:{s:I, s:I, s:I}, s:O, s:{s:I, s:I, s:I, s:I}}", "requests",
                  (json_int_t)stats->requests, "by_requester", "browser",
                  (json_int_t)stats->by_requester[REQUESTER_BROWSER], "webserver",
                  (json_int_t)stats->by_requester[REQUESTER_WEBSERVER], "other",
                  (json_int_t)stats->by_requester[REQUESTER_OTHER], "by_client", stats->by_client,
                  "responses", "good", (json_int_t)stats->responses[ANSWER_GOOD], "revoked",
                  (json_int_t)stats->responses[ANSWER_REVOKED], "unknown",
                  (json_int_t)stats->responses[ANSWER_UNKNOWN], "error",
                  (json_int_t)stats->responses[ANSWER_ERROR]);
    /* "O" shares by_client; the snapshot must not change under the reader. */
    if (snapshot != NULL) {
        json_object_set_new(snapshot, "by_client", json_deep_copy(stats->by_client));
        json_object_set_new(snapshot, "crl",
                            json_pack("{s:I, s:I, s:I, s:o}", "downloads",
                                      (json_int_t)stats->crl_downloads, "bytes",
                                      (json_int_t)stats->crl_bytes, "last_bytes",
                                      (json_int_t)stats->crl_last_bytes, "by_client",
                                      json_deep_copy(stats->crl_by_client)));
    }
    pthread_mutex_unlock(&stats->lock);
    return snapshot;
}
