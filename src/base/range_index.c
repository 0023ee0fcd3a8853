// SPDX-License-Identifier: MIT
/*
 * The range index: a B+tree of disjoint ranges.
 *
 * Leaves hold the ranges' starts and lasts in arrays of their own (a
 * lookup scans two cache lines of keys and never touches the ranges), and
 * are linked in order for walks. Internal nodes hold, per child, a summary:
 * its lowest start (the key descents compare against), its highest last
 * and its largest inner hole; the index holds the root's largest hole.
 * Every change of a node is followed by refreshing the summaries on its
 * path to the root, so they are exact whenever no call is in progress; a
 * change inside one leaf updates them from what it did to the holes
 * beside it, without rescanning the nodes on the way.
 *
 * The finger is the leaf the last change touched, with the span of keys
 * that lead to it: MAP and UNMAP near the last one (the automatic MAP
 * above packed areas, and its UNMAP, every time) start there instead of
 * descending from the root.
 *
 * Every node but the root holds at least RINDEX_MIN entries: a removal that
 * leaves fewer borrows one from a sibling, or merges with it. An insert
 * into a full node splits it, in halves, except an append past its last
 * entry, which leaves it nearly full (split_point()): mappings made in
 * IOVA order, as automatic placement makes them, then fill their nodes
 * instead of leaving each half empty. The nodes a split chain needs are
 * allocated before anything changes, so an insert fails whole or not at
 * all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/range_index.h"

#define RINDEX_FANOUT 16
#define RINDEX_MIN (RINDEX_FANOUT / 4)
/* A 2^64-value key space split at least 4 ways per level needs at most 32
 * levels; one more for a new root. */
#define RINDEX_MAX_SPLITS 33

struct rindex_inner;

struct rindex_node {
	struct rindex_inner *parent;
	unsigned int n;
	/* where the parent holds this node: the refresh after a change
	 * climbs without searching each parent for its child */
	uint8_t slot;
	bool is_leaf;
};

struct rindex_leaf {
	struct rindex_node hdr;
	struct rindex_leaf *prev, *next;
	uint64_t start[RINDEX_FANOUT];
	uint64_t last[RINDEX_FANOUT];
	struct rindex_range *range[RINDEX_FANOUT];
};

struct rindex_inner {
	struct rindex_node hdr;
	uint64_t min_start[RINDEX_FANOUT];
	uint64_t max_last[RINDEX_FANOUT];
	uint64_t max_gap[RINDEX_FANOUT]; /* values in the largest inner hole */
	struct rindex_node *child[RINDEX_FANOUT];
};

static inline struct rindex_leaf *as_leaf(struct rindex_node *n)
{
	return (struct rindex_leaf *)n;
}

static inline struct rindex_inner *as_inner(struct rindex_node *n)
{
	return (struct rindex_inner *)n;
}

/* Values strictly between two ordered, disjoint ranges. */
static inline uint64_t gap_between(uint64_t prev_last, uint64_t next_start)
{
	return next_start - prev_last - 1;
}

void rindex_init(struct rindex *ri)
{
	memset(ri, 0, sizeof(*ri));
}

/* ---- the internal nodes' slabs --------------------------------------------------- */

/*
 * Internal nodes come from slabs of the index's own rather than from one
 * malloc() each: among a million ranges the four thousand or so nodes just
 * above the leaves would otherwise lie one to a page among the owners'
 * allocations, and every random lookup would miss the TLB, and often the
 * cache, on that level before it could ask for the leaf. Packed together
 * they stay in both between lookups. Slabs grow from one page to
 * SLAB_MAX_PAGES as the tree does, so a small index pays one page; freed
 * nodes wait for reuse, and every slab goes back once the tree has no
 * internal node left (its root a leaf again).
 */
#define SLAB_PAGE 4096
#define SLAB_MAX_PAGES 16

struct rindex_slab {
	struct rindex_slab *next;
	size_t bytes;
	unsigned int capacity, used; /* nodes */
	struct rindex_inner node[];
};

static int slab_grow(struct rindex *ri)
{
	size_t pages = ri->slabs ? 2 * ri->slabs->bytes / SLAB_PAGE : 1;
	struct rindex_slab *slab;

	if (pages > SLAB_MAX_PAGES)
		pages = SLAB_MAX_PAGES;
	slab = lib_alloc_pages(SLAB_PAGE, pages * SLAB_PAGE);
	if (!slab)
		return -ENOMEM;
	slab->bytes = pages * SLAB_PAGE;
	slab->capacity = (unsigned int)((slab->bytes - sizeof(*slab)) /
					sizeof(slab->node[0]));
	slab->next = ri->slabs;
	ri->slabs = slab;
	return 0;
}

static void slabs_release(struct rindex *ri)
{
	while (ri->slabs) {
		struct rindex_slab *next = ri->slabs->next;

		free(ri->slabs);
		ri->slabs = next;
	}
	ri->spare = NULL;
}

/* An injection site of its own, as a slab cache's allocation is, whether
 * or not the node needs a new slab. A spare node's parent link is the
 * next spare. */
static struct rindex_inner *inner_alloc(struct rindex *ri)
{
	struct rindex_inner *in;

	if (fault_should_fail(FAULT_SLAB, 0, __func__))
		return NULL;
	if (ri->spare) {
		in = ri->spare;
		ri->spare = in->hdr.parent;
	} else {
		if ((!ri->slabs || ri->slabs->used == ri->slabs->capacity) &&
		    slab_grow(ri))
			return NULL;
		in = &ri->slabs->node[ri->slabs->used++];
	}
	ri->inner_live++;
	return in;
}

