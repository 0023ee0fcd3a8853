// SPDX-License-Identifier: MIT
/*
 * The library's private descriptors: each fault queue keeps a duplicate of
 * its eventfd, placed high (512 and up) and close-on-exec, through which a
 * queued fault makes the program's descriptor readable. The program did
 * not open it, so its closing calls leave it alone: close() of the number
 * is EBADF as for a number that is not open; close_range() and closefrom()
 * close everything else of the range; dup2() and dup3() onto it get the
 * number (the duplicate moves elsewhere). After each, a fault still wakes
 * poll() on the queue's descriptor.
 *
 * The duplicate is found as the descriptor that kcmp() says shares the
 * queue descriptor's open file.
 */
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <iommusim/uapi/iommufd_test.h>

#include "shim_utils.h"

/* From <linux/kcmp.h>. */
#define KCMP_FILE 0

FIXTURE(queue)
{
	int fd, fault_fd, private_fd;
	__u32 idev_id;
};

static int kcmp_files(int a, int b)
{
	pid_t pid = getpid();

	return (int)syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b);
}

/* The other descriptor on fd's open file, or -1 (-2: kcmp refused). */
static int private_fd_of(int fd)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	int found = -1;

	if (!dir)
		return -2;
	while ((ent = readdir(dir))) {
		int n = atoi(ent->d_name);
		int cmp;

		if (ent->d_name[0] < '0' || ent->d_name[0] > '9' || n == fd ||
		    n == dirfd(dir))
			continue;
		cmp = kcmp_files(fd, n);
		if (cmp < 0 && errno != EBADF) {
			found = -2;
			break;
		}
		if (cmp == 0)
			found = n;
	}
	closedir(dir);
	return found;
}

/* How many descriptors are open from first up. */
static int open_from(int first)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	int count = 0;

	if (!dir)
		return -1;
	while ((ent = readdir(dir)))
		if (ent->d_name[0] >= '0' && ent->d_name[0] <= '9' &&
		    atoi(ent->d_name) >= first && atoi(ent->d_name) != dirfd(dir))
			count++;
	closedir(dir);
	return count;
}

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

/* A mock device on a nested HWPT whose requests go to a new queue. */
static int setup_queue(int fd, int *fault_fd, __u32 *idev_id)
{
	struct iommu_test_cmd mock = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
	};
	struct iommu_test_cmd replace = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE
	};
	__u32 ioas;

	if (ioas_alloc(fd, &ioas))
		return -1;
	mock.id = ioas;
	if (test_cmd(fd, &mock) ||
	    ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fault))
		return -1;
	hwpt.dev_id = mock.mock_domain.out_idev_id;
	hwpt.pt_id = ioas;
	if (ioctl(fd, IOMMU_HWPT_ALLOC, &hwpt))
		return -1;
	hwpt.flags = IOMMU_HWPT_FAULT_ID_VALID;
	hwpt.pt_id = hwpt.out_hwpt_id;
	hwpt.fault_id = fault.out_fault_id;
	hwpt.data_type = IOMMU_HWPT_DATA_SELFTEST;
	hwpt.data_len = sizeof(data);
	hwpt.data_uptr = (uintptr_t)&data;
	if (ioctl(fd, IOMMU_HWPT_ALLOC, &hwpt))
		return -1;
	replace.id = mock.mock_domain.out_stdev_id;
	replace.mock_domain_replace.pt_id = hwpt.out_hwpt_id;
	if (test_cmd(fd, &replace))
		return -1;
	*fault_fd = (int)fault.out_fault_fd;
	*idev_id = mock.mock_domain.out_idev_id;
	return 0;
}

/*
 * Whether a page request raised now wakes poll() on fault_fd within
 * timeout_ms; the record is read and answered either way.
 */
static bool a_fault_wakes(int fd, int fault_fd, __u32 idev_id, int timeout_ms)
{
	struct iommu_test_cmd trigger = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = idev_id, .grpid = 1 },
	};
	struct pollfd pfd = { .fd = fault_fd, .events = POLLIN };
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_page_response resp = { 0 };
	bool woke;

	if (test_cmd(fd, &trigger))
		return false;
	woke = poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
	if (read(fault_fd, &rec, sizeof(rec)) != sizeof(rec))
		return false;
	resp.cookie = rec.cookie;
	if (write(fault_fd, &resp, sizeof(resp)) != sizeof(resp))
		return false;
	/* and it is not readable any more */
	return woke && poll(&pfd, 1, 0) == 0;
}

#define ASSERT_WAKES()                                                         \
	ASSERT_TRUE(a_fault_wakes(self->fd, self->fault_fd, self->idev_id,     \
				  5000))

FIXTURE_SETUP(queue)
{
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, setup_queue(self->fd, &self->fault_fd, &self->idev_id));
	self->private_fd = private_fd_of(self->fault_fd);
	if (self->private_fd == -2)
		SKIP(return, "kcmp() is not available");
	ASSERT_LE(3, self->private_fd);
	ASSERT_WAKES();
}

FIXTURE_TEARDOWN(queue)
{
	close(self->fault_fd);
	close(self->fd);
}

