/* parse.h — the scenario language (DESIGN section 3, scenarios/README.md):
 * one step per line, short enough for a teacher to read aloud, checked whole
 * before anything runs. Pure: text in, steps out, no files or processes
 * (tests/fuzz/fuzz_scenario_parse.c fuzzes it). Every limit is checked
 * before a byte is copied. */
#ifndef OCSPLAB_SCENARIOS_PARSE_H
#define OCSPLAB_SCENARIOS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_MAX_FILE_BYTES (256 * 1024) /* a lesson is a page or two */
#define SCN_MAX_LINE 1024               /* bytes in one line, without its newline */
#define SCN_MAX_STEPS 2000
#define SCN_MAX_TOKENS 40              /* words on one line */
#define SCN_MAX_ARGS 24                /* flags (and values) handed to a program */
#define SCN_MAX_NAME 64                /* a process name, a file name, an event */
#define SCN_MAX_SITE 201               /* a DNS name (the CA allows 200 characters) */
#define SCN_MAX_PROCS 16               /* programs one scenario may start */
#define SCN_MAX_FILES 32               /* files one scenario may save or forge */
#define SCN_MAX_SITES 32               /* certificates one scenario may issue */
#define SCN_MAX_FILTERS 4              /* FIELD=VALUE filters of `expect trace` */
#define SCN_MAX_WATCH_TICKS 1000       /* every/for of one watch */
#define SCN_MAX_USERS 100000           /* --users of one visit (the browser sums past 2,000) */
#define SCN_MAX_ADVANCE (3650 * 86400) /* ten years in one step */
#define SCN_MAX_ERROR 512

enum scn_step_kind {
    SCN_TITLE,       /* title TEXT */
    SCN_SAY,         /* say TEXT */
    SCN_PAUSE,       /* pause [TEXT] */
    SCN_CA_INIT,     /* ca init [flags] */
    SCN_CA_ISSUE,    /* ca issue SITE [flags] */
    SCN_CA_REVOKE,   /* ca revoke SITE [--reason R]  (or: revoke SITE) */
    SCN_START,       /* start responder [as NAME] [flags] | start webserver SITE [as NAME] … */
    SCN_STOP,        /* stop NAME */
    SCN_RESTART,     /* restart NAME */
    SCN_FAULT,       /* fault NAME MODE [DELAY] */
    SCN_ADVANCE,     /* advance DURATION */
    SCN_VISIT,       /* visit NAME [browser flags] */
    SCN_WATCH,       /* watch NAME [browser flags] every STEP for MAX [until CONDITION] */
    SCN_SAVE_STAPLE, /* save staple SITE as FILE */
    SCN_FORGE,       /* forge FILE about SITE signed by SIGNER [status good|revoked|unknown] */
    SCN_CHECK,       /* check FILE about SITE */
    SCN_EXPECT,      /* expect CONDITION */
    SCN_COMPARE,     /* compare */
    SCN_INCLUDE,     /* include FILE */
    SCN_CA_REVLIST,  /* ca revlist as FILE: the pushed-list stand-in, into LAB/files */
};
const char *scn_step_kind_name(enum scn_step_kind kind); /* "say", "ca issue", … */

enum scn_program {
    SCN_RESPONDER,
    SCN_WEBSERVER,
    SCN_CACHE, /* nginx as an HTTP cache in front of a responder (cache.h) */
};
/* "responder", "web server", "cache". */
const char *scn_program_noun(enum scn_program program);

enum scn_op {
    SCN_OP_EQ,
    SCN_OP_NE,
    SCN_OP_GE,
    SCN_OP_LE,
    SCN_OP_GT,
    SCN_OP_LT,
};
const char *scn_op_text(enum scn_op op); /* "==", … */
/* Parses "==", "!=", ">=", "<=", ">", "<" (and "=" for "=="). 0 or -1. */
int scn_op_parse(const char *text, enum scn_op *op);
/* True when `seen OP want` holds. */
bool scn_op_holds(enum scn_op op, int64_t seen, int64_t want);

