/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU and its devices: what the kernel's selftest registers and
 * creates for IOMMU_TEST_OP_MOCK_DOMAIN. A device has its flags
 * (MOCK_FLAGS_DEVICE_*) and, through them, its capabilities; the core sees
 * it only as a struct device on the platform, behind an instance whose
 * driver is the mock's struct iommu_ops.
 */
#ifndef IOMMUSIM_DRIVERS_MOCK_DEVICE_H
#define IOMMUSIM_DRIVERS_MOCK_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <iommusim/uapi/iommufd_test.h>

#include "iommu/iommu.h"

struct mock_dev {
	struct device dev; /* first: the core's handle */
	uint32_t flags;
	/* PASID IOMMU_TEST_PASID_RESERVED's fault drill, __atomic */
	bool pasid_fault_armed;
	/* The answers the device got to its page requests, by enum
	 * iommu_page_response_code, __atomic: what a test can see of them
	 * (the kernel's mock drops them). */
	uint64_t page_responses[IOMMU_PAGE_RESP_FAILURE + 1];
	/* The fake per-device cache of the kernel's selftest: every entry
	 * starts at IOMMU_TEST_DEV_CACHE_DEFAULT and only an invalidation
	 * through a vIOMMU clears it, so a test sees that one reached the
	 * device. __atomic. */
	uint32_t cache[MOCK_DEV_CACHE_NUM];
};

/* The mock IOMMU instance, registered on the platform at the first call;
 * NULL when that failed. */
struct iommu_device *mock_iommu(void);

/*
 * A mock device, added to the platform behind iommu: the mock instance, or
 * one whose driver builds on the mock's (a test's). NULL with *err: -EINVAL
 * for a flag the mock does not know, -ENODEV without an instance, -ENOMEM,
 * or platform_add_device()'s error.
 */
struct mock_dev *mock_dev_create(struct iommu_device *iommu, uint32_t flags,
				 int *err);
/* Takes the device off the platform; its memory goes with the last
 * reference (a binding may still hold one). */
void mock_dev_destroy(struct mock_dev *mdev);

/* The mock device dev is, or NULL for any other device (the kernel's
 * iommufd_selftest_is_mock_dev()). */
struct mock_dev *mock_dev_of(struct device *dev);

/* How many page responses with code the device got so far. */
uint64_t mock_dev_page_responses(const struct mock_dev *mdev,
				 enum iommu_page_response_code code);

/* IOMMU_TEST_OP_DEV_CHECK_CACHE: 0 when cache entry id holds value, else
 * -EINVAL (an id past MOCK_DEV_CACHE_ID_MAX included). */
int mock_dev_check_cache(struct mock_dev *mdev, uint32_t id, uint32_t value);

/* Clears cache entry id, or every entry with all. */
void mock_dev_invalidate_cache(struct mock_dev *mdev, uint32_t id, bool all);

#endif /* IOMMUSIM_DRIVERS_MOCK_DEVICE_H */
