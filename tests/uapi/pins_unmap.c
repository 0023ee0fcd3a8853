// SPDX-License-Identifier: MIT
/*
 * Pinned memory outlives munmap(), as on the kernel: a pin holds the pages,
 * not the program's address. After the program unmaps memory a domain maps
 * (munmap(), mmap(MAP_FIXED) over it, an mremap() that shrinks or moves
 * it), the devices go on reading and writing the very pages they had, until
 * IOMMU_IOAS_UNMAP or the last detach; the program's address is free for
 * whatever it maps next, which no device sees. mremap() moves the pins with
 * the memory. MD_CHECK_MAP against the new memory is EINVAL and
 * MD_CHECK_REFS counts none of it, as on Linux 6.12. shmdt() of a SysV
 * segment is a munmap() of it: the pinned pages stay the segment's.
 */
#include <sys/shm.h>

#include "pins_utils.h"

TEST_F(pins, munmap_leaves_the_device_its_pages)
{
	uint8_t w[LEN];

	attach_device();
	ASSERT_EQ(0, munmap(self->mem, LEN));
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x5a));
	expect_device_sees(LEN, 0xa5);
	/* the device writes its pages, not the program's new memory */
	memset(w, 0x11, sizeof(w));
	test_dma_write(self->vfd, IOVA, w, LEN);
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0x5a));
	expect_device_sees(LEN, 0x11);
	/* until the IOVA is unmapped */
	test_ioctl_ioas_unmap(IOVA, LEN);
	test_dma_fault(self->vfd, 0, 0, IOVA, w, 8, 0, IOVA,
		       IOMMUSIM_FAULT_NOT_PRESENT, 0);
}

TEST_F(pins, mmap_fixed_over_pinned_memory)
{
	attach_device();
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x5a));
	expect_device_sees(LEN, 0xa5);
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0x5a));
}

TEST_F(pins, munmap_of_one_page_inside)
{
	attach_device();
	ASSERT_EQ(0, munmap(self->mem + PAGE, PAGE));
	ASSERT_EQ(self->mem + PAGE, map_filled(self->mem + PAGE, PAGE, 0x5a));
	expect_device_sees(LEN, 0xa5);
	/* the pages around it are still the program's and the device's */
	self->mem[0] = 0x77;
	expect_device_sees(1, 0x77);
}

/* Nothing is pinned without a domain: a later attach pins what is mapped
 * at the address then, as the kernel does. */
/* An unaligned munmap() fails (EINVAL) and takes nothing away: the program
 * and the device still share the pages. */
TEST_F(pins, unaligned_munmap_changes_nothing)
{
	uint8_t w[LEN];

	attach_device();
	EXPECT_EQ(-1, munmap(self->mem + 1, PAGE));
	EXPECT_EQ(EINVAL, errno);
	memset(w, 0x3c, sizeof(w));
	test_dma_write(self->vfd, IOVA, w, LEN);
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0x3c));
}

TEST_F(pins, unpinned_memory_is_not_kept)
{
	ASSERT_EQ(0, munmap(self->mem, LEN));
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x5a));
	attach_device();
	expect_device_sees(LEN, 0x5a);
}

/* The last detach unpins: attached again, the device gets the memory at
 * the program's address. */
TEST_F(pins, detach_lets_the_kept_pages_go)
{
	attach_device();
	ASSERT_EQ(0, munmap(self->mem, LEN));
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x5a));
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
	attach_device();
	expect_device_sees(LEN, 0x5a);
}

TEST_F(pins, mremap_moves_the_pins_with_the_memory)
{
	uint8_t *to = map_filled(NULL, LEN, 0);
	uint8_t w[PAGE];

	ASSERT_NE(MAP_FAILED, to);
	attach_device();
	ASSERT_EQ(to, mremap(self->mem, LEN, LEN, MREMAP_MAYMOVE | MREMAP_FIXED,
			     to));
	expect_device_sees(LEN, 0xa5);
	/* the program and the device share the pages at their new address */
	to[0] = 0x77;
	expect_device_sees(1, 0x77);
	memset(w, 0x33, sizeof(w));
	test_dma_write(self->vfd, IOVA + PAGE, w, PAGE);
	EXPECT_TRUE(all_bytes(to + PAGE, PAGE, 0x33));
	/* and unmapped there, they are kept for the device as well */
	ASSERT_EQ(0, munmap(to, LEN));
	ASSERT_EQ(to, map_filled(to, LEN, 0x5a));
	expect_device_sees(1, 0x77);
	self->mem = to; /* the teardown unmaps it */
}

