/* SPDX-License-Identifier: MIT */
/*
 * I/O page faults: a device's page requests (PCIe PRI), from the IOMMU
 * that took them to the domain that handles them, and the answer back to
 * the device, as the kernel's io-pgfault.c and its attach handles do it.
 *
 * Attach handles. Whoever attaches a device's PASID (IOMMU_NO_PASID: its
 * RID) to a domain records that here with a handle it owns, usually
 * embedded in a struct of its own; a request is routed by them. The
 * handle lives until it is removed or replaced, and a request in flight
 * holds dev->iopf_lock from its lookup to its delivery, so once
 * iommu_attach_handle_remove() returns no request can still reach the
 * handle (the selftest's iopf_rwsem, for every device).
 *
 * Fault parameter. While the device's driver takes page requests
 * (dev_enable_iopf, which calls iopf_add_device()), the device has a
 * fault parameter: requests that are not the last of their group wait
 * there for the last one, and every group reported stays on its pending
 * list until it is answered, once. iopf_remove_device() answers what is
 * still pending with IOMMU_PAGE_RESP_INVALID and drops the partial ones;
 * a group outlives it (each holds a reference on the parameter) until its
 * handler frees it.
 *
 * A request goes, as on the kernel: with a PASID, to the handle of that
 * PASID, or, when there is none and the driver keeps the PASID table in
 * the user's stage 1 (user_pasid_table), to the RID's handle if that is a
 * nested domain; without, to the RID's. The domain must have an
 * iopf_handler. No handle, no handler or no fault parameter: the device is
 * answered IOMMU_PAGE_RESP_INVALID at once. A request that is not the last
 * waits; the last gathers the waiting ones of its group (same grpid, in
 * the order they came, the last one last) into a struct iopf_group, which
 * goes to the domain's iopf_handler. A group that cannot be made or
 * delivered is answered IOMMU_PAGE_RESP_FAILURE.
 *
 * Locks: dev->iopf_lock (the handles, dev->fault_param, and every report)
 * comes before a fault parameter's lock (its two lists); the response path
 * takes the latter alone. Both are leaves of the IOMMU layer; the handler
 * runs under dev->iopf_lock and must not attach, detach or report.
 */
#ifndef IOMMUSIM_IOMMU_IOPF_H
#define IOMMUSIM_IOMMU_IOPF_H

#include <pthread.h>
#include <stdint.h>

#include "base/list.h"

struct device;
struct iommu_domain;
struct iommu_fault_param;

/* What a PASID of a device is attached to; owned by the attacher. */
struct iommu_attach_handle {
	struct iommu_domain *domain;
	uint32_t pasid;
	struct iommu_attach_handle *next; /* the device's, under iopf_lock */
};

/* One page request, as the device sent it (the kernel's
 * iommu_fault_page_request). flags and perm have the uAPI's values
 * (IOMMU_PGFAULT_FLAGS_*, IOMMU_PGFAULT_PERM_*). */
struct iommu_fault_page_request {
	uint32_t flags;
	uint32_t pasid; /* meaningful with PASID_VALID */
	uint32_t grpid; /* the page request group index */
	uint32_t perm;
	uint64_t addr;
};

#define IOMMU_FAULT_PAGE_REQUEST_PASID_VALID (1u << 0)
#define IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE (1u << 1)

/* What the device is told of a group. */
enum iommu_page_response_code {
	IOMMU_PAGE_RESP_SUCCESS = 0, /* handled: retry the access */
	IOMMU_PAGE_RESP_INVALID,     /* not handled: do not retry */
	IOMMU_PAGE_RESP_FAILURE,     /* the handling broke: stop requesting */
};

struct iopf_fault {
	struct iommu_fault_page_request prm;
	struct list_head list; /* in its group's faults, or waiting */
};

/* A group of page requests, delivered whole. */
struct iopf_group {
	struct iopf_fault last_fault;
	struct list_head faults; /* every request, in order; last_fault last */
	unsigned int fault_count;
	struct iommu_attach_handle *attach_handle; /* where it was routed */
	struct iommu_fault_param *fault_param;	   /* a reference */
	/* on the fault parameter's pending list until answered, under its
	 * lock; empty once answered */
	struct list_head pending_node;
	/* the handler's own, from its call until it frees the group */
	struct list_head node;
	uint32_t cookie;
};

/*
 * Records handle as pasid's attachment to domain, in place of the one
 * there, which it returns (NULL when the pasid had none). Cannot fail.
 */
struct iommu_attach_handle *iommu_attach_handle_set(struct device *dev,
						    uint32_t pasid,
						    struct iommu_domain *domain,
						    struct iommu_attach_handle *handle);
/* Takes pasid's handle away and returns it (NULL when there was none). */
struct iommu_attach_handle *iommu_attach_handle_remove(struct device *dev,
						       uint32_t pasid);

/* The driver's dev_enable_iopf / dev_disable_iopf: -ENODEV for a driver
 * with neither, as the kernel's iommu_dev_enable_feature(). */
int iommu_dev_enable_iopf(struct device *dev);
void iommu_dev_disable_iopf(struct device *dev);

/* For drivers: the device's fault parameter comes and goes. add: -ENODEV
 * when the driver cannot answer requests, -EBUSY when there is one,
 * -ENOMEM. remove: nothing when there is none. */
int iopf_add_device(struct device *dev);
void iopf_remove_device(struct device *dev);

/* The hardware's report of one page request (see above). */
void iommu_report_device_fault(struct device *dev,
			       const struct iommu_fault_page_request *prm);

/* Answers the group, unless it was answered already. */
void iopf_group_response(struct iopf_group *group,
			 enum iommu_page_response_code code);
/* Frees a group its handler is done with (a group never answered is
 * taken off the pending list without an answer). */
void iopf_free_group(struct iopf_group *group);

#endif /* IOMMUSIM_IOMMU_IOPF_H */
