// SPDX-License-Identifier: MIT
/*
 * The walker's test suite (src/iommu/pgtable/walk.c), which every page-table
 * format plugs into (the mock's, VT-d's second stage, x86-64's), then what
 * each format alone promises: the entry layouts its file documents.
 *
 * The suite is the fixture "pgt": each FIXTURE_VARIANT_ADD(pgt, ...) below is
 * one format at one test configuration, and every TEST_F(pgt, ...) runs once
 * per entry. A test speaks only in the configuration's sizes (the granule,
 * the level 1 leaf, the span of level 2, one table's bytes) and checks raw
 * entries against the format's own encoders, so a new format joins by
 * adding one entry. It covers: edges of the input space, the leaf chosen for
 * each alignment, -EEXIST and rollback, unmap of part of a huge leaf, the
 * hardware walk with permissions and A/D bits, dirty harvesting, walks of
 * tables the walker does not own (through a checked reader, and routed
 * through a stage 2), a long randomized run against a plain per-granule
 * model, threads walking while others map and unmap (TSan; ASan for the
 * retired tables), and measured figures printed as "# " lines.
 *
 * Output addresses here are numbers the walker stores, never dereferences,
 * so they need not point at memory.
 */
#include "harness.h"
#include "sanitizer_scale.h"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <iommusim/uapi/iommufd_test.h>

#include "base/usermem.h"
#include "iommu/pgtable/pgtable.h"
#include "dirty_log.h"

#define SZ_4K 0x1000ull
#define SZ_1G 0x40000000ull
#define RW (IOMMU_READ | IOMMU_WRITE)
#define PA_BASE 0x7f0000000000ull

/* splitmix64: a fixed seed gives the same run everywhere. */
static uint64_t rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned int entry_index(const struct pt_format *f, uint64_t iova,
				unsigned int level)
{
	return (iova >> pt_level_lg2(f, level)) & ((1u << f->index_lg2) - 1);
}

/* The raw leaf entry mapping iova (0 if none), found by a walk of our own
 * through the format's callbacks. */
static uint64_t raw_leaf(struct pgtable *pt, uint64_t iova,
			 unsigned int *level_out)
{
	const struct pt_format *f = pt->fmt;
	uint64_t *table = pt->top;
	unsigned int level;

	for (level = pt->top_level;; level--) {
		uint64_t e = table[entry_index(f, iova, level)];

		if (!f->present(e))
			return 0;
		if (level == 0 || f->is_leaf(e, level)) {
			*level_out = level;
			return e;
		}
		table = (uint64_t *)(uintptr_t)f->table_addr(e);
	}
}

static uint64_t leaf_size_at(struct pgtable *pt, uint64_t iova)
{
	struct iommu_translation t = { 0 };

	if (pt_translate(pt, iova, false, false, &t))
		return 0;
	return t.leaf_size;
}

/* The sizes the format can hold as leaves, as a pgsize_bitmap. */
static uint64_t leaf_sizes(const struct pt_format *f)
{
	uint64_t sizes = 0;

	for (unsigned int level = 0; level < f->levels; level++)
		if (f->leaf_levels & (1u << level))
			sizes |= 1ull << pt_level_lg2(f, level);
	return sizes;
}

/* What a leaf made with prot grants: x86 has no write-only entry, so
 * there a writable leaf is readable too. */
static int stored_prot(const struct pt_format *f, int prot)
{
	return f->leaf_prot(f->make_leaf(0, 0, prot));
}

/* ---- the formats: one entry per format and test configuration ------------ */

FIXTURE_VARIANT(pgt)
{
	const struct pt_format *fmt;
	/* Changes the geometry of a copy of fmt; NULL: fmt as it is. */
	void (*configure)(struct pt_format *fmt);
	/* What the tests pass as "every size"; 0: the format's leaf sizes. */
	uint64_t all_sizes;
};

FIXTURE(pgt)
{
	struct pt_format configured;
	const struct pt_format *fmt;
	struct pgtable pt;
	uint64_t gran;	 /* the smallest leaf, level 0 */
	uint64_t huge;	 /* the level 1 leaf */
	uint64_t above;	 /* the span of level 2 */
	uint64_t va_top; /* the end of the input space */
	uint64_t table;	 /* bytes of one table */
	uint64_t all;	 /* a pgsize_bitmap with every leaf size */
	unsigned int top_level;
};

/* The mock IOMMU's format, with the page sizes its domains offer. */
FIXTURE_VARIANT_ADD(pgt, mock)
{
	.fmt = &pt_mock_format,
	.all_sizes = ((1ull << 38) - 1) & ~((1ull << 11) - 1),
};

/* The mock's encoding at another geometry: 4 KiB granule, 3 levels, leaves
 * at every level (4 KiB, 2 MiB, 1 GiB). It keeps the suite honest about
 * speaking only in the configuration's sizes. */
static void mock_at_4k(struct pt_format *f)
{
	f->name = "mock at 4 KiB, 3 levels";
	f->granule_lg2 = 12;
	f->levels = 3;
	f->va_lg2 = 39;
	f->leaf_levels = 0x7;
}

FIXTURE_VARIANT_ADD(pgt, mock_4k_3_levels)
{
	.fmt = &pt_mock_format,
	.configure = mock_at_4k,
};

/*
 * The mock's encoding with a present() that is not a test of bits (an
 * entry with bit 7, which the walker never writes, reads as empty): the
 * walker learns no leaf runs from it, so the suite walks level 0 entry by
 * entry, as for any format that keeps its own rules.
 */
static bool present_unless_bit7(uint64_t entry)
{
	return (entry & 1) && !(entry & (1u << 7));
}

static void mock_without_leaf_runs(struct pt_format *f)
{
	f->name = "mock, level 0 entry by entry";
	f->present = present_unless_bit7;
}

FIXTURE_VARIANT_ADD(pgt, mock_without_leaf_runs)
{
	.fmt = &pt_mock_format,
	.configure = mock_without_leaf_runs,
};

FIXTURE_VARIANT_ADD(pgt, vtd_ss)
{
	.fmt = &pt_vtd_ss_format,
};

FIXTURE_VARIANT_ADD(pgt, vtd_ss_5_levels)
{
	.fmt = &pt_vtd_ss5_format,
};

FIXTURE_VARIANT_ADD(pgt, x86_64)
{
	.fmt = &pt_x86_64_format,
};

FIXTURE_VARIANT_ADD(pgt, x86_64_la57)
{
	.fmt = &pt_x86_64_la57_format,
};

/* Shorthands for the configuration, inside TEST_F bodies. */
#define GRAN (self->gran)
#define HUGE_LEAF (self->huge)
#define ABOVE (self->above)
#define VA_TOP (self->va_top)
#define TABLE (self->table)
#define ALL_SIZES (self->all)
#define TOP_LEVEL (self->top_level)

FIXTURE_SETUP(pgt)
{
	self->fmt = variant->fmt;
	if (variant->configure) {
		self->configured = *variant->fmt;
		variant->configure(&self->configured);
		self->fmt = &self->configured;
	}
	/* The suite needs level 1 leaves and a level above them. */
	ASSERT_LE(3, self->fmt->levels);
	ASSERT_TRUE(self->fmt->leaf_levels & 2);
	ASSERT_EQ(0, pt_init(&self->pt, self->fmt));
	self->gran = 1ull << pt_level_lg2(self->fmt, 0);
	self->huge = 1ull << pt_level_lg2(self->fmt, 1);
	self->above = 1ull << pt_level_lg2(self->fmt, 2);
	self->va_top = 1ull << self->pt.va_lg2;
	self->table = self->pt.table_bytes;
	self->all = variant->all_sizes ? variant->all_sizes :
					 leaf_sizes(self->fmt);
	self->top_level = self->pt.top_level;
}

FIXTURE_TEARDOWN(pgt)
{
	pt_destroy(&self->pt);
}

/* ---- geometry and edges ------------------------------------------------- */

/* Runs of level-0 leaves are written in one loop where present() tests
 * bits and a leaf holds its address as it is: every format of ours. */
TEST_F(pgt, leaf_runs_learnt_from_the_format)
{
	bool bit_test = self->fmt->present != present_unless_bit7;

	EXPECT_EQ(bit_test, self->pt.present_bits != 0);
	for (unsigned int i = 0; bit_test && i < 64; i++)
		EXPECT_EQ(self->fmt->present(1ull << i),
			  (self->pt.present_bits >> i) & 1);
	EXPECT_TRUE(self->pt.linear_leaves);
}

TEST_F(pgt, empty_tree)
{
	ASSERT_EQ(pt_va_lg2(self->fmt), self->pt.va_lg2);
	ASSERT_EQ(self->fmt->levels - 1, TOP_LEVEL);
	ASSERT_EQ(8ull << self->fmt->index_lg2, TABLE);
	ASSERT_EQ(TABLE, pt_table_memory(&self->pt));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, 0));
	ASSERT_EQ(0, leaf_size_at(&self->pt, VA_TOP - 1));
}

TEST_F(pgt, top_of_input_space)
{
	struct iommu_translation t;

	ASSERT_EQ(0, pt_map(&self->pt, VA_TOP - HUGE_LEAF, PA_BASE, HUGE_LEAF,
			    RW, ALL_SIZES));
	ASSERT_EQ(HUGE_LEAF, leaf_size_at(&self->pt, VA_TOP - 1));
	ASSERT_EQ(PA_BASE + HUGE_LEAF - 1,
		  pt_iova_to_phys(&self->pt, VA_TOP - 1));
	ASSERT_EQ(-ERANGE, pt_map(&self->pt, VA_TOP, PA_BASE, GRAN, RW,
				  ALL_SIZES));
	ASSERT_EQ(-ERANGE, pt_map(&self->pt, VA_TOP - GRAN, PA_BASE, 2 * GRAN,
				  RW, ALL_SIZES));
	ASSERT_EQ(-ERANGE, pt_map(&self->pt, VA_TOP - GRAN, PA_BASE,
				  UINT64_MAX - GRAN + 1, RW, ALL_SIZES));
	ASSERT_EQ(-ERANGE, pt_translate(&self->pt, VA_TOP, false, false, &t));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, VA_TOP));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, UINT64_MAX));
	/* An unmap running past the top stops there. */
	ASSERT_EQ(HUGE_LEAF,
		  pt_unmap(&self->pt, VA_TOP - HUGE_LEAF, UINT64_MAX));
	ASSERT_EQ(0, pt_unmap(&self->pt, VA_TOP, GRAN));
	/* IOVA 0 works too. */
	ASSERT_EQ(0, pt_map(&self->pt, 0, 0, GRAN, RW, ALL_SIZES));
	ASSERT_EQ(GRAN - 1, pt_iova_to_phys(&self->pt, GRAN - 1));
}

