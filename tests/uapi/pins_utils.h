/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the tests of pinned memory the program takes away
 * (pins_unmap.c, pins_madvise.c): a context, an IOAS mapping NPAGES of
 * 0xa5 at IOVA, a VT-d device bound but not attached, so that nothing is
 * pinned until a test attaches it.
 */
#ifndef IOMMUSIM_TESTS_PINS_UTILS_H
#define IOMMUSIM_TESTS_PINS_UTILS_H

#include <sys/mman.h>

#include "dma_utils.h"

#define PAGE 4096ul
#define NPAGES 4ul
#define LEN (NPAGES * PAGE)
#define IOVA 0x1000000ul /* inside the mock domain's aperture */

FIXTURE(pins)
{
	int fd;
	int vfd;
	__u32 ioas_id;
	__u32 devid;
	uint8_t *mem;
};

/* Fresh memory at addr (anywhere when NULL), each byte 'fill'. */
static uint8_t *map_filled(void *addr, size_t len, int fill)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (addr ? MAP_FIXED : 0);
	uint8_t *p = mmap(addr, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p != MAP_FAILED)
		memset(p, fill, len);
	return p;
}

static bool all_bytes(const uint8_t *p, size_t len, int value)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != value)
			return false;
	return true;
}

/* The device's view of [IOVA, IOVA + len): each byte 'value'. */
#define expect_device_sees(len, value)                                         \
	({                                                                     \
		static uint8_t device_view[LEN];                                    \
		test_dma_read(self->vfd, IOVA, device_view, len);                   \
		EXPECT_TRUE(all_bytes(device_view, len, value));                    \
	})

#define attach_device()                                                        \
	ASSERT_EQ(0, dev_attach(self->vfd, 0, 0, self->ioas_id))

FIXTURE_SETUP(pins)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	self->vfd = vfio_cdev_open(DEV_FULL);
	ASSERT_LE(0, self->vfd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	ASSERT_EQ(0, _vfio_bind(self->vfd, self->fd, &self->devid));
	self->mem = map_filled(NULL, LEN, 0xa5);
	ASSERT_NE(MAP_FAILED, self->mem);
	test_ioctl_ioas_map_fixed(self->mem, LEN, IOVA);
}

FIXTURE_TEARDOWN(pins)
{
	close(self->vfd);
	close(self->fd);
	munmap(self->mem, LEN);
}

/* Puts memory p (LEN bytes, filled with 0xa5 here) in the place of the
 * fixture's, mapped at IOVA. Before any attach. */
static inline void replace_memory(struct __test_metadata *_metadata,
				  FIXTURE_DATA(pins) *self, uint8_t *p)
{
	memset(p, 0xa5, LEN);
	test_ioctl_ioas_unmap(IOVA, LEN);
	munmap(self->mem, LEN);
	self->mem = p;
	test_ioctl_ioas_map_fixed(self->mem, LEN, IOVA);
}

/* A shared mapping (anonymous, so shmem) in the place of the fixture's
 * memory. */
static inline uint8_t *use_shared_memory(struct __test_metadata *_metadata,
					 FIXTURE_DATA(pins) *self)
{
	uint8_t *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		replace_memory(_metadata, self, p);
	return p;
}

#endif /* IOMMUSIM_TESTS_PINS_UTILS_H */
