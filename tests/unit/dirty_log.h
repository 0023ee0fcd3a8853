/* SPDX-License-Identifier: MIT */
/*
 * Collects what a read_and_clear_dirty reports: the count, and the first 64
 * records in order. Shared by the page-table and mock-domain tests.
 */
#ifndef IOMMUSIM_TESTS_UNIT_DIRTY_LOG_H
#define IOMMUSIM_TESTS_UNIT_DIRTY_LOG_H

#include <stdint.h>
#include <string.h>

#include "iommu/iommu.h"

struct dirty_log {
	struct iommu_dirty_bitmap bitmap; /* first: what the walker is given */
	unsigned int n;
	uint64_t iova[64], length[64];
};

static void log_record(struct iommu_dirty_bitmap *dirty, uint64_t iova,
		       uint64_t length)
{
	struct dirty_log *log = (struct dirty_log *)dirty;

	if (log->n < 64) {
		log->iova[log->n] = iova;
		log->length[log->n] = length;
	}
	log->n++;
}

static inline void log_reset(struct dirty_log *log)
{
	memset(log, 0, sizeof(*log));
	log->bitmap.record = log_record;
}

#endif /* IOMMUSIM_TESTS_UNIT_DIRTY_LOG_H */
