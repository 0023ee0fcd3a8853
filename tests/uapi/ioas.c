// SPDX-License-Identifier: MIT
/*
 * IO address spaces through the uAPI: IOMMU_IOAS_MAP, _UNMAP, _COPY,
 * _IOVA_RANGES, _ALLOW_IOVAS, IOMMU_OPTION and the selftest op
 * IOMMU_TEST_OP_ADD_RESERVED, on IOASes with no domain and no access
 * attached. In that state the kernel pins nothing at MAP time, the IOVA
 * alignment is 1 byte and the only reserved ranges are the ones a test adds.
 * The same commands with mock domains attached: ioas_domains.c; at random
 * against a model: ioas_random.c; from many threads: ioas_threads.c.
 *
 * Every expected value follows the kernel's code (drivers/iommu/iommufd/
 * ioas.c, io_pagetable.c, pages.c, main.c, selftest.c, newest upstream); the
 * function each rule comes from is named next to it. Where two things are
 * wrong at once, the errno asserted is the one the kernel's check order
 * gives.
 */

#include "capability.h"
#include "iommufd_utils.h"

FIXTURE(iommufd)
{
	int fd;
};

FIXTURE_SETUP(iommufd)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
}

FIXTURE_TEARDOWN(iommufd)
{
	ASSERT_EQ(0, close(self->fd));
}

FIXTURE(iommufd_ioas)
{
	int fd;
	__u32 ioas_id;
};

FIXTURE_SETUP(iommufd_ioas)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
}

FIXTURE_TEARDOWN(iommufd_ioas)
{
	ASSERT_EQ(0, close(self->fd));
}

/* An automatic map that must land exactly at 'expect'. */
#define expect_auto_map(uptr, length, expect)                                  \
	({                                                                     \
		__u64 __iova = 0;                                              \
		test_ioctl_ioas_map(uptr, length, &__iova);                    \
		EXPECT_EQ((uint64_t)(expect), __iova);                         \
		__iova;                                                        \
	})

/* ========================================================================
 * IOMMU_IOAS_MAP: field checks, in iommufd_ioas_map()'s order
 * ======================================================================== */

TEST_F(iommufd_ioas, map_unknown_flags_are_eopnotsupp)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)buffer,
		.length = PSZ,
		.iova = 16 * PSZ,
	};

	for (unsigned int bit = 3; bit < 32; bit++) {
		cmd.flags = MAP_RW | MAP_FIXED_IOVA | (1u << bit);
		EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
		EXPECT_EQ(16 * PSZ, cmd.iova);
	}
	/* nothing was mapped */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
}

TEST_F(iommufd_ioas, map_reserved_field_is_eopnotsupp)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = MAP_RW | MAP_FIXED_IOVA,
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)buffer,
		.length = PSZ,
		.iova = 16 * PSZ,
	};

	cmd.__reserved = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.__reserved = 0x80000000;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.__reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
}

TEST_F(iommufd_ioas, map_eopnotsupp_comes_before_everything)
{
	/* unknown flag, no READABLE/WRITEABLE, no such IOAS, iova and length
	 * out of range: the flags check is first */
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = 1u << 3,
		.ioas_id = 0,
		.user_va = U64_MAX,
		.length = U64_MAX,
		.iova = U64_MAX,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
}

TEST_F(iommufd_ioas, map_iova_or_length_from_ulong_max_is_eoverflow)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = MAP_RW | MAP_FIXED_IOVA,
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)buffer,
		.length = PSZ,
		.iova = U64_MAX,
	};

	/* iommufd_ioas_map(): iova >= ULONG_MAX || length >= ULONG_MAX */
	EXPECT_ERRNO(EOVERFLOW, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	/* the input iova is range-checked even when it is not used */
	cmd.flags = MAP_RW;
	EXPECT_ERRNO(EOVERFLOW, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	EXPECT_EQ(U64_MAX, cmd.iova);

	cmd.iova = 16 * PSZ;
	cmd.length = U64_MAX;
	EXPECT_ERRNO(EOVERFLOW, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = MAP_RW | MAP_FIXED_IOVA;
	EXPECT_ERRNO(EOVERFLOW, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));

	/* before the READABLE/WRITEABLE check and before the IOAS lookup */
	cmd.flags = MAP_FIXED_IOVA;
	cmd.ioas_id = 0;
	EXPECT_ERRNO(EOVERFLOW, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.length = PSZ;
	cmd.iova = U64_MAX;
	EXPECT_ERRNO(EOVERFLOW, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));

	/* one below is a valid start */
	test_ioctl_ioas_map_fixed(buffer, 1, U64_MAX - 1);
	test_ioctl_ioas_unmap(U64_MAX - 1, 1);
}

TEST_F(iommufd_ioas, map_needs_readable_or_writeable)
{
	__u64 iova = 0;

	/* iommufd_ioas_map(): neither READABLE nor WRITEABLE */
	EXPECT_ERRNO(EINVAL, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
							buffer, PSZ, PSZ, 0));
	EXPECT_ERRNO(EINVAL, _test_ioctl_ioas_map(self->fd, self->ioas_id,
						  buffer, PSZ, &iova, 0));
	/* checked before the IOAS is looked up, and before the length */
	EXPECT_ERRNO(EINVAL, _test_ioctl_ioas_map_fixed(self->fd, 0, buffer,
							PSZ, PSZ, 0));
	EXPECT_ERRNO(EINVAL, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
							buffer, 0, PSZ, 0));

	/* either one alone is enough */
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id, buffer,
						PSZ, PSZ,
						IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id, buffer,
						PSZ, 2 * PSZ,
						IOMMU_IOAS_MAP_WRITEABLE));
	test_ioctl_ioas_unmap(PSZ, 2 * PSZ);
}

TEST_F(iommufd_ioas, map_unknown_ioas_is_enoent)
{
	__u32 gone;
	__u64 iova = 0;

	test_err_ioctl_ioas_map_fixed_id(ENOENT, 0, buffer, PSZ, PSZ);
	test_err_ioctl_ioas_map_fixed_id(ENOENT, self->ioas_id + 1, buffer,
					 PSZ, PSZ);
	test_err_ioctl_ioas_map_fixed_id(ENOENT, 0xffffffff, buffer, PSZ, PSZ);
	test_err_ioctl_ioas_map_id(ENOENT, 0, buffer, PSZ, &iova);

	/* a destroyed IOAS */
	test_ioctl_ioas_alloc(&gone);
	test_ioctl_destroy(gone);
	test_err_ioctl_ioas_map_fixed_id(ENOENT, gone, buffer, PSZ, PSZ);

	/* the lookup comes before the length and user-range checks of
	 * iopt_alloc_user_pages() */
	test_err_ioctl_ioas_map_fixed_id(ENOENT, 0, buffer, 0, PSZ);
	test_err_ioctl_ioas_map_fixed_id(ENOENT, 0, (void *)(U64_MAX - PSZ + 1),
					 PSZ, PSZ);
}

TEST_F(iommufd_ioas, map_zero_length_is_einval)
{
	__u64 iova = 0;

	/* iopt_alloc_pages(): length == 0 */
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 0, PSZ);
	test_err_ioctl_ioas_map(EINVAL, buffer, 0, &iova);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 0, 0);
	/* before any IOVA check: over an existing area, into a reserved one */
	test_ioctl_ioas_map_fixed(buffer, PSZ, PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 0, PSZ);
	test_cmd_add_reserved(16 * PSZ, PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 0, 16 * PSZ);
	/* nothing but the first area exists */
	EXPECT_EQ(PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, map_user_range_that_wraps_is_eoverflow)
{
	/* iopt_alloc_user_pages(): user_va + length must not wrap */
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, (void *)(U64_MAX - PSZ + 1),
				      PSZ, PSZ);
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, (void *)U64_MAX, 1, PSZ);
	/* before the length limit of iopt_alloc_pages() */
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, buffer, U64_MAX - 1, 0);
	/* before the IOVA checks */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, (void *)(U64_MAX - PSZ + 1),
				      PSZ, 16 * PSZ);

	/* ending exactly at the top is fine: with no domain the kernel does
	 * not look at the memory */
	test_ioctl_ioas_map_fixed((void *)(U64_MAX - PSZ), PSZ, PSZ);
	test_ioctl_ioas_map_fixed((void *)(U64_MAX - 1), 1, 2 * PSZ);
	EXPECT_EQ(2 * PSZ + 1, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, map_length_limit_is_size_max_minus_page)
{
	__u64 iova = 0;

	/* iopt_alloc_pages(): length > SIZE_MAX - PAGE_SIZE */
	test_err_ioctl_ioas_map_fixed(EINVAL, NULL, U64_MAX - 1, 0);
	test_err_ioctl_ioas_map_fixed(EINVAL, NULL, U64_MAX - PSZ + 1, 0);
	test_err_ioctl_ioas_map_fixed(EINVAL, (void *)1, U64_MAX - 1, 0);
	test_err_ioctl_ioas_map(EINVAL, NULL, U64_MAX - PSZ + 1, &iova);

	/* exactly SIZE_MAX - PAGE_SIZE: nothing is pinned without a domain,
	 * so the whole address space but one page can be mapped */
	test_ioctl_ioas_map_fixed(NULL, U64_MAX - PSZ, 0);
	/* and the rest up to U64_MAX - 1 (no area can start at U64_MAX) */
	test_ioctl_ioas_map_fixed(buffer, PSZ, U64_MAX - PSZ);
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, buffer, 1, U64_MAX);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, U64_MAX - 1);
	EXPECT_EQ(U64_MAX, test_ioctl_ioas_unmap_all());
	EXPECT_EQ(0, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, map_automatic_refuses_half_the_address_space)
{
	__u64 iova = 0;

	/* iopt_alloc_iova(): length >= ULONG_MAX / 2 */
	test_err_ioctl_ioas_map(EOVERFLOW, NULL, U64_MAX / 2, &iova);
	test_err_ioctl_ioas_map(EOVERFLOW, NULL, 1ull << 63, &iova);
	/* which FIXED_IOVA accepts */
	test_ioctl_ioas_map_fixed(NULL, 1ull << 63, 0);
	test_ioctl_ioas_unmap(0, 1ull << 63);
	test_ioctl_ioas_map_fixed(NULL, U64_MAX / 2, 0);
	test_ioctl_ioas_unmap(0, U64_MAX / 2);
	/* just below: the alignment is capped at the huge page size */
	expect_auto_map(NULL, 1ull << 62, HSZ);
	EXPECT_EQ(1ull << 62, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, map_fixed_at_the_top_of_the_address_space)
{
	const uint64_t top = U64_MAX - PSZ + 1;

	/* the last page, U64_MAX included */
	test_ioctl_ioas_map_fixed(buffer, PSZ, top);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, PSZ + 1, top - PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, U64_MAX - 1);
	test_ioctl_ioas_unmap(top, PSZ);

	/* iopt_check_iova(): iova + length - 1 must not wrap */
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, buffer, PSZ + 1, top);
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, buffer, 3, U64_MAX - 1);
	test_ioctl_ioas_map_fixed(buffer, 2, U64_MAX - 1);
	test_ioctl_ioas_unmap(U64_MAX - 1, 2);

	/* the wrap is checked before reserved ranges and areas */
	test_cmd_add_reserved(top, PSZ);
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, buffer, 2 * PSZ, top);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ, top);
	test_ioctl_ioas_map_fixed(buffer, PSZ, top - PSZ);
	test_err_ioctl_ioas_map_fixed(EOVERFLOW, buffer, 2 * PSZ + 1,
				      top - PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, PSZ, top - PSZ);
}

