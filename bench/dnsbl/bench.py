"""The DNSBL benchmark of issue 8: atalaya against rbldnsd with the same data.

1M random IPv4 listings are loaded into atalaya through its import API; the
same set, exported by atalaya as an rbldnsd ip4set, is loaded by rbldnsd.
dnsperf sends both the same 500,000-query file (half listed, 10 % TXT) at
-c 4 -T 2 -q 500 -l 15, three runs each, alternating. Then, with dnsperf
running against atalaya, ten changes of 10,000 listings go through the API,
and the time until each is answered over DNS is measured.

Usage: bench.py BUILD_DIR   (run by bench/dnsbl/run.sh)"""
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ZONE = "bl.atalaya.test"
N_LISTED = 1_000_000
N_QUERIES = 500_000
DNSPERF = ["-c", "4", "-T", "2", "-q", "500", "-l", "15"]
RUNS = 3
CHANGES, CHANGE_SIZE = 10, 10_000
HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        p = u.getsockname()[1]
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", p))
            return p
        except OSError:
            pass
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def ip_str(v):
    return socket.inet_ntoa(struct.pack(">I", v))


def rev(v):
    return ".".join(reversed(ip_str(v).split("."))) + "." + ZONE


def random_ips(rng, n, exclude):
    out = set()
    while len(out) < n:
        v = rng.randrange(1 << 24, 224 << 24)  # 1.0.0.0 .. 223.255.255.255
        if (v >> 24) == 127 or v in exclude:
            continue
        out.add(v)
    return out


def dns_query(port, name, qtype=1, timeout=1.0):
    qid = random.randrange(65536)
    msg = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        msg += bytes([len(label)]) + label.encode()
    msg += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
        return data[3] & 0xF, struct.unpack(">H", data[6:8])[0]
    except socket.timeout:
        return None, 0
    finally:
        s.close()


