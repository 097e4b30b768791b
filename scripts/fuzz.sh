#!/bin/sh
# Runs each libFuzzer target for SECONDS (default 60) on a copy of its corpus;
# new inputs land in build-fuzz/corpus-<name>; crashes in build-fuzz/crash-*.
set -eu
build=$1
secs=${2:-60}
[ -n "$secs" ] || secs=60
for exe in "$build"/tests/fuzz_*; do
	[ -x "$exe" ] || continue
	name=${exe##*/fuzz_}
	src=$(grep -l "fuzz_targets += \[\['$name'" -r src tests --include=meson.build | head -1)
	corpus=tests/fuzz/corpus/$name
	work="$build/corpus-$name"
	mkdir -p "$work"
	echo "== fuzz $name for ${secs}s (seed corpus $corpus)"
	"$exe" -max_total_time="$secs" -artifact_prefix="$build/crash-$name-" "$work" "$corpus"
done
