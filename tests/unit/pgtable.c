// SPDX-License-Identifier: MIT
/*
 * Unit tests of the page-table engine (src/iommu/pgtable/walk.c) with the mock
 * format (src/iommu/pgtable/mock.c), and of the mock paging domain
 * (src/iommu/drivers/mock_domain.c): edges of the aperture and of the 47-bit
 * space, the leaf chosen for each alignment, -EEXIST and rollback, unmap of
 * part of a huge leaf, the hardware walk with permissions and A/D bits,
 * dirty harvesting, a long randomized run against a plain per-granule model,
 * threads walking while others map and unmap (TSan; ASan for the retired
 * tables), and measured figures printed as "# " lines.
 *
 * Output addresses here are numbers the walker stores, never dereferences,
 * so they need not point at memory.
 */
#include "harness.h"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <iommusim/uapi/iommufd_test.h>

#include "iommu/drivers/mock.h"
#include "iommu/pgtable/pgtable.h"

#define SZ_2K 0x800ull
#define SZ_4K 0x1000ull
#define SZ_1M 0x100000ull
#define SZ_1G 0x40000000ull
#define RW (IOMMU_READ | IOMMU_WRITE)
#define ALL_SIZES MOCK_DEFAULT_PGSIZE_BITMAP
#define VA_TOP (1ull << 47)
#define PA_BASE 0x7f0000000000ull

/* The documented layout of a mock entry (src/iommu/pgtable/mock.c). */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_R (1ull << 2)
#define PTE_L (1ull << 3)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)

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

/* The raw leaf entry mapping iova (0 if none), found by a walk of our own
 * through the format's callbacks: it pins the layout the format documents. */
static uint64_t raw_leaf(struct pgtable *pt, uint64_t iova,
			 unsigned int *level_out)
{
	const struct pt_format *f = pt->fmt;
	uint64_t *table = pt->top;
	unsigned int level;

	for (level = pt->top_level;; level--) {
		uint64_t e = table[(iova >> pt_level_lg2(f, level)) & 511];

		if (!f->present(e))
			return 0;
		if (level == 0 || f->is_leaf(e, level)) {
			*level_out = level;
			return e;
		}
		table = f->table_ptr(e);
	}
}

static uint64_t leaf_size_at(struct pgtable *pt, uint64_t iova)
{
	uint64_t pa, size = 0;
	int prot;

	if (pt_translate(pt, iova, false, false, &pa, &size, &prot))
		return 0;
	return size;
}

/* Collects what read_and_clear_dirty reports. */
struct dirty_log {
	struct iommu_dirty_bitmap bitmap;
	unsigned int n;
	uint64_t iova[64], length[64];
};

static void log_record(struct iommu_dirty_bitmap *dirty, uint64_t iova,
		       uint64_t length)
{
	struct dirty_log *log = (struct dirty_log *)dirty;

	if (log->n < 64) {
		log->iova[log->n] = iova;
		log->length[log->n] = length;
	}
	log->n++;
}

static void log_reset(struct dirty_log *log)
{
	memset(log, 0, sizeof(*log));
	log->bitmap.record = log_record;
}

FIXTURE(pgt)
{
	struct pgtable pt;
};

FIXTURE_SETUP(pgt)
{
	ASSERT_EQ(0, pt_init(&self->pt, &pt_mock_format));
}

FIXTURE_TEARDOWN(pgt)
{
	pt_destroy(&self->pt);
}

/* ---- geometry and edges ------------------------------------------------- */

TEST_F(pgt, geometry)
{
	ASSERT_EQ(47, self->pt.va_lg2);
	ASSERT_EQ(3, self->pt.top_level);
	ASSERT_EQ(4096, self->pt.table_bytes);
	ASSERT_EQ(4096, pt_table_memory(&self->pt));
	ASSERT_EQ(11, pt_level_lg2(&pt_mock_format, 0));
	ASSERT_EQ(20, pt_level_lg2(&pt_mock_format, 1));
	ASSERT_EQ(MOCK_PAGE_SIZE, 1u << pt_level_lg2(&pt_mock_format, 0));
	ASSERT_EQ(MOCK_HUGE_PAGE_SIZE, 1u << pt_level_lg2(&pt_mock_format, 1));
}

TEST_F(pgt, aperture_first_and_last_granule)
{
	uint64_t first = MOCK_APERTURE_START;
	uint64_t last = (uint64_t)MOCK_APERTURE_LAST + 1 - SZ_2K;

	ASSERT_EQ(0, pt_map(&self->pt, first, PA_BASE, SZ_2K, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, last, PA_BASE + SZ_4K, SZ_2K, RW,
			    ALL_SIZES));
	ASSERT_EQ(PA_BASE, pt_iova_to_phys(&self->pt, first));
	ASSERT_EQ(PA_BASE + 0x7ff, pt_iova_to_phys(&self->pt, first + 0x7ff));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, first - 1));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, first + SZ_2K));
	ASSERT_EQ(PA_BASE + SZ_4K + 0x7ff,
		  pt_iova_to_phys(&self->pt, MOCK_APERTURE_LAST));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, (uint64_t)MOCK_APERTURE_LAST + 1));
	ASSERT_EQ(SZ_2K, pt_unmap(&self->pt, first, SZ_2K));
	ASSERT_EQ(SZ_2K, pt_unmap(&self->pt, last, SZ_2K));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, first));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, MOCK_APERTURE_LAST));
}

