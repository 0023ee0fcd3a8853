// SPDX-License-Identifier: MIT
/*
 * Configured VT-d devices through their VFIO cdevs, as a VMM drives them:
 * the cdev uAPI of the kernel's vfio/device_cdev.c (bind, attach, detach,
 * their PASID forms, GET_INFO, close unbinding), the VT-d driver's answers
 * to iommufd (hw_info, its domains and their rules: the SPR17 erratum, the
 * VTD_S1 data checked at attach, the VTD_S1 invalidation array) and its
 * reserved MSI window. tests/vfio_cdev_utils.h configures the devices.
 */
#include "iommufd_utils.h"
#include "vfio_cdev_utils.h"

#define MSI_START 0xfee00000ull
#define MSI_LAST 0xfeefffffull

/* ---- helpers -------------------------------------------------------------- */

#define test_cmd_vfio_bind(vfd, devid)                                         \
	ASSERT_EQ(0, _vfio_bind(vfd, self->fd, devid))
#define test_cmd_vfio_attach(vfd, pt_id)                                       \
	ASSERT_EQ(0, _vfio_attach(vfd, 0, 0, pt_id))
#define test_err_vfio_attach(_errno, vfd, pt_id)                               \
	EXPECT_ERRNO(_errno, _vfio_attach(vfd, 0, 0, pt_id))
#define test_cmd_vfio_attach_pasid(vfd, pasid, pt_id)                          \
	ASSERT_EQ(0, _vfio_attach(vfd, VFIO_DEVICE_ATTACH_PASID, pasid, pt_id))
#define test_err_vfio_attach_pasid(_errno, vfd, pasid, pt_id)                  \
	EXPECT_ERRNO(_errno,                                                   \
		     _vfio_attach(vfd, VFIO_DEVICE_ATTACH_PASID, pasid, pt_id))

static const struct iommu_hwpt_vtd_s1 s1_48 __attribute__((unused)) = {
	.pgtbl_addr = 0x100000,
	.addr_width = 48,
};

/* A nested HWPT of VTD_S1 data over parent. */
#define test_cmd_hwpt_alloc_vtd_s1(dev_id, parent, flags, data, hwpt_id)       \
	test_cmd_hwpt_alloc_nested(dev_id, parent, flags, hwpt_id,             \
				   IOMMU_HWPT_DATA_VTD_S1, data,               \
				   sizeof(struct iommu_hwpt_vtd_s1))

/* ---- the cdev before it is bound --------------------------------------------- */

TEST(vtd_cdev_nodes)
{
	int fd;

	for (unsigned int n = 0; n < VTD_DEVICE_COUNT; n++) {
		fd = vfio_cdev_open(n);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
	}
	EXPECT_EQ(-1, vfio_cdev_open(VTD_DEVICE_COUNT));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, open("/dev/vfio/devices/vfio0", O_RDWR | O_DIRECTORY));
	EXPECT_EQ(ENOTDIR, errno);
}

TEST(vtd_cdev_unbound_is_einval)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	__u32 pt_id = 1;
	int vfd = vfio_cdev_open(VTD_FULL);

	ASSERT_LE(0, vfd);
	EXPECT_ERRNO(EINVAL, _vfio_attach(vfd, 0, 0, &pt_id));
	EXPECT_ERRNO(EINVAL, _vfio_detach(vfd, 0, 0));
	EXPECT_ERRNO(EINVAL, ioctl(vfd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_ERRNO(EINVAL, ioctl(vfd, VFIO_DEVICE_RESET));
	EXPECT_ERRNO(EINVAL, ioctl(vfd, _IO(VFIO_TYPE, 0x7f), NULL));
	/* the iommufd commands are not the device's */
	EXPECT_ERRNO(EINVAL, ioctl(vfd, IOMMU_IOAS_ALLOC, NULL));
	ASSERT_EQ(0, close(vfd));
}

/* ---- BIND ------------------------------------------------------------------- */

FIXTURE(vtd_bind)
{
	int fd;
	int vfd;
};

FIXTURE_SETUP(vtd_bind)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	self->vfd = vfio_cdev_open(VTD_FULL);
	ASSERT_LE(0, self->vfd);
}

FIXTURE_TEARDOWN(vtd_bind)
{
	close(self->vfd);
	close(self->fd);
}

TEST_F(vtd_bind, sizes_and_fields)
{
	struct {
		struct vfio_device_bind_iommufd bind;
		uint64_t tail;
	} big = { .bind = { .argsz = sizeof(big), .iommufd = self->fd } };
	struct vfio_device_bind_iommufd bind = {
		.argsz = offsetofend(struct vfio_device_bind_iommufd, out_devid) - 1,
		.iommufd = self->fd,
	};

	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.argsz = sizeof(bind);
	bind.flags = 1u << 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.flags = 0;
	bind.iommufd = -1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	EXPECT_ERRNO(EFAULT, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD,
				   (void *)8));
	/* past the struct: zero is taken, anything else is E2BIG */
	big.tail = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD, &big));
	big.tail = 0;
	ASSERT_EQ(0, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD, &big));
	EXPECT_NE(0, big.bind.out_devid);
}

