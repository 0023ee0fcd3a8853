// SPDX-License-Identifier: MIT
/*
 * Devices, the mock IOMMU and HWPTs through the uAPI: the selftest mock
 * device (IOMMU_TEST_OP_MOCK_DOMAIN, _FLAGS, _REPLACE), paging and nested
 * HWPTs (IOMMU_HWPT_ALLOC), IOMMU_GET_HW_INFO, IOMMU_HWPT_INVALIDATE, dirty
 * tracking, the inspection ops (MD_CHECK_MAP, MD_CHECK_REFS, MD_CHECK_IOTLB)
 * and the lifetime of every object involved.
 *
 * The fixtures follow the kernel's tools/testing/selftests/iommu/iommufd.c
 * (iommufd_ioas with its mock-domain variants, iommufd_mock_domain,
 * iommufd_dirty_tracking); the tests are our own. Every expected value
 * follows the kernel's code, newest upstream (drivers/iommu/iommufd/
 * hw_pagetable.c, device.c, selftest.c, io_pagetable.c, pages.c, main.c,
 * include/linux/iommu.h); the function each rule comes from is named next
 * to it. Where two things are wrong at once, the errno asserted is the one
 * the kernel's check order gives.
 *
 * Pinning is visible through MD_CHECK_REFS: a page is pinned once per
 * iopt_pages that a domain holds, never without a domain. The teardowns
 * check from a fresh context, after close(), that nothing stayed pinned.
 */
#include "hwpt_utils.h"


#define PSZ page_size
#define MPSZ ((uint64_t)MOCK_PAGE_SIZE)
#define APERTURE_START ((uint64_t)MOCK_APERTURE_START)
#define APERTURE_LAST ((uint64_t)MOCK_APERTURE_LAST)

/* Reads the IOAS's ranges (at most 8) and alignment. */
#define get_ranges(ioas_id, ranges, num_p, align_p)                            \
	({                                                                     \
		*(num_p) = 8;                                                  \
		ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(self->fd, ioas_id,   \
							  ranges, num_p,       \
							  align_p));           \
	})

/* The IOAS has exactly one usable range [start, last] and that alignment. */
#define expect_one_range(ioas_id, _start, _last, _align)                       \
	({                                                                     \
		struct iommu_iova_range __r[8];                                \
		uint64_t __align = 0;                                          \
		__u32 __num;                                                   \
		get_ranges(ioas_id, __r, &__num, &__align);                    \
		ASSERT_EQ(1, __num);                                           \
		EXPECT_EQ((uint64_t)(_start), __r[0].start);                   \
		EXPECT_EQ((uint64_t)(_last), __r[0].last);                     \
		EXPECT_EQ((uint64_t)(_align), __align);                        \
	})

/* An IOAS with no domain: everything usable, 1-byte alignment. */
#define expect_unrestricted(ioas_id) expect_one_range(ioas_id, 0, U64_MAX, 1)
/* An IOAS with a MOCK_IOMMUPT_DEFAULT domain. */
#define expect_mock_aperture(ioas_id)                                          \
	expect_one_range(ioas_id, APERTURE_START, APERTURE_LAST, MPSZ)

/* ========================================================================
 * Fixture iommufd_ioas: one IOAS with zero, one or two mock devices
 * ======================================================================== */

FIXTURE(iommufd_ioas)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 hwpt_id;
	__u32 device_id;
	uint64_t base_iova;
	uint8_t *buf;
	size_t buf_size;
};

FIXTURE_VARIANT(iommufd_ioas)
{
	unsigned int mock_domains;
	unsigned int memory_limit;
};

FIXTURE_SETUP(iommufd_ioas)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);

	if (!variant->memory_limit)
		test_cmd_set_default_memory_limit();
	else
		test_cmd_set_temp_memory_limit(variant->memory_limit);

	for (unsigned int i = 0; i != variant->mock_domains; i++) {
		test_cmd_mock_domain(self->ioas_id, &self->stdev_id,
				     &self->hwpt_id, &self->device_id);
		self->base_iova = APERTURE_START;
	}

	self->buf_size = 16 * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(iommufd_ioas)
{
	test_cmd_set_default_memory_limit();
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

FIXTURE_VARIANT_ADD(iommufd_ioas, no_domain)
{
};

FIXTURE_VARIANT_ADD(iommufd_ioas, mock_domain)
{
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(iommufd_ioas, two_mock_domain)
{
	.mock_domains = 2,
};

FIXTURE_VARIANT_ADD(iommufd_ioas, mock_domain_limit)
{
	.mock_domains = 1,
	.memory_limit = 16,
};

TEST_F(iommufd_ioas, ioas_auto_destroy)
{
}

TEST_F(iommufd_ioas, ioas_destroy)
{
	/* iommufd_hwpt_paging_alloc() takes a users reference on the IOAS;
	 * iommufd_object_remove() refuses while one is held */
	if (self->stdev_id)
		test_err_destroy(EBUSY, self->ioas_id);
	else
		test_ioctl_destroy(self->ioas_id);
}

TEST_F(iommufd_ioas, hwpt_attach)
{
	__u32 stdev_id, hwpt_id;

	if (self->stdev_id) {
		/* a second device straight onto the HWPT the first one got */
		test_cmd_mock_domain(self->hwpt_id, &stdev_id, &hwpt_id, NULL);
		EXPECT_EQ(self->hwpt_id, hwpt_id);
		test_ioctl_destroy(stdev_id);
	} else {
		/* iommufd_device_change_pt(): no object 0 */
		test_err_mock_domain(ENOENT, self->hwpt_id, NULL, NULL, NULL);
	}
}

TEST_F(iommufd_ioas, ioas_area_destroy)
{
	/* an area changes nothing about who may destroy the IOAS */
	test_ioctl_ioas_map_fixed(self->buf, PSZ, self->base_iova);
	if (self->stdev_id)
		test_err_destroy(EBUSY, self->ioas_id);
	else
		test_ioctl_destroy(self->ioas_id);
}

TEST_F(iommufd_ioas, ioas_area_auto_destroy)
{
	/* closing with many areas (and pins, with a domain) frees them all;
	 * the teardown checks the pins */
	for (unsigned int i = 0; i != 10; i++)
		test_ioctl_ioas_map_fixed(self->buf, PSZ,
					  self->base_iova + i * PSZ);
}

TEST_F(iommufd_ioas, get_hw_info)
{
	struct iommu_test_hw_info exact;
	struct {
		struct iommu_test_hw_info info;
		uint64_t trailing;
	} larger;
	struct {
		__u32 flags;
	} smaller;

	if (self->device_id) {
		test_cmd_get_hw_info(self->device_id, NULL, 0, NULL);
		test_cmd_get_hw_info(self->device_id, &exact, sizeof(exact),
				     NULL);
		test_cmd_get_hw_info(self->device_id, &larger, sizeof(larger),
				     NULL);
		test_cmd_get_hw_info(self->device_id, &smaller,
				     sizeof(smaller), NULL);
	} else {
		/* iommufd_get_hw_info(): iommufd_get_device() of ID 0 */
		test_err_get_hw_info(ENOENT, self->device_id, &exact,
				     sizeof(exact));
		test_err_get_hw_info(ENOENT, self->device_id, &larger,
				     sizeof(larger));
	}
}

TEST_F(iommufd_ioas, hwpt_alloc_needs_a_device)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	__u32 hwpt_id = 0, parent_id = 0;

	if (self->device_id) {
		test_cmd_hwpt_alloc(self->device_id, self->ioas_id,
				    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent_id);
		test_cmd_hwpt_alloc_nested(self->device_id, parent_id, 0,
					   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
					   &data, sizeof(data));
		test_ioctl_destroy(hwpt_id);
		test_ioctl_destroy(parent_id);
		return;
	}
	/* iommufd_hwpt_alloc(): the device is looked up first */
	test_err_hwpt_alloc(ENOENT, self->device_id, self->ioas_id, 0,
			    &parent_id);
	test_err_hwpt_alloc_nested(ENOENT, self->device_id, parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	/* iommufd_test_get_selftest_obj(): no such selftest object */
	test_err_mock_domain_replace(ENOENT, self->stdev_id, self->ioas_id);
}

TEST_F(iommufd_ioas, iova_ranges_follow_the_aperture)
{
	struct iommu_iova_range r[8];
	uint64_t align = 0;
	__u32 num;

	if (!self->stdev_id) {
		expect_unrestricted(self->ioas_id);
		test_cmd_add_reserved(PSZ, PSZ);
		get_ranges(self->ioas_id, r, &num, &align);
		ASSERT_EQ(2, num);
		EXPECT_EQ(0, r[0].start);
		EXPECT_EQ(PSZ - 1, r[0].last);
		EXPECT_EQ(2 * PSZ, r[1].start);
		EXPECT_EQ(U64_MAX, r[1].last);
		return;
	}
	/* iopt_table_add_domain(): the domain's aperture is reserved on both
	 * sides and its smallest page (2 KiB) becomes the alignment */
	expect_mock_aperture(self->ioas_id);
	/* a reserved range outside the aperture changes nothing visible */
	test_cmd_add_reserved(PSZ, PSZ);
	expect_mock_aperture(self->ioas_id);
	/* inside, it splits the range */
	test_cmd_add_reserved(APERTURE_START + 4 * PSZ, PSZ);
	get_ranges(self->ioas_id, r, &num, &align);
	ASSERT_EQ(2, num);
	EXPECT_EQ(APERTURE_START, r[0].start);
	EXPECT_EQ(APERTURE_START + 4 * PSZ - 1, r[0].last);
	EXPECT_EQ(APERTURE_START + 5 * PSZ, r[1].start);
	EXPECT_EQ(APERTURE_LAST, r[1].last);
	EXPECT_EQ(MPSZ, align);
}

TEST_F(iommufd_ioas, fixed_map_outside_the_aperture)
{
	if (!self->stdev_id) {
		test_ioctl_ioas_map_fixed(self->buf, PSZ, 0);
		test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_LAST + 1);
		return;
	}
	/* iopt_check_iova(): the aperture reservations intersect: EINVAL */
	test_err_ioctl_ioas_map_fixed(EINVAL, self->buf, PSZ, 0);
	test_err_ioctl_ioas_map_fixed(EINVAL, self->buf, PSZ,
				      APERTURE_START - PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, self->buf, 2 * PSZ,
				      APERTURE_LAST + 1 - PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, self->buf, PSZ,
				      APERTURE_LAST + 1);
	/* the edges themselves are usable */
	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_START);
	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_LAST + 1 - PSZ);
	test_cmd_md_check_map(self->hwpt_id, self->buf, APERTURE_START, PSZ);
	test_cmd_md_check_map(self->hwpt_id, self->buf,
			      APERTURE_LAST + 1 - PSZ, PSZ);
}

