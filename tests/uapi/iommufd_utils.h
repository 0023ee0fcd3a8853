/* SPDX-License-Identifier: MIT */
/*
 * The helpers every uAPI test uses, in the shape of the kernel's iommufd
 * selftest utilities (tools/testing/selftests/iommu/iommufd_utils.h): per
 * command, _test_cmd_x() (or _test_ioctl_x()) builds the struct, calls
 * ioctl() and returns its result (-1 + errno on failure, as ioctl() does);
 * test_cmd_x() asserts success; test_err_x(errno, ...) asserts the failure
 * and its errno. The short forms act on self->fd (and self->ioas_id where
 * an IOAS is implied); the _id forms take an IOAS; output pointers may be
 * NULL where the kernel's helpers allow it.
 *
 * The sections follow the commands: the objects (DESTROY, IOAS_ALLOC), the
 * IOAS (MAP, MAP_FIXED, UNMAP, COPY, IOVA_RANGES, ALLOW_IOVAS, OPTION), the
 * HWPTs (HWPT_ALLOC, the fault queue, GET_HW_INFO, HWPT_INVALIDATE,
 * SET_DIRTY_TRACKING, GET_DIRTY_BITMAP), then the selftest ops of
 * IOMMU_TEST_CMD (accesses among them: their helpers take the access's
 * descriptor).
 *
 * Also the test memory: "buffer", BUFFER_SIZE bytes of real anonymous
 * memory whose start is aligned to the huge page size, so the low bits of
 * buffer + offset are known for every offset below it. That matters because
 * automatic IOVA placement takes its alignment from the user address, and
 * the kernel never looks above the huge page size.
 *
 * Geometry of the mock IOMMU (drivers/iommu/iommufd/selftest.c,
 * mock_domain_alloc_pgtable(), MOCK_IOMMUPT_DEFAULT): usable IOVAs are
 * APERTURE_START..APERTURE_LAST and the smallest I/O page is MPSZ (2 KiB,
 * half of a 4 KiB CPU page), so an IOAS with such a domain has
 * out_iova_alignment == MPSZ.
 *
 * These programs know nothing of iommusim: they open /dev/iommu and call
 * ioctl(), and run either under `iommusim run` or linked with the shim.
 * The expected values in them assume a 64-bit kernel (ULONG_MAX ==
 * U64_MAX).
 */
#ifndef IOMMUSIM_TESTS_IOMMUFD_UTILS_H
#define IOMMUSIM_TESTS_IOMMUFD_UTILS_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "harness.h"

#define offsetofend(type, member)                                              \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/* Asserts that cmd failed with -1 and the given errno. */
#define EXPECT_ERRNO(expected_errno, cmd)                                      \
	({                                                                     \
		ASSERT_EQ(-1, cmd);                                            \
		EXPECT_EQ(expected_errno, errno);                              \
	})

#define U64_MAX UINT64_MAX

/* Bits of enum iommufd_ioas_map_flags, shortened. */
#define MAP_FIXED_IOVA IOMMU_IOAS_MAP_FIXED_IOVA
#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

/* iommufd_test_memory_limit's initial value in selftest.c; the kernel's
 * test_ioctl_set_default_memory_limit() restores it. */
#define TEST_DEFAULT_MEMORY_LIMIT 65536

/* An ID no test ever reaches. */
#define NO_SUCH_ID 0x7fffff00u

/* ---- the test memory ---------------------------------------------------- */

/* The kernel's PAGE_SIZE and HPAGE_SIZE (PMD size: 2 MiB with 4 KiB pages),
 * the cap on the alignment automatic placement chooses. */
static uint64_t page_size __attribute__((unused));
static uint64_t huge_page_size __attribute__((unused));

/* 4 huge pages of real memory. */
#define BUFFER_HPAGES 4
static void *buffer __attribute__((unused));
static uint64_t BUFFER_SIZE __attribute__((unused));

__attribute__((constructor)) static void test_memory_setup(void)
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

/* The CPU page and huge page sizes, as the tests write them. */
#define PSZ page_size
#define HSZ huge_page_size

/* size bytes of anonymous memory, read-write and already touched (so the
 * pages exist before anything looks at them). */
static inline void *mmap_touched(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		memset(p, 0x5a, size);
	return p;
}

/* ---- the mock IOMMU's geometry ------------------------------------------ */

