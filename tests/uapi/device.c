// SPDX-License-Identifier: MIT
/*
 * Mock devices through the uAPI (IOMMU_TEST_OP_MOCK_DOMAIN, _FLAGS,
 * _REPLACE): what creating one builds and in which order, what attaching
 * does to the IOAS (the aperture, the alignment, the ranges in the way),
 * replace, the destroy rules of every object involved, and how mappings
 * reach a device's domain: pinned once (MD_CHECK_REFS), charged against
 * RLIMIT_MEMLOCK, translated in the mock's page table (MD_CHECK_MAP) with
 * leaves as large as the memory's contiguity allows.
 *
 * Two fixtures: "device", an IOAS the tests attach their own devices to,
 * and "mock_domain", an IOAS with one or two devices from the start (the
 * kernel's iommufd_mock_domain). Every expected value follows the kernel's
 * code (selftest.c, device.c, io_pagetable.c, pages.c); the function each
 * rule comes from is named next to it. The teardowns check from a fresh
 * context, after close(), that nothing stayed pinned.
 */
#include <sys/resource.h>

#include "capability.h"
#include "iommufd_utils.h"

/* ========================================================================
 * Fixture device: one IOAS; the tests make the devices
 * ======================================================================== */

FIXTURE(device)
{
	int fd;
	__u32 ioas_id;
	uint8_t *buf;
	size_t buf_size;
};

FIXTURE_SETUP(device)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	self->buf_size = 4 * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(device)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	test_no_pins(buffer, BUFFER_SIZE);
	munmap(self->buf, self->buf_size);
}

/* ---- what a mock device is made of -------------------------------------- */

TEST_F(device, mock_domain_returns_three_ids)
{
	__u32 stdev = 0, hwpt = 0, idev = 0;

	test_cmd_mock_domain(self->ioas_id, &stdev, &hwpt, &idev);
	EXPECT_NE(0, stdev);
	EXPECT_NE(0, hwpt);
	EXPECT_NE(0, idev);
	EXPECT_NE(stdev, hwpt);
	EXPECT_NE(stdev, idev);
	EXPECT_NE(hwpt, idev);
	EXPECT_NE(self->ioas_id, hwpt);
}

TEST_F(device, ids_come_in_the_kernels_order)
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

TEST_F(device, device_flags)
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

TEST_F(device, mock_domain_target_errors)
{
	__u32 stdev, hwpt, idev;

	test_cmd_mock_domain(self->ioas_id, &stdev, &hwpt, &idev);
	/* iommufd_device_change_pt(): no such object; not an IOAS or HWPT */
	test_err_mock_domain(ENOENT, NO_SUCH_ID, NULL, NULL, NULL);
	test_err_mock_domain(ENOENT, 0, NULL, NULL, NULL);
	test_err_mock_domain(EINVAL, idev, NULL, NULL, NULL);
	test_err_mock_domain(EINVAL, stdev, NULL, NULL, NULL);
	/* selftest.c mock_dev_create(): unknown device flags */
	test_err_mock_domain_flags(EINVAL, self->ioas_id, 1u << 3, NULL, NULL,
				   NULL);
	test_err_mock_domain_flags(EINVAL, self->ioas_id, 1u << 31, NULL, NULL,
				   NULL);
	/* the known ones */
	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, NULL);
	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_PASID,
				   NULL, NULL, NULL);
	test_cmd_mock_domain_flags(self->ioas_id, 0, NULL, NULL, NULL);
}

TEST_F(device, attach_target_must_be_an_ioas_or_hwpt)
{
	__u32 stdev;

	test_err_mock_domain_flags(ENOENT, 99, 0, NULL, NULL, NULL);
	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	test_err_mock_domain_flags(EINVAL, stdev, 0, NULL, NULL, NULL);
}

/* ---- what attaching does to the IOAS ------------------------------------ */

TEST_F(device, attach_narrows_and_detach_widens)
{
	__u32 stdev;

	expect_unrestricted(self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	expect_mock_aperture(self->ioas_id);
	test_ioctl_destroy(stdev);
	/* iopt_table_remove_domain(): the domain's reservations go with it
	 * and the alignment is recomputed */
	expect_unrestricted(self->ioas_id);
}

TEST_F(device, attach_narrows_the_ioas)
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

TEST_F(device, mapping_below_the_aperture_blocks_attach)
{
	__u32 stdev;

	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_START - PSZ);
	/* iopt_table_add_domain() -> iopt_reserve_iova(): an area is there */
	test_err_mock_domain(EADDRINUSE, self->ioas_id, &stdev, NULL, NULL);
	expect_unrestricted(self->ioas_id);
	test_cmd_md_check_refs(self->buf, PSZ, 0);
	test_ioctl_ioas_unmap(APERTURE_START - PSZ, PSZ);
	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	test_ioctl_destroy(stdev);
}

