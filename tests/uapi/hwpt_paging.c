// SPDX-License-Identifier: MIT
/*
 * IOMMU_HWPT_ALLOC: the command's own checks, for both kinds of HWPT
 * (iommufd_hwpt_alloc(): __reserved, the seed review's data_type/data_len
 * rule, the device, the parent), and paging HWPTs made from an IOAS
 * (iommufd_hwpt_paging_alloc(), with the selftest mock driver's
 * domain_alloc_paging_flags()): their flags, the mock's page-table choice,
 * and what a user HWPT does to its IOAS. Nested HWPTs: hwpt_nested.c;
 * attaching to a user HWPT: device.c.
 *
 * Every expected value follows the kernel's code (hw_pagetable.c,
 * selftest.c); where two things are wrong at once, the errno asserted is
 * the one the kernel's check order gives. The teardown checks from a fresh
 * context, after close(), that nothing stayed pinned.
 */
#include "iommufd_utils.h"

/* One mock device on an IOAS, and a NEST_PARENT HWPT made for it there. */
FIXTURE(hwpt_paging)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 hwpt_id;
	__u32 idev_id;
	__u32 parent_id;
	uint8_t *buf;
	size_t buf_size;
};

FIXTURE_SETUP(hwpt_paging)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, &self->stdev_id, &self->hwpt_id,
			     &self->idev_id);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent_id);
	self->buf_size = 4 * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(hwpt_paging)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	test_no_pins(buffer, BUFFER_SIZE);
	munmap(self->buf, self->buf_size);
}

/* ---- IOMMU_HWPT_ALLOC: the command's own checks, iommufd_hwpt_alloc() --- */

TEST_F(hwpt_paging, alloc_reserved_is_eopnotsupp)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.__reserved = 1,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* first of all checks: with a bad data rule and no such device */
	cmd.data_len = 8;
	cmd.dev_id = NO_SUCH_ID;
	cmd.pt_id = NO_SUCH_ID;
	cmd.flags = 1u << 31;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.__reserved = 0x80000000;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(hwpt_paging, check_order)
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
	cmd.dev_id = self->idev_id;
	cmd.pt_id = NO_SUCH_ID;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(hwpt_paging, alloc_reserved2_is_not_checked)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.__reserved2 = 0xffffffff,
	};

	/* iommufd_hwpt_alloc() never looks at __reserved2 */
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_NE(0, cmd.out_hwpt_id);
	test_ioctl_destroy(cmd.out_hwpt_id);
}

TEST_F(hwpt_paging, data_type_none_requires_zero_data_len)
{
	__u32 hwpt_id = 0x5555;

	/* seed rule 3, first half, from iommufd_hwpt_alloc() */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_NONE,
				   &default_data, sizeof(default_data));
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_NONE,
				   &default_data, sizeof(default_data));
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 1);
	/* checked before the device and the parent are looked up */
	test_err_hwpt_alloc_nested(EINVAL, NO_SUCH_ID, NO_SUCH_ID, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_NONE, &default_data,
				   sizeof(default_data));
	EXPECT_EQ(0x5555, hwpt_id);
}

TEST_F(hwpt_paging, data_type_other_requires_nonzero_data_len)
{
	__u32 hwpt_id;

	/* seed rule 3, second half */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
				   &default_data, 0);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
				   &default_data, 0);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_VTD_S1, NULL, 0);
	test_err_hwpt_alloc_nested(EINVAL, NO_SUCH_ID, NO_SUCH_ID, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, NULL, 0);
}

TEST_F(hwpt_paging, seed_rule_data_type_and_data_len_go_together)
{
	__u32 data[2] = { 0 };

	/* NONE with a length, another type without one: EINVAL */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   NULL, IOMMU_HWPT_DATA_NONE, data, 8);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   NULL, IOMMU_HWPT_DATA_SELFTEST, data, 0);
}

TEST_F(hwpt_paging, alloc_dev_id_must_be_a_device)
{
	__u32 hwpt_id;

	/* iommufd_get_device(): ENOENT for anything else, before pt_id */
	test_err_hwpt_alloc(ENOENT, 0, self->ioas_id, 0, &hwpt_id);
	test_err_hwpt_alloc(ENOENT, NO_SUCH_ID, self->ioas_id, 0, &hwpt_id);
	test_err_hwpt_alloc(ENOENT, self->ioas_id, self->ioas_id, 0, &hwpt_id);
	test_err_hwpt_alloc(ENOENT, self->hwpt_id, self->ioas_id, 0, &hwpt_id);
	test_err_hwpt_alloc(ENOENT, self->stdev_id, self->ioas_id, 0,
			    &hwpt_id);
	test_err_hwpt_alloc(ENOENT, self->ioas_id, self->idev_id, 1u << 31,
			    &hwpt_id);
}