#define MPSZ ((uint64_t)MOCK_PAGE_SIZE)
#define APERTURE_START ((uint64_t)MOCK_APERTURE_START)
#define APERTURE_LAST ((uint64_t)MOCK_APERTURE_LAST)

/* ---- IOMMU_DESTROY, IOMMU_IOAS_ALLOC ------------------------------------ */

static inline int iommufd_open(void)
{
	return open("/dev/iommu", O_RDWR);
}

static inline int _test_ioctl_destroy(int fd, unsigned int id)
{
	struct iommu_destroy cmd = {
		.size = sizeof(cmd),
		.id = id,
	};

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}
#define test_ioctl_destroy(id) ASSERT_EQ(0, _test_ioctl_destroy(self->fd, id))
#define test_err_destroy(_errno, id)                                           \
	EXPECT_ERRNO(_errno, _test_ioctl_destroy(self->fd, id))

static inline int _test_ioctl_ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = {
		.size = sizeof(cmd),
	};
	int ret;

	ret = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
	if (ret)
		return ret;
	*id = cmd.out_ioas_id;
	return 0;
}
#define test_ioctl_ioas_alloc(id)                                              \
	({                                                                     \
		ASSERT_EQ(0, _test_ioctl_ioas_alloc(self->fd, id));            \
		ASSERT_NE(0, *(id));                                           \
	})
#define test_err_ioctl_ioas_alloc(_errno, id)                                  \
	EXPECT_ERRNO(_errno, _test_ioctl_ioas_alloc(self->fd, id))

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

/* ---- IOMMU_IOAS_MAP with IOMMU_IOAS_MAP_FIXED_IOVA ---------------------- */

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

/* ---- IOMMU_IOAS_UNMAP --------------------------------------------------- */

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

/* ---- IOMMU_IOAS_COPY ---------------------------------------------------- */

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

/* ---- IOMMU_IOAS_IOVA_RANGES --------------------------------------------- */

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

/* ---- IOMMU_IOAS_ALLOW_IOVAS --------------------------------------------- */

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

/* ---- IOMMU_OPTION ------------------------------------------------------- */

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

/* ---- IOMMU_HWPT_ALLOC --------------------------------------------------- */

/* IOMMU_HWPT_DATA_SELFTEST data for a nested mock HWPT whose IOTLB entries
 * all start at the default value. */
static const struct iommu_hwpt_selftest default_data __attribute__((unused)) = {
	.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
};

static inline int _test_cmd_hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id,
				       __u32 flags, __u32 fault_id,
				       __u32 data_type, const void *data,
				       __u32 data_len, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};
	int ret;

	ret = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
	if (ret)
		return ret;
	if (hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

/* A paging HWPT from an IOAS, no driver data. */
#define test_cmd_hwpt_alloc(dev_id, pt_id, flags, hwpt_id)                     \
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(self->fd, dev_id, pt_id, flags, 0,   \
					  IOMMU_HWPT_DATA_NONE, NULL, 0,       \
					  hwpt_id))
#define test_err_hwpt_alloc(_errno, dev_id, pt_id, flags, hwpt_id)             \
	EXPECT_ERRNO(_errno, _test_cmd_hwpt_alloc(self->fd, dev_id, pt_id,     \
						  flags, 0,                    \
						  IOMMU_HWPT_DATA_NONE, NULL,  \
						  0, hwpt_id))

/* A paging HWPT of the mock page-table type MOCK_IOMMUPT_*, which the
 * mock takes as IOMMU_HWPT_DATA_SELFTEST data. */
#define test_cmd_hwpt_alloc_pgtable(dev_id, pt_id, flags, pt_type, hwpt_id)    \
	({                                                                     \
		struct iommu_hwpt_selftest __cfg = {                           \
			.pagetable_type = pt_type,                             \
		};                                                             \
		ASSERT_EQ(0, _test_cmd_hwpt_alloc(self->fd, dev_id, pt_id,     \
						  flags, 0,                    \
						  IOMMU_HWPT_DATA_SELFTEST,    \
						  &__cfg, sizeof(__cfg),       \
						  hwpt_id));                   \
	})

/* Any HWPT with driver data (a nested one when pt_id is a parent). */
#define test_cmd_hwpt_alloc_nested(dev_id, pt_id, flags, hwpt_id, data_type,   \
				   data, data_len)                             \
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(self->fd, dev_id, pt_id, flags, 0,   \
					  data_type, data, data_len, hwpt_id))
