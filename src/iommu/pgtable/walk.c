// SPDX-License-Identifier: MIT
/*
 * The one walker every page-table format shares: allocation of tables, map
 * with the kernel's page-size choice, unmap, lookups, the hardware-side walk
 * of the DMA engine with accessed/dirty updates (in its own trees and, through
 * a reader, in tables it does not own), and dirty-bit harvesting.
 * pgtable.h holds the vocabulary and the concurrency rules; a format brings
 * only its entry encoding (struct pt_format).
 *
 * Shape of every walk: a function per table visit, given the table, its
 * level and the part [va, end) of the request inside that table's span; it
 * steps entry by entry and recurses into child tables. Depth is the number
 * of levels, so recursion is bounded and small.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "iommu/pgtable/pgtable.h"

#define PT_MIN_TABLE_ALIGN 4096u

/* ---- entries ------------------------------------------------------------- */

/* Writers (map/unmap) and readers alike load entries sequentially consistent:
 * the retire protocol below needs a reader's loads ordered after its
 * registration, and on x86 and arm64 such a load costs what an acquire does. */
static inline uint64_t entry_load(const uint64_t *slot)
{
	return __atomic_load_n(slot, __ATOMIC_SEQ_CST);
}

/* The table a table entry of the walker's own tree points at. */
static inline uint64_t *table_of(const struct pt_format *fmt, uint64_t entry)
{
	return (uint64_t *)(uintptr_t)fmt->table_addr(entry);
}

/* Level 0 entries are leaves whatever a format says: nothing is below. */
static inline bool entry_is_leaf(const struct pt_format *fmt, uint64_t entry,
				 unsigned int level)
{
	return level == 0 || fmt->is_leaf(entry, level);
}

static inline uint64_t level_span(const struct pgtable *pt, unsigned int level)
{
	return 1ull << pt_level_lg2(pt->fmt, level);
}

static inline uint64_t *level_slot(const struct pgtable *pt, uint64_t *table,
				   unsigned int level, uint64_t va)
{
	uint64_t mask = (1ull << pt->fmt->index_lg2) - 1;

	return table + ((va >> pt_level_lg2(pt->fmt, level)) & mask);
}

/* The end of the entry holding va, clipped to end. */
static inline uint64_t entry_end(uint64_t va, uint64_t span, uint64_t end)
{
	uint64_t next = (va & ~(span - 1)) + span;

	return next < end ? next : end;
}

static inline size_t table_entries(const struct pgtable *pt)
{
	return (size_t)1 << pt->fmt->index_lg2;
}

/* ---- tables ----------------------------------------------------------------- */

static uint64_t *table_alloc(struct pgtable *pt)
{
	size_t align = pt->table_bytes > PT_MIN_TABLE_ALIGN ?
			       pt->table_bytes : PT_MIN_TABLE_ALIGN;
	uint64_t *table = lib_alloc_pages(align, pt->table_bytes);

	if (!table)
		return NULL;
	__atomic_fetch_add(&pt->nr_tables, 1, __ATOMIC_RELAXED);
	return table;
}

static void table_free(struct pgtable *pt, uint64_t *table)
{
	__atomic_fetch_sub(&pt->nr_tables, 1, __ATOMIC_RELAXED);
	free(table);
}

/* ---- readers and retired tables -------------------------------------------
 *
 * A walker registers in pt->readers before its first load and leaves after
 * its last. A writer that takes a table out of the tree clears the entry
 * pointing at it (sequentially consistent), then puts the table on
 * pt->retired. Reclaiming first empties the list, then reads pt->readers:
 * every table on the list was unlinked before that read, so a walker that
 * registers later cannot reach it, and a walker registered earlier is still
 * counted. Zero readers therefore means nobody can hold a listed table.
 * Tables are linked through entry 0, which a format must read as empty.
 */

static inline void reader_enter(struct pgtable *pt)
{
	__atomic_fetch_add(&pt->readers, 1, __ATOMIC_SEQ_CST);
}

static inline void reader_exit(struct pgtable *pt)
{
	__atomic_fetch_sub(&pt->readers, 1, __ATOMIC_RELEASE);
}

static inline uint64_t *retired_next(uint64_t *table)
{
	return (uint64_t *)(uintptr_t)__atomic_load_n(&table[0],
						      __ATOMIC_RELAXED);
}

