#!/usr/bin/env python3
"""The store never lies: the real moat binary under bad luck and hostile
neighbours. Each case compares what a store holds (`moat store export`:
events, alerts, baselines) with what one clean scan of the same logs gives.

  crash       kill -9 at random points of single- and multi-file scans (and
              during the scan that finishes an interrupted one), then a
              rescan: identical to one clean scan
  concurrent  two scans of one store at once: one waits, nothing twice;
              --wait 0 fails at once with exit 2
  disk-full   a tmpfs too small for the store (a user+mount namespace):
              exit 2 with the reason, the store as after its last commit,
              and after room is made a rescan gives the clean result
  gzip-flips  300 single-bit flips of a .gz: no event that is not in the
              clean file, a damaged file is reported (exit 2) and not marked
              as read (the good copy is read whole afterwards)
  identity    a small file whose first line equals an earlier file's is not
              skipped; the same stdin twice adds nothing twice
  paths       --db through a symlink planted in a directory others can write,
              a planted -wal link, a store another user owns, a store holding
              a trigger: refused with exit 2, nothing written through them
  output      output to a full disk (/dev/full) or a closed pipe: exit 2;
              a character device as input: refused

TAP on stdout. MOAT_BIN, MOAT_SOURCE_ROOT from meson; RELIABILITY_SEED
changes the random points (default fixed, so a failure can be replayed).
"""
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
from crashes import kill_randomly
from tap import done, ok

moat = os.environ["MOAT_BIN"]
src = os.environ["MOAT_SOURCE_ROOT"]
gen = os.environ.get("MOAT_BENCH_GEN", os.path.join(os.path.dirname(moat), "moat-bench-gen"))
seed = int(os.environ.get("RELIABILITY_SEED", "20261207"))
rng = random.Random(seed)
only = sys.argv[1:]


def env(db, **more):
    e = dict(os.environ, TZ="UTC", NO_COLOR="1", MOAT_DB=db)
    e.update({k: str(v) for k, v in more.items()})
    return e


def scan(db, files, extra=(), stdin=None, **more):
    return subprocess.run([moat, "scan", "-q", "--db", db, "--tz", "UTC"] + list(extra) + list(files),
                          env=env(db, **more), stdin=stdin if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, timeout=600)


def export(db):
    """The store's content, in a canonical order (events of one instant
    may be handed over in another order by stores built in other batches:
    the same events)."""
    p = subprocess.run([moat, "store", "export", "--db", db], env=env(db), capture_output=True, timeout=600)
    if p.returncode != 0:
        return None
    return b"".join(sorted(p.stdout.splitlines(keepends=True)))


def diff_summary(a, b):
    if a is None or b is None:
        return "export failed"
    la, lb = a.decode().splitlines(), b.decode().splitlines()
    sa, sb = set(la), set(lb)
    return "%d vs %d lines; only in clean: %s; only in other: %s" % (
        len(la), len(lb), list(sa - sb)[:2], list(sb - sa)[:2])


def make_logs(d):
    """A rotated set: auth.log.2.gz (older), auth.log.1, auth.log, from the
    bench generator (attacks, logins, sudo: every detector has work) plus
    the bundled sample's incident."""
    big = subprocess.run([gen, "--mb", "3", "--sources", "300", "--seed", "5"], capture_output=True,
                         check=True).stdout
    lines = big.splitlines(keepends=True)
    third = len(lines) // 3
    with gzip.open(os.path.join(d, "auth.log.2.gz"), "wb") as f:
        f.writelines(lines[:third])
    with open(os.path.join(d, "auth.log.1"), "wb") as f:
        f.writelines(lines[third:2 * third])
    with open(os.path.join(d, "auth.log"), "wb") as f:
        f.writelines(lines[2 * third:])
    return [os.path.join(d, n) for n in ("auth.log.2.gz", "auth.log.1", "auth.log")]


