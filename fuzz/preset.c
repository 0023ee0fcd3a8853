// SPDX-License-Identifier: MIT
/* The working sets an input may start from; see preset.h. */
#include <fcntl.h>
#include <linux/vfio.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>
#include <iommusim/uapi/vfio_device.h>

#include "shim.h"

#include "preset.h"

#define PRESET_LEVELS 5
#define PRESET_IOVA (1ull << 24) /* the mock aperture's start */
#define PRESET_PAGES 16

/* Each returns false when a call failed (fail-nth is not armed yet, so
 * only a bug makes one fail); the levels above it are then skipped. */

static bool preset_ioas(struct fuzz_session *s, int fd, uint32_t *ioas)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (shim_ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		return false;
	*ioas = alloc.out_ioas_id;
	session_add_id(s, *ioas, OBJ_IOAS);
	return true;
}

static bool preset_mock_domain(struct fuzz_session *s, int fd, uint32_t ioas,
			       uint32_t *idev)
{
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas,
	};
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uint64_t)(uintptr_t)s->data,
		.length = PRESET_PAGES * ARENA_PAGE,
		.iova = PRESET_IOVA,
	};

	if (shim_ioctl(fd, IOMMU_TEST_CMD, &mock))
		return false;
	session_add_id(s, mock.mock_domain.out_stdev_id, OBJ_STDEV);
	session_add_id(s, mock.mock_domain.out_hwpt_id, OBJ_HWPT);
	*idev = mock.mock_domain.out_idev_id;
	session_add_id(s, *idev, OBJ_DEVICE);
	if (shim_ioctl(fd, IOMMU_IOAS_MAP, &map))
		return false;
	session_add_iova(s, map.iova);
	session_add_len(s, map.length);
	return true;
}

static bool preset_vfio_device(struct fuzz_session *s, int fd, uint32_t ioas)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = fd,
	};
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.pt_id = ioas,
	};
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = offsetof(struct vfio_device_attach_iommufd_pt, pasid),
	};
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	int vfd = shim_openat(SHIM_OPEN, AT_FDCWD, "/dev/vfio/devices/vfio0",
			      O_RDWR | O_CLOEXEC, 0);

	if (!session_add_fd(s, vfd, FD_VFIO_DEVICE) ||
	    shim_ioctl(vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return false;
	session_add_id(s, bind.out_devid, OBJ_DEVICE);
	hwpt.dev_id = bind.out_devid;
	if (shim_ioctl(fd, IOMMU_HWPT_ALLOC, &hwpt))
		return false;
	session_add_id(s, hwpt.out_hwpt_id, OBJ_HWPT);
	attach.pt_id = hwpt.out_hwpt_id;
	if (shim_ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ||
	    shim_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fault))
		return false;
	session_add_id(s, fault.out_fault_id, OBJ_FAULT);
	session_add_fd(s, (int)fault.out_fault_fd, FD_QUEUE);
	return true;
}

static bool preset_hwpt(struct fuzz_session *s, int fd,
			struct iommu_hwpt_alloc *alloc)
{
	alloc->size = sizeof(*alloc);
	if (shim_ioctl(fd, IOMMU_HWPT_ALLOC, alloc))
		return false;
	session_add_id(s, alloc->out_hwpt_id, OBJ_HWPT);
	return true;
}

/* A HWPT of the mock device's that tracks dirty pages, tracking on. */
static bool preset_dirty_hwpt(struct fuzz_session *s, int fd, uint32_t ioas,
			      uint32_t idev)
{
	struct iommu_hwpt_alloc alloc = {
		.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = idev,
		.pt_id = ioas,
	};
	struct iommu_hwpt_set_dirty_tracking track = {
		.size = sizeof(track),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};

	if (!preset_hwpt(s, fd, &alloc))
		return false;
	track.hwpt_id = alloc.out_hwpt_id;
	return !shim_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &track);
}

/* A selftest nested HWPT over a nesting parent of the mock device's. */
static bool preset_nested_hwpt(struct fuzz_session *s, int fd, uint32_t ioas,
			       uint32_t idev)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc parent = {
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.dev_id = idev,
		.pt_id = ioas,
	};
	struct iommu_hwpt_alloc nested = {
		.dev_id = idev,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uint64_t)(uintptr_t)&data,
	};

	if (!preset_hwpt(s, fd, &parent))
		return false;
	nested.pt_id = parent.out_hwpt_id;
	return preset_hwpt(s, fd, &nested);
}

/* A selftest access that pins pages, on the IOAS. */
static bool preset_access(struct fuzz_session *s, int fd, uint32_t ioas)
{
	struct iommu_test_cmd create = {
		.size = sizeof(create),
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
		.create_access = {
			.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
		},
	};

	return !shim_ioctl(fd, IOMMU_TEST_CMD, &create) &&
	       session_add_fd(s, (int)create.create_access.out_access_fd,
			      FD_ACCESS);
}

/* A VFIO type1v2 container: /dev/vfio/vfio with an IOAS of its own as the
 * compat IOAS, so VFIO_IOMMU_MAP_DMA and its kin can succeed. */
static bool preset_container(struct fuzz_session *s)
{
	struct iommu_vfio_ioas compat = {
		.size = sizeof(compat),
		.op = IOMMU_VFIO_IOAS_SET,
	};
	int cfd = shim_openat(SHIM_OPEN, AT_FDCWD, "/dev/vfio/vfio",
			      O_RDWR | O_CLOEXEC, 0);

	if (!session_add_fd(s, cfd, FD_CONTAINER) ||
	    !preset_ioas(s, cfd, &compat.ioas_id) ||
	    shim_ioctl(cfd, IOMMU_VFIO_IOAS, &compat))
		return false;
	return !shim_ioctl(cfd, VFIO_SET_IOMMU,
			   (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
}

static void preset_deep(struct fuzz_session *s, int fd, uint32_t ioas,
			uint32_t idev)
{
	if (preset_dirty_hwpt(s, fd, ioas, idev) &&
	    preset_nested_hwpt(s, fd, ioas, idev) &&
	    preset_access(s, fd, ioas))
		preset_container(s);
}

void preset_build(struct fuzz_session *s, struct fuzz_input *in)
{
	unsigned int level = in_pick(in, PRESET_LEVELS);
	int fd = shim_openat(SHIM_OPEN, AT_FDCWD, "/dev/iommu",
			     O_RDWR | O_CLOEXEC, 0);
	uint32_t ioas, idev;

	if (!session_add_fd(s, fd, FD_IOMMUFD) || level < 1 ||
	    !preset_ioas(s, fd, &ioas) || level < 2 ||
	    !preset_mock_domain(s, fd, ioas, &idev) || level < 3 ||
	    !preset_vfio_device(s, fd, ioas) || level < 4)
		return;
	preset_deep(s, fd, ioas, idev);
}
