"""TAXII 2.1 (issue 18): the black-box cases of the OASIS reference server's
suite (medallion test_backends.py) over its default_data.json fixture, run
against the real daemon; paging that loses nothing across a restart; scope on
every TAXII endpoint; the client against a second node and against a stub
serving the specification's examples.

The fixture (taxii21/default_data.json, BSD-3, licence beside it) is loaded by
POSTing the STIX 2.1 objects of its collection 91a7b528 into our "all"
collection, one envelope per object in the order of their date_added. Our
date_added are the node's own (when they were posted), so the reference's
literal timestamps become ours: added[i] is the date_added of the i-th object
posted, and each case below asks what the reference asked at the matching
point. Ported, reference case -> our test:
  test_server_discovery, test_get_api_root_information(_not_existent),
    test_get_collections_404, test_get_collection_404 -> test_server_discovery
  test_get_objects -> test_get_objects; test_get_object, test_get_object_404
    -> test_get_object; test_get_object_manifests -> test_get_object_manifests
  test_get_version, test_get_version_added_after, test_get_version_limit,
    test_get_version_spec_version_* -> test_get_version
  test_get_objects_added_after, test_get_objects_limit,
    test_object_pagination_bad_limit_value_400,
    test_object_pagination_changing_params_400 -> test_get_objects_added_after_and_limit
  test_get_objects_id, test_get_objects_type, test_objects_version_match_*,
    test_get_objects_spec_version_*, test_get_objects_match_type_version,
    test_get_objects_match_type_spec_version -> test_get_objects_match
  test_get_object_added_after_case1/2, test_get_object_limit,
    test_get_object_version_single, test_get_object_version_match_all,
    test_get_object_spec_version_* -> test_get_object_filters
  test_get_manifest_added_after, test_get_manifest_limit, test_get_manifest_id,
    test_get_manifest_type, test_get_manifest_version_*,
    test_manifest_spec_version_* -> test_get_manifest_filters
  test_add_and_delete_object (add, status, manifest; DELETE refused),
    test_object_already_present -> test_add_object_and_status
  test_get_collection_not_existent, test_get_collections_401,
    test_get_status_401/404, test_get_object_manifest_401/404,
    test_get_object_401, test_get_or_add_objects_401/404/422 -> test_errors
Cases of test_backends.py that do not apply, and why:
  test_get_api_root_information (the title is the fixture's "Malware Research
    Group"): our API root's title names the node; checked as "title" present.
  test_get_collections (5 collections of the fixture): our collections are the
    caller's scopes (all, its groups, its member); checked in test_scope.
  test_get_status (a status from the fixture): statuses exist only for our POSTs;
    checked after a POST.
  test_add_and_delete_object, test_delete_objects_version,
  test_delete_objects_spec_version: DELETE is refused (403): objects belong to
    reports already shared and audited; they are revoked by a new version.
    The add half of test_add_and_delete_object is ported.
  *_spec_version_20, *_spec_version_2021 (the fixture's STIX 2.0 malware): the
    node stores STIX 2.1 only; its intake refuses 2.0 objects, so
    match[spec_version]=2.0 returns nothing and 2.0,2.1 what 2.1 returns.
  test_get_object_manifest_403, test_get_object_403, get_or_add_objects_403
    (collections with can_read false): every collection a member is shown is
    readable; a collection not its own is 404 (checked in test_scope).
  test_SCO_versioning (SCOs posted twice with the same id): SCO ids are
    deterministic in STIX 2.1 and intake records each posting; not a TAXII case.
  test_no_config, test_default_taxii_no_taxii_section,
  test_default_userpass_no_auth_section, test_default_backend_no_backend_section,
  test_save_to_file, test_status_cleanup: configuration and storage of
    medallion itself (its config file, its memory backend), nothing of the
    protocol.
  test_object_already_present: re-posting a version is accepted (intake keeps
    both rows); the status still says success.
"""
import atexit
import base64
import json
import os
import sqlite3
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Node, check, eq, run

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "taxii21", "default_data.json")
TAXII = "application/taxii+json;version=2.1"
H = {"Accept": TAXII}
ROOT = "/taxii2/api/"
ALL = ROOT + "collections/all/"
OBJS = ALL + "objects/"
MAN = ALL + "manifest/"

REL = "relationship--2f9a9aa9-108a-4333-83e2-4fb25add0463"
IND1 = "indicator--cd981c25-8042-4166-8945-51178443bdac"
IND = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"
MARK = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
MAL = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"


def get(n, path, token="admin", headers=H):
    return n.request("GET", path, token=token, headers=headers)


def post(n, path, env, token="admin", ct=TAXII):
    return n.request("POST", path, raw=json.dumps(env).encode(), token=token, headers=H,
                     content_type=ct)


def taxii_ok(r, what, status=200):
    eq(r.status, status, f"{what}: {r}")
    eq(r.headers.get("Content-Type"), TAXII, f"{what}: media type")
    return r.json()


