// SPDX-License-Identifier: MIT
/*
 * How the trace decodes the calls on a VFIO device cdev: one descriptor
 * per struct, one entry per ioctl, as src/iommufd/trace_decode.c does for
 * the iommufd.
 */
#include <iommusim/uapi/iommusim.h>
#include <iommusim/uapi/vfio_device.h>

#include "vfio/device_trace.h"

#define IN(s, m, fmt, names) TRACE_FIELD(s, m, TRACE_##fmt, TRACE_IN, names)
#define OUT(s, m, fmt, names) TRACE_FIELD(s, m, TRACE_##fmt, TRACE_OUT, names)
#define DEF_STRUCT(s, ...)                                                     \
	static const struct trace_field s##_fields[] = { __VA_ARGS__ };        \
	static const struct trace_struct s##_desc =                            \
		TRACE_STRUCT(s, s##_fields)

static const struct trace_name bind_flags[] = {
	{ VFIO_DEVICE_BIND_FLAG_TOKEN, "TOKEN" },
	{ 0, NULL },
};

static const struct trace_name attach_flags[] = {
	{ VFIO_DEVICE_ATTACH_PASID, "PASID" },
	{ 0, NULL },
};

static const struct trace_name detach_flags[] = {
	{ VFIO_DEVICE_DETACH_PASID, "PASID" },
	{ 0, NULL },
};

static const struct trace_name device_info_flags[] = {
	{ VFIO_DEVICE_FLAGS_RESET, "RESET" },
	{ VFIO_DEVICE_FLAGS_PCI, "PCI" },
	{ VFIO_DEVICE_FLAGS_PLATFORM, "PLATFORM" },
	{ VFIO_DEVICE_FLAGS_AMBA, "AMBA" },
	{ VFIO_DEVICE_FLAGS_CCW, "CCW" },
	{ VFIO_DEVICE_FLAGS_AP, "AP" },
	{ VFIO_DEVICE_FLAGS_FSL_MC, "FSL_MC" },
	{ VFIO_DEVICE_FLAGS_CAPS, "CAPS" },
	{ 0, NULL },
};

static const struct trace_name dma_flags[] = {
	{ IOMMUSIM_DMA_WRITE, "WRITE" },
	{ IOMMUSIM_DMA_PASID, "PASID" },
	{ IOMMUSIM_DMA_PRIV, "PRIV" },
	{ IOMMUSIM_DMA_WAIT_PRI, "WAIT_PRI" },
	{ 0, NULL },
};

static const struct trace_name dma_fault_reasons[] = {
	{ IOMMUSIM_FAULT_NONE, "NONE" },
	{ IOMMUSIM_FAULT_BLOCKED, "BLOCKED" },
	{ IOMMUSIM_FAULT_NOT_PRESENT, "NOT_PRESENT" },
	{ IOMMUSIM_FAULT_READ, "READ" },
	{ IOMMUSIM_FAULT_WRITE, "WRITE" },
	{ IOMMUSIM_FAULT_PRIV, "PRIV" },
	{ IOMMUSIM_FAULT_ADDRESS, "ADDRESS" },
	{ IOMMUSIM_FAULT_TABLE, "TABLE" },
	{ 0, NULL },
};

DEF_STRUCT(vfio_device_bind_iommufd,
	   IN(vfio_device_bind_iommufd, argsz, DEC, NULL),
	   IN(vfio_device_bind_iommufd, flags, FLAGS, bind_flags),
	   IN(vfio_device_bind_iommufd, iommufd, SDEC, NULL),
	   OUT(vfio_device_bind_iommufd, out_devid, ID, NULL),
	   IN(vfio_device_bind_iommufd, token_uuid_ptr, HEX, NULL));

DEF_STRUCT(vfio_device_attach_iommufd_pt,
	   IN(vfio_device_attach_iommufd_pt, argsz, DEC, NULL),
	   IN(vfio_device_attach_iommufd_pt, flags, FLAGS, attach_flags),
	   TRACE_FIELD(vfio_device_attach_iommufd_pt, pt_id, TRACE_ID,
		       TRACE_INOUT, NULL),
	   IN(vfio_device_attach_iommufd_pt, pasid, DEC, NULL));

DEF_STRUCT(vfio_device_detach_iommufd_pt,
	   IN(vfio_device_detach_iommufd_pt, argsz, DEC, NULL),
	   IN(vfio_device_detach_iommufd_pt, flags, FLAGS, detach_flags),
	   IN(vfio_device_detach_iommufd_pt, pasid, DEC, NULL));

DEF_STRUCT(vfio_device_info,
	   IN(vfio_device_info, argsz, DEC, NULL),
	   OUT(vfio_device_info, flags, FLAGS, device_info_flags),
	   OUT(vfio_device_info, num_regions, DEC, NULL),
	   OUT(vfio_device_info, num_irqs, DEC, NULL),
	   OUT(vfio_device_info, cap_offset, DEC, NULL));

/* A fault stops the call with EIO, and the out_ fields say where: the
 * trace prints outputs only for a success, so for a DMA they are what a
 * complete transfer reports; the "dma" event carries a fault's details. */
DEF_STRUCT(iommusim_dma,
	   IN(iommusim_dma, size, DEC, NULL),
	   IN(iommusim_dma, flags, FLAGS, dma_flags),
	   IN(iommusim_dma, pasid, DEC, NULL),
	   IN(iommusim_dma, __reserved, RESERVED, NULL),
	   IN(iommusim_dma, iova, HEX, NULL),
	   IN(iommusim_dma, length, HEX, NULL),
	   IN(iommusim_dma, buf_uptr, HEX, NULL),
	   OUT(iommusim_dma, out_done, HEX, NULL),
	   OUT(iommusim_dma, out_fault_iova, HEX, NULL),
	   OUT(iommusim_dma, out_fault_reason, ENUM, dma_fault_reasons),
	   OUT(iommusim_dma, out_fault_stage, DEC, NULL));

#define CMD(c, s)                                                              \
	{                                                                      \
		.cmd = c, .name = #c, .arg = TRACE_ARG_STRUCT,                 \
		.st = &s##_desc,                                               \
	}

static const struct trace_ioctl vfio_device_ioctls[] = {
	CMD(VFIO_DEVICE_BIND_IOMMUFD, vfio_device_bind_iommufd),
	CMD(VFIO_DEVICE_ATTACH_IOMMUFD_PT, vfio_device_attach_iommufd_pt),
	CMD(VFIO_DEVICE_DETACH_IOMMUFD_PT, vfio_device_detach_iommufd_pt),
	CMD(VFIO_DEVICE_GET_INFO, vfio_device_info),
	CMD(IOMMUSIM_DMA, iommusim_dma),
};

const struct trace_file vfio_device_trace_file = {
	.ioctls = vfio_device_ioctls,
	.nioctls = sizeof(vfio_device_ioctls) / sizeof(vfio_device_ioctls[0]),
};

const struct trace_struct *const vfio_trace_structs[] = {
	&vfio_device_bind_iommufd_desc,
	&vfio_device_attach_iommufd_pt_desc,
	&vfio_device_detach_iommufd_pt_desc,
	&vfio_device_info_desc,
	&iommusim_dma_desc,
};
const size_t vfio_trace_nstructs =
	sizeof(vfio_trace_structs) / sizeof(vfio_trace_structs[0]);
