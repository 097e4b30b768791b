#!/usr/bin/env python3
"""The HTTP half of bench/lookup (issue 4), driven by bench/lookup/run.sh.

Loads N IPv4, N domain and N URL indicators through the real intake
(POST /api/v1/reports, bundles of 100k), restarts the node and reads the index
build time from its log, runs wrk on GET /api/v1/lookup (keep-alive, -c64
-d10s), and measures commit-to-webhook latency with a local receiver.

Usage: http_bench.py ATALAYA_BINARY [N]   (default 1000000)
"""
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
CHUNK = 100000
DURATION = os.environ.get("BENCH_DURATION", "10s")
NS = uuid.UUID("3f1c2a7e-8d4b-4c1a-9e55-0a1b2c3d4e5f")
TS = "2026-11-20T00:00:00.000Z"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ipv4(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def domain(i):
    return "h%d.d%d.example" % (i, i % 1000)


def url(i):
    return "http://u%d.example/p/%d?q=1" % (i % 5000, i)


KINDS = [("ipv4-addr", ipv4), ("domain-name", domain), ("url", url)]


def bundle(kind, start, count):
    t, f = KINDS[kind]
    parts = []
    for i in range(start, start + count):
        parts.append('{"type":"indicator","spec_version":"2.1","id":"indicator--%s",'
                     '"created":"%s","modified":"%s","pattern":"[%s:value = \'%s\']",'
                     '"pattern_type":"stix","valid_from":"%s"}'
                     % (uuid.uuid5(NS, "%d/%d" % (kind, i)), TS, TS, t, f(i), TS))
    return ('{"type":"bundle","id":"bundle--%s","objects":[%s]}'
            % (uuid.uuid4(), ",".join(parts))).encode()


class Node:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="atalaya-bench-lookup-")
        os.chmod(self.tmp, 0o711)
        self.data = os.path.join(self.tmp, "data")
        self.port = free_port()
        self.proc = None
        self.log = os.path.join(self.tmp, "serve.log")
        subprocess.run([BIN, "init", "--data", self.data, "--name", "BENCH", "--country", "UY"],
                       check=True, capture_output=True)
        self.admin = open(os.path.join(self.data, "admin.token")).read().strip()

    def start(self):
        self.logf = open(self.log, "ab")
        t0 = time.time()
        self.proc = subprocess.Popen([BIN, "serve", "--data", self.data, "--listen",
                                      "127.0.0.1:%d" % self.port, "--access-log=false",
                                      "--webhook-allow-networks", "127.0.0.0/8",
                                      "--http-threads", os.environ.get("BENCH_HTTP_THREADS", "1")],
                                     stdout=self.logf, stderr=self.logf)
        while True:
            if self.proc.poll() is not None:
                raise SystemExit("serve exited: " + open(self.log).read()[-2000:])
            try:
                if self.req("GET", "/api/v1/health", tok=None)[0] == 200:
                    return time.time() - t0
            except OSError:
                pass
            time.sleep(0.05)

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
            self.proc = None
            self.logf.close()

    def req(self, method, path, body=None, tok="admin", ct="application/json", raw=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        h = {}
        if tok:
            h["Authorization"] = "Bearer " + (self.admin if tok == "admin" else tok)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h["Content-Type"] = ct
        try:
            c.request(method, path, body=data, headers=h)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early: read that answer
        r = c.getresponse()
        out = (r.status, r.read())
        c.close()
        return out

    def rss_mib(self):
        for line in open("/proc/%d/status" % self.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0


def receiver():
    got = {}
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            t = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            rid = json.loads(body)["alert"]["report"]["id"]
            with lock:
                got[rid] = t
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, got, lock


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def wrk(node, tok, paths, label):
    lua = os.path.join(node.tmp, "lookup.lua")
    with open(lua, "w") as f:
        f.write('wrk.headers["Authorization"] = "Bearer %s"\n' % tok)
        f.write("local paths = {%s}\n" % ",".join('"%s"' % p for p in paths))
        f.write("local i = 0\nrequest = function()\n  i = i %% %d + 1\n"
                "  return wrk.format(\"GET\", paths[i])\nend\n" % len(paths))
    pid = node.proc.pid
    t0 = sum(int(x) for x in open("/proc/%d/stat" % pid).read().split()[13:15])
    out = subprocess.run(["wrk", "-t2", "-c64", "-d" + DURATION, "--latency", "-s", lua,
                          "http://127.0.0.1:%d" % node.port], capture_output=True, text=True).stdout
    t1 = sum(int(x) for x in open("/proc/%d/stat" % pid).read().split()[13:15])
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    p99ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}.get(p99.group(2), 1)
    nreq = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    cpu_us = (t1 - t0) / os.sysconf("SC_CLK_TCK") * 1e6 / max(nreq, 1)
    print("  %-44s %9.0f req/s  p99 %6.2f ms  %5.1f us CPU/req%s"
          % (label, rps, p99ms, cpu_us, "  NON-2xx: " + non2xx.group(1) if non2xx else ""))
    return rps


def main():
    node = Node()
    try:
        node.start()
        st, body = node.req("POST", "/api/v1/members", {"name": "Reporter", "country": "BR",
                                                         "role": "analyst", "kind": "national-cert"})
        rep_tok = json.loads(body)["token"]
        st, body = node.req("POST", "/api/v1/members", {"name": "Watcher", "country": "UY",
                                                         "role": "analyst", "kind": "national-cert"})
        w = json.loads(body)
        watch_tok = w["token"]
        srv, got, lock = receiver()
        node.req("PUT", "/api/v1/constituency", {"cidrs": ["192.0.2.0/24"]}, tok=watch_tok)
        node.req("POST", "/api/v1/contacts", {"role": "technical", "name": "hook",
                                              "email": "soc@example.org", "availability": "24/7",
                                              "webhook_url": "http://127.0.0.1:%d/hook"
                                              % srv.server_address[1]}, tok=watch_tok)

        # --- load through the intake
        t0 = time.time()
        objects = 0
        for kind in range(3):
            for start in range(0, N, CHUNK):
                b = bundle(kind, start, min(CHUNK, N - start))
                s, out = node.req("POST", "/api/v1/reports?audience=all", raw=b, tok=rep_tok,
                                  ct="application/stix+json;version=2.1")
                if s != 201:
                    raise SystemExit("intake answered %d: %s\n%s" % (s, out[:300],
                                     open(node.log).read()[-1500:]))
                objects += json.loads(out)["objects"]
        t_ingest = time.time() - t0
        # the indexer catches up (the last URL becomes visible)
        last = url(N - 1)
        while True:
            s, out = node.req("GET", "/api/v1/lookup?value=" + last, tok=rep_tok)
            if s == 200 and json.loads(out)["matches"]:
                break
            time.sleep(0.2)
        t_indexed = time.time() - t0
        print("  loaded %d indicators through POST /api/v1/reports in %.1f s (%.0f objects/s); "
              "indexed %.1f s after the first POST" % (objects, t_ingest, objects / t_ingest,
                                                        t_indexed))
        node.stop()

        # --- index build from the store at start
        up = node.start()
        m = re.findall(r"event=index_built reports=(\d+) observables=(\d+) postings=(\d+) "
                       r"bytes=(\d+) seconds=([\d.]+)", open(node.log).read())[-1]
        print("  index build from the store at start: %s s for %s observables in %s reports "
              "(%.0f observables/s); %.1f MiB of index, %.1f B per observable; node up in %.1f s, "
              "RSS %.0f MiB" % (m[4], m[1], m[0], int(m[1]) / max(float(m[4]), 1e-9),
                                int(m[3]) / 1048576, int(m[3]) / max(int(m[1]), 1), up,
                                node.rss_mib()))

        # --- HTTP lookups under wrk
        import random
        rnd = random.Random(7)
        paths = []
        for i in range(2000):
            k = i % 3
            v = KINDS[k][1](rnd.randrange(N)) if i % 2 == 0 else \
                KINDS[k][1](N + rnd.randrange(N))  # half hits, half misses
            paths.append("/api/v1/lookup?value=" + v.replace("?", "%3F").replace("=", "%3D"))
        ip_paths = ["/api/v1/lookup?value=" + ipv4(rnd.randrange(N) if i % 2 == 0 else N + i)
                    for i in range(2000)]
        print("  wrk -t2 -c64 -d%s --latency, keep-alive, --http-threads %s:" %
              (DURATION, os.environ.get("BENCH_HTTP_THREADS", "1")))
        wrk(node, rep_tok, ["/api/v1/health"], "GET /api/v1/health (ceiling)")
        rps_ip = wrk(node, rep_tok, ip_paths, "lookup IPv4, 50% hits (originator)")
        rps_mix = wrk(node, rep_tok, paths, "lookup IPv4/domain/URL, 50% hits (originator)")
        rps_aud = wrk(node, watch_tok, ip_paths, "lookup IPv4, 50% hits (other member, audited)")

        # --- commit-to-webhook latency, idle
        lat = []
        for i in range(200):
            b = ('{"type":"bundle","id":"bundle--%s","objects":[{"type":"indicator",'
                 '"spec_version":"2.1","id":"indicator--%s","created":"%s","modified":"%s",'
                 '"pattern":"[ipv4-addr:value = \'192.0.2.%d\']","pattern_type":"stix",'
                 '"valid_from":"%s"}]}' % (uuid.uuid4(), uuid.uuid4(), TS, TS, i % 250 + 1,
                                           TS)).encode()
            s, out = node.req("POST", "/api/v1/reports?audience=all", raw=b, tok=rep_tok,
                              ct="application/stix+json;version=2.1")
            t_commit = time.time()
            rid = json.loads(out)["id"]
            deadline = t_commit + 5
            while time.time() < deadline:
                with lock:
                    if rid in got:
                        lat.append((got[rid] - t_commit) * 1000)
                        break
                time.sleep(0.0005)
            time.sleep(0.02)
        print("  commit-to-webhook (200 reports, idle; from the 201 answer to the receiver): "
              "p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d/200 delivered"
              % (pct(lat, 50), pct(lat, 99), max(lat), len(lat)))
        print("RESULT http_ipv4=%.0f http_mix=%.0f http_audited=%.0f webhook_p50=%.1f "
              "webhook_p99=%.1f build_s=%s" % (rps_ip, rps_mix, rps_aud, pct(lat, 50),
                                               pct(lat, 99), m[4]))
        srv.shutdown()
    finally:
        node.stop()
        shutil.rmtree(node.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
