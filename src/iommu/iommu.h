/* SPDX-License-Identifier: MIT */
/*
 * The driver interface: what the core may ask of an IOMMU model, in the
 * shape of the kernel's struct iommu_ops and struct iommu_domain_ops. The
 * core never knows a page-table format; a domain's driver does.
 *
 * Vocabulary:
 *  - "physical address" is the host virtual address of the byte in this
 *    process (DESIGN.md), so a domain maps IOVA -> host address.
 *  - sizes are bytes; a pgsize_bitmap has bit n set when the domain can map
 *    a leaf of 2^n bytes, as on the kernel.
 *  - ranges are [iova, iova + length), length a multiple of the smallest
 *    page size; 'last' where used is inclusive.
 *
 * Every function returns 0 or -errno and never aborts on bad input.
 */
#ifndef IOMMUSIM_IOMMU_H
#define IOMMUSIM_IOMMU_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/iopf.h"
#include "iommu/platform.h"
#include "base/container_of.h"
#include "base/trace.h"

struct iommu_domain;
struct iommu_user_data_array;
struct iommu_viommu;

/* Protection of a mapping (the kernel's IOMMU_READ/IOMMU_WRITE). */
#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)

/* read_and_clear_dirty flags: report without clearing. */
#define IOMMU_DIRTY_NO_CLEAR (1 << 0)

enum iommu_domain_kind {
	IOMMU_DOMAIN_PAGING, /* kernel-managed: the core maps into it */
	IOMMU_DOMAIN_NESTED, /* user-managed stage 1 over a paging parent */
};

/* The IOVA window a domain translates; outside it the core reserves. */
struct iommu_domain_geometry {
	uint64_t aperture_start;
	uint64_t aperture_end; /* inclusive */
};

/* Receives the dirty IOVAs found by read_and_clear_dirty. */
struct iommu_dirty_bitmap {
	void (*record)(struct iommu_dirty_bitmap *dirty, uint64_t iova,
		       uint64_t length);
};

/* A device request, as struct iommu_domain_ops.translate takes it ("req"):
 * a plain bool write is IOMMU_REQ_WRITE or a read. */
#define IOMMU_REQ_WRITE (1u << 0) /* the device writes memory; else reads */
#define IOMMU_REQ_PRIV (1u << 1)  /* a supervisor request (PASID privilege) */

/* Why a translation failed. The numbers are those of the uAPI's enum
 * iommusim_fault_reason (dma.c checks). */
enum iommu_fault_reason {
	IOMMU_FAULT_NONE,
	IOMMU_FAULT_BLOCKED,	 /* nothing translates for the request */
	IOMMU_FAULT_NOT_PRESENT, /* no entry maps the address */
	IOMMU_FAULT_READ,	 /* a read the entries do not allow */
	IOMMU_FAULT_WRITE,	 /* a write the entries do not allow */
	IOMMU_FAULT_PRIV,	 /* a privilege the request lacks (U/S, SRE) */
	IOMMU_FAULT_ADDRESS,	 /* beyond what the table can translate */
	IOMMU_FAULT_TABLE,	 /* a table entry with reserved bits set, or a
				    table that cannot be read */
};

/* What a translation found (struct iommu_domain_ops.translate). */
struct iommu_translation {
	uint64_t oa;	    /* the output address of the byte asked for */
	uint64_t leaf_size; /* bytes the leaf maps: what an IOTLB may cache */
	int prot;	    /* IOMMU_READ | IOMMU_WRITE, tables and leaf together,
			       as they apply to the request */
	/* When a walk fails, the stage whose walk failed: 1 or 2 for a
	 * nested domain (a stage-1 table outside stage 2 is a stage-2
	 * fault), 0 for a single-stage one and on success. */
	unsigned int fault_stage;
	/* On -EPERM: IOMMU_FAULT_READ, _WRITE or _PRIV. */
	enum iommu_fault_reason reason;
};

/*
 * A paging-structure entry of a stage-1 walk, as VT-d's paging-structure
 * caches hold one: the table an entry points at and what the entries
 * above grant, so that a later walk of an address it covers can start
 * there. Meaningful only to the domain that produced it.
 */
