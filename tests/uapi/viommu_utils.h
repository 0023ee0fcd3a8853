/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the vIOMMU commands, in the shape of iommufd_utils.h: per
 * command _test_cmd_x() returns ioctl()'s result, test_cmd_x() asserts
 * success, test_err_x(errno, ...) the failure. IOMMU_VIOMMU_ALLOC,
 * IOMMU_VDEVICE_ALLOC, IOMMU_VEVENTQ_ALLOC (and reading its records),
 * IOMMU_HW_QUEUE_ALLOC, and the selftest ops DEV_CHECK_CACHE and
 * TRIGGER_VEVENT.
 */
#ifndef IOMMUSIM_TESTS_VIOMMU_UTILS_H
#define IOMMUSIM_TESTS_VIOMMU_UTILS_H

#include "iommufd_utils.h"

/* ---- IOMMU_TEST_OP_DEV_CHECK_CACHE -------------------------------------- */

static inline int _test_cmd_dev_check_cache(int fd, __u32 dev_id,
					    __u32 cache_id, __u32 value)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = dev_id,
		.check_dev_cache = { .id = cache_id, .cache = value },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_dev_check_cache(dev_id, cache_id, value)                      \
	ASSERT_EQ(0, _test_cmd_dev_check_cache(self->fd, dev_id, cache_id,     \
					       value))
#define test_err_dev_check_cache(_errno, dev_id, cache_id, value)              \
	EXPECT_ERRNO(_errno, _test_cmd_dev_check_cache(self->fd, dev_id,       \
						       cache_id, value))
#define test_cmd_dev_check_cache_all(dev_id, value)                            \
	({                                                                     \
		for (__u32 __i = 0; __i < MOCK_DEV_CACHE_NUM; __i++)           \
			test_cmd_dev_check_cache(dev_id, __i, value);          \
	})

/* ---- IOMMU_VIOMMU_ALLOC -------------------------------------------------- */

static inline int _test_cmd_viommu_alloc(int fd, __u32 dev_id, __u32 hwpt_id,
					 __u32 flags, __u32 type, void *data,
					 __u32 data_len, __u32 *viommu_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int ret;

	ret = ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);
	if (ret)
		return ret;
	if (viommu_id)
		*viommu_id = cmd.out_viommu_id;
	return 0;
}

#define test_cmd_viommu_alloc(dev_id, hwpt_id, type, data, data_len,           \
			      viommu_id)                                       \
	ASSERT_EQ(0, _test_cmd_viommu_alloc(self->fd, dev_id, hwpt_id, 0,      \
					    type, data, data_len, viommu_id))
#define test_err_viommu_alloc(_errno, dev_id, hwpt_id, flags, type, data,      \
			      data_len, viommu_id)                             \
	EXPECT_ERRNO(_errno, _test_cmd_viommu_alloc(self->fd, dev_id, hwpt_id, \
						    flags, type, data,         \
						    data_len, viommu_id))

/* ---- IOMMU_VDEVICE_ALLOC ------------------------------------------------- */

static inline int _test_cmd_vdevice_alloc(int fd, __u32 viommu_id,
					  __u32 dev_id, __u64 virt_id,
					  __u32 *vdev_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.viommu_id = viommu_id,
		.virt_id = virt_id,
	};
	int ret;

	ret = ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);
	if (ret)
		return ret;
	if (vdev_id)
		*vdev_id = cmd.out_vdevice_id;
	return 0;
}

#define test_cmd_vdevice_alloc(viommu_id, dev_id, virt_id, vdev_id)            \
	ASSERT_EQ(0, _test_cmd_vdevice_alloc(self->fd, viommu_id, dev_id,      \
					     virt_id, vdev_id))
#define test_err_vdevice_alloc(_errno, viommu_id, dev_id, virt_id, vdev_id)    \
	EXPECT_ERRNO(_errno, _test_cmd_vdevice_alloc(self->fd, viommu_id,      \
						     dev_id, virt_id, vdev_id))

/* ---- IOMMU_VEVENTQ_ALLOC ------------------------------------------------- */

