// SPDX-License-Identifier: MIT
/*
 * The IOMMU layer's PASID steps (src/iommu/pasid.c) against a recording
 * driver on IOMMU instances of the tests' own: the checks before any
 * driver call, in the kernel's order, and when the driver is not asked at
 * all.
 */
#include "harness.h"
#include "iommu/iommu.h"

struct rec_dev {
	struct device dev;
	uint32_t max_pasids;
	int calls, fail;
	struct iommu_domain *last_domain, *last_old;
	uint32_t last_pasid;
};

static struct rec_dev *to_rec(struct device *dev)
{
	return (struct rec_dev *)dev;
}

static uint32_t rec_max_pasids(struct device *dev)
{
	return to_rec(dev)->max_pasids;
}

static int rec_set_dev_pasid(struct iommu_domain *domain,
			     struct device *dev, uint32_t pasid,
			     struct iommu_domain *old)
{
	struct rec_dev *r = to_rec(dev);

	r->calls++;
	r->last_domain = domain;
	r->last_old = old;
	r->last_pasid = pasid;
	return r->fail;
}

static const struct iommu_ops rec_ops = {
	.max_pasids = rec_max_pasids,
	.set_dev_pasid = rec_set_dev_pasid,
};

static const struct iommu_ops no_pasid_ops = {
	.max_pasids = rec_max_pasids,
};

/* One IOMMU instance per model, wide enough for any device here. */
static struct iommu_device rec_iommu = {
	.ops = &rec_ops, .name = "rec", .max_pasids = 1u << 20,
};
static struct iommu_device narrow_iommu = {
	.ops = &rec_ops, .name = "narrow", .max_pasids = 16,
};
static struct iommu_device no_pasid_iommu = {
	.ops = &no_pasid_ops, .name = "no_pasid", .max_pasids = 1u << 20,
};

/* Puts r on the platform behind iommu (registered at first use); the
 * device's PASID width is read as it is added. */
static int rec_init(struct rec_dev *r, struct iommu_device *iommu,
		    uint32_t max_pasids)
{
	int rc = iommu_device_register(iommu);

	if (rc && rc != -EEXIST)
		return rc;
	memset(r, 0, sizeof(*r));
	r->max_pasids = max_pasids;
	return platform_add_device(iommu, &r->dev, NULL);
}

static void rec_fini(struct rec_dev *r)
{
	platform_remove_device(&r->dev);
}

TEST(attach_checks_in_order)
{
	struct iommu_domain mine = { .owner = &rec_ops };
	struct iommu_domain other = { .owner = &no_pasid_ops };
	struct rec_dev r;

	/* a model without set_dev_pasid: EOPNOTSUPP before anything else */
	ASSERT_EQ(0, rec_init(&r, &no_pasid_iommu, 16));
	other.owner = &no_pasid_ops;
	EXPECT_EQ(-EOPNOTSUPP, iommu_attach_device_pasid(&other, &r.dev, 0));
	EXPECT_EQ(-EOPNOTSUPP, iommu_replace_device_pasid(&other, &r.dev, 1,
							  &other));
	rec_fini(&r);

	ASSERT_EQ(0, rec_init(&r, &rec_iommu, 16));
	/* another model's domain, or the RID's PASID */
	EXPECT_EQ(-EINVAL, iommu_attach_device_pasid(&other, &r.dev, 1));
	EXPECT_EQ(-EINVAL, iommu_attach_device_pasid(&mine, &r.dev,
						     IOMMU_NO_PASID));
	/* past the device's width */
	EXPECT_EQ(-EINVAL, iommu_attach_device_pasid(&mine, &r.dev, 16));
	EXPECT_EQ(0, r.calls);

	EXPECT_EQ(0, iommu_attach_device_pasid(&mine, &r.dev, 15));
	EXPECT_EQ(1, r.calls);
	EXPECT_EQ(&mine, r.last_domain);
	EXPECT_EQ(NULL, r.last_old);
	EXPECT_EQ(15, r.last_pasid);
	/* the driver's answer is the answer */
	r.fail = -ENOMEM;
	EXPECT_EQ(-ENOMEM, iommu_attach_device_pasid(&mine, &r.dev, 3));
	rec_fini(&r);
}

TEST(replace_and_detach)
{
	struct iommu_domain a = { .owner = &rec_ops }, b = { .owner = &rec_ops };
	struct iommu_domain other = { .owner = &no_pasid_ops };
	struct rec_dev r;

	ASSERT_EQ(0, rec_init(&r, &rec_iommu, 16));
	EXPECT_EQ(-EINVAL, iommu_replace_device_pasid(&other, &r.dev, 1, &a));
	EXPECT_EQ(-EINVAL, iommu_replace_device_pasid(&b, &r.dev,
						      IOMMU_NO_PASID, &a));
	/* the same domain again asks nothing of the driver */
	EXPECT_EQ(0, iommu_replace_device_pasid(&a, &r.dev, 1, &a));
	EXPECT_EQ(0, r.calls);
	/* replace knows no width check: the attach made it */
	EXPECT_EQ(0, iommu_replace_device_pasid(&b, &r.dev, 40, &a));
	EXPECT_EQ(1, r.calls);
	EXPECT_EQ(&b, r.last_domain);
	EXPECT_EQ(&a, r.last_old);

	/* detach blocks: no domain, the old one named */
	iommu_detach_device_pasid(&b, &r.dev, 40);
	EXPECT_EQ(2, r.calls);
	EXPECT_EQ(NULL, r.last_domain);
	EXPECT_EQ(&b, r.last_old);
	rec_fini(&r);
}

/* A device that tags no request with a PASID has nothing to program: the
 * steps succeed without the driver (the kernel since 6.15). */
TEST(device_without_pasids)
{
	struct iommu_domain a = { .owner = &rec_ops }, b = { .owner = &rec_ops };
	struct rec_dev r;

	ASSERT_EQ(0, rec_init(&r, &rec_iommu, 0));
	EXPECT_EQ(0, iommu_attach_device_pasid(&a, &r.dev, 7));
	EXPECT_EQ(0, iommu_replace_device_pasid(&b, &r.dev, 7, &a));
	iommu_detach_device_pasid(&b, &r.dev, 7);
	EXPECT_EQ(0, r.calls);
	/* the checks before still apply */
	EXPECT_EQ(-EINVAL, iommu_attach_device_pasid(&a, &r.dev,
						     IOMMU_NO_PASID));
	rec_fini(&r);
}

/* The instance bounds what its devices may use, as the kernel takes the
 * smaller of the IOMMU's and the device's PASID widths. */
TEST(instance_caps_device_width)
{
	struct iommu_domain a = { .owner = &rec_ops };
	struct rec_dev r;

	ASSERT_EQ(0, rec_init(&r, &narrow_iommu, 64));
	EXPECT_EQ(16, dev_iommu_max_pasids(&r.dev));
	EXPECT_EQ(-EINVAL, iommu_attach_device_pasid(&a, &r.dev, 16));
	EXPECT_EQ(0, r.calls);
	EXPECT_EQ(0, iommu_attach_device_pasid(&a, &r.dev, 15));
	EXPECT_EQ(1, r.calls);
	rec_fini(&r);

	ASSERT_EQ(0, rec_init(&r, &narrow_iommu, 4));
	EXPECT_EQ(4, dev_iommu_max_pasids(&r.dev));
	rec_fini(&r);
}

TEST_HARNESS_MAIN
