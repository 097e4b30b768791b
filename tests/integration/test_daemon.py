"""The daemon itself (issue 12): privileges and the data directory, the lock,
crash leftovers, connection limits, graceful stop, SIGHUP reload, TLS versions,
conflicting request framing."""
import http.client
import os
import pwd
import resource
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import uuid
import warnings

from harness import Node, check, eq, free_port, run
from stixgen import bundle, dumps, indicator

BIN = sys.argv[1]
STIX = "application/stix+json;version=2.1"
ROOT = os.geteuid() == 0


def owner(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid


def report_ids(n):
    db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
    out = {r[0] for r in db.execute("SELECT id FROM reports")}
    db.close()
    return out


def small_bundle(k=3):
    return dumps(bundle([indicator(f"[ipv4-addr:value = '198.51.100.{i % 250}']") for i in range(k)]))


def filed_bundle():
    """More than 64 KiB: kept as a file in reports/, not in the store."""
    return small_bundle(400)


def submit(n, body, token="admin"):
    return n.request("POST", "/api/v1/reports?audience=all", raw=body, token=token, content_type=STIX)


def raw_http(port, data, src="127.0.0.1", timeout=5):
    """Sends bytes, reads until the server closes (or timeout): (status, body, closed)."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    out, closed = b"", False
    try:
        while True:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            out += d
    except socket.timeout:
        pass
    s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else None
    return status, body, closed


def timed_health(n):
    t0 = time.time()
    r = n.request("GET", "/api/v1/health", token=None)
    return r.status, time.time() - t0


def wait_closed(socks, seconds):
    """How many of the sockets the server closed (EOF or reset) within `seconds`."""
    deadline = time.time() + seconds
    closed = set()
    while time.time() < deadline and len(closed) < len(socks):
        for i, s in enumerate(socks):
            if i in closed:
                continue
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed.add(i)
            except BlockingIOError:
                pass
            except OSError:
                closed.add(i)
        time.sleep(0.05)
    return len(closed)


def attacker_socket(port):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))  # all of 127/8 is loopback: another client address
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


# ---------------------------------------------------------------- privileges

def test_links_in_data_dir_not_followed(bin_):
    if not ROOT:
        print("     (not root: nothing is given away)")
        return
    n = Node(bin_)
    try:
        victim = os.path.join(n.dir, "victim")          # root's, outside the data dir
        victim_dir = os.path.join(n.dir, "victim-dir")
        victim_linked = os.path.join(n.dir, "victim-linked")
        for p in (victim, victim_linked):
            open(p, "w").write("root's\n")
            os.chmod(p, 0o600)
        os.mkdir(victim_dir, 0o755)
        # what a service user could plant in the data dir it owns
        os.unlink(os.path.join(n.data, "node.key"))
        os.symlink(victim, os.path.join(n.data, "node.key"))
        os.symlink(victim_dir, os.path.join(n.data, "spool"))
        os.mkdir(os.path.join(n.data, "reports"), 0o700)
        os.symlink(victim, os.path.join(n.data, "reports", f"report--{uuid.uuid4()}.json"))
        os.link(victim_linked, os.path.join(n.data, "reports", f"report--{uuid.uuid4()}.xml"))
        n.start()
        for p in (victim, victim_dir, victim_linked):
            eq(owner(p), (0, 0), f"{os.path.basename(p)} still root's")
        eq(open(victim).read(), "root's\n", "victim untouched")
        check(os.path.islink(os.path.join(n.data, "node.key")), "the link itself is left")
        log = n.read_log()
        check("symbolic link" in log, f"the link is reported: {log}")
        check("other hard links" in log, "the hard link is reported")
        eq(timed_health(n)[0], 200, "serving")
    finally:
        n.cleanup()


def test_user_change_keeps_reports_readable(bin_):
    if not ROOT:
        print("     (not root: no user to change)")
        return
    n = Node(bin_, extra_args=("--user", "nobody")).start()
    try:
        body = filed_bundle()
        r = submit(n, body)
        eq(r.status, 201, "stored as nobody")
        rid = r.json()["id"]
        n.stop()
        eq(owner(os.path.join(n.data, "reports", rid + ".json"))[0], pwd.getpwnam("nobody").pw_uid,
           "file written by nobody")
        n.extra = []  # the default service user, atalaya
        n.start()
        check("event=drop_privileges user=atalaya" in n.read_log(), "runs as atalaya")
        b = n.request("GET", f"/api/v1/reports/{rid}/bundle")
        eq(b.status, 200, f"earlier report after the change of user: {b}")
        check(b.body.encode() == body, "same bytes")
        eq(owner(os.path.join(n.data, "atalaya.db"))[0], pwd.getpwnam("atalaya").pw_uid, "store given")
        eq(submit(n, small_bundle()).status, 201, "new reports are stored too")
    finally:
        n.cleanup()


def test_missing_service_user_is_named(bin_):
    if not ROOT:
        print("     (not root: no user needed)")
        return
    n = Node(bin_)
    try:
        out = subprocess.run([bin_, "serve", "--data", n.data, "--listen", f"127.0.0.1:{n.port}",
                              "--user", "no-such-atalaya-user"], capture_output=True, text=True,
                             timeout=20)
        check(out.returncode != 0, "refused")
        check("no-such-atalaya-user" in out.stderr and "useradd --system" in out.stderr,
              f"says which user and how to create it: {out.stderr}")
    finally:
        n.cleanup()


# ---------------------------------------------------------------- lock, leftovers

def test_second_daemon_on_one_data_dir(bin_):
    n = Node(bin_).start()
    try:
        out = subprocess.run([bin_, "serve", "--data", n.data, "--listen", f"127.0.0.1:{free_port()}"],
                             capture_output=True, text=True, timeout=20)
        eq(out.returncode, 1, "second serve exits non-zero")
        check(n.data in out.stderr and f"pid {n.proc.pid}" in out.stderr and "in use" in out.stderr,
              f"names the data dir and the holder: {out.stderr}")
        eq(timed_health(n)[0], 200, "the first one still serves")
        n.stop()
        n.start()  # the lock went with the first process
        eq(timed_health(n)[0], 200, "restarted")
    finally:
        n.cleanup()


def test_crash_leftovers_removed_at_start(bin_):
    n = Node(bin_).start()
    try:
        body = filed_bundle()
        kept = submit(n, body)
        eq(kept.status, 201, "committed report")
        kept_id = kept.json()["id"]
        small = small_bundle()
        r = submit(n, small)
        eq(r.status, 201, "a small committed report")
        small_id = r.json()["id"]
        # a large submission in progress when the node dies
        big = dumps(bundle([indicator(f"[ipv4-addr:value = '10.1.{i // 250}.{i % 250}']")
                            for i in range(20000)]))
        s = socket.create_connection(("127.0.0.1", n.port))
        s.sendall(b"POST /api/v1/reports?audience=all HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Bearer " + n.admin_token.encode() + b"\r\n"
                  b"Content-Type: " + STIX.encode() + b"\r\n"
                  b"Content-Length: " + str(len(big)).encode() + b"\r\n\r\n" + big[:len(big) // 2])
        spool = os.path.join(n.data, "spool")
        deadline = time.time() + 10
        while time.time() < deadline and not os.listdir(spool):
            time.sleep(0.05)
        check(os.listdir(spool), "the body is being spooled")
        time.sleep(0.3)
        n.stop(signal.SIGKILL)
        s.close()
        spooled = sum(os.path.getsize(os.path.join(spool, f)) for f in os.listdir(spool))
        check(spooled > 0, "bytes left in the spool")
        # a report file renamed into reports/ whose transaction never committed
        reports = os.path.join(n.data, "reports")
        orphan = os.path.join(reports, f"report--{uuid.uuid4()}.json")
        open(orphan, "wb").write(b"x" * 1000)
        other = os.path.join(reports, "NOTES.txt")  # not a report's name: not ours to remove
        open(other, "w").write("operator's file\n")
        # a file for a small report, whose bytes the store keeps: a leftover too
        shadow = os.path.join(reports, small_id + ".json")
        open(shadow, "wb").write(b"y" * 500)
        n.start()
        eq(os.listdir(spool), [], "spool emptied")
        check(not os.path.exists(orphan), "orphan report file removed")
        check(not os.path.exists(shadow), "a file beside a report kept in the store removed")
        eq(n.request("GET", f"/api/v1/reports/{small_id}/bundle").body.encode(), small,
           "the small report still served, from the store")
        check(os.path.exists(other), "other files left alone")
        check(os.path.exists(os.path.join(reports, kept_id + ".json")), "committed report file kept")
        b = n.request("GET", f"/api/v1/reports/{kept_id}/bundle")
        eq(b.status, 200, "committed report readable")
        check(b.body.encode() == body, "same bytes")
        line = [l for l in n.read_log().splitlines() if "event=leftovers_removed" in l]
        eq(len(line), 1, "one log line")
        check(f"spool_files=1 spool_bytes={spooled} orphan_report_files=2 orphan_report_bytes=1500"
              in line[0], line[0])
    finally:
        n.cleanup()


# ---------------------------------------------------------------- connection limits

def test_idle_connections_from_one_address(bin_):
    # the defaults: 128 per address; 1,100 idle sockets locked everyone out before
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    many = 1100 if hard == resource.RLIM_INFINITY or hard >= 1300 else hard - 150
    if soft < many + 150:  # this process holds them all
        resource.setrlimit(resource.RLIMIT_NOFILE, (many + 150, hard))
    n = Node(bin_, extra_args=("--http-header-timeout-seconds", "3")).start()
    socks = []
    try:
        for _ in range(many):
            socks.append(attacker_socket(n.port))
        status, took = timed_health(n)
        eq(status, 200, "health for another address")
        check(took < 1, f"health answered in {took:.2f} s")
        closed = wait_closed(socks, 2)
        check(closed >= many - 128, f"connections over the per-address cap are closed ({closed})")
        closed = wait_closed(socks, 6)
        eq(closed, many, "idle connections are closed after the header deadline")
        status, took = timed_health(n)
        eq(status, 200, "health still answers")
    finally:
        for s in socks:
            s.close()
        n.cleanup()


def test_slowloris(bin_):
    n = Node(bin_, extra_args=("--http-header-timeout-seconds", "2", "--http-connections-per-ip",
                               "16")).start()
    socks = []
    try:
        for _ in range(16):
            s = attacker_socket(n.port)
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        stop = threading.Event()

        def drip():  # one header byte per socket every half second
            while not stop.is_set():
                for s in socks:
                    try:
                        s.sendall(b"X")
                    except OSError:
                        pass
                time.sleep(0.5)

        t = threading.Thread(target=drip)
        t.start()
        try:
            time.sleep(0.5)
            status, took = timed_health(n)
            eq(status, 200, "health for another address")
            check(took < 1, f"health answered in {took:.2f} s")
            extra = attacker_socket(n.port)
            eq(wait_closed([extra], 2), 1, "a 17th connection from the address is refused")
            extra.close()
            t0 = time.time()
            closed = wait_closed(socks, 6)
            eq(closed, 16, "slow headers are cut")
            check(time.time() - t0 < 4, "within the header deadline (2 s) and a reaper tick")
            check("event=http_header_timeout" in n.read_log(), "logged")
        finally:
            stop.set()
            t.join()
        eq(timed_health(n)[0], 200, "health still answers")
    finally:
        for s in socks:
            s.close()
        n.cleanup()


# ---------------------------------------------------------------- stop and reload

def test_sigterm_answers_every_commit(bin_):
    n = Node(bin_).start()
    try:
        body = dumps(bundle([indicator(f"[ipv4-addr:value = '10.2.{i // 250}.{i % 250}']")
                             for i in range(1500)]))
        lock, stop = threading.Lock(), threading.Event()
        acked_reports, acked_contacts, resets = [], [], []

        def writer(k, reports):
            i = 0
            while not stop.is_set():
                try:
                    if reports:
                        r = submit(n, body)
                    else:
                        r = n.request("POST", "/api/v1/contacts",
                                      {"role": "technical", "name": f"w{k}-{i}",
                                       "email": "soc@cert.example.org"})
                except ConnectionRefusedError:
                    return  # no longer accepting: never reached the node
                except (OSError, http.client.HTTPException, AttributeError) as e:
                    # (AttributeError: http.client after a reset while sending)
                    with lock:
                        resets.append(repr(e))
                    return
                if r.status == 201:
                    with lock:
                        (acked_reports if reports else acked_contacts).append(r.json()["id"])
                i += 1

        threads = [threading.Thread(target=writer, args=(k, k < 5)) for k in range(8)]
        for t in threads:
            t.start()
        deadline = time.time() + 60
        while len(acked_reports) < 5 and time.time() < deadline:
            time.sleep(0.01)
        # an idle keep-alive connection must not hold the stop up
        idle = http.client.HTTPConnection("127.0.0.1", n.port)
        idle.request("GET", "/api/v1/health")
        idle.getresponse().read()
        t0 = time.time()
        code = n.stop(signal.SIGTERM)
        took = time.time() - t0
        stop.set()
        for t in threads:
            t.join()
        eq(code, 0, "clean exit")
        check(took < 10, f"stopped in {took:.1f} s")
        log = n.read_log()
        after = log[log.index("event=stopping"):]
        check("event=http method=POST" in after, "requests in flight at SIGTERM were answered")
        check("event=stopped" in after and "requests_cut" not in after, "nothing was cut")
        n.start()
        stored = report_ids(n)
        eq(stored - set(acked_reports), set(), "every stored report was answered")
        eq(set(acked_reports) - stored, set(), "every answered report is stored")
        db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        contacts = {r[0] for r in db.execute("SELECT id FROM contacts")}
        db.close()
        eq(contacts, set(acked_contacts), "contacts stored are the contacts answered")
    finally:
        n.cleanup()


def test_shutdown_timeout_bounds_the_wait(bin_):
    n = Node(bin_, extra_args=("--shutdown-timeout-seconds", "2")).start()
    try:
        s = socket.create_connection(("127.0.0.1", n.port))
        s.sendall(b"POST /api/v1/reports?audience=all HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Bearer " + n.admin_token.encode() + b"\r\n"
                  b"Content-Type: " + STIX.encode() + b"\r\nContent-Length: 100000\r\n\r\n{\"type\"")
        time.sleep(0.5)
        t0 = time.time()
        code = n.stop(signal.SIGTERM)
        took = time.time() - t0
        s.close()
        eq(code, 0, "exit 0")
        check(1.5 < took < 6, f"waited for the upload, at most 2 s: {took:.1f} s")
        check("event=shutdown_timeout requests_cut=1" in n.read_log(), "says what was cut")
        eq(os.listdir(os.path.join(n.data, "spool")), [], "the cut upload's spool is removed")
        eq(report_ids(n), set(), "nothing stored")
    finally:
        n.cleanup()


def test_sighup_reopens_log_and_keeps_serving(bin_):
    n = Node(bin_)
    try:
        logdir = os.path.join(n.dir, "log")
        os.mkdir(logdir, 0o755)
        if ROOT:
            a = pwd.getpwnam("atalaya")
            os.chown(logdir, a.pw_uid, a.pw_gid)
        logf = os.path.join(logdir, "atalaya.log")
        n.start("--log-file", logf)
        check("event=serving" in open(logf).read(), "logs to the file")
        os.rename(logf, logf + ".1")  # what logrotate does
        n.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline and not os.path.exists(logf):
            time.sleep(0.05)
        check(os.path.exists(logf), "a new file after SIGHUP")
        eq(timed_health(n)[0], 200, "still serving")
        check(n.proc.poll() is None, "still running")
        time.sleep(0.2)
        new = open(logf).read()
        check("event=reload signal=SIGHUP reloaded=log" in new, new)
        check('route="/api/v1/health"' in new, "requests logged to the new file")
        check("event=reload" not in open(logf + ".1").read(), "the old file is left")
        eq(n.stop(), 0, "SIGTERM after SIGHUP")
    finally:
        n.cleanup()


def make_cert(dirname, name, cn):
    cert, key = os.path.join(dirname, name + ".crt"), os.path.join(dirname, name + ".key")
    out = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                          "-subj", f"/CN={cn}", "-keyout", key, "-out", cert],
                         capture_output=True, text=True)
    eq(out.returncode, 0, out.stderr)
    os.chmod(key, 0o600)  # root's alone
    return cert, key


def served_cert(port):
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port), timeout=5))


def tls_handshake(port, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 and 1.1, on purpose
        ctx.minimum_version = version
        ctx.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s) as t:
            return t.version()


def test_tls_reload_and_versions(bin_):
    n = Node(bin_)
    proc = None
    try:
        a_cert, a_key = make_cert(n.dir, "a", "node-a")
        b_cert, b_key = make_cert(n.dir, "b", "node-b")
        cert, key = os.path.join(n.dir, "tls.crt"), os.path.join(n.dir, "tls.key")
        os.rename(a_cert, cert)
        os.rename(a_key, key)
        a_der = ssl.PEM_cert_to_DER_cert(open(cert).read())
        log = open(n.log_path, "ab")
        proc = subprocess.Popen([bin_, "serve", "--data", n.data, "--listen", f"127.0.0.1:{n.port}",
                                 "--tls-cert", cert, "--tls-key", key, "--http-header-timeout-seconds",
                                 "2"], stdout=log, stderr=log)
        deadline = time.time() + 15
        while True:
            try:
                der = served_cert(n.port)
                break
            except OSError:
                check(time.time() < deadline and proc.poll() is None, f"HTTPS up: {n.read_log()}")
                time.sleep(0.1)
        eq(der, a_der, "first certificate (its key read as root before dropping privileges)")
        # TLS 1.2 and 1.3 only
        eq(tls_handshake(n.port, ssl.TLSVersion.TLSv1_2), "TLSv1.2", "TLS 1.2")
        eq(tls_handshake(n.port, ssl.TLSVersion.TLSv1_3), "TLSv1.3", "TLS 1.3")
        for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            try:
                v = tls_handshake(n.port, old)
                raise AssertionError(f"{old.name} accepted ({v})")
            except (ssl.SSLError, ConnectionResetError):
                pass
        # replaced certificate, its key not readable by the service user: the old pair stays
        b_der = ssl.PEM_cert_to_DER_cert(open(b_cert).read())
        os.rename(b_cert, cert)
        os.rename(b_key, key)
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        if ROOT:
            check(proc.poll() is None, "alive")
            eq(served_cert(n.port), a_der, "unreadable key: the previous pair stays")
            check("event=reload what=tls error=" in n.read_log(), "the failure is logged")
            os.chown(key, 0, pwd.getpwnam("atalaya").pw_gid)
            os.chmod(key, 0o640)
            proc.send_signal(signal.SIGHUP)
            time.sleep(1)
        check(proc.poll() is None, "SIGHUP leaves the daemon running")
        eq(served_cert(n.port), b_der, "the new certificate is served after SIGHUP")
        check("reloaded=tls" in n.read_log(), "reload logged")
        # a key that is not the certificate's is refused, the pair in use stays
        c_cert, c_key = make_cert(n.dir, "c", "node-c")
        os.rename(c_cert, cert)
        if ROOT:
            os.chmod(key, 0o644)
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        eq(served_cert(n.port), b_der, "mismatched pair not taken")
        check("is not the key of the certificate" in n.read_log(), "mismatch named")
        # a handshake that never ends is cut by the header deadline too
        s = socket.create_connection(("127.0.0.1", n.port))
        s.sendall(b"\x16\x03\x01")  # the start of a ClientHello, and no more
        t0 = time.time()
        eq(wait_closed([s], 6), 1, "stalled TLS handshake cut")
        check(time.time() - t0 < 4.5, "within the deadline and a tick")
        s.close()
    finally:
        if proc:
            proc.terminate()
            proc.wait()
        n.cleanup()


# ---------------------------------------------------------------- request framing

def test_conflicting_content_length(bin_):
    n = Node(bin_).start()
    try:
        auth = b"Authorization: Bearer " + n.admin_token.encode() + b"\r\n"
        head = b"POST /api/v1/groups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + auth
        body = b'{"name":"G1"}'
        cases = [
            (b"Content-Length: 13\r\nContent-Length: 5\r\n", body, "two different lengths"),
            (b"Content-Length: 5\r\nContent-Length: 13\r\n", body, "two different lengths"),
            (b"Content-Length: 13\r\nTransfer-Encoding: chunked\r\n",
             b"d\r\n" + body + b"\r\n0\r\n\r\n", "Transfer-Encoding"),
            (b"Transfer-Encoding: chunked\r\nContent-Length: 13\r\n",
             b"d\r\n" + body + b"\r\n0\r\n\r\n", "Transfer-Encoding"),
        ]
        for hdrs, payload, what in cases:
            status, rbody, closed = raw_http(n.port, head + hdrs + b"\r\n" + payload)
            eq(status, 400, f"{hdrs!r}")
            check(b'"code":"bad_request"' in rbody and what.encode() in rbody
                  and b'"field":"Content-Length"' in rbody, rbody)
            check(closed, "the connection is closed after the answer")
        db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        eq(db.execute("SELECT count(*) FROM groups").fetchone()[0], 0, "nothing created")
        db.close()
        # the same length twice is one length (RFC 9110 8.6); one header alone is fine
        status, _, _ = raw_http(n.port, head + b"Content-Length: 13\r\nContent-Length: 13\r\n"
                                b"Connection: close\r\n\r\n" + body)
        eq(status, 201, "identical lengths")
        status, _, _ = raw_http(n.port, head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                b"d\r\n" + b'{"name":"G2"}' + b"\r\n0\r\n\r\n")
        eq(status, 201, "chunked alone")
    finally:
        n.cleanup()


def test_sighup_reloads_dnsbl_settings(bin_):
    """An operator edits atalaya.conf (a new TTL, NS) and sends SIGHUP: the
    DNSBL answers with the new values, without a restart; a bad value is
    refused and the running settings stay."""
    from test_dns import ZONE, dig, dns_node
    n = dns_node(bin_)
    try:
        conf = os.path.join(n.data, "atalaya.conf")
        before = open(conf).read() if os.path.exists(conf) else ""
        st, rr = dig(n, "2.0.0.127." + ZONE, "A")
        eq([(r[1], r[3]) for r in rr], [(300, "127.0.0.2")], "default TTL before")
        with open(conf, "w") as f:
            f.write(before + "dnsbl_ttl = 1234\ndnsbl_ns = ns1.example.net\n")
        os.chmod(conf, 0o644)
        n.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline:
            st, rr = dig(n, "2.0.0.127." + ZONE, "A")
            if rr and rr[0][1] == 1234:
                break
            time.sleep(0.1)
        eq([(r[1], r[3]) for r in rr], [(1234, "127.0.0.2")], "TTL after SIGHUP")
        st, rr = dig(n, ZONE, "NS")
        eq([r[3] for r in rr], ["ns1.example.net."], "NS after SIGHUP")
        with open(conf, "w") as f:
            f.write(before + "dnsbl_ttl = 0\n")
        n.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        check(n.proc.poll() is None, "a bad value does not stop the node")
        st, rr = dig(n, "2.0.0.127." + ZONE, "A")
        eq([(r[1], r[3]) for r in rr], [(1234, "127.0.0.2")], "bad reload keeps the running TTL")
        log = open(n.log_path, errors="replace").read()
        check("what=dnsbl" in log and "dnsbl_ttl" in log, "the refused reload is logged")
        eq(n.stop(), 0, "SIGTERM after SIGHUP")
    finally:
        n.cleanup()


if __name__ == "__main__":
    run([test_links_in_data_dir_not_followed, test_user_change_keeps_reports_readable,
         test_missing_service_user_is_named, test_second_daemon_on_one_data_dir,
         test_crash_leftovers_removed_at_start, test_idle_connections_from_one_address,
         test_slowloris, test_sigterm_answers_every_commit, test_shutdown_timeout_bounds_the_wait,
         test_sighup_reopens_log_and_keeps_serving, test_tls_reload_and_versions,
         test_conflicting_content_length, test_sighup_reloads_dnsbl_settings], BIN)
