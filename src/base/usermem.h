/* SPDX-License-Identifier: MIT */
/*
 * The only way the core touches a caller's memory.
 *
 * Every address that comes from the caller (the ioctl argument, a pointer
 * inside a command struct) is a "user address": a uint64_t, never a C
 * pointer, read and written only through these functions. The kernel's
 * copy_from_user()/copy_to_user() are the model: a bad address returns
 * -EFAULT instead of crashing.
 *
 * A struct usermem is one address space. Today there is one backend, the
 * calling process itself; a remote process (the shared-context mode,
 * docs/shared-contexts.md) will be a second backend behind the same
 * functions.
 *
 * How a bad address is caught in-process: the copy runs with a per-thread
 * recovery point armed; a SIGSEGV or SIGBUS raised while it is armed jumps
 * back and the copy returns -EFAULT. The handler is installed once, chains to
 * whatever handler was there before for every other fault, and costs nothing
 * on the path where the memory is good (no system call).
 */
#ifndef IOMMUSIM_USERMEM_H
#define IOMMUSIM_USERMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct usermem;

/* The address space of the calling process. */
struct usermem *usermem_self(void);

/* Arms the fault handler; called once before the first copy. -errno. */
int usermem_init(void);

/* access_ok(): [uaddr, uaddr + len) neither wraps nor leaves user memory
 * (whether it is mapped is for the copy to find out). */
bool usermem_access_ok(const struct usermem *mm, uint64_t uaddr, size_t len);

int usermem_copy_from(const struct usermem *mm, void *dst, uint64_t uaddr,
		      size_t len);
int usermem_copy_to(const struct usermem *mm, uint64_t uaddr, const void *src,
		    size_t len);

/* Copies len bytes from user address src to user address dst (a device's
 * DMA: both ends are the caller's memory); -EFAULT when either end cannot
 * be reached, with an unknown part of the bytes moved. The ranges must
 * not overlap. */
int usermem_copy_user(const struct usermem *mm, uint64_t dst, uint64_t src,
		      size_t len);

/*
 * Replaces the aligned 64-bit word at uaddr with want if it holds *old,
 * atomically (what a hardware walker's A/D update is): 0 when it did;
 * -EAGAIN when the word held something else, which comes back in *old;
 * -EINVAL for a misaligned address; -EFAULT when the word cannot be
 * written (unmapped, read-only).
 */
int usermem_cmpxchg64(const struct usermem *mm, uint64_t uaddr, uint64_t *old,
		      uint64_t want);

/* Writes len zero bytes at uaddr (the kernel's clear_user). */
int usermem_clear(const struct usermem *mm, uint64_t uaddr, size_t len);

/* 1 when all len bytes at uaddr are zero, 0 when one is not, or -EFAULT. */
int usermem_check_zeroed(const struct usermem *mm, uint64_t uaddr, size_t len);

/*
 * Pins [uaddr, uaddr + len) the way pin_user_pages() does: every page is
 * faulted in, and for 'write' made writable by this process (a
 * copy-on-write page is broken, as FOLL_WRITE does) without changing a
 * byte. -EFAULT when a page is missing or lacks the permission. A range
 * this thread faulted in since the address space last changed (see
 * "Remembered answers" below) is not touched again.
 */
int usermem_fault_in(const struct usermem *mm, uint64_t uaddr, uint64_t len,
		     bool write);

/*
 * The size of the pages behind [uaddr, uaddr + len): the smallest kernel
 * page size of the mappings it spans (2 MiB or 1 GiB for hugetlb memory,
 * else the CPU page), which bounds how much of it is physically contiguous
 * for an IOMMU's leaves. The CPU page size when it cannot be told.
 */
uint64_t usermem_backing_page_size(const struct usermem *mm, uint64_t uaddr,
				   uint64_t len);
/*
 * What the page at uaddr is, beyond its address: for a shared mapping of a
 * file, the file (device and inode) and the byte offset in it, which every
 * shared mapping of that page has in common; otherwise the address itself
 * (dev and ino 0). The kernel compares physical pages; two addresses with
 * the same identity reach the same page. -EFAULT for an unmapped address.
 */
struct usermem_page_id {
	uint64_t dev, ino;
	uint64_t offset; /* in the file, or the address */
};
int usermem_page_identity(const struct usermem *mm, uint64_t uaddr,
			  struct usermem_page_id *id);

/*
 * The mapping that holds uaddr, as /proc/self/maps has it. dev and ino
 * name its file (0 for private anonymous memory; shared anonymous memory
 * is a file of its own); page_size is its kernel page size (a hugetlb
 * page, else the CPU page). -EFAULT when nothing is mapped at uaddr.
 */
struct usermem_mapping {
	uint64_t start, end; /* [start, end) */
	uint64_t page_size;
	uint64_t offset; /* of start, in the file */
	uint64_t dev, ino;
	bool shared;   /* MAP_SHARED */
	bool sysv_shm; /* a SysV shared memory segment's (shmat()) */
};
int usermem_mapping_at(const struct usermem *mm, uint64_t uaddr,
		       struct usermem_mapping *m);

/*
 * Copies len bytes from uaddr whatever the memory's protection
 * (PROT_NONE, write-only), as the kernel's FOLL_FORCE accesses do:
 * through /proc/self/mem. -EFAULT when a page is not mapped.
 */
int usermem_copy_from_forced(const struct usermem *mm, void *dst,
			     uint64_t uaddr, size_t len);

/* Its way for kernels before 6.11 (no PROCMAP_QUERY), exposed for the
 * tests: the smallest page size over [uaddr, end) of this process read from
 * /proc/self/smaps; UINT64_MAX when no mapping meets the range, 0 when the
 * file cannot be read. */
uint64_t usermem_page_size_from_smaps(uint64_t uaddr, uint64_t end);

/*
 * Remembered answers. A mapping's page size, and whether its pages can be
 * had with a given access, change only when the program changes its
 * address space: through mmap(), munmap(), mremap(), mprotect(), shmat(),
 * shmdt(), madvise() or fork(). When the preload shim wraps those
 * (usermem_watch_maps(), from its constructor), it reports each call done
 * (usermem_maps_changed()), and each thread keeps the last mappings it
 * asked about and the last ranges it faulted in until the next change: the
 * steady state of MAP asks the kernel nothing and touches no page. Without
 * the shim nothing is remembered.
 */
void usermem_watch_maps(void);
void usermem_maps_changed(void);
/* How many times the kernel was asked, and how many ranges were faulted
 * in (for tests). */
unsigned long usermem_maps_queries(void);
unsigned long usermem_fault_in_touches(void);

/*
 * The extensible-struct copy of the ioctl ABI (the kernel's
 * copy_struct_from_user): ksize is the struct we know, usize what the caller
 * passed. Bytes we know but the caller did not pass read as zero; bytes the
 * caller passed beyond ksize must be zero, else -E2BIG.
 */
int usermem_copy_struct_from(const struct usermem *mm, void *dst, size_t ksize,
			     uint64_t uaddr, size_t usize);

#endif /* IOMMUSIM_USERMEM_H */
