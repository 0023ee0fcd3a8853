// SPDX-License-Identifier: MIT
/*
 * The interval tree: a red-black tree ordered by start, augmented with the
 * largest 'last' of each subtree (subtree_last).
 *
 * subtree_last is kept exact at every moment the rebalancing code looks at
 * it: insert raises it on the way down, before any rotation; remove repairs
 * the path it disturbed before rebalancing; and a rotation, the only other
 * change of shape, recomputes the two nodes whose subtrees it changes. The
 * lookups then prune any subtree whose subtree_last is below the query.
 *
 * Absent children are NULL and count as black.
 */
#include "base/interval_tree.h"

/* Three pointers and three u64s; the io_pagetable budgets 256 bytes per
 * mapping, and this node is in every area. */
_Static_assert(sizeof(struct itree_node) <= 56, "itree_node grew");
_Static_assert(_Alignof(struct itree_node) >= 2,
	       "bit 0 of a node address must be free for the color");

#define ITREE_BLACK ((uintptr_t)1)

static inline struct itree_node *parent_of(const struct itree_node *n)
{
	return (struct itree_node *)(n->parent_color & ~ITREE_BLACK);
}

static inline bool is_red(const struct itree_node *n)
{
	return n && !(n->parent_color & ITREE_BLACK);
}

static inline bool is_black(const struct itree_node *n)
{
	return !is_red(n);
}

static inline void set_parent(struct itree_node *n, struct itree_node *p)
{
	n->parent_color = (uintptr_t)p | (n->parent_color & ITREE_BLACK);
}

static inline void set_black(struct itree_node *n)
{
	n->parent_color |= ITREE_BLACK;
}

static inline void set_red(struct itree_node *n)
{
	n->parent_color &= ~ITREE_BLACK;
}

static inline void copy_color(struct itree_node *to,
			      const struct itree_node *from)
{
	to->parent_color = (to->parent_color & ~ITREE_BLACK) |
			   (from->parent_color & ITREE_BLACK);
}

/* What n->subtree_last must be, given correct values in its children. */
static inline uint64_t compute_subtree_last(const struct itree_node *n)
{
	uint64_t max = n->last;

	if (n->left && n->left->subtree_last > max)
		max = n->left->subtree_last;
	if (n->right && n->right->subtree_last > max)
		max = n->right->subtree_last;
	return max;
}

/* Makes whatever pointed at old (its parent's link, or the root) point at
 * new; parent is old's parent. */
