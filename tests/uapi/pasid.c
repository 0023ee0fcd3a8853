// SPDX-License-Identifier: MIT
/*
 * PASID attach (IOMMU_TEST_OP_PASID_ATTACH, _REPLACE, _DETACH, _CHECK_HWPT)
 * on mock devices, written from the kernel's device.c, iommu.c and
 * selftest.c:
 *
 *  - a PASID needs a HWPT made with IOMMU_HWPT_ALLOC_PASID, and so does the
 *    RID while PASIDs are attached (either way EINVAL); an automatic HWPT
 *    never is one, so an IOAS as pt_id always fails;
 *  - attach never moves an attached PASID, even onto its own HWPT (EBUSY,
 *    checked before anything else); replace needs an attached PASID
 *    (EINVAL) and to the same HWPT changes nothing;
 *  - the device's PASID width bounds the PASID (EINVAL): 2^20 PASIDs on a
 *    MOCK_FLAGS_DEVICE_PASID device, one (the RID's) on others;
 *  - PASID 1024 is the mock's fault drill: after an attach, the next
 *    change of domain fails with ENOMEM and the old HWPT stays;
 *  - detach of a PASID that is not attached is a harmless no-op.
 *
 * The pasid_attach test follows the kernel's iommufd_device_pasid fixture
 * step by step, without its vIOMMU steps (iommusim has none yet); its
 * fault-queue steps, a PASID's page requests, are in fault_queue.c.
 */
#include <pthread.h>

#include "iommufd_utils.h"

#define PASID_WIDTH_MAX (1u << MOCK_PASID_WIDTH)
/* The RID's PASID, as the kernel names it. */
#define IOMMU_NO_PASID 0u

/* A nested mock HWPT over parent with the given flags. */
#define alloc_nested_flags(dev_id, parent, flags, hwpt_id)                     \
	({                                                                     \
		struct iommu_hwpt_selftest __data = {                          \
			.iotlb = IOMMU_TEST_IOTLB_DEFAULT,                     \
		};                                                             \
		test_cmd_hwpt_alloc_nested(dev_id, parent, flags, hwpt_id,     \
					   IOMMU_HWPT_DATA_SELFTEST, &__data,  \
					   sizeof(__data));                    \
	})

/* A paging HWPT made for PASIDs, with the PASID device's RID moved onto it
 * (a PASID needs that of the RID). */
#define rid_on_pasid_hwpt(hwpt_id)                                             \
	({                                                                     \
		test_cmd_hwpt_alloc(self->device_id, self->ioas_id,            \
				    IOMMU_HWPT_ALLOC_PASID, hwpt_id);          \
		test_cmd_mock_domain_replace(self->stdev_id, *(hwpt_id));      \
	})

FIXTURE(pasid)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id, hwpt_id, device_id;		/* a PASID device */
	__u32 no_pasid_stdev_id, no_pasid_device_id;	/* a plain one */
};

FIXTURE_VARIANT(pasid)
{
	bool pasid_capable;
};

FIXTURE_VARIANT_ADD(pasid, no_pasid)
{
	.pasid_capable = false,
};

FIXTURE_VARIANT_ADD(pasid, has_pasid)
{
	.pasid_capable = true,
};

FIXTURE_SETUP(pasid)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_PASID,
				   &self->stdev_id, &self->hwpt_id,
				   &self->device_id);
	if (!variant->pasid_capable)
		test_cmd_mock_domain_flags(self->ioas_id, 0,
					   &self->no_pasid_stdev_id, NULL,
					   &self->no_pasid_device_id);
}

FIXTURE_TEARDOWN(pasid)
{
	ASSERT_EQ(0, close(self->fd));
}


