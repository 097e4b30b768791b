"""The first run (issue 12): `make run` on a machine without the test packages must
build. The build directory of `make run` is configured with -Dunit_tests=auto, which
skips the cmocka unit tests when cmocka is missing; the default (make test, plain meson
setup) still fails loudly without it. cmocka is hidden here from pkg-config and cmake."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, eq, run  # noqa: E402

SRC = os.environ.get("ATALAYA_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))


def setup(tmp, name, *options):
    pc = os.path.join(tmp, "pkgconfig")
    if not os.path.isdir(pc):
        os.mkdir(pc)
        paths = subprocess.run(["pkg-config", "--variable", "pc_path", "pkg-config"],
                               capture_output=True, text=True).stdout.strip().split(":")
        for d in paths:
            for f in glob.glob(os.path.join(d, "*.pc")):
                dst = os.path.join(pc, os.path.basename(f))
                if not os.path.basename(f).startswith("cmocka") and not os.path.exists(dst):
                    os.symlink(f, dst)
        with open(os.path.join(tmp, "native.ini"), "w") as f:
            f.write("[binaries]\ncmake = '/nonexistent/cmake'\n")
    env = dict(os.environ, PKG_CONFIG_LIBDIR=pc)
    env.pop("PKG_CONFIG_PATH", None)
    return subprocess.run(["meson", "setup", os.path.join(tmp, name), SRC, "--native-file",
                           os.path.join(tmp, "native.ini"), *options],
                          capture_output=True, text=True, env=env, timeout=300)


def test_make_run_builds_without_cmocka(binary):
    if not shutil.which("meson") or not shutil.which("pkg-config"):
        print("meson or pkg-config missing: skipped")
        return
    makefile = open(os.path.join(SRC, "Makefile")).read()
    m = re.search(r"^\$\(BUILD\)/build\.ninja:\n\tmeson setup (.*)$", makefile, re.M)
    check(m and "-Dunit_tests=auto" in m.group(1),
          "make run's build directory must be set up with -Dunit_tests=auto")
    tmp = tempfile.mkdtemp(prefix="atalaya-build-")
    try:
        r = setup(tmp, "run", "-Dunit_tests=auto")
        eq(r.returncode, 0, f"meson setup -Dunit_tests=auto without cmocka:\n{r.stdout}\n"
                            f"{r.stderr}")
        check("unit tests not built: cmocka not found" in r.stdout, r.stdout[-2000:])
        r = setup(tmp, "test")
        check(r.returncode != 0, "meson setup (make test's) succeeded without cmocka")
        check("cmocka" in r.stdout + r.stderr, (r.stdout + r.stderr)[-2000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_make_run_builds_without_cmocka], sys.argv[1])
