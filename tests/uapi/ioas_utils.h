/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the IOAS tests (MAP, MAP_FIXED, UNMAP, COPY, IOVA_RANGES,
 * ALLOW_IOVAS, OPTION and the selftest op ADD_RESERVED), in the shape of the
 * kernel's selftest utilities: per command _test_ioctl_x() builds the struct,
 * calls ioctl() and returns its result (-1 + errno on failure, as ioctl()
 * does); test_ioctl_x() asserts success; test_err_ioctl_x(errno, ...)
 * asserts the failure and its errno. The short forms act on self->fd and
 * self->ioas_id; the _id forms take an IOAS.
 *
 * Also the test memory: "buffer", BUFFER_SIZE bytes of real anonymous
 * memory whose start is aligned to the huge page size, so the low bits of
 * buffer + offset are known for every offset below it. That matters because
 * automatic IOVA placement takes its alignment from the user address, and
 * the kernel never looks above the huge page size.
 *
 * The expected values in these tests assume a 64-bit kernel (ULONG_MAX ==
 * U64_MAX).
 */
#ifndef IOMMUSIM_TESTS_IOAS_UTILS_H
#define IOMMUSIM_TESTS_IOAS_UTILS_H

#include <stdint.h>
#include <sys/mman.h>

#include "iommufd_utils.h"

#define U64_MAX UINT64_MAX

/* Bits of enum iommufd_ioas_map_flags, shortened. */
#define MAP_FIXED_IOVA IOMMU_IOAS_MAP_FIXED_IOVA
#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

/* The kernel's PAGE_SIZE and HPAGE_SIZE (PMD size: 2 MiB with 4 KiB pages),
 * the cap on the alignment automatic placement chooses. */
static uint64_t page_size __attribute__((unused));
static uint64_t huge_page_size __attribute__((unused));

/* 4 huge pages of real memory. */
#define BUFFER_HPAGES 4
static void *buffer __attribute__((unused));
static uint64_t BUFFER_SIZE __attribute__((unused));

__attribute__((constructor)) static void ioas_utils_setup(void)
{
	uint8_t *raw, *aligned;
	size_t raw_size;

	page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	huge_page_size = page_size * (page_size / sizeof(uint64_t));
	BUFFER_SIZE = BUFFER_HPAGES * huge_page_size;

	raw_size = BUFFER_SIZE + huge_page_size;
	raw = mmap(NULL, raw_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	aligned = (uint8_t *)(((uintptr_t)raw + huge_page_size - 1) &
			      ~(uintptr_t)(huge_page_size - 1));
	if (aligned != raw)
		munmap(raw, aligned - raw);
	if (aligned + BUFFER_SIZE != raw + raw_size)
		munmap(aligned + BUFFER_SIZE,
		       raw + raw_size - (aligned + BUFFER_SIZE));
	buffer = aligned;
}

/* buffer + off as a pointer */
#define BUF(off) ((void *)((uint8_t *)buffer + (off)))

/* ---- IOMMU_IOAS_MAP ----------------------------------------------------- */

/* iova is in/out: read only with FIXED_IOVA (an automatic map sends 0);
 * on return it holds whatever the struct holds, as the kernel's helper. */
static inline int _test_ioctl_ioas_map(int fd, __u32 ioas_id, const void *uptr,
				       uint64_t length, __u64 *iova,
				       __u32 flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)uptr,
		.length = length,
	};
	int ret;

	if (flags & MAP_FIXED_IOVA)
		cmd.iova = *iova;
	ret = ioctl(fd, IOMMU_IOAS_MAP, &cmd);
	*iova = cmd.iova;
	return ret;
}

/* Automatic placement, readable and writeable. */
#define test_ioctl_ioas_map(uptr, length, iova_p)                              \
	ASSERT_EQ(0, _test_ioctl_ioas_map(self->fd, self->ioas_id, uptr,       \
					  length, iova_p, MAP_RW))
#define test_ioctl_ioas_map_id(ioas_id, uptr, length, iova_p)                  \
	ASSERT_EQ(0, _test_ioctl_ioas_map(self->fd, ioas_id, uptr, length,     \
					  iova_p, MAP_RW))
#define test_err_ioctl_ioas_map(_errno, uptr, length, iova_p)                  \
	EXPECT_ERRNO(_errno, _test_ioctl_ioas_map(self->fd, self->ioas_id,     \
						  uptr, length, iova_p,        \
						  MAP_RW))
