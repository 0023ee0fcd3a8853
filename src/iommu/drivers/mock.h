/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU driver: the selftest "hardware" of the kernel's
 * drivers/iommu/iommufd/selftest.c. This header is its interface to the
 * rest of iommusim; src/iommu/drivers/mock_domain.c holds the paging domain.
 *
 * A mock paging domain keeps its translations in a real page table of the
 * mock format (src/iommu/pgtable/mock.c); its translate op is the walker's
 * pt_translate(), the DMA engine's hardware walk. Its geometry follows the
 * newest kernel's mock_domain_alloc_pgtable():
 *
 *   MOCK_IOMMUPT_DEFAULT  pgsize_bitmap: every power of two from 2 KiB to
 *                         128 GiB (the kernel's AMD v1 mock, 3 levels, can
 *                         hold them all); aperture MOCK_APERTURE_START ..
 *                         MOCK_APERTURE_LAST.
 *   MOCK_IOMMUPT_HUGE     pgsize_bitmap: MOCK_HUGE_PAGE_SIZE | 4 KiB (the CPU
 *                         page, which iommufd requires); aperture 0 ..
 *                         2^38 - 1, the kernel table's own reach.
 *
 * Our format holds 2 KiB and 1 MiB leaves; any other size in the bitmap is
 * built of 2 KiB leaves (see pt_map()). map_pages reads domain->pgsize_bitmap
 * at every call, so a caller emulating an older kernel (6.12: 2 KiB only, or
 * 2 KiB | 1 MiB for MOCK_FLAGS_DEVICE_HUGE_IOVA) may overwrite it after
 * allocation, before the first map.
 *
 * Dirty tracking: a domain allocated with dirty_tracking has
 * set_dirty_tracking and read_and_clear_dirty in its ops (the kernel gives
 * dirty ops to DEFAULT and HUGE domains alike when
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING is asked); without it both are NULL.
 */
#ifndef IOMMUSIM_DRIVERS_MOCK_H
#define IOMMUSIM_DRIVERS_MOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/iommu.h"

/* The newest kernel's MOCK_IOMMUPT_DEFAULT page sizes: 2^11 .. 2^37. */
#define MOCK_DEFAULT_PGSIZE_BITMAP (((1ull << 38) - 1) & ~((1ull << 11) - 1))
/* The last IOVA a MOCK_IOMMUPT_HUGE domain translates. */
#define MOCK_HUGE_APERTURE_LAST ((1ull << 38) - 1)
/* The CPU page the kernel's mock adds to the huge bitmap. */
#define MOCK_CPU_PAGE_SIZE 4096ull

/*
 * A paging domain of the given MOCK_IOMMUPT_* type, or NULL with *err set:
 * -EOPNOTSUPP for an unknown type, -ENOMEM. Device checks (dirty tracking
 * on a MOCK_FLAGS_DEVICE_NO_DIRTY device is EOPNOTSUPP) are the caller's.
 */
struct iommu_domain *mock_domain_alloc_paging(unsigned int pagetable_type,
					      bool dirty_tracking, int *err);

/* True for a domain mock_domain_alloc_paging() made (what the selftest's
 * get_md_pagetable() checks before IOMMU_TEST_OP_MD_CHECK_MAP and friends). */
bool mock_domain_is_paging(const struct iommu_domain *domain);

/* Whether dirty tracking is on (set_dirty_tracking). */
bool mock_domain_dirty_tracking(const struct iommu_domain *domain);

/*
 * IOMMU_TEST_OP_DIRTY: marks dirty the leaves over [iova, iova + length), as
 * a device write would. -EINVAL unless dirty tracking is on (the kernel's
 * check); -ENOENT when part of the range is not mapped (the mapped parts
 * are still marked; the kernel counts every requested page regardless).
 */
int mock_domain_mark_dirty(struct iommu_domain *domain, uint64_t iova,
			   uint64_t length);

/*
 * How many times the core asked a mock paging domain's IOTLB to flush, and
 * the range [*iova, *last] of the latest request (meaningful when one
 * thread unmaps at a time); 0 for any other domain. The mock caches no
 * translation, so a flush changes nothing else: this is how the tests see
 * that UNMAP and detach ask for one.
 */
uint64_t mock_domain_iotlb_flushes(struct iommu_domain *domain,
				   uint64_t *iova, uint64_t *last);

#endif /* IOMMUSIM_DRIVERS_MOCK_H */
