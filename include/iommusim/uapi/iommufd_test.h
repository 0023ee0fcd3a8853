/* SPDX-License-Identifier: MIT */
/*
 * iommusim: the iommufd selftest command (IOMMU_TEST_CMD) and the mock
 * driver's data formats, binary-identical to the newest upstream
 * drivers/iommu/iommufd/iommufd_test.h, so the kernel's own selftest
 * programs run against iommusim unchanged.
 *
 * In the kernel this interface exists only with CONFIG_IOMMUFD_TEST. Names,
 * numbers and layouts match upstream; the text is ours.
 * tests/unit/uapi_layout.c pins them to literal values.
 *
 * The guard is the kernel's, for the same reason as in iommufd.h: including
 * both copies is harmless.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/types.h>

#include "iommufd.h"

/* op of struct iommu_test_cmd. Values are ABI: new ops only go at the end.
 * "id" means the id field of struct iommu_test_cmd. */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,		/* id = IOAS; add_reserved */
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,		/* id = IOAS/HWPT; mock_domain */
	IOMMU_TEST_OP_MD_CHECK_MAP = 3,		/* id = HWPT; check_map */
	IOMMU_TEST_OP_MD_CHECK_REFS = 4,	/* check_refs */
	IOMMU_TEST_OP_CREATE_ACCESS = 5,	/* id = IOAS; create_access */
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6,	/* id = access fd */
	IOMMU_TEST_OP_ACCESS_PAGES = 7,		/* id = access fd; access_pages */
	IOMMU_TEST_OP_ACCESS_RW = 8,		/* id = access fd; access_rw */
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9, /* memory_limit */
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,	/* id = stdev; ..._replace */
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11,	/* id = access fd */
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12,	/* id = IOAS/HWPT; ..._flags */
	IOMMU_TEST_OP_DIRTY = 13,		/* id = HWPT; dirty */
	IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,	/* id = nested HWPT */
	IOMMU_TEST_OP_TRIGGER_IOPF = 15,	/* trigger_iopf */
	IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,	/* id = device; check_dev_cache */
	IOMMU_TEST_OP_TRIGGER_VEVENT = 17,	/* trigger_vevent */
	IOMMU_TEST_OP_PASID_ATTACH = 18,	/* id = stdev; pasid_attach */
	IOMMU_TEST_OP_PASID_REPLACE = 19,	/* id = stdev; pasid_replace */
	IOMMU_TEST_OP_PASID_DETACH = 20,	/* id = stdev; pasid_detach */
	IOMMU_TEST_OP_PASID_CHECK_HWPT = 21,	/* id = stdev; pasid_check */
	IOMMU_TEST_OP_DMABUF_GET = 22,		/* dmabuf_get; returns an fd */
	IOMMU_TEST_OP_DMABUF_REVOKE = 23,	/* dmabuf_revoke */
};

/* pagetable_type of struct iommu_hwpt_selftest: the mock domain's page
 * table format. (Upstream briefly had MOCK_IOMMUPT_AMDV1 = 2; removed.) */
enum {
	MOCK_IOMMUPT_DEFAULT = 0,	/* small pages only */
	MOCK_IOMMUPT_HUGE = 1,		/* also MOCK_HUGE_PAGE_SIZE leaves */
};

/* Geometry of the mock IOMMU with MOCK_IOMMUPT_DEFAULT. */
enum {
	MOCK_APERTURE_START = 1UL << 24,		/* first usable IOVA */
	MOCK_APERTURE_LAST = (1UL << 31) - 1,		/* last usable IOVA */
	MOCK_PAGE_SIZE = 2048,				/* below the CPU page */
	MOCK_HUGE_PAGE_SIZE = 512 * MOCK_PAGE_SIZE,	/* 1 MiB */
};

/* flags of access_pages (SYZ is accepted by access_rw as well). */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,	/* pin for writing */
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,	/* fuzzer mode: clamp inputs */
};

/* flags of access_rw. */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,		/* user buffer -> IOVA */
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,	/* force the page-walk path */
};

/* flags of create_access. */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* dev_flags of mock_domain_flags: what the mock device can do. */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,	/* no dirty tracking */
	/*
	 * Retired upstream when the mock moved to the generic page-table code
	 * (huge pages are now MOCK_IOMMUPT_HUGE); kept here, and accepted,
	 * because 6.12-era selftests still pass it. The newest kernel answers
	 * EINVAL.
	 */
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,	/* PASID capable */
};

/* The fake IOTLB of a mock nested domain: entries 0..ID_MAX. */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/* The fake per-device cache invalidated through a mock vIOMMU. */
enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* A PASID the replace tests keep for themselves. */
#define IOMMU_TEST_PASID_RESERVED 1024

