// SPDX-License-Identifier: MIT
/*
 * HWPTs: paging ones from an IOAS (their link to the IOAS's domains),
 * nested ones from a paging parent, IOMMU_HWPT_ALLOC and the commands on
 * a HWPT, and their end.
 */
#include <errno.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "base/trace.h"
#include "iommufd/device.h"
#include "iommufd/eventq.h"
#include "iommufd/hw_pagetable.h"
#include "iommufd/viommu.h"
#include "iommu/user_data.h"

static void hwpt_list_add(struct iommufd_hwpt_paging *hwpt_paging)
{
	struct iommufd_ioas *ioas = hwpt_paging->ioas;

	lockdep_assert_held(&ioas->mutex);
	hwpt_paging->next = ioas->hwpt_list;
	if (ioas->hwpt_list)
		ioas->hwpt_list->pprev = &hwpt_paging->next;
	hwpt_paging->pprev = &ioas->hwpt_list;
	ioas->hwpt_list = hwpt_paging;
}

static void hwpt_list_del(struct iommufd_hwpt_paging *hwpt_paging)
{
	/* even to look: a neighbour's unlinking rewrites our pprev */
	lockdep_assert_held(&hwpt_paging->ioas->mutex);
	if (!hwpt_paging->pprev)
		return;
	*hwpt_paging->pprev = hwpt_paging->next;
	if (hwpt_paging->next)
		hwpt_paging->next->pprev = hwpt_paging->pprev;
	hwpt_paging->pprev = NULL;
}

/* Leaves the IOAS: off its list, its domain out of the io_pagetable. */
static void hwpt_paging_leave_ioas(struct iommufd_hwpt_paging *hwpt_paging)
{
	hwpt_list_del(hwpt_paging);
	if (hwpt_paging->in_iopt) {
		iopt_table_remove_domain(&hwpt_paging->ioas->iopt,
					 hwpt_paging->common.domain);
		hwpt_paging->in_iopt = false;
	}
}

/* What both kinds of HWPT give back at their end. */
static void hwpt_free(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->domain)
		hwpt->domain->ops->free(hwpt->domain);
	if (hwpt->fault)
		object_release(iommufd_fault_obj(hwpt->fault));
}

/* The end of a HWPT that has left its IOAS. */
static void hwpt_paging_free(struct iommufd_hwpt_paging *hwpt_paging)
{
	hwpt_free(&hwpt_paging->common);
	object_release(&hwpt_paging->ioas->obj);
}

void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging = to_hwpt_paging(to_hwpt(obj));

	mutex_lock(&hwpt_paging->ioas->mutex);
	hwpt_paging_leave_ioas(hwpt_paging);
	mutex_unlock(&hwpt_paging->ioas->mutex);
	hwpt_paging_free(hwpt_paging);
}

void iommufd_hwpt_paging_abort(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging = to_hwpt_paging(to_hwpt(obj));

	hwpt_paging_leave_ioas(hwpt_paging);
	hwpt_paging_free(hwpt_paging);
}

void iommufd_hwpt_nested_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_nested *hwpt_nested = to_hwpt_nested(to_hwpt(obj));

	hwpt_free(&hwpt_nested->common);
	if (hwpt_nested->viommu)
		object_release(&hwpt_nested->viommu->obj);
	else
		object_release(&hwpt_nested->parent->common.obj);
}

/* An unpublished nested HWPT over parent, holding the vIOMMU it is made
 * on when there is one, else the parent; no domain yet. */
static struct iommufd_hwpt_nested *
hwpt_nested_object_alloc(struct iommufd_ctx *ictx,
			 struct iommufd_hwpt_paging *parent,
			 struct iommufd_viommu *viommu, uint32_t flags,
			 int *err)
{
	struct iommufd_hwpt_nested *hwpt_nested;

	hwpt_nested = __iommufd_object_alloc(ictx, hwpt_nested,
					     IOMMUFD_OBJ_HWPT_NESTED, common.obj,
					     err);
	if (!hwpt_nested)
		return NULL;
	hwpt_nested->parent = parent;
	hwpt_nested->viommu = viommu;
	hwpt_nested->common.pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	object_hold(viommu ? &viommu->obj : &parent->common.obj);
	return hwpt_nested;
}

/*
 * The vIOMMU path of IOMMU_HWPT_ALLOC: a nested domain of the vIOMMU's
 * driver, on its parent. The caller checked that the device sits behind
 * the vIOMMU's instance.
 */
static struct iommufd_hwpt_nested *
iommufd_viommu_alloc_hwpt_nested(struct iommufd_ctx *ictx,
				 struct iommufd_viommu *viommu, uint32_t flags,
				 const struct iommu_user_data *user_data,
				 int *err)
{
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommu_domain *domain;
	int rc;

	if ((flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) ||
	    !user_data->len || !viommu->hw->ops->alloc_domain_nested) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	hwpt_nested = hwpt_nested_object_alloc(ictx, viommu->hwpt, viommu,
					       flags, err);
	if (!hwpt_nested)
		return NULL;
	domain = viommu->hw->ops->alloc_domain_nested(
		viommu->hw, flags & ~IOMMU_HWPT_FAULT_ID_VALID, user_data, &rc);
	if (!domain)
		goto out_abort;
	domain->owner = viommu->hw->iommu->ops;
	hwpt_nested->common.domain = domain;
	return hwpt_nested;

out_abort:
	object_abort_and_destroy(ictx, &hwpt_nested->common.obj);
	*err = rc;
	return NULL;
}

