#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every test program and ends with the closing line
#   N passed, N failed, N skipped
# Each program prints TAP; a test counts once per way it is run.
#
#   unit tests        build/tests/unit/*               linked with the core
#   uapi/shim tests   build/tests/{uapi,shim}/*-direct linked with shim + core
#                     build/tests/{uapi,shim}/*        under `iommusim run`
#   script tests      tests/*.sh BUILD
#
# Under SAN=1 or TSAN=1 only the direct forms run: a sanitizer runtime must
# be loaded before any preloaded library, so `iommusim run` cannot host it.
# VERBOSE=1 prints every program's whole output.

BUILD=${BUILD:-build}
passed=0
failed=0
skipped=0
failed_programs=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_program() {
	label=$1
	shift
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log" | tr -d ' ')
	s=$(grep -c '^ok .*# SKIP' "$log" | tr -d ' ')
	f=$(grep -c '^not ok ' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $label exited with status $rc" >>"$log"
		f=1
	fi
	if [ "$f" -ne 0 ] || [ -n "$VERBOSE" ]; then
		sed "s|^|$label: |" "$log"
	fi
	if [ "$f" -ne 0 ]; then
		failed_programs="$failed_programs $label"
		status=FAIL
	else
		status=PASS
	fi
	printf '%s %s (%d passed, %d failed, %d skipped)\n' "$status" "$label" \
		"$p" "$f" "$s"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# Forking with threads alive is what the fork tests do on purpose; the
# child's exit must not be reported as leaking the parent's threads.
if [ "$TSAN" = 1 ]; then
	TSAN_OPTIONS="report_thread_leaks=0 halt_on_error=1 ${TSAN_OPTIONS:-}"
	export TSAN_OPTIONS
fi

direct_only=
if [ "$SAN" = 1 ] || [ "$TSAN" = 1 ]; then
	direct_only=1
fi

for t in "$BUILD"/tests/unit/*; do
	[ -x "$t" ] || continue
	case "$t" in *.d) continue ;; esac
	run_program "unit/$(basename "$t")" "$t"
done

for t in "$BUILD"/tests/uapi/*-direct "$BUILD"/tests/shim/*-direct; do
	[ -x "$t" ] || continue
	dir=$(basename "$(dirname "$t")")
	run_program "$dir/$(basename "$t")" "$t"
done

if [ -z "$direct_only" ]; then
	for t in "$BUILD"/tests/uapi/* "$BUILD"/tests/shim/*; do
		[ -x "$t" ] || continue
		case "$t" in *-direct | *.d) continue ;; esac
		dir=$(basename "$(dirname "$t")")
		run_program "$dir/$(basename "$t") (shim)" \
			"$BUILD/iommusim" run -- "$t"
	done
	for t in tests/*.sh; do
		[ -f "$t" ] || continue
		[ "$(basename "$t")" = run-tests.sh ] && continue
		run_program "$(basename "$t")" sh "$t" "$BUILD"
	done
fi

if [ -n "$failed_programs" ]; then
	echo "failed:$failed_programs"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
