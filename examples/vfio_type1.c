// SPDX-License-Identifier: MIT
/*
 * A VFIO type1 container program, as VMMs wrote them before iommufd: open
 * /dev/vfio/vfio, check the API and the extensions, pick the IOMMU type,
 * read the usable IOVA ranges from VFIO_IOMMU_GET_INFO's capability chain,
 * map a buffer for DMA, and unmap it (part of it first: TYPE1 allows that,
 * TYPE1v2 would not).
 *
 * The container is served by iommufd, as on a kernel built with
 * CONFIG_IOMMUFD_VFIO_CONTAINER. A real program would put a VFIO group in
 * it (VFIO_GROUP_SET_CONTAINER), which makes the IOAS the type1 calls act
 * on; here the kernel selftest's mock device plays the group: an IOAS with
 * a mock device attached, made the container's with IOMMU_VFIO_IOAS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#define BUF_SIZE (64 * 1024)

static int container;

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "%s: %s\n", what, strerror(errno));
		_exit(1);
	}
}

/* What VFIO_GROUP_SET_CONTAINER would do: an IOAS behind the container,
 * with a device's IOMMU domain attached. */
static void attach_mock_group(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct iommu_vfio_ioas set = {
		.size = sizeof(set),
		.op = IOMMU_VFIO_IOAS_SET,
	};

	check(ioctl(container, IOMMU_IOAS_ALLOC, &alloc), "IOMMU_IOAS_ALLOC");
	mock.id = alloc.out_ioas_id;
	check(ioctl(container, IOMMU_TEST_CMD, &mock),
	      "IOMMU_TEST_OP_MOCK_DOMAIN");
	set.ioas_id = alloc.out_ioas_id;
	check(ioctl(container, IOMMU_VFIO_IOAS, &set), "IOMMU_VFIO_IOAS");
	printf("mock group attached: ioas %u, hwpt %u\n", alloc.out_ioas_id,
	       mock.mock_domain.out_hwpt_id);
}

static void print_iova_ranges(const struct vfio_iommu_type1_info *info)
{
	const char *base = (const char *)info;
	uint32_t offset = info->cap_offset;

	while (offset) {
		const struct vfio_info_cap_header *cap =
			(const void *)(base + offset);

		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			const struct vfio_iommu_type1_info_cap_iova_range *r =
				(const void *)cap;

			for (uint32_t i = 0; i < r->nr_iovas; i++)
				printf("  usable [%#llx, %#llx]\n",
				       (unsigned long long)r->iova_ranges[i].start,
				       (unsigned long long)r->iova_ranges[i].end);
		} else if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			const struct vfio_iommu_type1_info_dma_avail *a =
				(const void *)cap;

			printf("  DMA mappings available: %u\n", a->avail);
		}
		offset = cap->next;
	}
}

/* GET_INFO twice, as VFIO users do: the first call says how big the
 * reply with its capabilities is. */
static uint64_t get_info(void)
{
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) };
	struct vfio_iommu_type1_info *info;
	uint64_t pgsizes;

	check(ioctl(container, VFIO_IOMMU_GET_INFO, &probe),
	      "VFIO_IOMMU_GET_INFO");
	info = calloc(1, probe.argsz);
	check(!info, "calloc");
	info->argsz = probe.argsz;
	check(ioctl(container, VFIO_IOMMU_GET_INFO, info),
	      "VFIO_IOMMU_GET_INFO");
	printf("VFIO_IOMMU_GET_INFO: %u bytes, page sizes %#llx\n",
	       info->argsz, (unsigned long long)info->iova_pgsizes);
	print_iova_ranges(info);
	pgsizes = info->iova_pgsizes;
	free(info);
	return pgsizes;
}

static void unmap(uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.iova = iova,
		.size = size,
	};

	check(ioctl(container, VFIO_IOMMU_UNMAP_DMA, &cmd),
	      "VFIO_IOMMU_UNMAP_DMA");
	printf("VFIO_IOMMU_UNMAP_DMA [%#llx, +%#llx): %#llx bytes\n",
	       (unsigned long long)iova, (unsigned long long)size,
	       (unsigned long long)cmd.size);
}

int main(void)
{
	const uint64_t iova = MOCK_APERTURE_START;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = iova,
		.size = BUF_SIZE,
	};
	uint64_t pgsizes, page;
	void *buf;

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	check(container < 0, "open /dev/vfio/vfio");
	printf("VFIO_GET_API_VERSION: %d\n",
	       ioctl(container, VFIO_GET_API_VERSION));
	printf("VFIO_CHECK_EXTENSION: TYPE1 %d, TYPE1v2 %d, UNMAP_ALL %d, "
	       "UPDATE_VADDR %d\n",
	       ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU),
	       ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU),
	       ioctl(container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL),
	       ioctl(container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));

	attach_mock_group();
	check(ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU),
	      "VFIO_SET_IOMMU");
	printf("VFIO_SET_IOMMU: TYPE1 (unmap inside a mapping allowed)\n");
	printf("VFIO_CHECK_EXTENSION: DMA_CC_IOMMU %d\n",
	       ioctl(container, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	pgsizes = get_info();
	page = pgsizes & -pgsizes; /* the smallest */

	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(buf == MAP_FAILED, "mmap");
	map.vaddr = (uintptr_t)buf;
	check(ioctl(container, VFIO_IOMMU_MAP_DMA, &map), "VFIO_IOMMU_MAP_DMA");
	printf("VFIO_IOMMU_MAP_DMA: %#x bytes at iova %#llx\n", BUF_SIZE,
	       (unsigned long long)iova);

	/* A page out of the middle, then what is left, then nothing. */
	unmap(iova + 4 * page, page);
	unmap(iova, BUF_SIZE);
	unmap(iova, BUF_SIZE);
	close(container);
	return 0;
}
