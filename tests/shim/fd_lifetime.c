// SPDX-License-Identifier: MIT
/*
 * An emulated fd's life: copies made by dup(), dup2(), dup3() and
 * fcntl(F_DUPFD*) name the same context; the context outlives every copy
 * but the last; a closed fd is EBADF; copies onto high numbers; close_range.
 */
#include "shim_utils.h"

FIXTURE(iommufd)
{
	int fd;
};

FIXTURE_SETUP(iommufd)
{
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(iommufd)
{
	ASSERT_EQ(0, close(self->fd));
}

TEST_F(iommufd, dup_shares_the_context)
{
	int d = dup(self->fd);

	ASSERT_LE(0, d);
	ASSERT_NE(self->fd, d);
	ASSERT_TRUE(share_context(self->fd, d));
	ASSERT_TRUE(share_context(d, self->fd));
	/* dup() never sets close-on-exec */
	ASSERT_EQ(0, fcntl(d, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, close(d));
}

TEST_F(iommufd, closing_a_copy_keeps_the_context)
{
	__u32 id;
	int d = dup(self->fd);
	int d2;

	ASSERT_LE(0, d);
	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	d2 = dup(d);
	ASSERT_LE(0, d2);
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(0, close(self->fd));
	/* the last copy still holds the context and its IOAS */
	ASSERT_EQ(0, ioas_destroy(d2, id));
	ASSERT_ERRNO(ENOENT, ioas_destroy(d2, id));
	/* the fixture's fd number is reused for its teardown */
	ASSERT_EQ(self->fd, dup2(d2, self->fd));
	ASSERT_EQ(0, close(d2));
	ASSERT_TRUE(is_iommufd(self->fd));
}

TEST_F(iommufd, dup2_onto_another_file)
{
	int p[2];
	char c;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(p[1], dup2(self->fd, p[1]));
	ASSERT_TRUE(share_context(self->fd, p[1]));
	/* the pipe's write end was closed by dup2 */
	ASSERT_EQ(0, read(p[0], &c, 1));
	ASSERT_EQ(0, close(p[1]));
	ASSERT_EQ(0, close(p[0]));
}

TEST_F(iommufd, dup2_onto_another_iommufd)
{
	int other = open("/dev/iommu", O_RDWR);
	__u32 id;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioas_alloc(other, &id));
	ASSERT_ERRNO(ENOENT, ioas_destroy(self->fd, id));
	/* other's entry goes, and with its last fd, its context */
	ASSERT_EQ(other, dup2(self->fd, other));
	ASSERT_ERRNO(ENOENT, ioas_destroy(other, id));
	ASSERT_TRUE(share_context(self->fd, other));
	ASSERT_TRUE(share_context(other, self->fd));
	ASSERT_EQ(0, close(other));
}

TEST_F(iommufd, dup2_of_another_file_onto_it)
{
	int p[2], d = dup(self->fd), n = -1;

	ASSERT_LE(0, d);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(d, dup2(p[0], d));
	/* d is the pipe now, the context lives on in self->fd */
	ASSERT_ERRNO(ENOTTY, ioas_destroy(d, 1));
	ASSERT_EQ(0, ioctl(d, FIONREAD, &n));
	ASSERT_EQ(0, n);
	ASSERT_TRUE(is_iommufd(self->fd));
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(0, close(p[1]));
}

TEST_F(iommufd, dup2_onto_itself)
{
	ASSERT_EQ(self->fd, dup2(self->fd, self->fd));
	ASSERT_TRUE(is_iommufd(self->fd));
	ASSERT_ERRNO(EINVAL, dup3(self->fd, self->fd, 0));
	ASSERT_TRUE(is_iommufd(self->fd));
}

TEST_F(iommufd, dup3_shares_and_sets_cloexec)
{
	int target = dup(0);
	int d;

	ASSERT_LE(0, target);
	d = dup3(self->fd, target, O_CLOEXEC);
	ASSERT_EQ(target, d);
	ASSERT_EQ(FD_CLOEXEC, fcntl(d, F_GETFD) & FD_CLOEXEC);
	ASSERT_TRUE(share_context(d, self->fd));
	ASSERT_EQ(d, dup3(self->fd, d, 0));
	ASSERT_EQ(0, fcntl(d, F_GETFD) & FD_CLOEXEC);
	ASSERT_TRUE(share_context(self->fd, d));
	ASSERT_ERRNO(EINVAL, dup3(self->fd, d, O_NONBLOCK));
	ASSERT_TRUE(share_context(self->fd, d));
	ASSERT_EQ(0, close(d));
}

TEST_F(iommufd, fcntl_dupfd_shares)
{
	int d = fcntl(self->fd, F_DUPFD, 100);
	int c = fcntl(self->fd, F_DUPFD_CLOEXEC, 200);
	int e = fcntl64(self->fd, F_DUPFD_CLOEXEC, 0);

	ASSERT_LE(100, d);
	ASSERT_LE(200, c);
	ASSERT_LE(0, e);
	ASSERT_EQ(0, fcntl(d, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(FD_CLOEXEC, fcntl(c, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(FD_CLOEXEC, fcntl64(e, F_GETFD) & FD_CLOEXEC);
	ASSERT_TRUE(share_context(self->fd, d));
	ASSERT_TRUE(share_context(d, c));
	ASSERT_TRUE(share_context(c, e));
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, close(e));
	ASSERT_TRUE(is_iommufd(self->fd));
}

TEST_F(iommufd, closed_fd_is_ebadf)
{
	int d = dup(self->fd);
	__u32 id;

	ASSERT_LE(0, d);
	ASSERT_EQ(0, close(d));
	ASSERT_ERRNO(EBADF, ioas_alloc(d, &id));
	ASSERT_ERRNO(EBADF, close(d));
	ASSERT_ERRNO(EBADF, dup(d));
	ASSERT_ERRNO(EBADF, fcntl(d, F_DUPFD, 0));
	ASSERT_TRUE(is_iommufd(self->fd));
}

TEST_F(iommufd, unknown_ioctl_is_enotty)
{
	int n;

	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0xff), &n));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO('x', 0x80), &n));
	/* FIONREAD is the driver's to answer for a character device */
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, FIONREAD, &n));
}

