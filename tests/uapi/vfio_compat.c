// SPDX-License-Identifier: MIT
/*
 * VFIO type1 compatibility: IOMMU_VFIO_IOAS and the container ioctls an
 * iommufd answers on its own file (VFIO_GET_API_VERSION,
 * VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO,
 * VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA), on /dev/iommu and on
 * /dev/vfio/vfio, which the kernel's CONFIG_IOMMUFD_VFIO_CONTAINER serves
 * the same way.
 *
 * Every expected value follows the kernel's drivers/iommu/iommufd/
 * vfio_compat.c (6.12); the function each rule comes from is named next to
 * it. The compat IOAS is an ordinary IOAS, so what the type1 calls do is
 * checked through the IOAS ioctls and the mock driver (IOVA_RANGES,
 * MD_CHECK_MAP, MD_CHECK_REFS, IOAS_UNMAP) as well.
 */
#include <linux/vfio.h>

#include "iommufd_utils.h"

#define VFIO_RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* The minimum sizes the kernel copies in: offsetofend(..., size) for MAP
 * and UNMAP, offsetofend(..., iova_pgsizes) for GET_INFO. */
#define MAP_MINSZ offsetofend(struct vfio_iommu_type1_dma_map, size)
#define UNMAP_MINSZ offsetofend(struct vfio_iommu_type1_dma_unmap, size)
#define INFO_MINSZ offsetofend(struct vfio_iommu_type1_info, iova_pgsizes)

/* The capability chain GET_INFO writes behind its 24-byte struct: DMA_AVAIL
 * (12 bytes, padded to 16), then the IOVA ranges (16 + 16 per range). */
#define INFO_SIZE sizeof(struct vfio_iommu_type1_info)
#define DMA_AVAIL_OFFSET INFO_SIZE
#define IOVA_CAP_OFFSET (DMA_AVAIL_OFFSET + 16)
#define IOVA_CAP_SIZE(n)                                                       \
	(sizeof(struct vfio_iommu_type1_info_cap_iova_range) +                 \
	 (n) * sizeof(struct vfio_iova_range))
#define INFO_TOTAL(n) (IOVA_CAP_OFFSET + IOVA_CAP_SIZE(n))

/* ---- the VFIO calls, in the trio shape ---------------------------------- */

static inline int _test_vfio_ioas(int fd, __u16 op, __u32 *ioas_id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = op,
		.ioas_id = *ioas_id,
	};
	int ret;

	ret = ioctl(fd, IOMMU_VFIO_IOAS, &cmd);
	*ioas_id = cmd.ioas_id;
	return ret;
}

#define test_vfio_ioas_set(id)                                                 \
	({                                                                     \
		__u32 __id = id;                                               \
		ASSERT_EQ(0, _test_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET,    \
					     &__id));                          \
	})
#define test_vfio_ioas_get()                                                   \
	({                                                                     \
		__u32 __id = 0;                                                \
		ASSERT_EQ(0, _test_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET,    \
					     &__id));                          \
		__id;                                                          \
	})
#define test_vfio_ioas_clear()                                                 \
	({                                                                     \
		__u32 __id = 0;                                                \
		ASSERT_EQ(0, _test_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_CLEAR,  \
					     &__id));                          \
	})
#define test_err_vfio_ioas(_errno, op, id)                                     \
	({                                                                     \
		__u32 __id = id;                                               \
		EXPECT_ERRNO(_errno, _test_vfio_ioas(self->fd, op, &__id));    \
	})

static inline int _test_vfio_map_dma(int fd, __u32 flags, const void *vaddr,
				     uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd);
}

#define test_vfio_map_dma(vaddr, iova, size)                                   \
	ASSERT_EQ(0, _test_vfio_map_dma(self->fd, VFIO_RW, vaddr, iova, size))
#define test_err_vfio_map_dma(_errno, flags, vaddr, iova, size)                \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_vfio_map_dma(self->fd, flags, vaddr, iova, size))

/* out_size (may be NULL) receives the size field after the call. */
static inline int _test_vfio_unmap_dma(int fd, __u32 flags, uint64_t iova,
				       uint64_t size, uint64_t *out_size)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int ret;

	ret = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd);
	if (out_size)
		*out_size = cmd.size;
	return ret;
}

/* Asserts success and returns the bytes unmapped. */
#define test_vfio_unmap_dma(iova, size)                                        \
	({                                                                     \
		uint64_t __unmapped = 0x5555;                                  \
		ASSERT_EQ(0, _test_vfio_unmap_dma(self->fd, 0, iova, size,     \
						  &__unmapped));               \
		__unmapped;                                                    \
	})
#define test_vfio_unmap_all()                                                  \
	({                                                                     \
		uint64_t __unmapped = 0x5555;                                  \
		ASSERT_EQ(0, _test_vfio_unmap_dma(self->fd,                    \
						  VFIO_DMA_UNMAP_FLAG_ALL, 0,  \
						  0, &__unmapped));            \
		__unmapped;                                                    \
	})
#define test_err_vfio_unmap_dma(_errno, flags, iova, size)                     \
	EXPECT_ERRNO(_errno, _test_vfio_unmap_dma(self->fd, flags, iova, size, \
						  NULL))

#define test_vfio_set_iommu(type)                                              \
	ASSERT_EQ(0, ioctl(self->fd, VFIO_SET_IOMMU, (unsigned long)(type)))
#define test_err_vfio_set_iommu(_errno, type)                                  \
	EXPECT_ERRNO(_errno,                                                   \
		     ioctl(self->fd, VFIO_SET_IOMMU, (unsigned long)(type)))

#define vfio_check_extension(ext)                                              \
	ioctl(self->fd, VFIO_CHECK_EXTENSION, (unsigned long)(ext))

/* GET_INFO into buf with argsz; the rest of buf is filled with 0xaa first,
 * so what the call wrote past argsz shows. */
