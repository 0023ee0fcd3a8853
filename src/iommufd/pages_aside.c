// SPDX-License-Identifier: MIT
/*
 * Pinned pages the program unmapped (pages.h, "Set aside").
 *
 * On the kernel a pin holds the physical page: munmap() takes it out of the
 * process, the device keeps it. Here a page's physical address is its
 * virtual one, so before the program's munmap(), mmap(MAP_FIXED) or
 * mremap() takes pinned memory away, the pages are moved (mremap, which
 * keeps the very pages) to an address only the library knows, and each
 * pages object remembers, per run of page indexes, where its pinned pages
 * went. The domains are then mapped again to the new addresses
 * (iopt_domains.c); the program's own address is free for whatever it maps
 * next, as on the kernel.
 *
 * A madvise() that drops pages while leaving the mapping (MADV_DONTNEED,
 * MADV_REMOVE) cannot be met by moving the mapping: the pinned pages are
 * copied aside instead, with the world stopped, so that the copy is all
 * that reaches the old bytes once the call has dropped them.
 *
 * Memory moved or copied aside is the library's ('owned'), freed when no
 * pin needs it any more. Memory the program moved with mremap() stays the program's: the
 * pages follow it, and a later munmap() of it sets them aside in turn.
 *
 * Entries change in two ways only: set aside, with every other thread out
 * of the library (fork_gate_quiesce()), and trimmed when pins go, under
 * aside_lock. So a reader that sees no entry at all needs no lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/mutex.h"
#include "base/usermem.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/pages.h"

/* Memory holding pages that left the program's address space, or moved in
 * it. */
struct aside_chunk {
	uint64_t hva;
	uint64_t len;
	unsigned int refs; /* entries whose pages are in it */
	bool owned;	   /* the library's to unmap; else the program's */
};

/* Page indexes [first, last] of pages now at hva (index first). */
struct aside_entry {
	struct iopt_pages *pages;
	uint64_t first, last;
	uint64_t hva;
	struct aside_chunk *chunk;
	struct aside_entry *next;
};

static struct mutex aside_lock = MUTEX_INIT(LOCK_RANK_PAGES_ASIDE);
static struct aside_entry *entries;
/* __atomic: how many entries there are; 0 is the common case */
static unsigned long nentries;

/* The library's own moves: raw system calls, so that the shim's munmap and
 * mremap wrappers do not see them. */
