/* labdirs.h — which traces `scenario trace` and `scenario report` read:
 * LAB/trace.jsonl of one lab, or every DIR/NAME/trace.jsonl of a run folder
 * (`scenario run --lab DIR`, `make demo`) in name order. Without --lab: ./lab,
 * or ./lab/demo when ./lab holds no trace of its own and lab/demo exists, so
 * plain `scenario trace` shows `make demo`'s labs. */
#ifndef OCSPLAB_SCENARIOS_LABDIRS_H
#define OCSPLAB_SCENARIOS_LABDIRS_H

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "lab.h"

#define SCN_LABDIRS_MAX 256

struct scn_labdirs {
    char base[LAB_PATH_MAX];      /* the lab, or the run folder */
    bool is_run;                  /* base holds labs rather than a trace */
    size_t count;                 /* labs: 1 for a lab, the sub-labs of a run */
    char *names[SCN_LABDIRS_MAX]; /* a run's labs' folder names, sorted; owned */
};

/* `lab` as given (NULL: the default). A single lab whose trace is missing is
 * not an error here: the reader says why it cannot open it. Returns 0, or
 * -1 with err set when the path is too long or a folder holds neither a
 * trace nor labs with one. Free with scn_labdirs_free (also after -1). */
int scn_labdirs_find(const char *lab, struct scn_labdirs *out, struct errbuf *err);
void scn_labdirs_free(struct scn_labdirs *dirs);

/* Lab i's folder (base itself for a single lab) and its trace. Returns 0, or
 * -1 when the path does not fit. */
int scn_labdirs_dir(const struct scn_labdirs *dirs, size_t i, char *out, size_t cap);
int scn_labdirs_trace(const struct scn_labdirs *dirs, size_t i, char *out, size_t cap);

#endif