def case_crash(tmp):
    logs = make_logs(tmp)
    sample = os.path.join(src, "samples", "auth.log")
    for name, files in (("single file", [sample]), ("rotated set", logs)):
        clean_db = os.path.join(tmp, "clean-%s.db" % name.replace(" ", "-"))
        for f in (clean_db, clean_db + "-wal", clean_db + "-shm"):
            if os.path.exists(f):
                os.unlink(f)
        p = scan(clean_db, files, MOAT_BATCH_BYTES=65536)
        ok(p.returncode == 0, "crash/%s: the clean scan works (exit %d %s)" % (name, p.returncode, p.stderr[-200:]))
        clean = export(clean_db)
        # time a whole scan once, to spread the kill points over it
        t0 = time.monotonic()
        probe = os.path.join(tmp, "probe-%s.db" % name.replace(" ", "-"))
        scan(probe, files, MOAT_BATCH_BYTES=65536)
        whole = max(time.monotonic() - t0, 0.05)
        for k in range(8):
            db = os.path.join(tmp, "crash-%s-%d.db" % (name.replace(" ", "-"), k))
            kills = kill_randomly([moat, "scan", "-q", "--db", db, "--tz", "UTC"] + files,
                                  env(db, MOAT_BATCH_BYTES=65536), whole, rng)
            p = scan(db, files)
            got = export(db)
            ok(p.returncode == 0 and got == clean,
               "crash/%s: killed %d time(s) at random points, then a rescan equals one clean scan (%s)" %
               (name, kills, "same" if got == clean else diff_summary(clean, got)))
            p = scan(db, files)
            ok(export(db) == clean, "crash/%s: and scanning again adds nothing" % name)


