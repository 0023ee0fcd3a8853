/* SPDX-License-Identifier: MIT */
/*
 * An IOMMU unit's translation caches, as the DMA engine uses them: the
 * IOTLB (finished translations: input page -> output page and what it
 * allows) and the paging-structure cache (stage-1 table entries a walk went
 * through, so a later walk starts below the root). Hardware's rules, made
 * deterministic:
 *
 *  - An entry stays until it is invalidated or evicted; nothing else
 *    drops it. A table the user changes without invalidating is therefore
 *    seen stale, every time.
 *  - Capacity: N entries (the unit's iotlb=N) in each of the two caches,
 *    4-way set associative (N rounded down to a multiple of 4; N < 4 is
 *    one set of N ways). The set of an IOTLB entry is its input page
 *    number (at its page size) mixed with the PASID, modulo the sets; of
 *    a paging-structure entry, the same at the span it covers.
 *    Replacement: a free way, else the least recently used of the set.
 *  - Tags: the domain, the PASID and, in the IOTLB, the request's
 *    privilege (user and supervisor requests keep entries of their own).
 *  - Invalidation by domain and input range [first, last]: every entry of
 *    the domain that overlaps the range, in every unit; leaf_only keeps
 *    the paging-structure entries (VT-d's invalidation hint).
 *
 * Locking: one mutex per unit's caches, held by the DMA engine from the
 * lookup of a page until its bytes have moved, and by every invalidation.
 * So once an invalidation returns, no transfer uses what it removed. The
 * mutex is innermost: nothing else is taken under it.
 */
#ifndef IOMMUSIM_IOTLB_H
#define IOMMUSIM_IOTLB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iommu/iommu.h"

/* What a translation is cached under. */
struct iotlb_tag {
	const struct iommu_domain *domain;
	uint32_t pasid;
	bool priv;
};

struct iotlb_entry {
	const struct iommu_domain *domain; /* NULL: a free way */
	uint64_t iova;			   /* aligned to the page size */
	uint64_t oa;			   /* likewise */
	uint64_t last_use;
	uint32_t pasid;
	uint8_t size_lg2;
	uint8_t prot;	 /* IOMMU_READ | IOMMU_WRITE for the request's kind */
	bool priv;
	bool dirty;	 /* filled by a write: D is set where it is kept */
	bool reported;	 /* the stale-IOTLB detector spoke of it */
};

struct psc_entry {
	const struct iommu_domain *domain; /* NULL: a free way */
	uint64_t iova; /* aligned to start.span_lg2 */
	uint64_t last_use;
	uint32_t pasid;
	bool reported;
	struct iommu_walk_start start;
};

struct iotlb {
	pthread_mutex_t lock; /* guards everything below */
	const char *name;     /* the device's, for the detector */
	unsigned int sets, ways;
	uint64_t clock;
	uint64_t tlb_sizes; /* bit n: an IOTLB entry of 2^n bytes was made */
	uint64_t psc_spans; /* bit n: a paging-structure entry spans 2^n */
	struct iotlb_entry *tlb;
	struct psc_entry *psc;
	struct iotlb *next; /* every unit's, for invalidations */
};

/* The caches of a unit with `entries` entries each, registered for
 * invalidations, living as long as the process. NULL on -ENOMEM. */
struct iotlb *iotlb_create(const char *name, uint32_t entries);

static inline void iotlb_lock(struct iotlb *t)
{
	pthread_mutex_lock(&t->lock);
}

static inline void iotlb_unlock(struct iotlb *t)
{
	pthread_mutex_unlock(&t->lock);
}

/* The rest need t->lock. */

/* The IOTLB entry for iova under tag, or NULL. Counts as a use. */
struct iotlb_entry *iotlb_lookup(struct iotlb *t, const struct iotlb_tag *tag,
				 uint64_t iova);
/* Caches the translation of iova found by a walk: out->oa is iova's
 * output, out->leaf_size the page (a power of two). */
void iotlb_insert(struct iotlb *t, const struct iotlb_tag *tag, uint64_t iova,
		  const struct iommu_translation *out, bool dirty);
void iotlb_drop(struct iotlb_entry *e);

/* The deepest paging-structure entry covering iova, or NULL. */
struct psc_entry *psc_lookup(struct iotlb *t, const struct iommu_domain *domain,
			     uint32_t pasid, uint64_t iova);
void psc_insert(struct iotlb *t, const struct iommu_domain *domain,
		uint32_t pasid, uint64_t iova,
		const struct iommu_walk_start *start);

/* Takes each unit's lock in turn. */
void iotlb_invalidate(const struct iommu_domain *domain, uint64_t first,
		      uint64_t last, bool leaf_only);

/* `iommusim run --check-iotlb` sets it to 1. */
#define IOTLB_CHECK_ENV "IOMMUSIM_CHECK_IOTLB"

/* Whether every IOTLB hit is checked against a fresh walk
 * (IOMMUSIM_CHECK_IOTLB=1, read once). */
bool iotlb_checking(void);

#endif /* IOMMUSIM_IOTLB_H */
