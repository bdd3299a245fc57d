#!/bin/bash
# On a terminal, `moat scan` shows a progress line on stderr and colours;
# piped, it shows neither. `script` (util-linux) provides the terminal.
set -u
bin=$MOAT_BIN
log=$MOAT_SOURCE_ROOT/samples/auth.log
big=$(mktemp)
trap 'rm -f "$big"' EXIT
for _ in $(seq 40); do cat "$log"; done > "$big" # ~5 MB: long enough for a progress line
fail=0
tty_out=$(TERM=xterm script -qec "env -u NO_COLOR $bin scan --no-store $big" /dev/null | tr '\r' '\n')
echo "$tty_out" | grep -q 'reading .*%' || { echo "not ok 1 - no progress line on a terminal"; fail=1; }
echo "$tty_out" | grep -q $'\033\\[' || { echo "not ok 2 - no colour on a terminal"; fail=1; }
pipe_out=$(env -u NO_COLOR "$bin" scan --no-store "$big" 2>&1 | cat)
echo "$pipe_out" | grep -q 'reading ' && { echo "not ok 3 - progress line when not a terminal"; fail=1; }
echo "$pipe_out" | grep -q $'\033' && { echo "not ok 4 - escape codes when not a terminal"; fail=1; }
nc_out=$(TERM=xterm NO_COLOR=1 script -qec "$bin scan --no-store $log" /dev/null)
echo "$nc_out" | grep -q $'\033\\[3' && { echo "not ok 5 - colour despite NO_COLOR"; fail=1; }
[ $fail -eq 0 ] && echo "ok - progress and colour only on a terminal"
exit $fail
