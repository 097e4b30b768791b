#!/usr/bin/env python3
"""Regenerates the invalid bundles of this directory: one broken rule each, from one
valid base bundle. Each NAME.expected holds the exact error
message expected for NAME.json (checked by hand against the rule it breaks);
tests/unit/test_stix.c compares them. The base bundle itself is written to
../valid/atalaya-base.json and must pass."""
import copy
import json
import os

ID = "identity--0b4f2c2e-6a43-4c3e-9f6f-2d9f8f1c2a01"
IND = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
MAL = "malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc"
REL = "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"
SIG = "sighting--ee20065d-2555-424f-ad9e-0f8428623c75"
IP = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
OD = "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"
LOC = "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
STMT = "marking-definition--7d9c1f0a-1e1a-4d5c-9a43-1b2f3c4d5e6f"
TS = "2024-03-01T12:00:00.000Z"


def base():
    return {
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [
            {"type": "identity", "spec_version": "2.1", "id": ID, "created": TS, "modified": TS,
             "name": "CERT Example", "identity_class": "organization"},
            {"type": "marking-definition", "spec_version": "2.1", "id": STMT, "created": TS,
             "definition_type": "statement", "definition": {"statement": "Copyright Example"}},
            {"type": "indicator", "spec_version": "2.1", "id": IND, "created_by_ref": ID,
             "created": TS, "modified": TS, "name": "C2 address", "indicator_types":
             ["malicious-activity"], "pattern": "[ipv4-addr:value = '198.51.100.7']",
             "pattern_type": "stix", "valid_from": TS, "valid_until": "2025-03-01T00:00:00Z",
             "confidence": 80, "object_marking_refs": [AMBER],
             "granular_markings": [{"marking_ref": STMT, "selectors": ["valid_until"]}],
             "external_references": [{"source_name": "cert", "url": "https://cert.example/a"}],
             "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain",
                                    "phase_name": "command-and-control"}],
             "x_cert_priority": "high"},
            {"type": "malware", "spec_version": "2.1", "id": MAL, "created": TS, "modified": TS,
             "name": "Example RAT", "is_family": True, "first_seen": "2023-01-01T00:00:00Z",
             "last_seen": "2024-01-01T00:00:00Z"},
            {"type": "relationship", "spec_version": "2.1", "id": REL, "created": TS,
             "modified": TS, "relationship_type": "indicates", "source_ref": IND,
             "target_ref": MAL},
            {"type": "ipv4-addr", "spec_version": "2.1", "id": IP, "value": "198.51.100.7"},
            {"type": "observed-data", "spec_version": "2.1", "id": OD, "created": TS,
             "modified": TS, "first_observed": TS, "last_observed": TS, "number_observed": 3,
             "object_refs": [IP]},
            {"type": "sighting", "spec_version": "2.1", "id": SIG, "created": TS, "modified": TS,
             "sighting_of_ref": IND, "count": 3, "observed_data_refs": [OD],
             "where_sighted_refs": [ID, LOC]},
            {"type": "location", "spec_version": "2.1", "id": LOC, "created": TS, "modified": TS,
             "country": "ES"},
        ],
    }


def obj(b, t):
    return next(o for o in b["objects"] if o["type"] == t)


WHITE1 = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
CLEAR2 = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP_EXT = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"


def tlp1(mid, name, level):
    return {"type": "marking-definition", "spec_version": "2.1", "id": mid,
            "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": name,
            "definition": {"tlp": level}}


def tlp2(mid, name, level):
    return {"type": "marking-definition", "spec_version": "2.1", "id": mid,
            "created": "2022-10-01T00:00:00.000Z", "name": name,
            "extensions": {TLP_EXT: {"extension_type": "property-extension", "tlp_2_0": level}}}


