#!/usr/bin/env python3
"""The web interface's rules, without a browser (tests/web/ drives Chromium):
accounts and enrolment, sign-in with password and TOTP, cookie flags and
security headers, CSRF refused, lock-out and the per-address budget, session
expiry (idle and absolute), sign-out everywhere, scope (a member outside a
report's audience gets 404 for its page, and reads are audited as through the
API), report upload with the API's errors tied to their field, escaping, the
six languages, and acknowledging an alert with a plain form."""
import http.server
import json
import re
import sqlite3
import sys
import threading
import time
import urllib.parse

from harness import Node, WebUser, check, eq, run, totp
from stixgen import bundle, dumps, indicator

BIN = sys.argv[1]
STIX = "application/stix+json;version=2.1"


def node(*args):
    return Node(BIN).start(*args)


def submit(n, token, objects, audience=None):
    path = "/api/v1/reports" + (f"?audience={audience}" if audience else "")
    r = n.request("POST", path, raw=dumps(bundle(objects)), token=token,
                  content_type=STIX)
    eq(r.status, 201, f"submit: {r}")
    return r.json()["id"]


def multipart(fields, files):
    boundary = "atalayaTestBoundary7"
    out = b""
    for k, v in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
                f"{v}\r\n").encode()
    for k, (name, ctype, data) in files.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; "
                f"filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def test_accounts_roles_and_enrolment(binary):
    n = node()
    try:
        m, tok = n.add_member("CERT.br", role="analyst")
        r = n.request("POST", "/api/v1/users", {"member": m, "email": "a@cert.br", "role": "admin"})
        eq((r.status, r.json()["error"]["field"]), (422, "role"), "a role above the member's")
        r = n.request("POST", "/api/v1/users", {"member": 99, "email": "a@cert.br"})
        eq((r.status, r.json()["error"]["field"]), (422, "member"), "an unknown member")
        r = n.request("POST", "/api/v1/users", {"member": m, "email": "a@cert.br",
                                                "password": "short"})
        eq((r.status, r.json()["error"]["field"]), (422, "password"), "a short password")
        r = n.request("POST", "/api/v1/users", {"member": m, "email": "a@cert.br"}, token=tok)
        eq(r.status, 403, "an analyst adds an account")
        out = n.cli("user", "add", "--member", str(m), "--email", "ana@cert.br")
        eq(out.returncode, 0, f"user add: {out.stderr}")
        code = re.search(r"enrolment code .*: ([0-9a-f]+)$", out.stdout, re.M).group(1)
        r = n.request("POST", "/api/v1/users", {"member": m, "email": "ANA@cert.br"})
        eq(r.status, 409, "the same e-mail in other case")
        users = n.request("GET", "/api/v1/users").json()["items"]
        eq([(u["email"], u["role"]) for u in users], [("ana@cert.br", "analyst")], "accounts")
        check("hash" not in json.dumps(users) and "totp" not in json.dumps(users),
              "the list shows no secret")

        # enrolment: a wrong code, then the right one shows the TOTP secret once
        web = WebUser.__new__(WebUser)
        web.node, web.cookie, web.step = n, None, 0
        r = web.post("/web/enrol", {"code": "00" * 12, "password": "a long enough password"})
        eq(r.status, 401, "an unknown enrolment code")
        r = web.post("/web/enrol", {"code": code, "password": "a long enough password"})
        eq(r.status, 200, f"enrolment: {r}")
        secret = re.search(r'<bdi dir="ltr">([A-Z2-7]{32})</bdi>', r.body).group(1)
        check("otpauth://totp/atalaya:ana@cert.br?secret=" + secret in r.body.replace("&amp;", "&"),
              "the otpauth URI is shown")
        r = web.post("/web/enrol", {"code": code, "password": "another long password"})
        eq(r.status, 401, "an enrolment code is spent once used")
        web.email, web.password, web.secret = "ana@cert.br", "a long enough password", secret
        eq(web.signin().status, 303, "sign-in after enrolment")
        eq(web.get("/web").status, 200, "the dashboard")
        # the session's principal has the user's role: an analyst is not an admin
        eq(web.get("/web/admin").status, 404, "admin pages for an analyst")
    finally:
        n.cleanup()


