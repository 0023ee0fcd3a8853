// SPDX-License-Identifier: MIT
/*
 * IOMMUSIM_DMA: a VT-d device's DMA through its VFIO cdev. The command's
 * ABI and every errno; transfers through a paging HWPT and through a
 * guest's stage 1 (a nested HWPT), page by page, with each fault's reason
 * and stage; permissions and privilege; A/D in the guest's tables and the
 * parent's dirty bitmap; and the IOTLB's rules: stale until invalidated
 * (one page, ranges, all; LEAF keeps the paging-structure entries), UNMAP
 * flushing what depends on it, detach and replace flushing, a fixed
 * capacity with LRU replacement, and the stale-IOTLB detector's report.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include "dma_utils.h"

#ifdef IOMMUSIM_TEST_DIRECT
#include <iommusim/iommusim.h>
#endif

#define GVA 0x7f0000000000ull
#define PAGE 4096ull

/* ---- the command's ABI --------------------------------------------------- */

FIXTURE(dma)
{
	int fd;
	int vfd;
	__u32 ioas_id;
	__u32 devid;
};

/* A context, an IOAS with the test buffer at GUEST_GPA, the full device
 * bound to it: what both fixtures start from. */
#define device_and_ioas_setup()                                                \
	({                                                                     \
		self->fd = iommufd_open();                                     \
		ASSERT_LE(0, self->fd);                                        \
		self->vfd = vfio_cdev_open(DEV_FULL);                          \
		ASSERT_LE(0, self->vfd);                                       \
		test_ioctl_ioas_alloc(&self->ioas_id);                         \
		ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, &self->devid));   \
		test_ioctl_ioas_map_fixed(buffer, BUFFER_SIZE, GUEST_GPA);     \
	})

FIXTURE_SETUP(dma)
{
	device_and_ioas_setup();
}

FIXTURE_TEARDOWN(dma)
{
	close(self->vfd);
	close(self->fd);
}

TEST(dma_layout)
{
	EXPECT_EQ(64, sizeof(struct iommusim_dma));
	EXPECT_EQ(0, offsetof(struct iommusim_dma, size));
	EXPECT_EQ(4, offsetof(struct iommusim_dma, flags));
	EXPECT_EQ(8, offsetof(struct iommusim_dma, pasid));
	EXPECT_EQ(12, offsetof(struct iommusim_dma, __reserved));
	EXPECT_EQ(16, offsetof(struct iommusim_dma, iova));
	EXPECT_EQ(24, offsetof(struct iommusim_dma, length));
	EXPECT_EQ(32, offsetof(struct iommusim_dma, buf_uptr));
	EXPECT_EQ(40, offsetof(struct iommusim_dma, out_done));
	EXPECT_EQ(48, offsetof(struct iommusim_dma, out_fault_iova));
	EXPECT_EQ(56, offsetof(struct iommusim_dma, out_fault_reason));
	EXPECT_EQ(60, offsetof(struct iommusim_dma, out_fault_stage));
	EXPECT_EQ(0xE1, IOMMUSIM_TYPE);
	EXPECT_EQ(_IO(0xE1, 0x00), IOMMUSIM_DMA);
	EXPECT_EQ(1, IOMMUSIM_DMA_WRITE);
	EXPECT_EQ(2, IOMMUSIM_DMA_PASID);
	EXPECT_EQ(4, IOMMUSIM_DMA_PRIV);
	EXPECT_EQ(8, IOMMUSIM_DMA_WAIT_PRI);
	EXPECT_EQ(0, IOMMUSIM_FAULT_NONE);
	EXPECT_EQ(1, IOMMUSIM_FAULT_BLOCKED);
	EXPECT_EQ(2, IOMMUSIM_FAULT_NOT_PRESENT);
	EXPECT_EQ(3, IOMMUSIM_FAULT_READ);
	EXPECT_EQ(4, IOMMUSIM_FAULT_WRITE);
	EXPECT_EQ(5, IOMMUSIM_FAULT_PRIV);
	EXPECT_EQ(6, IOMMUSIM_FAULT_ADDRESS);
	EXPECT_EQ(7, IOMMUSIM_FAULT_TABLE);
}

/* Not bound: every command is EINVAL, ours too; on the iommufd: ENOTTY. */
TEST(dma_unbound_and_wrong_fd)
{
	int fd = iommufd_open(), vfd = vfio_cdev_open(DEV_FULL);
	uint64_t v;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, vfd);
	EXPECT_ERRNO(EINVAL, _test_dma(vfd, 0, 0, 0, &v, 8, NULL));
	EXPECT_ERRNO(ENOTTY, _test_dma(fd, 0, 0, 0, &v, 8, NULL));
	close(vfd);
	close(fd);
}

TEST_F(dma, sizes)
{
	struct {
		struct iommusim_dma dma;
		uint64_t tail;
	} big = { .dma = { .size = sizeof(big), .length = 8 } };
	uint64_t v = 0;
	__u32 pt_id = self->ioas_id;

	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, pt_id));
	big.dma.iova = GUEST_GPA;
	big.dma.buf_uptr = (uintptr_t)&v;
	/* the minimum is the whole struct */
	big.dma.size = sizeof(struct iommusim_dma) - 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, IOMMUSIM_DMA, &big));
	big.dma.size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, IOMMUSIM_DMA, &big));
	/* a tail past it: zero is taken, anything else is E2BIG */
	big.dma.size = sizeof(big);
	big.tail = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->vfd, IOMMUSIM_DMA, &big));
	big.tail = 0;
	ASSERT_EQ(0, ioctl(self->vfd, IOMMUSIM_DMA, &big));
	EXPECT_EQ(8, big.dma.out_done);
	EXPECT_ERRNO(EFAULT, ioctl(self->vfd, IOMMUSIM_DMA, (void *)8));
	/* the struct itself unwritable: the reply fails */
	EXPECT_ERRNO(EFAULT, ioctl(self->vfd, IOMMUSIM_DMA, NULL));
}

