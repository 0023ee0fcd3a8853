// SPDX-License-Identifier: MIT
/*
 * The io_pagetable: placing, inserting and removing areas, and the allowed
 * and reserved ranges that constrain them. The checks, their order and
 * their errno are the kernel's (drivers/iommu/iommufd/io_pagetable.c);
 * where that order looks arbitrary, it is still the ABI.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "iommufd/access.h"
#include "iommufd/dmabuf.h"
#include "iommufd/dmabuf_pages.h"
#include "iommufd/file_pages.h"
#include "iommufd/io_pagetable.h"
#include "base/zalloc.h"
#include "iommufd/iommufd_private.h"


/* The budget io_pagetable.h states: with malloc's 8-byte header, a 96-byte
 * chunk. */
_Static_assert(sizeof(struct iopt_area) <= 88, "iopt_area grew");

static struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt,
					      uint64_t start, uint64_t last)
{
	lockdep_assert_held(&iopt->iova_rwsem);
	return iopt_area_find(iopt, start, last);
}

/* The same, leaving c at the area, for rindex_remove_at(). */
static struct iopt_area *iopt_area_iter_first_at(struct io_pagetable *iopt,
						 uint64_t start, uint64_t last,
						 struct rindex_cursor *c)
{
	struct rindex_range *r;

	lockdep_assert_held(&iopt->iova_rwsem);
	r = start <= last ? rindex_seek(&iopt->areas, start, c) : NULL;
	return r && r->start <= last ? iopt_area_of(r) : NULL;
}

void iopt_init_table(struct io_pagetable *iopt)
{
	memset(iopt, 0, sizeof(*iopt));
	/* writers first, as the kernel's rwsem: nothing here takes a read
	 * side recursively */
	init_rwsem(&iopt->domains_rwsem, LOCK_RANK_IOPT_DOMAINS);
	init_rwsem(&iopt->iova_rwsem, LOCK_RANK_IOPT_IOVA);
	spin_lock_init(&iopt->access_list_lock, LOCK_RANK_IOPT_ACCESSES);
	rindex_init(&iopt->areas);
	itree_init(&iopt->allowed_itree);
	itree_init(&iopt->reserved_itree);
	/* With no domain, an IOAS is a software table that takes any byte
	 * granularity. */
	iopt->iova_alignment = 1;
}

void iopt_free_allowed(struct itree *allowed)
{
	struct itree_node *node;

	while ((node = itree_first(allowed))) {
		itree_remove(allowed, node);
		free(container_of(node, struct iopt_allowed, node));
	}
}

void iopt_destroy_table(struct io_pagetable *iopt)
{
	/* Test reservations have no owner to remove them. */
	iopt_remove_reserved_iova(iopt, NULL);
	iopt_free_allowed(&iopt->allowed_itree);
	/* the IOAS unmapped everything: only an empty root may be left */
	rindex_destroy(&iopt->areas);
	free(iopt->domains);
	/* every access held the IOAS: none is left */
	free(iopt->accesses);
	spin_lock_destroy(&iopt->access_list_lock);
}

/* ---- walking areas ------------------------------------------------------- */

/* An area still being built or torn down ends the walk as a hole does. */
struct iopt_area *iopt_area_contig_init(struct iopt_area_contig_iter *iter,
					struct io_pagetable *iopt,
					uint64_t iova, uint64_t last_iova)
{
	iter->iopt = iopt;
	iter->cur_iova = iova;
	iter->last_iova = last_iova;
	iter->area = iopt_area_iter_first(iopt, iova, iova);
	if (iter->area && !iter->area->pages)
		iter->area = NULL;
	return iter->area;
}

struct iopt_area *iopt_area_contig_next(struct iopt_area_contig_iter *iter)
{
	uint64_t area_last;

	if (!iter->area)
		return NULL;
	area_last = iopt_area_last_iova(iter->area);
	if (iter->last_iova <= area_last)
		return NULL;
	iter->cur_iova = area_last + 1;
	iter->area = iopt_area_iter_first(iter->iopt, iter->cur_iova,
					  iter->last_iova);
	if (iter->area && (iopt_area_iova(iter->area) != iter->cur_iova ||
			   !iter->area->pages))
		iter->area = NULL;
	return iter->area;
}

