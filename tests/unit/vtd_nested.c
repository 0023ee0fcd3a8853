// SPDX-License-Identifier: MIT
/*
 * A VT-d nested domain really translates. A "guest" builds x86-64 stage-1
 * tables in its memory, that memory is mapped through an IOAS into a
 * NEST_PARENT HWPT, a nested HWPT takes the table's guest-physical root as
 * VTD_S1 data, a VT-d device attaches through its VFIO cdev; then the
 * nested domain's translate (the DMA engine's seam) walks stage 1 with
 * every table read routed through stage 2: outputs, leaf sizes, faults and
 * the stage they belong to, stage-1 A/D written into guest memory, the
 * canonical-address rule, 5-level tables. And what the domain records for
 * the IOTLB: the user's VTD_S1 invalidations, stage-2 unmaps, detach.
 *
 * Everything goes through the library's own files and commands, as a
 * program would, so the walk is checked over memory the IOAS pinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/vfio_device.h>

#include "base/fdtable.h"
#include "base/file.h"
#include "iommu/drivers/intel.h"
#include "iommu/platform_config.h"
#include "iommufd/hw_pagetable.h"
#include "iommufd/iommufd.h"
#include "iommufd/iommufd_private.h"
#include "vfio/vfio.h"
#include "harness.h"
#include "x86_pte.h"

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
/* The guest's memory: 8 MiB at guest-physical 1 GiB. */
#define GUEST_BASE 0x40000000ull
#define GUEST_SIZE (8 * SZ_2M)
/* A write-only stretch at its end (the erratum allows no read-only one). */
#define WO_GPA (GUEST_BASE + GUEST_SIZE)
#define WO_SIZE SZ_2M
/* A guest-physical address stage 2 does not map. */
#define UNMAPPED_GPA 0x10000000ull

#define TABLE (X86_P | X86_RW | X86_US)

__attribute__((constructor)) static void devices_setup(void)
{
	setenv("IOMMUSIM_DEVICES", "vtd;vtd,levels=4", 1);
}

struct guest {
	uint8_t *mem; /* GUEST_SIZE, 2 MiB aligned */
	uint8_t *wo;  /* WO_SIZE */
	int fd, vfd;
	struct file *file;
	uint32_t ioas, dev, parent;
};

static uint64_t *entry_at(struct guest *g, uint64_t gpa)
{
	return (uint64_t *)(g->mem + (gpa - GUEST_BASE));
}

static uintptr_t host_of(struct guest *g, uint64_t gpa)
{
	return (uintptr_t)g->mem + (gpa - GUEST_BASE);
}

static long ioctl_file(struct file *file, unsigned int cmd, void *arg)
{
	return vfs_ioctl(file, cmd, (uint64_t)(uintptr_t)arg);
}