TEST_F(dma, field_checks_in_order)
{
	uint64_t v = 0;
	struct iommusim_dma cmd;
	int plain = vfio_cdev_open(DEV_PLAIN), small = vfio_cdev_open(DEV_SMALL_TLB);

	ASSERT_LE(0, plain);
	ASSERT_LE(0, small);
	ASSERT_EQ(0, _vfio_bind(plain, self->fd, NULL));
	ASSERT_EQ(0, _vfio_bind(small, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->ioas_id));

	/* unknown flags, reserved, a PASID without its flag */
	test_err_dma(EINVAL, self->vfd, 1u << 4, 0, GUEST_GPA, &v, 8);
	cmd = (struct iommusim_dma){ .size = sizeof(cmd), .__reserved = 1,
				     .iova = GUEST_GPA, .length = 8,
				     .buf_uptr = (uintptr_t)&v };
	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, IOMMUSIM_DMA, &cmd));
	cmd.__reserved = 0;
	cmd.pasid = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vfd, IOMMUSIM_DMA, &cmd));
	/* PRIV needs a PASID */
	test_err_dma(EINVAL, self->vfd, IOMMUSIM_DMA_PRIV, 0, GUEST_GPA, &v, 8);
	/* flags win over the length */
	test_err_dma(EINVAL, self->vfd, 1u << 31, 0, GUEST_GPA, &v, 0);
	test_err_dma(EINVAL, self->vfd, 0, 0, GUEST_GPA, &v, 0);
	/* arithmetic: the range wraps */
	test_err_dma(EOVERFLOW, self->vfd, 0, 0, U64_MAX - 3, &v, 8);
	/* ... and wins over the PASID */
	test_err_dma(EOVERFLOW, plain, 0, 3, U64_MAX - 3, &v, 8);
	/* a PASID the device lacks: none at all, past 2^20 */
	test_err_dma(EINVAL, plain, 0, 1, GUEST_GPA, &v, 8);
	test_err_dma(EINVAL, self->vfd, 0, 1u << 20, GUEST_GPA, &v, 8);
	/* a privileged request from a device without the mode (sre=off) */
	test_err_dma(EINVAL, small, IOMMUSIM_DMA_PRIV, 1, GUEST_GPA, &v, 8);
	/* the buffer: not user memory at all, then unmapped memory */
	test_err_dma(EFAULT, self->vfd, 0, 0, GUEST_GPA, (void *)-8ull, 8);
	test_err_dma(EFAULT, self->vfd, 0, 0, GUEST_GPA, NULL, 8);
	/* a good one after all that */
	test_dma_read(self->vfd, GUEST_GPA, &v, 8);
	close(small);
	close(plain);
}

/* A bound device attached to nothing, or a PASID attached to nothing,
 * is blocked: EIO, nothing moved, stage 0. */
TEST_F(dma, blocked)
{
	uint64_t v = 0;

	test_dma_fault(self->vfd, 0, 0, GUEST_GPA + 8, &v, 8, 0, GUEST_GPA,
		       IOMMUSIM_FAULT_BLOCKED, 0);
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->ioas_id));
	test_dma_read(self->vfd, GUEST_GPA, &v, 8);
	test_dma_fault(self->vfd, 0, 7, GUEST_GPA, &v, 8, 0, GUEST_GPA,
		       IOMMUSIM_FAULT_BLOCKED, 0);
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
	test_dma_fault(self->vfd, IOMMUSIM_DMA_WRITE, 0, GUEST_GPA, &v, 8, 0,
		       GUEST_GPA, IOMMUSIM_FAULT_BLOCKED, 0);
}

/* ---- a paging HWPT ----------------------------------------------------------- */

TEST_F(dma, paging_reads_and_writes)
{
	size_t len = 3 * PAGE + 100;
	uint8_t *src = malloc(len), *dst = malloc(len);

	ASSERT_NONNULL(src);
	ASSERT_NONNULL(dst);
	for (size_t i = 0; i < len; i++)
		src[i] = (uint8_t)(i * 7 + 1);
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->ioas_id));
	/* across pages, from an unaligned start */
	test_dma_write(self->vfd, GUEST_GPA + 0x2345, src, len);
	EXPECT_EQ(0, memcmp(BUF(0x2345), src, len));
	memset(dst, 0, len);
	test_dma_read(self->vfd, GUEST_GPA + 0x2345, dst, len);
	EXPECT_EQ(0, memcmp(dst, src, len));
	/* the whole buffer in one transfer */
	free(src);
	src = malloc(BUFFER_SIZE);
	ASSERT_NONNULL(src);
	test_dma_read(self->vfd, GUEST_GPA, src, BUFFER_SIZE);
	EXPECT_EQ(0, memcmp(src, buffer, BUFFER_SIZE));
	free(src);
	free(dst);
}

