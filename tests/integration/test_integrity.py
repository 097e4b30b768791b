"""Only the creator versions a STIX object (issue 12, item 1): a member that did
not submit an id first can neither add a version of it nor revoke it; the whole
report is refused (409, naming the object) and nothing of it is stored, and every
read path (object, versions, lists, export, lookup, related, alerts, DNSBL) keeps
showing the creator's version. Identical copies, SCOs and the predefined TLP
marking definitions stay shareable by everyone; the creator's own new versions
and revocations keep working, for STIX and IODEF alike."""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import check, eq, run  # noqa: E402
from stixgen import TLP, TS, bundle, dumps, identity, indicator, sid, ts  # noqa: E402
from test_spam import dns_node, lookup, wait_for  # noqa: E402

STIX = "application/stix+json;version=2.1"


def now_ts(offset=0.0):
    t = time.time() + offset
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def submit(n, objects, audience, token, raw=None, ct=STIX):
    body = raw if raw is not None else dumps(bundle(objects))
    return n.request("POST", f"/api/v1/reports?audience={audience}", raw=body, token=token,
                     content_type=ct)


def stored(n):
    """What a refused submission must leave as it was: reports, objects, keys,
    audit rows, alerts, DNSBL listings, report files and the spool."""
    db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
    out = tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("reports", "objects", "object_keys", "audit", "alerts", "dnsbl_listings"))
    db.close()
    return out + (len(os.listdir(os.path.join(n.data, "reports"))),
                  len(os.listdir(os.path.join(n.data, "spool"))))


def members(n):
    out = {}
    for name, country in (("A", "AR"), ("B", "BO"), ("C", "CL")):
        mid, tok = n.add_member(name, country)
        out[name] = (mid, tok)
    # C's networks: a forged version naming them would raise an alert for C
    r = n.request("PUT", "/api/v1/constituency", {"cidrs": ["203.0.113.0/24"]},
                  token=out["C"][1])
    eq(r.status, 200, f"C's constituency: {r}")
    return out


def refused(r, index, oid, what):
    eq(r.status, 409, f"{what}: {r}")
    err = r.json()["error"]
    eq(err["code"], "conflict", f"{what}: error code")
    eq(err["field"], f"objects[{index}].id", f"{what}: field")
    check(err["message"].startswith(f"objects[{index}] ({oid})"), f"{what}: names it: {err}")
    check("another member" in err["message"], f"{what}: says why: {err}")


