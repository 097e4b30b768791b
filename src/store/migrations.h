/* The numbered schema migrations, applied in order at open. Never edit a
 * released one: append a new step. */
#ifndef ATALAYA_MIGRATIONS_H
#define ATALAYA_MIGRATIONS_H

#include <stddef.h>

extern const char *const store_migrations[];
extern const size_t store_migrations_count;

#endif
