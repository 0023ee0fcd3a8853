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
#include "iommufd/dmabuf_pages.h"
#include "iommufd/file_pages.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/pages.h"
#include "base/usermem.h"
#include "base/zalloc.h"

/* Pages charged per mode: the kernel's user->locked_vm and mm->locked_vm. */
static _Atomic uint64_t locked_pages[3];

/* Every pages object with pinned pages, for iopt_pin_count(). */
static struct mutex registry_lock = MUTEX_INIT(LOCK_RANK_PAGES_REGISTRY);
static struct iopt_pages *registry;
/* How many of them are files (their pages are found by identity too). */
static atomic_uint file_pages_in_registry;

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
	if (pages->type == IOPT_PAGES_FILE)
		atomic_fetch_add(&file_pages_in_registry, 1);
	else if (pages->type == IOPT_PAGES_USER)
		registry_widen(pages->uptr,
			       pages->uptr + pages->npages * cpu_page_size());
	pages->registry_prev = NULL;
	pages->registry_next = registry;
	if (registry)
		registry->registry_prev = pages;
	registry = pages;
	mutex_unlock(&registry_lock);
}

/* Only at the last put: no other thread holds pages, so in_registry is
 * settled and read without the lock (most pages never pinned, and an
 * UNMAP without a domain then takes no lock for them). */
