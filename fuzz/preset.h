/* SPDX-License-Identifier: MIT */
/*
 * Where an input starts: an empty context, or one already holding a
 * working set of objects, so that a short input reaches the commands that
 * need a device, a domain or a mapping without first having to find the
 * whole sequence that builds them. The input's first byte picks the level.
 */
#ifndef IOMMUSIM_FUZZ_PRESET_H
#define IOMMUSIM_FUZZ_PRESET_H

#include "input.h"
#include "session.h"

/*
 * Opens the input's first iommufd and builds, by level:
 *   0  nothing more
 *   1  an IOAS
 *   2  a mock device attached to it, 16 pages of the data mapped at the
 *      aperture's start
 *   3  and a VT-d device (vfio0) bound to the context, attached to a
 *      nesting-parent HWPT of that IOAS, and a fault queue
 *   4  and, for the calls that need such a state to get past their
 *      checks: a HWPT of the mock device's tracking dirty pages, a
 *      selftest nested HWPT, a selftest access that pins pages, and a VFIO
 *      type1v2 container (/dev/vfio/vfio with a compat IOAS of its own)
 * Every ID, descriptor, IOVA and length is recorded in the session.
 */
void preset_build(struct fuzz_session *s, struct fuzz_input *in);

#endif /* IOMMUSIM_FUZZ_PRESET_H */
