"""The command line as users and operators meet it (issue 12): help for every command
without a token or data dir, unknown commands, `ingest-mail` exit codes as a mail pipe
transport sees them, and the operator's kit under dist/ (sample config in sync with the
settings table, bash completion, man page, systemd unit)."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Node, check, eq, free_port, run  # noqa: E402

SRC = os.environ.get("ATALAYA_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
DIST = os.path.join(SRC, "dist")
ARF = os.path.join(SRC, "examples", "report.eml")


def bare_env():
    """No token, no URL: what a new user has."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ATALAYA_")}


def cli(binary, *args, env=None, stdin=None, cwd=None, timeout=60):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                          env=env if env is not None else bare_env(), input=stdin,
                          cwd=cwd or tempfile.gettempdir())


def commands(binary):
    out = cli(binary, "help", "--list")
    eq(out.returncode, 0, "help --list")
    names = out.stdout.split()
    for expected in ("init", "serve", "config", "backup", "restore", "report", "alerts",
                     "ingest-mail", "dnsbl", "help"):
        check(expected in names, f"help --list lacks {expected}: {names}")
    return names


def subcommands(binary, name):
    out = cli(binary, "help", "--list", name)
    eq(out.returncode, 0, f"help --list {name}")
    return [w for w in out.stdout.split() if not w.startswith("-")]


def test_help_for_every_command(binary):
    for name in commands(binary):
        h = cli(binary, "help", name)
        eq(h.returncode, 0, f"atalaya help {name}: {h.stderr}")
        check(h.stdout.startswith(f"usage: atalaya {name}"), f"help {name}: {h.stdout[:200]}")
        check("\nExample:\n  atalaya " in h.stdout, f"help {name} has no example")
        for flag in ("--help", "-h"):
            d = cli(binary, name, flag, stdin="")
            eq(d.returncode, 0, f"atalaya {name} {flag}: {d.stderr}")
            eq(d.stdout, h.stdout, f"atalaya {name} {flag} is not `atalaya help {name}`")
        for sub in subcommands(binary, name):
            s = cli(binary, name, sub, "--help")
            eq(s.returncode, 0, f"atalaya {name} {sub} --help: {s.stderr}")
            check(s.stdout.startswith(f"usage: atalaya {name} {sub}"),
                  f"{name} {sub} --help: {s.stdout[:200]}")
            eq(cli(binary, "help", name, sub).stdout, s.stdout, f"help {name} {sub}")
    top = cli(binary, "help")
    eq(top.returncode, 0, "atalaya help")
    for name in commands(binary):
        check(re.search(rf"^  {re.escape(name)} ", top.stdout, re.M), f"help lacks {name}")


def test_unknown_command_and_subcommand(binary):
    r = cli(binary, "reprot")
    eq(r.returncode, 2, "unknown command")
    check("'reprot' is not a command" in r.stderr and "did you mean 'report'" in r.stderr,
          r.stderr)
    r = cli(binary, "help", "frobnicate")
    eq(r.returncode, 2, "help of an unknown command")
    check("'frobnicate' is not a command" in r.stderr, r.stderr)
    r = cli(binary, "help", "report", "frobnicate")
    eq(r.returncode, 2, "help of an unknown subcommand")
    check("not a subcommand of report" in r.stderr, r.stderr)
    r = cli(binary, "config", "frobnicate")
    eq(r.returncode, 2, "config with an unknown subcommand")
    check("atalaya config sample" in r.stderr, r.stderr)


def ingest(binary, url, *args, token=None, token_file=None, stdin=None, timeout=60):
    env = bare_env()
    env["ATALAYA_URL"] = url
    if token:
        env["ATALAYA_TOKEN"] = token
    if token_file:
        env["ATALAYA_TOKEN_FILE"] = token_file
    start = time.time()
    r = cli(binary, "ingest-mail", *args, env=env,
            stdin=stdin if stdin is not None else open(ARF).read(), timeout=timeout)
    return r, time.time() - start


