/* SPDX-License-Identifier: MIT */
/*
 * A dma-buf: memory a driver exports as a file, which IOMMU_IOAS_MAP_FILE
 * maps like a memfd (its importer side is dmabuf_pages.h). The one
 * exporter here is the selftest's (IOMMU_TEST_OP_DMABUF_GET, the kernel's
 * selftest.c): a few zeroed pages of the library's memory, whose address
 * is their "physical address" (DESIGN.md), as the kernel's hands its
 * importers one physical range.
 *
 * Revocation (IOMMU_TEST_OP_DMABUF_REVOKE) tells every importer that the
 * memory moved, whichever way the flag goes (the kernel's
 * dma_buf_move_notify()); an importer drops its device mappings and never
 * gets them back. While revoked, attaching fails with ENODEV.
 *
 * Locking: 'lock' (LOCK_RANK_DMABUF) guards 'revoked' and the importer
 * list. It comes after iova_rwsem (an UNMAP may put the last pages of an
 * importer, which detaches) and before an importer's own lock, which the
 * notification takes.
 */
#ifndef IOMMUSIM_DMABUF_H
#define IOMMUSIM_DMABUF_H

#include <stdbool.h>
#include <stdint.h>

#include "base/list.h"

struct file;

struct dmabuf_importer {
	struct list_head node; /* in the dma-buf's importers */
	/* The memory moved or went away: drop every device mapping of it.
	 * Called with the dma-buf's lock held. */
	void (*move_notify)(struct dmabuf_importer *importer);
};

/* Whether file is a dma-buf. */
bool file_is_dmabuf(const struct file *file);

/*
 * Attaches importer to the dma-buf behind file (which it must keep a
 * reference of until it detaches): *addr and *size receive its memory.
 * -ENODEV while it is revoked.
 */
int dmabuf_attach(struct file *file, struct dmabuf_importer *importer,
		  uint64_t *addr, uint64_t *size);
void dmabuf_detach(struct file *file, struct dmabuf_importer *importer);

/* The dma-buf's size, for the checks made before attaching. */
uint64_t dmabuf_size(const struct file *file);

#endif /* IOMMUSIM_DMABUF_H */