TEST_F(iommufd_ioas, auto_iova_lands_in_the_aperture)
{
	__u64 iovas[10];

	for (unsigned int i = 0; i != 10; i++) {
		uint64_t length = PSZ * (i + 1);

		if (length > self->buf_size)
			length = self->buf_size;
		test_ioctl_ioas_map(self->buf, length, &iovas[i]);
		if (self->stdev_id) {
			EXPECT_LE(APERTURE_START, iovas[i]);
			EXPECT_GE(APERTURE_LAST, iovas[i] + length - 1);
			test_cmd_md_check_map(self->hwpt_id, self->buf,
					      iovas[i], length);
		}
	}
	for (unsigned int i = 0; i != 10; i++) {
		uint64_t length = PSZ * (i + 1);

		if (length > self->buf_size)
			length = self->buf_size;
		test_ioctl_ioas_unmap(iovas[i], length);
	}
}

TEST_F(iommufd_ioas, map_length_follows_the_io_page_size)
{
	__u64 iova;

	/* iopt_alloc_iova() / iopt_map_common(): with a mock domain the
	 * alignment is MOCK_PAGE_SIZE, and the length must follow it */
	for (uint64_t length = 1; length != 2 * PSZ; length++) {
		if (variant->mock_domains && (length % MPSZ)) {
			test_err_ioctl_ioas_map(EINVAL, self->buf, length,
						&iova);
		} else {
			test_ioctl_ioas_map(self->buf, length, &iova);
			test_ioctl_ioas_unmap(iova, length);
		}
	}
}

TEST_F(iommufd_ioas, map_half_pages)
{
	if (!self->stdev_id)
		return;
	/* a 2 KiB I/O page: both halves of a CPU page, separately */
	test_ioctl_ioas_map_fixed(self->buf + MPSZ, MPSZ,
				  APERTURE_START + MPSZ);
	test_ioctl_ioas_map_fixed(self->buf, MPSZ, APERTURE_START + 8 * PSZ);
	test_cmd_md_check_map(self->hwpt_id, self->buf + MPSZ,
			      APERTURE_START + MPSZ, MPSZ);
	test_cmd_md_check_map(self->hwpt_id, self->buf,
			      APERTURE_START + 8 * PSZ, MPSZ);
	/* iopt_insert_area() only asks the page offset to follow the 2 KiB
	 * alignment, not to equal the IOVA's offset in a CPU page */
	test_ioctl_ioas_map_fixed(self->buf + MPSZ, MPSZ,
				  APERTURE_START + 16 * PSZ);
	test_cmd_md_check_map(self->hwpt_id, self->buf + MPSZ,
			      APERTURE_START + 16 * PSZ, MPSZ);
	/* off the 2 KiB grid: iopt_check_iova() */
	test_err_ioctl_ioas_map_fixed(EINVAL, self->buf + 1024, MPSZ,
				      APERTURE_START + 24 * PSZ + 1024);
	/* off the grid in the page only: iopt_insert_area() */
	test_err_ioctl_ioas_map_fixed(EINVAL, self->buf + 1024, MPSZ,
				      APERTURE_START + 24 * PSZ);
	/* three areas, three iopt_pages, each pinning the page */
	test_cmd_md_check_refs(self->buf, PSZ, 3);
}

TEST_F(iommufd_ioas, copy_area)
{
	__u32 dst_ioas_id;
	__u64 dst_iova;

	test_ioctl_ioas_map_fixed(self->buf, PSZ, self->base_iova);

	/* inside one IOAS */
	dst_iova = self->base_iova + PSZ;
	test_ioctl_ioas_copy(IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW, self->ioas_id,
			     &dst_iova, self->ioas_id, self->base_iova, PSZ);
	if (self->stdev_id)
		test_cmd_md_check_map(self->hwpt_id, self->buf,
				      self->base_iova + PSZ, PSZ);

	/* to an IOAS without a domain */
	test_ioctl_ioas_alloc(&dst_ioas_id);
	dst_iova = 0;
	test_ioctl_ioas_copy(IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW, dst_ioas_id, &dst_iova,
			     self->ioas_id, self->base_iova, PSZ);
	/* the pages are shared, not pinned again */
	test_cmd_md_check_refs(self->buf, PSZ, self->stdev_id ? 1 : 0);
}

TEST_F(iommufd_ioas, pins_exist_only_with_a_domain)
{
	__u64 iova1, iova2;

	/* pages.c: an iopt_pages pins its pages when a domain needs them,
	 * once per iopt_pages however many domains hold it */
	test_ioctl_ioas_map(self->buf, 4 * PSZ, &iova1);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, self->stdev_id ? 1 : 0);
	/* a second MAP of the same memory is a second iopt_pages */
	test_ioctl_ioas_map(self->buf, 4 * PSZ, &iova2);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, self->stdev_id ? 2 : 0);
	test_ioctl_ioas_unmap(iova1, 4 * PSZ);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, self->stdev_id ? 1 : 0);
	test_ioctl_ioas_unmap(iova2, 4 * PSZ);
	test_cmd_md_check_refs(self->buf, 4 * PSZ, 0);
}

/* ========================================================================
 * Fixture iommufd_mock_domain: the mock devices' domains themselves
 * ======================================================================== */

FIXTURE(iommufd_mock_domain)
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

FIXTURE_VARIANT(iommufd_mock_domain)
{
	unsigned int mock_domains;
};

FIXTURE_SETUP(iommufd_mock_domain)
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

FIXTURE_TEARDOWN(iommufd_mock_domain)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

