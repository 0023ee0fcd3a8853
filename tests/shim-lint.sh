#!/bin/sh
# SPDX-License-Identifier: MIT
# Lint of the preload shim's symbols (the umockdev rule):
#   1. the shim's logic (shim.o, real.o) and the library linked
#      into it never call a function the wrappers export: such a call would
#      land back in the wrappers instead of libc;
#   2. the shim .so exports the wrappers and nothing else;
#   3. preload.map lists the same functions as wrappers.c exports.
# Usage: sh tests/shim-lint.sh BUILD_DIR      (prints TAP)

export LC_ALL=C
BUILD=${1:-build}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
OBJDIR=$BUILD/obj/preload
SO=$BUILD/libiommusim-preload.so
LIB=$BUILD/libiommusim.a

echo "TAP version 13"
echo "1..4"

if ! command -v nm >/dev/null 2>&1; then
	for i in 1 2 3 4; do echo "ok $i # SKIP nm not found"; done
	exit 0
fi

for f in "$OBJDIR/wrappers.o" "$OBJDIR/shim.o" \
	"$OBJDIR/real.o" "$SO" "$LIB"; do
	if [ ! -f "$f" ]; then
		echo "# missing $f (build first)"
		for i in 1 2 3 4; do echo "not ok $i"; done
		exit 1
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# The wrapper symbols: every global function wrappers.o defines.
nm -g --defined-only "$OBJDIR/wrappers.o" | awk '$2 == "T" { print $3 }' |
	sort -u >"$tmp/wrappers"
if [ ! -s "$tmp/wrappers" ]; then
	echo "# wrappers.o defines no global function"
	failed=1
fi

# $1: test number, $2: description, $3...: objects or archives
check_no_wrapper_refs() {
	n=$1
	desc=$2
	shift 2
	nm -A -u "$@" 2>/dev/null |
		awk '{ sym = $NF; sub(/@.*/, "", sym); print $1, sym }' |
		sort -k2 >"$tmp/undef"
	join -1 2 -2 1 -o 1.1,1.2 "$tmp/undef" "$tmp/wrappers" >"$tmp/bad"
	if [ -s "$tmp/bad" ]; then
		sed 's/^/# calls a wrapped function: /' "$tmp/bad"
		echo "not ok $n - $desc"
		failed=1
	else
		echo "ok $n - $desc"
	fi
}

check_no_wrapper_refs 1 "shim logic never calls a wrapped function" \
	"$OBJDIR/shim.o" "$OBJDIR/real.o"
check_no_wrapper_refs 2 "the library never calls a wrapped function" "$LIB"

# 3. What the .so exports, versions stripped, against the wrappers.
nm -D --defined-only "$SO" | awk 'NF >= 3 { sym = $3; sub(/@.*/, "", sym);
	print sym }' | sort -u >"$tmp/exported"
if cmp -s "$tmp/exported" "$tmp/wrappers"; then
	echo "ok 3 - the shim exports exactly the wrappers"
else
	diff "$tmp/wrappers" "$tmp/exported" | sed -n 's/^[<>]/#&/p' |
		sed 's/^#</# not exported:/; s/^#>/# exported, not a wrapper:/'
	echo "not ok 3 - the shim exports exactly the wrappers"
	failed=1
fi

# 4. preload.map's global list against the wrappers.
sed -e 's|/\*.*\*/||' "$SRCDIR/preload/preload.map" |
	awk '/global:/ { on = 1; next } /local:/ { on = 0 }
	     on { gsub(/[ \t;]/, ""); if ($0 != "") print }' |
	sort -u >"$tmp/map"
if cmp -s "$tmp/map" "$tmp/wrappers"; then
	echo "ok 4 - preload.map lists exactly the wrappers"
else
	diff "$tmp/wrappers" "$tmp/map" | sed -n 's/^[<>]/#&/p' |
		sed 's/^#</# not in preload.map:/; s/^#>/# in preload.map only:/'
	echo "not ok 4 - preload.map lists exactly the wrappers"
	failed=1
fi

exit $failed
