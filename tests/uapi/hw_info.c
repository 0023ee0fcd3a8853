// SPDX-License-Identifier: MIT
/*
 * IOMMU_GET_HW_INFO on mock devices (the kernel's iommufd_get_hw_info() and
 * the selftest's mock hw_info): the check order, the data copied up to the
 * caller's length and zero-filled past the driver's, the length given back,
 * the input type, capabilities and PASID width.
 */
#include "hwpt_utils.h"

/* The tests here vary flags and input type, which test_cmd_get_hw_info()
 * always sends as 0. */
#define get_hw_info(dev_id, flags, in_type, data, data_len, out)              \
	_test_cmd_get_hw_info(self->fd, dev_id, flags, in_type, data,          \
			      data_len, out)

FIXTURE(hw_info)
{
	int fd;
	__u32 ioas_id, idev;
};

FIXTURE_SETUP(hw_info)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, NULL, NULL, &self->idev);
}

FIXTURE_TEARDOWN(hw_info)
{
	ASSERT_EQ(0, close(self->fd));
}

TEST_F(hw_info, selftest_data)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info out;

	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, get_hw_info(self->idev, 0, 0, &info,
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

TEST_F(hw_info, short_and_long_buffers)
{
	uint8_t buf[64];
	struct iommu_hw_info out;

	/* shorter: only that much is written, the full length comes back */
	memset(buf, 0xaa, sizeof(buf));
	ASSERT_EQ(0, get_hw_info(self->idev, 0, 0, buf, 4, &out));
	EXPECT_EQ(8, out.data_len);
	EXPECT_EQ(0, buf[0]);
	EXPECT_EQ(0xaa, buf[4]);
	/* longer: the rest is zero-filled */
	memset(buf, 0xaa, sizeof(buf));
	ASSERT_EQ(0, get_hw_info(self->idev, 0, 0, buf, sizeof(buf),
				  &out));
	EXPECT_EQ(8, out.data_len);
	for (unsigned int i = 8; i < sizeof(buf); i++)
		ASSERT_EQ(0, buf[i]);
	/* none at all: nothing is touched, not even a NULL pointer */
	ASSERT_EQ(0, get_hw_info(self->idev, 0, 0, NULL, 0, &out));
	EXPECT_EQ(8, out.data_len);
	/* a buffer that is not there */
	EXPECT_ERRNO(EFAULT, get_hw_info(self->idev, 0, 0, NULL, 8,
					  NULL));
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
	EXPECT_ERRNO(ENOENT, get_hw_info(self->ioas_id, 0, 0, buf,
					  8, NULL));
	/* without the flag, any input type reads as DEFAULT */
	EXPECT_EQ(0, get_hw_info(self->idev, 0, 0x1234, buf, 8,
				  NULL));
	/* with it, the driver's own type or DEFAULT, else EOPNOTSUPP */
	EXPECT_EQ(0, get_hw_info(self->idev,
				  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
				  IOMMU_HW_INFO_TYPE_SELFTEST, buf, 8, NULL));
	EXPECT_EQ(0, get_hw_info(self->idev,
				  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
				  IOMMU_HW_INFO_TYPE_DEFAULT, buf, 8, NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     get_hw_info(self->idev,
				  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
				  IOMMU_HW_INFO_TYPE_INTEL_VTD, buf, 8, NULL));
}

TEST_F(hw_info, device_flags_show)
{
	__u32 no_dirty, pasid;
	struct iommu_hw_info out;

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, &no_dirty);
	ASSERT_EQ(0, get_hw_info(no_dirty, 0, 0, NULL, 0, &out));
	EXPECT_EQ(IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, out.out_capabilities);
	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_PASID,
				   NULL, NULL, &pasid);
	ASSERT_EQ(0, get_hw_info(pasid, 0, 0, NULL, 0, &out));
	EXPECT_EQ(20, out.out_max_pasid_log2);
}

TEST_HARNESS_MAIN
