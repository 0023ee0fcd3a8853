// SPDX-License-Identifier: MIT
/*
 * Accesses while their IOAS changes under them: one thread maps and
 * unmaps slots of memory again and again while others copy through an
 * access (ACCESS_RW), pin through another (ACCESS_PAGES, then
 * DESTROY_ACCESS_PAGES), and move a third between IOASes. Every call gets
 * an answer it could get alone: a copy or pin finds its slot mapped (0),
 * unmapped (ENOENT), or being unmapped (EINVAL); every UNMAP succeeds,
 * pins or not, because it makes the accesses let go; the bytes copied are
 * the slot's. At the end nothing is left pinned. `make check TSAN=1` runs
 * it under ThreadSanitizer.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "iommufd_utils.h"

#define NSLOTS 4 /* one per copying or pinning thread */
#define ROUNDS 600
#define PAGE page_size

struct shared {
	int fd;
	uint32_t ioas_id, empty_ioas_id;
	uint32_t copier, pinner, mover; /* access descriptors */
	uint64_t base;
	uint8_t *buf; /* NSLOTS pages, slot i at base + i * 2 pages */
	atomic_bool stop;
	atomic_int failures;
	atomic_int pins_made;
	atomic_int pins_dropped_by_unmap;
};

struct worker {
	struct shared *s;
	unsigned int slot;
};

static void fail(struct shared *s)
{
	atomic_fetch_add(&s->failures, 1);
}

static uint64_t slot_iova(const struct shared *s, unsigned int slot)
{
	return s->base + slot * 2 * PAGE;
}

/* What a copy or pin may meet while the slot comes and goes. */
static bool racing_answer(int rc)
{
	return rc == 0 || errno == ENOENT || errno == EINVAL;
}

/* Gives the pinners a moment to pin what was just mapped, so that most
 * UNMAPs meet a pin. */
static void wait_for_a_pin(struct shared *s)
{
	int before = atomic_load(&s->pins_made);

	for (unsigned int i = 0; i < 200 && atomic_load(&s->pins_made) == before;
	     i++)
		sched_yield();
}

static void *mapper_thread(void *arg)
{
	struct shared *s = arg;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		for (unsigned int slot = 0; slot < NSLOTS; slot++) {
			if (_test_ioctl_ioas_map_fixed(s->fd, s->ioas_id,
						       s->buf + slot * PAGE,
						       PAGE,
						       slot_iova(s, slot),
						       MAP_RW))
				fail(s);
		}
		wait_for_a_pin(s);
		for (unsigned int slot = 0; slot < NSLOTS; slot++) {
			uint64_t got = 0;

			if (_test_ioctl_ioas_unmap(s->fd, s->ioas_id,
						   slot_iova(s, slot), PAGE,
						   &got) ||
			    got != PAGE)
				fail(s);
		}
	}
	atomic_store(&s->stop, true);
	return NULL;
}

/* Writes a pattern into its slot through the access, reads it back. */
static void *copier_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	uint64_t iova = slot_iova(s, w->slot);
	uint8_t out[64], in[64];
	unsigned int round = 0;

	while (!atomic_load(&s->stop)) {
		uint64_t off = (round * 61) % (PAGE - sizeof(out));
		__u32 flags = (round & 1) ? MOCK_ACCESS_RW_SLOW_PATH : 0;
		int rc;

		memset(out, (int)(round + w->slot), sizeof(out));
		rc = _test_cmd_access_rw(s->fd, s->copier, iova + off, out,
					 sizeof(out),
					 flags | MOCK_ACCESS_RW_WRITE);
		if (!racing_answer(rc))
			fail(s);
		if (!rc) {
			/* only this thread writes the slot: a later read
			 * that succeeds sees it, mapped again or not */
			rc = _test_cmd_access_rw(s->fd, s->copier, iova + off,
						 in, sizeof(in), flags);
			if (!racing_answer(rc))
				fail(s);
			if (!rc && memcmp(in, out, sizeof(in)))
				fail(s);
		}
		round++;
	}
	return NULL;
}

static void *pinner_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	uint64_t iova = slot_iova(s, w->slot);

	while (!atomic_load(&s->stop)) {
		__u32 id;
		int rc;

		rc = _test_cmd_access_pages(s->fd, s->pinner, iova, PAGE,
					    s->buf + w->slot * PAGE,
					    MOCK_FLAGS_ACCESS_WRITE, &id);
		if (!racing_answer(rc))
			fail(s);
		if (rc)
			continue;
		atomic_fetch_add(&s->pins_made, 1);
		sched_yield();
		/* an UNMAP in between takes the pin away itself */
		rc = _test_cmd_destroy_access_pages(s->fd, s->pinner, id);
		if (rc && errno == ENOENT)
			atomic_fetch_add(&s->pins_dropped_by_unmap, 1);
		else if (rc)
			fail(s);
	}
	return NULL;
}

