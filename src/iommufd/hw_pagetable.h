/* SPDX-License-Identifier: MIT */
/*
 * Hardware page tables (HWPTs): the objects that own a domain. A paging HWPT
 * is built from an IOAS and holds the IOAS's mappings (it keeps the IOAS
 * alive: one user reference); an automatic one is made and reused by device
 * attach and dies with its last device.
 *
 * An IOAS lists its paging HWPTs under ioas->mutex.
 */
#ifndef IOMMUSIM_HW_PAGETABLE_H
#define IOMMUSIM_HW_PAGETABLE_H

#include <stdatomic.h>

#include "iommufd/ioas.h"
#include "iommu/iommu.h"

struct iommufd_device;
struct iommufd_fault;
struct iommufd_viommu;
struct iommu_user_data;

struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	/* made with IOMMU_HWPT_FAULT_ID_VALID: the fault queue its domain's
	 * page requests go to (a user reference), else NULL; set before the
	 * HWPT is published, constant after */
	struct iommufd_fault *fault;
	/* made with IOMMU_HWPT_ALLOC_PASID: it may serve PASIDs, and a RID
	 * under attached PASIDs (an automatic HWPT never is) */
	bool pasid_compat;
};

struct iommufd_hwpt_paging {
	struct iommufd_hw_pagetable common;
	struct iommufd_ioas *ioas;
	bool auto_domain;	/* made by attach; never a parent */
	bool nest_parent;
	bool in_iopt;		/* the domain is in ioas->iopt */
	/* IOMMU_HWPT_SET_DIRTY_TRACKING's last success; for the graph */
	atomic_bool dirty_tracking;
	/* in ioas->hwpt_list, under ioas->mutex */
	struct iommufd_hwpt_paging *next, **pprev;
};

/*
 * A nested HWPT: a user-managed stage 1 over a NEST_PARENT paging HWPT,
 * which it keeps alive, directly or through the vIOMMU it was made on. It is built on its own path and never touches the
 * IOAS (no reference, no io_pagetable call): the seed review's rule.
 */
struct iommufd_hwpt_nested {
	struct iommufd_hw_pagetable common;
	/* held, unless the HWPT was made on a vIOMMU, which holds it and
	 * which the HWPT holds instead */
	struct iommufd_hwpt_paging *parent;
	struct iommufd_viommu *viommu; /* or NULL */
};

static inline bool hwpt_is_paging(const struct iommufd_hw_pagetable *hwpt)
{
	return hwpt->obj.type == IOMMUFD_OBJ_HWPT_PAGING;
}

/* The HWPT an object of either HWPT type is. */
static inline struct iommufd_hw_pagetable *to_hwpt(struct iommufd_object *obj)
{
	return container_of(obj, struct iommufd_hw_pagetable, obj);
}

static inline struct iommufd_hwpt_paging *
to_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
}

static inline struct iommufd_hwpt_nested *
to_hwpt_nested(struct iommufd_hw_pagetable *hwpt)
{
	return container_of(hwpt, struct iommufd_hwpt_nested, common);
}

/* A short-term reference to the paging HWPT 'id', or NULL (ENOENT). */
static inline struct iommufd_hwpt_paging *
iommufd_get_hwpt_paging(struct iommufd_ctx *ictx, uint32_t id)
{
	return object_get_typed(ictx, id, IOMMUFD_OBJ_HWPT_PAGING,
				struct iommufd_hwpt_paging, common.obj);
}

/* A short-term reference to the nested HWPT 'id', or NULL (ENOENT). */
static inline struct iommufd_hwpt_nested *
iommufd_get_hwpt_nested(struct iommufd_ctx *ictx, uint32_t id)
{
	return object_get_typed(ictx, id, IOMMUFD_OBJ_HWPT_NESTED,
				struct iommufd_hwpt_nested, common.obj);
}

/* The paging HWPT whose IOAS a HWPT's translations come from: itself, or a
 * nested HWPT's parent. */
static inline struct iommufd_hwpt_paging *
find_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->obj.type == IOMMUFD_OBJ_HWPT_NESTED)
		return to_hwpt_nested(hwpt)->parent;
	return to_hwpt_paging(hwpt);
}

/*
 * With ioas->mutex held: an unpublished paging HWPT over ioas, its domain
 * in the IOAS; with immediate_attach, idev's pasid is attached first (so
 * the device's constraints apply before the domain meets the mappings).
 * user_data, when not NULL, is the driver's (IOMMU_HWPT_ALLOC's data).
 * NULL with *err.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, uint32_t pasid,
			  uint32_t flags, bool immediate_attach,
			  const struct iommu_user_data *user_data, int *err);

/* Drops a device's reference; an automatic HWPT dies with its last one. */
void iommufd_hw_pagetable_put(struct iommufd_ctx *ictx,
			      struct iommufd_hw_pagetable *hwpt);

void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
/* An unpublished paging HWPT: its maker still holds ioas->mutex. */
void iommufd_hwpt_paging_abort(struct iommufd_object *obj);
void iommufd_hwpt_nested_destroy(struct iommufd_object *obj);

#endif /* IOMMUSIM_HW_PAGETABLE_H */