TEST_F(pgt, bad_arguments)
{
	uint64_t a = HUGE_LEAF;

	ASSERT_EQ(-EINVAL, pt_map(&self->pt, a, PA_BASE, 0, RW, ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, a + 1, PA_BASE, GRAN, RW,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, a, PA_BASE + 8, GRAN, RW,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, a, PA_BASE, GRAN + 1, RW,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, a, PA_BASE, GRAN, 0, ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, a, PA_BASE, GRAN, 1 << 5,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, a, PA_BASE, GRAN, RW, 0));
	ASSERT_EQ(-ERANGE, pt_map(&self->pt, a, UINT64_MAX - GRAN + 1,
				  2 * GRAN, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_unmap(&self->pt, a, 0));
	ASSERT_EQ(-EINVAL, pt_mark_dirty(&self->pt, a, 0));
	ASSERT_EQ(-ERANGE, pt_mark_dirty(&self->pt, VA_TOP, GRAN));
	ASSERT_EQ(-EINVAL, pt_read_and_clear_dirty(&self->pt, a, 0, 0, NULL));
	ASSERT_EQ(TABLE, pt_table_memory(&self->pt));
}

/* ---- leaf choice ------------------------------------------------------------- */

TEST_F(pgt, aligned_huge_range_is_one_huge_leaf)
{
	uint64_t iova = 5 * HUGE_LEAF, pa = PA_BASE + 7 * HUGE_LEAF;
	unsigned int level;
	uint64_t e;

	ASSERT_EQ(0, pt_map(&self->pt, iova, pa, HUGE_LEAF, RW, ALL_SIZES));
	e = raw_leaf(&self->pt, iova + HUGE_LEAF / 3, &level);
	ASSERT_EQ(1, level);
	ASSERT_EQ(self->fmt->make_leaf(pa, 1, RW), e);
	ASSERT_EQ(HUGE_LEAF, leaf_size_at(&self->pt, iova));
	/* the tables down to level 1; no level 0 table was needed */
	ASSERT_EQ(TOP_LEVEL * TABLE, pt_table_memory(&self->pt));
	ASSERT_EQ(pa + HUGE_LEAF - 1,
		  pt_iova_to_phys(&self->pt, iova + HUGE_LEAF - 1));
	ASSERT_EQ(HUGE_LEAF, pt_unmap(&self->pt, iova, HUGE_LEAF));
}

TEST_F(pgt, misaligned_paddr_gives_small_leaves)
{
	uint64_t iova = 5 * HUGE_LEAF, pa = PA_BASE + 7 * HUGE_LEAF + GRAN;
	unsigned int level;
	uint64_t off;

	ASSERT_EQ(0, pt_map(&self->pt, iova, pa, HUGE_LEAF, IOMMU_READ,
			    ALL_SIZES));
	for (off = 0; off < HUGE_LEAF; off += GRAN) {
		ASSERT_EQ(self->fmt->make_leaf(pa + off, 0, IOMMU_READ),
			  raw_leaf(&self->pt, iova + off, &level));
		ASSERT_EQ(0, level);
	}
	ASSERT_EQ((TOP_LEVEL + 1) * TABLE, pt_table_memory(&self->pt));
	ASSERT_EQ(HUGE_LEAF, pt_unmap(&self->pt, iova, HUGE_LEAF));
}

TEST_F(pgt, mixed_run_takes_the_largest_leaf_each_step)
{
	/* A granule short of a huge boundary, three huge leaves long: one
	 * small leaf, two huge ones, then small leaves for the last huge
	 * span less a granule. */
	uint64_t iova = 8 * HUGE_LEAF - GRAN;
	uint64_t pa = PA_BASE + 16 * HUGE_LEAF - GRAN;

	ASSERT_EQ(0, pt_map(&self->pt, iova, pa, 3 * HUGE_LEAF, RW,
			    ALL_SIZES));
	ASSERT_EQ(GRAN, leaf_size_at(&self->pt, iova));
	ASSERT_EQ(HUGE_LEAF, leaf_size_at(&self->pt, 8 * HUGE_LEAF));
	ASSERT_EQ(HUGE_LEAF, leaf_size_at(&self->pt, 9 * HUGE_LEAF + 77));
	ASSERT_EQ(GRAN, leaf_size_at(&self->pt, 10 * HUGE_LEAF));
	ASSERT_EQ(GRAN, leaf_size_at(&self->pt, 11 * HUGE_LEAF - 2 * GRAN));
	ASSERT_EQ(0, leaf_size_at(&self->pt, 11 * HUGE_LEAF - GRAN));
	ASSERT_EQ(pa + GRAN + HUGE_LEAF + 77,
		  pt_iova_to_phys(&self->pt, 9 * HUGE_LEAF + 77));
	ASSERT_EQ(3 * HUGE_LEAF, pt_unmap(&self->pt, iova, 3 * HUGE_LEAF));
}

TEST_F(pgt, bitmap_limits_the_leaves)
{
	/* The granule only: no huge leaf even when aligned. */
	ASSERT_EQ(0, pt_map(&self->pt, SZ_1G, PA_BASE, HUGE_LEAF, RW, GRAN));
	ASSERT_EQ(GRAN, leaf_size_at(&self->pt, SZ_1G));
	/* The huge leaf and twice the granule, which no level spans (as the
	 * MOCK_IOMMUPT_HUGE bitmap's 4 KiB over the mock's 2 KiB): huge
	 * leaves, and the other size built of granules. */
	ASSERT_EQ(0, pt_map(&self->pt, 2 * SZ_1G, PA_BASE, HUGE_LEAF + 2 * GRAN,
			    RW, HUGE_LEAF | 2 * GRAN));
	ASSERT_EQ(HUGE_LEAF, leaf_size_at(&self->pt, 2 * SZ_1G));
	ASSERT_EQ(GRAN, leaf_size_at(&self->pt, 2 * SZ_1G + HUGE_LEAF));
	ASSERT_EQ(GRAN, leaf_size_at(&self->pt, 2 * SZ_1G + HUGE_LEAF + GRAN));
	ASSERT_EQ(PA_BASE + HUGE_LEAF + GRAN,
		  pt_iova_to_phys(&self->pt, 2 * SZ_1G + HUGE_LEAF + GRAN));
}

/* ---- -EEXIST and rollback ------------------------------------------------------- */

TEST_F(pgt, overlap_is_eexist_and_rolls_back)
{
	uint64_t a = 64 * HUGE_LEAF;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 4 * GRAN, RW, ALL_SIZES));
	/* Starts in free space, runs into the mapping: what it mapped before
	 * meeting it is undone. */
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a - 8 * GRAN, PA_BASE + SZ_1G,
				  16 * GRAN, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a - 8 * GRAN));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a - GRAN));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a + 4 * GRAN));
	ASSERT_EQ(PA_BASE, pt_iova_to_phys(&self->pt, a));
	ASSERT_EQ(PA_BASE + 3 * GRAN, pt_iova_to_phys(&self->pt, a + 3 * GRAN));
	/* A huge leaf over a table holding a mapping. */
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a, PA_BASE, HUGE_LEAF, RW,
				  ALL_SIZES));
	/* A small leaf under a huge leaf, and a huge over a huge. */
	ASSERT_EQ(0, pt_map(&self->pt, a + HUGE_LEAF, PA_BASE, HUGE_LEAF, RW,
			    ALL_SIZES));
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a + HUGE_LEAF + 2 * GRAN, PA_BASE,
				  GRAN, RW, ALL_SIZES));
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a + HUGE_LEAF, PA_BASE, HUGE_LEAF,
				  RW, ALL_SIZES));
	/* A long map failing at its far end leaves nothing, huge leaves
	 * included. */
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a - 4 * HUGE_LEAF, PA_BASE,
				  4 * HUGE_LEAF + GRAN, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a - 4 * HUGE_LEAF));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a - GRAN));
	ASSERT_EQ(4 * GRAN + HUGE_LEAF,
		  pt_unmap(&self->pt, a, 2 * HUGE_LEAF));
}

/* Allocation failures, provoked with an address-space limit. The sanitizers
 * reserve terabytes of shadow, so this runs only in plain builds. */
#define HAVE_SANITIZER (SANITIZER_SCALE > 1)

static uint64_t vm_size(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

TEST_F(pgt, enomem_rolls_back)
{
	struct rlimit old, lim;
	uint64_t before, base = 4 * SZ_1G;
	int ret;

	if (HAVE_SANITIZER)
		SKIP(return, "an address-space limit breaks the sanitizers");
	ASSERT_EQ(0, pt_map(&self->pt, base - GRAN, PA_BASE, GRAN, RW,
			    ALL_SIZES));
	before = pt_table_memory(&self->pt);
	ASSERT_EQ(0, getrlimit(RLIMIT_AS, &old));
	lim = old;
	lim.rlim_cur = vm_size() + 16 * (1ull << 20);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &lim));
	/* 64 GiB of small leaves needs tens of thousands of tables: far
	 * past the limit. */
	ret = pt_map(&self->pt, base, PA_BASE + GRAN, 64 * SZ_1G, RW, GRAN);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &old));
	ASSERT_EQ(-ENOMEM, ret);
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, base));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, base + SZ_1G));
	ASSERT_EQ(0, pt_unmap(&self->pt, base, 64 * SZ_1G));
	ASSERT_EQ(PA_BASE, pt_iova_to_phys(&self->pt, base - GRAN));
	/* What the rollback unlinked whole went back to the allocator. */
	ASSERT_GE(before + 8 * TABLE, pt_table_memory(&self->pt));
}

/* ---- unmap ----------------------------------------------------------------- */