TEST_F(pgt, top_of_47_bits)
{
	uint64_t pa, size;
	int prot;

	ASSERT_EQ(0, pt_map(&self->pt, VA_TOP - SZ_1M, PA_BASE, SZ_1M, RW,
			    ALL_SIZES));
	ASSERT_EQ(SZ_1M, leaf_size_at(&self->pt, VA_TOP - 1));
	ASSERT_EQ(PA_BASE + SZ_1M - 1, pt_iova_to_phys(&self->pt, VA_TOP - 1));
	ASSERT_EQ(-ERANGE, pt_map(&self->pt, VA_TOP, PA_BASE, SZ_2K, RW,
				  ALL_SIZES));
	ASSERT_EQ(-ERANGE, pt_map(&self->pt, VA_TOP - SZ_2K, PA_BASE, SZ_4K, RW,
				  ALL_SIZES));
	ASSERT_EQ(-ERANGE, pt_map(&self->pt, VA_TOP - SZ_2K, PA_BASE,
				  UINT64_MAX - SZ_2K + 1, RW, ALL_SIZES));
	ASSERT_EQ(-ERANGE, pt_translate(&self->pt, VA_TOP, false, false, &pa,
					&size, &prot));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, VA_TOP));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, UINT64_MAX));
	/* An unmap running past the top stops there. */
	ASSERT_EQ(SZ_1M, pt_unmap(&self->pt, VA_TOP - SZ_1M, UINT64_MAX));
	ASSERT_EQ(0, pt_unmap(&self->pt, VA_TOP, SZ_2K));
	/* IOVA 0 works too. */
	ASSERT_EQ(0, pt_map(&self->pt, 0, 0, SZ_2K, RW, ALL_SIZES));
	ASSERT_EQ(0x7ff, pt_iova_to_phys(&self->pt, 0x7ff));
}

TEST_F(pgt, bad_arguments)
{
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, SZ_1M, PA_BASE, 0, RW, ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, SZ_1M + 1, PA_BASE, SZ_2K, RW,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, SZ_1M, PA_BASE + 8, SZ_2K, RW,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, SZ_1M, PA_BASE, SZ_2K + 1, RW,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, SZ_1M, PA_BASE, SZ_2K, 0,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, SZ_1M, PA_BASE, SZ_2K, 1 << 5,
				  ALL_SIZES));
	ASSERT_EQ(-EINVAL, pt_map(&self->pt, SZ_1M, PA_BASE, SZ_2K, RW, 0));
	ASSERT_EQ(-ERANGE, pt_map(&self->pt, SZ_1M, UINT64_MAX - SZ_2K + 1,
				  SZ_4K, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_unmap(&self->pt, SZ_1M, 0));
	ASSERT_EQ(-EINVAL, pt_mark_dirty(&self->pt, SZ_1M, 0));
	ASSERT_EQ(-ERANGE, pt_mark_dirty(&self->pt, VA_TOP, SZ_2K));
	ASSERT_EQ(-EINVAL, pt_read_and_clear_dirty(&self->pt, SZ_1M, 0, 0,
						   NULL));
	ASSERT_EQ(4096, pt_table_memory(&self->pt));
}

/* ---- leaf choice ------------------------------------------------------------- */

TEST_F(pgt, aligned_megabyte_is_one_huge_leaf)
{
	uint64_t iova = 5 * SZ_1M, pa = PA_BASE + 7 * SZ_1M;
	unsigned int level;
	uint64_t e;

	ASSERT_EQ(0, pt_map(&self->pt, iova, pa, SZ_1M, RW, ALL_SIZES));
	e = raw_leaf(&self->pt, iova + 12345, &level);
	ASSERT_EQ(1, level);
	ASSERT_EQ(pa | PTE_P | PTE_W | PTE_R | PTE_L, e);
	ASSERT_EQ(SZ_1M, leaf_size_at(&self->pt, iova));
	/* top, level 2 and level 1 tables; no level 0 table was needed */
	ASSERT_EQ(3 * 4096, pt_table_memory(&self->pt));
	ASSERT_EQ(pa + SZ_1M - 1, pt_iova_to_phys(&self->pt, iova + SZ_1M - 1));
	ASSERT_EQ(SZ_1M, pt_unmap(&self->pt, iova, SZ_1M));
}

TEST_F(pgt, misaligned_paddr_gives_small_leaves)
{
	uint64_t iova = 5 * SZ_1M, pa = PA_BASE + 7 * SZ_1M + SZ_2K;
	unsigned int level;
	uint64_t off;

	ASSERT_EQ(0, pt_map(&self->pt, iova, pa, SZ_1M, IOMMU_READ, ALL_SIZES));
	for (off = 0; off < SZ_1M; off += SZ_2K) {
		ASSERT_EQ((pa + off) | PTE_P | PTE_R,
			  raw_leaf(&self->pt, iova + off, &level));
		ASSERT_EQ(0, level);
	}
	ASSERT_EQ(4 * 4096, pt_table_memory(&self->pt));
	ASSERT_EQ(SZ_1M, pt_unmap(&self->pt, iova, SZ_1M));
}

TEST_F(pgt, mixed_run_takes_the_largest_leaf_each_step)
{
	/* 2K short of a megabyte boundary, 3 MiB long: one small leaf, two
	 * huge ones, then small leaves for the last megabyte less 2K. */
	uint64_t iova = 8 * SZ_1M - SZ_2K, pa = PA_BASE + 16 * SZ_1M - SZ_2K;

	ASSERT_EQ(0, pt_map(&self->pt, iova, pa, 3 * SZ_1M, RW, ALL_SIZES));
	ASSERT_EQ(SZ_2K, leaf_size_at(&self->pt, iova));
	ASSERT_EQ(SZ_1M, leaf_size_at(&self->pt, 8 * SZ_1M));
	ASSERT_EQ(SZ_1M, leaf_size_at(&self->pt, 9 * SZ_1M + 77));
	ASSERT_EQ(SZ_2K, leaf_size_at(&self->pt, 10 * SZ_1M));
	ASSERT_EQ(SZ_2K, leaf_size_at(&self->pt, 11 * SZ_1M - 2 * SZ_2K));
	ASSERT_EQ(0, leaf_size_at(&self->pt, 11 * SZ_1M - SZ_2K));
	ASSERT_EQ(pa + SZ_2K + SZ_1M + 77,
		  pt_iova_to_phys(&self->pt, 9 * SZ_1M + 77));
	ASSERT_EQ(3 * SZ_1M, pt_unmap(&self->pt, iova, 3 * SZ_1M));
}