static inline int _test_vfio_get_info(int fd, void *buf, size_t buf_size,
				      __u32 argsz)
{
	struct vfio_iommu_type1_info *info = buf;

	memset(buf, 0xaa, buf_size);
	memset(info, 0, sizeof(*info));
	info->argsz = argsz;
	return ioctl(fd, VFIO_IOMMU_GET_INFO, info);
}

static bool filled_with(const void *p, uint8_t c, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != c)
			return false;
	return true;
}

/* An address nothing is mapped at. */
static void *unmapped_page(void)
{
	void *p = mmap(NULL, page_size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, page_size);
	return p;
}

/* ========================================================================
 * No compat IOAS: what answers without one, and the field checks that come
 * before the lookup
 * ======================================================================== */

FIXTURE(iommufd)
{
	int fd;
};

FIXTURE_SETUP(iommufd)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
}

FIXTURE_TEARDOWN(iommufd)
{
	ASSERT_EQ(0, close(self->fd));
}

TEST_F(iommufd, api_version_is_0)
{
	EXPECT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION));
	EXPECT_EQ(0, VFIO_API_VERSION);
}

/* iommufd_vfio_check_extension(): the kernel's list and answers */
TEST_F(iommufd, check_extension_answers)
{
	EXPECT_EQ(1, vfio_check_extension(VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, vfio_check_extension(VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, vfio_check_extension(VFIO_UNMAP_ALL));
	/* IS_ENABLED(CONFIG_VFIO_NOIOMMU), as distributions build it */
	EXPECT_EQ(1, vfio_check_extension(VFIO_NOIOMMU_IOMMU));
	/* obsolete, and not safely implementable */
	EXPECT_EQ(0, vfio_check_extension(VFIO_TYPE1_NESTING_IOMMU));
	EXPECT_EQ(0, vfio_check_extension(VFIO_UPDATE_VADDR));
	/* other backends, and numbers nobody defines */
	EXPECT_EQ(0, vfio_check_extension(VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(0, vfio_check_extension(VFIO_SPAPR_TCE_v2_IOMMU));
	EXPECT_EQ(0, vfio_check_extension(VFIO_EEH));
	EXPECT_EQ(0, vfio_check_extension(0));
	EXPECT_EQ(0, vfio_check_extension(11));
	EXPECT_EQ(0, vfio_check_extension(~0ul));
	/* the whole unsigned long is compared */
	EXPECT_EQ(0, vfio_check_extension((1ul << 32) | VFIO_TYPE1v2_IOMMU));
}

/* VFIO_DMA_CC_IOMMU asks the compat IOAS's HWPTs: none, ENODEV */
TEST_F(iommufd, check_extension_cc_without_compat_ioas_is_enodev)
{
	EXPECT_ERRNO(ENODEV, vfio_check_extension(VFIO_DMA_CC_IOMMU));
}

/* iommufd_vfio_set_iommu(): the type first (EINVAL), then the IOAS
 * (ENODEV, VFIO's "no group") */
TEST_F(iommufd, set_iommu_checks_type_then_ioas)
{
	test_err_vfio_set_iommu(ENODEV, VFIO_TYPE1v2_IOMMU);
	test_err_vfio_set_iommu(ENODEV, VFIO_TYPE1_IOMMU);

	/* no no-IOMMU device was ever attached: NOIOMMU is just a bad type */
	test_err_vfio_set_iommu(EINVAL, VFIO_NOIOMMU_IOMMU);
	test_err_vfio_set_iommu(EINVAL, VFIO_TYPE1_NESTING_IOMMU);
	test_err_vfio_set_iommu(EINVAL, VFIO_SPAPR_TCE_IOMMU);
	test_err_vfio_set_iommu(EINVAL, 0);
	test_err_vfio_set_iommu(EINVAL, (1ul << 32) | VFIO_TYPE1v2_IOMMU);
}

/* iommufd_vfio_map_dma(): argsz and flags (EINVAL), then the IOAS */
TEST_F(iommufd, map_dma_checks_before_ioas)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = MAP_MINSZ - 1,
		.flags = VFIO_RW,
		.vaddr = (uintptr_t)buffer,
		.iova = APERTURE_START,
		.size = PSZ,
	};

	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &cmd));
	cmd.argsz = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &cmd));

	cmd.argsz = MAP_MINSZ;
	for (unsigned int bit = 2; bit < 32; bit++) {
		cmd.flags = VFIO_RW | (1u << bit);
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &cmd));
	}
	/* FLAG_VADDR (VFIO_UPDATE_VADDR) is one of them */
	cmd.flags = VFIO_DMA_MAP_FLAG_VADDR;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &cmd));

	/* a larger argsz is fine: the tail is never read */
	cmd.flags = VFIO_RW;
	cmd.argsz = 4096;
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &cmd));
	cmd.argsz = MAP_MINSZ;
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &cmd));
	/* nothing about the mapping itself is looked at before the IOAS */
	test_err_vfio_map_dma(ENODEV, 0, NULL, 0, 0);
}

/* iommufd_vfio_unmap_dma(): argsz and flags (EINVAL), then the IOAS, then
 * the UNMAP_ALL rule */
TEST_F(iommufd, unmap_dma_checks_before_ioas)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = UNMAP_MINSZ - 1,
		.iova = APERTURE_START,
		.size = PSZ,
	};

	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
	cmd.argsz = UNMAP_MINSZ;
	/* the dirty bitmap (HWPT dirty tracking replaces it), VADDR, and
	 * everything unknown */
	cmd.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
	cmd.flags = VFIO_DMA_UNMAP_FLAG_VADDR;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
	for (unsigned int bit = 2; bit < 32; bit++) {
		cmd.flags = 1u << bit;
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
	}
	cmd.flags = VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &cmd));

	/* ALL with a range is EINVAL only once the IOAS is found */
	cmd.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
	cmd.flags = 0;
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
	/* the size is not written back on the way out */
	EXPECT_EQ(PSZ, cmd.size);
}

/* iommufd_vfio_iommu_get_info(): argsz below iova_pgsizes' end, then the
 * IOAS */
