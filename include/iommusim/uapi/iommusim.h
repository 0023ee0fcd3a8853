/* SPDX-License-Identifier: MIT */
/*
 * iommusim's own commands: what the kernel has no uAPI for, above all a
 * device's DMA. They live under ioctl type IOMMUSIM_TYPE (0xE1), which the
 * kernel's ioctl-number registry lists for nobody, so a real kernel answers
 * them ENOTTY and a program can tell where it runs.
 *
 * The ABI rules are iommufd's: every struct starts with __u32 size, the
 * caller's sizeof; a size below the command's minimum is EINVAL; bytes past
 * the struct we know must be zero, else E2BIG; output is written back only
 * up to the caller's size.
 */
#ifndef _UAPI_IOMMUSIM_H
#define _UAPI_IOMMUSIM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMUSIM_TYPE 0xE1

/**
 * enum iommusim_dma_flags - what an IOMMUSIM_DMA request is
 * @IOMMUSIM_DMA_WRITE: the device writes memory (from the buffer); without
 *                      it the device reads memory (into the buffer)
 * @IOMMUSIM_DMA_PASID: the request carries @pasid
 * @IOMMUSIM_DMA_PRIV: a supervisor (privileged) request; needs
 *                     IOMMUSIM_DMA_PASID and a device whose PASID
 *                     capability has privileged mode
 * @IOMMUSIM_DMA_WAIT_PRI: on a translation fault that became a page
 *                         request, wait for its response and retry, as a
 *                         PRI-capable device does
 */
enum iommusim_dma_flags {
	IOMMUSIM_DMA_WRITE = 1 << 0,
	IOMMUSIM_DMA_PASID = 1 << 1,
	IOMMUSIM_DMA_PRIV = 1 << 2,
	IOMMUSIM_DMA_WAIT_PRI = 1 << 3,
};

/**
 * enum iommusim_fault_reason - why a translation stopped a transfer
 * @IOMMUSIM_FAULT_NONE: no fault
 * @IOMMUSIM_FAULT_BLOCKED: the device (or the PASID) is attached to nothing
 * @IOMMUSIM_FAULT_NOT_PRESENT: no entry maps the address
 * @IOMMUSIM_FAULT_READ: a read the entries do not allow
 * @IOMMUSIM_FAULT_WRITE: a write the entries do not allow (a stage-1 A/D
 *                        update that stage 2 does not let through too)
 * @IOMMUSIM_FAULT_PRIV: a user request to a supervisor page (U/S clear on
 *                       the path), or a supervisor request where the
 *                       stage-1 data has no SRE
 * @IOMMUSIM_FAULT_ADDRESS: an address beyond what the stage translates (not
 *                          canonical for the stage-1 width, or beyond the
 *                          stage-2 address space)
 * @IOMMUSIM_FAULT_TABLE: a stage-1 entry with reserved bits set, or a table
 *                        whose memory cannot be read
 */
enum iommusim_fault_reason {
	IOMMUSIM_FAULT_NONE,
	IOMMUSIM_FAULT_BLOCKED,
	IOMMUSIM_FAULT_NOT_PRESENT,
	IOMMUSIM_FAULT_READ,
	IOMMUSIM_FAULT_WRITE,
	IOMMUSIM_FAULT_PRIV,
	IOMMUSIM_FAULT_ADDRESS,
	IOMMUSIM_FAULT_TABLE,
};

/**
 * struct iommusim_dma - ioctl(IOMMUSIM_DMA)
 * @size: sizeof(struct iommusim_dma); the minimum is all 64 bytes
 * @flags: enum iommusim_dma_flags
 * @pasid: the PASID, with IOMMUSIM_DMA_PASID; else 0
 * @__reserved: must be 0
 * @iova: the input address: an IOVA, or a guest virtual address under a
 *        nested HWPT
 * @length: bytes to move, > 0
 * @buf_uptr: the device's buffer in the calling process
 * @out_done: bytes moved, also when a fault stopped the transfer
 * @out_fault_iova: the input address of the faulting page (4 KiB aligned)
 * @out_fault_reason: enum iommusim_fault_reason
 * @out_fault_stage: 1 or 2 for a fault in that stage; 0 when blocked, or
 *                   for a single-stage HWPT
 *
 * The device behind the VFIO device fd reads or writes @length bytes at
 * @iova, through the HWPT its RID (or @pasid) is attached to, page by page:
 * the IOTLB, else a walk of the tables, permissions and A/D as the IOMMU
 * has them. Returns 0 when every byte moved; EIO when a translation fault
 * stopped the transfer (the bytes before the faulting page moved; the out_
 * fields say where and why); EFAULT when the buffer cannot be read or
 * written; EINVAL for unknown flags, a non-zero @__reserved, a zero
 * @length, a PASID the device does not have, a privileged request the
 * device cannot issue, IOMMUSIM_DMA_WAIT_PRI on a device without page
 * requests; EOVERFLOW when @iova + @length wraps.
 */
struct iommusim_dma {
	__u32 size;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 buf_uptr;
	__aligned_u64 out_done;
	__aligned_u64 out_fault_iova;
	__u32 out_fault_reason;
	__u32 out_fault_stage;
};
#define IOMMUSIM_DMA _IO(IOMMUSIM_TYPE, 0x00)

#endif /* _UAPI_IOMMUSIM_H */