static void inner_free(struct rindex *ri, struct rindex_inner *in)
{
	in->hdr.parent = ri->spare;
	ri->spare = in;
	if (!--ri->inner_live)
		slabs_release(ri);
}

/* ---- summaries ---------------------------------------------------------------- */

static uint64_t node_min_start(struct rindex_node *node)
{
	return node->is_leaf ? as_leaf(node)->start[0]
			     : as_inner(node)->min_start[0];
}

static uint64_t node_max_last(struct rindex_node *node)
{
	unsigned int i = node->n - 1;

	return node->is_leaf ? as_leaf(node)->last[i]
			     : as_inner(node)->max_last[i];
}

/*
 * The largest hole inside a node. Every slot is looked at and the ones
 * from n on count as no hole, so the loops have a fixed length and their
 * maxima are conditional moves: the summaries are recomputed on every
 * level an insert or remove changes, and a loop that ended at n, or
 * branched on each comparison, mispredicted there.
 */
static inline uint64_t max_if(uint64_t best, uint64_t value, bool valid)
{
	value = valid ? value : 0;
	return value > best ? value : best;
}

static uint64_t leaf_max_gap(const struct rindex_leaf *leaf)
{
	unsigned int n = leaf->hdr.n;
	uint64_t best = 0;

#pragma GCC unroll 16
	for (unsigned int i = 1; i < RINDEX_FANOUT; i++)
		best = max_if(best,
			      gap_between(leaf->last[i - 1], leaf->start[i]),
			      i < n);
	return best;
}

static uint64_t node_max_gap(struct rindex_node *node)
{
	struct rindex_inner *in = as_inner(node);
	unsigned int n = node->n;
	uint64_t best;

	if (node->is_leaf)
		return leaf_max_gap(as_leaf(node));
	best = in->max_gap[0];
#pragma GCC unroll 16
	for (unsigned int i = 1; i < RINDEX_FANOUT; i++) {
		best = max_if(best, in->max_gap[i], i < n);
		best = max_if(best,
			      gap_between(in->max_last[i - 1],
					  in->min_start[i]),
			      i < n);
	}
	return best;
}

/* Tells in's children from slot 'from' on where they now are. */
static void adopt(struct rindex_inner *in, unsigned int from)
{
	for (unsigned int i = from; i < in->hdr.n; i++) {
		in->child[i]->parent = in;
		in->child[i]->slot = (uint8_t)i;
	}
}

/* Writes child i's summary into p; whether it changed. */
static bool set_summary(struct rindex_inner *p, unsigned int i)
{
	struct rindex_node *c = p->child[i];
	uint64_t min = node_min_start(c), max = node_max_last(c);
	uint64_t gap = node_max_gap(c);

	if (p->min_start[i] == min && p->max_last[i] == max &&
	    p->max_gap[i] == gap)
		return false;
	p->min_start[i] = min;
	p->max_last[i] = max;
	p->max_gap[i] = gap;
	return true;
}

/*
 * Refreshes node's summary in each ancestor, and the root's largest hole.
 * Stops early once one is unchanged: the ones above were computed from it.
 */
static void refresh_up(struct rindex *ri, struct rindex_node *node)
{
	while (node->parent) {
		struct rindex_inner *p = node->parent;

		if (!set_summary(p, node->slot))
			return;
		node = &p->hdr;
	}
	ri->max_gap = node_max_gap(node);
}

/*
 * What a change inside one node did to its holes: the largest hole that
 * went away and the largest that appeared (0 for none). A removal merges
 * two holes into one at least as large and an insert splits one, so the
 * node's largest hole follows from its old value; only when the largest
 * went away with nothing as large in its place are all of them looked at
 * again.
 */
struct gap_change {
	uint64_t lost, gained;
};

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t changed_max_gap(struct rindex_node *node,
				       uint64_t old, struct gap_change ch)
{
	if (ch.gained >= old)
		return ch.gained;
	if (ch.lost < old)
		return old;
	return node_max_gap(node);
}

/*
 * refresh_up() after a change inside node, not the root, that ch describes:
 * each ancestor's summary of its child follows from the old one, and the
 * change it passes up from the holes on either side of that child. The
 * new lowest start and highest last are carried up with it.
 */
static void climb_change(struct rindex *ri, struct rindex_node *node,
			 struct gap_change ch)
{
	uint64_t min = node_min_start(node), max = node_max_last(node);

	while (node->parent) {
		struct rindex_inner *p = node->parent;
		unsigned int i = node->slot, n = p->hdr.n;
		uint64_t old_gap = p->max_gap[i];
		uint64_t gap = changed_max_gap(node, old_gap, ch);

		if (i + 1 == n && p->min_start[i] == min && gap == old_gap) {
			/* only the end of the last child moved (an append,
			 * or its removal): the parent's holes are as they
			 * were and its own end moved alike, and so on up
			 * while each node is its parent's last child */
			do {
				if (p->max_last[i] == max)
					return;
				p->max_last[i] = max;
				node = &p->hdr;
				p = node->parent;
				if (!p)
					return;
				i = node->slot;
			} while (i + 1 == p->hdr.n);
			ch.lost = ch.gained = 0;
			min = node_min_start(node);
			continue;
		}
		if (p->min_start[i] == min && p->max_last[i] == max &&
		    gap == old_gap)
			return;
		ch.lost = old_gap;
		ch.gained = gap;
		if (i) {
			uint64_t prev = p->max_last[i - 1];

			ch.lost = max_u64(ch.lost,
					  gap_between(prev, p->min_start[i]));
			ch.gained = max_u64(ch.gained, gap_between(prev, min));
		}
		if (i + 1 < n) {
			uint64_t next = p->min_start[i + 1];

			ch.lost = max_u64(ch.lost,
					  gap_between(p->max_last[i], next));
			ch.gained = max_u64(ch.gained, gap_between(max, next));
		}
		p->min_start[i] = min;
		p->max_last[i] = max;
		p->max_gap[i] = gap;
		min = p->min_start[0];
		max = p->max_last[n - 1];
		node = &p->hdr;
	}
	ri->max_gap = changed_max_gap(node, ri->max_gap, ch);
}

