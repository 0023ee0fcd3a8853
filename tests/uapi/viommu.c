// SPDX-License-Identifier: MIT
/*
 * vIOMMUs with the selftest mock driver: IOMMU_VIOMMU_ALLOC, nested HWPTs
 * made on a vIOMMU, IOMMU_VDEVICE_ALLOC, IOMMU_HWPT_INVALIDATE on a vIOMMU
 * (the mock devices' fake caches, IOMMU_TEST_OP_DEV_CHECK_CACHE), the
 * destroy orders the references make, and IOMMU_HW_QUEUE_ALLOC. vEVENTQs:
 * veventq.c.
 *
 * Every expected value follows the kernel's code (viommu.c,
 * hw_pagetable.c, selftest.c: iommufd_viommu_alloc_ioctl(),
 * iommufd_vdevice_alloc_ioctl(), iommufd_hw_queue_alloc_ioctl(),
 * mock_viommu_cache_invalidate(), mock_hw_queue_init_phys()); where two
 * things are wrong at once, the errno asserted is the one the kernel's
 * check order gives.
 */
#include "viommu_utils.h"

/* A mock device on an IOAS, a NEST_PARENT HWPT made for it there, and a
 * selftest vIOMMU on that parent. */
FIXTURE(viommu)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 hwpt_id;
	__u32 dev_id;
	__u32 parent_id;
	__u32 viommu_id;
};

FIXTURE_SETUP(viommu)
{
	viommu_fixture_setup();
}

FIXTURE_TEARDOWN(viommu)
{
	EXPECT_EQ(0, close(self->fd));
}

static const struct iommu_hwpt_selftest nested_data = {
	.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
};

/* ---- IOMMU_TEST_OP_DEV_CHECK_CACHE --------------------------------------- */

TEST_F(viommu, dev_check_cache)
{
	/* mock_dev_create(): every entry starts at the default */
	test_cmd_dev_check_cache_all(self->dev_id, IOMMU_TEST_DEV_CACHE_DEFAULT);
	test_err_dev_check_cache(EINVAL, self->dev_id, 0, 0);
	test_err_dev_check_cache(EINVAL, self->dev_id, MOCK_DEV_CACHE_NUM,
				 IOMMU_TEST_DEV_CACHE_DEFAULT);
	test_err_dev_check_cache(ENOENT, 0, 0, IOMMU_TEST_DEV_CACHE_DEFAULT);
	/* a HWPT is no device */
	test_err_dev_check_cache(ENOENT, self->hwpt_id, 0,
				 IOMMU_TEST_DEV_CACHE_DEFAULT);
}

/* ---- IOMMU_VIOMMU_ALLOC ---------------------------------------------------- */

TEST_F(viommu, viommu_alloc_errors)
{
	__u32 paging_id, id;

	/* flags and the default type, before any lookup */
	test_err_viommu_alloc(EOPNOTSUPP, 0, 0, 1, IOMMU_VIOMMU_TYPE_SELFTEST,
			      NULL, 0, &id);
	test_err_viommu_alloc(EOPNOTSUPP, 0, 0, 0, IOMMU_VIOMMU_TYPE_DEFAULT,
			      NULL, 0, &id);
	/* the device, then its driver's types, then the parent */
	test_err_viommu_alloc(ENOENT, 0, self->parent_id, 0,
			      IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, &id);
	test_err_viommu_alloc(EOPNOTSUPP, self->dev_id, 0, 0,
			      IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0, &id);
	test_err_viommu_alloc(ENOENT, self->dev_id, 0, 0,
			      IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, &id);
	test_err_viommu_alloc(ENOENT, self->dev_id, self->ioas_id, 0,
			      IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, &id);
	/* only a NEST_PARENT, and never an automatic HWPT */
	test_cmd_hwpt_alloc(self->dev_id, self->ioas_id, 0, &paging_id);
	test_err_viommu_alloc(EINVAL, self->dev_id, paging_id, 0,
			      IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, &id);
	test_err_viommu_alloc(EINVAL, self->dev_id, self->hwpt_id, 0,
			      IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, &id);
	/* several vIOMMUs may share a parent */
	test_cmd_viommu_alloc(self->dev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, &id);
	test_ioctl_destroy(id);
	test_ioctl_destroy(paging_id);
}