def test_forged_versions_refused_on_every_path(bin_):
    n = dns_node(bin_)
    try:
        m = members(n)
        a_tok, b_tok, c_tok = m["A"][1], m["B"][1], m["C"][1]
        a_ident = identity("A")
        oid = sid("indicator")
        v1 = indicator("[ipv4-addr:value = '198.51.100.10']", tlp="clear", oid=oid, name="v1",
                       modified=now_ts(-60), ident=a_ident["id"])
        r = submit(n, [a_ident, v1], "all", a_tok)
        eq(r.status, 201, f"A's first version: {r}")
        a_report = r.json()["id"]
        other = indicator("[ipv4-addr:value = '198.51.100.20']", tlp="clear", name="o1")
        eq(submit(n, [other], "all", a_tok).status, 201, "A's second indicator")
        wait_for(lambda: lookup(n.dns, "198.51.100.10").rcode == 0, 10, "A's value listed")
        time.sleep(0.5)  # A's report fully indexed: no alert or audit row still to come
        before = stored(n)

        # B: a later version naming C's network, with A's identity as its creator
        forged = indicator("[ipv4-addr:value = '203.0.113.50']", tlp="clear", oid=oid,
                           name="forged", modified=now_ts(), ident=a_ident["id"])
        mine = indicator("[ipv4-addr:value = '203.0.113.51']", tlp="clear")
        r = submit(n, [mine, forged], "all", b_tok)
        refused(r, 1, oid, "a later version by another member")
        # B: a revocation of A's indicator
        revoke = dict(v1, modified=now_ts(), revoked=True)
        r = submit(n, [mine, revoke], "all", b_tok)
        refused(r, 1, oid, "a revocation by another member")
        # B: the same version (same modified) with other content
        r = submit(n, [dict(v1, name="altered", pattern="[ipv4-addr:value = '203.0.113.52']")],
                   "all", b_tok)
        refused(r, 0, oid, "the same version with other content")
        r = submit(n, [dict(v1, revoked=True)], "all", b_tok)
        refused(r, 0, oid, "the same version, revoked")
        # B: an older version than A's
        r = submit(n, [dict(v1, modified=v1["created"], name="older")], "all", b_tok)
        refused(r, 0, oid, "an older version")
        # the error names the first offender in bundle order
        r = submit(n, [mine, dict(other, name="x", modified=now_ts()), forged], "all", b_tok)
        refused(r, 1, other["id"], "two forged objects")
        time.sleep(1.5)  # longer than the early warning's and the DNSBL feed's polls
        eq(stored(n), before, "nothing of the refused reports is stored or disclosed")

        for name, tok in (("A", a_tok), ("C", c_tok)):
            r = n.request("GET", f"/api/v1/objects/{oid}", token=tok)
            eq(r.status, 200, f"{name}: the object is not revoked: {r}")
            eq(json.loads(r.body)["name"], "v1", f"{name}: the object route gives A's version")
            vs = n.request("GET", f"/api/v1/objects/{oid}/versions", token=tok).json()["items"]
            eq([(v["modified"], v["report"], v["revoked"]) for v in vs],
               [(v1["modified"], a_report, False)], f"{name}: versions")
            for q in ("", "?versions=all", "?include_revoked=true"):
                items = n.request("GET", f"/api/v1/objects{q}", token=tok).json()["items"]
                eq([o["name"] for o in items if o["id"] == oid], ["v1"], f"{name}: list{q}")
            exp = json.loads(n.request("GET", "/api/v1/export?versions=all", token=tok).body)
            eq([o["name"] for o in exp["objects"] if o["id"] == oid], ["v1"], f"{name}: export")
            reps = n.request("GET", "/api/v1/reports", token=tok).json()["items"]
            eq(sorted(x["originator"]["name"] for x in reps), ["A", "A"], f"{name}: reports")
            for value in ("203.0.113.50", "203.0.113.51", "203.0.113.52"):
                r = n.request("GET", f"/api/v1/lookup?value={value}", token=tok)
                eq(r.json()["matches"], [], f"{name}: lookup {value}")
            r = n.request("GET", "/api/v1/lookup?value=198.51.100.10", token=tok)
            eq([(x["object"], x["report"]) for x in r.json()["matches"]], [(oid, a_report)],
               f"{name}: lookup of A's value")
            r = n.request("GET", f"/api/v1/reports/{a_report}/related", token=tok)
            eq(r.status, 200, f"{name}: related")
            eq(r.json()["items"], [], f"{name}: no report related to A's")
        eq(n.request("GET", "/api/v1/alerts", token=c_tok).json()["items"], [],
           "no alert for C from the forged version")
        eq(lookup(n.dns, "198.51.100.10").a, ["127.0.0.9"], "A's value still listed")
        for value in ("203.0.113.50", "203.0.113.51"):
            eq(lookup(n.dns, value).rcode, 3, f"{value} not listed")

        # the creator's own new version and revocation keep working
        v2 = dict(v1, name="v2", modified=now_ts(), pattern="[ipv4-addr:value = '198.51.100.11']")
        r = submit(n, [v2], "member:%d" % m["C"][0], a_tok)
        eq(r.status, 201, f"A's new version, to C alone: {r}")
        eq(json.loads(n.request("GET", f"/api/v1/objects/{oid}", token=c_tok).body)["name"], "v2",
           "C reads A's new version")
        eq(json.loads(n.request("GET", f"/api/v1/objects/{oid}", token=b_tok).body)["name"], "v1",
           "B, outside its audience, still reads v1")
        r = submit(n, [dict(v1, modified=now_ts(1), revoked=True)], "all", a_tok)
        eq(r.status, 201, f"A's revocation: {r}")
        for name, tok in (("A", a_tok), ("B", b_tok), ("C", c_tok)):
            eq(n.request("GET", f"/api/v1/objects/{oid}", token=tok).status, 410,
               f"{name}: revoked by its creator")
        wait_for(lambda: lookup(n.dns, "198.51.100.10").rcode == 3, 10, "revoked: delisted")
    finally:
        n.cleanup()


def tlp_white():
    # STIX 2.1 section 7.2.1.4
    return {"type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
            "name": "TLP:WHITE", "definition": {"tlp": "white"}}