def test_signin_cookie_headers_and_record(binary):
    n = node()
    try:
        u = WebUser(n, 1, "root@cert.uy")
        r = u.signin(code="000000" if totp(u.secret) != "000000" else "111111")
        eq(r.status, 401, "a wrong TOTP code")
        check("Set-Cookie" not in r.headers, "no cookie for a failed sign-in")
        r = u.signin(password="wrong password!!")
        eq(r.status, 401, "a wrong password")
        r = u.signin()
        eq((r.status, r.headers.get("Location")), (303, "/web"), f"sign-in: {r}")
        cookie = r.headers["Set-Cookie"]
        eq(u.signin(code=totp(u.secret, step=u.step)).status, 401, "a TOTP code used twice")
        for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
            check(flag in cookie.split("; "), f"session cookie lacks {flag}: {cookie}")
        sid = cookie.split(";")[0].split("=", 1)[1]
        eq(len(sid), 43, "a 256-bit session id (base64url)")
        db = sqlite3.connect(f"file:{n.data}/atalaya.db?mode=ro", uri=True)
        stored = [row[0] for row in db.execute("SELECT hash FROM web_sessions")]
        db.close()
        eq(len(stored), 1, "one session stored")
        check(sid.encode() not in stored[0] and len(stored[0]) == 32, "the id is stored hashed")

        page = u.get("/web")
        eq(page.status, 200, "dashboard")
        csp = page.headers.get("Content-Security-Policy", "")
        for part in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                     "frame-ancestors 'none'"):
            check(part in csp, f"CSP lacks {part}: {csp}")
        eq(page.headers.get("X-Content-Type-Options"), "nosniff", "nosniff")
        eq(page.headers.get("Referrer-Policy"), "same-origin", "Referrer-Policy")
        check("<script" not in page.body and "style=" not in page.body and "<style" not in page.body,
              "no inline script or style")
        check(len(page.body.encode()) + len(n.request("GET", "/web/assets/style.css",
                                                      token=None).body.encode()) < 100_000,
              "a first visit (page and stylesheet) is under 100 KB")
        signins = n.request("GET", "/api/v1/signins").json()["items"]
        eq([s["outcome"] for s in signins], ["bad_code", "bad_password", "ok", "reused_code"],
           "sign-in record")
        eq({s["address"] for s in signins}, {"127.0.0.1"}, "from where")
        eq({s["user"] for s in signins}, {u.id}, "who")
        check("correct horse" not in n.read_log(), "no password in the log")
    finally:
        n.cleanup()


def test_csrf_origin_and_signout_everywhere(binary):
    n = node()
    try:
        u = WebUser(n, 1, "root@cert.uy")
        u.signin()
        first = u.cookie
        u.signin()  # a second session (another browser)
        second = u.cookie
        token = u.csrf()
        check(token, "pages carry a CSRF token")
        r = u.post("/web/signout", {})
        eq((r.status, r.json()["error"]["field"]), (403, "csrf"), "sign-out without a token")
        r = u.post("/web/signout", {"csrf": "x" * len(token)})
        eq(r.status, 403, "a wrong token")
        u.cookie = first
        r = u.post("/web/signout", {"csrf": token})
        eq(r.status, 403, "another session's token")
        u.cookie = second
        r = u.post("/web/signout", {"csrf": token},
                   headers={"Origin": "https://evil.example"})
        eq(r.status, 403, "a form from another site")
        eq(u.get("/web").status, 200, "the session survives refused forms")
        r = u.post("/web/signout", {"csrf": token, "everywhere": "1"})
        eq(r.status, 303, "sign-out everywhere")
        check("Max-Age=0" in r.headers.get("Set-Cookie", ""), "the cookie is cleared")
        for c in (first, second):
            u.cookie = c
            r = u.get("/web")
            eq((r.status, r.headers.get("Location")), (303, "/web/signin"),
               "every session ended")
    finally:
        n.cleanup()


