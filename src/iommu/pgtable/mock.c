// SPDX-License-Identifier: MIT
/*
 * The mock IOMMU's page-table format: the "hardware's own format" of the
 * selftest IOMMU. It is ours; it keeps the page sizes and behaviour the
 * kernel's mock has (an I/O page of half the CPU page, huge leaves of 512 of
 * them), in a plain 4-level radix tree.
 *
 *   granule      2 KiB (MOCK_PAGE_SIZE): the leaf at level 0
 *   tables       4 KiB: 512 entries of 8 bytes, 9 index bits per level
 *   levels       4, so 11 + 4 * 9 = 47 bits of IOVA
 *   leaves       level 0 (2 KiB) and level 1 (1 MiB = MOCK_HUGE_PAGE_SIZE)
 *   spans        level 0: 2 KiB, 1: 1 MiB, 2: 512 MiB, 3: 256 GiB
 *
 * One entry, 64 bits:
 *
 *   63                                      11 10   7  6  5  4  3  2  1  0
 *  +------------------------------------------+------+--+--+--+--+--+--+--+
 *  |              address [63:11]             | zero | D| A| 0| L| R| W| P|
 *  +------------------------------------------+------+--+--+--+--+--+--+--+
 *
 *   P  present. An entry without P is empty; the walker writes empty
 *      entries as 0.
 *   W  the device may write through this leaf.
 *   R  the device may read through this leaf.
 *   L  leaf, at levels >= 1: the entry maps its whole span (a huge leaf)
 *      instead of pointing at a table. At level 0 every present entry is a
 *      leaf and L is written 0.
 *   A  accessed: set by the IOMMU when a translation uses the leaf.
 *   D  dirty: set by the IOMMU when a device write uses the leaf.
 *   address  a leaf's output address (aligned to its span, so a level-1
 *      leaf has bits [19:11] zero) or a table's address (4 KiB aligned, so
 *      bit 11 is zero): a host address in a domain's own tree.
 *
 * Table entries carry no permissions, accessed or dirty state (P only):
 * like AMD v1 with IR/IW always set on tables, permission lives in leaves.
 */
#include "iommu/pgtable/pgtable.h"

enum {
	MOCK_PTE_P = 1 << 0,
	MOCK_PTE_W = 1 << 1,
	MOCK_PTE_R = 1 << 2,
	MOCK_PTE_L = 1 << 3,
	MOCK_PTE_A = 1 << 5,
	MOCK_PTE_D = 1 << 6,
};

#define MOCK_PTE_ADDR (~0ull << 11)

static bool mock_present(uint64_t entry)
{
	return entry & MOCK_PTE_P;
}

static bool mock_is_leaf(uint64_t entry, unsigned int level)
{
	return level == 0 || (entry & MOCK_PTE_L);
}

static uint64_t mock_leaf_oa(uint64_t entry, unsigned int level)
{
	(void)level;
	return entry & MOCK_PTE_ADDR;
}

static int mock_leaf_prot(uint64_t entry)
{
	return ((entry & MOCK_PTE_R) ? IOMMU_READ : 0) |
	       ((entry & MOCK_PTE_W) ? IOMMU_WRITE : 0);
}

static uint64_t mock_table_addr(uint64_t entry)
{
	return entry & MOCK_PTE_ADDR;
}

static uint64_t mock_make_leaf(uint64_t oa, unsigned int level, int prot)
{
	uint64_t entry = (oa & MOCK_PTE_ADDR) | MOCK_PTE_P;

	if (level)
		entry |= MOCK_PTE_L;
	if (prot & IOMMU_READ)
		entry |= MOCK_PTE_R;
	if (prot & IOMMU_WRITE)
		entry |= MOCK_PTE_W;
	return entry;
}

static uint64_t mock_make_table(uint64_t table)
{
	return (table & MOCK_PTE_ADDR) | MOCK_PTE_P;
}

static uint64_t mock_make_accessed(uint64_t entry)
{
	return entry | MOCK_PTE_A;
}

static uint64_t mock_make_dirty(uint64_t entry)
{
	return entry | MOCK_PTE_D;
}

static bool mock_is_dirty(uint64_t entry)
{
	return entry & MOCK_PTE_D;
}

static uint64_t mock_make_clean(uint64_t entry)
{
	return entry & ~(uint64_t)MOCK_PTE_D;
}

const struct pt_format pt_mock_format = {
	.name = "mock",
	.levels = 4,
	.granule_lg2 = 11,
	.index_lg2 = 9,
	.va_lg2 = 47,
	.oa_lg2 = 64,
	.leaf_levels = (1u << 0) | (1u << 1),
	.present = mock_present,
	.is_leaf = mock_is_leaf,
	.leaf_oa = mock_leaf_oa,
	.leaf_prot = mock_leaf_prot,
	.table_addr = mock_table_addr,
	.table_prot = NULL,
	.make_leaf = mock_make_leaf,
	.make_table = mock_make_table,
	.make_accessed = mock_make_accessed,
	.make_dirty = mock_make_dirty,
	.is_dirty = mock_is_dirty,
	.make_clean = mock_make_clean,
};
