// SPDX-License-Identifier: MIT
/*
 * madvise() over pinned memory, as on the kernel, where a pin holds the
 * page whatever the program advises:
 *  - MADV_DONTNEED on private memory gives the program fresh zero pages,
 *    while the devices keep the old ones until IOMMU_IOAS_UNMAP (so do
 *    MADV_DONTNEED_LOCKED and MADV_GUARD_INSTALL);
 *  - on shared memory it only drops the program's page-table entries: the
 *    program and the devices go on sharing the same pages;
 *  - MADV_REMOVE punches a hole in the shared file: the program sees zeros,
 *    the devices the pinned pages; on private memory it fails (EINVAL) and
 *    changes nothing;
 *  - MADV_FREE never frees a pinned page (reclaim finds the pin): nothing
 *    changes for either, and no pinned page is even marked lazily free.
 * MD_CHECK_MAP and MD_CHECK_REFS answer as on Linux 6.12: EINVAL and 0
 * where the program's page is no longer the pinned one.
 */
#include <sched.h>
#include <stdio.h>

#include "pins_utils.h"

TEST_F(pins, dontneed_private_gives_the_program_new_pages)
{
	uint8_t w[LEN];

	attach_device();
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_DONTNEED));
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0));
	expect_device_sees(LEN, 0xa5);
	/* from now on each writes its own pages */
	memset(w, 0x11, sizeof(w));
	test_dma_write(self->vfd, IOVA, w, LEN);
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0));
	memset(self->mem, 0x5a, LEN);
	expect_device_sees(LEN, 0x11);
	/* until the IOVA is unmapped */
	test_ioctl_ioas_unmap(IOVA, LEN);
	test_dma_fault(self->vfd, 0, 0, IOVA, w, 8, 0, IOVA,
		       IOMMUSIM_FAULT_NOT_PRESENT, 0);
}

TEST_F(pins, dontneed_of_one_page_inside)
{
	attach_device();
	ASSERT_EQ(0, madvise(self->mem + PAGE, PAGE, MADV_DONTNEED));
	EXPECT_TRUE(all_bytes(self->mem + PAGE, PAGE, 0));
	expect_device_sees(LEN, 0xa5);
	/* the pages around it are still the program's and the device's */
	self->mem[0] = 0x77;
	self->mem[2 * PAGE] = 0x77;
	expect_device_sees(1, 0x77);
	{
		uint8_t b;

		test_dma_read(self->vfd, IOVA + 2 * PAGE, &b, 1);
		EXPECT_EQ(0x77, b);
	}
}

/* MADV_DONTNEED_LOCKED drops what MADV_DONTNEED does */
TEST_F(pins, dontneed_locked_as_dontneed)
{
	attach_device();
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_DONTNEED_LOCKED));
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0));
	expect_device_sees(LEN, 0xa5);
}

/* Guard pages (Linux 6.13) drop what is there: the program faults on
 * them, the device keeps its pages. */
#define GUARD_INSTALL 102
#define GUARD_REMOVE 103

TEST_F(pins, guard_install_as_dontneed)
{
	attach_device();
	if (madvise(self->mem, LEN, GUARD_INSTALL) && errno == EINVAL)
		SKIP(return, "no MADV_GUARD_INSTALL before Linux 6.13");
	expect_device_sees(LEN, 0xa5);
	ASSERT_EQ(0, madvise(self->mem, LEN, GUARD_REMOVE));
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0));
	expect_device_sees(LEN, 0xa5);
}

TEST_F(pins, dontneed_shared_keeps_the_pages_shared)
{
	ASSERT_NE(MAP_FAILED, use_shared_memory(_metadata, self));
	attach_device();
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_DONTNEED));
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0xa5));
	memset(self->mem, 0x77, LEN);
	expect_device_sees(LEN, 0x77);
}

TEST_F(pins, remove_shared_punches_the_program_a_hole)
{
	uint8_t w[LEN];

	ASSERT_NE(MAP_FAILED, use_shared_memory(_metadata, self));
	attach_device();
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_REMOVE));
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0));
	expect_device_sees(LEN, 0xa5);
	memset(w, 0x11, sizeof(w));
	test_dma_write(self->vfd, IOVA, w, LEN);
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0));
}

