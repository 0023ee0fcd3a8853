// SPDX-License-Identifier: MIT
/*
 * Paging HWPTs: allocation from an IOAS, the link to the IOAS's domains,
 * and their end. (IOMMU_HWPT_ALLOC and nested HWPTs come next.)
 */
#include <errno.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "device.h"
#include "drivers/mock.h"
#include "drivers/mock_device.h"
#include "hw_pagetable.h"
#include "user_data.h"

static void hwpt_list_add(struct iommufd_hwpt_paging *hwpt_paging)
{
	struct iommufd_ioas *ioas = hwpt_paging->ioas;

	hwpt_paging->next = ioas->hwpt_list;
	if (ioas->hwpt_list)
		ioas->hwpt_list->pprev = &hwpt_paging->next;
	hwpt_paging->pprev = &ioas->hwpt_list;
	ioas->hwpt_list = hwpt_paging;
}

static void hwpt_list_del(struct iommufd_hwpt_paging *hwpt_paging)
{
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

static void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		(struct iommufd_hwpt_paging *)obj;
	struct iommu_domain *domain = hwpt_paging->common.domain;

	if (hwpt_paging->pprev) {
		pthread_mutex_lock(&hwpt_paging->ioas->mutex);
		hwpt_paging_leave_ioas(hwpt_paging);
		pthread_mutex_unlock(&hwpt_paging->ioas->mutex);
	}
	hwpt_paging_leave_ioas(hwpt_paging);
	if (domain)
		domain->ops->free(domain);
	object_release(&hwpt_paging->ioas->obj);
}

/* An unpublished HWPT: its maker still holds ioas->mutex. */
static void iommufd_hwpt_paging_abort(struct iommufd_object *obj)
{
	hwpt_paging_leave_ioas((struct iommufd_hwpt_paging *)obj);
	iommufd_hwpt_paging_destroy(obj);
}

static const struct iommufd_object_ops hwpt_paging_ops = {
	.destroy = iommufd_hwpt_paging_destroy,
	.abort = iommufd_hwpt_paging_abort,
};

void iommufd_hw_pagetable_register(void)
{
	object_register_ops(IOMMUFD_OBJ_HWPT_PAGING, &hwpt_paging_ops);
}

/* ioas->mutex is held by the caller. */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, uint32_t flags,
			  bool immediate_attach,
			  const struct iommu_user_data *user_data, int *err)
{
	const uint32_t valid_flags =
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
		IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	int rc;

	if (flags & ~valid_flags) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !mock_dev_dirty_capable(idev->mdev)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	/* a fault queue on a parent would see faults of its children */
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) &&
	    (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	hwpt_paging = (struct iommufd_hwpt_paging *)object_alloc(
		ictx, sizeof(*hwpt_paging), IOMMUFD_OBJ_HWPT_PAGING, err);
	if (!hwpt_paging)
		return NULL;
	hwpt_paging->ioas = ioas;
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	/* the HWPT holds its IOAS: DESTROY of the IOAS is EBUSY now */
	object_hold(&ioas->obj);

	domain = mock_dev_domain_alloc_paging(
		idev->mdev, flags & ~IOMMU_HWPT_FAULT_ID_VALID, user_data, &rc);
	if (!domain)
		goto out_abort;
	hwpt_paging->common.domain = domain;

	if (immediate_attach) {
		rc = iommufd_hw_pagetable_attach(&hwpt_paging->common, idev);
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
	if (immediate_attach)
		iommufd_hw_pagetable_put(ictx, iommufd_hw_pagetable_detach(idev));
out_abort:
	object_abort_and_destroy(ictx, &hwpt_paging->common.obj);
	*err = rc;
	return NULL;
}

/*
 * IOMMU_HWPT_ALLOC. The check order is the kernel's: reserved field, the
 * data_type/data_len rule, the device, the parent object; then the kind of
 * HWPT the parent makes. Nested HWPTs (a paging parent) are not built yet.
 */
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommu_user_data user_data = {
		.mm = ucmd->ictx->mm,
		.type = cmd->data_type,
		.uptr = cmd->data_uptr,
		.len = cmd->data_len,
	};
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;
	idev = (struct iommufd_device *)object_get(ucmd->ictx, cmd->dev_id,
						   IOMMUFD_OBJ_DEVICE);
	if (!idev)
		return -ENOENT;
	pt_obj = object_get(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	if (pt_obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
		rc = -EOPNOTSUPP; /* nested HWPTs: not built yet */
		goto out_put_pt;
	}
	if (pt_obj->type != IOMMUFD_OBJ_IOAS) {
		rc = -EINVAL;
		goto out_put_pt;
	}

	ioas = (struct iommufd_ioas *)pt_obj;
	pthread_mutex_lock(&ioas->mutex);
	hwpt_paging = iommufd_hwpt_paging_alloc(
		ucmd->ictx, ioas, idev, cmd->flags, false,
		user_data.len ? &user_data : NULL, &rc);
	if (!hwpt_paging)
		goto out_unlock;
	/* No fault queue can exist yet: any fault_id names nothing. */
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		rc = -ENOENT;
		goto out_hwpt;
	}
	cmd->out_hwpt_id = hwpt_paging->common.obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_hwpt;
	object_finalize(ucmd->ictx, &hwpt_paging->common.obj);
	goto out_unlock;

out_hwpt:
	object_abort_and_destroy(ucmd->ictx, &hwpt_paging->common.obj);
out_unlock:
	pthread_mutex_unlock(&ioas->mutex);
out_put_pt:
	object_put(ucmd->ictx, pt_obj);
out_put_idev:
	object_put(ucmd->ictx, &idev->obj);
	return rc;
}

void iommufd_hw_pagetable_put(struct iommufd_ctx *ictx,
			      struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt_is_paging(hwpt) && to_hwpt_paging(hwpt)->auto_domain) {
		object_destroy_user(ictx, &hwpt->obj);
		return;
	}
	object_release(&hwpt->obj);
}
