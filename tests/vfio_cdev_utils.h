/* SPDX-License-Identifier: MIT */
/*
 * Configured VT-d devices and their VFIO cdevs, for the tests that use them
 * (uapi/ and shim/). Including this sets IOMMUSIM_DEVICES before main(), so
 * a test linked with the library directly and one run through the shim see
 * the same platform; each test's child reads it at its first open.
 *
 *   vfio0  vtd                       everything on: 20 PASID bits, dirty
 *                                    tracking, PRS, SRE, 5 levels
 *   vfio1  vtd,pasid=0,dirty=off,prs=off,sre=off,levels=4
 *   vfio2  vtd,pasid=8,dirty=off
 */
#ifndef IOMMUSIM_TESTS_VFIO_CDEV_UTILS_H
#define IOMMUSIM_TESTS_VFIO_CDEV_UTILS_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include <iommusim/uapi/vfio_device.h>

/* A test with devices of its own defines VTD_DEVICES before this. */
#ifndef VTD_DEVICES
#define VTD_DEVICES                                                            \
	"vtd;vtd,pasid=0,dirty=off,prs=off,sre=off,levels=4;vtd,pasid=8,dirty=off"
#define VTD_FULL 0u
#define VTD_MINIMAL 1u
#define VTD_PASID8 2u
#define VTD_DEVICE_COUNT 3u
#endif

__attribute__((constructor)) static void vtd_devices_setup(void)
{
	if (setenv("IOMMUSIM_DEVICES", VTD_DEVICES, 1)) {
		perror("setenv");
		exit(1);
	}
}

static inline int vfio_cdev_open(unsigned int n)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", n);
	return open(path, O_RDWR | O_CLOEXEC);
}

static inline int _vfio_bind(int vfd, int iommufd, __u32 *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	int ret = ioctl(vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	if (!ret && devid)
		*devid = bind.out_devid;
	return ret;
}

/* flags VFIO_DEVICE_ATTACH_PASID takes pasid; *pt_id in and out. */
static inline int _vfio_attach(int vfd, __u32 flags, __u32 pasid,
			       __u32 *pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.flags = flags,
		.pt_id = *pt_id,
		.pasid = pasid,
	};
	int ret = ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);

	if (!ret)
		*pt_id = attach.pt_id;
	return ret;
}

static inline int _vfio_detach(int vfd, __u32 flags, __u32 pasid)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = sizeof(detach),
		.flags = flags,
		.pasid = pasid,
	};

	return ioctl(vfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

#endif /* IOMMUSIM_TESTS_VFIO_CDEV_UTILS_H */