TEST_F(dma, paging_faults)
{
	uint8_t *tmp = malloc(4 * PAGE);
	uint64_t end = GUEST_GPA + BUFFER_SIZE;
	__u64 ro_iova = 0x80000000ull;

	ASSERT_NONNULL(tmp);
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->ioas_id));
	/* the pages before the hole moved, the hole faults */
	memset(BUF(BUFFER_SIZE - PAGE), 0x11, PAGE);
	test_dma_fault(self->vfd, 0, 0, end - PAGE - 8, tmp, 3 * PAGE,
		       PAGE + 8, end, IOMMUSIM_FAULT_NOT_PRESENT, 0);
	EXPECT_EQ(0x11, tmp[PAGE]);
	/* a read-only mapping refuses writes, reads it */
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
						BUF(0), PAGE, ro_iova,
						IOMMU_IOAS_MAP_READABLE));
	test_dma_read(self->vfd, ro_iova, tmp, 8);
	test_dma_fault(self->vfd, IOMMUSIM_DMA_WRITE, 0, ro_iova + 16, tmp,
		       8, 0, ro_iova, IOMMUSIM_FAULT_WRITE, 0);
	/* beyond 57 bits: no address */
	test_dma_fault(self->vfd, 0, 0, 1ull << 57, tmp, 8, 0, 1ull << 57,
		       IOMMUSIM_FAULT_ADDRESS, 0);
	/* after UNMAP the device reaches nothing there */
	test_ioctl_ioas_unmap(ro_iova, PAGE);
	test_dma_fault(self->vfd, 0, 0, ro_iova, tmp, 8, 0, ro_iova,
		       IOMMUSIM_FAULT_NOT_PRESENT, 0);
	free(tmp);
}

/* Buffers the process no longer has: EFAULT, with the bytes moved. */
TEST_F(dma, buffer_unmapped_midway)
{
	uint8_t *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommusim_dma out;

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + PAGE, PAGE));
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->ioas_id));
	memset(BUF(0), 0x22, 2 * PAGE);
	EXPECT_ERRNO(EFAULT, _test_dma(self->vfd, 0, 0, GUEST_GPA, two,
				       2 * PAGE, &out));
	EXPECT_EQ(PAGE, out.out_done);
	EXPECT_EQ(0x22, two[PAGE - 1]);
	munmap(two, PAGE);
}

/* With dirty tracking on, a device write shows in the bitmap; after the
 * bitmap is read and cleared, the next write shows again (the cached
 * translation that set D is dropped with it). */
TEST_F(dma, paging_dirty_tracking)
{
	__u32 hwpt;
	uint64_t bitmap = 0, v = 1;

	test_cmd_hwpt_alloc(self->devid, self->ioas_id,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt);
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, hwpt));
	test_dma_write(self->vfd, GUEST_GPA + 3 * PAGE, &v, 8);
	test_cmd_set_dirty_tracking(hwpt, true);
	test_dma_write(self->vfd, GUEST_GPA + 5 * PAGE, &v, 8);
	test_cmd_get_dirty_bitmap(hwpt, GUEST_GPA, 64 * PAGE, PAGE,
				  &bitmap, 0);
	EXPECT_EQ(1ull << 5, bitmap);
	bitmap = 0;
	test_dma_write(self->vfd, GUEST_GPA + 5 * PAGE, &v, 8);
	test_cmd_get_dirty_bitmap(hwpt, GUEST_GPA, 64 * PAGE, PAGE,
				  &bitmap, 0);
	EXPECT_EQ(1ull << 5, bitmap);
	/* a read dirties nothing */
	bitmap = 0;
	test_dma_read(self->vfd, GUEST_GPA + 6 * PAGE, &v, 8);
	test_cmd_get_dirty_bitmap(hwpt, GUEST_GPA, 64 * PAGE, PAGE,
				  &bitmap, 0);
	EXPECT_EQ(0, bitmap);
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
}

#ifdef IOMMUSIM_TEST_DIRECT
/* The library's iommusim_dma() is the same command. */
TEST_F(dma, library_call)
{
	struct iommusim_dma cmd = {
		.size = sizeof(cmd),
		.iova = GUEST_GPA,
		.length = 8,
	};
	uint64_t v = 0;

	cmd.buf_uptr = (uintptr_t)&v;
	memset(BUF(0), 0x33, 8);
	EXPECT_EQ(-EIO, iommusim_dma(self->vfd, &cmd));
	EXPECT_EQ(IOMMUSIM_FAULT_BLOCKED, cmd.out_fault_reason);
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->ioas_id));
	EXPECT_EQ(0, iommusim_dma(self->vfd, &cmd));
	EXPECT_EQ(0x3333333333333333ull, v);
	EXPECT_EQ(-EBADF, iommusim_dma(self->fd, &cmd));
	EXPECT_EQ(-EBADF, iommusim_dma(-1, &cmd));
	cmd.length = 0;
	EXPECT_EQ(-EINVAL, iommusim_dma(self->vfd, &cmd));
}
#endif

/* ---- a guest's stage 1 ----------------------------------------------------------- */

FIXTURE(nested)
{
	int fd;
	int vfd;
	__u32 ioas_id;
	__u32 devid;
	__u32 parent;
	__u32 nested;
	struct guest g;
};

static void nested_alloc(struct __test_metadata *_metadata, int fd,
			 __u32 devid, __u32 parent, uint64_t root, __u32 flags,
			 __u32 *id)
{
	struct iommu_hwpt_vtd_s1 s1 = {
		.flags = flags,
		.pgtbl_addr = root,
		.addr_width = 48,
	};

	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, devid, parent,
					  IOMMU_HWPT_ALLOC_PASID, 0,
					  IOMMU_HWPT_DATA_VTD_S1, &s1,
					  sizeof(s1), id));
}