bool iopt_nth_area_iova(struct io_pagetable *iopt, uint32_t nth,
			uint64_t *iova)
{
	struct rindex_cursor cursor;
	struct rindex_range *node;

	down_read(&iopt->iova_rwsem);
	for (node = rindex_first(&iopt->areas, &cursor); node && nth;
	     node = rindex_cursor_next(&cursor))
		nth--;
	if (node)
		*iova = node->start;
	up_read(&iopt->iova_rwsem);
	return node;
}

/* ---- choosing an IOVA ------------------------------------------------------- */

static uint64_t roundup_pow_of_two(uint64_t v)
{
	return v <= 1 ? 1 : 1ull << (64 - __builtin_clzll(v - 1));
}

/*
 * Aligns *start up (keeping the user address's offset in the page) and
 * says whether 'length' bytes then fit before 'last'. Note the kernel's
 * quirk, kept: an aligned start equal to 'last' is refused even for a
 * one-byte length.
 */
static bool alloc_fits(uint64_t *start, uint64_t last, uint64_t length,
		       uint64_t alignment, uint64_t page_offset)
{
	uint64_t aligned;

	if (*start + (alignment - 1) < *start)
		return false;
	aligned = (*start + (alignment - 1)) & ~(alignment - 1);
	aligned |= page_offset;
	if (aligned >= last || last - aligned < length - 1)
		return false;
	*start = aligned;
	return true;
}

struct alloc_request {
	uint64_t length, alignment, page_offset;
};

static bool alloc_fits_hole(uint64_t *start, uint64_t last, void *arg)
{
	const struct alloc_request *req = arg;

	return alloc_fits(start, last, req->length, req->alignment,
			  req->page_offset);
}

/*
 * The lowest fitting hole in (reserved ∪ areas) inside [start, last]. The
 * reserved ranges are few; the areas may be a million, so their holes come
 * from the index's search, which skips every run of areas with no hole
 * big enough.
 */
static bool alloc_in_allowed(struct io_pagetable *iopt, uint64_t start,
			     uint64_t last, uint64_t length, uint64_t alignment,
			     uint64_t page_offset, uint64_t *iova)
{
	struct alloc_request req = { length, alignment, page_offset };
	struct itree_span reserved;

	itree_for_each_span(&reserved, &iopt->reserved_itree, start, last) {
		if (!reserved.is_hole)
			continue;
		if (rindex_find_hole(&iopt->areas, reserved.start,
				     reserved.last, length, alloc_fits_hole,
				     &req, iova))
			return true;
	}
	return false;
}

/*
 * Automatic placement, the kernel's policy: an alignment taken from the
 * user address and the length (so huge pages stay possible), capped at the
 * huge page size; allowed ranges only, when there are any; never IOVA 0
 * (the search starts one page up and stops one page below the top).
 */