TEST_F(hwpt_paging, alloc_pt_id_of_another_kind_is_einval)
{
	__u32 hwpt_id;

	/* iommufd_hwpt_alloc(): a failed lookup of pt_id is EINVAL, not
	 * ENOENT, and so is an object that is no IOAS, paging HWPT or
	 * vIOMMU */
	test_err_hwpt_alloc(EINVAL, self->idev_id, 0, 0, &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, NO_SUCH_ID, 0, &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, self->idev_id, 0,
			    &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, self->stdev_id, 0,
			    &hwpt_id);
	/* before any flag is looked at */
	test_err_hwpt_alloc(EINVAL, self->idev_id, NO_SUCH_ID, 1u << 31,
			    &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, self->idev_id, 1u << 31,
			    &hwpt_id);
}

TEST_F(hwpt_paging, device_and_parent_must_be_the_right_objects)
{
	/* an IOAS is not a device */
	test_err_hwpt_alloc(ENOENT, self->ioas_id, self->ioas_id, 0, NULL);
	/* the selftest object is not one either */
	test_err_hwpt_alloc(ENOENT, self->stdev_id, self->ioas_id, 0, NULL);
	/* a device is not a parent */
	test_err_hwpt_alloc(EINVAL, self->idev_id, self->idev_id, 0, NULL);
	test_err_hwpt_alloc(EINVAL, self->idev_id, self->stdev_id, 0, NULL);
}

/* ---- IOMMU_HWPT_ALLOC from an IOAS: iommufd_hwpt_paging_alloc() --------- */

TEST_F(hwpt_paging, paging_unknown_flags_are_eopnotsupp)
{
	__u32 hwpt_id;

	for (unsigned int bit = 4; bit < 32; bit++)
		test_err_hwpt_alloc(EOPNOTSUPP, self->idev_id, self->ioas_id,
				    1u << bit, &hwpt_id);
	test_err_hwpt_alloc(EOPNOTSUPP, self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT | (1u << 4),
			    &hwpt_id);
}

TEST_F(hwpt_paging, paging_flags)
{
	static const __u32 flags[] = {
		0,
		IOMMU_HWPT_ALLOC_NEST_PARENT,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		IOMMU_HWPT_ALLOC_PASID,
	};
	__u32 ids[sizeof(flags) / sizeof(flags[0])];

	for (unsigned int i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, flags[i],
				    &ids[i]);
		EXPECT_NE(0, ids[i]);
		for (unsigned int j = 0; j < i; j++)
			EXPECT_NE(ids[j], ids[i]);
		/* a user HWPT is not attached to anything */
		test_ioctl_destroy(ids[i]);
		test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, flags[i],
				    &ids[i]);
	}
}

TEST_F(hwpt_paging, refused_flags_leave_nothing_behind)
{
	__u32 stdev2, idev2, id;

	test_err_hwpt_alloc(EOPNOTSUPP, self->idev_id, self->ioas_id, 1u << 31,
			    NULL);
	test_err_hwpt_alloc(EOPNOTSUPP, self->idev_id, self->ioas_id, 1u << 4,
			    NULL);
	/* a fault queue on a nest parent */
	test_err_hwpt_alloc(EOPNOTSUPP, self->idev_id, self->ioas_id,
			    IOMMU_HWPT_FAULT_ID_VALID |
				    IOMMU_HWPT_ALLOC_NEST_PARENT,
			    NULL);
	/* no fault queue can exist: the HWPT is built, then undone */
	test_err_hwpt_alloc(ENOENT, self->idev_id, self->ioas_id,
			    IOMMU_HWPT_FAULT_ID_VALID, NULL);
	/* dirty tracking on a device without it */
	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   &stdev2, NULL, &idev2);
	test_err_hwpt_alloc(EOPNOTSUPP, idev2, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL);
	/* nothing was left behind by any of them */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(idev2 + 1, id);
	/* and each accepted flag works */
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &id);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &id);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID, &id);
}

