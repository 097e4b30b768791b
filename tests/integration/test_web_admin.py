#!/usr/bin/env python3
"""The admin's web pages through the real daemon: every form (members, tokens,
groups, people, peers, TAXII sources) as a signed-in admin, the change read
back through the API; bad input shows the API's error tied to its field and
changes nothing; deletions need a ticked confirmation; a created token's
secret is shown once and works, a revoked one is refused; a member who is not
an admin gets 404 and no data from every page and form. Also the enrolment
page's QR code (decoded back with zbarimg) and `user add --password-prompt`
through a pseudo-terminal."""
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time

from harness import Node, WebUser, add_peer, check, eq, node_key, run
from stixgen import indicator

BIN = sys.argv[1]
TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/api/"


def admin_web(n):
    w = WebUser(n, 1, "root@cert.uy", role="admin")
    eq(w.signin().status, 303, "the admin signs in")
    return w


def post(w, path, form, page="/web"):
    """Posts a form with the session's CSRF token (taken from `page`)."""
    pairs = list(form.items()) if isinstance(form, dict) else list(form)
    return w.post(path, pairs + [("csrf", w.csrf(page))])


def secret_shown(body):
    """The shown-once secrets of a page."""
    return re.findall(r'<p class="secret"><bdi dir="ltr">([^<]+)</bdi></p>', body)


def tied(body, field):
    """The error is tied to its field: the message's id and the field's aria-describedby."""
    return f'id="error-{field}"' in body and f'aria-describedby="error-{field}"' in body


def api(n, path, token="admin"):
    r = n.request("GET", path, token=token)
    return r.status, (r.json() if r.body.startswith("{") else None)


