// SPDX-License-Identifier: MIT
/*
 * VT-d nested domains (the kernel's drivers/iommu/intel/nested.c): a
 * guest's first-stage table, described by IOMMU_HWPT_DATA_VTD_S1, over a
 * second-stage nest parent.
 *
 * The walk is the hardware's two-dimensional one. The guest's table holds
 * guest-physical addresses: the root (pgtbl_addr), every table below it,
 * and the page a leaf maps are all stage-1 output addresses, which are
 * input addresses of the parent's stage 2. So every stage-1 entry is read
 * through a stage-2 translation first (struct s2_reader), and the final
 * output goes through stage 2 too. A stage-1 table that stage 2 does not
 * map, or maps without the access the read or the A/D update needs, is a
 * stage-2 fault.
 *
 * A user-mode request needs U/S on every stage-1 entry of its path. A
 * supervisor request (IOMMU_REQ_PRIV) needs SRE in the stage-1 data, else
 * it is a privilege fault at stage 1; it ignores U/S, and R/W too unless
 * the data has WPE. Stage 2 knows no privilege.
 *
 * Every stage-1 entry the walk goes through is marked accessed, and the
 * leaf dirty for a write, in guest memory, through stage 2 (a write there:
 * stage 2 must allow it). translate_from starts a walk at a cached
 * paging-structure entry (the DMA engine's cache of them).
 */
#include <errno.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "iommu/drivers/intel_priv.h"
#include "iommu/iotlb.h"
#include "iommu/user_data.h"
#include "base/usermem.h"

#define VTD_PAGE_MASK (~((1ull << 12) - 1))
#define ADDR_WIDTH_4LEVEL 48u
#define ADDR_WIDTH_5LEVEL 57u

static const struct iommu_domain_ops intel_nested_ops;

bool intel_domain_is_nested(const struct iommu_domain *domain)
{
	return domain->ops == &intel_nested_ops;
}

/* ---- the two-dimensional walk --------------------------------------------- */

/* Reads the guest's tables: stage-1 addresses through stage 2, then the
 * host memory stage 2 names, through the user-memory copies. */
struct s2_reader {
	struct pt_reader rd;
	struct iommu_domain *s2;
	bool set_ad;
	struct pt_usermem_reader host;
	bool s2_faulted; /* a table access failed in stage 2 */
	enum iommu_fault_reason s2_reason; /* and why, for -EPERM */
};

static int s2_route(struct s2_reader *r, uint64_t table, unsigned int index,
		    bool write, uint64_t *host)
{
	struct iommu_translation t;
	uint64_t gpa;
	int rc;

	if (__builtin_add_overflow(table, (uint64_t)index * sizeof(uint64_t),
				   &gpa))
		rc = -ERANGE;
	else
		rc = iommu_domain_translate(r->s2, gpa,
					    write ? IOMMU_REQ_WRITE : 0,
					    r->set_ad, &t);
	if (rc) {
		r->s2_faulted = true;
		r->s2_reason = rc == -ERANGE ? IOMMU_FAULT_NONE : t.reason;
		return rc;
	}
	*host = t.oa;
	return 0;
}

static int s2_load(struct pt_reader *rd, uint64_t table, unsigned int index,
		   uint64_t *entry)
{
	struct s2_reader *r = container_of(rd, struct s2_reader, rd);
	uint64_t host;
	int rc = s2_route(r, table, index, false, &host);

	if (rc)
		return rc;
	return r->host.rd.load(&r->host.rd, host, 0, entry);
}

/* A stage-1 A/D update is a write to the guest's table: stage 2 must
 * allow it. */
static int s2_exchange(struct pt_reader *rd, uint64_t table,
		       unsigned int index, uint64_t old, uint64_t want)
{
	struct s2_reader *r = container_of(rd, struct s2_reader, rd);
	uint64_t host;
	int rc = s2_route(r, table, index, true, &host);

	if (rc)
		return rc;
	return r->host.rd.exchange(&r->host.rd, host, 0, old, want);
}

/* The stage-1 input address of iova: canonical for the table's width
 * (bits above it copies of its top bit), the walk uses the bits below. */
static int stage1_input(unsigned int width, uint64_t iova, uint64_t *input)
{
	uint64_t high = iova >> (width - 1);

	if (high && high != (UINT64_MAX >> (width - 1)))
		return -ERANGE;
	*input = iova & ((1ull << width) - 1);
	return 0;
}

