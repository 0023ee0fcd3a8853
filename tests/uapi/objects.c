// SPDX-License-Identifier: MIT
/*
 * Objects through the uAPI: IOMMU_IOAS_ALLOC, IOMMU_DESTROY, how IDs are
 * handed out (the kernel's xarray: lowest free from 1), contexts being
 * independent, closing with objects alive, threads and fork; and the
 * lifetime of the objects a device brings (IOAS, paging and nested HWPTs,
 * devices): every order of destruction, each object busy exactly while
 * another holds it, and closing with everything alive.
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

/* ========================================================================
 * Object lifetime: every order of destruction, and closing with all alive
 * ======================================================================== */


enum { OBJS = 4 };

struct topology {
	const char *names[OBJS];
	__u32 ids[OBJS];
	/* holders[i]: the objects that keep object i busy, as a bit mask */
	unsigned int holders[OBJS];
	/* the device IDs of the selftest objects, and which ones those are */
	__u32 idev_ids[2];
	unsigned int idev_owner[2];
};

/* IOAS <- NEST_PARENT HWPT <- nested HWPT <- device, with the buffer
 * mapped into the IOAS (so pinned through the parent). */
static void build_nested(struct __test_metadata *_metadata, int fd,
			 struct topology *t, void *buf, size_t len)
{
	__u32 ioas, parent, nested, stdev, idev, tmp_stdev;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

	ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(fd, ioas, buf, len,
						APERTURE_START, MAP_RW));
	/* a device to allocate with, gone again at once */
	ASSERT_EQ(0, _test_cmd_mock_domain(fd, ioas, &tmp_stdev, NULL, &idev));
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, idev, ioas,
					  IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &parent));
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, idev, parent, 0, 0,
					  IOMMU_HWPT_DATA_SELFTEST, &data,
					  sizeof(data), &nested));
	ASSERT_EQ(0, _test_ioctl_destroy(fd, tmp_stdev));
	ASSERT_EQ(0, _test_cmd_mock_domain(fd, nested, &stdev, NULL, &idev));

	*t = (struct topology){
		.names = { "ioas", "parent", "nested", "device" },
		.ids = { ioas, parent, nested, stdev },
		.holders = { 1u << 1, 1u << 2, 1u << 3, 0 },
		.idev_ids = { idev },
		.idev_owner = { 3 },
	};
}

/* IOAS <- user paging HWPT <- device 0, and IOAS <- automatic HWPT <-
 * device 1, with the buffer mapped (pinned once, for both domains). */
static void build_paging(struct __test_metadata *_metadata, int fd,
			 struct topology *t, void *buf, size_t len)
{
	__u32 ioas, hwpt, stdev0, stdev1, idev0, idev1, tmp_stdev, tmp_idev;

	ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(fd, ioas, buf, len,
						APERTURE_START, MAP_RW));
	ASSERT_EQ(0, _test_cmd_mock_domain(fd, ioas, &tmp_stdev, NULL,
					   &tmp_idev));
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, tmp_idev, ioas, 0, 0,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &hwpt));
	ASSERT_EQ(0, _test_ioctl_destroy(fd, tmp_stdev));
	ASSERT_EQ(0, _test_cmd_mock_domain(fd, hwpt, &stdev0, NULL, &idev0));
	ASSERT_EQ(0, _test_cmd_mock_domain(fd, ioas, &stdev1, NULL, &idev1));

	*t = (struct topology){
		.names = { "ioas", "hwpt", "device0", "device1" },
		.ids = { ioas, hwpt, stdev0, stdev1 },
		.holders = { (1u << 1) | (1u << 3), 1u << 2, 0, 0 },
		.idev_ids = { idev0, idev1 },
		.idev_owner = { 2, 3 },
	};
}

/* Tries to destroy the objects in the order perm[], pass after pass, until
 * none is left: each must be EBUSY exactly while one of its holders is
 * alive. A bound device object is never the user's to destroy. */
static void destroy_in_order(struct __test_metadata *_metadata, int fd,
			     const struct topology *t, const unsigned int *perm)
{
	unsigned int alive = (1u << OBJS) - 1;

	while (alive) {
		for (unsigned int k = 0; k < OBJS; k++) {
			unsigned int i = perm[k];
			int rc;

			if (!(alive & (1u << i)))
				continue;
			for (unsigned int d = 0; d < 2; d++)
				if (t->idev_ids[d] &&
				    (alive & (1u << t->idev_owner[d])))
					EXPECT_ERRNO(EBUSY,
						     _test_ioctl_destroy(
							     fd,
							     t->idev_ids[d]));
			rc = _test_ioctl_destroy(fd, t->ids[i]);
			if (alive & t->holders[i]) {
				if (rc != -1 || errno != EBUSY)
					printf("# %s: destroy gave %d/%d while "
					       "held\n",
					       t->names[i], rc, errno);
				EXPECT_ERRNO(EBUSY, rc);
			} else {
				if (rc)
					printf("# %s: destroy failed: %d\n",
					       t->names[i], errno);
				ASSERT_EQ(0, rc);
				alive &= ~(1u << i);
				EXPECT_ERRNO(ENOENT, _test_ioctl_destroy(
							     fd, t->ids[i]));
			}
		}
	}
	/* the devices went with their selftest objects */
	for (unsigned int d = 0; d < 2; d++)
		if (t->idev_ids[d])
			EXPECT_ERRNO(ENOENT,
				     _test_ioctl_destroy(fd, t->idev_ids[d]));
}

