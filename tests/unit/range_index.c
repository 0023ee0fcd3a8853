// SPDX-License-Identifier: MIT
/*
 * The range index (src/base/range_index.c) against a model: a sorted array
 * of the same ranges. Random inserts and removes (by range and by
 * cursor), with every invariant checked (rindex_check) after each;
 * lookups, walks and the lowest-fitting-hole search compared with what a
 * plain scan of the model answers; the
 * ends of the key space (0 and UINT64_MAX); trees deep enough to split and
 * merge internal nodes many times over, and give the internal nodes'
 * slabs back with the last; inserts that fail at each of their
 * allocations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fault_inject.h"

#include "base/range_index.h"
#include "harness.h"

/* ---- the model ---------------------------------------------------------------- */

struct model {
	struct rindex_range **sorted; /* by start */
	size_t count, cap;
};

static size_t model_pos(const struct model *m, uint64_t start)
{
	size_t lo = 0, hi = m->count;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->sorted[mid]->start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool model_free_span(const struct model *m, uint64_t start,
			    uint64_t last)
{
	size_t i = model_pos(m, start);

	if (i < m->count && m->sorted[i]->start <= last)
		return false;
	return !(i > 0 && m->sorted[i - 1]->last >= start);
}

static void model_add(struct model *m, struct rindex_range *r)
{
	size_t i = model_pos(m, r->start);

	if (m->count == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->sorted = realloc(m->sorted, m->cap * sizeof(*m->sorted));
	}
	memmove(&m->sorted[i + 1], &m->sorted[i],
		(m->count - i) * sizeof(*m->sorted));
	m->sorted[i] = r;
	m->count++;
}

static void model_del(struct model *m, size_t i)
{
	memmove(&m->sorted[i], &m->sorted[i + 1],
		(m->count - i - 1) * sizeof(*m->sorted));
	m->count--;
}

static struct rindex_range *model_floor(const struct model *m, uint64_t key)
{
	size_t i = model_pos(m, key);

	if (i < m->count && m->sorted[i]->start == key)
		return m->sorted[i];
	return i ? m->sorted[i - 1] : NULL;
}

static struct rindex_range *model_first_overlap(const struct model *m,
						uint64_t start, uint64_t last)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (m->sorted[i]->last >= start)
			return m->sorted[i]->start <= last ? m->sorted[i]
							   : NULL;
	return NULL;
}

/* An allocation's rule, as the io_pagetable's: an aligned start, then
 * 'length' values before the hole's end. */
struct fit_rule {
	uint64_t length, alignment;
	unsigned int calls;
};

static bool fits_aligned(uint64_t *hole_start, uint64_t hole_last, void *arg)
{
	struct fit_rule *rule = arg;
	uint64_t aligned;

	rule->calls++;
	if (__builtin_add_overflow(*hole_start, rule->alignment - 1, &aligned))
		return false;
	aligned &= ~(rule->alignment - 1);
	if (aligned > hole_last || hole_last - aligned < rule->length - 1)
		return false;
	*hole_start = aligned;
	return true;
}

/* The lowest fit by scanning every hole of the model in order. */
static bool model_find_hole(const struct model *m, uint64_t start,
			    uint64_t last, struct fit_rule *rule,
			    uint64_t *found)
{
	uint64_t lo = 0;
	bool more = true;
	size_t i;

	for (i = 0; i <= m->count && more; i++) {
		uint64_t hi = i < m->count ? m->sorted[i]->start : 0;
		uint64_t a = lo > start ? lo : start, b;

		if (i < m->count && hi == lo) {
			/* no hole before this range */
		} else {
			b = i < m->count ? hi - 1 : UINT64_MAX;
			if (b > last)
				b = last;
			if (a <= b && b - a >= rule->length - 1) {
				uint64_t at = a;

				if (fits_aligned(&at, b, rule)) {
					*found = at;
					return true;
				}
			}
		}
		if (i < m->count) {
			if (m->sorted[i]->last == UINT64_MAX)
				more = false;
			else
				lo = m->sorted[i]->last + 1;
		}
	}
	return false;
}

