/* table.h — the closing comparison (issue 7): one row per scenario run so
 * far, with what the CA's responders saw (requests, bytes, distinct client
 * addresses: the load and the privacy leak) next to what the users saw
 * (stapled or not, and how long a visit took). */
#ifndef OCSPLAB_SCENARIOS_TABLE_H
#define OCSPLAB_SCENARIOS_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ca_tally.h"

#define SCN_MAX_ROWS 64
#define SCN_TABLE_LABEL 64

struct scn_table_row {
    char label[SCN_TABLE_LABEL]; /* the scenario's file name without ".lab" */
    int64_t users, stapled, asked;
    int64_t ms_total, ms_worst;    /* every user's visit */
    int64_t alone, alone_ms_total; /* users who visited one at a time */
    /* The revocation window the lab's last watch measured, and the users who
     * visited while no responder ran (the CA down), and how many of them
     * were accepted: a second, small table (lesson 9's five ways). */
    bool has_window;
    int64_t window_seconds;
    int64_t ca_down_users, ca_down_accepted;
    struct scn_ca_totals ca; /* from the lab's trace */
};

struct scn_table {
    size_t count;
    struct scn_table_row rows[SCN_MAX_ROWS];
};

/* A new row (NULL when the table is full: the run goes on untabled). */
struct scn_table_row *scn_table_add(struct scn_table *t, const char *label);
/* A row's numbers as the table prints them ("15,940", "42.3", "-"), in the
 * order users, stapled, asked the CA, OCSP requests at the CA, bytes from the
 * CA, addresses the CA saw, mean visit ms of the users who came one at a
 * time ("alone") and of the others ("in the crowd"): the HTML report shows
 * the same cells. */
#define SCN_TABLE_COLUMNS 8
struct scn_table_cells {
    char text[SCN_TABLE_COLUMNS][32]; /* "-9,223,372,036,854,775,808" fits */
};
void scn_table_cells(const struct scn_table_row *row, struct scn_table_cells *out);

/* What the two visit-time columns mean, in one or two sentences: with a
 * row without stapling and one with it, what stapling saved one visitor at
 * a time and what waiting in the crowd added. */
void scn_table_latency_words(const struct scn_table *t, char *out, size_t cap);

/* A row's window and CA-down cells ("1d1h", "3 of 6"; "-" when none). */
void scn_table_window_cells(const struct scn_table_row *row, char *window, size_t window_cap,
                            char *ca_down, size_t ca_down_cap);
/* True when some row has a window or a visit with the CA down. */
bool scn_table_has_window_cells(const struct scn_table *t);

/* Prints the table and its latency words; `use_color` for the header on a
 * terminal. */
void scn_table_print(FILE *out, const struct scn_table *t, bool use_color);

#endif
