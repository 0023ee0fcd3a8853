// SPDX-License-Identifier: MIT
/*
 * The IOMMU layer's part of PASID attach: the checks the kernel's iommu.c
 * makes before it programs a driver, and the driver calls themselves. What
 * is attached where is iommufd's to remember (device.c); this file keeps no
 * state.
 */
#include <errno.h>

#include "iommu/iommu.h"

/* Whether the driver is asked at all: a device that cannot tag requests
 * with a PASID has nothing to program (the kernel skips it since 6.15). */
static bool device_takes_pasids(struct device *dev)
{
	return dev_iommu_max_pasids(dev) > 0;
}

static int check_domain_and_pasid(struct iommu_domain *domain,
				  struct device *dev, uint32_t pasid)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	if (!ops->set_dev_pasid)
		return -EOPNOTSUPP;
	if (domain->owner != ops || pasid == IOMMU_NO_PASID)
		return -EINVAL;
	return 0;
}

int iommu_attach_device_pasid(struct iommu_domain *domain,
			      struct device *dev, uint32_t pasid)
{
	int rc = check_domain_and_pasid(domain, dev, pasid);

	if (rc)
		return rc;
	if (!device_takes_pasids(dev))
		return 0;
	if (pasid >= dev_iommu_max_pasids(dev))
		return -EINVAL;
	return dev_iommu_ops(dev)->set_dev_pasid(domain, dev, pasid, NULL);
}

int iommu_replace_device_pasid(struct iommu_domain *domain,
			       struct device *dev, uint32_t pasid,
			       struct iommu_domain *old)
{
	int rc = check_domain_and_pasid(domain, dev, pasid);

	if (rc)
		return rc;
	/* the same domain again only swaps the kernel's handle: no call */
	if (domain == old || !device_takes_pasids(dev))
		return 0;
	return dev_iommu_ops(dev)->set_dev_pasid(domain, dev, pasid, old);
}

void iommu_detach_device_pasid(struct iommu_domain *domain,
			       struct device *dev, uint32_t pasid)
{
	if (!device_takes_pasids(dev) || !dev_iommu_ops(dev)->set_dev_pasid)
		return;
	/* blocking cannot fail on a driver that passed attach */
	(void)dev_iommu_ops(dev)->set_dev_pasid(NULL, dev, pasid, domain);
}
