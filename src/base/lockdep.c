// SPDX-License-Identifier: MIT
/*
 * lockdep-lite's slow paths: the reports, and letting go of a lock that is
 * not the last one taken.
 *
 * The per-thread record is named directly, never through a pointer: with
 * UBSan, GCC tests a pointer to an initial-exec thread-local for NULL with
 * the flags of an add that the linker may turn into a flagless lea.
 */
#ifdef IOMMUSIM_LOCKDEP

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lockdep.h"

__thread struct lockdep_thread lockdep_self
	__attribute__((tls_model("initial-exec")));

static void print_held(unsigned int i)
{
	fprintf(stderr, "%s (rank %u) %p, taken at %s:%u",
		lockdep_self.held[i].site->lock, lockdep_self.held[i].rank,
		lockdep_self.held[i].lock, lockdep_self.held[i].site->file,
		lockdep_self.held[i].site->line);
}

static __attribute__((noreturn)) void report_held_and_abort(void)
{
	fprintf(stderr, "lockdep: this thread holds:\n");
	for (unsigned int i = 0; i < lockdep_self.depth; i++) {
		fprintf(stderr, "lockdep:   ");
		print_held(i);
		fprintf(stderr, "\n");
	}
	abort();
}

void lockdep_bad_acquire(const void *lock, uint32_t rank,
			 const struct lockdep_site *site)
{
	if (lockdep_self.depth == LOCKDEP_MAX_HELD) {
		fprintf(stderr, "lockdep: more than %u locks held\n",
			LOCKDEP_MAX_HELD);
	} else {
		fprintf(stderr,
			"lockdep: lock order violation: taking %s (rank %u) %p "
			"at %s:%u while holding ",
			site->lock, rank, lock, site->file, site->line);
		print_held(lockdep_self.depth - 1);
		fprintf(stderr, "\n");
	}
	report_held_and_abort();
}

void lockdep_release_slow(const void *lock, const struct lockdep_site *site)
{
	unsigned int depth = lockdep_self.depth;

	for (unsigned int i = depth; i--;) {
		if (lockdep_self.held[i].lock != lock)
			continue;
		/* the rest stay in rank order */
		memmove(&lockdep_self.held[i], &lockdep_self.held[i + 1],
			(depth - i - 1) * sizeof(lockdep_self.held[0]));
		lockdep_self.depth = depth - 1;
		return;
	}
	fprintf(stderr, "lockdep: releasing %s %p at %s:%u, which this "
		"thread does not hold\n", site->lock, lock, site->file,
		site->line);
	report_held_and_abort();
}

void lockdep_check_held_slow(const void *lock, bool held, bool exclusive,
			     const struct lockdep_site *site)
{
	unsigned int i;

	for (i = 0; i < lockdep_self.depth; i++)
		if (lockdep_self.held[i].lock == lock)
			break;
	if (held && i < lockdep_self.depth &&
	    (lockdep_self.held[i].exclusive || !exclusive))
		return;
	if (!held && i == lockdep_self.depth)
		return;
	fprintf(stderr, "lockdep: %s:%u expects %s %p %s\n", site->file,
		site->line, site->lock, lock,
		!held ? "not held" : exclusive ? "held for writing" : "held");
	report_held_and_abort();
}

#endif /* IOMMUSIM_LOCKDEP */