static uint64_t raw_reserve(uint64_t len, int prot)
{
	long r = syscall(SYS_mmap, NULL, len, prot,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return r == -1 ? 0 : (uint64_t)r;
}

static int raw_move(uint64_t from, uint64_t len, uint64_t to)
{
	long r = syscall(SYS_mremap, from, len, len,
			 MREMAP_MAYMOVE | MREMAP_FIXED, to);

	return r == (long)to ? 0 : -errno;
}

static void raw_unmap(uint64_t hva, uint64_t len)
{
	syscall(SYS_munmap, hva, len);
}

bool iopt_pages_any_aside(void)
{
	return __atomic_load_n(&nentries, __ATOMIC_ACQUIRE) != 0;
}

static void chunk_put(struct aside_chunk *chunk)
{
	if (--chunk->refs)
		return;
	if (chunk->owned)
		raw_unmap(chunk->hva, chunk->len);
	free(chunk);
}

static void entry_unlink_free(struct aside_entry **link)
{
	struct aside_entry *e = *link;

	*link = e->next;
	chunk_put(e->chunk);
	free(e);
	__atomic_fetch_sub(&nentries, 1, __ATOMIC_RELEASE);
}

static void entry_link(struct aside_entry *e)
{
	e->chunk->refs++;
	e->next = entries;
	entries = e;
	__atomic_fetch_add(&nentries, 1, __ATOMIC_RELEASE);
}

/* ---- where a page is -------------------------------------------------------- */

uint64_t iopt_pages_hva(struct iopt_pages *pages, uint64_t byte,
			uint64_t *run)
{
	uint64_t page = cpu_page_size();
	uint64_t index = byte / page, hva = pages->uptr + byte;
	uint64_t end = UINT64_MAX; /* the first index where the answer changes */

	if (!iopt_pages_any_aside()) {
		*run = UINT64_MAX;
		return hva;
	}
	mutex_lock(&aside_lock);
	for (struct aside_entry *e = entries; e; e = e->next) {
		if (e->pages != pages)
			continue;
		if (index >= e->first && index <= e->last) {
			hva = e->hva + (index - e->first) * page + byte % page;
			end = e->last + 1;
			break;
		}
		if (e->first > index && e->first < end)
			end = e->first;
	}
	mutex_unlock(&aside_lock);
	*run = end == UINT64_MAX ? UINT64_MAX : end * page - byte;
	return hva;
}

bool iopt_pages_index_aside(struct iopt_pages *pages, uint64_t index)
{
	bool aside = false;

	if (!iopt_pages_any_aside())
		return false;
	mutex_lock(&aside_lock);
	for (struct aside_entry *e = entries; e && !aside; e = e->next)
		aside = e->pages == pages && index >= e->first &&
			index <= e->last;
	mutex_unlock(&aside_lock);
	return aside;
}

/* ---- pins going --------------------------------------------------------------- */

/* A part of e, [first, last], as its own entry right after it (so a walk
 * of the list meets it next); false when there is no memory for it. */
static bool entry_split_off(struct aside_entry *e, uint64_t first,
			    uint64_t last)
{
	struct aside_entry *part = lib_malloc(sizeof(*part));

	if (!part)
		return false;
	*part = *e;
	part->first = first;
	part->last = last;
	part->hva = e->hva + (first - e->first) * cpu_page_size();
	part->chunk->refs++;
	e->next = part;
	__atomic_fetch_add(&nentries, 1, __ATOMIC_RELEASE);
	return true;
}

/*
 * An index no pin holds any more is no longer set aside: pinned again, it
 * is pinned from the program's address, as the kernel pins whatever is
 * mapped there then. pages->lock held.
 */
void iopt_pages_aside_trim(struct iopt_pages *pages)
{
	struct aside_entry **link;

	if (!iopt_pages_any_aside())
		return;
	lockdep_assert_held(&pages->lock);
	mutex_lock(&aside_lock);
	for (link = &entries; *link;) {
		struct aside_entry *e = *link;
		struct itree_span span;
		bool whole = false, split = true;

		if (e->pages != pages) {
			link = &e->next;
			continue;
		}
		itree_for_each_span(&span, &pages->pin_holders, e->first,
				    e->last) {
			if (span.is_hole)
				continue;
			if (span.start == e->first && span.last == e->last)
				whole = true;
			else
				split &= entry_split_off(e, span.start,
							 span.last);
		}
		if (whole || !split)
			link = &e->next;
		else
			entry_unlink_free(link);
	}
	mutex_unlock(&aside_lock);
}

void iopt_pages_aside_drop(struct iopt_pages *pages)
{
	if (!iopt_pages_any_aside())
		return;
	mutex_lock(&aside_lock);
	for (struct aside_entry **link = &entries; *link;) {
		if ((*link)->pages == pages)
			entry_unlink_free(link);
		else
			link = &(*link)->next;
	}
	mutex_unlock(&aside_lock);
}

/* ---- setting aside ------------------------------------------------------------ */

/* Pinned pages of one pages object that must move: [first, last] at hva,
 * the part of 'entry' when they are the program's memory an entry names
 * already, else pages still at their uptr. */
struct aside_claim {
	struct iopt_pages *pages;
	uint64_t first, last;
	uint64_t hva;
	struct aside_entry *entry;
};

static int claim_add(struct aside_claims *c, struct aside_claim claim)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct aside_claim *v = lib_realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = claim;
	return 0;
}

/* The entry of pages covering index, or NULL. aside_lock held. */
static struct aside_entry *entry_at(struct iopt_pages *pages, uint64_t index)
{
	for (struct aside_entry *e = entries; e; e = e->next)
		if (e->pages == pages && index >= e->first && index <= e->last)
			return e;
	return NULL;
}

/* Clips index range [*first, *last] of memory at base (index 0) to the
 * pages inside [addr, end); false when none are. */
static bool clip(uint64_t base, uint64_t addr, uint64_t end, uint64_t *first,
		 uint64_t *last)
{
	uint64_t page = cpu_page_size();
	uint64_t lo = addr > base ? (addr - base) / page : 0;
	uint64_t hi;

	if (end <= base)
		return false;
	hi = (end - base - 1) / page;
	if (*first < lo)
		*first = lo;
	if (*last > hi)
		*last = hi;
	return *first <= *last;
}