def test_lockout_and_address_budget(binary):
    n = node("--web-signin-failures-max", "3", "--web-address-failures-max", "6",
             "--web-lockout-seconds", "60")
    try:
        a, b, c = (WebUser(n, 1, f"{x}@cert.uy") for x in "abc")
        for _ in range(3):
            eq(a.signin(password="not the password", code="000000").status, 401, "a failure")
        r = a.signin()
        eq(r.status, 429, "the right password on a locked account")
        check("minute" in r.body, "the page says when to try again")
        for _ in range(3):
            eq(b.signin(code="abcdef").status, 401, "b's failures")
        r = c.signin()
        eq(r.status, 429, "an address over its budget waits, whatever the account")
        outcomes = [s["outcome"] for s in n.request("GET", "/api/v1/signins?limit=100").json()["items"]]
        eq(outcomes.count("locked"), 1, "the locked attempt is recorded")
        eq(outcomes[-1], "address_limited", "the address-limited attempt is recorded")
    finally:
        n.cleanup()


def test_session_expiry(binary):
    n = node("--web-session-idle-seconds", "2", "--web-session-max-seconds", "5")
    try:
        u = WebUser(n, 1, "root@cert.uy")
        u.signin()
        time.sleep(3)
        eq(u.get("/web").headers.get("Location"), "/web/signin", "idle expiry")
        u.signin()
        start = time.time()
        while time.time() - start < 4:  # active all along: the idle clock restarts
            eq(u.get("/web").status, 200, "an active session")
            time.sleep(0.7)
        time.sleep(1.5)
        eq(u.get("/web").headers.get("Location"), "/web/signin", "absolute expiry")
    finally:
        n.cleanup()


def test_scope_404_and_audit(binary):
    n = node()
    try:
        a, a_tok = n.add_member("CERT-A", country="AR")
        b, b_tok = n.add_member("CERT-B", country="BR")
        c, c_tok = n.add_member("CERT-C", country="CL")
        ua, ub, uc = WebUser(n, a, "a@a.org"), WebUser(n, b, "b@b.org"), WebUser(n, c, "c@c.org")
        for u in (ua, ub, uc):
            u.signin()
        rid = submit(n, b_tok, [indicator("[ipv4-addr:value = '203.0.113.9']", tlp="amber",
                                          name="<script>alert(1)</script>")],
                     audience=f"member:{a}")
        page = uc.get(f"/web/reports/{rid}")
        eq(page.status, 404, "a member outside the audience")
        eq(n.request("GET", f"/api/v1/reports/{rid}", token=c_tok).status, 404, "as the API")
        check(rid not in uc.get("/web/reports").body, "not in C's list")
        check(rid not in uc.get("/web").body, "not on C's dashboard")
        page = ua.get(f"/web/reports/{rid}")
        eq(page.status, 200, "a member in the audience")
        check("TLP:AMBER" in page.body and "203.0.113.9" in page.body, "scope and objects shown")
        check("<script>alert(1)" not in page.body, "the indicator's name is escaped")
        check("Who received it" not in page.body, "the audit is for the originator only")
        eq(uc.get(f"/web/reports/{rid}/related").status, 404, "related: outside the audience")
        eq(ua.get(f"/web/reports/{rid}/related").status, 200, "related: inside")
        audit = n.request("GET", f"/api/v1/reports/{rid}/audit", token=b_tok).json()["items"]
        check({(x["member"]["id"], x["path"]) for x in audit} >= {(a, "reports.get")},
              f"the page's read is audited as the API's: {audit}")
        page = ub.get(f"/web/reports/{rid}")
        check("Who received it" in page.body and "CERT-A" in page.body,
              "the originator sees who received it")
        check(ua.get("/web/reports/report--00000000-0000-4000-8000-000000000000").status == 404,
              "an unknown report is the same 404")
    finally:
        n.cleanup()


