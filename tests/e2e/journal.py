#!/usr/bin/env python3
"""The journal, read natively: the real moat binary on real journal files
this test writes itself (journal export format, converted by
systemd-journal-remote), never the host's journal.

  seed        the bundled sample's story, every line a journal entry with
              the trusted fields journald would have written: the same
              alerts as the log file (the reused password's unusual login,
              the refused sudo; the session that added a user to group sudo)
  forged      entries claiming sshd/sudo/useradd written by logger, python, a
              renamed process, a user's process journald could not name, a
              PAM line naming sshd's service: forged_entry alerts naming the
              real writer, never an event; hostile field text escaped
  untrusted   entries without trusted fields: read on their word, said so
  cursor      a second scan adds nothing; entries appended to the file, and
              a new file in the directory, add only themselves
  crash       kill -9 at random points (small batches) of a journal whose times
              go back, then a rescan: the store equals one clean scan's, and
              scanning again adds nothing
  window      --since/--until choose entries; the next scan goes on after
  errors      a missing directory, one without journal files, one holding
              only a damaged file (exit 2, the reason); a damaged file beside
              a good one is said and passed over
  default     a journal-only host (no auth.log, a journal under the root):
              'moat scan' reads the journal and says so
  json        journalctl -o json of the same journal on stdin: the same trust
              rule, and a later overlapping export resumed by __CURSOR

TAP on stdout. MOAT_BIN, MOAT_SOURCE_ROOT from meson; JOURNAL_SEED changes
the kill points.
"""
import json
import os
import random
import re
import shutil
import struct
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
remote = "/lib/systemd/systemd-journal-remote"
rng = random.Random(int(os.environ.get("JOURNAL_SEED", "20261208")))
only = sys.argv[1:]

MACHINE = "5c0ffee5c0ffee5c0ffee5c0ffee5c0f"
BOOT = "b007b007b007b007b007b007b007b007"


def env(db=None, **more):
    e = dict(os.environ, TZ="UTC", NO_COLOR="1")
    e.pop("MOAT_ROOT", None)
    if db:
        e["MOAT_DB"] = db
    e.update({k: str(v) for k, v in more.items()})
    return e


def run(args, db=None, stdin=None, **more):
    return subprocess.run([moat] + args, env=env(db, **more), capture_output=True, timeout=600,
                          stdin=stdin if stdin is not None else subprocess.DEVNULL)


# ---- writing journals ----

# what journald records for each program of the sample (comm, exe, uid, unit)
WRITERS = {
    "sshd": ("sshd", "/usr/sbin/sshd", 0, "ssh.service"),
    "systemd-logind": ("systemd-logind", "/usr/lib/systemd/systemd-logind", 0, "systemd-logind.service"),
    "sudo": ("sudo", "/usr/bin/sudo", 1005, "session-162.scope"),
    "su": ("su", "/usr/bin/su", 1005, "session-162.scope"),
    "useradd": ("useradd", "/usr/sbin/useradd", 0, "session-163.scope"),
    "usermod": ("usermod", "/usr/sbin/usermod", 0, "session-163.scope"),
    "CRON": ("cron", "/usr/sbin/cron", 0, "cron.service"),
}
MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
RX3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(?:Z|[+-]00:00) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)$")
RX3164 = re.compile(r"^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)$")


def usec(y, mo, d, h, mi, s, frac=""):
    import calendar
    t = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    return t * 1000000 + (int((frac[1:] + "000000")[:6]) if frac else 0)


def entry(fields):
    """One entry in journal export format (binary form for values with a
    newline)."""
    out = b""
    for k, v in fields:
        if isinstance(v, int):
            v = str(v)
        if isinstance(v, str):
            v = v.encode("utf-8", "surrogateescape")
        if b"\n" in v:
            out += k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
        else:
            out += k.encode() + b"=" + v + b"\n"
    return out + b"\n"


mono = [1000000]


