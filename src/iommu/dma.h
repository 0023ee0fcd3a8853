/* SPDX-License-Identifier: MIT */
/*
 * The DMA engine: how a device reads and writes memory through the domain
 * its request reaches. A transfer goes page by page; each page is
 * translated by the device's IOTLB (iommu/iotlb.h) or, on a miss, by the
 * domain's walk (A/D set as the hardware sets them), and its bytes move
 * through the user-memory copies, so a bad buffer is -EFAULT, never a
 * crash.
 */
#ifndef IOMMUSIM_DMA_H
#define IOMMUSIM_DMA_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/iommu.h"

struct usermem;

struct dma_request {
	uint64_t iova;	 /* the input address */
	uint64_t length; /* > 0; iova + length does not wrap */
	uint64_t buf;	 /* the device's buffer, a user address */
	unsigned int req; /* IOMMU_REQ_* */
	uint32_t pasid;	 /* IOMMU_NO_PASID for the RID */
};

struct dma_result {
	uint64_t done;	     /* bytes moved */
	uint64_t fault_iova; /* the faulting page's input address */
	enum iommu_fault_reason reason;
	unsigned int stage;
};

/*
 * Moves the bytes of rq between mm's buffer and what domain (NULL: the
 * request is blocked) translates rq->iova to, for dev. 0 when every byte
 * moved; -EIO when a translation fault stopped it (res says where, why and
 * at which stage; the bytes of the pages before it moved); -EFAULT when
 * the buffer, or memory the domain maps, cannot be reached. res->done is
 * filled in every case. The caller keeps domain attached throughout.
 */
int iommu_dma(struct device *dev, struct iommu_domain *domain,
	      const struct usermem *mm, const struct dma_request *rq,
	      struct dma_result *res);

/* The reason a walk's -errno stands for (out->reason for -EPERM). */
enum iommu_fault_reason iommu_fault_reason_of(int err,
					      const struct iommu_translation *t);

#endif /* IOMMUSIM_DMA_H */