#define test_err_hwpt_alloc_nested(_errno, dev_id, pt_id, flags, hwpt_id,      \
				   data_type, data, data_len)                  \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_hwpt_alloc(self->fd, dev_id, pt_id, flags, 0,   \
					  data_type, data, data_len, hwpt_id))

/* A nested HWPT of the mock's type whose IOTLB starts filled with iotlb. */
#define test_cmd_hwpt_alloc_selftest(dev_id, parent_id, _iotlb, hwpt_id)       \
	({                                                                     \
		struct iommu_hwpt_selftest __data = { .iotlb = _iotlb };       \
		test_cmd_hwpt_alloc_nested(dev_id, parent_id, 0, hwpt_id,      \
					   IOMMU_HWPT_DATA_SELFTEST, &__data,  \
					   sizeof(__data));                    \
	})

/* With a fault queue ID (flags should carry IOMMU_HWPT_FAULT_ID_VALID). */
#define test_err_hwpt_alloc_fault(_errno, dev_id, pt_id, flags, fault_id,      \
				  hwpt_id, data_type, data, data_len)          \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_hwpt_alloc(self->fd, dev_id, pt_id, flags,      \
					  fault_id, data_type, data, data_len, \
					  hwpt_id))

/* ---- IOMMU_FAULT_QUEUE_ALLOC, the queue's fd, IOMMU_TEST_OP_TRIGGER_IOPF */

/* A fault queue: its object ID and the fd its records are read from. */
static inline int _test_ioctl_fault_alloc(int fd, __u32 flags, __u32 *fault_id,
					  int *fault_fd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd), .flags = flags };
	int ret;

	ret = ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);
	if (ret)
		return ret;
	if (fault_id)
		*fault_id = cmd.out_fault_id;
	if (fault_fd)
		*fault_fd = (int)cmd.out_fault_fd;
	return 0;
}

#define test_ioctl_fault_alloc(fault_id, fault_fd)                             \
	({                                                                     \
		ASSERT_EQ(0, _test_ioctl_fault_alloc(self->fd, 0, fault_id,    \
						     fault_fd));               \
		ASSERT_NE(0, *(fault_id));                                     \
		ASSERT_NE(0, *(fault_fd));                                     \
	})
#define test_err_ioctl_fault_alloc(_errno, flags)                              \
	EXPECT_ERRNO(_errno, _test_ioctl_fault_alloc(self->fd, flags, NULL,    \
						     NULL))

/* A HWPT whose page requests go to the queue fault_id (flags carry
 * IOMMU_HWPT_FAULT_ID_VALID), with driver data as any HWPT takes it. */
#define test_cmd_hwpt_alloc_iopf(dev_id, pt_id, fault_id, flags, hwpt_id,      \
				 data_type, data, data_len)                    \
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(self->fd, dev_id, pt_id, flags,      \
					  fault_id, data_type, data, data_len, \
					  hwpt_id))

/* What the tests' page requests ask for, unless they say otherwise. */
#define IOPF_PERM (IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE)
#define IOPF_ADDR 0xdeadbeafull

/* The mock device bound as dev_id sends one page request, the last of
 * group grpid, tagged with pasid unless it is 0. */
static inline int _test_cmd_trigger_iopf(int fd, __u32 dev_id, __u32 pasid,
					 __u32 grpid, __u32 perm, __u64 addr)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = dev_id,
				  .pasid = pasid,
				  .grpid = grpid,
				  .perm = perm,
				  .addr = addr },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_trigger_iopf(dev_id, pasid, grpid)                            \
	ASSERT_EQ(0, _test_cmd_trigger_iopf(self->fd, dev_id, pasid, grpid,    \
					    IOPF_PERM, IOPF_ADDR))
#define test_err_trigger_iopf(_errno, dev_id, pasid, grpid)                    \
	EXPECT_ERRNO(_errno, _test_cmd_trigger_iopf(self->fd, dev_id, pasid,   \
						    grpid, IOPF_PERM,          \
						    IOPF_ADDR))

/* Reads at most n records from a queue's fd: read()'s result. */
static inline ssize_t read_faults(int fault_fd, struct iommu_hwpt_pgfault *out,
				  size_t n)
{
	return read(fault_fd, out, n * sizeof(*out));
}

