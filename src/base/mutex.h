/* SPDX-License-Identifier: MIT */
/*
 * A sleeping lock with a place in the lock order (base/lockdep.h): a
 * pthread mutex and its rank, as the kernel's struct mutex carries its
 * lockdep map.
 */
#ifndef IOMMUSIM_MUTEX_H
#define IOMMUSIM_MUTEX_H

#include <pthread.h>

#include "base/lockdep.h"

struct mutex {
	pthread_mutex_t raw;
	uint32_t rank;
};

#define MUTEX_INIT(_rank) { .raw = PTHREAD_MUTEX_INITIALIZER, .rank = (_rank) }

static inline void mutex_init(struct mutex *m, uint32_t rank)
{
	pthread_mutex_init(&m->raw, NULL);
	m->rank = rank;
}

static inline void mutex_destroy(struct mutex *m)
{
	pthread_mutex_destroy(&m->raw);
}

#define mutex_lock(m)                                                          \
	ranked_lock_op(m, lock_acquire(__lock, __lock->rank, true, #m),        \
		       pthread_mutex_lock(&__lock->raw))
#define mutex_unlock(m)                                                        \
	ranked_lock_op(m, lock_release(__lock, __lock->rank, #m),              \
		       pthread_mutex_unlock(&__lock->raw))

#endif /* IOMMUSIM_MUTEX_H */
