#!/usr/bin/env python3
"""docs/openapi.json describes exactly the routes the server answers.

Usage: python3 test_openapi.py /path/to/atalaya   (env ATALAYA_SRC: source root)

Checks, each failure named on its own line:
  1. every route `atalaya routes` prints is in docs/openapi.json (path templates
     compared with every {name} normalised to {}), and every path+method of the
     document is a route the server answers;
  2. a daemon started on a free loopback port serves GET /api/v1/openapi.json
     byte for byte equal to docs/openapi.json;
  3. the document's security matches the server: an operation with no security
     (security: []) is answered without a token, any other answers 401 without one;
  4. the document holds together: every local $ref resolves, tags are declared,
     operationIds are unique, path parameters are declared.
Exits 0 and prints a summary when all hold, 1 otherwise. Stdlib only.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PARAM = re.compile(r"\{[^}/]*\}")


def norm(path):
    return PARAM.sub("{}", path)


def served_routes(atalaya):
    """{(METHOD, normalised path): pattern} from `atalaya routes`."""
    out = subprocess.run([atalaya, "routes"], check=True, capture_output=True, text=True,
                         timeout=30).stdout
    routes = {}
    for line in out.splitlines():
        if not line.strip():
            continue
        head = line.split("\t", 1)[0].split()
        if len(head) != 2:
            raise SystemExit(f"test_openapi: cannot read route line {line!r}")
        method, pattern = head
        routes[(method.upper(), norm(pattern))] = pattern
    return routes


def documented_routes(doc):
    """{(METHOD, normalised path): operation} from the OpenAPI document."""
    ops = {}
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                ops[(method.upper(), norm(path))] = (path, operation)
    return ops


def lint(doc):
    """Structural mistakes an edit can make; returns a list of messages."""
    problems = []

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target = doc
                for part in ref[2:].split("/"):
                    part = part.replace("~1", "/").replace("~0", "~")
                    if not isinstance(target, dict) or part not in target:
                        problems.append(f"{where}: $ref {ref} points nowhere")
                        break
                    target = target[part]
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(doc, "#")
    tags = {t.get("name") for t in doc.get("tags", [])}
    op_ids = {}
    for path, item in doc.get("paths", {}).items():
        names = set(re.findall(r"\{([^}/]*)\}", path))
        for method, operation in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            if not operation.get("responses"):
                problems.append(f"{where}: no responses")
            for t in operation.get("tags", []):
                if t not in tags:
                    problems.append(f"{where}: tag '{t}' is not in the tags list")
            oid = operation.get("operationId")
            if oid in op_ids:
                problems.append(f"{where}: operationId '{oid}' also used by {op_ids[oid]}")
            elif oid:
                op_ids[oid] = where
            declared = set()
            for p in item.get("parameters", []) + operation.get("parameters", []):
                if "$ref" in p:
                    p = doc["components"]["parameters"].get(p["$ref"].rsplit("/", 1)[-1], {})
                if p.get("in") == "path":
                    declared.add(p.get("name"))
            for n in sorted(names - declared):
                problems.append(f"{where}: path parameter {{{n}}} is not declared")
    return problems


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, timeout=10):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


class Daemon:
    """`atalaya init` + `atalaya serve` in a temporary data dir."""

    def __init__(self, atalaya):
        self.atalaya = atalaya
        self.data = tempfile.mkdtemp(prefix="atalaya-openapi-")
        self.logdir = tempfile.mkdtemp(prefix="atalaya-openapi-log-")
        self.log = os.path.join(self.logdir, "serve.log")
        self.proc = None
        self.base = None

    def start(self):
        subprocess.run([self.atalaya, "init", "--data", self.data, "--name", "CERT-TEST",
                        "--country", "UY"], check=True, capture_output=True, timeout=60)
        for _ in range(3):  # the free port may be taken between probe and bind
            port = free_port()
            self.base = f"http://127.0.0.1:{port}"
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [self.atalaya, "serve", "--data", self.data, "--listen",
                     f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if http("GET", self.base + "/api/v1/health", timeout=2)[0] == 200:
                        return
                except OSError:
                    pass
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("the daemon did not answer /api/v1/health; its log:\n" +
                           tail(self.log))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(self.logdir, ignore_errors=True)


def concrete(path):
    """A request path for a template: ids become 1, other parameters 'x'."""
    def sub(m):
        return "1" if m.group(0).endswith("id}") else "x"
    return PARAM.sub(sub, path)


def main():
    if len(sys.argv) != 2:
        print("usage: test_openapi.py /path/to/atalaya", file=sys.stderr)
        return 2
    atalaya = os.path.abspath(sys.argv[1])
    src = os.environ.get("ATALAYA_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
    doc_path = os.path.join(src, "docs", "openapi.json")
    failures = []

    with open(doc_path, "rb") as f:
        doc_bytes = f.read()
    try:
        doc = json.loads(doc_bytes)
    except ValueError as e:
        print(f"FAIL docs/openapi.json is not JSON: {e}")
        return 1
    if not str(doc.get("openapi", "")).startswith("3.1"):
        failures.append(f"docs/openapi.json: openapi is {doc.get('openapi')!r}, not 3.1.x")

    failures += ["docs/openapi.json: " + p for p in lint(doc)]

    # 1. routes <-> document
    served = served_routes(atalaya)
    documented = documented_routes(doc)
    for key in sorted(set(served) - set(documented), key=lambda k: (k[1], k[0])):
        failures.append(f"missing from docs/openapi.json: {key[0]} {served[key]}")
    for key in sorted(set(documented) - set(served), key=lambda k: (k[1], k[0])):
        failures.append(f"in docs/openapi.json but not answered by the server: "
                        f"{key[0]} {documented[key][0]}")

    global_security = doc.get("security", [])
    daemon = Daemon(atalaya)
    checked_auth = 0
    try:
        daemon.start()

        # 2. the served document is docs/openapi.json
        status, body = http("GET", daemon.base + "/api/v1/openapi.json")
        if status != 200:
            failures.append(f"GET /api/v1/openapi.json answered {status}")
        elif body != doc_bytes:
            try:
                same = json.loads(body) == doc
            except ValueError:
                same = False
            failures.append("GET /api/v1/openapi.json differs from docs/openapi.json "
                            f"({len(body)} vs {len(doc_bytes)} bytes"
                            f"{', same JSON' if same else ''}); rebuild atalaya")

        # 3. security: requests without a token. A route that needs one is
        # refused with 401 before any work, so this writes nothing; public
        # routes documented here are harmless to call once without a body.
        for key in sorted(set(served) & set(documented), key=lambda k: (k[1], k[0])):
            path, operation = documented[key]
            public = operation.get("security", global_security) in ([], [{}])
            try:
                status, _ = http(key[0], daemon.base + concrete(served[key]), timeout=5)
            except OSError as e:
                failures.append(f"{key[0]} {path} without a token: {e}")
                continue
            checked_auth += 1
            if public and status == 401:
                failures.append(f"{key[0]} {path}: documented as public (security: []) but "
                                "answers 401 without a token")
            elif not public and status != 401:
                failures.append(f"{key[0]} {path}: documented as needing bearerAuth but "
                                f"answers {status} without a token")
    except Exception as e:  # a daemon that does not start is a failure, not a crash
        failures.append(f"daemon: {e}")
    finally:
        daemon.cleanup()

    for f in failures:
        print("FAIL " + f)
    print(f"test_openapi: {len(served)} routes served, {len(documented)} operations documented, "
          f"{checked_auth} checked for auth, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