/* Answers the group of cookie: write()'s result. */
static inline ssize_t respond_fault(int fault_fd, __u32 cookie, __u32 code)
{
	struct iommu_hwpt_page_response response = { .cookie = cookie,
						      .code = code };

	return write(fault_fd, &response, sizeof(response));
}

/* ---- IOMMU_GET_HW_INFO -------------------------------------------------- */

/* out (may be NULL) receives the whole struct as the kernel left it. */
static inline int _test_cmd_get_hw_info(int fd, __u32 dev_id, __u32 flags,
					__u32 in_data_type, void *data,
					__u32 data_len,
					struct iommu_hw_info *out)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
		.in_data_type = in_data_type,
	};
	int ret;

	ret = ioctl(fd, IOMMU_GET_HW_INFO, &cmd);
	if (out)
		*out = cmd;
	return ret;
}

#define test_cmd_get_hw_info(dev_id, data, data_len, out)                      \
	ASSERT_EQ(0, _test_cmd_get_hw_info(self->fd, dev_id, 0, 0, data,       \
					   data_len, out))
#define test_err_get_hw_info(_errno, dev_id, data, data_len)                   \
	EXPECT_ERRNO(_errno, _test_cmd_get_hw_info(self->fd, dev_id, 0, 0,     \
						   data, data_len, NULL))

/* out_capabilities of a device. */
#define test_cmd_get_hw_capabilities(dev_id)                                   \
	({                                                                     \
		struct iommu_hw_info __info;                                   \
		test_cmd_get_hw_info(dev_id, NULL, 0, &__info);                \
		__info.out_capabilities;                                       \
	})

/* ---- IOMMU_HWPT_INVALIDATE ---------------------------------------------- */

/* entry_num is in/out: requests given, requests the kernel handled. */
static inline int _test_cmd_hwpt_invalidate(int fd, __u32 hwpt_id,
					    const void *reqs, __u32 data_type,
					    __u32 entry_len, __u32 *entry_num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.data_uptr = (uintptr_t)reqs,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *entry_num,
	};
	int ret;

	ret = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);
	*entry_num = cmd.entry_num;
	return ret;
}

#define test_cmd_hwpt_invalidate(hwpt_id, reqs, data_type, entry_len,          \
				 entry_num)                                    \
	ASSERT_EQ(0, _test_cmd_hwpt_invalidate(self->fd, hwpt_id, reqs,        \
					       data_type, entry_len,           \
					       entry_num))
#define test_err_hwpt_invalidate(_errno, hwpt_id, reqs, data_type, entry_len,  \
				 entry_num)                                    \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_hwpt_invalidate(self->fd, hwpt_id, reqs,        \
					       data_type, entry_len,           \
					       entry_num))

/* ---- IOMMU_HWPT_SET_DIRTY_TRACKING -------------------------------------- */

static inline int _test_cmd_set_dirty_tracking(int fd, __u32 hwpt_id,
					       __u32 flags)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.hwpt_id = hwpt_id,
	};

	return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

#define test_cmd_set_dirty_tracking(hwpt_id, enabled)                          \
	ASSERT_EQ(0, _test_cmd_set_dirty_tracking(                             \
			     self->fd, hwpt_id,                                \
			     (enabled) ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0))
#define test_err_set_dirty_tracking(_errno, hwpt_id, flags)                    \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_set_dirty_tracking(self->fd, hwpt_id, flags))

/* ---- IOMMU_HWPT_GET_DIRTY_BITMAP ---------------------------------------- */

static inline int _test_cmd_get_dirty_bitmap(int fd, __u32 hwpt_id,
					     uint64_t iova, uint64_t length,
					     uint64_t page_size, void *bitmap,
					     __u32 flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.flags = flags,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

#define test_cmd_get_dirty_bitmap(hwpt_id, iova, length, page_size, bitmap,    \
				  flags)                                       \
	ASSERT_EQ(0, _test_cmd_get_dirty_bitmap(self->fd, hwpt_id, iova,       \
						length, page_size, bitmap,     \
						flags))
#define test_err_get_dirty_bitmap(_errno, hwpt_id, iova, length, page_size,    \
				  bitmap, flags)                               \
	EXPECT_ERRNO(_errno, _test_cmd_get_dirty_bitmap(self->fd, hwpt_id,     \
							iova, length,          \
							page_size, bitmap,     \
							flags))

/* ---- IOMMU_TEST_CMD / IOMMU_TEST_OP_ADD_RESERVED ------------------------ */

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

