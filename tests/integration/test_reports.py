"""Incident exchange (issue 3): intake, scope on every read path, versions,
audit, bad input, persistence."""
import glob
import json
import os
import sqlite3
import sys

from harness import Node, check, eq, run
from stixgen import TLP, bundle, dumps, identity, indicator, sid, ts

BIN = sys.argv[1]
SRC = os.environ.get("ATALAYA_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("ATALAYA_SHARED", os.path.join(SRC, "..", "shared"))
STIX = "application/stix+json;version=2.1"


def submit(n, body, audience=None, token="admin", ct=STIX):
    path = "/api/v1/reports" + (f"?audience={audience}" if audience is not None else "")
    return n.request("POST", path, raw=body, token=token, content_type=ct)


def rows(n):
    db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
    out = tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("reports", "objects"))
    db.close()
    files = len(os.listdir(os.path.join(n.data, "reports"))) + len(os.listdir(os.path.join(n.data, "spool")))
    return out + (files,)


def test_examples_accepted_byte_for_byte(bin_):
    n = Node(bin_).start()
    try:
        examples = sorted(glob.glob(os.path.join(SHARED, "testdata/stix21/examples/*.json")))
        if not examples:
            examples = sorted(glob.glob(os.path.join(SRC, "tests/data/stix/valid/*.json")))
        check(len(examples) >= 4, "the shared STIX examples are found")
        for path in examples:
            raw = open(path, "rb").read()
            r = submit(n, raw, "all")
            eq(r.status, 201, f"{os.path.basename(path)}: {r}")
            rep = r.json()
            eq(rep["objects"], len(json.loads(raw)["objects"]), "object count")
            b = n.request("GET", f"/api/v1/reports/{rep['id']}/bundle")
            eq(b.status, 200, "bundle")
            check(b.body.encode() == raw, f"{path} reads back byte for byte")
            s = n.request("GET", f"/api/v1/reports/{rep['id']}").json()
            eq(s["originator"]["name"], "CERT-UY", "originator")
            eq(s["audience"], ["all"], "audience")
        # the CLI shows the same
        out = n.cli("report", "list")
        eq(out.returncode, 0, out.stderr)
        eq(len(out.stdout.strip().splitlines()), len(examples), "report list")
    finally:
        n.cleanup()


def test_scope_defaults_and_tlp_rules(bin_):
    n = Node(bin_).start()
    try:
        b_id, btok = n.add_member("B", "BR")
        r = submit(n, dumps(bundle([indicator("[ipv4-addr:value = '198.51.100.7']")])))
        eq(r.status, 201, "no audience")
        eq(r.json()["audience"], [], "owner alone")
        check(any("only your member" in x for x in r.json()["notes"]), "the 201 says so")
        check(any("never treated as TLP:CLEAR" in x for x in r.json()["notes"]), "unmarked said")
        eq(r.json()["tlp"], "none", "unmarked is not clear")
        eq(n.request("GET", f"/api/v1/reports/{r.json()['id']}", token=btok).status, 404, "not shared")
        # the strictest TLP of the bundle is the report's
        mixed = bundle([indicator("[domain-name:value = 'a.example']", tlp="green"),
                        indicator("[domain-name:value = 'b.example']", tlp="amber+strict")])
        r = submit(n, dumps(mixed), "all")
        eq(r.json()["tlp"], "amber+strict", "strictest wins")
        before = rows(n)
        red = dumps(bundle([indicator("[ipv4-addr:value = '203.0.113.9']", tlp="red")]))
        for aud in ("all", "group:1"):
            if aud == "group:1":
                n.request("POST", "/api/v1/groups", {"name": "g", "members": [b_id]})
            r = submit(n, red, aud)
            eq(r.status, 422, f"RED to {aud}")
            check("named members" in r.json()["error"]["message"], r.body)
        eq(rows(n), before, "refused RED stored nothing")
        r = submit(n, red, f"member:{b_id}")
        eq(r.status, 201, "RED to a named member")
        eq(n.request("GET", f"/api/v1/reports/{r.json()['id']}", token=btok).status, 200, "named sees RED")
        # TLP 1.0 WHITE counts as CLEAR
        white = indicator("[ipv4-addr:value = '192.0.2.1']")
        white["object_marking_refs"] = ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]
        eq(submit(n, dumps(bundle([white])), "all").json()["tlp"], "clear", "WHITE is CLEAR")
        for bad in ("everyone", "member:999", "group:77", "member:abc"):
            r = submit(n, red, bad)
            eq(r.status, 422, f"audience {bad}")
            eq(r.json()["error"]["field"], "audience", "field named")
        eq(submit(n, red, "all", token=n.add_member("R", "PE", role="reader")[1]).status, 403,
           "a reader cannot submit")
    finally:
        n.cleanup()