def test_ingest_mail_exit_codes(binary):
    node = Node(binary)
    try:
        node.start()
        # stored
        r, _ = ingest(binary, node.url, token=node.admin_token)
        eq(r.returncode, 0, f"a valid ARF report: {r.stderr}")
        check("abuse report 1 stored" in r.stdout, r.stdout)
        # the report itself is bad: the only bounce
        r, _ = ingest(binary, node.url, token=node.admin_token,
                      stdin="From: a@example.org\nSubject: hello\n\nnot a report\n")
        eq(r.returncode, 65, f"not an abuse report: {r.stderr}")
        # no token at all: a configuration problem of ours, the mail stays queued
        r, _ = ingest(binary, node.url)
        eq(r.returncode, 75, f"no token: {r.stderr}")
        check("no token" in r.stderr, r.stderr)
        # a token file that does not exist, or cannot be read (a directory)
        missing = os.path.join(node.dir, "nope.token")
        r, _ = ingest(binary, node.url, token_file=missing)
        eq(r.returncode, 75, f"missing token file: {r.stderr}")
        check(missing in r.stderr, f"the error should name {missing}: {r.stderr}")
        r, _ = ingest(binary, node.url, token_file=node.dir)
        eq(r.returncode, 75, f"unreadable token file: {r.stderr}")
        # a refused token (401)
        r, _ = ingest(binary, node.url, token="atalaya_0000000000000000000000000000")
        eq(r.returncode, 75, f"refused token: {r.stderr}")
        check("refused the token" in r.stderr, r.stderr)
        # nothing of the refused attempts was stored
        rep = node.request("GET", "/api/v1/reputation?value=203.0.113.45").json()
        eq(rep.get("reports"), 1, f"abuse reports counted for the source: {rep}")
    finally:
        node.cleanup()
    # connection refused: nothing listens there
    r, _ = ingest(binary, f"http://127.0.0.1:{free_port()}", token="x")
    eq(r.returncode, 75, f"connection refused: {r.stderr}")
    # a stalled node: accepts, reads, never answers
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def accept():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            held.append(c)

    threading.Thread(target=accept, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.getsockname()[1]}"
        r, took = ingest(binary, url, "--timeout", "2", token="x", timeout=30)
        eq(r.returncode, 75, f"stalled node: {r.stderr}")
        check(1.5 < took < 15, f"--timeout 2 took {took:.1f} s")
        r, _ = ingest(binary, url, "--timeout", "soon", token="x")
        eq(r.returncode, 75, f"a bad --timeout is a configuration error: {r.stderr}")
        check("--timeout: 'soon'" in r.stderr, r.stderr)
    finally:
        srv.close()
        for c in held:
            c.close()


def test_sample_config_matches_the_settings_table(binary):
    sample = cli(binary, "config", "sample")
    eq(sample.returncode, 0, "config sample")
    shipped = open(os.path.join(DIST, "atalaya.conf")).read()
    check(sample.stdout == shipped,
          "dist/atalaya.conf differs from `atalaya config sample`: regenerate it with "
          "`build/atalaya config sample > dist/atalaya.conf`")
    show = cli(binary, "config", "show").stdout.splitlines()[1:]
    names = [line.split()[0] for line in show if line.strip()]
    for n in names:
        check(re.search(rf"^#{n} = ", shipped, re.M), f"dist/atalaya.conf lacks {n}")
    tmp = tempfile.mkdtemp(prefix="atalaya-conf-")
    try:
        r = cli(binary, "config", "check", os.path.join(DIST, "atalaya.conf"))
        eq(r.returncode, 0, f"config check of the sample: {r.stderr}")
        # every default, uncommented, is a valid value
        active = "".join(line[1:] + "\n" for line in shipped.splitlines()
                         if re.match(r"^#[a-z_]+ = ", line))
        path = os.path.join(tmp, "atalaya.conf")
        open(path, "w").write(active)
        r = cli(binary, "config", "check", path)
        eq(r.returncode, 0, f"config check of the uncommented sample: {r.stderr}")
    finally:
        shutil.rmtree(tmp)