/* ---- helpers ------------------------------------------------------------------- */

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

#define CHECK_INDEX(ri)                                                        \
	do {                                                                   \
		const char *__err = rindex_check(ri);                          \
		if (__err)                                                     \
			printf("# rindex_check: %s\n", __err);                 \
		ASSERT_EQ(NULL, __err);                                        \
	} while (0)

/* Compares every answer of the index with the model's, at key. */
static bool same_answers(const struct rindex *ri, const struct model *m,
			 uint64_t key, uint64_t span)
{
	struct rindex_cursor c;
	struct rindex_range *r;
	uint64_t last = key + span < key ? UINT64_MAX : key + span;

	if (rindex_floor(ri, key) != model_floor(m, key))
		return false;
	if (rindex_first_overlap(ri, key, last) !=
	    model_first_overlap(m, key, last))
		return false;
	r = rindex_seek(ri, key, &c);
	if (r != model_first_overlap(m, key, UINT64_MAX))
		return false;
	return true;
}

/* Adds [start, start + len - 1] as r to the index and the model when no
 * range holds any of it: 0, -EEXIST when one does (nothing is added), or
 * what rindex_insert() failed with. */
static int add_range(struct rindex *ri, struct model *m,
		     struct rindex_range *r, uint64_t start, uint64_t len)
{
	int rc;

	if (!model_free_span(m, start, start + len - 1))
		return -EEXIST;
	r->start = start;
	r->last = start + len - 1;
	rc = rindex_insert(ri, r);
	if (!rc)
		model_add(m, r);
	return rc;
}

static bool same_walk(const struct rindex *ri, const struct model *m)
{
	struct rindex_cursor c;
	struct rindex_range *r;
	size_t i = 0;

	rindex_for_each(r, ri, &c)
		if (i >= m->count || m->sorted[i++] != r)
			return false;
	return i == m->count;
}

/* ---- tests -------------------------------------------------------------------- */

TEST(empty)
{
	struct rindex ri;
	struct rindex_cursor c;
	struct fit_rule rule = { .length = 1, .alignment = 1 };
	uint64_t found = 7;

	rindex_init(&ri);
	CHECK_INDEX(&ri);
	EXPECT_TRUE(rindex_empty(&ri));
	EXPECT_EQ(NULL, rindex_floor(&ri, 5));
	EXPECT_EQ(NULL, rindex_first_overlap(&ri, 0, UINT64_MAX));
	EXPECT_EQ(NULL, rindex_first(&ri, &c));
	EXPECT_EQ(NULL, rindex_seek(&ri, 9, &c));
	EXPECT_EQ(NULL, rindex_cursor_next(&c));
	EXPECT_TRUE(rindex_find_hole(&ri, 0, UINT64_MAX, 1, fits_aligned,
				     &rule, &found));
	EXPECT_EQ(0, found);
	EXPECT_TRUE(rindex_find_hole(&ri, 4096, 8191, 4096, fits_aligned,
				     &rule, &found));
	EXPECT_EQ(4096, found);
	EXPECT_FALSE(rindex_find_hole(&ri, 4096, 8190, 4096, fits_aligned,
				      &rule, &found));
	EXPECT_FALSE(rindex_find_hole(&ri, 2, 1, 1, fits_aligned, &rule,
				      &found));
	rindex_destroy(&ri);
}

