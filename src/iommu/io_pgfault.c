// SPDX-License-Identifier: MIT
/*
 * I/O page faults in the IOMMU layer: attach handles, a device's fault
 * parameter, and the way of a page request from report to answer. See
 * iommu/iopf.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "iommu/iommu.h"

/* A device's page requests while its driver takes them. */
struct iommu_fault_param {
	struct device *dev;
	unsigned int users; /* __atomic: the device's, and one per group */
	/* Guards what follows; comes after dev->iopf_lock. */
	pthread_mutex_t lock;
	struct list_head partial; /* struct iopf_fault waiting, in order */
	struct list_head pending; /* groups not yet answered */
};

/* ---- attach handles -------------------------------------------------- */

static struct iommu_attach_handle **handle_slot(struct device *dev,
						uint32_t pasid)
{
	struct iommu_attach_handle **link;

	for (link = &dev->attach_handles; *link; link = &(*link)->next)
		if ((*link)->pasid == pasid)
			break;
	return link;
}

struct iommu_attach_handle *iommu_attach_handle_set(struct device *dev,
						    uint32_t pasid,
						    struct iommu_domain *domain,
						    struct iommu_attach_handle *handle)
{
	struct iommu_attach_handle **slot, *old;

	handle->domain = domain;
	handle->pasid = pasid;
	pthread_mutex_lock(&dev->iopf_lock);
	slot = handle_slot(dev, pasid);
	old = *slot;
	handle->next = old ? old->next : NULL;
	*slot = handle;
	pthread_mutex_unlock(&dev->iopf_lock);
	return old;
}

struct iommu_attach_handle *iommu_attach_handle_remove(struct device *dev,
						       uint32_t pasid)
{
	struct iommu_attach_handle **slot, *old;

	pthread_mutex_lock(&dev->iopf_lock);
	slot = handle_slot(dev, pasid);
	old = *slot;
	if (old)
		*slot = old->next;
	pthread_mutex_unlock(&dev->iopf_lock);
	return old;
}

/* The handle a request goes to, or NULL (see iopf.h); iopf_lock held. */
static struct iommu_attach_handle *
find_fault_handler(struct device *dev,
		   const struct iommu_fault_page_request *prm)
{
	struct iommu_attach_handle *handle;

	if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID) {
		handle = *handle_slot(dev, prm->pasid);
		if (!handle) {
			if (!dev_iommu_ops(dev)->user_pasid_table)
				return NULL;
			handle = *handle_slot(dev, IOMMU_NO_PASID);
			if (handle &&
			    handle->domain->kind != IOMMU_DOMAIN_NESTED)
				handle = NULL;
		}
	} else {
		handle = *handle_slot(dev, IOMMU_NO_PASID);
	}
	if (!handle || !handle->domain->iopf_handler)
		return NULL;
	return handle;
}

/* ---- the fault parameter --------------------------------------------- */

int iommu_dev_enable_iopf(struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	return ops->dev_enable_iopf ? ops->dev_enable_iopf(dev) : -ENODEV;
}

void iommu_dev_disable_iopf(struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	if (ops->dev_disable_iopf)
		ops->dev_disable_iopf(dev);
}