static int iopt_alloc_iova(struct io_pagetable *iopt, uint64_t *iova,
			   uint64_t addr, uint64_t length)
{
	uint64_t page = cpu_page_size();
	uint64_t page_offset = addr % page;
	uint64_t max_alignment = cpu_huge_page_size();
	uint64_t alignment;
	struct itree_span allowed;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	if (length == 0 || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	alignment = roundup_pow_of_two(length);
	if (addr && (1ull << __builtin_ctzll(addr)) < alignment)
		alignment = 1ull << __builtin_ctzll(addr);
	if (alignment >= max_alignment)
		alignment = max_alignment;
	if (alignment < iopt->iova_alignment)
		return -EINVAL;

	if (itree_empty(&iopt->allowed_itree)) {
		uint64_t start = page;

		if (alloc_fits(&start, UINT64_MAX - page, length, alignment,
			       page_offset) &&
		    alloc_in_allowed(iopt, start, UINT64_MAX - page, length,
				     alignment, page_offset, iova))
			return 0;
		return -ENOSPC;
	}
	itree_for_each_span(&allowed, &iopt->allowed_itree, page,
			    UINT64_MAX - page) {
		uint64_t start = allowed.start;

		if (allowed.is_hole)
			continue;
		if (!alloc_fits(&start, allowed.last, length, alignment,
				page_offset))
			continue;
		if (alloc_in_allowed(iopt, start, allowed.last, length,
				     alignment, page_offset, iova))
			return 0;
	}
	return -ENOSPC;
}

static int iopt_check_iova(struct io_pagetable *iopt, uint64_t iova,
			   uint64_t length)
{
	uint64_t last;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (itree_iter_first(&iopt->reserved_itree, iova, last))
		return -EINVAL;
	if (iopt_area_iter_first(iopt, iova, last))
		return -EEXIST;
	return 0;
}

/* ---- inserting areas -------------------------------------------------------- */

/* The area takes bytes [start_byte, start_byte + length) of pages, at
 * iova: checks and fills its range, not yet in the index. */
static int iopt_area_set_range(struct io_pagetable *iopt,
			       struct iopt_area *area, struct iopt_pages *pages,
			       uint64_t iova, uint64_t start_byte,
			       uint64_t length, int iommu_prot)
{
	uint64_t page = cpu_page_size();
	uint64_t last_byte;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	if ((iommu_prot & IOPT_PROT_WRITE) && !pages->writable)
		return -EPERM;
	area->iommu_prot = (uint8_t)iommu_prot;
	if ((start_byte % page) & (iopt->iova_alignment - 1))
		return -EINVAL;
	area->node.start = iova;
	if (__builtin_add_overflow(iova, length - 1, &area->node.last))
		return -EOVERFLOW;
	if (__builtin_add_overflow(start_byte, length - 1, &last_byte) ||
	    last_byte / page >= pages->npages)
		return -EOVERFLOW;
	area->start_byte = start_byte;
	return 0;
}

/* The area goes into the index without its pages: it holds the IOVA range,
 * but nobody may use it until iopt_map_pages() gives it the pages. */
static int iopt_insert_area(struct io_pagetable *iopt, struct iopt_area *area,
			    struct iopt_pages *pages, uint64_t iova,
			    uint64_t start_byte, uint64_t length,
			    int iommu_prot)
{
	int rc = iopt_area_set_range(iopt, area, pages, iova, start_byte,
				     length, iommu_prot);

	return rc ? rc : rindex_insert(&iopt->areas, &area->node);
}

/* An area that never became real: iopt_map_pages() took it out of the
 * tree again before it let go of the lock. */
static void iopt_abort_area(struct iopt_area *area)
{
	free(area);
}

static int pages_list_add(struct iopt_pages_list *list,
			  struct iopt_pages *pages, uint64_t start_byte,
			  uint64_t length)
{
	struct iopt_pages_slice *slice;

	if (list->count == list->capacity) {
		unsigned int capacity = list->capacity ? list->capacity * 2 : 4;
		struct iopt_pages_slice *slices;

		slices = lib_realloc(list->slices, capacity * sizeof(*slices));
		if (!slices)
			return -ENOMEM;
		list->slices = slices;
		list->capacity = capacity;
	}
	slice = &list->slices[list->count++];
	memset(slice, 0, sizeof(*slice));
	slice->pages = pages;
	slice->start_byte = start_byte;
	slice->length = length;
	return 0;
}

void iopt_free_pages_list(struct iopt_pages_list *list)
{
	for (unsigned int i = 0; i < list->count; i++) {
		struct iopt_pages_slice *slice = &list->slices[i];

		if (slice->area)
			iopt_abort_area(slice->area);
		if (slice->pages)
			iopt_pages_put(slice->pages);
	}
	free(list->slices);
	memset(list, 0, sizeof(*list));
}

/* Hands each slice's pages reference to its area: the areas become real. */
static void iopt_publish_areas(struct iopt_pages_list *list)
{
	for (unsigned int i = 0; i < list->count; i++) {
		struct iopt_pages_slice *slice = &list->slices[i];

		slice->area->pages = slice->pages;
		slice->pages = NULL;
		slice->area = NULL;
	}
}

/*
 * Places and inserts one area per slice and publishes them, in one
 * critical section. Domains, once they exist, are filled inside it too:
 * unlike the kernel's, our domains are filled without sleeping, so there
 * is no reason to drop iova_rwsem and show half-built areas to others.
 */
int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages_list *list,
		   uint64_t length, uint64_t *dst_iova, int iommu_prot,
		   unsigned int flags)
{
	unsigned int filled, inserted = 0;
	uint64_t iova;
	int rc = 0;

	for (unsigned int i = 0; i < list->count; i++) {
		list->slices[i].area = zalloc(sizeof(struct iopt_area));
		if (!list->slices[i].area)
			return -ENOMEM;
	}

	down_write(&iopt->iova_rwsem);
	if ((length & (iopt->iova_alignment - 1)) || !length) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (flags & IOPT_ALLOC_IOVA) {
		/* the first slice's user address guides the alignment */
		const struct iopt_pages_slice *first = &list->slices[0];

		rc = iopt_alloc_iova(iopt, dst_iova,
				     iopt_pages_source_start(first->pages) +
					     first->start_byte,
				     length);
	} else {
		rc = iopt_check_iova(iopt, *dst_iova, length);
	}
	if (rc)
		goto out_unlock;

	iova = *dst_iova;
	for (unsigned int i = 0; i < list->count; i++) {
		struct iopt_pages_slice *slice = &list->slices[i];

		rc = iopt_insert_area(iopt, slice->area, slice->pages, iova,
				      slice->start_byte, slice->length,
				      iommu_prot);
		if (rc)
			goto out_remove;
		inserted++;
		iova += slice->length;
	}
	/* Filled with their pages in place; the lock hides them until all
	 * are done. */
	for (filled = 0; filled < list->count; filled++) {
		struct iopt_area *area = list->slices[filled].area;

		area->pages = list->slices[filled].pages;
		rc = iopt_area_fill_domains(iopt, area);
		if (rc) {
			area->pages = NULL;
			goto out_unfill;
		}
	}
	iopt_publish_areas(list);
	goto out_unlock;

out_unfill:
	while (filled--) {
		struct iopt_area *area = list->slices[filled].area;

		iopt_area_unfill_domains(iopt, area);
		area->pages = NULL;
	}
out_remove:
	/*
	 * Take back the areas already inserted before the lock is dropped:
	 * half a COPY must never be visible, and the caller may no longer
	 * hold the IOAS when it frees the list.
	 */
	for (unsigned int i = 0; i < inserted; i++)
		rindex_remove(&iopt->areas, &list->slices[i].area->node);
out_unlock:
	up_write(&iopt->iova_rwsem);
	return rc;
}