/* Pages 0..15 at GVA + n pages, read-write; page n holds n in each byte. */
FIXTURE_SETUP(nested)
{
	device_and_ioas_setup();
	test_cmd_hwpt_alloc(self->devid, self->ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT |
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				    IOMMU_HWPT_ALLOC_PASID,
			    &self->parent);
	guest_init(&self->g);
	for (unsigned int n = 0; n < 64; n++) {
		guest_map(&self->g, GVA + n * PAGE, guest_page(n), 0, X86_LEAF);
		memset(guest_ptr(&self->g, guest_page(n)), n, PAGE);
	}
	nested_alloc(_metadata, self->fd, self->devid, self->parent,
		     self->g.root, IOMMU_VTD_S1_SRE, &self->nested);
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->nested));
}

FIXTURE_TEARDOWN(nested)
{
	close(self->vfd);
	close(self->fd);
}

#define PEEK(gva) dma_peek(self->vfd, 0, 0, gva)
#define BYTES(n) (0x0101010101010101ull * (n))

/* Invalidates [addr, addr + npages pages) of the nested HWPT. */
static int invalidate(int fd, __u32 hwpt, uint64_t addr, uint64_t npages,
		      __u32 flags)
{
	struct iommu_hwpt_vtd_s1_invalidate inv = {
		.addr = addr,
		.npages = npages,
		.flags = flags,
	};
	__u32 num = 1;

	return _test_cmd_hwpt_invalidate(fd, hwpt, &inv,
					 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					 sizeof(inv), &num);
}

TEST_F(nested, translates_and_moves)
{
	uint8_t data[3 * PAGE];

	EXPECT_EQ(BYTES(3), PEEK(GVA + 3 * PAGE + 8));
	/* a write across three guest pages */
	memset(data, 0xab, sizeof(data));
	ASSERT_EQ(0, _test_dma(self->vfd, IOMMUSIM_DMA_WRITE, 0,
			       GVA + 2 * PAGE + 16, data, sizeof(data), NULL));
	EXPECT_EQ(0xab, *((uint8_t *)guest_ptr(&self->g, guest_page(2)) + 16));
	EXPECT_EQ(0xab, *((uint8_t *)guest_ptr(&self->g, guest_page(5)) + 15));
	EXPECT_EQ(5, *((uint8_t *)guest_ptr(&self->g, guest_page(5)) + 16));
	/* a 2 MiB stage-1 leaf */
	guest_map(&self->g, GVA + 0x40000000ull, GUEST_GPA + 0x400000, 1,
		  X86_LEAF);
	*guest_ptr(&self->g, GUEST_GPA + 0x5ff000) = 0x1234;
	EXPECT_EQ(0x1234, PEEK(GVA + 0x40000000ull + 0x1ff000));
}

/* A on every stage-1 entry walked, D on the leaf for a write. */
TEST_F(nested, accessed_and_dirty_in_guest_tables)
{
	uint64_t *pml4e = guest_ptr(&self->g, self->g.root) + x86_index(GVA, 3);
	uint64_t *pdpte = guest_ptr(&self->g, *pml4e & X86_ADDR) +
			  x86_index(GVA, 2);
	uint64_t *pde = guest_ptr(&self->g, *pdpte & X86_ADDR) +
			x86_index(GVA, 1);
	uint64_t *pte = guest_ptr(&self->g, *pde & X86_ADDR);
	uint64_t v = 0;

	EXPECT_EQ(0, *pml4e & X86_A);
	PEEK(GVA);
	EXPECT_EQ(X86_A, *pml4e & (X86_A | X86_D));
	EXPECT_EQ(X86_A, *pdpte & (X86_A | X86_D));
	EXPECT_EQ(X86_A, *pde & (X86_A | X86_D));
	EXPECT_EQ(X86_A, pte[0] & (X86_A | X86_D));
	EXPECT_EQ(0, pte[1] & X86_A);
	test_dma_write(self->vfd, GVA + PAGE, &v, 8);
	EXPECT_EQ(X86_A | X86_D, pte[1] & (X86_A | X86_D));
	/* a write through a translation cached by a read walks to set D */
	test_dma_write(self->vfd, GVA, &v, 8);
	EXPECT_EQ(X86_A | X86_D, pte[0] & (X86_A | X86_D));
}

/* The parent's dirty tracking sees a nested write at its GPA. */
TEST_F(nested, nested_write_in_parent_dirty_bitmap)
{
	uint64_t bitmap[8] = { 0 }, v = 7;
	uint64_t first = guest_page(0);

	test_cmd_set_dirty_tracking(self->parent, true);
	test_dma_write(self->vfd, GVA + 9 * PAGE, &v, 8);
	test_cmd_get_dirty_bitmap(self->parent, first, 64 * PAGE,
				  PAGE, bitmap, 0);
	EXPECT_EQ(1ull << 9, bitmap[0]);
}

