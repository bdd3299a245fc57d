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
printf 'root:x:0:0::/root:/bin/bash\ncarol:x:1003:1003::/home/carol:/bin/bash\ndave:x:1004:1004::/home/dave:/bin/bash\nev\033]0;pwned\007il:x:1005:1005::/home/evil:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\ncarol:x:1003:\ndave:x:1004:\n' >"$root/etc/group"
printf 'web1\n' >"$root/etc/hostname"
printf 'carol ALL=(ALL) NOPASSWD: ALL\ndave db9 = NOPASSWD: ALL\n' >"$root/etc/sudoers"

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
check "an unknown user is said so" status 0 --root "$root" nosuch
check "nosuch line" grep -q '^nosuch: no such account in /etc/passwd' "$root.out"
check "--no-walk" status 0 --root "$root" --no-walk --quiet carol
check "--quiet keeps stderr empty" test ! -s "$root.err"
rm -f "$root.out" "$root.err"
echo "1..28"
[ "$fails" -eq 0 ]
