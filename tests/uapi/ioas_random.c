// SPDX-License-Identifier: MIT
/*
 * Randomized IOAS test: thousands of random MAP (fixed and automatic),
 * UNMAP and COPY operations, with now and then ADD_RESERVED, ALLOW_IOVAS,
 * IOVA_RANGES and HUGE_PAGES, on one or two IOASes with no domain, checked
 * step by step against a reference model: same result, same errno, same
 * IOVA or byte count.
 *
 * The model is a sorted array of areas per IOAS plus its reserved and
 * allowed ranges, and follows the kernel's code (ioas.c, io_pagetable.c,
 * pages.c; newest upstream) check by check: iopt_alloc_iova() for
 * automatic placement, iopt_check_iova() for fixed, iopt_get_pages() for
 * the source of a copy, iopt_unmap_iova_range() for unmap.
 *
 * Every so often a checkpoint compares the whole state without changing
 * it: every area must be there exactly (a copy of it into a scratch IOAS
 * succeeds, an unmap of all but its last or first byte is ENOENT), every
 * gap must be empty (its unmap is ENOENT), writability must match (a
 * writeable copy is EPERM from read-only memory), and IOVA_RANGES must
 * list the holes between the reserved ranges.
 *
 * The seed is fixed and printed; IOMMUSIM_SEED=n in the environment
 * replaces it.
 */
#include "iommufd_utils.h"

/* ---- a small deterministic generator (splitmix64) ------------------------ */

struct rng {
	uint64_t state;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

/* ---- the reference model ------------------------------------------------- */

/* A closed interval [start, last]. */
struct ival {
	uint64_t start, last;
};

/* An area: [iova, last] maps user memory from uva; 'writable' belongs to
 * the memory (the pages), so a copy inherits it whatever its own flags. */
struct marea {
	uint64_t iova, last, uva;
	bool writable;
};

#define MAX_RESERVED 64
#define MAX_ALLOWED 8

struct mioas {
	__u32 id;
	struct marea *areas;	/* sorted by iova, disjoint */
	unsigned int nareas, cap;
	struct ival reserved[MAX_RESERVED]; /* may overlap */
	unsigned int nreserved;
	struct ival allowed[MAX_ALLOWED];   /* disjoint */
	unsigned int nallowed;
	uint64_t alignment;	/* 1, or PAGE_SIZE with huge pages off */
	bool huge_pages_off;
};

static struct ival *scratch_ivals;
static unsigned int scratch_cap;

static struct ival *ivals(unsigned int n)
{
	if (n > scratch_cap) {
		scratch_cap = n * 2 + 16;
		scratch_ivals = realloc(scratch_ivals,
					scratch_cap * sizeof(*scratch_ivals));
		if (!scratch_ivals)
			abort();
	}
	return scratch_ivals;
}

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* interval_tree_span_iter's used spans of 'in' inside [first, last]:
 * overlapping or adjacent intervals join, everything clipped. Sorts 'in';
 * 'out' may be 'in'. */
static unsigned int used_spans(struct ival *in, unsigned int n, uint64_t first,
			       uint64_t last, struct ival *out)
{
	unsigned int k = 0;

	qsort(in, n, sizeof(*in), cmp_ival);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t s = in[i].start, l = in[i].last;

		if (l < first || s > last)
			continue;
		if (s < first)
			s = first;
		if (l > last)
			l = last;
		if (k && (out[k - 1].last >= s || out[k - 1].last + 1 == s)) {
			if (l > out[k - 1].last)
				out[k - 1].last = l;
		} else {
			out[k++] = (struct ival){ s, l };
		}
	}
	return k;
}

/* The holes between sorted, joined spans inside [first, last]. 'out' has
 * room for n + 1. */
static unsigned int hole_spans(const struct ival *used, unsigned int n,
			       uint64_t first, uint64_t last, struct ival *out)
{
	uint64_t cur = first;
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (used[i].start > cur)
			out[k++] = (struct ival){ cur, used[i].start - 1 };
		if (used[i].last >= last)
			return k;
		cur = used[i].last + 1;
	}
	out[k++] = (struct ival){ cur, last };
	return k;
}

static bool ival_hits(const struct ival *v, unsigned int n, uint64_t start,
		      uint64_t last)
{
	for (unsigned int i = 0; i < n; i++)
		if (v[i].start <= last && v[i].last >= start)
			return true;
	return false;
}

/* Index of the lowest area intersecting [start, last], or -1. */
static int first_area(const struct mioas *m, uint64_t start, uint64_t last)
{
	unsigned int lo = 0, hi = m->nareas;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (m->areas[mid].last < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->nareas && m->areas[lo].iova <= last)
		return (int)lo;
	return -1;
}

