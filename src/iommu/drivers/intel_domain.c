// SPDX-License-Identifier: MIT
/*
 * VT-d paging domains: a second-stage table of the unit's levels, as the
 * kernel 6.12 driver allocates for every iommufd domain
 * (intel_iommu_domain_alloc_user(): "Do not use first stage for user domain
 * translation"). intel.h describes geometry, the erratum and dirty
 * tracking.
 */
#include <errno.h>
#include <stdlib.h>

#include "iommu/drivers/intel_priv.h"
#include "iommu/iotlb.h"
#include "base/zalloc.h"

#define SZ_4K (1ull << 12)
#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)

static const struct iommu_domain_ops intel_paging_ops;
static const struct iommu_domain_ops intel_paging_dirty_ops;

bool intel_domain_is_paging(const struct iommu_domain *domain)
{
	return domain->ops == &intel_paging_ops ||
	       domain->ops == &intel_paging_dirty_ops;
}

/* ---- domain ops ------------------------------------------------------------ */

static int intel_map_pages(struct iommu_domain *domain, uint64_t iova,
			   uint64_t paddr, uint64_t length, int prot,
			   uint64_t max_leaf)
{
	struct intel_paging *paging = to_intel_paging(domain);
	uint64_t leaves;

	/* ERRATA_772415_SPR17: a nesting parent's second stage must not
	 * hold a read-only entry (the kernel's __domain_mapping()). */
	if (paging->nest_parent && !(prot & IOMMU_WRITE))
		return -EINVAL;
	if ((iova | paddr | length) & (SZ_4K - 1))
		return -EINVAL;
	leaves = domain->pgsize_bitmap & (max_leaf | (max_leaf - 1));
	return pt_map(&paging->pt, iova, paddr, length, prot,
		      leaves ? leaves : SZ_4K);
}

static uint64_t intel_unmap_pages(struct iommu_domain *domain, uint64_t iova,
				  uint64_t length)
{
	return pt_unmap(&to_intel_paging(domain)->pt, iova, length);
}

static uint64_t intel_iova_to_phys(struct iommu_domain *domain, uint64_t iova)
{
	return pt_iova_to_phys(&to_intel_paging(domain)->pt, iova);
}

/* The hardware sets second-stage A/D only with SSADE, which the kernel
 * turns on with dirty tracking. */
static int intel_paging_translate(struct iommu_domain *domain, uint64_t iova,
				  unsigned int req, bool set_ad,
				  struct iommu_translation *out)
{
	struct intel_paging *paging = to_intel_paging(domain);
	bool ssade = __atomic_load_n(&paging->dirty_tracking, __ATOMIC_ACQUIRE);

	return pt_translate(&paging->pt, iova, req, set_ad && ssade, out);
}

/* A stage-2 change reaches every nested translation built on it: the
 * kernel flushes the nested domains' caches whole (cache.c's nesting
 * tags), and so do we. record: the flush is the core's, counted for the
 * tests; one the driver does of itself (dirty bits) is not. */
static void paging_invalidate(struct intel_paging *paging, uint64_t iova,
			      uint64_t last, bool record)
{
	if (record)
		intel_flushes_record(&paging->flushes, iova, last, false);
	iotlb_invalidate(&paging->domain, iova, last, false);
	pthread_mutex_lock(&paging->children_lock);
	for (struct intel_nested *child = paging->children; child;
	     child = child->next_child) {
		if (record)
			intel_flushes_record(&child->flushes, 0, UINT64_MAX,
					     false);
		iotlb_invalidate(&child->domain, 0, UINT64_MAX, false);
	}
	pthread_mutex_unlock(&paging->children_lock);
}

static void intel_paging_iotlb_flush(struct iommu_domain *domain,
				     uint64_t iova, uint64_t last)
{
	paging_invalidate(to_intel_paging(domain), iova, last, true);
}

static void intel_paging_free(struct iommu_domain *domain)
{
	struct intel_paging *paging = to_intel_paging(domain);

	pt_destroy(&paging->pt);
	pthread_mutex_destroy(&paging->children_lock);
	free(paging);
}

/* A cached translation remembers whether its walk set D: SSADE changing,
 * or D cleared, must drop it, so the next write walks and marks again
 * (the kernel flushes the IOTLB in both places). */
