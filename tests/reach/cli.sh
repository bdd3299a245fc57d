#!/bin/bash
# moat reach, the real binary: exit statuses (0 done, 1 --fail-on, 2 bad
# usage or an unreadable root), text, --json (parsed by jq), --dot, and
# hostile names escaped. The scratch root needs no other owner than the
# one running the test: ownership is judged, never needed to read.
set -u
moat=${MOAT_BIN:?}
root=$(mktemp -d "${TMPDIR:-/tmp}/moat-reach-cli-XXXXXX") || exit 1
trap 'rm -rf -- "$root"' EXIT
fails=0
check() { # description, then a command that must succeed
	local what=$1
	shift
	if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
status() { # expected status, args...
	local want=$1
	shift
	"$moat" reach "$@" >"$root.out" 2>"$root.err"
	local got=$?
	[ "$got" -eq "$want" ] || { echo "# moat reach $*: status $got, want $want" >&2; cat "$root.err" >&2; return 1; }
}
jqe() { jq "$@" >/dev/null; } # jq's exit status (-e) alone: its output is not TAP
mkdir -p "$root/etc" "$root/home/carol" "$root/home/dave"
printf 'root:x:0:0::/root:/bin/bash\ncarol:x:1003:1003::/home/carol:/bin/bash\ndave:x:1004:1004::/home/dave:/bin/bash\nev\033]0;pwned\007il:x:1005:1005::/home/evil:/bin/sh\nsvc:x:1200:1200::/srv:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\ncarol:x:1003:\ndave:x:1004:\n' >"$root/etc/group"
printf 'web1\n' >"$root/etc/hostname"
printf 'carol ALL=(ALL) NOPASSWD: ALL\ndave db9 = NOPASSWD: ALL\nsvc ALL=(ALL) NOPASSWD: ALL\n' >"$root/etc/sudoers"

check "--help exits 0 and teaches" status 0 --help
check "--help has examples" grep -q '^Examples:' "$root.out"
check "an unknown option is bad usage" status 2 --bogus
check "a missing root is exit 2" status 2 --root "$root/nonexistent"
check "a bad --fail-on is exit 2" status 2 --root "$root" --fail-on rooot
check "--json with --dot is exit 2" status 2 --root "$root" --json --dot
check "--max-files 0 is exit 2" status 2 --root "$root" --max-files 0
check "carol's verdict" status 0 --root "$root" carol
check "carol: root in 1 step" grep -q '^carol: root in 1 step (sudo NOPASSWD ALL — any command), evidence /etc/sudoers:1;' "$root.out"
check "--fail-on root: carol has a path" status 1 --root "$root" --fail-on root
check "--fail-on root:1 too" status 1 --root "$root" --fail-on root:1 carol
check "--fail-on root for dave alone: none (another host's rule)" status 0 --root "$root" --fail-on root dave
check "dave: no path" grep -q '^dave: no path to root' "$root.out"
check "every login account by default" status 0 --root "$root"
check "no raw escape byte in text" bash -c '! grep -q $'"'"'\033'"'"' "$0"' "$root.out"
check "the hostile name escaped" grep -qF 'ev\x1b]0;pwned\x07il: no path to root' "$root.out"
check "summary on stderr" grep -q "host 'web1'; walked" "$root.err"
check "--json" status 0 --root "$root" --json
check "--json parses, carol 1 step" jqe -es 'map(select(.account=="carol"))[0].root_steps == 1' "$root.out"
check "--json path evidence" jqe -es 'map(select(.account=="carol"))[0].path[0].evidence == "/etc/sudoers:1"' "$root.out"
check "--json dave null" jqe -es 'map(select(.account=="dave"))[0].root_steps == null' "$root.out"
check "--dot" status 0 --root "$root" --dot carol
check "--dot is a digraph" grep -q '^digraph reach {' "$root.out"
check "--dot has carol's edge to root" grep -q 'sudo NOPASSWD ALL' "$root.out"
check "a service account named is analysed" status 0 --root "$root" svc
check "svc: root in 1 step" grep -q '^svc: root in 1 step (sudo NOPASSWD ALL — any command), evidence /etc/sudoers:3' "$root.out"
check "but it is not among the default accounts" status 0 --root "$root"
check "svc absent by default" bash -c '! grep -q "^svc:" "$0"' "$root.out"
check "an unknown user is said so" status 0 --root "$root" nosuch
check "nosuch line" grep -q '^nosuch: no such account in /etc/passwd' "$root.out"
check "--no-walk" status 0 --root "$root" --no-walk --quiet carol
check "--quiet keeps stderr empty" test ! -s "$root.err"
# progress on a terminal only (script(1) provides the terminal)
check "walk progress on a terminal" bash -c 'script -qec "$0 reach --root $1 carol" /dev/null | tr "\r" "\n" | grep -q "entries walked, at"' "$moat" "$root"
check "none when piped" bash -c '! "$0" reach --root "$1" carol 2>&1 | grep -q "entries walked, at"' "$moat" "$root"
# a bind mount of the root below itself: entered once, counted, no hang
# (a user and mount namespace of our own; where unshare is not permitted, said)
mkdir -p "$root/a/b"
if unshare -rm true 2>/dev/null; then
	check "bind-mount loop walked once" unshare -rm bash -c 'mount --bind "$1" "$1/a/b" && timeout 60 "$2" reach --root "$1" carol >"$1.out" 2>"$1.err"' _ "$root" "$moat"
	check "the repeated directory counted" grep -q ', 1 repeated directories)' "$root.err"
else
	echo "ok - bind-mount loop walked once # SKIP unshare -rm not permitted here"
	echo "ok - the repeated directory counted # SKIP as above"
fi
rmdir "$root/a/b" "$root/a"
# unusual-login alerts carry the verdict: samples/auth.log tells of carol's 03:12
# login on web1, and this root is web1's, where carol is one sudo rule from root
sample=${MOAT_SOURCE_ROOT:?}/samples/auth.log
scan() { "$moat" scan --no-store --color never "$@" >"$root.out" 2>"$root.err"; }
check "scan with --reach-root" scan --reach-root "$root" "$sample"
check "carol's alert raised to critical" grep -q '^critical unusual_login user carol from 185.220.101.34 on web1' "$root.out"
check "carol's alert carries her verdict" grep -qF -- '- reach: carol: root in 1 step (sudo NOPASSWD ALL — any command), evidence /etc/sudoers:1' "$root.out"
check "and says why it was raised" grep -qF -- '- severity raised from high to critical: the account is 1 step from root' "$root.out"
check "alice is not an account of this root: no verdict" test "$(grep -c -- '- reach:' "$root.out")" -eq 1
check "scan --no-reach" scan --no-reach "$sample"
check "no verdict, carol's alert stays high" bash -c '! grep -q -- "- reach:" "$0" && grep -q "^high unusual_login user carol" "$0"' "$root.out"
printf 'db9\n' >"$root/etc/hostname"
check "scan of another host's log" scan --reach-root "$root" "$sample"
check "a log of web1 is not judged against db9's accounts" bash -c '! grep -q -- "- reach:" "$0"' "$root.out"
# the seed case as it was: no useful root path, nothing to read; said, severity kept
printf 'web1\n' >"$root/etc/hostname"
printf 'root ALL=(ALL:ALL) ALL\n' >"$root/etc/sudoers"
check "scan, carol without a path" scan --reach-root "$root" "$sample"
check "her alert says so" grep -qF -- '- reach: carol: no path to root; reads no secret outside /home/carol' "$root.out"
check "and keeps its severity" grep -q '^high unusual_login user carol' "$root.out"
rm -f "$root.out" "$root.err"
echo "1..48"
[ "$fails" -eq 0 ]