TEST_F(iommufd_ioas, map_fixed_overlap_is_eexist)
{
	/* iopt_check_iova(): any intersection with an area */
	test_ioctl_ioas_map_fixed(buffer, 2 * PSZ, 16 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 2 * PSZ, 16 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, PSZ, 16 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, PSZ, 17 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 2 * PSZ, 15 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 3 * PSZ, 15 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 8 * PSZ, 12 * PSZ);
	/* the first and the last byte */
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, PSZ + 1, 15 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, 18 * PSZ - 1);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, 16 * PSZ);
	/* right next to it on both sides */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 15 * PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 18 * PSZ);
	EXPECT_EQ(4 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, map_alignment_is_one_byte)
{
	uint64_t alignment = 0;
	__u32 num = 0;

	/* a fresh IOAS has iova_alignment 1 (iopt_init_table()) */
	EXPECT_ERRNO(EMSGSIZE, _test_ioctl_ioas_iova_ranges(
				       self->fd, self->ioas_id, NULL, &num,
				       &alignment));
	EXPECT_EQ(1, alignment);

	/* FIXED_IOVA may use IOVA 0, any byte, any user address */
	test_ioctl_ioas_map_fixed(BUF(3), 1, 0);
	test_ioctl_ioas_map_fixed(BUF(1), 1, 1);
	test_ioctl_ioas_map_fixed(BUF(PSZ - 1), 3, 2);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, 4);
	test_ioctl_ioas_map_fixed(BUF(5), PSZ - 5, 5);
	/* four areas, one page */
	test_ioctl_ioas_unmap(0, PSZ);
}

TEST_F(iommufd_ioas, map_fixed_into_reserved_is_einval)
{
	test_cmd_add_reserved(16 * PSZ, PSZ);
	/* iopt_check_iova(): a reserved range intersects */
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ, 16 * PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 2, 16 * PSZ - 1);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 1, 17 * PSZ - 1);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 4 * PSZ, 14 * PSZ);
	/* next to it is fine */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 15 * PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 17 * PSZ);
	/* reserved is checked before areas: EINVAL, not EEXIST */
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 3 * PSZ, 15 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, PSZ, 15 * PSZ);
	EXPECT_EQ(2 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, map_fixed_ignores_allowed_ranges)
{
	struct iommu_iova_range allowed = { 256 * PSZ, 512 * PSZ - 1 };

	/* allowed ranges steer automatic placement only */
	test_ioctl_ioas_allow_iovas(&allowed, 1);
	test_ioctl_ioas_map_fixed(buffer, PSZ, PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 255 * PSZ);
	test_ioctl_ioas_map_fixed(buffer, 2 * PSZ, 511 * PSZ);
	EXPECT_EQ(4 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, map_writes_back_iova_only_on_success)
{
	struct iommu_iova_range allowed = { 256 * PSZ, 257 * PSZ - 1 };
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = MAP_RW,
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)buffer,
		.length = PSZ,
		.iova = 77 * PSZ,
	};

	/* automatic: the input is ignored, the choice written back */
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	EXPECT_EQ(PSZ, cmd.iova);
	/* fixed: written back unchanged */
	cmd.flags = MAP_RW | MAP_FIXED_IOVA;
	cmd.iova = 77 * PSZ;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	EXPECT_EQ(77 * PSZ, cmd.iova);
	/* failures leave it alone */
	EXPECT_ERRNO(EEXIST, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	EXPECT_EQ(77 * PSZ, cmd.iova);
	test_ioctl_ioas_allow_iovas(&allowed, 1);
	cmd.flags = MAP_RW;
	cmd.length = 2 * PSZ;
	cmd.iova = 5;
	EXPECT_ERRNO(ENOSPC, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	EXPECT_EQ(5, cmd.iova);
}

/* ========================================================================
 * Automatic placement: iopt_alloc_iova()
 * ======================================================================== */

TEST_F(iommufd_ioas, auto_iova_alignment_from_user_address_and_length)
{
	/* alignment = min(roundup_pow_of_two(length), lowest set bit of the
	 * user address), at most the huge page size; the low bits of the
	 * user address below PAGE_SIZE are kept (ORed into the IOVA); the
	 * search starts at PAGE_SIZE. buffer is huge-page aligned. */
	uint64_t iova;

	iova = expect_auto_map(buffer, PSZ, PSZ);
	test_ioctl_ioas_unmap(iova, PSZ);
	iova = expect_auto_map(buffer, 2 * PSZ, 2 * PSZ);
	test_ioctl_ioas_unmap(iova, 2 * PSZ);
	iova = expect_auto_map(buffer, 3 * PSZ, 4 * PSZ);
	test_ioctl_ioas_unmap(iova, 3 * PSZ);
	iova = expect_auto_map(buffer, 5 * PSZ, 8 * PSZ);
	test_ioctl_ioas_unmap(iova, 5 * PSZ);
	iova = expect_auto_map(buffer, 16 * PSZ, 16 * PSZ);
	test_ioctl_ioas_unmap(iova, 16 * PSZ);
	iova = expect_auto_map(buffer, PSZ + 1, 2 * PSZ);
	test_ioctl_ioas_unmap(iova, PSZ + 1);

	/* capped at the huge page size */
	iova = expect_auto_map(buffer, HSZ, HSZ);
	test_ioctl_ioas_unmap(iova, HSZ);
	iova = expect_auto_map(buffer, 2 * HSZ, HSZ);
	test_ioctl_ioas_unmap(iova, 2 * HSZ);
	iova = expect_auto_map(buffer, HSZ + PSZ, HSZ);
	test_ioctl_ioas_unmap(iova, HSZ + PSZ);

	/* the user address limits it */
	iova = expect_auto_map(BUF(PSZ), 2 * PSZ, PSZ);
	test_ioctl_ioas_unmap(iova, 2 * PSZ);
	iova = expect_auto_map(BUF(2 * PSZ), 4 * PSZ, 2 * PSZ);
	test_ioctl_ioas_unmap(iova, 4 * PSZ);
	iova = expect_auto_map(BUF(PSZ), HSZ, PSZ);
	test_ioctl_ioas_unmap(iova, HSZ);

	/* below a page: the page offset of the user address is kept */
	iova = expect_auto_map(BUF(PSZ / 2), PSZ / 2, PSZ + PSZ / 2);
	test_ioctl_ioas_unmap(iova, PSZ / 2);
	iova = expect_auto_map(BUF(PSZ / 2), PSZ, PSZ + PSZ / 2);
	test_ioctl_ioas_unmap(iova, PSZ);
	iova = expect_auto_map(BUF(PSZ + PSZ / 2), 2 * PSZ, PSZ + PSZ / 2);
	test_ioctl_ioas_unmap(iova, 2 * PSZ);
	iova = expect_auto_map(BUF(1), 1, PSZ + 1);
	test_ioctl_ioas_unmap(iova, 1);
	iova = expect_auto_map(BUF(3), 5, PSZ + 3);
	test_ioctl_ioas_unmap(iova, 5);
	iova = expect_auto_map(BUF(0x10), 0x10, PSZ + 0x10);
	test_ioctl_ioas_unmap(iova, 0x10);
	iova = expect_auto_map(BUF(0x30), 0x20, PSZ + 0x30);
	test_ioctl_ioas_unmap(iova, 0x20);
	iova = expect_auto_map(BUF(0x123), 0x10, PSZ + 0x123);
	test_ioctl_ioas_unmap(iova, 0x10);

	/* a NULL user address: the length alone decides */
	iova = expect_auto_map(NULL, 1, PSZ);
	test_ioctl_ioas_unmap(iova, 1);
	iova = expect_auto_map(NULL, 3 * PSZ, 4 * PSZ);
	test_ioctl_ioas_unmap(iova, 3 * PSZ);
	iova = expect_auto_map(NULL, 4 * HSZ, HSZ);
	test_ioctl_ioas_unmap(iova, 4 * HSZ);

	EXPECT_EQ(0, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, auto_iova_kernel_selftest_alignment)
{
	__u64 iovas[10];

	/* as the kernel's area_auto_iova: 1..10 pages from 1 << 31 */
	for (unsigned int i = 0; i < 10; i++) {
		uint64_t length = PSZ * (i + 1);

		test_ioctl_ioas_map((void *)(1ul << 31), length, &iovas[i]);
		EXPECT_EQ(0, iovas[i] % (1ul << (__builtin_ffsll(length) - 1)));
	}
	for (unsigned int i = 0; i < 10; i++)
		test_ioctl_ioas_unmap(iovas[i], PSZ * (i + 1));
}

TEST_F(iommufd_ioas, auto_iova_is_never_zero)
{
	struct iommu_iova_range allowed;
	__u64 iova = 0;

	/* the search covers [PAGE_SIZE, ULONG_MAX - PAGE_SIZE] only */
	expect_auto_map(buffer, 1, PSZ);
	test_ioctl_ioas_unmap(PSZ, 1);

	allowed = (struct iommu_iova_range){ 0, PSZ - 1 };
	test_ioctl_ioas_allow_iovas(&allowed, 1);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	/* clipped to [PAGE_SIZE, PAGE_SIZE]: a one-byte hole never fits */
	allowed = (struct iommu_iova_range){ 0, PSZ };
	test_ioctl_ioas_allow_iovas(&allowed, 1);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	allowed = (struct iommu_iova_range){ 0, PSZ + 1 };
	test_ioctl_ioas_allow_iovas(&allowed, 1);
	expect_auto_map(buffer, 1, PSZ);
	/* and FIXED_IOVA can still use 0 */
	test_ioctl_ioas_map_fixed(buffer, 1, 0);
}

TEST_F(iommufd_ioas, auto_iova_never_uses_the_last_page)
{
	struct iommu_iova_range allowed = { U64_MAX - 2 * PSZ + 1, U64_MAX };
	__u64 iova = 0;

	test_ioctl_ioas_allow_iovas(&allowed, 1);
	expect_auto_map(buffer, PSZ, U64_MAX - 2 * PSZ + 1);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	test_ioctl_ioas_map_fixed(buffer, PSZ, U64_MAX - PSZ + 1);
	EXPECT_EQ(2 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, auto_iova_fills_holes_lowest_first)
{
	test_ioctl_ioas_map_fixed(buffer, PSZ, PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 3 * PSZ);
	expect_auto_map(buffer, PSZ, 2 * PSZ);
	expect_auto_map(buffer, PSZ, 4 * PSZ);
	/* two pages need a 2-page aligned hole */
	expect_auto_map(buffer, 2 * PSZ, 6 * PSZ);
	expect_auto_map(buffer, PSZ, 5 * PSZ);
	expect_auto_map(buffer, PSZ, 8 * PSZ);
	EXPECT_EQ(8 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, auto_iova_avoids_reserved_ranges)
{
	__u64 iovas[10];

	test_cmd_add_reserved(PSZ, 15 * PSZ);
	expect_auto_map(buffer, PSZ, 16 * PSZ);
	expect_auto_map(buffer, 16 * PSZ, 32 * PSZ);
	expect_auto_map(buffer, PSZ, 17 * PSZ);
	/* [18P, 32P) is too small for a 16-page aligned block */
	test_cmd_add_reserved(48 * PSZ, 16 * PSZ);
	expect_auto_map(buffer, 16 * PSZ, 64 * PSZ);
	EXPECT_EQ(34 * PSZ, test_ioctl_ioas_unmap_all());

	/* as the kernel's area_auto_iova */
	test_cmd_add_reserved(4 * PSZ, 100 * PSZ);
	for (unsigned int i = 0; i < 10; i++) {
		uint64_t length = PSZ * (i + 1);

		test_ioctl_ioas_map(buffer, length, &iovas[i]);
		EXPECT_EQ(0, iovas[i] % (1ul << (__builtin_ffsll(length) - 1)));
		EXPECT_FALSE(iovas[i] + length > 4 * PSZ &&
			     iovas[i] < 104 * PSZ);
		EXPECT_FALSE(iovas[i] + length > PSZ && iovas[i] < 16 * PSZ);
		EXPECT_FALSE(iovas[i] + length > 48 * PSZ &&
			     iovas[i] < 64 * PSZ);
	}
	for (unsigned int i = 0; i < 10; i++)
		test_ioctl_ioas_unmap(iovas[i], PSZ * (i + 1));
}

TEST_F(iommufd_ioas, auto_iova_uses_allowed_ranges_in_address_order)
{
	/* given out of order; adjacent ranges would merge */
	struct iommu_iova_range allowed[] = {
		{ 768 * PSZ, 770 * PSZ - 1 },
		{ 256 * PSZ, 257 * PSZ - 1 },
	};
	__u64 iova = 0;

	test_ioctl_ioas_allow_iovas(allowed, 2);
	expect_auto_map(buffer, PSZ, 256 * PSZ);
	expect_auto_map(buffer, PSZ, 768 * PSZ);
	expect_auto_map(buffer, PSZ, 769 * PSZ);
	test_err_ioctl_ioas_map(ENOSPC, buffer, PSZ, &iova);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);

	/* an empty list lifts the restriction */
	test_ioctl_ioas_allow_iovas(NULL, 0);
	expect_auto_map(buffer, PSZ, PSZ);
	EXPECT_EQ(4 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, auto_iova_adjacent_allowed_ranges_merge)
{
	struct iommu_iova_range allowed[] = {
		{ 256 * PSZ, 257 * PSZ - 1 },
		{ 257 * PSZ, 258 * PSZ - 1 },
	};

	test_ioctl_ioas_allow_iovas(allowed, 2);
	/* one 2-page block across both ranges */
	expect_auto_map(buffer, 2 * PSZ, 256 * PSZ);
	test_ioctl_ioas_unmap(256 * PSZ, 2 * PSZ);
}

TEST_F(iommufd_ioas, auto_iova_alignment_inside_allowed_range)
{
	struct iommu_iova_range allowed = { PSZ, 4 * PSZ - 1 };
	__u64 iova = 0;

	test_ioctl_ioas_allow_iovas(&allowed, 1);
	expect_auto_map(buffer, 2 * PSZ, 2 * PSZ);
	expect_auto_map(buffer, PSZ, PSZ);
	test_err_ioctl_ioas_map(ENOSPC, buffer, PSZ, &iova);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	/* [P, 2P) is free again, but not 2-page aligned */
	test_ioctl_ioas_unmap(PSZ, PSZ);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 2 * PSZ, &iova);
	expect_auto_map(BUF(PSZ), PSZ, PSZ);
}

TEST_F(iommufd_ioas, auto_iova_single_byte_hole_is_never_used)
{
	struct iommu_iova_range allowed = { 256 * PSZ, 256 * PSZ + 1 };
	__u64 iova = 0;

	/* __alloc_iova_check_range(): aligned_start >= last fails, so the
	 * last byte of a hole is never handed out alone */
	test_ioctl_ioas_allow_iovas(&allowed, 1);
	expect_auto_map(buffer, 1, 256 * PSZ);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	test_ioctl_ioas_map_fixed(buffer, 1, 256 * PSZ + 1);

	allowed = (struct iommu_iova_range){ 512 * PSZ, 512 * PSZ + 2 };
	test_ioctl_ioas_allow_iovas(&allowed, 1);
	expect_auto_map(buffer, 1, 512 * PSZ);
	expect_auto_map(buffer, 1, 512 * PSZ + 1);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	EXPECT_EQ(4, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, auto_iova_enospc_when_full)
{
	__u64 iova = 0;

	/* everything but the first and last page reserved */
	test_cmd_add_reserved(PSZ, U64_MAX - 2 * PSZ + 1);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 0);
	test_ioctl_ioas_map_fixed(buffer, PSZ, U64_MAX - PSZ + 1);
}

/* ========================================================================
 * IOMMU_IOAS_UNMAP: iommufd_ioas_unmap(), iopt_unmap_iova_range()
 * ======================================================================== */

TEST_F(iommufd_ioas, unmap_unknown_ioas_is_enoent_first)
{
	/* the lookup is the first thing iommufd_ioas_unmap() does */
	test_err_ioctl_ioas_unmap_id(ENOENT, 0, PSZ, PSZ);
	test_err_ioctl_ioas_unmap_id(ENOENT, self->ioas_id + 1, 0, U64_MAX);
	test_err_ioctl_ioas_unmap_id(ENOENT, 0, PSZ, 0);
	test_err_ioctl_ioas_unmap_id(ENOENT, 0, U64_MAX, PSZ);
	test_err_ioctl_ioas_unmap_id(ENOENT, 0, 3, U64_MAX - 1);
}

TEST_F(iommufd_ioas, unmap_all)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.iova = 0,
		.length = U64_MAX,
	};

	/* empty: succeeds, 0 bytes */
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_UNMAP, &cmd));
	EXPECT_EQ(0, cmd.length);
	EXPECT_EQ(0, cmd.iova);

	test_ioctl_ioas_map_fixed(buffer, 1, 0);
	test_ioctl_ioas_map_fixed(buffer, 3 * PSZ, 16 * PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, U64_MAX - PSZ + 1);
	cmd.length = U64_MAX;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_UNMAP, &cmd));
	EXPECT_EQ(4 * PSZ + 1, cmd.length);

	cmd.length = U64_MAX;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_UNMAP, &cmd));
	EXPECT_EQ(0, cmd.length);
	/* everything is free again */
	test_ioctl_ioas_map_fixed(buffer, 1, 0);
	test_ioctl_ioas_map_fixed(buffer, PSZ, U64_MAX - PSZ + 1);
}