TEST_F(vtd_bind, without_token_field)
{
	/* argsz 16, as before the token: bound, the devid written */
	struct vfio_device_bind_iommufd bind = {
		.argsz = offsetofend(struct vfio_device_bind_iommufd, out_devid),
		.iommufd = self->fd,
		.token_uuid_ptr = 8, /* past argsz: never read */
	};

	ASSERT_EQ(0, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	EXPECT_NE(0, bind.out_devid);
}

TEST_F(vtd_bind, token)
{
	uint8_t uuid[16] = { 1 };
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.flags = VFIO_DEVICE_BIND_FLAG_TOKEN,
		.iommufd = self->fd,
		.token_uuid_ptr = 8,
	};

	/* the token is read, then refused: no PF, no VF */
	EXPECT_ERRNO(EFAULT, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.token_uuid_ptr = (uintptr_t)uuid;
	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, NULL));
}

TEST_F(vtd_bind, wrong_descriptors)
{
	int null_fd = open("/dev/null", O_RDWR);
	int other = vfio_cdev_open(VTD_MINIMAL);
	int closed = dup(null_fd);

	ASSERT_LE(0, null_fd);
	ASSERT_LE(0, other);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	EXPECT_ERRNO(EBADF, _vfio_bind(self->vfd, closed, NULL));
	EXPECT_ERRNO(EBADFD, _vfio_bind(self->vfd, null_fd, NULL));
	EXPECT_ERRNO(EBADFD, _vfio_bind(self->vfd, other, NULL));
	EXPECT_ERRNO(EBADFD, _vfio_bind(self->vfd, self->vfd, NULL));
	/* none of that bound anything */
	ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, NULL));
	close(other);
	close(null_fd);
}

TEST_F(vtd_bind, twice)
{
	__u32 devid;
	int again = vfio_cdev_open(VTD_FULL), fd2 = iommufd_open();

	ASSERT_LE(0, again);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, &devid));
	/* the same open again: EINVAL, even to another context */
	EXPECT_ERRNO(EINVAL, _vfio_bind(self->vfd, self->fd, NULL));
	EXPECT_ERRNO(EINVAL, _vfio_bind(self->vfd, fd2, NULL));
	/* another open of the bound device: EINVAL, as vfio_df_open() says
	 * for a cdev device opened already */
	EXPECT_ERRNO(EINVAL, _vfio_bind(again, self->fd, NULL));
	EXPECT_ERRNO(EINVAL, _vfio_bind(again, fd2, NULL));
	/* closing the bound open frees the device for the other */
	ASSERT_EQ(0, close(self->vfd));
	self->vfd = -1;
	ASSERT_EQ(0, _vfio_bind(again, fd2, NULL));
	/* and the first context no longer knows the device */
	test_err_destroy(ENOENT, devid);
	close(again);
	close(fd2);
}

TEST_F(vtd_bind, other_devices_bind_at_once)
{
	__u32 id0, id1, id2;
	int v1 = vfio_cdev_open(VTD_MINIMAL), v2 = vfio_cdev_open(VTD_PASID8);

	ASSERT_LE(0, v1);
	ASSERT_LE(0, v2);
	ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, &id0));
	ASSERT_EQ(0, _vfio_bind(v1, self->fd, &id1));
	ASSERT_EQ(0, _vfio_bind(v2, self->fd, &id2));
	EXPECT_NE(id0, id1);
	EXPECT_NE(id1, id2);
	close(v1);
	close(v2);
}

TEST_F(vtd_bind, bound_device_object)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	__u32 devid, ioas_id;

	ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, &devid));
	/* the binder holds it: not destroyed by IOMMU_DESTROY */
	test_err_destroy(EBUSY, devid);
	/* bound: what vfio-pci does not know is ENOTTY */
	EXPECT_ERRNO(ENOTTY, ioctl(self->vfd, _IO(VFIO_TYPE, 0x7f), NULL));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vfd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, ioctl(self->vfd, VFIO_DEVICE_GET_INFO, &info));
	/* closing the device unbinds it: the ID is gone */
	ASSERT_EQ(0, close(self->vfd));
	self->vfd = -1;
	test_err_destroy(ENOENT, devid);
	test_ioctl_ioas_alloc(&ioas_id);
}

