#!/bin/sh
# Incident intake benchmark (issue 3): objects/s from HTTP POST to committed,
# and the daemon's peak RSS, for bundles of 10k, 100k and 1M indicators.
# Usage: sh bench/ingest/run.sh BUILD_DIR [N...]
set -eu
build=${1:-build}
shift || true
exec python3 "$(dirname "$0")/ingest.py" "$build/atalaya" "$@"
