#!/bin/sh
# Installs the Debian packages atalaya needs to build, test and benchmark, when
# they are missing. Usage: scripts/deps.sh [build|test|bench|fuzz]
set -eu
what=${1:-build}

build_pkgs="gcc make meson ninja-build pkg-config python3 libmicrohttpd-dev libjansson-dev
 libsqlite3-dev libsodium-dev libcurl4-gnutls-dev libgnutls28-dev libxml2-dev libgmime-3.0-dev
 libidn2-dev libpsl-dev libyajl-dev libpcre2-dev libqrencode-dev curl ca-certificates openssl"
# nodejs, npm, chromium and the Noto fonts (Arabic, CJK): the web interface's
# browser test (tests/web), which runs Playwright against Debian's Chromium;
# python3-nacl: the federation test checks signatures with another library;
# zbar-tools: test_web_admin decodes the enrolment page's QR code (zbarimg).
test_pkgs="libcmocka-dev dnsutils clang-format unbound nodejs npm chromium fonts-noto-core
 fonts-noto-cjk python3-nacl zbar-tools"
bench_pkgs="wrk dnsperf rbldnsd"
fuzz_pkgs="clang libclang-rt-14-dev"

pkgs=$build_pkgs
case $what in
build) ;;
test) pkgs="$pkgs $test_pkgs" ;;
bench) pkgs="$pkgs $test_pkgs $bench_pkgs" ;;
fuzz) pkgs="$pkgs $test_pkgs $fuzz_pkgs" ;;
*) echo "deps.sh: unknown set '$what' (build, test, bench, fuzz)" >&2; exit 2 ;;
esac

# The service user: started as root, `atalaya serve` drops to it (see
# docs/operations.md). Created here when we are root, since `make run` and
# `make test` start the node as whoever runs them.
if [ "$(id -u)" = 0 ] && ! getent passwd atalaya >/dev/null 2>&1; then
	echo "atalaya: creating the system user 'atalaya' (the node's service user)"
	getent group atalaya >/dev/null 2>&1 || groupadd --system atalaya
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
		--gid atalaya --comment "atalaya node" atalaya
fi

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
# NodeSource's nodejs package carries its own npm (and conflicts with Debian's):
# an npm on the PATH is enough.
case " $missing " in
*" npm "*) if command -v npm >/dev/null 2>&1; then missing=$(echo "$missing" | sed 's/ npm\b//'); fi ;;
esac
[ -z "$missing" ] && exit 0

echo "atalaya: installing missing Debian packages:$missing"
sudo=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "atalaya: need root (or sudo) to run: apt-get install$missing" >&2
		exit 1
	fi
fi
# unbound is for the tests, which run their own instance on a free loopback
# port (test_dns.py). Where systemd runs, the package would also start a
# system resolver on port 53 (and, with resolvconf installed, make it this
# host's resolver): when we install it, it is masked for the install (its
# start fails, which dpkg ignores) and left disabled.
quiet_unbound=""
case " $missing " in
*" unbound "*) if [ -d /run/systemd/system ]; then quiet_unbound=1; fi ;;
esac

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ -n "$quiet_unbound" ]; then
	$sudo systemctl mask --runtime unbound.service >/dev/null 2>&1 || true
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
if [ -n "$quiet_unbound" ]; then
	$sudo systemctl disable unbound.service >/dev/null 2>&1 || true
	$sudo systemctl unmask --runtime unbound.service >/dev/null 2>&1 || true
	echo "atalaya: unbound installed for the tests, its system service left disabled" \
		"(systemctl enable --now unbound to use it as this host's resolver)"
fi