TEST_F(pgt, unmap_part_of_huge_leaf_removes_it_whole)
{
	uint64_t a = 32 * HUGE_LEAF;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 3 * HUGE_LEAF, RW,
			    ALL_SIZES));
	/* From the middle of one: that leaf goes, its whole size counted. */
	ASSERT_EQ(HUGE_LEAF, pt_unmap(&self->pt, a + 5 * GRAN, GRAN));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a + HUGE_LEAF - 1));
	/* Across the boundary of the other two: both go. */
	ASSERT_EQ(2 * HUGE_LEAF,
		  pt_unmap(&self->pt, a + 2 * HUGE_LEAF - GRAN, 2 * GRAN));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a + HUGE_LEAF));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a + 3 * HUGE_LEAF - 1));
	ASSERT_EQ(0, pt_unmap(&self->pt, a, 3 * HUGE_LEAF));
}

TEST_F(pgt, unmap_skips_holes_and_counts_leaves)
{
	uint64_t a = 128 * HUGE_LEAF;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 3 * GRAN, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, a + 100 * GRAN, PA_BASE, GRAN, RW,
			    ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, a + 2 * HUGE_LEAF, PA_BASE, HUGE_LEAF,
			    RW, ALL_SIZES));
	/* Unaligned bytes still take the leaves they touch. */
	ASSERT_EQ(4 * GRAN + HUGE_LEAF,
		  pt_unmap(&self->pt, a + 1, 3 * HUGE_LEAF - 2));
	ASSERT_EQ(0, pt_unmap(&self->pt, a, 4 * HUGE_LEAF));
}

TEST_F(pgt, covered_tables_are_freed)
{
	uint64_t a = 3 * SZ_1G, base = pt_table_memory(&self->pt);

	/* A huge span of small leaves fills one level 0 table. */
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE + GRAN, HUGE_LEAF, RW,
			    ALL_SIZES));
	ASSERT_EQ(base + TOP_LEVEL * TABLE, pt_table_memory(&self->pt));
	/* Partly unmapped, it stays. */
	ASSERT_EQ(GRAN, pt_unmap(&self->pt, a, GRAN));
	ASSERT_EQ(base + TOP_LEVEL * TABLE, pt_table_memory(&self->pt));
	/* Covered whole by an unmap, it goes (no reader is in flight). */
	ASSERT_EQ(HUGE_LEAF - GRAN, pt_unmap(&self->pt, a, HUGE_LEAF));
	ASSERT_EQ(base + (TOP_LEVEL - 1) * TABLE, pt_table_memory(&self->pt));
	/* A level 2 span covered: the level 1 table and the level 0 tables
	 * below it. */
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE + GRAN, 4 * HUGE_LEAF, RW,
			    ALL_SIZES));
	ASSERT_EQ(base + (TOP_LEVEL + 3) * TABLE, pt_table_memory(&self->pt));
	ASSERT_EQ(4 * HUGE_LEAF, pt_unmap(&self->pt, a, ABOVE));
	ASSERT_EQ(base + (TOP_LEVEL - 2) * TABLE, pt_table_memory(&self->pt));
}

TEST_F(pgt, huge_leaf_replaces_an_emptied_table)
{
	uint64_t a = 7 * HUGE_LEAF, base = pt_table_memory(&self->pt);

	ASSERT_EQ(0, pt_map(&self->pt, a + 2 * GRAN, PA_BASE, GRAN, RW,
			    ALL_SIZES));
	ASSERT_EQ(GRAN, pt_unmap(&self->pt, a + 2 * GRAN, GRAN));
	ASSERT_EQ(base + TOP_LEVEL * TABLE, pt_table_memory(&self->pt));
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, HUGE_LEAF, RW, ALL_SIZES));
	ASSERT_EQ(HUGE_LEAF, leaf_size_at(&self->pt, a + 2 * GRAN));
	ASSERT_EQ(base + (TOP_LEVEL - 1) * TABLE, pt_table_memory(&self->pt));
}

/*
 * A map or unmap inside one level-0 table goes straight to the table the
 * thread last wrote there, while the tree keeps it: one taken out (by an
 * unmap over its span, or a huge leaf in its place) is not written again,
 * and each of two trees keeps its own.
 */
TEST_F(pgt, remembered_leaf_table_follows_the_tree)
{
	uint64_t a = 5 * HUGE_LEAF + 4 * GRAN, base = pt_table_memory(&self->pt);
	struct pgtable other;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 2 * GRAN, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, a + 2 * GRAN, PA_BASE + 2 * GRAN,
			    2 * GRAN, RW, ALL_SIZES));
	EXPECT_EQ(PA_BASE + 3 * GRAN, pt_iova_to_phys(&self->pt, a + 3 * GRAN));
	/* the table goes with its whole span, and another takes its place */
	ASSERT_EQ(4 * GRAN, pt_unmap(&self->pt, a & ~(HUGE_LEAF - 1),
				     HUGE_LEAF));
	ASSERT_EQ(base + (TOP_LEVEL - 1) * TABLE, pt_table_memory(&self->pt));
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE + GRAN, GRAN, RW, ALL_SIZES));
	ASSERT_EQ(base + TOP_LEVEL * TABLE, pt_table_memory(&self->pt));
	EXPECT_EQ(PA_BASE + GRAN, pt_iova_to_phys(&self->pt, a));
	EXPECT_EQ(GRAN, leaf_size_at(&self->pt, a));
	ASSERT_EQ(GRAN, pt_unmap(&self->pt, a, GRAN));

	/* a huge leaf in the emptied table's place: an unmap inside it
	 * takes the leaf, whole */
	ASSERT_EQ(0, pt_map(&self->pt, a & ~(HUGE_LEAF - 1), PA_BASE,
			    HUGE_LEAF, RW, ALL_SIZES));
	EXPECT_EQ(HUGE_LEAF, leaf_size_at(&self->pt, a));
	EXPECT_EQ(HUGE_LEAF, pt_unmap(&self->pt, a, GRAN));
	EXPECT_EQ(0, leaf_size_at(&self->pt, a));
	EXPECT_EQ(0, pt_iova_to_phys(&self->pt, a));

	/* two trees, the same IOVA, turn about */
	ASSERT_EQ(0, pt_init(&other, self->fmt));
	for (unsigned int i = 0; i < 4; i++) {
		ASSERT_EQ(0, pt_map(&self->pt, a + i * GRAN, PA_BASE + i * GRAN,
				    GRAN, RW, ALL_SIZES));
		ASSERT_EQ(0, pt_map(&other, a + i * GRAN,
				    PA_BASE + (8 + i) * GRAN, GRAN, RW,
				    ALL_SIZES));
	}
	for (unsigned int i = 0; i < 4; i++) {
		EXPECT_EQ(PA_BASE + i * GRAN,
			  pt_iova_to_phys(&self->pt, a + i * GRAN));
		EXPECT_EQ(PA_BASE + (8 + i) * GRAN,
			  pt_iova_to_phys(&other, a + i * GRAN));
	}
	EXPECT_EQ(4 * GRAN, pt_unmap(&other, a, 4 * GRAN));
	EXPECT_EQ(PA_BASE, pt_iova_to_phys(&self->pt, a));
	EXPECT_EQ(4 * GRAN, pt_unmap(&self->pt, a, 4 * GRAN));
	pt_destroy(&other);
}

/* ---- the hardware walk -------------------------------------------------------- */

TEST_F(pgt, translate_checks_permissions)
{
	struct iommu_translation t = { .prot = -1 };
	uint64_t a = SZ_1G;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, GRAN, IOMMU_READ,
			    ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, a + GRAN, PA_BASE + 2 * GRAN, GRAN,
			    IOMMU_WRITE, ALL_SIZES));
	ASSERT_EQ(0, pt_translate(&self->pt, a + 5, false, true, &t));
	ASSERT_EQ(PA_BASE + 5, t.oa);
	ASSERT_EQ(GRAN, t.leaf_size);
	ASSERT_EQ(IOMMU_READ, t.prot);
	t.oa = 0;
	ASSERT_EQ(-EPERM, pt_translate(&self->pt, a + 6, true, true, &t));
	ASSERT_EQ(PA_BASE + 6, t.oa);
	ASSERT_EQ(IOMMU_READ, t.prot);
	/* a write-only leaf, where the format has one */
	ASSERT_EQ(stored_prot(self->fmt, IOMMU_WRITE) & IOMMU_READ ? 0 : -EPERM,
		  pt_translate(&self->pt, a + GRAN, false, true, &t));
	ASSERT_EQ(stored_prot(self->fmt, IOMMU_WRITE), t.prot);
	ASSERT_EQ(0, pt_translate(&self->pt, a + GRAN + 9, true, true, &t));
	ASSERT_EQ(PA_BASE + 2 * GRAN + 9, t.oa);
	ASSERT_EQ(-ENOENT, pt_translate(&self->pt, a + 2 * GRAN, false, true,
					&t));
	ASSERT_EQ(-ENOENT, pt_translate(&self->pt, 0, false, true, &t));
}

TEST_F(pgt, translate_sets_accessed_and_dirty)
{
	const struct pt_format *f = self->fmt;
	struct iommu_translation t;
	uint64_t a = SZ_1G, e;
	unsigned int level;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, HUGE_LEAF + GRAN, RW,
			    ALL_SIZES));
	e = raw_leaf(&self->pt, a, &level);
	ASSERT_EQ(f->make_leaf(PA_BASE, 1, RW), e);
	ASSERT_NE(e, f->make_accessed(e));
	ASSERT_FALSE(f->is_dirty(e));
	/* Without set_ad nothing moves. */
	ASSERT_EQ(0, pt_translate(&self->pt, a, true, false, &t));
	ASSERT_EQ(e, raw_leaf(&self->pt, a, &level));
	/* A read sets A only. */
	ASSERT_EQ(0, pt_translate(&self->pt, a + 100, false, true, &t));
	ASSERT_EQ(f->make_accessed(e), raw_leaf(&self->pt, a, &level));
	/* A write sets D, on the whole huge leaf. */
	ASSERT_EQ(0, pt_translate(&self->pt, a + HUGE_LEAF - 1, true, true,
				  &t));
	ASSERT_EQ(HUGE_LEAF, t.leaf_size);
	ASSERT_EQ(f->make_dirty(f->make_accessed(e)),
		  raw_leaf(&self->pt, a, &level));
	ASSERT_EQ(1, level);
	/* The small leaf next to it is untouched. */
	e = raw_leaf(&self->pt, a + HUGE_LEAF, &level);
	ASSERT_EQ(0, level);
	ASSERT_EQ(f->make_leaf(PA_BASE + HUGE_LEAF, 0, RW), e);
}

