// SPDX-License-Identifier: MIT
/*
 * Binding devices to a context and attaching them to HWPTs, as the
 * kernel's device.c does it (each mock device being its own group).
 */
#include <errno.h>
#include <stdlib.h>

#include <linux/pci_regs.h>

#include <iommusim/uapi/iommufd.h>

#include "base/alloc.h"
#include "base/fork_gate.h"
#include "base/trace.h"
#include "iommu/dma.h"
#include "iommufd/device.h"
#include "iommufd/viommu.h"
#include "iommufd/eventq.h"

void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);

	mutex_destroy(&idev->lock);
	put_device(idev->dev);
}

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev,
					   uint32_t *id, int *err)
{
	struct iommufd_device *idev;

	idev = iommufd_object_alloc(ictx, idev, IOMMUFD_OBJ_DEVICE, err);
	if (!idev)
		return NULL;
	idev->ictx = ictx;
	/* the binding keeps the device whole even if it leaves the platform */
	get_device(dev);
	idev->dev = dev;
	idev->sw_msi_start = UINT64_MAX;
	mutex_init(&idev->lock, LOCK_RANK_IDEV);
	/* the binder is a user until unbind */
	object_hold(&idev->obj);
	/* published at once: the device is a leaf nothing else can hold */
	object_finalize(ictx, &idev->obj);
	*id = idev->obj.id;
	return idev;
}

void iommufd_device_unbind(struct iommufd_device *idev)
{
	/* its vDEVICE holds it: it goes first */
	iommufd_vdevice_unbind(idev);
	object_destroy_user(idev->ictx, &idev->obj);
}

/* ---- what is attached where ----------------------------------------- */

/*
 * The slot holding pasid's HWPT, or NULL when the pasid is not attached.
 * idev->lock held. PASIDs sit in a list: a device uses a handful, and a
 * lookup is rare next to DMA (which will use idev->hwpt for the RID).
 */
static struct iommufd_hw_pagetable **attached_slot(struct iommufd_device *idev,
						   uint32_t pasid)
{
	struct iommufd_pasid_attach *entry;

	lockdep_assert_held(&idev->lock);
	if (pasid == IOMMU_NO_PASID)
		return idev->hwpt ? &idev->hwpt : NULL;
	for (entry = idev->pasids; entry; entry = entry->next)
		if (entry->pasid == pasid)
			return &entry->hwpt;
	return NULL;
}

static struct iommufd_pasid_attach *unlink_pasid(struct iommufd_device *idev,
						 uint32_t pasid)
{
	struct iommufd_pasid_attach **link, *entry;

	lockdep_assert_held(&idev->lock);
	for (link = &idev->pasids; (entry = *link); link = &entry->next) {
		if (entry->pasid == pasid) {
			*link = entry->next;
			return entry;
		}
	}
	return NULL;
}

bool iommufd_device_pasid_attached_to(struct iommufd_device *idev,
				      uint32_t pasid,
				      const struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hw_pagetable **slot;
	bool same;

	mutex_lock(&idev->lock);
	slot = attached_slot(idev, pasid);
	same = (slot ? *slot : NULL) == hwpt;
	mutex_unlock(&idev->lock);
	return same;
}

/*
 * Whether hwpt may serve pasid, given the rest of the device: a PASID
 * needs a HWPT made for PASIDs, and so does the RID under it (hardware
 * hangs the PASID table off the RID's entry); so the RID cannot move to a
 * HWPT that is not one while PASIDs are attached. idev->lock held.
 */
static int hwpt_pasid_compat(struct iommufd_device *idev,
			     struct iommufd_hw_pagetable *hwpt, uint32_t pasid)
{
	lockdep_assert_held(&idev->lock);
	if (pasid == IOMMU_NO_PASID)
		return !hwpt->pasid_compat && idev->pasids ? -EINVAL : 0;
	if (!hwpt->pasid_compat)
		return -EINVAL;
	if (idev->hwpt && !idev->hwpt->pasid_compat)
		return -EINVAL;
	return 0;
}

