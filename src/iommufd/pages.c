// SPDX-License-Identifier: MIT
/*
 * The lifetime of struct iopt_pages, pinning, and RLIMIT_MEMLOCK accounting.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "base/capability.h"
#include "base/mutex.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/pages.h"
#include "base/usermem.h"
#include "base/zalloc.h"

/* Pages charged per mode: the kernel's user->locked_vm and mm->locked_vm. */
static _Atomic uint64_t locked_pages[3];

/* Every pages object with pinned pages, for iopt_pin_count(). */
static struct mutex registry_lock = MUTEX_INIT(LOCK_RANK_PAGES_REGISTRY);
static struct iopt_pages *registry;

/* __atomic: the user addresses the registry's pages ever covered, a quick
 * answer to "is anything pinned there" for every munmap() the program
 * makes; reset when the registry empties. registry_lock to change. */
static uint64_t registry_lo = UINT64_MAX, registry_hi;

static void registry_widen(uint64_t lo, uint64_t hi)
{
	if (lo < __atomic_load_n(&registry_lo, __ATOMIC_RELAXED))
		__atomic_store_n(&registry_lo, lo, __ATOMIC_RELAXED);
	if (hi > __atomic_load_n(&registry_hi, __ATOMIC_RELAXED))
		__atomic_store_n(&registry_hi, hi, __ATOMIC_RELAXED);
}

bool iopt_pages_registry_may_cover(uint64_t addr, uint64_t end)
{
	return addr < __atomic_load_n(&registry_hi, __ATOMIC_RELAXED) &&
	       end > __atomic_load_n(&registry_lo, __ATOMIC_RELAXED);
}

/*
 * A pages object joins the registry the first time it pins, and leaves it
 * when it is freed: so the registry lock is never taken inside pages->lock
 * (iopt_pin_count() takes them the other way round).
 */
static void registry_add(struct iopt_pages *pages)
{
	mutex_lock(&registry_lock);
	if (pages->in_registry) {
		mutex_unlock(&registry_lock);
		return;
	}
	pages->in_registry = true;
	registry_widen(pages->uptr, pages->uptr + pages->npages * cpu_page_size());
	pages->registry_prev = NULL;
	pages->registry_next = registry;
	if (registry)
		registry->registry_prev = pages;
	registry = pages;
	mutex_unlock(&registry_lock);
}

static void registry_remove(struct iopt_pages *pages)
{
	mutex_lock(&registry_lock);
	if (!pages->in_registry) {
		mutex_unlock(&registry_lock);
		return;
	}
	if (pages->registry_prev)
		pages->registry_prev->registry_next = pages->registry_next;
	else
		registry = pages->registry_next;
	if (pages->registry_next)
		pages->registry_next->registry_prev = pages->registry_prev;
	if (!registry) {
		__atomic_store_n(&registry_lo, UINT64_MAX, __ATOMIC_RELAXED);
		__atomic_store_n(&registry_hi, 0, __ATOMIC_RELAXED);
	}
	mutex_unlock(&registry_lock);
}

void iopt_pages_registry_lock(void)
{
	mutex_lock(&registry_lock);
}

void iopt_pages_registry_unlock(void)
{
	mutex_unlock(&registry_lock);
}

struct iopt_pages *iopt_pages_registry_first(void)
{
	lockdep_assert_held(&registry_lock);
	return registry;
}

struct iopt_pages *iopt_alloc_user_pages(const struct usermem *mm,
					 uint64_t uptr, uint64_t length,
					 bool writable, int *err)
{
	uint64_t page = cpu_page_size();
	uint64_t start_byte = uptr % page;
	struct iopt_pages *pages;

	if (uptr + length < uptr) {
		*err = -EOVERFLOW;
		return NULL;
	}
	/* Keeps the page count below from overflowing, as the kernel does. */
	if (length == 0 || length > UINT64_MAX - page) {
		*err = -EINVAL;
		return NULL;
	}
	pages = zalloc(sizeof(*pages));
	if (!pages) {
		*err = -ENOMEM;
		return NULL;
	}
	atomic_init(&pages->refs, 1);
	spin_lock_init(&pages->lock, LOCK_RANK_PAGES);
	pages->writable = writable;
	pages->mm = mm;
	itree_init(&pages->pin_holders);
	pages->account_mode = IOPT_PAGES_ACCOUNT_USER;
	pages->uptr = uptr - start_byte;
	/* no overflow: start_byte + length < UINT64_MAX here */
	pages->npages = (start_byte + length) / page +
			((start_byte + length) % page != 0);
	return pages;
}

