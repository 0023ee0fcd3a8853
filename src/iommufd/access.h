/* SPDX-License-Identifier: MIT */
/*
 * An access: an in-process user of an IOAS that reads and writes the
 * memory behind IOVAs without a device and without DMA (the kernel's
 * struct iommufd_access, made by drivers such as mdev; here by the
 * selftest interface, test_access.c). It pins pages through the IOAS, or
 * copies through it, and must let go of its pins when asked: an UNMAP over
 * what it pinned calls its unmap callback and waits for it.
 *
 * The object is IOMMUFD_OBJ_ACCESS. Its driver holds a user reference
 * until iommufd_access_destroy(), so IOMMU_DESTROY of it is EBUSY; while
 * attached, it holds its IOAS (a user reference) and the context.
 *
 * Locking: ioas_lock guards ioas, ioas_unpin, the list ID and 'pins'; it
 * comes before the io_pagetable's locks, and is dropped around the unmap
 * callback, which takes it again to unpin (iommufd_private.h has the
 * order).
 */
#ifndef IOMMUSIM_ACCESS_H
#define IOMMUSIM_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/interval_tree.h"
#include "base/mutex.h"
#include "iommufd/ioas.h"

/* What the access's driver provides. */
struct iommufd_access_ops {
	/* iommufd_access_pin_pages() is used: the IOAS's alignment becomes a
	 * CPU page, so every pin starts on a page. */
	bool needs_pin_pages;
	/* Must unpin whatever the driver pinned in [iova, iova + length)
	 * before it returns; NULL only for an internal access. */
	void (*unmap)(void *data, uint64_t iova, uint64_t length);
};

/* flags of iommufd_access_pin_pages() and iommufd_access_rw(), the
 * kernel's IOMMUFD_ACCESS_RW_*: the selftest's MOCK_ACCESS_RW_* bits. */
#define IOMMUFD_ACCESS_RW_WRITE (1u << 0)
/* rw: go page by page through pinned pages, not one copy */
#define IOMMUFD_ACCESS_RW_SLOW_PATH (1u << 2)

struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	const struct iommufd_access_ops *ops;
	void *data; /* the driver's, for ops->unmap */
	uint64_t iova_alignment;
	struct mutex ioas_lock;
	/* The IOAS pins and copies go through; NULL while detached or
	 * changing. */
	struct iommufd_ioas *ioas;
	/* The IOAS unpins go through: differs from ioas only while a change
	 * waits for the unmap callback. */
	struct iommufd_ioas *ioas_unpin;
	uint32_t iopt_access_list_id;
	/* One record per area slice pinned (struct iopt_access_pin), by IOVA
	 * range; an identical pin shares the record. */
	struct itree pins;
};

/*
 * Made and published, with no IOAS yet, holding a reference to the
 * context; NULL with *err. *id is its object ID.
 */
struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      uint32_t *id, int *err);
/* Detaches and destroys it; the unmap callback is not called afterwards. */
void iommufd_access_destroy(struct iommufd_access *access);

/*
 * An access of the core's own (a HW queue's, the kernel's internal
 * access): no object ID, no reference to the context, no unmap callback.
 * What it pins UNMAP refuses with -EBUSY until it unpins. Attached by
 * pointer; destroyed detached and unpinned. NULL with *err.
 */
struct iommufd_access *iommufd_access_create_internal(struct iommufd_ctx *ictx,
						      int *err);
int iommufd_access_attach_internal(struct iommufd_access *access,
				   struct iommufd_ioas *ioas);
void iommufd_access_destroy_internal(struct iommufd_access *access);

/*
 * attach: onto the IOAS ioas_id (-ENOENT, or iopt_add_access()'s errno).
 * replace: moves an attached access (-ENOENT when it is not attached or
 * there is no such IOAS; the same IOAS again changes nothing); its pins in
 * the old IOAS are dropped through the unmap callback first. -EBUSY when
 * another change is under way.
 */
int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id);
int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id);

/*
 * Pins [iova, iova + length) and writes the address of each page pinned
 * (a page's "physical" address: its host address) to out[], at most
 * max_out of them. -EINVAL (zero length, a range not on page boundaries,
 * an UNMAP waiting on it), -EOVERFLOW, -ENOENT (not attached, a hole),
 * -EPERM (the areas do not allow it), -EFAULT or -ENOMEM from pinning.
 * Undone by iommufd_access_unpin_pages() with the same range.
 */
int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova,
			     uint64_t length, uint64_t *out, uint64_t max_out,
			     unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova,
				uint64_t length);

/* Copies between data and [iova, iova + length): into the IOAS with
 * IOMMUFD_ACCESS_RW_WRITE. The errno of pin_pages, and -EFAULT. */
int iommufd_access_rw(struct iommufd_access *access, uint64_t iova,
		      void *data, uint64_t length, unsigned int flags);

/* The IOVA of the nth area of the access's IOAS; false when there is no
 * such area, or no IOAS (the selftest's fuzzer mode). */
bool iommufd_access_nth_area_iova(struct iommufd_access *access, uint32_t nth,
				  uint64_t *iova);

/* Every access attached to iopt is asked to unpin [iova, iova + length):
 * how an UNMAP waits for them (io_pagetable.c). No lock held. */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova,
				 uint64_t length);

void iommufd_access_destroy_object(struct iommufd_object *obj);

#endif /* IOMMUSIM_ACCESS_H */