static void insert_area(struct mioas *m, struct marea a)
{
	unsigned int pos = 0;

	if (m->nareas == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->areas = realloc(m->areas, m->cap * sizeof(*m->areas));
		if (!m->areas)
			abort();
	}
	while (pos < m->nareas && m->areas[pos].iova < a.iova)
		pos++;
	memmove(&m->areas[pos + 1], &m->areas[pos],
		(m->nareas - pos) * sizeof(*m->areas));
	m->areas[pos] = a;
	m->nareas++;
}

static void remove_area(struct mioas *m, unsigned int i)
{
	memmove(&m->areas[i], &m->areas[i + 1],
		(m->nareas - i - 1) * sizeof(*m->areas));
	m->nareas--;
}

static uint64_t roundup_pow_of_two(uint64_t n)
{
	return n <= 1 ? 1 : 1ull << (64 - __builtin_clzll(n - 1));
}

/* __alloc_iova_check_range() */
static bool check_range(uint64_t *start, uint64_t last, uint64_t length,
			uint64_t align, uint64_t page_offset)
{
	uint64_t aligned;

	if (__builtin_add_overflow(*start, align - 1, &aligned))
		return false;
	aligned &= ~(align - 1);
	aligned |= page_offset;
	if (aligned >= last || last - aligned < length - 1)
		return false;
	*start = aligned;
	return true;
}

/* iopt_alloc_iova() */
static int model_alloc_iova(const struct mioas *m, uint64_t addr,
			    uint64_t length, uint64_t *iova)
{
	uint64_t page_offset = addr % PSZ;
	struct ival allowed[MAX_ALLOWED + 1];
	unsigned int nallowed;
	uint64_t align;

	if (length == 0 || length >= U64_MAX / 2)
		return -EOVERFLOW;
	align = roundup_pow_of_two(length);
	if (addr && (1ull << __builtin_ctzll(addr)) < align)
		align = 1ull << __builtin_ctzll(addr);
	if (align >= HSZ)
		align = HSZ;
	if (align < m->alignment)
		return -EINVAL;

	if (!m->nallowed) {
		allowed[0] = (struct ival){ PSZ, U64_MAX - PSZ };
		nallowed = 1;
	} else {
		memcpy(allowed, m->allowed, m->nallowed * sizeof(*allowed));
		nallowed = used_spans(allowed, m->nallowed, PSZ, U64_MAX - PSZ,
				      allowed);
	}

	for (unsigned int i = 0; i < nallowed; i++) {
		uint64_t first = allowed[i].start;
		unsigned int n = 0, nholes;
		struct ival *v, *holes;

		if (!check_range(&first, allowed[i].last, length, align,
				 page_offset))
			continue;
		v = ivals(2 * (m->nareas + m->nreserved) + 2);
		for (unsigned int j = 0; j < m->nreserved; j++)
			v[n++] = m->reserved[j];
		for (unsigned int j = 0; j < m->nareas; j++)
			v[n++] = (struct ival){ m->areas[j].iova,
						m->areas[j].last };
		n = used_spans(v, n, first, allowed[i].last, v);
		holes = v + n;
		nholes = hole_spans(v, n, first, allowed[i].last, holes);
		for (unsigned int h = 0; h < nholes; h++) {
			uint64_t start = holes[h].start;

			if (check_range(&start, holes[h].last, length, align,
					page_offset)) {
				*iova = start;
				return 0;
			}
		}
	}
	return -ENOSPC;
}

/* iopt_check_iova() */
static int model_check_iova(const struct mioas *m, uint64_t iova,
			    uint64_t length)
{
	uint64_t last;

	if (iova & (m->alignment - 1))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (ival_hits(m->reserved, m->nreserved, iova, last))
		return -EINVAL;
	if (first_area(m, iova, last) >= 0)
		return -EEXIST;
	return 0;
}

/* iommufd_ioas_map() -> iopt_map_user_pages() */
static int model_map(struct mioas *m, __u32 flags, uint64_t uva,
		     uint64_t length, uint64_t iova_in, uint64_t *iova_out)
{
	uint64_t end, iova = iova_in;
	int rc;

	if (flags & ~(MAP_FIXED_IOVA | MAP_RW))
		return -EOPNOTSUPP;
	if (iova_in >= U64_MAX || length >= U64_MAX)
		return -EOVERFLOW;
	if (!(flags & MAP_RW))
		return -EINVAL;
	if (!m)
		return -ENOENT;
	/* iopt_alloc_user_pages(), iopt_alloc_pages() */
	if (__builtin_add_overflow(uva, length, &end))
		return -EOVERFLOW;
	if (length == 0 || length > U64_MAX - PSZ)
		return -EINVAL;
	/* iopt_alloc_area_pages() */
	if (length & (m->alignment - 1))
		return -EINVAL;
	if (flags & MAP_FIXED_IOVA)
		rc = model_check_iova(m, iova, length);
	else
		rc = model_alloc_iova(m, uva, length, &iova);
	if (rc)
		return rc;
	/* iopt_insert_area() */
	if ((uva % PSZ) & (m->alignment - 1))
		return -EINVAL;
	insert_area(m, (struct marea){ iova, iova + length - 1, uva,
				       flags & IOMMU_IOAS_MAP_WRITEABLE });
	*iova_out = iova;
	return 0;
}