TEST_F(nested, stage1_faults)
{
	uint64_t v = 0, *pte = guest_slot(&self->g, GVA, 0);

	/* a hole */
	test_dma_fault(self->vfd, 0, 0, GVA + 0x200000, &v, 8, 0,
		       GVA + 0x200000, IOMMUSIM_FAULT_NOT_PRESENT, 1);
	/* read-only: reads pass, writes fault */
	pte[1] &= ~X86_RW;
	EXPECT_EQ(BYTES(1), PEEK(GVA + PAGE));
	test_dma_fault(self->vfd, IOMMUSIM_DMA_WRITE, 0, GVA + PAGE + 8, &v, 8,
		       0, GVA + PAGE, IOMMUSIM_FAULT_WRITE, 1);
	/* a supervisor page refuses a user request */
	pte[2] &= ~X86_US;
	test_dma_fault(self->vfd, 0, 0, GVA + 2 * PAGE, &v, 8, 0,
		       GVA + 2 * PAGE, IOMMUSIM_FAULT_PRIV, 1);
	/* reserved bits: PS in a PML4E, address bits below a 2 MiB leaf */
	guest_map(&self->g, GVA + 0x400000, GUEST_GPA + 0x202000, 1, X86_LEAF);
	test_dma_fault(self->vfd, 0, 0, GVA + 0x400000, &v, 8, 0,
		       GVA + 0x400000, IOMMUSIM_FAULT_TABLE, 1);
	*(guest_ptr(&self->g, self->g.root) + 5) = GUEST_GPA | X86_TABLE | X86_PS;
	test_dma_fault(self->vfd, 0, 0, 5ull << 39, &v, 8, 0, 5ull << 39,
		       IOMMUSIM_FAULT_TABLE, 1);
	/* not canonical for 48 bits */
	test_dma_fault(self->vfd, 0, 0, 1ull << 47, &v, 8, 0, 1ull << 47,
		       IOMMUSIM_FAULT_ADDRESS, 1);
	/* the bytes of the pages before a fault moved */
	test_dma_fault(self->vfd, 0, 0, GVA + 63 * PAGE, BUF(BUFFER_SIZE - 2 * PAGE),
		       2 * PAGE, PAGE, GVA + 64 * PAGE,
		       IOMMUSIM_FAULT_NOT_PRESENT, 1);
}

TEST_F(nested, stage2_faults)
{
	uint64_t v = 0;

	/* a leaf's page outside stage 2 */
	guest_map(&self->g, GVA + 100 * PAGE, 0x10000000ull, 0, X86_LEAF);
	test_dma_fault(self->vfd, 0, 0, GVA + 100 * PAGE, &v, 8, 0,
		       GVA + 100 * PAGE, IOMMUSIM_FAULT_NOT_PRESENT, 2);
	/* a table outside stage 2 */
	*guest_slot(&self->g, GVA + 0x800000, 1) = 0x10000000ull | X86_TABLE;
	test_dma_fault(self->vfd, 0, 0, GVA + 0x800000, &v, 8, 0,
		       GVA + 0x800000, IOMMUSIM_FAULT_NOT_PRESENT, 2);
	/* a leaf beyond the 57-bit stage 2 */
	guest_map(&self->g, GVA + 101 * PAGE, 1ull << 51, 0, X86_LEAF);
	test_dma_fault(self->vfd, 0, 0, GVA + 101 * PAGE, &v, 8, 0,
		       GVA + 101 * PAGE, IOMMUSIM_FAULT_NOT_PRESENT, 2);
}

/* Supervisor requests on a PASID: SRE lets them in, they ignore U/S, and
 * write a read-only page unless WPE. */
TEST_F(nested, privilege_sre_wpe)
{
	uint64_t v = 0x77, *pte = guest_slot(&self->g, GVA, 0);
	__u32 no_sre, wpe;

	nested_alloc(_metadata, self->fd, self->devid, self->parent,
		     self->g.root, 0, &no_sre);
	nested_alloc(_metadata, self->fd, self->devid, self->parent,
		     self->g.root, IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_WPE, &wpe);
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->parent));
	pte[1] &= ~X86_US;
	pte[2] &= ~X86_RW;
	/* PASID 5: SRE */
	ASSERT_EQ(0, dev_attach(self->vfd, VFIO_DEVICE_ATTACH_PASID, 5,
				self->nested));
	EXPECT_EQ(BYTES(1), dma_peek(self->vfd, IOMMUSIM_DMA_PRIV, 5,
				     GVA + PAGE));
	test_dma_fault(self->vfd, 0, 5, GVA + PAGE, &v, 8, 0, GVA + PAGE,
		       IOMMUSIM_FAULT_PRIV, 1);
	ASSERT_EQ(0, _test_dma(self->vfd,
			       IOMMUSIM_DMA_PRIV | IOMMUSIM_DMA_WRITE, 5,
			       GVA + 2 * PAGE, &v, 8, NULL));
	EXPECT_EQ(0x77, *guest_ptr(&self->g, guest_page(2)));
	/* PASID 6: no SRE */
	ASSERT_EQ(0, dev_attach(self->vfd, VFIO_DEVICE_ATTACH_PASID, 6,
				no_sre));
	test_dma_fault(self->vfd, IOMMUSIM_DMA_PRIV, 6, GVA, &v, 8, 0, GVA,
		       IOMMUSIM_FAULT_PRIV, 1);
	EXPECT_EQ(BYTES(0), dma_peek(self->vfd, 0, 6, GVA));
	/* PASID 7: WPE */
	ASSERT_EQ(0, dev_attach(self->vfd, VFIO_DEVICE_ATTACH_PASID, 7, wpe));
	test_dma_fault(self->vfd, IOMMUSIM_DMA_PRIV | IOMMUSIM_DMA_WRITE, 7,
		       GVA + 2 * PAGE, &v, 8, 0, GVA + 2 * PAGE,
		       IOMMUSIM_FAULT_WRITE, 1);
	/* the RID reaches the parent: GVA is a GPA there, and not mapped */
	test_dma_fault(self->vfd, 0, 0, GVA, &v, 8, 0, GVA,
		       IOMMUSIM_FAULT_NOT_PRESENT, 0);
	ASSERT_EQ(0, _vfio_detach(self->vfd, VFIO_DEVICE_DETACH_PASID, 5));
	ASSERT_EQ(0, _vfio_detach(self->vfd, VFIO_DEVICE_DETACH_PASID, 6));
	ASSERT_EQ(0, _vfio_detach(self->vfd, VFIO_DEVICE_DETACH_PASID, 7));
}

/* ---- the IOTLB ------------------------------------------------------------------- */