TEST_F(viommu, viommu_alloc_with_data)
{
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	__u32 id;

	test_cmd_viommu_alloc(self->dev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &data, sizeof(data),
			      &id);
	/* the loopback, and a region of two pages above offset 0 */
	EXPECT_EQ(data.in_data, data.out_data);
	EXPECT_EQ(2 * PSZ, data.out_mmap_length);
	EXPECT_NE(0, data.out_mmap_offset);
	EXPECT_EQ(0, data.out_mmap_offset % PSZ);
	/* driver data is not extensible by size: too short is EINVAL */
	test_err_viommu_alloc(EINVAL, self->dev_id, self->parent_id, 0,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &data,
			      offsetofend(struct iommu_viommu_selftest,
					  out_data) - 1,
			      &id);
	test_err_viommu_alloc(EFAULT, self->dev_id, self->parent_id, 0,
			      IOMMU_VIOMMU_TYPE_SELFTEST, (void *)8,
			      sizeof(data), &id);
}

/* mmap() of the iommufd, as iommufd_fops_mmap() takes it. */

#define test_err_mmap(_errno, length, offset, prot, flags)                     	EXPECT_ERRNO(_errno, (long)mmap(NULL, length, prot, flags, self->fd,   					offset))

TEST_F(viommu, viommu_mmap)
{
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	const int rw = PROT_READ | PROT_WRITE;
	__u32 *page, *again, id;
	__u64 len, off;

	test_cmd_viommu_alloc(self->dev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &data, sizeof(data),
			      &id);
	len = data.out_mmap_length;
	off = data.out_mmap_offset;
	/* only the region's exact offset and length */
	test_err_mmap(ENXIO, len, off + PSZ, rw, MAP_SHARED);
	test_err_mmap(ENXIO, len, off + 2 * PSZ, rw, MAP_SHARED);
	test_err_mmap(ENXIO, len / 2, off, rw, MAP_SHARED);
	test_err_mmap(ENXIO, len * 2, off, rw, MAP_SHARED);
	test_err_mmap(ENXIO, len, 0, rw, MAP_SHARED);
	/* the system call's checks, then the iommufd's */
	test_err_mmap(EINVAL, 0, off, rw, MAP_SHARED);
	test_err_mmap(EINVAL, len, off + 1, rw, MAP_SHARED);
	test_err_mmap(EINVAL, len, off, rw, MAP_PRIVATE);
	test_err_mmap(EPERM, len, off, rw | PROT_EXEC, MAP_SHARED);

	/* the loopback: in_data is the region's first word */
	page = mmap(NULL, len, rw, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, page);
	EXPECT_EQ(data.in_data, *page);
	/* two mappings share the pages */
	again = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, again);
	page[1] = 0x1234;
	EXPECT_EQ(0x1234, again[1]);
	/* a mapping holds the vIOMMU */
	test_err_destroy(EBUSY, id);
	EXPECT_EQ(0, munmap(page, len));
	test_err_destroy(EBUSY, id);
	EXPECT_EQ(0, munmap(again, len));
	test_ioctl_destroy(id);
	/* the region went with it */
	test_err_mmap(ENXIO, len, off, rw, MAP_SHARED);
}

TEST_F(viommu, viommu_mmap_outlives_close)
{
	struct iommu_viommu_selftest data = { .in_data = 7 };
	__u32 *page, id;

	test_cmd_viommu_alloc(self->dev_id, self->parent_id,
			      IOMMU_VIOMMU_TYPE_SELFTEST, &data, sizeof(data),
			      &id);
	page = mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED,
		    self->fd, data.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, page);
	/* the mapping keeps the context, as the kernel's keeps the file */
	EXPECT_EQ(0, close(self->fd));
	EXPECT_EQ(7, *page);
	EXPECT_EQ(0, munmap(page, data.out_mmap_length));
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
}

/* ---- destroy orders ------------------------------------------------------ */