FIXTURE_VARIANT_ADD(iommufd_mock_domain, one_domain)
{
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(iommufd_mock_domain, two_domains)
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

TEST_F(iommufd_mock_domain, ids_follow_creation_order)
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

TEST_F(iommufd_mock_domain, second_device_reuses_the_auto_hwpt)
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

TEST_F(iommufd_mock_domain, basic)
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

TEST_F(iommufd_mock_domain, failed_map_leaves_nothing_behind)
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

TEST_F(iommufd_mock_domain, read_only_memory)
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

TEST_F(iommufd_mock_domain, read_only_memory_fails_at_attach)
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

TEST_F(iommufd_mock_domain, missing_memory_fails_at_attach)
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

TEST_F(iommufd_mock_domain, all_aligns)
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

TEST_F(iommufd_mock_domain, all_aligns_new_device)
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

TEST_F(iommufd_mock_domain, attach_fills_existing_mappings)
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

TEST_F(iommufd_mock_domain, copy_shares_the_pins)
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

TEST_F(iommufd_mock_domain, unmap_clears_the_domain)
{
	test_ioctl_ioas_map_fixed(self->buf, 2 * PSZ, APERTURE_START);
	check_mock_iova(self->buf, APERTURE_START, 2 * PSZ);
	test_ioctl_ioas_unmap(APERTURE_START, 2 * PSZ);
	/* selftest.c iommufd_test_md_check_pa(): nothing translates */
	test_err_md_check_map(EINVAL, self->hwpt_id, self->buf, APERTURE_START,
			      2 * PSZ);
}

TEST_F(iommufd_mock_domain, md_check_map_errors)
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

TEST_F(iommufd_mock_domain, md_check_refs_errors)
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

TEST_F(iommufd_mock_domain, replace)
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

TEST_F(iommufd_mock_domain, replace_errors)
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

TEST_F(iommufd_mock_domain, replace_fails_on_a_conflicting_ioas)
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

TEST_F(iommufd_mock_domain, alloc_hwpt)
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

TEST_F(iommufd_mock_domain, destroying_the_device_object_unbinds)
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

TEST_F(iommufd_mock_domain, temp_memory_limit)
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

TEST_F(iommufd_mock_domain, huge_pages_option_with_a_domain)
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

/* ========================================================================
 * Fixture iommufd_attach: what an attach does to an IOAS, and when it fails
 * ======================================================================== */

FIXTURE(iommufd_attach)
{
	int fd;
	__u32 ioas_id;
	uint8_t *buf;
	size_t buf_size;
};

FIXTURE_SETUP(iommufd_attach)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	self->buf_size = 4 * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(iommufd_attach)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

TEST_F(iommufd_attach, mock_domain_returns_three_ids)
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

TEST_F(iommufd_attach, attach_narrows_and_detach_widens)
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

TEST_F(iommufd_attach, mapping_below_the_aperture_blocks_attach)
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

TEST_F(iommufd_attach, mapping_above_the_aperture_blocks_attach)
{
	__u32 stdev;

	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_LAST + 1);
	test_err_mock_domain(EADDRINUSE, self->ioas_id, &stdev, NULL, NULL);
	test_ioctl_ioas_unmap(APERTURE_LAST + 1, PSZ);
	test_ioctl_ioas_map_fixed(self->buf, PSZ, APERTURE_LAST + 1 - PSZ);
	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	test_ioctl_destroy(stdev);
}

TEST_F(iommufd_attach, misaligned_mapping_blocks_attach)
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

TEST_F(iommufd_attach, allowed_range_outside_the_aperture_blocks_attach)
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

TEST_F(iommufd_attach, reserved_ranges_stay_reserved)
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

TEST_F(iommufd_attach, mock_domain_target_errors)
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

TEST_F(iommufd_attach, auto_selection_never_picks_a_user_hwpt)
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

/* ========================================================================
 * Fixture iommufd_hwpt: IOMMU_HWPT_ALLOC, nested HWPTs, IOMMU_GET_HW_INFO,
 * IOMMU_HWPT_INVALIDATE, with one mock device on an IOAS
 * ======================================================================== */

FIXTURE(iommufd_hwpt)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 hwpt_id;
	__u32 idev_id;
	__u32 parent_id;
	uint8_t *buf;
	size_t buf_size;
};

FIXTURE_SETUP(iommufd_hwpt)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, &self->stdev_id, &self->hwpt_id,
			     &self->idev_id);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &self->parent_id);
	self->buf_size = 4 * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(iommufd_hwpt)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

static const struct iommu_hwpt_selftest default_data = {
	.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
};

/* ---- IOMMU_HWPT_ALLOC: the command's own checks, iommufd_hwpt_alloc() -- */

TEST_F(iommufd_hwpt, alloc_reserved_is_eopnotsupp)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.__reserved = 1,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* first of all checks: with a bad data rule and no such device */
	cmd.data_len = 8;
	cmd.dev_id = NO_SUCH_ID;
	cmd.pt_id = NO_SUCH_ID;
	cmd.flags = 1u << 31;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.__reserved = 0x80000000;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(iommufd_hwpt, alloc_reserved2_is_not_checked)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.__reserved2 = 0xffffffff,
	};

	/* iommufd_hwpt_alloc() never looks at __reserved2 */
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_NE(0, cmd.out_hwpt_id);
	test_ioctl_destroy(cmd.out_hwpt_id);
}

TEST_F(iommufd_hwpt, data_type_none_requires_zero_data_len)
{
	__u32 hwpt_id = 0x5555;

	/* seed rule 3, first half, from iommufd_hwpt_alloc() */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_NONE,
				   &default_data, sizeof(default_data));
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_NONE,
				   &default_data, sizeof(default_data));
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 1);
	/* checked before the device and the parent are looked up */
	test_err_hwpt_alloc_nested(EINVAL, NO_SUCH_ID, NO_SUCH_ID, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_NONE, &default_data,
				   sizeof(default_data));
	EXPECT_EQ(0x5555, hwpt_id);
}

TEST_F(iommufd_hwpt, data_type_other_requires_nonzero_data_len)
{
	__u32 hwpt_id;

	/* seed rule 3, second half */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
				   &default_data, 0);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
				   &default_data, 0);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_VTD_S1, NULL, 0);
	test_err_hwpt_alloc_nested(EINVAL, NO_SUCH_ID, NO_SUCH_ID, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_ARM_SMMUV3, NULL, 0);
}

TEST_F(iommufd_hwpt, alloc_dev_id_must_be_a_device)
{
	__u32 hwpt_id;

	/* iommufd_get_device(): ENOENT for anything else, before pt_id */
	test_err_hwpt_alloc(ENOENT, 0, self->ioas_id, 0, &hwpt_id);
	test_err_hwpt_alloc(ENOENT, NO_SUCH_ID, self->ioas_id, 0, &hwpt_id);
	test_err_hwpt_alloc(ENOENT, self->ioas_id, self->ioas_id, 0, &hwpt_id);
	test_err_hwpt_alloc(ENOENT, self->hwpt_id, self->ioas_id, 0, &hwpt_id);
	test_err_hwpt_alloc(ENOENT, self->stdev_id, self->ioas_id, 0,
			    &hwpt_id);
	test_err_hwpt_alloc(ENOENT, self->ioas_id, self->idev_id, 1u << 31,
			    &hwpt_id);
}

TEST_F(iommufd_hwpt, alloc_pt_id_of_another_kind_is_einval)
{
	__u32 hwpt_id;

	/* iommufd_hwpt_alloc(): a failed lookup of pt_id is EINVAL, not
	 * ENOENT, and so is an object that is no IOAS, paging HWPT or
	 * vIOMMU */
	test_err_hwpt_alloc(EINVAL, self->idev_id, 0, 0, &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, NO_SUCH_ID, 0, &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, self->idev_id, 0,
			    &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, self->stdev_id, 0,
			    &hwpt_id);
	/* before any flag is looked at */
	test_err_hwpt_alloc(EINVAL, self->idev_id, NO_SUCH_ID, 1u << 31,
			    &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, self->idev_id, 1u << 31,
			    &hwpt_id);
}

/* ---- IOMMU_HWPT_ALLOC from an IOAS: iommufd_hwpt_paging_alloc() -------- */

TEST_F(iommufd_hwpt, paging_unknown_flags_are_eopnotsupp)
{
	__u32 hwpt_id;

	for (unsigned int bit = 4; bit < 32; bit++)
		test_err_hwpt_alloc(EOPNOTSUPP, self->idev_id, self->ioas_id,
				    1u << bit, &hwpt_id);
	test_err_hwpt_alloc(EOPNOTSUPP, self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT | (1u << 4),
			    &hwpt_id);
}

