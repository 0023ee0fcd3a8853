// SPDX-License-Identifier: MIT
/*
 * An io_pagetable with domains, below the ioctl layer, against a recording
 * fake domain: attach narrows the IOAS and fills the domain, MAP and UNMAP
 * keep every domain in step, pages are pinned once while any domain exists,
 * and every failure leaves things as they were.
 */
#include <sys/mman.h>

#include "harness.h"
#include "iommufd/io_pagetable.h"
#include "iommufd/iommufd_private.h"

#define MAX_MAPS 64

struct fake_domain {
	struct iommu_domain domain;
	struct {
		uint64_t iova, paddr, length, max_leaf;
		int prot;
	} maps[MAX_MAPS];
	unsigned int nmaps;
	int fail_after; /* map_pages fails once this many succeeded; -1 never */
	/* IOTLB flushes asked for, the latest range, and how many came while
	 * part of their range was still mapped */
	unsigned int nflushes, early_flushes;
	uint64_t flush_iova, flush_last;
};

static struct fake_domain *to_fake(struct iommu_domain *domain)
{
	return (struct fake_domain *)domain;
}

static int fake_map(struct iommu_domain *domain, uint64_t iova,
		    uint64_t paddr, uint64_t length, int prot,
		    uint64_t max_leaf)
{
	struct fake_domain *f = to_fake(domain);

	if (f->fail_after == 0)
		return -ENOMEM;
	if (f->fail_after > 0)
		f->fail_after--;
	for (unsigned int i = 0; i < f->nmaps; i++)
		if (iova < f->maps[i].iova + f->maps[i].length &&
		    f->maps[i].iova < iova + length)
			return -EEXIST;
	if (f->nmaps == MAX_MAPS)
		return -ENOMEM;
	f->maps[f->nmaps].iova = iova;
	f->maps[f->nmaps].paddr = paddr;
	f->maps[f->nmaps].length = length;
	f->maps[f->nmaps].prot = prot;
	f->maps[f->nmaps].max_leaf = max_leaf;
	f->nmaps++;
	return 0;
}

static uint64_t fake_unmap(struct iommu_domain *domain, uint64_t iova,
			   uint64_t length)
{
	struct fake_domain *f = to_fake(domain);

	for (unsigned int i = 0; i < f->nmaps; i++) {
		if (f->maps[i].iova == iova && f->maps[i].length == length) {
			f->maps[i] = f->maps[--f->nmaps];
			return length;
		}
	}
	return 0;
}

static uint64_t fake_iova_to_phys(struct iommu_domain *domain, uint64_t iova)
{
	struct fake_domain *f = to_fake(domain);

	for (unsigned int i = 0; i < f->nmaps; i++)
		if (iova >= f->maps[i].iova &&
		    iova - f->maps[i].iova < f->maps[i].length)
			return f->maps[i].paddr + (iova - f->maps[i].iova);
	return 0;
}

static void fake_iotlb_flush(struct iommu_domain *domain, uint64_t iova,
			     uint64_t last)
{
	struct fake_domain *f = to_fake(domain);

	for (unsigned int i = 0; i < f->nmaps; i++)
		if (iova < f->maps[i].iova + f->maps[i].length &&
		    f->maps[i].iova <= last)
			f->early_flushes++;
	f->nflushes++;
	f->flush_iova = iova;
	f->flush_last = last;
}

static const struct iommu_domain_ops fake_ops = {
	.map_pages = fake_map,
	.unmap_pages = fake_unmap,
	.iova_to_phys = fake_iova_to_phys,
	.iotlb_flush = fake_iotlb_flush,
};

static void fake_init(struct fake_domain *f, uint64_t page_size,
		      uint64_t start, uint64_t end)
{
	memset(f, 0, sizeof(*f));
	f->domain.kind = IOMMU_DOMAIN_PAGING;
	f->domain.ops = &fake_ops;
	f->domain.pgsize_bitmap = page_size;
	f->domain.geometry.aperture_start = start;
	f->domain.geometry.aperture_end = end;
	f->fail_after = -1;
}