/* ---- IOMMU_TEST_OP_MOCK_DOMAIN / _FLAGS --------------------------------- */

/* Creates a mock device, binds it and attaches it to pt_id (an IOAS or a
 * HWPT). The three outputs are the selftest object (destroying it unbinds),
 * the HWPT it ended up on, and its device ID for the ordinary ioctls.
 * MOCK_DOMAIN and MOCK_DOMAIN_FLAGS share one handler and one reply layout;
 * only the second reads dev_flags. */
static inline int __test_cmd_mock_domain(int fd, __u32 op, __u32 pt_id,
					 __u32 dev_flags, __u32 *stdev_id,
					 __u32 *hwpt_id, __u32 *idev_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = op,
		.id = pt_id,
	};
	int ret;

	if (op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		cmd.mock_domain_flags.dev_flags = dev_flags;
	ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);
	if (ret)
		return ret;
	if (stdev_id)
		*stdev_id = cmd.mock_domain.out_stdev_id;
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain.out_hwpt_id;
	if (idev_id)
		*idev_id = cmd.mock_domain.out_idev_id;
	return 0;
}

static inline int _test_cmd_mock_domain(int fd, __u32 pt_id, __u32 *stdev_id,
					__u32 *hwpt_id, __u32 *idev_id)
{
	return __test_cmd_mock_domain(fd, IOMMU_TEST_OP_MOCK_DOMAIN, pt_id, 0,
				      stdev_id, hwpt_id, idev_id);
}

static inline int _test_cmd_mock_domain_flags(int fd, __u32 pt_id,
					      __u32 dev_flags, __u32 *stdev_id,
					      __u32 *hwpt_id, __u32 *idev_id)
{
	return __test_cmd_mock_domain(fd, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				      pt_id, dev_flags, stdev_id, hwpt_id,
				      idev_id);
}

#define test_cmd_mock_domain(pt_id, stdev_id, hwpt_id, idev_id)                \
	ASSERT_EQ(0, _test_cmd_mock_domain(self->fd, pt_id, stdev_id, hwpt_id, \
					   idev_id))
#define test_err_mock_domain(_errno, pt_id, stdev_id, hwpt_id, idev_id)        \
	EXPECT_ERRNO(_errno, _test_cmd_mock_domain(self->fd, pt_id, stdev_id,  \
						   hwpt_id, idev_id))
#define test_cmd_mock_domain_flags(pt_id, dev_flags, stdev_id, hwpt_id,        \
				   idev_id)                                    \
	ASSERT_EQ(0, _test_cmd_mock_domain_flags(self->fd, pt_id, dev_flags,   \
						 stdev_id, hwpt_id, idev_id))
#define test_err_mock_domain_flags(_errno, pt_id, dev_flags, stdev_id,         \
				   hwpt_id, idev_id)                           \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_mock_domain_flags(self->fd, pt_id, dev_flags,   \
						 stdev_id, hwpt_id, idev_id))

/* ---- IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE ---------------------------------- */

/* out_pt_id (may be NULL) receives the HWPT the device now uses: pt_id for
 * a HWPT, the chosen or created HWPT for an IOAS. */
static inline int _test_cmd_mock_domain_replace(int fd, __u32 stdev_id,
						__u32 pt_id, __u32 *out_pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int ret;

	ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);
	if (ret)
		return ret;
	if (out_pt_id)
		*out_pt_id = cmd.mock_domain_replace.pt_id;
	return 0;
}

#define test_cmd_mock_domain_replace(stdev_id, pt_id)                          \
	ASSERT_EQ(0, _test_cmd_mock_domain_replace(self->fd, stdev_id, pt_id,  \
						   NULL))
#define test_err_mock_domain_replace(_errno, stdev_id, pt_id)                  \
	EXPECT_ERRNO(_errno, _test_cmd_mock_domain_replace(self->fd, stdev_id, \
							   pt_id, NULL))

/* ---- IOMMU_TEST_OP_MD_CHECK_MAP ----------------------------------------- */

/* Asks the mock driver whether [iova, iova + length) of paging HWPT hwpt_id
 * translates, I/O page by I/O page, to the memory at uptr. */
static inline int _test_cmd_md_check_map(int fd, __u32 hwpt_id, uint64_t iova,
					 uint64_t length, const void *uptr)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova,
			       .length = length,
			       .uptr = (uintptr_t)uptr },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_md_check_map(hwpt_id, uptr, iova, length)                     \
	ASSERT_EQ(0, _test_cmd_md_check_map(self->fd, hwpt_id, iova, length,   \
					    uptr))
