// SPDX-License-Identifier: MIT
/*
 * The vIOMMU objects from inside (src/iommufd/veventq.c, viommu.c,
 * graph.c): a vEVENTQ's sequence numbers wrap from INT_MAX to 0, the lost
 * header's too (too many events to reach through the uAPI, so the test
 * sets the counter), and the graph draws a vIOMMU, its vDEVICE, its
 * vEVENTQ, a nested HWPT on it and a HW queue with their edges.
 *
 * The topology is built through iommusim_ioctl(), as a program would.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "base/file.h"
#include "harness.h"
#include "iommufd/graph.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/veventq.h"

static struct iommusim_ctx *ctx;

static int call(unsigned long request, void *arg)
{
	return iommusim_ioctl(ctx, request, arg);
}

/* IDs of the topology every test starts from. */
struct topology {
	uint32_t ioas, stdev, dev, parent, viommu, vdev, nested;
	uint32_t veventq, veventq_fd;
};

/* A mock device attached to a nested HWPT on a selftest vIOMMU, known to
 * it as 0x99, and a selftest vEVENTQ of the given depth. */
static int build(struct topology *t, uint32_t depth)
{
	static const struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct iommu_hwpt_alloc parent = {
		.size = sizeof(parent),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
	};
	struct iommu_viommu_alloc viommu = {
		.size = sizeof(viommu),
		.type = IOMMU_VIOMMU_TYPE_SELFTEST,
	};
	struct iommu_vdevice_alloc vdev = {
		.size = sizeof(vdev),
		.virt_id = 0x99,
	};
	struct iommu_hwpt_alloc nested = {
		.size = sizeof(nested),
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	struct iommu_test_cmd replace = {
		.size = sizeof(replace),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};
	struct iommu_veventq_alloc veventq = {
		.size = sizeof(veventq),
		.type = IOMMU_VEVENTQ_TYPE_SELFTEST,
		.veventq_depth = depth,
	};
	int rc;

	if ((rc = iommusim_open(&ctx)) || (rc = call(IOMMU_IOAS_ALLOC, &ioas)))
		return rc;
	t->ioas = mock.id = parent.pt_id = ioas.out_ioas_id;
	if ((rc = call(IOMMU_TEST_CMD, &mock)))
		return rc;
	t->stdev = replace.id = mock.mock_domain.out_stdev_id;
	t->dev = parent.dev_id = viommu.dev_id = vdev.dev_id = nested.dev_id =
		mock.mock_domain.out_idev_id;
	if ((rc = call(IOMMU_HWPT_ALLOC, &parent)))
		return rc;
	t->parent = viommu.hwpt_id = parent.out_hwpt_id;
	if ((rc = call(IOMMU_VIOMMU_ALLOC, &viommu)))
		return rc;
	t->viommu = vdev.viommu_id = nested.pt_id = veventq.viommu_id =
		viommu.out_viommu_id;
	if ((rc = call(IOMMU_VDEVICE_ALLOC, &vdev)) ||
	    (rc = call(IOMMU_HWPT_ALLOC, &nested)))
		return rc;
	t->vdev = vdev.out_vdevice_id;
	t->nested = replace.mock_domain_replace.pt_id = nested.out_hwpt_id;
	if ((rc = call(IOMMU_TEST_CMD, &replace)) ||
	    (rc = call(IOMMU_VEVENTQ_ALLOC, &veventq)))
		return rc;
	t->veventq = veventq.out_veventq_id;
	t->veventq_fd = veventq.out_veventq_fd;
	return 0;
}

static int trigger(uint32_t dev, unsigned int n)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = dev },
	};
	int rc = 0;

	while (n-- && !rc)
		rc = call(IOMMU_TEST_CMD, &cmd);
	return rc;
}

/* Sets the number the queue's next event takes. */
static void set_sequence(uint32_t veventq_id, uint32_t next)
{
	struct iommufd_ctx *ictx = (struct iommufd_ctx *)ctx;
	struct iommufd_object *obj =
		object_get(ictx, veventq_id, IOMMUFD_OBJ_VEVENTQ);

	iommufd_veventq_set_sequence(obj, next);
	object_put(ictx, obj);
}

static ssize_t read_fd(uint32_t fd, void *buf, size_t len)
{
	struct file *file = fget((int)fd);
	ssize_t rc;

	if (!file)
		return -EBADF;
	rc = vfs_read(file, (uint64_t)(uintptr_t)buf, len);
	fput(file);
	return rc;
}

