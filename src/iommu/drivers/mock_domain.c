// SPDX-License-Identifier: MIT
/*
 * The mock IOMMU's paging domain: an iommu_domain whose translations live
 * in a real page table of the mock format, the way the kernel's selftest
 * mock keeps them in a generic_pt table since it left its xarray. Geometry
 * and page sizes per MOCK_IOMMUPT_* type are described in mock.h.
 */
#include <errno.h>
#include <stddef.h>

#include <iommusim/uapi/iommufd_test.h>

#include "iommu/drivers/mock.h"
#include "iommu/pgtable/pgtable.h"
#include "base/zalloc.h"

/* What the mock's IOTLB was told to drop; each field __atomic. */
struct mock_flushes {
	uint64_t count;
	uint64_t iova, last; /* the latest request, when one thread asks */
};

struct mock_domain {
	struct iommu_domain domain; /* first: the core's handle */
	struct pgtable pt;
	bool dirty_tracking; /* __atomic: set_dirty_tracking vs. readers */
	struct mock_flushes flushes;
};

static const struct iommu_domain_ops mock_paging_ops;
static const struct iommu_domain_ops mock_paging_dirty_ops;

static struct mock_domain *to_mock(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

bool mock_domain_is_paging(const struct iommu_domain *domain)
{
	return domain && (domain->ops == &mock_paging_ops ||
			  domain->ops == &mock_paging_dirty_ops);
}

/* ---- domain ops ---------------------------------------------------------- */

static int mock_map_pages(struct iommu_domain *domain, uint64_t iova,
			  uint64_t paddr, uint64_t length, int prot,
			  uint64_t max_leaf)
{
	uint64_t page, leaves;

	/* The kernel's core refuses what the smallest page cannot express. */
	if (!domain->pgsize_bitmap)
		return -EINVAL;
	page = iommu_min_page_size(domain);
	if ((iova | paddr | length) & (page - 1))
		return -EINVAL;
	/* sizes up to max_leaf; what is left is built of the smallest */
	leaves = domain->pgsize_bitmap & (max_leaf | (max_leaf - 1));
	return pt_map(&to_mock(domain)->pt, iova, paddr, length, prot,
		      leaves ? leaves : page);
}

static uint64_t mock_unmap_pages(struct iommu_domain *domain, uint64_t iova,
				 uint64_t length)
{
	return pt_unmap(&to_mock(domain)->pt, iova, length);
}

static uint64_t mock_iova_to_phys(struct iommu_domain *domain, uint64_t iova)
{
	return pt_iova_to_phys(&to_mock(domain)->pt, iova);
}

static int mock_translate(struct iommu_domain *domain, uint64_t iova,
			  unsigned int req, bool set_ad,
			  struct iommu_translation *out)
{
	return pt_translate(&to_mock(domain)->pt, iova, req, set_ad, out);
}

/* The mock caches no translation: a flush is only counted, for the tests
 * to see that the core asks for it. */
static void mock_iotlb_flush(struct iommu_domain *domain, uint64_t iova,
			     uint64_t last)
{
	struct mock_flushes *f = &to_mock(domain)->flushes;

	__atomic_store_n(&f->iova, iova, __ATOMIC_RELAXED);
	__atomic_store_n(&f->last, last, __ATOMIC_RELAXED);
	__atomic_fetch_add(&f->count, 1, __ATOMIC_RELEASE);
}

static void mock_free(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock(domain);

	pt_destroy(&mock->pt);
	free(mock);
}

static int mock_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	__atomic_store_n(&to_mock(domain)->dirty_tracking, enable,
			 __ATOMIC_RELEASE);
	return 0;
}

/* As the newest kernel (generic_pt's dirty ops): harvesting works whether or
 * not tracking is on; the core decides when to ask. */
static int mock_read_and_clear_dirty(struct iommu_domain *domain,
				     uint64_t iova, uint64_t length,
				     unsigned long flags,
				     struct iommu_dirty_bitmap *dirty)
{
	return pt_read_and_clear_dirty(&to_mock(domain)->pt, iova, length,
				       flags, dirty);
}

