#!/usr/bin/env python3
"""The web pages of national profiles, the progress report and communication
checks (issue 17 over issue 16's API), through the real daemon: a person edits
their State's profile section by section and the API reads it back; a bad
value shows the API's error tied to its field and stores nothing; another
member's person cannot edit it (the API's 403) and sees only what its scopes
allow; the progress page's figures are the API's, drawn as SVG with the same
figures in tables; an admin starts a check through the form and sees it; a
member sees only its own State's rows and cannot start one."""
import html
import http.server
import json
import re
import sys
import threading
import time

from harness import Node, WebUser, check, eq, run

BIN = sys.argv[1]


def node():
    return Node(BIN).start()


def profile(n, member, token="admin"):
    r = n.request("GET", f"/api/v1/profiles/{member}", token=token)
    eq(r.status, 200, f"profile {member}: {r}")
    p = r.json()
    for part in ("fields", "measures"):
        for v in p[part].values():
            v.pop("updated", None)
    return p


def test_edit_own_profile_and_read_it_back(binary):
    n = node()
    try:
        a, a_tok = n.add_member("CERT-A", country="AR")
        b, b_tok = n.add_member("CERT-B", country="BR")
        ua = WebUser(n, a, "a@a.org")
        ua.signin()
        page = ua.get("/web/profile")
        eq(page.status, 200, "the form")
        for name in ("strategy.0.title", "agencies.0.name", "m.gge26c.status", "m.gge26c.since",
                     "legislation.scope", "response_times.value"):
            check(f'name="{name}"' in page.body, f"the form has {name}")
        check('href="/web/profile"' in page.body and 'href="/web/progress"' in page.body,
              "Profile and Progress in the navigation")
        check('href="/web/checks"' not in page.body, "Checks is for admins")
        csrf = ua.csrf("/web/profile")
        r = ua.post("/web/profile", {
            "csrf": csrf, "member": str(a),
            "strategy.0.title": "Estrategia Nacional de Ciberseguridad",
            "strategy.0.date": "2021-03-01", "strategy.0.link": "https://gob.example/enc.pdf",
            "strategy.1.title": "", "strategy.scope": "public"})
        eq(r.status, 200, f"strategy saved: {r.status}")
        check('role="status"' in r.body, "the page says it was saved")
        r = ua.post("/web/profile", {
            "csrf": csrf, "member": str(a), "legislation.0.title": "Ley 19.999 (secret draft)",
            "legislation.scope": "private"})
        eq(r.status, 200, "legislation saved")
        r = ua.post("/web/profile", {
            "csrf": csrf, "member": str(a), "agencies.0.name": "CERT.ar",
            "agencies.0.role": "national CSIRT", "agencies.0.email": "cert@cert.example",
            "agencies.0.country": "AR", "agencies.scope": "audience",
            "agencies.audience": f"member:{b}"})
        eq(r.status, 200, f"agencies saved: {re.findall(r'role=.alert.*?</div>', r.body)}")
        shared = n.request("POST", "/api/v1/contacts", {
            "role": "crisis", "name": "Guardia CERT.ar", "email": "guardia@cert.example",
            "availability": "24/7", "audience": ["all"]}, token=a_tok).json()["id"]
        own = n.request("POST", "/api/v1/contacts", {
            "role": "policy", "name": "Hidden desk", "email": "desk@cert.example",
            "availability": "24/7"}, token=a_tok).json()["id"]
        page = ua.get("/web/profile").body
        check(f'name="contact-{shared}"' in page and f'name="contact-{own}"' in page,
              "the member's contacts to pick")
        r = ua.post("/web/profile", {
            "csrf": csrf, "member": str(a), "contacts.form": "1", f"contact-{shared}": "1",
            f"contact-{own}": "1", "contacts.scope": "public",
            "response_times.value": "we answer within the hour", "response_times.scope": "public"})
        eq(r.status, 200, f"contacts saved: {re.findall(r'role=.alert.*?</div>', r.body)}")
        form = {"csrf": csrf, "member": str(a)}
        for m in ("gge26c", "itu45g", "itu45a"):
            form[f"m.{m}.status"] = ""
            form[f"m.{m}.scope"] = "public"
        form.update({"m.gge26c.status": "implemented", "m.gge26c.since": "2019-05-01",
                     "m.gge26c.note": "24/7 crisis line", "m.itu45g.status": "planned",
                     "m.itu45g.scope": "private"})
        r = ua.post("/web/profile", form)
        eq(r.status, 200, "measures saved")

        p = profile(n, a, a_tok)
        eq(p["fields"]["strategy"], {"value": [{
            "title": "Estrategia Nacional de Ciberseguridad", "date": "2021-03-01",
            "link": "https://gob.example/enc.pdf"}], "scope": "public"}, "strategy as typed")
        eq(p["fields"]["legislation"]["scope"], "private", "legislation private")
        eq(p["fields"]["agencies"], {"value": [{"name": "CERT.ar", "role": "national CSIRT",
                                                "email": "cert@cert.example", "country": "AR"}],
                                     "scope": [f"member:{b}"]}, "agencies for B only")
        eq(p["measures"]["gge26c"], {"status": "implemented", "since": "2019-05-01",
                                     "note": "24/7 crisis line", "scope": "public"}, "gge26c")
        eq(p["measures"]["itu45g"]["status"], "planned", "itu45g")
        eq(p["fields"]["contacts"], {"value": [shared, own], "scope": "public"}, "contacts")
        eq(p["fields"]["response_times"]["value"], "we answer within the hour", "the note")
        check("itu45a" not in p["measures"], "a measure left 'not stated' is not stored")
        page = ua.get("/web/profile").body
        check('value="Estrategia Nacional de Ciberseguridad"' in page, "the form shows it again")

        # B's person reads A's profile: the public and B's parts, never the private
        ub = WebUser(n, b, "b@b.org")
        ub.signin()
        r = ub.get(f"/web/profiles/{a}")
        eq(r.status, 200, "A's profile for B")
        check("Estrategia Nacional de Ciberseguridad" in r.body and "CERT.ar" in r.body,
              "B sees the public strategy and the agency shared with B")
        check("secret draft" not in r.body and "Planned" not in r.body,
              "B sees neither the private legislation nor the private measure")
        check("24/7 crisis line" in r.body, "the public measure's note")
        check("Guardia CERT.ar" in r.body and f"#{own}" in r.body and "Hidden desk" not in r.body,
              "a contact B may see by name, the other by number only")
        check('href="/web/profile"' in r.body and "Edit my State" not in r.body,
              "no edit link on another State's profile")
        ex = ub.get(f"/web/profiles/{a}/export?format=json")
        eq(ex.status, 200, "the export through the page")
        eq(ex.json(), n.request("GET", f"/api/v1/profiles/{a}/export?format=json",
                                token=b_tok).json(), "the export is the API's, for B")
        check("secret draft" not in ex.body, "the export hides the private field")
        fi = ub.get(f"/web/profiles/{a}/export?format=first").json()
        eq([t.get("official-team-name") for t in fi], ["CERT.ar"], "FIRST export")
        eq(ub.get("/web/profiles/999").status, 404, "no such State")
        check(f'href="/web/profiles/{a}/export?format=first"' in r.body, "the export links")
    finally:
        n.cleanup()


