/* SPDX-License-Identifier: MIT */
/*
 * The io_pagetable: what an IOAS maps, where it may map, and where not.
 *
 * Three indexes of ranges, all with inclusive 'last':
 *  - areas: one iopt_area per MAP or COPY (a slice of an iopt_pages);
 *    areas never overlap, so they live in a range index (a B+tree that
 *    finds the lowest fitting hole in O(log n), for automatic IOVAs).
 *  - allowed_itree: IOMMU_IOAS_ALLOW_IOVAS; when not empty, automatic
 *    placement stays inside it.
 *  - reserved_itree: ranges nothing may be mapped over (device reserved
 *    regions, domain apertures, IOMMU_TEST_OP_ADD_RESERVED), each tagged
 *    with its owner so it can be removed with it.
 *
 * Locks (their order is in iommufd_private.h): iova_rwsem guards the three
 * trees, iova_alignment and every area's fields; MAP, COPY and UNMAP do
 * all their work, domain filling included, under it. domains_rwsem is for
 * attach and detach, which take both.
 *
 * Accesses (access.h) attached to the IOAS are in 'accesses', indexed by
 * their list ID; it changes under both rwsems held for writing and
 * access_list_lock, so either is enough to read it. An UNMAP that meets an
 * area an access has pinned asks every access to let go, without
 * iova_rwsem, and looks again.
 */
#ifndef IOMMUSIM_IO_PAGETABLE_H
#define IOMMUSIM_IO_PAGETABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/container_of.h"
#include "base/interval_tree.h"
#include "base/range_index.h"
#include "iommu/iommu.h"
#include "iommufd/pages.h"
#include "base/rwsem.h"
#include "base/spinlock.h"

struct iommufd_access;
struct iommufd_ctx;

/* iommu_prot bits of an area: the domains' own. */
#define IOPT_PROT_READ IOMMU_READ
#define IOPT_PROT_WRITE IOMMU_WRITE

/* flags of iopt_map_*(): choose the IOVA instead of taking the caller's */
#define IOPT_ALLOC_IOVA (1u << 0)

struct io_pagetable {
	struct rwsem domains_rwsem;
	struct rwsem iova_rwsem;
	struct rindex areas;
	struct itree allowed_itree;
	struct itree reserved_itree;
	uint64_t iova_alignment; /* every area's IOVA, length and offset */
	bool disable_large_pages;
	/* Domains every area is mapped into; under both locks to change. */
	struct iommu_domain **domains;
	unsigned int ndomains, domains_capacity;
	/* The attached accesses, NULL where an ID is free (see above). */
	struct spinlock access_list_lock;
	struct iommufd_access **accesses;
	unsigned int accesses_capacity;
};

/* 88 bytes, so that with malloc's header it fits a 96-byte chunk: a live
 * 4 KiB area, its slot in the index and its pages stay within DESIGN's
 * 256 bytes, page tables included. */
struct iopt_area {
	struct rindex_range node; /* the IOVA range, in iopt->areas */
	/* NULL while the area is being built or torn down */
	struct iopt_pages *pages;
	uint64_t start_byte; /* offset of node.start inside pages */
	/* __atomic: access pins through this area. Changed under iova_rwsem
	 * held for reading, so UNMAP, holding it for writing, reads a
	 * settled count. */
	unsigned int num_accesses;
	uint8_t iommu_prot; /* IOPT_PROT_* */
	/* __atomic, the same way: of those, the pins of internal accesses,
	 * which UNMAP may not take away (EBUSY). A byte, to keep the area
	 * small: a 256th such pin is refused. */
	uint8_t num_locks;
	/* An UNMAP is waiting for the accesses to let go: no new pin. */
	bool prevent_access;
	/* While the IOAS has a domain, the area holds its pages pinned. */
	bool pinned;
	struct itree_node pin_node; /* page indexes, in pages->pin_holders */
};

struct iopt_allowed {
	struct itree_node node;
};

struct iopt_reserved {
	struct itree_node node;
	const void *owner;
};

/* A slice of pages to be mapped: what COPY collects from its source. */
struct iopt_pages_slice {
	struct iopt_pages *pages; /* a reference, owned by the slice */
	struct iopt_area *area;	  /* the new area, until it is published */
	uint64_t start_byte;
	uint64_t length;
};