struct iommu_walk_start {
	uint64_t table;	      /* the table's address, as the entry held it */
	unsigned int level;   /* the table's level */
	unsigned int span_lg2; /* the input span the entry covers, as log2 */
	int prot;	      /* what the entries above grant, the walker's way */
	bool valid;
};

struct iommu_domain_ops {
	/* Maps [iova, iova + length) to [paddr, ...) with prot, using leaves
	 * of the sizes in pgsize_bitmap that fit and are no larger than
	 * max_leaf: the memory is physically contiguous only in aligned runs
	 * of max_leaf bytes (the kernel's core picks page sizes from the
	 * physical runs it is given). On failure nothing of the range stays
	 * mapped. -EEXIST if any of it is already mapped. */
	int (*map_pages)(struct iommu_domain *domain, uint64_t iova,
			 uint64_t paddr, uint64_t length, int prot,
			 uint64_t max_leaf);
	/* Unmaps [iova, iova + length); returns the bytes unmapped (a leaf
	 * larger than the range is unmapped whole, as hardware must). */
	uint64_t (*unmap_pages)(struct iommu_domain *domain, uint64_t iova,
				uint64_t length);
	/* The host address iova translates to, or 0 when unmapped. */
	uint64_t (*iova_to_phys)(struct iommu_domain *domain, uint64_t iova);
	void (*free)(struct iommu_domain *domain);

	/*
	 * The hardware's walk for one device access at iova (req: the
	 * IOMMU_REQ_* bits); the DMA engine's way into a domain. With set_ad
	 * the leaf is marked accessed and, for a write, dirty, where the
	 * format keeps such bits, atomically, as hardware does (a format
	 * may mark the tables it walks through accessed too). These
	 * are the outcomes for every domain and every format:
	 *   0            translated, *out filled;
	 *   -ENOENT      translation fault: nothing maps iova;
	 *   -EPERM       permission fault: mapped without the permission the
	 *                access needs (out->reason says which); *out
	 *                filled, the leaf's A/D left alone;
	 *   -ERANGE      iova lies beyond what the domain's table can hold;
	 *   -EFAULT      a table the walk needed could not be read (a table
	 *                the user owns, at a bad address);
	 *   -EBADMSG     a table entry the user wrote has reserved bits set;
	 *   -EOPNOTSUPP  the domain cannot be walked (NULL here).
	 * Call it through iommu_domain_translate().
	 */
	int (*translate)(struct iommu_domain *domain, uint64_t iova,
			 unsigned int req, bool set_ad,
			 struct iommu_translation *out);
	/*
	 * translate for a domain whose walk a paging-structure cache can
	 * shorten (a guest's stage 1): starts at *from when it is valid,
	 * else at the root, and fills *deepest (when not NULL) with the
	 * deepest table entry the walk went through (valid false when it
	 * went through none). NULL where no such cache applies.
	 */
	int (*translate_from)(struct iommu_domain *domain, uint64_t iova,
			      unsigned int req, bool set_ad,
			      const struct iommu_walk_start *from,
			      struct iommu_walk_start *deepest,
			      struct iommu_translation *out);
	/*
	 * Drops whatever the IOMMU caches of translations in [iova, last]
	 * (inclusive: [0, UINT64_MAX] is everything). The core calls it after
	 * every unmap and when a device leaves the domain, so that no device
	 * uses a translation the table no longer holds. Cannot fail; NULL
	 * when the domain caches nothing. Call it through iommu_iotlb_flush().
	 */
	void (*iotlb_flush)(struct iommu_domain *domain, uint64_t iova,
			    uint64_t last);

	/* Nested domains: the user's invalidation entries, handled in order;
	 * array->entry_num comes back as how many were handled. */
	int (*cache_invalidate_user)(struct iommu_domain *domain,
				     struct iommu_user_data_array *array);

