#!/bin/sh
# The DNSBL benchmark of issue 8: atalaya against rbldnsd (Debian) with the
# same 1M random IPv4 listings, dnsperf -c 4 -T 2 -q 500 -l 15, three runs
# each alternating, then ten live changes of 10,000 listings under load;
# before that, memory.py: the node's VmRSS after importing 1M listings.
# Usage: sh bench/dnsbl/run.sh BUILD_DIR
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
for tool in dnsperf rbldnsd; do
	if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ]; then
		echo "bench/dnsbl: installing $tool" >&2
		apt-get install -y "$tool" >/dev/null
	fi
done
# the node's memory as an operator sees it: VmRSS after `atalaya dnsbl import`
PATH=$PATH:/usr/sbin python3 "$here/memory.py" "$build"
echo
PATH=$PATH:/usr/sbin exec python3 "$here/bench.py" "$build"
