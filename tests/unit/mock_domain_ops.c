// SPDX-License-Identifier: MIT
/*
 * The mock IOMMU's domains through the driver interface: the paging
 * domain's types, geometry, map/unmap and dirty ops; its translate op (the
 * walker's hardware walk, with the outcomes iommu.h documents) and the
 * nested domain's lack of one; its IOTLB flush, and that the core asks for
 * a flush after every UNMAP from a domain and whenever a device leaves one
 * (detach of the RID or of a PASID, replace).
 */
#include "harness.h"

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "base/usermem.h"
#include "iommu/drivers/mock.h"
#include "iommu/drivers/mock_device.h"
#include "iommu/drivers/mock_nested.h"
#include "iommu/user_data.h"
#include "iommufd/device.h"
#include "iommufd/iommufd_private.h"
#include "dirty_log.h"

#define SZ_2K 0x800ull
#define SZ_4K 0x1000ull
#define SZ_1M 0x100000ull
#define RW (IOMMU_READ | IOMMU_WRITE)
#define PA_BASE 0x7f0000000000ull

/* ---- the paging domain's ops ------------------------------------------------ */

TEST(mock_domain_types_and_geometry)
{
	struct iommu_domain *d;
	int err = 0;

	d = mock_domain_alloc_paging(MOCK_IOMMUPT_DEFAULT, false, &err);
	ASSERT_NONNULL(d);
	ASSERT_EQ(IOMMU_DOMAIN_PAGING, d->kind);
	ASSERT_EQ(MOCK_APERTURE_START, d->geometry.aperture_start);
	ASSERT_EQ(MOCK_APERTURE_LAST, d->geometry.aperture_end);
	ASSERT_EQ(0x3ffffff800ull, d->pgsize_bitmap);
	ASSERT_EQ(MOCK_PAGE_SIZE, iommu_min_page_size(d));
	ASSERT_NULL(d->ops->set_dirty_tracking);
	ASSERT_NULL(d->ops->read_and_clear_dirty);
	ASSERT_NONNULL(d->ops->translate);
	ASSERT_NONNULL(d->ops->iotlb_flush);
	ASSERT_TRUE(mock_domain_is_paging(d));
	d->ops->free(d);

	d = mock_domain_alloc_paging(MOCK_IOMMUPT_HUGE, true, &err);
	ASSERT_NONNULL(d);
	ASSERT_EQ(0, d->geometry.aperture_start);
	ASSERT_EQ((1ull << 38) - 1, d->geometry.aperture_end);
	ASSERT_EQ(MOCK_HUGE_PAGE_SIZE | SZ_4K, d->pgsize_bitmap);
	ASSERT_NONNULL(d->ops->set_dirty_tracking);
	ASSERT_NONNULL(d->ops->read_and_clear_dirty);
	ASSERT_NONNULL(d->ops->translate);
	ASSERT_NONNULL(d->ops->iotlb_flush);
	d->ops->free(d);

	ASSERT_NULL(mock_domain_alloc_paging(2, false, &err));
	ASSERT_EQ(-EOPNOTSUPP, err);
	ASSERT_FALSE(mock_domain_is_paging(NULL));
}