TEST_F(vtd_bind, get_info)
{
	struct vfio_device_info info;

	ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, NULL));
	memset(&info, 0xaa, sizeof(info));
	info.argsz = offsetofend(struct vfio_device_info, num_irqs) - 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, VFIO_DEVICE_GET_INFO, &info));
	info.argsz = sizeof(info);
	ASSERT_EQ(0, ioctl(self->vfd, VFIO_DEVICE_GET_INFO, &info));
	/* vfio-pci, no reset; its fixed region and interrupt counts */
	EXPECT_EQ(VFIO_DEVICE_FLAGS_PCI, info.flags);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);
	EXPECT_EQ(sizeof(info), info.argsz);
	/* nothing past num_irqs is written */
	EXPECT_EQ(0xaaaaaaaau, info.cap_offset);
	EXPECT_ERRNO(EFAULT, ioctl(self->vfd, VFIO_DEVICE_GET_INFO, (void *)8));
}

/* The context stays while a device is bound to it, as the kernel's
 * df->iommufd reference keeps it. */
TEST_F(vtd_bind, iommufd_closed_first)
{
	__u32 ioas_id, pt_id;

	test_ioctl_ioas_alloc(&ioas_id);
	ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, NULL));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	pt_id = ioas_id;
	ASSERT_EQ(0, _vfio_attach(self->vfd, 0, 0, &pt_id));
	EXPECT_NE(ioas_id, pt_id);
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
}

/* ---- hw_info --------------------------------------------------------------- */

FIXTURE(vtd)
{
	int fd;
	int vfd[VTD_DEVICE_COUNT];
	__u32 dev_id[VTD_DEVICE_COUNT];
	__u32 ioas_id;
};

FIXTURE_SETUP(vtd)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	for (unsigned int n = 0; n < VTD_DEVICE_COUNT; n++) {
		self->vfd[n] = vfio_cdev_open(n);
		ASSERT_LE(0, self->vfd[n]);
		test_cmd_vfio_bind(self->vfd[n], &self->dev_id[n]);
	}
	test_ioctl_ioas_alloc(&self->ioas_id);
}

FIXTURE_TEARDOWN(vtd)
{
	for (unsigned int n = 0; n < VTD_DEVICE_COUNT; n++)
		close(self->vfd[n]);
	close(self->fd);
}

/*
 * CAP and ECAP worked out by hand from the VT-d specification's layout:
 *   CAP  ND=6, SAGAW 4-level (bit 10) and, at 5 levels, 5-level (bit 11),
 *        MGAW 56 or 47, FRO 0x22, SLLPS 2M+1G, PSI, NFR 0, MAMV 18, DWD,
 *        DRD, FL1GP, FL5LP at 5 levels.
 *   ECAP C, QI, IRO 0xf, NEST (26), SMTS (43), SLTS (46), FLTS (47), SMPWC
 *        (48); PRS (29), SRS (31), PASID (40) with PSS = bits - 1 (35..39),
 *        SLADS (45) as configured.
 */
#define CAP_5LEVEL 0x11d2008c22380c06ull
#define CAP_4LEVEL 0x01d2008c222f0406ull
#define ECAP_FULL 0x0001e998a4000f03ull
#define ECAP_MINIMAL 0x0001c80004000f03ull
#define ECAP_PASID8 0x0001c938a4000f03ull