struct iopt_pages_list {
	struct iopt_pages_slice *slices;
	unsigned int count, capacity;
};

void iopt_init_table(struct io_pagetable *iopt);
void iopt_destroy_table(struct io_pagetable *iopt);

/* Maps [uptr, uptr + length) of mm, the caller's address space, whose
 * pages then remember it as their owner. */
int iopt_map_user_pages(struct iommufd_ctx *ictx, const struct usermem *mm,
			struct io_pagetable *iopt, uint64_t *iova,
			uint64_t uptr, uint64_t length, int iommu_prot,
			unsigned int flags);
/* Maps bytes [start, start + length) of the file behind fd, a descriptor
 * of the calling process or of the library's (a dma-buf among them). */
int iopt_map_file_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			uint64_t *iova, int fd, uint64_t start,
			uint64_t length, int iommu_prot, unsigned int flags);
int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages_list *list,
		   uint64_t length, uint64_t *dst_iova, int iommu_prot,
		   unsigned int flags);
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   struct iopt_pages_list *list);
void iopt_free_pages_list(struct iopt_pages_list *list);

int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped);
/*
 * Splits the areas holding each of iovas so that one ends at it (VFIO
 * type1's unmap inside a mapping). Stops at the first refusal: -EBUSY for
 * an area being built or torn down, -EINVAL for a cut off the IOVA
 * alignment, under an access, or where large pages may be mapped.
 */
int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas,
		  size_t num_iovas);

/*
 * The areas that cover [iova, last_iova] one after another, without a gap,
 * as the kernel walks them: iopt_for_each_contig_area() visits them, with
 * iter->cur_iova the first byte of each inside the range; after the loop
 * iopt_area_contig_done() says whether they reached last_iova. iova_rwsem
 * held.
 */
struct iopt_area_contig_iter {
	struct io_pagetable *iopt;
	uint64_t cur_iova;
	uint64_t last_iova;
	struct iopt_area *area;
};

struct iopt_area *iopt_area_contig_init(struct iopt_area_contig_iter *iter,
					struct io_pagetable *iopt,
					uint64_t iova, uint64_t last_iova);
struct iopt_area *iopt_area_contig_next(struct iopt_area_contig_iter *iter);

#define iopt_for_each_contig_area(iter, area, iopt, iova, last_iova)          \
	for ((area) = iopt_area_contig_init(iter, iopt, iova, last_iova);      \
	     (area); (area) = iopt_area_contig_next(iter))

/* The IOVA of the nth area (0: the lowest) in IOVA order; false when
 * there are fewer areas. Takes iova_rwsem. */
bool iopt_nth_area_iova(struct io_pagetable *iopt, uint32_t nth,
			uint64_t *iova);

/*
 * Accesses (the kernel's iopt_add_access()): an attached access takes a
 * list ID and raises the IOAS's alignment to its own; -EADDRINUSE when an
 * area contradicts that, -EBUSY when 65536 are attached, -ENOMEM.
 */
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access);
void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access, uint32_t list_id);

/* Swaps in a new allowed tree; on success 'allowed' holds the old one. */
int iopt_set_allow_iova(struct io_pagetable *iopt, struct itree *allowed);
void iopt_free_allowed(struct itree *allowed);
/* iova_rwsem held for writing, as for the _locked removal. */
int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start,
		      uint64_t last, const void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, const void *owner);
void iopt_remove_reserved_iova_locked(struct io_pagetable *iopt,
				      const void *owner);
/*
 * Reserves dev's reserved regions (all but the relaxable direct ones) in
 * iopt, owned by dev. -EADDRINUSE when one meets an area or an allowed
 * range; -EINVAL for a driver that offers both kinds of MSI window or two
 * software ones. On failure none of dev's reservations stay. When
 * sw_msi_start is not NULL it receives the software MSI window's start
 * (left as it was when there is none).
 */
int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt,
					struct device *dev,
					uint64_t *sw_msi_start);

/*
 * Domains (iopt_domains.c). Adding one narrows the IOAS to the domain's
 * aperture and page size, pins every area's pages (for the first domain)
 * and maps every area into it; -EADDRINUSE when existing areas or allowed
 * ranges contradict it, -EINVAL for a page size above the CPU's, -EFAULT or
 * -ENOMEM from pinning; on failure nothing changed.
 */
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain);
void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain);
/* Takes area out of domain's page table and IOTLB (and nothing else). */
void iopt_area_unmap_domain(struct iopt_area *area,
			    struct iommu_domain *domain);
