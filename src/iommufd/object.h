/* SPDX-License-Identifier: MIT */
/*
 * Objects and the per-context object table.
 *
 * Every object a context hands out (IOAS, HWPT, device, ...) starts with a
 * struct iommufd_object and is named by a 32-bit ID. IDs are allocated as the
 * kernel's xarray does with XA_FLAGS_ALLOC1 and a 31-bit limit: the lowest
 * free ID from 1 up, so a destroyed object's ID is handed out again.
 *
 * Creation is two-phase: object_alloc() reserves an ID that lookups cannot see
 * yet; object_finalize() publishes the object; object_abort*() undoes an
 * unpublished one. Once published, an object dies only by IOMMU_DESTROY or by
 * the context's close.
 *
 * Two reference counts, as on the kernel:
 *  - users: long-term holders (the table itself holds one; a HWPT holds its
 *    IOAS, ...). DESTROY succeeds only when the table's reference is the last.
 *  - shortterm users: references that last one ioctl (object_get/put). The
 *    table holds one too; destroy waits for the others to drain.
 * Both live in one 64-bit atomic word (users in the low half, short-term in
 * the high half), so a lookup or a put is one atomic operation, and the two
 * can never be seen out of step.
 *
 * Locking: table_lock (a spinlock: every critical section is a few loads
 * and stores, except the rare doubling of the table) guards the slots and
 * the ID bitmaps. A lookup takes its references under table_lock so it
 * cannot race with removal.
 */
#ifndef IOMMUSIM_OBJECT_H
#define IOMMUSIM_OBJECT_H

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/container_of.h"
#include "base/spinlock.h"

struct iommufd_ctx;

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_FAULT,
	IOMMUFD_OBJ_VIOMMU,
	IOMMUFD_OBJ_VDEVICE,
	IOMMUFD_OBJ_VEVENTQ,
	IOMMUFD_OBJ_HW_QUEUE,
	IOMMUFD_OBJ_SELFTEST,
	IOMMUFD_OBJ_MAX,
};

struct iommufd_object {
	uint32_t id;
	enum iommufd_object_type type;
	_Atomic uint64_t refs; /* users | shortterm users << 32 */
};

#define OBJECT_USER 1ull
#define OBJECT_SHORTTERM (1ull << 32)

/* A long-term reference: the holder keeps obj from being destroyed. */
static inline void object_hold(struct iommufd_object *obj)
{
	atomic_fetch_add(&obj->refs, OBJECT_USER);
}

/* A long-term reference unless the object is dying (users already 0). */
static inline bool object_try_hold(struct iommufd_object *obj)
{
	uint64_t refs = atomic_load(&obj->refs);

	do {
		if (!(uint32_t)refs)
			return false;
	} while (!atomic_compare_exchange_weak(&obj->refs, &refs,
					       refs + OBJECT_USER));
	return true;
}

static inline void object_release(struct iommufd_object *obj)
{
	atomic_fetch_sub(&obj->refs, OBJECT_USER);
}

/*
 * Both references a lookup takes (put with object_put()), unless the object
 * is dying: its users reached 0, or its short-term count did, which is how
 * object_destroy_user_wait() closes the door before it waits. For holders
 * of a pointer the table did not hand them (an IOAS's list of accesses);
 * the kernel's iommufd_lock_obj().
 */
static inline bool object_tryget(struct iommufd_object *obj)
{
	uint64_t refs = atomic_load(&obj->refs);

	do {
		if (!(uint32_t)refs || !(refs >> 32))
			return false;
	} while (!atomic_compare_exchange_weak(
		&obj->refs, &refs, refs + OBJECT_USER + OBJECT_SHORTTERM));
	return true;
}

/* What each object type does when it dies; destroy must not fail. */
struct iommufd_object_ops {
	void (*destroy)(struct iommufd_object *obj);
	/* Undo of a fully built but unpublished object; defaults to destroy. */
	void (*abort)(struct iommufd_object *obj);
};

struct object_table {
	/* What each type does when it dies, indexed by type: the context's
	 * one static table (main.c). */
	const struct iommufd_object_ops *ops;
	struct spinlock table_lock;
	struct iommufd_object **slots; /* NULL, a reserved marker, or object */
	uint64_t *used;		       /* bit per ID: reserved or published */
	uint64_t *full_words;	       /* bit per word of used[]: all ones */
	uint32_t capacity;	       /* IDs 0 .. capacity - 1 (0 never used) */
	uint32_t live;		       /* IDs in use */
};

int object_table_init(struct object_table *table,
		      const struct iommufd_object_ops *ops);
/* Frees the table itself; the context has destroyed every object first. */
void object_table_release(struct object_table *table);

