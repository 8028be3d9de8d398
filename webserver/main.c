/* main.c — `webserver NAME`: the stapling HTTPS server (DESIGN section 2).
 * Loads certs/NAME.pem, gets its staple before the first connection, serves
 * GET / and GET /stats until SIGINT/SIGTERM. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "lab.h"
#include "ocsp_fetch.h"
#include "server.h"
#include "stapler.h"
#include "stats.h"
#include "trace.h"

static const char usage_text[] =
    "usage: webserver NAME [--lab DIR] [--listen 127.0.0.1:8443] [--stapling on|off]\n"
    "                 [--tls 1.2|1.3|both] [--staple-file FILE] [--workers N]\n"
    "\n"
    "An HTTPS server for the lab site NAME (certs/NAME.pem) that staples the CA's OCSP\n"
    "answer to its certificate: fetched before the first visitor, checked like a\n"
    "browser checks it, saved in staples/NAME.der, refreshed at half-life.\n"
    "\n"
    "  GET /        a small page saying whether this handshake carried a staple\n"
    "  GET /stats   handshakes, staples sent, OCSP fetches, the staple's state (JSON)\n"
    "\n"
    "options:\n"
    "  --listen HOST:PORT  where to listen (default 127.0.0.1:8443; port 0 = any free)\n"
    "  --stapling on|off   off never staples (for the comparison)\n"
    "  --tls 1.2|1.3|both  protocol versions offered (default both)\n"
    "  --staple-file FILE  staple FILE's bytes as they are, unchecked (attack lessons:\n"
    "                      garbage, tryLater, forged, revoked all go on the wire)\n"
    "  --workers N         worker threads (default: one per core)\n"
    "  --lab DIR           the lab directory (default ./lab)\n"
    "\n"
    "Prints 'listening on HOST:PORT' first. Try it:\n"
    "  openssl s_client -connect HOST:PORT -servername NAME -status -CAfile LAB/ca/root.pem\n";

/* The stapler's notices go to the operator's terminal, as every message. */
static void print_notice(void *ctx, const char *sentence)
{
    (void)ctx;
    cli_error("webserver", "%s", sentence);
}

int main(int argc, char **argv)
{
    const char *lab = LAB_DEFAULT_DIR, *listen_spec = "127.0.0.1:8443", *stapling = "on";
    const char *tls = "both", *staple_file = NULL, *workers_text = NULL;
    const struct cli_option options[] = {
        {"--lab", true, &lab, NULL},
        {"--listen", true, &listen_spec, NULL},
        {"--stapling", true, &stapling, NULL},
        {"--tls", true, &tls, NULL},
        {"--staple-file", true, &staple_file, NULL},
        {"--workers", true, &workers_text, NULL},
    };
    struct cli_args args;
    struct errbuf err = {{0}};
    struct stapler_config config = {.lab_dir = NULL};

    int start = cli_start("webserver", usage_text, argc, argv, options,
                          sizeof options / sizeof options[0], &args);
    if (start != CLI_GO_ON)
        return start;
    if (args.positional_count != 1) {
        cli_error("webserver", "give exactly one site NAME, e.g. 'webserver shop.test' "
                               "(see --help)");
        return 2;
    }
    config.lab_dir = lab;
    config.name = args.positional[0];
    if (strchr(config.name, '/') != NULL || config.name[0] == '.') {
        cli_error("webserver", "invalid NAME '%s': a DNS name like shop.test", config.name);
        return 2;
    }
    /* The choices in the order of enum tls_versions' names below. */
    static const enum tls_versions by_choice[] = {TLS_ONLY_12, TLS_ONLY_13, TLS_BOTH};
    int stapling_way = cli_choice("webserver", "--stapling", stapling, "on off");
    if (stapling_way < 0)
        return 2;
    int tls_way = cli_choice("webserver", "--tls", tls, "1.2 1.3 both");
    if (tls_way < 0)
        return 2;
    config.is_stapling_on = stapling_way == 0;
    config.versions = by_choice[tls_way];
    config.staple_file = staple_file;
    config.notice = print_notice;
    long workers = sysconf(_SC_NPROCESSORS_ONLN);
    if (workers_text != NULL &&
        cli_count("webserver", "--workers", workers_text, 1, SERVER_MAX_WORKERS, &workers) != 0)
        return 2;

    sigset_t stop_signals;
    cli_block_stop_signals(&stop_signals);
    /* Room for many idle connections without running out of descriptors. */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }

    if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
        cli_error("webserver", "cannot initialise wolfSSL");
        return 2;
    }
    if (ocsp_fetch_global_init(&err) != 0) {
        cli_error("webserver", "%s", err.msg);
        wolfSSL_Cleanup();
        return 2;
    }
    if (clock_init(lab, &err) != 0 || trace_open(lab, "webserver", &err) != 0) {
        cli_error("webserver", "%s", err.msg);
        return 2;
    }
    struct stapler stapler = {0}; /* zeroed: the clean-up may run before stapler_open */
    struct site_slot slot;
    struct server server;
    memset(&server, 0, sizeof server);
    site_slot_init(&slot);
    server.site_name = config.name;
    server.sites = &slot;
    server.describe = webserver_describe;
    server.stats_json = webserver_stats_json;
    server.owner = &stapler;
    int rc = 2;
    /* Bind first, so a port in use is reported before any fetch. */
    if (server_listen(&server, listen_spec, &err) != 0 ||
        stapler_open(&stapler, &config, &slot, &err) != 0 || stapler_start(&stapler, &err) != 0 ||
        server_start(&server, (size_t)workers, &err) != 0) {
        cli_error("webserver", "%s", err.msg);
        goto out;
    }
    printf("listening on %s\n", server.bound);
    fflush(stdout);
    struct staple_view view;
    stapler_view(&stapler, &view);
    trace_event("webserver.start",
                json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", config.name, "listen", server.bound,
                          "stapling", stapling, "staple", staple_status_name(view.status),
                          "workers", (json_int_t)workers),
                "The web server for %s is listening on %s (stapling %s, staple: %s).", config.name,
                server.bound, stapling, staple_status_name(view.status));
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    rc = 0;
out:
    server_stop(&server);
    stapler_stop(&stapler);
    if (rc == 0) {
        struct server_stats stats;
        server_read_stats(&server, &stats);
        trace_event("webserver.stop",
                    json_pack("{s:I, s:I}", "handshakes", (json_int_t)stats.handshakes,
                              "staples_sent", (json_int_t)stats.staples_sent),
                    "The web server for %s stopped after %lld handshakes (%lld with a staple).",
                    config.name, (long long)stats.handshakes, (long long)stats.staples_sent);
    }
    stapler_close(&stapler);
    site_slot_free(&slot);
    trace_close();
    wolfSSL_Cleanup();
    return rc;
}
