/* parse.c — reads a scenario file into steps (the language of
 * scenarios/README.md). A lesson is read by people first: every error names
 * its line and says what would be right, and everything that can be checked
 * without running a program is checked here, so a typo on line 40 stops the
 * run before line 1 starts anything. */
#include "parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Copies text, cut to fit (callers check lengths first where a cut matters). */
static void set_text(char *out, size_t cap, const char *text)
{
    size_t len = strlen(text);
    if (len >= cap)
        len = cap - 1;
    memcpy(out, text, len);
    out[len] = 0;
}

/* ---- Small words ---------------------------------------------------------------------------- */

static const char *const step_names[] = {
    [SCN_TITLE] = "title",       [SCN_SAY] = "say",
    [SCN_PAUSE] = "pause",       [SCN_CA_INIT] = "ca init",
    [SCN_CA_ISSUE] = "ca issue", [SCN_CA_REVOKE] = "ca revoke",
    [SCN_START] = "start",       [SCN_STOP] = "stop",
    [SCN_RESTART] = "restart",   [SCN_FAULT] = "fault",
    [SCN_ADVANCE] = "advance",   [SCN_VISIT] = "visit",
    [SCN_WATCH] = "watch",       [SCN_SAVE_STAPLE] = "save staple",
    [SCN_FORGE] = "forge",       [SCN_CHECK] = "check",
    [SCN_EXPECT] = "expect",     [SCN_COMPARE] = "compare",
    [SCN_INCLUDE] = "include",   [SCN_CA_REVLIST] = "ca revlist",
};

const char *scn_program_noun(enum scn_program program)
{
    switch (program) {
    case SCN_RESPONDER:
        return "responder";
    case SCN_WEBSERVER:
        return "web server";
    case SCN_CACHE:
        return "cache";
    }
    return "program";
}

const char *scn_step_kind_name(enum scn_step_kind kind)
{
    if ((size_t)kind >= sizeof step_names / sizeof step_names[0])
        return "?";
    return step_names[kind];
}

static const char *const op_texts[] = {
    [SCN_OP_EQ] = "==", [SCN_OP_NE] = "!=", [SCN_OP_GE] = ">=",
    [SCN_OP_LE] = "<=", [SCN_OP_GT] = ">",  [SCN_OP_LT] = "<",
};

const char *scn_op_text(enum scn_op op)
{
    if ((size_t)op >= sizeof op_texts / sizeof op_texts[0])
        return "?";
    return op_texts[op];
}

int scn_op_parse(const char *text, enum scn_op *op)
{
    if (strcmp(text, "=") == 0) {
        *op = SCN_OP_EQ;
        return 0;
    }
    for (size_t i = 0; i < sizeof op_texts / sizeof op_texts[0]; i++) {
        if (strcmp(text, op_texts[i]) == 0) {
            *op = (enum scn_op)i;
            return 0;
        }
    }
    return -1;
}

bool scn_op_holds(enum scn_op op, int64_t seen, int64_t want)
{
    switch (op) {
    case SCN_OP_EQ:
        return seen == want;
    case SCN_OP_NE:
        return seen != want;
    case SCN_OP_GE:
        return seen >= want;
    case SCN_OP_LE:
        return seen <= want;
    case SCN_OP_GT:
        return seen > want;
    case SCN_OP_LT:
        return seen < want;
    }
    return false;
}

/* Reasons as the browser names them (browser/visit.h, browser/crl_check.h)
 * and as verify-staple names them (common/ocsp_verify.c). */
static const char *const reasons[] = {
    "good",          "soft-fail",          "revoked",        "unknown",          "stale",
    "not-yet-valid", "wrong-cert",         "bad-signature",  "untrusted-signer", "malformed",
    "unsuccessful",  "critical-extension", "nonce-mismatch", "bad-staple",       "must-staple",
    "hard-fail",     "tls-error",          "connect-error",  "http-error",       "short-lived",
    "wrong-issuer",  "unreachable",        "timeout",        "too-large",        "http-status",
    "no-crl-url",
};

bool scn_is_reason(const char *text)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (strcmp(text, reasons[i]) == 0)
            return true;
    return false;
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_lower(c) || is_digit(c) || (c >= 'A' && c <= 'Z');
}

bool scn_is_plain_name(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len >= SCN_MAX_NAME || text[0] == '-' || text[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(text[i]) && text[i] != '.' && text[i] != '-' && text[i] != '_')
            return false;
    return true;
}

bool scn_is_site_name(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len >= SCN_MAX_SITE || text[0] == '.' || text[0] == '-' ||
        text[len - 1] == '.' || strstr(text, "..") != NULL)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_lower(text[i]) && !is_digit(text[i]) && text[i] != '.' && text[i] != '-')
            return false;
    return true;
}

static bool ends_with(const char *text, const char *tail)
{
    size_t a = strlen(text), b = strlen(tail);
    return a >= b && strcmp(text + a - b, tail) == 0;
}

static bool is_event_name(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len >= SCN_MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_lower(text[i]) && !is_digit(text[i]) && text[i] != '.' && text[i] != '_' &&
            text[i] != '-')
            return false;
    return true;
}

static bool is_field_name(const char *text, size_t len)
{
    if (len == 0 || len >= SCN_MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_lower(text[i]) && !is_digit(text[i]) && text[i] != '_')
            return false;
    return true;
}

/* 127.0.1.3 and the like: four numbers 0..255 without leading zeros. */
static bool is_ipv4(const char *text)
{
    int parts = 0;
    const char *s = text;
    while (parts < 4) {
        int value = 0, digits = 0;
        while (is_digit(*s) && digits < 4) {
            value = value * 10 + (*s - '0');
            digits++;
            s++;
        }
        if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s[-digits] == '0'))
            return false;
        parts++;
        if (parts < 4) {
            if (*s != '.')
                return false;
            s++;
        }
    }
    return *s == 0;
}

/* A non-negative integer of at most 12 digits (counts never come near). */
static int parse_count(const char *text, int64_t *out)
{
    size_t len = strlen(text);
    if (len == 0 || len > 12)
        return -1;
    int64_t value = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(text[i]))
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return 0;
}

/* Strict UTF-8 without control characters (a tab is fine): what reaches a
 * terminal and the trace must be text. */
static const char *bad_byte(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return "a control character";
            i++;
            continue;
        }
        size_t more;
        uint32_t min, cp;
        if (c >= 0xc2 && c <= 0xdf) {
            more = 1, min = 0x80, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2, min = 0x800, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return "bytes that are not UTF-8";
        }
        if (len - i <= more)
            return "bytes that are not UTF-8";
        for (size_t k = 1; k <= more; k++) {
            unsigned char cc = (unsigned char)line[i + k];
            if ((cc & 0xc0) != 0x80)
                return "bytes that are not UTF-8";
            cp = (cp << 6) | (cc & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return "bytes that are not UTF-8";
        i += more + 1;
    }
    return NULL;
}

/* ---- The parser's state --------------------------------------------------------------------- */

struct proc_decl {
    char name[SCN_MAX_NAME];
    enum scn_program program;
    char site[SCN_MAX_SITE];
    bool is_running;
};

