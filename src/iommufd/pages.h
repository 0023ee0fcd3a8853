/* SPDX-License-Identifier: MIT */
/*
 * struct iopt_pages: the user memory one MAP named, shared by every area
 * that maps a slice of it (COPY makes a second area on the same pages).
 *
 * Index 0 is the page containing 'uptr'; the pages cover
 * [uptr, uptr + npages * page size). DESIGN.md: a page's "physical address"
 * is its host virtual address, so resolving an index is arithmetic.
 *
 * Pinning. As on the kernel, a MAP into an IOAS with no domain touches
 * nothing; a page is pinned while something needs it to stay put: an area
 * filled into a domain, or an access's pin. Each such holder is a range of
 * page indexes in 'pin_holders'; the pinned pages are their union, so a
 * page shared by two areas of the same pages is pinned, and accounted,
 * once. Pinning faults the pages in through the user-memory interface
 * (writable pages for write), which is where a bad or read-only user
 * address becomes -EFAULT.
 *
 * Accounting charges newly pinned pages against RLIMIT_MEMLOCK, per user or
 * per process (IOMMU_OPTION_RLIMIT_MODE). Both counters are process-wide
 * here: a user's other processes are not visible to us.
 *
 * Locking: 'lock' guards pin_holders and npinned. The registry of pages
 * objects that ever pinned has its own lock, which comes before 'lock'
 * (iommufd_private.h).
 */
#ifndef IOMMUSIM_PAGES_H
#define IOMMUSIM_PAGES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "base/interval_tree.h"
#include "base/spinlock.h"

struct usermem;

/* How pinned pages are charged against RLIMIT_MEMLOCK (IOMMU_OPTION). */
enum iopt_pages_account_mode {
	IOPT_PAGES_ACCOUNT_NONE,
	IOPT_PAGES_ACCOUNT_USER,
	IOPT_PAGES_ACCOUNT_MM,
};

/*
 * Where the pages come from (the kernel's IOPT_ADDRESS_*). A file or a
 * dma-buf has no address in the caller's memory: the library reaches it
 * through its own mapping, whose address is then 'uptr' (a page's
 * "physical address", as DESIGN.md has it), and the pages object is the
 * head of a larger one (file_pages.h, dmabuf_pages.h).
 */
enum iopt_pages_type {
	IOPT_PAGES_USER,   /* IOMMU_IOAS_MAP: the caller's memory */
	IOPT_PAGES_FILE,   /* IOMMU_IOAS_MAP_FILE of a memfd or other file */
	IOPT_PAGES_DMABUF, /* IOMMU_IOAS_MAP_FILE of a dma-buf */
};

/* Laid out so that a 4 KiB area's pages fit malloc's 96-byte chunk: the
 * small fields share one word (DESIGN's budget per live area). */
struct iopt_pages {
	atomic_uint refs;
	bool writable;
	uint8_t account_mode;
	/* in the registry from its first pin to its end */
	bool in_registry;
	uint8_t type; /* enum iopt_pages_type, fixed at creation */
	struct spinlock lock;
	uint64_t uptr;	 /* page-aligned address of index 0 (see the type) */
	uint64_t npages;
	const struct usermem *mm; /* whose memory */
	struct itree pin_holders; /* page-index ranges held pinned */
	uint64_t npinned;	  /* pages in their union */
	/* __atomic: how far its memory is physically contiguous (aligned
	 * runs of this many bytes), 0 until a domain first asks */
	uint64_t contig;
	struct iopt_pages *registry_prev, *registry_next;
};

/*
 * The CPU page size: the unit of pinning, as PAGE_SIZE is on the kernel.
 * Written as a power of two so that the compiler turns every division and
 * remainder by it into a shift and a mask, as the kernel's constant does
 * (a 64-bit division costs tens of cycles, and MAP makes several). Its
 * log2 is read once, by the library's first constructor (getpagesize() is
 * a call into libc, and the domain path asked it a dozen times a MAP);
 * until then it is 12, the size x86-64 always has.
 */
extern unsigned int cpu_page_shift;

static inline uint64_t cpu_page_size(void)
{
	return 1ull << cpu_page_shift;
}

/* The largest leaf a CPU page table maps with one entry above the base page
 * (HPAGE_SIZE: 2 MiB with 4 KiB pages). */