#define test_err_md_check_map(_errno, hwpt_id, uptr, iova, length)             \
	EXPECT_ERRNO(_errno, _test_cmd_md_check_map(self->fd, hwpt_id, iova,   \
						    length, uptr))

/* ---- IOMMU_TEST_OP_MD_CHECK_REFS ---------------------------------------- */

/* Every CPU page of [uptr, uptr + length) must be pinned exactly refs times
 * (0: not pinned at all). */
static inline int _test_cmd_md_check_refs(int fd, const void *uptr,
					  uint64_t length, unsigned int refs)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = length,
				.uptr = (uintptr_t)uptr,
				.refs = refs },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_md_check_refs(uptr, length, refs)                             \
	ASSERT_EQ(0, _test_cmd_md_check_refs(self->fd, uptr, length, refs))
#define test_err_md_check_refs(_errno, uptr, length, refs)                     \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_md_check_refs(self->fd, uptr, length, refs))

/* From a context of its own, that nothing in [uptr, uptr + length) is
 * pinned: what the kernel's teardown_iommufd() checks after close(). */
#define test_no_pins(uptr, length)                                             \
	({                                                                     \
		int __fd = iommufd_open();                                     \
		ASSERT_NE(-1, __fd);                                           \
		EXPECT_EQ(0, _test_cmd_md_check_refs(__fd, uptr, length, 0));  \
		EXPECT_EQ(0, close(__fd));                                     \
	})

/* ---- accesses: IOMMU_TEST_OP_CREATE_ACCESS and the ops on one ---------- */

/* An access attached to ioas_id; *access_fd receives its descriptor, which
 * the ops below take as their "id", and which close() destroys. */
static inline int _test_cmd_create_access(int fd, __u32 ioas_id,
					  __u32 *access_fd, __u32 flags)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas_id,
		.create_access = { .flags = flags },
	};
	int ret;

	ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);
	if (ret)
		return ret;
	if (access_fd)
		*access_fd = cmd.create_access.out_access_fd;
	return 0;
}

#define test_cmd_create_access(ioas_id, access_fd, flags)                      \
	ASSERT_EQ(0, _test_cmd_create_access(self->fd, ioas_id, access_fd,     \
					     flags))
#define test_err_create_access(_errno, ioas_id, flags)                         \
	EXPECT_ERRNO(_errno, _test_cmd_create_access(self->fd, ioas_id, NULL,  \
						     flags))

static inline int _test_cmd_destroy_access(__u32 access_fd)
{
	return close((int)access_fd);
}

#define test_cmd_destroy_access(access_fd)                                     \
	ASSERT_EQ(0, _test_cmd_destroy_access(access_fd))

/* Pins [iova, iova + length) through the access; uptr (may be NULL: no
 * check) is the memory the pages must be; *pages_id (may be NULL) names
 * the pin for DESTROY_ACCESS_PAGES. */
static inline int _test_cmd_access_pages(int fd, __u32 access_fd,
					 uint64_t iova, uint64_t length,
					 const void *uptr, __u32 flags,
					 __u32 *pages_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = access_fd,
		.access_pages = { .flags = flags,
				  .iova = iova,
				  .length = length,
				  .uptr = (uintptr_t)uptr },
	};
	int ret;

	ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);
	if (ret)
		return ret;
	if (pages_id)
		*pages_id = cmd.access_pages.out_access_pages_id;
	return 0;
}

#define test_cmd_access_pages(access_fd, iova, length, uptr, flags, pages_id)  \
	ASSERT_EQ(0, _test_cmd_access_pages(self->fd, access_fd, iova, length, \
					    uptr, flags, pages_id))
#define test_err_access_pages(_errno, access_fd, iova, length, uptr, flags)    \
	EXPECT_ERRNO(_errno,                                                   \
		     _test_cmd_access_pages(self->fd, access_fd, iova, length, \
					    uptr, flags, NULL))