static void check_vtd_info(struct __test_metadata *_metadata, int fd,
			   __u32 dev_id, uint64_t cap, uint64_t ecap,
			   uint64_t caps, unsigned int pasid_log2)
{
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info info;

	memset(&vtd, 0xaa, sizeof(vtd));
	ASSERT_EQ(0, _test_cmd_get_hw_info(fd, dev_id, 0, 0, &vtd, sizeof(vtd),
					   &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);
	EXPECT_EQ(sizeof(vtd), info.data_len);
	EXPECT_EQ(IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, vtd.flags);
	EXPECT_EQ(0, vtd.__reserved);
	EXPECT_EQ(cap, vtd.cap_reg);
	EXPECT_EQ(ecap, vtd.ecap_reg);
	EXPECT_EQ(caps, info.out_capabilities);
	EXPECT_EQ(pasid_log2, info.out_max_pasid_log2);
}

TEST_F(vtd, hw_info)
{
	/* no ATS (the driver answers no IOMMU_CAP_PCI_ATS_SUPPORTED); PASID
	 * privileged mode where SRS is */
	check_vtd_info(_metadata, self->fd, self->dev_id[VTD_FULL], CAP_5LEVEL,
		       ECAP_FULL,
		       IOMMU_HW_CAP_DIRTY_TRACKING |
			       IOMMU_HW_CAP_PCI_PASID_PRIV |
			       IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED,
		       20);
	check_vtd_info(_metadata, self->fd, self->dev_id[VTD_MINIMAL],
		       CAP_4LEVEL, ECAP_MINIMAL,
		       IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, 0);
	check_vtd_info(_metadata, self->fd, self->dev_id[VTD_PASID8],
		       CAP_5LEVEL, ECAP_PASID8,
		       IOMMU_HW_CAP_PCI_PASID_PRIV |
			       IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED,
		       8);
}

TEST_F(vtd, hw_info_types)
{
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info info;

	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->dev_id[0],
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_INTEL_VTD, &vtd,
					   sizeof(vtd), &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);
	EXPECT_ERRNO(EOPNOTSUPP,
		     _test_cmd_get_hw_info(self->fd, self->dev_id[0],
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_ARM_SMMUV3, &vtd,
					   sizeof(vtd), NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     _test_cmd_get_hw_info(self->fd, self->dev_id[0],
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_SELFTEST, &vtd,
					   sizeof(vtd), NULL));
}

/* ---- ATTACH and DETACH ----------------------------------------------------- */

TEST_F(vtd, attach_struct)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id),
		.pt_id = self->ioas_id,
	};
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = offsetofend(struct vfio_device_detach_iommufd_pt, flags),
	};
	int vfd = self->vfd[VTD_FULL];

	/* 12 bytes without the PASID */
	ASSERT_EQ(0, ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach));
	attach.argsz--;
	EXPECT_ERRNO(EINVAL, ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach));
	attach.argsz = sizeof(attach);
	attach.flags = 1u << 1;
	EXPECT_ERRNO(EINVAL, ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach));
	/* the PASID form needs argsz to cover the PASID */
	attach.flags = VFIO_DEVICE_ATTACH_PASID;
	attach.argsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id);
	EXPECT_ERRNO(EINVAL, ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach));
	EXPECT_ERRNO(EFAULT, ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				   (void *)8));

	ASSERT_EQ(0, ioctl(vfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach));
	detach.argsz--;
	EXPECT_ERRNO(EINVAL, ioctl(vfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach));
	detach.argsz = sizeof(detach);
	detach.flags = 1u << 1;
	EXPECT_ERRNO(EINVAL, ioctl(vfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach));
	detach.flags = VFIO_DEVICE_DETACH_PASID;
	detach.argsz = offsetofend(struct vfio_device_detach_iommufd_pt, flags);
	EXPECT_ERRNO(EINVAL, ioctl(vfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach));
	EXPECT_ERRNO(EFAULT, ioctl(vfd, VFIO_DEVICE_DETACH_IOMMUFD_PT,
				   (void *)8));
}

TEST_F(vtd, attach_every_kind)
{
	__u32 parent, paging, nested, pt_id, auto_id;
	int vfd = self->vfd[VTD_FULL];
	__u32 dev = self->dev_id[VTD_FULL];

	/* an IOAS: an automatic HWPT, reused when attached again */
	pt_id = self->ioas_id;
	test_cmd_vfio_attach(vfd, &pt_id);
	EXPECT_NE(self->ioas_id, pt_id);
	auto_id = pt_id;
	pt_id = self->ioas_id;
	test_cmd_vfio_attach(vfd, &pt_id);
	EXPECT_EQ(auto_id, pt_id);
	/* attached: the automatic HWPT is busy */
	test_err_destroy(EBUSY, auto_id);

	/* a paging HWPT replaces it; the automatic one goes with it */
	test_cmd_hwpt_alloc(dev, self->ioas_id, 0, &paging);
	pt_id = paging;
	test_cmd_vfio_attach(vfd, &pt_id);
	EXPECT_EQ(paging, pt_id);
	test_err_destroy(ENOENT, auto_id);

	/* a nested HWPT */
	test_cmd_hwpt_alloc(dev, self->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &parent);
	test_cmd_hwpt_alloc_vtd_s1(dev, parent, 0, &s1_48, &nested);
	pt_id = nested;
	test_cmd_vfio_attach(vfd, &pt_id);
	EXPECT_EQ(nested, pt_id);
	test_err_destroy(EBUSY, nested);
	test_err_destroy(EBUSY, parent);

	/* what is no page table: EINVAL; no object: ENOENT */
	pt_id = dev;
	test_err_vfio_attach(EINVAL, vfd, &pt_id);
	pt_id = NO_SUCH_ID;
	test_err_vfio_attach(ENOENT, vfd, &pt_id);
	/* and the failures left the nested HWPT attached */
	test_err_destroy(EBUSY, nested);

	ASSERT_EQ(0, _vfio_detach(vfd, 0, 0));
	test_ioctl_destroy(nested);
	test_ioctl_destroy(parent);
	test_ioctl_destroy(paging);
	/* detaching again does nothing, and succeeds */
	ASSERT_EQ(0, _vfio_detach(vfd, 0, 0));
}

