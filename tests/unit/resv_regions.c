// SPDX-License-Identifier: MIT
/*
 * Device reserved regions below the ioctl layer. The merged mock has none,
 * so these tests put mock devices behind an IOMMU instance of their own,
 * whose driver table's get_resv_regions names some, and watch the IOAS
 * through the ioctls:
 *
 *  - attaching the RID reserves the regions (all but the relaxable direct
 *    ones) in the IOAS behind the HWPT, a nested HWPT's parent's; detach
 *    gives them back; a PASID attach imposes none;
 *  - a region over a mapping or an allowed range makes the attach
 *    EADDRINUSE, and then nothing of the device stays reserved;
 *  - a driver offering two software MSI windows, or one beside a hardware
 *    MSI window, is refused (EINVAL);
 *  - replace moves the regions when the IOAS changes, and a failed replace
 *    leaves them where they were.
 */
#include "iommufd/device.h"
#include "iommu/drivers/mock_device.h"
#include "harness.h"
#include "iommufd/iommufd_private.h"
#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#define MB (1ull << 20)
#define RESV_START (MOCK_APERTURE_START + 16 * MB)
#define RESV_LENGTH (1 * MB)

/* A mock device behind an instance whose driver also names reserved
 * regions. */
struct resv_dev {
	struct mock_dev *mdev;
	const struct iommu_resv_region *regions;
	unsigned int count;
	struct iommufd_device *idev;
	uint32_t idev_id;
};

static const struct iommu_ops *mock_ops;

static struct resv_dev *to_resv_dev(struct device *dev);

static unsigned int resv_get_regions(struct device *dev,
				     const struct iommu_resv_region **regions)
{
	struct resv_dev *rd = to_resv_dev(dev);

	*regions = rd->regions;
	return rd->count;
}

/* Domains must name the table their device has, or nesting and PASIDs
 * would take them for another driver's. */
static struct iommu_domain *
resv_alloc_paging(struct device *dev, uint32_t flags,
		  const struct iommu_user_data *user_data, int *err)
{
	struct iommu_domain *domain =
		mock_ops->domain_alloc_paging_flags(dev, flags, user_data, err);

	if (domain)
		domain->owner = dev_iommu_ops(dev);
	return domain;
}

static struct iommu_domain *
resv_alloc_nested(struct device *dev, struct iommu_domain *parent,
		  uint32_t flags, const struct iommu_user_data *user_data,
		  int *err)
{
	struct iommu_domain *domain = mock_ops->domain_alloc_nested(
		dev, parent, flags, user_data, err);

	if (domain)
		domain->owner = dev_iommu_ops(dev);
	return domain;
}

/* Devices live in a small table so the driver can find its own. */
static struct resv_dev devs[4];

static struct resv_dev *to_resv_dev(struct device *dev)
{
	for (unsigned int i = 0; i < 4; i++)
		if (devs[i].mdev && &devs[i].mdev->dev == dev)
			return &devs[i];
	return NULL;
}

/* The mock's driver with reserved regions, on an instance of its own. */
static struct iommu_ops resv_ops;
static struct iommu_device resv_iommu = { .ops = &resv_ops, .name = "resv" };

static struct iommu_device *resv_instance(void)
{
	struct iommu_device *mock = mock_iommu();

	if (resv_iommu.registered)
		return &resv_iommu;
	mock_ops = mock->ops;
	resv_ops = *mock_ops;
	resv_ops.get_resv_regions = resv_get_regions;
	resv_ops.domain_alloc_paging_flags = resv_alloc_paging;
	resv_ops.domain_alloc_nested = resv_alloc_nested;
	resv_iommu.max_pasids = mock->max_pasids;
	resv_iommu.caps = mock->caps;
	return iommu_device_register(&resv_iommu) ? NULL : &resv_iommu;
}

static struct iommufd_ctx *ictx_of(struct iommusim_ctx *ctx)
{
	return (struct iommufd_ctx *)ctx;
}

static struct resv_dev *new_dev(struct iommusim_ctx *ctx, unsigned int slot,
				const struct iommu_resv_region *regions,
				unsigned int count)
{
	struct resv_dev *rd = &devs[slot];
	int err;

	rd->mdev = mock_dev_create(resv_instance(), MOCK_FLAGS_DEVICE_PASID,
				   &err);
	if (!rd->mdev)
		return NULL;
	rd->regions = regions;
	rd->count = count;
	rd->idev = iommufd_device_bind(ictx_of(ctx), &rd->mdev->dev,
				       &rd->idev_id, &err);
	return rd->idev ? rd : NULL;
}

