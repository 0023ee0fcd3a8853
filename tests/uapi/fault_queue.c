// SPDX-License-Identifier: MIT
/*
 * The fault queue: IOMMU_FAULT_QUEUE_ALLOC and its fd, HWPTs made with
 * IOMMU_HWPT_FAULT_ID_VALID, page requests raised on mock devices with
 * IOMMU_TEST_OP_TRIGGER_IOPF, and their answers. Written from the kernel's
 * fault.c (6.12) and eventq.c, hw_pagetable.c, device.c, io-pgfault.c and
 * selftest.c:
 *
 *  - the queue is an object (DESTROY is EBUSY while its fd is open or a
 *    HWPT names it) and an anonymous file: O_RDWR, close-on-exec, a stream
 *    (lseek and pread ESPIPE), no ioctl (ENOTTY), always writable, readable
 *    while a group waits;
 *  - read() hands out whole groups as struct iommu_hwpt_pgfault records:
 *    a length that is not a multiple of a record is ESPIPE; a first group
 *    that does not fit is EINVAL (a read of 0 bytes too, when one waits);
 *    an empty queue reads 0; each group gets a cookie, the lowest free from 1;
 *  - write() takes struct iommu_hwpt_page_response: ESPIPE for a partial
 *    one, EINVAL for a code other than SUCCESS and INVALID or a cookie
 *    no group read and unanswered has; a call answers up to its first bad
 *    response and says how many bytes it took;
 *  - FAULT_ID_VALID: with NEST_PARENT EOPNOTSUPP; a fault_id that names no
 *    queue ENOENT, after every other check; without the flag fault_id is
 *    not looked at;
 *  - TRIGGER_IOPF: dev_id is a device ID (ENOENT otherwise); a request no
 *    queue takes is answered by the IOMMU layer, and the call succeeds;
 *    a PASID request goes to the PASID's HWPT, or to a nested HWPT on the
 *    RID when the PASID has none (the mock keeps a user PASID table);
 *  - detach, replace, and the end of the context answer the groups that
 *    came through the attachment, read or not (their cookies are gone).
 *
 * Groups of more than one request cannot be made through the uAPI (the
 * mock sends only last requests); tests/unit/iopf.c has them.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "iommufd_utils.h"

/* A null pointer the compiler cannot see, so that it reaches the call. */
static void *volatile null_ptr;

#define RECORD sizeof(struct iommu_hwpt_pgfault)
#define RESPONSE sizeof(struct iommu_hwpt_page_response)
#define FLAGS_LAST IOMMU_PGFAULT_FLAGS_LAST_PAGE
#define FLAGS_PASID_LAST                                                       \
	(IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE)
#define SUCCESS IOMMUFD_PAGE_RESP_SUCCESS
#define INVALID IOMMUFD_PAGE_RESP_INVALID

/* A mock PASID device on an IOAS, a NEST_PARENT HWPT, a fault queue. */
FIXTURE(fault_queue)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id, hwpt_id, idev_id;
	__u32 parent_id;
	__u32 fault_id;
	int fault_fd;
};

FIXTURE_SETUP(fault_queue)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_PASID,
				   &self->stdev_id, &self->hwpt_id,
				   &self->idev_id);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent_id);
	test_ioctl_fault_alloc(&self->fault_id, &self->fault_fd);
}

FIXTURE_TEARDOWN(fault_queue)
{
	if (self->fault_fd >= 0)
		EXPECT_EQ(0, close(self->fault_fd));
	EXPECT_EQ(0, close(self->fd));
}

/* A nested mock HWPT over the fixture's parent whose requests go to the
 * fixture's queue. */
#define alloc_nested_iopf(flags, hwpt_id)                                      \
	({                                                                     \
		struct iommu_hwpt_selftest __data = {                          \
			.iotlb = IOMMU_TEST_IOTLB_DEFAULT,                     \
		};                                                             \
		test_cmd_hwpt_alloc_iopf(self->idev_id, self->parent_id,       \
					 self->fault_id,                       \
					 IOMMU_HWPT_FAULT_ID_VALID | (flags),  \
					 hwpt_id, IOMMU_HWPT_DATA_SELFTEST,    \
					 &__data, sizeof(__data));             \
	})

/* The same, with the fixture's device moved onto it. */
#define attach_nested_iopf(hwpt_id)                                            \
	({                                                                     \
		alloc_nested_iopf(0, hwpt_id);                                 \
		test_cmd_mock_domain_replace(self->stdev_id, *(hwpt_id));      \
	})

static int poll_mask(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

/* ---- the queue as an object and a file ----------------------------------- */

TEST_F(fault_queue, alloc_gives_an_object_and_a_file)
{
	struct iommu_hwpt_pgfault rec;
	struct stat st;
	__u32 id2, next;
	int fd2;

	EXPECT_EQ(self->parent_id + 1, self->fault_id);
	EXPECT_LE(3, self->fault_fd);
	/* the kernel's anonymous file: O_RDWR, close-on-exec */
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->fault_fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(self->fault_fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, fstat(self->fault_fd, &st));
	/* a stream: no position */
	EXPECT_ERRNO(ESPIPE, lseek(self->fault_fd, 0, SEEK_SET));
	EXPECT_ERRNO(ESPIPE, lseek(self->fault_fd, 0, SEEK_CUR));
	EXPECT_ERRNO(EINVAL, lseek(self->fault_fd, 0, SEEK_HOLE + 1));
	EXPECT_ERRNO(ESPIPE, pread(self->fault_fd, &rec, RECORD, 0));
	EXPECT_ERRNO(ESPIPE, pwrite(self->fault_fd, &rec, RESPONSE, 0));
	/* no ioctls of its own */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fault_fd, IOMMU_IOAS_ALLOC, &rec));
	/* writable always, readable when a group waits */
	EXPECT_EQ(POLLOUT, poll_mask(self->fault_fd));
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(0, write(self->fault_fd, &rec, 0));

	/* each queue its own object and file */
	test_ioctl_fault_alloc(&id2, &fd2);
	EXPECT_EQ(self->fault_id + 1, id2);
	EXPECT_NE(self->fault_fd, fd2);
	EXPECT_EQ(0, close(fd2));
	test_ioctl_destroy(id2);
	test_ioctl_ioas_alloc(&next);
	EXPECT_EQ(id2, next);
}