TEST_F(viommu, viommu_holds_parent)
{
	__u32 vdev_id, nested_id;

	/* the vIOMMU holds its parent */
	test_err_destroy(EBUSY, self->parent_id);
	/* a vDEVICE and a nested HWPT made on it hold the vIOMMU */
	test_cmd_vdevice_alloc(self->viommu_id, self->dev_id, 0x99, &vdev_id);
	test_cmd_hwpt_alloc_nested(self->dev_id, self->viommu_id, 0,
				   &nested_id, IOMMU_HWPT_DATA_SELFTEST,
				   &nested_data, sizeof(nested_data));
	test_err_destroy(EBUSY, self->viommu_id);
	test_ioctl_destroy(vdev_id);
	test_err_destroy(EBUSY, self->viommu_id);
	/* the nested HWPT holds the vIOMMU, not the parent itself */
	test_ioctl_destroy(nested_id);
	test_err_destroy(EBUSY, self->parent_id);
	test_ioctl_destroy(self->viommu_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(viommu, close_with_everything)
{
	__u32 vdev_id, nested_id, veventq_id, veventq_fd;

	test_cmd_vdevice_alloc(self->viommu_id, self->dev_id, 0x99, &vdev_id);
	test_cmd_hwpt_alloc_nested(self->dev_id, self->viommu_id, 0,
				   &nested_id, IOMMU_HWPT_DATA_SELFTEST,
				   &nested_data, sizeof(nested_data));
	test_cmd_mock_domain_replace(self->stdev_id, nested_id);
	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST,
			       4, &veventq_id, &veventq_fd);
	test_cmd_trigger_vevents(self->dev_id, 2);
	/* the context goes with its queue's file: teardown closes both */
	EXPECT_EQ(0, close(veventq_fd));
}

/* ---- IOMMU_VDEVICE_ALLOC --------------------------------------------------- */

TEST_F(viommu, vdevice_alloc)
{
	__u32 stdev2, hwpt2, dev2, vdev_id, vdev2;

	test_err_vdevice_alloc(ENOENT, 0, self->dev_id, 0x99, &vdev_id);
	test_err_vdevice_alloc(ENOENT, self->parent_id, self->dev_id, 0x99,
			       &vdev_id);
	test_err_vdevice_alloc(ENOENT, self->viommu_id, 0, 0x99, &vdev_id);
	test_cmd_vdevice_alloc(self->viommu_id, self->dev_id, 0x99, &vdev_id);
	/* one vDEVICE per device */
	test_err_vdevice_alloc(EEXIST, self->viommu_id, self->dev_id, 0x88,
			       &vdev2);
	/* one device per virtual ID */
	test_cmd_mock_domain(self->ioas_id, &stdev2, &hwpt2, &dev2);
	test_err_vdevice_alloc(EEXIST, self->viommu_id, dev2, 0x99, &vdev2);
	test_cmd_vdevice_alloc(self->viommu_id, dev2, 0x88, &vdev2);
	/* a vDEVICE holds its device: destroying the device object is EBUSY
	 * (it always is while bound) */
	test_err_destroy(EBUSY, dev2);
	/* its virtual ID is free again once it is gone */
	test_ioctl_destroy(vdev_id);
	test_cmd_vdevice_alloc(self->viommu_id, self->dev_id, 0x99, &vdev_id);
	test_ioctl_destroy(vdev_id);
	test_ioctl_destroy(vdev2);
	test_ioctl_destroy(stdev2);
}

TEST_F(viommu, vdevice_dies_with_device)
{
	__u32 stdev2, hwpt2, dev2, vdev2;

	test_cmd_mock_domain(self->ioas_id, &stdev2, &hwpt2, &dev2);
	test_cmd_vdevice_alloc(self->viommu_id, dev2, 0x77, &vdev2);
	test_err_destroy(EBUSY, self->viommu_id);
	/* the device's unbind takes its vDEVICE with it */
	test_ioctl_destroy(stdev2);
	test_err_destroy(ENOENT, vdev2);
	test_ioctl_destroy(self->viommu_id);
}

/* ---- nested HWPTs on a vIOMMU ---------------------------------------------- */

TEST_F(viommu, nested_alloc_on_viommu)
{
	__u32 nested_id, vdev_id;

	/* the selftest data is required, of the selftest type */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->dev_id, self->viommu_id,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, &nested_id,
				   IOMMU_HWPT_DATA_SELFTEST, &nested_data,
				   sizeof(nested_data));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->dev_id, self->viommu_id,
				   0, &nested_id, IOMMU_HWPT_DATA_VTD_S1,
				   &nested_data, sizeof(nested_data));
	test_cmd_hwpt_alloc_nested(self->dev_id, self->viommu_id, 0,
				   &nested_id, IOMMU_HWPT_DATA_SELFTEST,
				   &nested_data, sizeof(nested_data));
	test_cmd_hwpt_check_iotlb_all(nested_id, IOMMU_TEST_IOTLB_DEFAULT);
	/* a device the guest does not know cannot attach */
	test_err_mock_domain_replace(ENOENT, self->stdev_id, nested_id);
	test_cmd_vdevice_alloc(self->viommu_id, self->dev_id, 0x99, &vdev_id);
	test_cmd_mock_domain_replace(self->stdev_id, nested_id);
	/* a nested HWPT is never a parent */
	test_err_viommu_alloc(ENOENT, self->dev_id, nested_id, 0,
			      IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, NULL);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested_id);
	test_ioctl_destroy(vdev_id);
}

