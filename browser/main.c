/* main.c — `browser`: simulated users visiting a lab site, and the offline
 * staple check (DESIGN 2). Parses flags, calls visit/crowd/report and
 * verify_staple, prints, picks the exit status: 0 all accepted (or the
 * staple accepted), 1 something refused, 2 usage or environment error. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "crowd.h"
#include "fileio.h"
#include "lab.h"
#include "ocsp_fetch.h"
#include "pem.h"
#include "pushed_list.h"
#include "report.h"
#include "target.h"
#include "trace.h"
#include "verify_staple.h"
#include "visit.h"
#include "x509.h"

/* Each TLS phase (connect, handshake, HTTP) of a visit may take this long. */
#define BROWSER_TIMEOUT_MS 5000

static const char usage_text[] =
    "usage: browser visit URL [--users N] [--staple on|off] [--fallback ocsp|crl|none]\n"
    "                         [--ocsp post|get] [--crl-cache DIR] [--policy soft|hard]\n"
    "                         [--tls 1.2|1.3] [--revlist FILE] [--concurrency K]\n"
    "                         [--keylog FILE] [--json] [--lab DIR]\n"
    "       browser verify-staple --cert FILE --issuer FILE --staple FILE [--at UNIXTIME]\n"
    "\n"
    "visit: N simulated users, each a fresh browser with no cache, visit URL\n"
    "(https://NAME.test:PORT/; .test names resolve to 127.0.0.1). User k connects from\n"
    "its own address 127.X.Y.Z (k = 1..254: 127.0.1.k; then 127.0.2.1, ...), checks the\n"
    "chain and name against LAB/ca/root.pem, and judges the stapled OCSP response\n"
    "with the lab's verifier during the handshake, in TLS 1.2 and 1.3 alike (the same\n"
    "rules and reason words as verify-staple).\n"
    "  --users N          how many users (default 1, at most 1000000; users past 2000\n"
    "                     are summed in the trace, not traced one by one; a progress\n"
    "                     line on a terminal from 1000)\n"
    "  --staple on|off    ask for a staple (status_request) or not (default on)\n"
    "  --fallback ocsp|crl|none  without an acceptable staple, ask the CA's responder\n"
    "                     directly (from the user's address), or download the CA's CRL\n"
    "                     from the certificate's distribution point (at most 1 MiB,\n"
    "                     5 s) and look the serial up, or neither\n"
    "  --ocsp post|get    how it asks the responder: POST with a fresh nonce (default),\n"
    "                     or GET without a nonce as RFC 5019 and Firefox do, which an\n"
    "                     HTTP cache may answer for everyone\n"
    "  --crl-cache DIR    with --fallback crl: users share one verified CRL kept in DIR\n"
    "                     until its nextUpdate (default: none, every user downloads)\n"
    "  --revlist FILE     load a revocation list pushed ahead of time (ca revlist; the\n"
    "                     lab's stand-in for CRLite/CRLSets): a listed serial is refused\n"
    "                     whatever the staple; an unlisted one without a good staple is\n"
    "                     accepted from the list, with no request to the CA\n"
    "  --policy soft|hard when revocation cannot be checked: accept and say so, or refuse\n"
    "                     (a must-staple certificate without a good staple is refused\n"
    "                     under both)\n"
    "  --tls 1.2|1.3      force a protocol version (default: either, min 1.2)\n"
    "  --concurrency K    users at a time (default 8, at most 256), after the first 3,\n"
    "                     who come one at a time so their times carry no queueing\n"
    "  --keylog FILE      append the TLS secrets to FILE (NSS key log format, mode 0600)\n"
    "                     so Wireshark/tshark can decrypt the visits, TLS 1.3 staples\n"
    "                     included; the SSLKEYLOGFILE variable does the same. Never\n"
    "                     written unless asked.\n"
    "  --json             print JSON instead of lines\n"
    "  --lab DIR          the lab directory (default ./lab)\n"
    "Prints one line per user (address, staple and who checked it, direct OCSP query,\n"
    "verdict, reason, milliseconds) and a summary; every step goes to LAB/trace.jsonl.\n"
    "\n"
    "verify-staple: checks one DER OCSP response offline, exactly as the browser\n"
    "does (now = the simulated clock of the lab, --lab, default ./lab; the real time\n"
    "when there is no lab; or --at). Prints 'accept: good' or 'reject: REASON', an\n"
    "explanation, and the time and clock it judged by. REASON is one of revoked\n"
    "unknown stale not-yet-valid wrong-cert bad-signature untrusted-signer malformed\n"
    "unsuccessful critical-extension.\n"
    "\n"
    "exit status: 0 accepted (every user), 1 refused (any user), 2 usage or\n"
    "environment error\n";