TEST_F(queue, the_duplicate_is_high_and_close_on_exec)
{
	if (raise_fd_limit() > 512)
		EXPECT_LE(512, self->private_fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->private_fd, F_GETFD) & FD_CLOEXEC);
	/* not one of ours to the program: no ioctl reaches the context */
	EXPECT_FALSE(is_iommufd(self->private_fd));
}

TEST_F(queue, close_of_the_duplicate_is_ebadf)
{
	ASSERT_ERRNO(EBADF, close(self->private_fd));
	ASSERT_LE(0, fcntl(self->private_fd, F_GETFD));
	ASSERT_WAKES();
	/* numbers that are not open are EBADF as ever */
	ASSERT_ERRNO(EBADF, close(self->private_fd + 1));
}

/* Descriptors of the program around the duplicate: below, above. */
static void open_around(int private_fd, int fds[3])
{
	int p[2];

	if (pipe(p))
		fds[0] = fds[1] = fds[2] = -1;
	fds[0] = p[0];
	fds[1] = dup2(p[1], private_fd - 1);
	fds[2] = dup2(p[1], private_fd + 7);
	close(p[1]);
}

static void assert_closed(struct __test_metadata *_metadata, int fds[3])
{
	for (int i = 0; i < 3; i++) {
		ASSERT_LE(0, fds[i]);
		ASSERT_ERRNO(EBADF, fcntl(fds[i], F_GETFD));
	}
}

TEST_F(queue, closefrom_leaves_the_duplicate)
{
	int fds[3];

	open_around(self->private_fd, fds);
	closefrom(self->fault_fd + 1);
	assert_closed(_metadata, fds);
	ASSERT_LE(0, fcntl(self->private_fd, F_GETFD));
	ASSERT_WAKES();
	ASSERT_EQ(0, open_from(self->private_fd + 1));
}

TEST_F(queue, close_range_leaves_the_duplicate)
{
	int fds[3];

	open_around(self->private_fd, fds);
	ASSERT_EQ(0, close_range(self->fault_fd + 1, ~0u, 0));
	assert_closed(_metadata, fds);
	ASSERT_WAKES();

	/* the duplicate alone */
	ASSERT_EQ(0, close_range(self->private_fd, self->private_fd, 0));
	ASSERT_WAKES();
	/* unsharing as it closes */
	open_around(self->private_fd, fds);
	ASSERT_EQ(0, close_range(self->fault_fd + 1, ~0u,
				 CLOSE_RANGE_UNSHARE));
	assert_closed(_metadata, fds);
	ASSERT_EQ(0, close_range(self->private_fd, self->private_fd,
				 CLOSE_RANGE_UNSHARE));
	ASSERT_WAKES();
	/* only marking */
	ASSERT_EQ(0, close_range(self->fault_fd + 1, ~0u,
				 CLOSE_RANGE_CLOEXEC));
	ASSERT_WAKES();
	/* the kernel's refusals are unchanged */
	ASSERT_ERRNO(EINVAL, close_range(self->private_fd,
					 self->private_fd - 1, 0));
	ASSERT_ERRNO(EINVAL, close_range(self->fault_fd + 1, ~0u, 1 << 7));
	ASSERT_WAKES();
}

TEST_F(queue, dup2_onto_the_duplicate_moves_it)
{
	struct stat st;
	int p[2], moved;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(self->private_fd, dup2(p[0], self->private_fd));
	ASSERT_EQ(0, fstat(self->private_fd, &st));
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	moved = private_fd_of(self->fault_fd);
	ASSERT_LE(3, moved);
	ASSERT_NE(self->private_fd, moved);
	ASSERT_WAKES();
	/* the program's descriptor is its own to close */
	ASSERT_EQ(0, close(self->private_fd));

	ASSERT_EQ(moved, dup3(p[1], moved, O_CLOEXEC));
	ASSERT_EQ(0, fstat(moved, &st));
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_NE(moved, private_fd_of(self->fault_fd));
	ASSERT_WAKES();
	ASSERT_EQ(0, close(moved));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(0, close(p[1]));
}

/* Closing everything closes the queue too, and the library then closes
 * its duplicate: nothing is left open. */
TEST_F(queue, closefrom_3_leaves_nothing)
{
	int fd, fault_fd;
	__u32 idev_id;

	closefrom(3);
	ASSERT_EQ(0, open_from(3));
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, setup_queue(self->fd, &self->fault_fd, &self->idev_id));
	ASSERT_WAKES();
	ASSERT_EQ(0, close_range(3, ~0u, 0));
	ASSERT_EQ(0, open_from(3));
	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setup_queue(fd, &fault_fd, &idev_id));
	ASSERT_TRUE(a_fault_wakes(fd, fault_fd, idev_id, 5000));
	self->fd = fd;
	self->fault_fd = fault_fd;
}

/* A child made by fork() has its copy of the queue and of the duplicate,
 * which its closefrom() leaves too. */
TEST_F(queue, forked_child_keeps_its_copy)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		closefrom(self->fault_fd + 1);
		_exit(a_fault_wakes(self->fd, self->fault_fd, self->idev_id,
				    5000) ?
			      0 :
			      1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_WAKES();
}

TEST_HARNESS_MAIN
