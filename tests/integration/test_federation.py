#!/usr/bin/env python3
"""Federation (issue 14): nodes on loopback exchange reports signed by their
origin; scope is never widened; a tampered envelope stores nothing; syncs resume
and rings converge without duplicates. Signatures are checked with PyNaCl
(python3-nacl), rebuilding the canonical form from docs/internals/federation.md."""
import datetime
import hashlib
import http.server
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

try:
    import nacl.signing
    import nacl.exceptions
except ImportError:  # Debian's python3-nacl lives with /usr/bin/python3
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Node, add_peer, check, eq, node_key, run, sync  # noqa: E402
from stixgen import bundle, dumps, identity, indicator, ts  # noqa: E402

STIX = "application/stix+json;version=2.1"
MANUAL = ["--federation-sync-interval-ms", "0"]  # the tests sync by hand unless they say


def nodes(bin_, names, extra=MANUAL):
    out = []
    for i, name in enumerate(names):
        out.append(Node(bin_, name=name, country=["UY", "BR", "CL", "AR", "MX"][i % 5],
                        extra_args=extra).start())
    return out


def cleanup(*ns):
    for n in ns:
        code = n.stop()  # SIGTERM: a clean stop, so that LeakSanitizer reports at exit
        log = n.read_log()
        n.cleanup()
        check(code in (0, None), f"{n.data}: serve exited {code}")
        bad = [l for l in log.splitlines() if "runtime error" in l or "Sanitizer" in l or
               l.lstrip().startswith("#")]
        check(not bad, f"sanitizer report in {n.data}: " + "\n".join(bad[:30]))


def submit(n, objects, audience, token="admin"):
    r = n.request("POST", f"/api/v1/reports?audience={audience}", raw=dumps(bundle(objects)),
                  token=token, content_type=STIX)
    eq(r.status, 201, f"submit: {r}")
    return r.json()["id"]


