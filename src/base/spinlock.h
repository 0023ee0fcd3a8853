/* SPDX-License-Identifier: MIT */
/*
 * A spinning lock with a place in the lock order (base/lockdep.h): a
 * pthread spinlock and its rank, eight bytes in all, for short critical
 * sections in structs that count their bytes.
 */
#ifndef IOMMUSIM_SPINLOCK_H
#define IOMMUSIM_SPINLOCK_H

#include <pthread.h>

#include "base/lockdep.h"

struct spinlock {
	pthread_spinlock_t raw;
	uint32_t rank;
};

static inline void spin_lock_init(struct spinlock *s, uint32_t rank)
{
	pthread_spin_init(&s->raw, PTHREAD_PROCESS_PRIVATE);
	s->rank = rank;
}

static inline void spin_lock_destroy(struct spinlock *s)
{
	pthread_spin_destroy(&s->raw);
}

#define spin_lock(s)                                                           \
	ranked_lock_op(s, lock_acquire(__lock, __lock->rank, true, #s),        \
		       pthread_spin_lock(&__lock->raw))
#define spin_unlock(s)                                                         \
	ranked_lock_op(s, lock_release(__lock, __lock->rank, #s),              \
		       pthread_spin_unlock(&__lock->raw))

#endif /* IOMMUSIM_SPINLOCK_H */
