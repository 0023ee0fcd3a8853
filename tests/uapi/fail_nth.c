// SPDX-License-Identifier: MIT
/*
 * Every injected failure unwinds clean. Each scenario below is a sequence
 * of calls that succeeds; it is run again and again, with the N-th
 * allocation site of the thread made to fail (the kernel's fail-nth,
 * through /proc/self/task/TID/fail-nth as iommufd_fail_nth drives it), for
 * N = 1, 2, ... until a run passes every site without reaching the N-th.
 * After each run:
 *  - the call that failed, failed with ENOMEM, and only an injected
 *    failure made a call fail;
 *  - the context is still usable: an IOAS is made, mapped, unmapped and
 *    destroyed through the same descriptor;
 *  - once everything is closed, no page of the test buffer is pinned
 *    (IOMMU_TEST_OP_MD_CHECK_REFS says 0 references);
 *  - the whole scenario then runs again, uninjected, and passes: nothing
 *    process-wide (a device, the platform) was left half-done.
 * No crash, no hang (the harness's alarm), and, in the SAN build, no leak:
 * each scenario's sweep is one forked child, which LeakSanitizer checks as
 * it exits.
 *
 * The scenarios cover the uAPI the way the kernel's iommufd_fail_nth does
 * and past it: the IOAS commands, domains, accesses, devices and HWPTs,
 * nested HWPTs and their invalidation, dirty tracking, the VFIO type1
 * container, the fault queue, VT-d devices behind their VFIO cdevs, PASID
 * attach, area splits, file and dma-buf mappings, the object table and the
 * area index growing.
 */
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "iommufd_utils.h"
#include "map_file_utils.h"
#include "viommu_utils.h"
#include "vfio_cdev_utils.h"

/* Far more sites than any scenario has: a scenario that reaches this
 * never finishes. */
#define MAX_SITES 2000

#define MAX_FDS 8

/* One run of a scenario. */
struct round {
	int fd;			/* its iommufd, -1 before it opens one */
	int fds[MAX_FDS];	/* other descriptors: accesses, queues */
	unsigned int nfds;
	int nth_fd;		/* /proc/self/task/TID/fail-nth */
	unsigned int nth;	/* 0: nothing injected */
	const char *failed;	/* the call that failed */
	int err;
};

/* Arms the N-th site from here on: what the scenario did before is set
 * up, already swept by the scenarios before it. */
static void fail_nth_enable(struct round *r)
{
	char buf[16];
	int len;

	if (!r->nth)
		return;
	len = snprintf(buf, sizeof(buf), "%u", r->nth);
	if (pwrite(r->nth_fd, buf, (size_t)len, 0) != len)
		abort();
}

/* A call that returns 0 or -1 with errno: the scenario stops at its
 * failure. */
#define STEP(r, call)                                                          \
	do {                                                                   \
		if ((call) != 0) {                                             \
			(r)->failed = #call;                                   \
			(r)->err = errno;                                      \
			return -1;                                             \
		}                                                              \
	} while (0)

/* A descriptor of the scenario's, closed with it. */
#define STEP_FD(r, var, call)                                                  \
	do {                                                                   \
		(var) = (call);                                                \
		if ((var) < 0) {                                               \
			(r)->failed = #call;                                   \
			(r)->err = errno;                                      \
			return -1;                                             \
		}                                                              \
		(r)->fds[(r)->nfds++] = (var);                                 \
	} while (0)

static int open_fd(struct round *r)
{
	r->fd = iommufd_open();
	if (r->fd < 0) {
		r->failed = "open(/dev/iommu)";
		r->err = errno;
		return -1;
	}
	return 0;
}

#define OPEN(r) STEP(r, open_fd(r))

/* ---- the sweep ----------------------------------------------------------- */

static void write_attr(struct __test_metadata *_metadata, const char *path,
		       const char *value)
{
	int fd = open(path, O_WRONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(value), write(fd, value, strlen(value)));
	close(fd);
}

/* What iommufd_fail_nth writes, and min-order 0 besides, so that
 * page-table pages are swept too. */
static void count_every_site(struct __test_metadata *_metadata)
{
	write_attr(_metadata, "/sys/kernel/debug/failslab/ignore-gfp-wait",
		   "N");
	write_attr(_metadata,
		   "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_attr(_metadata, "/sys/kernel/debug/fail_page_alloc/min-order",
		   "0");
	write_attr(_metadata, "/sys/kernel/debug/failslab/verbose", "0");
	write_attr(_metadata, "/sys/kernel/debug/fail_page_alloc/verbose",
		   "0");
}

