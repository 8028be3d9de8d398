/* cli.c — option parsing where options may come anywhere on the line. */
#include "cli.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Longest message cli_error shows; an errbuf message and a path or two fit. */
#define CLI_MAX_MESSAGE 2048

static const struct cli_option *find_option(const struct cli_option *options, size_t count,
                                            const char *name, size_t name_len)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(options[i].name) == name_len && strncmp(options[i].name, name, name_len) == 0)
            return &options[i];
    return NULL;
}

int cli_parse(int argc, char **argv, const struct cli_option *options, size_t option_count,
              struct cli_args *args, struct errbuf *err)
{
    bool seen[64] = {false};
    bool options_ended = false;
    args->positional_count = 0;
    if (option_count > sizeof seen / sizeof seen[0]) {
        errbuf_set(err, "too many options defined");
        return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_ended && strcmp(arg, "--") == 0) {
            options_ended = true;
            continue;
        }
        if (options_ended || arg[0] != '-' || arg[1] == 0) {
            if (args->positional_count == CLI_MAX_POSITIONAL) {
                errbuf_set(err, "too many arguments (at '%s')", arg);
                return -1;
            }
            args->positional[args->positional_count++] = arg;
            continue;
        }
        const char *equals = strchr(arg, '=');
        size_t name_len = equals != NULL ? (size_t)(equals - arg) : strlen(arg);
        const struct cli_option *opt = find_option(options, option_count, arg, name_len);
        if (opt == NULL) {
            /* No "(see --help)" here: cli_start adds it to every parse error. */
            errbuf_set(err, "unknown option '%.*s'", (int)name_len, arg);
            return -1;
        }
        size_t index = (size_t)(opt - options);
        if (seen[index]) {
            errbuf_set(err, "option %s given twice", opt->name);
            return -1;
        }
        seen[index] = true;
        if (opt->is_set != NULL)
            *opt->is_set = true;
        if (!opt->takes_value) {
            if (equals != NULL) {
                errbuf_set(err, "option %s takes no value", opt->name);
                return -1;
            }
            continue;
        }
        const char *value = NULL;
        if (equals != NULL)
            value = equals + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        if (value == NULL || value[0] == 0) {
            errbuf_set(err, "option %s needs a value", opt->name);
            return -1;
        }
        *opt->value = value;
    }
    return 0;
}

int cli_start(const char *program, const char *usage, int argc, char **argv,
              const struct cli_option *options, size_t option_count, struct cli_args *args)
{
    struct cli_option all[CLI_MAX_OPTIONS];
    struct errbuf err = {{0}};
    bool is_help = false, is_version = false;
    if (option_count + 2 > CLI_MAX_OPTIONS) {
        cli_error(program, "too many options for the parser (%zu)", option_count);
        return 2;
    }
    memcpy(all, options, option_count * sizeof options[0]);
    all[option_count] = (struct cli_option){"--help", false, NULL, &is_help};
    all[option_count + 1] = (struct cli_option){"--version", false, NULL, &is_version};
    if (cli_parse(argc, argv, all, option_count + 2, args, &err) != 0) {
        cli_error(program, "%s (see --help)", err.msg);
        return 2;
    }
    if (is_help) {
        fputs(usage, stdout);
        return 0;
    }
    if (is_version) {
        /* The library linked in, asked at run time: the lab builds its own. */
        printf("%s (OCSP Stapling Lab) %s\nwolfSSL %s\n", program, OCSPLAB_VERSION,
               wolfSSL_lib_version());
        return 0;
    }
    return CLI_GO_ON;
}

void cli_error(const char *program, const char *fmt, ...)
{
    char raw[CLI_MAX_MESSAGE];
    /* Every byte escaped can take four: room for a message of nothing else. */
    char shown[4 * CLI_MAX_MESSAGE];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (len < 0)
        snprintf(raw, sizeof raw, "(cannot format the message)");
    else if ((size_t)len >= sizeof raw)
        memcpy(raw + sizeof raw - 4, "...", 4);
    /* Messages repeat what the user typed (a name, an option, a path) and
     * what a library said; escaped here, once, no program can send a raw
     * ESC sequence or a line break to the terminal through them. */
    utf8_escape_for_terminal(raw, shown, sizeof shown);
    fprintf(stderr, "%s: %s\n", program, shown);
}

int cli_choice(const char *program, const char *flag, const char *value, const char *choices)
{
    /* "on off" -> index of value; the message lists them: "use on or off",
     * "use ocsp, crl or none". */
    char words[256];
    size_t count = 0;
    int index = -1;
    for (const char *s = choices; *s != 0;) {
        size_t len = strcspn(s, " ");
        if (index < 0 && strlen(value) == len && strncmp(s, value, len) == 0)
            index = (int)count;
        count++;
        s += len;
        while (*s == ' ')
            s++;
    }
    if (index >= 0)
        return index;
    size_t n = 0, seen = 0;
    for (const char *s = choices; *s != 0 && n < sizeof words;) {
        size_t len = strcspn(s, " ");
        seen++;
        const char *joint = seen == 1 ? "" : seen == count ? " or " : ", ";
        n += (size_t)snprintf(words + n, sizeof words - n, "%s%.*s", joint, (int)len, s);
        s += len;
        while (*s == ' ')
            s++;
    }
    cli_error(program, "invalid %s '%s': use %s", flag, value, words);
    return -1;
}

int cli_count(const char *program, const char *flag, const char *value, long min, long max,
              long *out)
{
    char *end = NULL;
    long n = value != NULL ? strtol(value, &end, 10) : 0;
    if (value == NULL || end == value || *end != 0 || n < min || n > max) {
        cli_error(program, "invalid %s '%s': use %ld to %ld", flag, value != NULL ? value : "", min,
                  max);
        return -1;
    }
    *out = n;
    return 0;
}

void cli_block_stop_signals(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGINT);
    sigaddset(stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, stop, NULL);
    signal(SIGPIPE, SIG_IGN);
}