/* A root leaf (the IOAS of one area) has nowhere to climb: no call. */
static inline void refresh_up_change(struct rindex *ri,
				     struct rindex_node *node,
				     struct gap_change ch)
{
	if (node->parent)
		climb_change(ri, node, ch);
	else
		ri->max_gap = changed_max_gap(node, ri->max_gap, ch);
}

/* The larger of the holes just before and just after a leaf's slot. */
static uint64_t holes_beside(const struct rindex_leaf *leaf, unsigned int pos)
{
	uint64_t gap = 0;

	if (pos)
		gap = gap_between(leaf->last[pos - 1], leaf->start[pos]);
	if (pos + 1 < leaf->hdr.n)
		gap = max_u64(gap, gap_between(leaf->last[pos],
					       leaf->start[pos + 1]));
	return gap;
}

/* The hole the leaf would have between its slots around pos, were pos
 * not there. */
static uint64_t hole_across(const struct rindex_leaf *leaf, unsigned int pos)
{
	if (!pos || pos + 1 >= leaf->hdr.n)
		return 0;
	return gap_between(leaf->last[pos - 1], leaf->start[pos + 1]);
}

/* ---- lookups -------------------------------------------------------------------- */

/* Asks for every cache line of a node at once, before anything in it is
 * read: a node reached by a random key is cold among a million ranges,
 * and its scan, then the loads that follow the scan's answer, would
 * otherwise wait for one line after another. */
static inline void prefetch_node(const void *node, size_t size)
{
#pragma GCC unroll 16
	for (size_t off = 0; off < size; off += 64)
		__builtin_prefetch((const char *)node + off);
}

/*
 * How many of the sorted keys[0 .. n - 1] are <= key: the position of the
 * first greater one. A binary search over every slot of the node, with
 * slots from n on taken as greater, in four steps that are conditional
 * moves: a scan that stopped at the first greater key (or a search whose
 * length followed n) would mispredict at every level of a random lookup.
 */
static inline unsigned int count_le(const uint64_t *keys, unsigned int n,
				    uint64_t key)
{
	unsigned int pos = 0;

	/* a node of one range (an IOAS with one area): no search; the
	 * branch goes the same way every time in either kind of tree */
	if (n < 2)
		return n && keys[0] <= key;
	/* & rather than &&: both sides are read (every slot is in the
	 * node), so no branch is needed */
#pragma GCC unroll 8
	for (unsigned int step = RINDEX_FANOUT / 2; step; step /= 2) {
		unsigned int at = pos + step - 1;

		pos += step & -(unsigned int)((at < n) & (keys[at] <= key));
	}
	/* the steps add up to one slot short of the node */
	return pos + ((pos < n) & (keys[pos] <= key));
}

/*
 * The leaf whose ranges would hold key: the child with the greatest
 * lowest start <= key at each level (the first child if none). And
 * *span_last, the last key that reaches the same leaf: one below the
 * lowest start of the next child at the deepest level that has one.
 */
static struct rindex_leaf *descend(const struct rindex *ri, uint64_t key,
				   uint64_t *span_last)
{
	struct rindex_node *node = ri->root;
	unsigned int level = ri->height;

	*span_last = UINT64_MAX;
	for (; level; level--) {
		struct rindex_inner *in = as_inner(node);
		unsigned int below = count_le(in->min_start, node->n, key);
		unsigned int at = below ? below - 1 : 0;

		if (at + 1 < node->n)
			*span_last = in->min_start[at + 1] - 1;
		node = in->child[at];
		if (level == 1)
			prefetch_node(node, sizeof(struct rindex_leaf));
		else
			prefetch_node(node, sizeof(struct rindex_inner));
	}
	return as_leaf(node);
}

/*
 * What descend() answers, from the finger when key falls in the span it
 * covers (from its first start to the next leaf's): as it does for the
 * UNMAP of what a MAP just placed, for the MAP that refills what an UNMAP
 * just freed, and for every automatic MAP above packed areas. The span's
 * end is kept rather than read from the next leaf, which a random lookup
 * would find cold.
 */
static struct rindex_leaf *find_leaf(const struct rindex *ri, uint64_t key,
				     uint64_t *span_last)
{
	struct rindex_leaf *f = ri->finger;

	if (f && key <= ri->finger_last && (!f->prev || f->start[0] <= key)) {
		*span_last = ri->finger_last;
		return f;
	}
	return descend(ri, key, span_last);
}

static void set_finger(struct rindex *ri, struct rindex_leaf *leaf,
		       uint64_t span_last)
{
	ri->finger = leaf;
	ri->finger_last = span_last;
}