/* Whether the armed site failed (the countdown reads 0), disarming it. */
static bool fail_nth_fired(struct __test_metadata *_metadata, int nth_fd)
{
	char buf[16] = { 0 };

	ASSERT_LT(1, pread(nth_fd, buf, sizeof(buf) - 1, 0));
	ASSERT_EQ(1, pwrite(nth_fd, "0", 1, 0));
	return !strcmp(buf, "0\n");
}

/* The context took the failure and goes on. */
static void check_usable(struct __test_metadata *_metadata, int fd)
{
	__u32 ioas_id;
	__u64 iova;

	ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, _test_ioctl_ioas_map(fd, ioas_id, buffer, PSZ, &iova,
					  MAP_RW));
	ASSERT_EQ(0, _test_ioctl_ioas_unmap(fd, ioas_id, iova, PSZ, NULL));
	ASSERT_EQ(0, _test_ioctl_destroy(fd, ioas_id));
}

/* A memfd the file scenarios map, and its own mapping: made once, and
 * checked, as the buffer is, to be left unpinned. */
static int file_mfd = -1;
static void *file_buf;
#define FILE_BUF_SIZE (64 * 4096)

/* Everything closed; then nothing of the buffer (nor of the memfd) is
 * pinned. */
static void teardown(struct __test_metadata *_metadata, struct round *r)
{
	int fd;

	while (r->nfds)
		ASSERT_EQ(0, close(r->fds[--r->nfds]));
	if (r->fd >= 0)
		ASSERT_EQ(0, close(r->fd));
	r->fd = -1;
	fd = iommufd_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, _test_cmd_md_check_refs(fd, buffer, BUFFER_SIZE, 0));
	if (file_buf)
		ASSERT_EQ(0, _test_cmd_md_check_refs(fd, file_buf,
						     FILE_BUF_SIZE, 0));
	ASSERT_EQ(0, close(fd));
}

typedef int (*scenario_fn)(struct round *r);

static void run_clean(struct __test_metadata *_metadata, scenario_fn scenario,
		      int nth_fd)
{
	struct round r = { .fd = -1, .nth_fd = nth_fd };

	if (scenario(&r))
		printf("# uninjected: %s failed: %s\n", r.failed,
		       strerror(r.err));
	ASSERT_NULL(r.failed);
	teardown(_metadata, &r);
}

static void sweep(struct __test_metadata *_metadata, scenario_fn scenario)
{
	unsigned int nth, absorbed = 0;
	char path[64];
	int nth_fd;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	nth_fd = open(path, O_RDWR);
	ASSERT_LE(0, nth_fd);
	count_every_site(_metadata);
	run_clean(_metadata, scenario, nth_fd);
	for (nth = 1;; nth++) {
		struct round r = { .fd = -1, .nth_fd = nth_fd, .nth = nth };
		int rc;
		bool fired;

		ASSERT_GT(MAX_SITES, nth);
		rc = scenario(&r);
		fired = fail_nth_fired(_metadata, nth_fd);
		if (rc)
			printf("# site %u: %s failed: %s\n", nth, r.failed,
			       strerror(r.err));
		if (!fired) {
			/* past the last site: the scenario ran whole */
			ASSERT_EQ(0, rc);
			teardown(_metadata, &r);
			break;
		}
		if (rc)
			ASSERT_EQ(ENOMEM, r.err);
		else
			absorbed++;
		if (r.fd >= 0)
			check_usable(_metadata, r.fd);
		teardown(_metadata, &r);
		run_clean(_metadata, scenario, nth_fd);
	}
	printf("# %u sites, %u failures absorbed without an error\n", nth - 1,
	       absorbed);
	/* a sweep that injected nothing proves nothing */
	ASSERT_LT(0, nth - 1);
	close(nth_fd);
}

