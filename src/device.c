// SPDX-License-Identifier: MIT
/*
 * Binding devices to a context and attaching them to HWPTs, as the
 * kernel's device.c does it (each mock device being its own group).
 */
#include <errno.h>

#include <iommusim/uapi/iommufd.h>

#include "device.h"

static void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev = (struct iommufd_device *)obj;

	pthread_mutex_destroy(&idev->lock);
}

static const struct iommufd_object_ops device_ops = {
	.destroy = iommufd_device_destroy,
};

void iommufd_device_register(void)
{
	object_register_ops(IOMMUFD_OBJ_DEVICE, &device_ops);
}

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct iommu_device *dev,
					   uint32_t *id, int *err)
{
	struct iommufd_device *idev;

	idev = (struct iommufd_device *)object_alloc(
		ictx, sizeof(*idev), IOMMUFD_OBJ_DEVICE, err);
	if (!idev)
		return NULL;
	idev->ictx = ictx;
	idev->dev = dev;
	pthread_mutex_init(&idev->lock, NULL);
	/* the binder is a user until unbind */
	object_hold(&idev->obj);
	/* published at once: the device is a leaf nothing else can hold */
	object_finalize(ictx, &idev->obj);
	*id = idev->obj.id;
	return idev;
}

void iommufd_device_unbind(struct iommufd_device *idev)
{
	object_destroy_user(idev->ictx, &idev->obj);
}

/*
 * With idev->lock held: asks the driver to put the device on hwpt's domain,
 * then records hwpt as the device's HWPT and takes a reference on it. Mock
 * devices have no reserved regions to impose on, or move between, IOASes.
 */
static int device_point_at_locked(struct iommufd_device *idev,
				  struct iommufd_hw_pagetable *hwpt)
{
	int rc = idev->dev->ops->attach_dev(hwpt->domain, idev->dev);

	if (rc)
		return rc;
	idev->hwpt = hwpt;
	object_hold(&hwpt->obj);
	return 0;
}

int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt,
				struct iommufd_device *idev)
{
	int rc;

	pthread_mutex_lock(&idev->lock);
	if (idev->hwpt && idev->hwpt != hwpt) {
		rc = -EINVAL;
		goto out_unlock;
	}
	rc = device_point_at_locked(idev, hwpt);
out_unlock:
	pthread_mutex_unlock(&idev->lock);
	return rc;
}

struct iommufd_hw_pagetable *
iommufd_hw_pagetable_detach(struct iommufd_device *idev)
{
	struct iommufd_hw_pagetable *hwpt;

	pthread_mutex_lock(&idev->lock);
	hwpt = idev->hwpt;
	idev->hwpt = NULL;
	pthread_mutex_unlock(&idev->lock);
	/* the caller puts the HWPT's reference */
	return hwpt;
}

/*
 * Moves an attached device to another HWPT (the kernel's do_replace, one
 * device per group): -EINVAL when it is not attached or the domain does not
 * suit it; replacing with the current HWPT changes nothing. The old HWPT's
 * reference goes to *old for the caller to put once all locks are dropped.
 */
static int iommufd_hw_pagetable_replace(struct iommufd_hw_pagetable *hwpt,
					struct iommufd_device *idev,
					struct iommufd_hw_pagetable **old)
{
	int rc = 0;

	*old = NULL;
	pthread_mutex_lock(&idev->lock);
	if (!idev->hwpt) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (idev->hwpt == hwpt)
		goto out_unlock;
	*old = idev->hwpt;
	rc = device_point_at_locked(idev, hwpt);
	if (rc)
		*old = NULL;
out_unlock:
	pthread_mutex_unlock(&idev->lock);
	return rc;
}

/* Attach (old NULL) or replace (old not NULL) onto hwpt. */
static int connect(struct iommufd_hw_pagetable *hwpt,
		   struct iommufd_device *idev,
		   struct iommufd_hw_pagetable **old)
{
	if (old)
		return iommufd_hw_pagetable_replace(hwpt, idev, old);
	return iommufd_hw_pagetable_attach(hwpt, idev);
}

/*
 * Onto an IOAS: any automatic HWPT of the IOAS that takes the device will
 * do (one that refuses it with -EINVAL is skipped; any other error stops);
 * else a new automatic HWPT. For an attach the device joins the new HWPT
 * before its domain meets the IOAS; a replace moves it once the HWPT is
 * whole. A HWPT made by the user is never chosen.
 */
