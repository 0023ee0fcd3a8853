// SPDX-License-Identifier: MIT
/*
 * The command table and the one routine that fills any row's struct and
 * makes the call; see commands.h.
 */
#include <linux/vfio.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>
#include <iommusim/uapi/iommusim.h>
#include <iommusim/uapi/vfio_device.h>

#include "shim.h"

#include "commands.h"

/* More than any struct here, so sizes past it are tried too. */
#define ARG_MAX 512u

#define FIELD_V(type, member, kind_, value_)                                   \
	{                                                                      \
		.offset = offsetof(type, member),                              \
		.width = sizeof(((type *)0)->member), .kind = (kind_),         \
		.value = (value_),                                             \
	}
#define FIELD(type, member, kind_) FIELD_V(type, member, kind_, 0)
#define FLAGS(type, member, valid) FIELD_V(type, member, F_FLAGS, valid)
#define FD(type, member, kind) FIELD_V(type, member, F_FD, kind)
#define ID(type, member, want) FIELD_V(type, member, F_ID, want)
#define OUT(type, member, obj) FIELD_V(type, member, F_OUT_ID, obj)

#define FIELDS(...)                                                            \
	.fields = (const struct fuzz_field[]){ __VA_ARGS__ },                  \
	.nfields = sizeof((const struct fuzz_field[]){ __VA_ARGS__ }) /        \
		   sizeof(struct fuzz_field)

/* A command whose argument is a struct; the size (or argsz) at offset 0
 * is always chosen by command_run(), the rest by the fields. */
#define COMMAND_NAMED(name_, req, tgt, type, ...)                              \
	{                                                                      \
		.name = (name_), .request = (req), .target = (tgt),            \
		.arg = ARG_STRUCT, .size = sizeof(type), FIELDS(__VA_ARGS__)   \
	}
