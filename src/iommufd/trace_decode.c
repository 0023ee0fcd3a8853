// SPDX-License-Identifier: MIT
/*
 * How the trace decodes the calls on an iommufd: one descriptor per uAPI
 * struct (every member, in order, with how to print it), one entry per
 * ioctl. Adding a command is adding its struct's table and its entry;
 * tests/unit/trace_tables.c checks every table against its struct.
 */
#include <linux/vfio.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "iommufd/trace_decode.h"

/* Shorthands for the tables: a member going in, out, or both. */
#define IN(s, m, fmt, names) TRACE_FIELD(s, m, TRACE_##fmt, TRACE_IN, names)
#define OUT(s, m, fmt, names) TRACE_FIELD(s, m, TRACE_##fmt, TRACE_OUT, names)
#define IO(s, m, fmt, names) TRACE_FIELD(s, m, TRACE_##fmt, TRACE_INOUT, names)
#define RSV(s, m) TRACE_FIELD(s, m, TRACE_RESERVED, TRACE_IN, NULL)
#define SIZE(s) IN(s, size, DEC, NULL)
#define DEF_STRUCT(s, ...)                                                     \
	static const struct trace_field s##_fields[] = { __VA_ARGS__ };        \
	static const struct trace_struct s##_desc =                            \
		TRACE_STRUCT(s, s##_fields)

/* ---- names --------------------------------------------------------------- */

static const struct trace_name ioas_map_flags[] = {
	{ IOMMU_IOAS_MAP_FIXED_IOVA, "FIXED_IOVA" },
	{ IOMMU_IOAS_MAP_WRITEABLE, "WRITEABLE" },
	{ IOMMU_IOAS_MAP_READABLE, "READABLE" },
	{ 0, NULL },
};

static const struct trace_name option_ids[] = {
	{ IOMMU_OPTION_RLIMIT_MODE, "RLIMIT_MODE" },
	{ IOMMU_OPTION_HUGE_PAGES, "HUGE_PAGES" },
	{ 0, NULL },
};

static const struct trace_name option_ops[] = {
	{ IOMMU_OPTION_OP_SET, "SET" },
	{ IOMMU_OPTION_OP_GET, "GET" },
	{ 0, NULL },
};

static const struct trace_name vfio_ioas_ops[] = {
	{ IOMMU_VFIO_IOAS_GET, "GET" },
	{ IOMMU_VFIO_IOAS_SET, "SET" },
	{ IOMMU_VFIO_IOAS_CLEAR, "CLEAR" },
	{ 0, NULL },
};

static const struct trace_name hwpt_alloc_flags[] = {
	{ IOMMU_HWPT_ALLOC_NEST_PARENT, "NEST_PARENT" },
	{ IOMMU_HWPT_ALLOC_DIRTY_TRACKING, "DIRTY_TRACKING" },
	{ IOMMU_HWPT_FAULT_ID_VALID, "FAULT_ID_VALID" },
	{ IOMMU_HWPT_ALLOC_PASID, "PASID" },
	{ 0, NULL },
};

static const struct trace_name hwpt_data_types[] = {
	{ IOMMU_HWPT_DATA_NONE, "NONE" },
	{ IOMMU_HWPT_DATA_VTD_S1, "VTD_S1" },
	{ IOMMU_HWPT_DATA_ARM_SMMUV3, "ARM_SMMUV3" },
	{ IOMMU_HWPT_DATA_AMD_GUEST, "AMD_GUEST" },
	{ IOMMU_HWPT_DATA_SELFTEST, "SELFTEST" },
	{ 0, NULL },
};

static const struct trace_name vtd_s1_flags[] = {
	{ IOMMU_VTD_S1_SRE, "SRE" },
	{ IOMMU_VTD_S1_EAFE, "EAFE" },
	{ IOMMU_VTD_S1_WPE, "WPE" },
	{ 0, NULL },
};

static const struct trace_name hw_info_types[] = {
	{ IOMMU_HW_INFO_TYPE_NONE, "NONE" },
	{ IOMMU_HW_INFO_TYPE_INTEL_VTD, "INTEL_VTD" },
	{ IOMMU_HW_INFO_TYPE_ARM_SMMUV3, "ARM_SMMUV3" },
	{ IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, "TEGRA241_CMDQV" },
	{ IOMMU_HW_INFO_TYPE_AMD, "AMD" },
	{ IOMMU_HW_INFO_TYPE_SELFTEST, "SELFTEST" },
	{ 0, NULL },
};

static const struct trace_name hw_info_flags[] = {
	{ IOMMU_HW_INFO_FLAG_INPUT_TYPE, "INPUT_TYPE" },
	{ 0, NULL },
};

static const struct trace_name hw_capabilities[] = {
	{ IOMMU_HW_CAP_DIRTY_TRACKING, "DIRTY_TRACKING" },
	{ IOMMU_HW_CAP_PCI_PASID_EXEC, "PCI_PASID_EXEC" },
	{ IOMMU_HW_CAP_PCI_PASID_PRIV, "PCI_PASID_PRIV" },
	{ IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, "PCI_ATS_NOT_SUPPORTED" },
	{ 0, NULL },
};

static const struct trace_name hw_info_vtd_flags[] = {
	{ IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, "ERRATA_772415_SPR17" },
	{ 0, NULL },
};

static const struct trace_name hw_info_smmuv3_flags[] = {
	{ IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI,
	  "ERRATA_REPEAT_TLBI_CFGI" },
	{ 0, NULL },
};

static const struct trace_name dirty_tracking_flags[] = {
	{ IOMMU_HWPT_DIRTY_TRACKING_ENABLE, "ENABLE" },
	{ 0, NULL },
};

static const struct trace_name dirty_bitmap_flags[] = {
	{ IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, "NO_CLEAR" },
	{ 0, NULL },
};

static const struct trace_name invalidate_data_types[] = {
	{ IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, "VTD_S1" },
	{ IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, "ARM_SMMUV3" },
	{ IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, "SELFTEST" },
	{ IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, "SELFTEST_INVALID" },
	{ 0, NULL },
};

static const struct trace_name vtd_inv_flags[] = {
	{ IOMMU_VTD_INV_FLAGS_LEAF, "LEAF" },
	{ 0, NULL },
};

static const struct trace_name test_invalidate_flags[] = {
	{ IOMMU_TEST_INVALIDATE_FLAG_ALL, "ALL" },
	{ 0, NULL },
};

const struct trace_name trace_pgfault_flags[] = {
	{ IOMMU_PGFAULT_FLAGS_PASID_VALID, "PASID_VALID" },
	{ IOMMU_PGFAULT_FLAGS_LAST_PAGE, "LAST_PAGE" },
	{ 0, NULL },
};

const struct trace_name trace_pgfault_perms[] = {
	{ IOMMU_PGFAULT_PERM_READ, "READ" },
	{ IOMMU_PGFAULT_PERM_WRITE, "WRITE" },
	{ IOMMU_PGFAULT_PERM_EXEC, "EXEC" },
	{ IOMMU_PGFAULT_PERM_PRIV, "PRIV" },
	{ 0, NULL },
};

const struct trace_name trace_page_response_codes[] = {
	{ IOMMUFD_PAGE_RESP_SUCCESS, "SUCCESS" },
	{ IOMMUFD_PAGE_RESP_INVALID, "INVALID" },
	{ 0, NULL },
};

static const struct trace_name viommu_types[] = {
	{ IOMMU_VIOMMU_TYPE_DEFAULT, "DEFAULT" },
	{ IOMMU_VIOMMU_TYPE_ARM_SMMUV3, "ARM_SMMUV3" },
	{ IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, "TEGRA241_CMDQV" },
	{ IOMMU_VIOMMU_TYPE_SELFTEST, "SELFTEST" },
	{ 0, NULL },
};

static const struct trace_name veventq_types[] = {
	{ IOMMU_VEVENTQ_TYPE_DEFAULT, "DEFAULT" },
	{ IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, "ARM_SMMUV3" },
	{ IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, "TEGRA241_CMDQV" },
	{ IOMMU_VEVENTQ_TYPE_SELFTEST, "SELFTEST" },
	{ 0, NULL },
};

static const struct trace_name hw_queue_types[] = {
	{ IOMMU_HW_QUEUE_TYPE_DEFAULT, "DEFAULT" },
	{ IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, "TEGRA241_CMDQV" },
	{ IOMMU_HW_QUEUE_TYPE_SELFTEST, "SELFTEST" },
	{ 0, NULL },
};

static const struct trace_name test_ops[] = {
	{ IOMMU_TEST_OP_ADD_RESERVED, "ADD_RESERVED" },
	{ IOMMU_TEST_OP_MOCK_DOMAIN, "MOCK_DOMAIN" },
	{ IOMMU_TEST_OP_MD_CHECK_MAP, "MD_CHECK_MAP" },
	{ IOMMU_TEST_OP_MD_CHECK_REFS, "MD_CHECK_REFS" },
	{ IOMMU_TEST_OP_CREATE_ACCESS, "CREATE_ACCESS" },
	{ IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, "DESTROY_ACCESS_PAGES" },
	{ IOMMU_TEST_OP_ACCESS_PAGES, "ACCESS_PAGES" },
	{ IOMMU_TEST_OP_ACCESS_RW, "ACCESS_RW" },
	{ IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, "SET_TEMP_MEMORY_LIMIT" },
	{ IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, "MOCK_DOMAIN_REPLACE" },
	{ IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, "ACCESS_REPLACE_IOAS" },
	{ IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, "MOCK_DOMAIN_FLAGS" },
	{ IOMMU_TEST_OP_DIRTY, "DIRTY" },
	{ IOMMU_TEST_OP_MD_CHECK_IOTLB, "MD_CHECK_IOTLB" },
	{ IOMMU_TEST_OP_TRIGGER_IOPF, "TRIGGER_IOPF" },
	{ IOMMU_TEST_OP_DEV_CHECK_CACHE, "DEV_CHECK_CACHE" },
	{ IOMMU_TEST_OP_TRIGGER_VEVENT, "TRIGGER_VEVENT" },
	{ IOMMU_TEST_OP_PASID_ATTACH, "PASID_ATTACH" },
	{ IOMMU_TEST_OP_PASID_REPLACE, "PASID_REPLACE" },
	{ IOMMU_TEST_OP_PASID_DETACH, "PASID_DETACH" },
	{ IOMMU_TEST_OP_PASID_CHECK_HWPT, "PASID_CHECK_HWPT" },
	{ IOMMU_TEST_OP_DMABUF_GET, "DMABUF_GET" },
	{ IOMMU_TEST_OP_DMABUF_REVOKE, "DMABUF_REVOKE" },
	{ 0, NULL },
};

static const struct trace_name mock_pagetable_types[] = {
	{ MOCK_IOMMUPT_DEFAULT, "DEFAULT" },
	{ MOCK_IOMMUPT_HUGE, "HUGE" },
	{ 0, NULL },
};

static const struct trace_name mock_access_flags[] = {
	{ MOCK_FLAGS_ACCESS_WRITE, "WRITE" },
	{ MOCK_FLAGS_ACCESS_SYZ, "SYZ" },
	{ 0, NULL },
};

static const struct trace_name mock_access_rw_flags[] = {
	{ MOCK_ACCESS_RW_WRITE, "WRITE" },
	{ MOCK_ACCESS_RW_SLOW_PATH, "SLOW_PATH" },
	{ MOCK_FLAGS_ACCESS_SYZ, "SYZ" },
	{ 0, NULL },
};

static const struct trace_name mock_create_access_flags[] = {
	{ MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, "NEEDS_PIN_PAGES" },
	{ 0, NULL },
};

static const struct trace_name mock_device_flags[] = {
	{ MOCK_FLAGS_DEVICE_NO_DIRTY, "NO_DIRTY" },
	{ MOCK_FLAGS_DEVICE_HUGE_IOVA, "HUGE_IOVA" },
	{ MOCK_FLAGS_DEVICE_PASID, "PASID" },
	{ 0, NULL },
};

static const struct trace_name vfio_extensions[] = {
	{ VFIO_TYPE1_IOMMU, "VFIO_TYPE1_IOMMU" },
	{ VFIO_SPAPR_TCE_IOMMU, "VFIO_SPAPR_TCE_IOMMU" },
	{ VFIO_TYPE1v2_IOMMU, "VFIO_TYPE1v2_IOMMU" },
	{ VFIO_DMA_CC_IOMMU, "VFIO_DMA_CC_IOMMU" },
	{ VFIO_TYPE1_NESTING_IOMMU, "VFIO_TYPE1_NESTING_IOMMU" },
	{ VFIO_SPAPR_TCE_v2_IOMMU, "VFIO_SPAPR_TCE_v2_IOMMU" },
	{ VFIO_NOIOMMU_IOMMU, "VFIO_NOIOMMU_IOMMU" },
	{ VFIO_UNMAP_ALL, "VFIO_UNMAP_ALL" },
	{ VFIO_UPDATE_VADDR, "VFIO_UPDATE_VADDR" },
	{ 0, NULL },
};

static const struct trace_name vfio_info_flags[] = {
	{ VFIO_IOMMU_INFO_PGSIZES, "PGSIZES" },
	{ VFIO_IOMMU_INFO_CAPS, "CAPS" },
	{ 0, NULL },
};

static const struct trace_name vfio_map_flags[] = {
	{ VFIO_DMA_MAP_FLAG_READ, "READ" },
	{ VFIO_DMA_MAP_FLAG_WRITE, "WRITE" },
	{ VFIO_DMA_MAP_FLAG_VADDR, "VADDR" },
	{ 0, NULL },
};

static const struct trace_name vfio_unmap_flags[] = {
	{ VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, "GET_DIRTY_BITMAP" },
	{ VFIO_DMA_UNMAP_FLAG_ALL, "ALL" },
	{ VFIO_DMA_UNMAP_FLAG_VADDR, "VADDR" },
	{ 0, NULL },
};

/* ---- the structs user data points at ------------------------------------- */

DEF_STRUCT(iommu_iova_range,
	   IO(iommu_iova_range, start, HEX, NULL),
	   IO(iommu_iova_range, last, HEX, NULL));

DEF_STRUCT(iommu_hwpt_vtd_s1,
	   IN(iommu_hwpt_vtd_s1, flags, FLAGS, vtd_s1_flags),
	   IN(iommu_hwpt_vtd_s1, pgtbl_addr, HEX, NULL),
	   IN(iommu_hwpt_vtd_s1, addr_width, DEC, NULL),
	   RSV(iommu_hwpt_vtd_s1, __reserved));

DEF_STRUCT(iommu_hwpt_arm_smmuv3,
	   IN(iommu_hwpt_arm_smmuv3, ste[0], HEX, NULL),
	   IN(iommu_hwpt_arm_smmuv3, ste[1], HEX, NULL));

DEF_STRUCT(iommu_hwpt_amd_guest,
	   IN(iommu_hwpt_amd_guest, dte[0], HEX, NULL),
	   IN(iommu_hwpt_amd_guest, dte[1], HEX, NULL),
	   IN(iommu_hwpt_amd_guest, dte[2], HEX, NULL),
	   IN(iommu_hwpt_amd_guest, dte[3], HEX, NULL));

DEF_STRUCT(iommu_hwpt_selftest,
	   IN(iommu_hwpt_selftest, iotlb, HEX, NULL),
	   IN(iommu_hwpt_selftest, pagetable_type, ENUM,
	      mock_pagetable_types));

static const struct trace_typed_struct hwpt_data[] = {
	{ IOMMU_HWPT_DATA_VTD_S1, &iommu_hwpt_vtd_s1_desc },
	{ IOMMU_HWPT_DATA_ARM_SMMUV3, &iommu_hwpt_arm_smmuv3_desc },
	{ IOMMU_HWPT_DATA_AMD_GUEST, &iommu_hwpt_amd_guest_desc },
	{ IOMMU_HWPT_DATA_SELFTEST, &iommu_hwpt_selftest_desc },
};

DEF_STRUCT(iommu_hw_info_vtd,
	   OUT(iommu_hw_info_vtd, flags, FLAGS, hw_info_vtd_flags),
	   RSV(iommu_hw_info_vtd, __reserved),
	   OUT(iommu_hw_info_vtd, cap_reg, HEX, NULL),
	   OUT(iommu_hw_info_vtd, ecap_reg, HEX, NULL));

DEF_STRUCT(iommu_hw_info_arm_smmuv3,
	   OUT(iommu_hw_info_arm_smmuv3, flags, FLAGS, hw_info_smmuv3_flags),
	   RSV(iommu_hw_info_arm_smmuv3, __reserved),
	   OUT(iommu_hw_info_arm_smmuv3, idr[0], HEX, NULL),
	   OUT(iommu_hw_info_arm_smmuv3, idr[1], HEX, NULL),
	   OUT(iommu_hw_info_arm_smmuv3, idr[2], HEX, NULL),
	   OUT(iommu_hw_info_arm_smmuv3, idr[3], HEX, NULL),
	   OUT(iommu_hw_info_arm_smmuv3, idr[4], HEX, NULL),
	   OUT(iommu_hw_info_arm_smmuv3, idr[5], HEX, NULL),
	   OUT(iommu_hw_info_arm_smmuv3, iidr, HEX, NULL),
	   OUT(iommu_hw_info_arm_smmuv3, aidr, HEX, NULL));

DEF_STRUCT(iommu_hw_info_tegra241_cmdqv,
	   OUT(iommu_hw_info_tegra241_cmdqv, flags, HEX, NULL),
	   OUT(iommu_hw_info_tegra241_cmdqv, version, DEC, NULL),
	   OUT(iommu_hw_info_tegra241_cmdqv, log2vcmdqs, DEC, NULL),
	   OUT(iommu_hw_info_tegra241_cmdqv, log2vsids, DEC, NULL),
	   RSV(iommu_hw_info_tegra241_cmdqv, __reserved));

DEF_STRUCT(iommu_hw_info_amd,
	   OUT(iommu_hw_info_amd, efr, HEX, NULL),
	   OUT(iommu_hw_info_amd, efr2, HEX, NULL));

DEF_STRUCT(iommu_test_hw_info,
	   OUT(iommu_test_hw_info, flags, HEX, NULL),
	   OUT(iommu_test_hw_info, test_reg, HEX, NULL));

static const struct trace_typed_struct hw_info_data[] = {
	{ IOMMU_HW_INFO_TYPE_INTEL_VTD, &iommu_hw_info_vtd_desc },
	{ IOMMU_HW_INFO_TYPE_ARM_SMMUV3, &iommu_hw_info_arm_smmuv3_desc },
	{ IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV,
	  &iommu_hw_info_tegra241_cmdqv_desc },
	{ IOMMU_HW_INFO_TYPE_AMD, &iommu_hw_info_amd_desc },
	{ IOMMU_HW_INFO_TYPE_SELFTEST, &iommu_test_hw_info_desc },
};

DEF_STRUCT(iommu_hwpt_vtd_s1_invalidate,
	   IN(iommu_hwpt_vtd_s1_invalidate, addr, HEX, NULL),
	   IN(iommu_hwpt_vtd_s1_invalidate, npages, HEX, NULL),
	   IN(iommu_hwpt_vtd_s1_invalidate, flags, FLAGS, vtd_inv_flags),
	   RSV(iommu_hwpt_vtd_s1_invalidate, __reserved));

DEF_STRUCT(iommu_viommu_arm_smmuv3_invalidate,
	   IN(iommu_viommu_arm_smmuv3_invalidate, cmd[0], HEX, NULL),
	   IN(iommu_viommu_arm_smmuv3_invalidate, cmd[1], HEX, NULL));

DEF_STRUCT(iommu_hwpt_invalidate_selftest,
	   IN(iommu_hwpt_invalidate_selftest, flags, FLAGS,
	      test_invalidate_flags),
	   IN(iommu_hwpt_invalidate_selftest, iotlb_id, DEC, NULL));

DEF_STRUCT(iommu_viommu_invalidate_selftest,
	   IN(iommu_viommu_invalidate_selftest, flags, FLAGS,
	      test_invalidate_flags),
	   IN(iommu_viommu_invalidate_selftest, vdev_id, DEC, NULL),
	   IN(iommu_viommu_invalidate_selftest, cache_id, DEC, NULL));

/* The selftest's HWPT and vIOMMU invalidation types share a number; the
 * HWPT's is the one a 6.12 program sends. */
static const struct trace_typed_struct invalidate_data[] = {
	{ IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
	  &iommu_hwpt_vtd_s1_invalidate_desc },
	{ IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
	  &iommu_viommu_arm_smmuv3_invalidate_desc },
	{ IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	  &iommu_hwpt_invalidate_selftest_desc },
	{ IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
	  &iommu_hwpt_invalidate_selftest_desc },
};

DEF_STRUCT(iommu_viommu_tegra241_cmdqv,
	   OUT(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset, HEX, NULL),
	   OUT(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, HEX, NULL));

DEF_STRUCT(iommu_viommu_selftest,
	   IN(iommu_viommu_selftest, in_data, HEX, NULL),
	   OUT(iommu_viommu_selftest, out_data, HEX, NULL),
	   OUT(iommu_viommu_selftest, out_mmap_offset, HEX, NULL),
	   OUT(iommu_viommu_selftest, out_mmap_length, HEX, NULL));

static const struct trace_typed_struct viommu_data[] = {
	{ IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, &iommu_viommu_tegra241_cmdqv_desc },
	{ IOMMU_VIOMMU_TYPE_SELFTEST, &iommu_viommu_selftest_desc },
};

/* The records a fault queue gives and takes. */
DEF_STRUCT(iommu_hwpt_pgfault,
	   IO(iommu_hwpt_pgfault, flags, FLAGS, trace_pgfault_flags),
	   IO(iommu_hwpt_pgfault, dev_id, ID, NULL),
	   IO(iommu_hwpt_pgfault, pasid, DEC, NULL),
	   IO(iommu_hwpt_pgfault, grpid, DEC, NULL),
	   IO(iommu_hwpt_pgfault, perm, FLAGS, trace_pgfault_perms),
	   RSV(iommu_hwpt_pgfault, __reserved),
	   IO(iommu_hwpt_pgfault, addr, HEX, NULL),
	   IO(iommu_hwpt_pgfault, length, HEX, NULL),
	   IO(iommu_hwpt_pgfault, cookie, DEC, NULL));

DEF_STRUCT(iommu_hwpt_page_response,
	   IO(iommu_hwpt_page_response, cookie, DEC, NULL),
	   IO(iommu_hwpt_page_response, code, ENUM,
	      trace_page_response_codes));

/* ---- the command structs ------------------------------------------------- */

DEF_STRUCT(iommu_destroy,
	   SIZE(iommu_destroy),
	   IN(iommu_destroy, id, ID, NULL));

DEF_STRUCT(iommu_ioas_alloc,
	   SIZE(iommu_ioas_alloc),
	   IN(iommu_ioas_alloc, flags, HEX, NULL),
	   OUT(iommu_ioas_alloc, out_ioas_id, ID, NULL));

DEF_STRUCT(iommu_ioas_iova_ranges,
	   SIZE(iommu_ioas_iova_ranges),
	   IN(iommu_ioas_iova_ranges, ioas_id, ID, NULL),
	   IO(iommu_ioas_iova_ranges, num_iovas, DEC, NULL),
	   RSV(iommu_ioas_iova_ranges, __reserved),
	   IN(iommu_ioas_iova_ranges, allowed_iovas, HEX, NULL),
	   OUT(iommu_ioas_iova_ranges, out_iova_alignment, HEX, NULL));

DEF_STRUCT(iommu_ioas_allow_iovas,
	   SIZE(iommu_ioas_allow_iovas),
	   IN(iommu_ioas_allow_iovas, ioas_id, ID, NULL),
	   IN(iommu_ioas_allow_iovas, num_iovas, DEC, NULL),
	   RSV(iommu_ioas_allow_iovas, __reserved),
	   IN(iommu_ioas_allow_iovas, allowed_iovas, HEX, NULL));

DEF_STRUCT(iommu_ioas_map,
	   SIZE(iommu_ioas_map),
	   IN(iommu_ioas_map, flags, FLAGS, ioas_map_flags),
	   IN(iommu_ioas_map, ioas_id, ID, NULL),
	   RSV(iommu_ioas_map, __reserved),
	   IN(iommu_ioas_map, user_va, HEX, NULL),
	   IN(iommu_ioas_map, length, HEX, NULL),
	   IO(iommu_ioas_map, iova, HEX, NULL));

DEF_STRUCT(iommu_ioas_noiommu_get_pa,
	   SIZE(iommu_ioas_noiommu_get_pa),
	   IN(iommu_ioas_noiommu_get_pa, flags, HEX, NULL),
	   IN(iommu_ioas_noiommu_get_pa, ioas_id, ID, NULL),
	   RSV(iommu_ioas_noiommu_get_pa, __reserved),
	   IN(iommu_ioas_noiommu_get_pa, iova, HEX, NULL),
	   IO(iommu_ioas_noiommu_get_pa, length, HEX, NULL),
	   OUT(iommu_ioas_noiommu_get_pa, out_phys, HEX, NULL));

DEF_STRUCT(iommu_ioas_map_file,
	   SIZE(iommu_ioas_map_file),
	   IN(iommu_ioas_map_file, flags, FLAGS, ioas_map_flags),
	   IN(iommu_ioas_map_file, ioas_id, ID, NULL),
	   IN(iommu_ioas_map_file, fd, SDEC, NULL),
	   IN(iommu_ioas_map_file, start, HEX, NULL),
	   IN(iommu_ioas_map_file, length, HEX, NULL),
	   IO(iommu_ioas_map_file, iova, HEX, NULL));

DEF_STRUCT(iommu_ioas_copy,
	   SIZE(iommu_ioas_copy),
	   IN(iommu_ioas_copy, flags, FLAGS, ioas_map_flags),
	   IN(iommu_ioas_copy, dst_ioas_id, ID, NULL),
	   IN(iommu_ioas_copy, src_ioas_id, ID, NULL),
	   IN(iommu_ioas_copy, length, HEX, NULL),
	   IO(iommu_ioas_copy, dst_iova, HEX, NULL),
	   IN(iommu_ioas_copy, src_iova, HEX, NULL));

DEF_STRUCT(iommu_ioas_unmap,
	   SIZE(iommu_ioas_unmap),
	   IN(iommu_ioas_unmap, ioas_id, ID, NULL),
	   IN(iommu_ioas_unmap, iova, HEX, NULL),
	   IO(iommu_ioas_unmap, length, HEX, NULL));

DEF_STRUCT(iommu_option,
	   SIZE(iommu_option),
	   IN(iommu_option, option_id, ENUM, option_ids),
	   IN(iommu_option, op, ENUM, option_ops),
	   RSV(iommu_option, __reserved),
	   IN(iommu_option, object_id, ID, NULL),
	   IO(iommu_option, val64, DEC, NULL));

DEF_STRUCT(iommu_vfio_ioas,
	   SIZE(iommu_vfio_ioas),
	   IO(iommu_vfio_ioas, ioas_id, ID, NULL),
	   IN(iommu_vfio_ioas, op, ENUM, vfio_ioas_ops),
	   RSV(iommu_vfio_ioas, __reserved));

DEF_STRUCT(iommu_hwpt_alloc,
	   SIZE(iommu_hwpt_alloc),
	   IN(iommu_hwpt_alloc, flags, FLAGS, hwpt_alloc_flags),
	   IN(iommu_hwpt_alloc, dev_id, ID, NULL),
	   IN(iommu_hwpt_alloc, pt_id, ID, NULL),
	   OUT(iommu_hwpt_alloc, out_hwpt_id, ID, NULL),
	   RSV(iommu_hwpt_alloc, __reserved),
	   IN(iommu_hwpt_alloc, data_type, ENUM, hwpt_data_types),
	   IN(iommu_hwpt_alloc, data_len, DEC, NULL),
	   IN(iommu_hwpt_alloc, data_uptr, HEX, NULL),
	   IN(iommu_hwpt_alloc, fault_id, ID, NULL),
	   RSV(iommu_hwpt_alloc, __reserved2));

DEF_STRUCT(iommu_hw_info,
	   SIZE(iommu_hw_info),
	   IN(iommu_hw_info, flags, FLAGS, hw_info_flags),
	   IN(iommu_hw_info, dev_id, ID, NULL),
	   IO(iommu_hw_info, data_len, DEC, NULL),
	   IN(iommu_hw_info, data_uptr, HEX, NULL),
	   IN(iommu_hw_info, in_data_type, ENUM, hw_info_types),
	   OUT(iommu_hw_info, out_data_type, ENUM, hw_info_types),
	   OUT(iommu_hw_info, out_max_pasid_log2, DEC, NULL),
	   RSV(iommu_hw_info, __reserved[0]),
	   RSV(iommu_hw_info, __reserved[1]),
	   RSV(iommu_hw_info, __reserved[2]),
	   OUT(iommu_hw_info, out_capabilities, FLAGS, hw_capabilities));

DEF_STRUCT(iommu_hwpt_set_dirty_tracking,
	   SIZE(iommu_hwpt_set_dirty_tracking),
	   IN(iommu_hwpt_set_dirty_tracking, flags, FLAGS,
	      dirty_tracking_flags),
	   IN(iommu_hwpt_set_dirty_tracking, hwpt_id, ID, NULL),
	   RSV(iommu_hwpt_set_dirty_tracking, __reserved));

DEF_STRUCT(iommu_hwpt_get_dirty_bitmap,
	   SIZE(iommu_hwpt_get_dirty_bitmap),
	   IN(iommu_hwpt_get_dirty_bitmap, hwpt_id, ID, NULL),
	   IN(iommu_hwpt_get_dirty_bitmap, flags, FLAGS, dirty_bitmap_flags),
	   RSV(iommu_hwpt_get_dirty_bitmap, __reserved),
	   IN(iommu_hwpt_get_dirty_bitmap, iova, HEX, NULL),
	   IN(iommu_hwpt_get_dirty_bitmap, length, HEX, NULL),
	   IN(iommu_hwpt_get_dirty_bitmap, page_size, HEX, NULL),
	   IN(iommu_hwpt_get_dirty_bitmap, data, HEX, NULL));

DEF_STRUCT(iommu_hwpt_invalidate,
	   SIZE(iommu_hwpt_invalidate),
	   IN(iommu_hwpt_invalidate, hwpt_id, ID, NULL),
	   IN(iommu_hwpt_invalidate, data_uptr, HEX, NULL),
	   IN(iommu_hwpt_invalidate, data_type, ENUM, invalidate_data_types),
	   IN(iommu_hwpt_invalidate, entry_len, DEC, NULL),
	   IO(iommu_hwpt_invalidate, entry_num, DEC, NULL),
	   RSV(iommu_hwpt_invalidate, __reserved));

DEF_STRUCT(iommu_fault_alloc,
	   SIZE(iommu_fault_alloc),
	   IN(iommu_fault_alloc, flags, HEX, NULL),
	   OUT(iommu_fault_alloc, out_fault_id, ID, NULL),
	   OUT(iommu_fault_alloc, out_fault_fd, SDEC, NULL));

DEF_STRUCT(iommu_viommu_alloc,
	   SIZE(iommu_viommu_alloc),
	   IN(iommu_viommu_alloc, flags, HEX, NULL),
	   IN(iommu_viommu_alloc, type, ENUM, viommu_types),
	   IN(iommu_viommu_alloc, dev_id, ID, NULL),
	   IN(iommu_viommu_alloc, hwpt_id, ID, NULL),
	   OUT(iommu_viommu_alloc, out_viommu_id, ID, NULL),
	   IN(iommu_viommu_alloc, data_len, DEC, NULL),
	   RSV(iommu_viommu_alloc, __reserved),
	   IN(iommu_viommu_alloc, data_uptr, HEX, NULL));

DEF_STRUCT(iommu_vdevice_alloc,
	   SIZE(iommu_vdevice_alloc),
	   IN(iommu_vdevice_alloc, viommu_id, ID, NULL),
	   IN(iommu_vdevice_alloc, dev_id, ID, NULL),
	   OUT(iommu_vdevice_alloc, out_vdevice_id, ID, NULL),
	   IN(iommu_vdevice_alloc, virt_id, HEX, NULL));

DEF_STRUCT(iommu_ioas_change_process,
	   SIZE(iommu_ioas_change_process),
	   RSV(iommu_ioas_change_process, __reserved));

DEF_STRUCT(iommu_veventq_alloc,
	   SIZE(iommu_veventq_alloc),
	   IN(iommu_veventq_alloc, flags, HEX, NULL),
	   IN(iommu_veventq_alloc, viommu_id, ID, NULL),
	   IN(iommu_veventq_alloc, type, ENUM, veventq_types),
	   IN(iommu_veventq_alloc, veventq_depth, DEC, NULL),
	   OUT(iommu_veventq_alloc, out_veventq_id, ID, NULL),
	   OUT(iommu_veventq_alloc, out_veventq_fd, SDEC, NULL),
	   RSV(iommu_veventq_alloc, __reserved));

DEF_STRUCT(iommu_hw_queue_alloc,
	   SIZE(iommu_hw_queue_alloc),
	   IN(iommu_hw_queue_alloc, flags, HEX, NULL),
	   IN(iommu_hw_queue_alloc, viommu_id, ID, NULL),
	   IN(iommu_hw_queue_alloc, type, ENUM, hw_queue_types),
	   IN(iommu_hw_queue_alloc, index, DEC, NULL),
	   OUT(iommu_hw_queue_alloc, out_hw_queue_id, ID, NULL),
	   IN(iommu_hw_queue_alloc, nesting_parent_iova, HEX, NULL),
	   IN(iommu_hw_queue_alloc, length, HEX, NULL));

/* ---- IOMMU_TEST_CMD: a header, then the op's member of the union ---------- */

/* The union's bytes, from its first member to 'last'. */
#define TEST_UNION_OFFSET __builtin_offsetof(struct iommu_test_cmd, add_reserved)
#define TEST_UNION_SIZE                                                        \
	(__builtin_offsetof(struct iommu_test_cmd, last) - TEST_UNION_OFFSET)

static const struct trace_field iommu_test_cmd_fields[] = {
	SIZE(iommu_test_cmd),
	IN(iommu_test_cmd, op, ENUM, test_ops),
	IN(iommu_test_cmd, id, ID, NULL),
	RSV(iommu_test_cmd, __reserved),
	{ .name = "(op's member)", .offset = TEST_UNION_OFFSET,
	  .size = TEST_UNION_SIZE, .fmt = TRACE_UNION, .dir = TRACE_INOUT },
	RSV(iommu_test_cmd, last),
};
static const struct trace_struct iommu_test_cmd_desc =
	TRACE_STRUCT(iommu_test_cmd, iommu_test_cmd_fields);

/*
 * Each member of the union is an anonymous struct; its table is described
 * as a struct of its own (TEST_MEMBER names it by the union member), with
 * offsets taken within the member.
 */
#define TEST_T(m) typeof(((struct iommu_test_cmd *)0)->m)
#define TF(m, f, fmt_, dir_, names_)                                           \
	{                                                                      \
		.name = #f, .offset = __builtin_offsetof(TEST_T(m), f),        \
		.size = sizeof(((TEST_T(m) *)0)->f), .fmt = TRACE_##fmt_,      \
		.dir = (dir_), .names = (names_),                              \
	}
#define TEST_MEMBER(m, ...)                                                    \
	static const struct trace_field test_##m##_fields[] = { __VA_ARGS__ }; \
	static const struct trace_struct test_##m##_desc = {                   \
		.name = "iommu_test_cmd." #m,                                  \
		.size = sizeof(TEST_T(m)),                                     \
		.fields = test_##m##_fields,                                   \
		.nfields = sizeof(test_##m##_fields) /                         \
			   sizeof(test_##m##_fields[0]),                       \
	}

TEST_MEMBER(add_reserved,
	    TF(add_reserved, start, HEX, TRACE_IN, NULL),
	    TF(add_reserved, length, HEX, TRACE_IN, NULL));
TEST_MEMBER(mock_domain,
	    TF(mock_domain, out_stdev_id, ID, TRACE_OUT, NULL),
	    TF(mock_domain, out_hwpt_id, ID, TRACE_OUT, NULL),
	    TF(mock_domain, out_idev_id, ID, TRACE_OUT, NULL));
TEST_MEMBER(mock_domain_flags,
	    TF(mock_domain_flags, out_stdev_id, ID, TRACE_OUT, NULL),
	    TF(mock_domain_flags, out_hwpt_id, ID, TRACE_OUT, NULL),
	    TF(mock_domain_flags, out_idev_id, ID, TRACE_OUT, NULL),
	    TF(mock_domain_flags, dev_flags, FLAGS, TRACE_IN,
	       mock_device_flags));
TEST_MEMBER(mock_domain_replace,
	    TF(mock_domain_replace, pt_id, ID, TRACE_INOUT, NULL));
TEST_MEMBER(check_map,
	    TF(check_map, iova, HEX, TRACE_IN, NULL),
	    TF(check_map, length, HEX, TRACE_IN, NULL),
	    TF(check_map, uptr, HEX, TRACE_IN, NULL));
TEST_MEMBER(check_refs,
	    TF(check_refs, length, HEX, TRACE_IN, NULL),
	    TF(check_refs, uptr, HEX, TRACE_IN, NULL),
	    TF(check_refs, refs, DEC, TRACE_IN, NULL));
TEST_MEMBER(create_access,
	    TF(create_access, out_access_fd, SDEC, TRACE_OUT, NULL),
	    TF(create_access, flags, FLAGS, TRACE_IN,
	       mock_create_access_flags));
TEST_MEMBER(destroy_access_pages,
	    TF(destroy_access_pages, access_pages_id, ID, TRACE_IN, NULL));
TEST_MEMBER(access_pages,
	    TF(access_pages, flags, FLAGS, TRACE_IN, mock_access_flags),
	    TF(access_pages, out_access_pages_id, ID, TRACE_OUT, NULL),
	    TF(access_pages, iova, HEX, TRACE_IN, NULL),
	    TF(access_pages, length, HEX, TRACE_IN, NULL),
	    TF(access_pages, uptr, HEX, TRACE_IN, NULL));
TEST_MEMBER(access_rw,
	    TF(access_rw, iova, HEX, TRACE_IN, NULL),
	    TF(access_rw, length, HEX, TRACE_IN, NULL),
	    TF(access_rw, uptr, HEX, TRACE_IN, NULL),
	    TF(access_rw, flags, FLAGS, TRACE_IN, mock_access_rw_flags));
TEST_MEMBER(memory_limit,
	    TF(memory_limit, limit, DEC, TRACE_IN, NULL));
TEST_MEMBER(access_replace_ioas,
	    TF(access_replace_ioas, ioas_id, ID, TRACE_IN, NULL));
TEST_MEMBER(dirty,
	    TF(dirty, flags, HEX, TRACE_IN, NULL),
	    TF(dirty, iova, HEX, TRACE_IN, NULL),
	    TF(dirty, length, HEX, TRACE_IN, NULL),
	    TF(dirty, page_size, HEX, TRACE_IN, NULL),
	    TF(dirty, uptr, HEX, TRACE_IN, NULL),
	    TF(dirty, out_nr_dirty, DEC, TRACE_OUT, NULL));
TEST_MEMBER(check_iotlb,
	    TF(check_iotlb, id, DEC, TRACE_IN, NULL),
	    TF(check_iotlb, iotlb, HEX, TRACE_IN, NULL));
TEST_MEMBER(trigger_iopf,
	    TF(trigger_iopf, dev_id, ID, TRACE_IN, NULL),
	    TF(trigger_iopf, pasid, DEC, TRACE_IN, NULL),
	    TF(trigger_iopf, grpid, DEC, TRACE_IN, NULL),
	    TF(trigger_iopf, perm, FLAGS, TRACE_IN, trace_pgfault_perms),
	    TF(trigger_iopf, addr, HEX, TRACE_IN, NULL));
TEST_MEMBER(check_dev_cache,
	    TF(check_dev_cache, id, DEC, TRACE_IN, NULL),
	    TF(check_dev_cache, cache, HEX, TRACE_IN, NULL));
TEST_MEMBER(trigger_vevent,
	    TF(trigger_vevent, dev_id, ID, TRACE_IN, NULL));
TEST_MEMBER(pasid_attach,
	    TF(pasid_attach, pasid, DEC, TRACE_IN, NULL),
	    TF(pasid_attach, pt_id, ID, TRACE_IN, NULL));
TEST_MEMBER(pasid_replace,
	    TF(pasid_replace, pasid, DEC, TRACE_IN, NULL),
	    TF(pasid_replace, pt_id, ID, TRACE_IN, NULL));
TEST_MEMBER(pasid_detach,
	    TF(pasid_detach, pasid, DEC, TRACE_IN, NULL));
TEST_MEMBER(pasid_check,
	    TF(pasid_check, pasid, DEC, TRACE_IN, NULL),
	    TF(pasid_check, hwpt_id, ID, TRACE_IN, NULL));
TEST_MEMBER(dmabuf_get,
	    TF(dmabuf_get, length, HEX, TRACE_IN, NULL),
	    TF(dmabuf_get, open_flags, HEX, TRACE_IN, NULL));
TEST_MEMBER(dmabuf_revoke,
	    TF(dmabuf_revoke, dmabuf_fd, SDEC, TRACE_IN, NULL),
	    TF(dmabuf_revoke, revoked, DEC, TRACE_IN, NULL));

#define VARIANT(op, m)                                                         \
	{                                                                      \
		.value = IOMMU_TEST_OP_##op, .name = "IOMMU_TEST_OP_" #op,     \
		.st = &test_##m##_desc, .offset = TEST_UNION_OFFSET,           \
	}

static const struct trace_variant test_variants[] = {
	VARIANT(ADD_RESERVED, add_reserved),
	VARIANT(MOCK_DOMAIN, mock_domain),
	VARIANT(MD_CHECK_MAP, check_map),
	VARIANT(MD_CHECK_REFS, check_refs),
	VARIANT(CREATE_ACCESS, create_access),
	VARIANT(DESTROY_ACCESS_PAGES, destroy_access_pages),
	VARIANT(ACCESS_PAGES, access_pages),
	VARIANT(ACCESS_RW, access_rw),
	VARIANT(SET_TEMP_MEMORY_LIMIT, memory_limit),
	VARIANT(MOCK_DOMAIN_REPLACE, mock_domain_replace),
	VARIANT(ACCESS_REPLACE_IOAS, access_replace_ioas),
	VARIANT(MOCK_DOMAIN_FLAGS, mock_domain_flags),
	VARIANT(DIRTY, dirty),
	VARIANT(MD_CHECK_IOTLB, check_iotlb),
	VARIANT(TRIGGER_IOPF, trigger_iopf),
	VARIANT(DEV_CHECK_CACHE, check_dev_cache),
	VARIANT(TRIGGER_VEVENT, trigger_vevent),
	VARIANT(PASID_ATTACH, pasid_attach),
	VARIANT(PASID_REPLACE, pasid_replace),
	VARIANT(PASID_DETACH, pasid_detach),
	VARIANT(PASID_CHECK_HWPT, pasid_check),
	VARIANT(DMABUF_GET, dmabuf_get),
	VARIANT(DMABUF_REVOKE, dmabuf_revoke),
};

/* ---- the VFIO type1 container's structs ----------------------------------- */

DEF_STRUCT(vfio_iommu_type1_info,
	   IN(vfio_iommu_type1_info, argsz, DEC, NULL),
	   OUT(vfio_iommu_type1_info, flags, FLAGS, vfio_info_flags),
	   OUT(vfio_iommu_type1_info, iova_pgsizes, HEX, NULL),
	   OUT(vfio_iommu_type1_info, cap_offset, DEC, NULL));

DEF_STRUCT(vfio_iommu_type1_dma_map,
	   IN(vfio_iommu_type1_dma_map, argsz, DEC, NULL),
	   IN(vfio_iommu_type1_dma_map, flags, FLAGS, vfio_map_flags),
	   IN(vfio_iommu_type1_dma_map, vaddr, HEX, NULL),
	   IN(vfio_iommu_type1_dma_map, iova, HEX, NULL),
	   IN(vfio_iommu_type1_dma_map, size, HEX, NULL));

DEF_STRUCT(vfio_iommu_type1_dma_unmap,
	   IN(vfio_iommu_type1_dma_unmap, argsz, DEC, NULL),
	   IN(vfio_iommu_type1_dma_unmap, flags, FLAGS, vfio_unmap_flags),
	   IN(vfio_iommu_type1_dma_unmap, iova, HEX, NULL),
	   IO(vfio_iommu_type1_dma_unmap, size, HEX, NULL));

/* ---- the ioctls ---------------------------------------------------------- */

#define ENTRIES(a) (a), (sizeof(a) / sizeof((a)[0]))

#define CMD(c, s)                                                              \
	{                                                                      \
		.cmd = c, .name = #c, .arg = TRACE_ARG_STRUCT,                 \
		.st = &s##_desc,                                               \
	}
#define CMD_PAYLOAD(c, s, p)                                                   \
	{                                                                      \
		.cmd = c, .name = #c, .arg = TRACE_ARG_STRUCT,                 \
		.st = &s##_desc, .payloads = p,                                \
		.npayloads = sizeof(p) / sizeof((p)[0]),                       \
	}

#define OFF(s, m) __builtin_offsetof(struct s, m)

static const struct trace_payload allow_iovas_payload[] = { {
	.name = "ranges", .dir = TRACE_IN,
	.ptr_off = OFF(iommu_ioas_allow_iovas, allowed_iovas),
	.len_off = OFF(iommu_ioas_allow_iovas, num_iovas),
	.len_is_count = true, .entry_len_off = TRACE_NO_FIELD,
	.type_off = TRACE_NO_FIELD, .st = &iommu_iova_range_desc,
} };

static const struct trace_payload iova_ranges_payload[] = { {
	.name = "ranges", .dir = TRACE_OUT,
	.ptr_off = OFF(iommu_ioas_iova_ranges, allowed_iovas),
	.len_off = OFF(iommu_ioas_iova_ranges, num_iovas),
	.len_is_count = true, .entry_len_off = TRACE_NO_FIELD,
	.type_off = TRACE_NO_FIELD, .st = &iommu_iova_range_desc,
} };

static const struct trace_payload hwpt_alloc_payload[] = { {
	.name = "data", .dir = TRACE_IN,
	.ptr_off = OFF(iommu_hwpt_alloc, data_uptr),
	.len_off = OFF(iommu_hwpt_alloc, data_len),
	.entry_len_off = TRACE_NO_FIELD,
	.type_off = OFF(iommu_hwpt_alloc, data_type),
	.types = ENTRIES(hwpt_data),
} };

static const struct trace_payload hw_info_payload[] = { {
	.name = "data", .dir = TRACE_OUT,
	.ptr_off = OFF(iommu_hw_info, data_uptr),
	.len_off = OFF(iommu_hw_info, data_len),
	.entry_len_off = TRACE_NO_FIELD,
	.type_off = OFF(iommu_hw_info, out_data_type),
	.types = ENTRIES(hw_info_data),
} };

static const struct trace_payload invalidate_payload[] = { {
	.name = "entries", .dir = TRACE_IN,
	.ptr_off = OFF(iommu_hwpt_invalidate, data_uptr),
	.len_off = OFF(iommu_hwpt_invalidate, entry_num),
	.len_is_count = true,
	.entry_len_off = OFF(iommu_hwpt_invalidate, entry_len),
	.type_off = OFF(iommu_hwpt_invalidate, data_type),
	.types = ENTRIES(invalidate_data),
} };

static const struct trace_payload viommu_payload[] = { {
	.name = "data", .dir = TRACE_INOUT,
	.ptr_off = OFF(iommu_viommu_alloc, data_uptr),
	.len_off = OFF(iommu_viommu_alloc, data_len),
	.entry_len_off = TRACE_NO_FIELD,
	.type_off = OFF(iommu_viommu_alloc, type),
	.types = ENTRIES(viommu_data),
} };

static const struct trace_ioctl iommufd_ioctls[] = {
	CMD(IOMMU_DESTROY, iommu_destroy),
	CMD(IOMMU_IOAS_ALLOC, iommu_ioas_alloc),
	CMD_PAYLOAD(IOMMU_IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas,
		    allow_iovas_payload),
	CMD(IOMMU_IOAS_COPY, iommu_ioas_copy),
	CMD_PAYLOAD(IOMMU_IOAS_IOVA_RANGES, iommu_ioas_iova_ranges,
		    iova_ranges_payload),
	CMD(IOMMU_IOAS_MAP, iommu_ioas_map),
	CMD(IOMMU_IOAS_UNMAP, iommu_ioas_unmap),
	CMD(IOMMU_OPTION, iommu_option),
	CMD(IOMMU_VFIO_IOAS, iommu_vfio_ioas),
	CMD_PAYLOAD(IOMMU_HWPT_ALLOC, iommu_hwpt_alloc, hwpt_alloc_payload),
	CMD_PAYLOAD(IOMMU_GET_HW_INFO, iommu_hw_info, hw_info_payload),
	CMD(IOMMU_HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking),
	CMD(IOMMU_HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap),
	CMD_PAYLOAD(IOMMU_HWPT_INVALIDATE, iommu_hwpt_invalidate,
		    invalidate_payload),
	CMD(IOMMU_FAULT_QUEUE_ALLOC, iommu_fault_alloc),
	CMD(IOMMU_IOAS_MAP_FILE, iommu_ioas_map_file),
	CMD_PAYLOAD(IOMMU_VIOMMU_ALLOC, iommu_viommu_alloc, viommu_payload),
	CMD(IOMMU_VDEVICE_ALLOC, iommu_vdevice_alloc),
	CMD(IOMMU_IOAS_CHANGE_PROCESS, iommu_ioas_change_process),
	CMD(IOMMU_VEVENTQ_ALLOC, iommu_veventq_alloc),
	CMD(IOMMU_HW_QUEUE_ALLOC, iommu_hw_queue_alloc),
	CMD(IOMMU_IOAS_NOIOMMU_GET_PA, iommu_ioas_noiommu_get_pa),
	{
		.cmd = IOMMU_TEST_CMD, .name = "IOMMU_TEST_CMD",
		.arg = TRACE_ARG_STRUCT, .st = &iommu_test_cmd_desc,
		.variants = ENTRIES(test_variants),
		.selector_off = OFF(iommu_test_cmd, op),
	},
	{ .cmd = VFIO_GET_API_VERSION, .name = "VFIO_GET_API_VERSION",
	  .arg = TRACE_ARG_NONE },
	{ .cmd = VFIO_CHECK_EXTENSION, .name = "VFIO_CHECK_EXTENSION",
	  .arg = TRACE_ARG_VALUE, .arg_names = vfio_extensions },
	{ .cmd = VFIO_SET_IOMMU, .name = "VFIO_SET_IOMMU",
	  .arg = TRACE_ARG_VALUE, .arg_names = vfio_extensions },
	CMD(VFIO_IOMMU_GET_INFO, vfio_iommu_type1_info),
	CMD(VFIO_IOMMU_MAP_DMA, vfio_iommu_type1_dma_map),
	CMD(VFIO_IOMMU_UNMAP_DMA, vfio_iommu_type1_dma_unmap),
};

const struct trace_file iommufd_trace_file = {
	.ioctls = iommufd_ioctls,
	.nioctls = sizeof(iommufd_ioctls) / sizeof(iommufd_ioctls[0]),
};

const struct trace_file fault_trace_file = {
	.read_record = &iommu_hwpt_pgfault_desc,
	.write_record = &iommu_hwpt_page_response_desc,
};

/* A vEVENTQ's records are a header and data of the event's own length:
 * each is named by the "vevent" event that queued it, not decoded at
 * read. */
const struct trace_file veventq_trace_file = { 0 };

/* Every struct a table above describes, for the table checks. */
const struct trace_struct *const trace_decode_structs[] = {
	&iommu_iova_range_desc,
	&iommu_hwpt_vtd_s1_desc,
	&iommu_hwpt_arm_smmuv3_desc,
	&iommu_hwpt_amd_guest_desc,
	&iommu_hwpt_selftest_desc,
	&iommu_hw_info_vtd_desc,
	&iommu_hw_info_arm_smmuv3_desc,
	&iommu_hw_info_tegra241_cmdqv_desc,
	&iommu_hw_info_amd_desc,
	&iommu_test_hw_info_desc,
	&iommu_hwpt_vtd_s1_invalidate_desc,
	&iommu_viommu_arm_smmuv3_invalidate_desc,
	&iommu_hwpt_invalidate_selftest_desc,
	&iommu_viommu_invalidate_selftest_desc,
	&iommu_viommu_tegra241_cmdqv_desc,
	&iommu_viommu_selftest_desc,
	&iommu_hwpt_pgfault_desc,
	&iommu_hwpt_page_response_desc,
	&iommu_destroy_desc,
	&iommu_ioas_alloc_desc,
	&iommu_ioas_iova_ranges_desc,
	&iommu_ioas_allow_iovas_desc,
	&iommu_ioas_map_desc,
	&iommu_ioas_noiommu_get_pa_desc,
	&iommu_ioas_map_file_desc,
	&iommu_ioas_copy_desc,
	&iommu_ioas_unmap_desc,
	&iommu_option_desc,
	&iommu_vfio_ioas_desc,
	&iommu_hwpt_alloc_desc,
	&iommu_hw_info_desc,
	&iommu_hwpt_set_dirty_tracking_desc,
	&iommu_hwpt_get_dirty_bitmap_desc,
	&iommu_hwpt_invalidate_desc,
	&iommu_fault_alloc_desc,
	&iommu_viommu_alloc_desc,
	&iommu_vdevice_alloc_desc,
	&iommu_ioas_change_process_desc,
	&iommu_veventq_alloc_desc,
	&iommu_hw_queue_alloc_desc,
	&iommu_test_cmd_desc,
	&test_add_reserved_desc,
	&test_mock_domain_desc,
	&test_mock_domain_flags_desc,
	&test_mock_domain_replace_desc,
	&test_check_map_desc,
	&test_check_refs_desc,
	&test_create_access_desc,
	&test_destroy_access_pages_desc,
	&test_access_pages_desc,
	&test_access_rw_desc,
	&test_memory_limit_desc,
	&test_access_replace_ioas_desc,
	&test_dirty_desc,
	&test_check_iotlb_desc,
	&test_trigger_iopf_desc,
	&test_check_dev_cache_desc,
	&test_trigger_vevent_desc,
	&test_pasid_attach_desc,
	&test_pasid_replace_desc,
	&test_pasid_detach_desc,
	&test_pasid_check_desc,
	&test_dmabuf_get_desc,
	&test_dmabuf_revoke_desc,
	&vfio_iommu_type1_info_desc,
	&vfio_iommu_type1_dma_map_desc,
	&vfio_iommu_type1_dma_unmap_desc,
};
const size_t trace_decode_nstructs =
	sizeof(trace_decode_structs) / sizeof(trace_decode_structs[0]);