static void fault_param_put(struct iommu_fault_param *param)
{
	if (__atomic_sub_fetch(&param->users, 1, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_destroy(&param->lock);
	free(param);
}

int iopf_add_device(struct device *dev)
{
	struct iommu_fault_param *param;
	int rc = 0;

	if (!dev_iommu_ops(dev)->page_response)
		return -ENODEV;
	param = lib_calloc(1, sizeof(*param));
	if (!param)
		return -ENOMEM;
	param->dev = dev;
	param->users = 1;
	pthread_mutex_init(&param->lock, NULL);
	INIT_LIST_HEAD(&param->partial);
	INIT_LIST_HEAD(&param->pending);

	pthread_mutex_lock(&dev->iopf_lock);
	if (dev->fault_param)
		rc = -EBUSY;
	else
		dev->fault_param = param;
	pthread_mutex_unlock(&dev->iopf_lock);
	if (rc)
		fault_param_put(param);
	return rc;
}

static void send_response(struct device *dev,
			  const struct iommu_fault_page_request *last,
			  enum iommu_page_response_code code)
{
	dev_iommu_ops(dev)->page_response(dev, last, code);
}

void iopf_remove_device(struct device *dev)
{
	struct iommu_fault_param *param;
	struct iopf_fault *iopf, *next_iopf;
	struct iopf_group *group, *next;

	pthread_mutex_lock(&dev->iopf_lock);
	param = dev->fault_param;
	dev->fault_param = NULL;
	pthread_mutex_unlock(&dev->iopf_lock);
	if (!param)
		return;

	pthread_mutex_lock(&param->lock);
	list_for_each_entry_safe(iopf, next_iopf, &param->partial, list) {
		list_del_init(&iopf->list);
		free(iopf);
	}
	/* the device must not wait for answers nobody will send */
	list_for_each_entry_safe(group, next, &param->pending, pending_node) {
		send_response(dev, &group->last_fault.prm,
			      IOMMU_PAGE_RESP_INVALID);
		list_del_init(&group->pending_node);
	}
	pthread_mutex_unlock(&param->lock);
	fault_param_put(param);
}

/* ---- groups ---------------------------------------------------------- */

void iopf_group_response(struct iopf_group *group,
			 enum iommu_page_response_code code)
{
	struct iommu_fault_param *param = group->fault_param;

	pthread_mutex_lock(&param->lock);
	if (!list_empty(&group->pending_node)) {
		send_response(param->dev, &group->last_fault.prm, code);
		list_del_init(&group->pending_node);
	}
	pthread_mutex_unlock(&param->lock);
}

/* The partial requests a group took over, and its place on the pending
 * list; what both iopf_free_group() and a failed delivery undo. */
static void group_release(struct iopf_group *group)
{
	struct iommu_fault_param *param = group->fault_param;
	struct iopf_fault *iopf, *next;

	list_for_each_entry_safe(iopf, next, &group->faults, list) {
		list_del_init(&iopf->list);
		if (iopf != &group->last_fault)
			free(iopf);
	}
	pthread_mutex_lock(&param->lock);
	if (!list_empty(&group->pending_node))
		list_del_init(&group->pending_node);
	pthread_mutex_unlock(&param->lock);
	fault_param_put(param);
}

void iopf_free_group(struct iopf_group *group)
{
	group_release(group);
	free(group);
}

/*
 * Fills group for the last request prm: the waiting requests of its
 * group, in order, then prm; on the pending list. Takes a reference on
 * param for the group.
 */
static void group_gather(struct iopf_group *group,
			 struct iommu_fault_param *param,
			 struct iommu_attach_handle *handle,
			 const struct iommu_fault_page_request *prm)
{
	struct iopf_fault *iopf, *next;

	INIT_LIST_HEAD(&group->faults);
	INIT_LIST_HEAD(&group->node);
	group->last_fault.prm = *prm;
	group->attach_handle = handle;
	group->fault_param = param;
	__atomic_add_fetch(&param->users, 1, __ATOMIC_RELAXED);

	pthread_mutex_lock(&param->lock);
	list_for_each_entry_safe(iopf, next, &param->partial, list) {
		if (iopf->prm.grpid != prm->grpid)
			continue;
		list_move_tail(&iopf->list, &group->faults);
		group->fault_count++;
	}
	list_add_tail(&group->last_fault.list, &group->faults);
	group->fault_count++;
	list_add_tail(&group->pending_node, &param->pending);
	pthread_mutex_unlock(&param->lock);
}

/* The last request of a group, iopf_lock held: a group to the handler. */
static void deliver_group(struct iommu_fault_param *param,
			  struct iommu_attach_handle *handle,
			  const struct iommu_fault_page_request *prm)
{
	struct iopf_group *group = lib_calloc(1, sizeof(*group));
	struct iopf_group abort_group;

	/* Without memory the group is still made, on the stack, to give
	 * the device its answer and drop the waiting requests. */
	if (!group) {
		memset(&abort_group, 0, sizeof(abort_group));
		group_gather(&abort_group, param, handle, prm);
		iopf_group_response(&abort_group, IOMMU_PAGE_RESP_FAILURE);
		group_release(&abort_group);
		return;
	}
	group_gather(group, param, handle, prm);
	if (handle->domain->iopf_handler(group)) {
		iopf_group_response(group, IOMMU_PAGE_RESP_FAILURE);
		iopf_free_group(group);
	}
}

static int add_partial(struct iommu_fault_param *param,
		       const struct iommu_fault_page_request *prm)
{
	struct iopf_fault *iopf = lib_calloc(1, sizeof(*iopf));

	if (!iopf)
		return -ENOMEM;
	iopf->prm = *prm;
	pthread_mutex_lock(&param->lock);
	list_add_tail(&iopf->list, &param->partial);
	pthread_mutex_unlock(&param->lock);
	return 0;
}

void iommu_report_device_fault(struct device *dev,
			       const struct iommu_fault_page_request *prm)
{
	struct iommu_attach_handle *handle;
	struct iommu_fault_param *param;

	pthread_mutex_lock(&dev->iopf_lock);
	handle = find_fault_handler(dev, prm);
	param = dev->fault_param;
	if (!handle || !param)
		goto out_refuse;
	if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE)
		deliver_group(param, handle, prm);
	else if (add_partial(param, prm))
		goto out_refuse;
	pthread_mutex_unlock(&dev->iopf_lock);
	return;

out_refuse:
	/* a driver without page_response never gets a fault parameter,
	 * so it cannot be told either */
	if (dev_iommu_ops(dev)->page_response)
		send_response(dev, prm, IOMMU_PAGE_RESP_INVALID);
	pthread_mutex_unlock(&dev->iopf_lock);
}
