// SPDX-License-Identifier: MIT
/*
 * DMA from several threads while others unmap and map stage 2, change the
 * guest's tables and invalidate, and move the device between HWPTs: the
 * engine's locking under ThreadSanitizer, and the promise that no DMA
 * reaches memory after UNMAP has returned (the mapper zeroes the victim
 * pages once UNMAP is back; a write seen there later broke it).
 *
 * Two devices: vfio0 through a guest's stage 1 (nested), vfio2 straight
 * through the IOAS (paging); both write the victim pages, which the
 * mapper takes away and gives back.
 */
#include <pthread.h>
#include <sched.h>

#include "dma_utils.h"

#define GVA 0x7f0000000000ull
#define GVA_VICTIM 0x7f0001000000ull
#define PAGE 4096ull
#define VICTIM_GPA 0x50000000ull
#define VICTIM_PAGES 16
#define ROUNDS 300

struct shared {
	int fd;
	__u32 ioas_id;
	int nested_vfd, paging_vfd;
	__u32 nested, other_nested;
	uint8_t *victim;
	struct guest g;
	bool stop;   /* __atomic */
	bool broken; /* __atomic: a write after UNMAP was seen */
	unsigned int done_dma; /* __atomic */
};

static bool stopping(struct shared *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static void *nested_dma(void *arg)
{
	struct shared *s = arg;
	uint64_t v = 0xa5a5a5a5a5a5a5a5ull, seed = 1;

	while (!stopping(s)) {
		uint64_t n = (seed = seed * 6364136223846793005ull + 1) >> 60;
		uint64_t gva = (seed & 1 ? GVA_VICTIM : GVA) + n * PAGE;
		int rc = _test_dma(s->nested_vfd,
				   seed & 2 ? IOMMUSIM_DMA_WRITE : 0, 0,
				   gva + 8, &v, 8, NULL);

		if (rc && errno != EIO)
			__atomic_store_n(&s->broken, true, __ATOMIC_RELEASE);
		__atomic_fetch_add(&s->done_dma, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *paging_dma(void *arg)
{
	struct shared *s = arg;
	uint64_t v = 0x5a5a5a5a5a5a5a5aull;
	unsigned int n = 0;

	while (!stopping(s)) {
		int rc = _test_dma(s->paging_vfd, IOMMUSIM_DMA_WRITE, 0,
				   VICTIM_GPA + (n++ % VICTIM_PAGES) * PAGE + 16,
				   &v, 8, NULL);

		if (rc && errno != EIO)
			__atomic_store_n(&s->broken, true, __ATOMIC_RELEASE);
	}
	return NULL;
}

static bool victim_zero(struct shared *s)
{
	for (size_t i = 0; i < VICTIM_PAGES * PAGE; i++)
		if (__atomic_load_n(&s->victim[i], __ATOMIC_RELAXED))
			return false;
	return true;
}

static void victim_clear(struct shared *s)
{
	for (size_t i = 0; i < VICTIM_PAGES * PAGE; i++)
		__atomic_store_n(&s->victim[i], 0, __ATOMIC_RELAXED);
}

/* Unmap, clear, let the others run, check nothing came; map again. */
static void *mapper(void *arg)
{
	struct shared *s = arg;

	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int seen = __atomic_load_n(&s->done_dma,
						    __ATOMIC_RELAXED);

		if (_test_ioctl_ioas_unmap(s->fd, s->ioas_id, VICTIM_GPA,
					   VICTIM_PAGES * PAGE, NULL))
			__atomic_store_n(&s->broken, true, __ATOMIC_RELEASE);
		victim_clear(s);
		while (__atomic_load_n(&s->done_dma, __ATOMIC_RELAXED) <
		       seen + 20)
			sched_yield();
		if (!victim_zero(s))
			__atomic_store_n(&s->broken, true, __ATOMIC_RELEASE);
		if (_test_ioctl_ioas_map_fixed(s->fd, s->ioas_id, s->victim,
					       VICTIM_PAGES * PAGE, VICTIM_GPA,
					       MAP_RW))
			__atomic_store_n(&s->broken, true, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Repoints data PTEs and invalidates: leaf, range, all. */
static void *invalidator(void *arg)
{
	struct shared *s = arg;
	struct iommu_hwpt_vtd_s1_invalidate inv = { 0 };

	for (unsigned int r = 0; !stopping(s); r++) {
		unsigned int n = r % 8;
		uint64_t *pte = guest_slot(&s->g, GVA + n * PAGE, 0);
		__u32 num = 1;

		__atomic_store_n(pte, guest_page(n + (r & 8 ? 8 : 0)) | X86_LEAF,
				 __ATOMIC_RELEASE);
		inv.addr = r % 3 == 2 ? 0 : GVA + n * PAGE;
		inv.npages = r % 3 == 2 ? U64_MAX : 1 + r % 2;
		inv.flags = r % 3 == 0 ? IOMMU_VTD_INV_FLAGS_LEAF : 0;
		if (_test_cmd_hwpt_invalidate(s->fd, s->nested, &inv,
					      IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					      sizeof(inv), &num))
			__atomic_store_n(&s->broken, true, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Moves the nested device between two HWPTs of the same tables. */
static void *replacer(void *arg)
{
	struct shared *s = arg;

	for (unsigned int r = 0; !stopping(s); r++) {
		if (dev_attach(s->nested_vfd, 0, 0,
			       r & 1 ? s->nested : s->other_nested))
			__atomic_store_n(&s->broken, true, __ATOMIC_RELEASE);
		sched_yield();
	}
	return NULL;
}

static __u32 nested_alloc(struct __test_metadata *_metadata, int fd,
			  __u32 devid, __u32 parent, uint64_t root)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = root, .addr_width = 48 };
	__u32 id = 0;

	EXPECT_EQ(0, _test_cmd_hwpt_alloc(fd, devid, parent, 0, 0,
					  IOMMU_HWPT_DATA_VTD_S1, &s1,
					  sizeof(s1), &id));
	return id;
}

TEST(dma_against_unmap_invalidate_replace)
{
	static struct shared s;
	pthread_t t[6];
	__u32 devid, devid2, parent;

	s.fd = iommufd_open();
	ASSERT_LE(0, s.fd);
	s.nested_vfd = vfio_cdev_open(DEV_FULL);
	s.paging_vfd = vfio_cdev_open(DEV_SMALL_TLB);
	ASSERT_LE(0, s.nested_vfd);
	ASSERT_LE(0, s.paging_vfd);
	ASSERT_EQ(0, _vfio_bind(s.nested_vfd, s.fd, &devid));
	ASSERT_EQ(0, _vfio_bind(s.paging_vfd, s.fd, &devid2));
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(s.fd, &s.ioas_id));
	s.victim = mmap_touched(VICTIM_PAGES * PAGE);
	ASSERT_NE(MAP_FAILED, s.victim);
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(s.fd, s.ioas_id, buffer,
						BUFFER_SIZE, GUEST_GPA, MAP_RW));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(s.fd, s.ioas_id, s.victim,
						VICTIM_PAGES * PAGE,
						VICTIM_GPA, MAP_RW));
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(s.fd, devid, s.ioas_id,
					  IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &parent));
	guest_init(&s.g);
	for (unsigned int n = 0; n < VICTIM_PAGES; n++) {
		guest_map(&s.g, GVA + n * PAGE, guest_page(n), 0, X86_LEAF);
		guest_map(&s.g, GVA_VICTIM + n * PAGE, VICTIM_GPA + n * PAGE, 0,
			  X86_LEAF);
	}
	s.nested = nested_alloc(_metadata, s.fd, devid, parent, s.g.root);
	s.other_nested = nested_alloc(_metadata, s.fd, devid, parent,
				      s.g.root);
	ASSERT_EQ(0, dev_attach(s.nested_vfd, 0, 0, s.nested));
	ASSERT_EQ(0, dev_attach(s.paging_vfd, 0, 0, s.ioas_id));

	ASSERT_EQ(0, pthread_create(&t[0], NULL, nested_dma, &s));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, nested_dma, &s));
	ASSERT_EQ(0, pthread_create(&t[2], NULL, paging_dma, &s));
	ASSERT_EQ(0, pthread_create(&t[3], NULL, invalidator, &s));
	ASSERT_EQ(0, pthread_create(&t[4], NULL, replacer, &s));
	ASSERT_EQ(0, pthread_create(&t[5], NULL, mapper, &s));
	pthread_join(t[5], NULL);
	__atomic_store_n(&s.stop, true, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	EXPECT_FALSE(__atomic_load_n(&s.broken, __ATOMIC_ACQUIRE));
	EXPECT_LT(ROUNDS * 20, s.done_dma);
	close(s.paging_vfd);
	close(s.nested_vfd);
	close(s.fd);
}

TEST_HARNESS_MAIN
