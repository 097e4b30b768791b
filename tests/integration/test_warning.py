"""Early warning (issue 4): constituencies, lookups, related reports,
sightings, alerts delivered by signed webhooks and the SSE stream, escalation,
resumption after a restart, and no disclosure outside a report's scope."""
import hashlib
import hmac
import http.client
import http.server
import json
import signal
import subprocess
import sys
import threading
import time

from harness import Node, check, eq, run
from stixgen import TS, bundle, dumps, indicator, sid, ts

BIN = sys.argv[1]
STIX = "application/stix+json;version=2.1"


# --- a local webhook receiver --------------------------------------------

class Receiver:
    """http.server in a thread. Paths: /ok/NAME answers 200, /flaky/NAME answers
    500 while self.failing, /hang/NAME sleeps 20 s, /redirect/NAME answers 302."""

    def __init__(self):
        self.got = []  # (time, path, headers, body, status)
        self.failing = True
        self.lock = threading.Lock()
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 200
                if self.path.startswith("/hang/"):
                    time.sleep(20)
                elif self.path.startswith("/flaky/") and rec.failing:
                    status = 500
                elif self.path.startswith("/redirect/"):
                    status = 302
                with rec.lock:
                    rec.got.append((time.time(), self.path, dict(self.headers), body, status))
                try:
                    self.send_response(status)
                    if status == 302:
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def calls(self, path, status=None):
        with self.lock:
            return [g for g in self.got if g[1] == path and (status is None or g[4] == status)]

    def wait(self, path, n=1, timeout=10.0, status=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            c = self.calls(path, status)
            if len(c) >= n:
                return c
            time.sleep(0.05)
        return self.calls(path, status)

    def close(self):
        self.srv.shutdown()


def contact(name, hook=None, position=None):
    b = {"role": "technical", "name": name, "email": f"{name.lower()}@cert.example.org",
         "availability": "24/7"}
    if hook:
        b["webhook_url"] = hook
    if position:
        b["escalation_position"] = position
    return b


def member(n, name, country, cons=None, hooks=()):
    mid, tok = n.add_member(name, country)
    secret = None
    if cons is not None:
        r = n.request("PUT", "/api/v1/constituency", cons, token=tok)
        eq(r.status, 200, f"constituency of {name}: {r}")
        secret = r.json().get("webhook_secret")
        check(secret and len(secret) == 64, f"{name} gets its webhook secret once")
    for i, h in enumerate(hooks):
        r = n.request("POST", "/api/v1/contacts", contact(f"{name}{i + 1}", h, i + 1), token=tok)
        eq(r.status, 201, f"contact of {name}: {r}")
    return mid, tok, secret


def clean(n):
    """Fails on a sanitizer report from this module, then removes the node."""
    log = n.read_log()
    n.cleanup()
    bad = [l for l in log.splitlines() if "runtime error" in l and
           ("src/alert" in l or "warning_cmds" in l or "src/index" in l)]
    check(not bad and "AddressSanitizer" not in log, f"sanitizer: {bad[:3]}")


def submit(n, objects, audience, token):
    r = n.request("POST", f"/api/v1/reports?audience={audience}", raw=dumps(bundle(objects)),
                  token=token, content_type=STIX)
    eq(r.status, 201, f"submit: {r}")
    return r.json()["id"]


def alerts(n, token, open_only=False):
    r = n.request("GET", "/api/v1/alerts" + ("?open=true" if open_only else ""), token=token)
    eq(r.status, 200, f"alerts: {r}")
    return r.json()["items"]


def wait_alerts(n, token, count, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        a = alerts(n, token)
        if len(a) >= count:
            return a
        time.sleep(0.05)
    return alerts(n, token)


def days_ago(days):
    """An RFC 3339 time `days` days before now."""
    t = time.time() - days * 86400
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def verify(secret, call):
    sig = call[2].get("X-Atalaya-Signature", "")
    want = "sha256=" + hmac.new(secret.encode(), call[3], hashlib.sha256).hexdigest()
    return hmac.compare_digest(sig, want)


# --- tests ---------------------------------------------------------------

def test_alerts_scope_signature_escalation(bin_):
    n = Node(bin_).start()
    rx = Receiver()
    try:
        a_id, a_tok, _ = member(n, "Reporter", "BR", {"cidrs": ["198.51.100.0/24"]})
        b_id, b_tok, b_secret = member(n, "CERT-B", "UY",
                                       {"cidrs": ["198.51.100.0/24", "2001:db8::/32"],
                                        "asns": [64500], "domains": ["gub.uy"]},
                                       [rx.url("/ok/b1"), rx.url("/ok/b2")])
        c_id, c_tok, _ = member(n, "CERT-C", "AR", {"domains": ["example.ar"],
                                                      "cidrs": ["203.0.113.0/24"]},
                                [rx.url("/ok/c1")])
        # B answers within 10 s or the alert goes to its second contact
        r = n.request("PATCH", f"/api/v1/members/{b_id}", {"ack_deadline_seconds": 10})
        eq(r.status, 200, f"ack deadline: {r}")

        # B and C are touched; only B is in the audience; the reporter is touched too
        t0 = time.time()
        # current news (old news does not escalate: test_old_news_alerts_with_its_age)
        rid = submit(n, [indicator("[ipv4-addr:value = '198.51.100.7'] OR "
                                   "[domain-name:value = 'mail.example.ar'] OR "
                                   "[ipv4-addr:value ISSUBSET '203.0.113.0/28']", tlp="amber",
                                   modified=days_ago(0)),
                         indicator("[file:name = 'dropper.exe']", tlp="amber")],
                     f"member:{b_id}", a_tok)
        b_alerts = wait_alerts(n, b_tok, 1)
        eq(len(b_alerts), 1, "B gets exactly one alert")
        al = b_alerts[0]
        eq(al["report"]["id"], rid, "the alert names the report")
        eq([o["value"] for o in al["observables"]], ["198.51.100.7"], "matching observables")
        eq(al["state"], "open", "open until acknowledged")
        calls = rx.wait("/ok/b1", 1, timeout=3)
        eq(len(calls), 1, "B's first contact got the webhook")
        check(calls[0][0] - t0 < 1.5, f"webhook within a second of the commit "
                                      f"({calls[0][0] - t0:.3f}s)")
        check(verify(b_secret, calls[0]), "the HMAC-SHA256 signature checks out")
        body = json.loads(calls[0][3])
        eq(body["alert"]["id"], al["id"], "payload names the alert")
        eq(body["alert"]["observables"][0]["value"], "198.51.100.7", "payload observables")
        check(not verify("wrong" * 13, calls[0]), "another key does not verify")
        time.sleep(1.0)
        eq(alerts(n, c_tok), [], "C is outside the audience: no alert")
        eq(alerts(n, a_tok), [], "no alert for one's own report")
        eq(rx.calls("/ok/c1"), [], "no webhook for C")

        # C finds nothing through lookup, related or alerts
        r = n.request("GET", "/api/v1/lookup?value=mail.example.ar", token=c_tok)
        eq(r.status, 200, "lookup by C")
        eq(r.json()["matches"], [], "C's lookup finds nothing")
        r = n.request("POST", "/api/v1/lookup", ["198.51.100.7", "203.0.113.0/24"], token=c_tok)
        eq([len(i["matches"]) for i in r.json()["items"]], [0, 0], "C's batch finds nothing")
        eq(n.request("GET", f"/api/v1/reports/{rid}/related", token=c_tok).status, 404,
           "related of a report C may not see")
        eq(n.request("GET", f"/api/v1/alerts/{al['id']}", token=c_tok).status, 404,
           "B's alert is not C's")
        eq(n.request("POST", f"/api/v1/alerts/{al['id']}/ack", token=c_tok).status, 404,
           "C cannot acknowledge B's alert")

        # B sees it: exact, contained network, parent domain, scores; audited
        r = n.request("GET", "/api/v1/lookup?value=198.51.100.0/24", token=b_tok).json()
        eq(len(r["matches"]), 1, "a /24 query finds the address inside")
        eq(r["matches"][0]["relation"], "within", "relation")
        eq(r["reporting_members"], [{"id": a_id, "name": "Reporter"}], "reporting members")
        check(0 < r["score"] <= 100 and r["first_seen"] and r["last_seen"], "score and times")
        r = n.request("GET", "/api/v1/lookup?value=203.0.113.5", token=b_tok).json()
        eq([m["relation"] for m in r["matches"]], ["contains"], "a reported /28 holds it")
        r = n.request("GET", "/api/v1/lookup?value=x.mail.example.ar", token=b_tok).json()
        eq([m["relation"] for m in r["matches"]], ["parent"], "parent domain")
        eq(n.request("GET", "/api/v1/lookup?value=300.1.2.3", token=b_tok).status, 422,
           "a bad value is named")
        aud = n.request("GET", f"/api/v1/reports/{rid}/audit", token=a_tok).json()["items"]
        paths = {(x["member"]["id"], x["path"]) for x in aud}
        check((b_id, "lookup") in paths, f"B's lookups are audited: {paths}")
        check((b_id, "alert") in paths, f"B's alert is audited: {paths}")
        check(all(x["member"]["id"] != c_id for x in aud), "nothing was disclosed to C")

        # not indexed patterns are reported, not dropped
        rel = n.request("GET", f"/api/v1/reports/{rid}/related", token=b_tok).json()
        check(any("file:name" in x["pattern"] for x in rel["not_indexed"]),
              f"file:name is reported as not indexed: {rel['not_indexed']}")

        # no acknowledgement: after 10 s the second contact is called
        calls = rx.wait("/ok/b2", 1, timeout=15)
        eq(len(calls), 1, "escalated to B's second contact")
        check(verify(b_secret, calls[0]), "escalation is signed too")
        # the receiver has the call before the node has recorded its answer: poll
        deadline = time.time() + 5
        while True:
            full = n.request("GET", f"/api/v1/alerts/{al['id']}", token=b_tok).json()
            delivered = sum(1 for s in full["steps"] if s["kind"] == "delivery"
                            and s.get("outcome") == "delivered")
            if delivered >= 2 or time.time() > deadline:
                break
            time.sleep(0.05)
        kinds = [s["kind"] for s in full["steps"]]
        check("escalated" in kinds, f"the escalation is a step: {kinds}")
        eq(delivered, 2, "two deliveries recorded")
        eq(full["level"], 1, "level")
        # the CLI acknowledges; the alert leaves the open list
        out = n.cli("alerts", "list", "--open", token=b_tok)
        eq(out.returncode, 0, out.stderr)
        check(rid in out.stdout, "alerts list --open shows it")
        out = n.cli("alerts", "ack", str(al["id"]), token=b_tok)
        eq(out.returncode, 0, out.stderr)
        eq(alerts(n, b_tok, open_only=True), [], "acknowledged")
        full = n.request("GET", f"/api/v1/alerts/{al['id']}", token=b_tok).json()
        eq(full["state"], "acknowledged", "state")
        eq(full["steps"][-1]["kind"], "acknowledged", "the acknowledgement is a step")
    finally:
        rx.close()
        clean(n)


def test_restart_resumes_delivery(bin_):
    n = Node(bin_).start()
    rx = Receiver()
    try:
        a_id, a_tok, _ = member(n, "Reporter", "BR")
        d_id, d_tok, d_secret = member(n, "CERT-D", "CL", {"cidrs": ["192.0.2.0/24"]},
                                       [rx.url("/flaky/d")])
        submit(n, [indicator("[ipv4-addr:value = '192.0.2.10']", tlp="green")], "all", a_tok)
        failed = rx.wait("/flaky/d", 1, timeout=5, status=500)
        check(len(failed) >= 1, "the first attempt failed")
        n.stop(signal.SIGKILL)  # killed during delivery
        rx.failing = False
        n.start()
        ok = rx.wait("/flaky/d", 1, timeout=10, status=200)
        eq(len(ok), 1, "the delivery resumed after the restart")
        check(verify(d_secret, ok[0]), "signed")
        deadline = time.time() + 5
        while True:  # the receiver saw it; the node records the answer right after
            al = alerts(n, d_tok)
            outcomes = [s.get("outcome") for s in al[0]["steps"] if s["kind"] == "delivery"]
            if outcomes[-1] == "delivered" or time.time() > deadline:
                break
            time.sleep(0.05)
        eq(len(al), 1, "still exactly one alert after the restart")
        check(outcomes[0] == "retry" and outcomes[-1] == "delivered",
              f"each attempt is logged: {outcomes}")
        check(json.loads(ok[0][3])["attempt"] >= 2, "the payload counts attempts")
    finally:
        rx.close()
        clean(n)


def test_hanging_receiver_blocks_nobody(bin_):
    n = Node(bin_).start()
    rx = Receiver()
    try:
        a_id, a_tok, _ = member(n, "Reporter", "BR")
        member(n, "Slow", "PE", {"cidrs": ["10.1.0.0/16"]}, [rx.url("/hang/e")])
        member(n, "Redir", "EC", {"cidrs": ["10.2.0.0/16"]}, [rx.url("/redirect/g")])
        f_id, f_tok, f_secret = member(n, "Fast", "PY", {"cidrs": ["10.3.0.0/16"]},
                                       [rx.url("/ok/f")])
        t0 = time.time()
        submit(n, [indicator("[ipv4-addr:value = '10.1.0.1'] OR [ipv4-addr:value = '10.2.0.1']"
                             " OR [ipv4-addr:value = '10.3.0.1']", tlp="green")], "all", a_tok)
        rx.wait("/hang/e", 0, timeout=0.1)
        fast = rx.wait("/ok/f", 1, timeout=3)
        eq(len(fast), 1, "the fast member got its webhook")
        check(fast[0][0] - t0 < 1.5, f"while another receiver hangs ({fast[0][0] - t0:.2f}s)")
        for _ in range(5):
            t = time.time()
            eq(n.request("GET", "/api/v1/health", token=None).status, 200, "health")
            check(time.time() - t < 0.5, "API requests are not blocked")
        redir = rx.wait("/redirect/g", 1, timeout=3)
        eq(len(redir), 1, "the redirecting receiver was called once")
        time.sleep(0.3)
        db = __import__("sqlite3").connect(n.data + "/atalaya.db")
        detail = db.execute("SELECT detail FROM alert_steps WHERE outcome = 'retry' AND detail "
                            "LIKE 'HTTP 302%'").fetchall()
        db.close()
        check(detail and "not followed" in detail[0][0], f"redirect logged, not followed: {detail}")
        time.sleep(0.5)
        g_alerts = [a for a in alerts(n, n.admin_token)]  # admin has none
        eq(g_alerts, [], "admin (no constituency) has no alert")
        # the redirect is logged as a failed attempt, not followed
        r = n.cli("alerts", "list", "--json", token=f_tok)
        eq(r.returncode, 0, r.stderr)
    finally:
        rx.close()
        clean(n)


def test_stream_constituency_sightings_cli(bin_):
    n = Node(bin_).start()
    try:
        a_id, a_tok, _ = member(n, "Reporter", "BR")
        b_id, b_tok = n.add_member("CERT-B", "UY")
        c_id, c_tok = n.add_member("CERT-C", "AR")
        # the CLI sets and shows the constituency
        out = n.cli("constituency", "set", "--cidr", "198.51.100.0/24", "--cidr", "2001:DB8::/32",
                    "--asn", "64500", "--domain", "GUB.UY", token=b_tok)
        eq(out.returncode, 0, out.stderr)
        out = n.cli("constituency", "show", token=b_tok)
        shown = json.loads(out.stdout)
        eq(shown["cidrs"], ["198.51.100.0/24", "2001:db8::/32"], "canonical cidrs")
        eq(shown["asns"], ["AS64500"], "canonical asns")
        eq(shown["domains"], ["gub.uy"], "canonical domains")
        # invalid values: 422 naming the value; nothing written
        for body, field, value in [
                ({"cidrs": ["198.51.100.0/24", "300.1.1.0/24"]}, "cidrs[1]", "300.1.1.0/24"),
                ({"cidrs": ["198.51.100.1/24"]}, "cidrs[0]", "198.51.100.1/24"),
                ({"asns": ["AS99999999999"]}, "asns[0]", "AS99999999999"),
                ({"domains": ["bad..uy"]}, "domains[0]", "bad..uy"),
                ({"domains": ["gub.uy"], "colour": []}, "colour", "colour")]:
            r = n.request("PUT", "/api/v1/constituency", body, token=b_tok)
            eq(r.status, 422, f"{body}: {r}")
            eq(r.json()["error"]["field"], field, "field named")
            check(value in r.json()["error"]["message"], f"the value is named: {r}")
        eq(n.request("GET", "/api/v1/constituency", token=b_tok).json()["cidrs"],
           ["198.51.100.0/24", "2001:db8::/32"], "nothing written on error")
        out = n.cli("constituency", "set", "--cidr", "not-a-net", token=b_tok)
        check(out.returncode != 0 and "not-a-net" in out.stderr, f"CLI names it: {out.stderr}")
        # overlaps are shown to admins
        r = n.request("PUT", "/api/v1/constituency", {"cidrs": ["198.51.100.128/25"]},
                      token=c_tok)
        eq(r.status, 200, "C's constituency")
        ov = n.request("GET", "/api/v1/constituency/overlaps").json()["items"]
        eq(len(ov), 1, f"one overlapping pair: {ov}")
        eq(ov[0]["overlaps"][0]["value"], "198.51.100.128/25", "the overlap")
        eq(n.request("GET", "/api/v1/constituency/overlaps", token=b_tok).status, 403,
           "overlaps are for admins")

        # the stream: B receives its own alert, C (outside the audience) nothing
        got = {"b": [], "c": []}

        def listen(key, tok):
            conn = http.client.HTTPConnection("127.0.0.1", n.port, timeout=8)
            conn.request("GET", "/api/v1/alerts/stream", headers={"Authorization": f"Bearer {tok}"})
            resp = conn.getresponse()
            got[key].append(resp.status)
            end = time.time() + 4
            try:
                while time.time() < end:
                    line = resp.fp.readline()
                    if not line:
                        break
                    got[key].append(line.decode())
            except OSError:
                pass
            conn.close()

        threads = [threading.Thread(target=listen, args=("b", b_tok)),
                   threading.Thread(target=listen, args=("c", c_tok))]
        for t in threads:
            t.start()
        time.sleep(0.5)
        rid = submit(n, [indicator("[ipv4-addr:value = '198.51.100.200']", tlp="green")],
                     f"member:{b_id}", a_tok)
        # an expired observable (last reported long ago) is old news: a low-priority
        # alert that shows its age (issue 12)
        old = indicator("[domain-name:value = 'old.gub.uy']", tlp="green")
        old["created"] = old["modified"] = old["valid_from"] = "2026-03-01T00:00:00.000Z"
        old_rid = submit(n, [old], "all", a_tok)
        for t in threads:
            t.join()
        eq(got["b"][0], 200, "B's stream")
        data = [l for l in got["b"] if isinstance(l, str) and l.startswith("data: ")]
        eq(len(data), 2, f"two events on B's stream: {got['b']}")
        ev = json.loads(data[0][6:])
        eq(ev["report"]["id"], rid, "the event is the alert")
        ev = json.loads(data[1][6:])
        eq((ev["report"]["id"], ev["priority"], ev["first_seen"]),
           (old_rid, "low", "2026-03-01T00:00:00.000Z"), "old news, shown as such")
        check(ev["indicator_age_days"] > 200, f"with its age: {ev}")
        check(not any(isinstance(l, str) and l.startswith("data: ") for l in got["c"]),
              "C's stream stays silent")
        reports = sorted(a["report"]["id"] for a in alerts(n, b_tok))
        eq(reports, sorted([rid, old_rid]), "the expired observable alerts too")
        r = n.request("GET", "/api/v1/lookup?value=old.gub.uy", token=b_tok).json()
        eq(len(r["matches"]), 1, "the expired observable stays queryable")
        check(r["expired"], f"and is shown as expired (score {r['score']})")

        # sightings: counts and first/last seen
        for body in [{"value": "198.51.100.200", "count": 3, "seen_at": ts(5, millis=False)},
                     {"value": "198.51.100.200"}]:
            r = n.request("POST", "/api/v1/sightings", body, token=c_tok)
            eq(r.status, 201, f"sighting: {r}")
        eq(n.request("POST", "/api/v1/sightings", {"value": "nope..x"}, token=c_tok).status,
           422, "bad sighting")
        r = n.request("GET", "/api/v1/lookup?value=198.51.100.200", token=b_tok).json()
        eq(r["sightings"], 4, "sightings counted")
        eq(r["first_seen"], TS, "first seen")
        check(r["last_seen"] > ts(5), "last seen")
        check(r["score"] > 50 and not r["expired"], f"sightings raise the score: {r['score']}")
        # STIX sighting objects in a report count too
        ind = indicator("[url:value = 'HTTP://Evil.Example.COM:80/a']", tlp="green")
        s = {"type": "sighting", "spec_version": "2.1", "id": sid("sighting"),
             "created": ts(1), "modified": ts(1),
             "sighting_of_ref": ind["id"], "count": 5, "last_seen": ts(1)}
        submit(n, [ind, s], "all", a_tok)
        time.sleep(0.3)
        r = n.request("GET", "/api/v1/lookup?value=http://evil.example.com/a", token=c_tok).json()
        eq(r["sightings"], 5, f"a STIX sighting counts: {r}")
        # the CLI looks up one value and a batch
        out = n.cli("lookup", "198.51.100.200", token=b_tok)
        eq(out.returncode, 0, out.stderr)
        check("Reporter" in out.stdout and "exact" in out.stdout, out.stdout)
        out = n.cli("lookup", "--batch", token=b_tok,
                    stdin="198.51.100.200\nold.gub.uy\n300.0.0.1\n")
        eq(out.returncode, 0, out.stderr)
        lines = out.stdout
        check("198.51.100.200 (ipv4)" in lines and "old.gub.uy (domain)" in lines
              and "300.0.0.1:" in lines, lines)
        # related: the two reports naming 198.51.100.200 are linked
        rid2 = submit(n, [indicator("[ipv4-addr:value = '198.51.100.200']", tlp="green")],
                      f"member:{b_id}", a_tok)
        time.sleep(0.3)
        rel = n.request("GET", f"/api/v1/reports/{rid2}/related", token=b_tok).json()
        eq([x["report"] for x in rel["items"]], [rid], "related report")
        eq(rel["items"][0]["shared"][0]["value"], "198.51.100.200", "shared value")
        eq(n.request("GET", f"/api/v1/reports/{rid2}/related", token=c_tok).status, 404,
           "not for C")
        r = n.request("GET", f"/api/v1/reports/{old_rid}/related", token=c_tok)
        eq(r.status, 200, "C sees the report shared with all")
        eq(r.json()["items"], [], "and nothing it may not see")
    finally:
        clean(n)


def test_index_rebuilt_at_start(bin_):
    n = Node(bin_).start()
    try:
        a_id, a_tok, _ = member(n, "Reporter", "BR")
        submit(n, [indicator("[email-addr:value = 'phish@evil.example'] AND "
                             "[file:hashes.'SHA-256' = '" + "AB" * 32 + "']", tlp="clear")],
               "all", a_tok)
        time.sleep(0.3)
        n.restart()
        r = n.request("GET", "/api/v1/lookup?value=" + "ab" * 32).json()
        eq(len(r["matches"]), 1, "the hash is found after a restart")
        r = n.request("GET", "/api/v1/lookup?value=phish@evil.example").json()
        eq(len(r["matches"]), 1, "the e-mail address too")
        check("event=index_built reports=1" in n.read_log(), "the build is logged")
    finally:
        clean(n)


class SmtpSink:
    """A minimal SMTP server in a thread: accepts every message and keeps it."""

    def __init__(self):
        import socketserver
        self.mails = []
        sink = self

        class H(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 sink ESMTP\r\n")
                rcpt, data = [], None
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("latin-1").strip()
                    up = cmd.upper()
                    if data is not None:
                        if cmd == ".":
                            sink.mails.append((rcpt, b"".join(data).decode("utf-8", "replace")))
                            data, rcpt = None, []
                            self.wfile.write(b"250 queued\r\n")
                        else:
                            data.append(line)
                    elif up.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250 sink\r\n")
                    elif up.startswith("MAIL FROM"):
                        self.wfile.write(b"250 ok\r\n")
                    elif up.startswith("RCPT TO"):
                        rcpt.append(cmd.split(":", 1)[1].strip())
                        self.wfile.write(b"250 ok\r\n")
                    elif up == "DATA":
                        data = []
                        self.wfile.write(b"354 go on\r\n")
                    elif up == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_email_alert_through_smtp_relay(bin_):
    sink = SmtpSink()
    n = Node(bin_, extra_args=["--smtp-url", f"smtp://127.0.0.1:{sink.port}",
                               "--smtp-from", "alerts@node.example.org"]).start()
    try:
        a_id, a_tok, _ = member(n, "Reporter", "BR")
        b_id, b_tok, _ = member(n, "CERT-B", "UY", {"cidrs": ["192.0.2.0/24"]}, [None])
        rid = submit(n, [indicator("[ipv4-addr:value = '192.0.2.77']", tlp="green")],
                     f"member:{b_id}", a_tok)
        al = wait_alerts(n, b_tok, 1)
        eq(len(al), 1, "one alert")
        deadline = time.time() + 10
        while not sink.mails and time.time() < deadline:
            time.sleep(0.05)
        eq(len(sink.mails), 1, "one e-mail through the relay")
        rcpt, text = sink.mails[0]
        eq(rcpt, ["<cert-b1@cert.example.org>"], "to the first contact")
        check(f"alert {al[0]['id']}" in text and rid in text and "192.0.2.77" in text,
              f"the mail names the alert, the report and the observable: {text[:400]}")
        check("atalaya alerts ack" in text, "says how to acknowledge")
        steps = n.request("GET", f"/api/v1/alerts/{al[0]['id']}", token=b_tok).json()["steps"]
        check(any("email" in json.dumps(s) for s in steps), f"the e-mail is a step: {steps}")
    finally:
        n.cleanup()
        sink.close()


def test_webhook_ssrf_refused(bin_):
    """Issue 12 item 6: without webhook_allow_networks, a webhook cannot reach
    loopback, link-local, private or reserved addresses: a literal one is
    refused when the contact is saved, a name that resolves to one is refused
    at connect time, and the member reads only "refused by webhook policy"."""
    n = Node(bin_, loopback_webhooks=False).start()
    rx = Receiver()
    try:
        a_id, a_tok, _ = member(n, "Reporter", "BR")
        b_id, b_tok, _ = member(n, "CERT-B", "UY", {"cidrs": ["192.0.2.0/24"]})

        def contacts():
            r = n.request("GET", f"/api/v1/contacts?member={b_id}", token=b_tok)
            eq(r.status, 200, f"contacts: {r}")
            return r.json()["items"]

        bad = [(rx.url("/ok/b"), "loopback"),
               (f"http://[::1]:{rx.port}/ok/b", "loopback"),
               (f"http://[::ffff:127.0.0.1]:{rx.port}/ok/b", "loopback"),
               (f"http://127.1:{rx.port}/ok/b", "loopback"),
               ("http://169.254.169.254/latest/meta-data/", "link-local"),
               ("http://10.0.0.8/hook", "private"),
               ("http://[fd00::8]/hook", "private"),
               ("http://100.64.1.1/hook", "CGNAT"),
               ("http://[::1", "not a valid URL"),
               ("http://hooks.example.org:99999/a", "not a valid URL"),
               ("ftp://hooks.example.org/a", "not an http or https URL")]
        for url, says in bad:
            r = n.request("POST", "/api/v1/contacts", contact("B1", url), token=b_tok)
            eq(r.status, 422, f"{url}: {r}")
            err = r.json()["error"]
            eq(err.get("field"), "webhook_url", f"field for {url}")
            check(says in err["message"], f"{url}: the reason ({says}): {err['message']}")
        eq(contacts(), [], "nothing stored from refused contacts")

        # an update is checked the same way
        r = n.request("POST", "/api/v1/contacts", contact("B1"), token=b_tok)
        eq(r.status, 201, f"a contact without webhook: {r}")
        cid = r.json()["id"]
        r = n.request("PATCH", f"/api/v1/contacts/{cid}", {"webhook_url": rx.url("/ok/b")},
                      token=b_tok)
        eq(r.status, 422, f"PATCH to loopback: {r}")
        eq(contacts()[0].get("webhook_url"), None, "the contact is unchanged")

        # a name that resolves to loopback passes the save, and is refused at connect
        hook = f"http://localhost:{rx.port}/ok/b"
        r = n.request("PATCH", f"/api/v1/contacts/{cid}", {"webhook_url": hook}, token=b_tok)
        eq(r.status, 200, f"a name is saved: {r}")
        submit(n, [indicator("[ipv4-addr:value = '192.0.2.9']", tlp="green")], "all", a_tok)
        al = wait_alerts(n, b_tok, 1)
        eq(len(al), 1, "the alert is raised")
        deadline = time.time() + 10
        while True:
            steps = n.request("GET", f"/api/v1/alerts/{al[0]['id']}", token=b_tok).json()["steps"]
            dl = [s for s in steps if s["kind"] == "delivery"]
            if dl or time.time() > deadline:
                break
            time.sleep(0.05)
        eq([(s.get("outcome"), s.get("detail")) for s in dl],
           [("refused", "refused by webhook policy")],
           "one attempt, refused, and nothing more said")
        time.sleep(1.5)  # no retry comes
        steps = n.request("GET", f"/api/v1/alerts/{al[0]['id']}", token=b_tok).json()["steps"]
        eq(len([s for s in steps if s["kind"] == "delivery"]), 1, "a refusal is not retried")
        eq(rx.got, [], "the receiver on loopback got nothing")
        check("event=webhook_refused" in n.read_log() and "reason=\"loopback\"" in n.read_log(),
              "the operator's log says why")
    finally:
        rx.close()
        clean(n)


def test_webhook_allow_networks_setting(bin_):
    """webhook_allow_networks: a bad entry stops the node with the setting
    named; an allowed network delivers (every other test runs with
    127.0.0.0/8 allowed)."""
    n = Node(bin_, loopback_webhooks=False)
    try:
        out = subprocess.run([bin_, "serve", "--data", n.data, "--listen",
                              f"127.0.0.1:{n.port}", "--webhook-allow-networks",
                              "127.0.0.0/8,10.0.0.0/33"], capture_output=True, text=True,
                             timeout=20)
        check(out.returncode != 0, "a bad allow list stops serve")
        check("webhook_allow_networks" in out.stderr and "10.0.0.0/33" in out.stderr,
              f"the error names the setting and the entry: {out.stderr}")
    finally:
        n.cleanup()


def test_old_news_alerts_with_its_age(bin_):
    """Issue 12, "Early warning on old news": a report received today whose
    indicator in a member's constituency was created 200 days ago (no
    valid_until) raises an alert showing its age, at low priority and without
    escalation; a current one gets normal priority; an indicator past its
    valid_until alerts as old news too, marked expired; a revoked one does not
    alert."""
    n = Node(bin_).start()
    rx = Receiver()
    try:
        a_id, a_tok, _ = member(n, "Reporter", "BR")
        b_id, b_tok, b_secret = member(n, "CERT-B", "UY", {"cidrs": ["198.51.100.0/24"]},
                                       [rx.url("/ok/old1"), rx.url("/ok/old2")])
        r = n.request("PATCH", f"/api/v1/members/{b_id}", {"ack_deadline_seconds": 10})
        eq(r.status, 200, f"ack deadline: {r}")

        def ind(value, created, **extra):
            o = indicator(f"[ipv4-addr:value = '{value}']", tlp="green", modified=created)
            o["created"] = o["valid_from"] = created
            o.update(extra)
            return o

        def one_alert(rid):
            deadline = time.time() + 5
            while time.time() < deadline:
                got = [a for a in alerts(n, b_tok) if a["report"]["id"] == rid]
                if got:
                    return got[0]
                time.sleep(0.05)
            raise AssertionError(f"no alert for {rid}")

        old = days_ago(200)
        rid_old = submit(n, [ind("198.51.100.20", old)], "all", a_tok)
        al = one_alert(rid_old)
        eq(al["priority"], "low", "old news: low priority")
        check(al["indicator_age_days"] in (199, 200), f"its age shown: {al}")
        eq(al["first_seen"], old, "first seen when the indicator was created")
        o = al["observables"][0]
        eq((o["value"], o["first_seen"], o["expired"]), ("198.51.100.20", old, False),
           "each observable carries its age")
        check(o["indicator_age_days"] in (199, 200) and o["score"] < 10, f"observable: {o}")
        eq(al["escalate_at"], None, "old news does not escalate")
        calls = rx.wait("/ok/old1", 1, timeout=5)
        eq(len(calls), 1, "the first contact hears of it")
        body = json.loads(calls[0][3])
        eq((body["alert"]["priority"], body["alert"]["first_seen"]), ("low", old),
           "the webhook shows priority and age")
        check(verify(b_secret, calls[0]), "signed")
        full = n.request("GET", f"/api/v1/alerts/{al['id']}", token=b_tok).json()
        created = [s for s in full["steps"] if s["kind"] == "created"][0]
        check("old news" in created["detail"] and "no escalation" in created["detail"],
              f"the step says why: {created}")

        rid_new = submit(n, [ind("198.51.100.21", days_ago(0))], "all", a_tok)
        al_new = one_alert(rid_new)
        eq((al_new["priority"], al_new["indicator_age_days"]), ("normal", 0),
           "a current indicator: normal priority")
        check(al_new["escalate_at"] is not None, "a current alert escalates")

        # old and current in one report: the current one decides
        rid_mix = submit(n, [ind("198.51.100.22", old), ind("198.51.100.23", days_ago(1))],
                         "all", a_tok)
        al_mix = one_alert(rid_mix)
        eq((al_mix["priority"], al_mix["indicator_age_days"]), ("normal", 1),
           "the freshest observable gives priority and age")

        # past its valid_until: still news to B, as expired; revoked: withdrawn, no alert
        rid_exp = submit(n, [ind("198.51.100.24", days_ago(3), valid_until=days_ago(1))],
                         "all", a_tok)
        al_exp = one_alert(rid_exp)
        eq((al_exp["priority"], al_exp["observables"][0]["expired"]), ("low", True),
           "an expired indicator: low priority, marked expired")
        rid_rev = submit(n, [ind("198.51.100.25", days_ago(0), revoked=True)], "all", a_tok)
        time.sleep(1.0)
        eq([a for a in alerts(n, b_tok) if a["report"]["id"] == rid_rev], [],
           "a revoked indicator raises no alert")

        out = n.cli("alerts", "list", token=b_tok)
        eq(out.returncode, 0, out.stderr)
        line = [l for l in out.stdout.splitlines() if rid_old in l]
        check(line and "low priority" in line[0] and
              ("200 days" in line[0] or "199 days" in line[0]),
              f"the CLI shows priority and age: {out.stdout}")
        line = [l for l in out.stdout.splitlines() if rid_new in l]
        check(line and "normal priority" in line[0], f"and normal priority: {out.stdout}")
    finally:
        rx.close()
        clean(n)


if __name__ == "__main__":
    run([test_email_alert_through_smtp_relay, test_alerts_scope_signature_escalation, test_restart_resumes_delivery,
         test_hanging_receiver_blocks_nobody, test_stream_constituency_sightings_cli,
         test_index_rebuilt_at_start, test_webhook_ssrf_refused,
         test_webhook_allow_networks_setting, test_old_news_alerts_with_its_age], BIN)