# --- the fixture, loaded once into one node ---

class Fixture:
    node = None
    added = {}  # (id, modified) -> our date_added
    order = []  # (id, modified) in date_added order


def fixture(bin_):
    if Fixture.node:
        return Fixture.node
    data = json.load(open(FIXTURE))
    coll = next(c for c in data["trustgroup1"]["collections"]
                if c["id"] == "91a7b528-80eb-42ed-a74d-c6fbd5a26116")
    key = lambda o: (o["id"], o.get("modified", o.get("created")))
    by_version = {key(o): o for o in coll["objects"] if o.get("spec_version") == "2.1"}
    n = Node(bin_).start()
    atexit.register(n.cleanup)
    for m in sorted(coll["manifest"], key=lambda m: m["date_added"]):
        o = by_version.get((m["id"], m["version"]))
        if not o:
            continue  # the STIX 2.0 malware: not stored by this node (see the docstring)
        st = taxii_ok(post(n, OBJS, {"objects": [o]}), f"post {m['id']}", 202)
        eq(st["success_count"], 1, f"{m['id']}: {st}")
    man = taxii_ok(get(n, MAN + "?match[version]=all"), "manifest")["objects"]
    Fixture.order = [(m["id"], m["version"]) for m in man]
    Fixture.added = {(m["id"], m["version"]): m["date_added"] for m in man}
    eq(len(man), 7, "the fixture's seven STIX 2.1 objects are in")
    Fixture.node = n
    return n


def added(oid, version):
    return Fixture.added[(oid, version)]


def ids(env):
    return [o["id"] for o in env.get("objects", [])]


def hdr(r):
    return r.headers.get("X-TAXII-Date-Added-First"), r.headers.get("X-TAXII-Date-Added-Last")


def test_server_discovery(bin_):
    n = fixture(bin_)
    d = taxii_ok(get(n, "/taxii2/"), "discovery")
    eq(d["api_roots"][0], n.url + ROOT, "the API root's URL")
    eq(d["default"], n.url + ROOT, "default")
    a = taxii_ok(get(n, ROOT), "API root")
    check(a["title"] and TAXII in a["versions"], f"api root: {a}")
    eq(get(n, "/trustgroup2/").status, 404, "an API root that does not exist")
    eq(get(n, "/taxii2/carbon1/collections/").status, 404, "collections of no API root")


def test_get_objects(bin_):
    n = fixture(bin_)
    r = get(n, OBJS)
    env = taxii_ok(r, "objects")
    eq(env["more"], False, "more")
    # the latest version of each id, in date_added order (the reference's order)
    eq(ids(env), [REL, IND1, MARK, MAL, IND], "objects in date_added order")
    eq(hdr(r), (added(REL, "2014-05-08T09:00:00.000Z"), added(IND, "2017-01-27T13:49:53.935Z")),
       "X-TAXII-Date-Added-First/Last")


def test_get_object(bin_):
    n = fixture(bin_)
    r = get(n, OBJS + MAL + "/")
    env = taxii_ok(r, "object")
    eq(ids(env), [MAL], "the object")
    a = added(MAL, "2017-01-27T13:49:53.997Z")
    eq(hdr(r), (a, a), "headers")
    r = get(n, OBJS + "malware--cee60c30-a68c-11e3-b0c1-a01aac20d000/")
    eq(r.status, 404, "test_get_object_404")
    eq(r.headers.get("Content-Type"), TAXII, "a TAXII error")
    check(r.json()["http_status"] == "404" and r.json()["title"], f"error resource: {r.body}")


def test_add_object_and_status(bin_):
    n = fixture(bin_)
    obj = {"type": "course-of-action", "spec_version": "2.1", "id": f"course-of-action--{uuid.uuid4()}",
           "created": "2017-01-27T13:49:53.935Z", "modified": "2017-01-27T13:49:53.935Z",
           "name": "Block 198.51.100.7", "description": "drop it at the border"}
    r = post(n, OBJS, {"objects": [obj]})
    st = taxii_ok(r, "post", 202)
    eq((st["status"], st["total_count"], st["success_count"], st["failure_count"],
        st["pending_count"]), ("complete", 1, 1, 0, 0), "status")
    eq(st["successes"][0]["id"], obj["id"], "the object's outcome")
    env = taxii_ok(get(n, OBJS), "objects")
    check(obj["id"] in ids(env), "the object is listed")
    env = taxii_ok(get(n, OBJS + "?match[id]=" + obj["id"]), "match[id]")
    eq(ids(env), [obj["id"]], "filtered by id")
    st2 = taxii_ok(get(n, ROOT + f"status/{st['id']}/"), "status")
    eq(st2["success_count"], 1, "the stored status")
    for k in ("successes", "failures", "pendings"):
        check(k in st2, f"status has {k}")
    man = taxii_ok(get(n, MAN + "?match[id]=" + obj["id"]), "manifest")
    eq([m["id"] for m in man["objects"]], [obj["id"]], "manifest by id")
    # DELETE is refused, the object stays
    r = n.request("DELETE", OBJS + obj["id"] + "/", headers=H)
    eq(r.status, 403, f"DELETE: {r}")
    eq(get(n, OBJS + obj["id"] + "/").status, 200, "the object stays")
    # the same version again: accepted (test_object_already_present)
    st = taxii_ok(post(n, OBJS, {"objects": [obj]}), "post again", 202)
    eq(st["success_count"], 1, "re-posting succeeds")