static void free_dev(struct resv_dev *rd)
{
	iommufd_device_detach_pasids(rd->idev);
	iommufd_device_detach(rd->idev, IOMMU_NO_PASID);
	iommufd_device_unbind(rd->idev);
	mock_dev_destroy(rd->mdev);
	memset(rd, 0, sizeof(*rd));
}

/* ---- the ioctls, as a program would call them ------------------------- */

static uint32_t ioas_alloc(struct iommusim_ctx *ctx)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	return iommusim_ioctl(ctx, IOMMU_IOAS_ALLOC, &cmd) ? 0 :
							      cmd.out_ioas_id;
}

static int map_fixed(struct iommusim_ctx *ctx, uint32_t ioas, void *buf,
		     uint64_t iova, uint64_t length)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = length,
		.iova = iova,
	};

	return iommusim_ioctl(ctx, IOMMU_IOAS_MAP, &cmd);
}

static int unmap_all(struct iommusim_ctx *ctx, uint32_t ioas)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.length = UINT64_MAX,
	};

	return iommusim_ioctl(ctx, IOMMU_IOAS_UNMAP, &cmd);
}

static int allow(struct iommusim_ctx *ctx, uint32_t ioas, uint64_t start,
		 uint64_t last)
{
	struct iommu_iova_range range = { .start = start, .last = last };
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&range,
	};

	return iommusim_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

static int hwpt_alloc(struct iommusim_ctx *ctx, uint32_t dev_id,
		      uint32_t pt_id, uint32_t flags, uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int rc = iommusim_ioctl(ctx, IOMMU_HWPT_ALLOC, &cmd);

	*out = cmd.out_hwpt_id;
	return rc;
}

static int hwpt_alloc_nested(struct iommusim_ctx *ctx, uint32_t dev_id,
			     uint32_t parent, uint32_t *out)
{
	struct iommu_hwpt_selftest data = { .iotlb = 0 };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_ALLOC_PASID,
		.dev_id = dev_id,
		.pt_id = parent,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	int rc = iommusim_ioctl(ctx, IOMMU_HWPT_ALLOC, &cmd);

	*out = cmd.out_hwpt_id;
	return rc;
}

static int destroy(struct iommusim_ctx *ctx, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return iommusim_ioctl(ctx, IOMMU_DESTROY, &cmd);
}

/*
 * Whether [start, last] is kept from use in the IOAS: not inside one of
 * the usable ranges IOVA_RANGES reports (reserved, or outside a domain's
 * aperture). A failed query fails the test.
 */
#define is_reserved(ctx, ioas, _first, _last)                                  \
	({                                                                     \
		struct iommu_iova_range __r[8];                                \
		struct iommu_ioas_iova_ranges __cmd = {                        \
			.size = sizeof(__cmd),                                 \
			.ioas_id = (ioas),                                     \
			.num_iovas = 8,                                        \
			.allowed_iovas = (uintptr_t)__r,                       \
		};                                                             \
		bool __usable = false;                                         \
									       \
		ASSERT_EQ(0, iommusim_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES,       \
					    &__cmd));                          \
		for (unsigned int __i = 0; __i < __cmd.num_iovas; __i++)       \
			__usable |= __r[__i].start <= (_first) &&              \
				    (_last) <= __r[__i].last;                  \
		!__usable;                                                     \
	})

/* ---- fixtures ----------------------------------------------------------- */

static const struct iommu_resv_region one_region[] = {
	{ RESV_START, RESV_LENGTH, IOMMU_RESV_RESERVED },
};

struct env {
	struct iommusim_ctx *ctx;
	uint32_t ioas;
	void *buf;
};

static int env_init(struct env *e)
{
	e->buf = mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e->buf == MAP_FAILED || iommusim_open(&e->ctx))
		return -1;
	memset(e->buf, 1, 4 * MB);
	e->ioas = ioas_alloc(e->ctx);
	return e->ioas ? 0 : -1;
}

static void env_fini(struct env *e)
{
	iommusim_close(e->ctx);
	munmap(e->buf, 4 * MB);
}

#define RESV_LAST (RESV_START + RESV_LENGTH - 1)