/* ---- dirty tracking ---------------------------------------------------------- */

TEST_F(pgt, read_and_clear_dirty)
{
	const struct pt_format *f = self->fmt;
	struct iommu_translation t;
	struct dirty_log log;
	uint64_t a = 2 * SZ_1G;

	/* A huge leaf, then 8 small ones. */
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, HUGE_LEAF + 8 * GRAN, RW,
			    ALL_SIZES));
	ASSERT_EQ(0, pt_translate(&self->pt, a + 3 * GRAN, true, true, &t));
	ASSERT_EQ(0, pt_translate(&self->pt, a + HUGE_LEAF + 2 * GRAN + 1,
				  true, true, &t));
	ASSERT_EQ(0, pt_translate(&self->pt, a + HUGE_LEAF + 5 * GRAN, false,
				  true, &t));

	/* NO_CLEAR reports and keeps: twice the same. */
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, 2 * HUGE_LEAF,
					     IOMMU_DIRTY_NO_CLEAR, &log.bitmap));
	ASSERT_EQ(2, log.n);
	ASSERT_EQ(a, log.iova[0]);
	ASSERT_EQ(HUGE_LEAF, log.length[0]);
	ASSERT_EQ(a + HUGE_LEAF + 2 * GRAN, log.iova[1]);
	ASSERT_EQ(GRAN, log.length[1]);
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, 2 * HUGE_LEAF,
					     IOMMU_DIRTY_NO_CLEAR, &log.bitmap));
	ASSERT_EQ(2, log.n);

	/* A query over part of the huge leaf gets that part. */
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a + 2 * GRAN, 2 * GRAN,
					     IOMMU_DIRTY_NO_CLEAR, &log.bitmap));
	ASSERT_EQ(1, log.n);
	ASSERT_EQ(a + 2 * GRAN, log.iova[0]);
	ASSERT_EQ(2 * GRAN, log.length[0]);

	/* Clearing: reported once, then gone. */
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, 2 * HUGE_LEAF, 0,
					     &log.bitmap));
	ASSERT_EQ(2, log.n);
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, 2 * HUGE_LEAF, 0,
					     &log.bitmap));
	ASSERT_EQ(0, log.n);
	/* Accessed stays: only dirty is harvested. */
	ASSERT_EQ(f->make_accessed(f->make_leaf(PA_BASE, 1, RW)),
		  raw_leaf(&self->pt, a, &(unsigned int){ 0 }));

	/* No bitmap: clear only. */
	ASSERT_EQ(0, pt_translate(&self->pt, a, true, true, &t));
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, HUGE_LEAF, 0, NULL));
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, HUGE_LEAF, 0,
					     &log.bitmap));
	ASSERT_EQ(0, log.n);
}

TEST_F(pgt, mark_dirty)
{
	const struct pt_format *f = self->fmt;
	struct dirty_log log;
	uint64_t a = 2 * SZ_1G;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 4 * GRAN, IOMMU_READ,
			    ALL_SIZES));
	ASSERT_EQ(0, pt_mark_dirty(&self->pt, a + GRAN, 2 * GRAN));
	ASSERT_EQ(-ENOENT, pt_mark_dirty(&self->pt, a + 3 * GRAN, 2 * GRAN));
	ASSERT_EQ(-ENOENT, pt_mark_dirty(&self->pt, a + HUGE_LEAF, GRAN));
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, HUGE_LEAF, 0,
					     &log.bitmap));
	ASSERT_EQ(3, log.n);
	ASSERT_EQ(a + GRAN, log.iova[0]);
	ASSERT_EQ(a + 2 * GRAN, log.iova[1]);
	ASSERT_EQ(a + 3 * GRAN, log.iova[2]);
	/* Marking sets D, not A. */
	ASSERT_EQ(0, pt_mark_dirty(&self->pt, a, GRAN));
	ASSERT_EQ(f->make_dirty(f->make_leaf(PA_BASE, 0, IOMMU_READ)),
		  raw_leaf(&self->pt, a, &(unsigned int){ 0 }));
}

/* ---- tables the walker does not own ------------------------------------------ */

/*
 * A tree made by hand, as a guest makes its stage 1: tables of our own
 * allocation, linked with the format's encoders; table 0 is the top. The
 * entries name table k by stored_base + k * table_bytes when stored_base is
 * set (addresses that only a stage 2 turns into host ones), else by its
 * host address.
 */
#define HAND_TABLES 16

struct hand_tree {
	const struct pt_format *fmt;
	uint64_t table_bytes;
	uint64_t stored_base;
	uint64_t *tables[HAND_TABLES];
	unsigned int n;
};

static uint64_t hand_stored(const struct hand_tree *h, unsigned int k)
{
	if (h->stored_base)
		return h->stored_base + k * h->table_bytes;
	return (uintptr_t)h->tables[k];
}

/* A new empty table's number, or HAND_TABLES when none can be had. */
static unsigned int hand_new_table(struct hand_tree *h)
{
	void *p;

	if (h->n == HAND_TABLES ||
	    posix_memalign(&p, h->table_bytes, h->table_bytes))
		return HAND_TABLES;
	memset(p, 0, h->table_bytes);
	h->tables[h->n] = p;
	return h->n++;
}

static unsigned int hand_find(const struct hand_tree *h, uint64_t stored)
{
	unsigned int k;

	for (k = 0; k < h->n && hand_stored(h, k) != stored; k++)
		;
	return k;
}

/* The table holding the entry for iova at level, made on the way down. */
static uint64_t *hand_table_at(struct hand_tree *h, uint64_t iova,
			       unsigned int level)
{
	const struct pt_format *f = h->fmt;
	unsigned int at, k = 0;

	for (at = f->levels - 1; at > level && k < HAND_TABLES; at--) {
		uint64_t *slot = &h->tables[k][entry_index(f, iova, at)];

		if (f->present(*slot)) {
			k = hand_find(h, f->table_addr(*slot));
		} else {
			k = hand_new_table(h);
			if (k < HAND_TABLES)
				*slot = f->make_table(hand_stored(h, k));
		}
	}
	return k < HAND_TABLES ? h->tables[k] : NULL;
}

static int hand_map(struct hand_tree *h, uint64_t iova, uint64_t oa,
		    unsigned int level, int prot)
{
	uint64_t *table = hand_table_at(h, iova, level);

	if (!table)
		return -ENOMEM;
	table[entry_index(h->fmt, iova, level)] =
		h->fmt->make_leaf(oa, level, prot);
	return 0;
}

static int hand_init(struct hand_tree *h, const struct pt_format *fmt,
		     uint64_t table_bytes, uint64_t stored_base)
{
	*h = (struct hand_tree){ .fmt = fmt, .table_bytes = table_bytes,
				 .stored_base = stored_base };
	return hand_new_table(h) == 0 ? 0 : -ENOMEM;
}

static void hand_free(struct hand_tree *h)
{
	while (h->n)
		free(h->tables[--h->n]);
}

TEST_F(pgt, user_table_through_the_checked_reader)
{
	struct pt_usermem_reader rd;
	struct iommu_translation t, own;
	struct pt_user_table user;
	struct hand_tree h;
	uint64_t a = SZ_1G, small = SZ_1G + HUGE_LEAF;

	ASSERT_EQ(0, usermem_init());
	pt_usermem_reader_init(&rd, usermem_self());
	ASSERT_EQ(0, hand_init(&h, self->fmt, TABLE, 0));
	ASSERT_EQ(0, hand_map(&h, a, PA_BASE, 1, RW));
	ASSERT_EQ(0, hand_map(&h, small, PA_BASE + HUGE_LEAF + 3 * GRAN, 0,
			      IOMMU_READ));
	user = (struct pt_user_table){ self->fmt, hand_stored(&h, 0), &rd.rd };

	ASSERT_EQ(0, pt_translate_user(&user, a + 5, false, false, &t));
	ASSERT_EQ(PA_BASE + 5, t.oa);
	ASSERT_EQ(HUGE_LEAF, t.leaf_size);
	ASSERT_EQ(RW, t.prot);
	ASSERT_EQ(-EPERM, pt_translate_user(&user, small + 7, true, false, &t));
	ASSERT_EQ(PA_BASE + HUGE_LEAF + 3 * GRAN + 7, t.oa);
	ASSERT_EQ(GRAN, t.leaf_size);
	ASSERT_EQ(IOMMU_READ, t.prot);
	ASSERT_EQ(-ENOENT, pt_translate_user(&user, small + GRAN, false, false,
					     &t));
	ASSERT_EQ(-ERANGE, pt_translate_user(&user, VA_TOP, false, false, &t));
	/* A/D as the hardware sets them, in the user's own memory. */
	ASSERT_EQ(0, pt_translate_user(&user, a + 5, true, true, &t));
	ASSERT_TRUE(self->fmt->is_dirty(
		hand_table_at(&h, a, 1)[entry_index(self->fmt, a, 1)]));
	ASSERT_EQ(-EPERM, pt_translate_user(&user, small, true, true, &t));
	ASSERT_FALSE(self->fmt->is_dirty(
		hand_table_at(&h, small, 0)[entry_index(self->fmt, small, 0)]));
	/* A reader that cannot write tables cannot set A/D. */
	rd.rd.exchange = NULL;
	ASSERT_EQ(-EOPNOTSUPP, pt_translate_user(&user, a, false, true, &t));
	ASSERT_EQ(0, pt_translate_user(&user, a, false, false, &t));

	/* The same walk as in a tree of the walker's own. */
	ASSERT_EQ(0, pt_map(&self->pt, small, PA_BASE + HUGE_LEAF + 3 * GRAN,
			    GRAN, IOMMU_READ, ALL_SIZES));
	ASSERT_EQ(-EPERM, pt_translate(&self->pt, small + 7, true, false,
				       &own));
	ASSERT_EQ(0, pt_translate_user(&user, small + 7, false, false, &t));
	ASSERT_EQ(own.oa, t.oa);
	ASSERT_EQ(own.leaf_size, t.leaf_size);
	ASSERT_EQ(own.prot, t.prot);
	hand_free(&h);
}

