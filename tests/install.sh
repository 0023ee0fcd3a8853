#!/bin/sh
# SPDX-License-Identifier: MIT
# `make install` into a scratch DESTDIR, then: a program built against the
# installed headers and library through pkg-config's file uses the library
# API directly, and the installed `iommusim run` finds its shim.
# Usage: tests/install.sh BUILD   (prints TAP)
BUILD=${1:-build}
top=$(pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
n=0
fail=0
check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi
}

make -s -C "$top" install PREFIX=/opt/iommusim DESTDIR="$dest" SAN= TSAN= >/dev/null 2>&1
check $? "make install"
root="$dest/opt/iommusim"
pc="$root/lib/pkgconfig/iommusim.pc"
grep -q '^libdir=/opt/iommusim/lib$' "$pc"
check $? "pkg-config file names the install prefix"

cat >"$dest/api.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
int main(void)
{
	struct iommusim_ctx *ctx;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };

	if (iommusim_open(&ctx))
		return 1;
	if (iommusim_ioctl(ctx, IOMMU_IOAS_ALLOC, &alloc) || alloc.out_ioas_id != 1)
		return 2;
	destroy.id = alloc.out_ioas_id;
	if (iommusim_ioctl(ctx, IOMMU_DESTROY, &destroy))
		return 3;
	if (iommusim_ioctl(ctx, IOMMU_DESTROY, &destroy) != -2 /* -ENOENT */)
		return 4;
	if (iommusim_ioctl(ctx, 0x1234, &destroy) != -25 /* -ENOTTY */)
		return 5;
	iommusim_close(ctx);
	printf("%s\n", iommusim_version());
	return strlen(iommusim_version()) ? 0 : 6;
}
PROG
# Flags as pkg-config would give them, read from the installed file.
cflags="-I$root/include"
libs="-L$root/lib -liommusim -pthread"
grep -q '^Cflags: -I${includedir}$' "$pc" && grep -q '^Libs: -L${libdir} -liommusim$' "$pc"
check $? "pkg-config file has the expected Cflags and Libs"
cc -o "$dest/api" "$dest/api.c" $cflags $libs
check $? "a program builds against the installed library"
LD_LIBRARY_PATH="$root/lib" "$dest/api" >/dev/null
check $? "the library API works from the shared library"
"$root/bin/iommusim" run -- "$top/$BUILD/examples/ioas_basic" >/dev/null
check $? "the installed iommusim run finds its shim"
echo "1..$n"
exit $fail