/*
 * IOMMU_TEST_CMD argument: a common head, then one union member per op.
 * The minimum size ends at "last", so every op passes the whole struct.
 * (__extension__ only silences -pedantic about the anonymous union.)
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;		/* IOMMU_TEST_OP_* */
	__u32 id;		/* object the op acts on, see the op list */
	__u32 __reserved;	/* must be 0 */
	__extension__ union {
		struct {			/* ADD_RESERVED, in */
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {			/* MOCK_DOMAIN, out */
			__u32 out_stdev_id;	/* the mock device object */
			__u32 out_hwpt_id;	/* HWPT it was attached to */
			__u32 out_idev_id;	/* its ordinary device ID */
		} mock_domain;
		struct {			/* MOCK_DOMAIN_FLAGS */
			__u32 out_stdev_id;	/* out, as mock_domain */
			__u32 out_hwpt_id;	/* out */
			__u32 out_idev_id;	/* out */
			__u32 dev_flags;	/* in: MOCK_FLAGS_DEVICE_* */
		} mock_domain_flags;
		struct {			/* MOCK_DOMAIN_REPLACE, in */
			__u32 pt_id;		/* new IOAS or HWPT */
		} mock_domain_replace;
		struct {			/* MD_CHECK_MAP, in */
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;	/* memory iova must map to */
		} check_map;
		struct {			/* MD_CHECK_REFS, in */
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;		/* expected per-page pin count */
		} check_refs;
		struct {			/* CREATE_ACCESS */
			__u32 out_access_fd;	/* out */
			__u32 flags;		/* in: ..._ACCESS_CREATE_* */
		} create_access;
		struct {			/* DESTROY_ACCESS_PAGES, in */
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {			/* ACCESS_PAGES */
			__u32 flags;		/* in: MOCK_FLAGS_ACCESS_* */
			__u32 out_access_pages_id; /* out */
			__aligned_u64 iova;	/* in */
			__aligned_u64 length;	/* in */
			__aligned_u64 uptr;	/* in: expected memory */
		} access_pages;
		struct {			/* ACCESS_RW, in */
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;	/* user side of the copy */
			__u32 flags;		/* MOCK_ACCESS_RW_* */
		} access_rw;
		struct {			/* SET_TEMP_MEMORY_LIMIT, in */
			__u32 limit;
		} memory_limit;
		struct {			/* ACCESS_REPLACE_IOAS, in */
			__u32 ioas_id;
		} access_replace_ioas;
		struct {			/* DIRTY */
			__u32 flags;		/* in */
			__aligned_u64 iova;	/* in */
			__aligned_u64 length;	/* in */
			__aligned_u64 page_size; /* in: bytes per bit */
			__aligned_u64 uptr;	/* in: bitmap of pages to dirty */
			__aligned_u64 out_nr_dirty; /* out */
		} dirty;
		struct {			/* MD_CHECK_IOTLB, in */
			__u32 id;		/* IOTLB entry */
			__u32 iotlb;		/* expected value */
		} check_iotlb;
		struct {			/* TRIGGER_IOPF, in */
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;		/* IOMMU_PGFAULT_PERM_* */
			__u64 addr;
		} trigger_iopf;
		struct {			/* DEV_CHECK_CACHE, in */
			__u32 id;		/* cache entry */
			__u32 cache;		/* expected value */
		} check_dev_cache;
		struct {			/* TRIGGER_VEVENT, in */
			__u32 dev_id;
		} trigger_vevent;
		struct {			/* PASID_ATTACH, in */
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {			/* PASID_REPLACE, in */
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {			/* PASID_DETACH, in */
			__u32 pasid;
		} pasid_detach;
		struct {			/* PASID_CHECK_HWPT, in */
			__u32 pasid;
			__u32 hwpt_id;		/* expected attachment */
		} pasid_check;
		struct {			/* DMABUF_GET, in */
			__u32 length;
			__u32 open_flags;	/* e.g. O_CLOEXEC */
		} dmabuf_get;
		struct {			/* DMABUF_REVOKE, in */
			__s32 dmabuf_fd;
			__u32 revoked;		/* 1 revoke, 0 restore */
		} dmabuf_revoke;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* PASID width of the mock device and IOMMU, in bits. */
#define MOCK_PASID_WIDTH 20

/* IOMMU_GET_HW_INFO from a mock device: type and payload. */
#define IOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL	0xdeadbeef	/* test_reg value */

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;		/* IOMMU_HW_INFO_SELFTEST_REGVAL */
};

/* Nested HWPT data type of the mock driver (outside the real enum). */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
/* Initial value of every fake IOTLB entry / device cache entry. */
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/* IOMMU_HWPT_DATA_SELFTEST payload. */
struct iommu_hwpt_selftest {
	__u32 iotlb;		/* fill value, normally IOMMU_TEST_IOTLB_DEFAULT */
	__u32 pagetable_type;	/* MOCK_IOMMUPT_* */
};

/* Invalidation data types of the mock driver; _INVALID is one no driver
 * accepts. */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* flags bit of both selftest invalidation records: ignore the index and
 * invalidate every entry. */
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)

/* One IOMMU_HWPT_INVALIDATE_DATA_SELFTEST request. */
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;		/* IOMMU_TEST_INVALIDATE_FLAG_ALL */
	__u32 iotlb_id;		/* 0..MOCK_NESTED_DOMAIN_IOTLB_ID_MAX */
};

/* vIOMMU type of the mock driver. */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/* IOMMU_VIOMMU_TYPE_SELFTEST data: a loopback value and an mmap window. */
struct iommu_viommu_selftest {
	__u32 in_data;			/* in */
	__u32 out_data;			/* out: equals in_data */
	__aligned_u64 out_mmap_offset;	/* out: mmap offset on the iommufd */
	__aligned_u64 out_mmap_length;	/* out */
};

/* vIOMMU invalidation data types of the mock driver. */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* One IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST request. */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;		/* IOMMU_TEST_INVALIDATE_FLAG_ALL */
	__u32 vdev_id;		/* virtual device (virt_id) */
	__u32 cache_id;		/* 0..MOCK_DEV_CACHE_ID_MAX */
};

/* vEVENTQ type of the mock driver and its event payload. */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

struct iommu_viommu_event_selftest {
	__u32 virt_id;		/* vDEVICE that raised the event */
};

/* HW queue type of the mock driver, and queues per mock vIOMMU. */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif /* _UAPI_IOMMUFD_TEST_H */