TEST_F(iommufd, get_info_checks_before_ioas)
{
	struct vfio_iommu_type1_info info = { .argsz = INFO_MINSZ - 1 };

	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
	info.argsz = 0;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
	info.argsz = INFO_MINSZ;
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
	info.argsz = sizeof(info);
	EXPECT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(sizeof(info), info.argsz);
}

/* The struct is read before anything else: an unreadable one is EFAULT */
TEST_F(iommufd, unreadable_structs_are_efault)
{
	void *bad = unmapped_page();

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, bad));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, bad));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, VFIO_IOMMU_GET_INFO, bad));
	/* these take an integer, not a pointer */
	EXPECT_EQ(0, ioctl(self->fd, VFIO_GET_API_VERSION, bad));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, bad));
}

/* Every other VFIO number is ENOTTY: dirty pages (HWPT dirty tracking
 * replaces it), the group, device and sPAPR ioctls */
TEST_F(iommufd, other_vfio_ioctls_are_enotty)
{
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty),
	};
	struct vfio_group_status status = { .argsz = sizeof(status) };

	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, VFIO_IOMMU_DIRTY_PAGES, &dirty));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, VFIO_GROUP_GET_STATUS, &status));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, VFIO_GROUP_SET_CONTAINER, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, VFIO_DEVICE_RESET));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, VFIO_IOMMU_ENABLE));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
				   NULL));
	/* the container numbers with other direction or size bits */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOR(VFIO_TYPE, VFIO_BASE + 0,
						  int)));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOW(VFIO_TYPE, VFIO_BASE + 13,
						  struct vfio_iommu_type1_dma_map),
				   buffer));
}

/* ========================================================================
 * IOMMU_VFIO_IOAS (iommufd_vfio_ioas())
 * ======================================================================== */

TEST_F(iommufd, vfio_ioas_reserved_and_op_are_eopnotsupp)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_VFIO_IOAS_GET,
		.__reserved = 1,
	};
	__u32 ioas_id;

	/* __reserved before the op and before the lookup */
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.op = IOMMU_VFIO_IOAS_SET;
	cmd.ioas_id = NO_SUCH_ID;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.op = 3;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));

	cmd.__reserved = 0;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.op = 0xffff;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));

	/* none of them set anything */
	test_ioctl_ioas_alloc(&ioas_id);
	cmd.op = 3;
	cmd.ioas_id = ioas_id;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	test_err_vfio_ioas(ENODEV, IOMMU_VFIO_IOAS_GET, 0);
}

TEST_F(iommufd, vfio_ioas_get_without_compat_is_enodev)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_VFIO_IOAS_GET,
		.ioas_id = 77,
	};

	EXPECT_ERRNO(ENODEV, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	/* no reply on failure */
	EXPECT_EQ(77, cmd.ioas_id);
}

TEST_F(iommufd, vfio_ioas_set_takes_only_an_ioas)
{
	__u32 ioas_id, stdev_id, hwpt_id, idev_id;

	test_err_vfio_ioas(ENOENT, IOMMU_VFIO_IOAS_SET, 0);
	test_err_vfio_ioas(ENOENT, IOMMU_VFIO_IOAS_SET, NO_SUCH_ID);

	test_ioctl_ioas_alloc(&ioas_id);
	test_cmd_mock_domain(ioas_id, &stdev_id, &hwpt_id, &idev_id);
	/* objects of every other type are ENOENT, as for any IOAS lookup */
	test_err_vfio_ioas(ENOENT, IOMMU_VFIO_IOAS_SET, hwpt_id);
	test_err_vfio_ioas(ENOENT, IOMMU_VFIO_IOAS_SET, idev_id);
	test_err_vfio_ioas(ENOENT, IOMMU_VFIO_IOAS_SET, stdev_id);
	test_err_vfio_ioas(ENODEV, IOMMU_VFIO_IOAS_GET, 0);

	test_vfio_ioas_set(ioas_id);
	EXPECT_EQ(ioas_id, test_vfio_ioas_get());
}

TEST_F(iommufd, vfio_ioas_set_get_clear)
{
	__u32 first, second;

	test_ioctl_ioas_alloc(&first);
	test_ioctl_ioas_alloc(&second);

	test_vfio_ioas_set(first);
	EXPECT_EQ(first, test_vfio_ioas_get());
	/* SET again replaces */
	test_vfio_ioas_set(second);
	EXPECT_EQ(second, test_vfio_ioas_get());
	test_vfio_ioas_set(second);
	EXPECT_EQ(second, test_vfio_ioas_get());

	test_vfio_ioas_clear();
	test_err_vfio_ioas(ENODEV, IOMMU_VFIO_IOAS_GET, 0);
	/* CLEAR with nothing set is fine too; the ID is ignored */
	test_vfio_ioas_clear();
	test_err_vfio_ioas(ENODEV, IOMMU_VFIO_IOAS_GET, 0);
	{
		__u32 id = NO_SUCH_ID;

		ASSERT_EQ(0, _test_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_CLEAR,
					     &id));
	}

	/* CLEAR makes every container call lose its IOAS */
	test_vfio_ioas_set(first);
	test_vfio_map_dma(buffer, APERTURE_START, PSZ);
	test_vfio_ioas_clear();
	test_err_vfio_unmap_dma(ENODEV, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0);
	test_err_vfio_set_iommu(ENODEV, VFIO_TYPE1v2_IOMMU);
	/* the IOAS itself is untouched */
	test_ioctl_ioas_unmap_id(first, APERTURE_START, PSZ);
}

/* SET keeps no reference: the compat IOAS can be destroyed, and then
 * there is none */