/* iommufd_ioas_copy() -> iopt_get_pages() + iopt_map_pages() */
static int model_copy(struct mioas *dst, struct mioas *src, __u32 flags,
		      uint64_t src_iova, uint64_t length, uint64_t dst_iova_in,
		      uint64_t *dst_iova_out)
{
	struct marea *pieces;
	unsigned int npieces = 0;
	uint64_t src_last, iova = dst_iova_in;
	int i, rc;

	if (flags & ~(MAP_FIXED_IOVA | MAP_RW))
		return -EOPNOTSUPP;
	if (length >= U64_MAX || src_iova >= U64_MAX || dst_iova_in >= U64_MAX)
		return -EOVERFLOW;
	if (!(flags & MAP_RW))
		return -EINVAL;
	if (!src)
		return -ENOENT;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(src_iova, length - 1, &src_last))
		return -EOVERFLOW;

	/* iopt_area_contig_init/next/done: the first area must hold
	 * src_iova, each next one must start right after the previous */
	i = first_area(src, src_iova, src_iova);
	if (i < 0)
		return -ENOENT;
	pieces = malloc((src->nareas + 1) * sizeof(*pieces));
	if (!pieces)
		abort();
	for (uint64_t cur = src_iova;; i++) {
		const struct marea *a = &src->areas[i];
		uint64_t last = src_last < a->last ? src_last : a->last;

		pieces[npieces++] = (struct marea){
			cur, last, a->uva + (cur - a->iova), a->writable
		};
		if (src_last <= a->last)
			break;
		cur = a->last + 1;
		if ((unsigned int)i + 1 >= src->nareas ||
		    src->areas[i + 1].iova != cur) {
			rc = -ENOENT;
			goto out;
		}
	}

	if (!dst) {
		rc = -ENOENT;
		goto out;
	}
	/* iopt_alloc_area_pages() */
	if (length & (dst->alignment - 1)) {
		rc = -EINVAL;
		goto out;
	}
	if (flags & MAP_FIXED_IOVA)
		rc = model_check_iova(dst, iova, length);
	else
		rc = model_alloc_iova(dst, pieces[0].uva, length, &iova);
	if (rc)
		goto out;
	/* iopt_insert_area(), piece by piece */
	for (unsigned int p = 0; p < npieces; p++) {
		if ((flags & IOMMU_IOAS_MAP_WRITEABLE) && !pieces[p].writable) {
			rc = -EPERM;
			goto out;
		}
		if ((pieces[p].uva % PSZ) & (dst->alignment - 1)) {
			rc = -EINVAL;
			goto out;
		}
	}
	for (unsigned int p = 0, at = 0; p < npieces; p++) {
		uint64_t len = pieces[p].last - pieces[p].iova + 1;

		insert_area(dst, (struct marea){ iova + at, iova + at + len - 1,
						 pieces[p].uva,
						 pieces[p].writable });
		at += len;
	}
	*dst_iova_out = iova;
	rc = 0;
out:
	free(pieces);
	return rc;
}

/* iommufd_ioas_unmap() -> iopt_unmap_iova_range() */
static int model_unmap(struct mioas *m, uint64_t iova, uint64_t length,
		       uint64_t *unmapped_out)
{
	uint64_t last, unmapped = 0;
	int i;

	if (!m)
		return -ENOENT;
	if (iova == 0 && length == U64_MAX) {
		for (unsigned int j = 0; j < m->nareas; j++)
			unmapped += m->areas[j].last - m->areas[j].iova + 1;
		m->nareas = 0;
		*unmapped_out = unmapped;
		return 0;
	}
	if (iova >= U64_MAX || length >= U64_MAX)
		return -EOVERFLOW;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	while ((i = first_area(m, iova, last)) >= 0) {
		const struct marea *a = &m->areas[i];

		/* what went before stays unmapped */
		if (a->iova < iova || a->last > last)
			return -ENOENT;
		unmapped += a->last - a->iova + 1;
		remove_area(m, i);
	}
	if (!unmapped)
		return -ENOENT;
	*unmapped_out = unmapped;
	return 0;
}

/* iommufd_test_add_reserved() -> iopt_reserve_iova() */
static int model_add_reserved(struct mioas *m, uint64_t start, uint64_t length)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	if (!m)
		return -ENOENT;
	if (first_area(m, start, last) >= 0 ||
	    ival_hits(m->allowed, m->nallowed, start, last))
		return -EADDRINUSE;
	m->reserved[m->nreserved++] = (struct ival){ start, last };
	return 0;
}

