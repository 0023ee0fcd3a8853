// SPDX-License-Identifier: MIT
/*
 * The object table: ID allocation, lookup with references, destruction.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/reentry.h"
#include "iommufd/ioas.h"
#include "base/trace.h"
#include "base/zalloc.h"

/* The kernel allocates IDs within xa_limit_31b. */
#define OBJECT_ID_MAX ((uint32_t)INT_MAX)
#define OBJECT_TABLE_MIN_CAPACITY 64u
/* How long DESTROY waits for a racing short-term user before giving up. */
#define SHORTTERM_WAIT_NS (60ull * 1000 * 1000 * 1000)

/* Marks a slot whose ID is reserved but whose object is not published. */
static struct iommufd_object reserved_marker;
#define SLOT_RESERVED (&reserved_marker)

static const char *const object_type_names[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_DEVICE] = "DEVICE",
	[IOMMUFD_OBJ_HWPT_PAGING] = "HWPT_PAGING",
	[IOMMUFD_OBJ_HWPT_NESTED] = "HWPT_NESTED",
	[IOMMUFD_OBJ_IOAS] = "IOAS",
	[IOMMUFD_OBJ_ACCESS] = "ACCESS",
	[IOMMUFD_OBJ_FAULT] = "FAULT",
	[IOMMUFD_OBJ_VIOMMU] = "VIOMMU",
	[IOMMUFD_OBJ_VDEVICE] = "VDEVICE",
	[IOMMUFD_OBJ_VEVENTQ] = "VEVENTQ",
	[IOMMUFD_OBJ_HW_QUEUE] = "HW_QUEUE",
	[IOMMUFD_OBJ_SELFTEST] = "SELFTEST",
};

const char *object_type_name(enum iommufd_object_type type)
{
	if (type >= IOMMUFD_OBJ_MAX || !object_type_names[type])
		return "NONE";
	return object_type_names[type];
}

static void trace_object(const char *event, struct iommufd_ctx *ictx,
			 const struct iommufd_object *obj)
{
	trace_event(event, TA_DEC("ctx", ictx->serial),
		    TA_STR("type", object_type_name(obj->type)),
		    TA_ID("id", obj->id));
}

/* The VFIO compatibility IOAS stops being one when it leaves the table. */
static void forget_vfio_ioas(struct iommufd_ctx *ictx,
			     const struct iommufd_object *obj)
{
	lockdep_assert_held(&ictx->objects.table_lock);
	if (ictx->vfio_ioas && &ictx->vfio_ioas->obj == obj)
		ictx->vfio_ioas = NULL;
}

static size_t words_for(uint32_t bits)
{
	return (bits + 63) / 64;
}

static void mark_used(struct object_table *t, uint32_t id)
{
	uint32_t word = id / 64;

	t->used[word] |= 1ull << (id % 64);
	if (t->used[word] == ~0ull)
		t->full_words[word / 64] |= 1ull << (word % 64);
	t->live++;
}

static void mark_free(struct object_table *t, uint32_t id)
{
	uint32_t word = id / 64;

	t->used[word] &= ~(1ull << (id % 64));
	t->full_words[word / 64] &= ~(1ull << (word % 64));
	t->live--;
}

int object_table_init(struct object_table *t,
		      const struct iommufd_object_ops *ops)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->capacity = OBJECT_TABLE_MIN_CAPACITY;
	t->slots = lib_calloc(t->capacity, sizeof(*t->slots));
	t->used = lib_calloc(words_for(t->capacity), sizeof(*t->used));
	t->full_words = lib_calloc(words_for(words_for(t->capacity)),
			       sizeof(*t->full_words));
	if (!t->slots || !t->used || !t->full_words)
		goto out_free;
	spin_lock_init(&t->table_lock, LOCK_RANK_OBJECT_TABLE);
	mark_used(t, 0); /* ID 0 is never handed out */
	t->live = 0;
	return 0;

out_free:
	free(t->slots);
	free(t->used);
	free(t->full_words);
	return -ENOMEM;
}

void object_table_release(struct object_table *t)
{
	spin_lock_destroy(&t->table_lock);
	free(t->slots);
	free(t->used);
	free(t->full_words);
}