TEST_F(iommufd, vfio_ioas_destroyed_is_no_longer_compat)
{
	__u32 ioas_id, again;

	test_ioctl_ioas_alloc(&ioas_id);
	test_vfio_ioas_set(ioas_id);
	test_ioctl_destroy(ioas_id);
	test_err_vfio_ioas(ENODEV, IOMMU_VFIO_IOAS_GET, 0);
	test_err_vfio_map_dma(ENODEV, VFIO_RW, buffer, APERTURE_START, PSZ);

	/* the ID comes back for a new IOAS, which is not the compat one */
	test_ioctl_ioas_alloc(&again);
	EXPECT_EQ(ioas_id, again);
	test_err_vfio_ioas(ENODEV, IOMMU_VFIO_IOAS_GET, 0);
}

/* GET's reply goes up to the caller's size, and only there */
TEST_F(iommufd, vfio_ioas_get_reply)
{
	struct iommu_vfio_ioas *cmd = buffer;
	__u32 ioas_id;

	test_ioctl_ioas_alloc(&ioas_id);
	test_vfio_ioas_set(ioas_id);
	memset(buffer, 0xaa, 64);
	memset(cmd, 0, sizeof(*cmd));
	cmd->size = sizeof(*cmd);
	cmd->op = IOMMU_VFIO_IOAS_GET;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_VFIO_IOAS, cmd));
	EXPECT_EQ(ioas_id, cmd->ioas_id);
	EXPECT_EQ(sizeof(*cmd), cmd->size);
	EXPECT_EQ(IOMMU_VFIO_IOAS_GET, cmd->op);
	EXPECT_TRUE(filled_with(BUF(sizeof(*cmd)), 0xaa, 64 - sizeof(*cmd)));
}

/* ========================================================================
 * A compat IOAS without a domain
 * ======================================================================== */

FIXTURE(compat_no_domain)
{
	int fd;
	__u32 ioas_id;
};

FIXTURE_SETUP(compat_no_domain)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_vfio_ioas_set(self->ioas_id);
}

FIXTURE_TEARDOWN(compat_no_domain)
{
	ASSERT_EQ(0, close(self->fd));
	test_no_pins(buffer, BUFFER_SIZE);
}

/* iommufd_vfio_cc_iommu(): no paging HWPT, nothing incoherent */
TEST_F(compat_no_domain, cc_without_hwpt_is_1)
{
	EXPECT_EQ(1, vfio_check_extension(VFIO_DMA_CC_IOMMU));
}

/* MAP_DMA needs no SET_IOMMU; without a domain any byte granularity goes,
 * and nothing is pinned */
TEST_F(compat_no_domain, map_dma_without_set_iommu)
{
	test_vfio_map_dma(BUF(1), 0x1001, 100);
	test_cmd_md_check_refs(BUF(0), PSZ, 0);
	EXPECT_EQ(100, test_vfio_unmap_dma(0x1001, 100));
}

/* No flag at all is a mapping nothing may use, which iommufd allows */
TEST_F(compat_no_domain, map_dma_without_permission)
{
	ASSERT_EQ(0, _test_vfio_map_dma(self->fd, 0, buffer, PSZ, PSZ));
	EXPECT_EQ(PSZ, test_vfio_unmap_dma(PSZ, PSZ));
}

/* iopt_disable_large_pages(): with no domain it may run over mappings, but
 * the IOVA alignment it raises to the CPU page must hold for them */
TEST_F(compat_no_domain, set_iommu_type1_needs_page_aligned_areas)
{
	test_vfio_map_dma(BUF(1), 0x1001, 100);
	test_err_vfio_set_iommu(EADDRINUSE, VFIO_TYPE1_IOMMU);
	EXPECT_EQ(1, test_ioctl_huge_pages_get(self->ioas_id));
	expect_unrestricted(self->ioas_id);

	test_vfio_unmap_all();
	test_vfio_map_dma(buffer, PSZ, PSZ);
	test_vfio_set_iommu(VFIO_TYPE1_IOMMU);
	EXPECT_EQ(0, test_ioctl_huge_pages_get(self->ioas_id));
	expect_one_range(self->ioas_id, 0, U64_MAX, PSZ);
}

TEST_F(compat_no_domain, get_info_without_domain)
{
	struct vfio_iommu_type1_info *info = buffer;
	struct vfio_iommu_type1_info_cap_iova_range *iova =
		BUF(IOVA_CAP_OFFSET);

	ASSERT_EQ(0, _test_vfio_get_info(self->fd, buffer, 4096, 4096));
	/* all page sizes from the CPU page up */
	EXPECT_EQ(~(PSZ - 1), info->iova_pgsizes);
	ASSERT_EQ(INFO_TOTAL(1), info->argsz);
	EXPECT_EQ(1, iova->nr_iovas);
	EXPECT_EQ(0, iova->iova_ranges[0].start);
	EXPECT_EQ(U64_MAX, iova->iova_ranges[0].end);
}

/* ========================================================================
 * The container: /dev/vfio/vfio with the selftest's mock domain behind its
 * compat IOAS, as the kernel's vfio_compat_mock_domain fixture builds it,
 * in both type1 flavours
 * ======================================================================== */

FIXTURE(container)
{
	int fd;
	__u32 ioas_id;
	__u32 hwpt_id;
};

FIXTURE_VARIANT(container)
{
	unsigned long version;
};

FIXTURE_VARIANT_ADD(container, type1v2)
{
	.version = VFIO_TYPE1v2_IOMMU,
};

FIXTURE_VARIANT_ADD(container, type1)
{
	.version = VFIO_TYPE1_IOMMU,
};

FIXTURE_SETUP(container)
{
	self->fd = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_NE(-1, self->fd);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, vfio_check_extension(variant->version));
	/* what a group attach would make */
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, NULL, &self->hwpt_id, NULL);
	test_vfio_ioas_set(self->ioas_id);
	test_vfio_set_iommu(variant->version);
}

FIXTURE_TEARDOWN(container)
{
	ASSERT_EQ(0, close(self->fd));
	test_no_pins(buffer, BUFFER_SIZE);
}

static bool is_type1(const FIXTURE_VARIANT(container) * variant)
{
	return variant->version == VFIO_TYPE1_IOMMU;
}

/* The IOVA alignment: TYPE1 disables large pages, which raises it to the
 * CPU page; TYPE1v2 leaves the mock's 2 KiB */