static void registry_remove(struct iopt_pages *pages)
{
	if (!pages->in_registry)
		return;
	mutex_lock(&registry_lock);
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
	if (pages->type == IOPT_PAGES_FILE)
		atomic_fetch_sub(&file_pages_in_registry, 1);
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

struct iopt_pages *iopt_alloc_pages(size_t size, enum iopt_pages_type type,
				    uint64_t start_byte, uint64_t length,
				    bool writable, int *err)
{
	uint64_t page = cpu_page_size();
	struct iopt_pages *pages;

	/* Keeps the page count below from overflowing, as the kernel does. */
	if (length == 0 || length > UINT64_MAX - page) {
		*err = -EINVAL;
		return NULL;
	}
	pages = zalloc(size);
	if (!pages) {
		*err = -ENOMEM;
		return NULL;
	}
	atomic_init(&pages->refs, 1);
	spin_lock_init(&pages->lock, LOCK_RANK_PAGES);
	pages->type = (uint8_t)type;
	pages->writable = writable;
	itree_init(&pages->pin_holders);
	pages->account_mode = IOPT_PAGES_ACCOUNT_USER;
	/* no overflow: start_byte < page and length <= UINT64_MAX - page */
	pages->npages = (start_byte + length) / page +
			((start_byte + length) % page != 0);
	return pages;
}

struct iopt_pages *iopt_alloc_user_pages(const struct usermem *mm,
					 uint64_t uptr, uint64_t length,
					 bool writable, int *err)
{
	uint64_t start_byte = uptr % cpu_page_size();
	struct iopt_pages *pages;

	if (uptr + length < uptr) {
		*err = -EOVERFLOW;
		return NULL;
	}
	pages = iopt_alloc_pages(sizeof(*pages), IOPT_PAGES_USER, start_byte,
				 length, writable, err);
	if (!pages)
		return NULL;
	pages->mm = mm;
	pages->uptr = uptr - start_byte;
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
	switch (pages->type) {
	case IOPT_PAGES_FILE:
		iopt_file_pages_release(pages);
		break;
	case IOPT_PAGES_DMABUF:
		iopt_dmabuf_pages_release(pages);
		break;
	}
	free(pages);
}

unsigned int cpu_page_shift = 12;

__attribute__((constructor(101))) static void cpu_page_shift_init(void)
{
	cpu_page_shift = (unsigned int)__builtin_ctz((unsigned int)getpagesize());
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
	if (pages->type == IOPT_PAGES_FILE && !iopt_file_pages_pinnable(pages))
		return -EINVAL;
	/*
	 * Fault the whole range in before taking the lock: it may take long,
	 * and touching a page another holder already pins does no harm. A
	 * dma-buf is a device's memory: nothing to fault in (nor to charge:
	 * its accounting is NONE).
	 */
	if (pages->type != IOPT_PAGES_DMABUF) {
		rc = fault_in_batches(pages, holder->start, holder->last);
		/* a file's page that cannot be had lies past its end */
		if (rc && pages->type == IOPT_PAGES_FILE)
			return -EINVAL;
		if (rc)
			return rc;
	}
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
	/* MD_CHECK_REFS counts what a CPU address reaches: not a dma-buf */
	if (!rc && pages->type != IOPT_PAGES_DMABUF)
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
	/* a device's memory: no CPU copy of it (the kernel's EINVAL) */
	if (pages->type == IOPT_PAGES_DMABUF)
		return -EINVAL;
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

/* Whether p holds the page at uaddr (identity id, when the page is a
 * file's) pinned. Under registry_lock. */
static bool pins_page(struct iopt_pages *p, uint64_t uaddr,
		      const struct usermem_page_id *id)
{
	uint64_t page = cpu_page_size(), index;
	bool held;

	if (p->type == IOPT_PAGES_FILE && id->ino) {
		if (!iopt_file_pages_index_of(p, id, &index))
			return false;
	} else {
		if (uaddr < p->uptr || uaddr - p->uptr >= p->npages * page)
			return false;
		index = (uaddr - p->uptr) / page;
	}
	spin_lock(&p->lock);
	/* a page set aside is no longer at uaddr */
	held = itree_iter_first(&p->pin_holders, index, index) &&
	       !(p->type == IOPT_PAGES_USER && iopt_pages_index_aside(p, index));
	spin_unlock(&p->lock);
	return held;
}

unsigned int iopt_pin_count(uint64_t uaddr)
{
	struct usermem_page_id id = { .offset = uaddr };
	unsigned int count = 0;

	/* asked only when a file is pinned: it costs a system call */
	if (atomic_load(&file_pages_in_registry))
		usermem_page_identity(usermem_self(), uaddr, &id);
	mutex_lock(&registry_lock);
	for (struct iopt_pages *p = registry; p; p = p->registry_next)
		count += pins_page(p, uaddr, &id);
	mutex_unlock(&registry_lock);
	return count;
}

bool iopt_same_memory(uint64_t phys, const struct usermem *mm, uint64_t uptr)
{
	struct usermem_page_id a, b;

	if (phys == uptr)
		return true;
	return !usermem_page_identity(usermem_self(), phys, &a) &&
	       !usermem_page_identity(mm, uptr, &b) && a.ino &&
	       a.dev == b.dev && a.ino == b.ino && a.offset == b.offset;
}

uint64_t iopt_pages_source_start(const struct iopt_pages *pages)
{
	switch (pages->type) {
	case IOPT_PAGES_FILE:
		return iopt_file_pages_start(pages);
	case IOPT_PAGES_DMABUF:
		return iopt_dmabuf_pages_start(pages);
	}
	return pages->uptr;
}

/* ---- moving the accounting (IOMMU_IOAS_CHANGE_PROCESS) -------------------- */

/* Charged to the caller already: no charge (NONE), or the caller's own
 * pages. Both counters are process-wide, so only the address space can
 * differ (the kernel also compares the user). */
static bool need_charge_update(const struct iopt_pages *pages,
			       const struct usermem *mm)
{
	return pages->account_mode != IOPT_PAGES_ACCOUNT_NONE &&
	       pages->mm != mm;
}

int iopt_pages_change_mm(struct iopt_pages *const *pages, size_t n,
			 const struct usermem *mm)
{
	uint64_t charge[3] = { 0 };
	unsigned int mode;
	int rc = 0;

	/* A pages object shared by several areas comes once per area:
	 * count each once (the kernel zeroes last_npinned to tell). */
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = pages[j] == pages[i];
		if (!seen && need_charge_update(pages[i], mm))
			charge[pages[i]->account_mode] += pages[i]->npinned;
	}
	for (mode = 0; mode < 3 && !rc; mode++)
		rc = account_pinned((uint8_t)mode, charge[mode]);
	if (rc) {
		/* mode went one past the one that failed */
		for (mode--; mode-- > 0;)
			unaccount_pinned((uint8_t)mode, charge[mode]);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (!need_charge_update(pages[i], mm))
			continue;
		unaccount_pinned(pages[i]->account_mode, pages[i]->npinned);
		pages[i]->mm = mm;
	}
	return 0;
}
