// SPDX-License-Identifier: MIT
/*
 * The context (one open of /dev/iommu) and the ioctl dispatch.
 *
 * The dispatch owns the extensible-struct ABI so that no handler ever parses
 * a size: it reads the caller's 'size', refuses one below the command's
 * minimum, copies the struct into a zeroed buffer big enough for any
 * command (a tail we know but the caller did not pass reads as zero; a tail
 * the caller passed that we do not know must be zero), and runs the handler.
 * The check order is the kernel's, and it is ABI: tests assert which errno
 * wins when several things are wrong.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/fork_gate.h"
#include "base/mutex.h"
#include "base/reentry.h"
#include "iommufd/access.h"
#include "iommufd/device.h"
#include "iommufd/eventq.h"
#include "iommufd/graph.h"
#include "iommufd/iommufd.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/mmap.h"
#include "iommufd/pages.h"
#include "iommufd/trace_decode.h"
#include "iommufd/veventq.h"
#include "iommufd/viommu.h"
#include "iommu/platform_config.h"

#define PUBLIC __attribute__((visibility("default")))

/* Large enough for any command struct we know. */
union ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_fault_alloc fault;
	struct iommu_hw_info info;
	struct iommu_hw_queue_alloc hw_queue;
	struct iommu_hwpt_alloc hwpt;
	struct iommu_hwpt_get_dirty_bitmap get_dirty_bitmap;
	struct iommu_hwpt_invalidate cache;
	struct iommu_hwpt_set_dirty_tracking set_dirty_tracking;
	struct iommu_ioas_alloc alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_change_process change_process;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vdevice_alloc vdev;
	struct iommu_veventq_alloc veventq;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_viommu_alloc viommu;
	struct iommu_test_cmd test;
};

struct iommufd_ioctl_op {
	unsigned int size;     /* the struct as we know it */
	unsigned int min_size; /* the struct as it was first released */
	unsigned int ioctl_num;
	int (*execute)(struct iommufd_ucmd *ucmd);
};

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
/* A struct left out of union ucmd_buffer fails the build, not the stack. */
#define FITS_UCMD_BUFFER(_struct)                                              \
	(0 * sizeof(char[sizeof(union ucmd_buffer) >= sizeof(_struct) ? 1 : -1]))
#define IOCTL_OP(_ioctl, _fn, _struct, _last)                                  \
	[_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {                               \
		.size = sizeof(_struct) + FITS_UCMD_BUFFER(_struct),           \
		.min_size = END_OF(_struct, _last),                            \
		.ioctl_num = _ioctl,                                           \
		.execute = _fn,                                                \
	}

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOCTL_OP(IOMMU_DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, iommufd_fault_alloc,
		 struct iommu_fault_alloc, out_fault_fd),
	IOCTL_OP(IOMMU_GET_HW_INFO, iommufd_get_hw_info, struct iommu_hw_info,
		 __reserved),
	IOCTL_OP(IOMMU_HW_QUEUE_ALLOC, iommufd_hw_queue_alloc_ioctl,
		 struct iommu_hw_queue_alloc, length),
	IOCTL_OP(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc, struct iommu_hwpt_alloc,
		 __reserved),
	IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, iommufd_hwpt_get_dirty_bitmap,
		 struct iommu_hwpt_get_dirty_bitmap, data),
	IOCTL_OP(IOMMU_HWPT_INVALIDATE, iommufd_hwpt_invalidate,
		 struct iommu_hwpt_invalidate, __reserved),
	IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, iommufd_hwpt_set_dirty_tracking,
		 struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOCTL_OP(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl,
		 struct iommu_ioas_alloc, out_ioas_id),
	IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas,
		 struct iommu_ioas_allow_iovas, allowed_iovas),
	IOCTL_OP(IOMMU_IOAS_CHANGE_PROCESS, iommufd_ioas_change_process,
		 struct iommu_ioas_change_process, __reserved),
	IOCTL_OP(IOMMU_IOAS_COPY, iommufd_ioas_copy, struct iommu_ioas_copy,
		 src_iova),
	IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges,
		 struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOCTL_OP(IOMMU_IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map,
		 iova),
	IOCTL_OP(IOMMU_IOAS_MAP_FILE, iommufd_ioas_map_file,
		 struct iommu_ioas_map_file, iova),
	IOCTL_OP(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap, struct iommu_ioas_unmap,
		 length),
	IOCTL_OP(IOMMU_OPTION, iommufd_option, struct iommu_option, val64),
	IOCTL_OP(IOMMU_VDEVICE_ALLOC, iommufd_vdevice_alloc_ioctl,
		 struct iommu_vdevice_alloc, virt_id),
	IOCTL_OP(IOMMU_VEVENTQ_ALLOC, iommufd_veventq_alloc,
		 struct iommu_veventq_alloc, out_veventq_fd),
	IOCTL_OP(IOMMU_VFIO_IOAS, iommufd_vfio_ioas, struct iommu_vfio_ioas,
		 __reserved),
	IOCTL_OP(IOMMU_VIOMMU_ALLOC, iommufd_viommu_alloc_ioctl,
		 struct iommu_viommu_alloc, out_viommu_id),
	IOCTL_OP(IOMMU_TEST_CMD, iommufd_test, struct iommu_test_cmd, last),
};