	/* Dirty tracking; NULL when the domain has none. */
	int (*set_dirty_tracking)(struct iommu_domain *domain, bool enable);
	int (*read_and_clear_dirty)(struct iommu_domain *domain, uint64_t iova,
				    uint64_t length, unsigned long flags,
				    struct iommu_dirty_bitmap *dirty);
	/* Marks dirty every leaf overlapping [iova, iova + length), whether
	 * tracking is on or not: the dirty state the core read before
	 * mapping a range again to pages it moved (the kernel never moves
	 * them, so its bits stay). -ENOENT where nothing is mapped. */
	int (*mark_dirty)(struct iommu_domain *domain, uint64_t iova,
			  uint64_t length);
};

struct iommu_domain {
	enum iommu_domain_kind kind;
	const struct iommu_domain_ops *ops;
	/* the driver that made it: a parent and its child must share one */
	const struct iommu_ops *owner;
	uint64_t pgsize_bitmap;
	struct iommu_domain_geometry geometry;
	/* For a nested domain: the paging domain it sits on. */
	struct iommu_domain *parent;
	/* Set by the domain's user when it takes I/O page faults: the
	 * groups routed here go to iopf_handler, which owns them from then
	 * on (non-zero: it did not take the group). fault_data is the
	 * user's. */
	int (*iopf_handler)(struct iopf_group *group);
	void *fault_data;
	/* The driver's own state follows (container_of). */
};

struct iommu_user_data;

/* What the core may ask about a device (the kernel's IOMMU_CAP_*). */
enum iommu_cap {
	IOMMU_CAP_DIRTY_TRACKING,
	IOMMU_CAP_PCI_ATS_SUPPORTED,
};

/* Kinds of device reserved region (the kernel's enum iommu_resv_type). */
enum iommu_resv_type {
	IOMMU_RESV_DIRECT,	     /* identity mapped for the device: kept out */
	IOMMU_RESV_DIRECT_RELAXABLE, /* may be given up once owned: ignored */
	IOMMU_RESV_RESERVED,	     /* never usable for DMA */
	IOMMU_RESV_MSI,		     /* a hardware MSI doorbell */
	IOMMU_RESV_SW_MSI,	     /* where software places the MSI window */
};

/* An IOVA range a device cannot use for DMA, length > 0. */
struct iommu_resv_region {
	uint64_t start;
	uint64_t length;
	enum iommu_resv_type type;
};

/*
 * One IOMMU model: what the kernel's struct iommu_ops is to iommufd. Every
 * device sits behind an IOMMU instance of some model (iommu/platform.h);
 * the core reaches drivers only through this table, as dev_iommu_ops(dev),
 * and struct iommu_domain_ops.
 */
struct iommu_ops {
	/* *type in: the type asked for (0: the driver's own); out: the type
	 * given. Fills up to *len bytes of data, sets *len to the full size.
	 * -EOPNOTSUPP for a type the driver does not have. */
	int (*hw_info)(struct device *dev, uint32_t *type, void *data,
		       uint32_t *len);
	/* Whether the device has a capability its instance offers; NULL
	 * when every device has all of them. */
	bool (*capable)(struct device *dev, enum iommu_cap cap);
	/* How many PASIDs the device can use (PASIDs 0 .. n - 1); 0 when it
	 * cannot issue PASID-tagged requests at all. Asked once, as the
	 * device is added to the platform. */
	uint32_t (*max_pasids)(struct device *dev);
	/* A paging domain for IOMMU_HWPT_ALLOC_* flags and optional driver
	 * data; NULL with *err. */
	struct iommu_domain *(*domain_alloc_paging_flags)(
		struct device *dev, uint32_t flags,
		const struct iommu_user_data *user_data, int *err);
	/* A nested domain over a paging parent of this driver's. */
	struct iommu_domain *(*domain_alloc_nested)(
		struct device *dev, struct iommu_domain *parent,
		uint32_t flags, const struct iommu_user_data *user_data,
		int *err);
	/* -EINVAL when the domain does not suit the device. */
	int (*attach_dev)(struct iommu_domain *domain,
			  struct device *dev);
	/* Points the device's requests tagged with pasid (never
	 * IOMMU_NO_PASID) at domain, or blocks them when domain is NULL; old
	 * is what they reached before (NULL for none). On failure nothing
	 * changed. NULL when the model has no PASID support. */
	int (*set_dev_pasid)(struct iommu_domain *domain,
			     struct device *dev, uint32_t pasid,
			     struct iommu_domain *old);
	/* The device's reserved regions: points *regions at an array the
	 * driver owns (valid while the device lives), returns its length.
	 * NULL when the model has none. */
	unsigned int (*get_resv_regions)(
		struct device *dev,
		const struct iommu_resv_region **regions);

