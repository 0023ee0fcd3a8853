// SPDX-License-Identifier: MIT
/*
 * Event queues and their first user, the fault queue: IOMMU_FAULT_QUEUE_ALLOC
 * and its file, the delivery of page-request groups from the IOMMU layer,
 * and their answers, as the kernel's eventq.c. See eventq.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/fork_gate.h"
#include "base/trace.h"
#include "base/usermem.h"
#include "iommufd/device.h"
#include "iommufd/eventq.h"
#include "iommufd/trace_decode.h"

/* ---- the common part -------------------------------------------------- */

int iommufd_eventq_init(struct iommufd_eventq *eventq,
			struct iommufd_ctx *ictx,
			const struct file_operations *fops, uint32_t depth)
{
	struct file *file;
	int fd;

	eventq->ictx = ictx;
	eventq->depth = depth;
	mutex_init(&eventq->file_lock, LOCK_RANK_EVENTQ_FILE);
	spin_lock_init(&eventq->lock, LOCK_RANK_EVENTQ);
	INIT_LIST_HEAD(&eventq->deliver);

	/* the file's references, before a close of its descriptor could
	 * drop them */
	object_hold(&eventq->obj);
	iommufd_ctx_get(ictx);
	fd = file_install_new_get(fops, eventq, O_RDWR | O_CLOEXEC,
				  FILE_PLACEHOLDER_EVENT, &file);
	if (fd < 0) {
		object_release(&eventq->obj);
		iommufd_ctx_put(ictx);
		return fd;
	}
	/* our reference keeps the file from release until it is known */
	mutex_lock(&eventq->file_lock);
	eventq->filep = file;
	mutex_unlock(&eventq->file_lock);
	fput(file);
	return fd;
}

void iommufd_eventq_put_fd(int fd)
{
	/* the kernel's put_unused_fd() and fput() of the new file together */
	file_uninstall(fd);
}

void iommufd_eventq_destroy(struct iommufd_eventq *eventq)
{
	spin_lock_destroy(&eventq->lock);
	mutex_destroy(&eventq->file_lock);
}

bool eventq_add_tail(struct iommufd_eventq *eventq, struct list_head *node)
{
	bool added = false;

	spin_lock(&eventq->lock);
	if (!eventq->depth || eventq->count < eventq->depth) {
		list_add_tail(node, &eventq->deliver);
		eventq->count++;
		added = true;
	}
	spin_unlock(&eventq->lock);
	return added;
}

struct list_head *eventq_fetch(struct iommufd_eventq *eventq)
{
	struct list_head *node = NULL;

	spin_lock(&eventq->lock);
	if (!list_empty(&eventq->deliver)) {
		node = eventq->deliver.next;
		list_del_init(node);
		eventq->count--;
	}
	spin_unlock(&eventq->lock);
	return node;
}

void eventq_restore(struct iommufd_eventq *eventq, struct list_head *node)
{
	spin_lock(&eventq->lock);
	list_add(node, &eventq->deliver);
	eventq->count++;
	spin_unlock(&eventq->lock);
}

void eventq_wake(struct iommufd_eventq *eventq)
{
	mutex_lock(&eventq->file_lock);
	if (eventq->filep)
		file_wake(eventq->filep);
	mutex_unlock(&eventq->file_lock);
}

unsigned int eventq_fops_poll(struct file *file)
{
	struct iommufd_eventq *eventq = file->private_data;
	unsigned int mask = 0;

	/* only the fault queue takes writes */
	if (eventq->obj.type == IOMMUFD_OBJ_FAULT)
		mask |= POLLOUT;
	spin_lock(&eventq->lock);
	if (!list_empty(&eventq->deliver))
		mask |= POLLIN | POLLRDNORM;
	spin_unlock(&eventq->lock);
	return mask;
}

void eventq_fops_release(struct file *file)
{
	struct iommufd_eventq *eventq = file->private_data;
	/* the eventq may be freed once its reference is dropped */
	struct iommufd_ctx *ictx = eventq->ictx;

	fork_gate_enter();
	mutex_lock(&eventq->file_lock);
	eventq->filep = NULL;
	mutex_unlock(&eventq->file_lock);
	object_release(&eventq->obj);
	iommufd_ctx_put(ictx);
	fork_gate_leave();
}

