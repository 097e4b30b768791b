#!/usr/bin/env python3
"""The web pages of requests for assistance (issues 15 and 17) through the
real daemon: a request opened with the form, seen on the addressee's
dashboard and list, acknowledged, answered and offered on with the page's
forms, the offer accepted and the request closed by its requester; a member
outside the audience gets the not-found page and sees it nowhere; the API's
validation errors tied to their field and nothing stored; CSRF refused. The
dashboard's communication checks waiting for an answer, and the API
additions the pages use (list order and filters, checks waiting)."""
import http.server
import json
import re
import sys
import threading
import time

from harness import Node, WebUser, check, eq, run

BIN = sys.argv[1]
TITLE = "Phishing wave against ministries"


def clean(n):
    """Fails on a sanitizer report, then removes the node."""
    log = n.read_log()
    n.cleanup()
    check("runtime error" not in log and "AddressSanitizer" not in log, "sanitizer report")


def person(n, member, email):
    u = WebUser(n, member, email)
    eq(u.signin().status, 303, f"{email} signs in")
    return u


def section(html, hid):
    """The dashboard section headed by id `hid`, up to the next section."""
    start = html.index(f'id="{hid}"')
    end = html.find("</section>", start)
    return html[start:end]


def api(n, tok, rid):
    r = n.request("GET", f"/api/v1/requests/{rid}", token=tok)
    eq(r.status, 200, f"the request through the API: {r}")
    return r.json()


def count(n, tok):
    return len(n.request("GET", "/api/v1/requests?limit=1000", token=tok).json()["items"])


def open_form(u, title=TITLE, deadline="48h", audience=(), **extra):
    form = [("csrf", u.csrf("/web/requests/new")), ("kind", "assistance"), ("title", title),
            ("text", "Ministries receive mails\nwith a fake login page."),
            ("priority", "high"), ("deadline", deadline), ("tlp", "amber")]
    form += [("audience", a) for a in audience] + list(extra.items())
    return u.post("/web/requests/new", form)


