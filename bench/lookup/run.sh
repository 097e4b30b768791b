#!/bin/sh
# Observable index and lookup benchmark (issue 4). Usage: sh bench/lookup/run.sh BUILD_DIR [N]
#
# 1. bench_index (in process): 1M IPv4, 1M domain, 1M URL observables; build
#    time, index bytes per observable, lookups/s on one thread.
# 2. http_bench.py: the same counts loaded as STIX indicators through the real
#    intake; index build time from the store at start; HTTP lookups/s under wrk
#    (keep-alive, -c64 -d10s); commit-to-webhook latency p50/p99 with a local
#    receiver.
# Targets (issue 4): >= 2,000,000 in-process IPv4 lookups/s; <= 80 B per IPv4
# observable; >= 30,000 HTTP lookups/s; commit-to-webhook p99 < 100 ms idle.
# Exits 1 only when the benchmark cannot run.
set -eu
build=${1:-build}
n=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "bench/lookup: $*" >&2; exit 1; }
[ -x "$build/atalaya" ] || die "$build/atalaya not found; run make first"
command -v python3 >/dev/null 2>&1 || die "python3 is needed"
command -v wrk >/dev/null 2>&1 || die "wrk is needed (apt-get install wrk)"

echo "--- in process (bench_index)"
ninja -C "$build" bench_index >/dev/null || die "cannot build bench_index"
"$build/bench_index" "$n" || die "bench_index failed"

echo "--- over HTTP (atalaya serve, real intake)"
python3 "$here/http_bench.py" "$build/atalaya" "$n" || die "http_bench.py failed"
echo "targets: >= 2,000,000 in-process IPv4 lookups/s; <= 80 B per IPv4 observable;"
echo "         >= 30,000 HTTP lookups/s; commit-to-webhook p99 < 100 ms idle"