/* The slot with the greatest start <= key, or -1. */
static inline int floor_slot(const struct rindex_leaf *leaf, uint64_t key)
{
	unsigned int n = leaf->hdr.n;

	/* at or past the last start, as an automatic MAP above packed
	 * areas and its UNMAP are: no search */
	if (n && leaf->start[n - 1] <= key)
		return (int)n - 1;
	return (int)count_le(leaf->start, n, key) - 1;
}

struct rindex_range *rindex_floor(const struct rindex *ri, uint64_t key)
{
	struct rindex_leaf *leaf;
	uint64_t span_last;
	int slot;

	if (!ri->root)
		return NULL;
	leaf = find_leaf(ri, key, &span_last);
	slot = floor_slot(leaf, key);
	return slot < 0 ? NULL : leaf->range[slot];
}

static struct rindex_range *cursor_at(struct rindex_cursor *c)
{
	while (c->leaf && c->slot >= c->leaf->hdr.n) {
		c->leaf = c->leaf->next;
		c->slot = 0;
		c->span_known = false;
	}
	return c->leaf ? c->leaf->range[c->slot] : NULL;
}

struct rindex_range *rindex_first(const struct rindex *ri,
				  struct rindex_cursor *c)
{
	c->leaf = ri->root ? descend(ri, 0, &c->span_last) : NULL;
	c->slot = 0;
	c->span_known = c->leaf != NULL;
	return cursor_at(c);
}

struct rindex_range *rindex_seek(const struct rindex *ri, uint64_t key,
				 struct rindex_cursor *c)
{
	int slot;

	c->slot = 0;
	c->leaf = NULL;
	c->span_known = false;
	if (!ri->root)
		return NULL;
	c->leaf = find_leaf(ri, key, &c->span_last);
	c->span_known = true;
	slot = floor_slot(c->leaf, key);
	if (slot >= 0 && c->leaf->last[slot] >= key)
		c->slot = slot;
	else
		c->slot = slot + 1;
	return cursor_at(c);
}

struct rindex_range *rindex_cursor_next(struct rindex_cursor *c)
{
	if (!c->leaf)
		return NULL;
	c->slot++;
	return cursor_at(c);
}

struct rindex_range *rindex_first_overlap(const struct rindex *ri,
					  uint64_t start, uint64_t last)
{
	struct rindex_cursor c;
	struct rindex_range *r;

	if (start > last)
		return NULL;
	r = rindex_seek(ri, start, &c);
	/* the leaf's copy of the start, not the range's: when nothing
	 * overlaps (a MAP's check) the range is the next one over, whose
	 * owner is a cold line among many */
	return r && c.leaf->start[c.slot] <= last ? r : NULL;
}

/* ---- insert --------------------------------------------------------------------- */

/* Nodes allocated ahead of a split chain: the new sibling of the leaf
 * that splits, and the internal nodes its split needs above it. */
struct node_pool {
	struct rindex_leaf *leaf;
	struct rindex_inner *inner[RINDEX_MAX_SPLITS];
	unsigned int count;
};

static struct rindex_inner *pool_take(struct node_pool *pool)
{
	return pool->inner[--pool->count];
}

static int pool_fill(struct rindex *ri, struct node_pool *pool,
		     struct rindex_leaf *leaf)
{
	struct rindex_node *node = &leaf->hdr;
	unsigned int need = 0;

	/* each full node on the way up splits; a full root adds a root */
	while (node && node->n == RINDEX_FANOUT) {
		need++;
		node = node->parent ? &node->parent->hdr : NULL;
	}
	if (need && !node)
		need++;
	pool->leaf = NULL;
	pool->count = 0;
	if (!need)
		return 0;
	pool->leaf = lib_malloc(sizeof(*pool->leaf));
	if (!pool->leaf)
		return -ENOMEM;
	while (pool->count < need - 1) {
		struct rindex_inner *in = inner_alloc(ri);

		if (!in)
			goto free_nodes;
		pool->inner[pool->count++] = in;
	}
	return 0;

free_nodes:
	while (pool->count)
		inner_free(ri, pool_take(pool));
	free(pool->leaf);
	return -ENOMEM;
}

static void leaf_put(struct rindex_leaf *leaf, unsigned int i,
		     struct rindex_range *r)
{
	leaf->start[i] = r->start;
	leaf->last[i] = r->last;
	leaf->range[i] = r;
}

/* Opens slot pos in a leaf that has room, and puts r there. A loop rather
 * than memmove(): the empty tail of an append then makes no call. */
static void leaf_insert_at(struct rindex_leaf *leaf, unsigned int pos,
			   struct rindex_range *r)
{
	for (unsigned int i = leaf->hdr.n; i > pos; i--) {
		leaf->start[i] = leaf->start[i - 1];
		leaf->last[i] = leaf->last[i - 1];
		leaf->range[i] = leaf->range[i - 1];
	}
	leaf_put(leaf, pos, r);
	leaf->hdr.n++;
}

/* Moves entries [from, n) of leaf src to the empty leaf dst. */
static void leaf_move_tail(struct rindex_leaf *src, unsigned int from,
			   struct rindex_leaf *dst)
{
	unsigned int count = src->hdr.n - from;

	memcpy(dst->start, &src->start[from], count * sizeof(dst->start[0]));
	memcpy(dst->last, &src->last[from], count * sizeof(dst->last[0]));
	memcpy(dst->range, &src->range[from], count * sizeof(dst->range[0]));
	dst->hdr.n = count;
	src->hdr.n = from;
}

static void inner_insert_at(struct rindex_inner *in, unsigned int pos,
			    struct rindex_node *child)
{
	unsigned int tail = in->hdr.n - pos;

