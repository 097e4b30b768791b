"""Anti-spam end to end (issue 8): abuse reports -> reputation -> DNS
blocklist answers over UDP and TCP, decay, delisting, manual listings,
import/export, the TLP rule for DNS, RFC 5782 test entries, bad input.
Usage: test_spam.py ATALAYA_BINARY"""
import os
import random
import socket
import sqlite3
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Node, check, eq, free_port, run  # noqa: E402
import stixgen  # noqa: E402

ZONE = "bl.atalaya.test"
SRC = os.environ.get("ATALAYA_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))


def arf_dir():
    shared = os.environ.get("ATALAYA_SHARED")
    if shared and os.path.isdir(os.path.join(shared, "testdata", "arf")):
        return os.path.join(shared, "testdata", "arf")
    return os.path.join(SRC, "tests", "data", "arf")


def arf(name):
    path = os.path.join(arf_dir(), name)
    if not os.path.exists(path):
        path = os.path.join(SRC, "tests", "data", "arf", name)
    return open(path, "rb").read()


# --- a tiny DNS client ---

def encode_name(name):
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(name, qtype=1, qid=None, edns=False):
    qid = random.randrange(65536) if qid is None else qid
    msg = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    msg += encode_name(name) + struct.pack(">HH", qtype, 1)
    if edns:
        msg += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return msg


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


class Answer:
    def __init__(self, msg):
        self.raw = msg
        (self.id, flags, qd, an, ns, ar) = struct.unpack(">HHHHHH", msg[:12])
        self.rcode = flags & 0xF
        self.tc = bool(flags & 0x200)
        self.aa = bool(flags & 0x400)
        self.a, self.txt, self.types = [], [], []
        self.nscount = ns
        off = 12
        for _ in range(qd):
            off = skip_name(msg, off) + 4
        for _ in range(an):
            off = skip_name(msg, off)
            t, _c, _ttl, ln = struct.unpack(">HHIH", msg[off:off + 10])
            off += 10
            rd = msg[off:off + ln]
            off += ln
            self.types.append(t)
            if t == 1:
                self.a.append(socket.inet_ntoa(rd))
            elif t == 16:
                parts, i = [], 0
                while i < len(rd):
                    parts.append(rd[i + 1:i + 1 + rd[i]].decode())
                    i += 1 + rd[i]
                self.txt.append("".join(parts))


def udp(port, msg, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, ("127.0.0.1", port))
        data, _ = s.recvfrom(65535)
        return Answer(data)
    finally:
        s.close()


def tcp(port, msg, timeout=2.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(struct.pack(">H", len(msg)) + msg)
        hdr = b""
        while len(hdr) < 2:
            hdr += s.recv(2 - len(hdr))
        n = struct.unpack(">H", hdr)[0]
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                break
            data += chunk
        return Answer(data)
    finally:
        s.close()


def ip4name(ip):
    return ".".join(reversed(ip.split("."))) + "." + ZONE


def lookup(port, ip, qtype=1, over=udp):
    return over(port, query(ip4name(ip), qtype))


def wait_for(pred, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds}s: {what}")


def free_dns_port(avoid):
    """A port free for both UDP and TCP (the DNS server binds both)."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            if port != avoid:
                return port
        except OSError:
            pass
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port for DNS")


def dns_node(binary, env=None, extra=()):
    n = Node(binary, extra_args=extra)
    port = free_dns_port(n.port)
    old = {}
    for k, v in (env or {}).items():
        old[k] = os.environ.get(k)
        os.environ[k] = v
    try:
        n.extra += ["--dns", f"127.0.0.1:{port}", "--dnsbl-zone", ZONE]  # kept on restart
        n.start()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    n.dns = port
    return n


def restart_dns(n):
    """Restarts the node; when a parallel test took the DNS port in between,
    moves to another one."""
    n.stop()
    for _ in range(5):
        try:
            return n.start()
        except RuntimeError as e:
            if "Address already in use" not in str(e):
                raise
            i = n.extra.index("--dns")
            n.dns = free_dns_port(n.port)
            n.extra[i + 1] = f"127.0.0.1:{n.dns}"
    raise RuntimeError("no DNS port after 5 tries")


def post_mail(n, body, token="admin", ctype="message/rfc822"):
    return n.request("POST", "/api/v1/spam-reports", raw=body, token=token, content_type=ctype)


def db_count(n, table):
    con = sqlite3.connect(f"file:{os.path.join(n.data, 'atalaya.db')}?mode=ro", uri=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


# --- tests ---

def test_reports_list_a_source_answered_over_udp_and_tcp(binary):
    n = dns_node(binary)
    try:
        tokens = [n.add_member(f"ISP-{i}", kind="isp")[1] for i in range(3)]
        ip = "192.0.2.222"  # Source-IP of arf-15
        eq(lookup(n.dns, ip).rcode, 3, "unlisted before any report")
        reps = []
        for i, tok in enumerate(tokens):
            r = post_mail(n, arf("arf-15.eml"), token=tok)
            eq(r.status, 201, f"report {i}")
            rep = r.json()["reputation"]
            eq(rep["source"], ip, "source key")
            check(rep["counted"], "an abuse report counts")
            reps.append(rep)
        check(not reps[0]["listed"], f"one member alone never lists: {reps[0]}")
        check(reps[1]["listed"] and reps[1]["newly_listed"], f"two members list it: {reps[1]}")
        check(reps[2]["listed"] and not reps[2]["newly_listed"], f"still listed: {reps[2]}")
        eq(rep["code"], 2, "spam code")
        # one member repeating itself does not list a source
        for _ in range(5):
            r = post_mail(n, arf("arf-01.eml"), token=tokens[0]).json()["reputation"]
        check(not r["listed"] and r["score"] < 2.0, f"repeats saturate: {r}")
        for over in (udp, tcp):
            a = lookup(n.dns, ip, 1, over)
            eq((a.rcode, a.a), (0, ["127.0.0.2"]), f"A over {over.__name__}")
            check(a.aa, "authoritative")
            t = lookup(n.dns, ip, 16, over)
            eq(t.rcode, 0, f"TXT over {over.__name__}")
            check(t.txt and "abuse reports from 3 members" in t.txt[0], f"TXT reason: {t.txt}")
            check("/api/v1/reputation?value=192.0.2.222" in t.txt[0], f"lookup url: {t.txt}")
        # the reputation as members and as anyone following the TXT link see it
        r = n.request("GET", "/api/v1/reputation?value=192.0.2.222")
        eq(r.status, 200, "reputation")
        j = r.json()
        check(j["listed"] and j["reporters"] == 3 and j["score"] >= 2.0, f"detail: {j}")
        eq(j["listing"]["source"], "reputation", "listing source")
        anon = n.request("GET", "/api/v1/reputation?value=192.0.2.222", token=None).json()
        check(anon["listed"] and "score" not in anon, f"anonymous sees the listing only: {anon}")
        out = n.cli("reputation", ip)
        eq(out.returncode, 0, out.stderr)
        check("listed" in out.stdout and "3 members" in out.stdout, out.stdout)
        # the listing survives a restart (loaded from the store)
        restart_dns(n)
        eq(lookup(n.dns, ip).a, ["127.0.0.2"], "listed after restart")
    finally:
        n.cleanup()


def test_every_shared_arf_file_handled(binary):
    n = dns_node(binary)
    try:
        expected = {"arf-22.eml": 422}
        for name in sorted(os.listdir(arf_dir())):
            if not (name.startswith("arf-") and name.endswith(".eml")):
                continue
            before = db_count(n, "spam_reports")
            r = post_mail(n, arf(name))
            want = expected.get(name, 201)
            eq(r.status, want, f"{name}: {r.body[:200]}")
            if want == 422:
                err = r.json()["error"]
                eq(err["code"], "not_a_report", name)
                check("not an abuse report" in err["message"], err["message"])
                eq(db_count(n, "spam_reports"), before, f"{name}: nothing stored")
            else:
                eq(db_count(n, "spam_reports"), before + 1, f"{name}: stored")
        # opt-out and auth-failure reports are stored but never count against a source
        r = post_mail(n, arf("arf-12.eml")).json()
        check(r["category"] == "opt-out", r)
        check(r["reputation"] is None or not r["reputation"]["counted"], r)
        # XARF v4 as JSON and X-ARF 0.2
        x = open(os.path.join(SRC, "tests/data/arf/xarf4.json"), "rb").read()
        r = post_mail(n, x, ctype="application/json")
        eq(r.status, 201, r.body)
        eq(r.json()["reputation"]["source"], "2001:db8::/64", "IPv6 scored per /64")
        r = post_mail(n, open(os.path.join(SRC, "tests/data/arf/xarf-02.eml"), "rb").read())
        eq(r.status, 201, r.body)
        eq(r.json()["category"], "spam", "X-ARF fraud/spam")
        # X-ARF's "abuse" category is not spam: a login attack is stored, not counted
        r = post_mail(n, open(os.path.join(SRC, "tests/data/arf/xarf-02-login-attack.eml"), "rb").read())
        eq(r.status, 201, r.body)
        eq(r.json()["category"], "other", r.body)
        check(r.json()["reputation"] is None or not r.json()["reputation"]["counted"], r.body)
        # other bad input: rejected with the reason, nothing stored
        before = db_count(n, "spam_reports")
        for bad, word in (("bad-source-ip.eml", "Source-IP"), ("bad-charset.eml", "charset"),
                          ("bad-no-feedback-type.eml", "Feedback-Type")):
            r = post_mail(n, open(os.path.join(SRC, "tests/data/arf", bad), "rb").read())
            eq(r.status, 422, bad)
            check(word in r.body, f"{bad}: {r.body}")
        # RFC 5965 fields once each; X-ARF/XARF source, reporter and a known category
        # (an unknown XARF category with type "spam" is refused, never counted as spam)
        for bad, word, ct in (("bad-no-user-agent.eml", "User-Agent", "message/rfc822"),
                              ("bad-version-twice.eml", "Version once", "message/rfc822"),
                              ("bad-xarf-02-no-reporter.eml", "reporter", "message/rfc822"),
                              ("bad-xarf4-unknown-category.json", "unknown XARF v4 category 'spamtrap'",
                               "application/json"),
                              ("bad-xarf4-no-source.json", "source", "application/json")):
            r = post_mail(n, open(os.path.join(SRC, "tests/data/arf", bad), "rb").read(), ctype=ct)
            eq(r.status, 422, f"{bad}: {r}")
            check(word in r.json()["error"]["message"], f"{bad}: {r.body}")
        r = post_mail(n, b"From: a@b\r\nSubject: x\r\n" + b"X-Pad: " + b"a" * (5 << 20))
        eq(r.status, 413, "a mail over 4 MiB")
        eq(post_mail(n, b"{}", ctype="image/png").status, 415, "media type")
        eq(db_count(n, "spam_reports"), before, "nothing stored for bad input")
        # a reader may not submit
        _, reader = n.add_member("Reader", role="reader")
        eq(post_mail(n, arf("arf-01.eml"), token=reader).status, 403, "reader")
    finally:
        n.cleanup()


def test_ingest_mail_exit_codes(binary):
    n = dns_node(binary)
    try:
        out = n.cli("ingest-mail", stdin=arf("arf-01.eml").decode("latin-1"))
        eq(out.returncode, 0, out.stderr)
        check("stored" in out.stdout, out.stdout)
        out = n.cli("ingest-mail", stdin=arf("arf-22.eml").decode("latin-1"))
        eq(out.returncode, 65, f"EX_DATAERR for a non-report: {out.stderr}")
        check("not an abuse report" in out.stderr, out.stderr)
        dead = free_port()
        env_url = f"http://127.0.0.1:{dead}"
        out = n.cli("ingest-mail", "--url", env_url, stdin=arf("arf-01.eml").decode("latin-1"))
        eq(out.returncode, 75, f"EX_TEMPFAIL when the node is unreachable: {out.stderr}")
    finally:
        n.cleanup()


def test_fingerprint_lookup_counts_members_only(binary):
    n = dns_node(binary)
    try:
        toks = [n.add_member(f"M{i}", kind="isp")[1] for i in range(2)]
        mail = arf("arf-17.eml")
        for t in toks:
            eq(post_mail(n, mail, token=t).status, 201, "report")
        r = n.request("POST", "/api/v1/spam-fingerprints/lookup", raw=mail,
                      content_type="message/rfc822", token=toks[0])
        eq(r.status, 200, r.body)
        j = r.json()
        eq((j["members"], j["other_members"]), (2, 1), f"counts: {j}")
        check("Subject" not in r.body and "reporter" not in r.body, "no message, no reporter")
        r = n.request("POST", "/api/v1/spam-fingerprints/lookup",
                      {"text": "an unrelated message about the weather in Montevideo today"})
        eq(r.json()["members"], 0, "unrelated text")
    finally:
        n.cleanup()


def test_decay_delists_by_itself(binary):
    # A half-life of 2 s (a setting in hours, fractions allowed); everything
    # else is the real path.
    n = dns_node(binary, extra=["--spam-half-life-hours", str(2 / 3600)])
    try:
        toks = [n.add_member(f"D{i}", kind="isp")[1] for i in range(3)]
        for t in toks:
            post_mail(n, arf("arf-17.eml"), token=t)  # Source-IP 192.0.2.3
        eq(lookup(n.dns, "192.0.2.3").a, ["127.0.0.2"], "listed")
        exp = n.request("GET", "/api/v1/reputation?value=192.0.2.3").json()["listing"]["expires"]
        check(exp is not None, "a reputation listing has an expiry")
        start = time.time()
        wait_for(lambda: lookup(n.dns, "192.0.2.3").rcode == 3, 20, "decayed listing delisted")
        check(time.time() - start > 1.0, "not delisted at once")
        check("dnsbl_expired value=192.0.2.3" in n.read_log(), "expiry logged")
        eq(n.request("GET", "/api/v1/reputation?value=192.0.2.3").json()["listing"], None,
           "listing row gone")
    finally:
        n.cleanup()


def test_admin_list_delist_and_delisting_requests(binary):
    n = dns_node(binary)
    try:
        _, analyst = n.add_member("CERT-BR", role="analyst")
        ip = "198.51.100.7"
        out = n.cli("dnsbl", "list", ip, "--reason", "botnet controller seen by two members")
        eq(out.returncode, 0, out.stderr)
        t0 = time.time()
        wait_for(lambda: lookup(n.dns, ip).a == ["127.0.0.5"], 1.0, "visible within 1 s")
        t = lookup(n.dns, ip, 16, tcp)
        check("botnet controller" in t.txt[0], t.txt)
        check(time.time() - t0 < 1.0, "within a second")
        # analysts may not list or delist
        r = n.request("POST", "/api/v1/dnsbl/listings", {"value": "192.0.2.1", "reason": "x"},
                      token=analyst)
        eq(r.status, 403, "analyst cannot list")
        eq(n.request("POST", "/api/v1/dnsbl/listings", {"value": "192.0.2.1"}).status, 422,
           "reason required")
        eq(n.request("POST", "/api/v1/dnsbl/listings",
                     {"value": "192.0.2.300", "reason": "x"}).status, 422, "bad value")
        # a delisting request: only from the member whose constituency holds the source
        r = n.request("POST", "/api/v1/dnsbl/delisting-requests",
                      {"value": ip, "reason": "our customer cleaned the host"}, token=analyst)
        eq(r.status, 403, f"outside the requester's constituency: {r.body}")
        check("constituency" in r.json()["error"]["message"], r.body)
        eq(n.request("PUT", "/api/v1/constituency", {"cidrs": ["198.51.100.0/24"]},
                     token=analyst).status, 200, "the analyst declares its networks")
        # recorded, pending, decided by an admin
        r = n.request("POST", "/api/v1/dnsbl/delisting-requests",
                      {"value": ip, "reason": "our customer cleaned the host"}, token=analyst)
        eq(r.status, 201, r.body)
        req = r.json()
        eq(req["outcome"], "pending", "pending")
        lst = n.request("GET", "/api/v1/dnsbl/delisting-requests", token=analyst).json()
        eq([x["id"] for x in lst["items"]], [req["id"]], "the analyst sees its request")
        eq(lookup(n.dns, ip).a, ["127.0.0.5"], "a request alone does not delist")
        r = n.request("POST", f"/api/v1/dnsbl/delisting-requests/{req['id']}/decision",
                      {"outcome": "rejected", "reason": "still active"})
        eq(r.status, 200, r.body)
        r = n.request("POST", f"/api/v1/dnsbl/delisting-requests/{req['id']}/decision",
                      {"outcome": "accepted"})
        eq(r.status, 409, "decided once")
        # admin delist through the CLI, recorded with the reason
        out = n.cli("dnsbl", "delist", ip, "--reason", "false positive confirmed")
        eq(out.returncode, 0, out.stderr)
        eq(lookup(n.dns, ip).rcode, 3, "delisted")
        out = n.cli("dnsbl", "delist", ip, "--reason", "again")
        eq(out.returncode, 1, "delisting an unlisted value fails")
        con = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        rows = con.execute("SELECT action, value, reason FROM spam_actions ORDER BY seq").fetchall()
        con.close()
        check(("delist", ip, "false positive confirmed") in rows, f"recorded: {rows}")
        check(("list", ip, "botnet controller seen by two members") in rows, rows)
        # DELETE with ?reason=
        n.request("POST", "/api/v1/dnsbl/listings", {"value": "2001:db8:5::/48", "reason": "r"})
        a = udp(n.dns, query("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.5.0.0.0.8.b.d.0.1.0.0.2."
                             + ZONE))
        eq(a.a, ["127.0.0.5"], "IPv6 prefix listed")
        r = n.request("DELETE", "/api/v1/dnsbl/listings/example.com?reason=x")
        eq(r.status, 404, "not listed")
    finally:
        n.cleanup()


def test_import_export_round_trip(binary):
    n = dns_node(binary)
    m = None
    try:
        zone = ("# an rbldnsd ip4set\n:127.0.0.2:Listed by the old rbldnsd\n"
                "203.0.113.0/24\n198.51.100.9 :4:malware host\n203.0.113.77\n!203.0.113.8\n"
                "10.1.2\n")
        f = os.path.join(n.dir, "zone.ip4set")
        open(f, "w").write(zone)
        out = n.cli("dnsbl", "import", f)
        eq(out.returncode, 0, out.stderr)
        check("imported 5" in out.stdout, out.stdout)
        eq(lookup(n.dns, "203.0.113.5").a, ["127.0.0.2"], "prefix")
        eq(lookup(n.dns, "203.0.113.8").rcode, 3, "exclusion")
        eq(lookup(n.dns, "10.1.2.3").a, ["127.0.0.2"], "short form /24")
        eq(lookup(n.dns, "198.51.100.9").a, ["127.0.0.4"], "own code")
        check("old rbldnsd" in lookup(n.dns, "203.0.113.5", 16).txt[0], "default TXT")
        r = n.request("POST", "/api/v1/dnsbl/import?format=ip4set", raw=b"192.0.2.1\n192.0.2.999\n",
                      content_type="text/plain")
        eq(r.status, 422, r.body)
        check("line 2" in r.body, r.body)
        eq(lookup(n.dns, "192.0.2.1").rcode, 3, "nothing applied from a bad file")
        # domains (dnset) and csv
        r = n.request("POST", "/api/v1/dnsbl/import?format=dnset",
                      raw=b"spam.example\n*.bad.example :3:phishing kit\n", content_type="text/plain")
        eq(r.status, 200, r.body)
        eq(udp(n.dns, query("spam.example." + ZONE)).a, ["127.0.0.2"], "domain")
        eq(udp(n.dns, query("x.bad.example." + ZONE)).a, ["127.0.0.3"], "wildcard")
        exp = n.cli("export", "--format", "rbldnsd")
        eq(exp.returncode, 0, exp.stderr)
        check("203.0.113.0/24 :127.0.0.2:Listed by the old rbldnsd" in exp.stdout, exp.stdout)
        check("!203.0.113.8" in exp.stdout, exp.stdout)
        dn = n.cli("export", "--format", "rbldnsd-dnset").stdout
        check("*.bad.example :127.0.0.3:phishing kit" in dn, dn)
        csv = n.cli("export", "--format", "csv")
        check(csv.stdout.startswith("value,code,reason") and "198.51.100.9,4" in csv.stdout,
              csv.stdout)
        eq(n.request("GET", "/api/v1/dnsbl/export?format=nope").status, 422, "bad format")
        # into a second node, from the first one's exports: the same answers
        m = dns_node(binary)
        f2 = os.path.join(n.dir, "export.ip4set")
        open(f2, "w").write(exp.stdout)
        eq(m.cli("dnsbl", "import", f2).returncode, 0, "re-import ip4set")
        f3 = os.path.join(n.dir, "export.csv")
        open(f3, "w").write(csv.stdout)
        out = m.cli("dnsbl", "import", f3, "--format", "csv")
        eq(out.returncode, 0, out.stderr)
        for ip in ("203.0.113.5", "203.0.113.8", "198.51.100.9", "10.1.2.3", "192.0.2.1"):
            a, b = lookup(n.dns, ip), lookup(m.dns, ip)
            eq((b.rcode, b.a), (a.rcode, a.a), f"same answer for {ip}")
        eq(udp(m.dns, query("x.bad.example." + ZONE)).a, ["127.0.0.3"], "csv carried names")
    finally:
        n.cleanup()
        if m:
            m.cleanup()


def test_amber_indicator_never_in_dns(binary):
    n = dns_node(binary)
    try:
        amber = stixgen.bundle([stixgen.indicator("[ipv4-addr:value = '203.0.113.99']",
                                                  tlp="amber")])
        r = n.request("POST", "/api/v1/reports?audience=all", raw=stixgen.dumps(amber),
                      content_type="application/stix+json;version=2.1")
        eq(r.status, 201, r.body)
        eq(r.json()["tlp"], "amber", "stored as amber")
        time.sleep(1.5)  # longer than the incident feed's poll
        for over in (udp, tcp):
            eq(lookup(n.dns, "203.0.113.99", 1, over).rcode, 3, "AMBER never answered")
            eq(lookup(n.dns, "203.0.113.99", 16, over).rcode, 3, "AMBER never answered (TXT)")
        exp = n.request("GET", "/api/v1/dnsbl/export?format=csv").body
        check("203.0.113.99" not in exp, "not exported either")
    finally:
        n.cleanup()


def domain_query(port, name, qtype=1):
    return udp(port, query(name + "." + ZONE, qtype))


def test_clear_incident_indicators_feed_the_list(binary):
    """TLP:CLEAR indicators meant for blocking, shared with everyone, are answered
    with code 9 and their report in the TXT; nothing else from incident reports is."""
    n = dns_node(binary)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())

    def post(objects, audience="?audience=all"):
        r = n.request("POST", "/api/v1/reports" + audience,
                      raw=stixgen.dumps(stixgen.bundle(objects)),
                      content_type="application/stix+json;version=2.1")
        eq(r.status, 201, r.body)
        return r.json()["id"]

    try:
        benign = stixgen.indicator("[ipv4-addr:value = '198.51.100.78']", tlp="clear",
                                   modified=now)
        benign["indicator_types"] = ["benign"]
        post([benign])
        post([stixgen.indicator("[ipv4-addr:value = '198.51.100.79']", tlp="clear",
                                modified=now)], audience="")  # the originator alone
        old = stixgen.indicator("[ipv4-addr:value = '198.51.100.80']", tlp="clear")
        old["created"] = old["modified"] = old["valid_from"] = stixgen.ts(-30)  # 40 days ago
        post([old])
        blocking = stixgen.indicator("[ipv4-addr:value = '198.51.100.77'] OR "
                                     "[domain-name:value = 'bad-host.example.test']",
                                     tlp="clear", modified=now)
        rid = post([blocking])
        wait_for(lambda: lookup(n.dns, "198.51.100.77").rcode == 0, 10, "incident IPv4 listed")
        for over in (udp, tcp):
            a = lookup(n.dns, "198.51.100.77", 1, over)
            eq(a.a, ["127.0.0.9"], f"code 9 over {over.__name__}")
            t = lookup(n.dns, "198.51.100.77", 16, over)
            check(t.txt and f"incident report {rid}" in t.txt[0], f"TXT names the report: {t.txt}")
        eq(domain_query(n.dns, "bad-host.example.test").a, ["127.0.0.9"], "the domain too")
        # the reports before it were indexed first: their verdicts are final
        eq(lookup(n.dns, "198.51.100.78").rcode, 3, "an indicator not meant for blocking")
        eq(lookup(n.dns, "198.51.100.79").rcode, 3, "a report not shared with everyone")
        eq(lookup(n.dns, "198.51.100.80").rcode, 3, "an indicator past its half-life")
        # listed until the indicator's half-life (14 days for addresses), by the originator
        rows = n.request("GET", "/api/v1/dnsbl/listings?source=incident").json()["items"]
        eq(sorted(x["value"] for x in rows), ["198.51.100.77", "bad-host.example.test"],
           "only the two values are listed from incident reports")
        check(all(x["expires"] and x["code"] == 9 for x in rows), f"listings: {rows}")
        # the provider revokes the indicator: what it listed goes
        later = time.strftime("%Y-%m-%dT%H:%M:%S.500Z", time.gmtime(time.time() + 1))
        post([dict(blocking, modified=later, revoked=True)])
        wait_for(lambda: lookup(n.dns, "198.51.100.77").rcode == 3, 10, "revoked: delisted")
        eq(domain_query(n.dns, "bad-host.example.test").rcode, 3, "the domain too")
    finally:
        n.cleanup()


def test_rfc5782_entries_and_dns_errors(binary):
    n = dns_node(binary)
    try:
        eq(lookup(n.dns, "127.0.0.2").a, ["127.0.0.2"], "127.0.0.2 listed")
        check(lookup(n.dns, "127.0.0.2", 16).txt, "127.0.0.2 has a TXT")
        eq(lookup(n.dns, "127.0.0.1").rcode, 3, "127.0.0.1 not listed")
        v6 = "2.0.0.0.0.0.f.7.f.f.f.f." + "0." * 20 + ZONE
        eq(udp(n.dns, query(v6)).a, ["127.0.0.2"], "::FFFF:7F00:2 listed")
        v6n = "1.0.0.0.0.0.f.7.f.f.f.f." + "0." * 20 + ZONE
        eq(udp(n.dns, query(v6n)).rcode, 3, "::FFFF:7F00:1 not listed")
        eq(udp(n.dns, query("TEST." + ZONE)).a, ["127.0.0.2"], "TEST listed")
        eq(udp(n.dns, query("INVALID." + ZONE)).rcode, 3, "INVALID not listed")
        eq(tcp(n.dns, query("test." + ZONE)).a, ["127.0.0.2"], "TEST over TCP")
        # apex, outside the zone, EDNS
        soa = udp(n.dns, query(ZONE, 6))
        eq((soa.rcode, soa.types), (0, [6]), "SOA at the apex")
        eq(udp(n.dns, query("example.org", 1)).rcode, 5, "REFUSED outside the zone")
        eq(udp(n.dns, query(ip4name("127.0.0.2"), 1, edns=True)).a, ["127.0.0.2"], "EDNS0")
        nx = lookup(n.dns, "192.0.2.250")
        eq((nx.rcode, nx.nscount), (3, 1), "NXDOMAIN with the SOA")
        # malformed: QDCOUNT 2, truncated header, compression loop, overlong label
        q = bytearray(query(ip4name("127.0.0.2"), qid=7))
        q[5] = 2
        a = udp(n.dns, bytes(q))
        eq((a.id, a.rcode), (7, 1), "QDCOUNT 2 -> FORMERR")
        loop = struct.pack(">HHHHHH", 8, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
        eq(udp(n.dns, loop).rcode, 1, "compression loop -> FORMERR")
        long_label = struct.pack(">HHHHHH", 9, 0x0100, 1, 0, 0, 0) + b"\x50" + b"a" * 80 + b"\0" + \
            struct.pack(">HH", 1, 1)
        eq(udp(n.dns, long_label).rcode, 1, "label over 63 -> FORMERR")
        eq(tcp(n.dns, bytes(q)).rcode, 1, "FORMERR over TCP too")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.5)
        s.sendto(b"\x01\x02\x03", ("127.0.0.1", n.dns))
        try:
            s.recvfrom(512)
            raise AssertionError("a 3-byte message got an answer")
        except socket.timeout:
            pass
        s.close()
        # the server still answers after all that
        eq(lookup(n.dns, "127.0.0.2").a, ["127.0.0.2"], "still serving")
    finally:
        n.cleanup()


if __name__ == "__main__":
    run([test_clear_incident_indicators_feed_the_list,
         test_reports_list_a_source_answered_over_udp_and_tcp,
         test_every_shared_arf_file_handled,
         test_ingest_mail_exit_codes,
         test_fingerprint_lookup_counts_members_only,
         test_decay_delists_by_itself,
         test_admin_list_delist_and_delisting_requests,
         test_import_export_round_trip,
         test_amber_indicator_never_in_dns,
         test_rfc5782_entries_and_dns_errors], sys.argv[1])