def test_every_read_path_respects_scope(bin_):
    """For every TLP level and audience kind, members inside and outside the
    audience get exactly what they may, through every read path."""
    n = Node(bin_).start()
    try:
        a_id, atok = n.add_member("A", "AR")    # in the group
        b_id, btok = n.add_member("B", "BO")    # named
        c_id, ctok = n.add_member("C", "CL")    # outside everything
        g = n.request("POST", "/api/v1/groups", {"name": "G", "members": [a_id]}).json()["id"]
        o_id, otok = n.add_member("O", "UY")    # the originator
        cases = []
        for tlp in ("clear", "green", "amber", "amber+strict", "red", None):
            for aud in ("all", f"group:{g}", f"member:{b_id}", ""):
                if tlp == "red" and aud in ("all", f"group:{g}"):
                    continue
                ind = indicator(f"[ipv4-addr:value = '10.{len(cases)}.0.1']", tlp=tlp)
                r = submit(n, dumps(bundle([ind])), aud, token=otok)
                eq(r.status, 201, f"{tlp} {aud}: {r}")
                who = {"O"}
                if aud == "all":
                    who |= {"A", "B", "C"}
                elif aud == f"group:{g}":
                    who |= {"A"}
                elif aud == f"member:{b_id}":
                    who |= {"B"}
                cases.append((r.json()["id"], ind["id"], who, tlp, aud))
        tokens = {"O": otok, "A": atok, "B": btok, "C": ctok}
        for name, tok in tokens.items():
            listed = {x["id"] for x in n.request("GET", "/api/v1/reports?limit=1000", token=tok).json()["items"]}
            objs = {json.loads(json.dumps(x))["id"] for x in
                    n.request("GET", "/api/v1/objects?limit=1000", token=tok).json()["items"]}
            exported = {o["id"] for o in n.request("GET", "/api/v1/export?limit=1000", token=tok).json()["objects"]}
            for rid, oid, who, tlp, aud in cases:
                may = name in who
                what = f"{name} on {tlp}/{aud or 'owner'}"
                eq(rid in listed, may, f"list {what}")
                eq(oid in objs, may, f"objects {what}")
                eq(oid in exported, may, f"export {what}")
                for path in (f"/api/v1/reports/{rid}", f"/api/v1/reports/{rid}/bundle",
                             f"/api/v1/objects/{oid}", f"/api/v1/objects/{oid}/versions"):
                    r = n.request("GET", path, token=tok)
                    eq(r.status, 200 if may else 404, f"{path} {what}")
                    if not may:
                        # a 404 names what was asked, and nothing of the report
                        eq(set(r.json()), {"error"}, f"404 body {what}")
                        check("ipv4-addr" not in r.body and "'10." not in r.body,
                              f"no leak in 404 {what}: {path} {r.body}")
                r = n.request("GET", f"/api/v1/reports/{rid}/audit", token=tok)
                eq(r.status, 200 if name == "O" else (403 if may else 404), f"audit {what}")
        # the originator sees who read its reports, through which path
        rid = cases[0][0]
        items = n.request("GET", f"/api/v1/reports/{rid}/audit?limit=1000", token=otok).json()["items"]
        seen = {(i["member"]["name"], i["path"]) for i in items}
        for m in ("A", "B", "C"):
            for p in ("reports.list", "reports.get", "reports.bundle", "objects.list", "objects.get",
                      "objects.versions", "export"):
                check((m, p) in seen, f"audit records {m} via {p}: {sorted(seen)}")
        check(not any(i["member"]["name"] == "O" for i in items), "own reads are not disclosures")
        out = n.cli("report", "audit", rid, token=otok)
        check("reports.bundle" in out.stdout, out.stdout)
    finally:
        n.cleanup()