/* A supervisor request without SRE: refused before any walk. */
static int privilege_fault(struct iommu_translation *out)
{
	out->prot = 0;
	out->reason = IOMMU_FAULT_PRIV;
	out->fault_stage = 1;
	return -EPERM;
}

static int intel_nested_translate_from(struct iommu_domain *domain,
				       uint64_t iova, unsigned int req,
				       bool set_ad,
				       const struct iommu_walk_start *from,
				       struct iommu_walk_start *deepest,
				       struct iommu_translation *out)
{
	struct intel_nested *nested = to_intel_nested(domain);
	struct s2_reader r = {
		.rd = { .load = s2_load, .exchange = s2_exchange },
		.s2 = &nested->parent->domain,
		.set_ad = set_ad,
	};
	unsigned int width = nested->s1.addr_width;
	struct pt_user_table table = {
		.fmt = width == ADDR_WIDTH_5LEVEL ? &pt_x86_64_la57_format :
						    &pt_x86_64_format,
		.top = nested->s1.pgtbl_addr & VTD_PAGE_MASK,
		.rd = &r.rd,
		.wpe = nested->s1.flags & IOMMU_VTD_S1_WPE,
		.from = from,
		.deepest = deepest,
	};
	struct iommu_translation s1 = { 0 }, s2 = { 0 };
	uint64_t input = 0;
	int rc;

	if (deepest)
		deepest->valid = false;
	if ((req & IOMMU_REQ_PRIV) && !(nested->s1.flags & IOMMU_VTD_S1_SRE))
		return privilege_fault(out);
	pt_usermem_reader_init(&r.host, usermem_self());
	/* a width attach would refuse leaves no address to translate */
	rc = width == ADDR_WIDTH_4LEVEL || width == ADDR_WIDTH_5LEVEL ?
		     stage1_input(width, iova, &input) :
		     -ERANGE;
	if (!rc)
		rc = pt_translate_user(&table, input, req, set_ad, &s1);
	if (rc) {
		if (rc == -EPERM)
			*out = s1;
		out->fault_stage = r.s2_faulted ? 2 : 1;
		if (r.s2_faulted)
			out->reason = r.s2_reason;
		return rc;
	}
	rc = iommu_domain_translate(r.s2, s1.oa, req & IOMMU_REQ_WRITE, set_ad,
				    &s2);
	if (rc && rc != -EPERM) {
		out->fault_stage = 2;
		return rc;
	}
	out->oa = s2.oa;
	out->leaf_size = s1.leaf_size < s2.leaf_size ? s1.leaf_size :
						       s2.leaf_size;
	out->prot = s1.prot & s2.prot;
	out->fault_stage = rc ? 2 : 0;
	out->reason = s2.reason;
	return rc;
}

static int intel_nested_translate(struct iommu_domain *domain, uint64_t iova,
				  unsigned int req, bool set_ad,
				  struct iommu_translation *out)
{
	return intel_nested_translate_from(domain, iova, req, set_ad, NULL,
					   NULL, out);
}

/* ---- invalidation -------------------------------------------------------- */

/* The user's invalidation of [addr, addr + npages pages): the IOTLB's
 * entries in it, and its paging-structure entries unless leaf says only
 * leaves changed; recorded for the tests too. A range past the end of the address space ends there (the
 * invalidate-all form, addr 0 and npages U64_MAX, among them). */
static void nested_invalidate_range(struct intel_nested *nested,
				    uint64_t addr, uint64_t npages, bool leaf)
{
	uint64_t last;

	if (!npages)
		return;
	if (npages > (UINT64_MAX >> 12) ||
	    __builtin_add_overflow(addr, (npages << 12) - 1, &last))
		last = UINT64_MAX;
	intel_flushes_record(&nested->flushes, addr, last, leaf);
	iotlb_invalidate(&nested->domain, addr, last, leaf);
}

/* Entries in order; the first bad one stops the walk and entry_num says
 * how many were handled (the kernel's intel_nested_cache_invalidate_user()). */
static int intel_nested_invalidate(struct iommu_domain *domain,
				   struct iommu_user_data_array *array)
{
	struct intel_nested *nested = to_intel_nested(domain);
	uint32_t done = 0;
	int rc = 0;

	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) {
		rc = -EINVAL;
		goto out;
	}
	for (uint32_t i = 0; i < array->entry_num; i++) {
		struct iommu_hwpt_vtd_s1_invalidate inv;

		rc = iommu_copy_struct_from_user_array(
			&inv, array, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, i,
			sizeof(inv), sizeof(inv));
		if (rc)
			break;
		if ((inv.flags & ~IOMMU_VTD_INV_FLAGS_LEAF) || inv.__reserved) {
			rc = -EOPNOTSUPP;
			break;
		}
		if ((inv.addr & ~VTD_PAGE_MASK) ||
		    (inv.npages == UINT64_MAX && inv.addr)) {
			rc = -EINVAL;
			break;
		}
		nested_invalidate_range(nested, inv.addr, inv.npages,
					inv.flags & IOMMU_VTD_INV_FLAGS_LEAF);
		done++;
	}
