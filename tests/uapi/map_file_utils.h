/* SPDX-License-Identifier: MIT */
/*
 * The helpers of the file-backed commands, in the shape of
 * iommufd_utils.h: IOMMU_IOAS_MAP_FILE, IOMMU_IOAS_CHANGE_PROCESS and the
 * selftest's dma-buf (IOMMU_TEST_OP_DMABUF_GET, _REVOKE), and memfds to
 * map (the kernel's memfd_mmap()).
 */
#ifndef IOMMUSIM_TESTS_MAP_FILE_UTILS_H
#define IOMMUSIM_TESTS_MAP_FILE_UTILS_H

#include <sys/mman.h>

#include "iommufd_utils.h"

/* A memfd of size bytes (memfd_create() flags as given) and its shared,
 * read-write mapping; MAP_FAILED (and *mfd -1) when it cannot be had. */
static inline void *memfd_mmap(size_t size, unsigned int flags, int *mfd)
{
	void *p;

	*mfd = memfd_create("iommusim-test", flags);
	if (*mfd < 0)
		return MAP_FAILED;
	if (ftruncate(*mfd, (off_t)size))
		goto out_close;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *mfd, 0);
	if (p != MAP_FAILED)
		return p;
out_close:
	close(*mfd);
	*mfd = -1;
	return MAP_FAILED;
}

/* ---- IOMMU_IOAS_MAP_FILE ------------------------------------------------ */

static inline int _test_ioctl_ioas_map_file(int fd, __u32 ioas_id, int mfd,
					    uint64_t start, uint64_t length,
					    __u64 *iova, __u32 flags)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.fd = mfd,
		.start = start,
		.length = length,
		.iova = *iova,
	};
	int ret = ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);

	*iova = cmd.iova;
	return ret;
}

#define test_ioctl_ioas_map_file(mfd, start, length, iova_p)                   \
	ASSERT_EQ(0, _test_ioctl_ioas_map_file(self->fd, self->ioas_id, mfd,   \
					       start, length, iova_p, MAP_RW))
#define test_ioctl_ioas_map_file_flags(mfd, start, length, iova_p, flags)      \
	ASSERT_EQ(0, _test_ioctl_ioas_map_file(self->fd, self->ioas_id, mfd,   \
					       start, length, iova_p, flags))
#define test_err_ioctl_ioas_map_file(_errno, mfd, start, length, iova_p)       \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_ioctl_ioas_map_file(self->fd, self->ioas_id, mfd,   \
					       start, length, iova_p, MAP_RW))
#define test_err_ioctl_ioas_map_file_flags(_errno, mfd, start, length, iova_p, \
					   flags)                              \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_ioctl_ioas_map_file(self->fd, self->ioas_id, mfd,   \
					       start, length, iova_p, flags))
#define test_ioctl_ioas_map_fixed_file(mfd, start, length, iova)               \
	({                                                                     \
		__u64 __iova = iova;                                           \
		ASSERT_EQ(0, _test_ioctl_ioas_map_file(                        \
				     self->fd, self->ioas_id, mfd, start,      \
				     length, &__iova,                          \
				     MAP_FIXED_IOVA | MAP_RW));                \
	})

/* ---- IOMMU_IOAS_CHANGE_PROCESS ------------------------------------------ */

static inline int _test_ioctl_ioas_change_process(int fd, __u32 reserved)
{
	struct iommu_ioas_change_process cmd = {
		.size = sizeof(cmd),
		.__reserved = reserved,
	};

	return ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
}

#define test_ioctl_ioas_change_process()                                       \
	ASSERT_EQ(0, _test_ioctl_ioas_change_process(self->fd, 0))
#define test_err_ioctl_ioas_change_process(_errno, reserved)                   \
	EXPECT_ERRNO(_errno, _test_ioctl_ioas_change_process(self->fd,         \
							     reserved))

/* ---- the selftest's dma-buf --------------------------------------------- */

/* A dma-buf of len bytes; its descriptor in *out_fd. */
static inline int _test_cmd_get_dmabuf(int fd, size_t len, int *out_fd)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DMABUF_GET,
		.dmabuf_get = { .length = (__u32)len, .open_flags = O_CLOEXEC },
	};

	*out_fd = ioctl(fd, IOMMU_TEST_CMD, &cmd);
	return *out_fd < 0 ? -1 : 0;
}

#define test_cmd_get_dmabuf(len, out_fd)                                       \
	ASSERT_EQ(0, _test_cmd_get_dmabuf(self->fd, len, out_fd))
#define test_err_get_dmabuf(_errno, len)                                       \
	({                                                                     \
		int __dfd;                                                     \
		EXPECT_ERRNO(_errno,                                           \
			     _test_cmd_get_dmabuf(self->fd, len, &__dfd));     \
	})

static inline int _test_cmd_revoke_dmabuf(int fd, int dmabuf_fd, bool revoked)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DMABUF_REVOKE,
		.dmabuf_revoke = { .dmabuf_fd = dmabuf_fd, .revoked = revoked },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_revoke_dmabuf(dmabuf_fd, revoked)                             \
	ASSERT_EQ(0, _test_cmd_revoke_dmabuf(self->fd, dmabuf_fd, revoked))
#define test_err_revoke_dmabuf(_errno, dmabuf_fd, revoked)                     \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_revoke_dmabuf(self->fd, dmabuf_fd, revoked))

#endif /* IOMMUSIM_TESTS_MAP_FILE_UTILS_H */