TEST(ends_of_the_key_space)
{
	struct rindex_range low = { 0, 0 }, high = { UINT64_MAX, UINT64_MAX };
	struct rindex_range all = { 0, UINT64_MAX };
	struct fit_rule rule = { .length = 1, .alignment = 1 };
	struct rindex ri;
	uint64_t found;

	rindex_init(&ri);
	ASSERT_EQ(0, rindex_insert(&ri, &high));
	ASSERT_EQ(0, rindex_insert(&ri, &low));
	CHECK_INDEX(&ri);
	EXPECT_EQ(&high, rindex_floor(&ri, UINT64_MAX));
	EXPECT_EQ(&low, rindex_floor(&ri, UINT64_MAX - 1));
	EXPECT_EQ(&high, rindex_first_overlap(&ri, 1, UINT64_MAX));
	EXPECT_TRUE(rindex_find_hole(&ri, 0, UINT64_MAX, 1, fits_aligned,
				     &rule, &found));
	EXPECT_EQ(1, found);
	rule.length = UINT64_MAX - 1;
	EXPECT_TRUE(rindex_find_hole(&ri, 0, UINT64_MAX, UINT64_MAX - 1,
				     fits_aligned, &rule, &found));
	EXPECT_EQ(1, found);
	rule.length = UINT64_MAX;
	EXPECT_FALSE(rindex_find_hole(&ri, 0, UINT64_MAX, UINT64_MAX,
				      fits_aligned, &rule, &found));
	rindex_remove(&ri, &low);
	rindex_remove(&ri, &high);
	EXPECT_TRUE(rindex_empty(&ri));
	ASSERT_EQ(0, rindex_insert(&ri, &all));
	rule.length = 1;
	EXPECT_FALSE(rindex_find_hole(&ri, 0, UINT64_MAX, 1, fits_aligned,
				      &rule, &found));
	EXPECT_EQ(&all, rindex_first_overlap(&ri, UINT64_MAX, UINT64_MAX));
	rindex_remove(&ri, &all);
	CHECK_INDEX(&ri);
	rindex_destroy(&ri);
}

/* An index emptied by removes keeps its root leaf (no allocation for the
 * next insert) and answers as an empty one: no range, one hole of all. */
TEST(emptied_index_keeps_its_root)
{
	struct rindex_range a = { 4096, 8191 }, b = { 0, 4095 };
	struct fit_rule rule = { .length = 1, .alignment = 1 };
	struct rindex_cursor c;
	struct rindex ri;
	uint64_t found;
	size_t bytes;

	rindex_init(&ri);
	EXPECT_EQ(0, rindex_memory(&ri));
	ASSERT_EQ(0, rindex_insert(&ri, &a));
	bytes = rindex_memory(&ri);
	rindex_remove(&ri, &a);
	CHECK_INDEX(&ri);
	EXPECT_TRUE(rindex_empty(&ri));
	EXPECT_EQ(bytes, rindex_memory(&ri));
	EXPECT_EQ(NULL, rindex_floor(&ri, UINT64_MAX));
	EXPECT_EQ(NULL, rindex_first(&ri, &c));
	EXPECT_EQ(NULL, rindex_seek(&ri, 0, &c));
	EXPECT_EQ(NULL, rindex_first_overlap(&ri, 0, UINT64_MAX));
	EXPECT_TRUE(rindex_find_hole(&ri, 0, UINT64_MAX, 1, fits_aligned,
				     &rule, &found));
	EXPECT_EQ(0, found);
	ASSERT_EQ(0, rindex_insert(&ri, &a));
	ASSERT_EQ(0, rindex_insert(&ri, &b));
	CHECK_INDEX(&ri);
	EXPECT_EQ(bytes, rindex_memory(&ri));
	EXPECT_EQ(&b, rindex_first(&ri, &c));
	EXPECT_EQ(&a, rindex_cursor_next(&c));
	rindex_destroy(&ri);
	EXPECT_EQ(0, rindex_memory(&ri));
}

/* Packed ranges inserted in order, then removed from the middle out:
 * every split and merge of leaves and internal nodes. The internal
 * nodes' slabs go back with the last of them: the emptied index holds
 * its root leaf, as it did with one range. */