def test_lifecycle_through_the_forms(binary):
    n = Node(binary).start()
    try:
        a, a_tok = n.add_member("CERT-A", "AR")
        b, b_tok = n.add_member("CERT-B", "BR")
        c, c_tok = n.add_member("CERT-C", "CL")
        ua, ub, uc = person(n, a, "ana@a.org"), person(n, b, "bea@b.org"), person(n, c, "cat@c.org")

        page = ua.get("/web/requests/new")
        eq(page.status, 200, "the form")
        check(f'value="member:{b}"' in page.body and f'value="member:{a}"' not in page.body,
              "the addressees to choose, without the requester itself")
        check('href="/web/requests"' in page.body, "Requests in the navigation")

        r = open_form(ua, audience=[f"member:{b}"])
        eq(r.status, 303, f"opened: {r}")
        m = re.fullmatch(r"/web/requests/(request--[0-9a-f-]{36})", r.headers["Location"])
        check(m, f"to the request's page: {r.headers['Location']}")
        rid = m.group(1)
        got = api(n, a_tok, rid)
        eq((got["title"], got["kind"], got["priority"], got["tlp"], got["audience"]),
           (TITLE, "assistance", "high", "amber", [f"member:{b}"]), "stored as the form said")
        check(got["text"].startswith("Ministries receive mails\n"), "the text, line breaks kept")

        # B sees it on its dashboard (nearest deadline first) and in its list
        dash = ub.get("/web")
        eq(dash.status, 200, "B's dashboard")
        check(TITLE in section(dash.body, "h-deadlines") and f"/web/requests/{rid}" in dash.body,
              "the request with its deadline on B's dashboard")
        check(TITLE in ub.get("/web/requests").body, "in B's list")
        check(TITLE in ub.get("/web/requests?which=addressed&open=1").body, "addressed to B")
        check(TITLE not in ub.get("/web/requests?which=mine").body, "not opened by B")
        check(TITLE in ua.get("/web/requests?which=mine").body, "opened by A")

        # C, outside the audience: the not-found page, and nowhere a trace
        r = uc.get(f"/web/requests/{rid}")
        eq(r.status, 404, "C reads the request's page")
        check(TITLE not in r.body and "Ministries" not in r.body, "nothing of it in the 404")
        check(TITLE not in uc.get("/web/requests").body, "not in C's list")
        check(TITLE not in uc.get("/web").body, "not on C's dashboard")
        for action, form in (("ack", {}), ("answer", {"text": "me too"}),
                             ("offer", {"capability": "forensics"}),
                             ("close", {"outcome": "resolved"})):
            r = uc.post(f"/web/requests/{rid}/{action}", {"csrf": uc.csrf(), **form})
            eq(r.status, 404, f"C posts {action}")
            check(TITLE not in r.body, f"nothing of it in C's {action} answer")
        eq(api(n, a_tok, rid)["state"], "open", "C changed nothing")
        eq(n.request("GET", f"/api/v1/requests/{rid}", token=c_tok).status, 404, "nor the API")

        # B: acknowledge, answer, offer, each a plain form
        page = ub.get(f"/web/requests/{rid}")
        eq(page.status, 200, "B reads the request")
        check('id="ack"' in page.body and 'action="/web/requests/' + rid + '/offer"' in page.body,
              "B may acknowledge and offer")
        check("/close" not in page.body, "only the requester closes")
        check(re.search(r"TLP:AMBER</bdi></span> CERT-B</dd>", page.body),
              "the addressee by name")
        r = ub.post(f"/web/requests/{rid}/ack", {})
        eq(r.status, 403, "an action without the CSRF token")
        eq(api(n, a_tok, rid)["state"], "open", "nothing changed without the token")
        r = ub.post(f"/web/requests/{rid}/ack", {"csrf": ub.csrf()})
        eq((r.status, r.headers.get("Location")), (303, f"/web/requests/{rid}"), "acknowledged")
        eq(api(n, a_tok, rid)["state"], "acknowledged", "the state through the API")
        check('id="ack"' not in ub.get(f"/web/requests/{rid}").body, "acknowledged once")

        r = ub.post(f"/web/requests/{rid}/answer", {"csrf": ub.csrf(), "text": ""})
        eq(r.status, 422, f"an empty answer: {r.status}")
        check('id="error-answer-text"' in r.body and
              'aria-describedby="error-answer-text"' in r.body, "the error tied to the field")
        eq(api(n, a_tok, rid)["answers"], [], "the empty answer stored nothing")
        r = ub.post(f"/web/requests/{rid}/answer",
                    {"csrf": ub.csrf(), "text": "We see it too: <b>198.51.100.7</b>"})
        eq(r.status, 303, "answered")
        got = api(n, a_tok, rid)
        eq(([x["text"] for x in got["answers"]], got["state"]),
           (["We see it too: <b>198.51.100.7</b>"], "answered"), "the answer through the API")
        r = ub.post(f"/web/requests/{rid}/offer",
                    {"csrf": ub.csrf(), "capability": "forensics", "text": "Two analysts"})
        eq(r.status, 303, "offered")
        page = ub.get(f"/web/requests/{rid}").body
        check("We see it too: &lt;b&gt;" in page, "the answer shown, escaped")
        check("Two analysts" in page, "B sees its own offer")

        # A: the offer to decide, then closing
        page = ua.get(f"/web/requests/{rid}").body
        offer = api(n, a_tok, rid)["offers"][0]
        eq(offer["state"], "pending", "the offer waits")
        check(f'/offers/{offer["id"]}/accept"' in page and "/close" in page,
              "A may accept the offer and close")
        check('id="ack"' not in page, "the requester does not acknowledge its own request")
        r = ub.post(f"/web/requests/{rid}/offers/{offer['id']}/accept", {"csrf": ub.csrf()})
        eq(r.status, 403, "B accepts its own offer")
        r = ua.post(f"/web/requests/{rid}/offers/{offer['id']}/accept", {"csrf": ua.csrf()})
        eq(r.status, 303, "A accepts")
        eq(api(n, a_tok, rid)["offers"][0]["state"], "accepted", "accepted through the API")
        r = ub.post(f"/web/requests/{rid}/offer",
                    {"csrf": ub.csrf(), "capability": "Not a name!", "text": "x"})
        eq(r.status, 422, "a capability that is not a name")
        check('id="error-offer-capability"' in r.body and 'value="Not a name!"' in r.body,
              "tied to the capability field, what was typed kept")
        r = ub.post(f"/web/requests/{rid}/offer",
                    {"csrf": ub.csrf(), "capability": "malware-analysis", "text": ""})
        eq(r.status, 303, "a second offer")
        second = api(n, a_tok, rid)["offers"][1]["id"]
        r = ua.post(f"/web/requests/{rid}/offers/{second}/decline", {"csrf": ua.csrf()})
        eq(r.status, 303, "A declines it")
        eq([o["state"] for o in api(n, a_tok, rid)["offers"]], ["accepted", "declined"],
           "the offers' states through the API")
        r = ua.post(f"/web/requests/{rid}/offers/{second}/accept", {"csrf": ua.csrf()})
        eq(r.status, 404, "a decided offer is no longer pending")
        check('role="alert"' in r.body and TITLE in r.body, "the page says why")
        r = ua.post(f"/web/requests/{rid}/close", {"csrf": ua.csrf(), "outcome": "never"})
        eq(r.status, 422, "an unknown outcome")
        check('id="error-close-outcome"' in r.body, "tied to the outcome field")
        r = ua.post(f"/web/requests/{rid}/close",
                    {"csrf": ua.csrf(), "outcome": "resolved", "text": "Taken down"})
        eq(r.status, 303, "closed")
        got = api(n, a_tok, rid)
        eq((got["state"], got["outcome"]), ("closed", "resolved"), "closed through the API")
        page = ua.get(f"/web/requests/{rid}").body
        check('role="status"' in page and "/close" not in page, "closed: no more actions")
        check("Taken down" in page, "the closing note in the history")
        check(TITLE not in section(ub.get("/web").body, "h-deadlines"),
              "a closed request leaves the dashboard")
    finally:
        clean(n)


