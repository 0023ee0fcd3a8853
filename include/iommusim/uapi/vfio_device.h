/* SPDX-License-Identifier: MIT */
/*
 * iommusim: the VFIO device cdev's iommufd commands (/dev/vfio/devices/vfioN),
 * binary-identical to the newest upstream include/uapi/linux/vfio.h:
 * VFIO_DEVICE_BIND_IOMMUFD (with its token), VFIO_DEVICE_ATTACH_IOMMUFD_PT
 * and VFIO_DEVICE_DETACH_IOMMUFD_PT (with their PASID forms). Everything
 * else of VFIO comes from the system's <linux/vfio.h>, which this header
 * includes.
 *
 * The system header may predate these commands (before Linux 6.6) or know
 * them without their PASID and token fields (before 6.13 and 6.17). So its
 * versions of the three structs are renamed while it is included, and the
 * newest layouts take the kernel's names. Include this header before
 * <linux/vfio.h>, or without it: after a copy that has the structs but not
 * their newest fields, there is no way to add the fields, and the build
 * stops with a message saying so. tests/unit/uapi_layout.c pins every size,
 * offset and number.
 *
 * Field notes use "in", "out" and "in/out" from the caller's side.
 */
#ifndef IOMMUSIM_UAPI_VFIO_DEVICE_H
#define IOMMUSIM_UAPI_VFIO_DEVICE_H

#if defined(_UAPIVFIO_H) && defined(VFIO_DEVICE_BIND_FLAG_TOKEN) &&            \
	defined(VFIO_DEVICE_ATTACH_PASID)
/* A complete copy came first: it has everything below. */
#define IOMMUSIM_VFIO_DEVICE_FROM_SYSTEM 1
#elif defined(_UAPIVFIO_H) && defined(VFIO_DEVICE_BIND_IOMMUFD)
#error "include <iommusim/uapi/vfio_device.h> before <linux/vfio.h>: this copy of <linux/vfio.h> lacks the PASID and token fields"
#else
#define vfio_device_bind_iommufd iommusim_system_vfio_device_bind_iommufd
#define vfio_device_attach_iommufd_pt                                          \
	iommusim_system_vfio_device_attach_iommufd_pt
#define vfio_device_detach_iommufd_pt                                          \
	iommusim_system_vfio_device_detach_iommufd_pt
#include <linux/vfio.h>
#undef vfio_device_bind_iommufd
#undef vfio_device_attach_iommufd_pt
#undef vfio_device_detach_iommufd_pt
#endif

#ifndef IOMMUSIM_VFIO_DEVICE_FROM_SYSTEM

#include <linux/ioctl.h>
#include <linux/types.h>

#ifndef __aligned_u64
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#endif

/*
 * VFIO_DEVICE_BIND_IOMMUFD: bind the device to an iommufd context. Every
 * other command on the device fd is EINVAL before it; closing the fd
 * unbinds. One open of a device at a time may be bound.
 *   argsz           in   size of the struct (16 without the token)
 *   flags           in   VFIO_DEVICE_BIND_FLAG_TOKEN or 0
 *   iommufd         in   descriptor of an iommufd (/dev/iommu)
 *   out_devid       out  the device's ID in that context (dev_id of the
 *                        iommufd commands)
 *   token_uuid_ptr  in   with the flag: u64 user pointer to a 16-byte UUID,
 *                        the PF/VF token of SR-IOV devices
 */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;
};

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: point the device's DMA (or one PASID's)
 * at an IOAS (an automatic HWPT is found or made), a paging HWPT or a
 * nested HWPT. Attaching again replaces.
 *   argsz   in      size (12 without the PASID, 16 with it)
 *   flags   in      VFIO_DEVICE_ATTACH_PASID or 0
 *   pt_id   in/out  IOAS or HWPT; out: the HWPT attached
 *   pasid   in      with the flag: the PASID
 */
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
	__u32 pasid;
};

/*
 * VFIO_DEVICE_DETACH_IOMMUFD_PT: block the device's DMA (or one PASID's).
 *   argsz   in  size (8 without the PASID, 12 with it)
 *   flags   in  VFIO_DEVICE_DETACH_PASID or 0
 *   pasid   in  with the flag: the PASID
 */
struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
};

#undef VFIO_DEVICE_BIND_FLAG_TOKEN
#undef VFIO_DEVICE_ATTACH_PASID
#undef VFIO_DEVICE_DETACH_PASID
#undef VFIO_DEVICE_BIND_IOMMUFD
#undef VFIO_DEVICE_ATTACH_IOMMUFD_PT
#undef VFIO_DEVICE_DETACH_IOMMUFD_PT
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
#define VFIO_DEVICE_ATTACH_PASID (1 << 0)
#define VFIO_DEVICE_DETACH_PASID (1 << 0)
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)

#endif /* !IOMMUSIM_VFIO_DEVICE_FROM_SYSTEM */

#endif /* IOMMUSIM_UAPI_VFIO_DEVICE_H */
