"""National profiles and the progress report (issue 16): each field and each
measure has its own scope, enforced through every path (GET profile, export
as JSON and as FIRST team information, the progress report as JSON, CSV and
HTML); bad documents change nothing and name the place; FIRST team
information imports into the agencies field."""
import json
import os
import sys
import time

from harness import Node, check, eq, run
from stixgen import bundle, dumps, indicator

BIN = sys.argv[1]
STIX = "application/stix+json;version=2.1"

FIRST_TEAM = [{  # the shape of FIRST's global-irt example (examples/singleTeam.json)
    "short-team-name": "CERT-A", "official-team-name": "CERT-A National Team",
    "country-code": ["uy"], "website": ["https://cert-a.example.org/"],
    "email": "info@cert-a.example.org", "establishment": "2008-01-05",
    "phone-numbers": ["+598-2-1234-5678"], "cert-type": ["national", "government"],
    "constituency-description": "The national team.", "languages": ["spa"],
    "last-modified": "2015-06-03T14:05:27+00:00"}]


def profile_doc(group, c_id, contact):
    return {
        "format": "atalaya-profile/1",
        "fields": {
            "strategy": {"value": [{"title": "Estrategia Nacional de Ciberseguridad",
                                    "date": "2019-05-01",
                                    "link": "https://a.example.org/estrategia.pdf"}],
                         "scope": "public"},
            "legislation": {"value": [{"title": "Ley 18.331", "date": "2008-08-11"}],
                            "scope": "private"},
            "agencies": {"value": [{"name": "Agencia A", "role": "national CSIRT",
                                    "country": "UY"}], "scope": [f"group:{group}"]},
            "contacts": {"value": [contact], "scope": "public"},
            "response_times": {"value": "shared with the group", "scope": [f"group:{group}"]},
        },
        "measures": {
            "gge26c": {"status": "implemented", "since": "2018-03-01", "scope": "public"},
            "itu45g": {"status": "planned", "scope": "private"},
            "itu45b": {"status": "implemented", "since": "2008-08-11",
                       "scope": [f"member:{c_id}"]},
        }}