def test_bad_forms_store_nothing(binary):
    n = Node(binary).start()
    try:
        a, a_tok = n.add_member("CERT-A", "AR")
        b, _ = n.add_member("CERT-B", "BR")
        ua = person(n, a, "ana@a.org")
        before = count(n, a_tok)
        r = open_form(ua, title="", audience=[f"member:{b}"])
        eq(r.status, 422, "an empty subject")
        check('id="error-title"' in r.body and 'aria-describedby="error-title"' in r.body,
              "the subject's error tied to its field")
        r = open_form(ua, deadline="2020-01-01T00:00:00Z", audience=[f"member:{b}"])
        eq(r.status, 422, "a deadline in the past")
        check('id="error-deadline"' in r.body and
              'aria-describedby="deadline-hint error-deadline"' in r.body,
              "the deadline's error tied to its field")
        check(f'value="member:{b}" checked' in r.body and 'value="2020-01-01T00:00:00Z"' in r.body,
              "the form keeps what was typed")
        r = open_form(ua, audience=["group:999"])
        eq(r.status, 422, "an unknown group")
        check('id="error-audience"' in r.body, "the audience's error tied to it")
        r = open_form(ua, audience=[f"member:{b}"], reports="report--nope")
        eq(r.status, 422, "a report one may not see")
        check('id="error-reports"' in r.body, "the reports' error tied to them")
        eq(count(n, a_tok), before, "nothing stored")
        form = [("kind", "assistance"), ("title", TITLE), ("deadline", "48h"), ("tlp", "amber"),
                ("audience", f"member:{b}")]
        r = ua.post("/web/requests/new", form)
        eq((r.status, r.json()["error"]["field"]), (403, "csrf"), "no CSRF token")
        r = ua.post("/web/requests/new", form + [("csrf", ua.csrf())],
                    headers={"Origin": "https://evil.example"})
        eq(r.status, 403, "another site's form")
        eq(count(n, a_tok), before, "nothing stored without the token")
        # signed out: to the sign-in page, for the list as for a request
        anon = WebUser.__new__(WebUser)
        anon.node, anon.cookie = n, None
        eq(anon.get("/web/requests").status, 303, "signed out")
    finally:
        clean(n)