TEST_F(vtd, close_detaches)
{
	__u32 pt_id = self->ioas_id, paging, auto_id;

	/* the RID on one device, a PASID on another */
	test_cmd_vfio_attach(self->vfd[VTD_MINIMAL], &pt_id);
	auto_id = pt_id;
	test_cmd_hwpt_alloc(self->dev_id[0], self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID, &paging);
	pt_id = paging;
	test_cmd_vfio_attach(self->vfd[0], &pt_id);
	test_cmd_vfio_attach_pasid(self->vfd[0], 3, &pt_id);
	test_err_destroy(EBUSY, paging);
	ASSERT_EQ(0, close(self->vfd[0]));
	self->vfd[0] = -1;
	ASSERT_EQ(0, close(self->vfd[VTD_MINIMAL]));
	self->vfd[VTD_MINIMAL] = -1;
	/* the automatic HWPT went with its device; the PASID's and the
	 * RID's HWPT and the IOAS are free */
	test_err_destroy(ENOENT, auto_id);
	test_ioctl_destroy(paging);
	test_ioctl_destroy(self->ioas_id);
}

TEST_F(vtd, pasid_attach)
{
	__u32 pasid_hwpt, plain, dirty, pt_id;
	int vfd = self->vfd[VTD_FULL];
	__u32 dev = self->dev_id[VTD_FULL];

	test_cmd_hwpt_alloc(dev, self->ioas_id, IOMMU_HWPT_ALLOC_PASID,
			    &pasid_hwpt);
	test_cmd_hwpt_alloc(dev, self->ioas_id, 0, &plain);
	test_cmd_hwpt_alloc(dev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID |
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			    &dirty);

	pt_id = pasid_hwpt;
	test_cmd_vfio_attach_pasid(vfd, 7, &pt_id);
	EXPECT_EQ(pasid_hwpt, pt_id);
	/* again: a replace, by the same HWPT */
	test_cmd_vfio_attach_pasid(vfd, 7, &pt_id);
	/* a HWPT not made for PASIDs, an IOAS (its automatic HWPT never
	 * is), a PASID past the device's 20 bits */
	pt_id = plain;
	test_err_vfio_attach_pasid(EINVAL, vfd, 8, &pt_id);
	pt_id = self->ioas_id;
	test_err_vfio_attach_pasid(EINVAL, vfd, 8, &pt_id);
	pt_id = pasid_hwpt;
	test_err_vfio_attach_pasid(EINVAL, vfd, 1u << 20, &pt_id);
	/* VT-d keeps no dirty tracking on a PASID */
	pt_id = dirty;
	test_err_vfio_attach_pasid(EINVAL, vfd, 8, &pt_id);
	/* the RID under attached PASIDs needs a PASID HWPT too */
	pt_id = plain;
	test_err_vfio_attach(EINVAL, vfd, &pt_id);
	pt_id = pasid_hwpt;
	test_cmd_vfio_attach(vfd, &pt_id);

	test_err_destroy(EBUSY, pasid_hwpt);
	ASSERT_EQ(0, _vfio_detach(vfd, VFIO_DEVICE_DETACH_PASID, 7));
	ASSERT_EQ(0, _vfio_detach(vfd, VFIO_DEVICE_DETACH_PASID, 7));
	ASSERT_EQ(0, _vfio_detach(vfd, 0, 0));
	test_ioctl_destroy(pasid_hwpt);
	test_ioctl_destroy(plain);
	test_ioctl_destroy(dirty);
}

/* ---- the domains' geometry and reserved regions ------------------------------- */

TEST_F(vtd, msi_window_and_aperture)
{
	struct iommu_iova_range ranges[4];
	__u32 num = 4, pt_id = self->ioas_id, ioas4;
	uint64_t align;

	test_cmd_vfio_attach(self->vfd[VTD_FULL], &pt_id);
	ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(self->fd, self->ioas_id,
						  ranges, &num, &align));
	ASSERT_EQ(2, num);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(MSI_START - 1, ranges[0].last);
	EXPECT_EQ(MSI_LAST + 1, ranges[1].start);
	EXPECT_EQ((1ull << 57) - 1, ranges[1].last);
	EXPECT_EQ(PSZ, align);
	/* iopt_check_iova(): a reserved IOVA is EINVAL */
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ, MSI_START);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ, MSI_LAST + 1 - PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, MSI_START - PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, MSI_LAST + 1);

	/* a 4-level unit: 48 bits */
	test_ioctl_ioas_alloc(&ioas4);
	pt_id = ioas4;
	test_cmd_vfio_attach(self->vfd[VTD_MINIMAL], &pt_id);
	num = 4;
	ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(self->fd, ioas4, ranges,
						  &num, &align));
	ASSERT_EQ(2, num);
	EXPECT_EQ((1ull << 48) - 1, ranges[1].last);
	/* detached, the window is the IOAS's again */
	ASSERT_EQ(0, _vfio_detach(self->vfd[VTD_MINIMAL], 0, 0));
	num = 4;
	ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(self->fd, ioas4, ranges,
						  &num, &align));
	ASSERT_EQ(1, num);
	EXPECT_EQ(U64_MAX, ranges[0].last);
}

/* ---- paging HWPTs ------------------------------------------------------------- */

