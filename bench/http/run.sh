#!/bin/sh
# HTTP benchmark of the node (issue 7). Usage: sh bench/http/run.sh BUILD_DIR
#
# Starts a node in a temporary data dir, creates a member that sees 20 contacts
# (and contacts it must not see), then runs wrk with keep-alive
# (-t2 -c64 -d10s --latency), alternating the three targets, 3 runs each:
#   GET /api/v1/health                (no work: the server's ceiling)
#   GET /api/v1/contacts/{id}         (one row + the visibility check)
#   GET /api/v1/contacts?member=X     (a page of 20 visible contacts)
# and prints median requests/s, median p99 and ratios to health, with the
# targets of issue 7. Exits 1 only when the benchmark cannot run (daemon does
# not start, wrong answers, non-2xx responses); BELOW a target exits 0 unless
# BENCH_STRICT=1.
#
# Environment: BENCH_HTTP_THREADS (default "2 1": first the node as it runs by
# default (http_threads = 2), then with one pool thread, which leaves the other
# core to wrk and shows the best p99, see ../shared/PERFORMANCE.md; each value
# runs the whole benchmark once), BENCH_DURATION (default 10s),
# BENCH_RUNS (default 3), BENCH_CONNECTIONS (default 64).
set -eu

build=${1:-build}
bin=$build/atalaya
threads_list=${BENCH_HTTP_THREADS:-2 1}
duration=${BENCH_DURATION:-10s}
runs=${BENCH_RUNS:-3}
conns=${BENCH_CONNECTIONS:-64}
strict=${BENCH_STRICT:-0}

# issue 7 targets, requests/s
target_health=100000
target_get=60000
target_list=30000

die() { echo "bench/http: $*" >&2; exit 1; }

[ -x "$bin" ] || die "$bin not found; run make first"
command -v curl >/dev/null 2>&1 || die "curl is needed"
command -v python3 >/dev/null 2>&1 || die "python3 is needed"
if ! command -v wrk >/dev/null 2>&1; then
	echo "bench/http: installing wrk (Debian package)"
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null ||
			die "apt-get install wrk failed"
	else
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null ||
			die "sudo apt-get install wrk failed"
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/atalaya-bench-http.XXXXXX")
data=$tmp/data
chmod 711 "$tmp" # started as root, serve drops to its service user (atalaya), which must reach $data
pid=""

stop_daemon() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=""
	fi
}
cleanup() {
	stop_daemon
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# jget KEY < json: prints d[KEY]; KEY "#items" prints len(d["items"])
jget() {
	python3 -c 'import json, sys
d = json.load(sys.stdin)
k = sys.argv[1]
print(len(d["items"]) if k == "#items" else d[k])' "$1"
}

# api TOKEN METHOD PATH [BODY]: prints the body; fails on a non-2xx status
api() {
	tok=$1 method=$2 path=$3
	shift 3
	out=$tmp/api.out
	if [ $# -gt 0 ]; then
		code=$(curl -s -o "$out" -w '%{http_code}' -X "$method" \
			-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
			--data-binary "$1" "$base$path") || die "$method $path: curl failed"
	else
		code=$(curl -s -o "$out" -w '%{http_code}' -X "$method" \
			-H "Authorization: Bearer $tok" "$base$path") || die "$method $path: curl failed"
	fi
	case $code in
	2??) cat "$out" ;;
	*) die "$method $path answered $code: $(cat "$out")" ;;
	esac
}

start_daemon() {
	port=$(free_port)
	base=http://127.0.0.1:$port
	"$bin" serve --data "$data" --listen "127.0.0.1:$port" --access-log=false \
		--http-threads "$1" >>"$tmp/serve.log" 2>&1 &
	pid=$!
	i=0
	until curl -sf -o /dev/null "$base/api/v1/health"; do
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; pid=""; die "atalaya serve exited"; }
		i=$((i + 1))
		[ $i -lt 200 ] || { cat "$tmp/serve.log" >&2; die "atalaya serve did not answer"; }
		sleep 0.05
	done
}

contact() { # contact NAME AUDIENCE
	printf '{"role":"technical","name":"%s","email":"soc@example.org","phone":"+598 2 1234567",' "$1"
	printf '"webhook_url":"https://hooks.example.org/atalaya","languages":["es","en"],'
	printf '"pgp_fingerprint":"0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567",'
	printf '"availability":{"hours":"08:00-18:00","time_zone":"America/Montevideo",'
	printf '"days":["mon","tue","wed","thu","fri"]},"audience":%s}' "$2"
}

load_start=$(cut -d' ' -f1 /proc/loadavg)
busy=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 >= 20 { printf "%s%s (%s%%)", sep, $2, $1; sep = ", " }')
[ -z "$busy" ] || echo "bench/http: warning: the machine is busy: $busy; figures will be low" >&2

# --- the node and its data
"$bin" init --data "$data" --name "CERT-BENCH" --country UY >"$tmp/init.log" 2>&1 ||
	{ cat "$tmp/init.log" >&2; die "atalaya init failed"; }
admin=$(cat "$data/admin.token")
start_daemon 1

member_json() { printf '{"name":"%s","kind":"national-cert","country":"%s","role":"analyst"}' "$1" "$2"; }
m=$(api "$admin" POST /api/v1/members "$(member_json Bench-Owner BR)")
owner=$(echo "$m" | jget id)
owner_tok=$(echo "$m" | jget token)
m=$(api "$admin" POST /api/v1/members "$(member_json Bench-Viewer AR)")
viewer_tok=$(echo "$m" | jget token)
m=$(api "$admin" POST /api/v1/members "$(member_json Bench-Other CL)")
other_tok=$(echo "$m" | jget token)

