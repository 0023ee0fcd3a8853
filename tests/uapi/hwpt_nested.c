// SPDX-License-Identifier: MIT
/*
 * Nested HWPTs and their invalidation, with the selftest mock driver: the
 * seed review's rules (a nested HWPT has its own allocation path from a
 * NEST_PARENT paging HWPT made by the user; data_type and data_len go
 * together; automatic and nested HWPTs are never parents), the mock's
 * 4-entry IOTLB, and IOMMU_HWPT_INVALIDATE's array protocol. Expected
 * values are the kernel's (hw_pagetable.c, selftest.c).
 */
#include "hwpt_utils.h"

/* Short names over hwpt_utils.h for this file's many calls. */
static int _hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
		       __u32 data_type, const void *data, __u32 data_len,
		       __u32 *out)
{
	return _test_cmd_hwpt_alloc(fd, dev_id, pt_id, flags, 0, data_type,
				    data, data_len, out);
}

static int _check_iotlb(int fd, __u32 hwpt, __u32 id, __u32 value)
{
	return _test_cmd_md_check_iotlb(fd, hwpt, id, value);
}

static int _invalidate(int fd, __u32 hwpt, __u32 type, const void *entries,
		       __u32 entry_len, __u32 *entry_num)
{
	return _test_cmd_hwpt_invalidate(fd, hwpt, entries, type, entry_len,
					 entry_num);
}

static int _mock_domain(int fd, __u32 pt_id, __u32 flags, __u32 *stdev,
			__u32 *hwpt, __u32 *idev)
{
	return _test_cmd_mock_domain_flags(fd, pt_id, flags, stdev, hwpt, idev);
}

#define IOTLB 0xbadbeef

FIXTURE(nested)
{
	int fd;
	__u32 ioas_id, idev, parent, nested;
	struct iommu_hwpt_selftest data;
};

FIXTURE_SETUP(nested)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	ASSERT_EQ(0, _mock_domain(self->fd, self->ioas_id, 0, NULL, NULL,
				  &self->idev));
	ASSERT_EQ(0, _hwpt_alloc(self->fd, self->idev, self->ioas_id,
				 IOMMU_HWPT_ALLOC_NEST_PARENT,
				 IOMMU_HWPT_DATA_NONE, NULL, 0,
				 &self->parent));
	self->data.iotlb = IOTLB;
	ASSERT_EQ(0, _hwpt_alloc(self->fd, self->idev, self->parent, 0,
				 IOMMU_HWPT_DATA_SELFTEST, &self->data,
				 sizeof(self->data), &self->nested));
}

FIXTURE_TEARDOWN(nested)
{
	ASSERT_EQ(0, close(self->fd));
}

TEST_F(nested, iotlb_starts_with_the_users_value)
{
	for (__u32 i = 0; i <= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; i++)
		EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, i, IOTLB));
	EXPECT_ERRNO(EINVAL, _check_iotlb(self->fd, self->nested, 0, 0));
	EXPECT_ERRNO(EINVAL, _check_iotlb(self->fd, self->nested,
					  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1,
					  IOTLB));
	/* only nested HWPTs have one */
	EXPECT_ERRNO(ENOENT, _check_iotlb(self->fd, self->parent, 0, IOTLB));
	/* any value is taken */
	struct iommu_hwpt_selftest odd = { .iotlb = 0xffffffff };
	__u32 other;

	ASSERT_EQ(0, _hwpt_alloc(self->fd, self->idev, self->parent, 0,
				 IOMMU_HWPT_DATA_SELFTEST, &odd, sizeof(odd),
				 &other));
	EXPECT_EQ(0, _check_iotlb(self->fd, other, 3, 0xffffffff));
}