def test_members_and_tokens(binary):
    n = Node(binary).start()
    try:
        w = admin_web(n)
        m, _ = n.add_member("CERT.br")
        r = w.get("/web/admin")
        check(r.status == 200 and f'href="/web/admin/members/{m}">CERT.br</a>' in r.body,
              f"the member is linked from /web/admin: {r.status}")
        r = w.get(f"/web/admin/members/{m}")
        check(r.status == 200 and 'value="CERT.br"' in r.body and ">first<" in r.body,
              "the member's page: its form and its first token's label")
        check(not secret_shown(r.body), "no token secret on the member's page")
        eq(w.get("/web/admin/members/999").status, 404, "an unknown member")

        # a new member: refused with the API's error, then added with its token shown once
        new = {"name": "CERT.mx", "kind": "national-cert", "country": "M1", "role": "analyst",
               "languages": "es", "ack_deadline_seconds": ""}
        r = post(w, "/web/admin/members", new)
        check(r.status == 422 and tied(r.body, "country"), f"a bad country: {r.status}")
        check("CERT.mx" not in [x["name"] for x in api(n, "/api/v1/members")[1]["items"]],
              "no member added")
        r = post(w, "/web/admin/members", dict(new, country="MX"))
        eq(r.status, 200, "member added")
        added = [x for x in api(n, "/api/v1/members")[1]["items"] if x["name"] == "CERT.mx"]
        eq([(x["country"], x["languages"], x["role"]) for x in added], [("MX", ["es"], "analyst")],
           "the new member as the API reads it")
        first = secret_shown(r.body)
        check(len(first) == 1 and r.body.count(first[0]) == 1, "its first token, once")
        eq(api(n, f"/api/v1/members/{added[0]['id']}", token=first[0])[0], 200, "and it works")
        r = post(w, "/web/admin/members", dict(new, country="MX"))
        check(r.status == 409 and tied(r.body, "name"), "the same name again")

        # edit: every field the API takes
        form = {"name": "CERT.br NIC", "kind": "isp", "country": "BR", "role": "reader",
                "languages": "pt, es", "ack_deadline_seconds": "600"}
        r = post(w, f"/web/admin/members/{m}", form)
        check(r.status == 200 and 'role="status"' in r.body, f"saved: {r.status}")
        got = api(n, f"/api/v1/members/{m}")[1]
        eq((got["name"], got["kind"], got["role"], got["languages"], got["ack_deadline_seconds"]),
           ("CERT.br NIC", "isp", "reader", ["pt", "es"], 600), "the member as the API reads it")
        # bad input: the API's error, tied to the field; nothing changed
        for field, value in (("country", "B1"), ("languages", "pt, xx1"),
                             ("ack_deadline_seconds", "soon"), ("name", "")):
            r = post(w, f"/web/admin/members/{m}", {**form, "name": "Renamed", field: value})
            check(r.status in (400, 422) and tied(r.body, field),
                  f"{field}={value!r}: {r.status}, error tied to the field")
            eq(api(n, f"/api/v1/members/{m}")[1]["name"], "CERT.br NIC", f"{field}: unchanged")
        r = post(w, "/web/admin/members/1", dict(form, name="CERT-UY", country="UY"))
        check(r.status == 409 and tied(r.body, "role"), "an admin cannot demote itself")
        eq(api(n, "/api/v1/members/1")[1]["role"], "admin", "the admin is still one")

        # a token: its secret once, it works; revoked, it is refused
        r = post(w, f"/web/admin/members/{m}/tokens", {"label": "siem"})
        eq(r.status, 200, "token created")
        secrets = secret_shown(r.body)
        eq(len(secrets), 1, "one secret on the result page")
        tok = secrets[0]
        eq(r.body.count(tok), 1, "the secret appears once")
        eq(api(n, f"/api/v1/members/{m}", token=tok)[0], 200, "the new token works")
        r = w.get(f"/web/admin/members/{m}")
        check(tok not in r.body and ">siem<" in r.body, "listed by label, never by secret")
        tokens = api(n, f"/api/v1/members/{m}/tokens")[1]["items"]
        tid = [t["id"] for t in tokens if t["label"] == "siem"][0]
        r = post(w, f"/web/admin/members/{m}/tokens/{tid}/revoke", {})
        eq(r.status, 200, "revoked")
        eq(api(n, f"/api/v1/members/{m}", token=tok)[0], 401, "the revoked token is refused")
        r = post(w, f"/web/admin/members/{m}/tokens/{tid}/revoke", {})
        eq(r.status, 404, "revoking it again: the API's 404")

        # deletion: asked first, then done only with the box ticked
        r = post(w, f"/web/admin/members/{m}/delete", {})
        check(r.status == 200 and 'name="confirm"' in r.body and "CERT.br NIC" in r.body,
              "the confirmation page names the member")
        eq(api(n, f"/api/v1/members/{m}")[0], 200, "not deleted by the first post")
        r = post(w, f"/web/admin/members/{m}/delete", {"asked": "1"})
        check(r.status == 422 and tied(r.body, "confirm"), "the box not ticked")
        eq(api(n, f"/api/v1/members/{m}")[0], 200, "still there")
        r = post(w, f"/web/admin/members/{m}/delete", {"asked": "1", "confirm": "yes"})
        eq(r.status, 200, "deleted")
        eq(api(n, f"/api/v1/members/{m}")[0], 404, "the member is gone")
        check("CERT.br NIC" not in w.get("/web/admin").body, "and off the admin page")
        r = post(w, "/web/admin/members/1/delete", {"confirm": "yes"})
        eq(r.status, 409, "the admin's own member cannot be deleted")
    finally:
        n.cleanup()


