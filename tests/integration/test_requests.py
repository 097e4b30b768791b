"""Requests for assistance, clarification and capacity (issue 15): the
lifecycle through the CLI and HTTP, matching by capabilities, scope from
outside by every path, reminders and escalation through the alert channels,
overdue exactly at the deadline, exercises marked and kept out of statistics,
persistence across a restart."""
import calendar
import http.client
import json
import subprocess
import sys
import threading
import time

from harness import Node, check, eq, run
from test_warning import Receiver, SmtpSink, contact, verify

BIN = sys.argv[1]


def clean(n):
    """Fails on a sanitizer report, then removes the node."""
    log = n.read_log()
    n.cleanup()
    bad = [l for l in log.splitlines() if "runtime error" in l]
    check(not bad and "AddressSanitizer" not in log, f"sanitizer: {bad[:3]}")


def member(n, name, country="BR", hooks=(), caps=None):
    mid, tok = n.add_member(name, country)
    for i, h in enumerate(hooks):
        r = n.request("POST", "/api/v1/contacts", contact(f"{name}{i + 1}", h, i + 1), token=tok)
        eq(r.status, 201, f"contact of {name}: {r}")
    if caps is not None:
        r = n.request("PUT", "/api/v1/capabilities", {"capabilities": caps}, token=tok)
        eq(r.status, 200, f"capabilities of {name}: {r}")
    return mid, tok


def cli_ok(n, tok, *args):
    out = n.cli(*args, token=tok)
    eq(out.returncode, 0, f"atalaya {' '.join(args)}: {out.stderr}")
    return out.stdout


def show(n, tok, rid):
    return n.request("GET", f"/api/v1/requests/{rid}", token=tok)


def listed(n, tok, query=""):
    r = n.request("GET", "/api/v1/requests" + query, token=tok)
    eq(r.status, 200, f"list: {r}")
    return [q["id"] for q in r.json()["items"]]


def stream(n, tok, seconds, into):
    """Reads the caller's alert stream for `seconds` into `into` (lines)."""
    conn = http.client.HTTPConnection("127.0.0.1", n.port, timeout=seconds + 4)
    conn.request("GET", "/api/v1/alerts/stream", headers={"Authorization": f"Bearer {tok}"})
    resp = conn.getresponse()
    into.append(resp.status)
    end = time.time() + seconds
    try:
        while time.time() < end:
            line = resp.fp.readline()
            if not line:
                break
            into.append(line.decode())
    except OSError:
        pass
    conn.close()


def events(lines):
    return [json.loads(l[6:]) for l in lines if isinstance(l, str) and l.startswith("data: ")]


def hook_events(rec, path):
    return [json.loads(c[3]) for c in rec.calls(path)]


