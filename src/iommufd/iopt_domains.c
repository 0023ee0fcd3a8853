// SPDX-License-Identifier: MIT
/*
 * How an io_pagetable's areas reach its domains: attaching a domain to an
 * IOAS narrows the IOAS to what the domain can translate and fills the
 * domain with every area; each later MAP fills every domain, each UNMAP
 * empties them. The rules, their order and their errno are the kernel's
 * iopt_table_add_domain() and iopt_table_remove_domain().
 *
 * Pinning: an area's pages are pinned while the IOAS has at least one domain
 * (the kernel pins once, for its "storage domain"), and mapped into each.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "iommufd/dmabuf_pages.h"
#include "iommufd/io_pagetable.h"
#include "base/usermem.h"

/* Page indexes of the area's bytes inside its pages. */
static void area_pin_range(struct iopt_area *area)
{
	uint64_t page = cpu_page_size();

	area->pin_node.start = area->start_byte / page;
	area->pin_node.last =
		(area->start_byte + iopt_area_length(area) - 1) / page;
}

static int area_pin(struct iopt_area *area, struct iopt_pages *pages)
{
	int rc;

	area_pin_range(area);
	rc = iopt_pages_pin(pages, &area->pin_node);
	if (!rc)
		area->pinned = true;
	return rc;
}

static void area_unpin(struct iopt_area *area, struct iopt_pages *pages)
{
	if (!area->pinned)
		return;
	iopt_pages_unpin(pages, &area->pin_node);
	area->pinned = false;
}

/*
 * Leaves never span more memory than is physically contiguous: a hugetlb
 * page, else a CPU page (transparent huge pages count as scattered, one
 * of the layouts the kernel may meet). With IOMMU_OPTION_HUGE_PAGES off
 * every CPU page is mapped on its own, as the kernel's
 * batch_iommu_map_small() does.
 */
static int domain_map_area(struct io_pagetable *iopt, struct iopt_area *area,
			   struct iopt_pages *pages,
			   struct iommu_domain *domain)
{
	uint64_t max_leaf = cpu_page_size();
	uint64_t done = 0, length = iopt_area_length(area);
	int rc = 0;

	if (!iopt->disable_large_pages && length > max_leaf)
		max_leaf = iopt_pages_contig(pages);
	/* one run, unless some of the pages were set aside */
	while (done < length && !rc) {
		uint64_t run, hva = iopt_pages_hva(pages,
						   area->start_byte + done,
						   &run);

		if (run > length - done)
			run = length - done;
		rc = domain->ops->map_pages(domain, iopt_area_iova(area) + done,
					    hva, run, area->iommu_prot,
					    max_leaf);
		if (!rc)
			done += run;
	}
	/* as map_pages: on failure nothing stays mapped */
	if (rc && done)
		domain->ops->unmap_pages(domain, iopt_area_iova(area), done);
	return rc;
}

/* The flush follows the unmap: no device may go on using the old
 * translation once the area is gone (its pages may be unpinned next). */
void iopt_area_unmap_domain(struct iopt_area *area,
			    struct iommu_domain *domain)
{
	domain->ops->unmap_pages(domain, iopt_area_iova(area),
				 iopt_area_length(area));
	iommu_iotlb_flush(domain, iopt_area_iova(area),
			  iopt_area_last_iova(area));
}

/* A dma-buf's areas are tracked in every domain they are mapped into, so
 * that a revocation finds them; revoked ones map nothing. */
static int area_map(struct io_pagetable *iopt, struct iopt_area *area,
		    struct iopt_pages *pages, struct iommu_domain *domain)
{
	bool revoked;
	int rc;

	if (pages->type != IOPT_PAGES_DMABUF)
		return domain_map_area(iopt, area, pages, domain);
	revoked = iopt_dmabuf_lock(pages);
	rc = iopt_dmabuf_track(pages, area, domain);
	if (!rc && !revoked) {
		rc = domain_map_area(iopt, area, pages, domain);
		if (rc)
			iopt_dmabuf_untrack(pages, area, domain);
	}
	iopt_dmabuf_unlock(pages);
	return rc;
}

static void area_unmap(struct iopt_area *area, struct iommu_domain *domain)
{
	struct iopt_pages *pages = area->pages;

	if (pages->type != IOPT_PAGES_DMABUF) {
		iopt_area_unmap_domain(area, domain);
		return;
	}
	if (!iopt_dmabuf_lock(pages))
		iopt_area_unmap_domain(area, domain);
	iopt_dmabuf_untrack(pages, area, domain);
	iopt_dmabuf_unlock(pages);
}

