// SPDX-License-Identifier: MIT
/*
 * The program takes memory out of its address space: munmap(), mmap() with
 * MAP_FIXED over a mapping, mremap(). The shim calls here first, so that
 * pages pinned for DMA outlive the call as on the kernel (pages.h, "Set
 * aside"): with every other thread out of the library, the pinned pages
 * move aside and every domain mapping them is mapped again, so no device
 * ever sees a half-moved page.
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
#include "base/trace.h"
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

static void report(const char *call, uint64_t addr, uint64_t len,
		   const struct iopt_pages_set *moved, int rc)
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
			" DMA there now faults\n",
			call, addr, len);
}

/* Every domain of every context maps the moved pages again. */
static int remap_all(const struct iopt_pages_set *moved)
{
	struct remap remap = { .moved = moved };

	if (moved->n)
		iommufd_for_each_context(remap_context, &remap);
	return remap.rc;
}

void iommufd_before_unmap(const char *call, uint64_t addr, uint64_t len)
{
	struct iopt_pages_set moved = { 0 };
	int rc;

	if (!len || !iopt_pages_pinned_in(addr, len))
		return;
	/* From inside the library it is the library's own memory. */
	if (!fork_gate_quiesce())
		return;
	rc = iopt_pages_set_aside(addr, len, &moved);
	if (!rc)
		rc = remap_all(&moved);
	fork_gate_resume();
	if (moved.n || rc)
		report(call, addr, len, &moved, rc);
	iopt_pages_set_release(&moved);
}

/*
 * What stays and what goes in an mremap(): a shrunk tail and whatever a
 * MREMAP_FIXED destination covered go, as in a munmap(); the rest moves
 * with its pinned pages, which follow it (the kernel's pins do: they hold
 * the pages, wherever the program maps them). The move itself runs with
 * the world stopped, so no device sees the pages between two addresses.
 */
void *iommufd_mremap(iommufd_mremap_fn real_mremap, void *old,
		     size_t old_size, size_t new_size, int flags,
		     void *new_addr)
{
	uint64_t from = (uint64_t)(uintptr_t)old;
	uint64_t kept = new_size < old_size ? new_size : old_size;
	struct iopt_pages_set moved = { 0 };
	void *to;
	int rc;

	if (flags & MREMAP_FIXED)
		iommufd_before_unmap("mremap", (uint64_t)(uintptr_t)new_addr,
				     new_size);
	if (new_size < old_size)
		iommufd_before_unmap("mremap", from + new_size,
				     old_size - new_size);
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
		report("mremap", from, old_size, &moved, rc);
	iopt_pages_set_release(&moved);
	return to;
}