def wait_signed(n, rid, timeout=10):
    """Reports are signed by the indexer moments after their commit."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = n.request("GET", f"/api/v1/reports/{rid}/signature")
        if r.status == 200:
            return r.json()
        time.sleep(0.05)
    raise AssertionError(f"{rid} not signed in {timeout} s")


def report_ids(n, token="admin"):
    r = n.request("GET", "/api/v1/reports?limit=1000", token=token)
    eq(r.status, 200, f"list: {r}")
    return [x["id"] for x in r.json()["items"]]


def wait_until(what, cond, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


# ---- the canonical form, from docs/internals/federation.md

def field(b):
    return len(b).to_bytes(4, "big") + b


def canonical(env, sha256, origin_pk):
    return (b"atalaya-report-v1" + field(origin_pk) + field(env["origin_name"].encode()) +
            field(str(env["origin_member"]).encode()) + field(env["report"].encode()) +
            field(str(env["version"]).encode()) + field(str(env["signed_at"]).encode()) +
            field(env["tlp"].encode()) + field(env["audience"].encode()) +
            field(env["recipients"].encode()) + field(sha256) +
            field(str(env["size"]).encode()))


def sighting_canonical(g):
    """A sighting about a report, signed by the node where it was recorded."""
    return (b"atalaya-sighting-v1" + field(bytes.fromhex(g["signer_key"])) +
            field(g["signer_name"].encode()) + field(g["id"].encode()) +
            field(str(g["made_at"]).encode()) + field(bytes.fromhex(g["origin_key"])) +
            field(g["report"].encode()) + field(str(g["version"]).encode()) +
            field(bytes.fromhex(g["report_signature_sha256"])) + field(g["value"].encode()) +
            field(g["kind"].encode()) + field(str(g["count"]).encode()) +
            field(str(g["seen_at"]).encode()) + field(g["recipients"].encode()))


def contact_canonical(signer_pk, recipient_hex, it):
    """A point of contact as its node signs it for the node it shares it with."""
    def js(v):
        return json.dumps(v, separators=(",", ":"), sort_keys=True).encode()
    out = (b"atalaya-contact-v1" + field(signer_pk) + field(recipient_hex.encode()) +
           field(str(it["id"]).encode()))
    for k in ("member", "role", "name", "email", "phone", "pgp_fingerprint"):
        out += field((it.get(k) or "").encode())
    return (out + field(js(it["languages"])) + field(js(it["availability"])) +
            field(str(it["escalation_position"]).encode()) + field(str(it["updated"]).encode()))


def signed_get(frm, to, path, cursor=0, headers=None):
    """GET `path` of node `to` as node `frm` does (its key signs the request)."""
    sk = nacl.signing.SigningKey(open(os.path.join(frm.data, "node.key"), "rb").read()[:32])
    t = int(time.time() * 1000)
    msg = request_canonical("GET", path, cursor, t, node_key(to).split(":")[1])
    return to.request("GET", f"{path}?cursor={cursor}", token=None, headers={
        "X-Atalaya-Node": sk.verify_key.encode().hex(), "X-Atalaya-Time": str(t),
        "X-Atalaya-Signature": sk.sign(msg).signature.hex(), **(headers or {})})


def request_canonical(method, path, cursor, t, server_key_hex):
    return (b"atalaya-request-v1" + field(method.encode()) + field(path.encode()) +
            field(str(cursor).encode()) + field(str(t).encode()) + field(server_key_hex.encode()))


class FakeNode:
    """A node written in Python with PyNaCl: serves a feed of envelopes it
    signs itself (one may be tampered with after signing), and checks the
    signature of each feed request it gets."""

    def __init__(self, name="CERT-X"):
        self.key = nacl.signing.SigningKey.generate()
        self.pk_hex = self.key.verify_key.encode().hex()
        self.name = name
        self.items = []  # (seq, envelope line bytes, bundle bytes)
        self.sightings = []  # its signed sightings, as served
        self.contacts = []  # the points of contact it shares, signed, as served
        self.defer = None  # a trailer's "defer", when set
        self.stuck = False  # a trailer that says more follows, forever
        self.requests = []
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                cursor = int(urllib.parse.parse_qs(u.query).get("cursor", ["0"])[0])
                fake.requests.append((u.path, cursor, dict(self.headers)))
                ok = fake.request_ok(u.path, cursor, self.headers)
                if not ok:
                    self.send_response(401)
                    self.end_headers()
                    return
                if u.path == "/api/v1/federation/sightings":
                    body = json.dumps({"items": [g for g in fake.sightings
                                                 if g["seq"] > cursor],
                                       "cursor": cursor, "more": False}).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if u.path == "/api/v1/federation/contacts":
                    body = json.dumps({"items": fake.contacts}).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                body = b""
                last = cursor
                for seq, line, data in fake.items:
                    if seq > cursor:
                        body += line + b"\n" + data + b"\n"
                        last = seq
                trailer = {"end": True, "cursor": last, "more": False, "pending": 0,
                           "oldest": 0, "contacts": f"{len(fake.contacts)}.0.0",
                           "sightings": len(fake.sightings)}
                if fake.defer:
                    trailer.update(more=True, defer=fake.defer)
                if fake.stuck:
                    trailer.update(more=True)
                body += json.dumps(trailer).encode() + b"\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.server_key = None  # the key of the node that pulls (set by the test)

    def request_ok(self, path, cursor, headers):
        try:
            vk = nacl.signing.VerifyKey(bytes.fromhex(headers["X-Atalaya-Node"]))
            msg = request_canonical("GET", path, cursor, int(headers["X-Atalaya-Time"]),
                                    self.pk_hex)
            vk.verify(msg, bytes.fromhex(headers["X-Atalaya-Signature"]))
            return headers["X-Atalaya-Node"] == self.server_key
        except (KeyError, ValueError, nacl.exceptions.BadSignatureError):
            return False

    def offer(self, data, recipients, tlp="clear", audience='["peer:1"]', tamper=None,
              origin=None, rid=None):
        """Signs an envelope for `data` (as `origin`, another node's key, when
        forwarding; with id `rid` when given); `tamper(env, data)` may change it after."""
        key = origin or self.key
        seq = (self.items[-1][0] if self.items else 0) + 1
        rid = rid or f"report--{os.urandom(4).hex()}-{os.urandom(2).hex()}-" \
                     f"4{os.urandom(2).hex()[1:]}-a{os.urandom(2).hex()[1:]}-{os.urandom(6).hex()}"
        env = {"seq": seq, "origin_key": key.verify_key.encode().hex(), "origin_name": self.name,
               "origin_member": 1, "report": rid, "version": 1,
               "signed_at": int(time.time() * 1000), "tlp": tlp, "audience": audience,
               "recipients": ",".join(sorted(recipients)), "size": len(data)}
        sha = hashlib.sha256(data).digest()
        env["sha256"] = sha.hex()
        env["signature"] = key.sign(canonical(env, sha, key.verify_key.encode())).signature.hex()
        if tamper:
            env, data = tamper(dict(env), data)
            env["size"] = len(data)
        self.items.append((seq, json.dumps(env).encode(), data))
        return rid

    def sight(self, report_sig, origin_key, rid, recipients, value="192.0.2.200", key=None,
              tamper=None):
        """Signs a sighting of `value` about report `rid` (whose origin
        signature is `report_sig`, hex); `tamper(g)` may change it after."""
        key = key or self.key
        g = {"seq": len(self.sightings) + 1,
             "id": f"sighting--{os.urandom(4).hex()}-{os.urandom(2).hex()}-4abc-8def-"
                   f"{os.urandom(6).hex()}",
             "signer_key": key.verify_key.encode().hex(), "signer_name": self.name,
             "made_at": int(time.time() * 1000), "origin_key": origin_key, "report": rid,
             "version": 1,
             "report_signature_sha256": hashlib.sha256(bytes.fromhex(report_sig)).hexdigest(),
             "value": value, "kind": "ipv4", "count": 2, "seen_at": int(time.time() * 1000),
             "recipients": ",".join(sorted(recipients))}
        g["signature"] = key.sign(sighting_canonical(g)).signature.hex()
        if tamper:
            tamper(g)
        g["signer_key"] = self.pk_hex if key is self.key else g["signer_key"]
        self.sightings.append(g)
        return g["id"]

    def share(self, name, tamper=None):
        """Shares a point of contact with the node that pulls, signed."""
        it = {"id": len(self.contacts) + 1, "member": "CSIRT-X", "role": "crisis", "name": name,
              "email": "duty@x.example.org", "phone": "+1 555 0100", "pgp_fingerprint": None,
              "languages": ["es", "en"], "availability": {"hours": "08:00-18:00",
                                                          "time_zone": "UTC"},
              "escalation_position": 0, "updated": int(time.time() * 1000)}
        it["signature"] = self.key.sign(contact_canonical(
            self.key.verify_key.encode(), self.server_key, it)).signature.hex()
        if tamper:
            tamper(it)
        self.contacts.append(it)
        return it["id"]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def test_three_nodes_scope_alert_and_signature(bin_):
    """A submits for peer B only: B has it, verified, with an alert for its
    member's constituency; C, a peer of both, never gets it by any path."""
    a, b, c = nodes(bin_, ["CERT-A", "CERT-B", "CERT-C"])
    try:
        # B's analyst member ISP-B, whose networks the report touches
        isp_id, isp_tok = b.add_member("ISP-B", "BR")
        r = b.request("PUT", "/api/v1/constituency", {"cidrs": ["198.51.100.0/24"]},
                      token=isp_tok)
        eq(r.status, 200, f"constituency: {r}")
        c_isp, c_tok = c.add_member("ISP-C", "CL")
        r = c.request("PUT", "/api/v1/constituency", {"cidrs": ["198.51.100.0/24"]},
                      token=c_tok)
        eq(r.status, 200, f"constituency on C: {r}")
        # everyone peers with everyone; B and C give all their members what A sends
        a_b = add_peer(a, b, "CERT-B")
        a_c = add_peer(a, c, "CERT-C")
        b_a = add_peer(b, a, "CERT-A", ["all"])
        b_c = add_peer(b, c, "CERT-C", ["all"])
        c_a = add_peer(c, a, "CERT-A", ["all"])
        c_b = add_peer(c, b, "CERT-B", ["all"])
        del a_c

        # CLI: node show, peer list, audience peer:ID (unknown peers refused)
        out = a.cli("node", "show")
        eq(out.returncode, 0, f"node show: {out.stderr}")
        check(node_key(a) in out.stdout and "fingerprint" in out.stdout, "node show")
        r = a.request("POST", "/api/v1/reports?audience=peer:99", raw=dumps(bundle(
            [indicator("[ipv4-addr:value = '198.51.100.7']", tlp="clear")])),
            content_type=STIX)
        eq(r.status, 422, "an unknown peer in the audience")
        eq(r.json()["error"]["field"], "audience", "the field named")

        path = os.path.join(os.environ.get("ATALAYA_SRC", "."), "examples", "bundle.json")
        out = a.cli("report", "submit", path, "--audience", f"peer:{a_b}")
        eq(out.returncode, 0, f"report submit --audience peer:ID: {out.stderr}")
        rid = report_ids(a)[0]
        sig_a = wait_signed(a, rid)
        check(sig_a["verified"], "A verifies its own signature")
        eq(sig_a["recipients"], node_key(b).split(":")[1], "B alone is named")

        # B pulls: stored, signature kept, verified again by `report verify`
        pb = sync(b, b_a)
        eq(pb["last_error"], None, "B's sync is clean")
        eq(pb["reports_in"], 1, "one report in")
        check(pb["bytes_in"] > 0, "bytes counted")
        eq(report_ids(b), [rid], "B holds the report under its origin id")
        eq(b.request("GET", f"/api/v1/reports/{rid}/bundle").body,
           a.request("GET", f"/api/v1/reports/{rid}/bundle").body, "the bytes as A kept them")
        out = b.cli("report", "verify", rid)
        eq(out.returncode, 0, f"report verify on B: {out.stdout}{out.stderr}")
        v = json.loads(out.stdout)
        eq(v["signature"], sig_a["signature"], "the origin's signature, kept")
        eq(v["origin"]["public_key"], node_key(a), "origin A")
        eq(v["received_from"], "CERT-A", "through A")
        eq(v["audience"], [f"peer:{a_b}"], "the origin's audience as A wrote it")
        # one byte of the bytes B keeps (a small report: in B's store) changed
        db = sqlite3.connect(os.path.join(b.data, "atalaya.db"), timeout=10)
        (seq, kept), = db.execute("SELECT b.report, b.body FROM report_bodies b JOIN reports r "
                                  "ON r.seq = b.report WHERE r.id = ?", (rid,)).fetchall()
        changed = bytearray(kept)
        changed[len(changed) // 2] ^= 1
        for body in (bytes(changed), kept):
            db.execute("UPDATE report_bodies SET body = ? WHERE report = ?", (body, seq))
            db.commit()
            out = b.cli("report", "verify", rid)
            if body != kept:
                check(out.returncode != 0 and "kept bytes changed" in out.stdout,
                      f"a changed byte in the store fails verification: {out.stdout}")
        db.close()
        eq(out.returncode, 0, f"verifies again once restored: {out.stdout}")

        # early warning on B for ISP-B
        deadline = time.time() + 10
        items = []
        while time.time() < deadline and not items:
            items = b.request("GET", "/api/v1/alerts", token=isp_tok).json()["items"]
            time.sleep(0.05)
        eq(len(items), 1, "an alert on B for A's report touching ISP-B's network")
        eq(items[0]["report"]["id"] if isinstance(items[0].get("report"), dict)
           else items[0].get("report"), rid, "the alert names the report")
        eq(b.request("GET", f"/api/v1/reports/{rid}", token=isp_tok).status, 200,
           "ISP-B reads it (B gave A's reports to all)")

        # C: directly from A, and forwarded by B: nothing
        pc = sync(c, c_a)
        eq(pc["last_error"], None, f"C's sync from A: {pc}")
        pc = sync(c, c_b)
        eq(pc["last_error"], None, f"C's sync from B: {pc}")
        eq(pc["reports_in"], 0, "nothing from B")
        eq(report_ids(c), [], "C stores nothing")
        eq(c.request("GET", f"/api/v1/reports/{rid}").status, 404, "no report on C")
        eq(c.request("GET", f"/api/v1/reports/{rid}/signature").status, 404, "no signature")
        eq(c.request("GET", "/api/v1/lookup?value=198.51.100.7", token=c_tok).json()["matches"],
           [], "C's lookup finds nothing")
        check(rid not in c.request("GET", "/api/v1/export").body, "C's export")
        eq(c.request("GET", "/api/v1/alerts", token=c_tok).json()["items"], [], "no alert on C")
        check("198.51.100.7" not in c.request("GET", "/api/v1/dnsbl/listings").body,
              "C's DNSBL")
        m = c.request("GET", "/metrics", token=None).body
        check('atalaya_peer_reports_in_total{peer="CERT-A"} 0' in m and
              'atalaya_peer_reports_in_total{peer="CERT-B"} 0' in m, "C's metrics")
        check(rid not in c.read_log(), "C's log never names the report")
        taxii = {"Accept": "application/taxii+json;version=2.1"}
        objs = "/taxii2/api/collections/all/objects/"
        r = b.request("GET", objs, headers=taxii)
        check(r.status == 200 and "198.51.100.7" in r.body, f"B's TAXII serves it: {r}")
        for tok in ("admin", c_tok):
            r = c.request("GET", objs, token=tok, headers=taxii)
            check(r.status == 200 and "198.51.100.7" not in r.body, f"C's TAXII: {r}")
        del b_c, c_isp

        # B's feed, asked by C's key with C's signature, never offers it
        r = b.request("GET", "/api/v1/federation/feed", token=None)
        eq(r.status, 401, "the feed needs a signed request")
        eq(r.json()["error"]["field"], "X-Atalaya-Node", "the header named")

        # peer list and /metrics on B
        out = b.cli("peer", "list")
        eq(out.returncode, 0, out.stderr)
        check("CERT-A" in out.stdout and "behind 0 reports" in out.stdout, out.stdout)
        m = a.request("GET", "/metrics", token=None).body
        check('atalaya_peer_bytes_out_total{peer="CERT-B"} ' in m and
              'atalaya_peer_bytes_out_total{peer="CERT-B"} 0\n' not in m, "A counts bytes out")
        # A's audit names B's member as the receiver, through federation.feed
        out = a.request("GET", f"/api/v1/reports/{rid}/audit").json()["items"]
        check(any(x["path"] == "federation.feed" for x in out), f"audited: {out}")
        # A stops trusting B: B's key opens nothing on A any more
        eq(a.request("DELETE", f"/api/v1/peers/{a_b}").status, 204, "peer deleted")
        p = sync(b, b_a)
        check(p["last_error"] and "not a peer of this node" in p["last_error"], f"{p}")
        eq(report_ids(b), [rid], "what B had stays")
    finally:
        cleanup(a, b, c)


def test_independent_signatures_and_tampering(bin_):
    """PyNaCl verifies a node's signature from the documented canonical form;
    a node verifies PyNaCl's; one changed byte anywhere is refused, logged,
    counted, and stores nothing."""
    (b,) = nodes(bin_, ["CERT-B"])
    x = FakeNode()
    try:
        # a node's own signature, checked with PyNaCl
        rid = submit(b, [indicator("[ipv4-addr:value = '203.0.113.9']", tlp="green")], "all")
        s = wait_signed(b, rid)
        data = b.request("GET", f"/api/v1/reports/{rid}/bundle").body.encode()
        env = {"origin_name": s["origin"]["name"], "origin_member": s["origin"]["member"],
               "report": rid, "version": s["version"], "signed_at": s["signed_at"],
               "tlp": s["tlp"], "audience": json.dumps(s["audience"], separators=(",", ":")),
               "recipients": s["recipients"], "size": len(data)}
        pk = bytes.fromhex(s["origin"]["public_key"].split(":")[1])
        vk = nacl.signing.VerifyKey(pk)
        vk.verify(canonical(env, hashlib.sha256(data).digest(), pk),
                  bytes.fromhex(s["signature"]))
        bad = data.replace(b'"name": "ind"', b'"name": "ind "')
        check(bad != data, "a byte to change")
        try:
            vk.verify(canonical(env, hashlib.sha256(bad).digest(), pk),
                      bytes.fromhex(s["signature"]))
            raise AssertionError("a changed bundle verified")
        except nacl.exceptions.BadSignatureError:
            pass
        # the same signature rides on each object served over TAXII (x_atalaya_origin)
        oid = json.loads(data)["objects"][0]["id"]
        r = b.request("GET", f"/taxii2/api/collections/all/objects/{oid}/",
                      headers={"Accept": "application/taxii+json;version=2.1"})
        eq(r.status, 200, f"TAXII object: {r}")
        o = json.loads(r.body)["objects"][0]["x_atalaya_origin"]
        eq((o["report"], o["sha256"], o["signature"]),
           (rid, hashlib.sha256(data).hexdigest(), s["signature"]), f"TAXII origin: {o}")
        opk = bytes.fromhex(o["origin_key"].split(":")[-1])
        nacl.signing.VerifyKey(opk).verify(canonical(o, bytes.fromhex(o["sha256"]), opk),
                                           bytes.fromhex(o["signature"]))

        # the fake node X offers B four reports; B pins X's key
        x.server_key = node_key(b).split(":")[1]
        b_x = add_peer(b, None, "CERT-X", ["all"], key="ed25519:" + x.pk_hex, url=x.url)
        me = x.server_key
        good = dumps(bundle([indicator("[ipv4-addr:value = '192.0.2.77']", tlp="clear",
                                       name="a name with spaces")]))
        ok_id = x.offer(good, [me])
        p = sync(b, b_x)
        eq(p["last_error"], None, f"a PyNaCl signature verifies on B: {p}")
        check(x.requests and x.requests[-1][2].get("X-Atalaya-Signature"),
              "B signs its feed requests (checked by X with PyNaCl)")
        eq(report_ids(b).count(ok_id), 1, "stored")
        out = b.cli("report", "verify", ok_id)
        eq(out.returncode, 0, f"verify: {out.stdout}")

        before = sorted(report_ids(b))

        def space_in_string(env, data):
            return env, data.replace(b"a name with spaces", b"a name with  spaces")

        def scope_widened(env, data):
            env["tlp"] = "clear"
            env["audience"] = '["all"]'
            return env, data

        def flipped_sig(env, data):
            s = bytearray(bytes.fromhex(env["signature"]))
            s[10] ^= 1
            env["signature"] = s.hex()
            return env, data

        for label, tamper, tlp in [("whitespace inside a JSON string", space_in_string, "clear"),
                                   ("scope widened", scope_widened, "amber"),
                                   ("a signature bit", flipped_sig, "clear")]:
            data = dumps(bundle([indicator("[ipv4-addr:value = '192.0.2.78']", tlp=tlp,
                                           name="a name with spaces")]))
            bad_id = x.offer(data, [me], tlp=tlp, tamper=tamper)
            p = sync(b, b_x)
            check(p["last_error"] and bad_id in p["last_error"],
                  f"{label}: refused with a reason: {p}")
            eq(sorted(report_ids(b)), before, f"{label}: nothing stored")
            eq(b.request("GET", f"/api/v1/reports/{bad_id}").status, 404, label)
            check(f"event=peer_refused peer=CERT-X report={bad_id}" in b.read_log(),
                  f"{label}: logged")
            x.items.pop()  # X stops sending it
        eq(p["errors"], 3, "three refusals counted")
        out = b.cli("peer", "list")
        check("last error" in out.stdout and "errors 3" in out.stdout, out.stdout)
        m = b.request("GET", "/metrics", token=None).body
        check('atalaya_peer_errors_total{peer="CERT-X"} 3' in m, "metrics count errors")

        # forwarded from an origin B does not know: skipped, and what follows still comes
        stranger = nacl.signing.SigningKey.generate()
        far_id = x.offer(dumps(bundle([indicator("[ipv4-addr:value = '192.0.2.80']",
                                                 tlp="clear")])), [me], origin=stranger)
        next_id = x.offer(dumps(bundle([indicator("[ipv4-addr:value = '192.0.2.81']",
                                                  tlp="clear")])), [me])
        p = sync(b, b_x)
        eq(p["last_error"], None, f"an unknown origin holds nothing up: {p}")
        check(next_id in report_ids(b) and far_id not in report_ids(b), "skipped, not stored")
        check(f"event=peer_skipped peer=CERT-X report={far_id}" in b.read_log(), "logged")
        before = sorted(report_ids(b))

        # not named among the recipients: refused
        other = nacl.signing.SigningKey.generate().verify_key.encode().hex()
        bad_id = x.offer(dumps(bundle([indicator("[ipv4-addr:value = '192.0.2.79']",
                                                 tlp="clear")])), [other])
        p = sync(b, b_x)
        check(bad_id in (p["last_error"] or "") and "recipients" in p["last_error"] or
              "did not name" in (p["last_error"] or ""), f"not a recipient: {p}")
        eq(sorted(report_ids(b)), before, "nothing stored")
    finally:
        x.close()
        cleanup(b)


def test_page_committed_as_one_batch(bin_):
    """A feed page's reports are verified, then committed together: more than
    one transaction's worth arrive each once; a report refused in the middle
    of a page (a wrong signature, or the creator rule at the commit) stores
    nothing of itself, what precedes it is kept, and the cursor stays before
    it, so what follows comes once the peer stops sending it."""
    (b,) = nodes(bin_, ["CERT-B"])
    x = FakeNode()
    try:
        x.server_key = me = node_key(b).split(":")[1]
        b_x = add_peer(b, None, "CERT-X", ["all"], key="ed25519:" + x.pk_hex, url=x.url)

        def one(n, **kw):
            return dumps(bundle([indicator(f"[ipv4-addr:value = '10.{n // 250}.{n % 250}.1']",
                                           tlp="clear", **kw)]))

        many = [x.offer(one(i), [me]) for i in range(300)]  # > one batch (256)
        p = sync(b, b_x)
        eq((p["last_error"], p["reports_in"], p["cursor"]), (None, 300, 300), f"300: {p}")
        ids = report_ids(b)
        eq(sorted(ids), sorted(many), "each report of the page once")
        # indexed (one pass for the batch): an address of the last one is found
        wait_until("the last report is indexed", lambda: many[299] in b.request(
            "GET", "/api/v1/lookup?value=10.1.49.1").body)

        # the creator rule refuses the third of four at the commit
        oid = "indicator--" + "5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
        mine = submit(b, [indicator("[ipv4-addr:value = '192.0.2.90']", tlp="clear", oid=oid)],
                      "all")
        g1, g2 = x.offer(one(1001), [me]), x.offer(one(1002), [me])
        clash = x.offer(dumps(bundle([indicator("[ipv4-addr:value = '192.0.2.90']",
                                                tlp="clear", oid=oid, modified=ts(1))])), [me])
        g3 = x.offer(one(1003), [me])
        p = sync(b, b_x)
        check(p["last_error"] and clash in p["last_error"], f"refused, named: {p}")
        eq(p["cursor"], 302, "the cursor stays before the refused report")
        ids = report_ids(b)
        check(g1 in ids and g2 in ids, "what precedes it is committed")
        check(clash not in ids and g3 not in ids, "nothing of it, nothing after it")
        check(f"event=peer_refused peer=CERT-X report={clash}" in b.read_log(), "logged")
        eq(b.request("GET", f"/api/v1/objects/{oid}").json()["id"], oid, "B's object")
        check(mine in report_ids(b), "B's own report untouched")

        # a wrongly signed one in the middle of the next page
        x.items = [i for i in x.items if i[0] != 303]  # X stops sending the clash

        def flipped_sig(env, data):
            sig = bytearray(bytes.fromhex(env["signature"]))
            sig[3] ^= 1
            env["signature"] = sig.hex()
            return env, data

        g4 = x.offer(one(1004), [me])
        bad = x.offer(one(1005), [me], tamper=flipped_sig)
        g5 = x.offer(one(1006), [me])
        p = sync(b, b_x)
        check(p["last_error"] and bad in p["last_error"] and "signature" in p["last_error"],
              f"refused: {p}")
        ids = report_ids(b)
        check(g3 in ids and g4 in ids, "the page before it is kept")
        check(bad not in ids and g5 not in ids, "nothing of it, nothing after it")
        eq(p["cursor"], 305, "the cursor stays before it")
        x.items = [i for i in x.items if i[0] != 306]
        p = sync(b, b_x)
        eq(p["last_error"], None, f"resumes: {p}")
        ids = report_ids(b)
        eq([ids.count(r) for r in (g1, g2, g3, g4, g5)], [1] * 5, "each once")
        eq(len(ids), 300 + 1 + 5, "nothing else")
        eq(p["errors"], 2, "two refusals counted")

        # a file left by a crash between keeping a page's files and its commit
        # (no row) does not block the report when the peer offers it again
        data = one(1007)
        g6 = x.offer(data, [me])
        with open(os.path.join(b.data, "reports", g6 + ".json"), "wb") as fh:
            fh.write(b"partial")
        eq(sync(b, b_x)["last_error"], None, "an orphan file is replaced")
        eq(b.request("GET", f"/api/v1/reports/{g6}/bundle").body.encode(), data,
           "the bytes signed")

        # a relay's page that defers to an origin B never offered to pull itself
        x.defer = "ab" * 8
        p = sync(b, b_x)
        check(p["last_error"] and "defer" in p["last_error"], f"refused, named: {p}")
        x.defer = None
        eq(sync(b, b_x)["last_error"], None, "clean again")
        # a page that says more follows but moves nothing: the sync stops, named
        x.stuck = True
        p = sync(b, b_x)
        check(p["last_error"] and "moved nothing" in p["last_error"], f"stopped, named: {p}")
        x.stuck = False
        eq(sync(b, b_x)["last_error"], None, "clean again")

        # a peer's report with the id of one of B's own: refused, B's kept as it was
        before = b.request("GET", f"/api/v1/reports/{mine}/bundle").body
        x.offer(one(1008), [me], rid=mine)
        p = sync(b, b_x)
        check(p["last_error"] and mine in p["last_error"] and "already stored" in p["last_error"],
              f"refused, named: {p}")
        eq(b.request("GET", f"/api/v1/reports/{mine}/bundle").body, before, "B's bytes kept")
        eq(report_ids(b).count(mine), 1, "held once")
    finally:
        x.close()
        cleanup(b)


def test_sightings_signed_by_the_forwarder(bin_):
    """A member of B records a sighting about a report that came from A: it
    travels to A (its origin) and to C (a recipient of the report) as an
    object signed by B that names the original's signed version; each node
    verifies it and shows it, marked with its signer, to those who may see
    the report, and to nobody else; never twice, never onwards."""
    a, b, c = nodes(bin_, ["CERT-A", "CERT-B", "CERT-C"])
    try:
        ma, ta = a.add_member("CSIRT-A", "UY")
        _, ta2 = a.add_member("Other-A", "UY")
        mb, tb = b.add_member("ISP-B", "BR")
        mc, tc = c.add_member("ISP-C", "CL")
        _, tc2 = c.add_member("Other-C", "CL")
        a_b, a_c = add_peer(a, b, "CERT-B"), add_peer(a, c, "CERT-C")
        b_a = add_peer(b, a, "CERT-A", [f"member:{mb}"])
        b_c = add_peer(b, c, "CERT-C")
        c_a = add_peer(c, a, "CERT-A", [f"member:{mc}"])
        c_b = add_peer(c, b, "CERT-B")
        both = submit(a, [indicator("[ipv4-addr:value = '198.51.100.70']", tlp="amber")],
                      f"peer:{a_b},peer:{a_c}", token=ta)
        b_only = submit(a, [indicator("[ipv4-addr:value = '198.51.100.71']", tlp="amber")],
                        f"peer:{a_b}", token=ta)
        wait_until("signed", lambda: a.request("GET", f"/api/v1/reports/{b_only}/signature",
                                               token=ta).status == 200)
        eq(sync(b, b_a)["last_error"], None, "B pulls A")
        eq(sync(c, c_a)["last_error"], None, "C pulls A")

        r = b.request("POST", f"/api/v1/reports/{both}/sightings",
                      {"value": "198.51.100.70", "count": 3,
                       "seen_at": "2026-11-02T08:00:00Z"}, token=tb)
        eq(r.status, 201, f"B's member records a sighting: {r}")
        g = r.json()
        keys = {n: node_key(n).split(":")[1] for n in (a, b, c)}
        eq((g["signer_key"], g["recipients"]), (keys[b], ",".join(sorted([keys[a], keys[c]]))),
           "signed by B, for A (the origin) and C (a recipient)")
        r = b.request("POST", f"/api/v1/reports/{b_only}/sightings",
                      {"value": "198.51.100.71"}, token=tb)
        eq((r.status, r.json()["recipients"]), (201, keys[a]), f"for A only: {r}")
        # bad input: named, nothing stored
        r = b.request("POST", f"/api/v1/reports/{both}/sightings", {"value": "not a value!"},
                      token=tb)
        eq((r.status, r.json()["error"]["field"]), (422, "value"), f"invalid value: {r}")
        eq(b.request("POST", "/api/v1/reports/report--00000000-0000-4000-8000-000000000009/"
                     "sightings", {"value": "198.51.100.70"}, token=tb).status, 404,
           "an unknown report")
        _, tb2 = b.add_member("Other-B", "BR")
        eq(b.request("POST", f"/api/v1/reports/{both}/sightings", {"value": "198.51.100.70"},
                     token=tb2).status, 404, "a member of B who may not see the report")

        eq(sync(a, a_b)["last_error"], None, "A pulls B")
        items = a.request("GET", f"/api/v1/reports/{both}/sightings", token=ta).json()["items"]
        eq([(x["value"], x["count"], x["signed_by"]["name"], x["received_from"])
            for x in items], [("198.51.100.70", 3, "CERT-B", "CERT-B")],
           "A's originator sees B's sighting, marked with its signer")
        # verified with PyNaCl from the documented canonical form
        sig = a.request("GET", f"/api/v1/reports/{both}/signature", token=ta).json()
        x = a.request("GET", f"/api/v1/reports/{both}/sightings", token=ta).json()["items"][0]
        eq(x["report_signature_sha256"],
           hashlib.sha256(bytes.fromhex(sig["signature"])).hexdigest(),
           "it names the signed version of A's report")
        wire = dict(x, made_at=g["made_at"], seen_at=g["seen_at"])
        nacl.signing.VerifyKey(bytes.fromhex(keys[b])).verify(
            sighting_canonical(wire), bytes.fromhex(x["signature"]))
        eq(x["seen_at"], "2026-11-02T08:00:00.000Z", "seen_at as B's member gave it")
        eq(a.request("GET", f"/api/v1/reports/{both}/sightings", token=ta2).status, 404,
           "a member of A who may not see the report does not see its sightings")
        eq(len(a.request("GET", f"/api/v1/reports/{b_only}/sightings",
                         token=ta).json()["items"]), 1, "the other one too")
        r = a.request("GET", "/api/v1/lookup?value=198.51.100.70", token=ta)
        eq(r.json()["sightings"], 3, f"counted in A's lookup for its originator: {r}")
        eq(a.request("GET", "/api/v1/lookup?value=198.51.100.70", token=ta2).json()["sightings"],
           0, "not for a member who may not see the report")

        eq(sync(c, c_b)["last_error"], None, "C pulls B")
        items = c.request("GET", f"/api/v1/reports/{both}/sightings", token=tc).json()["items"]
        eq([(x["value"], x["signed_by"]["name"]) for x in items], [("198.51.100.70", "CERT-B")],
           "C (a recipient of the report) has B's sighting, only that one")
        eq(c.request("GET", f"/api/v1/reports/{both}/sightings", token=tc2).status, 404,
           "not shown to C's members outside the peer's audience")
        check(b_only not in report_ids(c), "C never had the other report")
        # again, and through the ring: nothing twice, nothing forwarded
        for n, p in ((a, a_b), (c, c_b), (c, c_a), (b, b_a), (b, b_c)):
            eq(sync(n, p)["last_error"], None, "sync")
        eq(len(a.request("GET", f"/api/v1/reports/{both}/sightings", token=ta).json()["items"]),
           1, "A: once")
        eq(len(c.request("GET", f"/api/v1/reports/{both}/sightings", token=tc).json()["items"]),
           1, "C: once")
        eq(b.request("GET", f"/api/v1/reports/{both}/sightings", token=tb).json()["items"][0][
            "received_from"], None, "B's own, made there")
    finally:
        cleanup(a, b, c)


def test_sighting_relayed_to_the_origin(bin_):
    """A hub: A and C each reach only B (they pinned each other's keys, but
    no link works between them). A's report reaches C through B; the sighting
    C's member records about it reaches A, its origin, through B, signed by C."""
    a, b, c = nodes(bin_, ["CERT-A", "CERT-B", "CERT-C"])
    try:
        mc, tc = c.add_member("ISP-C", "CL")
        ma, ta = a.add_member("CSIRT-A", "UY")
        dead = "http://127.0.0.1:9"  # nothing answers there
        a_b = add_peer(a, b, "CERT-B", ["all"])
        a_c = add_peer(a, None, "CERT-C", ["all"], key=node_key(c), url=dead)
        b_a, b_c = add_peer(b, a, "CERT-A", ["all"]), add_peer(b, c, "CERT-C", ["all"])
        c_b = add_peer(c, b, "CERT-B", ["all"])
        add_peer(c, None, "CERT-A", [f"member:{mc}"], key=node_key(a), url=dead)
        rid = submit(a, [indicator("[ipv4-addr:value = '198.51.100.80']", tlp="green")],
                     f"peer:{a_b},peer:{a_c}", token=ta)
        wait_until("signed", lambda: a.request("GET", f"/api/v1/reports/{rid}/signature",
                                               token=ta).status == 200)
        eq(sync(b, b_a)["last_error"], None, "B pulls A")
        eq(sync(c, c_b)["reports_in"], 1, "C has A's report, through B")
        r = c.request("POST", f"/api/v1/reports/{rid}/sightings",
                      {"value": "198.51.100.80", "count": 2}, token=tc)
        eq(r.status, 201, f"C's member records a sighting: {r}")
        keys = {n: node_key(n).split(":")[1] for n in (a, b, c)}
        eq(r.json()["recipients"], ",".join(sorted([keys[a], keys[b]])),
           "for A (the origin, not reachable from C) and B")
        eq(sync(b, b_c)["last_error"], None, "B pulls C")
        eq(sync(a, a_b)["last_error"], None, "A pulls B")
        items = a.request("GET", f"/api/v1/reports/{rid}/sightings", token=ta).json()["items"]
        eq([(x["value"], x["count"], x["signed_by"]["name"], x["received_from"])
            for x in items], [("198.51.100.80", 2, "CERT-C", "CERT-B")],
           "A sees C's sighting, signed by C, relayed by B")
        eq(a.request("GET", "/api/v1/lookup?value=198.51.100.80", token=ta).json()["sightings"],
           2, "counted in A's lookup")
        # again: nothing twice, and nothing back to its signer
        for n, p in ((a, a_b), (b, b_c), (b, b_a), (c, c_b)):
            eq(sync(n, p)["last_error"], None, "sync")
        eq(len(a.request("GET", f"/api/v1/reports/{rid}/sightings", token=ta).json()["items"]),
           1, "A: once")
        eq([x["received_from"] for x in c.request(
            "GET", f"/api/v1/reports/{rid}/sightings", token=tc).json()["items"]], [None],
           "C: its own, once")
    finally:
        cleanup(a, b, c)


def test_tampered_sightings_refused(bin_):
    """A peer's sightings are refused, logged, shown in `peer list`, and
    store nothing when the signature fails, when it signs for another node,
    or when it claims a report it was never sent."""
    a, b = nodes(bin_, ["CERT-A", "CERT-B"])
    x = FakeNode()
    try:
        me = node_key(b).split(":")[1]
        x.server_key = me
        b_x = add_peer(b, None, "CERT-X", ["all"], key="ed25519:" + x.pk_hex, url=x.url)
        a_b = add_peer(a, b, "CERT-B")
        b_a = add_peer(b, a, "CERT-A", ["all"])
        rid = x.offer(dumps(bundle([indicator("[ipv4-addr:value = '192.0.2.200']",
                                              tlp="clear")])), [me])
        eq(sync(b, b_x)["last_error"], None, "B holds X's report")
        xs = b.request("GET", f"/api/v1/reports/{rid}/signature").json()
        ar = submit(a, [indicator("[ipv4-addr:value = '192.0.2.201']", tlp="clear")],
                    f"peer:{a_b}")
        wait_signed(a, ar)
        eq(sync(b, b_a)["last_error"], None, "B holds A's report (X was not sent it)")
        asig = b.request("GET", f"/api/v1/reports/{ar}/signature").json()

        def value_changed(g):
            g["value"] = "192.0.2.250"

        other = nacl.signing.SigningKey.generate()
        cases = [
            ("a value changed after signing", "signature",
             lambda: x.sight(xs["signature"], x.pk_hex, rid, [me], tamper=value_changed)),
            ("about a report X was not sent", "report",
             lambda: x.sight(asig["signature"], asig["origin"]["public_key"].split(":")[1], ar,
                             [me])),
            ("naming another version's signature", "report_signature_sha256",
             lambda: x.sight("00" * 64, x.pk_hex, rid, [me])),
            ("not for B", "recipients",
             lambda: x.sight(xs["signature"], x.pk_hex, rid, [other.verify_key.encode().hex()])),
            ("naming a node the report never went to (a relay would carry it there)",
             "recipients",
             lambda: x.sight(xs["signature"], x.pk_hex, rid,
                             [me, other.verify_key.encode().hex()])),
        ]
        errors = sync(b, b_x)["errors"]
        for label, fld, make in cases:
            gid = make()
            p = sync(b, b_x)
            check(p["last_error"] and gid in p["last_error"], f"{label}: refused: {p}")
            check(f"field={fld}" in b.read_log(), f"{label}: logged with field {fld}")
            eq(b.request("GET", f"/api/v1/reports/{rid}/sightings").json()["items"], [],
               f"{label}: nothing stored")
            eq(b.request("GET", f"/api/v1/reports/{ar}/sightings").json()["items"], [],
               f"{label}: nothing stored")
            x.sightings.pop()
        eq(sync(b, b_x)["errors"], errors + len(cases), "each counted")
        # signed by a node B does not know, relayed by X: skipped, as a report
        # from an unknown origin is; logged, nothing stored, no error of X's
        gid = x.sight(xs["signature"], x.pk_hex, rid, [me], key=other)
        p = sync(b, b_x)
        eq(p["last_error"], None, f"not refused: {p}")
        check(f"sighting={gid}" in b.read_log() and "not a peer of this node" in b.read_log(),
              "logged as skipped")
        eq(b.request("GET", f"/api/v1/reports/{rid}/sightings").json()["items"], [],
           "an unknown signer's sighting: nothing stored")
        gid = x.sight(xs["signature"], x.pk_hex, rid, [me])
        p = sync(b, b_x)
        eq(p["last_error"], None, f"a good one: {p}")
        items = b.request("GET", f"/api/v1/reports/{rid}/sightings").json()["items"]
        eq([(i["id"], i["signed_by"]["public_key"]) for i in items], [(gid, "ed25519:" + x.pk_hex)],
           "stored with its signer")
        out = b.cli("peer", "list")
        check("errors" in out.stdout, out.stdout)
        # the CLI: a sighting about A's report, signed by B for A; then listed
        out = b.cli("report", "sight", ar, "192.0.2.201", "--count", "4")
        eq(out.returncode, 0, f"report sight: {out.stderr}")
        g = json.loads(out.stdout)
        eq((g["signer_key"], g["recipients"], g["count"]),
           (me, asig["origin"]["public_key"].split(":")[1], 4), "signed by B, for A")
        out = b.cli("report", "sightings", ar)
        check("192.0.2.201 x4  signed by CERT-B" in out.stdout, out.stdout)
        eq(sync(a, a_b)["last_error"], None, "A pulls B")
        out = a.cli("report", "sightings", ar)
        check("192.0.2.201 x4  signed by CERT-B (ed25519:" + me in out.stdout,
              f"A's admin (its originator) sees it: {out.stdout}")
    finally:
        x.close()
        cleanup(a, b)


def test_scope_red_amber_strict_per_peer_audience(bin_):
    """On the receiving node: the per-peer audience, narrowed by TLP: RED to the
    members it names one by one, AMBER+STRICT to the node's own organisation."""
    a, b = nodes(bin_, ["CERT-A", "CERT-B"])
    try:
        m2, t2 = b.add_member("ISP-One", "BR")
        m3, t3 = b.add_member("ISP-Two", "BR")
        r = b.request("POST", "/api/v1/groups", {"name": "ISPs", "members": [m2, m3]})
        eq(r.status, 201, r)
        g = r.json()["id"]
        a_b = add_peer(a, b, "CERT-B")
        b_a = add_peer(b, a, "CERT-A", [f"group:{g}", f"member:{m2}"])
        red = submit(a, [indicator("[ipv4-addr:value = '198.51.100.20']", tlp="red")],
                     f"peer:{a_b}")
        strict = submit(a, [indicator("[ipv4-addr:value = '198.51.100.21']",
                                      tlp="amber+strict")], f"peer:{a_b}")
        amber = submit(a, [indicator("[ipv4-addr:value = '198.51.100.22']", tlp="amber")],
                       f"peer:{a_b}")
        for rid in (red, strict, amber):
            wait_signed(a, rid)
        eq(sync(b, b_a)["reports_in"], 3, "three reports in")
        admin = "admin"  # B's own organisation (its first member)
        see = lambda rid, tok: b.request("GET", f"/api/v1/reports/{rid}", token=tok).status
        eq(see(red, t2), 200, "RED: ISP-One, named one by one")
        eq(see(red, t3), 404, "RED: not ISP-Two, only in a group")
        eq(see(red, admin), 404, "RED: not even B's admin")
        eq(see(strict, admin), 404, "AMBER+STRICT: B's organisation is not in the audience "
           "B gave A")
        eq(see(strict, t2), 404, "AMBER+STRICT: never another organisation")
        eq(see(amber, t2), 200, "AMBER: as B's admin chose")
        eq(see(amber, t3), 200, "AMBER: the group")
        eq(see(amber, admin), 404, "AMBER: B's admin is not in the audience it chose")
        for rid, tok in ((red, t3), (strict, t2)):
            r = b.request("GET", "/api/v1/lookup?value=198.51.100.0/24", token=tok).json()
            check(rid not in json.dumps(r), f"lookup does not show {rid}")
        # a node whose admin includes itself: AMBER+STRICT reaches it, and only it
        c = nodes(bin_, ["CERT-C"])[0]
        try:
            mc, tc = c.add_member("ISP-C", "CL")
            a_c = add_peer(a, c, "CERT-C")
            c_a = add_peer(c, a, "CERT-A", ["all"])
            s2 = submit(a, [indicator("[ipv4-addr:value = '198.51.100.23']",
                                      tlp="amber+strict")], f"peer:{a_c}")
            wait_signed(a, s2)
            sync(c, c_a)
            eq(c.request("GET", f"/api/v1/reports/{s2}").status, 200, "C's own organisation")
            eq(c.request("GET", f"/api/v1/reports/{s2}", token=tc).status, 404,
               "not C's other members")
            eq(report_ids(c), [s2], "C got only what named it")
        finally:
            cleanup(c)
    finally:
        cleanup(a, b)


def test_kill_during_sync_resumes(bin_):
    """B killed with SIGKILL while pulling 120 reports resumes and ends with
    each exactly once."""
    a, = nodes(bin_, ["CERT-A"], extra=MANUAL + ["--federation-page-bytes", "65536"])
    b = Node(bin_, name="CERT-B", country="BR",
             extra_args=["--federation-sync-interval-ms", "20"])
    try:
        b_key = None
        b.start()
        b_key = node_key(b)
        b.stop()
        a_b = add_peer(a, None, "CERT-B", key=b_key, url=b.url)
        ids = []
        filler = "x" * 30000  # two reports a page
        for i in range(120):
            ids.append(submit(a, [identity(f"org {i} {filler}", tlp="green"),
                                  indicator(f"[ipv4-addr:value = '10.0.{i}.1']", tlp="green")],
                              f"peer:{a_b}"))
        for rid in ids:
            wait_signed(a, rid)
        b.start()
        add_peer(b, a, "CERT-A", ["all"])
        kills = 0
        for _ in range(3):
            # kill B while it holds some of A's reports, not all: after a random
            # pause, at the first partial count seen (polled, never a fixed sleep)
            time.sleep(random.uniform(0.0, 0.05))
            deadline = time.time() + 10
            while time.time() < deadline:
                n = len(report_ids(b))
                if n > 0:
                    break
                time.sleep(0.002)
            if 0 < len(report_ids(b)) < len(ids):
                b.stop(signal.SIGKILL)
                kills += 1
                b.start()
        wait_until("B converges", lambda: len(report_ids(b)) >= len(ids))
        got = report_ids(b)
        eq(sorted(got), sorted(ids), "each report exactly once")
        check(kills >= 1, "killed at least once mid-sync")
        p = b.request("GET", "/api/v1/peers").json()["items"][0]
        eq(p["lag_reports"], 0, "caught up")
        eq(p["last_error"], None, f"no error: {p}")
    finally:
        cleanup(a, b)


def test_ring_converges_without_duplicates(bin_):
    """A<->B<->C<->A, syncing on their own: a report for B and C reaches each
    once (C gets it from A or from B, never twice); revocations follow."""
    fast = ["--federation-sync-interval-ms", "50"]
    a, b, c = nodes(bin_, ["CERT-A", "CERT-B", "CERT-C"], extra=fast)
    try:
        a_b = add_peer(a, b, "CERT-B", ["all"])
        a_c = add_peer(a, c, "CERT-C", ["all"])
        add_peer(b, a, "CERT-A", ["all"])
        add_peer(b, c, "CERT-C", ["all"])
        c_a = add_peer(c, a, "CERT-A", ["all"])
        add_peer(c, b, "CERT-B", ["all"])
        set_up = time.time()  # before, a node may ask one that does not know it yet: 401
        oid = "indicator--" + "1f0e3c1a-5b7e-4c59-8d3e-6a1f2b9c7d10"
        first = submit(a, [indicator("[ipv4-addr:value = '198.51.100.30']", tlp="green",
                                     oid=oid)], f"peer:{a_b},peer:{a_c}")
        b_only = submit(a, [indicator("[ipv4-addr:value = '198.51.100.31']", tlp="green")],
                        f"peer:{a_b}")
        wait_until("B and C get the first", lambda: first in report_ids(b) and
                   first in report_ids(c))
        wait_until("B gets the second", lambda: b_only in report_ids(b))
        revoked = submit(a, [indicator("[ipv4-addr:value = '198.51.100.30']", tlp="green",
                                       oid=oid, modified=ts(1),
                                       revoked=True)], f"peer:{a_b},peer:{a_c}")
        wait_until("the revocation reaches both", lambda: revoked in report_ids(b) and
                   revoked in report_ids(c))
        time.sleep(0.5)  # a few more rounds: nothing more may arrive
        eq(sorted(report_ids(b)), sorted([first, b_only, revoked]), "B: each once")
        # C pulls A's whole feed again (as after A was restored): nothing twice
        r = c.request("PATCH", f"/api/v1/peers/{c_a}", {"cursor": 0})
        eq((r.status, r.json()["cursor"]), (200, 0), f"cursor reset: {r}")
        wait_until("C pulls A again", lambda: c.request(
            "GET", f"/api/v1/peers/{c_a}").json()["cursor"] > 0)
        eq(sorted(report_ids(c)), sorted([first, revoked]), "C: each once, not B's")
        eq(sorted(report_ids(a)), sorted([first, b_only, revoked]), "A: nothing came back")
        eq(c.request("GET", f"/api/v1/objects/{oid}").status, 410,
           "C: the object is revoked by its creator")
        for n in (b, c):
            for p in n.request("GET", "/api/v1/peers").json()["items"]:
                at = p["last_error_at"]
                check(at is None or datetime.datetime.fromisoformat(
                    at.replace("Z", "+00:00")).timestamp() < set_up, f"{n.data}: {p}")
    finally:
        cleanup(a, b, c)


def test_relay_skips_what_the_caller_holds(bin_):
    """A full mesh: C holds A's report from A itself, so B (which holds it
    too) does not send it to C again; once A is out of C's reach, B relays
    to C what C does not hold yet; with A back, B defers to A what C can
    take from A itself."""
    a, b, c = nodes(bin_, ["CERT-A", "CERT-B", "CERT-C"])
    try:
        a_b, a_c = add_peer(a, b, "CERT-B", ["all"]), add_peer(a, c, "CERT-C", ["all"])
        b_a, _ = add_peer(b, a, "CERT-A", ["all"]), add_peer(b, c, "CERT-C", ["all"])
        c_a, c_b = add_peer(c, a, "CERT-A", ["all"]), add_peer(c, b, "CERT-B", ["all"])
        big = "x" * 20000
        r1 = submit(a, [identity(f"org one {big}", tlp="green")], f"peer:{a_b},peer:{a_c}")
        wait_signed(a, r1)
        eq(sync(b, b_a)["reports_in"], 1, "B holds it")
        eq(sync(c, c_a)["reports_in"], 1, "C holds it, from A")
        p = sync(c, c_b)
        eq((p["last_error"], p["reports_in"]), (None, 0), f"nothing from B: {p}")
        check(p["bytes_in"] < 2000, f"B did not send A's report again: {p['bytes_in']} bytes")
        # the header, as C's pull sends it: a malformed one is named
        r = signed_get(c, b, "/api/v1/federation/feed", 0, {"X-Atalaya-Have": "abc:1"})
        eq((r.status, r.json()["error"]["field"]), (400, "X-Atalaya-Have"), f"{r}")
        # without the header B offers it (a caller that holds nothing of A)
        r = signed_get(c, b, "/api/v1/federation/feed", 0)
        check(r.status == 200 and r1 in r.body, f"B relays it to a caller that asks: {r}")
        # A out of C's reach: B relays to C what C does not hold
        r2 = submit(a, [identity(f"org two {big}", tlp="green")], f"peer:{a_b},peer:{a_c}")
        wait_signed(a, r2)
        eq(sync(b, b_a)["reports_in"], 2, "B holds the second")
        a.stop()
        p = sync(c, c_b)
        eq((p["last_error"], p["reports_in"]), (None, 1), f"the second through B: {p}")
        eq(sorted(report_ids(c)), sorted([r1, r2]), "C holds each once")
        # A back: B defers to A what C can take from A itself, and sends none of it
        a.start()
        eq(sync(c, c_a)["last_error"], None, "C reaches A again")
        r3 = submit(a, [identity(f"org three {big}", tlp="green")], f"peer:{a_b},peer:{a_c}")
        wait_signed(a, r3)
        eq(sync(b, b_a)["reports_in"], 3, "B holds the third")
        before = {q["id"]: q for q in c.request("GET", "/api/v1/peers").json()["items"]}
        p = sync(c, c_b)
        eq(p["last_error"], None, f"C's sync from B: {p}")
        after = {q["id"]: q for q in c.request("GET", "/api/v1/peers").json()["items"]}
        eq(after[c_a]["reports_in"] - before[c_a]["reports_in"], 1, "the third from A itself")
        eq(after[c_b]["reports_in"] - before[c_b]["reports_in"], 0, "not from B")
        check(after[c_b]["bytes_in"] - before[c_b]["bytes_in"] < 2000,
              "its bytes did not come through B")
        eq(sorted(report_ids(c)), sorted([r1, r2, r3]), "C holds each once")
    finally:
        cleanup(a, b, c)


def test_contacts_shared_with_a_peer(bin_):
    """A member's contacts whose audience names a peer reach that peer's node,
    for the members its admin gave the peer; others stay home."""
    a, b = nodes(bin_, ["CERT-A", "CERT-B"])
    try:
        _, tok = a.add_member("CSIRT-A", "UY")
        m2, t2 = b.add_member("ISP-One", "BR")
        a_b = add_peer(a, b, "CERT-B")
        b_a = add_peer(b, a, "CERT-A", [f"member:{m2}"])
        shared = {"role": "crisis", "name": "Duty officer", "email": "duty@cert.example.org",
                  "phone": "+598 2 123 4567", "availability": "24/7",
                  "audience": [f"peer:{a_b}"]}
        home = dict(shared, name="Local only", audience=["all"])
        for body in (shared, home):
            r = a.request("POST", "/api/v1/contacts", body, token=tok)
            eq(r.status, 201, f"contact: {r}")
        eq(sync(b, b_a)["last_error"], None, "sync")
        r = b.request("GET", f"/api/v1/peers/{b_a}/contacts", token=t2)
        eq(r.status, 200, f"ISP-One reads A's shared contacts: {r}")
        items = r.json()["items"]
        eq([(x["member"], x["name"], x["phone"]) for x in items],
           [("CSIRT-A", "Duty officer", "+598 2 123 4567")], "only the contact shared with B")
        eq(b.request("GET", f"/api/v1/peers/{b_a}/contacts").status, 404,
           "B's admin is not in the audience it gave A")
        # signed by A for B: PyNaCl verifies it from the documented form
        r = signed_get(b, a, "/api/v1/federation/contacts")
        eq(r.status, 200, f"as B: {r}")
        it = r.json()["items"][0]
        a_pk = bytes.fromhex(node_key(a).split(":")[1])
        b_hex = node_key(b).split(":")[1]
        nacl.signing.VerifyKey(a_pk).verify(contact_canonical(a_pk, b_hex, it),
                                            bytes.fromhex(it["signature"]))
        try:
            nacl.signing.VerifyKey(a_pk).verify(
                contact_canonical(a_pk, b_hex, dict(it, phone="+598 2 999 9999")),
                bytes.fromhex(it["signature"]))
            raise AssertionError("a changed contact verified")
        except nacl.exceptions.BadSignatureError:
            pass
        # the contact stops being shared: gone at the next sync
        cid = a.request("GET", "/api/v1/contacts", token=tok).json()["items"][0]["id"]
        r = a.request("PATCH", f"/api/v1/contacts/{cid}", {"audience": []}, token=tok)
        eq(r.status, 200, f"unshare: {r}")
        sync(b, b_a)
        eq(b.request("GET", f"/api/v1/peers/{b_a}/contacts", token=t2).json()["items"], [],
           "unshared: removed on B")
    finally:
        cleanup(a, b)


def test_tampered_contacts_refused(bin_):
    """A peer's shared contacts are verified against its pinned key: a
    contact changed after signing, or signed for another node, is refused
    (logged, shown in peer list) and the set held before stays."""
    (b,) = nodes(bin_, ["CERT-B"])
    x = FakeNode()
    try:
        x.server_key = node_key(b).split(":")[1]
        m, tok = b.add_member("ISP-B", "BR")
        b_x = add_peer(b, None, "CERT-X", [f"member:{m}"], key="ed25519:" + x.pk_hex, url=x.url)
        x.share("Duty officer")
        p = sync(b, b_x)
        eq(p["last_error"], None, f"a contact signed with PyNaCl verifies on B: {p}")

        def held():
            return [c["name"] for c in b.request("GET", f"/api/v1/peers/{b_x}/contacts",
                                                  token=tok).json()["items"]]
        eq(held(), ["Duty officer"], "stored")

        def phone(it):
            it["phone"] = "+1 555 0199"

        def for_other(it):
            other = nacl.signing.SigningKey.generate().verify_key.encode().hex()
            it["signature"] = x.key.sign(contact_canonical(x.key.verify_key.encode(), other,
                                                           it)).signature.hex()

        for label, tamper in (("a phone changed after signing", phone),
                              ("signed for another node", for_other)):
            cid = x.share("Night shift", tamper=tamper)
            p = sync(b, b_x)
            check(p["last_error"] and f"contact {cid}" in p["last_error"] and
                  "signature" in p["last_error"], f"{label}: refused: {p}")
            eq(held(), ["Duty officer"], f"{label}: the set held before stays")
            check("event=peer_refused peer=CERT-X field=signature" in b.read_log(),
                  f"{label}: logged")
            x.contacts.pop()
        x.share("Night shift")
        p = sync(b, b_x)
        eq(p["last_error"], None, f"signed again: {p}")
        eq(sorted(held()), ["Duty officer", "Night shift"], "both")
    finally:
        x.close()
        cleanup(b)


def test_tls_with_a_pinned_key(bin_):
    """B pulls from A over HTTPS: with A's TLS key pinned it works (A's
    certificate is self-signed); with another pin, or none, nothing is taken."""
    a, b = nodes(bin_, ["CERT-A", "CERT-B"])
    proc = None
    try:
        a_key = node_key(a)
        a_b = add_peer(a, b, "CERT-B")
        rid = submit(a, [indicator("[ipv4-addr:value = '198.51.100.40']", tlp="green")],
                     f"peer:{a_b}")
        wait_signed(a, rid)
        a.stop()
        cert, key = os.path.join(a.dir, "tls.crt"), os.path.join(a.dir, "tls.key")
        out = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                              "-days", "2", "-subj", "/CN=cert-a.example", "-keyout", key,
                              "-out", cert], capture_output=True, text=True)
        eq(out.returncode, 0, out.stderr)
        os.chmod(key, 0o600)
        pub = subprocess.run(f"openssl x509 -pubkey -noout -in {cert} | openssl pkey -pubin "
                             "-outform der | openssl dgst -sha256 -binary | base64",
                             shell=True, capture_output=True, text=True, check=True).stdout.strip()
        log = open(a.log_path, "ab")
        proc = subprocess.Popen([bin_, "serve", "--data", a.data, "--listen",
                                 f"127.0.0.1:{a.port}", "--tls-cert", cert, "--tls-key", key,
                                 *MANUAL], stdout=log, stderr=log)
        deadline = time.time() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", a.port), timeout=1).close()
                break
            except OSError:
                check(time.time() < deadline and proc.poll() is None, "HTTPS up")
                time.sleep(0.1)
        url = f"https://127.0.0.1:{a.port}"
        b_a = add_peer(b, None, "CERT-A", ["all"], key=a_key, url=url)
        for pin, ok in (("sha256//" + "A" * 43 + "=", False), (None, False),
                        (f"sha256//{pub}", True)):
            r = b.request("PATCH", f"/api/v1/peers/{b_a}", {"tls_pin": pin})
            eq(r.status, 200, f"pin {pin}: {r}")
            eq(r.json()["tls_pin"], pin, "the pin kept")
            p = sync(b, b_a)
            if ok:
                eq(p["last_error"], None, f"pinned: {p}")
                eq(report_ids(b), [rid], "taken over HTTPS")
            else:
                check(p["last_error"] and url in p["last_error"],
                      f"refused without the right pin: {p}")
                eq(report_ids(b), [], "nothing taken")
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        cleanup(a, b)