def test_get_object_manifests(bin_):
    n = fixture(bin_)
    r = get(n, MAN)
    man = taxii_ok(r, "manifest")["objects"]
    eq(len(man), 5, "one entry per id (latest version)")
    d = [m["date_added"] for m in man]
    check(d == sorted(d) and len(set(d)) == len(d), "ordered by date_added, unique")
    eq(hdr(r), (d[0], d[-1]), "headers")
    for m in man:
        eq(m["media_type"], "application/stix+json;version=2.1", "media_type")


def test_get_version(bin_):
    n = fixture(bin_)
    r = get(n, OBJS + REL + "/versions/")
    v = taxii_ok(r, "versions")
    eq(v["versions"], ["2014-05-08T09:00:00.000Z"], "one version")
    a = added(REL, "2014-05-08T09:00:00.000Z")
    eq(hdr(r), (a, a), "headers")
    # test_get_version_added_after
    eq(taxii_ok(get(n, OBJS + REL + "/versions/?added_after=" + a), "after"), {}, "nothing after")
    v = taxii_ok(get(n, OBJS + REL + "/versions/?added_after=2014-05-08T08:00:00Z"), "before")
    eq((v["more"], len(v["versions"])), (False, 1), "one")
    # test_get_version_limit
    r = get(n, OBJS + IND + "/versions/?limit=1")
    v = taxii_ok(r, "limit=1")
    eq((v["more"], v["versions"]), (True, ["2016-11-03T12:30:59.000Z"]), "first of three")
    r = get(n, OBJS + IND + "/versions/?limit=1&next=" + v["next"])
    v = taxii_ok(r, "next")
    eq((v["more"], v["versions"]), (True, ["2016-12-25T12:30:59.444Z"]), "second")
    v = taxii_ok(get(n, OBJS + IND + "/versions/?limit=1&next=" + v["next"]), "next")
    eq((v["more"], v["versions"]), (False, ["2017-01-27T13:49:53.935Z"]), "third, last")
    # test_get_version_spec_version_*
    eq(taxii_ok(get(n, OBJS + IND + "/versions/?match[spec_version]=2.1"), "2.1")["versions"],
       ["2016-11-03T12:30:59.000Z", "2016-12-25T12:30:59.444Z", "2017-01-27T13:49:53.935Z"], "2.1")
    eq(taxii_ok(get(n, OBJS + IND + "/versions/?match[spec_version]=2.0"), "2.0"), {}, "2.0")


def test_get_objects_added_after_and_limit(bin_):
    n = fixture(bin_)
    # the reference's 2016-11-03T12:30:59Z falls between IND1 and the first IND
    env = taxii_ok(get(n, OBJS + "?added_after=" + added(IND1, "2014-05-08T09:00:00.000Z")), "after")
    eq((env["more"], ids(env)), (False, [MARK, MAL, IND]), "three after")
    r = get(n, OBJS + "?limit=3")
    env = taxii_ok(r, "limit=3")
    eq((env["more"], ids(env)), (True, [REL, IND1, MARK]), "first page")
    eq(hdr(r), (added(REL, "2014-05-08T09:00:00.000Z"), added(MARK, "2017-01-20T00:00:00.000Z")),
       "first page headers")
    r = get(n, OBJS + "?limit=3&next=" + env["next"])
    env = taxii_ok(r, "next")
    eq((env["more"], ids(env)), (False, [MAL, IND]), "second page")
    eq(hdr(r), (added(MAL, "2017-01-27T13:49:53.997Z"), added(IND, "2017-01-27T13:49:53.935Z")),
       "second page headers")
    # test_object_pagination_bad_limit_value_400
    r = get(n, OBJS + "?limit=-20")
    eq(r.status, 400, "limit=-20")
    eq(r.json()["http_status"], "400", "a TAXII error")
    # test_object_pagination_changing_params_400
    env = taxii_ok(get(n, OBJS + "?match[version]=all&limit=2"), "all")
    check(env["more"] and len(env["objects"]) == 2, "two of seven")
    env = taxii_ok(get(n, OBJS + "?match[version]=all&limit=2&next=" + env["next"]), "page 2")
    check(env["more"] and len(env["objects"]) == 2, "two more")
    r = get(n, OBJS + "?match[version]=first&limit=2&next=" + env["next"])
    eq(r.status, 400, f"next with other parameters: {r}")


