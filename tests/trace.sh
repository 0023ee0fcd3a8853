#!/bin/sh
# SPDX-License-Identifier: MIT
# `iommusim run --trace` on every example: each ioctl the example's source
# makes (each test op by its own name) appears decoded, on the example's
# descriptor; no call is left undecoded; every failure names its errno;
# --trace-format=json gives the same calls as JSON Lines that parse;
# a VFIO device cdev's calls are decoded too; --trace alone writes to
# standard error; a bad format is a usage error.
# Usage: sh tests/trace.sh BUILD   (prints TAP)
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
tool=$BUILD/iommusim
. "$(dirname "$0")/lib/tap.sh"

# The call names an example's source makes: ioctl(FD, NAME, ...) and, for
# IOMMU_TEST_CMD, the ops it sets.
names_of() {
	{
		grep -o 'ioctl([a-z_>.-]*, *[A-Z][A-Z_0-9]*' "$1" |
			sed 's/.*, *//' | grep -v '^IOMMU_TEST_CMD$'
		grep -o '\.op = IOMMU_TEST_OP_[A-Z_]*' "$1" | sed 's/.*= //'
	} | sort -u
}

if ${CC:-cc} -I"$top/tests" -o "$scratch/json_check" \
	"$top/tests/json_check.c" 2>"$scratch/cc.err"; then
	json_check=$scratch/json_check
else
	json_check=
fi

for src in "$top"/examples/*.c; do
	name=$(basename "$src" .c)
	prog=$BUILD/examples/$name
	"$tool" run --device vtd --trace="$scratch/$name.txt" -- "$prog" \
		>"$scratch/$name.out" 2>&1
	check $? "$name runs under --trace"

	missing=
	for call in $(names_of "$src"); do
		grep -q "^[0-9.]* [0-9]* fd=[0-9][0-9]* $call {" \
			"$scratch/$name.txt" || missing="$missing $call"
	done
	[ -z "$missing" ]
	check $? "$name: every call decoded on its descriptor${missing:+ (missing:$missing)}"

	calls=$(grep -c ' fd=' "$scratch/$name.txt")
	[ "$calls" -gt 0 ] && ! grep -q ' ioctl(0x' "$scratch/$name.txt"
	check $? "$name: $calls calls, none left undecoded"

	bad=$(grep ' = -1 ' "$scratch/$name.txt" | grep -cv ' = -1 E[A-Z0-9]*\( \|$\)')
	failures=$(grep -c ' = -1 ' "$scratch/$name.txt")
	[ "$bad" = 0 ]
	check $? "$name: $failures failures, each with its errno's name"

	"$tool" run --device vtd --trace="$scratch/$name.json" \
		--trace-format=json -- \
		"$prog" >/dev/null 2>&1
	jcalls=$(grep -c '"call":' "$scratch/$name.json")
	[ "$jcalls" = "$calls" ]
	check $? "$name: the JSON trace has the same $calls calls ($jcalls)"
	if [ -n "$json_check" ]; then
		"$json_check" <"$scratch/$name.json" >"$scratch/$name.jcheck"
		check $? "$name: JSON lines parse ($(tail -1 "$scratch/$name.jcheck"))"
	else
		skip "$name: JSON lines parse" "no C compiler"
	fi
done

# DMA: each transfer is an event with what it moved; a fault adds where and why
grep -q ' event dma ctx=[0-9]* dev=[0-9]* pasid=0 iova=0x7f0000000040 len=0x16 dir=write done=0x16 result=0$' \
	"$scratch/vtd_nested_dma.txt" &&
	grep -q ' event dma .* dir=read done=0x0 result=EIO fault_iova=0x7f0000000000 reason=NOT_PRESENT stage=1$' \
		"$scratch/vtd_nested_dma.txt" &&
	grep -q ' IOMMUSIM_DMA {size=64, flags=WRITE, pasid=0, iova=0x7f0000000040, length=0x16, buf_uptr=0x[0-9a-f]*} = 0 {out_done=0x16, ' \
		"$scratch/vtd_nested_dma.txt"
check $? "a device's DMA is decoded, and traced as an event with its fault"

# memory still pinned for DMA taken away by the program: a set_aside event
"$tool" run --trace="$scratch/pins.txt" -- "$BUILD/tests/uapi/pins_unmap" \
	>/dev/null 2>&1
grep -q ' event set_aside call=munmap addr=0x[0-9a-f]* len=0x4000 pages=4 result=0$' \
	"$scratch/pins.txt"
check $? "a munmap of pinned memory is a set_aside event"

# a VFIO device cdev's calls, from the VT-d device tests
"$tool" run --trace="$scratch/vtd.txt" -- "$BUILD/tests/uapi/vtd_device" \
	-t vtd_bind.sizes_and_fields >/dev/null 2>&1
grep -q '^[0-9.]* [0-9]* fd=[0-9]* VFIO_DEVICE_BIND_IOMMUFD {argsz=24, flags=0x0, iommufd=-*[0-9]*, token_uuid_ptr=0x0} = -1 E' \
	"$scratch/vtd.txt" && ! grep -q ' ioctl(0x' "$scratch/vtd.txt"
check $? "a VFIO device's calls are decoded"

"$tool" run --trace -- "$BUILD/examples/ioas_basic" >/dev/null 2>"$scratch/err"
grep -q '^[0-9.]* [0-9]* fd=[0-9]* IOMMU_IOAS_ALLOC {size=12, flags=0x0} = 0 {out_ioas_id=1}$' "$scratch/err"
check $? "--trace alone writes to standard error"

"$tool" run --trace-format=xml -- "$BUILD/examples/ioas_basic" \
	>/dev/null 2>"$scratch/err"
status=$?
[ "$status" = 2 ] && grep -q 'text or json' "$scratch/err"
check $? "--trace-format=xml is a usage error (status $status)"

tap_end