def syslog_entry(t, host, prog, pid, msg, writer=None, transport="syslog"):
    """An entry as journald writes a syslog(3) message: the client's
    SYSLOG_IDENTIFIER, SYSLOG_PID and MESSAGE, and journald's own fields.
    writer: (comm, exe, uid, unit), None for the program's own, False for
    none at all (exported from elsewhere without trusted fields)."""
    mono[0] += 1000
    f = [("__REALTIME_TIMESTAMP", t), ("__MONOTONIC_TIMESTAMP", mono[0]), ("_BOOT_ID", BOOT),
         ("_MACHINE_ID", MACHINE), ("_HOSTNAME", host)]
    if writer is None:
        writer = WRITERS.get(prog, (prog[:15], "/usr/bin/" + prog, 0, prog + ".service"))
    if writer is not False:
        comm, exe, uid, unit = writer
        f.append(("_TRANSPORT", transport))
        if uid is not None:
            f += [("_UID", uid), ("_GID", uid)]
        if pid is not None:
            f.append(("_PID", pid))
        if comm is not None:
            f.append(("_COMM", comm))
        if exe is not None:
            f.append(("_EXE", exe))
        if unit:
            f.append(("_SYSTEMD_UNIT", unit))
    f += [("PRIORITY", 6), ("SYSLOG_FACILITY", 10), ("SYSLOG_IDENTIFIER", prog)]
    if pid is not None:
        f.append(("SYSLOG_PID", pid))
    f.append(("MESSAGE", msg))
    return entry(f)


def log_to_entries(lines, year=2026):
    """Syslog lines (RFC 3339 or RFC 3164 of year) as journal entries; pids
    made up for lines without one. Kernel lines are kernel entries."""
    out = []
    fake_pid = 40000
    for line in lines:
        m = RX3339.match(line)
        if m:
            y, mo, d, h, mi, s, frac, host, prog, pid, msg = m.groups()
            t = usec(int(y), int(mo), int(d), int(h), int(mi), int(s), frac or "")
        else:
            m = RX3164.match(line)
            if not m:
                continue
            mon, d, h, mi, s, host, prog, pid, msg = m.groups()
            t = usec(year, MONTHS[mon], int(d), int(h), int(mi), int(s))
        if pid is None:
            fake_pid += 1
            pid = fake_pid
        if prog == "kernel":
            mono[0] += 1000
            out.append(entry([("__REALTIME_TIMESTAMP", t), ("__MONOTONIC_TIMESTAMP", mono[0]), ("_BOOT_ID", BOOT),
                              ("_MACHINE_ID", MACHINE), ("_HOSTNAME", host), ("_TRANSPORT", "kernel"),
                              ("SYSLOG_IDENTIFIER", "kernel"), ("MESSAGE", msg)]))
            continue
        out.append(syslog_entry(t, host, prog, int(pid), msg))
    return out