	memmove(&in->min_start[pos + 1], &in->min_start[pos],
		tail * sizeof(in->min_start[0]));
	memmove(&in->max_last[pos + 1], &in->max_last[pos],
		tail * sizeof(in->max_last[0]));
	memmove(&in->max_gap[pos + 1], &in->max_gap[pos],
		tail * sizeof(in->max_gap[0]));
	memmove(&in->child[pos + 1], &in->child[pos],
		tail * sizeof(in->child[0]));
	in->child[pos] = child;
	in->hdr.n++;
	adopt(in, pos);
	set_summary(in, pos);
}

static void inner_move_tail(struct rindex_inner *src, unsigned int from,
			    struct rindex_inner *dst)
{
	unsigned int count = src->hdr.n - from;

	memcpy(dst->min_start, &src->min_start[from],
	       count * sizeof(dst->min_start[0]));
	memcpy(dst->max_last, &src->max_last[from],
	       count * sizeof(dst->max_last[0]));
	memcpy(dst->max_gap, &src->max_gap[from],
	       count * sizeof(dst->max_gap[0]));
	memcpy(dst->child, &src->child[from], count * sizeof(dst->child[0]));
	dst->hdr.n = count;
	src->hdr.n = from;
	adopt(dst, 0);
}

/* Where a full node splits when an entry goes to pos: the entries kept on
 * the left. */
static unsigned int split_point(unsigned int pos)
{
	if (pos == RINDEX_FANOUT)
		return RINDEX_FANOUT - RINDEX_MIN + 1;
	return RINDEX_FANOUT / 2;
}

/* Puts right just after left in left's parent, splitting upwards as
 * needed; a root that splits gets a new root above it. */
static void insert_sibling(struct rindex *ri, struct rindex_node *left,
			   struct rindex_node *right, struct node_pool *pool)
{
	struct rindex_inner *p = left->parent, *q;
	unsigned int pos;

	if (!p) {
		p = pool_take(pool);
		memset(p, 0, sizeof(*p));
		p->child[0] = left;
		p->hdr.n = 1;
		adopt(p, 0);
		set_summary(p, 0);
		ri->root = &p->hdr;
		ri->height++;
	}
	pos = left->slot + 1;
	if (p->hdr.n < RINDEX_FANOUT) {
		inner_insert_at(p, pos, right);
		set_summary(p, pos - 1);
		refresh_up(ri, &p->hdr);
		return;
	}
	q = pool_take(pool);
	memset(q, 0, sizeof(*q));
	inner_move_tail(p, split_point(pos), q);
	if (pos <= p->hdr.n) {
		inner_insert_at(p, pos, right);
		set_summary(p, pos - 1);
	} else {
		/* left went along: it is the entry before right */
		inner_insert_at(q, pos - p->hdr.n, right);
		set_summary(q, pos - p->hdr.n - 1);
	}
	insert_sibling(ri, &p->hdr, &q->hdr, pool);
	refresh_up(ri, &p->hdr);
}

/* Splits the full leaf around pos and puts r in its place. */
static void leaf_split_insert(struct rindex *ri, struct rindex_leaf *leaf,
			      uint64_t span_last, unsigned int pos,
			      struct rindex_range *r, struct node_pool *pool)
{
	struct rindex_leaf *right = pool->leaf;
	unsigned int keep = split_point(pos);

	memset(right, 0, sizeof(*right));
	right->hdr.is_leaf = true;
	leaf_move_tail(leaf, keep, right);
	if (pos <= keep) {
		leaf_insert_at(leaf, pos, r);
		set_finger(ri, leaf, right->start[0] - 1);
	} else {
		leaf_insert_at(right, pos - keep, r);
		set_finger(ri, right, span_last);
	}
	right->next = leaf->next;
	right->prev = leaf;
	if (leaf->next)
		leaf->next->prev = right;
	leaf->next = right;
	insert_sibling(ri, &leaf->hdr, &right->hdr, pool);
	refresh_up(ri, &leaf->hdr);
	refresh_up(ri, &right->hdr);
}

int rindex_insert(struct rindex *ri, struct rindex_range *r)
{
	struct node_pool pool;
	struct rindex_leaf *leaf;
	uint64_t span_last;
	unsigned int pos;

	if (!ri->root) {
		leaf = lib_calloc(1, sizeof(*leaf));
		if (!leaf)
			return -ENOMEM;
		leaf->hdr.is_leaf = true;
		leaf_insert_at(leaf, 0, r);
		ri->root = &leaf->hdr;
		ri->height = 0;
		ri->count = 1;
		ri->max_gap = 0;
		set_finger(ri, leaf, UINT64_MAX);
		return 0;
	}
	leaf = find_leaf(ri, r->start, &span_last);
	pos = (unsigned int)(floor_slot(leaf, r->start) + 1);
	if (pool_fill(ri, &pool, leaf))
		return -ENOMEM;
	if (leaf->hdr.n < RINDEX_FANOUT) {
		struct gap_change ch;

		leaf_insert_at(leaf, pos, r);
		ch.lost = hole_across(leaf, pos);
		ch.gained = holes_beside(leaf, pos);
		refresh_up_change(ri, &leaf->hdr, ch);
		set_finger(ri, leaf, span_last);
	} else {
		leaf_split_insert(ri, leaf, span_last, pos, r, &pool);
	}
	ri->count++;
	return 0;
}

/* ---- remove --------------------------------------------------------------------- */

