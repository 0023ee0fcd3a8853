#!/bin/sh
# SPDX-License-Identifier: MIT
# `iommusim run --graph`: the nested-topology example's object graph is the
# DOT text below exactly; a program that tears everything down leaves a
# context with no objects; `iommusim graph` renders it with Graphviz's dot
# (SKIP where dot is missing) and says so plainly when dot is not there.
# Usage: sh tests/graph.sh BUILD   (prints TAP)
BUILD=${1:-build}
tool=$BUILD/iommusim
. "$(dirname "$0")/lib/tap.sh"

cat >"$scratch/nested.expected" <<'DOT'
digraph iommusim {
	rankdir=LR;
	fontname="Helvetica";
	node [fontname="Helvetica", fontsize=10];
	edge [fontname="Helvetica", fontsize=9];
	subgraph cluster_ctx1 {
		label="context 1";
		c1_1 [shape=folder, label="IOAS 1\n1 area, 0x400000 bytes\n0x1000000..0x13fffff rw\n2 reserved ranges"];
		c1_2 [shape=note, label="SELFTEST 2"];
		c1_2 -> c1_3 [label="mock device", style=dashed];
		c1_3 [shape=ellipse, label="device 3"];
		c1_3 -> c1_6 [label="RID"];
		c1_5 [shape=box, label="HWPT 5\npaging\nNEST_PARENT"];
		c1_5 -> c1_1 [label="maps"];
		c1_6 [shape=box, style=rounded, label="HWPT 6\nnested"];
		c1_6 -> c1_5 [label="parent"];
	}
}
DOT

"$tool" run --graph="$scratch/nested.dot" -- \
	"$BUILD/examples/nested_topology" --keep >/dev/null 2>&1
check $? "nested_topology --keep runs under --graph"
diff "$scratch/nested.expected" "$scratch/nested.dot" | sed 's/^/# /'
cmp -s "$scratch/nested.expected" "$scratch/nested.dot"
check $? "its graph: the IOAS, the parent, the nested HWPT, the device"

# a relative name is the directory run was started in
abs_build=$(cd "$BUILD" && pwd)
(cd "$scratch" && "$abs_build/iommusim" run --graph=basic.dot -- \
	"$abs_build/examples/ioas_basic" >/dev/null 2>&1)
grep -q 'c1_empty \[shape=plaintext, label="(no objects)"\];' \
	"$scratch/basic.dot"
check $? "a context closed empty is drawn empty"

"$tool" run --graph -- "$BUILD/examples/ioas_basic" >/dev/null 2>&1
status=$?
[ "$status" = 2 ]
check $? "--graph without a file is a usage error (status $status)"

PATH=/nonexistent "$tool" graph "$scratch/nested.dot" \
	>/dev/null 2>"$scratch/err"
status=$?
[ "$status" = 127 ] && grep -q "dot is not installed" "$scratch/err"
check $? "graph without Graphviz says so (status $status)"

if command -v dot >/dev/null 2>&1; then
	"$tool" graph "$scratch/nested.dot" >"$scratch/out" 2>&1
	check $? "graph renders FILE.svg by default"
	grep -q '<svg' "$scratch/nested.svg" &&
		grep -q 'NEST_PARENT' "$scratch/nested.svg"
	check $? "the SVG shows the topology"
	"$tool" graph "$scratch/nested.dot" -o "$scratch/nested.png" \
		>/dev/null 2>&1
	[ "$(head -c 4 "$scratch/nested.png" | od -An -c | tr -d ' ')" = \
		"211PNG" ]
	check $? "-o FILE.png renders a PNG"
else
	skip "graph renders FILE.svg by default" "Graphviz's dot is not installed"
	skip "the SVG shows the topology" "Graphviz's dot is not installed"
	skip "-o FILE.png renders a PNG" "Graphviz's dot is not installed"
fi

tap_end
