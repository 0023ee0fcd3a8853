// SPDX-License-Identifier: MIT
/*
 * IOMMU_HWPT_ALLOC of paging HWPTs from an IOAS (the kernel's
 * iommufd_hwpt_alloc() and iommufd_hwpt_paging_alloc(), with the selftest
 * mock driver's domain_alloc_paging_flags()): every check in its order,
 * the seed review's data_type/data_len rule, what a user HWPT does to its
 * IOAS, and how attach treats it. Nested HWPTs: tests/uapi/hwpt_nested.c.
 */
#include "hwpt_utils.h"

#define PSZ page_size

FIXTURE(hwpt_alloc)
{
	int fd;
	__u32 dev_ioas, ioas_id, stdev, idev;
};

FIXTURE_SETUP(hwpt_alloc)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	/* a device to allocate for, attached to an IOAS of its own, and the
	 * IOAS the tests build HWPTs on, untouched by any device */
	test_ioctl_ioas_alloc(&self->dev_ioas);
	test_cmd_mock_domain_flags(self->dev_ioas, 0, &self->stdev, NULL,
				   &self->idev);
	test_ioctl_ioas_alloc(&self->ioas_id);
}

FIXTURE_TEARDOWN(hwpt_alloc)
{
	ASSERT_EQ(0, close(self->fd));
}

TEST_F(hwpt_alloc, check_order)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.__reserved = 1,
		.data_type = IOMMU_HWPT_DATA_NONE,
		.data_len = 8,
	};

	/* __reserved first, whatever else is wrong */
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* then the data rule, before any lookup */
	cmd.__reserved = 0;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* then the device: ENOENT */
	cmd.data_len = 0;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* then the parent: one that is nothing is EINVAL, not ENOENT */
	cmd.dev_id = self->idev;
	cmd.pt_id = 99;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(hwpt_alloc, seed_rule_data_type_and_data_len_go_together)
{
	__u32 data[2] = { 0 };

	/* NONE with a length, another type without one: EINVAL */
	test_err_hwpt_alloc_nested(EINVAL, self->idev, self->ioas_id, 0, NULL,
				   IOMMU_HWPT_DATA_NONE, data, 8);
	test_err_hwpt_alloc_nested(EINVAL, self->idev, self->ioas_id, 0, NULL,
				   IOMMU_HWPT_DATA_SELFTEST, data, 0);
}

TEST_F(hwpt_alloc, device_and_parent_must_be_the_right_objects)
{
	/* an IOAS is not a device */
	test_err_hwpt_alloc(ENOENT, self->ioas_id, self->ioas_id, 0, NULL);
	/* the selftest object is not one either */
	test_err_hwpt_alloc(ENOENT, self->stdev, self->ioas_id, 0, NULL);
	/* a device is not a parent */
	test_err_hwpt_alloc(EINVAL, self->idev, self->idev, 0, NULL);
	test_err_hwpt_alloc(EINVAL, self->idev, self->stdev, 0, NULL);
}

TEST_F(hwpt_alloc, flags)
{
	__u32 stdev2, idev2, id;

	test_err_hwpt_alloc(EOPNOTSUPP, self->idev, self->ioas_id, 1u << 31,
			    NULL);
	test_err_hwpt_alloc(EOPNOTSUPP, self->idev, self->ioas_id, 1u << 4,
			    NULL);
	/* a fault queue on a nest parent */
	test_err_hwpt_alloc(EOPNOTSUPP, self->idev, self->ioas_id,
			    IOMMU_HWPT_FAULT_ID_VALID |
				    IOMMU_HWPT_ALLOC_NEST_PARENT,
			    NULL);
	/* no fault queue can exist: the HWPT is built, then undone */
	test_err_hwpt_alloc(ENOENT, self->idev, self->ioas_id,
			    IOMMU_HWPT_FAULT_ID_VALID, NULL);
	/* dirty tracking on a device without it */
	test_cmd_mock_domain_flags(self->dev_ioas, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   &stdev2, NULL, &idev2);
	test_err_hwpt_alloc(EOPNOTSUPP, idev2, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL);
	/* nothing was left behind by any of them */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(idev2 + 1, id);
	/* and each accepted flag works */
	test_cmd_hwpt_alloc(self->idev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &id);
	test_cmd_hwpt_alloc(self->idev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &id);
	test_cmd_hwpt_alloc(self->idev, self->ioas_id, IOMMU_HWPT_ALLOC_PASID,
			    &id);
}

