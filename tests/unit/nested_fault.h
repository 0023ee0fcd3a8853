/* SPDX-License-Identifier: MIT */
/*
 * What the trace, graph and iopf tests build through iommusim_ioctl(): in
 * a fresh context, a mock device (with dev_flags, if any) over IOAS 1, a
 * NEST_PARENT HWPT, a fault
 * queue and a nested HWPT that reports to it (with move, the device moved
 * onto the nested HWPT, its automatic one gone). Being the first objects,
 * their IDs are known: IOAS 1, selftest 2, device 3, automatic HWPT 4,
 * parent 5, fault queue 6, nested 7.
 */
#ifndef IOMMUSIM_TESTS_UNIT_NESTED_FAULT_H
#define IOMMUSIM_TESTS_UNIT_NESTED_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

struct nested_fault {
	uint32_t ioas, stdev, idev, parent, fault, nested;
	int fault_fd;
};

/* 0, or the first failing call's -errno. */
static inline int nested_fault_build(struct iommusim_ctx *ctx,
				     uint32_t dev_flags, bool move,
				     struct nested_fault *t)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
				  IOMMU_TEST_OP_MOCK_DOMAIN,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	struct iommu_hwpt_alloc parent = {
		.size = sizeof(parent),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
	};
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc nested = {
		.size = sizeof(nested),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	struct iommu_test_cmd replace = {
		.size = sizeof(replace),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};
	int rc;

	rc = iommusim_ioctl(ctx, IOMMU_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	mock.id = t->ioas = ioas.out_ioas_id;
	rc = iommusim_ioctl(ctx, IOMMU_TEST_CMD, &mock);
	if (rc)
		return rc;
	t->stdev = mock.mock_domain.out_stdev_id;
	parent.dev_id = nested.dev_id = t->idev = mock.mock_domain.out_idev_id;
	parent.pt_id = t->ioas;
	rc = iommusim_ioctl(ctx, IOMMU_HWPT_ALLOC, &parent);
	if (rc)
		return rc;
	rc = iommusim_ioctl(ctx, IOMMU_FAULT_QUEUE_ALLOC, &fault);
	if (rc)
		return rc;
	t->fault = fault.out_fault_id;
	t->fault_fd = (int)fault.out_fault_fd;
	nested.pt_id = t->parent = parent.out_hwpt_id;
	nested.fault_id = t->fault;
	rc = iommusim_ioctl(ctx, IOMMU_HWPT_ALLOC, &nested);
	if (rc)
		return rc;
	t->nested = nested.out_hwpt_id;
	if (!move)
		return 0;
	replace.id = t->stdev;
	replace.mock_domain_replace.pt_id = t->nested;
	return iommusim_ioctl(ctx, IOMMU_TEST_CMD, &replace);
}

#endif /* IOMMUSIM_TESTS_UNIT_NESTED_FAULT_H */
