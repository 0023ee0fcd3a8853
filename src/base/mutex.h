/* SPDX-License-Identifier: MIT */
/*
 * A sleeping lock with a place in the lock order (base/lockdep.h), as the
 * kernel's struct mutex carries its lockdep map. It is an rwsem taken for
 * writing only: one compare-and-swap to lock and an exchange to unlock
 * when uncontended, plain stores in a process with one thread
 * (base/rwsem.h), a futex to sleep on otherwise; a pthread mutex would
 * pay its read-modify-writes even alone.
 */
#ifndef IOMMUSIM_MUTEX_H
#define IOMMUSIM_MUTEX_H

#include "base/lockdep.h"
#include "base/rwsem.h"

struct mutex {
	struct rwsem sem;
};

#define MUTEX_INIT(_rank) { .sem = { .rank = (_rank) } }

static inline void mutex_init(struct mutex *m, uint32_t rank)
{
	init_rwsem(&m->sem, rank);
}

static inline void mutex_destroy(struct mutex *m)
{
	(void)m;
}

#define mutex_lock(m)                                                          \
	ranked_lock_op(m, lock_acquire(__lock, __lock->sem.rank, true, #m),    \
		       __down_write(&__lock->sem))
#define mutex_unlock(m)                                                        \
	ranked_lock_op(m, lock_release(__lock, __lock->sem.rank, #m),          \
		       __up_write(&__lock->sem))

#endif /* IOMMUSIM_MUTEX_H */
