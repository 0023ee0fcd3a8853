// SPDX-License-Identifier: MIT
/*
 * The kernel's fault-injection files, served by the shim: a thread's
 * /proc/.../fail-nth (every spelling of its path, the kernel's parser with
 * its errors, positions, ESRCH once the thread is gone) and debugfs's
 * failslab/ and fail_page_alloc/ (found with opendir/readdir, opened with
 * openat on the directory's descriptor as iommufd_fail_nth does, the
 * attributes' parsers). And the point of it all: an armed thread's ioctl
 * fails with ENOMEM at exactly the N-th site, in that thread only.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "shim_utils.h"

#define DEBUGFS "/sys/kernel/debug"

static void *volatile null_ptr;

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* /proc/self/task/TID/fail-nth of tid. */
static int open_fail_nth(pid_t tid, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", tid);
	return open(path, flags);
}

/* The whole value at offset 0, or "" when the read failed. */
static const char *value_of(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static ssize_t write_str(int fd, const char *s)
{
	return write(fd, s, strlen(s));
}

/* Writes s to the debugfs attribute path (relative to DEBUGFS). */
static int set_attr(const char *path, const char *s)
{
	char full[128];
	int fd;
	ssize_t n;

	snprintf(full, sizeof(full), "%s/%s", DEBUGFS, path);
	fd = open(full, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write_str(fd, s);
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* What iommufd_fail_nth writes first: fail-nth counts every site. */
static void count_every_site(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, set_attr("failslab/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, set_attr("fail_page_alloc/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, set_attr("failslab/verbose", "0"));
	ASSERT_EQ(0, set_attr("fail_page_alloc/verbose", "0"));
}

/* ---- fail-nth ------------------------------------------------------------ */

FIXTURE(fail_nth)
{
	int fd;
	char buf[64];
};

FIXTURE_SETUP(fail_nth)
{
	self->fd = open_fail_nth(gettid_(), O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fail_nth)
{
	close(self->fd);
}

TEST_F(fail_nth, reads_0_then_what_was_written)
{
	ASSERT_STREQ("0\n", value_of(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_EQ(1, pwrite(self->fd, "7", 1, 0));
	ASSERT_STREQ("7\n", value_of(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_EQ(2, write_str(self->fd, "9\n"));
	ASSERT_STREQ("9\n", value_of(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_EQ(10, write_str(self->fd, "4294967295"));
	ASSERT_STREQ("4294967295\n",
		     value_of(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_EQ(1, write_str(self->fd, "0"));
	ASSERT_STREQ("0\n", value_of(self->fd, self->buf, sizeof(self->buf)));
}

/* kstrtouint() with base 0. */
TEST_F(fail_nth, numbers_as_the_kernel_parses_them)
{
	ASSERT_EQ(4, write_str(self->fd, "0x1f"));
	ASSERT_STREQ("31\n", value_of(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_EQ(3, write_str(self->fd, "010"));
	ASSERT_STREQ("8\n", value_of(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_EQ(2, write_str(self->fd, "+5"));
	ASSERT_STREQ("5\n", value_of(self->fd, self->buf, sizeof(self->buf)));

	ASSERT_ERRNO(EINVAL, write_str(self->fd, "-1"));
	ASSERT_ERRNO(EINVAL, write_str(self->fd, ""));
	ASSERT_ERRNO(EINVAL, write_str(self->fd, "abc"));
	ASSERT_ERRNO(EINVAL, write_str(self->fd, "1 "));
	ASSERT_ERRNO(EINVAL, write_str(self->fd, " 1"));
	ASSERT_ERRNO(EINVAL, write_str(self->fd, "1\n\n"));
	ASSERT_ERRNO(EINVAL, write_str(self->fd, "08"));
	ASSERT_ERRNO(EINVAL, write_str(self->fd, "0x"));
	ASSERT_ERRNO(ERANGE, write_str(self->fd, "4294967296"));
	ASSERT_ERRNO(ERANGE, write_str(self->fd, "99999999999999999999999"));
	ASSERT_ERRNO(EFAULT, write(self->fd, null_ptr, 1));
	/* a failed write leaves the value alone */
	ASSERT_STREQ("5\n", value_of(self->fd, self->buf, sizeof(self->buf)));
}

/* Only the first 34 bytes are read, and the write still takes them all:
 * forty zeros and a 1 are 0. */
TEST_F(fail_nth, a_long_write_is_cut_at_34_bytes)
{
	char s[42];

	memset(s, '0', 40);
	s[40] = '1';
	s[41] = '\0';
	ASSERT_EQ(1, write_str(self->fd, "3"));
	ASSERT_EQ(41, write_str(self->fd, s));
	ASSERT_STREQ("0\n", value_of(self->fd, self->buf, sizeof(self->buf)));
}

TEST_F(fail_nth, reads_have_a_position)
{
	char c;

	ASSERT_EQ(1, write_str(self->fd, "3"));
	ASSERT_EQ(2, read(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_EQ(0, memcmp(self->buf, "3\n", 2));
	/* then end of file */
	ASSERT_EQ(0, read(self->fd, self->buf, sizeof(self->buf)));
	ASSERT_EQ(1, pread(self->fd, &c, 1, 1));
	ASSERT_EQ('\n', c);
	ASSERT_EQ(0, pread(self->fd, &c, 1, 2));
	ASSERT_ERRNO(EINVAL, pread(self->fd, &c, 1, -1));
	ASSERT_ERRNO(EFAULT, pread(self->fd, null_ptr, 1, 0));
	/* the kernel's fail-nth has no llseek method */
	ASSERT_ERRNO(ESPIPE, lseek(self->fd, 0, SEEK_SET));
}

TEST(fail_nth_every_spelling)
{
	char path[96];
	pid_t pid = getpid(), tid = gettid_();
	const char *const forms[] = {
		"/proc/self/task/%2$d/fail-nth", "/proc/%1$d/task/%2$d/fail-nth",
		"/proc/%2$d/fail-nth",		 "/proc/self/fail-nth",
		"/proc/thread-self/fail-nth",	 "//proc/./self/../self/fail-nth",
	};
	char buf[16];

	/* the harness runs each test in a forked child's only thread */
	ASSERT_EQ(pid, tid);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), forms[i], pid, tid);
		fd = open(path, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(1, write_str(fd, "1"));
		ASSERT_STREQ("1\n", value_of(fd, buf, sizeof(buf)));
		ASSERT_EQ(1, write_str(fd, "0"));
		close(fd);
	}
}

TEST(fail_nth_open_errors)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth/",
		 gettid_());
	ASSERT_ERRNO(ENOTDIR, open(path, O_RDONLY));
	ASSERT_ERRNO(ENOTDIR, open_fail_nth(gettid_(), O_RDONLY | O_DIRECTORY));
	ASSERT_ERRNO(EEXIST, open_fail_nth(gettid_(),
					   O_RDWR | O_CREAT | O_EXCL));
	/* a read-only descriptor cannot arm, and the reverse */
	{
		int fd = open_fail_nth(gettid_(), O_RDONLY);
		char c;

		ASSERT_LE(0, fd);
		ASSERT_ERRNO(EBADF, write_str(fd, "1"));
		close(fd);
		fd = open_fail_nth(gettid_(), O_WRONLY);
		ASSERT_LE(0, fd);
		ASSERT_ERRNO(EBADF, read(fd, &c, 1));
		close(fd);
	}
}

struct worker {
	pthread_t thread;
	pid_t tid;
	int iommufd;
	pthread_barrier_t *step;
	int rc[3], err[3];
};

/* Allocates an IOAS at each of three steps. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;

	__atomic_store_n(&w->tid, gettid_(), __ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++) {
		__u32 id;

		pthread_barrier_wait(w->step);
		errno = 0;
		w->rc[i] = ioas_alloc(w->iommufd, &id);
		w->err[i] = errno;
		pthread_barrier_wait(w->step);
	}
	return NULL;
}

/* Armed from the main thread, the worker's first site fails, and no site
 * of the main thread's; the worker's file says ESRCH once it is gone. */
TEST(fail_nth_of_another_thread)
{
	pthread_barrier_t step;
	struct worker w = { .step = &step };
	char buf[16];
	int fd;
	__u32 id;

	count_every_site(_metadata);
	w.iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, w.iommufd);
	pthread_barrier_init(&step, NULL, 2);
	ASSERT_EQ(0, pthread_create(&w.thread, NULL, worker_run, &w));

	/* step 0: armed before the worker's first call */
	while (!__atomic_load_n(&w.tid, __ATOMIC_ACQUIRE))
		sched_yield();
	fd = open_fail_nth(w.tid, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write_str(fd, "1"));
	ASSERT_EQ(0, ioas_alloc(w.iommufd, &id));
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step);
	ASSERT_EQ(-1, w.rc[0]);
	ASSERT_EQ(ENOMEM, w.err[0]);
	ASSERT_STREQ("0\n", value_of(fd, buf, sizeof(buf)));

	/* step 1: a count far past the call, which is left with it */
	ASSERT_EQ(3, write_str(fd, "100"));
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step);
	ASSERT_EQ(0, w.rc[1]);
	value_of(fd, buf, sizeof(buf));
	ASSERT_LT(90, atoi(buf));
	ASSERT_GT(100, atoi(buf));

	/* step 2: disarmed */
	ASSERT_EQ(1, write_str(fd, "0"));
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step);
	ASSERT_EQ(0, w.rc[2]);
	pthread_join(w.thread, NULL);

	ASSERT_ERRNO(ESRCH, write_str(fd, "1"));
	ASSERT_ERRNO(ESRCH, pread(fd, buf, sizeof(buf), 0));
	close(fd);
	ASSERT_ERRNO(ENOENT, open_fail_nth(w.tid, O_RDWR));
	pthread_barrier_destroy(&step);
	close(w.iommufd);
}

/* Each site in turn, as iommufd_fail_nth sweeps: every one before the
 * last fails the call with ENOMEM and reads 0 after; past the last, the
 * call succeeds and the countdown is left over. */
TEST(every_site_of_a_call_fails_in_turn)
{
	int nth, iommufd, fd = open_fail_nth(gettid_(), O_RDWR);
	char buf[16];
	__u32 id;

	ASSERT_LE(0, fd);
	count_every_site(_metadata);
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	for (nth = 1;; nth++) {
		int rc;

		ASSERT_GT(100, nth);
		snprintf(buf, sizeof(buf), "%d", nth);
		ASSERT_EQ((ssize_t)strlen(buf), write_str(fd, buf));
		errno = 0;
		rc = ioas_alloc(iommufd, &id);
		value_of(fd, buf, sizeof(buf));
		ASSERT_EQ(1, write_str(fd, "0"));
		if (rc == 0) {
			ASSERT_STREQ("1\n", buf);
			break;
		}
		ASSERT_EQ(ENOMEM, errno);
		ASSERT_STREQ("0\n", buf);
	}
	/* an object and the table it goes in */
	ASSERT_LE(2, nth);
	ASSERT_EQ(0, ioas_destroy(iommufd, id));
	close(iommufd);
	close(fd);
}

/* With the kernel's defaults nothing of ours is counted: every
 * allocation may sleep, and ignore-gfp-wait says Y. */
TEST(the_defaults_count_nothing)
{
	int iommufd, fd = open_fail_nth(gettid_(), O_RDWR);
	char buf[16];
	__u32 id;

	ASSERT_LE(0, fd);
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	ASSERT_EQ(1, write_str(fd, "1"));
	ASSERT_EQ(0, ioas_alloc(iommufd, &id));
	ASSERT_STREQ("1\n", value_of(fd, buf, sizeof(buf)));
	close(iommufd);
	close(fd);
}

/* ---- debugfs ----------------------------------------------------------- */

/* The names of a directory stream in readdir order, a slash after each
 * directory. */
static void list_dir(DIR *dir, char *out, size_t size)
{
	struct dirent *ent;

	out[0] = '\0';
	while ((ent = readdir(dir))) {
		strncat(out, ent->d_name, size - strlen(out) - 2);
		strcat(out, ent->d_type == DT_DIR ? "/ " : " ");
	}
}

TEST(debugfs_directories_list_the_attributes)
{
	char names[256];
	DIR *root, *dir;
	int fd;

	root = opendir(DEBUGFS "/");
	ASSERT_NONNULL(root);
	list_dir(root, names, sizeof(names));
	ASSERT_STREQ("./ ../ failslab/ fail_page_alloc/ ", names);
	list_dir(root, names, sizeof(names));
	ASSERT_STREQ("", names);
	rewinddir(root);
	list_dir(root, names, sizeof(names));
	ASSERT_STREQ("./ ../ failslab/ fail_page_alloc/ ", names);

	fd = openat(dirfd(root), "failslab", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	dir = fdopendir(fd);
	ASSERT_NONNULL(dir);
	list_dir(dir, names, sizeof(names));
	ASSERT_STREQ("./ ../ cache-filter ignore-gfp-wait verbose ", names);
	ASSERT_EQ(0, closedir(dir));

	dir = opendir("/sys//kernel/./debug/fail_page_alloc");
	ASSERT_NONNULL(dir);
	list_dir(dir, names, sizeof(names));
	ASSERT_STREQ("./ ../ ignore-gfp-highmem ignore-gfp-wait min-order "
		     "verbose ",
		     names);
	ASSERT_EQ(0, closedir(dir));
	ASSERT_EQ(0, closedir(root));
}

TEST(debugfs_open_errors)
{
	DIR *root = opendir(DEBUGFS);
	int dfd, fd;
	char c;

	ASSERT_NONNULL(root);
	dfd = dirfd(root);
	ASSERT_ERRNO(ENOENT, openat(dfd, "failslab/probability", O_RDONLY));
	ASSERT_ERRNO(EACCES, openat(dfd, "failslab/probability",
				    O_WRONLY | O_CREAT, 0600));
	ASSERT_ERRNO(ENOTDIR, openat(dfd, "failslab/verbose/x", O_RDONLY));
	ASSERT_ERRNO(ENOTDIR, openat(dfd, "failslab/verbose/", O_RDONLY));
	ASSERT_ERRNO(ENOTDIR,
		     openat(dfd, "failslab/verbose", O_RDONLY | O_DIRECTORY));
	ASSERT_ERRNO(EEXIST, openat(dfd, "failslab/verbose",
				    O_RDWR | O_CREAT | O_EXCL, 0600));
	ASSERT_ERRNO(EISDIR, openat(dfd, "failslab", O_WRONLY));
	ASSERT_ERRNO(EISDIR, openat(dfd, "failslab", O_RDONLY | O_CREAT, 0600));
	ASSERT_NULL(opendir(DEBUGFS "/failslab/verbose"));
	ASSERT_EQ(ENOTDIR, errno);
	ASSERT_NULL(opendir(DEBUGFS "/failslab/nothing"));
	ASSERT_EQ(ENOENT, errno);
	/* a directory is not read() */
	fd = openat(dfd, "failslab", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(EISDIR, read(fd, &c, 1));
	close(fd);
	/* ".." leaves our directories for the real file system */
	fd = openat(dfd, "failslab/../fail_page_alloc/min-order", O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	fd = openat(dfd, "..", O_RDONLY | O_DIRECTORY);
	if (fd >= 0) { /* /sys/kernel, where there is a /sys */
		struct stat a, b;

		ASSERT_EQ(0, fstat(fd, &a));
		ASSERT_EQ(0, stat("/sys/kernel", &b));
		ASSERT_EQ(b.st_ino, a.st_ino);
		close(fd);
	}
	ASSERT_EQ(0, closedir(root));
}

static const char *attr_value(const char *path, char *buf, size_t size)
{
	char full[128];
	int fd;

	snprintf(full, sizeof(full), "%s/%s", DEBUGFS, path);
	fd = open(full, O_RDONLY);
	if (fd < 0)
		return "";
	value_of(fd, buf, size);
	close(fd);
	return buf;
}

TEST(debugfs_attributes_start_as_the_kernels)
{
	char buf[32];

	ASSERT_STREQ("Y\n", attr_value("failslab/ignore-gfp-wait", buf, 32));
	ASSERT_STREQ("N\n", attr_value("failslab/cache-filter", buf, 32));
	ASSERT_STREQ("2\n", attr_value("failslab/verbose", buf, 32));
	ASSERT_STREQ("Y\n",
		     attr_value("fail_page_alloc/ignore-gfp-wait", buf, 32));
	ASSERT_STREQ("Y\n",
		     attr_value("fail_page_alloc/ignore-gfp-highmem", buf, 32));
	ASSERT_STREQ("1\n", attr_value("fail_page_alloc/min-order", buf, 32));
	ASSERT_STREQ("2\n", attr_value("fail_page_alloc/verbose", buf, 32));
}

/* kstrtobool() on at most three bytes; a write that is not a boolean
 * still says it took everything and changes nothing. */
TEST(debugfs_booleans)
{
	const char *attr = "failslab/ignore-gfp-wait";
	char buf[32];
	int fd = open(DEBUGFS "/failslab/ignore-gfp-wait", O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write_str(fd, "N"));
	ASSERT_STREQ("N\n", attr_value(attr, buf, 32));
	ASSERT_EQ(2, write_str(fd, "on"));
	ASSERT_STREQ("Y\n", attr_value(attr, buf, 32));
	ASSERT_EQ(3, write_str(fd, "off"));
	ASSERT_STREQ("N\n", attr_value(attr, buf, 32));
	ASSERT_EQ(4, write_str(fd, "true"));
	ASSERT_STREQ("Y\n", attr_value(attr, buf, 32));
	ASSERT_EQ(2, write_str(fd, "0\n"));
	ASSERT_STREQ("N\n", attr_value(attr, buf, 32));
	ASSERT_EQ(5, write_str(fd, "maybe"));
	ASSERT_EQ(2, write_str(fd, "ox"));
	ASSERT_STREQ("N\n", attr_value(attr, buf, 32));
	ASSERT_ERRNO(EFAULT, write(fd, null_ptr, 1));
	/* read() moves on: the value, then end of file; lseek() is
	 * default_llseek() over a size of 0 */
	ASSERT_EQ(2, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(2, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(1, lseek(fd, -1, SEEK_CUR));
	ASSERT_EQ(1, read(fd, buf, sizeof(buf)));
	ASSERT_EQ('\n', buf[0]);
	ASSERT_EQ(0, lseek(fd, 0, SEEK_END));
	ASSERT_EQ(2, read(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(EINVAL, lseek(fd, -1, SEEK_SET));
	ASSERT_ERRNO(ENXIO, lseek(fd, 0, SEEK_DATA));
	ASSERT_ERRNO(ENXIO, lseek(fd, 0, SEEK_HOLE));
	close(fd);
}

/* simple_attr_write(): kstrtoull() base 0 on at most 23 bytes; a u32
 * keeps the low 32 bits. */
TEST(debugfs_numbers)
{
	char buf[32];
	int fd = open(DEBUGFS "/fail_page_alloc/min-order", O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write_str(fd, "0"));
	ASSERT_STREQ("0\n", attr_value("fail_page_alloc/min-order", buf, 32));
	ASSERT_EQ(3, write_str(fd, "0x3"));
	ASSERT_STREQ("3\n", attr_value("fail_page_alloc/min-order", buf, 32));
	ASSERT_EQ(10, write_str(fd, "4294967297"));
	ASSERT_STREQ("1\n", attr_value("fail_page_alloc/min-order", buf, 32));
	ASSERT_ERRNO(EINVAL, write_str(fd, "two"));
	ASSERT_ERRNO(EINVAL, write_str(fd, "-1"));
	ASSERT_ERRNO(ERANGE, write_str(fd, "18446744073709551616"));
	ASSERT_STREQ("1\n", attr_value("fail_page_alloc/min-order", buf, 32));
	close(fd);

	fd = open(DEBUGFS "/failslab/verbose", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(20, write_str(fd, "18446744073709551615"));
	ASSERT_STREQ("18446744073709551615\n",
		     attr_value("failslab/verbose", buf, 32));
	close(fd);
}

/* Every other directory stream is libc's own. */
TEST(other_directories_pass_through)
{
	char tmpl[] = "/tmp/iommusim-fault-files-XXXXXX", names[256], path[64];
	DIR *dir;
	int fd;

	ASSERT_NONNULL(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/a", tmpl);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	dir = opendir(tmpl);
	ASSERT_NONNULL(dir);
	list_dir(dir, names, sizeof(names));
	/* libc's order is the file system's: only the set is known */
	ASSERT_EQ(strlen("./ ../ a "), strlen(names));
	ASSERT_NONNULL(strstr(names, "a "));
	rewinddir(dir);
	list_dir(dir, names, sizeof(names));
	ASSERT_EQ(strlen("./ ../ a "), strlen(names));
	ASSERT_EQ(0, closedir(dir));
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, rmdir(tmpl));
	ASSERT_NULL(opendir(tmpl));
	ASSERT_EQ(ENOENT, errno);
}

TEST_HARNESS_MAIN
