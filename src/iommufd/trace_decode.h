/* SPDX-License-Identifier: MIT */
/*
 * The trace's decoding of the iommufd uAPI (base/trace.h): the tables of
 * every command struct, test op and VFIO container call, and of the
 * records a fault queue reads and writes.
 */
#ifndef IOMMUSIM_IOMMUFD_TRACE_DECODE_H
#define IOMMUSIM_IOMMUFD_TRACE_DECODE_H

#include <stddef.h>

#include "base/trace.h"

/* The iommufd's ioctls, the VFIO container's among them. */
extern const struct trace_file iommufd_trace_file;
/* A fault queue's records: struct iommu_hwpt_pgfault read,
 * struct iommu_hwpt_page_response written. */
extern const struct trace_file fault_trace_file;
/* A vEVENTQ's file: no fixed record. */
extern const struct trace_file veventq_trace_file;

/* Names the fault events share with the records. */
extern const struct trace_name trace_pgfault_flags[];
extern const struct trace_name trace_pgfault_perms[];
extern const struct trace_name trace_page_response_codes[];

/* Every struct described, for tests/unit/trace_tables.c. */
extern const struct trace_struct *const trace_decode_structs[];
extern const size_t trace_decode_nstructs;

#endif /* IOMMUSIM_IOMMUFD_TRACE_DECODE_H */
