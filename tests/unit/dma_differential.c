// SPDX-License-Identifier: MIT
/*
 * The DMA engine against a reference walker, on random tables.
 *
 * Each round builds a random stage 2 (a VT-d nest parent with dirty
 * tracking on: 4 KiB, 2 MiB and 1 GiB leaves, read-write and write-only,
 * holes) and a random x86-64 stage 1 in guest memory (4 KiB, 2 MiB and
 * 1 GiB leaves, R/W and U/S cleared here and there on leaves and tables,
 * reserved bits, holes, tables stage 2 does not map or maps write-only),
 * over a nested domain with random SRE and WPE. Then random DMA: reads and
 * writes, user and supervisor, through the nested domain and through the
 * parent alone, of 1 byte to 4 pages, mostly where something is mapped.
 * Now and then leaves and table entries change, followed by the
 * invalidation they need (so the IOTLB must agree with a fresh walk), and
 * stage-2 pages are unmapped.
 *
 * The engine (iommu_dma(), with the device's IOTLB and paging-structure
 * cache) works on host memory M; the reference, written here from the
 * VT-d and x86 rules without the library's walker, works on a copy M' with
 * its own list of stage-2 mappings and walks every 4 KiB page from the
 * root. They must agree on every transfer's outcome (errno, bytes moved,
 * faulting page, reason, stage) and the bytes read; M and M' must stay
 * equal (data written, A and D in the guest's tables); and stage 2's dirty
 * leaves must be the same (stage-2 A is not compared: no interface shows
 * it). Stage 1 is 4-level (48-bit); stage 2 is the unit's 5-level one.
 *
 * At least 10^6 page translations in a plain build, in a few seconds;
 * under ASan or TSan the rounds are cut by SANITIZER_SCALE (10), which
 * keeps those runs under a minute.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/usermem.h"
#include "iommu/dma.h"
#include "iommu/drivers/intel_priv.h"
#include "iommu/iotlb.h"
#include "iommu/platform_config.h"
#include "iommu/user_data.h"
#include "iommufd/iommufd.h"
#include "harness.h"
#include "sanitizer_scale.h"
#include "x86_pte.h"


#define ROUNDS (48 / SANITIZER_SCALE + 1)
#define DMAS_PER_ROUND 20000
#define MIN_TRANSLATIONS (1000000 / SANITIZER_SCALE)

#define SZ_4K (1ull << 12)
#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)

/* Host memory: block 0 holds the guest's tables ([0, 2 MiB)) and data
 * ([2 MiB, 16 MiB)), block 1 is what a 1 GiB stage-2 leaf reaches (its
 * first 4 MiB exist); the rest of each block is reserved, not readable. */
#define TABLES_SIZE SZ_2M
#define BLOCK0_SIZE (16 * SZ_2M / 2)
#define BLOCK1_SIZE (2 * SZ_2M)
#define HOST_SPAN (2 * SZ_1G)

/* Guest-physical layout. */
#define NB_AREA SZ_1G		/* data neighbourhoods and 2 MiB leaves */
#define HUGE_GPA SZ_1G		/* the 1 GiB stage-2 leaf: block 1 */
#define TABLES_GPA (3 * SZ_1G) /* the tables, 4 KiB leaves */

/* Guest-virtual layout: 8 GiB from GVA_BASE. */
#define GVA_BASE 0x00007f0000000000ull
#define GVA_SPAN (8 * SZ_1G)

__attribute__((constructor)) static void devices_setup(void)
{
	setenv("IOMMUSIM_DEVICES", "vtd", 1);
}

/* ---- randomness ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* ---- host memory, twice ------------------------------------------------------ */

struct host {
	uint8_t *engine; /* M, 1 GiB aligned */
	uint8_t *ref;	 /* M' */
};