/* Maps one new pages object whole, the reference to it handed over. */
static int iopt_map_common(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			   struct iopt_pages *pages, uint64_t *iova,
			   uint64_t length, uint64_t start_byte,
			   int iommu_prot, unsigned int flags)
{
	struct iopt_pages_slice slice = {
		.pages = pages, .start_byte = start_byte, .length = length,
	};
	struct iopt_pages_list list = {
		.slices = &slice, .count = 1, .capacity = 1,
	};
	int rc;

	if (ictx->account_mode == IOPT_PAGES_ACCOUNT_MM &&
	    pages->account_mode == IOPT_PAGES_ACCOUNT_USER)
		pages->account_mode = IOPT_PAGES_ACCOUNT_MM;
	rc = iopt_map_pages(iopt, &list, length, iova, iommu_prot, flags);
	if (rc) {
		if (slice.area)
			iopt_abort_area(slice.area);
		if (slice.pages)
			iopt_pages_put(slice.pages);
	}
	return rc;
}

int iopt_map_user_pages(struct iommufd_ctx *ictx, const struct usermem *mm,
			struct io_pagetable *iopt, uint64_t *iova,
			uint64_t uptr, uint64_t length, int iommu_prot,
			unsigned int flags)
{
	struct iopt_pages *pages;
	int rc;

	pages = iopt_alloc_user_pages(mm, uptr, length,
				      iommu_prot & IOPT_PROT_WRITE, &rc);
	if (!pages)
		return rc;
	return iopt_map_common(ictx, iopt, pages, iova, length,
			       uptr - pages->uptr, iommu_prot, flags);
}

