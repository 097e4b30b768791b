#!/bin/sh
# Installs the browser test's npm packages (tests/web: playwright-core and
# axe-core, pinned by package-lock.json) when they are missing or the lock
# changed. No browser is downloaded: the test drives Debian's /usr/bin/chromium.
set -eu
cd "$(dirname "$0")/../tests/web"
if [ -f node_modules/.package-lock.json ] && cmp -s package-lock.json node_modules/.lock-installed; then
	exit 0
fi
if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; then
	echo "npm-ci.sh: the browser test needs playwright-core and axe-core from the npm registry" >&2
	echo "  (tests/web/package-lock.json); npm ci failed above. Behind a TLS-inspecting proxy," >&2
	echo "  point NODE_EXTRA_CA_CERTS at its CA certificate." >&2
	exit 1
fi
cp package-lock.json node_modules/.lock-installed
