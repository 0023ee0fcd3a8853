// SPDX-License-Identifier: MIT
/*
 * Mock nested domains (the kernel selftest's mock_domain_alloc_nested and
 * mock_domain_cache_invalidate_user).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "base/alloc.h"
#include "iommu/drivers/mock.h"
#include "iommu/drivers/mock_nested.h"
#include "iommu/viommu.h"
#include "iommu/user_data.h"

struct mock_nested {
	struct iommu_domain domain; /* first: the core's handle */
	/* the vIOMMU it was made on, or NULL; constant */
	struct iommu_viommu *viommu;
	_Atomic uint32_t iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

static const struct iommu_domain_ops mock_nested_ops;

static struct mock_nested *to_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested, domain);
}

bool mock_domain_is_nested(const struct iommu_domain *domain)
{
	return domain->ops == &mock_nested_ops;
}

static void mock_nested_free(struct iommu_domain *domain)
{
	free(to_nested(domain));
}

/* Entries are handled one by one; the first bad one stops the walk and
 * the count says how far it got. A bad data type handles none. */
static int mock_nested_invalidate(struct iommu_domain *domain,
				  struct iommu_user_data_array *array)
{
	struct mock_nested *nested = to_nested(domain);
	uint32_t done = 0;
	int rc = 0;

	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		rc = -EINVAL;
		goto out;
	}
	for (uint32_t i = 0; i < array->entry_num; i++) {
		struct iommu_hwpt_invalidate_selftest inv;

		rc = iommu_copy_struct_from_user_array(
			&inv, array, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, i,
			sizeof(inv), sizeof(inv));
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		/* checked even when "all" would not use it, as the kernel */
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			for (unsigned int j = 0; j < MOCK_NESTED_DOMAIN_IOTLB_NUM;
			     j++)
				atomic_store(&nested->iotlb[j], 0);
		} else {
			atomic_store(&nested->iotlb[inv.iotlb_id], 0);
		}
		done++;
	}
out:
	array->entry_num = done;
	return rc;
}

static const struct iommu_domain_ops mock_nested_ops = {
	.free = mock_nested_free,
	.cache_invalidate_user = mock_nested_invalidate,
};

/* What both ways of making one share: the data (its type first), then
 * the domain, every fake IOTLB entry holding the data's value. */
static struct mock_nested *
mock_nested_alloc(struct iommu_domain *parent,
		  const struct iommu_user_data *user_data, int *err)
{
	struct iommu_hwpt_selftest cfg;
	struct mock_nested *nested;
	int rc;

	if (user_data->type != IOMMU_HWPT_DATA_SELFTEST) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	rc = iommu_copy_struct_from_user(
		&cfg, user_data, IOMMU_HWPT_DATA_SELFTEST, sizeof(cfg),
		offsetof(struct iommu_hwpt_selftest, iotlb) + sizeof(cfg.iotlb));
	if (rc) {
		*err = rc;
		return NULL;
	}
	nested = lib_calloc(1, sizeof(*nested));
	if (!nested) {
		*err = -ENOMEM;
		return NULL;
	}
	nested->domain.kind = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &mock_nested_ops;
	nested->domain.parent = parent;
	/* any value is taken: it is what MD_CHECK_IOTLB will find */
	for (unsigned int i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		atomic_init(&nested->iotlb[i], cfg.iotlb);
	return nested;
}

struct iommu_domain *
mock_domain_alloc_nested(struct iommu_domain *parent, uint32_t flags,
			 const struct iommu_user_data *user_data, int *err)
{
	struct mock_nested *nested;

	if (flags & ~IOMMU_HWPT_ALLOC_PASID) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (!parent || !mock_domain_is_paging(parent)) {
		*err = -EINVAL;
		return NULL;
	}
	nested = mock_nested_alloc(parent, user_data, err);
	return nested ? &nested->domain : NULL;
}

struct iommu_domain *
mock_domain_alloc_nested_viommu(struct iommu_viommu *viommu, uint32_t flags,
				const struct iommu_user_data *user_data,
				int *err)
{
	struct mock_nested *nested;

	if (flags & ~IOMMU_HWPT_ALLOC_PASID) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	nested = mock_nested_alloc(viommu->parent, user_data, err);
	if (!nested)
		return NULL;
	nested->viommu = viommu;
	return &nested->domain;
}

struct iommu_viommu *mock_nested_viommu(const struct iommu_domain *domain)
{
	if (!mock_domain_is_nested(domain))
		return NULL;
	return container_of(domain, struct mock_nested, domain)->viommu;
}

int mock_nested_check_iotlb(struct iommu_domain *domain, uint32_t id,
			    uint32_t value)
{
	if (id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX ||
	    atomic_load(&to_nested(domain)->iotlb[id]) != value)
		return -EINVAL;
	return 0;
}
