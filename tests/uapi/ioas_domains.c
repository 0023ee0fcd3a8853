// SPDX-License-Identifier: MIT
/*
 * The IOAS commands on an IOAS with zero, one or two mock devices attached
 * (and one with a tiny pinning batch): the same operations must give each
 * configuration's answer. With a mock domain the IOAS narrows to the
 * aperture, the alignment becomes the mock's 2 KiB page, and mappings are
 * pinned and reach the domain's page table; without one nothing is pinned.
 * The fixture follows the kernel's iommufd_ioas with its mock-domain
 * variants (tools/testing/selftests/iommu/iommufd.c); the tests are our own,
 * with the rule each follows named next to it. IOAS commands with no domain
 * in every detail: ioas.c.
 *
 * The teardown checks from a fresh context, after close(), that nothing
 * stayed pinned.
 */
#include "iommufd_utils.h"

FIXTURE(ioas_domains)
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

FIXTURE_VARIANT(ioas_domains)
{
	unsigned int mock_domains;
	unsigned int memory_limit;
};

FIXTURE_SETUP(ioas_domains)
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

FIXTURE_TEARDOWN(ioas_domains)
{
	test_cmd_set_default_memory_limit();
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->buf, self->buf_size);
	munmap(self->buf, self->buf_size);
}

FIXTURE_VARIANT_ADD(ioas_domains, no_domain)
{
};

FIXTURE_VARIANT_ADD(ioas_domains, mock_domain)
{
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(ioas_domains, two_mock_domain)
{
	.mock_domains = 2,
};

FIXTURE_VARIANT_ADD(ioas_domains, mock_domain_limit)
{
	.mock_domains = 1,
	.memory_limit = 16,
};

TEST_F(ioas_domains, ioas_auto_destroy)
{
}

TEST_F(ioas_domains, ioas_destroy)
{
	/* iommufd_hwpt_paging_alloc() takes a users reference on the IOAS;
	 * iommufd_object_remove() refuses while one is held */
	if (self->stdev_id)
		test_err_destroy(EBUSY, self->ioas_id);
	else
		test_ioctl_destroy(self->ioas_id);
}

TEST_F(ioas_domains, hwpt_attach)
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

TEST_F(ioas_domains, ioas_area_destroy)
{
	/* an area changes nothing about who may destroy the IOAS */
	test_ioctl_ioas_map_fixed(self->buf, PSZ, self->base_iova);
	if (self->stdev_id)
		test_err_destroy(EBUSY, self->ioas_id);
	else
		test_ioctl_destroy(self->ioas_id);
}

TEST_F(ioas_domains, ioas_area_auto_destroy)
{
	/* closing with many areas (and pins, with a domain) frees them all;
	 * the teardown checks the pins */
	for (unsigned int i = 0; i != 10; i++)
		test_ioctl_ioas_map_fixed(self->buf, PSZ,
					  self->base_iova + i * PSZ);
}

TEST_F(ioas_domains, get_hw_info)
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

TEST_F(ioas_domains, hwpt_alloc_needs_a_device)
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

TEST_F(ioas_domains, iova_ranges_follow_the_aperture)
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

TEST_F(ioas_domains, fixed_map_outside_the_aperture)
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

TEST_F(ioas_domains, auto_iova_lands_in_the_aperture)
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

TEST_F(ioas_domains, map_length_follows_the_io_page_size)
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

TEST_F(ioas_domains, map_half_pages)
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

TEST_F(ioas_domains, copy_area)
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
	test_ioctl_ioas_copy(IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW, dst_ioas_id,
			     &dst_iova, self->ioas_id, self->base_iova, PSZ);
	/* the pages are shared, not pinned again */
	test_cmd_md_check_refs(self->buf, PSZ, self->stdev_id ? 1 : 0);
}

TEST_F(ioas_domains, pins_exist_only_with_a_domain)
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

TEST_HARNESS_MAIN