TEST_F(iommufd, vfs_ioctls_act_on_the_file)
{
	int on = 1, off = 0;

	ASSERT_EQ(0, ioctl(self->fd, FIOCLEX));
	ASSERT_EQ(FD_CLOEXEC, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, ioctl(self->fd, FIONCLEX));
	ASSERT_EQ(0, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, ioctl(self->fd, FIONBIO, &on));
	ASSERT_EQ(O_NONBLOCK, fcntl(self->fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, ioctl(self->fd, FIONBIO, &off));
	ASSERT_EQ(0, fcntl(self->fd, F_GETFL) & O_NONBLOCK);
	ASSERT_TRUE(is_iommufd(self->fd));
}

/* dup2 onto an fd number far beyond any the program has opened. */
static void dup2_high(struct __test_metadata *_metadata, int fd, int high)
{
	__u32 id;

	ASSERT_EQ(high, dup2(fd, high));
	ASSERT_EQ(0, ioas_alloc(high, &id));
	ASSERT_EQ(0, ioas_destroy(fd, id));
	ASSERT_TRUE(share_context(fd, high));
	ASSERT_EQ(0, close(high));
	ASSERT_ERRNO(EBADF, ioas_alloc(high, &id));
	ASSERT_TRUE(is_iommufd(fd));
}

TEST_F(iommufd, dup2_onto_a_high_number)
{
	rlim_t limit = raise_fd_limit();

	if (limit <= 1024)
		SKIP(return, "RLIMIT_NOFILE is %llu",
		     (unsigned long long)limit);
	dup2_high(_metadata, self->fd, limit > 50000 ? 50000 : (int)limit - 1);
	dup2_high(_metadata, self->fd, (int)(limit - 1));
	dup2_high(_metadata, self->fd, 1025);
}

TEST_F(iommufd, close_range_drops_the_entries)
{
	int a = fcntl(self->fd, F_DUPFD, 300);
	int b = fcntl(self->fd, F_DUPFD, 400);
	__u32 id;

	ASSERT_LE(300, a);
	ASSERT_LE(400, b);
	/* CLOEXEC only marks */
	ASSERT_EQ(0, close_range(a, a, CLOSE_RANGE_CLOEXEC));
	ASSERT_EQ(FD_CLOEXEC, fcntl(a, F_GETFD) & FD_CLOEXEC);
	ASSERT_TRUE(share_context(a, self->fd));
	ASSERT_EQ(0, close_range(a, b - 1, 0));
	ASSERT_ERRNO(EBADF, ioas_alloc(a, &id));
	ASSERT_TRUE(share_context(b, self->fd));
	/* a new file on a's number is not an iommufd */
	ASSERT_EQ(a, dup2(0, a));
	ASSERT_FALSE(is_iommufd(a));
	ASSERT_EQ(0, close(a));
	closefrom(b);
	ASSERT_ERRNO(EBADF, ioas_alloc(b, &id));
	ASSERT_TRUE(is_iommufd(self->fd));
}

TEST_HARNESS_MAIN
