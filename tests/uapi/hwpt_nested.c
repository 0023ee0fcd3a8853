// SPDX-License-Identifier: MIT
/*
 * Nested HWPTs and their invalidation, with the selftest mock driver: the
 * seed review's rules (a nested HWPT has its own allocation path, from a
 * NEST_PARENT paging HWPT made by the user, and touches no IOAS; data_type
 * and data_len go together; automatic and nested HWPTs are never parents),
 * the driver data, attaching devices to nested HWPTs, the mock's 4-entry
 * IOTLB (MD_CHECK_IOTLB) and IOMMU_HWPT_INVALIDATE's array protocol.
 * IOMMU_HWPT_ALLOC's checks shared with paging HWPTs: hwpt_paging.c.
 *
 * Every expected value follows the kernel's code (hw_pagetable.c,
 * selftest.c: iommufd_hwpt_nested_alloc(), mock_domain_alloc_nested(),
 * iommufd_hwpt_invalidate(), mock_domain_cache_invalidate_user()); where
 * two things are wrong at once, the errno asserted is the one the kernel's
 * check order gives.
 */
#include "iommufd_utils.h"

/* One mock device on an IOAS, and a NEST_PARENT HWPT made for it there. */
FIXTURE(hwpt_nested)
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

FIXTURE_SETUP(hwpt_nested)
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

FIXTURE_TEARDOWN(hwpt_nested)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

/* An IOTLB value no entry has by chance, and the data that asks for it. */
#define IOTLB 0xbadbeef
static const struct iommu_hwpt_selftest iotlb_data = { .iotlb = IOTLB };

/* ---- nested HWPTs: iommufd_hwpt_nested_alloc(), mock_domain_alloc_nested() */

TEST_F(hwpt_nested, nested_alloc)
{
	struct iommu_hwpt_selftest data = { .iotlb = 0x12345678 };
	__u32 nested[2];

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[0]);
	/* __mock_domain_alloc_nested(): every entry starts as data.iotlb */
	test_cmd_hwpt_check_iotlb_all(nested[0], IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0,
				   &nested[1], IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_cmd_hwpt_check_iotlb_all(nested[1], 0x12345678);
	EXPECT_NE(nested[0], nested[1]);
	test_ioctl_destroy(nested[0]);
	test_ioctl_destroy(nested[1]);
}

TEST_F(hwpt_nested, iotlb_starts_with_the_users_value)
{
	struct iommu_hwpt_selftest odd = { .iotlb = 0xffffffff };
	__u32 nested, other;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id, IOTLB,
				     &nested);
	for (__u32 i = 0; i <= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; i++)
		test_cmd_hwpt_check_iotlb(nested, i, IOTLB);
	test_err_hwpt_check_iotlb(EINVAL, nested, 0, 0);
	test_err_hwpt_check_iotlb(EINVAL, nested,
				  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1, IOTLB);
	/* only nested HWPTs have one */
	test_err_hwpt_check_iotlb(ENOENT, self->parent_id, 0, IOTLB);
	/* any value is taken */
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0, &other,
				   IOMMU_HWPT_DATA_SELFTEST, &odd, sizeof(odd));
	test_cmd_hwpt_check_iotlb(other, 3, 0xffffffff);
}

TEST_F(hwpt_nested, nested_data_rules)
{
	struct {
		struct iommu_hwpt_selftest cfg;
		__u32 tail[3];
	} data = { .cfg = { .iotlb = 0x77 } };
	__u32 hwpt_id;

	/* type first: another driver's data */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   0, &hwpt_id, IOMMU_HWPT_DATA_SELFTEST + 1,
				   &data, sizeof(data.cfg));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   0, &hwpt_id, IOMMU_HWPT_DATA_ARM_SMMUV3,
				   &data, 1);
	/* iommu_copy_struct_from_user(): at least up to iotlb ... */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   offsetofend(struct iommu_hwpt_selftest,
					       iotlb) - 1);
	/* ... at most the struct the kernel knows */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg) + 1);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_err_hwpt_alloc_nested(EFAULT, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, NULL,
				   sizeof(data.cfg));

	/* the first version of the struct, and the whole of it */
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   offsetofend(struct iommu_hwpt_selftest,
					       iotlb));
	test_cmd_hwpt_check_iotlb_all(hwpt_id, 0x77);
	test_ioctl_destroy(hwpt_id);
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg));
	test_cmd_hwpt_check_iotlb_all(hwpt_id, 0x77);
	test_ioctl_destroy(hwpt_id);
}