int iopt_area_fill_domains(struct io_pagetable *iopt, struct iopt_area *area)
{
	struct iopt_pages *pages = area->pages;
	unsigned int i;
	int rc;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	if (!iopt->ndomains)
		return 0;
	rc = area_pin(area, pages);
	if (rc)
		return rc;
	for (i = 0; i < iopt->ndomains; i++) {
		rc = area_map(iopt, area, pages, iopt->domains[i]);
		if (rc)
			goto out_unmap;
	}
	return 0;

out_unmap:
	while (i--)
		area_unmap(area, iopt->domains[i]);
	area_unpin(area, pages);
	return rc;
}

void iopt_area_unfill_domains(struct io_pagetable *iopt,
			      struct iopt_area *area)
{
	lockdep_assert_held_write(&iopt->iova_rwsem);
	for (unsigned int i = 0; i < iopt->ndomains; i++)
		area_unmap(area, iopt->domains[i]);
	area_unpin(area, area->pages);
}

int iopt_area_split_pins(struct iopt_area *area, struct iopt_area *lhs,
			 struct iopt_area *rhs)
{
	struct iopt_pages *pages = area->pages;
	int rc;

	if (!area->pinned)
		return 0;
	/* Every page of the halves is pinned by area already: these pins
	 * charge nothing, and area's can go once both are taken. */
	rc = area_pin(lhs, pages);
	if (rc)
		return rc;
	rc = area_pin(rhs, pages);
	if (rc) {
		area_unpin(lhs, pages);
		return rc;
	}
	area_unpin(area, pages);
	return 0;
}

/* Maps every published area into a new domain, pinning them first when it
 * is the only one. On failure the domain is left as it was found. */
static int iopt_fill_domain(struct io_pagetable *iopt,
			    struct iommu_domain *domain)
{
	bool first = iopt->ndomains == 0;
	struct iopt_area *area, *end;
	struct rindex_cursor cursor;
	int rc;

	lockdep_assert_held_write(&iopt->domains_rwsem);
	lockdep_assert_held_write(&iopt->iova_rwsem);
	iopt_for_each_area(area, iopt, &cursor) {
		if (!area->pages)
			continue;
		if (first) {
			rc = area_pin(area, area->pages);
			if (rc)
				goto out_unfill;
		}
		rc = area_map(iopt, area, area->pages, domain);
		if (rc) {
			if (first)
				area_unpin(area, area->pages);
			goto out_unfill;
		}
	}
	return 0;

out_unfill:
	end = area;
	iopt_for_each_area(area, iopt, &cursor) {
		if (area == end)
			break;
		if (!area->pages)
			continue;
		area_unmap(area, domain);
		if (first)
			area_unpin(area, area->pages);
	}
	return rc;
}

static int domains_grow(struct io_pagetable *iopt)
{
	unsigned int capacity;
	struct iommu_domain **domains;

	if (iopt->ndomains < iopt->domains_capacity)
		return 0;
	capacity = iopt->domains_capacity ? iopt->domains_capacity * 2 : 4;
	domains = lib_realloc(iopt->domains, capacity * sizeof(*domains));
	if (!domains)
		return -ENOMEM;
	iopt->domains = domains;
	iopt->domains_capacity = capacity;
	return 0;
}

/* Reserves what lies outside the domain's aperture, owned by the domain. */
static int reserve_outside_aperture(struct io_pagetable *iopt,
				    struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *g = &domain->geometry;
	int rc;

	if (g->aperture_start != 0) {
		rc = iopt_reserve_iova(iopt, 0, g->aperture_start - 1, domain);
		if (rc)
			return rc;
	}
	if (g->aperture_end != UINT64_MAX)
		return iopt_reserve_iova(iopt, g->aperture_end + 1, UINT64_MAX,
					 domain);
	return 0;
}

