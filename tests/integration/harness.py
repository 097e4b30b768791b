"""Drives a real `atalaya serve` on a free loopback port with a temporary data
dir, the way users do: HTTP, the CLI, DNS. Standard library only."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Node:
    def __init__(self, binary, name="CERT-UY", country="UY", extra_args=(),
                 loopback_webhooks=True):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="atalaya-test-")
        os.chmod(self.dir, 0o755)  # started as root, the daemon runs as atalaya (--user)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.extra = list(extra_args)
        if loopback_webhooks:  # the tests' webhook receivers listen on 127.0.0.1
            self.extra += ["--webhook-allow-networks", "127.0.0.0/8"]
        self.proc = None
        self.log_path = os.path.join(self.dir, "serve.log")
        out = subprocess.run([binary, "init", "--data", self.data, "--name", name,
                              "--country", country], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"init failed: {out.stderr}")
        self.admin_token = open(os.path.join(self.data, "admin.token")).read().strip()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, *args):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "serve", "--data", self.data, "--listen",
                                      f"127.0.0.1:{self.port}", *self.extra, *args],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.read_log()}")
            try:
                if self.request("GET", "/api/v1/health", token=None).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("serve did not answer /api/v1/health in 15 s")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode if self.proc else None
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
        return code

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def read_log(self):
        try:
            return open(self.log_path, errors="replace").read()
        except OSError:
            return ""

    def request(self, method, path, body=None, token="admin", headers=None, raw=None,
                content_type="application/json"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if token == "admin":
            token = self.admin_token
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h.setdefault("Content-Type", content_type)
        try:
            conn.request(method, path, body=data, headers=h)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (413) and closed: read that answer
        resp = conn.getresponse()
        out = Response(resp.status, dict(resp.getheaders()), resp.read().decode("utf-8", "replace"))
        conn.close()
        return out

    def cli(self, *args, token=None, stdin=None):
        env = dict(os.environ, ATALAYA_URL=self.url)
        env.pop("ATALAYA_TOKEN_FILE", None)
        env["ATALAYA_TOKEN"] = token or self.admin_token
        return subprocess.run([self.binary, *args], capture_output=True, text=True, env=env,
                              input=stdin, timeout=120)

    def add_member(self, name, country="BR", role="analyst", kind="national-cert"):
        r = self.request("POST", "/api/v1/members", {"name": name, "country": country,
                                                     "role": role, "kind": kind})
        assert r.status == 201, r
        m = r.json()
        return m["id"], m["token"]


def totp(secret_b32, at=None, step=None):
    """RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) of a base32 secret, for the
    time `at` (default now) or the 30-second `step`."""
    import base64, hashlib, hmac, struct
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((at or time.time()) // 30) if step is None else step
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[19] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


class WebUser:
    """A person on the web interface: an account made with the API, a session
    cookie once signed in, and form posts carrying the page's CSRF token."""

    def __init__(self, node, member, email, password="correct horse battery staple",
                 role=None):
        body = {"member": member, "email": email, "password": password}
        if role:
            body["role"] = role
        r = node.request("POST", "/api/v1/users", body)
        assert r.status == 201, r
        self.node, self.email, self.password = node, email, password
        self.id, self.secret = r.json()["id"], r.json()["totp_secret"]
        self.cookie = None
        self.step = 0  # the last TOTP step used: the node takes each code once

    def next_code(self):
        """A code the node has not seen: this step's, or the next one's (the
        node accepts one step of drift), or it waits for a fresh step."""
        now = int(time.time() // 30)
        if self.step > now:
            time.sleep((self.step + 1) * 30 - time.time() + 0.1)
            now = int(time.time() // 30)
        self.step = max(now, self.step + 1)
        return totp(self.secret, step=self.step)

    def signin(self, password=None, code=None):
        import urllib.parse
        form = {"email": self.email, "password": password or self.password,
                "code": code or self.next_code()}
        r = self.node.request("POST", "/web/signin", token=None,
                              raw=urllib.parse.urlencode(form).encode(),
                              content_type="application/x-www-form-urlencoded")
        if r.status == 303:
            self.cookie = r.headers["Set-Cookie"].split(";")[0]
        return r

    def get(self, path, headers=None):
        h = {"Cookie": self.cookie} if self.cookie else {}
        h.update(headers or {})
        return self.node.request("GET", path, token=None, headers=h)

    def csrf(self, path="/web"):
        import re
        m = re.search(r'name="csrf" value="([^"]+)"', self.get(path).body)
        return m.group(1) if m else None

    def post(self, path, form, headers=None):
        import urllib.parse
        h = {"Cookie": self.cookie} if self.cookie else {}
        h.update(headers or {})
        return self.node.request("POST", path, token=None, headers=h,
                                 raw=urllib.parse.urlencode(form).encode(),
                                 content_type="application/x-www-form-urlencoded")


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def eq(actual, expected, what=""):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def run(tests, binary):
    """Runs each test(binary) and prints 'N passed, N failed'."""
    passed = failed = 0
    for t in tests:
        start = time.time()
        try:
            t(binary)
            passed += 1
            print(f"ok   {t.__name__} ({time.time() - start:.2f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__}", flush=True)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


# ---- federation (issue 14): several nodes, each its own data dir and port

def node_key(n):
    """The node's public key, "ed25519:HEX" (GET /api/v1/node)."""
    r = n.request("GET", "/api/v1/node")
    assert r.status == 200, r
    return r.json()["public_key"]


def add_peer(n, other, name, audience=(), key=None, url=None):
    """Makes `other` (a Node, or key + url) a peer of `n`; returns its peer id on n."""
    body = {"name": name, "url": url or other.url, "public_key": key or node_key(other),
            "audience": list(audience)}
    r = n.request("POST", "/api/v1/peers", body)
    assert r.status == 201, r
    return r.json()["id"]


def sync(n, peer_id):
    """Pulls peer `peer_id`'s feed now; returns the peer after it."""
    r = n.request("POST", f"/api/v1/peers/{peer_id}/sync")
    assert r.status == 200, r
    return r.json()