TEST_F(hwpt_nested, flags_and_data)
{
	uint8_t longer[16] = { 0 };
	__u32 dummy;

	/* paging-only flags */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, &dummy,
				   IOMMU_HWPT_DATA_SELFTEST, &iotlb_data,
				   sizeof(iotlb_data));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dummy,
				   IOMMU_HWPT_DATA_SELFTEST, &iotlb_data,
				   sizeof(iotlb_data));
	/* PASID is fine */
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_PASID, &dummy,
				   IOMMU_HWPT_DATA_SELFTEST, &iotlb_data,
				   sizeof(iotlb_data));
	/* another driver's data */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   0, &dummy, IOMMU_HWPT_DATA_VTD_S1,
				   &iotlb_data, sizeof(iotlb_data));
	/* the driver-data length rule */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &dummy, IOMMU_HWPT_DATA_SELFTEST,
				   &iotlb_data, 3);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &dummy, IOMMU_HWPT_DATA_SELFTEST, longer, 9);
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0, &dummy,
				   IOMMU_HWPT_DATA_SELFTEST, &iotlb_data, 4);
	test_err_hwpt_alloc_nested(EFAULT, self->idev_id, self->parent_id, 0,
				   &dummy, IOMMU_HWPT_DATA_SELFTEST, NULL, 8);
	/* no fault queue exists to name */
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->parent_id,
				  IOMMU_HWPT_FAULT_ID_VALID, 0, &dummy,
				  IOMMU_HWPT_DATA_SELFTEST, &iotlb_data,
				  sizeof(iotlb_data));
}

TEST_F(hwpt_nested, nested_flags)
{
	__u32 hwpt_id;

	/* iommufd_hwpt_nested_alloc(): only FAULT_ID_VALID and PASID */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	for (unsigned int bit = 4; bit < 32; bit++)
		test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id,
					   self->parent_id, 1u << bit,
					   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
					   &default_data,
					   sizeof(default_data));
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_PASID, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	test_ioctl_destroy(hwpt_id);
}

TEST_F(hwpt_nested, nested_needs_data)
{
	__u32 hwpt_id;

	/* data_type NONE passes the command's rule, but a nested HWPT
	 * cannot be built without data: EOPNOTSUPP */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   0, &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
}

TEST_F(hwpt_nested, seed_rule_nested_needs_data)
{
	__u32 dummy;

	/* NONE with no length passes the general rule, but a nested HWPT
	 * is nothing without its driver's data */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   0, &dummy, IOMMU_HWPT_DATA_NONE, NULL, 0);
	/* and the general rule still comes first */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &dummy, IOMMU_HWPT_DATA_SELFTEST,
				   &iotlb_data, 0);
}

TEST_F(hwpt_nested, nested_parent_must_be_a_nest_parent)
{
	__u32 plain, hwpt_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, 0, &plain);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, plain, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	/* the flags are checked before the parent */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, plain,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	/* and the parent before the driver looks at the data */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, plain, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST + 1, &default_data,
				   sizeof(default_data));
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, plain, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, NULL,
				   sizeof(default_data));
}

TEST_F(hwpt_nested, auto_hwpt_can_never_be_a_parent)
{
	__u32 hwpt_id;

	/* seed rule 3: parent->auto_domain */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->hwpt_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
				   &default_data, sizeof(default_data));
}

TEST_F(hwpt_nested, nested_hwpt_can_never_be_a_parent)
{
	__u32 nested, hwpt_id;

	/* seed rule 3: a nested HWPT is not IOMMUFD_OBJ_HWPT_PAGING */
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, nested, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	/* nor is it an IOAS to build a paging HWPT from */
	test_err_hwpt_alloc(EINVAL, self->idev_id, nested, 0, &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, nested,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt_id);
}