#define SWEEP(name)                                                            \
	static int scenario_##name(struct round *r);                           \
	TEST(name)                                                             \
	{                                                                      \
		sweep(_metadata, scenario_##name);                             \
	}                                                                      \
	static int scenario_##name(struct round *r)

/* ---- the scenarios -------------------------------------------------------- */

/* The context, an IOAS and a mock device attached to it: what many
 * scenarios start from. */
static int open_with_device(struct round *r, __u32 dev_flags, __u32 *ioas_id,
			    __u32 *stdev_id, __u32 *idev_id)
{
	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, ioas_id));
	STEP(r, _test_cmd_mock_domain_flags(r->fd, *ioas_id, dev_flags,
					    stdev_id, NULL, idev_id));
	return 0;
}

/* An access's descriptor, or -1. */
static int create_access(int fd, __u32 ioas_id, __u32 flags)
{
	__u32 access_fd;

	return _test_cmd_create_access(fd, ioas_id, &access_fd, flags) ?
		       -1 :
		       (int)access_fd;
}

/* A fault queue's descriptor, or -1. */
static int fault_alloc(int fd, __u32 *fault_id)
{
	int fault_fd;

	return _test_ioctl_fault_alloc(fd, 0, fault_id, &fault_fd) ? -1 :
								    fault_fd;
}

/* The IOAS commands, from the open on (iommufd_fail_nth's "basic"). */
SWEEP(ioas)
{
	struct iommu_iova_range ranges[10];
	__u32 ioas_id, num = 10;
	__u64 iova, dst_iova = 0;

	fail_nth_enable(r);
	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_ioctl_ioas_iova_ranges(r->fd, ioas_id, ranges, &num,
					     NULL));
	ranges[0].start = 16 * 1024;
	ranges[0].last = BUFFER_SIZE + 16 * 1024 * 600 - 1;
	STEP(r, _test_ioctl_ioas_allow_iovas(r->fd, ioas_id, ranges, 1));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, buffer, BUFFER_SIZE,
				     &iova, MAP_RW));
	STEP(r, _test_ioctl_ioas_copy(r->fd, MAP_RW, ioas_id, &dst_iova,
				      ioas_id, iova, PSZ * 4));
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id, iova, BUFFER_SIZE,
				       NULL));
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id, dst_iova, PSZ * 4,
				       NULL));
	STEP(r, _test_ioctl_destroy(r->fd, ioas_id));
	return 0;
}

/* Huge pages turned off, then a copy of part of a mapping into another
 * IOAS. */
SWEEP(ioas_copy)
{
	__u32 ioas_id, ioas_id2;
	__u64 iova = APERTURE_START, dst = 0, val = 0;

	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	fail_nth_enable(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id2));
	STEP(r, _test_ioctl_option(r->fd, IOMMU_OPTION_HUGE_PAGES,
				   IOMMU_OPTION_OP_SET, ioas_id2, &val));
	STEP(r, _test_ioctl_ioas_map_fixed(r->fd, ioas_id, buffer, PSZ * 8,
					   iova, MAP_RW));
	STEP(r, _test_ioctl_ioas_map_fixed(r->fd, ioas_id, BUF(PSZ * 8),
					   PSZ * 8, iova + PSZ * 8, MAP_RW));
	/* across the two areas: two slices, two areas made */
	STEP(r, _test_ioctl_ioas_copy(r->fd, MAP_RW, ioas_id2, &dst, ioas_id,
				      iova + PSZ * 6, PSZ * 4));
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id, 0, U64_MAX, NULL));
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id2, dst, PSZ * 4, NULL));
	return 0;
}

/* Many IOAS: the object table grows; many areas: the area index grows
 * and splits its nodes. */
SWEEP(tables_grow)
{
	__u32 ioas_id, more;
	__u64 iova;

	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	for (unsigned int i = 0; i < 250; i++)
		STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, BUF(i * PSZ), PSZ,
					     &iova, MAP_RW));
	for (unsigned int i = 0; i < 60; i++)
		STEP(r, _test_ioctl_ioas_alloc(r->fd, &more));
	fail_nth_enable(r);
	for (unsigned int i = 250; i < 300; i++)
		STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, BUF(i * PSZ), PSZ,
					     &iova, MAP_RW));
	for (unsigned int i = 0; i < 80; i++)
		STEP(r, _test_ioctl_ioas_alloc(r->fd, &more));
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id, 0, U64_MAX, NULL));
	return 0;
}

