// SPDX-License-Identifier: MIT
/*
 * The lifetime of struct iopt_pages.
 */
#include <errno.h>
#include <stdlib.h>

#include "pages.h"
#include "zalloc.h"

struct iopt_pages *iopt_alloc_user_pages(uint64_t uptr, uint64_t length,
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
	pages->writable = writable;
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
	if (atomic_fetch_sub(&pages->refs, 1) == 1)
		free(pages);
}