def test_groups(binary):
    n = Node(binary).start()
    try:
        w = admin_web(n)
        a, _ = n.add_member("CERT.br")
        b, _ = n.add_member("CSIRT Chile", country="CL")
        eq(w.get("/web/admin/groups/new").status, 200, "the new group form")
        r = post(w, "/web/admin/groups", [("name", "LAC"), ("description", "Latin America"),
                                          ("members", str(a)), ("members", str(b))])
        eq(r.status, 200, f"created: {r.body[-400:]}")
        groups = api(n, "/api/v1/groups")[1]["items"]
        eq([(g["name"], g["description"], g["members"]) for g in groups],
           [("LAC", "Latin America", [a, b])], "the group as the API reads it")
        g = groups[0]["id"]
        r = w.get(f"/web/admin/groups/{g}")
        check(r.status == 200 and f'id="g-members-{a}" name="members" value="{a}" checked' in r.body,
              "its members ticked")
        r = post(w, f"/web/admin/groups/{g}", [("name", "LAC-2"), ("members", str(b))])
        eq(r.status, 200, "changed")
        got = api(n, f"/api/v1/groups/{g}")[1]
        eq((got["name"], got["members"]), ("LAC-2", [b]), "changed as the API reads it")
        r = post(w, f"/web/admin/groups/{g}", [("name", "LAC-3"), ("members", "999")])
        check(r.status == 422 and tied(r.body, "members"), f"an unknown member: {r.status}")
        got = api(n, f"/api/v1/groups/{g}")[1]
        eq((got["name"], got["members"]), ("LAC-2", [b]), "nothing changed")
        r = post(w, "/web/admin/groups", [("name", "LAC-2")])
        check(r.status == 409 and tied(r.body, "name"), "a duplicate name")
        r = post(w, f"/web/admin/groups/{g}/delete", {})
        check(r.status == 200 and 'name="confirm"' in r.body, "asked first")
        r = post(w, f"/web/admin/groups/{g}/delete", {"confirm": "yes"})
        eq(r.status, 200, "deleted")
        eq(api(n, f"/api/v1/groups/{g}")[0], 404, "the group is gone")
    finally:
        n.cleanup()


def test_people(binary):
    n = Node(binary).start()
    try:
        w = admin_web(n)
        m, _ = n.add_member("CERT.br")
        r = post(w, "/web/admin/users", {"member": "999", "email": "x@cert.br", "role": "reader"})
        check(r.status == 422 and tied(r.body, "member"), "an unknown member")
        eq(len(api(n, "/api/v1/users")[1]["items"]), 1, "no account added")
        ana = WebUser(n, m, "ana@cert.br")
        eq(ana.signin().status, 303, "ana signs in")
        eq(ana.get("/web").status, 200, "ana's session")

        # reset: confirmed, a new code shown once; her session and password end
        r = post(w, f"/web/admin/users/{ana.id}/enrolment", {})
        check(r.status == 200 and "ana@cert.br" in r.body and 'name="confirm"' in r.body
              and ">Reset enrolment</button>" in r.body, "the reset asks first, naming the account")
        eq(ana.get("/web").status, 200, "nothing reset yet")
        r = post(w, f"/web/admin/users/{ana.id}/enrolment", {"confirm": "yes"})
        eq(r.status, 200, "reset")
        code = secret_shown(r.body)
        check(len(code) == 1 and re.fullmatch(r"[0-9a-f]{24}", code[0]), f"the new code: {code}")
        eq(ana.get("/web").status, 303, "her session ended")
        eq(ana.signin().status, 401, "her old password no longer signs in")
        e = WebUser.__new__(WebUser)
        e.node, e.cookie, e.step = n, None, 0
        r = e.post("/web/enrol", {"code": code[0], "password": "a brand new long password"})
        eq(r.status, 200, "she enrols again with the new code")
        ana.secret = re.search(r'<bdi dir="ltr">([A-Z2-7]{32})</bdi>', r.body).group(1)
        ana.password, ana.step = "a brand new long password", 0
        eq(ana.signin().status, 303, "and signs in with her new password and secret")
        r = n.request("POST", "/api/v1/users/999/enrolment")
        eq(r.status, 404, "the API: no such account")

        # deletion, confirmed
        r = post(w, f"/web/admin/users/{ana.id}/delete", {"confirm": "yes"})
        eq(r.status, 200, "deleted")
        emails = [u["email"] for u in api(n, "/api/v1/users")[1]["items"]]
        eq(emails, ["root@cert.uy"], "the account is gone")
        eq(ana.get("/web").status, 303, "and its session")
    finally:
        n.cleanup()