def test_lifecycle_and_scope(bin_):
    rec = Receiver()
    rec.failing = False
    n = Node(bin_).start()
    try:
        a_id, a_tok = member(n, "CERT-A", "UY")
        b_id, b_tok = member(n, "CERT-B", "BR", hooks=[rec.url("/ok/b1")])
        c_id, c_tok = member(n, "CERT-C", "AR", caps=["training"])
        d_id, d_tok = member(n, "CERT-D", "ES", hooks=[rec.url("/ok/d1")], caps=["forensics"])
        r = n.request("POST", "/api/v1/groups", {"name": "LAC", "members": [a_id, b_id, c_id]})
        eq(r.status, 201, f"group: {r}")
        gid = r.json()["id"]
        secret = n.request("POST", "/api/v1/alerts/webhook-secret", token=b_tok).json()[
            "webhook_secret"]
        cli_ok(n, b_tok, "capabilities", "set", "forensics,malware-analysis")
        eq(n.request("GET", f"/api/v1/capabilities?member={b_id}", token=a_tok).json()[
            "capabilities"], ["forensics", "malware-analysis"], "B's capabilities")
        # D may not write C's capabilities
        eq(n.request("PUT", f"/api/v1/capabilities?member={c_id}", {"capabilities": []},
                     token=d_tok).status, 403, "capabilities of another member")

        # a report A may see and one it may not, to link
        from stixgen import bundle, dumps, indicator
        rep = n.request("POST", "/api/v1/reports?audience=all", raw=dumps(bundle(
            [indicator("[ipv4-addr:value = '192.0.2.1']", tlp="green")])), token=a_tok,
            content_type="application/stix+json;version=2.1").json()["id"]
        d_rep = n.request("POST", f"/api/v1/reports?audience=member:{d_id}", raw=dumps(bundle(
            [indicator("[ipv4-addr:value = '192.0.2.2']", tlp="green")])), token=d_tok,
            content_type="application/stix+json;version=2.1").json()["id"]

        # a peer node: requests do not travel to peers, so naming one is refused
        r = n.request("POST", "/api/v1/peers", {"name": "far", "url": "http://127.0.0.1:1",
                                                "public_key": "ed25519:" + "ab" * 32})
        eq(r.status, 201, f"a peer: {r}")
        peer = r.json()["id"]
        # bad input: a clear error naming the field, and nothing stored
        base = {"kind": "assistance", "title": "t", "deadline": "48h", "tlp": "amber",
                "audience": [f"group:{gid}"]}
        for field, value in [("kind", "help"), ("deadline", "soon"), ("deadline", "0s"),
                             ("tlp", "purple"), ("audience", ["group:999"]),
                             ("reports", [d_rep]), ("needs", ["Forensics!"]),
                             ("priority", "urgent"), ("audience", [f"peer:{peer}"])]:
            r = n.request("POST", "/api/v1/requests", dict(base, **{field: value}), token=a_tok)
            eq(r.status, 422, f"{field}={value!r}: {r}")
            eq(r.json()["error"]["field"], field, f"{field} is named: {r}")
        r = n.request("POST", "/api/v1/requests", dict(base, tlp="red"), token=a_tok)
        eq((r.status, r.json()["error"]["field"]), (422, "audience"), "TLP:RED to a group")
        eq(listed(n, a_tok), [], "nothing was stored")

        # live streams: B (told) and D (outside the audience)
        got = {"b": [], "d": []}
        threads = [threading.Thread(target=stream, args=(n, b_tok, 3, got["b"])),
                   threading.Thread(target=stream, args=(n, d_tok, 3, got["d"]))]
        for t in threads:
            t.start()
        time.sleep(0.4)
        out = cli_ok(n, a_tok, "request", "open", "--kind", "assistance", "--title",
                     "Ransomware at the health ministry", "--text", "Need forensics help",
                     "--deadline", "48h", "--tlp", "amber", "--audience", "group:LAC",
                     "--report", rep, "--needs", "forensics", "--json")
        opened = json.loads(out)
        rid = opened["id"]
        check(rid.startswith("request--") and len(rid) == 45, f"a STIX-like id: {rid}")
        eq(opened["told"], [b_id], "only B: in the audience with a fitting capability")
        for t in threads:
            t.join()
        ev = events(got["b"])
        eq([(e["event"], e["request"]["id"]) for e in ev], [("told", rid)], "B's stream")
        eq(events(got["d"]), [], "D's stream stays silent")
        calls = rec.wait("/ok/b1")
        eq(len(calls), 1, "B's contact is told by webhook")
        check(verify(secret, calls[0]), "signed with B's webhook secret")
        body = json.loads(calls[0][3])
        eq((body["type"], body["event"], body["request"]["title"], body["exercise"]),
           ("atalaya.request", "told", "Ransomware at the health ministry", False), "webhook")
        check(not body["subject"].startswith("[EXERCISE]"), "not marked as an exercise")
        time.sleep(0.3)
        eq(rec.calls("/ok/d1"), [], "D is told nothing (outside the audience)")

        # who sees it
        check(rid in listed(n, b_tok, "?open=true"), "B lists it")
        check(rid in listed(n, c_tok), "C (in the audience, other capabilities) lists it")
        check(rid in listed(n, a_tok, "?mine=true"), "A lists it as its own")
        eq(listed(n, d_tok), [], "D lists nothing")
        eq(listed(n, b_tok, "?mine=true"), [], "not B's own")
        for method, path, body in [
                ("GET", f"/api/v1/requests/{rid}", None),
                ("POST", f"/api/v1/requests/{rid}/ack", None),
                ("POST", f"/api/v1/requests/{rid}/answers", {"text": "x"}),
                ("POST", f"/api/v1/requests/{rid}/offers", {"capability": "forensics"}),
                ("POST", f"/api/v1/requests/{rid}/close", {"outcome": "resolved"})]:
            r = n.request(method, path, body, token=d_tok)
            eq(r.status, 404, f"D: {method} {path}: {r}")
        out = n.cli("request", "show", rid, token=d_tok)
        check(out.returncode != 0 and "Ransomware" not in out.stdout, "D's CLI shows nothing")

        # B acknowledges, offers and answers (CLI and HTTP)
        cli_ok(n, b_tok, "request", "ack", rid)
        eq(show(n, b_tok, rid).json()["state"], "acknowledged", "acknowledged")
        out = cli_ok(n, b_tok, "request", "offer", rid, "--capability", "forensics", "--text",
                     "Two analysts on site tomorrow", "--json")
        offer = json.loads(out)["offers"][0]["id"]
        r = n.request("POST", f"/api/v1/requests/{rid}/answers",
                      {"text": "IOCs attached", "attach": [rep]}, token=b_tok)
        eq(r.status, 201, f"answer: {r}")
        eq(r.json()["state"], "answered", "answered")
        r = n.request("POST", f"/api/v1/requests/{rid}/answers",
                      {"text": "x", "attach": [d_rep]}, token=b_tok)
        eq((r.status, r.json()["error"]["field"]), (422, "attach"), "an unseen report")
        eq(n.request("POST", f"/api/v1/requests/{rid}/offers/{offer}/accept",
                     token=b_tok).status, 403, "only the originator accepts")

        # C sees the thread but not B's offer; A sees everything
        q = show(n, c_tok, rid).json()
        eq([a["text"] for a in q["answers"]], ["IOCs attached"], "C reads the thread")
        eq(q["answers"][0]["attach"], [rep], "with the attachment C may see")
        eq(q["offers"], [], "offers are between the originator and the offerer")
        check(not any(h["what"].startswith("offer") for h in q["history"]) and
              q["times"]["seconds_to_first_offer"] is None, f"nor in C's history: {q}")
        eq([h["what"] for h in show(n, b_tok, rid).json()["history"]].count("offered"), 1,
           "B reads its own offer in the history")
        check("seen_by" not in q and "members" not in q, "who saw it is the originator's")
        out = cli_ok(n, a_tok, "request", "accept", rid, "--offer", str(offer))
        check("accepted" in out, f"accept: {out}")
        q = show(n, a_tok, rid).json()
        eq([(o["member"]["id"], o["state"]) for o in q["offers"]], [(b_id, "accepted")], "offer")
        eq(sorted(v["member"] for v in q["seen_by"]), sorted([b_id, c_id]), "who saw it")
        eq([m["member"] for m in q["members"]], [b_id], "B's times")
        for k in ("seconds_to_acknowledge", "seconds_to_first_answer", "seconds_to_first_offer"):
            check(isinstance(q["times"][k], float) and q["times"][k] >= 0, f"{k}: {q['times']}")
        whats = [h["what"] for h in q["history"]]
        eq(whats, ["opened", "told", "acknowledged", "offered", "answered", "offer_accepted"],
           "history")
        check(all(h["at"] for h in q["history"]) and q["history"][2]["member"] == b_id,
              "who and when")
        out = cli_ok(n, a_tok, "request", "show", rid)
        check("Seen by:" in out and "CERT-C" in out and "offer_accepted" in out,
              f"show for the originator: {out}")
        # stats count only what the caller may see
        eq(n.request("GET", "/api/v1/requests/stats", token=d_tok).json()["requests"], 0,
           "D counts nothing")
        eq(n.request("GET", "/api/v1/requests/stats", token=c_tok).json()["requests"], 1, "C")

        # close; then nothing more happens to it
        eq(n.request("POST", f"/api/v1/requests/{rid}/close", {"outcome": "resolved"},
                     token=b_tok).status, 403, "only the originator closes")
        cli_ok(n, a_tok, "request", "close", rid, "--outcome", "resolved")
        eq(n.request("POST", f"/api/v1/requests/{rid}/answers", {"text": "late"},
                     token=b_tok).status, 409, "closed")
        eq(listed(n, b_tok, "?open=true"), [], "no longer open")

        # persistence across a restart
        n.restart()
        q = show(n, a_tok, rid).json()
        eq((q["state"], q["outcome"], len(q["answers"]), len(q["history"])),
           ("closed", "resolved", 1, 7), "after a restart")
        eq(listed(n, d_tok), [], "D still sees nothing")
    finally:
        clean(n)
        rec.close()