/* ---- IOMMU_HWPT_INVALIDATE on a vIOMMU -------------------------------------- */

TEST_F(viommu, invalidate)
{
	struct iommu_viommu_invalidate_selftest inv[3] = {};
	struct {
		struct iommu_viommu_invalidate_selftest inv;
		__u32 tail;
	} longer = {};
	__u32 num, vdev_id;

	test_cmd_vdevice_alloc(self->viommu_id, self->dev_id, 0x99, &vdev_id);

	/* the type: an empty array of the right one checks it */
	num = 0;
	test_cmd_hwpt_invalidate(self->viommu_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->viommu_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	/* the core's checks: a pointer and a length with entries */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->viommu_id, NULL,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->viommu_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 0,
				 &num);
	EXPECT_EQ(0, num);
	/* the whole array is read before any request is handled */
	num = 1;
	test_err_hwpt_invalidate(EFAULT, self->viommu_id, (void *)8,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);

	/* each bad field of a request */
	inv[0] = (struct iommu_viommu_invalidate_selftest){
		.flags = 0x2, .vdev_id = 0x99 };
	num = 1;
	test_err_hwpt_invalidate(EOPNOTSUPP, self->viommu_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	inv[0] = (struct iommu_viommu_invalidate_selftest){
		.vdev_id = 0x99, .cache_id = MOCK_DEV_CACHE_ID_MAX + 1 };
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->viommu_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	inv[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = 0x98 };
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->viommu_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	test_cmd_dev_check_cache_all(self->dev_id, IOMMU_TEST_DEV_CACHE_DEFAULT);

	/* a bad request in the middle: the first is done, the third not */
	inv[0] = (struct iommu_viommu_invalidate_selftest){
		.vdev_id = 0x99, .cache_id = 0 };
	inv[1] = (struct iommu_viommu_invalidate_selftest){
		.vdev_id = 0x99, .cache_id = MOCK_DEV_CACHE_ID_MAX + 1 };
	inv[2] = (struct iommu_viommu_invalidate_selftest){
		.vdev_id = 0x99, .cache_id = 2 };
	num = 3;
	test_err_hwpt_invalidate(EINVAL, self->viommu_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(1, num);
	test_cmd_dev_check_cache(self->dev_id, 0, 0);
	test_cmd_dev_check_cache(self->dev_id, 1, IOMMU_TEST_DEV_CACHE_DEFAULT);
	test_cmd_dev_check_cache(self->dev_id, 2, IOMMU_TEST_DEV_CACHE_DEFAULT);
	test_cmd_dev_check_cache(self->dev_id, 3, IOMMU_TEST_DEV_CACHE_DEFAULT);

	/* a longer entry with a zero tail is taken, a non-zero tail E2BIG */
	longer.inv = (struct iommu_viommu_invalidate_selftest){
		.vdev_id = 0x99, .cache_id = 1 };
	longer.tail = 1;
	num = 1;
	test_err_hwpt_invalidate(E2BIG, self->viommu_id, &longer,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(longer), &num);
	EXPECT_EQ(0, num);
	longer.tail = 0;
	num = 1;
	test_cmd_hwpt_invalidate(self->viommu_id, &longer,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(longer), &num);
	EXPECT_EQ(1, num);
	test_cmd_dev_check_cache(self->dev_id, 1, 0);

	/* "all" ignores the cache index */
	inv[0] = (struct iommu_viommu_invalidate_selftest){
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL, .vdev_id = 0x99,
		.cache_id = MOCK_DEV_CACHE_ID_MAX };
	num = 1;
	test_cmd_hwpt_invalidate(self->viommu_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(1, num);
	test_cmd_dev_check_cache_all(self->dev_id, 0);

	/* an IOAS or a paging HWPT takes no invalidation */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->parent_id, inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(*inv), &num);
	EXPECT_EQ(0, num);
	test_ioctl_destroy(vdev_id);
}

TEST_F(viommu, invalidate_per_device)
{
	struct iommu_viommu_invalidate_selftest inv = { .vdev_id = 0x2 };
	__u32 stdev2, hwpt2, dev2, vdev1, vdev2, num = 1;

	test_cmd_mock_domain(self->ioas_id, &stdev2, &hwpt2, &dev2);
	test_cmd_vdevice_alloc(self->viommu_id, self->dev_id, 0x1, &vdev1);
	test_cmd_vdevice_alloc(self->viommu_id, dev2, 0x2, &vdev2);
	/* the virtual ID names the device */
	inv.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	test_cmd_hwpt_invalidate(self->viommu_id, &inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv), &num);
	test_cmd_dev_check_cache_all(dev2, 0);
	test_cmd_dev_check_cache_all(self->dev_id,
				     IOMMU_TEST_DEV_CACHE_DEFAULT);
	test_ioctl_destroy(stdev2);
	/* its vDEVICE went with it: the ID names nothing now */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->viommu_id, &inv,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				 sizeof(inv), &num);
	test_ioctl_destroy(vdev1);
}

