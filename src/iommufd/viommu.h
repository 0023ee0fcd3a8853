/* SPDX-License-Identifier: MIT */
/*
 * The vIOMMU objects of a context, as the kernel's viommu.c: the vIOMMU
 * (IOMMUFD_OBJ_VIOMMU), the guest's devices on it (IOMMUFD_OBJ_VDEVICE)
 * and its hardware queues (IOMMUFD_OBJ_HW_QUEUE). The driver's side of
 * each is in iommu/viommu.h.
 *
 * References, which are also the destroy order: a vIOMMU holds its
 * nesting parent HWPT; a vDEVICE holds its vIOMMU and its device; a nested
 * HWPT made on a vIOMMU, a vEVENTQ and a HW queue hold the vIOMMU; a HW
 * queue holds the queue its driver says it depends on. A device's unbind
 * destroys its vDEVICE first (so the vDEVICE's ID is gone with the
 * device, as on the kernel).
 *
 * Locks: veventqs_rwsem guards the vIOMMU's vEVENTQ list (written by
 * VEVENTQ_ALLOC and a vEVENTQ's end, read by every event reported); it
 * comes after idev->lock and before the event queues' locks. A vDEVICE is
 * made and unmade under its device's lock (idev->vdev).
 */
#ifndef IOMMUSIM_IOMMUFD_VIOMMU_H
#define IOMMUSIM_IOMMUFD_VIOMMU_H

#include <stdint.h>

#include "base/list.h"
#include "base/rwsem.h"
#include "iommufd/iommufd_private.h"
#include "iommu/viommu.h"

struct iommufd_access;
struct iommufd_device;
struct iommufd_hwpt_paging;

struct iommufd_viommu {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_hwpt_paging *hwpt; /* the nesting parent; a user ref */
	/* the driver's, allocated whole by the core; constant */
	struct iommu_viommu *hw;
	struct rwsem veventqs_rwsem;
	struct list_head veventqs; /* struct iommufd_veventq, by node */
};

struct iommufd_vdevice {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu; /* a user reference */
	struct iommufd_device *idev;   /* a user reference */
	/* virt_id -> the device, in the vIOMMU's table while it lives */
	struct iommu_vdev_entry entry;
};

struct iommufd_hw_queue {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu; /* a user reference */
	/* pins the queue's memory in the parent's IOAS until the end */
	struct iommufd_access *access;
	/* the queue the driver said this one needs, held; or NULL */
	struct iommufd_hw_queue *depends_on;
	/* the driver's, allocated whole by the core; constant */
	struct iommu_hw_queue *hw;
};

/* A short-term reference to the vIOMMU 'id', or NULL (ENOENT). */
static inline struct iommufd_viommu *
iommufd_get_viommu(struct iommufd_ctx *ictx, uint32_t id)
{
	return object_get_typed(ictx, id, IOMMUFD_OBJ_VIOMMU,
				struct iommufd_viommu, obj);
}

int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_hw_queue_alloc_ioctl(struct iommufd_ucmd *ucmd);

void iommufd_viommu_destroy(struct iommufd_object *obj);
void iommufd_vdevice_destroy(struct iommufd_object *obj);
void iommufd_hw_queue_destroy(struct iommufd_object *obj);

/* The device's unbind: its vDEVICE, if it has one, is destroyed. */
void iommufd_vdevice_unbind(struct iommufd_device *idev);

/* The virtual ID the device has on the vIOMMU of the nested HWPT its RID
 * is attached to: 0 and *viommu with a short-term reference (put it), or
 * -ENOENT when the RID is attached to no such HWPT or the device has no
 * vDEVICE there. For IOMMU_TEST_OP_TRIGGER_VEVENT. */
int iommufd_device_viommu(struct iommufd_device *idev,
			  struct iommufd_viommu **viommu, uint64_t *virt_id);

#endif /* IOMMUSIM_IOMMUFD_VIOMMU_H */