/* A mock domain filled and emptied (iommufd_fail_nth's map_domain). */
SWEEP(map_domain)
{
	__u32 ioas_id, stdev_id, hwpt_id;
	__u64 iova;

	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_cmd_set_temp_memory_limit(r->fd, 32));
	fail_nth_enable(r);
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id, &hwpt_id,
				      NULL));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, buffer, 262144, &iova,
				     MAP_RW));
	STEP(r, _test_ioctl_destroy(r->fd, stdev_id));
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id, &hwpt_id,
				      NULL));
	STEP(r, _test_cmd_md_check_map(r->fd, hwpt_id, iova, 262144, buffer));
	return 0;
}

/* Mappings in place when a second domain comes: it is filled from them. */
SWEEP(map_two_domains)
{
	__u32 ioas_id, stdev_id, stdev_id2, hwpt_id, hwpt_id2;
	__u64 iova;

	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id, &hwpt_id,
				      NULL));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, buffer, HSZ + PSZ * 3,
				     &iova, MAP_RW));
	fail_nth_enable(r);
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id2, &hwpt_id2,
				      NULL));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, BUF(HSZ * 2), 262144,
				     &iova, MAP_RW));
	STEP(r, _test_ioctl_destroy(r->fd, stdev_id));
	STEP(r, _test_ioctl_destroy(r->fd, stdev_id2));
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id, &hwpt_id,
				      NULL));
	return 0;
}

/* An access's reads and writes, fast and page by page. */
SWEEP(access_rw)
{
	static uint64_t big[4096];
	uint16_t small[32];
	__u32 ioas_id;
	__u64 iova;
	int access_fd;

	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, buffer, 262144, &iova,
				     MAP_RW));
	fail_nth_enable(r);
	STEP_FD(r, access_fd, create_access(r->fd, ioas_id, 0));
	STEP(r, _test_cmd_access_rw(r->fd, access_fd, iova, small,
				    sizeof(small), 0));
	STEP(r, _test_cmd_access_rw(r->fd, access_fd, iova, small,
				    sizeof(small), MOCK_ACCESS_RW_WRITE));
	STEP(r, _test_cmd_access_rw(r->fd, access_fd, iova, small,
				    sizeof(small), MOCK_ACCESS_RW_SLOW_PATH));
	STEP(r, _test_cmd_access_rw(r->fd, access_fd, iova, big, sizeof(big),
				    MOCK_ACCESS_RW_SLOW_PATH |
					    MOCK_ACCESS_RW_WRITE));
	return 0;
}

/* An access's pins, with and without a domain sharing the pages. */
static int pin_pages(struct round *r, bool domain)
{
	__u32 ioas_id, stdev_id, hwpt_id, pages_id;
	__u64 iova = APERTURE_START;
	int access_fd;

	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_cmd_set_temp_memory_limit(r->fd, 32));
	if (domain)
		STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id,
					      &hwpt_id, NULL));
	/* two areas, so that a pin across them unwinds the first */
	STEP(r, _test_ioctl_ioas_map_fixed(r->fd, ioas_id, buffer,
					   BUFFER_SIZE / 2, iova, MAP_RW));
	STEP(r, _test_ioctl_ioas_map_fixed(r->fd, ioas_id,
					   BUF(BUFFER_SIZE / 2),
					   BUFFER_SIZE / 2,
					   iova + BUFFER_SIZE / 2, MAP_RW));
	STEP_FD(r, access_fd,
		create_access(r->fd, ioas_id,
			      MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES));
	fail_nth_enable(r);
	STEP(r, _test_cmd_access_pages(r->fd, access_fd, iova, BUFFER_SIZE,
				       buffer, 0, &pages_id));
	STEP(r, _test_cmd_access_pages(r->fd, access_fd, iova + PSZ, PSZ * 3,
				       BUF(PSZ), MOCK_FLAGS_ACCESS_WRITE,
				       NULL));
	/* the unmap tells the access, which lets its pins go */
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id, iova, BUFFER_SIZE,
				       NULL));
	return 0;
}

SWEEP(access_pin)
{
	return pin_pages(r, false);
}

SWEEP(access_pin_domain)
{
	return pin_pages(r, true);
}

/* A device: its info, a HWPT made for it, replaced between IOAS and HWPT
 * (iommufd_fail_nth's "device"). */
