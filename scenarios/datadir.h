/* datadir.h — where `scenario` finds what it runs, in a checkout (bin/scenario
 * next to bin/ca, lessons in scenarios/) and after `make install` or the
 * Debian package (ocsplab-scenario next to ocsplab-ca, lessons in
 * DATADIR/ocsplab/), even when the installed tree was moved (DESTDIR, a
 * package unpacked into another root). Labs are never written here. */
#ifndef OCSPLAB_SCENARIOS_DATADIR_H
#define OCSPLAB_SCENARIOS_DATADIR_H

#include <stddef.h>

#include "lab.h"

/* The running program as its siblings see it. */
struct scn_self {
    char bin_dir[LAB_PATH_MAX]; /* the folder the program is in */
    char prefix[16];            /* what the siblings' names start with:
                                 * "ocsplab-" installed, "" in a checkout */
};

/* Splits the program's own path into its folder and the prefix of its name
 * before "scenario" ("/usr/bin/ocsplab-scenario" -> "/usr/bin", "ocsplab-";
 * a name not ending in "scenario" has prefix ""). Returns 0, or -1 when the
 * path has no folder or does not fit. */
int scn_self_from_path(const char *exe_path, struct scn_self *out);

/* The same for the running program, read from /proc/self/exe (symbolic links
 * resolved, so a link in PATH finds the real installation). */
int scn_self_find(struct scn_self *out);

/* Where an installation keeps the lessons, as the build was told
 * (Makefile: DATADIR/ocsplab, and that path relative to BINDIR). */
struct scn_datadir_hints {
    const char *from_bin; /* e.g. "../share/ocsplab"; NULL or "" for none */
    const char *compiled; /* e.g. "/usr/share/ocsplab"; NULL or "" for none */
};

/* The folder holding lessons/ (and demo.lab): the first of
 *   BIN_DIR/FROM_BIN      an installation, wherever its root now is
 *   BIN_DIR/../scenarios  a checkout's bin/ (build/asan/scenarios, which
 *                         holds only objects, does not count: no lessons/)
 *   COMPILED              the data directory make install was given
 *   ./scenarios           a checkout, from its top folder
 * whose lessons/ is a directory, as an absolute path; when none is,
 * "scenarios", so that a message names the usual place. */
void scn_datadir_find(const char *bin_dir, const struct scn_datadir_hints *hints, char *out,
                      size_t cap);

#endif