TEST_F(fault_queue, alloc_flags_and_sizes)
{
	struct {
		struct iommu_fault_alloc cmd;
		__u32 tail;
	} big = { .cmd = { .size = sizeof(big) } };
	__u32 next;

	for (unsigned int bit = 0; bit < 32; bit++)
		test_err_ioctl_fault_alloc(EOPNOTSUPP, 1u << bit);
	/* the struct as first released: 16 bytes */
	big.cmd.size = offsetofend(struct iommu_fault_alloc, out_fault_fd) - 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &big));
	big.cmd.size = sizeof(big);
	big.tail = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &big));
	/* nothing was left behind */
	test_ioctl_ioas_alloc(&next);
	EXPECT_EQ(self->fault_id + 1, next);
	/* a zero tail is the plain struct */
	big.tail = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &big));
	EXPECT_EQ(next + 1, big.cmd.out_fault_id);
	EXPECT_EQ(0, close((int)big.cmd.out_fault_fd));
	test_ioctl_destroy(big.cmd.out_fault_id);
}

/* A reply that cannot be written leaves no object and no descriptor. */
TEST_F(fault_queue, alloc_with_an_unwritable_reply)
{
	struct iommu_fault_alloc *cmd;
	int probe, next_fd;
	__u32 next;

	cmd = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	*cmd = (struct iommu_fault_alloc){ .size = sizeof(*cmd) };
	ASSERT_EQ(0, mprotect(cmd, PSZ, PROT_READ));
	probe = dup(0);
	ASSERT_LE(0, probe);
	ASSERT_EQ(0, close(probe));

	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, cmd));
	next_fd = dup(0);
	EXPECT_EQ(probe, next_fd);
	EXPECT_EQ(0, close(next_fd));
	test_ioctl_ioas_alloc(&next);
	EXPECT_EQ(self->fault_id + 1, next);
	munmap(cmd, PSZ);
}

TEST_F(fault_queue, destroy_needs_the_fd_closed_and_no_hwpt)
{
	__u32 nested;

	attach_nested_iopf(&nested);
	/* the fd holds it */
	test_err_destroy(EBUSY, self->fault_id);
	EXPECT_EQ(0, close(self->fault_fd));
	self->fault_fd = -1;
	/* and so does the HWPT */
	test_err_destroy(EBUSY, self->fault_id);
	test_err_destroy(EBUSY, nested);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
	test_ioctl_destroy(self->fault_id);
	test_err_destroy(ENOENT, self->fault_id);
}

/* ---- IOMMU_HWPT_ALLOC with FAULT_ID_VALID ------------------------------- */

TEST_F(fault_queue, hwpt_alloc_fault_id)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	__u32 nested, paging, next, dummy = 0x5555;

	/* a fault_id that names no queue, after the HWPT was built */
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->parent_id,
				  IOMMU_HWPT_FAULT_ID_VALID, 0, &dummy,
				  IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data));
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->parent_id,
				  IOMMU_HWPT_FAULT_ID_VALID, NO_SUCH_ID,
				  &dummy, IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data));
	/* objects of other types */
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->parent_id,
				  IOMMU_HWPT_FAULT_ID_VALID, self->ioas_id,
				  &dummy, IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data));
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, self->parent_id,
				  &dummy, IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, self->idev_id,
				  &dummy, IOMMU_HWPT_DATA_NONE, NULL, 0);
	EXPECT_EQ(0x5555, dummy);
	/* nothing was left behind, the parent is free again */
	test_ioctl_ioas_alloc(&next);
	EXPECT_EQ(self->fault_id + 1, next);

	/* nested and paging HWPTs take a queue */
	alloc_nested_iopf(0, &nested);
	EXPECT_EQ(next + 1, nested);
	test_cmd_hwpt_alloc_iopf(self->idev_id, self->ioas_id, self->fault_id,
				 IOMMU_HWPT_FAULT_ID_VALID, &paging,
				 IOMMU_HWPT_DATA_NONE, NULL, 0);
	/* without the flag fault_id is not looked at */
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(self->fd, self->idev_id,
					  self->ioas_id, 0, NO_SUCH_ID,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &dummy));
	test_ioctl_destroy(dummy);
	test_err_destroy(EBUSY, self->fault_id);
	test_ioctl_destroy(nested);
	test_ioctl_destroy(paging);
}