static int intel_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	struct intel_paging *paging = to_intel_paging(domain);

	__atomic_store_n(&paging->dirty_tracking, enable, __ATOMIC_RELEASE);
	paging_invalidate(paging, 0, UINT64_MAX, false);
	return 0;
}

static int intel_read_and_clear_dirty(struct iommu_domain *domain,
				      uint64_t iova, uint64_t length,
				      unsigned long flags,
				      struct iommu_dirty_bitmap *dirty)
{
	struct intel_paging *paging = to_intel_paging(domain);
	int rc = pt_read_and_clear_dirty(&paging->pt, iova, length, flags,
					 dirty);

	if (!rc && length && !(flags & IOMMU_DIRTY_NO_CLEAR))
		paging_invalidate(paging, iova, iova + (length - 1), false);
	return rc;
}

static int intel_restore_dirty(struct iommu_domain *domain, uint64_t iova,
			       uint64_t length)
{
	return pt_mark_dirty(&to_intel_paging(domain)->pt, iova, length);
}

static const struct iommu_domain_ops intel_paging_ops = {
	.map_pages = intel_map_pages,
	.unmap_pages = intel_unmap_pages,
	.iova_to_phys = intel_iova_to_phys,
	.free = intel_paging_free,
	.translate = intel_paging_translate,
	.iotlb_flush = intel_paging_iotlb_flush,
};

static const struct iommu_domain_ops intel_paging_dirty_ops = {
	.map_pages = intel_map_pages,
	.unmap_pages = intel_unmap_pages,
	.iova_to_phys = intel_iova_to_phys,
	.free = intel_paging_free,
	.translate = intel_paging_translate,
	.iotlb_flush = intel_paging_iotlb_flush,
	.set_dirty_tracking = intel_set_dirty_tracking,
	.read_and_clear_dirty = intel_read_and_clear_dirty,
	.mark_dirty = intel_restore_dirty,
};

/* ---- allocation and attach ------------------------------------------------- */

struct iommu_domain *intel_paging_alloc(struct intel_iommu *iommu,
					uint32_t flags, int *err)
{
	const uint32_t known = IOMMU_HWPT_ALLOC_NEST_PARENT |
			       IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			       IOMMU_HWPT_ALLOC_PASID;
	bool dirty = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct intel_paging *paging;
	int rc;

	/* every unit nests; dirty tracking needs second-stage A/D */
	if ((flags & ~known) || (dirty && !iommu->cfg.dirty)) {
		rc = -EOPNOTSUPP;
		goto out_err;
	}
	paging = zalloc(sizeof(*paging));
	if (!paging) {
		rc = -ENOMEM;
		goto out_err;
	}
	rc = pt_init(&paging->pt, iommu->cfg.levels == 5 ? &pt_vtd_ss5_format :
							   &pt_vtd_ss_format);
	if (rc)
		goto out_free;
	pthread_mutex_init(&paging->children_lock, NULL);
	paging->levels = iommu->cfg.levels;
	paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	paging->domain.kind = IOMMU_DOMAIN_PAGING;
	paging->domain.ops = dirty ? &intel_paging_dirty_ops :
				     &intel_paging_ops;
	paging->domain.owner = &intel_iommu_ops;
	paging->domain.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G;
	paging->domain.geometry.aperture_start = 0;
	paging->domain.geometry.aperture_end =
		(1ull << pt_va_lg2(paging->pt.fmt)) - 1;
	return &paging->domain;

out_free:
	free(paging);
out_err:
	*err = rc;
	return NULL;
}

/*
 * The kernel's prepare_domain_attach_device(): a dirty-tracking domain
 * needs a unit with second-stage A/D. A domain of more levels than the
 * unit walks is refused here; the kernel instead drops its top levels when
 * nothing is mapped above the unit's reach, a difference only a device
 * behind a 4-level unit sharing a 5-level unit's HWPT can see.
 */
int intel_paging_compatible(struct intel_paging *paging,
			    struct intel_iommu *iommu)
{
	if (paging->domain.ops->set_dirty_tracking && !iommu->cfg.dirty)
		return -EINVAL;
	if (paging->levels > iommu->cfg.levels)
		return -EINVAL;
	return 0;
}
