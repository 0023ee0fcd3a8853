// SPDX-License-Identifier: MIT
/*
 * Unit tests of the interval tree (src/base/interval_tree.c): fixed cases at the
 * edges of the 64-bit space, removal at every position, a long randomized
 * run against a plain array scanned linearly, and a million nodes.
 */
#include "harness.h"
#include "sanitizer_scale.h"
#include "base/interval_tree.h"

#include <time.h>

struct item {
	struct itree_node node;
	bool linked;
	unsigned int seen; /* stamp of the last query that yielded it */
};

static struct item *item_of(struct itree_node *n)
{
	return (struct item *)((char *)n - offsetof(struct item, node));
}

/* splitmix64: small, fast, and a fixed seed gives the same run everywhere. */
static uint64_t rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void set_range(struct itree_node *n, uint64_t start, uint64_t last)
{
	n->start = start;
	n->last = last;
}

#define ASSERT_TREE_OK(t)                                                      \
	do {                                                                   \
		const char *__err = itree_check(t);                            \
		if (__err) {                                                   \
			printf("# itree_check: %s\n", __err);                  \
			ASSERT_NULL(__err);                                    \
		}                                                              \
	} while (0)

struct run {
	uint64_t start, last;
	bool is_hole;
};

/* Runs the span walk over [start, last] into out[]; returns the run count
 * (which may exceed max: the caller compares it). */
static size_t collect_spans(const struct itree *t, uint64_t start,
			    uint64_t last, struct run *out, size_t max)
{
	struct itree_span s;
	size_t n = 0;

	itree_for_each_span(&s, t, start, last) {
		if (n < max)
			out[n] = (struct run){ s.start, s.last, s.is_hole };
		n++;
	}
	return n;
}

#define ASSERT_RUN(r, want_start, want_last, want_hole)                        \
	do {                                                                   \
		ASSERT_EQ((uint64_t)(want_start), (r).start);                  \
		ASSERT_EQ((uint64_t)(want_last), (r).last);                    \
		ASSERT_EQ((bool)(want_hole), (r).is_hole);                     \
	} while (0)

TEST(empty_tree)
{
	struct itree t;
	struct run runs[4];

	itree_init(&t);
	ASSERT_TRUE(itree_empty(&t));
	ASSERT_EQ(0, t.count);
	ASSERT_NULL(itree_first(&t));
	ASSERT_NULL(itree_iter_first(&t, 0, UINT64_MAX));
	ASSERT_NULL(itree_iter_first(&t, 5, 5));
	ASSERT_TREE_OK(&t);

	ASSERT_EQ(1, collect_spans(&t, 0, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], 0, UINT64_MAX, true);
	ASSERT_EQ(1, collect_spans(&t, 7, 7, runs, 4));
	ASSERT_RUN(runs[0], 7, 7, true);
	ASSERT_EQ(1, collect_spans(&t, UINT64_MAX, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], UINT64_MAX, UINT64_MAX, true);
}

TEST(inverted_query_is_empty)
{
	struct itree t;
	struct itree_node a;
	struct itree_span s;

	itree_init(&t);
	set_range(&a, 0, UINT64_MAX);
	itree_insert(&t, &a);
	ASSERT_NULL(itree_iter_first(&t, 10, 9));
	itree_span_first(&s, &t, 10, 9);
	ASSERT_TRUE(itree_span_done(&s));
	/* next on a finished walk stays finished */
	itree_span_next(&s);
	ASSERT_TRUE(itree_span_done(&s));
}

