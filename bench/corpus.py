#!/usr/bin/env python3
"""A benchmark corpus from the real logs in ../shared/data.

The real logs (a week of an Ubuntu VM's auth.log, loghub's OpenSSH and
Linux samples, CrowdSec's hub test logs) are about 1 MB: the corpus repeats
them, each copy two weeks after the one before, until it holds --mb MB, so
that a scan of it sees a long history of real attacks, logins and sudo
rather than the generator's mix. Timestamps are rewritten with their year
(RFC 3339, UTC) so that the copies follow one another; everything else in
a line is kept byte for byte. Lines without a syslog time are kept as they
are. The same arguments always give the same bytes.

    python3 bench/corpus.py --mb 120 > bench/out/corpus-120mb.log
"""
import argparse
import datetime
import os
import re
import sys

MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
RFC3164 = re.compile(rb"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) ")
ISO = re.compile(rb"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)? ")


def sources(data):
    paths = [os.path.join(data, "auth-real-cseanburns", "auth.log"),
             os.path.join(data, "loghub", "OpenSSH_OpenSSH_2k.log"),
             os.path.join(data, "loghub", "Linux_Linux_2k.log")]
    hub = os.path.join(data, "crowdsec-hub")
    for root, _, files in sorted(os.walk(hub)):
        for f in sorted(files):
            if f.endswith(".log"):
                paths.append(os.path.join(root, f))
    return [p for p in paths if os.path.isfile(p)]


def parse(line, year):
    """(datetime, rest) for a line with a syslog time, else None."""
    m = RFC3164.match(line)
    if m and m.group(1).decode() in MONTHS:
        try:
            t = datetime.datetime(year, MONTHS[m.group(1).decode()], int(m.group(2)), int(m.group(3)),
                                  int(m.group(4)), int(m.group(5)))
        except ValueError:  # Feb 29 in another year
            return None
        return t, line[m.end():]
    m = ISO.match(line)
    if m:
        try:
            t = datetime.datetime(*(int(m.group(i)) for i in range(1, 7)))
        except ValueError:
            return None
        return t, line[m.end():]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=120)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                   "shared", "data"))
    a = ap.parse_args()
    # every source starts at the same instant; their lines merged in time
    # order (a line without a time goes with the line before it)
    lines = []
    for p in sources(a.data):
        first = None
        prev = datetime.timedelta(0)
        for raw in open(p, "rb"):
            if not raw.endswith(b"\n"):
                raw += b"\n"
            got = parse(raw, 2023)
            if not got:
                lines.append((prev, None, raw))
                continue
            t, rest = got
            if first is None:
                first = t
            prev = max(t - first, datetime.timedelta(0))
            lines.append((prev, True, rest))
    lines.sort(key=lambda x: x[0])
    out = sys.stdout.buffer
    want = int(a.mb * 1e6)
    start = datetime.datetime(2024, 1, 1)
    written = 0
    copy = 0
    while written < want:
        base = start + datetime.timedelta(days=14 * copy)
        for off, timed, rest in lines:
            if not timed:
                b = rest
            else:
                b = (base + off).strftime("%Y-%m-%dT%H:%M:%S+00:00 ").encode() + rest
            out.write(b)
            written += len(b)
            if written >= want:
                break
        copy += 1


if __name__ == "__main__":
    main()
