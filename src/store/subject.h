/* A report's policy subject (its scope: originator, audience, TLP), read one
 * way from the reports table. Every path that decides whether a report may
 * leave names these columns with STORE_SUBJECT_COLS and turns them into a
 * `struct policy_subject` with store_subject_from_row; none rebuilds it from
 * its own column list.
 * Beside the tables (src/store) so that report/, index/, alert/ and spam/
 * reach it without including each other. Any thread. */
#ifndef ATALAYA_STORE_SUBJECT_H
#define ATALAYA_STORE_SUBJECT_H

#include "policy/policy.h"
#include "store/store.h"

/* The subject's three columns of `reports r` (the table aliased r), in the
 * order store_subject_from_row reads them. */
#define STORE_SUBJECT_COLS "r.originator, r.audience, r.tlp"

/* Fills *o from the three STORE_SUBJECT_COLS columns starting at `col` of the
 * current row of `s`. o->audience borrows the row's text: valid until `s`
 * steps again or is reset. */
void store_subject_from_row(sqlite3_stmt *s, int col, struct policy_subject *o);

#endif
