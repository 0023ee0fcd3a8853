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
	bool wait_pri;	 /* wait for a page request's answer and retry */
};

struct dma_result {
	uint64_t done;	     /* bytes moved */
	uint64_t fault_iova; /* the faulting page's input address */
	enum iommu_fault_reason reason;
	unsigned int stage;
};

/*
 * A transfer waiting for the answer to its page request. Page requests:
 * a fault that a fault handler could resolve (not present, read, write)
 * on a domain that takes I/O page faults (an iopf_handler: a HWPT with a
 * fault queue) is sent to it as a page request (iommu/iopf.h), one page,
 * the last of its group. The device's answer comes back through its
 * driver's page_response, which hands it to iommu_dma_page_response().
 */
struct dma_pri_wait {
	struct device *dev;
	uint32_t grpid;
	int code; /* enum iommu_page_response_code; -1 until answered */
	bool armed;
	struct dma_pri_wait *next;
};

/*
 * Moves the bytes of rq between mm's buffer and what domain (NULL: the
 * request is blocked) translates rq->iova to, for dev. 0 when every byte
 * moved; -EIO when a translation fault stopped it (res says where, why and
 * at which stage; the bytes of the pages before it moved); -EFAULT when
 * the buffer, or memory the domain maps, cannot be reached. res->done is
 * filled in every case. The caller keeps domain attached throughout.
 *
 * When the fault became a page request and wait is not NULL, wait is
 * armed before the request goes out (wait->armed): the caller, having let
 * go of what the answer may need (the device's attachments), must call
 * iommu_dma_pri_wait() on it, then may transfer the rest.
 */
int iommu_dma(struct device *dev, struct iommu_domain *domain,
	      const struct usermem *mm, const struct dma_request *rq,
	      struct dma_result *res, struct dma_pri_wait *wait);

/* Blocks until the armed wait is answered; returns the answer. */
enum iommu_page_response_code iommu_dma_pri_wait(struct dma_pri_wait *wait);

/* For a driver's page_response: the device's answer to the group ended
 * by last reaches the transfer waiting for it, if one is. */
void iommu_dma_page_response(struct device *dev,
			     const struct iommu_fault_page_request *last,
			     enum iommu_page_response_code code);

/* The reason a walk's -errno stands for (out->reason for -EPERM). */
enum iommu_fault_reason iommu_fault_reason_of(int err,
					      const struct iommu_translation *t);

#endif /* IOMMUSIM_DMA_H */