TEST(single_node)
{
	struct itree t;
	struct itree_node a;
	struct run runs[4];

	itree_init(&t);
	set_range(&a, 10, 20);
	itree_insert(&t, &a);
	ASSERT_TREE_OK(&t);
	ASSERT_EQ(1, t.count);
	ASSERT_FALSE(itree_empty(&t));
	ASSERT_EQ(&a, itree_first(&t));
	ASSERT_NULL(itree_next(&a));

	ASSERT_NULL(itree_iter_first(&t, 0, 9));
	ASSERT_EQ(&a, itree_iter_first(&t, 0, 10));
	ASSERT_EQ(&a, itree_iter_first(&t, 15, 15));
	ASSERT_EQ(&a, itree_iter_first(&t, 20, 30));
	ASSERT_EQ(&a, itree_iter_first(&t, 0, UINT64_MAX));
	ASSERT_EQ(&a, itree_iter_first(&t, 11, 19));
	ASSERT_NULL(itree_iter_first(&t, 21, UINT64_MAX));
	ASSERT_NULL(itree_iter_next(&a, 0, UINT64_MAX));

	ASSERT_EQ(3, collect_spans(&t, 0, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], 0, 9, true);
	ASSERT_RUN(runs[1], 10, 20, false);
	ASSERT_RUN(runs[2], 21, UINT64_MAX, true);
	ASSERT_EQ(1, collect_spans(&t, 10, 20, runs, 4));
	ASSERT_RUN(runs[0], 10, 20, false);
	ASSERT_EQ(1, collect_spans(&t, 12, 15, runs, 4));
	ASSERT_RUN(runs[0], 12, 15, false);
	ASSERT_EQ(2, collect_spans(&t, 0, 10, runs, 4));
	ASSERT_RUN(runs[0], 0, 9, true);
	ASSERT_RUN(runs[1], 10, 10, false);
	ASSERT_EQ(2, collect_spans(&t, 20, 21, runs, 4));
	ASSERT_RUN(runs[0], 20, 20, false);
	ASSERT_RUN(runs[1], 21, 21, true);

	itree_remove(&t, &a);
	ASSERT_TREE_OK(&t);
	ASSERT_TRUE(itree_empty(&t));
	ASSERT_EQ(0, t.count);
	ASSERT_NULL(itree_iter_first(&t, 0, UINT64_MAX));
}

TEST(edges_of_the_space)
{
	struct itree t;
	struct itree_node lo, hi, all;
	struct run runs[4];

	itree_init(&t);
	set_range(&lo, 0, 0);
	set_range(&hi, UINT64_MAX, UINT64_MAX);
	itree_insert(&t, &hi);
	itree_insert(&t, &lo);
	ASSERT_TREE_OK(&t);

	ASSERT_EQ(&lo, itree_iter_first(&t, 0, 0));
	ASSERT_EQ(&hi, itree_iter_first(&t, UINT64_MAX, UINT64_MAX));
	ASSERT_EQ(&hi, itree_iter_first(&t, 1, UINT64_MAX));
	ASSERT_NULL(itree_iter_first(&t, 1, UINT64_MAX - 1));
	ASSERT_EQ(&lo, itree_iter_first(&t, 0, UINT64_MAX));
	ASSERT_EQ(&hi, itree_iter_next(&lo, 0, UINT64_MAX));
	ASSERT_NULL(itree_iter_next(&hi, 0, UINT64_MAX));

	ASSERT_EQ(3, collect_spans(&t, 0, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], 0, 0, false);
	ASSERT_RUN(runs[1], 1, UINT64_MAX - 1, true);
	ASSERT_RUN(runs[2], UINT64_MAX, UINT64_MAX, false);
	ASSERT_EQ(1, collect_spans(&t, UINT64_MAX, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], UINT64_MAX, UINT64_MAX, false);
	ASSERT_EQ(1, collect_spans(&t, 0, 0, runs, 4));
	ASSERT_RUN(runs[0], 0, 0, false);
	ASSERT_EQ(2, collect_spans(&t, UINT64_MAX - 1, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], UINT64_MAX - 1, UINT64_MAX - 1, true);
	ASSERT_RUN(runs[1], UINT64_MAX, UINT64_MAX, false);

	/* One node over everything swallows the other two. */
	set_range(&all, 0, UINT64_MAX);
	itree_insert(&t, &all);
	ASSERT_TREE_OK(&t);
	ASSERT_EQ(1, collect_spans(&t, 0, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], 0, UINT64_MAX, false);
	ASSERT_EQ(1, collect_spans(&t, 5, 6, runs, 4));
	ASSERT_RUN(runs[0], 5, 6, false);
	ASSERT_NONNULL(itree_iter_first(&t, 12345, 12345));
	ASSERT_EQ(&all, itree_iter_first(&t, 12345, 12345));

	itree_remove(&t, &lo);
	itree_remove(&t, &hi);
	ASSERT_TREE_OK(&t);
	ASSERT_EQ(1, collect_spans(&t, 0, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], 0, UINT64_MAX, false);
	itree_remove(&t, &all);
	ASSERT_TREE_OK(&t);
	ASSERT_EQ(0, t.count);
}