/* Points page n's PTE at data page m (page m holds m in each byte). */
static void repoint(struct guest *g, unsigned int n, unsigned int m)
{
	*guest_slot(g, GVA + n * PAGE, 0) = guest_page(m) | X86_LEAF;
}

TEST_F(nested, stale_until_invalidated_one_page)
{
	EXPECT_EQ(BYTES(1), PEEK(GVA + PAGE));
	repoint(&self->g, 1, 40);
	/* every time, until the invalidation */
	EXPECT_EQ(BYTES(1), PEEK(GVA + PAGE));
	EXPECT_EQ(BYTES(1), PEEK(GVA + PAGE + 8));
	/* another page's invalidation changes nothing here */
	ASSERT_EQ(0, invalidate(self->fd, self->nested, GVA, 1, 0));
	EXPECT_EQ(BYTES(1), PEEK(GVA + PAGE));
	ASSERT_EQ(0, invalidate(self->fd, self->nested, GVA + PAGE, 1,
				IOMMU_VTD_INV_FLAGS_LEAF));
	EXPECT_EQ(BYTES(40), PEEK(GVA + PAGE));
}

TEST_F(nested, stale_writes_go_to_the_old_page)
{
	uint64_t v = 0x5555;

	test_dma_write(self->vfd, GVA + 3 * PAGE, &v, 8);
	repoint(&self->g, 3, 41);
	v = 0x6666;
	test_dma_write(self->vfd, GVA + 3 * PAGE, &v, 8);
	EXPECT_EQ(0x6666, *guest_ptr(&self->g, guest_page(3)));
	EXPECT_EQ(BYTES(41), *guest_ptr(&self->g, guest_page(41)));
}

TEST_F(nested, invalidate_ranges_and_all)
{
	for (unsigned int n = 0; n < 4; n++) {
		EXPECT_EQ(BYTES(n), PEEK(GVA + n * PAGE));
		repoint(&self->g, n, 40 + n);
	}
	/* pages 1 and 2 */
	ASSERT_EQ(0, invalidate(self->fd, self->nested, GVA + PAGE, 2, 0));
	EXPECT_EQ(BYTES(0), PEEK(GVA));
	EXPECT_EQ(BYTES(41), PEEK(GVA + PAGE));
	EXPECT_EQ(BYTES(42), PEEK(GVA + 2 * PAGE));
	EXPECT_EQ(BYTES(3), PEEK(GVA + 3 * PAGE));
	/* everything */
	ASSERT_EQ(0, invalidate(self->fd, self->nested, 0, U64_MAX, 0));
	EXPECT_EQ(BYTES(40), PEEK(GVA));
	EXPECT_EQ(BYTES(43), PEEK(GVA + 3 * PAGE));
}

/* A non-leaf entry changed: LEAF drops the translations but not the
 * paging-structure entries, so the old table is still walked. */
TEST_F(nested, leaf_hint_keeps_paging_structure_entries)
{
	uint64_t *pde = guest_slot(&self->g, GVA, 1);
	uint64_t new_pt = guest_table(&self->g);

	EXPECT_EQ(BYTES(0), PEEK(GVA));
	*guest_ptr(&self->g, new_pt) = guest_page(44) | X86_LEAF;
	*pde = new_pt | X86_TABLE;
	ASSERT_EQ(0, invalidate(self->fd, self->nested, GVA, 1,
				IOMMU_VTD_INV_FLAGS_LEAF));
	EXPECT_EQ(BYTES(0), PEEK(GVA));
	ASSERT_EQ(0, invalidate(self->fd, self->nested, GVA, 1,
				IOMMU_VTD_INV_FLAGS_LEAF));
	EXPECT_EQ(BYTES(0), PEEK(GVA));
	ASSERT_EQ(0, invalidate(self->fd, self->nested, GVA, 1, 0));
	EXPECT_EQ(BYTES(44), PEEK(GVA));
	/* the other pages of the old table are gone from this walk */
	test_dma_fault(self->vfd, 0, 0, GVA + PAGE, (uint64_t[1]){ 0 }, 8, 0,
		       GVA + PAGE, IOMMUSIM_FAULT_NOT_PRESENT, 1);
}

/* UNMAP of stage 2 under a cached nested translation: nothing reaches the
 * old page after UNMAP returns. */
TEST_F(nested, unmap_under_live_nested_translation)
{
	uint64_t v = 0x99, page = guest_page(5);

	test_dma_write(self->vfd, GVA + 5 * PAGE, &v, 8);
	test_ioctl_ioas_unmap(GUEST_GPA, BUFFER_SIZE);
	v = 0xaa;
	test_dma_fault(self->vfd, IOMMUSIM_DMA_WRITE, 0, GVA + 5 * PAGE, &v,
		       8, 0, GVA + 5 * PAGE, IOMMUSIM_FAULT_NOT_PRESENT, 2);
	EXPECT_EQ(0x99, *guest_ptr(&self->g, page));
	/* mapped back: translates again */
	test_ioctl_ioas_map_fixed(buffer, BUFFER_SIZE, GUEST_GPA);
	test_dma_write(self->vfd, GVA + 5 * PAGE, &v, 8);
	EXPECT_EQ(0xaa, *guest_ptr(&self->g, page));
}