static inline int _test_cmd_destroy_access_pages(int fd, __u32 access_fd,
						 __u32 pages_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = access_fd,
		.destroy_access_pages = { .access_pages_id = pages_id },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_destroy_access_pages(access_fd, pages_id)                     \
	ASSERT_EQ(0, _test_cmd_destroy_access_pages(self->fd, access_fd,       \
						    pages_id))
#define test_err_destroy_access_pages(_errno, access_fd, pages_id)             \
	EXPECT_ERRNO(_errno, _test_cmd_destroy_access_pages(self->fd,          \
							    access_fd,         \
							    pages_id))

/* Copies length bytes between uptr and iova: into the IOAS with
 * MOCK_ACCESS_RW_WRITE. */
static inline int _test_cmd_access_rw(int fd, __u32 access_fd, uint64_t iova,
				      void *uptr, uint64_t length,
				      __u32 flags)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = access_fd,
		.access_rw = { .iova = iova,
			       .length = length,
			       .uptr = (uintptr_t)uptr,
			       .flags = flags },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_access_rw(access_fd, iova, uptr, length, flags)               \
	ASSERT_EQ(0, _test_cmd_access_rw(self->fd, access_fd, iova, uptr,      \
					 length, flags))
#define test_err_access_rw(_errno, access_fd, iova, uptr, length, flags)       \
	EXPECT_ERRNO(_errno, _test_cmd_access_rw(self->fd, access_fd, iova,    \
						 uptr, length, flags))

static inline int _test_cmd_access_replace_ioas(int fd, __u32 access_fd,
						__u32 ioas_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = access_fd,
		.access_replace_ioas = { .ioas_id = ioas_id },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_access_replace_ioas(access_fd, ioas_id)                       \
	ASSERT_EQ(0, _test_cmd_access_replace_ioas(self->fd, access_fd,        \
						   ioas_id))
#define test_err_access_replace_ioas(_errno, access_fd, ioas_id)               \
	EXPECT_ERRNO(_errno, _test_cmd_access_replace_ioas(self->fd,           \
							   access_fd, ioas_id))

/* ---- IOMMU_TEST_OP_MD_CHECK_IOTLB --------------------------------------- */

/* Entry iotlb_id of nested HWPT hwpt_id's 4-entry mock IOTLB must hold
 * value. */
static inline int _test_cmd_md_check_iotlb(int fd, __u32 hwpt_id,
					   __u32 iotlb_id, __u32 value)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .id = iotlb_id, .iotlb = value },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_hwpt_check_iotlb(hwpt_id, iotlb_id, value)                    \
	ASSERT_EQ(0, _test_cmd_md_check_iotlb(self->fd, hwpt_id, iotlb_id,     \
					      value))
#define test_err_hwpt_check_iotlb(_errno, hwpt_id, iotlb_id, value)            \
	EXPECT_ERRNO(_errno, _test_cmd_md_check_iotlb(self->fd, hwpt_id,       \
						      iotlb_id, value))
#define test_cmd_hwpt_check_iotlb_all(hwpt_id, value)                          \
	({                                                                     \
		for (__u32 __i = 0; __i < MOCK_NESTED_DOMAIN_IOTLB_NUM; __i++) \
			test_cmd_hwpt_check_iotlb(hwpt_id, __i, value);        \
	})

/* ---- IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT -------------------------------- */

static inline int _test_cmd_set_temp_memory_limit(int fd, __u32 limit)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = limit },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

#define test_cmd_set_temp_memory_limit(limit)                                  \
	ASSERT_EQ(0, _test_cmd_set_temp_memory_limit(self->fd, limit))
#define test_err_set_temp_memory_limit(_errno, limit)                          \
	EXPECT_ERRNO(_errno, _test_cmd_set_temp_memory_limit(self->fd, limit))
#define test_cmd_set_default_memory_limit()                                    \
	test_cmd_set_temp_memory_limit(TEST_DEFAULT_MEMORY_LIMIT)

/* ---- IOMMU_TEST_OP_PASID_* ---------------------------------------------- */

/* PASID_ATTACH (replace false) or PASID_REPLACE of the selftest device's
 * pasid onto pt_id; out_pt_id (may be NULL) receives the pt_id written
 * back. */
static inline int _test_cmd_pasid_attach(int fd, __u32 stdev_id, bool replace,
					 __u32 pasid, __u32 pt_id,
					 __u32 *out_pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = replace ? IOMMU_TEST_OP_PASID_REPLACE :
				IOMMU_TEST_OP_PASID_ATTACH,
		.id = stdev_id,
		.pasid_attach = { .pasid = pasid, .pt_id = pt_id },
	};
	int ret;

	ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);
	if (!ret && out_pt_id)
		*out_pt_id = cmd.pasid_attach.pt_id;
	return ret;
}

