// SPDX-License-Identifier: MIT
/*
 * IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC, IOMMU_HW_QUEUE_ALLOC and the
 * objects they make, as the kernel's viommu.c. See viommu.h.
 */
#include <errno.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd.h>

#include "base/alloc.h"
#include "iommufd/access.h"
#include "iommufd/device.h"
#include "iommufd/hw_pagetable.h"
#include "iommufd/mmap.h"
#include "iommufd/veventq.h"
#include "iommufd/viommu.h"
#include "iommu/user_data.h"

/* ---- vIOMMU -------------------------------------------------------------- */

static int viommu_report_event(struct iommu_viommu *hw, uint32_t type,
			       const void *data, size_t len)
{
	return iommufd_viommu_report_event(hw->core_data, type, data, len);
}

static void *viommu_alloc_mmap(struct iommu_viommu *hw, size_t length,
			       uint64_t *offset, int *err)
{
	struct iommufd_viommu *viommu = hw->core_data;

	return iommufd_mmap_alloc(viommu->ictx, &viommu->obj, length, offset,
				  err);
}

static void viommu_free_mmap(struct iommu_viommu *hw, uint64_t offset)
{
	struct iommufd_viommu *viommu = hw->core_data;

	iommufd_mmap_free(viommu->ictx, offset);
}

void iommufd_viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu =
		container_of(obj, struct iommufd_viommu, obj);

	/* an abort before the driver's init has no ops */
	if (viommu->hw->ops && viommu->hw->ops->destroy)
		viommu->hw->ops->destroy(viommu->hw);
	spin_lock_destroy(&viommu->hw->vdevs_lock);
	free(viommu->hw);
	object_release(&viommu->hwpt->common.obj);
}

/*
 * The kernel's order: flags and type (EOPNOTSUPP), the device (ENOENT),
 * whether its driver has vIOMMUs of that type (EOPNOTSUPP), the parent
 * (ENOENT; EINVAL unless a NEST_PARENT of the device's driver), then the
 * driver's init with the optional data.
 */
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.mm = ucmd->mm,
		.type = cmd->type,
		.uptr = cmd->data_uptr,
		.len = cmd->data_len,
	};
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	const struct iommu_ops *ops;
	size_t hw_size;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	ops = dev_iommu_ops(idev->dev);
	hw_size = ops->get_viommu_size && ops->viommu_init ?
			  ops->get_viommu_size(idev->dev, cmd->type) :
			  0;
	if (hw_size < sizeof(struct iommu_viommu)) {
		rc = -EOPNOTSUPP;
		goto out_put_idev;
	}
	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (!hwpt_paging) {
		rc = -ENOENT;
		goto out_put_idev;
	}
	if (!hwpt_paging->nest_parent ||
	    hwpt_paging->common.domain->owner != ops) {
		rc = -EINVAL;
		goto out_put_hwpt;
	}
	viommu = iommufd_object_alloc(ucmd->ictx, viommu, IOMMUFD_OBJ_VIOMMU,
				      &rc);
	if (!viommu)
		goto out_put_hwpt;
	viommu->hw = lib_calloc(1, hw_size);
	if (!viommu->hw) {
		object_abort(ucmd->ictx, &viommu->obj);
		rc = -ENOMEM;
		goto out_put_hwpt;
	}
	viommu->ictx = ucmd->ictx;
	viommu->hwpt = hwpt_paging;
	object_hold(&hwpt_paging->common.obj);
	init_rwsem(&viommu->veventqs_rwsem, LOCK_RANK_VIOMMU_VEVENTQS);
	INIT_LIST_HEAD(&viommu->veventqs);
	viommu->hw->type = cmd->type;
	viommu->hw->iommu = idev->dev->iommu;
	viommu->hw->parent = hwpt_paging->common.domain;
	viommu->hw->report_event = viommu_report_event;
	viommu->hw->alloc_mmap = viommu_alloc_mmap;
	viommu->hw->free_mmap = viommu_free_mmap;
	viommu->hw->core_data = viommu;
	iommu_viommu_init_vdevs(viommu->hw);

	rc = ops->viommu_init(viommu->hw, hwpt_paging->common.domain,
			      user_data.len ? &user_data : NULL);
	if (rc)
		goto out_abort;
	cmd->out_viommu_id = viommu->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	object_finalize(ucmd->ictx, &viommu->obj);
	goto out_put_hwpt;

out_abort:
	object_abort_and_destroy(ucmd->ictx, &viommu->obj);
out_put_hwpt:
	object_put(ucmd->ictx, &hwpt_paging->common.obj);
out_put_idev:
	object_put(ucmd->ictx, &idev->obj);
	return rc;
}

/* ---- vDEVICE ------------------------------------------------------------- */