/* Closes slot pos of a leaf; a loop, as in leaf_insert_at(). */
static void leaf_remove_at(struct rindex_leaf *leaf, unsigned int pos)
{
	leaf->hdr.n--;
	for (unsigned int i = pos; i < leaf->hdr.n; i++) {
		leaf->start[i] = leaf->start[i + 1];
		leaf->last[i] = leaf->last[i + 1];
		leaf->range[i] = leaf->range[i + 1];
	}
}

static void inner_remove_at(struct rindex_inner *in, unsigned int pos)
{
	unsigned int tail = in->hdr.n - pos - 1;

	memmove(&in->min_start[pos], &in->min_start[pos + 1],
		tail * sizeof(in->min_start[0]));
	memmove(&in->max_last[pos], &in->max_last[pos + 1],
		tail * sizeof(in->max_last[0]));
	memmove(&in->max_gap[pos], &in->max_gap[pos + 1],
		tail * sizeof(in->max_gap[0]));
	memmove(&in->child[pos], &in->child[pos + 1],
		tail * sizeof(in->child[0]));
	in->hdr.n--;
	adopt(in, pos);
}

/* Moves one entry from the end of left to the front of right (two
 * siblings), or from the front of right to the end of left. */
static void shift_right(struct rindex_node *left, struct rindex_node *right)
{
	unsigned int from = left->n - 1;

	if (left->is_leaf) {
		struct rindex_leaf *l = as_leaf(left);

		leaf_insert_at(as_leaf(right), 0, l->range[from]);
	} else {
		struct rindex_inner *l = as_inner(left);

		inner_insert_at(as_inner(right), 0, l->child[from]);
	}
	left->n--;
}

static void shift_left(struct rindex_node *left, struct rindex_node *right)
{
	if (left->is_leaf) {
		leaf_insert_at(as_leaf(left), left->n,
			       as_leaf(right)->range[0]);
		leaf_remove_at(as_leaf(right), 0);
	} else {
		inner_insert_at(as_inner(left), left->n,
				as_inner(right)->child[0]);
		inner_remove_at(as_inner(right), 0);
	}
}

/* Appends every entry of right to left and frees right. */
static void merge_into_left(struct rindex *ri, struct rindex_node *left,
			    struct rindex_node *right)
{
	unsigned int from;

	if (left->is_leaf) {
		struct rindex_leaf *l = as_leaf(left), *r = as_leaf(right);

		memcpy(&l->start[left->n], r->start,
		       right->n * sizeof(l->start[0]));
		memcpy(&l->last[left->n], r->last,
		       right->n * sizeof(l->last[0]));
		memcpy(&l->range[left->n], r->range,
		       right->n * sizeof(l->range[0]));
		l->next = r->next;
		if (r->next)
			r->next->prev = l;
	} else {
		struct rindex_inner *l = as_inner(left), *r = as_inner(right);

		memcpy(&l->min_start[left->n], r->min_start,
		       right->n * sizeof(l->min_start[0]));
		memcpy(&l->max_last[left->n], r->max_last,
		       right->n * sizeof(l->max_last[0]));
		memcpy(&l->max_gap[left->n], r->max_gap,
		       right->n * sizeof(l->max_gap[0]));
		memcpy(&l->child[left->n], r->child,
		       right->n * sizeof(l->child[0]));
	}
	from = left->n;
	left->n += right->n;
	if (left->is_leaf) {
		free(right);
	} else {
		adopt(as_inner(left), from);
		inner_free(ri, as_inner(right));
	}
}

/* node (not the root) has fewer than RINDEX_MIN entries: borrow one from a
 * sibling that can spare it, else merge with one. */
static void rebalance(struct rindex *ri, struct rindex_node *node)
{
	struct rindex_inner *p = node->parent;
	unsigned int i = node->slot;
	struct rindex_node *left = i ? p->child[i - 1] : NULL;
	struct rindex_node *right = i + 1 < p->hdr.n ? p->child[i + 1] : NULL;

	if (left && left->n > RINDEX_MIN) {
		shift_right(left, node);
		set_summary(p, i - 1);
		set_summary(p, i);
		refresh_up(ri, &p->hdr);
		return;
	}
	if (right && right->n > RINDEX_MIN) {
		shift_left(node, right);
		set_summary(p, i);
		set_summary(p, i + 1);
		refresh_up(ri, &p->hdr);
		return;
	}
	if (left) {
		merge_into_left(ri, left, node);
		inner_remove_at(p, i);
		set_summary(p, i - 1);
	} else {
		merge_into_left(ri, node, right);
		inner_remove_at(p, i + 1);
		set_summary(p, i);
	}
	if (!p->hdr.parent) {
		if (p->hdr.n == 1) {
			ri->root = p->child[0];
			ri->root->parent = NULL;
			ri->height--;
			inner_free(ri, p);
		}
		ri->max_gap = node_max_gap(ri->root);
		return;
	}
	if (p->hdr.n < RINDEX_MIN)
		rebalance(ri, &p->hdr);
	else
		refresh_up(ri, &p->hdr);
}

/* span_known: span_last is the last key that reaches the leaf. */
static void remove_from_leaf(struct rindex *ri, struct rindex_leaf *leaf,
			     unsigned int slot, bool span_known,
			     uint64_t span_last)
{
	struct gap_change ch = {
		.lost = holes_beside(leaf, slot),
		.gained = hole_across(leaf, slot),
	};

	leaf_remove_at(leaf, slot);
	ri->count--;
	set_finger(ri, span_known ? leaf : NULL, span_last);
	/* A root leaf stays, even empty, until rindex_destroy(): an IOAS
	 * that maps and unmaps one area at a time then never allocates. */
	if (leaf->hdr.parent && leaf->hdr.n < RINDEX_MIN) {
		/* a merge may free the leaf */
		set_finger(ri, NULL, 0);
		rebalance(ri, &leaf->hdr);
	} else {
		refresh_up_change(ri, &leaf->hdr, ch);
	}
}

