/* SPDX-License-Identifier: MIT */
/*
 * A reader-writer lock in the shape of the kernel's rw_semaphore, cheaper
 * than pthread_rwlock_t where it matters: an uncontended down_write() is one
 * compare-and-swap and up_write() one exchange and one load, against
 * glibc's internal lock and bookkeeping on both sides (the 4 KiB MAP+UNMAP
 * pair takes the IOAS's lock twice); in a process with one thread, plain
 * stores instead (below).
 *
 * Writers come first: once a writer waits, new readers wait behind it (as
 * the kernel's, and glibc's PREFER_WRITER_NONRECURSIVE), so taking it for
 * reading twice in one thread can deadlock. Sleeping is on a futex; a
 * sleeper announces itself, so an unlock with nobody asleep makes no
 * system call, and errno is kept as it was (the shim promises that a
 * caller's ioctl leaves it alone).
 *
 * Each rwsem has a rank in the lock order (base/lockdep.h), given at
 * init_rwsem(); down_*() and up_*() tell lockdep, the trylocks do not (a
 * try cannot deadlock, and nothing that asserts a lock uses them).
 */
#ifndef IOMMUSIM_RWSEM_H
#define IOMMUSIM_RWSEM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/lockdep.h"
#include "base/single_threaded.h"

#define RWSEM_WRITER (1u << 31)

struct rwsem {
	uint32_t state;		  /* __atomic: readers, or RWSEM_WRITER */
	uint32_t writers_waiting; /* __atomic */
	uint32_t sleepers;	  /* __atomic: threads in futex_wait */
	uint32_t wake_seq;	  /* __atomic: the futex; bumped to wake */
	uint32_t rank;		  /* in the lock order; LOCK_RANK_NONE */
};

/* An rwsem outside the lock order. */
#define RWSEM_INIT { 0, 0, 0, 0, LOCK_RANK_NONE }

static inline void init_rwsem(struct rwsem *sem, uint32_t rank)
{
	*sem = (struct rwsem)RWSEM_INIT;
	sem->rank = rank;
}

void rwsem_down_read_slow(struct rwsem *sem);
void rwsem_down_write_slow(struct rwsem *sem);
void rwsem_wake(struct rwsem *sem);