TEST(packed_in_order_then_removed)
{
	enum { N = 20000 };
	struct rindex_range *r = calloc(N, sizeof(*r));
	struct rindex ri;
	struct rindex_cursor c;
	size_t one_leaf = 0;
	unsigned int i;

	ASSERT_NE(NULL, r);
	rindex_init(&ri);
	for (i = 0; i < N; i++) {
		r[i].start = 2ull * i * 4096;
		r[i].last = r[i].start + 4095;
		ASSERT_EQ(0, rindex_insert(&ri, &r[i]));
		if (!i)
			one_leaf = rindex_memory(&ri);
	}
	CHECK_INDEX(&ri);
	EXPECT_NE(NULL, ri.slabs);
	EXPECT_LT(0, ri.inner_live);
	EXPECT_EQ(N, ri.count);
	EXPECT_EQ(&r[N / 2], rindex_seek(&ri, r[N / 2].start - 1, &c));
	EXPECT_EQ(&r[N / 2 + 1], rindex_cursor_next(&c));
	for (i = 0; i < N; i += 2)
		rindex_remove(&ri, &r[(i / 2 + N / 2) % N]);
	CHECK_INDEX(&ri);
	for (i = 1; i < N; i += 2)
		rindex_remove(&ri, &r[(i / 2 + N / 2 + N / 2) % N]);
	CHECK_INDEX(&ri);
	EXPECT_TRUE(rindex_empty(&ri));
	EXPECT_EQ(0, ri.height);
	EXPECT_EQ(0, ri.inner_live);
	EXPECT_EQ(NULL, ri.slabs);
	EXPECT_EQ(NULL, ri.spare);
	EXPECT_EQ(one_leaf, rindex_memory(&ri));
	rindex_destroy(&ri);
	free(r);
}

/* Ranges added in order, as automatic placement adds them, leave their
 * nodes nearly full: an append splits off a small node, not a half. */
TEST(appends_fill_their_nodes)
{
	enum { N = 65536 };
	struct rindex_range *r = calloc(N, sizeof(*r));
	struct rindex ri;
	unsigned int i;

	ASSERT_NE(NULL, r);
	rindex_init(&ri);
	for (i = 0; i < N; i++) {
		r[i].start = (uint64_t)i * 4096;
		r[i].last = r[i].start + 4095;
		ASSERT_EQ(0, rindex_insert(&ri, &r[i]));
	}
	CHECK_INDEX(&ri);
	/* 24 bytes a slot; 13 of 16 slots used would be 32 a range */
	printf("# %.1f bytes of index per range\n",
	       (double)rindex_memory(&ri) / N);
	EXPECT_GT(36 * (size_t)N, rindex_memory(&ri));
	rindex_destroy(&ri);
	EXPECT_EQ(0, rindex_memory(&ri));
	free(r);
}

/* Ranges inserted in random order, each first with its 1st, then 2nd,
 * ... allocation failing, until it goes in: every failed insert leaves
 * the index as it was, whether a leaf, an internal node or a new slab
 * for internal nodes failed. */
TEST(failed_inserts_change_nothing)
{
	enum { N = 3000 };
	struct rindex_range *r = calloc(N, sizeof(*r));
	pid_t tid = (pid_t)syscall(SYS_gettid);
	unsigned int i, nth, above_leaf = 0;
	struct rindex ri;

	ASSERT_NE(NULL, r);
	atomic_store(&fault_attrs_of(FAULT_SLAB)->ignore_gfp_wait, false);
	atomic_store(&fault_attrs_of(FAULT_PAGE_ALLOC)->ignore_gfp_wait,
		     false);
	atomic_store(&fault_attrs_of(FAULT_PAGE_ALLOC)->min_order, 0);
	atomic_store(&fault_attrs_of(FAULT_SLAB)->verbose, 0);
	atomic_store(&fault_attrs_of(FAULT_PAGE_ALLOC)->verbose, 0);
	rindex_init(&ri);
	for (i = 0; i < N; i++) {
		unsigned int slot = (unsigned int)((uint64_t)i * 2654435761u % N);

		r[i].start = (uint64_t)slot * 8192;
		r[i].last = r[i].start + 4095;
		for (nth = 1;; nth++) {
			int rc;

			ASSERT_EQ(0, fault_set_task_nth(tid, nth));
			rc = rindex_insert(&ri, &r[i]);
			ASSERT_EQ(0, fault_set_task_nth(tid, 0));
			if (!rc)
				break;
			ASSERT_EQ(-ENOMEM, rc);
			/* past the new leaf: an internal node or its slab */
			above_leaf += nth > 1;
			ASSERT_EQ(i, ri.count);
			EXPECT_NE(&r[i], rindex_floor(&ri, r[i].start));
			if (i % 64 == 0)
				CHECK_INDEX(&ri);
		}
	}
	CHECK_INDEX(&ri);
	ASSERT_EQ(N, ri.count);
	EXPECT_LT(10, above_leaf);
	rindex_destroy(&ri);
	free(r);
}

