// SPDX-License-Identifier: MIT
/*
 * Dirty tracking on mock paging HWPTs (IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
 * IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP, and the
 * selftest op IOMMU_TEST_OP_DIRTY standing in for the hardware's writes):
 * which devices and domains may track, the bitmap protocol with and
 * without NO_CLEAR, that enabling starts from a clean slate, and every
 * check in the kernel's order (hw_pagetable.c, io_pagetable.c,
 * iommu.c, selftest.c). The fixture follows the kernel's
 * iommufd_dirty_tracking. How large the leaves that carry dirty bits are:
 * device.c.
 */
#include "iommufd_utils.h"

#define DIRTY_PAGES 32

FIXTURE(dirty_tracking)
{
	int fd;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u32 stdev_id;
	__u32 idev_id;
	uint8_t *buf;
	size_t buf_size;
	__u64 *bitmap;
};

FIXTURE_SETUP(dirty_tracking)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	/* one CPU page per map call, so one dirty unit per page whatever
	 * page table the mock builds (the kernel's fixture does the same) */
	test_ioctl_huge_pages_set(self->ioas_id, 0);
	test_cmd_mock_domain(self->ioas_id, &self->stdev_id, &self->hwpt_id,
			     &self->idev_id);
	self->buf_size = DIRTY_PAGES * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->bitmap = mmap_touched(PSZ);
	ASSERT_NE(MAP_FAILED, self->bitmap);
	memset(self->bitmap, 0, PSZ);
}

FIXTURE_TEARDOWN(dirty_tracking)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
	munmap(self->bitmap, PSZ);
}