	/* I/O page faults (iommu/iopf.h); NULL when the model takes none.
	 * Turning the device's page requests on calls iopf_add_device(),
	 * off iopf_remove_device(). */
	int (*dev_enable_iopf)(struct device *dev);
	void (*dev_disable_iopf)(struct device *dev);
	/* Sends the device the answer to the group ended by last. */
	void (*page_response)(struct device *dev,
			      const struct iommu_fault_page_request *last,
			      enum iommu_page_response_code code);
	/* The device's PASID table lives in the user's stage 1: a request
	 * for a PASID attached to nothing goes to a nested domain on the
	 * RID. */
	bool user_pasid_table;
	/* vIOMMUs (iommu/viommu.h): the size of the driver's struct for a
	 * vIOMMU of type (0: not a type of the driver's), and its setup on
	 * parent with the optional driver data (which it may write back).
	 * NULL when the model has none. */
	size_t (*get_viommu_size)(struct device *dev, uint32_t type);
	int (*viommu_init)(struct iommu_viommu *viommu,
			   struct iommu_domain *parent,
			   const struct iommu_user_data *user_data);
};

/* The PASID of requests without one: the device's RID. */
#define IOMMU_NO_PASID 0u

/*
 * The IOMMU layer's PASID steps, below iommufd (the kernel's iommu.c): the
 * driver's rules for a PASID, the caller's bookkeeping aside. Each device is
 * its own group here.
 *
 * attach: -EOPNOTSUPP when the model has no set_dev_pasid; -EINVAL for
 * IOMMU_NO_PASID, a domain of another model, or a PASID the device cannot
 * use (a device with max_pasids 0 is not asked and not programmed); else
 * the driver's answer. replace: the same without the range check, and no
 * driver call when old is domain. detach: blocks the PASID; cannot fail.
 */
int iommu_attach_device_pasid(struct iommu_domain *domain,
			      struct device *dev, uint32_t pasid);
int iommu_replace_device_pasid(struct iommu_domain *domain,
			       struct device *dev, uint32_t pasid,
			       struct iommu_domain *old);
void iommu_detach_device_pasid(struct iommu_domain *domain,
			       struct device *dev, uint32_t pasid);

/* The driver of the device's IOMMU instance. */
static inline const struct iommu_ops *dev_iommu_ops(struct device *dev)
{
	return dev->iommu->ops;
}

static inline uint32_t dev_iommu_max_pasids(struct device *dev)
{
	return dev->max_pasids;
}

static inline bool device_iommu_capable(struct device *dev,
					enum iommu_cap cap)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	if (!(dev->iommu->caps & (1ull << cap)))
		return false;
	return !ops->capable || ops->capable(dev, cap);
}

static inline int iommu_domain_translate(struct iommu_domain *domain,
					 uint64_t iova, unsigned int req,
					 bool set_ad,
					 struct iommu_translation *out)
{
	if (!domain->ops->translate)
		return -EOPNOTSUPP;
	out->fault_stage = 0;
	out->reason = IOMMU_FAULT_NONE;
	return domain->ops->translate(domain, iova, req, set_ad, out);
}

static inline void iommu_iotlb_flush(struct iommu_domain *domain,
				     uint64_t iova, uint64_t last)
{
	if (!domain->ops->iotlb_flush)
		return;
	trace_event("iotlb_flush", TA_HEX("iova", iova), TA_HEX("last", last));
	domain->ops->iotlb_flush(domain, iova, last);
}

static inline void iommu_iotlb_flush_all(struct iommu_domain *domain)
{
	iommu_iotlb_flush(domain, 0, UINT64_MAX);
}

static inline uint64_t iommu_min_page_size(const struct iommu_domain *domain)
{
	return 1ull << __builtin_ctzll(domain->pgsize_bitmap);
}

#endif /* IOMMUSIM_IOMMU_H */