/*
 * The kernel tries the fd as a dma-buf first, then as any file; a
 * descriptor of the library's own that is not a dma-buf is a file that
 * cannot be pinned.
 */
int iopt_map_file_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			uint64_t *iova, int fd, uint64_t start,
			uint64_t length, int iommu_prot, unsigned int flags)
{
	bool writable = iommu_prot & IOPT_PROT_WRITE;
	struct iopt_pages *pages;
	struct file *lib_file;
	uint64_t last;
	int rc;

	rc = iopt_range_last(start, length, &last);
	if (rc)
		return rc;
	lib_file = fget(fd);
	if (lib_file && file_is_dmabuf(lib_file))
		pages = iopt_alloc_dmabuf_pages(lib_file, start, length,
						writable, &rc);
	else
		pages = iopt_alloc_file_pages(fd, lib_file, start, length,
					      writable, &rc);
	if (lib_file)
		fput(lib_file);
	if (!pages)
		return rc;
	return iopt_map_common(ictx, iopt, pages, iova, length,
			       start % cpu_page_size(), iommu_prot, flags);
}

/* ---- reading areas back --------------------------------------------------- */

/*
 * Collects the slices covering [iova, iova + length): the areas there must
 * follow each other without a gap, every one of them complete.
 */
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   struct iopt_pages_list *list)
{
	struct iopt_area_contig_iter iter;
	struct iopt_area *area;
	uint64_t last_iova;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last_iova))
		return -EOVERFLOW;

	down_read(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		rc = pages_list_add(list, area->pages,
				    iopt_area_start_byte(area, iter.cur_iova),
				    iopt_area_contig_last(&iter) -
					    iter.cur_iova + 1);
		if (rc)
			goto out_free;
		iopt_pages_get(area->pages);
	}
	/* a gap, or an area still being built or torn down */
	if (!iopt_area_contig_done(&iter)) {
		rc = -ENOENT;
		goto out_free;
	}
	up_read(&iopt->iova_rwsem);
	return 0;

out_free:
	up_read(&iopt->iova_rwsem);
	iopt_free_pages_list(list);
	return rc;
}

/* ---- removing areas --------------------------------------------------------- */

/* How often one area's accesses may be asked to let go before UNMAP gives
 * up on them: one that does not is a bug in its driver. */
#define UNMAP_ACCESS_TRIES 100

/*
 * Every area inside [start, last] goes; an area that sticks out stops the
 * walk with -ENOENT, leaving what was already removed removed. An area
 * leaves the tree (and, once domains exist, the domains) in the critical
 * section that finds it.
 *
 * An area accesses have pinned is first closed to new pins; then, with
 * the lock dropped, every access is asked to unpin it, and the walk starts
 * again from that area. Others may map into what was already unmapped
 * meanwhile: the walk only moves forward. -EDEADLOCK when the accesses do
 * not let go.
 */
static int iopt_unmap_iova_range(struct io_pagetable *iopt, uint64_t start,
				 uint64_t last, uint64_t *unmapped)
{
	uint64_t unmapped_bytes = 0;
	struct rindex_cursor cursor;
	unsigned int tries = 0;
	struct iopt_area *area;
	int rc = 0;

again:
	down_write(&iopt->iova_rwsem);
	while ((area = iopt_area_iter_first_at(iopt, start, last, &cursor))) {
		uint64_t area_first = iopt_area_iova(area);
		uint64_t area_last = iopt_area_last_iova(area);

		/* Among many areas the pages are a cold line too: asked for
		 * now, they arrive while the area leaves the index. */
		__builtin_prefetch(area->pages);

		/* being built or torn down by a racing MAP or UNMAP */
		if (!area->pages) {
			rc = -EBUSY;
			break;
		}
		if (area_first < start || area_last > last) {
			rc = -ENOENT;
			break;
		}
		if (__atomic_load_n(&area->num_locks, __ATOMIC_RELAXED)) {
			rc = -EBUSY;
			break;
		}
		if (area_first != start)
			tries = 0;
		if (__atomic_load_n(&area->num_accesses, __ATOMIC_RELAXED)) {
			start = area_first;
			area->prevent_access = true;
			up_write(&iopt->iova_rwsem);
			iommufd_access_notify_unmap(iopt, area_first,
						    area_last - area_first + 1);
			if (++tries > UNMAP_ACCESS_TRIES) {
				rc = -EDEADLOCK;
				goto out_unmapped;
			}
			goto again;
		}
		iopt_area_unfill_domains(iopt, area);
		rindex_remove_at(&iopt->areas, &cursor);
		iopt_pages_put(area->pages);
		free(area);
		unmapped_bytes += area_last - area_first + 1;
		if (area_last >= last)
			break;
		start = area_last + 1;
	}
	up_write(&iopt->iova_rwsem);
out_unmapped:
	if (unmapped)
		*unmapped = unmapped_bytes;
	return rc;
}