/*
 * The nested path of IOMMU_HWPT_ALLOC. The parent must have been made by
 * the user as a NEST_PARENT (an automatic HWPT never is one), data is
 * required, and nothing here goes near the parent's IOAS.
 */
static struct iommufd_hwpt_nested *
iommufd_hwpt_nested_alloc(struct iommufd_ctx *ictx,
			  struct iommufd_hwpt_paging *parent,
			  struct iommufd_device *idev, uint32_t flags,
			  const struct iommu_user_data *user_data, int *err)
{
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommu_domain *domain;
	int rc;

	if ((flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) ||
	    !user_data->len || !dev_iommu_ops(idev->dev)->domain_alloc_nested) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->common.domain->owner != dev_iommu_ops(idev->dev)) {
		*err = -EINVAL;
		return NULL;
	}
	hwpt_nested = hwpt_nested_object_alloc(ictx, parent, NULL, flags, err);
	if (!hwpt_nested)
		return NULL;
	domain = dev_iommu_ops(idev->dev)->domain_alloc_nested(
		idev->dev, parent->common.domain,
		flags & ~IOMMU_HWPT_FAULT_ID_VALID, user_data, &rc);
	if (!domain)
		goto out_abort;
	hwpt_nested->common.domain = domain;
	return hwpt_nested;

out_abort:
	object_abort_and_destroy(ictx, &hwpt_nested->common.obj);
	*err = rc;
	return NULL;
}

struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, uint32_t pasid,
			  uint32_t flags, bool immediate_attach,
			  const struct iommu_user_data *user_data, int *err)
{
	const uint32_t valid_flags =
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
		IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	if (flags & ~valid_flags) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	/* a fault queue on a parent would see faults of its children */
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) &&
	    (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	hwpt_paging = __iommufd_object_alloc(ictx, hwpt_paging,
					     IOMMUFD_OBJ_HWPT_PAGING, common.obj,
					     err);
	if (!hwpt_paging)
		return NULL;
	hwpt_paging->ioas = ioas;
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	hwpt_paging->common.pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	/* the HWPT holds its IOAS: DESTROY of the IOAS is EBUSY now */
	object_hold(&ioas->obj);

	domain = dev_iommu_ops(idev->dev)->domain_alloc_paging_flags(
		idev->dev, flags & ~IOMMU_HWPT_FAULT_ID_VALID, user_data, &rc);
	if (!domain)
		goto out_abort;
	hwpt_paging->common.domain = domain;

	if (immediate_attach) {
		rc = iommufd_hw_pagetable_attach(&hwpt_paging->common, idev,
						 pasid);
		if (rc)
			goto out_abort;
	}
	rc = iopt_table_add_domain(&ioas->iopt, domain);
	if (rc)
		goto out_detach;
	hwpt_paging->in_iopt = true;
	hwpt_list_add(hwpt_paging);
	return hwpt_paging;

out_detach:
	/* not automatic yet, so dropping the attach's hold frees nothing */
	if (immediate_attach)
		object_release(&iommufd_hw_pagetable_detach(idev, pasid)->obj);
out_abort:
	object_abort_and_destroy(ictx, &hwpt_paging->common.obj);
	*err = rc;
	return NULL;
}

/* Points hwpt's domain's page requests at the fault queue fault_id,
 * which the HWPT then holds: 0 or -ENOENT. */
static int hwpt_set_fault(struct iommufd_ctx *ictx,
			  struct iommufd_hw_pagetable *hwpt, uint32_t fault_id)
{
	struct iommufd_fault *fault = iommufd_get_fault(ictx, fault_id);

	if (!fault)
		return -ENOENT;
	hwpt->fault = fault;
	hwpt->domain->iopf_handler = iommufd_fault_iopf_handler;
	hwpt->domain->fault_data = hwpt;
	object_hold(iommufd_fault_obj(fault));
	object_put(ictx, iommufd_fault_obj(fault));
	return 0;
}

