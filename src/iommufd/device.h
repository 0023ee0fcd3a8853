/* SPDX-License-Identifier: MIT */
/*
 * A device bound to a context (struct iommufd_device) and its attachments:
 * its RID's (IOMMU_NO_PASID) HWPT and each PASID's. The device comes from
 * the platform (iommu/platform.h); each is its own group, so the kernel's
 * per-group state lives in the device.
 *
 * References: the binder holds one user reference until unbind, and every
 * attachment another, so IOMMU_DESTROY of a bound device is EBUSY; every
 * attachment holds its HWPT. idev->lock guards the attachments.
 *
 * Page requests: every attachment is also recorded in the IOMMU layer
 * (iommu/iopf.h) with a struct iommufd_attach_handle, by which a request
 * finds its HWPT's fault queue. Attaching a HWPT that has one turns the
 * device's page requests on (the driver's dev_enable_iopf, which may
 * refuse); when an attachment ends or moves, the groups that came through
 * its handle and were not answered yet are answered
 * IOMMU_PAGE_RESP_INVALID, read or not, as the kernel does.
 *
 * idev->lock comes after ioas->mutex and before the io_pagetable's locks
 * (reserved regions); iommufd_private.h has the whole order.
 */
#ifndef IOMMUSIM_DEVICE_H
#define IOMMUSIM_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/mutex.h"
#include "iommufd/hw_pagetable.h"


/* What an attachment leaves in the IOMMU layer: the handle its page
 * requests are routed by, and the device their records name. */
struct iommufd_attach_handle {
	struct iommu_attach_handle handle;
	struct iommufd_device *idev;
};

/* A PASID other than the RID's, attached to a HWPT. */
struct iommufd_pasid_attach {
	uint32_t pasid;
	struct iommufd_hw_pagetable *hwpt; /* holds a user reference */
	struct iommufd_pasid_attach *next;
};

struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct device *dev; /* the driver's device */
	/* The group's lock (each device is its own group): guards what
	 * follows. */
	struct mutex lock;
	struct iommufd_hw_pagetable *hwpt; /* the RID's HWPT, or NULL */
	struct iommufd_pasid_attach *pasids; /* the other PASIDs' */
	/* How many attachments have a HWPT with a fault queue: the device's
	 * page requests are on while it is not 0. */
	unsigned int iopf_enabled;
	/* The software MSI window its reserved regions name, or UINT64_MAX
	 * (recorded as the kernel does; iommusim delivers no MSIs). */
	uint64_t sw_msi_start;
	/* Its vDEVICE (iommufd/viommu.h), or NULL; a device being unbound
	 * takes no new one. */
	struct iommufd_vdevice *vdev;
	bool unbinding;
};

/* A short-term reference to the device 'id', or NULL (ENOENT). */
static inline struct iommufd_device *
iommufd_get_device(struct iommufd_ctx *ictx, uint32_t id)
{
	return object_get_typed(ictx, id, IOMMUFD_OBJ_DEVICE,
				struct iommufd_device, obj);
}

/* dev: a device the caller holds (platform_get_device()); the binding
 * takes a reference of its own, put when the device object dies. */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev,
					   uint32_t *id, int *err);
/* The device must have no attachment left. */
void iommufd_device_unbind(struct iommufd_device *idev);

/*
 * The device's pasid (IOMMU_NO_PASID: its RID) and HWPTs, as the kernel's
 * iommufd_device_attach() and friends. *pt_id names an IOAS (an automatic
 * HWPT is found or made) or a HWPT, and comes back as the HWPT's ID.
 *
 * attach: -EBUSY when that pasid is attached already (replace moves it);
 * -ENOENT, -EINVAL (not a HWPT or IOAS; a HWPT that cannot serve it),
 * -EADDRINUSE (the device's reserved regions meet the IOAS's mappings) or
 * what building a HWPT gives. Holds a reference on the device until
 * detach.
 * replace: -EINVAL when the pasid is not attached; the same HWPT again
 * changes nothing; on failure nothing changed.
 * detach: nothing when the pasid is not attached.
 */
int iommufd_device_attach(struct iommufd_device *idev, uint32_t pasid,
			  uint32_t *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, uint32_t pasid,
			   uint32_t *pt_id);
void iommufd_device_detach(struct iommufd_device *idev, uint32_t pasid);
/* Detaches every PASID but the RID. */
void iommufd_device_detach_pasids(struct iommufd_device *idev);
/* Whether pasid is attached to hwpt (NULL: to nothing). */
bool iommufd_device_pasid_attached_to(struct iommufd_device *idev,
				      uint32_t pasid,
				      const struct iommufd_hw_pagetable *hwpt);

/* The attach step proper, as above for a HWPT. */
int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt,
				struct iommufd_device *idev, uint32_t pasid);
/* Undoes it: returns the HWPT, whose reference the caller puts, or NULL
 * when the pasid was not attached. */
struct iommufd_hw_pagetable *
iommufd_hw_pagetable_detach(struct iommufd_device *idev, uint32_t pasid);

struct dma_request;
struct dma_result;
struct usermem;

/* A DMA of the device (iommu/dma.h): through what rq->pasid is attached
 * to, or blocked when nothing is. idev->lock is held throughout each try,
 * so no detach or replace overtakes a transfer; with rq->wait_pri a fault
 * that became a page request is waited for without it, then retried. */
int iommufd_device_dma(struct iommufd_device *idev, const struct usermem *mm,
		       const struct dma_request *rq, struct dma_result *res);

void iommufd_device_destroy(struct iommufd_object *obj);

#endif /* IOMMUSIM_DEVICE_H */
