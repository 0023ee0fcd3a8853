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

#endif /* IOMMUSIM_IOMMUFD_IOMMUFD_H */