def test_get_objects_match(bin_):
    n = fixture(bin_)
    env = taxii_ok(get(n, OBJS + "?match[id]=" + MAL), "id")
    eq((env["more"], ids(env)), (False, [MAL]), "match[id]")
    env = taxii_ok(get(n, OBJS + "?match[type]=indicator"), "type")
    eq((env["more"], ids(env)), (False, [IND1, IND]), "match[type]")
    env = taxii_ok(get(n, OBJS + "?match[version]=2016-12-25T12:30:59.444Z"), "date")
    eq([(o["id"], o["modified"]) for o in env["objects"]], [(IND, "2016-12-25T12:30:59.444Z")],
       "a specific version")
    env = taxii_ok(get(n, OBJS + "?match[version]=first"), "first")
    mods = {o["id"]: o.get("modified") for o in env["objects"]}
    eq((mods[IND], mods[MAL]), ("2016-11-03T12:30:59.000Z", "2017-01-27T13:49:53.997Z"), "first")
    env = taxii_ok(get(n, OBJS + "?match[version]=last"), "last")
    eq({o["id"]: o.get("modified") for o in env["objects"]}[IND], "2017-01-27T13:49:53.935Z", "last")
    eq(len(taxii_ok(get(n, OBJS + "?match[version]=all"), "all")["objects"]), 7, "all versions")
    # spec_version: 2.1 only here
    eq(taxii_ok(get(n, OBJS + "?match[spec_version]=2.0"), "2.0"), {}, "no 2.0 objects")
    for q in ("?match[spec_version]=2.0,2.1", "?match[spec_version]=2.1", ""):
        env = taxii_ok(get(n, OBJS + q), q)
        eq(len(env["objects"]), 5, q)
        check(all(o["spec_version"] == "2.1" for o in env["objects"]), q)
    # test_get_objects_match_type_version / _spec_version
    env = taxii_ok(get(n, OBJS + "?match[type]=indicator&match[version]=all"), "type+version")
    eq(len(env["objects"]), 4, "all versions of the indicators")
    env = taxii_ok(get(n, OBJS + "?match[type]=malware&match[spec_version]=2.1"), "type+spec")
    eq(ids(env), [MAL], "malware, 2.1")
    eq(get(n, OBJS + "?match[version]=yesterday").status, 400, "a bad match[version]")
    eq(get(n, OBJS + "?added_after=yesterday").status, 400, "a bad added_after")


def test_get_object_filters(bin_):
    n = fixture(bin_)
    # test_get_object_added_after_case1/2
    eq(taxii_ok(get(n, OBJS + MAL + "/?added_after=" + added(MAL, "2017-01-27T13:49:53.997Z")),
                "after"), {}, "nothing after the object")
    env = taxii_ok(get(n, OBJS + MAL + "/?added_after=" + added(MARK, "2017-01-20T00:00:00.000Z")),
                   "before")
    eq((env["more"], ids(env)), (False, [MAL]), "the object")
    # test_get_object_limit
    r = get(n, OBJS + IND + "/?limit=1")
    env = taxii_ok(r, "limit=1")
    a3 = added(IND, "2017-01-27T13:49:53.935Z")
    eq((env["more"], len(env["objects"]), hdr(r)), (False, 1, (a3, a3)), "the latest, alone")
    r = get(n, OBJS + IND + "/?match[version]=all&limit=2")
    env = taxii_ok(r, "all, limit=2")
    eq((env["more"], [o["modified"] for o in env["objects"]]),
       (True, ["2016-11-03T12:30:59.000Z", "2016-12-25T12:30:59.444Z"]), "two oldest")
    eq(hdr(r), (added(IND, "2016-11-03T12:30:59.000Z"), added(IND, "2016-12-25T12:30:59.444Z")),
       "headers")
    r = get(n, OBJS + IND + "/?match[version]=all&limit=2&next=" + env["next"])
    env = taxii_ok(r, "next")
    eq((env["more"], len(env["objects"]), hdr(r)), (False, 1, (a3, a3)), "the third")
    # test_get_object_version_single, _match_all
    for q, mod in (("2016-12-25T12:30:59.444Z", "2016-12-25T12:30:59.444Z"),
                   ("first", "2016-11-03T12:30:59.000Z"), ("last", "2017-01-27T13:49:53.935Z")):
        env = taxii_ok(get(n, OBJS + IND + "/?match[version]=" + q), q)
        eq([(o["id"], o["modified"]) for o in env["objects"]], [(IND, mod)], q)
    eq(len(taxii_ok(get(n, OBJS + IND + "/?match[version]=all"), "all")["objects"]), 3, "all")
    # test_get_object_spec_version_*
    for q in ("?match[spec_version]=2.1", "", "?match[spec_version]=2.0,2.1"):
        env = taxii_ok(get(n, OBJS + MAL + "/" + q), q)
        eq([o["spec_version"] for o in env["objects"]], ["2.1"], q)
    eq(taxii_ok(get(n, OBJS + MAL + "/?match[spec_version]=2.0"), "2.0"), {}, "2.0")


