// SPDX-License-Identifier: MIT
/*
 * Mock devices, as the kernel's selftest makes them (mock_dev_create()).
 */
#include <errno.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd_test.h>

#include <iommusim/uapi/iommufd.h>

#include "mock.h"
#include "mock_device.h"
#include "user_data.h"

#define MOCK_DEVICE_FLAGS_KNOWN                                                \
	(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID)

struct mock_dev *mock_dev_create(uint32_t flags, int *err)
{
	struct mock_dev *mdev;

	if (flags & ~MOCK_DEVICE_FLAGS_KNOWN) {
		*err = -EINVAL;
		return NULL;
	}
	mdev = calloc(1, sizeof(*mdev));
	if (!mdev) {
		*err = -ENOMEM;
		return NULL;
	}
	mdev->flags = flags;
	return mdev;
}

void mock_dev_destroy(struct mock_dev *mdev)
{
	free(mdev);
}

bool mock_dev_dirty_capable(const struct mock_dev *mdev)
{
	return !(mdev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
}

int mock_dev_attach(struct mock_dev *mdev, struct iommu_domain *domain)
{
	if (domain->ops->set_dirty_tracking && !mock_dev_dirty_capable(mdev))
		return -EINVAL;
	return 0;
}

struct iommu_domain *
mock_dev_domain_alloc_paging(struct mock_dev *mdev, uint32_t flags,
			     const struct iommu_user_data *user_data, int *err)
{
	const uint32_t paging_flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
				      IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				      IOMMU_HWPT_ALLOC_PASID;
	struct iommu_hwpt_selftest cfg = { 0 };
	bool dirty = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	int rc;

	if ((flags & ~paging_flags) ||
	    (user_data && user_data->type != IOMMU_HWPT_DATA_SELFTEST)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (user_data) {
		rc = iommu_copy_struct_from_user(
			&cfg, user_data, IOMMU_HWPT_DATA_SELFTEST, sizeof(cfg),
			offsetof(struct iommu_hwpt_selftest, iotlb) +
				sizeof(cfg.iotlb));
		if (rc) {
			*err = rc;
			return NULL;
		}
	}
	if (dirty && !mock_dev_dirty_capable(mdev)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	return mock_domain_alloc_paging(cfg.pagetable_type, dirty, err);
}

int mock_dev_hw_info(const struct mock_dev *mdev, uint32_t *type,
		     struct iommu_test_hw_info *info)
{
	(void)mdev;
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    *type != IOMMU_HW_INFO_TYPE_SELFTEST)
		return -EOPNOTSUPP;
	info->flags = 0;
	info->test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return 0;
}

unsigned int mock_dev_max_pasid_log2(const struct mock_dev *mdev)
{
	/* the kernel's mock enables 2^20 PASIDs on a PASID device */
	return mdev->flags & MOCK_FLAGS_DEVICE_PASID ? 20 : 0;
}