TEST(holes_at_both_ends)
{
	struct itree t;
	struct itree_node a, b;
	struct run runs[8];

	itree_init(&t);
	set_range(&a, 100, 199);
	set_range(&b, 300, 399);
	itree_insert(&t, &a);
	itree_insert(&t, &b);
	ASSERT_EQ(5, collect_spans(&t, 0, UINT64_MAX, runs, 8));
	ASSERT_RUN(runs[0], 0, 99, true);
	ASSERT_RUN(runs[1], 100, 199, false);
	ASSERT_RUN(runs[2], 200, 299, true);
	ASSERT_RUN(runs[3], 300, 399, false);
	ASSERT_RUN(runs[4], 400, UINT64_MAX, true);
	/* a query that starts and ends inside holes */
	ASSERT_EQ(5, collect_spans(&t, 50, 450, runs, 8));
	ASSERT_RUN(runs[0], 50, 99, true);
	ASSERT_RUN(runs[4], 400, 450, true);
	/* entirely inside the middle hole */
	ASSERT_EQ(1, collect_spans(&t, 200, 299, runs, 8));
	ASSERT_RUN(runs[0], 200, 299, true);
	/* starting inside a used run */
	ASSERT_EQ(3, collect_spans(&t, 150, 350, runs, 8));
	ASSERT_RUN(runs[0], 150, 199, false);
	ASSERT_RUN(runs[1], 200, 299, true);
	ASSERT_RUN(runs[2], 300, 350, false);
}

TEST(touching_nodes_merge)
{
	struct itree t;
	struct itree_node n[8];
	struct run runs[8];

	itree_init(&t);
	set_range(&n[0], 0, 9);
	set_range(&n[1], 10, 19);
	set_range(&n[2], 20, 29);
	set_range(&n[3], 31, 40); /* one point short of touching */
	for (int i = 3; i >= 0; i--)
		itree_insert(&t, &n[i]);
	ASSERT_TREE_OK(&t);

	ASSERT_EQ(4, collect_spans(&t, 0, UINT64_MAX, runs, 8));
	ASSERT_RUN(runs[0], 0, 29, false);
	ASSERT_RUN(runs[1], 30, 30, true);
	ASSERT_RUN(runs[2], 31, 40, false);
	ASSERT_RUN(runs[3], 41, UINT64_MAX, true);
	ASSERT_EQ(3, collect_spans(&t, 5, 35, runs, 8));
	ASSERT_RUN(runs[0], 5, 29, false);
	ASSERT_RUN(runs[1], 30, 30, true);
	ASSERT_RUN(runs[2], 31, 35, false);

	/* Touching is not overlapping for the plain iterator. */
	ASSERT_EQ(&n[1], itree_iter_first(&t, 10, 10));
	ASSERT_EQ(&n[1], itree_iter_first(&t, 19, 19));
	ASSERT_EQ(&n[0], itree_iter_first(&t, 9, 10));
	ASSERT_EQ(&n[1], itree_iter_next(&n[0], 9, 10));
	ASSERT_NULL(itree_iter_next(&n[1], 9, 10));
	ASSERT_NULL(itree_iter_first(&t, 30, 30));

	/* Filling the gap joins everything into one run. */
	set_range(&n[4], 30, 30);
	itree_insert(&t, &n[4]);
	ASSERT_EQ(2, collect_spans(&t, 0, UINT64_MAX, runs, 8));
	ASSERT_RUN(runs[0], 0, 40, false);
	ASSERT_RUN(runs[1], 41, UINT64_MAX, true);
	itree_remove(&t, &n[4]);

	/* A long node that starts early reaches past later short ones, and a
	 * node touching its end continues the run. */
	set_range(&n[5], 1000, 2000);
	set_range(&n[6], 1005, 1006);
	set_range(&n[7], 2001, 2001);
	itree_insert(&t, &n[6]);
	itree_insert(&t, &n[7]);
	itree_insert(&t, &n[5]);
	ASSERT_TREE_OK(&t);
	ASSERT_EQ(3, collect_spans(&t, 990, 3000, runs, 8));
	ASSERT_RUN(runs[0], 990, 999, true);
	ASSERT_RUN(runs[1], 1000, 2001, false);
	ASSERT_RUN(runs[2], 2002, 3000, true);
	/* The nodes inside the run are found by the plain iterator in order. */
	ASSERT_EQ(&n[5], itree_iter_first(&t, 1500, 2001));
	ASSERT_EQ(&n[7], itree_iter_next(&n[5], 1500, 2001));
	ASSERT_EQ(&n[5], itree_iter_first(&t, 1005, 1005));
	ASSERT_EQ(&n[6], itree_iter_next(&n[5], 1005, 1005));
	ASSERT_NULL(itree_iter_next(&n[6], 1005, 1005));
}