TEST_F(pgt, user_table_at_a_bad_address_is_efault)
{
	const struct pt_format *f = self->fmt;
	struct pt_usermem_reader rd;
	struct iommu_translation t;
	struct pt_user_table user;
	struct hand_tree h;
	uint64_t a = SZ_1G, *top, *level1, saved;
	void *bad;

	ASSERT_EQ(0, usermem_init());
	pt_usermem_reader_init(&rd, usermem_self());
	bad = mmap(NULL, TABLE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, hand_init(&h, f, TABLE, 0));
	ASSERT_EQ(0, hand_map(&h, a, PA_BASE, 0, RW));
	ASSERT_EQ(0, hand_map(&h, a + ABOVE, PA_BASE, 0, RW));
	user = (struct pt_user_table){ f, hand_stored(&h, 0), &rd.rd };
	ASSERT_EQ(0, pt_translate_user(&user, a, false, false, &t));

	/* The top itself: inaccessible, unmapped, non-canonical, at the end
	 * of the address space (the entry's address wraps). */
	user.top = (uintptr_t)bad;
	ASSERT_EQ(-EFAULT, pt_translate_user(&user, a, false, false, &t));
	user.top = 0;
	ASSERT_EQ(-EFAULT, pt_translate_user(&user, a, false, false, &t));
	user.top = 1ull << 63;
	ASSERT_EQ(-EFAULT, pt_translate_user(&user, a, false, false, &t));
	user.top = UINT64_MAX & ~(TABLE - 1);
	ASSERT_EQ(-EFAULT, pt_translate_user(&user, VA_TOP - 1, false, false,
					     &t));
	user.top = hand_stored(&h, 0);

	/* A table entry below the top pointing at the bad page. */
	top = h.tables[0];
	saved = top[entry_index(f, a, TOP_LEVEL)];
	top[entry_index(f, a, TOP_LEVEL)] = f->make_table((uintptr_t)bad);
	ASSERT_EQ(-EFAULT, pt_translate_user(&user, a, false, false, &t));
	top[entry_index(f, a, TOP_LEVEL)] = saved;
	/* The last table before the leaf. */
	level1 = hand_table_at(&h, a, 1);
	ASSERT_NONNULL(level1);
	level1[entry_index(f, a, 1)] = f->make_table((uintptr_t)bad);
	ASSERT_EQ(-EFAULT, pt_translate_user(&user, a, false, false, &t));
	/* Walks that need none of it still work. */
	ASSERT_EQ(0, pt_translate_user(&user, a + ABOVE + 9, false, false, &t));
	ASSERT_EQ(PA_BASE + 9, t.oa);
	munmap(bad, TABLE);
	hand_free(&h);
}

/*
 * A reader for a nested walk: a stage-1 table address goes through a stage
 * 2 (a tree of the walker's own) to the host address of the entry, which
 * the checked reader then reads; A/D updates need stage 2 to allow the
 * write. When stage 2 refuses, the reader records its answer, so the
 * caller can tell a stage-2 fault from a stage-1 one.
 */
struct stage2_reader {
	struct pt_reader rd;
	struct pgtable *s2;
	struct pt_usermem_reader host;
	int fault; /* stage 2's answer, 0 while it has refused nothing */
	uint64_t fault_at;
	unsigned int loads;
};

static int stage2_route(struct stage2_reader *r, uint64_t table,
			unsigned int index, bool write, uint64_t *host)
{
	struct iommu_translation t;
	uint64_t at = table + index * sizeof(uint64_t);
	int ret = pt_translate(r->s2, at, write, false, &t);

	if (ret) {
		r->fault = ret;
		r->fault_at = at;
		return ret;
	}
	*host = t.oa;
	return 0;
}

static int stage2_load(struct pt_reader *rd, uint64_t table,
		       unsigned int index, uint64_t *entry)
{
	struct stage2_reader *r = (struct stage2_reader *)rd;
	uint64_t host;
	int ret = stage2_route(r, table, index, false, &host);

	if (ret)
		return ret;
	r->loads++;
	return r->host.rd.load(&r->host.rd, host, 0, entry);
}

