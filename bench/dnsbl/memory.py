"""Node memory as a mail operator sees it (issue 12): `atalaya serve` with DNS,
then `atalaya dnsbl import zone.ip4set` of 1M IPv4 listings through the CLI,
then VmRSS of the serve process from /proc/PID/status; rbldnsd loading the
same file; the ratio (goal: at most 1.5). Also the node after a restart (the
listings read back from SQLite) and where the node's memory is
(/proc/PID/smaps_rollup: anonymous vs file-backed).

Usage: memory.py BUILD_DIR [N]   (run by bench/dnsbl/run.sh; N = 1000000)"""
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ZONE, free_port  # noqa: E402  one free port and zone for both


def status_kib(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def rollup(pid):
    out = {}
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            f = line.split()
            if len(f) >= 3 and f[2] == "kB":
                out[f[0].rstrip(":")] = int(f[1])
    except OSError:
        pass
    return out


def answered(port, ip, timeout=0.05):
    name = ".".join(reversed(ip.split("."))) + "." + ZONE
    msg = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        msg += bytes([len(label)]) + label.encode()
    msg += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
        return data[3] & 0xF == 0 and struct.unpack(">H", data[6:8])[0] > 0
    except OSError:
        return False
    finally:
        s.close()


def wait_answer(port, ip, seconds=120):
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if answered(port, ip):
            return True
        time.sleep(0.01)
    return False


def settle(pid, seconds=2.0):
    """RSS once the process is quiet (the import's threads are done)."""
    time.sleep(seconds)
    return status_kib(pid, "VmRSS")


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    binary = os.path.abspath(os.path.join(build, "atalaya"))
    work = tempfile.mkdtemp(prefix="bench-dnsbl-mem-")
    os.chmod(work, 0o755)
    rng = random.Random(12)
    ips = set()
    while len(ips) < n:
        v = rng.randrange(1 << 24, 224 << 24)
        if v >> 24 != 127:
            ips.add(v)
    ips = [socket.inet_ntoa(struct.pack(">I", v)) for v in ips]
    zonefile = os.path.join(work, "zone.ip4set")
    with open(zonefile, "w") as f:
        f.write(":127.0.0.2:listed by import\n")
        f.write("\n".join(ips) + "\n")
    os.chmod(zonefile, 0o644)
    probe = ips[-1]

    data = os.path.join(work, "data")
    subprocess.run([binary, "init", "--data", data, "--name", "Bench", "--country", "UY"],
                   check=True, capture_output=True)
    http, dns = free_port(), free_port()
    log = open(os.path.join(work, "serve.log"), "ab")
    cmd = [binary, "serve", "--data", data, "--listen", f"127.0.0.1:{http}", "--dns",
           f"127.0.0.1:{dns}", "--dnsbl-zone", ZONE, "--access-log", "false"]
    at = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_answer(dns, "127.0.0.2", 30):
            raise RuntimeError("atalaya did not answer")
        idle = settle(at.pid, 0.5)
        env = dict(os.environ, ATALAYA_URL=f"http://127.0.0.1:{http}",
                   ATALAYA_TOKEN_FILE=os.path.join(data, "admin.token"))
        t0 = time.monotonic()
        out = subprocess.run([binary, "dnsbl", "import", zonefile], env=env,
                             capture_output=True, text=True, timeout=1200)
        if out.returncode != 0:
            raise RuntimeError(f"import failed: {out.stdout}{out.stderr}")
        import_s = time.monotonic() - t0
        if not wait_answer(dns, probe, 5):
            raise RuntimeError("the imported listings are not answered")
        at_rss = settle(at.pid)
        at_hwm = status_kib(at.pid, "VmHWM")
        ru = rollup(at.pid)
        at.send_signal(signal.SIGTERM)
        at.wait(timeout=60)
        at = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        if not wait_answer(dns, probe, 120):
            raise RuntimeError("atalaya did not answer after the restart")
        at_restart = settle(at.pid)
    finally:
        if at.poll() is None:
            at.send_signal(signal.SIGTERM)
            at.wait(timeout=60)

    rb_rss = 0
    rbldnsd = shutil.which("rbldnsd") or ("/usr/sbin/rbldnsd"
                                          if os.path.exists("/usr/sbin/rbldnsd") else None)
    if rbldnsd:
        port = free_port()
        rb = subprocess.Popen([rbldnsd, "-n", "-u", "nobody", "-b", f"127.0.0.1/{port}", "-w",
                               work, "-t", "300", f"{ZONE}:ip4set:zone.ip4set"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if wait_answer(port, probe, 120):
                rb_rss = settle(rb.pid, 1.0)
        finally:
            rb.terminate()
            rb.wait(timeout=10)

    mib = lambda k: k / 1024  # noqa: E731
    print(f"memory with {n} IPv4 listings (atalaya dnsbl import {os.path.basename(zonefile)}, "
          f"{import_s:.1f} s)")
    print(f"  atalaya serve, idle before the import  VmRSS {mib(idle):6.1f} MiB")
    print(f"  atalaya serve, after the import        VmRSS {mib(at_rss):6.1f} MiB "
          f"(peak VmHWM {mib(at_hwm):.1f} MiB; anonymous {mib(ru.get('Anonymous', 0)):.1f}, "
          f"file-backed {mib(ru.get('Rss', 0) - ru.get('Anonymous', 0)):.1f})")
    print(f"  atalaya serve, restarted               VmRSS {mib(at_restart):6.1f} MiB")
    if rb_rss:
        print(f"  rbldnsd, same file                     VmRSS {mib(rb_rss):6.1f} MiB")
        print(f"  ratio atalaya/rbldnsd after import {at_rss / rb_rss:.2f}, "
              f"after restart {at_restart / rb_rss:.2f} (goal <= 1.5"
              f"{'' if at_rss / rb_rss <= 1.5 else ': MISSED'})")
    else:
        print("  rbldnsd not installed: no ratio")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
