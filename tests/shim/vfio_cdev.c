// SPDX-License-Identifier: MIT
/*
 * The VFIO device cdevs as files: opened by their path,
 * reopened through /proc/self/fd/N (a new open of the same device, as the
 * kernel's cdev gives), duplicated (one open, one binding), closed (the
 * last descriptor unbinds). tests/vfio_cdev_utils.h configures the devices.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

#include "shim_utils.h"
#include "vfio_cdev_utils.h"

static int destroy(int fd, __u32 id)
{
	return ioas_destroy(fd, id);
}

/* IOMMU_DESTROY of a bound device is EBUSY, of an unbound one ENOENT: a
 * way to see from the iommufd whether devid is still bound. */
static bool still_bound(int fd, __u32 devid)
{
	return destroy(fd, devid) == -1 && errno == EBUSY;
}

/* Other spellings reach a node only through directories this machine
 * has (the shim compares them by inode); /dev/vfio/devices rarely exists,
 * so the literal paths are what every machine serves. */
TEST(path_spellings)
{
	static const char *const paths[] = {
		"/dev/vfio/devices/vfio0",
		"/dev/vfio/devices/vfio1",
		"/dev/vfio/devices/vfio2",
	};
	struct stat st;

	for (unsigned int i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd = open(paths[i], O_RDWR);

		ASSERT_LE(0, fd);
		/* the placeholder is a character device, as the cdev is */
		ASSERT_EQ(0, fstat(fd, &st));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
		ASSERT_EQ(0, close(fd));
	}
	ASSERT_ERRNO(ENOENT, open("/dev/vfio/devices/vfio3", O_RDWR));
	ASSERT_ERRNO(ENOENT, open("/dev/vfio/devices/vfio00", O_RDWR));
	ASSERT_ERRNO(ENOTDIR, open("/dev/vfio/devices/vfio0", O_RDONLY |
				   O_DIRECTORY));
	ASSERT_ERRNO(EEXIST, open("/dev/vfio/devices/vfio0", O_RDWR | O_CREAT |
				  O_EXCL, 0600));
}

TEST(dup_shares_the_binding)
{
	int fd = open("/dev/iommu", O_RDWR);
	int vfd = vfio_cdev_open(0), copy, copy2;
	__u32 devid, ioas, pt_id;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	copy = dup(vfd);
	copy2 = fcntl(vfd, F_DUPFD_CLOEXEC, 100);
	ASSERT_LE(0, copy);
	ASSERT_LE(100, copy2);
	/* bound through one, bound for all: the same open */
	ASSERT_EQ(0, _vfio_bind(copy, fd, &devid));
	ASSERT_ERRNO(EINVAL, _vfio_bind(vfd, fd, NULL));
	pt_id = ioas;
	ASSERT_EQ(0, _vfio_attach(copy2, 0, 0, &pt_id));
	/* closing some descriptors unbinds nothing */
	ASSERT_EQ(0, close(vfd));
	ASSERT_EQ(0, close(copy2));
	EXPECT_TRUE(still_bound(fd, devid));
	ASSERT_EQ(0, _vfio_detach(copy, 0, 0));
	/* the last one does */
	ASSERT_EQ(0, close(copy));
	EXPECT_FALSE(still_bound(fd, devid));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, destroy(fd, ioas));
	ASSERT_EQ(0, close(fd));
}

TEST(proc_self_fd_reopens_the_device)
{
	int fd = open("/dev/iommu", O_RDWR);
	int vfd = vfio_cdev_open(1), again;
	char path[64];
	__u32 devid, devid2;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, _vfio_bind(vfd, fd, &devid));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", vfd);
	again = open(path, O_RDWR);
	ASSERT_LE(0, again);
	ASSERT_NE(vfd, again);
	/* a new open of the same device: unbound, and the device is taken */
	ASSERT_ERRNO(EINVAL, ioctl(again, VFIO_DEVICE_GET_INFO, NULL));
	ASSERT_ERRNO(EINVAL, _vfio_bind(again, fd, NULL));
	ASSERT_EQ(0, close(vfd));
	EXPECT_FALSE(still_bound(fd, devid));
	ASSERT_EQ(0, _vfio_bind(again, fd, &devid2));
	EXPECT_TRUE(still_bound(fd, devid2));
	ASSERT_EQ(0, close(again));
	ASSERT_EQ(0, close(fd));
}

/* The device fd keeps the iommufd's context alive after the program
 * closed the iommufd, and closing the device then lets the context go. */
TEST(device_outlives_its_iommufd)
{
	int fd = open("/dev/iommu", O_RDWR), fd2;
	int vfd = vfio_cdev_open(2);
	__u32 ioas, pt_id;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, _vfio_bind(vfd, fd, NULL));
	ASSERT_EQ(0, close(fd));
	/* the descriptor is gone, the context is not */
	ASSERT_ERRNO(EBADF, ioas_destroy(fd, ioas));
	pt_id = ioas;
	ASSERT_EQ(0, _vfio_attach(vfd, 0, 0, &pt_id));
	ASSERT_EQ(0, close(vfd));
	/* and the device is free for another context */
	fd2 = open("/dev/iommu", O_RDWR);
	vfd = vfio_cdev_open(2);
	ASSERT_LE(0, fd2);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, _vfio_bind(vfd, fd2, NULL));
	ASSERT_EQ(0, close(vfd));
	ASSERT_EQ(0, close(fd2));
}

struct binder {
	pthread_t thread;
	int vfd, iommufd, rc, err;
};

static void *bind_thread(void *arg)
{
	struct binder *b = arg;

	b->rc = _vfio_bind(b->vfd, b->iommufd, NULL);
	b->err = errno;
	return NULL;
}

/* Opens of one device bound from several threads at once, each to a
 * context of its own: exactly one binding wins, the rest are EINVAL. */
TEST(concurrent_binds)
{
	struct binder b[4];
	unsigned int won = 0;

	for (unsigned int round = 0; round < 20; round++) {
		won = 0;
		for (unsigned int i = 0; i < 4; i++) {
			b[i].vfd = vfio_cdev_open(0);
			b[i].iommufd = open("/dev/iommu", O_RDWR);
			ASSERT_LE(0, b[i].vfd);
			ASSERT_LE(0, b[i].iommufd);
		}
		for (unsigned int i = 0; i < 4; i++)
			ASSERT_EQ(0, pthread_create(&b[i].thread, NULL,
						    bind_thread, &b[i]));
		for (unsigned int i = 0; i < 4; i++) {
			ASSERT_EQ(0, pthread_join(b[i].thread, NULL));
			if (!b[i].rc)
				won++;
			else
				EXPECT_EQ(EINVAL, b[i].err);
		}
		EXPECT_EQ(1, won);
		for (unsigned int i = 0; i < 4; i++) {
			ASSERT_EQ(0, close(b[i].vfd));
			ASSERT_EQ(0, close(b[i].iommufd));
		}
	}
}

TEST_HARNESS_MAIN
