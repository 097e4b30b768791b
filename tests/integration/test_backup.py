"""`atalaya backup` and `atalaya restore` (issue 12): an online backup taken while
submissions continue holds every report acknowledged before it started, byte for byte,
and a daemon started on the restored directory serves them. Restore refuses what would
lose data: a non-empty directory, a directory a daemon holds, a damaged backup."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Node, check, eq, run  # noqa: E402
import stixgen  # noqa: E402


def atalaya(binary, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATALAYA_")}
    return subprocess.run([binary, *args], capture_output=True, text=True, env=env,
                          timeout=300)


def submit(node, n_objects=20):
    objs = [stixgen.indicator(f"[ipv4-addr:value = '198.51.100.{i % 250 + 1}']", tlp="green")
            for i in range(n_objects)]
    body = stixgen.dumps(stixgen.bundle(objs))
    r = node.request("POST", "/api/v1/reports?audience=all", raw=body,
                     content_type="application/stix+json;version=2.1")
    return r, body


def tree(path):
    out = {}
    for root, _, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, path)] = open(p, "rb").read()
    return out


def test_online_backup_and_restore(binary):
    node = Node(binary)
    restored = None
    try:
        node.start()
        acked = {}
        for i in range(15):
            r, body = submit(node, 20 + i)
            eq(r.status, 201, f"submission {i}: {r}")
            acked[r.json()["id"]] = body
        # a big one, so that the backup has something to copy while writes go on
        r, body = submit(node, 20000)
        eq(r.status, 201, f"big submission: {r}")
        big = r.json()["id"]  # kept as a file; the small ones in the store
        acked[big] = body

        stop = threading.Event()
        during = []

        def keep_submitting():
            while not stop.is_set():
                r, _ = submit(node, 50)
                during.append(r.status)

        t = threading.Thread(target=keep_submitting)
        t.start()
        time.sleep(0.3)
        dest = os.path.join(node.dir, "backup")
        out = atalaya(binary, "backup", "--data", node.data, dest)
        time.sleep(0.3)
        stop.set()
        t.join()
        eq(out.returncode, 0, f"backup: {out.stderr}")
        check("verified" in out.stdout, out.stdout)
        check(during and all(s == 201 for s in during),
              f"submissions during the backup: {during}")
        check(not os.path.exists(os.path.join(dest, "BACKUP_INCOMPLETE")), "marker left")
        for name in ("node.key", "admin.token"):
            eq(open(os.path.join(dest, name), "rb").read(),
               open(os.path.join(node.data, name), "rb").read(), f"backup of {name}")
        eq(oct(os.stat(os.path.join(dest, "node.key")).st_mode & 0o777), "0o600",
           "node.key mode in the backup")
        node.stop()

        # a second backup into the same (non-empty) directory is refused
        out = atalaya(binary, "backup", "--data", node.data, dest)
        eq(out.returncode, 1, "backup into a non-empty directory")
        check("is not empty" in out.stderr, out.stderr)

        # restore into a new directory and serve it
        restored = Node(binary, name="scratch")
        shutil.rmtree(restored.data)
        out = atalaya(binary, "restore", "--data", restored.data, dest)
        eq(out.returncode, 0, f"restore: {out.stderr}")
        restored.admin_token = open(os.path.join(restored.data, "admin.token")).read().strip()
        eq(restored.admin_token, node.admin_token, "restored admin token")
        restored.start()
        health = restored.request("GET", "/api/v1/health", token=None).json()
        eq(health.get("node"), "CERT-UY", "the restored node's name")
        for rid, body in acked.items():
            r = restored.request("GET", f"/api/v1/reports/{rid}/bundle")
            eq(r.status, 200, f"restored {rid}")
            check(r.body.encode() == body, f"restored {rid}: bundle bytes differ")
        lst = restored.request("GET", "/api/v1/reports?limit=1000").json()["items"]
        check(len(lst) >= len(acked), f"{len(lst)} reports listed, {len(acked)} acknowledged")
        for item in lst:  # whatever the snapshot holds, it serves
            eq(restored.request("GET", f"/api/v1/reports/{item['id']}/bundle").status, 200,
               f"bundle of {item['id']}")

        # restore over a live node: refused while its daemon (running now) holds DATA/lock
        before = tree(os.path.join(restored.data, "reports"))
        out = atalaya(binary, "restore", "--data", restored.data, "--force", dest)
        eq(out.returncode, 1, "restore while a daemon holds the lock")
        check("a daemon is running" in out.stderr, out.stderr)
        eq(restored.request("GET", "/api/v1/health", token=None).status, 200,
           "the running daemon is untouched")
        restored.stop()
        # not empty: refused without --force, nothing changed
        out = atalaya(binary, "restore", "--data", restored.data, dest)
        eq(out.returncode, 1, "restore into a non-empty directory")
        check("is not empty" in out.stderr and "--force" in out.stderr, out.stderr)
        eq(tree(os.path.join(restored.data, "reports")), before, "reports after refusals")
        # the restored files belong to the user the daemon will run as (here the
        # `user` setting of the restored atalaya.conf), so it can read every report
        if os.geteuid() == 0:
            with open(os.path.join(dest, "atalaya.conf"), "a") as f:
                f.write("user = nobody\n")
        out = atalaya(binary, "restore", "--data", restored.data, "--force", dest)
        eq(out.returncode, 0, f"restore --force: {out.stderr}")
        restored.start()
        for rid, body in acked.items():
            r = restored.request("GET", f"/api/v1/reports/{rid}/bundle")
            eq(r.status, 200, f"restored again {rid}")
            check(r.body.encode() == body, f"restored again {rid}: bundle bytes differ")
        if os.geteuid() == 0:
            import pwd
            owner = os.stat(os.path.join(restored.data, "reports", f"{big}.json")).st_uid
            eq(owner, pwd.getpwnam("nobody").pw_uid, "owner of a restored report file")
    finally:
        node.cleanup()
        if restored:
            restored.cleanup()


def test_damaged_backup_is_refused(binary):
    node = Node(binary)
    try:
        node.start()
        r, _ = submit(node)
        eq(r.status, 201, "submission")
        small = r.json()["id"]  # kept in the store
        r, _ = submit(node, 400)
        eq(r.status, 201, "submission")
        rid = r.json()["id"]  # more than 64 KiB: kept as a file
        node.stop()
        dest = os.path.join(node.dir, "backup")
        out = atalaya(binary, "backup", "--data", node.data, dest)
        eq(out.returncode, 0, f"backup of a stopped node: {out.stderr}")
        # one report file changed: restore names it and touches nothing
        path = os.path.join(dest, "reports", f"{rid}.json")
        data = bytearray(open(path, "rb").read())
        data[10] ^= 1
        open(path, "wb").write(bytes(data))
        target = os.path.join(node.dir, "restored")
        out = atalaya(binary, "restore", "--data", target, dest)
        eq(out.returncode, 1, "restore of a damaged backup")
        check(f"{rid}.json" in out.stderr and "sha256" in out.stderr, out.stderr)
        check(not os.path.exists(target), "the target directory was created")
        # a missing one
        os.unlink(path)
        out = atalaya(binary, "restore", "--data", target, dest)
        eq(out.returncode, 1, "restore with a report file missing")
        check(f"{rid}.json" in out.stderr, out.stderr)
        # a report kept in the store, one byte changed there
        data[10] ^= 1
        open(path, "wb").write(bytes(data))
        db = sqlite3.connect(os.path.join(dest, "atalaya.db"))
        (seq, body), = db.execute("SELECT b.report, b.body FROM report_bodies b JOIN reports r "
                                  "ON r.seq = b.report WHERE r.id = ?", (small,)).fetchall()
        body = bytearray(body)
        body[10] ^= 1
        db.execute("UPDATE report_bodies SET body = ? WHERE report = ?", (bytes(body), seq))
        db.commit()
        db.close()
        out = atalaya(binary, "restore", "--data", target, dest)
        eq(out.returncode, 1, "restore with a report changed in the store")
        check(small in out.stderr and "sha256" in out.stderr, out.stderr)
        check(not os.path.exists(target), "the target directory was created")
        # an interrupted backup says so and is refused
        open(os.path.join(dest, "BACKUP_INCOMPLETE"), "w").close()
        out = atalaya(binary, "restore", "--data", target, dest)
        eq(out.returncode, 1, "restore of an incomplete backup")
        check("incomplete backup" in out.stderr, out.stderr)
        # usage
        eq(atalaya(binary, "backup", "--data", node.data).returncode, 2, "backup without DEST")
        out = atalaya(binary, "backup", "--data", os.path.join(node.dir, "nowhere"),
                      os.path.join(node.dir, "b2"))
        eq(out.returncode, 1, "backup of a directory that is no node")
        check("is not a node's data directory" in out.stderr, out.stderr)
    finally:
        node.cleanup()


if __name__ == "__main__":
    run([test_online_backup_and_restore, test_damaged_backup_is_refused], sys.argv[1])
