/* SPDX-License-Identifier: MIT */
/*
 * What the core's files share: the context, one ioctl in flight, and the
 * command handlers the dispatch table names.
 */
#ifndef IOMMUSIM_IOMMUFD_PRIVATE_H
#define IOMMUSIM_IOMMUFD_PRIVATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "iommufd/object.h"
#include "base/list.h"
#include "base/mutex.h"
#include "base/rwsem.h"
#include "base/usermem.h"

/*
 * The lock order, outermost first: a thread may take a lock only while
 * every lock it holds comes earlier in this list. Each lock gets its rank
 * when it is initialised, and the test builds check every acquisition
 * against it (base/lockdep.h). What each lock guards is said where it is
 * declared.
 *
 * Two consequences the code relies on: a HWPT reference is put only once
 * idev->lock and ioas->mutex are dropped, since the last put of an
 * automatic HWPT takes ioas->mutex; and the object table's lock, being
 * last, is never held across anything but its own bookkeeping.
 */
enum iommufd_lock_rank {
	LOCK_RANK_CONTEXTS = 1,	     /* main.c's contexts_lock */
	LOCK_RANK_IOAS_CREATION,     /* ictx->ioas_creation_lock */
	LOCK_RANK_TEST_ACCESS,	     /* a selftest access's lock */
	LOCK_RANK_ACCESS_IOAS,	     /* access->ioas_lock */
	LOCK_RANK_IOAS_MUTEX,	     /* ioas->mutex */
	LOCK_RANK_IDEV,		     /* idev->lock */
	LOCK_RANK_VIOMMU_VEVENTQS,   /* viommu->veventqs_rwsem */
	LOCK_RANK_IOPT_DOMAINS,	     /* iopt->domains_rwsem */
	LOCK_RANK_IOPT_IOVA,	     /* iopt->iova_rwsem */
	LOCK_RANK_DMABUF,	     /* a dma-buf's lock (dmabuf.h) */
	LOCK_RANK_DMABUF_PAGES,	     /* a dma-buf importer's lock */
	LOCK_RANK_IOPT_ACCESSES,     /* iopt->access_list_lock */
	LOCK_RANK_PAGES_REGISTRY,    /* pages.c's registry_lock */
	LOCK_RANK_PAGES,	     /* pages->lock */
	LOCK_RANK_PAGES_ASIDE,	     /* pages_aside.c's aside_lock */
	LOCK_RANK_FAULT,	     /* fault->mutex */
	LOCK_RANK_EVENTQ_FILE,	     /* eventq->file_lock */
	LOCK_RANK_EVENTQ,	     /* eventq->lock */
	LOCK_RANK_MMAP,		     /* ictx->mmap_lock */
	LOCK_RANK_OBJECT_TABLE,	     /* ictx->objects.table_lock */
};

/*
 * One open of /dev/iommu. It names no address space: each command's
 * pointers are its caller's (ucmd->mm), and one context may have callers in
 * several processes (docs/shared-contexts.md).
 */
struct iommufd_ctx {
	/* The opener's reference and one per access object and per event
	 * queue file: the context is torn down with the last (they keep it
	 * alive as the kernel's keep the iommufd file open). */
	atomic_uint refs;
	struct object_table objects;
	/* Held for read while an IOAS is published, for write by whoever must
	 * see every IOAS at once (the VFIO compatibility layer). */
	struct rwsem ioas_creation_lock;
	struct iommufd_ioas *vfio_ioas; /* under objects.table_lock */
	/* enum iopt_pages_account_mode; IOMMU_OPTION_RLIMIT_MODE, under
	 * objects.table_lock */
	uint8_t account_mode;
	/* The context's number in the trace and the graph: contexts count
	 * from 1 in the order they were opened. */
	unsigned int serial;
	/* in the list of every live context (iommufd_for_each_context()) */
	struct list_head contexts_link;
	/* The regions the user may mmap() (iommufd/mmap.h), by offset */
	struct mutex mmap_lock;
	struct iommufd_mmap *mmaps;
};

/* fn(ictx, arg) for every live context, under the list's lock (which
 * comes before every other lock); stops at fn's first non-zero result. */
int iommufd_for_each_context(int (*fn)(struct iommufd_ctx *ictx, void *arg),
			     void *arg);

/* One ioctl in flight: the command copied in, where it came from. */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	/* The caller's address space: what every user address of the
	 * command names (the kernel's current->mm). */
	const struct usermem *mm;
	uint64_t ubuffer;	/* the caller's struct, a user address */
	uint32_t user_size;	/* the caller's idea of its size */
	void *cmd;		/* our zero-extended copy */
};

void iommufd_ctx_get(struct iommufd_ctx *ictx);
void iommufd_ctx_put(struct iommufd_ctx *ictx);

/* Copies cmd back to the caller, at most user_size bytes. */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);

/* Handlers named by the dispatch table. */
int iommufd_destroy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd);
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option(struct iommufd_ucmd *ucmd);
int iommufd_option(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd);
int iommufd_test(struct iommufd_ucmd *ucmd);
/* IOMMU_TEST_OP_CREATE_ACCESS and the ops on an access's descriptor. */
int iommufd_test_access(struct iommufd_ucmd *ucmd);
/* IOMMU_TEST_OP_DMABUF_GET and IOMMU_TEST_OP_DMABUF_REVOKE. */
int iommufd_test_dmabuf(struct iommufd_ucmd *ucmd);
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
/* The VFIO type1 container ioctls (vfio_compat.c); -ENOTTY for any other
 * number. */
int iommufd_vfio_ioctl(struct iommufd_ctx *ictx, const struct usermem *mm,
		       unsigned int cmd, uint64_t arg);

/* The device a selftest object stands for, by ID (for the graph). */
uint32_t iommufd_selftest_device_id(struct iommufd_object *obj);
/* The selftest's mock device object dies: its device is unbound. */
void iommufd_selftest_destroy(struct iommufd_object *obj);

#endif /* IOMMUSIM_IOMMUFD_PRIVATE_H */