TEST_F(iommufd_ioas, unmap_range_limits)
{
	/* iommufd_ioas_unmap(): iova or length >= ULONG_MAX, unless it is
	 * exactly the unmap-all form */
	test_err_ioctl_ioas_unmap(EOVERFLOW, U64_MAX, 1);
	test_err_ioctl_ioas_unmap(EOVERFLOW, U64_MAX, 0);
	test_err_ioctl_ioas_unmap(EOVERFLOW, 1, U64_MAX);
	test_err_ioctl_ioas_unmap(EOVERFLOW, PSZ, U64_MAX);
	/* iopt_unmap_iova(): length 0 */
	test_err_ioctl_ioas_unmap(EINVAL, 0, 0);
	test_err_ioctl_ioas_unmap(EINVAL, PSZ, 0);
	/* iopt_unmap_iova(): iova + length - 1 must not wrap */
	test_err_ioctl_ioas_unmap(EOVERFLOW, 3, U64_MAX - 1);
	test_err_ioctl_ioas_unmap(EOVERFLOW, U64_MAX - PSZ + 1, PSZ + 1);
	/* ending at U64_MAX exactly is fine (nothing mapped: ENOENT) */
	test_err_ioctl_ioas_unmap(ENOENT, 2, U64_MAX - 1);
	test_err_ioctl_ioas_unmap(ENOENT, 0, U64_MAX - 1);

	/* a length below ULONG_MAX cannot reach U64_MAX from 0 or 1: the
	 * last page is then only reachable from 2 up, or by unmap-all */
	test_ioctl_ioas_map_fixed(buffer, PSZ, U64_MAX - PSZ + 1);
	test_err_ioctl_ioas_unmap(ENOENT, 0, U64_MAX - 1);
	test_err_ioctl_ioas_unmap(ENOENT, 1, U64_MAX - 1);
	{
		uint64_t unmapped = 0;

		ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, self->ioas_id, 2,
						    U64_MAX - 1, &unmapped));
		EXPECT_EQ(PSZ, unmapped);
	}
}

TEST_F(iommufd_ioas, unmap_of_nothing_is_enoent)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.iova = PSZ,
		.length = PSZ,
	};

	/* newest kernel, iommufd_ioas_unmap(): nothing unmapped is ENOENT */
	for (unsigned int i = 0; i < 10; i++)
		test_err_ioctl_ioas_unmap(ENOENT, i * PSZ, PSZ);

	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, 0, 16 * PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, 17 * PSZ, 100 * PSZ);
	/* the length is not written back on failure */
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_UNMAP, &cmd));
	EXPECT_EQ(PSZ, cmd.length);
	test_ioctl_ioas_unmap(16 * PSZ, PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, 16 * PSZ, PSZ);
}

TEST_F(iommufd_ioas, unmap_must_not_split_an_area)
{
	/* iopt_unmap_iova_range(): an area sticking out of the range */
	test_ioctl_ioas_map_fixed(buffer, 2 * PSZ, 16 * PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, 16 * PSZ, PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, 17 * PSZ, PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, 16 * PSZ, 2 * PSZ - 1);
	test_err_ioctl_ioas_unmap(ENOENT, 16 * PSZ + 1, 2 * PSZ - 1);
	test_err_ioctl_ioas_unmap(ENOENT, 18 * PSZ - 1, 1);
	test_err_ioctl_ioas_unmap(ENOENT, 15 * PSZ, 2 * PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, 17 * PSZ, 100 * PSZ);
	/* still there, whole */
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, 16 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, 18 * PSZ - 1);
	/* a superset works */
	{
		uint64_t unmapped = 0;

		ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, self->ioas_id,
						    15 * PSZ, 4 * PSZ,
						    &unmapped));
		EXPECT_EQ(2 * PSZ, unmapped);
	}
}

