// SPDX-License-Identifier: MIT
/*
 * vEVENTQs: IOMMU_VEVENTQ_ALLOC, the events a vIOMMU's driver reports, and
 * the queue's read(), as the kernel's eventq.c. See veventq.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/uapi/iommufd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/fork_gate.h"
#include "base/trace.h"
#include "base/usermem.h"
#include "iommufd/eventq.h"
#include "iommufd/trace_decode.h"
#include "iommufd/veventq.h"
#include "iommufd/viommu.h"

struct iommufd_vevent {
	struct list_head node; /* on the deliver list */
	struct iommufd_vevent_header header;
	uint32_t data_len;
	unsigned char data[];
};

struct iommufd_veventq {
	struct iommufd_eventq common;
	struct iommufd_viommu *viommu; /* a user reference */
	struct list_head node;	       /* in viommu->veventqs */
	uint32_t type;
	/* under common.lock: */
	uint32_t depth;
	uint32_t num_events; /* events queued, the lost header not counted */
	uint32_t sequence;   /* the next event's */
	/* on the deliver list (node not empty) after a loss until read */
	struct iommufd_vevent lost_events_header;
};

static struct iommufd_veventq *to_veventq(struct iommufd_object *obj)
{
	return container_of(obj, struct iommufd_veventq, common.obj);
}

static bool is_lost_header(struct iommufd_veventq *veventq,
			   struct iommufd_vevent *vevent)
{
	return vevent == &veventq->lost_events_header;
}

void iommufd_veventq_set_sequence(struct iommufd_object *obj, uint32_t next)
{
	struct iommufd_veventq *veventq = to_veventq(obj);

	spin_lock(&veventq->common.lock);
	veventq->sequence = next & INT_MAX;
	spin_unlock(&veventq->common.lock);
}

uint32_t iommufd_veventq_viommu_id(struct iommufd_object *obj)
{
	return to_veventq(obj)->viommu->obj.id;
}

/* The vIOMMU's vEVENTQ of that type, or NULL; veventqs_rwsem held. */
static struct iommufd_veventq *find_veventq(struct iommufd_viommu *viommu,
					    uint32_t type)
{
	struct iommufd_veventq *veventq;

	list_for_each_entry(veventq, &viommu->veventqs, node)
		if (veventq->type == type)
			return veventq;
	return NULL;
}

/* Frees what is queued and leaves the vIOMMU's list; veventqs_rwsem held
 * for writing. */
void iommufd_veventq_abort(struct iommufd_object *obj)
{
	struct iommufd_veventq *veventq = to_veventq(obj);
	struct iommufd_vevent *cur, *next;

	list_for_each_entry_safe(cur, next, &veventq->common.deliver, node) {
		list_del_init(&cur->node);
		if (!is_lost_header(veventq, cur))
			free(cur);
	}
	list_del_init(&veventq->node);
	object_release(&veventq->viommu->obj);
	iommufd_eventq_destroy(&veventq->common);
}

void iommufd_veventq_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu = to_veventq(obj)->viommu;

	down_write(&viommu->veventqs_rwsem);
	iommufd_veventq_abort(obj);
	up_write(&viommu->veventqs_rwsem);
}

/* vevent (or, after a loss, the lost header) to the tail, numbered;
 * common.lock held. */
static void veventq_add(struct iommufd_veventq *veventq,
			struct iommufd_vevent *vevent)
{
	struct iommufd_vevent *lost = &veventq->lost_events_header;

	/* a header already queued moves: it marks the latest loss */
	if (!list_empty(&lost->node))
		list_del_init(&lost->node);
	list_add_tail(&vevent->node, &veventq->common.deliver);
	vevent->header.sequence = veventq->sequence;
	veventq->sequence = (veventq->sequence + 1) & INT_MAX;
}

int iommufd_viommu_report_event(struct iommufd_viommu *viommu, uint32_t type,
				const void *data, size_t len)
{
	struct iommufd_veventq *veventq;
	struct iommufd_vevent *vevent;
	int rc = 0;

	if (!data || !len || len > UINT32_MAX)
		return -EINVAL;
	down_read(&viommu->veventqs_rwsem);
	veventq = find_veventq(viommu, type);
	if (!veventq) {
		rc = -EOPNOTSUPP;
		goto out_unlock;
	}
	vevent = lib_malloc(sizeof(*vevent) + len);
	if (vevent) {
		vevent->header.flags = 0;
		vevent->data_len = (uint32_t)len;
		memcpy(vevent->data, data, len);
	} else {
		rc = -ENOMEM;
	}
	spin_lock(&veventq->common.lock);
	if (vevent && veventq->num_events < veventq->depth) {
		veventq->num_events++;
	} else {
		free(vevent);
		vevent = &veventq->lost_events_header;
	}
	veventq_add(veventq, vevent);
	trace_event("vevent", TA_DEC("ctx", viommu->ictx->serial),
		    TA_ID("veventq", veventq->common.obj.id),
		    TA_ID("viommu", viommu->obj.id),
		    TA_DEC("sequence", vevent->header.sequence),
		    TA_DEC("lost", is_lost_header(veventq, vevent)));
	spin_unlock(&veventq->common.lock);
	eventq_wake(&veventq->common);
out_unlock:
	up_read(&viommu->veventqs_rwsem);
	return rc;
}

/* The oldest record, off the list; the lost header is copied out into
 * *lost (and NULL returned with *was_lost). NULL when empty. */