TEST_F(vtd, paging_alloc_flags)
{
	struct iommu_hwpt_selftest data = { 0 };
	__u32 hwpt;

	test_err_hwpt_alloc(EOPNOTSUPP, self->dev_id[0], self->ioas_id, 1u << 4,
			    &hwpt);
	/* dirty tracking needs second-stage A/D */
	test_err_hwpt_alloc(EOPNOTSUPP, self->dev_id[VTD_MINIMAL],
			    self->ioas_id, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			    &hwpt);
	/* no driver data for a paging HWPT */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->dev_id[0], self->ioas_id,
				   0, &hwpt, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_cmd_hwpt_alloc(self->dev_id[0], self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt);
	test_ioctl_destroy(hwpt);
}

TEST_F(vtd, dirty_tracking_needs_the_unit)
{
	uint64_t bitmap[1] = { 0 };
	__u32 hwpt, pt_id;

	test_cmd_hwpt_alloc(self->dev_id[VTD_FULL], self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt);
	pt_id = hwpt;
	test_cmd_vfio_attach(self->vfd[VTD_FULL], &pt_id);
	ASSERT_EQ(0, _test_cmd_set_dirty_tracking(self->fd, hwpt,
					  IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	/* mapped, never written by a device: nothing dirty */
	test_ioctl_ioas_map_fixed(buffer, 16 * PSZ, 0x100000);
	ASSERT_EQ(0, _test_cmd_get_dirty_bitmap(self->fd, hwpt, 0x100000,
						16 * PSZ, PSZ, bitmap, 0));
	EXPECT_EQ(0, bitmap[0]);
	/* a unit of the same levels without second-stage A/D: refused */
	pt_id = hwpt;
	test_err_vfio_attach(EINVAL, self->vfd[VTD_PASID8], &pt_id);
	/* and it cannot make one */
	test_err_hwpt_alloc(EOPNOTSUPP, self->dev_id[VTD_PASID8], self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt);
}

/* ERRATA_772415_SPR17: no read-only entry in a nest parent, both ways. */
TEST_F(vtd, errata_read_only_in_nest_parent)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)buffer,
		.length = PSZ,
		.iova = 0x100000,
	};
	__u32 parent, paging, ioas2;

	/* an IOAS holding a read-only area takes no nest parent */
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_MAP, &map));
	test_err_hwpt_alloc(EINVAL, self->dev_id[0], self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	/* a plain paging HWPT takes it */
	test_cmd_hwpt_alloc(self->dev_id[0], self->ioas_id, 0, &paging);

	/* an IOAS with a nest parent takes no read-only MAP */
	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_hwpt_alloc(self->dev_id[0], ioas2,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	map.ioas_id = ioas2;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_IOAS_MAP, &map));
	/* writable ones are fine, write-only too */
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_MAP, &map));
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE;
	map.iova += PSZ;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_MAP, &map));
	/* the failed MAP left nothing behind */
	test_ioctl_ioas_unmap_id(ioas2, 0x100000, 2 * PSZ);
}

/* ---- nested HWPTs: IOMMU_HWPT_DATA_VTD_S1 ------------------------------------- */

TEST_F(vtd, vtd_s1_alloc_checks)
{
	struct iommu_hwpt_arm_smmuv3 ste = { 0 };
	__u8 long_data[32] = { 0 };
	__u32 parent, plain, nested, dev = self->dev_id[0];

	test_cmd_hwpt_alloc(dev, self->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &parent);
	test_cmd_hwpt_alloc(dev, self->ioas_id, 0, &plain);
	/* another driver's data type */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, dev, parent, 0, &nested,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
				   sizeof(ste));
	/* a flag nested HWPTs do not take */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, dev, parent,
				   IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &nested,
				   IOMMU_HWPT_DATA_VTD_S1, &s1_48,
				   sizeof(s1_48));
	/* a parent that is no nest parent */
	test_err_hwpt_alloc_nested(EINVAL, dev, plain, 0, &nested,
				   IOMMU_HWPT_DATA_VTD_S1, &s1_48,
				   sizeof(s1_48));
	/* the data's length: the struct, no shorter, no longer */
	test_err_hwpt_alloc_nested(EINVAL, dev, parent, 0, &nested,
				   IOMMU_HWPT_DATA_VTD_S1, &s1_48,
				   sizeof(s1_48) - 1);
	test_err_hwpt_alloc_nested(EINVAL, dev, parent, 0, &nested,
				   IOMMU_HWPT_DATA_VTD_S1, long_data,
				   sizeof(long_data));
	test_err_hwpt_alloc_nested(EFAULT, dev, parent, 0, &nested,
				   IOMMU_HWPT_DATA_VTD_S1, (void *)8,
				   sizeof(s1_48));
	/* the fields wait for attach: anything is taken here */
	{
		struct iommu_hwpt_vtd_s1 odd = {
			.flags = ~0ull,
			.addr_width = 39,
			.__reserved = 1,
		};

		test_cmd_hwpt_alloc_vtd_s1(dev, parent, 0, &odd, &nested);
		test_ioctl_destroy(nested);
	}
	test_cmd_hwpt_alloc_vtd_s1(dev, parent, IOMMU_HWPT_ALLOC_PASID, &s1_48,
				   &nested);
	/* a nested HWPT parents nothing */
	test_err_hwpt_alloc_nested(EINVAL, dev, nested, 0, &plain,
				   IOMMU_HWPT_DATA_VTD_S1, &s1_48,
				   sizeof(s1_48));
}

