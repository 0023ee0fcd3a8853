// SPDX-License-Identifier: MIT
/*
 * Concurrent MAP, UNMAP and COPY on one IOAS and on several, from many
 * threads: every call gets the answer it would get alone, and what is left
 * at the end is exactly what the threads left. Run under TSan by
 * `make check TSAN=1`.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#include "iommufd_utils.h"

#define NTHREADS 8
#define ROUNDS 3000
#define PAGE 4096ull
#define REGION (1ull << 30) /* each thread's own IOVA region */

struct shared {
	int fd;
	uint32_t ioas[NTHREADS];
	uint32_t src_ioas;
	uint64_t src_iova;
	void *buf;
	atomic_int failures;
};

struct worker {
	struct shared *s;
	unsigned int index;
	uint32_t ioas; /* where this thread maps */
};

/* The calls every thread makes: a readable-writeable map at iova, and an
 * automatically placed readable copy. */
static int map_fixed(int fd, uint32_t ioas, void *buf, uint64_t iova,
		     uint64_t length)
{
	return _test_ioctl_ioas_map_fixed(fd, ioas, buf, length, iova, MAP_RW);
}

static int copy_auto(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
		     uint64_t length, __u64 *dst_iova)
{
	*dst_iova = 0;
	return _test_ioctl_ioas_copy(fd, IOMMU_IOAS_MAP_READABLE, dst, dst_iova,
				     src, src_iova, length);
}

/* Whether the unmap of the page at iova unmapped exactly that page. */
static bool unmap_page(int fd, uint32_t ioas, uint64_t iova)
{
	uint64_t got = 0;

	return !_test_ioctl_ioas_unmap(fd, ioas, iova, PAGE, &got) &&
	       got == PAGE;
}

static void fail(struct shared *s)
{
	atomic_fetch_add(&s->failures, 1);
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	uint64_t base = REGION * (w->index + 1);

	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint64_t iova = base + (i % 64) * 2 * PAGE;
		__u64 dst;

		if (map_fixed(s->fd, w->ioas, s->buf, iova, PAGE))
			fail(s);
		/* the same IOVA again is taken, whoever else is busy */
		if (!map_fixed(s->fd, w->ioas, s->buf, iova, PAGE) ||
		    errno != EEXIST)
			fail(s);
		if (copy_auto(s->fd, w->ioas, s->src_ioas, s->src_iova, PAGE,
			      &dst))
			fail(s);
		else if (!unmap_page(s->fd, w->ioas, dst))
			fail(s);
		if (!unmap_page(s->fd, w->ioas, iova))
			fail(s);
	}
	return NULL;
}

FIXTURE(ioas_threads)
{
	struct shared s;
};

FIXTURE_SETUP(ioas_threads)
{
	self->s.fd = iommufd_open();
	ASSERT_NE(-1, self->s.fd);
	self->s.buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->s.buf);
	for (unsigned int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, _test_ioctl_ioas_alloc(self->s.fd,
						    &self->s.ioas[i]));
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(self->s.fd, &self->s.src_ioas));
	self->s.src_iova = 1ull << 40;
	ASSERT_EQ(0, map_fixed(self->s.fd, self->s.src_ioas, self->s.buf,
			       self->s.src_iova, PAGE));
}

FIXTURE_TEARDOWN(ioas_threads)
{
	munmap(self->s.buf, PAGE);
	ASSERT_EQ(0, close(self->s.fd));
}

static void run_workers(struct __test_metadata *_metadata, struct shared *s,
			bool own_ioas)
{
	pthread_t threads[NTHREADS];
	struct worker workers[NTHREADS];

	for (unsigned int i = 0; i < NTHREADS; i++) {
		workers[i] = (struct worker){
			.s = s,
			.index = i,
			.ioas = own_ioas ? s->ioas[i] : s->ioas[0],
		};
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, worker_thread,
					    &workers[i]));
	}
	for (unsigned int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	EXPECT_EQ(0, atomic_load(&s->failures));
}

static uint64_t unmap_everything(int fd, uint32_t ioas)
{
	uint64_t got = UINT64_MAX;

	if (_test_ioctl_ioas_unmap(fd, ioas, 0, UINT64_MAX, &got))
		return UINT64_MAX;
	return got;
}

TEST_F(ioas_threads, one_ioas_many_threads)
{
	run_workers(_metadata, &self->s, false);
	/* every thread cleaned up after itself */
	EXPECT_EQ(0, unmap_everything(self->s.fd, self->s.ioas[0]));
	/* the shared source is intact */
	EXPECT_EQ(PAGE, unmap_everything(self->s.fd, self->s.src_ioas));
}

TEST_F(ioas_threads, one_ioas_per_thread)
{
	run_workers(_metadata, &self->s, true);
	for (unsigned int i = 0; i < NTHREADS; i++)
		EXPECT_EQ(0, unmap_everything(self->s.fd, self->s.ioas[i]));
	EXPECT_EQ(PAGE, unmap_everything(self->s.fd, self->s.src_ioas));
}

static void *destroyer_thread(void *arg)
{
	struct shared *s = arg;

	/* Destroying the source while COPYs run: each destroy either wins
	 * (later COPYs get ENOENT) or loses with EBUSY. */
	for (unsigned int i = 0; i < 1000; i++) {
		struct iommu_destroy cmd = {
			.size = sizeof(cmd),
			.id = s->src_ioas,
		};

		if (!ioctl(s->fd, IOMMU_DESTROY, &cmd))
			return (void *)1;
		if (errno != EBUSY)
			fail(s);
	}
	return NULL;
}

static void *copier_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		__u64 dst;

		if (copy_auto(s->fd, w->ioas, s->src_ioas, s->src_iova, PAGE,
			      &dst)) {
			if (errno != ENOENT)
				fail(s);
			continue;
		}
		if (!unmap_page(s->fd, w->ioas, dst))
			fail(s);
	}
	return NULL;
}

TEST_F(ioas_threads, destroy_source_while_copying)
{
	pthread_t copiers[4], destroyer;
	struct worker workers[4];
	void *destroyed = NULL;

	for (unsigned int i = 0; i < 4; i++) {
		workers[i] = (struct worker){ .s = &self->s, .index = i,
					      .ioas = self->s.ioas[i] };
		ASSERT_EQ(0, pthread_create(&copiers[i], NULL, copier_thread,
					    &workers[i]));
	}
	ASSERT_EQ(0, pthread_create(&destroyer, NULL, destroyer_thread,
				    &self->s));
	ASSERT_EQ(0, pthread_join(destroyer, &destroyed));
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(copiers[i], NULL));
	EXPECT_EQ(0, atomic_load(&self->s.failures));
	for (unsigned int i = 0; i < 4; i++)
		EXPECT_EQ(0, unmap_everything(self->s.fd, self->s.ioas[i]));
	/* If the destroyer never won, the source is still there. */
	if (!destroyed)
		EXPECT_EQ(PAGE, unmap_everything(self->s.fd, self->s.src_ioas));
}

TEST_HARNESS_MAIN