#define IOCTL_OPS_COUNT (sizeof(iommufd_ioctl_ops) / sizeof(iommufd_ioctl_ops[0]))

/*
 * What each object type does when it dies, in one table indexed by type: a
 * type listed here is one the context can make. Types with no entry are
 * never allocated.
 */
static const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_DEVICE] = {
		.destroy = iommufd_device_destroy,
	},
	[IOMMUFD_OBJ_ACCESS] = {
		.destroy = iommufd_access_destroy_object,
	},
	[IOMMUFD_OBJ_HWPT_PAGING] = {
		.destroy = iommufd_hwpt_paging_destroy,
		.abort = iommufd_hwpt_paging_abort,
	},
	[IOMMUFD_OBJ_HWPT_NESTED] = {
		.destroy = iommufd_hwpt_nested_destroy,
	},
	[IOMMUFD_OBJ_IOAS] = {
		.destroy = iommufd_ioas_destroy,
	},
	[IOMMUFD_OBJ_FAULT] = {
		.destroy = iommufd_fault_destroy,
	},
	[IOMMUFD_OBJ_VIOMMU] = {
		.destroy = iommufd_viommu_destroy,
	},
	[IOMMUFD_OBJ_VDEVICE] = {
		.destroy = iommufd_vdevice_destroy,
	},
	[IOMMUFD_OBJ_VEVENTQ] = {
		.destroy = iommufd_veventq_destroy,
		.abort = iommufd_veventq_abort,
	},
	[IOMMUFD_OBJ_HW_QUEUE] = {
		.destroy = iommufd_hw_queue_destroy,
	},
	[IOMMUFD_OBJ_SELFTEST] = {
		.destroy = iommufd_selftest_destroy,
	},
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static atomic_uint context_serials;
static int global_init_error;

static void global_init(void)
{
	global_init_error = usermem_init();
	if (!global_init_error)
		global_init_error = fork_gate_init();
	/* before any context: configured devices take the first numbers */
	if (!global_init_error)
		platform_configure();
}

int iommufd_global_init(void)
{
	pthread_once(&global_once, global_init);
	return global_init_error;
}

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len)
{
	size_t len = ucmd->user_size < cmd_len ? ucmd->user_size : cmd_len;

	return usermem_copy_to(ucmd->mm, ucmd->ubuffer, ucmd->cmd, len);
}

int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return object_remove(ucmd->ictx, cmd->id);
}

