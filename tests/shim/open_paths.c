// SPDX-License-Identifier: MIT
/*
 * Which opens reach the emulated /dev/iommu: every libc entry point, every
 * spelling of the path the kernel would accept, symlinks (also dangling
 * ones, as /dev/iommu usually does not exist here), and what an open with
 * odd flags answers. Each open is a context of its own.
 */
#include "shim_utils.h"

/* glibc declares these only under _FORTIFY_SOURCE; they are what fortified
 * programs call for open() with flags not known at compile time. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

TEST(open_every_entry_point)
{
	ASSERT_OPENS_IOMMUFD(open("/dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open64("/dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(openat(AT_FDCWD, "/dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(openat64(AT_FDCWD, "/dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(__open_2("/dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(__open64_2("/dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(__openat_2(AT_FDCWD, "/dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(__openat64_2(AT_FDCWD, "/dev/iommu", O_RDWR));
}

TEST(openat_with_dirfd_of_dev)
{
	int dfd = open("/dev", O_RDONLY | O_DIRECTORY);

	ASSERT_LE(0, dfd);
	ASSERT_OPENS_IOMMUFD(openat(dfd, "iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(openat(dfd, "./iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(openat(dfd, "../dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(openat64(dfd, "iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(__openat_2(dfd, "iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(__openat64_2(dfd, "iommu", O_RDWR));
	/* an absolute path ignores the dirfd */
	ASSERT_OPENS_IOMMUFD(openat(dfd, "/dev/iommu", O_RDWR));
	ASSERT_EQ(0, close(dfd));
}

