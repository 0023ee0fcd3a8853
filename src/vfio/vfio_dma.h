/* SPDX-License-Identifier: MIT */
/*
 * IOMMUSIM_DMA, the device's DMA as iommusim's own command on a bound VFIO
 * device (include/iommusim/uapi/iommusim.h has the ABI).
 */
#ifndef IOMMUSIM_VFIO_VFIO_DMA_H
#define IOMMUSIM_VFIO_VFIO_DMA_H

#include <stdint.h>

struct iommufd_device;
struct usermem;

/* The command at user address arg for the bound device idev: 0 or -errno
 * (the ABI's errno). */
long vfio_device_dma(struct iommufd_device *idev, const struct usermem *mm,
		     uint64_t arg);

#endif /* IOMMUSIM_VFIO_VFIO_DMA_H */
