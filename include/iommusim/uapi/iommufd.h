/* SPDX-License-Identifier: MIT */
/*
 * iommusim: the /dev/iommu ioctl interface, binary-identical to Linux's
 * include/uapi/linux/iommufd.h (newest upstream; see the notes at the end).
 *
 * Every number, name, struct layout and padding field below matches the
 * kernel's header, so a program compiled against either one talks to the
 * other. The text is ours. tests/unit/uapi_layout.c pins every size, offset
 * and ioctl number to literal values taken from the kernel.
 *
 * The include guard is the kernel's own on purpose: whichever of the two
 * headers is included first wins and the second is a no-op, so mixing them
 * never produces duplicate definitions.
 *
 * How every command works (the "extensible by size" rule):
 *   - the argument is a pointer to a struct whose first __u32 is its size;
 *   - a size below the command's minimum (the struct as first released) is
 *     EINVAL; bytes beyond what the implementation knows must be zero, else
 *     E2BIG; missing trailing fields read as zero and zero means "not used";
 *   - unknown ioctl numbers fail with ENOTTY.
 * Usual errnos: EOPNOTSUPP for a value understood but not supported, EINVAL
 * for a bad field, ENOENT for a missing ID or IOVA, ENOMEM, EOVERFLOW.
 *
 * Field notes below use "in", "out" and "in/out" from the caller's side.
 * "u64 user pointer" fields carry a pointer cast to __u64.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Old <linux/types.h> copies may predate the 8-byte-aligned helpers. */
#ifndef __aligned_u64
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#endif
#ifndef __aligned_le64
#define __aligned_le64 __le64 __attribute__((aligned(8)))
#endif

/* The ioctl "type" byte shared by every iommufd command. */
#define IOMMUFD_TYPE (';')

/* ------------------------------------------------------------------------
 * Command numbers (the _IOC_NR part). 0x80 is the first; the table in the
 * kernel is indexed by (nr - IOMMUFD_CMD_BASE). The selftest command sits
 * at IOMMUFD_CMD_BASE + 32, see iommufd_test.h.
 * ------------------------------------------------------------------------ */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,		/* 0x80 */
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
	IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA = 0x95,
};

/* ========================================================================
 * Objects and IO address spaces
 * ======================================================================== */

/*
 * IOMMU_DESTROY: drop any destroyable object by ID.
 *   id   in   object to destroy
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/*
 * IOMMU_IOAS_ALLOC: create an empty IO address space (IOVA -> memory).
 *   flags         in   must be 0
 *   out_ioas_id   out  ID of the new IOAS
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* One closed IOVA interval [start, last]; element of the range arrays. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/*
 * IOMMU_IOAS_IOVA_RANGES: report the IOVA ranges a map may use right now.
 *   ioas_id             in      IOAS to query
 *   num_iovas           in/out  capacity of allowed_iovas[]; returns the
 *                               total count (EMSGSIZE if it did not fit)
 *   __reserved          in      must be 0
 *   allowed_iovas       in      u64 user pointer to struct iommu_iova_range[]
 *   out_iova_alignment  out     required IOVA/length alignment (1 = any,
 *                               never above the CPU page size)
 * The set shrinks as devices with narrower limits attach and widens again
 * when they detach.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/*
 * IOMMU_IOAS_ALLOW_IOVAS: pin down ranges that must stay usable; replaces
 * the whole previous list. Attaching a device that would cut into them
 * fails, and automatic IOVA allocation stays inside them.
 *   ioas_id        in  IOAS to change
 *   num_iovas      in  number of entries in allowed_iovas[]
 *   __reserved     in  must be 0
 *   allowed_iovas  in  u64 user pointer to struct iommu_iova_range[]
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/* Flags of IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_COPY. */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,	/* iova is an input, not chosen */
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,	/* devices may write */
	IOMMU_IOAS_MAP_READABLE = 1 << 2,	/* devices may read */
};