TEST_F(hwpt_alloc, a_user_hwpt_joins_its_ioas_at_once)
{
	struct iommu_iova_range ranges[2];
	uint64_t alignment;
	__u32 hwpt, num = 2;

	test_ioctl_ioas_map_fixed(buffer, 4 * PSZ, MOCK_APERTURE_START);
	test_cmd_hwpt_alloc(self->idev, self->ioas_id, 0, &hwpt);
	/* narrowed with no device attached, and the mapping is there */
	test_ioctl_ioas_iova_ranges(ranges, &num, &alignment);
	ASSERT_EQ(1, num);
	EXPECT_EQ(MOCK_APERTURE_START, ranges[0].start);
	EXPECT_EQ(MOCK_APERTURE_LAST, ranges[0].last);
	EXPECT_EQ(MOCK_PAGE_SIZE, alignment);
	struct iommu_test_cmd check = {
		.size = sizeof(check),
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = MOCK_APERTURE_START,
			       .length = 4 * PSZ,
			       .uptr = (uintptr_t)buffer },
	};
	EXPECT_EQ(0, ioctl(self->fd, IOMMU_TEST_CMD, &check));
	/* it holds the IOAS; nothing holds it */
	test_err_destroy(EBUSY, self->ioas_id);
	test_ioctl_destroy(hwpt);
	num = 2;
	test_ioctl_ioas_iova_ranges(ranges, &num, &alignment);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(1, alignment);
	test_ioctl_destroy(self->ioas_id);
}

TEST_F(hwpt_alloc, a_mapping_outside_the_aperture_refuses_it)
{
	__u32 id;

	test_ioctl_ioas_map_fixed(buffer, PSZ, PSZ);
	test_err_hwpt_alloc(EADDRINUSE, self->idev, self->ioas_id, 0, NULL);
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(self->ioas_id + 1, id);
}

TEST_F(hwpt_alloc, attach_never_picks_a_user_hwpt_unless_named)
{
	__u32 user, auto_hwpt, named, stdev;

	test_cmd_hwpt_alloc(self->idev, self->ioas_id, 0, &user);
	test_cmd_mock_domain_flags(self->ioas_id, 0, NULL, &auto_hwpt, NULL);
	EXPECT_NE(user, auto_hwpt);
	test_cmd_mock_domain_flags(user, 0, &stdev, &named, NULL);
	EXPECT_EQ(user, named);
	/* a device on it keeps it */
	test_err_destroy(EBUSY, user);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(user);
}

TEST_F(hwpt_alloc, selftest_data_chooses_the_page_table)
{
	struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
		.pagetable_type = MOCK_IOMMUPT_HUGE,
	};
	struct iommu_iova_range range;
	uint64_t alignment;
	__u32 hwpt, num = 1;

	test_cmd_hwpt_alloc_nested(self->idev, self->ioas_id, 0, &hwpt,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	/* the huge table's smallest page is the CPU page */
	test_ioctl_ioas_iova_ranges(&range, &num, &alignment);
	EXPECT_EQ(PSZ, alignment);
	test_ioctl_destroy(hwpt);
	/* the driver's struct does not grow by size: shorter than its first
	 * field or longer than it is EINVAL, zero tail or not */
	test_err_hwpt_alloc_nested(EINVAL, self->idev, self->ioas_id, 0, NULL,
				   IOMMU_HWPT_DATA_SELFTEST, &data, 3);
	uint8_t longer[16] = { 0 };

	test_err_hwpt_alloc_nested(EINVAL, self->idev, self->ioas_id, 0, NULL,
				   IOMMU_HWPT_DATA_SELFTEST, longer, 9);
	/* just the first field: the default table */
	test_cmd_hwpt_alloc_nested(self->idev, self->ioas_id, 0, &hwpt,
				   IOMMU_HWPT_DATA_SELFTEST, &data, 4);
	test_ioctl_destroy(hwpt);
	/* another driver's data, an unknown table, unreadable data */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev, self->ioas_id, 0,
				   NULL, IOMMU_HWPT_DATA_VTD_S1, &data,
				   sizeof(data));
	data.pagetable_type = 0x7777;
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev, self->ioas_id, 0,
				   NULL, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_err_hwpt_alloc_nested(EFAULT, self->idev, self->ioas_id, 0, NULL,
				   IOMMU_HWPT_DATA_SELFTEST, NULL,
				   sizeof(data));
}

TEST_HARNESS_MAIN