TEST(mock_domain_map_unmap_dirty)
{
	struct iommu_translation t;
	struct iommu_domain *d;
	struct dirty_log log;
	uint64_t a = MOCK_APERTURE_START;
	int err = 0;

	d = mock_domain_alloc_paging(MOCK_IOMMUPT_HUGE, true, &err);
	ASSERT_NONNULL(d);
	/* The smallest page of this domain is 4 KiB. */
	ASSERT_EQ(-EINVAL,
		  d->ops->map_pages(d, a, PA_BASE, SZ_2K, RW, SZ_1M));
	ASSERT_EQ(-EINVAL,
		  d->ops->map_pages(d, a + SZ_2K, PA_BASE, SZ_4K, RW, SZ_1M));
	ASSERT_EQ(0, d->ops->map_pages(d, a, PA_BASE, 2 * SZ_1M, RW, SZ_1M));
	ASSERT_EQ(PA_BASE + SZ_1M + 5, d->ops->iova_to_phys(d, a + SZ_1M + 5));
	ASSERT_EQ(0, iommu_domain_translate(d, a + 8, true, true, &t));
	ASSERT_EQ(SZ_1M, t.leaf_size);

	/* IOMMU_TEST_OP_DIRTY needs tracking on. */
	ASSERT_FALSE(mock_domain_dirty_tracking(d));
	ASSERT_EQ(-EINVAL, mock_domain_mark_dirty(d, a + SZ_1M, SZ_4K));
	ASSERT_EQ(0, d->ops->set_dirty_tracking(d, true));
	ASSERT_TRUE(mock_domain_dirty_tracking(d));
	ASSERT_EQ(0, mock_domain_mark_dirty(d, a + SZ_1M, SZ_4K));
	log_reset(&log);
	ASSERT_EQ(0, d->ops->read_and_clear_dirty(d, a, 2 * SZ_1M, 0,
						  &log.bitmap));
	ASSERT_EQ(2, log.n);
	ASSERT_EQ(a, log.iova[0]);
	ASSERT_EQ(SZ_1M, log.length[0]);
	ASSERT_EQ(a + SZ_1M, log.iova[1]);
	ASSERT_EQ(SZ_1M, log.length[1]);
	ASSERT_EQ(0, d->ops->set_dirty_tracking(d, false));
	ASSERT_EQ(-EINVAL, mock_domain_mark_dirty(d, a, SZ_4K));

	ASSERT_EQ(2 * SZ_1M, d->ops->unmap_pages(d, a, 2 * SZ_1M));
	ASSERT_EQ(0, d->ops->iova_to_phys(d, a));
	/* Memory contiguous only by CPU pages: no huge leaf over it. */
	ASSERT_EQ(0, d->ops->map_pages(d, a, PA_BASE, SZ_1M, RW, SZ_4K));
	ASSERT_EQ(0, iommu_domain_translate(d, a + SZ_4K, true, false, &t));
	ASSERT_EQ(PA_BASE + SZ_4K, t.oa);
	ASSERT_GT(SZ_1M, t.leaf_size);
	ASSERT_EQ(SZ_1M, d->ops->unmap_pages(d, a, SZ_1M));
	/* Freed with mappings left: the table goes with it (ASan checks). */
	ASSERT_EQ(0,
		  d->ops->map_pages(d, a, PA_BASE + SZ_4K, SZ_1M, RW, SZ_1M));
	d->ops->free(d);

	/* The 6.12 mock: 2 KiB pages only, set after allocation. */
	d = mock_domain_alloc_paging(MOCK_IOMMUPT_DEFAULT, false, &err);
	ASSERT_NONNULL(d);
	d->pgsize_bitmap = MOCK_PAGE_SIZE;
	ASSERT_EQ(0,
		  d->ops->map_pages(d, a, PA_BASE, SZ_1M, IOMMU_READ, SZ_1M));
	ASSERT_EQ(0, iommu_domain_translate(d, a, false, false, &t));
	ASSERT_EQ(SZ_2K, t.leaf_size);
	ASSERT_EQ(IOMMU_READ, t.prot);
	ASSERT_EQ(-EINVAL, mock_domain_mark_dirty(d, a, SZ_2K));
	d->ops->free(d);
}

/* Every outcome iommu.h lists for translate that a paging domain has. */
TEST(mock_domain_translate_outcomes)
{
	struct iommu_translation t = { 0 };
	struct iommu_domain *d;
	uint64_t a = MOCK_APERTURE_START + SZ_1M;
	struct dirty_log log;
	int err = 0;

	d = mock_domain_alloc_paging(MOCK_IOMMUPT_DEFAULT, true, &err);
	ASSERT_NONNULL(d);
	ASSERT_EQ(0, d->ops->map_pages(d, a, PA_BASE, SZ_4K, IOMMU_READ,
				       SZ_4K));
	ASSERT_EQ(0, iommu_domain_translate(d, a + 9, false, true, &t));
	ASSERT_EQ(PA_BASE + 9, t.oa);
	ASSERT_EQ(MOCK_PAGE_SIZE, t.leaf_size);
	ASSERT_EQ(IOMMU_READ, t.prot);
	t.oa = 0;
	ASSERT_EQ(-EPERM, iommu_domain_translate(d, a + SZ_2K + 1, true, true,
						 &t));
	ASSERT_EQ(PA_BASE + SZ_2K + 1, t.oa);
	ASSERT_EQ(-ENOENT, iommu_domain_translate(d, a + SZ_4K, false, true,
						  &t));
	ASSERT_EQ(-ENOENT, iommu_domain_translate(d, 0, false, true, &t));
	ASSERT_EQ(-ERANGE, iommu_domain_translate(d, 1ull << 47, false, true,
						  &t));
	/* A write the leaf refused left it clean. */
	log_reset(&log);
	ASSERT_EQ(0, d->ops->read_and_clear_dirty(d, a, SZ_4K, 0,
						  &log.bitmap));
	ASSERT_EQ(0, log.n);
	d->ops->free(d);
}

