// SPDX-License-Identifier: MIT
/*
 * A VFIO device cdev as a library file: the kernel's vfio/device_cdev.c and
 * the parts of vfio_main.c and vfio/iommufd.c behind it, for a vfio-pci
 * device with no BARs.
 *
 * Per device (struct vfio_device) one lock, the kernel's dev_set->lock, and
 * whether an open of it is bound: a cdev device is bound by one open at a
 * time (vfio_df_open()'s "open_count != 0" check: EINVAL). Per open (struct
 * vfio_device_file) the binding: the iommufd file it holds a reference on,
 * as the kernel's df->iommufd does, so the context outlives the binding
 * even when the program closes its iommufd first; and the device's handle
 * in that context.
 *
 * Before VFIO_DEVICE_BIND_IOMMUFD every other command is EINVAL; after it a
 * command vfio-pci has and iommusim does not (regions, interrupts, reset,
 * features) is ENOTTY, as for one vfio-pci does not know.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommusim.h>
#include <iommusim/uapi/vfio_device.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/fork_gate.h"
#include "base/reentry.h"
#include "base/usermem.h"
#include "iommufd/device.h"
#include "iommufd/iommufd.h"
#include "iommu/platform_config.h"
#include "vfio/device_trace.h"
#include "vfio/vfio.h"
#include "vfio/vfio_dma.h"

#define PUBLIC __attribute__((visibility("default")))

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* One per configured device that was ever opened; never freed, as the
 * device it stands for. */
struct vfio_device {
	struct device *dev; /* holds a reference */
	uint32_t minor;
	pthread_mutex_t lock; /* the kernel's dev_set->lock */
	bool bound;	      /* under lock: an open of it is bound */
};

/* One open. */
struct vfio_device_file {
	struct vfio_device *vdev;
	/* Set under vdev->lock before access_granted is published; constant
	 * until release. */
	struct file *iommufd_file;
	struct iommufd_device *idev;
	bool access_granted; /* __atomic: bound */
};

static pthread_mutex_t vfio_devices_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfio_device **vfio_devices; /* by minor, under the lock */

/* ---- devices -------------------------------------------------------------- */

bool vfio_device_cdev_exists(uint32_t minor)
{
	return !iommufd_global_init() && minor < platform_configured_count();
}

static struct vfio_device *vfio_device_get(uint32_t minor)
{
	struct vfio_device *vdev = NULL;
	uint32_t count = platform_configured_count();

	if (minor >= count)
		return NULL;
	pthread_mutex_lock(&vfio_devices_lock);
	if (!vfio_devices)
		vfio_devices = boot_calloc(count, sizeof(*vfio_devices));
	if (!vfio_devices)
		goto out_unlock;
	vdev = vfio_devices[minor];
	if (vdev)
		goto out_unlock;
	vdev = boot_calloc(1, sizeof(*vdev));
	if (!vdev)
		goto out_unlock;
	vdev->dev = platform_get_configured_device(minor);
	vdev->minor = minor;
	pthread_mutex_init(&vdev->lock, NULL);
	vfio_devices[minor] = vdev;
out_unlock:
	pthread_mutex_unlock(&vfio_devices_lock);
	return vdev;
}

/* ---- binding ---------------------------------------------------------------- */

/* Whether fd is an open descriptor of this process, errno untouched. */
static bool fd_is_open(int fd)
{
	int saved_errno = errno;
	bool open = syscall(SYS_fcntl, fd, F_GETFD) >= 0;

	errno = saved_errno;
	return open;
}

/* The context behind the descriptor a BIND names, its file held in
 * *filep: the kernel's iommufd_ctx_from_fd(), -EBADF for no open
 * descriptor, -EBADFD for one that is not an iommufd. */
static int iommufd_ctx_from_fd(int fd, struct file **filep,
			       struct iommufd_ctx **ictxp)
{
	struct file *file = fget(fd);