/* Where two things are wrong, the errno the kernel's order gives. */
TEST_F(fault_queue, hwpt_alloc_fault_id_check_order)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.fault_id = NO_SUCH_ID,
	};
	__u32 next;

	/* a queue on a nest parent is refused before it is looked up */
	cmd.flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.fault_id = self->fault_id;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.flags = IOMMU_HWPT_FAULT_ID_VALID;
	cmd.fault_id = NO_SUCH_ID;
	/* __reserved, data, device, page table all come first */
	cmd.__reserved = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.__reserved = 0;
	cmd.data_len = 4;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.data_len = 0;
	cmd.dev_id = NO_SUCH_ID;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.dev_id = self->idev_id;
	cmd.pt_id = NO_SUCH_ID;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* a flag the kernel does not know, too */
	cmd.pt_id = self->ioas_id;
	cmd.flags |= 1u << 31;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	test_ioctl_ioas_alloc(&next);
	EXPECT_EQ(self->fault_id + 1, next);
}

TEST_F(fault_queue, destroyed_queue_is_not_found)
{
	__u32 fault_id, hwpt_id;
	int fault_fd;

	test_ioctl_fault_alloc(&fault_id, &fault_fd);
	EXPECT_EQ(0, close(fault_fd));
	test_ioctl_destroy(fault_id);
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, fault_id,
				  &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
}

/* ---- a page request's way and its answer ------------------------------- */

/* The kernel's test_cmd_trigger_iopf(): PASID 1 on a device whose RID is
 * on a nested HWPT with a queue. */
TEST_F(fault_queue, round_trip_through_a_nested_hwpt)
{
	struct iommu_hwpt_pgfault rec[2];
	__u32 nested;

	attach_nested_iopf(&nested);
	test_err_destroy(EBUSY, nested);
	ASSERT_EQ(0, _test_cmd_trigger_iopf(self->fd, self->idev_id, 1, 2,
					    IOPF_PERM, IOPF_ADDR));
	EXPECT_EQ(POLLIN | POLLOUT, poll_mask(self->fault_fd));
	memset(rec, 0xaa, sizeof(rec));
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, rec, 2));
	EXPECT_EQ(FLAGS_PASID_LAST, rec[0].flags);
	EXPECT_EQ(self->idev_id, rec[0].dev_id);
	EXPECT_EQ(1, rec[0].pasid);
	EXPECT_EQ(2, rec[0].grpid);
	EXPECT_EQ(IOPF_PERM, rec[0].perm);
	EXPECT_EQ(0, rec[0].__reserved);
	EXPECT_EQ(IOPF_ADDR, rec[0].addr);
	EXPECT_EQ(0, rec[0].length);
	EXPECT_EQ(1, rec[0].cookie);
	/* the second record's room is left alone */
	EXPECT_EQ(0xaaaaaaaa, rec[1].flags);
	EXPECT_EQ(POLLOUT, poll_mask(self->fault_fd));
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, 1, SUCCESS));
	/* answered once */
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, 1, SUCCESS));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
}

TEST_F(fault_queue, round_trip_through_a_paging_hwpt)
{
	struct iommu_hwpt_pgfault rec;
	__u32 paging;

	test_cmd_hwpt_alloc_iopf(self->idev_id, self->ioas_id, self->fault_id,
				 IOMMU_HWPT_FAULT_ID_VALID, &paging,
				 IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_cmd_mock_domain_replace(self->stdev_id, paging);
	ASSERT_EQ(0, _test_cmd_trigger_iopf(self->fd, self->idev_id, 0, 9,
					    IOMMU_PGFAULT_PERM_EXEC |
						    IOMMU_PGFAULT_PERM_PRIV,
					    0x123456789000ull));
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	/* the RID's request: no PASID */
	EXPECT_EQ(FLAGS_LAST, rec.flags);
	EXPECT_EQ(0, rec.pasid);
	EXPECT_EQ(9, rec.grpid);
	EXPECT_EQ(IOMMU_PGFAULT_PERM_EXEC | IOMMU_PGFAULT_PERM_PRIV, rec.perm);
	EXPECT_EQ(0x123456789000ull, rec.addr);
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec.cookie, INVALID));
	/* the request to an address no mapping covers is still delivered:
	 * the mock does not look (any perm, any address) */
	ASSERT_EQ(0, _test_cmd_trigger_iopf(self->fd, self->idev_id, 0, 0,
					    0xffffffff, ~0ull));
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(0xffffffff, rec.perm);
	EXPECT_EQ(~0ull, rec.addr);
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec.cookie, SUCCESS));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(paging);
}

TEST_F(fault_queue, trigger_rules)
{
	struct iommu_hwpt_pgfault rec;
	__u32 nested;

	/* dev_id must be a device: not 0, not the selftest object */
	test_err_trigger_iopf(ENOENT, 0, 0, 0);
	test_err_trigger_iopf(ENOENT, NO_SUCH_ID, 0, 0);
	test_err_trigger_iopf(ENOENT, self->ioas_id, 0, 0);
	test_err_trigger_iopf(ENOENT, self->stdev_id, 0, 0);
	test_err_trigger_iopf(ENOENT, self->fault_id, 0, 0);
	/* no HWPT with a queue: the device is answered, the call succeeds */
	test_cmd_trigger_iopf(self->idev_id, 0, 0);
	test_cmd_trigger_iopf(self->idev_id, 1, 0);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(POLLOUT, poll_mask(self->fault_fd));
	/* once the RID is on a queue's HWPT, its requests reach the queue */
	attach_nested_iopf(&nested);
	test_cmd_trigger_iopf(self->idev_id, 0, 0);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(FLAGS_LAST, rec.flags);
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec.cookie, SUCCESS));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
}