static const struct trace_name dma_dir_names[] = {
	{ 0, "read" },
	{ IOMMU_REQ_WRITE, "write" },
	{ 0, NULL },
};

static const struct trace_name fault_reason_names[] = {
	{ IOMMU_FAULT_NONE, "NONE" },
	{ IOMMU_FAULT_BLOCKED, "BLOCKED" },
	{ IOMMU_FAULT_NOT_PRESENT, "NOT_PRESENT" },
	{ IOMMU_FAULT_READ, "READ" },
	{ IOMMU_FAULT_WRITE, "WRITE" },
	{ IOMMU_FAULT_PRIV, "PRIV" },
	{ IOMMU_FAULT_ADDRESS, "ADDRESS" },
	{ IOMMU_FAULT_TABLE, "TABLE" },
	{ 0, NULL },
};

/* A transfer in the trace: what was asked, what moved, and for a fault
 * where and why. */
static void trace_dma(struct iommufd_device *idev,
		      const struct dma_request *rq,
		      const struct dma_result *res, int rc)
{
	const char *result = rc ? trace_errno_name(-rc) : "0";

	if (res->reason == IOMMU_FAULT_NONE)
		trace_event(TRACE_EVENT_DMA, TA_DEC("ctx", idev->ictx->serial),
			    TA_ID("dev", idev->obj.id),
			    TA_DEC("pasid", rq->pasid), TA_HEX("iova", rq->iova),
			    TA_HEX("len", rq->length),
			    TA_ENUM("dir", rq->req & IOMMU_REQ_WRITE,
				    dma_dir_names),
			    TA_HEX("done", res->done), TA_STR("result", result));
	else
		trace_event(TRACE_EVENT_DMA, TA_DEC("ctx", idev->ictx->serial),
			    TA_ID("dev", idev->obj.id),
			    TA_DEC("pasid", rq->pasid), TA_HEX("iova", rq->iova),
			    TA_HEX("len", rq->length),
			    TA_ENUM("dir", rq->req & IOMMU_REQ_WRITE,
				    dma_dir_names),
			    TA_HEX("done", res->done), TA_STR("result", result),
			    TA_HEX("fault_iova", res->fault_iova),
			    TA_ENUM("reason", res->reason, fault_reason_names),
			    TA_DEC("stage", res->stage));
}

/* One try, under idev->lock. */
static int device_dma_once(struct iommufd_device *idev,
			   const struct usermem *mm,
			   const struct dma_request *rq, struct dma_result *res,
			   struct dma_pri_wait *wait)
{
	struct iommufd_hw_pagetable **slot;
	int rc;

	mutex_lock(&idev->lock);
	slot = attached_slot(idev, rq->pasid);
	rc = iommu_dma(idev->dev, slot ? (*slot)->domain : NULL, mm, rq, res,
		       wait);
	mutex_unlock(&idev->lock);
	return rc;
}

/* The answer may take as long as the program likes: a fork() or a
 * munmap() of pinned memory in another thread must not wait for it. */
static enum iommu_page_response_code pri_wait_outside(struct dma_pri_wait *wait)
{
	unsigned int depth = fork_gate_step_out();
	enum iommu_page_response_code code = iommu_dma_pri_wait(wait);

	fork_gate_step_in(depth);
	return code;
}

/* A page request's answer is awaited with no lock held (a detach that
 * answers it needs idev->lock); a success retries from the faulting page,
 * through whatever is attached then. */
int iommufd_device_dma(struct iommufd_device *idev, const struct usermem *mm,
		       const struct dma_request *rq, struct dma_result *res)
{
	struct dma_request rest = *rq;
	struct dma_pri_wait wait = { 0 };
	uint64_t done = 0;
	int rc;

	for (;;) {
		wait.armed = false;
		rc = device_dma_once(idev, mm, &rest, res, &wait);
		done += res->done;
		if (!wait.armed || pri_wait_outside(&wait) !=
					   IOMMU_PAGE_RESP_SUCCESS)
			break;
		rest.iova += res->done;
		rest.buf += res->done;
		rest.length -= res->done;
	}
	res->done = done;
	trace_dma(idev, rq, res, rc);
	return rc;
}

