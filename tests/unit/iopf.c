// SPDX-License-Identifier: MIT
/*
 * I/O page faults below the uAPI: groups of several page requests (which
 * the selftest op cannot make: its requests are all last ones), what the
 * device is answered and when (src/iommu/io_pgfault.c, seen through the
 * mock device's count of answers), and the common part of event queues
 * (src/iommufd/eventq.c).
 *
 * The fixture builds, through iommusim_ioctl(), a mock device on a nested
 * HWPT whose requests go to a fault queue, then raises requests with
 * iommu_report_device_fault() as the hardware would and reads the queue
 * through its file's ops.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "base/fdtable.h"
#include "base/file.h"
#include "base/usermem.h"
#include "harness.h"
#include "iommu/drivers/mock_device.h"
#include "iommu/iopf.h"
#include "iommufd/device.h"
#include "iommufd/eventq.h"
#include "nested_fault.h"

#define RECORD sizeof(struct iommu_hwpt_pgfault)
#define LAST IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE

static uint64_t uaddr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

FIXTURE(iopf)
{
	struct iommusim_ctx *ctx;
	__u32 ioas_id, stdev_id, idev_id, parent_id, nested_id, fault_id;
	int fault_fd;
	struct file *fault_file;
	struct device *dev;
	struct mock_dev *mdev;
};

static int test_ioctl(struct iommusim_ctx *ctx, unsigned long cmd, void *arg)
{
	return iommusim_ioctl(ctx, cmd, arg);
}

FIXTURE_SETUP(iopf)
{
	struct nested_fault t;
	struct iommufd_device *idev;

	ASSERT_EQ(0, iommusim_open(&self->ctx));
	ASSERT_EQ(0, nested_fault_build(self->ctx, MOCK_FLAGS_DEVICE_PASID,
					false, &t));
	self->ioas_id = t.ioas;
	self->stdev_id = t.stdev;
	self->idev_id = t.idev;
	self->parent_id = t.parent;
	self->fault_id = t.fault;
	self->fault_fd = t.fault_fd;
	self->nested_id = t.nested;
	self->fault_file = fget(self->fault_fd);
	ASSERT_NONNULL(self->fault_file);

	idev = iommufd_get_device((struct iommufd_ctx *)self->ctx,
				  self->idev_id);
	ASSERT_NONNULL(idev);
	self->dev = idev->dev;
	object_put((struct iommufd_ctx *)self->ctx, &idev->obj);
	self->mdev = mock_dev_of(self->dev);
	ASSERT_NONNULL(self->mdev);
}

FIXTURE_TEARDOWN(iopf)
{
	struct file *entry = fdtable_remove(self->fault_fd);

	close(self->fault_fd);
	if (entry)
		fput(entry);
	if (self->fault_file)
		fput(self->fault_file);
	iommusim_close(self->ctx);
}

/* Moves the fixture's device onto pt_id (the nested HWPT, the parent,
 * the IOAS). */
static int replace(FIXTURE_DATA(iopf) *self, __u32 pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = self->stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	return test_ioctl(self->ctx, IOMMU_TEST_CMD, &cmd);
}

static void report(struct device *dev, uint32_t flags, uint32_t grpid,
		   uint64_t addr)
{
	struct iommu_fault_page_request prm = {
		.flags = flags,
		.grpid = grpid,
		.perm = IOMMU_PGFAULT_PERM_READ,
		.addr = addr,
	};

	iommu_report_device_fault(dev, &prm);
}

static uint64_t answers(FIXTURE_DATA(iopf) *self,
			enum iommu_page_response_code code)
{
	return mock_dev_page_responses(self->mdev, code);
}

static ssize_t respond(struct file *file, uint32_t cookie, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = code };

	return vfs_write(file, uaddr(&r), sizeof(r));
}

/* A group is read whole: its requests in the order they came, the last
 * one last, all with its cookie; one answer for all of them. */
