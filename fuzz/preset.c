// SPDX-License-Identifier: MIT
/* The working sets an input may start from; see preset.h. */
#include <fcntl.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>
#include <iommusim/uapi/vfio_device.h>

#include "shim.h"

#include "preset.h"

#define PRESET_LEVELS 4
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

static bool preset_mock_domain(struct fuzz_session *s, int fd, uint32_t ioas)
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
	session_add_id(s, mock.mock_domain.out_idev_id, OBJ_DEVICE);
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

void preset_build(struct fuzz_session *s, struct fuzz_input *in)
{
	unsigned int level = in_pick(in, PRESET_LEVELS);
	int fd = shim_openat(SHIM_OPEN, AT_FDCWD, "/dev/iommu",
			     O_RDWR | O_CLOEXEC, 0);
	uint32_t ioas;

	if (!session_add_fd(s, fd, FD_IOMMUFD) || level < 1 ||
	    !preset_ioas(s, fd, &ioas) || level < 2 ||
	    !preset_mock_domain(s, fd, ioas) || level < 3)
		return;
	preset_vfio_device(s, fd, ioas);
}