/* Random inserts and removes in a small key space, so holes of every size
 * come and go; every answer compared with the model's. */
TEST(random_against_the_model)
{
	enum { SLOTS = 3000, ROUNDS = 60000 };
	struct rindex_range *pool = calloc(SLOTS, sizeof(*pool));
	bool *used = calloc(SLOTS, sizeof(*used));
	struct model m = { 0 };
	struct rindex ri;
	unsigned int round, checked = 0;

	ASSERT_NE(NULL, pool);
	ASSERT_NE(NULL, used);
	rindex_init(&ri);
	for (round = 0; round < ROUNDS; round++) {
		unsigned int slot = rnd() % SLOTS;
		struct rindex_range *r = &pool[slot];

		if (used[slot]) {
			size_t i = model_pos(&m, r->start);

			ASSERT_EQ(r, m.sorted[i]);
			if (round % 2) {
				rindex_remove(&ri, r);
			} else {
				/* by a cursor seeking a value inside it */
				struct rindex_cursor c;

				ASSERT_EQ(r, rindex_seek(&ri, r->last, &c));
				rindex_remove_at(&ri, &c);
			}
			model_del(&m, i);
			used[slot] = false;
		} else {
			uint64_t start = rnd() % 200000, len = 1 + rnd() % 64;
			int rc = add_range(&ri, &m, r, start, len);

			if (rc == -EEXIST)
				continue;
			ASSERT_EQ(0, rc);
			used[slot] = true;
		}
		if (round % 97)
			continue;
		CHECK_INDEX(&ri);
		ASSERT_TRUE(same_walk(&ri, &m));
		for (unsigned int q = 0; q < 20; q++) {
			uint64_t key = rnd() % 210000, span = rnd() % 300;
			struct fit_rule a = { 1 + rnd() % 40, 1u << (rnd() % 5) };
			struct fit_rule b = a;
			uint64_t lo = rnd() % 200000, hi = lo + rnd() % 50000;
			uint64_t got = 0, want = 0;
			bool found, expected;

			ASSERT_TRUE(same_answers(&ri, &m, key, span));
			found = rindex_find_hole(&ri, lo, hi, a.length,
						 fits_aligned, &a, &got);
			expected = model_find_hole(&m, lo, hi, &b, &want);
			ASSERT_EQ(expected, found);
			if (found)
				ASSERT_EQ(want, got);
			checked++;
		}
	}
	EXPECT_LT(1000, checked);
	rindex_destroy(&ri);
	free(m.sorted);
	free(pool);
	free(used);
}

/*
 * A small tree grown to three levels and emptied again, over and over (its
 * root splits and collapses, its nodes borrow and merge), every invariant
 * checked after every change, and lookups next to the range just
 * changed, where they start from the leaf it touched: inserts, removes by
 * range and by cursor, and replaces that move a range's end within its
 * hole.
 */