static uint64_t container_alignment(const FIXTURE_VARIANT(container) * variant)
{
	return is_type1(variant) ? PSZ : MPSZ;
}

TEST_F(container, is_an_iommufd_with_vfio_accounting)
{
	__u64 mode = 5;

	/* the node serves every iommufd ioctl too */
	EXPECT_EQ(self->ioas_id, test_vfio_ioas_get());
	test_ioctl_option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0,
			  &mode);
	EXPECT_EQ(1, mode);
}

TEST_F(container, huge_pages_follow_the_type)
{
	EXPECT_EQ(is_type1(variant) ? 0 : 1,
		  test_ioctl_huge_pages_get(self->ioas_id));
	expect_one_range(self->ioas_id, APERTURE_START, APERTURE_LAST,
			 container_alignment(variant));
}

/* SET_IOMMU may come again. TYPE1v2 does not undo TYPE1; TYPE1 fails once
 * the domain holds mappings (they may use large pages) */
TEST_F(container, set_iommu_again)
{
	test_vfio_set_iommu(variant->version);
	test_vfio_set_iommu(VFIO_TYPE1v2_IOMMU);
	EXPECT_EQ(is_type1(variant) ? 0 : 1,
		  test_ioctl_huge_pages_get(self->ioas_id));
	test_err_vfio_set_iommu(EINVAL, VFIO_NOIOMMU_IOMMU);

	test_vfio_map_dma(buffer, APERTURE_START, PSZ);
	if (is_type1(variant))
		test_vfio_set_iommu(VFIO_TYPE1_IOMMU);
	else
		test_err_vfio_set_iommu(EINVAL, VFIO_TYPE1_IOMMU);
	test_vfio_set_iommu(VFIO_TYPE1v2_IOMMU);
	EXPECT_EQ(PSZ, test_vfio_unmap_dma(APERTURE_START, PSZ));
}

/* A mock domain does not enforce cache coherency */
TEST_F(container, cc_with_mock_domain_is_0)
{
	EXPECT_EQ(0, vfio_check_extension(VFIO_DMA_CC_IOMMU));
	EXPECT_EQ(1, vfio_check_extension(VFIO_TYPE1_IOMMU));
}

/* MAP_DMA makes an ordinary area: the mock domain translates it, its pages
 * are pinned once, IOAS_UNMAP takes it away */
TEST_F(container, map_dma_is_an_ioas_mapping)
{
	test_vfio_map_dma(buffer, APERTURE_START, 4 * PSZ);
	test_cmd_md_check_map(self->hwpt_id, buffer, APERTURE_START, 4 * PSZ);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 1);
	test_err_ioctl_ioas_map_fixed(EEXIST, BUF(8 * PSZ), PSZ,
				      APERTURE_START + PSZ);
	test_ioctl_ioas_unmap(APERTURE_START, 4 * PSZ);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 0);
	test_err_md_check_map(EINVAL, self->hwpt_id, buffer, APERTURE_START,
			      PSZ);

	/* and the other way round */
	test_ioctl_ioas_map_fixed(buffer, 2 * PSZ, APERTURE_START + 8 * PSZ);
	EXPECT_EQ(2 * PSZ, test_vfio_unmap_dma(APERTURE_START + 8 * PSZ,
					       2 * PSZ));
	test_cmd_md_check_refs(buffer, 2 * PSZ, 0);
}

/* The flags choose the protection. Neither READ nor WRITE passes
 * iommufd, but the mock domain's page table (the newest kernel's generic
 * one) refuses such a mapping: EINVAL */
TEST_F(container, map_dma_protection)
{
	void *ro = mmap(NULL, PSZ, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			0);

	ASSERT_NE(MAP_FAILED, ro);
	/* pinning for write needs writable memory */
	test_err_vfio_map_dma(EFAULT, VFIO_RW, ro, APERTURE_START, PSZ);
	test_err_vfio_map_dma(EFAULT, VFIO_DMA_MAP_FLAG_WRITE, ro,
			      APERTURE_START, PSZ);
	ASSERT_EQ(0, _test_vfio_map_dma(self->fd, VFIO_DMA_MAP_FLAG_READ, ro,
					APERTURE_START, PSZ));
	test_err_vfio_map_dma(EINVAL, 0, buffer, APERTURE_START + PSZ, PSZ);
	ASSERT_EQ(0, _test_vfio_map_dma(self->fd, VFIO_DMA_MAP_FLAG_WRITE,
					BUF(PSZ), APERTURE_START + 2 * PSZ,
					PSZ));
	EXPECT_EQ(2 * PSZ, test_vfio_unmap_all());
	munmap(ro, PSZ);
}

/* Everything iopt_map_user_pages() refuses, with its errno */
TEST_F(container, map_dma_refusals)
{
	void *bad = unmapped_page();
	uint64_t align = container_alignment(variant);

	ASSERT_NE(MAP_FAILED, bad);
	/* the IOVA is always fixed: outside the aperture is reserved */
	test_err_vfio_map_dma(EINVAL, VFIO_RW, buffer, 0, PSZ);
	test_err_vfio_map_dma(EINVAL, VFIO_RW, buffer, APERTURE_LAST + 1, PSZ);
	test_err_vfio_map_dma(EINVAL, VFIO_RW, buffer, APERTURE_LAST - PSZ + 1,
			      2 * PSZ);
	/* no length */
	test_err_vfio_map_dma(EINVAL, VFIO_RW, buffer, APERTURE_START, 0);
	/* off the IOVA alignment, in IOVA or length */
	test_err_vfio_map_dma(EINVAL, VFIO_RW, buffer, APERTURE_START + align / 2,
			      PSZ);
	test_err_vfio_map_dma(EINVAL, VFIO_RW, buffer, APERTURE_START,
			      align / 2);
	/* memory that is not there, pinned because a domain is attached */
	test_err_vfio_map_dma(EFAULT, VFIO_RW, bad, APERTURE_START, PSZ);
	/* a wrapping user range */
	test_err_vfio_map_dma(EOVERFLOW, VFIO_RW, (void *)(uintptr_t)-PSZ,
			      APERTURE_START, 2 * PSZ);
	/* over an existing mapping */
	test_vfio_map_dma(buffer, APERTURE_START, 2 * PSZ);
	test_err_vfio_map_dma(EEXIST, VFIO_RW, BUF(4 * PSZ),
			      APERTURE_START + PSZ, 2 * PSZ);
	EXPECT_EQ(2 * PSZ, test_vfio_unmap_all());
}

