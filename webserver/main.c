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

struct app {
    const char *name;
    struct stapler stapler;
};

static void fmt_or_empty(int64_t t, char *out)
{
    if (t == 0)
        out[0] = 0;
    else
        clock_format_rfc3339_seconds(t, out, CLOCK_RFC3339_LEN);
}

static void describe(void *ctx, char *line, size_t cap)
{
    struct app *app = ctx;
    struct staple_view view;
    char until[CLOCK_RFC3339_LEN];
    stapler_view(&app->stapler, &view);
    fmt_or_empty(view.next_update, until);
    if (view.status == STAPLE_GOOD)
        snprintf(line, cap, "The server's current staple says: good, valid until %s.", until);
    else if (view.status == STAPLE_REVOKED)
        snprintf(line, cap, "The CA says this certificate is REVOKED; the server staples "
                            "nothing.");
    else
        snprintf(line, cap, "The server has no staple right now%s%s.",
                 view.last_problem[0] != 0 ? ": " : "", view.last_problem);
}

static json_t *stats_json(void *ctx, const struct server_stats *stats)
{
    struct app *app = ctx;
    struct staple_view view;
    char a[CLOCK_RFC3339_LEN], b[CLOCK_RFC3339_LEN], c[CLOCK_RFC3339_LEN];
    stapler_view(&app->stapler, &view);
    fmt_or_empty(view.this_update, a);
    fmt_or_empty(view.next_update, b);
    fmt_or_empty(view.next_refresh, c);
    return json_pack("{s:I, s:I, s:I, s:{s:s, s:s, s:s, s:s, s:s}, s:I, s:I, s:I}",
                     "handshakes", (json_int_t)stats->handshakes, "staples_sent",
                     (json_int_t)stats->staples_sent, "ocsp_fetches", (json_int_t)view.fetches,
                     "staple", "status", staple_status_name(view.status), "this_update", a,
                     "next_update", b, "next_refresh", c, "problem", view.last_problem,
                     "status_requests", (json_int_t)stats->status_requests, "requests",
                     (json_int_t)stats->requests, "dropped", (json_int_t)stats->dropped);
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
    if (strcmp(stapling, "on") != 0 && strcmp(stapling, "off") != 0) {
        cli_error("webserver", "invalid --stapling '%s': use on or off", stapling);
        return 2;
    }
    config.is_stapling_on = strcmp(stapling, "on") == 0;
    if (strcmp(tls, "1.2") == 0)
        config.versions = TLS_ONLY_12;
    else if (strcmp(tls, "1.3") == 0)
        config.versions = TLS_ONLY_13;
    else if (strcmp(tls, "both") == 0)
        config.versions = TLS_BOTH;
    else {
        cli_error("webserver", "invalid --tls '%s': use 1.2, 1.3 or both", tls);
        return 2;
    }
    config.staple_file = staple_file;
    long workers = sysconf(_SC_NPROCESSORS_ONLN);
    if (workers_text != NULL) {
        char *end = NULL;
        workers = strtol(workers_text, &end, 10);
        if (*end != 0 || workers < 1 || workers > SERVER_MAX_WORKERS) {
            cli_error("webserver", "invalid --workers '%s': use 1 to %d", workers_text,
                      SERVER_MAX_WORKERS);
            return 2;
        }
    }

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
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
    struct app app = {.name = config.name};
    struct site_slot slot;
    struct server server;
    memset(&server, 0, sizeof server);
    site_slot_init(&slot);
    server.site_name = config.name;
    server.sites = &slot;
    server.describe = describe;
    server.stats_json = stats_json;
    server.owner = &app;
    int rc = 2;
    /* Bind first, so a port in use is reported before any fetch. */
    if (server_listen(&server, listen_spec, &err) != 0 ||
        stapler_open(&app.stapler, &config, &slot, &err) != 0 ||
        stapler_start(&app.stapler, &err) != 0 ||
        server_start(&server, (size_t)workers, &err) != 0) {
        cli_error("webserver", "%s", err.msg);
        goto out;
    }
    printf("listening on %s\n", server.bound);
    fflush(stdout);
    struct staple_view view;
    stapler_view(&app.stapler, &view);
    trace_event("webserver.start",
                json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", config.name, "listen",
                          server.bound, "stapling", stapling, "staple",
                          staple_status_name(view.status), "workers", (json_int_t)workers),
                "The web server for %s is listening on %s (stapling %s, staple: %s).",
                config.name, server.bound, stapling, staple_status_name(view.status));
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    rc = 0;
out:
    server_stop(&server);
    stapler_stop(&app.stapler);
    if (rc == 0) {
        struct server_stats stats;
        server_read_stats(&server, &stats);
        trace_event("webserver.stop",
                    json_pack("{s:I, s:I}", "handshakes", (json_int_t)stats.handshakes,
                              "staples_sent", (json_int_t)stats.staples_sent),
                    "The web server for %s stopped after %lld handshakes (%lld with a staple).",
                    config.name, (long long)stats.handshakes, (long long)stats.staples_sent);
    }
    stapler_close(&app.stapler);
    site_slot_free(&slot);
    trace_close();
    wolfSSL_Cleanup();
    return rc;
}