/* Pushes the chain first..last (linked through entry 0) onto pt->retired. */
static void retire_chain(struct pgtable *pt, uint64_t *first, uint64_t *last)
{
	uint64_t *head = __atomic_load_n(&pt->retired, __ATOMIC_RELAXED);

	do {
		__atomic_store_n(&last[0], (uint64_t)(uintptr_t)head,
				 __ATOMIC_RELAXED);
	} while (!__atomic_compare_exchange_n(&pt->retired, &head, first, true,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
}

/*
 * Retires a table already unlinked from the tree and every table below it;
 * returns the bytes its leaves mapped. Entries are read, never cleared: a
 * walker still inside sees the old translation, as a hardware walk that
 * began before the unmap would.
 */
static uint64_t retire_subtree(struct pgtable *pt, uint64_t *table,
			       unsigned int level)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t span = level_span(pt, level);
	uint64_t bytes = 0;
	size_t i;

	/* before anything can free it: no remembered leaf table outlives
	 * this (see "remembered leaf tables") */
	__atomic_fetch_add(&pt->unlinks, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < table_entries(pt); i++) {
		uint64_t entry = entry_load(&table[i]);

		if (!fmt->present(entry))
			continue;
		if (entry_is_leaf(fmt, entry, level))
			bytes += span;
		else
			bytes += retire_subtree(pt, table_of(fmt, entry),
						level - 1);
	}
	retire_chain(pt, table, table);
	return bytes;
}

static void reclaim_retired(struct pgtable *pt)
{
	uint64_t *list, *next, *last;

	if (!__atomic_load_n(&pt->retired, __ATOMIC_RELAXED))
		return;
	list = __atomic_exchange_n(&pt->retired, NULL, __ATOMIC_SEQ_CST);
	if (!list)
		return;
	if (__atomic_load_n(&pt->readers, __ATOMIC_SEQ_CST)) {
		/* A walker may hold one of them: try again next time. */
		for (last = list; (next = retired_next(last)); last = next)
			;
		retire_chain(pt, list, last);
		return;
	}
	for (; list; list = next) {
		next = retired_next(list);
		table_free(pt, list);
	}
}

/* ---- init and destroy ---------------------------------------------------------- */

static int check_format(const struct pt_format *fmt)
{
	if (!fmt->levels || fmt->levels > 8 || !fmt->index_lg2 ||
	    fmt->index_lg2 > 12 || !(fmt->leaf_levels & 1) ||
	    pt_level_lg2(fmt, fmt->levels - 1) > 62)
		return -EINVAL;
	/* The retired list's links must read as empty entries. */
	if (fmt->present(0) || fmt->present(~0ull << 12))
		return -EINVAL;
	return 0;
}

/* ---- what the leaf runs need of a format ---------------------------------- */

static uint64_t probe_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* The bits present() tests, when it is "any of these bits set" on every
 * probe: each bit alone, then random words. 0 otherwise. */
static uint64_t learn_present_bits(const struct pt_format *fmt)
{
	uint64_t bits = 0, x = 0x9e3779b97f4a7c15ull;
	unsigned int i;

	for (i = 0; i < 64; i++)
		if (fmt->present(1ull << i))
			bits |= 1ull << i;
	for (i = 0; i < 256; i++) {
		uint64_t v = probe_next(&x);

		if (fmt->present(v) != ((v & bits) != 0))
			return 0;
	}
	return bits;
}

/* Whether make_leaf() at level 0 adds the output address to the same bits
 * whatever the address, for every permission: checked on probes spread
 * over the output space. */
static bool learn_linear_leaves(const struct pt_format *fmt)
{
	static const int prots[] = { IOMMU_READ, IOMMU_WRITE,
				     IOMMU_READ | IOMMU_WRITE };
	unsigned int oa_lg2 = fmt->oa_lg2 < 48 ? fmt->oa_lg2 : 48;
	uint64_t granule = 1ull << fmt->granule_lg2, x = 1;
	unsigned int i, p;

	for (p = 0; p < 3; p++) {
		uint64_t base = fmt->make_leaf(0, 0, prots[p]);

		for (i = 0; i < 64; i++) {
			uint64_t oa = probe_next(&x) & ((1ull << oa_lg2) - 1) &
				      ~(granule - 1);

			if (fmt->make_leaf(oa, 0, prots[p]) != base + oa)
				return false;
		}
	}
	return true;
}

/* Trees made so far: each gets the next number. */
static uint64_t pt_serials;

int pt_init(struct pgtable *pt, const struct pt_format *fmt)
{
	int ret;

	memset(pt, 0, sizeof(*pt));
	ret = check_format(fmt);
	if (ret)
		return ret;
	pt->va_lg2 = pt_va_lg2(fmt);
	if (pt->va_lg2 > pt_level_lg2(fmt, fmt->levels) || pt->va_lg2 > 63)
		return -EINVAL;
	pt->fmt = fmt;
	pt->top_level = fmt->levels - 1;
	pt->table_bytes = sizeof(uint64_t) << fmt->index_lg2;
	pt->present_bits = learn_present_bits(fmt);
	pt->linear_leaves = learn_linear_leaves(fmt);
	pt->serial = __atomic_add_fetch(&pt_serials, 1, __ATOMIC_RELAXED);
	pt->top = table_alloc(pt);
	if (!pt->top)
		return -ENOMEM;
	return 0;
}

static void free_subtree(struct pgtable *pt, uint64_t *table,
			 unsigned int level)
{
	const struct pt_format *fmt = pt->fmt;
	size_t i;

	for (i = 0; level && i < table_entries(pt); i++) {
		uint64_t entry = __atomic_load_n(&table[i], __ATOMIC_RELAXED);

		if (fmt->present(entry) && !entry_is_leaf(fmt, entry, level))
			free_subtree(pt, table_of(fmt, entry), level - 1);
	}
	table_free(pt, table);
}

void pt_destroy(struct pgtable *pt)
{
	uint64_t *table, *next;

	if (!pt->top)
		return;
	free_subtree(pt, pt->top, pt->top_level);
	for (table = pt->retired; table; table = next) {
		next = retired_next(table);
		table_free(pt, table);
	}
	pt->top = NULL;
	pt->retired = NULL;
}

uint64_t pt_table_memory(struct pgtable *pt)
{
	return __atomic_load_n(&pt->nr_tables, __ATOMIC_RELAXED) *
	       pt->table_bytes;
}

/* ---- range checks ---------------------------------------------------------- */

/* Sets *end to iova + length after checking the range fits the input space. */
static int check_range(const struct pgtable *pt, uint64_t iova,
		       uint64_t length, uint64_t *end)
{
	uint64_t limit = 1ull << pt->va_lg2;

	if (!length)
		return -EINVAL;
	if (iova >= limit || length > limit - iova)
		return -ERANGE;
	*end = iova + length;
	return 0;
}

static int check_map(const struct pgtable *pt, uint64_t iova, uint64_t paddr,
		     uint64_t length, int prot, uint64_t *end)
{
	uint64_t granule = 1ull << pt->fmt->granule_lg2;
	unsigned int oa_lg2 = pt->fmt->oa_lg2;

	if (!length || ((iova | paddr | length) & (granule - 1)) ||
	    !(prot & (IOMMU_READ | IOMMU_WRITE)) ||
	    (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	if (paddr + (length - 1) < paddr ||
	    (oa_lg2 < 64 && (paddr + (length - 1)) >> oa_lg2))
		return -ERANGE;
	return check_range(pt, iova, length, end);
}

/* ---- map ------------------------------------------------------------------------ */

struct map_walk {
	struct pgtable *pt;
	uint64_t oa;      /* output address of the next byte to map */
	int prot;
	uint64_t pgsize_bitmap;
	uint32_t leaf_ok; /* levels this request may put leaves at */
	uint64_t *leaf_table; /* the last level-0 table written, or NULL */
};

static int map_level(struct map_walk *w, uint64_t *table, unsigned int level,
		     uint64_t va, uint64_t end);

/* Levels whose span is a size the caller allows; level 0 always, since every
 * allowed size is a multiple of the granule. */
static uint32_t leaf_levels_for(const struct pt_format *fmt,
				uint64_t pgsize_bitmap)
{
	uint32_t ok = 1;
	unsigned int level;

	for (level = 1; level < fmt->levels; level++) {
		unsigned int lg2 = pt_level_lg2(fmt, level);

		if ((fmt->leaf_levels & (1u << level)) &&
		    (pgsize_bitmap & (1ull << lg2)))
			ok |= 1u << level;
	}
	return ok;
}

static bool leaf_fits(const struct map_walk *w, unsigned int level,
		      uint64_t va, uint64_t end, uint64_t span)
{
	return (w->leaf_ok & (1u << level)) && !((va | w->oa) & (span - 1)) &&
	       end - va >= span;
}

/* True when nothing below table maps anything (tables may remain). */
static bool subtree_is_empty(struct pgtable *pt, uint64_t *table,
			     unsigned int level)
{
	const struct pt_format *fmt = pt->fmt;
	size_t i;

	for (i = 0; i < table_entries(pt); i++) {
		uint64_t entry = entry_load(&table[i]);

		if (!fmt->present(entry))
			continue;
		if (entry_is_leaf(fmt, entry, level) ||
		    !subtree_is_empty(pt, table_of(fmt, entry), level - 1))
			return false;
	}
	return true;
}

/*
 * Puts one leaf in slot. An empty table there (left by partial unmaps) gives
 * way to the leaf, as the kernel's generic_pt does, so that a range mapped
 * again after being unmapped piecewise still gets its huge leaves.
 */
static int map_leaf(struct map_walk *w, uint64_t *slot, unsigned int level,
		    uint64_t span)
{
	const struct pt_format *fmt = w->pt->fmt;
	uint64_t leaf = fmt->make_leaf(w->oa, level, w->prot);
	uint64_t entry = entry_load(slot);

	if (!fmt->present(entry)) {
		__atomic_store_n(slot, leaf, __ATOMIC_RELEASE);
	} else {
		if (entry_is_leaf(fmt, entry, level) ||
		    !subtree_is_empty(w->pt, table_of(fmt, entry), level - 1))
			return -EEXIST;
		__atomic_store_n(slot, leaf, __ATOMIC_SEQ_CST);
		retire_subtree(w->pt, table_of(fmt, entry), level - 1);
	}
	w->oa += span;
	return 0;
}

/* Makes *entry a table entry in slot: ours, or another map's that won. */
static int install_table(struct pgtable *pt, uint64_t *slot, uint64_t *entry)
{
	uint64_t *table = table_alloc(pt);
	uint64_t want;

	if (!table)
		return -ENOMEM;
	want = pt->fmt->make_table((uintptr_t)table);
	if (__atomic_compare_exchange_n(slot, entry, want, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		*entry = want;
		return 0;
	}
	/* Lost the race: nobody ever saw ours. */
	table_free(pt, table);
	return 0;
}

static int map_descend(struct map_walk *w, uint64_t *slot, unsigned int level,
		       uint64_t va, uint64_t end)
{
	const struct pt_format *fmt = w->pt->fmt;
	uint64_t entry = entry_load(slot);
	int ret;

	if (!level)
		return -EINVAL; /* unreachable: level 0 always fits a leaf */
	while (!fmt->present(entry)) {
		ret = install_table(w->pt, slot, &entry);
		if (ret)
			return ret;
	}
	if (fmt->is_leaf(entry, level))
		return -EEXIST;
	return map_level(w, table_of(fmt, entry), level - 1, va, end);
}

/*
 * The level-0 leaves for [va, end), inside one table, in one loop: what
 * map_level() does leaf by leaf, without two calls into the format per
 * leaf. The leaves up to the first slot in use are written (-EEXIST
 * then), as the leaf-by-leaf walk leaves them.
 */
static int map_leaf_run(struct map_walk *w, uint64_t *slot, uint64_t va,
			uint64_t end)
{
	const struct pgtable *pt = w->pt;
	unsigned int granule_lg2 = pt->fmt->granule_lg2;
	size_t n = (size_t)((end - va) >> granule_lg2), i;
	uint64_t leaf = pt->fmt->make_leaf(w->oa, 0, w->prot);
	uint64_t present_bits = pt->present_bits;
	uint64_t step = 1ull << granule_lg2;

	/* four at a time while all four are empty; one at a time from a
	 * group with a slot in use, to stop right at it */
	for (i = 0; i + 4 <= n; i += 4, leaf += 4 * step) {
		if ((entry_load(&slot[i]) | entry_load(&slot[i + 1]) |
		     entry_load(&slot[i + 2]) | entry_load(&slot[i + 3])) &
		    present_bits)
			break;
		__atomic_store_n(&slot[i], leaf, __ATOMIC_RELEASE);
		__atomic_store_n(&slot[i + 1], leaf + step, __ATOMIC_RELEASE);
		__atomic_store_n(&slot[i + 2], leaf + 2 * step,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&slot[i + 3], leaf + 3 * step,
				 __ATOMIC_RELEASE);
	}
	for (; i < n; i++, leaf += step) {
		if (entry_load(&slot[i]) & present_bits)
			break;
		__atomic_store_n(&slot[i], leaf, __ATOMIC_RELEASE);
	}
	w->oa += (uint64_t)i << granule_lg2;
	return i < n ? -EEXIST : 0;
}

static bool has_leaf_runs(const struct pgtable *pt)
{
	return pt->present_bits && pt->linear_leaves;
}

static int map_level(struct map_walk *w, uint64_t *table, unsigned int level,
		     uint64_t va, uint64_t end)
{
	uint64_t span = level_span(w->pt, level);
	uint64_t *slot = level_slot(w->pt, table, level, va);
	int ret;

	if (!level && has_leaf_runs(w->pt)) {
		w->leaf_table = table;
		return map_leaf_run(w, slot, va, end);
	}

	for (; va < end; slot++) {
		uint64_t next = entry_end(va, span, end);

		if (leaf_fits(w, level, va, end, span))
			ret = map_leaf(w, slot, level, span);
		else
			ret = map_descend(w, slot, level, va, next);
		if (ret)
			return ret;
		va = next;
	}
	return 0;
}

/* ---- unmap --------------------------------------------------------------------- */

struct unmap_walk {
	struct pgtable *pt;
	uint64_t start, end; /* the request */
	uint64_t unmapped;
	uint64_t *leaf_table; /* the last level-0 table cleared, or NULL */
};

static void unmap_level(struct unmap_walk *w, uint64_t *table,
			unsigned int level, uint64_t va, uint64_t end);

static void unmap_entry(struct unmap_walk *w, uint64_t *slot, uint64_t entry,
			unsigned int level, uint64_t va, uint64_t next)
{
	const struct pt_format *fmt = w->pt->fmt;
	uint64_t span = level_span(w->pt, level);
	uint64_t base = va & ~(span - 1);

	if (entry_is_leaf(fmt, entry, level)) {
		/* Part of a leaf cannot stay: it goes whole, counted whole. */
		__atomic_store_n(slot, 0, __ATOMIC_RELEASE);
		w->unmapped += span;
	} else if (base >= w->start && base + span <= w->end) {
		__atomic_store_n(slot, 0, __ATOMIC_SEQ_CST);
		w->unmapped += retire_subtree(w->pt, table_of(fmt, entry),
					      level - 1);
	} else {
		unmap_level(w, table_of(fmt, entry), level - 1, va, next);
	}
}

/* The level-0 entries of [va, end), inside one table, cleared in one
 * loop: unmap_level()'s work without a call into the format per entry. */
static void unmap_leaf_run(struct unmap_walk *w, uint64_t *slot,
			   uint64_t va, uint64_t end)
{
	unsigned int granule_lg2 = w->pt->fmt->granule_lg2;
	/* the entries holding va and end - 1: either may be partly inside */
	size_t n = (size_t)(((end - 1) >> granule_lg2) -
			    (va >> granule_lg2) + 1);
	uint64_t present_bits = w->pt->present_bits, cleared = 0;
	size_t i;

	/* An empty entry of a live table is 0 already (the walker writes
	 * them so): storing 0 over every entry needs no branch. */
	for (i = 0; i + 4 <= n; i += 4) {
		cleared += !!(entry_load(&slot[i]) & present_bits) +
			   !!(entry_load(&slot[i + 1]) & present_bits) +
			   !!(entry_load(&slot[i + 2]) & present_bits) +
			   !!(entry_load(&slot[i + 3]) & present_bits);
		__atomic_store_n(&slot[i], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&slot[i + 1], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&slot[i + 2], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&slot[i + 3], 0, __ATOMIC_RELEASE);
	}
	for (; i < n; i++) {
		cleared += !!(entry_load(&slot[i]) & present_bits);
		__atomic_store_n(&slot[i], 0, __ATOMIC_RELEASE);
	}
	w->unmapped += cleared << granule_lg2;
}

static void unmap_level(struct unmap_walk *w, uint64_t *table,
			unsigned int level, uint64_t va, uint64_t end)
{
	uint64_t span = level_span(w->pt, level);
	uint64_t *slot = level_slot(w->pt, table, level, va);

	if (!level && w->pt->present_bits) {
		w->leaf_table = table;
		unmap_leaf_run(w, slot, va, end);
		return;
	}

	for (; va < end; slot++) {
		uint64_t next = entry_end(va, span, end);
		uint64_t entry = entry_load(slot);

		if (w->pt->fmt->present(entry))
			unmap_entry(w, slot, entry, level, va, next);
		va = next;
	}
}

/* ---- remembered leaf tables ------------------------------------------------------
 *
 * A map or unmap that stays inside one level-0 table, and is shorter than
 * a level-1 entry (so no huge leaf can be put or taken there), only needs
 * that table: each thread remembers the last one it wrote, and goes
 * straight to it while the tree has lost no table since (pt->unlinks, read
 * before the walk that found it). A table stays linked until it is
 * retired, which bumps the count first; and it cannot be retired under a
 * writer that uses it, since only a map or unmap whose range covers the
 * table's whole span retires it, which overlaps this one and is
 * serialized with it by the caller.
 */
struct known_leaf_table {
	uint64_t serial;  /* of the tree; 0 for none */
	uint64_t unlinks; /* the tree's count when it was found */
	uint64_t va_base; /* the span it translates starts here */
	uint64_t *table;
};

/* A few trees at once (an IOAS maps each area into each of its domains),
 * each tree in the slot its number picks. */
#define KNOWN_LEAF_TABLES 4

static __thread struct known_leaf_table known_leaf[KNOWN_LEAF_TABLES]
	__attribute__((tls_model("initial-exec")));

static inline struct known_leaf_table *known_leaf_slot(const struct pgtable *pt)
{
	return &known_leaf[pt->serial % KNOWN_LEAF_TABLES];
}

/* The level-0 table for [va, end) if remembered, else NULL; *unlinks is
 * the count to remember a table found now under. */
static uint64_t *leaf_table_known(const struct pgtable *pt, uint64_t va,
				  uint64_t end, uint64_t *unlinks)
{
	unsigned int lg2 = pt_level_lg2(pt->fmt, 1);
	const struct known_leaf_table *k;

	*unlinks = __atomic_load_n(&pt->unlinks, __ATOMIC_SEQ_CST);
	if (!pt->present_bits || pt->top_level < 1 ||
	    (va >> lg2) != ((end - 1) >> lg2) || end - va >= 1ull << lg2)
		return NULL;
	k = known_leaf_slot(pt);
	if (k->serial != pt->serial || k->unlinks != *unlinks ||
	    k->va_base != va >> lg2 << lg2)
		return NULL;
	return k->table;
}

static void leaf_table_remember(const struct pgtable *pt, uint64_t va,
				uint64_t *table, uint64_t unlinks)
{
	unsigned int lg2 = pt_level_lg2(pt->fmt, 1);

	if (!table)
		return;
	*known_leaf_slot(pt) = (struct known_leaf_table){
		pt->serial, unlinks, va >> lg2 << lg2, table
	};
}

static uint64_t unmap_range(struct pgtable *pt, uint64_t start, uint64_t end)
{
	struct unmap_walk w = { .pt = pt, .start = start, .end = end };
	uint64_t unlinks;
	uint64_t *table = leaf_table_known(pt, start, end, &unlinks);

	if (table) {
		unmap_leaf_run(&w, level_slot(pt, table, 0, start), start,
			       end);
		return w.unmapped;
	}
	unmap_level(&w, pt->top, pt->top_level, start, end);
	if ((start ^ (end - 1)) >> pt_level_lg2(pt->fmt, 1) == 0)
		leaf_table_remember(pt, start, w.leaf_table, unlinks);
	return w.unmapped;
}

static int map_range(struct map_walk *w, uint64_t iova, uint64_t end)
{
	struct pgtable *pt = w->pt;
	uint64_t unlinks;
	uint64_t *table = leaf_table_known(pt, iova, end, &unlinks);
	int ret;

	if (table && pt->linear_leaves)
		return map_leaf_run(w, level_slot(pt, table, 0, iova), iova,
				    end);
	/* a remembered table takes level-0 leaves only: no need to know
	 * which levels the sizes allow until here */
	w->leaf_ok = leaf_levels_for(pt->fmt, w->pgsize_bitmap);
	ret = map_level(w, pt->top, pt->top_level, iova, end);
	if (!ret && (iova ^ (end - 1)) >> pt_level_lg2(pt->fmt, 1) == 0)
		leaf_table_remember(pt, iova, w->leaf_table, unlinks);
	return ret;
}

int pt_map(struct pgtable *pt, uint64_t iova, uint64_t paddr,
	   uint64_t length, int prot, uint64_t pgsize_bitmap)
{
	struct map_walk w = { .pt = pt, .oa = paddr, .prot = prot };
	uint64_t end;
	int ret;

	ret = check_map(pt, iova, paddr, length, prot, &end);
	if (ret)
		return ret;
	if (!pgsize_bitmap)
		return -EINVAL;
	w.pgsize_bitmap = pgsize_bitmap;
	ret = map_range(&w, iova, end);
	/* Everything before the failure was empty and is ours: undo it. */
	if (ret && w.oa != paddr)
		unmap_range(pt, iova, iova + (w.oa - paddr));
	reclaim_retired(pt);
	return ret;
}

uint64_t pt_unmap(struct pgtable *pt, uint64_t iova, uint64_t length)
{
	uint64_t limit = 1ull << pt->va_lg2;
	uint64_t unmapped;

	if (!length || iova >= limit)
		return 0;
	if (length > limit - iova)
		length = limit - iova;
	unmapped = unmap_range(pt, iova, iova + length);
	reclaim_retired(pt);
	return unmapped;
}

/* ---- lookups and the hardware walk ------------------------------------------ */

static int host_load(struct pt_reader *rd, uint64_t table,
		     unsigned int index, uint64_t *entry)
{
	(void)rd;
	*entry = entry_load((uint64_t *)(uintptr_t)table + index);
	return 0;
}

static int host_exchange(struct pt_reader *rd, uint64_t table,
			 unsigned int index, uint64_t old, uint64_t want)
{
	(void)rd;
	if (__atomic_compare_exchange_n((uint64_t *)(uintptr_t)table + index,
					&old, want, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		return 0;
	return -EAGAIN;
}

/* How the walker reads its own trees, unchecked. Static and const: where a
 * walk names it, calls through it fold into the loads and the
 * compare-and-swap themselves. */
static const struct pt_reader host_reader = {
	.load = host_load,
	.exchange = host_exchange,
};

/* Where a walk starts, and how it reads. */
struct walk_root {
	const struct pt_format *fmt;
	struct pt_reader *rd;
	uint64_t top;
	unsigned int top_level;
	int prot;	/* what the entries above top grant */
	bool wpe;	/* supervisor writes honour R/W */
};

#define PROT_ALL (IOMMU_READ | IOMMU_WRITE | PT_PROT_USER)

static inline struct walk_root own_root(const struct pgtable *pt)
{
	/* the host reader keeps no state: nothing writes through this */
	return (struct walk_root){ pt->fmt, (struct pt_reader *)&host_reader,
				   (uintptr_t)pt->top, pt->top_level,
				   PROT_ALL, true };
}

struct pt_leaf {
	uint64_t table;	    /* the table holding the leaf */
	unsigned int index; /* and its place in it */
	uint64_t entry;
	unsigned int level;
	int above; /* what the table entries above the leaf grant */
	int prot;  /* the leaf's permissions, restricted by those above */
};

/* What an entry grants, the walker's way: IOMMU_READ/WRITE and
 * PT_PROT_USER (every entry of a format without privilege has it). */
static inline int entry_prot(const struct pt_format *fmt, uint64_t entry,
			     bool leaf)
{
	int prot = leaf ? fmt->leaf_prot(entry) :
		   fmt->table_prot ? fmt->table_prot(entry) :
				     IOMMU_READ | IOMMU_WRITE;

	if (!fmt->user_ok || fmt->user_ok(entry))
		prot |= PT_PROT_USER;
	return prot;
}

/* Marks a table entry accessed as the walk goes through it; -EAGAIN
 * when it changed since it was read (read it again). */
static inline __attribute__((always_inline)) int
table_set_accessed(const struct walk_root *root, uint64_t table,
		   unsigned int index, uint64_t entry)
{
	uint64_t want = root->fmt->make_accessed(entry);

	if (want == entry)
		return 0;
	return root->rd->exchange(root->rd, table, index, entry, want);
}

/*
 * Walks to the leaf mapping iova. Always inlined: in the walker's own tree
 * the reader is host_reader, and the walk compiles to plain loads; in a
 * user's table every read is a call to its reader. A walk of our own tree
 * must be a registered reader. With set_ad, a format's table entries are
 * marked accessed on the way down (where it asks for it).
 */
static inline __attribute__((always_inline)) int
find_leaf(const struct walk_root *root, uint64_t iova, bool set_ad,
	  struct pt_leaf *leaf)
{
	const struct pt_format *fmt = root->fmt;
	uint64_t mask = (1ull << fmt->index_lg2) - 1;
	unsigned int level = root->top_level;
	uint64_t table = root->top;
	int prot = root->prot;

	for (;;) {
		unsigned int index = (iova >> pt_level_lg2(fmt, level)) & mask;
		uint64_t entry;
		int ret = root->rd->load(root->rd, table, index, &entry);

		if (ret)
			return ret;
		if (!fmt->present(entry))
			return -ENOENT;
		if (fmt->reserved && fmt->reserved(entry, level))
			return -EBADMSG;
		if (entry_is_leaf(fmt, entry, level)) {
			*leaf = (struct pt_leaf){
				table, index, entry, level, prot,
				prot & entry_prot(fmt, entry, true)
			};
			return 0;
		}
		if (set_ad && fmt->table_accessed) {
			ret = table_set_accessed(root, table, index, entry);
			if (ret == -EAGAIN)
				continue;
			if (ret)
				return ret;
		}
		prot &= entry_prot(fmt, entry, false);
		table = fmt->table_addr(entry);
		level--;
	}
}

static uint64_t leaf_address(const struct pt_format *fmt,
			     const struct pt_leaf *leaf, uint64_t iova)
{
	uint64_t span = 1ull << pt_level_lg2(fmt, leaf->level);

	return fmt->leaf_oa(leaf->entry, leaf->level) + (iova & (span - 1));
}

uint64_t pt_iova_to_phys(struct pgtable *pt, uint64_t iova)
{
	struct walk_root root = own_root(pt);
	struct pt_leaf leaf;
	uint64_t paddr = 0;

	if (iova >> pt->va_lg2)
		return 0;
	reader_enter(pt);
	if (!find_leaf(&root, iova, false, &leaf))
		paddr = leaf_address(pt->fmt, &leaf, iova);
	reader_exit(pt);
	return paddr;
}

/* Sets A, and D for a write, as the hardware does; -EAGAIN if the entry
 * changed since it was read (another update won; walk again). */
static inline __attribute__((always_inline)) int
leaf_set_ad(const struct walk_root *root, const struct pt_leaf *leaf,
	    bool write)
{
	const struct pt_format *fmt = root->fmt;
	uint64_t want = fmt->make_accessed(leaf->entry);

	if (write)
		want = fmt->make_dirty(want);
	if (want == leaf->entry)
		return 0;
	return root->rd->exchange(root->rd, leaf->table, leaf->index,
				  leaf->entry, want);
}

/*
 * What the path's permissions (prot, the walker's way) allow the request:
 * a user-mode request needs PT_PROT_USER on every entry and gets R/W as
 * they are; a supervisor one reads whatever is present and writes where
 * R/W allows, or everywhere without write protection. Sets *why when the
 * request is refused.
 */
static inline int request_prot(const struct walk_root *root, int prot,
			       unsigned int req, enum iommu_fault_reason *why)
{
	bool write = req & IOMMU_REQ_WRITE;
	int allowed;

	if (!root->fmt->user_ok)
		allowed = prot & (IOMMU_READ | IOMMU_WRITE);
	else if (req & IOMMU_REQ_PRIV)
		allowed = IOMMU_READ |
			  ((prot & IOMMU_WRITE) || !root->wpe ? IOMMU_WRITE : 0);
	else
		allowed = prot & PT_PROT_USER ?
				  prot & (IOMMU_READ | IOMMU_WRITE) :
				  0;
	if (!(allowed & (write ? IOMMU_WRITE : IOMMU_READ)))
		*why = !allowed ? IOMMU_FAULT_PRIV :
		       write	? IOMMU_FAULT_WRITE :
				  IOMMU_FAULT_READ;
	return allowed;
}

static inline __attribute__((always_inline)) int
walk_translate(const struct walk_root *root, uint64_t iova, unsigned int req,
	       bool set_ad, struct iommu_translation *out,
	       struct iommu_walk_start *deepest)
{
	bool write = req & IOMMU_REQ_WRITE;
	enum iommu_fault_reason why = IOMMU_FAULT_NONE;
	struct pt_leaf leaf;
	int ret;

	for (;;) {
		ret = find_leaf(root, iova, set_ad, &leaf);
		if (ret)
			return ret;
		out->oa = leaf_address(root->fmt, &leaf, iova);
		out->leaf_size = 1ull << pt_level_lg2(root->fmt, leaf.level);
		out->prot = request_prot(root, leaf.prot, req, &why);
		if (deepest && leaf.level < root->top_level)
			*deepest = (struct iommu_walk_start){
				.table = leaf.table,
				.level = leaf.level,
				.span_lg2 = pt_level_lg2(root->fmt,
							 leaf.level + 1),
				.prot = leaf.above,
				.valid = true,
			};
		if (why != IOMMU_FAULT_NONE) {
			out->reason = why;
			return -EPERM;
		}
		if (!set_ad)
			return 0;
		ret = leaf_set_ad(root, &leaf, write);
		if (ret != -EAGAIN)
			return ret;
	}
}

int pt_translate(struct pgtable *pt, uint64_t iova, unsigned int req,
		 bool set_ad, struct iommu_translation *out)
{
	struct walk_root root = own_root(pt);
	int ret;

	if (iova >> pt->va_lg2)
		return -ERANGE;
	reader_enter(pt);
	ret = walk_translate(&root, iova, req, set_ad, out, NULL);
	reader_exit(pt);
	return ret;
}

int pt_translate_user(const struct pt_user_table *t, uint64_t iova,
		      unsigned int req, bool set_ad,
		      struct iommu_translation *out)
{
	struct walk_root root = { t->fmt, t->rd, t->top, t->fmt->levels - 1,
				  PROT_ALL, t->wpe };

	if (iova >> pt_va_lg2(t->fmt))
		return -ERANGE;
	if (set_ad && !t->rd->exchange)
		return -EOPNOTSUPP;
	if (t->from && t->from->valid) {
		root.top = t->from->table;
		root.top_level = t->from->level;
		root.prot = t->from->prot;
	}
	if (t->deepest)
		t->deepest->valid = false;
	return walk_translate(&root, iova, req, set_ad, out, t->deepest);
}

/* ---- dirty tracking ----------------------------------------------------------- */

struct leaf_walk {
	struct pgtable *pt;
	uint64_t start, end; /* the request */
	void (*visit)(struct leaf_walk *w, uint64_t *slot, uint64_t base,
		      uint64_t span);
	bool hole;           /* part of the request was not mapped */
	unsigned long flags;
	struct iommu_dirty_bitmap *dirty;
};

static void walk_leaves(struct leaf_walk *w, uint64_t *table,
			unsigned int level, uint64_t va, uint64_t end)
{
	const struct pt_format *fmt = w->pt->fmt;
	uint64_t span = level_span(w->pt, level);
	uint64_t *slot = level_slot(w->pt, table, level, va);

	for (; va < end; slot++) {
		uint64_t next = entry_end(va, span, end);
		uint64_t entry = entry_load(slot);

		if (!fmt->present(entry))
			w->hole = true;
		else if (entry_is_leaf(fmt, entry, level))
			w->visit(w, slot, va & ~(span - 1), span);
		else
			walk_leaves(w, table_of(fmt, entry), level - 1, va,
				    next);
		va = next;
	}
}

static int run_leaf_walk(struct leaf_walk *w, uint64_t iova, uint64_t length)
{
	int ret = check_range(w->pt, iova, length, &w->end);

	if (ret)
		return ret;
	w->start = iova;
	reader_enter(w->pt);
	walk_leaves(w, w->pt->top, w->pt->top_level, iova, w->end);
	reader_exit(w->pt);
	return 0;
}

static void record_dirty(struct leaf_walk *w, uint64_t base, uint64_t span)
{
	uint64_t first = base > w->start ? base : w->start;
	uint64_t end = base + span < w->end ? base + span : w->end;

	if (w->dirty && w->dirty->record)
		w->dirty->record(w->dirty, first, end - first);
}

static void visit_read_dirty(struct leaf_walk *w, uint64_t *slot,
			     uint64_t base, uint64_t span)
{
	const struct pt_format *fmt = w->pt->fmt;
	uint64_t entry = entry_load(slot);

	/* A failed exchange reloads entry: the DMA engine moved A/D meanwhile. */
	for (;;) {
		if (!fmt->present(entry) || !fmt->is_dirty(entry))
			return;
		if ((w->flags & IOMMU_DIRTY_NO_CLEAR) ||
		    __atomic_compare_exchange_n(slot, &entry,
						fmt->make_clean(entry), false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			break;
	}
	record_dirty(w, base, span);
}

int pt_read_and_clear_dirty(struct pgtable *pt, uint64_t iova,
			    uint64_t length, unsigned long flags,
			    struct iommu_dirty_bitmap *dirty)
{
	struct leaf_walk w = { .pt = pt, .visit = visit_read_dirty,
			       .flags = flags, .dirty = dirty };

	return run_leaf_walk(&w, iova, length);
}

static void visit_mark_dirty(struct leaf_walk *w, uint64_t *slot,
			     uint64_t base, uint64_t span)
{
	const struct pt_format *fmt = w->pt->fmt;
	uint64_t entry = entry_load(slot);

	(void)base;
	(void)span;
	while (fmt->present(entry) && fmt->make_dirty(entry) != entry &&
	       !__atomic_compare_exchange_n(slot, &entry,
					    fmt->make_dirty(entry), false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

int pt_mark_dirty(struct pgtable *pt, uint64_t iova, uint64_t length)
{
	struct leaf_walk w = { .pt = pt, .visit = visit_mark_dirty };
	int ret = run_leaf_walk(&w, iova, length);

	if (ret)
		return ret;
	return w.hole ? -ENOENT : 0;
}
