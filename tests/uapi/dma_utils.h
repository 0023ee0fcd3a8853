/* SPDX-License-Identifier: MIT */
/*
 * What the DMA tests share: their own VT-d devices (opened and bound with
 * vfio_cdev_utils.h's helpers), the IOMMUSIM_DMA
 * helpers in the selftests' trio shape, and a "guest" that builds x86-64
 * stage-1 tables in memory mapped through an IOAS, as a vIOMMU's guest
 * would.
 *
 *   vfio0  vtd                         everything on (PASID, SRE, dirty)
 *   vfio1  vtd,pasid=0,prs=off,sre=off,levels=4
 *   vfio2  vtd,sre=off,iotlb=4         one set of 4 ways in each cache
 *
 * Guest memory is the test buffer (iommufd_utils.h), mapped at GUEST_GPA:
 * its first GUEST_TABLES bytes hold the tables, handed out in order; the
 * rest is the guest's data pages.
 */
#ifndef IOMMUSIM_TESTS_DMA_UTILS_H
#define IOMMUSIM_TESTS_DMA_UTILS_H

#include <stdlib.h>

#include <iommusim/uapi/iommusim.h>

#include "iommufd_utils.h"
#include "x86_pte.h"

#define VTD_DEVICES                                                            \
	"vtd;vtd,pasid=0,prs=off,sre=off,levels=4;vtd,sre=off,iotlb=4"
#define DEV_FULL 0u
#define DEV_PLAIN 1u
#define DEV_SMALL_TLB 2u

#include "vfio_cdev_utils.h"

/* Attach or replace (flags VFIO_DEVICE_ATTACH_PASID takes pasid). */
#define dev_attach(vfd, flags, pasid, pt_id)                                   \
	_vfio_attach(vfd, flags, pasid, &(__u32){ pt_id })

/* ---- IOMMUSIM_DMA ------------------------------------------------------- */

/* out (may be NULL) receives the struct as the call left it. */
static inline int _test_dma(int vfd, __u32 flags, __u32 pasid, __u64 iova,
			    void *buf, __u64 length, struct iommusim_dma *out)
{
	struct iommusim_dma cmd = {
		.size = sizeof(cmd),
		.flags = flags | (pasid ? IOMMUSIM_DMA_PASID : 0),
		.pasid = pasid,
		.iova = iova,
		.length = length,
		.buf_uptr = (uintptr_t)buf,
	};
	int ret = ioctl(vfd, IOMMUSIM_DMA, &cmd);

	if (out)
		*out = cmd;
	return ret;
}

#define test_dma_read(vfd, iova, buf, len)                                     \
	ASSERT_EQ(0, _test_dma(vfd, 0, 0, iova, buf, len, NULL))
#define test_dma_write(vfd, iova, buf, len)                                    \
	ASSERT_EQ(0, _test_dma(vfd, IOMMUSIM_DMA_WRITE, 0, iova, buf, len,     \
			       NULL))
#define test_err_dma(_errno, vfd, flags, pasid, iova, buf, len)                \
	EXPECT_ERRNO(_errno, _test_dma(vfd, flags, pasid, iova, buf, len, NULL))

/* A fault: EIO, with bytes done, the faulting page, reason and stage. */
#define test_dma_fault(vfd, flags, pasid, iova, buf, len, _done, _page,       \
		       _reason, _stage)                                        \
	({                                                                     \
		struct iommusim_dma __out;                                     \
		EXPECT_ERRNO(EIO, _test_dma(vfd, flags, pasid, iova, buf, len, \
					    &__out));                          \
		EXPECT_EQ((__u64)(_done), __out.out_done);                     \
		EXPECT_EQ((__u64)(_page), __out.out_fault_iova);               \
		EXPECT_EQ((__u32)(_reason), __out.out_fault_reason);           \
		EXPECT_EQ((__u32)(_stage), __out.out_fault_stage);             \
	})

/* 8 bytes at iova, as the device reads them. */
static inline uint64_t dma_peek(int vfd, __u32 flags, __u32 pasid, __u64 iova)
{
	uint64_t v = 0;

	if (_test_dma(vfd, flags, pasid, iova, &v, sizeof(v), NULL))
		return ~0ull;
	return v;
}

/* ---- the guest ------------------------------------------------------------- */

#define GUEST_GPA 0x40000000ull
#define GUEST_TABLES 0x100000ull

#define X86_TABLE (X86_P | X86_RW | X86_US)
#define X86_LEAF (X86_P | X86_RW | X86_US)

struct guest {
	uint8_t *host;	     /* where guest memory is */
	uint64_t size;
	uint64_t next_table; /* the next free table's GPA */
	uint64_t root;	     /* the PML4's GPA */
};

static inline uint64_t *guest_ptr(struct guest *g, uint64_t gpa)
{
	return (uint64_t *)(g->host + (gpa - GUEST_GPA));
}

static inline uint64_t guest_table(struct guest *g)
{
	uint64_t gpa = g->next_table;

	g->next_table += 4096;
	memset(guest_ptr(g, gpa), 0, 4096);
	return gpa;
}

/* GPA of the data page n (4 KiB pages after the tables). */
static inline uint64_t guest_page(uint64_t n)
{
	return GUEST_GPA + GUEST_TABLES + n * 4096;
}

static inline void guest_init(struct guest *g)
{
	g->host = buffer;
	g->size = BUFFER_SIZE;
	g->next_table = GUEST_GPA;
	g->root = guest_table(g);
}

static inline unsigned int x86_index(uint64_t gva, unsigned int level)
{
	return (gva >> (12 + 9 * level)) & 511;
}

/* The entry of level that translates gva, tables made as needed down to
 * it (4 levels). */
static inline uint64_t *guest_slot(struct guest *g, uint64_t gva,
				   unsigned int level)
{
	uint64_t table = g->root;

	for (unsigned int l = 3; l > level; l--) {
		uint64_t *e = guest_ptr(g, table) + x86_index(gva, l);

		if (!(*e & X86_P))
			*e = guest_table(g) | X86_TABLE;
		table = *e & X86_ADDR;
	}
	return guest_ptr(g, table) + x86_index(gva, level);
}

/* Maps gva to gpa with a leaf at level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB). */
static inline void guest_map(struct guest *g, uint64_t gva, uint64_t gpa,
			     unsigned int level, uint64_t bits)
{
	*guest_slot(g, gva, level) = gpa | bits | (level ? X86_PS : 0);
}

#endif /* IOMMUSIM_TESTS_DMA_UTILS_H */
