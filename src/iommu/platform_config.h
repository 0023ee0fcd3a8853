/* SPDX-License-Identifier: MIT */
/*
 * The configured platform: the devices IOMMUSIM_DEVICES asks for, put on the
 * platform once, before any context exists, so that they take the device
 * numbers 0, 1, ... in the order given. `iommusim run --device SPEC` sets
 * the variable; a program linked with the library directly may set it
 * itself before its first open of /dev/iommu or a VFIO device.
 *
 * IOMMUSIM_DEVICES is a list of specs separated by ';'. A spec is a kind
 * and options, separated by ',': "vtd", "vtd,pasid=8,dirty=off". The only
 * kind is vtd (iommu/drivers/intel.h has its options and defaults). A list
 * with a bad spec configures nothing and says so in one line on stderr.
 */
#ifndef IOMMUSIM_PLATFORM_CONFIG_H
#define IOMMUSIM_PLATFORM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "iommu/drivers/intel.h"

#define PLATFORM_DEVICES_ENV "IOMMUSIM_DEVICES"

enum platform_device_kind {
	PLATFORM_DEVICE_VTD,
};

struct platform_device_spec {
	enum platform_device_kind kind;
	struct intel_iommu_config vtd;
};

/*
 * Parses one spec of len bytes (no ';' in it). 0, or -EINVAL with
 * *bad and *bad_len naming the item at fault (the kind, or one option).
 */
int platform_parse_device_spec(const char *spec, size_t len,
			       struct platform_device_spec *out,
			       const char **bad, size_t *bad_len);

/* Reads IOMMUSIM_DEVICES and adds its devices, once per process; later
 * calls do nothing. */
void platform_configure(void);

/* How many devices the configuration added. */
uint32_t platform_configured_count(void);

/* Configured device n (0 ..), with a reference the caller puts; NULL when
 * there is none. A selftest's mock device is never one. */
struct device *platform_get_configured_device(uint32_t n);

#endif /* IOMMUSIM_PLATFORM_CONFIG_H */
