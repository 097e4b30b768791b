"""The DNS blocklist as mail operators and their resolvers see it (issue 12):
RFC 5782 test entries asked with dig (directly and through unbound), the
SOA/NS/TTL settings, the query counters on /metrics, and TCP DNS under slow
clients.
Usage: test_dns.py ATALAYA_BINARY"""
import ipaddress
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Node, check, eq, run  # noqa: E402
from test_spam import free_dns_port, query, tcp, udp  # noqa: E402

ZONE = "bl.example.org"  # as in the README


def dns_node(binary, *settings):
    """A node started as the README shows, plus `settings` flags."""
    n = Node(binary)
    n.dns = free_dns_port(n.port)
    n.extra += ["--dns", f"127.0.0.1:{n.dns}", "--dnsbl-zone", ZONE, *settings]
    n.start()
    return n


def dig(n, name, qtype="A", *opts):
    """dig's answer (and authority) records as [(owner, ttl, type, rdata)] and
    the status, the way an operator checks a DNSBL."""
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(n.dns), "+time=2", "+tries=1",
                          *opts, name, qtype], capture_output=True, text=True, timeout=20)
    check(out.returncode == 0, f"dig {name} {qtype}: {out.stdout}{out.stderr}")
    m = re.search(r"status: (\w+)", out.stdout)
    check(m, f"dig {name} {qtype}: no status in {out.stdout}")
    records, section = [], None
    for line in out.stdout.splitlines():
        if line.startswith(";; ANSWER SECTION") or line.startswith(";; AUTHORITY SECTION"):
            section = line
            continue
        if not line.strip() or line.startswith(";"):
            section = None if not line.strip() else section
            continue
        if section:
            f = line.split(None, 4)
            records.append((f[0].lower(), int(f[1]), f[3], f[4]))
    return m.group(1), records


def nibbles(addr):
    return ".".join(reversed(ipaddress.ip_address(addr).exploded.replace(":", ""))) + "." + ZONE


def test_rfc5782_test_entries_with_dig(binary):
    if not shutil.which("dig"):
        print("skip: dig not installed (Debian dnsutils)")
        return
    n = dns_node(binary)
    try:
        for name, what in ((nibbles("::FFFF:7F00:2"), "::FFFF:7F00:2"),
                           (nibbles("::FFFF:7F00:2").upper(), "::FFFF:7F00:2 in capitals"),
                           ("2.0.0.127." + ZONE, "127.0.0.2")):
            st, rr = dig(n, name, "A")
            eq((st, [r[2:] for r in rr]), ("NOERROR", [("A", "127.0.0.2")]), what + " A")
            st, rr = dig(n, name, "TXT")
            eq((st, [r[2] for r in rr]), ("NOERROR", ["TXT"]), what + " TXT")
            check("RFC 5782 test entry" in rr[0][3], f"{what} TXT text: {rr}")
            st, rr = dig(n, name, "A", "+tcp")
            eq([r[3] for r in rr], ["127.0.0.2"], what + " A over TCP")
        for name, what in ((nibbles("::FFFF:7F00:1"), "::FFFF:7F00:1"),
                           ("1.0.0.127." + ZONE, "127.0.0.1")):
            for qtype in ("A", "TXT"):
                st, rr = dig(n, name, qtype)
                eq((st, [r[2] for r in rr]), ("NXDOMAIN", ["SOA"]), f"{what} {qtype} not listed")
    finally:
        n.cleanup()


UNBOUND_CONF = """server:
    interface: 127.0.0.1
    port: {port}
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{dir}"
    pidfile: ""
    use-syslog: no
    logfile: "{dir}/unbound.log"
    verbosity: 1
    num-threads: 1
    so-reuseport: no
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "iterator"
    qname-minimisation: yes
    qname-minimisation-strict: {strict}
remote-control:
    control-enable: no
stub-zone:
    name: "{zone}"
    stub-addr: 127.0.0.1@{dns}
"""