void iopt_pages_get(struct iopt_pages *pages)
{
	atomic_fetch_add(&pages->refs, 1);
}

void iopt_pages_put(struct iopt_pages *pages)
{
	if (atomic_fetch_sub(&pages->refs, 1) != 1)
		return;
	/* every holder (area, access) holds a reference: none is left */
	registry_remove(pages);
	iopt_pages_aside_drop(pages);
	spin_lock_destroy(&pages->lock);
	free(pages);
}

/* ---- accounting ------------------------------------------------------------- */

static uint64_t memlock_limit_pages(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_MEMLOCK, &limit) || limit.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return limit.rlim_cur / cpu_page_size();
}

/*
 * Charges n pages, or -ENOMEM past RLIMIT_MEMLOCK. Per user the limit always
 * applies (the caller could not lock without limit, or the mode would be
 * NONE); per process, CAP_IPC_LOCK lifts it, as __account_locked_vm() does.
 */
static int account_pinned(uint8_t mode, uint64_t n)
{
	_Atomic uint64_t *counter = &locked_pages[mode];
	uint64_t limit, cur, next;

	if (mode == IOPT_PAGES_ACCOUNT_NONE || !n)
		return 0;
	limit = memlock_limit_pages();
	if (mode == IOPT_PAGES_ACCOUNT_MM && capable(CAP_IPC_LOCK))
		limit = UINT64_MAX;
	cur = atomic_load(counter);
	do {
		if (__builtin_add_overflow(cur, n, &next) || next > limit)
			return -ENOMEM;
	} while (!atomic_compare_exchange_weak(counter, &cur, next));
	return 0;
}

static void unaccount_pinned(uint8_t mode, uint64_t n)
{
	if (mode != IOPT_PAGES_ACCOUNT_NONE)
		atomic_fetch_sub(&locked_pages[mode], n);
}

uint64_t iopt_locked_pages(enum iopt_pages_account_mode mode)
{
	return atomic_load(&locked_pages[mode]);
}

/* ---- pinning ------------------------------------------------------------------ */

/* Pages in [first, last] that no holder covers. */
static uint64_t count_unheld(const struct iopt_pages *pages, uint64_t first,
			     uint64_t last)
{
	struct itree_span span;
	uint64_t n = 0;

	lockdep_assert_held(&pages->lock);
	itree_for_each_span(&span, &pages->pin_holders, first, last)
		if (span.is_hole)
			n += span.last - span.start + 1;
	return n;
}


/*
 * The kernel pins in batches whose bookkeeping may use at most this many
 * bytes (IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT shrinks it to exercise batch
 * boundaries); we fault pages in batches of as many pages as it has room
 * for 8-byte entries.
 */
static _Atomic uint64_t pin_batch_bytes = IOPT_DEFAULT_PIN_BATCH_BYTES;

int iopt_set_pin_batch_bytes(uint64_t bytes)
{
	/* the least a batch needs: one entry and its count */
	if (bytes < sizeof(uint64_t) + sizeof(uint32_t))
		return -EINVAL;
	atomic_store(&pin_batch_bytes, bytes);
	return 0;
}

/* Pages set aside are held already: only those at the program's address
 * are faulted in, as the kernel reuses what it pinned before. */
static int fault_in_batches(struct iopt_pages *pages, uint64_t first,
			    uint64_t last)
{
	uint64_t page = cpu_page_size();
	uint64_t batch = atomic_load(&pin_batch_bytes) / sizeof(uint64_t);
	uint64_t index = first;
	int rc = 0;

	for (;;) {
		uint64_t n = last - index < batch - 1 ? last - index + 1 : batch;
		uint64_t run, at = iopt_pages_hva(pages, index * page, &run);

		if (run / page < n)
			n = run / page;
		if (at == pages->uptr + index * page)
			rc = usermem_fault_in(pages->mm, at, n * page,
					      pages->writable);
		if (rc || last - index < n)
			return rc;
		index += n;
	}
}