#define COMMAND(req, tgt, type, ...)                                           \
	COMMAND_NAMED(#req, req, tgt, type, __VA_ARGS__)
#define IOMMUFD(req, type, ...)                                                \
	COMMAND_NAMED(#req, req, TO_IOMMUFD, type, __VA_ARGS__)

/* One selftest op of IOMMU_TEST_CMD: the op fixed, the union member's
 * fields after it. */
#define T(member, kind) FIELD(struct iommu_test_cmd, member, kind)
#define T_FLAGS(member, valid) FLAGS(struct iommu_test_cmd, member, valid)
#define T_ACCESS FD(struct iommu_test_cmd, id, FD_ACCESS)
#define T_ID(member, want) ID(struct iommu_test_cmd, member, want)
#define T_OUT(member, obj) OUT(struct iommu_test_cmd, member, obj)
#define TEST_OP(op_, ...)                                                      \
	{                                                                      \
		.name = "IOMMU_TEST_OP_" #op_, .request = IOMMU_TEST_CMD,      \
		.target = TO_IOMMUFD, .arg = ARG_STRUCT,                       \
		.size = sizeof(struct iommu_test_cmd),                         \
		FIELDS(FIELD_V(struct iommu_test_cmd, op, F_CONST,             \
			       IOMMU_TEST_OP_##op_),                           \
		       T(__reserved, F_RESERVED), __VA_ARGS__)                 \
	}

/* VFIO type1's unmap and dirty-page structs end in data[]; these are the
 * same heads with what follows for the flags that use it. */
struct unmap_with_bitmap {
	__u32 argsz;
	__u32 flags;
	__u64 iova;
	__u64 size;
	struct vfio_bitmap bitmap;
};
_Static_assert(offsetof(struct unmap_with_bitmap, bitmap) ==
		       sizeof(struct vfio_iommu_type1_dma_unmap),
	       "the bitmap follows the unmap struct");
struct dirty_with_get {
	__u32 argsz;
	__u32 flags;
	struct vfio_iommu_type1_dirty_bitmap_get get;
};
_Static_assert(offsetof(struct dirty_with_get, get) ==
		       sizeof(struct vfio_iommu_type1_dirty_bitmap),
	       "the request follows the dirty-pages struct");

#define MAP_FLAGS                                                              \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |                \
	 IOMMU_IOAS_MAP_READABLE)

const struct fuzz_command fuzz_commands[] = {
	/* ---- iommufd ---- */
	IOMMUFD(IOMMU_DESTROY, struct iommu_destroy,
		ID(struct iommu_destroy, id, OBJ_ANY)),
	IOMMUFD(IOMMU_IOAS_ALLOC, struct iommu_ioas_alloc,
		FIELD(struct iommu_ioas_alloc, flags, F_RESERVED),
		OUT(struct iommu_ioas_alloc, out_ioas_id, OBJ_IOAS)),
	IOMMUFD(IOMMU_IOAS_IOVA_RANGES, struct iommu_ioas_iova_ranges,
		ID(struct iommu_ioas_iova_ranges, ioas_id, OBJ_IOAS),
		FIELD(struct iommu_ioas_iova_ranges, num_iovas, F_NUMBER),
		FIELD(struct iommu_ioas_iova_ranges, __reserved, F_RESERVED),
		FIELD(struct iommu_ioas_iova_ranges, allowed_iovas, F_UPTR)),
	IOMMUFD(IOMMU_IOAS_ALLOW_IOVAS, struct iommu_ioas_allow_iovas,
		ID(struct iommu_ioas_allow_iovas, ioas_id, OBJ_IOAS),
		FIELD(struct iommu_ioas_allow_iovas, num_iovas, F_NUMBER),
		FIELD(struct iommu_ioas_allow_iovas, __reserved, F_RESERVED),
		FIELD(struct iommu_ioas_allow_iovas, allowed_iovas, F_UPTR)),
	IOMMUFD(IOMMU_IOAS_MAP, struct iommu_ioas_map, FLAGS(struct iommu_ioas_map, flags, MAP_FLAGS),
		ID(struct iommu_ioas_map, ioas_id, OBJ_IOAS),
		FIELD(struct iommu_ioas_map, __reserved, F_RESERVED),
		FIELD(struct iommu_ioas_map, user_va, F_UPTR),
		FIELD(struct iommu_ioas_map, length, F_LEN),
		FIELD(struct iommu_ioas_map, iova, F_IOVA)),
	IOMMUFD(IOMMU_IOAS_MAP_FILE, struct iommu_ioas_map_file,
		FLAGS(struct iommu_ioas_map_file, flags, MAP_FLAGS),
		ID(struct iommu_ioas_map_file, ioas_id, OBJ_IOAS),
		FD(struct iommu_ioas_map_file, fd, FD_KINDS),
		FIELD(struct iommu_ioas_map_file, start, F_LEN),
		FIELD(struct iommu_ioas_map_file, length, F_LEN),
		FIELD(struct iommu_ioas_map_file, iova, F_IOVA)),
	IOMMUFD(IOMMU_IOAS_COPY, struct iommu_ioas_copy,
		FLAGS(struct iommu_ioas_copy, flags, MAP_FLAGS),
		ID(struct iommu_ioas_copy, dst_ioas_id, OBJ_IOAS),
		ID(struct iommu_ioas_copy, src_ioas_id, OBJ_IOAS),
		FIELD(struct iommu_ioas_copy, length, F_LEN),
		FIELD(struct iommu_ioas_copy, dst_iova, F_IOVA),
		FIELD(struct iommu_ioas_copy, src_iova, F_IOVA)),
	IOMMUFD(IOMMU_IOAS_UNMAP, struct iommu_ioas_unmap,
		ID(struct iommu_ioas_unmap, ioas_id, OBJ_IOAS),
		FIELD(struct iommu_ioas_unmap, iova, F_IOVA),
		FIELD(struct iommu_ioas_unmap, length, F_LEN)),
	IOMMUFD(IOMMU_IOAS_CHANGE_PROCESS, struct iommu_ioas_change_process,
		FIELD(struct iommu_ioas_change_process, __reserved,
		      F_RESERVED)),
	IOMMUFD(IOMMU_OPTION, struct iommu_option,
		FIELD(struct iommu_option, option_id, F_NUMBER),
		FIELD(struct iommu_option, op, F_NUMBER),
		FIELD(struct iommu_option, __reserved, F_RESERVED),
		ID(struct iommu_option, object_id, OBJ_IOAS),
		FIELD(struct iommu_option, val64, F_NUMBER)),
	IOMMUFD(IOMMU_VFIO_IOAS, struct iommu_vfio_ioas,
		ID(struct iommu_vfio_ioas, ioas_id, OBJ_IOAS),
		FIELD(struct iommu_vfio_ioas, op, F_NUMBER),
		FIELD(struct iommu_vfio_ioas, __reserved, F_RESERVED)),
	IOMMUFD(IOMMU_HWPT_ALLOC, struct iommu_hwpt_alloc, FLAGS(struct iommu_hwpt_alloc, flags, 0xf),
		ID(struct iommu_hwpt_alloc, dev_id, OBJ_DEVICE),
		ID(struct iommu_hwpt_alloc, pt_id, OBJ_PT),
		OUT(struct iommu_hwpt_alloc, out_hwpt_id, OBJ_HWPT),
		FIELD(struct iommu_hwpt_alloc, __reserved, F_RESERVED),
		FIELD(struct iommu_hwpt_alloc, data_type, F_NUMBER),
		FIELD(struct iommu_hwpt_alloc, data_len, F_NUMBER),
		FIELD(struct iommu_hwpt_alloc, data_uptr, F_UPTR),
		ID(struct iommu_hwpt_alloc, fault_id, OBJ_FAULT),
		FIELD(struct iommu_hwpt_alloc, __reserved2, F_RESERVED)),
	IOMMUFD(IOMMU_GET_HW_INFO, struct iommu_hw_info,
		FLAGS(struct iommu_hw_info, flags, 1),
		ID(struct iommu_hw_info, dev_id, OBJ_DEVICE),
		FIELD(struct iommu_hw_info, data_len, F_NUMBER),
		FIELD(struct iommu_hw_info, data_uptr, F_UPTR),
		FIELD(struct iommu_hw_info, in_data_type, F_NUMBER),
		FIELD(struct iommu_hw_info, __reserved, F_RESERVED)),
	IOMMUFD(IOMMU_HWPT_SET_DIRTY_TRACKING,
		struct iommu_hwpt_set_dirty_tracking,
		FLAGS(struct iommu_hwpt_set_dirty_tracking, flags,
		      IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
		ID(struct iommu_hwpt_set_dirty_tracking, hwpt_id, OBJ_HWPT),
		FIELD(struct iommu_hwpt_set_dirty_tracking, __reserved,
		      F_RESERVED)),
	IOMMUFD(IOMMU_HWPT_GET_DIRTY_BITMAP, struct iommu_hwpt_get_dirty_bitmap,
		ID(struct iommu_hwpt_get_dirty_bitmap, hwpt_id, OBJ_HWPT),
		FLAGS(struct iommu_hwpt_get_dirty_bitmap, flags,
		      IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
		FIELD(struct iommu_hwpt_get_dirty_bitmap, __reserved,
		      F_RESERVED),
		FIELD(struct iommu_hwpt_get_dirty_bitmap, iova, F_IOVA),
		FIELD(struct iommu_hwpt_get_dirty_bitmap, length, F_LEN),
		FIELD(struct iommu_hwpt_get_dirty_bitmap, page_size,
		      F_PAGE_SIZE),
		FIELD(struct iommu_hwpt_get_dirty_bitmap, data, F_UPTR)),
	IOMMUFD(IOMMU_HWPT_INVALIDATE, struct iommu_hwpt_invalidate,
		ID(struct iommu_hwpt_invalidate, hwpt_id, OBJ_HWPT | OBJ_VIOMMU),
		FIELD(struct iommu_hwpt_invalidate, data_uptr, F_UPTR),
		FIELD(struct iommu_hwpt_invalidate, data_type, F_NUMBER),
		FIELD(struct iommu_hwpt_invalidate, entry_len, F_NUMBER),
		FIELD(struct iommu_hwpt_invalidate, entry_num, F_NUMBER),
		FIELD(struct iommu_hwpt_invalidate, __reserved, F_RESERVED)),
	IOMMUFD(IOMMU_FAULT_QUEUE_ALLOC, struct iommu_fault_alloc,
		FIELD(struct iommu_fault_alloc, flags, F_RESERVED),
		OUT(struct iommu_fault_alloc, out_fault_id, OBJ_FAULT),
		FIELD_V(struct iommu_fault_alloc, out_fault_fd, F_OUT_FD,
			FD_QUEUE)),
	IOMMUFD(IOMMU_VIOMMU_ALLOC, struct iommu_viommu_alloc,
		FLAGS(struct iommu_viommu_alloc, flags, 0),
		FIELD(struct iommu_viommu_alloc, type, F_NUMBER),
		ID(struct iommu_viommu_alloc, dev_id, OBJ_DEVICE),
		ID(struct iommu_viommu_alloc, hwpt_id, OBJ_HWPT),
		OUT(struct iommu_viommu_alloc, out_viommu_id, OBJ_VIOMMU),
		FIELD(struct iommu_viommu_alloc, data_len, F_NUMBER),
		FIELD(struct iommu_viommu_alloc, __reserved, F_RESERVED),
		FIELD(struct iommu_viommu_alloc, data_uptr, F_UPTR)),
	IOMMUFD(IOMMU_VDEVICE_ALLOC, struct iommu_vdevice_alloc,
		ID(struct iommu_vdevice_alloc, viommu_id, OBJ_VIOMMU),
		ID(struct iommu_vdevice_alloc, dev_id, OBJ_DEVICE),
		OUT(struct iommu_vdevice_alloc, out_vdevice_id, OBJ_VDEVICE),
		FIELD(struct iommu_vdevice_alloc, virt_id, F_NUMBER)),
	IOMMUFD(IOMMU_VEVENTQ_ALLOC, struct iommu_veventq_alloc,
		FLAGS(struct iommu_veventq_alloc, flags, 0),
		ID(struct iommu_veventq_alloc, viommu_id, OBJ_VIOMMU),
		FIELD(struct iommu_veventq_alloc, type, F_NUMBER),
		FIELD(struct iommu_veventq_alloc, veventq_depth, F_NUMBER),
		OUT(struct iommu_veventq_alloc, out_veventq_id, OBJ_VEVENTQ),
		FIELD_V(struct iommu_veventq_alloc, out_veventq_fd, F_OUT_FD,
			FD_QUEUE),
		FIELD(struct iommu_veventq_alloc, __reserved, F_RESERVED)),
	IOMMUFD(IOMMU_HW_QUEUE_ALLOC, struct iommu_hw_queue_alloc,
		FLAGS(struct iommu_hw_queue_alloc, flags, 0),
		ID(struct iommu_hw_queue_alloc, viommu_id, OBJ_VIOMMU),
		FIELD(struct iommu_hw_queue_alloc, type, F_NUMBER),
		FIELD(struct iommu_hw_queue_alloc, index, F_NUMBER),
		OUT(struct iommu_hw_queue_alloc, out_hw_queue_id, OBJ_HW_QUEUE),
		FIELD(struct iommu_hw_queue_alloc, nesting_parent_iova,
		      F_IOVA),
		FIELD(struct iommu_hw_queue_alloc, length, F_LEN)),

	/* ---- the selftest ops ---- */
	TEST_OP(ADD_RESERVED, T_ID(id, OBJ_IOAS), T(add_reserved.start, F_IOVA),
		T(add_reserved.length, F_LEN)),
	TEST_OP(MOCK_DOMAIN, T_ID(id, OBJ_PT),
		T_OUT(mock_domain.out_stdev_id, OBJ_STDEV),
		T_OUT(mock_domain.out_hwpt_id, OBJ_HWPT),
		T_OUT(mock_domain.out_idev_id, OBJ_DEVICE)),
	TEST_OP(MOCK_DOMAIN_FLAGS, T_ID(id, OBJ_PT),
		T_OUT(mock_domain_flags.out_stdev_id, OBJ_STDEV),
		T_OUT(mock_domain_flags.out_hwpt_id, OBJ_HWPT),
		T_OUT(mock_domain_flags.out_idev_id, OBJ_DEVICE),
		T_FLAGS(mock_domain_flags.dev_flags, 7)),
	TEST_OP(MOCK_DOMAIN_REPLACE, T_ID(id, OBJ_STDEV),
		T_ID(mock_domain_replace.pt_id, OBJ_PT)),
	TEST_OP(MD_CHECK_MAP, T_ID(id, OBJ_HWPT), T(check_map.iova, F_IOVA),
		T(check_map.length, F_LEN), T(check_map.uptr, F_UPTR)),
	TEST_OP(MD_CHECK_REFS, T(check_refs.length, F_LEN),
		T(check_refs.uptr, F_UPTR), T(check_refs.refs, F_NUMBER)),
	TEST_OP(CREATE_ACCESS, T_ID(id, OBJ_IOAS),
		FIELD_V(struct iommu_test_cmd, create_access.out_access_fd,
			F_OUT_FD, FD_ACCESS),
		T_FLAGS(create_access.flags,
			MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)),
	TEST_OP(DESTROY_ACCESS_PAGES, T_ACCESS,
		T_ID(destroy_access_pages.access_pages_id, OBJ_PAGES)),
	TEST_OP(ACCESS_PAGES, T_ACCESS, T_FLAGS(access_pages.flags,
			MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ),
		T_OUT(access_pages.out_access_pages_id, OBJ_PAGES),
		T(access_pages.iova, F_IOVA), T(access_pages.length, F_LEN),
		T(access_pages.uptr, F_UPTR)),
	TEST_OP(ACCESS_RW, T_ACCESS, T(access_rw.iova, F_IOVA),
		T(access_rw.length, F_LEN), T(access_rw.uptr, F_UPTR),
		T_FLAGS(access_rw.flags,
			MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH)),
	TEST_OP(SET_TEMP_MEMORY_LIMIT, T(memory_limit.limit, F_NUMBER)),
	TEST_OP(ACCESS_REPLACE_IOAS, T_ACCESS,
		T_ID(access_replace_ioas.ioas_id, OBJ_IOAS)),
	TEST_OP(DIRTY, T_ID(id, OBJ_HWPT), T_FLAGS(dirty.flags, 0),
		T(dirty.iova, F_IOVA), T(dirty.length, F_LEN),
		T(dirty.page_size, F_PAGE_SIZE), T(dirty.uptr, F_UPTR)),
	TEST_OP(MD_CHECK_IOTLB, T_ID(id, OBJ_HWPT), T(check_iotlb.id, F_NUMBER),
		T(check_iotlb.iotlb, F_NUMBER)),
	TEST_OP(TRIGGER_IOPF, T_ID(trigger_iopf.dev_id, OBJ_DEVICE),
		T(trigger_iopf.pasid, F_NUMBER),
		T(trigger_iopf.grpid, F_NUMBER),
		T_FLAGS(trigger_iopf.perm, 0xf), T(trigger_iopf.addr, F_IOVA)),
	TEST_OP(DEV_CHECK_CACHE, T_ID(id, OBJ_DEVICE), T(check_dev_cache.id, F_NUMBER),
		T(check_dev_cache.cache, F_NUMBER)),
	TEST_OP(TRIGGER_VEVENT, T_ID(trigger_vevent.dev_id, OBJ_DEVICE)),
	TEST_OP(PASID_ATTACH, T_ID(id, OBJ_STDEV), T(pasid_attach.pasid, F_NUMBER),
		T_ID(pasid_attach.pt_id, OBJ_PT)),
	TEST_OP(PASID_REPLACE, T_ID(id, OBJ_STDEV), T(pasid_replace.pasid, F_NUMBER),
		T_ID(pasid_replace.pt_id, OBJ_PT)),
	TEST_OP(PASID_DETACH, T_ID(id, OBJ_STDEV), T(pasid_detach.pasid, F_NUMBER)),
	TEST_OP(PASID_CHECK_HWPT, T_ID(id, OBJ_STDEV), T(pasid_check.pasid, F_NUMBER),
		T_ID(pasid_check.hwpt_id, OBJ_HWPT)),

	/* ---- VFIO type1, on a context opened as /dev/vfio/vfio ---- */
	{ .name = "VFIO_GET_API_VERSION", .request = VFIO_GET_API_VERSION,
	  .target = TO_CONTAINER, .arg = ARG_NONE },
	{ .name = "VFIO_CHECK_EXTENSION", .request = VFIO_CHECK_EXTENSION,
	  .target = TO_CONTAINER, .arg = ARG_VALUE },
	{ .name = "VFIO_SET_IOMMU", .request = VFIO_SET_IOMMU,
	  .target = TO_CONTAINER, .arg = ARG_VALUE },
	COMMAND(VFIO_IOMMU_GET_INFO, TO_CONTAINER, struct vfio_iommu_type1_info,
		FLAGS(struct vfio_iommu_type1_info, flags, 0)),
	COMMAND(VFIO_IOMMU_MAP_DMA, TO_CONTAINER,
		struct vfio_iommu_type1_dma_map,
		FLAGS(struct vfio_iommu_type1_dma_map, flags,
		      VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE),
		FIELD(struct vfio_iommu_type1_dma_map, vaddr, F_UPTR),
		FIELD(struct vfio_iommu_type1_dma_map, iova, F_IOVA),
		FIELD(struct vfio_iommu_type1_dma_map, size, F_LEN)),
	COMMAND(VFIO_IOMMU_UNMAP_DMA, TO_CONTAINER, struct unmap_with_bitmap,
		FLAGS(struct unmap_with_bitmap, flags,
		      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			      VFIO_DMA_UNMAP_FLAG_ALL),
		FIELD(struct unmap_with_bitmap, iova, F_IOVA),
		FIELD(struct unmap_with_bitmap, size, F_LEN),
		FIELD(struct unmap_with_bitmap, bitmap.pgsize, F_PAGE_SIZE),
		FIELD(struct unmap_with_bitmap, bitmap.size, F_LEN),
		FIELD(struct unmap_with_bitmap, bitmap.data, F_UPTR)),
	COMMAND(VFIO_IOMMU_DIRTY_PAGES, TO_CONTAINER, struct dirty_with_get,
		FLAGS(struct dirty_with_get, flags, 7),
		FIELD(struct dirty_with_get, get.iova, F_IOVA),
		FIELD(struct dirty_with_get, get.size, F_LEN),
		FIELD(struct dirty_with_get, get.bitmap.pgsize, F_PAGE_SIZE),
		FIELD(struct dirty_with_get, get.bitmap.size, F_LEN),
		FIELD(struct dirty_with_get, get.bitmap.data, F_UPTR)),

	/* ---- a VFIO device cdev ---- */
	COMMAND(VFIO_DEVICE_BIND_IOMMUFD, TO_VFIO_DEVICE,
		struct vfio_device_bind_iommufd,
		FLAGS(struct vfio_device_bind_iommufd, flags, 1),
		FD(struct vfio_device_bind_iommufd, iommufd, FD_IOMMUFD),
		OUT(struct vfio_device_bind_iommufd, out_devid, OBJ_DEVICE),
		FIELD(struct vfio_device_bind_iommufd, token_uuid_ptr,
		      F_UPTR)),
	COMMAND(VFIO_DEVICE_ATTACH_IOMMUFD_PT, TO_VFIO_DEVICE,
		struct vfio_device_attach_iommufd_pt,
		FLAGS(struct vfio_device_attach_iommufd_pt, flags, 1),
		ID(struct vfio_device_attach_iommufd_pt, pt_id, OBJ_PT),
		FIELD(struct vfio_device_attach_iommufd_pt, pasid, F_NUMBER)),
	COMMAND(VFIO_DEVICE_DETACH_IOMMUFD_PT, TO_VFIO_DEVICE,
		struct vfio_device_detach_iommufd_pt,
		FLAGS(struct vfio_device_detach_iommufd_pt, flags, 1),
		FIELD(struct vfio_device_detach_iommufd_pt, pasid, F_NUMBER)),
	COMMAND(VFIO_DEVICE_GET_INFO, TO_VFIO_DEVICE, struct vfio_device_info,
		FIELD(struct vfio_device_info, flags, F_RESERVED)),
	/* a device's DMA; never IOMMUSIM_DMA_WAIT_PRI, which waits for a
	 * page response only another thread could send */
	COMMAND(IOMMUSIM_DMA, TO_VFIO_DEVICE, struct iommusim_dma,
		{ .offset = offsetof(struct iommusim_dma, flags),
		  .width = sizeof(__u32), .kind = F_FLAGS,
		  .value = IOMMUSIM_DMA_WRITE | IOMMUSIM_DMA_PASID |
			   IOMMUSIM_DMA_PRIV,
		  .never = IOMMUSIM_DMA_WAIT_PRI },
		FIELD(struct iommusim_dma, pasid, F_NUMBER),
		FIELD(struct iommusim_dma, __reserved, F_RESERVED),
		FIELD(struct iommusim_dma, iova, F_IOVA),
		FIELD(struct iommusim_dma, length, F_LEN),
		FIELD(struct iommusim_dma, buf_uptr, F_UPTR)),
};

const unsigned int fuzz_command_count =
	sizeof(fuzz_commands) / sizeof(fuzz_commands[0]);

/* ---- making the call ------------------------------------------------- */

static void put_field(uint8_t *buf, uint32_t len, unsigned int offset,
		      unsigned int width, uint64_t value)
{
	for (unsigned int i = 0; i < width && offset + i < len; i++)
		buf[offset + i] = (uint8_t)(value >> (8 * i));
}

static uint64_t get_field(const uint8_t *buf, unsigned int offset,
			  unsigned int width)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < width; i++)
		v |= (uint64_t)buf[offset + i] << (8 * i);
	return v;
}

static uint64_t field_value(struct fuzz_session *s, struct fuzz_input *in,
			    const struct fuzz_field *f)
{
	switch ((enum field_kind)f->kind) {
	case F_CONST:
		return f->value;
	case F_NUMBER:
		return gen_number(in, f->width);
	case F_FLAGS:
		return gen_flags(in, f->value, f->never);
	case F_RESERVED:
		return gen_reserved(in);
	case F_ID:
		return gen_id(s, in, (uint16_t)f->value);
	case F_FD:
		return (uint32_t)gen_fd(s, in, (enum fuzz_fd_kind)f->value);
	case F_UPTR:
		return gen_uptr(s, in);
	case F_LEN:
		return gen_len(s, in);
	case F_IOVA:
		return gen_iova(s, in);
	case F_PAGE_SIZE:
		return gen_page_size(in);
	case F_SIZE:
	case F_OUT_ID:
	case F_OUT_FD:
		break;
	}
	/* outputs go in as zero, or as garbage the library must ignore */
	return in_pick(in, 8) ? 0 : in_u32(in);
}

/* The size the caller claims: mostly the struct's, else one too small, a
 * larger one with a zero or a dirty tail, or nonsense. */
static uint32_t gen_size(struct fuzz_input *in, uint32_t size, bool *dirty)
{
	unsigned int sel = in->sane ? 0 : in_pick(in, 16);

	*dirty = false;
	if (sel < 10)
		return size;
	switch (sel) {
	case 10: {
		uint32_t less = 4 * (1 + in_pick(in, 4));

		return size > less ? size - less : 0;
	}
	case 11:
		return size + 8 * (1 + in_pick(in, 32));
	case 12:
		*dirty = true;
		return size + 8;
	case 13:
		return in_u8(in);
	case 14:
		return in_u32(in);
	default:
		return 0;
	}
}

static int command_fd(struct fuzz_session *s, struct fuzz_input *in,
		      enum command_target target)
{
	static const enum fuzz_fd_kind kind[] = {
		[TO_IOMMUFD] = FD_IOMMUFD,
		[TO_CONTAINER] = FD_CONTAINER,
		[TO_VFIO_DEVICE] = FD_VFIO_DEVICE,
	};

	return gen_fd_of(s, in, kind[target]);
}

/* Takes what a successful call handed out: IDs for later commands, and
 * descriptors, which the session closes at its end. */
static void harvest(struct fuzz_session *s, const struct fuzz_command *cmd,
		    const uint8_t *reply, uint32_t len)
{
	for (unsigned int i = 0; i < cmd->nfields; i++) {
		const struct fuzz_field *f = &cmd->fields[i];
		uint64_t v;

		if (f->offset + f->width > len)
			continue;
		v = get_field(reply, f->offset, f->width);
		if (f->kind == F_OUT_ID ||
		    (f->kind == F_ID && f->value != OBJ_ANY))
			session_add_id(s, (uint32_t)v, (uint16_t)f->value);
		else if (f->kind == F_IOVA)
			session_add_iova(s, v);
		else if (f->kind == F_LEN)
			session_add_len(s, v);
		else if (f->kind == F_OUT_FD)
			session_add_fd(s, (int)v, (enum fuzz_fd_kind)f->value);
	}
}

/* How many of the len bytes at addr lie in the arena's data: a struct
 * placed across the gap is written, and read back, only that far. */
static uint32_t in_data(const struct fuzz_session *s, uint64_t addr,
			uint32_t len)
{
	uint64_t data = (uint64_t)(uintptr_t)s->data;
	uint64_t end = data + ARENA_DATA;

	if (addr < data || addr >= end)
		return 0;
	return end - addr < len ? (uint32_t)(end - addr) : len;
}

void command_run(struct fuzz_session *s, struct fuzz_input *in,
		 const struct fuzz_command *cmd)
{
	uint8_t buf[ARG_MAX] = { 0 };
	uint32_t user_size, len;
	uint64_t place;
	bool dirty;
	int fd = command_fd(s, in, cmd->target);
	int rc;

	if (fd < 0)
		return;
	in->sane = !in_pick(in, 2);
	if (cmd->arg == ARG_NONE) {
		shim_ioctl(fd, cmd->request, NULL);
		return;
	}
	if (cmd->arg == ARG_VALUE) {
		shim_ioctl(fd, cmd->request,
			   (void *)(uintptr_t)gen_number(in, 4));
		return;
	}

	user_size = gen_size(in, cmd->size, &dirty);
	len = user_size < ARG_MAX ? user_size : ARG_MAX;
	put_field(buf, len, 0, 4, user_size);
	for (unsigned int i = 0; i < cmd->nfields; i++) {
		const struct fuzz_field *f = &cmd->fields[i];

		put_field(buf, len, f->offset, f->width, field_value(s, in, f));
	}
	if (dirty && len > cmd->size)
		buf[cmd->size + in_pick(in, len - cmd->size)] = 1;

	place = session_arg_place(s, in, len);
	len = in_data(s, place, len);
	if (len)
		memcpy((void *)(uintptr_t)place, buf, len);
	rc = shim_ioctl(fd, cmd->request, (void *)(uintptr_t)place);
	if (rc >= 0)
		harvest(s, cmd, (const uint8_t *)(uintptr_t)place, len);
}
