/* SPDX-License-Identifier: MIT */
/*
 * Pages backed by a file: what IOMMU_IOAS_MAP_FILE maps when its fd is not
 * a dma-buf (the kernel's IOPT_ADDRESS_FILE).
 *
 * The kernel pins a file's pages straight from its page cache
 * (memfd_pin_folios()), which takes shmem (memfd, tmpfs) and hugetlbfs
 * files only, and only inside the file's size. Here the library maps the
 * file range itself, shared, once, when the pages are made; that mapping
 * is the pages' 'uptr' and everything below (pinning, the domains, the DMA
 * engine) reaches the file's pages through it, the very pages every other
 * shared mapping of the file sees. The kernel's rules stay the kernel's:
 * a writable map needs a file open for writing and not sealed against
 * writes (EPERM), and a pin of a file that is not shmem or hugetlbfs, or
 * past its end, is EINVAL. No descriptor is kept: the mapping holds the
 * file. A read-only map goes through a read-only descriptor of the same
 * file, so that, as on the kernel, it does not stand in the way of
 * F_SEAL_WRITE.
 *
 * Where the kernel differs: its pins hold the pages themselves, so a file
 * truncated under a pinned map keeps its old pages in the domains, while
 * the library's mapping of a truncated file has no page there any more
 * (a device's access faults). And a file sealed with F_SEAL_FUTURE_WRITE
 * can be mapped writable by the kernel but not here (EPERM).
 *
 * The identity of the file (device, inode) and the offset of index 0 let
 * IOMMU_TEST_OP_MD_CHECK_REFS find these pages from the caller's own
 * mapping of the file.
 */
#ifndef IOMMUSIM_FILE_PAGES_H
#define IOMMUSIM_FILE_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "iommufd/pages.h"

struct file;
struct usermem_page_id;

/*
 * Pages for bytes [start, start + length) of the file behind fd, a
 * descriptor of the calling process; 'lib_file' instead when fd is one of
 * the library's own files (which has no pages to pin: every pin is
 * EINVAL). NULL with *err: -EBADF, -EPERM (writable, but the file is not
 * open for writing or is sealed against writes), -EINVAL (length),
 * -ENOMEM.
 */
struct iopt_pages *iopt_alloc_file_pages(int fd, struct file *lib_file,
					 uint64_t start, uint64_t length,
					 bool writable, int *err);

/* Whether the file's pages can be pinned at all (shmem or hugetlbfs, and
 * mapped). Past the file's end they cannot either: faulting them in
 * fails, and the pin answers EINVAL as memfd_pin_folios() does. */
bool iopt_file_pages_pinnable(const struct iopt_pages *pages);

/* The file offset of index 0. */
uint64_t iopt_file_pages_start(const struct iopt_pages *pages);

/* The index of the page with identity id in these pages, if it is one. */
bool iopt_file_pages_index_of(const struct iopt_pages *pages,
			      const struct usermem_page_id *id,
			      uint64_t *index);

/* Undoes what iopt_alloc_file_pages() set up (not the struct itself). */
void iopt_file_pages_release(struct iopt_pages *pages);

#endif /* IOMMUSIM_FILE_PAGES_H */