def test_submit_with_errors_tied_to_fields(binary):
    n = node()
    try:
        m, _ = n.add_member("CERT-A", country="AR")
        u = WebUser(n, m, "a@a.org")
        u.signin()
        token = u.csrf("/web/submit")
        good = dumps(bundle([indicator("[domain-name:value = 'bad.example']", tlp="green")]))
        body, ctype = multipart({"csrf": token, "audience": "all"},
                                {"file": ("b.json", "application/json", good)})
        r = n.request("POST", "/web/submit", token=None, raw=body, content_type=ctype,
                      headers={"Cookie": u.cookie})
        eq(r.status, 303, f"upload: {r}")
        rid = r.headers["Location"].rsplit("/", 1)[1]
        page = u.get(r.headers["Location"])
        check(rid in page.body and "TLP:GREEN" in page.body and "all members" in page.body,
              "the submitted report is shown")
        api = n.request("GET", f"/api/v1/reports/{rid}").json()
        eq(api["audience"], ["all"], "stored with its audience")

        red = dumps(bundle([indicator("[domain-name:value = 'red.example']", tlp="red")]))
        body, ctype = multipart({"csrf": token, "audience": "all"},
                                {"file": ("r.json", "application/json", red)})
        r = n.request("POST", "/web/submit", token=None, raw=body, content_type=ctype,
                      headers={"Cookie": u.cookie})
        eq(r.status, 422, "TLP:RED to all")
        check('id="error-audience"' in r.body and 'aria-describedby="error-audience"' in r.body,
              "the error is tied to the audience field")
        check("TLP:RED" in r.body, "the API's message is shown")
        body, ctype = multipart({"csrf": token, "audience": "all"},
                                {"file": ("x.json", "application/json", b'{"type": "bundle"')})
        r = n.request("POST", "/web/submit", token=None, raw=body, content_type=ctype,
                      headers={"Cookie": u.cookie})
        check(400 <= r.status < 500 and 'role="alert"' in r.body, f"a broken file: {r.status}")
        eq(len(n.request("GET", "/api/v1/reports").json()["items"]), 1, "nothing else stored")
        body, ctype = multipart({"audience": "all"},
                                {"file": ("b.json", "application/json", good)})
        r = n.request("POST", "/web/submit", token=None, raw=body, content_type=ctype,
                      headers={"Cookie": u.cookie})
        eq(r.status, 403, "an upload without the CSRF token")
    finally:
        n.cleanup()


def test_upload_larger_than_other_forms(binary):
    """A bundle is often megabytes: the upload is held to web_upload_max, not
    to the body_max of other forms; over it, the page says so (413) and stores
    nothing; without a session nothing past the first chunk is read."""
    n = node("--body-max", "65536", "--web-upload-max", "1048576")
    try:
        m, _ = n.add_member("CERT-A", country="AR")
        u = WebUser(n, m, "a@a.org")
        u.signin()
        token = u.csrf("/web/submit")
        check("Files up to 1 MB." in u.get("/web/submit").body, "the page gives the cap")

        def bundle_of(count, tag):
            return dumps(bundle([indicator(f"[domain-name:value = 'h{i}.{tag}.example']",
                                           tlp="green") for i in range(count)]))
        mid = bundle_of(300, "mid")
        check(65536 < len(mid) < 1048576, f"a bundle between the two caps: {len(mid)}")
        body, ctype = multipart({"csrf": token, "audience": "all"},
                                {"file": ("m.json", "application/json", mid)})
        r = n.request("POST", "/web/submit", token=None, raw=body, content_type=ctype,
                      headers={"Cookie": u.cookie})
        eq(r.status, 303, f"an upload over body_max, under web_upload_max: {r.status}")

        big = bundle_of(5000, "big")
        check(len(big) > 1048576, f"a bundle over web_upload_max: {len(big)}")
        body, ctype = multipart({"csrf": token, "audience": "all"},
                                {"file": ("b.json", "application/json", big)})
        r = n.request("POST", "/web/submit", token=None, raw=body, content_type=ctype,
                      headers={"Cookie": u.cookie})
        eq(r.status, 413, "over web_upload_max")
        check('id="error-file"' in r.body and "atalaya report submit" in r.body,
              "the page says the file is too large, tied to the file field")

        body, ctype = multipart({"csrf": token, "audience": "all"},
                                {"file": ("m.json", "application/json", bundle_of(300, "anon"))})
        try:  # refused at its first chunk: the connection closes, or 401 if all was sent
            r = n.request("POST", "/web/submit", token=None, raw=body, content_type=ctype)
            eq(r.status, 401, "an upload without a session")
        except OSError:
            pass
        items = n.request("GET", "/api/v1/reports").json()["items"]
        eq(len(items), 1, "only the upload within the cap is stored")
    finally:
        n.cleanup()
    # body_max above web_upload_max: the upload still arrives whole, in many chunks
    n = node("--body-max", "4M", "--web-upload-max", "1048576")
    try:
        m, _ = n.add_member("CERT-A", country="AR")
        u = WebUser(n, m, "a@a.org")
        u.signin()
        body, ctype = multipart({"csrf": u.csrf("/web/submit"), "audience": "all"},
                                {"file": ("m.json", "application/json", bundle_of(1500, "c"))})
        r = n.request("POST", "/web/submit", token=None, raw=body, content_type=ctype,
                      headers={"Cookie": u.cookie})
        eq(r.status, 303, f"an upload in many chunks: {r.status} {r.body[:300]}")
        rid = r.headers["Location"].rsplit("/", 1)[1]
        eq(n.request("GET", f"/api/v1/reports/{rid}").json()["objects"], 1500,
           "every object of the upload")
    finally:
        n.cleanup()