TEST_F(iommufd_hwpt, paging_flags)
{
	static const __u32 flags[] = {
		0,
		IOMMU_HWPT_ALLOC_NEST_PARENT,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		IOMMU_HWPT_ALLOC_PASID,
	};
	__u32 ids[sizeof(flags) / sizeof(flags[0])];

	for (unsigned int i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, flags[i],
				    &ids[i]);
		EXPECT_NE(0, ids[i]);
		for (unsigned int j = 0; j < i; j++)
			EXPECT_NE(ids[j], ids[i]);
		/* a user HWPT is not attached to anything */
		test_ioctl_destroy(ids[i]);
		test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, flags[i],
				    &ids[i]);
	}
}

TEST_F(iommufd_hwpt, paging_dirty_tracking_needs_the_capability)
{
	__u32 idev, hwpt_id;

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, &idev);
	/* device_iommu_capable(IOMMU_CAP_DIRTY_TRACKING) is false */
	test_err_hwpt_alloc(EOPNOTSUPP, idev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_err_hwpt_alloc(EOPNOTSUPP, idev, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				    IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &hwpt_id);
	test_cmd_hwpt_alloc(idev, self->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &hwpt_id);
}

TEST_F(iommufd_hwpt, paging_fault_id_without_a_fault_queue)
{
	__u32 hwpt_id = 0x5555;

	/* a nesting parent cannot report faults */
	test_err_hwpt_alloc_fault(EOPNOTSUPP, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID |
					  IOMMU_HWPT_ALLOC_NEST_PARENT,
				  0, &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
	/* iommufd_get_fault() after the HWPT is built: no such fault queue,
	 * and the HWPT is unwound */
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, 0, &hwpt_id,
				  IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, self->ioas_id,
				  &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->ioas_id,
				  IOMMU_HWPT_FAULT_ID_VALID, NO_SUCH_ID,
				  &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
	EXPECT_EQ(0x5555, hwpt_id);
	/* fault_id is not read without the flag */
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(self->fd, self->idev_id,
					  self->ioas_id, 0, NO_SUCH_ID,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &hwpt_id));
	test_ioctl_destroy(hwpt_id);
	/* nothing was left on the IOAS by the failed ones */
	test_ioctl_destroy(self->parent_id);
	test_ioctl_destroy(self->stdev_id);
	test_ioctl_destroy(self->ioas_id);
}

TEST_F(iommufd_hwpt, paging_selftest_data)
{
	struct {
		struct iommu_hwpt_selftest cfg;
		__u32 tail;
	} data = { .cfg = { .pagetable_type = MOCK_IOMMUPT_DEFAULT } };
	__u32 hwpt_id;

	/* mock_domain_alloc_paging_flags(): SELFTEST data picks the page
	 * table; iommu_copy_struct_from_user() takes 4..8 bytes */
	test_cmd_hwpt_alloc_nested(self->idev_id, self->ioas_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg));
	test_ioctl_destroy(hwpt_id);
	test_cmd_hwpt_alloc_nested(self->idev_id, self->ioas_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   offsetofend(struct iommu_hwpt_selftest,
					       iotlb));
	test_ioctl_destroy(hwpt_id);
	data.cfg.pagetable_type = MOCK_IOMMUPT_HUGE;
	test_cmd_hwpt_alloc_nested(self->idev_id, self->ioas_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg));
	test_ioctl_destroy(hwpt_id);

	/* mock_domain_alloc_pgtable(): an unknown page table type */
	data.cfg.pagetable_type = 0x7777;
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg));
	data.cfg.pagetable_type = MOCK_IOMMUPT_DEFAULT;
	/* shorter than the first version of the struct */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   3);
	/* longer than the struct the kernel knows: EINVAL, zero tail or not
	 * (__iommu_copy_struct_from_user(): data_len < src_data->len) */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	data.tail = 1;
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	/* unreadable */
	test_err_hwpt_alloc_nested(EFAULT, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, NULL,
				   sizeof(data.cfg));
	/* another driver's type */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_VTD_S1, &data,
				   sizeof(data.cfg));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->ioas_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST + 1,
				   &data, sizeof(data.cfg));
}

TEST_F(iommufd_hwpt, paging_hwpt_keeps_its_ioas_busy)
{
	__u32 ioas2, hwpt_id;

	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_hwpt_alloc(self->idev_id, ioas2, 0, &hwpt_id);
	test_err_destroy(EBUSY, ioas2);
	test_ioctl_destroy(hwpt_id);
	test_ioctl_destroy(ioas2);
}

TEST_F(iommufd_hwpt, paging_hwpt_joins_its_ioas)
{
	__u32 ioas2, hwpt_id, huge_id;

	/* iommufd_hwpt_paging_alloc() -> iopt_table_add_domain(): even
	 * with no device attached the domain narrows the IOAS and holds its
	 * mappings */
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, 2 * PSZ,
				     APERTURE_START);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 0);
	test_cmd_hwpt_alloc(self->idev_id, ioas2, 0, &hwpt_id);
	expect_mock_aperture(ioas2);
	test_cmd_md_check_map(hwpt_id, self->buf, APERTURE_START, 2 * PSZ);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 1);

	/* MOCK_IOMMUPT_HUGE: smallest page PAGE_SIZE, no mock aperture */
	test_cmd_hwpt_alloc_pgtable(self->idev_id, ioas2, 0, MOCK_IOMMUPT_HUGE,
				    &huge_id);
	test_cmd_md_check_map(huge_id, self->buf, APERTURE_START, 2 * PSZ);
	expect_one_range(ioas2, APERTURE_START, APERTURE_LAST, PSZ);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 1);
	test_ioctl_destroy(huge_id);
	expect_mock_aperture(ioas2);

	test_ioctl_destroy(hwpt_id);
	expect_unrestricted(ioas2);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 0);
	test_ioctl_ioas_unmap_id(ioas2, APERTURE_START, 2 * PSZ);
	test_ioctl_destroy(ioas2);
}

TEST_F(iommufd_hwpt, paging_hwpt_fails_on_a_conflicting_ioas)
{
	__u32 ioas2, hwpt_id;

	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, PSZ, 0);
	test_err_hwpt_alloc(EADDRINUSE, self->idev_id, ioas2, 0, &hwpt_id);
	expect_unrestricted(ioas2);
	/* nothing holds ioas2 */
	test_ioctl_destroy(ioas2);
}

/* ---- nested HWPTs: iommufd_hwpt_nested_alloc(), mock_domain_alloc_nested() */

TEST_F(iommufd_hwpt, nested_alloc)
{
	struct iommu_hwpt_selftest data = { .iotlb = 0x12345678 };
	__u32 nested[2];

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[0]);
	/* __mock_domain_alloc_nested(): every entry starts as data.iotlb */
	test_cmd_hwpt_check_iotlb_all(nested[0], IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0,
				   &nested[1], IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_cmd_hwpt_check_iotlb_all(nested[1], 0x12345678);
	EXPECT_NE(nested[0], nested[1]);
	test_ioctl_destroy(nested[0]);
	test_ioctl_destroy(nested[1]);
}

TEST_F(iommufd_hwpt, nested_data_rules)
{
	struct {
		struct iommu_hwpt_selftest cfg;
		__u32 tail[3];
	} data = { .cfg = { .iotlb = 0x77 } };
	__u32 hwpt_id;

	/* type first: another driver's data */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   0, &hwpt_id, IOMMU_HWPT_DATA_SELFTEST + 1,
				   &data, sizeof(data.cfg));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   0, &hwpt_id, IOMMU_HWPT_DATA_ARM_SMMUV3,
				   &data, 1);
	/* iommu_copy_struct_from_user(): at least up to iotlb ... */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   offsetofend(struct iommu_hwpt_selftest,
					       iotlb) - 1);
	/* ... at most the struct the kernel knows */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg) + 1);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data));
	test_err_hwpt_alloc_nested(EFAULT, self->idev_id, self->parent_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST, NULL,
				   sizeof(data.cfg));

	/* the first version of the struct, and the whole of it */
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   offsetofend(struct iommu_hwpt_selftest,
					       iotlb));
	test_cmd_hwpt_check_iotlb_all(hwpt_id, 0x77);
	test_ioctl_destroy(hwpt_id);
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &data,
				   sizeof(data.cfg));
	test_cmd_hwpt_check_iotlb_all(hwpt_id, 0x77);
	test_ioctl_destroy(hwpt_id);
}

