// SPDX-License-Identifier: MIT
/*
 * Mock devices attached to an IOAS through automatic HWPTs: what
 * IOMMU_TEST_OP_MOCK_DOMAIN builds, how it narrows the IOAS, that mappings
 * reach the mock domain's page table (MD_CHECK_MAP) pinned once
 * (MD_CHECK_REFS), and the destroy rules of every object involved. The
 * expected values are the kernel's (selftest.c, device.c, io_pagetable.c).
 */
#include <sys/resource.h>

#include "capability.h"
#include "hwpt_utils.h"

#define PSZ page_size

FIXTURE(mock_domain)
{
	int fd;
	__u32 ioas_id;
};

FIXTURE_SETUP(mock_domain)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
}

FIXTURE_TEARDOWN(mock_domain)
{
	ASSERT_EQ(0, close(self->fd));
	/* closing released every pin */
	test_no_pins(buffer, BUFFER_SIZE);
}

TEST_F(mock_domain, ids_come_in_the_kernels_order)
{
	__u32 stdev, hwpt, idev;

	test_cmd_mock_domain(self->ioas_id, &stdev, &hwpt, &idev);
	/* selftest object, then device, then the automatic HWPT */
	EXPECT_EQ(2, stdev);
	EXPECT_EQ(3, idev);
	EXPECT_EQ(4, hwpt);
	/* a second device reuses the automatic HWPT */
	test_cmd_mock_domain(self->ioas_id, &stdev, &hwpt, &idev);
	EXPECT_EQ(5, stdev);
	EXPECT_EQ(6, idev);
	EXPECT_EQ(4, hwpt);
}

TEST_F(mock_domain, attach_narrows_the_ioas)
{
	struct iommu_iova_range ranges[4];
	uint64_t alignment;
	__u32 num = 4, stdev;

	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	test_ioctl_ioas_iova_ranges(ranges, &num, &alignment);
	ASSERT_EQ(1, num);
	EXPECT_EQ(MOCK_APERTURE_START, ranges[0].start);
	EXPECT_EQ(MOCK_APERTURE_LAST, ranges[0].last);
	EXPECT_EQ(MOCK_PAGE_SIZE, alignment);
	/* outside the aperture is reserved, inside is not byte-granular */
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ, PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ,
				      MOCK_APERTURE_START + 1);
	/* the last device gone, the IOAS is whole again */
	test_ioctl_destroy(stdev);
	num = 4;
	test_ioctl_ioas_iova_ranges(ranges, &num, &alignment);
	ASSERT_EQ(1, num);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(UINT64_MAX, ranges[0].last);
	EXPECT_EQ(1, alignment);
}

TEST_F(mock_domain, mappings_reach_the_domain_pinned_once)
{
	__u32 hwpt, hwpt2;
	__u64 iova = MOCK_APERTURE_START;

	/* one mapping before the attach, one after */
	test_ioctl_ioas_map_fixed(buffer, 4 * PSZ, iova);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 0);
	test_cmd_mock_domain(self->ioas_id, NULL, &hwpt, NULL);
	test_ioctl_ioas_map_fixed(BUF(8 * PSZ), 4 * PSZ, iova + 8 * PSZ);
	test_cmd_md_check_map(hwpt, buffer, iova, 4 * PSZ);
	test_cmd_md_check_map(hwpt, BUF(8 * PSZ), iova + 8 * PSZ, 4 * PSZ);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 1);
	test_cmd_md_check_refs(BUF(4 * PSZ), 4 * PSZ, 0);
	/* a second domain: mapped there too, still pinned once */
	test_cmd_mock_domain(self->ioas_id, NULL, &hwpt2, NULL);
	EXPECT_EQ(hwpt, hwpt2);
	/* a second map of the same memory is a second pin */
	test_ioctl_ioas_map_fixed(buffer, 4 * PSZ, iova + 16 * PSZ);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 2);
	test_err_md_check_refs(EIO, buffer, 4 * PSZ, 1);
	test_ioctl_ioas_unmap(iova + 16 * PSZ, 4 * PSZ);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 1);
	/* the wrong memory, unaligned arguments, not a HWPT */
	test_err_md_check_map(EINVAL, hwpt, BUF(PSZ), iova, PSZ);
	test_err_md_check_map(EINVAL, hwpt, buffer, iova + 1, PSZ);
	test_err_md_check_map(ENOENT, self->ioas_id, buffer, iova, PSZ);
	test_err_md_check_refs(EINVAL, BUF(1), PSZ, 1);
	test_err_md_check_refs(EINVAL,
			       (void *)(uintptr_t)(UINTPTR_MAX & ~(PSZ - 1)),
			       2 * PSZ, 1);
}

