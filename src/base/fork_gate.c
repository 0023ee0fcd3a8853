// SPDX-License-Identifier: MIT
/*
 * Why not a pthread rwlock: the child would have to unlock a lock taken by
 * the parent's thread, which glibc's rwlock cannot do (it identifies the
 * writer by kernel TID, and the child's TID differs), and re-initialising it
 * confuses ThreadSanitizer. And why not one shared counter: every ioctl
 * would pay two atomic read-modify-writes on a cache line all threads share.
 *
 * Each thread has its own 'inside' flag, which it sets and clears with plain
 * stores. The Dekker pairing of "a thread sets inside, then reads closed"
 * with "fork sets closed, then reads every inside" needs a full barrier on
 * both sides; the thread's side is moved to the forking thread with
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which runs a barrier on every
 * thread of the process (liburcu's asymmetric fence). Where membarrier is
 * not available, threads pay for their own fence.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fork_gate.h"

struct gate_thread {
	atomic_bool inside;
	bool registered;
	/* Entries nest (a file released inside an ioctl closes a context,
	 * which enters again): only the outermost sets and clears inside. */
	unsigned int depth;
	struct gate_thread *prev, *next; /* under threads_lock */
};

static __thread struct gate_thread self
	__attribute__((tls_model("initial-exec")));

static atomic_bool closed;
/* The thread that closed the gate. pthread_atfork handlers registered
 * around ours run on it while the gate is closed, and may call in. */
static _Atomic(pthread_t) closer;
/* Held by the forking thread from prepare to parent/child. */
static pthread_mutex_t closing_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gate_thread threads = { .prev = &threads, .next = &threads };
static pthread_key_t thread_exit_key;
static bool use_membarrier;

static int membarrier(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

static void unregister_thread(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&threads_lock);
	self.prev->next = self.next;
	self.next->prev = self.prev;
	self.registered = false;
	pthread_mutex_unlock(&threads_lock);
}

static void register_thread(void)
{
	pthread_mutex_lock(&threads_lock);
	self.next = &threads;
	self.prev = threads.prev;
	threads.prev->next = &self;
	threads.prev = &self;
	self.registered = true;
	pthread_mutex_unlock(&threads_lock);
	/* A non-NULL value makes the destructor run at thread exit. */
	pthread_setspecific(thread_exit_key, &self);
}

/* The forking thread, called back while it holds the gate closed. */
static bool is_closer(void)
{
	return atomic_load(&closed) &&
	       pthread_equal(atomic_load(&closer), pthread_self());
}

/* not inlined into fork_gate_step_in(): GCC refuses the fence under TSan
 * where it is inlined */
__attribute__((noinline)) void fork_gate_enter(void)
{
	if (self.depth++)
		return;
	if (__builtin_expect(!self.registered, 0)) {
		/* the closer holds threads_lock; it needs no flag anyway */
		if (is_closer())
			return;
		register_thread();
	}
	for (;;) {
		atomic_store_explicit(&self.inside, true, memory_order_relaxed);
		if (use_membarrier)
			atomic_signal_fence(memory_order_seq_cst);
		else
			atomic_thread_fence(memory_order_seq_cst);
		if (!atomic_load_explicit(&closed, memory_order_relaxed))
			return;
		if (pthread_equal(atomic_load(&closer), pthread_self()))
			return;
		atomic_store_explicit(&self.inside, false,
				      memory_order_release);
		/* Sleep until the fork is done rather than spin. */
		pthread_mutex_lock(&closing_lock);
		pthread_mutex_unlock(&closing_lock);
	}
}

void fork_gate_leave(void)
{
	if (--self.depth)
		return;
	atomic_store_explicit(&self.inside, false, memory_order_release);
}

static void gate_close(void)
{
	pthread_mutex_lock(&closing_lock);
	atomic_store(&closer, pthread_self());
	atomic_store(&closed, true);
	if (use_membarrier)
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	pthread_mutex_lock(&threads_lock);
	for (struct gate_thread *t = threads.next; t != &threads; t = t->next)
		while (t != &self &&
		       atomic_load_explicit(&t->inside, memory_order_acquire))
			sched_yield();
	/* threads_lock stays held: no thread may come or go across fork */
}

static void gate_open_parent(void)
{
	pthread_mutex_unlock(&threads_lock);
	atomic_store(&closed, false);
	pthread_mutex_unlock(&closing_lock);
}

static void gate_open_child(void)
{
	/* Only this thread exists now; the others' entries are stale. */
	threads.next = threads.prev = &threads;
	if (self.registered) {
		self.next = self.prev = &threads;
		threads.next = threads.prev = &self;
	}
	pthread_mutex_unlock(&threads_lock);
	atomic_store(&closed, false);
	pthread_mutex_unlock(&closing_lock);
}

bool fork_gate_quiesce(void)
{
	if (self.depth)
		return false;
	gate_close();
	return true;
}

void fork_gate_resume(void)
{
	gate_open_parent();
}

unsigned int fork_gate_step_out(void)
{
	unsigned int depth = self.depth;

	if (depth) {
		self.depth = 1;
		fork_gate_leave();
	}
	return depth;
}

void fork_gate_step_in(unsigned int depth)
{
	if (!depth)
		return;
	fork_gate_enter();
	self.depth = depth;
}

int fork_gate_init(void)
{
	int rc = pthread_key_create(&thread_exit_key, unregister_thread);

	if (rc)
		return -rc;
	use_membarrier =
		membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
	return -pthread_atfork(gate_close, gate_open_parent, gate_open_child);
}
