// SPDX-License-Identifier: MIT
/*
 * What a vIOMMU emulation does with a VT-d device, end to end: the "guest"
 * builds x86-64 stage-1 page tables in its memory, which the VMM maps
 * through an IOAS (stage 2); the VMM allocates a nested HWPT from the
 * guest's table pointer (IOMMU_HWPT_DATA_VTD_S1) over a NEST_PARENT HWPT
 * and attaches the device through its VFIO cdev. The device then does DMA
 * at guest virtual addresses (iommusim's IOMMUSIM_DMA), the IOMMU walking
 * the guest's tables through stage 2.
 *
 * Then the guest changes a page-table entry and the VMM "forgets" to
 * forward the invalidation: the device still reaches the old page, as real
 * hardware would with the translation in its IOTLB. Under
 * `iommusim run --check-iotlb` the stale hit is reported on stderr. After
 * IOMMU_HWPT_INVALIDATE the device reaches the new page.
 *
 * Run it as `iommusim run --device vtd [--check-iotlb] -- vtd_nested_dma`
 * (`make demo` does). Exit status 0 when everything behaved as described.
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
#include <iommusim/uapi/iommusim.h>
#include <iommusim/uapi/vfio_device.h>

#define GUEST_RAM (4ull << 20)
#define GUEST_GPA 0x80000000ull /* where the guest's RAM is, as IOVA */
#define GVA 0x00007f0000000000ull
#define PAGE 4096ull

/* x86-64 entry bits */
#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define A 0x20ull
#define D 0x40ull
#define ADDR 0x000ffffffffff000ull

static int iommufd, device;
static uint8_t *ram; /* the guest's RAM, GPA GUEST_GPA onwards */
static uint64_t next_table = GUEST_GPA;

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "%s: %s\n", what, strerror(errno));
		_exit(1);
	}
}

/* ---- the guest's side: page tables in its own memory ------------------- */

static uint64_t *gpa_to_ptr(uint64_t gpa)
{
	return (uint64_t *)(ram + (gpa - GUEST_GPA));
}

static uint64_t new_table(void)
{
	uint64_t gpa = next_table;

	next_table += PAGE;
	memset(gpa_to_ptr(gpa), 0, PAGE);
	return gpa;
}

/* The PTE of gva below root, tables made on the way (4 levels). */
static uint64_t *pte_of(uint64_t root, uint64_t gva)
{
	uint64_t table = root;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = gpa_to_ptr(table) + ((gva >> (12 + 9 * level)) & 511);

		if (!(*e & P))
			*e = new_table() | P | RW | US;
		table = *e & ADDR;
	}
	return gpa_to_ptr(table) + ((gva >> 12) & 511);
}

/* ---- the VMM's side ----------------------------------------------------- */

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

	check(ioctl(iommufd, IOMMU_HWPT_ALLOC, &cmd), "IOMMU_HWPT_ALLOC");
	return cmd.out_hwpt_id;
}

static void invalidate(uint32_t hwpt, uint64_t addr, uint64_t npages)
{
	struct iommu_hwpt_vtd_s1_invalidate inv = {
		.addr = addr,
		.npages = npages,
	};
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.data_uptr = (uintptr_t)&inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = sizeof(inv),
		.entry_num = 1,
	};

	check(ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &cmd),
	      "IOMMU_HWPT_INVALIDATE");
}

/* The device reads (or writes) len bytes at gva. */
static int dma(uint64_t gva, void *buf, uint64_t len, uint32_t flags,
	       struct iommusim_dma *out)
{
	struct iommusim_dma cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.iova = gva,
		.length = len,
		.buf_uptr = (uintptr_t)buf,
	};
	int rc = ioctl(device, IOMMUSIM_DMA, &cmd);

	*out = cmd;
	return rc;
}

static void device_reads(uint64_t gva, char *text, size_t len)
{
	struct iommusim_dma out;

	memset(text, 0, len);
	check(dma(gva, text, len - 1, 0, &out), "IOMMUSIM_DMA");
	printf("  device reads GVA 0x%llx: \"%s\"\n", (unsigned long long)gva,
	       text);
}