TEST_F(pins, mremap_shrinking_keeps_the_tail)
{
	attach_device();
	ASSERT_EQ(self->mem, mremap(self->mem, LEN, 2 * PAGE, 0));
	ASSERT_EQ(self->mem + 2 * PAGE,
		  map_filled(self->mem + 2 * PAGE, 2 * PAGE, 0x5a));
	expect_device_sees(LEN, 0xa5);
}

/* What the library kept is freed with the last pin: the mappings the
 * munmap() left behind are gone after IOMMU_IOAS_UNMAP. */
static unsigned int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned int n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

TEST_F(pins, kept_pages_are_freed_with_the_last_pin)
{
	unsigned int before, kept;

	attach_device();
	ASSERT_EQ(0, munmap(self->mem, LEN));
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x5a));
	before = count_mappings();
	ASSERT_LT(0, before);
	test_ioctl_ioas_unmap(IOVA, LEN);
	kept = before - count_mappings();
	EXPECT_EQ(1, kept);
}

/* A domain filled after the munmap() maps the kept pages too, as the
 * kernel's fill reuses what is pinned; the selftest's checks see the new
 * memory unmapped and unpinned. */
TEST_F(pins, mock_domain_after_munmap)
{
	__u32 stdev_id, hwpt_id;

	attach_device();
	ASSERT_EQ(0, munmap(self->mem, LEN));
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x5a));
	test_cmd_mock_domain(self->ioas_id, &stdev_id, &hwpt_id, NULL);
	test_err_md_check_map(EINVAL, hwpt_id, self->mem, IOVA, LEN);
	test_cmd_md_check_refs(self->mem, LEN, 0);
	expect_device_sees(LEN, 0xa5);
	test_ioctl_destroy(stdev_id);
}

TEST_F(pins, md_check_after_munmap)
{
	__u32 stdev_id, hwpt_id;

	test_cmd_mock_domain(self->ioas_id, &stdev_id, &hwpt_id, NULL);
	test_cmd_md_check_map(hwpt_id, self->mem, IOVA, LEN);
	test_cmd_md_check_refs(self->mem, LEN, 1);
	ASSERT_EQ(0, munmap(self->mem, LEN));
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x5a));
	test_err_md_check_map(EINVAL, hwpt_id, self->mem, IOVA, LEN);
	test_cmd_md_check_refs(self->mem, LEN, 0);
	test_ioctl_destroy(stdev_id);
}

/*
 * Dirty tracking across a munmap() of pinned memory: the domain is mapped
 * again to the pages kept aside, and the pages it had dirty stay dirty
 * (on the kernel nothing is mapped again: the bits never move).
 */
/* A mock device on a HWPT of the IOAS that tracks dirty pages, the pages
 * whose bit marks has dirty (it returns how many); the HWPT's ID. */
static __u32 dirty_hwpt_with(struct __test_metadata *_metadata,
			     FIXTURE_DATA(pins) *self, __u32 *stdev_id,
			     __u64 marks, uint64_t *nr_dirty)
{
	__u32 idev_id, hwpt_id, dirty_hwpt;

	test_cmd_mock_domain(self->ioas_id, stdev_id, &hwpt_id, &idev_id);
	test_cmd_hwpt_alloc(idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dirty_hwpt);
	test_cmd_mock_domain_replace(*stdev_id, dirty_hwpt);
	test_cmd_set_dirty_tracking(dirty_hwpt, true);
	test_cmd_mock_domain_set_dirty(dirty_hwpt, IOVA, LEN, PAGE, &marks,
				       nr_dirty);
	return dirty_hwpt;
}