TEST_F(hwpt_nested, seed_rule_only_a_users_nest_parent_can_be_a_parent)
{
	__u32 nested, plain, auto_hwpt, dummy;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id, IOTLB,
				     &nested);
	/* a paging HWPT made without NEST_PARENT */
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, 0, &plain);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, plain, 0, &dummy,
				   IOMMU_HWPT_DATA_SELFTEST, &iotlb_data,
				   sizeof(iotlb_data));
	/* an automatic HWPT */
	test_cmd_mock_domain_flags(self->ioas_id, 0, NULL, &auto_hwpt, NULL);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, auto_hwpt, 0, &dummy,
				   IOMMU_HWPT_DATA_SELFTEST, &iotlb_data,
				   sizeof(iotlb_data));
	/* a nested HWPT */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, nested, 0, &dummy,
				   IOMMU_HWPT_DATA_SELFTEST, &iotlb_data,
				   sizeof(iotlb_data));
}

TEST_F(hwpt_nested, nested_hwpt_keeps_its_parent_busy)
{
	__u32 nested[2];

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[0]);
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[1]);
	test_err_destroy(EBUSY, self->parent_id);
	test_ioctl_destroy(nested[0]);
	test_err_destroy(EBUSY, self->parent_id);
	test_ioctl_destroy(nested[1]);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(hwpt_nested, busy_rules)
{
	__u32 nested, stdev, hwpt;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id, IOTLB,
				     &nested);
	/* the nested HWPT holds its parent, the parent its IOAS */
	test_err_destroy(EBUSY, self->parent_id);
	test_err_destroy(EBUSY, self->ioas_id);
	/* a device on the nested HWPT holds it */
	test_cmd_mock_domain_flags(nested, 0, &stdev, &hwpt, NULL);
	EXPECT_EQ(nested, hwpt);
	test_err_destroy(EBUSY, nested);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(nested);
	test_ioctl_destroy(self->parent_id);
	/* the fixture's device still holds it, through its automatic HWPT */
	test_err_destroy(EBUSY, self->ioas_id);
}

TEST_F(hwpt_nested, nested_fault_id_without_a_fault_queue)
{
	__u32 hwpt_id = 0x5555;

	/* the nested HWPT is built, then iommufd_get_fault() fails and it
	 * is unwound, giving its parent back */
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->parent_id,
				  IOMMU_HWPT_FAULT_ID_VALID, 0, &hwpt_id,
				  IOMMU_HWPT_DATA_SELFTEST, &default_data,
				  sizeof(default_data));
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->parent_id,
				  IOMMU_HWPT_FAULT_ID_VALID, self->ioas_id,
				  &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
				  &default_data, sizeof(default_data));
	EXPECT_EQ(0x5555, hwpt_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(hwpt_nested, nested_hwpt_does_not_touch_the_ioas)
{
	struct iommu_iova_range before[8], after[8];
	uint64_t align_before = 0, align_after = 0;
	__u32 ioas2, parent, nested, num_before, num_after;
	__u64 bitmap[1] = {};
	__u64 val64;

	/* seed rule 2: a nested HWPT takes no IOAS reference and makes no
	 * io_pagetable call; only its parent is in the IOAS */
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, 2 * PSZ,
				     APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, ioas2, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &parent);
	get_ranges(ioas2, before, &num_before, &align_before);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 1);

	test_cmd_hwpt_alloc_selftest(self->idev_id, parent,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);

	/* the IOAS looks exactly the same */
	get_ranges(ioas2, after, &num_after, &align_after);
	ASSERT_EQ(num_before, num_after);
	EXPECT_EQ(align_before, align_after);
	for (unsigned int i = 0; i < num_after; i++) {
		EXPECT_EQ(before[i].start, after[i].start);
		EXPECT_EQ(before[i].last, after[i].last);
	}
	/* nothing more is pinned */
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 1);

	/* the nested HWPT is no paging HWPT and no IOAS to anyone */
	test_err_md_check_map(ENOENT, nested, self->buf, APERTURE_START,
			      2 * PSZ);
	test_err_set_dirty_tracking(ENOENT, nested,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	test_err_get_dirty_bitmap(ENOENT, nested, APERTURE_START, 2 * PSZ, PSZ,
				  bitmap, 0);
	val64 = 0;
	test_err_ioctl_option(ENOENT, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, nested, &val64);
	test_err_ioctl_ioas_map_fixed_id(ENOENT, nested, self->buf, PSZ,
					 APERTURE_START + 16 * PSZ);

	/* the IOAS goes on as before, through the parent */
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, PSZ,
				     APERTURE_START + 16 * PSZ);
	test_cmd_md_check_map(parent, self->buf, APERTURE_START + 16 * PSZ,
			      PSZ);
	test_ioctl_ioas_unmap_id(ioas2, APERTURE_START + 16 * PSZ, PSZ);

	/* only the parent holds the IOAS */
	test_err_destroy(EBUSY, ioas2);
	test_err_destroy(EBUSY, parent);
	test_ioctl_destroy(nested);
	get_ranges(ioas2, after, &num_after, &align_after);
	ASSERT_EQ(num_before, num_after);
	EXPECT_EQ(align_before, align_after);
	test_ioctl_destroy(parent);
	expect_unrestricted(ioas2);
	test_ioctl_destroy(ioas2);
}