TEST_F(dirty_tracking, enforce_dirty)
{
	__u32 ioas2, stdev, idev, hwpt_id, auto_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_cmd_mock_domain(hwpt_id, &stdev, NULL, NULL);
	/* mock_domain_nop_attach(): a domain with dirty ops refuses a
	 * device that cannot track */
	test_err_mock_domain_flags(EINVAL, hwpt_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, NULL);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(hwpt_id);

	/* and such a device cannot ask for one */
	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_mock_domain_flags(ioas2, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev,
				   &auto_id, &idev);
	test_err_hwpt_alloc(EOPNOTSUPP, idev, ioas2,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	/* nor be moved onto one */
	test_cmd_hwpt_alloc(self->idev_id, ioas2,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_err_mock_domain_replace(EINVAL, stdev, hwpt_id);
	/* which left it where it was */
	test_err_destroy(EBUSY, auto_id);
	test_ioctl_destroy(hwpt_id);
	test_ioctl_destroy(stdev);
}

TEST_F(dirty_tracking, set_dirty_tracking)
{
	__u32 stdev, hwpt_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_cmd_mock_domain(hwpt_id, &stdev, NULL, NULL);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	/* mock_domain_set_dirty_tracking(): no change is fine */
	test_cmd_set_dirty_tracking(hwpt_id, true);
	test_cmd_set_dirty_tracking(hwpt_id, false);
	test_cmd_set_dirty_tracking(hwpt_id, false);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(hwpt_id);
}

TEST_F(dirty_tracking, set_dirty_tracking_errors)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};
	__u32 parent, nested, hwpt_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	/* iommufd_hwpt_set_dirty_tracking(): unknown flags first */
	test_err_set_dirty_tracking(EOPNOTSUPP, hwpt_id, 1u << 1);
	test_err_set_dirty_tracking(EOPNOTSUPP, NO_SUCH_ID, 1u << 31);
	/* a paging HWPT only */
	test_err_set_dirty_tracking(ENOENT, NO_SUCH_ID,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	test_err_set_dirty_tracking(ENOENT, self->ioas_id,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	test_cmd_hwpt_alloc_selftest(self->idev_id, parent,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	test_err_set_dirty_tracking(ENOENT, nested,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	/* iopt_set_dirty_tracking(): a domain without dirty ops, either way */
	test_err_set_dirty_tracking(EOPNOTSUPP, self->hwpt_id,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	test_err_set_dirty_tracking(EOPNOTSUPP, self->hwpt_id, 0);
	test_err_set_dirty_tracking(EOPNOTSUPP, parent, 0);
	/* the handler never reads __reserved */
	cmd.hwpt_id = hwpt_id;
	cmd.__reserved = 1;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd));
}

TEST_F(dirty_tracking, device_dirty_capability)
{
	__u32 stdev, hwpt_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, 0, &hwpt_id);
	test_cmd_mock_domain(hwpt_id, &stdev, NULL, NULL);
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING,
		  test_cmd_get_hw_capabilities(self->idev_id) &
			  IOMMU_HW_CAP_DIRTY_TRACKING);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(hwpt_id);
}

/* Marks every even page of the buffer dirty through hwpt_id, then reads
 * the bitmap twice with the given flags. */
static void dirty_even_pages(struct __test_metadata *_metadata,
			     FIXTURE_DATA(dirty_tracking) * self,
			     __u32 hwpt_id, __u32 flags)
{
	uint64_t nr = 0, want = 0;

	memset(self->bitmap, 0, PSZ);
	for (unsigned long i = 0; i < DIRTY_PAGES; i += 2, want++)
		bitmap_set(self->bitmap, i);
	test_cmd_mock_domain_set_dirty(hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap, &nr);
	EXPECT_EQ(want, nr);

	memset(self->bitmap, 0, PSZ);
	test_cmd_get_dirty_bitmap(hwpt_id, APERTURE_START, self->buf_size,
				  PSZ, self->bitmap, flags);
	for (unsigned long i = 0; i < DIRTY_PAGES; i++)
		EXPECT_EQ(!(i % 2), bitmap_test(self->bitmap, i));
	for (unsigned long i = DIRTY_PAGES; i < 64; i++)
		EXPECT_EQ(0, bitmap_test(self->bitmap, i));

	/* read again: cleared by the first read unless NO_CLEAR */
	memset(self->bitmap, 0, PSZ);
	test_cmd_get_dirty_bitmap(hwpt_id, APERTURE_START, self->buf_size,
				  PSZ, self->bitmap, flags);
	for (unsigned long i = 0; i < DIRTY_PAGES; i++) {
		if (flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)
			EXPECT_EQ(!(i % 2), bitmap_test(self->bitmap, i));
		else
			EXPECT_EQ(0, bitmap_test(self->bitmap, i));
	}
}

TEST_F(dirty_tracking, get_dirty_bitmap)
{
	__u32 hwpt_id;

	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	dirty_even_pages(_metadata, self, hwpt_id, 0);
	test_ioctl_destroy(hwpt_id);
}

TEST_F(dirty_tracking, get_dirty_bitmap_no_clear)
{
	__u32 hwpt_id;

	/* the HWPT first, the mapping after: it is filled either way */
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	dirty_even_pages(_metadata, self, hwpt_id,
			 IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	test_ioctl_destroy(hwpt_id);
}

TEST_F(dirty_tracking, enabling_starts_from_a_clean_slate)
{
	uint64_t nr = 0;
	__u32 hwpt_id;

	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	memset(self->bitmap, 0xff, PSZ);
	test_cmd_mock_domain_set_dirty(hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap, &nr);
	EXPECT_EQ(DIRTY_PAGES, nr);
	test_cmd_set_dirty_tracking(hwpt_id, false);
	/* iopt_set_dirty_tracking(): enabling clears what was recorded */
	test_cmd_set_dirty_tracking(hwpt_id, true);
	memset(self->bitmap, 0, PSZ);
	test_cmd_get_dirty_bitmap(hwpt_id, APERTURE_START, self->buf_size,
				  PSZ, self->bitmap, 0);
	for (unsigned long i = 0; i < DIRTY_PAGES; i++)
		EXPECT_EQ(0, bitmap_test(self->bitmap, i));
	test_ioctl_destroy(hwpt_id);
}

TEST_F(dirty_tracking, get_dirty_bitmap_errors)
{
	__u32 parent, nested, hwpt_id;

	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				    IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &hwpt_id);
	test_cmd_set_dirty_tracking(hwpt_id, true);

	/* iommufd_hwpt_get_dirty_bitmap(): flags and __reserved first */
	test_err_get_dirty_bitmap(EOPNOTSUPP, hwpt_id, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 1u << 1);
	test_err_get_dirty_bitmap(EOPNOTSUPP, NO_SUCH_ID, APERTURE_START, 0, 0,
				  self->bitmap, 1u << 31);
	{
		struct iommu_hwpt_get_dirty_bitmap cmd = {
			.size = sizeof(cmd),
			.hwpt_id = NO_SUCH_ID,
			.__reserved = 1,
			.iova = APERTURE_START,
			.length = self->buf_size,
			.page_size = PSZ,
			.data = (uintptr_t)self->bitmap,
		};

		EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd,
					       IOMMU_HWPT_GET_DIRTY_BITMAP,
					       &cmd));
	}
	/* a paging HWPT only */
	test_err_get_dirty_bitmap(ENOENT, NO_SUCH_ID, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(ENOENT, self->ioas_id, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);
	test_cmd_hwpt_alloc_selftest(self->idev_id, hwpt_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	test_err_get_dirty_bitmap(ENOENT, nested, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);

	/* iommufd_check_iova_range(): overflow, then IOAS alignment, then
	 * page_size */
	test_err_get_dirty_bitmap(EOVERFLOW, hwpt_id, APERTURE_START, U64_MAX,
				  PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START + 1,
				  self->buf_size, PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START,
				  self->buf_size - 1, PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START,
				  self->buf_size, 0, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START,
				  self->buf_size, 64 * PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START + PSZ,
				  self->buf_size - PSZ, 2 * PSZ, self->bitmap,
				  0);

	/* iommu_read_and_clear_dirty(): a domain without dirty ops */
	test_err_get_dirty_bitmap(EOPNOTSUPP, self->hwpt_id, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	test_err_get_dirty_bitmap(EOPNOTSUPP, parent, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);
	/* but its arguments are checked first */
	test_err_get_dirty_bitmap(EINVAL, parent, APERTURE_START + 1,
				  self->buf_size, PSZ, self->bitmap, 0);
}

TEST_F(dirty_tracking, mock_dirty_errors)
{
	__u32 hwpt_id;

	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	memset(self->bitmap, 0xff, PSZ);

	/* iommufd_test_dirty(): arguments first, even for no such HWPT */
	test_err_mock_domain_set_dirty(EINVAL, NO_SUCH_ID, APERTURE_START,
				       self->buf_size, 0, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START,
				       self->buf_size, 0, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START, 0, PSZ,
				       self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START + 1,
				       self->buf_size, PSZ, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START,
				       self->buf_size + 1, PSZ, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, NULL);
	/* get_md_pagetable(): a mock paging HWPT */
	test_err_mock_domain_set_dirty(ENOENT, NO_SUCH_ID, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap);
	test_err_mock_domain_set_dirty(ENOENT, self->ioas_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap);
	/* only while tracking is on */
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, self->hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	test_cmd_mock_domain_set_dirty(hwpt_id, APERTURE_START, self->buf_size,
				       PSZ, self->bitmap, NULL);
}

TEST_HARNESS_MAIN