def test_bad_value_tied_to_its_field_and_nothing_stored(binary):
    n = node()
    try:
        a, a_tok = n.add_member("CERT-A", country="AR")
        ua = WebUser(n, a, "a@a.org")
        ua.signin()
        csrf = ua.csrf("/web/profile")
        r = ua.post("/web/profile", {"csrf": csrf, "member": str(a),
                                     "m.gge26c.status": "implemented", "m.gge26c.scope": "public"})
        eq(r.status, 200, "a first measure")
        before = profile(n, a, a_tok)
        r = ua.post("/web/profile", {"csrf": csrf, "member": str(a),
                                     "m.gge26c.status": "implemented",
                                     "m.gge26c.since": "2021-02-30", "m.gge26c.scope": "public",
                                     "m.gge26d.status": "planned", "m.gge26d.scope": "public"})
        eq(r.status, 422, "a day that does not exist")
        check('id="error-measures.gge26c.since"' in r.body, "the error names the field")
        m = re.search(r'<input[^>]*id="m\.gge26c\.since"[^>]*>', r.body)
        check(m and 'aria-describedby="error-measures.gge26c.since"' in m.group(0)
              and 'value="2021-02-30"' in m.group(0), f"the field is tied and kept: {m}")
        check("not a date" in r.body, "the API's message is shown")
        eq(profile(n, a, a_tok), before, "nothing stored (not even the valid gge26d)")

        r = ua.post("/web/profile", {"csrf": csrf, "member": str(a),
                                     "policy_documents.0.title": "Policy",
                                     "policy_documents.1.title": "Plan",
                                     "policy_documents.1.link": "ftp://plan.example/p",
                                     "policy_documents.scope": "public"})
        eq(r.status, 422, "a link that is not http(s)")
        check('id="error-fields.policy_documents.value[1]"' in r.body, "the row is named")
        m = re.search(r'<input[^>]*id="policy_documents\.1\.link"[^>]*>', r.body)
        check(m and 'aria-describedby="error-fields.policy_documents.value[1]"' in m.group(0),
              "the row's inputs are tied to it")
        r = ua.post("/web/profile", {"csrf": csrf, "member": str(a),
                                     "strategy.0.title": "S", "strategy.scope": "audience",
                                     "strategy.audience": "peer:1"})
        eq(r.status, 422, "a scope naming what does not exist")
        check('aria-describedby="error-fields.strategy.scope"' in r.body, "tied to the scope")
        eq(profile(n, a, a_tok), before, "still nothing stored")
        r = ua.post("/web/profile", {"member": str(a), "strategy.0.title": "no token",
                                     "strategy.scope": "public"})
        eq(r.status, 403, "a form without its CSRF token")
        eq(profile(n, a, a_tok), before, "and nothing stored")
    finally:
        n.cleanup()