TEST_F(pgt, bitmap_limits_the_leaves)
{
	/* 2 KiB only (the 6.12 mock): no huge leaf even when aligned. */
	ASSERT_EQ(0, pt_map(&self->pt, SZ_1G, PA_BASE, SZ_1M, RW, SZ_2K));
	ASSERT_EQ(SZ_2K, leaf_size_at(&self->pt, SZ_1G));
	/* The MOCK_IOMMUPT_HUGE bitmap: 1 MiB leaves, and a 4 KiB page is two
	 * 2 KiB leaves since no level spans 4 KiB. */
	ASSERT_EQ(0, pt_map(&self->pt, 2 * SZ_1G, PA_BASE, SZ_1M + SZ_4K, RW,
			    MOCK_HUGE_PAGE_SIZE | SZ_4K));
	ASSERT_EQ(SZ_1M, leaf_size_at(&self->pt, 2 * SZ_1G));
	ASSERT_EQ(SZ_2K, leaf_size_at(&self->pt, 2 * SZ_1G + SZ_1M));
	ASSERT_EQ(SZ_2K, leaf_size_at(&self->pt, 2 * SZ_1G + SZ_1M + SZ_2K));
	ASSERT_EQ(PA_BASE + SZ_1M + SZ_2K,
		  pt_iova_to_phys(&self->pt, 2 * SZ_1G + SZ_1M + SZ_2K));
}

/* ---- -EEXIST and rollback ------------------------------------------------------- */

TEST_F(pgt, overlap_is_eexist_and_rolls_back)
{
	uint64_t a = 64 * SZ_1M;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 4 * SZ_2K, RW, ALL_SIZES));
	/* Starts in free space, runs into the mapping: what it mapped before
	 * meeting it is undone. */
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a - 8 * SZ_2K, PA_BASE + SZ_1G,
				  16 * SZ_2K, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a - 8 * SZ_2K));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a - SZ_2K));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a + 4 * SZ_2K));
	ASSERT_EQ(PA_BASE, pt_iova_to_phys(&self->pt, a));
	ASSERT_EQ(PA_BASE + 3 * SZ_2K, pt_iova_to_phys(&self->pt, a + 3 * SZ_2K));
	/* A huge leaf over a table holding a mapping. */
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a, PA_BASE, SZ_1M, RW, ALL_SIZES));
	/* A small leaf under a huge leaf, and a huge over a huge. */
	ASSERT_EQ(0, pt_map(&self->pt, a + SZ_1M, PA_BASE, SZ_1M, RW,
			    ALL_SIZES));
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a + SZ_1M + SZ_4K, PA_BASE, SZ_2K,
				  RW, ALL_SIZES));
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a + SZ_1M, PA_BASE, SZ_1M, RW,
				  ALL_SIZES));
	/* A long map failing at its far end leaves nothing, huge leaves
	 * included. */
	ASSERT_EQ(-EEXIST, pt_map(&self->pt, a - 4 * SZ_1M, PA_BASE,
				  4 * SZ_1M + SZ_2K, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a - 4 * SZ_1M));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a - SZ_2K));
	ASSERT_EQ(4 * SZ_2K + SZ_1M, pt_unmap(&self->pt, a, 2 * SZ_1M));
}

/* Allocation failures, provoked with an address-space limit. The sanitizers
 * reserve terabytes of shadow, so this runs only in plain builds. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HAVE_SANITIZER 1
#else
#define HAVE_SANITIZER 0
#endif

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
	ASSERT_EQ(0, pt_map(&self->pt, base - SZ_2K, PA_BASE, SZ_2K, RW,
			    ALL_SIZES));
	before = pt_table_memory(&self->pt);
	ASSERT_EQ(0, getrlimit(RLIMIT_AS, &old));
	lim = old;
	lim.rlim_cur = vm_size() + 16 * SZ_1M;
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &lim));
	/* 64 GiB of small leaves needs 65536 tables: far past the limit. */
	ret = pt_map(&self->pt, base, PA_BASE + SZ_2K, 64 * SZ_1G, RW, SZ_2K);
	ASSERT_EQ(0, setrlimit(RLIMIT_AS, &old));
	ASSERT_EQ(-ENOMEM, ret);
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, base));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, base + SZ_1G));
	ASSERT_EQ(0, pt_unmap(&self->pt, base, 64 * SZ_1G));
	ASSERT_EQ(PA_BASE, pt_iova_to_phys(&self->pt, base - SZ_2K));
	/* What the rollback unlinked whole went back to the allocator. */
	ASSERT_GE(before + 8 * 4096, pt_table_memory(&self->pt));
}

/* ---- unmap ----------------------------------------------------------------- */

TEST_F(pgt, unmap_part_of_huge_leaf_removes_it_whole)
{
	uint64_t a = 32 * SZ_1M;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 3 * SZ_1M, RW, ALL_SIZES));
	/* From the middle of one: that leaf goes, its whole size counted. */
	ASSERT_EQ(SZ_1M, pt_unmap(&self->pt, a + 5 * SZ_2K, SZ_2K));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a + SZ_1M - 1));
	/* Across the boundary of the other two: both go. */
	ASSERT_EQ(2 * SZ_1M, pt_unmap(&self->pt, a + 2 * SZ_1M - SZ_2K, SZ_4K));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a + SZ_1M));
	ASSERT_EQ(0, pt_iova_to_phys(&self->pt, a + 3 * SZ_1M - 1));
	ASSERT_EQ(0, pt_unmap(&self->pt, a, 3 * SZ_1M));
}

TEST_F(pgt, unmap_skips_holes_and_counts_leaves)
{
	uint64_t a = 128 * SZ_1M;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 3 * SZ_2K, RW, ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, a + 100 * SZ_2K, PA_BASE, SZ_2K, RW,
			    ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, a + 2 * SZ_1M, PA_BASE, SZ_1M, RW,
			    ALL_SIZES));
	/* Unaligned bytes still take the leaves they touch. */
	ASSERT_EQ(4 * SZ_2K + SZ_1M,
		  pt_unmap(&self->pt, a + 1, 3 * SZ_1M - 2));
	ASSERT_EQ(0, pt_unmap(&self->pt, a, 4 * SZ_1M));
}