TEST_F(iommufd_hwpt, nested_flags)
{
	__u32 hwpt_id;

	/* iommufd_hwpt_nested_alloc(): only FAULT_ID_VALID and PASID */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	for (unsigned int bit = 4; bit < 32; bit++)
		test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id,
					   self->parent_id, 1u << bit,
					   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
					   &default_data,
					   sizeof(default_data));
	test_cmd_hwpt_alloc_nested(self->idev_id, self->parent_id,
				   IOMMU_HWPT_ALLOC_PASID, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	test_ioctl_destroy(hwpt_id);
}

TEST_F(iommufd_hwpt, nested_needs_data)
{
	__u32 hwpt_id;

	/* data_type NONE passes the command's rule, but a nested HWPT
	 * cannot be built without data: EOPNOTSUPP */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, self->parent_id,
				   0, &hwpt_id, IOMMU_HWPT_DATA_NONE, NULL, 0);
}

TEST_F(iommufd_hwpt, nested_parent_must_be_a_nest_parent)
{
	__u32 plain, hwpt_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, 0, &plain);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, plain, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	/* the flags are checked before the parent */
	test_err_hwpt_alloc_nested(EOPNOTSUPP, self->idev_id, plain,
				   IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	/* and the parent before the driver looks at the data */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, plain, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST + 1, &default_data,
				   sizeof(default_data));
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, plain, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, NULL,
				   sizeof(default_data));
}

TEST_F(iommufd_hwpt, auto_hwpt_can_never_be_a_parent)
{
	__u32 hwpt_id;

	/* seed rule 3: parent->auto_domain */
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, self->hwpt_id, 0,
				   &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
				   &default_data, sizeof(default_data));
}

TEST_F(iommufd_hwpt, nested_hwpt_can_never_be_a_parent)
{
	__u32 nested, hwpt_id;

	/* seed rule 3: a nested HWPT is not IOMMUFD_OBJ_HWPT_PAGING */
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	test_err_hwpt_alloc_nested(EINVAL, self->idev_id, nested, 0, &hwpt_id,
				   IOMMU_HWPT_DATA_SELFTEST, &default_data,
				   sizeof(default_data));
	/* nor is it an IOAS to build a paging HWPT from */
	test_err_hwpt_alloc(EINVAL, self->idev_id, nested, 0, &hwpt_id);
	test_err_hwpt_alloc(EINVAL, self->idev_id, nested,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt_id);
}

TEST_F(iommufd_hwpt, nested_hwpt_keeps_its_parent_busy)
{
	__u32 nested[2];

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[0]);
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[1]);
	test_err_destroy(EBUSY, self->parent_id);
	test_ioctl_destroy(nested[0]);
	test_err_destroy(EBUSY, self->parent_id);
	test_ioctl_destroy(nested[1]);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(iommufd_hwpt, nested_fault_id_without_a_fault_queue)
{
	__u32 hwpt_id = 0x5555;

	/* the nested HWPT is built, then iommufd_get_fault() fails and it
	 * is unwound, giving its parent back */
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->parent_id,
				  IOMMU_HWPT_FAULT_ID_VALID, 0, &hwpt_id,
				  IOMMU_HWPT_DATA_SELFTEST, &default_data,
				  sizeof(default_data));
	test_err_hwpt_alloc_fault(ENOENT, self->idev_id, self->parent_id,
				  IOMMU_HWPT_FAULT_ID_VALID, self->ioas_id,
				  &hwpt_id, IOMMU_HWPT_DATA_SELFTEST,
				  &default_data, sizeof(default_data));
	EXPECT_EQ(0x5555, hwpt_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(iommufd_hwpt, nested_hwpt_does_not_touch_the_ioas)
{
	struct iommu_iova_range before[8], after[8];
	uint64_t align_before = 0, align_after = 0;
	__u32 ioas2, parent, nested, num_before, num_after;
	__u64 bitmap[1] = {};
	__u64 val64;

	/* seed rule 2: a nested HWPT takes no IOAS reference and makes no
	 * io_pagetable call; only its parent is in the IOAS */
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, 2 * PSZ,
				     APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, ioas2, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &parent);
	get_ranges(ioas2, before, &num_before, &align_before);
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 1);

	test_cmd_hwpt_alloc_selftest(self->idev_id, parent,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);

	/* the IOAS looks exactly the same */
	get_ranges(ioas2, after, &num_after, &align_after);
	ASSERT_EQ(num_before, num_after);
	EXPECT_EQ(align_before, align_after);
	for (unsigned int i = 0; i < num_after; i++) {
		EXPECT_EQ(before[i].start, after[i].start);
		EXPECT_EQ(before[i].last, after[i].last);
	}
	/* nothing more is pinned */
	test_cmd_md_check_refs(self->buf, 2 * PSZ, 1);

	/* the nested HWPT is no paging HWPT and no IOAS to anyone */
	test_err_md_check_map(ENOENT, nested, self->buf, APERTURE_START,
			      2 * PSZ);
	test_err_set_dirty_tracking(ENOENT, nested,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	test_err_get_dirty_bitmap(ENOENT, nested, APERTURE_START, 2 * PSZ, PSZ,
				  bitmap, 0);
	val64 = 0;
	test_err_ioctl_option(ENOENT, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, nested, &val64);
	test_err_ioctl_ioas_map_fixed_id(ENOENT, nested, self->buf, PSZ,
					 APERTURE_START + 16 * PSZ);

	/* the IOAS goes on as before, through the parent */
	test_ioctl_ioas_map_fixed_id(ioas2, self->buf, PSZ,
				     APERTURE_START + 16 * PSZ);
	test_cmd_md_check_map(parent, self->buf, APERTURE_START + 16 * PSZ,
			      PSZ);
	test_ioctl_ioas_unmap_id(ioas2, APERTURE_START + 16 * PSZ, PSZ);

	/* only the parent holds the IOAS */
	test_err_destroy(EBUSY, ioas2);
	test_err_destroy(EBUSY, parent);
	test_ioctl_destroy(nested);
	get_ranges(ioas2, after, &num_after, &align_after);
	ASSERT_EQ(num_before, num_after);
	EXPECT_EQ(align_before, align_after);
	test_ioctl_destroy(parent);
	expect_unrestricted(ioas2);
	test_ioctl_destroy(ioas2);
}

TEST_F(iommufd_hwpt, attach_to_nested)
{
	__u32 nested[2], stdev, hwpt;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[0]);
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[1]);

	/* a new device straight onto a nested HWPT */
	test_cmd_mock_domain(nested[0], &stdev, &hwpt, NULL);
	EXPECT_EQ(nested[0], hwpt);
	test_err_destroy(EBUSY, nested[0]);
	test_ioctl_destroy(stdev);

	/* the fixture's device: IOAS -> nested -> nested -> parent -> IOAS */
	test_cmd_mock_domain_replace(self->stdev_id, nested[0]);
	/* its automatic HWPT was released */
	test_err_destroy(ENOENT, self->hwpt_id);
	test_err_destroy(EBUSY, nested[0]);

	test_cmd_mock_domain_replace(self->stdev_id, nested[1]);
	test_err_destroy(EBUSY, nested[1]);
	test_ioctl_destroy(nested[0]);

	test_cmd_mock_domain_replace(self->stdev_id, self->parent_id);
	test_ioctl_destroy(nested[1]);
	test_err_destroy(EBUSY, self->parent_id);

	test_cmd_mock_domain_replace(self->stdev_id, self->ioas_id);
	test_ioctl_destroy(self->parent_id);
}

TEST_F(iommufd_hwpt, md_check_iotlb_errors)
{
	__u32 nested;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* iommufd_test_md_check_iotlb(): four entries, exact value */
	test_err_hwpt_check_iotlb(EINVAL, nested,
				  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1,
				  IOMMU_TEST_IOTLB_DEFAULT);
	test_err_hwpt_check_iotlb(EINVAL, nested, 0, 0);
	/* get_md_pagetable_nested(): a nested HWPT only */
	test_err_hwpt_check_iotlb(ENOENT, self->parent_id, 0,
				  IOMMU_TEST_IOTLB_DEFAULT);
	test_err_hwpt_check_iotlb(ENOENT, self->hwpt_id, 0,
				  IOMMU_TEST_IOTLB_DEFAULT);
	test_err_hwpt_check_iotlb(ENOENT, NO_SUCH_ID, 0,
				  IOMMU_TEST_IOTLB_DEFAULT);
}

/* ---- IOMMU_HWPT_INVALIDATE: iommufd_hwpt_invalidate() and
 *      mock_domain_cache_invalidate_user() --------------------------------- */