TEST_F(nested, seed_rule_only_a_users_nest_parent_can_be_a_parent)
{
	__u32 plain, auto_hwpt, dummy;

	/* a paging HWPT made without NEST_PARENT */
	ASSERT_EQ(0, _hwpt_alloc(self->fd, self->idev, self->ioas_id, 0,
				 IOMMU_HWPT_DATA_NONE, NULL, 0, &plain));
	EXPECT_ERRNO(EINVAL, _hwpt_alloc(self->fd, self->idev, plain, 0,
					 IOMMU_HWPT_DATA_SELFTEST, &self->data,
					 sizeof(self->data), &dummy));
	/* an automatic HWPT */
	ASSERT_EQ(0, _mock_domain(self->fd, self->ioas_id, 0, NULL, &auto_hwpt,
				  NULL));
	EXPECT_ERRNO(EINVAL, _hwpt_alloc(self->fd, self->idev, auto_hwpt, 0,
					 IOMMU_HWPT_DATA_SELFTEST, &self->data,
					 sizeof(self->data), &dummy));
	/* a nested HWPT */
	EXPECT_ERRNO(EINVAL, _hwpt_alloc(self->fd, self->idev, self->nested, 0,
					 IOMMU_HWPT_DATA_SELFTEST, &self->data,
					 sizeof(self->data), &dummy));
}

TEST_F(nested, seed_rule_nested_needs_data)
{
	__u32 dummy;

	/* NONE with no length passes the general rule, but a nested HWPT
	 * is nothing without its driver's data */
	EXPECT_ERRNO(EOPNOTSUPP, _hwpt_alloc(self->fd, self->idev, self->parent,
					     0, IOMMU_HWPT_DATA_NONE, NULL, 0,
					     &dummy));
	/* and the general rule still comes first */
	EXPECT_ERRNO(EINVAL, _hwpt_alloc(self->fd, self->idev, self->parent, 0,
					 IOMMU_HWPT_DATA_SELFTEST, &self->data,
					 0, &dummy));
}

TEST_F(nested, flags_and_data)
{
	__u32 dummy;
	uint8_t longer[16] = { 0 };

	/* paging-only flags */
	EXPECT_ERRNO(EOPNOTSUPP,
		     _hwpt_alloc(self->fd, self->idev, self->parent,
				 IOMMU_HWPT_ALLOC_NEST_PARENT,
				 IOMMU_HWPT_DATA_SELFTEST, &self->data,
				 sizeof(self->data), &dummy));
	EXPECT_ERRNO(EOPNOTSUPP,
		     _hwpt_alloc(self->fd, self->idev, self->parent,
				 IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				 IOMMU_HWPT_DATA_SELFTEST, &self->data,
				 sizeof(self->data), &dummy));
	/* PASID is fine */
	EXPECT_EQ(0, _hwpt_alloc(self->fd, self->idev, self->parent,
				 IOMMU_HWPT_ALLOC_PASID,
				 IOMMU_HWPT_DATA_SELFTEST, &self->data,
				 sizeof(self->data), &dummy));
	/* another driver's data */
	EXPECT_ERRNO(EOPNOTSUPP,
		     _hwpt_alloc(self->fd, self->idev, self->parent, 0,
				 IOMMU_HWPT_DATA_VTD_S1, &self->data,
				 sizeof(self->data), &dummy));
	/* the driver-data length rule */
	EXPECT_ERRNO(EINVAL, _hwpt_alloc(self->fd, self->idev, self->parent, 0,
					 IOMMU_HWPT_DATA_SELFTEST, &self->data,
					 3, &dummy));
	EXPECT_ERRNO(EINVAL, _hwpt_alloc(self->fd, self->idev, self->parent, 0,
					 IOMMU_HWPT_DATA_SELFTEST, longer, 9,
					 &dummy));
	EXPECT_EQ(0, _hwpt_alloc(self->fd, self->idev, self->parent, 0,
				 IOMMU_HWPT_DATA_SELFTEST, &self->data, 4,
				 &dummy));
	EXPECT_ERRNO(EFAULT, _hwpt_alloc(self->fd, self->idev, self->parent, 0,
					 IOMMU_HWPT_DATA_SELFTEST, NULL, 8,
					 &dummy));
	/* no fault queue exists to name */
	EXPECT_ERRNO(ENOENT,
		     _hwpt_alloc(self->fd, self->idev, self->parent,
				 IOMMU_HWPT_FAULT_ID_VALID,
				 IOMMU_HWPT_DATA_SELFTEST, &self->data,
				 sizeof(self->data), &dummy));
}