def stix20(b, first):
    """A STIX 2.0 bundle: spec_version on the bundle, none on the objects."""
    objs = b.pop("objects")
    for o in objs:
        o.pop("spec_version", None)
    if first:
        b["spec_version"] = "2.0"
    b["objects"] = objs
    if not first:
        b["spec_version"] = "2.0"


def case(name, f, raw=None):
    CASES.append((name, f, raw))


CASES = []
# envelope
case("bundle-type-wrong", lambda b: b.update(type="collection"))
case("bundle-id-missing", lambda b: b.pop("id"))
case("bundle-id-not-bundle", lambda b: b.update(id=IND))
case("bundle-objects-not-array", lambda b: b.update(objects={"a": 1}))
case("bundle-objects-empty", lambda b: b.update(objects=[]))
case("bundle-element-not-object", lambda b: b["objects"].insert(1, "identity"))
case("bundle-bad-top-level-key", lambda b: b.update({"Objects-Extra": 1}))
case("bundle-truncated", None, lambda s: s[: len(s) // 2])
case("bundle-trailing-garbage", None, lambda s: s + "]")
case("bundle-not-json", None, lambda s: "<bundle/>")
case("object-malformed-json", None, lambda s: s.replace('"count": 3', '"count": 3,,', 1))
case("object-duplicate-key", None, lambda s: s.replace('"count": 3', '"count": 3, "count": 4', 1))
# identifiers, type, spec_version
case("type-missing", lambda b: obj(b, "malware").pop("type"))
case("type-bad-name", lambda b: obj(b, "malware").update(type="Malware"))
case("id-missing", lambda b: obj(b, "malware").pop("id"))
case("id-not-uuid", lambda b: obj(b, "malware").update(id="malware--1234"))
case("id-uuid-bad-variant", lambda b: obj(b, "malware").update(
    id="malware--31b940d4-6f7f-459a-c0ea-9c1f17b58abc"))
case("id-type-mismatch", lambda b: obj(b, "malware").update(id=TOOL_ID))
case("spec-version-missing", lambda b: obj(b, "malware").pop("spec_version"))
case("spec-version-2.0", lambda b: obj(b, "malware").update(spec_version="2.0"))
case("bundle-spec-version-2.0", lambda b: stix20(b, True))
case("bundle-spec-version-2.0-after-objects", lambda b: stix20(b, False))
# timestamps
case("created-missing", lambda b: obj(b, "malware").pop("created"))
case("modified-missing", lambda b: obj(b, "relationship").pop("modified"))
case("created-not-ms", lambda b: obj(b, "malware").update(created="2024-03-01T12:00:00Z"))
case("valid-from-not-timestamp", lambda b: obj(b, "indicator").update(valid_from="yesterday"))
case("valid-from-offset", lambda b: obj(b, "indicator").update(
    valid_from="2024-03-01T12:00:00+01:00"))
case("valid-from-lowercase-z", lambda b: obj(b, "indicator").update(
    valid_from="2024-03-01T12:00:00.000z"))
case("timestamp-feb-30", lambda b: obj(b, "malware").update(first_seen="2023-02-30T00:00:00Z"))
case("modified-before-created", lambda b: obj(b, "malware").update(
    modified="2024-02-01T12:00:00.000Z"))
case("valid-until-before-valid-from", lambda b: obj(b, "indicator").update(
    valid_until="2024-01-01T00:00:00Z"))
case("last-seen-before-first-seen", lambda b: obj(b, "malware").update(
    last_seen="2022-01-01T00:00:00Z"))
# ranges and types
case("confidence-over-100", lambda b: obj(b, "indicator").update(confidence=101))
case("confidence-not-integer", lambda b: obj(b, "indicator").update(confidence="high"))
case("sighting-count-negative", lambda b: obj(b, "sighting").update(count=-1))
case("number-observed-zero", lambda b: obj(b, "observed-data").update(number_observed=0))
case("revoked-not-boolean", lambda b: obj(b, "malware").update(revoked="yes"))
case("labels-empty", lambda b: obj(b, "malware").update(labels=[]))
# required properties
case("indicator-pattern-missing", lambda b: obj(b, "indicator").pop("pattern"))
case("indicator-pattern-type-missing", lambda b: obj(b, "indicator").pop("pattern_type"))
case("identity-name-missing", lambda b: obj(b, "identity").pop("name"))
case("malware-family-name-missing", lambda b: obj(b, "malware").pop("name"))
case("malware-is-family-missing", lambda b: obj(b, "malware").pop("is_family"))
case("relationship-target-missing", lambda b: obj(b, "relationship").pop("target_ref"))
case("sighting-of-ref-missing", lambda b: obj(b, "sighting").pop("sighting_of_ref"))
case("ipv4-value-missing", lambda b: obj(b, "ipv4-addr").pop("value"))
case("ipv4-value-bad", lambda b: obj(b, "ipv4-addr").update(value="198.51.100.300"))
case("observed-data-both-objects-and-refs", lambda b: obj(b, "observed-data").update(
    objects={"0": {"type": "ipv4-addr", "value": "198.51.100.7"}}))
case("location-without-place", lambda b: obj(b, "location").pop("country"))
case("marking-definition-no-definition", lambda b: obj(b, "marking-definition").pop("definition"))
# references
case("created-by-ref-not-identity", lambda b: obj(b, "indicator").update(created_by_ref=MAL))
case("object-marking-ref-not-marking", lambda b: obj(b, "indicator").update(
    object_marking_refs=[ID]))
case("sighting-of-ref-sco", lambda b: obj(b, "sighting").update(sighting_of_ref=IP))
case("where-sighted-ref-malware", lambda b: obj(b, "sighting").update(
    where_sighted_refs=[ID, MAL]))
case("observed-data-ref-indicator", lambda b: obj(b, "sighting").update(observed_data_refs=[IND]))
case("relationship-source-marking", lambda b: obj(b, "relationship").update(source_ref=AMBER))
case("custom-ref-not-identifier", lambda b: obj(b, "malware").update(x_cert_owner_ref="cert-es"))
# markings, extensions, custom properties
case("granular-marking-no-selectors", lambda b: obj(b, "indicator").update(
    granular_markings=[{"marking_ref": STMT, "selectors": []}]))
case("granular-selector-no-such-property", lambda b: obj(b, "indicator").update(
    granular_markings=[{"marking_ref": STMT, "selectors": ["valid_until", "description"]}]))
case("granular-selector-index-out-of-range", lambda b: obj(b, "indicator").update(
    granular_markings=[{"marking_ref": STMT, "selectors": ["kill_chain_phases.[1].phase_name"]}]))
case("granular-selector-into-string", lambda b: obj(b, "indicator").update(
    granular_markings=[{"marking_ref": STMT, "selectors": ["name.value"]}]))
case("marking-definition-marks-itself", lambda b: obj(b, "marking-definition").update(
    object_marking_refs=[AMBER, STMT]))
case("marking-definition-granular-marks-itself", lambda b: obj(b, "marking-definition").update(
    granular_markings=[{"marking_ref": STMT, "selectors": ["definition.statement"]}]))
# the predefined TLP marking ids carry their canonical definitions (a bundle cannot
# redefine TLP:WHITE as red): STIX 2.1 section 7.2.1.4 (TLP 1.0), OASIS TLP 2.0
case("tlp1-white-defined-as-red", lambda b: b["objects"].insert(0, tlp1(WHITE1, "TLP:WHITE", "red")))
case("tlp1-white-named-red", lambda b: b["objects"].insert(0, tlp1(WHITE1, "TLP:RED", "white")))
case("tlp1-white-created-changed", lambda b: b["objects"].insert(0, dict(
    tlp1(WHITE1, "TLP:WHITE", "white"), created="2024-01-01T00:00:00.000Z")))
case("tlp2-clear-defined-as-red", lambda b: b["objects"].insert(0, tlp2(CLEAR2, "TLP:CLEAR", "red")))
case("tlp2-amber-named-clear", lambda b: b["objects"].insert(0, tlp2(AMBER, "TLP:CLEAR", "amber")))
case("tlp2-clear-with-tlp1-definition", lambda b: b["objects"].insert(0, dict(
    tlp2(CLEAR2, "TLP:CLEAR", "clear"), definition_type="tlp", definition={"tlp": "white"})))
case("granular-marking-ref-and-lang", lambda b: obj(b, "indicator").update(
    granular_markings=[{"marking_ref": STMT, "lang": "en", "selectors": ["name"]}]))
case("extension-bad-key", lambda b: obj(b, "malware").update(
    extensions={"my-extension": {"x": 1}}))
case("extension-type-unknown", lambda b: obj(b, "malware").update(extensions={
    "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {"extension_type": "new-thing"}}))
case("custom-property-uppercase", lambda b: obj(b, "malware").update({"X_Owner": "cert"}))
case("custom-property-too-short", lambda b: obj(b, "malware").update({"xy": "cert"}))
case("custom-bin-not-base64", lambda b: obj(b, "malware").update(x_cert_sample_bin="not base64!"))
case("custom-hex-odd-length", lambda b: obj(b, "malware").update(x_cert_key_hex="abc"))
case("artifact-payload-not-base64", lambda b: b["objects"].append(
    {"type": "artifact", "spec_version": "2.1", "id": "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641",
     "payload_bin": "SGVsbG8=x"}))
case("reserved-property-severity", lambda b: obj(b, "malware").update(severity="high"))
case("external-reference-no-source", lambda b: obj(b, "indicator").update(
    external_references=[{"url": "https://cert.example/a"}]))
case("kill-chain-phase-no-phase", lambda b: obj(b, "indicator").update(
    kill_chain_phases=[{"kill_chain_name": "lockheed-martin-cyber-kill-chain"}]))
case("file-sha256-bad-length", lambda b: b["objects"].append(
    {"type": "file", "spec_version": "2.1", "id": "file--9a1f834d-2506-455c-9f86-bbd8e8c0a7e7",
     "hashes": {"SHA-256": "abc123"}}))
# patterns
case("pattern-unclosed-bracket", lambda b: obj(b, "indicator").update(
    pattern="[ipv4-addr:value = '198.51.100.7'"))
case("pattern-no-operator", lambda b: obj(b, "indicator").update(
    pattern="[ipv4-addr:value '198.51.100.7']"))
case("pattern-unterminated-string", lambda b: obj(b, "indicator").update(
    pattern="[domain-name:value = 'evil.example]"))
case("pattern-bad-qualifier", lambda b: obj(b, "indicator").update(
    pattern="[ipv4-addr:value = '198.51.100.7'] REPEATS 0 TIMES"))
case("pattern-matches-bad-regex", lambda b: obj(b, "indicator").update(
    pattern="[file:name MATCHES 'invoice_[0-9{4}']"))
case("pattern-start-after-stop", lambda b: obj(b, "indicator").update(
    pattern="[ipv4-addr:value = '198.51.100.7'] START t'2024-02-01T00:00:00Z' "
            "STOP t'2024-01-01T00:00:00Z'"))
# duplicates
case("duplicate-id-and-modified", lambda b: b["objects"].append(copy.deepcopy(obj(b, "malware"))))

TOOL_ID = "tool--31b940d4-6f7f-459a-80ea-9c1f17b58abc"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, f, raw in CASES:
        b = base()
        if f:
            f(b)
        s = json.dumps(b, indent=2)
        if raw:
            s = raw(s)
        with open(os.path.join(here, name + ".json"), "w") as fp:
            fp.write(s)
    with open(os.path.join(here, "..", "valid", "atalaya-base.json"), "w") as fp:
        fp.write(json.dumps(base(), indent=2))
    print(len(CASES), "cases")


if __name__ == "__main__":
    main()
