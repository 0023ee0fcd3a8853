/* SPDX-License-Identifier: MIT */
/*
 * A device bound to a context (struct iommufd_device) and its attachment to
 * a HWPT. Devices here are the mock driver's; each is its own group.
 *
 * References: the binder holds one user reference until unbind, and an
 * attachment another, so IOMMU_DESTROY of a bound device is EBUSY.
 * idev->lock guards the attachment.
 */
#ifndef IOMMUSIM_DEVICE_H
#define IOMMUSIM_DEVICE_H

#include <pthread.h>

#include "hw_pagetable.h"


struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommu_device *dev; /* the driver's device */
	pthread_mutex_t lock;
	struct iommufd_hw_pagetable *hwpt; /* attached to, or NULL */
};

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct iommu_device *dev,
					   uint32_t *id, int *err);
void iommufd_device_unbind(struct iommufd_device *idev);

/* Attaches to *pt_id (an IOAS: an automatic HWPT; or a HWPT) and writes
 * back the HWPT's ID. -ENOENT, -EINVAL, or what building the HWPT gives. */
int iommufd_device_attach(struct iommufd_device *idev, uint32_t *pt_id);
void iommufd_device_detach(struct iommufd_device *idev);
/* Moves an attached device to *pt_id, as attach chooses; no change on
 * failure. -EINVAL when the device is not attached. */
int iommufd_device_replace(struct iommufd_device *idev, uint32_t *pt_id);

/* The attach step proper: -EINVAL when the device already has another
 * HWPT or the domain does not suit it. */
int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt,
				struct iommufd_device *idev);
struct iommufd_hw_pagetable *
iommufd_hw_pagetable_detach(struct iommufd_device *idev);

void iommufd_device_register(void);

#endif /* IOMMUSIM_DEVICE_H */
