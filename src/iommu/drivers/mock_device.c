// SPDX-License-Identifier: MIT
/*
 * Mock devices, as the kernel's selftest makes them (mock_dev_create()).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/uapi/iommufd_test.h>

#include <iommusim/uapi/iommufd.h>

#include "base/alloc.h"
#include "iommu/drivers/mock.h"
#include "iommu/drivers/mock_device.h"
#include "iommu/drivers/mock_nested.h"
#include "iommu/drivers/mock_viommu.h"
#include "iommu/user_data.h"

static const struct iommu_ops mock_iommu_ops;

static struct mock_dev *to_mock_dev(struct device *dev)
{
	return container_of(dev, struct mock_dev, dev);
}

/*
 * MOCK_FLAGS_DEVICE_HUGE_IOVA is 6.12's: it let the domains made for the
 * device map 1 MiB leaves (MOCK_HUGE_PAGE_SIZE). The newest kernel refuses
 * it; we take it, for the 6.12 selftests (DESIGN level 1), and need do
 * nothing more: our domains' page sizes include MOCK_HUGE_PAGE_SIZE, and
 * leaves that large are used wherever the memory is contiguous enough.
 * (So without the flag, hugetlb memory also gets 1 MiB leaves where 6.12
 * used 2 KiB ones; no 6.12 test maps hugetlb memory without it.)
 */
#define MOCK_DEVICE_FLAGS_KNOWN                                                \
	(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |            \
	 MOCK_FLAGS_DEVICE_PASID)

/* The kernel's mock_iommu_device: every selftest device sits behind it. */
static struct iommu_device mock_instance = {
	.ops = &mock_iommu_ops,
	.name = "mock",
	.max_pasids = 1u << MOCK_PASID_WIDTH,
	.caps = 1ull << IOMMU_CAP_DIRTY_TRACKING,
};
static pthread_once_t mock_instance_once = PTHREAD_ONCE_INIT;
static bool mock_instance_registered;

static void register_mock_instance(void)
{
	mock_instance_registered = !iommu_device_register(&mock_instance);
}

struct iommu_device *mock_iommu(void)
{
	pthread_once(&mock_instance_once, register_mock_instance);
	return mock_instance_registered ? &mock_instance : NULL;
}

static void mock_dev_release(struct device *dev)
{
	free(to_mock_dev(dev));
}

