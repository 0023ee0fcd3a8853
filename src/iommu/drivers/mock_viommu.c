// SPDX-License-Identifier: MIT
/*
 * The mock vIOMMU and its HW queues (the kernel selftest's
 * mock_viommu_init(), mock_viommu_cache_invalidate(),
 * mock_hw_queue_init_phys()). See mock_viommu.h.
 */
#include <errno.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "base/alloc.h"
#include "base/mutex.h"
#include "iommu/drivers/mock.h"
#include "iommu/drivers/mock_device.h"
#include "iommu/drivers/mock_nested.h"
#include "iommu/drivers/mock_viommu.h"
#include "iommu/user_data.h"

/* The pages a mock vIOMMU offers to mmap(), as the kernel's two. */
#define MOCK_VIOMMU_MMAP_PAGES 2

struct mock_hw_queue;

struct mock_viommu {
	struct iommu_viommu core; /* first: the core allocates the whole */
	/* guards hw_queue[]: a queue's setup looks at the one before it */
	struct mutex queue_mutex;
	struct mock_hw_queue *hw_queue[IOMMU_TEST_HW_QUEUE_MAX];
	/* the mmap() region, made only with driver data: 0 and NULL
	 * without; constant */
	uint64_t mmap_offset;
	uint32_t *page;
};

struct mock_hw_queue {
	struct iommu_hw_queue core; /* first, as the vIOMMU's */
	struct mock_viommu *mock_viommu;
	struct mock_hw_queue *prev; /* the queue index - 1, or NULL */
	uint32_t index;
};

static struct mock_viommu *to_mock_viommu(struct iommu_viommu *viommu)
{
	return container_of(viommu, struct mock_viommu, core);
}

static struct mock_hw_queue *to_mock_hw_queue(struct iommu_hw_queue *hw_queue)
{
	return container_of(hw_queue, struct mock_hw_queue, core);
}

static void mock_viommu_destroy(struct iommu_viommu *viommu)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(viommu);

	if (mock_viommu->page)
		viommu->free_mmap(viommu, mock_viommu->mmap_offset);
	mutex_destroy(&mock_viommu->queue_mutex);
}

/* Clears what one request names; -EOPNOTSUPP for an unknown flag,
 * -EINVAL for a cache entry past the last or a virtual ID no vDEVICE of
 * this vIOMMU has. */
static int mock_viommu_invalidate_one(
	struct iommu_viommu *viommu,
	const struct iommu_viommu_invalidate_selftest *inv)
{
	struct mock_dev *mdev;
	struct device *dev;

	if (inv->flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL)
		return -EOPNOTSUPP;
	if (inv->cache_id > MOCK_DEV_CACHE_ID_MAX)
		return -EINVAL;
	dev = iommu_viommu_find_dev(viommu, inv->vdev_id);
	if (!dev)
		return -EINVAL;
	/* a vIOMMU of the mock instance has only mock devices behind it */
	mdev = mock_dev_of(dev);
	if (mdev)
		mock_dev_invalidate_cache(mdev, inv->cache_id,
					  inv->flags &
						  IOMMU_TEST_INVALIDATE_FLAG_ALL);
	put_device(dev);
	return mdev ? 0 : -EINVAL;
}

/*
 * The whole array is read first (a bad read handles none); then the
 * requests in order, the first bad one ending the walk. An empty array of
 * the right type succeeds: that is how a user asks whether the type is
 * known.
 */
static int mock_viommu_cache_invalidate(struct iommu_viommu *viommu,
					struct iommu_user_data_array *array)
{
	struct iommu_viommu_invalidate_selftest *cmds;
	uint32_t done = 0;
	int rc;

	if (!array->entry_num &&
	    array->type == IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST)
		return 0;
	cmds = lib_calloc(array->entry_num, sizeof(*cmds));
	if (!cmds) {
		array->entry_num = 0;
		return -ENOMEM;
	}
	rc = iommu_copy_struct_from_full_user_array(
		cmds, sizeof(*cmds), array,
		IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST);
	for (; !rc && done < array->entry_num; done++) {
		rc = mock_viommu_invalidate_one(viommu, &cmds[done]);
		if (rc)
			break;
	}
	array->entry_num = done;
	free(cmds);
	return rc;
}

static size_t mock_viommu_get_hw_queue_size(struct iommu_viommu *viommu,
					    uint32_t type)
{
	(void)viommu;
	return type == IOMMU_HW_QUEUE_TYPE_SELFTEST ?
		       sizeof(struct mock_hw_queue) :
		       0;
}