struct env {
	struct iommufd_ctx ictx;
	struct io_pagetable iopt;
	unsigned char *buf;
};

#define BUF (64 * 4096)

static int env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	if (usermem_init())
		return -1;
	e->ictx.account_mode = IOPT_PAGES_ACCOUNT_USER;
	iopt_init_table(&e->iopt);
	e->buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return e->buf == MAP_FAILED ? -1 : 0;
}

static int map_at(struct env *e, uint64_t iova, uint64_t offset,
		  uint64_t length)
{
	return iopt_map_user_pages(&e->ictx, usermem_self(), &e->iopt, &iova,
				   (uintptr_t)e->buf + offset, length,
				   IOPT_PROT_READ | IOPT_PROT_WRITE, 0);
}

static uint64_t ubuf(struct env *e, uint64_t offset)
{
	return (uintptr_t)e->buf + offset;
}

TEST(attach_fills_and_pins)
{
	struct fake_domain d;
	struct env e;

	ASSERT_EQ(0, env_init(&e));
	fake_init(&d, 2048, 0x100000, 0x7fffffff);
	ASSERT_EQ(0, map_at(&e, 0x200000, 0, 4 * 4096));
	EXPECT_EQ(0, iopt_pin_count(ubuf(&e, 0)));
	ASSERT_EQ(0, iopt_table_add_domain(&e.iopt, &d.domain));
	EXPECT_EQ(1, d.nmaps);
	EXPECT_EQ(ubuf(&e, 4096 + 5), fake_iova_to_phys(&d.domain, 0x201005));
	EXPECT_EQ(1, iopt_pin_count(ubuf(&e, 3 * 4096)));
	EXPECT_EQ(0, iopt_pin_count(ubuf(&e, 4 * 4096)));
	EXPECT_EQ(2048, e.iopt.iova_alignment);
	/* outside the aperture is reserved now */
	EXPECT_EQ(-EINVAL, map_at(&e, 0x80000, 0, 4096));
	EXPECT_EQ(-EINVAL, map_at(&e, 0x80000000, 0, 4096));
	/* and byte alignment is gone */
	EXPECT_EQ(-EINVAL, map_at(&e, 0x300800 + 1, 0, 4096));

	iopt_table_remove_domain(&e.iopt, &d.domain);
	EXPECT_EQ(0, d.nmaps);
	EXPECT_EQ(0, iopt_pin_count(ubuf(&e, 0)));
	EXPECT_EQ(1, e.iopt.iova_alignment);
	EXPECT_EQ(0, map_at(&e, 0x80000, 0, 4096));
	iopt_unmap_all(&e.iopt, NULL);
	iopt_destroy_table(&e.iopt);
}

TEST(map_and_unmap_follow_every_domain)
{
	struct fake_domain a, b;
	uint64_t unmapped;
	struct env e;

	ASSERT_EQ(0, env_init(&e));
	fake_init(&a, 4096, 0, UINT64_MAX);
	fake_init(&b, 2048, 0, UINT64_MAX);
	ASSERT_EQ(0, iopt_table_add_domain(&e.iopt, &a.domain));
	ASSERT_EQ(0, iopt_table_add_domain(&e.iopt, &b.domain));
	EXPECT_EQ(-EEXIST, iopt_table_add_domain(&e.iopt, &b.domain));
	EXPECT_EQ(4096, e.iopt.iova_alignment);
	ASSERT_EQ(0, map_at(&e, 0x10000, 0, 8192));
	EXPECT_EQ(1, a.nmaps);
	EXPECT_EQ(1, b.nmaps);
	/* pinned once, however many domains */
	EXPECT_EQ(1, iopt_pin_count(ubuf(&e, 4096)));
	EXPECT_EQ(0, a.nflushes);
	/* each unmap from a domain is followed by a flush of its range */
	iopt_table_remove_domain(&e.iopt, &a.domain);
	EXPECT_EQ(1, a.nflushes);
	EXPECT_EQ(0x10000, a.flush_iova);
	EXPECT_EQ(0x11fff, a.flush_last);
	EXPECT_EQ(1, iopt_pin_count(ubuf(&e, 4096)));
	EXPECT_EQ(2048, e.iopt.iova_alignment);
	ASSERT_EQ(0, iopt_unmap_iova(&e.iopt, 0x10000, 8192, &unmapped));
	EXPECT_EQ(8192, unmapped);
	EXPECT_EQ(0, b.nmaps);
	EXPECT_EQ(1, b.nflushes);
	EXPECT_EQ(0x10000, b.flush_iova);
	EXPECT_EQ(0x11fff, b.flush_last);
	EXPECT_EQ(0, a.early_flushes + b.early_flushes);
	EXPECT_EQ(0, iopt_pin_count(ubuf(&e, 4096)));
	iopt_table_remove_domain(&e.iopt, &b.domain);
	iopt_destroy_table(&e.iopt);
}

