#!/usr/bin/env python3
"""End-to-end scenarios: the real moat binary on small inputs.

Each folder tests/e2e/<scenario>/ holds:
  cmd              one step per line: moat's arguments, split on spaces;
                   {src} = source root, {data} = ../shared/data, {tmp} = a fresh
                   temp dir for the scenario (stores go there). A step may end
                   with "< FILE" to feed FILE on stdin, and begin with NAME=VALUE
                   words that set environment variables for it (TZ=Asia/Tokyo,
                   MOAT_NOW=2026-11-20T12:00:00Z: "now" for relative times).
  expected         what the steps print on stdout, each step's output after a
                   line "$ ARGS" (placeholders kept as written)
  expected.exit    optional: exit status of each step, one per line (default 0)
  expected.stderr  optional: lines that must each appear in the steps' stderr

MOAT_E2E_UPDATE=1 rewrites expected (and expected.exit) from what moat does
now: review the diff before committing it.
"""
import os
import shutil
import subprocess
import sys
import tempfile

src = os.environ["MOAT_SOURCE_ROOT"]
moat = os.environ["MOAT_BIN"]
data = os.environ.get("MOAT_SHARED_DATA", os.path.join(src, "..", "shared", "data"))
update = os.environ.get("MOAT_E2E_UPDATE") == "1"
root = os.path.join(src, "tests", "e2e")
only = sys.argv[1:]

failed = 0
n = 0
for name in sorted(os.listdir(root)):
    d = os.path.join(root, name)
    # (Python's own __pycache__ is no scenario)
    if not os.path.isdir(d) or name == "__pycache__" or (only and name not in only):
        continue
    n += 1
    tmp = tempfile.mkdtemp(prefix="moat-e2e-")
    out, codes, err = [], [], []
    with open(os.path.join(d, "cmd")) as f:
        steps = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    for step in steps:
        stdin_path = None
        if " < " in step:
            step, stdin_path = step.split(" < ", 1)
        fill = lambda s: s.replace("{src}", src).replace("{data}", data).replace("{tmp}", tmp)
        args = [fill(a) for a in step.split()]
        env = dict(os.environ, TZ="UTC", NO_COLOR="1", MOAT_DB=os.path.join(tmp, "default.db"),
                   MOAT_ROOT=tmp)  # default log paths: {tmp}/var/log/auth.log* (none unless a step makes them)
        while args and "=" in args[0] and args[0].split("=", 1)[0].isupper():
            var, value = args.pop(0).split("=", 1)
            env[var] = value
        stdin = open(fill(stdin_path)) if stdin_path else subprocess.DEVNULL
        p = subprocess.run([moat] + args, stdin=stdin, capture_output=True, env=env, timeout=120)
        out.append("$ " + step + (" < " + stdin_path if stdin_path else "") + "\n")
        out.append(p.stdout.decode("utf-8", "backslashreplace").replace(tmp, "{tmp}").replace(src, "{src}"))
        codes.append(str(p.returncode))
        err.append(p.stderr.decode("utf-8", "backslashreplace"))
    got = "".join(out)
    exp_path = os.path.join(d, "expected")
    exit_path = os.path.join(d, "expected.exit")
    if update:
        with open(exp_path, "w") as f:
            f.write(got)
        if any(c != "0" for c in codes) or os.path.exists(exit_path):
            with open(exit_path, "w") as f:
                f.write("\n".join(codes) + "\n")
    want = open(exp_path).read() if os.path.exists(exp_path) else ""
    want_codes = open(exit_path).read().split() if os.path.exists(exit_path) else ["0"] * len(codes)
    problems = []
    if got != want:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "expected", "got", n=2))
        problems.append("stdout differs:\n" + diff[:6000])
    if codes != want_codes:
        problems.append("exit codes %s, expected %s" % (codes, want_codes))
    stderr_path = os.path.join(d, "expected.stderr")
    if os.path.exists(stderr_path):
        allerr = "".join(err)
        for line in open(stderr_path):
            line = line.rstrip("\n")
            if line and line not in allerr:
                problems.append("stderr lacks: %r\n  stderr was: %s" % (line, allerr[:2000]))
    if problems:
        failed += 1
        print("not ok %d - %s" % (n, name))
        for pr in problems:
            print("# " + pr.replace("\n", "\n# "))
    else:
        print("ok %d - %s" % (n, name))
    shutil.rmtree(tmp, ignore_errors=True)
print("1..%d" % n)
sys.exit(1 if failed or n == 0 else 0)