def test_get_manifest_filters(bin_):
    n = fixture(bin_)
    # test_get_manifest_added_after (the reference's 2017-01-20: MARK's date_added)
    man = taxii_ok(get(n, MAN + "?added_after=" + added(MARK, "2017-01-20T00:00:00.000Z")), "after")
    eq([m["id"] for m in man["objects"]], [MAL, IND], "after the marking")
    # test_get_manifest_limit
    r = get(n, MAN + "?limit=2")
    man = taxii_ok(r, "limit")
    eq(([m["id"] for m in man["objects"]], man["more"]), ([REL, IND1], True), "page 1")
    man = taxii_ok(get(n, MAN + "?limit=2&next=" + man["next"]), "page 2")
    eq(([m["id"] for m in man["objects"]], man["more"]), ([MARK, MAL], True), "page 2")
    man = taxii_ok(get(n, MAN + "?limit=2&next=" + man["next"]), "page 3")
    eq(([m["id"] for m in man["objects"]], man["more"]), ([IND], False), "page 3")
    # test_get_manifest_id / _type
    man = taxii_ok(get(n, MAN + "?match[id]=" + IND), "id")
    eq([(m["id"], m["version"]) for m in man["objects"]], [(IND, "2017-01-27T13:49:53.935Z")], "id")
    man = taxii_ok(get(n, MAN + "?match[type]=indicator"), "type")
    eq([m["id"] for m in man["objects"]], [IND1, IND], "type")
    # test_get_manifest_version_*
    man = taxii_ok(get(n, MAN + "?match[id]=" + IND + "&match[version]=2016-12-25T12:30:59.444Z"), "v")
    eq([m["version"] for m in man["objects"]], ["2016-12-25T12:30:59.444Z"], "specific")
    man = taxii_ok(get(n, MAN + "?match[id]=" + IND + "&match[version]=first"), "first")
    eq([m["version"] for m in man["objects"]], ["2016-11-03T12:30:59.000Z"], "first")
    man = taxii_ok(get(n, MAN + "?match[id]=" + IND + "&match[version]=last"), "last")
    eq([m["version"] for m in man["objects"]], ["2017-01-27T13:49:53.935Z"], "last")
    man = taxii_ok(get(n, MAN + "?match[version]=all"), "all")
    eq(len(man["objects"]), 7, "all")
    # test_manifest_spec_version_*
    eq(taxii_ok(get(n, MAN + "?match[spec_version]=2.0"), "2.0"), {}, "2.0")
    for q in ("?match[spec_version]=2.1", "?match[spec_version]=2.0,2.1", ""):
        eq(len(taxii_ok(get(n, MAN + q), q)["objects"]), 5, q)


def test_errors(bin_):
    n = fixture(bin_)
    env = {"objects": [{"type": "indicator"}]}
    # 401 on every endpoint without credentials
    for p in (ROOT + "collections/", ROOT + "status/2223/", ROOT + "collections/24042009/manifest/",
              OBJS + "malware--fdd60b30-b67c-11e3-b0b9-f01faf20d111/", OBJS):
        eq(get(n, p, token=None).status, 401, p)
    eq(post(n, OBJS, env, token=None).status, 401, "POST without credentials")
    # 404: collections, statuses that do not exist
    eq(get(n, ROOT + "collections/12345678-1234-1234-1234-123456789012/").status, 404, "collection")
    eq(get(n, ROOT + "collections/24042009/manifest/").status, 404, "manifest of no collection")
    eq(get(n, ROOT + "status/22101993/").status, 404, "status")
    eq(get(n, ROOT + "collections/nope/objects/").status, 404, "objects of no collection")
    eq(post(n, ROOT + "collections/nope/objects/", env).status, 404, "POST to no collection")
    # 422: an object instead of an envelope
    r = post(n, OBJS, {"type": "indicator", "id": "indicator--" + str(uuid.uuid4())})
    eq(r.status, 422, f"not an envelope: {r}")
    eq(r.json()["http_status"], "422", "TAXII error")
    # 406 / 415
    eq(get(n, OBJS, headers={"Accept": "application/json"}).status, 406, "Accept json")
    eq(get(n, OBJS, headers={"Accept": "application/taxii+json;version=2.0"}).status, 406, "2.0")
    eq(get(n, OBJS, headers={"Accept": "application/taxii+json"}).status, 200, "no version")
    eq(post(n, OBJS, env, ct="application/json").status, 415, "Content-Type json")
    # a bad object: 202, the status says it failed, nothing is stored
    before = len(taxii_ok(get(n, OBJS + "?match[version]=all"), "all")["objects"])
    st = taxii_ok(post(n, OBJS, env), "bad object", 202)
    eq((st["success_count"], st["failure_count"]), (0, 1), f"failure: {st}")
    check(st["failures"][0]["message"], "the failure says why")
    eq(len(taxii_ok(get(n, OBJS + "?match[version]=all"), "all")["objects"]), before,
       "nothing stored")
    # Basic with the token as password
    basic = "Basic " + base64.b64encode(b"anyone:" + n.admin_token.encode()).decode()
    eq(n.request("GET", OBJS, token=None, headers={"Accept": TAXII, "Authorization": basic}).status,
       200, "Basic")
    basic = "Basic " + base64.b64encode(b"anyone:atl_0000000000000000_nope").decode()
    eq(n.request("GET", OBJS, token=None, headers={"Accept": TAXII, "Authorization": basic}).status,
       401, "Basic with a wrong password")