int iopt_pages_pin(struct iopt_pages *pages, struct itree_node *holder)
{
	bool unlimited;
	uint64_t n;
	int rc;

	if (holder->last >= pages->npages || holder->start > holder->last)
		return -EINVAL;
	/*
	 * Fault the whole range in before taking the lock: it may take long,
	 * and touching a page another holder already pins does no harm.
	 */
	rc = fault_in_batches(pages, holder->start, holder->last);
	if (rc)
		return rc;
	/*
	 * Who may lock memory without limit is not charged. The kernel asks
	 * when the pages are made (at MAP); we ask before their first pin, to
	 * keep a system call off the MAP path. The answer is the same unless
	 * the capability changes in between.
	 */
	unlimited = capable(CAP_IPC_LOCK);

	spin_lock(&pages->lock);
	if (pages->account_mode == IOPT_PAGES_ACCOUNT_USER &&
	    !pages->npinned && unlimited)
		pages->account_mode = IOPT_PAGES_ACCOUNT_NONE;
	n = count_unheld(pages, holder->start, holder->last);
	rc = account_pinned(pages->account_mode, n);
	if (!rc) {
		itree_insert(&pages->pin_holders, holder);
		pages->npinned += n;
	}
	spin_unlock(&pages->lock);
	if (!rc)
		registry_add(pages);
	return rc;
}

static int rw_copy(const struct iopt_pages *pages, uint64_t start_byte,
		   void *data, uint64_t length, bool write)
{
	uint64_t uaddr = pages->uptr + start_byte;

	return write ? usermem_copy_to(pages->mm, uaddr, data, length) :
		       usermem_copy_from(pages->mm, data, uaddr, length);
}

int iopt_pages_rw_access(struct iopt_pages *pages, uint64_t start_byte,
			 void *data, uint64_t length, bool write, bool by_page)
{
	uint64_t page = cpu_page_size();
	int rc = 0;

	if (write && !pages->writable)
		return -EPERM;
	if (!by_page)
		return rw_copy(pages, start_byte, data, length, write);
	while (length && !rc) {
		uint64_t offset = start_byte % page;
		uint64_t chunk = page - offset < length ? page - offset : length;

		rc = usermem_fault_in(pages->mm,
				      pages->uptr + (start_byte - offset), page,
				      write);
		if (!rc)
			rc = rw_copy(pages, start_byte, data, chunk, write);
		data = (uint8_t *)data + chunk;
		start_byte += chunk;
		length -= chunk;
	}
	return rc;
}

uint64_t iopt_pages_contig(struct iopt_pages *pages)
{
	uint64_t contig = __atomic_load_n(&pages->contig, __ATOMIC_RELAXED);

	if (!contig) {
		contig = usermem_backing_page_size(
			pages->mm, pages->uptr, pages->npages * cpu_page_size());
		__atomic_store_n(&pages->contig, contig, __ATOMIC_RELAXED);
	}
	return contig;
}

void iopt_pages_unpin(struct iopt_pages *pages, struct itree_node *holder)
{
	uint64_t n;

	spin_lock(&pages->lock);
	itree_remove(&pages->pin_holders, holder);
	n = count_unheld(pages, holder->start, holder->last);
	unaccount_pinned(pages->account_mode, n);
	pages->npinned -= n;
	iopt_pages_aside_trim(pages);
	spin_unlock(&pages->lock);
}

unsigned int iopt_pin_count(uint64_t uaddr)
{
	uint64_t page = cpu_page_size();
	unsigned int count = 0;

	mutex_lock(&registry_lock);
	for (struct iopt_pages *p = registry; p; p = p->registry_next) {
		uint64_t index;

		if (uaddr < p->uptr || uaddr - p->uptr >= p->npages * page)
			continue;
		index = (uaddr - p->uptr) / page;
		spin_lock(&p->lock);
		/* a page set aside is no longer at uaddr */
		if (itree_iter_first(&p->pin_holders, index, index) &&
		    !iopt_pages_index_aside(p, index))
			count++;
		spin_unlock(&p->lock);
	}
	mutex_unlock(&registry_lock);
	return count;
}
