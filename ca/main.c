/* main.c — `ca`: the lab's mini Certificate Authority (DESIGN section 2).
 * Parses flags, calls ca.c, prints for people (or JSON), picks the exit code:
 * 0 done, 1 nothing to do (already revoked), 2 usage or environment error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ca.h"
#include "cli.h"
#include "clock.h"
#include "control_token.h"
#include "crl_issue.h"
#include "fileio.h"
#include "lab.h"
#include "ocsp.h"
#include "trace.h"

static const char usage_text[] =
    "usage: ca [--lab DIR] COMMAND [options]\n"
    "\n"
    "The lab's Certificate Authority. Records live in LAB/ca.db (SQLite).\n"
    "\n"
    "commands:\n"
    "  init [--key ec|rsa] [--name \"Lab Root CA\"] [--ocsp-url URL] [--delegate] [--force]\n"
    "        create the root CA (LAB/ca/root.pem, root.key); --delegate also issues\n"
    "        an OCSP signing certificate (LAB/ca/ocsp.pem) with EKU OCSPSigning\n"
    "  issue NAME [--days N | --validity DURATION] [--must-staple] [--ocsp-url URL]\n"
    "        [--crl-url URL] [--key ec|rsa]\n"
    "        issue a server certificate for DNS name NAME (LAB/certs/NAME.pem, .key);\n"
    "        the OCSP URL goes into Authority Information Access (default: the CA's),\n"
    "        the CRL URL into CRL Distribution Points (default: the responder's /crl);\n"
    "        --validity 6d (any duration, e.g. 160h or 90m) makes a short-lived one\n"
    "  revoke NAME | --serial HEX [--reason REASON]\n"
    "        revoke at the simulated time; REASON is one of\n"
    "        " REVOCATION_REASON_NAMES "\n"
    "  crl [--next-update DURATION] [-o FILE]\n"
    "        write a CRL (RFC 5280 v2, DER) of every revoked certificate, signed by\n"
    "        the root, current for DURATION (default 7d) from now; default FILE\n"
    "        LAB/ca/crl.der. Check it: openssl crl -inform DER -CAfile LAB/ca/root.pem\n"
    "  revlist [-o FILE]\n"
    "        write the lab's stand-in for a pushed revocation list (CRLite, CRLSets):\n"
    "        every revoked serial, a version and a time, signed by the root (default\n"
    "        FILE LAB/ca/revlist.der); browser visit --revlist FILE loads it\n"
    "  list [--json]\n"
    "        one line per certificate: serial, name, not-after, status\n"
    "\n"
    "options:\n"
    "  --lab DIR    the lab directory (default ./lab)\n"
    "  --help       this text\n"
    "  --version    the lab version\n"
    "\n"
    "exit status: 0 done, 1 already revoked, 2 usage or environment error\n";

struct ca_flags {
    const char *lab, *key, *name, *ocsp_url, *crl_url, *days, *serial, *reason;
    const char *next_update, *out, *validity;
    bool delegate, force, must_staple, json;
};

/* The options only `issue` (--crl-url, --validity) and `crl` (--next-update,
 * -o) take. */
static bool has_crl_flags(const struct ca_flags *f, bool is_issue, bool is_crl)
{
    return (!is_issue && (f->crl_url != NULL || f->validity != NULL)) ||
           (!is_crl && (f->next_update != NULL || f->out != NULL));
}

