// SPDX-License-Identifier: MIT
/*
 * IOMMU_GET_HW_INFO on mock devices (the kernel's iommufd_get_hw_info() and
 * the selftest's mock_domain_hw_info()): the check order, the data copied
 * up to the caller's length and zero-filled past the driver's, the length
 * given back, the input type, capabilities and PASID width.
 */
#include "iommufd_utils.h"

/* One mock device on an IOAS. */
FIXTURE(hw_info)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 hwpt_id;
	__u32 idev_id;
};

FIXTURE_SETUP(hw_info)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, &self->stdev_id, &self->hwpt_id,
			     &self->idev_id);
}

FIXTURE_TEARDOWN(hw_info)
{
	ASSERT_EQ(0, close(self->fd));
}

TEST_F(hw_info, fields)
{
	struct iommu_test_hw_info data;
	struct iommu_hw_info info;

	memset(&data, 0xaa, sizeof(data));
	test_cmd_get_hw_info(self->idev_id, &data, sizeof(data), &info);
	EXPECT_EQ(sizeof(struct iommu_test_hw_info), info.data_len);
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	EXPECT_EQ(0, data.flags);
	EXPECT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, data.test_reg);
	/* mock_domain_capable(): dirty tracking yes, PCI ATS no */
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING |
			  IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED,
		  info.out_capabilities);
	/* a mock device without MOCK_FLAGS_DEVICE_PASID has no PASIDs */
	EXPECT_EQ(0, info.out_max_pasid_log2);
}

TEST_F(hw_info, selftest_data)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info out;

	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id, 0, 0, &info,
				  sizeof(info), &out));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, out.out_data_type);
	EXPECT_EQ(sizeof(info), out.data_len);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, info.test_reg);
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING |
			  IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED,
		  out.out_capabilities);
	EXPECT_EQ(0, out.out_max_pasid_log2);
}

TEST_F(hw_info, buffer_sizes)
{
	uint8_t out[32];
	struct iommu_hw_info info;
	struct iommu_test_hw_info expect = {
		.test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL,
	};

	/* none: only the full length comes back */
	test_cmd_get_hw_info(self->idev_id, NULL, 0, &info);
	EXPECT_EQ(sizeof(expect), info.data_len);
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);

	/* shorter: the first bytes, nothing past data_len touched */
	memset(out, 0xaa, sizeof(out));
	test_cmd_get_hw_info(self->idev_id, out, 4, &info);
	EXPECT_EQ(sizeof(expect), info.data_len);
	EXPECT_EQ(0, memcmp(out, &expect, 4));
	for (unsigned int i = 4; i < sizeof(out); i++)
		EXPECT_EQ(0xaa, out[i]);

	/* longer: the payload, then zeroes up to data_len, nothing after */
	memset(out, 0xaa, sizeof(out));
	test_cmd_get_hw_info(self->idev_id, out, 24, &info);
	EXPECT_EQ(sizeof(expect), info.data_len);
	EXPECT_EQ(0, memcmp(out, &expect, sizeof(expect)));
	for (unsigned int i = sizeof(expect); i < 24; i++)
		EXPECT_EQ(0, out[i]);
	for (unsigned int i = 24; i < sizeof(out); i++)
		EXPECT_EQ(0xaa, out[i]);
}

TEST_F(hw_info, short_and_long_buffers)
{
	uint8_t buf[64];
	struct iommu_hw_info out;

	/* shorter: only that much is written, the full length comes back */
	memset(buf, 0xaa, sizeof(buf));
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id, 0, 0, buf,
					   4, &out));
	EXPECT_EQ(8, out.data_len);
	EXPECT_EQ(0, buf[0]);
	EXPECT_EQ(0xaa, buf[4]);
	/* longer: the rest is zero-filled */
	memset(buf, 0xaa, sizeof(buf));
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id, 0, 0, buf,
					   sizeof(buf), &out));
	EXPECT_EQ(8, out.data_len);
	for (unsigned int i = 8; i < sizeof(buf); i++)
		ASSERT_EQ(0, buf[i]);
	/* none at all: nothing is touched, not even a NULL pointer */
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id, 0, 0, NULL,
					   0, &out));
	EXPECT_EQ(8, out.data_len);
	/* a buffer that is not there */
	EXPECT_ERRNO(EFAULT, _test_cmd_get_hw_info(self->fd, self->idev_id, 0,
						   0, NULL, 8, NULL));
}