int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_iova_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped)
{
	return iopt_unmap_iova_range(iopt, 0, UINT64_MAX, unmapped);
}

/* ---- cutting areas ------------------------------------------------------------ */

/*
 * Splits area into [start, iova] and [iova + 1, last], two areas on the
 * same pages with the same protection; the domains keep their mappings,
 * which stay valid for the halves. Nothing to do when iova is an end of
 * the area. Refused (-EINVAL) where a domain may hold a large page across
 * the cut, or an access pins part of the area.
 */
static int iopt_area_split(struct io_pagetable *iopt, struct iopt_area *area,
			   uint64_t iova)
{
	uint64_t alignment = iopt->iova_alignment;
	uint64_t start_iova = iopt_area_iova(area);
	uint64_t last_iova = iopt_area_last_iova(area);
	uint64_t new_start = iova + 1;
	struct iopt_area *lhs, *rhs;
	int rc;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	if (iova == start_iova || iova == last_iova)
		return 0;
	if (!area->pages || area->prevent_access)
		return -EBUSY;
	/* the revocation tracking is kept per area */
	if (area->pages->type == IOPT_PAGES_DMABUF)
		return -EOPNOTSUPP;
	if ((new_start & (alignment - 1)) ||
	    (iopt_area_start_byte(area, new_start) & (alignment - 1)))
		return -EINVAL;
	if (__atomic_load_n(&area->num_accesses, __ATOMIC_RELAXED))
		return -EINVAL;
	/* A domain filled while large pages were allowed may hold a leaf
	 * that covers the cut. */
	if (area->pinned && !iopt->disable_large_pages)
		return -EINVAL;

	lhs = zalloc(sizeof(*lhs));
	rhs = zalloc(sizeof(*rhs));
	if (!lhs || !rhs) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = iopt_area_set_range(iopt, lhs, area->pages, start_iova,
				 area->start_byte, new_start - start_iova,
				 area->iommu_prot);
	if (rc)
		goto out_free;
	rc = iopt_area_set_range(iopt, rhs, area->pages, new_start,
				 iopt_area_start_byte(area, new_start),
				 last_iova - new_start + 1, area->iommu_prot);
	if (rc)
		goto out_free;
	/* lhs keeps area's start, so it takes area's slot with nothing to
	 * allocate, and going back is as safe */
	rindex_replace(&iopt->areas, &area->node, &lhs->node);
	rc = rindex_insert(&iopt->areas, &rhs->node);
	if (rc)
		goto out_restore;
	rc = iopt_area_split_pins(area, lhs, rhs);
	if (rc)
		goto out_remove_rhs;

	lhs->pages = area->pages;
	rhs->pages = area->pages;
	iopt_pages_get(rhs->pages);
	free(area);
	return 0;

out_remove_rhs:
	rindex_remove(&iopt->areas, &rhs->node);
out_restore:
	rindex_replace(&iopt->areas, &lhs->node, &area->node);
out_free:
	free(rhs);
	free(lhs);
	return rc;
}

int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas,
		  size_t num_iovas)
{
	int rc = 0;

	down_write(&iopt->iova_rwsem);
	for (size_t i = 0; i < num_iovas; i++) {
		struct iopt_area *area;

		area = iopt_area_iter_first(iopt, iovas[i], iovas[i]);
		if (!area)
			continue;
		rc = iopt_area_split(iopt, area, iovas[i]);
		if (rc)
			break;
	}
	up_write(&iopt->iova_rwsem);
	return rc;
}

