#!/bin/sh
# Runs every benchmark: each bench/*/run.sh, in sorted order, with the build
# dir as its argument. A failing benchmark does not stop the others; the last
# line names those that failed, and the exit status is 1 when any did.
# Usage: sh bench/run-all.sh BUILD_DIR
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
ran=0
failed=""

# Sorted by directory name, bytewise (bench directory names have no spaces).
# shellcheck disable=SC2045
for script in $(LC_ALL=C ls -d "$here"/*/run.sh 2>/dev/null); do
	name=$(basename "$(dirname "$script")")
	echo "=== bench/$name"
	ran=$((ran + 1))
	if ! sh "$script" "$build"; then
		echo "=== bench/$name FAILED" >&2
		failed="$failed $name"
	fi
done

if [ "$ran" = 0 ]; then
	echo "bench: no bench/*/run.sh found" >&2
	exit 1
fi
if [ -n "$failed" ]; then
	echo "bench: $ran run, failed:$failed" >&2
	exit 1
fi
echo "bench: $ran run, all finished"
