// SPDX-License-Identifier: MIT
/*
 * The uAPI headers are only useful if they are byte-for-byte the kernel's.
 * Every expected number below is a literal worked out by hand from the
 * kernel's include/uapi/linux/iommufd.h and drivers/iommu/iommufd/
 * iommufd_test.h (natural alignment; __aligned_u64 is an 8-byte-aligned
 * u64), never computed from our own header. Sizes are also checked at build
 * time, so a wrong layout does not even compile.
 *
 * The min_size test records the kernel's dispatch table (main.c,
 * IOCTL_OP(..., last_field)): the minimum a caller's size may be is the
 * end of that field. Those numbers are part of the ABI too.
 */
#include "harness.h"

#include <stddef.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>
#include <iommusim/uapi/vfio_device.h>

/* ---- build-time checks: sizes and alignments ---------------------------- */

#define SIZE_IS(type, n) _Static_assert(sizeof(type) == (n), #type " size")
#define ALIGN_IS(type, n) \
	_Static_assert(_Alignof(type) == (n), #type " alignment")

SIZE_IS(struct iommu_destroy, 8);
SIZE_IS(struct iommu_ioas_alloc, 12);
SIZE_IS(struct iommu_iova_range, 16);
SIZE_IS(struct iommu_ioas_iova_ranges, 32);
SIZE_IS(struct iommu_ioas_allow_iovas, 24);
SIZE_IS(struct iommu_ioas_map, 40);
SIZE_IS(struct iommu_ioas_noiommu_get_pa, 40);
SIZE_IS(struct iommu_ioas_map_file, 40);
SIZE_IS(struct iommu_ioas_copy, 40);
SIZE_IS(struct iommu_ioas_unmap, 24);
SIZE_IS(struct iommu_option, 24);
SIZE_IS(struct iommu_vfio_ioas, 12);
SIZE_IS(struct iommu_hwpt_vtd_s1, 24);
SIZE_IS(struct iommu_hwpt_arm_smmuv3, 16);
SIZE_IS(struct iommu_hwpt_amd_guest, 32);
SIZE_IS(struct iommu_hwpt_alloc, 48);
SIZE_IS(struct iommu_hw_info_vtd, 24);
SIZE_IS(struct iommu_hw_info_arm_smmuv3, 40);
SIZE_IS(struct iommu_hw_info_tegra241_cmdqv, 8);
SIZE_IS(struct iommu_hw_info_amd, 16);
SIZE_IS(struct iommu_hw_info, 40);
SIZE_IS(struct iommu_hwpt_set_dirty_tracking, 16);
SIZE_IS(struct iommu_hwpt_get_dirty_bitmap, 48);
SIZE_IS(struct iommu_hwpt_vtd_s1_invalidate, 24);
SIZE_IS(struct iommu_viommu_arm_smmuv3_invalidate, 16);
SIZE_IS(struct iommu_hwpt_invalidate, 32);
SIZE_IS(struct iommu_hwpt_pgfault, 40);
SIZE_IS(struct iommu_hwpt_page_response, 8);
SIZE_IS(struct iommu_fault_alloc, 16);
SIZE_IS(struct iommu_viommu_tegra241_cmdqv, 16);
SIZE_IS(struct iommu_viommu_alloc, 40);
SIZE_IS(struct iommu_vdevice_alloc, 24);
SIZE_IS(struct iommu_ioas_change_process, 8);
SIZE_IS(struct iommufd_vevent_header, 8);
SIZE_IS(struct iommu_vevent_arm_smmuv3, 32);
SIZE_IS(struct iommu_vevent_tegra241_cmdqv, 16);
SIZE_IS(struct iommu_veventq_alloc, 32);
SIZE_IS(struct iommu_hw_queue_alloc, 40);

SIZE_IS(struct iommu_test_cmd, 72);
SIZE_IS(struct iommu_test_hw_info, 8);
SIZE_IS(struct iommu_hwpt_selftest, 8);
SIZE_IS(struct iommu_hwpt_invalidate_selftest, 8);
SIZE_IS(struct iommu_viommu_selftest, 24);
SIZE_IS(struct iommu_viommu_invalidate_selftest, 12);
SIZE_IS(struct iommu_viommu_event_selftest, 4);

/* Records read from or written to fds, and array elements, must keep the
 * kernel's alignment too (it is 8 on 32-bit x86 only via __aligned_u64). */
ALIGN_IS(struct iommu_iova_range, 8);
ALIGN_IS(struct iommu_hwpt_pgfault, 8);
ALIGN_IS(struct iommu_hwpt_page_response, 4);
ALIGN_IS(struct iommufd_vevent_header, 4);
ALIGN_IS(struct iommu_vevent_arm_smmuv3, 8);
ALIGN_IS(struct iommu_vevent_tegra241_cmdqv, 8);
ALIGN_IS(struct iommu_hwpt_vtd_s1_invalidate, 8);
ALIGN_IS(struct iommu_viommu_arm_smmuv3_invalidate, 8);
ALIGN_IS(struct iommu_hw_info_tegra241_cmdqv, 4);
ALIGN_IS(struct iommu_hw_info, 8);
ALIGN_IS(struct iommu_hwpt_alloc, 8);
ALIGN_IS(struct iommu_test_cmd, 8);
ALIGN_IS(struct iommu_hwpt_invalidate_selftest, 4);
ALIGN_IS(struct iommu_viommu_invalidate_selftest, 4);

/* The two fd fields are the only signed ones. */
#define MEMBER_TYPE(type, field) __typeof__(((type *)0)->field)
_Static_assert((MEMBER_TYPE(struct iommu_ioas_map_file, fd))-1 < 0,
	       "iommu_ioas_map_file.fd is signed");
_Static_assert(
	(MEMBER_TYPE(struct iommu_test_cmd, dmabuf_revoke.dmabuf_fd))-1 < 0,
	"dmabuf_revoke.dmabuf_fd is signed");
_Static_assert(
	(MEMBER_TYPE(struct iommu_test_cmd, dmabuf_revoke.revoked))-1 > 0,
	"dmabuf_revoke.revoked is unsigned");
_Static_assert((MEMBER_TYPE(struct iommu_ioas_map, iova))-1 > 0,
	       "iommu_ioas_map.iova is unsigned");

/* ---- run-time checks: every field --------------------------------------- */

#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)
#define OFFSET_END(type, field) \
	(offsetof(type, field) + FIELD_SIZE(type, field))

/* Struct size. */
#define S(type, n) EXPECT_EQ(n, sizeof(type))
/* Field offset and width. */
#define F(type, field, off, width)                                             \
	do {                                                                   \
		EXPECT_EQ(off, offsetof(type, field));                         \
		EXPECT_EQ(width, FIELD_SIZE(type, field));                     \
	} while (0)

TEST(layout_ioas)
{
	S(struct iommu_destroy, 8);
	F(struct iommu_destroy, size, 0, 4);
	F(struct iommu_destroy, id, 4, 4);

	S(struct iommu_ioas_alloc, 12);
	F(struct iommu_ioas_alloc, size, 0, 4);
	F(struct iommu_ioas_alloc, flags, 4, 4);
	F(struct iommu_ioas_alloc, out_ioas_id, 8, 4);

	S(struct iommu_iova_range, 16);
	F(struct iommu_iova_range, start, 0, 8);
	F(struct iommu_iova_range, last, 8, 8);

	S(struct iommu_ioas_iova_ranges, 32);
	F(struct iommu_ioas_iova_ranges, size, 0, 4);
	F(struct iommu_ioas_iova_ranges, ioas_id, 4, 4);
	F(struct iommu_ioas_iova_ranges, num_iovas, 8, 4);
	F(struct iommu_ioas_iova_ranges, __reserved, 12, 4);
	F(struct iommu_ioas_iova_ranges, allowed_iovas, 16, 8);
	F(struct iommu_ioas_iova_ranges, out_iova_alignment, 24, 8);

	S(struct iommu_ioas_allow_iovas, 24);
	F(struct iommu_ioas_allow_iovas, size, 0, 4);
	F(struct iommu_ioas_allow_iovas, ioas_id, 4, 4);
	F(struct iommu_ioas_allow_iovas, num_iovas, 8, 4);
	F(struct iommu_ioas_allow_iovas, __reserved, 12, 4);
	F(struct iommu_ioas_allow_iovas, allowed_iovas, 16, 8);
}

TEST(layout_map_copy_unmap)
{
	S(struct iommu_ioas_map, 40);
	F(struct iommu_ioas_map, size, 0, 4);
	F(struct iommu_ioas_map, flags, 4, 4);
	F(struct iommu_ioas_map, ioas_id, 8, 4);
	F(struct iommu_ioas_map, __reserved, 12, 4);
	F(struct iommu_ioas_map, user_va, 16, 8);
	F(struct iommu_ioas_map, length, 24, 8);
	F(struct iommu_ioas_map, iova, 32, 8);

	S(struct iommu_ioas_noiommu_get_pa, 40);
	F(struct iommu_ioas_noiommu_get_pa, size, 0, 4);
	F(struct iommu_ioas_noiommu_get_pa, flags, 4, 4);
	F(struct iommu_ioas_noiommu_get_pa, ioas_id, 8, 4);
	F(struct iommu_ioas_noiommu_get_pa, __reserved, 12, 4);
	F(struct iommu_ioas_noiommu_get_pa, iova, 16, 8);
	F(struct iommu_ioas_noiommu_get_pa, length, 24, 8);
	F(struct iommu_ioas_noiommu_get_pa, out_phys, 32, 8);

	S(struct iommu_ioas_map_file, 40);
	F(struct iommu_ioas_map_file, size, 0, 4);
	F(struct iommu_ioas_map_file, flags, 4, 4);
	F(struct iommu_ioas_map_file, ioas_id, 8, 4);
	F(struct iommu_ioas_map_file, fd, 12, 4);
	F(struct iommu_ioas_map_file, start, 16, 8);
	F(struct iommu_ioas_map_file, length, 24, 8);
	F(struct iommu_ioas_map_file, iova, 32, 8);

	S(struct iommu_ioas_copy, 40);
	F(struct iommu_ioas_copy, size, 0, 4);
	F(struct iommu_ioas_copy, flags, 4, 4);
	F(struct iommu_ioas_copy, dst_ioas_id, 8, 4);
	F(struct iommu_ioas_copy, src_ioas_id, 12, 4);
	F(struct iommu_ioas_copy, length, 16, 8);
	F(struct iommu_ioas_copy, dst_iova, 24, 8);
	F(struct iommu_ioas_copy, src_iova, 32, 8);

	S(struct iommu_ioas_unmap, 24);
	F(struct iommu_ioas_unmap, size, 0, 4);
	F(struct iommu_ioas_unmap, ioas_id, 4, 4);
	F(struct iommu_ioas_unmap, iova, 8, 8);
	F(struct iommu_ioas_unmap, length, 16, 8);

	S(struct iommu_ioas_change_process, 8);
	F(struct iommu_ioas_change_process, size, 0, 4);
	F(struct iommu_ioas_change_process, __reserved, 4, 4);
}

TEST(layout_option_vfio_ioas)
{
	S(struct iommu_option, 24);
	F(struct iommu_option, size, 0, 4);
	F(struct iommu_option, option_id, 4, 4);
	F(struct iommu_option, op, 8, 2);
	F(struct iommu_option, __reserved, 10, 2);
	F(struct iommu_option, object_id, 12, 4);
	F(struct iommu_option, val64, 16, 8);

	S(struct iommu_vfio_ioas, 12);
	F(struct iommu_vfio_ioas, size, 0, 4);
	F(struct iommu_vfio_ioas, ioas_id, 4, 4);
	F(struct iommu_vfio_ioas, op, 8, 2);
	F(struct iommu_vfio_ioas, __reserved, 10, 2);
}

TEST(layout_hwpt_alloc_and_data)
{
	S(struct iommu_hwpt_alloc, 48);
	F(struct iommu_hwpt_alloc, size, 0, 4);
	F(struct iommu_hwpt_alloc, flags, 4, 4);
	F(struct iommu_hwpt_alloc, dev_id, 8, 4);
	F(struct iommu_hwpt_alloc, pt_id, 12, 4);
	F(struct iommu_hwpt_alloc, out_hwpt_id, 16, 4);
	F(struct iommu_hwpt_alloc, __reserved, 20, 4);
	F(struct iommu_hwpt_alloc, data_type, 24, 4);
	F(struct iommu_hwpt_alloc, data_len, 28, 4);
	F(struct iommu_hwpt_alloc, data_uptr, 32, 8);
	F(struct iommu_hwpt_alloc, fault_id, 40, 4);
	F(struct iommu_hwpt_alloc, __reserved2, 44, 4);

	S(struct iommu_hwpt_vtd_s1, 24);
	F(struct iommu_hwpt_vtd_s1, flags, 0, 8);
	F(struct iommu_hwpt_vtd_s1, pgtbl_addr, 8, 8);
	F(struct iommu_hwpt_vtd_s1, addr_width, 16, 4);
	F(struct iommu_hwpt_vtd_s1, __reserved, 20, 4);

	S(struct iommu_hwpt_arm_smmuv3, 16);
	F(struct iommu_hwpt_arm_smmuv3, ste, 0, 16);
	F(struct iommu_hwpt_arm_smmuv3, ste[1], 8, 8);

	S(struct iommu_hwpt_amd_guest, 32);
	F(struct iommu_hwpt_amd_guest, dte, 0, 32);
	F(struct iommu_hwpt_amd_guest, dte[3], 24, 8);
}

TEST(layout_hw_info)
{
	S(struct iommu_hw_info, 40);
	F(struct iommu_hw_info, size, 0, 4);
	F(struct iommu_hw_info, flags, 4, 4);
	F(struct iommu_hw_info, dev_id, 8, 4);
	F(struct iommu_hw_info, data_len, 12, 4);
	F(struct iommu_hw_info, data_uptr, 16, 8);
	F(struct iommu_hw_info, in_data_type, 24, 4);
	F(struct iommu_hw_info, out_data_type, 24, 4);
	F(struct iommu_hw_info, out_max_pasid_log2, 28, 1);
	F(struct iommu_hw_info, __reserved, 29, 3);
	F(struct iommu_hw_info, out_capabilities, 32, 8);

	S(struct iommu_hw_info_vtd, 24);
	F(struct iommu_hw_info_vtd, flags, 0, 4);
	F(struct iommu_hw_info_vtd, __reserved, 4, 4);
	F(struct iommu_hw_info_vtd, cap_reg, 8, 8);
	F(struct iommu_hw_info_vtd, ecap_reg, 16, 8);

	S(struct iommu_hw_info_arm_smmuv3, 40);
	F(struct iommu_hw_info_arm_smmuv3, flags, 0, 4);
	F(struct iommu_hw_info_arm_smmuv3, __reserved, 4, 4);
	F(struct iommu_hw_info_arm_smmuv3, idr, 8, 24);
	F(struct iommu_hw_info_arm_smmuv3, idr[5], 28, 4);
	F(struct iommu_hw_info_arm_smmuv3, iidr, 32, 4);
	F(struct iommu_hw_info_arm_smmuv3, aidr, 36, 4);

	S(struct iommu_hw_info_tegra241_cmdqv, 8);
	F(struct iommu_hw_info_tegra241_cmdqv, flags, 0, 4);
	F(struct iommu_hw_info_tegra241_cmdqv, version, 4, 1);
	F(struct iommu_hw_info_tegra241_cmdqv, log2vcmdqs, 5, 1);
	F(struct iommu_hw_info_tegra241_cmdqv, log2vsids, 6, 1);
	F(struct iommu_hw_info_tegra241_cmdqv, __reserved, 7, 1);

	S(struct iommu_hw_info_amd, 16);
	F(struct iommu_hw_info_amd, efr, 0, 8);
	F(struct iommu_hw_info_amd, efr2, 8, 8);
}

TEST(layout_dirty_tracking)
{
	S(struct iommu_hwpt_set_dirty_tracking, 16);
	F(struct iommu_hwpt_set_dirty_tracking, size, 0, 4);
	F(struct iommu_hwpt_set_dirty_tracking, flags, 4, 4);
	F(struct iommu_hwpt_set_dirty_tracking, hwpt_id, 8, 4);
	F(struct iommu_hwpt_set_dirty_tracking, __reserved, 12, 4);

	S(struct iommu_hwpt_get_dirty_bitmap, 48);
	F(struct iommu_hwpt_get_dirty_bitmap, size, 0, 4);
	F(struct iommu_hwpt_get_dirty_bitmap, hwpt_id, 4, 4);
	F(struct iommu_hwpt_get_dirty_bitmap, flags, 8, 4);
	F(struct iommu_hwpt_get_dirty_bitmap, __reserved, 12, 4);
	F(struct iommu_hwpt_get_dirty_bitmap, iova, 16, 8);
	F(struct iommu_hwpt_get_dirty_bitmap, length, 24, 8);
	F(struct iommu_hwpt_get_dirty_bitmap, page_size, 32, 8);
	F(struct iommu_hwpt_get_dirty_bitmap, data, 40, 8);
}

TEST(layout_invalidate)
{
	S(struct iommu_hwpt_invalidate, 32);
	F(struct iommu_hwpt_invalidate, size, 0, 4);
	F(struct iommu_hwpt_invalidate, hwpt_id, 4, 4);
	F(struct iommu_hwpt_invalidate, data_uptr, 8, 8);
	F(struct iommu_hwpt_invalidate, data_type, 16, 4);
	F(struct iommu_hwpt_invalidate, entry_len, 20, 4);
	F(struct iommu_hwpt_invalidate, entry_num, 24, 4);
	F(struct iommu_hwpt_invalidate, __reserved, 28, 4);

	S(struct iommu_hwpt_vtd_s1_invalidate, 24);
	F(struct iommu_hwpt_vtd_s1_invalidate, addr, 0, 8);
	F(struct iommu_hwpt_vtd_s1_invalidate, npages, 8, 8);
	F(struct iommu_hwpt_vtd_s1_invalidate, flags, 16, 4);
	F(struct iommu_hwpt_vtd_s1_invalidate, __reserved, 20, 4);

	S(struct iommu_viommu_arm_smmuv3_invalidate, 16);
	F(struct iommu_viommu_arm_smmuv3_invalidate, cmd, 0, 16);
	F(struct iommu_viommu_arm_smmuv3_invalidate, cmd[1], 8, 8);
}

TEST(layout_fault)
{
	S(struct iommu_hwpt_pgfault, 40);
	F(struct iommu_hwpt_pgfault, flags, 0, 4);
	F(struct iommu_hwpt_pgfault, dev_id, 4, 4);
	F(struct iommu_hwpt_pgfault, pasid, 8, 4);
	F(struct iommu_hwpt_pgfault, grpid, 12, 4);
	F(struct iommu_hwpt_pgfault, perm, 16, 4);
	F(struct iommu_hwpt_pgfault, __reserved, 20, 4);
	F(struct iommu_hwpt_pgfault, addr, 24, 8);
	F(struct iommu_hwpt_pgfault, length, 32, 4);
	F(struct iommu_hwpt_pgfault, cookie, 36, 4);

	S(struct iommu_hwpt_page_response, 8);
	F(struct iommu_hwpt_page_response, cookie, 0, 4);
	F(struct iommu_hwpt_page_response, code, 4, 4);

	S(struct iommu_fault_alloc, 16);
	F(struct iommu_fault_alloc, size, 0, 4);
	F(struct iommu_fault_alloc, flags, 4, 4);
	F(struct iommu_fault_alloc, out_fault_id, 8, 4);
	F(struct iommu_fault_alloc, out_fault_fd, 12, 4);
}

TEST(layout_viommu_vdevice)
{
	S(struct iommu_viommu_alloc, 40);
	F(struct iommu_viommu_alloc, size, 0, 4);
	F(struct iommu_viommu_alloc, flags, 4, 4);
	F(struct iommu_viommu_alloc, type, 8, 4);
	F(struct iommu_viommu_alloc, dev_id, 12, 4);
	F(struct iommu_viommu_alloc, hwpt_id, 16, 4);
	F(struct iommu_viommu_alloc, out_viommu_id, 20, 4);
	F(struct iommu_viommu_alloc, data_len, 24, 4);
	F(struct iommu_viommu_alloc, __reserved, 28, 4);
	F(struct iommu_viommu_alloc, data_uptr, 32, 8);

	S(struct iommu_viommu_tegra241_cmdqv, 16);
	F(struct iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset, 0, 8);
	F(struct iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8, 8);

	S(struct iommu_vdevice_alloc, 24);
	F(struct iommu_vdevice_alloc, size, 0, 4);
	F(struct iommu_vdevice_alloc, viommu_id, 4, 4);
	F(struct iommu_vdevice_alloc, dev_id, 8, 4);
	F(struct iommu_vdevice_alloc, out_vdevice_id, 12, 4);
	F(struct iommu_vdevice_alloc, virt_id, 16, 8);
}

TEST(layout_veventq_hw_queue)
{
	S(struct iommufd_vevent_header, 8);
	F(struct iommufd_vevent_header, flags, 0, 4);
	F(struct iommufd_vevent_header, sequence, 4, 4);

	S(struct iommu_vevent_arm_smmuv3, 32);
	F(struct iommu_vevent_arm_smmuv3, evt, 0, 32);
	F(struct iommu_vevent_arm_smmuv3, evt[3], 24, 8);

	S(struct iommu_vevent_tegra241_cmdqv, 16);
	F(struct iommu_vevent_tegra241_cmdqv, lvcmdq_err_map, 0, 16);

	S(struct iommu_veventq_alloc, 32);
	F(struct iommu_veventq_alloc, size, 0, 4);
	F(struct iommu_veventq_alloc, flags, 4, 4);
	F(struct iommu_veventq_alloc, viommu_id, 8, 4);
	F(struct iommu_veventq_alloc, type, 12, 4);
	F(struct iommu_veventq_alloc, veventq_depth, 16, 4);
	F(struct iommu_veventq_alloc, out_veventq_id, 20, 4);
	F(struct iommu_veventq_alloc, out_veventq_fd, 24, 4);
	F(struct iommu_veventq_alloc, __reserved, 28, 4);

	S(struct iommu_hw_queue_alloc, 40);
	F(struct iommu_hw_queue_alloc, size, 0, 4);
	F(struct iommu_hw_queue_alloc, flags, 4, 4);
	F(struct iommu_hw_queue_alloc, viommu_id, 8, 4);
	F(struct iommu_hw_queue_alloc, type, 12, 4);
	F(struct iommu_hw_queue_alloc, index, 16, 4);
	F(struct iommu_hw_queue_alloc, out_hw_queue_id, 20, 4);
	F(struct iommu_hw_queue_alloc, nesting_parent_iova, 24, 8);
	F(struct iommu_hw_queue_alloc, length, 32, 8);
}

TEST(layout_test_cmd)
{
	typedef struct iommu_test_cmd T;

	S(T, 72);
	F(T, size, 0, 4);
	F(T, op, 4, 4);
	F(T, id, 8, 4);
	F(T, __reserved, 12, 4);
	F(T, last, 64, 4);

	F(T, add_reserved.start, 16, 8);
	F(T, add_reserved.length, 24, 8);

	F(T, mock_domain.out_stdev_id, 16, 4);
	F(T, mock_domain.out_hwpt_id, 20, 4);
	F(T, mock_domain.out_idev_id, 24, 4);

	F(T, mock_domain_flags.out_stdev_id, 16, 4);
	F(T, mock_domain_flags.out_hwpt_id, 20, 4);
	F(T, mock_domain_flags.out_idev_id, 24, 4);
	F(T, mock_domain_flags.dev_flags, 28, 4);

	F(T, mock_domain_replace.pt_id, 16, 4);

	F(T, check_map.iova, 16, 8);
	F(T, check_map.length, 24, 8);
	F(T, check_map.uptr, 32, 8);

	F(T, check_refs.length, 16, 8);
	F(T, check_refs.uptr, 24, 8);
	F(T, check_refs.refs, 32, 4);

	F(T, create_access.out_access_fd, 16, 4);
	F(T, create_access.flags, 20, 4);

	F(T, destroy_access_pages.access_pages_id, 16, 4);

	F(T, access_pages.flags, 16, 4);
	F(T, access_pages.out_access_pages_id, 20, 4);
	F(T, access_pages.iova, 24, 8);
	F(T, access_pages.length, 32, 8);
	F(T, access_pages.uptr, 40, 8);

	F(T, access_rw.iova, 16, 8);
	F(T, access_rw.length, 24, 8);
	F(T, access_rw.uptr, 32, 8);
	F(T, access_rw.flags, 40, 4);

	F(T, memory_limit.limit, 16, 4);
	F(T, access_replace_ioas.ioas_id, 16, 4);

	F(T, dirty.flags, 16, 4);
	F(T, dirty.iova, 24, 8);
	F(T, dirty.length, 32, 8);
	F(T, dirty.page_size, 40, 8);
	F(T, dirty.uptr, 48, 8);
	F(T, dirty.out_nr_dirty, 56, 8);

	F(T, check_iotlb.id, 16, 4);
	F(T, check_iotlb.iotlb, 20, 4);

	F(T, trigger_iopf.dev_id, 16, 4);
	F(T, trigger_iopf.pasid, 20, 4);
	F(T, trigger_iopf.grpid, 24, 4);
	F(T, trigger_iopf.perm, 28, 4);
	F(T, trigger_iopf.addr, 32, 8);

	F(T, check_dev_cache.id, 16, 4);
	F(T, check_dev_cache.cache, 20, 4);

	F(T, trigger_vevent.dev_id, 16, 4);

	F(T, pasid_attach.pasid, 16, 4);
	F(T, pasid_attach.pt_id, 20, 4);
	F(T, pasid_replace.pasid, 16, 4);
	F(T, pasid_replace.pt_id, 20, 4);
	F(T, pasid_detach.pasid, 16, 4);
	F(T, pasid_check.pasid, 16, 4);
	F(T, pasid_check.hwpt_id, 20, 4);

	F(T, dmabuf_get.length, 16, 4);
	F(T, dmabuf_get.open_flags, 20, 4);
	F(T, dmabuf_revoke.dmabuf_fd, 16, 4);
	F(T, dmabuf_revoke.revoked, 20, 4);
}

TEST(layout_selftest_data)
{
	S(struct iommu_test_hw_info, 8);
	F(struct iommu_test_hw_info, flags, 0, 4);
	F(struct iommu_test_hw_info, test_reg, 4, 4);

	S(struct iommu_hwpt_selftest, 8);
	F(struct iommu_hwpt_selftest, iotlb, 0, 4);
	F(struct iommu_hwpt_selftest, pagetable_type, 4, 4);

	S(struct iommu_hwpt_invalidate_selftest, 8);
	F(struct iommu_hwpt_invalidate_selftest, flags, 0, 4);
	F(struct iommu_hwpt_invalidate_selftest, iotlb_id, 4, 4);

	S(struct iommu_viommu_selftest, 24);
	F(struct iommu_viommu_selftest, in_data, 0, 4);
	F(struct iommu_viommu_selftest, out_data, 4, 4);
	F(struct iommu_viommu_selftest, out_mmap_offset, 8, 8);
	F(struct iommu_viommu_selftest, out_mmap_length, 16, 8);

	S(struct iommu_viommu_invalidate_selftest, 12);
	F(struct iommu_viommu_invalidate_selftest, flags, 0, 4);
	F(struct iommu_viommu_invalidate_selftest, vdev_id, 4, 4);
	F(struct iommu_viommu_invalidate_selftest, cache_id, 8, 4);

	S(struct iommu_viommu_event_selftest, 4);
	F(struct iommu_viommu_event_selftest, virt_id, 0, 4);
}

/* ---- ioctl numbers ------------------------------------------------------ */

/* The VFIO device cdev's iommufd commands, from the newest
 * include/uapi/linux/vfio.h (BIND's token: 6.17; the PASID forms: 6.13). */
TEST(layout_vfio_device_cdev)
{
	S(struct vfio_device_bind_iommufd, 24);
	F(struct vfio_device_bind_iommufd, argsz, 0, 4);
	F(struct vfio_device_bind_iommufd, flags, 4, 4);
	F(struct vfio_device_bind_iommufd, iommufd, 8, 4);
	F(struct vfio_device_bind_iommufd, out_devid, 12, 4);
	F(struct vfio_device_bind_iommufd, token_uuid_ptr, 16, 8);
	S(struct vfio_device_attach_iommufd_pt, 16);
	F(struct vfio_device_attach_iommufd_pt, argsz, 0, 4);
	F(struct vfio_device_attach_iommufd_pt, flags, 4, 4);
	F(struct vfio_device_attach_iommufd_pt, pt_id, 8, 4);
	F(struct vfio_device_attach_iommufd_pt, pasid, 12, 4);
	S(struct vfio_device_detach_iommufd_pt, 12);
	F(struct vfio_device_detach_iommufd_pt, argsz, 0, 4);
	F(struct vfio_device_detach_iommufd_pt, flags, 4, 4);
	F(struct vfio_device_detach_iommufd_pt, pasid, 8, 4);
	/* _IO(';', 100 + 18..20) */
	EXPECT_EQ(0x3b76, VFIO_DEVICE_BIND_IOMMUFD);
	EXPECT_EQ(0x3b77, VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	EXPECT_EQ(0x3b78, VFIO_DEVICE_DETACH_IOMMUFD_PT);
	EXPECT_EQ(1, VFIO_DEVICE_BIND_FLAG_TOKEN);
	EXPECT_EQ(1, VFIO_DEVICE_ATTACH_PASID);
	EXPECT_EQ(1, VFIO_DEVICE_DETACH_PASID);
}

TEST(ioctl_numbers)
{
	EXPECT_EQ(';', IOMMUFD_TYPE);
	EXPECT_EQ(0x3b, IOMMUFD_TYPE);

	EXPECT_EQ(0x80, IOMMUFD_CMD_BASE);
	EXPECT_EQ(0x80, IOMMUFD_CMD_DESTROY);
	EXPECT_EQ(0x81, IOMMUFD_CMD_IOAS_ALLOC);
	EXPECT_EQ(0x82, IOMMUFD_CMD_IOAS_ALLOW_IOVAS);
	EXPECT_EQ(0x83, IOMMUFD_CMD_IOAS_COPY);
	EXPECT_EQ(0x84, IOMMUFD_CMD_IOAS_IOVA_RANGES);
	EXPECT_EQ(0x85, IOMMUFD_CMD_IOAS_MAP);
	EXPECT_EQ(0x86, IOMMUFD_CMD_IOAS_UNMAP);
	EXPECT_EQ(0x87, IOMMUFD_CMD_OPTION);
	EXPECT_EQ(0x88, IOMMUFD_CMD_VFIO_IOAS);
	EXPECT_EQ(0x89, IOMMUFD_CMD_HWPT_ALLOC);
	EXPECT_EQ(0x8a, IOMMUFD_CMD_GET_HW_INFO);
	EXPECT_EQ(0x8b, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING);
	EXPECT_EQ(0x8c, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP);
	EXPECT_EQ(0x8d, IOMMUFD_CMD_HWPT_INVALIDATE);
	EXPECT_EQ(0x8e, IOMMUFD_CMD_FAULT_QUEUE_ALLOC);
	EXPECT_EQ(0x8f, IOMMUFD_CMD_IOAS_MAP_FILE);
	EXPECT_EQ(0x90, IOMMUFD_CMD_VIOMMU_ALLOC);
	EXPECT_EQ(0x91, IOMMUFD_CMD_VDEVICE_ALLOC);
	EXPECT_EQ(0x92, IOMMUFD_CMD_IOAS_CHANGE_PROCESS);
	EXPECT_EQ(0x93, IOMMUFD_CMD_VEVENTQ_ALLOC);
	EXPECT_EQ(0x94, IOMMUFD_CMD_HW_QUEUE_ALLOC);
	EXPECT_EQ(0x95, IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA);

	/* _IO(';', nr): no direction, no size, so just (';' << 8) | nr. */
	EXPECT_EQ(0x3b80, IOMMU_DESTROY);
	EXPECT_EQ(0x3b81, IOMMU_IOAS_ALLOC);
	EXPECT_EQ(0x3b82, IOMMU_IOAS_ALLOW_IOVAS);
	EXPECT_EQ(0x3b83, IOMMU_IOAS_COPY);
	EXPECT_EQ(0x3b84, IOMMU_IOAS_IOVA_RANGES);
	EXPECT_EQ(0x3b85, IOMMU_IOAS_MAP);
	EXPECT_EQ(0x3b86, IOMMU_IOAS_UNMAP);
	EXPECT_EQ(0x3b87, IOMMU_OPTION);
	EXPECT_EQ(0x3b88, IOMMU_VFIO_IOAS);
	EXPECT_EQ(0x3b89, IOMMU_HWPT_ALLOC);
	EXPECT_EQ(0x3b8a, IOMMU_GET_HW_INFO);
	EXPECT_EQ(0x3b8b, IOMMU_HWPT_SET_DIRTY_TRACKING);
	EXPECT_EQ(0x3b8c, IOMMU_HWPT_GET_DIRTY_BITMAP);
	EXPECT_EQ(0x3b8d, IOMMU_HWPT_INVALIDATE);
	EXPECT_EQ(0x3b8e, IOMMU_FAULT_QUEUE_ALLOC);
	EXPECT_EQ(0x3b8f, IOMMU_IOAS_MAP_FILE);
	EXPECT_EQ(0x3b90, IOMMU_VIOMMU_ALLOC);
	EXPECT_EQ(0x3b91, IOMMU_VDEVICE_ALLOC);
	EXPECT_EQ(0x3b92, IOMMU_IOAS_CHANGE_PROCESS);
	EXPECT_EQ(0x3b93, IOMMU_VEVENTQ_ALLOC);
	EXPECT_EQ(0x3b94, IOMMU_HW_QUEUE_ALLOC);
	EXPECT_EQ(0x3b95, IOMMU_IOAS_NOIOMMU_GET_PA);
	EXPECT_EQ(0x3ba0, IOMMU_TEST_CMD);
}

/*
 * Minimum sizes from the kernel's dispatch table: IOCTL_OP(cmd, fn, struct,
 * last) gives min_size = end of "last". The field named in each line is the
 * kernel's; the literal is that field's end offset. (NOIOMMU_GET_PA is left
 * out: its table entry was not available to check.)
 */
#define MIN_SIZE(n, type, last) EXPECT_EQ(n, OFFSET_END(type, last))
TEST(min_sizes)
{
	MIN_SIZE(8, struct iommu_destroy, id);
	MIN_SIZE(16, struct iommu_fault_alloc, out_fault_fd);
	MIN_SIZE(32, struct iommu_hw_info, __reserved);
	MIN_SIZE(40, struct iommu_hw_queue_alloc, length);
	MIN_SIZE(24, struct iommu_hwpt_alloc, __reserved);
	MIN_SIZE(48, struct iommu_hwpt_get_dirty_bitmap, data);
	MIN_SIZE(32, struct iommu_hwpt_invalidate, __reserved);
	MIN_SIZE(16, struct iommu_hwpt_set_dirty_tracking, __reserved);
	MIN_SIZE(12, struct iommu_ioas_alloc, out_ioas_id);
	MIN_SIZE(24, struct iommu_ioas_allow_iovas, allowed_iovas);
	MIN_SIZE(8, struct iommu_ioas_change_process, __reserved);
	MIN_SIZE(40, struct iommu_ioas_copy, src_iova);
	MIN_SIZE(32, struct iommu_ioas_iova_ranges, out_iova_alignment);
	MIN_SIZE(40, struct iommu_ioas_map, iova);
	MIN_SIZE(40, struct iommu_ioas_map_file, iova);
	MIN_SIZE(24, struct iommu_ioas_unmap, length);
	MIN_SIZE(24, struct iommu_option, val64);
	MIN_SIZE(24, struct iommu_vdevice_alloc, virt_id);
	MIN_SIZE(28, struct iommu_veventq_alloc, out_veventq_fd);
	MIN_SIZE(12, struct iommu_vfio_ioas, __reserved);
	MIN_SIZE(24, struct iommu_viommu_alloc, out_viommu_id);
	MIN_SIZE(68, struct iommu_test_cmd, last);
}

/* ---- enums and constants ------------------------------------------------ */

TEST(enums_ioas_option)
{
	EXPECT_EQ(1, IOMMU_IOAS_MAP_FIXED_IOVA);
	EXPECT_EQ(2, IOMMU_IOAS_MAP_WRITEABLE);
	EXPECT_EQ(4, IOMMU_IOAS_MAP_READABLE);

	EXPECT_EQ(0, IOMMU_OPTION_RLIMIT_MODE);
	EXPECT_EQ(1, IOMMU_OPTION_HUGE_PAGES);
	EXPECT_EQ(0, IOMMU_OPTION_OP_SET);
	EXPECT_EQ(1, IOMMU_OPTION_OP_GET);

	EXPECT_EQ(0, IOMMU_VFIO_IOAS_GET);
	EXPECT_EQ(1, IOMMU_VFIO_IOAS_SET);
	EXPECT_EQ(2, IOMMU_VFIO_IOAS_CLEAR);
}

TEST(enums_hwpt)
{
	EXPECT_EQ(1, IOMMU_HWPT_ALLOC_NEST_PARENT);
	EXPECT_EQ(2, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	EXPECT_EQ(4, IOMMU_HWPT_FAULT_ID_VALID);
	EXPECT_EQ(8, IOMMU_HWPT_ALLOC_PASID);

	EXPECT_EQ(1, IOMMU_VTD_S1_SRE);
	EXPECT_EQ(2, IOMMU_VTD_S1_EAFE);
	EXPECT_EQ(4, IOMMU_VTD_S1_WPE);

	EXPECT_EQ(0, IOMMU_HWPT_DATA_NONE);
	EXPECT_EQ(1, IOMMU_HWPT_DATA_VTD_S1);
	EXPECT_EQ(2, IOMMU_HWPT_DATA_ARM_SMMUV3);
	EXPECT_EQ(3, IOMMU_HWPT_DATA_AMD_GUEST);

	EXPECT_EQ(1, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	EXPECT_EQ(1, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);

	EXPECT_EQ(0, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1);
	EXPECT_EQ(1, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
	EXPECT_EQ(1, IOMMU_VTD_INV_FLAGS_LEAF);
}

TEST(enums_hw_info)
{
	EXPECT_EQ(1, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	EXPECT_EQ(1, IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI);

	EXPECT_EQ(0, IOMMU_HW_INFO_TYPE_NONE);
	EXPECT_EQ(0, IOMMU_HW_INFO_TYPE_DEFAULT);
	EXPECT_EQ(1, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	EXPECT_EQ(2, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	EXPECT_EQ(3, IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV);
	EXPECT_EQ(4, IOMMU_HW_INFO_TYPE_AMD);

	EXPECT_EQ(1, IOMMU_HW_CAP_DIRTY_TRACKING);
	EXPECT_EQ(2, IOMMU_HW_CAP_PCI_PASID_EXEC);
	EXPECT_EQ(4, IOMMU_HW_CAP_PCI_PASID_PRIV);
	EXPECT_EQ(8, IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);

	EXPECT_EQ(1, IOMMU_HW_INFO_FLAG_INPUT_TYPE);
}

TEST(enums_fault_viommu_veventq_hw_queue)
{
	EXPECT_EQ(1, IOMMU_PGFAULT_FLAGS_PASID_VALID);
	EXPECT_EQ(2, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	EXPECT_EQ(1, IOMMU_PGFAULT_PERM_READ);
	EXPECT_EQ(2, IOMMU_PGFAULT_PERM_WRITE);
	EXPECT_EQ(4, IOMMU_PGFAULT_PERM_EXEC);
	EXPECT_EQ(8, IOMMU_PGFAULT_PERM_PRIV);
	EXPECT_EQ(0, IOMMUFD_PAGE_RESP_SUCCESS);
	EXPECT_EQ(1, IOMMUFD_PAGE_RESP_INVALID);

	EXPECT_EQ(0, IOMMU_VIOMMU_TYPE_DEFAULT);
	EXPECT_EQ(1, IOMMU_VIOMMU_TYPE_ARM_SMMUV3);
	EXPECT_EQ(2, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV);

	EXPECT_EQ(1, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	EXPECT_EQ(0, IOMMU_VEVENTQ_TYPE_DEFAULT);
	EXPECT_EQ(1, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
	EXPECT_EQ(2, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV);

	EXPECT_EQ(0, IOMMU_HW_QUEUE_TYPE_DEFAULT);
	EXPECT_EQ(1, IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV);
}

TEST(selftest_ops)
{
	EXPECT_EQ(1, IOMMU_TEST_OP_ADD_RESERVED);
	EXPECT_EQ(2, IOMMU_TEST_OP_MOCK_DOMAIN);
	EXPECT_EQ(3, IOMMU_TEST_OP_MD_CHECK_MAP);
	EXPECT_EQ(4, IOMMU_TEST_OP_MD_CHECK_REFS);
	EXPECT_EQ(5, IOMMU_TEST_OP_CREATE_ACCESS);
	EXPECT_EQ(6, IOMMU_TEST_OP_DESTROY_ACCESS_PAGES);
	EXPECT_EQ(7, IOMMU_TEST_OP_ACCESS_PAGES);
	EXPECT_EQ(8, IOMMU_TEST_OP_ACCESS_RW);
	EXPECT_EQ(9, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT);
	EXPECT_EQ(10, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE);
	EXPECT_EQ(11, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS);
	EXPECT_EQ(12, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS);
	EXPECT_EQ(13, IOMMU_TEST_OP_DIRTY);
	EXPECT_EQ(14, IOMMU_TEST_OP_MD_CHECK_IOTLB);
	EXPECT_EQ(15, IOMMU_TEST_OP_TRIGGER_IOPF);
	EXPECT_EQ(16, IOMMU_TEST_OP_DEV_CHECK_CACHE);
	EXPECT_EQ(17, IOMMU_TEST_OP_TRIGGER_VEVENT);
	EXPECT_EQ(18, IOMMU_TEST_OP_PASID_ATTACH);
	EXPECT_EQ(19, IOMMU_TEST_OP_PASID_REPLACE);
	EXPECT_EQ(20, IOMMU_TEST_OP_PASID_DETACH);
	EXPECT_EQ(21, IOMMU_TEST_OP_PASID_CHECK_HWPT);
	EXPECT_EQ(22, IOMMU_TEST_OP_DMABUF_GET);
	EXPECT_EQ(23, IOMMU_TEST_OP_DMABUF_REVOKE);
}

TEST(selftest_constants)
{
	EXPECT_EQ(0, MOCK_IOMMUPT_DEFAULT);
	EXPECT_EQ(1, MOCK_IOMMUPT_HUGE);

	EXPECT_EQ(0x1000000, MOCK_APERTURE_START);
	EXPECT_EQ(0x7fffffff, MOCK_APERTURE_LAST);
	EXPECT_EQ(2048, MOCK_PAGE_SIZE);
	EXPECT_EQ(0x100000, MOCK_HUGE_PAGE_SIZE);

	EXPECT_EQ(1, MOCK_FLAGS_ACCESS_WRITE);
	EXPECT_EQ(0x10000, MOCK_FLAGS_ACCESS_SYZ);
	EXPECT_EQ(1, MOCK_ACCESS_RW_WRITE);
	EXPECT_EQ(4, MOCK_ACCESS_RW_SLOW_PATH);
	EXPECT_EQ(1, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);

	EXPECT_EQ(1, MOCK_FLAGS_DEVICE_NO_DIRTY);
	EXPECT_EQ(2, MOCK_FLAGS_DEVICE_HUGE_IOVA);
	EXPECT_EQ(4, MOCK_FLAGS_DEVICE_PASID);

	EXPECT_EQ(3, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX);
	EXPECT_EQ(4, MOCK_NESTED_DOMAIN_IOTLB_NUM);
	EXPECT_EQ(3, MOCK_DEV_CACHE_ID_MAX);
	EXPECT_EQ(4, MOCK_DEV_CACHE_NUM);

	EXPECT_EQ(1024, IOMMU_TEST_PASID_RESERVED);
	EXPECT_EQ(20, MOCK_PASID_WIDTH);

	EXPECT_EQ(0xfeedbeef, IOMMU_HW_INFO_TYPE_SELFTEST);
	EXPECT_EQ(0xdeadbeef, IOMMU_HW_INFO_SELFTEST_REGVAL);
	EXPECT_EQ(0xdead, IOMMU_HWPT_DATA_SELFTEST);
	EXPECT_EQ(0xbadbeef, IOMMU_TEST_IOTLB_DEFAULT);
	EXPECT_EQ(0xbaddad, IOMMU_TEST_DEV_CACHE_DEFAULT);
	EXPECT_EQ(0xdeadbeef, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST);
	EXPECT_EQ(0xdadbeef, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID);
	EXPECT_EQ(1, IOMMU_TEST_INVALIDATE_FLAG_ALL);
	EXPECT_EQ(0xdeadbeef, IOMMU_VIOMMU_TYPE_SELFTEST);
	EXPECT_EQ(0xdeadbeef, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST);
	EXPECT_EQ(0xdadbeef, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID);
	EXPECT_EQ(0xbeefbeef, IOMMU_VEVENTQ_TYPE_SELFTEST);
	EXPECT_EQ(0xdeadbeef, IOMMU_HW_QUEUE_TYPE_SELFTEST);
	EXPECT_EQ(2, IOMMU_TEST_HW_QUEUE_MAX);
}

TEST_HARNESS_MAIN