/* The held pages of one pages object still at the program's address in
 * [addr, end), less those set aside already. pages->lock and aside_lock
 * held. */
static int claim_at_uptr(struct aside_claims *c, struct iopt_pages *pages,
			 uint64_t addr, uint64_t end)
{
	uint64_t page = cpu_page_size();
	uint64_t first = 0, last = pages->npages - 1;
	struct itree_span span;

	if (!clip(pages->uptr, addr, end, &first, &last))
		return 0;
	itree_for_each_span(&span, &pages->pin_holders, first, last) {
		struct aside_claim claim = { .pages = pages };
		bool open = false;

		for (uint64_t i = span.start; !span.is_hole && i <= span.last;
		     i++) {
			int rc;

			if (!entry_at(pages, i)) {
				if (!open)
					claim.first = i;
				claim.last = i;
				open = true;
				if (i < span.last)
					continue;
			}
			if (!open)
				continue;
			claim.hva = pages->uptr + claim.first * page;
			rc = claim_add(c, claim);
			if (rc)
				return rc;
			open = false;
		}
	}
	return 0;
}

/* Entries naming the program's memory (moved by its mremap()) inside
 * [addr, end). aside_lock held. */
static int claim_moved(struct aside_claims *c, uint64_t addr, uint64_t end)
{
	for (struct aside_entry *e = entries; e; e = e->next) {
		uint64_t first = e->first, last = e->last;
		struct aside_claim claim = { .pages = e->pages, .entry = e };
		int rc;

		if (e->chunk->owned ||
		    !clip(e->hva - e->first * cpu_page_size(), addr, end,
			  &first, &last))
			continue;
		claim.first = first;
		claim.last = last;
		claim.hva = e->hva + (first - e->first) * cpu_page_size();
		rc = claim_add(c, claim);
		if (rc)
			return rc;
	}
	return 0;
}

static int claim_cmp(const void *a, const void *b)
{
	const struct aside_claim *x = a, *y = b;

	return x->hva < y->hva ? -1 : x->hva > y->hva;
}

/* Moves one run of the program's pages, [from, from + len), into memory
 * of the library's; a run across several mappings moves page by page. */
static struct aside_chunk *move_run(uint64_t from, uint64_t len)
{
	struct aside_chunk *chunk = lib_malloc(sizeof(*chunk));
	uint64_t page = cpu_page_size();

	if (!chunk)
		return NULL;
	chunk->hva = raw_reserve(len, PROT_NONE);
	if (!chunk->hva) {
		free(chunk);
		return NULL;
	}
	chunk->len = len;
	chunk->refs = 0;
	chunk->owned = true;
	if (raw_move(from, len, chunk->hva))
		for (uint64_t off = 0; off < len; off += page)
			raw_move(from + off, page, chunk->hva + off);
	return chunk;
}

/* The claim's pages now live in chunk (whose memory starts at run_start's
 * pages): a new entry, or the claimed part of an entry moved. */
static int claim_settle(const struct aside_claim *claim,
			struct aside_chunk *chunk, uint64_t run_start)
{
	/* found again: an earlier claim's settling may have split it */
	struct aside_entry *e =
		claim->entry ? entry_at(claim->pages, claim->first) : NULL;
	uint64_t hva = chunk->hva + (claim->hva - run_start);

	if (e) {
		/* what is not claimed stays where it is, as entries of its own */
		if (claim->last < e->last &&
		    !entry_split_off(e, claim->last + 1, e->last))
			return -ENOMEM;
		e->last = claim->last;
		if (claim->first > e->first) {
			if (!entry_split_off(e, claim->first, claim->last))
				return -ENOMEM;
			e->last = claim->first - 1;
			e = e->next;
		}
		chunk->refs++;
		chunk_put(e->chunk);
		e->chunk = chunk;
		e->hva = hva;
		return 0;
	}
	e = lib_malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	*e = (struct aside_entry){
		.pages = claim->pages, .first = claim->first,
		.last = claim->last, .hva = hva, .chunk = chunk,
	};
	entry_link(e);
	return 0;
}