def test_deadline_reminders_escalation_overdue(bin_):
    rec = Receiver()
    rec.failing = False
    n = Node(bin_, extra_args=["--request-reminders", "50,75"]).start()
    try:
        a_id, a_tok = member(n, "Origin", "UY", hooks=[rec.url("/ok/a1")])
        b_id, b_tok = member(n, "Silent", "BR", hooks=[rec.url("/ok/b1"), rec.url("/ok/b2")])
        c_id, c_tok = member(n, "Quick", "AR", hooks=[rec.url("/ok/c1"), rec.url("/ok/c2")])
        r = n.request("POST", "/api/v1/requests", {
            "kind": "clarification", "title": "Is this scan yours?", "deadline": "4s",
            "tlp": "green", "audience": [f"member:{b_id}", f"member:{c_id}"]}, token=a_tok)
        eq(r.status, 201, f"open: {r}")
        rid, deadline = r.json()["id"], r.json()["deadline"]
        eq(sorted(r.json()["told"]), sorted([b_id, c_id]), "both told")
        eq(n.request("POST", f"/api/v1/requests/{rid}/ack", token=c_tok).status, 200, "C acks")
        q = show(n, a_tok, rid).json()
        eq(q["overdue"], False, "not overdue before its deadline")
        dl = calendar.timegm(time.strptime(deadline[:19], "%Y-%m-%dT%H:%M:%S")) \
            + float(deadline[19:23])
        # the reminder at 50 % escalates B (not acknowledged) to its second contact; the
        # one at 75 % finds no third and reminds the second again
        rec.wait("/ok/b2", timeout=5)
        eq([e["event"] for e in hook_events(rec, "/ok/b2")], ["escalated"], "escalated")
        rec.wait("/ok/b2", n=2, timeout=5)
        eq([e["event"] for e in hook_events(rec, "/ok/b2")], ["escalated", "reminder"],
           "then reminded")
        eq([e["event"] for e in hook_events(rec, "/ok/b1")], ["told"], "b1 told once")
        eq(rec.calls("/ok/c2"), [], "C acknowledged: no escalation")
        # overdue exactly at the deadline: polled, it turns true no earlier than then
        while time.time() < dl + 2:
            t0 = time.time()
            page = listed(n, a_tok, "?overdue=true")
            if page:
                check(t0 >= dl - 0.05, f"overdue at {t0}, deadline {dl}")
                break
            check(time.time() < dl + 0.5, "overdue soon after the deadline")
            time.sleep(0.02)
        eq(listed(n, a_tok, "?overdue=true"), [rid], "overdue")
        eq(show(n, b_tok, rid).json()["overdue"], True, "overdue for B too")
        # the originator is told at the deadline
        rec.wait("/ok/a1", timeout=5)
        eq([e["event"] for e in hook_events(rec, "/ok/a1")], ["overdue"], "A told")
        whats = [h["what"] for h in show(n, a_tok, rid).json()["history"]]
        eq(whats, ["opened", "told", "acknowledged", "reminder", "reminder", "overdue"],
           "history")
        # closing as expired: no longer overdue
        r = n.request("POST", f"/api/v1/requests/{rid}/close", {"outcome": "expired"},
                      token=a_tok)
        eq((r.status, r.json()["overdue"], r.json()["outcome"]), (200, False, "expired"), "closed")
        # a bad request_reminders stops the node with the setting named
        bad = subprocess.run([bin_, "serve", "--data", n.data, "--listen", "127.0.0.1:1",
                              "--request-reminders", "90,50"], capture_output=True, text=True,
                             timeout=20)
        check(bad.returncode != 0 and "request_reminders" in bad.stderr,
              f"bad request_reminders: {bad.stderr[-300:]}")
    finally:
        clean(n)
        rec.close()


