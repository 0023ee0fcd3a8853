// SPDX-License-Identifier: MIT
/*
 * The VFIO type1 container ioctls, which the kernel answers on any iommufd
 * file (they are how /dev/vfio/vfio is served by iommufd). Numbers outside
 * the iommufd command range land here.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "iommufd/iommufd_private.h"

/* From <linux/vfio.h>: type ';', numbers from 100. */
#define VFIO_TYPE ';'
#define VFIO_BASE 100
#define VFIO_GET_API_VERSION _IO(VFIO_TYPE, VFIO_BASE + 0)
#define VFIO_CHECK_EXTENSION _IO(VFIO_TYPE, VFIO_BASE + 1)
#define VFIO_SET_IOMMU _IO(VFIO_TYPE, VFIO_BASE + 2)
#define VFIO_IOMMU_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 12)
#define VFIO_IOMMU_MAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 13)
#define VFIO_IOMMU_UNMAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 14)
#define VFIO_API_VERSION 0

int iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
		       uint64_t arg)
{
	(void)ictx;
	(void)arg;
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
	case VFIO_SET_IOMMU:
	case VFIO_IOMMU_GET_INFO:
	case VFIO_IOMMU_MAP_DMA:
	case VFIO_IOMMU_UNMAP_DMA:
		/* The VFIO compatibility layer has its own issue. */
		return -EOPNOTSUPP;
	default:
		return -ENOTTY;
	}
}