/* ---- the fault queue -------------------------------------------------- */

struct iommufd_fault {
	struct iommufd_eventq common;
	/* Serialises the answering flows (read, which hands out cookies;
	 * write; the auto-responses) and guards what follows. */
	struct mutex mutex;
	/* The groups read and not yet answered, by cookie: cookies are the
	 * lowest free numbers from 1, as the kernel's XA_FLAGS_ALLOC1
	 * xarray hands them out. */
	struct iopf_group **response;
	uint32_t response_cap;	   /* response[0 .. cap - 1]; 0 unused */
	uint32_t response_free;	   /* no free cookie below it */
};

static struct iommufd_fault *eventq_to_fault(struct iommufd_eventq *eventq)
{
	return container_of(eventq, struct iommufd_fault, common);
}

struct iommufd_fault *iommufd_get_fault(struct iommufd_ctx *ictx,
					uint32_t id)
{
	return object_get_typed(ictx, id, IOMMUFD_OBJ_FAULT,
				struct iommufd_fault, common.obj);
}

struct iommufd_object *iommufd_fault_obj(struct iommufd_fault *fault)
{
	return &fault->common.obj;
}

/* A cookie for group: 0 or -ENOMEM (-EBUSY once 32 bits are used). */
static int cookie_alloc(struct iommufd_fault *fault, struct iopf_group *group)
{
	uint32_t cookie = fault->response_free ? fault->response_free : 1;

	lockdep_assert_held(&fault->mutex);
	while (cookie < fault->response_cap && fault->response[cookie])
		cookie++;
	if (cookie >= fault->response_cap) {
		uint64_t cap = fault->response_cap ?
				       (uint64_t)fault->response_cap * 2 :
				       16;
		struct iopf_group **grown;

		if (cookie == UINT32_MAX)
			return -EBUSY;
		if (cap > UINT32_MAX)
			cap = UINT32_MAX;
		grown = lib_realloc(fault->response, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		for (uint64_t i = fault->response_cap; i < cap; i++)
			grown[i] = NULL;
		fault->response = grown;
		fault->response_cap = (uint32_t)cap;
	}
	fault->response[cookie] = group;
	fault->response_free = cookie + 1;
	group->cookie = cookie;
	return 0;
}

/* The group read with cookie, no longer waiting for an answer; NULL when
 * no group has that cookie. */
static struct iopf_group *cookie_erase(struct iommufd_fault *fault,
				       uint32_t cookie)
{
	struct iopf_group *group;

	lockdep_assert_held(&fault->mutex);
	if (!cookie || cookie >= fault->response_cap)
		return NULL;
	group = fault->response[cookie];
	fault->response[cookie] = NULL;
	if (group && cookie < fault->response_free)
		fault->response_free = cookie;
	return group;
}

/* The device a group came from. */
static struct iommufd_device *group_idev(struct iopf_group *group)
{
	return container_of(group->attach_handle,
			    struct iommufd_attach_handle, handle)
		->idev;
}

static void answer_and_free(struct iopf_group *group,
			    enum iommu_page_response_code code)
{
	trace_event("page_response", TA_DEC("ctx", group_idev(group)->ictx->serial),
		    TA_ID("dev", group_idev(group)->obj.id),
		    TA_DEC("grpid", group->last_fault.prm.grpid),
		    TA_DEC("cookie", group->cookie),
		    TA_ENUM("code", code, trace_page_response_codes));
	iopf_group_response(group, code);
	iopf_free_group(group);
}

int iommufd_fault_iopf_handler(struct iopf_group *group)
{
	struct iommufd_hw_pagetable *hwpt =
		group->attach_handle->domain->fault_data;
	struct iommufd_fault *fault = hwpt->fault;
	const struct iommu_fault_page_request *prm = &group->last_fault.prm;

	trace_event("fault", TA_DEC("ctx", fault->common.ictx->serial),
		    TA_ID("fault", fault->common.obj.id),
		    TA_ID("hwpt", hwpt->obj.id),
		    TA_ID("dev", group_idev(group)->obj.id),
		    TA_FLAGS("flags", prm->flags, trace_pgfault_flags),
		    TA_DEC("pasid", prm->pasid), TA_DEC("grpid", prm->grpid),
		    TA_FLAGS("perm", prm->perm, trace_pgfault_perms),
		    TA_HEX("addr", prm->addr),
		    TA_DEC("records", group->fault_count));
	/* a fault queue has no depth: every group is taken */
	eventq_add_tail(&fault->common, &group->node);
	eventq_wake(&fault->common);
	return 0;
}

void iommufd_auto_response_faults(struct iommufd_hw_pagetable *hwpt,
				  struct iommufd_attach_handle *handle)
{
	struct iommufd_fault *fault = hwpt->fault;
	struct iopf_group *group, *next;
	struct list_head answered;

	if (!fault || !handle)
		return;
	INIT_LIST_HEAD(&answered);
	mutex_lock(&fault->mutex);
	spin_lock(&fault->common.lock);
	list_for_each_entry_safe(group, next, &fault->common.deliver, node) {
		if (group->attach_handle != &handle->handle)
			continue;
		list_move_tail(&group->node, &answered);
		fault->common.count--;
	}
	spin_unlock(&fault->common.lock);
	list_for_each_entry_safe(group, next, &answered, node) {
		list_del_init(&group->node);
		answer_and_free(group, IOMMU_PAGE_RESP_INVALID);
	}
	for (uint32_t cookie = 1; cookie < fault->response_cap; cookie++) {
		group = fault->response[cookie];
		if (!group || group->attach_handle != &handle->handle)
			continue;
		cookie_erase(fault, cookie);
		answer_and_free(group, IOMMU_PAGE_RESP_INVALID);
	}
	mutex_unlock(&fault->mutex);
	eventq_wake(&fault->common);
}

void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_eventq *eventq =
		container_of(obj, struct iommufd_eventq, obj);
	struct iommufd_fault *fault = eventq_to_fault(eventq);
	struct list_head *node;

	/* Nothing else can reach the queue now: no HWPT names it and its
	 * file is gone. Every group still held is answered. */
	while ((node = eventq_fetch(eventq)))
		answer_and_free(container_of(node, struct iopf_group, node),
				IOMMU_PAGE_RESP_INVALID);
	for (uint32_t cookie = 1; cookie < fault->response_cap; cookie++)
		if (fault->response[cookie])
			answer_and_free(fault->response[cookie],
					IOMMU_PAGE_RESP_INVALID);
	free(fault->response);
	mutex_destroy(&fault->mutex);
	iommufd_eventq_destroy(eventq);
}