struct mock_dev *mock_dev_create(struct iommu_device *iommu, uint32_t flags,
				 int *err)
{
	struct mock_dev *mdev;
	int rc;

	if (flags & ~MOCK_DEVICE_FLAGS_KNOWN) {
		*err = -EINVAL;
		return NULL;
	}
	if (!iommu) {
		*err = -ENODEV;
		return NULL;
	}
	mdev = lib_calloc(1, sizeof(*mdev));
	if (!mdev) {
		*err = -ENOMEM;
		return NULL;
	}
	mdev->flags = flags;
	for (unsigned int i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		mdev->cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;
	rc = platform_add_device(iommu, &mdev->dev, mock_dev_release);
	if (rc) {
		free(mdev);
		*err = rc;
		return NULL;
	}
	return mdev;
}

void mock_dev_destroy(struct mock_dev *mdev)
{
	platform_remove_device(&mdev->dev);
}

struct mock_dev *mock_dev_of(struct device *dev)
{
	return dev->release == mock_dev_release ? to_mock_dev(dev) : NULL;
}

uint64_t mock_dev_page_responses(const struct mock_dev *mdev,
				 enum iommu_page_response_code code)
{
	return __atomic_load_n(&mdev->page_responses[code], __ATOMIC_RELAXED);
}

int mock_dev_check_cache(struct mock_dev *mdev, uint32_t id, uint32_t value)
{
	if (id > MOCK_DEV_CACHE_ID_MAX ||
	    __atomic_load_n(&mdev->cache[id], __ATOMIC_RELAXED) != value)
		return -EINVAL;
	return 0;
}

void mock_dev_invalidate_cache(struct mock_dev *mdev, uint32_t id, bool all)
{
	for (unsigned int i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		if (all || i == id)
			__atomic_store_n(&mdev->cache[i], 0, __ATOMIC_RELAXED);
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_DIRTY_TRACKING:
		return !(to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
	default:
		return false; /* no PCI device: no ATS */
	}
}

/* A nested domain made on a vIOMMU takes only a device the guest knows:
 * one with a vDEVICE there (-ENOENT otherwise, the kernel's). */
static int mock_attach_dev(struct iommu_domain *domain,
			   struct device *dev)
{
	struct iommu_viommu *viommu = mock_nested_viommu(domain);
	uint64_t virt_id;

	if (domain->ops->set_dirty_tracking &&
	    !mock_capable(dev, IOMMU_CAP_DIRTY_TRACKING))
		return -EINVAL;
	if (viommu)
		return iommu_viommu_get_vdev_id(viommu, dev, &virt_id);
	return 0;
}

static struct iommu_domain *
mock_domain_alloc_paging_flags(struct device *dev, uint32_t flags,
			       const struct iommu_user_data *user_data,
			       int *err)
{
	struct iommu_domain *domain;
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
	if (dirty && !mock_capable(dev, IOMMU_CAP_DIRTY_TRACKING)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	domain = mock_domain_alloc_paging(cfg.pagetable_type, dirty, err);
	if (domain)
		domain->owner = &mock_iommu_ops;
	return domain;
}

static struct iommu_domain *
mock_domain_alloc_nested_dev(struct device *dev,
			     struct iommu_domain *parent, uint32_t flags,
			     const struct iommu_user_data *user_data, int *err)
{
	struct iommu_domain *domain;

	(void)dev;
	domain = mock_domain_alloc_nested(parent, flags, user_data, err);
	if (domain)
		domain->owner = &mock_iommu_ops;
	return domain;
}

static int mock_hw_info(struct device *dev, uint32_t *type, void *data,
			uint32_t *len)
{
	struct iommu_test_hw_info info = {
		.flags = 0,
		.test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL,
	};

	(void)dev;
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    *type != IOMMU_HW_INFO_TYPE_SELFTEST)
		return -EOPNOTSUPP;
	memcpy(data, &info, *len < sizeof(info) ? *len : sizeof(info));
	*len = sizeof(info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return 0;
}

static uint32_t mock_max_pasids(struct device *dev)
{
	/* Every mock device carries a PASID width property: MOCK_PASID_WIDTH
	 * bits on a PASID device, 0 bits (one PASID: the RID's) on others. */
	return to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_PASID ?
		       1u << MOCK_PASID_WIDTH : 1u;
}

/*
 * Any domain may sit on any PASID. PASID IOMMU_TEST_PASID_RESERVED is the
 * kernel's fault drill: a first attach arms it, the next change of domain
 * fails with ENOMEM (and disarms it), blocking always disarms it; so a
 * test can watch a failed replace leave the old domain in place.
 */
static int mock_set_dev_pasid(struct iommu_domain *domain,
			      struct device *dev, uint32_t pasid,
			      struct iommu_domain *old)
{
	struct mock_dev *mdev = to_mock_dev(dev);

	(void)old;
	if (pasid != IOMMU_TEST_PASID_RESERVED)
		return 0;
	if (!domain) {
		__atomic_store_n(&mdev->pasid_fault_armed, false,
				 __ATOMIC_RELAXED);
		return 0;
	}
	if (__atomic_exchange_n(&mdev->pasid_fault_armed, true,
				__ATOMIC_RELAXED)) {
		__atomic_store_n(&mdev->pasid_fault_armed, false,
				 __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	return 0;
}

/* Page requests: the kernel's mock keeps them in the IOMMU layer's fault
 * parameter and answers nothing to anyone; ours counts the answers. */
static int mock_dev_enable_iopf(struct device *dev)
{
	return iopf_add_device(dev);
}

static void mock_dev_disable_iopf(struct device *dev)
{
	iopf_remove_device(dev);
}

static void mock_page_response(struct device *dev,
			       const struct iommu_fault_page_request *last,
			       enum iommu_page_response_code code)
{
	(void)last;
	__atomic_add_fetch(&to_mock_dev(dev)->page_responses[code], 1,
			   __ATOMIC_RELAXED);
}

static const struct iommu_ops mock_iommu_ops = {
	.hw_info = mock_hw_info,
	.capable = mock_capable,
	.max_pasids = mock_max_pasids,
	.domain_alloc_paging_flags = mock_domain_alloc_paging_flags,
	.domain_alloc_nested = mock_domain_alloc_nested_dev,
	.get_viommu_size = mock_get_viommu_size,
	.viommu_init = mock_viommu_init,
	.attach_dev = mock_attach_dev,
	.set_dev_pasid = mock_set_dev_pasid,
	.dev_enable_iopf = mock_dev_enable_iopf,
	.dev_disable_iopf = mock_dev_disable_iopf,
	.page_response = mock_page_response,
	.user_pasid_table = true,
};
