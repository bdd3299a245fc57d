#!/bin/bash
# moat reach beside Lynis (Debian's lynis, run with --rootdir on the same
# scratch root): where both report, they agree; where moat finds a path
# Lynis has no check for, Lynis is silent. tests/reach/peers.md explains
# each difference. Lynis's sudoers check (AUTH-9252) and its view of file
# ownership need root, as the files of other owners here do: unprivileged,
# the test says so and skips.
set -u
moat=${MOAT_BIN:?}
echo "1..6"
if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 # SKIP needs root: files of other owners, and Lynis's AUTH-9252 runs as root only"
	for i in 2 3 4 5 6; do echo "ok $i # SKIP as above"; done
	exit 0
fi
command -v lynis >/dev/null || { echo "not ok 1 - lynis is not installed (scripts/packages.txt lists it)"; exit 1; }
root=$(mktemp -d "${TMPDIR:-/tmp}/moat-reach-lynis-XXXXXX") || exit 1
trap 'rm -rf -- "$root" "$root.moat" "$root.lynis" "$root.dat"' EXIT
chmod 755 "$root"
mkdir -p "$root/etc" "$root/home/carol" "$root/home/dave" "$root/usr/bin" "$root/root"
printf 'root:x:0:0::/root:/bin/bash\ncarol:x:1003:1003::/home/carol:/bin/bash\ndave:x:1004:1004::/home/dave:/bin/bash\ntoor:x:0:0::/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\ncarol:x:1003:\ndave:x:1004:\n' >"$root/etc/group"
printf 'web1\n' >"$root/etc/hostname"
# sudoers writable by anyone, and a rule for a pager that escapes
printf 'root ALL=(ALL:ALL) ALL\ndave ALL=(root) NOPASSWD: /usr/bin/vim /etc/motd\n' >"$root/etc/sudoers"
chmod 666 "$root/etc/sudoers"
printf '#!/bin/sh\n' >"$root/usr/bin/vim"
chmod 755 "$root/usr/bin/vim"
chown 1003:1003 "$root/home/carol"
chown 1004:1004 "$root/home/dave"
chmod 700 "$root/root"

"$moat" reach --root "$root" --quiet >"$root.moat" 2>&1
# Lynis: the two groups that hold its account and sudo checks (a whole audit
# takes minutes and reads the host's packages and services, not the root's)
timeout 500 lynis audit system --rootdir "$root/" --tests-from-group "authentication homedirs" \
	--no-colors --no-log --quick --report-file "$root.dat" >"$root.lynis" 2>&1
n=1
t() { # description, command
	local what=$1
	shift
	if "$@"; then echo "ok $n - $what"; else echo "not ok $n - $what"; sed 's/^/# /' "$root.moat" "$root.lynis" | head -80; fi
	n=$((n + 1))
}
t "both: a second uid-0 account (Lynis AUTH-9204)" grep -q '^warning\[\]=AUTH-9204' "$root.dat"
t "both: moat calls toor root" grep -q '^toor: is root (uid 0), evidence /etc/passwd:4' "$root.moat"
t "both: sudoers writable (Lynis AUTH-9252 warns on its mode)" grep -q "Permissions for: $root/etc/sudoers.*WARNING" "$root.lynis"
t "moat: carol reaches root by writing it" grep -q '^carol: root in 1 step (can write /etc/sudoers — ' "$root.moat"
t "moat only: dave's NOPASSWD vim rule is a root shell" grep -q '^dave: root in 1 step (sudo NOPASSWD /usr/bin/vim /etc/motd — runs a shell' "$root.moat"
t "Lynis has no check that judges a rule's command" bash -c '! grep -qi "vim" "$0" "$1"' "$root.lynis" "$root.dat"