/* Writes group's records at ubuf: 0 or -EFAULT. */
static int copy_group_to_user(struct iopf_group *group, uint64_t ubuf)
{
	struct iommu_hwpt_pgfault record = {
		.dev_id = group_idev(group)->obj.id,
		.cookie = group->cookie,
	};
	struct iopf_fault *iopf;
	int rc;

	list_for_each_entry(iopf, &group->faults, list) {
		record.flags = iopf->prm.flags;
		record.pasid = iopf->prm.pasid;
		record.grpid = iopf->prm.grpid;
		record.perm = iopf->prm.perm;
		record.addr = iopf->prm.addr;
		rc = usermem_copy_to(usermem_self(), ubuf, &record,
				     sizeof(record));
		if (rc)
			return rc;
		ubuf += sizeof(record);
	}
	return 0;
}

/*
 * Whole groups, oldest first, while they fit in len: the bytes written, or
 * when none was, the error: -ESPIPE for a len that is not a multiple of
 * the record, -EINVAL when the first group does not fit (6.12's rule; a
 * read of 0 bytes with a group queued included), -ENOMEM or -EFAULT. An
 * empty queue reads 0: the read never waits.
 */
static ssize_t fault_fops_read(struct file *file, uint64_t ubuf, size_t len)
{
	const size_t record = sizeof(struct iommu_hwpt_pgfault);
	struct iommufd_fault *fault = eventq_to_fault(file->private_data);
	struct list_head *node;
	size_t done = 0;
	int rc = 0;

	if (len % record)
		return -ESPIPE;
	fork_gate_enter();
	mutex_lock(&fault->mutex);
	while ((node = eventq_fetch(&fault->common))) {
		struct iopf_group *group =
			container_of(node, struct iopf_group, node);

		if (done >= len ||
		    (size_t)group->fault_count * record > len - done) {
			eventq_restore(&fault->common, node);
			if (!done)
				rc = -EINVAL;
			break;
		}
		rc = cookie_alloc(fault, group);
		if (rc) {
			eventq_restore(&fault->common, node);
			break;
		}
		rc = copy_group_to_user(group, ubuf + done);
		if (rc) {
			cookie_erase(fault, group->cookie);
			eventq_restore(&fault->common, node);
			break;
		}
		done += (size_t)group->fault_count * record;
	}
	mutex_unlock(&fault->mutex);
	eventq_wake(&fault->common);
	fork_gate_leave();
	return done ? (ssize_t)done : rc;
}

