/* SPDX-License-Identifier: MIT */
/*
 * The library's allocations. Each is an injection site (base/fault_inject.h):
 * when told to fail it returns NULL without calling the C library, which is
 * what the caller sees when memory really runs out, so the failure takes
 * the caller's own error path. The site is named for the report by the
 * function that allocates.
 *
 *   lib_malloc(size), lib_calloc(n, size), lib_realloc(p, size): as the C
 *       library's (a failed lib_realloc leaves p as it was);
 *   zalloc(size) (base/zalloc.h): zeroed, for the hot paths;
 *   lib_alloc_pages(align, size): whole pages (page tables), zeroed and
 *       aligned; the kernel's page allocator, so fail_page_alloc's
 *       attributes apply, with the order the size rounds up to.
 *
 * boot_calloc() is the one allocation that is not a site: what is built
 * once per process for the platform (configured devices and their IOMMUs),
 * which the kernel makes at boot or probe, outside any task's system call.
 * Every other allocation in src/ goes through a site (tests/alloc-lint.sh
 * checks).
 */
#ifndef IOMMUSIM_BASE_ALLOC_H
#define IOMMUSIM_BASE_ALLOC_H

#include <stdlib.h>
#include <string.h>

#include "base/fault_inject.h"

#define lib_malloc(size) lib_malloc_at((size), __func__)
#define lib_calloc(n, size) lib_calloc_at((n), (size), __func__)
#define lib_realloc(p, size) lib_realloc_at((p), (size), __func__)
#define lib_alloc_pages(align, size) \
	lib_alloc_pages_at((align), (size), __func__)

static inline void *lib_malloc_at(size_t size, const char *site)
{
	if (fault_should_fail(FAULT_SLAB, 0, site))
		return NULL;
	return malloc(size);
}

static inline void *lib_calloc_at(size_t n, size_t size, const char *site)
{
	if (fault_should_fail(FAULT_SLAB, 0, site))
		return NULL;
	return calloc(n, size);
}

static inline void *lib_realloc_at(void *p, size_t size, const char *site)
{
	if (fault_should_fail(FAULT_SLAB, 0, site))
		return NULL;
	return realloc(p, size);
}

/* The page order of size bytes: log2 of the 4 KiB pages, rounded up. */
static inline unsigned int alloc_pages_order(size_t size)
{
	unsigned int order = 0;

	while (((size_t)4096 << order) < size)
		order++;
	return order;
}

static inline void *lib_alloc_pages_at(size_t align, size_t size,
				       const char *site)
{
	void *p;

	if (fault_should_fail(FAULT_PAGE_ALLOC, alloc_pages_order(size), site))
		return NULL;
	if (posix_memalign(&p, align, size))
		return NULL;
	memset(p, 0, size);
	return p;
}

static inline void *boot_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

#endif /* IOMMUSIM_BASE_ALLOC_H */