/* The kernel's pasid_attach, in its order. */
TEST_F(pasid, pasid_attach)
{
	__u32 parent, nested[2], s2;
	__u32 pasid = 100;

	/* detaching what was never attached is harmless */
	test_cmd_pasid_detach(pasid);

	test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	alloc_nested_flags(self->device_id, parent, IOMMU_HWPT_ALLOC_PASID,
			   &nested[0]);
	alloc_nested_flags(self->device_id, parent, IOMMU_HWPT_ALLOC_PASID,
			   &nested[1]);
	test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID, &s2);

	/* the RID's HWPT must serve PASIDs too */
	test_cmd_mock_domain_replace(self->stdev_id, parent);
	test_err_pasid_attach(EINVAL, pasid, s2);
	test_cmd_mock_domain_replace(self->stdev_id, s2);
	test_cmd_pasid_attach(pasid, nested[0]);
	/* and cannot stop serving them while a PASID is attached */
	test_err_mock_domain_replace(EINVAL, self->stdev_id, parent);
	test_cmd_pasid_detach(pasid);
	test_cmd_pasid_check_hwpt(pasid, 0);

	if (!variant->pasid_capable) {
		/* a HWPT made for PASIDs serves a device without them */
		test_cmd_mock_domain_replace(self->no_pasid_stdev_id,
					     nested[0]);
		test_cmd_mock_domain_replace(self->no_pasid_stdev_id,
					     self->ioas_id);
		EXPECT_ERRNO(EINVAL, _test_cmd_pasid_attach(
					     self->fd, self->no_pasid_stdev_id,
					     false, pasid, parent, NULL));
		EXPECT_ERRNO(EINVAL, _test_cmd_pasid_attach(
					     self->fd, self->no_pasid_stdev_id,
					     false, pasid, s2, NULL));
	}

	/* neither a HWPT not made for PASIDs nor an IOAS will do */
	test_err_pasid_attach(EINVAL, pasid, parent);
	test_cmd_pasid_check_hwpt(pasid, 0);
	test_err_pasid_attach(EINVAL, pasid, self->ioas_id);
	test_cmd_pasid_check_hwpt(pasid, 0);

	test_cmd_pasid_attach(pasid, s2);
	test_cmd_pasid_check_hwpt(pasid, s2);
	/* attach does not move an attached PASID */
	test_err_pasid_attach(EBUSY, pasid, nested[0]);
	test_cmd_pasid_detach(pasid);
	test_cmd_pasid_check_hwpt(pasid, 0);

	test_cmd_pasid_attach(pasid, nested[0]);
	test_cmd_pasid_check_hwpt(pasid, nested[0]);
	/* not even onto its own HWPT */
	test_err_pasid_attach(EBUSY, pasid, nested[0]);
	test_cmd_pasid_detach(pasid);

	/* replace */
	pasid = 200;
	test_err_pasid_replace(EINVAL, pasid, s2);
	test_cmd_pasid_attach(pasid, s2);
	test_cmd_pasid_check_hwpt(pasid, s2);
	test_err_pasid_replace(EINVAL, pasid, self->ioas_id);
	test_cmd_pasid_check_hwpt(pasid, s2);
	test_cmd_pasid_replace(pasid, nested[0]);
	test_cmd_pasid_check_hwpt(pasid, nested[0]);
	test_cmd_pasid_replace(pasid, nested[1]);
	test_cmd_pasid_check_hwpt(pasid, nested[1]);
	test_cmd_pasid_detach(pasid);

	/* a driver failure during replace leaves the old HWPT */
	pasid = IOMMU_TEST_PASID_RESERVED;
	test_cmd_pasid_attach(pasid, s2);
	test_cmd_pasid_check_hwpt(pasid, s2);
	test_err_pasid_replace(ENOMEM, pasid, nested[0]);
	test_cmd_pasid_check_hwpt(pasid, s2);
	test_cmd_pasid_detach(pasid);

	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* Object lookups, in the kernel's order. */
