// SPDX-License-Identifier: MIT
/*
 * Why not a pthread rwlock: the child would have to unlock a lock taken by
 * the parent's thread, which glibc's rwlock cannot do (it identifies the
 * writer by kernel TID, and the child's TID differs), and re-initialising it
 * confuses ThreadSanitizer. A counter and a flag, with the closing thread
 * holding a plain mutex across fork, are correct in both.
 *
 * Ordering: entering increments 'inside' and then reads 'closed'; closing
 * sets 'closed' and then reads 'inside'. Both sequentially consistent, so at
 * least one side sees the other (Dekker): either the entering thread backs
 * out, or the closing thread waits for it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "fork_gate.h"

static atomic_uint inside;
static atomic_bool closed;
/* The thread that closed the gate. pthread_atfork handlers registered
 * around ours run on it while the gate is closed, and may call in. */
static _Atomic(pthread_t) closer;
/* Held by the forking thread from prepare to parent/child. */
static pthread_mutex_t closing_lock = PTHREAD_MUTEX_INITIALIZER;

void fork_gate_enter(void)
{
	for (;;) {
		atomic_fetch_add(&inside, 1);
		if (!atomic_load(&closed))
			return;
		if (pthread_equal(atomic_load(&closer), pthread_self()))
			return;
		atomic_fetch_sub(&inside, 1);
		/* Sleep until the fork is done rather than spin. */
		pthread_mutex_lock(&closing_lock);
		pthread_mutex_unlock(&closing_lock);
	}
}

void fork_gate_leave(void)
{
	atomic_fetch_sub(&inside, 1);
}

static void gate_close(void)
{
	pthread_mutex_lock(&closing_lock);
	atomic_store(&closer, pthread_self());
	atomic_store(&closed, true);
	while (atomic_load(&inside))
		sched_yield();
}

static void gate_open(void)
{
	atomic_store(&closed, false);
	pthread_mutex_unlock(&closing_lock);
}

int fork_gate_init(void)
{
	return -pthread_atfork(gate_close, gate_open, gate_open);
}
