#!/usr/bin/env python3
"""Upgrading a store of schema 2 (the last released format: tests/data/upgrade/SOURCE).

- a read-only command on it says to run 'moat scan' once (exit 2), and
  leaves the file at schema 2;
- 'moat scan' of the same log upgrades it in place (exit 0), reads nothing
  again (schema 2's read cursor is honoured: no event stored twice);
- trace and alerts then answer as from a fresh store of the same log
  (the alerts' sentences are those the old moat wrote).

TAP on stdout. MOAT_BIN, MOAT_SOURCE_ROOT from meson.
"""
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
from tap import done, ok

moat = os.environ["MOAT_BIN"]
src = os.environ["MOAT_SOURCE_ROOT"]
def run(*args):
    env = dict(os.environ, TZ="UTC")
    env.pop("MOAT_DB", None)
    return subprocess.run([moat] + list(args), cwd=src, env=env, capture_output=True, text=True)


def version(db):
    c = sqlite3.connect(db)
    try:
        return c.execute("PRAGMA user_version").fetchone()[0]
    finally:
        c.close()


tmp = tempfile.mkdtemp()
try:
    old = os.path.join(tmp, "old.db")
    with gzip.open(os.path.join(src, "tests/data/upgrade/schema2.db.gz")) as f, open(old, "wb") as o:
        shutil.copyfileobj(f, o)
    fresh = os.path.join(tmp, "fresh.db")

    p = run("trace", "--db", old, "--user", "carol", "--since", "2026-11-12")
    ok(p.returncode == 2 and "run 'moat scan' once" in p.stderr, "before the upgrade: trace says to scan once (%d)" % p.returncode)
    ok(version(old) == 2, "before the upgrade: the file is left at schema 2")

    p = run("scan", "--db", old, "samples/auth.log")
    ok(p.returncode == 0, "scan upgrades the store (exit %d: %s)" % (p.returncode, p.stderr[-200:]))
    ok(version(old) >= 6, "the store is at the current schema (%d)" % version(old))
    ok("0 events decoded" in p.stderr and "already scanned earlier" in p.stderr,
       "schema 2's read cursor is honoured: nothing read twice (%r)" % p.stderr[-300:])

    p = run("scan", "--db", fresh, "samples/auth.log")
    ok(p.returncode == 0, "a fresh scan of the same log")

    a = run("trace", "--db", old, "--user", "carol", "--since", "2026-11-12")
    b = run("trace", "--db", fresh, "--user", "carol", "--since", "2026-11-12")
    ok(a.returncode == 0 and a.stdout == b.stdout and "sudo REFUSED" in a.stdout,
       "trace --user carol: the upgraded store answers as the fresh one")
    a = run("trace", "--db", old, "--session", "web1:11538:1794453129")
    b = run("trace", "--db", fresh, "--session", "web1:11538:1794453129")
    ok(a.returncode == 0 and a.stdout == b.stdout, "trace --session: the same")

    a = [json.loads(l) for l in run("alerts", "--db", old, "--json").stdout.splitlines()]
    b = [json.loads(l) for l in run("alerts", "--db", fresh, "--json").stdout.splitlines()]
    key = lambda x: json.dumps([x.get(k) for k in ("kind", "host", "source", "user", "first", "last", "count",
                                                    "evidence")])
    ok(len(a) == 10 and sorted(map(key, a)) == sorted(map(key, b)),
       "alerts: the same alerts, times, counts and evidence (%d, %d)" % (len(a), len(b)))
    p = run("store", "export", "--db", old)
    ok(p.returncode == 0 and p.stdout.count("\n") > 1000, "store export reads the upgraded store")
finally:
    shutil.rmtree(tmp)
sys.exit(done())