TEST_F(pins, remove_private_fails_and_keeps_the_sharing)
{
	attach_device();
	EXPECT_ERRNO(EINVAL, madvise(self->mem, LEN, MADV_REMOVE));
	EXPECT_TRUE(all_bytes(self->mem, LEN, 0xa5));
	memset(self->mem, 0x77, LEN);
	expect_device_sees(LEN, 0x77);
}

/* The kernel's LazyFree count, in KiB, of the mapping that holds p.
 * The kernel marks pages lazily free in per-CPU batches: the caller stays
 * on one CPU, whose batch MADV_COLD drains. */
static long lazy_free_kib(void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end;
	bool in = false;
	char line[256];
	long kib = -1;

	if (!f || madvise(p, PAGE, MADV_COLD))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= start && (uintptr_t)p < end;
		else if (in && sscanf(line, "LazyFree: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/* Two of the four pages pinned: MADV_FREE marks only the other two. */
TEST_F(pins, free_leaves_pinned_pages_alone)
{
	cpu_set_t one_cpu;

	CPU_ZERO(&one_cpu);
	CPU_SET(sched_getcpu(), &one_cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one_cpu), &one_cpu));
	test_ioctl_ioas_unmap(IOVA, LEN);
	test_ioctl_ioas_map_fixed(self->mem, 2 * PAGE, IOVA);
	attach_device();
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_FREE));
	EXPECT_EQ((long)(2 * PAGE / 1024), lazy_free_kib(self->mem));
	EXPECT_TRUE(all_bytes(self->mem, 2 * PAGE, 0xa5));
	memset(self->mem, 0x77, 2 * PAGE);
	expect_device_sees(2 * PAGE, 0x77);
}

TEST_F(pins, free_on_shared_memory_fails)
{
	ASSERT_NE(MAP_FAILED, use_shared_memory(_metadata, self));
	attach_device();
	EXPECT_ERRNO(EINVAL, madvise(self->mem, LEN, MADV_FREE));
}

/* The selftest's checks see what the kernel's would: the program's page
 * is the pinned one after MADV_FREE and a shared MADV_DONTNEED, a new
 * one after a private MADV_DONTNEED and MADV_REMOVE. */
TEST_F(pins, md_check_after_dontneed)
{
	__u32 stdev_id, hwpt_id;

	test_cmd_mock_domain(self->ioas_id, &stdev_id, &hwpt_id, NULL);
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_FREE));
	test_cmd_md_check_map(hwpt_id, self->mem, IOVA, LEN);
	test_cmd_md_check_refs(self->mem, LEN, 1);
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_DONTNEED));
	test_err_md_check_map(EINVAL, hwpt_id, self->mem, IOVA, LEN);
	test_cmd_md_check_refs(self->mem, LEN, 0);
	test_ioctl_destroy(stdev_id);
}

TEST_F(pins, md_check_after_shared_dontneed_and_remove)
{
	__u32 stdev_id, hwpt_id;

	ASSERT_NE(MAP_FAILED, use_shared_memory(_metadata, self));
	test_cmd_mock_domain(self->ioas_id, &stdev_id, &hwpt_id, NULL);
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_DONTNEED));
	test_cmd_md_check_map(hwpt_id, self->mem, IOVA, LEN);
	test_cmd_md_check_refs(self->mem, LEN, 1);
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_REMOVE));
	test_err_md_check_map(EINVAL, hwpt_id, self->mem, IOVA, LEN);
	test_cmd_md_check_refs(self->mem, LEN, 0);
	test_ioctl_destroy(stdev_id);
}

/* Memory nothing pins is the program's to drop: a later attach pins the
 * zero pages it has then. */
TEST_F(pins, unpinned_memory_is_dropped)
{
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_DONTNEED));
	attach_device();
	expect_device_sees(LEN, 0);
}

/* Dropped twice: the second call finds the pages set aside already. */
TEST_F(pins, dontneed_twice_then_munmap)
{
	attach_device();
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_DONTNEED));
	memset(self->mem, 0x5a, LEN);
	ASSERT_EQ(0, madvise(self->mem, LEN, MADV_DONTNEED));
	ASSERT_EQ(0, munmap(self->mem, LEN));
	ASSERT_EQ(self->mem, map_filled(self->mem, LEN, 0x33));
	expect_device_sees(LEN, 0xa5);
}

TEST_HARNESS_MAIN