def test_invalid_bundles_store_nothing(bin_):
    n = Node(bin_).start()
    try:
        inv = sorted(glob.glob(os.path.join(SRC, "tests/data/stix/invalid/*.json")))
        check(len(inv) >= 40, f"at least 40 invalid bundles ({len(inv)})")
        before = rows(n)
        for path in inv:
            expected = open(path[:-5] + ".expected").read().strip()
            r = submit(n, open(path, "rb").read(), "all")
            check(r.status in (400, 413, 422), f"{os.path.basename(path)}: {r}")
            eq(r.json()["error"]["message"], expected, os.path.basename(path))
        eq(rows(n), before, "nothing stored, no file left behind")
        r = submit(n, b"<x/>", "all", ct="text/plain")
        eq(r.status, 415, "unsupported media type")
        r = submit(n, b"", "all")
        eq(r.status in (400, 422), True, f"empty body {r}")
    finally:
        n.cleanup()


def test_body_cap(bin_):
    n = Node(bin_, extra_args=["--report-body-max", "4K"]).start()
    try:
        big = dumps(bundle([indicator(f"[ipv4-addr:value = '10.0.{i // 250}.{i % 250}']") for i in range(40)]))
        r = submit(n, big, "all")
        eq(r.status, 413, "over report_body_max")
        eq(rows(n)[:2], (0, 0), "nothing stored")
    finally:
        n.cleanup()


def test_caps_answer_and_export_pages(bin_):
    n = Node(bin_, extra_args=["--object-max", "2K"]).start()
    try:
        big = indicator("[ipv4-addr:value = '10.0.0.1']")
        big["description"] = "x" * 4000
        r = submit(n, dumps(bundle([indicator("[ipv4-addr:value = '10.0.0.2']"), big])), "all")
        eq(r.status, 413, f"an object over object_max is answered, not cut off: {r}")
        check("objects[1]" in r.json()["error"]["message"], r.body)
        eq(rows(n)[:2], (0, 0), "nothing stored")
        objs = [indicator(f"[ipv4-addr:value = '10.1.0.{i}']") for i in range(5)]
        eq(submit(n, dumps(bundle(objs)), "all").status, 201, "five objects")
        b_id, btok = n.add_member("B", "BR")
        got, after = [], ""
        for _ in range(10):
            r = n.request("GET", f"/api/v1/export?limit=2{after}", token=btok)
            got += [o["id"] for o in json.loads(r.body)["objects"]]
            nxt = r.headers.get("X-Next-Cursor")
            if not nxt:
                break
            after = "&after=" + nxt
        eq(sorted(got), sorted(o["id"] for o in objs), "export pages through X-Next-Cursor")
        r = submit(n, dumps(bundle([indicator("[ipv4-addr:value = ]")])), "all")
        eq(r.status, 400, "a pattern that does not parse")
        check("position" in r.json()["error"]["message"], r.body)
        r = n.request("GET", "/api/v1/reports?tlp=amber+strict", token=btok)
        eq(r.status, 200, "an unencoded + in tlp=amber+strict")
        # newest first, paged backwards; the default stays oldest first
        for i in range(3):
            eq(submit(n, dumps(bundle([indicator(f"[ipv4-addr:value = '192.0.2.{i + 1}']")])),
                      "all").status, 201, "another report")
        ids = [x["id"] for x in n.request("GET", "/api/v1/reports?limit=1000",
                                           token=btok).json()["items"]]
        check(len(ids) >= 3, f"reports to page: {ids}")
        got, after = [], ""
        for _ in range(len(ids)):
            page = n.request("GET", f"/api/v1/reports?order=newest&limit=2{after}",
                             token=btok).json()
            got += [x["id"] for x in page["items"]]
            if not page["next"]:
                break
            after = "&after=" + page["next"]
        eq(got, ids[::-1], "order=newest pages back through every report once")
        r = n.request("GET", "/api/v1/reports?order=random", token=btok)
        eq((r.status, r.json()["error"]["field"]), (422, "order"), "a bad order")
    finally:
        n.cleanup()


