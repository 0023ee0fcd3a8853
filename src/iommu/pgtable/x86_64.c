// SPDX-License-Identifier: MIT
/*
 * x86-64 page tables (IA-32e paging, 4-level, and 5-level with LA57), as
 * VT-d's first stage walks them: the format of the stage-1 tables a guest
 * hands to a nested HWPT (IOMMU_HWPT_DATA_VTD_S1), and of a VT-d
 * first-stage paging domain.
 *
 *   granule      4 KiB, the leaf at level 0 (PTE)
 *   tables       4 KiB: 512 entries of 8 bytes, 9 index bits per level
 *   levels       4 (48-bit input) or 5 (57-bit input)
 *   leaves       level 0 (4 KiB), 1 (PDE, 2 MiB) and 2 (PDPTE, 1 GiB)
 *
 * One entry, 64 bits:
 *
 *   63  62     52 51            12 11  9  8   7   6   5   4    3    2    1   0
 *  +---+---------+----------------+-----+---+---+---+---+----+----+----+----+---+
 *  |XD |         |    address     |     | G |PS | D | A |PCD |PWT |U/S |R/W | P |
 *  +---+---------+----------------+-----+---+---+---+---+----+----+----+----+---+
 *
 *   P      present.
 *   R/W    writes allowed; U/S: user-mode accesses allowed. Both are
 *          checked at every level: an access needs them on its whole path.
 *          A device's request without a PASID (and one without the
 *          privileged bit) is a user-mode request, so every entry on its
 *          path needs U/S — the kernel's driver sets U/S everywhere. A
 *          supervisor request ignores U/S, and R/W too unless the walk is
 *          write protected (VT-d's WPE).
 *   PS     at levels 1 and 2: the entry is a leaf for its whole span; its
 *          bit 12 is then PAT, not address, and the address bits below
 *          the span are reserved (must be 0). At levels 3 and 4 PS is
 *          reserved. A reserved bit set faults the walk (-EBADMSG).
 *   A, D   accessed (every level: set on each entry the walk goes
 *          through) and dirty (leaves), set by the walk.
 *   PWT, PCD, G, XD   caching, global and execute-disable: no effect on a
 *          device's reads and writes; written 0.
 *   address  bits [51:12]: the next table's, or a leaf's output address.
 */
#include "iommu/pgtable/pgtable.h"

enum {
	X86_P = 1 << 0,
	X86_RW = 1 << 1,
	X86_US = 1 << 2,
	X86_A = 1 << 5,
	X86_D = 1 << 6,
	X86_PS = 1 << 7,
};

#define X86_ADDR (((1ull << 52) - 1) & ~((1ull << 12) - 1))

static bool x86_present(uint64_t entry)
{
	return entry & X86_P;
}

static bool x86_is_leaf(uint64_t entry, unsigned int level)
{
	return level == 0 || (entry & X86_PS);
}

static uint64_t x86_leaf_oa(uint64_t entry, unsigned int level)
{
	return entry & X86_ADDR & ~((1ull << (12 + 9 * level)) - 1);
}

/* Reads whenever present, writes with R/W; U/S is user_ok's. */
static int x86_prot(uint64_t entry)
{
	return IOMMU_READ | ((entry & X86_RW) ? IOMMU_WRITE : 0);
}

static bool x86_user_ok(uint64_t entry)
{
	return entry & X86_US;
}

/* PS where no leaf can be, and address bits a huge leaf's span holds
 * below bit 12's PAT. */
static bool x86_reserved(uint64_t entry, unsigned int level)
{
	if (!(entry & X86_PS) || !level)
		return false;
	if (level > 2)
		return true;
	return entry & X86_ADDR & ((1ull << (12 + 9 * level)) - 1) &
	       ~(1ull << 12);
}

static uint64_t x86_table_addr(uint64_t entry)
{
	return entry & X86_ADDR;
}

/* x86 has no write-only entry: a writable leaf is readable too. */
static uint64_t x86_make_leaf(uint64_t oa, unsigned int level, int prot)
{
	uint64_t entry = (oa & X86_ADDR) | X86_P | X86_US;

	if (level)
		entry |= X86_PS;
	if (prot & IOMMU_WRITE)
		entry |= X86_RW;
	return entry;
}

static uint64_t x86_make_table(uint64_t table)
{
	return (table & X86_ADDR) | X86_P | X86_RW | X86_US;
}

static uint64_t x86_make_accessed(uint64_t entry)
{
	return entry | X86_A;
}

static uint64_t x86_make_dirty(uint64_t entry)
{
	return entry | X86_D;
}

static bool x86_is_dirty(uint64_t entry)
{
	return entry & X86_D;
}

static uint64_t x86_make_clean(uint64_t entry)
{
	return entry & ~(uint64_t)X86_D;
}

#define X86_64_FORMAT(_name, _levels)                                          \
	{                                                                      \
		.name = _name,                                                 \
		.levels = _levels,                                             \
		.granule_lg2 = 12,                                             \
		.index_lg2 = 9,                                                \
		.va_lg2 = 12 + 9 * (_levels),                                  \
		.oa_lg2 = 52,                                                  \
		.leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),              \
		.present = x86_present,                                        \
		.is_leaf = x86_is_leaf,                                        \
		.leaf_oa = x86_leaf_oa,                                        \
		.leaf_prot = x86_prot,                                         \
		.table_addr = x86_table_addr,                                  \
		.table_prot = x86_prot,                                        \
		.user_ok = x86_user_ok,                                        \
		.reserved = x86_reserved,                                      \
		.table_accessed = true,                                        \
		.make_leaf = x86_make_leaf,                                    \
		.make_table = x86_make_table,                                  \
		.make_accessed = x86_make_accessed,                            \
		.make_dirty = x86_make_dirty,                                  \
		.is_dirty = x86_is_dirty,                                      \
		.make_clean = x86_make_clean,                                  \
	}

const struct pt_format pt_x86_64_format = X86_64_FORMAT("x86-64", 4);
const struct pt_format pt_x86_64_la57_format =
	X86_64_FORMAT("x86-64-la57", 5);