# The owner's 20 contacts for everyone, interleaved with 10 for itself alone;
# another member's 10 contacts for the owner alone. The viewer sees 20.
first=""
hidden=""
i=1
while [ $i -le 30 ]; do
	if [ $((i % 3)) -eq 0 ]; then
		c=$(api "$owner_tok" POST /api/v1/contacts "$(contact "Private $i" '[]')")
		hidden=${hidden:-$(echo "$c" | jget id)}
		api "$other_tok" POST /api/v1/contacts \
			"$(contact "Other $i" "[\"member:$owner\"]")" >/dev/null
	else
		c=$(api "$owner_tok" POST /api/v1/contacts "$(contact "Duty $i" '["all"]')")
		first=${first:-$(echo "$c" | jget id)}
	fi
	i=$((i + 1))
done

n=$(api "$viewer_tok" GET "/api/v1/contacts?member=$owner" | jget '#items')
[ "$n" = 20 ] || die "the viewer sees $n of the owner's contacts, not 20"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $viewer_tok" \
	"$base/api/v1/contacts/$hidden")
[ "$code" = 404 ] || die "the viewer gets $code for a contact it must not see, not 404"
n=$(api "$viewer_tok" GET "/api/v1/contacts" | jget '#items')
[ "$n" = 20 ] || die "the viewer sees $n contacts in all, not 20"
stop_daemon

printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$viewer_tok" >"$tmp/auth.lua"

hz=$(getconf CLK_TCK)
# CPU time the daemon has used, in clock ticks (utime + stime)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# run_wrk NAME URL: appends "NAME rps p99_ms cpu_us_per_request" to $tmp/results
run_wrk() {
	out=$tmp/wrk.out
	t0=$(cpu_ticks)
	wrk -t2 -c"$conns" -d"$duration" --latency -s "$tmp/auth.lua" "$2" >"$out" 2>&1 ||
		{ cat "$out" >&2; die "wrk failed on $2"; }
	t1=$(cpu_ticks)
	if grep -q 'Non-2xx' "$out"; then
		cat "$out" >&2
		die "non-2xx answers from $2"
	fi
	awk -v name="$1" -v ticks=$((t1 - t0)) -v hz="$hz" '
		/ requests in / { n = $1 }
		/^Requests\/sec:/ { rps = $2 }
		/^ +99%/ { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
			p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
		/Socket errors/ { errs = $0 }
		END { if (rps == "" || p99 == "" || n == 0) exit 1
			printf "%s %s %s %.2f\n", name, rps, p99, ticks * 1e6 / hz / n
			if (errs != "") print "  " errs > "/dev/stderr" }' "$out" >>"$tmp/results" ||
		{ cat "$out" >&2; die "cannot read wrk output for $2"; }
}

median() { # median NAME COLUMN
	awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$tmp/results" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for threads in $threads_list; do
	: >"$tmp/results"
	start_daemon "$threads"
	r=1
	while [ $r -le "$runs" ]; do
		echo "bench/http: http_threads=$threads run $r/$runs" >&2
		run_wrk health "$base/api/v1/health"
		run_wrk get "$base/api/v1/contacts/$first"
		run_wrk list "$base/api/v1/contacts?member=$owner"
		r=$((r + 1))
	done
	stop_daemon

	h_rps=$(median health 2)
	h_p99=$(median health 3)
	echo
	echo "atalaya HTTP: wrk -t2 -c$conns -d$duration --latency, keep-alive, medians of $runs runs," \
		"--http-threads $threads"
	printf '%-34s %10s %9s %11s %11s %11s %10s  %s\n' route "req/s" "p99 ms" "rps/health" \
		"p99/health" "cpu us/req" target ""
	below=0
	for t in health get list; do
		case $t in
		health) label="GET /api/v1/health"; goal=$target_health ;;
		get) label="GET /api/v1/contacts/{id}"; goal=$target_get ;;
		list) label="GET /api/v1/contacts?member=X (20)"; goal=$target_list ;;
		esac
		rps=$(median $t 2)
		p99=$(median $t 3)
		cpu=$(median $t 4)
		verdict=$(awk -v a="$rps" -v b="$goal" 'BEGIN { print (a >= b) ? "PASS" : "BELOW" }')
		[ "$verdict" = PASS ] || below=1
		awk -v l="$label" -v r="$rps" -v p="$p99" -v hr="$h_rps" -v hp="$h_p99" -v g="$goal" \
			-v c="$cpu" -v v="$verdict" 'BEGIN {
				printf "%-34s %10.0f %9.2f %11.2f %11.2f %11.1f %10s  %s\n",
				l, r, p, r / hr, (hp > 0 ? p / hp : 0), c, ">= " g, v }'
	done
	echo
done
echo "cpu us/req: the daemon's CPU time (user + system, from /proc) per answered request;"
echo "it does not depend on how busy the machine is, unlike req/s and p99."
load_end=$(cut -d' ' -f1 /proc/loadavg)
echo "load average before: $load_start, after: $load_end. The daemon and wrk alone make about 3;"
echo "more means other processes shared the two cores, and req/s is lower than on an idle machine."

[ "$strict" = 1 ] && [ "$below" = 1 ] && exit 1
exit 0