def test_peers(binary):
    a, b = Node(binary).start(), Node(binary, name="CERT-BR", country="BR").start()
    try:
        w = admin_web(a)
        mine = a.request("GET", "/api/v1/node").json()
        theirs = b.request("GET", "/api/v1/node").json()
        r = w.get("/web/admin/peers")
        check(r.status == 200 and mine["fingerprint"] in r.body and mine["public_key"] in r.body,
              "this node's key and fingerprint, to read out")
        form = {"name": "CERT.br", "url": b.url, "public_key": theirs["public_key"],
                "audience": "all"}
        for field, value in (("public_key", "ed25519:zz"), ("url", "ftp://x"),
                             ("name", "no spaces"), ("audience", "member:99")):
            r = post(w, "/web/admin/peers", dict(form, **{field: value}))
            check(r.status == 422 and tied(r.body, field), f"{field}={value!r}: {r.status}")
        eq(a.request("GET", "/api/v1/peers").json()["items"], [], "no peer added")
        r = post(w, "/web/admin/peers", form)
        eq(r.status, 200, "added")
        peers = a.request("GET", "/api/v1/peers").json()["items"]
        eq([(p["name"], p["url"], p["audience"]) for p in peers], [("CERT.br", b.url, ["all"])],
           "the peer as the API reads it")
        pid = peers[0]["id"]
        eq(peers[0]["fingerprint"], theirs["fingerprint"], "the API gives the peer's fingerprint")
        check(theirs["fingerprint"] in w.get("/web/admin/peers").body, "shown on the page")
        r = w.get(f"/web/admin/peers/{pid}")
        check(r.status == 200 and f'value="{b.url}"' in r.body, "the peer's page")
        r = post(w, f"/web/admin/peers/{pid}", {"url": b.url, "audience": "member:99"})
        check(r.status == 422 and tied(r.body, "audience"), f"an unknown member: {r.status}")
        eq(a.request("GET", f"/api/v1/peers/{pid}").json()["audience"], ["all"], "unchanged")
        r = post(w, f"/web/admin/peers/{pid}", {"url": b.url, "audience": "member:1",
                                                "tls_pin": "sha256//AAAA", "again": "1"})
        eq(r.status, 200, "changed")
        got = a.request("GET", f"/api/v1/peers/{pid}").json()
        eq((got["audience"], got["tls_pin"], got["cursor"]), (["member:1"], "sha256//AAAA", 0),
           "changed as the API reads it")
        r = post(w, f"/web/admin/peers/{pid}", {"url": b.url, "audience": "all", "tls_pin": ""})
        eq(a.request("GET", f"/api/v1/peers/{pid}").json()["tls_pin"], None, "pin removed")
        add_peer(b, a, "CERT-UY")
        r = post(w, f"/web/admin/peers/{pid}/sync", {})
        eq(r.status, 200, "synced")
        peer = a.request("GET", f"/api/v1/peers/{pid}").json()
        check(peer["last_contact"] and not peer["last_error"], f"the sync reached B: {peer}")
        eq(post(w, "/web/admin/peers/999/sync", {}).status, 404, "an unknown peer")
        r = post(w, f"/web/admin/peers/{pid}/delete", {})
        check(r.status == 200 and "CERT.br" in r.body and 'name="confirm"' in r.body, "asked")
        eq(len(a.request("GET", "/api/v1/peers").json()["items"]), 1, "still there")
        r = post(w, f"/web/admin/peers/{pid}/delete", {"confirm": "yes"})
        eq(r.status, 200, "removed")
        eq(a.request("GET", "/api/v1/peers").json()["items"], [], "no peer left")
    finally:
        a.cleanup()
        b.cleanup()