static_assert((int)IOMMUFD_PAGE_RESP_SUCCESS == (int)IOMMU_PAGE_RESP_SUCCESS,
	      "the uAPI's codes are the IOMMU layer's");
static_assert((int)IOMMUFD_PAGE_RESP_INVALID == (int)IOMMU_PAGE_RESP_INVALID,
	      "the uAPI's codes are the IOMMU layer's");

/*
 * Responses, in order, each answering and freeing the group of its
 * cookie: the bytes taken, or when none was, the error: -ESPIPE for a len
 * that is not a multiple of the response, -EFAULT, -EINVAL for a code
 * other than SUCCESS and INVALID or a cookie no unanswered group has.
 */
static ssize_t fault_fops_write(struct file *file, uint64_t ubuf, size_t len)
{
	const size_t size = sizeof(struct iommu_hwpt_page_response);
	struct iommufd_fault *fault = eventq_to_fault(file->private_data);
	struct iommu_hwpt_page_response response;
	struct iopf_group *group;
	size_t done = 0;
	int rc = 0;

	if (len % size)
		return -ESPIPE;
	fork_gate_enter();
	mutex_lock(&fault->mutex);
	while (len > done) {
		rc = usermem_copy_from(usermem_self(), &response, ubuf + done,
				       size);
		if (rc)
			break;
		if (response.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    response.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		group = cookie_erase(fault, response.cookie);
		if (!group) {
			rc = -EINVAL;
			break;
		}
		answer_and_free(group, response.code);
		done += size;
	}
	mutex_unlock(&fault->mutex);
	fork_gate_leave();
	return done ? (ssize_t)done : rc;
}

static const struct file_operations fault_fops = {
	.name = "[iommufd-pgfault]",
	.read = fault_fops_read,
	.write = fault_fops_write,
	.poll = eventq_fops_poll,
	.release = eventq_fops_release,
	.trace = &fault_trace_file,
};

/*
 * IOMMU_FAULT_QUEUE_ALLOC: flags must be 0 (EOPNOTSUPP); the object's ID
 * comes before the descriptor, which is live once the reply is written.
 */
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_fault *fault;
	int fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	fault = __iommufd_object_alloc(ucmd->ictx, fault, IOMMUFD_OBJ_FAULT,
				       common.obj, &rc);
	if (!fault)
		return rc;
	mutex_init(&fault->mutex, LOCK_RANK_FAULT);
	fd = iommufd_eventq_init(&fault->common, ucmd->ictx, &fault_fops, 0);
	if (fd < 0) {
		rc = fd;
		goto out_abort;
	}
	cmd->out_fault_id = fault->common.obj.id;
	cmd->out_fault_fd = (uint32_t)fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_put_fd;
	object_finalize(ucmd->ictx, &fault->common.obj);
	return 0;

out_put_fd:
	iommufd_eventq_put_fd(fd);
out_abort:
	object_abort_and_destroy(ucmd->ictx, &fault->common.obj);
	return rc;
}