/*
 * IOMMU_IOAS_MAP: map user memory into an IOAS.
 *   flags       in      enum iommufd_ioas_map_flags
 *   ioas_id     in      IOAS to change
 *   __reserved  in      must be 0
 *   user_va     in      start of the user memory
 *   length      in      bytes
 *   iova        in/out  input with FIXED_IOVA (range must be free), else
 *                       the address picked is returned here
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/*
 * IOMMU_IOAS_NOIOMMU_GET_PA: for no-IOMMU (unsafe DMA) devices, translate
 * a mapped IOVA to the physical address behind it. Queued in the iommufd
 * maintainers' tree, not yet in a release: iommusim answers it ENOTTY, as
 * a kernel without it does.
 *   flags       in      must be 0
 *   ioas_id     in      IOAS to look in
 *   __reserved  in      must be 0
 *   iova        in      address to translate; its start must be mapped
 *   length      in/out  in: non-zero upper bound; out: bytes physically
 *                       contiguous from out_phys (never above the input)
 *   out_phys    out     physical address of iova
 */
struct iommu_ioas_noiommu_get_pa {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_phys;
};
#define IOMMU_IOAS_NOIOMMU_GET_PA \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA)

/*
 * IOMMU_IOAS_MAP_FILE: like IOMMU_IOAS_MAP, but the memory is a file range
 * (a memfd; newer kernels also take some dma-buf fds).
 *   flags, ioas_id, length, iova   as for IOMMU_IOAS_MAP
 *   fd      in  file to map
 *   start   in  byte offset into the file
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/*
 * IOMMU_IOAS_COPY: map, in another IOAS, memory already mapped in one;
 * the pages are shared, not pinned twice. The kernel's documentation asks
 * for src_iova/length to match one existing map exactly; its code takes any
 * range covered by areas that follow each other without a gap.
 *   flags        in      enum iommufd_ioas_map_flags
 *   dst_ioas_id  in      IOAS to change
 *   src_ioas_id  in      IOAS to copy from
 *   length       in      bytes
 *   dst_iova     in/out  as iova of IOMMU_IOAS_MAP
 *   src_iova     in      start of the source range
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/*
 * IOMMU_IOAS_UNMAP: remove whole maps inside [iova, iova + length); a map
 * may not be cut. iova = 0 with length = U64_MAX removes everything.
 *   ioas_id  in      IOAS to change
 *   iova     in      start
 *   length   in/out  bytes asked; bytes actually unmapped
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/* ========================================================================
 * Options and the VFIO compatibility IOAS
 * ======================================================================== */

/* option_id values of IOMMU_OPTION. */
enum iommufd_option {
	/* Global (object_id 0), privileged: 0 = per-user pinned-memory
	 * accounting (default), 1 = per-process. */
	IOMMU_OPTION_RLIMIT_MODE = 0,
	/* Per IOAS (object_id = IOAS): 1 = may build large IOMMU pages
	 * (default), 0 = always map page by page. */
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/* op values of IOMMU_OPTION. */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/*
 * IOMMU_OPTION: read or write one option.
 *   option_id   in      enum iommufd_option
 *   op          in      enum iommufd_option_ops
 *   __reserved  in      must be 0
 *   object_id   in      object the option belongs to, or 0
 *   val64       in/out  value to set, or the value read
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/* op values of IOMMU_VFIO_IOAS. */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,	/* report the compatibility IOAS */
	IOMMU_VFIO_IOAS_SET = 1,	/* choose the compatibility IOAS */
	IOMMU_VFIO_IOAS_CLEAR = 2,	/* turn VFIO compatibility off */
};

/*
 * IOMMU_VFIO_IOAS: the single IOAS that the VFIO type1 compatibility ioctls
 * act on (they carry no ID). None of the ops destroys an IOAS.
 *   ioas_id     in/out  input for SET, output for GET
 *   op          in      enum iommufd_vfio_ioas_op
 *   __reserved  in      must be 0
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* ========================================================================
 * Hardware page tables (HWPT)
 * ======================================================================== */

/* flags of IOMMU_HWPT_ALLOC. */
enum iommufd_hwpt_alloc_flags {
	/* The new paging HWPT may later parent nested HWPTs. */
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	/* Only devices able to track dirty pages may attach. */
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	/* fault_id names a fault queue for this HWPT. */
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	/* Usable on PASIDs; whatever sits on the device's non-PASID side must
	 * carry it too. EOPNOTSUPP where PASID is not supported. */
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

/* flags of struct iommu_hwpt_vtd_s1 (stage-1 PASID entry bits). */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,	/* supervisor requests */
	IOMMU_VTD_S1_EAFE = 1 << 1,	/* extended access flag */
	IOMMU_VTD_S1_WPE = 1 << 2,	/* write protect */
};

