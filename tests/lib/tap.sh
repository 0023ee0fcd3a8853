# SPDX-License-Identifier: MIT
# What the TAP-printing test scripts share; sourced, not run. Gives a
# scratch directory removed at exit, check STATUS DESCRIPTION, skip
# DESCRIPTION REASON, and tap_end, which prints the plan and exits 1 when
# a check failed.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
n=0
fail=0
check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi
}
skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}
tap_end() {
	echo "1..$n"
	exit $fail
}
