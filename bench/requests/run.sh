#!/bin/sh
# Requests benchmark (issue 15). Usage: sh bench/requests/run.sh BUILD_DIR
#
# Starts a node in a temporary data dir with 200 members (10 groups of 20) and
# 10,000 open requests opened through the API (each to one member, one in 20
# to a group as well), then:
#   - wrk (keep-alive, -t2 -c64, BENCH_DURATION each, BENCH_RUNS runs) on
#     GET /api/v1/requests?open=true as one member (its page of open requests);
#   - the same with ?limit=10 (a first screen);
#   - the deadline scan: the median pass with the 10,000 open requests and
#     nothing due, and a burst of 1,000 requests whose deadline falls in
#     the same second (ms for the pass that handles them, from
#     GET /api/v1/requests/stats as an admin), BENCH_RUNS bursts.
# Prints medians. Exits 1 only when the benchmark cannot run.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$build/atalaya" ] || { echo "bench/requests: $build/atalaya not found; run make" >&2; exit 1; }
command -v wrk >/dev/null 2>&1 || { echo "bench/requests: wrk is needed (Debian package wrk)" >&2; exit 1; }
exec python3 "$here/bench.py" "$build/atalaya"