/* ---- page requests ----------------------------------------------------- */

/* The kernel's iommufd_fault_iopf_enable(): the first attachment with a
 * fault queue turns the device's page requests on. idev->lock held. */
static int iopf_enable(struct iommufd_device *idev)
{
	int rc;

	lockdep_assert_held(&idev->lock);
	if (idev->iopf_enabled++)
		return 0;
	rc = iommu_dev_enable_iopf(idev->dev);
	if (rc)
		idev->iopf_enabled--;
	return rc;
}

static void iopf_disable(struct iommufd_device *idev)
{
	lockdep_assert_held(&idev->lock);
	if (!--idev->iopf_enabled)
		iommu_dev_disable_iopf(idev->dev);
}

static struct iommufd_attach_handle *
to_iommufd_handle(struct iommu_attach_handle *handle)
{
	return handle ? container_of(handle, struct iommufd_attach_handle,
				     handle) :
			NULL;
}

/* ---- the driver's side ----------------------------------------------- */

/* The RID onto domain: only a domain of the device's own driver, the
 * kernel core's check before it asks the driver (with VT-d and mock
 * devices in one process, a HWPT made for one may be offered to the
 * other). */
static int driver_attach_rid(struct iommu_domain *domain, struct device *dev)
{
	if (domain->owner != dev_iommu_ops(dev))
		return -EINVAL;
	return dev_iommu_ops(dev)->attach_dev(domain, dev);
}

/*
 * The driver's attach of pasid to hwpt, then the handle that routes its
 * page requests; a HWPT with a fault queue turns them on first. On failure
 * nothing changed. idev->lock held.
 */
static int hwpt_attach_device(struct iommufd_hw_pagetable *hwpt,
			      struct iommufd_device *idev, uint32_t pasid,
			      struct iommufd_attach_handle *handle)
{
	int rc;

	if (hwpt->fault) {
		rc = iopf_enable(idev);
		if (rc)
			return rc;
	}
	if (pasid == IOMMU_NO_PASID)
		rc = driver_attach_rid(hwpt->domain, idev->dev);
	else
		rc = iommu_attach_device_pasid(hwpt->domain, idev->dev, pasid);
	if (rc) {
		if (hwpt->fault)
			iopf_disable(idev);
		return rc;
	}
	handle->idev = idev;
	iommu_attach_handle_set(idev->dev, pasid, hwpt->domain,
				&handle->handle);
	return 0;
}

/* Undoes it: once the handle is gone no request can reach the queue, and
 * what came through it is answered. idev->lock held. */
static void hwpt_detach_device(struct iommufd_hw_pagetable *hwpt,
			       struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_attach_handle *handle =
		to_iommufd_handle(iommu_attach_handle_remove(idev->dev, pasid));

	/* the RID simply stops translating: no HWPT is blocked */
	if (pasid != IOMMU_NO_PASID)
		iommu_detach_device_pasid(hwpt->domain, idev->dev, pasid);
	if (hwpt->fault) {
		iommufd_auto_response_faults(hwpt, handle);
		iopf_disable(idev);
	}
	free(handle);
}

static int driver_replace(struct iommufd_hw_pagetable *hwpt,
			  struct iommufd_device *idev, uint32_t pasid,
			  struct iommufd_hw_pagetable *old)
{
	if (pasid == IOMMU_NO_PASID)
		return driver_attach_rid(hwpt->domain, idev->dev);
	return iommu_replace_device_pasid(hwpt->domain, idev->dev, pasid,
					  old->domain);
}