	if (!file)
		return fd_is_open(fd) ? -EBADFD : -EBADF;
	*ictxp = iommufd_ctx_from_file(file);
	if (!*ictxp) {
		fput(file);
		return -EBADFD;
	}
	*filep = file;
	return 0;
}

/* The PF/VF token (vfio-pci's match_token_uuid): this device is neither a
 * PF with VFs nor a VF, so a token given is one too many. */
static int check_token(const struct usermem *mm,
		       const struct vfio_device_bind_iommufd *bind)
{
	uint8_t uuid[16];
	int rc;

	if (!(bind->flags & VFIO_DEVICE_BIND_FLAG_TOKEN))
		return 0;
	rc = usermem_copy_from(mm, uuid, bind->token_uuid_ptr, sizeof(uuid));
	return rc ? rc : -EINVAL;
}

/* The binding proper, vdev->lock held: the context, the device bound in
 * it, out_devid written. */
static int bind_locked(struct vfio_device_file *df, const struct usermem *mm,
		       uint64_t arg, const struct vfio_device_bind_iommufd *bind)
{
	struct vfio_device *vdev = df->vdev;
	struct iommufd_device *idev;
	struct iommufd_ctx *ictx;
	struct file *file;
	uint32_t devid;
	int rc;

	if (__atomic_load_n(&df->access_granted, __ATOMIC_ACQUIRE))
		return -EINVAL;
	rc = check_token(mm, bind);
	if (rc)
		return rc;
	rc = iommufd_ctx_from_fd(bind->iommufd, &file, &ictx);
	if (rc)
		return rc;
	/* one bound open per cdev device */
	if (vdev->bound) {
		rc = -EINVAL;
		goto out_put_file;
	}
	idev = iommufd_device_bind(ictx, vdev->dev, &devid, &rc);
	if (!idev)
		goto out_put_file;
	rc = usermem_copy_to(mm, arg + offsetof(struct vfio_device_bind_iommufd,
						out_devid),
			     &devid, sizeof(devid));
	if (rc)
		goto out_unbind;
	vdev->bound = true;
	df->iommufd_file = file;
	df->idev = idev;
	__atomic_store_n(&df->access_granted, true, __ATOMIC_RELEASE);
	return 0;

out_unbind:
	iommufd_device_unbind(idev);
out_put_file:
	fput(file);
	return rc;
}

/* VFIO_DEVICE_BIND_IOMMUFD, in the newest kernel's order: the size, the
 * struct (its unknown tail must be zero), the fields, then the binding. */
static long vfio_bind(struct vfio_device_file *df, const struct usermem *mm,
		      uint64_t arg)
{
	const size_t minsz = END_OF(struct vfio_device_bind_iommufd, out_devid);
	struct vfio_device_bind_iommufd bind;
	uint32_t argsz;
	int rc;

	rc = usermem_copy_from(mm, &argsz, arg, sizeof(argsz));
	if (rc)
		return rc;
	if (argsz < minsz)
		return -EINVAL;
	rc = usermem_copy_struct_from(mm, &bind, sizeof(bind), arg, argsz);
	if (rc)
		return rc;
	if (bind.iommufd < 0 || (bind.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN))
		return -EINVAL;
	pthread_mutex_lock(&df->vdev->lock);
	rc = bind_locked(df, mm, arg, &bind);
	pthread_mutex_unlock(&df->vdev->lock);
	return rc;
}

/* Closing the file unbinds: every PASID and the RID detached first, as
 * vfio's unbind does, then the device leaves the context. */