static int auto_get_domain(struct iommufd_device *idev,
			   struct iommufd_ioas *ioas, uint32_t *pt_id,
			   struct iommufd_hw_pagetable **old)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	pthread_mutex_lock(&ioas->mutex);
	for (hwpt_paging = ioas->hwpt_list; hwpt_paging;
	     hwpt_paging = hwpt_paging->next) {
		struct iommufd_hw_pagetable *hwpt = &hwpt_paging->common;

		/* skip one that is dying: its destroy waits for our lock */
		if (!hwpt_paging->auto_domain || !object_try_hold(&hwpt->obj))
			continue;
		rc = connect(hwpt, idev, old);
		object_release(&hwpt->obj);
		if (rc == -EINVAL)
			continue;
		if (!rc)
			*pt_id = hwpt->obj.id;
		goto out_unlock;
	}

	hwpt_paging = iommufd_hwpt_paging_alloc(idev->ictx, ioas, idev, 0,
						!old, NULL, &rc);
	if (!hwpt_paging)
		goto out_unlock;
	if (old) {
		rc = iommufd_hw_pagetable_replace(&hwpt_paging->common, idev,
						  old);
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
	pthread_mutex_unlock(&ioas->mutex);
	return rc;
}

/* The kernel's iommufd_device_change_pt(): attach when old is NULL. */
static int change_pt(struct iommufd_device *idev, uint32_t *pt_id,
		     struct iommufd_hw_pagetable **old)
{
	struct iommufd_object *pt_obj;
	int rc;

	pt_obj = object_get(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj)
		return -ENOENT;
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_NESTED:
	case IOMMUFD_OBJ_HWPT_PAGING:
		rc = connect((struct iommufd_hw_pagetable *)pt_obj, idev, old);
		break;
	case IOMMUFD_OBJ_IOAS:
		rc = auto_get_domain(idev, (struct iommufd_ioas *)pt_obj,
				     pt_id, old);
		break;
	default:
		rc = -EINVAL;
	}
	object_put(idev->ictx, pt_obj);
	return rc;
}

int iommufd_device_attach(struct iommufd_device *idev, uint32_t *pt_id)
{
	int rc = change_pt(idev, pt_id, NULL);

	if (rc)
		return rc;
	/* an attached device cannot be destroyed before it is detached */
	object_hold(&idev->obj);
	return 0;
}

int iommufd_device_replace(struct iommufd_device *idev, uint32_t *pt_id)
{
	struct iommufd_hw_pagetable *old = NULL;
	int rc = change_pt(idev, pt_id, &old);

	/* after every lock is dropped: an automatic HWPT may die here */
	if (old)
		iommufd_hw_pagetable_put(idev->ictx, old);
	return rc;
}

void iommufd_device_detach(struct iommufd_device *idev)
{
	struct iommufd_hw_pagetable *hwpt = iommufd_hw_pagetable_detach(idev);

	if (hwpt)
		iommufd_hw_pagetable_put(idev->ictx, hwpt);
	object_release(&idev->obj);
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
	uint32_t data_len = sizeof(info), copy_len;
	int rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	/* without the flag, the input type is whatever the driver has */
	if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	idev = (struct iommufd_device *)object_get(ucmd->ictx, cmd->dev_id,
						   IOMMUFD_OBJ_DEVICE);
	if (!idev)
		return -ENOENT;

	rc = idev->dev->ops->hw_info(idev->dev, &cmd->out_data_type, info,
				     &data_len);
	if (rc)
		goto out_put;
	copy_len = cmd->data_len < data_len ? cmd->data_len : data_len;
	rc = usermem_copy_to(ucmd->ictx->mm, cmd->data_uptr, &info, copy_len);
	if (rc)
		goto out_put;
	if (copy_len < cmd->data_len) {
		rc = usermem_clear(ucmd->ictx->mm, cmd->data_uptr + copy_len,
				   cmd->data_len - copy_len);
		if (rc)
			goto out_put;
	}
	cmd->data_len = data_len;
	cmd->out_capabilities = 0;
	if (iommu_device_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	/* said in the negative, so that older kernels' 0 reads as "can" */
	if (!iommu_device_capable(idev->dev, IOMMU_CAP_PCI_ATS_SUPPORTED))
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	cmd->out_max_pasid_log2 = idev->dev->ops->max_pasid_log2 ?
		idev->dev->ops->max_pasid_log2(idev->dev) : 0;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	object_put(ucmd->ictx, &idev->obj);
	return rc;
}