TEST_F(device, mapping_above_the_aperture_blocks_attach)
{
	__u32 stdev;

	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_LAST + 1);
	test_err_mock_domain(EADDRINUSE, self->ioas_id, &stdev, NULL, NULL);
	test_ioctl_ioas_unmap(APERTURE_LAST + 1, PSZ);
	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_LAST + 1 - PSZ);
	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	test_ioctl_destroy(stdev);
}

TEST_F(device, attach_refused_by_a_mapping_outside_the_aperture)
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

TEST_F(device, misaligned_mapping_blocks_attach)
{
	/* iopt_check_iova_alignment(): every area must follow the new
	 * 2 KiB alignment, IOVA, length and page offset */
	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_START + 1024);
	test_err_mock_domain(EADDRINUSE, self->ioas_id, NULL, NULL, NULL);
	test_ioctl_ioas_unmap(APERTURE_START + 1024, PSZ);

	test_ioctl_ioas_map_fixed(self->buf, 1024, APERTURE_START);
	test_err_mock_domain(EADDRINUSE, self->ioas_id, NULL, NULL, NULL);
	test_ioctl_ioas_unmap(APERTURE_START, 1024);

	test_ioctl_ioas_map_fixed(self->buf + 1024, MPSZ, APERTURE_START);
	test_err_mock_domain(EADDRINUSE, self->ioas_id, NULL, NULL, NULL);
	test_ioctl_ioas_unmap(APERTURE_START, MPSZ);

	/* on the 2 KiB grid all is well */
	test_ioctl_ioas_map_fixed(self->buf + MPSZ, MPSZ,
				  APERTURE_START + MPSZ);
	test_cmd_mock_domain(self->ioas_id, NULL, NULL, NULL);
}

TEST_F(device, allowed_range_outside_the_aperture_blocks_attach)
{
	struct iommu_iova_range allow = { .start = 0, .last = PSZ - 1 };

	test_ioctl_ioas_allow_iovas(&allow, 1);
	/* iopt_reserve_iova(): an allowed range is there */
	test_err_mock_domain(EADDRINUSE, self->ioas_id, NULL, NULL, NULL);

	allow.start = APERTURE_START;
	allow.last = APERTURE_START + 16 * PSZ - 1;
	test_ioctl_ioas_allow_iovas(&allow, 1);
	test_cmd_mock_domain(self->ioas_id, NULL, NULL, NULL);
	/* IOVA_RANGES reports the holes between reserved ranges only */
	expect_mock_aperture(self->ioas_id);
	/* and the domain's reservations now block widening the allowed
	 * range: iopt_set_allow_iova() */
	allow.start = 0;
	test_err_ioctl_ioas_allow_iovas(EADDRINUSE, &allow, 1);
}

TEST_F(device, reserved_ranges_stay_reserved)
{
	__u32 stdev;

	test_cmd_add_reserved(APERTURE_START, PSZ);
	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	expect_one_range(self->ioas_id, APERTURE_START + PSZ, APERTURE_LAST,
			 MPSZ);
	test_ioctl_destroy(stdev);
	/* a range with no owner outlives the domain */
	{
		struct iommu_iova_range r[8];
		uint64_t align = 0;
		__u32 num;

		get_ranges(self->ioas_id, r, &num, &align);
		ASSERT_EQ(2, num);
		EXPECT_EQ(0, r[0].start);
		EXPECT_EQ(APERTURE_START - 1, r[0].last);
		EXPECT_EQ(APERTURE_START + PSZ, r[1].start);
		EXPECT_EQ(U64_MAX, r[1].last);
		EXPECT_EQ(1, align);
	}
}

/* ---- which HWPT a device gets, replace, destroy ------------------------- */

TEST_F(device, auto_selection_never_picks_a_user_hwpt)
{
	__u32 ioas2, idev2, stdev, user_hwpt, auto_hwpt, hwpt;

	/* a device elsewhere, to allocate with */
	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_mock_domain(ioas2, NULL, NULL, &idev2);

	test_cmd_hwpt_alloc(idev2, self->ioas_id, 0, &user_hwpt);
	/* iommufd_device_auto_get_domain() skips !auto_domain HWPTs */
	test_cmd_mock_domain(self->ioas_id, &stdev, &auto_hwpt, NULL);
	EXPECT_NE(user_hwpt, auto_hwpt);
	test_cmd_mock_domain(self->ioas_id, NULL, &hwpt, NULL);
	EXPECT_EQ(auto_hwpt, hwpt);

	/* asked for by ID, it is used */
	test_cmd_mock_domain(user_hwpt, NULL, &hwpt, NULL);
	EXPECT_EQ(user_hwpt, hwpt);
	test_err_destroy(EBUSY, user_hwpt);
}