struct record {
	struct iommufd_vevent_header hdr;
	struct iommu_viommu_event_selftest event;
};

TEST(sequence_wraps_at_int_max)
{
	struct record rec[3];
	struct topology t;

	ASSERT_EQ(0, build(&t, 4));
	set_sequence(t.veventq, INT_MAX - 1);
	ASSERT_EQ(0, trigger(t.dev, 3));
	ASSERT_EQ(3 * sizeof(rec[0]), read_fd(t.veventq_fd, rec, sizeof(rec)));
	ASSERT_EQ(INT_MAX - 1, rec[0].hdr.sequence);
	ASSERT_EQ(INT_MAX, rec[1].hdr.sequence);
	ASSERT_EQ(0, rec[2].hdr.sequence);
	ASSERT_EQ(0x99, rec[2].event.virt_id);
	file_uninstall((int)t.veventq_fd);
	iommusim_close(ctx);
}

TEST(lost_header_wraps_too)
{
	struct {
		struct record ev;
		struct iommufd_vevent_header lost;
	} buf;
	struct topology t;

	ASSERT_EQ(0, build(&t, 1));
	set_sequence(t.veventq, INT_MAX);
	/* INT_MAX queued, the next (0) lost, the one after (1) lost too */
	ASSERT_EQ(0, trigger(t.dev, 3));
	ASSERT_EQ(sizeof(buf), read_fd(t.veventq_fd, &buf, sizeof(buf)));
	ASSERT_EQ(INT_MAX, buf.ev.hdr.sequence);
	ASSERT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, buf.lost.flags);
	ASSERT_EQ(1, buf.lost.sequence);
	file_uninstall((int)t.veventq_fd);
	iommusim_close(ctx);
}

/* Whether dot holds line. */
static bool has_line(const char *dot, const char *line)
{
	return strstr(dot, line) != NULL;
}

TEST(graph_draws_the_viommu_objects)
{
	void *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buf,
		.length = 4096,
		.iova = MOCK_APERTURE_START,
	};
	struct iommu_hw_queue_alloc queue = {
		.size = sizeof(queue),
		.type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
		.nesting_parent_iova = MOCK_APERTURE_START,
		.length = 4096,
	};
	char *dot = NULL, line[160];
	size_t len = 0;
	struct topology t;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, build(&t, 4));
	map.ioas_id = t.ioas;
	queue.viommu_id = t.viommu;
	ASSERT_EQ(0, call(IOMMU_IOAS_MAP, &map));
	ASSERT_EQ(0, call(IOMMU_HW_QUEUE_ALLOC, &queue));
	ASSERT_EQ(0, graph_context_dot((struct iommufd_ctx *)ctx, &dot, &len));
	ASSERT_NONNULL(dot);
	snprintf(line, sizeof(line),
		 "c1_%u [shape=component, label=\"vIOMMU %u\\ntype 0xdeadbeef\"];",
		 t.viommu, t.viommu);
	ASSERT_TRUE(has_line(dot, line));
	snprintf(line, sizeof(line), "c1_%u -> c1_%u [label=\"parent\"];",
		 t.viommu, t.parent);
	ASSERT_TRUE(has_line(dot, line));
	snprintf(line, sizeof(line),
		 "c1_%u [shape=ellipse, style=dashed, label=\"vDEVICE %u\\nvirt_id 0x99\"];",
		 t.vdev, t.vdev);
	ASSERT_TRUE(has_line(dot, line));
	snprintf(line, sizeof(line), "c1_%u -> c1_%u [label=\"is\"];", t.vdev,
		 t.dev);
	ASSERT_TRUE(has_line(dot, line));
	snprintf(line, sizeof(line), "c1_%u -> c1_%u [label=\"vIOMMU\"];",
		 t.nested, t.viommu);
	ASSERT_TRUE(has_line(dot, line));
	snprintf(line, sizeof(line), "c1_%u -> c1_%u [label=\"events of\"];",
		 t.veventq, t.viommu);
	ASSERT_TRUE(has_line(dot, line));
	snprintf(line, sizeof(line), "c1_%u -> c1_%u [label=\"on\"];",
		 queue.out_hw_queue_id, t.viommu);
	ASSERT_TRUE(has_line(dot, line));
	free(dot);
	file_uninstall((int)t.veventq_fd);
	iommusim_close(ctx);
	munmap(buf, 4096);
}

TEST_HARNESS_MAIN
