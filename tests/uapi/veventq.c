// SPDX-License-Identifier: MIT
/*
 * vEVENTQs with the selftest mock driver: IOMMU_VEVENTQ_ALLOC (one queue
 * per type per vIOMMU, a depth of at least one), IOMMU_TEST_OP_TRIGGER_VEVENT
 * and the queue's file: read() gives whole records, struct
 * iommufd_vevent_header and the event, numbered in sequence; an event
 * that finds the queue full is lost and the lost-events header (no data)
 * takes its number at the tail; a read too short for the first record
 * returns 0; the file is a stream, readable exactly while something is
 * queued.
 *
 * Every expected value follows the kernel's eventq.c
 * (iommufd_veventq_alloc(), iommufd_veventq_fops_read(),
 * iommufd_viommu_report_event()) and selftest.c
 * (iommufd_test_trigger_vevent()).
 */
#include <poll.h>

#include "viommu_utils.h"

#define VIRT_ID 0x99

/* A mock device attached to a nested HWPT made on a selftest vIOMMU,
 * known to it as VIRT_ID. */
FIXTURE(veventq)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 hwpt_id;
	__u32 dev_id;
	__u32 parent_id;
	__u32 viommu_id;
	__u32 vdev_id;
	__u32 nested_id;
};

FIXTURE_SETUP(veventq)
{
	static const struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};

	viommu_fixture_setup();
	test_cmd_vdevice_alloc(self->viommu_id, self->dev_id, VIRT_ID,
			       &self->vdev_id);
	test_cmd_hwpt_alloc_nested(self->dev_id, self->viommu_id, 0,
				   &self->nested_id, IOMMU_HWPT_DATA_SELFTEST,
				   &data, sizeof(data));
	test_cmd_mock_domain_replace(self->stdev_id, self->nested_id);
}

FIXTURE_TEARDOWN(veventq)
{
	EXPECT_EQ(0, close(self->fd));
}

/* Whether fd reads as readable right now. */
static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return !!(pfd.revents & POLLIN);
}

/* An address no memory is at. */
static void *unmapped_page(void)
{
	void *p = mmap(NULL, PSZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);

	if (p != MAP_FAILED)
		munmap(p, PSZ);
	return p;
}

#define EXPECT_EVENT(rec, seq)                                                 \
	({                                                                     \
		EXPECT_EQ(0, (rec).hdr.flags);                                 \
		EXPECT_EQ(seq, (rec).hdr.sequence);                            \
		EXPECT_EQ(VIRT_ID, (rec).event.virt_id);                       \
	})

TEST_F(veventq, alloc_errors)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = self->viommu_id,
		.type = IOMMU_VEVENTQ_TYPE_SELFTEST,
		.veventq_depth = 1,
	};
	__u32 id, fd, id2, fd2;

	cmd.flags = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
	test_err_veventq_alloc(EOPNOTSUPP, self->viommu_id,
			       IOMMU_VEVENTQ_TYPE_DEFAULT, 1, &id, &fd);
	/* the depth before the vIOMMU */
	test_err_veventq_alloc(EINVAL, 0, IOMMU_VEVENTQ_TYPE_SELFTEST, 0, &id,
			       &fd);
	test_err_veventq_alloc(ENOENT, 0, IOMMU_VEVENTQ_TYPE_SELFTEST, 1, &id,
			       &fd);
	test_err_veventq_alloc(ENOENT, self->parent_id,
			       IOMMU_VEVENTQ_TYPE_SELFTEST, 1, &id, &fd);
	/* one queue per type */
	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 1,
			       &id, &fd);
	test_err_veventq_alloc(EEXIST, self->viommu_id,
			       IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id2, &fd2);
	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
			       1, &id2, &fd2);
	/* the queue holds its vIOMMU; its open file holds the queue */
	test_err_destroy(EBUSY, self->viommu_id);
	test_err_destroy(EBUSY, id);
	EXPECT_EQ(0, close(fd));
	test_ioctl_destroy(id);
	/* the type is free again */
	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 1,
			       &id, &fd);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(fd2));
	test_ioctl_destroy(id);
	test_ioctl_destroy(id2);
}

TEST_F(veventq, trigger_needs_a_queue_and_a_vdevice)
{
	__u32 id, fd;

	/* attached through the vIOMMU, but no queue of the selftest type */
	test_err_trigger_vevents(EOPNOTSUPP, self->dev_id);
	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 4,
			       &id, &fd);
	test_err_trigger_vevents(ENOENT, 0);
	/* a device not attached through a vIOMMU raises nothing */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_err_trigger_vevents(ENOENT, self->dev_id);
	EXPECT_EQ(0, readable(fd));
	EXPECT_EQ(0, close(fd));
}