TEST_F(device, attach_never_picks_a_user_hwpt_unless_named)
{
	__u32 ioas2, idev2, user, auto_hwpt, named, stdev;

	/* a device elsewhere, to allocate with */
	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_mock_domain(ioas2, NULL, NULL, &idev2);

	test_cmd_hwpt_alloc(idev2, self->ioas_id, 0, &user);
	test_cmd_mock_domain_flags(self->ioas_id, 0, NULL, &auto_hwpt, NULL);
	EXPECT_NE(user, auto_hwpt);
	test_cmd_mock_domain_flags(user, 0, &stdev, &named, NULL);
	EXPECT_EQ(user, named);
	/* a device on it keeps it */
	test_err_destroy(EBUSY, user);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(user);
}

TEST_F(device, replace)
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

TEST_F(device, replace_needs_a_suitable_domain)
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

TEST_F(device, destroy_rules)
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

TEST_F(device, close_with_everything_alive)
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

/* ---- pinning: what a domain needs of the memory ------------------------- */

TEST_F(device, mappings_reach_the_domain_pinned_once)
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

TEST_F(device, pinning_finds_bad_memory)
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

/*
 * What a pin learns of memory holds only until the program changes it: a
 * MAP after mprotect(), pkey_mprotect() or a guard page gets the kernel's
 * answer, not the one an earlier MAP of the same memory got.
 */
static int map_at(struct __test_metadata *_metadata, int fd, __u32 ioas_id,
		  void *buf, __u32 flags)
{
	int rc = _test_ioctl_ioas_map_fixed(fd, ioas_id, buf, 4 * PSZ,
					    MOCK_APERTURE_START, flags);
	uint64_t unmapped = 0;

	if (!rc) {
		EXPECT_EQ(0, _test_ioctl_ioas_unmap(fd, ioas_id,
						    MOCK_APERTURE_START,
						    4 * PSZ, &unmapped));
		EXPECT_EQ(4 * PSZ, unmapped);
	}
	return rc;
}

/* Four fresh pages, mapped (and unmapped) once for writing: what the
 * library then remembers of them is what the tests below change. */