def test_languages(binary):
    n = node()
    try:
        u = WebUser(n, 1, "root@cert.uy")
        for accept, lang, direction in (("ar", "ar", "rtl"), ("zh-CN,zh;q=0.9", "zh", "ltr"),
                                        ("ru", "ru", "ltr"), ("de", "en", "ltr")):
            r = n.request("GET", "/web/signin", token=None, headers={"Accept-Language": accept})
            check(f'<html lang="{lang}" dir="{direction}">' in r.body, f"{accept}: {r.body[:80]}")
        u.signin()
        token = u.csrf()
        r = u.post("/web/language", {"csrf": token, "lang": "fr", "back": "/web/alerts"})
        eq((r.status, r.headers.get("Location")), (303, "/web/alerts"), "language switch")
        check('<html lang="fr" dir="ltr">' in u.get("/web", {"Accept-Language": "en"}).body,
              "the account's language wins over Accept-Language")
        r = u.post("/web/language", {"csrf": token, "lang": "ar", "back": "https://evil.example/"})
        eq(r.headers.get("Location"), "/web", "back only to a page of ours")
        page = u.get("/web/lookup?value=198.51.100.7")
        check('<html lang="ar" dir="rtl">' in page.body, "Arabic")
        check('<bdi dir="ltr">198.51.100.7</bdi>' in page.body, "an address stays LTR")
        eq(u.post("/web/language", {"csrf": token, "lang": "xx"}).status, 422, "no such language")
    finally:
        n.cleanup()


def test_alert_acknowledged_with_a_plain_form(binary):
    n = node()
    try:
        a, a_tok = n.add_member("CERT-A", country="AR")
        b, b_tok = n.add_member("CERT-B", country="BR")
        r = n.request("PUT", "/api/v1/constituency", {"cidrs": ["198.51.100.0/24"]}, token=a_tok)
        eq(r.status, 200, f"constituency: {r}")
        ua = WebUser(n, a, "a@a.org")
        ua.signin()
        submit(n, b_tok, [indicator("[ipv4-addr:value = '198.51.100.7']")], audience="all")
        deadline = time.time() + 5
        while time.time() < deadline and 'id="ack-' not in ua.get("/web/alerts").body:
            time.sleep(0.1)
        page = ua.get("/web")
        m = re.search(r'action="/web/alerts/(\d+)/ack"', page.body)
        check(m, "the dashboard shows the open alert with its form")
        r = ua.post(f"/web/alerts/{m.group(1)}/ack", {"csrf": ua.csrf()})
        eq(r.status, 303, f"acknowledged: {r}")
        alerts = n.request("GET", "/api/v1/alerts", token=a_tok).json()["items"]
        eq([x["state"] for x in alerts], ["acknowledged"], "the API sees it acknowledged")
        check('action="/web/alerts/' not in ua.get("/web/alerts").body, "no form left")
        ub = WebUser(n, b, "b@b.org")
        ub.signin()
        eq(ub.post(f"/web/alerts/{m.group(1)}/ack", {"csrf": ub.csrf()}).status, 404,
           "another member's alert")
    finally:
        n.cleanup()