void iommufd_vdevice_destroy(struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev =
		container_of(obj, struct iommufd_vdevice, obj);
	struct iommufd_device *idev = vdev->idev;

	mutex_lock(&idev->lock);
	iommu_viommu_remove_vdev(vdev->viommu->hw, &vdev->entry);
	if (idev->vdev == vdev)
		idev->vdev = NULL;
	mutex_unlock(&idev->lock);
	object_release(&vdev->viommu->obj);
	object_release(&idev->obj);
}

/*
 * The kernel's order: virt_id in range (EINVAL), the vIOMMU and the device
 * (ENOENT), the device behind the vIOMMU's IOMMU instance (EINVAL), a
 * device being unbound (ENOENT), one vDEVICE per device and one device
 * per virt_id (EEXIST).
 */
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	struct iommufd_vdevice *vdev;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	int rc;

	/* the kernel's virt_id indexes an xarray of unsigned long */
	if (cmd->virt_id > UINTPTR_MAX)
		return -EINVAL;
	viommu = iommufd_get_viommu(ucmd->ictx, cmd->viommu_id);
	if (!viommu)
		return -ENOENT;
	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (!idev) {
		rc = -ENOENT;
		goto out_put_viommu;
	}
	if (viommu->hw->iommu != idev->dev->iommu) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	mutex_lock(&idev->lock);
	if (idev->unbinding) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (idev->vdev) {
		rc = -EEXIST;
		goto out_unlock;
	}
	vdev = iommufd_object_alloc(ucmd->ictx, vdev, IOMMUFD_OBJ_VDEVICE,
				    &rc);
	if (!vdev)
		goto out_unlock;
	vdev->viommu = viommu;
	vdev->idev = idev;
	vdev->entry.virt_id = cmd->virt_id;
	vdev->entry.dev = idev->dev;
	rc = iommu_viommu_add_vdev(viommu->hw, &vdev->entry);
	if (rc) {
		object_abort(ucmd->ictx, &vdev->obj);
		goto out_unlock;
	}
	object_hold(&viommu->obj);
	object_hold(&idev->obj);
	idev->vdev = vdev;
	cmd->out_vdevice_id = vdev->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/* its destroy takes idev->lock */
		mutex_unlock(&idev->lock);
		object_abort_and_destroy(ucmd->ictx, &vdev->obj);
		goto out_put_idev;
	}
	object_finalize(ucmd->ictx, &vdev->obj);
out_unlock:
	mutex_unlock(&idev->lock);
out_put_idev:
	object_put(ucmd->ictx, &idev->obj);
out_put_viommu:
	object_put(ucmd->ictx, &viommu->obj);
	return rc;
}

void iommufd_vdevice_unbind(struct iommufd_device *idev)
{
	struct iommufd_vdevice *vdev;

	mutex_lock(&idev->lock);
	idev->unbinding = true;
	vdev = idev->vdev;
	/* one being destroyed already lets go of the device by itself */
	if (vdev && !object_try_hold(&vdev->obj))
		vdev = NULL;
	mutex_unlock(&idev->lock);
	if (vdev)
		object_destroy_user(idev->ictx, &vdev->obj);
}

int iommufd_device_viommu(struct iommufd_device *idev,
			  struct iommufd_viommu **viommu, uint64_t *virt_id)
{
	struct iommufd_hw_pagetable *hwpt;
	int rc = -ENOENT;

	mutex_lock(&idev->lock);
	hwpt = idev->hwpt;
	if (hwpt && !hwpt_is_paging(hwpt) && to_hwpt_nested(hwpt)->viommu) {
		*viommu = to_hwpt_nested(hwpt)->viommu;
		rc = iommu_viommu_get_vdev_id((*viommu)->hw, idev->dev,
					      virt_id);
		if (!rc && !object_tryget(&(*viommu)->obj))
			rc = -ENOENT;
	}
	mutex_unlock(&idev->lock);
	return rc;
}

/* ---- HW queue ------------------------------------------------------------ */

void iommufd_hw_queue_destroy(struct iommufd_object *obj)
{
	struct iommufd_hw_queue *hw_queue =
		container_of(obj, struct iommufd_hw_queue, obj);
	uint64_t page = cpu_page_size();
	uint64_t aligned = hw_queue->hw->base_addr & ~(page - 1);
	uint64_t offset = hw_queue->hw->base_addr - aligned;

	if (hw_queue->hw->destroy)
		hw_queue->hw->destroy(hw_queue->hw);
	if (hw_queue->depends_on)
		object_release(&hw_queue->depends_on->obj);
	if (hw_queue->access) {
		iommufd_access_unpin_pages(
			hw_queue->access, aligned,
			(offset + hw_queue->hw->length + page - 1) & ~(page - 1));
		iommufd_access_destroy_internal(hw_queue->access);
	}
	free(hw_queue->hw);
	object_release(&hw_queue->viommu->obj);
}

