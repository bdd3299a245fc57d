#!/bin/bash
# Sets up and runs the whole test suite: unit, golden, peer suites, e2e and
# the fuzz regression corpora, in a normal build and (with --asan) again
# under AddressSanitizer + UndefinedBehaviorSanitizer. Ends with one line
# "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
asan=0 fuzz=0
for a in "$@"; do
	case $a in
	--asan) asan=1 ;;
	--fuzz) fuzz=1 ;;
	*) echo "usage: scripts/test.sh [--asan] [--fuzz]" >&2; exit 2 ;;
	esac
done
bash scripts/deps.sh || exit 2

# a sanitizer report is a failure, not a line in a log
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}

passed=0 failed=0
run_suite() { # dir, meson setup args...
	local dir=$1
	shift
	if ! bash scripts/build.sh "$dir" "$@"; then
		echo "moat: build in $dir failed" >&2
		ninja -C "$dir" 2>&1 | tail -40 >&2
		failed=$((failed + 1))
		return
	fi
	# each suite gets its own empty scratch root: a test that leaves
	# anything behind in it is a failure of its own
	local scratch
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/moat-suite-XXXXXX") && chmod 755 "$scratch"  # tests that drop to nobody pass through it
	TMPDIR=$scratch meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)" >"$dir/test-output.txt" 2>&1
	tail -15 "$dir/test-output.txt" >&2
	local left
	left=$(find "$scratch" -mindepth 1 -maxdepth 1 | sed "s|^$scratch/||" | sort)
	if [ -n "$left" ]; then
		echo "moat: tests in $dir left scratch files behind:" >&2
		echo "$left" | head -20 >&2
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
	rm -rf -- "$scratch"
	grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$dir/test-output.txt" >&2 || true
	local counts
	counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("result") in ("OK", "EXPECTEDFAIL", "SKIP"):
        p += 1
    else:
        f += 1
print(p, f)
PY
)
	passed=$((passed + ${counts% *}))
	failed=$((failed + ${counts#* }))
}

run_suite build
if [ $asan -eq 1 ]; then
	run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
fi
if [ $fuzz -eq 1 ]; then
	# libFuzzer harnesses built with clang: each runs briefly from its corpus
	# (the corpora also run as plain tests in the builds above)
	if CC=clang bash scripts/build.sh build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false; then
		for f in build-fuzz/tests/fuzz-*; do
			[ -x "$f" ] && [ -f "$f" ] || continue
			name=${f##*/fuzz-}
			# new inputs go to build-fuzz/new-NAME (the first directory), never into the repo
			mkdir -p "build-fuzz/new-$name"
			if "$f" -max_total_time="${FUZZ_SECONDS:-10}" -max_len=65536 -timeout=10 \
				"build-fuzz/new-$name" "tests/fuzz/corpus/$name" >"build-fuzz/$name.log" 2>&1; then
				echo "fuzz $name: $(grep -o 'Done [0-9]* runs' "build-fuzz/$name.log")" >&2
				passed=$((passed + 1))
			else
				echo "fuzz $name: FAILED" >&2
				tail -30 "build-fuzz/$name.log" >&2
				failed=$((failed + 1))
			fi
		done
	else
		echo "moat: clang fuzz build failed" >&2
		failed=$((failed + 1))
	fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