static int dispatch(struct iommufd_ctx *ictx, const struct usermem *mm,
		    unsigned int cmd, uint64_t arg)
{
	const struct iommufd_ioctl_op *op;
	struct iommufd_ucmd ucmd = { .ictx = ictx, .mm = mm, .ubuffer = arg };
	union ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	if (nr < IOMMUFD_CMD_BASE || nr - IOMMUFD_CMD_BASE >= IOCTL_OPS_COUNT)
		return iommufd_vfio_ioctl(ictx, mm, cmd, arg);

	/* The size is read before the number is checked, as on the kernel:
	 * a bad pointer with a number in range is EFAULT, not ENOTTY. */
	rc = usermem_copy_from(mm, &ucmd.user_size, arg,
			       sizeof(ucmd.user_size));
	if (rc)
		return rc;
	op = &iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;

	ucmd.cmd = &buf;
	rc = usermem_copy_struct_from(mm, ucmd.cmd, op->size, arg,
				      ucmd.user_size);
	if (rc)
		return rc;
	return op->execute(&ucmd);
}

PUBLIC const char *iommusim_version(void)
{
	return IOMMUSIM_VERSION;
}

/* Every live context, for what must reach them all (pages set aside). */
static struct mutex contexts_lock = MUTEX_INIT(LOCK_RANK_CONTEXTS);
static struct list_head contexts = LIST_HEAD_INIT(contexts);

int iommufd_for_each_context(int (*fn)(struct iommufd_ctx *ictx, void *arg),
			     void *arg)
{
	struct list_head *pos;
	int rc = 0;

	mutex_lock(&contexts_lock);
	for (pos = contexts.next; pos != &contexts && !rc; pos = pos->next)
		rc = fn(container_of(pos, struct iommufd_ctx, contexts_link),
			arg);
	mutex_unlock(&contexts_lock);
	return rc;
}

PUBLIC int iommusim_open(struct iommusim_ctx **ctxp)
{
	struct iommufd_ctx *ictx;
	int rc;

	rc = iommufd_global_init();
	if (rc)
		return rc;

	ictx = lib_calloc(1, sizeof(*ictx));
	if (!ictx)
		return -ENOMEM;
	rc = object_table_init(&ictx->objects, iommufd_object_ops);
	if (rc)
		goto out_free;
	init_rwsem(&ictx->ioas_creation_lock, LOCK_RANK_IOAS_CREATION);
	mutex_init(&ictx->mmap_lock, LOCK_RANK_MMAP);
	ictx->account_mode = IOPT_PAGES_ACCOUNT_USER;
	ictx->serial = atomic_fetch_add_explicit(&context_serials, 1,
						 memory_order_relaxed) + 1;
	atomic_init(&ictx->refs, 1);
	/* inside the gate, as every entry: a fork must not find the list
	 * locked by this thread (the child would wait for it forever) */
	fork_gate_enter();
	mutex_lock(&contexts_lock);
	list_add_tail(&ictx->contexts_link, &contexts);
	mutex_unlock(&contexts_lock);
	fork_gate_leave();
	graph_context_opened(ictx);
	*ctxp = (struct iommusim_ctx *)ictx;
	return 0;

out_free:
	free(ictx);
	return rc;
}

static long iommufd_ioctl(void *ctx, unsigned int cmd, uint64_t arg)
{
	int rc;

	if (!ctx)
		return -EBADF;
	fork_gate_enter();
	/* In-process, every caller is this process. */
	rc = dispatch(ctx, usermem_self(), cmd, arg);
	fork_gate_leave();
	return rc;
}

/* The kernel takes the request as 32 bits; so do we. A call made here
 * names no descriptor: its trace line says fd=-1. */
static long iommufd_ioctl_traced(struct iommusim_ctx *ctx,
				 unsigned long request, void *arg)
{
	if (trace_enabled())
		return trace_ioctl(&iommufd_trace_file, -1,
				   (unsigned int)request,
				   (uint64_t)(uintptr_t)arg, iommufd_ioctl, ctx);
	return iommufd_ioctl(ctx, (unsigned int)request,
			     (uint64_t)(uintptr_t)arg);
}