SWEEP(device)
{
	struct iommu_test_hw_info info;
	__u32 ioas_id, ioas_id2, stdev_id, idev_id, hwpt_id;
	__u64 iova = APERTURE_START;

	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id2));
	STEP(r, _test_ioctl_ioas_map_fixed(r->fd, ioas_id, buffer, PSZ, iova,
					   MAP_RW));
	STEP(r, _test_ioctl_ioas_map_fixed(r->fd, ioas_id2, buffer, PSZ, iova,
					   MAP_RW));
	fail_nth_enable(r);
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id, NULL,
				      &idev_id));
	STEP(r, _test_cmd_get_hw_info(r->fd, idev_id, 0,
				      IOMMU_HW_INFO_TYPE_DEFAULT, &info,
				      sizeof(info), NULL));
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, ioas_id, 0, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0, &hwpt_id));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, ioas_id2,
					      NULL));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, hwpt_id, NULL));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, ioas_id, NULL));
	STEP(r, _test_ioctl_destroy(r->fd, hwpt_id));
	return 0;
}

/* A nested HWPT over a parent, attached and invalidated. */
SWEEP(nested)
{
	struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_hwpt_invalidate_selftest inv = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
	};
	__u32 ioas_id, stdev_id, idev_id, parent_id, nested_id, num = 1;
	__u64 iova;

	STEP(r, open_with_device(r, 0, &ioas_id, &stdev_id, &idev_id));
	fail_nth_enable(r);
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, ioas_id,
				     IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0,
				     &parent_id));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, buffer, PSZ * 4, &iova,
				     MAP_RW));
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, parent_id, 0, 0,
				     IOMMU_HWPT_DATA_SELFTEST, &data,
				     sizeof(data), &nested_id));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, nested_id,
					      NULL));
	STEP(r, _test_cmd_hwpt_invalidate(r->fd, nested_id, &inv,
					  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					  sizeof(inv), &num));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, ioas_id, NULL));
	STEP(r, _test_ioctl_destroy(r->fd, nested_id));
	STEP(r, _test_ioctl_destroy(r->fd, parent_id));
	return 0;
}

/* Dirty tracking on a HWPT: marked by the mock, read and cleared. */
SWEEP(dirty_tracking)
{
	__u64 bitmap[4] = { 0 }, marks[4] = { ~0ull, ~0ull, ~0ull, ~0ull };
	__u32 ioas_id, stdev_id, idev_id, hwpt_id;
	__u64 iova;

	STEP(r, open_with_device(r, 0, &ioas_id, &stdev_id, &idev_id));
	fail_nth_enable(r);
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, ioas_id,
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0, &hwpt_id));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, hwpt_id, NULL));
	STEP(r, _test_cmd_set_dirty_tracking(r->fd, hwpt_id, true));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, buffer, HSZ, &iova,
				     MAP_RW));
	STEP(r, _test_cmd_mock_domain_set_dirty(r->fd, hwpt_id, iova, HSZ,
						PSZ, marks, NULL));
	STEP(r, _test_cmd_get_dirty_bitmap(r->fd, hwpt_id, iova, HSZ, PSZ,
					   bitmap, 0));
	STEP(r, _test_cmd_set_dirty_tracking(r->fd, hwpt_id, false));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, ioas_id, NULL));
	return 0;
}

/* Pinned memory the program takes away (madvise, munmap, mremap, shmdt):
 * the library's copies and moves of the pinned pages, and the domains
 * mapped again to them, dirty bits kept. The calls succeed whatever fails inside: what the
 * library cannot keep, the device loses, as the warning says. Each round
 * maps memory of its own, unmapped by the next. */
static uint8_t *pins_mem;
#define PINS_SIZE (8 * PSZ)

/* A SysV segment pinned by a domain, detached, then unmapped from the
 * IOAS (the segment goes with its last pin). */
static int shm_pinned_and_detached(struct round *r, __u32 ioas_id)
{
	int id = shmget(IPC_PRIVATE, 2 * PSZ, IPC_CREAT | 0600);
	void *seg;

	if (id < 0)
		return -1;
	seg = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	if (seg == (void *)-1)
		return -1;
	STEP(r, _test_ioctl_ioas_map_fixed(r->fd, ioas_id, seg, 2 * PSZ,
					   MOCK_APERTURE_START, MAP_RW));
	STEP(r, shmdt(seg));
	return _test_ioctl_ioas_unmap(r->fd, ioas_id, MOCK_APERTURE_START,
				      2 * PSZ, NULL);
}