TEST_F(iommufd_ioas, unmap_fully_contained_areas)
{
	const uint64_t base = 4 * PSZ;
	uint64_t unmapped = 0;

	/* as the kernel's unmap_fully_contained_areas */
	for (unsigned int i = 0; i < 4; i++)
		test_ioctl_ioas_map_fixed(buffer, 8 * PSZ, base + i * 16 * PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, base - 4 * PSZ, 8 * PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, base + 3 * 16 * PSZ + 4 * PSZ,
				  8 * PSZ);
	ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, self->ioas_id,
					    base - 4 * PSZ,
					    3 * 16 * PSZ + 8 * PSZ + 4 * PSZ,
					    &unmapped));
	EXPECT_EQ(32 * PSZ, unmapped);
}

TEST_F(iommufd_ioas, unmap_reports_bytes_of_every_area)
{
	uint64_t unmapped = 0;

	test_ioctl_ioas_map_fixed(buffer, 1, PSZ);
	test_ioctl_ioas_map_fixed(buffer, 3 * PSZ, 4 * PSZ);
	test_ioctl_ioas_map_fixed(BUF(5), 7, 8 * PSZ + 1);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 32 * PSZ);
	/* three of the four, holes between them */
	ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, self->ioas_id, PSZ,
					    16 * PSZ, &unmapped));
	EXPECT_EQ(3 * PSZ + 8, unmapped);
	EXPECT_EQ(PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, unmap_failure_keeps_what_was_already_unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.iova = PSZ,
		.length = 5 * PSZ,
	};

	/* areas are removed lowest first; an area sticking out of the range
	 * stops the loop with ENOENT, and what went before stays removed */
	test_ioctl_ioas_map_fixed(buffer, PSZ, PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 3 * PSZ);
	test_ioctl_ioas_map_fixed(buffer, 2 * PSZ, 5 * PSZ);
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_UNMAP, &cmd));
	EXPECT_EQ(5 * PSZ, cmd.length);
	/* the first two are gone */
	test_ioctl_ioas_map_fixed(buffer, PSZ, PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 3 * PSZ);
	/* the third is whole */
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, 7 * PSZ - 1);
	test_ioctl_ioas_unmap(5 * PSZ, 2 * PSZ);

	/* a range starting inside an area removes nothing */
	test_ioctl_ioas_map_fixed(buffer, 2 * PSZ, 5 * PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, PSZ + 1, 8 * PSZ);
	EXPECT_EQ(4 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, unmap_top_of_the_address_space)
{
	const uint64_t top = U64_MAX - PSZ + 1;

	test_ioctl_ioas_map_fixed(buffer, PSZ, top);
	test_ioctl_ioas_unmap(top, PSZ);
	test_ioctl_ioas_map_fixed(buffer, 2, U64_MAX - 1);
	test_err_ioctl_ioas_unmap(ENOENT, U64_MAX - 1, 1);
	test_ioctl_ioas_unmap(U64_MAX - 1, 2);
	test_ioctl_ioas_map_fixed(buffer, 2, U64_MAX - 1);
	test_ioctl_ioas_map_fixed(buffer, PSZ, top - PSZ);
	{
		uint64_t unmapped = 0;

		ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, self->ioas_id,
						    top - PSZ, 2 * PSZ,
						    &unmapped));
		EXPECT_EQ(PSZ + 2, unmapped);
	}
}

/* ========================================================================
 * IOMMU_IOAS_COPY: iommufd_ioas_copy(), iopt_get_pages(), iopt_map_pages()
 * ======================================================================== */

TEST_F(iommufd_ioas, copy_unknown_flags_are_eopnotsupp)
{
	__u64 dst_iova = 32 * PSZ;

	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	for (unsigned int bit = 3; bit < 32; bit++) {
		/* bit 16 is MOCK_FLAGS_ACCESS_SYZ, which a test kernel strips
		 * from COPY's flags for syzkaller; not an unknown flag there */
		if (bit == 16)
			continue;
		test_err_ioctl_ioas_copy(EOPNOTSUPP,
					 MAP_RW | MAP_FIXED_IOVA | (1u << bit),
					 self->ioas_id, &dst_iova,
					 self->ioas_id, 16 * PSZ, PSZ);
		EXPECT_EQ(32 * PSZ, dst_iova);
	}
	/* first of all checks */
	test_err_ioctl_ioas_copy(EOPNOTSUPP, 1u << 3, 0, &dst_iova, 0,
				 U64_MAX, 0);
}

TEST_F(iommufd_ioas, copy_iovas_and_length_from_ulong_max_are_eoverflow)
{
	__u64 dst_iova = 32 * PSZ;
	__u64 at_max = U64_MAX;

	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	test_err_ioctl_ioas_copy(EOVERFLOW, MAP_RW, self->ioas_id, &dst_iova,
				 self->ioas_id, 16 * PSZ, U64_MAX);
	test_err_ioctl_ioas_copy(EOVERFLOW, MAP_RW, self->ioas_id, &dst_iova,
				 self->ioas_id, U64_MAX, PSZ);
	test_err_ioctl_ioas_copy(EOVERFLOW, MAP_RW | MAP_FIXED_IOVA,
				 self->ioas_id, &at_max, self->ioas_id,
				 16 * PSZ, PSZ);
	/* dst_iova is checked even for automatic placement */
	test_err_ioctl_ioas_copy(EOVERFLOW, MAP_RW, self->ioas_id, &at_max,
				 self->ioas_id, 16 * PSZ, PSZ);
	EXPECT_EQ(U64_MAX, at_max);
	/* before the READABLE/WRITEABLE check and the lookups */
	test_err_ioctl_ioas_copy(EOVERFLOW, 0, 0, &dst_iova, 0, U64_MAX, 0);
}

TEST_F(iommufd_ioas, copy_needs_readable_or_writeable)
{
	__u64 dst_iova = 32 * PSZ;

	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	test_err_ioctl_ioas_copy(EINVAL, 0, self->ioas_id, &dst_iova,
				 self->ioas_id, 16 * PSZ, PSZ);
	test_err_ioctl_ioas_copy(EINVAL, MAP_FIXED_IOVA, self->ioas_id,
				 &dst_iova, self->ioas_id, 16 * PSZ, PSZ);
	/* before the lookups and the length */
	test_err_ioctl_ioas_copy(EINVAL, MAP_FIXED_IOVA, 0, &dst_iova, 0,
				 16 * PSZ, 0);
}

TEST_F(iommufd_ioas, copy_check_order_around_the_lookups)
{
	__u64 dst_iova = 32 * PSZ;

	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 32 * PSZ);

	/* the source IOAS is looked up first */
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, self->ioas_id, &dst_iova, 0,
				 16 * PSZ, 0);
	/* then iopt_get_pages(): length 0, a wrapping range, coverage, all
	 * before the destination is looked up */
	test_err_ioctl_ioas_copy(EINVAL, MAP_RW, 0, &dst_iova, self->ioas_id,
				 16 * PSZ, 0);
	test_err_ioctl_ioas_copy(EOVERFLOW, MAP_RW, 0, &dst_iova,
				 self->ioas_id, U64_MAX - 1, 3);
	/* an uncovered source wins over a destination overlap */
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW | MAP_FIXED_IOVA,
				 self->ioas_id, &dst_iova, self->ioas_id,
				 17 * PSZ, PSZ);
	test_err_ioctl_ioas_copy(EEXIST, MAP_RW | MAP_FIXED_IOVA,
				 self->ioas_id, &dst_iova, self->ioas_id,
				 16 * PSZ, PSZ);
	/* a good source, an unknown destination */
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, 0, &dst_iova, self->ioas_id,
				 16 * PSZ, PSZ);
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, self->ioas_id + 1, &dst_iova,
				 self->ioas_id, 16 * PSZ, PSZ);
	EXPECT_EQ(2 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, copy_source_must_be_covered)
{
	__u32 dst_ioas;
	__u64 dst_iova = 0;

	test_ioctl_ioas_alloc(&dst_ioas);
	test_ioctl_ioas_map_fixed(buffer, 4 * PSZ, 16 * PSZ);

	/* any part of an area will do (the uAPI doc says the range must
	 * match a MAP exactly; the code takes a sub-range) */
	test_ioctl_ioas_copy(MAP_RW, dst_ioas, &dst_iova, self->ioas_id,
			     16 * PSZ, 4 * PSZ);
	test_ioctl_ioas_copy(MAP_RW, dst_ioas, &dst_iova, self->ioas_id,
			     17 * PSZ, PSZ);
	test_ioctl_ioas_copy(MAP_RW, dst_ioas, &dst_iova, self->ioas_id,
			     20 * PSZ - 1, 1);
	test_ioctl_ioas_copy(MAP_RW, dst_ioas, &dst_iova, self->ioas_id,
			     16 * PSZ + 3, 5);
	EXPECT_EQ(5 * PSZ + 6, test_ioctl_ioas_unmap_all_id(dst_ioas));

	/* iopt_get_pages(): not covered from start to end is ENOENT */
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 15 * PSZ, 2 * PSZ);
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 16 * PSZ - 1, 1);
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 19 * PSZ, 2 * PSZ);
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 20 * PSZ, 1);
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 0, PSZ);
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 12 * PSZ, 16 * PSZ);
	EXPECT_EQ(0, test_ioctl_ioas_unmap_all_id(dst_ioas));
}