def test_versions_and_revocation(bin_):
    n = Node(bin_).start()
    try:
        b_id, btok = n.add_member("B", "BR")
        oid = sid("indicator")
        v1 = indicator("[ipv4-addr:value = '198.51.100.1']", oid=oid, name="v1")
        v2 = indicator("[ipv4-addr:value = '198.51.100.2']", oid=oid, name="v2",
                       modified=ts(1))
        eq(submit(n, dumps(bundle([v1])), "all").status, 201, "v1")
        eq(submit(n, dumps(bundle([v2])), "all").status, 201, "v2")
        r = n.request("GET", f"/api/v1/objects/{oid}", token=btok)
        eq(json.loads(r.body)["name"], "v2", "latest by default")
        r = n.request("GET", f"/api/v1/objects/{oid}?modified={ts(0)}", token=btok)
        eq(json.loads(r.body)["name"], "v1", "an older version when asked")
        vs = n.request("GET", f"/api/v1/objects/{oid}/versions", token=btok).json()["items"]
        eq([v["modified"] for v in vs], [ts(1), ts(0)], "versions")
        listed = [o for o in n.request("GET", "/api/v1/objects", token=btok).json()["items"] if o["id"] == oid]
        eq([o["name"] for o in listed], ["v2"], "lists show the latest only")
        listed = [o for o in n.request("GET", "/api/v1/objects?versions=all", token=btok).json()["items"]
                  if o["id"] == oid]
        eq(len(listed), 2, "every version when asked")
        # a later version visible only to the originator does not hide v2 from B
        v3 = indicator("[ipv4-addr:value = '198.51.100.3']", oid=oid, name="v3",
                       modified=ts(2))
        eq(submit(n, dumps(bundle([v3]))).status, 201, "v3 owner-only")
        eq(json.loads(n.request("GET", f"/api/v1/objects/{oid}", token=btok).body)["name"], "v2",
           "B sees the latest version it may see")
        eq(json.loads(n.request("GET", f"/api/v1/objects/{oid}").body)["name"], "v3", "owner sees v3")
        rv = indicator("[ipv4-addr:value = '198.51.100.3']", oid=oid, name="v4", revoked=True,
                       modified=ts(3))
        eq(submit(n, dumps(bundle([rv])), "all").status, 201, "revocation")
        r = n.request("GET", f"/api/v1/objects/{oid}", token=btok)
        eq(r.status, 410, "revoked")
        check("revoked" in r.json()["error"]["message"], r.body)
        eq(n.request("GET", f"/api/v1/objects/{oid}?include_revoked=true", token=btok).status, 200, "still readable")
        check(all(o["id"] != oid for o in n.request("GET", "/api/v1/objects", token=btok).json()["items"]),
              "revoked objects leave lists")
        # same id and modified twice in one bundle
        r = submit(n, dumps(bundle([v1, v1])), "all")
        eq(r.status, 422, "duplicate in one bundle")
    finally:
        n.cleanup()