TEST_F(hwpt_paging, paging_dirty_tracking_needs_the_capability)
{
	__u32 idev, hwpt_id;

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, &idev);
	/* device_iommu_capable(IOMMU_CAP_DIRTY_TRACKING) is false */
	test_err_hwpt_alloc(EOPNOTSUPP, idev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_err_hwpt_alloc(EOPNOTSUPP, idev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				    IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &hwpt_id);
	test_cmd_hwpt_alloc(idev, self->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &hwpt_id);
}

TEST_F(hwpt_paging, paging_fault_id_without_a_fault_queue)
{
	__u32 hwpt_id = 0x5555;

	/* a nesting parent cannot report faults */
	test_err_hwpt_alloc_fault(EOPNOTSUPP, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID |
					  IOMMU_HWPT_ALLOC_NEST_PARENT,
				  0, &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
	/* iommufd_get_fault() after the HWPT is built: no such fault queue,
	 * and the HWPT is unwound */
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, 0, &hwpt_id,
				  IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, self->ioas_id,
				  &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, NO_SUCH_ID,
				  &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
	EXPECT_EQ(0x5555, hwpt_id);
	/* fault_id is not read without the flag */
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(self->fd, self->idev_id,
					  self->ioas_id, 0, NO_SUCH_ID,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &hwpt_id));
	test_ioctl_destroy(hwpt_id);
	/* nothing was left on the IOAS by the failed ones */
	test_ioctl_destroy(self->parent_id);
	test_ioctl_destroy(self->stdev_id);
	test_ioctl_destroy(self->ioas_id);
}

TEST_F(hwpt_paging, paging_selftest_data)
{
	struct {
		struct iommu_hwpt_selftest cfg;
		__u32 tail;
	} data = { .cfg = { .pagetable_type = MOCK_IOMMUPT_DEFAULT } };
	__u32 hwpt_id;

	/* mock_domain_alloc_paging_flags(): SELFTEST data picks the page
	 * table; iommu_copy_struct_from_user() takes 4..8 bytes */
	test_cmd_hwpt_alloc_nested(self->idev_id, self->ioas_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg));
	test_ioctl_destroy(hwpt_id);
	test_cmd_hwpt_alloc_nested(self->idev_id, self->ioas_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   offsetofend(struct iommu_hwpt_selftest,
					       iotlb));
	test_ioctl_destroy(hwpt_id);
	data.cfg.pagetable_type = MOCK_IOMMUPT_HUGE;
	test_cmd_hwpt_alloc_nested(self->idev_id, self->ioas_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg));
	test_ioctl_destroy(hwpt_id);

	/* mock_domain_alloc_pgtable(): an unknown page table type */
	data.cfg.pagetable_type = 0x7777;
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg));
	data.cfg.pagetable_type = MOCK_IOMMUPT_DEFAULT;
	/* shorter than the first version of the struct */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   3);
	/* longer than the struct the kernel knows: EINVAL, zero tail or not
	 * (__iommu_copy_struct_from_user(): data_len < src_data->len) */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	data.tail = 1;
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	/* unreadable */
	test_err_hwpt_alloc_nested(EFAULT, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, NULL,
				   sizeof(data.cfg));
	/* another driver's type */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_VTD_S1, &data,
				   sizeof(data.cfg));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST + 1,
				   &data, sizeof(data.cfg));
}

TEST_F(hwpt_paging, selftest_data_chooses_the_page_table)
{
	struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
		.pagetable_type = MOCK_IOMMUPT_HUGE,
	};
	struct iommu_iova_range range;
	uint64_t alignment;
	__u32 ioas, hwpt, num = 1;

	test_ioctl_ioas_alloc(&ioas);
	test_cmd_hwpt_alloc_nested(self->idev_id, ioas, 0, &hwpt,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	/* the huge table's smallest page is the CPU page */
	ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(self->fd, ioas, &range, &num,
						  &alignment));
	EXPECT_EQ(PSZ, alignment);
	test_ioctl_destroy(hwpt);
	/* the driver's struct does not grow by size: shorter than its first
	 * field or longer than it is EINVAL, zero tail or not */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, ioas, 0, NULL,
				   IOMMU_HWPT_DATA_SELFTEST, &data, 3);
	uint8_t longer[16] = { 0 };

	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, ioas, 0, NULL,
				   IOMMU_HWPT_DATA_SELFTEST, longer, 9);
	/* just the first field: the default table */
	test_cmd_hwpt_alloc_nested(self->idev_id, ioas, 0, &hwpt,
				   IOMMU_HWPT_DATA_SELFTEST, &data, 4);
	test_ioctl_destroy(hwpt);
	/* another driver's data, an unknown table, unreadable data */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, ioas, 0,
				   NULL, IOMMU_HWPT_DATA_VTD_S1, &data,
				   sizeof(data));
	data.pagetable_type = 0x7777;
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, ioas, 0,
				   NULL, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_err_hwpt_alloc_nested(EFAULT, self->idev_id, ioas, 0, NULL,
				   IOMMU_HWPT_DATA_SELFTEST, NULL,
				   sizeof(data));
}