TEST_F(iommufd_ioas, copy_spans_contiguous_areas)
{
	__u32 dst_ioas;
	__u64 dst_iova;

	test_ioctl_ioas_alloc(&dst_ioas);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	test_ioctl_ioas_map_fixed(BUF(8 * PSZ), 2 * PSZ, 17 * PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 20 * PSZ); /* gap at 19P */

	/* two source areas become two destination areas */
	dst_iova = 64 * PSZ;
	test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, dst_ioas, &dst_iova,
			     self->ioas_id, 16 * PSZ, 3 * PSZ);
	EXPECT_EQ(64 * PSZ, dst_iova);
	test_err_ioctl_ioas_unmap_id(ENOENT, dst_ioas, 64 * PSZ + 1, 3 * PSZ);
	test_ioctl_ioas_unmap_id(dst_ioas, 64 * PSZ, PSZ);
	test_ioctl_ioas_unmap_id(dst_ioas, 65 * PSZ, 2 * PSZ);

	/* parts of two areas */
	dst_iova = 64 * PSZ;
	test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, dst_ioas, &dst_iova,
			     self->ioas_id, 16 * PSZ + PSZ / 2, PSZ);
	test_err_ioctl_ioas_unmap_id(ENOENT, dst_ioas, 64 * PSZ, PSZ / 4);
	test_ioctl_ioas_unmap_id(dst_ioas, 64 * PSZ, PSZ / 2);
	test_ioctl_ioas_unmap_id(dst_ioas, 64 * PSZ + PSZ / 2, PSZ / 2);

	/* a gap anywhere is ENOENT */
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 17 * PSZ, 4 * PSZ);
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 16 * PSZ, 5 * PSZ);
	test_err_ioctl_ioas_copy(ENOENT, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 18 * PSZ, 2 * PSZ + 1);
	EXPECT_EQ(0, test_ioctl_ioas_unmap_all_id(dst_ioas));
	/* the source is untouched */
	EXPECT_EQ(4 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, copy_destination_placement)
{
	__u32 dst_ioas;
	__u64 dst_iova;

	test_ioctl_ioas_alloc(&dst_ioas);
	/* source at an odd IOVA, from a 2-page aligned user address */
	test_ioctl_ioas_map_fixed(BUF(2 * PSZ), 2 * PSZ, 16 * PSZ + 1);

	/* automatic: the alignment comes from the user address under
	 * src_iova and the length, not from the source IOVA */
	dst_iova = 0;
	test_ioctl_ioas_copy(MAP_RW, dst_ioas, &dst_iova, self->ioas_id,
			     16 * PSZ + 1, 2 * PSZ);
	EXPECT_EQ(2 * PSZ, dst_iova);
	/* one page in: a 1-page aligned user address */
	dst_iova = 0;
	test_ioctl_ioas_copy(MAP_RW, dst_ioas, &dst_iova, self->ioas_id,
			     17 * PSZ + 1, PSZ);
	EXPECT_EQ(PSZ, dst_iova);
	/* and an offset inside the page is kept */
	dst_iova = 0;
	test_ioctl_ioas_copy(MAP_RW, dst_ioas, &dst_iova, self->ioas_id,
			     16 * PSZ + 1 + 0x30, 0x20);
	EXPECT_EQ(4 * PSZ + 0x30, dst_iova);

	/* fixed: written back unchanged; overlaps and reserved refused */
	dst_iova = 256 * PSZ;
	test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, dst_ioas, &dst_iova,
			     self->ioas_id, 16 * PSZ + 1, 2 * PSZ);
	EXPECT_EQ(256 * PSZ, dst_iova);
	dst_iova = 257 * PSZ;
	test_err_ioctl_ioas_copy(EEXIST, MAP_RW | MAP_FIXED_IOVA, dst_ioas,
				 &dst_iova, self->ioas_id, 16 * PSZ + 1, PSZ);
	EXPECT_EQ(257 * PSZ, dst_iova);
	test_cmd_add_reserved_id(dst_ioas, 512 * PSZ, PSZ);
	dst_iova = 511 * PSZ;
	test_err_ioctl_ioas_copy(EINVAL, MAP_RW | MAP_FIXED_IOVA, dst_ioas,
				 &dst_iova, self->ioas_id, 16 * PSZ + 1,
				 2 * PSZ);
	dst_iova = U64_MAX - PSZ + 2;
	test_err_ioctl_ioas_copy(EOVERFLOW, MAP_RW | MAP_FIXED_IOVA, dst_ioas,
				 &dst_iova, self->ioas_id, 16 * PSZ + 1, PSZ);
	EXPECT_EQ(5 * PSZ + 0x20, test_ioctl_ioas_unmap_all_id(dst_ioas));
}

TEST_F(iommufd_ioas, copy_within_one_ioas)
{
	__u64 dst_iova;

	/* as the kernel's copy_area */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	dst_iova = 17 * PSZ;
	test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, self->ioas_id, &dst_iova,
			     self->ioas_id, 16 * PSZ, PSZ);
	/* automatic, into the lowest free place */
	dst_iova = 0;
	test_ioctl_ioas_copy(MAP_RW, self->ioas_id, &dst_iova, self->ioas_id,
			     16 * PSZ, 2 * PSZ);
	EXPECT_EQ(2 * PSZ, dst_iova);
	/* onto itself */
	dst_iova = 16 * PSZ;
	test_err_ioctl_ioas_copy(EEXIST, MAP_RW | MAP_FIXED_IOVA, self->ioas_id,
				 &dst_iova, self->ioas_id, 16 * PSZ, PSZ);
	EXPECT_EQ(4 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, copy_writeable_needs_a_writeable_source)
{
	__u32 dst_ioas;
	__u64 dst_iova;

	test_ioctl_ioas_alloc(&dst_ioas);
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
						buffer, PSZ, 16 * PSZ,
						IOMMU_IOAS_MAP_READABLE));
	test_ioctl_ioas_map_fixed(buffer, PSZ, 17 * PSZ);

	/* iopt_insert_area(): IOMMU_WRITE on pages that are not writable */
	dst_iova = 0;
	test_err_ioctl_ioas_copy(EPERM, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 16 * PSZ, PSZ);
	test_err_ioctl_ioas_copy(EPERM, IOMMU_IOAS_MAP_WRITEABLE, dst_ioas,
				 &dst_iova, self->ioas_id, 16 * PSZ, PSZ);
	/* one read-only piece spoils a span; nothing is left behind */
	test_err_ioctl_ioas_copy(EPERM, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 16 * PSZ, 2 * PSZ);
	EXPECT_EQ(0, test_ioctl_ioas_unmap_all_id(dst_ioas));

	/* the IOVA is placed before the areas are inserted: an overlap is
	 * EEXIST, not EPERM */
	test_ioctl_ioas_map_fixed_id(dst_ioas, buffer, PSZ, 64 * PSZ);
	dst_iova = 64 * PSZ;
	test_err_ioctl_ioas_copy(EEXIST, MAP_RW | MAP_FIXED_IOVA, dst_ioas,
				 &dst_iova, self->ioas_id, 16 * PSZ, PSZ);

	/* read-only copies are fine */
	dst_iova = 0;
	test_ioctl_ioas_copy(IOMMU_IOAS_MAP_READABLE, dst_ioas, &dst_iova,
			     self->ioas_id, 16 * PSZ, 2 * PSZ);
	EXPECT_EQ(2 * PSZ, dst_iova);

	/* writability belongs to the pages, not to the area: a read-only
	 * copy of writeable memory can be copied writeable again */
	dst_iova = 128 * PSZ;
	test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, self->ioas_id, &dst_iova,
			     dst_ioas, 3 * PSZ, PSZ);
	/* and a copy of read-only memory stays read-only */
	dst_iova = 129 * PSZ;
	test_err_ioctl_ioas_copy(EPERM, MAP_RW | MAP_FIXED_IOVA, self->ioas_id,
				 &dst_iova, dst_ioas, 2 * PSZ, PSZ);
	EXPECT_EQ(3 * PSZ, test_ioctl_ioas_unmap_all());
	EXPECT_EQ(3 * PSZ, test_ioctl_ioas_unmap_all_id(dst_ioas));
}

TEST_F(iommufd_ioas, copy_failing_on_a_later_piece_leaves_nothing)
{
	__u32 dst_ioas;
	__u64 dst_iova = 8 * PSZ;

	/* writeable then read-only: the second area of the copy is refused
	 * after the first was already inserted, and must be taken back */
	test_ioctl_ioas_alloc(&dst_ioas);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 15 * PSZ);
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
						buffer + PSZ, PSZ, 16 * PSZ,
						IOMMU_IOAS_MAP_READABLE));
	test_err_ioctl_ioas_copy(EPERM, MAP_RW | MAP_FIXED_IOVA, dst_ioas,
				 &dst_iova, self->ioas_id, 15 * PSZ, 2 * PSZ);
	/* the first piece's IOVA is free again, and nothing is mapped */
	test_ioctl_ioas_map_fixed_id(dst_ioas, buffer, PSZ, 8 * PSZ);
	EXPECT_EQ(PSZ, test_ioctl_ioas_unmap_all_id(dst_ioas));
	/* the same with automatic placement */
	test_err_ioctl_ioas_copy(EPERM, MAP_RW, dst_ioas, &dst_iova,
				 self->ioas_id, 15 * PSZ, 2 * PSZ);
	EXPECT_EQ(0, test_ioctl_ioas_unmap_all_id(dst_ioas));
	/* the source is untouched */
	EXPECT_EQ(2 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, copy_outlives_its_source)
{
	__u32 src_ioas;
	__u64 dst_iova = 0;

	test_ioctl_ioas_alloc(&src_ioas);
	test_ioctl_ioas_map_fixed_id(src_ioas, buffer, 4 * PSZ, 16 * PSZ);
	test_ioctl_ioas_copy(MAP_RW, self->ioas_id, &dst_iova, src_ioas,
			     16 * PSZ, 4 * PSZ);
	EXPECT_EQ(4 * PSZ, dst_iova);

	/* unmapping the source leaves the copy */
	test_ioctl_ioas_unmap_id(src_ioas, 16 * PSZ, 4 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, buffer, 1, 4 * PSZ);
	/* so does destroying the source IOAS */
	test_ioctl_ioas_map_fixed_id(src_ioas, buffer, 4 * PSZ, 16 * PSZ);
	dst_iova = 0;
	test_ioctl_ioas_copy(MAP_RW, self->ioas_id, &dst_iova, src_ioas,
			     16 * PSZ, 4 * PSZ);
	EXPECT_EQ(8 * PSZ, dst_iova);
	test_ioctl_destroy(src_ioas);
	/* and the copy can be copied on */
	dst_iova = 64 * PSZ;
	test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, self->ioas_id, &dst_iova,
			     self->ioas_id, 8 * PSZ, 4 * PSZ);
	EXPECT_EQ(12 * PSZ, test_ioctl_ioas_unmap_all());
}

TEST_F(iommufd_ioas, copy_sweep)
{
	const uint64_t start = 4096 * PSZ;
	const uint64_t last = start + BUFFER_SIZE - 2;
	const uint64_t length = PSZ / 2;
	__u32 dst_ioas;

	/* as the kernel's copy_sweep without a domain: an odd-length area
	 * and every position a little past both its ends */
	test_ioctl_ioas_alloc(&dst_ioas);
	test_ioctl_ioas_map_fixed(buffer, last - start + 1, start);
	for (uint64_t iova = start - PSZ; iova <= last; iova += 511) {
		__u64 dst_iova = start;

		if (iova < start || iova + length - 1 > last) {
			test_err_ioctl_ioas_copy(ENOENT,
						 MAP_RW | MAP_FIXED_IOVA,
						 dst_ioas, &dst_iova,
						 self->ioas_id, iova, length);
		} else {
			test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, dst_ioas,
					     &dst_iova, self->ioas_id, iova,
					     length);
			test_ioctl_ioas_unmap_id(dst_ioas, start, length);
		}
	}
	test_ioctl_destroy(dst_ioas);
}

/* ========================================================================
 * IOMMU_IOAS_IOVA_RANGES: iommufd_ioas_iova_ranges()
 * ======================================================================== */

TEST_F(iommufd_ioas, iova_ranges_of_a_fresh_ioas)
{
	struct iommu_iova_range ranges[4];
	uint64_t alignment = 0;
	__u32 num = 4;

	memset(ranges, 0xa5, sizeof(ranges));
	test_ioctl_ioas_iova_ranges(ranges, &num, &alignment);
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(U64_MAX, ranges[0].last);
	EXPECT_EQ(1, alignment);
	/* entries past the count are not written */
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, ranges[1].start);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, ranges[3].last);
}

TEST_F(iommufd_ioas, iova_ranges_checks)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num_iovas = 0,
	};

	/* __reserved before the lookup */
	cmd.__reserved = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.ioas_id = 0;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.__reserved = 0;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.ioas_id = self->ioas_id + 1;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	/* nothing written back on these */
	EXPECT_EQ(0, cmd.num_iovas);
	EXPECT_EQ(0, cmd.out_iova_alignment);
}