TEST_F(fault_queue, read_rules)
{
	struct iommu_hwpt_pgfault rec[3];
	__u32 nested;
	char *guard;

	attach_nested_iopf(&nested);
	test_cmd_trigger_iopf(self->idev_id, 0, 10);
	test_cmd_trigger_iopf(self->idev_id, 0, 11);

	/* whole records only */
	EXPECT_ERRNO(ESPIPE, read(self->fault_fd, rec, 1));
	EXPECT_ERRNO(ESPIPE, read(self->fault_fd, rec, RECORD - 1));
	EXPECT_ERRNO(ESPIPE, read(self->fault_fd, rec, RECORD + 1));
	/* a first group that does not fit: 0 bytes too */
	EXPECT_ERRNO(EINVAL, read(self->fault_fd, rec, 0));
	EXPECT_EQ(POLLIN | POLLOUT, poll_mask(self->fault_fd));
	/* buffers the kernel cannot write: nothing is lost */
	EXPECT_ERRNO(EFAULT, read(self->fault_fd, null_ptr, RECORD));
	EXPECT_ERRNO(EFAULT,
		     read(self->fault_fd, (void *)(uintptr_t)(1ull << 62),
			  RECORD));
	/* oldest first, as many whole groups as fit */
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, rec, 1));
	EXPECT_EQ(10, rec[0].grpid);
	EXPECT_EQ(1, rec[0].cookie);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, rec, 3));
	EXPECT_EQ(11, rec[0].grpid);
	EXPECT_EQ(2, rec[0].cookie);
	/* empty: 0, whatever the length */
	EXPECT_EQ(0, read_faults(self->fault_fd, rec, 3));
	EXPECT_EQ(0, read(self->fault_fd, rec, 0));
	EXPECT_EQ(POLLOUT, poll_mask(self->fault_fd));

	/* a group whose room faults stays queued; those before it are read */
	guard = mmap(NULL, 2 * PSZ, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, guard);
	ASSERT_EQ(0, mprotect(guard + PSZ, PSZ, PROT_NONE));
	test_cmd_trigger_iopf(self->idev_id, 0, 12);
	test_cmd_trigger_iopf(self->idev_id, 0, 13);
	ASSERT_EQ(RECORD, read(self->fault_fd, guard + PSZ - RECORD,
			       2 * RECORD));
	EXPECT_EQ(12, ((struct iommu_hwpt_pgfault *)(guard + PSZ - RECORD))
			      ->grpid);
	EXPECT_ERRNO(EFAULT, read(self->fault_fd, guard + PSZ, RECORD));
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, rec, 1));
	EXPECT_EQ(13, rec[0].grpid);
	/* the failed reads handed out no cookie */
	EXPECT_EQ(4, rec[0].cookie);
	munmap(guard, 2 * PSZ);

	for (__u32 cookie = 1; cookie <= 4; cookie++)
		EXPECT_EQ(RESPONSE,
			  respond_fault(self->fault_fd, cookie, SUCCESS));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
}

/* readv() reads segment by segment, each its own read. */
TEST_F(fault_queue, vector_reads_and_writes)
{
	struct iommu_hwpt_pgfault a, b;
	struct iommu_hwpt_page_response resp[2] = {
		{ .code = SUCCESS }, { .code = SUCCESS }
	};
	struct iovec iov[2] = { { &a, RECORD }, { &b, RECORD } };
	__u32 nested;

	attach_nested_iopf(&nested);
	test_cmd_trigger_iopf(self->idev_id, 0, 1);
	test_cmd_trigger_iopf(self->idev_id, 0, 2);
	ASSERT_EQ(2 * RECORD, readv(self->fault_fd, iov, 2));
	EXPECT_EQ(1, a.grpid);
	EXPECT_EQ(2, b.grpid);
	iov[0].iov_len = RECORD / 2;
	EXPECT_ERRNO(ESPIPE, readv(self->fault_fd, iov, 2));
	resp[0].cookie = a.cookie;
	resp[1].cookie = b.cookie;
	iov[0] = (struct iovec){ &resp[0], RESPONSE };
	iov[1] = (struct iovec){ &resp[1], RESPONSE };
	ASSERT_EQ(2 * RESPONSE, writev(self->fault_fd, iov, 2));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
}

TEST_F(fault_queue, write_rules)
{
	struct iommu_hwpt_page_response resp[3];
	struct iommu_hwpt_pgfault rec[2];
	__u32 nested;

	attach_nested_iopf(&nested);
	test_cmd_trigger_iopf(self->idev_id, 0, 1);
	test_cmd_trigger_iopf(self->idev_id, 0, 2);
	ASSERT_EQ(2 * RECORD, read_faults(self->fault_fd, rec, 2));

	/* whole responses only */
	EXPECT_ERRNO(ESPIPE, write(self->fault_fd, resp, 1));
	EXPECT_ERRNO(ESPIPE, write(self->fault_fd, resp, RESPONSE + 4));
	EXPECT_EQ(0, write(self->fault_fd, resp, 0));
	EXPECT_ERRNO(EFAULT, write(self->fault_fd, null_ptr, RESPONSE));
	/* the code: SUCCESS or INVALID */
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, rec[0].cookie, 2));
	EXPECT_ERRNO(EINVAL,
		     respond_fault(self->fault_fd, rec[0].cookie, ~0u));
	/* the cookie: one read and not yet answered */
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, 0, SUCCESS));
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, 3, SUCCESS));
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, ~0u, SUCCESS));
	/* a bad one first: nothing answered */
	resp[0] = (struct iommu_hwpt_page_response){ .cookie = 99 };
	resp[1] = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
	EXPECT_ERRNO(EINVAL, write(self->fault_fd, resp, 2 * RESPONSE));
	/* a bad one after a good one: the good one is taken */
	resp[0] = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
	resp[1] = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
	resp[2] = (struct iommu_hwpt_page_response){ .cookie = rec[1].cookie };
	EXPECT_EQ(RESPONSE, write(self->fault_fd, resp, 3 * RESPONSE));
	EXPECT_ERRNO(EINVAL,
		     respond_fault(self->fault_fd, rec[0].cookie, SUCCESS));
	/* a good one before unreadable memory: taken */
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec[1].cookie,
					  INVALID));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
}

