// SPDX-License-Identifier: MIT
/*
 * The platform's registry (src/iommu/platform.c): IOMMU instances come and
 * go by the rules, devices are numbered in the order they are added and
 * found by number or name, a device taken off the platform lives on until
 * its last reference, and all of it holds up under threads (the TSan run
 * checks the ordering). Each test runs in a fresh child, so the platform
 * starts empty: the first device added is number 0.
 */
#include <pthread.h>

#include "harness.h"
#include "iommu/drivers/mock_device.h"
#include "iommu/iommu.h"
#include "iommu/platform.h"
#include "iommufd/device.h"
#include "iommufd/iommufd_private.h"
#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd_test.h>

struct test_dev {
	struct device dev;
	uint32_t pasids; /* what the driver says the device has */
	bool no_dirty;	 /* the driver denies the device dirty tracking */
	int *released;	 /* __atomic: bumped by the release function */
};

static struct test_dev *to_test_dev(struct device *dev)
{
	return (struct test_dev *)dev;
}

static uint32_t test_max_pasids(struct device *dev)
{
	return to_test_dev(dev)->pasids;
}

static bool test_capable(struct device *dev, enum iommu_cap cap)
{
	return cap != IOMMU_CAP_DIRTY_TRACKING || !to_test_dev(dev)->no_dirty;
}

static const struct iommu_ops test_ops = {
	.max_pasids = test_max_pasids,
	.capable = test_capable,
};

static const struct iommu_ops bare_ops = { 0 };

static void test_release(struct device *dev)
{
	__atomic_add_fetch(to_test_dev(dev)->released, 1, __ATOMIC_RELAXED);
}

static void free_release(struct device *dev)
{
	test_release(dev);
	free(dev);
}

/* A device behind iommu; NULL when the platform refused it. */
static struct test_dev *new_dev(struct iommu_device *iommu, const char *name,
				int *released)
{
	struct test_dev *td = calloc(1, sizeof(*td));

	if (!td)
		return NULL;
	if (name)
		snprintf(td->dev.name, sizeof(td->dev.name), "%s", name);
	td->released = released;
	if (platform_add_device(iommu, &td->dev, free_release)) {
		free(td);
		return NULL;
	}
	return td;
}

TEST(instances_register_by_the_rules)
{
	struct iommu_device a = { .ops = &test_ops, .name = "a" };
	struct iommu_device twin = { .ops = &test_ops, .name = "a" };
	struct iommu_device no_ops = { .name = "x" };
	struct iommu_device no_name = { .ops = &test_ops };
	struct test_dev td = { 0 };

	EXPECT_EQ(-EINVAL, iommu_device_register(&no_ops));
	EXPECT_EQ(-EINVAL, iommu_device_register(&no_name));
	EXPECT_EQ(-ENOENT, iommu_device_unregister(&a));
	/* a device needs a registered instance */
	EXPECT_EQ(-ENOENT, platform_add_device(&a, &td.dev, NULL));

	ASSERT_EQ(0, iommu_device_register(&a));
	EXPECT_EQ(-EEXIST, iommu_device_register(&a));
	EXPECT_EQ(-EEXIST, iommu_device_register(&twin));
	/* busy while a device is on it */
	ASSERT_EQ(0, platform_add_device(&a, &td.dev, NULL));
	EXPECT_EQ(&a, td.dev.iommu);
	EXPECT_EQ(-EBUSY, iommu_device_unregister(&a));
	platform_remove_device(&td.dev);
	EXPECT_EQ(0, iommu_device_unregister(&a));
	EXPECT_EQ(-ENOENT, iommu_device_unregister(&a));
	/* the name is free again */
	EXPECT_EQ(0, iommu_device_register(&twin));
	EXPECT_EQ(0, iommu_device_unregister(&twin));
}

