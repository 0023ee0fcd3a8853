// SPDX-License-Identifier: MIT
/*
 * The VT-d model's units and devices, and its struct iommu_ops: what the
 * kernel's drivers/iommu/intel/iommu.c answers iommufd, in its order and
 * with its errno. Each configured device has a unit of its own, so that
 * each spec's options are that device's capabilities.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "base/alloc.h"
#include "iommu/dma.h"
#include "iommu/drivers/intel_priv.h"
#include "iommu/iotlb.h"
#include "iommu/user_data.h"

static uint32_t units_made; /* __atomic: names vtd0, vtd1, ... */

void intel_flushes_record(struct intel_flushes *f, uint64_t first,
			  uint64_t last, bool leaf)
{
	__atomic_store_n(&f->first, first, __ATOMIC_RELAXED);
	__atomic_store_n(&f->last, last, __ATOMIC_RELAXED);
	__atomic_store_n(&f->leaf, leaf, __ATOMIC_RELAXED);
	__atomic_fetch_add(&f->count, 1, __ATOMIC_RELEASE);
}

int intel_domain_flushes(struct iommu_domain *domain,
			 struct intel_flush_record *rec)
{
	struct intel_flushes *f;

	if (intel_domain_is_paging(domain))
		f = &to_intel_paging(domain)->flushes;
	else if (intel_domain_is_nested(domain))
		f = &to_intel_nested(domain)->flushes;
	else
		return -EINVAL;
	rec->count = __atomic_load_n(&f->count, __ATOMIC_ACQUIRE);
	rec->first = __atomic_load_n(&f->first, __ATOMIC_RELAXED);
	rec->last = __atomic_load_n(&f->last, __ATOMIC_RELAXED);
	rec->leaf = __atomic_load_n(&f->leaf, __ATOMIC_RELAXED);
	return 0;
}

/* ---- units and devices ---------------------------------------------------- */

static uint32_t config_max_pasids(const struct intel_iommu_config *cfg)
{
	return cfg->pasid_bits ? 1u << cfg->pasid_bits : 0;
}

struct device *intel_iommu_add_device(const struct intel_iommu_config *cfg,
				      int *err)
{
	struct intel_unit *unit = boot_calloc(1, sizeof(*unit));
	uint32_t n = __atomic_fetch_add(&units_made, 1, __ATOMIC_RELAXED);
	int rc;

	if (!unit) {
		*err = -ENOMEM;
		return NULL;
	}
	unit->iommu.cfg = *cfg;
	unit->iommu.cap = intel_iommu_cap_reg(cfg);
	unit->iommu.ecap = intel_iommu_ecap_reg(cfg);
	unit->iommu.iommu.ops = &intel_iommu_ops;
	snprintf(unit->iommu.iommu.name, sizeof(unit->iommu.iommu.name),
		 "vtd%u", n);
	unit->iommu.iommu.max_pasids = config_max_pasids(cfg);
	if (cfg->dirty)
		unit->iommu.iommu.caps |= 1ull << IOMMU_CAP_DIRTY_TRACKING;
	rc = iommu_device_register(&unit->iommu.iommu);
	if (rc)
		goto out_free;

	/*
	 * The device's PCI PASID capability, enabled as the kernel's probe
	 * enables it (every mode the device has): privileged requests where
	 * the unit takes them (SRS), never execute requests (no ERS).
	 */
	unit->dev.iotlb = iotlb_create(unit->dev.name, cfg->iotlb_entries);
	if (!unit->dev.iotlb) {
		rc = -ENOMEM;
		goto out_unregister;
	}
	if (cfg->pasid_bits)
		unit->dev.pci_pasid_ctrl =
			PCI_PASID_CTRL_ENABLE |
			(cfg->sre ? PCI_PASID_CTRL_PRIV : 0);
	rc = platform_add_device(&unit->iommu.iommu, &unit->dev, NULL);
	if (rc)
		goto out_unregister;
	return &unit->dev;

out_unregister:
	iommu_device_unregister(&unit->iommu.iommu);
out_free:
	free(unit);
	*err = rc;
	return NULL;
}

bool intel_device_is_vtd(const struct device *dev)
{
	return dev->iommu->ops == &intel_iommu_ops;
}

/* ---- the ops ---------------------------------------------------------------- */