static inline uint64_t cpu_huge_page_size(void)
{
	return cpu_page_size() * (cpu_page_size() / sizeof(uint64_t));
}

/*
 * Pages for [uptr, uptr + length) of mm. NULL with *err: -EOVERFLOW when the
 * range wraps, -EINVAL for a zero or absurd length, -ENOMEM.
 */
struct iopt_pages *iopt_alloc_user_pages(const struct usermem *mm,
					 uint64_t uptr, uint64_t length,
					 bool writable, int *err);
/*
 * The part every constructor shares: a pages object of 'type' covering
 * start_byte + length bytes of whole pages, inside a zeroed allocation of
 * 'size' bytes (the head of a larger object for files and dma-bufs); the
 * caller sets uptr and mm. NULL with *err: -EINVAL for a zero or absurd
 * length, -ENOMEM.
 */
struct iopt_pages *iopt_alloc_pages(size_t size, enum iopt_pages_type type,
				    uint64_t start_byte, uint64_t length,
				    bool writable, int *err);
void iopt_pages_get(struct iopt_pages *pages);
void iopt_pages_put(struct iopt_pages *pages);

/*
 * Holds pages [holder->start, holder->last] (indexes) pinned: faults in and
 * accounts the ones not pinned yet. 0, -EFAULT, or -ENOMEM (over
 * RLIMIT_MEMLOCK); on failure nothing changed.
 */
int iopt_pages_pin(struct iopt_pages *pages, struct itree_node *holder);
/* Drops a holder; pages no other holder covers are unpinned. */
void iopt_pages_unpin(struct iopt_pages *pages, struct itree_node *holder);

/*
 * Copies between data and bytes [start_byte, start_byte + length) of the
 * pages, into them when 'write' (-EPERM for pages mapped read-only): as
 * one copy of the user memory, or, 'by_page', page by page, each made
 * present first as a pin would (the kernel's slow path, which reads what
 * a domain would). -EFAULT for memory that is not there.
 */
int iopt_pages_rw_access(struct iopt_pages *pages, uint64_t start_byte,
			 void *data, uint64_t length, bool write, bool by_page);

/* The length of the aligned runs in which the pages' memory is physically
 * contiguous (a hugetlb page, else a CPU page): what bounds the leaves a
 * domain may map it with. Asked once, then remembered. */
uint64_t iopt_pages_contig(struct iopt_pages *pages);

/* How many pages objects hold the page at uaddr pinned, process-wide: the
 * kernel's pin count (page_ref_count / GUP_PIN_COUNTING_BIAS). A page of
 * a shared file mapping counts the pages objects of that file too (they
 * reach the same page through the library's own mapping). */
unsigned int iopt_pin_count(uint64_t uaddr);

/*
 * Set aside (pages_aside.c). Pinned pages survive the program's munmap(),
 * mmap(MAP_FIXED) over them, mremap() and madvise(), as on the kernel:
 * before the program's call they are moved to memory of the library's
 * (or, for mremap(), followed to where the program moved them; for
 * madvise(), copied), and the domains are mapped to them there until
 * their pins go.
 *
 * iopt_pages_hva(): where byte 'byte' of the pages is now, and in *run how
 * many bytes from it lie on in the same memory. Without anything set aside
 * anywhere, uptr + byte and an unbounded run, at the cost of one load.
 */
struct iopt_pages_set {
	struct iopt_pages **v; /* a reference each */
	size_t n;
	uint64_t moved_pages; /* pages moved, counted once per page */
};

bool iopt_pages_any_aside(void);
uint64_t iopt_pages_hva(struct iopt_pages *pages, uint64_t byte,
			uint64_t *run);
bool iopt_pages_index_aside(struct iopt_pages *pages, uint64_t index);
/* pages->lock held: indexes no pin holds are no longer set aside. */
void iopt_pages_aside_trim(struct iopt_pages *pages);
/* The pages object's end. */
void iopt_pages_aside_drop(struct iopt_pages *pages);
/*
 * With every other thread out of the library: moves the pinned pages in
 * [addr, addr + len) aside and adds each pages object that had some to
 * *moved (whose domains must then be mapped again). -ENOMEM leaves what
 * could not be moved where it was.
 */