TEST_F(hwpt_nested, attach_to_nested)
{
	__u32 nested[2], stdev, hwpt;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[0]);
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[1]);

	/* a new device straight onto a nested HWPT */
	test_cmd_mock_domain(nested[0], &stdev, &hwpt, NULL);
	EXPECT_EQ(nested[0], hwpt);
	test_err_destroy(EBUSY, nested[0]);
	test_ioctl_destroy(stdev);

	/* the fixture's device: IOAS -> nested -> nested -> parent -> IOAS */
	test_cmd_mock_domain_replace(self->stdev_id, nested[0]);
	/* its automatic HWPT was released */
	test_err_destroy(ENOENT, self->hwpt_id);
	test_err_destroy(EBUSY, nested[0]);

	test_cmd_mock_domain_replace(self->stdev_id, nested[1]);
	test_err_destroy(EBUSY, nested[1]);
	test_ioctl_destroy(nested[0]);

	test_cmd_mock_domain_replace(self->stdev_id, self->parent_id);
	test_ioctl_destroy(nested[1]);
	test_err_destroy(EBUSY, self->parent_id);

	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(hwpt_nested, md_check_iotlb_errors)
{
	__u32 nested;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* iommufd_test_md_check_iotlb(): four entries, exact value */
	test_err_hwpt_check_iotlb(EINVAL, nested,
				  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1,
				  IOMMU_TEST_IOTLB_DEFAULT);
	test_err_hwpt_check_iotlb(EINVAL, nested, 0, 0);
	/* get_md_pagetable_nested(): a nested HWPT only */
	test_err_hwpt_check_iotlb(ENOENT, self->parent_id, 0,
				  IOMMU_TEST_IOTLB_DEFAULT);
	test_err_hwpt_check_iotlb(ENOENT, self->hwpt_id, 0,
				  IOMMU_TEST_IOTLB_DEFAULT);
	test_err_hwpt_check_iotlb(ENOENT, NO_SUCH_ID, 0,
				  IOMMU_TEST_IOTLB_DEFAULT);
}

/* ---- IOMMU_HWPT_INVALIDATE: iommufd_hwpt_invalidate() and
 *      mock_domain_cache_invalidate_user() --------------------------------- */

TEST_F(hwpt_nested, invalidate_reserved_is_eopnotsupp)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = NO_SUCH_ID,
		.data_uptr = (uintptr_t)&req,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(req),
		.entry_num = 5,
		.__reserved = 1,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	/* the reply is written even on failure: nothing handled */
	EXPECT_EQ(0, cmd.entry_num);
}

TEST_F(hwpt_nested, invalidate_array_arguments)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* entries without an array or without a size, before the lookup */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, NO_SUCH_ID, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(hwpt_nested, invalidate_target)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	__u32 num;

	/* a nested HWPT (or a vIOMMU) only */
	num = 1;
	test_err_hwpt_invalidate(ENOENT, NO_SUCH_ID, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->parent_id, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->hwpt_id, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->ioas_id, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->idev_id, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
}