/* ---- allowed and reserved ranges ---------------------------------------- */

int iopt_set_allow_iova(struct io_pagetable *iopt, struct itree *allowed)
{
	struct itree swap;
	struct itree_node *node;

	down_write(&iopt->iova_rwsem);
	swap = *allowed;
	*allowed = iopt->allowed_itree;
	iopt->allowed_itree = swap;
	for (node = itree_first(&iopt->allowed_itree); node;
	     node = itree_next(node)) {
		if (itree_iter_first(&iopt->reserved_itree, node->start,
				     node->last)) {
			swap = *allowed;
			*allowed = iopt->allowed_itree;
			iopt->allowed_itree = swap;
			up_write(&iopt->iova_rwsem);
			return -EADDRINUSE;
		}
	}
	up_write(&iopt->iova_rwsem);
	return 0;
}

int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start,
		      uint64_t last, const void *owner)
{
	struct iopt_reserved *reserved;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	if (iopt_area_iter_first(iopt, start, last) ||
	    itree_iter_first(&iopt->allowed_itree, start, last))
		return -EADDRINUSE;
	reserved = zalloc(sizeof(*reserved));
	if (!reserved)
		return -ENOMEM;
	reserved->node.start = start;
	reserved->node.last = last;
	reserved->owner = owner;
	itree_insert(&iopt->reserved_itree, &reserved->node);
	return 0;
}

void iopt_remove_reserved_iova_locked(struct io_pagetable *iopt,
				      const void *owner)
{
	struct itree_node *node, *next;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	for (node = itree_first(&iopt->reserved_itree); node; node = next) {
		struct iopt_reserved *reserved =
			container_of(node, struct iopt_reserved, node);

		next = itree_next(node);
		if (reserved->owner != owner)
			continue;
		itree_remove(&iopt->reserved_itree, node);
		free(reserved);
	}
}

static int reserve_dev_regions_locked(struct io_pagetable *iopt,
				      struct device *dev,
				      uint64_t *sw_msi_start)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	const struct iommu_resv_region *regions = NULL;
	unsigned int count, num_hw_msi = 0, num_sw_msi = 0;
	int rc;

	count = ops->get_resv_regions ? ops->get_resv_regions(dev, &regions) :
					0;
	for (unsigned int i = 0; i < count; i++) {
		const struct iommu_resv_region *resv = &regions[i];

		/* the device lets these go once it is owned by the user */
		if (resv->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		if (!resv->length)
			return -EINVAL;
		if (sw_msi_start && resv->type == IOMMU_RESV_MSI)
			num_hw_msi++;
		if (sw_msi_start && resv->type == IOMMU_RESV_SW_MSI) {
			*sw_msi_start = resv->start;
			num_sw_msi++;
		}
		rc = iopt_reserve_iova(iopt, resv->start,
				       resv->start + (resv->length - 1), dev);
		if (rc)
			return rc;
	}
	/* a driver offers one MSI scheme, and one software window at most */
	if ((num_sw_msi && num_hw_msi) || num_sw_msi > 1)
		return -EINVAL;
	return 0;
}

int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt,
					struct device *dev,
					uint64_t *sw_msi_start)
{
	int rc;

	down_write(&iopt->iova_rwsem);
	rc = reserve_dev_regions_locked(iopt, dev, sw_msi_start);
	if (rc)
		iopt_remove_reserved_iova_locked(iopt, dev);
	up_write(&iopt->iova_rwsem);
	return rc;
}

void iopt_remove_reserved_iova(struct io_pagetable *iopt, const void *owner)
{
	down_write(&iopt->iova_rwsem);
	iopt_remove_reserved_iova_locked(iopt, owner);
	up_write(&iopt->iova_rwsem);
}

/* ---- alignment and huge pages ----------------------------------------------- */