/* Returns a zeroed object of 'size' bytes with a reserved ID, or NULL with
 * *err set (-ENOMEM, or -EBUSY when the 31-bit ID space is full). */
struct iommufd_object *object_alloc(struct iommufd_ctx *ictx, size_t size,
				    enum iommufd_object_type type, int *err);

/*
 * object_alloc() typed: ptr names the object's struct (its value is not
 * read), member its header, 'obj' or e.g. 'common.obj'. The table frees an
 * object through its header, so the build checks that the header comes
 * first.
 */
#define __iommufd_object_alloc(ictx, ptr, type, member, err)                   \
	({                                                                     \
		struct iommufd_object *__new_obj;                              \
		static_assert(offsetof(typeof(*(ptr)), member) == 0,           \
			      "the object header must come first");            \
		__new_obj = object_alloc(ictx, sizeof(*(ptr)), type, err);     \
		__new_obj ? container_of(__new_obj, typeof(*(ptr)), member) :  \
			    NULL;                                              \
	})
#define iommufd_object_alloc(ictx, ptr, type, err)                             \
	__iommufd_object_alloc(ictx, ptr, type, obj, err)

void object_finalize(struct iommufd_ctx *ictx, struct iommufd_object *obj);
/* Releases the ID and frees obj; for an object not yet built. */
void object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj);
/* Runs the type's abort (or destroy), then object_abort(). */
void object_abort_and_destroy(struct iommufd_ctx *ictx,
			      struct iommufd_object *obj);

/* Looks up a published object of the given type (or ANY) and takes a
 * short-term reference; NULL when there is none (the kernel's ENOENT). */
struct iommufd_object *object_get(struct iommufd_ctx *ictx, uint32_t id,
				  enum iommufd_object_type type);
void object_put(struct iommufd_ctx *ictx, struct iommufd_object *obj);

/*
 * object_get() for the hot commands (IOAS MAP and UNMAP) of a call that
 * runs alone (reentry_call_alone()) through a descriptor it borrows
 * (file_borrow_active()): no other call can destroy the object
 * before this one returns, so neither the table's lock nor a reference is
 * taken (*held false), and a DESTROY racing with the call cannot exist to
 * see the difference. Otherwise object_get() (*held true). For a command
 * that destroys nothing itself. Undone by object_put_held().
 */
struct iommufd_object *object_get_in_call(struct iommufd_ctx *ictx,
					  uint32_t id,
					  enum iommufd_object_type type,
					  bool *held);
static inline void object_put_held(struct iommufd_ctx *ictx,
				   struct iommufd_object *obj, bool held)
{
	if (held)
		object_put(ictx, obj);
}

/* object_get() typed, for the getters of each type (iommufd_get_ioas()...):
 * the object as 'type', whose header is 'member', or NULL. */
#define object_get_typed(ictx, id, objtype, type, member)                      \
	({                                                                     \
		struct iommufd_object *__got = object_get(ictx, id, objtype);  \
		__got ? container_of(__got, type, member) : NULL;              \
	})

/* The type's name, as the trace and the graph print it: "IOAS", ... */
const char *object_type_name(enum iommufd_object_type type);

/*
 * Every published object, each with a short-term reference (put each with
 * object_put()), in ID order: a malloc'd array of *n. NULL (and *n 0)
 * when there is none or no memory. For those who look at the whole
 * context (the graph); a DESTROY racing with them sees EBUSY.
 */
struct iommufd_object **object_get_all(struct iommufd_ctx *ictx, size_t *n);
/* The same for the objects of one type, for a command that must see them
 * all (IOMMU_IOAS_CHANGE_PROCESS): NULL only when out of memory. */
struct iommufd_object **object_get_all_of(struct iommufd_ctx *ictx,
					  enum iommufd_object_type type,
					  size_t *n);

/* IOMMU_DESTROY: 0, -ENOENT (no such published ID) or -EBUSY (in use). */
int object_remove(struct iommufd_ctx *ictx, uint32_t id);

/* Drops the caller's user reference; destroys obj if the table's is then
 * the only one left. */
void object_destroy_user(struct iommufd_ctx *ictx, struct iommufd_object *obj);

/*
 * The same for an object whose owner must know it is gone when this
 * returns (the kernel's iommufd_object_destroy_user(), which an access's
 * driver calls before it frees what the object's callbacks use): lookups
 * fail from the start, and the short-term users in flight are waited for
 * before the object is destroyed. Only a long-term user the owner did not
 * expect (a bug) leaves it to the context's close.
 */
void object_destroy_user_wait(struct iommufd_ctx *ictx,
			      struct iommufd_object *obj);

/* Context close: destroys everything, leaves first. */
void object_destroy_all(struct iommufd_ctx *ictx);

#endif /* IOMMUSIM_OBJECT_H */
