/* SPDX-License-Identifier: MIT */
/*
 * The vEVENTQ (IOMMU_VEVENTQ_ALLOC): a vIOMMU's events of one type, on the
 * common event queue (eventq.h), read as struct iommufd_vevent_header and
 * the event's data, as the kernel frames them.
 *
 * Every event queued takes the next sequence number (0 .. INT_MAX, then 0
 * again). At most 'depth' events wait; one more that finds the queue full
 * is lost, and the queue's lost-events header (flag
 * IOMMU_VEVENTQ_FLAG_LOST_EVENTS, no data) goes to the tail with that
 * event's number, so a reader sees where the gap is. The header is one per
 * queue: a second loss moves it to the tail again.
 *
 * The vIOMMU lists its vEVENTQs under its veventqs_rwsem (viommu.h); the
 * deliver list and the counts are under the eventq's lock.
 */
#ifndef IOMMUSIM_IOMMUFD_VEVENTQ_H
#define IOMMUSIM_IOMMUFD_VEVENTQ_H

#include <stddef.h>
#include <stdint.h>

#include "iommufd/iommufd_private.h"

struct iommufd_viommu;

int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd);

/*
 * Queues an event of the given type on the vIOMMU: 0; -EOPNOTSUPP when it
 * has no vEVENTQ of that type; -EINVAL without data; -ENOMEM when the
 * event could not be kept (it is counted lost). The driver's
 * report_event.
 */
int iommufd_viommu_report_event(struct iommufd_viommu *viommu, uint32_t type,
				const void *data, size_t len);

/* Sets the number the next event takes (for the unit test of the wrap,
 * which the uAPI would take 2^31 events to reach). */
void iommufd_veventq_set_sequence(struct iommufd_object *obj, uint32_t next);

/* The ID of the vIOMMU a vEVENTQ object belongs to (for the graph). */
uint32_t iommufd_veventq_viommu_id(struct iommufd_object *obj);

void iommufd_veventq_destroy(struct iommufd_object *obj);
/* An unpublished one: its maker holds the vIOMMU's veventqs_rwsem. */
void iommufd_veventq_abort(struct iommufd_object *obj);

#endif /* IOMMUSIM_IOMMUFD_VEVENTQ_H */