/* iommufd_ioas_allow_iovas(): iommufd_ioas_load_iovas() then
 * iopt_set_allow_iova() */
static int model_allow_iovas(struct mioas *m, const struct ival *r,
			     unsigned int n)
{
	if (!m)
		return -ENOENT;
	for (unsigned int i = 0; i < n; i++) {
		if (r[i].start >= r[i].last)
			return -EINVAL;
		if (ival_hits(r, i, r[i].start, r[i].last))
			return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++)
		if (ival_hits(m->reserved, m->nreserved, r[i].start,
			      r[i].last))
			return -EADDRINUSE;
	memcpy(m->allowed, r, n * sizeof(*r));
	m->nallowed = n;
	return 0;
}

/* iommufd_ioas_option_huge_pages() SET, with no domain */
static int model_huge_pages(struct mioas *m, bool on)
{
	if (on) {
		m->huge_pages_off = false;
		m->alignment = 1;
		return 0;
	}
	if (m->huge_pages_off)
		return 0;
	/* iopt_check_iova_alignment() */
	for (unsigned int i = 0; i < m->nareas; i++) {
		const struct marea *a = &m->areas[i];

		if ((a->iova | (a->last - a->iova + 1) | (a->uva % PSZ)) &
		    (PSZ - 1))
			return -EADDRINUSE;
	}
	m->huge_pages_off = true;
	m->alignment = PSZ;
	return 0;
}

/* ---- the test driver ------------------------------------------------------ */

struct config {
	unsigned int steps;
	unsigned int nioas;
	uint64_t window;		/* most IOVAs fall in [0, window) */
	unsigned int unaligned_percent; /* values not page aligned */
	unsigned int copy_percent;	/* share of COPY among steps */
	unsigned int admin_percent;	/* ADD_RESERVED / ALLOW_IOVAS */
	unsigned int huge_pages_percent;
	unsigned int checkpoint_every;
	uint64_t seed;
};

struct world {
	struct __test_metadata *_metadata;
	const struct config *cfg;
	struct rng rng;
	int fd;
	struct mioas ioas[2];
	__u32 scratch;
	unsigned int step;
	char what[256];
};

static uint64_t seed_for(uint64_t fixed)
{
	const char *env = getenv("IOMMUSIM_SEED");

	return env && *env ? strtoull(env, NULL, 0) : fixed;
}

/* Compares an ioctl() result with the model's -errno. */
#define expect_same(w, model_rc, ret)                                          \
	({                                                                     \
		int __err = errno, __rc = (model_rc), __ret = (ret);           \
		if (__rc ? !(__ret == -1 && __err == -__rc) : __ret != 0) {    \
			printf("# seed %llu step %u: %s\n",                    \
			       (unsigned long long)(w)->cfg->seed, (w)->step,  \
			       (w)->what);                                     \
			printf("#   model %d (%s), got %d (%s)\n", __rc,       \
			       __rc ? strerror(-__rc) : "ok", __ret,           \
			       __ret ? strerror(__err) : "ok");                \
		}                                                              \
		ASSERT_EQ(__rc ? -1 : 0, __ret);                               \
		if (__rc)                                                      \
			ASSERT_EQ(-__rc, __err);                               \
	})

#define expect_value(w, model_val, val)                                        \
	({                                                                     \
		if ((uint64_t)(model_val) != (uint64_t)(val))                  \
			printf("# seed %llu step %u: %s\n",                    \
			       (unsigned long long)(w)->cfg->seed, (w)->step,  \
			       (w)->what);                                     \
		ASSERT_EQ((uint64_t)(model_val), (uint64_t)(val));             \
	})

/* An IOAS of the world, now and then an ID that is none (ENOENT). */
static struct mioas *pick_ioas(struct world *w, __u32 *id)
{
	if (chance(&w->rng, 2)) {
		*id = chance(&w->rng, 50) ? 0 : 0x10000;
		return NULL;
	}
	struct mioas *m = &w->ioas[below(&w->rng, w->cfg->nioas)];

	*id = m->id;
	return m;
}

static uint64_t gen_length(struct world *w)
{
	unsigned int k = below(&w->rng, 200);

	if (k < 3)
		return 0;
	if (k < 5)
		return U64_MAX - below(&w->rng, 3);
	if (k < 6)
		return (1ull << 62) + below(&w->rng, 2) * PSZ;
	if (k < 10)
		return 1 + below(&w->rng, 64);
	if (k < 16)
		return 1 + below(&w->rng, 3);
	if (chance(&w->rng, w->cfg->unaligned_percent))
		return 1 + below(&w->rng, 4 * PSZ);
	return (1 + below(&w->rng, 8)) * PSZ;
}

