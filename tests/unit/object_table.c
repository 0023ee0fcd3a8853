// SPDX-License-Identifier: MIT
/*
 * The object table below the ioctl layer: ID allocation, two-phase creation,
 * references and the destroy rules, and teardown order at close.
 */
#include "harness.h"
#include "iommufd/iommufd_private.h"

struct test_obj {
	struct iommufd_object obj;
	struct iommufd_object *holds; /* a long-term reference, or NULL */
	int *destroyed_order;
	int *counter;
};

static void test_obj_destroy(struct iommufd_object *obj)
{
	struct test_obj *t = (struct test_obj *)obj;

	if (t->holds)
		object_release(t->holds);
	if (t->counter)
		t->destroyed_order[(*t->counter)++] = (int)obj->id;
}

/* Only the table's mechanics are under test: one type, ours. */
static const struct iommufd_object_ops test_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_SELFTEST] = { .destroy = test_obj_destroy },
};

static struct iommufd_ctx *new_ctx(void)
{
	struct iommufd_ctx *ictx = calloc(1, sizeof(*ictx));

	if (!ictx || object_table_init(&ictx->objects, test_ops))
		return NULL;
	return ictx;
}

static void free_ctx(struct iommufd_ctx *ictx)
{
	object_destroy_all(ictx);
	object_table_release(&ictx->objects);
	free(ictx);
}

static struct test_obj *make(struct iommufd_ctx *ictx)
{
	int err;
	struct test_obj *t = (struct test_obj *)object_alloc(
		ictx, sizeof(struct test_obj), IOMMUFD_OBJ_SELFTEST, &err);

	if (t)
		object_finalize(ictx, &t->obj);
	return t;
}

TEST(reserved_ids_are_invisible_until_published)
{
	struct iommufd_ctx *ictx = new_ctx();
	struct iommufd_object *obj, *got;
	int err;

	ASSERT_NONNULL(ictx);
	obj = object_alloc(ictx, sizeof(struct test_obj), IOMMUFD_OBJ_SELFTEST,
			   &err);
	ASSERT_NONNULL(obj);
	EXPECT_EQ(1, obj->id);
	EXPECT_NULL(object_get(ictx, 1, IOMMUFD_OBJ_ANY));
	EXPECT_EQ(-ENOENT, object_remove(ictx, 1));
	object_finalize(ictx, obj);
	got = object_get(ictx, 1, IOMMUFD_OBJ_SELFTEST);
	EXPECT_TRUE(got == obj);
	/* wrong type is not found */
	EXPECT_NULL(object_get(ictx, 1, IOMMUFD_OBJ_IOAS));
	object_put(ictx, got);
	free_ctx(ictx);
}

TEST(abort_frees_the_id)
{
	struct iommufd_ctx *ictx = new_ctx();
	struct iommufd_object *obj;
	int err;

	ASSERT_NONNULL(ictx);
	obj = object_alloc(ictx, sizeof(struct test_obj), IOMMUFD_OBJ_SELFTEST,
			   &err);
	ASSERT_NONNULL(obj);
	object_abort(ictx, obj);
	obj = object_alloc(ictx, sizeof(struct test_obj), IOMMUFD_OBJ_SELFTEST,
			   &err);
	ASSERT_NONNULL(obj);
	EXPECT_EQ(1, obj->id);
	object_abort_and_destroy(ictx, obj);
	EXPECT_EQ(0, ictx->objects.live);
	free_ctx(ictx);
}

TEST(held_object_is_busy)
{
	struct iommufd_ctx *ictx = new_ctx();
	struct test_obj *t;
	struct iommufd_object *got;

	ASSERT_NONNULL(ictx);
	t = make(ictx);
	ASSERT_NONNULL(t);
	got = object_get(ictx, t->obj.id, IOMMUFD_OBJ_ANY);
	ASSERT_NONNULL(got);
	EXPECT_EQ(-EBUSY, object_remove(ictx, t->obj.id));
	object_put(ictx, got);
	EXPECT_EQ(0, object_remove(ictx, 1));
	EXPECT_EQ(-ENOENT, object_remove(ictx, 1));
	free_ctx(ictx);
}

TEST(growth_keeps_lowest_free)
{
	struct iommufd_ctx *ictx = new_ctx();

	ASSERT_NONNULL(ictx);
	for (unsigned int i = 1; i <= 10000; i++) {
		struct test_obj *t = make(ictx);

		ASSERT_NONNULL(t);
		ASSERT_EQ(i, t->obj.id);
	}
	ASSERT_EQ(0, object_remove(ictx, 4097));
	ASSERT_EQ(0, object_remove(ictx, 64));
	EXPECT_EQ(64, make(ictx)->obj.id);
	EXPECT_EQ(4097, make(ictx)->obj.id);
	EXPECT_EQ(10001, make(ictx)->obj.id);
	free_ctx(ictx);
}

TEST(close_destroys_leaves_first)
{
	struct iommufd_ctx *ictx = new_ctx();
	struct test_obj *a, *b, *c;
	int order[3], count = 0;

	ASSERT_NONNULL(ictx);
	/* c holds b holds a: a, made first, must die last */
	a = make(ictx);
	b = make(ictx);
	c = make(ictx);
	ASSERT_NONNULL(c);
	b->holds = &a->obj;
	object_hold(&a->obj);
	c->holds = &b->obj;
	object_hold(&b->obj);
	a->destroyed_order = b->destroyed_order = c->destroyed_order = order;
	a->counter = b->counter = c->counter = &count;
	EXPECT_EQ(-EBUSY, object_remove(ictx, a->obj.id));
	object_destroy_all(ictx);
	ASSERT_EQ(3, count);
	EXPECT_EQ(3, order[0]);
	EXPECT_EQ(2, order[1]);
	EXPECT_EQ(1, order[2]);
	EXPECT_EQ(0, ictx->objects.live);
	free_ctx(ictx);
}

TEST_HARNESS_MAIN