SWEEP(pins_taken_away)
{
	__u32 ioas_id, stdev_id, hwpt_id, idev_id, dirty_hwpt_id;
	__u64 marks = 0x55;
	uint8_t *moved;

	if (pins_mem)
		munmap(pins_mem, PINS_SIZE);
	pins_mem = mmap(NULL, PINS_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pins_mem == MAP_FAILED) {
		pins_mem = NULL;
		r->failed = "mmap";
		r->err = errno;
		return -1;
	}
	memset(pins_mem, 0xa5, PINS_SIZE);
	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_ioctl_ioas_map_fixed(r->fd, ioas_id, pins_mem,
					   PINS_SIZE, MOCK_APERTURE_START,
					   MAP_RW));
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id, &hwpt_id,
				      &idev_id));
	fail_nth_enable(r);
	/* the dirty state the domain keeps across the moves */
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, ioas_id,
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0,
				     &dirty_hwpt_id));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, dirty_hwpt_id,
					      NULL));
	STEP(r, _test_cmd_set_dirty_tracking(r->fd, dirty_hwpt_id, true));
	STEP(r, _test_cmd_mock_domain_set_dirty(r->fd, dirty_hwpt_id,
						MOCK_APERTURE_START,
						PINS_SIZE, PSZ, &marks, NULL));
	STEP(r, madvise(pins_mem, PSZ, MADV_DONTNEED));
	STEP(r, madvise(pins_mem + PSZ, 2 * PSZ, MADV_FREE));
	STEP(r, munmap(pins_mem + 3 * PSZ, PSZ));
	moved = mremap(pins_mem + 4 * PSZ, 4 * PSZ, 2 * PSZ, 0);
	STEP(r, moved == MAP_FAILED);
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id, MOCK_APERTURE_START,
				       PINS_SIZE, NULL));
	STEP(r, shm_pinned_and_detached(r, ioas_id));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, ioas_id, NULL));
	STEP(r, _test_ioctl_destroy(r->fd, dirty_hwpt_id));
	STEP(r, _test_ioctl_destroy(r->fd, stdev_id));
	return 0;
}

/* The VFIO type1 container of /dev/vfio/vfio. */
SWEEP(vfio_type1)
{
	struct iommu_vfio_ioas set = { .size = sizeof(set),
				       .op = IOMMU_VFIO_IOAS_SET };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buffer,
		.iova = APERTURE_START,
		.size = PSZ * 8,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = APERTURE_START + PSZ * 2,
		.size = PSZ * 2,
	};
	__u32 ioas_id;

	fail_nth_enable(r);
	r->fd = open("/dev/vfio/vfio", O_RDWR);
	if (r->fd < 0) {
		r->failed = "open(/dev/vfio/vfio)";
		r->err = errno;
		return -1;
	}
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, NULL, NULL, NULL));
	set.ioas_id = ioas_id;
	STEP(r, ioctl(r->fd, IOMMU_VFIO_IOAS, &set));
	STEP(r, ioctl(r->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	STEP(r, ioctl(r->fd, VFIO_IOMMU_MAP_DMA, &map));
	/* type1 splits the mapping it unmaps part of */
	STEP(r, ioctl(r->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	unmap.iova = 0;
	unmap.size = 0;
	STEP(r, ioctl(r->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	return 0;
}

/* A fault queue: a HWPT sends its page requests there; they are read and
 * answered. */
SWEEP(fault_queue)
{
	struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_hwpt_pgfault rec[2];
	__u32 ioas_id, stdev_id, idev_id, parent_id, fault_id, nested_id;
	int fault_fd;
	ssize_t n;

	STEP(r, open_with_device(r, MOCK_FLAGS_DEVICE_PASID, &ioas_id,
				 &stdev_id, &idev_id));
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, ioas_id,
				     IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0,
				     &parent_id));
	fail_nth_enable(r);
	STEP_FD(r, fault_fd, fault_alloc(r->fd, &fault_id));
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, parent_id,
				     IOMMU_HWPT_FAULT_ID_VALID, fault_id,
				     IOMMU_HWPT_DATA_SELFTEST, &data,
				     sizeof(data), &nested_id));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, nested_id,
					      NULL));
	STEP(r, _test_cmd_trigger_iopf(r->fd, idev_id, 0, 1, IOPF_PERM,
				       IOPF_ADDR));
	STEP(r, _test_cmd_trigger_iopf(r->fd, idev_id, 0, 2, IOPF_PERM,
				       IOPF_ADDR + PSZ));
	/* a request whose group could not be made was answered already */
	n = read_faults(fault_fd, rec, 2);
	STEP(r, n < 0 ? -1 : 0);
	for (ssize_t i = 0; i < n / (ssize_t)sizeof(rec[0]); i++)
		STEP(r, respond_fault(fault_fd, rec[i].cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS) < 0 ?
				-1 :
				0);
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, ioas_id, NULL));
	return 0;
}