TEST_F(veventq, read_records)
{
	struct selftest_vevent rec[3];
	__u32 id, fd;

	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 4,
			       &id, &fd);
	EXPECT_EQ(0, readable(fd));
	/* an empty queue reads 0: the read never waits */
	EXPECT_EQ(0, read(fd, rec, sizeof(rec)));
	test_cmd_trigger_vevents(self->dev_id, 2);
	EXPECT_EQ(1, readable(fd));
	ASSERT_EQ(2 * sizeof(rec[0]), read(fd, rec, sizeof(rec)));
	EXPECT_EVENT(rec[0], 0);
	EXPECT_EVENT(rec[1], 1);
	EXPECT_EQ(0, readable(fd));
	/* whole records only: a read too short for the first returns 0 */
	test_cmd_trigger_vevents(self->dev_id, 2);
	EXPECT_EQ(0, read(fd, rec, sizeof(struct iommufd_vevent_header)));
	EXPECT_EQ(0, read(fd, rec, sizeof(rec[0]) - 1));
	ASSERT_EQ(sizeof(rec[0]), read(fd, rec, sizeof(rec[0]) + 5));
	EXPECT_EVENT(rec[0], 2);
	ASSERT_EQ(sizeof(rec[0]), read(fd, rec, sizeof(rec)));
	EXPECT_EVENT(rec[0], 3);
	/* a bad buffer takes nothing away */
	test_cmd_trigger_vevents(self->dev_id, 1);
	EXPECT_ERRNO(EFAULT, read(fd, unmapped_page(), sizeof(rec)));
	ASSERT_EQ(sizeof(rec[0]), read(fd, rec, sizeof(rec)));
	EXPECT_EVENT(rec[0], 4);
	/* a stream */
	EXPECT_ERRNO(ESPIPE, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(0, close(fd));
}

TEST_F(veventq, overflow)
{
	struct {
		struct selftest_vevent ev[2];
		struct iommufd_vevent_header lost;
		struct selftest_vevent more;
	} buf;
	__u32 id, fd;

	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
			       &id, &fd);
	/* the third finds the queue full: lost, and the header says so */
	test_cmd_trigger_vevents(self->dev_id, 3);
	ASSERT_EQ(2 * sizeof(buf.ev[0]) + sizeof(buf.lost),
		  read(fd, &buf, sizeof(buf)));
	EXPECT_EVENT(buf.ev[0], 0);
	EXPECT_EVENT(buf.ev[1], 1);
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, buf.lost.flags);
	EXPECT_EQ(2, buf.lost.sequence);
	/* the numbers go on after the loss */
	test_cmd_trigger_vevents(self->dev_id, 1);
	ASSERT_EQ(sizeof(buf.ev[0]), read(fd, &buf, sizeof(buf)));
	EXPECT_EVENT(buf.ev[0], 3);
	EXPECT_EQ(0, close(fd));
}

TEST_F(veventq, overflow_twice_moves_the_header)
{
	struct {
		struct selftest_vevent ev;
		struct iommufd_vevent_header lost;
		char spare[4];
	} buf;
	struct iommufd_vevent_header hdr;
	__u32 id, fd;

	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 1,
			       &id, &fd);
	test_cmd_trigger_vevents(self->dev_id, 3);
	/* one header, numbered for the latest loss */
	ASSERT_EQ(sizeof(buf.ev) + sizeof(buf.lost),
		  read(fd, &buf, sizeof(buf)));
	EXPECT_EVENT(buf.ev, 0);
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, buf.lost.flags);
	EXPECT_EQ(2, buf.lost.sequence);

	/* a header left unread goes back to an empty queue... */
	test_cmd_trigger_vevents(self->dev_id, 2);
	ASSERT_EQ(sizeof(buf.ev), read(fd, &buf, sizeof(buf.ev)));
	EXPECT_EVENT(buf.ev, 3);
	EXPECT_EQ(1, readable(fd));
	ASSERT_EQ(sizeof(hdr), read(fd, &hdr, sizeof(hdr)));
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, hdr.flags);
	EXPECT_EQ(4, hdr.sequence);

	/* ...but not ahead of events, whose numbers show the gap (the
	 * kernel's rule) */
	test_cmd_trigger_vevents(self->dev_id, 2);
	ASSERT_EQ(sizeof(buf.ev), read(fd, &buf, sizeof(buf.ev)));
	EXPECT_EVENT(buf.ev, 5);
	test_cmd_trigger_vevents(self->dev_id, 1);
	EXPECT_EQ(0, read(fd, &hdr, sizeof(hdr) - 1));
	ASSERT_EQ(sizeof(buf.ev), read(fd, &buf, sizeof(buf)));
	EXPECT_EVENT(buf.ev, 7);
	EXPECT_EQ(0, readable(fd));
	EXPECT_EQ(0, close(fd));
}

TEST_F(veventq, destroy_with_events_queued)
{
	__u32 id, fd;

	test_cmd_veventq_alloc(self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
			       &id, &fd);
	test_cmd_trigger_vevents(self->dev_id, 5);
	EXPECT_EQ(0, close(fd));
	/* what was queued goes with the queue */
	test_ioctl_destroy(id);
	test_err_trigger_vevents(EOPNOTSUPP, self->dev_id);
}

TEST_HARNESS_MAIN