TEST_F(pgt, covered_tables_are_freed)
{
	uint64_t a = 3 * SZ_1G, base = pt_table_memory(&self->pt);

	/* A megabyte of small leaves fills one level 0 table. */
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE + SZ_2K, SZ_1M, RW,
			    ALL_SIZES));
	ASSERT_EQ(base + 3 * 4096, pt_table_memory(&self->pt));
	/* Partly unmapped, it stays. */
	ASSERT_EQ(SZ_2K, pt_unmap(&self->pt, a, SZ_2K));
	ASSERT_EQ(base + 3 * 4096, pt_table_memory(&self->pt));
	/* Covered whole by an unmap, it goes (no reader is in flight). */
	ASSERT_EQ(SZ_1M - SZ_2K, pt_unmap(&self->pt, a, SZ_1M));
	ASSERT_EQ(base + 2 * 4096, pt_table_memory(&self->pt));
	/* 512 MiB covered: the level 1 table and the level 0 tables below. */
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE + SZ_2K, 4 * SZ_1M, RW,
			    ALL_SIZES));
	ASSERT_EQ(base + 6 * 4096, pt_table_memory(&self->pt));
	ASSERT_EQ(4 * SZ_1M, pt_unmap(&self->pt, a, 512 * SZ_1M));
	ASSERT_EQ(base + 4096, pt_table_memory(&self->pt));
}

TEST_F(pgt, huge_leaf_replaces_an_emptied_table)
{
	uint64_t a = 7 * SZ_1M, base = pt_table_memory(&self->pt);

	ASSERT_EQ(0, pt_map(&self->pt, a + SZ_4K, PA_BASE, SZ_2K, RW,
			    ALL_SIZES));
	ASSERT_EQ(SZ_2K, pt_unmap(&self->pt, a + SZ_4K, SZ_2K));
	ASSERT_EQ(base + 3 * 4096, pt_table_memory(&self->pt));
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, SZ_1M, RW, ALL_SIZES));
	ASSERT_EQ(SZ_1M, leaf_size_at(&self->pt, a + SZ_4K));
	ASSERT_EQ(base + 2 * 4096, pt_table_memory(&self->pt));
}

/* ---- the hardware walk -------------------------------------------------------- */

TEST_F(pgt, translate_checks_permissions)
{
	uint64_t pa = 0, size = 0, a = SZ_1G;
	int prot = -1;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, SZ_2K, IOMMU_READ,
			    ALL_SIZES));
	ASSERT_EQ(0, pt_map(&self->pt, a + SZ_2K, PA_BASE + SZ_4K, SZ_2K,
			    IOMMU_WRITE, ALL_SIZES));
	ASSERT_EQ(0, pt_translate(&self->pt, a + 5, false, true, &pa, &size,
				  &prot));
	ASSERT_EQ(PA_BASE + 5, pa);
	ASSERT_EQ(SZ_2K, size);
	ASSERT_EQ(IOMMU_READ, prot);
	pa = 0;
	ASSERT_EQ(-EPERM, pt_translate(&self->pt, a + 6, true, true, &pa, &size,
				       &prot));
	ASSERT_EQ(PA_BASE + 6, pa);
	ASSERT_EQ(IOMMU_READ, prot);
	ASSERT_EQ(-EPERM, pt_translate(&self->pt, a + SZ_2K, false, true, &pa,
				       &size, &prot));
	ASSERT_EQ(IOMMU_WRITE, prot);
	ASSERT_EQ(0, pt_translate(&self->pt, a + SZ_2K + 9, true, true, &pa,
				  &size, &prot));
	ASSERT_EQ(PA_BASE + SZ_4K + 9, pa);
	ASSERT_EQ(-ENOENT, pt_translate(&self->pt, a + SZ_4K, false, true, &pa,
					&size, &prot));
	ASSERT_EQ(-ENOENT, pt_translate(&self->pt, 0, false, true, &pa, &size,
					&prot));
}

TEST_F(pgt, translate_sets_accessed_and_dirty)
{
	uint64_t pa, size, a = SZ_1G, e;
	unsigned int level;
	int prot;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, SZ_1M + SZ_2K, RW,
			    ALL_SIZES));
	e = raw_leaf(&self->pt, a, &level);
	ASSERT_EQ(0, e & (PTE_A | PTE_D));
	/* Without set_ad nothing moves. */
	ASSERT_EQ(0, pt_translate(&self->pt, a, true, false, &pa, &size, &prot));
	ASSERT_EQ(e, raw_leaf(&self->pt, a, &level));
	/* A read sets A only. */
	ASSERT_EQ(0, pt_translate(&self->pt, a + 100, false, true, &pa, &size,
				  &prot));
	ASSERT_EQ(e | PTE_A, raw_leaf(&self->pt, a, &level));
	/* A write sets D, on the whole huge leaf. */
	ASSERT_EQ(0, pt_translate(&self->pt, a + SZ_1M - 1, true, true, &pa,
				  &size, &prot));
	ASSERT_EQ(SZ_1M, size);
	ASSERT_EQ(e | PTE_A | PTE_D, raw_leaf(&self->pt, a, &level));
	ASSERT_EQ(1, level);
	/* The small leaf next to it is untouched. */
	e = raw_leaf(&self->pt, a + SZ_1M, &level);
	ASSERT_EQ(0, level);
	ASSERT_EQ((PA_BASE + SZ_1M) | PTE_P | PTE_W | PTE_R, e);
}

/* ---- dirty tracking ---------------------------------------------------------- */