/* TYPE1 maps at the CPU page only; TYPE1v2 takes the mock's 2 KiB */
TEST_F(container, map_dma_at_mock_page_size)
{
	int ret = _test_vfio_map_dma(self->fd, VFIO_RW, BUF(MPSZ),
				     APERTURE_START + MPSZ, MPSZ);

	if (is_type1(variant)) {
		EXPECT_ERRNO(EINVAL, ret);
	} else {
		ASSERT_EQ(0, ret);
		EXPECT_EQ(MPSZ, test_vfio_unmap_dma(APERTURE_START + MPSZ,
						    MPSZ));
	}
}

/* UNMAP_DMA: what comes back in size, an empty range, ALL */
TEST_F(container, unmap_dma_reports_size)
{
	uint64_t unmapped = 0x5555;

	/* nothing there is success, with 0 bytes (IOAS_UNMAP would say
	 * ENOENT) */
	EXPECT_EQ(0, test_vfio_unmap_dma(APERTURE_START, PSZ));
	EXPECT_EQ(0, test_vfio_unmap_all());
	test_err_ioctl_ioas_unmap(ENOENT, APERTURE_START, PSZ);

	/* several areas at once, and the holes between them */
	test_vfio_map_dma(buffer, APERTURE_START, PSZ);
	test_vfio_map_dma(BUF(PSZ), APERTURE_START + 2 * PSZ, 2 * PSZ);
	test_vfio_map_dma(BUF(4 * PSZ), APERTURE_START + 8 * PSZ, PSZ);
	EXPECT_EQ(3 * PSZ, test_vfio_unmap_dma(APERTURE_START, 8 * PSZ));
	test_cmd_md_check_map(self->hwpt_id, BUF(4 * PSZ),
			      APERTURE_START + 8 * PSZ, PSZ);

	/* ALL wants iova and size 0 */
	test_err_vfio_unmap_dma(EINVAL, VFIO_DMA_UNMAP_FLAG_ALL,
				APERTURE_START, 0);
	test_err_vfio_unmap_dma(EINVAL, VFIO_DMA_UNMAP_FLAG_ALL, 0, PSZ);
	test_vfio_map_dma(buffer, APERTURE_START + 16 * PSZ, 4 * PSZ);
	EXPECT_EQ(5 * PSZ, test_vfio_unmap_all());

	/* iopt_unmap_iova(): a zero size, a wrapping range */
	test_err_vfio_unmap_dma(EINVAL, 0, APERTURE_START, 0);
	test_err_vfio_unmap_dma(EOVERFLOW, 0, APERTURE_START, U64_MAX);
	ASSERT_EQ(-1, _test_vfio_unmap_dma(self->fd, 0, APERTURE_START, 0,
					   &unmapped));
	/* written back even on failure */
	EXPECT_EQ(0, unmapped);
}

/* The size written back is what went before a failure stopped the walk */
TEST_F(container, unmap_dma_partial_failure)
{
	uint64_t unmapped = 0x5555;
	int ret;

	test_vfio_map_dma(buffer, APERTURE_START, PSZ);
	test_vfio_map_dma(BUF(PSZ), APERTURE_START + PSZ, 4 * PSZ);
	/* covers the first area whole and cuts into the second */
	ret = _test_vfio_unmap_dma(self->fd, 0, APERTURE_START, 3 * PSZ,
				   &unmapped);
	if (is_type1(variant)) {
		ASSERT_EQ(0, ret);
		EXPECT_EQ(3 * PSZ, unmapped);
		EXPECT_EQ(2 * PSZ, test_vfio_unmap_all());
	} else {
		EXPECT_ERRNO(ENOENT, ret);
		EXPECT_EQ(PSZ, unmapped);
		EXPECT_EQ(4 * PSZ, test_vfio_unmap_all());
	}
}

/* The difference between the types: TYPE1 may unmap inside a mapping (the
 * area is cut at both ends), TYPE1v2 only whole mappings */