TEST(other_spellings_of_the_path)
{
	ASSERT_OPENS_IOMMUFD(open("/dev/../dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open("//dev//iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open("///dev///iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open("/dev/./iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open("/./dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open("/../dev/iommu", O_RDWR));
}

TEST(relative_to_the_cwd)
{
	ASSERT_EQ(0, chdir("/dev"));
	ASSERT_OPENS_IOMMUFD(open("iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open("./iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(openat(AT_FDCWD, "iommu", O_RDWR));
	ASSERT_EQ(0, chdir("/"));
	ASSERT_OPENS_IOMMUFD(open("dev/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open("./dev//iommu", O_RDWR));
}

/* A scratch directory in /tmp, its real path, and links in it. */
FIXTURE(links)
{
	char dir[64];
	char real_dir[PATH_MAX];
	int dirfd;
};

static void links_path(FIXTURE_DATA(links) * self, const char *name,
		       char *buf)
{
	snprintf(buf, PATH_MAX, "%s/%s", self->dir, name);
}

static const char *const link_names[] = {
	"abs", "chain", "chain2", "rel", "devdir", "loop1", "loop2", "null",
	"sub",
};

FIXTURE_SETUP(links)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *p;

	snprintf(self->dir, sizeof(self->dir), "/tmp/iommusim-shim-XXXXXX");
	ASSERT_NONNULL(mkdtemp(self->dir));
	ASSERT_NONNULL(realpath(self->dir, self->real_dir));
	self->dirfd = open(self->dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->dirfd);

	/* abs -> /dev/iommu; chain -> abs; chain2 -> chain (relative) */
	links_path(self, "abs", path);
	ASSERT_EQ(0, symlink("/dev/iommu", path));
	links_path(self, "chain", path);
	ASSERT_EQ(0, symlink("abs", path));
	links_path(self, "chain2", path);
	ASSERT_EQ(0, symlink("./chain", path));

	/* rel -> ../../dev/iommu, as many ".." as the directory is deep */
	target[0] = '\0';
	for (p = self->real_dir; *p; p++)
		if (*p == '/')
			strcat(target, "../");
	strcat(target, "dev/iommu");
	links_path(self, "rel", path);
	ASSERT_EQ(0, symlink(target, path));

	links_path(self, "devdir", path);
	ASSERT_EQ(0, symlink("/dev", path));
	links_path(self, "loop1", path);
	ASSERT_EQ(0, symlink("loop2", path));
	links_path(self, "loop2", path);
	ASSERT_EQ(0, symlink("loop1", path));
	links_path(self, "null", path);
	ASSERT_EQ(0, symlink("/dev/null", path));
	/* a subdirectory holding a link relative to it */
	links_path(self, "sub", path);
	ASSERT_EQ(0, mkdir(path, 0700));
	links_path(self, "sub/up", path);
	ASSERT_EQ(0, symlink("../chain", path));
}

FIXTURE_TEARDOWN(links)
{
	char path[PATH_MAX];
	size_t i;

	links_path(self, "sub/up", path);
	unlink(path);
	for (i = 0; i < sizeof(link_names) / sizeof(link_names[0]); i++) {
		links_path(self, link_names[i], path);
		if (unlink(path))
			rmdir(path);
	}
	close(self->dirfd);
	ASSERT_EQ(0, rmdir(self->dir));
}

TEST_F(links, symlink_to_dev_iommu)
{
	char path[PATH_MAX];

	links_path(self, "abs", path);
	ASSERT_OPENS_IOMMUFD(open(path, O_RDWR));
	links_path(self, "chain", path);
	ASSERT_OPENS_IOMMUFD(open(path, O_RDWR));
	links_path(self, "chain2", path);
	ASSERT_OPENS_IOMMUFD(open(path, O_RDWR));
	links_path(self, "rel", path);
	ASSERT_OPENS_IOMMUFD(open(path, O_RDWR));
	links_path(self, "sub/up", path);
	ASSERT_OPENS_IOMMUFD(open(path, O_RDWR));
	links_path(self, "devdir/iommu", path);
	ASSERT_OPENS_IOMMUFD(open(path, O_RDWR));
	/* ".." after a symlink is taken from where the link led */
	links_path(self, "sub/../devdir/../dev/iommu", path);
	ASSERT_OPENS_IOMMUFD(open(path, O_RDWR));
}

TEST_F(links, symlink_relative_to_a_dirfd)
{
	ASSERT_OPENS_IOMMUFD(openat(self->dirfd, "chain2", O_RDWR));
	ASSERT_OPENS_IOMMUFD(openat(self->dirfd, "sub/up", O_RDWR));
	ASSERT_OPENS_IOMMUFD(openat(self->dirfd, "devdir/iommu", O_RDWR));
	ASSERT_OPENS_IOMMUFD(__openat_2(self->dirfd, "rel", O_RDWR));
	ASSERT_EQ(0, chdir(self->dir));
	ASSERT_OPENS_IOMMUFD(open("chain", O_RDWR));
	ASSERT_OPENS_IOMMUFD(open("sub/up", O_RDWR));
}

TEST_F(links, symlink_errors_are_the_kernels)
{
	char path[PATH_MAX];
	int fd;

	links_path(self, "loop1", path);
	ASSERT_ERRNO(ELOOP, open(path, O_RDWR));
	/* O_NOFOLLOW refuses a symlink in the last place */
	links_path(self, "abs", path);
	ASSERT_ERRNO(ELOOP, open(path, O_RDWR | O_NOFOLLOW));
	/* a link elsewhere opens what it points to */
	links_path(self, "null", path);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_FALSE(is_iommufd(fd));
	ASSERT_EQ(0, close(fd));
}

TEST_F(links, o_creat_through_a_link_creates_nothing)
{
	char path[PATH_MAX];
	struct stat before, after;
	int existed = stat("/dev/iommu", &before) == 0;
	int exists;

	ASSERT_SHIM_ACTIVE();
	links_path(self, "abs", path);
	ASSERT_OPENS_IOMMUFD(open(path, O_RDWR | O_CREAT, 0600));
	ASSERT_OPENS_IOMMUFD(openat(self->dirfd, "chain", O_RDWR | O_CREAT,
				    0600));
	exists = stat("/dev/iommu", &after) == 0;
	if (!existed && exists)
		unlink("/dev/iommu"); /* we made it: undo, then fail */
	ASSERT_EQ(existed, exists);
	if (existed)
		ASSERT_EQ(before.st_ino, after.st_ino);
}

TEST(paths_that_are_not_dev_iommu)
{
	int fd;

	/* a trailing slash asks for a directory */
	errno = 0;
	ASSERT_EQ(-1, open("/dev/iommu/", O_RDWR));
	ASSERT_TRUE(errno == ENOENT || errno == ENOTDIR);
	ASSERT_ERRNO(ENOENT, open("/dev/iommux", O_RDWR));
	ASSERT_ERRNO(ENOENT, open("/dev/nonexistent/../iommu", O_RDWR));
	ASSERT_ERRNO(ENOENT, open("/tmp/../dev/nonexistent/iommu", O_RDWR));
	ASSERT_ERRNO(ENOENT, open("", O_RDWR));
	fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_FALSE(is_iommufd(fd));
	ASSERT_EQ(0, close(fd));
}

TEST(flags_answer_as_for_a_character_device)
{
	ASSERT_SHIM_ACTIVE();
	ASSERT_ERRNO(ENOTDIR, open("/dev/iommu", O_RDWR | O_DIRECTORY));
	ASSERT_ERRNO(EEXIST,
		     open("/dev/iommu", O_RDWR | O_CREAT | O_EXCL, 0600));
	ASSERT_OPENS_IOMMUFD(open("/dev/iommu", O_RDWR | O_CREAT, 0600));
	ASSERT_OPENS_IOMMUFD(open("/dev/iommu", O_RDWR | O_TRUNC));
	ASSERT_OPENS_IOMMUFD(open("/dev/iommu", O_RDONLY));
	ASSERT_OPENS_IOMMUFD(open("/dev/iommu", O_WRONLY | O_NONBLOCK));
}

TEST(file_flags_follow_the_open)
{
	int fd;

	fd = open("/dev/iommu", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, close(fd));

	fd = open("/dev/iommu", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* and the flags can be changed like any file's */
	ASSERT_EQ(0, fcntl(fd, F_SETFD, 0));
	ASSERT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, 0));
	ASSERT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	ASSERT_TRUE(is_iommufd(fd));
	ASSERT_EQ(0, close(fd));
}

TEST(o_cloexec_closes_it_at_exec)
{
	char script[64];
	int fd;

	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(script, sizeof(script), "test -e /proc/self/fd/%d", fd);
	ASSERT_EQ(1, run_shell(script));
	ASSERT_EQ(0, close(fd));

	/* Without O_CLOEXEC the (placeholder) fd stays open across exec, as
	 * an iommufd would; FD_CLOEXEC set later and FIOCLEX work too. */
	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	snprintf(script, sizeof(script), "test -e /proc/self/fd/%d", fd);
	ASSERT_EQ(0, run_shell(script));
	ASSERT_EQ(0, fcntl(fd, F_SETFD, FD_CLOEXEC));
	ASSERT_EQ(1, run_shell(script));
	ASSERT_EQ(0, ioctl(fd, FIONCLEX));
	ASSERT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, run_shell(script));
	ASSERT_EQ(0, ioctl(fd, FIOCLEX));
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(1, run_shell(script));
	ASSERT_TRUE(is_iommufd(fd));
	ASSERT_EQ(0, close(fd));
}

TEST(each_open_is_its_own_context)
{
	int a = open("/dev/iommu", O_RDWR);
	int b = open("/dev/iommu", O_RDWR);
	__u32 id;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_NE(a, b);
	ASSERT_EQ(0, ioas_alloc(a, &id));
	ASSERT_ERRNO(ENOENT, ioas_destroy(b, id));
	ASSERT_EQ(0, ioas_destroy(a, id));
	ASSERT_EQ(0, close(a));
	ASSERT_EQ(0, close(b));
}

TEST(a_successful_open_leaves_errno_alone)
{
	char path[PATH_MAX];
	int fd;

	errno = EXDEV;
	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(EXDEV, errno);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(EXDEV, errno);

	/* the path walk behind a spelling other than the literal one */
	snprintf(path, sizeof(path), "/dev/../dev/iommu");
	errno = EXDEV;
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(EXDEV, errno);
	ASSERT_EQ(0, ioctl(fd, FIOCLEX));
	ASSERT_EQ(EXDEV, errno);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(EXDEV, errno);
}

TEST_HARNESS_MAIN
