/* SPDX-License-Identifier: MIT */
/*
 * A spinning lock with a place in the lock order (base/lockdep.h), eight
 * bytes in all, for short critical sections in structs that count their
 * bytes. One exchange to lock and a release store to unlock; in a process
 * with one thread (base/single_threaded.h) a plain store to lock, since
 * only a signal handler of the caller's thread could run in between, and
 * its own lock and unlock leave the word as they found it.
 */
#ifndef IOMMUSIM_SPINLOCK_H
#define IOMMUSIM_SPINLOCK_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/lockdep.h"
#include "base/single_threaded.h"

struct spinlock {
	uint32_t held; /* __atomic: 0 or 1 */
	uint32_t rank;
};

/* As the rwsem: announced to ThreadSanitizer as a lock. */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define SPIN_TSAN(call) call
#else
#define SPIN_TSAN(call) ((void)0)
#endif

static inline void spin_lock_init(struct spinlock *s, uint32_t rank)
{
	__atomic_store_n(&s->held, 0, __ATOMIC_RELAXED);
	s->rank = rank;
}

static inline void spin_lock_destroy(struct spinlock *s)
{
	(void)s;
}

static inline bool spin_trylock_raw(struct spinlock *s)
{
	if (process_single_threaded() &&
	    !__atomic_load_n(&s->held, __ATOMIC_RELAXED)) {
		__atomic_store_n(&s->held, 1, __ATOMIC_RELAXED);
		return true;
	}
	return !__atomic_exchange_n(&s->held, 1, __ATOMIC_ACQUIRE);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* Waits reading, not writing, so the holder's line is not taken from it;
 * after a while yields, as a holder may have been preempted. */
static inline void spin_lock_raw(struct spinlock *s)
{
	unsigned int spins = 0;

	while (!spin_trylock_raw(s)) {
		while (__atomic_load_n(&s->held, __ATOMIC_RELAXED)) {
			if (++spins < 1000)
				cpu_relax();
			else
				sched_yield();
		}
	}
}

static inline void __spin_lock(struct spinlock *s)
{
	SPIN_TSAN(__tsan_mutex_pre_lock(s, 0));
	spin_lock_raw(s);
	SPIN_TSAN(__tsan_mutex_post_lock(s, 0, 0));
}

static inline void __spin_unlock(struct spinlock *s)
{
	SPIN_TSAN(__tsan_mutex_pre_unlock(s, 0));
	__atomic_store_n(&s->held, 0, __ATOMIC_RELEASE);
	SPIN_TSAN(__tsan_mutex_post_unlock(s, 0));
}

#define spin_lock(s)                                                           \
	ranked_lock_op(s, lock_acquire(__lock, __lock->rank, true, #s),        \
		       __spin_lock(__lock))
#define spin_unlock(s)                                                         \
	ranked_lock_op(s, lock_release(__lock, __lock->rank, #s),              \
		       __spin_unlock(__lock))

#endif /* IOMMUSIM_SPINLOCK_H */