static uint8_t *reserve_host(void)
{
	uint8_t *raw = mmap(NULL, HOST_SPAN + SZ_1G, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *base;

	if (raw == MAP_FAILED)
		return NULL;
	base = (uint8_t *)(((uintptr_t)raw + SZ_1G - 1) & ~(SZ_1G - 1));
	if (mprotect(base, BLOCK0_SIZE, PROT_READ | PROT_WRITE) ||
	    mprotect(base + SZ_1G, BLOCK1_SIZE, PROT_READ | PROT_WRITE))
		return NULL;
	return base;
}

static bool host_accessible(uint64_t off, uint64_t len)
{
	return (off + len <= BLOCK0_SIZE) ||
	       (off >= SZ_1G && off + len <= SZ_1G + BLOCK1_SIZE);
}

static void host_fill(struct host *h)
{
	for (uint64_t i = 0; i < BLOCK0_SIZE; i += 8)
		*(uint64_t *)(h->engine + i) = rnd();
	for (uint64_t i = 0; i < BLOCK1_SIZE; i += 8)
		*(uint64_t *)(h->engine + SZ_1G + i) = rnd();
	memset(h->engine, 0, TABLES_SIZE);
	memcpy(h->ref, h->engine, BLOCK0_SIZE);
	memcpy(h->ref + SZ_1G, h->engine + SZ_1G, BLOCK1_SIZE);
}

static bool host_equal(const struct host *h, bool tables_only)
{
	if (tables_only)
		return !memcmp(h->engine, h->ref, TABLES_SIZE);
	return !memcmp(h->engine, h->ref, BLOCK0_SIZE) &&
	       !memcmp(h->engine + SZ_1G, h->ref + SZ_1G, BLOCK1_SIZE);
}

/* ---- the reference's stage 2 ---------------------------------------------------- */

struct s2_leaf {
	uint64_t gpa, size, off;
	int prot;
	bool dirty;
	bool live;
};

#define MAX_S2 1024

struct ref_s2 {
	struct s2_leaf leaf[MAX_S2];
	unsigned int n;
};

static struct s2_leaf *ref_s2_find(struct ref_s2 *s2, uint64_t gpa)
{
	for (unsigned int i = 0; i < s2->n; i++) {
		struct s2_leaf *l = &s2->leaf[i];

		if (l->live && gpa >= l->gpa && gpa - l->gpa < l->size)
			return l;
	}
	return NULL;
}

/* ---- the world of one round --------------------------------------------------- */

struct world {
	struct host host;
	struct device *dev;
	struct intel_iommu *iommu;
	struct iommu_domain *parent;
	struct iommu_domain *nested;
	struct ref_s2 s2;
	uint64_t next_table; /* GPA */
	uint64_t root;	     /* GPA */
	bool sre, wpe;
	/* s1 leaves, for aiming DMA and changing them */
	struct {
		uint64_t gva;
		unsigned int level;
	} leaves[512];
	unsigned int nleaves;
	uint64_t translations;
};

static uint64_t table_off(uint64_t gpa)
{
	return gpa - TABLES_GPA;
}

static uint64_t *eng_entry(struct world *w, uint64_t gpa)
{
	return (uint64_t *)(w->host.engine + table_off(gpa));
}

static uint64_t *ref_entry(struct world *w, uint64_t gpa)
{
	return (uint64_t *)(w->host.ref + table_off(gpa));
}

/* Writes a guest table entry in both memories. */
static void set_entry(struct world *w, uint64_t gpa, uint64_t value)
{
	*eng_entry(w, gpa) = value;
	*ref_entry(w, gpa) = value;
}

static int s2_map(struct world *w, uint64_t gpa, uint64_t off, uint64_t size,
		  int prot)
{
	int rc;

	if (w->s2.n == MAX_S2)
		return -ENOSPC;
	rc = w->parent->ops->map_pages(w->parent, gpa,
				       (uintptr_t)w->host.engine + off, size,
				       prot, size);
	if (rc)
		return rc;
	w->s2.leaf[w->s2.n++] = (struct s2_leaf){ gpa, size, off, prot,
						  false, true };
	return 0;
}

static void build_stage2(struct world *w)
{
	/* the tables: 4 KiB leaves, a few write-only, a few missing */
	for (uint64_t i = 0; i < TABLES_SIZE / SZ_4K; i++) {
		if (chance(2))
			continue;
		s2_map(w, TABLES_GPA + i * SZ_4K, i * SZ_4K, SZ_4K,
		       chance(2) ? IOMMU_WRITE : IOMMU_READ | IOMMU_WRITE);
	}
	/* 2 MiB leaves onto the data chunks */
	for (unsigned int i = 0; i < 6; i++)
		s2_map(w, below(NB_AREA / SZ_2M) * SZ_2M,
		       TABLES_SIZE + below((BLOCK0_SIZE - TABLES_SIZE) / SZ_2M) *
					     SZ_2M,
		       SZ_2M, chance(15) ? IOMMU_WRITE : IOMMU_READ | IOMMU_WRITE);
	/* 4 KiB leaves in a few neighbourhoods */
	for (unsigned int nb = 0; nb < 8; nb++) {
		uint64_t base = below(NB_AREA / SZ_2M) * SZ_2M;

		for (unsigned int i = 0; i < 48; i++)
			s2_map(w, base + below(SZ_2M / SZ_4K) * SZ_4K,
			       TABLES_SIZE +
				       below((BLOCK0_SIZE - TABLES_SIZE) / SZ_4K) *
					       SZ_4K,
			       SZ_4K,
			       chance(15) ? IOMMU_WRITE :
					    IOMMU_READ | IOMMU_WRITE);
	}
	if (chance(60))
		s2_map(w, HUGE_GPA, SZ_1G, SZ_1G, IOMMU_READ | IOMMU_WRITE);
}

static uint64_t new_table(struct world *w)
{
	uint64_t gpa = w->next_table;

	w->next_table += SZ_4K;
	return gpa;
}

static uint64_t table_bits(void)
{
	uint64_t bits = X86_P | X86_RW | X86_US;

	if (chance(3))
		bits &= ~X86_RW;
	if (chance(3))
		bits &= ~X86_US;
	if (chance(5))
		bits |= X86_A;
	return bits;
}

static unsigned int x86_index(uint64_t gva, unsigned int level)
{
	return (gva >> (12 + 9 * level)) & 511;
}

/* The GPA of the entry of level for gva, tables made on the way; 0 when a
 * leaf is in the way or the tables ran out. */
static uint64_t s1_slot(struct world *w, uint64_t gva, unsigned int level)
{
	uint64_t table = w->root;

	for (unsigned int l = 3; l > level; l--) {
		uint64_t slot = table + 8 * x86_index(gva, l);
		uint64_t e = *eng_entry(w, slot);

		if (!(e & X86_P)) {
			if (w->next_table >= TABLES_GPA + TABLES_SIZE)
				return 0;
			e = new_table(w) | table_bits();
			set_entry(w, slot, e);
		} else if (l <= 2 && (e & X86_PS)) {
			return 0;
		}
		table = e & X86_ADDR;
	}
	return table + 8 * x86_index(gva, level);
}

/* A GPA for a stage-1 leaf of size: mostly somewhere stage 2 maps. */
static uint64_t leaf_target(struct world *w, uint64_t size)
{
	struct s2_leaf *l = &w->s2.leaf[below(w->s2.n)];

	if (size == SZ_1G)
		return chance(50) ? 0 : HUGE_GPA;
	if (chance(10) || l->gpa >= TABLES_GPA)
		return below(2 * NB_AREA / size) * size;
	return (l->gpa + below(l->size / SZ_4K) * SZ_4K) & ~(size - 1);
}

static uint64_t leaf_bits(unsigned int level)
{
	uint64_t bits = X86_P | X86_RW | X86_US;

	if (chance(15))
		bits &= ~X86_RW;
	if (chance(5))
		bits &= ~X86_US;
	if (chance(10))
		bits |= X86_A;
	if (chance(5))
		bits |= X86_A | X86_D;
	if (level)
		bits |= X86_PS;
	/* reserved: an address bit below a huge leaf's span */
	if (level && chance(3))
		bits |= 1ull << 13;
	return bits;
}

static void build_stage1(struct world *w)
{
	w->next_table = TABLES_GPA;
	w->root = new_table(w);
	w->nleaves = 0;
	while (w->nleaves < 160) {
		unsigned int level = chance(60) ? 0 : chance(75) ? 1 : 2;
		uint64_t size = 1ull << (12 + 9 * level);
		uint64_t gva = GVA_BASE + below(GVA_SPAN / size) * size;
		uint64_t slot = s1_slot(w, gva, level);

		if (!slot)
			break;
		if (*eng_entry(w, slot) & X86_P)
			continue;
		set_entry(w, slot, leaf_target(w, size) | leaf_bits(level));
		w->leaves[w->nleaves].gva = gva;
		w->leaves[w->nleaves++].level = level;
	}
	/* a PML4 entry with PS (reserved) next to the region */
	if (chance(30))
		set_entry(w, w->root + 8 * (x86_index(GVA_BASE, 3) + 1),
			  new_table(w) | X86_P | X86_RW | X86_US | X86_PS);
}

static struct iommu_domain *nested_alloc(struct world *w)
{
	struct iommu_hwpt_vtd_s1 s1 = {
		.flags = (w->sre ? IOMMU_VTD_S1_SRE : 0) |
			 (w->wpe ? IOMMU_VTD_S1_WPE : 0),
		.pgtbl_addr = w->root,
		.addr_width = 48,
	};
	struct iommu_user_data data = {
		.mm = usermem_self(),
		.type = IOMMU_HWPT_DATA_VTD_S1,
		.uptr = (uintptr_t)&s1,
		.len = sizeof(s1),
	};
	int err = 0;

	return intel_nested_alloc(w->parent, 0, &data, &err);
}

/* ---- the reference walker ------------------------------------------------------------ */

struct ref_out {
	int rc;
	enum iommu_fault_reason reason;
	unsigned int stage;
	uint64_t off; /* host offset of the byte */
};

static int ref_fail(struct ref_out *o, int rc, enum iommu_fault_reason why,
		    unsigned int stage)
{
	o->rc = rc;
	o->reason = why;
	o->stage = stage;
	return rc;
}

/* Stage 2 for gpa; a write marks the leaf dirty (SSADE is on). */
static int ref_stage2(struct world *w, uint64_t gpa, bool write,
		      unsigned int stage, struct ref_out *o)
{
	struct s2_leaf *l;

	if (gpa >> 57)
		return ref_fail(o, -ERANGE, IOMMU_FAULT_ADDRESS, stage);
	l = ref_s2_find(&w->s2, gpa);
	if (!l)
		return ref_fail(o, -ENOENT, IOMMU_FAULT_NOT_PRESENT, stage);
	if (!(l->prot & (write ? IOMMU_WRITE : IOMMU_READ)))
		return ref_fail(o, -EPERM,
				write ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ,
				stage);
	if (write)
		l->dirty = true;
	o->off = l->off + (gpa - l->gpa);
	return 0;
}

/* Reads the stage-1 entry at gpa, through stage 2. */
static int ref_load(struct world *w, uint64_t gpa, uint64_t *e,
		    struct ref_out *o)
{
	int rc = ref_stage2(w, gpa, false, 2, o);

	if (rc)
		return rc;
	if (!host_accessible(o->off, 8))
		return ref_fail(o, -EFAULT, IOMMU_FAULT_TABLE, 1);
	*e = *(uint64_t *)(w->host.ref + o->off);
	return 0;
}

/* Sets bits in the stage-1 entry at gpa, if they are not all set: a write
 * to the guest's table, through stage 2. */
static int ref_set_bits(struct world *w, uint64_t gpa, uint64_t e,
			uint64_t bits, struct ref_out *o)
{
	int rc;

	if ((e & bits) == bits)
		return 0;
	rc = ref_stage2(w, gpa, true, 2, o);
	if (rc)
		return rc;
	*(uint64_t *)(w->host.ref + o->off) = e | bits;
	return 0;
}

static bool ref_reserved(uint64_t e, unsigned int level)
{
	if (!(e & X86_PS) || !level)
		return false;
	if (level == 3)
		return true;
	return e & X86_ADDR & ((1ull << (12 + 9 * level)) - 1) & ~(1ull << 12);
}

/* One address through the guest's stage 1 and stage 2. */
static int ref_nested(struct world *w, uint64_t gva, bool write, bool priv,
		      struct ref_out *o)
{
	uint64_t table = w->root, e = 0, input;
	bool w_ok = true, user_ok = true, allowed;
	unsigned int level;
	int rc;

	if (priv && !w->sre)
		return ref_fail(o, -EPERM, IOMMU_FAULT_PRIV, 1);
	if ((gva >> 47) && (gva >> 47) != 0x1ffff)
		return ref_fail(o, -ERANGE, IOMMU_FAULT_ADDRESS, 1);
	input = gva & ((1ull << 48) - 1);
	for (level = 3;; level--) {
		uint64_t slot = table + 8 * x86_index(input, level);

		rc = ref_load(w, slot, &e, o);
		if (rc)
			return rc;
		if (!(e & X86_P))
			return ref_fail(o, -ENOENT, IOMMU_FAULT_NOT_PRESENT, 1);
		if (ref_reserved(e, level))
			return ref_fail(o, -EBADMSG, IOMMU_FAULT_TABLE, 1);
		w_ok = w_ok && (e & X86_RW);
		user_ok = user_ok && (e & X86_US);
		if (level == 0 || (e & X86_PS)) {
			table = slot;
			break;
		}
		rc = ref_set_bits(w, slot, e, X86_A, o);
		if (rc)
			return rc;
		table = e & X86_ADDR;
	}
	if (priv)
		allowed = !write || w_ok || !w->wpe;
	else
		allowed = user_ok && (!write || w_ok);
	if (!allowed)
		return ref_fail(o, -EPERM,
				!priv && !user_ok ? IOMMU_FAULT_PRIV :
				write		  ? IOMMU_FAULT_WRITE :
						    IOMMU_FAULT_READ,
				1);
	rc = ref_set_bits(w, table, e, write ? X86_A | X86_D : X86_A, o);
	if (rc)
		return rc;
	{
		uint64_t span = 1ull << (12 + 9 * level);
		uint64_t gpa = (e & X86_ADDR & ~(span - 1)) + (input & (span - 1));

		return ref_stage2(w, gpa, write, 2, o);
	}
}

/* A transfer, one 4 KiB page at a time, each walked from the root. */
static int ref_dma(struct world *w, bool nested, uint64_t iova, uint64_t len,
		   bool write, bool priv, uint8_t *buf, struct dma_result *res)
{
	*res = (struct dma_result){ 0 };
	while (res->done < len) {
		uint64_t a = iova + res->done;
		uint64_t n = SZ_4K - (a & (SZ_4K - 1));
		struct ref_out o = { 0 };
		int rc;

		if (n > len - res->done)
			n = len - res->done;
		w->translations++;
		rc = nested ? ref_nested(w, a, write, priv, &o) :
			      ref_stage2(w, a, write, 0, &o);
		if (rc) {
			res->fault_iova = a & ~(SZ_4K - 1);
			res->reason = o.reason;
			res->stage = o.stage;
			return -EIO;
		}
		if (!host_accessible(o.off, n))
			return -EFAULT;
		if (write)
			memcpy(w->host.ref + o.off, buf + res->done, n);
		else
			memcpy(buf + res->done, w->host.ref + o.off, n);
		res->done += n;
	}
	return 0;
}

/* ---- comparing ------------------------------------------------------------------------ */

struct dirty_set {
	struct {
		uint64_t gpa, len;
	} r[MAX_S2];
	unsigned int n;
};

static void record_dirty(struct iommu_dirty_bitmap *d, uint64_t iova,
			 uint64_t len);

struct dirty_recorder {
	struct iommu_dirty_bitmap bitmap;
	struct dirty_set *set;
};

static void record_dirty(struct iommu_dirty_bitmap *d, uint64_t iova,
			 uint64_t len)
{
	struct dirty_recorder *r = container_of(d, struct dirty_recorder,
						bitmap);

	if (r->set->n < MAX_S2) {
		r->set->r[r->set->n].gpa = iova;
		r->set->r[r->set->n++].len = len;
	}
}

static bool dirty_listed(const struct dirty_set *set, uint64_t gpa,
			 uint64_t len)
{
	for (unsigned int i = 0; i < set->n; i++)
		if (set->r[i].gpa == gpa && set->r[i].len == len)
			return true;
	return false;
}

/* Stage 2's dirty leaves read and cleared on both sides: the same. */
static bool dirty_equal(struct world *w)
{
	static struct dirty_set engine;
	struct dirty_recorder rec = { { record_dirty }, &engine };
	unsigned int ref_count = 0;
	bool same = true;

	engine.n = 0;
	if (w->parent->ops->read_and_clear_dirty(w->parent, 0, 1ull << 56, 0,
						 &rec.bitmap))
		return false;
	for (unsigned int i = 0; i < w->s2.n; i++) {
		struct s2_leaf *l = &w->s2.leaf[i];

		if (!l->live || !l->dirty)
			continue;
		ref_count++;
		same = same && dirty_listed(&engine, l->gpa, l->size);
		l->dirty = false;
	}
	return same && ref_count == engine.n;
}

/* ---- changes, with the invalidation they need ------------------------------------ */

static void change_leaves(struct world *w)
{
	for (unsigned int k = 0; k < 4 && w->nleaves; k++) {
		unsigned int i = below(w->nleaves);
		unsigned int level = w->leaves[i].level;
		uint64_t gva = w->leaves[i].gva;
		uint64_t size = 1ull << (12 + 9 * level);
		uint64_t slot = s1_slot(w, gva, level);

		if (!slot)
			continue;
		set_entry(w, slot,
			  chance(10) ? 0 :
				       leaf_target(w, size) | leaf_bits(level));
		iotlb_invalidate(w->nested, gva, gva + size - 1, true);
	}
}

/* A table entry's permissions change: its whole span is invalidated, the
 * paging-structure entries with it. */
static void change_table_entry(struct world *w)
{
	uint64_t gva = w->leaves[below(w->nleaves)].gva;
	unsigned int level = 1 + below(3);
	uint64_t slot = w->root, e = 0, span;

	for (unsigned int l = 3; l >= level; l--) {
		slot = (slot & X86_ADDR) + 8 * x86_index(gva, l);
		e = *eng_entry(w, slot);
		if (!(e & X86_P) || (l <= 2 && (e & X86_PS)))
			return;
		if (l > level)
			slot = e;
	}
	set_entry(w, slot, e ^ (chance(50) ? X86_RW : X86_US));
	span = 1ull << (12 + 9 * (level + 1));
	gva &= ~(span - 1);
	iotlb_invalidate(w->nested, gva, gva + span - 1, false);
}

/* A stage-2 leaf of data goes, as an UNMAP takes it (the core flushes). */
static void unmap_stage2(struct world *w)
{
	struct s2_leaf *l = &w->s2.leaf[below(w->s2.n)];

	if (!l->live || l->gpa >= TABLES_GPA)
		return;
	w->parent->ops->unmap_pages(w->parent, l->gpa, l->size);
	iommu_iotlb_flush(w->parent, l->gpa, l->gpa + l->size - 1);
	l->live = false;
}

/* ---- random transfers --------------------------------------------------------------- */

struct transfer {
	bool nested, write, priv;
	uint64_t iova, len;
};

static uint64_t random_length(void)
{
	if (chance(40))
		return 1 + below(8);
	if (chance(65))
		return 1 + below(2 * SZ_4K);
	return 1 + below(4 * SZ_4K);
}

static void random_transfer(struct world *w, struct transfer *t)
{
	t->nested = chance(90);
	t->write = chance(40);
	t->priv = t->nested && chance(20);
	t->len = random_length();
	if (!t->nested) {
		struct s2_leaf *l = &w->s2.leaf[below(w->s2.n)];

		/* the tables change only with their invalidation: reads
		 * there, never writes */
		t->write = t->write && l->gpa < TABLES_GPA;
		t->iova = l->gpa + below(l->size < SZ_2M ? l->size : SZ_2M);
	} else if (chance(90) && w->nleaves) {
		unsigned int i = below(w->nleaves);
		uint64_t size = 1ull << (12 + 9 * w->leaves[i].level);

		t->iova = w->leaves[i].gva +
			  below(size < BLOCK1_SIZE ? size : BLOCK1_SIZE);
	} else if (chance(95)) {
		/* the region, or the PML4 entry after it */
		t->iova = GVA_BASE + below(GVA_SPAN) +
			  (chance(10) ? 512 * SZ_1G : 0);
	} else {
		t->iova = rnd();
		if (t->iova + t->len < t->iova)
			t->iova = 0;
	}
}

static void run_transfer(struct __test_metadata *_metadata, struct world *w,
			 const struct transfer *t)
{
	static uint8_t ebuf[4 * SZ_4K], rbuf[4 * SZ_4K];
	struct dma_request rq = {
		.iova = t->iova,
		.length = t->len,
		.buf = (uintptr_t)ebuf,
		.req = (t->write ? IOMMU_REQ_WRITE : 0) |
		       (t->priv ? IOMMU_REQ_PRIV : 0),
		.pasid = t->priv ? 1 : IOMMU_NO_PASID,
	};
	struct dma_result eres, rres;
	int erc, rrc;

	if (t->write) {
		for (uint64_t i = 0; i < t->len; i++)
			ebuf[i] = (uint8_t)rnd();
		memcpy(rbuf, ebuf, t->len);
	} else {
		memset(ebuf, 0xee, t->len);
		memset(rbuf, 0xee, t->len);
	}
	erc = iommu_dma(w->dev, t->nested ? w->nested : w->parent,
			usermem_self(), &rq, &eres, NULL);
	rrc = ref_dma(w, t->nested, t->iova, t->len, t->write, t->priv, rbuf,
		      &rres);
	if (erc != rrc || eres.done != rres.done ||
	    (erc == -EIO && (eres.fault_iova != rres.fault_iova ||
			     eres.reason != rres.reason ||
			     eres.stage != rres.stage)))
		fprintf(stderr,
			"# %s %s%s iova 0x%llx len %llu: engine %d done %llu "
			"at 0x%llx reason %d stage %u; reference %d done %llu "
			"at 0x%llx reason %d stage %u\n",
			t->nested ? "nested" : "paging",
			t->write ? "write" : "read", t->priv ? " priv" : "",
			(unsigned long long)t->iova,
			(unsigned long long)t->len, erc,
			(unsigned long long)eres.done,
			(unsigned long long)eres.fault_iova, eres.reason,
			eres.stage, rrc, (unsigned long long)rres.done,
			(unsigned long long)rres.fault_iova, rres.reason,
			rres.stage);
	ASSERT_EQ(rrc, erc);
	ASSERT_EQ(rres.done, eres.done);
	if (erc == -EIO) {
		ASSERT_EQ(rres.fault_iova, eres.fault_iova);
		ASSERT_EQ(rres.reason, eres.reason);
		ASSERT_EQ(rres.stage, eres.stage);
	}
	if (!t->write)
		ASSERT_EQ(0, memcmp(ebuf, rbuf, eres.done));
}

static void run_round(struct __test_metadata *_metadata, struct world *w)
{
	struct transfer t;

	host_fill(&w->host);
	w->s2.n = 0;
	w->parent = intel_paging_alloc(w->iommu,
				       IOMMU_HWPT_ALLOC_NEST_PARENT |
					       IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				       &(int){ 0 });
	ASSERT_NONNULL(w->parent);
	ASSERT_EQ(0, w->parent->ops->set_dirty_tracking(w->parent, true));
	build_stage2(w);
	build_stage1(w);
	w->sre = chance(70);
	w->wpe = chance(50);
	w->nested = nested_alloc(w);
	ASSERT_NONNULL(w->nested);

	for (unsigned int i = 0; i < DMAS_PER_ROUND; i++) {
		random_transfer(w, &t);
		run_transfer(_metadata, w, &t);
		if (i % 500 == 499)
			change_leaves(w);
		if (i % 1500 == 1499)
			change_table_entry(w);
		if (i % 3000 == 2999)
			unmap_stage2(w);
		if (i % 256 == 255)
			ASSERT_TRUE(host_equal(&w->host, true));
		if (i % 4096 == 4095)
			ASSERT_TRUE(dirty_equal(w));
	}
	ASSERT_TRUE(host_equal(&w->host, false));
	ASSERT_TRUE(dirty_equal(w));

	/* as a detach would: nothing of these domains stays cached */
	iotlb_invalidate(w->nested, 0, UINT64_MAX, false);
	iotlb_invalidate(w->parent, 0, UINT64_MAX, false);
	w->nested->ops->free(w->nested);
	w->parent->ops->free(w->parent);
}

TEST(engine_equals_reference)
{
	static struct world w;

	ASSERT_EQ(0, iommufd_global_init());
	w.dev = platform_get_configured_device(0);
	ASSERT_NONNULL(w.dev);
	ASSERT_NONNULL(w.dev->iotlb);
	w.iommu = dev_to_intel(w.dev);
	w.host.engine = reserve_host();
	w.host.ref = reserve_host();
	ASSERT_NONNULL(w.host.engine);
	ASSERT_NONNULL(w.host.ref);
	for (unsigned int r = 0; r < ROUNDS; r++)
		run_round(_metadata, &w);
	printf("# %llu page translations in %u rounds\n",
	       (unsigned long long)w.translations, ROUNDS);
	EXPECT_LE(MIN_TRANSLATIONS, w.translations);
	put_device(w.dev);
}

TEST_HARNESS_MAIN