static void *aligned_memory(size_t size)
{
	uint8_t *raw = mmap(NULL, size + SZ_2M, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (raw == MAP_FAILED)
		return NULL;
	raw = (uint8_t *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	memset(raw, 0, size);
	return raw;
}

static int map_fixed(struct guest *g, void *va, uint64_t len, uint64_t iova,
		     uint32_t flags)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | flags,
		.ioas_id = g->ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return (int)ioctl_file(g->file, IOMMU_IOAS_MAP, &map);
}

/* The guest's memory in an IOAS with a nest parent of device n's unit,
 * the device bound. */
static void guest_setup(struct __test_metadata *_metadata, struct guest *g,
			unsigned int n)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
	};
	struct file *vfile;

	g->mem = aligned_memory(GUEST_SIZE);
	g->wo = aligned_memory(WO_SIZE);
	ASSERT_NONNULL(g->mem);
	ASSERT_NONNULL(g->wo);
	g->fd = iommufd_fops_open(IOMMUFD_NODE_IOMMU, O_RDWR);
	ASSERT_LE(0, g->fd);
	g->file = fget(g->fd);
	ASSERT_NONNULL(g->file);
	g->vfd = vfio_device_cdev_open(n, O_RDWR);
	ASSERT_LE(0, g->vfd);
	vfile = fget(g->vfd);
	ASSERT_NONNULL(vfile);
	bind.iommufd = g->fd;
	ASSERT_EQ(0, ioctl_file(vfile, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	fput(vfile);
	g->dev = bind.out_devid;

	ASSERT_EQ(0, ioctl_file(g->file, IOMMU_IOAS_ALLOC, &alloc));
	g->ioas = alloc.out_ioas_id;
	ASSERT_EQ(0, map_fixed(g, g->mem, GUEST_SIZE, GUEST_BASE,
			       IOMMU_IOAS_MAP_READABLE |
				       IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_EQ(0, map_fixed(g, g->wo, WO_SIZE, WO_GPA,
			       IOMMU_IOAS_MAP_WRITEABLE));
	hwpt.dev_id = g->dev;
	hwpt.pt_id = g->ioas;
	ASSERT_EQ(0, ioctl_file(g->file, IOMMU_HWPT_ALLOC, &hwpt));
	g->parent = hwpt.out_hwpt_id;
}

static uint32_t nested_alloc(struct __test_metadata *_metadata,
			     struct guest *g, uint64_t root,
			     uint32_t addr_width)
{
	struct iommu_hwpt_vtd_s1 s1 = {
		.pgtbl_addr = root,
		.addr_width = addr_width,
	};
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.dev_id = g->dev,
		.pt_id = g->parent,
		.data_type = IOMMU_HWPT_DATA_VTD_S1,
		.data_len = sizeof(s1),
		.data_uptr = (uintptr_t)&s1,
	};

	ASSERT_EQ(0, ioctl_file(g->file, IOMMU_HWPT_ALLOC, &hwpt));
	return hwpt.out_hwpt_id;
}

static int vfio_attach(struct guest *g, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = pt_id,
	};
	struct file *vfile = fget(g->vfd);
	int rc = (int)ioctl_file(vfile, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);

	fput(vfile);
	return rc;
}

/* The domain of HWPT id, valid while the HWPT lives. */
static struct iommu_domain *domain_of(struct guest *g, uint32_t id)
{
	struct iommufd_ctx *ictx = iommufd_ctx_from_file(g->file);
	struct iommufd_object *obj = object_get(ictx, id, IOMMUFD_OBJ_ANY);
	struct iommu_domain *domain;

	if (!obj)
		return NULL;
	domain = to_hwpt(obj)->domain;
	object_put(ictx, obj);
	return domain;
}

/*
 * The guest's tables, 4 levels from GUEST_BASE (root) down:
 *   GVA 0x7f0000001000  4 KiB  GPA +0x10000      read-write
 *   GVA 0x7f0000002000  4 KiB  GPA +0x11000      read-only (no R/W)
 *   GVA 0x7f0000003000  4 KiB  GPA +0x12000      supervisor only (no U/S)
 *   GVA 0x7f0000004000  4 KiB  in the write-only stretch
 *   GVA 0x7f0000400000  2 MiB  GPA +0x400000     read-write
 *   GVA 0x7f0000600000  a PT at an address stage 2 does not map
 *   GVA 0x7f0000800000  a PT in the write-only stretch
 *   GVA 0x7f0000a00000  nothing (a hole)
 */
#define GVA_RW 0x7f0000001000ull
#define GVA_RO 0x7f0000002000ull
#define GVA_SUPER 0x7f0000003000ull
#define GVA_WO_PAGE 0x7f0000004000ull
#define GVA_2M 0x7f0000400000ull
#define GVA_S2_HOLE 0x7f0000600000ull
#define GVA_WO_TABLE 0x7f0000800000ull
#define GVA_HOLE 0x7f0000a00000ull

#define PML4 (GUEST_BASE + 0x0000)
#define PDPT (GUEST_BASE + 0x1000)
#define PD (GUEST_BASE + 0x2000)
#define PT (GUEST_BASE + 0x3000)
#define PML5 (GUEST_BASE + 0x4000)

static unsigned int idx(uint64_t va, unsigned int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

static void build_tables(struct guest *g)
{
	*entry_at(g, PML4 + 8 * idx(GVA_RW, 3)) = PDPT | TABLE;
	*entry_at(g, PDPT + 8 * idx(GVA_RW, 2)) = PD | TABLE;
	*entry_at(g, PD + 8 * idx(GVA_RW, 1)) = PT | TABLE;
	*entry_at(g, PT + 8 * idx(GVA_RW, 0)) =
		(GUEST_BASE + 0x10000) | X86_P | X86_RW | X86_US;
	*entry_at(g, PT + 8 * idx(GVA_RO, 0)) =
		(GUEST_BASE + 0x11000) | X86_P | X86_US;
	*entry_at(g, PT + 8 * idx(GVA_SUPER, 0)) =
		(GUEST_BASE + 0x12000) | X86_P | X86_RW;
	*entry_at(g, PT + 8 * idx(GVA_WO_PAGE, 0)) =
		WO_GPA | X86_P | X86_RW | X86_US;
	*entry_at(g, PD + 8 * idx(GVA_2M, 1)) =
		(GUEST_BASE + 0x400000) | X86_P | X86_RW | X86_US | X86_PS;
	*entry_at(g, PD + 8 * idx(GVA_S2_HOLE, 1)) = UNMAPPED_GPA | TABLE;
	*entry_at(g, PD + 8 * idx(GVA_WO_TABLE, 1)) = WO_GPA | TABLE;
	/* a 5-level root over the same PML4 */
	*entry_at(g, PML5) = PML4 | TABLE;
}

static void expect_output(struct __test_metadata *_metadata,
			  struct iommu_domain *d, uint64_t gva, bool write,
			  uintptr_t host)
{
	struct iommu_translation t;

	ASSERT_EQ(0, iommu_domain_translate(d, gva, write, false, &t));
	EXPECT_EQ(host, t.oa);
	EXPECT_EQ(0, t.fault_stage);
}

static void expect_fault(struct __test_metadata *_metadata,
			 struct iommu_domain *d, uint64_t gva, bool write,
			 int err, unsigned int stage)
{
	struct iommu_translation t;

	EXPECT_EQ(err, iommu_domain_translate(d, gva, write, false, &t));
	EXPECT_EQ(stage, t.fault_stage);
}

FIXTURE(vtd_nested)
{
	struct guest g;
};

FIXTURE_SETUP(vtd_nested)
{
	guest_setup(_metadata, &self->g, 0);
	build_tables(&self->g);
}

FIXTURE_TEARDOWN(vtd_nested)
{
}

TEST_F(vtd_nested, translates_through_both_stages)
{
	struct guest *g = &self->g;
	uint32_t nested = nested_alloc(_metadata, g, PML4, 48);
	struct iommu_domain *d;
	struct iommu_translation t;

	ASSERT_EQ(0, vfio_attach(g, nested));
	d = domain_of(g, nested);
	ASSERT_NONNULL(d);

	/* 4 KiB leaves: the host address of the guest page, any offset */
	expect_output(_metadata, d, GVA_RW, true,
		      host_of(g, GUEST_BASE + 0x10000));
	expect_output(_metadata, d, GVA_RW + 0x123, false,
		      host_of(g, GUEST_BASE + 0x10123));
	ASSERT_EQ(0, iommu_domain_translate(d, GVA_RW, false, false, &t));
	EXPECT_EQ(SZ_4K, t.leaf_size);
	EXPECT_EQ(IOMMU_READ | IOMMU_WRITE, t.prot);
	expect_output(_metadata, d, GVA_RO + 8, false,
		      host_of(g, GUEST_BASE + 0x11008));
	/* a 2 MiB stage-1 leaf: no larger than stage 2's leaf there */
	expect_output(_metadata, d, GVA_2M + 0x1f0008, true,
		      host_of(g, GUEST_BASE + 0x5f0008));
	ASSERT_EQ(0, iommu_domain_translate(d, GVA_2M, false, false, &t));
	EXPECT_LE(SZ_4K, t.leaf_size);
	EXPECT_GE(SZ_2M, t.leaf_size);
}

TEST_F(vtd_nested, faults_and_their_stage)
{
	struct guest *g = &self->g;
	uint32_t nested = nested_alloc(_metadata, g, PML4, 48);
	struct iommu_domain *d = domain_of(g, nested);
	struct iommu_translation t;

	ASSERT_NONNULL(d);
	/* stage 1: a hole, a write to a read-only page, a supervisor page */
	expect_fault(_metadata, d, GVA_HOLE, false, -ENOENT, 1);
	expect_fault(_metadata, d, 0, false, -ENOENT, 1);
	expect_fault(_metadata, d, GVA_RO, true, -EPERM, 1);
	expect_fault(_metadata, d, GVA_SUPER, false, -EPERM, 1);
	/* a permission fault still says what was found */
	ASSERT_EQ(-EPERM, iommu_domain_translate(d, GVA_RO, true, false, &t));
	EXPECT_EQ(IOMMU_READ, t.prot);
	/* stage 2: a stage-1 table stage 2 does not map, or maps without
	 * read; a final page stage 2 maps write-only, read */
	expect_fault(_metadata, d, GVA_S2_HOLE, false, -ENOENT, 2);
	expect_fault(_metadata, d, GVA_WO_TABLE, false, -EPERM, 2);
	expect_fault(_metadata, d, GVA_WO_PAGE, false, -EPERM, 2);
	expect_output(_metadata, d, GVA_WO_PAGE, true, (uintptr_t)g->wo);
	/* addresses: canonical high half walks index 256 (nothing there),
	 * a non-canonical one is no address at all */
	expect_fault(_metadata, d, 0xffff800000001000ull, false, -ENOENT, 1);
	expect_fault(_metadata, d, 0x0000800000001000ull, false, -ERANGE, 1);
}

TEST_F(vtd_nested, stage1_root_outside_stage2)
{
	struct guest *g = &self->g;
	uint32_t nested = nested_alloc(_metadata, g, UNMAPPED_GPA, 48);
	struct iommu_domain *d = domain_of(g, nested);

	ASSERT_NONNULL(d);
	expect_fault(_metadata, d, GVA_RW, false, -ENOENT, 2);
}

TEST_F(vtd_nested, five_levels_and_root_low_bits)
{
	struct guest *g = &self->g;
	/* low bits of the root pointer are not address (FLPTR is 4 KiB) */
	uint32_t nested = nested_alloc(_metadata, g, PML5 | 0xfff, 57);
	struct iommu_domain *d = domain_of(g, nested);

	ASSERT_NONNULL(d);
	ASSERT_EQ(0, vfio_attach(g, nested));
	expect_output(_metadata, d, GVA_RW, true,
		      host_of(g, GUEST_BASE + 0x10000));
	/* 57 bits: what was non-canonical at 48 is an address now */
	expect_fault(_metadata, d, 0x0000800000001000ull, false, -ENOENT, 1);
	expect_fault(_metadata, d, 0x0100000000000000ull, false, -ERANGE, 1);
}

/* The walk sets the stage-1 leaf's A, and D for a write, in guest memory
 * (through stage 2); stage 2's own A/D wait for dirty tracking (SSADE). */
TEST_F(vtd_nested, stage1_accessed_and_dirty)
{
	struct guest *g = &self->g;
	uint32_t nested = nested_alloc(_metadata, g, PML4, 48);
	struct iommu_domain *d = domain_of(g, nested);
	uint64_t *pte = entry_at(g, PT + 8 * idx(GVA_RW, 0));
	uint64_t *pde = entry_at(g, PD + 8 * idx(GVA_2M, 1));
	struct iommu_translation t;

	ASSERT_NONNULL(d);
	ASSERT_EQ(0, iommu_domain_translate(d, GVA_RW, false, false, &t));
	EXPECT_EQ(0, *pte & (X86_A | X86_D));
	ASSERT_EQ(0, iommu_domain_translate(d, GVA_RW, false, true, &t));
	EXPECT_EQ(X86_A, *pte & (X86_A | X86_D));
	ASSERT_EQ(0, iommu_domain_translate(d, GVA_RW, true, true, &t));
	EXPECT_EQ(X86_A | X86_D, *pte & (X86_A | X86_D));
	ASSERT_EQ(0, iommu_domain_translate(d, GVA_2M, true, true, &t));
	EXPECT_EQ(X86_A | X86_D, *pde & (X86_A | X86_D));
	/* a fault marks nothing */
	ASSERT_EQ(-EPERM, iommu_domain_translate(d, GVA_RO, true, true, &t));
	EXPECT_EQ(0, *entry_at(g, PT + 8 * idx(GVA_RO, 0)) & X86_A);
}

/* Changing the guest's table changes the walk: with no IOTLB yet, every
 * translation walks memory as it is. */
TEST_F(vtd_nested, walks_memory_as_it_is)
{
	struct guest *g = &self->g;
	uint32_t nested = nested_alloc(_metadata, g, PML4, 48);
	struct iommu_domain *d = domain_of(g, nested);
	uint64_t *pte = entry_at(g, PT + 8 * idx(GVA_RW, 0));

	ASSERT_NONNULL(d);
	expect_output(_metadata, d, GVA_RW, false,
		      host_of(g, GUEST_BASE + 0x10000));
	*pte = (GUEST_BASE + 0x20000) | X86_P | X86_RW | X86_US;
	expect_output(_metadata, d, GVA_RW, false,
		      host_of(g, GUEST_BASE + 0x20000));
	*pte = 0;
	expect_fault(_metadata, d, GVA_RW, false, -ENOENT, 1);
}

/* What the domain records for the IOTLB to come. */
TEST_F(vtd_nested, flushes_recorded)
{
	struct guest *g = &self->g;
	uint32_t nested = nested_alloc(_metadata, g, PML4, 48);
	struct iommu_domain *d = domain_of(g, nested);
	struct iommu_hwpt_vtd_s1_invalidate inv[2] = {
		{ .addr = 0x7f0000000000ull, .npages = 3 },
		{ .addr = 0x5000, .npages = 1,
		  .flags = IOMMU_VTD_INV_FLAGS_LEAF },
	};
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = nested,
		.data_uptr = (uintptr_t)inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = sizeof(inv[0]),
		.entry_num = 1,
	};
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = g->ioas,
		.iova = WO_GPA,
		.length = WO_SIZE,
	};
	struct intel_flush_record rec;
	uint64_t before;

	ASSERT_NONNULL(d);
	ASSERT_EQ(0, intel_domain_flushes(d, &rec));
	EXPECT_EQ(0, rec.count);

	ASSERT_EQ(0, ioctl_file(g->file, IOMMU_HWPT_INVALIDATE, &cmd));
	ASSERT_EQ(0, intel_domain_flushes(d, &rec));
	EXPECT_EQ(1, rec.count);
	EXPECT_EQ(0x7f0000000000ull, rec.first);
	EXPECT_EQ(0x7f0000002fffull, rec.last);
	EXPECT_FALSE(rec.leaf);
	cmd.entry_num = 2;
	ASSERT_EQ(0, ioctl_file(g->file, IOMMU_HWPT_INVALIDATE, &cmd));
	ASSERT_EQ(0, intel_domain_flushes(d, &rec));
	EXPECT_EQ(3, rec.count);
	EXPECT_EQ(0x5000, rec.first);
	EXPECT_EQ(0x5fff, rec.last);
	EXPECT_TRUE(rec.leaf);
	/* everything: addr 0, npages U64_MAX */
	inv[0] = (struct iommu_hwpt_vtd_s1_invalidate){ .npages = UINT64_MAX };
	cmd.entry_num = 1;
	ASSERT_EQ(0, ioctl_file(g->file, IOMMU_HWPT_INVALIDATE, &cmd));
	ASSERT_EQ(0, intel_domain_flushes(d, &rec));
	EXPECT_EQ(0, rec.first);
	EXPECT_EQ(UINT64_MAX, rec.last);
	/* a range running off the end ends there; no pages, no record */
	inv[0] = (struct iommu_hwpt_vtd_s1_invalidate){
		.addr = 0xfffffffffffff000ull, .npages = 2 };
	inv[1] = (struct iommu_hwpt_vtd_s1_invalidate){ .addr = 0x1000 };
	cmd.entry_num = 2;
	ASSERT_EQ(0, ioctl_file(g->file, IOMMU_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(2, cmd.entry_num);
	ASSERT_EQ(0, intel_domain_flushes(d, &rec));
	EXPECT_EQ(5, rec.count);
	EXPECT_EQ(0xfffffffffffff000ull, rec.first);
	EXPECT_EQ(UINT64_MAX, rec.last);

	/* a stage-2 unmap reaches the nested domain whole */
	before = rec.count;
	ASSERT_EQ(0, ioctl_file(g->file, IOMMU_IOAS_UNMAP, &unmap));
	ASSERT_EQ(0, intel_domain_flushes(d, &rec));
	EXPECT_LT(before, rec.count);
	EXPECT_EQ(0, rec.first);
	EXPECT_EQ(UINT64_MAX, rec.last);
	EXPECT_EQ(0, intel_domain_flushes(domain_of(g, g->parent), &rec));
	EXPECT_EQ(WO_GPA, rec.first);
	EXPECT_EQ(WO_GPA + WO_SIZE - 1, rec.last);
	/* and what stage 2 no longer maps, the walk no longer reaches */
	expect_fault(_metadata, d, GVA_WO_PAGE, true, -ENOENT, 2);

	/* a device leaving the domain flushes it */
	ASSERT_EQ(0, vfio_attach(g, nested));
	before = rec.count;
	ASSERT_EQ(0, intel_domain_flushes(d, &rec));
	before = rec.count;
	ASSERT_EQ(0, vfio_attach(g, g->parent));
	ASSERT_EQ(0, intel_domain_flushes(d, &rec));
	EXPECT_EQ(before + 1, rec.count);
}

/* ---- the driver below the uAPI ------------------------------------------------ */

TEST(vtd_config_parsing)
{
	struct intel_iommu_config cfg;

	intel_iommu_config_default(&cfg);
	EXPECT_EQ(20, cfg.pasid_bits);
	EXPECT_TRUE(cfg.dirty && cfg.prs && cfg.sre);
	EXPECT_EQ(5, cfg.levels);
	EXPECT_EQ(INTEL_IOTLB_DEFAULT, cfg.iotlb_entries);
	EXPECT_EQ(0, intel_iommu_config_set(&cfg, "pasid", 5, "0", 1));
	EXPECT_EQ(0, cfg.pasid_bits);
	EXPECT_EQ(0, intel_iommu_config_set(&cfg, "iotlb", 5, "65536", 5));
	EXPECT_EQ(65536, cfg.iotlb_entries);
	EXPECT_EQ(0, intel_iommu_config_set(&cfg, "levels", 6, "4", 1));
	EXPECT_EQ(4, cfg.levels);
	EXPECT_EQ(0, intel_iommu_config_set(&cfg, "dirty", 5, "off", 3));
	EXPECT_FALSE(cfg.dirty);
	EXPECT_EQ(-EINVAL, intel_iommu_config_set(&cfg, "pasid", 5, "21", 2));
	EXPECT_EQ(-EINVAL, intel_iommu_config_set(&cfg, "pasid", 5, "", 0));
	EXPECT_EQ(-EINVAL, intel_iommu_config_set(&cfg, "pasid", 5, "-1", 2));
	EXPECT_EQ(-EINVAL,
		  intel_iommu_config_set(&cfg, "iotlb", 5, "99999999999", 11));
	EXPECT_EQ(-EINVAL, intel_iommu_config_set(&cfg, "levels", 6, "3", 1));
	EXPECT_EQ(-EINVAL, intel_iommu_config_set(&cfg, "prs", 3, "On", 2));
	EXPECT_EQ(-EINVAL, intel_iommu_config_set(&cfg, "pasidx", 6, "1", 1));
}

/* The registers as the kernel's cap_*() and ecap_*() macros read them. */
TEST(vtd_registers)
{
	struct intel_iommu_config cfg;
	uint64_t cap, ecap;

	intel_iommu_config_default(&cfg);
	cap = intel_iommu_cap_reg(&cfg);
	ecap = intel_iommu_ecap_reg(&cfg);
	EXPECT_EQ(57, ((cap >> 16) & 0x3f) + 1); /* cap_mgaw */
	EXPECT_EQ(0xc, (cap >> 8) & 0x1f);	  /* cap_sagaw */
	EXPECT_EQ(1, (cap >> 60) & 1);		  /* cap_fl5lp_support */
	EXPECT_EQ(1, (cap >> 56) & 1);		  /* cap_fl1gp_support */
	EXPECT_EQ(3, (cap >> 34) & 0xf);	  /* cap_super_page_val */
	EXPECT_EQ(1, (ecap >> 26) & 1);		  /* ecap_nest */
	EXPECT_EQ(1, (ecap >> 43) & 1);		  /* ecap_smts */
	EXPECT_EQ(1, (ecap >> 45) & 1);		  /* ecap_slads */
	EXPECT_EQ(1, (ecap >> 48) & 1);		  /* ecap_smpwc */
	EXPECT_EQ(1, (ecap >> 40) & 1);		  /* ecap_pasid */
	EXPECT_EQ(19, (ecap >> 35) & 0x1f);	  /* ecap_pss */
	EXPECT_EQ(1, (ecap >> 29) & 1);		  /* ecap_prs */
	EXPECT_EQ(1, (ecap >> 31) & 1);		  /* ecap_srs */
	EXPECT_EQ(0, (ecap >> 34) & 1);		  /* ecap_eafs */

	cfg = (struct intel_iommu_config){ .levels = 4, .iotlb_entries = 1 };
	cap = intel_iommu_cap_reg(&cfg);
	ecap = intel_iommu_ecap_reg(&cfg);
	EXPECT_EQ(48, ((cap >> 16) & 0x3f) + 1);
	EXPECT_EQ(0x4, (cap >> 8) & 0x1f);
	EXPECT_EQ(0, (cap >> 60) & 1);
	EXPECT_EQ(0, (ecap >> 40) & 1);
	EXPECT_EQ(0, (ecap >> 35) & 0x1f);
	EXPECT_EQ(0, (ecap >> 45) & 1);
	EXPECT_EQ(0, (ecap >> 29) & 1);
	EXPECT_EQ(0, (ecap >> 31) & 1);
}

struct dirty_count {
	struct iommu_dirty_bitmap bitmap;
	unsigned int leaves;
};

static void count_dirty(struct iommu_dirty_bitmap *dirty, uint64_t iova,
			uint64_t length)
{
	(void)iova;
	(void)length;
	container_of(dirty, struct dirty_count, bitmap)->leaves++;
}

/* How many dirty leaves the domain reports over its first 2 MiB. */
static unsigned int dirty_leaves(struct iommu_domain *d)
{
	struct dirty_count count = { .bitmap.record = count_dirty };

	if (d->ops->read_and_clear_dirty(d, 0, SZ_2M, 0, &count.bitmap))
		return ~0u;
	return count.leaves;
}

/* A paging domain straight from the driver: geometry, page sizes, the
 * erratum in map_pages, A/D only while tracking is on. */
TEST(vtd_paging_domain)
{
	struct device *dev = platform_get_configured_device(1); /* 4 levels */
	const struct iommu_ops *ops;
	struct iommu_domain *plain, *parent, *dirty;
	struct iommu_translation t;
	uint8_t *mem = aligned_memory(SZ_2M);
	int err;

	ASSERT_NONNULL(dev);
	ASSERT_NONNULL(mem);
	ASSERT_TRUE(intel_device_is_vtd(dev));
	ops = dev_iommu_ops(dev);
	ASSERT_NULL(ops->domain_alloc_paging_flags(dev, 1u << 5, NULL, &err));
	EXPECT_EQ(-EOPNOTSUPP, err);
	plain = ops->domain_alloc_paging_flags(dev, 0, NULL, &err);
	parent = ops->domain_alloc_paging_flags(
		dev, IOMMU_HWPT_ALLOC_NEST_PARENT, NULL, &err);
	dirty = ops->domain_alloc_paging_flags(
		dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL, &err);
	ASSERT_NONNULL(plain);
	ASSERT_NONNULL(parent);
	ASSERT_NONNULL(dirty);
	EXPECT_EQ(0, plain->geometry.aperture_start);
	EXPECT_EQ((1ull << 48) - 1, plain->geometry.aperture_end);
	EXPECT_EQ(SZ_4K | SZ_2M | (1ull << 30), plain->pgsize_bitmap);
	EXPECT_NULL(plain->ops->set_dirty_tracking);
	EXPECT_NONNULL(dirty->ops->set_dirty_tracking);

	/* read-only: a plain domain takes it, a nest parent does not */
	EXPECT_EQ(0, plain->ops->map_pages(plain, SZ_2M, (uintptr_t)mem, SZ_2M,
					   IOMMU_READ, SZ_2M));
	EXPECT_EQ(-EINVAL, parent->ops->map_pages(parent, SZ_2M, (uintptr_t)mem,
						  SZ_2M, IOMMU_READ, SZ_2M));
	EXPECT_EQ(0, parent->ops->map_pages(parent, SZ_2M, (uintptr_t)mem,
					    SZ_2M, IOMMU_WRITE, SZ_2M));
	ASSERT_EQ(0, iommu_domain_translate(plain, SZ_2M + 8, false, true, &t));
	EXPECT_EQ((uintptr_t)mem + 8, t.oa);
	EXPECT_EQ(SZ_2M, t.leaf_size);
	EXPECT_EQ(-EPERM,
		  iommu_domain_translate(plain, SZ_2M, true, false, &t));
	EXPECT_EQ(-ERANGE,
		  iommu_domain_translate(plain, 1ull << 48, false, false, &t));

	/* second-stage A/D: only while tracking is on (SSADE) */
	ASSERT_EQ(0, dirty->ops->map_pages(dirty, 0, (uintptr_t)mem, SZ_4K,
					   IOMMU_READ | IOMMU_WRITE, SZ_4K));
	ASSERT_EQ(0, iommu_domain_translate(dirty, 0, true, true, &t));
	EXPECT_EQ(0, dirty_leaves(dirty));
	ASSERT_EQ(0, dirty->ops->set_dirty_tracking(dirty, true));
	ASSERT_EQ(0, iommu_domain_translate(dirty, 0, true, true, &t));
	EXPECT_EQ(1, dirty_leaves(dirty));

	plain->ops->free(plain);
	parent->ops->free(parent);
	dirty->ops->free(dirty);
	put_device(dev);
}

TEST(vtd_bad_spec_configures_nothing)
{
	setenv("IOMMUSIM_DEVICES", "vtd;vtd,levels=6", 1);
	EXPECT_EQ(0, platform_configured_count());
	EXPECT_NULL(platform_get_configured_device(0));
	EXPECT_EQ(-ENOENT, vfio_device_cdev_open(0, O_RDWR));
}

TEST(vtd_spec_parsing)
{
	struct platform_device_spec spec;
	const char *bad;
	size_t bad_len;
	const char *text = "vtd,pasid=4,sre=off,levels=4";

	ASSERT_EQ(0, platform_parse_device_spec(text, strlen(text), &spec, &bad,
						&bad_len));
	EXPECT_EQ(PLATFORM_DEVICE_VTD, spec.kind);
	EXPECT_EQ(4, spec.vtd.pasid_bits);
	EXPECT_FALSE(spec.vtd.sre);
	EXPECT_TRUE(spec.vtd.prs);
	EXPECT_EQ(4, spec.vtd.levels);
	text = "vtd,prs=off,frob";
	EXPECT_EQ(-EINVAL, platform_parse_device_spec(text, strlen(text), &spec,
						      &bad, &bad_len));
	EXPECT_EQ(0, strncmp(bad, "frob", bad_len));
	EXPECT_EQ(4, bad_len);
	text = "smmu,x=1";
	EXPECT_EQ(-EINVAL, platform_parse_device_spec(text, strlen(text), &spec,
						      &bad, &bad_len));
	EXPECT_EQ(4, bad_len);
	/* a spec of len bytes: what follows is not read */
	EXPECT_EQ(0, platform_parse_device_spec("vtd;junk", 3, &spec, &bad,
						&bad_len));
}

TEST_HARNESS_MAIN