/* Moves an access back and forth between the busy IOAS and an empty one,
 * copying through it on the way. */
static void *mover_thread(void *arg)
{
	struct shared *s = arg;
	uint8_t tmp[16];

	while (!atomic_load(&s->stop)) {
		if (_test_cmd_access_replace_ioas(s->fd, s->mover,
						  s->empty_ioas_id))
			fail(s);
		if (!_test_cmd_access_rw(s->fd, s->mover, slot_iova(s, 0), tmp,
					 sizeof(tmp), 0) ||
		    errno != ENOENT)
			fail(s);
		if (_test_cmd_access_replace_ioas(s->fd, s->mover, s->ioas_id))
			fail(s);
		if (!racing_answer(_test_cmd_access_rw(s->fd, s->mover,
						       slot_iova(s, 0), tmp,
						       sizeof(tmp), 0)))
			fail(s);
	}
	return NULL;
}

FIXTURE(access_threads)
{
	struct shared s;
};

FIXTURE_VARIANT(access_threads)
{
	bool mock_domain;
};

FIXTURE_VARIANT_ADD(access_threads, no_domain)
{
	.mock_domain = false,
};

FIXTURE_VARIANT_ADD(access_threads, mock_domain)
{
	.mock_domain = true,
};

FIXTURE_SETUP(access_threads)
{
	struct shared *s = &self->s;

	s->fd = iommufd_open();
	ASSERT_NE(-1, s->fd);
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(s->fd, &s->ioas_id));
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(s->fd, &s->empty_ioas_id));
	if (variant->mock_domain)
		ASSERT_EQ(0, _test_cmd_mock_domain(s->fd, s->ioas_id, NULL,
						   NULL, NULL));
	ASSERT_EQ(0, _test_cmd_create_access(s->fd, s->ioas_id, &s->copier,
					     0));
	ASSERT_EQ(0, _test_cmd_create_access(
			     s->fd, s->ioas_id, &s->pinner,
			     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES));
	ASSERT_EQ(0, _test_cmd_create_access(s->fd, s->ioas_id, &s->mover,
					     0));
	s->base = APERTURE_START;
	s->buf = mmap_touched(NSLOTS * PAGE);
	ASSERT_NE(MAP_FAILED, s->buf);
}

FIXTURE_TEARDOWN(access_threads)
{
	struct shared *s = &self->s;

	ASSERT_EQ(0, _test_cmd_destroy_access(s->copier));
	ASSERT_EQ(0, _test_cmd_destroy_access(s->pinner));
	ASSERT_EQ(0, _test_cmd_destroy_access(s->mover));
	ASSERT_EQ(0, close(s->fd));
	test_no_pins(s->buf, NSLOTS * PAGE);
	munmap(s->buf, NSLOTS * PAGE);
}

TEST_F(access_threads, copy_and_pin_while_mapping_and_unmapping)
{
	struct shared *s = &self->s;
	pthread_t mapper, mover, copiers[NSLOTS / 2], pinners[NSLOTS / 2];
	struct worker workers[NSLOTS];
	uint64_t left = U64_MAX;

	for (unsigned int i = 0; i < NSLOTS; i++)
		workers[i] = (struct worker){ .s = s, .slot = i };
	for (unsigned int i = 0; i < NSLOTS / 2; i++) {
		ASSERT_EQ(0, pthread_create(&copiers[i], NULL, copier_thread,
					    &workers[i]));
		ASSERT_EQ(0, pthread_create(&pinners[i], NULL, pinner_thread,
					    &workers[NSLOTS / 2 + i]));
	}
	ASSERT_EQ(0, pthread_create(&mover, NULL, mover_thread, s));
	ASSERT_EQ(0, pthread_create(&mapper, NULL, mapper_thread, s));

	ASSERT_EQ(0, pthread_join(mapper, NULL));
	ASSERT_EQ(0, pthread_join(mover, NULL));
	for (unsigned int i = 0; i < NSLOTS / 2; i++) {
		ASSERT_EQ(0, pthread_join(copiers[i], NULL));
		ASSERT_EQ(0, pthread_join(pinners[i], NULL));
	}
	EXPECT_EQ(0, atomic_load(&s->failures));
	/* the mapper left nothing mapped, so nothing is pinned */
	ASSERT_EQ(0, _test_ioctl_ioas_unmap(s->fd, s->ioas_id, 0, U64_MAX,
					    &left));
	EXPECT_EQ(0, left);
	EXPECT_EQ(0, _test_cmd_md_check_refs(s->fd, s->buf, NSLOTS * PAGE, 0));
	printf("# %d pins were dropped by an UNMAP\n",
	       atomic_load(&s->pins_dropped_by_unmap));
}

TEST_HARNESS_MAIN