/* Doubles the table; the new IDs are all free. */
static int object_table_grow(struct object_table *t)
{
	uint32_t old_cap = t->capacity, new_cap;
	size_t old_words = words_for(old_cap), new_words;
	size_t old_summary = words_for(old_words), new_summary;
	struct iommufd_object **slots;
	uint64_t *used, *full_words;

	lockdep_assert_held(&t->table_lock);
	if (old_cap > OBJECT_ID_MAX)
		return -EBUSY;
	new_cap = old_cap * 2;
	new_words = words_for(new_cap);
	new_summary = words_for(new_words);

	slots = lib_realloc(t->slots, new_cap * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	t->slots = slots;
	memset(slots + old_cap, 0, (new_cap - old_cap) * sizeof(*slots));
	used = lib_realloc(t->used, new_words * sizeof(*used));
	if (!used)
		return -ENOMEM;
	t->used = used;
	memset(used + old_words, 0, (new_words - old_words) * sizeof(*used));
	full_words = lib_realloc(t->full_words,
				 new_summary * sizeof(*full_words));
	if (!full_words)
		return -ENOMEM;
	t->full_words = full_words;
	memset(full_words + old_summary, 0,
	       (new_summary - old_summary) * sizeof(*full_words));
	/* Only now is the new capacity real: a failure above left it alone. */
	t->capacity = new_cap;
	return 0;
}

/* The lowest free ID, or 0 when the table must grow first. */
static uint32_t lowest_free_id(const struct object_table *t)
{
	size_t words = words_for(t->capacity);
	size_t summary_words = words_for(words);

	for (size_t s = 0; s < summary_words; s++) {
		size_t word;

		if (t->full_words[s] == ~0ull)
			continue;
		word = s * 64 + __builtin_ctzll(~t->full_words[s]);
		if (word >= words)
			return 0;
		return word * 64 + __builtin_ctzll(~t->used[word]);
	}
	return 0;
}

static int reserve_id(struct object_table *t, uint32_t *id)
{
	uint32_t found;
	int rc;

	lockdep_assert_held(&t->table_lock);
	while (!(found = lowest_free_id(t))) {
		rc = object_table_grow(t);
		if (rc)
			return rc;
	}
	if (found > OBJECT_ID_MAX)
		return -EBUSY;
	mark_used(t, found);
	t->slots[found] = SLOT_RESERVED;
	*id = found;
	return 0;
}

struct iommufd_object *object_alloc(struct iommufd_ctx *ictx, size_t size,
				    enum iommufd_object_type type, int *err)
{
	struct object_table *t = &ictx->objects;
	struct iommufd_object *obj;
	int rc;

	obj = zalloc(size);
	if (!obj) {
		*err = -ENOMEM;
		return NULL;
	}
	obj->type = type;
	/* The table's own references, dropped by destroy. */
	atomic_init(&obj->refs, OBJECT_USER | OBJECT_SHORTTERM);

	spin_lock(&t->table_lock);
	rc = reserve_id(t, &obj->id);
	spin_unlock(&t->table_lock);
	if (rc) {
		free(obj);
		*err = rc;
		return NULL;
	}
	return obj;
}

void object_finalize(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	struct object_table *t = &ictx->objects;

	spin_lock(&t->table_lock);
	t->slots[obj->id] = obj;
	spin_unlock(&t->table_lock);
	trace_object("object_create", ictx, obj);
}

void object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	struct object_table *t = &ictx->objects;

	spin_lock(&t->table_lock);
	t->slots[obj->id] = NULL;
	mark_free(t, obj->id);
	spin_unlock(&t->table_lock);
	free(obj);
}

void object_abort_and_destroy(struct iommufd_ctx *ictx,
			      struct iommufd_object *obj)
{
	const struct iommufd_object_ops *ops = &ictx->objects.ops[obj->type];

	if (ops->abort)
		ops->abort(obj);
	else
		ops->destroy(obj);
	object_abort(ictx, obj);
}

/*
 * When the table's user reference is the only one, drops it together with
 * the table's short-term reference: the object is dying from here on.
 */
static bool refs_drop_table_if_last(struct iommufd_object *obj)
{
	uint64_t refs = atomic_load(&obj->refs);

	do {
		if ((uint32_t)refs != 1)
			return false;
	} while (!atomic_compare_exchange_weak(
		&obj->refs, &refs, refs - OBJECT_USER - OBJECT_SHORTTERM));
	return true;
}

struct iommufd_object *object_get(struct iommufd_ctx *ictx, uint32_t id,
				  enum iommufd_object_type type)
{
	struct object_table *t = &ictx->objects;
	struct iommufd_object *obj = NULL;