static int intel_hw_info(struct device *dev, uint32_t *type, void *data,
			 uint32_t *len)
{
	struct intel_iommu *iommu = dev_to_intel(dev);
	struct iommu_hw_info_vtd info = {
		/* the kernel reports the erratum on every unit */
		.flags = IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
		.cap_reg = iommu->cap,
		.ecap_reg = iommu->ecap,
	};

	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    *type != IOMMU_HW_INFO_TYPE_INTEL_VTD)
		return -EOPNOTSUPP;
	memcpy(data, &info, *len < sizeof(info) ? *len : sizeof(info));
	*len = sizeof(info);
	*type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	return 0;
}

/* The kernel's intel_iommu_capable(): no PCI ATS answer, so iommufd says
 * ATS is not supported; dirty tracking where second-stage A/D is. */
static bool intel_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_DIRTY_TRACKING:
		return dev_to_intel(dev)->cfg.dirty;
	default:
		return false;
	}
}

static uint32_t intel_max_pasids(struct device *dev)
{
	return config_max_pasids(&dev_to_intel(dev)->cfg);
}

static struct iommu_domain *
intel_domain_alloc_paging_flags(struct device *dev, uint32_t flags,
				const struct iommu_user_data *user_data,
				int *err)
{
	/* a paging domain takes no driver data (EOPNOTSUPP, as a flag the
	 * unit lacks: the kernel checks them together) */
	if (user_data) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	return intel_paging_alloc(dev_to_intel(dev), flags, err);
}

static struct iommu_domain *
intel_domain_alloc_nested(struct device *dev, struct iommu_domain *parent,
			  uint32_t flags,
			  const struct iommu_user_data *user_data, int *err)
{
	(void)dev; /* every unit nests (ECAP.NEST) */
	return intel_nested_alloc(parent, flags, user_data, err);
}

/* Whether domain suits dev: the kernel's checks when it programs the
 * device's context or PASID entry. */
static int intel_domain_compatible(struct iommu_domain *domain,
				   struct device *dev)
{
	struct intel_iommu *iommu = dev_to_intel(dev);

	if (intel_domain_is_paging(domain))
		return intel_paging_compatible(to_intel_paging(domain), iommu);
	if (intel_domain_is_nested(domain))
		return intel_nested_compatible(to_intel_nested(domain), iommu);
	return -EINVAL;
}

static int intel_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	return intel_domain_compatible(domain, dev);
}

/* A PASID entry: a paging domain without dirty tracking (the kernel has
 * none on PASIDs), or a nested one. Blocking cannot fail. */
static int intel_set_dev_pasid(struct iommu_domain *domain,
			       struct device *dev, uint32_t pasid,
			       struct iommu_domain *old)
{
	(void)pasid;
	(void)old;
	if (!domain)
		return 0;
	if (!dev_to_intel(dev)->cfg.pasid_bits)
		return -EOPNOTSUPP;
	if (intel_domain_is_paging(domain) && domain->ops->set_dirty_tracking)
		return -EINVAL;
	return intel_domain_compatible(domain, dev);
}

/* The interrupt window: DMA there is an MSI write, never memory. */
static const struct iommu_resv_region intel_resv_regions[] = {
	{ .start = 0xfee00000, .length = 0x100000, .type = IOMMU_RESV_MSI },
};

static unsigned int
intel_get_resv_regions(struct device *dev,
		       const struct iommu_resv_region **regions)
{
	(void)dev;
	*regions = intel_resv_regions;
	return sizeof(intel_resv_regions) / sizeof(intel_resv_regions[0]);
}

/* ---- page requests ------------------------------------------------------------ */

/* The kernel's intel_iommu_enable_iopf(): only a unit with PRS. */
static int intel_dev_enable_iopf(struct device *dev)
{
	if (!dev_to_intel(dev)->cfg.prs)
		return -ENODEV;
	return iopf_add_device(dev);
}

static void intel_dev_disable_iopf(struct device *dev)
{
	iopf_remove_device(dev);
}

/* The page group response descriptor, to the device: a transfer that
 * waits for it retries or gives up. */
static void intel_page_response(struct device *dev,
				const struct iommu_fault_page_request *last,
				enum iommu_page_response_code code)
{
	iommu_dma_page_response(dev, last, code);
}

const struct iommu_ops intel_iommu_ops = {
	.hw_info = intel_hw_info,
	.capable = intel_capable,
	.max_pasids = intel_max_pasids,
	.domain_alloc_paging_flags = intel_domain_alloc_paging_flags,
	.domain_alloc_nested = intel_domain_alloc_nested,
	.attach_dev = intel_attach_dev,
	.set_dev_pasid = intel_set_dev_pasid,
	.get_resv_regions = intel_get_resv_regions,
	.dev_enable_iopf = intel_dev_enable_iopf,
	.dev_disable_iopf = intel_dev_disable_iopf,
	.page_response = intel_page_response,
};