TEST_F(mock_domain, pinning_finds_bad_memory)
{
	__u64 iova = MOCK_APERTURE_START;
	uint8_t *ro;

	test_cmd_mock_domain(self->ioas_id, NULL, NULL, NULL);
	ro = mmap(NULL, 4 * PSZ, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		  0);
	ASSERT_NE(MAP_FAILED, ro);
	/* read-only memory: readable yes, writeable no */
	EXPECT_ERRNO(EFAULT, _test_ioctl_ioas_map_fixed(
				     self->fd, self->ioas_id, ro, 4 * PSZ,
				     iova, MAP_RW));
	EXPECT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id, ro,
						4 * PSZ, iova,
						IOMMU_IOAS_MAP_READABLE));
	/* memory that is not there */
	ASSERT_EQ(0, munmap(ro + 2 * PSZ, PSZ));
	EXPECT_ERRNO(EFAULT, _test_ioctl_ioas_map_fixed(
				     self->fd, self->ioas_id, ro + PSZ,
				     2 * PSZ, iova + 8 * PSZ,
				     IOMMU_IOAS_MAP_READABLE));
	/* nothing of the failed maps is left */
	EXPECT_EQ(4 * PSZ, test_ioctl_ioas_unmap_all());
	munmap(ro, 4 * PSZ);
}

TEST_F(mock_domain, attach_refused_by_a_mapping_outside_the_aperture)
{
	__u32 id;

	test_ioctl_ioas_map_fixed(buffer, PSZ, PSZ);
	EXPECT_ERRNO(EADDRINUSE, _test_cmd_mock_domain_flags(
					 self->fd, self->ioas_id, 0, NULL,
					 NULL, NULL));
	/* nothing was left behind: the next object gets ID 2 again */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(2, id);
}

TEST_F(mock_domain, destroy_rules)
{
	__u32 stdev, hwpt, idev;

	test_cmd_mock_domain(self->ioas_id, &stdev, &hwpt, &idev);
	/* the HWPT holds the IOAS, the device holds the HWPT, the selftest
	 * object holds the device */
	test_err_destroy(EBUSY, self->ioas_id);
	test_err_destroy(EBUSY, hwpt);
	test_err_destroy(EBUSY, idev);
	test_ioctl_destroy(stdev);
	/* the automatic HWPT died with its last device */
	test_err_destroy(ENOENT, hwpt);
	test_err_destroy(ENOENT, idev);
	test_ioctl_destroy(self->ioas_id);
}

TEST_F(mock_domain, device_flags)
{
	__u32 hwpt;

	/* NO_DIRTY, 6.12's HUGE_IOVA and PASID are known; NO_ATTACH
	 * (1 << 3) is not merged upstream */
	test_err_mock_domain_flags(EINVAL, self->ioas_id, 1u << 31, NULL,
				   NULL, NULL);
	test_err_mock_domain_flags(EINVAL, self->ioas_id, 1u << 3, NULL,
				   NULL, NULL);
	test_err_mock_domain_flags(EINVAL, self->ioas_id,
				   MOCK_FLAGS_DEVICE_HUGE_IOVA | (1u << 3),
				   NULL, NULL, NULL);
	ASSERT_EQ(0, _test_cmd_mock_domain_flags(self->fd, self->ioas_id,
						 MOCK_FLAGS_DEVICE_HUGE_IOVA,
						 NULL, &hwpt, NULL));
	EXPECT_NE(0, hwpt);
	ASSERT_EQ(0, _test_cmd_mock_domain_flags(self->fd, self->ioas_id,
						 MOCK_FLAGS_DEVICE_NO_DIRTY,
						 NULL, &hwpt, NULL));
	EXPECT_NE(0, hwpt);
	ASSERT_EQ(0, _test_cmd_mock_domain_flags(self->fd, self->ioas_id,
						 MOCK_FLAGS_DEVICE_PASID, NULL,
						 &hwpt, NULL));
	EXPECT_NE(0, hwpt);
}

