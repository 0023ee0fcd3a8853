/* SPDX-License-Identifier: MIT */
/*
 * The page-table engine: one radix-tree walker shared by every page-table
 * format, in the manner of the kernel's drivers/iommu/generic_pt. The walker
 * knows the shape of a tree; a format knows only how one 64-bit entry is
 * encoded. Domains keep their translations in these trees, in the hardware's
 * own format, and the DMA engine walks them as the hardware would.
 *
 * Vocabulary (written once, used by every format):
 *  - A tree has fmt->levels levels. Level 0 is the bottom: its entries map
 *    the smallest leaf, 2^granule_lg2 bytes. The top is level (levels - 1).
 *  - Every table holds 2^index_lg2 entries of 8 bytes and is one aligned
 *    block of 2^(index_lg2 + 3) bytes, at least 4 KiB aligned.
 *  - An entry at level n covers 2^(granule_lg2 + n * index_lg2) bytes of
 *    IOVA: the "span" of the level. It is empty, a leaf (maps its whole
 *    span to one output address) or a table (points at the next level).
 *  - Bit n of fmt->leaf_levels says level n may hold leaves; bit 0 must be
 *    set. A leaf above level 0 is a "huge" leaf.
 *  - Sizes are log2 (_lg2) or bytes; ranges are [iova, iova + length).
 *  - The input space is [0, 2^va_lg2); va_lg2 <= 63 so that the exclusive
 *    end of any range fits in 64 bits.
 *  - "Physical" addresses are host virtual addresses in this process.
 *  - A table is named by its address as the entry above it holds it: an
 *    output address of the tree. For a tree the walker owns that is a host
 *    address; for a guest's stage 1 it is a stage-1 output address, which
 *    must go through stage 2 before it can be read (struct pt_reader).
 *
 * Concurrency (the kernel's rules, plus the safety a software walker needs):
 *  - Entries are 64-bit words, always read and written with __atomic
 *    builtins: the DMA engine walks (pt_translate) while other threads map
 *    and unmap elsewhere in the same tree. Every read goes through an
 *    accessor: in a tree the walker owns, a plain atomic load of host
 *    memory (what its lookups' reader folds into); in a table it does not
 *    own, the caller's struct pt_reader (pt_translate_user).
 *  - Map/unmap of overlapping ranges are serialized by the caller; maps and
 *    unmaps of disjoint ranges may run at once. A missing table is installed
 *    with a compare-and-swap, so two maps that need the same new table agree.
 *  - Readers (translate, iova_to_phys, read_and_clear_dirty, mark_dirty) may
 *    run at any time, even against an unmap of the same range: they see the
 *    old translation or none, never freed memory. Tables taken out of the
 *    tree are not freed at once: they go on a retired list, freed by a later
 *    map/unmap that finds no reader in flight (pt->readers is 0).
 *  - pt_destroy() needs no other user at all.
 *
 * Which tables are freed before pt_destroy(): a table whose whole span an
 * unmap covers, and an empty table that a huge leaf replaces at map time.
 * A table emptied by several partial unmaps stays (empty) until one of
 * those, or pt_destroy(): finding it would cost a scan of the table on
 * every unmap.
 *
 * Every function returns 0 or -errno; nothing aborts on bad input.
 */
#ifndef IOMMUSIM_PGTABLE_H
#define IOMMUSIM_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/iommu.h"

/*
 * A page-table format: the geometry of its tree and the encoding of its
 * entries. The callbacks are pure functions of their arguments.
 *
 * One rule every format must keep, which the walker relies on: a value whose
 * bits [11:0] are all zero is not present (the retired list links tables
 * through their entry 0; a walker that still reads a retired table must see
 * an empty entry there). pt_init() checks it.
 */
struct pt_format {
	const char *name;
	unsigned int levels;      /* number of levels, 1..8 */
	unsigned int granule_lg2; /* leaf size at level 0 */
	unsigned int index_lg2;   /* entries per table, as log2 */
	unsigned int va_lg2;      /* input address bits; 0: all the levels hold */
	unsigned int oa_lg2;      /* output address bits the entries can hold */
	uint32_t leaf_levels;     /* bit n: level n may hold a leaf */

	bool (*present)(uint64_t entry);
	/* Only asked of a present entry. */
	bool (*is_leaf)(uint64_t entry, unsigned int level);
	uint64_t (*leaf_oa)(uint64_t entry, unsigned int level);
	int (*leaf_prot)(uint64_t entry); /* IOMMU_READ | IOMMU_WRITE */
	uint64_t (*table_addr)(uint64_t entry);
	/* Permissions a table entry grants to everything below it; NULL when
	 * tables restrict nothing (only leaves carry permissions). */
	int (*table_prot)(uint64_t entry);
	/* Whether the entry lets user-mode requests through (x86's U/S),
	 * checked on every level; NULL for a format without privilege. A
	 * supervisor request (IOMMU_REQ_PRIV) ignores it and may write a
	 * read-only page unless the walk asks for write protection (WPE). */
	bool (*user_ok)(uint64_t entry);
	/* Whether a present entry at level has reserved bits set, which the
	 * hardware refuses (-EBADMSG); NULL when nothing is reserved. */
	bool (*reserved)(uint64_t entry, unsigned int level);
	/* The walk marks every table entry it goes through accessed too, not
	 * only the leaf (x86 paging). */
	bool table_accessed;