TEST_F(iommufd_ioas, iova_ranges_emsgsize_protocol)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
	};
	struct iommu_iova_range ranges[3];

	/* too small: EMSGSIZE, the count needed and the alignment written */
	cmd.num_iovas = 0;
	cmd.allowed_iovas = 0;
	EXPECT_ERRNO(EMSGSIZE, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	EXPECT_EQ(1, cmd.num_iovas);
	EXPECT_EQ(1, cmd.out_iova_alignment);

	/* two holes: [0, P - 1] and [2P, ULONG_MAX] */
	test_cmd_add_reserved(PSZ, PSZ);
	memset(ranges, 0, sizeof(ranges));
	cmd.num_iovas = 1;
	cmd.allowed_iovas = (uintptr_t)ranges;
	cmd.out_iova_alignment = 0;
	EXPECT_ERRNO(EMSGSIZE, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	EXPECT_EQ(2, cmd.num_iovas);
	EXPECT_EQ(1, cmd.out_iova_alignment);
	/* the ranges that fit are written */
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(PSZ - 1, ranges[0].last);
	EXPECT_EQ(0, ranges[1].start);
	EXPECT_EQ(0, ranges[1].last);

	/* and with room, all of them */
	cmd.num_iovas = 3;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	EXPECT_EQ(2, cmd.num_iovas);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(PSZ - 1, ranges[0].last);
	EXPECT_EQ(2 * PSZ, ranges[1].start);
	EXPECT_EQ(U64_MAX, ranges[1].last);
	EXPECT_EQ(0, ranges[2].start);
	/* exactly enough */
	cmd.num_iovas = 2;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	EXPECT_EQ(2, cmd.num_iovas);
}

TEST_F(iommufd_ioas, iova_ranges_touches_only_the_entries_that_fit)
{
	struct iommu_iova_range *ranges;
	uint8_t *pages;
	__u32 num;

	/* one entry just before an inaccessible page */
	pages = mmap(NULL, 2 * PSZ, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, mprotect(pages + PSZ, PSZ, PROT_NONE));
	ranges = (struct iommu_iova_range *)(pages + PSZ) - 1;

	test_cmd_add_reserved(PSZ, PSZ);
	num = 1;
	test_err_ioctl_ioas_iova_ranges(EMSGSIZE, ranges, &num, NULL);
	EXPECT_EQ(2, num);
	EXPECT_EQ(PSZ - 1, ranges[0].last);
	/* no room at all: the pointer is not used */
	num = 0;
	test_err_ioctl_ioas_iova_ranges(EMSGSIZE, ranges + 1, &num, NULL);
	EXPECT_EQ(2, num);
	/* room claimed that is not there: EFAULT, nothing written back */
	num = 2;
	test_err_ioctl_ioas_iova_ranges(EFAULT, ranges, &num, NULL);
	EXPECT_EQ(2, num);
	num = 5;
	test_err_ioctl_ioas_iova_ranges(EFAULT, NULL, &num, NULL);
	EXPECT_EQ(5, num);
	ASSERT_EQ(0, munmap(pages, 2 * PSZ));
}

TEST_F(iommufd_ioas, iova_ranges_are_the_holes_between_reserved)
{
	struct iommu_iova_range r[8];
	__u32 num;

	/* at 0, overlapping pairs, adjacent pairs, at the top */
	test_cmd_add_reserved(0, PSZ);
	test_cmd_add_reserved(4 * PSZ, 2 * PSZ);
	test_cmd_add_reserved(5 * PSZ, 2 * PSZ);
	test_cmd_add_reserved(10 * PSZ, PSZ);
	test_cmd_add_reserved(11 * PSZ, PSZ);
	test_cmd_add_reserved(20 * PSZ, PSZ);
	test_cmd_add_reserved(20 * PSZ, PSZ); /* the same one again */
	test_cmd_add_reserved(U64_MAX - PSZ + 1, PSZ);
	num = 8;
	test_ioctl_ioas_iova_ranges(r, &num, NULL);
	ASSERT_EQ(4, num);
	EXPECT_EQ(PSZ, r[0].start);
	EXPECT_EQ(4 * PSZ - 1, r[0].last);
	EXPECT_EQ(7 * PSZ, r[1].start);
	EXPECT_EQ(10 * PSZ - 1, r[1].last);
	EXPECT_EQ(12 * PSZ, r[2].start);
	EXPECT_EQ(20 * PSZ - 1, r[2].last);
	EXPECT_EQ(21 * PSZ, r[3].start);
	EXPECT_EQ(U64_MAX - PSZ, r[3].last);
}

TEST_F(iommufd_ioas, iova_ranges_ignore_areas_and_allowed_ranges)
{
	struct iommu_iova_range allowed = { 256 * PSZ, 512 * PSZ - 1 };
	struct iommu_iova_range r[2];
	__u32 num = 2;

	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	test_ioctl_ioas_allow_iovas(&allowed, 1);
	test_ioctl_ioas_iova_ranges(r, &num, NULL);
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, r[0].start);
	EXPECT_EQ(U64_MAX, r[0].last);
}

TEST_F(iommufd_ioas, iova_ranges_can_be_empty)
{
	__u64 iova = 0;
	__u32 num = 0;

	/* reserve everything: [0, U64_MAX - 1] and [U64_MAX, U64_MAX] */
	test_cmd_add_reserved(0, U64_MAX);
	test_cmd_add_reserved(U64_MAX, 1);
	test_ioctl_ioas_iova_ranges(NULL, &num, NULL);
	EXPECT_EQ(0, num);
	test_err_ioctl_ioas_map(ENOSPC, buffer, 1, &iova);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 1, 0);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 1, U64_MAX - 1);
}

/* ========================================================================
 * IOMMU_IOAS_ALLOW_IOVAS: iommufd_ioas_allow_iovas(), iopt_set_allow_iova()
 * ======================================================================== */

/* Proves which allowed list is in force: the first automatic map of a
 * page lands at its lowest page. */
#define expect_first_auto_page(expect)                                         \
	({                                                                     \
		uint64_t __at = expect_auto_map(buffer, PSZ, expect);          \
		test_ioctl_ioas_unmap(__at, PSZ);                              \
	})

TEST_F(iommufd_ioas, allow_iovas_checks)
{
	struct iommu_iova_range r = { 256 * PSZ, 512 * PSZ - 1 };
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&r,
	};

	/* __reserved, then the lookup, then the list */
	cmd.__reserved = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	cmd.ioas_id = 0;
	cmd.allowed_iovas = 0;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	cmd.__reserved = 0;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	cmd.ioas_id = self->ioas_id;
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	/* nothing changed so far */
	expect_first_auto_page(PSZ);
	cmd.allowed_iovas = (uintptr_t)&r;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	expect_first_auto_page(256 * PSZ);
}

TEST_F(iommufd_ioas, allow_iovas_start_must_be_below_last)
{
	struct iommu_iova_range r;

	/* iommufd_ioas_load_iovas(): start >= last, so a one-IOVA range
	 * (start == last, valid by the doc's "inclusive last") is refused */
	r = (struct iommu_iova_range){ 256 * PSZ, 256 * PSZ };
	test_err_ioctl_ioas_allow_iovas(EINVAL, &r, 1);
	r = (struct iommu_iova_range){ 256 * PSZ, 255 * PSZ };
	test_err_ioctl_ioas_allow_iovas(EINVAL, &r, 1);
	r = (struct iommu_iova_range){ U64_MAX, U64_MAX };
	test_err_ioctl_ioas_allow_iovas(EINVAL, &r, 1);
	r = (struct iommu_iova_range){ U64_MAX, 0 };
	test_err_ioctl_ioas_allow_iovas(EINVAL, &r, 1);
	expect_first_auto_page(PSZ);
	/* two bytes is the least */
	r = (struct iommu_iova_range){ 256 * PSZ, 256 * PSZ + 1 };
	test_ioctl_ioas_allow_iovas(&r, 1);
	r = (struct iommu_iova_range){ U64_MAX - 1, U64_MAX };
	test_ioctl_ioas_allow_iovas(&r, 1);
	r = (struct iommu_iova_range){ 0, U64_MAX };
	test_ioctl_ioas_allow_iovas(&r, 1);
}

TEST_F(iommufd_ioas, allow_iovas_entries_must_not_overlap)
{
	struct iommu_iova_range r[3];

	/* iommufd_ioas_load_iovas(): an entry intersecting an earlier one */
	r[0] = (struct iommu_iova_range){ 256 * PSZ, 512 * PSZ - 1 };
	r[1] = r[0];
	test_err_ioctl_ioas_allow_iovas(EINVAL, r, 2);
	r[1] = (struct iommu_iova_range){ 511 * PSZ, 600 * PSZ };
	test_err_ioctl_ioas_allow_iovas(EINVAL, r, 2);
	r[1] = (struct iommu_iova_range){ 300 * PSZ, 301 * PSZ };
	test_err_ioctl_ioas_allow_iovas(EINVAL, r, 2);
	r[1] = (struct iommu_iova_range){ 0, 256 * PSZ };
	test_err_ioctl_ioas_allow_iovas(EINVAL, r, 2);
	r[1] = (struct iommu_iova_range){ 0, U64_MAX };
	test_err_ioctl_ioas_allow_iovas(EINVAL, r, 2);
	/* the whole list is refused when a later entry is bad */
	r[1] = (struct iommu_iova_range){ 600 * PSZ, 700 * PSZ };
	r[2] = (struct iommu_iova_range){ 5, 5 };
	test_err_ioctl_ioas_allow_iovas(EINVAL, r, 3);
	expect_first_auto_page(PSZ);

	/* adjacent is fine */
	r[1] = (struct iommu_iova_range){ 512 * PSZ, 600 * PSZ };
	test_ioctl_ioas_allow_iovas(r, 2);
	expect_first_auto_page(256 * PSZ);
}

TEST_F(iommufd_ioas, allow_iovas_replaces_the_list)
{
	struct iommu_iova_range a = { 256 * PSZ, 512 * PSZ - 1 };
	struct iommu_iova_range b = { 1024 * PSZ, 2048 * PSZ - 1 };
	struct iommu_iova_range bad = { 7, 7 };

	test_ioctl_ioas_allow_iovas(&a, 1);
	expect_first_auto_page(256 * PSZ);
	test_ioctl_ioas_allow_iovas(&b, 1);
	expect_first_auto_page(1024 * PSZ);
	/* a failed call keeps the old list */
	test_err_ioctl_ioas_allow_iovas(EINVAL, &bad, 1);
	expect_first_auto_page(1024 * PSZ);
	/* an empty list, pointer unused, clears it */
	test_ioctl_ioas_allow_iovas((void *)8, 0);
	expect_first_auto_page(PSZ);
}