class Resolver:
    """An unbound of our own on a free loopback port (never 53), with our zone
    as a stub zone: how mail servers reach a DNSBL."""

    def __init__(self, n, strict):
        self.dir = os.path.join(n.dir, "unbound-strict" if strict else "unbound")
        os.makedirs(self.dir)
        self.dns = free_dns_port(n.dns)
        conf = os.path.join(self.dir, "unbound.conf")
        with open(conf, "w") as f:
            f.write(UNBOUND_CONF.format(port=self.dns, dir=self.dir, zone=ZONE, dns=n.dns,
                                        strict="yes" if strict else "no"))
        self.proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr"), "w"))
        for _ in range(100):
            out = subprocess.run(["dig", "@127.0.0.1", "-p", str(self.dns), "+time=1",
                                  "+tries=1", ZONE, "SOA"], capture_output=True, text=True)
            if "status: NOERROR" in out.stdout:
                return
            check(self.proc.poll() is None, f"unbound exited: {self.log()}")
            time.sleep(0.1)
        raise AssertionError(f"unbound not answering: {self.log()}")

    def log(self):
        text = ""
        for name in ("stderr", "unbound.log"):
            try:
                text += open(os.path.join(self.dir, name)).read()
            except OSError:
                pass
        return text

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def test_rfc5782_test_entries_through_unbound(binary):
    """The RFC 5782 test entries through a recursive resolver that minimises
    the QNAME (RFC 9156): it asks 0.bl..., 0.0.bl..., 127.bl..., before the
    full name. Those names are empty non-terminals and must not be NXDOMAIN
    (RFC 8020): in strict mode unbound takes NXDOMAIN as final, and the IPv6
    test entry (32 labels, its prefix 0.0.0.0 an IPv4 name) was never listed."""
    if not shutil.which("unbound") or not shutil.which("dig"):
        print("skip: unbound or dig not installed (Debian unbound, dnsutils)")
        return
    n = dns_node(binary)
    try:
        for strict in (False, True):
            mode = "strict" if strict else "relaxed"
            res = Resolver(n, strict)
            try:
                for name, what in ((nibbles("::FFFF:7F00:2"), "::FFFF:7F00:2"),
                                   ("2.0.0.127." + ZONE, "127.0.0.2")):
                    st, rr = dig(res, name, "A")
                    eq((st, [r[2:] for r in rr]), ("NOERROR", [("A", "127.0.0.2")]),
                       f"{what} A through unbound ({mode} QNAME minimisation); "
                       f"unbound log: {res.log()}")
                    st, rr = dig(res, name, "TXT")
                    check(st == "NOERROR" and rr and "RFC 5782 test entry" in rr[0][3],
                          f"{what} TXT through unbound ({mode}): {st} {rr}")
                for name, what in ((nibbles("::FFFF:7F00:1"), "::FFFF:7F00:1"),
                                   ("1.0.0.127." + ZONE, "127.0.0.1")):
                    st, rr = dig(res, name, "A")
                    eq((st, [r[2] for r in rr]), ("NXDOMAIN", ["SOA"]),
                       f"{what} not listed through unbound ({mode})")
                # what it asked on the way: a prefix has no data, and exists
                st, rr = dig(res, "0.0.0.0." + ZONE, "A")
                eq((st, [r[2] for r in rr]), ("NOERROR", ["SOA"]),
                   f"0.0.0.0 (above the IPv6 entry) through unbound ({mode})")
            finally:
                res.stop()
        # and asked directly, the prefixes answer NOERROR without data
        for name in ("0." + ZONE, "0.0.127." + ZONE, ".".join(nibbles("::1").split(".")[8:])):
            st, rr = dig(n, name, "A")
            eq((st, [r[2] for r in rr]), ("NOERROR", ["SOA"]), f"{name}: empty non-terminal")
    finally:
        n.cleanup()


