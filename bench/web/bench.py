#!/usr/bin/env python3
"""The web benchmark's body (see run.sh): setup, measures, medians."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from harness import Node, WebUser  # noqa: E402

BUILD = sys.argv[1]
DURATION = os.environ.get("BENCH_DURATION", "10s")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
OBJECTS = int(os.environ.get("BENCH_OBJECTS", "100000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def die(msg):
    print(f"bench/web: {msg}", file=sys.stderr)
    sys.exit(1)


def wrk(url, cookie):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(f'wrk.headers["Cookie"] = "{cookie}"\n')
        script = f.name
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{DURATION}", "--latency", "-s", script, url],
                         capture_output=True, text=True).stdout
    os.unlink(script)
    if "Non-2xx" in out:
        die(f"non-2xx answers from {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rps, ms


def main():
    binary = os.path.join(BUILD, "atalaya")
    if not os.access(binary, os.X_OK):
        die(f"{binary} not found; run make first")
    if not shutil.which("wrk"):
        die("wrk is needed (Debian package wrk; make bench installs it)")
    n = Node(binary, extra_args=["--access-log", "false"])
    try:
        n.start()
        u = WebUser(n, 1, "bench@cert.uy")
        gen = subprocess.run([sys.executable, os.path.join(HERE, "..", "gen_bundle.py"),
                              str(OBJECTS)], capture_output=True, check=True).stdout
        t0 = time.time()
        r = n.request("POST", "/api/v1/reports?audience=all", raw=gen,
                      content_type="application/stix+json;version=2.1")
        if r.status != 201:
            die(f"report: {r}")
        rid = r.json()["id"]
        # the indexer works through the report after its commit: measure once it is done
        deadline = time.time() + 300
        while time.time() < deadline:
            m = n.request("GET", "/api/v1/lookup?value=10.0.0.0").json()
            if m and any(x.get("report") == rid for x in m.get("matches", [])):
                break
            time.sleep(0.5)
        print(f"setup: a report of {OBJECTS} objects ({len(gen) / 1e6:.1f} MB) stored and indexed in "
              f"{time.time() - t0:.1f} s")

        # requests for assistance from another member to all, deadlines 1 to 48 h
        # ahead: the dashboard shows the 10 nearest, the requests page 50
        _, btok = n.add_member("CERT-B", "BR")
        for i in range(REQUESTS):
            r = n.request("POST", "/api/v1/requests", {
                "kind": "assistance", "title": f"Request {i}", "deadline": f"{i % 48 + 1}h",
                "tlp": "green", "audience": ["all"]}, token=btok)
            if r.status != 201:
                die(f"request: {r}")
        print(f"setup: {REQUESTS} open requests for assistance addressed to all")

        # first visit: the sign-in page and the stylesheet, then the dashboard
        css = len(n.request("GET", "/web/assets/style.css", token=None).body.encode())
        signin = len(n.request("GET", "/web/signin", token=None).body.encode())
        if u.signin().status != 303:
            die("sign-in failed")
        dash = u.get("/web")
        if dash.status != 200:
            die(f"dashboard: {dash.status}")
        print(f"first visit: sign-in page {signin} B + stylesheet {css} B = {signin + css} B; "
              f"dashboard {len(dash.body.encode())} B (ceiling 100000 B, uncompressed)")

        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            page = u.get(f"/web/reports/{rid}")
            times.append((time.perf_counter() - t0) * 1000)
            if page.status != 200 or page.body.count("<tr><td><bdi") < 50:
                die(f"report page: {page.status}")
        print(f"report of {OBJECTS} objects, first page: median {statistics.median(times):.1f} ms "
              f"({len(page.body.encode())} B; ceiling 1000 ms)")

        # the admin's pages at a node's full size: 193 States, 20 peer nodes
        for i in range(193):
            r = n.request("POST", "/api/v1/members", {"name": f"CERT-{i:03d}", "country": "UY",
                                                      "kind": "national-cert", "role": "analyst"})
            if r.status != 201:
                die(f"member: {r}")
        for i in range(20):
            r = n.request("POST", "/api/v1/peers", {"name": f"peer-{i}", "url": f"https://n{i}.example",
                                                    "public_key": "ed25519:" + os.urandom(32).hex()})
            if r.status != 201:
                die(f"peer: {r}")
        for path in ("/web/admin", "/web/admin/peers"):
            page = u.get(path)
            if page.status != 200 or ("CERT-192" not in page.body and "peer-19" not in page.body):
                die(f"{path}: {page.status}")
            print(f"{path}: {len(page.body.encode())} B")

        base = n.url
        for name, path in (("dashboard", "/web"), ("report page", f"/web/reports/{rid}"),
                           ("requests page", "/web/requests"),
                           ("admin page (193 members)", "/web/admin"),
                           ("peers page (20 peers)", "/web/admin/peers")):
            runs = [wrk(base + path, u.cookie) for _ in range(RUNS)]
            rps = statistics.median(r[0] for r in runs)
            p99 = statistics.median(r[1] for r in runs)
            print(f"{name}: median {rps:.0f} pages/s, p99 {p99:.2f} ms "
                  f"(wrk -t2 -c32 -d{DURATION}, {RUNS} runs, session cookie)")
        progress_pages(n, u)
    finally:
        n.cleanup()


STATES = int(os.environ.get("BENCH_STATES", "193"))


def progress_pages(n, u):
    """The progress report as charts and the profile form (issue 16's pages)
    for STATES members, each with a public profile of four measures."""
    statuses = ("implemented", "in-progress", "planned", "not-implemented")
    for i in range(STATES):
        r = n.request("POST", "/api/v1/members", {"name": f"State-{i:03d}", "country": "BR",
                                                  "role": "analyst", "kind": "national-cert"})
        if r.status != 201:
            die(f"member: {r}")
        doc = {"measures": {m: {"status": statuses[(i + k) % 4], "since": "2020-01-01",
                                "scope": "public"}
                            for k, m in enumerate(("gge26a", "gge26c", "itu45g", "itu45i"))}}
        if n.request("PUT", f"/api/v1/profiles/{r.json()['id']}", doc).status != 200:
            die("profile")
    page = u.get("/web/progress")
    if page.status != 200 or page.body.count("<tr data-member=") < STATES:
        die(f"progress page: {page.status}")
    print(f"progress page for {STATES} States: {len(page.body.encode())} B")
    base = n.url
    for name, path in (("progress page", "/web/progress"), ("profile form", "/web/profile")):
        runs = [wrk(base + path, u.cookie) for _ in range(RUNS)]
        rps = statistics.median(r[0] for r in runs)
        p99 = statistics.median(r[1] for r in runs)
        print(f"{name}: median {rps:.0f} pages/s, p99 {p99:.2f} ms "
              f"(wrk -t2 -c32 -d{DURATION}, {RUNS} runs, session cookie)")


if __name__ == "__main__":
    main()