TEST_F(iommufd_ioas, allow_iovas_refuses_reserved)
{
	struct iommu_iova_range r[2];

	test_cmd_add_reserved(300 * PSZ, PSZ);
	/* iopt_set_allow_iova(): an allowed range intersects a reserved one */
	r[0] = (struct iommu_iova_range){ 256 * PSZ, 512 * PSZ - 1 };
	test_err_ioctl_ioas_allow_iovas(EADDRINUSE, r, 1);
	r[0] = (struct iommu_iova_range){ 301 * PSZ - 1, 400 * PSZ };
	test_err_ioctl_ioas_allow_iovas(EADDRINUSE, r, 1);
	/* atomically: the good entry is not kept either */
	r[0] = (struct iommu_iova_range){ 1024 * PSZ, 2048 * PSZ - 1 };
	r[1] = (struct iommu_iova_range){ 0, 300 * PSZ };
	test_err_ioctl_ioas_allow_iovas(EADDRINUSE, r, 2);
	expect_first_auto_page(PSZ);
	/* list errors are found before the reserved check */
	r[1] = (struct iommu_iova_range){ 1500 * PSZ, 1500 * PSZ };
	r[0] = (struct iommu_iova_range){ 0, 300 * PSZ };
	test_err_ioctl_ioas_allow_iovas(EINVAL, r, 2);
	/* touching is fine */
	r[0] = (struct iommu_iova_range){ 256 * PSZ, 300 * PSZ - 1 };
	r[1] = (struct iommu_iova_range){ 301 * PSZ, 400 * PSZ };
	test_ioctl_ioas_allow_iovas(r, 2);
	expect_first_auto_page(256 * PSZ);
}

TEST_F(iommufd_ioas, allow_iovas_ignores_existing_areas)
{
	struct iommu_iova_range r = { 256 * PSZ, 512 * PSZ - 1 };

	/* nothing checks areas against the allowed list */
	test_ioctl_ioas_map_fixed(buffer, PSZ, PSZ);
	test_ioctl_ioas_map_fixed(buffer, PSZ, 300 * PSZ);
	test_ioctl_ioas_allow_iovas(&r, 1);
	expect_auto_map(buffer, PSZ, 256 * PSZ);
	EXPECT_EQ(3 * PSZ, test_ioctl_ioas_unmap_all());
}

/* ========================================================================
 * IOMMU_TEST_OP_ADD_RESERVED: iommufd_test_add_reserved(),
 * iopt_reserve_iova()
 * ======================================================================== */

TEST_F(iommufd_ioas, add_reserved_checks)
{
	/* newest kernel: length 0 and a wrapping range are refused before
	 * the IOAS is looked up */
	test_err_cmd_add_reserved(EINVAL, PSZ, 0);
	test_err_cmd_add_reserved_id(EINVAL, 0, PSZ, 0);
	test_err_cmd_add_reserved(EOVERFLOW, U64_MAX, 2);
	test_err_cmd_add_reserved(EOVERFLOW, 2, U64_MAX);
	test_err_cmd_add_reserved_id(EOVERFLOW, 0, U64_MAX, 2);
	test_err_cmd_add_reserved_id(ENOENT, 0, PSZ, PSZ);
	test_err_cmd_add_reserved_id(ENOENT, self->ioas_id + 1, PSZ, PSZ);
	/* the extremes */
	test_cmd_add_reserved(U64_MAX, 1);
	test_cmd_add_reserved(1, U64_MAX);
}

TEST_F(iommufd_ioas, add_reserved_refuses_areas)
{
	test_ioctl_ioas_map_fixed(buffer, 2 * PSZ, 16 * PSZ);
	/* iopt_reserve_iova(): an area intersects */
	test_err_cmd_add_reserved(EADDRINUSE, 16 * PSZ, PSZ);
	test_err_cmd_add_reserved(EADDRINUSE, 18 * PSZ - 1, 1);
	test_err_cmd_add_reserved(EADDRINUSE, 15 * PSZ, PSZ + 1);
	test_err_cmd_add_reserved(EADDRINUSE, 0, U64_MAX);
	/* next to it is fine */
	test_cmd_add_reserved(15 * PSZ, PSZ);
	test_cmd_add_reserved(18 * PSZ, PSZ);
	/* once the area is gone, so is the conflict */
	test_ioctl_ioas_unmap(16 * PSZ, 2 * PSZ);
	test_cmd_add_reserved(16 * PSZ, 2 * PSZ);
}

TEST_F(iommufd_ioas, add_reserved_refuses_allowed_ranges)
{
	struct iommu_iova_range r = { 256 * PSZ, 512 * PSZ - 1 };

	/* as the kernel's area_allowed: both directions */
	test_ioctl_ioas_allow_iovas(&r, 1);
	test_err_cmd_add_reserved(EADDRINUSE, 257 * PSZ, PSZ);
	test_err_cmd_add_reserved(EADDRINUSE, 512 * PSZ - 1, 1);
	test_err_cmd_add_reserved(EADDRINUSE, 255 * PSZ, PSZ + 1);
	test_cmd_add_reserved(255 * PSZ, PSZ);
	test_cmd_add_reserved(512 * PSZ, PSZ);
	test_ioctl_ioas_allow_iovas(NULL, 0);
	test_cmd_add_reserved(257 * PSZ, PSZ);
	test_err_ioctl_ioas_allow_iovas(EADDRINUSE, &r, 1);
}

TEST_F(iommufd_ioas, add_reserved_may_overlap_itself)
{
	struct iommu_iova_range r[2];
	__u32 num = 2;

	test_cmd_add_reserved(16 * PSZ, 4 * PSZ);
	test_cmd_add_reserved(16 * PSZ, 4 * PSZ);
	test_cmd_add_reserved(18 * PSZ, 4 * PSZ);
	test_cmd_add_reserved(17 * PSZ, 1);
	test_ioctl_ioas_iova_ranges(r, &num, NULL);
	ASSERT_EQ(2, num);
	EXPECT_EQ(16 * PSZ - 1, r[0].last);
	EXPECT_EQ(22 * PSZ, r[1].start);
}

TEST_F(iommufd_ioas, add_reserved_is_per_ioas)
{
	__u32 other;

	test_ioctl_ioas_alloc(&other);
	test_cmd_add_reserved(16 * PSZ, PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ, 16 * PSZ);
	test_ioctl_ioas_map_fixed_id(other, buffer, PSZ, 16 * PSZ);
}

/* ========================================================================
 * IOMMU_OPTION: iommufd_option(), iommufd_option_rlimit_mode(),
 * iommufd_ioas_option()
 * ======================================================================== */

TEST_F(iommufd, option_checks_before_the_option)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.val64 = 7,
	};

	/* iommufd_option(): __reserved, then the option_id */
	cmd.__reserved = 1;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.option_id = IOMMU_OPTION_HUGE_PAGES;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.__reserved = 0x8000;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.__reserved = 0;
	cmd.option_id = 2;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.option_id = 0xffffffff;
	cmd.op = 0xffff;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	/* val64 is only written on success */
	EXPECT_EQ(7, cmd.val64);
}

TEST_F(iommufd, rlimit_mode_get)
{
	__u64 val = 7;

	/* default per-user accounting reads as 0 */
	test_ioctl_option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0,
			  &val);
	EXPECT_EQ(0, val);
}

TEST_F(iommufd, rlimit_mode_object_id_and_op)
{
	__u64 val = 7;

	/* iommufd_option_rlimit_mode(): a global option, object_id first */
	test_err_ioctl_option(EOPNOTSUPP, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_GET, 1, &val);
	test_err_ioctl_option(EOPNOTSUPP, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 1, &val);
	test_err_ioctl_option(EOPNOTSUPP, IOMMU_OPTION_RLIMIT_MODE, 2, 1, &val);
	/* an op that is neither GET nor SET */
	test_err_ioctl_option(EOPNOTSUPP, IOMMU_OPTION_RLIMIT_MODE, 2, 0, &val);
	test_err_ioctl_option(EOPNOTSUPP, IOMMU_OPTION_RLIMIT_MODE, 0xffff, 0,
			      &val);
	EXPECT_EQ(7, val);
}