struct browser_flags {
    const char *lab, *users, *fallback, *policy, *tls, *concurrency, *keylog, *ocsp;
    const char *crl_cache, *revlist;
    const char *staple; /* visit: on|off; verify-staple: the response FILE */
    const char *cert, *issuer, *at;
    bool json;
};

static bool use_color(void)
{
    const char *no_color = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && (no_color == NULL || no_color[0] == 0);
}

static int run_verify_staple(const struct browser_flags *f, size_t extra)
{
    struct ocsp_verdict verdict;
    struct errbuf err = {{0}};
    int64_t now = 0;
    if (extra != 0 || f->users != NULL || f->fallback != NULL || f->policy != NULL ||
        f->tls != NULL || f->concurrency != NULL || f->keylog != NULL || f->ocsp != NULL ||
        f->json || f->crl_cache != NULL || f->revlist != NULL) {
        cli_error("browser", "verify-staple takes --cert, --issuer, --staple, --at and --lab "
                             "(see --help)");
        return 2;
    }
    if (f->cert == NULL || f->issuer == NULL || f->staple == NULL) {
        cli_error("browser", "verify-staple needs --cert FILE --issuer FILE --staple FILE");
        return 2;
    }
    /* Which clock judged: a stale staple is only stale at some time, and a
     * student checking a lesson's file later must see which time that was. */
    char clock_words[LAB_PATH_MAX + 128];
    if (f->at != NULL) {
        if (verify_staple_parse_time(f->at, &now) != 0) {
            cli_error("browser", "invalid --at '%s': use seconds since 1970, e.g. %lld", f->at,
                      (long long)clock_now());
            return 2;
        }
        snprintf(clock_words, sizeof clock_words, "the time given with --at");
    } else {
        /* The lab's simulated clock when there is a lab; the real time otherwise. */
        int64_t offset = 0;
        struct stat st;
        bool has_lab = stat(f->lab, &st) == 0 && S_ISDIR(st.st_mode);
        if (clock_init(f->lab, &err) != 0 ||
            (has_lab && clock_offset_read(f->lab, &offset, &err) != 0)) {
            cli_error("browser", "%s", err.msg);
            return 2;
        }
        now = clock_now();
        char shift[32];
        clock_format_duration(offset, shift, sizeof shift);
        if (!has_lab)
            snprintf(clock_words, sizeof clock_words,
                     "the real clock (there is no lab at %s; --lab DIR judges by a lab's "
                     "simulated time)",
                     f->lab);
        else
            snprintf(clock_words, sizeof clock_words, "the simulated clock of %s (real time %s%s)",
                     f->lab, offset >= 0 ? "+ " : "", shift);
    }
    if (verify_staple_files(f->cert, f->issuer, f->staple, now, &verdict, &err) != 0) {
        cli_error("browser", "%s", err.msg);
        return 2;
    }
    char when[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(now, when, sizeof when);
    if (verdict.reason == OCSP_VERDICT_GOOD)
        printf("accept: good\n%s\n", verdict.explanation);
    else
        printf("reject: %s\n%s\n", ocsp_verdict_reason_name(verdict.reason), verdict.explanation);
    printf("Judged at %s by %s.\n", when, clock_words);
    return verdict.reason == OCSP_VERDICT_GOOD ? 0 : 1;
}

/* Where each verdict goes as it comes: the lines (or nothing, with --json),
 * the running totals, the totals of the users whose trace was muted, and a
 * progress line on a terminal for long runs. */
struct printer {
    bool is_json;
    bool use_color;
    bool shows_progress;
    int users;
    int64_t last_progress_ms;
    struct report_acc acc;
    struct report_summary untraced; /* users past CROWD_TRACED_USERS */
};

static void print_outcome(void *ctx, const struct visit_outcome *outcome)
{
    struct printer *p = ctx;
    report_acc_add(&p->acc, outcome);
    if (outcome->user > CROWD_TRACED_USERS)
        report_summary_add(&p->untraced, outcome);
    if (p->shows_progress) {
        int64_t now = clock_monotonic_ms();
        int done = p->acc.summary.users;
        if (now - p->last_progress_ms >= 1000 || done == p->users) {
            fprintf(stderr, "\r%d of %d users visited (%d%%)%s", done, p->users,
                    (int)((int64_t)done * 100 / p->users), done == p->users ? "\n" : "");
            fflush(stderr);
            p->last_progress_ms = now;
        }
    }
    if (p->is_json)
        return;
    report_print_line(stdout, outcome, p->use_color);
    fflush(stdout);
}

/* The verdicts of users whose trace was muted, in one event: the report
 * and `scenario trace` count them from it. */
static void trace_untraced(const struct report_summary *u, const char *url)
{
    if (u->users == 0)
        return;
    trace_event("browser.verdicts.summarized",
                json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:I, s:i, s:I, s:i}", "url", url, "users",
                          u->users, "accepted", u->accepted, "refused", u->refused, "stapled",
                          u->stapled, "asked", u->ocsp_queries, "ms_total", (json_int_t)u->ms_total,
                          "alone", u->alone_users, "alone_ms", (json_int_t)u->alone_ms,
                          "traced_users", CROWD_TRACED_USERS),
                "%d more user%s visited %s than the browser traces one by one (%d): %d "
                "accepted, %d refused, %d got a staple, %d asked the CA; counted here.",
                u->users, u->users == 1 ? "" : "s", url, CROWD_TRACED_USERS, u->accepted,
                u->refused, u->stapled, u->ocsp_queries);
}