/* ---- PASIDs on a vIOMMU (the kernel's PASID fixture's vIOMMU steps) ---- */

TEST_F(viommu, pasid_on_viommu)
{
	struct iommu_hwpt_pgfault rec;
	__u32 stdev, hwpt, dev, pparent, pviommu, vdev, nested, iopf;
	__u32 fault_id, pasid = 100, plain;
	int fault_fd;
	int saved = self->stdev_id;

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_PASID,
				   &stdev, &hwpt, &dev);
	self->stdev_id = stdev;
	test_cmd_hwpt_alloc(dev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
			    &pparent);
	test_cmd_viommu_alloc(dev, pparent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL,
			      0, &pviommu);
	test_cmd_vdevice_alloc(pviommu, dev, 0x42, &vdev);
	/* nested HWPTs on the vIOMMU that may serve PASIDs, one of them
	 * with a fault queue */
	test_cmd_hwpt_alloc_nested(dev, pviommu, IOMMU_HWPT_ALLOC_PASID,
				   &nested, IOMMU_HWPT_DATA_SELFTEST,
				   &nested_data, sizeof(nested_data));
	test_cmd_hwpt_alloc_nested(dev, pviommu, 0, &plain,
				   IOMMU_HWPT_DATA_SELFTEST, &nested_data,
				   sizeof(nested_data));
	test_ioctl_fault_alloc(&fault_id, &fault_fd);
	test_cmd_hwpt_alloc_iopf(dev, pviommu, fault_id,
				 IOMMU_HWPT_FAULT_ID_VALID |
					 IOMMU_HWPT_ALLOC_PASID,
				 &iopf, IOMMU_HWPT_DATA_SELFTEST, &nested_data,
				 sizeof(nested_data));
	/* the RID on a PASID-compatible HWPT, then PASIDs on nested ones */
	test_cmd_mock_domain_replace(stdev, pparent);
	test_err_pasid_attach(EINVAL, pasid, plain);
	test_cmd_pasid_attach(pasid, nested);
	test_cmd_pasid_check_hwpt(pasid, nested);
	EXPECT_ERRNO(EBUSY, _test_ioctl_destroy(self->fd, nested));
	/* a PASID's page requests reach the nested HWPT's fault queue */
	ASSERT_EQ(0, _test_cmd_pasid_attach(self->fd, stdev, true, pasid,
					    iopf, NULL));
	test_cmd_trigger_iopf(dev, pasid, 3);
	ASSERT_EQ(sizeof(rec), read(fault_fd, &rec, sizeof(rec)));
	EXPECT_EQ(pasid, rec.pasid);
	EXPECT_EQ(dev, rec.dev_id);
	EXPECT_EQ(3, rec.grpid);
	test_cmd_pasid_detach(pasid);
	test_cmd_pasid_check_hwpt(pasid, 0);
	/* the RID on the vIOMMU's nested HWPT too */
	test_cmd_mock_domain_replace(stdev, nested);
	test_err_trigger_vevents(EOPNOTSUPP, dev);
	test_cmd_mock_domain_replace(stdev, self->ioas_id);
	EXPECT_EQ(0, close(fault_fd));
	test_ioctl_destroy(iopf);
	test_ioctl_destroy(plain);
	test_ioctl_destroy(nested);
	test_ioctl_destroy(stdev);
	self->stdev_id = saved;
}