/*
 * Moves pasid from old to hwpt in the driver and swaps the handles; the
 * groups that came through the old one are answered. Page requests are
 * turned on first when only hwpt has a fault queue, off after when only
 * old had one. On failure nothing changed. idev->lock held.
 */
static int hwpt_replace_device(struct iommufd_hw_pagetable *hwpt,
			       struct iommufd_device *idev, uint32_t pasid,
			       struct iommufd_hw_pagetable *old,
			       struct iommufd_attach_handle *handle)
{
	bool iopf_on = hwpt->fault && !old->fault;
	struct iommufd_attach_handle *old_handle;
	int rc;

	if (iopf_on) {
		rc = iopf_enable(idev);
		if (rc)
			return rc;
	}
	rc = driver_replace(hwpt, idev, pasid, old);
	if (rc) {
		if (iopf_on)
			iopf_disable(idev);
		return rc;
	}
	handle->idev = idev;
	old_handle = to_iommufd_handle(iommu_attach_handle_set(
		idev->dev, pasid, hwpt->domain, &handle->handle));
	if (old->fault) {
		iommufd_auto_response_faults(old, old_handle);
		if (!hwpt->fault)
			iopf_disable(idev);
	}
	free(old_handle);
	return 0;
}

/*
 * The device's reserved regions go into the IOAS its RID translates
 * through (a nested HWPT's parent's); a PASID attach imposes none.
 */
static int reserve_regions(struct iommufd_device *idev,
			   struct iommufd_hwpt_paging *hwpt_paging,
			   uint64_t *sw_msi_start)
{
	return iopt_table_enforce_dev_resv_regions(&hwpt_paging->ioas->iopt,
						   idev->dev, sw_msi_start);
}

static void unreserve_regions(struct iommufd_device *idev,
			      struct iommufd_hwpt_paging *hwpt_paging)
{
	iopt_remove_reserved_iova(&hwpt_paging->ioas->iopt, idev->dev);
}

/* ---- attach, detach, replace of one HWPT ----------------------------- */

/* The RID onto hwpt, idev->lock held: its reserved regions go first. */
static int attach_rid_locked(struct iommufd_hw_pagetable *hwpt,
			     struct iommufd_device *idev,
			     struct iommufd_attach_handle *handle)
{
	struct iommufd_hwpt_paging *hwpt_paging = find_hwpt_paging(hwpt);
	int rc;

	lockdep_assert_held(&idev->lock);
	rc = reserve_regions(idev, hwpt_paging, &idev->sw_msi_start);
	if (rc)
		return rc;
	rc = hwpt_pasid_compat(idev, hwpt, IOMMU_NO_PASID);
	if (!rc)
		rc = hwpt_attach_device(hwpt, idev, IOMMU_NO_PASID, handle);
	if (rc) {
		unreserve_regions(idev, hwpt_paging);
		return rc;
	}
	idev->hwpt = hwpt;
	return 0;
}

/* A PASID onto hwpt, idev->lock held; entry becomes its record. */
static int attach_pasid_locked(struct iommufd_hw_pagetable *hwpt,
			       struct iommufd_device *idev, uint32_t pasid,
			       struct iommufd_pasid_attach *entry,
			       struct iommufd_attach_handle *handle)
{
	int rc = hwpt_pasid_compat(idev, hwpt, pasid);

	if (!rc)
		rc = hwpt_attach_device(hwpt, idev, pasid, handle);
	if (rc)
		return rc;
	entry->pasid = pasid;
	entry->hwpt = hwpt;
	entry->next = idev->pasids;
	idev->pasids = entry;
	return 0;
}

