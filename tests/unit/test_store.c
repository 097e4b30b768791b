/* The store's statement cache: every statement is prepared once per
 * connection, however many there are (it once held 96 and prepared the
 * rest on every call without finalizing them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

#define NSQL 1000

static char sql[NSQL][32]; /* static: store_stmt keys on the text's address */

static int live_statements(sqlite3 *db)
{
	int n = 0;
	for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s; s = sqlite3_next_stmt(db, s))
		n++;
	return n;
}

static void each_statement_prepared_once(void **state)
{
	(void)state;
	char dir[] = "/tmp/atalaya-store-XXXXXX", cmd[64];
	struct store *st;
	struct err_detail e = {0};
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, 2, &st, &e), ERR_OK);
	struct store_conn *c = store_reader(st);
	assert_non_null(c);
	int before = live_statements(store_db(c));
	sqlite3_stmt *first[NSQL];
	for (int i = 0; i < NSQL; i++) {
		snprintf(sql[i], sizeof(sql[i]), "SELECT %d", i);
		first[i] = store_stmt(c, sql[i]);
		assert_non_null(first[i]);
		assert_int_equal(sqlite3_step(first[i]), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(first[i], 0), i);
	}
	assert_int_equal(live_statements(store_db(c)), before + NSQL);
	for (int i = NSQL - 1; i >= 0; i--) {
		sqlite3_stmt *s = store_stmt(c, sql[i]);
		assert_ptr_equal(s, first[i]); /* the cached one, reset */
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), i);
		sqlite3_reset(s);
	}
	assert_int_equal(live_statements(store_db(c)), before + NSQL);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(each_statement_prepared_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
