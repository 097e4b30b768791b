#!/usr/bin/env python3
"""Writes a STIX 2.1 bundle of N indicators to stdout (or to the file named second).

Indicators cycle through IPv4, domain, URL and SHA-256 patterns; every 100 indicators
share an identity (created_by_ref), every indicator has a relationship to one of a few
malware objects, and TLP 2.0 markings cycle through CLEAR, GREEN, AMBER, AMBER+STRICT.
Deterministic for a given N (ids are UUIDv5), so runs are comparable.

    bench/gen_bundle.py 100000 > /tmp/b100k.json
"""
import hashlib
import sys
import uuid

NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
TLP = ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
       "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]
TS = "2024-03-01T12:00:00.000Z"


def sid(kind, key):
    return "%s--%s" % (kind, uuid.uuid5(NS, "%s/%s" % (kind, key)))


def pattern(i):
    k = i % 4
    if k == 0:
        return "[ipv4-addr:value = '%d.%d.%d.%d']" % (10 + i // 16777216 % 200, i // 65536 % 256,
                                                      i // 256 % 256, i % 256)
    if k == 1:
        return "[domain-name:value = 'host%d.example%d.test']" % (i, i % 97)
    if k == 2:
        return "[url:value = 'http://bad%d.example.test/path/%d?q=1']" % (i % 1000, i)
    return "[file:hashes.'SHA-256' = '%s']" % hashlib.sha256(str(i).encode()).hexdigest()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    out = open(sys.argv[2], "w") if len(sys.argv) > 2 else sys.stdout
    w = out.write
    w('{"type":"bundle","id":"%s","objects":[' % sid("bundle", n))
    first = True

    def emit(s):
        nonlocal first
        w(s if first else "," + s)
        first = False

    malware = [sid("malware", m) for m in range(8)]
    for m, mid in enumerate(malware):
        emit('{"type":"malware","spec_version":"2.1","id":"%s","created":"%s","modified":"%s",'
             '"name":"family %d","is_family":true,"object_marking_refs":["%s"]}'
             % (mid, TS, TS, m, TLP[0]))
    for i in range(n):
        ident = sid("identity", i // 100)
        if i % 100 == 0:
            emit('{"type":"identity","spec_version":"2.1","id":"%s","created":"%s",'
                 '"modified":"%s","name":"CERT %d","identity_class":"organization",'
                 '"object_marking_refs":["%s"]}' % (ident, TS, TS, i // 100, TLP[0]))
        ind = sid("indicator", i)
        emit('{"type":"indicator","spec_version":"2.1","id":"%s","created_by_ref":"%s",'
             '"created":"%s","modified":"%s","name":"indicator %d","indicator_types":'
             '["malicious-activity"],"pattern":"%s","pattern_type":"stix",'
             '"valid_from":"%s","confidence":%d,"object_marking_refs":["%s"]}'
             % (ind, ident, TS, TS, i, pattern(i), TS, i % 101, TLP[i % 4]))
        if i % 10 == 0:
            emit('{"type":"relationship","spec_version":"2.1","id":"%s","created":"%s",'
                 '"modified":"%s","relationship_type":"indicates","source_ref":"%s",'
                 '"target_ref":"%s","object_marking_refs":["%s"]}'
                 % (sid("relationship", i), TS, TS, ind, malware[i % 8], TLP[i % 4]))
    w("]}\n")
    out.close()


if __name__ == "__main__":
    main()