static uint64_t gen_iova(struct world *w)
{
	unsigned int k = below(&w->rng, 200);
	uint64_t v;

	if (k < 3)
		return U64_MAX - below(&w->rng, 2 * PSZ);
	if (k < 4)
		return U64_MAX;
	v = below(&w->rng, w->cfg->window);
	if (!chance(&w->rng, w->cfg->unaligned_percent))
		v &= ~(PSZ - 1);
	return v;
}

static uint64_t gen_uva(struct world *w)
{
	unsigned int k = below(&w->rng, 200);
	uint64_t off;

	if (k < 3)
		return 0;
	if (k < 5)
		return U64_MAX - below(&w->rng, 2 * PSZ);
	off = below(&w->rng, BUFFER_SIZE);
	if (chance(&w->rng, 10))
		off &= ~(HSZ - 1);
	else if (!chance(&w->rng, w->cfg->unaligned_percent))
		off &= ~(PSZ - 1);
	return (uintptr_t)buffer + off;
}

static __u32 gen_flags(struct world *w, bool copy)
{
	unsigned int k = below(&w->rng, 100);
	unsigned int bit;

	if (k < 2)
		return 0;
	if (k < 4) {
		/* an unknown bit; never 16 for COPY, which a test kernel
		 * takes as MOCK_FLAGS_ACCESS_SYZ */
		do
			bit = 3 + below(&w->rng, 29);
		while (copy && bit == 16);
		return MAP_RW | (1u << bit);
	}
	if (k < 20)
		return IOMMU_IOAS_MAP_READABLE;
	if (k < 25)
		return IOMMU_IOAS_MAP_WRITEABLE;
	return MAP_RW;
}

static void step_map(struct world *w, bool fixed)
{
	struct __test_metadata *_metadata = w->_metadata;
	__u32 flags = gen_flags(w, false) | (fixed ? MAP_FIXED_IOVA : 0);
	uint64_t uva = gen_uva(w), length = gen_length(w);
	uint64_t iova_in = fixed ? gen_iova(w) : 0, model_iova = 0;
	struct mioas *m;
	__u32 id;
	int rc, ret;
	struct iommu_ioas_map cmd;

	m = pick_ioas(w, &id);
	if (!fixed && chance(&w->rng, 1))
		iova_in = U64_MAX;
	cmd = (struct iommu_ioas_map){
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = id,
		.user_va = uva,
		.length = length,
		.iova = iova_in,
	};
	snprintf(w->what, sizeof(w->what),
		 "MAP ioas %u flags %#x uva %#llx length %#llx iova %#llx", id,
		 flags, (unsigned long long)uva, (unsigned long long)length,
		 (unsigned long long)iova_in);
	rc = model_map(m, flags, uva, length, iova_in, &model_iova);
	ret = ioctl(w->fd, IOMMU_IOAS_MAP, &cmd);
	expect_same(w, rc, ret);
	expect_value(w, rc ? iova_in : model_iova, cmd.iova);
}

static void step_unmap(struct world *w)
{
	struct __test_metadata *_metadata = w->_metadata;
	uint64_t iova, length, model_len = 0;
	struct mioas *m;
	__u32 id;
	int rc, ret;
	struct iommu_ioas_unmap cmd;

	m = pick_ioas(w, &id);
	if (m && m->nareas && chance(&w->rng, 60)) {
		/* around one or more existing areas, sometimes cutting one */
		unsigned int i = below(&w->rng, m->nareas);
		const struct marea *a = &m->areas[i];
		const struct marea *b = a;

		if (chance(&w->rng, 40))
			b = &m->areas[i + below(&w->rng, m->nareas - i)];
		iova = a->iova;
		if (chance(&w->rng, 30)) {
			uint64_t slack = 1 + below(&w->rng, 2 * PSZ);

			iova = slack > a->iova ? 0 : a->iova - slack;
		} else if (chance(&w->rng, 10) && a->last > a->iova) {
			iova = a->iova + 1 +
			       below(&w->rng, a->last - a->iova); /* cut */
		}
		length = b->last - iova + 1;
		if (chance(&w->rng, 30))
			length += 1 + below(&w->rng, 2 * PSZ);
		else if (chance(&w->rng, 10) && length > 1)
			length--; /* cut */
	} else if (chance(&w->rng, 3)) {
		iova = 0;
		length = U64_MAX;
	} else {
		iova = gen_iova(w);
		length = chance(&w->rng, 30) ? gen_length(w) :
					       below(&w->rng, w->cfg->window);
	}
	cmd = (struct iommu_ioas_unmap){
		.size = sizeof(cmd),
		.ioas_id = id,
		.iova = iova,
		.length = length,
	};
	snprintf(w->what, sizeof(w->what),
		 "UNMAP ioas %u iova %#llx length %#llx", id,
		 (unsigned long long)iova, (unsigned long long)length);
	rc = model_unmap(m, iova, length, &model_len);
	ret = ioctl(w->fd, IOMMU_IOAS_UNMAP, &cmd);
	expect_same(w, rc, ret);
	expect_value(w, rc ? length : model_len, cmd.length);
}