TEST(devices_numbered_in_order_found_by_number_and_name)
{
	struct iommu_device a = { .ops = &test_ops, .name = "vtd0" };
	struct iommu_device b = { .ops = &test_ops, .name = "vtd1" };
	struct test_dev *d[4];
	struct device *found;
	int released = 0;

	ASSERT_EQ(0, iommu_device_register(&a));
	ASSERT_EQ(0, iommu_device_register(&b));
	d[0] = new_dev(&a, NULL, &released);
	d[1] = new_dev(&b, NULL, &released);
	d[2] = new_dev(&a, "nic", &released);
	ASSERT_NONNULL(d[0]);
	ASSERT_NONNULL(d[1]);
	ASSERT_NONNULL(d[2]);
	/* numbers follow the order of adding, across instances */
	EXPECT_EQ(0, d[0]->dev.index);
	EXPECT_EQ(1, d[1]->dev.index);
	EXPECT_EQ(2, d[2]->dev.index);
	ASSERT_STREQ("vtd0.0", d[0]->dev.name);
	ASSERT_STREQ("vtd1.1", d[1]->dev.name);
	ASSERT_STREQ("nic", d[2]->dev.name);
	/* a name is one device's */
	EXPECT_NULL(new_dev(&b, "nic", &released));

	for (uint32_t i = 0; i < 3; i++) {
		found = platform_get_device(i);
		EXPECT_EQ(&d[i]->dev, found);
		if (found)
			put_device(found);
	}
	EXPECT_NULL(platform_get_device(3));
	found = platform_find_device("vtd1.1");
	EXPECT_EQ(&d[1]->dev, found);
	put_device(found);
	EXPECT_NULL(platform_find_device("vtd1.0"));

	/* a number is never handed out twice */
	platform_remove_device(&d[1]->dev);
	EXPECT_EQ(1, released);
	EXPECT_NULL(platform_get_device(1));
	EXPECT_NULL(platform_find_device("vtd1.1"));
	d[3] = new_dev(&b, NULL, &released);
	ASSERT_NONNULL(d[3]);
	EXPECT_EQ(3, d[3]->dev.index);
	EXPECT_NULL(platform_get_device(1));

	platform_remove_device(&d[0]->dev);
	platform_remove_device(&d[2]->dev);
	platform_remove_device(&d[3]->dev);
	EXPECT_EQ(4, released);
	EXPECT_EQ(0, iommu_device_unregister(&a));
	EXPECT_EQ(0, iommu_device_unregister(&b));
}

TEST(removed_while_held_lives_until_put)
{
	struct iommu_device a = { .ops = &test_ops, .name = "a" };
	struct test_dev *td;
	struct device *held;
	int released = 0;

	ASSERT_EQ(0, iommu_device_register(&a));
	td = new_dev(&a, NULL, &released);
	ASSERT_NONNULL(td);
	held = platform_get_device(td->dev.index);
	ASSERT_EQ(&td->dev, held);
	get_device(held);

	platform_remove_device(held);
	EXPECT_EQ(0, released);
	EXPECT_NULL(platform_get_device(held->index));
	EXPECT_NULL(a.devices);
	/* it still points at its instance, which must stay */
	EXPECT_EQ(&a, held->iommu);
	EXPECT_EQ(-EBUSY, iommu_device_unregister(&a));
	put_device(held);
	EXPECT_EQ(0, released);
	put_device(held);
	EXPECT_EQ(1, released);
	EXPECT_EQ(0, iommu_device_unregister(&a));
}

TEST(instance_bounds_pasids_and_capabilities)
{
	struct iommu_device wide = {
		.ops = &test_ops, .name = "wide", .max_pasids = 1u << 20,
		.caps = 1ull << IOMMU_CAP_DIRTY_TRACKING,
	};
	struct iommu_device narrow = {
		.ops = &test_ops, .name = "narrow", .max_pasids = 8,
	};
	struct iommu_device bare = {
		.ops = &bare_ops, .name = "bare", .max_pasids = 8,
		.caps = 1ull << IOMMU_CAP_DIRTY_TRACKING,
	};
	struct test_dev d[4] = {
		{ .pasids = 64 }, { .pasids = 64, .no_dirty = true },
		{ .pasids = 64 }, { .pasids = 64 },
	};

	ASSERT_EQ(0, iommu_device_register(&wide));
	ASSERT_EQ(0, iommu_device_register(&narrow));
	ASSERT_EQ(0, iommu_device_register(&bare));
	ASSERT_EQ(0, platform_add_device(&wide, &d[0].dev, NULL));
	ASSERT_EQ(0, platform_add_device(&wide, &d[1].dev, NULL));
	ASSERT_EQ(0, platform_add_device(&narrow, &d[2].dev, NULL));
	ASSERT_EQ(0, platform_add_device(&bare, &d[3].dev, NULL));

	EXPECT_EQ(64, dev_iommu_max_pasids(&d[0].dev));
	EXPECT_EQ(8, dev_iommu_max_pasids(&d[2].dev));
	/* no max_pasids op: the device tags nothing */
	EXPECT_EQ(0, dev_iommu_max_pasids(&d[3].dev));

	EXPECT_TRUE(device_iommu_capable(&d[0].dev, IOMMU_CAP_DIRTY_TRACKING));
	/* the driver may deny what the instance offers ... */
	EXPECT_FALSE(device_iommu_capable(&d[1].dev,
					  IOMMU_CAP_DIRTY_TRACKING));
	/* ... never grant what it does not */
	EXPECT_FALSE(device_iommu_capable(&d[2].dev,
					  IOMMU_CAP_DIRTY_TRACKING));
	EXPECT_FALSE(device_iommu_capable(&d[0].dev,
					  IOMMU_CAP_PCI_ATS_SUPPORTED));
	/* without capable(), the instance's word is final */
	EXPECT_TRUE(device_iommu_capable(&d[3].dev, IOMMU_CAP_DIRTY_TRACKING));
	EXPECT_EQ(&bare_ops, dev_iommu_ops(&d[3].dev));

	for (int i = 0; i < 4; i++)
		platform_remove_device(&d[i].dev);
	EXPECT_EQ(0, iommu_device_unregister(&wide));
	EXPECT_EQ(0, iommu_device_unregister(&narrow));
	EXPECT_EQ(0, iommu_device_unregister(&bare));
}

