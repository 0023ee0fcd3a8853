// SPDX-License-Identifier: MIT
/*
 * An ordinary iommufd program building what a vIOMMU emulation builds: an
 * IOAS with guest memory, a NEST_PARENT paging HWPT over it (stage 2), a
 * nested HWPT carrying the guest's stage-1 description, and a device moved
 * onto it; then a guest-requested IOTLB invalidation; then the teardown.
 * The device is the kernel selftest's mock device (IOMMU_TEST_OP_MOCK_DOMAIN,
 * moved with IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE).
 *
 * With --keep it leaves the topology standing and lets close() tear it
 * down, as the kernel does for a program that exits: what
 * `iommusim run --graph=FILE.dot -- nested_topology --keep` draws.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#define GUEST_RAM (4u << 20)

static int fd;

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "%s: %s\n", what, strerror(errno));
		_exit(1);
	}
}

static uint32_t hwpt_alloc(uint32_t dev, uint32_t pt, uint32_t flags,
			   uint32_t type, void *data, uint32_t len)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev,
		.pt_id = pt,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};

	check(ioctl(fd, IOMMU_HWPT_ALLOC, &cmd), "IOMMU_HWPT_ALLOC");
	return cmd.out_hwpt_id;
}

static void destroy(uint32_t id, const char *what)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	check(ioctl(fd, IOMMU_DESTROY, &cmd), "IOMMU_DESTROY");
	printf("  destroyed %s %u\n", what, id);
}

static int iotlb_is(uint32_t hwpt, uint32_t entry, uint32_t value)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt,
		.check_iotlb = { .id = entry, .iotlb = value },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd) == 0;
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct iommu_test_cmd replace = {
		.size = sizeof(replace),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_hwpt_selftest stage1 = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv = { .iotlb_id = 2 };
	struct iommu_hwpt_invalidate invalidate = { .size = sizeof(invalidate) };
	uint32_t dev, stdev, auto_hwpt, parent, nested;
	void *ram;

	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	check(fd < 0, "open /dev/iommu");
	check(ioctl(fd, IOMMU_IOAS_ALLOC, &ioas), "IOMMU_IOAS_ALLOC");

	/* a device, attached to the IOAS through an automatic HWPT */
	mock.id = ioas.out_ioas_id;
	check(ioctl(fd, IOMMU_TEST_CMD, &mock), "IOMMU_TEST_OP_MOCK_DOMAIN");
	dev = mock.mock_domain.out_idev_id;
	stdev = mock.mock_domain.out_stdev_id;
	auto_hwpt = mock.mock_domain.out_hwpt_id;

	/* stage 2: the guest's RAM at guest-physical 16 MiB */
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(ram == MAP_FAILED, "mmap");
	parent = hwpt_alloc(dev, ioas.out_ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    IOMMU_HWPT_DATA_NONE, NULL, 0);
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = ioas.out_ioas_id;
	map.user_va = (uintptr_t)ram;
	map.length = GUEST_RAM;
	map.iova = MOCK_APERTURE_START;
	check(ioctl(fd, IOMMU_IOAS_MAP, &map), "IOMMU_IOAS_MAP");

	/* stage 1: what the guest programmed, handed to a nested HWPT */
	nested = hwpt_alloc(dev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &stage1,
			    sizeof(stage1));

	/* the device moves onto the nested HWPT; its automatic one goes */
	replace.id = stdev;
	replace.mock_domain_replace.pt_id = nested;
	check(ioctl(fd, IOMMU_TEST_CMD, &replace), "replace onto the nested HWPT");

	printf("topology:\n");
	printf("  IOAS %u: %u MiB of guest RAM at iova %#x\n",
	       ioas.out_ioas_id, GUEST_RAM >> 20, MOCK_APERTURE_START);
	printf("  HWPT %u: paging, NEST_PARENT, over IOAS %u (stage 2)\n",
	       parent, ioas.out_ioas_id);
	printf("  HWPT %u: nested over HWPT %u (stage 1), IOTLB %#x x4\n",
	       nested, parent, IOMMU_TEST_IOTLB_DEFAULT);
	printf("  device %u moved from automatic HWPT %u to HWPT %u\n", dev,
	       auto_hwpt, replace.mock_domain_replace.pt_id);

	/* the guest invalidates one IOTLB entry */
	invalidate.hwpt_id = nested;
	invalidate.data_uptr = (uintptr_t)&inv;
	invalidate.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	invalidate.entry_len = sizeof(inv);
	invalidate.entry_num = 1;
	check(ioctl(fd, IOMMU_HWPT_INVALIDATE, &invalidate),
	      "IOMMU_HWPT_INVALIDATE");
	printf("IOMMU_HWPT_INVALIDATE: %u entry handled; IOTLB now:",
	       invalidate.entry_num);
	for (uint32_t i = 0; i <= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; i++)
		printf(" %s", iotlb_is(nested, i, 0) ? "0" : "0xbadbeef");
	printf("\n");

	/* the parent is busy while the nested HWPT uses it */
	struct iommu_destroy busy = { .size = sizeof(busy), .id = parent };

	if (ioctl(fd, IOMMU_DESTROY, &busy) == 0 || errno != EBUSY)
		check(-1, "destroying a busy parent should be EBUSY");
	if (argc > 1 && !strcmp(argv[1], "--keep")) {
		printf("teardown left to close()\n");
		close(fd);
		return 0;
	}
	printf("teardown (the parent refused with EBUSY while in use):\n");
	destroy(stdev, "mock device");
	destroy(nested, "nested HWPT");
	destroy(parent, "parent HWPT");
	destroy(ioas.out_ioas_id, "IOAS");
	close(fd);
	return 0;
}