#define test_err_ioctl_ioas_map_id(_errno, ioas_id, uptr, length, iova_p)      \
	EXPECT_ERRNO(_errno, _test_ioctl_ioas_map(self->fd, ioas_id, uptr,     \
						  length, iova_p, MAP_RW))

/* ---- IOMMU_IOAS_MAP with IOMMU_IOAS_MAP_FIXED_IOVA ------------------------ */

static inline int _test_ioctl_ioas_map_fixed(int fd, __u32 ioas_id,
					     const void *uptr, uint64_t length,
					     uint64_t iova, __u32 flags)
{
	__u64 in_out = iova;

	return _test_ioctl_ioas_map(fd, ioas_id, uptr, length, &in_out,
				    flags | MAP_FIXED_IOVA);
}

#define test_ioctl_ioas_map_fixed(uptr, length, iova)                          \
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id, uptr, \
						length, iova, MAP_RW))
#define test_ioctl_ioas_map_fixed_id(ioas_id, uptr, length, iova)              \
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, ioas_id, uptr,       \
						length, iova, MAP_RW))
#define test_err_ioctl_ioas_map_fixed(_errno, uptr, length, iova)              \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id, uptr, \
						length, iova, MAP_RW))
#define test_err_ioctl_ioas_map_fixed_id(_errno, ioas_id, uptr, length, iova)  \
	EXPECT_ERRNO(_errno, _test_ioctl_ioas_map_fixed(self->fd, ioas_id,     \
							uptr, length, iova,    \
							MAP_RW))

/* ---- IOMMU_IOAS_UNMAP ----------------------------------------------------- */

/* out_len (may be NULL) receives the length field after the call. */
static inline int _test_ioctl_ioas_unmap(int fd, __u32 ioas_id, uint64_t iova,
					 uint64_t length, uint64_t *out_len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int ret;

	ret = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
	if (out_len)
		*out_len = cmd.length;
	return ret;
}

/* Asserts success and that exactly 'length' bytes were unmapped. */
#define test_ioctl_ioas_unmap_id(ioas_id, iova, length)                        \
	({                                                                     \
		uint64_t __unmapped = 0;                                       \
		ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, ioas_id, iova,   \
						    length, &__unmapped));     \
		ASSERT_EQ((uint64_t)(length), __unmapped);                     \
	})
#define test_ioctl_ioas_unmap(iova, length)                                    \
	test_ioctl_ioas_unmap_id(self->ioas_id, iova, length)
#define test_err_ioctl_ioas_unmap_id(_errno, ioas_id, iova, length)            \
	EXPECT_ERRNO(_errno, _test_ioctl_ioas_unmap(self->fd, ioas_id, iova,   \
						    length, NULL))
#define test_err_ioctl_ioas_unmap(_errno, iova, length)                        \
	test_err_ioctl_ioas_unmap_id(_errno, self->ioas_id, iova, length)

/* Unmap everything (iova 0, length U64_MAX); returns the bytes unmapped. */
#define test_ioctl_ioas_unmap_all_id(ioas_id)                                  \
	({                                                                     \
		uint64_t __unmapped = 0;                                       \
		ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, ioas_id, 0,      \
						    U64_MAX, &__unmapped));    \
		__unmapped;                                                    \
	})
#define test_ioctl_ioas_unmap_all() test_ioctl_ioas_unmap_all_id(self->ioas_id)

/* ---- IOMMU_IOAS_COPY ------------------------------------------------------ */

/* dst_iova is in/out like the iova of MAP. */
static inline int _test_ioctl_ioas_copy(int fd, __u32 flags, __u32 dst_ioas_id,
					__u64 *dst_iova, __u32 src_ioas_id,
					uint64_t src_iova, uint64_t length)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_ioas_id,
		.src_ioas_id = src_ioas_id,
		.length = length,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int ret;

	ret = ioctl(fd, IOMMU_IOAS_COPY, &cmd);
	*dst_iova = cmd.dst_iova;
	return ret;
}

#define test_ioctl_ioas_copy(flags, dst_ioas_id, dst_iova_p, src_ioas_id,      \
			     src_iova, length)                                 \
	ASSERT_EQ(0, _test_ioctl_ioas_copy(self->fd, flags, dst_ioas_id,       \
					   dst_iova_p, src_ioas_id, src_iova,  \
					   length))
#define test_err_ioctl_ioas_copy(_errno, flags, dst_ioas_id, dst_iova_p,       \
				 src_ioas_id, src_iova, length)                \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_ioctl_ioas_copy(self->fd, flags, dst_ioas_id,       \
					   dst_iova_p, src_ioas_id, src_iova,  \
					   length))