def cpu_ticks(pid):
    f = open(f"/proc/{pid}/stat").read()
    fields = f[f.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, all threads


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def dnsperf(port, qfile, verbose=False, seconds=None):
    args = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile] + DNSPERF
    if seconds:
        args[-1] = str(seconds)
    if verbose:
        args.append("-v")
    p = subprocess.run(args, capture_output=True, text=True)
    out = p.stdout
    res = {}
    m = re.search(r"Queries sent:\s+(\d+)", out)
    res["sent"] = int(m.group(1)) if m else 0
    m = re.search(r"Queries completed:\s+(\d+)", out)
    res["completed"] = int(m.group(1)) if m else 0
    m = re.search(r"Queries lost:\s+(\d+)", out)
    res["lost"] = int(m.group(1)) if m else 0
    m = re.search(r"Queries per second:\s+([\d.]+)", out)
    res["qps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)", out)
    if m:
        res["avg_ms"], res["max_ms"] = float(m.group(1)) * 1e3, float(m.group(3)) * 1e3
    if verbose:
        lats = sorted(float(x) for x in re.findall(r"^> \S+ \S+ \S+ ([\d.]+)$", out, re.M))
        if lats:
            res["p99_ms"] = lats[min(len(lats) - 1, int(len(lats) * 0.99))] * 1e3
            res["p50_ms"] = lats[len(lats) // 2] * 1e3
    if not res["qps"]:
        print("dnsperf said:", out[-2000:], p.stderr[-2000:], file=sys.stderr)
    return res


def measured_run(port, pid, qfile, verbose=False, seconds=None):
    t0 = cpu_ticks(pid)
    r = dnsperf(port, qfile, verbose, seconds)
    t1 = cpu_ticks(pid)
    r["cpu_s"] = (t1 - t0) / HZ
    r["cpu_us_per_q"] = (t1 - t0) / HZ / max(1, r["completed"]) * 1e6
    return r


class Atalaya:
    def __init__(self, binary, work):
        self.binary = binary
        self.data = os.path.join(work, "atalaya")
        self.http = free_port()
        self.dns = free_port()
        subprocess.run([binary, "init", "--data", self.data, "--name", "Bench", "--country",
                        "UY"], check=True, capture_output=True)
        self.token = open(os.path.join(self.data, "admin.token")).read().strip()
        self.proc = None
        self.log = os.path.join(work, "atalaya.log")

    def start(self, probe_ip=None):
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.http}",
             "--dns", f"127.0.0.1:{self.dns}", "--dnsbl-zone", ZONE, "--access-log", "false",
             "--dns-threads", "2"],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        ready = None
        while time.monotonic() - t0 < 60:
            rc, an = dns_query(self.dns, rev(probe_ip) if probe_ip else "2.0.0.127." + ZONE,
                               timeout=0.05)
            if rc == 0 and an:
                ready = time.monotonic() - t0
                break
            time.sleep(0.005)
        while time.monotonic() - t0 < 60:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.http}/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.02)
        return ready

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None

    def api(self, method, path, body=None, ctype="text/plain"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=body,
                                     method=method,
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": ctype})
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.read()

    def load_log_ms(self):
        ms = re.findall(r"event=dnsbl_loaded entries=(\d+) ms=([\d.]+)", open(self.log).read())
        return (int(ms[-1][0]), float(ms[-1][1])) if ms else (0, 0.0)


class Rbldnsd:
    def __init__(self, work, zonefile):
        self.work, self.zonefile = work, zonefile
        self.port = free_port()
        self.proc = None

    def start(self, probe_ip):
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ["rbldnsd", "-n", "-u", "nobody", "-b", f"127.0.0.1/{self.port}", "-w", self.work,
             "-t", "300", f"{ZONE}:ip4set:{os.path.basename(self.zonefile)}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while time.monotonic() - t0 < 60:
            rc, an = dns_query(self.port, rev(probe_ip), timeout=0.05)
            if rc == 0 and an:
                return time.monotonic() - t0
            time.sleep(0.005)
        return None

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def fmt_run(r):
    return (f"qps {r['qps']:9.0f}  lost {r['lost']:6d}  max {r.get('max_ms', 0):7.2f} ms  "
            f"cpu/q {r['cpu_us_per_q']:5.2f} us")


def main():
    build = sys.argv[1]
    binary = os.path.join(build, "atalaya")
    work = tempfile.mkdtemp(prefix="bench-dnsbl-", dir="/dev/shm" if os.path.isdir("/dev/shm")
                            else None)
    os.chmod(work, 0o755)
    rng = random.Random(8)
    print(f"generating {N_LISTED} random IPv4 listings and {N_QUERIES} queries ...", flush=True)
    listed = random_ips(rng, N_LISTED, set())
    listed_l = list(listed)
    unlisted = list(random_ips(rng, N_QUERIES // 2, listed))
    plain = "\n".join(ip_str(v) for v in listed_l) + "\n"
    qfile = os.path.join(work, "queries.txt")
    with open(qfile, "w") as f:
        for i in range(N_QUERIES):
            v = rng.choice(listed_l) if i % 2 == 0 else unlisted[i // 2]
            f.write(f"{rev(v)} {'TXT' if rng.random() < 0.10 else 'A'}\n")
    probe = listed_l[0]

    at = Atalaya(binary, work)
    at.start()
    t0 = time.monotonic()
    res = json.loads(at.api("POST", "/api/v1/dnsbl/import?format=plain", plain.encode()))
    import_s = time.monotonic() - t0
    print(f"atalaya import through the API: {res['imported']} entries in {import_s:.2f} s "
          f"(server-side {res['seconds']:.2f} s, SQLite commit included)")
    t0 = time.monotonic()
    zone = at.api("GET", "/api/v1/dnsbl/export?format=rbldnsd-ip4set")
    export_s = time.monotonic() - t0
    zonefile = os.path.join(work, "zone.ip4set")
    open(zonefile, "wb").write(zone)
    os.chmod(zonefile, 0o644)
    print(f"atalaya export ip4set: {len(zone) / 1e6:.1f} MB in {export_s:.2f} s")
    at.stop()
    # load time = from exec to the first listed answer, both servers alike
    at_ready = at.start(probe)
    n_loaded, at_load_ms = at.load_log_ms()
    rb = Rbldnsd(work, zonefile)
    rb_ready = rb.start(probe)
    at_rss, rb_rss = rss_mib(at.proc.pid), rss_mib(rb.proc.pid)
    print(f"load: atalaya {at_ready:.2f} s from exec to first listed answer "
          f"({n_loaded} listings read from SQLite in {at_load_ms / 1e3:.2f} s); "
          f"rbldnsd {rb_ready:.2f} s")

    # sanity: the same answers
    for v in listed_l[:200] + unlisted[:200]:
        a, b = dns_query(at.dns, rev(v)), dns_query(rb.port, rev(v))
        if a[0] != b[0]:
            print(f"WARNING: different answers for {ip_str(v)}: atalaya {a} rbldnsd {b}")
            break

    runs = {"atalaya": [], "rbldnsd": []}
    for i in range(RUNS):
        for name, port, pid in (("atalaya", at.dns, at.proc.pid),
                                ("rbldnsd", rb.port, rb.proc.pid)):
            r = measured_run(port, pid, qfile)
            runs[name].append(r)
            print(f"run {i + 1} {name:8s} {fmt_run(r)}", flush=True)
    lat = {}
    for name, port, pid in (("atalaya", at.dns, at.proc.pid), ("rbldnsd", rb.port, rb.proc.pid)):
        lat[name] = measured_run(port, pid, qfile, verbose=True, seconds=10)
        print(f"latency run {name:8s} (dnsperf -v, 10 s): p50 {lat[name].get('p50_ms', 0):.3f} "
              f"ms  p99 {lat[name].get('p99_ms', 0):.3f} ms  max {lat[name].get('max_ms', 0):.2f}"
              f" ms  qps {lat[name]['qps']:.0f} lost {lat[name]['lost']}", flush=True)
    at_rss2, rb_rss2 = rss_mib(at.proc.pid), rss_mib(rb.proc.pid)

    def med(name, key):
        v = sorted(r.get(key, 0) for r in runs[name])
        return v[len(v) // 2]

    print("\nsummary (median of 3 runs)        atalaya     rbldnsd   atalaya/rbldnsd")
    rows = [("qps", "qps", "{:11.0f}"), ("lost queries", "lost", "{:11.0f}"),
            ("max latency ms", "max_ms", "{:11.2f}"), ("CPU us / answered query", "cpu_us_per_q",
                                                       "{:11.2f}")]
    for label, key, f in rows:
        a, b = med("atalaya", key), med("rbldnsd", key)
        ratio = f"{a / b:8.2f}" if b else "     n/a"
        print(f"{label:32s}{f.format(a)} {f.format(b)}   {ratio}")
    a, b = lat["atalaya"].get("p99_ms", 0), lat["rbldnsd"].get("p99_ms", 0)
    print(f"{'p99 latency ms (-v run)':32s}{a:11.3f} {b:11.3f}   {a / b if b else 0:8.2f}")
    print(f"{'RSS MiB (after load / end)':32s}{at_rss:6.1f}/{at_rss2:4.1f} {rb_rss:6.1f}/"
          f"{rb_rss2:4.1f}   {at_rss2 / rb_rss2 if rb_rss2 else 0:8.2f}")
    print(f"{'load s (exec -> answer)':32s}{at_ready:11.2f} {rb_ready:11.2f}   "
          f"{at_ready / rb_ready if rb_ready else 0:8.2f}")
    rb.stop()

    # live changes under load
    print(f"\nlive changes: {CHANGES} x {CHANGE_SIZE} new listings through the API during "
          f"dnsperf against atalaya", flush=True)
    quiet = measured_run(at.dns, at.proc.pid, qfile, verbose=True)
    print(f"quiet run:   {fmt_run(quiet)}  p99 {quiet.get('p99_ms', 0):.3f} ms", flush=True)
    fresh = list(random_ips(rng, CHANGES * CHANGE_SIZE, listed | set(unlisted)))
    results, box = [], {}

    def load():
        box["r"] = measured_run(at.dns, at.proc.pid, qfile, verbose=True)

    th = threading.Thread(target=load)
    th.start()
    time.sleep(2)
    for k in range(CHANGES):
        batch = fresh[k * CHANGE_SIZE:(k + 1) * CHANGE_SIZE]
        body = ("\n".join(ip_str(v) for v in batch) + "\n").encode()
        last = rev(batch[-1])
        t0 = time.monotonic()
        at.api("POST", "/api/v1/dnsbl/import?format=plain", body)
        t_commit = time.monotonic()
        while True:
            rc, an = dns_query(at.dns, last, timeout=0.2)
            if rc == 0 and an:
                break
        t_vis = time.monotonic()
        results.append((t_commit - t0, t_vis - t_commit, t_vis - t0))
        print(f"change {k + 1:2d}: API call (parse + SQLite commit + set commit) "
              f"{(t_commit - t0) * 1e3:7.1f} ms, answered {(t_vis - t_commit) * 1e3:5.2f} ms "
              f"after the commit returned, {(t_vis - t0) * 1e3:7.1f} ms after the request",
              flush=True)
        time.sleep(max(0, 1.2 - (time.monotonic() - t0)))
    th.join()
    busy = box["r"]
    print(f"during changes: {fmt_run(busy)}  p99 {busy.get('p99_ms', 0):.3f} ms")
    worst = max(r[2] for r in results)
    print(f"worst time from request to DNS answer: {worst * 1e3:.1f} ms; "
          f"lost {busy['lost']} (quiet {quiet['lost']}); p99 {busy.get('p99_ms', 0):.3f} ms vs "
          f"{quiet.get('p99_ms', 0):.3f} ms quiet "
          f"(x{busy.get('p99_ms', 0) / quiet['p99_ms'] if quiet.get('p99_ms') else 0:.2f})")
    at.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
