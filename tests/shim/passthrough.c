// SPDX-License-Identifier: MIT
/*
 * Everything that is not /dev/iommu passes through the shim unchanged:
 * other files, their ioctls and fcntls, the mode argument of O_CREAT and
 * O_TMPFILE, and the errors on bad fds.
 */
#include "shim_utils.h"

TEST(pipe_ioctl_fionread)
{
	int p[2], n = -1;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(5, write(p[1], "hello", 5));
	ASSERT_EQ(0, ioctl(p[0], FIONREAD, &n));
	ASSERT_EQ(5, n);
	/* and no iommufd ioctl on it */
	ASSERT_ERRNO(ENOTTY, ioctl(p[0], IOMMU_IOAS_ALLOC, &n));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(0, close(p[1]));
}

TEST(dev_null_is_dev_null)
{
	struct stat st;
	char c;
	int fd = open("/dev/null", O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0, read(fd, &c, 1));
	ASSERT_EQ(1, write(fd, "x", 1));
	ASSERT_FALSE(is_iommufd(fd));
	ASSERT_ERRNO(ENOTTY, ioas_destroy(fd, 1));
	ASSERT_EQ(0, close(fd));
}

FIXTURE(scratch)
{
	char dir[64];
	char file[PATH_MAX];
};

FIXTURE_SETUP(scratch)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/iommusim-shim-XXXXXX");
	ASSERT_NONNULL(mkdtemp(self->dir));
	snprintf(self->file, sizeof(self->file), "%s/file", self->dir);
	umask(022);
}

FIXTURE_TEARDOWN(scratch)
{
	unlink(self->file);
	ASSERT_EQ(0, rmdir(self->dir));
}

/* The mode vararg reaches the kernel through every entry point. */
TEST_F(scratch, o_creat_mode)
{
	struct stat st;
	int dfd, fd;

	fd = open(self->file, O_WRONLY | O_CREAT | O_EXCL, 0640);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0640, st.st_mode & 0777);
	ASSERT_EQ(3, write(fd, "abc", 3));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, unlink(self->file));

	fd = open64(self->file, O_WRONLY | O_CREAT | O_EXCL, 0604);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0604, st.st_mode & 0777);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, unlink(self->file));

	dfd = open(self->dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	fd = openat(dfd, "file", O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0600, st.st_mode & 0777);
	ASSERT_EQ(0, close(fd));
	ASSERT_ERRNO(EEXIST, openat64(dfd, "file", O_RDWR | O_CREAT | O_EXCL,
				      0600));
	ASSERT_EQ(0, close(dfd));

	/* what was written is there */
	fd = open(self->file, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_FALSE(is_iommufd(fd));
	ASSERT_ERRNO(ENOTTY, ioas_destroy(fd, 1));
	ASSERT_EQ(0, close(fd));
}

TEST_F(scratch, o_tmpfile_mode)
{
	struct stat st;
	int fd = open(self->dir, O_RDWR | O_TMPFILE, 0640);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR))
		SKIP(return, "no O_TMPFILE on this file system");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(0640, st.st_mode & 0777);
	ASSERT_EQ(0, close(fd));
}

TEST_F(scratch, fcntl_on_other_files)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(self->file, O_RDWR | O_CREAT, 0600);

	ASSERT_LE(0, fd);
	ASSERT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, fcntl(fd, F_SETFD, FD_CLOEXEC));
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	ASSERT_EQ(0, fcntl(fd, F_SETLK, &lock));
	ASSERT_EQ(0, fcntl64(fd, F_GETLK, &lock));
	ASSERT_EQ(F_UNLCK, lock.l_type); /* our own lock does not conflict */
	ASSERT_EQ(0, close(fd));
}

TEST(dup_of_other_files)
{
	int p[2], d, n = -1;
	char c;

	ASSERT_EQ(0, pipe(p));
	d = dup(p[1]);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, close(p[1]));
	ASSERT_EQ(1, write(d, "z", 1));
	ASSERT_EQ(0, ioctl(p[0], FIONREAD, &n));
	ASSERT_EQ(1, n);
	ASSERT_EQ(d, dup2(p[0], d));
	ASSERT_EQ(1, read(d, &c, 1));
	ASSERT_EQ('z', c);
	ASSERT_LE(0, dup3(p[0], d, O_CLOEXEC));
	ASSERT_EQ(FD_CLOEXEC, fcntl(d, F_GETFD));
	n = fcntl(p[0], F_DUPFD, 50);
	ASSERT_LE(50, n);
	ASSERT_EQ(0, close(n));
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(0, close(p[0]));
}

TEST(bad_fds_fail_as_usual)
{
	int n;

	ASSERT_ERRNO(EBADF, ioctl(-1, FIONREAD, &n));
	ASSERT_ERRNO(EBADF, close(-1));
	ASSERT_ERRNO(EBADF, dup(-1));
	ASSERT_ERRNO(EBADF, dup2(-1, 10));
	ASSERT_ERRNO(EBADF, dup3(-1, 10, 0));
	ASSERT_ERRNO(EBADF, fcntl(-1, F_GETFD));
	ASSERT_ERRNO(EBADF, fcntl(-1, F_DUPFD, 0));
	ASSERT_ERRNO(EBADF, ioctl(1000000, FIONREAD, &n));
	ASSERT_ERRNO(EBADF, close(1000000));
	ASSERT_ERRNO(EINVAL, dup3(0, 0, 0));
	ASSERT_ERRNO(EINVAL, close_range(5, 4, 0));
}

TEST_HARNESS_MAIN