static inline bool rwsem_read_trylock_raw(struct rwsem *sem)
{
	uint32_t s = __atomic_load_n(&sem->state, __ATOMIC_RELAXED);

	return !(s & RWSEM_WRITER) &&
	       !__atomic_load_n(&sem->writers_waiting, __ATOMIC_RELAXED) &&
	       __atomic_compare_exchange_n(&sem->state, &s, s + 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline bool rwsem_write_trylock_raw(struct rwsem *sem)
{
	uint32_t s = 0;

	return __atomic_compare_exchange_n(&sem->state, &s, RWSEM_WRITER,
					   false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/*
 * Under ThreadSanitizer the lock is announced as a lock, so that lock-order
 * inversions and the locks held at a race are reported as for a pthread
 * lock; elsewhere these vanish.
 */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define RWSEM_TSAN(call) call
#else
#define RWSEM_TSAN(call) ((void)0)
#define __tsan_mutex_read_lock 0u
#define __tsan_mutex_try_lock 0u
#define __tsan_mutex_try_lock_failed 0u
#endif

#define RWSEM_TRY_READ (__tsan_mutex_read_lock | __tsan_mutex_try_lock)

static inline bool rwsem_read_trylock(struct rwsem *sem)
{
	bool ok;

	RWSEM_TSAN(__tsan_mutex_pre_lock(sem, RWSEM_TRY_READ));
	ok = rwsem_read_trylock_raw(sem);
	RWSEM_TSAN(__tsan_mutex_post_lock(
		sem, RWSEM_TRY_READ | (ok ? 0 : __tsan_mutex_try_lock_failed),
		0));
	return ok;
}

static inline bool rwsem_write_trylock(struct rwsem *sem)
{
	bool ok;

	RWSEM_TSAN(__tsan_mutex_pre_lock(sem, __tsan_mutex_try_lock));
	ok = rwsem_write_trylock_raw(sem);
	RWSEM_TSAN(__tsan_mutex_post_lock(
		sem,
		__tsan_mutex_try_lock | (ok ? 0 : __tsan_mutex_try_lock_failed),
		0));
	return ok;
}

/*
 * In a process with no other thread (base/single_threaded.h) an
 * uncontended lock and unlock change the state with plain stores, without
 * the read-modify-writes that only order memory for other threads (two
 * saved for each write lock and unlock, the MAP+UNMAP pair's). A signal
 * handler of the thread is the only code that can run in between, and its
 * own down and up leave the state as they found it; nobody can be asleep.
 * A lock found held takes the slow path, which waits as always.
 */
static inline bool rwsem_read_trylock_alone(struct rwsem *sem)
{
	uint32_t s = __atomic_load_n(&sem->state, __ATOMIC_RELAXED);

	if (!process_single_threaded() || (s & RWSEM_WRITER))
		return false;
	__atomic_store_n(&sem->state, s + 1, __ATOMIC_RELAXED);
	return true;
}

static inline bool rwsem_write_trylock_alone(struct rwsem *sem)
{
	if (!process_single_threaded() ||
	    __atomic_load_n(&sem->state, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&sem->state, RWSEM_WRITER, __ATOMIC_RELAXED);
	return true;
}

static inline void __down_read(struct rwsem *sem)
{
	RWSEM_TSAN(__tsan_mutex_pre_lock(sem, __tsan_mutex_read_lock));
	if (!rwsem_read_trylock_alone(sem) && !rwsem_read_trylock_raw(sem))
		rwsem_down_read_slow(sem);
	RWSEM_TSAN(__tsan_mutex_post_lock(sem, __tsan_mutex_read_lock, 0));
}

static inline void __down_write(struct rwsem *sem)
{
	RWSEM_TSAN(__tsan_mutex_pre_lock(sem, 0));
	if (!rwsem_write_trylock_alone(sem) && !rwsem_write_trylock_raw(sem))
		rwsem_down_write_slow(sem);
	RWSEM_TSAN(__tsan_mutex_post_lock(sem, 0, 0));
}

/*
 * The release and the look at sleepers are both sequentially consistent:
 * either a sleeper's re-check sees the lock free, or we see the sleeper
 * and wake it.
 */
static inline void __up_read(struct rwsem *sem)
{
	RWSEM_TSAN(__tsan_mutex_pre_unlock(sem, __tsan_mutex_read_lock));
	if (process_single_threaded()) {
		__atomic_store_n(&sem->state,
				 __atomic_load_n(&sem->state, __ATOMIC_RELAXED) - 1,
				 __ATOMIC_RELAXED);
		RWSEM_TSAN(__tsan_mutex_post_unlock(sem,
						    __tsan_mutex_read_lock));
		return;
	}
	/* Only the last reader out frees anyone: while readers remain, a
	 * sleeper is a writer waiting for them or a reader behind it. */
	if (!__atomic_sub_fetch(&sem->state, 1, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&sem->sleepers, __ATOMIC_SEQ_CST))
		rwsem_wake(sem);
	RWSEM_TSAN(__tsan_mutex_post_unlock(sem, __tsan_mutex_read_lock));
}

static inline void __up_write(struct rwsem *sem)
{
	RWSEM_TSAN(__tsan_mutex_pre_unlock(sem, 0));
	if (process_single_threaded()) {
		__atomic_store_n(&sem->state, 0, __ATOMIC_RELAXED);
	} else {
		__atomic_exchange_n(&sem->state, 0, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sem->sleepers, __ATOMIC_SEQ_CST))
			rwsem_wake(sem);
	}
	RWSEM_TSAN(__tsan_mutex_post_unlock(sem, 0));
}

#define down_read(sem)                                                         \
	ranked_lock_op(sem, lock_acquire(__lock, __lock->rank, false, #sem),   \
		       __down_read(__lock))
#define down_write(sem)                                                        \
	ranked_lock_op(sem, lock_acquire(__lock, __lock->rank, true, #sem),    \
		       __down_write(__lock))
#define up_read(sem)                                                           \
	ranked_lock_op(sem, lock_release(__lock, __lock->rank, #sem),          \
		       __up_read(__lock))
#define up_write(sem)                                                          \
	ranked_lock_op(sem, lock_release(__lock, __lock->rank, #sem),          \
		       __up_write(__lock))

#endif /* IOMMUSIM_RWSEM_H */
