/* SPDX-License-Identifier: MIT */
/*
 * The Intel VT-d model: an IOMMU in scalable mode with first- and second-
 * stage translation and nesting, the way the kernel's drivers/iommu/intel/
 * drives one. This header is its interface to the rest of iommusim.
 *
 * Each configured device (`--device vtd,...`, IOMMUSIM_DEVICES) sits behind
 * a VT-d instance of its own, with the capabilities its options give:
 *
 *   pasid=BITS   PASID width, 0..20 (0: no PASID support)       default 20
 *   dirty=on|off second-stage A/D bits (SSADS), dirty tracking  on
 *   prs=on|off   page requests (PRS)                            on
 *   sre=on|off   supervisor requests (SRS)                      on
 *   levels=4|5   second- and first-stage levels (48/57 bits)    5
 *   iotlb=N      IOTLB entries, 1..65536                        256
 *
 * The CAP and ECAP registers IOMMU_GET_HW_INFO reports are built from these
 * and say exactly what is emulated (intel_iommu.c lists the fields).
 *
 * Domains (the kernel 6.12 choice, which uses the second stage for every
 * domain iommufd asks for):
 *  - paging: a VT-d second-stage table (pgtable/vtd_ss.c) of the
 *    instance's levels; page sizes 4 KiB, 2 MiB, 1 GiB; aperture
 *    [0, 2^(12 + 9 * levels) - 1]. NEST_PARENT ones refuse read-only
 *    mappings (ERRATA_772415_SPR17: map_pages answers -EINVAL, so both a
 *    read-only MAP into their IOAS and such a HWPT over an IOAS holding a
 *    read-only area fail with EINVAL). DIRTY_TRACKING ones keep dirty bits
 *    in the table's D bits; the hardware sets A/D only while tracking is on
 *    (SSADE), and so does translate.
 *  - nested: IOMMU_HWPT_DATA_VTD_S1 over a NEST_PARENT paging domain. The
 *    data is checked at attach, as the kernel does: addr_width 48 or 57
 *    (57 only with levels=5), SRE only with sre=on, EAFE never (no EAFS).
 *    translate walks the guest's x86-64 stage-1 table at pgtbl_addr, each
 *    table read routed through the parent's stage 2.
 *
 * Each device has its unit's IOTLB and paging-structure cache, iotlb=N
 * entries each (iommu/iotlb.h has the rules). Every flush the core asks
 * for (after an unmap, a device leaving) and every invalidation the user
 * sends (VTD_S1: addr/npages, the LEAF hint, all) reaches them, and is
 * recorded for the tests too (intel_domain_flushes()). A stage-2 change
 * drops whatever the nested domains above it cached, whole.
 *
 * Page requests: with prs=on a device takes I/O page faults (a HWPT with
 * a fault queue attaches), and its DMA's faults go there (iommu/dma.h);
 * the answers come back through page_response.
 */
#ifndef IOMMUSIM_DRIVERS_INTEL_H
#define IOMMUSIM_DRIVERS_INTEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/iommu.h"

#define INTEL_PASID_BITS_MAX 20u
#define INTEL_IOTLB_DEFAULT 256u
#define INTEL_IOTLB_MAX 65536u

/* What one `vtd` spec asks for. */
struct intel_iommu_config {
	uint32_t pasid_bits;
	bool dirty;
	bool prs;
	bool sre;
	unsigned int levels;
	uint32_t iotlb_entries; /* each of the unit's two caches */
};

/* A bare `vtd`: everything on. */
void intel_iommu_config_default(struct intel_iommu_config *cfg);

/* One key=value of a spec (not NUL-terminated): 0, or -EINVAL for an
 * unknown key or a value out of range. */
int intel_iommu_config_set(struct intel_iommu_config *cfg, const char *key,
			   size_t key_len, const char *value, size_t value_len);

/* The CAP and ECAP registers an instance of this configuration has. */
uint64_t intel_iommu_cap_reg(const struct intel_iommu_config *cfg);
uint64_t intel_iommu_ecap_reg(const struct intel_iommu_config *cfg);

/*
 * A new VT-d instance with one device behind it, added to the platform
 * (it gets the next device number). Both live as long as the process.
 * NULL with *err: -ENOMEM, or the platform's error.
 */
struct device *intel_iommu_add_device(const struct intel_iommu_config *cfg,
				      int *err);

/* Whether dev sits behind a VT-d instance. */
bool intel_device_is_vtd(const struct device *dev);

/* ---- for the tests ---------------------------------------------------- */

/* What was asked of a domain's IOTLB: every iotlb_flush of the
 * core and, for a nested domain, every invalidation entry the user sent. */
struct intel_flush_record {
	uint64_t count;
	uint64_t first, last; /* the latest range, inclusive */
	bool leaf;	      /* the latest was IOMMU_VTD_INV_FLAGS_LEAF */
};

/* 0 and *rec filled for a VT-d domain; -EINVAL for any other. */
int intel_domain_flushes(struct iommu_domain *domain,
			 struct intel_flush_record *rec);

#endif /* IOMMUSIM_DRIVERS_INTEL_H */