/* An attachment's change in the trace: from old to new (NULL: none). */
static void trace_attach(const char *event, struct iommufd_device *idev,
			 uint32_t pasid, struct iommufd_hw_pagetable *old,
			 struct iommufd_hw_pagetable *new)
{
	if (old && new)
		trace_event(event, TA_DEC("ctx", idev->ictx->serial),
			    TA_ID("dev", idev->obj.id), TA_DEC("pasid", pasid),
			    TA_ID("old_hwpt", old->obj.id),
			    TA_ID("hwpt", new->obj.id));
	else
		trace_event(event, TA_DEC("ctx", idev->ictx->serial),
			    TA_ID("dev", idev->obj.id), TA_DEC("pasid", pasid),
			    TA_ID("hwpt", (old ? old : new)->obj.id));
}

int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt,
				struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_pasid_attach *entry = NULL;
	struct iommufd_attach_handle *handle;
	int rc;

	/* the records are made before the lock, freed if unused */
	handle = lib_calloc(1, sizeof(*handle));
	if (!handle)
		return -ENOMEM;
	if (pasid != IOMMU_NO_PASID) {
		entry = lib_calloc(1, sizeof(*entry));
		if (!entry) {
			free(handle);
			return -ENOMEM;
		}
	}
	mutex_lock(&idev->lock);
	/* attach never moves a pasid, even onto the same HWPT */
	if (attached_slot(idev, pasid))
		rc = -EBUSY;
	else if (entry)
		rc = attach_pasid_locked(hwpt, idev, pasid, entry, handle);
	else
		rc = attach_rid_locked(hwpt, idev, handle);
	if (!rc) {
		object_hold(&hwpt->obj);
		entry = NULL;
		handle = NULL;
		trace_attach("attach", idev, pasid, NULL, hwpt);
	}
	mutex_unlock(&idev->lock);
	free(entry);
	free(handle);
	return rc;
}

struct iommufd_hw_pagetable *
iommufd_hw_pagetable_detach(struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_hw_pagetable *hwpt = NULL;
	struct iommufd_pasid_attach *entry;

	mutex_lock(&idev->lock);
	if (pasid == IOMMU_NO_PASID) {
		hwpt = idev->hwpt;
		idev->hwpt = NULL;
		if (hwpt)
			unreserve_regions(idev, find_hwpt_paging(hwpt));
	} else if ((entry = unlink_pasid(idev, pasid))) {
		hwpt = entry->hwpt;
		free(entry);
	}
	if (hwpt) {
		trace_attach("detach", idev, pasid, hwpt, NULL);
		hwpt_detach_device(hwpt, idev, pasid);
		/* what the device cached through the domain must not
		 * outlive it */
		iommu_iotlb_flush_all(hwpt->domain);
	}
	mutex_unlock(&idev->lock);
	/* the caller puts the HWPT's reference */
	return hwpt;
}

/*
 * Moves an attached pasid to another HWPT (the kernel's do_replace, one
 * device per group): -EINVAL when it is not attached or hwpt cannot serve
 * it; replacing with the current HWPT changes nothing. When the RID moves
 * to another IOAS its reserved regions move with it. The old HWPT's
 * reference goes to *old for the caller to put once all locks are dropped.
 */
static int iommufd_hw_pagetable_replace(struct iommufd_hw_pagetable *hwpt,
					struct iommufd_device *idev,
					uint32_t pasid,
					struct iommufd_hw_pagetable **old)
{
	struct iommufd_hwpt_paging *new_paging = find_hwpt_paging(hwpt);
	struct iommufd_hw_pagetable **slot, *cur;
	struct iommufd_attach_handle *handle;
	bool moves_ioas;
	int rc = 0;