TEST(attach_reserves_detach_releases)
{
	struct resv_dev *rd;
	struct env e;
	uint32_t pt;

	ASSERT_EQ(0, env_init(&e));
	rd = new_dev(e.ctx, 0, one_region, 1);
	ASSERT_NE(NULL, rd);
	pt = e.ioas;
	ASSERT_EQ(0, iommufd_device_attach(rd->idev, IOMMU_NO_PASID, &pt));
	EXPECT_TRUE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_START));
	EXPECT_TRUE(is_reserved(e.ctx, e.ioas, RESV_LAST, RESV_LAST));
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_START - 4096,
				 RESV_START - 1));
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_LAST + 1,
				 RESV_LAST + 4096));
	/* nothing maps over it, nor may an allowed range cover it */
	EXPECT_EQ(-EINVAL, map_fixed(e.ctx, e.ioas, e.buf, RESV_LAST - 4095,
				     8192));
	EXPECT_EQ(-EADDRINUSE,
		  allow(e.ctx, e.ioas, RESV_START - MB, RESV_START));
	EXPECT_EQ(0, map_fixed(e.ctx, e.ioas, e.buf, RESV_LAST + 1, 4096));
	ASSERT_EQ(0, unmap_all(e.ctx, e.ioas));

	iommufd_device_detach(rd->idev, IOMMU_NO_PASID);
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_LAST));
	EXPECT_EQ(0, map_fixed(e.ctx, e.ioas, e.buf, RESV_START, 8192));
	free_dev(rd);
	env_fini(&e);
}

TEST(mapping_or_allowed_range_refuses_attach)
{
	struct resv_dev *rd;
	struct env e;
	uint32_t pt;

	ASSERT_EQ(0, env_init(&e));
	rd = new_dev(e.ctx, 0, one_region, 1);
	ASSERT_NE(NULL, rd);
	ASSERT_EQ(0, map_fixed(e.ctx, e.ioas, e.buf, RESV_LAST - 4095, 8192));
	pt = e.ioas;
	EXPECT_EQ(-EADDRINUSE,
		  iommufd_device_attach(rd->idev, IOMMU_NO_PASID, &pt));
	EXPECT_EQ(e.ioas, pt);
	ASSERT_EQ(0, unmap_all(e.ctx, e.ioas));
	/* nothing of the device stayed, nor a HWPT: the IOAS is free */
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_LAST));

	ASSERT_EQ(0, allow(e.ctx, e.ioas, RESV_LAST, RESV_LAST + MB));
	EXPECT_EQ(-EADDRINUSE,
		  iommufd_device_attach(rd->idev, IOMMU_NO_PASID, &pt));
	ASSERT_EQ(0, allow(e.ctx, e.ioas, RESV_LAST + 1, RESV_LAST + MB));
	ASSERT_EQ(0, iommufd_device_attach(rd->idev, IOMMU_NO_PASID, &pt));
	EXPECT_NE(e.ioas, pt);
	free_dev(rd);
	EXPECT_EQ(0, destroy(e.ctx, e.ioas));
	env_fini(&e);
}

TEST(kinds_of_region)
{
	static const struct iommu_resv_region relaxable[] = {
		{ RESV_START, RESV_LENGTH, IOMMU_RESV_DIRECT_RELAXABLE },
		{ RESV_START + 4 * MB, MB, IOMMU_RESV_DIRECT },
		{ RESV_START + 8 * MB, MB, IOMMU_RESV_SW_MSI },
	};
	static const struct iommu_resv_region two_sw_msi[] = {
		{ RESV_START, MB, IOMMU_RESV_SW_MSI },
		{ RESV_START + 4 * MB, MB, IOMMU_RESV_SW_MSI },
	};
	static const struct iommu_resv_region sw_and_hw_msi[] = {
		{ RESV_START, MB, IOMMU_RESV_MSI },
		{ RESV_START + 4 * MB, MB, IOMMU_RESV_SW_MSI },
	};
	struct resv_dev *rd, *bad;
	struct env e;
	uint32_t pt;

	ASSERT_EQ(0, env_init(&e));
	rd = new_dev(e.ctx, 0, relaxable, 3);
	ASSERT_NE(NULL, rd);
	EXPECT_EQ(UINT64_MAX, rd->idev->sw_msi_start);
	pt = e.ioas;
	ASSERT_EQ(0, iommufd_device_attach(rd->idev, IOMMU_NO_PASID, &pt));
	/* relaxable direct regions are the user's to map */
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_LAST));
	EXPECT_TRUE(is_reserved(e.ctx, e.ioas, RESV_START + 4 * MB,
				RESV_START + 4 * MB));
	EXPECT_TRUE(is_reserved(e.ctx, e.ioas, RESV_START + 8 * MB,
				RESV_START + 9 * MB - 1));
	EXPECT_EQ(RESV_START + 8 * MB, rd->idev->sw_msi_start);

	/* a driver's bad MSI offer: refused, nothing of it left behind */
	bad = new_dev(e.ctx, 1, two_sw_msi, 2);
	ASSERT_NE(NULL, bad);
	EXPECT_EQ(-EINVAL,
		  iommufd_device_attach(bad->idev, IOMMU_NO_PASID, &pt));
	bad->regions = sw_and_hw_msi;
	EXPECT_EQ(-EINVAL,
		  iommufd_device_attach(bad->idev, IOMMU_NO_PASID, &pt));
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_START));
	free_dev(bad);
	free_dev(rd);
	env_fini(&e);
}

