#!/bin/bash
# Sets everything up and runs moat's main job: `moat scan` on this host's
# auth logs, or on the bundled sample when this host has none we can read.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh build
export MOAT_DB=${MOAT_DB:-$PWD/build/try.db}
if ls /var/log/auth.log* /var/log/secure* >/dev/null 2>&1 && [ -r "$(ls /var/log/auth.log* /var/log/secure* 2>/dev/null | head -1)" ]; then
	echo "moat: scanning this host's auth logs (store: $MOAT_DB)" >&2
	exec ./build/moat scan "$@"
fi
# a journal-only host (a stock Debian 12): the journal, when there is one we can read
if ls /var/log/journal/*/*.journal /run/log/journal/*/*.journal >/dev/null 2>&1 &&
	[ -r "$(ls /var/log/journal/*/*.journal /run/log/journal/*/*.journal 2>/dev/null | head -1)" ]; then
	echo "moat: no auth log files here; scanning this host's systemd journal (store: $MOAT_DB)" >&2
	exec ./build/moat scan --journal "$@"
fi
echo "moat: no readable /var/log/auth.log*, /var/log/secure* or journal here; scanning the bundled sample samples/auth.log" >&2
rm -f "$MOAT_DB" "$MOAT_DB-wal" "$MOAT_DB-shm"
./build/moat scan "$@" samples/auth.log || exit $?
echo >&2
echo "moat: how far did carol's unusual 03:12 login get?  ./build/moat trace --db $MOAT_DB --user carol --since 2026-11-12" >&2
echo >&2
./build/moat trace --user carol --since 2026-11-12