/* ---- IOMMU_IOAS_IOVA_RANGES ------------------------------------------------ */

/* num is in/out; alignment (may be NULL) receives out_iova_alignment. */
static inline int _test_ioctl_ioas_iova_ranges(int fd, __u32 ioas_id,
					       struct iommu_iova_range *ranges,
					       __u32 *num, uint64_t *alignment)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int ret;

	ret = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return ret;
}

#define test_ioctl_ioas_iova_ranges(ranges, num_p, alignment_p)                \
	ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(self->fd, self->ioas_id,     \
						  ranges, num_p, alignment_p))
#define test_err_ioctl_ioas_iova_ranges(_errno, ranges, num_p, alignment_p)    \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_ioctl_ioas_iova_ranges(self->fd, self->ioas_id,     \
						  ranges, num_p, alignment_p))

/* ---- IOMMU_IOAS_ALLOW_IOVAS ------------------------------------------------ */

static inline int _test_ioctl_ioas_allow_iovas(int fd, __u32 ioas_id,
					       const struct iommu_iova_range *r,
					       __u32 num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)r,
	};

	return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

#define test_ioctl_ioas_allow_iovas(ranges, num)                               \
	ASSERT_EQ(0, _test_ioctl_ioas_allow_iovas(self->fd, self->ioas_id,     \
						  ranges, num))
#define test_err_ioctl_ioas_allow_iovas(_errno, ranges, num)                   \
	EXPECT_ERRNO(_errno, _test_ioctl_ioas_allow_iovas(                     \
				     self->fd, self->ioas_id, ranges, num))

/* ---- IOMMU_OPTION ---------------------------------------------------------- */

/* val64 is in/out. */
static inline int _test_ioctl_option(int fd, __u32 option_id, __u16 op,
				     __u32 object_id, __u64 *val64)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
		.val64 = *val64,
	};
	int ret;

	ret = ioctl(fd, IOMMU_OPTION, &cmd);
	*val64 = cmd.val64;
	return ret;
}

#define test_ioctl_option(option_id, op, object_id, val64_p)                   \
	ASSERT_EQ(0, _test_ioctl_option(self->fd, option_id, op, object_id,    \
					val64_p))
#define test_err_ioctl_option(_errno, option_id, op, object_id, val64_p)       \
	EXPECT_ERRNO(_errno, _test_ioctl_option(self->fd, option_id, op,       \
						object_id, val64_p))

/* IOMMU_OPTION_HUGE_PAGES of an IOAS: read it, or set it. */
#define test_ioctl_huge_pages_get(ioas_id)                                     \
	({                                                                     \
		__u64 __val = 0x5555;                                          \
		test_ioctl_option(IOMMU_OPTION_HUGE_PAGES,                     \
				  IOMMU_OPTION_OP_GET, ioas_id, &__val);       \
		__val;                                                         \
	})
#define test_ioctl_huge_pages_set(ioas_id, value)                              \
	({                                                                     \
		__u64 __val = value;                                           \
		test_ioctl_option(IOMMU_OPTION_HUGE_PAGES,                     \
				  IOMMU_OPTION_OP_SET, ioas_id, &__val);       \
	})
#define test_err_ioctl_huge_pages_set(_errno, ioas_id, value)                  \
	({                                                                     \
		__u64 __val = value;                                           \
		test_err_ioctl_option(_errno, IOMMU_OPTION_HUGE_PAGES,         \
				      IOMMU_OPTION_OP_SET, ioas_id, &__val);   \
	})

/* ---- IOMMU_TEST_CMD / IOMMU_TEST_OP_ADD_RESERVED --------------------------- */

static inline int _test_cmd_add_reserved(int fd, __u32 ioas_id, uint64_t start,
					 uint64_t length)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas_id,
		.add_reserved = { .start = start, .length = length },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_add_reserved_id(ioas_id, start, length)                       \
	ASSERT_EQ(0, _test_cmd_add_reserved(self->fd, ioas_id, start, length))
#define test_cmd_add_reserved(start, length)                                   \
	test_cmd_add_reserved_id(self->ioas_id, start, length)
#define test_err_cmd_add_reserved_id(_errno, ioas_id, start, length)           \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_add_reserved(self->fd, ioas_id, start, length))
#define test_err_cmd_add_reserved(_errno, start, length)                       \
	test_err_cmd_add_reserved_id(_errno, self->ioas_id, start, length)

#endif /* IOMMUSIM_TESTS_IOAS_UTILS_H */