TEST_F(container, unmap_dma_inside_a_mapping)
{
	uint64_t unmapped = 0x5555;
	int ret;

	test_vfio_map_dma(buffer, APERTURE_START, 8 * PSZ);
	ret = _test_vfio_unmap_dma(self->fd, 0, APERTURE_START + 2 * PSZ,
				   2 * PSZ, &unmapped);
	if (!is_type1(variant)) {
		EXPECT_ERRNO(ENOENT, ret);
		EXPECT_EQ(0, unmapped);
		test_cmd_md_check_map(self->hwpt_id, buffer, APERTURE_START,
				      8 * PSZ);
		test_cmd_md_check_refs(buffer, 8 * PSZ, 1);
		EXPECT_EQ(8 * PSZ, test_vfio_unmap_all());
		return;
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(2 * PSZ, unmapped);

	/* the hole is gone from the domain and unpinned; the rest stays */
	test_cmd_md_check_map(self->hwpt_id, buffer, APERTURE_START, 2 * PSZ);
	test_cmd_md_check_map(self->hwpt_id, BUF(4 * PSZ),
			      APERTURE_START + 4 * PSZ, 4 * PSZ);
	test_err_md_check_map(EINVAL, self->hwpt_id, BUF(2 * PSZ),
			      APERTURE_START + 2 * PSZ, PSZ);
	test_cmd_md_check_refs(buffer, 2 * PSZ, 1);
	test_cmd_md_check_refs(BUF(2 * PSZ), 2 * PSZ, 0);
	test_cmd_md_check_refs(BUF(4 * PSZ), 4 * PSZ, 1);

	/* the cuts made two areas, which the IOAS sees as such */
	test_err_ioctl_ioas_unmap(ENOENT, APERTURE_START, PSZ);
	test_ioctl_ioas_unmap(APERTURE_START, 2 * PSZ);
	/* a cut at the start and at the end of the same area */
	EXPECT_EQ(PSZ, test_vfio_unmap_dma(APERTURE_START + 4 * PSZ, PSZ));
	EXPECT_EQ(PSZ, test_vfio_unmap_dma(APERTURE_START + 7 * PSZ, PSZ));
	test_ioctl_ioas_unmap(APERTURE_START + 5 * PSZ, 2 * PSZ);
	test_cmd_md_check_refs(buffer, 8 * PSZ, 0);
}

/* TYPE1's cuts follow the IOVA alignment (EINVAL off it) where TYPE1v2
 * finds the mapping sticking out (ENOENT); TYPE1 cuts both ends before the
 * unmap looks at its range, so a zero size still leaves its cut behind
 * (the kernel's order) */
TEST_F(container, unmap_dma_cuts)
{
	int off_alignment = is_type1(variant) ? EINVAL : ENOENT;

	test_vfio_map_dma(buffer, APERTURE_START, 4 * PSZ);
	test_err_vfio_unmap_dma(off_alignment, 0, APERTURE_START + MPSZ, PSZ);
	test_err_vfio_unmap_dma(off_alignment, 0, APERTURE_START, PSZ + MPSZ);
	test_err_ioctl_ioas_unmap(ENOENT, APERTURE_START, PSZ);

	test_err_vfio_unmap_dma(EINVAL, 0, APERTURE_START + PSZ, 0);
	if (is_type1(variant)) {
		test_ioctl_ioas_unmap(APERTURE_START, PSZ);
		test_ioctl_ioas_unmap(APERTURE_START + PSZ, 3 * PSZ);
	} else {
		test_err_ioctl_ioas_unmap(ENOENT, APERTURE_START, PSZ);
		test_ioctl_ioas_unmap(APERTURE_START, 4 * PSZ);
	}
}

/* A range from IOVA 0 needs no cut below it */
TEST_F(container, unmap_dma_from_iova_0)
{
	test_vfio_map_dma(buffer, APERTURE_START, 2 * PSZ);
	EXPECT_EQ(0, test_vfio_unmap_dma(0, APERTURE_START));
	if (is_type1(variant)) {
		EXPECT_EQ(PSZ, test_vfio_unmap_dma(0, APERTURE_START + PSZ));
		EXPECT_EQ(PSZ, test_vfio_unmap_all());
	} else {
		test_err_vfio_unmap_dma(ENOENT, 0, 0, APERTURE_START + PSZ);
		EXPECT_EQ(2 * PSZ, test_vfio_unmap_dma(0, APERTURE_START +
								  2 * PSZ));
	}
}

/* The type1 calls and the IOAS calls see the same IOVA ranges */
TEST_F(container, get_info_ranges_match_the_ioas)
{
	struct vfio_iommu_type1_info *info = buffer;
	struct vfio_iommu_type1_info_cap_iova_range *iova =
		BUF(IOVA_CAP_OFFSET);
	struct iommu_iova_range ranges[8];
	uint64_t alignment;
	__u32 num;

	test_cmd_add_reserved_id(self->ioas_id, APERTURE_START + 16 * PSZ,
				 16 * PSZ);
	get_ranges(self->ioas_id, ranges, &num, &alignment);
	ASSERT_EQ(2, num);

	ASSERT_EQ(0, _test_vfio_get_info(self->fd, buffer, 4096, 4096));
	ASSERT_EQ(INFO_TOTAL(2), info->argsz);
	ASSERT_EQ(INFO_SIZE, info->cap_offset);
	ASSERT_EQ(2, iova->nr_iovas);
	for (unsigned int i = 0; i < num; i++) {
		EXPECT_EQ(ranges[i].start, iova->iova_ranges[i].start);
		EXPECT_EQ(ranges[i].last, iova->iova_ranges[i].end);
	}
	EXPECT_EQ(APERTURE_START, iova->iova_ranges[0].start);
	EXPECT_EQ(APERTURE_START + 16 * PSZ - 1, iova->iova_ranges[0].end);
	EXPECT_EQ(APERTURE_START + 32 * PSZ, iova->iova_ranges[1].start);
	EXPECT_EQ(APERTURE_LAST, iova->iova_ranges[1].end);
	/* the page sizes never go below the IOVA alignment */
	EXPECT_GE(info->iova_pgsizes, alignment);
}

/* The whole reply with room for it: the chain, every field */
TEST_F(container, get_info_full)
{
	struct vfio_iommu_type1_info *info = buffer;
	struct vfio_iommu_type1_info_dma_avail *avail = BUF(DMA_AVAIL_OFFSET);
	struct vfio_iommu_type1_info_cap_iova_range *iova =
		BUF(IOVA_CAP_OFFSET);

	ASSERT_EQ(0, _test_vfio_get_info(self->fd, buffer, 4096, 4096));
	EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	/*
	 * iommufd_get_pagesizes(): the domain's bitmap (the newest mock's,
	 * 2 KiB to 128 GiB) with the sizes below the CPU page folded into
	 * it; never below the IOVA alignment.
	 */
	EXPECT_EQ(((1ull << 38) - 1) & ~(PSZ - 1), info->iova_pgsizes);
	EXPECT_EQ(INFO_TOTAL(1), info->argsz);
	EXPECT_EQ(INFO_SIZE, info->cap_offset);

	EXPECT_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, avail->header.id);
	EXPECT_EQ(1, avail->header.version);
	EXPECT_EQ(IOVA_CAP_OFFSET, avail->header.next);
	EXPECT_EQ(UINT32_MAX, avail->avail);
	/* the padding to 8 bytes is not written */
	EXPECT_TRUE(filled_with(BUF(DMA_AVAIL_OFFSET + sizeof(*avail)), 0xaa,
				IOVA_CAP_OFFSET - DMA_AVAIL_OFFSET -
					sizeof(*avail)));

	EXPECT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, iova->header.id);
	EXPECT_EQ(1, iova->header.version);
	EXPECT_EQ(0, iova->header.next);
	EXPECT_EQ(1, iova->nr_iovas);
	EXPECT_EQ(0, iova->reserved);
	EXPECT_EQ(APERTURE_START, iova->iova_ranges[0].start);
	EXPECT_EQ(APERTURE_LAST, iova->iova_ranges[0].end);
	/* nothing past the chain */
	EXPECT_TRUE(filled_with(BUF(INFO_TOTAL(1)), 0xaa,
				4096 - INFO_TOTAL(1)));
}

