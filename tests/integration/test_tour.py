"""The README's five-minute tour, run as written (issue 12): the shell block under
"## Five-minute tour" is pasted into bash in a scratch directory holding `build/atalaya`
(the binary under test) and `examples/`, with the ports swapped for free ones. It must
run to the end, raise a real alert and acknowledge it, and answer over DNS."""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Failure, check, free_port, run  # noqa: E402

SRC = os.environ.get("ATALAYA_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))


def tour_block():
    text = open(os.path.join(SRC, "README.md")).read()
    section = text[text.index("## Five-minute tour"):]
    m = re.search(r"```sh\n(.*?)```", section, re.S)
    check(m, "README: no ```sh block in the tour")
    return m.group(1)


def test_tour_runs_as_pasted(binary):
    tmp = tempfile.mkdtemp(prefix="atalaya-tour-")
    os.chmod(tmp, 0o755)
    http, dns = free_port(), free_port()
    serve_pid = None
    try:
        os.mkdir(os.path.join(tmp, "build"))
        os.symlink(os.path.abspath(binary), os.path.join(tmp, "build", "atalaya"))
        shutil.copytree(os.path.join(SRC, "examples"), os.path.join(tmp, "examples"))
        # The example's indicator was created on 2026-12-01; decay would make an old one
        # raise nothing, so the copy is dated yesterday (the README's file is unchanged).
        yesterday = (datetime.datetime.now(datetime.timezone.utc)
                     - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
        bpath = os.path.join(tmp, "examples", "bundle.json")
        with open(bpath) as f:
            bundle = f.read().replace("2026-12-01T", yesterday + "T")
        with open(bpath, "w") as f:
            f.write(bundle)
        script = tour_block().replace("8440", str(http)).replace("8053", str(dns))
        script = "set -e -o pipefail\n" + script.replace(
            "SERVE_PID=$!;", "SERVE_PID=$!; echo \"serve-pid $SERVE_PID\";")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATALAYA_")}
        out = subprocess.run(["bash", "-c", script], cwd=tmp, capture_output=True, text=True,
                             env=env, timeout=300)
        m = re.search(r"serve-pid (\d+)", out.stdout)
        serve_pid = int(m.group(1)) if m else None
        log = f"--- stdout\n{out.stdout}\n--- stderr\n{out.stderr}"
        check(out.returncode == 0, f"the tour stopped (exit {out.returncode})\n{log}")
        o = out.stdout
        check('"status":"ok"' in o.replace(" ", ""), f"health not ok\n{log}")
        check(re.search(r"report report--[0-9a-f-]+ stored: 5 objects, tlp clear", o),
              f"the example bundle was not stored as TLP:CLEAR\n{log}")
        check(re.search(r"^1\s+open\b.*CSIRT Chile", o, re.M), f"no open alert 1\n{log}")
        check("alert 1 acknowledged" in o, f"alert 1 not acknowledged\n{log}")
        check(re.search(r"^1\s+acknowledged\b", o, re.M), f"alert 1 not listed as acked\n{log}")
        check("abuse report 1 stored (arf" in o, f"the example ARF report was refused\n{log}")
        check("203.0.113.45: not listed" in o or "203.0.113.45: listed" in o,
              f"no reputation for the ARF source\n{log}")
        check("127.0.0.2\n" in o, f"no RFC 5782 test entry answer\n{log}")
        check("https://atalaya.example.org/" in o, f"TXT does not link to public_url\n{log}")
        check("127.0.0.9\n" in o, f"the TLP:CLEAR C2 address is not in the DNSBL\n{log}")
        check(re.search(r"imported \d+ entries \(ip4set\)", o), f"zone import\n{log}")
        exported = open(os.path.join(tmp, "exported.ip4set")).read()
        check("192.0.2.25" in exported, f"export lacks an imported entry: {exported[:300]}")
    finally:
        if serve_pid:
            try:
                os.kill(serve_pid, 9)
            except OSError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_tour_runs_as_pasted], sys.argv[1])
