// SPDX-License-Identifier: MIT
/*
 * The program takes memory out of its address space: munmap(), mmap() with
 * MAP_FIXED over a mapping, mremap(), shmdt(), or drops its pages:
 * madvise(). The shim calls here first, so that pages pinned for DMA
 * outlive the call as on the kernel (pages.h, "Set aside"): with every
 * other thread out of the library, the pinned pages move aside and every
 * domain mapping them is mapped again, so no device ever sees a half-moved
 * page.
 *
 * A program that does this while devices may still use the memory has a
 * use-after-unmap the hardware would hide: IOMMUSIM_WARN_UNMAP=1
 * (iommusim run --warn-unmap) says so on stderr, and the trace has it as a
 * "set_aside" event.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/fork_gate.h"
#include "base/reentry.h"
#include "base/trace.h"
#include "base/usermem.h"
#include "iommufd/ioas.h"
#include "iommufd/iommufd.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/pages.h"

static pthread_once_t warn_once = PTHREAD_ONCE_INIT;
static bool warn_on;

static void read_warn_env(void)
{
	const char *v = getenv(IOMMUFD_WARN_UNMAP_ENV);

	warn_on = v && strcmp(v, "1") == 0;
}

struct remap {
	const struct iopt_pages_set *moved;
	int rc;
};

/* Every IOAS of the context; a failure is remembered, the walk goes on. */
static int remap_context(struct iommufd_ctx *ictx, void *arg)
{
	struct remap *remap = arg;
	struct iommufd_object **objs;
	size_t n;

	objs = object_get_all(ictx, &n);
	if (!objs) {
		remap->rc = -ENOMEM;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (objs[i]->type == IOMMUFD_OBJ_IOAS &&
		    iopt_remap_set_aside(&to_ioas(objs[i])->iopt,
					 remap->moved))
			remap->rc = -ENOMEM;
		object_put(ictx, objs[i]);
	}
	free(objs);
	return 0;
}

/* What a device sees where the library found no memory to keep the
 * pinned pages: nothing, once the memory is unmapped; the program's new
 * pages, once madvise() dropped the old ones. */
static const char *const lost_unmapped = "DMA there now faults";
static const char *const lost_dropped =
	"the devices see the program's new pages there";

static void report(const char *call, uint64_t addr, uint64_t len,
		   const struct iopt_pages_set *moved, int rc,
		   const char *lost)
{
	trace_event("set_aside", TA_STR("call", call), TA_HEX("addr", addr),
		    TA_HEX("len", len), TA_DEC("pages", moved->moved_pages),
		    TA_STR("result", rc ? trace_errno_name(-rc) : "0"));
	pthread_once(&warn_once, read_warn_env);
	if (warn_on)
		fprintf(stderr,
			"iommusim: %s(0x%" PRIx64 ", 0x%" PRIx64
			") takes away %" PRIu64
			" pinned page(s) still mapped for DMA; the devices keep"
			" them until IOMMU_IOAS_UNMAP\n",
			call, addr, len, moved->moved_pages);
	if (rc)
		fprintf(stderr,
			"iommusim: %s(0x%" PRIx64 ", 0x%" PRIx64
			"): no memory to keep its pinned pages for the devices;"
			" %s\n",
			call, addr, len, lost);
}

/* Every domain of every context maps the moved pages again. */
static int remap_all(const struct iopt_pages_set *moved)
{
	struct remap remap = { .moved = moved };

	if (moved->n)
		iommufd_for_each_context(remap_context, &remap);
	return remap.rc;
}

/* The end of a call that set pages aside: the world goes on, and what was
 * done is said. */
static void resume_and_report(const char *call, uint64_t addr, uint64_t len,
			      struct iopt_pages_set *moved, int rc,
			      const char *lost)
{
	fork_gate_resume();
	if (moved->n || rc)
		report(call, addr, len, moved, rc, lost);
	iopt_pages_set_release(moved);
}

static void before_unmap(const char *call, uint64_t addr, uint64_t len)
{
	struct iopt_pages_set moved = { 0 };
	int rc;

	/* an unaligned start fails the call with EINVAL: nothing goes */
	if (!len || (addr & (cpu_page_size() - 1)) ||
	    !iopt_pages_pinned_in(addr, len))
		return;
	/* From inside the library it is the library's own memory. */
	if (!fork_gate_quiesce())
		return;
	rc = iopt_pages_set_aside(addr, len, &moved);
	if (!rc)
		rc = remap_all(&moved);
	resume_and_report(call, addr, len, &moved, rc, lost_unmapped);
}

/*
 * Each wrapper's work is a call into the library, guarded as an ioctl is
 * (base/reentry.h): made by a signal handler that interrupted the library
 * on its thread (an ioctl, or a wrapper's own work with the world
 * stopped), it could wait for a lock the interrupted code holds, so the
 * program's call goes straight through, and a handler's ioctl meanwhile is
 * refused with EDEADLK.
 */