def test_report_objects_are_paged(binary):
    n = node()
    try:
        objs = [indicator(f"[ipv4-addr:value = '10.0.{i // 250}.{i % 250}']") for i in range(120)]
        rid = submit(n, n.admin_token, objs, audience="all")
        submit(n, n.admin_token, [indicator("[ipv4-addr:value = '192.0.2.1']")], audience="all")
        u = WebUser(n, 1, "root@cert.uy")
        u.signin()
        page = u.get(f"/web/reports/{rid}")
        rows = page.body.count("<tr><td><bdi dir=\"ltr\">indicator</bdi>")
        eq(rows, 50, "the first page holds 50 objects")
        nxt = re.search(r'class="next" href="([^"]+)"', page.body).group(1).replace("&amp;", "&")
        seen = 50
        while nxt:
            page = u.get(nxt)
            seen += page.body.count("<tr><td><bdi dir=\"ltr\">indicator</bdi>")
            m = re.search(r'class="next" href="([^"]+)"', page.body)
            nxt = m.group(1).replace("&amp;", "&") if m else None
        eq(seen, 120, "every object of the report, and none of the next report")
        check("192.0.2.1" not in page.body, "the listing stops at the report's end")
    finally:
        n.cleanup()


def test_admin_adds_a_person(binary):
    n = node()
    try:
        m, _ = n.add_member("CERT-A", country="AR")
        root = WebUser(n, 1, "root@cert.uy")
        root.signin()
        r = root.post("/web/admin/users", {"csrf": root.csrf("/web/admin"), "member": str(m),
                                           "email": "not-an-address", "role": "analyst"})
        eq(r.status, 422, "a bad e-mail")
        check('id="error-email"' in r.body and 'aria-describedby="error-email"' in r.body,
              "the error is tied to the e-mail field")
        r = root.post("/web/admin/users", {"csrf": root.csrf("/web/admin"), "member": str(m),
                                           "email": "new@cert-a.org", "role": "analyst"})
        eq(r.status, 200, f"account created: {r.status}")
        code = re.search(r'role="status".*?<bdi dir="ltr">([0-9a-f]+)</bdi>', r.body).group(1)
        users = n.request("GET", "/api/v1/users").json()["items"]
        check(("new@cert-a.org", m, "analyst") in [(u["email"], u["member"], u["role"])
                                                   for u in users], "stored under its member")
        anon = WebUser.__new__(WebUser)
        anon.node, anon.cookie, anon.step = n, None, 0
        eq(anon.post("/web/enrol", {"code": code, "password": "a long enough password"}).status,
           200, "the code shown enrols the person")
        analyst = WebUser(n, m, "x@cert-a.org")
        analyst.signin()
        r = analyst.post("/web/admin/users", {"csrf": analyst.csrf(), "member": str(m),
                                              "email": "y@cert-a.org"})
        eq(r.status, 404, "an analyst cannot add people")
        check("y@cert-a.org" not in n.request("GET", "/api/v1/users").body, "nothing stored")
    finally:
        n.cleanup()


