/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU's nested domains: a stage 1 the user owns over a mock
 * paging parent. Their only state is the fake 4-entry IOTLB of the kernel's
 * selftest, filled from the allocation data and cleared by invalidation.
 *
 * The selftest's stage 1 is no table, so there is nothing to walk: these
 * domains have no translate op (iommu_domain_translate() answers
 * -EOPNOTSUPP), and no iotlb_flush, since detaching a device leaves the
 * fake IOTLB as the kernel's mock does: only the user's invalidation
 * clears it.
 */
#ifndef IOMMUSIM_DRIVERS_MOCK_NESTED_H
#define IOMMUSIM_DRIVERS_MOCK_NESTED_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/iommu.h"

struct iommu_user_data;
struct iommu_viommu;

/* The driver's domain_alloc_nested: NULL with *err (-EOPNOTSUPP for
 * flags or data type, -EINVAL for the parent or the data length,
 * -EFAULT, -ENOMEM). */
struct iommu_domain *
mock_domain_alloc_nested(struct iommu_domain *parent, uint32_t flags,
			 const struct iommu_user_data *user_data, int *err);

/* The same, made on a mock vIOMMU (its alloc_domain_nested): over the
 * vIOMMU's parent, remembering the vIOMMU. */
struct iommu_domain *
mock_domain_alloc_nested_viommu(struct iommu_viommu *viommu, uint32_t flags,
				const struct iommu_user_data *user_data,
				int *err);

bool mock_domain_is_nested(const struct iommu_domain *domain);

/* The vIOMMU a mock nested domain was made on; NULL for one made on a
 * paging parent, or for any other domain. */
struct iommu_viommu *mock_nested_viommu(const struct iommu_domain *domain);

/* IOMMU_TEST_OP_MD_CHECK_IOTLB: 0 when entry id holds value, else -EINVAL. */
int mock_nested_check_iotlb(struct iommu_domain *domain, uint32_t id,
			    uint32_t value);

#endif /* IOMMUSIM_DRIVERS_MOCK_NESTED_H */