/* Nested HWPT data for IOMMU_HWPT_DATA_VTD_S1: a guest stage-1 table. */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;		/* enum iommu_hwpt_vtd_s1_flags */
	__aligned_u64 pgtbl_addr;	/* table root (guest physical) */
	__u32 addr_width;		/* input address width in bits */
	__u32 __reserved;		/* must be 0 */
};

/*
 * Nested HWPT data for IOMMU_HWPT_DATA_ARM_SMMUV3: the first two 64-bit
 * words of a guest Stream Table Entry, little-endian. Only these fields may
 * be set: word 0 V, Cfg, S1Fmt, S1ContextPtr, S1CDMax; word 1 EATS, S1DSS,
 * S1CIR, S1COR, S1CSH, S1STALLD. Anything else is EIO. Cfg picks stage-1
 * translate, bypass (= the parent's translation) or abort.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/* Nested HWPT data for IOMMU_HWPT_DATA_AMD_GUEST: a guest Device Table
 * Entry (256 bits). */
struct iommu_hwpt_amd_guest {
	__aligned_u64 dte[4];
};

/* data_type of IOMMU_HWPT_ALLOC. */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,	/* paging HWPT; data_len must be 0 */
	IOMMU_HWPT_DATA_VTD_S1 = 1,	/* struct iommu_hwpt_vtd_s1 */
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,	/* struct iommu_hwpt_arm_smmuv3 */
	IOMMU_HWPT_DATA_AMD_GUEST = 3,	/* struct iommu_hwpt_amd_guest */
};

/*
 * IOMMU_HWPT_ALLOC: create a hardware page table for a device.
 *   flags        in   enum iommufd_hwpt_alloc_flags
 *   dev_id       in   device it is for
 *   pt_id        in   an IOAS (paging HWPT), or a nesting-parent HWPT or a
 *                     vIOMMU (nested HWPT)
 *   out_hwpt_id  out  ID of the new HWPT
 *   __reserved   in   must be 0
 *   data_type    in   enum iommu_hwpt_data_type; NONE for a paging HWPT
 *   data_len     in   bytes at data_uptr; 0 iff data_type is NONE
 *   data_uptr    in   u64 user pointer to the driver-specific data
 *   fault_id     in   fault queue, read only with IOMMU_HWPT_FAULT_ID_VALID
 *   __reserved2  in   must be 0 (pads to a multiple of 8)
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* ========================================================================
 * Hardware information (IOMMU_GET_HW_INFO)
 * ======================================================================== */

/* flags of struct iommu_hw_info_vtd. */
enum iommu_hw_info_vtd_flags {
	/* Intel erratum 772415 (SPR17): no read-only mappings in a nesting
	 * parent domain. */
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/* IOMMU_HW_INFO_TYPE_INTEL_VTD payload: the raw VT-d CAP and ECAP
 * registers. */
struct iommu_hw_info_vtd {
	__u32 flags;			/* enum iommu_hw_info_vtd_flags */
	__u32 __reserved;		/* 0 */
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/* flags of struct iommu_hw_info_arm_smmuv3. */
enum iommu_hw_info_arm_smmuv3_flags {
	/* Erratum: each TLBI/CFGI + SYNC must be issued twice. */
	IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI = 1 << 0,
};

/*
 * IOMMU_HW_INFO_TYPE_ARM_SMMUV3 payload: raw ID registers of the SMMU.
 * Only some fields are meant for a VMM (IDR0 ST_LEVEL, TERM_MODEL,
 * STALL_MODEL, TTENDIAN, CD2L, ASID16, TTF; IDR1 SIDSIZE, SSIDSIZE;
 * IDR3 BBML, RIL; IDR5 VAX, GRAN64K, GRAN16K, GRAN4K); read nothing else.
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;			/* enum iommu_hw_info_arm_smmuv3_flags */
	__u32 __reserved;		/* 0 */
	__u32 idr[6];			/* IDR0..IDR5 */
	__u32 iidr;
	__u32 aidr;
};

/* IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV payload: the pieces of the CMDQV
 * PARAM register a VMM reproduces (expose a single VINTF). */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;			/* 0 */
	__u8 version;			/* PARAM[3:0] */
	__u8 log2vcmdqs;		/* PARAM[7:4] */
	__u8 log2vsids;			/* PARAM[15:12] */
	__u8 __reserved;		/* 0 */
};