static void step_copy(struct world *w)
{
	struct __test_metadata *_metadata = w->_metadata;
	__u32 flags = gen_flags(w, true);
	uint64_t src_iova, length, dst_in = 0, model_dst = 0;
	struct mioas *src, *dst;
	__u32 src_id, dst_id;
	int rc, ret;
	struct iommu_ioas_copy cmd;

	src = pick_ioas(w, &src_id);
	dst = pick_ioas(w, &dst_id);
	if (chance(&w->rng, 50))
		flags |= MAP_FIXED_IOVA;
	if (src && src->nareas && chance(&w->rng, 75)) {
		/* inside one area, or running on into the next ones */
		unsigned int i = below(&w->rng, src->nareas);
		const struct marea *a = &src->areas[i];
		uint64_t len_a = a->last - a->iova + 1;
		uint64_t off = chance(&w->rng, 50) ? 0 : below(&w->rng, len_a);

		src_iova = a->iova + off;
		length = chance(&w->rng, 50) ? len_a - off :
					       1 + below(&w->rng, len_a - off);
		if (chance(&w->rng, 25))
			length += below(&w->rng, 4 * PSZ);
	} else {
		src_iova = gen_iova(w);
		length = gen_length(w);
	}
	if (flags & MAP_FIXED_IOVA)
		dst_in = gen_iova(w);
	else if (chance(&w->rng, 1))
		dst_in = U64_MAX;
	cmd = (struct iommu_ioas_copy){
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_id,
		.src_ioas_id = src_id,
		.length = length,
		.dst_iova = dst_in,
		.src_iova = src_iova,
	};
	snprintf(w->what, sizeof(w->what),
		 "COPY flags %#x dst %u src %u length %#llx dst_iova %#llx "
		 "src_iova %#llx",
		 flags, dst_id, src_id, (unsigned long long)length,
		 (unsigned long long)dst_in, (unsigned long long)src_iova);
	rc = model_copy(dst, src, flags, src_iova, length, dst_in, &model_dst);
	ret = ioctl(w->fd, IOMMU_IOAS_COPY, &cmd);
	expect_same(w, rc, ret);
	expect_value(w, rc ? dst_in : model_dst, cmd.dst_iova);
}

static void step_add_reserved(struct world *w)
{
	struct __test_metadata *_metadata = w->_metadata;
	uint64_t start = gen_iova(w), length;
	struct mioas *m;
	__u32 id;
	int rc, ret;

	m = pick_ioas(w, &id);
	if (m && m->nreserved == MAX_RESERVED)
		return;
	length = chance(&w->rng, 90) ? 1 + below(&w->rng, 4 * PSZ) :
				       gen_length(w);
	snprintf(w->what, sizeof(w->what),
		 "ADD_RESERVED ioas %u start %#llx length %#llx", id,
		 (unsigned long long)start, (unsigned long long)length);
	rc = model_add_reserved(m, start, length);
	ret = _test_cmd_add_reserved(w->fd, id, start, length);
	expect_same(w, rc, ret);
}

static void step_allow_iovas(struct world *w)
{
	struct __test_metadata *_metadata = w->_metadata;
	struct iommu_iova_range r[MAX_ALLOWED];
	struct ival v[MAX_ALLOWED];
	unsigned int n = below(&w->rng, 4);
	struct mioas *m;
	__u32 id;
	int rc, ret;

	m = pick_ioas(w, &id);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t start = below(&w->rng, 4 * w->cfg->window);

		if (!chance(&w->rng, w->cfg->unaligned_percent))
			start &= ~(PSZ - 1);
		v[i].start = start;
		v[i].last = start + below(&w->rng, w->cfg->window);
		if (chance(&w->rng, 20))
			v[i].last = start + 1 + below(&w->rng, 3); /* tiny */
		if (chance(&w->rng, 3))
			v[i].last = start; /* refused: start == last */
		r[i].start = v[i].start;
		r[i].last = v[i].last;
	}
	snprintf(w->what, sizeof(w->what), "ALLOW_IOVAS ioas %u, %u ranges",
		 id, n);
	rc = model_allow_iovas(m, v, n);
	ret = _test_ioctl_ioas_allow_iovas(w->fd, id, r, n);
	expect_same(w, rc, ret);
}

static void step_huge_pages(struct world *w)
{
	struct __test_metadata *_metadata = w->_metadata;
	struct mioas *m = &w->ioas[below(&w->rng, w->cfg->nioas)];
	bool on = chance(&w->rng, 50);
	__u64 val = on;
	int rc, ret;

	snprintf(w->what, sizeof(w->what), "HUGE_PAGES ioas %u set %d", m->id,
		 on);
	rc = model_huge_pages(m, on);
	ret = _test_ioctl_option(w->fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_SET, m->id, &val);
	expect_same(w, rc, ret);
}