def test_listed_domains_through_unbound(binary):
    """A listed domain through a resolver that minimises the QNAME: it asks
    example.<zone>, then mail.example.<zone>, before spam.mail.example.<zone>.
    Those names have listings below them (empty non-terminals): NXDOMAIN there
    would end a strict resolver's search and hide the listing (RFC 8020)."""
    if not shutil.which("unbound") or not shutil.which("dig"):
        print("skip: unbound or dig not installed (Debian unbound, dnsutils)")
        return
    n = dns_node(binary)
    try:
        for value in ("spam.mail.example", "*.bad.example"):
            r = n.request("POST", "/api/v1/dnsbl/listings", {"value": value, "reason": "test"})
            eq(r.status, 201, f"list {value}: {r}")
        for name in ("example", "mail.example", "bad.example"):
            st, rr = dig(n, f"{name}.{ZONE}", "A")
            eq((st, [r[2] for r in rr]), ("NOERROR", ["SOA"]), f"{name}: names exist below")
        for name in ("ail.example", "www.spam.mail.example", "example.net"):
            st, rr = dig(n, f"{name}.{ZONE}", "A")
            eq(st, "NXDOMAIN", f"{name}: nothing there")
        for strict in (False, True):
            mode = "strict" if strict else "relaxed"
            res = Resolver(n, strict)
            try:
                for name in ("spam.mail.example", "a.b.bad.example"):
                    st, rr = dig(res, f"{name}.{ZONE}", "A")
                    eq((st, [r[2] for r in rr]), ("NOERROR", ["A"]),
                       f"{name} through unbound ({mode} QNAME minimisation): {res.log()}")
                st, rr = dig(res, f"www.spam.mail.example.{ZONE}", "A")
                eq(st, "NXDOMAIN", f"a name below an exact listing ({mode})")
            finally:
                res.stop()
    finally:
        n.cleanup()


def test_soa_ns_ttl_settings_with_dig(binary):
    if not shutil.which("dig"):
        print("skip: dig not installed (Debian dnsutils)")
        return
    n = dns_node(binary, "--dnsbl-ns", "a.ns.example.net,b.ns.example.net",
                 "--dnsbl-soa-rname", "abuse@example.net", "--dnsbl-soa-serial", "2026120301",
                 "--dnsbl-soa-refresh", "7200", "--dnsbl-soa-retry", "900",
                 "--dnsbl-soa-expire", "1209600", "--dnsbl-soa-minimum", "120",
                 "--dnsbl-ttl", "1800", "--dnsbl-ns-ttl", "86400")
    try:
        st, rr = dig(n, ZONE, "SOA")
        eq((st, rr), ("NOERROR", [(ZONE + ".", 86400, "SOA", "a.ns.example.net. abuse.example.net. "
                                   "2026120301 7200 900 1209600 120")]), "SOA at the apex")
        st, rr = dig(n, ZONE, "NS")
        eq(sorted((r[1], r[3]) for r in rr), [(86400, "a.ns.example.net."),
                                               (86400, "b.ns.example.net.")], "NS")
        st, rr = dig(n, "2.0.0.127." + ZONE, "A")
        eq([(r[1], r[3]) for r in rr], [(1800, "127.0.0.2")], "listed A carries dnsbl_ttl")
        st, rr = dig(n, "2.0.0.127." + ZONE, "TXT")
        eq([r[1] for r in rr], [1800], "listed TXT carries dnsbl_ttl")
        # RFC 2308: the negative answer's SOA caches for the SOA minimum
        st, rr = dig(n, "9.2.0.192." + ZONE, "A")
        eq((st, [(r[1], r[2]) for r in rr]), ("NXDOMAIN", [(120, "SOA")]), "negative TTL")
    finally:
        n.cleanup()
    # a bad value stops the start with a message naming the setting
    for flags, name in ((["--dnsbl-ns", "bad..name"], "dnsbl_ns"),
                        (["--dnsbl-soa-rname", "a.b@example.net"], "dnsbl_soa_rname"),
                        (["--dnsbl-soa-serial", "soon"], "dnsbl_soa_serial"),
                        (["--dnsbl-ttl", "0"], "dnsbl_ttl")):
        n = Node(binary)
        try:
            port = free_dns_port(n.port)
            out = subprocess.run([binary, "serve", "--data", n.data, "--listen",
                                  f"127.0.0.1:{n.port}", "--dns", f"127.0.0.1:{port}",
                                  "--dnsbl-zone", ZONE, *flags],
                                 capture_output=True, text=True, timeout=30)
            check(out.returncode != 0, f"{flags}: serve started")
            check(name in out.stderr, f"{flags}: the error names {name}: {out.stderr}")
            # the same value in a config file: `atalaya config check` names it
            conf = os.path.join(n.dir, "check.conf")
            with open(conf, "w") as f:
                f.write(f"dns_listen = 127.0.0.1:{port}\ndnsbl_zone = {ZONE}\n"
                        f"{flags[0][2:].replace('-', '_')} = {flags[1]}\n")
            out = subprocess.run([binary, "config", "check", conf], capture_output=True,
                                 text=True, timeout=30)
            check(out.returncode != 0 and name in out.stderr,
                  f"config check {flags}: {out.returncode} {out.stdout}{out.stderr}")
        finally:
            n.cleanup()


