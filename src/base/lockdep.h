/* SPDX-License-Identifier: MIT */
/*
 * lockdep-lite: a check, in the test builds, that locks are taken in the
 * order the layer above writes down, and that a function which needs a
 * lock is called with it held.
 *
 * Every tracked lock has a rank, fixed when it is initialised; a thread may
 * take a lock only when its rank is above that of every lock it holds
 * (equal ranks included: two locks of one kind may not nest). Each thread
 * keeps the locks it holds in a small array, in rank order, so the check
 * is one comparison with the last entry. Rank 0 (LOCK_RANK_NONE) is a lock
 * outside any order: it is not tracked.
 *
 * A violation is a bug in the library, never bad input: it prints both
 * locks (the expressions that named them and where they were taken) and
 * aborts. Built without IOMMUSIM_LOCKDEP every check compiles to nothing.
 */
#ifndef IOMMUSIM_LOCKDEP_H
#define IOMMUSIM_LOCKDEP_H

#include <stdbool.h>
#include <stdint.h>

#define LOCK_RANK_NONE 0u

/*
 * For the lock types (mutex.h, spinlock.h, rwsem.h): evaluates 'ptr' once,
 * as __lock, then runs 'track' (lockdep's part: an acquire goes before the
 * lock is taken, so a bad order is reported rather than deadlocked) and
 * 'op' (the lock's own).
 */
#define ranked_lock_op(ptr, track, op)                                         \
	({                                                                     \
		typeof(*(ptr)) *__lock = (ptr);                                \
		track;                                                         \
		op;                                                            \
	})

/* Where a lock was named: the expression, the file and line. */
struct lockdep_site {
	const char *lock;
	const char *file;
	unsigned int line;
};

#ifdef IOMMUSIM_LOCKDEP

/* More nesting than any path of ours needs; past it is a violation too. */
#define LOCKDEP_MAX_HELD 12

struct lockdep_held {
	const void *lock;
	const struct lockdep_site *site; /* where it was taken */
	uint32_t rank;
	bool exclusive;
};

struct lockdep_thread {
	unsigned int depth;
	struct lockdep_held held[LOCKDEP_MAX_HELD];
};

extern __thread struct lockdep_thread lockdep_self
	__attribute__((tls_model("initial-exec"), visibility("hidden")));

/* One static site per call site, built by the compiler. */
#define LOCKDEP_SITE(name)                                                     \
	({                                                                     \
		static const struct lockdep_site __lockdep_site = {            \
			name, __FILE__, __LINE__                               \
		};                                                             \
		&__lockdep_site;                                               \
	})

void lockdep_bad_acquire(const void *lock, uint32_t rank,
			 const struct lockdep_site *site)
	__attribute__((noreturn, cold));
void lockdep_release_slow(const void *lock, const struct lockdep_site *site);
void lockdep_check_held_slow(const void *lock, bool held, bool exclusive,
			     const struct lockdep_site *site);

/* Before the lock is taken, so a bad order is reported, not deadlocked. */
static inline void lockdep_acquire(const void *lock, uint32_t rank,
				   bool exclusive,
				   const struct lockdep_site *site)
{
	unsigned int depth = lockdep_self.depth;

	if (rank == LOCK_RANK_NONE)
		return;
	if ((depth && lockdep_self.held[depth - 1].rank >= rank) ||
	    depth == LOCKDEP_MAX_HELD)
		lockdep_bad_acquire(lock, rank, site);
	lockdep_self.held[depth] = (struct lockdep_held){
		.lock = lock, .site = site, .rank = rank, .exclusive = exclusive,
	};
	lockdep_self.depth = depth + 1;
}

static inline void lockdep_release(const void *lock, uint32_t rank,
				   const struct lockdep_site *site)
{
	unsigned int depth = lockdep_self.depth;

	if (rank == LOCK_RANK_NONE)
		return;
	/* Locks are mostly let go of in the reverse order of taking. */
	if (depth && lockdep_self.held[depth - 1].lock == lock)
		lockdep_self.depth = depth - 1;
	else
		lockdep_release_slow(lock, site);
}

/* An assertion is mostly about the last lock taken. */
static inline void lockdep_check_held(const void *lock, bool held,
				      bool exclusive,
				      const struct lockdep_site *site)
{
	unsigned int depth = lockdep_self.depth;

	if (held && depth && lockdep_self.held[depth - 1].lock == lock &&
	    (lockdep_self.held[depth - 1].exclusive || !exclusive))
		return;
	lockdep_check_held_slow(lock, held, exclusive, site);
}

#define lock_acquire(lock, rank, exclusive, name)                              \
	lockdep_acquire(lock, rank, exclusive, LOCKDEP_SITE(name))
#define lock_release(lock, rank, name)                                         \
	lockdep_release(lock, rank, LOCKDEP_SITE(name))

/* The calling thread holds the lock (for writing, with _write) / not. */
#define lockdep_assert_held(lock)                                              \
	lockdep_check_held(lock, true, false, LOCKDEP_SITE(#lock))
#define lockdep_assert_held_write(lock)                                        \
	lockdep_check_held(lock, true, true, LOCKDEP_SITE(#lock))
#define lockdep_assert_not_held(lock)                                          \
	lockdep_check_held(lock, false, false, LOCKDEP_SITE(#lock))

#else /* !IOMMUSIM_LOCKDEP */

#define lock_acquire(lock, rank, exclusive, name) ((void)0)
#define lock_release(lock, rank, name) ((void)0)
#define lockdep_assert_held(lock) ((void)0)
#define lockdep_assert_held_write(lock) ((void)0)
#define lockdep_assert_not_held(lock) ((void)0)

#endif /* IOMMUSIM_LOCKDEP */

#endif /* IOMMUSIM_LOCKDEP_H */