TEST_F(nested, busy_rules)
{
	__u32 stdev, hwpt;

	/* the nested HWPT holds its parent, the parent its IOAS */
	test_err_destroy(EBUSY, self->parent);
	test_err_destroy(EBUSY, self->ioas_id);
	/* a device on the nested HWPT holds it */
	ASSERT_EQ(0, _mock_domain(self->fd, self->nested, 0, &stdev, &hwpt,
				  NULL));
	EXPECT_EQ(self->nested, hwpt);
	test_err_destroy(EBUSY, self->nested);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(self->nested);
	test_ioctl_destroy(self->parent);
	/* the fixture's device still holds it, through its automatic HWPT */
	test_err_destroy(EBUSY, self->ioas_id);
}

TEST_F(nested, invalidate_entries)
{
	struct iommu_hwpt_invalidate_selftest inv[3] = {
		{ .iotlb_id = 1 },
		{ .iotlb_id = 3 },
	};
	__u32 num = 2;

	ASSERT_EQ(0, _invalidate(self->fd, self->nested,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, inv,
				 sizeof(inv[0]), &num));
	EXPECT_EQ(2, num);
	EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, 0, IOTLB));
	EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, 1, 0));
	EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, 2, IOTLB));
	EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, 3, 0));
	/* "all" clears everything */
	inv[0] = (struct iommu_hwpt_invalidate_selftest){
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
	};
	num = 1;
	ASSERT_EQ(0, _invalidate(self->fd, self->nested,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, inv,
				 sizeof(inv[0]), &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, 0, 0));
	EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, 2, 0));
	/* nothing to do is fine */
	num = 0;
	ASSERT_EQ(0, _invalidate(self->fd, self->nested,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, NULL, 0,
				 &num));
	EXPECT_EQ(0, num);
}

TEST_F(nested, invalidate_stops_at_the_first_bad_entry)
{
	struct iommu_hwpt_invalidate_selftest inv[3] = {
		{ .iotlb_id = 0 },
		{ .iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 },
		{ .iotlb_id = 2 },
	};
	__u32 num = 3;

	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->nested,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 inv, sizeof(inv[0]), &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, 0, 0));
	EXPECT_EQ(0, _check_iotlb(self->fd, self->nested, 2, IOTLB));
	/* a bad id is refused even with "all" */
	inv[1].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	num = 3;
	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->nested,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 inv, sizeof(inv[0]), &num));
	EXPECT_EQ(1, num);
	/* unknown flags */
	inv[1] = (struct iommu_hwpt_invalidate_selftest){ .flags = 1u << 1 };
	num = 3;
	EXPECT_ERRNO(EOPNOTSUPP, _invalidate(self->fd, self->nested,
					     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					     inv, sizeof(inv[0]), &num));
	EXPECT_EQ(1, num);
	/* an entry past the end of the memory */
	num = 2;
	EXPECT_ERRNO(EFAULT, _invalidate(self->fd, self->nested,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 BUF(BUFFER_SIZE - 8), 8, &num));
	EXPECT_EQ(1, num);
}

TEST_F(nested, invalidate_array_checks)
{
	struct iommu_hwpt_invalidate_selftest inv[2] = { 0 };
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = self->nested,
		.data_uptr = (uintptr_t)inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(inv[0]),
		.entry_num = 1,
		.__reserved = 1,
	};
	__u32 num;

	/* entry_num is written back (0) even for an early failure */
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(0, cmd.entry_num);
	/* entries without a pointer or a length */
	num = 1;
	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->nested,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 NULL, sizeof(inv[0]), &num));
	num = 1;
	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->nested,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 inv, 0, &num));
	/* the entry length is exact: shorter or longer is EINVAL */
	num = 1;
	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->nested,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 inv, 7, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->nested,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 inv, 9, &num));
	/* the wrong data type, even with nothing to do */
	num = 0;
	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->nested,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
					 inv, sizeof(inv[0]), &num));
	/* only nested HWPTs are invalidated this way */
	num = 1;
	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->parent,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 inv, sizeof(inv[0]), &num));
	num = 1;
	EXPECT_ERRNO(EINVAL, _invalidate(self->fd, self->ioas_id,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 inv, sizeof(inv[0]), &num));
	num = 1;
	EXPECT_ERRNO(ENOENT, _invalidate(self->fd, 99,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 inv, sizeof(inv[0]), &num));
	EXPECT_EQ(0, num);
}

TEST_HARNESS_MAIN