/* Allocates a nested HWPT of s1 over a nest parent of dev's unit and
 * attaches vfd to it: the attach's result. */
static int attach_vtd_s1(struct __test_metadata *_metadata, int fd,
			 __u32 ioas_id, __u32 dev, int vfd,
			 const struct iommu_hwpt_vtd_s1 *s1)
{
	__u32 parent, nested, pt_id;
	int ret;

	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, dev, ioas_id,
					  IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &parent));
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, dev, parent, 0, 0,
					  IOMMU_HWPT_DATA_VTD_S1, s1,
					  sizeof(*s1), &nested));
	pt_id = nested;
	ret = _vfio_attach(vfd, 0, 0, &pt_id);
	if (!ret)
		EXPECT_EQ(nested, pt_id);
	return ret;
}

TEST_F(vtd, vtd_s1_attach_checks)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x200000 };
	int full = self->vfd[VTD_FULL], mini = self->vfd[VTD_MINIMAL];
	__u32 dfull = self->dev_id[VTD_FULL], dmini = self->dev_id[VTD_MINIMAL];
	__u32 ioas4;

	test_ioctl_ioas_alloc(&ioas4);
	/* the address width: 48 or 57, and 57 needs 5-level paging */
	s1.addr_width = 39;
	EXPECT_ERRNO(EINVAL, attach_vtd_s1(_metadata, self->fd, self->ioas_id,
					   dfull, full, &s1));
	s1.addr_width = 57;
	EXPECT_ERRNO(EINVAL, attach_vtd_s1(_metadata, self->fd, ioas4, dmini,
					   mini, &s1));
	ASSERT_EQ(0, attach_vtd_s1(_metadata, self->fd, self->ioas_id, dfull,
				   full, &s1));
	s1.addr_width = 48;
	ASSERT_EQ(0, attach_vtd_s1(_metadata, self->fd, ioas4, dmini, mini,
				   &s1));
	/* supervisor requests only where the unit has SRS */
	s1.flags = IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_WPE;
	EXPECT_ERRNO(EINVAL, attach_vtd_s1(_metadata, self->fd, ioas4, dmini,
					   mini, &s1));
	ASSERT_EQ(0, attach_vtd_s1(_metadata, self->fd, self->ioas_id, dfull,
				   full, &s1));
	/* WPE alone is no supervisor request: taken everywhere */
	s1.flags = IOMMU_VTD_S1_WPE;
	ASSERT_EQ(0, attach_vtd_s1(_metadata, self->fd, ioas4, dmini, mini,
				   &s1));
	/* no unit has the extended access flag */
	s1.flags = IOMMU_VTD_S1_EAFE;
	EXPECT_ERRNO(EINVAL, attach_vtd_s1(_metadata, self->fd, self->ioas_id,
					   dfull, full, &s1));
}

/* A nest parent of more levels than the device's unit walks: the
 * kernel's -ENODEV for the nested attach, -EINVAL for the parent alone. */
