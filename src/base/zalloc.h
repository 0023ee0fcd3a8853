/* SPDX-License-Identifier: MIT */
/*
 * zalloc(): a zeroed allocation for the hot paths, and an injection site
 * like every allocation (base/alloc.h). glibc's calloc() skips the
 * per-thread cache (tcache) that malloc() uses, so a MAP/UNMAP pair built on
 * calloc() walks the allocator's bins every time; malloc() and memset() of
 * a small object stay in the cache.
 */
#ifndef IOMMUSIM_ZALLOC_H
#define IOMMUSIM_ZALLOC_H

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define zalloc(size) zalloc_at((size), __func__)

static inline void *zalloc_at(size_t size, const char *site)
{
	void *p = lib_malloc_at(size, site);

	/* Hides p from gcc, which would otherwise fold malloc+memset back
	 * into calloc. */
	__asm__("" : "+r"(p));
	if (p)
		memset(p, 0, size);
	return p;
}

#endif /* IOMMUSIM_ZALLOC_H */