TEST_F(hwpt_paging, paging_hwpt_keeps_its_ioas_busy)
{
	__u32 ioas2, hwpt_id;

	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_hwpt_alloc(self->idev_id, ioas2, 0, &hwpt_id);
	test_err_destroy(EBUSY, ioas2);
	test_ioctl_destroy(hwpt_id);
	test_ioctl_destroy(ioas2);
}

TEST_F(hwpt_paging, paging_hwpt_joins_its_ioas)
{
	__u32 ioas2, hwpt_id, huge_id;

	/* iommufd_hwpt_paging_alloc() -> iopt_table_add_domain(): even
	 * with no device attached the domain narrows the IOAS and holds its
	 * mappings */
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, 2 * PSZ,
				     APERTURE_START);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 0);
	test_cmd_hwpt_alloc(self->idev_id, ioas2, 0, &hwpt_id);
	expect_mock_aperture(ioas2);
	test_cmd_md_check_map(hwpt_id, self->buf, APERTURE_START, 2 * PSZ);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 1);

	/* MOCK_IOMMUPT_HUGE: smallest page PAGE_SIZE, no mock aperture */
	test_cmd_hwpt_alloc_pgtable(self->idev_id, ioas2, 0, MOCK_IOMMUPT_HUGE,
				    &huge_id);
	test_cmd_md_check_map(huge_id, self->buf, APERTURE_START, 2 * PSZ);
	expect_one_range(ioas2, APERTURE_START, APERTURE_LAST, PSZ);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 1);
	test_ioctl_destroy(huge_id);
	expect_mock_aperture(ioas2);

	test_ioctl_destroy(hwpt_id);
	expect_unrestricted(ioas2);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 0);
	test_ioctl_ioas_unmap_id(ioas2, APERTURE_START, 2 * PSZ);
	test_ioctl_destroy(ioas2);
}

TEST_F(hwpt_paging, a_user_hwpt_joins_its_ioas_at_once)
{
	struct iommu_iova_range ranges[2];
	uint64_t alignment;
	__u32 ioas, hwpt, num = 2;

	test_ioctl_ioas_alloc(&ioas);
	test_ioctl_ioas_map_fixed_id(ioas, buffer, 4 * PSZ,
				     MOCK_APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, ioas, 0, &hwpt);
	/* narrowed with no device attached, and the mapping is there */
	ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(self->fd, ioas, ranges, &num,
						  &alignment));
	ASSERT_EQ(1, num);
	EXPECT_EQ(MOCK_APERTURE_START, ranges[0].start);
	EXPECT_EQ(MOCK_APERTURE_LAST, ranges[0].last);
	EXPECT_EQ(MOCK_PAGE_SIZE, alignment);
	test_cmd_md_check_map(hwpt, buffer, MOCK_APERTURE_START, 4 * PSZ);
	/* it holds the IOAS; nothing holds it */
	test_err_destroy(EBUSY, ioas);
	test_ioctl_destroy(hwpt);
	num = 2;
	ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(self->fd, ioas, ranges, &num,
						  &alignment));
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(1, alignment);
	test_ioctl_destroy(ioas);
}

TEST_F(hwpt_paging, paging_hwpt_fails_on_a_conflicting_ioas)
{
	__u32 ioas2, hwpt_id;

	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, PSZ, 0);
	test_err_hwpt_alloc(EADDRINUSE, self->idev_id, ioas2, 0, &hwpt_id);
	expect_unrestricted(ioas2);
	/* nothing holds ioas2 */
	test_ioctl_destroy(ioas2);
}

TEST_F(hwpt_paging, a_mapping_outside_the_aperture_refuses_it)
{
	__u32 ioas, id;

	test_ioctl_ioas_alloc(&ioas);
	test_ioctl_ioas_map_fixed_id(ioas, buffer, PSZ, PSZ);
	test_err_hwpt_alloc(EADDRINUSE, self->idev_id, ioas, 0, NULL);
	/* nothing was left behind: the next ID is the one after the IOAS */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(ioas + 1, id);
}

TEST_HARNESS_MAIN