TEST_F(iommufd_hwpt, invalidate_reserved_is_eopnotsupp)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = NO_SUCH_ID,
		.data_uptr = (uintptr_t)&req,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(req),
		.entry_num = 5,
		.__reserved = 1,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	/* the reply is written even on failure: nothing handled */
	EXPECT_EQ(0, cmd.entry_num);
}

TEST_F(iommufd_hwpt, invalidate_array_arguments)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* entries without an array or without a size, before the lookup */
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, NO_SUCH_ID, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(iommufd_hwpt, invalidate_target)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	__u32 num;

	/* a nested HWPT (or a vIOMMU) only */
	num = 1;
	test_err_hwpt_invalidate(ENOENT, NO_SUCH_ID, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->parent_id, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->hwpt_id, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->ioas_id, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, self->idev_id, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
}

TEST_F(iommufd_hwpt, invalidate_empty_array_checks_the_type)
{
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	num = 0;
	test_cmd_hwpt_invalidate(nested, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, &num);
	EXPECT_EQ(0, num);
	num = 0;
	test_err_hwpt_invalidate(EINVAL, nested, NULL,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				 0, &num);
	EXPECT_EQ(0, num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(iommufd_hwpt, invalidate_wrong_type)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(iommufd_hwpt, invalidate_entry_len)
{
	struct iommu_hwpt_invalidate_selftest req[4] = {};
	__u32 nested, num;
	static const __u32 bad[] = { 1, 4, 7, 9, 12, 16 };

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* iommu_copy_struct_from_user_array(): each entry must be at least
	 * up to iotlb_id and at most the struct the kernel knows; longer is
	 * EINVAL even with a zero tail */
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		num = 1;
		test_err_hwpt_invalidate(EINVAL, nested, req,
					 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					 bad[i], &num);
		EXPECT_EQ(0, num);
	}
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(iommufd_hwpt, invalidate_unknown_flags)
{
	struct iommu_hwpt_invalidate_selftest req = {};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	req.flags = 0xffffffff;
	num = 1;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	req.flags = 1u << 1;
	num = 1;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	/* flags come before the index */
	req.iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	num = 1;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(iommufd_hwpt, invalidate_bad_iotlb_id)
{
	struct iommu_hwpt_invalidate_selftest req = {
		.iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1,
	};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	/* the index is checked even with the "all" flag */
	req.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	num = 1;
	test_err_hwpt_invalidate(EINVAL, nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(0, num);
	test_cmd_hwpt_check_iotlb_all(nested, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(iommufd_hwpt, invalidate_stops_at_the_first_error)
{
	struct iommu_hwpt_invalidate_selftest req[4] = {};
	__u32 nested, num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* entry 0 is done, entry 1 fails on its flags */
	req[0].iotlb_id = 0;
	req[1].flags = 0xffffffff;
	req[1].iotlb_id = 1;
	num = 2;
	test_err_hwpt_invalidate(EOPNOTSUPP, nested, req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb(nested, 0, 0);
	test_cmd_hwpt_check_iotlb(nested, 1, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested, 2, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested, 3, IOMMU_TEST_IOTLB_DEFAULT);

	/* entries 0 and 1 done, entry 2 fails on its index, entry 3 (valid)
	 * is not carried out */
	req[0].iotlb_id = 1;
	req[1].flags = 0;
	req[1].iotlb_id = 2;
	req[2].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	req[3].iotlb_id = 3;
	num = 4;
	test_err_hwpt_invalidate(EINVAL, nested, req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(2, num);
	test_cmd_hwpt_check_iotlb(nested, 0, 0);
	test_cmd_hwpt_check_iotlb(nested, 1, 0);
	test_cmd_hwpt_check_iotlb(nested, 2, 0);
	test_cmd_hwpt_check_iotlb(nested, 3, IOMMU_TEST_IOTLB_DEFAULT);
}

TEST_F(iommufd_hwpt, invalidate_faults_midway)
{
	struct iommu_hwpt_invalidate_selftest *req;
	uint8_t *mem = mmap_touched(2 * PSZ);
	__u32 nested, num;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, munmap(mem + PSZ, PSZ));
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	/* entry 0 is the last 8 bytes of the page, entry 1 is past it */
	req = (void *)(mem + PSZ - sizeof(*req));
	req->flags = 0;
	req->iotlb_id = 3;
	num = 2;
	test_err_hwpt_invalidate(EFAULT, nested, req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(*req), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb(nested, 3, 0);
	test_cmd_hwpt_check_iotlb(nested, 0, IOMMU_TEST_IOTLB_DEFAULT);
	munmap(mem, PSZ);
}

TEST_F(iommufd_hwpt, invalidate_entries)
{
	struct iommu_hwpt_invalidate_selftest req[2] = {};
	__u32 nested[2], num;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[0]);
	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested[1]);

	/* one entry */
	req[0].iotlb_id = 1;
	num = 1;
	test_cmd_hwpt_invalidate(nested[0], req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb(nested[0], 0, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested[0], 1, 0);
	test_cmd_hwpt_check_iotlb(nested[0], 2, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested[0], 3, IOMMU_TEST_IOTLB_DEFAULT);

	/* two at once */
	req[0].iotlb_id = 2;
	req[1].iotlb_id = 3;
	num = 2;
	test_cmd_hwpt_invalidate(nested[0], req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(2, num);
	test_cmd_hwpt_check_iotlb(nested[0], 0, IOMMU_TEST_IOTLB_DEFAULT);
	test_cmd_hwpt_check_iotlb(nested[0], 1, 0);
	test_cmd_hwpt_check_iotlb(nested[0], 2, 0);
	test_cmd_hwpt_check_iotlb(nested[0], 3, 0);

	/* the same entry twice in one call */
	req[0].iotlb_id = 0;
	req[1].iotlb_id = 0;
	num = 2;
	test_cmd_hwpt_invalidate(nested[0], req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(2, num);
	test_cmd_hwpt_check_iotlb_all(nested[0], 0);

	/* "all", whatever the index; the other nested HWPT was untouched */
	test_cmd_hwpt_check_iotlb_all(nested[1], IOMMU_TEST_IOTLB_DEFAULT);
	req[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	req[0].iotlb_id = 2;
	num = 1;
	test_cmd_hwpt_invalidate(nested[1], req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req[0]), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb_all(nested[1], 0);
}

TEST_F(iommufd_hwpt, invalidate_while_attached)
{
	struct iommu_hwpt_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
	};
	__u32 nested, num = 1;

	test_cmd_hwpt_alloc_selftest(self->idev_id, self->parent_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	test_cmd_mock_domain_replace(self->stdev_id, nested);
	test_cmd_hwpt_invalidate(nested, &req,
				 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				 sizeof(req), &num);
	EXPECT_EQ(1, num);
	test_cmd_hwpt_check_iotlb_all(nested, 0);
}

/* ---- IOMMU_GET_HW_INFO: iommufd_get_hw_info(), mock_domain_hw_info() --- */

TEST_F(iommufd_hwpt, hw_info_fields)
{
	struct iommu_test_hw_info data;
	struct iommu_hw_info info;

	memset(&data, 0xaa, sizeof(data));
	test_cmd_get_hw_info(self->idev_id, &data, sizeof(data), &info);
	EXPECT_EQ(sizeof(struct iommu_test_hw_info), info.data_len);
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	EXPECT_EQ(0, data.flags);
	EXPECT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, data.test_reg);
	/* mock_domain_capable(): dirty tracking yes, PCI ATS no */
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING |
			  IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED,
		  info.out_capabilities);
	/* a mock device without MOCK_FLAGS_DEVICE_PASID has no PASIDs */
	EXPECT_EQ(0, info.out_max_pasid_log2);
}

TEST_F(iommufd_hwpt, hw_info_buffer_sizes)
{
	uint8_t out[32];
	struct iommu_hw_info info;
	struct iommu_test_hw_info expect = {
		.test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL,
	};

	/* none: only the full length comes back */
	test_cmd_get_hw_info(self->idev_id, NULL, 0, &info);
	EXPECT_EQ(sizeof(expect), info.data_len);
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);

	/* shorter: the first bytes, nothing past data_len touched */
	memset(out, 0xaa, sizeof(out));
	test_cmd_get_hw_info(self->idev_id, out, 4, &info);
	EXPECT_EQ(sizeof(expect), info.data_len);
	EXPECT_EQ(0, memcmp(out, &expect, 4));
	for (unsigned int i = 4; i < sizeof(out); i++)
		EXPECT_EQ(0xaa, out[i]);

	/* longer: the payload, then zeroes up to data_len, nothing after */
	memset(out, 0xaa, sizeof(out));
	test_cmd_get_hw_info(self->idev_id, out, 24, &info);
	EXPECT_EQ(sizeof(expect), info.data_len);
	EXPECT_EQ(0, memcmp(out, &expect, sizeof(expect)));
	for (unsigned int i = sizeof(expect); i < 24; i++)
		EXPECT_EQ(0, out[i]);
	for (unsigned int i = 24; i < sizeof(out); i++)
		EXPECT_EQ(0xaa, out[i]);
}

TEST_F(iommufd_hwpt, hw_info_flags_and_reserved)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
	};

	/* unknown flags, then __reserved[], both before the device */
	for (unsigned int bit = 1; bit < 32; bit++) {
		cmd.flags = 1u << bit;
		EXPECT_ERRNO(EOPNOTSUPP,
			     ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	}
	cmd.flags = 0;
	for (unsigned int i = 0; i < 3; i++) {
		memset(cmd.__reserved, 0, sizeof(cmd.__reserved));
		cmd.__reserved[i] = 1;
		EXPECT_ERRNO(EOPNOTSUPP,
			     ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
		cmd.dev_id = NO_SUCH_ID;
		EXPECT_ERRNO(EOPNOTSUPP,
			     ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
		cmd.dev_id = self->idev_id;
	}
	memset(cmd.__reserved, 0, sizeof(cmd.__reserved));
	cmd.flags = 1u << 5;
	cmd.dev_id = NO_SUCH_ID;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
}

TEST_F(iommufd_hwpt, hw_info_input_type)
{
	struct iommu_test_hw_info data;
	struct iommu_hw_info info;

	/* without the flag the field is an output only: garbage ignored */
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id, 0,
					   0x1234, &data, sizeof(data), &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);

	/* with it, the mock answers DEFAULT and its own type */
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_SELFTEST, &data,
					   sizeof(data), &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_DEFAULT, &data,
					   sizeof(data), &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	/* and nothing else */
	EXPECT_ERRNO(EOPNOTSUPP,
		     _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   IOMMU_HW_INFO_TYPE_INTEL_VTD, &data,
					   sizeof(data), NULL));
	EXPECT_ERRNO(EOPNOTSUPP,
		     _test_cmd_get_hw_info(self->fd, self->idev_id,
					   IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					   0x1234, &data, sizeof(data), NULL));
}

TEST_F(iommufd_hwpt, hw_info_dev_id_must_be_a_device)
{
	struct iommu_test_hw_info data;

	test_err_get_hw_info(ENOENT, 0, &data, sizeof(data));
	test_err_get_hw_info(ENOENT, NO_SUCH_ID, &data, sizeof(data));
	test_err_get_hw_info(ENOENT, self->ioas_id, &data, sizeof(data));
	test_err_get_hw_info(ENOENT, self->hwpt_id, &data, sizeof(data));
	test_err_get_hw_info(ENOENT, self->stdev_id, &data, sizeof(data));
}

TEST_F(iommufd_hwpt, hw_info_bad_buffer)
{
	uint8_t *mem = mmap_touched(PSZ);

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, munmap(mem, PSZ));
	test_err_get_hw_info(EFAULT, self->idev_id, mem,
			     sizeof(struct iommu_test_hw_info));
	/* the zeroing of the tail faults the same way */
	test_err_get_hw_info(EFAULT, self->idev_id, mem, 64);
}

TEST_F(iommufd_hwpt, hw_info_device_flags)
{
	struct iommu_hw_info info;
	__u32 idev;

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, &idev);
	test_cmd_get_hw_info(idev, NULL, 0, &info);
	EXPECT_EQ(0, info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);

	test_cmd_mock_domain_flags(self->ioas_id, MOCK_FLAGS_DEVICE_PASID,
				   NULL, NULL, &idev);
	test_cmd_get_hw_info(idev, NULL, 0, &info);
	EXPECT_EQ(MOCK_PASID_WIDTH, info.out_max_pasid_log2);
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING,
		  info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	/* not a PCI device: no PASID execute/privileged bits */
	EXPECT_EQ(0, info.out_capabilities & (IOMMU_HW_CAP_PCI_PASID_EXEC |
					      IOMMU_HW_CAP_PCI_PASID_PRIV));
}

/* ========================================================================
 * Fixture iommufd_dirty_tracking
 * ======================================================================== */

#define DIRTY_PAGES 32

FIXTURE(iommufd_dirty_tracking)
{
	int fd;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u32 stdev_id;
	__u32 idev_id;
	uint8_t *buf;
	size_t buf_size;
	__u64 *bitmap;
};

FIXTURE_SETUP(iommufd_dirty_tracking)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	/* one CPU page per map call, so one dirty unit per page whatever
	 * page table the mock builds (the kernel's fixture does the same) */
	test_ioctl_huge_pages_set(self->ioas_id, 0);
	test_cmd_mock_domain(self->ioas_id, &self->stdev_id, &self->hwpt_id,
			     &self->idev_id);
	self->buf_size = DIRTY_PAGES * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->bitmap = mmap_touched(PSZ);
	ASSERT_NE(MAP_FAILED, self->bitmap);
	memset(self->bitmap, 0, PSZ);
}

FIXTURE_TEARDOWN(iommufd_dirty_tracking)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
	munmap(self->bitmap, PSZ);
}

TEST_F(iommufd_dirty_tracking, enforce_dirty)
{
	__u32 ioas2, stdev, idev, hwpt_id, auto_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_cmd_mock_domain(hwpt_id, &stdev, NULL, NULL);
	/* mock_domain_nop_attach(): a domain with dirty ops refuses a
	 * device that cannot track */
	test_err_mock_domain_flags(EINVAL, hwpt_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
				   NULL, NULL, NULL);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(hwpt_id);

	/* and such a device cannot ask for one */
	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_mock_domain_flags(ioas2, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev,
				   &auto_id, &idev);
	test_err_hwpt_alloc(EOPNOTSUPP, idev, ioas2,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	/* nor be moved onto one */
	test_cmd_hwpt_alloc(self->idev_id, ioas2,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_err_mock_domain_replace(EINVAL, stdev, hwpt_id);
	/* which left it where it was */
	test_err_destroy(EBUSY, auto_id);
	test_ioctl_destroy(hwpt_id);
	test_ioctl_destroy(stdev);
}

TEST_F(iommufd_dirty_tracking, set_dirty_tracking)
{
	__u32 stdev, hwpt_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_cmd_mock_domain(hwpt_id, &stdev, NULL, NULL);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	/* mock_domain_set_dirty_tracking(): no change is fine */
	test_cmd_set_dirty_tracking(hwpt_id, true);
	test_cmd_set_dirty_tracking(hwpt_id, false);
	test_cmd_set_dirty_tracking(hwpt_id, false);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(hwpt_id);
}

TEST_F(iommufd_dirty_tracking, set_dirty_tracking_errors)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};
	__u32 parent, nested, hwpt_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	/* iommufd_hwpt_set_dirty_tracking(): unknown flags first */
	test_err_set_dirty_tracking(EOPNOTSUPP, hwpt_id, 1u << 1);
	test_err_set_dirty_tracking(EOPNOTSUPP, NO_SUCH_ID, 1u << 31);
	/* a paging HWPT only */
	test_err_set_dirty_tracking(ENOENT, NO_SUCH_ID,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	test_err_set_dirty_tracking(ENOENT, self->ioas_id,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	test_cmd_hwpt_alloc_selftest(self->idev_id, parent,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	test_err_set_dirty_tracking(ENOENT, nested,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	/* iopt_set_dirty_tracking(): a domain without dirty ops, either way */
	test_err_set_dirty_tracking(EOPNOTSUPP, self->hwpt_id,
				    IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	test_err_set_dirty_tracking(EOPNOTSUPP, self->hwpt_id, 0);
	test_err_set_dirty_tracking(EOPNOTSUPP, parent, 0);
	/* the handler never reads __reserved */
	cmd.hwpt_id = hwpt_id;
	cmd.__reserved = 1;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd));
}

TEST_F(iommufd_dirty_tracking, device_dirty_capability)
{
	__u32 stdev, hwpt_id;

	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id, 0, &hwpt_id);
	test_cmd_mock_domain(hwpt_id, &stdev, NULL, NULL);
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING,
		  test_cmd_get_hw_capabilities(self->idev_id) &
			  IOMMU_HW_CAP_DIRTY_TRACKING);
	test_ioctl_destroy(stdev);
	test_ioctl_destroy(hwpt_id);
}

/* Marks every even page of the buffer dirty through hwpt_id, then reads
 * the bitmap twice with the given flags. */
static void dirty_even_pages(struct __test_metadata *_metadata,
			     FIXTURE_DATA(iommufd_dirty_tracking) * self,
			     __u32 hwpt_id, __u32 flags)
{
	uint64_t nr = 0, want = 0;

	memset(self->bitmap, 0, PSZ);
	for (unsigned long i = 0; i < DIRTY_PAGES; i += 2, want++)
		bitmap_set(self->bitmap, i);
	test_cmd_mock_domain_set_dirty(hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap, &nr);
	EXPECT_EQ(want, nr);

	memset(self->bitmap, 0, PSZ);
	test_cmd_get_dirty_bitmap(hwpt_id, APERTURE_START, self->buf_size,
				  PSZ, self->bitmap, flags);
	for (unsigned long i = 0; i < DIRTY_PAGES; i++)
		EXPECT_EQ(!(i % 2), bitmap_test(self->bitmap, i));
	for (unsigned long i = DIRTY_PAGES; i < 64; i++)
		EXPECT_EQ(0, bitmap_test(self->bitmap, i));

	/* read again: cleared by the first read unless NO_CLEAR */
	memset(self->bitmap, 0, PSZ);
	test_cmd_get_dirty_bitmap(hwpt_id, APERTURE_START, self->buf_size,
				  PSZ, self->bitmap, flags);
	for (unsigned long i = 0; i < DIRTY_PAGES; i++) {
		if (flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)
			EXPECT_EQ(!(i % 2), bitmap_test(self->bitmap, i));
		else
			EXPECT_EQ(0, bitmap_test(self->bitmap, i));
	}
}

TEST_F(iommufd_dirty_tracking, get_dirty_bitmap)
{
	__u32 hwpt_id;

	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	dirty_even_pages(_metadata, self, hwpt_id, 0);
	test_ioctl_destroy(hwpt_id);
}

TEST_F(iommufd_dirty_tracking, get_dirty_bitmap_no_clear)
{
	__u32 hwpt_id;

	/* the HWPT first, the mapping after: it is filled either way */
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	dirty_even_pages(_metadata, self, hwpt_id,
			 IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	test_ioctl_destroy(hwpt_id);
}

TEST_F(iommufd_dirty_tracking, enabling_starts_from_a_clean_slate)
{
	uint64_t nr = 0;
	__u32 hwpt_id;

	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	memset(self->bitmap, 0xff, PSZ);
	test_cmd_mock_domain_set_dirty(hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap, &nr);
	EXPECT_EQ(DIRTY_PAGES, nr);
	test_cmd_set_dirty_tracking(hwpt_id, false);
	/* iopt_set_dirty_tracking(): enabling clears what was recorded */
	test_cmd_set_dirty_tracking(hwpt_id, true);
	memset(self->bitmap, 0, PSZ);
	test_cmd_get_dirty_bitmap(hwpt_id, APERTURE_START, self->buf_size,
				  PSZ, self->bitmap, 0);
	for (unsigned long i = 0; i < DIRTY_PAGES; i++)
		EXPECT_EQ(0, bitmap_test(self->bitmap, i));
	test_ioctl_destroy(hwpt_id);
}

TEST_F(iommufd_dirty_tracking, get_dirty_bitmap_errors)
{
	__u32 parent, nested, hwpt_id;

	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				    IOMMU_HWPT_ALLOC_NEST_PARENT,
			    &hwpt_id);
	test_cmd_set_dirty_tracking(hwpt_id, true);

	/* iommufd_hwpt_get_dirty_bitmap(): flags and __reserved first */
	test_err_get_dirty_bitmap(EOPNOTSUPP, hwpt_id, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 1u << 1);
	test_err_get_dirty_bitmap(EOPNOTSUPP, NO_SUCH_ID, APERTURE_START, 0, 0,
				  self->bitmap, 1u << 31);
	{
		struct iommu_hwpt_get_dirty_bitmap cmd = {
			.size = sizeof(cmd),
			.hwpt_id = NO_SUCH_ID,
			.__reserved = 1,
			.iova = APERTURE_START,
			.length = self->buf_size,
			.page_size = PSZ,
			.data = (uintptr_t)self->bitmap,
		};

		EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd,
					       IOMMU_HWPT_GET_DIRTY_BITMAP,
					       &cmd));
	}
	/* a paging HWPT only */
	test_err_get_dirty_bitmap(ENOENT, NO_SUCH_ID, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(ENOENT, self->ioas_id, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);
	test_cmd_hwpt_alloc_selftest(self->idev_id, hwpt_id,
				     IOMMU_TEST_IOTLB_DEFAULT, &nested);
	test_err_get_dirty_bitmap(ENOENT, nested, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);

	/* iommufd_check_iova_range(): overflow, then IOAS alignment, then
	 * page_size */
	test_err_get_dirty_bitmap(EOVERFLOW, hwpt_id, APERTURE_START, U64_MAX,
				  PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START + 1,
				  self->buf_size, PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START,
				  self->buf_size - 1, PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START,
				  self->buf_size, 0, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START,
				  self->buf_size, 64 * PSZ, self->bitmap, 0);
	test_err_get_dirty_bitmap(EINVAL, hwpt_id, APERTURE_START + PSZ,
				  self->buf_size - PSZ, 2 * PSZ, self->bitmap,
				  0);

	/* iommu_read_and_clear_dirty(): a domain without dirty ops */
	test_err_get_dirty_bitmap(EOPNOTSUPP, self->hwpt_id, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	test_err_get_dirty_bitmap(EOPNOTSUPP, parent, APERTURE_START,
				  self->buf_size, PSZ, self->bitmap, 0);
	/* but its arguments are checked first */
	test_err_get_dirty_bitmap(EINVAL, parent, APERTURE_START + 1,
				  self->buf_size, PSZ, self->bitmap, 0);
}

TEST_F(iommufd_dirty_tracking, mock_dirty_errors)
{
	__u32 hwpt_id;

	test_ioctl_ioas_map_fixed(self->buf, self->buf_size, APERTURE_START);
	test_cmd_hwpt_alloc(self->idev_id, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	memset(self->bitmap, 0xff, PSZ);

	/* iommufd_test_dirty(): arguments first, even for no such HWPT */
	test_err_mock_domain_set_dirty(EINVAL, NO_SUCH_ID, APERTURE_START,
				       self->buf_size, 0, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START,
				       self->buf_size, 0, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START, 0, PSZ,
				       self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START + 1,
				       self->buf_size, PSZ, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START,
				       self->buf_size + 1, PSZ, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, NULL);
	/* get_md_pagetable(): a mock paging HWPT */
	test_err_mock_domain_set_dirty(ENOENT, NO_SUCH_ID, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap);
	test_err_mock_domain_set_dirty(ENOENT, self->ioas_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap);
	/* only while tracking is on */
	test_err_mock_domain_set_dirty(EINVAL, hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap);
	test_err_mock_domain_set_dirty(EINVAL, self->hwpt_id, APERTURE_START,
				       self->buf_size, PSZ, self->bitmap);
	test_cmd_set_dirty_tracking(hwpt_id, true);
	test_cmd_mock_domain_set_dirty(hwpt_id, APERTURE_START, self->buf_size,
				       PSZ, self->bitmap, NULL);
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

FIXTURE(iommufd_lifetime)
{
	uint8_t *buf;
	size_t buf_size;
};

FIXTURE_SETUP(iommufd_lifetime)
{
	self->buf_size = 4 * PSZ;
	self->buf = mmap_touched(self->buf_size);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(iommufd_lifetime)
{
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

TEST_F(iommufd_lifetime, nested_topology_every_destroy_order)
{
	for_each_order(_metadata, build_nested, self->buf, self->buf_size);
}

TEST_F(iommufd_lifetime, paging_topology_every_destroy_order)
{
	for_each_order(_metadata, build_paging, self->buf, self->buf_size);
}

TEST_F(iommufd_lifetime, close_with_everything_alive)
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

TEST_F(iommufd_lifetime, close_with_a_second_context_alive)
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