void iommufd_before_unmap(const char *call, uint64_t addr, uint64_t len)
{
	if (reentry_enter()) {
		before_unmap(call, addr, len);
		reentry_leave();
	}
}

/*
 * What stays and what goes in an mremap(): a shrunk tail and whatever a
 * MREMAP_FIXED destination covered go, as in a munmap(); the rest moves
 * with its pinned pages, which follow it (the kernel's pins do: they hold
 * the pages, wherever the program maps them). The move itself runs with
 * the world stopped, so no device sees the pages between two addresses.
 */
static void *mremap_keeping_pins(iommufd_mremap_fn real_mremap, void *old,
				 size_t old_size, size_t new_size, int flags,
				 void *new_addr)
{
	uint64_t from = (uint64_t)(uintptr_t)old;
	uint64_t kept = new_size < old_size ? new_size : old_size;
	struct iopt_pages_set moved = { 0 };
	void *to;
	int rc;

	if (flags & MREMAP_FIXED)
		before_unmap("mremap", (uint64_t)(uintptr_t)new_addr,
			     new_size);
	if (new_size < old_size)
		before_unmap("mremap", from + new_size, old_size - new_size);
	if (!kept || !iopt_pages_pinned_in(from, kept) ||
	    !fork_gate_quiesce())
		return real_mremap(old, old_size, new_size, flags, new_addr);
	to = real_mremap(old, old_size, new_size, flags, new_addr);
	if (to == MAP_FAILED || to == old) {
		fork_gate_resume();
		return to;
	}
	rc = iopt_pages_follow(from, kept, (uint64_t)(uintptr_t)to, &moved);
	if (!rc)
		rc = remap_all(&moved);
	fork_gate_resume();
	if (rc)
		report("mremap", from, old_size, &moved, rc, lost_unmapped);
	iopt_pages_set_release(&moved);
	return to;
}

void *iommufd_mremap(iommufd_mremap_fn real_mremap, void *old,
		     size_t old_size, size_t new_size, int flags,
		     void *new_addr)
{
	return REENTRY_GUARDED_ELSE(
		void *,
		mremap_keeping_pins(real_mremap, old, old_size, new_size,
				    flags, new_addr),
		real_mremap(old, old_size, new_size, flags, new_addr));
}

/* ---- shmdt() -------------------------------------------------------------------- */

/*
 * The memory shmdt(addr) detaches: the SysV segment's mappings from addr
 * on, each at the offset in the segment its distance from addr says (the
 * kernel's own rule, which finds the fragments an mprotect() or munmap()
 * left). 0 when addr is no segment's start.
 */
static uint64_t shm_attach_length(uint64_t addr)
{
	struct usermem_mapping m, next;
	uint64_t end;

	if (usermem_mapping_at(usermem_self(), addr, &m) || !m.sysv_shm ||
	    m.start != addr || m.offset)
		return 0;
	for (end = m.end;
	     !usermem_mapping_at(usermem_self(), end, &next) &&
	     next.sysv_shm && next.dev == m.dev && next.ino == m.ino &&
	     next.start == end && next.offset == end - addr;
	     end = next.end)
		;
	return end - addr;
}

/*
 * shmdt() of pinned memory: the pinned pages are set aside as for a
 * munmap(), moved with their mapping, so they stay the segment's. What is
 * left is detached by the call; when nothing is (every page was pinned),
 * the detach is done, and the call, which would find no segment at addr,
 * is not made.
 */
static int shmdt_keeping_pins(iommufd_shmdt_fn real_shmdt, const void *addr)
{
	uint64_t start = (uint64_t)(uintptr_t)addr, len;
	struct iopt_pages_set moved = { 0 };
	int r = 0, saved_errno = errno, rc;

	/* the mappings are asked only when something is pinned from addr on */
	if (!iopt_pages_pinned_in(start, UINT64_MAX - start))
		return real_shmdt(addr);
	len = shm_attach_length(start);
	if (!len || !iopt_pages_pinned_in(start, len) ||
	    !fork_gate_quiesce())
		return real_shmdt(addr);
	rc = iopt_pages_set_aside(start, len, &moved);
	if (!rc)
		rc = remap_all(&moved);
	if (moved.moved_pages * cpu_page_size() < len) {
		r = real_shmdt(addr);
		saved_errno = errno;
	}
	resume_and_report("shmdt", start, len, &moved, rc, lost_unmapped);
	errno = saved_errno;
	return r;
}

int iommufd_shmdt(iommufd_shmdt_fn real_shmdt, const void *addr)
{
	return REENTRY_GUARDED_ELSE(int, shmdt_keeping_pins(real_shmdt, addr),
				    real_shmdt(addr));
}

/* ---- madvise() ------------------------------------------------------------------ */

/* Linux 6.13's guard pages: the C library's headers may predate them. */
#define IOMMUFD_MADV_GUARD_INSTALL 102

/* The length madvise() works on, whole pages; 0 when it has none (the
 * call then fails, or does nothing, without us). */