TEST_F(pasid, lookups)
{
	__u32 s2;

	rid_on_pasid_hwpt(&s2);

	/* the selftest device first: not its device ID, nor anything else */
	EXPECT_ERRNO(ENOENT, _test_cmd_pasid_attach(self->fd, self->device_id,
						    false, 100, s2, NULL));
	EXPECT_ERRNO(ENOENT, _test_cmd_pasid_attach(self->fd, NO_SUCH_ID,
						    false, 100, s2, NULL));
	EXPECT_ERRNO(ENOENT, _test_cmd_pasid_attach(self->fd, s2, true, 100,
						    s2, NULL));
	EXPECT_ERRNO(ENOENT, _test_cmd_pasid_detach(self->fd, self->ioas_id,
						    100));
	EXPECT_ERRNO(ENOENT, _test_cmd_pasid_check_hwpt(self->fd, NO_SUCH_ID,
							100, s2));
	/* then the page table: missing, or not a HWPT or IOAS */
	test_err_pasid_attach(ENOENT, 100, NO_SUCH_ID);
	test_err_pasid_attach(EINVAL, 100, self->device_id);
	test_err_pasid_attach(EINVAL, 100, self->stdev_id);
	test_err_pasid_replace(ENOENT, 100, NO_SUCH_ID);
	test_cmd_pasid_check_hwpt(100, 0);

	/* CHECK_HWPT's HWPT: missing, not a HWPT, or not the one attached */
	test_err_pasid_check_hwpt(ENOENT, 100, NO_SUCH_ID);
	test_err_pasid_check_hwpt(EINVAL, 100, self->ioas_id);
	test_err_pasid_check_hwpt(EINVAL, 100, self->device_id);
	test_err_pasid_check_hwpt(EINVAL, 100, s2);
	test_cmd_pasid_attach(100, s2);
	test_cmd_pasid_check_hwpt(100, s2);
	test_err_pasid_check_hwpt(EINVAL, 100, 0);
	/* the device's first HWPT: still the plain device's, or gone */
	test_err_pasid_check_hwpt(variant->pasid_capable ? ENOENT : EINVAL,
				  100, self->hwpt_id);
	test_err_pasid_check_hwpt(EINVAL, 101, s2);
	test_cmd_pasid_detach(100);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* The PASID answered back: attach and replace write the HWPT ID. */
TEST_F(pasid, pt_id_written_back)
{
	__u32 s2, out = 0;

	rid_on_pasid_hwpt(&s2);
	ASSERT_EQ(0, _test_cmd_pasid_attach(self->fd, self->stdev_id, false,
					    7, s2, &out));
	EXPECT_EQ(s2, out);
	out = 0;
	ASSERT_EQ(0, _test_cmd_pasid_attach(self->fd, self->stdev_id, true,
					    7, s2, &out));
	EXPECT_EQ(s2, out);
	test_cmd_pasid_detach(7);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* The PASID width: 1 .. 2^20 - 1 on a PASID device; 0 is the RID's. */
TEST_F(pasid, width)
{
	struct iommu_hw_info info;
	__u32 s2;

	test_cmd_get_hw_info(self->device_id, NULL, 0, &info);
	EXPECT_EQ(MOCK_PASID_WIDTH, info.out_max_pasid_log2);
	rid_on_pasid_hwpt(&s2);

	test_err_pasid_attach(EINVAL, PASID_WIDTH_MAX, s2);
	test_err_pasid_attach(EINVAL, UINT32_MAX, s2);
	test_cmd_pasid_check_hwpt(PASID_WIDTH_MAX, 0);
	test_cmd_pasid_attach(PASID_WIDTH_MAX - 1, s2);
	test_cmd_pasid_attach(1, s2);
	test_cmd_pasid_check_hwpt(1, s2);
	test_cmd_pasid_check_hwpt(PASID_WIDTH_MAX - 1, s2);
	test_cmd_pasid_detach(1);
	test_cmd_pasid_detach(PASID_WIDTH_MAX - 1);

	if (variant->pasid_capable)
		return;
	/* a plain device has only the RID's PASID, even under a HWPT made
	 * for PASIDs */
	test_cmd_get_hw_info(self->no_pasid_device_id, NULL, 0, &info);
	EXPECT_EQ(0, info.out_max_pasid_log2);
	test_cmd_mock_domain_replace(self->no_pasid_stdev_id, s2);
	EXPECT_ERRNO(EINVAL, _test_cmd_pasid_attach(self->fd,
						    self->no_pasid_stdev_id,
						    false, 1, s2, NULL));
	EXPECT_EQ(0, _test_cmd_pasid_check_hwpt(
			     self->fd, self->no_pasid_stdev_id, 1, 0));
	test_cmd_mock_domain_replace(self->no_pasid_stdev_id, self->ioas_id);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* EBUSY comes first: before the page table's kind or compatibility. */
TEST_F(pasid, attached_is_busy)
{
	__u32 parent, s2;

	test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	rid_on_pasid_hwpt(&s2);
	test_cmd_pasid_attach(300, s2);
	test_err_pasid_attach(EBUSY, 300, parent);
	test_err_pasid_attach(EBUSY, 300, self->ioas_id);
	test_err_pasid_attach(EBUSY, 300, s2);
	test_cmd_pasid_check_hwpt(300, s2);
	/* PASID 0 is the RID, attached since the device was made */
	test_err_pasid_attach(EBUSY, IOMMU_NO_PASID, s2);
	test_cmd_pasid_detach(300);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* A failed PASID attach or replace through an IOAS builds an automatic
 * HWPT and throws it away: nothing is left of it. */
TEST_F(pasid, ioas_leaves_nothing)
{
	__u32 s2, probe;

	rid_on_pasid_hwpt(&s2);
	/* the device's old automatic HWPT died with its last device */
	if (variant->pasid_capable)
		test_err_destroy(ENOENT, self->hwpt_id);
	test_err_pasid_attach(EINVAL, 400, self->ioas_id);
	test_cmd_pasid_attach(400, s2);
	test_err_pasid_replace(EINVAL, 400, self->ioas_id);
	test_cmd_pasid_check_hwpt(400, s2);
	/* the ID the thrown-away HWPT had is the lowest free one again */
	test_ioctl_ioas_alloc(&probe);
	if (variant->pasid_capable)
		EXPECT_EQ(self->hwpt_id, probe);
	test_ioctl_destroy(probe);
	test_cmd_pasid_detach(400);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* The RID may leave (PASID_DETACH of PASID 0) while PASIDs stay; it may
 * come back only on a HWPT made for PASIDs. */
TEST_F(pasid, rid_detach_and_return)
{
	__u32 s2, out = 0;

	rid_on_pasid_hwpt(&s2);
	test_cmd_pasid_attach(500, s2);
	test_cmd_pasid_detach(IOMMU_NO_PASID);
	test_cmd_pasid_check_hwpt(IOMMU_NO_PASID, 0);
	/* an automatic HWPT is not made for PASIDs */
	test_err_pasid_attach(EINVAL, IOMMU_NO_PASID, self->ioas_id);
	test_cmd_pasid_check_hwpt(IOMMU_NO_PASID, 0);
	/* MOCK_DOMAIN_REPLACE needs an attached RID */
	test_err_mock_domain_replace(EINVAL, self->stdev_id, s2);
	ASSERT_EQ(0, _test_cmd_pasid_attach(self->fd, self->stdev_id, false,
					    IOMMU_NO_PASID, s2, &out));
	EXPECT_EQ(s2, out);
	test_cmd_pasid_check_hwpt(IOMMU_NO_PASID, s2);
	test_cmd_pasid_check_hwpt(500, s2);
	test_cmd_pasid_detach(500);
	/* with no PASID left the RID may go anywhere again */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* An attached PASID holds its HWPT, and a nested one its parent. */
TEST_F(pasid, hwpt_busy)
{
	__u32 parent, nested, s2;

	test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
			    &parent);
	alloc_nested_flags(self->device_id, parent, IOMMU_HWPT_ALLOC_PASID,
			   &nested);
	test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID, &s2);
	test_cmd_mock_domain_replace(self->stdev_id, parent);
	test_cmd_pasid_attach(600, nested);
	test_cmd_pasid_attach(601, s2);
	test_cmd_mock_domain_replace(self->stdev_id, s2);
	test_err_destroy(EBUSY, nested);
	test_err_destroy(EBUSY, parent);
	test_err_destroy(EBUSY, s2);
	test_cmd_pasid_replace(600, s2);
	test_ioctl_destroy(nested);
	test_ioctl_destroy(parent);
	test_err_destroy(EBUSY, s2);
	test_cmd_pasid_detach(600);
	test_cmd_pasid_detach(601);
	test_err_destroy(EBUSY, s2); /* the RID still */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(s2);
}

/*
 * Destroying the selftest device detaches its PASIDs (the kernel leaves
 * such a device bound, with a WARN; we detach them first as VFIO's unbind
 * does), so their HWPTs go free.
 */
TEST_F(pasid, device_destroy_detaches_pasids)
{
	__u32 s2;

	rid_on_pasid_hwpt(&s2);
	test_cmd_pasid_attach(700, s2);
	test_cmd_pasid_attach(701, s2);
	test_ioctl_destroy(self->stdev_id);
	test_err_destroy(ENOENT, self->device_id);
	test_ioctl_destroy(s2);
	if (variant->pasid_capable)
		test_ioctl_destroy(self->ioas_id);
}

/* An attach the caller cannot be told of (the reply cannot be written)
 * is undone: EFAULT, and the PASID is free again. */
TEST_F(pasid, attach_reply_fault_undoes)
{
	struct iommu_test_cmd *cmd;
	__u32 s2;

	rid_on_pasid_hwpt(&s2);
	cmd = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	*cmd = (struct iommu_test_cmd){
		.size = sizeof(*cmd),
		.op = IOMMU_TEST_OP_PASID_ATTACH,
		.id = self->stdev_id,
		.pasid_attach = { .pasid = 800, .pt_id = s2 },
	};
	ASSERT_EQ(0, mprotect(cmd, PSZ, PROT_READ));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_TEST_CMD, cmd));
	test_cmd_pasid_check_hwpt(800, 0);
	/* and nothing holds s2 but the RID */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(s2);
	munmap(cmd, PSZ);
}

/* Closing the context with PASIDs attached tears everything down (the
 * sanitizer runs see any leak). */
TEST_F(pasid, close_with_pasids_attached)
{
	__u32 s2, nested, parent;

	rid_on_pasid_hwpt(&s2);
	test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	alloc_nested_flags(self->device_id, parent, IOMMU_HWPT_ALLOC_PASID,
			   &nested);
	test_cmd_pasid_attach(900, s2);
	test_cmd_pasid_attach(901, nested);
	test_cmd_pasid_attach(IOMMU_TEST_PASID_RESERVED, nested);
	ASSERT_EQ(0, close(self->fd));
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
}

/* The RID cannot move to an IOAS (an automatic HWPT) under PASIDs: EINVAL,
 * it stays where it was, and the HWPT built for the try is gone. */
TEST_F(pasid, rid_to_ioas_under_pasids)
{
	__u32 s2, probe, out = 0;

	rid_on_pasid_hwpt(&s2);
	test_cmd_pasid_attach(910, s2);
	test_ioctl_ioas_alloc(&probe);
	test_ioctl_destroy(probe);
	test_err_mock_domain_replace(EINVAL, self->stdev_id, self->ioas_id);
	test_cmd_pasid_check_hwpt(IOMMU_NO_PASID, s2);
	ASSERT_EQ(0, _test_cmd_pasid_attach(self->fd, self->stdev_id, true,
					    IOMMU_NO_PASID, s2, &out));
	EXPECT_EQ(s2, out);
	/* the lowest free ID is the same as before the try */
	test_ioctl_ioas_alloc(&out);
	EXPECT_EQ(probe, out);
	test_ioctl_destroy(out);
	test_cmd_pasid_detach(910);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* The fault drill of PASID 1024 arms on attach, fires once, and a
 * detach disarms it. */
TEST_F(pasid, fault_drill)
{
	const __u32 pasid = IOMMU_TEST_PASID_RESERVED;
	__u32 a, b;

	rid_on_pasid_hwpt(&a);
	test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID, &b);
	test_cmd_pasid_attach(pasid, a);
	/* the same HWPT asks nothing of the driver */
	test_cmd_pasid_replace(pasid, a);
	test_err_pasid_replace(ENOMEM, pasid, b);
	test_cmd_pasid_check_hwpt(pasid, a);
	test_cmd_pasid_replace(pasid, b); /* disarmed: goes, and re-arms */
	test_cmd_pasid_check_hwpt(pasid, b);
	test_err_pasid_replace(ENOMEM, pasid, a);
	test_cmd_pasid_check_hwpt(pasid, b);
	test_cmd_pasid_replace(pasid, a);
	test_cmd_pasid_detach(pasid); /* disarms */
	test_cmd_pasid_attach(pasid, b);
	test_err_pasid_replace(ENOMEM, pasid, a);
	test_cmd_pasid_detach(pasid);
	/* other PASIDs know no drill */
	test_cmd_pasid_attach(pasid + 1, a);
	test_cmd_pasid_replace(pasid + 1, b);
	test_cmd_pasid_replace(pasid + 1, a);
	test_cmd_pasid_detach(pasid + 1);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* HWPT_ALLOC takes IOMMU_HWPT_ALLOC_PASID from any mock device. */
TEST_F(pasid, alloc_flag_any_device)
{
	__u32 dev = variant->pasid_capable ? self->device_id :
					     self->no_pasid_device_id;
	__u32 parent, nested, hwpt;

	test_cmd_hwpt_alloc(dev, self->ioas_id, IOMMU_HWPT_ALLOC_PASID, &hwpt);
	test_cmd_hwpt_alloc(dev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID |
				    IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &parent);
	alloc_nested_flags(dev, parent, IOMMU_HWPT_ALLOC_PASID, &nested);
	test_ioctl_destroy(nested);
	test_ioctl_destroy(parent);
	test_ioctl_destroy(hwpt);
}

/* Threads attach, replace and detach PASIDs of one device at once; each
 * sees only its own PASID's state. */
struct pasid_thread {
	int fd;
	__u32 stdev_id, a, b, pasid;
	int failures;
};

static void *pasid_thread_fn(void *arg)
{
	struct pasid_thread *t = arg;

	for (int i = 0; i < 200; i++) {
		if (_test_cmd_pasid_attach(t->fd, t->stdev_id, false, t->pasid,
					   t->a, NULL) ||
		    _test_cmd_pasid_check_hwpt(t->fd, t->stdev_id, t->pasid,
					       t->a) ||
		    _test_cmd_pasid_attach(t->fd, t->stdev_id, true, t->pasid,
					   t->b, NULL) ||
		    _test_cmd_pasid_check_hwpt(t->fd, t->stdev_id, t->pasid,
					       t->b) ||
		    _test_cmd_pasid_detach(t->fd, t->stdev_id, t->pasid) ||
		    _test_cmd_pasid_check_hwpt(t->fd, t->stdev_id, t->pasid,
					       0))
			t->failures++;
	}
	return NULL;
}

TEST_F(pasid, threads)
{
	struct pasid_thread t[4];
	pthread_t tid[4];
	__u32 a, b;

	rid_on_pasid_hwpt(&a);
	test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID, &b);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct pasid_thread){
			.fd = self->fd,
			.stdev_id = self->stdev_id,
			.a = i % 2 ? a : b,
			.b = i % 2 ? b : a,
			.pasid = 10 + i,
		};
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, pasid_thread_fn,
					    &t[i]));
	}
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
		EXPECT_EQ(0, t[i].failures);
	}
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(a);
	test_ioctl_destroy(b);
}