def test_persistence_and_large_bundle(bin_):
    n = Node(bin_).start()
    try:
        ident = identity("CERT-UY", tlp="green")
        objs = [ident] + [indicator(f"[ipv4-addr:value = '10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}']",
                                    tlp="green", ident=ident["id"]) for i in range(20000)]
        raw = dumps(bundle(objs))
        r = submit(n, raw, "all")
        eq(r.status, 201, "20k objects")
        eq(r.json()["objects"], 20001, "all counted")
        eq(r.json()["counts"], {"identity": 1, "indicator": 20000}, "counts by type")
        rid = r.json()["id"]
        n.stop(9)  # kill -9 right after the 201
        n.start()
        s = n.request("GET", f"/api/v1/reports/{rid}").json()
        eq(s["objects"], 20001, "survives kill -9")
        eq(n.request("GET", f"/api/v1/reports/{rid}/bundle").body.encode(), raw, "bytes survive")
        eq(n.request("GET", f"/api/v1/objects/{objs[777]['id']}").status, 200, "object by id")
        page = n.request("GET", "/api/v1/objects?type=identity").json()
        eq([o["id"] for o in page["items"]], [ident["id"]], "type filter")
    finally:
        n.cleanup()


def test_object_keys_migration_and_clean_stop(bin_):
    """A store of schema 5 (objects found through the index objects_id) gains
    object_keys at start, with the keys intake would have written; lookups by
    id answer as before; a clean stop leaves the WAL empty."""
    n = Node(bin_).start()
    try:
        b_id, btok = n.add_member("B", "BR")
        oid = sid("indicator")
        v1 = indicator("[ipv4-addr:value = '198.51.100.1']", oid=oid, name="v1")
        v2 = indicator("[ipv4-addr:value = '198.51.100.2']", oid=oid, name="v2",
                       modified=ts(1))
        others = [indicator(f"[ipv4-addr:value = '10.0.{i // 256}.{i % 256}']") for i in range(600)]
        eq(submit(n, dumps(bundle([v1] + others)), "all").status, 201, "v1 and others")
        eq(submit(n, dumps(bundle([v2])), "all").status, 201, "v2")
        eq(n.stop(), 0, "clean stop")
        wal = os.path.join(n.data, "atalaya.db-wal")
        check(not os.path.exists(wal) or os.path.getsize(wal) == 0, "the WAL is empty after a stop")

        db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        written = sorted(db.execute("SELECT stix_key, modified, seq FROM object_keys"))
        eq(len(written), 602, "one key per object")
        db.executescript("BEGIN; DROP TABLE object_keys;"
                         "CREATE INDEX objects_id ON objects(stix_id, modified);"
                         "PRAGMA user_version = 5; COMMIT;")
        db.close()

        n.start()
        check("event=store_migrate step=6" in n.read_log(), "step 6 ran")
        r = n.request("GET", f"/api/v1/objects/{oid}", token=btok)
        eq(json.loads(r.body)["name"], "v2", "latest version by id after the migration")
        r = n.request("GET", f"/api/v1/objects/{oid}?modified={ts(0)}", token=btok)
        eq(json.loads(r.body)["name"], "v1", "a given version after the migration")
        vs = n.request("GET", f"/api/v1/objects/{oid}/versions", token=btok).json()["items"]
        eq([v["modified"] for v in vs], [ts(1), ts(0)],
           "versions, newest first")
        eq(n.request("GET", f"/api/v1/objects/{others[599]['id']}", token=btok).status, 200,
           "another object by id")
        eq(n.request("GET", f"/api/v1/objects/{sid('indicator')}", token=btok).status, 404,
           "an unknown id")
        n.stop()

        db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        eq(sorted(db.execute("SELECT stix_key, modified, seq FROM object_keys")), written,
           "the migration wrote the keys intake writes")
        check(db.execute("PRAGMA user_version").fetchone()[0] >= 6, "schema 6 and later")
        eq(db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'objects_id'").fetchone()[0], 0,
           "objects_id dropped")
        eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", "store integrity")
        db.close()
    finally:
        n.cleanup()