/* What an expectation (or a watch's `until`) looks at. */
enum scn_subject {
    SCN_SUBJ_REQUESTS,      /* RESPONDER requests [from browser|webserver|other|ADDRESS] */
    SCN_SUBJ_CLIENTS,       /* RESPONDER clients: distinct client addresses */
    SCN_SUBJ_ANSWERS,       /* RESPONDER answers good|revoked|unknown|error */
    SCN_SUBJ_HANDSHAKES,    /* WEBSERVER handshakes */
    SCN_SUBJ_STAPLES_SENT,  /* WEBSERVER staples sent */
    SCN_SUBJ_FETCHES,       /* WEBSERVER fetches: OCSP requests it sent */
    SCN_SUBJ_STAPLE,        /* WEBSERVER staple == good|revoked|none */
    SCN_SUBJ_USERS,         /* users [accepted|refused] [because REASON] (last visit) */
    SCN_SUBJ_USERS_STAPLED, /* users stapled: the server sent them a staple */
    SCN_SUBJ_USERS_ASKED,   /* users asked: they asked the CA's responder themselves */
    SCN_SUBJ_TRACE,         /* trace EVENT [FIELD=VALUE…]: events in the lab's trace */
    SCN_SUBJ_WINDOW,        /* window: simulated time the last watch took to see its `until` */
    SCN_SUBJ_VERDICT,       /* verdict == REASON: the last check */
    SCN_SUBJ_CACHE,         /* CACHE requests|hits|misses [GET|POST] */
    SCN_SUBJ_CRL,           /* RESPONDER crl downloads|bytes|size: GET /crl's counters */
};

enum scn_users_filter {
    SCN_USERS_ALL,
    SCN_USERS_ACCEPTED,
    SCN_USERS_REFUSED,
};

struct scn_filter {
    char field[SCN_MAX_NAME];
    char value[SCN_MAX_NAME];
};

struct scn_condition {
    enum scn_subject subject;
    char target[SCN_MAX_NAME]; /* the program's name, for program subjects */
    char detail[SCN_MAX_SITE]; /* requester or address, answer kind, reason or event */
    enum scn_users_filter users;
    size_t filter_count;
    struct scn_filter filters[SCN_MAX_FILTERS];
    enum scn_op op;
    bool is_text;     /* compares words (staple, verdict): only == and != */
    bool is_duration; /* the value was written as a duration (window) */
    int64_t number;
    char text[SCN_MAX_NAME];
};

struct scn_script;

struct scn_step {
    int line; /* 1-based line in its file */
    enum scn_step_kind kind;
    char source[SCN_MAX_LINE + 1]; /* the line as written, trimmed, shown to the class */
    char text[SCN_MAX_LINE + 1];   /* title, say, pause: the words; include: the path */
    enum scn_program program;      /* start: which program */
    char name[SCN_MAX_NAME];       /* the program's name (start … as NAME, stop, visit, …) */
    char site[SCN_MAX_SITE];       /* a certificate's DNS name */
    char upstream[SCN_MAX_NAME];   /* start cache for RESPONDER: the responder */
    char file[SCN_MAX_NAME];       /* save, forge, check: a file in LAB/files */
    char signer[SCN_MAX_SITE];     /* forge: ca, delegate, stranger or a SITE */
    char status[16];               /* forge: good, revoked or unknown */
    char mode[16];                 /* fault: none, slow, trylater, … */
    char delay[16];                /* fault slow: its delay ("" for the default) */
    int64_t seconds;               /* advance; watch: at most this long */
    int64_t every_seconds;         /* watch: one tick */
    bool has_until;                /* watch */
    struct scn_condition cond;     /* expect; watch until */
    size_t arg_count;              /* flags for the program, checked, in order */
    char args[SCN_MAX_LINE + 1];   /* … stored NUL-separated; read with scn_step_arg */
    uint16_t arg_offsets[SCN_MAX_ARGS];
    struct scn_script *included; /* include: filled in by the loader, owned here */
};
const char *scn_step_arg(const struct scn_step *step, size_t i);

#define SCN_MAX_PATH 4096

struct scn_script {
    char path[SCN_MAX_PATH];      /* the file, as given (set by the loader) */
    char stem[SCN_MAX_NAME];      /* its name without folder and ".lab": the lab's name */
    char title[SCN_MAX_LINE + 1]; /* "" without a title step */
    int64_t sweep_users;          /* run --sweep: every visit's --users N is this; 0: off */
    size_t count;
    struct scn_step **steps; /* each owned */
};

struct scn_error {
    int line; /* 0 when the problem is not on one line (the file is too large) */
    char msg[SCN_MAX_ERROR];
};

/* Parses a whole scenario. Returns 0, or -1 with the first problem and its
 * line in *err (and *out empty). The caller frees *out with scn_script_free.
 * Checks everything that needs no running program: every word, flag and
 * value; names used only after they are started, files used only after they
 * are made; certificates issued only after `ca init`. */
int scn_parse(const char *text, size_t len, struct scn_script *out, struct scn_error *err);
/* Frees the steps and any included scripts; accepts NULL and a zeroed script. */
void scn_script_free(struct scn_script *script);

/* Pulls the title out of a file's text without parsing it all (for --list). */
void scn_peek_title(const char *text, size_t len, char *title, size_t cap);

/* Names of a site, a program or a file: the characters the language allows. */
bool scn_is_site_name(const char *text);
bool scn_is_plain_name(const char *text);

/* Reasons a browser verdict or a check may give (good, soft-fail, revoked, …). */
bool scn_is_reason(const char *text);

#endif
