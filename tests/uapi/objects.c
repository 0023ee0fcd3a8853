// SPDX-License-Identifier: MIT
/*
 * Objects through the uAPI: IOMMU_IOAS_ALLOC, IOMMU_DESTROY, how IDs are
 * handed out (the kernel's xarray: lowest free from 1), contexts being
 * independent, closing with objects alive, threads and fork.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "iommufd_utils.h"

FIXTURE(objects)
{
	int fd;
};

FIXTURE_SETUP(objects)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
}

FIXTURE_TEARDOWN(objects)
{
	ASSERT_EQ(0, close(self->fd));
}

TEST_F(objects, ioas_alloc_and_destroy)
{
	__u32 ioas_id;

	test_ioctl_ioas_alloc(&ioas_id);
	EXPECT_EQ(1, ioas_id);
	test_ioctl_destroy(ioas_id);
	test_err_destroy(ENOENT, ioas_id);
}

TEST_F(objects, ioas_alloc_unknown_flags_is_eopnotsupp)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	__u32 id;

	for (unsigned int bit = 0; bit < 32; bit++) {
		cmd.flags = 1u << bit;
		cmd.out_ioas_id = 0x5555;
		EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
		/* nothing was written back */
		EXPECT_EQ(0x5555, cmd.out_ioas_id);
	}
	/* and no ID was used up */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(1, id);
}

TEST_F(objects, ids_are_lowest_free_from_one)
{
	__u32 ids[8], id;

	for (unsigned int i = 0; i < 8; i++) {
		test_ioctl_ioas_alloc(&ids[i]);
		EXPECT_EQ(i + 1, ids[i]);
	}
	test_ioctl_destroy(ids[5]);
	test_ioctl_destroy(ids[2]);
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(3, id);
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(6, id);
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(9, id);
}

TEST_F(objects, many_ids)
{
	const unsigned int n = 5000;
	__u32 id;

	/* crosses several growth steps of the table */
	for (unsigned int i = 1; i <= n; i++) {
		test_ioctl_ioas_alloc(&id);
		ASSERT_EQ(i, id);
	}
	for (unsigned int i = 2; i <= n; i += 2)
		test_ioctl_destroy(i);
	for (unsigned int i = 2; i <= n; i += 2) {
		test_ioctl_ioas_alloc(&id);
		ASSERT_EQ(i, id);
	}
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(n + 1, id);
}

TEST_F(objects, destroy_of_nothing_is_enoent)
{
	test_err_destroy(ENOENT, 0);
	test_err_destroy(ENOENT, 1);
	test_err_destroy(ENOENT, 0x7fffffff);
	test_err_destroy(ENOENT, 0x80000000);
	test_err_destroy(ENOENT, 0xffffffff);
}

TEST_F(objects, contexts_are_independent)
{
	int other = iommufd_open();
	__u32 a, b;

	ASSERT_NE(-1, other);
	test_ioctl_ioas_alloc(&a);
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(other, &b));
	/* both start at 1: IDs are per context */
	EXPECT_EQ(1, a);
	EXPECT_EQ(1, b);
	ASSERT_EQ(0, _test_ioctl_destroy(other, b));
	EXPECT_ERRNO(ENOENT, _test_ioctl_destroy(other, b));
	/* ours is untouched */
	test_ioctl_destroy(a);
	ASSERT_EQ(0, close(other));
}

TEST_F(objects, close_with_live_objects)
{
	int other = iommufd_open();
	__u32 id;

	ASSERT_NE(-1, other);
	for (unsigned int i = 0; i < 100; i++)
		ASSERT_EQ(0, _test_ioctl_ioas_alloc(other, &id));
	/* closing destroys them all; the sanitizer run checks for leaks */
	ASSERT_EQ(0, close(other));
}

#define NTHREADS 8
#define ROUNDS 2000

struct hammer {
	int fd;
	atomic_int failures;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		__u32 id = 0;

		if (_test_ioctl_ioas_alloc(h->fd, &id) || !id) {
			atomic_fetch_add(&h->failures, 1);
			continue;
		}
		if (_test_ioctl_destroy(h->fd, id))
			atomic_fetch_add(&h->failures, 1);
	}
	return NULL;
}

