// SPDX-License-Identifier: MIT
/*
 * fork() under the shim's in-process mode: the child works on its own copy
 * of each context. Objects made before the fork exist on both sides; what
 * one side makes or destroys afterwards, the other does not see. (The
 * kernel shares one context between parent and child instead.)
 */
#include <pthread.h>
#include <stdatomic.h>

#include "shim_utils.h"

/* The child's checks, reported by exit status: 0 when all held, else the
 * number of the one that failed. */
static int child_after_fork(int fd, __u32 before, __u32 *made)
{
	int fresh;

	if (!is_iommufd(fd))
		return 1;
	if (ioas_alloc(fd, made))
		return 2;
	/* the object from before the fork is in the child's copy too */
	if (ioas_destroy(fd, before))
		return 3;
	/* and a new open works in the child */
	fresh = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fresh < 0 || !is_iommufd(fresh) || share_context(fd, fresh))
		return 4;
	if (close(fresh))
		return 5;
	return 0;
}

TEST(child_has_its_own_copy)
{
	int fd = open("/dev/iommu", O_RDWR);
	int p[2], status;
	__u32 before, in_child = 0, after;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &before));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int rc = child_after_fork(fd, before, &in_child);

		if (write(p[1], &in_child, sizeof(in_child)) !=
		    sizeof(in_child))
			rc = 10;
		_exit(rc);
	}
	ASSERT_EQ(0, close(p[1]));
	ASSERT_EQ(sizeof(in_child), read(p[0], &in_child, sizeof(in_child)));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* the child's IOAS is not ours; the child's destroy did not touch
	 * ours */
	ASSERT_NE(before, in_child);
	ASSERT_ERRNO(ENOENT, ioas_destroy(fd, in_child));
	ASSERT_EQ(0, ioas_alloc(fd, &after));
	ASSERT_EQ(0, ioas_destroy(fd, before));
	ASSERT_EQ(0, ioas_destroy(fd, after));
	ASSERT_EQ(0, close(fd));
}

TEST(dups_stay_shared_in_the_child)
{
	int fd = open("/dev/iommu", O_RDWR);
	int d, status;
	pid_t pid;

	ASSERT_LE(0, fd);
	d = dup(fd);
	ASSERT_LE(0, d);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* closing one copy in the child keeps the child's context */
		if (!share_context(fd, d) || close(fd) || !is_iommufd(d))
			_exit(1);
		_exit(close(d) ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(share_context(d, fd));
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(0, close(fd));
}

static atomic_bool churn_stop;

/* Opens, uses and closes iommufds (growing the fd table now and then)
 * while the main thread forks. */
static void *churn(void *arg)
{
	int high = 2000;

	(void)arg;
	while (!atomic_load(&churn_stop)) {
		int fd = open("/dev/iommu", O_RDWR);

		if (fd < 0)
			continue;
		is_iommufd(fd);
		if (dup2(fd, high) == high)
			close(high);
		high = high >= 8000 ? 2000 : high + 1024;
		close(fd);
	}
	return NULL;
}

TEST(fork_while_another_thread_uses_the_shim)
{
	pthread_t thread;
	int i;

	if (raise_fd_limit() <= 8000)
		SKIP(return, "RLIMIT_NOFILE too low");
	/* The library's one-time setup happens here, not in the thread: a
	 * fork in the middle of a pthread_once() leaves the child waiting
	 * for it under ThreadSanitizer, whose pthread_once, unlike glibc's,
	 * does not start over in a forked child. */
	ASSERT_OPENS_IOMMUFD(open("/dev/iommu", O_RDWR));
	atomic_store(&churn_stop, false);
	ASSERT_EQ(0, pthread_create(&thread, NULL, churn, NULL));
	for (i = 0; i < 20; i++) {
		int status;
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd;

			alarm(20); /* a lock left held would hang here */
			fd = open("/dev/iommu", O_RDWR);
			if (fd < 0 || !is_iommufd(fd))
				_exit(1);
			if (dup2(fd, 7000) != 7000 || !share_context(fd, 7000))
				_exit(2);
			_exit(close(7000) || close(fd) ? 3 : 0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFSIGNALED(status))
			printf("# child %d: killed by signal %d\n", i,
			       WTERMSIG(status));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	atomic_store(&churn_stop, true);
	ASSERT_EQ(0, pthread_join(thread, NULL));
}

TEST_HARNESS_MAIN