TEST(touching_at_the_top)
{
	struct itree t;
	struct itree_node a, b;
	struct run runs[4];

	itree_init(&t);
	set_range(&a, UINT64_MAX - 9, UINT64_MAX - 5);
	set_range(&b, UINT64_MAX - 4, UINT64_MAX);
	itree_insert(&t, &a);
	itree_insert(&t, &b);
	ASSERT_EQ(2, collect_spans(&t, 0, UINT64_MAX, runs, 4));
	ASSERT_RUN(runs[0], 0, UINT64_MAX - 10, true);
	ASSERT_RUN(runs[1], UINT64_MAX - 9, UINT64_MAX, false);
	ASSERT_EQ(1, collect_spans(&t, UINT64_MAX - 5, UINT64_MAX - 4, runs, 4));
	ASSERT_RUN(runs[0], UINT64_MAX - 5, UINT64_MAX - 4, false);
	ASSERT_EQ(&b, itree_iter_first(&t, UINT64_MAX - 4, UINT64_MAX));
	ASSERT_NULL(itree_iter_next(&b, 0, UINT64_MAX));
}

TEST(iterators_with_shared_starts)
{
	struct itree t;
	struct itree_node n[6], *it;
	uint64_t prev = 0;
	int count = 0;

	itree_init(&t);
	set_range(&n[0], 50, 60);
	set_range(&n[1], 50, 55);
	set_range(&n[2], 50, 100);
	set_range(&n[3], 10, 49);
	set_range(&n[4], 70, 80);
	set_range(&n[5], 0, 1000);
	for (int i = 0; i < 6; i++)
		itree_insert(&t, &n[i]);
	ASSERT_TREE_OK(&t);

	for (it = itree_first(&t); it; it = itree_next(it)) {
		ASSERT_LE(prev, it->start);
		prev = it->start;
		count++;
	}
	ASSERT_EQ(6, count);
	ASSERT_EQ(&n[5], itree_first(&t));

	/* [56, 69]: n5 [0,1000], then n0 [50,60], n2 [50,100]; not n1. */
	count = 0;
	itree_for_each_overlap(it, &t, 56, 69) {
		ASSERT_TRUE(it == &n[5] || it == &n[0] || it == &n[2]);
		count++;
	}
	ASSERT_EQ(3, count);
	ASSERT_EQ(&n[5], itree_iter_first(&t, 56, 69));

	/* Past everything but the widest node. */
	ASSERT_EQ(&n[5], itree_iter_first(&t, 101, 999));
	ASSERT_NULL(itree_iter_next(&n[5], 101, 999));
	ASSERT_NULL(itree_iter_first(&t, 1001, UINT64_MAX));

	/* The walk may remove the node it stands on once it has the next. */
	for (it = itree_iter_first(&t, 50, 50); it;) {
		struct itree_node *next = itree_iter_next(it, 50, 50);

		itree_remove(&t, it);
		ASSERT_TREE_OK(&t);
		it = next;
	}
	ASSERT_EQ(2, t.count);
	ASSERT_NULL(itree_iter_first(&t, 50, 50));
	ASSERT_EQ(&n[3], itree_iter_first(&t, 49, 50));
	ASSERT_EQ(&n[4], itree_iter_first(&t, 50, 70));
}