/*
 * The argsz protocol at every size from the minimum to the whole reply:
 * nothing is written past argsz; the struct part goes out up to argsz;
 * each capability is written only when it fits whole (and a 'next' link
 * once the capability after it starts within argsz); cap_offset only when
 * all fit; argsz always comes back as the size that holds them all.
 */
TEST_F(container, get_info_argsz_protocol)
{
	const size_t total = INFO_TOTAL(1);
	struct vfio_iommu_type1_info *info = buffer;
	struct vfio_iommu_type1_info_dma_avail *avail = BUF(DMA_AVAIL_OFFSET);
	struct vfio_iommu_type1_info_cap_iova_range *iova =
		BUF(IOVA_CAP_OFFSET);

	for (size_t argsz = INFO_MINSZ; argsz <= total + 8; argsz++) {
		ASSERT_EQ(0, _test_vfio_get_info(self->fd, buffer, 4096,
						 (__u32)argsz));
		EXPECT_EQ(total, info->argsz);
		EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
			  info->flags);
		EXPECT_NE(0, info->iova_pgsizes);
		EXPECT_EQ(argsz >= total ? INFO_SIZE : 0, info->cap_offset);
		if (argsz < INFO_SIZE) {
			/* the rest of the struct was zeroed by us, and
			 * stays as it was */
			EXPECT_TRUE(filled_with(BUF(INFO_SIZE), 0xaa,
						4096 - INFO_SIZE));
			continue;
		}
		if (argsz >= DMA_AVAIL_OFFSET + sizeof(*avail)) {
			EXPECT_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
				  avail->header.id);
			EXPECT_EQ(argsz >= IOVA_CAP_OFFSET ? IOVA_CAP_OFFSET :
							     0,
				  avail->header.next);
		} else {
			EXPECT_TRUE(filled_with(avail, 0xaa, 4096 - INFO_SIZE));
		}
		if (argsz >= total) {
			EXPECT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
				  iova->header.id);
			EXPECT_EQ(1, iova->nr_iovas);
		} else if (argsz >= IOVA_CAP_OFFSET) {
			EXPECT_TRUE(filled_with(iova, 0xaa,
						4096 - IOVA_CAP_OFFSET));
		}
		EXPECT_TRUE(filled_with(BUF(argsz < total ? argsz : total),
					0xaa,
					4096 - (argsz < total ? argsz : total)));
	}
}

/* Only argsz bytes of the caller's struct are written: with the pre-cap
 * size, cap_offset is left alone */
TEST_F(container, get_info_pre_cap_size)
{
	struct vfio_iommu_type1_info *info = buffer;

	memset(buffer, 0xaa, 64);
	info->argsz = INFO_MINSZ;
	info->flags = 0;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	EXPECT_EQ(INFO_TOTAL(1), info->argsz);
	EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	EXPECT_TRUE(filled_with(BUF(INFO_MINSZ), 0xaa, 64 - INFO_MINSZ));
}

TEST_F(container, get_info_unwritable_is_efault)
{
	struct vfio_iommu_type1_info *info = mmap_touched(PSZ);

	ASSERT_NE(MAP_FAILED, info);
	info->argsz = 4096;
	ASSERT_EQ(0, mprotect(info, PSZ, PROT_READ));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	munmap(info, PSZ);
}

/* UNMAP's reply: a read-only struct is EFAULT after the unmap happened */
TEST_F(container, unmap_dma_unwritable_reply_is_efault)
{
	struct vfio_iommu_type1_dma_unmap *cmd = mmap_touched(PSZ);

	ASSERT_NE(MAP_FAILED, cmd);
	memset(cmd, 0, sizeof(*cmd));
	cmd->argsz = sizeof(*cmd);
	cmd->iova = APERTURE_START;
	cmd->size = PSZ;
	test_vfio_map_dma(buffer, APERTURE_START, PSZ);
	ASSERT_EQ(0, mprotect(cmd, PSZ, PROT_READ));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, cmd));
	test_err_ioctl_ioas_unmap(ENOENT, APERTURE_START, PSZ);
	munmap(cmd, PSZ);
}

/* Closing the container with mappings left unpins them (the teardown
 * checks) */
TEST_F(container, close_with_mappings)
{
	test_vfio_map_dma(buffer, APERTURE_START, BUFFER_SIZE);
	test_cmd_md_check_refs(buffer, BUFFER_SIZE, 1);
}

/* Two containers are two contexts: each its own compat IOAS */
TEST_F(container, containers_are_separate)
{
	int other = open("/dev/vfio/vfio", O_RDWR);
	__u32 id = 0;

	ASSERT_NE(-1, other);
	EXPECT_ERRNO(ENODEV, _test_vfio_ioas(other, IOMMU_VFIO_IOAS_GET, &id));
	EXPECT_ERRNO(ENODEV, _test_vfio_map_dma(other, VFIO_RW, buffer,
						APERTURE_START, PSZ));
	test_vfio_map_dma(buffer, APERTURE_START, PSZ);
	ASSERT_EQ(0, close(other));
	EXPECT_EQ(PSZ, test_vfio_unmap_dma(APERTURE_START, PSZ));
}

TEST_HARNESS_MAIN
