// SPDX-License-Identifier: MIT
/*
 * The trace's lines for known calls, exactly: each test makes calls with
 * the trace going to a memfd, then compares what was written, less each
 * line's time and thread, with the lines expected. Calls made through
 * iommusim_ioctl() name no descriptor (fd=-1); the fd of a call through
 * the file layer is checked by tests/trace.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "base/fdtable.h"
#include "base/file.h"
#include "base/trace.h"
#include "harness.h"
#include "iommufd/trace_decode.h"
#include "json_lines.h"
#include "nested_fault.h"

#define OUT_MAX 65536

static int trace_memfd = -1;
static char out[OUT_MAX];

static void capture_start(enum trace_format format)
{
	trace_memfd = memfd_create("trace", 0);
	trace_start(trace_memfd, format);
}

/* What was written, each line less its time and thread. */
static const char *capture_end(void)
{
	char raw[OUT_MAX];
	ssize_t n;
	char *line, *save, *o = out;

	trace_stop();
	n = pread(trace_memfd, raw, sizeof(raw) - 1, 0);
	close(trace_memfd);
	raw[n > 0 ? n : 0] = '\0';
	out[0] = '\0';
	for (line = strtok_r(raw, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *rest;

		if (line[0] == '{') { /* {"time":T,"tid":N,... */
			rest = strchr(strchr(line, ',') + 1, ',') + 1;
			o += sprintf(o, "{%s\n", rest);
		} else {
			rest = strchr(strchr(line, ' ') + 1, ' ') + 1;
			o += sprintf(o, "%s\n", rest);
		}
	}
	return out;
}

static struct iommusim_ctx *ctx;

static long call(unsigned long request, void *arg)
{
	return iommusim_ioctl(ctx, request, arg);
}

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	return call(IOMMU_IOAS_ALLOC, &cmd) ? 0 : cmd.out_ioas_id;
}

#define EXPECT_LINES(expected)                                                 \
	do {                                                                   \
		const char *__seen = capture_end();                            \
		if (strcmp(expected, __seen))                                  \
			printf("# expected:\n%s# seen:\n%s", expected,         \
			       __seen);                                        \
		EXPECT_TRUE(!strcmp(expected, __seen));                        \
	} while (0)

TEST(alloc_destroy_and_an_errno_name)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = 1 };

	ASSERT_EQ(0, iommusim_open(&ctx));
	capture_start(TRACE_FORMAT_TEXT);
	ASSERT_EQ(1, ioas_alloc());
	ASSERT_EQ(0, call(IOMMU_DESTROY, &destroy));
	ASSERT_EQ(-ENOENT, call(IOMMU_DESTROY, &destroy));
	EXPECT_LINES("event object_create ctx=1 type=IOAS id=1\n"
		     "fd=-1 IOMMU_IOAS_ALLOC {size=12, flags=0x0} = 0 "
		     "{out_ioas_id=1}\n"
		     "event object_destroy ctx=1 type=IOAS id=1\n"
		     "fd=-1 IOMMU_DESTROY {size=8, id=1} = 0\n"
		     "fd=-1 IOMMU_DESTROY {size=8, id=1} = -1 ENOENT\n");
	iommusim_close(ctx);
}

TEST(map_unmap_flags_by_name_addresses_in_hex)
{
	void *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buf,
		.length = 4096,
		.iova = 0x1000000,
	};
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.iova = 0x1000000,
		.length = 4096,
	};
	char expected[1024];

	ASSERT_EQ(0, iommusim_open(&ctx));
	map.ioas_id = unmap.ioas_id = ioas_alloc();
	capture_start(TRACE_FORMAT_TEXT);
	ASSERT_EQ(0, call(IOMMU_IOAS_MAP, &map));
	ASSERT_EQ(0, call(IOMMU_IOAS_UNMAP, &unmap));
	map.__reserved = 5;
	map.flags |= 1u << 8;
	ASSERT_EQ(-EOPNOTSUPP, call(IOMMU_IOAS_MAP, &map));
	snprintf(expected, sizeof(expected),
		 "fd=-1 IOMMU_IOAS_MAP {size=40, "
		 "flags=FIXED_IOVA|WRITEABLE|READABLE, ioas_id=1, "
		 "user_va=0x%lx, length=0x1000, iova=0x1000000} = 0 "
		 "{iova=0x1000000}\n"
		 "fd=-1 IOMMU_IOAS_UNMAP {size=24, ioas_id=1, iova=0x1000000, "
		 "length=0x1000} = 0 {length=0x1000}\n"
		 "fd=-1 IOMMU_IOAS_MAP {size=40, "
		 "flags=FIXED_IOVA|WRITEABLE|READABLE|0x100, ioas_id=1, "
		 "__reserved=0x5, user_va=0x%lx, length=0x1000, "
		 "iova=0x1000000} = -1 EOPNOTSUPP\n",
		 (unsigned long)(uintptr_t)buf, (unsigned long)(uintptr_t)buf);
	EXPECT_LINES(expected);
	iommusim_close(ctx);
}