	*old = NULL;
	handle = lib_calloc(1, sizeof(*handle));
	if (!handle)
		return -ENOMEM;
	mutex_lock(&idev->lock);
	slot = attached_slot(idev, pasid);
	if (!slot) {
		rc = -EINVAL;
		goto out_unlock;
	}
	cur = *slot;
	if (cur == hwpt)
		goto out_unlock;
	moves_ioas = pasid == IOMMU_NO_PASID &&
		     find_hwpt_paging(cur)->ioas != new_paging->ioas;
	if (moves_ioas) {
		rc = reserve_regions(idev, new_paging, NULL);
		if (rc)
			goto out_unlock;
	}
	rc = hwpt_pasid_compat(idev, hwpt, pasid);
	if (!rc)
		rc = hwpt_replace_device(hwpt, idev, pasid, cur, handle);
	if (rc)
		goto out_unreserve;
	if (moves_ioas)
		unreserve_regions(idev, find_hwpt_paging(cur));
	trace_attach("replace", idev, pasid, cur, hwpt);
	iommu_iotlb_flush_all(cur->domain);
	*slot = hwpt;
	object_hold(&hwpt->obj);
	*old = cur;
	mutex_unlock(&idev->lock);
	return 0;

out_unreserve:
	/* The kernel drops the device's regions from the new IOAS here even
	 * when the IOAS did not change, leaving a still-attached device
	 * without them; only what this call reserved is taken back here. */
	if (moves_ioas)
		unreserve_regions(idev, new_paging);
out_unlock:
	mutex_unlock(&idev->lock);
	free(handle);
	return rc;
}

/* Attach (old NULL) or replace (old not NULL) onto hwpt. */
static int connect(struct iommufd_hw_pagetable *hwpt,
		   struct iommufd_device *idev, uint32_t pasid,
		   struct iommufd_hw_pagetable **old)
{
	if (old)
		return iommufd_hw_pagetable_replace(hwpt, idev, pasid, old);
	return iommufd_hw_pagetable_attach(hwpt, idev, pasid);
}

/*
 * Onto an IOAS: any automatic HWPT of the IOAS that takes the device will
 * do (one that refuses it with -EINVAL is skipped; any other error stops);
 * else a new automatic HWPT. For an attach the device joins the new HWPT
 * before its domain meets the IOAS; a replace moves it once the HWPT is
 * whole. A HWPT made by the user is never chosen, and an automatic one is
 * never made for PASIDs: a PASID can only come here to fail.
 */
static int auto_get_domain(struct iommufd_device *idev, uint32_t pasid,
			   struct iommufd_ioas *ioas, uint32_t *pt_id,
			   struct iommufd_hw_pagetable **old)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	mutex_lock(&ioas->mutex);
	for (hwpt_paging = ioas->hwpt_list; hwpt_paging;
	     hwpt_paging = hwpt_paging->next) {
		struct iommufd_hw_pagetable *hwpt = &hwpt_paging->common;

		/* skip one that is dying: its destroy waits for our lock */
		if (!hwpt_paging->auto_domain || !object_try_hold(&hwpt->obj))
			continue;
		rc = connect(hwpt, idev, pasid, old);
		object_release(&hwpt->obj);
		if (rc == -EINVAL)
			continue;
		if (!rc)
			*pt_id = hwpt->obj.id;
		goto out_unlock;
	}

	hwpt_paging = iommufd_hwpt_paging_alloc(idev->ictx, ioas, idev, pasid,
						0, !old, NULL, &rc);
	if (!hwpt_paging)
		goto out_unlock;
	if (old) {
		rc = iommufd_hw_pagetable_replace(&hwpt_paging->common, idev,
						  pasid, old);
		if (rc) {
			object_abort_and_destroy(idev->ictx,
						 &hwpt_paging->common.obj);
			goto out_unlock;
		}
	}
	hwpt_paging->auto_domain = true;
	*pt_id = hwpt_paging->common.obj.id;
	object_finalize(idev->ictx, &hwpt_paging->common.obj);
	rc = 0;
out_unlock:
	mutex_unlock(&ioas->mutex);
	return rc;
}

/* The kernel's iommufd_device_change_pt(): attach when old is NULL. */
static int change_pt(struct iommufd_device *idev, uint32_t pasid,
		     uint32_t *pt_id, struct iommufd_hw_pagetable **old)
{
	struct iommufd_object *pt_obj;
	int rc;

	pt_obj = object_get(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj)
		return -ENOENT;
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_NESTED:
	case IOMMUFD_OBJ_HWPT_PAGING:
		rc = connect(to_hwpt(pt_obj), idev, pasid, old);
		break;
	case IOMMUFD_OBJ_IOAS:
		rc = auto_get_domain(idev, pasid, to_ioas(pt_obj), pt_id, old);
		break;
	default:
		rc = -EINVAL;
	}
	object_put(idev->ictx, pt_obj);
	return rc;
}

