// SPDX-License-Identifier: MIT
/*
 * Emulated files beyond open/ioctl/close: read and write answer as the
 * kernel's VFS does for a driver without those methods, and lseek as for
 * one without llseek; the VFIO nodes;
 * descriptors closed behind the shim's back; a vfork() child; reopening
 * through /proc/self/fd.
 */
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "shim_utils.h"

/* Values the compiler cannot see, so that bad arguments reach the call. */
static void *volatile null_ptr;
static volatile int minus_one = -1;

/* From <linux/vfio.h>. */
#define VFIO_GET_API_VERSION _IO(';', 100)

static __u64 rlimit_mode(int fd)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};

	if (ioctl(fd, IOMMU_OPTION, &cmd))
		return ~0ull;
	return cmd.val64;
}

/* Whether fd is taken for an iommufd: an IOAS can be made through it. */
static bool routed_to_iommufd(int fd)
{
	__u32 id;

	return ioas_alloc(fd, &id) == 0;
}

FIXTURE(iommufd)
{
	int fd;
	char buf[16];
};

FIXTURE_SETUP(iommufd)
{
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(iommufd)
{
	close(self->fd);
}

/* iommufd has neither read nor write: EINVAL, before the buffer is
 * looked at. */
TEST_F(iommufd, read_and_write_are_einval)
{
	struct iovec iov = { .iov_base = self->buf, .iov_len = 1 };

	ASSERT_ERRNO(EINVAL, read(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_ERRNO(EINVAL, read(self->fd, null_ptr, 8));
	ASSERT_ERRNO(EINVAL, write(self->fd, self->buf, 1));
	ASSERT_ERRNO(EINVAL, pread(self->fd, self->buf, 1, 0));
	ASSERT_ERRNO(EINVAL, pwrite(self->fd, self->buf, 1, 0));
	ASSERT_ERRNO(EINVAL, readv(self->fd, &iov, 1));
	ASSERT_ERRNO(EINVAL, writev(self->fd, &iov, 1));
	/* checked before the iovec array itself */
	ASSERT_ERRNO(EINVAL, readv(self->fd, null_ptr, 1));
	ASSERT_ERRNO(EINVAL, writev(self->fd, &iov, minus_one));
	/* a negative offset is refused before the file is looked at */
	ASSERT_ERRNO(EINVAL, pread(self->fd, self->buf, 1, -1));
	ASSERT_ERRNO(EINVAL, pwrite(-1, self->buf, 1, -1));
	/* the context is untouched */
	ASSERT_TRUE(is_iommufd(self->fd));
}

/* What _FORTIFY_SOURCE builds call for read() and pread(). */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t pos,
		      size_t buflen);

TEST_F(iommufd, vector_and_fortified_reads)
{
	struct iovec iov = { .iov_base = self->buf, .iov_len = 1 };
	int p[2];

	ASSERT_ERRNO(EINVAL, preadv(self->fd, &iov, 1, 0));
	ASSERT_ERRNO(EINVAL, pwritev(self->fd, &iov, 1, 0));
	ASSERT_ERRNO(EINVAL, preadv(self->fd, &iov, 1, -1));
	ASSERT_ERRNO(EINVAL, __read_chk(self->fd, self->buf, 1,
					sizeof(self->buf)));
	ASSERT_ERRNO(EINVAL, __pread64_chk(self->fd, self->buf, 1, 0,
					   sizeof(self->buf)));
	/* other descriptors as before */
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(1, __read_chk(p[0], self->buf, 1, sizeof(self->buf)));
	ASSERT_EQ('x', self->buf[0]);
	ASSERT_ERRNO(ESPIPE, preadv(p[0], &iov, 1, 0));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(0, close(p[1]));
}

/* No position to move: the kernel's answer for a file without llseek,
 * after its check of whence. Other descriptors seek as before. */
TEST_F(iommufd, lseek_is_espipe)
{
	int fd = open("/dev/null", O_RDONLY);

	ASSERT_ERRNO(ESPIPE, lseek(self->fd, 0, SEEK_SET));
	ASSERT_ERRNO(ESPIPE, lseek(self->fd, 10, SEEK_CUR));
	ASSERT_ERRNO(ESPIPE, lseek64(self->fd, 0, SEEK_END));
	ASSERT_ERRNO(EINVAL, lseek(self->fd, 0, SEEK_HOLE + 1));
	ASSERT_ERRNO(EINVAL, lseek(self->fd, 0, minus_one));
	ASSERT_ERRNO(EBADF, lseek(-1, 0, SEEK_SET));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(0, close(fd));
	ASSERT_TRUE(is_iommufd(self->fd));
}

/* The access mode is checked first: EBADF. */
TEST(access_mode_is_checked_first)
{
	char c = 0;
	int ro = open("/dev/iommu", O_RDONLY);
	int wo = open("/dev/iommu", O_WRONLY);

	ASSERT_LE(0, ro);
	ASSERT_LE(0, wo);
	ASSERT_ERRNO(EBADF, write(ro, &c, 1));
	ASSERT_ERRNO(EBADF, pwrite(ro, &c, 1, 0));
	ASSERT_ERRNO(EINVAL, read(ro, &c, 1));
	ASSERT_ERRNO(EBADF, read(wo, &c, 1));
	ASSERT_ERRNO(EBADF, readv(wo, null_ptr, 1));
	ASSERT_ERRNO(EINVAL, write(wo, &c, 1));
	ASSERT_EQ(0, close(ro));
	ASSERT_EQ(0, close(wo));
}

TEST(other_descriptors_read_and_write_as_before)
{
	int p[2];
	char out[4] = "abc", in[4] = { 0 };
	struct iovec iov = { .iov_base = in, .iov_len = sizeof(in) };

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(4, write(p[1], out, sizeof(out)));
	ASSERT_EQ(4, readv(p[0], &iov, 1));
	ASSERT_EQ(0, memcmp(in, out, sizeof(in)));
	ASSERT_ERRNO(ESPIPE, pread(p[0], in, 1, 0));
	ASSERT_ERRNO(EBADF, read(-1, in, 1));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(0, close(p[1]));
}

/* The kernel's iommufd also serves /dev/vfio/vfio, charging pins per
 * process as VFIO does. */
TEST(vfio_container_is_an_iommufd)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	int iommufd = open("/dev/iommu", O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, iommufd);
	ASSERT_TRUE(is_iommufd(fd));
	ASSERT_EQ(0, ioctl(fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, rlimit_mode(fd));
	ASSERT_EQ(0, rlimit_mode(iommufd));
	ASSERT_FALSE(share_context(fd, iommufd));
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_ERRNO(ENOTDIR, open("/dev/vfio/vfio", O_RDWR | O_DIRECTORY));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, close(iommufd));
}

/* No device is configured: no VFIO cdev exists, whatever the host has. */
TEST(vfio_device_cdev_absent_without_devices)
{
	ASSERT_ERRNO(ENOENT, open("/dev/vfio/devices/vfio0", O_RDWR));
	ASSERT_ERRNO(ENOENT, open("/dev/vfio/devices/vfio7", O_RDWR));
}

/* A vfork() child has descriptors of its own: its close() and dup2() of
 * the iommufd must leave the parent's working. */
TEST_F(iommufd, vfork_child_close_keeps_parent_context)
{
	int status;
	pid_t pid;

	pid = vfork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(self->fd);
		dup2(0, self->fd);
		close(self->fd);
		closefrom(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_TRUE(is_iommufd(self->fd));
}

/* _Fork() runs no atfork handlers, yet its child has memory of its own:
 * its close() must drop the entry there, so the number's next owner is
 * not taken for an iommufd. */
TEST_F(iommufd, fork_without_handlers_child_closes)
{
	int status;
	pid_t pid;

	pid = _Fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int s;

		close(self->fd);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(s == self->fd && !routed_to_iommufd(s) ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(is_iommufd(self->fd));
}

/* A descriptor closed where the shim cannot see it: the number's next
 * owner is not an iommufd. */
TEST_F(iommufd, closed_behind_back_then_socket)
{
	int s;

	ASSERT_EQ(0, syscall(SYS_close, self->fd));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(self->fd, s);
	ASSERT_FALSE(routed_to_iommufd(s));
}

TEST_F(iommufd, closed_behind_back_then_pipe)
{
	int p[2];

	ASSERT_EQ(0, syscall(SYS_close, self->fd));
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(self->fd, p[0]);
	ASSERT_FALSE(routed_to_iommufd(p[0]));
	ASSERT_EQ(0, close(p[1]));
	self->fd = p[0];
}

TEST_F(iommufd, closed_by_fclose_then_eventfd)
{
	FILE *f = fdopen(self->fd, "r");
	int e;

	ASSERT_NONNULL(f);
	ASSERT_EQ(0, fclose(f));
	e = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(self->fd, e);
	ASSERT_FALSE(routed_to_iommufd(e));
}

TEST_F(iommufd, closed_behind_back_then_fopen)
{
	FILE *f;

	ASSERT_EQ(0, syscall(SYS_close, self->fd));
	f = fopen("/dev/null", "r");
	ASSERT_NONNULL(f);
	ASSERT_EQ(self->fd, fileno(f));
	ASSERT_FALSE(routed_to_iommufd(fileno(f)));
	ASSERT_EQ(0, fclose(f));
	self->fd = -1;
}

/* Opening /proc/self/fd/N of an iommufd opens the device node again: a
 * new iommufd with its own context. */
TEST_F(iommufd, reopen_through_proc_is_a_new_context)
{
	char path[64];
	int fd2, fd3;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	fd2 = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_TRUE(is_iommufd(fd2));
	ASSERT_FALSE(share_context(self->fd, fd2));
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd2, F_GETFD) & FD_CLOEXEC);

	snprintf(path, sizeof(path), "/dev/fd/%d", self->fd);
	fd3 = open(path, O_RDWR);
	ASSERT_LE(0, fd3);
	ASSERT_TRUE(is_iommufd(fd3));
	ASSERT_FALSE(share_context(fd2, fd3));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, close(fd3));
	ASSERT_TRUE(is_iommufd(self->fd));
}

/* The vfio container node reopens as itself. */
TEST(reopen_of_vfio_container)
{
	char path[64];
	int fd = open("/dev/vfio/vfio", O_RDWR);
	int fd2;

	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(1, rlimit_mode(fd2));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, close(fd));
}

/* poll() needs no wrapper: the placeholder reports what the kernel's
 * iommufd does, the default mask. */
TEST_F(iommufd, poll_reports_the_default_mask)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };

	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLIN | POLLOUT, pfd.revents);
}

TEST_HARNESS_MAIN
