// SPDX-License-Identifier: MIT
/*
 * HWPTs under concurrent use of their IOAS: dirty bitmaps read while the
 * IOAS's alignment is recomputed, and paging HWPTs allocated and destroyed
 * side by side on one IOAS (each destroy unlinks its HWPT from the IOAS's
 * list while others link and unlink theirs). Every call gets the answer it
 * would get alone; `make check TSAN=1` checks the locking behind it.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "iommufd_utils.h"

#define NTHREADS 4
#define ROUNDS 2000
#define PAGE 4096ull

struct shared {
	int fd;
	uint32_t ioas_id, idev_id, hwpt_id;
	uint64_t iova;
	atomic_int failures;
	atomic_bool stop;
};

static void fail(struct shared *s)
{
	atomic_fetch_add(&s->failures, 1);
}

FIXTURE(hwpt_threads)
{
	int fd;
	uint32_t ioas_id, stdev_id, hwpt_id, idev_id;
	void *buf;
	struct shared s;
};

FIXTURE_SETUP(hwpt_threads)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, &self->stdev_id, &self->hwpt_id,
			     &self->idev_id);
	self->buf = mmap_touched(PAGE);
	ASSERT_NONNULL(self->buf);
	self->s = (struct shared){
		.fd = self->fd,
		.ioas_id = self->ioas_id,
		.idev_id = self->idev_id,
	};
}

FIXTURE_TEARDOWN(hwpt_threads)
{
	munmap(self->buf, PAGE);
	ASSERT_EQ(0, close(self->fd));
}

static void run_threads(struct __test_metadata *_metadata, struct shared *s,
			void *(*fn)(void *), unsigned int n)
{
	pthread_t threads[NTHREADS];

	for (unsigned int i = 0; i < n; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, fn, s));
	for (unsigned int i = 0; i < n; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	EXPECT_EQ(0, atomic_load(&s->failures));
}

/* ---- GET_DIRTY_BITMAP against IOMMU_OPTION_HUGE_PAGES --------------------- */

static void *read_dirty(void *arg)
{
	struct shared *s = arg;
	uint64_t bitmap;

	for (unsigned int i = 0; i < ROUNDS; i++)
		if (_test_cmd_get_dirty_bitmap(s->fd, s->hwpt_id, s->iova, PAGE,
					       PAGE, &bitmap, 0))
			fail(s);
	atomic_store(&s->stop, true);
	return NULL;
}

/* Setting HUGE_PAGES recomputes the IOAS's alignment, whatever its value. */
static void *recompute_alignment(void *arg)
{
	struct shared *s = arg;

	while (!atomic_load(&s->stop)) {
		__u64 on = 1;

		if (_test_ioctl_option(s->fd, IOMMU_OPTION_HUGE_PAGES,
				       IOMMU_OPTION_OP_SET, s->ioas_id, &on))
			fail(s);
	}
	return NULL;
}

TEST_F(hwpt_threads, dirty_bitmap_while_alignment_is_recomputed)
{
	pthread_t reader, writer;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &self->s.hwpt_id);
	self->s.iova = MOCK_APERTURE_START;
	test_ioctl_ioas_map_fixed(self->buf, PAGE, self->s.iova);
	test_cmd_set_dirty_tracking(self->s.hwpt_id, true);

	ASSERT_EQ(0, pthread_create(&writer, NULL, recompute_alignment,
				    &self->s));
	ASSERT_EQ(0, pthread_create(&reader, NULL, read_dirty, &self->s));
	ASSERT_EQ(0, pthread_join(reader, NULL));
	ASSERT_EQ(0, pthread_join(writer, NULL));
	EXPECT_EQ(0, atomic_load(&self->s.failures));
}

/* ---- HWPT_ALLOC and DESTROY side by side on one IOAS -------------------- */

static void *alloc_and_destroy(void *arg)
{
	struct shared *s = arg;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint32_t hwpt_id;

		if (_test_cmd_hwpt_alloc(s->fd, s->idev_id, s->ioas_id, 0, 0,
					 IOMMU_HWPT_DATA_NONE, NULL, 0,
					 &hwpt_id)) {
			fail(s);
			continue;
		}
		if (_test_ioctl_destroy(s->fd, hwpt_id))
			fail(s);
	}
	return NULL;
}

TEST_F(hwpt_threads, paging_hwpts_come_and_go_on_one_ioas)
{
	run_threads(_metadata, &self->s, alloc_and_destroy, NTHREADS);
	/* only the mock domain's automatic HWPT holds the IOAS now */
	test_err_destroy(EBUSY, self->ioas_id);
	test_ioctl_destroy(self->stdev_id);
	test_ioctl_destroy(self->ioas_id);
}

TEST_HARNESS_MAIN