TEST_F(iopf, a_group_is_read_whole)
{
	struct iommu_hwpt_pgfault rec[4];

	ASSERT_EQ(0, replace(self, self->nested_id));
	report(self->dev, 0, 5, 0x1000);
	report(self->dev, 0, 6, 0x9000); /* another group's */
	report(self->dev, 0, 5, 0x2000);
	/* nothing to read until the last one comes */
	EXPECT_EQ(0, vfs_read(self->fault_file, uaddr(rec), sizeof(rec)));
	report(self->dev, LAST, 5, 0x3000);

	/* the first group does not fit: EINVAL, and it stays */
	EXPECT_EQ(-EINVAL, vfs_read(self->fault_file, uaddr(rec), 2 * RECORD));
	EXPECT_EQ(-EINVAL, vfs_read(self->fault_file, uaddr(rec), 0));
	memset(rec, 0, sizeof(rec));
	ASSERT_EQ(3 * RECORD, vfs_read(self->fault_file, uaddr(rec),
					sizeof(rec)));
	EXPECT_EQ(0x1000, rec[0].addr);
	EXPECT_EQ(0x2000, rec[1].addr);
	EXPECT_EQ(0x3000, rec[2].addr);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(5, rec[i].grpid);
		EXPECT_EQ(1, rec[i].cookie);
		EXPECT_EQ(self->idev_id, rec[i].dev_id);
		EXPECT_EQ(i == 2 ? LAST : 0, rec[i].flags);
	}
	EXPECT_EQ(0, answers(self, IOMMU_PAGE_RESP_SUCCESS));
	EXPECT_EQ(8, respond(self->fault_file, 1, IOMMUFD_PAGE_RESP_SUCCESS));
	EXPECT_EQ(1, answers(self, IOMMU_PAGE_RESP_SUCCESS));

	/* group 6's request waited all along */
	report(self->dev, LAST, 6, 0xa000);
	ASSERT_EQ(2 * RECORD, vfs_read(self->fault_file, uaddr(rec),
					sizeof(rec)));
	EXPECT_EQ(0x9000, rec[0].addr);
	EXPECT_EQ(0xa000, rec[1].addr);
	EXPECT_EQ(8, respond(self->fault_file, rec[0].cookie,
			     IOMMUFD_PAGE_RESP_INVALID));
	EXPECT_EQ(1, answers(self, IOMMU_PAGE_RESP_INVALID));
	ASSERT_EQ(0, replace(self, self->ioas_id));
}

/* Only whole groups: a read stops before the group that does not fit. */
TEST_F(iopf, a_read_stops_before_a_group_that_does_not_fit)
{
	struct iommu_hwpt_pgfault rec[3];

	ASSERT_EQ(0, replace(self, self->nested_id));
	report(self->dev, 0, 1, 0x1000);
	report(self->dev, LAST, 1, 0x2000);
	report(self->dev, 0, 2, 0x3000);
	report(self->dev, LAST, 2, 0x4000);
	ASSERT_EQ(2 * RECORD, vfs_read(self->fault_file, uaddr(rec),
					sizeof(rec)));
	EXPECT_EQ(0x2000, rec[1].addr);
	ASSERT_EQ(2 * RECORD, vfs_read(self->fault_file, uaddr(rec),
					sizeof(rec)));
	EXPECT_EQ(0x4000, rec[1].addr);
	EXPECT_EQ(2, rec[1].cookie);
	/* the detach answers both */
	ASSERT_EQ(0, replace(self, self->ioas_id));
	EXPECT_EQ(2, answers(self, IOMMU_PAGE_RESP_INVALID));
	EXPECT_EQ(-EINVAL, respond(self->fault_file, 1,
				   IOMMUFD_PAGE_RESP_SUCCESS));
}

/* A request nothing takes is answered INVALID at once, partial or last;
 * the device's requests are off until a HWPT with a queue is attached,
 * and the waiting partial ones go when they are turned off. */
TEST_F(iopf, requests_nobody_takes)
{
	struct iommu_hwpt_pgfault rec[2];

	report(self->dev, 0, 1, 0x1000);
	report(self->dev, LAST, 1, 0x2000);
	EXPECT_EQ(2, answers(self, IOMMU_PAGE_RESP_INVALID));
	EXPECT_EQ(NULL, self->dev->fault_param);

	ASSERT_EQ(0, replace(self, self->nested_id));
	EXPECT_NE(NULL, self->dev->fault_param);
	report(self->dev, 0, 3, 0x3000);
	ASSERT_EQ(0, replace(self, self->parent_id));
	EXPECT_EQ(NULL, self->dev->fault_param);
	ASSERT_EQ(0, replace(self, self->nested_id));
	/* the partial request of group 3 was dropped with the parameter */
	report(self->dev, LAST, 3, 0x4000);
	ASSERT_EQ(RECORD, vfs_read(self->fault_file, uaddr(rec), sizeof(rec)));
	EXPECT_EQ(0x4000, rec[0].addr);
	EXPECT_EQ(0, answers(self, IOMMU_PAGE_RESP_SUCCESS));
	EXPECT_EQ(2, answers(self, IOMMU_PAGE_RESP_INVALID));
	ASSERT_EQ(0, replace(self, self->ioas_id));
	EXPECT_EQ(3, answers(self, IOMMU_PAGE_RESP_INVALID));
}

/* The end of the context answers what is still held, read or not. */
TEST_F(iopf, the_end_answers_everything)
{
	struct iommu_hwpt_pgfault rec;

	ASSERT_EQ(0, replace(self, self->nested_id));
	report(self->dev, LAST, 1, 0x1000);
	report(self->dev, LAST, 2, 0x2000);
	ASSERT_EQ(RECORD, vfs_read(self->fault_file, uaddr(&rec), RECORD));
	get_device(self->dev);
	/* the queue's file holds the context: it goes with the file */
	iommusim_close(self->ctx);
	EXPECT_EQ(0, answers(self, IOMMU_PAGE_RESP_INVALID));
	self->ctx = NULL;
	fput(self->fault_file);
	self->fault_file = fdtable_remove(self->fault_fd);
	close(self->fault_fd);
	fput(self->fault_file);
	self->fault_file = NULL;
	EXPECT_EQ(2, answers(self, IOMMU_PAGE_RESP_INVALID));
	put_device(self->dev);
}

