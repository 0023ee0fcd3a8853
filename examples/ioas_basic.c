// SPDX-License-Identifier: MIT
/*
 * An ordinary iommufd program: it opens /dev/iommu, allocates an IO address
 * space, destroys it, and says what happened. It knows nothing of iommusim;
 * `iommusim run` makes it work on a machine without an IOMMU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd.h>

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	int fd;

	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open /dev/iommu: %s\n", strerror(errno));
		return 1;
	}
	printf("opened /dev/iommu as fd %d\n", fd);

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
		fprintf(stderr, "IOMMU_IOAS_ALLOC: %s\n", strerror(errno));
		return 1;
	}
	printf("IOMMU_IOAS_ALLOC: ioas id %u\n", alloc.out_ioas_id);

	destroy.id = alloc.out_ioas_id;
	if (ioctl(fd, IOMMU_DESTROY, &destroy)) {
		fprintf(stderr, "IOMMU_DESTROY: %s\n", strerror(errno));
		return 1;
	}
	printf("IOMMU_DESTROY: ioas %u destroyed\n", destroy.id);

	if (ioctl(fd, IOMMU_DESTROY, &destroy) == 0 || errno != ENOENT) {
		fprintf(stderr, "destroying it again should fail with ENOENT\n");
		return 1;
	}
	printf("IOMMU_DESTROY again: %s, as on the kernel\n", strerror(errno));
	close(fd);
	return 0;
}
