// SPDX-License-Identifier: MIT
/*
 * The IOTLB and the paging-structure cache of a unit: fixed sets and ways,
 * least-recently-used replacement, invalidation by domain and range.
 * iotlb.h has the rules.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "iommu/iotlb.h"

#define IOTLB_WAYS 4u

/* Every unit's caches: pushed once, never removed, read without a lock. */
static struct iotlb *all_iotlbs;

static pthread_once_t check_once = PTHREAD_ONCE_INIT;
static bool check_on;

static void read_check_env(void)
{
	const char *v = getenv(IOTLB_CHECK_ENV);

	check_on = v && strcmp(v, "1") == 0;
}

bool iotlb_checking(void)
{
	pthread_once(&check_once, read_check_env);
	return check_on;
}

struct iotlb *iotlb_create(const char *name, uint32_t entries)
{
	struct iotlb *t = boot_calloc(1, sizeof(*t));

	if (!t || !entries)
		goto out_free;
	t->ways = entries < IOTLB_WAYS ? entries : IOTLB_WAYS;
	t->sets = entries / t->ways;
	t->tlb = boot_calloc((size_t)t->sets * t->ways, sizeof(*t->tlb));
	t->psc = boot_calloc((size_t)t->sets * t->ways, sizeof(*t->psc));
	if (!t->tlb || !t->psc)
		goto out_free;
	t->name = name;
	pthread_mutex_init(&t->lock, NULL);
	iotlb_checking();
	t->next = __atomic_load_n(&all_iotlbs, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&all_iotlbs, &t->next, t, true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	return t;

out_free:
	if (t) {
		free(t->tlb);
		free(t->psc);
	}
	free(t);
	return NULL;
}

/* ---- sets ---------------------------------------------------------------- */

/* The first way of the set for page number pfn of the PASID. */
static unsigned int set_base(const struct iotlb *t, uint64_t pfn,
			     uint32_t pasid)
{
	uint64_t h = (pfn ^ ((uint64_t)pasid << 17)) * 0x9e3779b97f4a7c15ull;

	return (unsigned int)((h >> 32) % t->sets) * t->ways;
}

static uint64_t tick(struct iotlb *t)
{
	return ++t->clock;
}

/* ---- the IOTLB -------------------------------------------------------------- */

static bool tlb_matches(const struct iotlb_entry *e,
			const struct iotlb_tag *tag, uint64_t iova,
			unsigned int lg2)
{
	return e->domain == tag->domain && e->pasid == tag->pasid &&
	       e->priv == tag->priv && e->size_lg2 == lg2 &&
	       e->iova == (iova & ~((1ull << lg2) - 1));
}

struct iotlb_entry *iotlb_lookup(struct iotlb *t, const struct iotlb_tag *tag,
				 uint64_t iova)
{
	uint64_t sizes = t->tlb_sizes;

	while (sizes) {
		unsigned int lg2 = __builtin_ctzll(sizes);
		unsigned int base = set_base(t, iova >> lg2, tag->pasid);

		sizes &= sizes - 1;
		for (unsigned int w = 0; w < t->ways; w++) {
			struct iotlb_entry *e = &t->tlb[base + w];

			if (tlb_matches(e, tag, iova, lg2)) {
				e->last_use = tick(t);
				return e;
			}
		}
	}
	return NULL;
}

/* A free way of the set, else its least recently used. */
#define PICK_VICTIM(t, array, base)                                            \
	({                                                                     \
		__typeof__(&(array)[0]) victim_ = &(array)[base];              \
		for (unsigned int w_ = 0; w_ < (t)->ways; w_++) {              \
			__typeof__(victim_) e_ = &(array)[(base) + w_];        \
			if (!e_->domain) {                                     \
				victim_ = e_;                                  \
				break;                                         \
			}                                                      \
			if (e_->last_use < victim_->last_use)                  \
				victim_ = e_;                                  \
		}                                                              \
		victim_;                                                       \
	})

void iotlb_insert(struct iotlb *t, const struct iotlb_tag *tag, uint64_t iova,
		  const struct iommu_translation *out, bool dirty)
{
	unsigned int lg2 = __builtin_ctzll(out->leaf_size);
	uint64_t mask = out->leaf_size - 1;
	struct iotlb_entry *e;

	e = PICK_VICTIM(t, t->tlb, set_base(t, iova >> lg2, tag->pasid));
	*e = (struct iotlb_entry){
		.domain = tag->domain,
		.iova = iova & ~mask,
		.oa = out->oa & ~mask,
		.last_use = tick(t),
		.pasid = tag->pasid,
		.size_lg2 = (uint8_t)lg2,
		.prot = (uint8_t)out->prot,
		.priv = tag->priv,
		.dirty = dirty,
	};
	t->tlb_sizes |= 1ull << lg2;
}

void iotlb_drop(struct iotlb_entry *e)
{
	e->domain = NULL;
}

/* ---- the paging-structure cache ------------------------------------------ */

struct psc_entry *psc_lookup(struct iotlb *t, const struct iommu_domain *domain,
			     uint32_t pasid, uint64_t iova)
{
	uint64_t spans = t->psc_spans;

	/* the smallest span first: the deepest entry */
	while (spans) {
		unsigned int lg2 = __builtin_ctzll(spans);
		uint64_t key = iova & ~((1ull << lg2) - 1);
		unsigned int base = set_base(t, iova >> lg2, pasid);

		spans &= spans - 1;
		for (unsigned int w = 0; w < t->ways; w++) {
			struct psc_entry *e = &t->psc[base + w];

			if (e->domain == domain && e->pasid == pasid &&
			    e->start.span_lg2 == lg2 && e->iova == key) {
				e->last_use = tick(t);
				return e;
			}
		}
	}
	return NULL;
}

void psc_insert(struct iotlb *t, const struct iommu_domain *domain,
		uint32_t pasid, uint64_t iova,
		const struct iommu_walk_start *start)
{
	unsigned int lg2 = start->span_lg2;
	struct psc_entry *e;

	if (lg2 >= 64)
		return;
	e = PICK_VICTIM(t, t->psc, set_base(t, iova >> lg2, pasid));
	*e = (struct psc_entry){
		.domain = domain,
		.iova = iova & ~((1ull << lg2) - 1),
		.last_use = tick(t),
		.pasid = pasid,
		.start = *start,
	};
	t->psc_spans |= 1ull << lg2;
}

/* ---- invalidation ------------------------------------------------------------ */

/* Whether [iova, iova + 2^lg2) meets [first, last]. */
static bool overlaps(uint64_t iova, unsigned int lg2, uint64_t first,
		     uint64_t last)
{
	return iova <= last && iova + ((1ull << lg2) - 1) >= first;
}

static void invalidate_one(struct iotlb *t, const struct iommu_domain *domain,
			   uint64_t first, uint64_t last, bool leaf_only)
{
	unsigned int n = t->sets * t->ways;

	iotlb_lock(t);
	for (unsigned int i = 0; i < n; i++) {
		struct iotlb_entry *e = &t->tlb[i];

		if (e->domain == domain &&
		    overlaps(e->iova, e->size_lg2, first, last))
			e->domain = NULL;
	}
	for (unsigned int i = 0; !leaf_only && i < n; i++) {
		struct psc_entry *e = &t->psc[i];

		if (e->domain == domain &&
		    overlaps(e->iova, e->start.span_lg2, first, last))
			e->domain = NULL;
	}
	iotlb_unlock(t);
}

void iotlb_invalidate(const struct iommu_domain *domain, uint64_t first,
		      uint64_t last, bool leaf_only)
{
	struct iotlb *t;

	for (t = __atomic_load_n(&all_iotlbs, __ATOMIC_ACQUIRE); t; t = t->next)
		invalidate_one(t, domain, first, last, leaf_only);
}