/* Compares the whole state of one IOAS with the model, changing nothing
 * in it (the copies go to the scratch IOAS). */
static void checkpoint_ioas(struct world *w, struct mioas *m)
{
	struct __test_metadata *_metadata = w->_metadata;
	struct iommu_iova_range got[MAX_RESERVED + 1];
	struct ival *want;
	uint64_t alignment = 0, cur = 0;
	unsigned int n;
	__u32 num = MAX_RESERVED + 1;
	int ret;

	/* IOVA_RANGES: the holes between the reserved ranges */
	want = ivals(2 * MAX_RESERVED + 2);
	memcpy(want, m->reserved, m->nreserved * sizeof(*want));
	n = used_spans(want, m->nreserved, 0, U64_MAX, want);
	n = hole_spans(want, n, 0, U64_MAX, want + MAX_RESERVED);
	want += MAX_RESERVED;
	snprintf(w->what, sizeof(w->what), "checkpoint: IOVA_RANGES ioas %u",
		 m->id);
	ret = _test_ioctl_ioas_iova_ranges(w->fd, m->id, got, &num, &alignment);
	expect_same(w, 0, ret);
	expect_value(w, m->alignment, alignment);
	expect_value(w, n, num);
	for (unsigned int i = 0; i < n; i++) {
		expect_value(w, want[i].start, got[i].start);
		expect_value(w, want[i].last, got[i].last);
	}

	for (unsigned int i = 0; i < m->nareas; i++) {
		const struct marea *a = &m->areas[i];
		uint64_t len = a->last - a->iova + 1;
		__u64 dst = a->iova;

		snprintf(w->what, sizeof(w->what),
			 "checkpoint: area %u of ioas %u [%#llx, %#llx] w%d", i,
			 m->id, (unsigned long long)a->iova,
			 (unsigned long long)a->last, a->writable);
		/* whole and alone: a copy of exactly it works... */
		ret = _test_ioctl_ioas_copy(w->fd,
					    IOMMU_IOAS_MAP_READABLE |
						    MAP_FIXED_IOVA,
					    w->scratch, &dst, m->id, a->iova,
					    len);
		expect_same(w, 0, ret);
		ret = _test_ioctl_ioas_unmap(w->fd, w->scratch, 0, U64_MAX,
					     NULL);
		expect_same(w, 0, ret);
		/* ...with the same writability */
		ret = _test_ioctl_ioas_copy(w->fd, MAP_RW | MAP_FIXED_IOVA,
					    w->scratch, &dst, m->id, a->iova,
					    len);
		expect_same(w, a->writable ? 0 : -EPERM, ret);
		ret = _test_ioctl_ioas_unmap(w->fd, w->scratch, 0, U64_MAX,
					     NULL);
		expect_same(w, 0, ret);
		/* ...and no bigger than the model says */
		if (len > 1) {
			ret = _test_ioctl_ioas_unmap(w->fd, m->id, a->iova,
						     len - 1, NULL);
			expect_same(w, -ENOENT, ret);
			ret = _test_ioctl_ioas_unmap(w->fd, m->id, a->iova + 1,
						     len - 1, NULL);
			expect_same(w, -ENOENT, ret);
		}
		/* the gap before it is empty */
		if (a->iova > cur && a->iova - cur < U64_MAX) {
			snprintf(w->what, sizeof(w->what),
				 "checkpoint: gap [%#llx, %#llx] of ioas %u",
				 (unsigned long long)cur,
				 (unsigned long long)a->iova - 1, m->id);
			ret = _test_ioctl_ioas_unmap(w->fd, m->id, cur,
						     a->iova - cur, NULL);
			expect_same(w, -ENOENT, ret);
		}
		cur = a->last + 1;
		if (a->last == U64_MAX)
			return;
	}
	/* and the gap after the last one; from 0 or 1 the length must stay
	 * below ULONG_MAX (and off the unmap-all form), so it ends early */
	if (cur < U64_MAX) {
		uint64_t len = cur <= 1 ? U64_MAX - 1 : U64_MAX - cur + 1;

		snprintf(w->what, sizeof(w->what),
			 "checkpoint: gap [%#llx, max] of ioas %u",
			 (unsigned long long)cur, m->id);
		ret = _test_ioctl_ioas_unmap(w->fd, m->id, cur, len, NULL);
		expect_same(w, -ENOENT, ret);
	}
}

static void checkpoint(struct world *w)
{
	for (unsigned int i = 0; i < w->cfg->nioas; i++)
		checkpoint_ioas(w, &w->ioas[i]);
}

/* Static, so that a failed ASSERT (a longjmp out of run()) leaves the
 * model reachable rather than leaked in the sanitizer's eyes. */
