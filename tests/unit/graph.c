// SPDX-License-Identifier: MIT
/*
 * The object graph of a known topology (src/iommufd/graph.c), exactly:
 * an IOAS with two areas and an allowed range, a PASID-capable mock device
 * moved from its automatic HWPT to a paging HWPT with PASID and dirty
 * tracking on, which holds its RID and its PASID 7, and an access (taking
 * the automatic HWPT's freed ID) pinning through the IOAS. The nested case is tests/graph.sh's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "harness.h"
#include "iommufd/graph.h"
#include "iommufd/iommufd_private.h"
#include "nested_fault.h"

static struct iommusim_ctx *ctx;

static int call(unsigned long request, void *arg)
{
	return iommusim_ioctl(ctx, request, arg);
}

static int map(uint32_t ioas, void *buf, uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = 0x2000,
		.iova = iova,
	};

	return call(IOMMU_IOAS_MAP, &cmd);
}

TEST(pasid_dirty_tracking_and_an_access)
{
	void *buf = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_iova_range allowed = { .start = 0x1000000,
					    .last = 0x1ffffff };
	struct iommu_ioas_allow_iovas allow = {
		.size = sizeof(allow),
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&allowed,
	};
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.mock_domain_flags = { .dev_flags = MOCK_FLAGS_DEVICE_PASID },
	};
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = IOMMU_HWPT_ALLOC_PASID |
			 IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
	};
	struct iommu_hwpt_set_dirty_tracking dirty = {
		.size = sizeof(dirty),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};
	struct iommu_test_cmd replace = {
		.size = sizeof(replace),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};
	struct iommu_test_cmd pasid = {
		.size = sizeof(pasid),
		.op = IOMMU_TEST_OP_PASID_ATTACH,
		.pasid_attach = { .pasid = 7 },
	};
	struct iommu_test_cmd access = {
		.size = sizeof(access),
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
	};
	char *dot = NULL;
	size_t len = 0;
	const char *expected =
		"\tsubgraph cluster_ctx1 {\n"
		"\t\tlabel=\"context 1\";\n"
		"\t\tc1_1 [shape=folder, label=\"IOAS 1\\n2 areas, 0x4000 bytes"
		"\\n0x1000000..0x1001fff rw\\n0x1800000..0x1801fff r"
		"\\nallowed 0x1000000..0x1ffffff\\n2 reserved ranges\"];\n"
		"\t\tc1_2 [shape=note, label=\"SELFTEST 2\"];\n"
		"\t\tc1_2 -> c1_3 [label=\"mock device\", style=dashed];\n"
		"\t\tc1_3 [shape=ellipse, label=\"device 3\"];\n"
		"\t\tc1_3 -> c1_5 [label=\"RID\"];\n"
		"\t\tc1_3 -> c1_5 [label=\"pasid 7\"];\n"
		"\t\tc1_4 [shape=cds, label=\"access 4\"];\n"
		"\t\tc1_4 -> c1_1 [label=\"pins\"];\n"
		"\t\tc1_5 [shape=box, label=\"HWPT 5\\npaging\\ndirty tracking "
		"on\\nPASID\"];\n"
		"\t\tc1_5 -> c1_1 [label=\"maps\"];\n"
		"\t}\n";

	ASSERT_TRUE(buf != MAP_FAILED);
	ASSERT_EQ(0, iommusim_open(&ctx));
	ASSERT_EQ(0, call(IOMMU_IOAS_ALLOC, &ioas));
	allow.ioas_id = ioas.out_ioas_id;
	ASSERT_EQ(0, call(IOMMU_IOAS_ALLOW_IOVAS, &allow));
	ASSERT_EQ(0, map(ioas.out_ioas_id, buf, 0x1000000,
			 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_EQ(0, map(ioas.out_ioas_id, buf, 0x1800000,
			 IOMMU_IOAS_MAP_READABLE));
	mock.id = ioas.out_ioas_id;
	ASSERT_EQ(0, call(IOMMU_TEST_CMD, &mock));
	hwpt.dev_id = mock.mock_domain_flags.out_idev_id;
	hwpt.pt_id = ioas.out_ioas_id;
	ASSERT_EQ(0, call(IOMMU_HWPT_ALLOC, &hwpt));
	dirty.hwpt_id = hwpt.out_hwpt_id;
	ASSERT_EQ(0, call(IOMMU_HWPT_SET_DIRTY_TRACKING, &dirty));
	replace.id = mock.mock_domain_flags.out_stdev_id;
	replace.mock_domain_replace.pt_id = hwpt.out_hwpt_id;
	ASSERT_EQ(0, call(IOMMU_TEST_CMD, &replace));
	pasid.id = mock.mock_domain_flags.out_stdev_id;
	pasid.pasid_attach.pt_id = hwpt.out_hwpt_id;
	ASSERT_EQ(0, call(IOMMU_TEST_CMD, &pasid));
	access.id = ioas.out_ioas_id;
	ASSERT_EQ(0, call(IOMMU_TEST_CMD, &access));

	ASSERT_EQ(0, graph_context_dot((struct iommufd_ctx *)ctx, &dot, &len));
	ASSERT_EQ(strlen(dot), len);
	if (strcmp(expected, dot))
		printf("# expected:\n%s# seen:\n%s", expected, dot);
	EXPECT_TRUE(!strcmp(expected, dot));
	free(dot);
	close((int)access.create_access.out_access_fd);
	iommusim_close(ctx);
}

TEST(a_nested_hwpt_with_its_fault_queue)
{
	struct nested_fault t;
	char *dot = NULL;
	size_t len = 0;

	ASSERT_EQ(0, iommusim_open(&ctx));
	ASSERT_EQ(0, nested_fault_build(ctx, 0, false, &t));
	ASSERT_EQ(7, t.nested);

	ASSERT_EQ(0, graph_context_dot((struct iommufd_ctx *)ctx, &dot, &len));
	EXPECT_TRUE(strstr(dot, "\t\tc1_6 [shape=note, label=\"FAULT 6\"];\n") !=
		    NULL);
	EXPECT_TRUE(strstr(dot, "\t\tc1_7 -> c1_6 [label=\"faults\", "
				"style=dotted];\n\t\tc1_7 [shape=box, "
				"style=rounded, label=\"HWPT 7\\nnested\"];\n"
				"\t\tc1_7 -> c1_5 [label=\"parent\"];\n") != NULL);
	if (!strstr(dot, "c1_7 -> c1_6"))
		printf("# seen:\n%s", dot);
	free(dot);
	close(t.fault_fd);
	iommusim_close(ctx);
}

/* Areas of a memfd and of a dma-buf say where their memory comes from. */
TEST(file_and_dmabuf_areas)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd dmabuf = {
		.size = sizeof(dmabuf),
		.op = IOMMU_TEST_OP_DMABUF_GET,
		.dmabuf_get = { .length = 0x2000, .open_flags = O_CLOEXEC },
	};
	struct iommu_ioas_map_file map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.length = 0x2000,
		.iova = 0x10000,
	};
	char *dot = NULL;
	size_t len = 0;
	int mfd, dfd;

	mfd = memfd_create("graph", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 0x2000));
	ASSERT_EQ(0, iommusim_open(&ctx));
	ASSERT_EQ(0, call(IOMMU_IOAS_ALLOC, &alloc));
	dfd = call(IOMMU_TEST_CMD, &dmabuf);
	ASSERT_LE(0, dfd);
	map.ioas_id = alloc.out_ioas_id;
	map.fd = mfd;
	ASSERT_EQ(0, call(IOMMU_IOAS_MAP_FILE, &map));
	map.fd = dfd;
	map.iova = 0x20000;
	ASSERT_EQ(0, call(IOMMU_IOAS_MAP_FILE, &map));

	ASSERT_EQ(0, graph_context_dot((struct iommufd_ctx *)ctx, &dot, &len));
	EXPECT_TRUE(strstr(dot, "\\n0x10000..0x11fff r file\\n"
				"0x20000..0x21fff r dma-buf") != NULL);
	if (!strstr(dot, "r dma-buf"))
		printf("# seen:\n%s", dot);
	free(dot);
	iommusim_close(ctx);
	close(dfd);
	close(mfd);
}

TEST(an_empty_context)
{
	char *dot = NULL;
	size_t len = 0;

	ASSERT_EQ(0, iommusim_open(&ctx));
	ASSERT_EQ(0, graph_context_dot((struct iommufd_ctx *)ctx, &dot, &len));
	EXPECT_TRUE(!strcmp("\tsubgraph cluster_ctx1 {\n"
			    "\t\tlabel=\"context 1\";\n"
			    "\t\tc1_empty [shape=plaintext, "
			    "label=\"(no objects)\"];\n"
			    "\t}\n",
			    dot));
	free(dot);
	iommusim_close(ctx);
}

TEST_HARNESS_MAIN