static struct iommufd_vevent *veventq_fetch(struct iommufd_veventq *veventq,
					    struct iommufd_vevent_header *lost,
					    bool *was_lost)
{
	struct iommufd_vevent *vevent = NULL;

	*was_lost = false;
	spin_lock(&veventq->common.lock);
	if (!list_empty(&veventq->common.deliver)) {
		vevent = list_first_entry(&veventq->common.deliver,
					  struct iommufd_vevent, node);
		list_del_init(&vevent->node);
		if (is_lost_header(veventq, vevent)) {
			*lost = vevent->header;
			*was_lost = true;
			vevent = NULL;
		}
	}
	spin_unlock(&veventq->common.lock);
	return vevent;
}

/* Puts back what could not be read. The lost header goes back only to
 * an empty queue (the kernel's rule): behind it the events say as much. */
static void veventq_restore(struct iommufd_veventq *veventq,
			    struct iommufd_vevent *vevent, bool was_lost)
{
	spin_lock(&veventq->common.lock);
	if (was_lost) {
		vevent = NULL;
		if (list_empty(&veventq->common.deliver))
			vevent = &veventq->lost_events_header;
	}
	if (vevent)
		list_add(&vevent->node, &veventq->common.deliver);
	spin_unlock(&veventq->common.lock);
}

/* Copies one record (header, then data) to ubuf: 0 or -EFAULT. */
static int copy_record_to_user(uint64_t ubuf,
			       const struct iommufd_vevent_header *header,
			       const struct iommufd_vevent *vevent)
{
	int rc = usermem_copy_to(usermem_self(), ubuf, header,
				 sizeof(*header));

	if (!rc && vevent && vevent->data_len)
		rc = usermem_copy_to(usermem_self(), ubuf + sizeof(*header),
				     vevent->data, vevent->data_len);
	return rc;
}

/*
 * Whole records, oldest first, while they fit in len: the bytes written,
 * or when none was, 0 (the first record does not fit, or the queue is
 * empty: the read never waits) or -EFAULT.
 */
static ssize_t veventq_fops_read(struct file *file, uint64_t ubuf, size_t len)
{
	const size_t hdr_size = sizeof(struct iommufd_vevent_header);
	struct iommufd_veventq *veventq =
		container_of(file->private_data, struct iommufd_veventq,
			     common);
	struct iommufd_vevent_header lost;
	struct iommufd_vevent *vevent;
	bool was_lost;
	size_t done = 0;
	int rc = 0;

	fork_gate_enter();
	while ((vevent = veventq_fetch(veventq, &lost, &was_lost)) ||
	       was_lost) {
		size_t size = hdr_size + (vevent ? vevent->data_len : 0);

		if (done >= len || size > len - done) {
			veventq_restore(veventq, vevent, was_lost);
			break;
		}
		rc = copy_record_to_user(ubuf + done,
					 vevent ? &vevent->header : &lost,
					 vevent);
		if (rc) {
			veventq_restore(veventq, vevent, was_lost);
			break;
		}
		if (vevent) {
			spin_lock(&veventq->common.lock);
			veventq->num_events--;
			spin_unlock(&veventq->common.lock);
			free(vevent);
		}
		done += size;
	}
	eventq_wake(&veventq->common);
	fork_gate_leave();
	return done ? (ssize_t)done : rc;
}

static const struct file_operations veventq_fops = {
	.name = "[iommufd-viommu-event]",
	.read = veventq_fops_read,
	.poll = eventq_fops_poll,
	.release = eventq_fops_release,
	.trace = &veventq_trace_file,
};

/*
 * IOMMU_VEVENTQ_ALLOC, in the kernel's order: flags, __reserved and type
 * (EOPNOTSUPP), depth (EINVAL), the vIOMMU (ENOENT), one queue per type
 * (EEXIST).
 */
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	struct iommufd_veventq *veventq;
	struct iommufd_viommu *viommu;
	int fd, rc;

	if (cmd->flags || cmd->__reserved ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth)
		return -EINVAL;
	viommu = iommufd_get_viommu(ucmd->ictx, cmd->viommu_id);
	if (!viommu)
		return -ENOENT;
	down_write(&viommu->veventqs_rwsem);
	if (find_veventq(viommu, cmd->type)) {
		rc = -EEXIST;
		goto out_unlock;
	}
	veventq = __iommufd_object_alloc(ucmd->ictx, veventq,
					 IOMMUFD_OBJ_VEVENTQ, common.obj, &rc);
	if (!veventq)
		goto out_unlock;
	veventq->type = cmd->type;
	veventq->viommu = viommu;
	object_hold(&viommu->obj);
	veventq->depth = cmd->veventq_depth;
	list_add_tail(&veventq->node, &viommu->veventqs);
	INIT_LIST_HEAD(&veventq->lost_events_header.node);
	veventq->lost_events_header.header.flags =
		IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
	fd = iommufd_eventq_init(&veventq->common, ucmd->ictx, &veventq_fops,
				 0);
	if (fd < 0) {
		rc = fd;
		goto out_abort;
	}
	cmd->out_veventq_id = veventq->common.obj.id;
	cmd->out_veventq_fd = (uint32_t)fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_put_fd;
	object_finalize(ucmd->ictx, &veventq->common.obj);
	goto out_unlock;

out_put_fd:
	iommufd_eventq_put_fd(fd);
out_abort:
	object_abort_and_destroy(ucmd->ictx, &veventq->common.obj);
out_unlock:
	up_write(&viommu->veventqs_rwsem);
	object_put(ucmd->ictx, &viommu->obj);
	return rc;
}