/* Pins and maps one area into every domain / undoes it. iova_rwsem held
 * for writing. */
int iopt_area_fill_domains(struct io_pagetable *iopt, struct iopt_area *area);
/* Every domain maps again the areas of pages that were set aside
 * (pages.h); -ENOMEM when a domain could not. */
int iopt_remap_set_aside(struct io_pagetable *iopt,
			 const struct iopt_pages_set *moved);
void iopt_area_unfill_domains(struct io_pagetable *iopt,
			      struct iopt_area *area);
/* Hands area's pin, if it holds one, to lhs and rhs, its two halves (in
 * the tree already): 0, or -EFAULT/-ENOMEM from pinning with area's pin
 * untouched. */
int iopt_area_split_pins(struct iopt_area *area, struct iopt_area *lhs,
			 struct iopt_area *rhs);
/* Dirty tracking of one domain (IOMMU_HWPT_SET_DIRTY_TRACKING and
 * IOMMU_HWPT_GET_DIRTY_BITMAP): -EOPNOTSUPP without dirty ops. */
struct usermem;
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable);
int iopt_read_and_clear_dirty_data(struct io_pagetable *iopt,
				   struct iommu_domain *domain,
				   const struct usermem *mm, uint64_t iova,
				   uint64_t length, uint64_t page_size,
				   uint64_t data, unsigned long flags);

/* Both locks held for writing: the alignment domains and the HUGE_PAGES
 * option require; -EADDRINUSE when an area contradicts a raise. */
int iopt_calculate_iova_alignment(struct io_pagetable *iopt);
int iopt_check_iova_alignment(struct io_pagetable *iopt,
			      uint64_t new_alignment);

int iopt_disable_large_pages(struct io_pagetable *iopt);
void iopt_enable_large_pages(struct io_pagetable *iopt);

/* The last byte of [start, start + length): -EINVAL for an empty range,
 * -EOVERFLOW for one that wraps (the kernel's checks, in its order). */
static inline int iopt_range_last(uint64_t start, uint64_t length,
				  uint64_t *last)
{
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, last))
		return -EOVERFLOW;
	return 0;
}

static inline bool
iopt_area_contig_done(const struct iopt_area_contig_iter *iter)
{
	return iter->area && iter->last_iova <= iter->area->node.last;
}

/* The last IOVA of the walk inside the current area. */
static inline uint64_t
iopt_area_contig_last(const struct iopt_area_contig_iter *iter)
{
	return iter->last_iova < iter->area->node.last ? iter->last_iova :
							 iter->area->node.last;
}

static inline struct iopt_area *iopt_area_of(struct rindex_range *node)
{
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

/* The first area overlapping [start, last], or NULL. Under iova_rwsem. */
static inline struct iopt_area *iopt_area_find(struct io_pagetable *iopt,
					       uint64_t start, uint64_t last)
{
	return iopt_area_of(rindex_first_overlap(&iopt->areas, start, last));
}

/* Every area, in IOVA order, under iova_rwsem; the walk must not add or
 * remove areas. */
#define iopt_for_each_area(area, iopt, cursor)                                 \
	for ((area) = iopt_area_of(rindex_first(&(iopt)->areas, cursor));     \
	     (area);                                                           \
	     (area) = iopt_area_of(rindex_cursor_next(cursor)))

static inline uint64_t iopt_area_iova(const struct iopt_area *area)
{
	return area->node.start;
}

static inline uint64_t iopt_area_last_iova(const struct iopt_area *area)
{
	return area->node.last;
}

static inline uint64_t iopt_area_length(const struct iopt_area *area)
{
	return area->node.last - area->node.start + 1;
}

/* Offset inside the area's pages of the byte at 'iova'. */
static inline uint64_t iopt_area_start_byte(const struct iopt_area *area,
					    uint64_t iova)
{
	return area->start_byte + (iova - iopt_area_iova(area));
}

/* Index inside the area's pages of the page holding the byte at 'iova'. */
static inline uint64_t iopt_area_iova_to_index(const struct iopt_area *area,
					       uint64_t iova)
{
	return iopt_area_start_byte(area, iova) / cpu_page_size();
}

#endif /* IOMMUSIM_IO_PAGETABLE_H */