void rindex_remove(struct rindex *ri, struct rindex_range *r)
{
	uint64_t span_last;
	struct rindex_leaf *leaf = find_leaf(ri, r->start, &span_last);

	remove_from_leaf(ri, leaf, (unsigned int)floor_slot(leaf, r->start),
			 true, span_last);
}

void rindex_remove_at(struct rindex *ri, const struct rindex_cursor *c)
{
	remove_from_leaf(ri, c->leaf, c->slot, c->span_known, c->span_last);
}

void rindex_replace(struct rindex *ri, struct rindex_range *old,
		    struct rindex_range *by)
{
	uint64_t span_last;
	struct rindex_leaf *leaf = find_leaf(ri, old->start, &span_last);
	unsigned int slot = (unsigned int)floor_slot(leaf, old->start);
	struct gap_change ch = { .lost = holes_beside(leaf, slot) };

	leaf_put(leaf, slot, by);
	ch.gained = holes_beside(leaf, slot);
	refresh_up_change(ri, &leaf->hdr, ch);
	set_finger(ri, leaf, span_last);
}

/* The leaves; the internal nodes go with their slabs. */
static void free_leaves(struct rindex_node *node)
{
	unsigned int i;

	if (node->is_leaf) {
		free(node);
		return;
	}
	for (i = 0; i < node->n; i++)
		free_leaves(as_inner(node)->child[i]);
}

void rindex_destroy(struct rindex *ri)
{
	if (ri->root)
		free_leaves(ri->root);
	slabs_release(ri);
	rindex_init(ri);
}

/* ---- the lowest fitting hole ---------------------------------------------------- */

struct hole_search {
	uint64_t start, last, min_size;
	rindex_fits_fn fits;
	void *arg;
	bool have_prev;	    /* a range lies before the walk's position */
	uint64_t prev_last; /* the last value of that range */
	bool stop;	    /* the walk passed 'last', or found */
	bool found;
	uint64_t where;
};

/* Offers the hole that ends just before next_start (next_start 0: none;
 * at_end: the hole runs to the top of the key space). */
static void offer_hole(struct hole_search *s, uint64_t next_start,
		       bool at_end)
{
	uint64_t lo, hi;

	if (s->have_prev) {
		if (s->prev_last == UINT64_MAX)
			return;
		lo = s->prev_last + 1;
	} else {
		lo = 0;
	}
	if (at_end) {
		hi = UINT64_MAX;
	} else {
		if (next_start == lo)
			return;
		hi = next_start - 1;
	}
	if (lo < s->start)
		lo = s->start;
	if (hi > s->last)
		hi = s->last;
	if (lo > hi || hi - lo < s->min_size - 1)
		return;
	if (s->fits(&lo, hi, s->arg)) {
		s->found = true;
		s->stop = true;
		s->where = lo;
	}
}

static void pass_range(struct hole_search *s, uint64_t last)
{
	s->have_prev = true;
	s->prev_last = last;
}

/* Whether the hole between two neighbours is too small to offer, and not
 * past the end of the search (where the walk must stop). */
static inline bool small_hole(const struct hole_search *s, uint64_t prev_last,
			      uint64_t next_start)
{
	return next_start <= s->last &&
	       gap_between(prev_last, next_start) < s->min_size;
}

/*
 * Both walks below offer the hole before an entry, then step in one tight
 * loop over the entries after it whose holes (before them, and for a
 * child inside it) are too small: among packed areas that is nearly all
 * of them.
 */
static void search_leaf(struct hole_search *s, struct rindex_leaf *leaf)
{
	unsigned int n = leaf->hdr.n, i = 0;

	while (i < n && !s->stop) {
		if (leaf->last[i] >= s->start) {
			offer_hole(s, leaf->start[i], false);
			if (leaf->start[i] > s->last)
				s->stop = true;
		}
		for (i++; i < n && small_hole(s, leaf->last[i - 1],
					      leaf->start[i]);
		     i++)
			;
		pass_range(s, leaf->last[i - 1]);
	}
}

static void search_node(struct hole_search *s, struct rindex_node *node)
{
	struct rindex_inner *in;
	unsigned int n = node->n, i = 0;

	if (node->is_leaf) {
		search_leaf(s, as_leaf(node));
		return;
	}
	in = as_inner(node);
	while (i < n && !s->stop) {
		if (in->max_last[i] < s->start) {
			/* wholly below the search: passed over */
		} else if (in->min_start[i] > s->last) {
			offer_hole(s, in->min_start[i], false);
			s->stop = true;
			return;
		} else if (in->max_gap[i] >= s->min_size) {
			search_node(s, in->child[i]);
		} else {
			/* nothing inside fits: only the hole before it can */
			offer_hole(s, in->min_start[i], false);
		}
		for (i++; i < n && in->max_gap[i] < s->min_size &&
			  small_hole(s, in->max_last[i - 1], in->min_start[i]);
		     i++)
			;
		pass_range(s, in->max_last[i - 1]);
	}
}