/* IOMMU_HW_INFO_TYPE_AMD payload: raw Extended Feature registers (MMIO
 * 0x30 and 0x1a0); the VMM filters which features it passes on. */
struct iommu_hw_info_amd {
	__aligned_u64 efr;
	__aligned_u64 efr2;
};

/* in_data_type / out_data_type of IOMMU_GET_HW_INFO. */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,		/* out: driver reports nothing */
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,		/* in: whatever the driver has */
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,	/* struct iommu_hw_info_vtd */
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,	/* struct iommu_hw_info_arm_smmuv3 */
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,	/* ..._tegra241_cmdqv */
	IOMMU_HW_INFO_TYPE_AMD = 4,		/* struct iommu_hw_info_amd */
};

/* out_capabilities bits of IOMMU_GET_HW_INFO. */
enum iommufd_hw_capabilities {
	/* SET_DIRTY_TRACKING and GET_DIRTY_BITMAP work for this device. */
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	/* PCI PASID execute / privileged modes; meaningless when
	 * out_max_pasid_log2 is 0. */
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	/* ATS cannot be used for this device. Negative on purpose: a zero
	 * from an older kernel keeps meaning "ATS may be used". */
	IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,
};

/* flags of IOMMU_GET_HW_INFO. */
enum iommufd_hw_info_flags {
	/* in_data_type asks for one specific payload type. */
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/*
 * IOMMU_GET_HW_INFO: describe the IOMMU behind a bound device.
 *   flags               in      enum iommufd_hw_info_flags
 *   dev_id              in      bound device
 *   data_len            in/out  buffer size; returns the payload's full
 *                               size (0 in is allowed). A longer buffer is
 *                               zero-filled past the payload.
 *   data_uptr           in      u64 user pointer to the payload buffer
 *   in_data_type        in      wanted enum iommu_hw_info_type, read only
 *                               with IOMMU_HW_INFO_FLAG_INPUT_TYPE
 *   out_data_type       out     type of the payload written (same field)
 *   out_max_pasid_log2  out     PASID width in bits, 0 = no PASID
 *   __reserved          in      must be 0
 *   out_capabilities    out     enum iommufd_hw_capabilities
 * (__extension__ only silences -pedantic C99/C++ about the anonymous union;
 * it does not change the layout.)
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__extension__ union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/* ========================================================================
 * Dirty tracking
 * ======================================================================== */

/* flags of IOMMU_HWPT_SET_DIRTY_TRACKING. */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,	/* clear = disable */
};

/*
 * IOMMU_HWPT_SET_DIRTY_TRACKING: start or stop dirty tracking on a HWPT.
 *   flags       in  enum iommufd_hwpt_set_dirty_tracking_flags
 *   hwpt_id     in  HWPT
 *   __reserved  in  must be 0
 */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/* flags of IOMMU_HWPT_GET_DIRTY_BITMAP. */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	/* Report without clearing (e.g. right before an unmap). */
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP: set one bit per dirty page_size unit of
 * [iova, iova + length) and, unless NO_CLEAR, clear the dirty state.
 * Bit n of the bitmap is bit (n % 64) of 64-bit word n / 64, counted from
 * iova / page_size.
 *   hwpt_id     in  HWPT
 *   flags       in  enum iommufd_hwpt_get_dirty_bitmap_flags
 *   __reserved  in  must be 0
 *   iova        in  first IOVA covered
 *   length      in  bytes covered
 *   page_size   in  bytes per bit
 *   data        in  u64 user pointer to the bitmap; the caller zeroes
 *                   it, bits are only ever set
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/* ========================================================================
 * Cache invalidation of user-managed tables (IOMMU_HWPT_INVALIDATE)
 * ======================================================================== */

/* data_type of IOMMU_HWPT_INVALIDATE. */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,	/* ..._vtd_s1_invalidate */
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1, /* ..._arm_smmuv3_inv. */
};