TEST_F(iommufd, rlimit_mode_set_needs_cap_sys_resource)
{
	__u32 ioas_id;
	__u64 val;

	if (has_capability(CAP_SYS_RESOURCE))
		ASSERT_EQ(0, drop_capability(CAP_SYS_RESOURCE));
	ASSERT_FALSE(has_capability(CAP_SYS_RESOURCE));

	/* capable(CAP_SYS_RESOURCE) comes before the value and the objects */
	val = 1;
	test_err_ioctl_option(EPERM, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	val = 0;
	test_err_ioctl_option(EPERM, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	val = 2;
	test_err_ioctl_option(EPERM, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	test_ioctl_ioas_alloc(&ioas_id);
	test_err_ioctl_option(EPERM, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	/* but not before object_id */
	test_err_ioctl_option(EOPNOTSUPP, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, ioas_id, &val);
	/* GET needs nothing */
	val = 7;
	test_ioctl_option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0,
			  &val);
	EXPECT_EQ(0, val);
}

TEST_F(iommufd, rlimit_mode_set)
{
	__u32 ioas_id;
	__u64 val;
	int other;

	if (!has_capability(CAP_SYS_RESOURCE))
		SKIP(return, "needs CAP_SYS_RESOURCE");

	/* as the kernel's global_options */
	val = 1;
	test_ioctl_option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0,
			  &val);
	EXPECT_EQ(1, val);
	val = 2;
	test_err_ioctl_option(EINVAL, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	val = U64_MAX;
	test_err_ioctl_option(EINVAL, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	val = 0;
	test_ioctl_option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0,
			  &val);
	EXPECT_EQ(1, val);

	/* per context */
	other = iommufd_open();
	ASSERT_NE(-1, other);
	val = 7;
	ASSERT_EQ(0, _test_ioctl_option(other, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(0, val);
	ASSERT_EQ(0, close(other));

	/* EBUSY while any object exists, whatever the value */
	test_ioctl_ioas_alloc(&ioas_id);
	val = 0;
	test_err_ioctl_option(EBUSY, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	val = 1;
	test_err_ioctl_option(EBUSY, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	val = 2;
	test_err_ioctl_option(EBUSY, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &val);
	val = 0;
	test_ioctl_option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0,
			  &val);
	EXPECT_EQ(1, val);
	test_ioctl_destroy(ioas_id);

	val = 0;
	test_ioctl_option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0,
			  &val);
	EXPECT_EQ(0, val);
	val = 7;
	test_ioctl_option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0,
			  &val);
	EXPECT_EQ(0, val);
}

TEST_F(iommufd, huge_pages_needs_an_ioas)
{
	__u64 val = 7;

	/* as the kernel's global_options: object_id 0 is no IOAS */
	test_err_ioctl_option(ENOENT, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, 0, &val);
	test_err_ioctl_option(ENOENT, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_SET, 0, &val);
	/* the lookup comes before the op and the value */
	test_err_ioctl_option(ENOENT, IOMMU_OPTION_HUGE_PAGES, 2, 1, &val);
	EXPECT_EQ(7, val);
}

TEST_F(iommufd_ioas, huge_pages_get_and_set)
{
	__u32 other;
	__u64 val;

	/* as the kernel's ioas_option_huge_pages */
	EXPECT_EQ(1, test_ioctl_huge_pages_get(self->ioas_id));
	test_ioctl_huge_pages_set(self->ioas_id, 0);
	EXPECT_EQ(0, test_ioctl_huge_pages_get(self->ioas_id));
	/* twice is fine */
	test_ioctl_huge_pages_set(self->ioas_id, 0);
	test_err_ioctl_huge_pages_set(EINVAL, self->ioas_id, 2);
	test_err_ioctl_huge_pages_set(EINVAL, self->ioas_id, U64_MAX);
	EXPECT_EQ(0, test_ioctl_huge_pages_get(self->ioas_id));
	test_ioctl_huge_pages_set(self->ioas_id, 1);
	test_ioctl_huge_pages_set(self->ioas_id, 1);
	EXPECT_EQ(1, test_ioctl_huge_pages_get(self->ioas_id));

	/* an op that is neither GET nor SET */
	val = 7;
	test_err_ioctl_option(EOPNOTSUPP, IOMMU_OPTION_HUGE_PAGES, 2,
			      self->ioas_id, &val);
	EXPECT_EQ(7, val);
	/* SET writes val64 back as it was */
	val = 0;
	test_ioctl_option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			  self->ioas_id, &val);
	EXPECT_EQ(0, val);

	/* per IOAS */
	test_ioctl_ioas_alloc(&other);
	EXPECT_EQ(1, test_ioctl_huge_pages_get(other));
	test_err_ioctl_option(ENOENT, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, other + 1, &val);
}

TEST_F(iommufd_ioas, huge_pages_off_aligns_to_page_size)
{
	__u32 dst_ioas;
	uint64_t alignment = 0;
	__u64 iova = 0;
	__u32 num = 0;

	/* iopt_calculate_iova_alignment(): disable_large_pages forces
	 * PAGE_SIZE alignment even with no domain */
	test_ioctl_huge_pages_set(self->ioas_id, 0);
	EXPECT_ERRNO(EMSGSIZE, _test_ioctl_ioas_iova_ranges(
				       self->fd, self->ioas_id, NULL, &num,
				       &alignment));
	EXPECT_EQ(PSZ, alignment);

	/* iopt_alloc_area_pages(): the length */
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ + 1, 16 * PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, 1, 16 * PSZ);
	test_err_ioctl_ioas_map(EINVAL, buffer, PSZ / 2, &iova);
	/* iopt_check_iova(): the IOVA */
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ, 16 * PSZ + 1);
	/* iopt_insert_area(): the offset of the user address in its page */
	test_err_ioctl_ioas_map_fixed(EINVAL, BUF(PSZ / 2), PSZ, 16 * PSZ);
	/* iopt_alloc_iova(): alignment from a half-page address is too low */
	test_err_ioctl_ioas_map(EINVAL, BUF(PSZ / 2), PSZ, &iova);
	/* aligned is fine */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	expect_auto_map(buffer, PSZ, PSZ);

	/* check order: the length before the IOVA, the IOVA before the
	 * page offset */
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ + 1, 16 * PSZ);
	test_err_ioctl_ioas_map_fixed(EEXIST, BUF(PSZ / 2), PSZ, 16 * PSZ);

	/* COPY obeys the destination's alignment */
	test_ioctl_ioas_alloc(&dst_ioas);
	test_ioctl_ioas_map_fixed_id(dst_ioas, BUF(1), 2 * PSZ, 64 * PSZ);
	iova = 32 * PSZ;
	test_err_ioctl_ioas_copy(EINVAL, MAP_RW | MAP_FIXED_IOVA,
				 self->ioas_id, &iova, self->ioas_id, 16 * PSZ,
				 PSZ / 2);
	iova = 32 * PSZ + 1;
	test_err_ioctl_ioas_copy(EINVAL, MAP_RW | MAP_FIXED_IOVA,
				 self->ioas_id, &iova, self->ioas_id, 16 * PSZ,
				 PSZ);
	iova = 32 * PSZ;
	test_err_ioctl_ioas_copy(EINVAL, MAP_RW | MAP_FIXED_IOVA,
				 self->ioas_id, &iova, dst_ioas, 64 * PSZ,
				 PSZ);
	test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, self->ioas_id, &iova,
			     self->ioas_id, 16 * PSZ, PSZ);

	/* UNMAP has no alignment rule */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 40 * PSZ);
	{
		uint64_t unmapped = 0;

		ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, self->ioas_id,
						    40 * PSZ - 1, PSZ + 2,
						    &unmapped));
		EXPECT_EQ(PSZ, unmapped);
	}

	/* back to 1 */
	test_ioctl_huge_pages_set(self->ioas_id, 1);
	num = 0;
	EXPECT_ERRNO(EMSGSIZE, _test_ioctl_ioas_iova_ranges(
				       self->fd, self->ioas_id, NULL, &num,
				       &alignment));
	EXPECT_EQ(1, alignment);
	test_ioctl_ioas_map_fixed(BUF(1), 1, 16 * PSZ - 1);
}

TEST_F(iommufd_ioas, huge_pages_off_refused_by_unaligned_areas)
{
	/* iopt_check_iova_alignment(): iova, length and page offset of every
	 * area must suit PAGE_SIZE */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ + 1);
	test_err_ioctl_huge_pages_set(EADDRINUSE, self->ioas_id, 0);
	EXPECT_EQ(1, test_ioctl_huge_pages_get(self->ioas_id));
	test_ioctl_ioas_unmap(16 * PSZ + 1, PSZ);

	test_ioctl_ioas_map_fixed(buffer, PSZ + 1, 16 * PSZ);
	test_err_ioctl_huge_pages_set(EADDRINUSE, self->ioas_id, 0);
	test_ioctl_ioas_unmap(16 * PSZ, PSZ + 1);

	/* as the kernel's ioas_align_change */
	test_ioctl_ioas_map_fixed(BUF(PSZ / 2), PSZ, 16 * PSZ);
	test_err_ioctl_huge_pages_set(EADDRINUSE, self->ioas_id, 0);
	EXPECT_EQ(1, test_ioctl_huge_pages_get(self->ioas_id));
	test_ioctl_ioas_unmap(16 * PSZ, PSZ);

	test_ioctl_ioas_map_fixed(buffer, PSZ, 16 * PSZ);
	test_ioctl_huge_pages_set(self->ioas_id, 0);
	EXPECT_EQ(0, test_ioctl_huge_pages_get(self->ioas_id));
}

/* ========================================================================
 * Objects: IDs of other types, DESTROY and close with mappings
 * ======================================================================== */

TEST_F(iommufd_ioas, ids_of_other_object_types_are_enoent)
{
	struct iommu_test_cmd md = {
		.size = sizeof(md),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = self->ioas_id,
	};
	struct iommu_iova_range r = { 256 * PSZ, 512 * PSZ - 1 };
	__u32 ids[3];
	__u64 iova;
	__u32 num;

	/* iommufd_get_ioas() looks up IOMMUFD_OBJ_IOAS only; other objects
	 * need a mock domain, which comes later */
	if (ioctl(self->fd, IOMMU_TEST_CMD, &md))
		SKIP(return, "IOMMU_TEST_OP_MOCK_DOMAIN: %s", strerror(errno));
	ids[0] = md.mock_domain.out_stdev_id;
	ids[1] = md.mock_domain.out_hwpt_id;
	ids[2] = md.mock_domain.out_idev_id;
	test_ioctl_ioas_map(buffer, PSZ, &iova);

	for (unsigned int i = 0; i < 3; i++) {
		__u64 val = 0;

		test_err_ioctl_ioas_map_fixed_id(ENOENT, ids[i], buffer, PSZ,
						 0);
		test_err_ioctl_ioas_unmap_id(ENOENT, ids[i], 0, U64_MAX);
		test_err_ioctl_ioas_copy(ENOENT, MAP_RW, ids[i], &iova,
					 self->ioas_id, iova, PSZ);
		test_err_ioctl_ioas_copy(ENOENT, MAP_RW, self->ioas_id, &iova,
					 ids[i], iova, PSZ);
		num = 0;
		EXPECT_ERRNO(ENOENT, _test_ioctl_ioas_iova_ranges(
					     self->fd, ids[i], NULL, &num,
					     NULL));
		EXPECT_ERRNO(ENOENT, _test_ioctl_ioas_allow_iovas(
					     self->fd, ids[i], &r, 1));
		test_err_ioctl_option(ENOENT, IOMMU_OPTION_HUGE_PAGES,
				      IOMMU_OPTION_OP_GET, ids[i], &val);
		test_err_cmd_add_reserved_id(ENOENT, ids[i], PSZ, PSZ);
	}
}

TEST_F(iommufd_ioas, destroy_with_mappings)
{
	__u32 id;

	/* as the kernel's ioas_area_destroy: no domain holds the IOAS */
	test_ioctl_ioas_map_fixed(buffer, PSZ, 0);
	test_ioctl_ioas_map_fixed(buffer, BUFFER_SIZE, 16 * PSZ);
	test_cmd_add_reserved(8 * PSZ, PSZ);
	test_ioctl_destroy(self->ioas_id);
	test_err_ioctl_ioas_unmap(ENOENT, 0, U64_MAX);
	/* the ID comes back empty */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(self->ioas_id, id);
	EXPECT_EQ(0, test_ioctl_ioas_unmap_all_id(id));
	test_ioctl_ioas_map_fixed_id(id, buffer, PSZ, 8 * PSZ);
}

TEST_F(iommufd_ioas, destroy_source_and_copy)
{
	__u32 other;
	__u64 iova = 0;

	test_ioctl_ioas_alloc(&other);
	test_ioctl_ioas_map_fixed(buffer, 4 * PSZ, 16 * PSZ);
	test_ioctl_ioas_copy(MAP_RW, other, &iova, self->ioas_id, 16 * PSZ,
			     4 * PSZ);
	test_ioctl_destroy(other);
	test_ioctl_destroy(self->ioas_id);
}

TEST_F(iommufd_ioas, many_areas_auto_destroyed)
{
	__u64 iova;

	/* as the kernel's ioas_area_auto_destroy, more of them; the
	 * teardown's close frees them all (the sanitizer run checks) */
	for (unsigned int i = 0; i < 1000; i++)
		test_ioctl_ioas_map_fixed(buffer, PSZ, i * PSZ);
	for (unsigned int i = 0; i < 1000; i++)
		test_ioctl_ioas_map(BUF(i), 1 + i, &iova);
}

TEST(close_with_mappings_copies_and_reserved)
{
	int fd = iommufd_open();
	__u32 a, b;
	__u64 iova = 0;

	ASSERT_NE(-1, fd);
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &a));
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &b));
	for (unsigned int i = 0; i < 64; i++)
		ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(fd, a, BUF(i * PSZ),
							PSZ, i * PSZ, MAP_RW));
	ASSERT_EQ(0, _test_ioctl_ioas_copy(fd, MAP_RW, b, &iova, a, 0,
					   64 * PSZ));
	ASSERT_EQ(0, _test_cmd_add_reserved(fd, a, 128 * PSZ, PSZ));
	{
		struct iommu_iova_range r = { 256 * PSZ, 512 * PSZ - 1 };

		ASSERT_EQ(0, _test_ioctl_ioas_allow_iovas(fd, b, &r, 1));
	}
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