bool rindex_find_hole(const struct rindex *ri, uint64_t start, uint64_t last,
		      uint64_t min_size, rindex_fits_fn fits, void *arg,
		      uint64_t *found)
{
	struct hole_search s = {
		.start = start,
		.last = last,
		.min_size = min_size ? min_size : 1,
		.fits = fits,
		.arg = arg,
	};

	if (start > last)
		return false;
	if (ri->root && ri->root->n) {
		if (ri->max_gap >= s.min_size) {
			search_node(&s, ri->root);
		} else {
			/* nothing inside fits: only the holes around it */
			offer_hole(&s, node_min_start(ri->root), false);
			pass_range(&s, node_max_last(ri->root));
		}
	}
	if (!s.stop)
		offer_hole(&s, 0, true);
	if (s.found)
		*found = s.where;
	return s.found;
}

/* ---- checking ------------------------------------------------------------------- */

static size_t leaves_memory(const struct rindex_node *node)
{
	const struct rindex_inner *in = (const struct rindex_inner *)node;
	size_t bytes = 0;
	unsigned int i;

	if (node->is_leaf)
		return sizeof(struct rindex_leaf);
	for (i = 0; i < node->n; i++)
		bytes += leaves_memory(in->child[i]);
	return bytes;
}

size_t rindex_memory(const struct rindex *ri)
{
	size_t bytes = ri->root ? leaves_memory(ri->root) : 0;

	for (const struct rindex_slab *s = ri->slabs; s; s = s->next)
		bytes += s->bytes;
	return bytes;
}

struct check_walk {
	const struct rindex_leaf *prev_leaf; /* in-order, for the links */
	bool have_prev;
	uint64_t prev_last;
	size_t count;
	size_t inner; /* internal nodes */
	unsigned int leaf_depth;
	const struct rindex_leaf *finger;
	bool finger_seen;
};

static const char *check_leaf(struct check_walk *w,
			      const struct rindex_leaf *leaf)
{
	unsigned int i;

	if (leaf->prev != w->prev_leaf)
		return "a leaf's prev link is not the leaf before it";
	if (w->prev_leaf && w->prev_leaf->next != leaf)
		return "a leaf's next link is not the leaf after it";
	for (i = 0; i < leaf->hdr.n; i++) {
		const struct rindex_range *r = leaf->range[i];

		if (!r || r->start != leaf->start[i] ||
		    r->last != leaf->last[i])
			return "a leaf's keys differ from its range";
		if (r->start > r->last)
			return "a range ends before it starts";
		if (w->have_prev && r->start <= w->prev_last)
			return "ranges out of order or overlapping";
		w->have_prev = true;
		w->prev_last = r->last;
	}
	w->count += leaf->hdr.n;
	w->prev_leaf = leaf;
	w->finger_seen |= leaf == w->finger;
	return NULL;
}

static const char *check_node(struct check_walk *w,
			      const struct rindex_node *node,
			      const struct rindex_inner *parent,
			      unsigned int depth)
{
	const struct rindex_inner *in;
	const char *err;
	unsigned int i;

	if (node->parent != parent)
		return "a node's parent link is wrong";
	if (parent && parent->child[node->slot] != node)
		return "a node's slot is not where its parent holds it";
	if (node->n > RINDEX_FANOUT || (node->n == 0 && !node->is_leaf) ||
	    (node->n == 0 && parent))
		return "a node's count is out of bounds";
	if (parent && node->n < RINDEX_MIN)
		return "a node other than the root is under-filled";
	if (node->is_leaf) {
		if (depth != w->leaf_depth)
			return "leaves at different depths";
		return check_leaf(w, (const struct rindex_leaf *)node);
	}
	in = (const struct rindex_inner *)node;
	w->inner++;
	for (i = 0; i < node->n; i++) {
		struct rindex_node *c = in->child[i];

		err = check_node(w, c, in, depth + 1);
		if (err)
			return err;
		if (in->min_start[i] != node_min_start(c) ||
		    in->max_last[i] != node_max_last(c) ||
		    in->max_gap[i] != node_max_gap(c))
			return "a child's summary is stale";
	}
	return NULL;
}

/* The last key whose descent reaches leaf. */
static uint64_t leaf_span_last(const struct rindex_leaf *leaf)
{
	return leaf->next ? leaf->next->start[0] - 1 : UINT64_MAX;
}

const char *rindex_check(const struct rindex *ri)
{
	struct check_walk w = { .finger = ri->finger };
	const struct rindex_node *node = ri->root;
	const char *err;

	if (!node)
		return ri->count    ? "an empty index counts ranges"
		       : ri->finger ? "an empty index has a finger"
		       : ri->slabs  ? "an empty index holds slabs"
				    : NULL;
	while (!node->is_leaf) {
		w.leaf_depth++;
		node = ((const struct rindex_inner *)node)->child[0];
	}
	if (w.leaf_depth != ri->height)
		return "the height is wrong";
	if (ri->max_gap != node_max_gap(ri->root))
		return "the root's largest hole is stale";
	err = check_node(&w, ri->root, NULL, 0);
	if (err)
		return err;
	if (w.prev_leaf && w.prev_leaf->next)
		return "the last leaf has a next link";
	if (w.count != ri->count)
		return "the count is wrong";
	if (w.inner != ri->inner_live)
		return "the count of internal nodes is wrong";
	if (ri->finger && !w.finger_seen)
		return "the finger is not a leaf of the index";
	if (ri->finger && ri->finger_last != leaf_span_last(ri->finger))
		return "the finger's span does not end before the next leaf";
	return NULL;
}