	spin_lock(&t->table_lock);
	if (id < t->capacity)
		obj = t->slots[id];
	if (!obj || obj == SLOT_RESERVED ||
	    (type != IOMMUFD_OBJ_ANY && obj->type != type) ||
	    !object_tryget(obj))
		obj = NULL;
	spin_unlock(&t->table_lock);
	return obj;
}

struct iommufd_object *object_get_in_call(struct iommufd_ctx *ictx,
					  uint32_t id,
					  enum iommufd_object_type type,
					  bool *held)
{
	struct object_table *t = &ictx->objects;
	struct iommufd_object *obj;
	uint64_t refs;

	/* Through iommusim_ioctl() there is no descriptor to borrow: a
	 * handler's iommusim_close() could end the context under the call,
	 * and only the call's references would hold it off. */
	*held = !reentry_call_alone() || !file_borrow_active();
	if (*held)
		return object_get(ictx, id, type);
	obj = id < t->capacity ? t->slots[id] : NULL;
	if (!obj || obj == SLOT_RESERVED ||
	    (type != IOMMUFD_OBJ_ANY && obj->type != type))
		return NULL;
	/* what object_tryget() refuses: an object already dying */
	refs = atomic_load_explicit(&obj->refs, memory_order_relaxed);
	return (uint32_t)refs && refs >> 32 ? obj : NULL;
}

/* The published objects of 'type' (IOMMUFD_OBJ_MAX: of every type), each
 * held, into objs, which has room for every live one. */
static size_t collect_objects(struct object_table *t,
			      enum iommufd_object_type type,
			      struct iommufd_object **objs)
{
	size_t count = 0;

	lockdep_assert_held(&t->table_lock);
	for (uint32_t id = 1; id < t->capacity && count < t->live; id++) {
		struct iommufd_object *obj = t->slots[id];

		if (obj && obj != SLOT_RESERVED &&
		    (type == IOMMUFD_OBJ_MAX || obj->type == type) &&
		    object_tryget(obj))
			objs[count++] = obj;
	}
	return count;
}

struct iommufd_object **object_get_all(struct iommufd_ctx *ictx, size_t *n)
{
	struct object_table *t = &ictx->objects;
	struct iommufd_object **objs;

	*n = 0;
	spin_lock(&t->table_lock);
	/* not an injection site: the graph's snapshot, an observer's */
	objs = malloc((t->live ? t->live : 1) * sizeof(*objs));
	if (objs)
		*n = collect_objects(t, IOMMUFD_OBJ_MAX, objs);
	spin_unlock(&t->table_lock);
	return objs;
}

struct iommufd_object **object_get_all_of(struct iommufd_ctx *ictx,
					  enum iommufd_object_type type,
					  size_t *n)
{
	struct object_table *t = &ictx->objects;
	struct iommufd_object **objs;

	*n = 0;
	spin_lock(&t->table_lock);
	objs = lib_malloc((t->live ? t->live : 1) * sizeof(*objs));
	if (objs)
		*n = collect_objects(t, type, objs);
	spin_unlock(&t->table_lock);
	return objs;
}

void object_put(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	(void)ictx;
	atomic_fetch_sub(&obj->refs, OBJECT_USER + OBJECT_SHORTTERM);
}

/*
 * Waits for racing short-term users to put their references: they already
 * dropped their user reference with it (that is how destroy got past the
 * EBUSY check) and are about to be gone.
 */
static int wait_shortterm_drained(struct iommufd_object *obj)
{
	struct timespec start, now;

	if (!(atomic_load(&obj->refs) >> 32))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (atomic_load(&obj->refs) >> 32) {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((uint64_t)(now.tv_sec - start.tv_sec) * 1000000000ull +
			    (uint64_t)(now.tv_nsec - start.tv_nsec) >
		    SHORTTERM_WAIT_NS)
			return -EBUSY;
	}
	return 0;
}

static void object_destroy_unpublished(struct object_table *t,
				       struct iommufd_object *obj)
{
	trace_object("object_destroy",
		     container_of(t, struct iommufd_ctx, objects), obj);
	t->ops[obj->type].destroy(obj);
	free(obj);
}