def test_taxii_sources(binary):
    up, down = Node(binary, name="CERT-CL", country="CL").start(), Node(binary).start()
    try:
        objs = [indicator(f"[ipv4-addr:value = '203.0.113.{i}']") for i in range(3)]
        r = up.request("POST", ROOT + "collections/all/objects/", {"objects": objs},
                       content_type=TAXII, headers={"Accept": TAXII})
        eq(r.status, 202, f"upstream: {r}")
        for _ in range(100):  # listed once the indexer has taken them
            r = up.request("GET", ROOT + "collections/all/objects/", headers={"Accept": TAXII})
            if len(r.json().get("objects", [])) == 3:
                break
            time.sleep(0.1)
        tok = os.path.join(down.dir, "upstream.token")
        with open(tok, "w") as f:
            f.write(up.admin_token + "\n")
        os.chmod(down.dir, 0o755)
        os.chmod(tok, 0o644)
        w = admin_web(down)
        form = {"name": "cl", "url": up.url + ROOT, "collection": "all", "token_file": tok,
                "audience": "all", "every_seconds": ""}
        for field, value in (("url", "ftp://x/"), ("token_file", "relative.token"),
                             ("every_seconds", "5")):
            r = post(w, "/web/admin/taxii", dict(form, **{field: value}))
            check(r.status == 422 and tied(r.body, field), f"{field}={value!r}: {r.status}")
        eq(down.request("GET", "/api/v1/taxii/sources").json()["items"], [], "nothing added")
        eq(post(w, "/web/admin/taxii", form).status, 200, "added")
        r = post(w, "/web/admin/taxii", dict(form, collection="nope", name="bad"))
        eq(r.status, 200, "a second source")
        src = down.request("GET", "/api/v1/taxii/sources").json()["items"]
        eq([(s["name"], s["collection"], s["auth"]) for s in src],
           [("bad", "nope", "bearer"), ("cl", "all", "bearer")], "the sources as the API reads them")
        r = post(w, "/web/admin/taxii/pull", {"name": "cl"})
        eq(r.status, 200, "pulled")
        check(re.search(r"<dd>3</dd>", r.body), "the page says 3 objects")
        src = {s["name"]: s for s in down.request("GET", "/api/v1/taxii/sources").json()["items"]}
        eq((src["cl"]["pulled"], src["cl"]["last_error"]), (3, None), "pulled, as the API says")
        r = post(w, "/web/admin/taxii/pull", {"name": "bad"})
        check(r.status == 502 and 'class="error"' in r.body, f"a failing pull shows it: {r.status}")
        eq(post(w, "/web/admin/taxii/pull", {"name": "nope"}).status, 404, "an unknown source")
        r = post(w, "/web/admin/taxii/delete", {"name": "bad"})
        check(r.status == 200 and 'name="confirm"' in r.body and 'value="bad"' in r.body, "asked")
        r = post(w, "/web/admin/taxii/delete", {"name": "bad", "confirm": "yes"})
        eq(r.status, 200, "removed")
        eq([s["name"] for s in down.request("GET", "/api/v1/taxii/sources").json()["items"]],
           ["cl"], "one source left")
    finally:
        up.cleanup()
        down.cleanup()


