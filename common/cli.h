/* cli.h — command-line parsing shared by every program (DESIGN section 2):
 * options may stand before or after the subcommand and its arguments,
 * as "--name value" or "--name=value"; "--" ends the options. */
#ifndef OCSPLAB_CLI_H
#define OCSPLAB_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"

struct cli_option {
    const char *name;   /* "--lab" */
    bool takes_value;   /* "--lab DIR" vs "--force" */
    const char **value; /* where the value goes (takes_value) */
    bool *is_set;       /* set true when seen (may be NULL for valued options) */
};

#define CLI_MAX_POSITIONAL 16

struct cli_args {
    const char *positional[CLI_MAX_POSITIONAL];
    size_t positional_count;
};

/* Parses argv[1..argc-1]. Unknown options, a missing value, a repeated option
 * and too many positional arguments are errors with a message naming them. */
int cli_parse(int argc, char **argv, const struct cli_option *options, size_t option_count,
              struct cli_args *args, struct errbuf *err);

/* What every program's main() does first: parses argv with `options` plus
 * --help and --version (added here), prints `usage` on stdout for --help,
 * "PROGRAM (OCSP Stapling Lab) VERSION" and "wolfSSL VERSION" for --version,
 * and reports a bad command line as "PROGRAM: what (see --help)". Returns CLI_GO_ON when the
 * program should go on, else the exit status to return now: 0 after --help
 * or --version, 2 for a bad command line (DESIGN section 2). */
#define CLI_GO_ON (-1)
#define CLI_MAX_OPTIONS 48
int cli_start(const char *program, const char *usage, int argc, char **argv,
              const struct cli_option *options, size_t option_count, struct cli_args *args);

/* Prints "PROGRAM: message" to stderr as one line (STYLE: what failed: why),
 * with control characters and bytes that are not UTF-8 shown as \xHH
 * (utf8_escape_for_terminal): messages repeat user input. At most
 * 2047 bytes of message; a longer one is cut and ends in "...". */
void cli_error(const char *program, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The index of `value` among the space-separated `choices` ("on off"), or
 * -1 after printing "PROGRAM: invalid FLAG 'VALUE': use on or off". */
int cli_choice(const char *program, const char *flag, const char *value, const char *choices);

/* A whole number from min to max into *out, or -1 after printing
 * "PROGRAM: invalid FLAG 'VALUE': use MIN to MAX". */
int cli_count(const char *program, const char *flag, const char *value, long min, long max,
              long *out);

/* A server's signals, before any thread starts (every thread inherits the
 * mask): SIGINT and SIGTERM blocked, for the main thread's sigwait(stop),
 * and SIGPIPE ignored, so a peer that hangs up cannot kill the process. */
void cli_block_stop_signals(sigset_t *stop);

/* The lab version, shown by --version and sent in User-Agent headers.
 * debian/changelog and the .TH line of every man/ page name it too (the
 * install and manpages suites check both): change them together. */
#define OCSPLAB_VERSION "0.1.0"

#endif
