"""Benchmark of communication checks and of the progress report (run.sh)."""
import http.server
import json
import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from harness import Node  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
STATES, CONTACTS = 193, 3
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


class Receiver:
    def __init__(self):
        self.got = {}  # check id -> [times]
        self.lock = threading.Lock()
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with rec.lock:
                    rec.got.setdefault(body["check"], []).append(time.time())

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 1024  # listen backlog: the node sends 64 at once
            daemon_threads = True

        self.srv = Server(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()


def main():
    node = Node(BIN).start()
    rec = Receiver()
    try:
        tokens = []
        for i in range(STATES):
            mid, tok = node.add_member(f"CERT-{i:03d}", country="BR")
            tokens.append((mid, tok))
            for k in range(CONTACTS):
                r = node.request("POST", "/api/v1/contacts", {
                    "role": "crisis", "name": f"c{k}", "email": f"c{k}@s{i}.example.org",
                    "availability": "24/7",
                    "webhook_url": f"http://127.0.0.1:{rec.port}/s{i}/c{k}"}, token=tok)
                assert r.status == 201, r
            doc = {"fields": {"strategy": {"value": [{"title": "Strategy", "date": "2020-01-01"}],
                                           "scope": "public"}},
                   "measures": {m: {"status": "implemented", "since": "2019-01-01",
                                    "scope": "public" if j % 2 else "private"}
                                for j, m in enumerate(("gge26a", "gge26c", "itu45b", "itu45e",
                                                       "itu45g", "itu45i"))}}
            r = node.request("PUT", f"/api/v1/profiles/{mid}", doc, token=tok)
            assert r.status == 200, r
        want = STATES * CONTACTS
        sent = []
        for _ in range(RUNS):
            t0 = time.time()
            r = node.request("POST", "/api/v1/checks", {
                "contacts": "all", "roles": ["crisis"], "window": "0s", "reply_within": "1h"})
            assert r.status == 201, r
            cid = r.json()["id"]
            deadline = t0 + 60
            while time.time() < deadline:
                with rec.lock:
                    got = list(rec.got.get(cid, []))
                if len(got) >= want:
                    break
                time.sleep(0.005)
            assert len(got) >= want, f"only {len(got)} of {want} challenges in 60 s"
            sent.append((max(got) - t0) * 1000)
        print(f"check of {STATES} States x {CONTACTS} contacts ({want} challenges, window 0s), "
              f"start to last challenge received: median {statistics.median(sent):.0f} ms "
              f"(runs: {', '.join(f'{x:.0f}' for x in sent)}); "
              f"{want / statistics.median(sent) * 1000:.0f} challenges/s")
        for who, tok in (("admin", node.admin_token), ("a member", tokens[0][1])):
            for fmt in ("json", "csv", "html"):
                times = []
                for _ in range(max(RUNS, 5)):
                    t = time.time()
                    r = node.request("GET", f"/api/v1/progress?format={fmt}", token=tok)
                    times.append((time.time() - t) * 1000)
                    assert r.status == 200, r
                print(f"progress report, {STATES} States, as {who}, {fmt}: median "
                      f"{statistics.median(times):.1f} ms ({len(r.body)} bytes)")
    finally:
        node.cleanup()


if __name__ == "__main__":
    main()