TEST_F(mock_domain, attach_target_must_be_an_ioas_or_hwpt)
{
	__u32 stdev;

	test_err_mock_domain_flags(ENOENT, 99, 0, NULL, NULL, NULL);
	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	test_err_mock_domain_flags(EINVAL, stdev, 0, NULL, NULL, NULL);
}

TEST_F(mock_domain, close_with_everything_alive)
{
	int fd = iommufd_open();
	__u32 ioas, hwpt;

	ASSERT_NE(-1, fd);
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, _test_cmd_mock_domain_flags(fd, ioas, 0, NULL, &hwpt,
						 NULL));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(fd, ioas, buffer, 8 * PSZ,
						MOCK_APERTURE_START, MAP_RW));
	EXPECT_EQ(0, _test_cmd_md_check_refs(fd, buffer, 8 * PSZ, 1));
	ASSERT_EQ(0, close(fd));
	/* the teardown checks that the pins went with it */
}

TEST_F(mock_domain, tiny_pinning_batches)
{
	__u32 hwpt;

	/* the least is an 8-byte entry and its 4-byte count */
	EXPECT_ERRNO(EINVAL, _test_cmd_set_temp_memory_limit(self->fd, 11));
	ASSERT_EQ(0, _test_cmd_set_temp_memory_limit(self->fd, 12));
	test_cmd_mock_domain(self->ioas_id, NULL, &hwpt, NULL);
	test_ioctl_ioas_map_fixed(buffer, 64 * PSZ, MOCK_APERTURE_START);
	test_cmd_md_check_map(hwpt, buffer, MOCK_APERTURE_START, 64 * PSZ);
	test_cmd_md_check_refs(buffer, 64 * PSZ, 1);
	ASSERT_EQ(0, _test_cmd_set_temp_memory_limit(self->fd, 65536));
}

TEST_F(mock_domain, pinning_is_charged_against_rlimit_memlock)
{
	struct rlimit limit = { 16 * 4096, 16 * 4096 };
	__u64 iova = MOCK_APERTURE_START;

	if (PSZ != 4096)
		SKIP(return, "assumes 4 KiB pages");
	/* without CAP_IPC_LOCK pinned pages count against the limit */
	ASSERT_EQ(0, drop_capability(CAP_IPC_LOCK));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	test_cmd_mock_domain(self->ioas_id, NULL, NULL, NULL);
	test_ioctl_ioas_map_fixed(buffer, 12 * PSZ, iova);
	EXPECT_ERRNO(ENOMEM, _test_ioctl_ioas_map_fixed(
				     self->fd, self->ioas_id, BUF(12 * PSZ),
				     8 * PSZ, iova + 12 * PSZ, MAP_RW));
	/* the same pages again through COPY cost nothing more */
	__u64 dst = iova + 64 * PSZ;

	test_ioctl_ioas_copy(MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA,
			     self->ioas_id, &dst, self->ioas_id, iova,
			     12 * PSZ);
	/* room for four more */
	test_ioctl_ioas_map_fixed(BUF(12 * PSZ), 4 * PSZ, iova + 12 * PSZ);
	test_ioctl_ioas_unmap(iova, 12 * PSZ);
	/* still pinned by the copy: no room was given back */
	EXPECT_ERRNO(ENOMEM, _test_ioctl_ioas_map_fixed(
				     self->fd, self->ioas_id, BUF(16 * PSZ),
				     PSZ, iova + 32 * PSZ, MAP_RW));
	test_ioctl_ioas_unmap(dst, 12 * PSZ);
	test_ioctl_ioas_map_fixed(BUF(16 * PSZ), 12 * PSZ, iova + 32 * PSZ);
}