def test_deadlines_overdue_and_order(binary):
    n = Node(binary).start()
    try:
        a, a_tok = n.add_member("CERT-A", "AR")
        b, b_tok = n.add_member("CERT-B", "BR")
        ub = person(n, b, "bea@b.org")

        def open_api(title, deadline, audience):
            r = n.request("POST", "/api/v1/requests",
                          {"kind": "clarification", "title": title, "deadline": deadline,
                           "tlp": "green", "audience": audience}, token=a_tok)
            eq(r.status, 201, f"open {title}: {r}")
            return r.json()["id"]

        late = open_api("Far deadline", "48h", ["all"])
        soon = open_api("Near deadline", "1h", [f"member:{b}"])
        gone = open_api("Passed deadline", "1s", ["all"])
        mine = n.request("POST", "/api/v1/requests",
                         {"kind": "capacity", "title": "B asks", "deadline": "2h", "tlp": "green",
                          "audience": ["all"]}, token=b_tok).json()["id"]
        time.sleep(1.2)
        dash = section(ub.get("/web").body, "h-deadlines")
        pos = [dash.index(t) for t in ("Passed deadline", "Near deadline", "B asks",
                                       "Far deadline")]
        eq(pos, sorted(pos), "nearest deadline first, B's own included")
        row = dash[:dash.index("Passed deadline")]
        check('class="mark overdue"' in row, "the passed deadline is marked overdue")
        check('class="mark overdue"' not in dash[dash.index("Near deadline"):], "only it")

        # the API the page reads: order, filters, audience, the cursor
        def ids(query, tok=b_tok):
            r = n.request("GET", "/api/v1/requests" + query, token=tok)
            eq(r.status, 200, f"list {query}: {r}")
            return r.json()

        eq([x["id"] for x in ids("?order=deadline")["items"]], [gone, soon, mine, late],
           "order=deadline")
        eq([x["id"] for x in ids("?order=newest")["items"]], [mine, gone, soon, late],
           "order=newest")
        eq([x["id"] for x in ids("")["items"]], [late, soon, gone, mine], "oldest first")
        eq([x["id"] for x in ids("?addressed=true")["items"]], [late, soon, gone], "addressed")
        eq([x["id"] for x in ids("?mine=true")["items"]], [mine], "mine")
        eq([x["id"] for x in ids("?overdue=true&order=deadline")["items"]], [gone], "overdue")
        eq(ids("?order=deadline")["items"][1]["audience"], [f"member:{b}"], "the audience")
        got, after = [], None
        while True:
            page = ids("?order=deadline&limit=1" + (f"&after={after}" if after else ""))
            got += [x["id"] for x in page["items"]]
            after = page["next"]
            if not after:
                break
        eq(got, [gone, soon, mine, late], "order=deadline, a page at a time")
        got, after = [], None
        while True:
            page = ids("?order=newest&limit=3" + (f"&after={after}" if after else ""))
            got += [x["id"] for x in page["items"]]
            after = page["next"]
            if not after:
                break
        eq(got, [mine, gone, soon, late], "order=newest, a page at a time")
        r = n.request("GET", "/api/v1/requests?order=soonest", token=b_tok)
        eq((r.status, r.json()["error"]["field"]), (422, "order"), "an unknown order")
        r = n.request("GET", "/api/v1/requests?addressed=yes", token=b_tok)
        eq((r.status, r.json()["error"]["field"]), (422, "addressed"), "addressed=yes")
        # a member the near one was not addressed to does not get it by any order
        c, c_tok = n.add_member("CERT-C", "CL")
        for q in ("", "?order=newest", "?order=deadline", "?addressed=true"):
            check(soon not in [x["id"] for x in ids(q, c_tok)["items"]], f"C, list {q}")
        page = ub.get("/web/requests?order=deadline&overdue=1").body
        check("Passed deadline" in page and "Near deadline" not in page, "the page's filters")

        # the page is paged (50 a page), its next link keeping the filters
        for i in range(48):
            open_api(f"Bulk {i:02d}", f"{i + 3}h", ["all"])
        for order in ("newest", "deadline"):
            page = ub.get(f"/web/requests?which=all&order={order}&open=1").body
            seen = set(re.findall(r'href="/web/requests/(request--[0-9a-f-]+)"', page))
            m = re.search(r'class="next" href="([^"]+)"', page)
            check(m and "order=" + order in m.group(1) and "open=1" in m.group(1),
                  f"{order}: a next page link with the filters: {m and m.group(1)}")
            page2 = ub.get(m.group(1).replace("&amp;", "&")).body
            seen2 = set(re.findall(r'href="/web/requests/(request--[0-9a-f-]+)"', page2))
            eq((len(seen), len(seen2), seen & seen2), (50, 2, set()),
               f"{order}: 52 open requests on two pages")
    finally:
        clean(n)


