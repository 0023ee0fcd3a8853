/* SPDX-License-Identifier: MIT */
/*
 * The regions a context offers to mmap() on its iommufd (the kernel's
 * ictx->mt_mmap): a driver's memory the user may map, each at an offset
 * of its own, owned by an object. A mapping holds its region's owner (a
 * user reference, so DESTROY of the owner is EBUSY) until munmap().
 *
 * A region's memory is a shared anonymous mapping, so that the user's
 * mapping (a second mapping of it, base/file_mmap.c) shares its pages
 * with the driver's. mmap_lock guards
 * the list; it is a leaf.
 */
#ifndef IOMMUSIM_IOMMUFD_MMAP_H
#define IOMMUSIM_IOMMUFD_MMAP_H

#include <stddef.h>
#include <stdint.h>

#include "base/file.h"
#include "iommufd/iommufd_private.h"

struct iommufd_mmap {
	uint64_t offset; /* a multiple of the CPU page, never 0 */
	uint64_t length;
	void *addr;			/* the driver's mapping */
	struct iommufd_object *owner;
	struct iommufd_mmap *next;	/* by offset */
};

/*
 * Zeroed memory of length bytes (a multiple of the CPU page) at the lowest
 * free offset from one page up; NULL with *err (-ENOMEM, or the system's
 * errno).
 */
void *iommufd_mmap_alloc(struct iommufd_ctx *ictx, struct iommufd_object *owner,
			 size_t length, uint64_t *offset, int *err);
/* The region at offset goes, and its memory; a user's mapping keeps its
 * pages. */
void iommufd_mmap_free(struct iommufd_ctx *ictx, uint64_t offset);

/*
 * The user's mmap() of the iommufd, as the kernel's iommufd_fops_mmap():
 * -EINVAL for a length not of whole pages or a mapping not MAP_SHARED,
 * -EPERM for PROT_EXEC, -ENXIO for anything but a region's exact offset
 * and length. On success req names the region's memory, and the mapping
 * holds the region's owner (DESTROY of it is EBUSY) and the context until
 * munmap().
 */
int iommufd_mmap(struct iommufd_ctx *ictx, struct file_mmap_req *req);

#endif /* IOMMUSIM_IOMMUFD_MMAP_H */