static uint8_t *mapped_once(struct __test_metadata *_metadata, int fd,
			    __u32 ioas_id)
{
	uint8_t *mem = mmap(NULL, 4 * PSZ, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	EXPECT_EQ(0, map_at(_metadata, fd, ioas_id, mem, MAP_RW));
	return mem;
}

TEST_F(device, pinning_sees_protection_changed_between_maps)
{
	uint8_t *mem;

	test_cmd_mock_domain(self->ioas_id, NULL, NULL, NULL);
	mem = mapped_once(_metadata, self->fd, self->ioas_id);
	ASSERT_NE(NULL, mem);
	EXPECT_EQ(0, map_at(_metadata, self->fd, self->ioas_id, mem, MAP_RW));

	ASSERT_EQ(0, mprotect(mem + PSZ, PSZ, PROT_READ));
	EXPECT_ERRNO(EFAULT,
		     map_at(_metadata, self->fd, self->ioas_id, mem, MAP_RW));
	EXPECT_EQ(0, map_at(_metadata, self->fd, self->ioas_id, mem,
			    IOMMU_IOAS_MAP_READABLE));

	ASSERT_EQ(0, mprotect(mem + 3 * PSZ, PSZ, PROT_NONE));
	EXPECT_ERRNO(EFAULT, map_at(_metadata, self->fd, self->ioas_id, mem,
				    IOMMU_IOAS_MAP_READABLE));

	/* pkey -1: the default key, as mprotect() */
	ASSERT_EQ(0, pkey_mprotect(mem, 4 * PSZ, PROT_READ | PROT_WRITE, -1));
	EXPECT_EQ(0, map_at(_metadata, self->fd, self->ioas_id, mem, MAP_RW));
	ASSERT_EQ(0, pkey_mprotect(mem + 2 * PSZ, PSZ, PROT_READ, -1));
	EXPECT_ERRNO(EFAULT,
		     map_at(_metadata, self->fd, self->ioas_id, mem, MAP_RW));
	EXPECT_EQ(0, test_ioctl_ioas_unmap_all());
	munmap(mem, 4 * PSZ);
}

#define GUARD_INSTALL 102
#define GUARD_REMOVE 103

TEST_F(device, pinning_sees_guard_pages_installed_between_maps)
{
	uint8_t *mem;

	test_cmd_mock_domain(self->ioas_id, NULL, NULL, NULL);
	mem = mapped_once(_metadata, self->fd, self->ioas_id);
	ASSERT_NE(NULL, mem);
	if (madvise(mem + PSZ, PSZ, GUARD_INSTALL) && errno == EINVAL) {
		munmap(mem, 4 * PSZ);
		SKIP(return, "no MADV_GUARD_INSTALL before Linux 6.13");
	}
	EXPECT_ERRNO(EFAULT, map_at(_metadata, self->fd, self->ioas_id, mem,
				    IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, madvise(mem + PSZ, PSZ, GUARD_REMOVE));
	EXPECT_EQ(0, map_at(_metadata, self->fd, self->ioas_id, mem, MAP_RW));
	munmap(mem, 4 * PSZ);
}

TEST_F(device, tiny_pinning_batches)
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

TEST_F(device, pinning_is_charged_against_rlimit_memlock)
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

/* ---- leaves: as large as the memory's contiguity allows ----------------- */

/* Dirties the page at iova through the selftest op; returns bits set in a
 * GET_DIRTY_BITMAP of [base, base + length) in CPU pages. */
static int dirty_bits_after_one_write(struct __test_metadata *_metadata,
				      int fd, __u32 hwpt, __u64 base,
				      __u64 length, __u64 iova)
{
	uint64_t one = 1, nr_dirty = 0;
	__u64 bitmap[64] = { 0 };
	int bits = 0;

	ASSERT_EQ(0, _test_cmd_mock_domain_set_dirty(fd, hwpt, iova, PSZ, PSZ,
						     &one, &nr_dirty));
	EXPECT_EQ(1, nr_dirty);
	ASSERT_EQ(0, _test_cmd_get_dirty_bitmap(fd, hwpt, base, length, PSZ,
						bitmap, 0));
	for (unsigned int i = 0; i < 64; i++)
		bits += __builtin_popcountll(bitmap[i]);
	return bits;
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
	ASSERT_EQ(0, _test_cmd_set_dirty_tracking(
			     fd, dirty, IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
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
TEST_F(device, ordinary_memory_maps_small_leaves)
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
TEST_F(device, huge_iova_device)
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
TEST_F(device, hugetlb_memory_maps_huge_leaves)
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

/* ========================================================================
 * Fixture mock_domain: one or two mock devices on the IOAS from the start
 * ======================================================================== */

FIXTURE(mock_domain)
{
	int fd;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u32 hwpt_ids[2];
	__u32 stdev_ids[2];
	__u32 idev_ids[2];
	uint8_t *buf;
	size_t buf_size;
};

FIXTURE_VARIANT(mock_domain)
{
	unsigned int mock_domains;
};

FIXTURE_SETUP(mock_domain)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);

	ASSERT_GE(2, variant->mock_domains);
	for (unsigned int i = 0; i != variant->mock_domains; i++)
		test_cmd_mock_domain(self->ioas_id, &self->stdev_ids[i],
				     &self->hwpt_ids[i], &self->idev_ids[i]);
	self->hwpt_id = self->hwpt_ids[0];

	self->buf_size = 8 * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(mock_domain)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

FIXTURE_VARIANT_ADD(mock_domain, one_domain)
{
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(mock_domain, two_domains)
{
	.mock_domains = 2,
};

/* The mock driver confirms that [iova, iova + length) of every device's
 * HWPT translates to ptr. */
#define check_mock_iova(ptr, iova, length)                                     \
	({                                                                     \
		test_cmd_md_check_map(self->hwpt_ids[0], ptr, iova, length);   \
		if (self->hwpt_ids[1])                                         \
			test_cmd_md_check_map(self->hwpt_ids[1], ptr, iova,    \
					      length);                         \
	})

TEST_F(mock_domain, ids_follow_creation_order)
{
	/* iommufd_test_mock_domain(): the selftest object is allocated
	 * first, iommufd_device_bind() then allocates the device, and the
	 * attach allocates the automatic HWPT; IDs are the lowest free */
	EXPECT_EQ(1, self->ioas_id);
	EXPECT_EQ(2, self->stdev_ids[0]);
	EXPECT_EQ(3, self->idev_ids[0]);
	EXPECT_EQ(4, self->hwpt_ids[0]);
	if (variant->mock_domains == 2) {
		EXPECT_EQ(5, self->stdev_ids[1]);
		EXPECT_EQ(6, self->idev_ids[1]);
	}
}

TEST_F(mock_domain, second_device_reuses_the_auto_hwpt)
{
	__u32 ioas2, stdev, hwpt;

	/* iommufd_device_auto_get_domain(): a compatible automatic HWPT of
	 * the IOAS is reused */
	if (variant->mock_domains == 2) {
		EXPECT_EQ(self->hwpt_ids[0], self->hwpt_ids[1]);
		EXPECT_NE(self->idev_ids[0], self->idev_ids[1]);
		EXPECT_NE(self->stdev_ids[0], self->stdev_ids[1]);
	}
	test_cmd_mock_domain(self->ioas_id, &stdev, &hwpt, NULL);
	EXPECT_EQ(self->hwpt_id, hwpt);
	test_ioctl_destroy(stdev);

	/* another IOAS gets its own */
	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_mock_domain(ioas2, &stdev, &hwpt, NULL);
	EXPECT_NE(self->hwpt_id, hwpt);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(ioas2);
}

TEST_F(mock_domain, basic)
{
	size_t size = self->buf_size;
	uint8_t *mem;
	__u64 iova;

	/* a simple map reaches the domain */
	test_ioctl_ioas_map(self->buf, PSZ, &iova);
	check_mock_iova(self->buf, iova, PSZ);

	mem = mmap_touched(size);
	ASSERT_NE(MAP_FAILED, mem);

	/* with a domain, MAP pins at once: memory missing half way: EFAULT */
	ASSERT_EQ(0, munmap(mem + size / 2, size / 2));
	test_err_ioctl_ioas_map(EFAULT, mem, size, &iova);

	/* and on the first page */
	ASSERT_EQ(0, munmap(mem, size / 2));
	test_err_ioctl_ioas_map(EFAULT, mem, size, &iova);
}

TEST_F(mock_domain, failed_map_leaves_nothing_behind)
{
	uint8_t *mem = mmap_touched(8 * PSZ);

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, munmap(mem + 4 * PSZ, 4 * PSZ));
	test_err_ioctl_ioas_map_fixed(EFAULT, mem, 8 * PSZ, APERTURE_START);
	/* the half that could be pinned was let go, no area remains */
	test_cmd_md_check_refs(mem, 4 * PSZ, 0);
	EXPECT_EQ(0, test_ioctl_ioas_unmap_all());
	test_err_md_check_map(EINVAL, self->hwpt_id, mem, APERTURE_START, PSZ);
	/* and the IOVA is free again */
	test_ioctl_ioas_map_fixed(mem, 4 * PSZ, APERTURE_START);
	check_mock_iova(mem, APERTURE_START, 4 * PSZ);
	test_ioctl_ioas_unmap(APERTURE_START, 4 * PSZ);
	munmap(mem, 4 * PSZ);
}

TEST_F(mock_domain, read_only_memory)
{
	uint8_t *mem = mmap_touched(2 * PSZ);
	__u64 iova;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, mprotect(mem, 2 * PSZ, PROT_READ));

	/* readable only: pinned for reading, fine */
	ASSERT_EQ(0, _test_ioctl_ioas_map(self->fd, self->ioas_id, mem,
					  2 * PSZ, &iova,
					  IOMMU_IOAS_MAP_READABLE));
	check_mock_iova(mem, iova, 2 * PSZ);
	test_cmd_md_check_refs(mem, 2 * PSZ, 1);
	test_ioctl_ioas_unmap(iova, 2 * PSZ);

	/* writeable: the pin for writing fails as get_user_pages() does on
	 * a mapping without write permission */
	test_err_ioctl_ioas_map(EFAULT, mem, 2 * PSZ, &iova);
	test_cmd_md_check_refs(mem, 2 * PSZ, 0);
	munmap(mem, 2 * PSZ);
}

TEST_F(mock_domain, read_only_memory_fails_at_attach)
{
	uint8_t *mem = mmap_touched(2 * PSZ);
	__u32 ioas2, stdev;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, mprotect(mem, 2 * PSZ, PROT_READ));

	/* without a domain nothing is pinned at MAP time */
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, mem, 2 * PSZ, APERTURE_START);
	/* the first domain pins: iopt_fill_domain() fails, attach fails */
	test_err_mock_domain(EFAULT, ioas2, &stdev, NULL, NULL);
	expect_unrestricted(ioas2);
	test_cmd_md_check_refs(mem, 2 * PSZ, 0);

	test_ioctl_ioas_unmap_id(ioas2, APERTURE_START, 2 * PSZ);
	test_cmd_mock_domain(ioas2, &stdev, NULL, NULL);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(ioas2);
	munmap(mem, 2 * PSZ);
}

TEST_F(mock_domain, missing_memory_fails_at_attach)
{
	uint8_t *mem = mmap_touched(4 * PSZ);
	__u32 ioas2;

	ASSERT_NE(MAP_FAILED, mem);
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, mem, 4 * PSZ, APERTURE_START);
	ASSERT_EQ(0, munmap(mem, 4 * PSZ));
	test_err_mock_domain(EFAULT, ioas2, NULL, NULL, NULL);
	test_ioctl_ioas_unmap_id(ioas2, APERTURE_START, 4 * PSZ);
	test_ioctl_destroy(ioas2);
}