/* Adds pages to the set of those whose domains must be mapped again. */
static int moved_add(struct iopt_pages_set *moved, struct iopt_pages *pages)
{
	struct iopt_pages **v;

	for (size_t i = 0; i < moved->n; i++)
		if (moved->v[i] == pages)
			return 0;
	v = lib_realloc(moved->v, (moved->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	moved->v = v;
	v[moved->n++] = pages;
	iopt_pages_get(pages);
	return 0;
}

/* The run of claims (sorted by address) from c->v[i]: the claims whose
 * memory touches or overlaps, [i, *j), over [*start, return value). */
static uint64_t run_of(const struct aside_claims *c, size_t i, size_t *j,
		       uint64_t *start)
{
	uint64_t page = cpu_page_size();
	uint64_t end = c->v[i].hva + (c->v[i].last - c->v[i].first + 1) * page;

	*start = c->v[i].hva;
	for (*j = i + 1; *j < c->n && c->v[*j].hva <= end; (*j)++) {
		uint64_t e = c->v[*j].hva +
			     (c->v[*j].last - c->v[*j].first + 1) * page;

		if (e > end)
			end = e;
	}
	return end;
}

/* Claims [i, j), whose memory is now in chunk from run_start's on. */
static int settle_run(struct aside_claims *c, size_t i, size_t j,
		      struct aside_chunk *chunk, uint64_t run_start,
		      struct iopt_pages_set *moved)
{
	int rc = 0;

	chunk->refs++; /* held while its claims settle */
	for (; i < j && !rc; i++) {
		rc = claim_settle(&c->v[i], chunk, run_start);
		if (!rc)
			rc = moved_add(moved, c->v[i].pages);
	}
	chunk_put(chunk);
	return rc;
}

/* Moves each run of claims (sorted by address) aside and records it. */
static int settle_runs(struct aside_claims *c, struct iopt_pages_set *moved)
{
	size_t i = 0, j;
	int rc = 0;

	for (; i < c->n && !rc; i = j) {
		uint64_t start, end = run_of(c, i, &j, &start);
		struct aside_chunk *chunk = move_run(start, end - start);

		if (!chunk)
			return -ENOMEM;
		moved->moved_pages += (end - start) / cpu_page_size();
		rc = settle_run(c, i, j, chunk, start, moved);
	}
	return rc;
}

static uint64_t end_of(uint64_t addr, uint64_t len)
{
	return addr + len < addr ? UINT64_MAX : addr + len;
}

bool iopt_pages_pinned_in(uint64_t addr, uint64_t len)
{
	uint64_t end = end_of(addr, len);
	bool found = false;

	if (iopt_pages_any_aside()) {
		mutex_lock(&aside_lock);
		for (struct aside_entry *e = entries; e && !found; e = e->next)
			found = !e->chunk->owned && e->hva < end &&
				e->hva + (e->last - e->first + 1) *
						 cpu_page_size() > addr;
		mutex_unlock(&aside_lock);
	}
	if (found || !iopt_pages_registry_may_cover(addr, end))
		return found;
	iopt_pages_registry_lock();
	for (struct iopt_pages *p = iopt_pages_registry_first(); p && !found;
	     p = p->registry_next) {
		uint64_t first = 0, last = p->npages - 1;

		/* a file's pages are at the library's mapping of it */
		if (p->type != IOPT_PAGES_USER ||
		    !clip(p->uptr, addr, end, &first, &last))
			continue;
		spin_lock(&p->lock);
		found = itree_iter_first(&p->pin_holders, first, last) != NULL;
		spin_unlock(&p->lock);
	}
	iopt_pages_registry_unlock();
	return found;
}

void iopt_pages_set_release(struct iopt_pages_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		iopt_pages_put(set->v[i]);
	free(set->v);
	*set = (struct iopt_pages_set){ 0 };
}

/* The program's memory at [to, to + len), where its mremap() moved the
 * claims' pages from [from, from + len): they follow it there. */
static int settle_followed(struct aside_claims *c, uint64_t from, uint64_t to,
			   uint64_t len, struct iopt_pages_set *moved)
{
	struct aside_chunk *chunk = lib_malloc(sizeof(*chunk));
	int rc = 0;

	if (!chunk)
		return -ENOMEM;
	*chunk = (struct aside_chunk){ .hva = to, .len = len, .refs = 1 };
	for (size_t i = 0; i < c->n && !rc; i++) {
		rc = claim_settle(&c->v[i], chunk, from);
		if (!rc)
			rc = moved_add(moved, c->v[i].pages);
		moved->moved_pages += c->v[i].last - c->v[i].first + 1;
	}
	chunk_put(chunk);
	return rc;
}

/*
 * The pinned pages at the program's addresses in [addr, end), sorted by
 * address. The registry lock held; the world stopped, so that nothing
 * changes between the locks taken here and those of the caller's next
 * step.
 */
static int collect_claims(uint64_t addr, uint64_t end,
			  struct aside_claims *claims)
{
	int rc = 0;

	for (struct iopt_pages *p = iopt_pages_registry_first(); p && !rc;
	     p = p->registry_next) {
		if (p->type != IOPT_PAGES_USER)
			continue;
		spin_lock(&p->lock);
		mutex_lock(&aside_lock);
		rc = claim_at_uptr(claims, p, addr, end);
		mutex_unlock(&aside_lock);
		spin_unlock(&p->lock);
	}
	mutex_lock(&aside_lock);
	if (!rc)
		rc = claim_moved(claims, addr, end);
	mutex_unlock(&aside_lock);
	if (!rc && claims->n)
		qsort(claims->v, claims->n, sizeof(*claims->v), claim_cmp);
	return rc;
}

/*
 * The pinned pages in [addr, addr + len): moved aside (to == 0), or, when
 * the program's mremap() has just moved that memory to 'to', followed
 * there.
 */
static int move_pinned(uint64_t addr, uint64_t len, uint64_t to,
		       struct iopt_pages_set *moved)
{
	struct aside_claims claims = { 0 };
	int rc;

	iopt_pages_registry_lock();
	rc = collect_claims(addr, end_of(addr, len), &claims);
	mutex_lock(&aside_lock);
	if (!rc && claims.n)
		rc = to ? settle_followed(&claims, addr, to, len, moved) :
			  settle_runs(&claims, moved);
	mutex_unlock(&aside_lock);
	iopt_pages_registry_unlock();
	free(claims.v);
	return rc;
}

int iopt_pages_set_aside(uint64_t addr, uint64_t len,
			 struct iopt_pages_set *moved)
{
	return move_pinned(addr, len, 0, moved);
}

int iopt_pages_follow(uint64_t from, uint64_t len, uint64_t to,
		      struct iopt_pages_set *moved)
{
	return move_pinned(from, len, to, moved);
}

/* ---- copies, for what madvise() drops ------------------------------------------ */

/* Whether the pages of mapping m that lie in [addr, end) are dropped,
 * and if so which: [*lo, *hi), narrowed to whole kernel pages (a hugetlb
 * page is dropped whole or not at all). */
static bool dropped_part(const struct usermem_mapping *m, enum iopt_drop drop,
			 uint64_t addr, uint64_t end, uint64_t *lo,
			 uint64_t *hi)
{
	uint64_t size = m->page_size > cpu_page_size() ? m->page_size :
							 cpu_page_size();
	uint64_t first = (addr + size - 1) & ~(size - 1);
	uint64_t past = end & ~(size - 1);

	if (drop == IOPT_DROP_PRIVATE && m->shared)
		return false;
	if (*lo < first)
		*lo = first;
	if (*hi > past)
		*hi = past;
	return *lo < *hi;
}

/* The parts of claim c in [addr, end) that the call drops, as claims of
 * their own in *out. */
static int claim_dropped(struct aside_claims *out,
			 const struct aside_claim *c, enum iopt_drop drop,
			 uint64_t addr, uint64_t end)
{
	uint64_t page = cpu_page_size();
	uint64_t hva = c->hva, c_end = c->hva + (c->last - c->first + 1) * page;
	int rc = 0;

	while (hva < c_end && !rc) {
		struct usermem_mapping m;
		uint64_t lo = hva, hi, part_end;

		if (usermem_mapping_at(usermem_self(), hva, &m)) {
			hva += page; /* nothing there: nothing to drop */
			continue;
		}
		part_end = m.end < c_end ? m.end : c_end;
		hi = part_end;
		if (dropped_part(&m, drop, addr, end, &lo, &hi)) {
			struct aside_claim part = *c;

			part.first = c->first + (lo - c->hva) / page;
			part.last = c->first + (hi - c->hva) / page - 1;
			part.hva = lo;
			rc = claim_add(out, part);
		}
		hva = part_end;
	}
	return rc;
}

/* A chunk of the library's memory holding a copy of [from, from + len). */
static struct aside_chunk *copy_run(uint64_t from, uint64_t len)
{
	struct aside_chunk *chunk = lib_malloc(sizeof(*chunk));

	if (!chunk)
		return NULL;
	*chunk = (struct aside_chunk){
		.hva = raw_reserve(len, PROT_READ | PROT_WRITE),
		.len = len, .owned = true,
	};
	if (!chunk->hva) {
		free(chunk);
		return NULL;
	}
	if (usermem_copy_from_forced(usermem_self(),
				     (void *)(uintptr_t)chunk->hva, from,
				     len)) {
		raw_unmap(chunk->hva, len);
		free(chunk);
		return NULL;
	}
	return chunk;
}

/* The runs of copies->claims, each copied; -ENOMEM leaves none. */
static int copy_runs(struct iopt_pages_copies *copies)
{
	struct aside_claims *c = &copies->claims;
	size_t i, j;

	for (i = 0; i < c->n; i = j) {
		uint64_t start, end = run_of(c, i, &j, &start);
		struct aside_copy *runs = lib_realloc(
			copies->runs, (copies->nruns + 1) * sizeof(*runs));
		struct aside_chunk *chunk;

		if (!runs)
			return -ENOMEM;
		copies->runs = runs;
		chunk = copy_run(start, end - start);
		if (!chunk)
			return -ENOMEM;
		chunk->refs = 1; /* the run's, until it settles or goes */
		runs[copies->nruns++] = (struct aside_copy){
			.chunk = chunk, .start = start, .first = i, .past = j,
		};
	}
	return 0;
}

int iopt_pages_copy_aside(uint64_t addr, uint64_t len, enum iopt_drop drop,
			  struct iopt_pages_copies *copies)
{
	struct aside_claims pinned = { 0 };
	uint64_t end = end_of(addr, len);
	int rc;

	*copies = (struct iopt_pages_copies){ 0 };
	iopt_pages_registry_lock();
	rc = collect_claims(addr, end, &pinned);
	for (size_t i = 0; i < pinned.n && !rc; i++)
		rc = claim_dropped(&copies->claims, &pinned.v[i], drop, addr,
				   end);
	if (!rc)
		rc = copy_runs(copies);
	iopt_pages_registry_unlock();
	free(pinned.v);
	if (rc)
		iopt_pages_copies_drop(copies);
	return rc;
}

int iopt_pages_copies_keep(struct iopt_pages_copies *copies,
			   struct iopt_pages_set *moved)
{
	int rc = 0;

	iopt_pages_registry_lock();
	mutex_lock(&aside_lock);
	for (size_t r = 0; r < copies->nruns && !rc; r++) {
		struct aside_copy *run = &copies->runs[r];

		moved->moved_pages += run->chunk->len / cpu_page_size();
		rc = settle_run(&copies->claims, run->first, run->past,
				run->chunk, run->start, moved);
	}
	mutex_unlock(&aside_lock);
	iopt_pages_registry_unlock();
	iopt_pages_copies_drop(copies);
	return rc;
}

void iopt_pages_copies_drop(struct iopt_pages_copies *copies)
{
	mutex_lock(&aside_lock);
	for (size_t r = 0; r < copies->nruns; r++)
		chunk_put(copies->runs[r].chunk);
	mutex_unlock(&aside_lock);
	free(copies->runs);
	free(copies->claims.v);
	*copies = (struct iopt_pages_copies){ 0 };
}

/* ---- where the pins are ----------------------------------------------------------- */

int iopt_pages_pinned_spans(uint64_t addr, uint64_t len,
			    struct iopt_spans *spans)
{
	struct aside_claims claims = { 0 };
	int rc;

	*spans = (struct iopt_spans){ 0 };
	iopt_pages_registry_lock();
	rc = collect_claims(addr, end_of(addr, len), &claims);
	iopt_pages_registry_unlock();
	for (size_t i = 0, j; i < claims.n && !rc; i = j) {
		uint64_t start, end = run_of(&claims, i, &j, &start);
		struct iopt_span *v = lib_realloc(
			spans->v, (spans->n + 1) * sizeof(*v));

		if (!v) {
			rc = -ENOMEM;
			break;
		}
		spans->v = v;
		v[spans->n++] = (struct iopt_span){ start, end };
	}
	free(claims.v);
	if (rc) {
		free(spans->v);
		*spans = (struct iopt_spans){ 0 };
	}
	return rc;
}
