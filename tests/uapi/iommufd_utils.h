/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the uAPI tests, in the shape of the kernel's iommufd selftest
 * utilities: per command, _test_cmd_x() builds the struct, calls ioctl() and
 * returns its result; test_cmd_x() asserts success; test_err_x(errno, ...)
 * asserts the failure and its errno. They expect a fixture with self->fd.
 *
 * These programs know nothing of iommusim: they open /dev/iommu and call
 * ioctl(), and run either under `iommusim run` or linked with the shim.
 */
#ifndef IOMMUSIM_TESTS_IOMMUFD_UTILS_H
#define IOMMUSIM_TESTS_IOMMUFD_UTILS_H

#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "harness.h"

#define offsetofend(type, member)                                              \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/* Asserts that cmd failed with -1 and the given errno. */
#define EXPECT_ERRNO(expected_errno, cmd)                                      \
	({                                                                     \
		ASSERT_EQ(-1, cmd);                                            \
		EXPECT_EQ(expected_errno, errno);                              \
	})

static inline int iommufd_open(void)
{
	return open("/dev/iommu", O_RDWR);
}

static inline int _test_ioctl_destroy(int fd, unsigned int id)
{
	struct iommu_destroy cmd = {
		.size = sizeof(cmd),
		.id = id,
	};

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}
#define test_ioctl_destroy(id) ASSERT_EQ(0, _test_ioctl_destroy(self->fd, id))
#define test_err_destroy(_errno, id)                                           \
	EXPECT_ERRNO(_errno, _test_ioctl_destroy(self->fd, id))

static inline int _test_ioctl_ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = {
		.size = sizeof(cmd),
	};
	int ret;

	ret = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
	if (ret)
		return ret;
	*id = cmd.out_ioas_id;
	return 0;
}
#define test_ioctl_ioas_alloc(id)                                              \
	({                                                                     \
		ASSERT_EQ(0, _test_ioctl_ioas_alloc(self->fd, id));            \
		ASSERT_NE(0, *(id));                                           \
	})
#define test_err_ioctl_ioas_alloc(_errno, id)                                  \
	EXPECT_ERRNO(_errno, _test_ioctl_ioas_alloc(self->fd, id))

#endif /* IOMMUSIM_TESTS_IOMMUFD_UTILS_H */