/* Builds a tree of size nodes [10i, 10i+5], inserted in a scrambled order;
 * removes node k alone, checks, and puts it back; then empties the tree. */
TEST(remove_every_position)
{
	enum { MAX_SIZE = 48 };
	struct itree_node n[MAX_SIZE], *it;
	struct itree t;

	for (int size = 1; size <= MAX_SIZE; size++) {
		for (int k = 0; k < size; k++) {
			int i, seen;

			itree_init(&t);
			for (i = 0; i < size; i++) {
				/* 7 is coprime with every size not a
				 * multiple of 7; else plain order. */
				int j = size % 7 ? (i * 7) % size : i;

				set_range(&n[j], 10u * j, 10u * j + 5);
				itree_insert(&t, &n[j]);
			}
			ASSERT_TREE_OK(&t);
			itree_remove(&t, &n[k]);
			ASSERT_TREE_OK(&t);
			ASSERT_EQ((size_t)size - 1, t.count);
			seen = 0;
			for (it = itree_first(&t); it; it = itree_next(it)) {
				ASSERT_EQ(&n[seen < k ? seen : seen + 1], it);
				seen++;
			}
			ASSERT_EQ(size - 1, seen);
			ASSERT_NULL(itree_iter_first(&t, 10u * k, 10u * k + 9));
			itree_insert(&t, &n[k]);
			ASSERT_TREE_OK(&t);
			ASSERT_EQ(&n[k],
				  itree_iter_first(&t, 10u * k, 10u * k + 9));
			/* empty it from position k onwards, wrapping */
			for (i = 0; i < size; i++) {
				itree_remove(&t, &n[(k + i) % size]);
				ASSERT_TREE_OK(&t);
			}
			ASSERT_TRUE(itree_empty(&t));
		}
	}
}

static int tree_height(const struct itree_node *n)
{
	int l, r;

	if (!n)
		return 0;
	l = tree_height(n->left);
	r = tree_height(n->right);
	return 1 + (l > r ? l : r);
}

TEST(sorted_inserts_stay_balanced)
{
	enum { N = 20000 };
	struct itree_node *n = calloc(N, sizeof(*n));
	struct itree t;

	ASSERT_NONNULL(n);
	itree_init(&t);
	for (int i = 0; i < N; i++) {
		set_range(&n[i], (uint64_t)i * 4096, (uint64_t)i * 4096 + 4095);
		itree_insert(&t, &n[i]);
	}
	ASSERT_TREE_OK(&t);
	/* A red-black tree of N nodes is at most 2 log2(N + 1) high. */
	ASSERT_LE(tree_height(t.root), 28);
	/* descending removals, then descending inserts */
	for (int i = N - 1; i >= 0; i--)
		itree_remove(&t, &n[i]);
	ASSERT_TRUE(itree_empty(&t));
	for (int i = N - 1; i >= 0; i--) {
		set_range(&n[i], (uint64_t)i * 4096, (uint64_t)i * 4096 + 4095);
		itree_insert(&t, &n[i]);
	}
	ASSERT_TREE_OK(&t);
	for (int i = 0; i < N; i++)
		itree_remove(&t, &n[i]);
	ASSERT_TREE_OK(&t);
	free(n);
}

/* ---- randomized, against a plain array ----------------------------------- */