TEST_F(mock_domain, replace)
{
	struct iommu_iova_range range;
	__u32 stdev, idev, old_hwpt, ioas2, pt, user, num = 1;
	uint64_t alignment;

	test_cmd_mock_domain(self->ioas_id, &stdev, &old_hwpt, &idev);
	test_ioctl_ioas_alloc(&ioas2);
	/* to another IOAS: a new automatic HWPT; the old one dies */
	ASSERT_EQ(0, _test_cmd_mock_domain_replace(self->fd, stdev, ioas2,
						   &pt));
	EXPECT_NE(old_hwpt, pt);
	test_err_destroy(ENOENT, old_hwpt);
	test_ioctl_ioas_iova_ranges(&range, &num, &alignment);
	EXPECT_EQ(0, range.start);
	EXPECT_EQ(1, alignment);
	/* onto the HWPT it is on: nothing changes */
	__u32 same;

	ASSERT_EQ(0, _test_cmd_mock_domain_replace(self->fd, stdev, pt,
						   &same));
	EXPECT_EQ(pt, same);
	/* onto a user HWPT, named */
	test_cmd_hwpt_alloc(idev, self->ioas_id, 0, &user);
	ASSERT_EQ(0, _test_cmd_mock_domain_replace(self->fd, stdev, user,
						   &pt));
	EXPECT_EQ(user, pt);
	test_err_destroy(EBUSY, user);
	/* errors leave it where it is */
	test_err_mock_domain_replace(ENOENT, stdev, 99);
	test_err_mock_domain_replace(EINVAL, stdev, idev);
	test_err_mock_domain_replace(ENOENT, self->ioas_id, user);
	test_err_destroy(EBUSY, user);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(user);
}

TEST_F(mock_domain, replace_needs_a_suitable_domain)
{
	__u32 stdev, idev, hwpt, dirty, dirty_ioas;

	/* a dirty-tracking HWPT, made for a device that has it */
	test_ioctl_ioas_alloc(&dirty_ioas);
	test_cmd_mock_domain(self->ioas_id, NULL, NULL, &idev);
	test_cmd_hwpt_alloc(idev, dirty_ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			    &dirty);
	/* a device without dirty tracking cannot move onto it */
	ASSERT_EQ(0, _test_cmd_mock_domain_flags(self->fd, self->ioas_id,
						 MOCK_FLAGS_DEVICE_NO_DIRTY,
						 &stdev, &hwpt, NULL));
	test_err_mock_domain_replace(EINVAL, stdev, dirty);
	/* still on its automatic HWPT, which it shares with the first */
	test_err_destroy(EBUSY, hwpt);
	test_ioctl_destroy(stdev);
}

/* Dirties the page at iova through the selftest op; returns bits set in a
 * GET_DIRTY_BITMAP of [base, base + length) in CPU pages. */
static int dirty_bits_after_one_write(struct __test_metadata *_metadata,
				      int fd, __u32 hwpt, __u64 base,
				      __u64 length, __u64 iova)
{
	uint64_t one = 1, bitmap[64] = { 0 };
	struct iommu_test_cmd dirty = {
		.size = sizeof(dirty),
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = { .iova = iova, .length = PSZ, .page_size = PSZ,
			   .uptr = (uintptr_t)&one },
	};
	struct iommu_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get),
		.hwpt_id = hwpt,
		.iova = base,
		.length = length,
		.page_size = PSZ,
		.data = (uintptr_t)bitmap,
	};
	int bits = 0;

	ASSERT_EQ(0, ioctl(fd, IOMMU_TEST_CMD, &dirty));
	EXPECT_EQ(1, dirty.dirty.out_nr_dirty);
	ASSERT_EQ(0, ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &get));
	for (unsigned int i = 0; i < 64; i++)
		bits += __builtin_popcountll(bitmap[i]);
	return bits;
}

static void track_dirty(struct __test_metadata *_metadata, int fd,
			__u32 hwpt)
{
	struct iommu_hwpt_set_dirty_tracking set = {
		.size = sizeof(set),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		.hwpt_id = hwpt,
	};

	ASSERT_EQ(0, ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &set));
}

#define LEAF_TEST_LENGTH (2ull << 20)

/*
 * Maps LEAF_TEST_LENGTH of buf at MOCK_APERTURE_START into ioas, through a
 * new dirty-tracking HWPT made for idev, checks the translation, and
 * returns the CPU pages one write to the second page dirties: what that
 * page's leaf covers.
 */