TEST_F(hw_info, bad_buffer)
{
	uint8_t *mem = mmap_touched(PSZ);

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, munmap(mem, PSZ));
	test_err_get_hw_info(EFAULT, self->idev_id, mem,
			     sizeof(struct iommu_test_hw_info));
	/* the zeroing of the tail faults the same way */
	test_err_get_hw_info(EFAULT, self->idev_id, mem, 64);
}

TEST_F(hw_info, flags_and_reserved)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
	};

	/* unknown flags, then __reserved[], both before the device */
	for (unsigned int bit = 1; bit < 32; bit++) {
		cmd.flags = 1u << bit;
		EXPECT_ERRNO(EOPNOTSUPP,
			     ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	}
	cmd.flags = 0;
	for (unsigned int i = 0; i < 3; i++) {
		memset(cmd.__reserved, 0, sizeof(cmd.__reserved));
		cmd.__reserved[i] = 1;
		EXPECT_ERRNO(EOPNOTSUPP,
			     ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
		cmd.dev_id = NO_SUCH_ID;
		EXPECT_ERRNO(EOPNOTSUPP,
			     ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
		cmd.dev_id = self->idev_id;
	}
	memset(cmd.__reserved, 0, sizeof(cmd.__reserved));
	cmd.flags = 1u << 5;
	cmd.dev_id = NO_SUCH_ID;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
}

TEST_F(hw_info, check_order_and_input_type)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = 1u << 1,
		.dev_id = 99,
	};
	uint8_t buf[8];

	/* unknown flags, then reserved bytes, then the device */
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.flags = 0;
	cmd.__reserved[2] = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.__reserved[2] = 0;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	/* an IOAS is not a device */
	EXPECT_ERRNO(ENOENT, _test_cmd_get_hw_info(self->fd, self->ioas_id, 0,
						   0, buf, 8, NULL));
	/* without the flag, any input type reads as DEFAULT */
	EXPECT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id, 0, 0x1234,
					   buf, 8, NULL));
	/* with it, the driver's own type or DEFAULT, else EOPNOTSUPP */
	EXPECT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_SELFTEST, buf, 8,
					   NULL));
	EXPECT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_DEFAULT, buf, 8,
					   NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_INTEL_VTD, buf, 8,
					   NULL));
}

TEST_F(hw_info, input_type)
{
	struct iommu_test_hw_info data;
	struct iommu_hw_info info;

	/* without the flag the field is an output only: garbage ignored */
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id, 0,
					   0x1234, &data, sizeof(data), &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);

	/* with it, the mock answers DEFAULT and its own type */
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_SELFTEST, &data,
					   sizeof(data), &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_DEFAULT, &data,
					   sizeof(data), &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	/* and nothing else */
	EXPECT_ERRNO(EOPNOTSUPP,
		     _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_INTEL_VTD, &data,
					   sizeof(data), NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   0x1234, &data, sizeof(data), NULL));
}

TEST_F(hw_info, dev_id_must_be_a_device)
{
	struct iommu_test_hw_info data;

	test_err_get_hw_info(ENOENT, 0, &data, sizeof(data));
	test_err_get_hw_info(ENOENT, NO_SUCH_ID, &data, sizeof(data));
	test_err_get_hw_info(ENOENT, self->ioas_id, &data, sizeof(data));
	test_err_get_hw_info(ENOENT, self->hwpt_id, &data, sizeof(data));
	test_err_get_hw_info(ENOENT, self->stdev_id, &data, sizeof(data));
}

TEST_F(hw_info, device_flags)
{
	struct iommu_hw_info info;
	__u32 idev;

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, &idev);
	test_cmd_get_hw_info(idev, NULL, 0, &info);
	EXPECT_EQ(0, info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_PASID,
				   NULL, NULL, &idev);
	test_cmd_get_hw_info(idev, NULL, 0, &info);
	EXPECT_EQ(MOCK_PASID_WIDTH, info.out_max_pasid_log2);
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING,
		  info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	/* not a PCI device: no PASID execute/privileged bits */
	EXPECT_EQ(0, info.out_capabilities & (IOMMU_HW_CAP_PCI_PASID_EXEC |
					      IOMMU_HW_CAP_PCI_PASID_PRIV));
}

TEST_F(hw_info, device_flags_show)
{
	__u32 no_dirty, pasid;
	struct iommu_hw_info out;

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, &no_dirty);
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, no_dirty, 0, 0, NULL, 0,
					   &out));
	EXPECT_EQ(IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, out.out_capabilities);
	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_PASID, NULL,
				   NULL, &pasid);
	ASSERT_EQ(0,
		  _test_cmd_get_hw_info(self->fd, pasid, 0, 0, NULL, 0, &out));
	EXPECT_EQ(20, out.out_max_pasid_log2);
}

TEST_HARNESS_MAIN
