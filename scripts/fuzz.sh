#!/bin/sh
# Runs each libFuzzer target for SECONDS (default 60) on a copy of its corpus;
# new inputs land in build-fuzz/corpus-<name>; crashes in build-fuzz/crash-*.
# Inputs worth keeping go into tests/fuzz/corpus/<name>, where make test replays them.
set -eu
build=$1
secs=${2:-60}
[ -n "$secs" ] || secs=60
for exe in "$build"/tests/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue # skip meson's *.p object folders
	name=${exe##*/fuzz_}
	corpus=tests/fuzz/corpus/$name
	work="$build/corpus-$name"
	mkdir -p "$work"
	echo "== fuzz $name for ${secs}s (seed corpus $corpus)"
	"$exe" -max_total_time="$secs" -artifact_prefix="$build/crash-$name-" "$work" "$corpus"
done
