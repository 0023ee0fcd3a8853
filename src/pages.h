/* SPDX-License-Identifier: MIT */
/*
 * struct iopt_pages: the user memory one MAP named, shared by every area
 * that maps a slice of it (COPY makes a second area on the same pages).
 *
 * Index 0 is the page containing 'uptr'; the pages cover
 * [uptr, uptr + npages * page size). DESIGN.md: a page's "physical address"
 * is its host virtual address, so resolving an index is arithmetic.
 *
 * Pinning and its accounting happen when a domain or an access needs the
 * memory (as on the kernel, a MAP into an IOAS with neither touches
 * nothing); they arrive with the issues that bring domains and accesses.
 */
#ifndef IOMMUSIM_PAGES_H
#define IOMMUSIM_PAGES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

/* How pinned pages are charged against RLIMIT_MEMLOCK (IOMMU_OPTION). */
enum iopt_pages_account_mode {
	IOPT_PAGES_ACCOUNT_NONE,
	IOPT_PAGES_ACCOUNT_USER,
	IOPT_PAGES_ACCOUNT_MM,
};

struct iopt_pages {
	atomic_uint refs;
	bool writable;
	uint8_t account_mode;
	uint64_t uptr;	 /* page-aligned user address of index 0 */
	uint64_t npages;
};

/* The CPU page size: the unit of pinning, as PAGE_SIZE is on the kernel. */
static inline uint64_t cpu_page_size(void)
{
	return (uint64_t)getpagesize();
}

/* The largest leaf a CPU page table maps with one entry above the base page
 * (HPAGE_SIZE: 2 MiB with 4 KiB pages). */
static inline uint64_t cpu_huge_page_size(void)
{
	return cpu_page_size() * (cpu_page_size() / sizeof(uint64_t));
}

/*
 * Pages for [uptr, uptr + length). NULL with *err: -EOVERFLOW when the range
 * wraps, -EINVAL for a zero or absurd length, -ENOMEM.
 */
struct iopt_pages *iopt_alloc_user_pages(uint64_t uptr, uint64_t length,
					 bool writable, int *err);
void iopt_pages_get(struct iopt_pages *pages);
void iopt_pages_put(struct iopt_pages *pages);

#endif /* IOMMUSIM_PAGES_H */
