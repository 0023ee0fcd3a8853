/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU's devices: what the kernel's selftest creates for
 * IOMMU_TEST_OP_MOCK_DOMAIN. A device has its flags (MOCK_FLAGS_DEVICE_*)
 * and, through them, its capabilities.
 */
#ifndef IOMMUSIM_DRIVERS_MOCK_DEVICE_H
#define IOMMUSIM_DRIVERS_MOCK_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu.h"

struct mock_dev {
	uint32_t flags;
};

/* NULL with *err: -EINVAL for a flag the mock does not know, -ENOMEM. */
struct mock_dev *mock_dev_create(uint32_t flags, int *err);
void mock_dev_destroy(struct mock_dev *mdev);

/* IOMMU_CAP_DIRTY_TRACKING */
bool mock_dev_dirty_capable(const struct mock_dev *mdev);

struct iommu_user_data;

/*
 * The driver's paging-domain allocation for a device (the kernel's
 * domain_alloc_paging_flags): flags IOMMU_HWPT_ALLOC_*, and optional user
 * data of type IOMMU_HWPT_DATA_SELFTEST choosing the page-table type.
 * NULL with *err: -EOPNOTSUPP (flags, data type, page-table type, dirty
 * tracking the device lacks), -EINVAL (data length), -EFAULT, -ENOMEM.
 */
struct iommu_domain *
mock_dev_domain_alloc_paging(struct mock_dev *mdev, uint32_t flags,
			     const struct iommu_user_data *user_data, int *err);

/*
 * The driver's hw_info: *type in is the type asked for (DEFAULT or
 * IOMMU_HW_INFO_TYPE_SELFTEST, else -EOPNOTSUPP), out the type given;
 * fills *info.
 */
struct iommu_test_hw_info;
int mock_dev_hw_info(const struct mock_dev *mdev, uint32_t *type,
		     struct iommu_test_hw_info *info);

/* log2 of the PASIDs the device has enabled, 0 for none. */
unsigned int mock_dev_max_pasid_log2(const struct mock_dev *mdev);

/* The driver's attach: -EINVAL when the domain does not suit the device
 * (dirty tracking on a device without it). */
int mock_dev_attach(struct mock_dev *mdev, struct iommu_domain *domain);

#endif /* IOMMUSIM_DRIVERS_MOCK_DEVICE_H */