def test_copies_scos_and_tlp_markings_stay_shareable(bin_):
    n = dns_node(bin_)
    try:
        m = members(n)
        a_tok, b_tok, c_tok = m["A"][1], m["B"][1], m["C"][1]
        ident = identity("A", tlp="green")
        ind = indicator("[ipv4-addr:value = '198.51.100.30']", tlp="green", ident=ident["id"])
        sco = {"type": "ipv4-addr", "spec_version": "2.1",
               "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.30",
               "object_marking_refs": [TLP["green"]]}
        r = submit(n, [tlp_white(), ident, ind, sco], "all", a_tok)
        eq(r.status, 201, f"A: {r}")
        a_report = r.json()["id"]
        # B re-shares A's identity and indicator unchanged (keys in another order),
        # the same SCO id under another marking, and the TLP marking definition
        copy = json.loads(json.dumps(ind, sort_keys=True))
        r = submit(n, [tlp_white(), ident, copy, dict(sco, object_marking_refs=[TLP["amber"]]),
                       indicator("[domain-name:value = 'b.example']", tlp="amber")],
                   "member:%d" % m["C"][0], b_tok)
        eq(r.status, 201, f"B's identical copies, SCO and TLP marking: {r}")
        b_report = r.json()["id"]
        vs = n.request("GET", f"/api/v1/objects/{ind['id']}/versions", token=c_tok).json()["items"]
        eq(sorted(v["report"] for v in vs), sorted([a_report, b_report]), "both copies listed")
        eq(json.loads(n.request("GET", f"/api/v1/objects/{ind['id']}", token=c_tok).body), ind,
           "the copy is A's object")
        # B cannot copy a version it cannot read: only A and C see this one
        hidden = indicator("[ipv4-addr:value = '198.51.100.31']", tlp="amber")
        eq(submit(n, [hidden], "member:%d" % m["C"][0], a_tok).status, 201, "A to C alone")
        refused(submit(n, [hidden], "all", b_tok), 0, hidden["id"], "a copy B cannot read")
        # C can: a re-share by C is accepted
        eq(submit(n, [hidden], "member:%d" % m["A"][0], c_tok).status, 201, "C re-shares")
        # a marking definition of A's own is A's: identical copies only
        mark = {"type": "marking-definition", "spec_version": "2.1", "id": sid("marking-definition"),
                "created": TS, "definition_type": "statement",
                "definition": {"statement": "Copyright A"}}
        eq(submit(n, [mark], "all", a_tok).status, 201, "A's statement marking")
        eq(submit(n, [mark], "all", b_tok).status, 201, "an identical copy")
        r = submit(n, [dict(mark, definition={"statement": "Copyright B"})], "all", b_tok)
        refused(r, 0, mark["id"], "a redefined marking")
    finally:
        n.cleanup()


IODEF = """<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="reporting" restriction="green">
    <IncidentID name="csirt.a.example">4711</IncidentID>
    <GenerationTime>{generation_time}</GenerationTime>
    <ReportTime>{report_time}</ReportTime>
    <Description>{description}</Description>
    <EventData><Flow><System category="source"><Node>
      <Address category="ipv4-addr">{address}</Address>
    </Node></System></Flow></EventData>
  </Incident>
</IODEF-Document>
"""


def iodef(report_time, address="198.51.100.40", description="Scan"):
    return IODEF.format(generation_time=ts(-1, millis=False), report_time=report_time,
                        address=address,
                        description=description).encode()