def write_journal(path, entries):
    """Appends entries to the journal file path (created when missing)
    with systemd-journal-remote."""
    p = subprocess.run([remote, "-o", path, "-"], input=b"".join(entries), capture_output=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("systemd-journal-remote: %s" % p.stderr.decode(errors="replace"))


def alerts(stdout):
    """JSON alert lines without their evidence (files and journals name
    lines differently)."""
    out = []
    for l in stdout.decode().splitlines():
        a = json.loads(l)
        a.pop("evidence", None)
        out.append(json.dumps(a, sort_keys=True))
    return out


def events(stdout):
    return [json.loads(l) for l in stdout.decode().splitlines() if l.strip()]


def export(db):
    p = run(["store", "export", "--db", db], db)
    if p.returncode != 0:
        return None
    return b"".join(sorted(p.stdout.splitlines(keepends=True)))


sample_lines = open(os.path.join(src, "samples", "auth.log"), encoding="utf-8").read().splitlines()


# ---- cases ----

def case_seed(tmp):
    jdir = os.path.join(tmp, "seed")
    os.mkdir(jdir)
    write_journal(os.path.join(jdir, "system.journal"), log_to_entries(sample_lines))
    dbf, dbj = os.path.join(tmp, "file.db"), os.path.join(tmp, "journal.db")
    pf = run(["scan", "--db", dbf, "--json", os.path.join(src, "samples", "auth.log")], dbf)
    pj = run(["scan", "--db", dbj, "--json", "--journal-dir", jdir], dbj)
    ok(pj.returncode == 0, "seed: the journal scan works (exit %d: %s)" % (pj.returncode, pj.stderr[-300:]))
    af, aj = alerts(pf.stdout), alerts(pj.stdout)
    ok(af == aj and len(af) >= 8,
       "seed: the same %d alerts as the log file%s" % (len(af), "" if af == aj else
                                                        ": file only %s, journal only %s" %
                                                        ([a for a in af if a not in aj][:2],
                                                         [a for a in aj if a not in af][:2])))
    carol = [json.loads(a) for a in aj if '"user": "carol"' in a and '"unusual_login"' in a]
    ok(len(carol) == 1 and carol[0]["severity"] == "high" and
       any("sudo refused" in w for w in carol[0]["why"]),
       "seed: carol's unusual login, then refused sudo, from the journal alone")
    ok(b"entries of auth programs" in pj.stderr and b"forged" not in pj.stderr,
       "seed: the summary counts journal entries, none forged (%s)" % pj.stderr.decode()[-300:])
    p = run(["scan", "--db", dbj, "--json", "--journal-dir", jdir, "--events"], dbj)
    ok(p.returncode == 0 and p.stdout == b"", "seed: a second scan reads nothing again")
    t = run(["trace", "--db", dbj, "--user", "carol", "--since", "2026-11-12"], dbj)
    ok(b"no privilege gained: sudo refused \xc3\x973, su refused \xc3\x971" in t.stdout,
       "seed: trace of carol from the journal: no privilege gained, sudo refused x3")
    t = run(["trace", "--db", dbj, "--since", "2026-11-12", "--until", "2026-11-13"], dbj)
    ok(b"user mallory added to group sudo" in t.stdout and b"PRIVILEGE GAINED" in t.stdout,
       "seed: the session that added a user to group sudo is seen (sudo, useradd, usermod entries)")
    p = run(["scan", "--no-store", "--events", "--json", "--journal-dir", jdir])
    ev = events(p.stdout)
    ok(ev and all(e["file"] == "journal:" + os.path.realpath(jdir) for e in ev) and
       len(set(e["line"] for e in ev)) == len(ev),
       "seed: evidence names the journal and each entry's sequence number")


def forged_entries(t0):
    """(entry, what) pairs: forgeries, then honest entries around them."""
    H = "web1"
    return [
        (syslog_entry(t0 + 1, H, "sshd", 4242, "Accepted password for root from 203.0.113.66 port 22 ssh2",
                      ("logger", "/usr/bin/logger", 1000, "session-7.scope")), "logger -t sshd"),
        (syslog_entry(t0 + 2, H, "sudo", 4300,
                      "   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/sh",
                      ("python3", "/usr/bin/python3.11", 1000, "session-7.scope")), "python as sudo"),
        (syslog_entry(t0 + 3, H, "sshd", 4400, "Accepted publickey for admin from 198.51.100.1 port 22 ssh2",
                      ("sshd", "/home/eve/sshd", 1000, None)), "a renamed process (_COMM sshd, _EXE in a home)"),
        (syslog_entry(t0 + 4, H, "useradd", 4500, "new user: name=backdoor, UID=0, GID=0, home=/root, shell=/bin/sh",
                      (None, None, 1000, None)), "a user's process journald could not name, as useradd"),
        (syslog_entry(t0 + 5, H, "sshd", 4600, "Accepted password for root from 203.0.113.67 port 22 ssh2",
                      ("sshd", "/usr/sbin/sshd", 1000, None)), "the real sshd binary run by a user"),
        (syslog_entry(t0 + 6, H, "sshd", 4242,
                      "Accepted password for root from 203.0.113.68 port 22 ssh2\x1b[2J\nsecond line",
                      ("ev\x1b[31mil", "/tmp/\x1b]0;pwned\x07x", 1000, "u\x1bnit")), "hostile fields"),
    ]


def case_forged(tmp):
    jdir = os.path.join(tmp, "forged")
    os.mkdir(jdir)
    t0 = usec(2026, 11, 20, 10, 0, 0)
    honest = [
        syslog_entry(t0, "web1", "sshd", 100, "Accepted publickey for alice from 192.0.2.10 port 5000 ssh2"),
        syslog_entry(t0 + 10, "web1", "sudo", 101,
                     "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
                     ("sudo", "/usr/bin/sudo", 1000, "session-1.scope")),
        # an upgraded sshd still running: _EXE says " (deleted)"
        syslog_entry(t0 + 11, "web1", "sshd", 102, "Accepted publickey for bob from 192.0.2.11 port 5001 ssh2",
                     ("sshd", "/usr/sbin/sshd (deleted)", 0, "ssh.service")),
        # sudo's pam line, and root's process journald could not name
        syslog_entry(t0 + 12, "web1", "sudo", 103,
                     "pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 "
                     "ruser=alice rhost=  user=alice", ("sudo", "/usr/bin/sudo", 1000, None)),
        syslog_entry(t0 + 13, "web1", "usermod", 104, "add 'alice' to group 'adm'", (None, None, 0, None)),
    ]
    forged = forged_entries(t0)
    # the unverified sudo claim: a user's process journald could not name
    unverified = syslog_entry(t0 + 7, "web1", "sudo", 4700,
                              "   mallory : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh", (None, None, 1000, None))
    write_journal(os.path.join(jdir, "system.journal"), honest + [e for e, _ in forged] + [unverified])
    p = run(["scan", "--no-store", "--json", "--events", "--journal-dir", jdir])
    ev = events(p.stdout)
    users = sorted(e.get("user") for e in ev)
    ok(p.returncode == 0 and users == ["alice", "alice", "alice", "alice", "bob"],
       "forged: only the honest entries are events (%s)" % users)
    ok(not any(e.get("user") in ("root", "admin", "backdoor", "deploy", "mallory") for e in ev),
       "forged: no forged entry was decoded as the program it claims")
    p = run(["scan", "--no-store", "--json", "--journal-dir", jdir])
    al = [json.loads(l) for l in p.stdout.decode().splitlines()]
    fa = [a for a in al if a["kind"] == "forged_entry"]
    ok(all(a["severity"] == "high" for a in fa) and len(fa) == 6,
       "forged: one high forged_entry alert per writer (%d: %s)" % (len(fa), [a["why"][0][:60] for a in fa]))
    why = "\n".join(w for a in fa for w in a["why"])
    for what, needle in (("logger", "claiming to be sshd (by its SYSLOG_IDENTIFIER) was written by another program: "
                                    "_COMM=logger, _EXE=/usr/bin/logger, _UID=1000, _PID=4242"),
                         ("python as sudo", "_COMM=python3, _EXE=/usr/bin/python3.11, _UID=1000"),
                         ("renamed", "_COMM=sshd, _EXE=/home/eve/sshd"),
                         ("uid only", "claiming to be useradd (by its SYSLOG_IDENTIFIER) was written by another "
                                      "program: _COMM=(none), _EXE=(none), _UID=1000"),
                         ("sshd as a user", "_COMM=sshd, _EXE=/usr/sbin/sshd, _UID=1000"),
                         ("the rule", "sshd is believed only when written by sshd, sshd-session or sshd-auth as "
                                      "root"),
                         ("the message", "Accepted password for root from 203.0.113.66 port 22 ssh2")):
        ok(needle in why, "forged: %s named in the alert" % what)
    ok(all(a["source"] is None and a["user"] is None for a in fa),
       "forged: nobody is blamed from a forged entry's text")
    ok(b"6 forged journal entries" in p.stderr and b"1 journal entry of a user's process journald could not name"
       in p.stderr, "forged: the summary counts forged and unverified entries (%s)" % p.stderr.decode()[-400:])
    p = run(["scan", "--no-store", "--journal-dir", jdir])
    out = p.stdout
    ok(b"\x1b" not in out and b"\x07" not in out and b"\\x1b[31mil" in out and b"second line" in out and
       b"\nsecond line" not in out, "forged: hostile field text is escaped in the text output")
    p = run(["scan", "--no-store", "--json", "--journal-dir", jdir])
    ok(b"\x1b" not in p.stdout and all(json.loads(l) for l in p.stdout.decode().splitlines()),
       "forged: and in JSON")
    p = run(["scan", "--no-store", "-q", "--fail-on", "high", "--journal-dir", jdir])
    ok(p.returncode == 1, "forged: --fail-on high exits 1 on a forgery (exit %d)" % p.returncode)
    # a forged entry's text would have been a brute force: none raised
    ok(not any(a["kind"] in ("unusual_login", "login_after_failures") and a.get("user") == "root" for a in al),
       "forged: no login alert for root from forged lines")


def case_untrusted(tmp):
    jdir = os.path.join(tmp, "untrusted")
    os.mkdir(jdir)
    t0 = usec(2026, 11, 21, 10, 0, 0)
    es = [syslog_entry(t0 + i * 1000000, "edge", "sshd", 300 + i,
                       "Failed password for root from 203.0.113.%d port 22 ssh2" % (i % 3 + 1), False)
          for i in range(12)]
    write_journal(os.path.join(jdir, "remote-edge.journal"), es)
    p = run(["scan", "--no-store", "--json", "--events", "--journal-dir", jdir])
    ok(p.returncode == 0 and len(events(p.stdout)) == 12, "untrusted: entries without trusted fields are read")
    ok(b"12 journal entries without trusted fields" in p.stderr and b"untrusted" in p.stderr,
       "untrusted: and the summary says they were taken on their word")


def case_cursor(tmp):
    jdir = os.path.join(tmp, "cursor")
    os.mkdir(jdir)
    half = len(sample_lines) // 2
    ents = log_to_entries(sample_lines)
    jf = os.path.join(jdir, "system.journal")
    write_journal(jf, ents[:half])
    db = os.path.join(tmp, "cursor.db")
    p1 = run(["scan", "--db", db, "--events", "--json", "--journal-dir", jdir], db)
    n1 = len(events(p1.stdout))
    p2 = run(["scan", "--db", db, "--events", "--json", "--journal-dir", jdir], db)
    ok(p1.returncode == 0 and n1 > 100 and p2.stdout == b"" and b"0 entries" in p2.stderr,
       "cursor: a second scan adds nothing (%d events, then %d)" % (n1, len(events(p2.stdout))))
    write_journal(jf, ents[half:half + 100])
    p3 = run(["scan", "--db", db, "--events", "--json", "--journal-dir", jdir], db)
    ok(b"100 entries" in p3.stderr, "cursor: entries appended to the file: only they are read (%s)" %
       p3.stderr.decode()[-200:])
    write_journal(os.path.join(jdir, "system@later.journal"), ents[half + 100:])
    p4 = run(["scan", "--db", db, "--events", "--json", "--journal-dir", jdir], db)
    n_all = len(events(run(["scan", "--no-store", "--events", "--json", "--journal-dir", jdir]).stdout))
    n3, n4 = len(events(p3.stdout)), len(events(p4.stdout))
    ok(n1 + n3 + n4 == n_all, "cursor: a new file in the directory: only its entries (%d + %d + %d of %d)" %
       (n1, n3, n4, n_all))
    clean = os.path.join(tmp, "cursor-clean.db")
    run(["scan", "--db", clean, "--journal-dir", jdir], clean)
    a, b = export(db), export(clean)
    ev_a = sorted(l for l in a.splitlines() if b'"events"' in l or l.startswith(b'{"kind":"auth') or b'"program"' in l)
    ev_b = sorted(l for l in b.splitlines() if b'"events"' in l or l.startswith(b'{"kind":"auth') or b'"program"' in l)
    ok(ev_a == ev_b and len(ev_a) > 0, "cursor: three scans store the events one scan does (%d vs %d)" %
       (len(ev_a), len(ev_b)))


def case_crash(tmp):
    jdir = os.path.join(tmp, "crash")
    os.mkdir(jdir)
    big = subprocess.run([gen, "--mb", "2", "--sources", "200", "--seed", "7"], capture_output=True,
                         check=True).stdout.decode().splitlines()
    # times go back twice along the file (the sample's October after the
    # bench's November, then the bench's first days): an interrupted run is
    # finished up to the entry it stopped at, not up to that entry's time
    half = len(big) // 2
    write_journal(os.path.join(jdir, "system.journal"), log_to_entries(big[half:] + sample_lines + big[:half]))
    clean_db = os.path.join(tmp, "crash-clean.db")
    p = run(["scan", "-q", "--db", clean_db, "--journal-dir", jdir], clean_db, MOAT_BATCH_BYTES=65536)
    ok(p.returncode == 0, "crash: the clean scan works (%s)" % p.stderr[-200:])
    clean = export(clean_db)
    t0 = time.monotonic()
    probe = os.path.join(tmp, "crash-probe.db")
    run(["scan", "-q", "--db", probe, "--journal-dir", jdir], probe, MOAT_BATCH_BYTES=65536)
    whole = max(time.monotonic() - t0, 0.05)
    for k in range(5):
        db = os.path.join(tmp, "crash-%d.db" % k)
        kills = kill_randomly([moat, "scan", "-q", "--db", db, "--journal-dir", jdir],
                              env(db, MOAT_BATCH_BYTES=65536), whole, rng)
        p = run(["scan", "-q", "--db", db, "--journal-dir", jdir], db)
        got = export(db)
        ok(p.returncode == 0 and got == clean,
           "crash: killed %d time(s) at random points, then a rescan equals one clean scan (%s)" %
           (kills, "same" if got == clean else "%d vs %d lines" % (len((got or b"").splitlines()),
                                                                   len(clean.splitlines()))))
        run(["scan", "-q", "--db", db, "--journal-dir", jdir], db)
        ok(export(db) == clean, "crash: and scanning again adds nothing")


def case_window(tmp):
    jdir = os.path.join(tmp, "window")
    os.mkdir(jdir)
    write_journal(os.path.join(jdir, "system.journal"), log_to_entries(sample_lines))
    every = events(run(["scan", "--no-store", "--events", "--json", "--journal-dir", jdir]).stdout)
    lo, hi = "2026-11-12T00:00:00Z", "2026-11-13T00:00:00Z"
    want = [e for e in every if lo <= e["time"] < hi]
    p = run(["scan", "--no-store", "--events", "--json", "--journal-dir", jdir, "--since", "2026-11-12",
             "--until", "2026-11-12"])
    got = events(p.stdout)
    ok(p.returncode == 0 and got == want and len(want) > 10,
       "window: --since/--until read the entries of that day only (%d of %d)" % (len(got), len(every)))
    db = os.path.join(tmp, "window.db")
    p1 = run(["scan", "--db", db, "--events", "--json", "--journal-dir", jdir, "--until", "2026-11-12"], db)
    p2 = run(["scan", "--db", db, "--events", "--json", "--journal-dir", jdir], db)
    a, b = events(p1.stdout), events(p2.stdout)
    ok(a + b == every and a and b, "window: after --until, the next scan goes on from there (%d + %d of %d)" %
       (len(a), len(b), len(every)))
    p = run(["scan", "--no-store", "--journal-dir", jdir, "--since", "2026-11-13", "--until", "2026-11-12"])
    ok(p.returncode == 2 and b"--since is after --until" in p.stderr, "window: an empty window is refused")
    p = run(["scan", "--no-store", "--since", "tomorrowish", "--journal-dir", jdir])
    ok(p.returncode == 2 and b"not a time" in p.stderr, "window: a bad time is refused")
    p = run(["scan", "--no-store", "--since", "2026-11-12", os.path.join(src, "samples", "auth.log")])
    ok(p.returncode == 2 and b"--since and --until choose journal entries" in p.stderr,
       "window: --since with log files says it is for the journal")
    p = run(["scan", "--no-store", "--journal-dir", jdir, os.path.join(src, "samples", "auth.log")])
    ok(p.returncode == 2 and b"not both" in p.stderr, "window: the journal and files together are refused")


def case_errors(tmp):
    missing = os.path.join(tmp, "no-such-dir")
    p = run(["scan", "--no-store", "--journal-dir", missing])
    ok(p.returncode == 2 and (missing + ": No such file or directory").encode() in p.stderr,
       "errors: a missing directory: exit 2 and why (%s)" % p.stderr[-200:])
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    open(os.path.join(empty, "notes.txt"), "w").write("hello\n")
    p = run(["scan", "--no-store", "--journal-dir", empty])
    ok(p.returncode == 2 and b"no journal files" in p.stderr, "errors: a directory without journal files: exit 2")
    bad = os.path.join(tmp, "bad")
    os.mkdir(bad)
    with open(os.path.join(bad, "system.journal"), "wb") as f:
        f.write(b"LPKSHHRH" + os.urandom(4096))
    p = run(["scan", "--no-store", "--journal-dir", bad])
    ok(p.returncode == 2 and b"damaged" in p.stderr, "errors: only a damaged journal file: exit 2 (%s)" %
       p.stderr[-300:])
    good = os.path.join(bad, "user-1000.journal")
    write_journal(good, log_to_entries(sample_lines[:50]))
    p = run(["scan", "--no-store", "--events", "--json", "--journal-dir", bad])
    ok(p.returncode == 0 and len(events(p.stdout)) > 10 and
       (os.path.join(bad, "system.journal") + ": not a journal file or damaged, not read").encode() in p.stderr,
       "errors: a damaged file beside a good one is said and passed over (%s)" % p.stderr[-300:])
    p = run(["scan", "--no-store", "--journal-dir", os.path.join(src, "samples", "auth.log")])
    ok(p.returncode == 2 and b"damaged" in p.stderr, "errors: a text file given as a journal file: exit 2")


def case_default(tmp):
    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "etc"))
    with open(os.path.join(root, "etc", "machine-id"), "w") as f:
        f.write(MACHINE + "\n")
    jd = os.path.join(root, "var", "log", "journal", MACHINE)
    os.makedirs(jd)
    write_journal(os.path.join(jd, "system.journal"), log_to_entries(sample_lines))
    # another machine's folder beside it (journal-remote's) is not this host's
    other = os.path.join(root, "var", "log", "journal", "0" * 32)
    os.makedirs(other)
    write_journal(os.path.join(other, "system.journal"),
                  [syslog_entry(usec(2026, 11, 1, 0, 0, 0), "other", "sshd", 1,
                                "Accepted password for zed from 192.0.2.99 port 1 ssh2")])
    db = os.path.join(tmp, "default.db")
    p = run(["scan", "--db", db, "--json"], db, MOAT_ROOT=root)
    ok(p.returncode == 0 and b"reading the systemd journal" in p.stderr and
       any(json.loads(l)["kind"] == "unusual_login" and json.loads(l)["user"] == "carol"
           for l in p.stdout.decode().splitlines()),
       "default: on a journal-only host 'moat scan' reads the journal and finds the seed story (%s)" %
       p.stderr[-300:])
    p = run(["scan", "--no-store", "--events", "--json", "--journal"], MOAT_ROOT=root)
    ok(not any(e.get("user") == "zed" for e in events(p.stdout)), "default: only this host's machine ID folder")
    p = run(["scan", "--db", db], db, MOAT_ROOT=root)
    ok(p.returncode == 0 and b"0 entries" in p.stderr, "default: and a rescan reads nothing again")
    bare = os.path.join(tmp, "bare")
    os.mkdir(bare)
    p = run(["scan", "--no-store"], MOAT_ROOT=bare)
    ok(p.returncode == 2 and b"no auth logs found" in p.stderr and b"--journal-dir" in p.stderr,
       "default: no logs and no journal: exit 2, saying how to point moat at logs")