TEST_F(mock_domain, all_aligns)
{
	size_t size = self->buf_size;

	test_cmd_md_check_refs(self->buf, size, 0);
	/* every start and end on the 2 KiB grid inside the buffer */
	for (uint64_t start = 0; start < size; start += MPSZ) {
		for (uint64_t end = start + MPSZ; end <= size; end += MPSZ) {
			uint64_t length = end - start;
			uint64_t first = start / PSZ * PSZ;
			uint64_t past = (end + PSZ - 1) / PSZ * PSZ;
			__u64 iova;

			test_ioctl_ioas_map(self->buf + start, length, &iova);
			check_mock_iova(self->buf + start, iova, length);
			test_cmd_md_check_refs(self->buf + first, past - first,
					       1);
			test_ioctl_ioas_unmap(iova, length);
		}
	}
	test_cmd_md_check_refs(self->buf, size, 0);
}

TEST_F(mock_domain, all_aligns_new_device)
{
	size_t size = self->buf_size;

	/* a device that arrives while the area exists finds it mapped */
	for (uint64_t start = 0; start < size; start += 3 * MPSZ) {
		for (uint64_t end = start + MPSZ; end <= size;
		     end += 5 * MPSZ) {
			uint64_t length = end - start;
			__u32 stdev, hwpt;
			__u64 iova;

			test_ioctl_ioas_map(self->buf + start, length, &iova);
			test_cmd_mock_domain(self->ioas_id, &stdev, &hwpt,
					     NULL);
			test_cmd_md_check_map(hwpt, self->buf + start, iova,
					      length);
			test_ioctl_destroy(stdev);
			test_ioctl_ioas_unmap(iova, length);
		}
	}
	test_cmd_md_check_refs(self->buf, size, 0);
}