TEST(mock_nested_domain_cannot_translate)
{
	struct iommu_hwpt_selftest cfg = { .iotlb = 7 };
	struct iommu_user_data data = {
		.type = IOMMU_HWPT_DATA_SELFTEST,
		.uptr = (uintptr_t)&cfg,
		.len = sizeof(cfg),
	};
	struct iommu_domain *parent, *nested;
	struct iommu_translation t;
	uint64_t iova, last;
	int err = 0;

	ASSERT_EQ(0, usermem_init());
	data.mm = usermem_self();
	parent = mock_domain_alloc_paging(MOCK_IOMMUPT_DEFAULT, false, &err);
	ASSERT_NONNULL(parent);
	nested = mock_domain_alloc_nested(parent, 0, &data, &err);
	ASSERT_NONNULL(nested);
	ASSERT_NULL(nested->ops->translate);
	ASSERT_EQ(-EOPNOTSUPP, iommu_domain_translate(nested, MOCK_APERTURE_START,
						      false, false, &t));
	/* A flush leaves the selftest's IOTLB alone. */
	iommu_iotlb_flush_all(nested);
	ASSERT_EQ(0, mock_nested_check_iotlb(nested, 0, 7));
	ASSERT_EQ(0, mock_domain_iotlb_flushes(nested, &iova, &last));
	nested->ops->free(nested);
	parent->ops->free(parent);
}

TEST(mock_domain_counts_flushes)
{
	struct iommu_domain *d;
	uint64_t iova, last;
	int err = 0;

	d = mock_domain_alloc_paging(MOCK_IOMMUPT_DEFAULT, false, &err);
	ASSERT_NONNULL(d);
	ASSERT_EQ(0, mock_domain_iotlb_flushes(d, &iova, &last));
	iommu_iotlb_flush(d, 0x5000, 0x5fff);
	ASSERT_EQ(1, mock_domain_iotlb_flushes(d, &iova, &last));
	ASSERT_EQ(0x5000, iova);
	ASSERT_EQ(0x5fff, last);
	iommu_iotlb_flush_all(d);
	ASSERT_EQ(2, mock_domain_iotlb_flushes(d, &iova, &last));
	ASSERT_EQ(0, iova);
	ASSERT_EQ(UINT64_MAX, last);
	d->ops->free(d);
}

/* ---- the core's flushes ------------------------------------------------------ */

#define BUF_BYTES (64 * SZ_4K)

struct env {
	struct iommusim_ctx *ctx;
	struct mock_dev *mdev;
	struct iommufd_device *idev;
	uint32_t ioas, dev_id;
	void *buf;
};

static int env_init(struct env *e, uint32_t dev_flags)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int err;

	memset(e, 0, sizeof(*e));
	e->buf = mmap(NULL, BUF_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e->buf == MAP_FAILED || iommusim_open(&e->ctx) ||
	    iommusim_ioctl(e->ctx, IOMMU_IOAS_ALLOC, &alloc))
		return -1;
	e->ioas = alloc.out_ioas_id;
	e->mdev = mock_dev_create(mock_iommu(), dev_flags, &err);
	if (!e->mdev)
		return -1;
	e->idev = iommufd_device_bind((struct iommufd_ctx *)e->ctx,
				      &e->mdev->dev, &e->dev_id, &err);
	return e->idev ? 0 : -1;
}

static void env_fini(struct env *e)
{
	iommufd_device_detach_pasids(e->idev);
	iommufd_device_detach(e->idev, IOMMU_NO_PASID);
	iommufd_device_unbind(e->idev);
	mock_dev_destroy(e->mdev);
	iommusim_close(e->ctx);
	munmap(e->buf, BUF_BYTES);
}

static int map_fixed(struct env *e, uint64_t iova, uint64_t length)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = e->ioas,
		.user_va = (uintptr_t)e->buf,
		.length = length,
		.iova = iova,
	};

	return iommusim_ioctl(e->ctx, IOMMU_IOAS_MAP, &cmd);
}

static int unmap(struct env *e, uint64_t iova, uint64_t length)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = e->ioas,
		.iova = iova,
		.length = length,
	};

	return iommusim_ioctl(e->ctx, IOMMU_IOAS_UNMAP, &cmd);
}

/* A paging HWPT of the user's, which outlives a detach. */
static int hwpt_alloc(struct env *e, uint32_t flags, uint32_t *id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = e->dev_id,
		.pt_id = e->ioas,
	};
	int rc = iommusim_ioctl(e->ctx, IOMMU_HWPT_ALLOC, &cmd);

	*id = cmd.out_hwpt_id;
	return rc;
}

static int destroy(struct env *e, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return iommusim_ioctl(e->ctx, IOMMU_DESTROY, &cmd);
}

static uint64_t flushes(struct iommu_domain *d, uint64_t *iova,
			uint64_t *last)
{
	return mock_domain_iotlb_flushes(d, iova, last);
}

