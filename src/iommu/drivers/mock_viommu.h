/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU's vIOMMU (the kernel selftest's struct mock_viommu): type
 * IOMMU_VIOMMU_TYPE_SELFTEST over a mock paging parent. With driver data
 * it gives the user two pages to mmap(), the first word holding the
 * data's in_data (a loopback the selftests read back). It makes nested
 * domains (mock_nested.h), invalidates the fake caches of the mock devices
 * the guest names by virtual ID, and takes up to IOMMU_TEST_HW_QUEUE_MAX
 * HW queues of type IOMMU_HW_QUEUE_TYPE_SELFTEST, each but the first
 * depending on the one before it.
 */
#ifndef IOMMUSIM_DRIVERS_MOCK_VIOMMU_H
#define IOMMUSIM_DRIVERS_MOCK_VIOMMU_H

#include <stddef.h>
#include <stdint.h>

#include "iommu/viommu.h"

/* The mock's get_viommu_size and viommu_init (struct iommu_ops). */
size_t mock_get_viommu_size(struct device *dev, uint32_t type);
int mock_viommu_init(struct iommu_viommu *viommu, struct iommu_domain *parent,
		     const struct iommu_user_data *user_data);

#endif /* IOMMUSIM_DRIVERS_MOCK_VIOMMU_H */