def test_iodef_incidents_versioned_by_their_creator_only(bin_):
    n = dns_node(bin_)
    try:
        m = members(n)
        a_tok, b_tok, c_tok = m["A"][1], m["B"][1], m["C"][1]
        xml = "application/xml"
        first = iodef(ts(0, millis=False))
        r = submit(n, None, "all", a_tok, raw=first, ct=xml)
        eq(r.status, 201, f"A's incident: {r}")
        stix = json.loads(n.request("GET", f"/api/v1/reports/{r.json()['id']}/bundle?format=stix",
                                    token=a_tok).body)
        incident = next(o for o in stix["objects"] if o["type"] == "incident")
        eq(submit(n, None, "all", b_tok, raw=first, ct=xml).status, 201,
           "B forwards the same document unchanged")
        before = stored(n)
        later = iodef(ts(1, millis=False), "203.0.113.60", "Scan (updated by B)")
        r = submit(n, None, "all", b_tok, raw=later, ct=xml)
        eq(r.status, 409, f"B updates A's incident: {r}")
        check(f"({incident['id']})" in r.json()["error"]["message"], r.body)
        time.sleep(1.0)
        eq(stored(n), before, "nothing stored")
        eq(n.request("GET", "/api/v1/lookup?value=203.0.113.60", token=c_tok).json()["matches"], [],
           "no lookup match from B's update")
        eq(n.request("GET", "/api/v1/alerts", token=c_tok).json()["items"], [], "no alert for C")
        got = json.loads(n.request("GET", f"/api/v1/objects/{incident['id']}", token=c_tok).body)
        eq(got["description"], "Scan", "C reads A's incident")
        r = submit(n, None, "all", a_tok, raw=later, ct=xml)
        eq(r.status, 201, f"A updates its own incident: {r}")
        got = json.loads(n.request("GET", f"/api/v1/objects/{incident['id']}", token=c_tok).body)
        eq(got["description"], "Scan (updated by B)", "C reads A's update")
    finally:
        n.cleanup()


def test_store_of_schema_6_gains_the_members_of_its_keys(bin_):
    """Migration 7: the keys of a store made before it get the originator of
    their object's report, and the rule holds for the objects they find."""
    n = dns_node(bin_)
    try:
        m = members(n)
        a_tok, b_tok = m["A"][1], m["B"][1]
        v1 = indicator("[ipv4-addr:value = '198.51.100.50']", tlp="green", name="v1")
        eq(submit(n, [v1], "all", a_tok).status, 201, "A's indicator")
        b1 = indicator("[ipv4-addr:value = '198.51.100.51']")
        eq(submit(n, [b1], "all", b_tok).status, 201, "B's own indicator")
        eq(n.stop(), 0, "clean stop")
        db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        db.executescript("BEGIN; ALTER TABLE object_keys DROP COLUMN member;"
                         "PRAGMA user_version = 6; COMMIT;")
        db.close()
        n.start()
        check("event=store_migrate step=7" in n.read_log(), "step 7 ran")
        db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        got = sorted(db.execute("SELECT o.stix_id, k.member FROM object_keys k "
                                "JOIN objects o ON o.seq = k.seq"))
        db.close()
        eq(got, sorted([(v1["id"], m["A"][0]), (b1["id"], m["B"][0])]), "each key names its member")
        r = submit(n, [dict(v1, name="forged", modified=now_ts())], "all", b_tok)
        refused(r, 0, v1["id"], "B after the migration")
        eq(submit(n, [dict(v1, name="v2", modified=now_ts())], "all", a_tok).status, 201,
           "A's new version after the migration")
    finally:
        n.cleanup()


def test_large_report_checked_across_key_batches(bin_):
    """Intake sorts the keys of a report by batches of 262,144; a larger report
    is checked through a merge of its batches: the first offender in bundle
    order is named wherever it lies."""
    n = dns_node(bin_)
    try:
        m = members(n)
        a_tok, b_tok = m["A"][1], m["B"][1]
        count = 262144 + 1000

        def ident(i):
            return {"type": "identity", "spec_version": "2.1", "id": sid("identity"),
                    "created": TS, "modified": TS,
                    "name": "n%d" % i}
        theirs = [ident(i) for i in range(3)]
        eq(submit(n, theirs, "all", a_tok).status, 201, "A's identities")
        mine = [ident(i) for i in range(count)]
        before = stored(n)
        for at in ([count - 2], [count - 2, 7], [262143]):
            objs = list(mine)
            for k, i in enumerate(at):
                objs[i] = dict(theirs[k], name="forged", modified=now_ts())
            refused(submit(n, objs, "all", b_tok), min(at), objs[min(at)]["id"], f"forged at {at}")
        eq(stored(n), before, "nothing stored")
        eq(submit(n, mine, "all", b_tok).status, 201, "the same report without the forgeries")
    finally:
        n.cleanup()


if __name__ == "__main__":
    run([test_forged_versions_refused_on_every_path,
         test_copies_scos_and_tlp_markings_stay_shareable,
         test_iodef_incidents_versioned_by_their_creator_only,
         test_store_of_schema_6_gains_the_members_of_its_keys,
         test_large_report_checked_across_key_batches], sys.argv[1])
