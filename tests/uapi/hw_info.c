// SPDX-License-Identifier: MIT
/*
 * IOMMU_GET_HW_INFO on mock devices (the kernel's iommufd_get_hw_info() and
 * the selftest's mock hw_info): the check order, the data copied up to the
 * caller's length and zero-filled past the driver's, the length given back,
 * the input type, capabilities and PASID width.
 */
#include "ioas_utils.h"

static int _get_hw_info(int fd, __u32 dev_id, __u32 flags, __u32 in_type,
			void *data, __u32 data_len, struct iommu_hw_info *out)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
		.in_data_type = in_type,
	};
	int ret = ioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	if (out)
		*out = cmd;
	return ret;
}

static __u32 mock_device(struct __test_metadata *_metadata, int fd,
			 __u32 ioas, __u32 flags)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = ioas,
		.mock_domain_flags = { .dev_flags = flags },
	};

	ASSERT_EQ(0, ioctl(fd, IOMMU_TEST_CMD, &cmd));
	return cmd.mock_domain.out_idev_id;
}

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
	self->idev = mock_device(_metadata, self->fd, self->ioas_id, 0);
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
	ASSERT_EQ(0, _get_hw_info(self->fd, self->idev, 0, 0, &info,
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
	ASSERT_EQ(0, _get_hw_info(self->fd, self->idev, 0, 0, buf, 4, &out));
	EXPECT_EQ(8, out.data_len);
	EXPECT_EQ(0, buf[0]);
	EXPECT_EQ(0xaa, buf[4]);
	/* longer: the rest is zero-filled */
	memset(buf, 0xaa, sizeof(buf));
	ASSERT_EQ(0, _get_hw_info(self->fd, self->idev, 0, 0, buf, sizeof(buf),
				  &out));
	EXPECT_EQ(8, out.data_len);
	for (unsigned int i = 8; i < sizeof(buf); i++)
		ASSERT_EQ(0, buf[i]);
	/* none at all: nothing is touched, not even a NULL pointer */
	ASSERT_EQ(0, _get_hw_info(self->fd, self->idev, 0, 0, NULL, 0, &out));
	EXPECT_EQ(8, out.data_len);
	/* a buffer that is not there */
	EXPECT_ERRNO(EFAULT, _get_hw_info(self->fd, self->idev, 0, 0, NULL, 8,
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
	EXPECT_ERRNO(ENOENT, _get_hw_info(self->fd, self->ioas_id, 0, 0, buf,
					  8, NULL));
	/* without the flag, any input type reads as DEFAULT */
	EXPECT_EQ(0, _get_hw_info(self->fd, self->idev, 0, 0x1234, buf, 8,
				  NULL));
	/* with it, the driver's own type or DEFAULT, else EOPNOTSUPP */
	EXPECT_EQ(0, _get_hw_info(self->fd, self->idev,
				  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
				  IOMMU_HW_INFO_TYPE_SELFTEST, buf, 8, NULL));
	EXPECT_EQ(0, _get_hw_info(self->fd, self->idev,
				  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
				  IOMMU_HW_INFO_TYPE_DEFAULT, buf, 8, NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     _get_hw_info(self->fd, self->idev,
				  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
				  IOMMU_HW_INFO_TYPE_INTEL_VTD, buf, 8, NULL));
}

TEST_F(hw_info, device_flags_show)
{
	__u32 no_dirty, pasid;
	struct iommu_hw_info out;

	no_dirty = mock_device(_metadata, self->fd, self->ioas_id,
			       MOCK_FLAGS_DEVICE_NO_DIRTY);
	ASSERT_EQ(0, _get_hw_info(self->fd, no_dirty, 0, 0, NULL, 0, &out));
	EXPECT_EQ(IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, out.out_capabilities);
	pasid = mock_device(_metadata, self->fd, self->ioas_id,
			    MOCK_FLAGS_DEVICE_PASID);
	ASSERT_EQ(0, _get_hw_info(self->fd, pasid, 0, 0, NULL, 0, &out));
	EXPECT_EQ(20, out.out_max_pasid_log2);
}

TEST_HARNESS_MAIN
