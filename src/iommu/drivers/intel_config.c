// SPDX-License-Identifier: MIT
/*
 * A VT-d instance's configuration (the options of a `vtd` spec) and the CAP
 * and ECAP registers it implies. Field positions are the VT-d
 * specification's (10.4.2, 10.4.3), as the kernel's cap_*() and ecap_*()
 * macros read them; a field not listed is 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/drivers/intel.h"

void intel_iommu_config_default(struct intel_iommu_config *cfg)
{
	*cfg = (struct intel_iommu_config){
		.pasid_bits = INTEL_PASID_BITS_MAX,
		.dirty = true,
		.prs = true,
		.sre = true,
		.levels = 5,
		.iotlb_entries = INTEL_IOTLB_DEFAULT,
	};
}

static bool key_is(const char *key, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(key, want, len);
}

static int parse_switch(const char *value, size_t len, bool *out)
{
	if (key_is(value, len, "on")) {
		*out = true;
		return 0;
	}
	if (key_is(value, len, "off")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* A decimal number in [min, max], digits only. */
static int parse_number(const char *value, size_t len, uint32_t min,
			uint32_t max, uint32_t *out)
{
	uint64_t n = 0;

	if (!len || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (value[i] < '0' || value[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(value[i] - '0');
	}
	if (n < min || n > max)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

int intel_iommu_config_set(struct intel_iommu_config *cfg, const char *key,
			   size_t key_len, const char *value, size_t value_len)
{
	uint32_t n;
	int rc;

	if (key_is(key, key_len, "pasid"))
		return parse_number(value, value_len, 0, INTEL_PASID_BITS_MAX,
				    &cfg->pasid_bits);
	if (key_is(key, key_len, "dirty"))
		return parse_switch(value, value_len, &cfg->dirty);
	if (key_is(key, key_len, "prs"))
		return parse_switch(value, value_len, &cfg->prs);
	if (key_is(key, key_len, "sre"))
		return parse_switch(value, value_len, &cfg->sre);
	if (key_is(key, key_len, "iotlb"))
		return parse_number(value, value_len, 1, INTEL_IOTLB_MAX,
				    &cfg->iotlb_entries);
	if (key_is(key, key_len, "levels")) {
		rc = parse_number(value, value_len, 4, 5, &n);
		if (!rc)
			cfg->levels = n;
		return rc;
	}
	return -EINVAL;
}

/* ---- CAP_REG ----------------------------------------------------------- */

#define CAP_ND(x) ((uint64_t)(x) << 0)	   /* 2^(4 + 2x) domain IDs */
#define CAP_SAGAW(x) ((uint64_t)(x) << 8)  /* bit 2: 4-level, bit 3: 5 */
#define CAP_MGAW(x) ((uint64_t)(x) << 16)  /* address width - 1 */
#define CAP_FRO(x) ((uint64_t)(x) << 24)   /* fault records, 16-byte units */
#define CAP_SLLPS(x) ((uint64_t)(x) << 34) /* bit 0: 2 MiB, bit 1: 1 GiB */
#define CAP_PSI (1ull << 39)		   /* page-selective invalidation */
#define CAP_NFR(x) ((uint64_t)(x) << 40)   /* fault records - 1 */
#define CAP_MAMV(x) ((uint64_t)(x) << 48)  /* largest PSI mask */
#define CAP_DWD (1ull << 54)
#define CAP_DRD (1ull << 55)
#define CAP_FL1GP (1ull << 56) /* first stage maps 1 GiB pages */
#define CAP_FL5LP (1ull << 60) /* first stage has 5 levels */

/*
 * Register offsets (FRO here, IRO below) are QEMU's intel_iommu, one
 * reading of the hardware: there is no register file behind them, but a
 * reader that checks them finds the values a real unit has.
 */
uint64_t intel_iommu_cap_reg(const struct intel_iommu_config *cfg)
{
	bool five = cfg->levels == 5;
	uint64_t cap = CAP_ND(6) | CAP_SAGAW(five ? 0xc : 0x4) |
		       CAP_MGAW(five ? 56 : 47) | CAP_FRO(0x22) |
		       CAP_SLLPS(0x3) | CAP_PSI | CAP_NFR(0) | CAP_MAMV(18) |
		       CAP_DWD | CAP_DRD | CAP_FL1GP;

	return five ? cap | CAP_FL5LP : cap;
}

/* ---- ECAP_REG ---------------------------------------------------------- */

#define ECAP_C (1ull << 0)		  /* page walks are coherent */
#define ECAP_QI (1ull << 1)		  /* queued invalidation */
#define ECAP_IRO(x) ((uint64_t)(x) << 8) /* IOTLB registers, 16-byte units */
#define ECAP_NEST (1ull << 26)
#define ECAP_PRS (1ull << 29)
#define ECAP_SRS (1ull << 31)
#define ECAP_PSS(x) ((uint64_t)(x) << 35) /* PASID bits - 1 */
#define ECAP_PASID (1ull << 40)
#define ECAP_SMTS (1ull << 43)	/* scalable mode */
#define ECAP_SLADS (1ull << 45) /* second-stage A/D */
#define ECAP_SLTS (1ull << 46)	/* second-stage translation */
#define ECAP_FLTS (1ull << 47)	/* first-stage translation */
#define ECAP_SMPWC (1ull << 48) /* scalable-mode page walks coherent */

/* Not set, and so not emulated: device TLBs (DT, no ATS), interrupt
 * remapping (IR, EIM), pass-through (PT), snoop control (SC), execute
 * requests (ERS), extended access flag (EAFS), virtual command (VCS). */
uint64_t intel_iommu_ecap_reg(const struct intel_iommu_config *cfg)
{
	uint64_t ecap = ECAP_C | ECAP_QI | ECAP_IRO(0xf) | ECAP_NEST |
			ECAP_SMTS | ECAP_SLTS | ECAP_FLTS | ECAP_SMPWC;

	if (cfg->prs)
		ecap |= ECAP_PRS;
	if (cfg->sre)
		ecap |= ECAP_SRS;
	if (cfg->pasid_bits)
		ecap |= ECAP_PASID | ECAP_PSS(cfg->pasid_bits - 1);
	if (cfg->dirty)
		ecap |= ECAP_SLADS;
	return ecap;
}
