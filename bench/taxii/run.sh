#!/bin/sh
# TAXII 2.1 benchmark (issue 18): paging a collection of N objects (1M by
# default) with limit=1000, objects/s and the daemon's peak RSS, against
# /api/v1/export on the same data in the same run; and manifest requests/s.
# Usage: sh bench/taxii/run.sh BUILD_DIR [N]
set -eu
build=${1:-build}
shift || true
exec python3 "$(dirname "$0")/taxii.py" "$build/atalaya" "$@"