def test_not_for_members(binary):
    """A member's analyst (not an admin) reaches none of it, and changes nothing."""
    n = Node(binary).start()
    try:
        w = admin_web(n)
        m, mtok = n.add_member("CERT.br")
        other, _ = n.add_member("Secret Partner", country="CL")
        n.request("POST", "/api/v1/groups", {"name": "Hidden-Group", "members": [other]})
        post(w, f"/web/admin/members/{other}/tokens", {"label": "hidden-label"})
        ana = WebUser(n, m, "ana@cert.br")
        eq(ana.signin().status, 303, "ana signs in")
        check("/web/admin" not in ana.get("/web").body, "no admin entry in her navigation")
        for path in ("/web/admin", "/web/admin/peers", "/web/admin/taxii", "/web/admin/peers/1",
                     f"/web/admin/members/{other}", f"/web/admin/members/{m}",
                     "/web/admin/groups/1", "/web/admin/groups/new"):
            r = ana.get(path)
            check(r.status == 404, f"{path}: {r.status}")
            for secret in ("Secret Partner", "Hidden-Group", "hidden-label", "root@cert.uy"):
                check(secret not in r.body, f"{path} shows {secret}")
        before = n.request("GET", f"/api/v1/members/{other}/tokens").json()["items"]
        posts = [("/web/admin/members", {"name": "Mine", "kind": "isp", "country": "BR",
                                         "role": "admin"}),
                 (f"/web/admin/members/{other}", {"name": "Taken", "kind": "isp", "country": "BR",
                                                  "role": "reader"}),
                 (f"/web/admin/members/{other}/tokens", {"label": "mine"}),
                 (f"/web/admin/members/{other}/tokens/{before[0]['id']}/revoke", {}),
                 (f"/web/admin/members/{other}/delete", {"confirm": "yes"}),
                 ("/web/admin/groups", {"name": "Mine"}),
                 ("/web/admin/groups/1", {"name": "Mine", "members": str(m)}),
                 ("/web/admin/groups/1/delete", {"confirm": "yes"}),
                 ("/web/admin/users", {"member": str(m), "email": "x@cert.br", "role": "reader"}),
                 (f"/web/admin/users/{w.id}/enrolment", {"confirm": "yes"}),
                 (f"/web/admin/users/{w.id}/delete", {"confirm": "yes"}),
                 ("/web/admin/peers", {"name": "x", "url": "http://127.0.0.1:1",
                                       "public_key": "ed25519:" + "ab" * 32}),
                 ("/web/admin/peers/1", {"url": "http://127.0.0.1:1", "audience": "all"}),
                 ("/web/admin/peers/1/sync", {}), ("/web/admin/peers/1/delete", {"confirm": "yes"}),
                 ("/web/admin/taxii", {"name": "x", "url": "http://127.0.0.1:1/", "collection": "c"}),
                 ("/web/admin/taxii/pull", {"name": "x"}),
                 ("/web/admin/taxii/delete", {"name": "x", "confirm": "yes"})]
        for path, form in posts:
            r = post(ana, path, form)
            check(r.status == 404 and "Secret Partner" not in r.body, f"POST {path}: {r.status}")
        eq(api(n, f"/api/v1/members/{other}")[1]["name"], "Secret Partner", "member unchanged")
        eq(len(api(n, "/api/v1/members")[1]["items"]), 3, "no member added")
        eq(n.request("GET", f"/api/v1/members/{other}/tokens").json()["items"], before,
           "tokens unchanged")
        eq([g["name"] for g in api(n, "/api/v1/groups")[1]["items"]], ["Hidden-Group"],
           "groups unchanged")
        eq(len(api(n, "/api/v1/users")[1]["items"]), 2, "accounts unchanged")
        eq(w.get("/web").status, 200, "the admin's session is untouched")
        eq(n.request("GET", "/api/v1/peers").json()["items"], [], "no peer")
        eq(n.request("GET", "/api/v1/taxii/sources").json()["items"], [], "no source")
        # her member's own token through the API is no way in either
        eq(n.request("POST", "/api/v1/users/1/enrolment", token=mtok).status, 403, "API: 403")
    finally:
        n.cleanup()


