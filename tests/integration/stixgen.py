"""Small STIX 2.1 bundle builders for the tests and benchmarks."""
import datetime
import json
import uuid

TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# Times are relative to today: decay ages indicators (an address's score halves
# every 14 days, and a DNSBL listing lasts one half-life), so a fixed date would
# turn the tests' fresh indicators into old news as the calendar moves on.
_BASE = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)).replace(
    hour=10, minute=0, second=0, microsecond=0)


def ts(days=0, millis=True):
    """TS moved by `days` (STIX timestamp text; millis=False for IODEF)."""
    t = _BASE + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z" if millis else "%Y-%m-%dT%H:%M:%SZ")


TS = ts()


def sid(kind):
    return f"{kind}--{uuid.uuid4()}"


def indicator(pattern, tlp=None, ident=None, modified=TS, oid=None, revoked=False, name="ind"):
    o = {"type": "indicator", "spec_version": "2.1", "id": oid or sid("indicator"),
         "created": TS, "modified": modified, "name": name, "pattern": pattern,
         "pattern_type": "stix", "valid_from": TS, "indicator_types": ["malicious-activity"]}
    if tlp:
        o["object_marking_refs"] = [TLP[tlp]]
    if ident:
        o["created_by_ref"] = ident
    if revoked:
        o["revoked"] = True
    return o


def identity(name="CERT", tlp=None):
    o = {"type": "identity", "spec_version": "2.1", "id": sid("identity"), "created": TS,
         "modified": TS, "name": name, "identity_class": "organization"}
    if tlp:
        o["object_marking_refs"] = [TLP[tlp]]
    return o


def bundle(objects):
    return {"type": "bundle", "id": sid("bundle"), "objects": objects}


def dumps(b):
    return json.dumps(b).encode()
