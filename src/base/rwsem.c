// SPDX-License-Identifier: MIT
/*
 * The slow paths of struct rwsem (rwsem.h): waiting on, and waking, its
 * futex.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/rwsem.h"

/*
 * Sleeps until the next wake unless 'can_go' already holds: the sleeper is
 * counted and the sequence read before the last look, so a wake between
 * that look and the futex call changes the sequence and the call returns
 * at once.
 */
static void wait_unless(struct rwsem *sem, bool (*can_go)(struct rwsem *))
{
	int saved_errno = errno; /* the caller's ioctl must not see ours */
	uint32_t seq;

	__atomic_fetch_add(&sem->sleepers, 1, __ATOMIC_SEQ_CST);
	seq = __atomic_load_n(&sem->wake_seq, __ATOMIC_SEQ_CST);
	if (!can_go(sem))
		syscall(SYS_futex, &sem->wake_seq, FUTEX_WAIT_PRIVATE, seq,
			NULL, NULL, 0);
	__atomic_fetch_sub(&sem->sleepers, 1, __ATOMIC_SEQ_CST);
	errno = saved_errno;
}

static bool reader_can_go(struct rwsem *sem)
{
	return !(__atomic_load_n(&sem->state, __ATOMIC_SEQ_CST) &
		 RWSEM_WRITER) &&
	       !__atomic_load_n(&sem->writers_waiting, __ATOMIC_SEQ_CST);
}

static bool writer_can_go(struct rwsem *sem)
{
	return !__atomic_load_n(&sem->state, __ATOMIC_SEQ_CST);
}

/* Losing the compare-and-swap to another reader is no reason to sleep
 * (nor to make the winner's unlock wake anyone): retry while readers may
 * enter. */
void rwsem_down_read_slow(struct rwsem *sem)
{
	while (!rwsem_read_trylock_raw(sem)) {
		if (!reader_can_go(sem))
			wait_unless(sem, reader_can_go);
	}
}

/* A waiting writer holds new readers back until it has had its turn. */
void rwsem_down_write_slow(struct rwsem *sem)
{
	__atomic_fetch_add(&sem->writers_waiting, 1, __ATOMIC_SEQ_CST);
	while (!rwsem_write_trylock_raw(sem))
		wait_unless(sem, writer_can_go);
	/* readers that waited on us are woken when we unlock */
	__atomic_fetch_sub(&sem->writers_waiting, 1, __ATOMIC_SEQ_CST);
}

void rwsem_wake(struct rwsem *sem)
{
	int saved_errno = errno;

	__atomic_fetch_add(&sem->wake_seq, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &sem->wake_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
		NULL, 0);
	errno = saved_errno;
}