/*
 * The RID's compatibility rule under races: one thread moves the RID
 * between a HWPT made for PASIDs and one that is not, another attaches and
 * detaches a PASID. While the PASID is attached the RID must stay on the
 * compatible HWPT, whatever the first thread tries.
 */
struct rid_race {
	int fd;
	__u32 stdev_id, compat, plain;
	int stop, broken, moves; /* __atomic */
	int attached;		 /* PASID attaches that succeeded */
};

static void *rid_mover(void *arg)
{
	struct rid_race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		_test_cmd_mock_domain_replace(r->fd, r->stdev_id, r->plain,
					      NULL);
		_test_cmd_mock_domain_replace(r->fd, r->stdev_id, r->compat,
					      NULL);
		__atomic_fetch_add(&r->moves, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F(pasid, rid_rule_under_races)
{
	struct rid_race r = { .fd = self->fd, .stdev_id = self->stdev_id };
	pthread_t mover;

	rid_on_pasid_hwpt(&r.compat);
	test_cmd_hwpt_alloc(self->device_id, self->ioas_id, 0, &r.plain);
	ASSERT_EQ(0, pthread_create(&mover, NULL, rid_mover, &r));
	/* until enough of both got through, however the threads interleave */
	for (int i = 0; (r.attached < 200 ||
			 __atomic_load_n(&r.moves, __ATOMIC_RELAXED) < 2000) &&
			i < 1000000;
	     i++) {
		if (_test_cmd_pasid_attach(self->fd, self->stdev_id, false,
					   1000, r.compat, NULL)) {
			/* the RID was on the plain HWPT (EINVAL): let the
			 * mover run, the device's lock is not fair */
			sched_yield();
			continue;
		}
		r.attached++;
		for (int j = 0; j < 3; j++)
			if (_test_cmd_pasid_check_hwpt(self->fd,
						       self->stdev_id,
						       IOMMU_NO_PASID,
						       r.compat))
				r.broken++;
		ASSERT_EQ(0, _test_cmd_pasid_detach(self->fd, self->stdev_id,
						    1000));
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(mover, NULL));
	EXPECT_EQ(0, r.broken);
	EXPECT_LE(200, r.attached);
	EXPECT_LE(2000, r.moves);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

TEST_HARNESS_MAIN