static int setup_device(uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};

	device = open("/dev/vfio/devices/vfio0", O_RDWR);
	if (device < 0) {
		fprintf(stderr,
			"no VFIO device (%s): run me under "
			"`iommusim run --device vtd`\n",
			strerror(errno));
		return -1;
	}
	check(ioctl(device, VFIO_DEVICE_BIND_IOMMUFD, &bind),
	      "VFIO_DEVICE_BIND_IOMMUFD");
	*devid = bind.out_devid;
	return 0;
}

int main(void)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_hwpt_vtd_s1 s1 = { .addr_width = 48 };
	uint64_t root, page_a, page_b, *pte;
	uint32_t devid, parent, nested;
	struct iommusim_dma out;
	char text[32];
	int ok = 1;

	iommufd = open("/dev/iommu", O_RDWR);
	check(iommufd < 0, "open /dev/iommu");
	if (setup_device(&devid))
		return 1;
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(ram == MAP_FAILED, "mmap");

	printf("The VMM maps the guest's RAM at GPA 0x%llx (stage 2)\n",
	       (unsigned long long)GUEST_GPA);
	check(ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas), "IOMMU_IOAS_ALLOC");
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = ioas.out_ioas_id;
	map.user_va = (uintptr_t)ram;
	map.length = GUEST_RAM;
	map.iova = GUEST_GPA;
	check(ioctl(iommufd, IOMMU_IOAS_MAP, &map), "IOMMU_IOAS_MAP");
	parent = hwpt_alloc(devid, ioas.out_ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_DATA_NONE,
			    NULL, 0);

	printf("The guest builds its stage-1 tables: GVA 0x%llx -> page A\n",
	       (unsigned long long)GVA);
	root = new_table();
	page_a = GUEST_GPA + 0x100000;
	page_b = GUEST_GPA + 0x101000;
	strcpy((char *)gpa_to_ptr(page_a), "hello from page A");
	strcpy((char *)gpa_to_ptr(page_b), "hello from page B");
	pte = pte_of(root, GVA);
	*pte = page_a | P | RW | US;

	printf("The VMM makes a nested HWPT from the guest's table pointer "
	       "and attaches the device\n");
	s1.pgtbl_addr = root;
	nested = hwpt_alloc(devid, parent, 0, IOMMU_HWPT_DATA_VTD_S1, &s1,
			    sizeof(s1));
	attach.pt_id = nested;
	check(ioctl(device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach),
	      "VFIO_DEVICE_ATTACH_IOMMUFD_PT");

	device_reads(GVA, text, sizeof(text));
	ok &= !strcmp(text, "hello from page A");
	printf("  the walk set A in the guest's PTE: %s\n",
	       *pte & A ? "yes" : "no");
	ok &= !!(*pte & A);
	check(dma(GVA + 64, "written by the device", 22, IOMMUSIM_DMA_WRITE,
		  &out),
	      "IOMMUSIM_DMA");
	printf("  device writes GVA 0x%llx: page A now holds \"%s\", D is %s\n",
	       (unsigned long long)GVA + 64,
	       (char *)gpa_to_ptr(page_a) + 64, *pte & D ? "set" : "clear");
	ok &= !!(*pte & D);

	printf("The guest points the PTE at page B; the invalidation is not "
	       "forwarded\n");
	*pte = page_b | P | RW | US;
	fflush(stdout);
	device_reads(GVA, text, sizeof(text));
	printf("  stale: the IOTLB still holds page A, as hardware's would\n");
	ok &= !strcmp(text, "hello from page A");

	printf("The VMM forwards the invalidation (IOMMU_HWPT_INVALIDATE, "
	       "VTD_S1)\n");
	invalidate(nested, GVA, 1);
	device_reads(GVA, text, sizeof(text));
	ok &= !strcmp(text, "hello from page B");

	printf("The guest unmaps the page and invalidates: the device "
	       "faults\n");
	*pte = 0;
	invalidate(nested, GVA, 1);
	errno = 0;
	ok &= dma(GVA, text, 8, 0, &out) == -1 && errno == EIO;
	printf("  IOMMUSIM_DMA: %s, reason %u (not present), stage %u, "
	       "%llu bytes moved\n",
	       strerror(errno), out.out_fault_reason, out.out_fault_stage,
	       (unsigned long long)out.out_done);
	ok &= out.out_fault_reason == IOMMUSIM_FAULT_NOT_PRESENT &&
	      out.out_fault_stage == 1;

	close(device);
	close(iommufd);
	printf("%s\n", ok ? "done" : "something did not behave as described");
	return !ok;
}