/* Every area already conforms to a larger alignment, or -EADDRINUSE. */
int iopt_check_iova_alignment(struct io_pagetable *iopt,
				     uint64_t new_alignment)
{
	uint64_t mask = new_alignment - 1;
	struct rindex_cursor cursor;
	struct iopt_area *area;

	lockdep_assert_held(&iopt->iova_rwsem);
	iopt_for_each_area(area, iopt, &cursor) {
		if ((iopt_area_iova(area) & mask) ||
		    (iopt_area_length(area) & mask) ||
		    ((area->start_byte % cpu_page_size()) & mask))
			return -EADDRINUSE;
	}
	return 0;
}

int iopt_calculate_iova_alignment(struct io_pagetable *iopt)
{
	/* Without large pages, everything is mapped page by page. */
	uint64_t new_alignment = iopt->disable_large_pages ? cpu_page_size() :
							     1;
	int rc;

	lockdep_assert_held_write(&iopt->domains_rwsem);
	lockdep_assert_held_write(&iopt->iova_rwsem);
	for (unsigned int i = 0; i < iopt->ndomains; i++)
		if (iommu_min_page_size(iopt->domains[i]) > new_alignment)
			new_alignment = iommu_min_page_size(iopt->domains[i]);
	for (unsigned int i = 0; i < iopt->accesses_capacity; i++)
		if (iopt->accesses[i] &&
		    iopt->accesses[i]->iova_alignment > new_alignment)
			new_alignment = iopt->accesses[i]->iova_alignment;

	if (new_alignment > iopt->iova_alignment) {
		rc = iopt_check_iova_alignment(iopt, new_alignment);
		if (rc)
			return rc;
	}
	iopt->iova_alignment = new_alignment;
	return 0;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	iopt->disable_large_pages = false;
	iopt_calculate_iova_alignment(iopt);
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc = 0;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (iopt->disable_large_pages)
		goto out_unlock;
	/* Refused once a domain holds mappings: they may be huge already. */
	if (iopt->ndomains && !rindex_empty(&iopt->areas)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	iopt->disable_large_pages = true;
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

/* ---- accesses ------------------------------------------------------------ */

/* The kernel's xa_limit_16b: list IDs 0..65535. */
#define IOPT_MAX_ACCESSES 65536u

/* The lowest free list ID, the list grown to hold it; -EBUSY, -ENOMEM. */
static int access_list_reserve(struct io_pagetable *iopt, uint32_t *id)
{
	struct iommufd_access **accesses;
	unsigned int capacity, i;

	for (i = 0; i < iopt->accesses_capacity; i++) {
		if (!iopt->accesses[i]) {
			*id = i;
			return 0;
		}
	}
	if (i == IOPT_MAX_ACCESSES)
		return -EBUSY;
	capacity = iopt->accesses_capacity ? iopt->accesses_capacity * 2 : 4;
	accesses = lib_calloc(capacity, sizeof(*accesses));
	if (!accesses)
		return -ENOMEM;
	/* notify_unmap() reads the list under the lock alone */
	spin_lock(&iopt->access_list_lock);
	for (i = 0; i < iopt->accesses_capacity; i++)
		accesses[i] = iopt->accesses[i];
	free(iopt->accesses);
	iopt->accesses = accesses;
	iopt->accesses_capacity = capacity;
	spin_unlock(&iopt->access_list_lock);
	*id = i;
	return 0;
}

static void access_list_set(struct io_pagetable *iopt, uint32_t id,
			    struct iommufd_access *access)
{
	spin_lock(&iopt->access_list_lock);
	iopt->accesses[id] = access;
	spin_unlock(&iopt->access_list_lock);
}

int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access)
{
	uint32_t id;
	int rc;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	rc = access_list_reserve(iopt, &id);
	if (rc)
		goto out_unlock;
	access_list_set(iopt, id, access);
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc) {
		access_list_set(iopt, id, NULL);
		goto out_unlock;
	}
	access->iopt_access_list_id = id;
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access, uint32_t list_id)
{
	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (list_id < iopt->accesses_capacity &&
	    iopt->accesses[list_id] == access)
		access_list_set(iopt, list_id, NULL);
	/* Lowering the alignment cannot fail. */
	iopt_calculate_iova_alignment(iopt);
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}
