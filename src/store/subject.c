/* A report's policy subject, read one way. See subject.h. */
#include "store/subject.h"

void store_subject_from_row(sqlite3_stmt *s, int col, struct policy_subject *o)
{
	o->owner = sqlite3_column_int64(s, col);
	o->audience = (const char *)sqlite3_column_text(s, col + 1);
	o->tlp = (enum tlp)sqlite3_column_int(s, col + 2);
}