/* The test's tables are memory it knows good: a plain compare-and-swap. */
static int stage2_exchange(struct pt_reader *rd, uint64_t table,
			   unsigned int index, uint64_t old, uint64_t want)
{
	struct stage2_reader *r = (struct stage2_reader *)rd;
	uint64_t host;
	int ret = stage2_route(r, table, index, true, &host);

	if (ret)
		return ret;
	if (__atomic_compare_exchange_n((uint64_t *)(uintptr_t)host, &old, want,
					false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		return 0;
	return -EAGAIN;
}

/* Reserves bytes of inaccessible address space below limit, where a stage 2
 * of that input size can map them: NULL when no place is free. */
static void *reserve_below(uint64_t bytes, uint64_t limit)
{
	for (uint64_t at = SZ_1G; at + bytes <= limit; at += SZ_1G) {
		void *p = mmap((void *)(uintptr_t)at, bytes, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS |
				       MAP_FIXED_NOREPLACE,
			       -1, 0);

		if (p == (void *)(uintptr_t)at)
			return p;
		if (p != MAP_FAILED)
			munmap(p, bytes);
	}
	return NULL;
}

/* Maps each hand-made table's stage-1 address to its memory in s2. */
static int stage2_map_tables(struct pgtable *s2, const struct hand_tree *h,
			     int prot, uint64_t gran)
{
	for (unsigned int k = 0; k < h->n; k++) {
		int ret = pt_map(s2, hand_stored(h, k),
				 (uintptr_t)h->tables[k], h->table_bytes, prot,
				 gran);

		if (ret)
			return ret;
	}
	return 0;
}

TEST_F(pgt, user_table_routed_through_stage_2)
{
	const struct pt_format *f = self->fmt;
	struct stage2_reader r = { .rd = { stage2_load, stage2_exchange } };
	struct pt_usermem_reader plain;
	struct iommu_translation t;
	struct pt_user_table user;
	struct hand_tree h;
	uint64_t a = SZ_1G + 3 * GRAN, huge = SZ_1G + HUGE_LEAF, ipa, *leaf;
	unsigned int k;
	void *window;

	ASSERT_EQ(0, usermem_init());
	pt_usermem_reader_init(&plain, usermem_self());
	pt_usermem_reader_init(&r.host, usermem_self());
	/* Stage-1 table addresses lie in a window nobody can read: only the
	 * stage 2 makes them memory. */
	window = reserve_below(HAND_TABLES * TABLE, VA_TOP);
	ASSERT_NONNULL(window);
	ASSERT_EQ(0, hand_init(&h, f, TABLE, (uintptr_t)window));
	ASSERT_EQ(0, hand_map(&h, a, PA_BASE + 9 * GRAN, 0, RW));
	ASSERT_EQ(0, hand_map(&h, huge, PA_BASE + 4 * HUGE_LEAF, 1, RW));
	r.s2 = &self->pt;
	ASSERT_EQ(0, stage2_map_tables(r.s2, &h, RW, GRAN));

	/* Read as host addresses, the table addresses fault. */
	user = (struct pt_user_table){ f, hand_stored(&h, 0), &plain.rd };
	ASSERT_EQ(-EFAULT, pt_translate_user(&user, a, false, false, &t));

	/* Through stage 2: one load per level. */
	user.rd = &r.rd;
	ASSERT_EQ(0, pt_translate_user(&user, a + 5, false, false, &t));
	ASSERT_EQ(PA_BASE + 9 * GRAN + 5, t.oa);
	ASSERT_EQ(GRAN, t.leaf_size);
	ASSERT_EQ(TOP_LEVEL + 1, r.loads);
	ASSERT_EQ(0, pt_translate_user(&user, huge + 5, false, false, &t));
	ASSERT_EQ(PA_BASE + 4 * HUGE_LEAF + 5, t.oa);
	ASSERT_EQ(HUGE_LEAF, t.leaf_size);
	ASSERT_EQ(2 * TOP_LEVEL + 1, r.loads);
	ASSERT_EQ(0, r.fault);

	/* Stage 2 losing the level 0 table: the walk stops there, and the
	 * reader says it was stage 2. */
	leaf = hand_table_at(&h, a, 0);
	k = 0;
	while (h.tables[k] != leaf)
		k++;
	ipa = hand_stored(&h, k);
	ASSERT_EQ(TABLE, pt_unmap(r.s2, ipa, TABLE));
	ASSERT_EQ(-ENOENT, pt_translate_user(&user, a, false, false, &t));
	ASSERT_EQ(-ENOENT, r.fault);
	ASSERT_EQ(ipa + entry_index(f, a, 0) * sizeof(uint64_t), r.fault_at);

	/* Read-only in stage 2: walks read it, A/D updates may not write. */
	r.fault = 0;
	ASSERT_EQ(0, pt_map(r.s2, ipa, (uintptr_t)leaf, TABLE, IOMMU_READ,
			    GRAN));
	ASSERT_EQ(0, pt_translate_user(&user, a, true, false, &t));
	ASSERT_EQ(-EPERM, pt_translate_user(&user, a, true, true, &t));
	ASSERT_EQ(-EPERM, r.fault);
	ASSERT_EQ(f->make_leaf(PA_BASE + 9 * GRAN, 0, RW),
		  leaf[entry_index(f, a, 0)]);
	ASSERT_EQ(TABLE, pt_unmap(r.s2, ipa, TABLE));
	ASSERT_EQ(0, pt_map(r.s2, ipa, (uintptr_t)leaf, TABLE, RW, GRAN));
	ASSERT_EQ(0, pt_translate_user(&user, a, true, true, &t));
	ASSERT_EQ(f->make_dirty(f->make_accessed(
			  f->make_leaf(PA_BASE + 9 * GRAN, 0, RW))),
		  leaf[entry_index(f, a, 0)]);
	munmap(window, HAND_TABLES * TABLE);
	hand_free(&h);
}

/* ---- randomized run against a model ------------------------------------------- */

/*
 * The model: one record per granule of a window 16 huge leaves wide that
 * straddles the boundary of a level 2 entry. A leaf is the run of granules
 * sharing leaf_start; its dirty bit lives in the record of its first
 * granule. The expected leaf choice is written out independently: a huge
 * leaf exactly where iova and paddr are aligned to it, a huge leaf's worth
 * remains and the bitmap allows it.
 */
struct granule {
	bool mapped;
	bool dirty;
	int prot;
	uint32_t leaf_start, leaf_len;
	uint64_t pa;
};

struct model {
	struct granule *g;
	uint32_t n;	   /* granules in the window */
	uint32_t per_huge; /* granules in a huge leaf */
	uint64_t gran, huge, base;
};

static uint64_t g_iova(const struct model *m, uint32_t g)
{
	return m->base + (uint64_t)g * m->gran;
}

static int model_map(struct model *m, uint32_t first, uint32_t count,
		     uint64_t pa, int prot, bool huge_ok)
{
	uint32_t g, len, i;

	for (g = first; g < first + count; g++)
		if (m->g[g].mapped)
			return -EEXIST;
	for (g = first; g < first + count; g += len) {
		len = 1;
		if (huge_ok && !(g_iova(m, g) % m->huge) && !(pa % m->huge) &&
		    first + count - g >= m->per_huge)
			len = m->per_huge;
		for (i = 0; i < len; i++)
			m->g[g + i] = (struct granule){ true, false, prot, g,
							len, pa + i * m->gran };
		pa += len * m->gran;
	}
	return 0;
}

static uint64_t model_unmap(struct model *m, uint32_t first, uint32_t end)
{
	uint64_t bytes = 0;
	uint32_t g, i;

	for (g = first; g < end; g++) {
		struct granule *leaf;

		if (!m->g[g].mapped)
			continue;
		leaf = &m->g[m->g[g].leaf_start];
		bytes += (uint64_t)leaf->leaf_len * m->gran;
		for (i = leaf->leaf_len; i--;)
			leaf[i].mapped = false;
	}
	return bytes;
}

static int model_mark_dirty(struct model *m, uint32_t first, uint32_t end)
{
	int ret = 0;
	uint32_t g;

	for (g = first; g < end; g++) {
		if (m->g[g].mapped)
			m->g[m->g[g].leaf_start].dirty = true;
		else
			ret = -ENOENT;
	}
	return ret;
}

/* What read_and_clear_dirty must report over [first, end), in order: the
 * count, and the first 64 records. */
static unsigned int model_dirty(struct model *m, uint32_t first, uint32_t end,
				bool clear, uint64_t *iova, uint64_t *length)
{
	unsigned int n = 0;
	uint32_t g = first;

	while (g < end) {
		struct granule *leaf;
		uint32_t s, e;

		if (!m->g[g].mapped) {
			g++;
			continue;
		}
		leaf = &m->g[m->g[g].leaf_start];
		s = m->g[g].leaf_start;
		e = s + leaf->leaf_len;
		if (leaf->dirty && n < 64) {
			iova[n] = g_iova(m, s > first ? s : first);
			length[n] = g_iova(m, e < end ? e : end) - iova[n];
		}
		n += leaf->dirty;
		if (clear)
			leaf->dirty = false;
		g = e;
	}
	return n;
}

static void check_granule(struct __test_metadata *_metadata,
			  struct pgtable *pt, struct model *m, uint32_t g)
{
	struct granule *gr = &m->g[g];
	struct iommu_translation t = { 0 };
	int prot = stored_prot(pt->fmt, gr->prot);
	int ret;

	ret = pt_translate(pt, g_iova(m, g) + 3, false, false, &t);
	if (!gr->mapped) {
		ASSERT_EQ(-ENOENT, ret);
		return;
	}
	ASSERT_EQ(prot & IOMMU_READ ? 0 : -EPERM, ret);
	ASSERT_EQ(gr->pa + 3, t.oa);
	ASSERT_EQ((uint64_t)m->g[gr->leaf_start].leaf_len * m->gran,
		  t.leaf_size);
	ASSERT_EQ(prot, t.prot);
}

struct op_range {
	uint32_t first, count;
};

static struct op_range random_range(const struct model *m, uint64_t *seed)
{
	struct op_range r;
	uint64_t x = rnd(seed);

	if (x % 4 == 0) {
		/* huge-aligned, 1 to 3 huge leaves long: huge leaves are
		 * possible */
		r.count = (1 + (x >> 8) % 3) * m->per_huge;
		r.first = ((x >> 16) % (m->n / m->per_huge - 3)) * m->per_huge;
	} else {
		r.count = 1 + (x >> 8) % (x % 3 ? 16 : 1200);
		r.first = (x >> 24) % (m->n - r.count);
	}
	return r;
}

/* What the run exercised, printed at its end. */
static struct {
	unsigned int mapped, eexist, unmaps, huge, marked, records;
} stats;

static void random_op(struct __test_metadata *_metadata, struct pgtable *pt,
		      uint64_t all_sizes, struct model *m, uint64_t *seed)
{
	struct op_range r = random_range(m, seed);
	uint64_t x = rnd(seed), iova[64], length[64];
	uint64_t bytes = (uint64_t)r.count * m->gran;
	uint32_t end = r.first + r.count, g;
	struct dirty_log log;
	unsigned int n, i;

	switch (x % 10) {
	case 0 ... 2: {
		static const int prots[] = { IOMMU_READ, IOMMU_WRITE, RW, RW };
		bool huge_ok = (x >> 8) % 4;
		uint64_t pa = PA_BASE + ((x >> 16) % 4096) *
					((x >> 12) % 2 ? m->huge : m->gran);
		int prot = prots[(x >> 4) % 4];
		int want;

		/* Clear half the huge-sized ranges first, or small mappings
		 * soon leave no room for huge leaves. */
		if (r.count >= m->per_huge && (x >> 20) % 2)
			ASSERT_EQ(model_unmap(m, r.first, end),
				  pt_unmap(pt, g_iova(m, r.first), bytes));
		want = model_map(m, r.first, r.count, pa, prot, huge_ok);

		ASSERT_EQ(want, pt_map(pt, g_iova(m, r.first), pa, bytes, prot,
				       huge_ok ? all_sizes : m->gran));
		stats.mapped += !want;
		stats.eexist += !!want;
		stats.huge += !want && m->g[r.first].leaf_len > 1;
		break;
	}
	case 3 ... 6: {
		/* Sometimes unaligned bytes: the leaves they touch go. */
		uint64_t skew = (x >> 8) % 2 ? (x >> 12) % m->gran : 0;
		uint64_t want = model_unmap(m, r.first, end);

		ASSERT_EQ(want, pt_unmap(pt, g_iova(m, r.first) + skew,
					 bytes - skew));
		stats.unmaps += !!want;
		break;
	}
	case 7:
		ASSERT_EQ(model_mark_dirty(m, r.first, end),
			  pt_mark_dirty(pt, g_iova(m, r.first), bytes));
		stats.marked++;
		break;
	case 8: {
		bool clear = (x >> 8) % 2;

		n = model_dirty(m, r.first, end, clear, iova, length);
		log_reset(&log);
		ASSERT_EQ(0, pt_read_and_clear_dirty(
				     pt, g_iova(m, r.first), bytes,
				     clear ? 0 : IOMMU_DIRTY_NO_CLEAR,
				     &log.bitmap));
		ASSERT_EQ(n, log.n);
		stats.records += n;
		for (i = 0; i < n && i < 64; i++) {
			ASSERT_EQ(iova[i], log.iova[i]);
			ASSERT_EQ(length[i], log.length[i]);
		}
		break;
	}
	default: {
		/* A device write: marks the leaf dirty if writable. */
		struct iommu_translation t;
		int want = -ENOENT;

		g = r.first;
		if (m->g[g].mapped) {
			want = m->g[g].prot & IOMMU_WRITE ? 0 : -EPERM;
			if (!want)
				m->g[m->g[g].leaf_start].dirty = true;
		}
		ASSERT_EQ(want, pt_translate(pt, g_iova(m, g), true, true, &t));
		break;
	}
	}
	for (g = r.first; g < end; g++)
		check_granule(_metadata, pt, m, g);
}

TEST_F(pgt, random_against_model)
{
	struct model m = {
		.per_huge = HUGE_LEAF / GRAN,
		.n = 16 * (HUGE_LEAF / GRAN),
		.gran = GRAN,
		.huge = HUGE_LEAF,
		.base = ABOVE - 8 * HUGE_LEAF,
	};
	uint64_t seed = 20240607;
	unsigned int op;
	uint32_t g;

	m.g = calloc(m.n, sizeof(*m.g));
	ASSERT_NONNULL(m.g);
	for (op = 0; op < 4000; op++) {
		random_op(_metadata, &self->pt, ALL_SIZES, &m, &seed);
		if (op % 500)
			continue;
		for (g = 0; g < m.n; g++)
			check_granule(_metadata, &self->pt, &m, g);
	}
	ASSERT_EQ(model_unmap(&m, 0, m.n),
		  pt_unmap(&self->pt, m.base, 16 * HUGE_LEAF));
	for (g = 0; g < m.n; g++)
		check_granule(_metadata, &self->pt, &m, g);
	free(m.g);
	printf("# model run: %u maps (%u from a huge leaf), %u -EEXIST, %u "
	       "unmaps that hit, %u marks, %u dirty records\n",
	       stats.mapped, stats.huge, stats.eexist, stats.unmaps,
	       stats.marked, stats.records);
}

/* ---- threads: walks and maps at once (run under TSan) --------------------------- */

struct race {
	struct pgtable *pt;
	uint64_t gran, huge, all_sizes;
	uint64_t base;	 /* this thread's own window */
	uint64_t shared; /* a window all threads translate, one maps */
	bool mapper_of_shared;
	unsigned int rounds;
	int failures;
};

/* Maps and unmaps its own window (sharing upper tables with the others),
 * and translates in the shared window, which one thread keeps remapping. */
static void *race_thread(void *arg)
{
	struct race *r = arg;
	uint64_t per_huge = r->huge / r->gran, seed = r->base;
	struct iommu_translation t;
	unsigned int i;
	int ret;

	for (i = 0; i < r->rounds; i++) {
		uint64_t off = (rnd(&seed) % per_huge) * r->gran;
		uint64_t len = (1 + rnd(&seed) % (per_huge * 11 / 8)) * r->gran;

		if (pt_map(r->pt, r->base + off, PA_BASE + off, len, RW,
			   r->all_sizes))
			r->failures++;
		if (pt_iova_to_phys(r->pt, r->base + off) != PA_BASE + off)
			r->failures++;
		if (pt_unmap(r->pt, r->base + off, len) != len)
			r->failures++;
		if (r->mapper_of_shared) {
			pt_unmap(r->pt, r->shared, 2 * r->huge);
			if (pt_map(r->pt, r->shared, PA_BASE, 2 * r->huge, RW,
				   i % 2 ? r->all_sizes : r->gran))
				r->failures++;
		}
		/* Old translation or none, never anything else. */
		ret = pt_translate(r->pt, r->shared + off, i % 2, true, &t);
		if (ret != -ENOENT && (ret || t.oa != PA_BASE + off))
			r->failures++;
	}
	return NULL;
}

TEST_F(pgt, threads_walk_while_others_map)
{
	struct race races[4];
	pthread_t threads[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		races[i] = (struct race){
			.pt = &self->pt,
			.gran = GRAN,
			.huge = HUGE_LEAF,
			.all_sizes = ALL_SIZES,
			.base = SZ_1G + i * 4 * HUGE_LEAF,
			.shared = 2 * SZ_1G,
			.mapper_of_shared = i == 0,
			.rounds = 1000,
		};
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, race_thread,
					    &races[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
		ASSERT_EQ(0, races[i].failures);
	}
	ASSERT_EQ(2 * HUGE_LEAF, pt_unmap(&self->pt, 2 * SZ_1G, 2 * HUGE_LEAF));
}

/* A walker inside tables that an unmap retires: freed only once no walker
 * is in flight (ASan reports a use after free otherwise). */
struct retire_race {
	struct pgtable *pt;
	uint64_t gran;
	bool stop;
	unsigned long walks, faults;
};

static void *retire_walker(void *arg)
{
	struct retire_race *r = arg;
	struct iommu_translation t;
	uint64_t i = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		if (pt_translate(r->pt, 2 * SZ_1G + (i++ % 1024) * r->gran,
				 false, true, &t))
			r->faults++;
		r->walks++;
	}
	return NULL;
}

TEST_F(pgt, retired_tables_outlive_walkers)
{
	struct retire_race r = { .pt = &self->pt, .gran = GRAN };
	pthread_t walker;
	unsigned int i;

	ASSERT_EQ(0, pthread_create(&walker, NULL, retire_walker, &r));
	for (i = 0; i < 3000 / SANITIZER_SCALE; i++) {
		/* Small leaves: two level 0 tables, retired by the unmap. */
		ASSERT_EQ(0, pt_map(&self->pt, 2 * SZ_1G, PA_BASE + GRAN,
				    2 * HUGE_LEAF, RW, ALL_SIZES));
		ASSERT_EQ(2 * HUGE_LEAF,
			  pt_unmap(&self->pt, 2 * SZ_1G, 2 * HUGE_LEAF));
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(walker, NULL));
	ASSERT_LT(0, r.walks);
	/* Whatever is still retired goes with the next quiet writer. */
	ASSERT_EQ(0, pt_unmap(&self->pt, 2 * SZ_1G, GRAN));
	ASSERT_EQ(TOP_LEVEL * TABLE, pt_table_memory(&self->pt));
}

/* ---- figures ------------------------------------------------------------------- */

static void time_map_unmap(struct __test_metadata *_metadata,
			   struct pgtable *pt, uint64_t pgsize_bitmap,
			   uint64_t leaf)
{
	double t0, t1, t2;

	t0 = now_ms();
	ASSERT_EQ(0, pt_map(pt, 4 * SZ_1G, PA_BASE, SZ_1G, RW, pgsize_bitmap));
	t1 = now_ms();
	ASSERT_EQ(SZ_1G, pt_unmap(pt, 4 * SZ_1G, SZ_1G));
	t2 = now_ms();
	printf("# %s: 1 GiB with %llu KiB leaves: map %.3f ms, unmap %.3f "
	       "ms\n",
	       pt->fmt->name, (unsigned long long)(leaf >> 10), t1 - t0,
	       t2 - t1);
}

TEST_F(pgt, figures_map_unmap_1g)
{
	unsigned int i, n = 200000 / SANITIZER_SCALE;
	struct iommu_translation t;
	double t0, t1, t2;
	uint64_t before;

	/* The pair a 4 KiB IOAS map/unmap costs in the domain, tables warm. */
	ASSERT_EQ(0, pt_map(&self->pt, SZ_1G, PA_BASE, SZ_4K, RW, ALL_SIZES));
	ASSERT_EQ(SZ_4K, pt_unmap(&self->pt, SZ_1G, SZ_4K));
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		pt_map(&self->pt, SZ_1G, PA_BASE, SZ_4K, RW, ALL_SIZES);
		pt_unmap(&self->pt, SZ_1G, SZ_4K);
	}
	t1 = now_ms();
	ASSERT_EQ(0, pt_map(&self->pt, SZ_1G, PA_BASE, SZ_4K, RW, ALL_SIZES));
	for (i = 0; i < n; i++)
		pt_translate(&self->pt, SZ_1G + (i & 0xfff), i & 1, true, &t);
	t2 = now_ms();
	ASSERT_EQ(SZ_4K, pt_unmap(&self->pt, SZ_1G, SZ_4K));
	before = pt_table_memory(&self->pt);
	printf("# %s: 4 KiB map+unmap pair: %.0f ns; translate (%u-level "
	       "walk, A/D set): %.0f ns\n",
	       self->fmt->name, (t1 - t0) * 1e6 / n, TOP_LEVEL + 1,
	       (t2 - t1) * 1e6 / n);

	time_map_unmap(_metadata, &self->pt, ALL_SIZES & (HUGE_LEAF * 2 - 1),
		       HUGE_LEAF);
	time_map_unmap(_metadata, &self->pt, GRAN, GRAN);
	/* The covered tables went back. */
	ASSERT_EQ(before, pt_table_memory(&self->pt));
}

/* Table bytes per mapping for count 4 KiB mappings at distinct random 4 KiB
 * slots of span bytes (a bitmap of taken slots keeps them distinct). */
static double table_bytes_per_mapping(struct __test_metadata *_metadata,
				      const struct pt_format *fmt,
				      uint64_t all_sizes, uint64_t span,
				      unsigned int count)
{
	uint64_t slots = span / SZ_4K, seed = 42, i;
	uint64_t *taken = calloc((slots + 63) / 64, sizeof(uint64_t));
	struct pgtable pt;
	double per;

	ASSERT_NONNULL(taken);
	ASSERT_EQ(0, pt_init(&pt, fmt));
	for (i = 0; i < count; i++) {
		uint64_t slot;

		do
			slot = rnd(&seed) % slots;
		while (taken[slot / 64] & (1ull << (slot % 64)));
		taken[slot / 64] |= 1ull << (slot % 64);
		ASSERT_EQ(0, pt_map(&pt, SZ_1G + slot * SZ_4K,
				    PA_BASE + i * SZ_4K, SZ_4K, RW, all_sizes));
	}
	per = (double)pt_table_memory(&pt) / count;
	pt_destroy(&pt);
	free(taken);
	return per;
}

/* A tenth under a sanitizer: the figure is per mapping, so it stays close. */
#define FIGURE_MAPPINGS (100000 / SANITIZER_SCALE)

TEST_F(pgt, figures_table_bytes_per_4k_mapping)
{
	printf("# %s: %u x 4 KiB at random slots of 1 GiB: %.1f table "
	       "bytes per mapping\n",
	       self->fmt->name, FIGURE_MAPPINGS,
	       table_bytes_per_mapping(_metadata, self->fmt, ALL_SIZES, SZ_1G,
				       FIGURE_MAPPINGS));
	printf("# %s: %u x 4 KiB at random slots of 64 GiB: %.1f table "
	       "bytes per mapping\n",
	       self->fmt->name, FIGURE_MAPPINGS,
	       table_bytes_per_mapping(_metadata, self->fmt, ALL_SIZES,
				       64 * SZ_1G, FIGURE_MAPPINGS));
	printf("# %s: %u x 4 KiB packed (IOVA allocator order): %.1f "
	       "table bytes per mapping\n",
	       self->fmt->name, FIGURE_MAPPINGS,
	       table_bytes_per_mapping(_metadata, self->fmt, ALL_SIZES,
				       FIGURE_MAPPINGS * SZ_4K,
				       FIGURE_MAPPINGS));
}

/* ---- the mock format: its geometry and its documented entry layout --------------- */

#define SZ_2K 0x800ull
#define SZ_1M 0x100000ull
#define MOCK_ALL_SIZES (((1ull << 38) - 1) & ~((1ull << 11) - 1))

/* The layout of a mock entry, as src/iommu/pgtable/mock.c documents it. */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_R (1ull << 2)
#define PTE_L (1ull << 3)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)

FIXTURE(mock_fmt)
{
	struct pgtable pt;
};

FIXTURE_SETUP(mock_fmt)
{
	ASSERT_EQ(0, pt_init(&self->pt, &pt_mock_format));
}

FIXTURE_TEARDOWN(mock_fmt)
{
	pt_destroy(&self->pt);
}

TEST_F(mock_fmt, geometry)
{
	ASSERT_EQ(47, self->pt.va_lg2);
	ASSERT_EQ(3, self->pt.top_level);
	ASSERT_EQ(4096, self->pt.table_bytes);
	ASSERT_EQ(4096, pt_table_memory(&self->pt));
	ASSERT_EQ(11, pt_level_lg2(&pt_mock_format, 0));
	ASSERT_EQ(20, pt_level_lg2(&pt_mock_format, 1));
	ASSERT_EQ(MOCK_PAGE_SIZE, 1u << pt_level_lg2(&pt_mock_format, 0));
	ASSERT_EQ(MOCK_HUGE_PAGE_SIZE, 1u << pt_level_lg2(&pt_mock_format, 1));
	ASSERT_STREQ("mock", pt_mock_format.name);
}

TEST_F(mock_fmt, aperture_first_and_last_granule)
{
	uint64_t first = MOCK_APERTURE_START;
	uint64_t last = (uint64_t)MOCK_APERTURE_LAST + 1 - SZ_2K;

	ASSERT_EQ(0, pt_map(&self->pt, first, PA_BASE, SZ_2K, RW,
			    MOCK_ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, last, PA_BASE + SZ_4K, SZ_2K, RW,
			    MOCK_ALL_SIZES));
	ASSERT_EQ(PA_BASE, pt_iova_to_phys(&self->pt, first));
	ASSERT_EQ(PA_BASE + 0x7ff, pt_iova_to_phys(&self->pt, first + 0x7ff));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, first - 1));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, first + SZ_2K));
	ASSERT_EQ(PA_BASE + SZ_4K + 0x7ff,
		  pt_iova_to_phys(&self->pt, MOCK_APERTURE_LAST));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt,
				     (uint64_t)MOCK_APERTURE_LAST + 1));
	ASSERT_EQ(SZ_2K, pt_unmap(&self->pt, first, SZ_2K));
	ASSERT_EQ(SZ_2K, pt_unmap(&self->pt, last, SZ_2K));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, first));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, MOCK_APERTURE_LAST));
}