def qr_decode(svg, tmp):
    """The text of an inline SVG QR code drawn as ours are (one path of
    M x y h n v1 h-n z runs), through zbarimg on a PGM of it."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    scale = 4
    img = bytearray([255]) * (side * scale) ** 2
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        x, y, run = int(x), int(y), int(run)
        for dy in range(scale):
            row = (y * scale + dy) * side * scale
            img[row + x * scale:row + (x + run) * scale] = bytes((run * scale))
    path = os.path.join(tmp, "qr.pgm")
    with open(path, "wb") as f:
        f.write(b"P5 %d %d 255\n" % (side * scale, side * scale) + bytes(img))
    r = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, text=True,
                       timeout=60)
    eq(r.returncode, 0, f"zbarimg: {r.stderr}")
    return r.stdout.strip()


def test_enrolment_qr_code(binary):
    n = Node(binary).start()
    tmp = tempfile.mkdtemp(prefix="atalaya-qr-")
    try:
        r = n.request("POST", "/api/v1/users", {"member": 1, "email": "duty@cert.uy"})
        code = r.json()["enrolment_code"]
        e = WebUser.__new__(WebUser)
        e.node, e.cookie, e.step = n, None, 0
        r = e.post("/web/enrol", {"code": code, "password": "a long enough password"})
        eq(r.status, 200, "enrolled")
        svgs = re.findall(r"<svg[^>]*>.*?</svg>", r.body)
        eq(len(svgs), 1, "one QR code")
        svg = svgs[0]
        check('role="img"' in svg and re.search(r'aria-label="[^"]{10,}"', svg),
              "an image with an accessible name")
        check("<script" not in svg and "style=" not in svg, "no script, no inline style")
        uri = re.search(r'<bdi dir="ltr">(otpauth://[^<]+)</bdi>', r.body).group(1)
        uri = uri.replace("&amp;", "&")
        secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
        check(secret in r.body, "the secret also as text, for those who cannot scan")
        eq(qr_decode(svg, tmp), uri, "the QR code decodes to the otpauth:// URI")
        check("No QR code" not in r.body, "no 'no QR code' note any more")
    finally:
        shutil.rmtree(tmp)
        n.cleanup()


def pty_run(argv, env, typed, timeout=60):
    """Runs argv on a pseudo-terminal, typing a line of `typed` after each
    "Password" prompt; returns (exit code, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out, lines, deadline = b"", list(typed), time.time() + timeout
    while time.time() < deadline:
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the program ended
            break
        if not chunk:
            break
        out += chunk
        while lines and len(typed) - len(lines) < out.count(b"Password"):
            os.write(fd, lines.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_cli_password_prompt(binary):
    n = Node(binary).start()
    try:
        env = dict(os.environ, ATALAYA_URL=n.url, ATALAYA_TOKEN=n.admin_token)
        env.pop("ATALAYA_TOKEN_FILE", None)
        pw = "typed at the terminal 1"
        argv = [binary, "user", "add", "--member", "1", "--email", "tty@cert.uy",
                "--password-prompt"]
        rc, shown = pty_run(argv, env, [pw, pw + "x"])
        check(rc == 1 and "differ" in shown, f"a mismatch is refused: {rc} {shown!r}")
        check(pw not in shown, "the password is not echoed")
        eq([u["email"] for u in n.request("GET", "/api/v1/users").json()["items"]], [],
           "no account made")
        # Ctrl-C at the prompt: the program ends and the terminal echoes again
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(argv[0], argv, env)
        shown, deadline = b"", time.time() + 30
        while b"Password" not in shown and time.time() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                shown += os.read(fd, 4096)
        check(not termios.tcgetattr(fd)[3] & termios.ECHO, "no echo while it asks")
        os.write(fd, b"\x03")
        _, status = os.waitpid(pid, 0)
        check(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT,
              f"ended by Ctrl-C: {status}")
        check(termios.tcgetattr(fd)[3] & termios.ECHO, "the terminal echoes again")
        os.close(fd)
        rc, shown = pty_run(argv, env, [pw, pw])
        check(rc == 0 and "TOTP secret" in shown, f"the same twice: {rc} {shown!r}")
        check(pw not in shown, "the password is not echoed")
        secret = re.search(r"TOTP secret[^:]*: ([A-Z2-7]{32})", shown).group(1)
        u = WebUser.__new__(WebUser)
        u.node, u.cookie, u.step = n, None, 0
        u.email, u.password, u.secret = "tty@cert.uy", pw, secret
        eq(u.signin().status, 303, "the typed password signs in")
        # from a pipe: one line
        r = n.cli("user", "add", "--member", "1", "--email", "pipe@cert.uy", "--password-prompt",
                  stdin="from a pipe, long enough\n")
        eq(r.returncode, 0, f"from a pipe: {r.stderr}")
        r = n.cli("user", "add", "--member", "1", "--email", "empty@cert.uy", "--password-prompt",
                  stdin="")
        check(r.returncode == 1 and "no password" in r.stderr, f"nothing on the pipe: {r.stderr}")
        r = n.cli("user", "add", "--member", "1", "--email", "short@cert.uy", "--password-prompt",
                  stdin="short\n")
        check(r.returncode == 1 and "password" in r.stderr, f"too short: the API's error {r.stderr}")
        eq(sorted(u["email"] for u in n.request("GET", "/api/v1/users").json()["items"]),
           ["pipe@cert.uy", "tty@cert.uy"], "the accounts made")
        # reset from the CLI
        uid = [x["id"] for x in n.request("GET", "/api/v1/users").json()["items"]
               if x["email"] == "tty@cert.uy"][0]
        r = n.cli("user", "reset", str(uid))
        check(r.returncode == 0 and re.search(r"code .*: [0-9a-f]{24}$", r.stdout, re.M),
              f"user reset: {r.stdout} {r.stderr}")
        eq(u.signin().status, 401, "the reset account no longer signs in")
    finally:
        n.cleanup()


if __name__ == "__main__":
    run([test_members_and_tokens, test_groups, test_people, test_peers, test_taxii_sources,
         test_not_for_members, test_enrolment_qr_code, test_cli_password_prompt], BIN)