static struct world the_world;

static void run(struct __test_metadata *_metadata, const struct config *cfg)
{
	struct world *w = &the_world;
	unsigned int counts[8] = { 0 };

	*w = (struct world){ ._metadata = _metadata, .cfg = cfg };
	w->rng.state = cfg->seed;
	printf("# seed %llu (IOMMUSIM_SEED=n to change)\n",
	       (unsigned long long)cfg->seed);
	w->fd = iommufd_open();
	ASSERT_NE(-1, w->fd);
	for (unsigned int i = 0; i < cfg->nioas; i++) {
		ASSERT_EQ(0, _test_ioctl_ioas_alloc(w->fd, &w->ioas[i].id));
		w->ioas[i].alignment = 1;
	}
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(w->fd, &w->scratch));

	for (w->step = 0; w->step < cfg->steps; w->step++) {
		unsigned int areas = w->ioas[0].nareas +
				     (cfg->nioas > 1 ? w->ioas[1].nareas : 0);
		unsigned int k = below(&w->rng, 100);

		/* keep the population moderate: more unmaps when crowded */
		if (areas > 400 && k < 50)
			k = 99;
		if (k < cfg->admin_percent) {
			if (chance(&w->rng, 50))
				step_add_reserved(w);
			else
				step_allow_iovas(w);
			counts[0]++;
		} else if (k < cfg->admin_percent + cfg->huge_pages_percent) {
			step_huge_pages(w);
			counts[1]++;
		} else if (k < 100 - cfg->copy_percent - 35) {
			step_map(w, chance(&w->rng, 55));
			counts[2]++;
		} else if (k < 100 - 35) {
			step_copy(w);
			counts[3]++;
		} else {
			step_unmap(w);
			counts[4]++;
		}
		if (cfg->checkpoint_every &&
		    (w->step + 1) % cfg->checkpoint_every == 0)
			checkpoint(w);
	}
	checkpoint(w);

	/* unmap-all agrees on the byte count of everything left */
	for (unsigned int i = 0; i < cfg->nioas; i++) {
		uint64_t want = 0, got = 0;

		for (unsigned int j = 0; j < w->ioas[i].nareas; j++)
			want += w->ioas[i].areas[j].last -
				w->ioas[i].areas[j].iova + 1;
		snprintf(w->what, sizeof(w->what), "final unmap-all of ioas %u",
			 w->ioas[i].id);
		ASSERT_EQ(0, _test_ioctl_ioas_unmap(w->fd, w->ioas[i].id, 0,
						    U64_MAX, &got));
		expect_value(w, want, got);
		free(w->ioas[i].areas);
	}
	printf("# %u steps: %u map, %u copy, %u unmap, %u reserved/allowed, "
	       "%u huge pages\n",
	       cfg->steps, counts[2], counts[3], counts[4], counts[0],
	       counts[1]);
	ASSERT_EQ(0, close(w->fd));
}

TEST(random_map_unmap_one_ioas)
{
	struct config cfg = {
		.steps = 6000,
		.nioas = 1,
		.window = 256 * PSZ,
		.unaligned_percent = 10,
		.checkpoint_every = 500,
		.seed = seed_for(0x10a5eed1),
	};

	run(_metadata, &cfg);
}

TEST(random_map_unmap_copy_two_ioas)
{
	struct config cfg = {
		.steps = 6000,
		.nioas = 2,
		.window = 256 * PSZ,
		.unaligned_percent = 10,
		.copy_percent = 25,
		.checkpoint_every = 500,
		.seed = seed_for(0x10a5eed2),
	};

	run(_metadata, &cfg);
}

TEST(random_with_reserved_and_allowed_ranges)
{
	struct config cfg = {
		.steps = 5000,
		.nioas = 2,
		.window = 128 * PSZ,
		.unaligned_percent = 10,
		.copy_percent = 20,
		.admin_percent = 6,
		.checkpoint_every = 500,
		.seed = seed_for(0x10a5eed3),
	};

	run(_metadata, &cfg);
}

TEST(random_byte_granular)
{
	struct config cfg = {
		.steps = 6000,
		.nioas = 2,
		.window = 8 * PSZ,
		.unaligned_percent = 80,
		.copy_percent = 25,
		.admin_percent = 2,
		.checkpoint_every = 500,
		.seed = seed_for(0x10a5eed4),
	};

	run(_metadata, &cfg);
}

TEST(random_with_huge_pages_toggled)
{
	struct config cfg = {
		.steps = 5000,
		.nioas = 2,
		.window = 128 * PSZ,
		.unaligned_percent = 20,
		.copy_percent = 20,
		.admin_percent = 2,
		.huge_pages_percent = 4,
		.checkpoint_every = 500,
		.seed = seed_for(0x10a5eed5),
	};

	run(_metadata, &cfg);
}

TEST_HARNESS_MAIN
