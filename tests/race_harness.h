/* race_harness.h — revokers and listers racing on one CA database (DESIGN
 * section 5), shared by the library test (test_ca.c) and the bin/ca test
 * (integration/test_ca_cli.c): who revokes what, children forked and waited for
 * within a time limit, and the rule that every certificate has exactly one
 * winning revoker while listers never see the database go backwards. */
#ifndef OCSPLAB_TESTS_RACE_HARNESS_H
#define OCSPLAB_TESTS_RACE_HARNESS_H

#include <stddef.h>

#define RACE_CERTS 20
#define RACE_SHARED 8 /* every revoker tries certificates 0..7; the rest one each */
#define RACE_REVOKERS 4
#define RACE_LISTERS 2

/* The outcome of a certificate a revoker did not try. */
#define RACE_NOT_TRIED (-100)

/* What a test does in its children. Each child runs in its own copy of the
 * parent's memory (fork), so a callback may keep state in `ctx` without the
 * other children seeing it. */
struct race_spec {
    void *ctx;
    /* Lists the database once. Returns how many of the RACE_CERTS
     * certificates are revoked, or -1 with a reason in `why` when the list
     * was wrong (a missing row, a failed run, ...). */
    int (*list_once)(void *ctx, char *why, size_t why_cap);
    /* Revoker k (0..RACE_REVOKERS-1) revokes certificate `cert` with its own
     * reason; returns the outcome code (compared with ok_code and
     * already_code below; anything else fails the test). */
    int (*revoke)(void *ctx, int k, int cert);
    int ok_code;      /* the revocation happened */
    int already_code; /* someone else had revoked it first */
    int lister_ms;    /* a lister keeps listing this long at most */
    int limit_ms;     /* the whole race, after which children are killed */
    /* Programs the children start live in their own process groups: after
     * the time limit, processes whose command line mentions this (the lab
     * directory) are killed too. May be NULL. */
    const char *leftover_needle;
};

/* Forks RACE_LISTERS listers, then RACE_REVOKERS revokers (so the listers
 * watch the whole race), waits for every child's report within
 * spec->limit_ms and checks them: listers saw every list right, at least
 * twice, and the number revoked never went down; each certificate was
 * revoked by exactly one revoker and all the others that tried it were told
 * it was already revoked. Stores the winning revoker of each certificate in
 * `winners`, so the test can check that the winner's reason is on record.
 * Fails the test (Check) otherwise. */
void race_run(const struct race_spec *spec, int winners[RACE_CERTS]);

#endif