enum { POOL = 1024, REGION = 4096 };

/* Three regions of the space (the bottom, the middle, the top), so that
 * nodes crowd, touch and overlap, and meet both ends of the space. */
static const uint64_t region_base[] = {
	0,
	1ull << 40,
	UINT64_MAX - (REGION - 1),
};

static uint64_t random_point(uint64_t *seed, int *region)
{
	*region = (int)(rnd(seed) % 3);
	return region_base[*region] + rnd(seed) % REGION;
}

static void random_range(uint64_t *seed, uint64_t *start, uint64_t *last)
{
	uint64_t r = rnd(seed) % 64, len, room;
	int region;

	*start = random_point(seed, &region);
	if (r == 0) {
		/* rare: across regions, up to the very top */
		room = UINT64_MAX - *start;
		len = rnd(seed);
		*last = *start + (room == UINT64_MAX ? len : len % (room + 1));
		return;
	}
	if (r == 1) {
		*last = *start; /* a single point */
		return;
	}
	len = r < 48 ? rnd(seed) % 32 : rnd(seed) % 512;
	room = region_base[region] + (REGION - 1) - *start;
	*last = *start + (len < room ? len : room);
}

static int cmp_by_start(const void *a, const void *b)
{
	const struct item *x = *(struct item *const *)a;
	const struct item *y = *(struct item *const *)b;

	if (x->node.start != y->node.start)
		return x->node.start < y->node.start ? -1 : 1;
	return 0;
}

/* The same runs, computed from the array: sort what overlaps and sweep. */
static size_t reference_spans(struct item *pool, uint64_t qs, uint64_t ql,
			      struct run *out, size_t max)
{
	static struct item *hits[POOL];
	size_t nhits = 0, i = 0, n = 0;
	uint64_t pos = qs, end;

	for (int j = 0; j < POOL; j++)
		if (pool[j].linked && pool[j].node.start <= ql &&
		    pool[j].node.last >= qs)
			hits[nhits++] = &pool[j];
	qsort(hits, nhits, sizeof(hits[0]), cmp_by_start);
	for (;;) {
		bool hole = !(i < nhits && hits[i]->node.start <= pos);

		if (hole) {
			end = i < nhits ? hits[i]->node.start - 1 : ql;
		} else {
			end = hits[i++]->node.last;
			while (end < ql && i < nhits &&
			       hits[i]->node.start <= end + 1) {
				if (hits[i]->node.last > end)
					end = hits[i]->node.last;
				i++;
			}
			if (end > ql)
				end = ql;
		}
		if (n < max)
			out[n] = (struct run){ pos, end, hole };
		n++;
		if (end == ql)
			return n;
		pos = end + 1;
	}
}

static struct item *pick(struct item *pool, uint64_t *seed, bool linked)
{
	int at = (int)(rnd(seed) % POOL);

	for (int i = 0; i < POOL; i++) {
		struct item *it = &pool[(at + i) % POOL];

		if (it->linked == linked)
			return it;
	}
	return NULL;
}