def test_exercise_marked_and_excluded(bin_):
    rec = Receiver()
    rec.failing = False
    sink = SmtpSink()
    n = Node(bin_, extra_args=["--smtp-url", f"smtp://127.0.0.1:{sink.port}"]).start()
    try:
        a_id, a_tok = member(n, "Drill", "UY")
        b_id, b_tok = member(n, "Player", "BR", hooks=[rec.url("/ok/b1")])
        ids = {}
        for ex in (True, False):
            args = ["request", "open", "--kind", "capacity", "--title", f"exercise={ex}",
                    "--deadline", "1d", "--tlp", "green", "--audience", f"member:{b_id}",
                    "--json"] + (["--exercise"] if ex else [])
            ids[ex] = json.loads(cli_ok(n, a_tok, *args))["id"]
        calls = rec.wait("/ok/b1", n=2)
        bodies = {json.loads(c[3])["request"]["id"]: json.loads(c[3]) for c in calls}
        check(bodies[ids[True]]["subject"].startswith("[EXERCISE]") and
              bodies[ids[True]]["exercise"] is True, f"webhook: {bodies[ids[True]]}")
        check(not bodies[ids[False]]["subject"].startswith("[EXERCISE]"), "real one unmarked")
        deadline = time.time() + 10
        while len(sink.mails) < 2 and time.time() < deadline:
            time.sleep(0.05)
        subjects = [l for _, text in sink.mails for l in text.splitlines()
                    if l.startswith("Subject:")]
        eq(sorted(s.startswith("Subject: [EXERCISE]") for s in subjects), [False, True],
           f"e-mail subjects: {subjects}")
        # pages: one at a time, in order, each once
        p1 = n.request("GET", "/api/v1/requests?limit=1", token=b_tok).json()
        p2 = n.request("GET", f"/api/v1/requests?limit=1&after={p1['next']}", token=b_tok).json()
        eq([q["id"] for q in p1["items"] + p2["items"]], [ids[True], ids[False]], "two pages")
        out = cli_ok(n, b_tok, "request", "list")
        lines = {l for l in out.splitlines() if ids[True] in l}
        check(all(l.startswith("[EXERCISE]") for l in lines) and lines, f"CLI list: {out}")
        check("[EXERCISE]" in cli_ok(n, b_tok, "request", "show", ids[True]), "CLI show")
        for rid in ids.values():
            eq(n.request("POST", f"/api/v1/requests/{rid}/ack", token=b_tok).status, 200, "ack")
        for tok in (a_tok, b_tok):
            st = n.request("GET", "/api/v1/requests/stats", token=tok).json()
            eq((st["requests"], st["exercises_excluded"], st["by_kind"]["capacity"],
                st["time_to"]["acknowledge"]["count"]), (1, 1, 1, 1), f"stats: {st}")
        st = n.request("GET", "/api/v1/requests/stats", token=b_tok).json()
        eq(st["member"]["acknowledge"]["count"], 1, "B's own times without the exercise")
    finally:
        clean(n)
        rec.close()
        sink.close()


if __name__ == "__main__":
    run([test_lifecycle_and_scope, test_deadline_reminders_escalation_overdue,
         test_exercise_marked_and_excluded], BIN)