TEST_F(hwpt_nested, invalidate_empty_array_checks_the_type)
{
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	num = 0;
	test_cmd_hwpt_invalidate(nested, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num);
	EXPECT_EQ(0, num);
	num = 0;
	test_err_hwpt_invalidate(EINVAL, nested, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				 0, &num);
	EXPECT_EQ(0, num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(hwpt_nested, invalidate_wrong_type)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(hwpt_nested, invalidate_entry_len)
{
	struct iommu_hwpt_invalidate_selftest req[4] = {};
	__u32 nested, num;
	static const __u32 bad[] = { 1, 4, 7, 9, 12, 16 };

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* iommu_copy_struct_from_user_array(): each entry must be at least
	 * up to iotlb_id and at most the struct the kernel knows; longer is
	 * EINVAL even with a zero tail */
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		num = 1;
		test_err_hwpt_invalidate(EINVAL, nested, req,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 bad[i], &num);
		EXPECT_EQ(0, num);
	}
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(hwpt_nested, invalidate_unknown_flags)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	req.flags = 0xffffffff;
	num = 1;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	req.flags = 1u << 1;
	num = 1;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	/* flags come before the index */
	req.iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	num = 1;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(hwpt_nested, invalidate_bad_iotlb_id)
{
	struct iommu_hwpt_invalidate_selftest req = {
		.iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1,
	};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	/* the index is checked even with the "all" flag */
	req.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(hwpt_nested, invalidate_stops_at_the_first_error)
{
	struct iommu_hwpt_invalidate_selftest req[4] = {};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* entry 0 is done, entry 1 fails on its flags */
	req[0].iotlb_id = 0;
	req[1].flags = 0xffffffff;
	req[1].iotlb_id = 1;
	num = 2;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb(nested, 0, 0);
	test_cmd_hwpt_check_iotlb(nested, 1, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested, 2, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested, 3, IOMMU_TEST_IOTLB_DEFAULT);

	/* entries 0 and 1 done, entry 2 fails on its index, entry 3 (valid)
	 * is not carried out */
	req[0].iotlb_id = 1;
	req[1].flags = 0;
	req[1].iotlb_id = 2;
	req[2].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	req[3].iotlb_id = 3;
	num = 4;
	test_err_hwpt_invalidate(EINVAL, nested, req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(2, num);
	test_cmd_hwpt_check_iotlb(nested, 0, 0);
	test_cmd_hwpt_check_iotlb(nested, 1, 0);
	test_cmd_hwpt_check_iotlb(nested, 2, 0);
	test_cmd_hwpt_check_iotlb(nested, 3, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(hwpt_nested, invalidate_faults_midway)
{
	struct iommu_hwpt_invalidate_selftest *req;
	uint8_t *mem = mmap_touched(2 * PSZ);
	__u32 nested, num;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, munmap(mem + PSZ, PSZ));
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* entry 0 is the last 8 bytes of the page, entry 1 is past it */
	req = (void *)(mem + PSZ - sizeof(*req));
	req->flags = 0;
	req->iotlb_id = 3;
	num = 2;
	test_err_hwpt_invalidate(EFAULT, nested, req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(*req), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb(nested, 3, 0);
	test_cmd_hwpt_check_iotlb(nested, 0, IOMMU_TEST_IOTLB_DEFAULT);
	munmap(mem, PSZ);
}

TEST_F(hwpt_nested, invalidate_entries)
{
	struct iommu_hwpt_invalidate_selftest req[2] = {};
	__u32 nested[2], num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[0]);
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[1]);

	/* one entry */
	req[0].iotlb_id = 1;
	num = 1;
	test_cmd_hwpt_invalidate(nested[0], req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb(nested[0], 0, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested[0], 1, 0);
	test_cmd_hwpt_check_iotlb(nested[0], 2, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested[0], 3, IOMMU_TEST_IOTLB_DEFAULT);

	/* two at once */
	req[0].iotlb_id = 2;
	req[1].iotlb_id = 3;
	num = 2;
	test_cmd_hwpt_invalidate(nested[0], req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(2, num);
	test_cmd_hwpt_check_iotlb(nested[0], 0, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested[0], 1, 0);
	test_cmd_hwpt_check_iotlb(nested[0], 2, 0);
	test_cmd_hwpt_check_iotlb(nested[0], 3, 0);

	/* the same entry twice in one call */
	req[0].iotlb_id = 0;
	req[1].iotlb_id = 0;
	num = 2;
	test_cmd_hwpt_invalidate(nested[0], req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(2, num);
	test_cmd_hwpt_check_iotlb_all(nested[0], 0);

	/* "all", whatever the index; the other nested HWPT was untouched */
	test_cmd_hwpt_check_iotlb_all(nested[1], IOMMU_TEST_IOTLB_DEFAULT);
	req[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	req[0].iotlb_id = 2;
	num = 1;
	test_cmd_hwpt_invalidate(nested[1], req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb_all(nested[1], 0);
}

TEST_F(hwpt_nested, invalidate_while_attached)
{
	struct iommu_hwpt_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
	};
	__u32 nested, num = 1;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	test_cmd_mock_domain_replace(self->stdev_id, nested);
	test_cmd_hwpt_invalidate(nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb_all(nested, 0);
}

TEST_F(hwpt_nested, invalidate_some_then_all)
{
	struct iommu_hwpt_invalidate_selftest inv[3] = {
		{ .iotlb_id = 1 },
		{ .iotlb_id = 3 },
	};
	__u32 nested, num = 2;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id, IOTLB,
				     &nested);
	test_cmd_hwpt_invalidate(nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	EXPECT_EQ(2, num);
	test_cmd_hwpt_check_iotlb(nested, 0, IOTLB);
	test_cmd_hwpt_check_iotlb(nested, 1, 0);
	test_cmd_hwpt_check_iotlb(nested, 2, IOTLB);
	test_cmd_hwpt_check_iotlb(nested, 3, 0);
	/* "all" clears everything */
	inv[0] = (struct iommu_hwpt_invalidate_selftest){
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
	};
	num = 1;
	test_cmd_hwpt_invalidate(nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb(nested, 0, 0);
	test_cmd_hwpt_check_iotlb(nested, 2, 0);
	/* nothing to do is fine */
	num = 0;
	test_cmd_hwpt_invalidate(nested, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num);
	EXPECT_EQ(0, num);
}

TEST_F(hwpt_nested, invalidate_stops_at_the_first_bad_entry)
{
	struct iommu_hwpt_invalidate_selftest inv[3] = {
		{ .iotlb_id = 0 },
		{ .iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 },
		{ .iotlb_id = 2 },
	};
	__u32 nested, num = 3;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id, IOTLB,
				     &nested);
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb(nested, 0, 0);
	test_cmd_hwpt_check_iotlb(nested, 2, IOTLB);
	/* a bad id is refused even with "all" */
	inv[1].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	num = 3;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	EXPECT_EQ(1, num);
	/* unknown flags */
	inv[1] = (struct iommu_hwpt_invalidate_selftest){ .flags = 1u << 1 };
	num = 3;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	EXPECT_EQ(1, num);
	/* an entry past the end of the memory */
	num = 2;
	test_err_hwpt_invalidate(EFAULT, nested, BUF(BUFFER_SIZE - 8),
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 8, &num);
	EXPECT_EQ(1, num);
}

TEST_F(hwpt_nested, invalidate_array_checks)
{
	struct iommu_hwpt_invalidate_selftest inv[2] = { 0 };
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.data_uptr = (uintptr_t)inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(inv[0]),
		.entry_num = 1,
		.__reserved = 1,
	};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id, IOTLB,
				     &nested);
	cmd.hwpt_id = nested;
	/* entry_num is written back (0) even for an early failure */
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(0, cmd.entry_num);
	/* entries without a pointer or a length */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num);
	/* the entry length is exact: shorter or longer is EINVAL */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 7, &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 9, &num);
	/* the wrong data type, even with nothing to do */
	num = 0;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				 sizeof(inv[0]), &num);
	/* only nested HWPTs are invalidated this way */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->parent_id, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->ioas_id, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	num = 1;
	test_err_hwpt_invalidate(ENOENT, NO_SUCH_ID, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv[0]), &num);
	EXPECT_EQ(0, num);
}

TEST_HARNESS_MAIN