static inline int _test_cmd_veventq_alloc(int fd, __u32 viommu_id, __u32 type,
					  __u32 depth, __u32 *veventq_id,
					  __u32 *veventq_fd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.type = type,
		.veventq_depth = depth,
		.viommu_id = viommu_id,
	};
	int ret;

	ret = ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd);
	if (ret)
		return ret;
	if (veventq_id)
		*veventq_id = cmd.out_veventq_id;
	if (veventq_fd)
		*veventq_fd = cmd.out_veventq_fd;
	return 0;
}

#define test_cmd_veventq_alloc(viommu_id, type, depth, veventq_id, veventq_fd) \
	ASSERT_EQ(0, _test_cmd_veventq_alloc(self->fd, viommu_id, type, depth, \
					     veventq_id, veventq_fd))
#define test_err_veventq_alloc(_errno, viommu_id, type, depth, veventq_id,     \
			       veventq_fd)                                     \
	EXPECT_ERRNO(_errno, _test_cmd_veventq_alloc(self->fd, viommu_id,      \
						     type, depth, veventq_id,  \
						     veventq_fd))

/* ---- IOMMU_TEST_OP_TRIGGER_VEVENT ---------------------------------------- */

static inline int _test_cmd_trigger_vevents(int fd, __u32 dev_id, __u32 n)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = dev_id },
	};

	while (n--)
		if (ioctl(fd, IOMMU_TEST_CMD, &cmd))
			return -1;
	return 0;
}

#define test_cmd_trigger_vevents(dev_id, n)                                    \
	ASSERT_EQ(0, _test_cmd_trigger_vevents(self->fd, dev_id, n))
#define test_err_trigger_vevents(_errno, dev_id)                               \
	EXPECT_ERRNO(_errno, _test_cmd_trigger_vevents(self->fd, dev_id, 1))

/* One record of a selftest vEVENTQ as read(): header and payload. */
struct selftest_vevent {
	struct iommufd_vevent_header hdr;
	struct iommu_viommu_event_selftest event;
};

/* ---- IOMMU_HW_QUEUE_ALLOC ------------------------------------------------ */

static inline int _test_cmd_hw_queue_alloc(int fd, __u32 viommu_id,
					   __u32 type, __u32 index,
					   __u64 base_addr, __u64 length,
					   __u32 *hw_queue_id)
{
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.index = index,
		.nesting_parent_iova = base_addr,
		.length = length,
	};
	int ret;

	ret = ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &cmd);
	if (ret)
		return ret;
	if (hw_queue_id)
		*hw_queue_id = cmd.out_hw_queue_id;
	return 0;
}

#define test_cmd_hw_queue_alloc(viommu_id, type, index, base, len, id)         \
	ASSERT_EQ(0, _test_cmd_hw_queue_alloc(self->fd, viommu_id, type,       \
					      index, base, len, id))
#define test_err_hw_queue_alloc(_errno, viommu_id, type, index, base, len, id) \
	EXPECT_ERRNO(_errno, _test_cmd_hw_queue_alloc(self->fd, viommu_id,     \
						      type, index, base, len,  \
						      id))

/* ---- the vIOMMU fixtures' start ----------------------------------------- */

/*
 * In a fixture with fd, ioas_id, stdev_id, hwpt_id, dev_id, parent_id and
 * viommu_id: a context, an IOAS, a mock device attached to it, a
 * NEST_PARENT HWPT made for the device there, and a selftest vIOMMU on it.
 */
#define viommu_fixture_setup()                                                 \
	({                                                                     \
		self->fd = iommufd_open();                                     \
		ASSERT_NE(-1, self->fd);                                       \
		test_ioctl_ioas_alloc(&self->ioas_id);                         \
		test_cmd_mock_domain(self->ioas_id, &self->stdev_id,           \
				     &self->hwpt_id, &self->dev_id);           \
		test_cmd_hwpt_alloc(self->dev_id, self->ioas_id,               \
				    IOMMU_HWPT_ALLOC_NEST_PARENT,              \
				    &self->parent_id);                         \
		test_cmd_viommu_alloc(self->dev_id, self->parent_id,           \
				      IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0,     \
				      &self->viommu_id);                       \
	})

#endif /* IOMMUSIM_TESTS_VIOMMU_UTILS_H */