static inline void replace_child(struct itree *t, struct itree_node *parent,
				 struct itree_node *old, struct itree_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/*
 *     x              y
 *    / \            / \
 *   a   y    =>    x   c
 *      / \        / \
 *     b   c      a   b
 */
static void rotate_left(struct itree *t, struct itree_node *x)
{
	struct itree_node *y = x->right;
	struct itree_node *parent = parent_of(x);

	x->right = y->left;
	if (y->left)
		set_parent(y->left, x);
	set_parent(y, parent);
	replace_child(t, parent, x, y);
	y->left = x;
	set_parent(x, y);
	/* y now spans exactly the nodes x spanned; x lost y and c. */
	y->subtree_last = x->subtree_last;
	x->subtree_last = compute_subtree_last(x);
}

/* The mirror image of rotate_left(). */
static void rotate_right(struct itree *t, struct itree_node *x)
{
	struct itree_node *y = x->left;
	struct itree_node *parent = parent_of(x);

	x->left = y->right;
	if (y->right)
		set_parent(y->right, x);
	set_parent(y, parent);
	replace_child(t, parent, x, y);
	y->right = x;
	set_parent(x, y);
	y->subtree_last = x->subtree_last;
	x->subtree_last = compute_subtree_last(x);
}

void itree_init(struct itree *t)
{
	t->root = NULL;
	t->count = 0;
}

/* n is red and may have a red parent; restore "no red node has a red child"
 * by recoloring up the tree, then at most two rotations. */
static void insert_fixup(struct itree *t, struct itree_node *n)
{
	struct itree_node *parent, *grand, *uncle;

	while ((parent = parent_of(n)) && is_red(parent)) {
		/* A red node is never the root, so grand exists. */
		grand = parent_of(parent);
		if (parent == grand->left) {
			uncle = grand->right;
			if (is_red(uncle)) {
				set_black(parent);
				set_black(uncle);
				set_red(grand);
				n = grand;
				continue;
			}
			if (n == parent->right) {
				/* Bring n to the outside so one rotation at
				 * grand finishes the job. */
				rotate_left(t, parent);
				n = parent;
				parent = parent_of(n);
			}
			set_black(parent);
			set_red(grand);
			rotate_right(t, grand);
		} else {
			uncle = grand->left;
			if (is_red(uncle)) {
				set_black(parent);
				set_black(uncle);
				set_red(grand);
				n = grand;
				continue;
			}
			if (n == parent->left) {
				rotate_right(t, parent);
				n = parent;
				parent = parent_of(n);
			}
			set_black(parent);
			set_red(grand);
			rotate_left(t, grand);
		}
	}
	set_black(t->root);
}

void itree_insert(struct itree *t, struct itree_node *n)
{
	struct itree_node **link = &t->root;
	struct itree_node *parent = NULL;

	while (*link) {
		parent = *link;
		/* n will sit below every node passed here. */
		if (parent->subtree_last < n->last)
			parent->subtree_last = n->last;
		/* Equal starts go right, so they keep insertion order until a
		 * removal or rotation mixes them; nobody relies on it. */
		link = n->start < parent->start ? &parent->left : &parent->right;
	}
	n->left = NULL;
	n->right = NULL;
	n->subtree_last = n->last;
	n->parent_color = (uintptr_t)parent; /* red */
	*link = n;
	t->count++;
	insert_fixup(t, n);
}

/*
 * Recomputes subtree_last from n up towards the root. Once a node's value
 * comes out unchanged, nothing above it can change either, so the walk stops
 * there; except below must_reach, a node that was moved into place with a
 * value that is no longer its own, so the walk goes on at least that far.
 */
static void propagate_subtree_last(struct itree_node *n,
				   const struct itree_node *must_reach)
{
	bool may_stop = !must_reach;

	for (; n; n = parent_of(n)) {
		uint64_t max = compute_subtree_last(n);

		if (may_stop && max == n->subtree_last)
			return;
		n->subtree_last = max;
		if (n == must_reach)
			may_stop = true;
	}
}

/*
 * A black node was unlinked from below parent, leaving child (maybe NULL) in
 * its place, and every path through child is one black short. Push the
 * shortage up by recoloring until a red node can absorb it, or fix it with
 * rotations at the sibling.
 */
static void remove_fixup(struct itree *t, struct itree_node *child,
			 struct itree_node *parent)
{
	struct itree_node *sibling;

	while (child != t->root && is_black(child)) {
		/*
		 * child may be NULL; then it is the left one exactly when
		 * parent->left is NULL, since the sibling of a short path
		 * has at least one black node and so exists.
		 */
		if (child == parent->left) {
			sibling = parent->right;
			if (is_red(sibling)) {
				/* Make the sibling black so the cases below
				 * apply; the black height is unchanged. */
				set_black(sibling);
				set_red(parent);
				rotate_left(t, parent);
				sibling = parent->right;
			}
			if (is_black(sibling->left) &&
			    is_black(sibling->right)) {
				set_red(sibling);
				child = parent;
				parent = parent_of(child);
				continue;
			}
			if (is_black(sibling->right)) {
				set_black(sibling->left);
				set_red(sibling);
				rotate_right(t, sibling);
				sibling = parent->right;
			}
			copy_color(sibling, parent);
			set_black(parent);
			set_black(sibling->right);
			rotate_left(t, parent);
			return;
		} else {
			sibling = parent->left;
			if (is_red(sibling)) {
				set_black(sibling);
				set_red(parent);
				rotate_right(t, parent);
				sibling = parent->left;
			}
			if (is_black(sibling->left) &&
			    is_black(sibling->right)) {
				set_red(sibling);
				child = parent;
				parent = parent_of(child);
				continue;
			}
			if (is_black(sibling->left)) {
				set_black(sibling->right);
				set_red(sibling);
				rotate_left(t, sibling);
				sibling = parent->left;
			}
			copy_color(sibling, parent);
			set_black(parent);
			set_black(sibling->left);
			rotate_right(t, parent);
			return;
		}
	}
	if (child)
		set_black(child);
}

void itree_remove(struct itree *t, struct itree_node *n)
{
	struct itree_node *parent = parent_of(n);
	struct itree_node *child, *fix_parent, *moved = NULL;
	bool removed_black;

	if (!n->left || !n->right) {
		child = n->left ? n->left : n->right;
		removed_black = is_black(n);
		replace_child(t, parent, n, child);
		if (child)
			set_parent(child, parent);
		fix_parent = parent;
	} else {
		/*
		 * Two children: the in-order successor (leftmost of the right
		 * subtree, so it has no left child) leaves its own place, which
		 * is where the tree really loses a node, and takes n's place
		 * and color.
		 */
		struct itree_node *succ = n->right;

		while (succ->left)
			succ = succ->left;
		removed_black = is_black(succ);
		child = succ->right;
		if (succ == n->right) {
			fix_parent = succ;
		} else {
			fix_parent = parent_of(succ);
			fix_parent->left = child;
			if (child)
				set_parent(child, fix_parent);
			succ->right = n->right;
			set_parent(n->right, succ);
		}
		succ->left = n->left;
		set_parent(n->left, succ);
		succ->parent_color = n->parent_color;
		replace_child(t, parent, n, succ);
		moved = succ;
	}
	t->count--;
	propagate_subtree_last(fix_parent, moved);
	if (removed_black)
		remove_fixup(t, child, fix_parent);
}

struct itree_node *itree_first(const struct itree *t)
{
	struct itree_node *n = t->root;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

struct itree_node *itree_next(struct itree_node *n)
{
	struct itree_node *parent;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return n;
	}
	/* Up until we leave a left subtree: that parent comes next. */
	while ((parent = parent_of(n)) && n == parent->right)
		n = parent;
	return parent;
}

/*
 * The lowest-start node in n's subtree overlapping [start, last], or NULL;
 * the caller has checked n->subtree_last >= start.
 *
 * Why going left is right whenever the left subtree reaches start: it holds
 * some node L with L.last >= start. If L.start <= last, L overlaps and comes
 * before n and everything right of n. If not, n and its right subtree start
 * even later than L, past last, so nothing outside the left subtree overlaps.
 */
static struct itree_node *subtree_first_overlap(struct itree_node *n,
						uint64_t start, uint64_t last)
{
	for (;;) {
		if (n->left && n->left->subtree_last >= start) {
			n = n->left;
			continue;
		}
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
		n = n->right;
		if (!n || n->subtree_last < start)
			return NULL;
	}
}

void itree_neighbours(const struct itree *t, uint64_t key,
		      struct itree_node **floor, struct itree_node **above)
{
	struct itree_node *n = t->root;

	/* A plain search on start: it reads only the nodes on one path, and
	 * the last turn each way is the answer on that side. */
	*floor = *above = NULL;
	while (n) {
		if (n->start <= key) {
			*floor = n;
			n = n->right;
		} else {
			*above = n;
			n = n->left;
		}
	}
}

struct itree_node *itree_iter_first(const struct itree *t, uint64_t start,
				    uint64_t last)
{
	struct itree_node *root = t->root;

	if (!root || start > last || root->subtree_last < start)
		return NULL;
	return subtree_first_overlap(root, start, last);
}

struct itree_node *itree_iter_next(struct itree_node *n, uint64_t start,
				   uint64_t last)
{
	struct itree_node *parent;

	for (;;) {
		/*
		 * When the right subtree reaches start and still holds no
		 * overlap, the node in it that reaches start begins past
		 * last, and so does everything after it: the search ends
		 * there either way.
		 */
		if (n->right && n->right->subtree_last >= start)
			return subtree_first_overlap(n->right, start, last);
		while ((parent = parent_of(n)) && n == parent->right)
			n = parent;
		if (!parent || parent->start > last)
			return NULL;
		if (parent->last >= start)
			return parent;
		n = parent;
	}
}

/* Sets the run that begins at pos, which the previous run ended before. */
static void span_fill(struct itree_span *s, uint64_t pos)
{
	struct itree_node *n = s->next_node;
	uint64_t end;

	s->start = pos;
	if (!n || n->start > pos) {
		s->is_hole = true;
		/* n overlaps the query, so n->start - 1 < query_last; and
		 * n->start > pos, so it does not wrap. */
		s->last = n ? n->start - 1 : s->query_last;
		return;
	}
	/*
	 * Used: n covers pos. Swallow every following node that overlaps or
	 * touches the run so far; nodes come in start order, so the first one
	 * that starts beyond end + 1 ends the run and is where the next one
	 * (a hole) stops.
	 */
	end = n->last;
	for (;;) {
		if (end >= s->query_last) {
			/* Also keeps end + 1 below from wrapping. */
			end = s->query_last;
			n = NULL;
			break;
		}
		n = itree_iter_next(n, s->query_start, s->query_last);
		if (!n || n->start > end + 1)
			break;
		if (n->last > end)
			end = n->last;
	}
	s->is_hole = false;
	s->last = end;
	s->next_node = n;
}

void itree_span_first(struct itree_span *s, const struct itree *t,
		      uint64_t start, uint64_t last)
{
	s->query_start = start;
	s->query_last = last;
	s->done = start > last;
	if (s->done)
		return;
	s->next_node = itree_iter_first(t, start, last);
	span_fill(s, start);
}

void itree_span_next(struct itree_span *s)
{
	if (s->done)
		return;
	/* Checked before last + 1, which wraps when the query ends at
	 * UINT64_MAX. */
	if (s->last == s->query_last) {
		s->done = true;
		return;
	}
	span_fill(s, s->last + 1);
}

struct itree_check_state {
	const char *err;
	size_t count;
	bool have_prev;
	uint64_t prev_start;
};

/* Returns the black height of n's subtree (NULL leaves count one), or -1
 * with st->err set. Recursion depth is the tree height, under 2 log2(n+1). */
static int check_subtree(const struct itree_node *n,
			 const struct itree_node *parent,
			 struct itree_check_state *st)
{
	int left_height, right_height;

	if (!n)
		return 1;
	if (parent_of(n) != parent) {
		st->err = "parent link does not match";
		return -1;
	}
	if (n->start > n->last) {
		st->err = "node with start > last";
		return -1;
	}
	if (is_red(n) && (is_red(n->left) || is_red(n->right))) {
		st->err = "red node with a red child";
		return -1;
	}
	left_height = check_subtree(n->left, n, st);
	if (left_height < 0)
		return -1;
	if (st->have_prev && n->start < st->prev_start) {
		st->err = "nodes out of start order";
		return -1;
	}
	st->have_prev = true;
	st->prev_start = n->start;
	st->count++;
	right_height = check_subtree(n->right, n, st);
	if (right_height < 0)
		return -1;
	if (left_height != right_height) {
		st->err = "black heights differ";
		return -1;
	}
	if (n->subtree_last != compute_subtree_last(n)) {
		st->err = "subtree_last is wrong";
		return -1;
	}
	return left_height + (is_black(n) ? 1 : 0);
}

const char *itree_check(const struct itree *t)
{
	struct itree_check_state st = { 0 };

	if (is_red(t->root))
		return "red root";
	if (check_subtree(t->root, NULL, &st) < 0)
		return st.err;
	if (st.count != t->count)
		return "count does not match the nodes";
	return NULL;
}
