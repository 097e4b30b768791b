/* Forced first into every atalaya source file (meson: -include). It pulls in the
 * system headers we use everywhere, then banned.h, so that the banned names stay
 * usable by the system's own declarations but not by our code (git's way). */
#ifndef ATALAYA_COMPAT_H
#define ATALAYA_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/banned.h"

#endif
