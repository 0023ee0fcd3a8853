// SPDX-License-Identifier: MIT
/*
 * Pages backed by a dma-buf (dmabuf_pages.h): attaching, the checks the
 * kernel's iopt_alloc_dmabuf_pages() makes, and revocation.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/mutex.h"
#include "base/usermem.h"
#include "iommufd/dmabuf.h"
#include "iommufd/dmabuf_pages.h"
#include "iommufd/io_pagetable.h"
#include "iommufd/iommufd_private.h"

struct dmabuf_track {
	struct iommu_domain *domain;
	struct iopt_area *area;
};

struct iopt_dmabuf_pages {
	struct iopt_pages pages; /* first: freed through it */
	struct dmabuf_importer importer;
	struct file *file; /* the dma-buf, a reference */
	uint64_t start;	   /* dma-buf offset of index 0 */
	struct mutex lock; /* see dmabuf_pages.h */
	bool revoked;
	struct dmabuf_track *tracks;
	unsigned int ntracks, capacity;
};

static struct iopt_dmabuf_pages *to_dmabuf_pages(const struct iopt_pages *p)
{
	return container_of(p, struct iopt_dmabuf_pages, pages);
}

/* The exporter moved the memory: every mapping of it goes, for good. */
static void dmabuf_pages_move_notify(struct dmabuf_importer *importer)
{
	struct iopt_dmabuf_pages *dp =
		container_of(importer, struct iopt_dmabuf_pages, importer);

	mutex_lock(&dp->lock);
	if (!dp->revoked) {
		for (unsigned int i = 0; i < dp->ntracks; i++)
			iopt_area_unmap_domain(dp->tracks[i].area,
					       dp->tracks[i].domain);
		dp->revoked = true;
	}
	mutex_unlock(&dp->lock);
}

struct iopt_pages *iopt_alloc_dmabuf_pages(struct file *file, uint64_t start,
					   uint64_t length, bool writable,
					   int *err)
{
	uint64_t start_byte = start % cpu_page_size();
	struct iopt_dmabuf_pages *dp;
	struct iopt_pages *pages;
	uint64_t addr, size;

	/* start + length - 1 was checked not to wrap */
	if (dmabuf_size(file) <= start + length - 1) {
		*err = -EINVAL;
		return NULL;
	}
	pages = iopt_alloc_pages(sizeof(*dp), IOPT_PAGES_DMABUF, start_byte,
				 length, writable, err);
	if (!pages)
		return NULL;
	dp = to_dmabuf_pages(pages);
	pages->account_mode = IOPT_PAGES_ACCOUNT_NONE;
	pages->mm = usermem_self();
	dp->start = start - start_byte;
	mutex_init(&dp->lock, LOCK_RANK_DMABUF_PAGES);
	dp->importer.move_notify = dmabuf_pages_move_notify;
	*err = dmabuf_attach(file, &dp->importer, &addr, &size);
	if (*err) {
		mutex_destroy(&dp->lock);
		spin_lock_destroy(&pages->lock);
		free(dp);
		return NULL;
	}
	fget_ref(file);
	dp->file = file;
	pages->uptr = addr + dp->start;
	return pages;
}

uint64_t iopt_dmabuf_pages_start(const struct iopt_pages *pages)
{
	return to_dmabuf_pages(pages)->start;
}

bool iopt_dmabuf_lock(struct iopt_pages *pages)
{
	struct iopt_dmabuf_pages *dp = to_dmabuf_pages(pages);

	mutex_lock(&dp->lock);
	return dp->revoked;
}

void iopt_dmabuf_unlock(struct iopt_pages *pages)
{
	mutex_unlock(&to_dmabuf_pages(pages)->lock);
}

int iopt_dmabuf_track(struct iopt_pages *pages, struct iopt_area *area,
		      struct iommu_domain *domain)
{
	struct iopt_dmabuf_pages *dp = to_dmabuf_pages(pages);

	if (dp->ntracks == dp->capacity) {
		unsigned int capacity = dp->capacity ? dp->capacity * 2 : 2;
		struct dmabuf_track *tracks;

		tracks = lib_realloc(dp->tracks, capacity * sizeof(*tracks));
		if (!tracks)
			return -ENOMEM;
		dp->tracks = tracks;
		dp->capacity = capacity;
	}
	dp->tracks[dp->ntracks++] = (struct dmabuf_track){ domain, area };
	return 0;
}

void iopt_dmabuf_untrack(struct iopt_pages *pages, struct iopt_area *area,
			 struct iommu_domain *domain)
{
	struct iopt_dmabuf_pages *dp = to_dmabuf_pages(pages);

	for (unsigned int i = 0; i < dp->ntracks; i++) {
		if (dp->tracks[i].area == area &&
		    dp->tracks[i].domain == domain) {
			dp->tracks[i] = dp->tracks[--dp->ntracks];
			return;
		}
	}
}

void iopt_dmabuf_pages_release(struct iopt_pages *pages)
{
	struct iopt_dmabuf_pages *dp = to_dmabuf_pages(pages);

	/* every area untracked itself before it let go of the pages */
	dmabuf_detach(dp->file, &dp->importer);
	fput(dp->file);
	free(dp->tracks);
	mutex_destroy(&dp->lock);
}