/* The bits the walker writes are the ones mock.c documents. */
TEST_F(mock_fmt, entry_layout)
{
	uint64_t huge = 5 * SZ_1M, pa = PA_BASE + 7 * SZ_1M, small = SZ_1G;
	struct iommu_translation t;
	unsigned int level;
	uint64_t *top;

	ASSERT_EQ(0, pt_map(&self->pt, huge, pa, SZ_1M, RW, MOCK_ALL_SIZES));
	ASSERT_EQ(pa | PTE_P | PTE_W | PTE_R | PTE_L,
		  raw_leaf(&self->pt, huge + 12345, &level));
	ASSERT_EQ(1, level);
	ASSERT_EQ(0, pt_map(&self->pt, small, pa + SZ_2K, 2 * SZ_2K,
			    IOMMU_READ, MOCK_ALL_SIZES));
	ASSERT_EQ((pa + SZ_2K) | PTE_P | PTE_R,
		  raw_leaf(&self->pt, small, &level));
	ASSERT_EQ(0, level);
	/* A table entry: the next table's (4 KiB aligned) address and P. */
	top = self->pt.top;
	ASSERT_EQ(PTE_P, top[0] & 0xfff);
	ASSERT_NE(0, top[0] & ~0xfffull);

	/* A read sets A, a write D too; marking sets D alone. */
	ASSERT_EQ(0, pt_translate(&self->pt, huge, false, true, &t));
	ASSERT_EQ(pa | PTE_P | PTE_W | PTE_R | PTE_L | PTE_A,
		  raw_leaf(&self->pt, huge, &level));
	ASSERT_EQ(0, pt_translate(&self->pt, huge, true, true, &t));
	ASSERT_EQ(pa | PTE_P | PTE_W | PTE_R | PTE_L | PTE_A | PTE_D,
		  raw_leaf(&self->pt, huge, &level));
	ASSERT_EQ(0, pt_mark_dirty(&self->pt, small + SZ_2K, SZ_2K));
	ASSERT_EQ((pa + 2 * SZ_2K) | PTE_P | PTE_R | PTE_D,
		  raw_leaf(&self->pt, small + SZ_2K, &level));
	/* Harvesting clears D and keeps A. */
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, huge, SZ_1M, 0, NULL));
	ASSERT_EQ(pa | PTE_P | PTE_W | PTE_R | PTE_L | PTE_A,
		  raw_leaf(&self->pt, huge, &level));
}

