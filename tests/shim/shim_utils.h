/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the shim tests. These programs know nothing of iommusim: they
 * open /dev/iommu and use open()/ioctl()/close()/dup()/fcntl(), and run
 * either under `iommusim run` or linked with the shim's objects (-direct).
 *
 * An fd "is an iommufd" when an IOAS can be allocated and destroyed through
 * it; two fds "share a context" when an IOAS allocated through one can be
 * destroyed through the other.
 */
#ifndef IOMMUSIM_TESTS_SHIM_UTILS_H
#define IOMMUSIM_TESTS_SHIM_UTILS_H

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd.h>

#include "harness.h"

/* Asserts that cmd failed with -1 and the given errno. */
#define ASSERT_ERRNO(expected_errno, cmd)                                      \
	do {                                                                   \
		errno = 0;                                                     \
		ASSERT_EQ(-1, (cmd));                                          \
		ASSERT_EQ(expected_errno, errno);                              \
	} while (0)

static inline int ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_ioas_id;
	return rc;
}

static inline int ioas_destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

/* Whether fd answers like an iommufd (and is left as it was). */
static inline bool is_iommufd(int fd)
{
	__u32 id;

	return ioas_alloc(fd, &id) == 0 && ioas_destroy(fd, id) == 0;
}

/*
 * Whether an IOAS made through a can be destroyed through b, and is then
 * gone from a. (IDs are per context: when they are not shared, b may hold
 * an object of the same ID, which this destroys.)
 */
static inline bool share_context(int a, int b)
{
	__u32 id;

	if (ioas_alloc(a, &id))
		return false;
	if (ioas_destroy(b, id)) {
		ioas_destroy(a, id);
		return false;
	}
	return ioas_destroy(a, id) == -1 && errno == ENOENT;
}

/*
 * Stops the test unless /dev/iommu is emulated here. Goes before any open
 * with O_CREAT that names /dev/iommu: run as root without the shim, such an
 * open would create a regular file there.
 */
#define ASSERT_SHIM_ACTIVE()                                                   \
	do {                                                                   \
		int __fd = open("/dev/iommu", O_RDWR);                         \
		bool __ok = __fd >= 0 && is_iommufd(__fd);                     \
		if (__fd >= 0)                                                 \
			close(__fd);                                           \
		if (!__ok)                                                     \
			fprintf(stdout, "# /dev/iommu is not emulated: run "   \
					"under `iommusim run`\n");            \
		ASSERT_TRUE(__ok);                                             \
	} while (0)

/* Opens path, checks it is an iommufd and closes it. */
#define ASSERT_OPENS_IOMMUFD(open_call)                                        \
	do {                                                                   \
		int __fd = (open_call);                                        \
		if (__fd < 0)                                                  \
			fprintf(stdout, "# %s: %s\n", #open_call,              \
				strerror(errno));                              \
		ASSERT_LE(0, __fd);                                            \
		ASSERT_TRUE(is_iommufd(__fd));                                 \
		ASSERT_EQ(0, close(__fd));                                     \
	} while (0)

/* The fd limit raised as far as allowed (the hard limit, at most 1 << 20);
 * returns the soft limit in force. */
static inline rlim_t raise_fd_limit(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim))
		return 0;
	if (lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		if (lim.rlim_cur > (1u << 20))
			lim.rlim_cur = 1u << 20;
		setrlimit(RLIMIT_NOFILE, &lim);
		getrlimit(RLIMIT_NOFILE, &lim);
	}
	return lim.rlim_cur;
}

/* Runs /bin/sh -c script in a child; its exit status, or -1. */
static inline int run_shell(const char *script)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#endif /* IOMMUSIM_TESTS_SHIM_UTILS_H */