# --- paging that loses nothing ---

def indicator(i):
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",
            "name": f"ind {i}", "pattern": f"[ipv4-addr:value = '10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}']",
            "pattern_type": "stix", "valid_from": "2026-11-01T10:00:00.000Z"}


def test_paging_1000_across_restart(bin_):
    n = Node(bin_).start()
    try:
        objs = [indicator(i) for i in range(1000)]
        st = taxii_ok(post(n, OBJS, {"objects": objs}), "1000 objects", 202)
        eq(st["success_count"], 1000, "all stored")
        want = {o["id"] for o in objs}
        # by added_after, taken from X-TAXII-Date-Added-Last, restarting midway
        seen, after, pages = [], None, 0
        while True:
            r = get(n, OBJS + "?limit=64" + (f"&added_after={after}" if after else ""))
            env = taxii_ok(r, "page")
            if not env.get("objects"):
                break
            seen += ids(env)
            after = hdr(r)[1]
            pages += 1
            if pages == 5:
                n.restart()
        eq(len(seen), 1000, "1000 objects by added_after")
        eq(set(seen), want, "exactly the objects posted, each once")
        # by next, with a restart between two pages: the token survives it
        seen, nxt = [], None
        while True:
            env = taxii_ok(get(n, MAN + "?limit=100" + (f"&next={nxt}" if nxt else "")), "page")
            seen += [m["id"] for m in env.get("objects", [])]
            dates = [m["date_added"] for m in env.get("objects", [])]
            check(dates == sorted(set(dates)), "date_added strictly increasing in a page")
            if not env.get("more"):
                break
            nxt = env["next"]
            if len(seen) == 500:
                n.restart()
        eq(len(seen), 1000, "1000 by next")
        eq(set(seen), want, "each once")
        # a next altered by one character, or from another member: refused
        env = taxii_ok(get(n, OBJS + "?limit=10"), "first page")
        bad = env["next"][:-1] + ("A" if env["next"][-1] != "A" else "B")
        eq(get(n, OBJS + "?limit=10&next=" + bad).status, 400, "a forged next")
        _, tok = n.add_member("CSIRT Chile", country="CL")
        r = get(n, OBJS + "?limit=10&next=" + env["next"], token=tok)
        eq(r.status, 403, f"another member's next: {r}")
    finally:
        n.cleanup()


# --- scope ---