/* ---- the hardware formats: their documented entry layouts --------------------- */

#define SZ_2M 0x200000ull
#define HW_ALL_SIZES (SZ_4K | SZ_2M | SZ_1G)

/* VT-d second stage: R 0, W 1, PS 7, A 8, D 9; tables carry R and W. */
TEST(vtd_ss_entry_layout)
{
	uint64_t pa = PA_BASE + SZ_1G, *top;
	struct iommu_translation t;
	struct pgtable pt;
	unsigned int level;

	ASSERT_EQ(0, pt_init(&pt, &pt_vtd_ss_format));
	ASSERT_EQ(48, pt.va_lg2);
	ASSERT_EQ(3, pt.top_level);
	ASSERT_EQ(0, pt_map(&pt, SZ_1G, pa, SZ_2M, RW, HW_ALL_SIZES));
	ASSERT_EQ(pa | 0x3 | 0x80, raw_leaf(&pt, SZ_1G + 77, &level));
	ASSERT_EQ(1, level);
	ASSERT_EQ(0, pt_map(&pt, 2 * SZ_1G, pa, SZ_4K, IOMMU_READ,
			    HW_ALL_SIZES));
	ASSERT_EQ(pa | 0x1, raw_leaf(&pt, 2 * SZ_1G, &level));
	ASSERT_EQ(0, pt_map(&pt, 2 * SZ_1G + SZ_4K, pa, SZ_4K, IOMMU_WRITE,
			    HW_ALL_SIZES));
	ASSERT_EQ(pa | 0x2, raw_leaf(&pt, 2 * SZ_1G + SZ_4K, &level));
	top = pt.top;
	ASSERT_EQ(0x3, top[0] & 0xfff);
	/* A on use, D on a write */
	ASSERT_EQ(0, pt_translate(&pt, SZ_1G, true, true, &t));
	ASSERT_EQ(pa | 0x3 | 0x80 | 0x100 | 0x200, raw_leaf(&pt, SZ_1G, &level));
	/* a table entry without W takes writes away from all below it */
	__atomic_and_fetch(&top[0], ~2ull, __ATOMIC_RELAXED);
	ASSERT_EQ(-EPERM, pt_translate(&pt, SZ_1G, true, false, &t));
	ASSERT_EQ(IOMMU_READ, t.prot);
	ASSERT_EQ(0, pt_translate(&pt, SZ_1G, false, false, &t));
	/* and without R and W it is not present */
	__atomic_and_fetch(&top[0], ~1ull, __ATOMIC_RELAXED);
	ASSERT_EQ(-ENOENT, pt_translate(&pt, SZ_1G, false, false, &t));
	__atomic_or_fetch(&top[0], 3ull, __ATOMIC_RELAXED);
	pt_destroy(&pt);

	ASSERT_EQ(0, pt_init(&pt, &pt_vtd_ss5_format));
	ASSERT_EQ(57, pt.va_lg2);
	ASSERT_EQ(4, pt.top_level);
	ASSERT_EQ(0, pt_map(&pt, 1ull << 56, pa, SZ_1G, RW, HW_ALL_SIZES));
	ASSERT_EQ(pa | 0x3 | 0x80, raw_leaf(&pt, (1ull << 56) + 5, &level));
	ASSERT_EQ(2, level);
	pt_destroy(&pt);
}

/* x86-64: P 0, R/W 1, U/S 2, A 5, D 6, PS 7; a device's request is a
 * user-mode one, so U/S is needed on every level. */
TEST(x86_64_entry_layout)
{
	uint64_t pa = PA_BASE + SZ_1G, *top;
	struct iommu_translation t;
	struct pgtable pt;
	unsigned int level;

	ASSERT_EQ(0, pt_init(&pt, &pt_x86_64_format));
	ASSERT_EQ(48, pt.va_lg2);
	ASSERT_EQ(0, pt_map(&pt, SZ_1G, pa, SZ_1G, RW, HW_ALL_SIZES));
	ASSERT_EQ(pa | 0x1 | 0x2 | 0x4 | 0x80, raw_leaf(&pt, SZ_1G, &level));
	ASSERT_EQ(2, level);
	ASSERT_EQ(0, pt_map(&pt, 3 * SZ_1G, pa, SZ_4K, IOMMU_READ,
			    HW_ALL_SIZES));
	ASSERT_EQ(pa | 0x1 | 0x4, raw_leaf(&pt, 3 * SZ_1G, &level));
	/* no write-only entry: a writable leaf is readable */
	ASSERT_EQ(0, pt_map(&pt, 3 * SZ_1G + SZ_4K, pa, SZ_4K, IOMMU_WRITE,
			    HW_ALL_SIZES));
	ASSERT_EQ(pa | 0x7, raw_leaf(&pt, 3 * SZ_1G + SZ_4K, &level));
	top = pt.top;
	ASSERT_EQ(0x7, top[0] & 0xfff);
	ASSERT_EQ(0, pt_translate(&pt, SZ_1G + 9, true, true, &t));
	ASSERT_EQ(pa + 9, t.oa);
	ASSERT_EQ(pa | 0x7 | 0x80 | 0x20 | 0x40, raw_leaf(&pt, SZ_1G, &level));
	/* bit 12 of a huge leaf is PAT, not address */
	ASSERT_EQ(pa, pt_x86_64_format.leaf_oa(
			      pt_x86_64_format.make_leaf(pa, 2, RW) | 0x1000,
			      2));
	ASSERT_EQ(pa + 0x1000,
		  pt_x86_64_format.leaf_oa(
			  pt_x86_64_format.make_leaf(pa + 0x1000, 0, RW), 0));
	/* a table without R/W: no writes below; without U/S: nothing */
	__atomic_and_fetch(&top[0], ~2ull, __ATOMIC_RELAXED);
	ASSERT_EQ(-EPERM, pt_translate(&pt, SZ_1G, true, false, &t));
	ASSERT_EQ(0, pt_translate(&pt, SZ_1G, false, false, &t));
	__atomic_and_fetch(&top[0], ~4ull, __ATOMIC_RELAXED);
	ASSERT_EQ(-EPERM, pt_translate(&pt, SZ_1G, false, false, &t));
	ASSERT_EQ(0, t.prot);
	/* without P it is not there */
	__atomic_and_fetch(&top[0], ~1ull, __ATOMIC_RELAXED);
	ASSERT_EQ(-ENOENT, pt_translate(&pt, SZ_1G, false, false, &t));
	__atomic_or_fetch(&top[0], 7ull, __ATOMIC_RELAXED);
	pt_destroy(&pt);

	ASSERT_EQ(0, pt_init(&pt, &pt_x86_64_la57_format));
	ASSERT_EQ(57, pt.va_lg2);
	ASSERT_EQ(4, pt.top_level);
	pt_destroy(&pt);
}

TEST_HARNESS_MAIN