	/* oa is aligned to the span of level; prot is IOMMU_READ/WRITE. */
	uint64_t (*make_leaf)(uint64_t oa, unsigned int level, int prot);
	uint64_t (*make_table)(uint64_t table);

	/* Accessed and dirty state of a leaf, as the hardware keeps it. */
	uint64_t (*make_accessed)(uint64_t entry);
	uint64_t (*make_dirty)(uint64_t entry);
	bool (*is_dirty)(uint64_t entry);
	uint64_t (*make_clean)(uint64_t entry);
};

/*
 * One tree. Embed it; pt_init() fills it, pt_destroy() empties it.
 * readers and retired are touched only with __atomic builtins.
 */
struct pgtable {
	const struct pt_format *fmt;
	uint64_t *top;          /* the level (levels - 1) table */
	unsigned int va_lg2;    /* input space is [0, 2^va_lg2) */
	unsigned int top_level;
	uint64_t table_bytes;   /* size of one table */
	uint64_t readers;       /* walks in flight that may hold a table */
	uint64_t *retired;      /* unlinked tables, chained through entry 0 */
	uint64_t nr_tables;     /* tables allocated now, retired included */
	/*
	 * Learnt from the format by pt_init(), for runs of level-0 leaves
	 * written and cleared in one loop: the bits present() tests (0 when
	 * it is not a test of bits), and whether a leaf's output address
	 * sits in it as it is, so that the leaf for oa + n * granule is the
	 * leaf for oa plus n * granule.
	 */
	uint64_t present_bits;
	bool linear_leaves;
	/*
	 * For the writers' remembered leaf tables (walk.c): this tree's
	 * number, unique in the process, and a count bumped whenever a
	 * table is taken out of the tree (__atomic).
	 */
	uint64_t serial;
	uint64_t unlinks;
};

/* The size an entry at this level covers, as log2. */
static inline unsigned int pt_level_lg2(const struct pt_format *fmt,
					unsigned int level)
{
	return fmt->granule_lg2 + level * fmt->index_lg2;
}

/* The input space of trees of this format is [0, 2^pt_va_lg2(fmt)). */
static inline unsigned int pt_va_lg2(const struct pt_format *fmt)
{
	return fmt->va_lg2 ? fmt->va_lg2 : pt_level_lg2(fmt, fmt->levels);
}

/* Allocates the top table. -EINVAL for an inconsistent format, -ENOMEM. */
int pt_init(struct pgtable *pt, const struct pt_format *fmt);
/* Frees every table, mapped or retired. No other user may remain. */
void pt_destroy(struct pgtable *pt);

/*
 * Maps [iova, iova + length) to [paddr, paddr + length) with prot. Each step
 * takes the largest leaf that pgsize_bitmap allows (a size whose bit is set
 * and that a level of the format can hold as a leaf; level 0 always), that
 * both iova and paddr are aligned to, and that fits in what is left, like
 * the kernel's iommu_pgsize(). A size of the bitmap that is no level's span
 * (4 KiB over a 2 KiB granule) is built of smaller leaves.
 *
 * -EINVAL: length 0, iova/paddr/length not granule-aligned, prot neither
 *          readable nor writable (or unknown bits), no usable page size;
 * -ERANGE: the range leaves the input space, or paddr the output space;
 * -EEXIST: something in the range is mapped already;
 * -ENOMEM.
 * On any failure nothing of the range stays mapped.
 */
int pt_map(struct pgtable *pt, uint64_t iova, uint64_t paddr,
	   uint64_t length, int prot, uint64_t pgsize_bitmap);

/*
 * Unmaps every leaf that overlaps [iova, iova + length) and returns the
 * bytes those leaves mapped: a leaf only partly inside the range is removed
 * whole and counted whole (a tree cannot hold part of a leaf). Holes are
 * skipped. 0 for an empty or out-of-range request.
 */
uint64_t pt_unmap(struct pgtable *pt, uint64_t iova, uint64_t length);

/* The host address iova translates to, or 0 when nothing maps it. */
uint64_t pt_iova_to_phys(struct pgtable *pt, uint64_t iova);

/*
 * Translates iova as the hardware does for a device access (req: the
 * IOMMU_REQ_* bits), with the outcomes of struct
 * iommu_domain_ops.translate: 0, -ERANGE beyond the input space, -ENOENT,
 * -EPERM (*out filled with its reason, the leaf's A/D untouched), -EBADMSG.
 * With set_ad, marks the leaf accessed and, for a write, dirty, atomically
 * (and, where the format says so, every table entry walked through
 * accessed, as the walk goes). A supervisor request in a format with
 * privilege is write protected.
 */