TEST_F(mock_domain, attach_fills_existing_mappings)
{
	__u32 ioas2, stdev, hwpt;

	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, 4 * PSZ,
				     APERTURE_START);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, 0);

	test_cmd_mock_domain(ioas2, &stdev, &hwpt, NULL);
	test_cmd_md_check_map(hwpt, self->buf, APERTURE_START, 4 * PSZ);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, 1);

	/* the last domain gone, nothing needs the pages pinned */
	test_ioctl_destroy(stdev);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, 0);
	test_ioctl_destroy(ioas2);
}

TEST_F(mock_domain, copy_shares_the_pins)
{
	__u32 src_ioas;
	__u64 src_iova, dst_iova = APERTURE_START;

	test_ioctl_ioas_alloc(&src_ioas);
	test_ioctl_ioas_map_id(src_ioas, self->buf, self->buf_size, &src_iova);
	test_cmd_md_check_refs(self->buf, self->buf_size, 0);

	/* the destination's domain pins the source's iopt_pages */
	test_ioctl_ioas_copy(IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW, self->ioas_id,
			     &dst_iova, src_ioas, src_iova, self->buf_size);
	check_mock_iova(self->buf, APERTURE_START, self->buf_size);
	test_cmd_md_check_refs(self->buf, self->buf_size, 1);

	/* the source going away leaves the copy intact */
	test_ioctl_ioas_unmap_id(src_ioas, src_iova, self->buf_size);
	test_ioctl_destroy(src_ioas);
	check_mock_iova(self->buf, APERTURE_START, self->buf_size);
	test_cmd_md_check_refs(self->buf, self->buf_size, 1);

	test_ioctl_ioas_unmap(APERTURE_START, self->buf_size);
	test_cmd_md_check_refs(self->buf, self->buf_size, 0);
}

TEST_F(mock_domain, unmap_clears_the_domain)
{
	test_ioctl_ioas_map_fixed(self->buf, 2 * PSZ, APERTURE_START);
	check_mock_iova(self->buf, APERTURE_START, 2 * PSZ);
	test_ioctl_ioas_unmap(APERTURE_START, 2 * PSZ);
	/* selftest.c iommufd_test_md_check_pa(): nothing translates */
	test_err_md_check_map(EINVAL, self->hwpt_id, self->buf, APERTURE_START,
			      2 * PSZ);
}

TEST_F(mock_domain, md_check_map_errors)
{
	test_ioctl_ioas_map_fixed(self->buf, 2 * PSZ, APERTURE_START);
	/* iommufd_test_md_check_pa(): I/O page alignment of the three
	 * values, the translation itself */
	test_err_md_check_map(EINVAL, self->hwpt_id, self->buf,
			      APERTURE_START + 1, MPSZ);
	test_err_md_check_map(EINVAL, self->hwpt_id, self->buf, APERTURE_START,
			      MPSZ + 1);
	test_err_md_check_map(EINVAL, self->hwpt_id, self->buf + 1,
			      APERTURE_START, MPSZ);
	test_err_md_check_map(EINVAL, self->hwpt_id, self->buf + PSZ,
			      APERTURE_START, PSZ);
	/* get_md_pagetable(): a paging HWPT only */
	test_err_md_check_map(ENOENT, self->ioas_id, self->buf, APERTURE_START,
			      PSZ);
	test_err_md_check_map(ENOENT, self->idev_ids[0], self->buf,
			      APERTURE_START, PSZ);
	test_err_md_check_map(ENOENT, NO_SUCH_ID, self->buf, APERTURE_START,
			      PSZ);
	/* newest selftest.c looks the HWPT up before the alignment checks */
	test_err_md_check_map(ENOENT, NO_SUCH_ID, self->buf,
			      APERTURE_START + 1, PSZ);
	test_cmd_md_check_map(self->hwpt_id, self->buf + MPSZ,
			      APERTURE_START + MPSZ, MPSZ);
}

