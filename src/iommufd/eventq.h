/* SPDX-License-Identifier: MIT */
/*
 * Event queues, the kernel's struct iommufd_eventq: an object with a file
 * behind it, from which read() takes, in the order they came, what the
 * kernel side queued. One file for every user, each with its own records:
 *  - the fault queue (IOMMUFD_OBJ_FAULT, IOMMU_FAULT_QUEUE_ALLOC): groups
 *    of page requests, read as struct iommu_hwpt_pgfault records a whole
 *    group at a time, and answered by write() of struct
 *    iommu_hwpt_page_response, matched by the cookie the read gave;
 *  - the vEVENTQ (Level 2): a vIOMMU's events, with its depth.
 *
 * The file is an event file (base/file.h), opened O_RDWR and close-on-exec
 * as the kernel's anonymous inode is: a stream (pread is ESPIPE), its
 * descriptor readable, for poll/select/epoll, exactly while something is
 * queued, and always writable. It holds a user reference on the object
 * (DESTROY is EBUSY while it is open; closing it leaves the object, and
 * what it queued, to DESTROY or the context's end) and one on the context
 * (a context whose iommufd is closed lives until its queues' files are
 * closed too, as the kernel's file holds the iommufd's).
 *
 * Locks, after every other lock of the core but the object table's
 * (iommufd_private.h): a user's own lock (the fault's mutex), then
 * file_lock, held by whoever tells the file of a change so that the file
 * cannot be released under it, then lock, which guards the deliver list
 * and nothing else.
 */
#ifndef IOMMUSIM_IOMMUFD_EVENTQ_H
#define IOMMUSIM_IOMMUFD_EVENTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "base/list.h"
#include "base/mutex.h"
#include "base/spinlock.h"
#include "iommufd/iommufd_private.h"

struct file;
struct file_operations;
struct iommufd_hw_pagetable;
struct iommufd_attach_handle;
struct iopf_group;

struct iommufd_eventq {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct mutex file_lock;
	struct file *filep; /* NULL once released; under file_lock */
	struct spinlock lock;
	struct list_head deliver; /* the user's nodes, oldest first */
	uint32_t count;		  /* nodes on deliver */
	uint32_t depth;		  /* the most deliver holds; 0: no bound */
};

/*
 * For an eventq's user, on its object before it is published: makes the
 * file, with fops (whose private_data is the eventq; their poll and
 * release must be eventq_fops_poll() and eventq_fops_release()), and
 * takes its references. The descriptor, or -errno with nothing made.
 */
int iommufd_eventq_init(struct iommufd_eventq *eventq,
			struct iommufd_ctx *ictx,
			const struct file_operations *fops, uint32_t depth);
/* Undoes an unpublished eventq's descriptor: its file is released. */
void iommufd_eventq_put_fd(int fd);
/* What a user's destroy leaves to the common part, once deliver is empty. */
void iommufd_eventq_destroy(struct iommufd_eventq *eventq);

/* The deliver list: add at the tail, unless depth is reached (false);
 * take the oldest (NULL: empty); put one back where it was taken. */
bool eventq_add_tail(struct iommufd_eventq *eventq, struct list_head *node);
struct list_head *eventq_fetch(struct iommufd_eventq *eventq);
void eventq_restore(struct iommufd_eventq *eventq, struct list_head *node);
/* Tells the file of a change of the deliver list. No lock of the eventq
 * may be held but the user's own. */
void eventq_wake(struct iommufd_eventq *eventq);

unsigned int eventq_fops_poll(struct file *file);
void eventq_fops_release(struct file *file);

/* ---- the fault queue ------------------------------------------------- */

struct iommufd_fault;

/* A short-term reference to the fault queue 'id', or NULL (ENOENT). */
struct iommufd_fault *iommufd_get_fault(struct iommufd_ctx *ictx,
					uint32_t id);
struct iommufd_object *iommufd_fault_obj(struct iommufd_fault *fault);

/* The iopf_handler of a domain whose HWPT names a fault queue. */
int iommufd_fault_iopf_handler(struct iopf_group *group);

/*
 * Answers IOMMU_PAGE_RESP_INVALID for every group hwpt's fault queue holds
 * that came through handle, read or not, and frees them: what detach and
 * replace do once handle is no longer reachable. Nothing when hwpt has no
 * fault queue or handle is NULL.
 */
void iommufd_auto_response_faults(struct iommufd_hw_pagetable *hwpt,
				  struct iommufd_attach_handle *handle);

void iommufd_fault_destroy(struct iommufd_object *obj);

#endif /* IOMMUSIM_IOMMUFD_EVENTQ_H */