def complete(binary, *words):
    """What bash completes for the words (the last one being typed)."""
    script = (f"source {DIST}/atalaya.bash\n"
              f"complete -p atalaya\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in (binary,) + words)})\n"
              f"COMP_CWORD={len(words)}\n"
              "_atalaya\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    r = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True,
                       timeout=30)
    eq(r.returncode, 0, f"bash completion: {r.stderr}")
    lines = r.stdout.splitlines()
    check(lines and lines[0] == "complete -F _atalaya atalaya", f"complete -p: {lines[:1]}")
    return lines[1:]


def test_bash_completion(binary):
    eq(sorted(complete(binary, "re")), ["report", "reputation", "request", "restore"],
       "atalaya re<TAB>")
    eq(sorted(complete(binary, "alerts", "")), ["ack", "list", "secret", "show"],
       "atalaya alerts <TAB>")
    check("--audience" in complete(binary, "report", "submit", "--au"), "report submit --au")
    for name in commands(binary):
        eq(complete(binary, name), [name], f"atalaya {name}<TAB>")


def test_man_page(binary):
    page = os.path.join(DIST, "atalaya.8")
    text = open(page).read()
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "FILES", "SIGNALS",
                    "EXIT STATUS", "ENVIRONMENT", "SEE ALSO"):
        check(re.search(rf'^\.SH "?{section}"?$', text, re.M), f"atalaya.8 lacks {section}")
    for name in commands(binary):
        check(f".B {name.replace('-', chr(92) + '-')}" in text, f"atalaya.8 lacks {name}")
    check(re.search(r"^\.BR 75 ", text, re.M) and re.search(r"^\.BR 65 ", text, re.M),
          "atalaya.8 does not give ingest-mail's exit codes")
    if shutil.which("groff"):
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True,
                           text=True)
        eq((r.returncode, r.stderr), (0, ""), "groff warnings on atalaya.8")


def test_systemd_unit(binary):
    unit = open(os.path.join(DIST, "atalaya.service.in")).read()
    for line in ("User=atalaya", "ProtectSystem=strict", "ReadWritePaths=/var/lib/atalaya",
                 "StateDirectory=atalaya", "NoNewPrivileges=yes", "ProtectHome=yes",
                 "PrivateTmp=yes", "PrivateDevices=yes", "MemoryDenyWriteExecute=yes",
                 "SystemCallFilter=@system-service", "ExecReload=/bin/kill -HUP $MAINPID",
                 "Type=exec"):
        check(re.search(rf"^{re.escape(line)}$", unit, re.M), f"atalaya.service lacks {line}")
    sysusers = open(os.path.join(DIST, "atalaya.sysusers")).read()
    check(re.search(r"^u atalaya ", sysusers, re.M), "sysusers entry for atalaya")
    if not shutil.which("systemd-analyze"):
        print("systemd-analyze not installed: unit not verified")
        return
    tmp = tempfile.mkdtemp(prefix="atalaya-unit-")
    try:
        path = os.path.join(tmp, "atalaya.service")
        open(path, "w").write(unit.replace("@BINDIR@/atalaya", os.path.abspath(binary)))
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                           capture_output=True, text=True)
        # systemd-analyze reports each problem as "FILE:LINE: ..." on stderr
        bad = [l for l in r.stderr.splitlines() if "atalaya.service:" in l]
        check(not bad, f"systemd-analyze verify: {r.stderr}")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    run([test_help_for_every_command, test_unknown_command_and_subcommand,
         test_ingest_mail_exit_codes, test_sample_config_matches_the_settings_table,
         test_bash_completion, test_man_page, test_systemd_unit], sys.argv[1])