TEST(a_short_struct_shows_only_what_was_passed)
{
	struct iommu_ioas_alloc cmd = { .size = 4 };

	ASSERT_EQ(0, iommusim_open(&ctx));
	capture_start(TRACE_FORMAT_TEXT);
	ASSERT_EQ(-EINVAL, call(IOMMU_IOAS_ALLOC, &cmd));
	ASSERT_EQ(-EFAULT, call(IOMMU_IOAS_ALLOC, NULL));
	EXPECT_LINES("fd=-1 IOMMU_IOAS_ALLOC {size=4} = -1 EINVAL\n"
		     "fd=-1 IOMMU_IOAS_ALLOC {arg=0x0} = -1 EFAULT\n");
	iommusim_close(ctx);
}

TEST(test_ops_nested_data_and_invalidation_entries)
{
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc parent = {
		.size = sizeof(parent),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
	};
	struct iommu_hwpt_alloc nested = {
		.size = sizeof(nested),
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	struct iommu_hwpt_invalidate_selftest inv[2] = {
		{ .iotlb_id = 1 },
		{ .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL },
	};
	struct iommu_hwpt_invalidate invalidate = {
		.size = sizeof(invalidate),
		.data_uptr = (uintptr_t)inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(inv[0]),
		.entry_num = 2,
	};
	char expected[2048];

	ASSERT_EQ(0, iommusim_open(&ctx));
	mock.id = ioas_alloc();
	capture_start(TRACE_FORMAT_TEXT);
	ASSERT_EQ(0, call(IOMMU_TEST_CMD, &mock));
	parent.dev_id = nested.dev_id = mock.mock_domain.out_idev_id;
	parent.pt_id = mock.id;
	ASSERT_EQ(0, call(IOMMU_HWPT_ALLOC, &parent));
	nested.pt_id = parent.out_hwpt_id;
	ASSERT_EQ(0, call(IOMMU_HWPT_ALLOC, &nested));
	invalidate.hwpt_id = nested.out_hwpt_id;
	ASSERT_EQ(0, call(IOMMU_HWPT_INVALIDATE, &invalidate));
	snprintf(expected, sizeof(expected),
		 "event object_create ctx=1 type=DEVICE id=3\n"
		 "event attach ctx=1 dev=3 pasid=0 hwpt=4\n"
		 "event object_create ctx=1 type=HWPT_PAGING id=4\n"
		 "event object_create ctx=1 type=SELFTEST id=2\n"
		 "fd=-1 IOMMU_TEST_OP_MOCK_DOMAIN {size=72, op=MOCK_DOMAIN, "
		 "id=1} = 0 {mock_domain={out_stdev_id=2, out_hwpt_id=4, "
		 "out_idev_id=3}}\n"
		 "event object_create ctx=1 type=HWPT_PAGING id=5\n"
		 "fd=-1 IOMMU_HWPT_ALLOC {size=48, flags=NEST_PARENT, dev_id=3, "
		 "pt_id=1, data_type=NONE, data_len=0, data_uptr=0x0, "
		 "fault_id=0} = 0 {out_hwpt_id=5}\n"
		 "event object_create ctx=1 type=HWPT_NESTED id=6\n"
		 "fd=-1 IOMMU_HWPT_ALLOC {size=48, flags=0x0, dev_id=3, "
		 "pt_id=5, data_type=SELFTEST, data_len=8, data_uptr=0x%lx, "
		 "fault_id=0, data=[{iotlb=0xbadbeef, pagetable_type=DEFAULT}]} "
		 "= 0 {out_hwpt_id=6}\n"
		 "event iotlb_invalidate ctx=1 hwpt=6 data_type=0xdeadbeef "
		 "entries=2 requested=2\n"
		 "fd=-1 IOMMU_HWPT_INVALIDATE {size=32, hwpt_id=6, "
		 "data_uptr=0x%lx, data_type=SELFTEST, entry_len=8, "
		 "entry_num=2, entries=[{flags=0x0, iotlb_id=1}, {flags=ALL, "
		 "iotlb_id=0}]} = 0 {entry_num=2}\n",
		 (unsigned long)(uintptr_t)&data, (unsigned long)(uintptr_t)inv);
	EXPECT_LINES(expected);
	iommusim_close(ctx);
}

TEST(vfio_calls_and_an_unknown_number)
{
	ASSERT_EQ(0, iommusim_open(&ctx));
	capture_start(TRACE_FORMAT_TEXT);
	ASSERT_EQ(VFIO_API_VERSION, call(VFIO_GET_API_VERSION, NULL));
	ASSERT_EQ(1, call(VFIO_CHECK_EXTENSION,
			  (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(-ENODEV,
		  call(VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1_IOMMU));
	ASSERT_EQ(-ENOTTY, call(_IO(';', 0x7f), (void *)0x1234));
	EXPECT_LINES("fd=-1 VFIO_GET_API_VERSION {} = 0\n"
		     "fd=-1 VFIO_CHECK_EXTENSION {arg=VFIO_TYPE1v2_IOMMU} = 1\n"
		     "fd=-1 VFIO_SET_IOMMU {arg=VFIO_TYPE1_IOMMU} = -1 ENODEV\n"
		     "fd=-1 ioctl(0x3b7f) {arg=0x1234} = -1 ENOTTY\n");
	iommusim_close(ctx);
}

TEST(json_lines_say_the_same)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = 1 };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	char *line, *save;

	ASSERT_EQ(0, iommusim_open(&ctx));
	capture_start(TRACE_FORMAT_JSON);
	ASSERT_EQ(1, ioas_alloc());
	ASSERT_EQ(0, call(IOMMU_DESTROY, &destroy));
	ASSERT_EQ(-ENOENT, call(IOMMU_DESTROY, &destroy));
	EXPECT_LINES(
		"{\"event\":\"object_create\",\"ctx\":1,\"type\":\"IOAS\",\"id\":1}\n"
		"{\"fd\":-1,\"call\":\"IOMMU_IOAS_ALLOC\",\"in\":{\"size\":12,"
		"\"flags\":\"0x0\"},\"result\":0,\"out\":{\"out_ioas_id\":1}}\n"
		"{\"event\":\"object_destroy\",\"ctx\":1,\"type\":\"IOAS\",\"id\":1}\n"
		"{\"fd\":-1,\"call\":\"IOMMU_DESTROY\",\"in\":{\"size\":8,"
		"\"id\":1},\"result\":0}\n"
		"{\"fd\":-1,\"call\":\"IOMMU_DESTROY\",\"in\":{\"size\":8,"
		"\"id\":1},\"result\":-1,\"errno\":\"ENOENT\"}\n");

	/* every line of a richer run parses, time and thread included */
	capture_start(TRACE_FORMAT_JSON);
	mock.id = ioas_alloc();
	ASSERT_EQ(0, call(IOMMU_TEST_CMD, &mock));
	ASSERT_EQ(-EINVAL, call(VFIO_SET_IOMMU, (void *)7));
	trace_stop();
	{
		char raw[OUT_MAX];
		ssize_t n = pread(trace_memfd, raw, sizeof(raw) - 1, 0);
		int lines = 0;

		ASSERT_TRUE(n > 0);
		raw[n] = '\0';
		for (line = strtok_r(raw, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save), lines++) {
			if (!json_line_valid(line))
				printf("# not JSON: %s\n", line);
			EXPECT_TRUE(json_line_valid(line));
		}
		EXPECT_EQ(8, lines);
	}
	close(trace_memfd);
	iommusim_close(ctx);
}

TEST(fault_queue_records_read_and_written)
{
	struct iommu_hwpt_pgfault faults[2] = {
		{ .flags = IOMMU_PGFAULT_FLAGS_PASID_VALID, .dev_id = 3,
		  .pasid = 7, .grpid = 1, .perm = IOMMU_PGFAULT_PERM_READ,
		  .addr = 0x5000, .cookie = 11 },
		{ .flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE, .dev_id = 3,
		  .grpid = 1,
		  .perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE,
		  .addr = 0x6000, .cookie = 12 },
	};
	struct iommu_hwpt_page_response response = {
		.cookie = 12, .code = IOMMUFD_PAGE_RESP_INVALID,
	};

	capture_start(TRACE_FORMAT_TEXT);
	trace_rw(&fault_trace_file, 9, "read", (uintptr_t)faults,
		 sizeof(faults), -1, sizeof(faults));
	trace_rw(&fault_trace_file, 9, "write", (uintptr_t)&response,
		 sizeof(response), -1, sizeof(response));
	trace_rw(&fault_trace_file, 9, "read", (uintptr_t)faults, 8, -1,
		 -EAGAIN);
	EXPECT_LINES(
		"fd=9 read {len=0x50} = 80 [{flags=PASID_VALID, dev_id=3, "
		"pasid=7, grpid=1, perm=READ, addr=0x5000, length=0x0, "
		"cookie=11}, {flags=LAST_PAGE, dev_id=3, pasid=0, grpid=1, "
		"perm=READ|WRITE, addr=0x6000, length=0x0, cookie=12}]\n"
		"fd=9 write {len=0x8} = 8 [{cookie=12, code=INVALID}]\n"
		"fd=9 read {len=0x8} = -1 EAGAIN\n");
}

/* A read or write on descriptor fd as the shim makes it: fget(), then the
 * VFS call. */
static ssize_t fd_rw(int fd, bool write, void *buf, size_t len)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return -EBADF;
	rc = write ? vfs_write(file, (uintptr_t)buf, len) :
		     vfs_read(file, (uintptr_t)buf, len);
	fput(file);
	return rc;
}

TEST(a_fault_queued_read_and_answered)
{
	struct iommu_test_cmd trigger = {
		.size = sizeof(trigger),
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .grpid = 5, .perm = IOMMU_PGFAULT_PERM_WRITE,
				  .addr = 0x7000 },
	};
	struct iommu_hwpt_pgfault record;
	struct iommu_hwpt_page_response response = {
		.code = IOMMUFD_PAGE_RESP_SUCCESS,
	};
	struct nested_fault t;
	char expected[2048];
	int qfd;

	ASSERT_EQ(0, iommusim_open(&ctx));
	ASSERT_EQ(0, nested_fault_build(ctx, 0, true, &t));
	qfd = t.fault_fd;
	trigger.trigger_iopf.dev_id = t.idev;

	capture_start(TRACE_FORMAT_TEXT);
	ASSERT_EQ(0, call(IOMMU_TEST_CMD, &trigger));
	ASSERT_EQ(sizeof(record), fd_rw(qfd, false, &record, sizeof(record)));
	response.cookie = record.cookie;
	ASSERT_EQ(sizeof(response),
		  fd_rw(qfd, true, &response, sizeof(response)));
	snprintf(expected, sizeof(expected),
		 "event fault ctx=1 fault=6 hwpt=7 dev=3 flags=LAST_PAGE "
		 "pasid=0 grpid=5 perm=WRITE addr=0x7000 records=1\n"
		 "fd=-1 IOMMU_TEST_OP_TRIGGER_IOPF {size=72, op=TRIGGER_IOPF, "
		 "id=0, trigger_iopf={dev_id=3, pasid=0, grpid=5, perm=WRITE, "
		 "addr=0x7000}} = 0\n"
		 "fd=%d read {len=0x28} = 40 [{flags=LAST_PAGE, dev_id=3, "
		 "pasid=0, grpid=5, perm=WRITE, addr=0x7000, length=0x0, "
		 "cookie=1}]\n"
		 "event page_response ctx=1 dev=3 grpid=5 cookie=1 "
		 "code=SUCCESS\n"
		 "fd=%d write {len=0x8} = 8 [{cookie=1, code=SUCCESS}]\n",
		 qfd, qfd);
	EXPECT_LINES(expected);
	close(qfd);
	iommusim_close(ctx);
}

TEST(events_of_other_layers)
{
	capture_start(TRACE_FORMAT_TEXT);
	trace_event(TRACE_EVENT_DMA, TA_ID("dev", 3), TA_DEC("pasid", 0),
		    TA_HEX("iova", 0x1000), TA_HEX("len", 0x40),
		    TA_STR("dir", "read"), TA_STR("result", "EIO"));
	trace_event(TRACE_EVENT_FAIL, TA_STR("site", "iopt_area_alloc"),
		    TA_DEC("nth", 3));
	EXPECT_LINES("event dma dev=3 pasid=0 iova=0x1000 len=0x40 dir=read "
		     "result=EIO\n"
		     "event fail site=iopt_area_alloc nth=3\n");
}

TEST(off_writes_nothing)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = 9 };

	ASSERT_EQ(0, iommusim_open(&ctx));
	capture_start(TRACE_FORMAT_TEXT);
	trace_stop();
	ASSERT_EQ(-ENOENT, call(IOMMU_DESTROY, &destroy));
	EXPECT_LINES("");
	iommusim_close(ctx);
}

TEST_HARNESS_MAIN