int iommufd_device_attach(struct iommufd_device *idev, uint32_t pasid,
			  uint32_t *pt_id)
{
	int rc = change_pt(idev, pasid, pt_id, NULL);

	if (rc)
		return rc;
	/* an attached device cannot be destroyed before it is detached */
	object_hold(&idev->obj);
	return 0;
}

int iommufd_device_replace(struct iommufd_device *idev, uint32_t pasid,
			   uint32_t *pt_id)
{
	struct iommufd_hw_pagetable *old = NULL;
	int rc = change_pt(idev, pasid, pt_id, &old);

	/* after every lock is dropped: an automatic HWPT may die here */
	if (old)
		iommufd_hw_pagetable_put(idev->ictx, old);
	return rc;
}

void iommufd_device_detach(struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_hw_pagetable *hwpt =
		iommufd_hw_pagetable_detach(idev, pasid);

	if (!hwpt)
		return;
	iommufd_hw_pagetable_put(idev->ictx, hwpt);
	object_release(&idev->obj);
}

void iommufd_device_detach_pasids(struct iommufd_device *idev)
{
	for (;;) {
		uint32_t pasid;

		mutex_lock(&idev->lock);
		if (!idev->pasids) {
			mutex_unlock(&idev->lock);
			return;
		}
		pasid = idev->pasids->pasid;
		mutex_unlock(&idev->lock);
		iommufd_device_detach(idev, pasid);
	}
}

static unsigned int ilog2_u32(uint32_t x)
{
	return 31 - __builtin_clz(x);
}

/*
 * IOMMU_GET_HW_INFO: the driver's data, copied up to the caller's data_len
 * and zero-filled past what the driver has; data_len comes back as the
 * driver's full length, so a caller can ask again with room for it.
 */
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	/* room for any driver's hw_info struct */
	uint64_t info[16];
	struct iommufd_device *idev;
	uint32_t data_len = sizeof(info), copy_len, max_pasids;
	int rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	/* without the flag, the input type is whatever the driver has */
	if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (!idev)
		return -ENOENT;

	rc = dev_iommu_ops(idev->dev)->hw_info(idev->dev, &cmd->out_data_type,
					       info, &data_len);
	if (rc)
		goto out_put;
	copy_len = cmd->data_len < data_len ? cmd->data_len : data_len;
	rc = usermem_copy_to(ucmd->mm, cmd->data_uptr, &info, copy_len);
	if (rc)
		goto out_put;
	if (copy_len < cmd->data_len) {
		rc = usermem_clear(ucmd->mm, cmd->data_uptr + copy_len,
				   cmd->data_len - copy_len);
		if (rc)
			goto out_put;
	}
	cmd->data_len = data_len;
	cmd->out_capabilities = 0;
	if (device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	/* said in the negative, so that older kernels' 0 reads as "can" */
	if (!device_iommu_capable(idev->dev, IOMMU_CAP_PCI_ATS_SUPPORTED))
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	max_pasids = dev_iommu_max_pasids(idev->dev);
	cmd->out_max_pasid_log2 = max_pasids ? ilog2_u32(max_pasids) : 0;
	/* a PCI device's PASID modes, as its PASID capability enables them */
	if (max_pasids && (idev->dev->pci_pasid_ctrl & PCI_PASID_CTRL_EXEC))
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_EXEC;
	if (max_pasids && (idev->dev->pci_pasid_ctrl & PCI_PASID_CTRL_PRIV))
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_PRIV;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	object_put(ucmd->ictx, &idev->obj);
	return rc;
}