/* PASIDs of a device attached, replaced and detached. */
SWEEP(pasid)
{
	__u32 ioas_id, stdev_id, idev_id, hwpt_id, hwpt_id2;

	STEP(r, open_with_device(r, MOCK_FLAGS_DEVICE_PASID, &ioas_id,
				 &stdev_id, &idev_id));
	fail_nth_enable(r);
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, ioas_id,
				     IOMMU_HWPT_ALLOC_PASID, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0, &hwpt_id));
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, ioas_id,
				     IOMMU_HWPT_ALLOC_PASID, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0, &hwpt_id2));
	/* the RID's HWPT serves PASIDs too */
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, hwpt_id, NULL));
	STEP(r, _test_cmd_pasid_attach(r->fd, stdev_id, false, 100, hwpt_id,
				       NULL));
	STEP(r, _test_cmd_pasid_attach(r->fd, stdev_id, false, 200, hwpt_id,
				       NULL));
	STEP(r, _test_cmd_pasid_attach(r->fd, stdev_id, true, 100, hwpt_id2,
				       NULL));
	STEP(r, _test_cmd_pasid_detach(r->fd, stdev_id, 100));
	STEP(r, _test_cmd_pasid_detach(r->fd, stdev_id, 200));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, ioas_id, NULL));
	return 0;
}

/* A VT-d device behind its VFIO cdev: bound, attached to a HWPT made for
 * it and to an IOAS, mapped through, detached. */
SWEEP(vtd_device)
{
	__u32 ioas_id, devid, hwpt_id, pt_id;
	__u64 iova;
	int vfd;

	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	fail_nth_enable(r);
	STEP_FD(r, vfd, vfio_cdev_open(VTD_FULL));
	STEP(r, _vfio_bind(vfd, r->fd, &devid));
	STEP(r, _test_cmd_hwpt_alloc(r->fd, devid, ioas_id,
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0, &hwpt_id));
	pt_id = hwpt_id;
	STEP(r, _vfio_attach(vfd, 0, 0, &pt_id));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, buffer, HSZ + PSZ, &iova,
				     MAP_RW));
	pt_id = ioas_id;
	STEP(r, _vfio_attach(vfd, 0, 0, &pt_id));
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id, iova, HSZ + PSZ, NULL));
	STEP(r, _vfio_detach(vfd, 0, 0));
	return 0;
}

/* A dma-buf's descriptor, or -1. */
static int get_dmabuf(int fd, size_t len)
{
	int dfd;

	return _test_cmd_get_dmabuf(fd, len, &dfd) ? -1 : dfd;
}

/* A memfd mapped into an IOAS with a domain (a second domain filled from
 * it), copied, read by an access, handed to CHANGE_PROCESS; a dma-buf
 * mapped, revoked, mapped again. */
SWEEP(map_file)
{
	__u32 ioas_id, ioas_id2, stdev_id, stdev_id2, access_fd;
	__u64 iova = 0, iova2 = 0, dst = 0;
	uint8_t data[64];
	int dfd, afd;

	if (!file_buf) {
		file_buf = memfd_mmap(FILE_BUF_SIZE, MFD_CLOEXEC, &file_mfd);
		if (file_buf == MAP_FAILED)
			abort();
	}
	OPEN(r);
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id));
	STEP(r, _test_ioctl_ioas_alloc(r->fd, &ioas_id2));
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id, NULL, NULL));
	fail_nth_enable(r);
	STEP(r, _test_ioctl_ioas_map_file(r->fd, ioas_id, file_mfd, PSZ,
					  FILE_BUF_SIZE - PSZ, &iova, MAP_RW));
	STEP(r, _test_cmd_mock_domain(r->fd, ioas_id, &stdev_id2, NULL, NULL));
	STEP(r, _test_ioctl_ioas_copy(r->fd, MAP_RW, ioas_id2, &dst, ioas_id,
				      iova, PSZ * 4));
	STEP_FD(r, afd, create_access(r->fd, ioas_id2, 0));
	access_fd = (__u32)afd;
	STEP(r, _test_cmd_access_rw(r->fd, access_fd, dst, data, sizeof(data),
				    MOCK_ACCESS_RW_SLOW_PATH));
	STEP(r, _test_ioctl_ioas_change_process(r->fd, 0));
	STEP_FD(r, dfd, get_dmabuf(r->fd, PSZ * 4));
	STEP(r, _test_ioctl_ioas_map_file(r->fd, ioas_id, dfd, 0, PSZ * 4,
					  &iova2, MAP_RW));
	STEP(r, _test_cmd_revoke_dmabuf(r->fd, dfd, true));
	STEP(r, _test_cmd_revoke_dmabuf(r->fd, dfd, false));
	STEP(r, _test_ioctl_ioas_map_file(r->fd, ioas_id, dfd, 0, PSZ * 4,
					  &iova2, MAP_RW));
	STEP(r, _test_ioctl_ioas_unmap(r->fd, ioas_id, 0, U64_MAX, NULL));
	return 0;
}