TEST(unmap_flushes_each_range_it_unmaps)
{
	uint64_t a = MOCK_APERTURE_START + SZ_1M, iova, last, before;
	struct iommu_domain *d;
	uint32_t pt;
	struct env e;

	ASSERT_EQ(0, env_init(&e, 0));
	pt = e.ioas;
	ASSERT_EQ(0, iommufd_device_attach(e.idev, IOMMU_NO_PASID, &pt));
	d = e.idev->hwpt->domain;
	ASSERT_EQ(0, map_fixed(&e, a, 3 * SZ_4K));
	ASSERT_EQ(0, map_fixed(&e, a + SZ_1M, SZ_4K));
	/* Mapping flushes nothing. */
	before = flushes(d, &iova, &last);
	ASSERT_EQ(0, unmap(&e, a, 3 * SZ_4K));
	ASSERT_EQ(before + 1, flushes(d, &iova, &last));
	ASSERT_EQ(a, iova);
	ASSERT_EQ(a + 3 * SZ_4K - 1, last);
	/* and it came after the unmap: nothing maps the range any more */
	ASSERT_EQ(0, d->ops->iova_to_phys(d, a));
	ASSERT_EQ(0, unmap(&e, 0, UINT64_MAX));
	ASSERT_EQ(before + 2, flushes(d, &iova, &last));
	ASSERT_EQ(a + SZ_1M, iova);
	ASSERT_EQ(a + SZ_1M + SZ_4K - 1, last);
	env_fini(&e);
}

TEST(detach_and_replace_flush_the_domain_left)
{
	uint64_t iova, last, before_a, before_b;
	struct iommu_domain *da, *db;
	uint32_t hwpt_a, hwpt_b, pt;
	struct env e;

	ASSERT_EQ(0, env_init(&e, 0));
	ASSERT_EQ(0, hwpt_alloc(&e, 0, &hwpt_a));
	ASSERT_EQ(0, hwpt_alloc(&e, 0, &hwpt_b));
	pt = hwpt_a;
	ASSERT_EQ(0, iommufd_device_attach(e.idev, IOMMU_NO_PASID, &pt));
	da = e.idev->hwpt->domain;
	before_a = flushes(da, &iova, &last);

	/* Replace: the domain the device left is flushed whole. */
	pt = hwpt_b;
	ASSERT_EQ(0, iommufd_device_replace(e.idev, IOMMU_NO_PASID, &pt));
	db = e.idev->hwpt->domain;
	ASSERT_NE(da, db);
	before_b = flushes(db, &iova, &last);
	ASSERT_EQ(before_a + 1, flushes(da, &iova, &last));
	ASSERT_EQ(0, iova);
	ASSERT_EQ(UINT64_MAX, last);
	/* Replacing with the HWPT it is on leaves nothing. */
	ASSERT_EQ(0, iommufd_device_replace(e.idev, IOMMU_NO_PASID, &pt));
	ASSERT_EQ(before_b, flushes(db, &iova, &last));

	/* Detach. */
	iommufd_device_detach(e.idev, IOMMU_NO_PASID);
	ASSERT_EQ(before_b + 1, flushes(db, &iova, &last));
	ASSERT_EQ(0, iova);
	ASSERT_EQ(UINT64_MAX, last);
	ASSERT_EQ(before_a + 1, flushes(da, &iova, &last));
	ASSERT_EQ(0, destroy(&e, hwpt_a));
	ASSERT_EQ(0, destroy(&e, hwpt_b));
	env_fini(&e);
}

TEST(pasid_detach_flushes)
{
	uint64_t iova, last, before;
	struct iommu_domain *d;
	uint32_t hwpt, pt;
	struct env e;

	ASSERT_EQ(0, env_init(&e, MOCK_FLAGS_DEVICE_PASID));
	ASSERT_EQ(0, hwpt_alloc(&e, IOMMU_HWPT_ALLOC_PASID, &hwpt));
	pt = hwpt;
	ASSERT_EQ(0, iommufd_device_attach(e.idev, IOMMU_NO_PASID, &pt));
	ASSERT_EQ(0, iommufd_device_attach(e.idev, 5, &pt));
	d = e.idev->hwpt->domain;
	before = flushes(d, &iova, &last);
	iommufd_device_detach(e.idev, 5);
	ASSERT_EQ(before + 1, flushes(d, &iova, &last));
	ASSERT_EQ(0, iova);
	ASSERT_EQ(UINT64_MAX, last);
	/* Detaching what is not attached flushes nothing. */
	iommufd_device_detach(e.idev, 5);
	ASSERT_EQ(before + 1, flushes(d, &iova, &last));
	iommufd_device_detach(e.idev, IOMMU_NO_PASID);
	ASSERT_EQ(before + 2, flushes(d, &iova, &last));
	ASSERT_EQ(0, destroy(&e, hwpt));
	env_fini(&e);
}

TEST_HARNESS_MAIN