/* Cookies are the lowest free numbers from 1, reused once answered. */
TEST_F(fault_queue, cookies)
{
	struct iommu_hwpt_pgfault rec[3];
	__u32 nested;

	attach_nested_iopf(&nested);
	for (__u32 i = 0; i < 3; i++)
		test_cmd_trigger_iopf(self->idev_id, 0, i);
	ASSERT_EQ(3 * RECORD, read_faults(self->fault_fd, rec, 3));
	for (__u32 i = 0; i < 3; i++)
		EXPECT_EQ(i + 1, rec[i].cookie);
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, 2, SUCCESS));
	test_cmd_trigger_iopf(self->idev_id, 0, 7);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, rec, 1));
	EXPECT_EQ(2, rec[0].cookie);
	EXPECT_EQ(7, rec[0].grpid);
	test_cmd_trigger_iopf(self->idev_id, 0, 8);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, rec, 1));
	EXPECT_EQ(4, rec[0].cookie);
	for (__u32 cookie = 1; cookie <= 4; cookie++)
		EXPECT_EQ(RESPONSE,
			  respond_fault(self->fault_fd, cookie, SUCCESS));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
}

/* Many groups in one read, many answers in one write. */
TEST_F(fault_queue, many_groups)
{
	enum { N = 300 };
	struct iommu_hwpt_page_response *resp;
	struct iommu_hwpt_pgfault *rec;
	__u32 nested;

	rec = calloc(N + 1, RECORD);
	resp = calloc(N, RESPONSE);
	ASSERT_NONNULL(rec);
	ASSERT_NONNULL(resp);
	attach_nested_iopf(&nested);
	for (__u32 i = 0; i < N; i++)
		test_cmd_trigger_iopf(self->idev_id, 0, i);
	ASSERT_EQ(N * RECORD, read_faults(self->fault_fd, rec, N + 1));
	for (__u32 i = 0; i < N; i++) {
		EXPECT_EQ(i, rec[i].grpid);
		EXPECT_EQ(i + 1, rec[i].cookie);
		resp[i].cookie = rec[i].cookie;
	}
	ASSERT_EQ(N * RESPONSE, write(self->fault_fd, resp, N * RESPONSE));
	EXPECT_ERRNO(EINVAL, write(self->fault_fd, resp, RESPONSE));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
	free(rec);
	free(resp);
}

/* ---- PASIDs -------------------------------------------------------------- */

/* A PASID's requests go to the PASID's HWPT. */
TEST_F(fault_queue, pasid_requests_go_to_the_pasids_hwpt)
{
	struct iommu_hwpt_pgfault rec;
	__u32 s2, iopf;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_PASID, &s2);
	test_cmd_mock_domain_replace(self->stdev_id, s2);
	test_cmd_hwpt_alloc_iopf(self->idev_id, self->ioas_id, self->fault_id,
				 IOMMU_HWPT_FAULT_ID_VALID |
					 IOMMU_HWPT_ALLOC_PASID,
				 &iopf, IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_cmd_pasid_attach(5, iopf);

	test_cmd_trigger_iopf(self->idev_id, 5, 1);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(FLAGS_PASID_LAST, rec.flags);
	EXPECT_EQ(5, rec.pasid);
	EXPECT_EQ(self->idev_id, rec.dev_id);
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec.cookie, SUCCESS));
	/* another PASID, or the RID: their HWPT has no queue */
	test_cmd_trigger_iopf(self->idev_id, 6, 1);
	test_cmd_trigger_iopf(self->idev_id, 0, 1);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));

	/* the PASID replaced away from the queue's HWPT answers what came
	 * through it, read or not */
	test_cmd_trigger_iopf(self->idev_id, 5, 2);
	test_cmd_trigger_iopf(self->idev_id, 5, 3);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	test_cmd_pasid_replace(5, s2);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, 1, SUCCESS));
	test_cmd_trigger_iopf(self->idev_id, 5, 4);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));

	/* and back; then detach does the same */
	test_cmd_pasid_replace(5, iopf);
	test_cmd_trigger_iopf(self->idev_id, 5, 5);
	test_cmd_trigger_iopf(self->idev_id, 5, 6);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(5, rec.grpid);
	EXPECT_EQ(1, rec.cookie);
	test_cmd_pasid_detach(5);
	EXPECT_EQ(POLLOUT, poll_mask(self->fault_fd));
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, 1, SUCCESS));

	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(iopf);
	test_ioctl_destroy(s2);
}

/* A PASID with no attachment of its own: to a nested HWPT on the RID (the
 * mock's user PASID table), else nowhere. */