/* ---- IOMMU_HW_QUEUE_ALLOC --------------------------------------------------- */

TEST_F(viommu, hw_queue)
{
	__u64 iova = MOCK_APERTURE_START, iova2;
	__u32 q[2], id;
	void *buf;

	buf = mmap_touched(2 * PSZ);
	ASSERT_NE(MAP_FAILED, buf);
	/* flags and type, length, range, then the vIOMMU */
	EXPECT_ERRNO(EOPNOTSUPP,
		     ioctl(self->fd, IOMMU_HW_QUEUE_ALLOC,
			   &(struct iommu_hw_queue_alloc){
				   .size = sizeof(struct iommu_hw_queue_alloc),
				   .flags = 1,
				   .viommu_id = self->viommu_id,
				   .type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
				   .length = PSZ }));
	test_err_hw_queue_alloc(EOPNOTSUPP, self->viommu_id,
				IOMMU_HW_QUEUE_TYPE_DEFAULT, 0, iova, PSZ, &id);
	test_err_hw_queue_alloc(EINVAL, self->viommu_id,
				IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, 0, &id);
	test_err_hw_queue_alloc(EOVERFLOW, self->viommu_id,
				IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, ~0ull, PSZ,
				&id);
	test_err_hw_queue_alloc(ENOENT, 0, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
				iova, PSZ, &id);
	test_err_hw_queue_alloc(EOPNOTSUPP, self->viommu_id, 0x1234, 0, iova,
				PSZ, &id);
	/* nothing mapped there yet */
	test_err_hw_queue_alloc(ENOENT, self->viommu_id,
				IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, PSZ,
				&id);
	test_ioctl_ioas_map(buf, PSZ, &iova);
	test_ioctl_ioas_map((char *)buf + PSZ, PSZ, &iova2);
	/* queues come in order, up to the driver's count */
	test_err_hw_queue_alloc(EIO, self->viommu_id,
				IOMMU_HW_QUEUE_TYPE_SELFTEST, 1, iova, PSZ,
				&id);
	test_err_hw_queue_alloc(EINVAL, self->viommu_id,
				IOMMU_HW_QUEUE_TYPE_SELFTEST,
				IOMMU_TEST_HW_QUEUE_MAX, iova, PSZ, &id);
	test_cmd_hw_queue_alloc(self->viommu_id, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				0, iova, PSZ, &q[0]);
	test_err_hw_queue_alloc(EEXIST, self->viommu_id,
				IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, PSZ,
				&id);
	/* the queue's memory is pinned: UNMAP is refused, the rest not */
	test_err_ioctl_ioas_unmap(EBUSY, iova, PSZ);
	test_ioctl_ioas_unmap(iova2, PSZ);
	/* an unaligned queue inside one page */
	test_cmd_hw_queue_alloc(self->viommu_id, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				1, iova + PSZ / 2, PSZ / 2, &q[1]);
	/* queue 1 depends on queue 0, and both on the vIOMMU */
	test_err_destroy(EBUSY, q[0]);
	test_err_destroy(EBUSY, self->viommu_id);
	test_ioctl_destroy(q[1]);
	test_ioctl_destroy(q[0]);
	test_ioctl_ioas_unmap(iova, PSZ);
	test_no_pins(buf, 2 * PSZ);
	munmap(buf, 2 * PSZ);
}

TEST_F(viommu, hw_queue_close_pinned)
{
	__u64 iova;
	__u32 q;
	void *buf;

	buf = mmap_touched(PSZ);
	ASSERT_NE(MAP_FAILED, buf);
	test_ioctl_ioas_map(buf, PSZ, &iova);
	test_cmd_hw_queue_alloc(self->viommu_id, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				0, iova, PSZ, &q);
	/* closing the context lets go of the queue's pin */
	EXPECT_EQ(0, close(self->fd));
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_no_pins(buf, PSZ);
	munmap(buf, PSZ);
}

TEST_HARNESS_MAIN
