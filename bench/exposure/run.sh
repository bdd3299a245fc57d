#!/bin/bash
# Exposure benchmark (issue 4): import of a full-size ecosystem feed against
# `jq -c . >/dev/null` on the same JSON (target: no slower than 3x), and a
# whole-host assessment of a 2,000-package root once the feed is imported
# (target: under 1 s).
#
# The feed is synthesised from the 352 real Debian 12 records of
# ../shared/data/osv-debian12-greenbone: each is repeated under new ids over
# the source packages of the synthetic host, with shifted fixed versions,
# until N records (default 60,000) exist. Written three ways: one JSON array,
# a directory of records, and an all.zip.
#
# usage: bench/exposure/run.sh [N_RECORDS] [N_PACKAGES]     (needs a built build/moat, jq, python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-60000}
PKGS=${2:-2000}
MOAT=${MOAT:-build/moat}
SHARED=${MOAT_SHARED_DATA:-../shared/data}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

python3 - "$SHARED/osv-debian12-greenbone" "$W" "$N" "$PKGS" <<'PY'
import json, os, sys, zipfile, random
src, out, n, npk = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
random.seed(4)
base = [json.load(open(os.path.join(src, f))) for f in sorted(os.listdir(src)) if f.endswith('.json')]
pkgs = ["pkg%04d" % i for i in range(npk)]
recs = []
for i in range(n):
    r = json.loads(json.dumps(base[i % len(base)]))
    r["id"] = "DSA-%d-%d" % (10000 + i // 3, i % 3 + 1)
    a = r["affected"][0]
    a["package"]["name"] = pkgs[(i * 7) % npk] if i % 4 else a["package"]["name"]
    ev = a["ranges"][0]["events"]
    ev[1]["fixed"] = "%d.%d-%d+deb12u%d" % (1 + i % 5, i % 10, 1 + i % 3, 1 + i % 4)
    if i % 5 == 0:
        a["package"]["ecosystem"] = "Debian:11"
    recs.append(r)
json.dump(recs, open(os.path.join(out, "all.json"), "w"))
os.mkdir(os.path.join(out, "records"))
with zipfile.ZipFile(os.path.join(out, "all.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for r in recs:
        s = json.dumps(r)
        z.writestr(r["id"] + ".json", s)
        open(os.path.join(out, "records", r["id"] + ".json"), "w").write(s)
# a 2,000-package host: the synthetic packages at versions around the fixes
os.makedirs(os.path.join(out, "root/var/lib/dpkg"))
os.makedirs(os.path.join(out, "root/etc"))
with open(os.path.join(out, "root/var/lib/dpkg/status"), "w") as f:
    for i, p in enumerate(pkgs):
        f.write("Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %d.%d-%d+deb12u%d\n\n"
                % (p, 1 + i % 5, i % 10, 1 + i % 3, i % 4))
open(os.path.join(out, "root/etc/os-release"), "w").write("ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n")
PY

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }
size=$(du -h "$W/all.json" | cut -f1)
echo "feed: $N records ($size as one JSON array), host: $PKGS packages"
jq_t=$(t jq -c . "$W/all.json")
imp_t=$(t "$MOAT" feed import --db "$W/a.db" "$W/all.json")
zip_t=$(t "$MOAT" feed import --db "$W/z.db" "$W/all.zip")
dir_t=$(t "$MOAT" feed import --db "$W/d.db" "$W/records")
"$MOAT" feed status --db "$W/a.db" | head -1
printf 'jq -c . >/dev/null          %6.2f s\n' "$jq_t"
printf 'moat feed import all.json   %6.2f s  (%.2fx jq; target <= 3x)\n' "$imp_t" "$(awk -v a="$imp_t" -v b="$jq_t" 'BEGIN { print a / b }')"
printf 'moat feed import all.zip    %6.2f s\n' "$zip_t"
printf 'moat feed import records/   %6.2f s\n' "$dir_t"
ass_t=$(t "$MOAT" exposure --root "$W/root" --db "$W/a.db" --no-reach --json -q)
n_find=$("$MOAT" exposure --root "$W/root" --db "$W/a.db" --no-reach --json -q | wc -l || true)
printf 'moat exposure (%d packages) %6.2f s  (%s findings; target < 1 s)\n' "$PKGS" "$ass_t" "$n_find"
if [ -r /var/lib/dpkg/status ]; then
	host_t=$(t "$MOAT" exposure --db "$W/a.db" -q)
	printf 'moat exposure (this host, with reach) %6.2f s\n' "$host_t"
fi