TEST_F(objects, threads_hammer_alloc_and_destroy)
{
	pthread_t threads[NTHREADS];
	struct hammer h = { .fd = self->fd };
	__u32 id;

	for (unsigned int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, hammer_thread,
					    &h));
	for (unsigned int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	EXPECT_EQ(0, atomic_load(&h.failures));
	/* every ID came back */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(1, id);
}

struct racer {
	int fd;
	atomic_uint next_id;
	atomic_int destroyed, enoent, ebusy, other;
};

static void *destroy_racer(void *arg)
{
	struct racer *r = arg;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		unsigned int id = 1 + i % 64;

		if (!_test_ioctl_destroy(r->fd, id))
			atomic_fetch_add(&r->destroyed, 1);
		else if (errno == ENOENT)
			atomic_fetch_add(&r->enoent, 1);
		else if (errno == EBUSY)
			atomic_fetch_add(&r->ebusy, 1);
		else
			atomic_fetch_add(&r->other, 1);
	}
	return NULL;
}

TEST_F(objects, threads_race_to_destroy_the_same_ids)
{
	pthread_t threads[NTHREADS];
	struct racer r = { .fd = self->fd };
	__u32 id;

	for (unsigned int i = 0; i < 64; i++)
		test_ioctl_ioas_alloc(&id);
	for (unsigned int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, destroy_racer,
					    &r));
	for (unsigned int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	/* each object dies exactly once; the losers see ENOENT or EBUSY */
	EXPECT_EQ(64, atomic_load(&r.destroyed));
	EXPECT_EQ(0, atomic_load(&r.other));
	EXPECT_EQ(NTHREADS * ROUNDS - 64,
		  atomic_load(&r.enoent) + atomic_load(&r.ebusy));
}

TEST_F(objects, fork_gives_each_side_its_own_context)
{
	__u32 before, id = 0;
	int status;
	pid_t pid;

	test_ioctl_ioas_alloc(&before);
	pid = fork();
	ASSERT_NE(-1, pid);
	if (pid == 0) {
		/* The child's copy has the object made before fork. */
		int bad = 0;

		if (_test_ioctl_ioas_alloc(self->fd, &id) || id != 2)
			bad |= 1;
		if (_test_ioctl_destroy(self->fd, before))
			bad |= 2;
		if (_test_ioctl_destroy(self->fd, id))
			bad |= 4;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent's context did not see the child's changes. */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(2, id);
	test_ioctl_destroy(before);
	test_ioctl_destroy(id);
}

static void *fork_during_ioctls_thread(void *arg)
{
	struct hammer *h = arg;

	hammer_thread(h);
	return NULL;
}

TEST_F(objects, fork_while_other_threads_run_ioctls)
{
	pthread_t threads[4];
	struct hammer h = { .fd = self->fd };

	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL,
					    fork_during_ioctls_thread, &h));
	for (unsigned int round = 0; round < 20; round++) {
		int status;
		pid_t pid = fork();

		ASSERT_NE(-1, pid);
		if (pid == 0) {
			/* No lock of the core may be stuck in the child. */
			__u32 id = 0;
			int bad = _test_ioctl_ioas_alloc(self->fd, &id) ||
				  _test_ioctl_destroy(self->fd, id);

			_exit(bad);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	EXPECT_EQ(0, atomic_load(&h.failures));
}

static int atfork_fd = -1;
static int atfork_child_result = -1;

/* Registered before the library's own handlers, so in the child it runs
 * while the library still has its fork gate closed. */
static void atfork_child_calls_in(void)
{
	__u32 id = 0;

	atfork_child_result = _test_ioctl_ioas_alloc(atfork_fd, &id);
}

TEST(atfork_handler_may_call_in_during_fork)
{
	int status;
	pid_t pid;

	/* In this test's own process nothing has opened /dev/iommu yet. */
	ASSERT_EQ(0, pthread_atfork(NULL, NULL, atfork_child_calls_in));
	atfork_fd = iommufd_open();
	ASSERT_NE(-1, atfork_fd);
	pid = fork();
	ASSERT_NE(-1, pid);
	if (pid == 0)
		_exit(atfork_child_result == 0 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