static void mock_hw_queue_destroy(struct iommu_hw_queue *hw_queue)
{
	struct mock_hw_queue *mock_hw_queue = to_mock_hw_queue(hw_queue);
	struct mock_viommu *mock_viommu = mock_hw_queue->mock_viommu;

	mutex_lock(&mock_viommu->queue_mutex);
	mock_viommu->hw_queue[mock_hw_queue->index] = NULL;
	mutex_unlock(&mock_viommu->queue_mutex);
}

/*
 * Queue index: -EINVAL past the last, -EEXIST when taken, -EIO when the
 * one before it is missing (queues come in order); -EFAULT when base_pa
 * is not what the parent translates the queue's IOVA to, which would be
 * the core's bug. A queue after the first depends on the one before.
 */
static int mock_hw_queue_init_phys(struct iommu_hw_queue *hw_queue,
				   uint32_t index, uint64_t base_pa)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(hw_queue->viommu);
	struct mock_hw_queue *mock_hw_queue = to_mock_hw_queue(hw_queue);
	struct iommu_domain *parent = hw_queue->viommu->parent;
	struct mock_hw_queue *prev = NULL;
	int rc = 0;

	if (index >= IOMMU_TEST_HW_QUEUE_MAX)
		return -EINVAL;
	mutex_lock(&mock_viommu->queue_mutex);
	if (mock_viommu->hw_queue[index]) {
		rc = -EEXIST;
		goto out_unlock;
	}
	if (index) {
		prev = mock_viommu->hw_queue[index - 1];
		if (!prev) {
			rc = -EIO;
			goto out_unlock;
		}
	}
	if (base_pa != parent->ops->iova_to_phys(parent, hw_queue->base_addr)) {
		rc = -EFAULT;
		goto out_unlock;
	}
	mock_hw_queue->prev = prev;
	mock_hw_queue->mock_viommu = mock_viommu;
	mock_hw_queue->index = index;
	mock_viommu->hw_queue[index] = mock_hw_queue;
	hw_queue->depends_on = prev ? &prev->core : NULL;
	hw_queue->destroy = mock_hw_queue_destroy;
out_unlock:
	mutex_unlock(&mock_viommu->queue_mutex);
	return rc;
}

static const struct iommu_viommu_ops mock_viommu_ops = {
	.destroy = mock_viommu_destroy,
	.alloc_domain_nested = mock_domain_alloc_nested_viommu,
	.cache_invalidate = mock_viommu_cache_invalidate,
	.get_hw_queue_size = mock_viommu_get_hw_queue_size,
	.hw_queue_init_phys = mock_hw_queue_init_phys,
};

size_t mock_get_viommu_size(struct device *dev, uint32_t type)
{
	(void)dev;
	return type == IOMMU_VIOMMU_TYPE_SELFTEST ? sizeof(struct mock_viommu) :
						    0;
}

/* The mmap() region and the loopback: in_data goes to the region's first
 * word and to out_data, with where to mmap() it. */
static int mock_viommu_init_mmap(struct mock_viommu *mock_viommu,
				 const struct iommu_user_data *user_data)
{
	struct iommu_viommu *viommu = &mock_viommu->core;
	const size_t length = MOCK_VIOMMU_MMAP_PAGES * MOCK_CPU_PAGE_SIZE;
	struct iommu_viommu_selftest data;
	int rc;

	rc = iommu_copy_struct_from_user(
		&data, user_data, IOMMU_VIOMMU_TYPE_SELFTEST, sizeof(data),
		offsetof(struct iommu_viommu_selftest, out_data) +
			sizeof(data.out_data));
	if (rc)
		return rc;
	mock_viommu->page = viommu->alloc_mmap(viommu, length,
					       &mock_viommu->mmap_offset, &rc);
	if (!mock_viommu->page)
		return rc;
	*mock_viommu->page = data.in_data;
	data.out_data = data.in_data;
	data.out_mmap_length = length;
	data.out_mmap_offset = mock_viommu->mmap_offset;
	rc = iommu_copy_struct_to_user(
		user_data, &data, IOMMU_VIOMMU_TYPE_SELFTEST, sizeof(data),
		offsetof(struct iommu_viommu_selftest, out_data) +
			sizeof(data.out_data));
	if (rc) {
		viommu->free_mmap(viommu, mock_viommu->mmap_offset);
		mock_viommu->page = NULL;
	}
	return rc;
}

int mock_viommu_init(struct iommu_viommu *viommu, struct iommu_domain *parent,
		     const struct iommu_user_data *user_data)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(viommu);
	int rc;

	/* a nesting parent of another model never reaches the driver */
	if (!mock_domain_is_paging(parent))
		return -EINVAL;
	if (user_data) {
		rc = mock_viommu_init_mmap(mock_viommu, user_data);
		if (rc)
			return rc;
	}
	mutex_init(&mock_viommu->queue_mutex, LOCK_RANK_NONE);
	viommu->ops = &mock_viommu_ops;
	return 0;
}
