// SPDX-License-Identifier: MIT
/*
 * DMA figures, through the public ioctl path (IOMMUSIM_DMA on a VT-d
 * device's VFIO cdev), each with its floor measured in the same run
 * (DESIGN.md, "Performance goals"):
 *  - an 8-byte device read at an IOTLB hit, at a single-stage miss (a
 *    walk of the 5-level second stage) and at a nested miss (the guest's
 *    4-level stage 1 walked through stage 2, the paging-structure cache
 *    missing too: the two-dimensional walk's worst case), against
 *    dependent chases of 4 and 24 loads from DRAM; the goal is a nested
 *    miss at most twice the 24-load chase;
 *  - a 4 KiB device read at an IOTLB hit against memcpy() of 4 KiB; the
 *    goal is at least 0.8 of memcpy's speed (memcpy's time over ours).
 *
 * The devices are its own: vfio0 a bare vtd (256-entry caches), vfio1 one
 * with a single entry in each cache, so that every access of the miss
 * loops misses.
 */
#include <iommusim/uapi/iommusim.h>
#include <iommusim/uapi/vfio_device.h>

#include "bench.h"

#define CHASE_BYTES (256ull << 20)
#define GUEST_RAM (4ull << 20)
#define GUEST_GPA 0x80000000ull
#define GVA 0x00007f0000000000ull
#define REGIONS 64 /* stage-1 PTs, one per 2 MiB of GVA */
#define SZ_2M (2ull << 20)

/* ---- floors ------------------------------------------------------------------ */

static uint64_t *chase_mem;

/* ns per chain of k dependent DRAM loads, the chains one after another
 * along one random cycle. */
static double chase_ns(unsigned int k)
{
	const unsigned int chains = 2000000 / k;
	volatile uint64_t sink;
	uint64_t at = 0, t0 = now_ns();

	for (unsigned int c = 0; c < chains; c++)
		for (unsigned int i = 0; i < k; i++)
			at = chase_mem[at];
	sink = at;
	(void)sink;
	return (double)(now_ns() - t0) / chains;
}

static double memcpy_4k_ns(void)
{
	static uint8_t src[PAGE] __attribute__((aligned(64)));
	static uint8_t dst[PAGE] __attribute__((aligned(64)));
	const unsigned int rounds = 2000000;
	uint64_t t0;

	memset(src, 1, sizeof(src));
	t0 = now_ns();
	for (unsigned int i = 0; i < rounds; i++) {
		memcpy(dst, src, PAGE);
		__asm__ volatile("" : : "r"(dst), "r"(src) : "memory");
	}
	return (double)(now_ns() - t0) / rounds;
}

/* ---- the devices ------------------------------------------------------------ */

static int device_open(unsigned int n, uint32_t *devid)
{
	char path[64];
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = fd,
	};
	int vfd;

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", n);
	vfd = open(path, O_RDWR);
	if (vfd < 0)
		die("open the VFIO device");
	if (ioctl(vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		die("VFIO_DEVICE_BIND_IOMMUFD");
	*devid = bind.out_devid;
	return vfd;
}

static void device_attach(int vfd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = pt_id,
	};

	if (ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
}

static uint32_t hwpt_alloc(uint32_t devid, uint32_t pt_id, uint32_t flags,
			   uint32_t type, void *data, uint32_t len)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = devid,
		.pt_id = pt_id,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};

	if (ioctl(fd, IOMMU_HWPT_ALLOC, &cmd))
		die("IOMMU_HWPT_ALLOC");
	return cmd.out_hwpt_id;
}

/* ns per read of len bytes at iovas[i % n], in order. */
static double dma_ns(int vfd, const uint64_t *iovas, unsigned int n,
		     uint64_t len, unsigned int rounds)
{
	static uint8_t buf[PAGE] __attribute__((aligned(64)));
	struct iommusim_dma cmd = {
		.size = sizeof(cmd),
		.length = len,
		.buf_uptr = (uintptr_t)buf,
	};
	uint64_t t0 = now_ns();

	for (unsigned int i = 0; i < rounds; i++) {
		cmd.iova = iovas[i % n];
		if (ioctl(vfd, IOMMUSIM_DMA, &cmd))
			die("IOMMUSIM_DMA");
	}
	return (double)(now_ns() - t0) / rounds;
}

/* ---- the guest's stage 1 ---------------------------------------------------- */