int iopt_pages_set_aside(uint64_t addr, uint64_t len,
			 struct iopt_pages_set *moved);
/* With every other thread out of the library, right after the program's
 * mremap() moved [from, from + len) to 'to': the pinned pages there follow
 * the memory, as the kernel's pins do. */
int iopt_pages_follow(uint64_t from, uint64_t len, uint64_t to,
		      struct iopt_pages_set *moved);
void iopt_pages_set_release(struct iopt_pages_set *set);

/*
 * The program's madvise() is about to drop the pages of [addr, addr + len)
 * (MADV_DONTNEED, MADV_REMOVE): with every other thread out of the
 * library, the pinned pages it takes from the program are copied first
 * (a page no one reaches any more is as good as its copy). When the call
 * has succeeded, iopt_pages_copies_keep() makes the copies what the
 * domains map, adding the pages objects to *moved; else
 * iopt_pages_copies_drop() lets them go. -ENOMEM copies nothing.
 */
enum iopt_drop {
	IOPT_DROP_PRIVATE, /* private mappings' pages (MADV_DONTNEED) */
	IOPT_DROP_ALL,	   /* the file's pages too (MADV_REMOVE) */
};
struct aside_claim;
struct aside_claims {
	struct aside_claim *v;
	size_t n, cap;
};
struct aside_copy {
	struct aside_chunk *chunk; /* the copy of [start, ...) */
	uint64_t start;
	size_t first, past; /* its claims: [first, past) */
};
struct iopt_pages_copies {
	struct aside_claims claims;
	struct aside_copy *runs;
	size_t nruns;
};
int iopt_pages_copy_aside(uint64_t addr, uint64_t len, enum iopt_drop drop,
			  struct iopt_pages_copies *copies);
int iopt_pages_copies_keep(struct iopt_pages_copies *copies,
			   struct iopt_pages_set *moved);
void iopt_pages_copies_drop(struct iopt_pages_copies *copies);

/* With every other thread out of the library: the pinned memory at the
 * program's addresses in [addr, addr + len), as sorted runs [start, end). */
struct iopt_span {
	uint64_t start, end;
};
struct iopt_spans {
	struct iopt_span *v;
	size_t n;
};
int iopt_pages_pinned_spans(uint64_t addr, uint64_t len,
			    struct iopt_spans *spans);

/* The registry of pages objects that pinned, for pages_aside.c. */
void iopt_pages_registry_lock(void);
void iopt_pages_registry_unlock(void);
struct iopt_pages *iopt_pages_registry_first(void);
/* False when no pages object ever pinned anything in [addr, end). */
bool iopt_pages_registry_may_cover(uint64_t addr, uint64_t end);
/* Whether something is pinned in [addr, addr + len) of the program's
 * memory: what a munmap() there must set aside first. */
bool iopt_pages_pinned_in(uint64_t addr, uint64_t len);

/* Whether a page's "physical address" phys (an address of this process:
 * the caller's memory, or the library's mapping of a file) and the
 * address uptr of mm are the same byte of memory: the same address, or
 * the same byte of one file. What the selftest's checks compare where the
 * kernel compares struct pages. */
bool iopt_same_memory(uint64_t phys, const struct usermem *mm, uint64_t uptr);

/* The address at which index 0 sits in its source (the user address, or
 * the offset in the file or dma-buf): what automatic IOVAs align to. */
uint64_t iopt_pages_source_start(const struct iopt_pages *pages);

/* Moves the pinned pages' accounting to mm, the caller of
 * IOMMU_IOAS_CHANGE_PROCESS (charged there first, then uncharged where
 * they were): 0 or -ENOMEM, with nothing moved. */
int iopt_pages_change_mm(struct iopt_pages *const *pages, size_t n,
			 const struct usermem *mm);

/* IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT: the bytes a pinning batch may use
 * for its bookkeeping (at least 12, else -EINVAL). Process-wide, as the
 * kernel's is system-wide. */
#define IOPT_DEFAULT_PIN_BATCH_BYTES 65536
int iopt_set_pin_batch_bytes(uint64_t bytes);

/* Pages currently charged in each accounting mode (for tests). */
uint64_t iopt_locked_pages(enum iopt_pages_account_mode mode);

#endif /* IOMMUSIM_PAGES_H */
