"""Driver of bench/requests/run.sh (see there). Stdlib only."""
import calendar
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1]
DURATION = os.environ.get("BENCH_DURATION", "10s")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MEMBERS, GROUPS, REQUESTS, BURST = 200, 10, 10000, 1000
TARGET_LIST = 20000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Api:
    def __init__(self, port):
        self.port = port
        self.local = threading.local()

    def call(self, method, path, body=None, token=None):
        try:
            return self.call_once(method, path, body, token)
        except (ConnectionResetError, http.client.RemoteDisconnected):
            return self.call_once(method, path, body, token)  # an idle keep-alive was closed

    def call_once(self, method, path, body=None, token=None):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            out = r.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            raise
        if r.status >= 300:
            raise SystemExit(f"bench/requests: {method} {path}: {r.status} {out[:300]}")
        return json.loads(out) if out else None


def cpu_seconds(pid):
    """User + system CPU time of process pid so far."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def parallel(n_threads, items, fn):
    it = iter(items)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                x = next(it, None)
            if x is None:
                return
            fn(x)
    ts = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def main():
    tmp = tempfile.mkdtemp(prefix="atalaya-bench-requests-")
    os.chmod(tmp, 0o711)
    data = os.path.join(tmp, "data")
    port = free_port()
    subprocess.run([BIN, "init", "--data", data, "--name", "BENCH", "--country", "UY"],
                   check=True, capture_output=True)
    admin = open(os.path.join(data, "admin.token")).read().strip()
    log = open(os.path.join(tmp, "serve.log"), "wb")
    proc = subprocess.Popen([BIN, "serve", "--data", data, "--listen", f"127.0.0.1:{port}",
                             "--access-log", "false", "--request-reminders", "50"],
                            stdout=log, stderr=log)
    try:
        api = Api(port)
        for _ in range(300):
            try:
                api.call("GET", "/api/v1/health")
                break
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        members = []
        for i in range(MEMBERS):
            m = api.call("POST", "/api/v1/members", {"name": f"M{i}", "country": "BR",
                                                       "kind": "national-cert", "role": "analyst"},
                         token=admin)
            members.append((m["id"], m["token"]))
        groups = []
        for g in range(GROUPS):
            ids = [members[g * 20 + k][0] for k in range(20)]
            groups.append(api.call("POST", "/api/v1/groups", {"name": f"G{g}", "members": ids},
                                   token=admin)["id"])
        rnd = random.Random(15)
        plan = []
        for i in range(REQUESTS):
            orig = rnd.randrange(MEMBERS)
            to = rnd.randrange(MEMBERS)
            aud = [f"member:{members[to][0]}"]
            if i % 20 == 0:
                aud.append(f"group:{rnd.choice(groups)}")
            plan.append((members[orig][1], aud, i))
        t0 = time.time()
        parallel(8, plan, lambda p: api.call("POST", "/api/v1/requests", {
            "kind": "assistance", "title": f"request {p[2]}", "text": "bench", "deadline": "30d",
            "tlp": "amber", "audience": p[1]}, token=p[0]))
        opened = time.time() - t0
        viewer = members[7][1]
        page = api.call("GET", "/api/v1/requests?open=true", token=viewer)
        visible = len(page["items"])
        print(f"opened {REQUESTS} requests for {MEMBERS} members in {opened:.1f} s "
              f"({REQUESTS / opened:.0f}/s, each telling its audience); member 7 sees "
              f"{visible} open requests (one page)")

        lua = os.path.join(tmp, "auth.lua")
        open(lua, "w").write(f'wrk.headers["Authorization"] = "Bearer {viewer}"\n')
        for limit, target in ((100, TARGET_LIST), (10, TARGET_LIST)):
            rates, cpu = [], []
            url = f"http://127.0.0.1:{port}/api/v1/requests?open=true&limit={limit}"
            for _ in range(RUNS):
                c0 = cpu_seconds(proc.pid)
                out = subprocess.run(["wrk", "-t2", "-c64", f"-d{DURATION}", "-s", lua, url],
                                     capture_output=True, text=True).stdout
                c1 = cpu_seconds(proc.pid)
                m = re.search(r"([\d]+) requests in", out)
                rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
                if not m or not rps or "Non-2xx" in out:
                    raise SystemExit(f"bench/requests: wrk: {out}")
                rates.append(float(rps.group(1)))
                cpu.append((c1 - c0) * 1e6 / int(m.group(1)))
            med = statistics.median(rates)
            print(f"GET /api/v1/requests?open=true&limit={limit} ({min(limit, visible)} items): "
                  f"median {med:.0f} req/s, {statistics.median(cpu):.0f} us CPU per request "
                  f"in the node, over {RUNS} runs {['%.0f' % r for r in rates]} (target >= "
                  f"{target}: {'OK' if med >= target else 'BELOW'}; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")

        time.sleep(2.5)  # a few idle passes
        st = api.call("GET", "/api/v1/requests/stats", token=admin)["deadline_scan"]
        print(f"deadline scan, {REQUESTS} open requests, nothing due: median pass "
              f"{st['median_pass_us'] / 1000:.3f} ms")
        busy = []
        for run in range(RUNS):
            # BURST requests with the same deadline (an RFC 3339 time 4 s ahead): their
            # overdue notices fall due in the same pass (at most 256 per pass)
            tok = members[run][1]
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 5))
            parallel(8, range(BURST), lambda i: api.call("POST", "/api/v1/requests", {
                "kind": "clarification", "title": f"burst {i}", "deadline": at,
                "tlp": "green", "audience": [f"member:{members[(i % 199) + 1][0]}"]},
                token=tok))
            time.sleep(max(0.0, calendar.timegm(time.strptime(at, "%Y-%m-%dT%H:%M:%SZ"))
                           - time.time()) + 3)
            st = api.call("GET", "/api/v1/requests/stats", token=admin)["deadline_scan"]
            busy.append((st["last_busy_pass_us"] / 1000, st["last_busy_pass_requests"]))
        print(f"deadline scan, busy passes (an overdue notice per request, 32 requests per "
              f"transaction): {['%.1f ms / %d requests' % b for b in busy]}; median "
              f"{statistics.median(b[0] for b in busy):.1f} ms per pass, "
              f"{statistics.median(b[0] / b[1] for b in busy if b[1]):.3f} ms per due request")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


main()