int pt_translate(struct pgtable *pt, uint64_t iova, unsigned int req,
		 bool set_ad, struct iommu_translation *out);

/*
 * Reports each dirty leaf overlapping [iova, iova + length) to
 * dirty->record(), as the part of the leaf inside the range (the whole leaf
 * when the range covers it), and clears its dirty bit unless flags has
 * IOMMU_DIRTY_NO_CLEAR. dirty, or its record, may be NULL: clear only.
 * -EINVAL for an empty range, -ERANGE beyond the input space.
 */
int pt_read_and_clear_dirty(struct pgtable *pt, uint64_t iova,
			    uint64_t length, unsigned long flags,
			    struct iommu_dirty_bitmap *dirty);

/*
 * Marks dirty every leaf overlapping [iova, iova + length), as a device
 * write would (without the accessed bit). -ENOENT when part of the range is
 * not mapped (the mapped parts are still marked), -EINVAL for an empty
 * range, -ERANGE beyond the input space.
 */
int pt_mark_dirty(struct pgtable *pt, uint64_t iova, uint64_t length);

/* Bytes of table memory the tree holds now (retired tables included). */
uint64_t pt_table_memory(struct pgtable *pt);

/* ---- tables the walker does not own --------------------------------------- */

/*
 * How a walk reads the tables of a tree it does not own: a guest's stage 1,
 * whose table addresses are stage-1 output addresses. A reader may route
 * each address through another translation (stage 2) before it reads, and
 * must turn an address it cannot read into an error, never a crash.
 * Embed it to give it state.
 */
struct pt_reader {
	/* *entry = entry index of the table at address table. 0, or an
	 * -errno the walk returns as it is: -EFAULT for memory that cannot
	 * be read; a routing reader's own stage's fault (it may record which
	 * stage failed where the caller can see it). */
	int (*load)(struct pt_reader *rd, uint64_t table,
		    unsigned int index, uint64_t *entry);
	/* Replaces entry index with want if it still holds old, atomically,
	 * as the hardware's A/D update does: 0, -EAGAIN when it held
	 * something else, or load's errors. NULL when the reader cannot
	 * write tables: a walk asked to set A/D then answers -EOPNOTSUPP. */
	int (*exchange)(struct pt_reader *rd, uint64_t table,
			unsigned int index, uint64_t old, uint64_t want);
};

struct usermem;

/*
 * Reads tables in mm's memory through the user-memory copies, so a bad
 * table address is -EFAULT, never a crash: the reader for tables a user
 * owns. Table addresses are addresses in mm (route them through stage 2
 * first for a nested walk). A/D updates go through
 * usermem_cmpxchg64(): a table that cannot be written is -EFAULT.
 */
struct pt_usermem_reader {
	struct pt_reader rd;
	const struct usermem *mm;
};

void pt_usermem_reader_init(struct pt_usermem_reader *r,
			    const struct usermem *mm);

/* A bit of the walker's permissions (struct iommu_walk_start.prot): the
 * entries let user-mode requests through. */
#define PT_PROT_USER (1 << 2)

/* A tree someone else owns and writes: the walker only reads it. */
struct pt_user_table {
	const struct pt_format *fmt;
	uint64_t top;		     /* the top table's address, as rd takes it */
	struct pt_reader *rd;
	/* Supervisor writes honour R/W (VT-d's WPE). */
	bool wpe;
	/* Where to start instead of top, when valid (a cached entry). */
	const struct iommu_walk_start *from;
	/* When not NULL: the deepest table entry the walk went through. */
	struct iommu_walk_start *deepest;
};

/*
 * pt_translate() in a table the walker does not own: every entry is read
 * through t->rd, and a failed read ends the walk with the reader's error
 * (-EFAULT for a bad address). Nothing protects against the owner changing
 * or freeing tables meanwhile beyond what the reader checks: the walk sees
 * what the memory holds, as hardware does. With set_ad and a reader that
 * cannot write: -EOPNOTSUPP before anything is read.
 */
int pt_translate_user(const struct pt_user_table *t, uint64_t iova,
		      unsigned int req, bool set_ad,
		      struct iommu_translation *out);

/* ---- formats ------------------------------------------------------------- */

/* The mock IOMMU's own format (src/iommu/pgtable/mock.c). */
extern const struct pt_format pt_mock_format;
/* VT-d second stage, 4 and 5 levels (src/iommu/pgtable/vtd_ss.c). */
extern const struct pt_format pt_vtd_ss_format;
extern const struct pt_format pt_vtd_ss5_format;
/* x86-64 paging, 4 levels and LA57, as VT-d's first stage walks it
 * (src/iommu/pgtable/x86_64.c). */
extern const struct pt_format pt_x86_64_format;
extern const struct pt_format pt_x86_64_la57_format;

#endif /* IOMMUSIM_PGTABLE_H */