/* flags of struct iommu_hwpt_vtd_s1_invalidate. */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	/* Leaf entries only, not the paging-structure caches. */
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/* One VT-d stage-1 invalidation request. addr = 0 with npages = U64_MAX
 * means everything; the device TLB follows automatically under ATS. */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;	/* 4 KiB aligned start */
	__aligned_u64 npages;	/* number of 4 KiB pages */
	__u32 flags;		/* enum iommu_hwpt_vtd_s1_invalidate_flags */
	__u32 __reserved;	/* must be 0 */
};

/* One SMMUv3 command-queue entry (128 bits, little-endian), sent through
 * a vIOMMU. Accepted opcodes: TLBI_NSNH_ALL, TLBI_NH_VA, TLBI_NH_VAA,
 * TLBI_NH_ALL, TLBI_NH_ASID, ATC_INV, CFGI_CD, CFGI_CD_ALL; others EIO. */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/*
 * IOMMU_HWPT_INVALIDATE: hand an array of driver-format invalidation
 * requests to a nested HWPT or a vIOMMU. entry_num = 0 only checks that
 * data_type is supported.
 *   hwpt_id     in      nested HWPT or vIOMMU
 *   data_uptr   in      u64 user pointer to the request array
 *   data_type   in      enum iommu_hwpt_invalidate_data_type
 *   entry_len   in      bytes per request
 *   entry_num   in/out  requests given; requests completed
 *   __reserved  in      must be 0
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/* ========================================================================
 * I/O page faults (IOMMU_FAULT_QUEUE_ALLOC; read/write on the queue fd)
 * ======================================================================== */

/* flags of struct iommu_hwpt_pgfault. */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),	/* pasid is set */
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),	/* ends its group */
};

/* perm bits of struct iommu_hwpt_pgfault. */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),	/* PCIe PASID "execute" */
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),	/* PCIe PASID "privileged" */
};

/* One fault record, as read() from a fault queue fd. */
struct iommu_hwpt_pgfault {
	__u32 flags;		/* enum iommu_hwpt_pgfault_flags */
	__u32 dev_id;		/* faulting device */
	__u32 pasid;
	__u32 grpid;		/* page request group index */
	__u32 perm;		/* enum iommu_hwpt_pgfault_perm */
	__u32 __reserved;	/* 0 */
	__aligned_u64 addr;	/* faulting address */
	__u32 length;		/* size hint from the requester, 0 = none */
	__u32 cookie;		/* echo it back in the response */
};

/* code of struct iommu_hwpt_page_response. */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,	/* handled: retry the access */
	IOMMUFD_PAGE_RESP_INVALID = 1,	/* not handled: do not retry */
};

/* One response, as write() to a fault queue fd. */
struct iommu_hwpt_page_response {
	__u32 cookie;		/* from the group's last fault record */
	__u32 code;		/* enum iommufd_page_response_code */
};

/*
 * IOMMU_FAULT_QUEUE_ALLOC: create a fault queue object and its fd.
 *   flags         in   must be 0
 *   out_fault_id  out  object ID (for fault_id of IOMMU_HWPT_ALLOC)
 *   out_fault_fd  out  fd to read faults from and write responses to
 */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/* ========================================================================
 * Virtual IOMMUs and virtual devices
 * ======================================================================== */

/* type of IOMMU_VIOMMU_ALLOC. */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,		/* reserved */
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	/* SMMUv3 with NVIDIA CMDQV. The backing VINTF has HYP_OWN = 0; the
	 * VMM must show HYP_OWN as 0 in the guest's VINTF_CONFIG. */
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/* IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV data (output): where to mmap the
 * VINTF's page 0 from the iommufd fd, for direct guest access. */
struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};