TEST_F(mock_domain, md_check_refs_errors)
{
	/* iommufd_test_md_check_refs(): CPU-page granularity */
	test_err_md_check_refs(EINVAL, self->buf + 1, PSZ, 0);
	test_err_md_check_refs(EINVAL, self->buf, PSZ + 1, 0);
	test_err_md_check_refs(EINVAL,
			       (void *)(uintptr_t)(UINTPTR_MAX & ~(PSZ - 1)),
			       2 * PSZ, 0);
	/* a count that does not match */
	test_err_md_check_refs(EIO, self->buf, PSZ, 1);
	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_START);
	test_err_md_check_refs(EIO, self->buf, PSZ, 0);
	test_err_md_check_refs(EIO, self->buf, PSZ, 2);
	test_cmd_md_check_refs(self->buf, PSZ, 1);
}

TEST_F(mock_domain, replace)
{
	__u32 ioas2, pt_id;

	test_ioctl_ioas_alloc(&ioas2);
	ASSERT_EQ(0, _test_cmd_mock_domain_replace(self->fd, self->stdev_ids[0],
						   ioas2, &pt_id));
	/* to an IOAS: the answer is the HWPT chosen for it */
	EXPECT_NE(ioas2, pt_id);
	EXPECT_NE(self->hwpt_ids[0], pt_id);
	expect_mock_aperture(ioas2);

	if (variant->mock_domains == 1) {
		/* the old automatic HWPT lost its last device and is gone */
		test_err_mock_domain_replace(ENOENT, self->stdev_ids[0],
					     self->hwpt_ids[0]);
		test_err_destroy(ENOENT, self->hwpt_ids[0]);
		expect_unrestricted(self->ioas_id);
	}

	/* again to the same IOAS: the same HWPT */
	test_cmd_mock_domain_replace(self->stdev_ids[0], ioas2);
	if (variant->mock_domains == 2) {
		/* the other device's HWPT, twice, then back */
		test_cmd_mock_domain_replace(self->stdev_ids[0],
					     self->hwpt_ids[1]);
		test_cmd_mock_domain_replace(self->stdev_ids[0],
					     self->hwpt_ids[1]);
		test_cmd_mock_domain_replace(self->stdev_ids[0],
					     self->hwpt_ids[0]);
		/* nothing uses ioas2 now */
		expect_unrestricted(ioas2);
	}

	test_cmd_mock_domain_replace(self->stdev_ids[0], self->ioas_id);
	test_ioctl_destroy(ioas2);
}

TEST_F(mock_domain, replace_errors)
{
	__u32 pt_id = 0;

	/* iommufd_test_get_selftest_obj(): a selftest object only */
	test_err_mock_domain_replace(ENOENT, NO_SUCH_ID, self->ioas_id);
	test_err_mock_domain_replace(ENOENT, self->ioas_id, self->ioas_id);
	test_err_mock_domain_replace(ENOENT, self->idev_ids[0], self->ioas_id);
	test_err_mock_domain_replace(ENOENT, self->hwpt_id, self->ioas_id);
	/* iommufd_device_change_pt(): no such object / not an IOAS or HWPT */
	test_err_mock_domain_replace(ENOENT, self->stdev_ids[0], NO_SUCH_ID);
	test_err_mock_domain_replace(ENOENT, self->stdev_ids[0], 0);
	test_err_mock_domain_replace(EINVAL, self->stdev_ids[0],
				     self->idev_ids[0]);
	test_err_mock_domain_replace(EINVAL, self->stdev_ids[0],
				     self->stdev_ids[0]);
	/* onto the HWPT it already has: nothing to do, same answer */
	ASSERT_EQ(0, _test_cmd_mock_domain_replace(self->fd, self->stdev_ids[0],
						   self->hwpt_id, &pt_id));
	EXPECT_EQ(self->hwpt_id, pt_id);
	ASSERT_EQ(0, _test_cmd_mock_domain_replace(self->fd, self->stdev_ids[0],
						   self->ioas_id, &pt_id));
	EXPECT_EQ(self->hwpt_id, pt_id);
}

TEST_F(mock_domain, replace_fails_on_a_conflicting_ioas)
{
	__u32 ioas2;

	test_ioctl_ioas_map_fixed(self->buf, 2 * PSZ, APERTURE_START);
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, PSZ, 0);
	/* iopt_table_add_domain(): IOVA 0 lies below the aperture */
	test_err_mock_domain_replace(EADDRINUSE, self->stdev_ids[0], ioas2);
	/* nothing changed: the device still translates through its HWPT */
	check_mock_iova(self->buf, APERTURE_START, 2 * PSZ);
	expect_unrestricted(ioas2);
	test_err_destroy(EBUSY, self->hwpt_id);
	test_ioctl_destroy(ioas2);
}