TEST_F(nested, detach_and_replace_flush)
{
	__u32 other;

	EXPECT_EQ(BYTES(1), PEEK(GVA + PAGE));
	repoint(&self->g, 1, 45);
	EXPECT_EQ(BYTES(1), PEEK(GVA + PAGE));
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->nested));
	EXPECT_EQ(BYTES(45), PEEK(GVA + PAGE));
	repoint(&self->g, 1, 46);
	EXPECT_EQ(BYTES(45), PEEK(GVA + PAGE));
	/* replace by another HWPT of the same tables, then back */
	nested_alloc(_metadata, self->fd, self->devid, self->parent,
		     self->g.root, 0, &other);
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, other));
	EXPECT_EQ(BYTES(46), PEEK(GVA + PAGE));
	repoint(&self->g, 1, 47);
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->nested));
	EXPECT_EQ(BYTES(47), PEEK(GVA + PAGE));
}

/* iotlb=4: one set of four ways; the least recently used goes. */
TEST_F(nested, capacity_and_lru)
{
	int small = vfio_cdev_open(DEV_SMALL_TLB);
	__u32 devid, no_sre;

	ASSERT_LE(0, small);
	ASSERT_EQ(0, _vfio_bind(small, self->fd, &devid));
	nested_alloc(_metadata, self->fd, self->devid, self->parent,
		     self->g.root, 0, &no_sre);
	ASSERT_EQ(0, dev_attach(small, 0, 0, no_sre));
	for (unsigned int n = 0; n < 4; n++)
		EXPECT_EQ(BYTES(n), dma_peek(small, 0, 0, GVA + n * PAGE));
	/* page 0 used again: page 1 is now the oldest */
	EXPECT_EQ(BYTES(0), dma_peek(small, 0, 0, GVA));
	for (unsigned int n = 0; n < 4; n++)
		repoint(&self->g, n, 50 + n);
	/* a fifth page evicts page 1 */
	EXPECT_EQ(BYTES(4), dma_peek(small, 0, 0, GVA + 4 * PAGE));
	EXPECT_EQ(BYTES(0), dma_peek(small, 0, 0, GVA));
	EXPECT_EQ(BYTES(2), dma_peek(small, 0, 0, GVA + 2 * PAGE));
	EXPECT_EQ(BYTES(3), dma_peek(small, 0, 0, GVA + 3 * PAGE));
	EXPECT_EQ(BYTES(51), dma_peek(small, 0, 0, GVA + PAGE));
	/* the big device's IOTLB is its own: it cached nothing of this */
	EXPECT_EQ(BYTES(52), PEEK(GVA + 2 * PAGE));
	close(small);
}

/* ---- page requests ------------------------------------------------------------- */

/* A nested HWPT of the guest's tables whose faults go to a fault queue. */
static __u32 nested_with_queue(struct __test_metadata *_metadata,
			       FIXTURE_DATA(nested) *self, int *fault_fd)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = self->g.root,
					.addr_width = 48 };
	__u32 fault_id, hwpt;

	test_ioctl_fault_alloc(&fault_id, fault_fd);
	test_cmd_hwpt_alloc_iopf(self->devid, self->parent, fault_id,
				 IOMMU_HWPT_FAULT_ID_VALID, &hwpt,
				 IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	return hwpt;
}

