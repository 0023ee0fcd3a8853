/* SPDX-License-Identifier: MIT */
/*
 * The trace's decoding of the VFIO device cdev's calls (base/trace.h).
 */
#ifndef IOMMUSIM_VFIO_DEVICE_TRACE_H
#define IOMMUSIM_VFIO_DEVICE_TRACE_H

#include <stddef.h>

#include "base/trace.h"

extern const struct trace_file vfio_device_trace_file;

/* Every struct described, for tests/unit/trace_tables.c. */
extern const struct trace_struct *const vfio_trace_structs[];
extern const size_t vfio_trace_nstructs;

#endif /* IOMMUSIM_VFIO_DEVICE_TRACE_H */