TEST_F(pgt, read_and_clear_dirty)
{
	struct dirty_log log;
	uint64_t pa, size, a = 2 * SZ_1G;
	int prot;

	/* A huge leaf, then 8 small ones. */
	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, SZ_1M + 8 * SZ_2K, RW,
			    ALL_SIZES));
	ASSERT_EQ(0, pt_translate(&self->pt, a + 3 * SZ_2K, true, true, &pa,
				  &size, &prot));
	ASSERT_EQ(0, pt_translate(&self->pt, a + SZ_1M + 2 * SZ_2K + 1, true,
				  true, &pa, &size, &prot));
	ASSERT_EQ(0, pt_translate(&self->pt, a + SZ_1M + 5 * SZ_2K, false, true,
				  &pa, &size, &prot));

	/* NO_CLEAR reports and keeps: twice the same. */
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, 2 * SZ_1M,
					     IOMMU_DIRTY_NO_CLEAR, &log.bitmap));
	ASSERT_EQ(2, log.n);
	ASSERT_EQ(a, log.iova[0]);
	ASSERT_EQ(SZ_1M, log.length[0]);
	ASSERT_EQ(a + SZ_1M + 2 * SZ_2K, log.iova[1]);
	ASSERT_EQ(SZ_2K, log.length[1]);
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, 2 * SZ_1M,
					     IOMMU_DIRTY_NO_CLEAR, &log.bitmap));
	ASSERT_EQ(2, log.n);

	/* A query over part of the huge leaf gets that part. */
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a + SZ_4K, SZ_4K,
					     IOMMU_DIRTY_NO_CLEAR, &log.bitmap));
	ASSERT_EQ(1, log.n);
	ASSERT_EQ(a + SZ_4K, log.iova[0]);
	ASSERT_EQ(SZ_4K, log.length[0]);

	/* Clearing: reported once, then gone. */
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, 2 * SZ_1M, 0,
					     &log.bitmap));
	ASSERT_EQ(2, log.n);
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, 2 * SZ_1M, 0,
					     &log.bitmap));
	ASSERT_EQ(0, log.n);
	/* Accessed stays: only dirty is harvested. */
	ASSERT_EQ(PTE_A, raw_leaf(&self->pt, a, &(unsigned int){ 0 }) &
				 (PTE_A | PTE_D));

	/* No bitmap: clear only. */
	ASSERT_EQ(0, pt_translate(&self->pt, a, true, true, &pa, &size, &prot));
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, SZ_1M, 0, NULL));
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, SZ_1M, 0,
					     &log.bitmap));
	ASSERT_EQ(0, log.n);
}

TEST_F(pgt, mark_dirty)
{
	struct dirty_log log;
	uint64_t a = 2 * SZ_1G;

	ASSERT_EQ(0, pt_map(&self->pt, a, PA_BASE, 4 * SZ_2K, IOMMU_READ,
			    ALL_SIZES));
	ASSERT_EQ(0, pt_mark_dirty(&self->pt, a + SZ_2K, SZ_4K));
	ASSERT_EQ(-ENOENT, pt_mark_dirty(&self->pt, a + 3 * SZ_2K, SZ_4K));
	ASSERT_EQ(-ENOENT, pt_mark_dirty(&self->pt, a + SZ_1M, SZ_2K));
	log_reset(&log);
	ASSERT_EQ(0, pt_read_and_clear_dirty(&self->pt, a, SZ_1M, 0,
					     &log.bitmap));
	ASSERT_EQ(3, log.n);
	ASSERT_EQ(a + SZ_2K, log.iova[0]);
	ASSERT_EQ(a + 2 * SZ_2K, log.iova[1]);
	ASSERT_EQ(a + 3 * SZ_2K, log.iova[2]);
	/* Marking sets D, not A. */
	ASSERT_EQ(0, pt_mark_dirty(&self->pt, a, SZ_2K));
	ASSERT_EQ(PTE_D, raw_leaf(&self->pt, a, &(unsigned int){ 0 }) &
				 (PTE_A | PTE_D));
}

/* ---- randomized run against a model ------------------------------------------- */

/*
 * The model: one record per 2 KiB granule of a 16 MiB window that straddles
 * the 512 MiB boundary of a level 2 entry. A leaf is the run of granules
 * sharing leaf_start; its dirty bit lives in the record of its first
 * granule. The expected leaf choice is written out independently: a 1 MiB
 * leaf exactly where iova and paddr are 1 MiB aligned, a megabyte remains
 * and the bitmap allows it.
 */
#define MODEL_BASE (512 * SZ_1M - 8 * SZ_1M)
#define MODEL_GRANULES (16 * SZ_1M / SZ_2K)
#define HUGE_GRANULES (SZ_1M / SZ_2K)

struct granule {
	bool mapped;
	bool dirty;
	int prot;
	uint32_t leaf_start, leaf_len;
	uint64_t pa;
};

struct model {
	struct granule g[MODEL_GRANULES];
};

static uint64_t g_iova(uint32_t g)
{
	return MODEL_BASE + (uint64_t)g * SZ_2K;
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
		if (huge_ok && !(g_iova(g) % SZ_1M) && !(pa % SZ_1M) &&
		    first + count - g >= HUGE_GRANULES)
			len = HUGE_GRANULES;
		for (i = 0; i < len; i++)
			m->g[g + i] = (struct granule){ true, false, prot, g,
							len, pa + i * SZ_2K };
		pa += len * SZ_2K;
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
		bytes += (uint64_t)leaf->leaf_len * SZ_2K;
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
			iova[n] = g_iova(s > first ? s : first);
			length[n] = g_iova(e < end ? e : end) - iova[n];
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
	uint64_t pa = 0, size = 0;
	int prot = 0, ret;

	ret = pt_translate(pt, g_iova(g) + 3, false, false, &pa, &size, &prot);
	if (!gr->mapped) {
		ASSERT_EQ(-ENOENT, ret);
		return;
	}
	ASSERT_EQ(gr->prot & IOMMU_READ ? 0 : -EPERM, ret);
	ASSERT_EQ(gr->pa + 3, pa);
	ASSERT_EQ((uint64_t)m->g[gr->leaf_start].leaf_len * SZ_2K, size);
	ASSERT_EQ(gr->prot, prot);
}

