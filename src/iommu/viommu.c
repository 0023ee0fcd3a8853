// SPDX-License-Identifier: MIT
/*
 * The vIOMMU's virtual device table (the kernel's viommu->vdevs xarray and
 * iommufd_viommu_find_dev()/_get_vdev_id()). A guest has few devices per
 * vIOMMU, so a list under a spinlock does.
 */
#include "iommu/viommu.h"

void iommu_viommu_init_vdevs(struct iommu_viommu *viommu)
{
	/* a leaf lock: nothing is taken under it */
	spin_lock_init(&viommu->vdevs_lock, LOCK_RANK_NONE);
	viommu->vdevs = NULL;
}

int iommu_viommu_add_vdev(struct iommu_viommu *viommu,
			  struct iommu_vdev_entry *entry)
{
	int rc = 0;

	spin_lock(&viommu->vdevs_lock);
	for (struct iommu_vdev_entry *cur = viommu->vdevs; cur;
	     cur = cur->next) {
		if (cur->virt_id == entry->virt_id) {
			rc = -EEXIST;
			goto out_unlock;
		}
	}
	entry->next = viommu->vdevs;
	viommu->vdevs = entry;
out_unlock:
	spin_unlock(&viommu->vdevs_lock);
	return rc;
}

void iommu_viommu_remove_vdev(struct iommu_viommu *viommu,
			      struct iommu_vdev_entry *entry)
{
	spin_lock(&viommu->vdevs_lock);
	for (struct iommu_vdev_entry **link = &viommu->vdevs; *link;
	     link = &(*link)->next) {
		if (*link == entry) {
			*link = entry->next;
			break;
		}
	}
	spin_unlock(&viommu->vdevs_lock);
}

struct device *iommu_viommu_find_dev(struct iommu_viommu *viommu,
				     uint64_t virt_id)
{
	struct device *dev = NULL;

	spin_lock(&viommu->vdevs_lock);
	for (struct iommu_vdev_entry *cur = viommu->vdevs; cur;
	     cur = cur->next) {
		if (cur->virt_id == virt_id) {
			dev = cur->dev;
			get_device(dev);
			break;
		}
	}
	spin_unlock(&viommu->vdevs_lock);
	return dev;
}

int iommu_viommu_get_vdev_id(struct iommu_viommu *viommu, struct device *dev,
			     uint64_t *virt_id)
{
	int rc = -ENOENT;

	spin_lock(&viommu->vdevs_lock);
	for (struct iommu_vdev_entry *cur = viommu->vdevs; cur;
	     cur = cur->next) {
		if (cur->dev == dev) {
			*virt_id = cur->virt_id;
			rc = 0;
			break;
		}
	}
	spin_unlock(&viommu->vdevs_lock);
	return rc;
}