TEST(random_against_array)
{
	enum { OPS = 60000, MAX_RUNS = 2 * POOL + 2 };
	static struct item pool[POOL];
	static struct run got[MAX_RUNS], want[MAX_RUNS];
	uint64_t seed = 20240611;
	unsigned int stamp = 0;
	size_t linked = 0, queries = 0, yielded = 0, runs = 0;
	struct itree t;

	itree_init(&t);
	for (int op = 0; op < OPS; op++) {
		uint64_t r = rnd(&seed) % 100, qs, ql;
		/* Drift between a sparse and a crowded tree. */
		bool grow = (op / 5000) % 2 == 0;
		struct itree_node *it;
		struct item *item;
		size_t expect, count, ngot, nwant;
		uint64_t prev;

		if (r < (grow ? 45u : 25u)) {
			item = pick(pool, &seed, false);
			if (item) {
				random_range(&seed, &item->node.start,
					     &item->node.last);
				itree_insert(&t, &item->node);
				item->linked = true;
				linked++;
			}
		} else if (r < 70) {
			item = pick(pool, &seed, true);
			if (item) {
				itree_remove(&t, &item->node);
				item->linked = false;
				linked--;
			}
		}
		ASSERT_EQ(linked, t.count);
		if (op % 16 == 0)
			ASSERT_TREE_OK(&t);
		if (r < 70 && op % 4)
			continue;

		/* A query: the plain iterator, then the span walk. */
		queries++;
		if (rnd(&seed) % 32 == 0) {
			qs = 0;
			ql = UINT64_MAX;
		} else {
			random_range(&seed, &qs, &ql);
			if (rnd(&seed) % 4 == 0 && ql - qs < 64) {
				/* widen to a whole region now and then */
				qs &= ~(uint64_t)(REGION - 1);
				ql = qs + REGION - 1;
			}
		}
		stamp++;
		expect = 0;
		for (int j = 0; j < POOL; j++)
			if (pool[j].linked && pool[j].node.start <= ql &&
			    pool[j].node.last >= qs)
				expect++;
		count = 0;
		prev = 0;
		itree_for_each_overlap(it, &t, qs, ql) {
			item = item_of(it);
			ASSERT_TRUE(item->linked);
			ASSERT_LE(it->start, ql);
			ASSERT_GE(it->last, qs);
			ASSERT_LE(prev, it->start);
			ASSERT_NE(stamp, item->seen);
			item->seen = stamp;
			prev = it->start;
			count++;
		}
		ASSERT_EQ(expect, count);
		yielded += count;

		ngot = collect_spans(&t, qs, ql, got, MAX_RUNS);
		nwant = reference_spans(pool, qs, ql, want, MAX_RUNS);
		ASSERT_EQ(nwant, ngot);
		ASSERT_LE(ngot, (size_t)MAX_RUNS);
		for (size_t k = 0; k < ngot; k++) {
			ASSERT_EQ(want[k].start, got[k].start);
			ASSERT_EQ(want[k].last, got[k].last);
			ASSERT_EQ(want[k].is_hole, got[k].is_hole);
			/* tiling and alternation, independent of the model */
			if (k)
				ASSERT_EQ(got[k - 1].last + 1, got[k].start);
			if (k)
				ASSERT_NE(got[k - 1].is_hole, got[k].is_hole);
		}
		ASSERT_EQ(qs, got[0].start);
		ASSERT_EQ(ql, got[ngot - 1].last);
		runs += ngot;
	}
	ASSERT_TREE_OK(&t);
	printf("# %zu queries, %zu overlaps, %zu runs checked\n", queries,
	       yielded, runs);
	/* Empty it through the in-order walk, removing as it goes. */
	for (struct itree_node *it = itree_first(&t); it;) {
		struct itree_node *next = itree_next(it);

		itree_remove(&t, it);
		item_of(it)->linked = false;
		it = next;
	}
	ASSERT_TRUE(itree_empty(&t));
	ASSERT_EQ(0, t.count);
}

/* ---- scale ------------------------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Under a sanitizer the million tests below run a tenth of it. */
#define MILLION (1000000 / SANITIZER_SCALE)

/* A million 4 KiB areas inserted in random order, a sample looked up, all
 * removed in another random order. The times are printed, not asserted. */