static int mock_restore_dirty(struct iommu_domain *domain, uint64_t iova,
			      uint64_t length)
{
	return pt_mark_dirty(&to_mock(domain)->pt, iova, length);
}

static const struct iommu_domain_ops mock_paging_ops = {
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_free,
	.translate = mock_translate,
	.iotlb_flush = mock_iotlb_flush,
};

static const struct iommu_domain_ops mock_paging_dirty_ops = {
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_free,
	.translate = mock_translate,
	.iotlb_flush = mock_iotlb_flush,
	.set_dirty_tracking = mock_set_dirty_tracking,
	.read_and_clear_dirty = mock_read_and_clear_dirty,
	.mark_dirty = mock_restore_dirty,
};

/* ---- allocation ------------------------------------------------------------ */

static void mock_set_geometry(struct iommu_domain *domain,
			      unsigned int pagetable_type)
{
	if (pagetable_type == MOCK_IOMMUPT_HUGE) {
		/* Userspace is to give huge pages only; the CPU page is in
		 * the bitmap because iommufd takes no domain without it. */
		domain->pgsize_bitmap = MOCK_HUGE_PAGE_SIZE |
					MOCK_CPU_PAGE_SIZE;
		domain->geometry.aperture_start = 0;
		domain->geometry.aperture_end = MOCK_HUGE_APERTURE_LAST;
		return;
	}
	domain->pgsize_bitmap = MOCK_DEFAULT_PGSIZE_BITMAP;
	/* A non-zero start catches callers that take IOVA 0 for granted. */
	domain->geometry.aperture_start = MOCK_APERTURE_START;
	domain->geometry.aperture_end = MOCK_APERTURE_LAST;
}

struct iommu_domain *mock_domain_alloc_paging(unsigned int pagetable_type,
					      bool dirty_tracking, int *err)
{
	struct mock_domain *mock;
	int ret;

	if (pagetable_type != MOCK_IOMMUPT_DEFAULT &&
	    pagetable_type != MOCK_IOMMUPT_HUGE) {
		ret = -EOPNOTSUPP;
		goto out_err;
	}
	mock = zalloc(sizeof(*mock));
	if (!mock) {
		ret = -ENOMEM;
		goto out_err;
	}
	ret = pt_init(&mock->pt, &pt_mock_format);
	if (ret)
		goto out_free;
	mock->domain.kind = IOMMU_DOMAIN_PAGING;
	mock->domain.ops = dirty_tracking ? &mock_paging_dirty_ops :
					    &mock_paging_ops;
	mock_set_geometry(&mock->domain, pagetable_type);
	return &mock->domain;

out_free:
	free(mock);
out_err:
	*err = ret;
	return NULL;
}

/* ---- for the selftest commands and the tests ---------------------------------- */

bool mock_domain_dirty_tracking(const struct iommu_domain *domain)
{
	const struct mock_domain *mock;

	if (!mock_domain_is_paging(domain))
		return false;
	mock = container_of(domain, struct mock_domain, domain);
	return __atomic_load_n(&mock->dirty_tracking, __ATOMIC_ACQUIRE);
}

int mock_domain_mark_dirty(struct iommu_domain *domain, uint64_t iova,
			   uint64_t length)
{
	if (!mock_domain_dirty_tracking(domain))
		return -EINVAL;
	return pt_mark_dirty(&to_mock(domain)->pt, iova, length);
}

uint64_t mock_domain_iotlb_flushes(struct iommu_domain *domain,
				   uint64_t *iova, uint64_t *last)
{
	struct mock_flushes *f;
	uint64_t count;

	*iova = *last = 0;
	if (!mock_domain_is_paging(domain))
		return 0;
	f = &to_mock(domain)->flushes;
	count = __atomic_load_n(&f->count, __ATOMIC_ACQUIRE);

	*iova = __atomic_load_n(&f->iova, __ATOMIC_RELAXED);
	*last = __atomic_load_n(&f->last, __ATOMIC_RELAXED);
	return count;
}