def test_another_member_cannot_edit(binary):
    n = node()
    try:
        a, a_tok = n.add_member("CERT-A", country="AR")
        b, _ = n.add_member("CERT-B", country="BR")
        ua = WebUser(n, a, "a@a.org")
        ua.signin()
        r = ua.post("/web/profile", {"csrf": ua.csrf("/web/profile"), "member": str(a),
                                     "strategy.0.title": "Mine", "strategy.scope": "public"})
        eq(r.status, 200, "A saves")
        before = profile(n, a, a_tok)
        ub = WebUser(n, b, "b@b.org")
        ub.signin()
        r = ub.post("/web/profile", {"csrf": ub.csrf("/web/profile"), "member": str(a),
                                     "strategy.0.title": "Defaced", "strategy.scope": "public"})
        eq(r.status, 403, "B posts a form for A's profile")
        check("Not allowed" in r.body and "Defaced" not in r.body, "shown as not allowed")
        eq(profile(n, a, a_tok), before, "A's profile unchanged")
        reader = WebUser(n, a, "reader@a.org", role="reader")
        reader.signin()
        r = reader.post("/web/profile", {"csrf": reader.csrf("/web/profile"), "member": str(a),
                                         "strategy.0.title": "Reader", "strategy.scope": "public"})
        eq(r.status, 403, "a reader of A may not write")
        eq(profile(n, a, a_tok), before, "still unchanged")
    finally:
        n.cleanup()


class Hook(http.server.BaseHTTPRequestHandler):
    got = []

    def log_message(self, *a):
        pass

    def do_POST(self):
        Hook.got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def cells(row):
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]


def number(text):
    return None if text == "—" else float(text.replace(",", ""))