TEST_F(fault_queue, unattached_pasid_goes_to_a_nested_rid)
{
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	__u32 nested, s2;

	alloc_nested_iopf(IOMMU_HWPT_ALLOC_PASID, &nested);
	test_cmd_mock_domain_replace(self->stdev_id, nested);
	test_cmd_trigger_iopf(self->idev_id, 7, 1);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(7, rec.pasid);
	EXPECT_EQ(FLAGS_PASID_LAST, rec.flags);
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec.cookie, SUCCESS));

	/* once PASID 7 has a HWPT of its own without a queue: nowhere */
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_PASID, &s2,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_cmd_pasid_attach(7, s2);
	test_cmd_trigger_iopf(self->idev_id, 7, 2);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	/* other PASIDs still go to the RID's */
	test_cmd_trigger_iopf(self->idev_id, 8, 3);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(8, rec.pasid);
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec.cookie, SUCCESS));
	test_cmd_pasid_detach(7);

	/* a paging HWPT with a queue on the RID takes only the RID's */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
	test_cmd_hwpt_alloc_iopf(self->idev_id, self->ioas_id, self->fault_id,
				 IOMMU_HWPT_FAULT_ID_VALID, &nested,
				 IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_cmd_mock_domain_replace(self->stdev_id, nested);
	test_cmd_trigger_iopf(self->idev_id, 9, 4);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	test_cmd_trigger_iopf(self->idev_id, 0, 5);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec.cookie, SUCCESS));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
	test_ioctl_destroy(s2);
}

/* ---- the ends of an attachment ------------------------------------------ */

TEST_F(fault_queue, replace_answers_what_came_through_the_old_hwpt)
{
	struct iommu_hwpt_pgfault rec;
	__u32 a, b;

	attach_nested_iopf(&a);
	alloc_nested_iopf(0, &b);
	test_cmd_trigger_iopf(self->idev_id, 0, 1);
	test_cmd_trigger_iopf(self->idev_id, 0, 2);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	/* the same HWPT again changes nothing */
	test_cmd_mock_domain_replace(self->stdev_id, a);
	EXPECT_EQ(POLLIN | POLLOUT, poll_mask(self->fault_fd));

	/* onto another HWPT of the same queue: still answered */
	test_cmd_mock_domain_replace(self->stdev_id, b);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, 1, SUCCESS));
	/* what comes now goes through b */
	test_cmd_trigger_iopf(self->idev_id, 0, 3);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(3, rec.grpid);
	EXPECT_EQ(1, rec.cookie);
	test_cmd_trigger_iopf(self->idev_id, 0, 4);

	/* onto a HWPT without a queue: answered, and nothing comes */
	test_cmd_mock_domain_replace(self->stdev_id, self->parent_id);
	EXPECT_EQ(POLLOUT, poll_mask(self->fault_fd));
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, 1, SUCCESS));
	test_cmd_trigger_iopf(self->idev_id, 0, 5);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	test_ioctl_destroy(a);
	test_ioctl_destroy(b);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
}

/* Another device's groups in the same queue are not answered. */
TEST_F(fault_queue, replace_leaves_other_devices_groups)
{
	struct iommu_hwpt_pgfault rec[2];
	__u32 nested, stdev2, idev2;

	alloc_nested_iopf(0, &nested);
	test_cmd_mock_domain(nested, &stdev2, NULL, &idev2);
	test_cmd_mock_domain_replace(self->stdev_id, nested);
	test_cmd_trigger_iopf(self->idev_id, 0, 1);
	test_cmd_trigger_iopf(idev2, 0, 2);
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, rec, 2));
	EXPECT_EQ(idev2, rec[0].dev_id);
	EXPECT_EQ(2, rec[0].grpid);
	/* the second device's detach, by its destruction */
	test_cmd_trigger_iopf(idev2, 0, 3);
	test_ioctl_destroy(stdev2);
	EXPECT_EQ(0, read_faults(self->fault_fd, rec, 2));
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, rec[0].cookie,
					   SUCCESS));
	test_ioctl_destroy(nested);
}

/* Closing the queue's fd leaves the object and what it holds. */
TEST_F(fault_queue, closing_the_fd_keeps_the_queue)
{
	__u32 nested;

	attach_nested_iopf(&nested);
	test_cmd_trigger_iopf(self->idev_id, 0, 1);
	EXPECT_EQ(0, close(self->fault_fd));
	self->fault_fd = -1;
	/* still delivered, to nobody */
	test_cmd_trigger_iopf(self->idev_id, 0, 2);
	test_err_destroy(EBUSY, self->fault_id);
	/* the detach answers both; then everything goes */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
	test_ioctl_destroy(self->fault_id);
}

/* The context outlives its iommufd while a queue's fd is open, as the
 * kernel's does; the last close ends it all. */
TEST_F(fault_queue, the_queue_fd_keeps_the_context)
{
	struct iommu_hwpt_pgfault rec;
	__u32 nested;
	int copy;

	attach_nested_iopf(&nested);
	test_cmd_trigger_iopf(self->idev_id, 0, 1);
	test_cmd_trigger_iopf(self->idev_id, 0, 2);
	copy = dup(self->fault_fd);
	ASSERT_LE(0, copy);
	ASSERT_EQ(0, close(self->fd));
	self->fd = iommufd_open(); /* for the teardown */
	ASSERT_NE(-1, self->fd);

	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(1, rec.grpid);
	EXPECT_EQ(RESPONSE, respond_fault(self->fault_fd, rec.cookie, SUCCESS));
	EXPECT_EQ(0, close(self->fault_fd));
	/* the copy is the same file */
	EXPECT_EQ(POLLIN | POLLOUT, poll_mask(copy));
	ASSERT_EQ(RECORD, read_faults(copy, &rec, 1));
	EXPECT_EQ(2, rec.grpid);
	/* a group read and not answered goes with the context */
	self->fault_fd = copy;
}

