"""Federation benchmark: nodes on loopback, each its own data dir and port.

1. Two nodes: A holds R reports of K indicators for peer B (signed); B pulls
   them with one `peer sync` (which returns once all are committed on B):
   objects/s = R*K / that time. Median of 3 runs.
2. Five nodes, every pair peers, partitioned (no sync) while each takes
   2,000 reports for all four others; then the partition heals (every node
   pulls from every peer, in parallel): seconds until each node holds all
   10,000 (as its `peer sync` answers count them; each node's list is
   checked after). Median of FED_HEAL_RUNS runs (3); R can be lowered with FED_REPORTS.
3. A sync with nothing new: bytes on the wire both ways (a raw signed feed
   request, counted on the socket) and ms (median of 20), as B's sync thread
   pays them, and as `peer sync` answers them.

Needs PyNaCl (Debian python3-nacl) to sign the raw feed request of 3."""
import http.client
import json
import os
import socket
import statistics
import sys
import threading
import time
import uuid

try:
    import nacl.signing
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from harness import Node, add_peer, node_key  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
MANUAL = ["--federation-sync-interval-ms", "0"]
TS = "2026-11-01T10:00:00.000Z"


def report(k, tag):
    objs = []
    for i in range(k):
        objs.append({"type": "indicator", "spec_version": "2.1",
                     "id": f"indicator--{uuid.uuid4()}", "created": TS, "modified": TS,
                     "name": f"bench {tag} {i}", "pattern_type": "stix", "valid_from": TS,
                     "pattern": f"[domain-name:value = 'h{i}.{tag}.example.test']",
                     "indicator_types": ["malicious-activity"],
                     "object_marking_refs": [
                         "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]})
    return json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                       "objects": objs}).encode()


def submit(n, data, audience):
    r = n.request("POST", f"/api/v1/reports?audience={audience}", raw=data,
                  content_type="application/stix+json;version=2.1")
    if r.status != 201:
        raise SystemExit(f"submit: {r}")
    return r.json()["id"]


def wait_signed(n, rid, timeout=600):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if n.request("GET", f"/api/v1/reports/{rid}/signature").status == 200:
            return
        time.sleep(0.05)
    raise SystemExit(f"{rid} not signed")


def count(n):
    total, after = 0, ""
    while True:
        r = n.request("GET", "/api/v1/reports?limit=1000" + after).json()
        total += len(r["items"])
        if not r.get("next"):
            return total
        after = f"&after={r['next']}"


def sync(n, peer):
    """`peer sync`: answers once the pull has committed everything (no 60 s cap)."""
    conn = http.client.HTTPConnection("127.0.0.1", n.port, timeout=3600)
    conn.request("POST", f"/api/v1/peers/{peer}/sync",
                 headers={"Authorization": f"Bearer {n.admin_token}"})
    r = conn.getresponse()
    body = json.loads(r.read())
    conn.close()
    if r.status != 200 or body["last_error"]:
        raise SystemExit(f"sync: {r.status} {body}")
    return body


def throughput(reports, k, runs=3):
    rates = []
    for run in range(runs):
        a = Node(BIN, name="CERT-A", extra_args=MANUAL).start()
        b = Node(BIN, name="CERT-B", country="BR", extra_args=MANUAL).start()
        try:
            a_b = add_peer(a, b, "CERT-B")
            b_a = add_peer(b, a, "CERT-A", ["all"])
            last = None
            for i in range(reports):
                last = submit(a, report(k, f"r{run}x{i}"), f"peer:{a_b}")
            wait_signed(a, last)
            t0 = time.perf_counter()
            p = sync(b, b_a)
            dt = time.perf_counter() - t0
            if p["reports_in"] != reports:
                raise SystemExit(f"B took {p['reports_in']} of {reports}")
            rates.append(reports * k / dt)
            print(f"  run {run + 1}: {reports} reports x {k} objects in {dt:.2f} s "
                  f"({reports * k / dt:,.0f} objects/s, {p['bytes_in'] / dt / 1e6:.1f} MB/s)",
                  flush=True)
        finally:
            a.cleanup()
            b.cleanup()
    return statistics.median(rates)


def partition_heals(nodes_n=5, total=10_000):
    ns = [Node(BIN, name=f"CERT-{i}", country="UY", extra_args=MANUAL).start()
          for i in range(nodes_n)]
    try:
        peers = {}  # (i, j): j's peer id on i
        for i, a in enumerate(ns):
            for j, b in enumerate(ns):
                if i != j:
                    peers[(i, j)] = add_peer(a, b, f"CERT-{j}", ["all"])
        per = total // nodes_n
        t0 = time.time()
        last = []
        for i, a in enumerate(ns):
            aud = ",".join(f"peer:{peers[(i, j)]}" for j in range(nodes_n) if j != i)
            rid = None
            for r in range(per):
                rid = submit(a, report(1, f"n{i}r{r}"), aud)
            last.append((a, rid))
        for a, rid in last:
            wait_signed(a, rid)
        print(f"  partitioned: {per} reports submitted on each of {nodes_n} nodes "
              f"({time.time() - t0:.1f} s)", flush=True)

        def pull(i):
            # `peer sync` answers once what it pulled is committed, with the
            # peer's row: its own reports plus every peer's reports_in is what
            # the node holds (counted again by listing, after the clock stops)
            held = 0
            while held < per * nodes_n:
                held = per + sum(sync(ns[i], peers[(i, j)])["reports_in"]
                                 for j in range(nodes_n) if j != i)

        t0 = time.perf_counter()
        th = [threading.Thread(target=pull, args=(i,)) for i in range(nodes_n)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        dt = time.perf_counter() - t0
        for i, n in enumerate(ns):
            if count(n) != per * nodes_n:
                raise SystemExit(f"node {i} lists {count(n)} reports, not {per * nodes_n}")
        print(f"  healed: every node holds {per * nodes_n} reports after {dt:.2f} s "
              f"({per * (nodes_n - 1) * nodes_n / dt:,.0f} reports stored/s across nodes)",
              flush=True)
        return dt
    finally:
        for n in ns:
            n.cleanup()


def empty_sync():
    a = Node(BIN, name="CERT-A", extra_args=MANUAL).start()
    b = Node(BIN, name="CERT-B", country="BR", extra_args=MANUAL).start()
    try:
        a_b = add_peer(a, b, "CERT-B")
        b_a = add_peer(b, a, "CERT-A", ["all"])
        rid = submit(a, report(10, "e"), f"peer:{a_b}")
        wait_signed(a, rid)
        cursor = sync(b, b_a)["cursor"]
        # B's key signs a raw request, as B's sync thread does
        seed = open(os.path.join(b.data, "node.key"), "rb").read()[:32]
        sk = nacl.signing.SigningKey(seed)
        a_key = node_key(a).split(":")[1]
        path = "/api/v1/federation/feed"
        times, sizes = [], None
        for _ in range(20):
            t = int(time.time() * 1000)
            msg = b"atalaya-request-v1"
            for f in (b"GET", path.encode(), str(cursor).encode(), str(t).encode(),
                      a_key.encode()):
                msg += len(f).to_bytes(4, "big") + f
            req = (f"GET {path}?cursor={cursor} HTTP/1.1\r\nHost: 127.0.0.1:{a.port}\r\n"
                   f"Accept: */*\r\nX-Atalaya-Node: {sk.verify_key.encode().hex()}\r\n"
                   f"X-Atalaya-Time: {t}\r\n"
                   f"X-Atalaya-Signature: {sk.sign(msg).signature.hex()}\r\n"
                   "Connection: close\r\n\r\n").encode()
            t0 = time.perf_counter()
            s = socket.create_connection(("127.0.0.1", a.port))
            s.sendall(req)
            resp = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                resp += chunk
            s.close()
            times.append((time.perf_counter() - t0) * 1000)
            if b" 200 " not in resp.split(b"\r\n", 1)[0]:
                raise SystemExit(f"feed: {resp[:300]!r}")
            sizes = (len(req), len(resp))
            time.sleep(0.002)  # each request's time must be later than the last
        api = []
        for _ in range(20):
            t0 = time.perf_counter()
            p = sync(b, b_a)
            api.append((time.perf_counter() - t0) * 1000)
        if p["reports_in"] != 1:
            raise SystemExit("an empty sync took something")
        print(f"  empty sync: request {sizes[0]} B + answer {sizes[1]} B = "
              f"{sizes[0] + sizes[1]} B; {statistics.median(times):.2f} ms (raw feed request, "
              f"median of 20); {statistics.median(api):.2f} ms through `peer sync` "
              "(admin call + B's signed pull + B's row update)", flush=True)
    finally:
        a.cleanup()
        b.cleanup()


def main():
    reports = int(os.environ.get("FED_REPORTS", "10000"))
    print("two nodes, sync throughput (A committed -> B committed):", flush=True)
    big = throughput(20, 5000)
    print(f"  median: {big:,.0f} objects/s (20 reports of 5,000 objects; target >= 50,000)")
    small = throughput(500, 10, runs=3)
    print(f"  median: {small:,.0f} objects/s (500 reports of 10 objects)")
    print(f"five nodes, partition heals ({reports} reports, each for the four others):",
          flush=True)
    runs = [partition_heals(5, reports) for _ in range(int(os.environ.get("FED_HEAL_RUNS", "3")))]
    print(f"  median: converged in {statistics.median(runs):.2f} s (runs: "
          f"{', '.join(f'{r:.2f}' for r in runs)}; target < 5 s)")
    print("sync with nothing new:", flush=True)
    empty_sync()


if __name__ == "__main__":
    main()