int object_remove(struct iommufd_ctx *ictx, uint32_t id)
{
	struct object_table *t = &ictx->objects;
	struct iommufd_object *obj = NULL;

	spin_lock(&t->table_lock);
	if (id < t->capacity)
		obj = t->slots[id];
	if (!obj || obj == SLOT_RESERVED) {
		spin_unlock(&t->table_lock);
		return -ENOENT;
	}
	if (!refs_drop_table_if_last(obj)) {
		spin_unlock(&t->table_lock);
		return -EBUSY;
	}
	t->slots[id] = NULL;
	mark_free(t, id);
	forget_vfio_ioas(ictx, obj);
	spin_unlock(&t->table_lock);

	/*
	 * A user that outlives the wait is a bug of ours; leaking the object
	 * is the only safe answer, as the kernel does.
	 */
	if (wait_shortterm_drained(obj))
		return -EBUSY;
	object_destroy_unpublished(t, obj);
	return 0;
}

/*
 * Drops the caller's user reference and destroys the object if that leaves
 * only the table's: how a binder lets go of what it made (the kernel's
 * iommufd_object_destroy_user() and iommufd_object_put_and_try_destroy()).
 * If someone else still holds it, it lives on until DESTROY or close.
 */
void object_destroy_user(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	struct object_table *t = &ictx->objects;
	bool dying;

	spin_lock(&t->table_lock);
	atomic_fetch_sub(&obj->refs, OBJECT_USER);
	dying = t->slots[obj->id] == obj && refs_drop_table_if_last(obj);
	if (dying) {
		t->slots[obj->id] = NULL;
		mark_free(t, obj->id);
		forget_vfio_ioas(ictx, obj);
	}
	spin_unlock(&t->table_lock);
	if (!dying || wait_shortterm_drained(obj))
		return;
	object_destroy_unpublished(t, obj);
}

void object_destroy_user_wait(struct iommufd_ctx *ictx,
			      struct iommufd_object *obj)
{
	struct object_table *t = &ictx->objects;
	/* the table's user reference and the caller's, nothing else */
	uint64_t expect = 2 * OBJECT_USER;
	bool dying;

	/* Without the table's short-term reference no lookup succeeds
	 * (object_tryget()), so the count can only drain. */
	atomic_fetch_sub(&obj->refs, OBJECT_SHORTTERM);
	if (wait_shortterm_drained(obj)) {
		atomic_fetch_add(&obj->refs, OBJECT_SHORTTERM);
		object_release(obj);
		return;
	}
	/* One step for both user references, under the lock DESTROY takes:
	 * it sees two users (EBUSY) or a free ID. */
	spin_lock(&t->table_lock);
	dying = t->slots[obj->id] == obj &&
		atomic_compare_exchange_strong(&obj->refs, &expect, 0);
	if (dying) {
		t->slots[obj->id] = NULL;
		mark_free(t, obj->id);
		forget_vfio_ioas(ictx, obj);
	} else {
		atomic_fetch_add(&obj->refs, OBJECT_SHORTTERM - OBJECT_USER);
	}
	spin_unlock(&t->table_lock);
	if (dying)
		object_destroy_unpublished(t, obj);
}

/* Unpublishes the first object from 'id' on whose only user is the table. */
static struct iommufd_object *take_leaf(struct object_table *t, uint32_t *id)
{
	lockdep_assert_held(&t->table_lock);
	for (; *id < t->capacity; (*id)++) {
		struct iommufd_object *obj = t->slots[*id];

		if (!obj || obj == SLOT_RESERVED ||
		    !refs_drop_table_if_last(obj))
			continue;
		t->slots[*id] = NULL;
		mark_free(t, *id);
		return obj;
	}
	return NULL;
}

void object_destroy_all(struct iommufd_ctx *ictx)
{
	struct object_table *t = &ictx->objects;
	bool progress = true;

	/*
	 * The users counts form the dependency graph: destroying the objects
	 * nothing else uses releases their holds on others, so sweeping until
	 * the table is empty tears everything down leaves first. Nothing is
	 * allocated here: teardown cannot fail.
	 */
	spin_lock(&t->table_lock);
	ictx->vfio_ioas = NULL;
	while (t->live && progress) {
		struct iommufd_object *obj;
		uint32_t id = 1;

		progress = false;
		while ((obj = take_leaf(t, &id))) {
			spin_unlock(&t->table_lock);
			object_destroy_unpublished(t, obj);
			progress = true;
			spin_lock(&t->table_lock);
		}
	}
	spin_unlock(&t->table_lock);
}