/*
 * IOMMU_VIOMMU_ALLOC: create a vIOMMU, the per-VM slice of a physical
 * IOMMU (guest ID namespace, event reporting, shared nesting parent,
 * invalidation and queue acceleration).
 *   flags          in   must be 0
 *   type           in   enum iommu_viommu_type
 *   dev_id         in   device whose IOMMU backs it
 *   hwpt_id        in   nesting-parent HWPT
 *   out_viommu_id  out  ID of the new vIOMMU
 *   data_len       in   bytes at data_uptr
 *   __reserved     in   must be 0
 *   data_uptr      in   u64 user pointer to type-specific data (in/out)
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/*
 * IOMMU_VDEVICE_ALLOC: give a physical device its guest-visible ID on a
 * vIOMMU. Destroy it before unbinding the device, or its ID stays taken
 * until the iommufd is closed.
 *   viommu_id       in   vIOMMU
 *   dev_id          in   physical device
 *   out_vdevice_id  out  ID of the new vDEVICE
 *   virt_id         in   guest ID (SMMUv3 vSID, AMD vDeviceID, VT-d vRID)
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/*
 * IOMMU_IOAS_CHANGE_PROCESS: move the pinned-memory accounting of every
 * map in the context to the calling process (live update). Only maps made
 * with IOMMU_IOAS_MAP_FILE qualify, otherwise EINVAL; all or nothing.
 *   __reserved  in  must be 0
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};
#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

/* ========================================================================
 * Virtual event queues (IOMMU_VEVENTQ_ALLOC; read on the queue fd)
 * ======================================================================== */

/* flags of struct iommufd_vevent_header. */
enum iommu_veventq_flag {
	/* Events were dropped; a header with this flag and no payload is
	 * appended when the loss happened at the tail. */
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),
};

/* Precedes every event read from a vEVENTQ fd. sequence counts 0..INT_MAX
 * then wraps to 0; a jump of more than 1 means events were lost. */
struct iommufd_vevent_header {
	__u32 flags;		/* enum iommu_veventq_flag */
	__u32 sequence;
};

/* type of IOMMU_VEVENTQ_ALLOC. */
enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,		/* reserved */
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,	/* struct iommu_vevent_arm_smmuv3 */
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,	/* ..._tegra241_cmdqv */
};

/* SMMUv3 event record (256 bits, little-endian); StreamID carries the
 * vDEVICE's virt_id. Reported: C_BAD_STE, F_STREAM_DISABLED,
 * C_BAD_SUBSTREAMID, C_BAD_CD, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS,
 * F_PERMISSION. */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/* CMDQV error interrupt: the VINTF's 128-bit LVCMDQ error map,
 * little-endian. */
struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};

/*
 * IOMMU_VEVENTQ_ALLOC: create an event queue on a vIOMMU (one per type).
 * Events beyond veventq_depth are dropped and reported as lost.
 *   flags           in   must be 0
 *   viommu_id       in   vIOMMU
 *   type            in   enum iommu_veventq_type
 *   veventq_depth   in   maximum queued events
 *   out_veventq_id  out  object ID
 *   out_veventq_fd  out  fd to read header + payload records from
 *   __reserved      in   must be 0
 */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

/* ========================================================================
 * Hardware-accelerated queues (IOMMU_HW_QUEUE_ALLOC)
 * ======================================================================== */

/* type of IOMMU_HW_QUEUE_ALLOC. */
enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,	/* reserved */
	/* NVIDIA CMDQV virtual command queue. Allocate from index 0 upward,
	 * destroy from the highest down; the memory must be mapped in the
	 * IOAS and aligned to its length, a power of two from 32 bytes to
	 * 16 << IDR1.CMDQS bytes. */
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

/*
 * IOMMU_HW_QUEUE_ALLOC: let hardware consume a queue that lives in guest
 * memory. index must differ per type within one vIOMMU.
 *   flags                in   must be 0
 *   viommu_id            in   vIOMMU
 *   type                 in   enum iommu_hw_queue_type
 *   index                in   queue number within the vIOMMU and type
 *   out_hw_queue_id      out  object ID
 *   nesting_parent_iova  in   queue base (guest physical address)
 *   length               in   queue size in bytes
 */
struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

/*
 * Provenance. Facts taken from torvalds/linux include/uapi/linux/iommufd.h
 * (stored copy at b4d90dbc4c1b, the HW_QUEUE_ALLOC era), plus the later
 * upstream additions seen in full copies of the header from 2026 trees:
 * IOMMU_HWPT_DATA_AMD_GUEST and struct iommu_hwpt_amd_guest,
 * IOMMU_HW_INFO_TYPE_AMD and struct iommu_hw_info_amd,
 * IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, the SMMUv3 REPEAT_TLBI_CFGI erratum
 * flag and IOMMU_IOAS_NOIOMMU_GET_PA.
 */

#endif /* _UAPI_IOMMUFD_H */
