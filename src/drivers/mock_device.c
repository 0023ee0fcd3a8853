// SPDX-License-Identifier: MIT
/*
 * Mock devices, as the kernel's selftest makes them (mock_dev_create()).
 */
#include <errno.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd_test.h>

#include "mock_device.h"

#define MOCK_DEVICE_FLAGS_KNOWN                                                \
	(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID |                \
	 MOCK_FLAGS_DEVICE_NO_ATTACH)

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