static uint8_t *ram;
static uint64_t next_table = GUEST_GPA;

static uint64_t *entry(uint64_t gpa)
{
	return (uint64_t *)(ram + (gpa - GUEST_GPA));
}

static uint64_t table(void)
{
	uint64_t gpa = next_table;

	next_table += PAGE;
	return gpa;
}

/* A 4-level stage 1: GVA + r * 2 MiB -> a data page, for each region r,
 * each through a PT of its own. Returns the root. */
static uint64_t build_stage1(void)
{
	const uint64_t bits = 0x7; /* P, R/W, U/S */
	uint64_t root = table(), pdpt = table(), pd = table();

	*entry(root + 8 * ((GVA >> 39) & 511)) = pdpt | bits;
	*entry(pdpt + 8 * ((GVA >> 30) & 511)) = pd | bits;
	for (unsigned int r = 0; r < REGIONS; r++) {
		uint64_t pt = table();
		uint64_t gva = GVA + r * SZ_2M;

		*entry(pd + 8 * ((gva >> 21) & 511)) = pt | bits;
		*entry(pt) = (GUEST_GPA + GUEST_RAM / 2 + r * PAGE) | bits;
	}
	return root;
}

int main(void)
{
	uint64_t hit_iova[1] = { GUEST_GPA }, miss_iova[1024], gva[REGIONS];
	struct iommu_hwpt_vtd_s1 s1 = { .addr_width = 48 };
	double hit, single_miss, nested_miss, chase4, chase24, dma4k, copy4k;
	uint32_t dev0, dev1, parent, nested;
	int vfd0, vfd1;

	setenv("IOMMUSIM_DEVICES", "vtd;vtd,iotlb=1", 1);
	bench_open();
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	memset(ram, 0, GUEST_RAM);
	map_fixed(ram, GUEST_GPA, GUEST_RAM);
	vfd0 = device_open(0, &dev0);
	vfd1 = device_open(1, &dev1);

	chase_mem = chase_memory(CHASE_BYTES);
	chase4 = chase_ns(4);
	chase24 = chase_ns(24);
	copy4k = memcpy_4k_ns();

	/* single stage: the IOAS's automatic HWPT */
	device_attach(vfd0, ioas_id);
	device_attach(vfd1, ioas_id);
	for (unsigned int i = 0; i < 1024; i++)
		miss_iova[i] = GUEST_GPA + (rnd() % (GUEST_RAM / PAGE)) * PAGE;
	hit = dma_ns(vfd0, hit_iova, 1, 8, 2000000);
	dma4k = dma_ns(vfd0, hit_iova, 1, PAGE, 1000000);
	single_miss = dma_ns(vfd1, miss_iova, 1024, 8, 1000000);

	/* nested: every access a different 2 MiB region, so the one-entry
	 * caches miss every time */
	parent = hwpt_alloc(dev1, ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			    IOMMU_HWPT_DATA_NONE, NULL, 0);
	s1.pgtbl_addr = build_stage1();
	nested = hwpt_alloc(dev1, parent, 0, IOMMU_HWPT_DATA_VTD_S1, &s1,
			    sizeof(s1));
	device_attach(vfd1, nested);
	for (unsigned int r = 0; r < REGIONS; r++)
		gva[r] = GVA + r * SZ_2M + 8;
	nested_miss = dma_ns(vfd1, gva, REGIONS, 8, 1000000);

	printf("dram_chase_4_loads %.1f ns\n", chase4);
	printf("dram_chase_24_loads %.1f ns\n", chase24);
	printf("memcpy_4k %.1f ns\n", copy4k);
	printf("dma_read_8_iotlb_hit %.1f ns\n", hit);
	printf("dma_read_8_single_stage_miss %.1f ns\n", single_miss);
	printf("dma_read_8_single_stage_miss_vs_chase_4 %.2f ratio\n",
	       single_miss / chase4);
	printf("dma_read_8_nested_miss %.1f ns\n", nested_miss);
	printf("dma_read_8_nested_miss_vs_chase_24 %.2f ratio (goal <= 2)\n",
	       nested_miss / chase24);
	printf("dma_read_4k_iotlb_hit %.1f ns\n", dma4k);
	printf("dma_read_4k_iotlb_hit_speed_vs_memcpy %.2f ratio (goal >= "
	       "0.8)\n",
	       copy4k / dma4k);
	close(vfd1);
	close(vfd0);
	return 0;
}
