// SPDX-License-Identifier: MIT
/*
 * An ordinary iommufd program: it makes an IO address space, reserves a hole
 * in it, maps a buffer at a fixed IOVA and another wherever the kernel's
 * placement policy puts it, asks which IOVA ranges are usable, copies a
 * mapping, and unmaps everything.
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

#define BUF_SIZE (64 * 1024)

static int fd;

static int check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "%s: %s\n", what, strerror(errno));
		_exit(1);
	}
	return rc;
}

static uint64_t map(uint32_t ioas, void *buf, uint64_t length, uint64_t iova,
		    uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = length,
		.iova = iova,
	};

	check(ioctl(fd, IOMMU_IOAS_MAP, &cmd), "IOMMU_IOAS_MAP");
	printf("IOMMU_IOAS_MAP: %#llx bytes at iova %#llx%s\n",
	       (unsigned long long)length, (unsigned long long)cmd.iova,
	       flags & IOMMU_IOAS_MAP_FIXED_IOVA ? " (fixed)" : " (chosen)");
	return cmd.iova;
}

static void print_ranges(uint32_t ioas)
{
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 0,
		.allowed_iovas = (uintptr_t)ranges,
	};

	/* First ask with no room: EMSGSIZE says how many there are. */
	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd) == 0 || errno != EMSGSIZE)
		check(-1, "IOMMU_IOAS_IOVA_RANGES with no room");
	printf("IOMMU_IOAS_IOVA_RANGES: %u ranges, alignment %llu\n",
	       cmd.num_iovas, (unsigned long long)cmd.out_iova_alignment);
	check(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd), "IOMMU_IOAS_IOVA_RANGES");
	for (unsigned int i = 0; i < cmd.num_iovas; i++)
		printf("  usable [%#llx, %#llx]\n",
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);
}

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd reserve = {
		.size = sizeof(reserve),
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.add_reserved = { .start = 0xfee00000, .length = 0x100000 },
	};
	struct iommu_ioas_copy copy = { .size = sizeof(copy) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	uint32_t ioas;
	void *buf;

	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	check(fd < 0, "open /dev/iommu");
	check(ioctl(fd, IOMMU_IOAS_ALLOC, &alloc), "IOMMU_IOAS_ALLOC");
	ioas = alloc.out_ioas_id;
	printf("IOMMU_IOAS_ALLOC: ioas %u\n", ioas);

	/* The selftest interface can reserve a range, as an MSI window is. */
	reserve.id = ioas;
	check(ioctl(fd, IOMMU_TEST_CMD, &reserve), "IOMMU_TEST_OP_ADD_RESERVED");
	printf("reserved [0xfee00000, 0xfeefffff]\n");
	print_ranges(ioas);

	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(buf == MAP_FAILED, "mmap");
	map(ioas, buf, BUF_SIZE, 0x100000, IOMMU_IOAS_MAP_FIXED_IOVA);
	map(ioas, buf, BUF_SIZE, 0, 0);

	/* COPY shares the pages of an existing mapping at a new IOVA. */
	copy.flags = IOMMU_IOAS_MAP_READABLE;
	copy.dst_ioas_id = ioas;
	copy.src_ioas_id = ioas;
	copy.src_iova = 0x100000;
	copy.length = BUF_SIZE;
	check(ioctl(fd, IOMMU_IOAS_COPY, &copy), "IOMMU_IOAS_COPY");
	printf("IOMMU_IOAS_COPY: [0x100000, +%#x) also at iova %#llx\n",
	       BUF_SIZE, (unsigned long long)copy.dst_iova);

	unmap.ioas_id = ioas;
	unmap.iova = 0;
	unmap.length = UINT64_MAX;
	check(ioctl(fd, IOMMU_IOAS_UNMAP, &unmap), "IOMMU_IOAS_UNMAP");
	printf("IOMMU_IOAS_UNMAP of everything: %#llx bytes\n",
	       (unsigned long long)unmap.length);
	close(fd);
	return 0;
}