out:
	array->entry_num = done;
	return rc;
}

/* A device leaving the domain: the kernel flushes what the unit cached
 * for it. */
static void intel_nested_iotlb_flush(struct iommu_domain *domain,
				     uint64_t iova, uint64_t last)
{
	intel_flushes_record(&to_intel_nested(domain)->flushes, iova, last,
			     false);
	iotlb_invalidate(domain, iova, last, false);
}

static void intel_nested_free(struct iommu_domain *domain)
{
	struct intel_nested *nested = to_intel_nested(domain);
	struct intel_paging *parent = nested->parent;
	struct intel_nested **link;

	pthread_mutex_lock(&parent->children_lock);
	for (link = &parent->children; *link != nested;
	     link = &(*link)->next_child)
		;
	*link = nested->next_child;
	pthread_mutex_unlock(&parent->children_lock);
	free(nested);
}

static const struct iommu_domain_ops intel_nested_ops = {
	.free = intel_nested_free,
	.translate = intel_nested_translate,
	.translate_from = intel_nested_translate_from,
	.iotlb_flush = intel_nested_iotlb_flush,
	.cache_invalidate_user = intel_nested_invalidate,
};

/* ---- allocation and attach -------------------------------------------------- */

/* The newest kernel's intel_iommu_domain_alloc_nested(): the data is only
 * copied here; its fields are checked when a device attaches. */
struct iommu_domain *
intel_nested_alloc(struct iommu_domain *parent, uint32_t flags,
		   const struct iommu_user_data *user_data, int *err)
{
	struct iommu_hwpt_vtd_s1 s1;
	struct intel_nested *nested;
	struct intel_paging *s2;
	int rc;

	if ((flags & ~IOMMU_HWPT_ALLOC_PASID) ||
	    user_data->type != IOMMU_HWPT_DATA_VTD_S1) {
		rc = -EOPNOTSUPP;
		goto out_err;
	}
	if (!parent || !intel_domain_is_paging(parent) ||
	    !to_intel_paging(parent)->nest_parent) {
		rc = -EINVAL;
		goto out_err;
	}
	rc = iommu_copy_struct_from_user(&s1, user_data,
					 IOMMU_HWPT_DATA_VTD_S1, sizeof(s1),
					 sizeof(s1));
	if (rc)
		goto out_err;
	nested = lib_calloc(1, sizeof(*nested));
	if (!nested) {
		rc = -ENOMEM;
		goto out_err;
	}
	s2 = to_intel_paging(parent);
	nested->s1 = s1;
	nested->parent = s2;
	nested->domain.kind = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &intel_nested_ops;
	nested->domain.owner = &intel_iommu_ops;
	nested->domain.parent = parent;
	pthread_mutex_lock(&s2->children_lock);
	nested->next_child = s2->children;
	s2->children = nested;
	pthread_mutex_unlock(&s2->children_lock);
	return &nested->domain;

out_err:
	*err = rc;
	return NULL;
}

/*
 * The kernel's checks as it sets up the nested PASID entry, in its order:
 * a parent of more levels than the unit walks (-ENODEV), the parent's own
 * compatibility, then intel_pasid_setup_nested()'s look at the stage-1
 * data (-EINVAL): the address width (57 only with 5-level first-stage
 * paging, FL5LP), SRE only with SRS, EAFE only with EAFS (never here).
 */
int intel_nested_compatible(struct intel_nested *nested,
			    struct intel_iommu *iommu)
{
	int rc;

	if (nested->parent->levels > iommu->cfg.levels)
		return -ENODEV;
	rc = intel_paging_compatible(nested->parent, iommu);
	if (rc)
		return rc;
	switch (nested->s1.addr_width) {
	case ADDR_WIDTH_4LEVEL:
		break;
	case ADDR_WIDTH_5LEVEL:
		if (iommu->cfg.levels != 5)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if ((nested->s1.flags & IOMMU_VTD_S1_SRE) && !iommu->cfg.sre)
		return -EINVAL;
	if (nested->s1.flags & IOMMU_VTD_S1_EAFE)
		return -EINVAL;
	return 0;
}
