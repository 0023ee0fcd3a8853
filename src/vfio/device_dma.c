// SPDX-License-Identifier: MIT
/*
 * IOMMUSIM_DMA on a bound VFIO device (include/iommusim/uapi/iommusim.h):
 * the extensible-struct rules of iommufd, then the request's checks in the
 * handler order of the kernel's iommufd (flags and reserved fields, then
 * arithmetic, then what the device can issue, then the buffer), then the
 * transfer, then the reply.
 */
#include <errno.h>
#include <stddef.h>

#include <linux/pci_regs.h>

#include <iommusim/uapi/iommusim.h>

#include "base/usermem.h"
#include "iommu/dma.h"
#include "iommufd/device.h"
#include "vfio/vfio_dma.h"

#define DMA_MIN_SIZE sizeof(struct iommusim_dma)
#define DMA_FLAGS                                                              \
	(IOMMUSIM_DMA_WRITE | IOMMUSIM_DMA_PASID | IOMMUSIM_DMA_PRIV |         \
	 IOMMUSIM_DMA_WAIT_PRI)

/* What the command asks, checked against what the device can issue. */
static int dma_request_of(const struct iommusim_dma *cmd,
			  const struct device *dev, struct dma_request *rq)
{
	bool has_pasid = cmd->flags & IOMMUSIM_DMA_PASID;

	if ((cmd->flags & ~DMA_FLAGS) || cmd->__reserved ||
	    (!has_pasid && cmd->pasid))
		return -EINVAL;
	/* the privilege travels in the PASID prefix */
	if ((cmd->flags & IOMMUSIM_DMA_PRIV) && !has_pasid)
		return -EINVAL;
	if (!cmd->length)
		return -EINVAL;
	if (cmd->iova + (cmd->length - 1) < cmd->iova)
		return -EOVERFLOW;
	if (has_pasid && cmd->pasid >= dev->max_pasids)
		return -EINVAL;
	if ((cmd->flags & IOMMUSIM_DMA_PRIV) &&
	    !(dev->pci_pasid_ctrl & PCI_PASID_CTRL_PRIV))
		return -EINVAL;
	*rq = (struct dma_request){
		.iova = cmd->iova,
		.length = cmd->length,
		.buf = cmd->buf_uptr,
		.req = ((cmd->flags & IOMMUSIM_DMA_WRITE) ? IOMMU_REQ_WRITE : 0) |
		       ((cmd->flags & IOMMUSIM_DMA_PRIV) ? IOMMU_REQ_PRIV : 0),
		.pasid = has_pasid ? cmd->pasid : IOMMU_NO_PASID,
		.wait_pri = cmd->flags & IOMMUSIM_DMA_WAIT_PRI,
	};
	return 0;
}

/* The out_ fields, whatever the transfer's outcome. */
static int dma_reply(const struct usermem *mm, uint64_t arg,
		     struct iommusim_dma *cmd, const struct dma_result *res)
{
	const size_t from = offsetof(struct iommusim_dma, out_done);

	cmd->out_done = res->done;
	cmd->out_fault_iova = res->fault_iova;
	cmd->out_fault_reason = res->reason;
	cmd->out_fault_stage = res->stage;
	return usermem_copy_to(mm, arg + from, (const char *)cmd + from,
			       sizeof(*cmd) - from);
}

long vfio_device_dma(struct iommufd_device *idev, const struct usermem *mm,
		     uint64_t arg)
{
	struct dma_result res = { 0 };
	struct iommusim_dma cmd;
	struct dma_request rq;
	uint32_t size;
	int rc, reply;

	rc = usermem_copy_from(mm, &size, arg, sizeof(size));
	if (rc)
		return rc;
	if (size < DMA_MIN_SIZE)
		return -EINVAL;
	rc = usermem_copy_struct_from(mm, &cmd, sizeof(cmd), arg, size);
	if (rc)
		return rc;
	rc = dma_request_of(&cmd, idev->dev, &rq);
	if (rc)
		return rc;
	if (!usermem_access_ok(mm, rq.buf, rq.length))
		return -EFAULT;
	rc = iommufd_device_dma(idev, mm, &rq, &res);
	reply = dma_reply(mm, arg, &cmd, &res);
	return rc ? rc : reply;
}