int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain)
{
	uint64_t new_alignment = iommu_min_page_size(domain);
	int rc;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	for (unsigned int i = 0; i < iopt->ndomains; i++) {
		if (iopt->domains[i] == domain) {
			rc = -EEXIST;
			goto out_unlock;
		}
	}
	/* A domain must take CPU pages: nothing promises more contiguity. */
	if (new_alignment < iopt->iova_alignment)
		new_alignment = iopt->iova_alignment;
	if (new_alignment > cpu_page_size()) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (new_alignment != iopt->iova_alignment) {
		rc = iopt_check_iova_alignment(iopt, new_alignment);
		if (rc)
			goto out_unlock;
	}
	rc = reserve_outside_aperture(iopt, domain);
	if (rc)
		goto out_reserved;
	rc = domains_grow(iopt);
	if (rc)
		goto out_reserved;
	rc = iopt_fill_domain(iopt, domain);
	if (rc)
		goto out_reserved;
	iopt->iova_alignment = new_alignment;
	iopt->domains[iopt->ndomains++] = domain;
	goto out_unlock;

out_reserved:
	iopt_remove_reserved_iova_locked(iopt, domain);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain)
{
	struct rindex_cursor cursor;
	struct iopt_area *area;
	unsigned int i;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	for (i = 0; i < iopt->ndomains; i++)
		if (iopt->domains[i] == domain)
			break;
	if (i == iopt->ndomains)
		goto out_unlock;
	iopt->domains[i] = iopt->domains[--iopt->ndomains];

	iopt_for_each_area(area, iopt, &cursor) {
		if (!area->pages)
			continue;
		area_unmap(area, domain);
		if (!iopt->ndomains)
			area_unpin(area, area->pages);
	}
	iopt_remove_reserved_iova_locked(iopt, domain);
	/* Lowering the alignment cannot fail. */
	iopt_calculate_iova_alignment(iopt);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/* ---- dirty tracking ----------------------------------------------------------- */

/*
 * Turns the domain's dirty tracking on or off; turning it on first clears
 * whatever dirty state the mapped areas have, so tracking starts clean.
 */
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable)
{
	const struct iommu_domain_ops *ops = domain->ops;
	struct rindex_cursor cursor;
	struct iopt_area *area;
	int rc = 0;

	if (!ops->set_dirty_tracking)
		return -EOPNOTSUPP;
	down_read(&iopt->iova_rwsem);
	iopt_for_each_area(area, iopt, &cursor) {
		if (!enable || rc)
			break;
		if (area->pages)
			rc = ops->read_and_clear_dirty(domain,
						       iopt_area_iova(area),
						       iopt_area_length(area),
						       0, NULL);
	}
	if (!rc)
		rc = ops->set_dirty_tracking(domain, enable);
	up_read(&iopt->iova_rwsem);
	return rc;
}

/*
 * The range checks of IOMMU_HWPT_GET_DIRTY_BITMAP (the kernel's
 * iommufd_check_iova_range): wrap, then the IOAS's alignment, then the
 * bitmap's page size. Attaching a domain or setting HUGE_PAGES rewrites
 * the alignment: it is read under iova_rwsem.
 */
static int check_dirty_range(struct io_pagetable *iopt, uint64_t iova,
			     uint64_t length, uint64_t page_size)
{
	uint64_t last, align;

	lockdep_assert_held(&iopt->iova_rwsem);
	align = iopt->iova_alignment;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if ((iova & (align - 1)) || ((last + 1) & (align - 1)))
		return -EINVAL;
	if (!page_size)
		return -EINVAL;
	if ((iova % page_size) || ((last + 1) % page_size))
		return -EINVAL;
	return 0;
}

/* Sets bits in the caller's bitmap for what the domain reports dirty. */
struct user_dirty_bitmap {
	struct iommu_dirty_bitmap dirty;
	const struct usermem *mm;
	uint64_t data;	    /* user address of the bitmap */
	uint64_t base;	    /* IOVA of bit 0 */
	uint64_t last;	    /* last IOVA the bitmap covers */
	uint64_t page_size; /* bytes per bit */
	int error;
};

static void record_dirty(struct iommu_dirty_bitmap *dirty, uint64_t iova,
			 uint64_t length)
{
	struct user_dirty_bitmap *b =
		container_of(dirty, struct user_dirty_bitmap, dirty);
	uint64_t first, last_bit;

	if (b->error || iova > b->last || iova + length - 1 < b->base)
		return;
	if (iova < b->base) {
		length -= b->base - iova;
		iova = b->base;
	}
	first = (iova - b->base) / b->page_size;
	last_bit = ((iova + length - 1 < b->last ? iova + length - 1 :
						   b->last) - b->base) /
		   b->page_size;
	for (uint64_t bit = first; bit <= last_bit && !b->error; bit++) {
		uint64_t word, at = b->data + (bit / 64) * sizeof(word);

		/* bits already set by the caller stay set, as the kernel's */
		b->error = usermem_copy_from(b->mm, &word, at, sizeof(word));
		if (b->error)
			break;
		word |= 1ull << (bit % 64);
		b->error = usermem_copy_to(b->mm, at, &word, sizeof(word));
	}
}