TEST(a_million_nodes)
{
	enum { N = MILLION, LOOKUPS = N / 8 };
	struct itree_node *n = malloc(N * sizeof(*n));
	uint32_t *order = malloc(N * sizeof(*order));
	double insert_s, lookup_s, remove_s;
	uint64_t seed = 42;
	struct timespec t0;
	struct itree t;

	ASSERT_NONNULL(n);
	ASSERT_NONNULL(order);
	for (uint32_t i = 0; i < N; i++)
		order[i] = i;
	for (uint32_t i = N - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rnd(&seed) % (i + 1)), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	itree_init(&t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t slot = order[i];

		set_range(&n[slot], slot << 12, (slot << 12) + 4095);
		itree_insert(&t, &n[slot]);
	}
	insert_s = seconds_since(&t0);
	ASSERT_EQ(N, t.count);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < LOOKUPS; i++) {
		/* 7919 is prime, so coprime with N: a permutation */
		uint64_t slot = order[(uint64_t)i * 7919 % N];

		ASSERT_EQ(&n[slot], itree_iter_first(&t, (slot << 12) + 7,
						     (slot << 12) + 7));
	}
	lookup_s = seconds_since(&t0);
	ASSERT_NULL(itree_iter_first(&t, (uint64_t)N << 12, UINT64_MAX));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < N; i++)
		itree_remove(&t, &n[order[(uint64_t)i * 104729 % N]]);
	remove_s = seconds_since(&t0);
	ASSERT_TRUE(itree_empty(&t));
	printf("# %d random inserts %.3f s, %d lookups %.3f s, %d random "
	       "removes %.3f s (%.0f / %.0f / %.0f ns per op)\n",
	       N, insert_s, LOOKUPS, lookup_s, N, remove_s, insert_s * 1e9 / N,
	       lookup_s * 1e9 / LOOKUPS, remove_s * 1e9 / N);
	free(order);
	free(n);
}

TEST(a_million_nodes_stay_valid)
{
	enum { N = MILLION };
	struct itree_node *n = malloc(N * sizeof(*n));
	uint64_t seed = 7;
	struct itree t;
	struct itree_span s;
	size_t runs = 0;

	ASSERT_NONNULL(n);
	itree_init(&t);
	/* Random, overlapping ranges over the whole space, some at the top. */
	for (uint32_t i = 0; i < N; i++) {
		uint64_t start = rnd(&seed), len = rnd(&seed) >> 20;

		set_range(&n[i], start,
			  len > UINT64_MAX - start ? UINT64_MAX : start + len);
		itree_insert(&t, &n[i]);
	}
	ASSERT_TREE_OK(&t);
	for (uint32_t i = 0; i < N; i += 2)
		itree_remove(&t, &n[i]);
	ASSERT_TREE_OK(&t);
	itree_for_each_span(&s, &t, 0, UINT64_MAX)
		runs++;
	ASSERT_LE(1, runs);
	for (uint32_t i = 1; i < N; i += 2)
		itree_remove(&t, &n[i]);
	ASSERT_TREE_OK(&t);
	ASSERT_TRUE(itree_empty(&t));
	free(n);
}

TEST(neighbours_match_a_linear_scan)
{
	enum { N = 2000 };
	static struct itree_node nodes[N];
	struct itree t;

	itree_init(&t);
	srand(7);
	for (unsigned int i = 0; i < N; i++) {
		/* repeated starts on purpose, and the extremes */
		nodes[i].start = i == 0 ? 0 : i == 1 ? UINT64_MAX :
				 (uint64_t)(rand() % 5000) * 3;
		nodes[i].last = nodes[i].start;
		itree_insert(&t, &nodes[i]);
	}
	for (unsigned int q = 0; q < 20000; q++) {
		uint64_t key = q < 4 ? (uint64_t[]){ 0, 1, UINT64_MAX - 1,
						     UINT64_MAX }[q] :
				 (uint64_t)(rand() % 15010);
		struct itree_node *floor, *above;
		uint64_t want_floor = 0, want_above = 0;
		bool have_floor = false, have_above = false;

		for (unsigned int i = 0; i < N; i++) {
			uint64_t st = nodes[i].start;

			if (st <= key && (!have_floor || st > want_floor)) {
				want_floor = st;
				have_floor = true;
			}
			if (st > key && (!have_above || st < want_above)) {
				want_above = st;
				have_above = true;
			}
		}
		itree_neighbours(&t, key, &floor, &above);
		ASSERT_EQ(have_floor, floor != NULL);
		ASSERT_EQ(have_above, above != NULL);
		if (floor)
			ASSERT_EQ(want_floor, floor->start);
		if (above)
			ASSERT_EQ(want_above, above->start);
	}
}

TEST_HARNESS_MAIN