/* The lab's root: PEM bytes for wolfSSL, and parsed for the verifier. */
struct root_ca {
    uint8_t *pem;
    size_t pem_len;
    struct der_buf der;
    struct x509_cert cert;
};

static int load_root(const char *lab, struct root_ca *root, struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    struct stat st;
    if (stat(lab, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errbuf_set(err, "no lab at %s (run 'ca init --lab %s' first, or pass --lab DIR)", lab, lab);
        return -1;
    }
    if (file_path_join(path, sizeof path, lab, LAB_ROOT_CERT) != 0) {
        errbuf_set(err, "lab path too long: %s", lab);
        return -1;
    }
    if (file_read_all(path, PEM_MAX_FILE_BYTES, &root->pem, &root->pem_len, err) != 0 ||
        pem_read_certificate(path, &root->der, err) != 0 ||
        x509_parse(&root->cert, root->der.data, root->der.len, err) != 0) {
        errbuf_prefix(err, "cannot load the lab's root CA (run 'ca init --lab %s' first)", lab);
        return -1;
    }
    return 0;
}

static void free_root(struct root_ca *root)
{
    free(root->pem);
    der_buf_free(&root->der);
}

/* --revlist FILE: 0 loaded, 1 unusable (said on stderr and in the trace;
 * the visits go on without it, as a browser does), -1 unreadable. */
static int load_pushed_list(const char *path, const struct x509_cert *root,
                            struct pushed_list *pushed)
{
    struct errbuf err = {{0}};
    const char *reason;
    int rc = pushed_list_load(path, root, clock_now(), pushed, &reason, &err);
    if (rc < 0) {
        cli_error("browser", "cannot read --revlist %s: %s", path, err.msg);
        return -1;
    }
    if (rc > 0) {
        cli_error("browser", "ignoring the revocation list %s (%s): %s", path, reason, err.msg);
        trace_event("revlist.rejected",
                    json_pack("{s:s, s:s, s:s}", "path", path, "reason", reason, "why", err.msg),
                    "The browser set aside its pushed revocation list (%s): %s", reason, err.msg);
        pushed_list_free(pushed);
        return 1;
    }
    char made[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(pushed->list.produced_at, made, sizeof made);
    trace_event("revlist.loaded",
                json_pack("{s:s, s:I, s:I, s:I, s:s}", "path", path, "version",
                          (json_int_t)pushed->list.version, "serials",
                          (json_int_t)pushed->list.count, "bytes", (json_int_t)pushed->len,
                          "produced_at", made),
                "The browser loaded the revocation list pushed to it ahead of time (version "
                "%llu, %zu revoked serials, %zu bytes, made %s): lookups need no request.",
                (unsigned long long)pushed->list.version, pushed->list.count, pushed->len, made);
    return 0;
}

static int run_visit(const struct browser_flags *f, const char *url, size_t extra)
{
    struct target target;
    struct root_ca root = {0};
    struct pushed_list pushed = {0};
    struct errbuf err = {{0}};
    int users = 1, concurrency = CROWD_DEFAULT_CONCURRENCY;
    struct visit_config config = {.target = &target, .timeout_ms = BROWSER_TIMEOUT_MS};
    const char *staple = f->staple != NULL ? f->staple : "on";
    const char *fallback = f->fallback != NULL ? f->fallback : "ocsp";
    const char *policy = f->policy != NULL ? f->policy : "soft";
    const char *tls = f->tls != NULL ? f->tls : "any";
    const char *ocsp = f->ocsp != NULL ? f->ocsp : "post";

    if (extra != 1 || f->cert != NULL || f->issuer != NULL || f->at != NULL) {
        cli_error("browser", "visit takes one URL and --users, --staple, --fallback, --ocsp, "
                             "--crl-cache, --revlist, --policy, --tls, --concurrency, --keylog, "
                             "--json, --lab (see --help)");
        return 2;
    }
    if (target_parse_url(url, &target, &err) != 0) {
        cli_error("browser", "%s", err.msg);
        return 2;
    }
    long count = users;
    if (f->users != NULL &&
        cli_count("browser", "--users", f->users, 1, CROWD_MAX_USERS, &count) != 0)
        return 2;
    users = (int)count;
    count = concurrency;
    if (f->concurrency != NULL && cli_count("browser", "--concurrency", f->concurrency, 1,
                                            CROWD_MAX_CONCURRENCY, &count) != 0)
        return 2;
    concurrency = (int)count;
    enum { FALLBACK_OCSP, FALLBACK_CRL, FALLBACK_NONE };
    int staple_way, fallback_way, ocsp_way, policy_way;
    if ((staple_way = cli_choice("browser", "--staple", staple, "on off")) < 0 ||
        (fallback_way = cli_choice("browser", "--fallback", fallback, "ocsp crl none")) < 0 ||
        (ocsp_way = cli_choice("browser", "--ocsp", ocsp, "post get")) < 0 ||
        (policy_way = cli_choice("browser", "--policy", policy, "soft hard")) < 0)
        return 2;
    if (f->crl_cache != NULL && fallback_way != FALLBACK_CRL) {
        cli_error("browser", "--crl-cache needs --fallback crl");
        return 2;
    }
    if (f->crl_cache != NULL && file_ensure_dir(f->crl_cache, 0755, &err) != 0) {
        cli_error("browser", "cannot use --crl-cache: %s", err.msg);
        return 2;
    }
    if (strcmp(tls, "1.2") == 0)
        config.versions = TLS_CHOICE_12;
    else if (strcmp(tls, "1.3") == 0)
        config.versions = TLS_CHOICE_13;
    else if (strcmp(tls, "any") == 0 || strcmp(tls, "both") == 0)
        config.versions = TLS_CHOICE_ANY;
    else {
        cli_error("browser", "invalid --tls '%s': use 1.2 or 1.3 (default: either)", tls);
        return 2;
    }
    config.wants_staple = staple_way == 0;
    config.may_query_ocsp = fallback_way == FALLBACK_OCSP;
    config.queries_by_get = ocsp_way == 1;
    config.may_fetch_crl = fallback_way == FALLBACK_CRL;
    config.crl_cache_dir = f->crl_cache;
    config.is_hard_fail = policy_way == 1;

    int rc = 2;
    struct printer printer = {0};
    /* Like browsers, SSLKEYLOGFILE asks for the key log too; --keylog wins. */
    const char *keylog_path = f->keylog;
    if (keylog_path == NULL && getenv("SSLKEYLOGFILE") != NULL && getenv("SSLKEYLOGFILE")[0] != 0)
        keylog_path = getenv("SSLKEYLOGFILE");
    if (keylog_path != NULL && keylog_open(keylog_path, &config.keylog, &err) != 0) {
        cli_error("browser", "%s", err.msg);
        return 2;
    }
    /* Before any thread: wolfSSL, the clock (installed into wolfSSL too), the
     * lab's root, the trace, libcurl. */
    if (tls_client_global_init() != 0) {
        cli_error("browser", "cannot initialise wolfSSL");
        keylog_close(config.keylog);
        return 2;
    }
    if (load_root(f->lab, &root, &err) != 0 || clock_init(f->lab, &err) != 0 ||
        trace_open(f->lab, "browser", &err) != 0 || ocsp_fetch_global_init(&err) != 0) {
        cli_error("browser", "%s", err.msg);
        goto out;
    }
    if (f->revlist != NULL) {
        int loaded = load_pushed_list(f->revlist, &root.cert, &pushed);
        if (loaded < 0)
            goto out;
        if (loaded == 0)
            config.revlist = &pushed.list;
    }
    config.root_pem = root.pem;
    config.root_pem_len = root.pem_len;
    config.root = &root.cert;
    trace_event("browser.start",
                json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:i}", "url", target.url, "users", users,
                          "staple", staple, "fallback", fallback, "policy", policy, "tls", tls,
                          "concurrency", concurrency),
                "%d simulated user%s visit %s (staple %s, fallback %s, policy %s), %d at a time.",
                users, users == 1 ? "" : "s", target.url, staple, fallback, policy,
                concurrency < users ? concurrency : users);
    printer.is_json = f->json;
    printer.use_color = use_color();
    printer.users = users;
    printer.shows_progress = users >= 1000 && isatty(STDERR_FILENO);
    report_acc_init(&printer.acc, f->json);
    if (!f->json) {
        report_print_header(stdout);
        fflush(stdout);
    }
    int64_t wall_ms = 0;
    if (crowd_run(&config, users, concurrency, print_outcome, &printer, &wall_ms, &err) != 0) {
        cli_error("browser", "%s", err.msg);
        goto out;
    }
    trace_untraced(&printer.untraced, target.url);
    printer.acc.summary.wall_ms = wall_ms;
    struct report_summary summary = printer.acc.summary;
    trace_event("browser.summary",
                json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:I}", "url", target.url, "users",
                          summary.users, "accepted", summary.accepted, "refused", summary.refused,
                          "ocsp_queries", summary.ocsp_queries, "staples_checked_by_lab",
                          summary.staples_by_lab, "reconnects", summary.reconnects, "wall_ms",
                          (json_int_t)wall_ms),
                "%d user%s visited %s: %d accepted, %d refused; the browsers sent %d OCSP "
                "quer%s to the CA's responder.",
                summary.users, summary.users == 1 ? "" : "s", target.url, summary.accepted,
                summary.refused, summary.ocsp_queries, summary.ocsp_queries == 1 ? "y" : "ies");
    if (f->json) {
        struct report_settings settings = {target.url, staple, fallback, policy, tls, concurrency};
        json_t *json = report_json(&settings, &printer.acc);
        char *text = json != NULL ? json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(json);
        if (text == NULL) {
            cli_error("browser", "cannot build the JSON report");
            goto out;
        }
        printf("%s\n", text);
        free(text);
    } else {
        report_print_summary(stdout, &printer.acc, printer.use_color);
    }
    rc = summary.refused == 0 ? 0 : 1;
