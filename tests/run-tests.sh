#!/bin/sh
# SPDX-License-Identifier: MIT
# The test runner. A test run is one program run one way; each prints TAP,
# and a test counts once per way it is run. `make check` uses the three
# parts below, so that every run is a make target of its own and the runs
# go in parallel under -j:
#
#   run-tests.sh list [NAME]   the runs of this build, one ID a line; with
#                              NAME, only those of that test (see below)
#   run-tests.sh run ID        runs one; its output goes to
#                              $BUILD/results/ID.log, its counts to ID.result
#   run-tests.sh report ID...  prints each run's PASS or FAIL line (and the
#                              output of a failed run), then the closing line
#                                N passed, N failed, N skipped
#
# With no arguments it lists, runs and reports everything, one at a time.
#
#   ID             runs                                         printed as
#   unit/X         $BUILD/tests/unit/X  (linked with the core)  unit/X
#   uapi/X-direct  $BUILD/tests/uapi/X-direct (shim + core)     uapi/X-direct
#   uapi/X         $BUILD/tests/uapi/X under `iommusim run`     uapi/X (shim)
#   shim/X...      as uapi/X...
#   X.sh           sh tests/X.sh $BUILD                         X.sh
#   fuzz/regress   $BUILD/fuzz/regress over fuzz/regress/ and   fuzz/regress
#                  fuzz/corpus/ (the fuzzer's inputs, replayed)
#
# NAME picks a test by its source: "hwpt_nested" or "uapi/hwpt_nested"
# (both ways it runs), "unit/pgtable", "install.sh" or "install"; an ID
# picks that run alone.
#
# Under SAN=1 or TSAN=1 only unit and direct runs are listed: a sanitizer
# runtime must be loaded before any preloaded library, so `iommusim run`
# cannot host it. VERBOSE=1 prints every run's whole output.

BUILD=${BUILD:-build}
RESULTS=$BUILD/results
top=$(cd "$(dirname "$0")/.." && pwd)

# Every run ID of this build, in the order they are reported.
all_runs() {
	for src in "$top"/tests/unit/*.c; do
		[ -f "$src" ] && echo "unit/$(basename "$src" .c)"
	done
	for dir in uapi shim; do
		for src in "$top/tests/$dir"/*.c; do
			[ -f "$src" ] && echo "$dir/$(basename "$src" .c)-direct"
		done
	done
	echo fuzz/regress
	[ "$SAN" = 1 ] || [ "$TSAN" = 1 ] && return
	for dir in uapi shim; do
		for src in "$top/tests/$dir"/*.c; do
			[ -f "$src" ] && echo "$dir/$(basename "$src" .c)"
		done
	done
	for script in "$top"/tests/*.sh; do
		[ "$(basename "$script")" = run-tests.sh ] && continue
		[ -f "$script" ] && basename "$script"
	done
}

# Whether run ID belongs to the test NAME.
matches() {
	id=$1
	name=$2
	program=${id%-direct}
	[ "$id" = "$name" ] || [ "$program" = "$name" ] ||
		[ "${program#*/}" = "$name" ] || [ "${id%.sh}" = "$name" ]
}

list() {
	all_runs | while read -r id; do
		if [ -z "$1" ] || matches "$id" "$1"; then
			echo "$id"
		fi
	done
}

label_of() {
	case "$1" in
	unit/* | fuzz/* | *-direct | *.sh) echo "$1" ;;
	*) echo "$1 (shim)" ;;
	esac
}

run() {
	id=$1
	out=$RESULTS/$id
	mkdir -p "$(dirname "$out")"
	case "$id" in
	unit/* | *-direct) set -- "$BUILD/tests/$id" ;;
	fuzz/regress) set -- "$BUILD/$id" "$top/fuzz/regress" "$top/fuzz/corpus" ;;
	*.sh) set -- sh "$top/tests/$id" "$BUILD" ;;
	*) set -- "$BUILD/iommusim" run -- "$BUILD/tests/$id" ;;
	esac
	# Forking with threads alive is what the fork tests do on purpose;
	# the child's exit must not be reported as leaking the parent's
	# threads.
	if [ "$TSAN" = 1 ]; then
		TSAN_OPTIONS="report_thread_leaks=0 halt_on_error=1 ${TSAN_OPTIONS:-}"
		export TSAN_OPTIONS
	fi
	# A test sees no trace of the make that started it: a make run by a
	# test is a make of its own.
	unset MAKEFLAGS MFLAGS MAKELEVEL
	"$@" >"$out.log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out.log")
	s=$(grep -c '^ok .*# SKIP' "$out.log")
	f=$(grep -c '^not ok ' "$out.log")
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $(label_of "$id") exited with status $rc" >>"$out.log"
		f=1
	fi
	if [ "$f" -ne 0 ]; then
		status=FAIL
	else
		status=PASS
	fi
	echo "$status $p $f $s" >"$out.result"
}

report() {
	passed=0
	failed=0
	skipped=0
	failed_runs=""
	if [ $# -eq 0 ]; then
		echo "run-tests.sh: no test${T:+ named '$T'}" >&2
		return 1
	fi
	for id in "$@"; do
		label=$(label_of "$id")
		if [ -f "$RESULTS/$id.result" ]; then
			read -r status p f s <"$RESULTS/$id.result"
		else
			echo "$label: did not run"
			status=FAIL p=0 f=1 s=0
		fi
		if { [ "$status" = FAIL ] || [ -n "$VERBOSE" ]; } &&
			[ -f "$RESULTS/$id.log" ]; then
			sed "s|^|$label: |" "$RESULTS/$id.log"
		fi
		if [ "$status" = FAIL ]; then
			failed_runs="$failed_runs $label"
		fi
		printf '%s %s (%d passed, %d failed, %d skipped)\n' "$status" \
			"$label" "$p" "$f" "$s"
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
	done
	if [ -n "$failed_runs" ]; then
		echo "failed:$failed_runs"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

case "$1" in
list)
	list "$2"
	;;
run)
	run "$2"
	;;
report)
	shift
	report "$@"
	;;
"")
	runs=$(list "$T")
	for id in $runs; do
		run "$id"
	done
	# shellcheck disable=SC2086 # IDs have no spaces
	report $runs
	;;
*)
	echo "usage: run-tests.sh [list [NAME] | run ID | report ID...]" >&2
	exit 2
	;;
esac