/* A context closed with groups waiting, read or not. */
TEST_F(fault_queue, context_closes_with_groups_waiting)
{
	struct iommu_hwpt_pgfault rec;
	__u32 nested;

	attach_nested_iopf(&nested);
	for (__u32 i = 0; i < 4; i++)
		test_cmd_trigger_iopf(self->idev_id, i, i);
	ASSERT_EQ(RECORD, read_faults(self->fault_fd, &rec, 1));
	EXPECT_EQ(0, close(self->fault_fd));
	self->fault_fd = -1;
}

/* ---- waiting for a fault: poll, select, epoll ------------------------- */

enum wait_kind { WAIT_POLL, WAIT_SELECT, WAIT_EPOLL };

struct waiter {
	int fault_fd;
	enum wait_kind kind;
	atomic_bool waiting;
	int ready; /* what the wait said: 1 readable, 0 not, -1 error */
	struct iommu_hwpt_pgfault rec;
	ssize_t read, written;
};

static int wait_readable(int fd, enum wait_kind kind, int timeout_ms)
{
	switch (kind) {
	case WAIT_POLL: {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, timeout_ms);

		return n < 0 ? -1 : n == 1 && (pfd.revents & POLLIN);
	}
	case WAIT_SELECT: {
		struct timeval tv = { .tv_sec = timeout_ms / 1000,
				      .tv_usec = (timeout_ms % 1000) * 1000 };
		fd_set set;
		int n;

		FD_ZERO(&set);
		FD_SET(fd, &set);
		n = select(fd + 1, &set, NULL, NULL, &tv);
		return n < 0 ? -1 : n == 1 && FD_ISSET(fd, &set);
	}
	case WAIT_EPOLL: {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
		int ep = epoll_create1(EPOLL_CLOEXEC), n;

		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			return -1;
		n = epoll_wait(ep, &ev, 1, timeout_ms);
		close(ep);
		return n < 0 ? -1 : n == 1 && (ev.events & EPOLLIN);
	}
	}
	return -1;
}

/* Waits for the queue, then reads a record and answers it. */
static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->waiting, true);
	w->ready = wait_readable(w->fault_fd, w->kind, 10000);
	w->read = read_faults(w->fault_fd, &w->rec, 1);
	if (w->read == (ssize_t)RECORD)
		w->written = respond_fault(w->fault_fd, w->rec.cookie, SUCCESS);
	return NULL;
}

/* A thread waits on the queue of a device on a nested HWPT with a queue;
 * a fault raised meanwhile wakes it, and it reads and answers. */
static void round_trip_with_a_waiter(struct __test_metadata *_metadata,
				     FIXTURE_DATA(fault_queue) *self,
				     enum wait_kind kind)
{
	struct waiter w = { .fault_fd = self->fault_fd, .kind = kind };
	pthread_t thread;
	__u32 nested;

	attach_nested_iopf(&nested);
	/* nothing to wait for yet */
	ASSERT_EQ(0, wait_readable(self->fault_fd, kind, 0));
	ASSERT_EQ(0, pthread_create(&thread, NULL, waiter_thread, &w));
	while (!atomic_load(&w.waiting))
		usleep(1000);
	/* let it fall asleep in the wait (correct either way) */
	usleep(20000);
	ASSERT_EQ(0, _test_cmd_trigger_iopf(self->fd, self->idev_id, 3, 4,
					    IOPF_PERM, IOPF_ADDR));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(1, w.ready);
	ASSERT_EQ(RECORD, w.read);
	EXPECT_EQ(3, w.rec.pasid);
	EXPECT_EQ(4, w.rec.grpid);
	EXPECT_EQ(self->idev_id, w.rec.dev_id);
	EXPECT_EQ(RESPONSE, w.written);
	/* read empty again */
	EXPECT_EQ(0, wait_readable(self->fault_fd, kind, 0));
	EXPECT_ERRNO(EINVAL, respond_fault(self->fault_fd, w.rec.cookie,
					   SUCCESS));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
}

TEST_F(fault_queue, poll_wakes_a_waiting_thread)
{
	round_trip_with_a_waiter(_metadata, self, WAIT_POLL);
}

TEST_F(fault_queue, select_wakes_a_waiting_thread)
{
	round_trip_with_a_waiter(_metadata, self, WAIT_SELECT);
}

TEST_F(fault_queue, epoll_wakes_a_waiting_thread)
{
	round_trip_with_a_waiter(_metadata, self, WAIT_EPOLL);
}

/* A dup of the fd, and readiness that follows reads and detaches. */
TEST_F(fault_queue, readiness_follows_the_queue)
{
	struct iommu_hwpt_pgfault rec;
	__u32 nested;
	int copy = dup(self->fault_fd);

	ASSERT_LE(0, copy);
	attach_nested_iopf(&nested);
	test_cmd_trigger_iopf(self->idev_id, 0, 1);
	test_cmd_trigger_iopf(self->idev_id, 0, 2);
	EXPECT_EQ(POLLIN | POLLOUT, poll_mask(copy));
	ASSERT_EQ(RECORD, read_faults(copy, &rec, 1));
	/* one left */
	EXPECT_EQ(POLLIN | POLLOUT, poll_mask(self->fault_fd));
	/* answered by the detach: not readable any more */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	EXPECT_EQ(POLLOUT, poll_mask(self->fault_fd));
	EXPECT_EQ(POLLOUT, poll_mask(copy));
	EXPECT_EQ(0, close(copy));
	test_ioctl_destroy(nested);
}