out:
    report_acc_free(&printer.acc);
    free_root(&root);
    pushed_list_free(&pushed);
    trace_close();
    keylog_close(config.keylog);
    tls_client_global_cleanup();
    return rc;
}

int main(int argc, char **argv)
{
    struct browser_flags f = {.lab = LAB_DEFAULT_DIR};
    const struct cli_option options[] = {
        {"--lab", true, &f.lab, NULL},         {"--users", true, &f.users, NULL},
        {"--staple", true, &f.staple, NULL},   {"--fallback", true, &f.fallback, NULL},
        {"--ocsp", true, &f.ocsp, NULL},       {"--crl-cache", true, &f.crl_cache, NULL},
        {"--revlist", true, &f.revlist, NULL}, {"--policy", true, &f.policy, NULL},
        {"--tls", true, &f.tls, NULL},         {"--concurrency", true, &f.concurrency, NULL},
        {"--keylog", true, &f.keylog, NULL},   {"--cert", true, &f.cert, NULL},
        {"--issuer", true, &f.issuer, NULL},   {"--at", true, &f.at, NULL},
        {"--json", false, NULL, &f.json},
    };
    struct cli_args args;

    int start = cli_start("browser", usage_text, argc, argv, options,
                          sizeof options / sizeof options[0], &args);
    if (start != CLI_GO_ON)
        return start;
    if (args.positional_count == 0) {
        fputs(usage_text, stderr);
        return 2;
    }
    /* A server that closes early must not kill the browser mid-write. */
    signal(SIGPIPE, SIG_IGN);
    const char *command = args.positional[0];
    size_t extra = args.positional_count - 1;
    if (strcmp(command, "visit") == 0)
        return run_visit(&f, extra == 1 ? args.positional[1] : "", extra);
    if (strcmp(command, "verify-staple") == 0)
        return run_verify_staple(&f, extra);
    cli_error("browser", "unknown command '%s' (use visit or verify-staple; see --help)", command);
    return 2;
}
