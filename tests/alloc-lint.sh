#!/bin/sh
# SPDX-License-Identifier: MIT
# Every allocation the library and the shim make is an injection site
# (src/base/alloc.h): no direct call of the C library's allocators outside
# the two files that make the sites, base/alloc.h and base/zalloc.h, the
# injection machinery itself, base/fault_inject.c, and the object graph,
# iommufd/graph.c, an observer's picture that no call depends on. A call
# that is not a site on purpose says so on its line or the line before:
# "not an injection site", and why.
# Usage: sh tests/alloc-lint.sh [BUILD]    (prints TAP)
export LC_ALL=C
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRCDIR" || exit 1

echo "TAP version 13"
echo "1..1"
pattern='(^|[^_[:alnum:].>])(malloc|calloc|realloc|reallocarray|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|strdup|strndup|asprintf|vasprintf|mmap|mmap64)[[:space:]]*\('
bad=$(find src preload -name '*.[ch]' | sort | while read -r f; do
	case "$f" in
	src/base/alloc.h | src/base/zalloc.h | src/base/fault_inject.c) continue ;;
	src/iommufd/graph.c) continue ;;
	esac
	awk -v file="$f" -v pat="$pattern" '
		{
			line = $0
			# comments and strings do not call anything
			gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
			if (in_comment) {
				if (!sub(/^.*\*\//, "", line))
					line = ""
				else
					in_comment = 0
			}
			gsub(/\/\*.*\*\//, "", line)
			if (sub(/\/\*.*$/, "", line))
				in_comment = 1
			sub(/\/\/.*/, "", line)
			if (line ~ pat && $0 !~ /not an injection site/ &&
			    prev !~ /not an injection site/)
				print file ":" NR ": " $0
			prev = $0
		}' "$f"
done)
if [ -n "$bad" ]; then
	echo "$bad" | sed 's/^/# allocates outside a site: /'
	echo "not ok 1 - every allocation in src/ and preload/ is an injection site"
	exit 1
fi
echo "ok 1 - every allocation in src/ and preload/ is an injection site"
