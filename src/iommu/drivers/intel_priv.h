/* SPDX-License-Identifier: MIT */
/*
 * What the VT-d model's files share: the instance, the device, the two
 * kinds of domain. intel.h is the interface to everything else.
 */
#ifndef IOMMUSIM_DRIVERS_INTEL_PRIV_H
#define IOMMUSIM_DRIVERS_INTEL_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <iommusim/uapi/iommufd.h>

#include "iommu/drivers/intel.h"
#include "iommu/pgtable/pgtable.h"

/* One VT-d unit (the kernel's struct intel_iommu). */
struct intel_iommu {
	struct iommu_device iommu; /* the platform's handle */
	struct intel_iommu_config cfg;
	uint64_t cap, ecap; /* what hw_info reports, from cfg */
};

/* A unit and the one device behind it, made together, never freed: the
 * platform's configuration lives as long as the process. */
struct intel_unit {
	struct intel_iommu iommu;
	struct device dev;
};

/* The unit of a device, known before the platform sets dev->iommu (it
 * asks max_pasids() first). */
static inline struct intel_iommu *dev_to_intel(struct device *dev)
{
	return &container_of(dev, struct intel_unit, dev)->iommu;
}

extern const struct iommu_ops intel_iommu_ops;

/* The record behind intel_domain_flushes(); every field __atomic. */
struct intel_flushes {
	uint64_t count;
	uint64_t first, last;
	bool leaf;
};

void intel_flushes_record(struct intel_flushes *f, uint64_t first,
			  uint64_t last, bool leaf);

struct intel_nested;

/* A second-stage paging domain (the kernel's dmar_domain, second stage). */
struct intel_paging {
	struct iommu_domain domain; /* first: the core's handle */
	struct pgtable pt;
	unsigned int levels;
	bool nest_parent;
	bool dirty_tracking; /* SSADE; __atomic */
	struct intel_flushes flushes;
	/* The nested domains over this one (the kernel's s1_domains): a
	 * stage-2 change concerns their cached translations too. */
	pthread_mutex_t children_lock;
	struct intel_nested *children;
};

/* A nested domain: the guest's stage 1 over a paging parent. */
struct intel_nested {
	struct iommu_domain domain; /* first: the core's handle */
	struct iommu_hwpt_vtd_s1 s1;
	struct intel_paging *parent;
	struct intel_flushes flushes;
	struct intel_nested *next_child; /* under parent->children_lock */
};

bool intel_domain_is_paging(const struct iommu_domain *domain);
bool intel_domain_is_nested(const struct iommu_domain *domain);

static inline struct intel_paging *to_intel_paging(struct iommu_domain *d)
{
	return container_of(d, struct intel_paging, domain);
}

static inline struct intel_nested *to_intel_nested(struct iommu_domain *d)
{
	return container_of(d, struct intel_nested, domain);
}

/* The driver's domain_alloc_paging_flags for iommu, flags checked. */
struct iommu_domain *intel_paging_alloc(struct intel_iommu *iommu,
					uint32_t flags, int *err);
/* The driver's domain_alloc_nested, the parent checked. */
struct iommu_domain *
intel_nested_alloc(struct iommu_domain *parent, uint32_t flags,
		   const struct iommu_user_data *user_data, int *err);

/* Whether a paging domain can serve a device of iommu: -EINVAL when not. */
int intel_paging_compatible(struct intel_paging *paging,
			    struct intel_iommu *iommu);
/* Whether a nested domain's stage 1 and its parent suit iommu: the
 * kernel's checks at attach, in its order and with its errno. */
int intel_nested_compatible(struct intel_nested *nested,
			    struct intel_iommu *iommu);

#endif /* IOMMUSIM_DRIVERS_INTEL_PRIV_H */