/*
 * Pins the queue's memory, [nesting_parent_iova, +length) rounded out to
 * CPU pages, through the parent's IOAS with an internal access, which
 * then keeps UNMAP off it: the hardware reads it by host address. The
 * pages must be contiguous (-EFAULT). The host address of the first byte
 * in *base_pa, or NULL with *err.
 */
static struct iommufd_access *
hw_queue_pin(struct iommufd_viommu *viommu, uint64_t iova, uint64_t length,
	     uint64_t *base_pa, int *err)
{
	uint64_t page = cpu_page_size();
	uint64_t aligned = iova & ~(page - 1), offset = iova - aligned;
	struct iommufd_access *access;
	uint64_t span, npages, *pages;
	int rc;

	if (__builtin_add_overflow(offset, length, &span) ||
	    __builtin_add_overflow(span, page - 1, &span)) {
		*err = -ERANGE;
		return NULL;
	}
	npages = span / page;
	span = npages * page;
	pages = lib_calloc(npages, sizeof(*pages));
	if (!pages) {
		*err = -ENOMEM;
		return NULL;
	}
	access = iommufd_access_create_internal(viommu->ictx, &rc);
	if (!access)
		goto out_free;
	rc = iommufd_access_attach_internal(access, viommu->hwpt->ioas);
	if (rc)
		goto out_destroy;
	rc = iommufd_access_pin_pages(access, aligned, span, pages, npages, 0);
	if (rc)
		goto out_destroy;
	for (uint64_t i = 1; i < npages; i++) {
		if (pages[i] != pages[i - 1] + page) {
			rc = -EFAULT;
			goto out_unpin;
		}
	}
	*base_pa = pages[0] + offset;
	free(pages);
	return access;

out_unpin:
	iommufd_access_unpin_pages(access, aligned, span);
out_destroy:
	iommufd_access_destroy_internal(access);
out_free:
	free(pages);
	*err = rc;
	return NULL;
}

/*
 * The kernel's order: flags and type (EOPNOTSUPP), length (EINVAL), the
 * range (EOVERFLOW), the vIOMMU (ENOENT), whether its driver has queues
 * of that type (EOPNOTSUPP), the pin, then the driver's setup.
 */
int iommufd_hw_queue_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_queue_alloc *cmd = ucmd->cmd;
	struct iommufd_hw_queue *hw_queue;
	struct iommufd_viommu *viommu;
	size_t hw_size = 0;
	uint64_t base_pa, last;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1,
				   &last))
		return -EOVERFLOW;
	viommu = iommufd_get_viommu(ucmd->ictx, cmd->viommu_id);
	if (!viommu)
		return -ENOENT;
	if (viommu->hw->ops->get_hw_queue_size &&
	    viommu->hw->ops->hw_queue_init_phys)
		hw_size = viommu->hw->ops->get_hw_queue_size(viommu->hw,
							     cmd->type);
	if (hw_size < sizeof(struct iommu_hw_queue)) {
		rc = -EOPNOTSUPP;
		goto out_put_viommu;
	}
	hw_queue = iommufd_object_alloc(ucmd->ictx, hw_queue,
					IOMMUFD_OBJ_HW_QUEUE, &rc);
	if (!hw_queue)
		goto out_put_viommu;
	hw_queue->hw = lib_calloc(1, hw_size);
	if (!hw_queue->hw) {
		object_abort(ucmd->ictx, &hw_queue->obj);
		rc = -ENOMEM;
		goto out_put_viommu;
	}
	hw_queue->viommu = viommu;
	object_hold(&viommu->obj);
	hw_queue->hw->viommu = viommu->hw;
	hw_queue->hw->core_data = hw_queue;
	hw_queue->hw->type = cmd->type;
	hw_queue->hw->base_addr = cmd->nesting_parent_iova;
	hw_queue->hw->length = cmd->length;
	hw_queue->access = hw_queue_pin(viommu, cmd->nesting_parent_iova,
					cmd->length, &base_pa, &rc);
	if (!hw_queue->access)
		goto out_abort;
	rc = viommu->hw->ops->hw_queue_init_phys(hw_queue->hw, cmd->index,
						 base_pa);
	if (rc)
		goto out_abort;
	if (hw_queue->hw->depends_on) {
		/* the driver's queues are all the core's: find its object */
		hw_queue->depends_on = hw_queue->hw->depends_on->core_data;
		object_hold(&hw_queue->depends_on->obj);
	}
	cmd->out_hw_queue_id = hw_queue->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	object_finalize(ucmd->ictx, &hw_queue->obj);
	goto out_put_viommu;

out_abort:
	object_abort_and_destroy(ucmd->ictx, &hw_queue->obj);
out_put_viommu:
	object_put(ucmd->ictx, &viommu->obj);
	return rc;
}