def test_progress_page_shows_the_api_figures(binary):
    n = node()
    Hook.got = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        hook = f"http://127.0.0.1:{srv.server_address[1]}/hook"
        a, a_tok = n.add_member("CERT-A", country="AR")
        b, b_tok = n.add_member("CERT-B", country="BR")
        c, c_tok = n.add_member("CERT-C", country="CL")
        for tok, ms in ((a_tok, {"gge26c": "implemented", "itu45g": "implemented"}),
                        (b_tok, {"gge26c": "implemented", "itu45a": "planned"}),
                        (c_tok, {"gge26c": "implemented"})):
            doc = {"measures": {k: {"status": v, "scope": "public"} for k, v in ms.items()}}
            if tok == c_tok:
                doc["measures"]["gge26c"]["scope"] = "private"
            mid = {a_tok: a, b_tok: b, c_tok: c}[tok]
            eq(n.request("PUT", f"/api/v1/profiles/{mid}", doc, token=tok).status, 200, "profile")
        for tok in (a_tok, a_tok, b_tok):
            r = n.request("POST", "/api/v1/contacts", {"role": "crisis", "name": "Duty",
                                                       "email": "duty@x.example",
                                                       "availability": "24/7",
                                                       "webhook_url": hook}, token=tok)
            eq(r.status, 201, f"contact {r}")
        r = n.request("POST", "/api/v1/checks", {"contacts": "all", "roles": ["crisis"],
                                                  "window": "0s", "reply_within": "1h",
                                                  "audience": ["all"]})
        eq(r.status, 201, f"check {r}")
        check_id = r.json()["id"]
        deadline = time.time() + 15
        while time.time() < deadline and len(Hook.got) < 3:
            time.sleep(0.05)
        eq(len(Hook.got), 3, "three challenges")
        answered = n.request("POST", "/api/v1/checks/answer", {"code": Hook.got[0]["code"]},
                             token=a_tok if Hook.got[0].get("member", a) == a else b_tok)
        if answered.status != 200:  # the first challenge was B's
            answered = n.request("POST", "/api/v1/checks/answer",
                                 {"code": Hook.got[0]["code"]}, token=b_tok)
        eq(answered.status, 200, f"one answer: {answered}")

        ub = WebUser(n, b, "b@b.org")
        ub.signin()
        r = ub.get("/web/progress")
        eq(r.status, 200, "the progress page")
        api = n.request("GET", "/api/v1/progress", token=b_tok).json()
        figs = re.findall(r'<figure><figcaption id="([^"]+)">.*?</figcaption>'
                          r'<svg class="chart" role="img" aria-labelledby="([^"]+)"', r.body)
        check(len(figs) >= 2 and all(x == y for x, y in figs), f"named charts: {figs}")
        check("style=" not in r.body and "<script" not in r.body, "no inline style or script")
        # the measures: chart values and table = the API's catalogue
        table = r.body[r.body.index("<table><caption>"):]
        rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", table.split("</table>")[0])
        eq([int(cells(x)[2]) for x in rows], [m["implemented"] for m in api["measures"]],
           "States per measure (table)")
        bars = re.findall(r'<text class="value"[^>]*>([^<]*)</text>', r.body)
        eq([int(v) for v in bars[:len(api["measures"])]],
           [m["implemented"] for m in api["measures"]], "States per measure (chart)")
        gge26c = next(m for m in api["measures"] if m["id"] == "gge26c")
        eq(gge26c["implemented"], 2, "C's private measure is not counted for B")
        # per State: the table's figures = the API's
        states = re.search(r'<table id="progress-states">.*?</table>', r.body, re.S).group(0)
        for st in api["states"]:
            row = re.search(rf'<tr data-member="{st["member"]}">.*?</tr>', states).group(0)
            got = cells(row)
            eq(got[0], st["name"], "the State")
            eq(int(got[2]), st["implemented"], f"{st['name']}: implemented")
            share = (st["checks"] or {}).get("answered_share")
            eq(number(got[3]), None if share is None else round(share * 100),
               f"{st['name']}: answer rate")
            med = (st["alerts"] or {}).get("median_ack_seconds")
            eq(number(got[4]), None if med is None else round(med, 1), f"{st['name']}: alerts")
        shares = {s["name"]: (s["checks"] or {}).get("answered_share") for s in api["states"]}
        check(sorted(v for v in shares.values() if v is not None) in ([0.0, 0.5], [0.0, 1.0]),
              f"the check's answer rates: {shares}")
        # the check's page: reachability and answers per State, charts and table
        pg = ub.get(f"/web/checks/{check_id}")
        eq(pg.status, 200, "the check's page for B (audience all)")
        check('aria-labelledby="fc-reached"' in pg.body and 'aria-labelledby="fc-answered"'
              in pg.body, "the check's charts")
        ck = n.request("GET", f"/api/v1/checks/{check_id}", token=b_tok).json()
        table = re.search(r'<table id="check-states">.*?</table>', pg.body, re.S).group(0)
        for st in ck["states"]:
            row = next(x for x in re.findall(r"<tr>.*?</tr>", table) if st["name"] in x)
            got = cells(row)
            eq((int(got[1]), int(got[2]), int(got[3])),
               (st["targets"], st["reached"], st["answered"]), f"{st['name']}: counts")
            eq((int(got[-2]), int(got[-1])),
               (round(100 * st["reached"] / st["targets"]),
                round(100 * st["answered"] / st["targets"])), f"{st['name']}: percentages")
        # the exports are the API's own
        csv = ub.get("/web/progress/export?format=csv")
        eq((csv.status, csv.body),
           (200, n.request("GET", "/api/v1/progress?format=csv", token=b_tok).body), "CSV")
        check('href="/web/progress/export?format=json"' in r.body, "the JSON link")
        # French: numbers and labels in the person's language
        ub.post("/web/language", {"csrf": ub.csrf(), "lang": "fr", "back": "/web/progress"})
        fr = ub.get("/web/progress").body
        check('lang="fr"' in fr and "Nombre d&#39;États ayant mis en œuvre" in fr, "in French")
        # a bad date: the API's error, tied to the field
        bad = ub.get("/web/progress?since=2026-13-45")
        eq(bad.status, 422, "a bad since")
        check('id="error-since"' in bad.body and 'aria-describedby="error-since"' in bad.body,
              "tied to the field")
        bad = ub.get("/web/progress?since=2026-01-01%26format%3Dcsv")
        eq(bad.status, 422, "nothing but a date passes to the API")
    finally:
        srv.shutdown()
        n.cleanup()


