// SPDX-License-Identifier: MIT
/*
 * Intel VT-d second-stage page tables (the VT-d specification, "Second-
 * Stage Paging Entries"): the format of a VT-d paging domain, and of the
 * stage 2 under a nested one.
 *
 *   granule      4 KiB, the leaf at level 0
 *   tables       4 KiB: 512 entries of 8 bytes, 9 index bits per level
 *   levels       4 (48-bit input) or 5 (57-bit input)
 *   leaves       level 0 (4 KiB), 1 (2 MiB) and 2 (1 GiB)
 *
 * One entry, 64 bits:
 *
 *   63  62  61   52 51               12 11  10  9   8   7   6  5   3  2  1  0
 *  +---+---+-------+-------------------+---+---+---+---+---+----+-----+--+--+--+
 *  |   |TM |       |     address       |SNP|   | D | A |PS |IPAT| EMT | X| W| R|
 *  +---+---+-------+-------------------+---+---+---+---+---+----+-----+--+--+--+
 *
 *   R, W   read and write permission. An entry with R, W and X clear is not
 *          present. Permissions are checked at every level: an access is
 *          allowed only if every entry on its path allows it, so a table
 *          entry carries R and W too (the kernel's driver sets both).
 *   X      execute; requests here never execute (SLEE is off), always 0.
 *   EMT, IPAT, SNP, TM   memory type, snoop and transient hints of a leaf;
 *          written 0, as the kernel's driver writes them by default.
 *   PS     at levels 1 and 2: the entry is a leaf for its whole span.
 *   A, D   accessed and dirty, set by the hardware on a translation and a
 *          write when second-stage A/D is enabled (SSADE, which the
 *          kernel turns on for dirty tracking).
 *   address  bits [51:12]: a leaf's output address or the next table's.
 */
#include "iommu/pgtable/pgtable.h"

enum {
	VTD_SS_R = 1 << 0,
	VTD_SS_W = 1 << 1,
	VTD_SS_X = 1 << 2,
	VTD_SS_PS = 1 << 7,
	VTD_SS_A = 1 << 8,
	VTD_SS_D = 1 << 9,
};

#define VTD_SS_ADDR (((1ull << 52) - 1) & ~((1ull << 12) - 1))

static bool vtd_ss_present(uint64_t entry)
{
	return entry & (VTD_SS_R | VTD_SS_W | VTD_SS_X);
}

static bool vtd_ss_is_leaf(uint64_t entry, unsigned int level)
{
	return level == 0 || (entry & VTD_SS_PS);
}

static uint64_t vtd_ss_addr(uint64_t entry, unsigned int level)
{
	(void)level;
	return entry & VTD_SS_ADDR;
}

static int vtd_ss_prot(uint64_t entry)
{
	return ((entry & VTD_SS_R) ? IOMMU_READ : 0) |
	       ((entry & VTD_SS_W) ? IOMMU_WRITE : 0);
}

static uint64_t vtd_ss_table_addr(uint64_t entry)
{
	return entry & VTD_SS_ADDR;
}

static uint64_t vtd_ss_make_leaf(uint64_t oa, unsigned int level, int prot)
{
	uint64_t entry = oa & VTD_SS_ADDR;

	if (level)
		entry |= VTD_SS_PS;
	if (prot & IOMMU_READ)
		entry |= VTD_SS_R;
	if (prot & IOMMU_WRITE)
		entry |= VTD_SS_W;
	return entry;
}

static uint64_t vtd_ss_make_table(uint64_t table)
{
	return (table & VTD_SS_ADDR) | VTD_SS_R | VTD_SS_W;
}

static uint64_t vtd_ss_make_accessed(uint64_t entry)
{
	return entry | VTD_SS_A;
}

static uint64_t vtd_ss_make_dirty(uint64_t entry)
{
	return entry | VTD_SS_D;
}

static bool vtd_ss_is_dirty(uint64_t entry)
{
	return entry & VTD_SS_D;
}

static uint64_t vtd_ss_make_clean(uint64_t entry)
{
	return entry & ~(uint64_t)VTD_SS_D;
}

#define VTD_SS_FORMAT(_name, _levels)                                          \
	{                                                                      \
		.name = _name,                                                 \
		.levels = _levels,                                             \
		.granule_lg2 = 12,                                             \
		.index_lg2 = 9,                                                \
		.va_lg2 = 12 + 9 * (_levels),                                  \
		.oa_lg2 = 52,                                                  \
		.leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),              \
		.present = vtd_ss_present,                                     \
		.is_leaf = vtd_ss_is_leaf,                                     \
		.leaf_oa = vtd_ss_addr,                                        \
		.leaf_prot = vtd_ss_prot,                                      \
		.table_addr = vtd_ss_table_addr,                               \
		.table_prot = vtd_ss_prot,                                     \
		.make_leaf = vtd_ss_make_leaf,                                 \
		.make_table = vtd_ss_make_table,                               \
		.make_accessed = vtd_ss_make_accessed,                         \
		.make_dirty = vtd_ss_make_dirty,                               \
		.is_dirty = vtd_ss_is_dirty,                                   \
		.make_clean = vtd_ss_make_clean,                               \
	}

const struct pt_format pt_vtd_ss_format = VTD_SS_FORMAT("vtd-ss", 4);
const struct pt_format pt_vtd_ss5_format = VTD_SS_FORMAT("vtd-ss-5", 5);