static void vfio_unbind(struct vfio_device_file *df)
{
	struct vfio_device *vdev = df->vdev;

	if (!__atomic_load_n(&df->access_granted, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vdev->lock);
	iommufd_device_detach_pasids(df->idev);
	iommufd_device_detach(df->idev, IOMMU_NO_PASID);
	iommufd_device_unbind(df->idev);
	vdev->bound = false;
	pthread_mutex_unlock(&vdev->lock);
	/* may be the context's last reference: it closes here */
	fput(df->iommufd_file);
}

/* ---- attach and detach ------------------------------------------------------ */

/*
 * The struct of ATTACH or DETACH: the fields up to minsz, then, when a
 * flag asks for the PASID, up to xend (the kernel's "xend" rule: only what
 * the flags name is read, and argsz must cover it).
 */
static int copy_pt_struct(const struct usermem *mm, uint64_t arg, void *dst,
			  size_t minsz, uint32_t known_flags, size_t xend)
{
	uint32_t head[2]; /* argsz, flags */
	int rc = usermem_copy_from(mm, dst, arg, minsz);

	if (rc)
		return rc;
	memcpy(head, dst, sizeof(head));
	if (head[0] < minsz || (head[1] & ~known_flags))
		return -EINVAL;
	if (!(head[1] & known_flags))
		return 0;
	if (head[0] < xend)
		return -EINVAL;
	return usermem_copy_from(mm, (uint8_t *)dst + minsz, arg + minsz,
				 xend - minsz);
}

/* vfio-pci's (pasid_)attach_ioas: a second attach of the same PASID (or
 * of the RID) replaces. */
static int attach_locked(struct iommufd_device *idev, uint32_t pasid,
			 uint32_t *pt_id)
{
	if (iommufd_device_pasid_attached_to(idev, pasid, NULL))
		return iommufd_device_attach(idev, pasid, pt_id);
	return iommufd_device_replace(idev, pasid, pt_id);
}

static long vfio_attach_pt(struct vfio_device_file *df,
			   const struct usermem *mm, uint64_t arg)
{
	struct vfio_device_attach_iommufd_pt attach = { 0 };
	uint32_t pasid;
	int rc;

	rc = copy_pt_struct(mm, arg, &attach,
			    END_OF(struct vfio_device_attach_iommufd_pt, pt_id),
			    VFIO_DEVICE_ATTACH_PASID,
			    END_OF(struct vfio_device_attach_iommufd_pt, pasid));
	if (rc)
		return rc;
	pasid = attach.flags & VFIO_DEVICE_ATTACH_PASID ? attach.pasid :
							  IOMMU_NO_PASID;
	pthread_mutex_lock(&df->vdev->lock);
	rc = attach_locked(df->idev, pasid, &attach.pt_id);
	if (rc)
		goto out_unlock;
	rc = usermem_copy_to(mm,
			     arg + offsetof(struct vfio_device_attach_iommufd_pt,
					    pt_id),
			     &attach.pt_id, sizeof(attach.pt_id));
	if (rc)
		iommufd_device_detach(df->idev, pasid);
out_unlock:
	pthread_mutex_unlock(&df->vdev->lock);
	return rc;
}

/* Detaching what is not attached does nothing, and succeeds. */
static long vfio_detach_pt(struct vfio_device_file *df,
			   const struct usermem *mm, uint64_t arg)
{
	struct vfio_device_detach_iommufd_pt detach = { 0 };
	int rc;

	rc = copy_pt_struct(mm, arg, &detach,
			    END_OF(struct vfio_device_detach_iommufd_pt, flags),
			    VFIO_DEVICE_DETACH_PASID,
			    END_OF(struct vfio_device_detach_iommufd_pt, pasid));
	if (rc)
		return rc;
	pthread_mutex_lock(&df->vdev->lock);
	iommufd_device_detach(df->idev, detach.flags & VFIO_DEVICE_DETACH_PASID ?
						detach.pasid :
						IOMMU_NO_PASID);
	pthread_mutex_unlock(&df->vdev->lock);
	return 0;
}

/* ---- device information ----------------------------------------------------- */

/*
 * VFIO_DEVICE_GET_INFO as vfio-pci answers for a device without reset
 * (no FLR, no PM reset: no VFIO_DEVICE_FLAGS_RESET): a PCI device, the
 * fixed count of vfio-pci regions (BARs 0-5, ROM, config, VGA; a BAR the
 * device lacks has size 0) and of interrupt indexes (INTx, MSI, MSI-X,
 * error, request). Only the fields up to num_irqs are written.
 */
static long vfio_get_info(const struct usermem *mm, uint64_t arg)
{
	const size_t minsz = END_OF(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;
	int rc = usermem_copy_from(mm, &info, arg, minsz);

	if (rc)
		return rc;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return usermem_copy_to(mm, arg, &info, minsz);
}

/* ---- the file ---------------------------------------------------------------- */

static long vfio_ioctl_bound(struct vfio_device_file *df,
			     const struct usermem *mm, unsigned int cmd,
			     uint64_t arg)
{
	switch (cmd) {
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return vfio_attach_pt(df, mm, arg);
	case VFIO_DEVICE_DETACH_IOMMUFD_PT:
		return vfio_detach_pt(df, mm, arg);
	case VFIO_DEVICE_GET_INFO:
		return vfio_get_info(mm, arg);
	case IOMMUSIM_DMA:
		return vfio_device_dma(df->idev, mm, arg);
	default:
		return -ENOTTY;
	}
}

static long vfio_fops_ioctl(struct file *file, unsigned int cmd, uint64_t arg)
{
	struct vfio_device_file *df = file->private_data;
	const struct usermem *mm = usermem_self();
	long rc;

	fork_gate_enter();
	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		rc = vfio_bind(df, mm, arg);
	else if (!__atomic_load_n(&df->access_granted, __ATOMIC_ACQUIRE))
		rc = -EINVAL;
	else
		rc = vfio_ioctl_bound(df, mm, cmd, arg);
	fork_gate_leave();
	return rc;
}

static void vfio_fops_release(struct file *file)
{
	struct vfio_device_file *df = file->private_data;

	fork_gate_enter();
	vfio_unbind(df);
	fork_gate_leave();
	free(df);
}

static int vfio_fops_reopen(struct file *file, int flags)
{
	struct vfio_device_file *df = file->private_data;

	return vfio_device_cdev_open(df->vdev->minor, flags);
}

/* No read, write or mmap: a device without regions (the VFS answers
 * EINVAL, as vfio-pci does for an offset in no region). */
static const struct file_operations vfio_device_fops = {
	.name = "vfio-device",
	.ioctl = vfio_fops_ioctl,
	.release = vfio_fops_release,
	.reopen = vfio_fops_reopen,
	.trace = &vfio_device_trace_file,
};

/*
 * The library's way to IOMMUSIM_DMA: the command on the VFIO device fd of
 * this library's file table, as ioctl() through the shim would run it.
 * -EBADF for a descriptor that is not such a device.
 */
PUBLIC int iommusim_dma(int device_fd, struct iommusim_dma *dma)
{
	struct file *file = fget(device_fd);
	long rc;

	if (!file)
		return -EBADF;
	if (file->f_op != &vfio_device_fops)
		rc = -EBADF;
	else
		rc = REENTRY_GUARDED(long,
				     vfio_fops_ioctl(file, IOMMUSIM_DMA,
						     (uint64_t)(uintptr_t)dma));
	fput(file);
	return (int)rc;
}

int vfio_device_cdev_open(uint32_t minor, int flags)
{
	struct vfio_device_file *df;
	struct vfio_device *vdev;
	int rc, fd;

	rc = iommufd_global_init();
	if (rc)
		return rc;
	if (minor >= platform_configured_count())
		return -ENOENT;
	vdev = vfio_device_get(minor);
	if (!vdev)
		return -ENOMEM;
	df = lib_calloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	df->vdev = vdev;
	fd = file_install_new(&vfio_device_fops, df, flags,
			      FILE_PLACEHOLDER_NODE);
	if (fd < 0)
		free(df);
	return fd;
}
