"""TAP for the e2e scripts (reliability.py, journal.py, upgrade.py): ok()
counts and prints one result; done() prints the plan and returns the exit
status (1 when something failed or nothing ran)."""
import sys

_n = 0
_failed = 0


def ok(cond, what):
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", _n, what))
    sys.stdout.flush()
    return cond


def done():
    print("1..%d" % _n)
    return 1 if _failed or _n == 0 else 0