static void print_time(const char *label, int64_t unix_seconds)
{
    char text[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(unix_seconds, text, sizeof text);
    printf("%s%s", label, text);
}

static int run_init(const struct ca_flags *f)
{
    struct ca_init_options opts = {
        .key_type = KEY_EC_P256,
        .name = f->name != NULL ? f->name : CA_DEFAULT_NAME,
        .ocsp_url = f->ocsp_url != NULL ? f->ocsp_url : CA_DEFAULT_OCSP_URL,
        .with_delegate = f->delegate,
        .force = f->force,
    };
    struct ca_init_result result;
    struct errbuf err = {{0}};
    if (f->key != NULL && key_type_parse(f->key, &opts.key_type) != 0) {
        cli_error("ca", "invalid --key '%s': use ec or rsa", f->key);
        return 2;
    }
    if (f->days != NULL || f->must_staple || f->serial != NULL || f->reason != NULL || f->json ||
        has_crl_flags(f, false, false)) {
        cli_error("ca",
                  "init takes --key, --name, --ocsp-url, --delegate and --force (see --help)");
        return 2;
    }
    if (ca_init(f->lab, &opts, &result, &err) != CA_OK) {
        cli_error("ca", "%s", err.msg);
        return 2;
    }
    printf("%s root CA '%s' (%s), serial %s\n",
           result.replaced_existing ? "Replaced the" : "Created", opts.name,
           key_type_description(opts.key_type), result.root_serial_hex);
    print_time("  valid until  ", result.root_not_after);
    printf("\n  certificate  %s/%s\n  key          %s/%s (mode 0600)\n", f->lab, LAB_ROOT_CERT,
           f->lab, LAB_ROOT_KEY);
    printf("  OCSP URL     %s (written into the certificates it issues)\n", opts.ocsp_url);
    if (opts.with_delegate)
        printf("  OCSP signer  %s/%s, serial %s (EKU OCSPSigning, ocsp-nocheck)\n", f->lab,
               LAB_DELEGATE_CERT, result.delegate_serial_hex);
    printf("  control      %s/%s (mode 0600: the teacher's key to the responder's faults)\n",
           f->lab, LAB_CONTROL_TOKEN);
    if (result.forgotten_files > 0)
        printf("  removed      %d files of the old CA's certificates and staples\n",
               result.forgotten_files);
    return 0;
}

static int run_issue(const struct ca_flags *f, const char *name)
{
    struct ca_issue_options opts = {
        .name = name,
        .days = CA_DEFAULT_DAYS,
        .is_must_staple = f->must_staple,
        .ocsp_url = f->ocsp_url,
        .crl_url = f->crl_url,
        .key_type = KEY_EC_P256,
    };
    struct cert_record rec;
    struct errbuf err = {{0}};
    if (f->key != NULL && key_type_parse(f->key, &opts.key_type) != 0) {
        cli_error("ca", "invalid --key '%s': use ec or rsa", f->key);
        return 2;
    }
    if (f->days != NULL) {
        char *end = NULL;
        long days = strtol(f->days, &end, 10);
        if (end == f->days || *end != 0 || days < 1 || days > CA_MAX_DAYS) {
            cli_error("ca", "invalid --days '%s': use a whole number from 1 to %d", f->days,
                      CA_MAX_DAYS);
            return 2;
        }
        opts.days = (int)days;
    }
    if (f->validity != NULL) {
        if (f->days != NULL) {
            cli_error("ca", "give --days or --validity, not both");
            return 2;
        }
        if (clock_parse_duration(f->validity, &opts.validity_seconds) != 0 ||
            opts.validity_seconds < CA_MIN_VALIDITY_SECONDS ||
            opts.validity_seconds > (int64_t)CA_MAX_DAYS * 86400) {
            cli_error("ca",
                      "invalid --validity '%s': use a duration from 1m to %dd, e.g. 6d "
                      "for a short-lived certificate",
                      f->validity, CA_MAX_DAYS);
            return 2;
        }
    }
    if (f->delegate || f->force || f->name != NULL || f->serial != NULL || f->reason != NULL ||
        f->json || has_crl_flags(f, true, false)) {
        cli_error("ca", "issue takes --days or --validity, --must-staple, --ocsp-url, --crl-url "
                        "and --key (see --help)");
        return 2;
    }
    if (ca_issue(f->lab, &opts, &rec, &err) != CA_OK) {
        cli_error("ca", "%s", err.msg);
        return 2;
    }
    printf("Issued %s, serial %s%s\n", rec.name, rec.serial_hex,
           rec.is_must_staple ? " (must-staple)" : "");
    print_time("  valid        ", rec.not_before);
    print_time(" .. ", rec.not_after);
    printf("\n  certificate  %s/%s/%s.pem\n  key          %s/%s/%s.key (mode 0600)\n", f->lab,
           LAB_CERTS_DIR, rec.name, f->lab, LAB_CERTS_DIR, rec.name);
    return 0;
}

static int run_revoke(const struct ca_flags *f, const char *name)
{
    enum revocation_reason reason = REASON_UNSPECIFIED;
    struct cert_record rec;
    struct errbuf err = {{0}};
    if (f->reason != NULL && revocation_reason_parse(f->reason, &reason) != 0) {
        cli_error("ca", "invalid --reason '%s': use one of %s", f->reason, REVOCATION_REASON_NAMES);
        return 2;
    }
    if ((name == NULL) == (f->serial == NULL)) {
        cli_error("ca", "revoke needs a NAME or --serial HEX, not both (see --help)");
        return 2;
    }
    if (f->delegate || f->force || f->must_staple || f->days != NULL || f->key != NULL ||
        f->name != NULL || f->ocsp_url != NULL || f->json || has_crl_flags(f, false, false)) {
        cli_error("ca", "revoke takes NAME or --serial, and --reason (see --help)");
        return 2;
    }
    int rc = ca_revoke(f->lab, name, f->serial, reason, &rec, &err);
    if (rc == CA_ALREADY_REVOKED) {
        cli_error("ca", "%s", err.msg);
        return 1;
    }
    if (rc != CA_OK) {
        cli_error("ca", "%s", err.msg);
        return 2;
    }
    printf("Revoked %s, serial %s, reason %s\n", rec.name, rec.serial_hex,
           ocsp_crl_reason_name(rec.revocation_reason));
    print_time("  at           ", rec.revoked_at);
    printf(" (simulated time)\n");
    return 0;
}

static int run_crl(const struct ca_flags *f)
{
    struct ca_crl_options opts = {
        .next_update_seconds = CRL_DEFAULT_NEXT_UPDATE_SECONDS,
        .out_path = f->out,
    };
    struct ca_crl_result result;
    struct errbuf err = {{0}};
    if (f->delegate || f->force || f->must_staple || f->days != NULL || f->key != NULL ||
        f->name != NULL || f->ocsp_url != NULL || f->serial != NULL || f->reason != NULL ||
        f->json || has_crl_flags(f, false, true)) {
        cli_error("ca", "crl takes --next-update and -o (see --help)");
        return 2;
    }
    if (f->next_update != NULL &&
        (clock_parse_duration(f->next_update, &opts.next_update_seconds) != 0 ||
         opts.next_update_seconds <= 0)) {
        cli_error("ca",
                  "invalid --next-update '%s': use a positive duration such as 7d, 36h or "
                  "90m",
                  f->next_update);
        return 2;
    }
    if (ca_crl(f->lab, &opts, &result, &err) != CA_OK) {
        cli_error("ca", "%s", err.msg);
        return 2;
    }
    printf("Wrote CRL number %llu: %zu revoked certificate%s, %zu bytes\n",
           (unsigned long long)result.number, result.entry_count,
           result.entry_count == 1 ? "" : "s", result.der_len);
    print_time("  current      ", result.this_update);
    print_time(" .. ", result.next_update);
    printf("\n  file         %s (DER)\n", result.path);
    return 0;
}

static int run_revlist(const struct ca_flags *f)
{
    struct ca_revlist_result result;
    struct errbuf err = {{0}};
    if (f->delegate || f->force || f->must_staple || f->days != NULL || f->key != NULL ||
        f->name != NULL || f->ocsp_url != NULL || f->serial != NULL || f->reason != NULL ||
        f->json || f->next_update != NULL || has_crl_flags(f, false, true)) {
        cli_error("ca", "revlist takes only -o (see --help)");
        return 2;
    }
    if (ca_revlist(f->lab, f->out, &result, &err) != CA_OK) {
        cli_error("ca", "%s", err.msg);
        return 2;
    }
    printf("Wrote revocation list version %llu: %zu revoked serial%s, %zu bytes\n",
           (unsigned long long)result.version, result.count, result.count == 1 ? "" : "s",
           result.der_len);
    print_time("  made         ", result.produced_at);
    printf("\n  file         %s (the lab's own format: a stand-in for CRLite/CRLSets)\n",
           result.path);
    return 0;
}

/* Writes one row into the list being built (ctx: a memory stream). */
static int print_row(const struct cert_record *rec, void *ctx)
{
    FILE *text = ctx;
    char until[CLOCK_RFC3339_LEN], when[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(rec->not_after, until, sizeof until);
    if (fprintf(text, "%-32s  %-20s  %-24s  ", rec->serial_hex, rec->name, until) < 0)
        return -1;
    if (rec->is_revoked) {
        clock_format_rfc3339_seconds(rec->revoked_at, when, sizeof when);
        if (fprintf(text, "revoked %s %s\n", when, ocsp_crl_reason_name(rec->revocation_reason)) <
            0)
            return -1;
    } else if (fprintf(text, "good%s\n", rec->is_must_staple ? " (must-staple)" : "") < 0) {
        return -1;
    }
    return 0;
}

static int append_json(const struct cert_record *rec, void *ctx)
{
    json_t *list = ctx;
    char until[CLOCK_RFC3339_LEN], from[CLOCK_RFC3339_LEN], when[CLOCK_RFC3339_LEN];
    clock_format_rfc3339_seconds(rec->not_after, until, sizeof until);
    clock_format_rfc3339_seconds(rec->not_before, from, sizeof from);
    json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "serial", rec->serial_hex,
                            "name", rec->name, "kind", rec->kind, "not_before", from, "not_after",
                            until, "must_staple", rec->is_must_staple, "status",
                            rec->is_revoked ? "revoked" : "good");
    if (row == NULL)
        return -1;
    if (rec->is_revoked) {
        clock_format_rfc3339_seconds(rec->revoked_at, when, sizeof when);
        json_object_set_new(row, "revoked_at", json_string(when));
        json_object_set_new(row, "reason",
                            json_string(ocsp_crl_reason_name(rec->revocation_reason)));
    }
    return json_array_append_new(list, row);
}

/* The whole list as text, for people: a header and one line per certificate.
 * Returns ca_list's answer; *out (caller frees) is set only on success. */
static int build_text_list(const char *lab, char **out, struct errbuf *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *stream = open_memstream(&text, &len);
    if (stream == NULL) {
        errbuf_set(err, "cannot build the list: out of memory");
        return -1;
    }
    int rc = 1;
    if (fprintf(stream, "%-32s  %-20s  %-24s  %s\n", "SERIAL", "NAME", "NOT AFTER", "STATUS") > 0)
        rc = ca_list(lab, print_row, stream, err);
    /* fclose settles text and len; a stream that failed to grow fails here. */
    if (fclose(stream) != 0 && rc == 0)
        rc = 1;
    if (rc == 0)
        *out = text;
    else
        free(text);
    return rc;
}

/* ca list reads only: it opens the database read-only and writes no trace,
 * so it works in a lab the user may not write. Nothing reaches stdout until
 * the whole list is known, so a failure halfway never looks like a short
 * list to a script. */
static int run_list(const struct ca_flags *f)
{
    struct errbuf err = {{0}};
    char *text = NULL;
    int rc;
    if (f->delegate || f->force || f->must_staple || f->days != NULL || f->key != NULL ||
        f->name != NULL || f->ocsp_url != NULL || f->serial != NULL || f->reason != NULL ||
        has_crl_flags(f, false, false)) {
        cli_error("ca", "list takes only --json (see --help)");
        return 2;
    }
    if (f->json) {
        json_t *list = json_array();
        rc = list != NULL ? ca_list(f->lab, append_json, list, &err) : 1;
        if (rc == 0) {
            text = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            if (text == NULL)
                rc = 1;
        }
        json_decref(list);
    } else {
        rc = build_text_list(f->lab, &text, &err);
    }
    if (rc != 0) {
        cli_error("ca", "%s", rc < 0 ? err.msg : "cannot build the list: out of memory");
        return 2;
    }
    int written = fputs(text, stdout);
    if (written >= 0 && f->json)
        written = fputc('\n', stdout);
    free(text);
    if (written < 0 || fflush(stdout) != 0) {
        cli_error("ca", "cannot write the list to stdout");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct ca_flags f = {.lab = LAB_DEFAULT_DIR};
    const struct cli_option options[] = {
        {"--lab", true, &f.lab, NULL},
        {"--key", true, &f.key, NULL},
        {"--name", true, &f.name, NULL},
        {"--ocsp-url", true, &f.ocsp_url, NULL},
        {"--crl-url", true, &f.crl_url, NULL},
        {"--next-update", true, &f.next_update, NULL},
        {"-o", true, &f.out, NULL},
        {"--validity", true, &f.validity, NULL},
        {"--days", true, &f.days, NULL},
        {"--serial", true, &f.serial, NULL},
        {"--reason", true, &f.reason, NULL},
        {"--delegate", false, NULL, &f.delegate},
        {"--force", false, NULL, &f.force},
        {"--must-staple", false, NULL, &f.must_staple},
        {"--json", false, NULL, &f.json},
    };
    struct cli_args args;
    struct errbuf err = {{0}};

    int start =
        cli_start("ca", usage_text, argc, argv, options, sizeof options / sizeof options[0], &args);
    if (start != CLI_GO_ON)
        return start;
    if (args.positional_count == 0) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *command = args.positional[0];
    size_t extra = args.positional_count - 1;
    bool takes_name = strcmp(command, "issue") == 0 || strcmp(command, "revoke") == 0;
    if (strcmp(command, "init") != 0 && strcmp(command, "list") != 0 &&
        strcmp(command, "crl") != 0 && strcmp(command, "revlist") != 0 && !takes_name) {
        cli_error("ca",
                  "unknown command '%s' (use init, issue, revoke, crl, revlist or list; "
                  "see --help)",
                  command);
        return 2;
    }
    if (extra > (takes_name ? 1u : 0u) || (strcmp(command, "issue") == 0 && extra != 1)) {
        cli_error("ca", "%s: wrong number of arguments (see --help)", command);
        return 2;
    }
    /* The simulated clock and the trace come before any step, so every time
     * written (validity, revocation) and every event follows the lab's clock. */
    if (clock_init(f.lab, &err) != 0) {
        cli_error("ca", "%s", err.msg);
        return 2;
    }
    /* init makes the lab directory; every other command needs it to exist. */
    struct stat st;
    if (strcmp(command, "init") == 0) {
        if (file_ensure_dir(f.lab, 0755, &err) != 0) {
            cli_error("ca", "%s", err.msg);
            return 2;
        }
    } else if (stat(f.lab, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_error("ca", "no lab at %s (run 'ca init --lab %s' first)", f.lab, f.lab);
        return 2;
    }
    /* list only reads; every other command records what it did. */
    bool is_list = strcmp(command, "list") == 0;
    if (!is_list && trace_open(f.lab, "ca", &err) != 0) {
        cli_error("ca", "%s", err.msg);
        return 2;
    }
    int rc;
    if (strcmp(command, "init") == 0)
        rc = run_init(&f);
    else if (strcmp(command, "issue") == 0)
        rc = run_issue(&f, args.positional[1]);
    else if (strcmp(command, "revoke") == 0)
        rc = run_revoke(&f, extra == 1 ? args.positional[1] : NULL);
    else if (strcmp(command, "crl") == 0)
        rc = run_crl(&f);
    else if (strcmp(command, "revlist") == 0)
        rc = run_revlist(&f);
    else
        rc = run_list(&f);
    trace_close();
    return rc;
}