def case_concurrent(tmp):
    logs = make_logs(tmp)
    clean_db = os.path.join(tmp, "clean.db")
    scan(clean_db, logs)
    clean = export(clean_db)
    db = os.path.join(tmp, "two.db")
    a = subprocess.Popen([moat, "scan", "-q", "--db", db, "--tz", "UTC"] + logs, env=env(db, MOAT_BATCH_BYTES=65536),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    b = subprocess.Popen([moat, "scan", "-q", "--db", db, "--tz", "UTC"] + logs, env=env(db, MOAT_BATCH_BYTES=65536),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ea, eb = a.communicate(timeout=600)[1], b.communicate(timeout=600)[1]
    ok(a.returncode == 0 and b.returncode == 0, "concurrent: both scans end well (%d, %d)%s" %
       (a.returncode, b.returncode, "" if a.returncode == 0 and b.returncode == 0 else " %r %r" % (ea[-300:], eb[-300:])))
    got = export(db)
    ok(got == clean, "concurrent: the store holds each event once (%s)" %
       ("same" if got == clean else diff_summary(clean, got)))
    # one holds the lock: the other fails at once with --wait 0
    db2 = os.path.join(tmp, "three.db")
    a = subprocess.Popen([moat, "scan", "-q", "--db", db2, "--tz", "UTC"] + logs,
                         env=env(db2, MOAT_BATCH_BYTES=4096), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    p = scan(db2, logs, extra=["--wait", "0"])
    a.wait(timeout=600)
    if a.returncode == 0 and p.returncode == 0:
        ok(True, "concurrent: --wait 0 (the first scan ended before the second began: nothing to show) # SKIP")
    else:
        ok(p.returncode == 2 and b"is being written by moat pid" in p.stderr,
           "concurrent: --wait 0 while another scan writes: exit 2, saying who (%r)" % p.stderr[-200:])


def case_disk_full(tmp):
    if shutil.which("unshare") is None:
        ok(True, "disk-full # SKIP no unshare")
        return
    logs = make_logs(tmp)
    clean_db = os.path.join(tmp, "clean.db")
    scan(clean_db, logs, MOAT_BATCH_BYTES=65536)
    clean = export(clean_db)
    mnt = os.path.join(tmp, "small")
    os.mkdir(mnt)
    db = os.path.join(mnt, "moat.db")
    keep = os.path.join(tmp, "kept.db")
    # a tmpfs of two thirds of what the store needs, in a mount namespace of
    # our own: the scan runs out of room after some commits; the store is
    # copied out before the namespace goes
    need = sum(os.path.getsize(f) for f in (clean_db, clean_db + "-wal") if os.path.exists(f))
    size = max(need * 2 // 3 // 4096 * 4096, 1536 * 1024)
    script = ('mount -t tmpfs -o size=' + str(size) + ' none "$1" && '
              'MOAT_BATCH_BYTES=65536 "$2" scan -q --db "$1/moat.db" --tz UTC "${@:4}"; rc=$?; '
              'for f in "$1"/moat.db*; do cp "$f" "$3${f#$1/moat.db}"; done; exit $rc')
    p = subprocess.run(["unshare", "-rm", "bash", "-c", script, "x", mnt, moat, keep] + logs,
                       env=env(db), capture_output=True, timeout=600)
    if p.returncode != 0 and b"Operation not permitted" in p.stderr and b"mount" in p.stderr:
        ok(True, "disk-full # SKIP user namespaces not allowed here")
        return
    ok(p.returncode == 2, "disk-full: exit 2 when the store cannot be written (exit %d)" % p.returncode)
    ok(b"full" in p.stderr.lower() or b"space" in p.stderr.lower(),
       "disk-full: says why (%r)" % p.stderr[-300:])
    r = subprocess.run(["sqlite3", keep, "PRAGMA integrity_check"], capture_output=True)
    ok(r.stdout.strip() == b"ok", "disk-full: the store is intact (%r)" % r.stdout[:100])
    part = export(keep)
    events = lambda x: [l for l in x.decode().splitlines() if '"type":"event"' in l]
    pe, ce = (events(part) if part else None), events(clean)
    from collections import Counter
    ok(pe is not None and len(pe) > 0 and not (Counter(pe) - Counter(ce)),
       "disk-full: the events it holds are a clean scan's (nothing invented or doubled; %s of %d)" %
       (len(pe) if pe is not None else "none", len(ce)))
    p = scan(keep, logs)
    got = export(keep)
    ok(p.returncode == 0 and got == clean, "disk-full: with room again, a rescan gives the clean result (%s)" %
       ("same" if got == clean else diff_summary(clean, got)))


def case_gzip_flips(tmp):
    text = open(os.path.join(src, "samples", "auth.log"), "rb").read()
    good = os.path.join(tmp, "auth.log.2.gz")
    with gzip.open(good, "wb") as f:
        f.write(text)
    clean_db = os.path.join(tmp, "clean.db")
    scan(clean_db, [good])
    clean = export(clean_db)
    clean_events = set(l for l in clean.decode().splitlines() if '"type":"event"' in l)
    raw = open(good, "rb").read()
    invented = damaged = reported = 0
    for i in range(300):
        b = bytearray(raw)
        pos = rng.randrange(len(b))
        b[pos] ^= 1 << rng.randrange(8)
        bad = os.path.join(tmp, "flip.gz")
        with open(bad, "wb") as f:
            f.write(b)
        db = os.path.join(tmp, "flip-%d.db" % i)
        p = scan(db, [bad])
        got = export(db) or b""
        ev = set(l.replace('"file":"%s"' % bad, '"file":"%s"' % good) for l in got.decode().splitlines()
                 if '"type":"event"' in l)
        if ev - clean_events:
            invented += 1
        if p.returncode == 2:
            damaged += 1
            reported += b"gzip" in p.stderr
            # not marked as read: the good copy, scanned into the same store, is read whole
            if i % 30 == 0:
                p2 = scan(db, [good])
                got2 = export(db) or b""
                ev2 = set(l for l in got2.decode().splitlines() if '"type":"event"' in l)
                ok(p2.returncode == 0 and clean_events <= ev2,
                   "gzip-flips: flip %d: the good file afterwards is read, nothing of it skipped" % i)
        for f in (db, db + "-wal", db + "-shm"):
            if os.path.exists(f):
                os.unlink(f)
    ok(invented == 0, "gzip-flips: 300 single-bit flips, %d stored an event the file does not hold" % invented)
    ok(damaged > 250 and reported == damaged,
       "gzip-flips: damage is reported with exit 2 naming gzip (%d of 300 damaged, %d reported)" % (damaged, reported))


def case_identity(tmp):
    first = b"Nov  1 00:00:01 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n"
    a = os.path.join(tmp, "a.log")
    b = os.path.join(tmp, "b.log")
    with open(a, "wb") as f:
        f.write(first + b"Nov  1 00:00:02 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n")
    with open(b, "wb") as f:
        f.write(first + b"Nov  1 00:00:03 h sshd[2]: Failed password for admin from 192.0.2.9 port 23 ssh2\n")
    db = os.path.join(tmp, "id.db")
    scan(db, [a])
    p = scan(db, [b])
    got = export(db).decode()
    ok(p.returncode == 0 and '"source":"192.0.2.9"' in got,
       "identity: a small file whose first line equals an earlier file's is read whole")
    # the same stdin twice
    text = open(os.path.join(src, "samples", "auth.log"), "rb").read()
    db2 = os.path.join(tmp, "stdin.db")
    p1 = scan(db2, ["-"], stdin=open(os.path.join(src, "samples", "auth.log"), "rb"))
    e1 = export(db2)
    p2 = scan(db2, ["-"], stdin=open(os.path.join(src, "samples", "auth.log"), "rb"))
    e2 = export(db2)
    ok(p1.returncode == 0 and p2.returncode == 0 and e1 == e2 and e1.count(b'"type":"event"') > 100,
       "identity: the same stdin twice adds nothing twice")
    more = os.path.join(tmp, "more.log")
    with open(more, "wb") as f:
        f.write(text + b"2026-11-20T00:00:00+00:00 web1 sshd[9]: Failed password for root from 192.0.2.77 port 1 ssh2\n")
    p3 = scan(db2, ["-"], stdin=open(more, "rb"))
    e3 = export(db2)
    ok(p3.returncode == 0 and e3.count(b'"type":"event"') == e2.count(b'"type":"event"') + 1,
       "identity: the same stdin with one more line adds that line only")


def case_paths(tmp):
    shared = os.path.join(tmp, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    victim = os.path.join(tmp, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    sample = os.path.join(src, "samples", "auth.log")
    link = os.path.join(shared, "moat.db")
    os.symlink(victim, link)
    p = scan(link, [sample])
    ok(p.returncode == 2 and b"symbolic link" in p.stderr and open(victim).read() == "precious\n",
       "paths: --db through a link planted in a directory others can write is refused (%r)" % p.stderr[-200:])
    os.unlink(link)
    os.symlink(victim, link + "-wal")
    p = scan(link, [sample])
    ok(p.returncode == 2 and open(victim).read() == "precious\n",
       "paths: a planted -wal link is refused, its target untouched (%r)" % p.stderr[-200:])
    os.unlink(link + "-wal")
    for f in (link, link + "-shm"):
        if os.path.exists(f):
            os.unlink(f)
    # a store another user made
    other = os.path.join(tmp, "other.db")
    p = scan(other, [sample])
    if os.geteuid() == 0:
        os.chown(other, 65534, 65534)
        p = scan(other, [sample])
        ok(p.returncode == 2 and b"belongs to another user" in p.stderr,
           "paths: a store owned by another user is refused (%r)" % p.stderr[-200:])
        os.chown(other, 0, 0)
    else:
        ok(True, "paths: a store owned by another user # SKIP needs root to make one")
    # a store with a trigger someone added
    subprocess.run(["sqlite3", other, "CREATE TRIGGER t AFTER INSERT ON alerts BEGIN DELETE FROM alerts; END;"],
                   check=True)
    p = scan(other, [sample])
    ok(p.returncode == 2 and b"triggers or views" in p.stderr,
       "paths: a store holding a trigger is refused (%r)" % p.stderr[-200:])


def case_output(tmp):
    sample = os.path.join(src, "samples", "auth.log")
    db = os.path.join(tmp, "o.db")
    with open("/dev/full", "w") as full:
        p = subprocess.run([moat, "scan", "--db", db, "--json", sample], env=env(db), stdout=full,
                           stderr=subprocess.PIPE, timeout=120)
    ok(p.returncode == 2 and b"cannot write the output" in p.stderr,
       "output: a full disk under stdout is exit 2 with the reason (%r)" % p.stderr[-200:])
    p = subprocess.run([moat, "scan", "--no-store", "/dev/zero"], env=env(db), capture_output=True, timeout=30)
    ok(p.returncode == 2 and b"character device" in p.stderr,
       "output: /dev/zero as input is refused, not read forever (%r)" % p.stderr[-200:])
    r, w = os.pipe()
    os.close(r)
    p = subprocess.run([moat, "scan", "--no-store", "--events", sample], env=env(db), stdout=w,
                       stderr=subprocess.PIPE, timeout=120)
    os.close(w)
    ok(p.returncode == 2 and b"Broken pipe" in p.stderr, "output: a closed pipe is exit 2 (%r)" % p.stderr[-200:])


cases = [("crash", case_crash), ("concurrent", case_concurrent), ("disk-full", case_disk_full),
         ("gzip-flips", case_gzip_flips), ("identity", case_identity), ("paths", case_paths),
         ("output", case_output)]
base = os.environ.get("TMPDIR", "/tmp")
for name, fn in cases:
    if only and name not in only:
        continue
    tmp = tempfile.mkdtemp(prefix="moat-rel-", dir=base)
    try:
        fn(tmp)
    except Exception as e:  # a test that crashes is a failure, with the reason
        ok(False, "%s: %s: %s" % (name, type(e).__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
sys.exit(done())
