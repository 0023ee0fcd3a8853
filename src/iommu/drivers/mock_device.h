/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU's devices: what the kernel's selftest creates for
 * IOMMU_TEST_OP_MOCK_DOMAIN. A device has its flags (MOCK_FLAGS_DEVICE_*)
 * and, through them, its capabilities; the core sees it only as a
 * struct device with the mock's struct iommu_ops.
 */
#ifndef IOMMUSIM_DRIVERS_MOCK_DEVICE_H
#define IOMMUSIM_DRIVERS_MOCK_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/iommu.h"

struct mock_dev {
	struct device dev; /* first: the core's handle */
	uint32_t flags;
	/* PASID IOMMU_TEST_PASID_RESERVED's fault drill, __atomic */
	bool pasid_fault_armed;
};

/* NULL with *err: -EINVAL for a flag the mock does not know, -ENOMEM. */
struct mock_dev *mock_dev_create(uint32_t flags, int *err);
void mock_dev_destroy(struct mock_dev *mdev);

#endif /* IOMMUSIM_DRIVERS_MOCK_DEVICE_H */