TEST(two_devices_one_region)
{
	struct resv_dev *a, *b;
	struct env e;
	uint32_t pt;

	ASSERT_EQ(0, env_init(&e));
	a = new_dev(e.ctx, 0, one_region, 1);
	b = new_dev(e.ctx, 1, one_region, 1);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	pt = e.ioas;
	ASSERT_EQ(0, iommufd_device_attach(a->idev, IOMMU_NO_PASID, &pt));
	ASSERT_EQ(0, iommufd_device_attach(b->idev, IOMMU_NO_PASID, &pt));
	/* each owns its own reservation */
	iommufd_device_detach(a->idev, IOMMU_NO_PASID);
	EXPECT_TRUE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_START));
	iommufd_device_detach(b->idev, IOMMU_NO_PASID);
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_LAST));
	free_dev(a);
	free_dev(b);
	env_fini(&e);
}

/* A nested HWPT reserves in its parent's IOAS; a PASID reserves nowhere. */
TEST(nested_and_pasid)
{
	struct resv_dev *rd;
	struct env e;
	uint32_t ioas2, parent, nested, pasid_hwpt, pt;

	ASSERT_EQ(0, env_init(&e));
	ioas2 = ioas_alloc(e.ctx);
	ASSERT_NE(0, ioas2);
	rd = new_dev(e.ctx, 0, one_region, 1);
	ASSERT_NE(NULL, rd);
	ASSERT_EQ(0, hwpt_alloc(e.ctx, rd->idev_id, e.ioas,
				IOMMU_HWPT_ALLOC_NEST_PARENT |
					IOMMU_HWPT_ALLOC_PASID,
				&parent));
	ASSERT_EQ(0, hwpt_alloc_nested(e.ctx, rd->idev_id, parent, &nested));
	ASSERT_EQ(0, hwpt_alloc(e.ctx, rd->idev_id, ioas2,
				IOMMU_HWPT_ALLOC_PASID, &pasid_hwpt));

	pt = nested;
	ASSERT_EQ(0, iommufd_device_attach(rd->idev, IOMMU_NO_PASID, &pt));
	EXPECT_TRUE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_START));
	pt = pasid_hwpt;
	ASSERT_EQ(0, iommufd_device_attach(rd->idev, 5, &pt));
	EXPECT_EQ(0, map_fixed(e.ctx, ioas2, e.buf, RESV_START, 8192));
	/* RID from nested to its parent: the same IOAS, nothing moves */
	pt = parent;
	ASSERT_EQ(0, iommufd_device_replace(rd->idev, IOMMU_NO_PASID, &pt));
	EXPECT_TRUE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_START));
	/* to ioas2, where a mapping sits on the region: refused, kept */
	pt = pasid_hwpt;
	EXPECT_EQ(-EADDRINUSE,
		  iommufd_device_replace(rd->idev, IOMMU_NO_PASID, &pt));
	EXPECT_TRUE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_START));
	EXPECT_FALSE(iommufd_device_pasid_attached_to(rd->idev, IOMMU_NO_PASID,
						      NULL));
	/* once the mapping is gone, the regions move with the RID */
	ASSERT_EQ(0, unmap_all(e.ctx, ioas2));
	ASSERT_EQ(0, iommufd_device_replace(rd->idev, IOMMU_NO_PASID, &pt));
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_LAST));
	EXPECT_EQ(-EINVAL, map_fixed(e.ctx, ioas2, e.buf, RESV_START, 8192));

	/* back to e.ioas past its reservation, then refused by the RID's
	 * PASID rule: what was reserved there for the try is gone again */
	pt = parent;
	ASSERT_EQ(0, hwpt_alloc(e.ctx, rd->idev_id, e.ioas, 0, &pt));
	EXPECT_EQ(-EINVAL,
		  iommufd_device_replace(rd->idev, IOMMU_NO_PASID, &pt));
	EXPECT_FALSE(is_reserved(e.ctx, e.ioas, RESV_START, RESV_LAST));
	EXPECT_TRUE(is_reserved(e.ctx, ioas2, RESV_START, RESV_START));
	EXPECT_EQ(0, destroy(e.ctx, pt));

	iommufd_device_detach(rd->idev, 5);
	free_dev(rd);
	EXPECT_FALSE(is_reserved(e.ctx, ioas2, RESV_START, RESV_LAST));
	EXPECT_EQ(0, destroy(e.ctx, nested));
	EXPECT_EQ(0, destroy(e.ctx, parent));
	EXPECT_EQ(0, destroy(e.ctx, pasid_hwpt));
	env_fini(&e);
}

TEST_HARNESS_MAIN