int iopt_read_and_clear_dirty_data(struct io_pagetable *iopt,
				   struct iommu_domain *domain,
				   const struct usermem *mm, uint64_t iova,
				   uint64_t length, uint64_t page_size,
				   uint64_t data, unsigned long flags)
{
	const struct iommu_domain_ops *ops = domain->ops;
	struct user_dirty_bitmap bitmap = {
		.dirty = { .record = record_dirty },
		.mm = mm,
		.data = data,
		.base = iova,
		.last = iova + length - 1,
		.page_size = page_size,
	};
	uint64_t cur = iova;
	int rc;

	down_read(&iopt->iova_rwsem);
	rc = check_dirty_range(iopt, iova, length, page_size);
	if (!rc && !ops->read_and_clear_dirty)
		rc = -EOPNOTSUPP;
	/* the range must be mapped throughout, area after area */
	while (!rc) {
		struct iopt_area *area = iopt_area_find(iopt, cur, cur);
		uint64_t end;

		if (!area || !area->pages) {
			rc = -EINVAL;
			break;
		}
		end = iopt_area_last_iova(area) < bitmap.last ?
			      iopt_area_last_iova(area) :
			      bitmap.last;
		rc = ops->read_and_clear_dirty(domain, cur, end - cur + 1,
					       flags, &bitmap.dirty);
		if (!rc)
			rc = bitmap.error;
		if (end == bitmap.last)
			break;
		cur = end + 1;
	}
	up_read(&iopt->iova_rwsem);
	return rc;
}

/*
 * The dirty state a domain keeps for an area, read before the area is
 * mapped again and set back after: runs of dirty IOVA, merged as they
 * come (in IOVA order). Without memory to list them, the whole area is
 * set dirty: reporting a clean page dirty costs a migration one more
 * copy, losing a dirty one costs it the page.
 */
struct kept_dirty {
	struct iommu_dirty_bitmap dirty;
	struct dirty_run {
		uint64_t iova, length;
	} *v;
	size_t n, cap;
	bool lost;
};

static void keep_dirty_run(struct iommu_dirty_bitmap *dirty, uint64_t iova,
			   uint64_t length)
{
	struct kept_dirty *k = container_of(dirty, struct kept_dirty, dirty);

	if (k->lost)
		return;
	if (k->n && k->v[k->n - 1].iova + k->v[k->n - 1].length == iova) {
		k->v[k->n - 1].length += length;
		return;
	}
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 8;
		struct dirty_run *v = lib_realloc(k->v, cap * sizeof(*v));

		if (!v) {
			k->lost = true;
			return;
		}
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = (struct dirty_run){ iova, length };
}

static void dirty_read(struct iopt_area *area, struct iommu_domain *domain,
		       struct kept_dirty *k)
{
	*k = (struct kept_dirty){ .dirty = { .record = keep_dirty_run } };
	if (!domain->ops->read_and_clear_dirty || !domain->ops->mark_dirty)
		return;
	if (domain->ops->read_and_clear_dirty(domain, iopt_area_iova(area),
					      iopt_area_length(area),
					      IOMMU_DIRTY_NO_CLEAR, &k->dirty))
		k->lost = true;
}

static void dirty_restore(struct iopt_area *area,
			  struct iommu_domain *domain, struct kept_dirty *k)
{
	if (k->lost)
		domain->ops->mark_dirty(domain, iopt_area_iova(area),
					iopt_area_length(area));
	for (size_t i = 0; i < k->n && !k->lost; i++)
		domain->ops->mark_dirty(domain, k->v[i].iova, k->v[i].length);
	free(k->v);
}

/*
 * Some pages of the areas' pages objects were set aside (pages.h): every
 * domain maps them again at their new address, keeping the dirty state
 * it had for them. Run with every other thread out of the library, so no
 * device sees the area half mapped. A domain that cannot map an area
 * again (no memory for its tables) is left without it, and the failure is
 * returned.
 */
int iopt_remap_set_aside(struct io_pagetable *iopt,
			 const struct iopt_pages_set *moved)
{
	struct rindex_cursor cursor;
	struct iopt_area *area;
	int rc = 0;

	down_write(&iopt->iova_rwsem);
	iopt_for_each_area(area, iopt, &cursor) {
		bool hit = false;

		for (size_t i = 0; i < moved->n && !hit; i++)
			hit = area->pages == moved->v[i];
		if (!hit || !area->pinned)
			continue;
		for (unsigned int i = 0; i < iopt->ndomains; i++) {
			struct iommu_domain *domain = iopt->domains[i];
			struct kept_dirty kept;

			dirty_read(area, domain, &kept);
			area_unmap(area, domain);
			if (area_map(iopt, area, area->pages, domain)) {
				rc = -ENOMEM;
				free(kept.v);
				continue;
			}
			dirty_restore(area, domain, &kept);
		}
	}
	up_write(&iopt->iova_rwsem);
	return rc;
}