/* ---- many threads at once ------------------------------------------------ */

#define TRIGGERS_PER_THREAD 300

struct storm {
	int fd, fault_fd;
	__u32 idev_id;
	atomic_int failures;
	atomic_int answered;
};

static void *trigger_thread(void *arg)
{
	struct storm *s = arg;

	for (int i = 0; i < TRIGGERS_PER_THREAD; i++)
		if (_test_cmd_trigger_iopf(s->fd, s->idev_id, 0, (__u32)i,
					   IOPF_PERM, IOPF_ADDR))
			atomic_fetch_add(&s->failures, 1);
	return NULL;
}

static void *answer_thread(void *arg)
{
	struct storm *s = arg;
	struct iommu_hwpt_pgfault rec[16];

	while (atomic_load(&s->answered) < 2 * TRIGGERS_PER_THREAD) {
		ssize_t n;

		if (wait_readable(s->fault_fd, WAIT_POLL, 10000) != 1) {
			atomic_fetch_add(&s->failures, 1);
			return NULL;
		}
		n = read_faults(s->fault_fd, rec, 16);
		if (n < 0 || n % RECORD) {
			atomic_fetch_add(&s->failures, 1);
			return NULL;
		}
		for (ssize_t i = 0; i < n / (ssize_t)RECORD; i++) {
			if (respond_fault(s->fault_fd, rec[i].cookie,
					  SUCCESS) != RESPONSE)
				atomic_fetch_add(&s->failures, 1);
			atomic_fetch_add(&s->answered, 1);
		}
	}
	return NULL;
}

TEST_F(fault_queue, concurrent_requests_and_answers)
{
	struct storm s = { .fd = self->fd, .fault_fd = self->fault_fd,
			   .idev_id = self->idev_id };
	pthread_t t[3];
	__u32 nested;

	attach_nested_iopf(&nested);
	ASSERT_EQ(0, pthread_create(&t[0], NULL, answer_thread, &s));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, trigger_thread, &s));
	ASSERT_EQ(0, pthread_create(&t[2], NULL, trigger_thread, &s));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	EXPECT_EQ(0, atomic_load(&s.failures));
	EXPECT_EQ(2 * TRIGGERS_PER_THREAD, atomic_load(&s.answered));
	EXPECT_EQ(POLLOUT, poll_mask(self->fault_fd));
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(nested);
}

/* Replaces racing with requests and reads: a group is answered by the
 * reader or by the replace that moved its attachment, and nothing else
 * goes wrong. */
struct churn {
	struct storm s;
	int fd;
	__u32 stdev_id, hwpt[3];
	atomic_bool stop;
};

static void *replace_thread(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < 3 * TRIGGERS_PER_THREAD; i++)
		if (_test_cmd_mock_domain_replace(c->fd, c->stdev_id,
						  c->hwpt[i % 3], NULL))
			atomic_fetch_add(&c->s.failures, 1);
	atomic_store(&c->stop, true);
	return NULL;
}

static void *churn_reader(void *arg)
{
	struct churn *c = arg;
	struct iommu_hwpt_pgfault rec[8];

	while (!atomic_load(&c->stop)) {
		ssize_t n = read_faults(c->s.fault_fd, rec, 8);

		if (n < 0 || n % RECORD) {
			atomic_fetch_add(&c->s.failures, 1);
			return NULL;
		}
		/* a replace may have answered it meanwhile: EINVAL */
		for (ssize_t i = 0; i < n / (ssize_t)RECORD; i++)
			if (respond_fault(c->s.fault_fd, rec[i].cookie,
					  SUCCESS) != RESPONSE &&
			    errno != EINVAL)
				atomic_fetch_add(&c->s.failures, 1);
	}
	return NULL;
}

TEST_F(fault_queue, replaces_racing_with_requests)
{
	struct churn c = {
		.s = { .fd = self->fd, .fault_fd = self->fault_fd,
		       .idev_id = self->idev_id },
		.fd = self->fd,
		.stdev_id = self->stdev_id,
	};
	struct iommu_hwpt_pgfault rec;
	pthread_t t[3];

	attach_nested_iopf(&c.hwpt[0]);
	alloc_nested_iopf(0, &c.hwpt[1]);
	c.hwpt[2] = self->parent_id;
	ASSERT_EQ(0, pthread_create(&t[0], NULL, replace_thread, &c));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, trigger_thread, &c.s));
	ASSERT_EQ(0, pthread_create(&t[2], NULL, churn_reader, &c));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	EXPECT_EQ(0, atomic_load(&c.s.failures));
	/* the last move answers whatever is left */
	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	EXPECT_EQ(0, read_faults(self->fault_fd, &rec, 1));
	for (__u32 cookie = 1; cookie < 64; cookie++)
		EXPECT_ERRNO(EINVAL,
			     respond_fault(self->fault_fd, cookie, SUCCESS));
	test_ioctl_destroy(c.hwpt[0]);
	test_ioctl_destroy(c.hwpt[1]);
}

TEST_HARNESS_MAIN
