/* crl_serve.c — GET /crl as the responder's service: the faults a scenario
 * switched on, the counters (apart from OCSP) and one trace line per
 * download naming the client's address, the CRL's cost in bytes and the
 * privacy a CRL keeps: the CA learns who downloads, not which site they
 * visit. */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "service.h"
#include "trace.h"

void responder_serve_crl(struct responder *r, const struct request_origin *origin,
                         struct responder_crl_answer *answer)
{
    enum requester who = requester_from_user_agent(origin->user_agent);
    const char *client = origin->client_addr != NULL ? origin->client_addr : "?";
    struct crl_copy copy;
    struct errbuf err = {{0}};
    char from[CLOCK_RFC3339_LEN], until[CLOCK_RFC3339_LEN];

    memset(answer, 0, sizeof *answer);
    /* The slow fault's wait is over by now: the HTTP side held the
     * connection (hold.h); this is the fault as it is after it. */
    enum responder_fault fault;
    int delay_ms;
    responder_get_fault(r, &fault, &delay_ms);
    if (fault == FAULT_GARBAGE) {
        static const char junk[] = "<html>502 Bad Gateway: the CRL service is broken</html>";
        der_write_raw(&answer->body, (const uint8_t *)junk, sizeof junk - 1);
        answer->http_status = 200;
        stats_count_crl(&r->stats, client, answer->body.len);
        trace_event("crl.served",
                    json_pack("{s:s, s:s, s:I, s:b}", "requester", requester_name(who), "client",
                              client, "bytes", (json_int_t)answer->body.len, "garbage", 1),
                    "The responder sent %s at %s %zu bytes that are not a CRL (the 'garbage' "
                    "fault is on).",
                    responder_requester_phrase(who), client, answer->body.len);
        return;
    }
    if (crl_publisher_get(&r->crl, clock_now(), fault == FAULT_STALE, &copy, &err) != 0) {
        char text[ERRBUF_MAX + 32];
        snprintf(text, sizeof text, "cannot make the CRL: %s\n", err.msg);
        der_write_raw(&answer->body, (const uint8_t *)text, strlen(text));
        answer->http_status = 503;
        trace_event("crl.error", json_pack("{s:s, s:s}", "client", client, "why", err.msg),
                    "The responder could not give %s at %s its CRL: %s.",
                    responder_requester_phrase(who), client, err.msg);
        return;
    }
    answer->body = copy.der;
    answer->is_crl = true;
    answer->http_status = 200;
    answer->this_update = copy.issued.this_update;
    answer->next_update = copy.issued.next_update;
    stats_count_crl(&r->stats, client, answer->body.len);
    clock_format_rfc3339_seconds(copy.issued.this_update, from, sizeof from);
    clock_format_rfc3339_seconds(copy.issued.next_update, until, sizeof until);
    if (copy.is_new)
        trace_event("crl.signed",
                    json_pack("{s:I, s:I, s:s, s:s, s:b}", "crl_number",
                              (json_int_t)copy.issued.number, "revoked",
                              (json_int_t)copy.issued.entry_count, "this_update", from,
                              "next_update", until, "stale", fault == FAULT_STALE),
                    "The responder signed CRL number %llu listing %zu revoked certificate%s, "
                    "current until %s%s.",
                    (unsigned long long)copy.issued.number, copy.issued.entry_count,
                    copy.issued.entry_count == 1 ? "" : "s", until,
                    fault == FAULT_STALE ? " (already past: the 'stale' fault is on)" : "");
    trace_event("crl.served",
                json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "requester", requester_name(who),
                          "client", client, "bytes", (json_int_t)answer->body.len, "crl_number",
                          (json_int_t)copy.issued.number, "revoked",
                          (json_int_t)copy.issued.entry_count, "next_update", until),
                "The responder sent its whole CRL (%zu bytes, %zu revoked) to %s at %s: the CA "
                "learns that this address checks revocation, not which site it visits.",
                answer->body.len, copy.issued.entry_count, responder_requester_phrase(who), client);
}