def test_scope(bin_):
    n = Node(bin_).start()
    try:
        a_id, a_tok = n.add_member("CSIRT Chile", country="CL")
        b_id, b_tok = n.add_member("CERT.br", country="BR")
        c_id, c_tok = n.add_member("CERT-MX", country="MX", role="reader")
        g = n.request("POST", "/api/v1/groups", {"name": "LAC", "members": [a_id, b_id]}).json()["id"]
        # collections: all, the caller's groups, its member
        cols = [c["id"] for c in taxii_ok(get(n, ROOT + "collections/", token=a_tok), "cols")["collections"]]
        eq(cols, ["all", f"group-{g}", f"member-{a_id}"], "Chile's collections")
        cols = taxii_ok(get(n, ROOT + "collections/", token=c_tok), "cols")["collections"]
        eq([c["id"] for c in cols], ["all", f"member-{c_id}"], "Mexico's collections")
        check(not cols[0]["can_write"], "a reader cannot write")
        eq(post(n, ROOT + "collections/all/objects/", {"objects": [indicator(1)]}, token=c_tok).status,
           403, "a reader's POST")
        # Chile posts into the group and into its own member collection
        grp = ROOT + f"collections/group-{g}/"
        mine = ROOT + f"collections/member-{a_id}/"
        go, mo = indicator(2), indicator(3)
        sg = taxii_ok(post(n, grp + "objects/", {"objects": [go]}, token=a_tok), "group", 202)
        taxii_ok(post(n, mine + "objects/", {"objects": [mo]}, token=a_tok), "mine", 202)
        # the report got the collection's scope
        rep = n.request("GET", "/api/v1/reports", token=a_tok).json()["items"]
        eq(sorted(json.dumps(x["audience"]) for x in rep), sorted(['[]', f'["group:{g}"]']), "scopes")
        # inside: Brazil (in the group) sees the group's object, not Chile's own
        eq(ids(taxii_ok(get(n, grp + "objects/", token=b_tok), "b")), [go["id"]], "Brazil sees it")
        eq(get(n, mine + "objects/", token=b_tok).status, 404, "not Chile's member collection")
        # outside: Mexico sees nothing of either, through every endpoint
        for path in (grp, grp + "objects/", grp + "manifest/", grp + f"objects/{go['id']}/",
                     grp + f"objects/{go['id']}/versions/", mine + "objects/"):
            eq(get(n, path, token=c_tok).status, 404, f"Mexico: {path}")
        for path in (ROOT + "collections/all/objects/", ROOT + "collections/all/manifest/"):
            env = taxii_ok(get(n, path, token=c_tok), path)
            check(go["id"] not in json.dumps(env) and mo["id"] not in json.dumps(env), path)
        for oid in (go["id"], mo["id"]):
            for path in (f"objects/{oid}/", f"objects/{oid}/versions/"):
                eq(get(n, ROOT + "collections/all/" + path, token=c_tok).status, 404, path)
        # the group's object is not in "all" even for a member who sees it
        env = taxii_ok(get(n, ROOT + "collections/all/objects/", token=b_tok), "b all")
        eq(env, {}, "nothing shared with all")
        # status: the poster's alone
        eq(get(n, ROOT + f"status/{sg['id']}/", token=b_tok).status, 404, "Brazil: status")
        eq(get(n, ROOT + f"status/{sg['id']}/", token=a_tok).status, 200, "Chile: status")
        # TLP:RED in a group scope is refused by the intake (named members only)
        red = indicator(4)
        red["object_marking_refs"] = ["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]
        st = taxii_ok(post(n, grp + "objects/", {"objects": [red]}, token=a_tok), "red", 202)
        eq(st["failure_count"], 1, f"TLP:RED to a group: {st}")
        # Brazil's reads are audited, once per report and path
        db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        paths = sorted(r[0] for r in db.execute("SELECT DISTINCT path FROM audit WHERE member = ?",
                                                (b_id,)))
        db.close()
        eq(paths, ["taxii.objects"], "Brazil's read is audited")
        get(n, grp + "manifest/", token=b_tok)
        get(n, grp + f"objects/{go['id']}/", token=b_tok)
        get(n, grp + f"objects/{go['id']}/versions/", token=b_tok)
        db = sqlite3.connect(os.path.join(n.data, "atalaya.db"))
        paths = sorted(r[0] for r in db.execute("SELECT DISTINCT path FROM audit WHERE member = ?",
                                                (b_id,)))
        db.close()
        eq(paths, ["taxii.manifest", "taxii.object", "taxii.objects", "taxii.versions"], "audited")
    finally:
        n.cleanup()


# --- the client ---

def test_client_against_a_second_node(bin_):
    up, down = Node(bin_, name="CERT-CL", country="CL").start(), Node(bin_).start()
    try:
        objs = [indicator(i) for i in range(2500)]
        for k in range(0, 2500, 1000):  # three envelopes upstream
            taxii_ok(post(up, OBJS, {"objects": objs[k:k + 1000]}), "upstream", 202)
        tok = os.path.join(down.dir, "upstream.token")
        with open(tok, "w") as f:
            f.write(up.admin_token + "\n")
        os.chmod(down.dir, 0o755)
        os.chmod(tok, 0o644)
        r = down.cli("taxii", "add-source", up.url + ROOT, "--collection", "all", "--name", "cl",
                     "--source-token-file", tok, "--audience", "all")
        eq(r.returncode, 0, f"add-source: {r.stderr}")
        r = down.cli("taxii", "pull", "cl")
        eq(r.returncode, 0, f"pull: {r.stdout} {r.stderr}")
        check("2500 objects" in r.stdout, f"progress: {r.stdout}")
        got = set()
        nxt = None
        while True:
            env = taxii_ok(get(down, MAN + "?match[version]=all" + (f"&next={nxt}" if nxt else "")), "m")
            got |= {m["id"] for m in env.get("objects", [])}
            if not env.get("more"):
                break
            nxt = env["next"]
        eq(got, {o["id"] for o in objs}, "every object pulled, into all")
        # resumable: a new object upstream, the next pull takes it alone
        extra = indicator(9999)
        taxii_ok(post(up, OBJS, {"objects": [extra]}), "one more", 202)
        r = down.cli("taxii", "pull", "cl")
        check(r.returncode == 0 and "1 objects" in r.stdout, f"second pull: {r.stdout} {r.stderr}")
        r = down.cli("taxii", "pull", "cl")
        check(r.returncode == 0 and "0 objects" in r.stdout, f"nothing new: {r.stdout}")
        src = json.loads(down.cli("taxii", "sources", "--json").stdout)
        eq((src[0]["name"], src[0]["pulled"], src[0]["last_error"]), ("cl", 2501, None), "sources")
        # a wrong token: the error is shown and kept
        with open(tok, "w") as f:
            f.write("atl_0000000000000000_wrong\n")
        r = down.cli("taxii", "pull", "cl")
        check(r.returncode != 0 and "401" in r.stderr, f"error shown: {r.stderr}")
        src = json.loads(down.cli("taxii", "sources", "--json").stdout)
        check("401" in (src[0]["last_error"] or ""), f"error kept: {src}")
        # on schedule: a source with --every is pulled by the daemon at once, then every period
        with open(tok, "w") as f:
            f.write(up.admin_token + "\n")
        r = down.cli("taxii", "add-source", up.url + ROOT, "--collection", "all", "--name", "sched",
                     "--source-token-file", tok, "--every", "15m")
        eq(r.returncode, 0, r.stderr)
        deadline = time.time() + 30
        while time.time() < deadline:
            src = {s["name"]: s for s in json.loads(down.cli("taxii", "sources", "--json").stdout)}
            if src["sched"]["pulled"] == 2501:
                break
            time.sleep(0.2)
        eq(src["sched"]["pulled"], 2501, f"the scheduled pull: {src['sched']}")
        check(src["sched"]["next_pull"] > src["sched"]["last_pull"], "the next one is planned")
        # bad input: a relative file, a bad --every
        eq(down.cli("taxii", "add-source", "ftp://x/", "--collection", "c").returncode, 1, "ftp")
        r = down.cli("taxii", "add-source", "https://u:pw@cti.example.org/api1/", "--collection", "c")
        check(r.returncode == 1 and "no credentials in the URL" in r.stderr, r.stderr)
        eq(len(json.loads(down.cli("taxii", "sources", "--json").stdout)), 2, "nothing added")
        eq(down.cli("taxii", "add-source", up.url, "--collection", "c", "--every", "soon").returncode,
           2, "--every soon")
    finally:
        up.cleanup()
        down.cleanup()


# The specification's examples (TAXII 2.1 sections 5.3 and 5.4: an envelope of
# two indicators with more/next, then the rest), served by a stub without the
# date headers; Basic authentication checked.
SPEC_PAGE_1 = {"more": True, "next": "2a6ad2f3-5b0b-4e32-8d8f-25d2b1f5c2f3", "objects": [
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--cd981c25-8042-4166-8945-51178443bdac",
     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
     "indicator_types": ["malicious-activity"], "name": "Poison Ivy Malware",
     "description": "This file is part of Poison Ivy", "pattern_type": "stix",
     "pattern": "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
     "valid_from": "2016-01-01T00:00:00Z"}]}