def metrics(n):
    r = n.request("GET", "/metrics", token=None)
    eq(r.status, 200, "GET /metrics")
    out = {}
    for line in r.body.splitlines():
        if line.startswith("atalaya_dns_"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out, r.body


def test_query_metrics(binary):
    n = dns_node(binary)
    try:
        before, _ = metrics(n)
        check('atalaya_dns_queries_total{transport="udp",result="listed"}' in before,
              f"DNS counters exported: {sorted(before)}")
        v4 = lambda ip: ".".join(reversed(ip.split("."))) + "." + ZONE  # noqa: E731
        for _ in range(3):
            eq(udp(n.dns, query(v4("127.0.0.2"))).a, ["127.0.0.2"], "listed over UDP")
        for _ in range(2):
            eq(udp(n.dns, query(v4("192.0.2.9"), 16)).rcode, 3, "not listed over UDP")
        r = udp(n.dns, query("0.127." + ZONE))
        eq((r.rcode, r.a), (0, []), "a prefix of address names: NOERROR, no data")
        eq(udp(n.dns, query("example.com")).rcode, 5, "refused outside the zone")
        bad = bytearray(query(v4("127.0.0.2")))
        bad[5] = 2  # QDCOUNT 2
        eq(udp(n.dns, bytes(bad)).rcode, 1, "FORMERR")
        eq(tcp(n.dns, query(v4("127.0.0.2"))).a, ["127.0.0.2"], "listed over TCP")
        eq(tcp(n.dns, query(ZONE, 6)).rcode, 0, "SOA over TCP")
        after, body = metrics(n)

        def moved(key):
            return after.get(key, 0) - before.get(key, 0)
        q = 'atalaya_dns_queries_total{transport="%s",result="%s"}'
        eq(moved(q % ("udp", "listed")), 3, "udp listed")
        eq(moved(q % ("udp", "not_listed")), 2, "udp not listed")
        eq(moved(q % ("udp", "partial")), 1, "udp partial (empty non-terminal)")
        eq(moved(q % ("udp", "refused")), 1, "udp refused")
        eq(moved(q % ("udp", "formerr")), 1, "udp formerr")
        eq(moved(q % ("tcp", "listed")), 1, "tcp listed")
        eq(moved(q % ("tcp", "apex")), 1, "tcp apex")
        eq(moved('atalaya_dns_query_types_total{qtype="TXT"}'), 2, "TXT queries")
        eq(moved('atalaya_dns_query_types_total{qtype="SOA"}'), 1, "SOA queries")
        eq(moved('atalaya_dns_query_types_total{qtype="A"}'), 6, "A queries (FORMERR has no type)")
        promtool = shutil.which("promtool")
        if promtool:
            out = subprocess.run([promtool, "check", "metrics"], input=body, text=True,
                                 capture_output=True)
            eq(out.returncode, 0, f"promtool check metrics: {out.stdout}{out.stderr}")
    finally:
        n.cleanup()


def test_tcp_slow_clients_do_not_starve_others(binary):
    """300 idle TCP connections from 127.0.0.2 (and one trickling a query
    byte by byte): a TCP query from 127.0.0.1 is answered within a second,
    UDP too, and the server closes the idle ones after dns_tcp_idle_ms."""
    n = dns_node(binary, "--dns-tcp-idle-ms", "2000")
    idle = []
    try:
        for _ in range(300):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.2", 0))
            s.settimeout(5)
            s.connect(("127.0.0.1", n.dns))
            idle.append(s)
        trickle = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        trickle.bind(("127.0.0.3", 0))
        trickle.connect(("127.0.0.1", n.dns))
        msg = query("2.0.0.127." + ZONE)
        trickle.send(struct.pack(">H", len(msg)))
        time.sleep(0.3)  # the server has seen the connections by now
        t0 = time.time()
        eq(tcp(n.dns, query("2.0.0.127." + ZONE), timeout=1.0).a, ["127.0.0.2"],
           "TCP from 127.0.0.1 answered")
        check(time.time() - t0 < 1.0, f"TCP answer took {time.time() - t0:.2f}s")
        eq(udp(n.dns, query("2.0.0.127." + ZONE), timeout=1.0).a, ["127.0.0.2"],
           "UDP answered")
        # the trickling client sends one byte every 0.4 s: that is not activity
        closed_trickle = None
        for b in msg[:20]:
            try:
                trickle.send(bytes([b]))
            except OSError:
                closed_trickle = time.time()
                break
            time.sleep(0.4)
            trickle.settimeout(0.01)
            try:
                if trickle.recv(1) == b"":
                    closed_trickle = time.time()
                    break
            except socket.timeout:
                pass
            except OSError:
                closed_trickle = time.time()
                break
        check(closed_trickle is not None and closed_trickle - t0 < 4.5,
              "a client trickling a query is closed after the idle time")
        # every idle socket is closed by the server (refused at once or idle)
        deadline = time.time() + 4
        open_left = 0
        for s in idle:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                data = s.recv(1)
                if data != b"":
                    open_left += 1
            except socket.timeout:
                open_left += 1
            except OSError:
                pass  # reset: closed
        eq(open_left, 0, "idle connections still open after the idle time")
        m, _ = metrics(n)
        check(m['atalaya_dns_tcp_closed_total{reason="per_address"}'] >= 250,
              f"connections over the per-address cap refused: {m}")
        check(m['atalaya_dns_tcp_closed_total{reason="idle"}'] >= 1, "idle closes counted")
        # still serving, over both transports
        eq(tcp(n.dns, query("2.0.0.127." + ZONE)).a, ["127.0.0.2"], "TCP after")
    finally:
        for s in idle:
            s.close()
        n.cleanup()


def test_tcp_full_table_evicts_the_longest_idle(binary):
    """With every TCP slot held by idle clients of several addresses (under the
    per-address cap), a new client still gets an answer: the connection
    idle the longest makes room."""
    n = dns_node(binary, "--dns-tcp-connections-max", "8", "--dns-tcp-per-address-max", "4")
    idle = []
    try:
        for i in range(8):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((f"127.0.0.{10 + i // 4}", 0))
            s.settimeout(5)
            s.connect(("127.0.0.1", n.dns))
            idle.append(s)
            time.sleep(0.02)
        time.sleep(0.3)
        eq(tcp(n.dns, query("2.0.0.127." + ZONE), timeout=1.0).a, ["127.0.0.2"],
           "a new client answered with the table full")
        idle[0].settimeout(2)
        eq(idle[0].recv(1), b"", "the oldest idle connection was closed to make room")
        m, _ = metrics(n)
        check(m['atalaya_dns_tcp_closed_total{reason="evicted"}'] >= 1, f"evictions counted: {m}")
    finally:
        for s in idle:
            s.close()
        n.cleanup()


if __name__ == "__main__":
    run([test_rfc5782_test_entries_with_dig,
         test_rfc5782_test_entries_through_unbound, test_listed_domains_through_unbound,
         test_soa_ns_ttl_settings_with_dig,
         test_query_metrics,
         test_tcp_slow_clients_do_not_starve_others,
         test_tcp_full_table_evicts_the_longest_idle], sys.argv[1])