TEST(map_of_missing_memory_is_efault_with_a_domain)
{
	struct fake_domain d;
	struct env e;

	ASSERT_EQ(0, env_init(&e));
	fake_init(&d, 4096, 0, UINT64_MAX);
	ASSERT_EQ(0, munmap(e.buf + 8 * 4096, 4096));
	/* no domain: nothing is touched, MAP succeeds */
	ASSERT_EQ(0, map_at(&e, 0x10000, 0, 16 * 4096));
	/* the first attach pins, and finds the hole */
	EXPECT_EQ(-EFAULT, iopt_table_add_domain(&e.iopt, &d.domain));
	EXPECT_EQ(0, d.nmaps);
	EXPECT_EQ(1, e.iopt.iova_alignment);
	ASSERT_EQ(0, iopt_unmap_all(&e.iopt, NULL));
	ASSERT_EQ(0, iopt_table_add_domain(&e.iopt, &d.domain));
	EXPECT_EQ(-EFAULT, map_at(&e, 0x10000, 0, 16 * 4096));
	EXPECT_TRUE(rindex_empty(&e.iopt.areas));
	EXPECT_EQ(0, d.nmaps);
	EXPECT_EQ(0, iopt_pin_count(ubuf(&e, 0)));
	ASSERT_EQ(0, map_at(&e, 0x10000, 0, 8 * 4096));
	EXPECT_EQ(1, d.nmaps);
	iopt_unmap_all(&e.iopt, NULL);
	iopt_table_remove_domain(&e.iopt, &d.domain);
	iopt_destroy_table(&e.iopt);
}

TEST(attach_refused_by_areas_and_allowed_ranges)
{
	struct fake_domain d, big;
	struct itree allowed;
	struct iopt_allowed *range;
	struct env e;

	ASSERT_EQ(0, env_init(&e));
	fake_init(&d, 4096, 0x100000, 0xffffffff);
	fake_init(&big, 8192, 0, UINT64_MAX);
	/* a page size above the CPU's */
	EXPECT_EQ(-EINVAL, iopt_table_add_domain(&e.iopt, &big.domain));
	/* an area outside the aperture */
	ASSERT_EQ(0, map_at(&e, 0x1000, 0, 4096));
	EXPECT_EQ(-EADDRINUSE, iopt_table_add_domain(&e.iopt, &d.domain));
	ASSERT_EQ(0, iopt_unmap_all(&e.iopt, NULL));
	/* an area not aligned to the domain's page */
	ASSERT_EQ(0, map_at(&e, 0x200800, 0, 4096));
	EXPECT_EQ(-EADDRINUSE, iopt_table_add_domain(&e.iopt, &d.domain));
	ASSERT_EQ(0, iopt_unmap_all(&e.iopt, NULL));
	/* an allowed range outside the aperture */
	itree_init(&allowed);
	range = calloc(1, sizeof(*range));
	range->node.start = 0;
	range->node.last = 0xfffff;
	itree_insert(&allowed, &range->node);
	ASSERT_EQ(0, iopt_set_allow_iova(&e.iopt, &allowed));
	EXPECT_EQ(-EADDRINUSE, iopt_table_add_domain(&e.iopt, &d.domain));
	EXPECT_TRUE(itree_empty(&e.iopt.reserved_itree));
	iopt_destroy_table(&e.iopt);
}