def test_checks_pages(binary):
    n = node()
    try:
        a, a_tok = n.add_member("CERT-A", country="AR")
        b, b_tok = n.add_member("CERT-B", country="BR")
        c, _ = n.add_member("CERT-C", country="CL")
        for tok in (a_tok, b_tok):
            eq(n.request("POST", "/api/v1/contacts", {"role": "crisis", "name": "Duty",
                                                      "email": "duty@x.example", "availability": "24/7"},
                         token=tok).status, 201, "contact")
        root = WebUser(n, 1, "root@node.example")
        root.signin()
        page = root.get("/web/checks")
        eq(page.status, 200, "the checks page")
        check('href="/web/checks" aria-current="page"' in page.body, "Checks in the admin's nav")
        check('action="/web/checks"' in page.body, "the start form")
        csrf = root.csrf("/web/checks")
        r = root.post("/web/checks", {"csrf": csrf, "contacts": "all", "role-crisis": "1",
                                      "window": "forever", "reply_within": "2h"})
        eq(r.status, 422, "a bad window")
        m = re.search(r'<input[^>]*id="window"[^>]*>', r.body)
        check('id="error-window"' in r.body and m and
              'aria-describedby="error-window"' in m.group(0) and 'value="forever"' in m.group(0),
              "tied to the field, input kept")
        eq(n.request("GET", "/api/v1/checks").json()["items"], [], "nothing started")
        r = root.post("/web/checks", {"csrf": csrf, "contacts": "all", "role-crisis": "1",
                                      "window": "1h", "reply_within": "2h", "exercise": "1"})
        eq(r.status, 303, f"started: {r.status} {r.body[:300]}")
        loc = r.headers["Location"]
        check(re.fullmatch(r"/web/checks/\d+", loc), f"to the check's page: {loc}")
        cid = int(loc.rsplit("/", 1)[1])
        api = n.request("GET", f"/api/v1/checks/{cid}").json()
        eq((api["contacts"], api["roles"], api["window_ms"], api["reply_within_ms"],
            api["exercise"]), ("all", ["crisis"], 3600000, 7200000, True), "as the form said")
        lst = root.get("/web/checks").body
        check(f'href="/web/checks/{cid}"' in lst, "listed")
        pg = root.get(loc)
        eq(pg.status, 200, "the check's page")
        check("CERT-A" in pg.body and "CERT-B" in pg.body and "Scheduled" in pg.body,
              "per State and contact")
        check(f'href="/web/checks/{cid}/report?format=csv"' in pg.body, "the report link")
        rep = root.get(f"/web/checks/{cid}/report?format=csv")
        eq(rep.body, n.request("GET", f"/api/v1/checks/{cid}/report?format=csv").body,
           "the report is the API's")

        # a member: its own row only, no start form, and the API's 403 to start one
        ub = WebUser(n, b, "b@b.org")
        ub.signin()
        lst = ub.get("/web/checks")
        eq(lst.status, 200, "a member's checks page")
        check('action="/web/checks"' not in lst.body and f'href="/web/checks/{cid}"' in lst.body,
              "listed, without the start form")
        pg = ub.get(f"/web/checks/{cid}").body
        check("CERT-B" in pg and "CERT-A" not in pg, "only B's own row")
        r = ub.post("/web/checks", {"csrf": ub.csrf("/web/checks"), "contacts": "all",
                                    "role-crisis": "1", "window": "1h", "reply_within": "2h"})
        eq(r.status, 403, "a member starts a check")
        eq(len(n.request("GET", "/api/v1/checks").json()["items"]), 1, "nothing more started")
        uc = WebUser(n, c, "c@c.org")
        uc.signin()
        eq(uc.get(f"/web/checks/{cid}").status, 404, "a State not in the check")
        eq(uc.get(f"/web/checks/{cid}/report?format=json").status, 404, "nor its report")
    finally:
        n.cleanup()


if __name__ == "__main__":
    run([test_edit_own_profile_and_read_it_back, test_bad_value_tied_to_its_field_and_nothing_stored,
         test_another_member_cannot_edit, test_progress_page_shows_the_api_figures,
         test_checks_pages], BIN)