/* ---- the IOMMU layer alone ---------------------------------------------- */

struct toy_domain {
	struct iommu_domain domain;
	struct iopf_group *groups[4];
	int taken, refuse;
};

static int toy_iopf_handler(struct iopf_group *group)
{
	struct toy_domain *toy =
		container_of(group->attach_handle->domain, struct toy_domain,
			     domain);

	if (toy->refuse)
		return -ENOSPC;
	toy->groups[toy->taken++] = group;
	return 0;
}

/* A group the handler keeps outlives the device's parameter, and is
 * answered once: by iopf_remove_device() here. */
TEST_F(iopf, groups_outlive_the_fault_parameter)
{
	struct toy_domain toy = {
		.domain = { .kind = IOMMU_DOMAIN_PAGING,
			    .iopf_handler = toy_iopf_handler },
	};
	struct iommu_attach_handle handle;

	/* a PASID of the device, routed to the toy domain */
	ASSERT_EQ(0, iopf_add_device(self->dev));
	EXPECT_EQ(-EBUSY, iopf_add_device(self->dev));
	EXPECT_EQ(NULL, iommu_attach_handle_set(self->dev, 9, &toy.domain,
						&handle));
	report(self->dev, IOMMU_FAULT_PAGE_REQUEST_PASID_VALID, 1, 0x1000);
	report(self->dev, IOMMU_FAULT_PAGE_REQUEST_PASID_VALID, 1, 0x1000);
	/* PASID 0 is the RID's, whose domain takes no requests */
	EXPECT_EQ(0, toy.taken);
	{
		struct iommu_fault_page_request prm = {
			.flags = IOMMU_FAULT_PAGE_REQUEST_PASID_VALID | LAST,
			.pasid = 9,
			.grpid = 1,
		};

		iommu_report_device_fault(self->dev, &prm);
	}
	ASSERT_EQ(1, toy.taken);
	EXPECT_EQ(1, toy.groups[0]->fault_count);
	EXPECT_EQ(2, answers(self, IOMMU_PAGE_RESP_INVALID));

	/* the handler refuses: FAILURE */
	toy.refuse = 1;
	{
		struct iommu_fault_page_request prm = {
			.flags = IOMMU_FAULT_PAGE_REQUEST_PASID_VALID | LAST,
			.pasid = 9,
		};

		iommu_report_device_fault(self->dev, &prm);
	}
	EXPECT_EQ(1, answers(self, IOMMU_PAGE_RESP_FAILURE));

	iopf_remove_device(self->dev);
	EXPECT_EQ(3, answers(self, IOMMU_PAGE_RESP_INVALID));
	/* answered already: nothing more */
	iopf_group_response(toy.groups[0], IOMMU_PAGE_RESP_SUCCESS);
	EXPECT_EQ(0, answers(self, IOMMU_PAGE_RESP_SUCCESS));
	iopf_free_group(toy.groups[0]);
	EXPECT_EQ(&handle, iommu_attach_handle_remove(self->dev, 9));
	EXPECT_EQ(NULL, iommu_attach_handle_remove(self->dev, 9));
}

/* ---- the common part of event queues ------------------------------------ */

TEST(eventq_depth_and_order)
{
	struct iommufd_eventq eq = { .depth = 2 };
	struct list_head a, b, c;
	struct file file = { .private_data = &eq };

	spin_lock_init(&eq.lock, LOCK_RANK_EVENTQ);
	INIT_LIST_HEAD(&eq.deliver);
	eq.obj.type = IOMMUFD_OBJ_VEVENTQ;
	EXPECT_EQ(0, eventq_fops_poll(&file));
	EXPECT_TRUE(eventq_add_tail(&eq, &a));
	EXPECT_TRUE(eventq_add_tail(&eq, &b));
	EXPECT_FALSE(eventq_add_tail(&eq, &c));
	EXPECT_EQ(2, eq.count);
	EXPECT_EQ(POLLIN | POLLRDNORM, eventq_fops_poll(&file));
	EXPECT_TRUE(eventq_fetch(&eq) == &a);
	eventq_restore(&eq, &a);
	EXPECT_TRUE(eventq_fetch(&eq) == &a);
	EXPECT_TRUE(eventq_fetch(&eq) == &b);
	EXPECT_NULL(eventq_fetch(&eq));
	EXPECT_EQ(0, eq.count);
	/* only the fault queue takes writes */
	eq.obj.type = IOMMUFD_OBJ_FAULT;
	EXPECT_EQ(POLLOUT, eventq_fops_poll(&file));
	spin_lock_destroy(&eq.lock);
}

TEST_HARNESS_MAIN
