"""Posts generated STIX bundles to a fresh node and prints objects/s (POST to
201, i.e. validated and committed) and the daemon's peak RSS (VmHWM) at the 201;
then waits until the early warning has indexed the report (its last domain answers
a lookup) and prints that delay and the peak RSS once indexed."""
import os
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
SIZES = [int(x) for x in sys.argv[2:]] or [10_000, 100_000, 1_000_000]
RUNS = {10_000: 5, 100_000: 3, 1_000_000: 3}


def vm(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


def post(node, path):
    """POSTs with curl (light on the shared CPU) and returns the seconds from the
    request to the 201."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-X", "POST",
         "-H", f"Authorization: Bearer {node.admin_token}",
         "-H", "Content-Type: application/stix+json;version=2.1",
         "--data-binary", f"@{path}", f"http://127.0.0.1:{node.port}/api/v1/reports?audience=all"],
        capture_output=True, text=True, check=True).stdout.split()
    if out[0] != "201":
        raise SystemExit(f"POST answered {out[0]}")
    return float(out[1])


def last_domain(n):
    """The lookup value of the last domain indicator gen_bundle.py writes for n."""
    i = max(i for i in range(max(0, n - 8), n) if i % 4 == 1)
    return "host%d.example%d.test" % (i, i % 97)


def wait_indexed(node, value, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        r = node.request("GET", "/api/v1/lookup?value=" + value)
        if r.status == 200 and r.json()["matches"]:
            return time.time() - t0
        time.sleep(0.05)
    raise SystemExit(f"{value} not indexed after {timeout} s")


def main():
    tmp = tempfile.mkdtemp(prefix="atalaya-bench-ingest-")
    print(f"{'N objects':>10} {'MB':>8} {'runs':>4} {'objects/s':>11} {'MB/s':>7} {'peak RSS':>10}"
          f" {'indexed +s':>10} {'RSS then':>10}")
    try:
        for n in SIZES:
            path = os.path.join(tmp, f"b{n}.json")
            subprocess.run([sys.executable, os.path.join(HERE, "..", "gen_bundle.py"), str(n), path],
                           check=True)
            objects = None
            rates, peaks, index_delays, index_peaks = [], [], [], []
            for _ in range(RUNS.get(n, 1)):
                node = Node(BIN, extra_args=["--access-log", "false"])
                node.start()
                try:
                    if objects is None:
                        import json
                        objects = sum(1 for _ in json.load(open(path))["objects"])
                    dt = post(node, path)
                    rates.append(objects / dt)
                    peaks.append(vm(node.proc.pid, "VmHWM:"))
                    index_delays.append(wait_indexed(node, last_domain(n)))
                    index_peaks.append(vm(node.proc.pid, "VmHWM:"))
                finally:
                    node.cleanup()
            mb = os.path.getsize(path) / 1e6
            print(f"{objects:>10} {mb:>8.1f} {len(rates):>4} {statistics.median(rates):>11,.0f} "
                  f"{mb * statistics.median(rates) / objects:>7.1f} {max(peaks) / 2**20:>6.1f} MiB"
                  f" {statistics.median(index_delays):>10.2f} {max(index_peaks) / 2**20:>6.1f} MiB",
                  flush=True)
            os.unlink(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("targets: >= 100,000 objects/s; peak RSS < 300 MB at 1M objects\n"
          "indexed +s: from the 201 until the early warning answers for the report's last "
          "domain; RSS then: peak RSS by that time")


main()