static inline int _test_cmd_pasid_detach(int fd, __u32 stdev_id, __u32 pasid)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_PASID_DETACH,
		.id = stdev_id,
		.pasid_detach = { .pasid = pasid },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* 0 when the PASID is attached to hwpt_id (0: to nothing). */
static inline int _test_cmd_pasid_check_hwpt(int fd, __u32 stdev_id,
					     __u32 pasid, __u32 hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_PASID_CHECK_HWPT,
		.id = stdev_id,
		.pasid_check = { .pasid = pasid, .hwpt_id = hwpt_id },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* These act on self->stdev_id, as the kernel's helpers do. */
#define test_cmd_pasid_attach(pasid, pt_id)                                    \
	ASSERT_EQ(0, _test_cmd_pasid_attach(self->fd, self->stdev_id, false,   \
					    pasid, pt_id, NULL))
#define test_err_pasid_attach(_errno, pasid, pt_id)                            \
	EXPECT_ERRNO(_errno, _test_cmd_pasid_attach(self->fd, self->stdev_id,  \
						    false, pasid, pt_id, NULL))
#define test_cmd_pasid_replace(pasid, pt_id)                                   \
	ASSERT_EQ(0, _test_cmd_pasid_attach(self->fd, self->stdev_id, true,    \
					    pasid, pt_id, NULL))
#define test_err_pasid_replace(_errno, pasid, pt_id)                           \
	EXPECT_ERRNO(_errno, _test_cmd_pasid_attach(self->fd, self->stdev_id,  \
						    true, pasid, pt_id, NULL))
#define test_cmd_pasid_detach(pasid)                                           \
	ASSERT_EQ(0, _test_cmd_pasid_detach(self->fd, self->stdev_id, pasid))
#define test_cmd_pasid_check_hwpt(pasid, hwpt_id)                              \
	ASSERT_EQ(0, _test_cmd_pasid_check_hwpt(self->fd, self->stdev_id,      \
						pasid, hwpt_id))
#define test_err_pasid_check_hwpt(_errno, pasid, hwpt_id)                      \
	EXPECT_ERRNO(_errno, _test_cmd_pasid_check_hwpt(self->fd,              \
							self->stdev_id, pasid, \
							hwpt_id))

/* ---- IOMMU_TEST_OP_DIRTY ------------------------------------------------ */

/* Makes the mock "hardware" dirty the pages of [iova, iova + length) whose
 * bit is set in bitmap (one bit per page_size); nr_dirty (may be NULL)
 * receives how many it marked. */
static inline int _test_cmd_mock_domain_set_dirty(int fd, __u32 hwpt_id,
						  uint64_t iova,
						  uint64_t length,
						  uint64_t page_size,
						  const void *bitmap,
						  uint64_t *nr_dirty)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt_id,
		.dirty = { .iova = iova,
			   .length = length,
			   .page_size = page_size,
			   .uptr = (uintptr_t)bitmap },
	};
	int ret;

	ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);
	if (ret)
		return ret;
	if (nr_dirty)
		*nr_dirty = cmd.dirty.out_nr_dirty;
	return 0;
}

#define test_cmd_mock_domain_set_dirty(hwpt_id, iova, length, page_size,       \
				       bitmap, nr_dirty)                       \
	ASSERT_EQ(0, _test_cmd_mock_domain_set_dirty(self->fd, hwpt_id, iova,  \
						     length, page_size,        \
						     bitmap, nr_dirty))
#define test_err_mock_domain_set_dirty(_errno, hwpt_id, iova, length,          \
				       page_size, bitmap)                      \
	EXPECT_ERRNO(_errno, _test_cmd_mock_domain_set_dirty(                  \
				     self->fd, hwpt_id, iova, length,          \
				     page_size, bitmap, NULL))

/* ---- bitmaps ------------------------------------------------------------ */

/* Bit n of a dirty bitmap is bit n % 64 of 64-bit word n / 64. */
static inline bool bitmap_test(const __u64 *bitmap, unsigned long n)
{
	return (bitmap[n / 64] >> (n % 64)) & 1;
}

static inline void bitmap_set(__u64 *bitmap, unsigned long n)
{
	bitmap[n / 64] |= (__u64)1 << (n % 64);
}

#endif /* IOMMUSIM_TESTS_IOMMUFD_UTILS_H */
