/* SPDX-License-Identifier: MIT */
/*
 * iommusim: Linux's iommufd (/dev/iommu) as a userspace library.
 *
 * A context is what one open of /dev/iommu is on the kernel: it owns every
 * object (IOAS, HWPT, device binding, ...) created through it, and closing it
 * destroys them all. Commands are the iommufd ioctls themselves, with the
 * kernel's numbers and structs from <iommusim/uapi/iommufd.h>.
 *
 * Every function returns 0 (or a non-negative result) on success and a
 * negative errno on failure; none of them touches the caller's errno.
 * All functions are thread-safe; one context may be used by many threads.
 */
#ifndef IOMMUSIM_IOMMUSIM_H
#define IOMMUSIM_IOMMUSIM_H

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_ctx;

/* The library's version as "MAJOR.MINOR.PATCH". */
const char *iommusim_version(void);

/*
 * Opens a new, empty context, as open("/dev/iommu") would.
 * On success stores it in *ctxp and returns 0; else returns -errno.
 */
int iommusim_open(struct iommusim_ctx **ctxp);

/*
 * Runs one iommufd command on the context, as ioctl(fd, request, arg) would:
 * same request numbers, same struct in and out, same error rules. Returns the
 * command's non-negative result, or -errno (-ENOTTY for an unknown request,
 * -EFAULT when arg or a pointer inside it cannot be read or written).
 */
int iommusim_ioctl(struct iommusim_ctx *ctx, unsigned long request, void *arg);

struct iommusim_dma;

/*
 * The device behind device_fd, a VFIO device descriptor opened through this
 * library (/dev/vfio/devices/vfioN, bound to a context), does the DMA that
 * dma describes, as ioctl(device_fd, IOMMUSIM_DMA, dma) would
 * (<iommusim/uapi/iommusim.h>). Returns 0 when every byte moved, -EIO when
 * a translation fault stopped the transfer (dma's out_ fields say where and
 * why), or another -errno; -EBADF when device_fd is no such device.
 */
int iommusim_dma(int device_fd, struct iommusim_dma *dma);

/*
 * Closes the context: destroys every object it still holds, as the last
 * close() of the file does on the kernel. ctx must not be used afterwards.
 * Passing NULL does nothing.
 */
void iommusim_close(struct iommusim_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_IOMMUSIM_H */
