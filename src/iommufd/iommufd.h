/* SPDX-License-Identifier: MIT */
/*
 * What the layers above iommufd (the preload shim, the VFIO device) may ask
 * of it: an iommufd file for an open of its device nodes, and the context
 * behind a descriptor a command receives (the kernel's
 * iommufd_ctx_from_fd()).
 */
#ifndef IOMMUSIM_IOMMUFD_IOMMUFD_H
#define IOMMUSIM_IOMMUFD_IOMMUFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file;
struct iommufd_ctx;

/* Which device node an open reached: both are served by iommufd, as on a
 * kernel built with CONFIG_IOMMUFD_VFIO_CONTAINER. */
enum iommufd_node {
	IOMMUFD_NODE_IOMMU,	 /* /dev/iommu */
	IOMMUFD_NODE_VFIO_CONTAINER, /* /dev/vfio/vfio */
};

/* What every entry point needs first, once per process (user memory, the
 * fork gate, the configured devices): 0 or -errno. */
int iommufd_global_init(void);

/*
 * A new context behind a new file, opened with flags (O_ACCMODE,
 * O_CLOEXEC, O_NONBLOCK): the descriptor, or -errno. A context opened as
 * /dev/vfio/vfio charges pinned pages as VFIO does (per process), as the
 * kernel's iommufd_fops_open() chooses.
 */
int iommufd_fops_open(enum iommufd_node node, int flags);

/* The context behind file, or NULL when file is not an iommufd (the
 * kernel's -EBADFD). Valid while the caller holds its reference to file. */
struct iommufd_ctx *iommufd_ctx_from_file(struct file *file);

/*
 * The program is about to take [addr, addr + len) out of its address space
 * (call names how: "munmap", "mmap", "mremap"): pages pinned there for DMA
 * are set aside first, as the kernel keeps pinned pages (pages.h). Cheap
 * when nothing is pinned there; does nothing when called from inside the
 * library.
 */
void iommufd_before_unmap(const char *call, uint64_t addr, uint64_t len);

/* mremap() as libc has it, the last argument always passed. */
typedef void *(*iommufd_mremap_fn)(void *old, size_t old_size,
				   size_t new_size, int flags, void *new_addr);
/* The program's mremap(), through real_mremap, keeping what is pinned in
 * the memory it moves or drops (pages.h): libc's result and errno. */
void *iommufd_mremap(iommufd_mremap_fn real_mremap, void *old,
		     size_t old_size, size_t new_size, int flags,
		     void *new_addr);

/* shmdt() as libc has it. */
typedef int (*iommufd_shmdt_fn)(const void *addr);
/* The program's shmdt(), through real_shmdt, keeping the pinned pages of
 * the segment for the devices: libc's result and errno. */
int iommufd_shmdt(iommufd_shmdt_fn real_shmdt, const void *addr);

/* madvise() as libc has it. */
typedef int (*iommufd_madvise_fn)(void *addr, size_t len, int advice);
/* The program's madvise(), through real_madvise: what it would take from
 * pinned pages the devices keep, as on the kernel (MADV_DONTNEED and
 * MADV_REMOVE drop only the program's view of them, MADV_FREE never frees
 * them). libc's result and errno. */
int iommufd_madvise(iommufd_madvise_fn real_madvise, void *addr, size_t len,
		    int advice);

/* "1": iommufd_before_unmap() reports each time it had to set pages aside
 * (iommusim run --warn-unmap). */
#define IOMMUFD_WARN_UNMAP_ENV "IOMMUSIM_WARN_UNMAP"

#endif /* IOMMUSIM_IOMMUFD_IOMMUFD_H */