/*
 * IOMMU_HWPT_ALLOC. The check order is the kernel's: reserved field, the
 * data_type/data_len rule, the device, the parent object; then the kind of
 * HWPT the parent makes: an IOAS a paging HWPT, a paging HWPT a nested one.
 */
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommu_user_data user_data = {
		.mm = ucmd->mm,
		.type = cmd->data_type,
		.uptr = cmd->data_uptr,
		.len = cmd->data_len,
	};
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_ioas *ioas = NULL;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;
	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	pt_obj = object_get(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	if (pt_obj->type == IOMMUFD_OBJ_IOAS) {
		ioas = to_ioas(pt_obj);
		mutex_lock(&ioas->mutex);
		hwpt_paging = iommufd_hwpt_paging_alloc(
			ucmd->ictx, ioas, idev, IOMMU_NO_PASID, cmd->flags,
			false, user_data.len ? &user_data : NULL, &rc);
		if (!hwpt_paging)
			goto out_unlock;
		hwpt = &hwpt_paging->common;
	} else if (pt_obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
		struct iommufd_hwpt_nested *hwpt_nested;

		hwpt_nested = iommufd_hwpt_nested_alloc(
			ucmd->ictx, to_hwpt_paging(to_hwpt(pt_obj)), idev,
			cmd->flags, &user_data, &rc);
		if (!hwpt_nested)
			goto out_put_pt;
		hwpt = &hwpt_nested->common;
	} else if (pt_obj->type == IOMMUFD_OBJ_VIOMMU) {
		struct iommufd_viommu *viommu =
			container_of(pt_obj, struct iommufd_viommu, obj);
		struct iommufd_hwpt_nested *hwpt_nested;

		if (viommu->hw->iommu != idev->dev->iommu) {
			rc = -EINVAL;
			goto out_put_pt;
		}
		hwpt_nested = iommufd_viommu_alloc_hwpt_nested(
			ucmd->ictx, viommu, cmd->flags, &user_data, &rc);
		if (!hwpt_nested)
			goto out_put_pt;
		hwpt = &hwpt_nested->common;
	} else {
		rc = -EINVAL;
		goto out_put_pt;
	}
	/* the fault queue is looked up last, once the HWPT is built */
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		rc = hwpt_set_fault(ucmd->ictx, hwpt, cmd->fault_id);
		if (rc)
			goto out_hwpt;
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_hwpt;
	object_finalize(ucmd->ictx, &hwpt->obj);
	goto out_unlock;

out_hwpt:
	object_abort_and_destroy(ucmd->ictx, &hwpt->obj);
out_unlock:
	if (ioas)
		mutex_unlock(&ioas->mutex);
out_put_pt:
	object_put(ucmd->ictx, pt_obj);
out_put_idev:
	object_put(ucmd->ictx, &idev->obj);
	return rc;
}

void iommufd_hw_pagetable_put(struct iommufd_ctx *ictx,
			      struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt_is_paging(hwpt)) {
		struct iommufd_hwpt_paging *hwpt_paging = to_hwpt_paging(hwpt);

		/* the last put of an automatic HWPT takes it */
		lockdep_assert_not_held(&hwpt_paging->ioas->mutex);
		if (hwpt_paging->auto_domain) {
			object_destroy_user(ictx, &hwpt->obj);
			return;
		}
	}
	object_release(&hwpt->obj);
}

/*
 * IOMMU_HWPT_INVALIDATE. entry_num always comes back as the number of
 * entries handled (0 on an early error), even when the call fails.
 */
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array array = {
		.mm = ucmd->mm,
		.type = cmd->data_type,
		.uptr = cmd->data_uptr,
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct iommufd_object *pt_obj;
	uint32_t done = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
		rc = -EINVAL;
		goto out;
	}
	pt_obj = object_get(ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj) {
		rc = -ENOENT;
		goto out;
	}
	if (pt_obj->type == IOMMUFD_OBJ_HWPT_NESTED) {
		struct iommu_domain *domain = to_hwpt(pt_obj)->domain;

		if (!domain->ops->cache_invalidate_user) {
			rc = -EOPNOTSUPP;
			goto out_put;
		}
		rc = domain->ops->cache_invalidate_user(domain, &array);
	} else if (pt_obj->type == IOMMUFD_OBJ_VIOMMU) {
		struct iommu_viommu *hw =
			container_of(pt_obj, struct iommufd_viommu, obj)->hw;

		if (!hw->ops->cache_invalidate) {
			rc = -EOPNOTSUPP;
			goto out_put;
		}
		rc = hw->ops->cache_invalidate(hw, &array);
	} else {
		rc = -EINVAL;
		goto out_put;
	}
	done = array.entry_num;
	trace_event("iotlb_invalidate", TA_DEC("ctx", ucmd->ictx->serial),
		    TA_ID("hwpt", cmd->hwpt_id), TA_HEX("data_type", cmd->data_type),
		    TA_DEC("entries", done), TA_DEC("requested", cmd->entry_num));
out_put:
	object_put(ucmd->ictx, pt_obj);
out:
	cmd->entry_num = done;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}

int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	/* note: the kernel never checks __reserved here */
	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (!hwpt_paging)
		return -ENOENT;
	rc = iopt_set_dirty_tracking(&hwpt_paging->ioas->iopt,
				     hwpt_paging->common.domain,
				     cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	if (!rc)
		atomic_store_explicit(&hwpt_paging->dirty_tracking,
				      cmd->flags &
					      IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
				      memory_order_relaxed);
	object_put(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}

int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (!hwpt_paging)
		return -ENOENT;
	rc = iopt_read_and_clear_dirty_data(
		&hwpt_paging->ioas->iopt, hwpt_paging->common.domain,
		ucmd->mm, cmd->iova, cmd->length, cmd->page_size,
		cmd->data,
		cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR ?
			IOMMU_DIRTY_NO_CLEAR :
			0);
	object_put(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}