def test_checks_waiting_on_the_dashboard(binary):
    n = Node(binary).start()
    got = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        a, a_tok = n.add_member("CERT-A", "AR")
        b, b_tok = n.add_member("CERT-B", "BR")
        r = n.request("POST", "/api/v1/contacts", {
            "role": "crisis", "name": "Duty A", "email": "duty@a.example.org",
            "availability": "24/7",
            "webhook_url": f"http://127.0.0.1:{srv.server_address[1]}/hook"}, token=a_tok)
        eq(r.status, 201, f"contact: {r}")
        ua, ub = person(n, a, "ana@a.org"), person(n, b, "bea@b.org")
        check("Duty A" not in section(ua.get("/web").body, "h-checks"), "no check yet")
        r = n.request("POST", "/api/v1/checks", {"contacts": f"member:{a}", "roles": ["crisis"],
                                                  "window": "0s", "reply_within": "1h"})
        eq(r.status, 201, f"check: {r}")
        check_id = r.json()["id"]
        deadline = time.time() + 10
        while time.time() < deadline and not got:
            time.sleep(0.05)
        check(got, "the challenge reached the contact")
        waiting = n.request("GET", "/api/v1/checks/waiting", token=a_tok).json()["items"]
        eq([(w["check"], w["contact"]["name"]) for w in waiting], [(check_id, "Duty A")],
           "A's challenge waits for its answer")
        check(waiting[0]["reply_by"], "with the time to answer before")
        eq(n.request("GET", "/api/v1/checks/waiting", token=b_tok).json()["items"], [],
           "B has none (and does not see A's)")
        sec = section(ua.get("/web").body, "h-checks")
        check("Duty A" in sec and 'href="/web/check"' in sec, "on A's dashboard, with the page")
        check("Duty A" not in section(ub.get("/web").body, "h-checks"), "not on B's")
        r = ua.post("/web/check", {"csrf": ua.csrf(), "code": got[0]["code"]})
        eq(r.status, 200, "answered on the check page")
        eq(n.request("GET", "/api/v1/checks/waiting", token=a_tok).json()["items"], [],
           "answered: no longer waiting")
        check("Duty A" not in section(ua.get("/web").body, "h-checks"), "nor on the dashboard")
    finally:
        srv.shutdown()
        clean(n)


def test_values_not_utf8_refused(binary):
    """A form or query value that is not UTF-8 (%FF: no browser sends one)
    is refused and the node stays up; before, the web's forms and the
    lookup page passed json_pack's NULL on and the daemon crashed."""
    n = Node(binary).start()
    try:
        a, a_tok = n.add_member("CERT-A", "AR")
        b, _ = n.add_member("CERT-B", "BR")
        ua, root = person(n, a, "ana@a.org"), person(n, 1, "root@cert.uy")
        rid = n.request("POST", "/api/v1/requests", {
            "kind": "assistance", "title": TITLE, "deadline": "1h", "tlp": "green",
            "audience": [f"member:{b}"]}, token=a_tok).json()["id"]

        def post(u, path, raw):
            return n.request("POST", path, token=None, headers={"Cookie": u.cookie},
                             raw=f"csrf={u.csrf()}&{raw}".encode(),
                             content_type="application/x-www-form-urlencoded")

        for u, path, raw in ((ua, "/web/requests/new",
                              "kind=assistance&title=%FF&deadline=1h&tlp=amber&audience=all"),
                             (ua, f"/web/requests/{rid}/answer", "text=%FF"),
                             (ua, f"/web/requests/{rid}/close", "outcome=resolved&text=%FF"),
                             (ua, "/web/delisting", "value=%FF&reason=x"),
                             (ua, "/web/check", "code=%FF"),
                             (root, "/web/admin/users", f"member={a}&email=%FF&role=analyst")):
            r = post(u, path, raw)
            eq(r.status, 400, f"{path}: {r}")
            eq(n.request("GET", "/api/v1/health").status, 200, f"the node is up after {path}")
        r = ua.get("/web/lookup?value=%FF")
        eq(r.status, 200, "the lookup page")
        check('id="error-value"' in r.body, "says the value is not text, tied to the field")
        got = api(n, a_tok, rid)
        eq((got["state"], got["answers"], count(n, a_tok)), ("open", [], 1), "nothing stored")
    finally:
        clean(n)


if __name__ == "__main__":
    run([test_lifecycle_through_the_forms, test_bad_forms_store_nothing,
         test_deadlines_overdue_and_order, test_checks_waiting_on_the_dashboard,
         test_values_not_utf8_refused], BIN)
