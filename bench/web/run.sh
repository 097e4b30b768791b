#!/bin/sh
# Web interface benchmark (issue 17). Usage: sh bench/web/run.sh BUILD_DIR
#
# Starts a node in a temporary data dir with a member, a person's account
# signed in (session cookie) and a report of 100,000 indicators, then prints:
#   - the bytes a first visit transfers (sign-in page + stylesheet; the
#     dashboard + stylesheet), against the 100 KB ceiling;
#   - the time to the first page of the 100,000-object report (median of 7),
#     against the 1 s ceiling;
#   - pages/s with keep-alive (wrk -t2 -c32, BENCH_DURATION each, BENCH_RUNS
#     runs, median) for the dashboard, the report page and the requests page
#     (BENCH_REQUESTS open requests, default 200), and the admin's pages with
#     193 members and 20 peer nodes, cookie sent;
#   - the same for the progress report's charts over BENCH_STATES members
#     (default 193) with public profiles, and for the profile form.
# Exits 1 when the benchmark cannot run (daemon, wrong answers, non-2xx).
# Environment: BENCH_DURATION (default 10s), BENCH_RUNS (default 3),
# BENCH_OBJECTS (default 100000), BENCH_REQUESTS (default 200), BENCH_STATES (default 193).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/bench.py" "${1:-build}"
