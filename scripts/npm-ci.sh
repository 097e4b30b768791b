#!/bin/sh
# Installs the browser test's npm packages (tests/web: playwright-core and
# axe-core, pinned by package-lock.json) when they are missing or the lock
# changed. No browser is downloaded: the test drives Debian's /usr/bin/chromium.
set -eu
cd "$(dirname "$0")/../tests/web"
if [ -f node_modules/.package-lock.json ] && cmp -s package-lock.json node_modules/.lock-installed; then
	exit 0
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
cp package-lock.json node_modules/.lock-installed
