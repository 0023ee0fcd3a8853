// SPDX-License-Identifier: MIT
/*
 * The shim from many threads at once: opens, ioctls and closes in parallel,
 * one fd shared by every thread, and an fd whose number is replaced or
 * closed while other threads are inside ioctl() on it. Run under TSan with
 * `make check TSAN=1`.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "shim_utils.h"

#define NR_THREADS 8

struct worker {
	pthread_t thread;
	int fd;			/* a shared fd, or -1 */
	int iterations;
	atomic_int *failures;
};

/* Each iteration: its own open, an IOAS made and destroyed, a dup, close. */
static void *open_use_close(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < w->iterations; i++) {
		int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
		int d;

		if (fd < 0) {
			atomic_fetch_add(w->failures, 1);
			continue;
		}
		d = dup(fd);
		if (d < 0 || !is_iommufd(fd) || !share_context(fd, d))
			atomic_fetch_add(w->failures, 1);
		if (close(fd) || (d >= 0 && (!is_iommufd(d) || close(d))))
			atomic_fetch_add(w->failures, 1);
	}
	return NULL;
}

TEST(threads_open_ioctl_close)
{
	struct worker workers[NR_THREADS];
	atomic_int failures = 0;
	int i;

	for (i = 0; i < NR_THREADS; i++) {
		workers[i] = (struct worker){ .fd = -1, .iterations = 300,
					      .failures = &failures };
		ASSERT_EQ(0, pthread_create(&workers[i].thread, NULL,
					    open_use_close, &workers[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, pthread_join(workers[i].thread, NULL));
	ASSERT_EQ(0, atomic_load(&failures));
}

static void *use_shared_fd(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < w->iterations; i++)
		if (!is_iommufd(w->fd))
			atomic_fetch_add(w->failures, 1);
	return NULL;
}

TEST(threads_share_one_fd)
{
	struct worker workers[NR_THREADS];
	atomic_int failures = 0;
	int fd = open("/dev/iommu", O_RDWR);
	int i;

	ASSERT_LE(0, fd);
	for (i = 0; i < NR_THREADS; i++) {
		workers[i] = (struct worker){ .fd = fd, .iterations = 2000,
					      .failures = &failures };
		ASSERT_EQ(0, pthread_create(&workers[i].thread, NULL,
					    use_shared_fd, &workers[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, pthread_join(workers[i].thread, NULL));
	ASSERT_EQ(0, atomic_load(&failures));
	ASSERT_EQ(0, close(fd));
}

static atomic_bool racing;

/* ioctl() on w->fd until told to stop; any error counts. */
static void *alloc_until_stopped(void *arg)
{
	struct worker *w = arg;
	__u32 id;

	while (atomic_load(&racing))
		if (ioas_alloc(w->fd, &id))
			atomic_fetch_add(w->failures, 1);
	return NULL;
}

/*
 * dup2() replaces the file behind a number atomically: an ioctl racing with
 * it reaches the old context or the new one, never anything else. Each
 * replaced context dies with its last reference, perhaps inside one of the
 * racing ioctls.
 */
TEST(dup2_replaces_under_running_ioctls)
{
	struct worker workers[NR_THREADS];
	atomic_int failures = 0;
	int target = open("/dev/iommu", O_RDWR);
	int i;

	ASSERT_LE(0, target);
	atomic_store(&racing, true);
	for (i = 0; i < NR_THREADS; i++) {
		workers[i] = (struct worker){ .fd = target,
					      .failures = &failures };
		ASSERT_EQ(0, pthread_create(&workers[i].thread, NULL,
					    alloc_until_stopped, &workers[i]));
	}
	for (i = 0; i < 500; i++) {
		int fresh = open("/dev/iommu", O_RDWR);

		ASSERT_LE(0, fresh);
		ASSERT_EQ(target, dup2(fresh, target));
		ASSERT_EQ(0, close(fresh));
	}
	atomic_store(&racing, false);
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, pthread_join(workers[i].thread, NULL));
	ASSERT_EQ(0, atomic_load(&failures));
	ASSERT_TRUE(is_iommufd(target));
	ASSERT_EQ(0, close(target));
}

/* The number the closing thread last reopened; the workers follow it. */
static atomic_int reopened_fd;

/* ioctl() on the current number until told to stop: success, or the
 * errors a racing close() may give (EBADF; ENOTTY when the number briefly
 * names the placeholder or another file). */
static void *ioctl_while_closed(void *arg)
{
	struct worker *w = arg;
	__u32 id;

	while (atomic_load(&racing))
		if (ioas_alloc(atomic_load(&reopened_fd), &id) &&
		    errno != EBADF && errno != ENOTTY)
			atomic_fetch_add(w->failures, 1);
	return NULL;
}

TEST(close_and_reopen_under_running_ioctls)
{
	struct worker workers[NR_THREADS];
	atomic_int failures = 0;
	int fd = open("/dev/iommu", O_RDWR);
	int i, reused = 0;

	ASSERT_LE(0, fd);
	atomic_store(&reopened_fd, fd);
	atomic_store(&racing, true);
	for (i = 0; i < NR_THREADS; i++) {
		workers[i] = (struct worker){ .fd = -1, .failures = &failures };
		ASSERT_EQ(0, pthread_create(&workers[i].thread, NULL,
					    ioctl_while_closed, &workers[i]));
	}
	for (i = 0; i < 500; i++) {
		int again;

		ASSERT_EQ(0, close(fd));
		/* Usually the lowest free number, fd again. Not always: libc
		 * itself may hold a descriptor for a moment in another thread
		 * (glibc's malloc reads /proc/sys/vm/overcommit_memory the
		 * first time a thread's arena shrinks). */
		again = open(i % 2 ? "/dev/iommu" : "/dev/null", O_RDWR);
		ASSERT_LE(0, again);
		reused += again == fd;
		fd = again;
		atomic_store(&reopened_fd, fd);
	}
	atomic_store(&racing, false);
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, pthread_join(workers[i].thread, NULL));
	ASSERT_EQ(0, atomic_load(&failures));
	/* the race this test is for: ioctls on a number closed and reused */
	ASSERT_LT(400, reused);
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