def test_peers_in_groups(bin_):
    """A group holds peer nodes as it holds members: "group:ID" in a report's
    audience reaches the peers in it (fixed when the report is signed), and
    no other."""
    a, b, c = nodes(bin_, ["CERT-A", "CERT-B", "CERT-C"])
    try:
        a_b, a_c = add_peer(a, b, "CERT-B"), add_peer(a, c, "CERT-C")
        b_a, c_a = add_peer(b, a, "CERT-A", ["all"]), add_peer(c, a, "CERT-A", ["all"])
        m, _ = a.add_member("ISP-A", "UY")
        r = a.request("POST", "/api/v1/groups", {"name": "LAC", "members": [m],
                                                 "peers": [a_b]})
        eq(r.status, 201, f"a group with a peer: {r}")
        g = r.json()
        eq((g["members"], g["peers"]), ([m], [a_b]), "the group shows its peers")
        for body in ({"name": "X", "peers": [99]}, {"name": "X", "peers": ["x"]}):
            r = a.request("POST", "/api/v1/groups", body)
            eq((r.status, r.json()["error"]["field"]), (422, "peers"), f"{body}: {r}")
        rid = submit(a, [indicator("[ipv4-addr:value = '198.51.100.61']", tlp="amber")],
                     f"group:{g['id']}")
        s = wait_signed(a, rid)
        eq(s["recipients"], node_key(b).split(":")[1], "the group's peer is named, alone")
        sync(b, b_a)
        sync(c, c_a)
        eq(report_ids(b), [rid], "B, in the group, has it")
        eq(report_ids(c), [], "C, outside it, does not")
        # a peer added to the group later does not widen what was signed before
        r = a.request("PATCH", f"/api/v1/groups/{g['id']}", {"peers": [a_b, a_c]})
        eq((r.status, r.json()["peers"]), (200, [a_b, a_c]), f"C added: {r}")
        sync(c, c_a)
        eq(report_ids(c), [], "the earlier report stays B's alone")
        rid2 = submit(a, [indicator("[ipv4-addr:value = '198.51.100.62']", tlp="amber")],
                      f"group:{g['id']}")
        wait_signed(a, rid2)
        sync(c, c_a)
        eq(report_ids(c), [rid2], "a later one reaches C too")
        # deleting a peer takes it out of its groups
        eq(a.request("DELETE", f"/api/v1/peers/{a_c}").status, 204, "peer deleted")
        eq(a.request("GET", f"/api/v1/groups/{g['id']}").json()["peers"], [a_b], "out")
    finally:
        cleanup(a, b, c)