struct parser {
    struct scn_script *script;
    struct scn_error *err;
    int line;
    bool has_title, has_ca, has_delegate, has_visit, has_window, has_verdict;
    struct proc_decl procs[SCN_MAX_PROCS];
    size_t proc_count;
    char files[SCN_MAX_FILES][SCN_MAX_NAME];
    size_t file_count;
    char sites[SCN_MAX_SITES][SCN_MAX_SITE];
    size_t site_count;
    /* the words of the current line, NUL-separated in store */
    char store[2 * (SCN_MAX_LINE + 1)];
    const char *tok[SCN_MAX_TOKENS];
    size_t ntok;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    p->err->line = p->line;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static struct proc_decl *find_proc(struct parser *p, const char *name)
{
    for (size_t i = 0; i < p->proc_count; i++)
        if (strcmp(p->procs[i].name, name) == 0)
            return &p->procs[i];
    return NULL;
}

static bool has_file(const struct parser *p, const char *name)
{
    for (size_t i = 0; i < p->file_count; i++)
        if (strcmp(p->files[i], name) == 0)
            return true;
    return false;
}

static bool has_site(const struct parser *p, const char *site)
{
    for (size_t i = 0; i < p->site_count; i++)
        if (strcmp(p->sites[i], site) == 0)
            return true;
    return false;
}

static int add_file(struct parser *p, const char *name)
{
    if (!scn_is_plain_name(name))
        return fail(p,
                    "'%s' is not a file name: use letters, digits, '.', '-' and '_' "
                    "(the file lives in the lab's files/ folder)",
                    name);
    if (has_file(p, name))
        return 0;
    if (p->file_count == SCN_MAX_FILES)
        return fail(p, "too many files in one scenario (at most %d)", SCN_MAX_FILES);
    set_text(p->files[p->file_count++], SCN_MAX_NAME, name);
    return 0;
}

/* A certificate the scenario issued, named as the CA names it. */
static int need_site(struct parser *p, const char *site)
{
    if (!scn_is_site_name(site))
        return fail(p,
                    "'%s' is not a DNS name: use lower-case letters, digits, '-' and dots, "
                    "e.g. shop.test",
                    site);
    if (!has_site(p, site))
        return fail(p, "there is no certificate for %s yet (add 'ca issue %s' before this line)",
                    site, site);
    return 0;
}

static int need_ca(struct parser *p, const char *what)
{
    if (!p->has_ca)
        return fail(p, "%s needs the CA: add 'ca init' before this line", what);
    return 0;
}

static int need_end(struct parser *p, size_t i, const char *usage)
{
    if (i < p->ntok)
        return fail(p, "unexpected '%s' (usage: %s)", p->tok[i], usage);
    return 0;
}

static int need_word(struct parser *p, size_t i, const char *what, const char *usage)
{
    if (i >= p->ntok)
        return fail(p, "%s is missing (usage: %s)", what, usage);
    return 0;
}

/* A program started in this scenario, of the given kind, optionally running. */
static int need_proc(struct parser *p, const char *name, int program, bool must_run,
                     struct proc_decl **out)
{
    struct proc_decl *d = find_proc(p, name);
    const char *kind = program >= 0 ? scn_program_noun((enum scn_program)program) : "program";
    if (d == NULL)
        return fail(p,
                    "no %s called '%s' was started before this line (start it with "
                    "'start %s')",
                    kind, name,
                    program == SCN_WEBSERVER ? "webserver SITE"
                    : program == SCN_CACHE   ? "cache for RESPONDER"
                                             : "responder");
    if (program >= 0 && (int)d->program != program)
        return fail(p, "'%s' is a %s, not a %s", name, scn_program_noun(d->program), kind);
    if (must_run && !d->is_running)
        return fail(p, "'%s' is stopped at this point (start it again first)", name);
    *out = d;
    return 0;
}

/* ---- Flags handed to the programs ----------------------------------------------------------- */

enum flag_type {
    FLAG_SWITCH,   /* --must-staple */
    FLAG_CHOICE,   /* one of `choices` (space-separated) */
    FLAG_DURATION, /* 90s, 15m, 24h, 1d12h; min..max seconds */
    FLAG_COUNT,    /* min..max */
    FLAG_TEXT,     /* any words (a CA's name) */
    FLAG_URL,      /* http://… or the name of a responder of this scenario */
    FLAG_FILE,     /* a file this scenario saved or forged */
    FLAG_NAME,     /* a plain name of a folder in LAB/files (a --crl-cache) */
};

struct flag_spec {
    const char *name;
    enum flag_type type;
    const char *choices;
    int64_t min, max;
};

#define KEY_CHOICES "ec rsa"
#define REASON_CHOICES                                                                             \
    "unspecified keyCompromise cACompromise affiliationChanged superseded "                        \
    "cessationOfOperation"
#define FAULT_CHOICES "none slow trylater garbage unauthorized stale"

static const struct flag_spec ca_init_flags[] = {
    {"--delegate", FLAG_SWITCH, NULL, 0, 0}, {"--key", FLAG_CHOICE, KEY_CHOICES, 0, 0},
    {"--name", FLAG_TEXT, NULL, 0, 0},       {"--ocsp-url", FLAG_URL, NULL, 0, 0},
    {NULL, FLAG_SWITCH, NULL, 0, 0},
};
static const struct flag_spec ca_issue_flags[] = {
    {"--days", FLAG_COUNT, NULL, 1, 3650},
    {"--validity", FLAG_DURATION, NULL, 60, 3650 * 86400},
    {"--crl-url", FLAG_URL, NULL, 0, 0},
    {"--must-staple", FLAG_SWITCH, NULL, 0, 0},
    {"--key", FLAG_CHOICE, KEY_CHOICES, 0, 0},
    {"--ocsp-url", FLAG_URL, NULL, 0, 0},
    {NULL, FLAG_SWITCH, NULL, 0, 0},
};
static const struct flag_spec revoke_flags[] = {
    {"--reason", FLAG_CHOICE, REASON_CHOICES, 0, 0},
    {NULL, FLAG_SWITCH, NULL, 0, 0},
};
static const struct flag_spec responder_flags[] = {
    {"--validity", FLAG_DURATION, NULL, 60, 366 * 86400},
    {"--crl-validity", FLAG_DURATION, NULL, 60, 366 * 86400},
    {"--signer", FLAG_CHOICE, "ca delegate", 0, 0},
    {"--responder-id", FLAG_CHOICE, "key name", 0, 0},
    {"--fault", FLAG_CHOICE, FAULT_CHOICES, 0, 0},
    {"--delay", FLAG_DURATION, NULL, 0, 120},
    {NULL, FLAG_SWITCH, NULL, 0, 0},
};
static const struct flag_spec webserver_flags[] = {
    {"--stapling", FLAG_CHOICE, "on off", 0, 0},
    {"--tls", FLAG_CHOICE, "1.2 1.3 both", 0, 0},
    {"--staple-file", FLAG_FILE, NULL, 0, 0},
    {"--workers", FLAG_COUNT, NULL, 1, 64},
    {NULL, FLAG_SWITCH, NULL, 0, 0},
};
static const struct flag_spec browser_flags[] = {
    {"--users", FLAG_COUNT, NULL, 1, SCN_MAX_USERS},
    {"--staple", FLAG_CHOICE, "on off", 0, 0},
    {"--fallback", FLAG_CHOICE, "ocsp crl none", 0, 0},
    {"--ocsp", FLAG_CHOICE, "post get", 0, 0},
    {"--crl-cache", FLAG_NAME, NULL, 0, 0},
    {"--revlist", FLAG_FILE, NULL, 0, 0},
    {"--policy", FLAG_CHOICE, "soft hard", 0, 0},
    {"--tls", FLAG_CHOICE, "1.2 1.3", 0, 0},
    {"--concurrency", FLAG_COUNT, NULL, 1, 256},
    {NULL, FLAG_SWITCH, NULL, 0, 0},
};

/* Flags the runner sets itself; a scenario must not. */
static const char *const runner_flags[] = {"--lab",  "--listen",  "--json",
                                           "--help", "--version", "--force"};

static bool is_choice(const char *choices, const char *value)
{
    size_t len = strlen(value);
    const char *s = choices;
    while (*s != 0) {
        const char *end = strchr(s, ' ');
        size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
        if (n == len && strncmp(s, value, n) == 0)
            return true;
        s += n;
        while (*s == ' ')
            s++;
    }
    return false;
}

static int add_arg(struct parser *p, struct scn_step *step, const char *text)
{
    size_t used = 0;
    if (step->arg_count > 0) {
        const char *last = scn_step_arg(step, step->arg_count - 1);
        used = (size_t)(last - step->args) + strlen(last) + 1;
    }
    size_t len = strlen(text);
    if (step->arg_count == SCN_MAX_ARGS || used + len + 1 > sizeof step->args)
        return fail(p, "too many flags on one line");
    memcpy(step->args + used, text, len + 1);
    step->arg_offsets[step->arg_count++] = (uint16_t)used;
    return 0;
}

const char *scn_step_arg(const struct scn_step *step, size_t i)
{
    if (i >= step->arg_count)
        return "";
    return step->args + step->arg_offsets[i];
}

static void list_flags(const struct flag_spec *specs, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; specs[i].name != NULL && n < cap; i++) {
        int w = snprintf(out + n, cap - n, "%s%s", i == 0 ? "" : ", ", specs[i].name);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static int check_value(struct parser *p, const struct flag_spec *spec, const char *value,
                       const char *what)
{
    int64_t number = 0;
    switch (spec->type) {
    case FLAG_SWITCH:
        return 0;
    case FLAG_CHOICE:
        if (!is_choice(spec->choices, value))
            return fail(p, "%s %s: '%s' is not one of: %s", what, spec->name, value, spec->choices);
        return 0;
    case FLAG_DURATION:
        if (clock_parse_duration(value, &number) != 0 || number < spec->min || number > spec->max)
            return fail(p,
                        "%s %s: '%s' is not a duration from %llds to %llds (write e.g. "
                        "90s, 15m, 24h, 1d12h)",
                        what, spec->name, value, (long long)spec->min, (long long)spec->max);
        return 0;
    case FLAG_COUNT:
        if (parse_count(value, &number) != 0 || number < spec->min || number > spec->max)
            return fail(p, "%s %s: '%s' is not a number from %lld to %lld", what, spec->name, value,
                        (long long)spec->min, (long long)spec->max);
        return 0;
    case FLAG_TEXT:
        if (value[0] == 0)
            return fail(p, "%s %s: the text is empty", what, spec->name);
        return 0;
    case FLAG_URL: {
        struct proc_decl *d = find_proc(p, value);
        if (d != NULL && (d->program == SCN_RESPONDER || d->program == SCN_CACHE))
            return 0;
        if (strncmp(value, "http://", 7) != 0 || value[7] == 0)
            return fail(p,
                        "%s %s: '%s' is neither an http:// URL nor a responder or cache "
                        "started before this line",
                        what, spec->name, value);
        return 0;
    }
    case FLAG_NAME:
        if (!scn_is_plain_name(value))
            return fail(p, "%s %s: '%s' is not a plain name (letters, digits, '.', '-', '_')", what,
                        spec->name, value);
        return 0;
    case FLAG_FILE:
        if (!has_file(p, value))
            return fail(p, "%s %s: no file '%s' was saved or forged before this line", what,
                        spec->name, value);
        return 0;
    }
    return 0;
}

/* Reads flags from token i to the end (or to the first word that does not
 * start with "--" when stop_at_word) into step->args. *next is the first
 * token not read. */
static int parse_flags(struct parser *p, size_t i, const struct flag_spec *specs, const char *what,
                       struct scn_step *step, bool stop_at_word, size_t *next)
{
    bool seen[16] = {false};
    while (i < p->ntok) {
        const char *word = p->tok[i];
        if (strncmp(word, "--", 2) != 0) {
            if (stop_at_word)
                break;
            return fail(p, "unexpected '%s' after %s (flags start with --)", word, what);
        }
        char flag[SCN_MAX_NAME];
        const char *eq = strchr(word, '=');
        const char *value = NULL;
        size_t flag_len = eq != NULL ? (size_t)(eq - word) : strlen(word);
        if (flag_len >= sizeof flag)
            return fail(p, "unknown flag '%.40s…' for %s", word, what);
        memcpy(flag, word, flag_len);
        flag[flag_len] = 0;
        for (size_t r = 0; r < sizeof runner_flags / sizeof runner_flags[0]; r++)
            if (strcmp(flag, runner_flags[r]) == 0)
                return fail(p, "%s is set by the scenario runner itself; leave it out", flag);
        size_t k = 0;
        while (specs[k].name != NULL && strcmp(specs[k].name, flag) != 0)
            k++;
        if (specs[k].name == NULL) {
            char names[256];
            list_flags(specs, names, sizeof names);
            return fail(p, "unknown flag %s for %s (it takes %s)", flag, what, names);
        }
        if (seen[k])
            return fail(p, "%s is given twice", flag);
        seen[k] = true;
        i++;
        if (specs[k].type == FLAG_SWITCH) {
            if (eq != NULL)
                return fail(p, "%s takes no value", flag);
        } else if (eq != NULL) {
            value = eq + 1;
        } else {
            if (i >= p->ntok)
                return fail(p, "%s needs a value", flag);
            value = p->tok[i++];
        }
        if (value != NULL && check_value(p, &specs[k], value, what) != 0)
            return -1;
        if (add_arg(p, step, flag) != 0 || (value != NULL && add_arg(p, step, value) != 0))
            return -1;
    }
    *next = i;
    return 0;
}

static const char *find_arg(const struct scn_step *step, const char *flag)
{
    for (size_t i = 0; i < step->arg_count; i++)
        if (strcmp(scn_step_arg(step, i), flag) == 0)
            return i + 1 < step->arg_count ? scn_step_arg(step, i + 1) : "";
    return NULL;
}

/* The edit distance between two short words (insertions, deletions,
 * substitutions, and swapping two neighbours: "acepted", "requets"), capped:
 * anything above 3 is 3. */
static size_t word_distance(const char *a, const char *b)
{
    enum { MAX_WORD = 32 };
    size_t n = strlen(a), m = strlen(b);
    if (n >= MAX_WORD || m >= MAX_WORD)
        return 3;
    size_t d[MAX_WORD + 1][MAX_WORD + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m] > 3 ? 3 : d[n][m];
}

/* " (did you mean 'accepted'?)" when one of the space-separated `choices` is
 * within two edits of `word`, else "". */
static void did_you_mean(const char *word, const char *choices, char *out, size_t cap)
{
    char best[SCN_MAX_NAME] = "";
    size_t best_distance = 3;
    const char *s = choices;
    out[0] = 0;
    while (*s != 0) {
        size_t len = strcspn(s, " ");
        char choice[SCN_MAX_NAME];
        snprintf(choice, sizeof choice, "%.*s", (int)len, s);
        size_t distance = word_distance(word, choice);
        if (distance < best_distance) {
            best_distance = distance;
            snprintf(best, sizeof best, "%s", choice);
        }
        s += len;
        while (*s == ' ')
            s++;
    }
    if (best[0] != 0)
        snprintf(out, cap, " (did you mean '%s'?)", best);
}

/* True for what stands where a comparison begins (==, !=, >=, or a wrong
 * operator like ~): not a word, so parse_value names the problem. */
static bool is_operator_like(const char *word)
{
    return !isalpha((unsigned char)word[0]);
}

/* ---- Conditions (expect, watch … until) ----------------------------------------------------- */

static const char cond_usage[] =
    "expect RESPONDER requests|clients|answers …, WEBSERVER staples sent|fetches|"
    "handshakes|staple, users [accepted|refused|stapled|asked] [because REASON], "
    "trace EVENT [FIELD=VALUE], window or verdict, then an operator and a value";

static int parse_value(struct parser *p, size_t i, struct scn_condition *c)
{
    if (i + 2 != p->ntok) {
        if (i >= p->ntok)
            return fail(p, "the comparison is missing: add an operator and a value, e.g. == 1");
        if (i + 1 >= p->ntok)
            return fail(p, "the value after '%s' is missing", p->tok[i]);
        return fail(p, "unexpected '%s' after the value", p->tok[i + 2]);
    }
    if (scn_op_parse(p->tok[i], &c->op) != 0)
        return fail(p, "'%s' is not an operator: use ==, !=, >=, <=, > or <", p->tok[i]);
    const char *value = p->tok[i + 1];
    if (c->is_text) {
        if (c->op != SCN_OP_EQ && c->op != SCN_OP_NE)
            return fail(p, "a word can only be compared with == or !=");
        if (c->subject == SCN_SUBJ_STAPLE && !is_choice("good revoked none", value))
            return fail(p, "a web server's staple is good, revoked or none, not '%s'", value);
        if (c->subject == SCN_SUBJ_VERDICT && !scn_is_reason(value))
            return fail(p,
                        "'%s' is not a verdict (good, bad-signature, untrusted-signer, "
                        "stale, wrong-cert, revoked, …)",
                        value);
        set_text(c->text, sizeof c->text, value);
        return 0;
    }
    if (c->subject == SCN_SUBJ_WINDOW) {
        if (clock_parse_duration(value, &c->number) != 0)
            return fail(p, "'%s' is not a duration (write e.g. 90m, 12h, 1d)", value);
        c->is_duration = !is_digit(value[strlen(value) - 1]);
        return 0;
    }
    if (parse_count(value, &c->number) != 0)
        return fail(p, "'%s' is not a whole number", value);
    return 0;
}

static int parse_trace_condition(struct parser *p, size_t i, struct scn_condition *c)
{
    c->subject = SCN_SUBJ_TRACE;
    if (need_word(p, i, "the event name", "expect trace EVENT [FIELD=VALUE…] seen") != 0)
        return -1;
    if (!is_event_name(p->tok[i]))
        return fail(p, "'%s' is not an event name (e.g. staple.fetch.ok, browser.verdict)",
                    p->tok[i]);
    set_text(c->detail, sizeof c->detail, p->tok[i]);
    i++;
    while (i < p->ntok) {
        const char *eq = strchr(p->tok[i], '=');
        if (eq == NULL || !is_field_name(p->tok[i], (size_t)(eq - p->tok[i])))
            break;
        if (c->filter_count == SCN_MAX_FILTERS)
            return fail(p, "at most %d FIELD=VALUE filters", SCN_MAX_FILTERS);
        struct scn_filter *f = &c->filters[c->filter_count++];
        size_t field_len = (size_t)(eq - p->tok[i]);
        if (strlen(eq + 1) >= sizeof f->value)
            return fail(p, "the value of %.*s= is too long", (int)field_len, p->tok[i]);
        memcpy(f->field, p->tok[i], field_len);
        f->field[field_len] = 0;
        set_text(f->value, sizeof f->value, eq + 1);
        i++;
    }
    if (i + 1 == p->ntok && strcmp(p->tok[i], "seen") == 0) {
        c->op = SCN_OP_GE;
        c->number = 1;
        return 0;
    }
    if (i + 2 == p->ntok && strcmp(p->tok[i], "not") == 0 && strcmp(p->tok[i + 1], "seen") == 0) {
        c->op = SCN_OP_EQ;
        c->number = 0;
        return 0;
    }
    return parse_value(p, i, c);
}

static int parse_users_condition(struct parser *p, size_t i, struct scn_condition *c)
{
    if (!p->has_visit)
        return fail(p, "'users' are those of the last visit, and there was none before this line");
    c->subject = SCN_SUBJ_USERS;
    const char *w = i < p->ntok ? p->tok[i] : "";
    bool is_word = true; /* "users == 3" has none */
    if (strcmp(w, "accepted") == 0)
        c->users = SCN_USERS_ACCEPTED;
    else if (strcmp(w, "refused") == 0)
        c->users = SCN_USERS_REFUSED;
    else if (strcmp(w, "stapled") == 0)
        c->subject = SCN_SUBJ_USERS_STAPLED;
    else if (strcmp(w, "asked") == 0)
        c->subject = SCN_SUBJ_USERS_ASKED;
    else if (w[0] != 0 && !is_operator_like(w) && strcmp(w, "because") != 0) {
        char hint[64];
        did_you_mean(w, "accepted refused stapled asked because", hint, sizeof hint);
        return fail(p,
                    "unknown word '%.40s' after 'users'%s: write users [accepted|refused|"
                    "stapled|asked] [because REASON] OP N, e.g. users accepted == 3",
                    w, hint);
    } else
        is_word = false;
    if (is_word)
        i++;
    if (c->subject == SCN_SUBJ_USERS && i < p->ntok && strcmp(p->tok[i], "because") == 0) {
        i++;
        if (need_word(p, i, "the reason", "users refused because REASON == N") != 0)
            return -1;
        if (!scn_is_reason(p->tok[i]))
            return fail(p,
                        "'%s' is not a reason a browser gives (good, soft-fail, revoked, "
                        "must-staple, hard-fail, stale, wrong-cert, bad-signature, …)",
                        p->tok[i]);
        set_text(c->detail, sizeof c->detail, p->tok[i]);
        i++;
    }
    return parse_value(p, i, c);
}

static int parse_program_condition(struct parser *p, size_t i, struct scn_condition *c)
{
    struct proc_decl *d = NULL;
    const char *name = p->tok[i];
    if (find_proc(p, name) == NULL)
        return fail(p, "'%s' is not something to expect (usage: %s)", name, cond_usage);
    if (need_proc(p, name, -1, false, &d) != 0)
        return -1;
    set_text(c->target, sizeof c->target, name);
    i++;
    if (need_word(p, i, "what to count", cond_usage) != 0)
        return -1;
    const char *w = p->tok[i++];
    if (d->program == SCN_CACHE) {
        if (!is_choice("requests hits misses", w)) {
            char hint[64];
            did_you_mean(w, "requests hits misses", hint, sizeof hint);
            return fail(p, "a cache counts requests, hits and misses, not '%.40s'%s", w, hint);
        }
        c->subject = SCN_SUBJ_CACHE;
        set_text(c->detail, sizeof c->detail, w);
        if (i < p->ntok && is_choice("GET POST", p->tok[i])) {
            /* "hits GET": the kind, then the method */
            char both[SCN_MAX_SITE];
            snprintf(both, sizeof both, "%s %s", w, p->tok[i]);
            set_text(c->detail, sizeof c->detail, both);
            i++;
        }
        return parse_value(p, i, c);
    }
    if (d->program == SCN_RESPONDER) {
        if (strcmp(w, "requests") == 0) {
            c->subject = SCN_SUBJ_REQUESTS;
            if (i < p->ntok && strcmp(p->tok[i], "from") == 0) {
                i++;
                if (need_word(p, i, "who",
                              "RESPONDER requests from browser|webserver|other|"
                              "ADDRESS") != 0)
                    return -1;
                if (!is_choice("browser webserver other", p->tok[i]) && !is_ipv4(p->tok[i]))
                    return fail(p,
                                "requests come from browser, webserver, other or an address "
                                "like 127.0.1.3, not '%s'",
                                p->tok[i]);
                set_text(c->detail, sizeof c->detail, p->tok[i]);
                i++;
            }
        } else if (strcmp(w, "clients") == 0) {
            c->subject = SCN_SUBJ_CLIENTS;
        } else if (strcmp(w, "crl") == 0) {
            c->subject = SCN_SUBJ_CRL;
            if (need_word(p, i, "what of the CRL", "RESPONDER crl downloads|bytes|size") != 0)
                return -1;
            if (!is_choice("downloads bytes size", p->tok[i]))
                return fail(p, "the CRL counts downloads, bytes or size, not '%s'", p->tok[i]);
            set_text(c->detail, sizeof c->detail, p->tok[i]);
            i++;
        } else if (strcmp(w, "answers") == 0) {
            c->subject = SCN_SUBJ_ANSWERS;
            if (need_word(p, i, "which answers", "RESPONDER answers good|revoked|unknown|error") !=
                0)
                return -1;
            if (!is_choice("good revoked unknown error", p->tok[i]))
                return fail(p, "answers are good, revoked, unknown or error, not '%s'", p->tok[i]);
            set_text(c->detail, sizeof c->detail, p->tok[i]);
            i++;
        } else {
            char hint[64];
            did_you_mean(w, "requests clients answers crl", hint, sizeof hint);
            return fail(p, "a responder counts requests, clients, answers or crl, not '%.40s'%s", w,
                        hint);
        }
    } else {
        if (strcmp(w, "handshakes") == 0) {
            c->subject = SCN_SUBJ_HANDSHAKES;
        } else if (strcmp(w, "fetches") == 0) {
            c->subject = SCN_SUBJ_FETCHES;
        } else if (strcmp(w, "staple") == 0) {
            c->subject = SCN_SUBJ_STAPLE;
            c->is_text = true;
        } else if (strcmp(w, "staples") == 0) {
            if (i >= p->ntok || strcmp(p->tok[i], "sent") != 0)
                return fail(p, "write 'staples sent'");
            c->subject = SCN_SUBJ_STAPLES_SENT;
            i++;
        } else {
            char hint[64];
            did_you_mean(w, "handshakes staples fetches staple", hint, sizeof hint);
            return fail(p,
                        "a web server counts handshakes, staples sent and fetches, or shows "
                        "its staple, not '%.40s'%s",
                        w, hint);
        }
    }
    return parse_value(p, i, c);
}

static int parse_condition(struct parser *p, size_t i, struct scn_condition *c)
{
    memset(c, 0, sizeof *c);
    if (need_word(p, i, "what to expect", cond_usage) != 0)
        return -1;
    const char *w = p->tok[i];
    if (strcmp(w, "trace") == 0)
        return parse_trace_condition(p, i + 1, c);
    if (strcmp(w, "users") == 0)
        return parse_users_condition(p, i + 1, c);
    if (strcmp(w, "window") == 0) {
        if (!p->has_window)
            return fail(p, "'window' is measured by a 'watch … until …' step, and there was "
                           "none before this line");
        c->subject = SCN_SUBJ_WINDOW;
        return parse_value(p, i + 1, c);
    }
    if (strcmp(w, "verdict") == 0) {
        if (!p->has_verdict)
            return fail(p, "'verdict' is the result of a 'check' step, and there was none "
                           "before this line");
        c->subject = SCN_SUBJ_VERDICT;
        c->is_text = true;
        return parse_value(p, i + 1, c);
    }
    return parse_program_condition(p, i, c);
}

/* ---- Steps ---------------------------------------------------------------------------------- */

static int parse_ca(struct parser *p, struct scn_step *s)
{
    static const char usage[] = "ca init [flags] | ca issue SITE [flags] | ca revoke SITE "
                                "[--reason R] | ca revlist as FILE";
    size_t next = 0;
    if (need_word(p, 1, "what the CA does", usage) != 0)
        return -1;
    const char *what = p->tok[1];
    if (strcmp(what, "init") == 0) {
        s->kind = SCN_CA_INIT;
        if (p->has_ca)
            return fail(p, "the CA is already set up: one 'ca init' per scenario (each gets "
                           "a fresh lab)");
        if (parse_flags(p, 2, ca_init_flags, "ca init", s, false, &next) != 0)
            return -1;
        p->has_ca = true;
        p->has_delegate = find_arg(s, "--delegate") != NULL;
        return 0;
    }
    if (strcmp(what, "issue") == 0) {
        s->kind = SCN_CA_ISSUE;
        if (need_word(p, 2, "the site's name",
                      "ca issue SITE [--days N] [--must-staple] "
                      "[--key ec|rsa] [--ocsp-url URL|RESPONDER]") != 0 ||
            need_ca(p, "issuing a certificate") != 0)
            return -1;
        if (!scn_is_site_name(p->tok[2]))
            return fail(p,
                        "'%s' is not a DNS name: use lower-case letters, digits, '-' and "
                        "dots, e.g. shop.test",
                        p->tok[2]);
        set_text(s->site, sizeof s->site, p->tok[2]);
        if (parse_flags(p, 3, ca_issue_flags, "ca issue", s, false, &next) != 0)
            return -1;
        if (!has_site(p, s->site)) {
            if (p->site_count == SCN_MAX_SITES)
                return fail(p, "too many certificates in one scenario (at most %d)", SCN_MAX_SITES);
            set_text(p->sites[p->site_count++], SCN_MAX_SITE, s->site);
        }
        return 0;
    }
    if (strcmp(what, "revoke") == 0) {
        s->kind = SCN_CA_REVOKE;
        if (need_word(p, 2, "the site's name", "ca revoke SITE [--reason R]") != 0 ||
            need_site(p, p->tok[2]) != 0)
            return -1;
        set_text(s->site, sizeof s->site, p->tok[2]);
        return parse_flags(p, 3, revoke_flags, "ca revoke", s, false, &next);
    }
    if (strcmp(what, "revlist") == 0) {
        s->kind = SCN_CA_REVLIST;
        if (need_ca(p, "making a revocation list") != 0)
            return -1;
        if (p->ntok != 4 || strcmp(p->tok[2], "as") != 0)
            return fail(p, "usage: ca revlist as FILE");
        if (add_file(p, p->tok[3]) != 0)
            return -1;
        set_text(s->file, sizeof s->file, p->tok[3]);
        return 0;
    }
    return fail(p, "the CA can init, issue, revoke or make a revlist, not '%s'", what);
}

static int parse_revoke(struct parser *p, struct scn_step *s)
{
    size_t next = 0;
    s->kind = SCN_CA_REVOKE;
    if (need_word(p, 1, "the site's name", "revoke SITE [--reason R]") != 0 ||
        need_site(p, p->tok[1]) != 0)
        return -1;
    set_text(s->site, sizeof s->site, p->tok[1]);
    return parse_flags(p, 2, revoke_flags, "revoke", s, false, &next);
}

static const char *const reserved_names[] = {"users", "window", "verdict", "trace", "all"};

static int declare_start(struct parser *p, struct scn_step *s)
{
    for (size_t i = 0; i < sizeof reserved_names / sizeof reserved_names[0]; i++)
        if (strcmp(s->name, reserved_names[i]) == 0)
            return fail(p, "'%s' is a word of the language; choose another name", s->name);
    if (!scn_is_plain_name(s->name))
        return fail(p, "'%s' is not a usable name (letters, digits, '.', '-', '_', at most %d)",
                    s->name, SCN_MAX_NAME - 1);
    struct proc_decl *d = find_proc(p, s->name);
    if (d != NULL) {
        if (d->program != s->program)
            return fail(p, "'%s' already names a %s", s->name, scn_program_noun(d->program));
        if (d->is_running)
            return fail(p, "'%s' is already running (stop it first, or use 'restart %s')", s->name,
                        s->name);
        if (s->program == SCN_WEBSERVER && strcmp(d->site, s->site) != 0)
            return fail(p,
                        "'%s' served %s before; give this web server another name with "
                        "'as NAME'",
                        s->name, d->site);
        d->is_running = true;
        return 0;
    }
    if (p->proc_count == SCN_MAX_PROCS)
        return fail(p, "too many programs in one scenario (at most %d)", SCN_MAX_PROCS);
    d = &p->procs[p->proc_count++];
    set_text(d->name, sizeof d->name, s->name);
    set_text(d->site, sizeof d->site, s->site);
    d->program = s->program;
    d->is_running = true;
    return 0;
}

static int parse_start(struct parser *p, struct scn_step *s)
{
    static const char usage[] = "start responder [as NAME] [flags] | start webserver SITE "
                                "[as NAME] [flags] | start cache for RESPONDER [as NAME]";
    size_t i = 2, next = 0;
    s->kind = SCN_START;
    if (need_word(p, 1, "which program", usage) != 0)
        return -1;
    if (strcmp(p->tok[1], "responder") == 0) {
        s->program = SCN_RESPONDER;
        snprintf(s->name, sizeof s->name, "responder");
        if (need_ca(p, "the responder") != 0)
            return -1;
    } else if (strcmp(p->tok[1], "webserver") == 0) {
        s->program = SCN_WEBSERVER;
        if (need_word(p, 2, "the site", usage) != 0 || need_site(p, p->tok[2]) != 0)
            return -1;
        if (!ends_with(p->tok[2], ".test"))
            return fail(p, "a web server's site must end in .test: the browser finds .test "
                           "names on 127.0.0.1");
        set_text(s->site, sizeof s->site, p->tok[2]);
        if (strlen(s->site) >= sizeof s->name && !(p->ntok > 4 && strcmp(p->tok[3], "as") == 0))
            return fail(p,
                        "the name %s is long: give the web server a shorter one with "
                        "'as NAME'",
                        s->site);
        set_text(s->name, sizeof s->name, s->site);
        i = 3;
    } else if (strcmp(p->tok[1], "cache") == 0) {
        struct proc_decl *upstream = NULL;
        s->program = SCN_CACHE;
        snprintf(s->name, sizeof s->name, "cache");
        if (need_word(p, 2, "'for'", usage) != 0)
            return -1;
        if (strcmp(p->tok[2], "for") != 0)
            return fail(p, "write 'start cache for RESPONDER': the cache stands in front of "
                           "a responder");
        if (need_word(p, 3, "the responder it stands in front of", usage) != 0 ||
            need_proc(p, p->tok[3], SCN_RESPONDER, true, &upstream) != 0)
            return -1;
        set_text(s->upstream, sizeof s->upstream, upstream->name);
        i = 4;
    } else {
        char hint[64];
        did_you_mean(p->tok[1], "responder webserver cache", hint, sizeof hint);
        return fail(p, "start responder, webserver or cache, not '%s'%s", p->tok[1], hint);
    }
    if (i < p->ntok && strcmp(p->tok[i], "as") == 0) {
        if (need_word(p, i + 1, "the name after 'as'", usage) != 0)
            return -1;
        if (strlen(p->tok[i + 1]) >= sizeof s->name)
            return fail(p, "the name '%.40s…' is too long (at most %d characters)", p->tok[i + 1],
                        SCN_MAX_NAME - 1);
        set_text(s->name, sizeof s->name, p->tok[i + 1]);
        i += 2;
    }
    if (s->program == SCN_RESPONDER) {
        if (parse_flags(p, i, responder_flags, "start responder", s, false, &next) != 0)
            return -1;
        const char *signer = find_arg(s, "--signer");
        if (signer != NULL && strcmp(signer, "delegate") == 0 && !p->has_delegate)
            return fail(p, "--signer delegate needs the OCSP signing certificate: use "
                           "'ca init --delegate'");
    } else if (s->program == SCN_WEBSERVER) {
        if (parse_flags(p, i, webserver_flags, "start webserver", s, false, &next) != 0)
            return -1;
    } else if (need_end(p, i, usage) != 0) {
        return -1;
    }
    return declare_start(p, s);
}

static int parse_stop(struct parser *p, struct scn_step *s, bool is_restart)
{
    struct proc_decl *d = NULL;
    s->kind = is_restart ? SCN_RESTART : SCN_STOP;
    const char *usage = is_restart ? "restart NAME" : "stop NAME";
    if (need_word(p, 1, "the program's name", usage) != 0 || need_end(p, 2, usage) != 0 ||
        need_proc(p, p->tok[1], -1, true, &d) != 0)
        return -1;
    set_text(s->name, sizeof s->name, d->name);
    s->program = d->program;
    set_text(s->site, sizeof s->site, d->site);
    if (!is_restart)
        d->is_running = false;
    return 0;
}

static int parse_fault(struct parser *p, struct scn_step *s)
{
    static const char usage[] = "fault RESPONDER none|slow|trylater|garbage|unauthorized|stale "
                                "[DELAY]";
    struct proc_decl *d = NULL;
    int64_t seconds = 0;
    s->kind = SCN_FAULT;
    if (need_word(p, 1, "the responder's name", usage) != 0 ||
        need_proc(p, p->tok[1], SCN_RESPONDER, true, &d) != 0 ||
        need_word(p, 2, "the fault", usage) != 0)
        return -1;
    set_text(s->name, sizeof s->name, d->name);
    if (!is_choice(FAULT_CHOICES, p->tok[2]))
        return fail(p, "'%s' is not a fault: use one of %s", p->tok[2], FAULT_CHOICES);
    set_text(s->mode, sizeof s->mode, p->tok[2]);
    if (p->ntok > 3) {
        if (strcmp(s->mode, "slow") != 0)
            return fail(p, "only 'slow' takes a delay");
        if (strlen(p->tok[3]) >= sizeof s->delay ||
            clock_parse_duration(p->tok[3], &seconds) != 0 || seconds > 120)
            return fail(p, "'%s' is not a delay up to 120s (e.g. 2s)", p->tok[3]);
        set_text(s->delay, sizeof s->delay, p->tok[3]);
    }
    return need_end(p, 4, usage);
}

static int parse_duration_word(struct parser *p, const char *text, int64_t min, int64_t max,
                               int64_t *out)
{
    if (clock_parse_duration(text, out) != 0 || *out < min || *out > max)
        return fail(p,
                    "'%s' is not a duration from %llds to %lldd (write e.g. 90s, 15m, 13h, "
                    "2d, 1d12h)",
                    text, (long long)min, (long long)(max / 86400));
    return 0;
}

static int parse_advance(struct parser *p, struct scn_step *s)
{
    s->kind = SCN_ADVANCE;
    if (need_word(p, 1, "how far", "advance DURATION (e.g. advance 13h)") != 0 ||
        need_end(p, 2, "advance DURATION") != 0)
        return -1;
    return parse_duration_word(p, p->tok[1], 1, SCN_MAX_ADVANCE, &s->seconds);
}

/* visit and watch: a running web server, then browser flags (a watch's
 * flags end at its first plain word). */
static int parse_browser_step(struct parser *p, struct scn_step *s, const char *what,
                              const char *usage, size_t *next)
{
    struct proc_decl *d = NULL;
    if (need_word(p, 1, what, usage) != 0 || need_proc(p, p->tok[1], SCN_WEBSERVER, true, &d) != 0)
        return -1;
    set_text(s->name, sizeof s->name, d->name);
    set_text(s->site, sizeof s->site, d->site);
    if (parse_flags(p, 2, browser_flags, scn_step_kind_name(s->kind), s, s->kind == SCN_WATCH,
                    next) != 0)
        return -1;
    p->has_visit = true; /* a watch's `until` already sees its visits' users */
    return 0;
}

static int parse_visit(struct parser *p, struct scn_step *s)
{
    static const char usage[] = "visit WEBSERVER [--users N] [--staple on|off] [--fallback "
                                "ocsp|none] [--ocsp post|get] [--policy soft|hard] [--tls "
                                "1.2|1.3]";
    size_t next = 0;
    s->kind = SCN_VISIT;
    return parse_browser_step(p, s, "the web server to visit", usage, &next);
}

static int parse_watch(struct parser *p, struct scn_step *s)
{
    static const char usage[] = "watch WEBSERVER [browser flags] every STEP for MAX [until "
                                "CONDITION]";
    size_t i = 0;
    s->kind = SCN_WATCH;
    if (parse_browser_step(p, s, "the web server to watch", usage, &i) != 0)
        return -1;
    if (i + 4 > p->ntok || strcmp(p->tok[i], "every") != 0 || strcmp(p->tok[i + 2], "for") != 0)
        return fail(p, "a watch needs 'every STEP for MAX' (usage: %s)", usage);
    if (parse_duration_word(p, p->tok[i + 1], 1, SCN_MAX_ADVANCE, &s->every_seconds) != 0 ||
        parse_duration_word(p, p->tok[i + 3], 1, SCN_MAX_ADVANCE, &s->seconds) != 0)
        return -1;
    if (s->seconds < s->every_seconds)
        return fail(p, "a watch for %s is shorter than one step of %s", p->tok[i + 3],
                    p->tok[i + 1]);
    if (s->seconds / s->every_seconds > SCN_MAX_WATCH_TICKS)
        return fail(p,
                    "a watch of more than %d steps is too long for a class (take larger "
                    "steps)",
                    SCN_MAX_WATCH_TICKS);
    i += 4;
    if (i < p->ntok) {
        if (strcmp(p->tok[i], "until") != 0)
            return fail(p, "unexpected '%s' (usage: %s)", p->tok[i], usage);
        if (parse_condition(p, i + 1, &s->cond) != 0)
            return -1;
        s->has_until = true;
        p->has_window = true;
    }
    return 0;
}

static int parse_save(struct parser *p, struct scn_step *s)
{
    static const char usage[] = "save staple SITE as FILE";
    s->kind = SCN_SAVE_STAPLE;
    if (p->ntok != 5 || strcmp(p->tok[1], "staple") != 0 || strcmp(p->tok[3], "as") != 0)
        return fail(p, "usage: %s", usage);
    if (need_site(p, p->tok[2]) != 0 || add_file(p, p->tok[4]) != 0)
        return -1;
    set_text(s->site, sizeof s->site, p->tok[2]);
    set_text(s->file, sizeof s->file, p->tok[4]);
    return 0;
}

static int parse_forge(struct parser *p, struct scn_step *s)
{
    static const char usage[] = "forge FILE about SITE signed by ca|delegate|stranger|SITE "
                                "[status good|revoked|unknown]";
    s->kind = SCN_FORGE;
    if ((p->ntok != 7 && p->ntok != 9) || strcmp(p->tok[2], "about") != 0 ||
        strcmp(p->tok[4], "signed") != 0 || strcmp(p->tok[5], "by") != 0)
        return fail(p, "usage: %s", usage);
    if (need_site(p, p->tok[3]) != 0)
        return -1;
    set_text(s->site, sizeof s->site, p->tok[3]);
    const char *signer = p->tok[6];
    if (strcmp(signer, "delegate") == 0 && !p->has_delegate)
        return fail(p, "signed by delegate needs 'ca init --delegate'");
    if (strcmp(signer, "ca") != 0 && strcmp(signer, "delegate") != 0 &&
        strcmp(signer, "stranger") != 0 && need_site(p, signer) != 0)
        return -1;
    set_text(s->signer, sizeof s->signer, signer);
    snprintf(s->status, sizeof s->status, "good");
    if (p->ntok == 9) {
        if (strcmp(p->tok[7], "status") != 0 || !is_choice("good revoked unknown", p->tok[8]))
            return fail(p, "usage: %s", usage);
        set_text(s->status, sizeof s->status, p->tok[8]);
    }
    if (need_ca(p, "forging a response") != 0 || add_file(p, p->tok[1]) != 0)
        return -1;
    set_text(s->file, sizeof s->file, p->tok[1]);
    return 0;
}

static int parse_check(struct parser *p, struct scn_step *s)
{
    s->kind = SCN_CHECK;
    if (p->ntok != 4 || strcmp(p->tok[2], "about") != 0)
        return fail(p, "usage: check FILE about SITE");
    if (!has_file(p, p->tok[1]))
        return fail(p, "no file '%s' was saved or forged before this line", p->tok[1]);
    if (need_site(p, p->tok[3]) != 0)
        return -1;
    set_text(s->file, sizeof s->file, p->tok[1]);
    set_text(s->site, sizeof s->site, p->tok[3]);
    p->has_verdict = true;
    return 0;
}

static int parse_include(struct parser *p, struct scn_step *s)
{
    s->kind = SCN_INCLUDE;
    if (need_word(p, 1, "the file", "include FILE") != 0 || need_end(p, 2, "include FILE") != 0)
        return -1;
    set_text(s->text, sizeof s->text, p->tok[1]);
    return 0;
}

/* title, say and pause take the rest of the line as it is; one pair of
 * surrounding double quotes is dropped, so both spellings read naturally. */
static void take_text(const char *rest, char *out, size_t cap)
{
    size_t len = strlen(rest);
    if (len >= 2 && rest[0] == '"' && rest[len - 1] == '"') {
        rest++;
        len -= 2;
    }
    if (len >= cap)
        len = cap - 1;
    memcpy(out, rest, len);
    out[len] = 0;
}

/* The first word and the rest of the line after it (trimmed). */
static void split_keyword(const char *line, char *keyword, size_t cap, const char **rest)
{
    size_t n = 0;
    while (line[n] != 0 && line[n] != ' ' && line[n] != '\t')
        n++;
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(keyword, line, k);
    keyword[k] = 0;
    const char *r = line + n;
    while (*r == ' ' || *r == '\t')
        r++;
    *rest = r;
}

/* Words are separated by blanks; double quotes group blanks into a word,
 * anywhere in it (signer="Lab OCSP Signer"), with \" and \\ inside. */
static int tokenize(struct parser *p, const char *line)
{
    size_t out = 0;
    const char *s = line;
    p->ntok = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == 0 || *s == '#')
            return 0; /* '#' at the start of a word begins a comment */
        if (p->ntok == SCN_MAX_TOKENS)
            return fail(p, "too many words on one line (at most %d)", SCN_MAX_TOKENS);
        p->tok[p->ntok++] = p->store + out;
        bool is_quoted = false;
        while (*s != 0 && (is_quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '"') {
                is_quoted = !is_quoted;
                s++;
                continue;
            }
            if (is_quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            p->store[out++] = *s++;
        }
        if (is_quoted)
            return fail(p, "a quoted text is not closed (add the closing \")");
        p->store[out++] = 0; /* out <= bytes read + 1 <= sizeof store */
    }
}

static int parse_line(struct parser *p, const char *line, struct scn_step *s)
{
    char keyword[16];
    const char *rest = NULL;
    set_text(s->source, sizeof s->source, line);
    s->line = p->line;
    split_keyword(line, keyword, sizeof keyword, &rest);
    if (strcmp(keyword, "say") == 0) {
        s->kind = SCN_SAY;
        take_text(rest, s->text, sizeof s->text);
        return 0;
    }
    if (strcmp(keyword, "pause") == 0) {
        s->kind = SCN_PAUSE;
        take_text(rest, s->text, sizeof s->text);
        return 0;
    }
    if (strcmp(keyword, "title") == 0) {
        s->kind = SCN_TITLE;
        if (p->has_title)
            return fail(p, "a scenario has one title");
        take_text(rest, s->text, sizeof s->text);
        if (s->text[0] == 0)
            return fail(p, "the title is empty");
        set_text(p->script->title, sizeof p->script->title, s->text);
        p->has_title = true;
        return 0;
    }
    if (tokenize(p, line) != 0)
        return -1;
    const char *w = p->tok[0];
    if (strcmp(w, "ca") == 0)
        return parse_ca(p, s);
    if (strcmp(w, "revoke") == 0)
        return parse_revoke(p, s);
    if (strcmp(w, "start") == 0)
        return parse_start(p, s);
    if (strcmp(w, "stop") == 0)
        return parse_stop(p, s, false);
    if (strcmp(w, "restart") == 0)
        return parse_stop(p, s, true);
    if (strcmp(w, "fault") == 0)
        return parse_fault(p, s);
    if (strcmp(w, "advance") == 0)
        return parse_advance(p, s);
    if (strcmp(w, "visit") == 0)
        return parse_visit(p, s);
    if (strcmp(w, "watch") == 0)
        return parse_watch(p, s);
    if (strcmp(w, "save") == 0)
        return parse_save(p, s);
    if (strcmp(w, "forge") == 0)
        return parse_forge(p, s);
    if (strcmp(w, "check") == 0)
        return parse_check(p, s);
    if (strcmp(w, "expect") == 0) {
        s->kind = SCN_EXPECT;
        return parse_condition(p, 1, &s->cond);
    }
    if (strcmp(w, "compare") == 0) {
        s->kind = SCN_COMPARE;
        return need_end(p, 1, "compare");
    }
    if (strcmp(w, "include") == 0)
        return parse_include(p, s);
    return fail(p,
                "unknown step '%.40s' (steps: title, say, pause, ca, revoke, start, stop, "
                "restart, fault, advance, visit, watch, save, forge, check, expect, "
                "compare, include)",
                w);
}

/* ---- The whole file ------------------------------------------------------------------------- */

void scn_script_free(struct scn_script *script)
{
    if (script == NULL)
        return;
    for (size_t i = 0; i < script->count; i++) {
        if (script->steps[i]->included != NULL) {
            scn_script_free(script->steps[i]->included);
            free(script->steps[i]->included);
        }
        free(script->steps[i]);
    }
    free(script->steps);
    memset(script, 0, sizeof *script);
}

/* The next line: [*pos, end of line), without "\n" or "\r\n". */
static int next_line(struct parser *p, const char *text, size_t len, size_t *pos, char *line)
{
    size_t start = *pos, n = 0;
    while (start + n < len && text[start + n] != '\n')
        n++;
    *pos = start + n + (start + n < len ? 1 : 0);
    if (n > 0 && text[start + n - 1] == '\r')
        n--;
    if (n > SCN_MAX_LINE)
        return fail(p, "the line is longer than %d bytes", SCN_MAX_LINE);
    const char *why = bad_byte(text + start, n);
    if (why != NULL)
        return fail(p, "the line contains %s", why);
    memcpy(line, text + start, n);
    line[n] = 0;
    return 0;
}

static void trim(char *line)
{
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        line[--len] = 0;
    size_t lead = 0;
    while (line[lead] == ' ' || line[lead] == '\t')
        lead++;
    memmove(line, line + lead, len - lead + 1);
}

int scn_parse(const char *text, size_t len, struct scn_script *out, struct scn_error *err)
{
    struct parser *p = calloc(1, sizeof *p);
    struct scn_step *step = NULL;
    char line[SCN_MAX_LINE + 1];
    size_t pos = 0, cap = 0;
    int rc = -1;

    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    if (p == NULL) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return -1;
    }
    p->script = out;
    p->err = err;
    if (len > SCN_MAX_FILE_BYTES) {
        fail(p, "the file is larger than %d KB; a lesson fits in far less",
             SCN_MAX_FILE_BYTES / 1024);
        goto out;
    }
    while (pos < len) {
        p->line++;
        if (next_line(p, text, len, &pos, line) != 0)
            goto out;
        trim(line);
        if (line[0] == 0 || line[0] == '#')
            continue;
        if (out->count == SCN_MAX_STEPS) {
            fail(p, "more than %d steps in one file", SCN_MAX_STEPS);
            goto out;
        }
        step = calloc(1, sizeof *step);
        if (step == NULL) {
            fail(p, "out of memory");
            goto out;
        }
        if (parse_line(p, line, step) != 0)
            goto out;
        if (out->count == cap) {
            size_t new_cap = cap == 0 ? 32 : cap * 2;
            struct scn_step **grown = realloc(out->steps, new_cap * sizeof *grown);
            if (grown == NULL) {
                fail(p, "out of memory");
                goto out;
            }
            out->steps = grown;
            cap = new_cap;
        }
        out->steps[out->count++] = step;
        step = NULL;
    }
    rc = 0;
out:
    free(step);
    if (rc != 0)
        scn_script_free(out);
    free(p);
    return rc;
}

void scn_peek_title(const char *text, size_t len, char *title, size_t cap)
{
    char line[SCN_MAX_LINE + 1];
    size_t pos = 0;
    title[0] = 0;
    if (len > SCN_MAX_FILE_BYTES || cap == 0)
        return;
    while (pos < len) {
        size_t start = pos, n = 0;
        while (start + n < len && text[start + n] != '\n')
            n++;
        pos = start + n + 1;
        if (n > SCN_MAX_LINE || bad_byte(text + start, n) != NULL)
            continue;
        memcpy(line, text + start, n);
        line[n] = 0;
        trim(line);
        if (strncmp(line, "title", 5) == 0 && (line[5] == ' ' || line[5] == '\t')) {
            char keyword[8];
            const char *rest = NULL;
            split_keyword(line, keyword, sizeof keyword, &rest);
            take_text(rest, title, cap);
            return;
        }
    }
}