TEST_F(mock_domain, alloc_hwpt)
{
	for (unsigned int i = 0; i != variant->mock_domains; i++) {
		__u32 hwpt_id[2];
		__u32 stdev_id;

		/* iommufd_hwpt_paging_alloc(): every unknown flag */
		test_err_hwpt_alloc(EOPNOTSUPP, self->idev_ids[i],
				    self->ioas_id,
				    ~(__u32)IOMMU_HWPT_ALLOC_NEST_PARENT,
				    &hwpt_id[0]);
		test_cmd_hwpt_alloc(self->idev_ids[i], self->ioas_id, 0,
				    &hwpt_id[0]);
		test_cmd_hwpt_alloc(self->idev_ids[i], self->ioas_id,
				    IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt_id[1]);

		/* rotate through them: the one in use cannot be destroyed */
		test_cmd_mock_domain_replace(self->stdev_ids[i], hwpt_id[0]);
		test_err_destroy(EBUSY, hwpt_id[0]);
		test_cmd_mock_domain_replace(self->stdev_ids[i], hwpt_id[1]);
		test_err_destroy(EBUSY, hwpt_id[1]);
		test_cmd_mock_domain_replace(self->stdev_ids[i], self->ioas_id);
		test_ioctl_destroy(hwpt_id[1]);

		test_cmd_mock_domain(hwpt_id[0], &stdev_id, NULL, NULL);
		test_ioctl_destroy(stdev_id);
		test_ioctl_destroy(hwpt_id[0]);
	}
}

TEST_F(mock_domain, destroying_the_device_object_unbinds)
{
	struct iommu_hw_info info;
	unsigned int last = variant->mock_domains - 1;

	test_ioctl_ioas_map_fixed(self->buf, 4 * PSZ, APERTURE_START);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, 1);

	/* the device object is held by its binding and its attachment */
	test_err_destroy(EBUSY, self->idev_ids[0]);
	/* the automatic HWPT by the attachment */
	test_err_destroy(EBUSY, self->hwpt_id);

	/* iommufd_selftest_destroy(): detach, unbind, remove the device */
	test_ioctl_destroy(self->stdev_ids[0]);
	test_err_destroy(ENOENT, self->stdev_ids[0]);
	test_err_destroy(ENOENT, self->idev_ids[0]);
	EXPECT_ERRNO(ENOENT, _test_cmd_get_hw_info(self->fd, self->idev_ids[0],
						   0, 0, NULL, 0, &info));

	if (last) {
		/* the other device still holds the automatic HWPT */
		test_cmd_md_check_map(self->hwpt_id, self->buf, APERTURE_START,
				      4 * PSZ);
		test_cmd_md_check_refs(self->buf, 4 * PSZ, 1);
		expect_mock_aperture(self->ioas_id);
		test_ioctl_destroy(self->stdev_ids[last]);
	}
	/* the automatic HWPT went with its last device: the aperture and
	 * the alignment are lifted, the pages unpinned, the area kept */
	test_err_destroy(ENOENT, self->hwpt_id);
	expect_unrestricted(self->ioas_id);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, 0);
	test_ioctl_ioas_unmap(APERTURE_START, 4 * PSZ);
	test_ioctl_destroy(self->ioas_id);
}

TEST_F(mock_domain, temp_memory_limit)
{
	/* selftest.c iommufd_test(): the limit must hold one batch element,
	 * sizeof(unsigned long) + sizeof(u32) */
	test_err_set_temp_memory_limit(EINVAL, 0);
	test_err_set_temp_memory_limit(EINVAL, 11);
	test_cmd_set_temp_memory_limit(12);
	test_cmd_set_temp_memory_limit(16);

	/* tiny batches change nothing a user can see */
	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	check_mock_iova(self->buf, APERTURE_START, self->buf_size);
	test_cmd_md_check_refs(self->buf, self->buf_size, 1);
	test_ioctl_ioas_unmap(APERTURE_START, self->buf_size);
	test_cmd_md_check_refs(self->buf, self->buf_size, 0);
	test_cmd_set_default_memory_limit();
}

TEST_F(mock_domain, huge_pages_option_with_a_domain)
{
	/* iopt_disable_large_pages(): refused once a domain holds areas */
	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_START);
	test_err_ioctl_huge_pages_set(EINVAL, self->ioas_id, 0);
	test_ioctl_ioas_unmap(APERTURE_START, PSZ);

	/* without areas it works, and the alignment becomes PAGE_SIZE */
	test_ioctl_huge_pages_set(self->ioas_id, 0);
	expect_one_range(self->ioas_id, APERTURE_START, APERTURE_LAST, PSZ);
	test_ioctl_huge_pages_set(self->ioas_id, 1);
	expect_mock_aperture(self->ioas_id);
}

TEST_HARNESS_MAIN