static int one_write_dirties(struct __test_metadata *_metadata, int fd,
			     __u32 ioas, __u32 idev, void *buf)
{
	const __u64 iova = MOCK_APERTURE_START;
	__u32 dirty;

	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, idev, ioas,
					  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &dirty));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(fd, ioas, buf,
						LEAF_TEST_LENGTH, iova,
						MAP_RW));
	ASSERT_EQ(0, _test_cmd_md_check_map(fd, dirty, iova,
					    LEAF_TEST_LENGTH, buf));
	track_dirty(_metadata, fd, dirty);
	return dirty_bits_after_one_write(_metadata, fd, dirty, iova,
					  LEAF_TEST_LENGTH, iova + PSZ);
}

/* LEAF_TEST_LENGTH of touched hugetlb memory, or MAP_FAILED. */
static void *mmap_hugetlb(void)
{
	void *huge = mmap(NULL, LEAF_TEST_LENGTH, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (huge != MAP_FAILED)
		memset(huge, 1, LEAF_TEST_LENGTH);
	return huge;
}

/*
 * Leaves follow physical contiguity: one dirtying write marks what its
 * leaf covers. Ordinary memory is contiguous by CPU pages only (no THP
 * is assumed), so a leaf never spans more than one.
 */
TEST_F(mock_domain, ordinary_memory_maps_small_leaves)
{
	__u32 idev, ioas2;

	test_cmd_mock_domain(self->ioas_id, NULL, NULL, &idev);
	test_ioctl_ioas_alloc(&ioas2);
	EXPECT_EQ(1, one_write_dirties(_metadata, self->fd, ioas2, idev,
				       buffer));
}

/*
 * The 6.12 selftests' huge dirty tracking: a MOCK_FLAGS_DEVICE_HUGE_IOVA
 * device, a HWPT made for it without driver data, hugetlb memory: 1 MiB
 * leaves, so one write dirties 256 CPU pages; the IOAS still aligns to the
 * mock's 2 KiB page.
 */
TEST_F(mock_domain, huge_iova_device)
{
	__u32 idev, ioas2, ranges_num = 0;
	uint64_t alignment = 0;
	void *huge;

	if (PSZ != 4096)
		SKIP(return, "assumes 4 KiB pages");
	huge = mmap_hugetlb();
	if (huge == MAP_FAILED)
		SKIP(return, "no hugetlb pages (vm.nr_hugepages)");
	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_mock_domain_flags(ioas2, MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL,
				   NULL, &idev);
	EXPECT_ERRNO(EMSGSIZE, _test_ioctl_ioas_iova_ranges(
				       self->fd, ioas2, NULL, &ranges_num,
				       &alignment));
	EXPECT_EQ(MOCK_PAGE_SIZE, alignment);
	EXPECT_EQ(256, one_write_dirties(_metadata, self->fd, ioas2, idev,
					 huge));
}

/* A hugetlb page is contiguous: a 1 MiB leaf, so one write dirties 256
 * CPU pages; with IOMMU_OPTION_HUGE_PAGES off it is mapped page by page. */
TEST_F(mock_domain, hugetlb_memory_maps_huge_leaves)
{
	__u32 idev, ioas2, ioas3;
	__u64 val64 = 0;
	void *huge;

	if (PSZ != 4096)
		SKIP(return, "assumes 4 KiB pages");
	huge = mmap_hugetlb();
	if (huge == MAP_FAILED)
		SKIP(return, "no hugetlb pages (vm.nr_hugepages)");
	test_cmd_mock_domain(self->ioas_id, NULL, NULL, &idev);
	test_ioctl_ioas_alloc(&ioas2);
	EXPECT_EQ(256, one_write_dirties(_metadata, self->fd, ioas2, idev,
					 huge));
	test_ioctl_ioas_alloc(&ioas3);
	ASSERT_EQ(0, _test_ioctl_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_SET, ioas3, &val64));
	EXPECT_EQ(1, one_write_dirties(_metadata, self->fd, ioas3, idev,
				       huge));
}

TEST_HARNESS_MAIN
