/* SPDX-License-Identifier: MIT */
/*
 * The re-entry guard: a call into the library made by a signal handler
 * that interrupted another call into the library on the same thread.
 *
 * The interrupted call may hold any lock of the library (an IOAS's rwsem,
 * a spinlock of the object table, the trace's lock), and its thread cannot
 * run again until the handler returns, so a handler that waited for such a
 * lock would wait forever. The kernel never meets this (a system call is
 * not interrupted by a handler of its own thread); we do. The handler's
 * call is refused at once with EDEADLK, before it takes anything. A retry
 * from the same handler is refused too: the call can only succeed once the
 * interrupted one has finished. Calls from other threads are not affected.
 *
 * Every entry point a program calls (vfs_ioctl(), vfs_read() and the other
 * transfers, iommusim_ioctl(), iommusim_dma()) brackets its work with
 * reentry_enter()/reentry_leave(); paths inside the library never come back
 * through them, so the guard sees only a thread's outermost call.
 *
 * Signal safety: the flag is a thread-local written with plain stores and
 * compiler barriers. A signal that lands before reentry_enter() sets it
 * runs a whole call of its own, and leaves the flag as it found it.
 */
#ifndef IOMMUSIM_BASE_REENTRY_H
#define IOMMUSIM_BASE_REENTRY_H

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/single_threaded.h"

extern __thread volatile sig_atomic_t reentry_inside
	__attribute__((tls_model("initial-exec"), visibility("hidden")));

/* false: the thread is inside a call already; refuse with -EDEADLK. */
static inline bool reentry_enter(void)
{
	if (reentry_inside)
		return false;
	reentry_inside = 1;
	atomic_signal_fence(memory_order_seq_cst);
	return true;
}

static inline void reentry_leave(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	reentry_inside = 0;
}

/*
 * The caller is inside its outermost call and no other thread exists: no
 * other guarded call can run until this one returns (a handler's is
 * refused), so an object only guarded calls destroy cannot die under it.
 */
static inline bool reentry_call_alone(void)
{
	return reentry_inside && process_single_threaded();
}

/* The value of call, of type type, made as a guarded call; or, when the
 * thread is inside a call already, the value of otherwise instead. */
#define REENTRY_GUARDED_ELSE(type, call, otherwise)                            \
	({                                                                     \
		type __rc;                                                     \
		if (reentry_enter()) {                                         \
			__rc = (call);                                         \
			reentry_leave();                                       \
		} else {                                                       \
			__rc = (otherwise);                                    \
		}                                                              \
		__rc;                                                          \
	})

/* The value of call, or -EDEADLK without making it when the thread is
 * inside a call already. */
#define REENTRY_GUARDED(type, call) REENTRY_GUARDED_ELSE(type, call, -EDEADLK)

#endif /* IOMMUSIM_BASE_REENTRY_H */
