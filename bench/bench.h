/* SPDX-License-Identifier: MIT */
/*
 * What the benchmark programs share: a clock, an exit on failure, and the
 * MAP/UNMAP calls on the one IOAS each program measures.
 */
#ifndef IOMMUSIM_BENCH_H
#define IOMMUSIM_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#define PAGE 4096ull

static int fd;
static uint32_t ioas_id;

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

static inline void map_fixed(void *buf, uint64_t iova, uint64_t length)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = length,
		.iova = iova,
	};

	if (ioctl(fd, IOMMU_IOAS_MAP, &map))
		die("IOMMU_IOAS_MAP");
}

/* An automatic MAP: the IOVA the kernel's policy chose. */
static inline uint64_t map_auto(void *buf, uint64_t length)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = length,
	};

	if (ioctl(fd, IOMMU_IOAS_MAP, &map))
		die("IOMMU_IOAS_MAP (automatic IOVA)");
	return map.iova;
}

static inline void unmap(uint64_t iova, uint64_t length)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};

	if (ioctl(fd, IOMMU_IOAS_UNMAP, &unmap))
		die("IOMMU_IOAS_UNMAP");
}

static uint64_t bench_rng = 0x9e3779b97f4a7c15ull;

static inline uint64_t rnd(void)
{
	bench_rng ^= bench_rng << 13;
	bench_rng ^= bench_rng >> 7;
	bench_rng ^= bench_rng << 17;
	return bench_rng;
}

/*
 * bytes of memory holding one random cycle through its 64-byte slots:
 * from slot word 0, each load gives the index of the next one's word. A
 * chase along it is a chain of dependent loads, each a cache miss (and,
 * over more than the TLB reaches, a TLB miss) once bytes is large.
 */
static inline uint64_t *chase_memory(size_t bytes)
{
	const size_t slots = bytes / 64;
	uint64_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *order = malloc(slots * sizeof(*order));

	if (mem == MAP_FAILED || !order)
		die("chase memory");
	for (size_t i = 0; i < slots; i++)
		order[i] = (uint32_t)i;
	for (size_t i = slots - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < slots; i++)
		mem[order[i] * 8ull] = order[(i + 1) % slots] * 8ull;
	free(order);
	return mem;
}

/* Opens /dev/iommu and allocates the IOAS the helpers above use. */
static inline void bench_open(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0)
		die("open /dev/iommu (run under iommusim run)");
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");
	ioas_id = alloc.out_ioas_id;
}

#endif /* IOMMUSIM_BENCH_H */