TEST(a_failing_domain_leaves_nothing)
{
	struct fake_domain d;
	struct env e;

	ASSERT_EQ(0, env_init(&e));
	fake_init(&d, 4096, 0x1000, 0xffffffff);
	ASSERT_EQ(0, map_at(&e, 0x10000, 0, 4096));
	ASSERT_EQ(0, map_at(&e, 0x20000, 4096, 4096));
	ASSERT_EQ(0, map_at(&e, 0x30000, 8192, 4096));
	d.fail_after = 2;
	EXPECT_EQ(-ENOMEM, iopt_table_add_domain(&e.iopt, &d.domain));
	EXPECT_EQ(0, d.nmaps);
	EXPECT_EQ(0, iopt_pin_count(ubuf(&e, 0)));
	EXPECT_EQ(0, iopt_pin_count(ubuf(&e, 8192)));
	EXPECT_TRUE(itree_empty(&e.iopt.reserved_itree));
	EXPECT_EQ(1, e.iopt.iova_alignment);
	/* and a MAP whose domain refuses leaves nothing either */
	d.fail_after = -1;
	ASSERT_EQ(0, iopt_table_add_domain(&e.iopt, &d.domain));
	d.fail_after = 0;
	EXPECT_EQ(-ENOMEM, map_at(&e, 0x40000, 12288, 4096));
	EXPECT_EQ(0, iopt_pin_count(ubuf(&e, 12288)));
	EXPECT_EQ(3, d.nmaps);
	iopt_unmap_all(&e.iopt, NULL);
	iopt_table_remove_domain(&e.iopt, &d.domain);
	iopt_destroy_table(&e.iopt);
}

/* A domain is told how far the memory is physically contiguous: a CPU
 * page for ordinary memory, a hugetlb page for hugetlb memory; a CPU page
 * whatever the memory with IOMMU_OPTION_HUGE_PAGES off. */
TEST(leaves_bounded_by_contiguity)
{
	struct iopt_area *area;
	struct fake_domain d;
	struct env e;

	ASSERT_EQ(0, env_init(&e));
	fake_init(&d, 2048, 0x100000, 0x7fffffff);
	ASSERT_EQ(0, map_at(&e, 0x200000, 0, 16 * 4096));
	ASSERT_EQ(0, iopt_table_add_domain(&e.iopt, &d.domain));
	ASSERT_EQ(1, d.nmaps);
	EXPECT_EQ(cpu_page_size(), d.maps[0].max_leaf);
	iopt_table_remove_domain(&e.iopt, &d.domain);

	/* as if the pages were one hugetlb page */
	area = iopt_area_find(&e.iopt, 0x200000, 0x200000);
	ASSERT_NONNULL(area);
	area->pages->contig = 2ull << 20;
	ASSERT_EQ(0, iopt_table_add_domain(&e.iopt, &d.domain));
	EXPECT_EQ(2ull << 20, d.maps[0].max_leaf);
	iopt_table_remove_domain(&e.iopt, &d.domain);

	e.iopt.disable_large_pages = true;
	ASSERT_EQ(0, iopt_table_add_domain(&e.iopt, &d.domain));
	EXPECT_EQ(cpu_page_size(), d.maps[0].max_leaf);
	iopt_table_remove_domain(&e.iopt, &d.domain);
	iopt_unmap_all(&e.iopt, NULL);
	iopt_destroy_table(&e.iopt);
}

TEST_HARNESS_MAIN