TEST_F(pins, dirty_bits_survive_a_munmap)
{
	__u32 stdev_id, dirty_hwpt;
	uint64_t nr_dirty;
	__u64 bitmap = 0;

	/* pages 0 and 2 dirty */
	dirty_hwpt = dirty_hwpt_with(_metadata, self, &stdev_id, 0x5,
				     &nr_dirty);
	ASSERT_EQ(2, nr_dirty);
	ASSERT_EQ(0, munmap(self->mem, LEN));
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x5a));
	test_cmd_get_dirty_bitmap(dirty_hwpt, IOVA, LEN, PAGE, &bitmap, 0);
	EXPECT_EQ(0x5, bitmap);
	/* read and cleared: clean now, and still mapped to the kept pages */
	bitmap = 0;
	test_cmd_get_dirty_bitmap(dirty_hwpt, IOVA, LEN, PAGE, &bitmap, 0);
	EXPECT_EQ(0, bitmap);
	test_err_md_check_map(EINVAL, dirty_hwpt, self->mem, IOVA, LEN);
	test_cmd_mock_domain_replace(stdev_id, self->ioas_id);
	test_ioctl_destroy(dirty_hwpt);
	test_ioctl_destroy(stdev_id);
}

/* The same across a madvise(MADV_DONTNEED) of one of the dirty pages. */
TEST_F(pins, dirty_bits_survive_a_dontneed)
{
	__u32 stdev_id, dirty_hwpt;
	__u64 bitmap = 0;

	dirty_hwpt = dirty_hwpt_with(_metadata, self, &stdev_id, 0x3, NULL);
	ASSERT_EQ(0, madvise(self->mem + PAGE, PAGE, MADV_DONTNEED));
	test_cmd_get_dirty_bitmap(dirty_hwpt, IOVA, LEN, PAGE, &bitmap, 0);
	EXPECT_EQ(0x3, bitmap);
	test_cmd_mock_domain_replace(stdev_id, self->ioas_id);
	test_ioctl_destroy(dirty_hwpt);
	test_ioctl_destroy(stdev_id);
}

/* A SysV segment (marked for removal: it goes with its last detach)
 * attached in place of the fixture's memory, mapped at IOVA; its id. */
static int use_shm_segment(struct __test_metadata *_metadata,
			   FIXTURE_DATA(pins) *self)
{
	int id = shmget(IPC_PRIVATE, LEN, IPC_CREAT | 0600);
	uint8_t *p;

	if (id < 0)
		return id;
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	if (p == (void *)-1)
		return -1;
	replace_memory(_metadata, self, p);
	return id;
}

/* Whether anything is mapped at p. */
static bool mapped_at(void *p)
{
	unsigned char v;

	return mincore(p, 1, &v) == 0;
}

/* The device keeps the pages, which are still the segment's: attached
 * again, the program shares them with the device once more. */
TEST_F(pins, shmdt_leaves_the_device_the_segment_pages)
{
	int id = use_shm_segment(_metadata, self);
	uint8_t w[LEN], *again;

	ASSERT_LE(0, id);
	attach_device();
	ASSERT_EQ(0, shmdt(self->mem));
	EXPECT_FALSE(mapped_at(self->mem));
	expect_device_sees(LEN, 0xa5);
	memset(w, 0x11, sizeof(w));
	test_dma_write(self->vfd, IOVA, w, LEN);
	again = shmat(id, NULL, 0);
	ASSERT_NE((void *)-1, again);
	EXPECT_TRUE(all_bytes(again, LEN, 0x11));
	ASSERT_EQ(0, shmdt(again));
	test_ioctl_ioas_unmap(IOVA, LEN);
}

/* Half of the segment pinned: the call detaches the other half itself. */
TEST_F(pins, shmdt_of_a_half_pinned_segment)
{
	ASSERT_LE(0, use_shm_segment(_metadata, self));
	test_ioctl_ioas_unmap(IOVA, LEN);
	test_ioctl_ioas_map_fixed(self->mem + 2 * PAGE, 2 * PAGE, IOVA);
	attach_device();
	ASSERT_EQ(0, shmdt(self->mem));
	EXPECT_FALSE(mapped_at(self->mem));
	EXPECT_FALSE(mapped_at(self->mem + 3 * PAGE));
	expect_device_sees(2 * PAGE, 0xa5);
	/* and a second detach finds nothing there */
	EXPECT_ERRNO(EINVAL, shmdt(self->mem));
}

TEST_F(pins, shmdt_of_what_is_no_segment)
{
	attach_device();
	EXPECT_ERRNO(EINVAL, shmdt(self->mem));
	expect_device_sees(LEN, 0xa5);
	self->mem[0] = 0x77;
	expect_device_sees(1, 0x77);
}

TEST_HARNESS_MAIN