def test_peer_input_errors(bin_):
    (a,) = nodes(bin_, ["CERT-A"])
    try:
        k = "ed25519:" + "ab" * 32
        cases = [({"name": "x y", "url": "http://h:1", "public_key": k}, "name"),
                 ({"name": "x", "url": "ftp://h", "public_key": k}, "url"),
                 ({"name": "x", "url": "http://h:1/", "public_key": k}, "url"),
                 ({"name": "x", "url": "http://h:1", "public_key": "ed25519:zz"}, "public_key"),
                 ({"name": "x", "url": "http://h:1", "public_key": node_key(a)}, "public_key"),
                 ({"name": "x", "url": "http://h:1", "public_key": k, "audience": ["group:9"]},
                  "audience"),
                 ({"name": "x", "url": "http://h:1", "public_key": k, "tls_pin": "md5//x"},
                  "tls_pin")]
        for body, fld in cases:
            r = a.request("POST", "/api/v1/peers", body)
            eq(r.status, 422, f"{body}: {r}")
            eq(r.json()["error"]["field"], fld, f"{body}: the field named")
        eq(a.request("GET", "/api/v1/peers").json()["items"], [], "nothing stored")
        add_peer(a, None, "x", key=k, url="http://127.0.0.1:1")
        r = a.request("POST", "/api/v1/peers", {"name": "X", "url": "http://h:1",
                                                "public_key": k})
        eq(r.status, 409, f"the same name or key twice: {r}")
        _, tok = a.add_member("Analyst", "UY")
        eq(a.request("GET", "/api/v1/peers", token=tok).status, 403, "admin only")
        p = sync(a, 1)
        check(p["last_error"] and "127.0.0.1:1" in p["last_error"], f"unreachable: {p}")
        eq(a.request("POST", "/api/v1/peers/99/sync").status, 404, "unknown peer")
        out = a.cli("peer", "delete", "1")
        eq(out.returncode, 0, f"peer delete: {out.stderr}")
        eq(a.request("GET", "/api/v1/peers").json()["items"], [], "gone")
        r = a.request("POST", "/api/v1/reports?audience=peer:1", raw=dumps(bundle(
            [indicator("[ipv4-addr:value = '198.51.100.9']", tlp="clear")])), content_type=STIX)
        eq(r.status, 422, "a deleted peer is no audience any more")
        eq(a.request("DELETE", "/api/v1/peers/1").status, 404, "deleted once")
    finally:
        cleanup(a)


if __name__ == "__main__":
    run([test_three_nodes_scope_alert_and_signature, test_independent_signatures_and_tampering,
         test_page_committed_as_one_batch, test_sightings_signed_by_the_forwarder,
         test_sighting_relayed_to_the_origin,
         test_tampered_sightings_refused, test_tampered_contacts_refused,
         test_scope_red_amber_strict_per_peer_audience, test_kill_during_sync_resumes,
         test_ring_converges_without_duplicates, test_relay_skips_what_the_caller_holds,
         test_contacts_shared_with_a_peer,
         test_peers_in_groups, test_tls_with_a_pinned_key, test_peer_input_errors], sys.argv[1])
