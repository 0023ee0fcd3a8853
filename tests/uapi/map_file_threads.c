// SPDX-License-Identifier: MIT
/*
 * File and dma-buf mappings from several threads at once, with mock
 * domains attached: threads map and unmap a memfd and a dma-buf while
 * another revokes the dma-buf and lets it go again, another asks for
 * IOMMU_IOAS_CHANGE_PROCESS, and another attaches and detaches a mock
 * device. Each call gets one of the answers it could get alone; at the end
 * nothing is mapped and nothing of the memfd is pinned. Run under TSan by
 * `make check TSAN=1`.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "map_file_utils.h"

#define ROUNDS 400
#define MAPPERS 2
#define SIZE (16 * 4096)

struct shared {
	int fd;
	__u32 ioas_id;
	int mfd, dfd;
	atomic_int failures;
	atomic_bool done;
};

struct mapper {
	struct shared *s;
	unsigned int index;
};

static void fail(struct shared *s, const char *what)
{
	fprintf(stderr, "# %s: %s\n", what, strerror(errno));
	atomic_fetch_add(&s->failures, 1);
}

/* Maps and unmaps, at its own IOVAs inside the mock's aperture, the memfd
 * (which must always work) and the dma-buf (ENODEV while revoked). */
static void *mapper_thread(void *arg)
{
	struct mapper *m = arg;
	struct shared *s = m->s;
	__u64 base = APERTURE_START + (m->index + 1) * (1ull << 24);

	for (unsigned int i = 0; i < ROUNDS; i++) {
		__u64 iova = base, diova = base + SIZE;

		if (_test_ioctl_ioas_map_file(s->fd, s->ioas_id, s->mfd, 0,
					      SIZE, &iova,
					      MAP_RW | MAP_FIXED_IOVA))
			fail(s, "map_file(memfd)");
		else if (_test_ioctl_ioas_unmap(s->fd, s->ioas_id, iova, SIZE,
						NULL))
			fail(s, "unmap(memfd)");
		if (_test_ioctl_ioas_map_file(s->fd, s->ioas_id, s->dfd, 0,
					      4 * 4096, &diova,
					      MAP_RW | MAP_FIXED_IOVA)) {
			if (errno != ENODEV)
				fail(s, "map_file(dma-buf)");
		} else if (_test_ioctl_ioas_unmap(s->fd, s->ioas_id, diova,
						  4 * 4096, NULL)) {
			fail(s, "unmap(dma-buf)");
		}
	}
	return NULL;
}

/* Revokes and lets go, until the mappers are done. */
static void *revoker_thread(void *arg)
{
	struct shared *s = arg;
	bool revoked = true;

	while (!atomic_load(&s->done)) {
		if (_test_cmd_revoke_dmabuf(s->fd, s->dfd, revoked))
			fail(s, "revoke");
		revoked = !revoked;
	}
	if (_test_cmd_revoke_dmabuf(s->fd, s->dfd, false))
		fail(s, "revoke");
	return NULL;
}

/* CHANGE_PROCESS: 0 while only file mappings exist, EINVAL while one of
 * the dma-buf's does. */
static void *changer_thread(void *arg)
{
	struct shared *s = arg;

	while (!atomic_load(&s->done))
		if (_test_ioctl_ioas_change_process(s->fd, 0) &&
		    errno != EINVAL)
			fail(s, "change_process");
	return NULL;
}

/* A second mock device comes and goes: each time it is filled from what
 * is mapped, revoked dma-buf areas left out. */
static void *attacher_thread(void *arg)
{
	struct shared *s = arg;

	while (!atomic_load(&s->done)) {
		__u32 stdev_id;

		if (_test_cmd_mock_domain(s->fd, s->ioas_id, &stdev_id, NULL,
					  NULL))
			fail(s, "mock_domain");
		else if (_test_ioctl_destroy(s->fd, stdev_id))
			fail(s, "destroy");
	}
	return NULL;
}

FIXTURE(map_file_threads)
{
	struct shared s;
	uint8_t *mfd_buf;
};

FIXTURE_SETUP(map_file_threads)
{
	__u32 stdev_id;

	self->s.fd = iommufd_open();
	ASSERT_NE(-1, self->s.fd);
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(self->s.fd, &self->s.ioas_id));
	ASSERT_EQ(0, _test_cmd_mock_domain(self->s.fd, self->s.ioas_id,
					   &stdev_id, NULL, NULL));
	self->mfd_buf = memfd_mmap(SIZE, MFD_CLOEXEC, &self->s.mfd);
	ASSERT_NE(MAP_FAILED, self->mfd_buf);
	ASSERT_EQ(0, _test_cmd_get_dmabuf(self->s.fd, 4 * 4096, &self->s.dfd));
}

FIXTURE_TEARDOWN(map_file_threads)
{
	close(self->s.dfd);
	EXPECT_EQ(0, close(self->s.fd));
	test_no_pins(self->mfd_buf, SIZE);
	munmap(self->mfd_buf, SIZE);
	close(self->s.mfd);
}

TEST_F(map_file_threads, revoke_map_change_attach)
{
	pthread_t mappers[MAPPERS], revoker, changer, attacher;
	struct mapper m[MAPPERS];
	uint64_t unmapped = 1;

	for (unsigned int i = 0; i < MAPPERS; i++) {
		m[i] = (struct mapper){ &self->s, i };
		ASSERT_EQ(0, pthread_create(&mappers[i], NULL, mapper_thread,
					    &m[i]));
	}
	ASSERT_EQ(0, pthread_create(&revoker, NULL, revoker_thread, &self->s));
	ASSERT_EQ(0, pthread_create(&changer, NULL, changer_thread, &self->s));
	ASSERT_EQ(0,
		  pthread_create(&attacher, NULL, attacher_thread, &self->s));
	for (unsigned int i = 0; i < MAPPERS; i++)
		pthread_join(mappers[i], NULL);
	atomic_store(&self->s.done, true);
	pthread_join(revoker, NULL);
	pthread_join(changer, NULL);
	pthread_join(attacher, NULL);
	EXPECT_EQ(0, atomic_load(&self->s.failures));

	/* nothing is left mapped: unmapping everything finds nothing */
	EXPECT_EQ(0, _test_ioctl_ioas_unmap(self->s.fd, self->s.ioas_id, 0,
					    U64_MAX, &unmapped));
	EXPECT_EQ(0u, unmapped);
	EXPECT_EQ(0, _test_cmd_md_check_refs(self->s.fd, self->mfd_buf, SIZE,
					     0));
}

TEST_HARNESS_MAIN
