/* load.h — scenario files from disk: a bounded read, the parse, and every
 * `include` resolved (relative to the including file) and parsed too, so that
 * a mistake anywhere stops the run before anything starts. */
#ifndef OCSPLAB_SCENARIOS_LOAD_H
#define OCSPLAB_SCENARIOS_LOAD_H

#include "parse.h"

/* A playlist may include a lesson that includes a part; no deeper. */
#define SCN_MAX_INCLUDE_DEPTH 4

struct scn_load_error {
    char path[SCN_MAX_PATH]; /* the file with the problem */
    int line;                /* 0 when it is the file itself (missing, too large) */
    char msg[SCN_MAX_ERROR];
};

/* Loads `path` into *out (caller frees with scn_script_free). Returns 0, or
 * -1 with the file, line and problem in *err. */
int scn_load_file(const char *path, struct scn_script *out, struct scn_load_error *err);

/* Reads just the title (for --list); "" when there is none or the file
 * cannot be read. */
void scn_load_title(const char *path, char *title, size_t cap);

/* The lab name of a scenario file: "scenarios/lessons/01-x.lab" -> "01-x". */
void scn_load_stem(const char *path, char *stem, size_t cap);

#endif
