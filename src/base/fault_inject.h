/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: every allocation the library makes on behalf of a call
 * asks here first whether it should fail, and when told so fails exactly as
 * a real allocation failure would (base/alloc.h), taking the same error
 * path. Two ways to arm it:
 *
 *  - The kernel's, per thread: /proc/self/task/TID/fail-nth (served by the
 *    shim, base/fault_files.h). Writing N makes the N-th site that thread
 *    passes fail; reading says 0 once it has, else how many sites are left.
 *    As in the kernel, a site counts only when the debugfs attributes of its
 *    kind let it: failslab for object allocations, fail_page_alloc for
 *    page-table pages (struct fault_attrs). Their defaults are the kernel's,
 *    which ignore every allocation that may sleep (ignore-gfp-wait Y): all of
 *    ours may, so nothing fails until "N" is written there.
 *  - Ours, per process, for clients (`iommusim run --fail-nth N`,
 *    `--fail-rate P[,seed=S]`): IOMMUSIM_FAIL_NTH=N makes the N-th site the
 *    process passes fail, once; IOMMUSIM_FAIL_RATE=P[,seed=S] makes each
 *    site fail with probability P (0 to 1), decided by a hash of the seed
 *    (0 when not given) and the site's number in the process, so that a
 *    single-threaded run fails at the same sites every time. Read once, at
 *    the first site any thread passes. The debugfs attributes do not apply.
 *    Each injected failure is reported on stderr.
 *
 * Sites are counted per process: a forked child starts counting again from
 * its first site, with its thread's fail-nth at 0 (as the kernel's
 * dup_task_struct() clears it).
 *
 * Cost when nothing is armed: one load of a thread-local word and a branch
 * not taken, per allocation.
 */
#ifndef IOMMUSIM_BASE_FAULT_INJECT_H
#define IOMMUSIM_BASE_FAULT_INJECT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FAULT_NTH_ENV "IOMMUSIM_FAIL_NTH"
#define FAULT_RATE_ENV "IOMMUSIM_FAIL_RATE"

/* What a site allocates, for the kernel's per-kind attributes. */
enum fault_kind {
	FAULT_SLAB,	  /* an object: failslab */
	FAULT_PAGE_ALLOC, /* whole pages (page tables): fail_page_alloc */
};

/*
 * The thread's gate: 0 when no site of this thread can fail, which is the
 * only thing the fast path looks at. Otherwise FAULT_GATE_* flags and, in
 * the low 32 bits, the thread's fail-nth countdown; one word, so that
 * another thread's write to /proc/.../fail-nth and this thread's countdown
 * are single atomic updates of it.
 */
#define FAULT_GATE_NTH_MASK 0xffffffffull
#define FAULT_GATE_PROCESS (1ull << 32) /* a per-process option is on */
#define FAULT_GATE_NEW (1ull << 33)	/* its first site is ahead */

extern __thread _Atomic uint64_t fault_gate
	__attribute__((tls_model("initial-exec"), visibility("hidden")));

/* The decision when the gate is not 0; site names the function, for the
 * report on stderr. */
bool fault_should_fail_slow(enum fault_kind kind, unsigned int order,
			    const char *site);

/* Whether the allocation about to be made should fail. order: log2 of the
 * pages a FAULT_PAGE_ALLOC site asks for. */
static inline bool fault_should_fail(enum fault_kind kind, unsigned int order,
				     const char *site)
{
	uint64_t gate = atomic_load_explicit(&fault_gate, memory_order_relaxed);

	if (__builtin_expect(gate != 0, 0))
		return fault_should_fail_slow(kind, order, site);
	return false;
}

/* ---- the kernel's interface ---------------------------------------------- */

/*
 * A thread's fail-nth, as /proc/PID/task/TID/fail-nth reads and writes it.
 * tid must be a thread of this process. Setting 0 disarms. -ENOMEM when a
 * thread that has passed no site yet cannot be given the value.
 */
int fault_set_task_nth(pid_t tid, unsigned int n);
unsigned int fault_task_nth(pid_t tid);

/*
 * The debugfs attributes of one kind (/sys/kernel/debug/failslab/...,
 * fail_page_alloc/...), process-wide here as they are system-wide in the
 * kernel. They gate fail-nth only.
 */
struct fault_attrs {
	_Atomic bool ignore_gfp_wait;	 /* both kinds */
	_Atomic bool cache_filter;	 /* failslab */
	_Atomic bool ignore_gfp_highmem; /* fail_page_alloc */
	_Atomic uint32_t min_order;	 /* fail_page_alloc */
	/* 0: quiet; 1 and 2: a line on stderr per injected failure (the
	 * kernel's log line; 2 adds a stack trace there, not here). */
	_Atomic uint64_t verbose;
};

struct fault_attrs *fault_attrs_of(enum fault_kind kind);

/* ---- the per-process options ------------------------------------------- */

/*
 * Parse the options' values as IOMMUSIM_FAIL_NTH and IOMMUSIM_FAIL_RATE
 * hold them; 0 or -EINVAL. N is a decimal from 1 to 2^32 - 1. P is a
 * decimal fraction from 0 to 1 ("0.05", "1", ".5"), turned into the
 * threshold a site's 64-bit hash is compared with; seed= a decimal 64-bit
 * number.
 */
int fault_parse_nth(const char *s, uint32_t *n);
int fault_parse_rate(const char *s, uint64_t *threshold, uint64_t *seed);

/* Whether the site with number index (from 1) fails at rate threshold. */
bool fault_rate_fails(uint64_t threshold, uint64_t seed, uint64_t index);

#endif /* IOMMUSIM_BASE_FAULT_INJECT_H */
