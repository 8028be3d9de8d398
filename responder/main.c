/* main.c — `responder`: the lab's OCSP responder (DESIGN section 2). Parses
 * flags, opens the CA's records, serves HTTP until SIGINT/SIGTERM, exits 0;
 * a bad lab, key or port exits 2 with the reason. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "clock.h"
#include "http.h"
#include "lab.h"
#include "service.h"
#include "trace.h"

static const char usage_text[] =
    "usage: responder [--lab DIR] [--listen 127.0.0.1:8080] [--validity 24h] [--crl-validity 7d]\n"
    "                 [--signer ca|delegate] [--responder-id key|name]\n"
    "                 [--fault none|slow|trylater|garbage|unauthorized|stale] [--delay 3s]\n"
    "\n"
    "The CA's OCSP responder (RFC 6960, RFC 5019), answering from LAB/ca.db;\n"
    "GET /crl serves the CA's CRL (RFC 5280), made from the same database.\n"
    "\n"
    "  POST /                 an OCSP request (Content-Type application/ocsp-request)\n"
    "  GET /<base64 request>  the same, RFC 5019 style (url-encoded base64 of the DER)\n"
    "  GET /stats             counters: requests per requester and per client address\n"
    "  GET|POST /control/fault  show or switch the fault while running (the teacher's:\n"
    "                         it needs LAB/control.token, made by 'ca init'), e.g.\n"
    "                         curl -H \"X-Lab-Control-Token: $(cat lab/control.token)\" \\\n"
    "                           -H 'Content-Type: application/x-ocsplab-control' \\\n"
    "                           -d 'slow 2s' http://127.0.0.1:8080/control/fault\n"
    "\n"
    "options:\n"
    "  --listen HOST:PORT     where to listen (default 127.0.0.1:8080; port 0 = any free)\n"
    "  --validity DURATION    nextUpdate - thisUpdate of each answer (default 24h)\n"
    "  --crl-validity DURATION  nextUpdate - thisUpdate of the CRL at GET /crl (default 7d)\n"
    "  --signer ca|delegate   sign with the root, or with LAB/ca/ocsp.pem (ca init --delegate)\n"
    "  --responder-id key|name  how the response names its signer (default key)\n"
    "  --fault MODE           misbehave on purpose (scenarios): " FAULT_NAMES "\n"
    "  --delay DURATION       how slow 'slow' is (default 3s; 1s to 120s)\n"
    "  --lab DIR              the lab directory (default ./lab)\n"
    "\n"
    "Prints 'listening on HOST:PORT' first. Stops cleanly on SIGINT or SIGTERM.\n";

/* A validity between a minute and a leap year; prints the error itself. */
static int parse_validity(const char *option, const char *text, const char *example,
                          int64_t *seconds)
{
    if (clock_parse_duration(text, seconds) != 0 || *seconds < 60 || *seconds > 366 * 86400) {
        cli_error("responder", "invalid %s '%s': use a duration from 1m to 366d, e.g. %s", option,
                  text, example);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *lab = LAB_DEFAULT_DIR, *listen_spec = "127.0.0.1:8080", *validity = "24h";
    const char *crl_validity = "7d";
    const char *signer = "ca", *responder_id = "key", *fault = "none", *delay = NULL;
    const struct cli_option options[] = {
        {"--lab", true, &lab, NULL},           {"--listen", true, &listen_spec, NULL},
        {"--validity", true, &validity, NULL}, {"--crl-validity", true, &crl_validity, NULL},
        {"--signer", true, &signer, NULL},     {"--responder-id", true, &responder_id, NULL},
        {"--fault", true, &fault, NULL},       {"--delay", true, &delay, NULL},
    };
    struct cli_args args;
    struct errbuf err = {{0}};
    struct responder_config config = {.lab_dir = NULL};
    int64_t seconds = 0;

    int start = cli_start("responder", usage_text, argc, argv, options,
                          sizeof options / sizeof options[0], &args);
    if (start != CLI_GO_ON)
        return start;
    if (args.positional_count != 0) {
        cli_error("responder", "unexpected argument '%s' (see --help)", args.positional[0]);
        return 2;
    }
    config.lab_dir = lab;
    if (parse_validity("--validity", validity, "24h", &config.validity_seconds) != 0 ||
        parse_validity("--crl-validity", crl_validity, "7d", &config.crl_validity_seconds) != 0)
        return 2;
    if (strcmp(signer, "ca") != 0 && strcmp(signer, "delegate") != 0) {
        cli_error("responder", "invalid --signer '%s': use ca or delegate", signer);
        return 2;
    }
    config.use_delegate = strcmp(signer, "delegate") == 0;
    if (strcmp(responder_id, "key") != 0 && strcmp(responder_id, "name") != 0) {
        cli_error("responder", "invalid --responder-id '%s': use key or name", responder_id);
        return 2;
    }
    config.responder_id_by_name = strcmp(responder_id, "name") == 0;
    if (fault_parse(fault, &config.fault) != 0) {
        cli_error("responder", "invalid --fault '%s': use one of %s", fault, FAULT_NAMES);
        return 2;
    }
    if (delay != NULL) {
        /* 0s would silently mean the default 3s: refused, like any other bad value. */
        if (clock_parse_duration(delay, &seconds) != 0 || seconds < 1 ||
            seconds > FAULT_MAX_DELAY_MS / 1000) {
            cli_error("responder", "invalid --delay '%s': use a duration from 1s to 120s", delay);
            return 2;
        }
        config.fault_delay_ms = (int)seconds * 1000;
    }

    /* Block the stop signals before any thread starts, so every thread
     * inherits the mask and only sigwait below receives them. */
    sigset_t stop_signals;
    cli_block_stop_signals(&stop_signals);

    struct responder responder;
    struct http_server server;
    struct stat lab_stat;
    if (stat(lab, &lab_stat) != 0 || !S_ISDIR(lab_stat.st_mode)) {
        cli_error("responder", "no lab at %s (run 'ca init --lab %s' first)", lab, lab);
        return 2;
    }
    if (clock_init(lab, &err) != 0 || trace_open(lab, "responder", &err) != 0) {
        cli_error("responder", "%s", err.msg);
        return 2;
    }
    if (responder_open(&responder, &config, &err) != 0) {
        cli_error("responder", "%s", err.msg);
        responder_close(&responder);
        return 2;
    }
    if (http_start(&server, &responder, listen_spec, &err) != 0) {
        cli_error("responder", "%s", err.msg);
        responder_close(&responder);
        return 2;
    }
    printf("listening on %s\n", server.bound);
    fflush(stdout);
    trace_event("responder.start",
                json_pack("{s:s, s:s, s:s, s:I, s:b}", "listen", server.bound, "signer",
                          responder.signer_name, "fault", fault_name(config.fault),
                          "validity_seconds", (json_int_t)config.validity_seconds, "control",
                          server.has_control_token),
                "The OCSP responder is listening on %s, signing as '%s', answers valid for %s.",
                server.bound, responder.signer_name, validity);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    http_stop(&server);
    json_t *final = stats_snapshot(&responder.stats);
    trace_event("responder.stop", json_pack("{s:O}", "stats", final),
                "The OCSP responder stopped (signal %d) after answering %lld requests.",
                signal_number, (long long)responder.stats.requests);
    json_decref(final);
    responder_close(&responder);
    trace_close();
    return 0;
}