def case_json(tmp):
    jdir = os.path.join(tmp, "json")
    os.mkdir(jdir)
    t0 = usec(2026, 11, 20, 10, 0, 0)
    jf = os.path.join(jdir, "system.journal")
    ents = log_to_entries(sample_lines)
    write_journal(jf, ents + [e for e, _ in forged_entries(t0)] + [
        # a PAM line naming sshd's service, logged under another name
        syslog_entry(t0 + 20, "web1", "cron", 5000,
                     "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
                     "rhost=203.0.113.99  user=root", ("cron", "/usr/sbin/cron", 0, "cron.service"))])
    dump = subprocess.run(["journalctl", "--file", jf, "-o", "json", "--no-pager"], capture_output=True,
                          timeout=300).stdout
    path = os.path.join(tmp, "all.json")
    open(path, "wb").write(dump)
    p = run(["scan", "--no-store", "--json", "-"], stdin=open(path, "rb"))
    al = [json.loads(l) for l in p.stdout.decode().splitlines()]
    fa = [a for a in al if a["kind"] == "forged_entry"]
    ok(len(fa) == 7 and any("claiming to be sshd (by its PAM service)" in a["why"][0] for a in fa),
       "json: journalctl -o json: the same forgeries, and a PAM line naming sshd's service from cron (%d)" %
       len(fa))
    pj = run(["scan", "--no-store", "--json", "--journal-dir", jdir])
    aj = [a for a in alerts(pj.stdout) if '"forged_entry"' not in a]
    ok([a for a in alerts(p.stdout) if '"forged_entry"' not in a] == aj,
       "json: and the same other alerts as the journal read natively")
    # resumed by __CURSOR: a first export, then a later one that overlaps it
    lines = dump.splitlines(keepends=True)
    first, later = b"".join(lines[:700]), b"".join(lines[500:])
    db = os.path.join(tmp, "json.db")
    for name, data in (("first", first), ("later", later)):
        open(os.path.join(tmp, name + ".json"), "wb").write(data)
    p1 = run(["scan", "--db", db, "--events", "--json", "-"], db, stdin=open(os.path.join(tmp, "first.json"), "rb"))
    p2 = run(["scan", "--db", db, "--events", "--json", "-"], db, stdin=open(os.path.join(tmp, "later.json"), "rb"))
    every = events(run(["scan", "--no-store", "--events", "--json", "-"], stdin=open(path, "rb")).stdout)
    a, b = events(p1.stdout), events(p2.stdout)
    key = lambda e: (e["time"], str(e.get("kind")), str(e.get("user")), str(e.get("pid")))
    ok(sorted(map(key, a + b)) == sorted(map(key, every)) and b"200 journal entries already read" in p2.stderr,
       "json: an overlapping later export adds only what is new (%d + %d of %d; %s)" %
       (len(a), len(b), len(every), p2.stderr.decode()[-200:]))


def main():
    if not os.access(remote, os.X_OK):
        ok(False, "%s is not installed (Debian package systemd-journal-remote, in scripts/packages.txt)" % remote)
        return done()
    cases = [("seed", case_seed), ("forged", case_forged), ("untrusted", case_untrusted), ("cursor", case_cursor),
             ("crash", case_crash), ("window", case_window), ("errors", case_errors), ("default", case_default),
             ("json", case_json)]
    for name, fn in cases:
        if only and name not in only:
            continue
        tmp = tempfile.mkdtemp(prefix="moat-journal-")
        try:
            fn(tmp)
        except Exception as e:  # a case that cannot run is a failure, not a skip
            import traceback
            ok(False, "%s: %s" % (name, "".join(traceback.format_exception(e))[-1500:].replace("\n", " | ")))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return done()


sys.exit(main())