PUBLIC int iommusim_ioctl(struct iommusim_ctx *ctx, unsigned long request,
			  void *arg)
{
	return (int)REENTRY_GUARDED(long, iommufd_ioctl_traced(ctx, request,
								   arg));
}

void iommufd_ctx_get(struct iommufd_ctx *ictx)
{
	atomic_fetch_add(&ictx->refs, 1);
}

void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
	if (atomic_fetch_sub(&ictx->refs, 1) != 1)
		return;
	graph_context_closing(ictx);
	mutex_lock(&contexts_lock);
	list_del_init(&ictx->contexts_link);
	mutex_unlock(&contexts_lock);
	object_destroy_all(ictx);
	object_table_release(&ictx->objects);
	mutex_destroy(&ictx->mmap_lock);
	free(ictx);
}

/* An access or a fault queue still open keeps the context, and what it
 * uses, until it is closed too. */
PUBLIC void iommusim_close(struct iommusim_ctx *ctx)
{
	if (!ctx)
		return;
	fork_gate_enter();
	iommufd_ctx_put((struct iommufd_ctx *)ctx);
	fork_gate_leave();
}

/* ---- the iommufd as a file ----------------------------------------------- */

/* vfs_ioctl() traced the call already. */
static long iommufd_fops_ioctl(struct file *file, unsigned int cmd,
			       uint64_t arg)
{
	return iommufd_ioctl(file->private_data, cmd, arg);
}

static int iommufd_fops_mmap(struct file *file, struct file_mmap_req *req)
{
	int rc;

	fork_gate_enter();
	rc = iommufd_mmap(file->private_data, req);
	fork_gate_leave();
	return rc;
}

static void iommufd_fops_release(struct file *file)
{
	iommusim_close(file->private_data);
}

static int iommufd_fops_reopen(struct file *file, int flags);

/* No read, write or poll: the kernel's iommufd has none either; mmap()
 * maps a vIOMMU's region. One table per device node, so that a reopen
 * knows which node it was. */
static const struct file_operations iommufd_fops[] = {
	[IOMMUFD_NODE_IOMMU] = {
		.name = "iommufd",
		.ioctl = iommufd_fops_ioctl,
		.mmap = iommufd_fops_mmap,
		.release = iommufd_fops_release,
		.reopen = iommufd_fops_reopen,
		.trace = &iommufd_trace_file,
	},
	[IOMMUFD_NODE_VFIO_CONTAINER] = {
		.name = "iommufd (vfio)",
		.ioctl = iommufd_fops_ioctl,
		.mmap = iommufd_fops_mmap,
		.release = iommufd_fops_release,
		.reopen = iommufd_fops_reopen,
		.trace = &iommufd_trace_file,
	},
};

int iommufd_fops_open(enum iommufd_node node, int flags)
{
	struct iommusim_ctx *ctx;
	int fd, rc;

	rc = iommusim_open(&ctx);
	if (rc)
		return rc;
	if (node == IOMMUFD_NODE_VFIO_CONTAINER)
		((struct iommufd_ctx *)ctx)->account_mode =
			IOPT_PAGES_ACCOUNT_MM;
	fd = file_install_new(&iommufd_fops[node], ctx, flags,
			      FILE_PLACEHOLDER_NODE);
	if (fd < 0)
		iommusim_close(ctx);
	return fd;
}

/* Only ever called with one of the tables above. */
static int iommufd_fops_reopen(struct file *file, int flags)
{
	return iommufd_fops_open(
		(enum iommufd_node)(file->f_op - iommufd_fops), flags);
}

static bool is_iommufd(const struct file *file)
{
	return file->f_op == &iommufd_fops[IOMMUFD_NODE_IOMMU] ||
	       file->f_op == &iommufd_fops[IOMMUFD_NODE_VFIO_CONTAINER];
}

struct iommufd_ctx *iommufd_ctx_from_file(struct file *file)
{
	return is_iommufd(file) ? file->private_data : NULL;
}