def test_directory_lookup_and_delisting_pages(binary):
    n = node()
    try:
        a, a_tok = n.add_member("CERT-A", country="AR")
        b, b_tok = n.add_member("CERT-B", country="BR")
        for tok, name, aud in ((a_tok, "Duty A", ["all"]), (b_tok, "Duty B", ["all"]),
                               (b_tok, "Secret B", [])):
            r = n.request("POST", "/api/v1/contacts", {
                "role": "crisis", "name": name, "email": "duty@example.org",
                "availability": "24/7", "audience": aud}, token=tok)
            eq(r.status, 201, f"contact: {r}")
        ua = WebUser(n, a, "a@a.org")
        ua.signin()
        page = ua.get("/web/contacts").body
        check("Duty A" in page and "Duty B" in page, "visible contacts listed")
        check("Secret B" not in page, "a contact outside its audience is not listed")
        page = ua.get("/web/contacts?country=BR&h24=1").body
        check("Duty B" in page and "Duty A" not in page, "search by country and 24/7")
        r = ua.post("/web/delisting", {"csrf": ua.csrf(), "value": "192.0.2.1",
                                       "reason": "cleaned"})
        eq(r.status, 403, "delisting a source outside the constituency")
        check('id="error-value"' in r.body and 'aria-describedby="error-value"' in r.body,
              "the API's error is tied to the field")
        n.request("PUT", "/api/v1/constituency", {"cidrs": ["192.0.2.0/24"]}, token=a_tok)
        r = ua.post("/web/delisting", {"csrf": ua.csrf(), "value": "192.0.2.1",
                                       "reason": "cleaned"})
        eq(r.status, 200, f"a delisting request: {r}")
        reqs = n.request("GET", "/api/v1/dnsbl/delisting-requests").json()["items"]
        eq([(x["value"], x["member"]) for x in reqs], [("192.0.2.1", a)], "the request is stored")
    finally:
        n.cleanup()


def test_check_answered_on_the_page(binary):
    """A communication check's code typed into the page after signing in is
    the member's authenticated answer; another member's person cannot use it."""
    n = node()
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
        a, a_tok = n.add_member("CERT-A", country="AR")
        b, _ = n.add_member("CERT-B", country="BR")
        r = n.request("POST", "/api/v1/contacts", {
            "role": "crisis", "name": "Duty A", "email": "duty@a.example.org",
            "availability": "24/7",
            "webhook_url": f"http://127.0.0.1:{srv.server_address[1]}/hook"}, token=a_tok)
        eq(r.status, 201, f"contact: {r}")
        r = n.request("POST", "/api/v1/checks", {"contacts": f"member:{a}", "roles": ["crisis"],
                                                  "window": "0s", "reply_within": "1h"})
        eq(r.status, 201, f"check: {r}")
        check_id = r.json()["id"]
        deadline = time.time() + 10
        while time.time() < deadline and not got:
            time.sleep(0.05)
        check(got, "the challenge reached the contact's webhook")
        code = got[0]["code"]
        check(got[0]["answer"]["web"].endswith("/web/check"), f"the message names the page: {got}")
        ub = WebUser(n, b, "b@b.org")
        ub.signin()
        r = ub.post("/web/check", {"csrf": ub.csrf(), "code": code})
        eq(r.status, 404, f"another member's person: {r}")
        check('aria-describedby="error-code"' in r.body, "the error is tied to the field")
        ua = WebUser(n, a, "a@a.org")
        ua.signin()
        page = ua.get("/web/check")
        eq(page.status, 200, "the page")
        check('name="code"' in page.body and 'href="/web/check"' in page.body,
              "the form, and the page in the navigation")
        r = ua.post("/web/check", {"csrf": ua.csrf(), "code": code})
        eq(r.status, 200, f"answered: {r}")
        check('role="status"' in r.body, "the page says it was recorded")
        st = n.request("GET", f"/api/v1/checks/{check_id}").json()
        eq(st["overall"]["answered"], 1, f"the check counts it: {st['overall']}")
    finally:
        srv.shutdown()
        n.cleanup()


if __name__ == "__main__":
    run([test_accounts_roles_and_enrolment, test_signin_cookie_headers_and_record,
         test_csrf_origin_and_signout_everywhere, test_lockout_and_address_budget,
         test_session_expiry, test_scope_404_and_audit, test_submit_with_errors_tied_to_fields,
         test_languages, test_alert_acknowledged_with_a_plain_form,
         test_report_objects_are_paged, test_admin_adds_a_person,
         test_directory_lookup_and_delisting_pages, test_check_answered_on_the_page,
         test_upload_larger_than_other_forms], BIN)