/* The selftest's devices: on the mock instance, bound through the core,
 * and whole until the binding lets go. */
TEST(mock_device_outlives_removal_while_bound)
{
	struct iommusim_ctx *ctx;
	struct iommufd_device *idev;
	struct mock_dev *mdev;
	struct device *dev;
	uint32_t id;
	int err;

	ASSERT_NONNULL(mock_iommu());
	EXPECT_EQ(mock_iommu(), mock_iommu());
	ASSERT_EQ(0, iommusim_open(&ctx));
	mdev = mock_dev_create(mock_iommu(), MOCK_FLAGS_DEVICE_PASID, &err);
	ASSERT_NONNULL(mdev);
	EXPECT_EQ(mock_iommu(), mdev->dev.iommu);
	EXPECT_EQ(1u << MOCK_PASID_WIDTH, dev_iommu_max_pasids(&mdev->dev));

	dev = platform_find_device(mdev->dev.name);
	ASSERT_EQ(&mdev->dev, dev);
	idev = iommufd_device_bind((struct iommufd_ctx *)ctx, dev, &id, &err);
	put_device(dev);
	ASSERT_NONNULL(idev);

	mock_dev_destroy(mdev);
	EXPECT_NULL(platform_get_device(idev->dev->index));
	/* still whole (the sanitizer run would see a use after free) */
	EXPECT_EQ(mock_iommu(), idev->dev->iommu);
	EXPECT_TRUE(device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING));
	/* the last reference frees it (the leak check sees it go) */
	iommufd_device_unbind(idev);
	iommusim_close(ctx);
}

/* ---- threads ------------------------------------------------------------ */

#define THREADS 4
#define ROUNDS 2000

struct churn {
	struct iommu_device *iommu;
	int released;		       /* __atomic */
	char given[THREADS * ROUNDS]; /* __atomic: numbers handed out */
	int wrong; /* __atomic: failed adds, lookups that found another */
};

static void churn_wrong(struct churn *c)
{
	__atomic_add_fetch(&c->wrong, 1, __ATOMIC_RELAXED);
}

/* Adds a device, finds it by number and by name, drops it; meanwhile
 * looks up numbers other threads may be adding or removing. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < ROUNDS; i++) {
		struct test_dev *td = new_dev(c->iommu, NULL, &c->released);
		struct device *dev;
		uint32_t index;

		if (!td)
			goto wrong;
		index = td->dev.index;
		if (index >= THREADS * ROUNDS ||
		    __atomic_exchange_n(&c->given[index], 1, __ATOMIC_RELAXED))
			goto wrong;
		dev = platform_get_device(index);
		if (dev != &td->dev)
			churn_wrong(c);
		if (dev)
			put_device(dev);
		dev = platform_find_device(td->dev.name);
		if (dev != &td->dev)
			churn_wrong(c);
		/* half the time, outlive the removal with a reference */
		if (i % 2) {
			platform_remove_device(&td->dev);
			if (dev)
				put_device(dev);
		} else {
			if (dev)
				put_device(dev);
			platform_remove_device(&td->dev);
		}
		/* another thread's device, maybe going away under us (td is
		 * gone too) */
		dev = platform_get_device((index * 7 + 3) % (THREADS * ROUNDS));
		if (dev)
			put_device(dev);
		continue;
wrong:
		churn_wrong(c);
	}
	return NULL;
}

TEST(threads_add_find_and_remove)
{
	struct iommu_device a = { .ops = &test_ops, .name = "churn" };
	struct churn c = { .iommu = &a };
	pthread_t t[THREADS];

	ASSERT_EQ(0, iommu_device_register(&a));
	for (int i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn_thread, &c));
	for (int i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	EXPECT_EQ(0, c.wrong);
	EXPECT_EQ(THREADS * ROUNDS, c.released);
	/* every add got its own number, none skipped */
	for (int i = 0; i < THREADS * ROUNDS; i++)
		if (!c.given[i])
			churn_wrong(&c);
	EXPECT_EQ(0, c.wrong);
	EXPECT_NULL(a.devices);
	EXPECT_EQ(0, iommu_device_unregister(&a));
}

TEST_HARNESS_MAIN
