"""Loads N generated objects (bench/gen_bundle.py, one report shared with all)
into a fresh node, then reads them all as another member, page by page with
limit=1000: through TAXII (following `next`) and through /api/v1/export
(following X-Next-Cursor), alternately, RUNS times each; prints the medians
(objects/s) and the daemon's peak RSS. Then manifest requests/s: sequential
keep-alive GETs of one manifest page (limit=100) at random added_after points.
Both read paths check the policy and write the audit for every page."""
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from harness import Node  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
RUNS = 3
TAXII = "application/taxii+json;version=2.1"


def vm(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


def load(node, path):
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
         "-H", f"Authorization: Bearer {node.admin_token}",
         "-H", "Content-Type: application/stix+json;version=2.1",
         "--data-binary", f"@{path}", f"http://127.0.0.1:{node.port}/api/v1/reports?audience=all"],
        capture_output=True, text=True, check=True).stdout
    if out != "201":
        raise SystemExit(f"POST answered {out}")


def page_all(port, token, taxii):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    h = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    n, cursor, t0 = 0, None, time.perf_counter()
    while True:
        if taxii:
            path = "/taxii2/api/collections/all/objects/?limit=1000" + (f"&next={cursor}" if cursor else "")
        else:
            path = "/api/v1/export?limit=1000" + (f"&after={cursor}" if cursor else "")
        conn.request("GET", path, headers=h)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"{path}: {r.status} {body[:200]!r}")
        doc = json.loads(body)
        n += len(doc.get("objects", []))
        cursor = doc.get("next") if taxii else r.getheader("X-Next-Cursor")
        if not cursor:
            break
    conn.close()
    return n, time.perf_counter() - t0


def manifest_rate(node, token, seconds=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=60)
    h = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    # the range of date_added: the first and last object's
    conn.request("GET", "/taxii2/api/collections/all/manifest/?limit=1", headers=h)
    r = conn.getresponse()
    first = r.getheader("X-TAXII-Date-Added-First")
    r.read()
    base = time.mktime(time.strptime(first[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    rnd = random.Random(1)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        us = int(base * 1e6) + int(first[20:26]) + rnd.randrange(N)
        t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1_000_000)) + ".%06dZ" % (us % 1_000_000)
        conn.request("GET", f"/taxii2/api/collections/all/manifest/?limit=100&added_after={t}", headers=h)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"manifest: {r.status}")
        n += 1
    conn.close()
    return n / (time.perf_counter() - t0)


def main():
    tmp = tempfile.mkdtemp(prefix="atalaya-bench-taxii-")
    node = None
    try:
        path = os.path.join(tmp, "b.json")
        subprocess.run([sys.executable, os.path.join(HERE, "..", "gen_bundle.py"), str(N), path],
                       check=True)
        node = Node(BIN, extra_args=["--access-log", "false"]).start()
        t0 = time.time()
        load(node, path)
        os.unlink(path)
        _, token = node.add_member("Reader CERT", country="CL", role="reader")
        print(f"loaded {N} indicators (+ their identities, malware, relationships) in "
              f"{time.time() - t0:.1f} s", flush=True)
        rates = {"taxii": [], "export": []}
        count = {}
        for _ in range(RUNS):
            for kind in ("taxii", "export"):
                n, dt = page_all(node.port, token, kind == "taxii")
                count[kind] = n
                rates[kind].append(n / dt)
        if count["taxii"] != count["export"]:
            raise SystemExit(f"TAXII paged {count['taxii']} objects, export {count['export']}")
        rss = vm(node.proc.pid, "VmHWM:")
        print(f"{'read path':<28} {'objects':>9} {'runs':>4} {'objects/s':>11}")
        for kind, label in (("taxii", "TAXII objects, limit=1000"), ("export", "/api/v1/export, limit=1000")):
            print(f"{label:<28} {count[kind]:>9} {RUNS:>4} {statistics.median(rates[kind]):>11,.0f}")
        print(f"daemon peak RSS (load and all reads): {rss / 2**20:.1f} MiB")
        m = [manifest_rate(node, token) for _ in range(RUNS)]
        print(f"manifest pages (limit=100, random added_after), one keep-alive client: "
              f"{statistics.median(m):,.0f} requests/s (median of {RUNS} runs of 5 s)")
        print("target: TAXII paging at least as fast as /api/v1/export")
    finally:
        if node:
            node.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


main()