TEST(every_change_checked)
{
	enum { SLOTS = 400, ROUNDS = 40000, SPACE = 4000, PHASE = 2000 };
	struct rindex_range *pool = calloc(SLOTS, sizeof(*pool));
	struct rindex_range *spare = calloc(SLOTS, sizeof(*spare));
	bool *used = calloc(SLOTS, sizeof(*used));
	struct model m = { 0 };
	struct rindex ri;
	unsigned int round, replaced = 0, collapsed = 0;
	bool tall = false;

	ASSERT_NE(NULL, pool);
	ASSERT_NE(NULL, spare);
	ASSERT_NE(NULL, used);
	rindex_init(&ri);
	for (round = 0; round < ROUNDS; round++) {
		/* growing phases insert three times in four, shrinking
		 * ones remove so */
		bool grow = (round / PHASE) % 2 == 0;
		bool add = grow ? rnd() % 4 != 0 : rnd() % 4 == 0;
		unsigned int slot = rnd() % SLOTS, tries = 0;
		struct rindex_range *r;

		while (used[slot] == add && ++tries < 64)
			slot = rnd() % SLOTS;
		r = &pool[slot];
		if (used[slot] && round % 5 == 0) {
			/* the same start, a last anywhere in its hole */
			size_t i = model_pos(&m, r->start);
			uint64_t end = i + 1 < m.count
					       ? m.sorted[i + 1]->start - 1
					       : SPACE + 100;
			struct rindex_range *by = &spare[slot];

			by->start = r->start;
			by->last = r->start + rnd() % (end - r->start + 1);
			rindex_replace(&ri, r, by);
			m.sorted[i] = by;
			CHECK_INDEX(&ri);
			/* and back, r taking the spare's last */
			r->last = by->last;
			rindex_replace(&ri, by, r);
			m.sorted[i] = r;
			replaced++;
		} else if (used[slot]) {
			size_t i = model_pos(&m, r->start);
			struct rindex_cursor c;

			if (round % 2) {
				rindex_remove(&ri, r);
			} else {
				ASSERT_EQ(r, rindex_seek(&ri, r->start, &c));
				rindex_remove_at(&ri, &c);
			}
			model_del(&m, i);
			used[slot] = false;
		} else {
			uint64_t start = rnd() % SPACE, len = 1 + rnd() % 8;
			int rc = add_range(&ri, &m, r, start, len);

			if (rc == -EEXIST)
				continue;
			ASSERT_EQ(0, rc);
			used[slot] = true;
		}
		CHECK_INDEX(&ri);
		ASSERT_TRUE(same_answers(&ri, &m, r->start + rnd() % 64 - 32,
					 rnd() % 16));
		/* three levels, then one leaf again */
		if (ri.height >= 2)
			tall = true;
		if (tall && !ri.height) {
			collapsed++;
			tall = false;
		}
	}
	EXPECT_LT(1000, replaced);
	EXPECT_LT(5, collapsed);
	ASSERT_TRUE(same_walk(&ri, &m));
	rindex_destroy(&ri);
	free(m.sorted);
	free(pool);
	free(spare);
	free(used);
}

/* The hole search descends only where a hole is big enough: among a
 * million packed ranges with one hole at the end, it asks 'fits' once. */
TEST(hole_search_skips_full_subtrees)
{
	enum { N = 1 << 20 };
	struct rindex_range *r = calloc(N, sizeof(*r));
	struct fit_rule rule = { .length = 4096, .alignment = 4096 };
	struct rindex ri;
	uint64_t found = 0;
	unsigned int i;

	ASSERT_NE(NULL, r);
	rindex_init(&ri);
	for (i = 0; i < N; i++) {
		/* packed, except a one-page hole every 1024 ranges */
		r[i].start = (uint64_t)(i + i / 1024) * 4096;
		r[i].last = r[i].start + 4095;
		ASSERT_EQ(0, rindex_insert(&ri, &r[i]));
	}
	CHECK_INDEX(&ri);
	rule.length = 8192;
	ASSERT_TRUE(rindex_find_hole(&ri, 0, UINT64_MAX, rule.length,
				     fits_aligned, &rule, &found));
	EXPECT_EQ(r[N - 1].last + 1, found);
	EXPECT_EQ(1, rule.calls);
	/* a one-page request takes the first one-page hole */
	rule.length = 4096;
	rule.calls = 0;
	ASSERT_TRUE(rindex_find_hole(&ri, 0, UINT64_MAX, rule.length,
				     fits_aligned, &rule, &found));
	EXPECT_EQ(1024ull * 4096, found);
	EXPECT_EQ(1, rule.calls);
	rindex_destroy(&ri);
	free(r);
}

TEST_HARNESS_MAIN
