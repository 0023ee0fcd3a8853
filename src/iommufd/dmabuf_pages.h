/* SPDX-License-Identifier: MIT */
/*
 * Pages backed by a dma-buf: what IOMMU_IOAS_MAP_FILE maps when its fd is
 * one (the kernel's IOPT_ADDRESS_DMABUF). The pages are the dma-buf's
 * memory, attached once when they are made; nothing is pinned or charged
 * (a device's memory is not the process's), no access may pin or copy
 * them (EINVAL), and an area of them cannot be cut (EOPNOTSUPP).
 *
 * Revocation: every (domain, area) that maps the pages is tracked, so that
 * when the exporter revokes its memory the mappings are taken out of the
 * domains at once. Revoked pages stay revoked: their areas remain, empty,
 * until they are unmapped, and a domain attached later is not filled with
 * them.
 *
 * Locking: 'lock' (LOCK_RANK_DMABUF_PAGES) guards 'revoked' and the
 * tracked mappings; filling and emptying a domain take it inside
 * iova_rwsem, the exporter's notification inside its own lock.
 */
#ifndef IOMMUSIM_DMABUF_PAGES_H
#define IOMMUSIM_DMABUF_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "iommufd/pages.h"

struct file;
struct iommu_domain;
struct iopt_area;

/*
 * Pages for bytes [start, start + length) of the dma-buf behind file
 * (the pages take a reference of it). NULL with *err: -EINVAL (past the
 * dma-buf's end, or length), -ENODEV (revoked), -ENOMEM.
 */
struct iopt_pages *iopt_alloc_dmabuf_pages(struct file *file, uint64_t start,
					   uint64_t length, bool writable,
					   int *err);

/* The dma-buf offset of index 0. */
uint64_t iopt_dmabuf_pages_start(const struct iopt_pages *pages);

/*
 * Filling and emptying domains (iopt_domains.c): with the lock taken by
 * iopt_dmabuf_lock(), which says whether the pages are revoked (then
 * nothing is mapped or unmapped), every mapping of an area into a domain
 * is tracked (-ENOMEM) and untracked.
 */
bool iopt_dmabuf_lock(struct iopt_pages *pages);
void iopt_dmabuf_unlock(struct iopt_pages *pages);
int iopt_dmabuf_track(struct iopt_pages *pages, struct iopt_area *area,
		      struct iommu_domain *domain);
void iopt_dmabuf_untrack(struct iopt_pages *pages, struct iopt_area *area,
			 struct iommu_domain *domain);

/* Detaches from the dma-buf (not the struct itself). */
void iopt_dmabuf_pages_release(struct iopt_pages *pages);

#endif /* IOMMUSIM_DMABUF_PAGES_H */
