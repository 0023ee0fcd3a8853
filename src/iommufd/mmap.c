// SPDX-License-Identifier: MIT
/*
 * The mmap() regions of a context. See mmap.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/alloc.h"
#include "iommufd/mmap.h"
#include "iommufd/pages.h"

/* length bytes of shared memory, zeroed; NULL with *err. Shared, so that
 * a user's mapping of it shares the pages (base/file_mmap.c). */
static void *shared_memory_alloc(size_t length, int *err)
{
	void *addr;

	if (fault_should_fail(FAULT_PAGE_ALLOC, alloc_pages_order(length),
			      __func__)) {
		*err = -ENOMEM;
		return NULL;
	}
	/* not an injection site: the check above is this allocation's (and
	 * a system call: the shim wraps mmap) */
	addr = (void *)syscall(SYS_mmap, NULL, length, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (addr == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	return addr;
}

void *iommufd_mmap_alloc(struct iommufd_ctx *ictx, struct iommufd_object *owner,
			 size_t length, uint64_t *offset, int *err)
{
	uint64_t page = cpu_page_size(), start = page;
	struct iommufd_mmap *region, **link;

	region = lib_calloc(1, sizeof(*region));
	if (!region) {
		*err = -ENOMEM;
		return NULL;
	}
	region->addr = shared_memory_alloc(length, err);
	if (!region->addr) {
		free(region);
		return NULL;
	}
	region->length = length;
	region->owner = owner;
	mutex_lock(&ictx->mmap_lock);
	/* the lowest gap that fits, from one page up */
	for (link = &ictx->mmaps; *link; link = &(*link)->next) {
		if ((*link)->offset - start >= length)
			break;
		start = (*link)->offset + (*link)->length;
	}
	region->offset = start;
	region->next = *link;
	*link = region;
	mutex_unlock(&ictx->mmap_lock);
	*offset = start;
	return region->addr;
}

static void region_free(struct iommufd_mmap *region)
{
	syscall(SYS_munmap, region->addr, region->length);
	free(region);
}

void iommufd_mmap_free(struct iommufd_ctx *ictx, uint64_t offset)
{
	struct iommufd_mmap *region = NULL, **link;

	mutex_lock(&ictx->mmap_lock);
	for (link = &ictx->mmaps; *link; link = &(*link)->next) {
		if ((*link)->offset == offset) {
			region = *link;
			*link = region->next;
			break;
		}
	}
	mutex_unlock(&ictx->mmap_lock);
	if (region)
		region_free(region);
}

/* What a user's mapping holds, until munmap(). */
struct mmap_hold {
	struct iommufd_ctx *ictx;
	struct iommufd_object *owner;
};

static void mmap_unmapped(void *data)
{
	struct mmap_hold *hold = data;

	object_release(hold->owner);
	iommufd_ctx_put(hold->ictx);
	free(hold);
}

int iommufd_mmap(struct iommufd_ctx *ictx, struct file_mmap_req *req)
{
	struct iommufd_mmap *region;
	struct mmap_hold *hold;
	int rc = -ENXIO;

	if (req->length % cpu_page_size())
		return -EINVAL;
	if (!(req->flags & MAP_SHARED))
		return -EINVAL;
	if (req->prot & PROT_EXEC)
		return -EPERM;
	hold = lib_malloc(sizeof(*hold));
	if (!hold)
		return -ENOMEM;
	mutex_lock(&ictx->mmap_lock);
	for (region = ictx->mmaps; region; region = region->next) {
		if (region->offset != req->offset)
			continue;
		/* only a whole region, and one whose owner is not dying */
		if (region->length == req->length &&
		    object_try_hold(region->owner)) {
			hold->ictx = ictx;
			hold->owner = region->owner;
			/* the mapping keeps the context, as the kernel's
			 * VMA keeps the iommufd file */
			iommufd_ctx_get(ictx);
			req->source = region->addr;
			req->unmapped = mmap_unmapped;
			req->data = hold;
			hold = NULL;
			rc = 0;
		}
		break;
	}
	mutex_unlock(&ictx->mmap_lock);
	free(hold);
	return rc;
}