static int poll_in(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

/* Without WAIT_PRI the page request goes out and the call fails at once;
 * a fault no handler can resolve sends none. */
TEST_F(nested, fault_becomes_page_request)
{
	struct iommu_hwpt_pgfault rec;
	uint64_t v = 0;
	int fault_fd;
	__u32 hwpt = nested_with_queue(_metadata, self, &fault_fd);

	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, hwpt));
	test_dma_fault(self->vfd, IOMMUSIM_DMA_WRITE, 0, GVA + 0x200010, &v, 8,
		       0, GVA + 0x200000, IOMMUSIM_FAULT_NOT_PRESENT, 1);
	ASSERT_TRUE(poll_in(fault_fd, 0));
	ASSERT_EQ(sizeof(rec), read_faults(fault_fd, &rec, 1));
	EXPECT_EQ(IOMMU_PGFAULT_FLAGS_LAST_PAGE, rec.flags);
	EXPECT_EQ(self->devid, rec.dev_id);
	EXPECT_EQ(IOMMU_PGFAULT_PERM_WRITE, rec.perm);
	EXPECT_EQ(GVA + 0x200000, rec.addr);
	EXPECT_EQ(sizeof(struct iommu_hwpt_page_response),
		  respond_fault(fault_fd, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	/* not canonical: no page request */
	test_dma_fault(self->vfd, 0, 0, 1ull << 47, &v, 8, 0, 1ull << 47,
		       IOMMUSIM_FAULT_ADDRESS, 1);
	EXPECT_FALSE(poll_in(fault_fd, 0));
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
	close(fault_fd);
}

struct waiting_dma {
	int vfd;
	__u32 flags;
	uint64_t gva;
	uint8_t buf[2 * 4096];
	struct iommusim_dma out;
	int rc, err;
};

static void *waiting_dma_run(void *arg)
{
	struct waiting_dma *d = arg;

	d->rc = _test_dma(d->vfd, d->flags | IOMMUSIM_DMA_WAIT_PRI, 0, d->gva,
			  d->buf, sizeof(d->buf), &d->out);
	d->err = errno;
	return NULL;
}

/* Reads the one page request the waiting transfer sent. */
static void read_request(struct __test_metadata *_metadata, int fault_fd,
			 uint64_t page, struct iommu_hwpt_pgfault *rec)
{
	ASSERT_TRUE(poll_in(fault_fd, 10000));
	ASSERT_EQ(sizeof(*rec), read_faults(fault_fd, rec, 1));
	EXPECT_EQ(page, rec->addr);
}

/* WAIT_PRI: the handler maps the page and answers SUCCESS, the device
 * retries from the faulting page and finishes; an answer of INVALID ends
 * it with the fault. */
TEST_F(nested, wait_pri_retries_after_success)
{
	static struct waiting_dma d;
	struct iommu_hwpt_pgfault rec;
	pthread_t t;
	int fault_fd;
	__u32 hwpt = nested_with_queue(_metadata, self, &fault_fd);

	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, hwpt));
	/* page 63 is mapped, the next one is not */
	d = (struct waiting_dma){ .vfd = self->vfd, .gva = GVA + 63 * PAGE };
	ASSERT_EQ(0, pthread_create(&t, NULL, waiting_dma_run, &d));
	read_request(_metadata, fault_fd, GVA + 64 * PAGE, &rec);
	EXPECT_EQ(IOMMU_PGFAULT_PERM_READ, rec.perm);
	guest_map(&self->g, GVA + 64 * PAGE, guest_page(5), 0, X86_LEAF);
	ASSERT_EQ(sizeof(struct iommu_hwpt_page_response),
		  respond_fault(fault_fd, rec.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	pthread_join(t, NULL);
	EXPECT_EQ(0, d.rc);
	EXPECT_EQ(2 * PAGE, d.out.out_done);
	EXPECT_EQ(63, d.buf[PAGE - 1]);
	EXPECT_EQ(5, d.buf[PAGE]);

	/* INVALID: the fault stands */
	d = (struct waiting_dma){ .vfd = self->vfd, .gva = GVA + 80 * PAGE,
				  .flags = IOMMUSIM_DMA_WRITE };
	ASSERT_EQ(0, pthread_create(&t, NULL, waiting_dma_run, &d));
	read_request(_metadata, fault_fd, GVA + 80 * PAGE, &rec);
	EXPECT_EQ(IOMMU_PGFAULT_PERM_WRITE, rec.perm);
	ASSERT_EQ(sizeof(struct iommu_hwpt_page_response),
		  respond_fault(fault_fd, rec.cookie, IOMMUFD_PAGE_RESP_INVALID));
	pthread_join(t, NULL);
	EXPECT_EQ(-1, d.rc);
	EXPECT_EQ(EIO, d.err);
	EXPECT_EQ(0, d.out.out_done);
	EXPECT_EQ(IOMMUSIM_FAULT_NOT_PRESENT, d.out.out_fault_reason);
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
	close(fault_fd);
}

/* A detach answers what is pending (INVALID): the waiting transfer ends. */
TEST_F(nested, wait_pri_ended_by_detach)
{
	static struct waiting_dma d;
	struct iommu_hwpt_pgfault rec;
	pthread_t t;
	int fault_fd;
	__u32 hwpt = nested_with_queue(_metadata, self, &fault_fd);

	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, hwpt));
	d = (struct waiting_dma){ .vfd = self->vfd, .gva = GVA + 90 * PAGE };
	ASSERT_EQ(0, pthread_create(&t, NULL, waiting_dma_run, &d));
	read_request(_metadata, fault_fd, GVA + 90 * PAGE, &rec);
	ASSERT_EQ(0, _vfio_detach(self->vfd, 0, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(-1, d.rc);
	EXPECT_EQ(EIO, d.err);
	close(fault_fd);
}

/* --check-iotlb: a stale hit is reported on stderr, once per entry. */
TEST(stale_iotlb_detector)
{
	char path[] = "/tmp/iommusim-dma-detector-XXXXXX";
	int log = mkstemp(path), fd, vfd;
	struct guest g;
	__u32 ioas, devid, parent, nested;
	char text[4096] = { 0 };
	char *first;
	ssize_t n;

	ASSERT_LE(0, log);
	unlink(path);
	ASSERT_EQ(0, setenv("IOMMUSIM_CHECK_IOTLB", "1", 1));
	ASSERT_LE(0, dup2(log, 2));
	fd = iommufd_open();
	vfd = vfio_cdev_open(DEV_FULL);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, _vfio_bind(vfd, fd, &devid));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(fd, ioas, buffer, BUFFER_SIZE,
						GUEST_GPA, MAP_RW));
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(fd, devid, ioas,
					  IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
					  IOMMU_HWPT_DATA_NONE, NULL, 0,
					  &parent));
	guest_init(&g);
	guest_map(&g, GVA, guest_page(0), 0, X86_LEAF);
	nested_alloc(_metadata, fd, devid, parent, g.root, 0, &nested);
	ASSERT_EQ(0, dev_attach(vfd, 0, 0, nested));
	dma_peek(vfd, 0, 0, GVA);
	dma_peek(vfd, 0, 0, GVA);
	n = pread(log, text, sizeof(text) - 1, 0);
	EXPECT_EQ(0, n);
	guest_map(&g, GVA, guest_page(1), 0, X86_LEAF);
	dma_peek(vfd, 0, 0, GVA);
	dma_peek(vfd, 0, 0, GVA + 8);
	n = pread(log, text, sizeof(text) - 1, 0);
	ASSERT_LT(0, n);
	first = strstr(text, "missing IOTLB invalidation");
	ASSERT_NONNULL(first);
	EXPECT_NULL(strstr(first + 1, "missing IOTLB invalidation"));
	EXPECT_NONNULL(strstr(text, "pasid 0"));
	EXPECT_NONNULL(strstr(text, "address 0x7f0000000000"));
	/* invalidated: fresh, and nothing more to say */
	ASSERT_EQ(0, invalidate(fd, nested, GVA, 1, 0));
	dma_peek(vfd, 0, 0, GVA);
	dma_peek(vfd, 0, 0, GVA);
	EXPECT_EQ(n, pread(log, text, sizeof(text) - 1, 0));
	close(vfd);
	close(fd);
}

TEST_HARNESS_MAIN