SPEC_PAGE_2 = {"more": False, "objects": [
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e",
     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
     "indicator_types": ["malicious-activity"], "name": "Poison Ivy C2",
     "pattern_type": "stix", "pattern": "[ ipv4-addr:value = '198.51.100.3' ]",
     "valid_from": "2016-01-01T00:00:00Z"}]}


def test_client_against_the_spec_examples(bin_):
    calls = []

    class Stub(BaseHTTPRequestHandler):
        def do_GET(self):
            calls.append((self.path, self.headers.get("Authorization"), self.headers.get("Accept")))
            if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"feed:s3cret").decode():
                self.send_response(401)
                self.end_headers()
                return
            body = SPEC_PAGE_2 if "next=" in self.path else SPEC_PAGE_1
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", TAXII)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    n = Node(bin_).start()
    try:
        pw = os.path.join(n.dir, "feed.password")
        with open(pw, "w") as f:
            f.write("s3cret\n")
        os.chmod(pw, 0o644)
        url = f"http://127.0.0.1:{srv.server_address[1]}/api1/"
        r = n.cli("taxii", "add-source", url, "--collection", "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
                  "--name", "spec", "--user", "feed", "--password-file", pw, "--audience", "all")
        eq(r.returncode, 0, r.stderr)
        r = n.cli("taxii", "pull", "spec")
        eq(r.returncode, 0, f"pull: {r.stdout} {r.stderr}")
        check("2 objects in 2 pages" in r.stdout, r.stdout)
        eq(calls[0][0], "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/?limit=1000",
           "the first request")
        check("next=2a6ad2f3-5b0b-4e32-8d8f-25d2b1f5c2f3" in calls[1][0], f"then next: {calls}")
        eq(calls[0][2], TAXII, "Accept")
        env = taxii_ok(get(n, OBJS), "pulled")
        eq(sorted(ids(env)), sorted([IND, IND1]), "both examples stored, shared with all")
    finally:
        srv.shutdown()
        n.cleanup()


if __name__ == "__main__":
    run([test_server_discovery, test_get_objects, test_get_object, test_get_object_manifests,
         test_get_version, test_get_objects_added_after_and_limit, test_get_objects_match,
         test_get_object_filters, test_get_manifest_filters, test_add_object_and_status, test_errors,
         test_paging_1000_across_restart, test_scope, test_client_against_a_second_node,
         test_client_against_the_spec_examples], BIN)
