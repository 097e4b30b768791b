#!/bin/sh
# Federation benchmark (issue 14): sync throughput between two nodes (objects/s
# from committed on A to committed on B), convergence of five nodes after a
# partition heals (10,000 reports), and the cost of a sync with nothing new.
# Usage: sh bench/federation/run.sh BUILD_DIR
set -eu
build=${1:-build}
exec python3 "$(dirname "$0")/fed.py" "$build/atalaya"