def test_iodef(bin_):
    n = Node(bin_).start()
    try:
        b_id, btok = n.add_member("B", "BR")
        # ours, and RFC 7970's own examples (section 7) as the RFC prints them
        docs = sorted(glob.glob(os.path.join(SRC, "tests/data/iodef/*.xml")) +
                      glob.glob(os.path.join(SRC, "tests/data/iodef/rfc7970/*.xml")))
        check(len([d for d in docs if "/rfc7970/" in d]) == 2, "both RFC 7970 examples")
        for path in docs:
            raw = open(path, "rb").read()
            r = submit(n, raw, f"member:{b_id}", ct="application/xml")
            eq(r.status, 201, f"{os.path.basename(path)}: {r}")
            rid = r.json()["id"]
            check(r.json()["objects"] > 0, "objects mapped")
            eq(n.request("GET", f"/api/v1/reports/{rid}/bundle", token=btok).body.encode(), raw,
               "the XML reads back byte for byte")
            stix = n.request("GET", f"/api/v1/reports/{rid}/bundle?format=stix", token=btok)
            eq(stix.status, 200, "the STIX made from it")
            objs = json.loads(stix.body)["objects"]
            check(any(o["type"] == "incident" for o in objs), "an incident object")
            one = objs[-1]["id"]
            eq(n.request("GET", f"/api/v1/objects/{one}", token=btok).status, 200, "mapped objects are objects")
        before = rows(n)
        for path in sorted(glob.glob(os.path.join(SRC, "tests/data/iodef/invalid/*.xml"))):
            r = submit(n, open(path, "rb").read(), "all", ct="application/xml")
            check(r.status in (400, 413, 422), f"{os.path.basename(path)}: {r}")
            check("line" in r.json()["error"]["message"] or "iodef" in r.json()["error"]["message"].lower(), r.body)
        xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               b'<IODEF-Document xmlns="urn:ietf:params:xml:ns:iodef-2.0">&e;</IODEF-Document>')
        r = submit(n, xxe, "all", ct="application/xml")
        check(r.status in (400, 422) and "root:" not in r.body, f"external entity refused: {r}")
        eq(rows(n), before, "rejected IODEF stored nothing")
    finally:
        n.cleanup()


def test_iodef_observable_skipped(bin_):
    """An IODEF observable whose value cannot be mapped: the document is stored, the
    observable is left out of the STIX and named in the 201's notes (issue 12)."""
    n = Node(bin_).start()
    try:
        d = os.path.join(SRC, "tests/data/iodef/skipped")
        for name in ("bad-ipv4", "bad-asn"):
            raw = open(os.path.join(d, name + ".xml"), "rb").read()
            want = open(os.path.join(d, name + ".expected")).read().strip()
            r = submit(n, raw, "all", ct="application/xml")
            eq(r.status, 201, f"{name}: {r}")
            check(want in r.json().get("notes", []), f"{name}: notes name the observable: {r.body}")
            rid = r.json()["id"]
            eq(n.request("GET", f"/api/v1/reports/{rid}/bundle").body.encode(), raw,
               "the original keeps the observable")
            objs = json.loads(n.request("GET", f"/api/v1/reports/{rid}/bundle?format=stix").body)["objects"]
            check(all(o["type"] != "autonomous-system" for o in objs), f"{name}: no AS mapped")
            check(not any(o.get("value") == "192.0.2.300" for o in objs), f"{name}: bad address left out")
        # a well-formed document says nothing of the kind
        raw = open(os.path.join(SRC, "tests/data/iodef/rfc7970/"
                                "section-7.2-indicators-from-a-campaign.xml"), "rb").read()
        r = submit(n, raw, "all", ct="application/xml")
        eq(r.status, 201, f"the RFC 7970 section 7.2 example: {r}")
        check(not any("skipped" in x for x in r.json().get("notes", [])), r.body)
    finally:
        n.cleanup()


if __name__ == "__main__":
    run([test_examples_accepted_byte_for_byte, test_scope_defaults_and_tlp_rules,
         test_every_read_path_respects_scope, test_invalid_bundles_store_nothing, test_body_cap, test_caps_answer_and_export_pages,
         test_versions_and_revocation, test_persistence_and_large_bundle,
         test_object_keys_migration_and_clean_stop, test_iodef, test_iodef_observable_skipped], BIN)