static uint64_t advised_length(uint64_t addr, size_t len)
{
	uint64_t page = cpu_page_size(), end;

	if (addr % page || __builtin_add_overflow(addr, len, &end) ||
	    end > UINT64_MAX - page)
		return 0;
	return ((end + page - 1) & ~(page - 1)) - addr;
}

/*
 * A call that takes pages from the program (MADV_DONTNEED, MADV_REMOVE):
 * on the kernel a pinned page stays the device's while the program gets
 * fresh ones. The pinned pages the call drops are copied aside first, the
 * call is made with the world still stopped, and the domains map the
 * copies if it succeeded. ENOMEM means it skipped holes and did the rest.
 */
static int madvise_dropping(iommufd_madvise_fn real_madvise, void *addr,
			    size_t len, int advice, enum iopt_drop drop)
{
	uint64_t start = (uint64_t)(uintptr_t)addr;
	uint64_t span = advised_length(start, len);
	struct iopt_pages_copies copies;
	struct iopt_pages_set moved = { 0 };
	int r, saved_errno, rc;

	if (!span || !iopt_pages_pinned_in(start, span) ||
	    !fork_gate_quiesce())
		return real_madvise(addr, len, advice);
	rc = iopt_pages_copy_aside(start, span, drop, &copies);
	r = real_madvise(addr, len, advice);
	saved_errno = errno;
	if (r && saved_errno != ENOMEM) {
		iopt_pages_copies_drop(&copies);
		rc = 0;
	} else if (!rc) {
		rc = iopt_pages_copies_keep(&copies, &moved);
		if (!rc)
			rc = remap_all(&moved);
	}
	resume_and_report("madvise", start, span, &moved, rc, lost_dropped);
	errno = saved_errno;
	return r;
}

/* Whether MADV_FREE applies to [start, end): private anonymous memory
 * throughout (the kernel's EINVAL otherwise). */
static bool lazily_freeable(uint64_t start, uint64_t end)
{
	while (start < end) {
		struct usermem_mapping m;

		if (usermem_mapping_at(usermem_self(), start, &m) ||
		    m.shared || m.ino)
			return false;
		start = m.end;
	}
	return true;
}

/* MADV_FREE over [start, start + span) but the pinned spans, in address
 * order, as the kernel goes mapping by mapping: it stops at the first
 * failure but ENOMEM (a hole), which it reports at the end. */
static int free_around(iommufd_madvise_fn real_madvise, uint64_t start,
		       uint64_t span, const struct iopt_spans *pinned)
{
	uint64_t at = start, end = start + span;
	bool hole = false;

	for (size_t i = 0; i <= pinned->n; i++) {
		uint64_t next = i < pinned->n ? pinned->v[i].start : end;

		if (at < next &&
		    real_madvise((void *)(uintptr_t)at, next - at, MADV_FREE)) {
			if (errno != ENOMEM)
				return -1;
			hole = true;
		}
		if (i == pinned->n)
			break;
		if (!lazily_freeable(pinned->v[i].start, pinned->v[i].end)) {
			errno = EINVAL;
			return -1;
		}
		at = pinned->v[i].end;
	}
	if (hole) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * MADV_FREE: the kernel never frees a page a pin holds (its reclaim finds
 * the pin's extra reference), so program and devices go on sharing it.
 * Here no real pin holds it: the pinned spans are left out of the call.
 */
static int madvise_free(iommufd_madvise_fn real_madvise, void *addr,
			size_t len)
{
	uint64_t start = (uint64_t)(uintptr_t)addr;
	uint64_t span = advised_length(start, len);
	struct iopt_spans pinned;
	int r;

	if (!span || !iopt_pages_pinned_in(start, span) ||
	    !fork_gate_quiesce())
		return real_madvise(addr, len, MADV_FREE);
	if (iopt_pages_pinned_spans(start, span, &pinned)) {
		fork_gate_resume();
		/* no memory to tell the pins apart: nothing is freed */
		return 0;
	}
	r = free_around(real_madvise, start, span, &pinned);
	fork_gate_resume();
	free(pinned.v);
	return r;
}

static int madvise_keeping_pins(iommufd_madvise_fn real_madvise, void *addr,
				size_t len, int advice)
{
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case IOMMUFD_MADV_GUARD_INSTALL:
		return madvise_dropping(real_madvise, addr, len, advice,
					IOPT_DROP_PRIVATE);
	case MADV_REMOVE:
		return madvise_dropping(real_madvise, addr, len, advice,
					IOPT_DROP_ALL);
	case MADV_FREE:
		return madvise_free(real_madvise, addr, len);
	}
	return real_madvise(addr, len, advice);
}

int iommufd_madvise(iommufd_madvise_fn real_madvise, void *addr, size_t len,
		    int advice)
{
	return REENTRY_GUARDED_ELSE(
		int, madvise_keeping_pins(real_madvise, addr, len, advice),
		real_madvise(addr, len, advice));
}