TEST_F(vtd, vtd_s1_parent_too_deep)
{
	__u32 parent, nested, pt_id;

	test_cmd_hwpt_alloc(self->dev_id[VTD_FULL], self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	test_cmd_hwpt_alloc_vtd_s1(self->dev_id[VTD_FULL], parent, 0, &s1_48,
				   &nested);
	pt_id = nested;
	test_err_vfio_attach(ENODEV, self->vfd[VTD_MINIMAL], &pt_id);
	pt_id = parent;
	test_err_vfio_attach(EINVAL, self->vfd[VTD_MINIMAL], &pt_id);
	pt_id = nested;
	test_cmd_vfio_attach(self->vfd[VTD_PASID8], &pt_id);
}

/* ---- IOMMU_HWPT_INVALIDATE with VTD_S1 entries ---------------------------- */

TEST_F(vtd, vtd_s1_invalidate)
{
	struct iommu_hwpt_vtd_s1_invalidate inv[3] = { 0 };
	__u32 parent, nested, num;
	__u32 dev = self->dev_id[0];
	const __u32 len = sizeof(inv[0]);

	test_cmd_hwpt_alloc(dev, self->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &parent);
	test_cmd_hwpt_alloc_vtd_s1(dev, parent, 0, &s1_48, &nested);

	/* nothing asked: only the type is looked at */
	num = 0;
	test_cmd_hwpt_invalidate(nested, inv, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				 len, &num);
	EXPECT_EQ(0, num);
	/* another driver's type */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, len,
				 &num);
	EXPECT_EQ(0, num);
	/* entry_len: the struct, no shorter, no longer */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len - 1,
				 &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len + 8,
				 &num);
	EXPECT_EQ(0, num);

	/* the first bad entry stops the array; entry_num says how far */
	inv[0] = (struct iommu_hwpt_vtd_s1_invalidate){ .addr = 0x1000,
							.npages = 4 };
	inv[1] = (struct iommu_hwpt_vtd_s1_invalidate){
		.addr = 0x8000, .npages = 1, .flags = IOMMU_VTD_INV_FLAGS_LEAF };
	inv[2] = (struct iommu_hwpt_vtd_s1_invalidate){ .flags = 1u << 1 };
	num = 3;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len, &num);
	EXPECT_EQ(2, num);
	inv[2] = (struct iommu_hwpt_vtd_s1_invalidate){ .__reserved = 1 };
	num = 3;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len, &num);
	EXPECT_EQ(2, num);
	/* 4 KiB aligned; "everything" only from address 0 */
	inv[1] = (struct iommu_hwpt_vtd_s1_invalidate){ .addr = 0x8001,
							.npages = 1 };
	num = 3;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len, &num);
	EXPECT_EQ(1, num);
	inv[1] = (struct iommu_hwpt_vtd_s1_invalidate){ .addr = 0x1000,
							.npages = U64_MAX };
	num = 3;
	test_err_hwpt_invalidate(EINVAL, nested, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len, &num);
	EXPECT_EQ(1, num);
	/* a page range, the invalidate-all form, a LEAF hint */
	inv[1] = (struct iommu_hwpt_vtd_s1_invalidate){ .npages = U64_MAX };
	inv[2] = (struct iommu_hwpt_vtd_s1_invalidate){
		.addr = 0x40000, .npages = 2, .flags = IOMMU_VTD_INV_FLAGS_LEAF };
	num = 3;
	test_cmd_hwpt_invalidate(nested, inv, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				 len, &num);
	EXPECT_EQ(3, num);
	/* an unreadable array: EFAULT, none handled */
	num = 2;
	test_err_hwpt_invalidate(EFAULT, nested, (void *)8,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len, &num);
	EXPECT_EQ(0, num);
	/* a paging HWPT takes no invalidation */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, parent, inv,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len, &num);
	EXPECT_EQ(0, num);
}

/* ---- page requests ------------------------------------------------------------ */

/* The model takes none (no PRI): a HWPT with a fault queue can be made
 * for a VT-d device but not attached to it, as the kernel's
 * intel_iommu_enable_iopf() refuses a device without PRI; and the
 * selftest's TRIGGER_IOPF is for mock devices only. */
TEST_F(vtd, fault_queue_is_refused)
{
	__u32 fault_id, hwpt, pt_id;
	int fault_fd;

	test_ioctl_fault_alloc(&fault_id, &fault_fd);
	test_cmd_hwpt_alloc_iopf(self->dev_id[VTD_FULL], self->ioas_id,
				 fault_id, IOMMU_HWPT_FAULT_ID_VALID, &hwpt,
				 IOMMU_HWPT_DATA_NONE, NULL, 0);
	pt_id = hwpt;
	test_err_vfio_attach(ENODEV, self->vfd[VTD_FULL], &pt_id);
	test_err_trigger_iopf(EINVAL, self->dev_id[VTD_FULL], 0, 0);
	test_ioctl_destroy(hwpt);
	EXPECT_EQ(0, close(fault_fd));
	test_ioctl_destroy(fault_id);
}

/* ---- VT-d and mock devices side by side ------------------------------------- */

TEST_F(vtd, mock_and_vtd_domains_do_not_mix)
{
	__u32 stdev, mock_hwpt, mock_dev, vtd_hwpt, pt_id;

	test_cmd_mock_domain(self->ioas_id, &stdev, &mock_hwpt, &mock_dev);
	/* the mock device takes a number after the configured ones */
	EXPECT_NE(0, mock_dev);
	test_cmd_hwpt_alloc(self->dev_id[0], self->ioas_id, 0, &vtd_hwpt);
	pt_id = mock_hwpt;
	test_err_vfio_attach(EINVAL, self->vfd[0], &pt_id);
	test_err_mock_domain_replace(EINVAL, stdev, vtd_hwpt);
	/* through the IOAS each gets an automatic HWPT of its own driver */
	pt_id = self->ioas_id;
	test_cmd_vfio_attach(self->vfd[0], &pt_id);
	EXPECT_NE(mock_hwpt, pt_id);
}

TEST_HARNESS_MAIN
