/* SPDX-License-Identifier: MIT */
/*
 * The emulated VFIO device cdevs, /dev/vfio/devices/vfioN: one for each
 * configured device (iommu/platform_config.h), N its place in the
 * configuration. What the preload shim may ask of this layer.
 */
#ifndef IOMMUSIM_VFIO_VFIO_H
#define IOMMUSIM_VFIO_VFIO_H

#include <stdbool.h>
#include <stdint.h>

/* Whether vfio<minor> exists. */
bool vfio_device_cdev_exists(uint32_t minor);

/*
 * A new open of vfio<minor>: a new file with its descriptor (flags as
 * file_install_new() takes them), or -errno (-ENOENT when there is no such
 * device). The caller has made the checks the kernel makes of any
 * character-device open.
 */
int vfio_device_cdev_open(uint32_t minor, int flags);

#endif /* IOMMUSIM_VFIO_VFIO_H */