def test_profile_scopes_through_every_path(binary):
    n = Node(binary).start()
    try:
        a_id, a_tok = n.add_member("CERT-A", country="UY")
        b_id, b_tok = n.add_member("CERT-B", country="AR")
        c_id, c_tok = n.add_member("CERT-C", country="CL")
        r = n.request("POST", "/api/v1/groups", {"name": "G", "members": [b_id]})
        eq(r.status, 201, f"group: {r}")
        group = r.json()["id"]
        r = n.request("POST", "/api/v1/contacts", {"role": "crisis", "name": "Duty",
                                                    "email": "duty@a.example.org",
                                                    "availability": "24/7"}, token=a_tok)
        contact = r.json()["id"]
        b_contact = n.request("POST", "/api/v1/contacts", {
            "role": "crisis", "name": "B duty", "email": "duty@b.example.org",
            "availability": "24/7"}, token=b_tok).json()["id"]

        # a peer node: profiles do not travel to peers, so naming one is refused
        r = n.request("POST", "/api/v1/peers", {"name": "far", "url": "http://127.0.0.1:1",
                                                "public_key": "ed25519:" + "ab" * 32})
        eq(r.status, 201, f"a peer: {r}")
        peer = r.json()["id"]
        # bad documents change nothing and name the place
        for body, field in (
                ({"measures": {"gge26c": {"status": "implemented", "since": "2019-02-29"}}},
                 "measures.gge26c.since"),
                ({"measures": {"gge99": {"status": "implemented"}}}, "measures.gge99"),
                ({"fields": {"strategy": {"value": [{"title": "x", "file": "a.pdf"}]}}},
                 "fields.strategy.value[0]"),
                ({"fields": {"contacts": {"value": [b_contact]}}}, "fields.contacts.value"),
                ({"fields": {"agencies": {"value": [], "scope": ["group:999"]}}},
                 "fields.agencies.scope"),
                ({"fields": {"agencies": {"value": [], "scope": [f"peer:{peer}"]}}},
                 "fields.agencies.scope")):
            r = n.request("PUT", f"/api/v1/profiles/{a_id}", body, token=a_tok)
            eq(r.status, 422, f"{field}: {r}")
            eq(r.json()["error"]["field"], field, "the error names the place")
        r = n.request("PUT", f"/api/v1/profiles/{a_id}", raw=b"{not json", token=a_tok)
        eq(r.status, 400, "not JSON")
        eq(n.request("GET", f"/api/v1/profiles/{a_id}", token=a_tok).json()["fields"], {},
           "nothing stored by bad documents")
        r = n.request("PUT", f"/api/v1/profiles/{a_id}", {"fields": {}}, token=b_tok)
        eq(r.status, 403, "B cannot edit A's profile")

        # A's profile, through the CLI
        path = os.path.join(n.dir, "profile.json")
        with open(path, "w") as f:
            json.dump(profile_doc(group, c_id, contact), f)
        out = n.cli("profile", "import", path, "--member", str(a_id), token=a_tok)
        eq(out.returncode, 0, f"import: {out.stderr}")
        mine = json.loads(out.stdout)
        eq(sorted(mine["fields"]), ["agencies", "contacts", "legislation", "response_times",
                                    "strategy"], "the owner sees every field")
        eq(mine["fields"]["agencies"]["scope"], [f"group:{group}"], "the owner sees scopes")
        eq(mine["measures"]["itu45g"]["status"], "planned", "the owner sees private measures")

        expect = {  # token -> (fields, measures) visible
            b_tok: (["agencies", "contacts", "response_times", "strategy"], ["gge26c"]),
            c_tok: (["contacts", "strategy"], ["gge26c", "itu45b"]),
            n.admin_token: (["contacts", "strategy"], ["gge26c"]),
        }
        for tok, (fields, measures) in expect.items():
            who = {b_tok: "B", c_tok: "C", n.admin_token: "admin"}[tok]
            p = n.request("GET", f"/api/v1/profiles/{a_id}", token=tok).json()
            eq(sorted(p["fields"]), fields, f"{who}: fields of GET profile")
            eq(sorted(p["measures"]), measures, f"{who}: measures of GET profile")
            check(all("scope" not in f for f in p["fields"].values()),
                  f"{who} does not see the scopes")
            e = json.loads(n.cli("profile", "export", str(a_id), token=tok).stdout)
            eq(sorted(e["fields"]), fields, f"{who}: fields of the JSON export")
            eq(sorted(e["measures"]), measures, f"{who}: measures of the JSON export")
            fr = n.request("GET", f"/api/v1/profiles/{a_id}/export?format=first",
                           token=tok).json()
            eq([t["official-team-name"] for t in fr],
               ["Agencia A"] if "agencies" in fields else [], f"{who}: FIRST export")
            prog = n.request("GET", "/api/v1/progress", token=tok).json()
            row = next(s for s in prog["states"] if s["member"] == a_id)
            eq(sorted(row["measures"]), measures, f"{who}: measures in the progress report")
            eq(row["alerts"] is not None, "response_times" in fields,
               f"{who}: alert figures follow the scope of response_times")
            eq(row["requests"] is not None, "response_times" in fields,
               f"{who}: request figures follow the scope of response_times")
            csv = n.cli("progress", "--format", "csv", token=tok).stdout
            line = next(l for l in csv.splitlines() if l.startswith(f"{a_id},"))
            eq("implemented since 2008-08-11" in line, "itu45b" in measures,
               f"{who}: CSV shows itu45b only when visible")
            check("planned" not in line, f"{who}: CSV hides the private measure")
            html = n.cli("progress", "--format", "html", token=tok).stdout
            check(html.startswith("<!DOCTYPE html>"), "HTML page")
            check("Estrategia" not in html, "the report carries no field values")
            eq(("since 2008-08-11" in html), "itu45b" in measures, f"{who}: HTML scope")
            for ext in ("<script", "<link", "src=", "href=", "url("):
                check(ext not in html, f"HTML is self-contained ({ext})")

        # the owner's export imports back unchanged
        e = n.request("GET", f"/api/v1/profiles/{a_id}/export", token=a_tok).json()
        r = n.request("PUT", f"/api/v1/profiles/{a_id}", e, token=a_tok)
        eq(r.status, 200, f"re-import: {r}")
        eq(r.json()["measures"]["itu45b"]["scope"], [f"member:{c_id}"], "scope kept")

        # FIRST team information into the agencies field (public), and back out
        r = n.request("PUT", f"/api/v1/profiles/{a_id}?format=first&scope=public",
                      FIRST_TEAM, token=a_tok)
        eq(r.status, 200, f"FIRST import: {r}")
        ag = r.json()["fields"]["agencies"]
        eq(ag["scope"], "public", "FIRST teams under the scope asked for")
        eq(ag["value"][0]["name"], "CERT-A National Team", "official-team-name")
        eq(ag["value"][0]["country"], "UY", "country-code")
        eq(ag["value"][0]["role"], "CSIRT (national, government)", "cert-type")
        fr = n.request("GET", f"/api/v1/profiles/{a_id}/export?format=first", token=c_tok)
        t = fr.json()[0]
        eq((t["official-team-name"], t["website"], t["establishment"]),
           ("CERT-A National Team", ["https://cert-a.example.org/"], "2008-01-05"),
           "FIRST export for C now that the agencies are public")
        r = n.request("PUT", f"/api/v1/profiles/{a_id}?format=first",
                      [{"short-team-name": "X", "email": "not an address"}], token=a_tok)
        eq(r.status, 422, "bad FIRST team")
        eq(r.json()["error"]["field"], "[0]", "names the team")

        # a communication check whose results go to group G: B sees A's answer rate
        r = n.request("POST", "/api/v1/checks", {"contacts": f"member:{a_id}",
                                                  "roles": ["crisis"], "window": "0s",
                                                  "reply_within": "1s",
                                                  "audience": [f"group:{group}"]})
        eq(r.status, 201, f"check: {r}")
        time.sleep(2.5)
        for tok, seen in ((b_tok, True), (c_tok, False), (a_tok, True)):
            row = next(s for s in n.request("GET", "/api/v1/progress", token=tok).json()["states"]
                       if s["member"] == a_id)
            eq(row["checks"] is not None, seen, "check figures follow the check's audience")
            if seen:
                eq((row["checks"]["targets"], row["checks"]["answered"]), (1, 0),
                   "A did not answer")

        # an alert A acknowledges: its time shows to A and to G (response_times)
        r = n.request("PUT", "/api/v1/constituency", {"cidrs": ["198.51.100.0/24"]},
                      token=a_tok)
        eq(r.status, 200, f"constituency: {r}")
        r = n.request("POST", "/api/v1/reports?audience=all",
                      raw=dumps(bundle([indicator("[ipv4-addr:value = '198.51.100.7']")])),
                      token=c_tok, content_type=STIX)
        eq(r.status, 201, f"report: {r}")
        deadline = time.time() + 5
        al = []
        while time.time() < deadline and not al:
            al = n.request("GET", "/api/v1/alerts", token=a_tok).json()["items"]
            time.sleep(0.05)
        eq(len(al), 1, "A's alert")
        time.sleep(1.0)
        eq(n.request("POST", f"/api/v1/alerts/{al[0]['id']}/ack", token=a_tok).status, 200,
           "ack")
        for tok in (a_tok, b_tok):
            row = next(s for s in n.request("GET", "/api/v1/progress?since=2020-01-01",
                                            token=tok).json()["states"]
                       if s["member"] == a_id)
            eq(row["alerts"]["acknowledged"], 1, "one acknowledged alert")
            med = row["alerts"]["median_ack_seconds"]
            check(1.0 <= med <= 3.0, f"median time to acknowledge: {med}")
        # a request for assistance A acknowledges (an exercise one does not count)
        rids = []
        for exercise in (False, True):
            r = n.request("POST", "/api/v1/requests", {
                "kind": "assistance", "title": "help", "deadline": "48h", "tlp": "amber",
                "audience": [f"member:{a_id}"], "exercise": exercise}, token=b_tok)
            eq(r.status, 201, f"request: {r}")
            rids.append(r.json()["id"])
        time.sleep(1.0)
        for rid in rids:
            eq(n.request("POST", f"/api/v1/requests/{rid}/ack", token=a_tok).status, 200,
               "request ack")
        for tok in (a_tok, b_tok):
            row = next(s for s in n.request("GET", "/api/v1/progress?since=2020-01-01",
                                            token=tok).json()["states"]
                       if s["member"] == a_id)
            eq(row["requests"]["acknowledged"], 1, "one acknowledged request (no exercise)")
            med = row["requests"]["median_ack_seconds"]
            check(1.0 <= med <= 3.0, f"median time to acknowledge a request: {med}")
        csv = n.cli("progress", "--format", "csv", token=a_tok).stdout
        check("request_ack_median_s" in csv.splitlines()[0], "the CSV has the column")
        row = next(s for s in n.request("GET", "/api/v1/progress?since=2999-01-01",
                                        token=a_tok).json()["states"] if s["member"] == a_id)
        eq((row["alerts"]["acknowledged"], row["requests"]["acknowledged"], row["checks"]),
           (0, 0, None), "since excludes")
        r = n.request("GET", "/api/v1/progress?since=yesterday", token=a_tok)
        eq((r.status, r.json()["error"]["field"]), (422, "since"), "bad since")
    except Exception:
        print(n.read_log()[-3000:])
        raise
    finally:
        n.cleanup()


if __name__ == "__main__":
    run([test_profile_scopes_through_every_path], BIN)