struct op_range {
	uint32_t first, count;
};

static struct op_range random_range(uint64_t *seed)
{
	struct op_range r;
	uint64_t x = rnd(seed);

	if (x % 4 == 0) {
		/* megabyte-aligned, 1 to 3 MiB: huge leaves are possible */
		r.count = (1 + (x >> 8) % 3) * HUGE_GRANULES;
		r.first = ((x >> 16) % (MODEL_GRANULES / HUGE_GRANULES - 3)) *
			  HUGE_GRANULES;
	} else {
		r.count = 1 + (x >> 8) % (x % 3 ? 16 : 1200);
		r.first = (x >> 24) % (MODEL_GRANULES - r.count);
	}
	return r;
}

/* What the run exercised, printed at its end. */
static struct {
	unsigned int mapped, eexist, unmaps, huge, marked, records;
} stats;

static void random_op(struct __test_metadata *_metadata, struct pgtable *pt,
		      struct model *m, uint64_t *seed)
{
	struct op_range r = random_range(seed);
	uint64_t x = rnd(seed), iova[64], length[64];
	uint32_t end = r.first + r.count, g;
	struct dirty_log log;
	unsigned int n, i;

	switch (x % 10) {
	case 0 ... 2: {
		static const int prots[] = { IOMMU_READ, IOMMU_WRITE, RW, RW };
		bool huge_ok = (x >> 8) % 4;
		uint64_t pa = PA_BASE + ((x >> 16) % 4096) *
					((x >> 12) % 2 ? SZ_1M : SZ_2K);
		int prot = prots[(x >> 4) % 4];
		int want;

		/* Clear half the megabyte ranges first, or small mappings
		 * soon leave no room for huge leaves. */
		if (r.count >= HUGE_GRANULES && (x >> 20) % 2)
			ASSERT_EQ(model_unmap(m, r.first, end),
				  pt_unmap(pt, g_iova(r.first),
					   (uint64_t)r.count * SZ_2K));
		want = model_map(m, r.first, r.count, pa, prot, huge_ok);

		ASSERT_EQ(want, pt_map(pt, g_iova(r.first), pa,
				       (uint64_t)r.count * SZ_2K, prot,
				       huge_ok ? ALL_SIZES : SZ_2K));
		stats.mapped += !want;
		stats.eexist += !!want;
		stats.huge += !want && m->g[r.first].leaf_len > 1;
		break;
	}
	case 3 ... 6: {
		/* Sometimes unaligned bytes: the leaves they touch go. */
		uint64_t skew = (x >> 8) % 2 ? (x >> 12) % SZ_2K : 0;
		uint64_t want = model_unmap(m, r.first, end);

		ASSERT_EQ(want, pt_unmap(pt, g_iova(r.first) + skew,
					 (uint64_t)r.count * SZ_2K - skew));
		stats.unmaps += !!want;
		break;
	}
	case 7:
		ASSERT_EQ(model_mark_dirty(m, r.first, end),
			  pt_mark_dirty(pt, g_iova(r.first),
					(uint64_t)r.count * SZ_2K));
		stats.marked++;
		break;
	case 8: {
		bool clear = (x >> 8) % 2;

		n = model_dirty(m, r.first, end, clear, iova, length);
		log_reset(&log);
		ASSERT_EQ(0, pt_read_and_clear_dirty(
				     pt, g_iova(r.first),
				     (uint64_t)r.count * SZ_2K,
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
		uint64_t pa, size;
		int prot, want = -ENOENT;

		g = r.first;
		if (m->g[g].mapped) {
			want = m->g[g].prot & IOMMU_WRITE ? 0 : -EPERM;
			if (!want)
				m->g[m->g[g].leaf_start].dirty = true;
		}
		ASSERT_EQ(want, pt_translate(pt, g_iova(g), true, true, &pa,
					     &size, &prot));
		break;
	}
	}
	for (g = r.first; g < end; g++)
		check_granule(_metadata, pt, m, g);
}

TEST_F(pgt, random_against_model)
{
	struct model *m = calloc(1, sizeof(*m));
	uint64_t seed = 20240607;
	unsigned int op;
	uint32_t g;

	ASSERT_NONNULL(m);
	for (op = 0; op < 4000; op++) {
		random_op(_metadata, &self->pt, m, &seed);
		if (op % 500)
			continue;
		for (g = 0; g < MODEL_GRANULES; g++)
			check_granule(_metadata, &self->pt, m, g);
	}
	ASSERT_EQ(model_unmap(m, 0, MODEL_GRANULES),
		  pt_unmap(&self->pt, MODEL_BASE, 16 * SZ_1M));
	for (g = 0; g < MODEL_GRANULES; g++)
		check_granule(_metadata, &self->pt, m, g);
	free(m);
	printf("# model run: %u maps (%u from a huge leaf), %u -EEXIST, %u "
	       "unmaps that hit, %u marks, %u dirty records\n",
	       stats.mapped, stats.huge, stats.eexist, stats.unmaps,
	       stats.marked, stats.records);
}

/* ---- threads: walks and maps at once (run under TSan) --------------------------- */

struct race {
	struct pgtable *pt;
	uint64_t base;   /* this thread's own window */
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
	uint64_t seed = r->base, pa, size;
	unsigned int i;
	int prot, ret;

	for (i = 0; i < r->rounds; i++) {
		uint64_t off = (rnd(&seed) % 512) * SZ_2K;
		uint64_t len = (1 + rnd(&seed) % 700) * SZ_2K;

		if (pt_map(r->pt, r->base + off, PA_BASE + off, len, RW,
			   ALL_SIZES))
			r->failures++;
		if (pt_iova_to_phys(r->pt, r->base + off) != PA_BASE + off)
			r->failures++;
		if (pt_unmap(r->pt, r->base + off, len) != len)
			r->failures++;
		if (r->mapper_of_shared) {
			pt_unmap(r->pt, r->shared, 2 * SZ_1M);
			if (pt_map(r->pt, r->shared, PA_BASE, 2 * SZ_1M, RW,
				   i % 2 ? ALL_SIZES : SZ_2K))
				r->failures++;
		}
		/* Old translation or none, never anything else. */
		ret = pt_translate(r->pt, r->shared + off, i % 2, true, &pa,
				   &size, &prot);
		if (ret != -ENOENT && (ret || pa != PA_BASE + off))
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
			.base = SZ_1G + i * 4 * SZ_1M,
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
	ASSERT_EQ(2 * SZ_1M, pt_unmap(&self->pt, 2 * SZ_1G, 2 * SZ_1M));
}

/* A walker inside tables that an unmap retires: freed only once no walker
 * is in flight (ASan reports a use after free otherwise). */
struct retire_race {
	struct pgtable *pt;
	bool stop;
	unsigned long walks, faults;
};

static void *retire_walker(void *arg)
{
	struct retire_race *r = arg;
	uint64_t pa, size, i = 0;
	int prot;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		if (pt_translate(r->pt, 2 * SZ_1G + (i++ % 1024) * SZ_2K, false,
				 true, &pa, &size, &prot))
			r->faults++;
		r->walks++;
	}
	return NULL;
}

TEST_F(pgt, retired_tables_outlive_walkers)
{
	struct retire_race r = { .pt = &self->pt };
	pthread_t walker;
	unsigned int i;

	ASSERT_EQ(0, pthread_create(&walker, NULL, retire_walker, &r));
	for (i = 0; i < 3000; i++) {
		/* Small leaves: two level 0 tables, retired by the unmap. */
		ASSERT_EQ(0, pt_map(&self->pt, 2 * SZ_1G, PA_BASE + SZ_2K,
				    2 * SZ_1M, RW, ALL_SIZES));
		ASSERT_EQ(2 * SZ_1M, pt_unmap(&self->pt, 2 * SZ_1G, 2 * SZ_1M));
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(walker, NULL));
	ASSERT_LT(0, r.walks);
	/* Whatever is still retired goes with the next quiet writer. */
	ASSERT_EQ(0, pt_unmap(&self->pt, 2 * SZ_1G, SZ_2K));
	ASSERT_EQ(3 * 4096, pt_table_memory(&self->pt));
}

/* ---- figures ------------------------------------------------------------------- */

static void time_map_unmap(struct __test_metadata *_metadata,
			   struct pgtable *pt, uint64_t pgsize_bitmap,
			   const char *what)
{
	double t0, t1, t2;

	t0 = now_ms();
	ASSERT_EQ(0, pt_map(pt, 4 * SZ_1G, PA_BASE, SZ_1G, RW, pgsize_bitmap));
	t1 = now_ms();
	ASSERT_EQ(SZ_1G, pt_unmap(pt, 4 * SZ_1G, SZ_1G));
	t2 = now_ms();
	printf("# 1 GiB with %s leaves: map %.3f ms, unmap %.3f ms\n", what,
	       t1 - t0, t2 - t1);
}

TEST_F(pgt, figures_map_unmap_1g)
{
	unsigned int i, n = 200000;
	uint64_t pa, size, before;
	double t0, t1, t2;
	int prot;

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
		pt_translate(&self->pt, SZ_1G + (i & 0xfff), i & 1, true, &pa,
			     &size, &prot);
	t2 = now_ms();
	ASSERT_EQ(SZ_4K, pt_unmap(&self->pt, SZ_1G, SZ_4K));
	before = pt_table_memory(&self->pt);
	printf("# 4 KiB map+unmap pair: %.0f ns; translate (4-level walk, "
	       "A/D set): %.0f ns\n",
	       (t1 - t0) * 1e6 / n, (t2 - t1) * 1e6 / n);

	time_map_unmap(_metadata, &self->pt, ALL_SIZES, "1 MiB");
	time_map_unmap(_metadata, &self->pt, SZ_2K, "2 KiB");
	/* The covered tables went back. */
	ASSERT_EQ(before, pt_table_memory(&self->pt));
}

/* Table bytes per mapping for count 4 KiB mappings at distinct random 4 KiB
 * slots of span bytes (a bitmap of taken slots keeps them distinct). */
static double table_bytes_per_mapping(struct __test_metadata *_metadata,
				      uint64_t span, unsigned int count)
{
	uint64_t slots = span / SZ_4K, seed = 42, i;
	uint64_t *taken = calloc((slots + 63) / 64, sizeof(uint64_t));
	struct pgtable pt;
	double per;

	ASSERT_NONNULL(taken);
	ASSERT_EQ(0, pt_init(&pt, &pt_mock_format));
	for (i = 0; i < count; i++) {
		uint64_t slot;

		do
			slot = rnd(&seed) % slots;
		while (taken[slot / 64] & (1ull << (slot % 64)));
		taken[slot / 64] |= 1ull << (slot % 64);
		ASSERT_EQ(0, pt_map(&pt, SZ_1G + slot * SZ_4K,
				    PA_BASE + i * SZ_4K, SZ_4K, RW, ALL_SIZES));
	}
	per = (double)pt_table_memory(&pt) / count;
	pt_destroy(&pt);
	free(taken);
	return per;
}

TEST(figures_table_bytes_per_4k_mapping)
{
	printf("# 100000 x 4 KiB at random slots of 1 GiB: %.1f table bytes "
	       "per mapping\n",
	       table_bytes_per_mapping(_metadata, SZ_1G, 100000));
	printf("# 100000 x 4 KiB at random slots of 64 GiB: %.1f table bytes "
	       "per mapping\n",
	       table_bytes_per_mapping(_metadata, 64 * SZ_1G, 100000));
	printf("# 100000 x 4 KiB packed (IOVA allocator order): %.1f table "
	       "bytes per mapping\n",
	       table_bytes_per_mapping(_metadata, 100000 * SZ_4K, 100000));
}

/* ---- the mock paging domain ---------------------------------------------------- */

TEST(mock_domain_types_and_geometry)
{
	struct iommu_domain *d;
	int err = 0;

	d = mock_domain_alloc_paging(MOCK_IOMMUPT_DEFAULT, false, &err);
	ASSERT_NONNULL(d);
	ASSERT_EQ(IOMMU_DOMAIN_PAGING, d->kind);
	ASSERT_EQ(MOCK_APERTURE_START, d->geometry.aperture_start);
	ASSERT_EQ(MOCK_APERTURE_LAST, d->geometry.aperture_end);
	ASSERT_EQ(0x3ffffff800ull, d->pgsize_bitmap);
	ASSERT_EQ(MOCK_PAGE_SIZE, iommu_min_page_size(d));
	ASSERT_NULL(d->ops->set_dirty_tracking);
	ASSERT_NULL(d->ops->read_and_clear_dirty);
	ASSERT_TRUE(mock_domain_is_paging(d));
	ASSERT_NONNULL(mock_domain_pgtable(d));
	d->ops->free(d);

	d = mock_domain_alloc_paging(MOCK_IOMMUPT_HUGE, true, &err);
	ASSERT_NONNULL(d);
	ASSERT_EQ(0, d->geometry.aperture_start);
	ASSERT_EQ((1ull << 38) - 1, d->geometry.aperture_end);
	ASSERT_EQ(MOCK_HUGE_PAGE_SIZE | SZ_4K, d->pgsize_bitmap);
	ASSERT_NONNULL(d->ops->set_dirty_tracking);
	ASSERT_NONNULL(d->ops->read_and_clear_dirty);
	d->ops->free(d);

	ASSERT_NULL(mock_domain_alloc_paging(2, false, &err));
	ASSERT_EQ(-EOPNOTSUPP, err);
	ASSERT_FALSE(mock_domain_is_paging(NULL));
}

TEST(mock_domain_map_unmap_dirty)
{
	struct iommu_domain *d;
	struct dirty_log log;
	uint64_t a = MOCK_APERTURE_START, pa, size;
	int err = 0, prot;

	d = mock_domain_alloc_paging(MOCK_IOMMUPT_HUGE, true, &err);
	ASSERT_NONNULL(d);
	/* The smallest page of this domain is 4 KiB. */
	ASSERT_EQ(-EINVAL,
		  d->ops->map_pages(d, a, PA_BASE, SZ_2K, RW, SZ_1M));
	ASSERT_EQ(-EINVAL,
		  d->ops->map_pages(d, a + SZ_2K, PA_BASE, SZ_4K, RW, SZ_1M));
	ASSERT_EQ(0, d->ops->map_pages(d, a, PA_BASE, 2 * SZ_1M, RW, SZ_1M));
	ASSERT_EQ(PA_BASE + SZ_1M + 5, d->ops->iova_to_phys(d, a + SZ_1M + 5));
	ASSERT_EQ(0, mock_domain_translate(d, a + 8, true, true, &pa, &size,
					   &prot));
	ASSERT_EQ(SZ_1M, size);

	/* IOMMU_TEST_OP_DIRTY needs tracking on. */
	ASSERT_FALSE(mock_domain_dirty_tracking(d));
	ASSERT_EQ(-EINVAL, mock_domain_mark_dirty(d, a + SZ_1M, SZ_4K));
	ASSERT_EQ(0, d->ops->set_dirty_tracking(d, true));
	ASSERT_TRUE(mock_domain_dirty_tracking(d));
	ASSERT_EQ(0, mock_domain_mark_dirty(d, a + SZ_1M, SZ_4K));
	log_reset(&log);
	ASSERT_EQ(0, d->ops->read_and_clear_dirty(d, a, 2 * SZ_1M, 0,
						  &log.bitmap));
	ASSERT_EQ(2, log.n);
	ASSERT_EQ(a, log.iova[0]);
	ASSERT_EQ(SZ_1M, log.length[0]);
	ASSERT_EQ(a + SZ_1M, log.iova[1]);
	ASSERT_EQ(SZ_1M, log.length[1]);
	ASSERT_EQ(0, d->ops->set_dirty_tracking(d, false));
	ASSERT_EQ(-EINVAL, mock_domain_mark_dirty(d, a, SZ_4K));

	ASSERT_EQ(2 * SZ_1M, d->ops->unmap_pages(d, a, 2 * SZ_1M));
	ASSERT_EQ(0, d->ops->iova_to_phys(d, a));
	/* Memory contiguous only by CPU pages: no huge leaf over it. */
	ASSERT_EQ(0, d->ops->map_pages(d, a, PA_BASE, SZ_1M, RW, SZ_4K));
	ASSERT_EQ(0, mock_domain_translate(d, a + SZ_4K, true, false, &pa,
					   &size, &prot));
	ASSERT_EQ(PA_BASE + SZ_4K, pa);
	ASSERT_GT(SZ_1M, size);
	ASSERT_EQ(SZ_1M, d->ops->unmap_pages(d, a, SZ_1M));
	/* Freed with mappings left: the table goes with it (ASan checks). */
	ASSERT_EQ(0,
		  d->ops->map_pages(d, a, PA_BASE + SZ_4K, SZ_1M, RW, SZ_1M));
	d->ops->free(d);

	/* The 6.12 mock: 2 KiB pages only, set after allocation. */
	d = mock_domain_alloc_paging(MOCK_IOMMUPT_DEFAULT, false, &err);
	ASSERT_NONNULL(d);
	d->pgsize_bitmap = MOCK_PAGE_SIZE;
	ASSERT_EQ(0,
		  d->ops->map_pages(d, a, PA_BASE, SZ_1M, IOMMU_READ, SZ_1M));
	ASSERT_EQ(0, mock_domain_translate(d, a, false, false, &pa, &size,
					   &prot));
	ASSERT_EQ(SZ_2K, size);
	ASSERT_EQ(IOMMU_READ, prot);
	ASSERT_EQ(-EINVAL, mock_domain_mark_dirty(d, a, SZ_2K));
	d->ops->free(d);
}

TEST_HARNESS_MAIN
