/* run.h — running scenarios: each in a lab of its own (RUN_DIR/STEM), its
 * programs started and stopped by the runner, its steps shown to the class,
 * its expectations checked, its row added to the comparison table. A failed
 * expectation is reported with file, line, expected and seen, and the run
 * goes on; a step that cannot run (a program that will not start, or dies)
 * ends that scenario, and the next one still runs. */
#ifndef OCSPLAB_SCENARIOS_RUN_H
#define OCSPLAB_SCENARIOS_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "lab.h"
#include "parse.h"
#include "../viewer/table.h"
#include "../viewer/ui.h"

/* Exit statuses (DESIGN section 2, and the shell's 128 + SIGINT). */
#define SCN_EXIT_OK 0
#define SCN_EXIT_FAILED 1
#define SCN_EXIT_USAGE 2
#define SCN_EXIT_INTERRUPTED 130

/* A lab directory the runner made carries this file; only such a directory
 * is ever removed and made again. */
#define SCN_LAB_MARKER ".scenario-lab"

#define SCN_MAX_REPORTED 64
#define SCN_MAX_SCRIPTS 64 /* scripts in one run, includes counted */

struct scn_options {
    char bin_dir[LAB_PATH_MAX]; /* ca, responder, webserver, browser */
    char prefix[16];            /* "ocsplab-" when installed by `make install`, else "" */
    char run_dir[LAB_PATH_MAX]; /* each scenario's lab is RUN_DIR/STEM */
    bool is_quiet;
    bool is_pausing; /* `pause` waits for Enter */
    /* --class: before each step, the lesson's words for it, set apart, and a
     * wait for Enter (only on a terminal). FIRST paces the first scenario
     * of the run only (make demo: the first lesson slowly, then the rest). */
    enum scn_class_mode { SCN_CLASS_OFF, SCN_CLASS_ALL, SCN_CLASS_FIRST } class_mode;
};

struct scn_capture; /* capture.h */

struct scn_runner {
    struct scn_options opt;
    struct scn_capture *capture; /* --capture: told each server's port, stopped
                                           * after the last program; NULL when off */
    struct scn_ui ui;
    struct scn_table table;
    int failure_count;
    int passed_count;                     /* expectations that held, all scenarios */
    int scenario_count;                   /* scenarios run, includes counted */
    int skipped_count;                    /* of them, skipped for a missing tool */
    char failures[SCN_MAX_REPORTED][768]; /* "FILE:LINE: what" */
    size_t lab_count;
    char labs[SCN_MAX_SCRIPTS][LAB_PATH_MAX];
    const struct scn_script *lab_owner[SCN_MAX_SCRIPTS];
};

/* Gives every script (and every included one) its lab, RUN_DIR/STEM (STEM-2,
 * … when a name repeats), removing an old lab the runner made there and
 * refusing a directory it did not make. Nothing is started. Returns 0, or -1
 * with err set. */
int scn_prepare_labs(struct scn_runner *r, struct scn_script *const *scripts, size_t count,
                     struct errbuf *err);

/* Runs the scripts in order; returns an SCN_EXIT_ status. Every program is
 * stopped before it returns, and then the capture, if any. */
int scn_run(struct scn_runner *r, struct scn_script *const *scripts, size_t count);

/* The lab prepared for a script ("" if none). */
const char *scn_lab_of(const struct scn_runner *r, const struct scn_script *script);

/* Removes a tree the runner made (it holds SCN_LAB_MARKER at its top, or is a
 * run directory whose every entry does). Returns 0, or -1 when it is not. */
int scn_remove_run_dir(const char *run_dir);

#endif