/* Builds a fresh topology in a fresh context for each of the 24 orders
 * of its four objects, and destroys it in that order. */
static void for_each_order(struct __test_metadata *_metadata,
			   void (*build)(struct __test_metadata *, int,
					 struct topology *, void *, size_t),
			   void *buf, size_t len)
{
	unsigned int perm[OBJS] = { 0, 1, 2, 3 };

	for (;;) {
		struct topology t;
		int fd = iommufd_open();
		int i, j;

		ASSERT_NE(-1, fd);
		build(_metadata, fd, &t, buf, len);
		EXPECT_EQ(0, _test_cmd_md_check_refs(fd, buf, len, 1));
		destroy_in_order(_metadata, fd, &t, perm);
		/* nothing holds the pages any more */
		EXPECT_EQ(0, _test_cmd_md_check_refs(fd, buf, len, 0));
		EXPECT_EQ(0, close(fd));
		if (_metadata->result->failed) {
			printf("# order: %s %s %s %s\n", t.names[perm[0]],
			       t.names[perm[1]], t.names[perm[2]],
			       t.names[perm[3]]);
			return;
		}

		/* next permutation, lexicographic */
		for (i = OBJS - 2; i >= 0 && perm[i] > perm[i + 1]; i--)
			;
		if (i < 0)
			break;
		for (j = OBJS - 1; perm[j] < perm[i]; j--)
			;
		unsigned int tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
		for (int a = i + 1, b = OBJS - 1; a < b; a++, b--) {
			tmp = perm[a];
			perm[a] = perm[b];
			perm[b] = tmp;
		}
	}
}

FIXTURE(lifetime)
{
	uint8_t *buf;
	size_t buf_size;
};

FIXTURE_SETUP(lifetime)
{
	self->buf_size = 4 * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(lifetime)
{
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

TEST_F(lifetime, nested_topology_every_destroy_order)
{
	for_each_order(_metadata, build_nested, self->buf, self->buf_size);
}

TEST_F(lifetime, paging_topology_every_destroy_order)
{
	for_each_order(_metadata, build_paging, self->buf, self->buf_size);
}

TEST_F(lifetime, close_with_everything_alive)
{
	struct topology t;
	__u32 dirty, nested2, stdev;
	int fd = iommufd_open();

	ASSERT_NE(-1, fd);
	build_nested(_metadata, fd, &t, self->buf, self->buf_size);
	/* more on the same IOAS: a dirty-tracking HWPT with tracking on, a
	 * second nested HWPT, a device through the automatic HWPT, and the
	 * same memory mapped a second time */
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, t.idev_ids[0], t.ids[0],
					  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &dirty));
	ASSERT_EQ(0, _test_cmd_set_dirty_tracking(
			     fd, dirty, IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	{
		struct iommu_hwpt_selftest data = { .iotlb = 1 };

		ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, t.idev_ids[0], t.ids[1],
						  0, 0,
						  IOMMU_HWPT_DATA_SELFTEST,
						  &data, sizeof(data),
						  &nested2));
	}
	ASSERT_EQ(0, _test_cmd_mock_domain(fd, t.ids[0], &stdev, NULL, NULL));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(fd, t.ids[0], self->buf,
						self->buf_size,
						APERTURE_START + 64 * PSZ,
						MAP_RW));
	EXPECT_EQ(0, _test_cmd_md_check_refs(fd, self->buf, self->buf_size, 2));
	/* close destroys everything, leaves first; the teardown checks
	 * from a fresh context that nothing is pinned */
	EXPECT_EQ(0, close(fd));
}

TEST_F(lifetime, close_with_a_second_context_alive)
{
	struct topology t;
	int fd1 = iommufd_open(), fd2 = iommufd_open();

	ASSERT_NE(-1, fd1);
	ASSERT_NE(-1, fd2);
	build_paging(_metadata, fd1, &t, self->buf, self->buf_size);
	build_nested(_metadata, fd2, &t, self->buf, self->buf_size);
	/* two contexts, two iopt_pages: two pins */
	EXPECT_EQ(0, _test_cmd_md_check_refs(fd1, self->buf, self->buf_size,
					     2));
	EXPECT_EQ(0, close(fd1));
	EXPECT_EQ(0, _test_cmd_md_check_refs(fd2, self->buf, self->buf_size,
					     1));
	/* the second context's objects are untouched */
	EXPECT_ERRNO(EBUSY, _test_ioctl_destroy(fd2, t.ids[0]));
	EXPECT_EQ(0, close(fd2));
}

TEST_HARNESS_MAIN
