"""Communication checks (issue 16): a simulated check of 193 States on
loopback. Each State has a primary contact (role crisis) and an alternate
(role technical, next in escalation order), both with webhooks to a scripted
responder: seeded delays, 10% never answer (their challenge link is opened
with a GET, which must not count), 5% answer only through the alternate after
escalation. The daemon is restarted in the middle of the check. The report's
per-State and overall figures must match what the script did within 1 s."""
import hashlib
import hmac
import http.client
import json
import http.server
import random
import sys
import threading
import time

from harness import Node, check, eq, run
from test_warning import SmtpSink

BIN = sys.argv[1]
STATES = 193
WINDOW_S = 3
REPLY_S = 3


class Responder:
    """Receives challenges; answers as scripted, with the State's token."""

    def __init__(self, node, plan, tokens, flaky=()):
        self.node, self.plan, self.tokens = node, plan, tokens
        self.flaky = set(flaky)  # states whose primary answers 500 to the first attempt
        self.got = {}       # (state, which) -> (time, body, headers)
        self.answered = {}  # state -> time the answer was accepted
        self.lock = threading.Lock()
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                _, _, state, which = self.path.split("/")
                with rec.lock:
                    fail = which == "primary" and int(state) in rec.flaky
                    rec.flaky.discard(int(state))
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if fail:
                    return  # not received: the node retries
                rec.received(int(state), which, body, dict(self.headers))

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 1024  # the node sends up to 64 at once
            daemon_threads = True

        self.srv = Server(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def received(self, state, which, raw, headers):
        msg = json.loads(raw)
        with self.lock:
            if (state, which) in self.got:
                return  # a retry after the restart: same code, answered once
            self.got[(state, which)] = (time.time(), msg, headers, raw)
        kind, delay = self.plan[state]
        if kind == "never":
            # a link prefetcher: must not count
            r = self.node.request("GET", msg["link"][len(self.node.url):], token=None)
            assert r.status == 200, r
            return
        if (kind == "primary") != (which == "primary"):
            return
        threading.Thread(target=self.answer, args=(state, msg["code"], delay),
                         daemon=True).start()

    def answer(self, state, code, delay):
        time.sleep(delay)
        deadline = time.time() + 30
        while time.time() < deadline:  # the node may be restarting
            try:
                r = self.node.request("POST", "/api/v1/checks/answer", {"code": code},
                                      token=self.tokens[state])
                if r.status == 200:
                    with self.lock:
                        self.answered[state] = time.time()
                    return
            except (OSError, http.client.HTTPException, AttributeError):
                # the restart closed the connection; http.client may then find
                # its socket gone (AttributeError) rather than raise OSError
                pass
            time.sleep(0.1)

    def url(self, state, which):
        return f"http://127.0.0.1:{self.port}/hook/{state}/{which}"

    def close(self):
        self.srv.shutdown()


def percentile(v, p):
    v = sorted(v)
    rank = (p * len(v) + 99) // 100
    return v[max(rank, 1) - 1]


def setup_states(node):
    members, tokens = {}, {}
    for i in range(STATES):
        mid, tok = node.add_member(f"CERT-{i:03d}", country="BR")
        members[i], tokens[i] = mid, tok
    return members, tokens


def add_contacts(node, members, tokens, resp):
    for i in range(STATES):
        for which, role, pos in (("primary", "crisis", 1), ("alternate", "technical", 2)):
            r = node.request("POST", "/api/v1/contacts", {
                "role": role, "name": f"{which} {i}", "email": f"{which}{i}@example.org",
                "availability": "24/7", "escalation_position": pos,
                "webhook_url": resp.url(i, which)}, token=tokens[i])
            eq(r.status, 201, f"contact of state {i}")


def test_simulated_check_of_193_states(binary):
    node = Node(binary).start()
    rng = random.Random(16)
    idx = list(range(STATES))
    rng.shuffle(idx)
    never, alternate = set(idx[:19]), set(idx[19:29])  # 10% and 5%
    plan = {}
    for i in range(STATES):
        kind = "never" if i in never else "alternate" if i in alternate else "primary"
        plan[i] = (kind, round(rng.uniform(0.1, 2.0), 3))
    try:
        members, tokens = setup_states(node)
        flaky = [i for i in idx[29:] if plan[i][0] == "primary"][:5]
        resp = Responder(node, plan, tokens, flaky)
        # state 0 verifies the signature of its challenges, as of its alerts
        secret = node.request("POST", "/api/v1/alerts/webhook-secret",
                              token=tokens[0]).json()["webhook_secret"]
        add_contacts(node, members, tokens, resp)
        by_member = {members[i]: i for i in range(STATES)}

        # bad input changes nothing and names the field
        r = node.request("POST", "/api/v1/checks", {"contacts": "all", "roles": ["crisis"],
                                                     "window": "soon", "reply_within": "2s"})
        eq(r.status, 422, "bad window")
        eq(r.json()["error"]["field"], "window", "bad window field")
        r = node.request("POST", "/api/v1/checks", {"contacts": "all", "roles": ["crisis"],
                                                     "window": "1s", "reply_within": "2s"},
                         token=tokens[0])
        eq(r.status, 403, "a member that is not an admin starts no check")
        eq(node.request("GET", "/api/v1/checks").json()["items"], [], "no check stored")

        out = node.cli("check", "start", "--contacts", "all", "--roles", "crisis",
                       "--window", f"{WINDOW_S}s", "--reply-within", f"{REPLY_S}s",
                       "--exercise", "--json")
        eq(out.returncode, 0, f"check start: {out.stderr}")
        started = json.loads(out.stdout)
        cid = started["id"]
        eq(started["overall"]["targets"], STATES, "one target per State (crisis contacts)")

        time.sleep(1.5)
        node.restart()  # in the middle of the window: the schedule is in the store

        deadline = time.time() + 45
        while time.time() < deadline:
            st = node.request("GET", f"/api/v1/checks/{cid}").json()
            if st["state"] == "finished" and len(resp.answered) >= STATES - len(never):
                break
            time.sleep(0.5)
        eq(st["state"], "finished", "the check finished")
        eq(len(resp.answered), STATES - len(never), "every scripted answer was accepted")

        # every challenge was marked an exercise, on the body and the header
        for (state, which), (t, msg, headers, _) in resp.got.items():
            check(msg["exercise"] is True, f"exercise mark in the body of {state}/{which}")
            check(headers.get("X-Atalaya-Check", "").endswith("exercise"),
                  f"exercise mark in the header of {state}/{which}")

        # challenges are signed like alerts, with the member's webhook secret
        for which in ("primary", "alternate"):
            if (0, which) in resp.got:
                body, headers = resp.got[(0, which)][3], resp.got[(0, which)][2]
                want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                check(hmac.compare_digest(headers.get("X-Atalaya-Signature", ""), want),
                      "signature of state 0's challenge")
        # a failed delivery is retried, and the contact's time starts when it arrives
        check(not resp.flaky, "every flaky receiver failed once")

        # escalation on time: the alternate got its challenge reply_within after the primary
        for i in range(STATES):
            kind = plan[i][0]
            if kind in ("never", "alternate"):
                check((i, "alternate") in resp.got, f"state {i} escalated to its alternate")
                gap = resp.got[(i, "alternate")][0] - resp.got[(i, "primary")][0]
                check(REPLY_S - 0.3 <= gap <= REPLY_S + 1.5,
                      f"state {i}: escalation after {gap:.2f} s, expected {REPLY_S} s")
            else:
                check((i, "alternate") not in resp.got, f"state {i} not escalated")

        report = node.cli("check", "report", str(cid), "--format", "json")
        eq(report.returncode, 0, report.stderr)
        rep = json.loads(report.stdout)
        eq(len(rep["states"]), STATES, "a row per State")
        times = []
        for row in rep["states"]:
            i = by_member[row["member"]]
            kind = plan[i][0]
            eq(row["targets"], 1, f"state {i} targets")
            eq(row["reached"], 1, f"state {i} reached")
            eq(row["answered"], 0 if kind == "never" else 1, f"state {i} answered")
            eq(row["no_answer"], 1 if kind == "never" else 0, f"state {i} no answer")
            eq(row["escalated"], 0 if kind == "primary" else 1, f"state {i} escalated")
            if kind != "never":
                expected = resp.answered[i] - resp.got[(i, "primary")][0]
                times.append(expected)
                got = row["p50_ms"] / 1000
                check(abs(got - expected) <= 1.0,
                      f"state {i} ({kind}): time to answer {got:.2f} s, script {expected:.2f} s")
            else:
                eq(row["p50_ms"], None, f"state {i}: no time to answer")
        ov = rep["overall"]
        eq(ov["targets"], STATES, "overall targets")
        eq(ov["answered"], STATES - len(never), "overall answered (GETs did not count)")
        eq(ov["no_answer"], len(never), "overall no answer")
        eq(ov["escalated"], len(never) + len(alternate), "overall escalated")
        check(abs(ov["answered_share"] - (STATES - len(never)) / STATES) < 1e-9, "share")
        for p in (50, 95):
            check(abs(ov[f"p{p}_ms"] / 1000 - percentile(times, p)) <= 1.0,
                  f"overall p{p}: {ov[f'p{p}_ms']} ms, script {percentile(times, p):.3f} s")

        csv = node.cli("check", "report", str(cid), "--format", "csv")
        eq(csv.returncode, 0, csv.stderr)
        lines = csv.stdout.strip().splitlines()
        eq(len(lines), STATES + 2, "csv: header, a row per State, overall")
        check(lines[0].startswith("member,name,country,targets"), "csv header")

        # the results survive a restart
        node.restart()
        again = node.request("GET", f"/api/v1/checks/{cid}/report").json()
        eq(again["overall"], rep["overall"], "overall figures after a restart")

        # a State sees its own row only; a code of another State is not its to answer
        i = next(iter(never))
        mine = node.request("GET", f"/api/v1/checks/{cid}", token=tokens[i]).json()
        eq([s["member"] for s in mine["states"]], [members[i]], "a State sees its own row")
        eq(mine["overall"]["targets"], 1, "overall over what the State may see")
        code = resp.got[(i, "primary")][1]["code"]
        other = next(j for j in range(STATES) if j != i)
        r = node.request("POST", "/api/v1/checks/answer", {"code": code}, token=tokens[other])
        eq(r.status, 404, "another State's code")
        eq(r.json()["error"]["field"], "code", "the error names the code")
        r = node.request("GET", f"/api/v1/checks/{cid}/report", token=tokens[i]).json()
        eq(r["states"][0]["answered"], 0, "still unanswered")
        # a late authenticated answer by the State itself counts
        r = node.request("POST", "/api/v1/checks/answer", {"code": code}, token=tokens[i])
        eq(r.status, 200, "late answer")
        eq(r.json()["already_answered"], False, "first answer")
        r = node.request("POST", "/api/v1/checks/answer", {"code": code}, token=tokens[i])
        eq(r.json()["already_answered"], True, "answering twice is harmless")
        hist = node.cli("check", "list", "--member", str(members[i]), "--json",
                        token=tokens[i])
        eq(hist.returncode, 0, hist.stderr)
        eq([h["member"]["answered"] for h in json.loads(hist.stdout)], [1], "history")
        resp.close()
    except Exception:
        print(node.read_log()[-4000:])
        raise
    finally:
        node.cleanup()


def test_email_challenge_and_bounce(binary):
    """E-mail carries the challenge (marked as an exercise); a webhook the policy
    refuses at connect time is a bounced address; the code from the mail,
    sent with the member's token through the CLI, answers."""
    sink = SmtpSink()
    node = Node(binary, loopback_webhooks=False,
                extra_args=["--smtp-url", f"smtp://127.0.0.1:{sink.port}"]).start()
    try:
        mid, tok = node.add_member("CERT-M", country="PY")
        r = node.request("POST", "/api/v1/contacts", {
            "role": "crisis", "name": "Duty", "email": "duty@m.example.org",
            "availability": "24/7", "webhook_url": "http://localhost:9/hook"}, token=tok)
        eq(r.status, 201, f"contact: {r}")
        out = node.cli("check", "start", "--contacts", f"member:{mid}", "--roles", "crisis",
                       "--window", "0s", "--reply-within", "30s", "--exercise")
        eq(out.returncode, 0, out.stderr)
        check("(exercise)" in out.stdout, f"start says exercise: {out.stdout}")
        deadline = time.time() + 10
        while not sink.mails and time.time() < deadline:
            time.sleep(0.05)
        eq(len(sink.mails), 1, "one challenge by mail")
        rcpt, mail = sink.mails[0]
        eq(rcpt, ["<duty@m.example.org>"], "to the contact's address")
        check("Subject: [atalaya] [EXERCISE] communication check 1" in mail, mail[:300])
        check("X-Atalaya-Exercise: yes" in mail, "exercise header")
        code = next(l.split(": ")[1].strip() for l in mail.splitlines()
                    if l.startswith("Your code: "))
        deadline = time.time() + 5
        while time.time() < deadline:
            st = node.request("GET", "/api/v1/checks/1/report").json()["overall"]
            if st["bounced"] and st["reached"]:  # the two deliveries end in either order
                break
            time.sleep(0.05)
        eq((st["reached"], st["bounced"], st["answered"]), (1, 1, 0),
           "reached by mail, the refused webhook bounced")
        out = node.cli("check", "answer", code, token=tok)
        eq(out.returncode, 0, out.stderr)
        check("answered after" in out.stdout, out.stdout)
        st = node.cli("check", "status", "1")
        eq(st.returncode, 0, st.stderr)
        check("CERT-M" in st.stdout and "100%" in st.stdout, st.stdout)
        eq(node.request("GET", "/api/v1/checks/1/report").json()["overall"]["answered"], 1,
           "answered")
    except Exception:
        print(node.read_log()[-3000:])
        raise
    finally:
        node.cleanup()
        sink.close()


if __name__ == "__main__":
    run([test_simulated_check_of_193_states, test_email_challenge_and_bounce], BIN)