/* A vIOMMU with its mmap() region, a vDEVICE, a nested HWPT on it, a
 * vEVENTQ with events read, an invalidation and a HW queue; then the
 * context's close takes them all. */
SWEEP(viommu)
{
	struct iommu_viommu_selftest data = { .in_data = 7 };
	struct iommu_viommu_invalidate_selftest inv = { .vdev_id = 0x99 };
	struct selftest_vevent rec[2];
	__u32 ioas_id, stdev_id, idev_id, parent_id, viommu_id, vdev_id;
	__u32 nested_id, veventq_id, veventq_fd, queue_id, num = 1;
	__u64 iova;
	int qfd;

	if (open_with_device(r, 0, &ioas_id, &stdev_id, &idev_id))
		return -1;
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, ioas_id,
				     IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				     IOMMU_HWPT_DATA_NONE, NULL, 0, &parent_id));
	STEP(r, _test_ioctl_ioas_map(r->fd, ioas_id, buffer, PSZ, &iova,
				     MAP_RW));
	fail_nth_enable(r);
	STEP(r, _test_cmd_viommu_alloc(r->fd, idev_id, parent_id, 0,
				       IOMMU_VIOMMU_TYPE_SELFTEST, &data,
				       sizeof(data), &viommu_id));
	STEP(r, _test_cmd_vdevice_alloc(r->fd, viommu_id, idev_id, 0x99,
					&vdev_id));
	STEP(r, _test_cmd_hwpt_alloc(r->fd, idev_id, viommu_id, 0, 0,
				     IOMMU_HWPT_DATA_SELFTEST, &default_data,
				     sizeof(default_data), &nested_id));
	STEP(r, _test_cmd_mock_domain_replace(r->fd, stdev_id, nested_id,
					      NULL));
	STEP(r, _test_cmd_veventq_alloc(r->fd, viommu_id,
					IOMMU_VEVENTQ_TYPE_SELFTEST, 1,
					&veventq_id, &veventq_fd));
	qfd = (int)veventq_fd;
	r->fds[r->nfds++] = qfd;
	STEP(r, _test_cmd_trigger_vevents(r->fd, idev_id, 2));
	if (read(qfd, rec, sizeof(rec)) < 0) {
		r->failed = "read(veventq)";
		r->err = errno;
		return -1;
	}
	STEP(r, _test_cmd_hwpt_invalidate(r->fd, viommu_id, &inv,
					  IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
					  sizeof(inv), &num));
	STEP(r, _test_cmd_hw_queue_alloc(r->fd, viommu_id,
					 IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova,
					 PSZ, &queue_id));
	return 0;
}

/* Descriptors: a dup, a second context through /proc/self/fd. */
SWEEP(descriptors)
{
	char path[64];
	__u32 ioas_id;
	int dup_fd, other;

	OPEN(r);
	fail_nth_enable(r);
	STEP_FD(r, dup_fd, fcntl(r->fd, F_DUPFD_CLOEXEC, 600));
	STEP(r, _test_ioctl_ioas_alloc(dup_fd, &ioas_id));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", r->fd);
	STEP_FD(r, other, open(path, O_RDWR));
	STEP(r, _test_ioctl_ioas_alloc(other, &ioas_id));
	return 0;
}

TEST_HARNESS_MAIN
