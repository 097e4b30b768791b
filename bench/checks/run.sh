#!/bin/sh
# Communication checks and the progress report (issue 16): a check of 193
# States x 3 contacts (window 0s: no random spread), time from the POST that
# starts it to the last challenge received by the webhook receiver; and the
# progress report for 193 States with profiles (json, csv, html), in ms.
# Medians of several runs. Usage: sh bench/checks/run.sh BUILD_DIR
set -eu
build=${1:-build}
exec python3 "$(dirname "$0")/checks.py" "$build/atalaya"
